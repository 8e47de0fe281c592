//! Who may do what, where: the single authorization policy of hejie.
//!
//! A staff user acts only on cases inside their jurisdiction (the case's location, or a case their
//! own organisation holds) and only with the permissions of their role. Work that belongs to the
//! holder (acknowledging, mediating, closing) is reserved to the holder's staff, except for
//! coordinators (judicial general advisors) and administrators, who may mediate and close for the
//! holder but not sign for its receipt. Residents never use staff
//! actions; they reach their own cases through self-service, where being a party is the check.

use crate::case::{Case, Command, allowed_in};
use crate::error::CommandName;
use crate::user::{Role, User};

/// Something a user can ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See a case, its list entry and its masked timeline.
    ViewCase,
    /// Run a case command.
    Command(CommandName),
    /// Manage divisions, organisations and users.
    Administer,
    /// Read the indicators (数据研判) of one's jurisdiction and the cases behind them.
    ViewIndicators,
}

/// Why an action is refused. `OutOfJurisdiction` must look like "not found" to the user, so the
/// existence of other divisions' cases is not revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("您的角色无权进行此操作")]
    Role,
    #[error("案件不存在或不在您的辖区内")]
    OutOfJurisdiction,
    #[error("此操作只能由当前承办单位办理")]
    NotHolder,
}

impl Denied {
    pub fn code(self) -> &'static str {
        match self {
            Denied::Role => "forbidden_role",
            Denied::OutOfJurisdiction => "not_found",
            Denied::NotHolder => "not_holder",
        }
    }
}

/// Whether a role carries the permission for an action, regardless of any particular case.
pub fn role_may(role: Role, action: Action) -> bool {
    use CommandName as N;
    use Role as R;
    let staff = !matches!(role, R::Resident | R::System);
    match action {
        Action::ViewCase => staff,
        Action::Administer => role == R::Admin,
        // The leaders' figures are for those who supervise an area, not for the staff who
        // handle single cases, so a window clerk or a mediator does not see them.
        Action::ViewIndicators => matches!(role, R::Supervisor | R::Admin),
        Action::Command(name) => match name {
            N::Register | N::LinkReport => matches!(
                role,
                R::WindowClerk
                    | R::GridWorker
                    | R::Mediator
                    | R::LegalAdvisor
                    | R::JudicialGeneralAdvisor
                    | R::DepartmentHandler
                    | R::Admin
            ),
            N::Accept | N::Decline => {
                matches!(role, R::WindowClerk | R::JudicialGeneralAdvisor | R::Admin)
            }
            N::Assign | N::Route => matches!(
                role,
                R::WindowClerk | R::JudicialGeneralAdvisor | R::Supervisor | R::Admin
            ),
            // What a party answered, recorded by whoever they answered (the window, the
            // mediator); the party's own answer through the invitation link comes with issue 6's
            // online path.
            N::RecordConsent => matches!(
                role,
                R::WindowClerk
                    | R::Mediator
                    | R::DepartmentHandler
                    | R::JudicialGeneralAdvisor
                    | R::Admin
            ),
            N::Acknowledge | N::StartMediation | N::RecordSession | N::ScheduleSession => matches!(
                role,
                R::Mediator | R::DepartmentHandler | R::JudicialGeneralAdvisor | R::Admin
            ),
            N::Close => matches!(
                role,
                R::Mediator
                    | R::DepartmentHandler
                    | R::JudicialGeneralAdvisor
                    | R::WindowClerk
                    | R::Admin
            ),
            N::FollowUp => matches!(
                role,
                R::WindowClerk | R::Mediator | R::Supervisor | R::JudicialGeneralAdvisor | R::Admin
            ),
            N::ViewPersonalData => matches!(
                role,
                R::WindowClerk | R::Mediator | R::JudicialGeneralAdvisor | R::Admin
            ),
            N::Rate => role == R::Resident,
            // Recorded by the application alongside a user's command, or by the scheduler;
            // never offered to a user on their own.
            N::SetTimeLimit | N::Remind | N::MarkOverdue | N::ScheduleFollowUp => role == R::System,
            N::Escalate | N::Transfer | N::ReferOut | N::AnswerReferral => matches!(
                role,
                R::Mediator
                    | R::DepartmentHandler
                    | R::JudicialGeneralAdvisor
                    | R::WindowClerk
                    | R::Admin
            ),
            N::InviteConsultation | N::Pause | N::Resume => matches!(
                role,
                R::Mediator | R::DepartmentHandler | R::JudicialGeneralAdvisor | R::Admin
            ),
            N::RecordOpinion => matches!(
                role,
                R::DepartmentHandler
                    | R::Mediator
                    | R::LegalAdvisor
                    | R::JudicialGeneralAdvisor
                    | R::Admin
            ),
            N::HandDown => matches!(
                role,
                R::Supervisor | R::JudicialGeneralAdvisor | R::WindowClerk | R::Admin
            ),
            N::Supervise => matches!(role, R::Supervisor | R::Admin),
            N::Reopen => matches!(
                role,
                R::Supervisor | R::JudicialGeneralAdvisor | R::WindowClerk | R::Mediator | R::Admin
            ),
            N::CheckPerformance => matches!(
                role,
                R::WindowClerk | R::Mediator | R::Supervisor | R::JudicialGeneralAdvisor | R::Admin
            ),
            N::DraftAgreement => matches!(
                role,
                R::Mediator | R::DepartmentHandler | R::JudicialGeneralAdvisor | R::Admin
            ),
            // The case rules decide who signs as whom: a party signs as themselves (a
            // resident proved by SMS), the mediator as the case's mediator.
            N::SignAgreement => matches!(
                role,
                R::Resident | R::Mediator | R::DepartmentHandler | R::JudicialGeneralAdvisor
            ),
            // Whoever takes part in handling the case may add evidence; a party adds theirs
            // through the tracking page.
            N::AddEvidence => matches!(
                role,
                R::Resident
                    | R::WindowClerk
                    | R::GridWorker
                    | R::Mediator
                    | R::LegalAdvisor
                    | R::JudicialGeneralAdvisor
                    | R::DepartmentHandler
                    | R::Admin
            ),
            // The room's staff: the mediating side and whoever is invited to advise; a party
            // joins through the tracking page. `room_member` narrows it to this case's people.
            N::UseRoom => matches!(
                role,
                R::Resident
                    | R::Mediator
                    | R::DepartmentHandler
                    | R::LegalAdvisor
                    | R::JudicialGeneralAdvisor
                    | R::Admin
            ),
            // The window or the mediator files for a party who asks; a party may ask themselves.
            N::RequestFiling => matches!(
                role,
                R::Resident
                    | R::WindowClerk
                    | R::Mediator
                    | R::DepartmentHandler
                    | R::JudicialGeneralAdvisor
                    | R::Admin
            ),
            // The applicant states it online; the window records it for a visitor.
            N::StatePreference => matches!(role, R::Resident | R::WindowClerk | R::Admin),
            // Only the platform's delivery records what the court answered.
            N::RecordFilingReceipt | N::RecordConfirmationReceipt => role == R::System,
            // Recorded by the staff the parties applied through, or who received the ruling.
            N::ApplyConfirmation | N::RecordConfirmation => matches!(
                role,
                R::WindowClerk | R::Mediator | R::JudicialGeneralAdvisor | R::Admin
            ),
        },
    }
}

/// Commands that only the holder organisation's staff may run on a case.
fn holder_only(name: CommandName) -> bool {
    matches!(
        name,
        CommandName::Acknowledge
            | CommandName::StartMediation
            | CommandName::RecordSession
            | CommandName::Close
            | CommandName::Escalate
            | CommandName::Transfer
            | CommandName::InviteConsultation
            | CommandName::ReferOut
            | CommandName::AnswerReferral
            | CommandName::Pause
            | CommandName::Resume
            | CommandName::DraftAgreement
            | CommandName::ScheduleSession
    )
}

/// Whether coordinators (judicial general advisors, administrators) may do this holder work in
/// the holder's stead. Not signing for receipt: only the holder itself can acknowledge (the case
/// rules refuse anyone else), so offering it to a coordinator would offer an action that fails.
fn coordinator_may(role: Role, name: CommandName) -> bool {
    matches!(role, Role::Admin | Role::JudicialGeneralAdvisor) && name != CommandName::Acknowledge
}

/// Whether the case lies inside the user's jurisdiction: located there, held by their unit, or
/// their unit is invited to its joint consultation (会诊).
pub fn in_scope(user: &User, case: &Case) -> bool {
    user.covers(&case.location.division)
        || case.location.grid.as_ref().is_some_and(|g| user.covers(g))
        || (user.organisation.is_some()
            && (case.holder.as_ref().map(|h| h.organisation.id) == user.organisation
                || case
                    .consultants
                    .iter()
                    .any(|c| Some(c.organisation.id) == user.organisation)))
}

/// Whether a staff member belongs in the case's online mediation room: its mediator, the
/// holder organisation's staff, an organisation invited to its joint consultation (会诊), or a
/// coordinator (judicial general advisor, administrator). Parties join as themselves.
pub fn room_member(user: &User, case: &Case) -> bool {
    let org = user.organisation;
    case.mediator.as_ref().is_some_and(|m| m.id == user.id)
        || (org.is_some() && case.holder.as_ref().map(|h| h.organisation.id) == org)
        || (org.is_some()
            && case
                .consultants
                .iter()
                .any(|c| Some(c.organisation.id) == org))
        || matches!(user.role, Role::JudicialGeneralAdvisor | Role::Admin)
}

/// The one check every staff request goes through.
pub fn authorize(user: &User, action: Action, case: Option<&Case>) -> Result<(), Denied> {
    if let Some(case) = case
        && !in_scope(user, case)
    {
        return Err(Denied::OutOfJurisdiction);
    }
    if !role_may(user.role, action) {
        return Err(Denied::Role);
    }
    if let (Action::Command(name), Some(case)) = (action, case)
        && holder_only(name)
        && !coordinator_may(user.role, name)
        && (user.organisation.is_none()
            || case.holder.as_ref().map(|h| h.organisation.id) != user.organisation)
    {
        return Err(Denied::NotHolder);
    }
    Ok(())
}

/// The action a command needs.
pub fn action_of(command: &Command) -> Action {
    Action::Command(command.name())
}

/// The commands this user may run on this case in its current state: what a page should offer.
pub fn available_commands(user: &User, case: &Case) -> Vec<CommandName> {
    use CommandName as N;
    [
        N::Accept,
        N::Decline,
        N::Assign,
        N::Route,
        N::Acknowledge,
        N::StartMediation,
        N::ScheduleSession,
        N::RecordSession,
        N::Close,
        N::FollowUp,
        N::Escalate,
        N::HandDown,
        N::Transfer,
        N::InviteConsultation,
        N::RecordOpinion,
        N::ReferOut,
        N::AnswerReferral,
        N::Pause,
        N::Resume,
        N::Supervise,
        N::Reopen,
        N::CheckPerformance,
    ]
    .into_iter()
    .filter(|n| allowed_in(*n, case.status))
    .filter(|n| plausible(user, case, *n))
    .filter(|n| authorize(user, Action::Command(*n), Some(case)).is_ok())
    .collect()
}

/// Whether offering a command makes sense in the case's finer state, beyond its status: a page
/// should not offer what the case rules would refuse outright.
fn plausible(user: &User, case: &Case, name: CommandName) -> bool {
    use CommandName as N;
    let holder = case.holder.as_ref().map(|h| h.organisation.id);
    match name {
        N::Escalate | N::Transfer | N::InviteConsultation => holder.is_some(),
        N::HandDown => true,
        N::RecordOpinion => case
            .consultants
            .iter()
            .any(|c| Some(c.organisation.id) == user.organisation),
        N::ReferOut => case.referral.is_none(),
        N::AnswerReferral => case.referral.is_some(),
        N::Pause => !case.clocks.is_paused(),
        N::Resume => case.clocks.is_paused(),
        // Supervision comes from outside the holder (the level above).
        N::Supervise => holder.is_some() && holder != user.organisation,
        N::Reopen => {
            case.satisfaction == Some(crate::case::Satisfaction::Dissatisfied)
                || case.party_rating == Some(crate::case::Satisfaction::Dissatisfied)
        }
        N::CheckPerformance => matches!(
            &case.outcome,
            Some(crate::case::Outcome::Succeeded { obligations, .. }) if !obligations.is_empty()
        ),
        // After a party refused mediation (Art. 17) it cannot start or go on.
        N::StartMediation | N::RecordSession | N::ScheduleSession => !case
            .consents
            .iter()
            .any(|(_, a, _)| matches!(a, crate::mediation::ConsentAnswer::Refused { .. })),
        _ => true,
    }
}
