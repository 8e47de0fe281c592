//! `/notifications` 通知中心: the user's in-app notifications, newest first, unread in bold.
//! Opening one marks it read and goes to its case; 全部标为已读 marks them all.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hejie_store::work::NotifyChannel;
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome};
use crate::error::AppError;
use crate::state::AppState;
use crate::workflow::short_time;

#[derive(Debug)]
struct Item {
    id: i64,
    title: String,
    body: String,
    when: String,
    unread: bool,
    has_case: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    items: Vec<Item>,
    notice: String,
}

#[derive(Debug, Deserialize)]
pub struct NotificationsQuery {
    #[serde(default)]
    done: String,
}

/// `GET /notifications`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<NotificationsQuery>,
) -> Result<Response, PageError> {
    let items = state
        .store
        .notifications(me.user.id, 200)
        .await?
        .into_iter()
        .filter(|n| n.channel == NotifyChannel::InApp)
        .map(|n| Item {
            id: n.id,
            title: n.title,
            body: n.body,
            when: short_time(n.created_at),
            unread: n.read_at.is_none(),
            has_case: n.case_id.is_some(),
        })
        .collect();
    let page = NotificationsPage {
        chrome: Chrome::load(&state, &me, "通知中心", "notifications").await,
        items,
        notice: if q.done == "read-all" {
            "已全部标为已读。".to_owned()
        } else {
            String::new()
        },
    };
    view::render(&page, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /notifications/read-all`.
pub async fn read_all(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    state
        .store
        .mark_read(user.user.id, None, state.now())
        .await?;
    Ok(view::see_other("/notifications?done=read-all"))
}

/// `POST /notifications/{id}/open`: marks one read and opens its case (or the list again).
pub async fn open(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let n = state
        .store
        .notifications(user.user.id, 1_000)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(AppError::NotFound)?;
    state
        .store
        .mark_read(user.user.id, Some(vec![id]), state.now())
        .await?;
    Ok(match n.case_id {
        Some(c) => view::see_other(&format!("/cases/{c}")),
        None => view::see_other("/notifications"),
    })
}
