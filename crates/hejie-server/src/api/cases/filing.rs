//! `/api/v1/cases/{id}/filing`: filing with the court after mediation failed (诉非对接): the
//! request, and each filing's delivery and receipt.

use axum::Json;
use axum::extract::{Path, State};
use hejie_domain::case::{Case, Command};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::api::Body;
use crate::auth::ApiUser;
use crate::cases;
use crate::error::AppError;
use crate::present::rfc3339;
use crate::state::AppState;

/// A request to file the dispute with the court.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FilingRequest {
    /// The court, e.g. 和安县人民法院.
    pub court: String,
    /// 诉讼请求, in the party's words.
    pub claims: String,
    /// The party who asks for it, by position; staff filing on their behalf.
    pub party: Option<u32>,
    pub expected_version: Option<u64>,
}

/// One filing and where its delivery stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct FilingView {
    pub filing_id: String,
    pub court: String,
    pub claims: String,
    pub requested_at: String,
    /// The court's receipt number, once it took the filing.
    pub receipt: Option<String>,
    pub received_at: Option<String>,
    /// `delivered`, `pending` (being delivered, retried until the court takes it).
    pub delivery: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// Why the last attempt failed, while it is being retried.
    pub last_error: Option<String>,
    /// When the next attempt is due (RFC 3339), while it is being retried.
    pub next_attempt: Option<String>,
}

/// The case's filings, with their delivery from the job table.
pub async fn views(state: &AppState, case: &Case) -> Result<Vec<FilingView>, AppError> {
    let mut out = Vec::new();
    for f in &case.filings {
        let job = state.store.job(&format!("filing:{}", f.filing_id)).await?;
        let delivered = f.receipt.is_some();
        out.push(FilingView {
            filing_id: f.filing_id.clone(),
            court: f.court.clone(),
            claims: f.claims.clone(),
            requested_at: rfc3339(f.requested_at),
            receipt: f.receipt.as_ref().map(|(r, _)| r.clone()),
            received_at: f.receipt.as_ref().map(|(_, t)| rfc3339(*t)),
            delivery: if delivered { "delivered" } else { "pending" }.to_owned(),
            attempts: job.as_ref().map_or(0, |j| j.attempts),
            last_error: job
                .as_ref()
                .filter(|_| !delivered)
                .and_then(|j| j.last_error.clone()),
            next_attempt: job
                .as_ref()
                .filter(|j| !delivered && j.status == "pending")
                .map(|j| rfc3339(j.due_at)),
        });
    }
    Ok(out)
}

async fn list_of(
    state: &AppState,
    me: &hejie_domain::user::User,
    id: hejie_domain::case::CaseId,
) -> Result<Vec<FilingView>, AppError> {
    let st = cases::load_visible(state, me, id).await?;
    views(state, st.case().ok_or(AppError::NotFound)?).await
}

/// The case's filings with the court and their delivery.
#[utoipa::path(get, path = "/api/v1/cases/{id}/filing", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Vec<FilingView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<FilingView>>, AppError> {
    let id = parse_id(&id)?;
    Ok(Json(list_of(&state, &me.user, id).await?))
}

/// Request filing with the court after mediation failed (人民调解法第二十六条): the platform
/// assembles the package (`hejie.court-filing/v1`) and delivers it, signed, through a durable
/// outbox until the court takes it; the receipt is recorded on the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/filing", tag = "cases",
    request_body = FilingRequest, params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Vec<FilingView>), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn request(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<FilingRequest>,
) -> Result<Json<Vec<FilingView>>, AppError> {
    let id = parse_id(&id)?;
    let command = Command::RequestFiling {
        filing_id: uuid::Uuid::now_v7().to_string(),
        court: req.court.clone(),
        claims: req.claims.clone(),
        party: req.party,
    };
    cases::run(&state, &me.user, id, req.expected_version, command).await?;
    Ok(Json(list_of(&state, &me.user, id).await?))
}

/// The case's dossier (卷宗): a ZIP with the PDF dossier, the agreement and application PDFs,
/// the evidence files, `manifest.json` and `SHA256SUMS`; the same record makes the same bytes.
#[utoipa::path(get, path = "/api/v1/cases/{id}/dossier", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn dossier(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<axum::response::Response, AppError> {
    let id = parse_id(&id)?;
    cases::load_visible(&state, &me.user, id).await?;
    let (name, zip) = crate::dossier::make(&state, id).await?;
    Ok(zip_attachment(&name, zip))
}

/// A ZIP as a download.
pub fn zip_attachment(name: &str, body: Vec<u8>) -> axum::response::Response {
    crate::download::attachment(body, "application/zip", name, name)
}
