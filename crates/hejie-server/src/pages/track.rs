//! `/track` 案件查询: a party looks up their case by number and phone (proved with an SMS code),
//! sees its progress as steps written for them (no staff-internal notes, no names of staff), and
//! after closing can rate the handling (满意度), which is recorded as their own event.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::{CaseId, CaseState, Command, EventBody, Meta, Outcome, Satisfaction};
use hejie_domain::personal::{PhoneNumber, PiiKind};
use hejie_store::{StoredEvent, service};
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
    /// The invitation to mediate, while this party may still answer it (Art. 17).
    consent: Option<ConsentBox>,
    /// The agreement, once drafted (Art. 29).
    agreement: Option<AgreementBox>,
    /// The case's evidence files, and whether the party may add one.
    files: Vec<(String, String, String)>,
    may_add_evidence: bool,
    /// Whether the case's online room is open (the case is in mediation).
    room: bool,
    /// Sessions still to come: number, when, where.
    upcoming: Vec<(u32, String, String)>,
    /// Mediation failed and no filing is waiting: the party may ask for one.
    may_file: bool,
}

#[derive(Debug)]
struct ConsentBox {
    /// What this party answered, if they did.
    answered: String,
    may_answer: bool,
}

#[derive(Debug)]
struct AgreementBox {
    version: u32,
    content_hash: String,
    terms: Vec<String>,
    /// When this party signed, if they did.
    signed: String,
    effective: String,
    may_sign: bool,
    /// Who has not signed yet.
    waiting: String,
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
        EventBody::AgreementDrafted { version, .. } => (
            "调解协议书".to_owned(),
            format!("调解员起草了调解协议书（第{version}版），请阅读后签名"),
        ),
        EventBody::AgreementSigned { effective, .. } => (
            "协议签名".to_owned(),
            if *effective {
                "各方已签名，调解协议生效，具有法律约束力，请按约定履行".to_owned()
            } else {
                "有一方已在调解协议书上电子签名".to_owned()
            },
        ),
        EventBody::ConfirmationApplied { court, .. } => (
            "申请司法确认".to_owned(),
            format!("双方已共同向{court}申请司法确认"),
        ),
        EventBody::EvidenceAdded { evidence } => (
            "证据材料".to_owned(),
            format!("收到证据材料“{}”", evidence.name),
        ),
        EventBody::ConfirmationRuled { confirmed, .. } => (
            "司法确认".to_owned(),
            if *confirmed {
                "法院已裁定调解协议有效，一方拒绝履行的，对方可申请强制执行".to_owned()
            } else {
                "法院裁定驳回司法确认申请，当事人可变更原协议、达成新协议或向法院起诉".to_owned()
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
        EventBody::ConfirmationReceived { receipt } => (
            "法院接收".to_owned(),
            format!("法院已接收司法确认申请，收件编号：{receipt}"),
        ),
        EventBody::PreferenceStated {
            organisation,
            mediator,
        } => (
            "选择调解组织".to_owned(),
            format!(
                "您选择了{}",
                [
                    organisation.as_ref().map(|o| o.name.clone()),
                    mediator.as_ref().map(|m| format!("调解员{}", m.name)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("、")
            ),
        ),
        EventBody::SessionScheduled {
            at, mode, place, ..
        } => (
            "安排调解".to_owned(),
            format!(
                "定于{}{}（{}）",
                crate::sessions::when(*at),
                if *mode == hejie_domain::case::SessionMode::Online {
                    "在在线调解室".to_owned()
                } else {
                    format!("在{place}")
                },
                mode.label()
            ),
        ),
        EventBody::FilingRequested { court, .. } => (
            "诉讼对接".to_owned(),
            format!("已申请将纠纷移送{court}，材料正在提交法院"),
        ),
        EventBody::FilingReceived { receipt, .. } => (
            "法院接收".to_owned(),
            format!("法院已接收起诉材料，收件编号：{receipt}"),
        ),
        // The room's chat is read in the room; the progress page does not repeat it.
        EventBody::RoomJoined { .. } | EventBody::RoomLeft { .. } | EventBody::RoomMessage { .. } => {
            return None;
        }
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
        consent: consent_box(c, party),
        agreement: agreement_box(c, party),
        files: c
            .evidence
            .iter()
            .map(|e| {
                (
                    e.sha256.clone(),
                    e.name.clone(),
                    crate::present::human_size(e.size),
                )
            })
            .collect(),
        may_add_evidence: hejie_domain::case::allowed_in(
            hejie_domain::CommandName::AddEvidence,
            c.status,
        ),
        room: hejie_domain::case::allowed_in(hejie_domain::CommandName::UseRoom, c.status),
        may_file: hejie_domain::case::allowed_in(
            hejie_domain::CommandName::RequestFiling,
            c.status,
        ) && matches!(
            &c.outcome,
            Some(Outcome::Failed { .. })
                | Some(Outcome::Referred {
                    target: hejie_domain::case::ReferralTarget::Court,
                    ..
                })
        ) && !c.filings.iter().any(|f| f.receipt.is_none()),
        upcoming: c
            .scheduled
            .iter()
            .filter(|s| s.at > state.now())
            .map(|s| {
                (
                    s.number,
                    crate::sessions::when(s.at),
                    format!("{}（{}）", s.place, s.mode.label()),
                )
            })
            .collect(),
    })
}

/// `POST /track/evidence`: a party adds a file to their case's evidence (multipart; the form
/// token is checked before the file is read, the grant before anything is stored).
pub async fn upload_evidence(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let token = super::form::public_token_of(request.headers())
        .map(|value| PublicToken {
            value,
            fresh: false,
        })
        .ok_or_else(|| {
            PageError::App(AppError::Forbidden {
                code: "csrf",
                message: "页面已过期，请返回刷新页面后重新提交".to_owned(),
            })
        })?;
    let max = state.config.evidence_max_bytes;
    let form = super::form::read_upload(request, &state, &token.value, max).await;
    let form = match form {
        Ok(f) => f,
        Err(PageError::App(e @ AppError::Validation { .. })) => {
            return failed(&state, &token, TrackForm::default(), e);
        }
        Err(e) => return Err(e),
    };
    let fields = PartyForm {
        case_id: form.field("case_id"),
        party: form.field("party").parse().unwrap_or(u32::MAX),
        grant: form.field("grant"),
        number: form.field("number"),
        reason: form.field("description"),
        ..PartyForm::default()
    };
    let file = form.file;
    as_party(
        state,
        token,
        fields,
        move |state, st, phone, form| async move {
            let (name, bytes) =
                file.ok_or_else(|| AppError::validation("file", "请选择要上传的文件"))?;
            let c = st.case().ok_or(AppError::NotFound)?;
            let meta = resident_meta(&state, c, form.party, &phone);
            let description = Some(form.reason.trim().to_owned());
            crate::evidence::add_for_party(
                &state,
                &st,
                meta,
                form.party,
                &name,
                &bytes,
                description,
            )
            .await?;
            Ok(format!("已收到您提交的证据材料“{}”。", name.trim()))
        },
    )
    .await
}

/// `GET /track/evidence/{sha256}`: one of the case's files, for a party with a live grant.
pub async fn evidence_file(
    State(state): State<AppState>,
    axum::extract::Path(sha256): axum::extract::Path<String>,
    PageQuery(q): PageQuery<GrantQuery>,
) -> Result<Response, PageError> {
    let st = q.case(&state).await?;
    let (e, bytes) = crate::evidence::read(&state, &st, &sha256)?;
    Ok(crate::evidence::attachment(&e, bytes))
}

fn consent_box(c: &hejie_domain::case::Case, party: u32) -> Option<ConsentBox> {
    use hejie_domain::mediation::ConsentAnswer;
    let refused = c
        .consents
        .iter()
        .any(|(_, a, _)| matches!(a, ConsentAnswer::Refused { .. }));
    let mine = c.consents.iter().rev().find(|(p, _, _)| *p == party);
    let open =
        hejie_domain::case::allowed_in(hejie_domain::error::CommandName::RecordConsent, c.status)
            && c.agreement.is_none();
    if !open && mine.is_none() {
        return None;
    }
    Some(ConsentBox {
        answered: match mine {
            Some((_, ConsentAnswer::Consented, at)) => {
                format!("您已于{}同意调解", view::short_time(&rfc3339(*at)))
            }
            Some((_, ConsentAnswer::Refused { .. }, at)) => {
                format!("您已于{}拒绝调解", view::short_time(&rfc3339(*at)))
            }
            None => String::new(),
        },
        may_answer: open && !refused && mine.is_none(),
    })
}

fn agreement_box(c: &hejie_domain::case::Case, party: u32) -> Option<AgreementBox> {
    use hejie_domain::mediation::Signer;
    let r = c.agreement.as_ref()?;
    let mine = r
        .signing
        .signatures
        .iter()
        .find(|s| s.signer == Signer::Party(party));
    Some(AgreementBox {
        version: r.version,
        content_hash: r.content_hash.clone(),
        terms: r.agreement.draft().terms.clone(),
        signed: mine
            .map(|s| view::short_time(&rfc3339(s.at)))
            .unwrap_or_default(),
        effective: r
            .effective_at
            .map(|t| view::short_time(&rfc3339(t)))
            .unwrap_or_default(),
        may_sign: mine.is_none()
            && r.effective_at.is_none()
            && c.status == hejie_domain::case::Status::Mediating,
        waiting: r
            .signing
            .missing()
            .into_iter()
            .map(|s| match s {
                Signer::Party(i) => c
                    .parties
                    .get(i as usize)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                Signer::Mediator => "调解员".to_owned(),
            })
            .collect::<Vec<_>>()
            .join("、"),
    })
}

/// What a party's own form carries: which case and party, and the grant the tracking page gave
/// them after they proved their phone.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PartyForm {
    case_id: String,
    party: u32,
    grant: String,
    number: String,
    /// `yes` or `no` (the consent form).
    answer: String,
    reason: String,
    /// The SMS code (the signing form).
    code: String,
}

/// The party's own phone, opened from the record.
fn party_phone(
    state: &AppState,
    c: &hejie_domain::case::Case,
    party: u32,
) -> Result<PhoneNumber, AppError> {
    c.parties
        .get(party as usize)
        .and_then(|p| p.phone.as_ref())
        .and_then(|s| state.sealer.open(s).ok())
        .and_then(|plain| PhoneNumber::parse(&plain).ok())
        .ok_or(AppError::NotFound)
}

/// Runs a party's own action after checking their grant, then shows the progress again with
/// `notice`, or with the refusal.
async fn as_party<F, Fut>(
    state: AppState,
    token: PublicToken,
    form: PartyForm,
    action: F,
) -> Result<Response, PageError>
where
    F: FnOnce(AppState, CaseState, PhoneNumber, PartyForm) -> Fut,
    Fut: std::future::Future<Output = Result<String, AppError>>,
{
    let case_id = crate::api::cases::parse_id(&form.case_id)?;
    let f = TrackForm {
        number: form.number.clone(),
        ..TrackForm::default()
    };
    if let Err(e) = verify::check_grant(&state, &form.grant, case_id, form.party).await {
        return failed(&state, &token, f, e);
    }
    let (party, grant) = (form.party, form.grant.clone());
    let done = async {
        let st = state.store.load(case_id).await?;
        let c = st.case().ok_or(AppError::NotFound)?;
        let phone = party_phone(&state, c, form.party)?;
        action(state.clone(), st, phone, form).await
    }
    .await;
    let (err, notice, status) = match done {
        Ok(notice) => (Errors::none(), notice, StatusCode::OK),
        Err(e @ AppError::Internal(_)) => return Err(e.into()),
        Err(e) => {
            let status = e.status();
            (Errors::from_app(&e, str::to_owned), String::new(), status)
        }
    };
    let p = progress(&state, case_id, party, grant, "", "").await?;
    page(&state, &token, f, err, notice, Some(p), status)
}

fn resident_meta(
    state: &AppState,
    c: &hejie_domain::case::Case,
    party: u32,
    phone: &PhoneNumber,
) -> Meta {
    let name = c
        .parties
        .get(party as usize)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    Meta {
        actor: cases::resident_actor(state, &name, phone),
        at: state.now(),
        division: c.location.division.clone(),
    }
}

/// `POST /track/filing`: after mediation failed, the party asks for the dispute to be filed with
/// the court (诉非对接); the platform delivers it and the receipt shows on this page.
pub async fn request_filing(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<PartyForm>,
) -> Result<Response, PageError> {
    as_party(state, token, form, |state, st, phone, form| async move {
        let c = st.case().ok_or(AppError::NotFound)?;
        let court = super::agreement::default_court(&state, c);
        let meta = resident_meta(&state, c, form.party, &phone);
        cases::commit(
            &state,
            &st,
            meta,
            Command::RequestFiling {
                filing_id: uuid::Uuid::now_v7().to_string(),
                court: court.clone(),
                claims: form.reason.clone(),
                party: Some(form.party),
            },
        )
        .await?;
        Ok(format!(
            "已申请将纠纷移送{court}。起诉材料将签名后提交法院，法院接收后本页会显示收件编号。"
        ))
    })
    .await
}

/// `POST /track/consent`: the party's own answer to the invitation to mediate (Art. 17).
pub async fn consent(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<PartyForm>,
) -> Result<Response, PageError> {
    as_party(state, token, form, |state, st, phone, form| async move {
        use hejie_domain::mediation::ConsentAnswer;
        let c = st.case().ok_or(AppError::NotFound)?;
        let answer = match form.answer.as_str() {
            "yes" => ConsentAnswer::Consented,
            "no" => ConsentAnswer::Refused {
                reason: Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty()),
            },
            _ => return Err(AppError::validation("answer", "请选择是否同意调解")),
        };
        let refused = matches!(answer, ConsentAnswer::Refused { .. });
        let meta = resident_meta(&state, c, form.party, &phone);
        cases::commit(
            &state,
            &st,
            meta,
            Command::RecordConsent {
                party: form.party,
                answer,
            },
        )
        .await?;
        Ok(if refused {
            "已记录您拒绝调解的意见，调解依法不再进行。您可依法通过仲裁、行政、司法等途径维护自己的权利。"
                .to_owned()
        } else {
            "已记录您同意调解。调解组织将与您联系安排调解。".to_owned()
        })
    })
    .await
}

/// `POST /track/sign-code`: sends the party a code to re-verify their identity before signing.
pub async fn sign_code(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<PartyForm>,
) -> Result<Response, PageError> {
    as_party(state, token, form, |state, _, phone, _| async move {
        verify::send(&state, Purpose::Sign, &phone).await?;
        Ok(format!(
            "签名验证码已发送至 {}，10分钟内有效。",
            phone.masked()
        ))
    })
    .await
}

/// `POST /track/sign`: the party signs the agreement, with the code just sent to their phone.
pub async fn sign(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<PartyForm>,
) -> Result<Response, PageError> {
    as_party(state, token, form, |state, st, phone, form| async move {
        verify::check(&state, Purpose::Sign, &phone, &form.code).await?;
        let committed = crate::agreement::sign_as_party(&state, &st, form.party, &phone).await?;
        verify::consume(&state, Purpose::Sign, &phone).await?;
        let after = state.store.load(committed.case_id).await?;
        let effective = after
            .case()
            .and_then(|c| c.agreement.as_ref())
            .is_some_and(|a| a.effective_at.is_some());
        Ok(if effective {
            "您已电子签名。各方均已签名，调解协议自即日起生效，请按约定履行。".to_owned()
        } else {
            "您已电子签名，待其他各方签名后协议生效。".to_owned()
        })
    })
    .await
}

/// A party's download link: their case, their position, the grant the tracking page gave them,
/// and for a session's calendar file, its number.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GrantQuery {
    case_id: String,
    party: u32,
    grant: String,
    number: u32,
}

impl GrantQuery {
    /// The case, once the grant is checked to be this party's.
    async fn case(&self, state: &AppState) -> Result<CaseState, AppError> {
        let case_id = crate::api::cases::parse_id(&self.case_id)?;
        verify::check_grant(state, &self.grant, case_id, self.party).await?;
        Ok(state.store.load(case_id).await?)
    }
}

/// `GET /track/agreement.pdf`: the agreement, for the party to read before signing.
pub async fn agreement_pdf(
    State(state): State<AppState>,
    PageQuery(q): PageQuery<GrantQuery>,
) -> Result<Response, PageError> {
    let st = q.case(&state).await?;
    let c = st.case().ok_or(AppError::NotFound)?;
    Ok(crate::agreement::Pdf::Agreement
        .make(&state, c, "resident")
        .await?)
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
            at: state.now(),
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

/// `GET /track/session.ics`: a scheduled session for the party's calendar.
pub async fn session_ics(
    State(state): State<AppState>,
    PageQuery(q): PageQuery<GrantQuery>,
) -> Result<Response, PageError> {
    let st = q.case(&state).await?;
    let c = st.case().ok_or(AppError::NotFound)?;
    Ok(crate::sessions::ics_download(c, &q.number.to_string())?)
}
