//! `/api/v1/cases/{id}/agreement` and `/confirmation`: the 人民调解协议书 (drafting, the
//! mediator's signature, the PDF) and the joint application for judicial confirmation with the
//! court's ruling (人民调解法第二十九条、第三十三条). Parties sign through the tracking page, after
//! re-verifying their phone.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use hejie_domain::case::{Case, Command};
use hejie_domain::mediation::{Signer, confirmation_deadline};
use hejie_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::agreement::{self, DraftInput, DutyInput};
use crate::api::Body;
use crate::auth::ApiUser;
use crate::cases;
use crate::error::AppError;
use crate::present::rfc3339;
use crate::state::AppState;

/// One obligation: who performs what, how much, how and by when.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DutyRequest {
    /// The obliged party's position in the case's party list, from 0.
    pub party: u32,
    pub duty: String,
    /// Amount in yuan, e.g. `5000` or `3200.50`; empty when the duty is not a payment.
    #[serde(default)]
    pub amount: String,
    /// 履行方式, e.g. 银行转账至申请人账户.
    pub manner: String,
    /// 履行期限, `YYYY-MM-DD`.
    pub due: String,
}

/// What the mediator writes; the parties, the mediator and the committee come from the case.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DraftRequest {
    /// 纠纷的主要事实.
    pub facts: String,
    /// 争议事项.
    pub disputed_points: String,
    /// 各方当事人的责任.
    pub liability: String,
    /// 协议内容, one term per item.
    pub terms: Vec<String>,
    #[serde(default)]
    pub duties: Vec<DutyRequest>,
    pub expected_version: Option<u64>,
}

impl DraftRequest {
    pub fn input(&self) -> DraftInput {
        DraftInput {
            facts: self.facts.clone(),
            disputed_points: self.disputed_points.clone(),
            liability: self.liability.clone(),
            terms: self.terms.clone(),
            duties: self
                .duties
                .iter()
                .map(|d| DutyInput {
                    party: d.party.to_string(),
                    duty: d.duty.clone(),
                    amount: d.amount.clone(),
                    manner: d.manner.clone(),
                    due: d.due.clone(),
                })
                .collect(),
        }
    }
}

/// The mediator's signature, given after re-entering their password.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SignRequest {
    pub password: String,
    pub expected_version: Option<u64>,
}

/// The parties' joint application for judicial confirmation, as they made it.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConfirmationRequest {
    /// The applying parties' positions in the case's party list; all of them (Art. 33).
    pub applicants: Vec<u32>,
    /// The court applied to, e.g. 和安县人民法院.
    pub court: String,
    pub expected_version: Option<u64>,
}

/// The court's ruling on the application.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RulingRequest {
    /// `true`: 裁定调解协议有效; `false`: 裁定驳回申请.
    pub confirmed: bool,
    /// The ruling's number, e.g. （2026）浙0121民特123号.
    pub ruling: String,
    #[serde(default)]
    pub note: Option<String>,
    pub expected_version: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DutyView {
    pub party: String,
    pub duty: String,
    pub amount: Option<String>,
    pub manner: String,
    /// `YYYY-MM-DD`.
    pub due: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureView {
    /// `party` or `mediator`.
    pub signer: String,
    /// The party's position, for a party's signature.
    pub party: Option<u32>,
    pub name: String,
    pub signed_at: String,
    /// `sm2` or `ed25519`.
    pub algorithm: String,
    pub public_key: String,
    pub signature: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RulingView {
    pub confirmed: bool,
    pub ruling: String,
    pub note: Option<String>,
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationView {
    pub applicants: Vec<String>,
    pub court: String,
    /// The last day the application could be made, `YYYY-MM-DD`.
    pub deadline: String,
    pub applied_at: String,
    pub ruling: Option<RulingView>,
}

/// The case's agreement as it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    pub version: u32,
    /// SHA-256 of the canonical agreement: what is signed and printed on every page.
    pub content_hash: String,
    pub doc_number: String,
    pub drafted_at: String,
    pub effective_at: Option<String>,
    pub facts: String,
    pub disputed_points: String,
    pub liability: String,
    pub terms: Vec<String>,
    pub duties: Vec<DutyView>,
    pub mediator: String,
    pub committee: String,
    pub signatures: Vec<SignatureView>,
    /// Who still has to sign: parties' names, then 调解员.
    pub missing: Vec<String>,
    /// Once in effect and until applied for: the last day to apply for judicial confirmation.
    pub confirmation_deadline: Option<String>,
    pub confirmation: Option<ConfirmationView>,
}

fn day(t: Timestamp) -> String {
    t.date_cst().to_string()
}

/// The view of `case`'s agreement; `None` when none was drafted.
pub fn view(state: &AppState, case: &Case) -> Option<AgreementView> {
    let r = case.agreement.as_ref()?;
    let a = r.agreement.draft();
    let name = |s: Signer| match s {
        Signer::Party(i) => case
            .parties
            .get(i as usize)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        Signer::Mediator => "调解员".to_owned(),
    };
    let calendar = state.flow().calendar.clone();
    Some(AgreementView {
        version: r.version,
        content_hash: r.content_hash.clone(),
        doc_number: agreement::doc_number(&case.number),
        drafted_at: rfc3339(r.drafted_at),
        effective_at: r.effective_at.map(rfc3339),
        facts: a.facts.clone(),
        disputed_points: a.disputed_points.clone(),
        liability: a.liability.clone(),
        terms: a.terms.clone(),
        duties: a
            .duties
            .iter()
            .map(|d| DutyView {
                party: d.party.clone(),
                duty: d.duty.clone(),
                amount: d.amount.map(|m| m.to_string()),
                manner: d.manner.clone(),
                due: day(d.due),
            })
            .collect(),
        mediator: a.mediator.clone(),
        committee: a.committee.clone(),
        signatures: r
            .signing
            .signatures
            .iter()
            .map(|s| SignatureView {
                signer: match s.signer {
                    Signer::Party(_) => "party",
                    Signer::Mediator => "mediator",
                }
                .to_owned(),
                party: match s.signer {
                    Signer::Party(i) => Some(i),
                    Signer::Mediator => None,
                },
                name: name(s.signer),
                signed_at: rfc3339(s.at),
                algorithm: serde_json::to_value(s.algorithm)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                public_key: s.public_key.clone(),
                signature: s.signature.clone(),
            })
            .collect(),
        missing: r.signing.missing().into_iter().map(name).collect(),
        confirmation_deadline: match (r.effective_at, &case.confirmation) {
            (Some(t), None) => Some(confirmation_deadline(t, &calendar).to_string()),
            _ => None,
        },
        confirmation: case.confirmation.as_ref().map(|c| ConfirmationView {
            applicants: c
                .applicants
                .iter()
                .map(|i| name(Signer::Party(*i)))
                .collect(),
            court: c.court.clone(),
            deadline: day(c.deadline),
            applied_at: rfc3339(c.applied_at),
            ruling: c.ruling.as_ref().map(|r| RulingView {
                confirmed: r.confirmed,
                ruling: r.ruling.clone(),
                note: r.note.clone(),
                at: rfc3339(r.at),
            }),
        }),
    })
}

async fn current(
    state: &AppState,
    me: &hejie_domain::user::User,
    id: hejie_domain::case::CaseId,
) -> Result<AgreementView, AppError> {
    let st = cases::load_visible(state, me, id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    view(state, case).ok_or_else(|| {
        hejie_domain::DomainError::Mediation(hejie_domain::mediation::MediationError::NoAgreement)
            .into()
    })
}

type Answer = Result<Json<AgreementView>, AppError>;

/// The case's agreement: its text, signatures, and the judicial confirmation; `null` while none
/// was drafted.
#[utoipa::path(get, path = "/api/v1/cases/{id}/agreement", tag = "agreements",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Option<AgreementView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Option<AgreementView>>, AppError> {
    let id = parse_id(&id)?;
    let st = cases::load_visible(&state, &me.user, id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    Ok(Json(view(&state, case)))
}

/// Draft the next version of the 人民调解协议书 (Art. 29); earlier signatures no longer count.
#[utoipa::path(post, path = "/api/v1/cases/{id}/agreement", tag = "agreements",
    request_body = DraftRequest, params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = AgreementView), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn draft(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<DraftRequest>,
) -> Answer {
    let id = parse_id(&id)?;
    agreement::draft(&state, &me.user, id, &req.input(), req.expected_version).await?;
    Ok(Json(current(&state, &me.user, id).await?))
}

/// The case's mediator signs the current version (SM2), after re-entering their password.
#[utoipa::path(post, path = "/api/v1/cases/{id}/agreement/sign", tag = "agreements",
    request_body = SignRequest, params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = AgreementView), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn sign(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<SignRequest>,
) -> Answer {
    let id = parse_id(&id)?;
    agreement::sign_as_mediator(&state, &me.user, id, &req.password, req.expected_version).await?;
    Ok(Json(current(&state, &me.user, id).await?))
}

/// The current version as PDF, with the signatures so far; every copy is kept so it can be
/// verified later.
#[utoipa::path(get, path = "/api/v1/cases/{id}/agreement/pdf", tag = "agreements",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn pdf(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    agreement::Pdf::Agreement
        .for_staff(&state, &me.user, id)
        .await
}

/// Record the parties' joint application for judicial confirmation (Art. 33): refused when not
/// every party applies, before the agreement took effect, or after the 30-day period.
#[utoipa::path(post, path = "/api/v1/cases/{id}/confirmation", tag = "agreements",
    request_body = ConfirmationRequest, params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = AgreementView), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn apply_confirmation(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<ConfirmationRequest>,
) -> Answer {
    let id = parse_id(&id)?;
    agreement::apply_confirmation(
        &state,
        &me.user,
        id,
        req.applicants,
        &req.court,
        req.expected_version,
    )
    .await?;
    Ok(Json(current(&state, &me.user, id).await?))
}

/// Record the court's ruling on the application.
#[utoipa::path(post, path = "/api/v1/cases/{id}/confirmation/ruling", tag = "agreements",
    request_body = RulingRequest, params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = AgreementView), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn ruling(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<RulingRequest>,
) -> Answer {
    let id = parse_id(&id)?;
    let command = Command::RecordConfirmation {
        confirmed: req.confirmed,
        ruling: req.ruling.clone(),
        note: req.note.clone().filter(|n| !n.trim().is_empty()),
    };
    cases::run(&state, &me.user, id, req.expected_version, command).await?;
    Ok(Json(current(&state, &me.user, id).await?))
}

/// The 司法确认申请书 as PDF, once the parties applied.
#[utoipa::path(get, path = "/api/v1/cases/{id}/confirmation/pdf", tag = "agreements",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn confirmation_pdf(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    agreement::Pdf::Confirmation
        .for_staff(&state, &me.user, id)
        .await
}

/// What checking a file against the record found.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    /// Whether the file is a document this system made and every check passed.
    pub ok: bool,
    /// `None` when no document with these bytes was ever made here.
    pub document: Option<agreement::Checked>,
}

/// Check a document (the PDF's bytes as the request body) against the record. Public: anyone
/// holding a copy may check it.
#[utoipa::path(post, path = "/api/v1/documents/verify", tag = "agreements",
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = VerifyView), (status = 400, body = crate::error::ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<VerifyView>, AppError> {
    if body.is_empty() {
        return Err(AppError::validation(
            "body",
            "请上传要核验的文书（PDF 文件）",
        ));
    }
    let document = agreement::verify_document(state.store.as_ref(), &body).await?;
    Ok(Json(VerifyView {
        ok: document.as_ref().is_some_and(agreement::Checked::ok),
        document,
    }))
}

/// A draft 强制执行申请书 for a judicially confirmed agreement that a performance check found
/// unperformed (人民调解法第三十三条第二款).
#[utoipa::path(get, path = "/api/v1/cases/{id}/enforcement/pdf", tag = "agreements",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn enforcement_pdf(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    agreement::Pdf::Enforcement
        .for_staff(&state, &me.user, id)
        .await
}
