//! [`InsightStore`] on SQLite: cells are written on the writer thread inside each write's
//! savepoint; queries use the read pool.

use std::collections::BTreeMap;

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use rusqlite::{Connection, params_from_iter};

use super::{SqliteStore, case_row, event_row, exec};
use crate::insight::{
    self, CellKey, CellPlan, CellQuery, CellRow, InsightStore, Litigation, MetricCasesQuery,
    Population, Rebuild, RebuildReport,
};
use crate::sql::{CaseRow, for_sqlite};
use crate::{CaseSummary, Result};

/// The case's stored contributions: where its next delta starts from.
pub(super) fn stored(conn: &Connection, case_id: &str) -> Result<BTreeMap<CellKey, i64>> {
    let mut stmt = conn.prepare_cached(&for_sqlite(insight::SELECT_CASE_CELLS))?;
    let rows = stmt
        .query_map([case_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(insight::stored_contributions(rows))
}

/// Writes a planned cell change inside the caller's transaction.
pub(super) fn write(conn: &Connection, plan: &CellPlan) -> Result<()> {
    for binds in insight::cell_upserts(&plan.cells) {
        exec(conn, insight::UPSERT_CELL, &binds)?;
    }
    for binds in insight::month_upserts(&plan.cells) {
        exec(conn, insight::UPSERT_MONTH_CELL, &binds)?;
    }
    for binds in &plan.case_deletes {
        exec(conn, insight::DELETE_CASE_CELL, binds)?;
    }
    for binds in &plan.case_upserts {
        exec(conn, insight::UPSERT_CASE_CELL, binds)?;
    }
    Ok(())
}

/// Replays the whole log into fresh cells and case rows, inside the caller's transaction (the
/// writer's, so no append can interleave). With `verify`, first compares with the stored cells.
pub(super) fn rebuild(conn: &Connection, verify: bool) -> Result<RebuildReport> {
    let mut rebuild = Rebuild::default();
    exec(conn, insight::DELETE_ALL_CASE_CELLS, &[])?;
    {
        let mut insert = conn.prepare_cached(&for_sqlite(insight::INSERT_CASE_CELL))?;
        let mut stmt = conn.prepare(crate::sql::SELECT_ALL_EVENTS)?;
        let mut rows = stmt.query([])?;
        // Rows of one case at a time are written as soon as the case ends, so memory holds the
        // cells and a single case, never the log. Writing to `agg_case_cells` while reading
        // `events` on the same connection is fine: the read does not touch the written table.
        while let Some(r) = rows.next()? {
            for binds in rebuild.feed(&event_row(r)?)? {
                insert.execute(params_from_iter(binds.iter()))?;
            }
        }
        for binds in rebuild.finish_case() {
            insert.execute(params_from_iter(binds.iter()))?;
        }
    }
    rebuild.close_months();
    if verify {
        let mut stmt = conn.prepare(insight::SELECT_ALL_CELLS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            rebuild.check((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?));
        }
        let mut stmt = conn.prepare(insight::SELECT_ALL_MONTH_CELLS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            rebuild.check_month((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?));
        }
    }
    let differences = rebuild.differences();
    exec(conn, insight::DELETE_ALL_CELLS, &[])?;
    let mut cells = 0u64;
    {
        let mut insert = conn.prepare_cached(&for_sqlite(insight::INSERT_CELL))?;
        for binds in rebuild.cell_binds() {
            insert.execute(params_from_iter(binds.iter()))?;
            cells += 1;
        }
    }
    exec(conn, insight::DELETE_ALL_MONTH_CELLS, &[])?;
    {
        let mut insert = conn.prepare_cached(&for_sqlite(insight::INSERT_MONTH_CELL))?;
        for binds in rebuild.month_binds() {
            insert.execute(params_from_iter(binds.iter()))?;
        }
    }
    Ok(RebuildReport {
        cases: rebuild.cases,
        events: rebuild.events,
        cells,
        differences,
    })
}

/// Folds the existing log into the tables of migration 8, inside the migration's transaction
/// (on an empty database this reads nothing and writes nothing).
pub(super) fn backfill(conn: &Connection) -> Result<()> {
    let report = rebuild(conn, false)?;
    tracing::info!(
        cases = report.cases,
        cells = report.cells,
        "backfilled indicator cells"
    );
    Ok(())
}

#[async_trait]
impl InsightStore for SqliteStore {
    async fn cells(&self, q: &CellQuery) -> Result<Vec<CellRow>> {
        let (query, binds) = insight::cells_query(q);
        let group = q.group;
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(&query))?;
                let rows = stmt
                    .query_map(params_from_iter(binds.iter()), |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(insight::cell_rows(group, rows))
    }

    async fn metric_cases(&self, q: &MetricCasesQuery) -> Result<(Vec<CaseSummary>, u64)> {
        let (page, binds, count, count_binds) = insight::metric_cases_query(q);
        let (rows, total): (Vec<CaseRow>, i64) = self
            .read(move |conn| {
                let rows = conn
                    .prepare_cached(&for_sqlite(&page))?
                    .query_map(params_from_iter(binds.iter()), case_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let total = conn
                    .prepare_cached(&for_sqlite(&count))?
                    .query_row(params_from_iter(count_binds.iter()), |r| r.get(0))?;
                Ok((rows, total))
            })
            .await?;
        let cases = rows
            .iter()
            .map(CaseRow::to_summary)
            .collect::<Result<_>>()?;
        Ok((cases, u64::try_from(total).unwrap_or(0)))
    }

    async fn rebuild_aggregates(&self, verify: bool) -> Result<RebuildReport> {
        self.writer
            .write_alone(move |conn| rebuild(conn, verify))
            .await
    }

    async fn put_population(&self, rows: &[Population]) -> Result<u64> {
        let binds: Vec<_> = rows.iter().map(insight::population_binds).collect();
        self.writer
            .write(move |conn| {
                for b in &binds {
                    exec(conn, insight::UPSERT_POPULATION, b)?;
                }
                Ok(binds.len() as u64)
            })
            .await
    }

    async fn population(&self, division: &DivisionCode, year: i32) -> Result<Option<i64>> {
        let area = insight::subtree(division);
        let rows: Vec<(String, i64)> = self
            .read(move |conn| {
                let rows = conn
                    .prepare_cached(&for_sqlite(insight::SELECT_POPULATION))?
                    .query_map(
                        params_from_iter([crate::sql::Bind::Int(year.into()), area]),
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
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
        self.writer
            .write(move |conn| {
                for b in &binds {
                    exec(conn, insight::UPSERT_LITIGATION, b)?;
                }
                Ok(binds.len() as u64)
            })
            .await
    }

    async fn litigation(&self, division: &DivisionCode, from: &str, to: &str) -> Result<i64> {
        let binds = [
            insight::subtree(division),
            crate::sql::Bind::Text(from.to_owned()),
            crate::sql::Bind::Text(to.to_owned()),
        ];
        let rows: Vec<(String, String, i64)> = self
            .read(move |conn| {
                let rows = conn
                    .prepare_cached(&for_sqlite(insight::SELECT_LITIGATION))?
                    .query_map(params_from_iter(binds.iter()), |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(insight::litigation_total(division, rows))
    }

    async fn open_and_overdue(
        &self,
        division: &DivisionCode,
        now: Timestamp,
    ) -> Result<(i64, i64)> {
        let binds = [
            insight::subtree(division),
            crate::sql::Bind::Int(now.micros()),
        ];
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&for_sqlite(insight::OPEN_AND_OVERDUE))?
                .query_row(params_from_iter(binds.iter()), |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?)
        })
        .await
    }

    async fn handling_records(&self) -> Result<Vec<insight::HandlingRow>> {
        let rows = self
            .read(move |conn| {
                let rows = conn
                    .prepare_cached(&for_sqlite(insight::HANDLING_RECORDS))?
                    .query_map([], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect::<rusqlite::Result<Vec<insight::HandlingTuple>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(rows.into_iter().map(insight::handling_from).collect())
    }
}
