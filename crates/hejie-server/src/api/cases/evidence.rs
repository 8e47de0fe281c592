//! `/api/v1/cases/{id}/evidence`: the case's evidence files (证据材料): list, upload
//! (multipart, type checked by content), and download as an attachment.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::ApiUser;
use crate::cases;
use crate::error::AppError;
use crate::evidence;
use crate::state::AppState;

/// The largest request an upload route reads at all; the configured per-file limit is checked
/// after (and is what people are told).
pub const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// One file of the case's evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    /// SHA-256 of the file: its name in the store and its download path.
    pub sha256: String,
    pub name: String,
    /// What the content was recognised as.
    pub content_type: String,
    pub size: u64,
    pub description: Option<String>,
    /// The submitting party's position, when a party submitted it.
    pub party: Option<u32>,
}

impl From<&hejie_domain::mediation::Evidence> for EvidenceView {
    fn from(e: &hejie_domain::mediation::Evidence) -> Self {
        EvidenceView {
            sha256: e.sha256.clone(),
            name: e.name.clone(),
            content_type: e.content_type.clone(),
            size: e.size,
            description: e.description.clone(),
            party: e.party,
        }
    }
}

/// An uploaded file and its description, read from a multipart form (fields `file` and
/// `description`).
#[derive(Debug)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub description: Option<String>,
}

/// Reads the upload; a body over the limit or a broken form is refused in Chinese.
pub async fn read_upload(state: &AppState, mut multipart: Multipart) -> Result<Upload, AppError> {
    let mut upload = Upload {
        name: String::new(),
        bytes: Vec::new(),
        description: None,
    };
    let broken = || evidence::too_large(state.config.evidence_max_bytes);
    while let Some(field) = multipart.next_field().await.map_err(|_| broken())? {
        match field.name() {
            Some("file") => {
                upload.name = field.file_name().unwrap_or_default().to_owned();
                upload.bytes = field.bytes().await.map_err(|_| broken())?.to_vec();
            }
            Some("description") => {
                upload.description = Some(field.text().await.map_err(|_| broken())?);
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// The request's body as a multipart form, or a Chinese refusal.
pub async fn multipart_of(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<Multipart, AppError> {
    use axum::extract::FromRequest;
    Multipart::from_request(request, state)
        .await
        .map_err(|_| AppError::validation("file", "请以 multipart/form-data 表单上传文件"))
}

async fn list_of(
    state: &AppState,
    me: &hejie_domain::user::User,
    id: hejie_domain::case::CaseId,
) -> Result<Vec<EvidenceView>, AppError> {
    let st = cases::load_visible(state, me, id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    Ok(case.evidence.iter().map(EvidenceView::from).collect())
}

/// The case's evidence files, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Vec<EvidenceView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<EvidenceView>>, AppError> {
    let id = parse_id(&id)?;
    Ok(Json(list_of(&state, &me.user, id).await?))
}

/// Upload a file as evidence (multipart/form-data: `file`, optional `description`). Photos, PDF
/// and audio recordings only, recognised by content; at most the configured size (20 MB by
/// default); names that try to be paths are refused.
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence", tag = "cases",
    request_body(content_type = "multipart/form-data", content = Vec<u8>),
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Vec<EvidenceView>), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Result<Json<Vec<EvidenceView>>, AppError> {
    let id = parse_id(&id)?;
    // Who may add evidence is decided before the body is read at all.
    let st = cases::prepare(
        &state,
        &me.user,
        id,
        hejie_domain::CommandName::AddEvidence,
        None,
    )
    .await?;
    let multipart = multipart_of(&state, request).await?;
    let u = read_upload(&state, multipart).await?;
    evidence::add(&state, &me.user, &st, &u.name, &u.bytes, u.description).await?;
    Ok(Json(list_of(&state, &me.user, id).await?))
}

/// Download one evidence file, as an attachment.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence/{sha256}", tag = "cases",
    params(("id" = String, Path, description = "Case id"),
           ("sha256" = String, Path, description = "The file's SHA-256")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let st = cases::load_visible(&state, &me.user, id).await?;
    let (e, bytes) = evidence::read(&state, &st, &sha256)?;
    Ok(evidence::attachment(&e, bytes))
}
