//! The field duties (issue 7): the "四个至少" compliance of legal advisors and grid workers and
//! the 星级网格 rating, computed from the field log with the rules of `hejie_domain::quota` and
//! `hejie_domain::rating`. Both policies are one setting (`field_duties`, TOML), edited by
//! administrators and kept with its history like the other settings.

use std::collections::BTreeMap;

use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::field::ActivityType;
use hejie_domain::quota::{self, ActivityKind, ActivityRecord, DutyStatus, Period, QuotaPolicy};
use hejie_domain::rating::{self, GridRecord, Rating, RatingPolicy};
use hejie_domain::timestamp::{CST, Timestamp};
use hejie_domain::user::{Role, User};
use hejie_store::field::{FieldFilter, FieldRow};
use serde::{Deserialize, Serialize};
use time::{Date, Month, PrimitiveDateTime, Time};

use crate::error::AppError;
use crate::export::{Cell, Table};
use crate::state::AppState;

/// The setting's name in the store.
pub const FIELD_DUTIES: &str = "field_duties";

/// A field report closed within this many days of being filed counts as on time for the grid's
/// rating (reports have no statutory limit; this is the 即跟踪、即反馈 expectation).
pub const REPORT_DAYS: i64 = 7;

/// The field duties setting: both policies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duties {
    #[serde(default)]
    pub quota: QuotaPolicy,
    #[serde(default)]
    pub rating: RatingPolicy,
}

impl Duties {
    /// Reads and checks the TOML text, with a Chinese reason when it cannot be used.
    pub fn parse(text: &str) -> Result<Duties, String> {
        let d: Duties = toml::from_str(text).map_err(|e| format!("格式错误：{}", e.message()))?;
        d.quota.validate().map_err(|e| e.message)?;
        d.rating.validate().map_err(|e| e.message)?;
        Ok(d)
    }

    pub fn to_text(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// The duties in force: the stored setting, or the defaults.
pub async fn load(state: &AppState) -> Result<Duties, AppError> {
    match state.store.model(FIELD_DUTIES).await? {
        Some((text, _)) => Duties::parse(&text)
            .map_err(|e| AppError::internal(anyhow::anyhow!("stored field duties: {e}"))),
        None => Ok(Duties::default()),
    }
}

fn date_of(t: Timestamp) -> Date {
    t.to_datetime().to_offset(CST).date()
}

fn start_of(d: Date) -> Timestamp {
    Timestamp::from_datetime(PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(CST))
}

/// A month as `YYYY-MM`, defaulting to the current one.
pub fn month_of(state: &AppState, asked: &str) -> Result<Date, AppError> {
    let today = date_of(state.now());
    let s = asked.trim();
    if s.is_empty() {
        return Ok(today.replace_day(1).unwrap_or(today));
    }
    let bad = || AppError::validation("month", "月份格式应为 YYYY-MM，例如 2026-11");
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, 1).map_err(|_| bad())
}

/// The day whose period a month's board shows: the month's last day, or today in the current
/// month.
fn reference_day(state: &AppState, month: Date) -> Date {
    let (_, end) = Period::Month.range_containing(month);
    let last = end.previous_day().unwrap_or(month);
    last.min(date_of(state.now())).max(month)
}

/// What a field record counts as toward a duty.
pub fn activity_of(row: &FieldRow) -> Option<ActivityRecord> {
    let kind = match row.kind.as_str() {
        "visit" => ActivityKind::SweepVisit,
        "consultation" => ActivityKind::Consultation,
        "patrol" => ActivityKind::Patrol,
        "report" => ActivityKind::Report,
        "activity" => match row.category.as_deref().map(ActivityType::parse) {
            Some(Ok(ActivityType::Publicity)) => ActivityKind::Publicity,
            Some(Ok(ActivityType::Talk)) => ActivityKind::Talk,
            Some(Ok(ActivityType::Mediation)) => ActivityKind::Mediation,
            _ => return None,
        },
        _ => return None,
    };
    Some(ActivityRecord {
        id: row.id.clone(),
        kind,
        day: date_of(Timestamp::from_micros(row.occurred_at)),
        flagged: row.flagged,
    })
}

/// One person's line on the compliance board.
#[derive(Debug, Clone, Serialize)]
pub struct PersonLine {
    pub user_id: String,
    pub name: String,
    pub role: String,
    /// The villages or grids they are assigned to, by name.
    pub places: String,
    /// The period judged, e.g. "2026年11月".
    pub period: String,
    pub duties: Vec<DutyStatus>,
    pub met: bool,
    /// The period has not ended yet: what is missing can still be done.
    pub in_progress: bool,
    /// Activities flagged for review (a check-in outside the village).
    pub flagged: usize,
}

/// A grid's line: its rating for the month.
#[derive(Debug, Clone, Serialize)]
pub struct GridLine {
    pub code: String,
    pub name: String,
    pub record: GridRecord,
    pub rating: Rating,
}

/// The board of an area for a month.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub month: String,
    pub people: Vec<PersonLine>,
    pub grids: Vec<GridLine>,
}

/// Who is assigned in `area` (and when), by user: their places.
async fn assigned(
    state: &AppState,
    area: &DivisionCode,
    from: Date,
    to: Date,
) -> Result<BTreeMap<String, Vec<DivisionCode>>, AppError> {
    let (from, to) = (
        crate::insight::date_text(from),
        crate::insight::date_text(to),
    );
    let mut out: BTreeMap<String, Vec<DivisionCode>> = BTreeMap::new();
    for a in state.store.assignments(area).await? {
        // The assignment overlaps the period.
        if a.overlaps(&from, &to) {
            out.entry(a.user_id).or_default().push(a.division);
        }
    }
    Ok(out)
}

/// The compliance of everyone assigned in `area` with their role's quota, and the rating of
/// its grids, for the month starting `month`.
pub async fn board(state: &AppState, area: &DivisionCode, month: Date) -> Result<Board, AppError> {
    let duties = load(state).await?;
    let r = state.reference();
    let day = reference_day(state, month);
    let (m_start, m_end) = Period::Month.range_containing(month);
    let people_of = assigned(state, area, m_start, m_end).await?;
    let mut people = Vec::new();
    for (user_id, places) in people_of {
        let Some(user) = r.users.iter().find(|u| u.id.to_string() == user_id) else {
            continue;
        };
        let Some(quota) = duties.quota.for_role(user.role) else {
            continue;
        };
        let (start, end) = quota.period.range_containing(day);
        let rows = records_of(state, user, start, end).await?;
        let activities: Vec<ActivityRecord> = rows.iter().filter_map(activity_of).collect();
        let statuses = quota::compliance(quota, start, &activities);
        let flagged = statuses
            .iter()
            .flat_map(|s| s.flagged.iter())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        people.push(PersonLine {
            user_id,
            name: user.name.clone(),
            role: user.role.label().to_owned(),
            places: places
                .iter()
                .map(|p| {
                    r.division(p)
                        .map_or_else(|| p.to_string(), |d| d.name.clone())
                })
                .collect::<Vec<_>>()
                .join("、"),
            period: quota.period.describe(start),
            met: quota::all_met(&statuses),
            in_progress: end > date_of(state.now()),
            duties: statuses,
            flagged,
        });
    }
    // Advisors first, then grid workers; by name within each.
    people.sort_by(|a, b| (role_rank(&a.role), &a.name).cmp(&(role_rank(&b.role), &b.name)));
    let grids = ratings(state, area, m_start, m_end, &duties).await?;
    Ok(Board {
        month: format!("{}年{}月", month.year(), u8::from(month.month())),
        people,
        grids,
    })
}

fn role_rank(label: &str) -> u8 {
    match label {
        l if l == Role::LegalAdvisor.label() => 0,
        l if l == Role::JudicialGeneralAdvisor.label() => 1,
        _ => 2,
    }
}

async fn records_of(
    state: &AppState,
    user: &User,
    start: Date,
    end: Date,
) -> Result<Vec<FieldRow>, AppError> {
    Ok(state
        .store
        .field_records(&FieldFilter {
            actor_id: Some(user.id.to_string()),
            from: Some(start_of(start)),
            to: Some(start_of(end)),
            limit: 5_000,
            ..FieldFilter::default()
        })
        .await?)
}

/// The rating of every grid in `area` over [start, end).
pub async fn ratings(
    state: &AppState,
    area: &DivisionCode,
    start: Date,
    end: Date,
    duties: &Duties,
) -> Result<Vec<GridLine>, AppError> {
    let r = state.reference();
    let rows = state
        .store
        .field_records(&FieldFilter {
            within: Some(area.clone()),
            from: Some(start_of(start)),
            to: Some(start_of(end)),
            limit: 100_000,
            ..FieldFilter::default()
        })
        .await?;
    let mut records: BTreeMap<String, GridRecord> = r
        .tree
        .subtree(area)
        .filter(|d| d.code.level() == Level::Grid)
        .map(|d| (d.code.to_string(), GridRecord::default()))
        .collect();
    for row in &rows {
        let Some(g) = records.get_mut(&row.division) else {
            continue;
        };
        match (row.kind.as_str(), row.ledger.as_deref()) {
            ("patrol", _) => g.sweeps_done += 1,
            ("report", ledger) => {
                g.reports += 1;
                if ledger == Some("dispute") {
                    g.disputes += 1;
                    if row.status == "resolved_on_spot" {
                        g.closed_in_grid += 1;
                    }
                }
                if matches!(row.status.as_str(), "closed" | "resolved_on_spot") {
                    g.handled += 1;
                    if row.updated_at - row.occurred_at <= REPORT_DAYS * 86_400 * 1_000_000 {
                        g.on_time += 1;
                    }
                }
            }
            _ => {}
        }
    }
    // Patrols due: the grid worker's quota for the month, in proportion to the days gone.
    let patrols_due = duties
        .quota
        .for_role(Role::GridWorker)
        .and_then(|q| {
            q.duties
                .iter()
                .find(|d| d.kinds.contains(&ActivityKind::Patrol))
                .map(|d| d.min)
        })
        .unwrap_or(0);
    let today = date_of(state.now());
    let days = (end - start).whole_days().max(1);
    let gone = (today.min(end) - start).whole_days().clamp(0, days);
    let due = u32::try_from((i64::from(patrols_due) * gone).div_euclid(days)).unwrap_or(0);
    Ok(records
        .into_iter()
        .map(|(code, mut record)| {
            record.sweeps_due = due;
            let name = DivisionCode::parse(&code)
                .ok()
                .and_then(|c| r.division(&c).map(|d| d.name.clone()))
                .unwrap_or_else(|| code.clone());
            GridLine {
                rating: rating::rate(&duties.rating, &record),
                code,
                name,
                record,
            }
        })
        .collect())
}

/// What a person's line says: met, not yet (the period is still running) or missed.
pub fn verdict(p: &PersonLine) -> &'static str {
    match (p.met, p.in_progress) {
        (true, _) => "达标",
        (false, true) => "尚未完成（考核周期未结束）",
        (false, false) => "未达标",
    }
}

/// The board as a table for download (CSV or Excel).
pub fn table(board: &Board, area_name: &str) -> Table {
    let duty_names: Vec<String> = {
        let mut names: Vec<String> = Vec::new();
        for p in &board.people {
            for d in &p.duties {
                if !names.contains(&d.duty) {
                    names.push(d.duty.clone());
                }
            }
        }
        names
    };
    let mut headers = vec![
        "姓名".to_owned(),
        "角色".to_owned(),
        "负责村（社区）或网格".to_owned(),
        "考核周期".to_owned(),
    ];
    headers.extend(duty_names.iter().map(|n| format!("{n}（完成/要求）")));
    headers.extend(["是否达标".to_owned(), "位置待核实".to_owned()]);
    let rows = board
        .people
        .iter()
        .map(|p| {
            let mut row = vec![
                Cell::Text(p.name.clone()),
                Cell::Text(p.role.clone()),
                Cell::Text(p.places.clone()),
                Cell::Text(p.period.clone()),
            ];
            for n in &duty_names {
                row.push(match p.duties.iter().find(|d| &d.duty == n) {
                    Some(d) => Cell::Text(format!("{}/{}", d.done, d.required)),
                    None => Cell::Empty,
                });
            }
            row.push(Cell::Text(verdict(p).to_owned()));
            row.push(Cell::Number(p.flagged as f64));
            row
        })
        .collect();
    Table {
        name: "field-duties".to_owned(),
        title: format!("{area_name}{}四个至少考核", board.month),
        headers,
        rows,
    }
}
