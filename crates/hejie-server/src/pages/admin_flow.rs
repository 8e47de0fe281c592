//! `/admin/flow` 时限与工作日历, for administrators only: the time-limit policy and the working
//! calendar as TOML text they may edit (validated before anything is saved, in force at once,
//! every change kept with who and when), and a readable account of what is in force.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::ClockKind;
use hejie_domain::limits::LimitRule;
use hejie_domain::timestamp::Timestamp;
use serde::Deserialize;
use time::Date;

use super::PageError;
use super::admin::{HistoryRow, admin_only, history};
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome, Errors};
use crate::auth::CurrentUser;
use crate::state::AppState;
use crate::workflow::Flow;
use crate::workflow::settings::{self, TIME_LIMITS};

const TITLE: &str = "时限与工作日历";

/// One rule, as the table shows it.
#[derive(Debug, Clone)]
pub struct LimitRow {
    pub clock: &'static str,
    pub when: String,
    pub limit: String,
    pub basis: String,
}

/// One year of the calendar: holidays and make-up working days as date ranges.
#[derive(Debug, Clone)]
pub struct YearRow {
    pub year: i32,
    pub holiday_count: usize,
    pub holidays: String,
    pub workdays: String,
}

#[derive(Template)]
#[template(path = "admin_flow.html")]
struct FlowPage {
    chrome: Chrome,
    tab: &'static str,
    text: String,
    default_text: String,
    err: Errors,
    saved: bool,
    hours: String,
    years: Vec<YearRow>,
    /// Years the time limits run in (now, and the next from November) with no holidays set.
    missing_years: Vec<i32>,
    rules: Vec<LimitRow>,
    remind_at_percent: u8,
    follow_up_percent: u8,
    follow_up_after_days: u32,
    escalation: Vec<String>,
    history: Vec<HistoryRow>,
}

#[derive(Debug, Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct FlowForm {
    #[serde(default)]
    text: String,
}

/// `GET /admin/flow`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<ShowQuery>,
) -> Result<Response, PageError> {
    admin_only(&me)?;
    let text = state.flow_text().await?;
    page(
        &state,
        &me,
        text,
        Errors::none(),
        q.saved.is_some(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/flow`: validate, store and put in force; invalid text comes back with the
/// reason and nothing saved.
pub async fn save(
    State(state): State<AppState>,
    form: CsrfForm<FlowForm>,
) -> Result<Response, PageError> {
    let me = form.user;
    admin_only(&me)?;
    let text = form.form.text.replace("\r\n", "\n");
    match state.set_flow_text(&text, &me.user).await? {
        Ok(()) => {
            tracing::info!(user = %me.user.username, "time limits and calendar changed");
            Ok(view::see_other("/admin/flow?saved=1"))
        }
        Err(e) => {
            let err = Errors::new("text", e.to_string());
            page(&state, &me, text, err, false, StatusCode::BAD_REQUEST).await
        }
    }
}

async fn page(
    state: &AppState,
    me: &CurrentUser,
    text: String,
    err: Errors,
    saved: bool,
    status: StatusCode,
) -> Result<Response, PageError> {
    let flow = state.flow();
    let p = FlowPage {
        chrome: Chrome::load(state, me, TITLE, "admin").await,
        tab: "flow",
        text,
        default_text: settings::default_text(),
        err,
        saved,
        hours: hours(&flow),
        years: years(&flow),
        missing_years: flow.calendar.years_without_holidays(state.now()),
        rules: flow.policy.rules.iter().map(limit_row).collect(),
        remind_at_percent: flow.policy.remind_at_percent,
        follow_up_percent: flow.policy.follow_up_percent,
        follow_up_after_days: flow.policy.follow_up_after_days,
        escalation: flow
            .policy
            .auto_escalation
            .iter()
            .map(|a| {
                format!(
                    "{}级承办的案件超期后{}仍未办结，自动上报上一级",
                    a.level.label(),
                    a.after.label()
                )
            })
            .collect(),
        history: history(state, TIME_LIMITS).await?,
    };
    view::render(&p, status)
}

fn hours(flow: &Flow) -> String {
    let c = flow.calendar.to_config();
    let minutes = flow.calendar.minutes_per_day();
    let spans: Vec<String> = c.hours.iter().map(|h| h.replace('-', "–")).collect();
    let (h, m) = (minutes / 60, minutes % 60);
    let per_day = if m == 0 {
        format!("{h}小时")
    } else {
        format!("{h}小时{m}分")
    };
    format!("{}（每个工作日{per_day}）", spans.join("、"))
}

/// Consecutive dates folded into ranges: "1月1日；1月28日至2月4日".
fn ranges(days: &[Date]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let start = days[i];
        let mut end = start;
        while i + 1 < days.len() && end.next_day() == Some(days[i + 1]) {
            i += 1;
            end = days[i];
        }
        let day = |d: Date| format!("{}月{}日", u8::from(d.month()), d.day());
        out.push(if start == end {
            day(start)
        } else {
            format!("{}至{}", day(start), day(end))
        });
        i += 1;
    }
    if out.is_empty() {
        "无".to_owned()
    } else {
        out.join("；")
    }
}

fn years(flow: &Flow) -> Vec<YearRow> {
    let holidays: Vec<Date> = flow.calendar.holidays().collect();
    let workdays: Vec<Date> = flow.calendar.workdays().collect();
    let mut years: Vec<i32> = holidays
        .iter()
        .chain(workdays.iter())
        .map(|d| d.year())
        .collect();
    years.sort_unstable();
    years.dedup();
    years
        .into_iter()
        .map(|y| {
            let h: Vec<Date> = holidays.iter().copied().filter(|d| d.year() == y).collect();
            let w: Vec<Date> = workdays.iter().copied().filter(|d| d.year() == y).collect();
            YearRow {
                year: y,
                holiday_count: h.len(),
                holidays: ranges(&h),
                workdays: ranges(&w),
            }
        })
        .collect()
}

fn limit_row(r: &LimitRule) -> LimitRow {
    let mut when = Vec::new();
    if r.intake {
        when.push("受理分流阶段".to_owned());
    }
    if let Some(l) = r.level {
        when.push(format!("{}级承办", l.label()));
    }
    if let Some(t) = r.dispute_type {
        when.push(t.label().to_owned());
    }
    if let Some(t) = r.track {
        when.push(t.label().to_owned());
    }
    if let Some(c) = r.channel {
        when.push(format!("渠道：{}", c.label()));
    }
    LimitRow {
        clock: match r.clock {
            ClockKind::Acknowledge => "签收时限",
            ClockKind::Resolve => "办理时限",
            ClockKind::Overall => "总时限",
        },
        when: if when.is_empty() {
            "所有案件（兜底）".to_owned()
        } else {
            when.join("，")
        },
        limit: r.limit.label(),
        basis: r.basis.clone(),
    }
}

/// When a setting was saved, for the history table.
pub fn when(at: Timestamp) -> String {
    let d = at.to_datetime().to_offset(hejie_domain::timestamp::CST);
    format!(
        "{}年{}月{}日 {:02}:{:02}",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute()
    )
}
