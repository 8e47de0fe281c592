//! Early warnings (预警研判, issue 8): what a scan of the record raised — a spike of one dispute
//! type in one place, a party at risk, a case at risk — and what people did about it.
//!
//! A warning is identified by its subject key (`spike:{division}:{type}:{week start}`,
//! `party:{hash}:{month}`, `case:{case id}`), so raising it again is a no-op unless the new level
//! is more urgent, in which case the level rises. Its status moves open → acknowledged (签收) →
//! acted (处置, as often as needed) → closed (结果: 属实 or 误报, from acknowledged or acted), and
//! nothing happens after closed except a rise in level, which opens it again. Every change of
//! level, status or outcome is also a row in the append-only `warning_actions`, written in the
//! same transaction, so the history of a warning is never lost.

use async_trait::async_trait;
use hejie_domain::case::CaseId;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;

use crate::sql::Bind;
use crate::{Result, StoreError};

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WarningKind {
    /// More new cases of one type in one place than its baseline allows.
    Spike,
    /// A party in several cases, or back after a failed mediation.
    Party,
    /// An open case whose risk signals add up.
    Case,
}

impl WarningKind {
    pub const ALL: [WarningKind; 3] = [WarningKind::Spike, WarningKind::Party, WarningKind::Case];

    pub fn code(self) -> &'static str {
        match self {
            WarningKind::Spike => "spike",
            WarningKind::Party => "party",
            WarningKind::Case => "case",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WarningKind::Spike => "类案激增",
            WarningKind::Party => "重点当事人",
            WarningKind::Case => "高风险案件",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// A warning's colour, most urgent first (so `Red < Yellow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WarningLevel {
    Red,
    Orange,
    Yellow,
}

impl WarningLevel {
    pub const ALL: [WarningLevel; 3] = [
        WarningLevel::Red,
        WarningLevel::Orange,
        WarningLevel::Yellow,
    ];

    pub fn code(self) -> &'static str {
        match self {
            WarningLevel::Red => "red",
            WarningLevel::Orange => "orange",
            WarningLevel::Yellow => "yellow",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WarningLevel::Red => "红",
            WarningLevel::Orange => "橙",
            WarningLevel::Yellow => "黄",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

impl From<hejie_insight::Level> for WarningLevel {
    fn from(l: hejie_insight::Level) -> Self {
        match l {
            hejie_insight::Level::Red => WarningLevel::Red,
            hejie_insight::Level::Orange => WarningLevel::Orange,
            hejie_insight::Level::Yellow => WarningLevel::Yellow,
        }
    }
}

/// Where a warning stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningStatus {
    Open,
    Acknowledged,
    Acted,
    Closed,
}

impl WarningStatus {
    pub const ALL: [WarningStatus; 4] = [
        WarningStatus::Open,
        WarningStatus::Acknowledged,
        WarningStatus::Acted,
        WarningStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            WarningStatus::Open => "open",
            WarningStatus::Acknowledged => "acknowledged",
            WarningStatus::Acted => "acted",
            WarningStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WarningStatus::Open => "待签收",
            WarningStatus::Acknowledged => "已签收",
            WarningStatus::Acted => "已处置",
            WarningStatus::Closed => "已办结",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// Whether a warning turned out to be true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningOutcome {
    /// 属实.
    Confirmed,
    /// 误报.
    FalseAlarm,
}

impl WarningOutcome {
    pub fn code(self) -> &'static str {
        match self {
            WarningOutcome::Confirmed => "confirmed",
            WarningOutcome::FalseAlarm => "false_alarm",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WarningOutcome::Confirmed => "属实",
            WarningOutcome::FalseAlarm => "误报",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [WarningOutcome::Confirmed, WarningOutcome::FalseAlarm]
            .into_iter()
            .find(|k| k.code() == s)
    }
}

/// A warning a scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWarning {
    /// The dedupe key: the same subject is one warning however often it is found.
    pub subject_key: String,
    pub kind: WarningKind,
    pub level: WarningLevel,
    /// Who sees it: users whose jurisdiction contains this division.
    pub division: DivisionCode,
    pub dispute_type: Option<String>,
    pub case_id: Option<CaseId>,
    pub title: String,
    /// JSON text: the numbers behind the warning.
    pub detail: String,
}

/// A stored warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub id: i64,
    pub subject_key: String,
    pub kind: WarningKind,
    pub level: WarningLevel,
    pub division: DivisionCode,
    pub dispute_type: Option<String>,
    pub case_id: Option<CaseId>,
    pub title: String,
    pub detail: String,
    pub raised_at: Timestamp,
    pub updated_at: Timestamp,
    pub status: WarningStatus,
    pub outcome: Option<WarningOutcome>,
}

/// One row of a warning's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningEntry {
    pub seq: i64,
    /// `raised`, `acknowledged`, `acted`, `outcome` or `escalated`.
    pub action: String,
    /// The level raised or escalated to.
    pub level: Option<WarningLevel>,
    pub actor_id: String,
    pub actor_name: String,
    pub at: Timestamp,
    pub note: String,
    pub outcome: Option<WarningOutcome>,
}

/// What a person does to a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningStep {
    /// 签收.
    Acknowledge,
    /// 处置 (needs a note saying what was done).
    Act,
    /// 结果: whether the warning was true; closes it.
    Outcome(WarningOutcome),
}

impl WarningStep {
    pub fn code(self) -> &'static str {
        match self {
            WarningStep::Acknowledge => "acknowledged",
            WarningStep::Act => "acted",
            WarningStep::Outcome(_) => "outcome",
        }
    }
}

/// A step with who took it, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningAction {
    pub step: WarningStep,
    pub actor_id: String,
    pub actor_name: String,
    pub at: Timestamp,
    pub note: String,
}

/// Why a step was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WarningRefusal {
    #[error("预警已签收，无需重复签收")]
    AlreadyAcknowledged,
    #[error("请先签收预警，再处置或记录结果")]
    NotAcknowledged,
    #[error("预警已办结，不能再操作")]
    Closed,
    #[error("请填写处置情况")]
    NoteRequired,
}

impl WarningRefusal {
    /// The stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            WarningRefusal::AlreadyAcknowledged => "warning_already_acknowledged",
            WarningRefusal::NotAcknowledged => "warning_not_acknowledged",
            WarningRefusal::Closed => "warning_closed",
            WarningRefusal::NoteRequired => "warning_note_required",
        }
    }
}

/// What [`WarningStore::act_on_warning`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error(transparent)]
    Refused(#[from] WarningRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The status a step leads to from `current`, or why it may not be taken.
pub fn next_status(
    current: WarningStatus,
    action: &WarningAction,
) -> std::result::Result<WarningStatus, WarningRefusal> {
    use WarningStatus as S;
    if current == S::Closed {
        return Err(WarningRefusal::Closed);
    }
    match action.step {
        WarningStep::Acknowledge => match current {
            S::Open => Ok(S::Acknowledged),
            _ => Err(WarningRefusal::AlreadyAcknowledged),
        },
        WarningStep::Act => {
            if action.note.trim().is_empty() {
                return Err(WarningRefusal::NoteRequired);
            }
            match current {
                S::Open => Err(WarningRefusal::NotAcknowledged),
                _ => Ok(S::Acted),
            }
        }
        WarningStep::Outcome(_) => match current {
            S::Open => Err(WarningRefusal::NotAcknowledged),
            _ => Ok(S::Closed),
        },
    }
}

/// Which warnings to list.
#[derive(Debug, Clone, Default)]
pub struct WarningFilter {
    /// Only warnings of this division's subtree.
    pub within: Option<DivisionCode>,
    pub level: Option<WarningLevel>,
    /// Only these statuses; empty = all.
    pub statuses: Vec<WarningStatus>,
    pub kind: Option<WarningKind>,
    /// Only warnings raised in `[from, to)` (e.g. a month, for the monthly report).
    pub raised_in: Option<(Timestamp, Timestamp)>,
    pub offset: u32,
    /// 0 = 50; at most 500.
    pub limit: u32,
}

/// How warnings of one kind and level fared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarningStatsRow {
    pub kind: Option<WarningKind>,
    pub level: Option<WarningLevel>,
    pub raised: u64,
    pub acknowledged: u64,
    pub acted: u64,
    pub confirmed: u64,
    pub false_alarm: u64,
    /// Median hours from raising to the first acknowledgement, over those acknowledged.
    pub median_hours_to_acknowledge: Option<f64>,
}

impl WarningStatsRow {
    /// 命中率: confirmed ÷ (confirmed + false alarms); `None` before any outcome.
    pub fn hit_rate(&self) -> Option<f64> {
        let judged = self.confirmed + self.false_alarm;
        (judged > 0).then(|| self.confirmed as f64 / judged as f64)
    }
}

/// Per kind × level (only combinations that were raised), and the total as the last row (with
/// `kind` and `level` `None`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarningStats {
    pub rows: Vec<WarningStatsRow>,
    pub total: WarningStatsRow,
}

/// A party (by the keyed hash of their ID number) and their recent cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyCases {
    pub id_hash: String,
    pub name: String,
    pub id_masked: Option<String>,
    /// Oldest first.
    pub cases: Vec<PartyCase>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyCase {
    pub case_id: CaseId,
    pub number: String,
    pub division: DivisionCode,
    pub registered_at: Timestamp,
    pub status: String,
    /// The outcome code once closed (`failed` for 调解不成).
    pub outcome: Option<String>,
}

#[async_trait]
pub trait WarningStore: Send + Sync {
    /// Raises warnings at `now`: a new subject is inserted (with its `raised` action); a known
    /// one at a more urgent level has its level raised (with an `escalated` action, opening it
    /// again if it was closed); anything else is left alone. Returns how many were new.
    async fn raise_warnings(&self, warnings: Vec<NewWarning>, now: Timestamp) -> Result<u64>;
    /// Warnings matching the filter, unfinished and most urgent first, then newest; and how
    /// many match in all.
    async fn warnings(&self, filter: &WarningFilter) -> Result<(Vec<Warning>, u64)>;
    /// One warning and its history, oldest first.
    async fn warning(&self, id: i64) -> Result<Option<(Warning, Vec<WarningEntry>)>>;
    /// Takes a step on a warning: the status changes and the action is recorded, in one
    /// transaction. `NotFound` when there is no such warning.
    async fn act_on_warning(
        &self,
        id: i64,
        action: WarningAction,
    ) -> std::result::Result<Warning, ActError>;
    /// How the warnings raised in `[from, to)` in a division's subtree fared.
    async fn warning_stats(
        &self,
        division: &DivisionCode,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<WarningStats>;
    /// Parties (by ID-number hash) who appear in at least `min_cases` cases registered since
    /// `since`, each with those cases.
    async fn repeat_parties(&self, since: Timestamp, min_cases: u32) -> Result<Vec<PartyCases>>;
}

// ---------------------------------------------------------------------------------------------
// Shared by both backends.
// ---------------------------------------------------------------------------------------------

/// The actor of actions the system takes (raising, escalating).
pub const SYSTEM_ACTOR: &str = "system";
pub const SYSTEM_ACTOR_NAME: &str = "系统";

pub const WARNING_COLUMNS: &str = "id, subject_key, kind, level, division, dispute_type, case_id, \
     title, detail, raised_at, updated_at, status, outcome";

pub const SELECT_BY_KEY: &str = "SELECT id, level FROM warnings WHERE subject_key = $1";

/// Inserts a new subject; returns no row when another writer inserted it first.
pub const INSERT_WARNING: &str = "INSERT INTO warnings (subject_key, kind, level, division, \
     dispute_type, case_id, title, detail, raised_at, updated_at, status) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 'open') \
     ON CONFLICT (subject_key) DO NOTHING RETURNING id";

/// Raises the level (and opens a closed warning again, forgetting its outcome); the new title
/// and numbers replace the old ones because they describe the more urgent finding.
pub const ESCALATE_WARNING: &str = "UPDATE warnings SET level = $2, title = $3, detail = $4, \
     updated_at = $5, status = CASE WHEN status = 'closed' THEN 'open' ELSE status END, \
     outcome = CASE WHEN status = 'closed' THEN NULL ELSE outcome END WHERE id = $1";

pub const INSERT_ACTION: &str = "INSERT INTO warning_actions (warning_id, seq, action, level, \
     actor_id, actor_name, at, note, outcome) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, \
     $5, $6, $7, $8 FROM warning_actions WHERE warning_id = $1";

/// Moves the status only from the status the step was checked against, so two people acting
/// at once cannot both succeed from the same state.
pub const UPDATE_STATUS: &str = "UPDATE warnings SET status = $2, outcome = COALESCE($3, outcome), \
     updated_at = $4 WHERE id = $1 AND status = $5";

pub const SELECT_ACTIONS: &str = "SELECT seq, action, level, actor_id, actor_name, at, note, \
     outcome FROM warning_actions WHERE warning_id = $1 ORDER BY seq";

pub const SELECT_STATS: &str = "SELECT w.kind, w.level, w.raised_at, w.outcome, \
     (SELECT MIN(a.at) FROM warning_actions a WHERE a.warning_id = w.id \
        AND a.action = 'acknowledged'), \
     (SELECT COUNT(*) FROM warning_actions a WHERE a.warning_id = w.id AND a.action = 'acted') \
     FROM warnings w WHERE w.division LIKE $1 AND w.raised_at >= $2 AND w.raised_at < $3";

/// Cases since `$1` of every party whose ID-number hash is in at least `$2` of them.
pub const SELECT_REPEAT_PARTIES: &str = "SELECT p.id_hash, p.name, p.id_masked, c.id, c.number, \
     c.division, c.registered_at, c.status, c.outcome FROM case_parties p \
     JOIN cases c ON c.id = p.case_id WHERE c.registered_at >= $1 AND p.id_hash IN ( \
       SELECT p2.id_hash FROM case_parties p2 JOIN cases c2 ON c2.id = p2.case_id \
       WHERE p2.id_hash IS NOT NULL AND c2.registered_at >= $1 \
       GROUP BY p2.id_hash HAVING COUNT(DISTINCT p2.case_id) >= $2) \
     ORDER BY p.id_hash, c.registered_at, c.id";

/// A stored warning row as read.
pub(crate) type WarningRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
);

pub(crate) fn warning_from_row(r: WarningRow) -> Result<Warning> {
    let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("warning {what} {v}"));
    Ok(Warning {
        id: r.0,
        subject_key: r.1,
        kind: WarningKind::parse(&r.2).ok_or_else(|| corrupt("kind", &r.2))?,
        level: WarningLevel::parse(&r.3).ok_or_else(|| corrupt("level", &r.3))?,
        division: DivisionCode::parse(&r.4).map_err(|_| corrupt("division", &r.4))?,
        dispute_type: r.5,
        case_id: r.6.as_deref().map(crate::rows::parse_case_id).transpose()?,
        title: r.7,
        detail: r.8,
        raised_at: Timestamp::from_micros(r.9),
        updated_at: Timestamp::from_micros(r.10),
        status: WarningStatus::parse(&r.11).ok_or_else(|| corrupt("status", &r.11))?,
        outcome: r.12.as_deref().and_then(WarningOutcome::parse),
    })
}

pub(crate) type EntryRow = (
    i64,
    String,
    Option<String>,
    String,
    String,
    i64,
    String,
    Option<String>,
);

pub(crate) fn entry_from_row(r: EntryRow) -> WarningEntry {
    WarningEntry {
        seq: r.0,
        action: r.1,
        level: r.2.as_deref().and_then(WarningLevel::parse),
        actor_id: r.3,
        actor_name: r.4,
        at: Timestamp::from_micros(r.5),
        note: r.6,
        outcome: r.7.as_deref().and_then(WarningOutcome::parse),
    }
}

/// What raising one warning does, given the stored `(id, level)` of its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Raise {
    Insert,
    Escalate(i64),
    Nothing,
}

pub(crate) fn plan_raise(stored: Option<(i64, String)>, new: &NewWarning) -> Raise {
    match stored {
        None => Raise::Insert,
        Some((id, level)) => match WarningLevel::parse(&level) {
            Some(old) if new.level >= old => Raise::Nothing,
            _ => Raise::Escalate(id),
        },
    }
}

pub(crate) fn insert_binds(w: &NewWarning, now: Timestamp) -> Vec<Bind> {
    vec![
        Bind::Text(w.subject_key.clone()),
        Bind::Text(w.kind.code().to_owned()),
        Bind::Text(w.level.code().to_owned()),
        Bind::Text(w.division.to_string()),
        w.dispute_type.clone().map_or(Bind::Null, Bind::Text),
        w.case_id.map_or(Bind::Null, |c| Bind::Text(c.to_string())),
        Bind::Text(w.title.clone()),
        Bind::Text(w.detail.clone()),
        Bind::Int(now.micros()),
    ]
}

pub(crate) fn escalate_binds(id: i64, w: &NewWarning, now: Timestamp) -> Vec<Bind> {
    vec![
        Bind::Int(id),
        Bind::Text(w.level.code().to_owned()),
        Bind::Text(w.title.clone()),
        Bind::Text(w.detail.clone()),
        Bind::Int(now.micros()),
    ]
}

/// `INSERT_ACTION` binds of the system raising or escalating a warning.
pub(crate) fn system_action_binds(
    id: i64,
    action: &str,
    w: &NewWarning,
    now: Timestamp,
) -> Vec<Bind> {
    vec![
        Bind::Int(id),
        Bind::Text(action.to_owned()),
        Bind::Text(w.level.code().to_owned()),
        Bind::Text(SYSTEM_ACTOR.to_owned()),
        Bind::Text(SYSTEM_ACTOR_NAME.to_owned()),
        Bind::Int(now.micros()),
        Bind::Text(w.title.clone()),
        Bind::Null,
    ]
}

fn outcome_of(a: &WarningAction) -> Option<WarningOutcome> {
    match a.step {
        WarningStep::Outcome(o) => Some(o),
        _ => None,
    }
}

/// `INSERT_ACTION` binds of a person's step.
pub(crate) fn action_binds(id: i64, a: &WarningAction) -> Vec<Bind> {
    vec![
        Bind::Int(id),
        Bind::Text(a.step.code().to_owned()),
        Bind::Null,
        Bind::Text(a.actor_id.clone()),
        Bind::Text(a.actor_name.clone()),
        Bind::Int(a.at.micros()),
        Bind::Text(a.note.trim().to_owned()),
        outcome_of(a).map_or(Bind::Null, |o| Bind::Text(o.code().to_owned())),
    ]
}

/// `UPDATE_STATUS` binds of a checked step.
pub(crate) fn status_binds(
    id: i64,
    a: &WarningAction,
    from: WarningStatus,
    to: WarningStatus,
) -> Vec<Bind> {
    vec![
        Bind::Int(id),
        Bind::Text(to.code().to_owned()),
        outcome_of(a).map_or(Bind::Null, |o| Bind::Text(o.code().to_owned())),
        Bind::Int(a.at.micros()),
        Bind::Text(from.code().to_owned()),
    ]
}

/// The list and count queries of a filter, numbered `$n`, with the same binds.
pub(crate) fn list_query(f: &WarningFilter) -> (String, String, Vec<Bind>) {
    let mut binds = Vec::new();
    let mut conds = Vec::new();
    if let Some(d) = &f.within {
        binds.push(crate::insight::subtree(d));
        conds.push(format!("division LIKE ${}", binds.len()));
    }
    if let Some(l) = f.level {
        binds.push(Bind::Text(l.code().to_owned()));
        conds.push(format!("level = ${}", binds.len()));
    }
    if let Some(k) = f.kind {
        binds.push(Bind::Text(k.code().to_owned()));
        conds.push(format!("kind = ${}", binds.len()));
    }
    if let Some((from, to)) = f.raised_in {
        binds.push(Bind::Int(from.micros()));
        binds.push(Bind::Int(to.micros()));
        conds.push(format!(
            "raised_at >= ${} AND raised_at < ${}",
            binds.len() - 1,
            binds.len()
        ));
    }
    if !f.statuses.is_empty() {
        let mut marks = Vec::new();
        for s in &f.statuses {
            binds.push(Bind::Text(s.code().to_owned()));
            marks.push(format!("${}", binds.len()));
        }
        conds.push(format!("status IN ({})", marks.join(", ")));
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    let limit = if f.limit == 0 { 50 } else { f.limit.min(500) };
    let page = format!(
        "SELECT {WARNING_COLUMNS} FROM warnings{filter} ORDER BY \
         CASE status WHEN 'closed' THEN 1 ELSE 0 END, \
         CASE level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 ELSE 2 END, \
         raised_at DESC, id DESC LIMIT {limit} OFFSET {}",
        f.offset
    );
    let count = format!("SELECT COUNT(*) FROM warnings{filter}");
    (page, count, binds)
}

/// One warning as [`SELECT_STATS`] reads it: kind, level, raised at, outcome, first
/// acknowledged at, acted count.
pub(crate) type StatsRow = (String, String, i64, Option<String>, Option<i64>, i64);

/// Sums the stats rows by kind × level and in total.
pub(crate) fn stats_from_rows(rows: Vec<StatsRow>) -> WarningStats {
    use std::collections::BTreeMap;
    #[derive(Default)]
    struct Acc {
        row: WarningStatsRow,
        hours: Vec<f64>,
    }
    fn add(acc: &mut Acc, raised: i64, outcome: Option<&str>, ack: Option<i64>, acted: i64) {
        acc.row.raised += 1;
        if let Some(at) = ack {
            acc.row.acknowledged += 1;
            acc.hours.push((at - raised) as f64 / 3_600_000_000.0);
        }
        if acted > 0 {
            acc.row.acted += 1;
        }
        match outcome.and_then(WarningOutcome::parse) {
            Some(WarningOutcome::Confirmed) => acc.row.confirmed += 1,
            Some(WarningOutcome::FalseAlarm) => acc.row.false_alarm += 1,
            None => {}
        }
    }
    fn finish(mut acc: Acc) -> WarningStatsRow {
        acc.row.median_hours_to_acknowledge = median(&mut acc.hours);
        acc.row
    }
    let mut by: BTreeMap<(WarningKind, WarningLevel), Acc> = BTreeMap::new();
    let mut total = Acc::default();
    for (kind, level, raised, outcome, ack, acted) in rows {
        let (Some(k), Some(l)) = (WarningKind::parse(&kind), WarningLevel::parse(&level)) else {
            continue;
        };
        let acc = by.entry((k, l)).or_default();
        acc.row.kind = Some(k);
        acc.row.level = Some(l);
        add(acc, raised, outcome.as_deref(), ack, acted);
        add(&mut total, raised, outcome.as_deref(), ack, acted);
    }
    WarningStats {
        rows: by.into_values().map(finish).collect(),
        total: finish(total),
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// One row of [`SELECT_REPEAT_PARTIES`].
pub(crate) type PartyRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
);

/// Groups the rows by party; a case naming the same person twice counts once.
pub(crate) fn parties_from_rows(rows: Vec<PartyRow>) -> Result<Vec<PartyCases>> {
    let mut out: Vec<PartyCases> = Vec::new();
    for (hash, name, masked, id, number, division, at, status, outcome) in rows {
        let case = PartyCase {
            case_id: crate::rows::parse_case_id(&id)?,
            number,
            division: DivisionCode::parse(&division)
                .map_err(|_| StoreError::Corrupt(format!("case division {division}")))?,
            registered_at: Timestamp::from_micros(at),
            status,
            outcome,
        };
        match out.last_mut() {
            Some(p) if p.id_hash == hash => {
                if !p.cases.iter().any(|c| c.case_id == case.case_id) {
                    p.cases.push(case);
                }
            }
            _ => out.push(PartyCases {
                id_hash: hash,
                name,
                id_masked: masked,
                cases: vec![case],
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(step: WarningStep, note: &str) -> WarningAction {
        WarningAction {
            step,
            actor_id: "u".to_owned(),
            actor_name: "甲".to_owned(),
            at: Timestamp::from_micros(0),
            note: note.to_owned(),
        }
    }

    #[test]
    fn transitions_follow_acknowledge_act_outcome() {
        use WarningStatus as S;
        let ack = act(WarningStep::Acknowledge, "");
        let acted = act(WarningStep::Act, "走访当事人");
        let out = act(WarningStep::Outcome(WarningOutcome::Confirmed), "");
        assert_eq!(next_status(S::Open, &ack), Ok(S::Acknowledged));
        assert_eq!(
            next_status(S::Acknowledged, &ack),
            Err(WarningRefusal::AlreadyAcknowledged)
        );
        assert_eq!(
            next_status(S::Open, &acted),
            Err(WarningRefusal::NotAcknowledged)
        );
        assert_eq!(
            next_status(S::Acknowledged, &act(WarningStep::Act, "  ")),
            Err(WarningRefusal::NoteRequired)
        );
        assert_eq!(next_status(S::Acknowledged, &acted), Ok(S::Acted));
        assert_eq!(next_status(S::Acted, &acted), Ok(S::Acted));
        assert_eq!(
            next_status(S::Open, &out),
            Err(WarningRefusal::NotAcknowledged)
        );
        assert_eq!(next_status(S::Acknowledged, &out), Ok(S::Closed));
        assert_eq!(next_status(S::Acted, &out), Ok(S::Closed));
        for a in [&ack, &acted, &out] {
            assert_eq!(next_status(S::Closed, a), Err(WarningRefusal::Closed));
        }
    }

    #[test]
    fn the_median_is_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
