//! `/track` 案件查询: a party looks up their case by number and phone (proved with an SMS code),
//! sees its progress as steps written for them (no staff-internal notes, no names of staff), and
//! after closing can rate the handling (满意度), which is recorded as their own event.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::{CaseId, CaseState, Command, EventBody, Meta, Outcome, Satisfaction};
use hejie_domain::personal::{PhoneNumber, PiiKind};
use hejie_store::{StoredEvent, now, service};
use serde::Deserialize;

use super::PageError;
use super::form::{PageQuery, PublicForm, PublicToken, with_token};
use super::verify::{self, Purpose};
use super::view::{self, Chrome, Errors, Opt, vocab};
use crate::cases;
use crate::error::AppError;
use crate::present::rfc3339;
use crate::state::AppState;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TrackForm {
    pub number: String,
    pub phone: String,
    pub code: String,
}

#[derive(Debug)]
struct Step {
    when: String,
    label: String,
    detail: String,
}

#[derive(Debug)]
struct Progress {
    case_id: String,
    party: u32,
    grant: String,
    number: String,
    status_code: String,
    status_label: String,
    type_label: String,
    place: String,
    registered: String,
    holder: String,
    steps: Vec<Step>,
    closed: bool,
    rated: String,
    satisfactions: Vec<Opt>,
    comment: String,
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    chrome: Chrome,
    csrf: String,
    f: TrackForm,
    err: Errors,
    notice: String,
    progress: Option<Progress>,
}

fn page(
    state: &AppState,
    token: &PublicToken,
    f: TrackForm,
    err: Errors,
    notice: String,
    progress: Option<Progress>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let p = TrackPage {
        chrome: Chrome::public("案件查询", "track"),
        csrf: token.value.clone(),
        f,
        err,
        notice,
        progress,
    };
    Ok(with_token(view::render(&p, status)?, token, state))
}

fn failed(
    state: &AppState,
    token: &PublicToken,
    f: TrackForm,
    e: AppError,
) -> Result<Response, PageError> {
    let e = match e {
        AppError::Internal(_) => return Err(e.into()),
        AppError::NotFound => {
            AppError::validation("number", "未找到该案件，或该手机号不是本案当事人的手机号")
        }
        AppError::Validation { field, message } if field == "case_number" => {
            AppError::validation("number", message)
        }
        other => other,
    };
    let status = e.status();
    page(
        state,
        token,
        f,
        Errors::from_app(&e, str::to_owned),
        String::new(),
        None,
        status,
    )
}

#[derive(Debug, Deserialize)]
pub struct TrackQuery {
    #[serde(default)]
    number: String,
}

/// `GET /track`.
pub async fn show(
    State(state): State<AppState>,
    token: PublicToken,
    PageQuery(q): PageQuery<TrackQuery>,
) -> Result<Response, PageError> {
    let f = TrackForm {
        number: q.number,
        ..TrackForm::default()
    };
    page(
        &state,
        &token,
        f,
        Errors::none(),
        String::new(),
        None,
        StatusCode::OK,
    )
}

fn phone_of(f: &TrackForm) -> Result<PhoneNumber, AppError> {
    PhoneNumber::parse(&f.phone).map_err(|e| AppError::validation("phone", e.message))
}

/// `POST /track/code`.
pub async fn send_code(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<TrackForm>,
) -> Result<Response, PageError> {
    let sent = async {
        hejie_domain::case::CaseNumber::parse(&form.number)
            .map_err(|e| AppError::validation("number", e.message))?;
        let phone = phone_of(&form)?;
        verify::send(&state, Purpose::Track, &phone).await?;
        Ok::<_, AppError>(phone)
    }
    .await;
    match sent {
        Ok(phone) => {
            let notice = format!("验证码已发送至 {}，10分钟内有效。", phone.masked());
            page(
                &state,
                &token,
                form,
                Errors::none(),
                notice,
                None,
                StatusCode::OK,
            )
        }
        Err(e) => failed(&state, &token, form, e),
    }
}

/// `POST /track`: the progress of the case, once the phone is proved.
pub async fn submit(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<TrackForm>,
) -> Result<Response, PageError> {
    let found = async {
        hejie_domain::case::CaseNumber::parse(&form.number)
            .map_err(|e| AppError::validation("number", e.message))?;
        let phone = phone_of(&form)?;
        verify::check(&state, Purpose::Track, &phone, &form.code).await?;
        let st = cases::find_for_party(&state, &form.number, &phone).await?;
        verify::consume(&state, Purpose::Track, &phone).await?;
        let party = party_index(&state, &st, &phone);
        let case_id = st.case().map(|c| c.id).ok_or(AppError::NotFound)?;
        let grant = verify::grant(&state, case_id, party).await?;
        progress(&state, case_id, party, grant, "", "").await
    }
    .await;
    match found {
        Ok(p) => {
            let f = TrackForm {
                code: String::new(),
                ..form
            };
            page(
                &state,
                &token,
                f,
                Errors::none(),
                String::new(),
                Some(p),
                StatusCode::OK,
            )
        }
        Err(e) => failed(&state, &token, form, e),
    }
}

fn party_index(state: &AppState, st: &CaseState, phone: &PhoneNumber) -> u32 {
    let hash = state.sealer.keyed_hash(PiiKind::Phone, phone.as_str());
    st.case()
        .and_then(|c| {
            c.parties
                .iter()
                .position(|p| p.phone.as_ref().is_some_and(|s| s.keyed_hash == hash))
        })
        .unwrap_or(0) as u32
}

/// One step of the timeline as a party may read it; `None` for internal events.
fn step(e: &StoredEvent) -> Option<Step> {
    let (label, detail) = match &e.event.body {
        EventBody::Registered { channel, .. } => {
            ("登记".to_owned(), format!("经{}登记", channel.label()))
        }
        EventBody::Accepted { dispute_type, .. } => (
            "受理".to_owned(),
            format!("已受理，纠纷类型：{}", dispute_type.label()),
        ),
        EventBody::Declined { reason, guidance } => (
            "不予受理".to_owned(),
            format!("原因：{reason}。建议：{guidance}"),
        ),
        EventBody::Assigned { organisation, .. } | EventBody::Routed { organisation, .. } => (
            "派单".to_owned(),
            format!("已交由{}办理", organisation.name),
        ),
        EventBody::Acknowledged { organisation, .. } => (
            "签收".to_owned(),
            format!("{}已签收，开始办理", organisation.name),
        ),
        EventBody::MediationStarted { .. } => {
            ("开始调解".to_owned(), "经双方同意，调解员开始组织调解".to_owned())
        }
        EventBody::ConsentRecorded { answer, .. } => (
            "调解意愿".to_owned(),
            match answer {
                hejie_domain::mediation::ConsentAnswer::Consented => {
                    "一方当事人已同意调解".to_owned()
                }
                hejie_domain::mediation::ConsentAnswer::Refused { .. } => {
                    "一方当事人明确拒绝调解，调解依法不再进行。您可依法通过仲裁、行政、司法等途径维护自己的权利。".to_owned()
                }
            },
        ),
        EventBody::SessionRecorded { mode, .. } => {
            ("调解".to_owned(), format!("进行了一次{}", mode.label()))
        }
        EventBody::Closed { outcome } => (
            "结案".to_owned(),
            match outcome {
                Outcome::Succeeded { .. } => "调解成功，已达成调解协议。双方可在协议生效之日起30日内共同向人民法院申请司法确认。".to_owned(),
                Outcome::Failed { .. } => "调解未能达成协议，调解终止。您可依法通过仲裁、行政、司法等途径维护自己的权利。".to_owned(),
                Outcome::Withdrawn { .. } => "已撤回申请，案件办结。".to_owned(),
                Outcome::Referred { target, .. } => {
                    format!("已引导至{}处理。", target.label())
                }
            },
        ),
        EventBody::FollowedUp { method, .. } => {
            ("回访".to_owned(), format!("工作人员进行了{}", method.label()))
        }
        EventBody::RatedByParty { satisfaction, .. } => (
            "当事人评价".to_owned(),
            format!("评价：{}", satisfaction.label()),
        ),
        EventBody::ReportLinked { channel, .. } => (
            "再次反映".to_owned(),
            format!("经{}再次反映，已并入本案一并办理", channel.label()),
        ),
        EventBody::Escalated { to, .. } => (
            "上报".to_owned(),
            format!("已上报{}办理", to.name),
        ),
        EventBody::HandedDown { to, .. } | EventBody::Transferred { to, .. } => (
            "转办".to_owned(),
            format!("已交由{}办理", to.name),
        ),
        EventBody::ReferredOut { target, .. } => (
            "引导分流".to_owned(),
            format!("已引导至{}，等待接收单位回执", target.label()),
        ),
        EventBody::ReferralAnswered { accepted, .. } => (
            "分流回执".to_owned(),
            if *accepted {
                "接收单位已接收".to_owned()
            } else {
                "接收单位未接收，本中心继续办理".to_owned()
            },
        ),
        EventBody::Reopened { .. } => ("重新办理".to_owned(), "案件已重新办理".to_owned()),
        EventBody::PerformanceChecked { performed, .. } => (
            "履行检查".to_owned(),
            if *performed {
                "经核实，协议义务已履行".to_owned()
            } else {
                "经核实，协议义务尚未履行".to_owned()
            },
        ),
        // Internal workflow steps (time limits, reminders, supervision, consultation, pauses)
        // are for the staff's record, not the party's progress page.
        EventBody::PersonalDataViewed { .. }
        | EventBody::TimeLimitSet { .. }
        | EventBody::ConsultationInvited { .. }
        | EventBody::OpinionRecorded { .. }
        | EventBody::Paused { .. }
        | EventBody::Resumed { .. }
        | EventBody::Supervised { .. }
        | EventBody::Reminded { .. }
        | EventBody::MarkedOverdue { .. }
        | EventBody::FollowUpScheduled { .. } => return None,
    };
    Some(Step {
        when: view::short_time(&rfc3339(e.event.meta.at)),
        label,
        detail,
    })
}

async fn progress(
    state: &AppState,
    case_id: CaseId,
    party: u32,
    grant: String,
    satisfaction: &str,
    comment: &str,
) -> Result<Progress, AppError> {
    let events = state.store.events(case_id).await?;
    let st = CaseState::replay(events.iter().map(|e| &e.event));
    let c = st.case().ok_or(AppError::NotFound)?;
    let r = state.reference();
    Ok(Progress {
        case_id: c.id.to_string(),
        party,
        grant,
        number: c.number.to_string(),
        status_code: c.status.code().to_owned(),
        status_label: c.status.label().to_owned(),
        type_label: c
            .dispute_type
            .map_or_else(|| "待定".to_owned(), |t| t.label().to_owned()),
        place: r.full_name(&c.location.division),
        registered: view::short_time(&rfc3339(c.registered_at)),
        holder: c
            .holder
            .as_ref()
            .map(|h| h.organisation.name.clone())
            .unwrap_or_default(),
        steps: events.iter().filter_map(step).collect(),
        closed: !c.status.is_open() && c.status != hejie_domain::case::Status::Declined,
        rated: c
            .party_rating
            .map(|s| s.label().to_owned())
            .unwrap_or_default(),
        satisfactions: vocab!(Satisfaction, satisfaction),
        comment: comment.to_owned(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RateForm {
    case_id: String,
    party: u32,
    grant: String,
    number: String,
    satisfaction: String,
    comment: String,
}

/// `POST /track/rating`: the party's satisfaction rating, recorded as their own event.
pub async fn rate(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<RateForm>,
) -> Result<Response, PageError> {
    let case_id = crate::api::cases::parse_id(&form.case_id)?;
    let f = TrackForm {
        number: form.number.clone(),
        ..TrackForm::default()
    };
    if let Err(e) = verify::check_grant(&state, &form.grant, case_id, form.party).await {
        return failed(&state, &token, f, e);
    }
    let rated = async {
        let satisfaction = Satisfaction::parse(&form.satisfaction)
            .map_err(|_| AppError::validation("satisfaction", "请选择满意程度"))?;
        let st = state.store.load(case_id).await?;
        let c = st.case().ok_or(AppError::NotFound)?;
        let p = c
            .parties
            .get(form.party as usize)
            .ok_or(AppError::NotFound)?;
        let phone = p
            .phone
            .as_ref()
            .and_then(|s| state.sealer.open(s).ok())
            .and_then(|plain| PhoneNumber::parse(&plain).ok())
            .ok_or(AppError::NotFound)?;
        let comment = form.comment.trim();
        let meta = Meta {
            actor: cases::resident_actor(&state, &p.name, &phone),
            at: now(),
            division: c.location.division.clone(),
        };
        service::execute_on(
            state.store.as_ref(),
            &st,
            meta,
            Command::Rate {
                satisfaction,
                comment: (!comment.is_empty()).then(|| comment.to_owned()),
            },
        )
        .await?;
        Ok::<_, AppError>(())
    }
    .await;
    let (err, notice, status) = match rated {
        Ok(()) => (
            Errors::none(),
            "感谢您的评价！您的意见已记入案件记录。".to_owned(),
            StatusCode::OK,
        ),
        Err(e @ AppError::Internal(_)) => return Err(e.into()),
        Err(e) => {
            let status = e.status();
            (Errors::from_app(&e, str::to_owned), String::new(), status)
        }
    };
    let p = progress(
        &state,
        case_id,
        form.party,
        form.grant.clone(),
        &form.satisfaction,
        &form.comment,
    )
    .await?;
    page(&state, &token, f, err, notice, Some(p), status)
}
