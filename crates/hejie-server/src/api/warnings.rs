//! 预警研判 over the API: the early warnings of your jurisdiction, and the steps taken on them
//! (签收, 处置, 结果).

use axum::Json;
use axum::extract::{Path, State};
use hejie_store::warnings::{Warning, WarningEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{Body, Params};
use crate::auth::ApiUser;
use crate::error::AppError;
use crate::insight::type_label;
use crate::present::rfc3339;
use crate::state::{AppState, Reference};
use crate::warnings::{self, Query};

/// One step in a warning's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarningActionView {
    pub seq: i64,
    /// `raised`, `acknowledged`, `acted`, `outcome` or `escalated`.
    pub action: String,
    /// The level raised or escalated to: `red`, `orange` or `yellow`.
    pub level: Option<String>,
    pub actor_name: String,
    pub at: String,
    pub note: String,
    /// `confirmed` (属实) or `false_alarm` (误报), for `outcome`.
    pub outcome: Option<String>,
}

/// An early warning.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarningView {
    pub id: i64,
    /// `spike`, `party` or `case`.
    pub kind: String,
    pub kind_label: String,
    /// `red`, `orange` or `yellow`.
    pub level: String,
    /// 红, 橙 or 黄.
    pub level_label: String,
    /// `open`, `acknowledged`, `acted` or `closed`.
    pub status: String,
    pub status_label: String,
    pub outcome: Option<String>,
    pub division: String,
    pub division_name: String,
    pub dispute_type: Option<String>,
    pub dispute_type_label: Option<String>,
    pub case_id: Option<String>,
    pub title: String,
    /// The numbers behind the warning in words, e.g. `本周 14 件，基线 4.2 件，控制上限 9 件，
    /// p=0.0003`.
    pub numbers: String,
    /// The numbers as data: observed, expected, limit and p_value for spikes; the cases for a
    /// party; score and signals for a case.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub raised_at: String,
    pub updated_at: String,
    /// The history, oldest first (only when one warning is returned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<WarningActionView>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarningList {
    pub total: u64,
    pub warnings: Vec<WarningView>,
}

pub fn warning_view(w: &Warning, r: &Reference, history: Option<&[WarningEntry]>) -> WarningView {
    WarningView {
        id: w.id,
        kind: w.kind.code().to_owned(),
        kind_label: w.kind.label().to_owned(),
        level: w.level.code().to_owned(),
        level_label: w.level.label().to_owned(),
        status: w.status.code().to_owned(),
        status_label: w.status.label().to_owned(),
        outcome: w.outcome.map(|o| o.code().to_owned()),
        division: w.division.to_string(),
        division_name: r.full_name(&w.division),
        dispute_type: w.dispute_type.clone(),
        dispute_type_label: w.dispute_type.as_deref().map(type_label),
        case_id: w.case_id.map(|c| c.to_string()),
        title: w.title.clone(),
        numbers: warnings::numbers(w),
        detail: serde_json::from_str(&w.detail).unwrap_or(serde_json::Value::Null),
        raised_at: rfc3339(w.raised_at),
        updated_at: rfc3339(w.updated_at),
        actions: history.map(|h| {
            h.iter()
                .map(|e| WarningActionView {
                    seq: e.seq,
                    action: e.action.clone(),
                    level: e.level.map(|l| l.code().to_owned()),
                    actor_name: e.actor_name.clone(),
                    at: rfc3339(e.at),
                    note: e.note.clone(),
                    outcome: e.outcome.map(|o| o.code().to_owned()),
                })
                .collect()
        }),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarningQuery {
    /// An area inside your jurisdiction (12-digit code); default: your whole jurisdiction.
    pub division: Option<String>,
    /// `red`, `orange` or `yellow`.
    pub level: Option<String>,
    /// `open`, `acknowledged`, `acted`, `closed`, `active` (not closed; the default) or `all`.
    pub status: Option<String>,
    /// `spike`, `party` or `case`.
    pub kind: Option<String>,
    pub offset: Option<u32>,
    /// At most 500; default 50.
    pub limit: Option<u32>,
}

/// 预警研判：the early warnings of your jurisdiction, unfinished and most urgent first. For
/// supervisors and administrators.
#[utoipa::path(get, path = "/api/v1/warnings", tag = "insight", params(WarningQuery),
    responses((status = 200, body = WarningList), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_warnings(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<WarningQuery>,
) -> Result<Json<WarningList>, AppError> {
    let query = Query {
        division: q.division.unwrap_or_default(),
        level: q.level.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        kind: q.kind.unwrap_or_default(),
        offset: q.offset.unwrap_or(0),
        limit: q.limit.unwrap_or(0),
    };
    let (list, total) = warnings::list(&state, &me.user, &query).await?;
    let r = state.reference();
    Ok(Json(WarningList {
        total,
        warnings: list.iter().map(|w| warning_view(w, &r, None)).collect(),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct WarningActionRequest {
    /// `acknowledge` (签收), `act` (处置, with a note) or `outcome` (结果, with `outcome`).
    pub action: String,
    /// What was done, or why the outcome is what it is.
    #[serde(default)]
    pub note: String,
    /// For `outcome`: `confirmed` (属实) or `false_alarm` (误报).
    #[serde(default)]
    pub outcome: String,
}

/// 预警处置：acknowledges a warning, records what was done about it, or records whether it was
/// true (which closes it). Steps go 签收 → 处置 → 结果; a refused step answers 422 with a code
/// such as `warning_not_acknowledged` or `warning_closed`.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/actions", tag = "insight",
    request_body = WarningActionRequest,
    params(("id" = i64, Path, description = "Warning id")),
    responses((status = 200, body = WarningView), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn act_on_warning(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<WarningActionRequest>,
) -> Result<Json<WarningView>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let step = warnings::step(&req.action, &req.outcome)?;
    warnings::act(&state, &me.user, id, step, &req.note).await?;
    let (w, history) = warnings::get(&state, &me.user, id).await?;
    let r = state.reference();
    Ok(Json(warning_view(&w, &r, Some(&history))))
}
