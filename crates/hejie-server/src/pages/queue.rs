//! `/queue` 我的待办: the cases waiting for me, most urgent first, each with the countdown of its
//! most urgent clock and the latest supervision (督办) of its current stage. Closed cases whose
//! follow-up (回访) is due are listed after the open ones.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::DisputeType;
use hejie_domain::timestamp::Timestamp;

use super::PageError;
use super::form::{PageQuery, PageUser};
use super::view::{self, Chrome};
use crate::state::AppState;
use crate::workflow::queue::{self, QueueEntry};

/// How a countdown is coloured: `overdue` (red), `soon` (amber, under one working day),
/// `paused` (grey), `ok`, `follow` (a follow-up), `none` (no limit).
pub fn tone(e: &QueueEntry) -> &'static str {
    if e.follow_up {
        return if e.overdue { "overdue" } else { "follow" };
    }
    match &e.clock {
        None => "none",
        Some((_, r)) if r.paused => "paused",
        Some((_, r)) if r.overdue => "overdue",
        // Under one working day (8 working hours) left.
        Some((_, r)) if r.remaining_minutes < 8 * 60 => "soon",
        Some(_) => "ok",
    }
}

/// One row of a queue or of the board.
#[derive(Debug)]
pub struct QueueRow {
    pub id: String,
    pub number: String,
    pub type_label: String,
    pub parties: String,
    pub description: String,
    pub division_name: String,
    pub holder: String,
    pub holder_person: String,
    pub status_code: String,
    pub status_label: String,
    /// Which clock the countdown is of ("办理时限"), empty for none.
    pub clock: String,
    pub countdown: String,
    pub tone: &'static str,
    pub follow_up: bool,
    /// "督办：{note}（{by}，新期限 {deadline}）".
    pub supervision: Option<Supervision>,
    /// How long the case has been overdue, counted from its deadline (board).
    pub overdue_for: String,
}

#[derive(Debug)]
pub struct Supervision {
    pub by: String,
    pub note: String,
    pub deadline: String,
}

pub fn row(state: &AppState, e: &QueueEntry, now: Timestamp) -> QueueRow {
    let r = state.reference();
    let s = &e.item.summary;
    let short: String = s.description.chars().take(40).collect();
    QueueRow {
        id: s.id.to_string(),
        number: s.number.to_string(),
        type_label: s
            .dispute_type
            .as_deref()
            .and_then(|t| DisputeType::parse(t).ok())
            .map_or_else(|| "待定".to_owned(), |t| t.label().to_owned()),
        parties: s.party_names.clone(),
        description: short,
        division_name: r.full_name(&s.division),
        holder: s.holder_org_name.clone().unwrap_or_else(|| "—".to_owned()),
        // The projection keeps the person's id; show the name.
        holder_person: e
            .item
            .holder_user_id
            .map(|p| {
                r.users
                    .iter()
                    .find(|u| u.id == p)
                    .map_or_else(|| p.to_string(), |u| u.name.clone())
            })
            .unwrap_or_default(),
        status_code: s.status.code().to_owned(),
        status_label: s.status.label().to_owned(),
        clock: match (&e.clock, e.follow_up) {
            (_, true) => "回访".to_owned(),
            (Some((k, _)), false) => k.label().to_owned(),
            (None, false) => String::new(),
        },
        countdown: if e.overdue && !e.countdown.starts_with("已超期") {
            format!("已超期 · {}", e.countdown)
        } else {
            e.countdown.clone()
        },
        tone: tone(e),
        follow_up: e.follow_up,
        supervision: e
            .supervision
            .as_ref()
            .map(|(by, note, deadline)| Supervision {
                by: by.clone(),
                note: note.clone(),
                deadline: deadline.clone(),
            }),
        overdue_for: queue::since_text(e.overdue_since, now),
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueRow>,
    /// Over the whole queue.
    total: u64,
    overdue: u64,
    follow_ups: u64,
    /// On this page.
    soon: usize,
    supervised: usize,
    page: u32,
    pages: u32,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct QueueQuery {
    pub page: Option<String>,
}

/// `GET /queue?page=N`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<QueueQuery>,
) -> Result<Response, PageError> {
    let now = state.now();
    // A page that is not a number is the first one rather than an error page.
    let wanted = q
        .page
        .as_deref()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(1);
    let found = queue::queue_for(&state, &me.user, now, wanted).await?;
    let rows: Vec<QueueRow> = found.entries.iter().map(|e| row(&state, e, now)).collect();
    let page = QueuePage {
        chrome: Chrome::load(&state, &me, "我的待办", "queue").await,
        total: found.total,
        overdue: found.overdue,
        follow_ups: found.follow_ups,
        soon: rows.iter().filter(|r| r.tone == "soon").count(),
        supervised: rows.iter().filter(|r| r.supervision.is_some()).count(),
        page: found.page,
        pages: found.pages,
        rows,
    };
    view::render(&page, StatusCode::OK)
}
