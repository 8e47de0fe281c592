//! `/insight/warnings` 预警研判: the early warnings of the user's jurisdiction with the numbers
//! behind each, the steps 签收 → 处置 → 结果 (属实/误报) as forms, and 预警成效 (how many were
//! acknowledged and acted on, the hit rate, the median time to acknowledge). Everything goes
//! through `crate::warnings`, which checks the role and the jurisdiction.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hejie_store::warnings::{Warning, WarningKind, WarningLevel, WarningStatsRow, WarningStatus};
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome, Opt, opts};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::present::rfc3339;
use crate::state::AppState;
use crate::warnings::{self, Query};

/// How many days 预警成效 looks back by default.
const STATS_DAYS: i64 = 90;

#[derive(Debug)]
struct Row {
    id: i64,
    level: &'static str,
    level_label: &'static str,
    kind: &'static str,
    status: &'static str,
    status_code: &'static str,
    outcome: String,
    title: String,
    numbers: String,
    place: String,
    raised: String,
    case_href: String,
    last: String,
}

#[derive(Debug)]
struct StatRow {
    label: String,
    raised: u64,
    acknowledged: u64,
    acted: u64,
    confirmed: u64,
    false_alarm: u64,
    hit_rate: String,
    median: String,
}

#[derive(Template)]
#[template(path = "warnings.html")]
struct WarningsPage {
    chrome: Chrome,
    area: String,
    division: String,
    levels: Vec<Opt>,
    statuses: Vec<Opt>,
    kinds: Vec<Opt>,
    rows: Vec<Row>,
    total: u64,
    prev: String,
    next: String,
    stats: Vec<StatRow>,
    stats_total: StatRow,
    stats_days: i64,
    notice: String,
    error: String,
    back: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct WarningsQuery {
    #[serde(default)]
    division: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    offset: u32,
    #[serde(default)]
    done: String,
}

impl WarningsQuery {
    fn query(&self) -> Query {
        Query {
            division: self.division.clone(),
            level: self.level.clone(),
            status: self.status.clone(),
            kind: self.kind.clone(),
            offset: self.offset,
            limit: PAGE,
        }
    }

    fn href(&self, offset: u32) -> String {
        let offset = offset.to_string();
        format!(
            "/insight/warnings?{}",
            view::query(&[
                ("division", &self.division),
                ("level", &self.level),
                ("status", &self.status),
                ("kind", &self.kind),
                ("offset", if offset == "0" { "" } else { &offset }),
            ])
        )
    }
}

const PAGE: u32 = 50;

fn stat_row(label: String, s: &WarningStatsRow) -> StatRow {
    StatRow {
        label,
        raised: s.raised,
        acknowledged: s.acknowledged,
        acted: s.acted,
        confirmed: s.confirmed,
        false_alarm: s.false_alarm,
        hit_rate: s
            .hit_rate()
            .map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0)),
        median: s
            .median_hours_to_acknowledge
            .map_or_else(|| "—".to_owned(), |h| format!("{h:.1}小时")),
    }
}

fn row(w: &Warning, r: &crate::state::Reference) -> Row {
    Row {
        id: w.id,
        level: w.level.code(),
        level_label: w.level.label(),
        kind: w.kind.label(),
        status: w.status.label(),
        status_code: w.status.code(),
        outcome: w.outcome.map(|o| o.label().to_owned()).unwrap_or_default(),
        title: w.title.clone(),
        numbers: warnings::numbers(w),
        place: r.full_name(&w.division),
        raised: view::short_time(&rfc3339(w.raised_at)),
        case_href: w.case_id.map(|c| format!("/cases/{c}")).unwrap_or_default(),
        last: String::new(),
    }
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    q: &WarningsQuery,
    error: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (list, total) = warnings::list(state, &me.user, &q.query()).await?;
    let area = crate::insight::area(state, &me.user, &q.division)?;
    let stats = warnings::stats(state, &me.user, &q.division, STATS_DAYS).await?;
    let r = state.reference();
    let mut rows = Vec::with_capacity(list.len());
    for w in &list {
        let mut out = row(w, &r);
        // The latest person's step, so a reader sees who is on it without opening anything.
        if w.status != WarningStatus::Open
            && let Ok((_, history)) = warnings::get(state, &me.user, w.id).await
            && let Some(e) = history.iter().rev().find(|e| e.actor_id != "system")
        {
            let what = match e.action.as_str() {
                "acknowledged" => "签收",
                "acted" => "处置",
                _ => "记录结果",
            };
            out.last = format!(
                "{} 于 {} {}{}",
                e.actor_name,
                view::short_time(&rfc3339(e.at)),
                what,
                if e.note.is_empty() {
                    String::new()
                } else {
                    format!("：{}", e.note)
                }
            );
        }
        rows.push(out);
    }
    let levels = std::iter::once(("", "全部等级"))
        .chain(WarningLevel::ALL.iter().map(|l| (l.code(), l.label())))
        .collect::<Vec<_>>();
    let kinds = std::iter::once(("", "全部类别"))
        .chain(WarningKind::ALL.iter().map(|k| (k.code(), k.label())))
        .collect::<Vec<_>>();
    let statuses = [("", "未办结"), ("all", "全部")]
        .into_iter()
        .chain(WarningStatus::ALL.iter().map(|s| (s.code(), s.label())))
        .collect::<Vec<_>>();
    let offset = q.offset;
    let page = WarningsPage {
        chrome: Chrome::load(state, me, "预警研判", "insight").await,
        area: r.full_name(&area),
        division: q.division.clone(),
        levels: opts(levels, &q.level),
        statuses: opts(statuses, &q.status),
        kinds: opts(kinds, &q.kind),
        total,
        prev: if offset > 0 {
            q.href(offset.saturating_sub(PAGE))
        } else {
            String::new()
        },
        next: if u64::from(offset) + u64::from(PAGE) < total {
            q.href(offset + PAGE)
        } else {
            String::new()
        },
        rows,
        stats: stats
            .rows
            .iter()
            .map(|s| {
                let label = match (s.kind, s.level) {
                    (Some(k), Some(l)) => format!("{} · {}", k.label(), l.label()),
                    _ => String::new(),
                };
                stat_row(label, s)
            })
            .collect(),
        stats_total: stat_row("合计".to_owned(), &stats.total),
        stats_days: STATS_DAYS,
        notice: if q.done.is_empty() {
            String::new()
        } else {
            "已记录。".to_owned()
        },
        error,
        back: q.href(q.offset),
    };
    view::render(&page, status)
}

/// `GET /insight/warnings`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<WarningsQuery>,
) -> Result<Response, PageError> {
    render(&state, &me, &q, String::new(), StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    outcome: String,
    /// The list to return to (a local path).
    #[serde(default)]
    back: String,
}

/// `POST /insight/warnings/{id}/{action}`: `acknowledge`, `act` or `outcome`.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    CsrfForm { user, form, .. }: CsrfForm<StepForm>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let back = if form.back.starts_with("/insight/warnings") {
        super::form::safe_next(&form.back)
    } else {
        "/insight/warnings".to_owned()
    };
    let done = match warnings::step(&action, &form.outcome) {
        Ok(step) => warnings::act(&state, &user.user, id, step, &form.note).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            Ok(view::see_other(&format!("{back}{sep}done=1#w-{id}")))
        }
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let q: WarningsQuery = back
                .split_once('?')
                .and_then(|(_, qs)| serde_urlencoded::from_str(qs).ok())
                .unwrap_or_default();
            render(&state, &user, &q, e.to_string(), status).await
        }
    }
}
