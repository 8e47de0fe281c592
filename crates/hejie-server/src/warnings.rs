//! 预警研判: the daily scan that raises early warnings, and the operations the API
//! (`api/warnings.rs`) and the page (`pages/warnings.rs`) share to list, read and act on them.
//!
//! The scan finds three things and raises each as a warning keyed by its subject, so running it
//! again (the scheduler's daily job, or by hand) never duplicates one:
//!
//! - **spikes**: for every village, township and county and every dispute type, this week's new
//!   registrations (Monday to today, CST) against the type's own weekly baseline there
//!   (`hejie_insight::detect_spike`: the same weeks of earlier years when the record reaches back
//!   that far, otherwise the eight weeks before), read from the aggregate cells;
//! - **parties at risk**: a person (by the keyed hash of their ID number) in three or more cases
//!   registered in the last twelve months, or back with a new case after a failed mediation;
//!   the warning belongs to the lowest division containing all of their cases, so nobody learns
//!   of a case outside their jurisdiction from it;
//! - **cases at risk**: open cases whose risk signals (`hejie_insight::assess_risk`: threat words,
//!   wage arrears before the Spring Festival, group disputes, long open, …) give a colour.
//!
//! Authorization is checked here: the role must carry `Action::ViewIndicators`, and a warning
//! outside the user's jurisdiction is "not found", as cases are.

use std::collections::{BTreeSet, HashMap};

use hejie_domain::case::{CaseId, Status};
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;
use hejie_insight::{CaseFacts, SpikeConfig, assess_risk, detect_spike};
use hejie_store::insight::{CellGroup, CellQuery};
use hejie_store::warnings::{
    ActError, NewWarning, PartyCases, Warning, WarningAction, WarningEntry, WarningFilter,
    WarningKind, WarningLevel, WarningRefusal, WarningStats, WarningStatus, WarningStep,
};
use hejie_store::work::Job;
use hejie_store::{CaseFilter, StoreError};
use serde_json::json;
use time::{Date, Duration};

use crate::error::AppError;
use crate::insight::{date_text, day_number, type_label};
use crate::state::AppState;

/// The scheduler's job kind and the key of its one job.
pub const WARNING_JOB: &str = "warnings";
pub const WARNING_JOB_KEY: &str = "warnings:scan";

/// How far back a party's cases count.
const PARTY_WINDOW_DAYS: i64 = 365;
/// Cases in the window that make a party a warning by themselves.
const PARTY_MIN_CASES: usize = 3;

/// What one scan found (warnings of each kind, whether new or not) and how many were new.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanReport {
    pub spikes: usize,
    pub parties: usize,
    pub cases: usize,
    pub new: u64,
}

/// How spikes are judged: weekly counts against the same weeks of up to three earlier years,
/// otherwise the defaults (eight trailing weeks, α = 0.01, at least three cases).
pub fn spike_config() -> SpikeConfig {
    SpikeConfig {
        season: Some(52),
        ..SpikeConfig::default()
    }
}

/// The Monday of `d`'s week.
pub fn week_start(d: Date) -> Date {
    d - Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

/// Runs every check as of `now` and raises what it finds.
pub async fn scan(state: &AppState, now: Timestamp) -> Result<ScanReport, StoreError> {
    let today = now.date_cst();
    let spikes = spikes(state, today).await?;
    let since = now.plus_seconds(-PARTY_WINDOW_DAYS * 86_400);
    let parties = state.store.repeat_parties(since, 2).await?;
    let party_warnings = party_warnings(&parties, today);
    let cases = case_warnings(state, &parties, today).await?;
    let report = ScanReport {
        spikes: spikes.len(),
        parties: party_warnings.len(),
        cases: cases.len(),
        new: 0,
    };
    let mut all = spikes;
    all.extend(party_warnings);
    all.extend(cases);
    let new = state.store.raise_warnings(all, now).await?;
    tracing::info!(?report, new, "early-warning scan");
    Ok(ScanReport { new, ..report })
}

/// The first CST day with any registration in the record, so that weeks before the record
/// began do not count as quiet weeks in a baseline.
async fn record_start(state: &AppState, today: Date) -> Result<Option<Date>, StoreError> {
    let reference = state.reference();
    let mut first: Option<Date> = None;
    for root in reference.tree.iter().filter(|d| d.parent.is_none()) {
        let rows = state
            .store
            .cells(&CellQuery {
                division: root.code.clone(),
                from_day: day_number(today - Duration::days(366 * 10)),
                to_day: day_number(today),
                dispute_type: None,
                metrics: vec![hejie_insight::Metric::Registered.code()],
                group: CellGroup::Day,
            })
            .await?;
        let earliest = rows
            .iter()
            .filter(|r| r.value > 0)
            .filter_map(|r| crate::insight::parse_date("day", &r.group).ok())
            .min();
        first = match (first, earliest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(first)
}

async fn spikes(state: &AppState, today: Date) -> Result<Vec<NewWarning>, StoreError> {
    let cfg = spike_config();
    let this_week = week_start(today);
    let Some(start) = record_start(state, today).await? else {
        return Ok(Vec::new());
    };
    let first_week = week_start(start);
    let weeks_back = i64::try_from(cfg.seasons * 52 + 2).unwrap_or(158);
    let first_week = first_week.max(this_week - Duration::weeks(weeks_back));
    let weeks = usize::try_from((this_week - first_week).whole_weeks()).unwrap_or(0) + 1;
    // A baseline needs the trailing weeks at least; before that every busy week would look
    // like a spike against the floor of the expected count.
    if weeks <= cfg.trailing {
        return Ok(Vec::new());
    }
    let reference = state.reference();
    let registered = hejie_insight::Metric::Registered.code();
    let mut out = Vec::new();
    for d in reference.tree.iter().filter(|d| {
        matches!(
            d.code.level(),
            Level::Village | Level::Township | Level::County
        )
    }) {
        // Only types with enough cases this week can be a spike; their history is read next.
        let now_rows = state
            .store
            .cells(&CellQuery {
                division: d.code.clone(),
                from_day: day_number(this_week),
                to_day: day_number(today),
                dispute_type: None,
                metrics: vec![registered.clone()],
                group: CellGroup::DisputeType,
            })
            .await?;
        for row in now_rows {
            // Untyped cases are typed on acceptance and then count under their type.
            if row.group.is_empty() || row.value < i64::try_from(cfg.min_count).unwrap_or(3) {
                continue;
            }
            let history = state
                .store
                .cells(&CellQuery {
                    division: d.code.clone(),
                    from_day: day_number(first_week),
                    to_day: day_number(today),
                    dispute_type: Some(row.group.clone()),
                    metrics: vec![registered.clone()],
                    group: CellGroup::Day,
                })
                .await?;
            let mut series = vec![0u64; weeks];
            for h in history {
                let Ok(day) = crate::insight::parse_date("day", &h.group) else {
                    continue;
                };
                let i = usize::try_from((day - first_week).whole_weeks()).unwrap_or(usize::MAX);
                if let Some(slot) = series.get_mut(i) {
                    *slot += u64::try_from(h.value).unwrap_or(0);
                }
            }
            let Some(spike) = detect_spike(&series, &cfg) else {
                continue;
            };
            let type_name = type_label(&row.group);
            out.push(NewWarning {
                subject_key: format!("spike:{}:{}:{}", d.code, row.group, date_text(this_week)),
                kind: WarningKind::Spike,
                level: spike.level.into(),
                division: d.code.clone(),
                dispute_type: Some(row.group.clone()),
                case_id: None,
                title: format!("{}{}纠纷本周激增", reference.full_name(&d.code), type_name),
                detail: json!({
                    "week_start": date_text(this_week),
                    "through": date_text(today),
                    "observed": spike.observed,
                    "expected": spike.expected,
                    "limit": spike.limit,
                    "ratio": spike.ratio,
                    "p_value": spike.p_value,
                    "history_weeks": weeks - 1,
                })
                .to_string(),
            });
        }
    }
    Ok(out)
}

/// The lowest division containing both codes (cases are kept at villages, or at a township when
/// located there).
fn common_ancestor(a: &DivisionCode, b: &DivisionCode) -> DivisionCode {
    for level in [
        Level::Grid,
        Level::Village,
        Level::Township,
        Level::County,
        Level::City,
    ] {
        let up = |c: &DivisionCode| {
            if c.level() == level {
                Some(c.clone())
            } else {
                c.ancestor_at(level)
            }
        };
        if let (Some(x), Some(y)) = (up(a), up(b))
            && x == y
        {
            return x;
        }
    }
    a.ancestor_at(Level::City).unwrap_or_else(|| a.clone())
}

/// Whether a party came back with a new case after a mediation of theirs failed.
fn back_after_failure(p: &PartyCases) -> bool {
    p.cases
        .iter()
        .position(|c| c.outcome.as_deref() == Some("failed"))
        .is_some_and(|i| {
            let failed_at = p.cases[i].registered_at;
            p.cases[i + 1..]
                .iter()
                .any(|c| c.registered_at >= failed_at)
        })
}

fn party_warnings(parties: &[PartyCases], today: Date) -> Vec<NewWarning> {
    let month = crate::insight::month_text(today);
    let mut out = Vec::new();
    for p in parties {
        let n = p.cases.len();
        let back = back_after_failure(p);
        let level = if n >= 5 || (n >= PARTY_MIN_CASES && back) {
            WarningLevel::Red
        } else if n >= 4 || back {
            WarningLevel::Orange
        } else if n >= PARTY_MIN_CASES {
            WarningLevel::Yellow
        } else {
            continue;
        };
        let Some(first) = p.cases.first() else {
            continue;
        };
        let division = p.cases.iter().fold(first.division.clone(), |acc, c| {
            common_ancestor(&acc, &c.division)
        });
        let who = match &p.id_masked {
            Some(m) => format!("{}（{m}）", p.name),
            None => p.name.clone(),
        };
        let mut title = format!("当事人{who}近一年涉及{n}件纠纷");
        if back {
            title.push_str("，调解不成后再次发生纠纷");
        }
        let hash: String = p.id_hash.chars().take(16).collect();
        out.push(NewWarning {
            subject_key: format!("party:{hash}:{month}"),
            kind: WarningKind::Party,
            level,
            division,
            dispute_type: None,
            case_id: None,
            title,
            detail: json!({
                "cases": n,
                "back_after_failed_mediation": back,
                "case_numbers": p.cases.iter().map(|c| c.number.clone()).collect::<Vec<_>>(),
                "case_ids": p.cases.iter().map(|c| c.case_id.to_string()).collect::<Vec<_>>(),
            })
            .to_string(),
        });
    }
    out
}

async fn case_warnings(
    state: &AppState,
    parties: &[PartyCases],
    today: Date,
) -> Result<Vec<NewWarning>, StoreError> {
    // Each party's cases by registration, to count a case's earlier cases with the same party.
    let by_hash: HashMap<&str, Vec<(Timestamp, CaseId)>> = parties
        .iter()
        .map(|p| {
            let cases = p
                .cases
                .iter()
                .map(|c| (c.registered_at, c.case_id))
                .collect();
            (p.id_hash.as_str(), cases)
        })
        .collect();
    let mut out = Vec::new();
    for status in [
        Status::Registered,
        Status::Accepted,
        Status::Assigned,
        Status::InProgress,
        Status::Mediating,
    ] {
        let mut before = None;
        loop {
            let page = state
                .store
                .list_cases(&CaseFilter {
                    status: Some(status),
                    before,
                    limit: 500,
                    ..CaseFilter::default()
                })
                .await?;
            let Some(last) = page.last() else {
                break;
            };
            before = Some((last.registered_at, last.id));
            for summary in &page {
                let loaded = state.store.load(summary.id).await?;
                let Some(case) = loaded.case() else {
                    continue;
                };
                let mut earlier: BTreeSet<CaseId> = BTreeSet::new();
                for party in &case.parties {
                    let Some(id) = &party.id_number else {
                        continue;
                    };
                    for (at, other) in by_hash.get(id.keyed_hash.as_str()).into_iter().flatten() {
                        if *other != case.id && *at < case.registered_at {
                            earlier.insert(*other);
                        }
                    }
                }
                let facts = CaseFacts::of(case);
                let earlier = u32::try_from(earlier.len()).unwrap_or(u32::MAX);
                let risk = assess_risk(&facts, &case.description, earlier, today);
                let Some(level) = risk.level else {
                    continue;
                };
                let reasons: Vec<String> = risk.signals.iter().map(|s| s.describe()).collect();
                out.push(NewWarning {
                    subject_key: format!("case:{}", case.id),
                    kind: WarningKind::Case,
                    level: level.into(),
                    division: facts.division.clone(),
                    dispute_type: case.dispute_type.map(|t| t.code().to_owned()),
                    case_id: Some(case.id),
                    title: format!("案件{}存在{}项风险信号", case.number, reasons.len()),
                    detail: json!({
                        "case_number": case.number.to_string(),
                        "score": risk.score,
                        "signals": reasons,
                    })
                    .to_string(),
                });
            }
            if page.len() < 500 {
                break;
            }
        }
    }
    Ok(out)
}

/// The scheduler's daily job: scans, then runs again the next morning at 06:00 CST.
pub async fn run(state: &AppState, job: &Job, now: Timestamp) -> Result<(), StoreError> {
    scan(state, now).await?;
    let tomorrow = now.date_cst() + Duration::days(1);
    let next = Timestamp::midnight_cst(tomorrow).plus_seconds(6 * 3600);
    crate::workflow::scheduler::run_again(state, job, next, now).await
}

/// Makes sure the scan job exists (run at start-up); leaves a pending one alone.
pub async fn ensure_scheduled(state: &AppState) -> Result<(), StoreError> {
    crate::workflow::scheduler::ensure_periodic(state, WARNING_JOB_KEY, WARNING_JOB, state.now())
        .await
}

// ---------------------------------------------------------------------------------------------
// Reading and acting, for the API and the page.
// ---------------------------------------------------------------------------------------------

/// Which warnings a user asks for; empty strings do not filter.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub division: String,
    pub level: String,
    /// A status code, `active` (not closed; the default) or `all`.
    pub status: String,
    pub kind: String,
    pub offset: u32,
    pub limit: u32,
}

/// The filter of a query, checked: the area must be inside the user's jurisdiction.
pub fn filter(state: &AppState, user: &User, q: &Query) -> Result<WarningFilter, AppError> {
    let within = crate::insight::area(state, user, &q.division)?;
    let level = match q.level.trim() {
        "" => None,
        s => Some(
            WarningLevel::parse(s)
                .ok_or_else(|| AppError::validation("level", format!("无法识别的预警等级“{s}”")))?,
        ),
    };
    let kind = match q.kind.trim() {
        "" => None,
        s => Some(
            WarningKind::parse(s)
                .ok_or_else(|| AppError::validation("kind", format!("无法识别的预警类别“{s}”")))?,
        ),
    };
    let statuses =
        match q.status.trim() {
            "" | "active" => vec![
                WarningStatus::Open,
                WarningStatus::Acknowledged,
                WarningStatus::Acted,
            ],
            "all" => Vec::new(),
            s => vec![WarningStatus::parse(s).ok_or_else(|| {
                AppError::validation("status", format!("无法识别的预警状态“{s}”"))
            })?],
        };
    Ok(WarningFilter {
        within: Some(within),
        level,
        statuses,
        kind,
        raised_in: None,
        offset: q.offset,
        limit: if q.limit == 0 { 50 } else { q.limit.min(500) },
    })
}

/// The warnings a user may see that match the query, and how many match in all.
pub async fn list(
    state: &AppState,
    user: &User,
    q: &Query,
) -> Result<(Vec<Warning>, u64), AppError> {
    let f = filter(state, user, q)?;
    Ok(state.store.warnings(&f).await?)
}

/// One warning and its history, if the user may see it.
pub async fn get(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<(Warning, Vec<WarningEntry>), AppError> {
    crate::insight::authorize(user)?;
    match state.store.warning(id).await? {
        Some((w, h)) if user.jurisdiction.contains(&w.division) => Ok((w, h)),
        _ => Err(AppError::NotFound),
    }
}

/// Takes a step on a warning the user may see.
pub async fn act(
    state: &AppState,
    user: &User,
    id: i64,
    step: WarningStep,
    note: &str,
) -> Result<Warning, AppError> {
    get(state, user, id).await?;
    let action = WarningAction {
        step,
        actor_id: user.id.to_string(),
        actor_name: user.name.clone(),
        at: state.now(),
        note: note.trim().to_owned(),
    };
    state
        .store
        .act_on_warning(id, action)
        .await
        .map_err(|e| match e {
            ActError::Refused(WarningRefusal::NoteRequired) => {
                AppError::validation("note", WarningRefusal::NoteRequired.to_string())
            }
            ActError::Refused(r) => AppError::Refused {
                code: r.code(),
                message: r.to_string(),
            },
            ActError::Store(s) => s.into(),
        })
}

/// Reads a step from its wire form: `acknowledge`, `act`, or `outcome` with `confirmed` or
/// `false_alarm`.
pub fn step(action: &str, outcome: &str) -> Result<WarningStep, AppError> {
    match action.trim() {
        "acknowledge" => Ok(WarningStep::Acknowledge),
        "act" => Ok(WarningStep::Act),
        "outcome" => hejie_store::warnings::WarningOutcome::parse(outcome.trim())
            .map(WarningStep::Outcome)
            .ok_or_else(|| AppError::validation("outcome", "请选择预警结果：属实或误报")),
        other => Err(AppError::validation(
            "action",
            format!("无法识别的操作“{other}”，应为 acknowledge、act 或 outcome"),
        )),
    }
}

/// How the warnings of an area raised in the last `days` days fared.
pub async fn stats(
    state: &AppState,
    user: &User,
    division: &str,
    days: i64,
) -> Result<WarningStats, AppError> {
    let area = crate::insight::area(state, user, division)?;
    let now = state.now();
    let from = now.plus_seconds(-days.clamp(1, 3660) * 86_400);
    Ok(state
        .store
        .warning_stats(&area, from, now.plus_seconds(1))
        .await?)
}

fn number(v: &serde_json::Value, key: &str) -> f64 {
    v.get(key)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.0)
}

/// A p-value as people read it: four decimals, or `<0.0001` below that.
pub fn p_text(p: f64) -> String {
    if p < 0.0001 {
        "p<0.0001".to_owned()
    } else {
        format!("p={p:.4}")
    }
}

/// The numbers behind a warning, in Chinese: e.g. `本周 14 件，基线 4.2 件，控制上限 9 件，
/// p=0.0003`.
pub fn numbers(w: &Warning) -> String {
    let Ok(d) = serde_json::from_str::<serde_json::Value>(&w.detail) else {
        return String::new();
    };
    match w.kind {
        WarningKind::Spike => format!(
            "本周 {} 件，基线 {:.1} 件，控制上限 {} 件，{}",
            number(&d, "observed"),
            number(&d, "expected"),
            number(&d, "limit"),
            p_text(number(&d, "p_value"))
        ),
        WarningKind::Party => {
            let numbers: Vec<&str> = d
                .get("case_numbers")
                .and_then(serde_json::Value::as_array)
                .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
                .unwrap_or_default();
            let mut s = format!("近一年 {} 件：{}", number(&d, "cases"), numbers.join("、"));
            if d.get("back_after_failed_mediation") == Some(&serde_json::Value::Bool(true)) {
                s.push_str("；调解不成后再次发生纠纷");
            }
            s
        }
        WarningKind::Case => {
            let signals: Vec<&str> = d
                .get("signals")
                .and_then(serde_json::Value::as_array)
                .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
                .unwrap_or_default();
            format!("风险分 {}：{}", number(&d, "score"), signals.join("；"))
        }
    }
}
