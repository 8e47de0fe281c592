//! The signed-in user's work: the queue (我的待办), the supervision board (督办看板), the
//! notification centre (通知中心) and the periodic sweeps (排查).

use axum::Json;
use axum::extract::{Path, State};
use hejie_store::work::{Notification, SweepTask};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{Body, Params};
use crate::auth::ApiUser;
use crate::error::AppError;
use crate::present::{Labelled, rfc3339};
use crate::state::{AppState, Reference};
use crate::workflow::queue::{self, QueueEntry};
use crate::workflow::sweeps;

/// The latest supervision of a case's current stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueSupervision {
    /// Who supervised.
    pub by: String,
    pub note: String,
    /// The resulting deadline in words, e.g. `11月30日 17:30` (or `已暂停`).
    pub deadline: String,
}

/// One line of a queue or of the board: a case and its most urgent clock.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    pub case_id: String,
    pub number: String,
    pub status: Labelled,
    pub division: String,
    pub division_name: String,
    pub dispute_type: Option<String>,
    pub description: String,
    pub holder_id: Option<String>,
    pub holder: Option<String>,
    /// The user who signed for the case for its holder (id), if anyone has.
    pub holder_user_id: Option<String>,
    /// That user's name.
    pub holder_person: Option<String>,
    /// The most urgent running clock (`acknowledge`, `resolve`, `overall`), if any.
    pub clock: Option<Labelled>,
    /// The countdown in words: `剩余2个工作日3小时`, `已超期5小时`, `已暂停`, `未设时限`, `回访期限 …`.
    pub countdown: String,
    pub overdue: bool,
    /// The deadline of the most urgent clock (absent while paused or untimed).
    pub deadline: Option<String>,
    /// Since when the case is overdue (the deadline that passed), and for how long (`3天5小时`).
    pub overdue_since: Option<String>,
    pub overdue_for: Option<String>,
    /// When the scheduler marked the current stage overdue (at or after `overdue_since`).
    pub marked_overdue_at: Option<String>,
    pub supervision: Option<QueueSupervision>,
    /// A closed case whose follow-up (回访) is due.
    pub follow_up: bool,
    pub version: u64,
}

fn queue_item(e: &QueueEntry, r: &Reference, now: hejie_domain::timestamp::Timestamp) -> QueueItem {
    let s = &e.item.summary;
    QueueItem {
        case_id: s.id.to_string(),
        number: s.number.to_string(),
        status: Labelled::new(s.status.code(), s.status.label()),
        division: s.division.to_string(),
        division_name: r.full_name(&s.division),
        dispute_type: s.dispute_type.clone(),
        description: s.description.clone(),
        holder_id: s.holder_org.clone(),
        holder: s.holder_org_name.clone(),
        holder_user_id: e.item.holder_user_id.map(|u| u.to_string()),
        holder_person: e
            .item
            .holder_user_id
            .and_then(|u| r.users.iter().find(|x| x.id == u).map(|x| x.name.clone())),
        clock: e
            .clock
            .as_ref()
            .map(|(k, _)| Labelled::new(k.code(), k.label())),
        countdown: e.countdown.clone(),
        overdue: e.overdue,
        deadline: e
            .clock
            .as_ref()
            .and_then(|(_, reading)| reading.deadline)
            .map(rfc3339),
        overdue_since: e.overdue_since.map(rfc3339),
        overdue_for: e
            .overdue_since
            .map(|since| queue::since_text(Some(since), now)),
        marked_overdue_at: e.item.overdue_since.map(rfc3339),
        supervision: e
            .supervision
            .as_ref()
            .map(|(by, note, deadline)| QueueSupervision {
                by: by.clone(),
                note: note.clone(),
                deadline: deadline.clone(),
            }),
        follow_up: e.follow_up,
        version: s.version,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueResponse {
    /// The instant the clocks were read at.
    pub now: String,
    /// This page, most urgent first: overdue, then the nearest deadline, then paused or untimed,
    /// then follow-ups due.
    pub items: Vec<QueueItem>,
    /// The page shown (from 1) and how many there are (at least 1).
    pub page: u32,
    pub pages: u32,
    /// Cases on all pages, and how many of them are open and marked overdue, or follow-ups.
    pub total: u64,
    pub overdue: u64,
    pub follow_ups: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// The page, from 1 (default 1; a page past the end gives the last one). 50 cases a page.
    pub page: Option<u32>,
}

/// 我的待办：the cases your unit holds (or, without a unit, those of your jurisdiction) and
/// follow-ups due, most urgent first, with their countdowns. Your queue.
#[utoipa::path(get, path = "/api/v1/queue", tag = "work", params(QueueQuery),
    responses((status = 200, body = QueueResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn my_queue(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<QueueQuery>,
) -> Result<Json<QueueResponse>, AppError> {
    let now = state.now();
    let page = queue::queue_for(&state, &me.user, now, q.page.unwrap_or(1)).await?;
    let r = state.reference();
    Ok(Json(QueueResponse {
        now: rfc3339(now),
        items: page
            .entries
            .iter()
            .map(|e| queue_item(e, &r, now))
            .collect(),
        page: page.page,
        pages: page.pages,
        total: page.total,
        overdue: page.overdue,
        follow_ups: page.follow_ups,
    }))
}

/// A division's count of overdue cases on the board.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardRowView {
    pub division: String,
    pub division_name: String,
    pub overdue: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardResponse {
    pub now: String,
    /// Overdue cases per division one level below your jurisdiction, most first.
    pub divisions: Vec<BoardRowView>,
    /// The overdue cases, longest overdue first.
    pub cases: Vec<QueueItem>,
}

/// 督办看板：overdue cases in your jurisdiction, per division and longest overdue first, for
/// supervisors. The supervision board.
#[utoipa::path(get, path = "/api/v1/board", tag = "work",
    responses((status = 200, body = BoardResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn board(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<BoardResponse>, AppError> {
    let now = state.now();
    let (rows, entries) = queue::board_for(&state, &me.user, now).await?;
    let r = state.reference();
    Ok(Json(BoardResponse {
        now: rfc3339(now),
        divisions: rows
            .into_iter()
            .map(|row| BoardRowView {
                division: row.division.to_string(),
                division_name: row.division_name,
                overdue: row.overdue,
            })
            .collect(),
        cases: entries.iter().map(|e| queue_item(e, &r, now)).collect(),
    }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// `in_app`, `sms` or `email`.
    pub channel: String,
    pub title: String,
    pub body: String,
    pub case_id: Option<String>,
    pub created_at: String,
    pub read: bool,
    pub read_at: Option<String>,
    /// `delivered` (in-app), `pending`, `sent` or `failed`.
    pub status: String,
}

fn notification_view(n: &Notification) -> NotificationView {
    NotificationView {
        id: n.id,
        channel: n.channel.code().to_owned(),
        title: n.title.clone(),
        body: n.body.clone(),
        case_id: n.case_id.map(|c| c.to_string()),
        created_at: rfc3339(n.created_at),
        read: n.read_at.is_some(),
        read_at: n.read_at.map(rfc3339),
        status: n.status.clone(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationList {
    /// Unread in-app notifications.
    pub unread: u64,
    /// Newest first.
    pub items: Vec<NotificationView>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only this channel: `in_app`, `sms` or `email`.
    pub channel: Option<String>,
    /// At most this many, 1–500 (default 100).
    pub limit: Option<u32>,
}

/// 通知中心：your notifications, newest first, with the unread count. Your notifications.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "work", params(NotificationQuery),
    responses((status = 200, body = NotificationList), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn notifications(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<NotificationQuery>,
) -> Result<Json<NotificationList>, AppError> {
    let channel = match q
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(c) => Some(
            hejie_store::work::NotifyChannel::parse(c)
                .ok_or_else(|| AppError::validation("channel", "未知的通知渠道"))?,
        ),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let items = state.store.notifications(me.user.id, limit).await?;
    let unread = state.store.unread_count(me.user.id).await?;
    Ok(Json(NotificationList {
        unread,
        items: items
            .iter()
            .filter(|n| channel.is_none_or(|c| n.channel == c))
            .map(notification_view)
            .collect(),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct MarkReadRequest {
    /// The notifications to mark read; absent marks all of yours read.
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkReadResponse {
    /// How many changed.
    pub marked: u64,
    /// Unread in-app notifications left.
    pub unread: u64,
}

/// 标记已读：marks your notifications read (the given ids, or all). Mark notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "work", request_body = MarkReadRequest,
    responses((status = 200, body = MarkReadResponse), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(req): Body<MarkReadRequest>,
) -> Result<Json<MarkReadResponse>, AppError> {
    let marked = state
        .store
        .mark_read(me.user.id, req.ids, state.now())
        .await?;
    let unread = state.store.unread_count(me.user.id).await?;
    Ok(Json(MarkReadResponse { marked, unread }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SweepCompletionView {
    pub by: String,
    pub at: String,
    pub findings: String,
    /// Ids of the cases registered from this sweep.
    pub cases: Vec<String>,
}

/// A periodic sweep (排查) of one division for one period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SweepView {
    pub id: String,
    pub division: String,
    pub division_name: String,
    /// `村级·每周`, `乡镇·每半月` or `县级·每月`.
    pub cadence: String,
    pub organisation_id: Option<String>,
    pub organisation: Option<String>,
    pub period_start: String,
    pub due_at: String,
    /// Past its period without being completed.
    pub overdue: bool,
    pub completed: Option<SweepCompletionView>,
}

fn sweep_view(t: &SweepTask, r: &Reference, now: hejie_domain::timestamp::Timestamp) -> SweepView {
    let organisation = t.organisation.as_deref().and_then(|id| {
        uuid::Uuid::parse_str(id)
            .ok()
            .and_then(|u| r.orgs.get(&hejie_domain::org::OrganisationId(u)))
            .map(|o| o.name.clone())
    });
    SweepView {
        id: t.id.clone(),
        division: t.division.to_string(),
        division_name: r.full_name(&t.division),
        cadence: sweeps::cadence(&t.division).to_owned(),
        organisation_id: t.organisation.clone(),
        organisation,
        period_start: rfc3339(t.period_start),
        due_at: rfc3339(t.due_at),
        overdue: sweeps::overdue(t, now),
        completed: t.completed.as_ref().map(|c| SweepCompletionView {
            by: c.by_name.clone(),
            at: rfc3339(c.at),
            findings: c.findings.clone(),
            cases: c.cases.iter().map(|id| id.to_string()).collect(),
        }),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SweepQuery {
    /// Only sweeps not completed yet.
    pub open: Option<bool>,
}

/// 排查任务：the sweeps of your jurisdiction, oldest due first. Periodic sweeps.
#[utoipa::path(get, path = "/api/v1/sweeps", tag = "work", params(SweepQuery),
    responses((status = 200, body = [SweepView]), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn sweep_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<SweepQuery>,
) -> Result<Json<Vec<SweepView>>, AppError> {
    let tasks = sweeps::visible(&state, &me.user, q.open.unwrap_or(false)).await?;
    let r = state.reference();
    let now = state.now();
    Ok(Json(tasks.iter().map(|t| sweep_view(t, &r, now)).collect()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CompleteSweepRequest {
    /// What was looked at and found; `无新情况` when nothing was.
    pub findings: String,
    /// Numbers of the cases registered from this sweep, e.g. `339021-2026-00042`.
    #[serde(default)]
    pub cases: Vec<String>,
}

/// 完成排查：records what a sweep found, once. Complete a sweep.
#[utoipa::path(post, path = "/api/v1/sweeps/{id}/complete", tag = "work",
    request_body = CompleteSweepRequest,
    params(("id" = String, Path, description = "Sweep id")),
    responses((status = 200, body = SweepView), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn complete_sweep(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<CompleteSweepRequest>,
) -> Result<Json<SweepView>, AppError> {
    let task = sweeps::complete(&state, &me.user, &id, &req.findings, &req.cases).await?;
    let r = state.reference();
    Ok(Json(sweep_view(&task, &r, state.now())))
}
