//! The embedded SQLite backend: one file, WAL, `synchronous = FULL` (every commit is durable).
//!
//! Threading model: all writes go through one dedicated writer thread that owns the only writing
//! connection. It takes every write waiting in its queue, runs each inside its own savepoint of
//! one transaction, commits once, and only then answers the callers (group commit). A failed
//! write rolls back to its savepoint without disturbing the others in the batch. Reads use a
//! small pool of separate connections and run on tokio's blocking threads; WAL lets them proceed
//! while the writer commits. At most as many reads run at once as the pool holds connections;
//! the others wait for one (asynchronously), because opening a connection per read would parse
//! the schema and prepare every statement again.

mod accounts;
mod documents;
mod field;
mod insight;
mod models;
mod warnings;
mod work;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hejie_domain::case::{Case, CaseId, CaseNumber, Event, Status};
use hejie_domain::division::Division;
use hejie_domain::org::Organisation;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params_from_iter};
use tokio::sync::Semaphore;

use crate::audit::{AuditReport, CheckpointRow, Verifier};
use crate::chain::{EventRow, StoredEvent};
use crate::sql::{self, Bind, CaseRow, for_sqlite};
use crate::work::WorkStore;
use crate::{CaseFilter, CaseSummary, Checkpoint, Committed, NewCase, Result, Store, StoreError};

use writer::Writer;

/// How many read connections stay open, which is also how many reads run at once.
fn reader_count() -> usize {
    std::thread::available_parallelism().map_or(8, |n| (n.get() * 2).clamp(8, 64))
}

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "accounts",
        include_str!("../../migrations/sqlite/0002_accounts.sql"),
    ),
    (
        3,
        "case_address",
        include_str!("../../migrations/sqlite/0003_case_address.sql"),
    ),
    (
        4,
        "models",
        include_str!("../../migrations/sqlite/0004_models.sql"),
    ),
    (
        5,
        "work",
        include_str!("../../migrations/sqlite/0005_work.sql"),
    ),
    (
        6,
        "settings",
        include_str!("../../migrations/sqlite/0006_settings.sql"),
    ),
    (
        7,
        "queue_order",
        include_str!("../../migrations/sqlite/0007_queue_order.sql"),
    ),
    (
        8,
        "insight",
        include_str!("../../migrations/sqlite/0008_insight.sql"),
    ),
    (
        9,
        "warnings",
        include_str!("../../migrations/sqlite/0009_warnings.sql"),
    ),
    (
        10,
        "documents",
        include_str!("../../migrations/sqlite/0010_documents.sql"),
    ),
    (
        11,
        "month_cells",
        include_str!("../../migrations/sqlite/0011_month_cells.sql"),
    ),
    (
        12,
        "open_area",
        include_str!("../../migrations/sqlite/0012_open_area.sql"),
    ),
    (
        13,
        "document_digest",
        include_str!("../../migrations/sqlite/0013_document_digest.sql"),
    ),
    (
        14,
        "field",
        include_str!("../../migrations/sqlite/0014_field.sql"),
    ),
];

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One permit per read connection.
    reading: Arc<Semaphore>,
    max_readers: usize,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteStore({})", self.path.display())
    }
}

/// Settings of the writing connection. `synchronous = FULL` makes every commit durable (fsync of
/// the WAL). Savepoint journals stay in memory (they only matter until the batch commits), and the
/// WAL is checkpointed every 8,000 pages rather than 1,000 so commits rarely pay for a checkpoint.
///
/// The page cache is 64 MiB per connection unless `HEJIE_SQLITE_CACHE_MIB` says otherwise: a
/// bulk load of millions of cases inserts into a dozen indexes at random places, and runs several
/// times faster when those indexes stay in memory.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    let cache_mib: i64 = std::env::var("HEJIE_SQLITE_CACHE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=1_048_576).contains(n))
        .unwrap_or(64);
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -{};
         PRAGMA wal_autocheckpoint = 8000;",
        cache_mib * 1024
    ))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        configure(&conn)?;
        let max_readers = reader_count();
        Ok(Self {
            writer: Writer::spawn(conn)?,
            readers: Arc::new(Mutex::new(Vec::new())),
            reading: Arc::new(Semaphore::new(max_readers)),
            max_readers,
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on a pooled read connection on a blocking thread.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let pool = self.readers.clone();
        let path = self.path.clone();
        let max = self.max_readers;
        let permit = self
            .reading
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Database("read pool closed".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let taken = pool.lock().map_err(|_| poisoned())?.pop();
            let conn = match taken {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(
                        &path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    c.execute_batch("PRAGMA busy_timeout = 10000;")?;
                    // Keep each cached statement's plan: without this, a statement with
                    // `LIKE ?` (the case list's area filter) is prepared again whenever a new
                    // value is bound, which cost about as much as running it.
                    c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
                    c
                }
            };
            let out = f(&conn);
            if let Ok(mut p) = pool.lock()
                && p.len() < max
            {
                p.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Database(format!("read task failed: {e}")))?
    }

    /// Copies the live database into `dest` with SQLite's online backup API; writers keep going.
    pub async fn backup_to(&self, dest: &Path) -> Result<()> {
        let dest = dest.to_path_buf();
        self.read(move |conn| {
            let mut out = Connection::open(&dest)?;
            {
                let backup = rusqlite::backup::Backup::new(conn, &mut out)?;
                backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
            }
            out.execute_batch("PRAGMA journal_mode = DELETE;")?;
            Ok(())
        })
        .await
    }
}

/// Checks that `backup` is a sound hejie database and copies it over `target` atomically.
/// The server must not be running on `target`.
pub fn restore(backup: &Path, target: &Path) -> Result<()> {
    {
        let conn = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(StoreError::Corrupt(format!(
                "backup fails integrity check: {check}"
            )));
        }
        let has_events: i64 = conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'",
            [],
            |r| r.get(0),
        )?;
        if has_events != 1 {
            return Err(StoreError::Corrupt("not a hejie database".to_owned()));
        }
    }
    let tmp = target.with_extension("restoring");
    std::fs::copy(backup, &tmp).map_err(|e| StoreError::Database(e.to_string()))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(|e| StoreError::Database(e.to_string()))?;
        }
    }
    std::fs::rename(&tmp, target).map_err(|e| StoreError::Database(e.to_string()))?;
    Ok(())
}

fn poisoned() -> StoreError {
    StoreError::Database("connection pool poisoned".to_owned())
}

/// Binds are passed to SQLite borrowed: a statement's text values are not copied to bind them.
impl rusqlite::ToSql for Bind {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Bind::Null | Bind::NullInt => ValueRef::Null,
            Bind::Text(s) => ValueRef::Text(s.as_bytes()),
            Bind::Int(i) => ValueRef::Integer(*i),
        }))
    }
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        seq: r.get(0)?,
        case_id: r.get(1)?,
        version: r.get(2)?,
        kind: r.get(3)?,
        occurred_at: r.get(4)?,
        actor_id: r.get(5)?,
        division: r.get(6)?,
        recorded_at: r.get(7)?,
        meta: r.get(8)?,
        body: r.get(9)?,
        prev_hash: r.get(10)?,
        hash: r.get(11)?,
    })
}

fn case_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseRow> {
    Ok(CaseRow {
        id: r.get(0)?,
        number: r.get(1)?,
        status: r.get(2)?,
        channel: r.get(3)?,
        dispute_type: r.get(4)?,
        severity: r.get(5)?,
        track: r.get(6)?,
        division: r.get(7)?,
        grid: r.get(8)?,
        holder_org: r.get(9)?,
        holder_org_name: r.get(10)?,
        holder_person: r.get(11)?,
        description: r.get(12)?,
        amount_fen: r.get(13)?,
        head_count: r.get(14)?,
        party_names: r.get(15)?,
        outcome: r.get(16)?,
        sessions: r.get(17)?,
        follow_ups: r.get(18)?,
        satisfaction: r.get(19)?,
        registered_at: r.get(20)?,
        updated_at: r.get(21)?,
        closed_at: r.get(22)?,
        version: r.get(23)?,
        head_hash: r.get(24)?,
        address: r.get(25)?,
        clocks: r.get(26)?,
        overdue_since: r.get(27)?,
        follow_up_due: r.get(28)?,
        due_rank: r.get(29)?,
        due_key: r.get(30)?,
    })
}

fn exec(conn: &Connection, sql: &str, binds: &[Bind]) -> Result<usize> {
    let mut stmt = conn.prepare_cached(&for_sqlite(sql))?;
    Ok(stmt.execute(params_from_iter(binds.iter()))?)
}

/// Inserts a sealed event row and returns its global sequence number. The statement runs to
/// completion (`RETURNING` read by `query_row` would reset it mid-way, which makes SQLite close
/// its statement journal the slow way).
fn insert_event(conn: &Connection, row: &EventRow) -> Result<i64> {
    let mut stmt = conn.prepare_cached(INSERT_EVENT_SQLITE)?;
    stmt.execute(rusqlite::params![
        row.case_id,
        row.version,
        row.kind,
        row.occurred_at,
        row.actor_id,
        row.division,
        row.recorded_at,
        row.meta,
        row.body,
        row.prev_hash,
        row.hash
    ])?;
    Ok(conn.last_insert_rowid())
}

/// [`sql::INSERT_EVENT`] without its `RETURNING` clause, in SQLite's placeholders.
const INSERT_EVENT_SQLITE: &str = "INSERT INTO events (case_id, version, kind, occurred_at, \
     actor_id, division, recorded_at, meta, body, prev_hash, hash) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// The case-number series of a new case: its county prefix and year.
fn series_of(new: &NewCase) -> String {
    format!("{}-{:04}", new.prefix, new.year)
}

/// Builds a new case's events with case number `seq` of its series and plans its rows.
fn plan_new(
    new: NewCase,
    seq: i64,
) -> Result<(crate::rows::WritePlan, Option<crate::work::Effects>)> {
    let number = CaseNumber::new(&new.prefix, new.year, u64::try_from(seq).unwrap_or(0))
        .map_err(|e| StoreError::Domain(e.into()))?;
    let events = (new.build)(number)?;
    let plan = crate::rows::plan_create(new.id, &events, new.at)?;
    Ok((
        plan,
        crate::rows::registration_effects(new.effects, &events),
    ))
}

/// Writes a planned new case's rows: the effects of its registration, its events, its
/// projection and its parties. Its indicator cells are left to the caller, who writes them
/// alone or summed with a batch's.
fn insert_new(
    conn: &Connection,
    plan: &crate::rows::WritePlan,
    effects: Option<&crate::work::Effects>,
    now: Timestamp,
) -> Result<()> {
    if let Some(fx) = effects {
        work::apply_effects(conn, fx, now)?;
    }
    for row in &plan.events {
        insert_event(conn, row)?;
    }
    exec(conn, sql::INSERT_CASE, &plan.case.binds())?;
    for party in &plan.parties {
        exec(conn, sql::INSERT_PARTY, party)?;
    }
    Ok(())
}

fn create_case(conn: &Connection, new: NewCase) -> Result<Committed> {
    let seq: i64 = conn
        .prepare_cached(&for_sqlite(sql::NEXT_IN_SERIES))?
        .query_row([&series_of(&new)], |r| r.get(0))?;
    let at = new.at;
    let (plan, effects) = plan_new(new, seq)?;
    insert_new(conn, &plan, effects.as_ref(), at)?;
    insight::write(conn, &plan.cells)?;
    Ok(plan.committed)
}

/// Registers a batch of new cases as one write, for bulk import and generation.
///
/// Equivalent to [`create_case`] per item, each succeeding or failing on its own, but without a
/// savepoint per case and with the batch's indicator cells summed before they are written (many
/// cases of a batch share a township's or the county's cells). What makes a single registration
/// fail is decided before anything is written, so a refused item leaves no trace and no gap in
/// the case numbers: a domain error from building its events, or an id that is already taken
/// (in the database or earlier in the batch). Any other error is the database's own, and fails
/// the whole batch.
fn create_many(conn: &Connection, items: Vec<NewCase>) -> Result<Vec<Result<Committed>>> {
    // The next number of each series the batch touches, allocated in memory and stored once.
    let mut next: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut ids = std::collections::HashSet::new();
    type Planned = (
        crate::rows::WritePlan,
        Option<crate::work::Effects>,
        Timestamp,
    );
    let mut planned: Vec<Result<Planned>> = Vec::with_capacity(items.len());
    let mut taken = conn.prepare_cached("SELECT 1 FROM cases WHERE id = ?1")?;
    let mut series_next = conn.prepare_cached("SELECT next FROM case_series WHERE series = ?1")?;
    for new in items {
        let id = new.id.to_string();
        if !ids.insert(id.clone()) || taken.exists([&id])? {
            planned.push(Err(StoreError::Duplicate(format!("案件 {id} 已存在"))));
            continue;
        }
        let series = series_of(&new);
        let seq = match next.get(&series) {
            Some(n) => *n,
            None => series_next
                .query_row([&series], |r| r.get::<_, i64>(0))
                .optional()?
                .unwrap_or(1),
        };
        let at = new.at;
        let plan = plan_new(new, seq).map(|(plan, effects)| (plan, effects, at));
        if plan.is_ok() {
            next.insert(series, seq + 1);
        } else {
            // The id stays free for a later, valid attempt.
            ids.remove(&id);
        }
        planned.push(plan);
    }
    let mut store_next = conn.prepare_cached(
        "INSERT INTO case_series (series, next) VALUES (?1, ?2) \
         ON CONFLICT (series) DO UPDATE SET next = excluded.next",
    )?;
    for (series, n) in &next {
        store_next.execute(rusqlite::params![series, n])?;
    }
    let mut cells = crate::insight::CellPlan::default();
    let mut out = Vec::with_capacity(planned.len());
    for item in planned {
        out.push(match item {
            Ok((plan, effects, at)) => {
                insert_new(conn, &plan, effects.as_ref(), at)?;
                let crate::insight::CellPlan {
                    cells: deltas,
                    case_upserts,
                    case_deletes,
                } = plan.cells;
                crate::insight::merge_cells(&mut cells.cells, deltas);
                cells.case_upserts.extend(case_upserts);
                cells.case_deletes.extend(case_deletes);
                Ok(plan.committed)
            }
            Err(e) => Err(e),
        });
    }
    insight::write(conn, &cells)?;
    Ok(out)
}

fn append(
    conn: &Connection,
    case_id: CaseId,
    expected: u64,
    events: Vec<Event>,
    state: Case,
    now: Timestamp,
) -> Result<Committed> {
    let head: Option<(i64, String)> = conn
        .prepare_cached("SELECT version, head_hash FROM cases WHERE id = ?1")?
        .query_row([case_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((version, head_hash)) = head else {
        return Err(StoreError::NotFound);
    };
    let before = insight::stored(conn, &case_id.to_string())?;
    let plan = crate::rows::plan_append(
        case_id, expected, version, &head_hash, &events, &state, &before, now,
    )?;
    for row in &plan.events {
        insert_event(conn, row)?;
    }
    let mut binds = plan.case.binds();
    binds.push(Bind::Int(version));
    if exec(conn, sql::UPDATE_CASE, &binds)? != 1 {
        return Err(StoreError::Conflict {
            expected,
            actual: u64::try_from(version).unwrap_or(0),
        });
    }
    insight::write(conn, &plan.cells)?;
    Ok(plan.committed)
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self, at: Timestamp) -> Result<()> {
        // Alone: a migration that backfills rewrites whole tables.
        self.writer
            .write_alone(move |conn| {
                conn.execute_batch(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                )?;
                for (version, name, ddl) in MIGRATIONS {
                    let done: Option<i64> = conn
                        .query_row(
                            "SELECT version FROM schema_migrations WHERE version = ?1",
                            [version],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if done.is_none() {
                        conn.execute_batch(ddl)?;
                        if *version == 5 {
                            // The new clock columns can only be computed by folding events.
                            work::backfill_clocks(conn)?;
                        }
                        if *version == 7 {
                            // The queue order is read from each row's clocks.
                            work::backfill_due(conn)?;
                        }
                        if *version == 11 {
                            // The indicator cells (migrations 8 and 11) are folded from the log
                            // once both tables exist (ADR 0010).
                            insight::backfill(conn)?;
                        }
                        conn.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                            rusqlite::params![version, name, at.micros()],
                        )?;
                        tracing::info!(version, name, "applied SQLite migration");
                    }
                }
                Ok(())
            })
            .await
    }

    async fn put_division(&self, d: &Division) -> Result<()> {
        let binds = crate::rows::division_binds(d);
        self.writer
            .write(move |conn| exec(conn, sql::UPSERT_DIVISION, &binds).map(|_| ()))
            .await
    }

    async fn divisions(&self) -> Result<Vec<Division>> {
        let rows: Vec<(String, String, Option<String>, i64)> = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(sql::SELECT_DIVISIONS)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter()
            .map(|(c, n, p, pop)| crate::rows::division_from_row(&c, &n, p.as_deref(), pop))
            .collect()
    }

    async fn put_organisation(&self, o: &Organisation) -> Result<()> {
        let binds = crate::rows::organisation_binds(o)?;
        self.writer
            .write(move |conn| exec(conn, sql::UPSERT_ORGANISATION, &binds).map(|_| ()))
            .await
    }

    async fn organisations(&self) -> Result<Vec<Organisation>> {
        let rows: Vec<(String, String, String, String)> = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(sql::SELECT_ORGANISATIONS)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter()
            .map(|(id, name, div, kind)| {
                crate::rows::organisation_from_row(&id, &name, &div, &kind)
            })
            .collect()
    }

    async fn put_user(&self, u: &User) -> Result<()> {
        let binds = crate::rows::user_binds(u);
        self.writer
            .write(move |conn| exec(conn, sql::UPSERT_USER, &binds).map(|_| ()))
            .await
    }

    async fn users(&self) -> Result<Vec<User>> {
        type Row = (String, String, String, String, String, Option<String>);
        let rows: Vec<Row> = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(sql::SELECT_USERS)?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter()
            .map(|(id, username, name, role, jur, org)| {
                crate::rows::user_from_row(&id, &username, &name, &role, &jur, org.as_deref())
            })
            .collect()
    }

    async fn create_case(&self, new: NewCase) -> Result<Committed> {
        self.writer.write(move |conn| create_case(conn, new)).await
    }

    async fn create_cases(&self, new: Vec<NewCase>) -> Result<Vec<Result<Committed>>> {
        self.writer
            .write_alone(move |conn| create_many(conn, new))
            .await
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
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(sql::SELECT_EVENTS))?;
                let rows = stmt
                    .query_map([case_id.to_string()], event_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.iter().map(EventRow::decode).collect()
    }

    async fn find_by_number(&self, number: &CaseNumber) -> Result<Option<CaseId>> {
        let number = number.to_string();
        let id: Option<String> = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(sql::FIND_BY_NUMBER))?
                    .query_row([number], |r| r.get(0))
                    .optional()?)
            })
            .await?;
        id.as_deref().map(crate::rows::parse_case_id).transpose()
    }

    async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let (query, binds) = sql::list_query(filter);
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(&query))?;
                let rows = stmt
                    .query_map(params_from_iter(binds.iter()), case_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.iter().map(CaseRow::to_summary).collect()
    }

    async fn open_load(&self) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(String, i64)> = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(sql::OPEN_LOAD)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(o, n)| (o, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn count_by_status(&self, filter: &CaseFilter) -> Result<Vec<(Status, u64)>> {
        let (query, binds) = sql::count_query(filter);
        let rows: Vec<(String, i64)> = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(&query))?;
                let rows = stmt
                    .query_map(params_from_iter(binds.iter()), |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        crate::rows::status_counts(rows)
    }

    async fn checkpoint(&self, at: Timestamp) -> Result<Option<Checkpoint>> {
        self.writer
            .write(move |conn| {
                let last: Option<(i64, i64, String)> = conn
                    .query_row(sql::LAST_CHECKPOINT, [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                let (max_seq, events): (i64, i64) =
                    conn.query_row(sql::MAX_SEQ_AND_COUNT, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let since = last.as_ref().map_or(0, |l| l.1);
                if max_seq <= since {
                    return Ok(None);
                }
                let mut stmt = conn.prepare_cached(&for_sqlite(sql::HEADS_SINCE))?;
                let heads = stmt
                    .query_map([since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<Vec<(String, i64, String)>>>()?;
                let plan = crate::rows::plan_checkpoint(last, at, max_seq, events, heads)?;
                exec(conn, sql::INSERT_CHECKPOINT, &plan.row)?;
                for h in &plan.heads {
                    exec(conn, sql::INSERT_CHECKPOINT_HEAD, h)?;
                }
                Ok(Some(plan.checkpoint))
            })
            .await
    }

    async fn audit(&self) -> Result<AuditReport> {
        self.read(|conn| {
            let checkpoints = conn
                .prepare(sql::SELECT_CHECKPOINTS)?
                .query_map([], |r| {
                    Ok(CheckpointRow {
                        id: r.get(0)?,
                        created_at: r.get(1)?,
                        max_seq: r.get(2)?,
                        events: r.get(3)?,
                        heads: r.get(4)?,
                        prev_hash: r.get(5)?,
                        hash: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let heads = conn
                .prepare(sql::SELECT_CHECKPOINT_HEADS)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let projections = conn
                .prepare(sql::SELECT_CASES)?
                .query_map([], case_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let series = conn
                .prepare(sql::SELECT_SERIES)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut verifier = Verifier::new(checkpoints, heads, projections, series);
            let mut stmt = conn.prepare(sql::SELECT_ALL_EVENTS)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                verifier.feed(event_row(r)?);
            }
            Ok(verifier.finish())
        })
        .await
    }
}
