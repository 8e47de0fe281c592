//! The online mediation room's pages: `/cases/{id}/room` for staff and `/track/room` for a party
//! (with the tracking page's grant), each with its WebSocket (`…/ws`). Admission is decided
//! before the WebSocket is accepted (`room::admit`); a cross-site WebSocket is refused, since a
//! browser sends the session cookie with it.

use askama::Template;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::PageError;
use super::form::{PageQuery, PageUser};
use super::verify;
use super::view::{self, Chrome};
use crate::api::cases::parse_id;
use crate::cases;
use crate::error::AppError;
use crate::room::{self, Who};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "room.html")]
struct RoomPage {
    chrome: Chrome,
    number: String,
    ws: String,
    back: String,
    me: String,
}

/// A WebSocket opened by a page of another site is refused: it would carry our cookie.
fn same_origin(headers: &HeaderMap) -> Result<(), AppError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(o), Some(h)) if o.split("://").nth(1) != Some(h) => Err(AppError::Forbidden {
            code: "cross_site",
            message: "拒绝来自其他网站的请求".to_owned(),
        }),
        _ => Ok(()),
    }
}

/// `GET /cases/{id}/room`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let st = cases::load_visible(&state, &me.user, case_id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    room::admit(&state, case_id, &Who::Staff(me.user.clone())).await?;
    let page = RoomPage {
        chrome: Chrome::load(&state, &me, &format!("在线调解室 {}", case.number), "cases").await,
        number: case.number.to_string(),
        ws: format!("/cases/{case_id}/room/ws"),
        back: format!("/cases/{case_id}"),
        me: me.user.name.clone(),
    };
    view::render(&page, StatusCode::OK)
}

/// `GET /cases/{id}/room/ws`.
pub async fn socket(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, PageError> {
    same_origin(&headers)?;
    let case_id = parse_id(&id)?;
    cases::load_visible(&state, &me.user, case_id).await?;
    let who = Who::Staff(me.user.clone());
    room::admit(&state, case_id, &who).await?;
    Ok(upgrade.on_upgrade(move |ws| room::run(state, ws, case_id, who)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PartyQuery {
    case_id: String,
    party: u32,
    grant: String,
}

/// The party a grant stands for, with their phone from the record.
async fn party_of(
    state: &AppState,
    q: &PartyQuery,
) -> Result<(hejie_domain::case::CaseId, Who, String), AppError> {
    let case_id = parse_id(&q.case_id)?;
    verify::check_grant(state, &q.grant, case_id, q.party).await?;
    let st = state.store.load(case_id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    let p = case
        .parties
        .get(q.party as usize)
        .ok_or(AppError::NotFound)?;
    let phone = p
        .phone
        .as_ref()
        .and_then(|s| state.sealer.open(s).ok())
        .and_then(|plain| hejie_domain::personal::PhoneNumber::parse(&plain).ok())
        .ok_or(AppError::NotFound)?;
    let who = Who::Party {
        index: q.party,
        phone,
    };
    room::admit(state, case_id, &who).await?;
    Ok((case_id, who, case.number.to_string()))
}

/// `GET /track/room`.
pub async fn party_show(
    State(state): State<AppState>,
    PageQuery(q): PageQuery<PartyQuery>,
) -> Result<Response, PageError> {
    let (case_id, who, number) = party_of(&state, &q).await?;
    let name = match &who {
        Who::Party { index, .. } => state
            .store
            .load(case_id)
            .await?
            .case()
            .and_then(|c| c.parties.get(*index as usize).map(|p| p.name.clone()))
            .unwrap_or_default(),
        Who::Staff(u) => u.name.clone(),
    };
    let query = format!("case_id={}&party={}&grant={}", q.case_id, q.party, q.grant);
    let page = RoomPage {
        chrome: Chrome::public(&format!("在线调解室 {number}"), "track"),
        number,
        ws: format!("/track/room/ws?{query}"),
        back: "/track".to_owned(),
        me: name,
    };
    view::render(&page, StatusCode::OK)
}

/// `GET /track/room/ws`.
pub async fn party_socket(
    State(state): State<AppState>,
    PageQuery(q): PageQuery<PartyQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, PageError> {
    same_origin(&headers)?;
    let (case_id, who, _) = party_of(&state, &q).await?;
    Ok(upgrade.on_upgrade(move |ws| room::run(state, ws, case_id, who)))
}
