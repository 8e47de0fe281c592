//! The closed loop's case commands (上报、交办、移交、会诊、引导分流、中止计时、督办、重新办理、履行检查)
//! and the case's clocks. Like `commands.rs`, every request converts itself into one domain
//! command and goes through [`crate::cases::run`], where authorization happens.

use axum::Json;
use axum::extract::{Path, State};
use hejie_domain::case::{ClockKind, Command, OrgRef, PauseReason, ReferralTarget};
use hejie_domain::clock::Reading;
use hejie_domain::org::OrganisationId;
use hejie_domain::user::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::commands::{ToCommand, Versioned, apply, command_route, empty_as_none, opt, pick};
use super::parse_id;
use crate::api::Body;
use crate::auth::ApiUser;
use crate::cases;
use crate::error::AppError;
use crate::present::{CaseView, Labelled, rfc3339};
use crate::state::AppState;

/// Resolves an organisation id from a request; an unknown or malformed id is a validation error
/// of `field`.
fn organisation(state: &AppState, field: &str, id: &str) -> Result<OrgRef, AppError> {
    let reference = state.reference();
    uuid::Uuid::parse_str(id.trim())
        .ok()
        .and_then(|id| reference.orgs.get(&OrganisationId(id)))
        .map(OrgRef::of)
        .ok_or_else(|| AppError::validation(field, "所选单位不存在，请重新选择"))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EscalateRequest {
    /// Id of the organisation at a higher level to hand the case up to (上报).
    pub to: String,
    pub reason: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct HandDownRequest {
    /// Id of the organisation at a lower level that is to handle the case (交办).
    pub to: String,
    /// What the lower level is to do (交办意见).
    pub instructions: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TransferRequest {
    /// Id of the organisation or department that takes the case over (移交).
    pub to: String,
    pub reason: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct InviteRequest {
    /// Id of the department or organisation invited to the joint consultation (会诊).
    pub organisation: String,
    pub purpose: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OpinionRequest {
    /// The invited organisation's opinion (会诊意见).
    pub opinion: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReferRequest {
    /// `court`, `labour_arbitration`, `administrative_reconsideration`, `police`, `legal_aid`,
    /// `letters_and_visits` or `other`.
    pub target: String,
    /// The receiving body, e.g. 和安县人民法院.
    pub receiver: String,
    pub reason: String,
    /// The parties were told of the remedy (required for court, arbitration, reconsideration).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub remedies_informed: Option<bool>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReferralAnswerRequest {
    /// Whether the receiving body accepted the case (回执): accepted closes it, refused returns it.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub accepted: Option<bool>,
    /// The receipt number (required when accepted).
    #[serde(default)]
    pub receipt: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PauseRequest {
    /// `awaiting_party` 等待当事人, `appraisal` 鉴定评估 or `other` 其他原因.
    pub reason: String,
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ResumeRequest {
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SuperviseRequest {
    /// The new limit for the holder: `"3"` (working days), `"5wd"`, `"8h"` (working hours) or
    /// `"15d"` (calendar days).
    pub limit: String,
    /// What the holder is to do (督办意见).
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReopenRequest {
    pub reason: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PerformanceCheckRequest {
    /// Index of the obligation in the agreement, from 0.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub obligation: Option<u32>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub performed: Option<bool>,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

macro_rules! versioned {
    ($($t:ty),+) => {$(
        impl Versioned for $t {
            fn expected_version(&self) -> Option<u64> { self.expected_version }
        }
    )+};
}

versioned!(
    EscalateRequest,
    HandDownRequest,
    TransferRequest,
    InviteRequest,
    OpinionRequest,
    ReferRequest,
    ReferralAnswerRequest,
    PauseRequest,
    ResumeRequest,
    SuperviseRequest,
    ReopenRequest,
    PerformanceCheckRequest
);

impl ToCommand for EscalateRequest {
    fn to_command(&self, state: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::Escalate {
            to: organisation(state, "to", &self.to)?,
            reason: self.reason.clone(),
        })
    }
}

impl ToCommand for HandDownRequest {
    fn to_command(&self, state: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::HandDown {
            to: organisation(state, "to", &self.to)?,
            instructions: self.instructions.clone(),
        })
    }
}

impl ToCommand for TransferRequest {
    fn to_command(&self, state: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::Transfer {
            to: organisation(state, "to", &self.to)?,
            reason: self.reason.clone(),
        })
    }
}

impl ToCommand for InviteRequest {
    fn to_command(&self, state: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::InviteConsultation {
            organisation: organisation(state, "organisation", &self.organisation)?,
            purpose: self.purpose.clone(),
        })
    }
}

impl ToCommand for OpinionRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::RecordOpinion {
            opinion: self.opinion.clone(),
        })
    }
}

impl ToCommand for ReferRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::ReferOut {
            target: pick("target", &self.target, ReferralTarget::parse, "分流去向")?,
            receiver: self.receiver.clone(),
            reason: self.reason.clone(),
            remedies_informed: self.remedies_informed.unwrap_or(false),
        })
    }
}

impl ToCommand for ReferralAnswerRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        let accepted = self
            .accepted
            .ok_or_else(|| AppError::validation("accepted", "请选择接收单位是否已接收"))?;
        Ok(Command::AnswerReferral {
            accepted,
            receipt: opt(&self.receipt),
            note: opt(&self.note),
        })
    }
}

impl ToCommand for PauseRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::Pause {
            reason: pick("reason", &self.reason, PauseReason::parse, "中止计时原因")?,
            note: self.note.clone(),
        })
    }
}

impl ToCommand for ResumeRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::Resume {
            note: opt(&self.note),
        })
    }
}

impl ToCommand for SuperviseRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::Supervise {
            limit: crate::workflow::parse_limit(&self.limit)?,
            note: self.note.clone(),
        })
    }
}

impl ToCommand for ReopenRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::Reopen {
            reason: self.reason.clone(),
        })
    }
}

impl ToCommand for PerformanceCheckRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        let obligation = self
            .obligation
            .ok_or_else(|| AppError::validation("obligation", "请选择要检查的履行义务"))?;
        let performed = self
            .performed
            .ok_or_else(|| AppError::validation("performed", "请选择是否已履行"))?;
        Ok(Command::CheckPerformance {
            obligation,
            performed,
            note: opt(&self.note),
        })
    }
}

command_route!(
    escalate,
    EscalateRequest,
    "/api/v1/cases/{id}/escalate",
    "上报：将案件报送上一级单位办理。Escalate the case to an organisation at a higher level."
);
command_route!(
    hand_down,
    HandDownRequest,
    "/api/v1/cases/{id}/hand-down",
    "交办：上级将案件连同交办意见交下级办理。Hand the case down to a lower level with instructions."
);
command_route!(
    transfer,
    TransferRequest,
    "/api/v1/cases/{id}/transfer",
    "移交：将案件移交其他单位或部门并说明理由。Transfer the case to another organisation."
);
command_route!(
    invite,
    InviteRequest,
    "/api/v1/cases/{id}/invite",
    "会诊：邀请部门或专家参与，不改变承办单位。Invite an organisation to a joint consultation."
);
command_route!(
    opinion,
    OpinionRequest,
    "/api/v1/cases/{id}/opinion",
    "会诊意见：受邀单位提出意见。Record the invited organisation's opinion."
);
command_route!(
    refer,
    ReferRequest,
    "/api/v1/cases/{id}/refer",
    "引导分流：移送法院、仲裁、行政复议、公安、法律援助等，等待回执。Refer the case out and wait for a receipt."
);
command_route!(
    referral_answer,
    ReferralAnswerRequest,
    "/api/v1/cases/{id}/referral-answer",
    "分流回执：接收则以移送结案，未接收则退回继续办理。Record the receiving body's answer to a referral."
);
command_route!(
    pause,
    PauseRequest,
    "/api/v1/cases/{id}/pause",
    "中止计时：等待当事人、鉴定评估等期间不计入时限。Pause the case's clocks."
);
command_route!(
    resume,
    ResumeRequest,
    "/api/v1/cases/{id}/resume",
    "恢复计时。Resume the case's clocks."
);
command_route!(
    supervise,
    SuperviseRequest,
    "/api/v1/cases/{id}/supervise",
    "督办：上级给承办单位督办意见和新的办理期限。Supervise the holder with a note and a new limit."
);
command_route!(
    reopen,
    ReopenRequest,
    "/api/v1/cases/{id}/reopen",
    "重新办理：回访或评价不满意的案件重新办理。Reopen a case after a dissatisfied follow-up."
);
command_route!(
    performance_check,
    PerformanceCheckRequest,
    "/api/v1/cases/{id}/performance-check",
    "履行检查：核实调解协议某项义务的履行情况。Check the performance of one obligation of the agreement."
);

/// One clock of a case, read at the moment of the request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockView {
    /// `acknowledge` 签收时限, `resolve` 办理时限 or `overall` 总时限.
    pub kind: Labelled,
    /// The limit as a code (`"2h"`, `"10wd"`, `"30d"`) and in words (`"10个工作日"`).
    pub limit: String,
    pub limit_label: String,
    pub started: String,
    /// When the limit runs out; absent while the clocks are paused.
    pub deadline: Option<String>,
    /// What is left in words: `"剩余2个工作日3小时"`, `"已超期5小时"`, `"已暂停"`.
    pub remaining: String,
    /// What is left in the clock's own measure, in minutes; negative once overdue.
    pub remaining_minutes: i64,
    pub overdue: bool,
    pub paused: bool,
}

/// A supervision (督办) of the current stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupervisionView {
    pub by: String,
    pub note: String,
    pub at: String,
    pub limit: String,
    pub limit_label: String,
}

/// The current holder's stage: it begins whenever the case reaches a holder.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageView {
    pub no: u32,
    pub since: String,
    pub overdue_since: Option<String>,
    pub supervisions: Vec<SupervisionView>,
    /// Instructions given with a hand-down (交办意见).
    pub instructions: Option<String>,
}

/// A period during which the clocks stood still; `to` is absent while still paused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PauseView {
    pub from: String,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClocksResponse {
    pub case_id: String,
    pub number: String,
    /// The instant the clocks were read at.
    pub now: String,
    pub paused: bool,
    pub clocks: Vec<ClockView>,
    pub stage: Option<StageView>,
    pub pauses: Vec<PauseView>,
}

fn clock_view(
    kind: ClockKind,
    started: hejie_domain::timestamp::Timestamp,
    limit: &hejie_domain::clock::Limit,
    r: &Reading,
    cal: &hejie_domain::calendar::WorkCalendar,
) -> ClockView {
    ClockView {
        kind: Labelled::new(kind.code(), kind.label()),
        limit: limit.code(),
        limit_label: limit.label(),
        started: rfc3339(started),
        deadline: r.deadline.map(rfc3339),
        remaining: r.describe(cal),
        remaining_minutes: r.remaining_minutes,
        overdue: r.overdue,
        paused: r.paused,
    }
}

/// 时限：the case's clocks read now — deadlines, what remains, overdue or paused — with the
/// current stage's supervisions and the pauses. The case's clocks, read at this instant.
#[utoipa::path(get, path = "/api/v1/cases/{id}/clocks", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = ClocksResponse), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn clocks(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ClocksResponse>, AppError> {
    let st = cases::load_visible(&state, &me.user, parse_id(&id)?).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    let flow = state.flow();
    let now = state.now();
    let cal = &flow.calendar;
    let clocks = ClockKind::ALL
        .iter()
        .filter_map(|kind| {
            let clock = case.clocks.clock(*kind)?;
            let r = clock.read(&case.clocks.pauses, cal, now);
            Some(clock_view(*kind, clock.started, &clock.limit, &r, cal))
        })
        .collect();
    let stage = case.clocks.stage.as_ref().map(|s| StageView {
        no: s.no,
        since: rfc3339(s.since),
        overdue_since: s.overdue_since.map(rfc3339),
        supervisions: s
            .supervisions
            .iter()
            .map(|v| SupervisionView {
                by: v.by.name.clone(),
                note: v.note.clone(),
                at: rfc3339(v.at),
                limit: v.limit.code(),
                limit_label: v.limit.label(),
            })
            .collect(),
        instructions: s.instructions.clone(),
    });
    Ok(Json(ClocksResponse {
        case_id: case.id.to_string(),
        number: case.number.to_string(),
        now: rfc3339(now),
        paused: case.clocks.is_paused(),
        clocks,
        stage,
        pauses: case
            .clocks
            .pauses
            .iter()
            .map(|p| PauseView {
                from: rfc3339(p.from),
                to: p.to.map(rfc3339),
            })
            .collect(),
    }))
}
