//! SQL and row shapes shared by both backends.
//!
//! Statements are written once with PostgreSQL's `$n` placeholders; the SQLite backend rewrites
//! them to SQLite's equivalent `?n` (see [`for_sqlite`]). Everything here is plain SQL that both
//! dialects accept: `ON CONFLICT … DO UPDATE`, `RETURNING`, `LIKE`, integers and text.

use std::borrow::Cow;

use hejie_domain::case::{Case, CaseId, CaseNumber, Clocks, Status};
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use uuid::Uuid;

use crate::{CaseFilter, CaseSummary, Result, StoreError};

/// Rewrites `$n` placeholders to SQLite's `?n`.
pub fn for_sqlite(sql: &str) -> Cow<'_, str> {
    if sql.contains('$') {
        Cow::Owned(sql.replace('$', "?"))
    } else {
        Cow::Borrowed(sql)
    }
}

/// A bound value of a dynamically built query.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// A text NULL (PostgreSQL needs the type of a NULL parameter).
    Null,
    /// An integer NULL.
    NullInt,
    Text(String),
    Int(i64),
}

pub const INSERT_EVENT: &str = "INSERT INTO events (case_id, version, kind, occurred_at, actor_id, \
     division, recorded_at, meta, body, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING seq";

pub const NEXT_IN_SERIES: &str = "INSERT INTO case_series (series, next) VALUES ($1, 2) \
     ON CONFLICT (series) DO UPDATE SET next = case_series.next + 1 RETURNING next - 1";

/// The projection's columns, in the order [`CaseRow`] reads and binds them.
macro_rules! case_columns {
    () => {
        "id, number, status, channel, dispute_type, severity, track, division, grid, holder_org, \
         holder_org_name, holder_person, description, amount_fen, head_count, party_names, \
         outcome, sessions, follow_ups, satisfaction, registered_at, updated_at, closed_at, \
         version, head_hash, address, clocks, overdue_since, follow_up_due, due_rank, due_key"
    };
}

pub const CASE_COLUMNS: &str = case_columns!();

pub const SELECT_CASES: &str = concat!("SELECT ", case_columns!(), " FROM cases");

pub const INSERT_CASE: &str = "INSERT INTO cases (id, number, status, channel, dispute_type, \
     severity, track, division, grid, holder_org, holder_org_name, holder_person, description, \
     amount_fen, head_count, party_names, outcome, sessions, follow_ups, satisfaction, \
     registered_at, updated_at, closed_at, version, head_hash, address, clocks, overdue_since, \
     follow_up_due, due_rank, due_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
     $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)";

/// Moves the projection forward only if nobody else did first: `$32` is the expected version.
pub const UPDATE_CASE: &str = "UPDATE cases SET number = $2, status = $3, channel = $4, \
     dispute_type = $5, severity = $6, track = $7, division = $8, grid = $9, holder_org = $10, \
     holder_org_name = $11, holder_person = $12, description = $13, amount_fen = $14, \
     head_count = $15, party_names = $16, outcome = $17, sessions = $18, follow_ups = $19, \
     satisfaction = $20, registered_at = $21, updated_at = $22, closed_at = $23, version = $24, \
     head_hash = $25, address = $26, clocks = $27, overdue_since = $28, follow_up_due = $29, \
     due_rank = $30, due_key = $31 WHERE id = $1 AND version = $32";

pub const CASE_VERSION: &str = "SELECT version FROM cases WHERE id = $1";

pub const INSERT_PARTY: &str = "INSERT INTO case_parties (case_id, idx, kind, role, name, \
     id_cipher, id_hash, id_masked, phone_cipher, phone_hash, phone_masked) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

pub const SELECT_EVENTS: &str = "SELECT seq, case_id, version, kind, occurred_at, actor_id, \
     division, recorded_at, meta, body, prev_hash, hash FROM events WHERE case_id = $1 \
     ORDER BY version";

pub const SELECT_ALL_EVENTS: &str = "SELECT seq, case_id, version, kind, occurred_at, actor_id, \
     division, recorded_at, meta, body, prev_hash, hash FROM events ORDER BY case_id, version";

pub const UPSERT_DIVISION: &str = "INSERT INTO divisions (code, name, level, parent, population) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
     level = excluded.level, parent = excluded.parent, population = excluded.population";

pub const SELECT_DIVISIONS: &str =
    "SELECT code, name, parent, population FROM divisions ORDER BY code";

pub const UPSERT_ORGANISATION: &str = "INSERT INTO organisations (id, name, division, kind) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
     division = excluded.division, kind = excluded.kind";

pub const SELECT_ORGANISATIONS: &str =
    "SELECT id, name, division, kind FROM organisations ORDER BY division, name";

pub const UPSERT_USER: &str = "INSERT INTO users (id, username, name, role, jurisdiction, \
     organisation) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
     username = excluded.username, name = excluded.name, role = excluded.role, \
     jurisdiction = excluded.jurisdiction, organisation = excluded.organisation";

pub const SELECT_USERS: &str =
    "SELECT id, username, name, role, jurisdiction, organisation FROM users ORDER BY username";

pub const FIND_BY_NUMBER: &str = "SELECT id FROM cases WHERE number = $1";

pub const LAST_CHECKPOINT: &str =
    "SELECT id, max_seq, hash FROM checkpoints ORDER BY id DESC LIMIT 1";

/// Heads of every case that gained events after `$1` (the previous checkpoint's `max_seq`).
pub const HEADS_SINCE: &str = "SELECT e.case_id, e.version, e.hash FROM events e \
     JOIN (SELECT case_id, MAX(version) AS v FROM events WHERE seq > $1 GROUP BY case_id) m \
     ON e.case_id = m.case_id AND e.version = m.v ORDER BY e.case_id";

pub const MAX_SEQ_AND_COUNT: &str = "SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM events";

pub const INSERT_CHECKPOINT: &str = "INSERT INTO checkpoints (id, created_at, max_seq, events, \
     heads, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub const INSERT_CHECKPOINT_HEAD: &str = "INSERT INTO checkpoint_heads (checkpoint_id, case_id, \
     version, hash) VALUES ($1, $2, $3, $4)";

pub const SELECT_CHECKPOINTS: &str = "SELECT id, created_at, max_seq, events, heads, prev_hash, \
     hash FROM checkpoints ORDER BY id";

pub const SELECT_CHECKPOINT_HEADS: &str = "SELECT checkpoint_id, case_id, version, hash \
     FROM checkpoint_heads ORDER BY checkpoint_id, case_id";

pub const SELECT_SERIES: &str = "SELECT series, next FROM case_series ORDER BY series";

/// The projection row of a case: the current state, flattened for lists and filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: String,
    pub number: String,
    pub status: String,
    pub channel: String,
    pub dispute_type: Option<String>,
    pub severity: Option<String>,
    pub track: Option<String>,
    pub division: String,
    pub grid: Option<String>,
    pub holder_org: Option<String>,
    pub holder_org_name: Option<String>,
    pub holder_person: Option<String>,
    pub description: String,
    pub amount_fen: Option<i64>,
    pub head_count: Option<i64>,
    pub party_names: String,
    pub outcome: Option<String>,
    pub sessions: i64,
    pub follow_ups: i64,
    pub satisfaction: Option<String>,
    pub registered_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub version: i64,
    pub head_hash: String,
    pub address: Option<String>,
    /// The case's clocks as JSON (`hejie_domain::case::Clocks`), for work queues.
    pub clocks: String,
    /// When the current stage was first marked overdue (the supervision board's sort key).
    pub overdue_since: Option<i64>,
    pub follow_up_due: Option<i64>,
    /// The work queue's order: see [`urgency_columns`].
    pub due_rank: i64,
    pub due_key: i64,
}

impl CaseRow {
    /// The projection a case's state calls for.
    pub fn from_case(c: &Case, version: u64, head_hash: &str) -> Self {
        let urgency = urgency_columns(&c.clocks, c.updated_at);
        Self {
            id: c.id.to_string(),
            number: c.number.to_string(),
            status: c.status.code().to_owned(),
            channel: c.channel.code().to_owned(),
            dispute_type: c.dispute_type.map(|t| t.code().to_owned()),
            severity: c.severity.map(|t| t.code().to_owned()),
            track: c.track.map(|t| t.code().to_owned()),
            division: c.location.division.to_string(),
            grid: c.location.grid.as_ref().map(ToString::to_string),
            holder_org: c.holder.as_ref().map(|h| h.organisation.id.to_string()),
            holder_org_name: c.holder.as_ref().map(|h| h.organisation.name.clone()),
            holder_person: c
                .holder
                .as_ref()
                .and_then(|h| h.person.as_ref().map(|p| p.id.to_string())),
            description: c.description.clone(),
            amount_fen: c.amount.map(|m| m.fen()),
            head_count: c.head_count.map(i64::from),
            party_names: c
                .parties
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            outcome: c.outcome.as_ref().map(|o| o.code().to_owned()),
            sessions: i64::from(c.sessions),
            follow_ups: i64::from(c.follow_ups),
            satisfaction: c.satisfaction.map(|s| s.code().to_owned()),
            registered_at: c.registered_at.micros(),
            updated_at: c.updated_at.micros(),
            closed_at: c.closed_at.map(|t| t.micros()),
            version: i64::try_from(version).unwrap_or(i64::MAX),
            head_hash: head_hash.to_owned(),
            address: c.location.address.clone(),
            clocks: clocks_json(&c.clocks),
            overdue_since: c.clocks.overdue_since().map(|t| t.micros()),
            follow_up_due: c.follow_up_due.map(|t| t.micros()),
            due_rank: urgency.0,
            due_key: urgency.1,
        }
    }

    /// Values in `CASE_COLUMNS` order, for binding.
    pub fn binds(&self) -> Vec<Bind> {
        let t = |s: &str| Bind::Text(s.to_owned());
        let ot = |s: &Option<String>| s.clone().map_or(Bind::Null, Bind::Text);
        let oi = |i: Option<i64>| i.map_or(Bind::NullInt, Bind::Int);
        vec![
            t(&self.id),
            t(&self.number),
            t(&self.status),
            t(&self.channel),
            ot(&self.dispute_type),
            ot(&self.severity),
            ot(&self.track),
            t(&self.division),
            ot(&self.grid),
            ot(&self.holder_org),
            ot(&self.holder_org_name),
            ot(&self.holder_person),
            t(&self.description),
            oi(self.amount_fen),
            oi(self.head_count),
            t(&self.party_names),
            ot(&self.outcome),
            Bind::Int(self.sessions),
            Bind::Int(self.follow_ups),
            ot(&self.satisfaction),
            Bind::Int(self.registered_at),
            Bind::Int(self.updated_at),
            oi(self.closed_at),
            Bind::Int(self.version),
            t(&self.head_hash),
            ot(&self.address),
            t(&self.clocks),
            oi(self.overdue_since),
            oi(self.follow_up_due),
            Bind::Int(self.due_rank),
            Bind::Int(self.due_key),
        ]
    }

    pub fn to_summary(&self) -> Result<CaseSummary> {
        let bad = |what: &str| StoreError::Corrupt(format!("case {}: bad {what}", self.id));
        Ok(CaseSummary {
            id: CaseId(Uuid::parse_str(&self.id).map_err(|_| bad("id"))?),
            number: CaseNumber::parse(&self.number).map_err(|_| bad("number"))?,
            status: Status::parse(&self.status).map_err(|_| bad("status"))?,
            channel: self.channel.clone(),
            dispute_type: self.dispute_type.clone(),
            severity: self.severity.clone(),
            division: DivisionCode::parse(&self.division).map_err(|_| bad("division"))?,
            holder_org: self.holder_org.clone(),
            holder_org_name: self.holder_org_name.clone(),
            description: self.description.clone(),
            party_names: self.party_names.clone(),
            registered_at: Timestamp::from_micros(self.registered_at),
            updated_at: Timestamp::from_micros(self.updated_at),
            version: u64::try_from(self.version).unwrap_or(0),
        })
    }

    /// The work-queue entry of this row: its list entry plus holder and clocks.
    pub fn to_work_item(&self) -> Result<crate::work::WorkItem> {
        let clocks: Clocks = serde_json::from_str(&self.clocks)
            .map_err(|e| StoreError::Corrupt(format!("case {}: bad clocks: {e}", self.id)))?;
        Ok(crate::work::WorkItem {
            summary: self.to_summary()?,
            holder_user_id: self
                .holder_person
                .as_deref()
                .map(|p| {
                    Uuid::parse_str(p)
                        .map(hejie_domain::user::UserId)
                        .map_err(|_| {
                            StoreError::Corrupt(format!("case {}: bad holder person", self.id))
                        })
                })
                .transpose()?,
            clocks,
            overdue_since: self.overdue_since.map(Timestamp::from_micros),
            follow_up_due: self.follow_up_due.map(Timestamp::from_micros),
        })
    }
}

/// The work queue's sort key of a case, `(due_rank, due_key)`, ascending = most urgent first:
/// `(0, deadline)` while its clocks run (the earliest deadline of its clocks; an overdue case's
/// deadline has passed, so overdue cases come first, longest overdue first, then the nearest
/// deadlines), `(1, minutes left)` while paused (least time left first), `(2, 0)` without time
/// limits. It is computed once per write yet stays right at any later instant: a running
/// clock's deadline does not move until the case is paused again, which is a write, and a paused
/// case's time left does not change while it is paused. Clocks are read on the built-in working
/// calendar at the case's last change (when every pause so far has begun); the countdowns people
/// see are read live, so this is only ever an order.
pub fn urgency_columns(clocks: &Clocks, at: Timestamp) -> (i64, i64) {
    // Built once: every write and every audited case reads it.
    static CALENDAR: std::sync::LazyLock<hejie_domain::calendar::WorkCalendar> =
        std::sync::LazyLock::new(hejie_domain::calendar::WorkCalendar::china_default);
    let readings = clocks.readings(&CALENDAR, at);
    if clocks.is_paused() {
        return readings
            .iter()
            .map(|(_, r)| r.remaining_minutes)
            .min()
            .map_or((2, 0), |m| (1, m));
    }
    readings
        .iter()
        .filter_map(|(_, r)| r.deadline)
        .min()
        .map_or((2, 0), |d| (0, d.micros()))
}

/// The projection's JSON of a case's clocks. Serialising these plain structs cannot fail; should
/// it ever, an empty object is stored and reading it back reports the row as corrupt rather than
/// the write failing.
pub fn clocks_json(clocks: &Clocks) -> String {
    serde_json::to_string(clocks).unwrap_or_else(|_| "{}".to_owned())
}

/// The `WHERE` clause (possibly empty) for a filter, with its binds, numbered from `$1`.
pub fn where_clause(f: &CaseFilter) -> (String, Vec<Bind>) {
    let mut binds: Vec<Bind> = Vec::new();
    let mut clauses: Vec<String> = Vec::new();
    fn push(clauses: &mut Vec<String>, binds: &mut Vec<Bind>, clause: &str, b: Bind) {
        binds.push(b);
        clauses.push(clause.replace("$?", &format!("${}", binds.len())));
    }
    // A grid's cases are located in its village and carry the grid in their own column.
    if let Some(d) = &f.within {
        let area = Bind::Text(format!("{}%", d.prefix()));
        match &f.or_held_by {
            Some(org) => {
                binds.push(area);
                let a = binds.len();
                binds.push(Bind::Text(org.clone()));
                let b = binds.len();
                clauses.push(format!(
                    "(division LIKE ${a} OR grid LIKE ${a} OR holder_org = ${b})"
                ));
            }
            None => push(
                &mut clauses,
                &mut binds,
                "(division LIKE $? OR grid LIKE $?)",
                area,
            ),
        }
    }
    if let Some(s) = f.status {
        push(
            &mut clauses,
            &mut binds,
            "status = $?",
            Bind::Text(s.code().to_owned()),
        );
    }
    if let Some(t) = &f.dispute_type {
        push(
            &mut clauses,
            &mut binds,
            "dispute_type = $?",
            Bind::Text(t.clone()),
        );
    }
    if let Some(h) = &f.holder_org {
        push(
            &mut clauses,
            &mut binds,
            "holder_org = $?",
            Bind::Text(h.clone()),
        );
    }
    if let Some(t) = f.registered_from {
        push(
            &mut clauses,
            &mut binds,
            "registered_at >= $?",
            Bind::Int(t.micros()),
        );
    }
    if let Some(t) = f.registered_to {
        push(
            &mut clauses,
            &mut binds,
            "registered_at < $?",
            Bind::Int(t.micros()),
        );
    }
    if let Some(t) = f.open_registered_before {
        push(
            &mut clauses,
            &mut binds,
            "status IN ('registered', 'accepted', 'assigned', 'in_progress', 'mediating') \
             AND registered_at < $?",
            Bind::Int(t.micros()),
        );
    }
    if let Some(a) = &f.address {
        push(
            &mut clauses,
            &mut binds,
            "address = $?",
            Bind::Text(a.clone()),
        );
    }
    if let Some(h) = &f.party_hash {
        push(
            &mut clauses,
            &mut binds,
            "id IN (SELECT case_id FROM case_parties WHERE id_hash = $? OR phone_hash = $?)",
            Bind::Text(h.clone()),
        );
    }
    if let Some((t, id)) = f.before {
        binds.push(Bind::Int(t.micros()));
        let a = binds.len();
        binds.push(Bind::Text(id.to_string()));
        let b = binds.len();
        clauses.push(format!(
            "(registered_at < ${a} OR (registered_at = ${a} AND id < ${b}))"
        ));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (sql, binds)
}

/// Builds the case-list query for a filter: SQL text with `$n` placeholders and its binds.
pub fn list_query(f: &CaseFilter) -> (String, Vec<Bind>) {
    let (mut sql, binds) = where_clause(f);
    sql.insert_str(0, &format!("SELECT {CASE_COLUMNS} FROM cases"));
    let limit = if f.limit == 0 { 50 } else { f.limit.min(1000) };
    sql.push_str(&format!(
        " ORDER BY registered_at DESC, id DESC LIMIT {limit}"
    ));
    (sql, binds)
}

/// Counts by status for a filter, ignoring its cursor and limit.
pub fn count_query(f: &CaseFilter) -> (String, Vec<Bind>) {
    let f = CaseFilter {
        before: None,
        ..f.clone()
    };
    let (mut sql, binds) = where_clause(&f);
    sql.insert_str(0, "SELECT status, COUNT(*) FROM cases");
    sql.push_str(" GROUP BY status");
    (sql, binds)
}

/// Open cases per holder organisation.
pub const OPEN_LOAD: &str = "SELECT holder_org, COUNT(*) FROM cases WHERE holder_org IS NOT NULL \
     AND status IN ('registered', 'accepted', 'assigned', 'in_progress', 'mediating') \
     GROUP BY holder_org";
