//! [`InsightStore`] on PostgreSQL: cells are written inside each write's transaction.
//!
//! Every append adds to the same few upper-level rows (the county's cell of the day), so those
//! rows are locked until the append commits; appends in one area on one day are serialised on
//! them. Cells are upserted in key order, so two appends never wait for each other crosswise.

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};

use super::{PgStore, bind_all, case_row, event_row, exec};
use crate::insight::{
    self, CellKey, CellPlan, CellQuery, CellRow, InsightStore, Litigation, MetricCasesQuery,
    Population, Rebuild, RebuildReport,
};
use crate::sql::Bind;
use crate::{CaseSummary, Result};

/// How many cases' events a rebuild reads at once.
const REBUILD_BATCH: i64 = 500;

const CASE_IDS_AFTER: &str = "SELECT id FROM cases WHERE id > $1 ORDER BY id LIMIT $2";

const EVENTS_OF_CASES: &str = "SELECT seq, case_id, version, kind, occurred_at, actor_id, \
     division, recorded_at, meta, body, prev_hash, hash FROM events WHERE case_id = ANY($1) \
     ORDER BY case_id, version";

/// The case's stored contributions: where its next delta starts from.
pub(super) async fn stored(
    tx: &mut Transaction<'_, Postgres>,
    case_id: &str,
) -> Result<BTreeMap<CellKey, i64>> {
    let rows: Vec<(String, i64, String, String, i64)> = sqlx::query_as(insight::SELECT_CASE_CELLS)
        .bind(case_id)
        .fetch_all(&mut **tx)
        .await?;
    Ok(insight::stored_contributions(rows))
}

/// Adds cell changes inside `tx`, in key order.
pub(super) async fn write_cells(
    tx: &mut Transaction<'_, Postgres>,
    cells: &BTreeMap<CellKey, (String, i64)>,
) -> Result<()> {
    for binds in insight::cell_upserts(cells) {
        exec(tx, insight::UPSERT_CELL, &binds).await?;
    }
    for binds in insight::month_upserts(cells) {
        exec(tx, insight::UPSERT_MONTH_CELL, &binds).await?;
    }
    Ok(())
}

/// Writes a planned cell change inside `tx`.
pub(super) async fn write(tx: &mut Transaction<'_, Postgres>, plan: &CellPlan) -> Result<()> {
    write_cells(tx, &plan.cells).await?;
    write_case_rows(tx, plan).await
}

/// Replaces the case's own rows inside `tx`.
pub(super) async fn write_case_rows(
    tx: &mut Transaction<'_, Postgres>,
    plan: &CellPlan,
) -> Result<()> {
    for binds in &plan.case_deletes {
        exec(tx, insight::DELETE_CASE_CELL, binds).await?;
    }
    for binds in &plan.case_upserts {
        exec(tx, insight::UPSERT_CASE_CELL, binds).await?;
    }
    Ok(())
}

/// Inserts rows shaped `(text, text, bigint, text, text, bigint)` in one statement.
async fn insert_many(
    tx: &mut Transaction<'_, Postgres>,
    into: &str,
    rows: &[Vec<Bind>],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut cols: [Vec<String>; 4] = Default::default();
    let mut ints: [Vec<i64>; 2] = Default::default();
    for r in rows {
        let text = |i: usize| match r.get(i) {
            Some(Bind::Text(s)) => s.clone(),
            _ => String::new(),
        };
        let int = |i: usize| match r.get(i) {
            Some(Bind::Int(n)) => *n,
            _ => 0,
        };
        cols[0].push(text(0));
        cols[1].push(text(1));
        ints[0].push(int(2));
        cols[2].push(text(3));
        cols[3].push(text(4));
        ints[1].push(int(5));
    }
    let [a, b, d, e] = cols;
    let [c, f] = ints;
    sqlx::query(AssertSqlSafe(format!(
        "{into} SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], \
         $5::text[], $6::bigint[])"
    )))
    .bind(a)
    .bind(b)
    .bind(c)
    .bind(d)
    .bind(e)
    .bind(f)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const INTO_CASE_CELLS: &str =
    "INSERT INTO agg_case_cells (case_id, metric, day, division, dispute_type, value)";

const INTO_CELLS: &str =
    "INSERT INTO agg_cells (division, parent, day, dispute_type, metric, value)";
const INTO_MONTH_CELLS: &str =
    "INSERT INTO agg_month_cells (division, parent, month, dispute_type, metric, value)";

/// Replays the whole log into fresh cells and case rows inside `tx`.
///
/// The cell tables are locked first: every writer of events also writes cells, so from then on
/// no append or registration can commit until the rebuild does, and each statement below sees
/// the same log. Cases are read a batch at a time, so memory holds the cells and a few hundred
/// cases, never the log.
pub(super) async fn rebuild(
    tx: &mut Transaction<'_, Postgres>,
    verify: bool,
) -> Result<RebuildReport> {
    sqlx::query("LOCK TABLE agg_cells, agg_case_cells, agg_month_cells IN EXCLUSIVE MODE")
        .execute(&mut **tx)
        .await?;
    let mut rebuild = Rebuild::default();
    exec(tx, insight::DELETE_ALL_CASE_CELLS, &[]).await?;
    let mut after = String::new();
    loop {
        let ids: Vec<String> = sqlx::query_scalar(CASE_IDS_AFTER)
            .bind(&after)
            .bind(REBUILD_BATCH)
            .fetch_all(&mut **tx)
            .await?;
        let Some(last) = ids.last().cloned() else {
            break;
        };
        let rows = sqlx::query(EVENTS_OF_CASES)
            .bind(&ids)
            .fetch_all(&mut **tx)
            .await?;
        let mut case_rows = Vec::new();
        for r in &rows {
            case_rows.extend(rebuild.feed(&event_row(r)?)?);
        }
        case_rows.extend(rebuild.finish_case());
        insert_many(tx, INTO_CASE_CELLS, &case_rows).await?;
        after = last;
    }
    rebuild.close_months();
    if verify {
        let mut stream =
            sqlx::query_as::<_, (String, i64, String, String, i64)>(insight::SELECT_ALL_CELLS)
                .fetch(&mut **tx);
        while let Some(row) = stream.try_next().await? {
            rebuild.check(row);
        }
        drop(stream);
        let mut stream = sqlx::query_as::<_, (String, i64, String, String, i64)>(
            insight::SELECT_ALL_MONTH_CELLS,
        )
        .fetch(&mut **tx);
        while let Some(row) = stream.try_next().await? {
            rebuild.check_month(row);
        }
    }
    let differences = rebuild.differences();
    exec(tx, insight::DELETE_ALL_CELLS, &[]).await?;
    let mut cells = 0u64;
    let mut chunk = Vec::with_capacity(10_000);
    for binds in rebuild.cell_binds() {
        chunk.push(binds);
        if chunk.len() == 10_000 {
            insert_many(tx, INTO_CELLS, &chunk).await?;
            cells += chunk.len() as u64;
            chunk.clear();
        }
    }
    insert_many(tx, INTO_CELLS, &chunk).await?;
    cells += chunk.len() as u64;
    exec(tx, insight::DELETE_ALL_MONTH_CELLS, &[]).await?;
    let months: Vec<Vec<Bind>> = rebuild.month_binds().collect();
    for chunk in months.chunks(10_000) {
        insert_many(tx, INTO_MONTH_CELLS, chunk).await?;
    }
    Ok(RebuildReport {
        cases: rebuild.cases,
        events: rebuild.events,
        cells,
        differences,
    })
}

/// Folds the existing log into the tables of migration 8, inside the migration's transaction.
pub(super) async fn backfill(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    let report = rebuild(tx, false).await?;
    tracing::info!(
        cases = report.cases,
        cells = report.cells,
        "backfilled indicator cells"
    );
    Ok(())
}

#[async_trait]
impl InsightStore for PgStore {
    async fn cells(&self, q: &CellQuery) -> Result<Vec<CellRow>> {
        let (query, binds) = insight::cells_query(q);
        let rows = bind_all(sqlx::query(AssertSqlSafe(query)), &binds)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<Vec<(String, String, i64)>>>()?;
        Ok(insight::cell_rows(q.group, rows))
    }

    async fn metric_cases(&self, q: &MetricCasesQuery) -> Result<(Vec<CaseSummary>, u64)> {
        let (page, binds, count, count_binds) = insight::metric_cases_query(q);
        let cases = bind_all(sqlx::query(AssertSqlSafe(page)), &binds)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| case_row(r)?.to_summary())
            .collect::<Result<Vec<_>>>()?;
        let total: i64 = bind_all(sqlx::query(AssertSqlSafe(count)), &count_binds)
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        Ok((cases, u64::try_from(total).unwrap_or(0)))
    }

    async fn rebuild_aggregates(&self, verify: bool) -> Result<RebuildReport> {
        let mut tx = self.pool().begin().await?;
        let report = rebuild(&mut tx, verify).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn put_population(&self, rows: &[Population]) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        for p in rows {
            exec(
                &mut tx,
                insight::UPSERT_POPULATION,
                &insight::population_binds(p),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    async fn population(&self, division: &DivisionCode, year: i32) -> Result<Option<i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(insight::SELECT_POPULATION)
            .bind(i64::from(year))
            .bind(format!("{}%", division.prefix()))
            .fetch_all(self.pool())
            .await?;
        Ok(insight::own_or_children(
            division,
            &rows.into_iter().collect(),
        ))
    }

    async fn put_litigation(&self, rows: &[Litigation]) -> Result<u64> {
        let binds = rows
            .iter()
            .map(insight::litigation_binds)
            .collect::<Result<Vec<_>>>()?;
        let mut tx = self.pool().begin().await?;
        for b in &binds {
            exec(&mut tx, insight::UPSERT_LITIGATION, b).await?;
        }
        tx.commit().await?;
        Ok(binds.len() as u64)
    }

    async fn litigation(&self, division: &DivisionCode, from: &str, to: &str) -> Result<i64> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(insight::SELECT_LITIGATION)
            .bind(format!("{}%", division.prefix()))
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
            .await?;
        Ok(insight::litigation_total(division, rows))
    }

    async fn open_and_overdue(
        &self,
        division: &DivisionCode,
        now: Timestamp,
    ) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(insight::OPEN_AND_OVERDUE)
            .bind(format!("{}%", division.prefix()))
            .bind(now.micros())
            .fetch_one(self.pool())
            .await?)
    }

    async fn handling_records(&self) -> Result<Vec<insight::HandlingRow>> {
        let rows: Vec<insight::HandlingTuple> = sqlx::query_as(insight::HANDLING_RECORDS)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(insight::handling_from).collect())
    }
}
