//! The 调解协议书 panel of the case page: the agreement's current version and who has signed
//! it, the drafting form, the mediator's signature (after re-entering the password), the PDF,
//! and the joint application for judicial confirmation with the court's ruling. Forms post to
//! `/cases/{id}/agreement…` and `/cases/{id}/confirmation…`; a refused one comes back to the case
//! page with the reason next to the field and what was typed kept.

use axum::extract::{Path, State};
use axum::response::Response;
use hejie_domain::authz::{Action, authorize};
use hejie_domain::case::{Case, CaseId, Command};
use hejie_domain::error::CommandName;
use hejie_domain::mediation::{Signer, confirmation_deadline};
use hejie_domain::timestamp::chinese_date;
use hejie_domain::user::User;
use serde::Deserialize;

use super::PageError;
use super::detail::{Extra, Prefill, render_case};
use super::form::{CsrfForm, PageUser};
use super::view;
use crate::agreement::{self, DraftInput, DutyInput};
use crate::api::cases::parse_id;
use crate::auth::CurrentUser;
use crate::cases;
use crate::error::AppError;
use crate::state::AppState;

/// How many obligation rows the drafting form offers beyond those already drafted.
const SPARE_DUTIES: usize = 2;

/// The fields of the panel's forms, for showing an error next to its field.
pub fn fields_of(action: &str) -> Option<&'static [&'static str]> {
    Some(match action {
        "agreement" => &[
            "agreement.facts",
            "agreement.disputed_points",
            "agreement.liability",
            "agreement.terms",
            "agreement.duties.party",
            "agreement.duties.duty",
            "agreement.duties.manner",
            "duties.party",
            "duties.amount",
            "duties.due",
        ],
        "agreement-sign" => &["password"],
        "confirmation" => &["applicants", "court"],
        "confirmation-ruling" => &["confirmed", "ruling", "note"],
        _ => return None,
    })
}

pub fn label_of(action: &str) -> Option<&'static str> {
    Some(match action {
        "agreement" => CommandName::DraftAgreement.label(),
        "agreement-sign" => CommandName::SignAgreement.label(),
        "confirmation" => CommandName::ApplyConfirmation.label(),
        "confirmation-ruling" => CommandName::RecordConfirmation.label(),
        _ => return None,
    })
}

pub fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "agreement" => {
            "调解协议书已保存。请各方当事人阅读后签名（当事人通过“进度查询”验证手机后签名）。"
        }
        "agreement-sign" => "您已在调解协议书上电子签名。",
        "confirmation" => "已登记双方共同申请司法确认，可下载司法确认申请书。",
        "confirmation-ruling" => "已登记法院的司法确认结果。",
        _ => return None,
    })
}

/// One row of the drafting form's obligations.
#[derive(Debug, Clone)]
pub struct DutyRow {
    pub n: usize,
    pub party: Vec<view::Opt>,
    pub duty: String,
    pub amount: String,
    pub manner: String,
    pub due: String,
}

/// One signer of the current version.
#[derive(Debug, Clone)]
pub struct SignerRow {
    pub who: String,
    pub signed: bool,
    pub at: String,
    pub fingerprint: String,
}

/// One party, for the joint application's checkboxes.
#[derive(Debug, Clone)]
pub struct ApplicantRow {
    pub index: u32,
    pub name: String,
    pub checked: bool,
}

/// What the panel shows.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub show: bool,
    pub version: u32,
    pub content_hash: String,
    pub drafted: String,
    pub effective: String,
    pub signers: Vec<SignerRow>,
    pub terms: Vec<String>,
    pub may_draft: bool,
    pub facts: String,
    pub disputed_points: String,
    pub liability: String,
    pub terms_text: String,
    pub duties: Vec<DutyRow>,
    pub may_sign: bool,
    /// The last day to apply for judicial confirmation, once in effect.
    pub deadline: String,
    pub may_apply: bool,
    pub applicants: Vec<ApplicantRow>,
    pub court: String,
    /// The application, once made: "2 位当事人 → 法院，申请于…".
    pub applied: String,
    pub may_rule: bool,
    pub ruling: String,
    /// A confirmed agreement found unperformed: the enforcement application can be drafted.
    pub enforceable: bool,
}

fn may(user: &User, case: &Case, name: CommandName) -> bool {
    hejie_domain::case::allowed_in(name, case.status)
        && authorize(user, Action::Command(name), Some(case)).is_ok()
}

/// The panel for `user` on `case`, with what a refused form had typed.
pub fn panel(state: &AppState, case: &Case, user: &User, pf: &Prefill) -> Panel {
    let record = case.agreement.as_ref();
    let refused = case
        .consents
        .iter()
        .any(|(_, a, _)| matches!(a, hejie_domain::mediation::ConsentAnswer::Refused { .. }));
    let effective = record.and_then(|r| r.effective_at);
    let may_draft = may(user, case, CommandName::DraftAgreement) && effective.is_none() && !refused;
    let show = record.is_some() || may_draft;
    if !show {
        return Panel::default();
    }
    let draft = record.map(|r| r.agreement.draft());
    let v = |field: &str, current: Option<String>| {
        pf.v("agreement", field, &current.unwrap_or_default())
    };
    let party_opts = |selected: &str| {
        let mut opts = vec![view::Opt::new("", "请选择", selected)];
        opts.extend(
            case.parties
                .iter()
                .enumerate()
                .map(|(i, p)| view::Opt::new(&i.to_string(), &p.name, selected)),
        );
        opts
    };
    let current_duties = draft.map(|d| d.duties.clone()).unwrap_or_default();
    let duties = (0..current_duties.len() + SPARE_DUTIES)
        .map(|n| {
            let d = current_duties.get(n);
            let party = d
                .and_then(|d| case.parties.iter().position(|p| p.name == d.party))
                .map(|i| i.to_string());
            let f = |name: &str, current: Option<String>| {
                pf.v(
                    "agreement",
                    &format!("duty_{name}_{n}"),
                    &current.unwrap_or_default(),
                )
            };
            DutyRow {
                n,
                party: party_opts(&f("party", party)),
                duty: f("duty", d.map(|d| d.duty.clone())),
                amount: f(
                    "amount",
                    d.and_then(|d| d.amount).map(|m| {
                        let fen = m.fen();
                        format!("{}.{:02}", fen / 100, fen % 100)
                    }),
                ),
                manner: f("manner", d.map(|d| d.manner.clone())),
                due: f("due", d.map(|d| d.due.date_cst().to_string())),
            }
        })
        .collect();
    let signers = record
        .map(|r| {
            (0..case.parties.len() as u32)
                .map(Signer::Party)
                .chain([Signer::Mediator])
                .map(|s| {
                    let given = r.signing.signatures.iter().find(|x| x.signer == s);
                    SignerRow {
                        who: match s {
                            Signer::Party(i) => case
                                .parties
                                .get(i as usize)
                                .map(|p| format!("{}：{}", p.role.label(), p.name))
                                .unwrap_or_default(),
                            Signer::Mediator => {
                                format!("调解员：{}", r.agreement.draft().mediator)
                            }
                        },
                        signed: given.is_some(),
                        at: given
                            .map(|g| crate::workflow::short_time(g.at))
                            .unwrap_or_default(),
                        fingerprint: given
                            .map(|g| agreement::fingerprint(&g.public_key))
                            .unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let mediator_signed = record.is_some_and(|r| {
        r.signing
            .signatures
            .iter()
            .any(|s| s.signer == Signer::Mediator)
    });
    let is_mediator = case.mediator.as_ref().is_some_and(|m| m.id == user.id);
    let may_sign = record.is_some()
        && effective.is_none()
        && !mediator_signed
        && is_mediator
        && may(user, case, CommandName::SignAgreement);
    let calendar = state.flow().calendar.clone();
    let applied = case.confirmation.as_ref();
    let chosen: Vec<String> = if pf.is("confirmation") {
        pf.values("applicants")
    } else {
        (0..case.parties.len()).map(|i| i.to_string()).collect()
    };
    Panel {
        show,
        version: record.map_or(0, |r| r.version),
        content_hash: record.map(|r| r.content_hash.clone()).unwrap_or_default(),
        drafted: record
            .map(|r| crate::workflow::short_time(r.drafted_at))
            .unwrap_or_default(),
        effective: effective
            .map(crate::workflow::short_time)
            .unwrap_or_default(),
        signers,
        terms: draft.map(|d| d.terms.clone()).unwrap_or_default(),
        may_draft,
        facts: v("facts", draft.map(|d| d.facts.clone())),
        disputed_points: v("disputed_points", draft.map(|d| d.disputed_points.clone())),
        liability: v("liability", draft.map(|d| d.liability.clone())),
        terms_text: v("terms", draft.map(|d| d.terms.join("\n"))),
        duties,
        may_sign,
        deadline: effective
            .map(|t| chinese_date(confirmation_deadline(t, &calendar)))
            .unwrap_or_default(),
        may_apply: effective.is_some()
            && applied.is_none()
            && may(user, case, CommandName::ApplyConfirmation),
        applicants: case
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| ApplicantRow {
                index: i as u32,
                name: p.name.clone(),
                checked: chosen.contains(&i.to_string()),
            })
            .collect(),
        court: pf.v("confirmation", "court", &default_court(state, case)),
        applied: applied
            .map(|c| {
                format!(
                    "{}共同向{}申请司法确认（{}，期限至{}）；{}",
                    c.applicants
                        .iter()
                        .filter_map(|i| case.parties.get(*i as usize))
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    c.court,
                    crate::workflow::short_time(c.applied_at),
                    chinese_date(c.deadline.date_cst()),
                    c.receipt.as_ref().map_or_else(
                        || "申请材料正在提交法院".to_owned(),
                        |(r, _)| format!("法院已接收，收件编号{r}")
                    )
                )
            })
            .unwrap_or_default(),
        enforceable: applied
            .and_then(|c| c.ruling.as_ref())
            .is_some_and(|r| r.confirmed)
            && case.performance.iter().any(|(_, performed)| !performed),
        may_rule: applied.is_some_and(|c| c.ruling.is_none())
            && may(user, case, CommandName::RecordConfirmation),
        ruling: applied
            .and_then(|c| c.ruling.as_ref())
            .map(|r| {
                format!(
                    "{}（{}）",
                    if r.confirmed {
                        "法院裁定调解协议有效"
                    } else {
                        "法院裁定驳回申请"
                    },
                    r.ruling
                )
            })
            .unwrap_or_default(),
    }
}

/// The basic-level court of the case's county: 县人民法院 named after the county.
pub fn default_court(state: &AppState, case: &Case) -> String {
    let r = state.reference();
    case.location
        .division
        .ancestor_at(hejie_domain::division::Level::County)
        .and_then(|code| r.division(&code))
        .map(|d| format!("{}人民法院", d.name))
        .unwrap_or_default()
}

/// On success back to the case page with `done`; on a refusal the case page with the form
/// refilled and the reason shown.
async fn finish(
    state: &AppState,
    me: &CurrentUser,
    id: CaseId,
    action: &str,
    raw: &[(String, String)],
    result: Result<(), AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(view::see_other(&format!("/cases/{id}?done={action}"))),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let extra = Extra::failed(action, raw, &e, "");
            render_case(state, me, id, extra, status).await
        }
    }
}

fn raw_value(raw: &[(String, String)], key: &str) -> String {
    raw.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DraftForm {
    expected_version: String,
}

/// `POST /cases/{id}/agreement`: a new version of the agreement.
pub async fn draft(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, raw }: CsrfForm<DraftForm>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let duties = (0..50)
        .take_while(|n| raw.iter().any(|(k, _)| k == &format!("duty_duty_{n}")))
        .map(|n| DutyInput {
            party: raw_value(&raw, &format!("duty_party_{n}")),
            duty: raw_value(&raw, &format!("duty_duty_{n}")),
            amount: raw_value(&raw, &format!("duty_amount_{n}")),
            manner: raw_value(&raw, &format!("duty_manner_{n}")),
            due: raw_value(&raw, &format!("duty_due_{n}")),
        })
        .collect();
    let input = DraftInput {
        facts: raw_value(&raw, "facts"),
        disputed_points: raw_value(&raw, "disputed_points"),
        liability: raw_value(&raw, "liability"),
        terms: raw_value(&raw, "terms")
            .lines()
            .map(str::to_owned)
            .collect(),
        duties,
    };
    let expected = form.expected_version.trim().parse().ok();
    let result = agreement::draft(&state, &user.user, case_id, &input, expected)
        .await
        .map(drop);
    finish(&state, &user, case_id, "agreement", &raw, result).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignForm {
    password: String,
    expected_version: String,
}

/// `POST /cases/{id}/agreement/sign`: the mediator's signature.
pub async fn sign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, raw }: CsrfForm<SignForm>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let result = agreement::sign_as_mediator(
        &state,
        &user.user,
        case_id,
        &form.password,
        form.expected_version.trim().parse().ok(),
    )
    .await
    .map(drop);
    // The password is never typed back into the page.
    let raw: Vec<(String, String)> = raw.into_iter().filter(|(k, _)| k != "password").collect();
    finish(&state, &user, case_id, "agreement-sign", &raw, result).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmationForm {
    court: String,
    expected_version: String,
}

/// `POST /cases/{id}/confirmation`: the parties' joint application, as they made it.
pub async fn apply_confirmation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, raw }: CsrfForm<ConfirmationForm>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let applicants = raw
        .iter()
        .filter(|(k, _)| k == "applicants")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let result = agreement::apply_confirmation(
        &state,
        &user.user,
        case_id,
        applicants,
        &form.court,
        form.expected_version.trim().parse().ok(),
    )
    .await
    .map(drop);
    finish(&state, &user, case_id, "confirmation", &raw, result).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RulingForm {
    confirmed: String,
    ruling: String,
    note: String,
    expected_version: String,
}

/// `POST /cases/{id}/confirmation/ruling`: the court's ruling.
pub async fn ruling(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, raw }: CsrfForm<RulingForm>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let result = async {
        let confirmed = match form.confirmed.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(AppError::validation("confirmed", "请选择法院的裁定结果")),
        };
        let note = form.note.trim();
        cases::run(
            &state,
            &user.user,
            case_id,
            form.expected_version.trim().parse().ok(),
            Command::RecordConfirmation {
                confirmed,
                ruling: form.ruling.clone(),
                note: (!note.is_empty()).then(|| note.to_owned()),
            },
        )
        .await
        .map(drop)
    }
    .await;
    finish(&state, &user, case_id, "confirmation-ruling", &raw, result).await
}

/// `GET /cases/{id}/agreement.pdf`.
pub async fn pdf(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    Ok(agreement::Pdf::Agreement
        .for_staff(&state, &me.user, id)
        .await?)
}

/// `GET /cases/{id}/confirmation.pdf`.
pub async fn confirmation_pdf(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    Ok(agreement::Pdf::Confirmation
        .for_staff(&state, &me.user, id)
        .await?)
}

/// `GET /cases/{id}/enforcement.pdf`.
pub async fn enforcement_pdf(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    Ok(agreement::Pdf::Enforcement
        .for_staff(&state, &me.user, id)
        .await?)
}
