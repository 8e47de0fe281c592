//! `/api/v1/intake`: what the window is told while a complaint is typed (suggested types with
//! their evidence, risk flags, severity and track), and the clerk's corrections the classifier
//! learns from.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hejie_domain::division::DivisionCode;
use hejie_intake::{CaseFacts, Decision, RiskKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Body;
use crate::auth::ApiUser;
use crate::cases::{self, Suggestion};
use crate::error::AppError;
use crate::present::Labelled;
use crate::routing;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct SuggestRequest {
    /// The complaint as typed so far.
    pub text: String,
    /// People on the complaining side, if known.
    pub head_count: Option<u32>,
    /// Amount in dispute, in yuan, e.g. `3500.50`; if absent, the largest sum in the text counts.
    pub amount: Option<String>,
    /// Where the dispute arose (village, community or grid code, 12 or 15 digits); when given,
    /// the response proposes the responsible organisation.
    pub division: Option<String>,
}

/// A proposed dispute type.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeSuggestion {
    pub code: String,
    pub label: String,
    /// The model's probability, between 0 and 1.
    pub probability: f64,
}

/// A word of the text that drove the first suggestion.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evidence {
    pub word: String,
    /// How much likelier the word is under the first type than under the second (natural log).
    pub weight: f64,
}

/// One reason for concern.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskFlagView {
    /// `extreme_threat`, `gathering`, `holiday_wage_arrears`, `petition`, `repeat_visits`,
    /// `group_dispute` or `large_amount`.
    pub kind: String,
    /// The term the clerk reads, e.g. `节前欠薪`.
    pub label: String,
    /// Why it matters, in Chinese.
    pub reason: String,
}

/// Risk and triage hints the clerk can read and override.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskView {
    pub flags: Vec<RiskFlagView>,
    pub severity: Labelled,
    /// Never 门诊 (`clinic`) when the severity is 重大.
    pub track: Labelled,
    /// Everything the clerk should read, in Chinese.
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestResponse {
    /// The three likeliest types, likeliest first.
    pub types: Vec<TypeSuggestion>,
    /// The words that most favoured the first type, strongest first.
    pub evidence: Vec<Evidence>,
    pub risk: RiskView,
    /// The organisation the routing rules would send the case to, with the suggested type,
    /// severity and track; null without a division or when no rule finds an organisation.
    pub route: Option<RouteView>,
}

/// Where the routing rules would send the case (分流建议).
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteView {
    pub organisation_id: String,
    pub organisation_name: String,
    /// The id of the rule that fired, e.g. `labour-township`.
    pub rule_id: String,
    pub rule_name: String,
    /// Why, in Chinese.
    pub reason: String,
}

impl From<Decision> for RouteView {
    fn from(d: Decision) -> Self {
        RouteView {
            organisation_id: d.organisation.id.0.to_string(),
            organisation_name: d.organisation.name,
            rule_id: d.rule_id,
            rule_name: d.rule_name,
            reason: d.reason,
        }
    }
}

fn kind_code(kind: RiskKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<Suggestion> for SuggestResponse {
    fn from(s: Suggestion) -> Self {
        let a = s.assessment;
        SuggestResponse {
            types: s
                .classification
                .top
                .into_iter()
                .map(|(t, p)| TypeSuggestion {
                    code: t.code().to_owned(),
                    label: t.label().to_owned(),
                    probability: p,
                })
                .collect(),
            evidence: s
                .classification
                .evidence
                .into_iter()
                .map(|(word, weight)| Evidence { word, weight })
                .collect(),
            risk: RiskView {
                flags: a
                    .flags
                    .into_iter()
                    .map(|f| RiskFlagView {
                        kind: kind_code(f.kind),
                        label: f.kind.label().to_owned(),
                        reason: f.reason_zh,
                    })
                    .collect(),
                severity: Labelled::new(a.suggested_severity.code(), a.suggested_severity.label()),
                track: Labelled::new(a.suggested_track.code(), a.suggested_track.label()),
                reasons: a.reasons,
            },
            route: None,
        }
    }
}

/// Suggest type, severity and track for a complaint as it is typed (智能分类与风险提示).
#[utoipa::path(post, path = "/api/v1/intake/suggest", tag = "intake",
    request_body = SuggestRequest,
    responses((status = 200, body = SuggestResponse), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn suggest(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(req): Body<SuggestRequest>,
) -> Result<Json<SuggestResponse>, AppError> {
    let division = req
        .division
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(DivisionCode::parse)
        .transpose()
        .map_err(|e| AppError::validation("division", e.message))?;
    let s = cases::suggest(
        &state,
        &me.user,
        &req.text,
        req.head_count,
        req.amount.as_deref(),
    )?;
    let facts = division.map(|division| CaseFacts {
        division,
        dispute_type: s.classification.best(),
        severity: s.assessment.suggested_severity,
        track: s.assessment.suggested_track,
        head_count: req.head_count,
        cross_division: false,
    });
    let mut res = SuggestResponse::from(s);
    if let Some(facts) = facts {
        res.route = routing::decide(&state, &facts).await?.map(RouteView::from);
    }
    Ok(Json(res))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CorrectionRequest {
    /// The complaint text.
    pub text: String,
    /// Its dispute type as the clerk decided, code or name, e.g. `labour` or `劳动争议`.
    pub dispute_type: String,
}

/// Teach the classifier a clerk's correction (纠正分类); the model is updated and stored.
#[utoipa::path(post, path = "/api/v1/intake/corrections", tag = "intake",
    request_body = CorrectionRequest,
    responses((status = 204, description = "已学习"), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn corrections(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(req): Body<CorrectionRequest>,
) -> Result<StatusCode, AppError> {
    cases::correct(&state, &me.user, &req.text, &req.dispute_type).await?;
    Ok(StatusCode::NO_CONTENT)
}
