//! The PostgreSQL backend, for deployments that outgrow one file or run several servers.
//!
//! Each write is its own transaction (PostgreSQL groups concurrent commits itself). Concurrency
//! on one case is settled by locking its projection row (`SELECT … FOR UPDATE`) before the
//! version check, so of two writers at the same version exactly one proceeds.

mod accounts;
mod documents;
mod field;
mod insight;
mod models;
mod warnings;
mod work;

use std::str::FromStr;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use hejie_domain::case::{Case, CaseId, CaseNumber, Event, Status};
use hejie_domain::division::Division;
use hejie_domain::org::Organisation;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::audit::{AuditReport, CheckpointRow, Verifier};
use crate::chain::{EventRow, StoredEvent};
use crate::sql::{self, Bind, CaseRow};
use crate::work::WorkStore;
use crate::{CaseFilter, CaseSummary, Checkpoint, Committed, NewCase, Result, Store, StoreError};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "accounts",
        include_str!("../../migrations/postgres/0002_accounts.sql"),
    ),
    (
        3,
        "case_address",
        include_str!("../../migrations/postgres/0003_case_address.sql"),
    ),
    (
        4,
        "models",
        include_str!("../../migrations/postgres/0004_models.sql"),
    ),
    (
        5,
        "work",
        include_str!("../../migrations/postgres/0005_work.sql"),
    ),
    (
        6,
        "settings",
        include_str!("../../migrations/postgres/0006_settings.sql"),
    ),
    (
        7,
        "queue_order",
        include_str!("../../migrations/postgres/0007_queue_order.sql"),
    ),
    (
        8,
        "insight",
        include_str!("../../migrations/postgres/0008_insight.sql"),
    ),
    (
        9,
        "warnings",
        include_str!("../../migrations/postgres/0009_warnings.sql"),
    ),
    (
        10,
        "documents",
        include_str!("../../migrations/postgres/0010_documents.sql"),
    ),
    (
        11,
        "month_cells",
        include_str!("../../migrations/postgres/0011_month_cells.sql"),
    ),
    (
        12,
        "open_area",
        include_str!("../../migrations/postgres/0012_open_area.sql"),
    ),
    (
        13,
        "document_digest",
        include_str!("../../migrations/postgres/0013_document_digest.sql"),
    ),
    (
        14,
        "field",
        include_str!("../../migrations/postgres/0014_field.sql"),
    ),
];

/// The PostgreSQL store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?;
        Self::connect_with(opts).await
    }

    pub async fn connect_with(opts: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(opts)
            .await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    for b in binds {
        q = match b {
            Bind::Null => q.bind(None::<String>),
            Bind::NullInt => q.bind(None::<i64>),
            Bind::Text(s) => q.bind(s.as_str()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

async fn exec(
    tx: &mut Transaction<'_, Postgres>,
    sql: &'static str,
    binds: &[Bind],
) -> Result<u64> {
    Ok(bind_all(sqlx::query(sql), binds)
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

fn event_row(r: &PgRow) -> Result<EventRow> {
    Ok(EventRow {
        seq: r.try_get(0)?,
        case_id: r.try_get(1)?,
        version: r.try_get(2)?,
        kind: r.try_get(3)?,
        occurred_at: r.try_get(4)?,
        actor_id: r.try_get(5)?,
        division: r.try_get(6)?,
        recorded_at: r.try_get(7)?,
        meta: r.try_get(8)?,
        body: r.try_get(9)?,
        prev_hash: r.try_get(10)?,
        hash: r.try_get(11)?,
    })
}

fn case_row(r: &PgRow) -> Result<CaseRow> {
    Ok(CaseRow {
        id: r.try_get(0)?,
        number: r.try_get(1)?,
        status: r.try_get(2)?,
        channel: r.try_get(3)?,
        dispute_type: r.try_get(4)?,
        severity: r.try_get(5)?,
        track: r.try_get(6)?,
        division: r.try_get(7)?,
        grid: r.try_get(8)?,
        holder_org: r.try_get(9)?,
        holder_org_name: r.try_get(10)?,
        holder_person: r.try_get(11)?,
        description: r.try_get(12)?,
        amount_fen: r.try_get(13)?,
        head_count: r.try_get(14)?,
        party_names: r.try_get(15)?,
        outcome: r.try_get(16)?,
        sessions: r.try_get(17)?,
        follow_ups: r.try_get(18)?,
        satisfaction: r.try_get(19)?,
        registered_at: r.try_get(20)?,
        updated_at: r.try_get(21)?,
        closed_at: r.try_get(22)?,
        version: r.try_get(23)?,
        head_hash: r.try_get(24)?,
        address: r.try_get(25)?,
        clocks: r.try_get(26)?,
        overdue_since: r.try_get(27)?,
        follow_up_due: r.try_get(28)?,
        due_rank: r.try_get(29)?,
        due_key: r.try_get(30)?,
    })
}

async fn insert_events(tx: &mut Transaction<'_, Postgres>, rows: &[EventRow]) -> Result<()> {
    for row in rows {
        sqlx::query(sql::INSERT_EVENT)
            .bind(&row.case_id)
            .bind(row.version)
            .bind(&row.kind)
            .bind(row.occurred_at)
            .bind(&row.actor_id)
            .bind(&row.division)
            .bind(row.recorded_at)
            .bind(&row.meta)
            .bind(&row.body)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .fetch_one(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Registers a case inside `tx`. Its `agg_cells` changes are added to `cells` for the caller to
/// write: a batch writes all of its cases' changes at the end, merged and in key order, so that
/// concurrent batches lock shared cells in one order and cannot deadlock, and a case whose
/// savepoint is rolled back adds nothing.
async fn create_in(
    tx: &mut Transaction<'_, Postgres>,
    new: NewCase,
    cells: &mut std::collections::BTreeMap<crate::insight::CellKey, (String, i64)>,
) -> Result<Committed> {
    let series = format!("{}-{:04}", new.prefix, new.year);
    let seq: i64 = sqlx::query_scalar(sql::NEXT_IN_SERIES)
        .bind(&series)
        .fetch_one(&mut **tx)
        .await?;
    let number = CaseNumber::new(&new.prefix, new.year, u64::try_from(seq).unwrap_or(0))
        .map_err(|e| StoreError::Domain(e.into()))?;
    let events = (new.build)(number)?;
    let plan = crate::rows::plan_create(new.id, &events, new.at)?;
    if let Some(fx) = crate::rows::registration_effects(new.effects, &events) {
        work::apply_in(tx, &fx, new.at).await?;
    }
    insert_events(tx, &plan.events).await?;
    exec(tx, sql::INSERT_CASE, &plan.case.binds()).await?;
    for party in &plan.parties {
        exec(tx, sql::INSERT_PARTY, party).await?;
    }
    insight::write_case_rows(tx, &plan.cells).await?;
    crate::insight::merge_cells(cells, plan.cells.cells);
    Ok(plan.committed)
}

/// Appends events inside `tx`: locks the projection row, checks the version, writes the events
/// and moves the projection.
async fn append_in(
    tx: &mut Transaction<'_, Postgres>,
    case_id: CaseId,
    expected_version: u64,
    events: Vec<Event>,
    state: Case,
    now: Timestamp,
) -> Result<Committed> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT version, head_hash FROM cases WHERE id = $1 FOR UPDATE")
            .bind(case_id.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    let Some((version, head_hash)) = head else {
        return Err(StoreError::NotFound);
    };
    let before = insight::stored(tx, &case_id.to_string()).await?;
    let plan = crate::rows::plan_append(
        case_id,
        expected_version,
        version,
        &head_hash,
        &events,
        &state,
        &before,
        now,
    )?;
    insert_events(tx, &plan.events).await?;
    let mut binds = plan.case.binds();
    binds.push(Bind::Int(version));
    if exec(tx, sql::UPDATE_CASE, &binds).await? != 1 {
        return Err(StoreError::Conflict {
            expected: expected_version,
            actual: u64::try_from(version).unwrap_or(0),
        });
    }
    insight::write(tx, &plan.cells).await?;
    Ok(plan.committed)
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self, at: Timestamp) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Serialises concurrent migrators (several servers starting at once).
        sqlx::query("SELECT pg_advisory_xact_lock(7206524019)")
            .execute(&mut *tx)
            .await?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        for (version, name, ddl) in MIGRATIONS {
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_none() {
                sqlx::raw_sql(*ddl).execute(&mut *tx).await?;
                if *version == 5 {
                    // The new clock columns can only be computed by folding events.
                    work::backfill_clocks(&mut tx).await?;
                }
                if *version == 7 {
                    // The queue order is read from each row's clocks.
                    work::backfill_due(&mut tx).await?;
                }
                if *version == 11 {
                    // The indicator cells (migrations 8 and 11) are folded from the log
                    // once both tables exist (ADR 0010).
                    insight::backfill(&mut tx).await?;
                }
                sqlx::query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                )
                .bind(version)
                .bind(name)
                .bind(at.micros())
                .execute(&mut *tx)
                .await?;
                tracing::info!(version, name, "applied PostgreSQL migration");
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn put_division(&self, d: &Division) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        exec(
            &mut tx,
            sql::UPSERT_DIVISION,
            &crate::rows::division_binds(d),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn divisions(&self) -> Result<Vec<Division>> {
        let rows = sqlx::query(sql::SELECT_DIVISIONS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                crate::rows::division_from_row(
                    &r.try_get::<String, _>(0)?,
                    &r.try_get::<String, _>(1)?,
                    r.try_get::<Option<String>, _>(2)?.as_deref(),
                    r.try_get(3)?,
                )
            })
            .collect()
    }

    async fn put_organisation(&self, o: &Organisation) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        exec(
            &mut tx,
            sql::UPSERT_ORGANISATION,
            &crate::rows::organisation_binds(o)?,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn organisations(&self) -> Result<Vec<Organisation>> {
        let rows = sqlx::query(sql::SELECT_ORGANISATIONS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                crate::rows::organisation_from_row(
                    &r.try_get::<String, _>(0)?,
                    &r.try_get::<String, _>(1)?,
                    &r.try_get::<String, _>(2)?,
                    &r.try_get::<String, _>(3)?,
                )
            })
            .collect()
    }

    async fn put_user(&self, u: &User) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        exec(&mut tx, sql::UPSERT_USER, &crate::rows::user_binds(u)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(sql::SELECT_USERS).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                crate::rows::user_from_row(
                    &r.try_get::<String, _>(0)?,
                    &r.try_get::<String, _>(1)?,
                    &r.try_get::<String, _>(2)?,
                    &r.try_get::<String, _>(3)?,
                    &r.try_get::<String, _>(4)?,
                    r.try_get::<Option<String>, _>(5)?.as_deref(),
                )
            })
            .collect()
    }

    async fn create_case(&self, new: NewCase) -> Result<Committed> {
        let mut tx = self.pool.begin().await?;
        let mut cells = std::collections::BTreeMap::new();
        let out = create_in(&mut tx, new, &mut cells).await?;
        insight::write_cells(&mut tx, &cells).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn create_cases(&self, new: Vec<NewCase>) -> Result<Vec<Result<Committed>>> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(new.len());
        let mut cells = std::collections::BTreeMap::new();
        for n in new {
            sqlx::query("SAVEPOINT one").execute(&mut *tx).await?;
            let mut mine = std::collections::BTreeMap::new();
            let r = create_in(&mut tx, n, &mut mine).await;
            let end = if r.is_ok() {
                crate::insight::merge_cells(&mut cells, mine);
                "RELEASE SAVEPOINT one"
            } else {
                "ROLLBACK TO SAVEPOINT one"
            };
            sqlx::query(end).execute(&mut *tx).await?;
            out.push(r);
        }
        insight::write_cells(&mut tx, &cells).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn append(
        &self,
        case_id: CaseId,
        expected_version: u64,
        events: Vec<Event>,
        state: Case,
        at: Timestamp,
    ) -> Result<Committed> {
        self.append_with(
            case_id,
            expected_version,
            events,
            state,
            crate::work::Effects::default(),
            at,
        )
        .await
    }

    async fn events(&self, case_id: CaseId) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(sql::SELECT_EVENTS)
            .bind(case_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| event_row(r)?.decode()).collect()
    }

    async fn find_by_number(&self, number: &CaseNumber) -> Result<Option<CaseId>> {
        let id: Option<String> = sqlx::query_scalar(sql::FIND_BY_NUMBER)
            .bind(number.as_str())
            .fetch_optional(&self.pool)
            .await?;
        id.as_deref().map(crate::rows::parse_case_id).transpose()
    }

    async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let (query, binds) = sql::list_query(filter);
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(query)), &binds)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| case_row(r)?.to_summary()).collect()
    }

    async fn open_load(&self) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(sql::OPEN_LOAD).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(o, n)| (o, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn count_by_status(&self, filter: &CaseFilter) -> Result<Vec<(Status, u64)>> {
        let (query, binds) = sql::count_query(filter);
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(query)), &binds)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
            .collect::<Result<Vec<_>>>()?;
        crate::rows::status_counts(rows)
    }

    async fn checkpoint(&self, at: Timestamp) -> Result<Option<Checkpoint>> {
        let mut tx = self.pool.begin().await?;
        // One checkpointer at a time, and no append can slip between reading heads and writing.
        sqlx::query("LOCK TABLE checkpoints IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        sqlx::query("LOCK TABLE events IN SHARE MODE")
            .execute(&mut *tx)
            .await?;
        let last: Option<(i64, i64, String)> = sqlx::query_as(sql::LAST_CHECKPOINT)
            .fetch_optional(&mut *tx)
            .await?;
        let (max_seq, events): (i64, i64) = sqlx::query_as(sql::MAX_SEQ_AND_COUNT)
            .fetch_one(&mut *tx)
            .await?;
        let since = last.as_ref().map_or(0, |l| l.1);
        if max_seq <= since {
            return Ok(None);
        }
        let heads: Vec<(String, i64, String)> = sqlx::query_as(sql::HEADS_SINCE)
            .bind(since)
            .fetch_all(&mut *tx)
            .await?;
        let plan = crate::rows::plan_checkpoint(last, at, max_seq, events, heads)?;
        exec(&mut tx, sql::INSERT_CHECKPOINT, &plan.row).await?;
        for h in &plan.heads {
            exec(&mut tx, sql::INSERT_CHECKPOINT_HEAD, h).await?;
        }
        tx.commit().await?;
        Ok(Some(plan.checkpoint))
    }

    async fn audit(&self) -> Result<AuditReport> {
        // A repeatable-read snapshot, so a concurrent append cannot look like tampering.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let checkpoints =
            sqlx::query_as::<_, (i64, i64, i64, i64, i64, String, String)>(sql::SELECT_CHECKPOINTS)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(
                    |(id, created_at, max_seq, events, heads, prev_hash, hash)| CheckpointRow {
                        id,
                        created_at,
                        max_seq,
                        events,
                        heads,
                        prev_hash,
                        hash,
                    },
                )
                .collect();
        let heads: Vec<(i64, String, i64, String)> = sqlx::query_as(sql::SELECT_CHECKPOINT_HEADS)
            .fetch_all(&mut *tx)
            .await?;
        let projections = sqlx::query(sql::SELECT_CASES)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(case_row)
            .collect::<Result<Vec<_>>>()?;
        let series: Vec<(String, i64)> = sqlx::query_as(sql::SELECT_SERIES)
            .fetch_all(&mut *tx)
            .await?;
        let mut verifier = Verifier::new(checkpoints, heads, projections, series);
        {
            let mut stream = sqlx::query(sql::SELECT_ALL_EVENTS).fetch(&mut *tx);
            while let Some(r) = stream.try_next().await? {
                verifier.feed(event_row(&r)?);
            }
        }
        tx.commit().await?;
        Ok(verifier.finish())
    }
}
