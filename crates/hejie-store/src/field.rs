//! `FieldStore`: field work (issue 7, ADR 0013). Boundaries of grids and villages (GeoJSON text,
//! every version kept), who is assigned where, and the field log: each field record's events,
//! append-only and hash-chained per record exactly as a case's are, with the record's current
//! row (`field_records`) written in the same transaction.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;
use hejie_domain::field::{Event, RecordId};
use hejie_domain::timestamp::Timestamp;
use serde_json::Value;

use crate::chain::{GENESIS, Link, link_hash};
use crate::{Result, StoreError};

/// A boundary to keep for a grid or village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArea {
    pub division: DivisionCode,
    /// GeoJSON geometry (`Polygon` or `MultiPolygon`), already validated by the caller.
    pub geometry: String,
}

/// A kept boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArea {
    pub division: DivisionCode,
    pub geometry: String,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// Someone assigned to a grid (a grid worker) or contracted to a village (an advisor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub id: String,
    /// `grid_worker`, `legal_advisor` or `judicial_general_advisor`.
    pub kind: String,
    pub division: DivisionCode,
    pub user_id: String,
    /// First day, `YYYY-MM-DD`.
    pub starts: String,
    /// Last day of the contract, `YYYY-MM-DD`; open-ended when absent.
    pub ends: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
}

impl Assignment {
    /// Whether the assignment runs for any day of [`from`, `to`) (days as `YYYY-MM-DD`).
    pub fn overlaps(&self, from: &str, to: &str) -> bool {
        self.starts.as_str() < to && self.ends.as_deref().is_none_or(|e| e >= from)
    }

    /// Whether the assignment runs on `day` (`YYYY-MM-DD`).
    pub fn runs_on(&self, day: &str) -> bool {
        self.starts.as_str() <= day && self.ends.as_deref().is_none_or(|e| e >= day)
    }
}

/// A field record as it stands: what lists, maps and boards read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub ledger: Option<String>,
    pub category: Option<String>,
    /// The grid or village it is filed under.
    pub division: String,
    pub actor_id: String,
    pub actor_name: String,
    /// When it happened: observed, patrol start, check-in, activity held.
    pub occurred_at: i64,
    /// Patrol end or check-out.
    pub ended_at: Option<i64>,
    pub lat_e6: Option<i64>,
    pub lon_e6: Option<i64>,
    /// Needs someone to look at it (a check-in outside the village's fence).
    pub flagged: bool,
    pub case_number: Option<String>,
    /// A line for lists.
    pub summary: String,
    pub photos: i64,
    pub version: i64,
    pub updated_at: i64,
}

/// Which field records to list. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct FieldFilter {
    /// Filed under this division's subtree.
    pub within: Option<DivisionCode>,
    pub kind: Option<String>,
    pub ledger: Option<String>,
    pub status: Option<String>,
    pub actor_id: Option<String>,
    /// `occurred_at` in [from, to).
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: u32,
}

/// A field event with its place in the record's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFieldEvent {
    pub seq: i64,
    pub version: u64,
    pub recorded_at: Timestamp,
    pub prev_hash: String,
    pub hash: String,
    pub event: Event,
}

#[async_trait]
pub trait FieldStore: Send + Sync {
    /// Keeps boundaries, each as the next version of its division's, all in one transaction.
    async fn put_areas(&self, areas: Vec<NewArea>, by: &str, at: Timestamp) -> Result<()>;
    /// The current boundaries of the grids and villages inside `within`, by division code.
    async fn areas(&self, within: &DivisionCode) -> Result<Vec<StoredArea>>;
    async fn area(&self, division: &DivisionCode) -> Result<Option<StoredArea>>;

    async fn put_assignment(&self, assignment: &Assignment) -> Result<()>;
    /// Assignments to divisions inside `within`, by division then start.
    async fn assignments(&self, within: &DivisionCode) -> Result<Vec<Assignment>>;
    async fn assignments_of(&self, user_id: &str) -> Result<Vec<Assignment>>;

    /// Appends to a field record if it is still at `expected_version` (0 creates it), with its
    /// row as it stands after the events. `Conflict` when someone appended first; `Duplicate`
    /// when a record with this id was created meanwhile.
    async fn append_field(
        &self,
        id: RecordId,
        expected_version: u64,
        events: Vec<Event>,
        row: FieldRow,
        recorded_at: Timestamp,
    ) -> Result<()>;
    /// The record's events, oldest first.
    async fn field_events(&self, id: RecordId) -> Result<Vec<StoredFieldEvent>>;
    async fn field_record(&self, id: RecordId) -> Result<Option<FieldRow>>;
    /// Records newest first.
    async fn field_records(&self, filter: &FieldFilter) -> Result<Vec<FieldRow>>;
    /// Reports inside `within` by ledger and status: (ledger, status, count).
    async fn report_counts(&self, within: &DivisionCode) -> Result<Vec<(String, String, u64)>>;
    /// Open cases inside `within` by where they arose: (grid, or village when no grid, count).
    async fn open_cases_by_place(&self, within: &DivisionCode) -> Result<Vec<(String, u64)>>;
    /// Walks every field record's chain; returns what does not hold (empty when all is well).
    async fn verify_field_log(&self) -> Result<Vec<String>>;
}

/// One stored row of `field_events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldEventRow {
    pub seq: i64,
    pub record_id: String,
    pub version: i64,
    pub kind: String,
    pub occurred_at: i64,
    pub actor_id: String,
    pub division: String,
    pub recorded_at: i64,
    pub meta: String,
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

impl FieldEventRow {
    /// Encodes `event` as version `version` of the record, chained to `prev_hash`.
    pub fn seal(
        id: RecordId,
        version: u64,
        prev_hash: &str,
        event: &Event,
        recorded_at: Timestamp,
    ) -> Result<Self> {
        let meta = serde_json::to_value(&event.meta)?;
        let body = serde_json::to_value(&event.body)?;
        let mut row = FieldEventRow {
            seq: 0,
            record_id: id.to_string(),
            version: i64::try_from(version).map_err(|_| StoreError::Corrupt("version".into()))?,
            kind: event.body.kind().to_owned(),
            occurred_at: event.meta.at.micros(),
            actor_id: event.meta.actor.id.to_string(),
            division: event.meta.division.to_string(),
            recorded_at: recorded_at.micros(),
            meta: meta.to_string(),
            body: body.to_string(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        row.hash = row.hash_with(meta, body)?;
        Ok(row)
    }

    fn hash_with(&self, meta: Value, body: Value) -> Result<String> {
        link_hash(
            ("record_id", &self.record_id),
            Link {
                version: self.version,
                kind: &self.kind,
                occurred_at: self.occurred_at,
                actor_id: &self.actor_id,
                division: &self.division,
                recorded_at: self.recorded_at,
                prev_hash: &self.prev_hash,
            },
            meta,
            body,
        )
    }

    pub fn decode(&self) -> Result<StoredFieldEvent> {
        Ok(StoredFieldEvent {
            seq: self.seq,
            version: u64::try_from(self.version).unwrap_or(0),
            recorded_at: Timestamp::from_micros(self.recorded_at),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
            event: Event {
                meta: serde_json::from_str(&self.meta)?,
                body: serde_json::from_str(&self.body)?,
            },
        })
    }
}

/// Seals `events` after the record's current head (`head`: its version and hash).
pub(crate) fn seal_all(
    id: RecordId,
    head: Option<(i64, String)>,
    events: &[Event],
    recorded_at: Timestamp,
) -> Result<Vec<FieldEventRow>> {
    let (mut version, mut prev) = head.unwrap_or((0, GENESIS.to_owned()));
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        version += 1;
        let row = FieldEventRow::seal(
            id,
            u64::try_from(version).unwrap_or(0),
            &prev,
            e,
            recorded_at,
        )?;
        prev.clone_from(&row.hash);
        rows.push(row);
    }
    Ok(rows)
}

/// Checks rows of the whole field log, ordered by record then version.
pub(crate) fn verify_rows(rows: &[FieldEventRow]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expected: Option<(&str, i64, &str)> = None;
    for r in rows {
        let (want_version, want_prev) = match expected {
            Some((id, v, h)) if id == r.record_id => (v + 1, h),
            _ => (1, GENESIS),
        };
        if r.version != want_version {
            problems.push(format!("{} 第{}条：版本不连续", r.record_id, r.version));
        }
        if r.prev_hash != want_prev {
            problems.push(format!("{} 第{}条：前序哈希不符", r.record_id, r.version));
        }
        let computed = serde_json::from_str(&r.meta)
            .and_then(|m| serde_json::from_str(&r.body).map(|b| (m, b)))
            .map_err(StoreError::from)
            .and_then(|(m, b)| r.hash_with(m, b));
        match computed {
            Ok(h) if h == r.hash => {}
            _ => problems.push(format!("{} 第{}条：内容与哈希不符", r.record_id, r.version)),
        }
        expected = Some((&r.record_id, r.version, &r.hash));
    }
    problems
}

pub(crate) fn subtree(d: &DivisionCode) -> String {
    format!("{}%", d.prefix())
}

pub const INSERT_AREA_VERSION: &str = "INSERT INTO area_versions (division, version, geometry, \
     updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)";
pub const NEXT_AREA_VERSION: &str =
    "SELECT COALESCE(MAX(version), 0) + 1 FROM area_versions WHERE division = $1";
pub const UPSERT_AREA: &str = "INSERT INTO areas (division, geometry, version, updated_by, \
     updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (division) DO UPDATE SET \
     geometry = excluded.geometry, version = excluded.version, \
     updated_by = excluded.updated_by, updated_at = excluded.updated_at";
pub const SELECT_AREAS: &str = "SELECT division, geometry, version, updated_by, updated_at \
     FROM areas WHERE division LIKE $1 ORDER BY division";
pub const SELECT_AREA: &str = "SELECT division, geometry, version, updated_by, updated_at \
     FROM areas WHERE division = $1";

pub const INSERT_ASSIGNMENT: &str = "INSERT INTO assignments (id, kind, division, user_id, \
     starts, ends, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const ASSIGNMENT_COLUMNS: &str =
    "id, kind, division, user_id, starts, ends, created_by, created_at";

pub fn select_assignments_within() -> String {
    format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE division LIKE $1 \
         ORDER BY division, starts, id"
    )
}

pub fn select_assignments_of() -> String {
    format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE user_id = $1 ORDER BY starts, id")
}

pub const FIELD_HEAD: &str = "SELECT version, hash FROM field_events WHERE record_id = $1 \
     ORDER BY version DESC LIMIT 1";
pub const INSERT_FIELD_EVENT: &str = "INSERT INTO field_events (record_id, version, kind, \
     occurred_at, actor_id, division, recorded_at, meta, body, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const FIELD_EVENT_COLUMNS: &str = "seq, record_id, version, kind, occurred_at, actor_id, \
     division, recorded_at, meta, body, prev_hash, hash";

pub fn select_field_events() -> String {
    format!("SELECT {FIELD_EVENT_COLUMNS} FROM field_events WHERE record_id = $1 ORDER BY version")
}

pub fn select_all_field_events() -> String {
    format!("SELECT {FIELD_EVENT_COLUMNS} FROM field_events ORDER BY record_id, version")
}

pub const UPSERT_FIELD_RECORD: &str = "INSERT INTO field_records (id, kind, status, ledger, \
     category, division, actor_id, actor_name, occurred_at, ended_at, lat_e6, lon_e6, flagged, \
     case_number, summary, photos, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
     $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (id) DO UPDATE SET \
     status = excluded.status, ledger = excluded.ledger, category = excluded.category, \
     ended_at = excluded.ended_at, lat_e6 = excluded.lat_e6, lon_e6 = excluded.lon_e6, \
     flagged = excluded.flagged, case_number = excluded.case_number, \
     summary = excluded.summary, photos = excluded.photos, version = excluded.version, \
     updated_at = excluded.updated_at";
const FIELD_ROW_COLUMNS: &str = "id, kind, status, ledger, category, division, actor_id, \
     actor_name, occurred_at, ended_at, lat_e6, lon_e6, flagged, case_number, summary, photos, \
     version, updated_at";

pub fn select_field_record() -> String {
    format!("SELECT {FIELD_ROW_COLUMNS} FROM field_records WHERE id = $1")
}

/// A filter's SQL with `$n` placeholders and its text and integer arguments, in order.
pub fn select_field_records(f: &FieldFilter) -> (String, Vec<Arg>) {
    let mut sql = format!("SELECT {FIELD_ROW_COLUMNS} FROM field_records WHERE 1 = 1");
    let mut args = Vec::new();
    let mut push = |sql: &mut String, clause: &str, arg: Arg| {
        args.push(arg);
        sql.push_str(&clause.replace("$?", &format!("${}", args.len())));
    };
    if let Some(w) = &f.within {
        push(&mut sql, " AND division LIKE $?", Arg::Text(subtree(w)));
    }
    for (column, value) in [
        ("kind", &f.kind),
        ("ledger", &f.ledger),
        ("status", &f.status),
        ("actor_id", &f.actor_id),
    ] {
        if let Some(v) = value {
            push(
                &mut sql,
                &format!(" AND {column} = $?"),
                Arg::Text(v.clone()),
            );
        }
    }
    if let Some(t) = f.from {
        push(&mut sql, " AND occurred_at >= $?", Arg::Int(t.micros()));
    }
    if let Some(t) = f.to {
        push(&mut sql, " AND occurred_at < $?", Arg::Int(t.micros()));
    }
    push(
        &mut sql,
        " ORDER BY occurred_at DESC, id LIMIT $?",
        Arg::Int(i64::from(f.limit.max(1))),
    );
    (sql, args)
}

/// An argument of a built query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Int(i64),
}

pub const REPORT_COUNTS: &str = "SELECT COALESCE(ledger, ''), status, COUNT(*) FROM field_records \
     WHERE kind = 'report' AND division LIKE $1 GROUP BY ledger, status ORDER BY ledger, status";

pub const OPEN_CASES_BY_PLACE: &str = "SELECT COALESCE(grid, division), COUNT(*) FROM cases \
     WHERE division LIKE $1 AND status IN ('registered', 'accepted', 'assigned', 'in_progress', \
     'mediating') GROUP BY COALESCE(grid, division)";

pub type AreaTuple = (String, String, i64, String, i64);

pub fn area_from(t: AreaTuple) -> Result<StoredArea> {
    Ok(StoredArea {
        division: DivisionCode::parse(&t.0).map_err(|e| StoreError::Corrupt(e.message))?,
        geometry: t.1,
        version: t.2,
        updated_by: t.3,
        updated_at: Timestamp::from_micros(t.4),
    })
}

pub type AssignmentTuple = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
);

pub fn assignment_from(t: AssignmentTuple) -> Result<Assignment> {
    Ok(Assignment {
        id: t.0,
        kind: t.1,
        division: DivisionCode::parse(&t.2).map_err(|e| StoreError::Corrupt(e.message))?,
        user_id: t.3,
        starts: t.4,
        ends: t.5,
        created_by: t.6,
        created_at: Timestamp::from_micros(t.7),
    })
}
