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
        }
    }
}

impl fmt::Display for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
