//! `/` 工作台: my queue (open cases my organisation holds, or for staff without one, open cases
//! in my jurisdiction), overdue first, and counts by status that link to the filtered list.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::Status;
use hejie_store::CaseFilter;

use super::PageError;
use super::form::PageUser;
use super::list::{self, Row};
use super::view::{self, Chrome};
use crate::cases;
use crate::state::AppState;

/// Most cases shown in the queue; the rest are one click away in the list.
const QUEUE: usize = 30;

#[derive(Debug)]
struct Tile {
    code: &'static str,
    label: &'static str,
    count: u64,
    href: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    greeting: String,
    scope: String,
    tiles: Vec<Tile>,
    overdue: u64,
    queue_title: String,
    queue_total: u64,
    queue_overdue: usize,
    queue_href: String,
    rows: Vec<Row>,
}

fn sum(counts: &[(Status, u64)], open_only: bool) -> u64 {
    counts
        .iter()
        .filter(|(s, _)| !open_only || s.is_open())
        .map(|(_, n)| n)
        .sum()
}

/// `GET /`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
) -> Result<Response, PageError> {
    let user = &me.user;
    let r = state.reference();
    let overdue_before = state
        .now()
        .plus_seconds(-86_400 * state.config.overdue_days);

    // Everything I may see, by status; the tiles link to the same filter in the list.
    let counts = cases::counts(&state, user, CaseFilter::default()).await?;
    let overdue = sum(
        &cases::counts(
            &state,
            user,
            CaseFilter {
                open_registered_before: Some(overdue_before),
                ..CaseFilter::default()
            },
        )
        .await?,
        true,
    );
    let tiles = Status::ALL
        .iter()
        .map(|s| Tile {
            code: s.code(),
            label: s.label(),
            count: counts.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n),
            href: format!("/cases?{}", view::query(&[("status", s.code())])),
        })
        .collect();

    // My queue: what my organisation holds, or what lies open in my jurisdiction.
    let org = user.organisation.and_then(|o| r.orgs.get(&o).cloned());
    let base = CaseFilter {
        holder_org: org.as_ref().map(|o| o.id.to_string()),
        limit: QUEUE as u32,
        ..CaseFilter::default()
    };
    let queue_total = sum(&cases::counts(&state, user, base.clone()).await?, true);
    let mut queue = Vec::new();
    for s in Status::ALL.iter().filter(|s| s.is_open()) {
        let filter = CaseFilter {
            status: Some(*s),
            ..base.clone()
        };
        queue.extend(cases::list(&state, user, filter).await?);
    }
    let mut rows = list::rows(&state, &queue);
    // Overdue first, then the longest waiting.
    rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.when.cmp(&b.when)));
    rows.truncate(QUEUE);
    let queue_overdue = rows.iter().filter(|r| r.overdue).count();

    let (queue_title, queue_href) = match &org {
        Some(o) => (
            format!("{}待办", o.name),
            format!("/cases?{}", view::query(&[("holder", &o.id.to_string())])),
        ),
        None => ("辖区内待办案件".to_owned(), "/cases".to_owned()),
    };
    let page = HomePage {
        chrome: Chrome::load(&state, &me, "工作台", "home").await,
        greeting: format!("{}，您好", user.name),
        scope: format!(
            "{} · 辖区：{}",
            user.role.label(),
            r.full_name(&user.jurisdiction)
        ),
        tiles,
        overdue,
        queue_title,
        queue_total,
        queue_overdue,
        queue_href,
        rows,
    };
    view::render(&page, StatusCode::OK)
}
