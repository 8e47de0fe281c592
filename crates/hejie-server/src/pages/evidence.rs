//! The 证据材料 panel of the case page (list, download, upload) and its routes:
//! `POST /cases/{id}/evidence` (a multipart form whose CSRF token is checked before the file is
//! read) and `GET /cases/{id}/evidence/{sha256}` (an attachment, only to who may see the case).

use axum::extract::{Path, Request, State};
use axum::response::Response;
use hejie_domain::case::Case;

use super::PageError;
use super::detail::{Extra, render_case};
use super::form::{PageUser, read_upload};
use super::view;
use crate::api::cases::parse_id;
use crate::cases;
use crate::error::AppError;
use crate::evidence;
use crate::state::AppState;

/// One file in the panel.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub sha256: String,
    pub short: String,
    pub name: String,
    pub kind: String,
    pub size: String,
    pub by: String,
    pub description: String,
}

/// The panel: the files, and whether this user may add one.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub files: Vec<FileRow>,
    pub may_add: bool,
    pub accepted: &'static str,
    pub max_mb: usize,
}

pub fn panel(state: &AppState, case: &Case, user: &hejie_domain::user::User) -> Panel {
    let may_add =
        hejie_domain::case::allowed_in(hejie_domain::CommandName::AddEvidence, case.status)
            && hejie_domain::authz::authorize(
                user,
                hejie_domain::authz::Action::Command(hejie_domain::CommandName::AddEvidence),
                Some(case),
            )
            .is_ok();
    Panel {
        files: case
            .evidence
            .iter()
            .map(|e| FileRow {
                sha256: e.sha256.clone(),
                short: e.sha256[..12].to_owned(),
                name: e.name.clone(),
                kind: evidence::sniff_label(&e.content_type).to_owned(),
                size: crate::present::human_size(e.size),
                by: e
                    .party
                    .and_then(|p| case.parties.get(p as usize))
                    .map(|p| format!("当事人{}", p.name))
                    .unwrap_or_else(|| "工作人员".to_owned()),
                description: e.description.clone().unwrap_or_default(),
            })
            .collect(),
        may_add,
        accepted: evidence::ACCEPTED,
        max_mb: state.config.evidence_max_bytes / (1024 * 1024),
    }
}

/// `POST /cases/{id}/evidence`.
pub async fn upload(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let expected = me
        .session
        .as_ref()
        .map(|s| s.csrf_token.clone())
        .unwrap_or_default();
    let result = async {
        // Who may add evidence is decided before the upload is read.
        let st = cases::prepare(
            &state,
            &me.user,
            case_id,
            hejie_domain::CommandName::AddEvidence,
            None,
        )
        .await?;
        let form =
            match read_upload(request, &state, &expected, state.config.evidence_max_bytes).await {
                Ok(form) => form,
                Err(PageError::App(e @ AppError::Validation { .. })) => return Err(e),
                Err(other) => return Ok(Err(other)),
            };
        let (name, bytes) = form
            .file
            .as_ref()
            .ok_or_else(|| AppError::validation("file", "请选择要上传的文件"))?;
        let description = Some(form.field("description").trim().to_owned());
        evidence::add(&state, &me.user, &st, name, bytes, description).await?;
        Ok(Ok(()))
    }
    .await;
    match result {
        Ok(Ok(())) => Ok(view::see_other(&format!("/cases/{case_id}?done=evidence"))),
        // A forged or broken form: refused as such, never shown as a field error.
        Ok(Err(refused)) => Err(refused),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let extra = Extra::failed("evidence", &[], &e, "");
            render_case(&state, &me, case_id, extra, status).await
        }
    }
}

/// `GET /cases/{id}/evidence/{sha256}`.
pub async fn download(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let st = cases::load_visible(&state, &me.user, id).await?;
    let (e, bytes) = evidence::read(&state, &st, &sha256)?;
    Ok(evidence::attachment(&e, bytes))
}
