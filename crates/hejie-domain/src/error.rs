//! Domain errors. Messages are for people and therefore in Chinese; `code()` is for machines.

use std::fmt;

use crate::case::Status;

/// A value failed validation. `field` names the offending input so an API can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: String) -> Self {
        Self { field, message }
    }
}

/// Why a command was refused by the case aggregate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    Validation(#[from] ValidationError),
    #[error("案件当前状态为“{}”，不能{}", .status.label(), .command.label())]
    InvalidTransition {
        command: CommandName,
        status: Status,
    },
    #[error("案件已登记，不能重复登记")]
    AlreadyRegistered,
    #[error("案件尚未登记")]
    NotRegistered,
    #[error("重大纠纷不能走门诊流程，请选择急诊或会诊")]
    MajorCaseNeedsUrgentTrack,
    #[error("只有当前承办单位可以签收本案")]
    NotHolder,
    #[error("案件已由该单位承办，无需重复派单")]
    AlreadyHeld,
    #[error("调解须经双方当事人同意（《人民调解法》第十七条）")]
    ConsentRequired,
    #[error("尚未记录调解过程，不能以调解成功或调解不成结案")]
    NoSessionRecorded,
    #[error(
        "调解不成的，应告知当事人可依法通过仲裁、行政、司法等途径维护权利（《人民调解法》第二十六条）"
    )]
    RemediesNotInformed,
    #[error("上报对象应为上级单位")]
    EscalateNotUpward,
    #[error("交办对象应为下级单位")]
    HandDownNotDownward,
    #[error("该单位已受邀会诊")]
    AlreadyInvited,
    #[error("只有受邀会诊的单位可以提交会诊意见")]
    NotConsultant,
    #[error("案件已有待回执的分流，不能重复分流")]
    ReferralPending,
    #[error("案件没有待回执的分流")]
    NoReferralPending,
    #[error("案件已中止计时")]
    AlreadyPaused,
    #[error("案件未中止计时")]
    NotPaused,
    #[error("本阶段已记录过该时限的{0}")]
    AlreadyRecorded(&'static str),
    #[error("时限尚未届满，不能标记超期")]
    NotYetDue,
    #[error("总时限自登记起计算，设定后不再重置")]
    OverallAlreadySet,
    #[error("只有回访不满意的案件可以重新办理")]
    NotDissatisfied,
    #[error("调解协议中没有这项履行义务")]
    NoSuchObligation,
    #[error("该文件已在本案的证据材料中")]
    DuplicateEvidence,
    #[error("只有调解不成或引导至诉讼的案件可以申请诉讼对接（《人民调解法》第二十六条）")]
    NotForFiling,
    #[error("已申请诉讼对接，正在等待法院接收，不能重复申请")]
    FilingPending,
    #[error("没有这次诉讼对接申请，或法院已经接收")]
    NoSuchFiling,
    #[error("{0}")]
    Mediation(#[from] crate::mediation::MediationError),
}

impl DomainError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Validation(_) => "validation",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::AlreadyRegistered => "already_registered",
            DomainError::NotRegistered => "not_registered",
            DomainError::MajorCaseNeedsUrgentTrack => "major_case_needs_urgent_track",
            DomainError::NotHolder => "not_holder",
            DomainError::AlreadyHeld => "already_held",
            DomainError::ConsentRequired => "consent_required",
            DomainError::NoSessionRecorded => "no_session_recorded",
            DomainError::RemediesNotInformed => "remedies_not_informed",
            DomainError::EscalateNotUpward => "escalate_not_upward",
            DomainError::HandDownNotDownward => "hand_down_not_downward",
            DomainError::AlreadyInvited => "already_invited",
            DomainError::NotConsultant => "not_consultant",
            DomainError::ReferralPending => "referral_pending",
            DomainError::NoReferralPending => "no_referral_pending",
            DomainError::AlreadyPaused => "already_paused",
            DomainError::NotPaused => "not_paused",
            DomainError::AlreadyRecorded(_) => "already_recorded",
            DomainError::NotYetDue => "not_yet_due",
            DomainError::OverallAlreadySet => "overall_already_set",
            DomainError::NotDissatisfied => "not_dissatisfied",
            DomainError::NoSuchObligation => "no_such_obligation",
            DomainError::DuplicateEvidence => "duplicate_evidence",
            DomainError::NotForFiling => "not_for_filing",
            DomainError::FilingPending => "filing_pending",
            DomainError::NoSuchFiling => "no_such_filing",
            DomainError::Mediation(e) => e.code(),
        }
    }
}

/// Names of case commands, used in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandName {
    Register,
    Accept,
    Decline,
    Assign,
    Route,
    Acknowledge,
    StartMediation,
    RecordSession,
    Close,
    FollowUp,
    ViewPersonalData,
    Rate,
    LinkReport,
    SetTimeLimit,
    Escalate,
    HandDown,
    Transfer,
    InviteConsultation,
    RecordOpinion,
    ReferOut,
    AnswerReferral,
    Pause,
    Resume,
    Supervise,
    Remind,
    MarkOverdue,
    Reopen,
    ScheduleFollowUp,
    CheckPerformance,
    RecordConsent,
    DraftAgreement,
    SignAgreement,
    ApplyConfirmation,
    RecordConfirmation,
    AddEvidence,
    UseRoom,
    RequestFiling,
    RecordFilingReceipt,
    ScheduleSession,
    StatePreference,
    RecordConfirmationReceipt,
}

impl CommandName {
    pub fn label(self) -> &'static str {
        match self {
            CommandName::Register => "登记",
            CommandName::Accept => "受理",
            CommandName::Decline => "不予受理并引导",
            CommandName::Assign => "派单",
            CommandName::Route => "按规则派单",
            CommandName::Acknowledge => "签收",
            CommandName::StartMediation => "开始调解",
            CommandName::RecordSession => "记录调解",
            CommandName::Close => "结案",
            CommandName::FollowUp => "回访",
            CommandName::ViewPersonalData => "查看个人信息",
            CommandName::Rate => "评价",
            CommandName::LinkReport => "并入已有案件",
            CommandName::SetTimeLimit => "设定时限",
            CommandName::Escalate => "上报",
            CommandName::HandDown => "交办",
            CommandName::Transfer => "移交",
            CommandName::InviteConsultation => "邀请会诊",
            CommandName::RecordOpinion => "提交会诊意见",
            CommandName::ReferOut => "引导分流",
            CommandName::AnswerReferral => "登记分流回执",
            CommandName::Pause => "中止计时",
            CommandName::Resume => "恢复计时",
            CommandName::Supervise => "督办",
            CommandName::Remind => "到期提醒",
            CommandName::MarkOverdue => "标记超期",
            CommandName::Reopen => "重新办理",
            CommandName::ScheduleFollowUp => "安排回访",
            CommandName::CheckPerformance => "履行检查",
            CommandName::RecordConsent => "记录调解意愿",
            CommandName::DraftAgreement => "起草调解协议书",
            CommandName::SignAgreement => "签署调解协议书",
            CommandName::ApplyConfirmation => "申请司法确认",
            CommandName::RecordConfirmation => "登记司法确认结果",
            CommandName::AddEvidence => "提交证据材料",
            CommandName::UseRoom => "在线调解室",
            CommandName::RequestFiling => "申请诉讼对接",
            CommandName::RecordFilingReceipt => "登记法院回执",
            CommandName::ScheduleSession => "安排调解",
            CommandName::StatePreference => "选择调解组织",
            CommandName::RecordConfirmationReceipt => "登记法院回执（司法确认）",
        }
    }
}

impl fmt::Display for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
