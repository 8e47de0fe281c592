//! Periodic sweeps (排查): a task per division and period — villages weekly, townships every half
//! month, counties monthly — that the responsible person completes by recording what was found,
//! "nothing found" included. A task not completed by the end of its period is overdue.

use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;
use hejie_store::StoreError;
use hejie_store::work::{Job, SweepCompletion, SweepFilter, SweepTask};
use time::{Date, Duration, Month};

use crate::error::AppError;
use crate::state::AppState;

pub const SWEEP_JOB: &str = "sweeps";
pub const SWEEP_JOB_KEY: &str = "sweeps:generate";

/// The period containing `day` for a level: (start, end) as dates, end exclusive.
pub fn period(level: Level, day: Date) -> Option<(Date, Date)> {
    match level {
        Level::Village => {
            let start = day - Duration::days(i64::from(day.weekday().number_days_from_monday()));
            Some((start, start + Duration::days(7)))
        }
        Level::Township => {
            let first = day.replace_day(1).ok()?;
            let mid = day.replace_day(16).ok()?;
            let next = next_month(first)?;
            Some(if day.day() < 16 {
                (first, mid)
            } else {
                (mid, next)
            })
        }
        Level::County => {
            let first = day.replace_day(1).ok()?;
            Some((first, next_month(first)?))
        }
        Level::City | Level::Grid => None,
    }
}

fn next_month(first: Date) -> Option<Date> {
    let (y, m) = match first.month() {
        Month::December => (first.year() + 1, Month::January),
        m => (first.year(), m.next()),
    };
    Date::from_calendar_date(y, m, 1).ok()
}

/// Sweep tasks for the period containing `now`, for every village, township and county.
pub fn tasks_for(state: &AppState, now: Timestamp) -> Vec<SweepTask> {
    let reference = state.reference();
    let today = now.date_cst();
    let mut out = Vec::new();
    for d in reference.tree.iter() {
        let Some((start, end)) = period(d.code.level(), today) else {
            continue;
        };
        let organisation = reference
            .orgs
            .values()
            .filter(|o| o.division == d.code)
            .min_by_key(|o| !matches!(o.kind, hejie_domain::org::OrganisationKind::Centre))
            .map(|o| o.id.to_string());
        let period_start = Timestamp::midnight_cst(start);
        out.push(SweepTask {
            id: format!("{}-{}", d.code, start),
            division: d.code.clone(),
            organisation,
            period_start,
            due_at: Timestamp::midnight_cst(end),
            completed: None,
        });
    }
    out
}

/// The sweep job: creates this period's tasks and runs again shortly after next midnight.
pub async fn run(state: &AppState, job: &Job, now: Timestamp) -> Result<(), StoreError> {
    state.store.put_sweeps(tasks_for(state, now)).await?;
    let tomorrow = now.date_cst() + Duration::days(1);
    super::scheduler::run_again(
        state,
        job,
        Timestamp::midnight_cst(tomorrow).plus_seconds(300),
        now,
    )
    .await
}

/// Makes sure the sweep job exists (run at start-up); leaves a pending one alone.
pub async fn ensure_scheduled(state: &AppState) -> Result<(), StoreError> {
    super::scheduler::ensure_periodic(state, SWEEP_JOB_KEY, SWEEP_JOB, state.now()).await
}

/// The sweeps a user is responsible for or oversees: their organisation's, or within their
/// jurisdiction.
pub async fn visible(
    state: &AppState,
    user: &User,
    open_only: bool,
) -> Result<Vec<SweepTask>, AppError> {
    if matches!(user.role, hejie_domain::user::Role::Resident) {
        return Err(hejie_domain::authz::Denied::Role.into());
    }
    Ok(state
        .store
        .sweeps(&SweepFilter {
            within: Some(user.jurisdiction.clone()),
            organisation: None,
            open_only,
            limit: 500,
        })
        .await?)
}

/// Records what a sweep found. `case_numbers` are cases registered from it (渠道：排查发现).
pub async fn complete(
    state: &AppState,
    user: &User,
    id: &str,
    findings: &str,
    case_numbers: &[String],
) -> Result<SweepTask, AppError> {
    // Only a sweep inside the user's jurisdiction can be completed by them.
    visible(state, user, false)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    let findings = findings.trim();
    if findings.chars().count() < 2 {
        return Err(AppError::validation(
            "findings",
            "请填写排查情况（无新情况的，填写“无新情况”）",
        ));
    }
    let mut cases = Vec::new();
    for n in case_numbers
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let number = hejie_domain::case::CaseNumber::parse(n)
            .map_err(|e| AppError::validation("cases", e.message))?;
        let id = state
            .store
            .find_by_number(&number)
            .await?
            .ok_or_else(|| AppError::validation("cases", format!("案号{n}不存在")))?;
        cases.push(id);
    }
    Ok(state
        .store
        .complete_sweep(
            id,
            SweepCompletion {
                by: user.id,
                by_name: user.name.clone(),
                at: state.now(),
                findings: findings.to_owned(),
                cases,
            },
        )
        .await?)
}

/// Whether a sweep is past its period without being completed.
pub fn overdue(task: &SweepTask, now: Timestamp) -> bool {
    task.completed.is_none() && task.due_at <= now
}

/// Label of a sweep's level and cadence.
pub fn cadence(division: &DivisionCode) -> &'static str {
    match division.level() {
        Level::Village => "村级·每周",
        Level::Township => "乡镇·每半月",
        Level::County => "县级·每月",
        _ => "",
    }
}
