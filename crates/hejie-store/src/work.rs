//! The closed loop's durable machinery: scheduled jobs, the notification outbox, work queues and
//! sweep tasks.
//!
//! Jobs and notifications are written in the same transaction as the case events that cause them
//! ([`WorkStore::append_with`]), so a reminder is never lost and never sent for something that
//! did not happen. Several server processes may share one database: a job is claimed with a lease
//! (a fresh token per claim), and its effects commit only while that lease is still held, so a
//! due job takes effect exactly once even when two nodes race for it or a node dies mid-job.

use async_trait::async_trait;
use hejie_domain::case::{Case, CaseId, CaseState, Clocks, Event};
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::UserId;
use uuid::Uuid;

use crate::chain::EventRow;
use crate::sql::{Bind, CASE_COLUMNS, CaseRow};
use crate::{CaseSummary, Committed, Result, StoreError};

/// A job to schedule. Jobs are identified by `key`: scheduling an existing key moves it (new due
/// time and payload, attempts reset, any lease dropped) instead of adding a second job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub key: String,
    pub kind: String,
    pub due_at: Timestamp,
    /// JSON text.
    pub payload: String,
}

/// The right to finish a claimed job: its id and the token of this claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLease {
    pub id: i64,
    pub token: String,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub lease: JobLease,
    pub key: String,
    pub kind: String,
    pub due_at: Timestamp,
    pub payload: String,
    /// Including this claim.
    pub attempts: u32,
}

/// A job as stored, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub due_at: Timestamp,
    /// `pending`, `done`, `cancelled` or `dead`.
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub done_at: Option<Timestamp>,
}

/// Counts of jobs by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub pending: u64,
    pub done: u64,
    pub cancelled: u64,
    pub dead: u64,
}

/// How a notification reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyChannel {
    /// The notification centre (通知中心); delivered when written.
    InApp,
    Sms,
    Email,
}

impl NotifyChannel {
    pub fn code(self) -> &'static str {
        match self {
            NotifyChannel::InApp => "in_app",
            NotifyChannel::Sms => "sms",
            NotifyChannel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in_app" => Some(NotifyChannel::InApp),
            "sms" => Some(NotifyChannel::Sms),
            "email" => Some(NotifyChannel::Email),
            _ => None,
        }
    }
}

/// A notification to write into the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub recipient: UserId,
    pub channel: NotifyChannel,
    pub title: String,
    pub body: String,
    pub case_id: Option<CaseId>,
    /// A key that makes writing the same notification twice a no-op (unique when present).
    pub dedupe: Option<String>,
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub recipient: UserId,
    pub channel: NotifyChannel,
    pub title: String,
    pub body: String,
    pub case_id: Option<CaseId>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    /// `delivered` (in-app), `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// A claimed SMS or e-mail delivery: the notification and the token of this claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub notification: Notification,
    pub token: String,
}

/// What happened to a delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent {
        at: Timestamp,
    },
    /// Try again at `retry_at`, or give up (`None`: status `failed`).
    Failed {
        error: String,
        retry_at: Option<Timestamp>,
    },
}

/// Side effects committed with (or without) a case append, atomically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    pub notify: Vec<NewNotification>,
    /// Upserts by key (see [`NewJob`]). Applied after `complete`, so a job may reschedule itself.
    pub schedule: Vec<NewJob>,
    /// Keys of pending jobs to cancel.
    pub cancel: Vec<String>,
    /// Marks a claimed job done; if the lease is no longer held (expired and claimed by another
    /// node, or the job was moved), the whole transaction fails with `StoreError::LeaseLost`.
    pub complete: Option<JobLease>,
}

impl Effects {
    pub fn is_empty(&self) -> bool {
        self.notify.is_empty()
            && self.schedule.is_empty()
            && self.cancel.is_empty()
            && self.complete.is_none()
    }
}

/// A case in a work queue or on the supervision board: its list entry and its clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub summary: CaseSummary,
    /// The user who signed for the case for its holder (the responsible person), if anyone has:
    /// an id, which callers look up for a name.
    pub holder_user_id: Option<UserId>,
    pub clocks: Clocks,
    /// When the scheduler marked the current stage overdue, which is after its deadline passed
    /// (by up to a polling interval, or longer if no scheduler ran). How long a case has been
    /// overdue counts from the deadline of its clocks, not from this.
    pub overdue_since: Option<Timestamp>,
    pub follow_up_due: Option<Timestamp>,
}

/// Which cases a work query returns. Only open cases, unless `follow_up_due_before` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkFilter {
    /// Held by one of these organisations (ids).
    pub held_by: Vec<String>,
    /// Located inside this division's subtree.
    pub within: Option<DivisionCode>,
    /// Only cases marked overdue in their current stage.
    pub overdue_only: bool,
    /// Closed cases whose follow-up is due before this instant, instead of open cases.
    pub follow_up_due_before: Option<Timestamp>,
    pub limit: u32,
    /// How many cases of the order to skip (for pages).
    pub offset: u32,
}

/// A periodic sweep (排查) for one division and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepTask {
    pub id: String,
    pub division: DivisionCode,
    /// The organisation responsible (the village committee, the township centre …), if known.
    pub organisation: Option<String>,
    pub period_start: Timestamp,
    /// The sweep is due by the end of its period.
    pub due_at: Timestamp,
    pub completed: Option<SweepCompletion>,
}

/// What a sweep found, recorded once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepCompletion {
    pub by: UserId,
    pub by_name: String,
    pub at: Timestamp,
    /// What was looked at and found, in the responsible person's words.
    pub findings: String,
    /// Cases registered from this sweep (empty for 无新情况).
    pub cases: Vec<CaseId>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepFilter {
    pub within: Option<DivisionCode>,
    pub organisation: Option<String>,
    /// Only sweeps not yet completed.
    pub open_only: bool,
    pub limit: u32,
}

#[async_trait]
pub trait WorkStore: Send + Sync {
    /// Appends events exactly like `Store::append` and applies `effects` in the same transaction,
    /// all stamped `at` (new notifications are due from then).
    async fn append_with(
        &self,
        case_id: CaseId,
        expected_version: u64,
        events: Vec<Event>,
        state: Case,
        effects: Effects,
        at: Timestamp,
    ) -> Result<Committed>;

    /// Applies effects that come with no case event, in one transaction, stamped `at`.
    async fn apply_effects(&self, effects: Effects, at: Timestamp) -> Result<()>;

    /// Claims up to `limit` pending jobs due at `now` whose lease is free or expired, oldest due
    /// first, leasing them until `lease_until`. Safe to call from several processes at once:
    /// no job is handed to two claimants while a lease holds.
    async fn claim_jobs(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Job>>;

    /// A claimed job failed: retry at `retry_at` (lease dropped) or give up (`dead`).
    /// Does nothing if the lease is no longer held.
    async fn fail_job(
        &self,
        lease: &JobLease,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()>;

    async fn job(&self, key: &str) -> Result<Option<JobInfo>>;
    async fn job_counts(&self) -> Result<JobCounts>;

    /// Every channel's notifications of a recipient, newest first (the notification centre
    /// shows the in-app ones).
    async fn notifications(&self, recipient: UserId, limit: u32) -> Result<Vec<Notification>>;
    /// Unread in-app notifications.
    async fn unread_count(&self, recipient: UserId) -> Result<u64>;
    /// Marks the recipient's notifications read (all of them when `ids` is `None`); returns how
    /// many changed. Other users' notifications are never touched.
    async fn mark_read(
        &self,
        recipient: UserId,
        ids: Option<Vec<i64>>,
        at: Timestamp,
    ) -> Result<u64>;
    /// Notifications of a case (for tests and the case page).
    async fn case_notifications(&self, case_id: CaseId) -> Result<Vec<Notification>>;

    /// Claims pending SMS/e-mail deliveries whose next attempt is due, like [`claim_jobs`].
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Delivery>>;
    /// Records a delivery attempt; does nothing if the claim's token no longer holds.
    async fn finish_delivery(&self, delivery: &Delivery, result: DeliveryResult) -> Result<()>;

    /// Cases in urgency order: overdue first (longest overdue first), then the nearest deadline,
    /// then paused (least time left first), then untimed; ties by registration. Follow-ups
    /// (`follow_up_due_before`) come in order of their due date. Sorted in the database on the
    /// projection's queue-order columns, so a page costs its `limit`, not the whole queue.
    async fn work_items(&self, filter: &WorkFilter) -> Result<Vec<WorkItem>>;
    /// How many cases `work_items` would return with no limit or offset.
    async fn work_count(&self, filter: &WorkFilter) -> Result<u64>;

    /// Inserts sweep tasks; a task for a (division, period_start) that exists is left alone.
    /// Returns how many were new.
    async fn put_sweeps(&self, tasks: Vec<SweepTask>) -> Result<u64>;
    /// Oldest due first.
    async fn sweeps(&self, filter: &SweepFilter) -> Result<Vec<SweepTask>>;
    /// Records a sweep's completion once; `StoreError::Duplicate` if it was already completed,
    /// `StoreError::NotFound` if there is no such task.
    async fn complete_sweep(&self, id: &str, completion: SweepCompletion) -> Result<SweepTask>;
}

// ---------------------------------------------------------------------------------------------
// Shared by both backends: SQL text (with `$n` placeholders, see `crate::sql::for_sqlite`),
// query builders and row conversions.
// ---------------------------------------------------------------------------------------------

/// Marks a claimed job done, but only while this claim's lease still holds.
pub(crate) const COMPLETE_JOB: &str = "UPDATE jobs SET status = 'done', done_at = $3, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2 \
     AND status = 'pending'";

pub(crate) const CANCEL_JOB: &str = "UPDATE jobs SET status = 'cancelled', lease_token = NULL, \
     lease_until = NULL WHERE key = $1 AND status = 'pending'";

/// The `ON CONFLICT` arm of scheduling: a known key is moved and starts afresh.
macro_rules! job_upsert {
    () => {
        " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at, \
         payload = excluded.payload, status = 'pending', attempts = 0, lease_token = NULL, \
         lease_until = NULL, last_error = NULL, done_at = NULL"
    };
}

pub(crate) const UPSERT_JOB: &str = concat!(
    "INSERT INTO jobs (key, kind, due_at, payload, status, attempts, created_at) \
     VALUES ($1, $2, $3, $4, 'pending', 0, $5)",
    job_upsert!()
);

/// PostgreSQL: many jobs in one statement from parallel arrays (keys must be distinct).
pub(crate) const UPSERT_JOBS_PG: &str = concat!(
    "INSERT INTO jobs (key, kind, due_at, payload, status, attempts, created_at) \
     SELECT k, t, d, p, 'pending', 0, $5 \
     FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[]) AS n (k, t, d, p)",
    job_upsert!()
);

macro_rules! claim_jobs {
    ($lock:literal) => {
        concat!(
            "UPDATE jobs SET lease_token = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND due_at <= $3 \
             AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at, id LIMIT $4",
            $lock,
            ") RETURNING id, key, kind, due_at, payload, attempts, lease_token"
        )
    };
}

/// SQLite: the single writer thread serialises claims, so no row locks are needed.
pub(crate) const CLAIM_JOBS: &str = claim_jobs!("");
/// PostgreSQL: concurrent claimants skip each other's rows instead of waiting for them.
pub(crate) const CLAIM_JOBS_PG: &str = claim_jobs!(" FOR UPDATE SKIP LOCKED");

pub(crate) const RETRY_JOB: &str = "UPDATE jobs SET due_at = $3, last_error = $4, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2 \
     AND status = 'pending'";

pub(crate) const KILL_JOB: &str = "UPDATE jobs SET status = 'dead', last_error = $3, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2 \
     AND status = 'pending'";

pub(crate) const SELECT_JOB: &str = "SELECT id, key, kind, due_at, status, attempts, last_error, \
     done_at FROM jobs WHERE key = $1";

pub(crate) const JOB_COUNTS: &str = "SELECT status, COUNT(*) FROM jobs GROUP BY status";

/// A duplicate `dedupe` key is skipped silently; NULL keys never conflict.
pub(crate) const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (recipient, channel, \
     title, body, case_id, dedupe, created_at, status, attempts, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) ON CONFLICT (dedupe) DO NOTHING";

/// PostgreSQL: many notifications in one statement, in array order.
pub(crate) const INSERT_NOTIFICATIONS_PG: &str = "INSERT INTO notifications (recipient, channel, \
     title, body, case_id, dedupe, created_at, status, attempts, next_attempt_at) \
     SELECT r, c, t, b, k, d, $7, s, 0, n FROM UNNEST($1::text[], $2::text[], $3::text[], \
     $4::text[], $5::text[], $6::text[], $8::text[], $9::bigint[]) WITH ORDINALITY \
     AS u (r, c, t, b, k, d, s, n, o) ORDER BY o ON CONFLICT (dedupe) DO NOTHING";

macro_rules! notification_columns {
    () => {
        "id, recipient, channel, title, body, case_id, created_at, read_at, status, attempts, \
         last_error"
    };
}

pub(crate) const SELECT_NOTIFICATIONS: &str = concat!(
    "SELECT ",
    notification_columns!(),
    " FROM notifications WHERE recipient = $1 ORDER BY id DESC LIMIT $2"
);

pub(crate) const SELECT_CASE_NOTIFICATIONS: &str = concat!(
    "SELECT ",
    notification_columns!(),
    " FROM notifications WHERE case_id = $1 ORDER BY id"
);

pub(crate) const UNREAD_COUNT: &str = "SELECT COUNT(*) FROM notifications WHERE recipient = $1 \
     AND channel = 'in_app' AND read_at IS NULL";

macro_rules! claim_deliveries {
    ($lock:literal) => {
        concat!(
            "UPDATE notifications SET lease_token = $1, lease_until = $2, \
             attempts = attempts + 1 WHERE id IN (SELECT id FROM notifications \
             WHERE status = 'pending' AND next_attempt_at <= $3 \
             AND channel IN ('sms', 'email') \
             AND (lease_until IS NULL OR lease_until < $3) ORDER BY next_attempt_at, id LIMIT $4",
            $lock,
            ") RETURNING ",
            notification_columns!(),
            ", lease_token"
        )
    };
}

pub(crate) const CLAIM_DELIVERIES: &str = claim_deliveries!("");
pub(crate) const CLAIM_DELIVERIES_PG: &str = claim_deliveries!(" FOR UPDATE SKIP LOCKED");

pub(crate) const DELIVERY_SENT: &str = "UPDATE notifications SET status = 'sent', sent_at = $3, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2 \
     AND status = 'pending'";

pub(crate) const DELIVERY_RETRY: &str = "UPDATE notifications SET next_attempt_at = $3, \
     last_error = $4, lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2 \
     AND status = 'pending'";

pub(crate) const DELIVERY_FAILED: &str = "UPDATE notifications SET status = 'failed', \
     last_error = $3, lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2 \
     AND status = 'pending'";

pub(crate) const INSERT_SWEEP: &str = "INSERT INTO sweeps (id, division, organisation, \
     period_start, due_at, completed_by, completed_by_name, completed_at, findings, cases) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING";

macro_rules! sweep_columns {
    () => {
        "id, division, organisation, period_start, due_at, completed_by, completed_by_name, \
         completed_at, findings, cases"
    };
}

pub(crate) const SWEEP_COLUMNS: &str = sweep_columns!();

pub(crate) const SELECT_SWEEP: &str =
    concat!("SELECT ", sweep_columns!(), " FROM sweeps WHERE id = $1");

pub(crate) const COMPLETE_SWEEP: &str = "UPDATE sweeps SET completed_by = $2, \
     completed_by_name = $3, completed_at = $4, findings = $5, cases = $6 \
     WHERE id = $1 AND completed_at IS NULL";

/// What the projection's clock columns must say after the events so far: the backfill run by
/// the migration that added them (existing rows start with an empty object).
pub(crate) const BACKFILL_CLOCKS: &str =
    "UPDATE cases SET clocks = $2, overdue_since = $3, follow_up_due = $4 WHERE id = $1";

/// What the queue-order columns of migration 7 are computed from.
pub(crate) const SELECT_DUE_SOURCES: &str = "SELECT id, clocks, updated_at FROM cases";

pub(crate) const BACKFILL_DUE: &str = "UPDATE cases SET due_rank = $2, due_key = $3 WHERE id = $1";

/// The binds of [`BACKFILL_DUE`]. Clocks that do not parse leave the row untimed; the audit
/// reports such a row anyway.
pub(crate) fn due_binds(id: String, clocks: &str, updated_at: i64) -> Vec<Bind> {
    let (rank, key) = serde_json::from_str::<Clocks>(clocks).map_or((2, 0), |c| {
        crate::sql::urgency_columns(&c, Timestamp::from_micros(updated_at))
    });
    vec![Bind::Text(id), Bind::Int(rank), Bind::Int(key)]
}

/// The default and the ceiling of a work or sweep query's `limit`.
const DEFAULT_LIMIT: u32 = 200;
const MAX_LIMIT: u32 = 50_000;

fn limit_of(limit: u32) -> u32 {
    if limit == 0 {
        DEFAULT_LIMIT
    } else {
        limit.min(MAX_LIMIT)
    }
}

/// A fresh lease token. Version 7 UUIDs carry 74 random bits after the time (and the crate's
/// counter keeps them distinct within one process), which is all a token needs: unique per claim
/// across every process sharing the database.
pub(crate) fn lease_token() -> String {
    Uuid::now_v7().to_string()
}

/// Collects a clause with its binds, numbering `$?` placeholders as they are added.
#[derive(Default)]
struct Clauses {
    sql: Vec<String>,
    binds: Vec<Bind>,
}

impl Clauses {
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    fn push(&mut self, clause: impl Into<String>) {
        self.sql.push(clause.into());
    }

    fn finish(self, head: &str, tail: &str) -> (String, Vec<Bind>) {
        let mut sql = head.to_owned();
        if !self.sql.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.sql.join(" AND "));
        }
        sql.push_str(tail);
        (sql, self.binds)
    }
}

/// The conditions of a work query.
fn work_clauses(f: &WorkFilter) -> Clauses {
    let mut c = Clauses::default();
    match f.follow_up_due_before {
        Some(t) => {
            let p = c.bind(Bind::Int(t.micros()));
            c.push(format!("follow_up_due IS NOT NULL AND follow_up_due < {p}"));
        }
        None => {
            c.push("status IN ('registered', 'accepted', 'assigned', 'in_progress', 'mediating')")
        }
    }
    if !f.held_by.is_empty() {
        let list: Vec<String> = f
            .held_by
            .iter()
            .map(|o| c.bind(Bind::Text(o.clone())))
            .collect();
        c.push(format!("holder_org IN ({})", list.join(", ")));
    }
    // The same containment as the case list: a grid's cases are located in its village and
    // carry the grid in their own column.
    if let Some(d) = &f.within {
        let p = c.bind(Bind::Text(format!("{}%", d.prefix())));
        c.push(format!("(division LIKE {p} OR grid LIKE {p})"));
    }
    if f.overdue_only {
        c.push("overdue_since IS NOT NULL");
    }
    c
}

/// The work-queue query: projection rows most urgent first (see [`WorkStore::work_items`]).
pub(crate) fn work_query(f: &WorkFilter) -> (String, Vec<Bind>) {
    let order = if f.follow_up_due_before.is_some() {
        "follow_up_due, registered_at, id"
    } else {
        "due_rank, due_key, registered_at, id"
    };
    work_clauses(f).finish(
        &format!("SELECT {CASE_COLUMNS} FROM cases"),
        &format!(
            " ORDER BY {order} LIMIT {} OFFSET {}",
            limit_of(f.limit),
            f.offset
        ),
    )
}

/// How many rows [`work_query`] matches.
pub(crate) fn work_count_query(f: &WorkFilter) -> (String, Vec<Bind>) {
    work_clauses(f).finish("SELECT COUNT(*) FROM cases", "")
}

/// The sweep list query, oldest due first.
pub(crate) fn sweeps_query(f: &SweepFilter) -> (String, Vec<Bind>) {
    let mut c = Clauses::default();
    if let Some(d) = &f.within {
        let p = c.bind(Bind::Text(format!("{}%", d.prefix())));
        c.push(format!("division LIKE {p}"));
    }
    if let Some(o) = &f.organisation {
        let p = c.bind(Bind::Text(o.clone()));
        c.push(format!("organisation = {p}"));
    }
    if f.open_only {
        c.push("completed_at IS NULL");
    }
    c.finish(
        &format!("SELECT {SWEEP_COLUMNS} FROM sweeps"),
        &format!(" ORDER BY due_at, division LIMIT {}", limit_of(f.limit)),
    )
}

/// Marks a recipient's unread notifications read: all, or those of `ids` (which may name other
/// users' notifications; the recipient condition leaves those alone).
pub(crate) fn mark_read_query(
    recipient: UserId,
    ids: Option<&[i64]>,
    at: Timestamp,
) -> (String, Vec<Bind>) {
    let mut c = Clauses::default();
    let at = c.bind(Bind::Int(at.micros()));
    let who = c.bind(Bind::Text(recipient.to_string()));
    c.push(format!("recipient = {who}"));
    c.push("read_at IS NULL");
    if let Some(ids) = ids {
        let list: Vec<String> = ids.iter().map(|i| c.bind(Bind::Int(*i))).collect();
        c.push(format!("id IN ({})", list.join(", ")));
    }
    c.finish(&format!("UPDATE notifications SET read_at = {at}"), "")
}

/// The binds of [`UPSERT_JOB`].
pub(crate) fn job_binds(j: &NewJob, now: Timestamp) -> Vec<Bind> {
    vec![
        Bind::Text(j.key.clone()),
        Bind::Text(j.kind.clone()),
        Bind::Int(j.due_at.micros()),
        Bind::Text(j.payload.clone()),
        Bind::Int(now.micros()),
    ]
}

/// The jobs to schedule with one entry per key, the last one winning: scheduling a key twice in
/// one set of effects moves it twice, and PostgreSQL's multi-row upsert refuses to touch one
/// row twice.
pub(crate) fn distinct_jobs(jobs: &[NewJob]) -> Vec<&NewJob> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<&NewJob> = jobs
        .iter()
        .rev()
        .filter(|j| seen.insert(j.key.as_str()))
        .collect();
    out.reverse();
    out
}

/// What a new notification starts as: in-app ones are delivered by being written, the others
/// wait for a sender from now on.
pub(crate) fn initial_delivery(n: &NewNotification, now: Timestamp) -> (&'static str, Option<i64>) {
    match n.channel {
        NotifyChannel::InApp => ("delivered", None),
        NotifyChannel::Sms | NotifyChannel::Email => ("pending", Some(now.micros())),
    }
}

/// The binds of [`INSERT_NOTIFICATION`].
pub(crate) fn notification_binds(n: &NewNotification, now: Timestamp) -> Vec<Bind> {
    let (status, next) = initial_delivery(n, now);
    vec![
        Bind::Text(n.recipient.to_string()),
        Bind::Text(n.channel.code().to_owned()),
        Bind::Text(n.title.clone()),
        Bind::Text(n.body.clone()),
        n.case_id.map_or(Bind::Null, |c| Bind::Text(c.to_string())),
        n.dedupe.clone().map_or(Bind::Null, Bind::Text),
        Bind::Int(now.micros()),
        Bind::Text(status.to_owned()),
        next.map_or(Bind::NullInt, Bind::Int),
    ]
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn parse_user(s: &str) -> Result<UserId> {
    Uuid::parse_str(s)
        .map(UserId)
        .map_err(|_| StoreError::Corrupt(format!("bad user id {s}")))
}

/// A claimed job as read back (id, key, kind, due_at, payload, attempts, lease_token).
pub(crate) type JobTuple = (i64, String, String, i64, String, i64, String);

pub(crate) fn job_from(t: JobTuple) -> Job {
    let (id, key, kind, due_at, payload, attempts, token) = t;
    Job {
        lease: JobLease { id, token },
        key,
        kind,
        due_at: Timestamp::from_micros(due_at),
        payload,
        attempts: count(attempts),
    }
}

/// Claimed jobs oldest due first (`RETURNING` promises no order).
pub(crate) fn sort_jobs(mut jobs: Vec<Job>) -> Vec<Job> {
    jobs.sort_by_key(|j| (j.due_at, j.lease.id));
    jobs
}

/// A stored job as read by [`SELECT_JOB`].
pub(crate) type JobInfoTuple = (
    i64,
    String,
    String,
    i64,
    String,
    i64,
    Option<String>,
    Option<i64>,
);

pub(crate) fn job_info_from(t: JobInfoTuple) -> JobInfo {
    let (id, key, kind, due_at, status, attempts, last_error, done_at) = t;
    JobInfo {
        id,
        key,
        kind,
        due_at: Timestamp::from_micros(due_at),
        status,
        attempts: count(attempts),
        last_error,
        done_at: done_at.map(Timestamp::from_micros),
    }
}

pub(crate) fn job_counts_from(rows: Vec<(String, i64)>) -> JobCounts {
    let mut counts = JobCounts::default();
    for (status, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match status.as_str() {
            "pending" => counts.pending = n,
            "done" => counts.done = n,
            "cancelled" => counts.cancelled = n,
            "dead" => counts.dead = n,
            _ => {}
        }
    }
    counts
}

/// A notification row in `notification_columns!` order.
#[derive(Debug, Clone)]
pub(crate) struct NotificationRow {
    pub id: i64,
    pub recipient: String,
    pub channel: String,
    pub title: String,
    pub body: String,
    pub case_id: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl NotificationRow {
    pub(crate) fn into_notification(self) -> Result<Notification> {
        let channel = NotifyChannel::parse(&self.channel).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "notification {}: bad channel {}",
                self.id, self.channel
            ))
        })?;
        Ok(Notification {
            id: self.id,
            recipient: parse_user(&self.recipient)?,
            channel,
            title: self.title,
            body: self.body,
            case_id: self
                .case_id
                .as_deref()
                .map(crate::rows::parse_case_id)
                .transpose()?,
            created_at: Timestamp::from_micros(self.created_at),
            read_at: self.read_at.map(Timestamp::from_micros),
            status: self.status,
            attempts: count(self.attempts),
            last_error: self.last_error,
        })
    }
}

/// A sweep row in [`SWEEP_COLUMNS`] order.
#[derive(Debug, Clone)]
pub(crate) struct SweepRow {
    pub id: String,
    pub division: String,
    pub organisation: Option<String>,
    pub period_start: i64,
    pub due_at: i64,
    pub completed_by: Option<String>,
    pub completed_by_name: Option<String>,
    pub completed_at: Option<i64>,
    pub findings: Option<String>,
    pub cases: Option<String>,
}

impl SweepRow {
    pub(crate) fn into_task(self) -> Result<SweepTask> {
        let division = DivisionCode::parse(&self.division).map_err(|_| {
            StoreError::Corrupt(format!("sweep {}: bad division {}", self.id, self.division))
        })?;
        let completed = match (self.completed_at, self.completed_by) {
            (Some(at), Some(by)) => {
                let ids: Vec<String> = match self.cases.as_deref() {
                    Some(json) => serde_json::from_str(json)?,
                    None => Vec::new(),
                };
                Some(SweepCompletion {
                    by: parse_user(&by)?,
                    by_name: self.completed_by_name.unwrap_or_default(),
                    at: Timestamp::from_micros(at),
                    findings: self.findings.unwrap_or_default(),
                    cases: ids
                        .iter()
                        .map(|s| crate::rows::parse_case_id(s))
                        .collect::<Result<_>>()?,
                })
            }
            _ => None,
        };
        Ok(SweepTask {
            id: self.id,
            division,
            organisation: self.organisation,
            period_start: Timestamp::from_micros(self.period_start),
            due_at: Timestamp::from_micros(self.due_at),
            completed,
        })
    }
}

/// The completion binds of [`COMPLETE_SWEEP`] (`$2`…`$6`), or of [`INSERT_SWEEP`] (`$6`…`$10`).
fn completion_binds(c: Option<&SweepCompletion>) -> Result<Vec<Bind>> {
    Ok(match c {
        Some(c) => {
            let ids: Vec<String> = c.cases.iter().map(ToString::to_string).collect();
            vec![
                Bind::Text(c.by.to_string()),
                Bind::Text(c.by_name.clone()),
                Bind::Int(c.at.micros()),
                Bind::Text(c.findings.clone()),
                Bind::Text(serde_json::to_string(&ids)?),
            ]
        }
        None => vec![
            Bind::Null,
            Bind::Null,
            Bind::NullInt,
            Bind::Null,
            Bind::Null,
        ],
    })
}

/// The binds of [`INSERT_SWEEP`].
pub(crate) fn sweep_binds(t: &SweepTask) -> Result<Vec<Bind>> {
    let mut b = vec![
        Bind::Text(t.id.clone()),
        Bind::Text(t.division.to_string()),
        t.organisation.clone().map_or(Bind::Null, Bind::Text),
        Bind::Int(t.period_start.micros()),
        Bind::Int(t.due_at.micros()),
    ];
    b.extend(completion_binds(t.completed.as_ref())?);
    Ok(b)
}

/// The binds of [`COMPLETE_SWEEP`].
pub(crate) fn complete_sweep_binds(id: &str, c: &SweepCompletion) -> Result<Vec<Bind>> {
    let mut b = vec![Bind::Text(id.to_owned())];
    b.extend(completion_binds(Some(c))?);
    Ok(b)
}

/// The error for a sweep completion that changed nothing.
pub(crate) fn sweep_not_completed(exists: bool) -> StoreError {
    if exists {
        StoreError::Duplicate("该排查任务已完成".to_owned())
    } else {
        StoreError::NotFound
    }
}

/// Replays every case's events (fed in case, version order) into the binds of
/// [`BACKFILL_CLOCKS`]. A case whose events do not decode is left out: its row keeps the empty
/// default and the audit reports the case anyway.
#[derive(Debug, Default)]
pub(crate) struct ClockBackfill {
    current: Option<(String, CaseState, bool)>,
    out: Vec<Vec<Bind>>,
}

impl ClockBackfill {
    pub(crate) fn feed(&mut self, row: &EventRow) {
        if self.current.as_ref().map(|c| c.0.as_str()) != Some(row.case_id.as_str()) {
            self.flush();
            self.current = Some((row.case_id.clone(), CaseState::default(), false));
        }
        if let Some((_, state, broken)) = self.current.as_mut() {
            match row.decode() {
                Ok(e) if !*broken => state.apply(&e.event),
                _ => *broken = true,
            }
        }
    }

    fn flush(&mut self) {
        if let Some((id, state, false)) = self.current.take()
            && let Some(c) = state.case()
        {
            let r = CaseRow::from_case(c, state.version(), "");
            self.out.push(vec![
                Bind::Text(id),
                Bind::Text(r.clocks),
                r.overdue_since.map_or(Bind::NullInt, Bind::Int),
                r.follow_up_due.map_or(Bind::NullInt, Bind::Int),
            ]);
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Vec<Bind>> {
        self.flush();
        self.out
    }
}
