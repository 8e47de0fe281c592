//! The case store: an append-only, hash-chained event store with current-state projections.
//!
//! [`Store`] is the interface the application programs against. Two implementations exist:
//! [`sqlite::SqliteStore`] (the embedded default; one file, WAL, group commit through a single
//! writer thread) and [`postgres::PgStore`] (the scale-out backend). Both share the SQL where the
//! dialects agree ([`sql`]), the event codec and hash chain ([`chain`]), and the audit walk
//! ([`audit`]); each keeps its own migrations.
//!
//! Architecture invariant: an event and the projection rows it changes are written in the same
//! transaction, so no reader ever sees one without the other.

pub mod accounts;
pub mod audit;
pub mod chain;
pub mod documents;
pub mod field;
pub mod insight;
pub mod models;
pub mod postgres;
pub mod rows;
pub mod service;
pub mod sql;
pub mod sqlite;
pub mod warnings;
pub mod work;

use std::sync::Arc;

use async_trait::async_trait;
use hejie_domain::DomainError;
use hejie_domain::case::{Case, CaseId, CaseNumber, CaseState, Event, Status};
use hejie_domain::division::{Division, DivisionCode};
use hejie_domain::org::Organisation;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;

pub use accounts::{AccountStore, LoginInfo, Session, Verification};
pub use audit::{AuditReport, Problem};
pub use chain::StoredEvent;
pub use documents::DocumentStore;
pub use field::FieldStore;
pub use insight::InsightStore;
pub use models::ModelStore;
pub use warnings::WarningStore;
pub use work::WorkStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else appended to the case first (optimistic concurrency).
    #[error("案件已被他人更新（期望版本 {expected}，当前版本 {actual}），请刷新后重试")]
    Conflict { expected: u64, actual: u64 },
    #[error("案件不存在")]
    NotFound,
    #[error("记录重复：{0}")]
    Duplicate(String),
    /// The domain refused a command built inside the store (registration).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A claimed job's lease expired or was taken over before its effects committed.
    #[error("job lease lost")]
    LeaseLost,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, msg) = &e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
        {
            return StoreError::Duplicate(msg.clone().unwrap_or_else(|| e.to_string()));
        }
        StoreError::Database(e.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Duplicate(db.message().to_owned());
        }
        StoreError::Database(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Builds the events of a new case once the store has allocated its number.
pub type BuildCase = Box<dyn FnOnce(CaseNumber) -> Result<Vec<Event>, DomainError> + Send>;

/// Derives the effects of a registration (its first scheduled check, notifications) from the
/// new case and its version, once its events are built.
pub type CaseEffects = Box<dyn FnOnce(&Case, u64) -> work::Effects + Send>;

/// A request to register a new case.
pub struct NewCase {
    pub id: CaseId,
    /// The 6-digit county prefix of the case number.
    pub prefix: String,
    /// The year of the case number (China Standard Time).
    pub year: i32,
    /// When the registration is recorded: the application's clock, never the store's (the store
    /// reads no clock, so a test that fixes the application's time fixes every stamp).
    pub at: Timestamp,
    pub build: BuildCase,
    /// Applied in the same transaction as the registration, so a registered case never lacks its
    /// first time-limit check.
    pub effects: Option<CaseEffects>,
}

impl std::fmt::Debug for NewCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewCase({}, {}-{})", self.id, self.prefix, self.year)
    }
}

/// What an append made durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub case_id: CaseId,
    pub number: CaseNumber,
    /// The stream's version after the append (number of events).
    pub version: u64,
    pub head_hash: String,
}

/// A row of the case list, read from the projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub id: CaseId,
    pub number: CaseNumber,
    pub status: Status,
    pub channel: String,
    pub dispute_type: Option<String>,
    pub severity: Option<String>,
    pub division: DivisionCode,
    pub holder_org: Option<String>,
    pub holder_org_name: Option<String>,
    pub description: String,
    pub party_names: String,
    pub registered_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// Filters for the case list. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only cases located inside this division's subtree (or its grids).
    pub within: Option<DivisionCode>,
    /// With `within`: also cases this organisation holds, wherever they are located.
    pub or_held_by: Option<String>,
    /// Only open cases registered before this instant (overdue).
    pub open_registered_before: Option<Timestamp>,
    pub status: Option<Status>,
    pub dispute_type: Option<String>,
    pub holder_org: Option<String>,
    pub registered_from: Option<Timestamp>,
    pub registered_to: Option<Timestamp>,
    /// Keyed hash of a party's ID number or phone.
    pub party_hash: Option<String>,
    /// Exact address where the dispute arose.
    pub address: Option<String>,
    /// Cursor: only cases registered before this (registered_at, id) pair, newest first.
    pub before: Option<(Timestamp, CaseId)>,
    pub limit: u32,
}

/// A checkpoint over all chain heads: see `docs/adr/0002-hash-chains-and-checkpoints.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub id: i64,
    pub created_at: Timestamp,
    pub max_seq: i64,
    pub events: i64,
    pub heads: i64,
    pub hash: String,
}

/// The case store. Implemented by [`sqlite::SqliteStore`] and [`postgres::PgStore`].
#[async_trait]
pub trait Store:
    AccountStore
    + ModelStore
    + WorkStore
    + InsightStore
    + DocumentStore
    + FieldStore
    + WarningStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// Which backend this is: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Brings the schema up to date, recording each migration applied as applied `at`. Safe to
    /// run repeatedly.
    async fn migrate(&self, at: Timestamp) -> Result<()>;

    async fn put_division(&self, division: &Division) -> Result<()>;
    async fn divisions(&self) -> Result<Vec<Division>>;
    async fn put_organisation(&self, organisation: &Organisation) -> Result<()>;
    async fn organisations(&self) -> Result<Vec<Organisation>>;
    async fn put_user(&self, user: &User) -> Result<()>;
    async fn users(&self) -> Result<Vec<User>>;

    /// Allocates the next case number in the series and records the case's first events, all in
    /// one transaction (a failed registration leaves no gap in the numbers).
    async fn create_case(&self, new: NewCase) -> Result<Committed>;

    /// Registers many cases in one transaction (bulk import and generation).
    async fn create_cases(&self, new: Vec<NewCase>) -> Result<Vec<Result<Committed>>>;

    /// Appends events to a case if its stream is still at `expected_version`; `state` is the case
    /// after the events, written to the projection in the same transaction. The rows are stamped
    /// as recorded `at`.
    async fn append(
        &self,
        case_id: CaseId,
        expected_version: u64,
        events: Vec<Event>,
        state: Case,
        at: Timestamp,
    ) -> Result<Committed>;

    /// The case's stream, oldest first, with hashes.
    async fn events(&self, case_id: CaseId) -> Result<Vec<StoredEvent>>;

    async fn find_by_number(&self, number: &CaseNumber) -> Result<Option<CaseId>>;

    async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>>;

    /// How many cases match the filter, by status (the filter's cursor and limit are ignored).
    async fn count_by_status(&self, filter: &CaseFilter) -> Result<Vec<(Status, u64)>>;

    /// Open cases per holder organisation (id → count): the load routing balances.
    async fn open_load(&self) -> Result<Vec<(String, u64)>>;

    /// Records a checkpoint over the heads of every case changed since the last one.
    /// Returns `None` when nothing changed.
    async fn checkpoint(&self, at: Timestamp) -> Result<Option<Checkpoint>>;

    /// Walks every chain, every checkpoint and the projections, and reports what does not hold.
    async fn audit(&self) -> Result<AuditReport>;

    /// Rebuilds a case's state from its events.
    async fn load(&self, case_id: CaseId) -> Result<CaseState> {
        let events = self.events(case_id).await?;
        Ok(CaseState::replay(events.iter().map(|e| &e.event)))
    }
}

/// Opens the store a URL names: `sqlite:path/to/file.db` (or a path ending in `.db`) or
/// `postgres://…`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Ok(Arc::new(sqlite::SqliteStore::open(path)?))
    }
}
