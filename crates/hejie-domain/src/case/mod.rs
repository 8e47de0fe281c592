//! The case (矛盾纠纷案件) as an event-sourced aggregate.
//!
//! [`handle`] decides: it takes the current state and a command and returns the events to record
//! or a typed error. [`CaseState::apply`] only applies: it folds an event into the state and never
//! refuses anything, because what is recorded has already happened.

#[macro_use]
mod types;
mod decide;
mod flow;
mod state;

pub use decide::{allowed_in, handle};
pub use flow::*;
pub use state::{Case, CaseState, Preference, ScheduledSession};
pub use types::*;

use serde::{Deserialize, Serialize};

use crate::clock::Limit;
use crate::division::DivisionCode;
use crate::money::Money;
use crate::personal::PiiKind;
use crate::timestamp::Timestamp;
use crate::user::Actor;

/// Who issues a command, when, and in which division it happens. Copied onto every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub actor: Actor,
    pub at: Timestamp,
    pub division: DivisionCode,
}

/// Data for registering a new case (登记).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    pub id: CaseId,
    pub number: CaseNumber,
    pub channel: Channel,
    /// The clerk's or the reporter's first guess; confirmed at acceptance.
    pub dispute_type: Option<DisputeType>,
    pub parties: Vec<Party>,
    pub location: Location,
    pub description: String,
    pub amount: Option<Money>,
    /// Number of people involved when this is a group dispute (群体性纠纷).
    pub head_count: Option<u32>,
    /// The organisation whose window received it; it holds the case until dispatch.
    pub received_by: Option<OrgRef>,
}

/// Everything that can be asked of a case in the first wave of the workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Register(Box<Register>),
    /// 受理: confirm type, severity and triage track.
    Accept {
        dispute_type: DisputeType,
        severity: Severity,
        track: Track,
        note: Option<String>,
    },
    /// 不予受理并引导: not a matter for mediation; tell the party where to go.
    Decline {
        reason: String,
        guidance: String,
    },
    /// 派单 to the responsible organisation.
    Assign {
        organisation: OrgRef,
        person: Option<PersonRef>,
        note: Option<String>,
    },
    /// 派单 by the routing rules: the rule that fired is part of the record.
    Route {
        organisation: OrgRef,
        rule: String,
        reason: String,
    },
    /// 签收 by the holder organisation.
    Acknowledge {
        person: Option<PersonRef>,
    },
    /// 记录调解意愿: a party's answer to the invitation to mediate (Art. 17), as they gave it
    /// (online through the invitation link, or to the clerk or mediator).
    RecordConsent {
        party: u32,
        answer: crate::mediation::ConsentAnswer,
    },
    /// 开始调解, with both parties' consent (Art. 17).
    StartMediation {
        mediator: PersonRef,
        parties_consented: bool,
    },
    /// 记录调解 (one session, with minutes).
    RecordSession {
        held_at: Timestamp,
        mode: SessionMode,
        place: String,
        attendees: Vec<String>,
        minutes: String,
    },
    /// 结案.
    Close {
        outcome: Outcome,
    },
    /// 回访.
    FollowUp {
        method: ContactMethod,
        satisfaction: Satisfaction,
        agreement_performed: Option<bool>,
        note: Option<String>,
    },
    /// 查看完整个人信息 (unmasking), with the reason the viewer gives.
    ViewPersonalData {
        party: u32,
        field: PiiKind,
        reason: String,
    },
    /// A party rates the handling of their closed case (当事人评价).
    Rate {
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    /// 一案一码: the same dispute reported again (another channel or person) is recorded on the
    /// existing open case instead of registering a duplicate.
    LinkReport {
        channel: Channel,
        reporter: String,
        summary: String,
    },
    /// Sets a time limit from the configured policy; `basis` names the rule that gave it.
    SetTimeLimit {
        clock: ClockKind,
        limit: Limit,
        basis: String,
    },
    /// 上报: hand the case up to an organisation at a higher level.
    Escalate {
        to: OrgRef,
        reason: String,
    },
    /// 交办: an upper level hands the case down with instructions.
    HandDown {
        to: OrgRef,
        instructions: String,
    },
    /// 移交: transfer to another organisation or department, with the reason.
    Transfer {
        to: OrgRef,
        reason: String,
    },
    /// 会诊: invite a department or expert without giving up the case.
    InviteConsultation {
        organisation: OrgRef,
        purpose: String,
    },
    /// 会诊意见 from an invited organisation.
    RecordOpinion {
        opinion: String,
    },
    /// 引导/移送 to a court, arbitration, reconsideration, police or legal aid; waits for a receipt.
    ReferOut {
        target: ReferralTarget,
        receiver: String,
        reason: String,
        remedies_informed: bool,
    },
    /// The receiving body's answer to a referral (回执): accepted closes the case, refused returns it.
    AnswerReferral {
        accepted: bool,
        receipt: Option<String>,
        note: Option<String>,
    },
    /// 中止计时.
    Pause {
        reason: PauseReason,
        note: String,
    },
    /// 恢复计时.
    Resume {
        note: Option<String>,
    },
    /// 督办: a note and a new deadline for the holder.
    Supervise {
        limit: Limit,
        note: String,
    },
    /// 到期提醒 (recorded by the scheduler).
    Remind {
        clock: ClockKind,
        deadline: Timestamp,
    },
    /// 超期 (recorded by the scheduler).
    MarkOverdue {
        clock: ClockKind,
        deadline: Timestamp,
    },
    /// 重新办理 after a dissatisfied follow-up.
    Reopen {
        reason: String,
    },
    /// 安排回访.
    ScheduleFollowUp {
        due: Timestamp,
        reason: String,
    },
    /// 履行检查 of one obligation of the agreement.
    CheckPerformance {
        obligation: u32,
        performed: bool,
        note: Option<String>,
    },
    /// 起草调解协议书 (Art. 29): a new version of the agreement; its content hash is computed
    /// by the application over the canonical agreement, the case number and the version.
    DraftAgreement {
        agreement: crate::mediation::AgreementDraft,
        content_hash: String,
    },
    /// 签署调解协议书: one signature, already verified cryptographically by the application.
    SignAgreement {
        signature: crate::mediation::Signature,
    },
    /// 申请司法确认 (Art. 33), jointly by the parties `applicants`; the calendar moves the
    /// deadline past non-working days.
    ApplyConfirmation {
        applicants: Vec<u32>,
        court: String,
        calendar: Box<crate::calendar::WorkCalendar>,
    },
    /// 登记司法确认结果: the court's ruling on the application.
    RecordConfirmation {
        confirmed: bool,
        ruling: String,
        note: Option<String>,
    },
    /// 提交证据材料: a file, already stored and recognised by the application.
    AddEvidence {
        evidence: crate::mediation::Evidence,
    },
    /// 在线调解室: someone joined or left the case's room, or said something in its chat; `party`
    /// when it is a party (a resident proved by the application), staff otherwise.
    UseRoom {
        activity: crate::mediation::RoomActivity,
        party: Option<u32>,
    },
    /// 申请诉讼对接: file the dispute with the court after mediation failed; the application
    /// gives the filing its id (the idempotency key of its delivery).
    RequestFiling {
        filing_id: String,
        court: String,
        claims: String,
        party: Option<u32>,
    },
    /// 登记法院回执: the court received the filing (recorded by the platform's delivery).
    RecordFilingReceipt {
        filing_id: String,
        receipt: String,
    },
    /// 安排调解: a session to come, at a place or online; the parties are invited.
    ScheduleSession {
        at: Timestamp,
        mode: SessionMode,
        place: String,
        note: Option<String>,
    },
    /// 登记法院回执 of the application for judicial confirmation the platform delivered.
    RecordConfirmationReceipt {
        receipt: String,
    },
    /// 选择调解组织或调解员: the applicant's wish, taken into account at dispatch.
    StatePreference {
        organisation: Option<OrgRef>,
        mediator: Option<PersonRef>,
    },
}

impl Command {
    pub fn name(&self) -> crate::error::CommandName {
        use crate::error::CommandName as N;
        match self {
            Command::Register(_) => N::Register,
            Command::Accept { .. } => N::Accept,
            Command::Decline { .. } => N::Decline,
            Command::Assign { .. } => N::Assign,
            Command::Route { .. } => N::Route,
            Command::Acknowledge { .. } => N::Acknowledge,
            Command::StartMediation { .. } => N::StartMediation,
            Command::RecordConsent { .. } => N::RecordConsent,
            Command::RecordSession { .. } => N::RecordSession,
            Command::Close { .. } => N::Close,
            Command::FollowUp { .. } => N::FollowUp,
            Command::ViewPersonalData { .. } => N::ViewPersonalData,
            Command::Rate { .. } => N::Rate,
            Command::LinkReport { .. } => N::LinkReport,
            Command::SetTimeLimit { .. } => N::SetTimeLimit,
            Command::Escalate { .. } => N::Escalate,
            Command::HandDown { .. } => N::HandDown,
            Command::Transfer { .. } => N::Transfer,
            Command::InviteConsultation { .. } => N::InviteConsultation,
            Command::RecordOpinion { .. } => N::RecordOpinion,
            Command::ReferOut { .. } => N::ReferOut,
            Command::AnswerReferral { .. } => N::AnswerReferral,
            Command::Pause { .. } => N::Pause,
            Command::Resume { .. } => N::Resume,
            Command::Supervise { .. } => N::Supervise,
            Command::Remind { .. } => N::Remind,
            Command::MarkOverdue { .. } => N::MarkOverdue,
            Command::Reopen { .. } => N::Reopen,
            Command::ScheduleFollowUp { .. } => N::ScheduleFollowUp,
            Command::CheckPerformance { .. } => N::CheckPerformance,
            Command::DraftAgreement { .. } => N::DraftAgreement,
            Command::SignAgreement { .. } => N::SignAgreement,
            Command::ApplyConfirmation { .. } => N::ApplyConfirmation,
            Command::RecordConfirmation { .. } => N::RecordConfirmation,
            Command::AddEvidence { .. } => N::AddEvidence,
            Command::UseRoom { .. } => N::UseRoom,
            Command::RequestFiling { .. } => N::RequestFiling,
            Command::RecordFilingReceipt { .. } => N::RecordFilingReceipt,
            Command::ScheduleSession { .. } => N::ScheduleSession,
            Command::StatePreference { .. } => N::StatePreference,
            Command::RecordConfirmationReceipt { .. } => N::RecordConfirmationReceipt,
        }
    }
}

/// A recorded fact about a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub meta: Meta,
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    Registered {
        id: CaseId,
        number: CaseNumber,
        channel: Channel,
        dispute_type: Option<DisputeType>,
        parties: Vec<Party>,
        location: Location,
        description: String,
        amount: Option<Money>,
        head_count: Option<u32>,
        received_by: Option<OrgRef>,
    },
    Accepted {
        dispute_type: DisputeType,
        severity: Severity,
        track: Track,
        note: Option<String>,
    },
    Declined {
        reason: String,
        guidance: String,
    },
    Assigned {
        organisation: OrgRef,
        person: Option<PersonRef>,
        note: Option<String>,
    },
    /// Dispatched by the routing rules.
    Routed {
        organisation: OrgRef,
        rule: String,
        reason: String,
    },
    Acknowledged {
        organisation: OrgRef,
        person: Option<PersonRef>,
    },
    MediationStarted {
        mediator: PersonRef,
    },
    /// A party consented to mediation or refused it (Art. 17).
    ConsentRecorded {
        party: u32,
        answer: crate::mediation::ConsentAnswer,
    },
    SessionRecorded {
        held_at: Timestamp,
        mode: SessionMode,
        place: String,
        attendees: Vec<String>,
        minutes: String,
    },
    Closed {
        outcome: Outcome,
    },
    FollowedUp {
        method: ContactMethod,
        satisfaction: Satisfaction,
        agreement_performed: Option<bool>,
        note: Option<String>,
    },
    PersonalDataViewed {
        party: u32,
        field: PiiKind,
        reason: String,
    },
    RatedByParty {
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    /// The same dispute was reported again and linked to this case (一案一码).
    ReportLinked {
        channel: Channel,
        reporter: String,
        summary: String,
    },
    TimeLimitSet {
        clock: ClockKind,
        limit: Limit,
        basis: String,
    },
    Escalated {
        from: Option<OrgRef>,
        to: OrgRef,
        reason: String,
    },
    HandedDown {
        from: Option<OrgRef>,
        to: OrgRef,
        instructions: String,
    },
    Transferred {
        from: Option<OrgRef>,
        to: OrgRef,
        reason: String,
    },
    ConsultationInvited {
        organisation: OrgRef,
        purpose: String,
    },
    OpinionRecorded {
        organisation: OrgRef,
        opinion: String,
    },
    ReferredOut {
        target: ReferralTarget,
        receiver: String,
        reason: String,
        remedies_informed: bool,
    },
    ReferralAnswered {
        accepted: bool,
        receipt: Option<String>,
        note: Option<String>,
    },
    Paused {
        reason: PauseReason,
        note: String,
    },
    Resumed {
        note: Option<String>,
    },
    Supervised {
        holder: Option<OrgRef>,
        limit: Limit,
        note: String,
    },
    Reminded {
        clock: ClockKind,
        deadline: Timestamp,
        stage: u32,
    },
    MarkedOverdue {
        clock: ClockKind,
        deadline: Timestamp,
        stage: u32,
    },
    Reopened {
        reason: String,
    },
    FollowUpScheduled {
        due: Timestamp,
        reason: String,
    },
    PerformanceChecked {
        obligation: u32,
        performed: bool,
        note: Option<String>,
    },
    /// A version of the 人民调解协议书 was drafted; it replaces any earlier version that had not
    /// taken effect, and signatures on that version no longer count.
    AgreementDrafted {
        version: u32,
        agreement: crate::mediation::Agreement,
        content_hash: String,
    },
    /// A party or the mediator signed the current version. `effective` is true when this was
    /// the last signature it needed: the agreement took effect at this event (Art. 29).
    AgreementSigned {
        signature: crate::mediation::Signature,
        effective: bool,
    },
    /// The parties jointly applied for judicial confirmation (Art. 33) by `deadline`, the last
    /// day they could (as its midnight CST).
    ConfirmationApplied {
        applicants: Vec<u32>,
        court: String,
        deadline: Timestamp,
    },
    /// The court ruled on the application.
    ConfirmationRuled {
        confirmed: bool,
        ruling: String,
        note: Option<String>,
    },
    /// A file was added to the case's evidence, by its hash.
    EvidenceAdded {
        evidence: crate::mediation::Evidence,
    },
    /// Someone joined the case's online room.
    RoomJoined {
        party: Option<u32>,
    },
    /// Someone left the case's online room.
    RoomLeft {
        party: Option<u32>,
    },
    /// A chat message in the case's online room.
    RoomMessage {
        party: Option<u32>,
        text: String,
    },
    /// Filing with the court was requested; the platform delivers the package.
    FilingRequested {
        filing_id: String,
        court: String,
        claims: String,
        party: Option<u32>,
    },
    /// The court's receipt of a filing.
    FilingReceived {
        filing_id: String,
        receipt: String,
    },
    /// A session was scheduled (the `number`-th, from 1); the parties are invited.
    SessionScheduled {
        number: u32,
        at: Timestamp,
        mode: SessionMode,
        place: String,
        note: Option<String>,
    },
    /// The court received the application for judicial confirmation.
    ConfirmationReceived {
        receipt: String,
    },
    /// The applicant chose a mediation organisation or a named mediator.
    PreferenceStated {
        organisation: Option<OrgRef>,
        mediator: Option<PersonRef>,
    },
}

impl EventBody {
    /// Stable name of the event kind, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::Registered { .. } => "registered",
            EventBody::Accepted { .. } => "accepted",
            EventBody::Declined { .. } => "declined",
            EventBody::Assigned { .. } => "assigned",
            EventBody::Routed { .. } => "routed",
            EventBody::Acknowledged { .. } => "acknowledged",
            EventBody::MediationStarted { .. } => "mediation_started",
            EventBody::ConsentRecorded { .. } => "consent_recorded",
            EventBody::SessionRecorded { .. } => "session_recorded",
            EventBody::Closed { .. } => "closed",
            EventBody::FollowedUp { .. } => "followed_up",
            EventBody::PersonalDataViewed { .. } => "personal_data_viewed",
            EventBody::RatedByParty { .. } => "rated_by_party",
            EventBody::ReportLinked { .. } => "report_linked",
            EventBody::TimeLimitSet { .. } => "time_limit_set",
            EventBody::Escalated { .. } => "escalated",
            EventBody::HandedDown { .. } => "handed_down",
            EventBody::Transferred { .. } => "transferred",
            EventBody::ConsultationInvited { .. } => "consultation_invited",
            EventBody::OpinionRecorded { .. } => "opinion_recorded",
            EventBody::ReferredOut { .. } => "referred_out",
            EventBody::ReferralAnswered { .. } => "referral_answered",
            EventBody::Paused { .. } => "paused",
            EventBody::Resumed { .. } => "resumed",
            EventBody::Supervised { .. } => "supervised",
            EventBody::Reminded { .. } => "reminded",
            EventBody::MarkedOverdue { .. } => "marked_overdue",
            EventBody::Reopened { .. } => "reopened",
            EventBody::FollowUpScheduled { .. } => "follow_up_scheduled",
            EventBody::PerformanceChecked { .. } => "performance_checked",
            EventBody::AgreementDrafted { .. } => "agreement_drafted",
            EventBody::AgreementSigned { .. } => "agreement_signed",
            EventBody::ConfirmationApplied { .. } => "confirmation_applied",
            EventBody::ConfirmationRuled { .. } => "confirmation_ruled",
            EventBody::EvidenceAdded { .. } => "evidence_added",
            EventBody::RoomJoined { .. } => "room_joined",
            EventBody::RoomLeft { .. } => "room_left",
            EventBody::RoomMessage { .. } => "room_message",
            EventBody::FilingRequested { .. } => "filing_requested",
            EventBody::FilingReceived { .. } => "filing_received",
            EventBody::SessionScheduled { .. } => "session_scheduled",
            EventBody::PreferenceStated { .. } => "preference_stated",
            EventBody::ConfirmationReceived { .. } => "confirmation_received",
        }
    }

    /// How the timeline names it.
    pub fn label(&self) -> &'static str {
        match self {
            EventBody::Registered { .. } => "登记",
            EventBody::Accepted { .. } => "受理",
            EventBody::Declined { .. } => "不予受理并引导",
            EventBody::Assigned { .. } => "派单",
            EventBody::Routed { .. } => "按规则派单",
            EventBody::Acknowledged { .. } => "签收",
            EventBody::MediationStarted { .. } => "开始调解",
            EventBody::ConsentRecorded { .. } => "记录调解意愿",
            EventBody::SessionRecorded { .. } => "调解记录",
            EventBody::Closed { .. } => "结案",
            EventBody::FollowedUp { .. } => "回访",
            EventBody::PersonalDataViewed { .. } => "查看个人信息",
            EventBody::RatedByParty { .. } => "当事人评价",
            EventBody::ReportLinked { .. } => "再次反映",
            EventBody::TimeLimitSet { .. } => "设定时限",
            EventBody::Escalated { .. } => "上报",
            EventBody::HandedDown { .. } => "交办",
            EventBody::Transferred { .. } => "移交",
            EventBody::ConsultationInvited { .. } => "邀请会诊",
            EventBody::OpinionRecorded { .. } => "会诊意见",
            EventBody::ReferredOut { .. } => "引导分流",
            EventBody::ReferralAnswered { .. } => "分流回执",
            EventBody::Paused { .. } => "中止计时",
            EventBody::Resumed { .. } => "恢复计时",
            EventBody::Supervised { .. } => "督办",
            EventBody::Reminded { .. } => "到期提醒",
            EventBody::MarkedOverdue { .. } => "超期",
            EventBody::Reopened { .. } => "重新办理",
            EventBody::FollowUpScheduled { .. } => "安排回访",
            EventBody::PerformanceChecked { .. } => "履行检查",
            EventBody::AgreementDrafted { .. } => "起草调解协议书",
            EventBody::AgreementSigned { .. } => "签署调解协议书",
            EventBody::ConfirmationApplied { .. } => "申请司法确认",
            EventBody::ConfirmationRuled { .. } => "司法确认结果",
            EventBody::EvidenceAdded { .. } => "提交证据材料",
            EventBody::RoomJoined { .. } => "进入在线调解室",
            EventBody::RoomLeft { .. } => "离开在线调解室",
            EventBody::RoomMessage { .. } => "调解室发言",
            EventBody::FilingRequested { .. } => "申请诉讼对接",
            EventBody::FilingReceived { .. } => "法院接收回执",
            EventBody::SessionScheduled { .. } => "安排调解",
            EventBody::PreferenceStated { .. } => "选择调解组织",
            EventBody::ConfirmationReceived { .. } => "法院接收司法确认申请",
        }
    }
}
