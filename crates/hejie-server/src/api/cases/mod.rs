//! `/api/v1/cases`: register, list, read, history, and one route per command.

pub mod agreement;
pub mod commands;
pub mod evidence;
pub mod filing;
pub mod flow;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hejie_domain::case::{CaseId, DisputeType, Status};
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use hejie_store::CaseFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::api::{Body, Params};
use crate::auth::ApiUser;
use crate::cases::{self, PartyInput, RegisterInput};
use crate::error::AppError;
use crate::present::{self, CaseListItem, CaseView, EventView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PartyRequest {
    /// `person` (自然人) or `organisation` (单位); default `person`.
    #[serde(default)]
    pub kind: String,
    /// `applicant`, `respondent` or `third_party`; default: first applicant, others respondents.
    #[serde(default)]
    pub role: String,
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Channel code, e.g. `visit`, `phone`, `grid`, `hotline_12345`.
    pub channel: String,
    /// Dispute type code or name, e.g. `neighbour` or `邻里`.
    #[serde(default)]
    pub dispute_type: String,
    pub parties: Vec<PartyRequest>,
    /// Division code where the dispute arose.
    pub division: String,
    #[serde(default)]
    pub grid: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    #[serde(default)]
    pub address: String,
    pub description: String,
    /// Amount in dispute, in yuan, e.g. `3500.50`.
    #[serde(default)]
    pub amount: String,
    pub head_count: Option<u32>,
}

impl From<RegisterRequest> for RegisterInput {
    fn from(r: RegisterRequest) -> Self {
        RegisterInput {
            channel: r.channel,
            dispute_type: r.dispute_type,
            parties: r
                .parties
                .into_iter()
                .map(|p| PartyInput {
                    kind: p.kind,
                    role: p.role,
                    name: p.name,
                    id_number: p.id_number,
                    phone: p.phone,
                    address: p.address,
                })
                .collect(),
            division: r.division,
            grid: r.grid,
            latitude: r.latitude,
            longitude: r.longitude,
            address: r.address,
            description: r.description,
            amount: r.amount,
            head_count: r.head_count,
        }
    }
}

pub fn parse_id(id: &str) -> Result<CaseId, AppError> {
    Uuid::parse_str(id)
        .map(CaseId)
        .map_err(|_| AppError::NotFound)
}

pub async fn view_of(
    state: &AppState,
    me: &hejie_domain::user::User,
    id: CaseId,
) -> Result<CaseView, AppError> {
    let st = cases::load_visible(state, me, id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    Ok(present::case_view(
        case,
        st.version(),
        Some(me),
        &state.reference(),
    ))
}

/// Register a case (登记).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = RegisterRequest,
    responses((status = 201, body = CaseView), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(req): Body<RegisterRequest>,
) -> Result<(StatusCode, Json<CaseView>), AppError> {
    let committed = cases::register(&state, &me.user, &req.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(view_of(&state, &me.user, committed.case_id).await?),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Status code, e.g. `registered`, `mediating`.
    pub status: Option<String>,
    /// Dispute type code or name.
    #[serde(rename = "type")]
    pub dispute_type: Option<String>,
    /// Only cases inside this division (must lie in your jurisdiction).
    pub division: Option<String>,
    /// Holder organisation id.
    pub holder: Option<String>,
    /// Registered on or after this date (`YYYY-MM-DD`, China time).
    pub from: Option<String>,
    /// Registered before the end of this date (`YYYY-MM-DD`, China time).
    pub to: Option<String>,
    /// Only overdue open cases.
    pub overdue: Option<bool>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseListItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

pub fn parse_date(field: &str, s: &str, end: bool) -> Result<Timestamp, AppError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.trim(), &fmt)
        .map_err(|_| AppError::validation(field, "日期格式应为 YYYY-MM-DD"))?;
    let d = if end { d.next_day().unwrap_or(d) } else { d };
    Ok(Timestamp::from_datetime(
        d.midnight().assume_offset(hejie_domain::timestamp::CST),
    ))
}

/// Builds a store filter from query parameters; shared by the API and the pages.
pub fn filter_of(state: &AppState, q: &ListQuery) -> Result<CaseFilter, AppError> {
    let blank = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut f = CaseFilter {
        limit: q.limit.unwrap_or(50).clamp(1, 200),
        ..CaseFilter::default()
    };
    if let Some(s) = blank(&q.status) {
        f.status =
            Some(Status::parse(&s).map_err(|_| AppError::validation("status", "未知的案件状态"))?);
    }
    if let Some(t) = blank(&q.dispute_type) {
        f.dispute_type = Some(
            DisputeType::parse(&t)
                .map_err(|_| AppError::validation("type", "未知的纠纷类型"))?
                .code()
                .to_owned(),
        );
    }
    if let Some(d) = blank(&q.division) {
        f.within =
            Some(DivisionCode::parse(&d).map_err(|e| AppError::validation("division", e.message))?);
    }
    f.holder_org = blank(&q.holder);
    if let Some(d) = blank(&q.from) {
        f.registered_from = Some(parse_date("from", &d, false)?);
    }
    if let Some(d) = blank(&q.to) {
        f.registered_to = Some(parse_date("to", &d, true)?);
    }
    if q.overdue == Some(true) {
        f.open_registered_before = Some(
            state
                .now()
                .plus_seconds(-86_400 * state.config.overdue_days),
        );
    }
    if let Some(c) = blank(&q.cursor) {
        let bad = || AppError::validation("cursor", "分页游标无效");
        let (t, id) = c.split_once('_').ok_or_else(bad)?;
        f.before = Some((
            Timestamp::from_micros(t.parse().map_err(|_| bad())?),
            CaseId(Uuid::parse_str(id).map_err(|_| bad())?),
        ));
    }
    Ok(f)
}

/// List cases in your jurisdiction, newest first, with filters and cursor pagination.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListQuery),
    responses((status = 200, body = CaseList), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<ListQuery>,
) -> Result<Json<CaseList>, AppError> {
    let filter = filter_of(&state, &q)?;
    let limit = filter.limit as usize;
    let rows = cases::list(&state, &me.user, filter).await?;
    let r = state.reference();
    let overdue_before = state
        .now()
        .plus_seconds(-86_400 * state.config.overdue_days);
    let next_cursor = (rows.len() == limit)
        .then(|| {
            rows.last()
                .map(|s| format!("{}_{}", s.registered_at.micros(), s.id))
        })
        .flatten();
    Ok(Json(CaseList {
        items: rows
            .iter()
            .map(|s| present::list_item(s, &r, overdue_before))
            .collect(),
        next_cursor,
    }))
}

/// One case, with personal data masked and the actions you may take.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, AppError> {
    Ok(Json(view_of(&state, &me.user, parse_id(&id)?).await?))
}

/// The case's event history, oldest first, with each event's hash and its predecessor's.
#[utoipa::path(get, path = "/api/v1/cases/{id}/events", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = [EventView]), (status = 404, body = crate::error::ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<EventView>>, AppError> {
    let id = parse_id(&id)?;
    cases::load_visible(&state, &me.user, id).await?;
    let r = state.reference();
    let events = state.store.events(id).await?;
    Ok(Json(
        events.iter().map(|e| present::event_view(e, &r)).collect(),
    ))
}
