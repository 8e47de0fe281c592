//! The 诉讼对接 panel of the case page: after mediation failed, the request to file with the
//! court, and each filing's delivery (retried until the court takes it) and receipt.

use axum::extract::{Path, State};
use axum::response::Response;
use hejie_domain::authz::{Action, authorize};
use hejie_domain::case::{Case, Command, Outcome, ReferralTarget};
use hejie_domain::error::CommandName;
use hejie_domain::user::User;
use serde::Deserialize;

use super::PageError;
use super::detail::{Extra, Prefill, render_case};
use super::form::CsrfForm;
use super::view::{self, Opt};
use crate::api::cases::parse_id;
use crate::cases;
use crate::error::AppError;
use crate::state::AppState;

/// One filing as the panel shows it.
#[derive(Debug, Clone)]
pub struct Row {
    pub court: String,
    pub claims: String,
    pub requested: String,
    pub received: bool,
    pub status: String,
}

#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub show: bool,
    pub rows: Vec<Row>,
    pub may_request: bool,
    pub court: String,
    pub claims: String,
    pub parties: Vec<Opt>,
}

fn failed(case: &Case) -> bool {
    match &case.outcome {
        Some(Outcome::Failed { .. }) => true,
        Some(Outcome::Referred { target, .. }) => *target == ReferralTarget::Court,
        _ => false,
    }
}

pub async fn panel(
    state: &AppState,
    case: &Case,
    user: &User,
    pf: &Prefill,
) -> Result<Panel, AppError> {
    if !failed(case) && case.filings.is_empty() {
        return Ok(Panel::default());
    }
    let views = crate::api::cases::filing::views(state, case).await?;
    let rows = views
        .into_iter()
        .map(|v| Row {
            status: match &v.receipt {
                Some(r) => format!("法院已接收，收件编号：{r}"),
                None => format!(
                    "正在向法院提交（已尝试{}次{}{}）",
                    v.attempts,
                    v.last_error
                        .as_ref()
                        .map(|e| format!("，上次未成功：{e}"))
                        .unwrap_or_default(),
                    v.next_attempt
                        .as_deref()
                        .map(|t| format!("，下次尝试：{}", view::short_time(t)))
                        .unwrap_or_default()
                ),
            },
            received: v.receipt.is_some(),
            court: v.court,
            claims: v.claims,
            requested: view::short_time(&v.requested_at),
        })
        .collect();
    let may_request = hejie_domain::case::allowed_in(CommandName::RequestFiling, case.status)
        && failed(case)
        && !case.filings.iter().any(|f| f.receipt.is_none())
        && authorize(
            user,
            Action::Command(CommandName::RequestFiling),
            Some(case),
        )
        .is_ok();
    let chosen = pf.v("filing", "party", "0");
    let mut parties = vec![Opt::new("", "工作人员代为申请", &chosen)];
    parties.extend(case.parties.iter().enumerate().map(|(i, p)| {
        Opt::new(
            &i.to_string(),
            &format!("{}（{}）", p.name, p.role.label()),
            &chosen,
        )
    }));
    Ok(Panel {
        show: true,
        rows,
        may_request,
        court: pf.v(
            "filing",
            "court",
            &super::agreement::default_court(state, case),
        ),
        claims: pf.v("filing", "claims", ""),
        parties,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FilingForm {
    court: String,
    claims: String,
    party: String,
    expected_version: String,
}

/// `POST /cases/{id}/filing`.
pub async fn request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, raw }: CsrfForm<FilingForm>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let command = Command::RequestFiling {
        filing_id: uuid::Uuid::now_v7().to_string(),
        court: form.court.clone(),
        claims: form.claims.clone(),
        party: form.party.trim().parse().ok(),
    };
    let expected = form.expected_version.trim().parse().ok();
    match cases::run(&state, &user.user, case_id, expected, command).await {
        Ok(_) => Ok(view::see_other(&format!("/cases/{case_id}?done=filing"))),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let extra = Extra::failed("filing", &raw, &e, "");
            render_case(&state, &user, case_id, extra, status).await
        }
    }
}

/// `GET /cases/{id}/dossier.zip`: 一键生成卷宗.
pub async fn dossier(
    State(state): State<AppState>,
    super::form::PageUser(me): super::form::PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    cases::load_visible(&state, &me.user, id).await?;
    let (name, zip) = crate::dossier::make(&state, id).await?;
    Ok(crate::api::cases::filing::zip_attachment(&name, zip))
}
