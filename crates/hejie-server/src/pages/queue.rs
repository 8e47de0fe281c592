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
use super::form::PageUser;
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
    pub overdue: bool,
    pub follow_up: bool,
    /// "督办：{note}（{by}，新期限 {deadline}）".
    pub supervision: Option<Supervision>,
    /// How long the stage has been overdue (board).
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
            .holder_person
            .as_deref()
            .map(|p| {
                r.users
                    .iter()
                    .find(|u| u.id.to_string() == p)
                    .map_or_else(|| p.to_owned(), |u| u.name.clone())
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
        overdue: e.overdue,
        follow_up: e.follow_up,
        supervision: e
            .supervision
            .as_ref()
            .map(|(by, note, deadline)| Supervision {
                by: by.clone(),
                note: note.clone(),
                deadline: deadline.clone(),
            }),
        overdue_for: queue::since_text(e.item.overdue_since, now),
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueRow>,
    overdue: usize,
    soon: usize,
    supervised: usize,
    follow_ups: usize,
}

/// `GET /queue`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
) -> Result<Response, PageError> {
    let now = state.now();
    let entries = queue::queue_for(&state, &me.user, now).await?;
    let rows: Vec<QueueRow> = entries.iter().map(|e| row(&state, e, now)).collect();
    let page = QueuePage {
        chrome: Chrome::load(&state, &me, "我的待办", "queue").await,
        overdue: rows.iter().filter(|r| r.overdue && !r.follow_up).count(),
        soon: rows.iter().filter(|r| r.tone == "soon").count(),
        supervised: rows.iter().filter(|r| r.supervision.is_some()).count(),
        follow_ups: rows.iter().filter(|r| r.follow_up).count(),
        rows,
    };
    view::render(&page, StatusCode::OK)
}
