//! The rules: which command is allowed in which state, and what it records.

use super::flow::substantial;
use super::types::{optional_text, text};
use super::{
    Case, CaseState, ClockKind, Command, Event, EventBody, Meta, Obligation, OrgRef, Outcome,
    ReferralTarget, Register, Satisfaction, Severity, Status, Track,
};
use crate::error::{CommandName, DomainError, ValidationError};
use crate::mediation::{
    Consents, MediationError, ROOM_MESSAGE_MAX, RoomActivity, Signer, check_confirmation,
    is_sha256_hex,
};
use crate::personal::PiiKind;
use crate::timestamp::Timestamp;
use crate::user::Role;

const SHORT: usize = 200;
const LONG: usize = 5000;

/// Decides what a command records, given the case's current state.
pub fn handle(state: &CaseState, meta: Meta, command: Command) -> Result<Vec<Event>, DomainError> {
    let name = command.name();
    let body = match (state.case(), command) {
        (None, Command::Register(r)) => register(*r)?,
        (Some(_), Command::Register(_)) => return Err(DomainError::AlreadyRegistered),
        (None, _) => return Err(DomainError::NotRegistered),
        (Some(case), command) => decide(case, &meta, name, command)?,
    };
    Ok(vec![Event { meta, body }])
}

fn register(r: Register) -> Result<EventBody, DomainError> {
    if r.parties.is_empty() {
        return Err(ValidationError::new("parties", "至少需要一名当事人".to_owned()).into());
    }
    let mut parties = Vec::with_capacity(r.parties.len());
    for mut p in r.parties {
        p.name = text("parties.name", &p.name, 64)?;
        p.address = optional_text("parties.address", p.address.as_deref(), SHORT)?;
        parties.push(p);
    }
    if let Some(grid) = &r.location.grid
        && !r.location.division.contains(grid)
    {
        return Err(ValidationError::new("location.grid", "网格不属于所选区划".to_owned()).into());
    }
    if let Some(n) = r.head_count
        && (n < 2 || (n as usize) < parties.len())
    {
        return Err(ValidationError::new(
            "head_count",
            "群体性纠纷的涉及人数应不少于2人且不少于当事人数".to_owned(),
        )
        .into());
    }
    let mut location = r.location;
    location.address = optional_text("location.address", location.address.as_deref(), SHORT)?;
    Ok(EventBody::Registered {
        id: r.id,
        number: r.number,
        channel: r.channel,
        dispute_type: r.dispute_type,
        parties,
        location,
        description: text("description", &r.description, LONG)?,
        amount: r.amount,
        head_count: r.head_count,
        received_by: r.received_by,
    })
}

fn decide(
    case: &Case,
    meta: &Meta,
    name: CommandName,
    command: Command,
) -> Result<EventBody, DomainError> {
    let status = case.status;
    let refuse = || DomainError::InvalidTransition {
        command: name,
        status,
    };
    let require = |allowed: &[Status]| {
        if allowed.contains(&status) {
            Ok(())
        } else {
            Err(refuse())
        }
    };
    if !allowed_in(name, status) {
        return Err(refuse());
    }
    Ok(match command {
        Command::Register(_) => return Err(DomainError::AlreadyRegistered),
        Command::Accept {
            dispute_type,
            severity,
            track,
            note,
        } => {
            if severity == Severity::Major && track == Track::Clinic {
                return Err(DomainError::MajorCaseNeedsUrgentTrack);
            }
            EventBody::Accepted {
                dispute_type,
                severity,
                track,
                note: optional_text("note", note.as_deref(), LONG)?,
            }
        }
        Command::Decline { reason, guidance } => EventBody::Declined {
            reason: text("reason", &reason, LONG)?,
            guidance: text("guidance", &guidance, LONG)?,
        },
        Command::Assign {
            organisation,
            person,
            note,
        } => {
            if status != Status::Accepted
                && case.holder.as_ref().map(|h| h.organisation.id) == Some(organisation.id)
            {
                return Err(DomainError::AlreadyHeld);
            }
            EventBody::Assigned {
                organisation,
                person,
                note: optional_text("note", note.as_deref(), LONG)?,
            }
        }
        Command::Route {
            organisation,
            rule,
            reason,
        } => {
            if status != Status::Accepted
                && case.holder.as_ref().map(|h| h.organisation.id) == Some(organisation.id)
            {
                return Err(DomainError::AlreadyHeld);
            }
            EventBody::Routed {
                organisation,
                rule: text("rule", &rule, 64)?,
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::Acknowledge { person } => {
            let holder = case.holder.as_ref().ok_or_else(refuse)?;
            if meta.actor.organisation != Some(holder.organisation.id) {
                return Err(DomainError::NotHolder);
            }
            EventBody::Acknowledged {
                organisation: holder.organisation.clone(),
                person,
            }
        }
        Command::RecordConsent { party, answer } => {
            consents(case).answer(party, answer.clone(), meta.at)?;
            EventBody::ConsentRecorded { party, answer }
        }
        Command::StartMediation {
            mediator,
            parties_consented,
        } => {
            // An explicit refusal stops mediation whatever else was said (Art. 17); otherwise
            // the parties' consent is either recorded one by one or attested by the mediator.
            no_refusal(case)?;
            if !parties_consented {
                if case.consents.is_empty() {
                    return Err(DomainError::ConsentRequired);
                }
                consents(case).may_mediate()?;
            }
            EventBody::MediationStarted { mediator }
        }
        Command::RecordSession {
            held_at,
            mode,
            place,
            attendees,
            minutes,
        } => {
            no_refusal(case)?;
            if held_at < case.registered_at || held_at > meta.at {
                return Err(ValidationError::new(
                    "held_at",
                    "调解时间应在登记之后、记录之前".to_owned(),
                )
                .into());
            }
            let attendees = attendees
                .iter()
                .map(|a| text("attendees", a, 64))
                .collect::<Result<Vec<_>, _>>()?;
            if attendees.is_empty() {
                return Err(
                    ValidationError::new("attendees", "至少记录一名参加人".to_owned()).into(),
                );
            }
            EventBody::SessionRecorded {
                held_at,
                mode,
                place: text("place", &place, SHORT)?,
                attendees,
                minutes: text("minutes", &minutes, 20_000)?,
            }
        }
        Command::Close { outcome } => {
            let outcome = match outcome {
                Outcome::Succeeded {
                    agreement,
                    amount,
                    obligations,
                } => {
                    require(&[Status::Mediating])?;
                    no_refusal(case)?;
                    if case.sessions == 0 {
                        return Err(DomainError::NoSessionRecorded);
                    }
                    // A drafted written agreement binds only once everybody signed it (Art. 29).
                    if case
                        .agreement
                        .as_ref()
                        .is_some_and(|a| a.effective_at.is_none())
                    {
                        return Err(MediationError::NotEffective.into());
                    }
                    // Closing on a signed agreement without retyping it: the outcome is the
                    // agreement's terms and obligations.
                    let (agreement, amount, obligations) = match &case.agreement {
                        Some(r) if agreement.trim().is_empty() && obligations.is_empty() => {
                            from_written(r)?
                        }
                        _ => (agreement, amount, obligations),
                    };
                    let obligations = obligations
                        .into_iter()
                        .map(|o| {
                            Ok(Obligation {
                                party: text("obligations.party", &o.party, 64)?,
                                duty: text("obligations.duty", &o.duty, LONG)?,
                                ..o
                            })
                        })
                        .collect::<Result<Vec<_>, DomainError>>()?;
                    Outcome::Succeeded {
                        agreement: text("agreement", &agreement, 20_000)?,
                        amount,
                        obligations,
                    }
                }
                Outcome::Failed {
                    reason,
                    remedies_informed,
                } => {
                    require(&[Status::Mediating])?;
                    if case.sessions == 0 {
                        return Err(DomainError::NoSessionRecorded);
                    }
                    if !remedies_informed {
                        return Err(DomainError::RemediesNotInformed);
                    }
                    Outcome::Failed {
                        reason: text("reason", &reason, LONG)?,
                        remedies_informed,
                    }
                }
                Outcome::Withdrawn { reason } => {
                    if !status.is_open() {
                        return Err(refuse());
                    }
                    Outcome::Withdrawn {
                        reason: text("reason", &reason, LONG)?,
                    }
                }
                Outcome::Referred { target, reason } => {
                    require(&[
                        Status::Accepted,
                        Status::Assigned,
                        Status::InProgress,
                        Status::Mediating,
                    ])?;
                    Outcome::Referred {
                        target,
                        reason: text("reason", &reason, LONG)?,
                    }
                }
            };
            EventBody::Closed { outcome }
        }
        Command::FollowUp {
            method,
            satisfaction,
            agreement_performed,
            note,
        } => {
            let has_agreement = matches!(case.outcome, Some(Outcome::Succeeded { .. }));
            if agreement_performed.is_some() && !has_agreement {
                return Err(ValidationError::new(
                    "agreement_performed",
                    "本案未达成调解协议，无需回访履行情况".to_owned(),
                )
                .into());
            }
            EventBody::FollowedUp {
                method,
                satisfaction,
                agreement_performed,
                note: optional_text("note", note.as_deref(), LONG)?,
            }
        }
        Command::ViewPersonalData {
            party,
            field,
            reason,
        } => {
            let held = case
                .parties
                .get(party as usize)
                .is_some_and(|p| match field {
                    PiiKind::IdNumber => p.id_number.is_some(),
                    PiiKind::Phone => p.phone.is_some(),
                });
            if !held {
                return Err(
                    ValidationError::new("party", "该当事人没有这项个人信息".to_owned()).into(),
                );
            }
            let reason = text("reason", &reason, SHORT)?;
            if reason.chars().count() < 4 {
                return Err(ValidationError::new(
                    "reason",
                    "请具体说明查看理由（至少4个字）".to_owned(),
                )
                .into());
            }
            EventBody::PersonalDataViewed {
                party,
                field,
                reason,
            }
        }
        Command::Rate {
            satisfaction,
            comment,
        } => EventBody::RatedByParty {
            satisfaction,
            comment: optional_text("comment", comment.as_deref(), LONG)?,
        },
        Command::LinkReport {
            channel,
            reporter,
            summary,
        } => EventBody::ReportLinked {
            channel,
            reporter: text("reporter", &reporter, 64)?,
            summary: text("summary", &summary, LONG)?,
        },
        Command::SetTimeLimit {
            clock,
            limit,
            basis,
        } => {
            match clock {
                ClockKind::Overall if case.clocks.overall.is_some() => {
                    return Err(DomainError::OverallAlreadySet);
                }
                ClockKind::Acknowledge if status != Status::Assigned => return Err(refuse()),
                _ => {}
            }
            if limit.amount == 0 {
                return Err(ValidationError::new("limit", "时限应大于0".to_owned()).into());
            }
            EventBody::TimeLimitSet {
                clock,
                limit,
                basis: text("basis", &basis, SHORT)?,
            }
        }
        Command::Escalate { to, reason } => {
            let from = case.holder.as_ref().map(|h| h.organisation.clone());
            let upward = from.as_ref().is_some_and(|f| above(&to, f));
            if !upward {
                return Err(DomainError::EscalateNotUpward);
            }
            EventBody::Escalated {
                from,
                to,
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::HandDown { to, instructions } => {
            let from = case.holder.as_ref().map(|h| h.organisation.clone());
            let downward = match &from {
                Some(f) => above(f, &to),
                None => {
                    meta.division.contains(&to.division)
                        && meta.division.level() < to.division.level()
                }
            };
            if !downward {
                return Err(DomainError::HandDownNotDownward);
            }
            substantial("instructions", &instructions, 4)?;
            EventBody::HandedDown {
                from,
                to,
                instructions: text("instructions", &instructions, LONG)?,
            }
        }
        Command::Transfer { to, reason } => {
            let from = case.holder.as_ref().map(|h| h.organisation.clone());
            if from.as_ref().map(|f| f.id) == Some(to.id) {
                return Err(DomainError::AlreadyHeld);
            }
            substantial("reason", &reason, 4)?;
            EventBody::Transferred {
                from,
                to,
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::InviteConsultation {
            organisation,
            purpose,
        } => {
            let held = case.holder.as_ref().map(|h| h.organisation.id) == Some(organisation.id);
            if held
                || case
                    .consultants
                    .iter()
                    .any(|c| c.organisation.id == organisation.id)
            {
                return Err(DomainError::AlreadyInvited);
            }
            EventBody::ConsultationInvited {
                organisation,
                purpose: text("purpose", &purpose, LONG)?,
            }
        }
        Command::RecordOpinion { opinion } => {
            let consultant = case
                .consultants
                .iter()
                .find(|c| Some(c.organisation.id) == meta.actor.organisation)
                .ok_or(DomainError::NotConsultant)?;
            EventBody::OpinionRecorded {
                organisation: consultant.organisation.clone(),
                opinion: text("opinion", &opinion, LONG)?,
            }
        }
        Command::ReferOut {
            target,
            receiver,
            reason,
            remedies_informed,
        } => {
            if case.referral.is_some() {
                return Err(DomainError::ReferralPending);
            }
            // Sending a dispute to arbitration, reconsideration or a court means telling the
            // parties of that remedy (人民调解法 Art. 26), whether or not mediation was tried.
            let remedy = matches!(
                target,
                ReferralTarget::Court
                    | ReferralTarget::LabourArbitration
                    | ReferralTarget::AdministrativeReconsideration
            );
            if remedy && !remedies_informed {
                return Err(DomainError::RemediesNotInformed);
            }
            EventBody::ReferredOut {
                target,
                receiver: text("receiver", &receiver, 64)?,
                reason: text("reason", &reason, LONG)?,
                remedies_informed,
            }
        }
        Command::AnswerReferral {
            accepted,
            receipt,
            note,
        } => {
            if case.referral.is_none() {
                return Err(DomainError::NoReferralPending);
            }
            let receipt = optional_text("receipt", receipt.as_deref(), 64)?;
            if accepted && receipt.is_none() {
                return Err(ValidationError::new(
                    "receipt",
                    "接收单位已接收的，请填写回执编号".to_owned(),
                )
                .into());
            }
            EventBody::ReferralAnswered {
                accepted,
                receipt,
                note: optional_text("note", note.as_deref(), LONG)?,
            }
        }
        Command::Pause { reason, note } => {
            if case.clocks.is_paused() {
                return Err(DomainError::AlreadyPaused);
            }
            substantial("note", &note, 4)?;
            EventBody::Paused {
                reason,
                note: text("note", &note, LONG)?,
            }
        }
        Command::Resume { note } => {
            if !case.clocks.is_paused() {
                return Err(DomainError::NotPaused);
            }
            EventBody::Resumed {
                note: optional_text("note", note.as_deref(), LONG)?,
            }
        }
        Command::Supervise { limit, note } => {
            if case.holder.is_none() {
                return Err(refuse());
            }
            if limit.amount == 0 {
                return Err(ValidationError::new("limit", "时限应大于0".to_owned()).into());
            }
            substantial("note", &note, 4)?;
            EventBody::Supervised {
                holder: case.holder.as_ref().map(|h| h.organisation.clone()),
                limit,
                note: text("note", &note, LONG)?,
            }
        }
        Command::Remind { clock, deadline } => {
            if case.clocks.clock(clock).is_none() {
                return Err(refuse());
            }
            if case.clocks.reminded(clock) {
                return Err(DomainError::AlreadyRecorded("到期提醒"));
            }
            EventBody::Reminded {
                clock,
                deadline,
                stage: case.clocks.stage_no(),
            }
        }
        Command::MarkOverdue { clock, deadline } => {
            if case.clocks.clock(clock).is_none() {
                return Err(refuse());
            }
            if case.clocks.marked_overdue(clock) {
                return Err(DomainError::AlreadyRecorded("超期标记"));
            }
            if deadline > meta.at {
                return Err(DomainError::NotYetDue);
            }
            EventBody::MarkedOverdue {
                clock,
                deadline,
                stage: case.clocks.stage_no(),
            }
        }
        Command::Reopen { reason } => {
            let dissatisfied = case.satisfaction == Some(Satisfaction::Dissatisfied)
                || case.party_rating == Some(Satisfaction::Dissatisfied);
            if !dissatisfied {
                return Err(DomainError::NotDissatisfied);
            }
            substantial("reason", &reason, 4)?;
            EventBody::Reopened {
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::ScheduleFollowUp { due, reason } => {
            if due < meta.at {
                return Err(ValidationError::new("due", "回访日期不能早于今天".to_owned()).into());
            }
            EventBody::FollowUpScheduled {
                due,
                reason: text("reason", &reason, SHORT)?,
            }
        }
        Command::CheckPerformance {
            obligation,
            performed,
            note,
        } => {
            let exists = match &case.outcome {
                Some(Outcome::Succeeded { obligations, .. }) => {
                    (obligation as usize) < obligations.len()
                }
                _ => false,
            };
            if !exists {
                return Err(DomainError::NoSuchObligation);
            }
            EventBody::PerformanceChecked {
                obligation,
                performed,
                note: optional_text("note", note.as_deref(), LONG)?,
            }
        }
        Command::DraftAgreement {
            agreement,
            content_hash,
        } => {
            require(&[Status::Mediating])?;
            no_refusal(case)?;
            if case
                .agreement
                .as_ref()
                .is_some_and(|a| a.effective_at.is_some())
            {
                return Err(MediationError::AlreadyEffective.into());
            }
            if !is_sha256_hex(&content_hash) {
                return Err(MediationError::BadHash.into());
            }
            let agreement = agreement.check()?;
            // Signatures are by party index, so the agreement must name the case's parties in
            // the case's order.
            let named: Vec<&str> = agreement
                .draft()
                .parties
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            let parties: Vec<&str> = case.parties.iter().map(|p| p.name.as_str()).collect();
            if named != parties {
                return Err(ValidationError::new(
                    "agreement.parties",
                    "调解协议书的当事人应与案件登记的当事人一致".to_owned(),
                )
                .into());
            }
            EventBody::AgreementDrafted {
                version: case.agreement.as_ref().map_or(1, |a| a.version + 1),
                agreement,
                content_hash,
            }
        }
        Command::SignAgreement { signature } => {
            require(&[Status::Mediating])?;
            no_refusal(case)?;
            let record = case.agreement.as_ref().ok_or(MediationError::NoAgreement)?;
            if record.effective_at.is_some() {
                return Err(MediationError::AlreadyEffective.into());
            }
            match signature.signer {
                Signer::Mediator => {
                    if case.mediator.as_ref().map(|m| m.id) != Some(meta.actor.id) {
                        return Err(MediationError::NotTheMediator.into());
                    }
                }
                Signer::Party(i) => {
                    // The application proves the resident's phone is this party's; the record
                    // must name them too.
                    let party = case
                        .parties
                        .get(i as usize)
                        .ok_or(MediationError::NoSuchParty)?;
                    if meta.actor.role != Role::Resident || meta.actor.name != party.name {
                        return Err(MediationError::NotTheParty.into());
                    }
                }
            }
            let mut signing = record.signing.clone();
            let signature = crate::mediation::Signature {
                at: meta.at,
                ..signature
            };
            let effective = signing.sign(signature.clone())?.is_some();
            EventBody::AgreementSigned {
                signature,
                effective,
            }
        }
        Command::ApplyConfirmation {
            applicants,
            court,
            calendar,
        } => {
            if case.confirmation.is_some() {
                return Err(MediationError::AlreadyApplied.into());
            }
            let record = case.agreement.as_ref().ok_or(MediationError::NoAgreement)?;
            let deadline = check_confirmation(&record.signing, &applicants, meta.at, &calendar)?;
            let mut applicants = applicants;
            applicants.sort_unstable();
            applicants.dedup();
            EventBody::ConfirmationApplied {
                applicants,
                court: text("court", &court, 100)?,
                deadline: Timestamp::midnight_cst(deadline),
            }
        }
        Command::RecordConfirmation {
            confirmed,
            ruling,
            note,
        } => {
            let applied = case
                .confirmation
                .as_ref()
                .ok_or(MediationError::NotApplied)?;
            if applied.ruling.is_some() {
                return Err(MediationError::AlreadyRuled.into());
            }
            EventBody::ConfirmationRuled {
                confirmed,
                ruling: text("ruling", &ruling, 100)?,
                note: optional_text("note", note.as_deref(), LONG)?,
            }
        }
        Command::UseRoom { activity, party } => {
            match party {
                Some(i) => {
                    let p = case
                        .parties
                        .get(i as usize)
                        .ok_or(MediationError::NoSuchParty)?;
                    if meta.actor.role != Role::Resident || meta.actor.name != p.name {
                        return Err(MediationError::NotTheParty.into());
                    }
                }
                None if meta.actor.role == Role::Resident => {
                    return Err(MediationError::NotTheParty.into());
                }
                None => {}
            }
            match activity {
                RoomActivity::Joined => EventBody::RoomJoined { party },
                RoomActivity::Left => EventBody::RoomLeft { party },
                RoomActivity::Message { text: said } => EventBody::RoomMessage {
                    party,
                    text: text("text", &said, ROOM_MESSAGE_MAX)?,
                },
            }
        }
        Command::RecordConfirmationReceipt { receipt } => {
            let applied = case
                .confirmation
                .as_ref()
                .ok_or(MediationError::NotApplied)?;
            if applied.receipt.is_some() {
                return Err(MediationError::AlreadyApplied.into());
            }
            EventBody::ConfirmationReceived {
                receipt: text("receipt", &receipt, 100)?,
            }
        }
        Command::StatePreference {
            organisation,
            mediator,
        } => {
            if organisation.is_none() && mediator.is_none() {
                return Err(ValidationError::new(
                    "preference",
                    "请选择调解组织或调解员".to_owned(),
                )
                .into());
            }
            EventBody::PreferenceStated {
                organisation,
                mediator,
            }
        }
        Command::ScheduleSession {
            at,
            mode,
            place,
            note,
        } => {
            no_refusal(case)?;
            if at <= meta.at {
                return Err(ValidationError::new("at", "调解时间应晚于现在".to_owned()).into());
            }
            EventBody::SessionScheduled {
                number: case.scheduled.len() as u32 + 1,
                at,
                mode,
                place: text("place", &place, SHORT)?,
                note: optional_text("note", note.as_deref(), SHORT)?,
            }
        }
        Command::RequestFiling {
            filing_id,
            court,
            claims,
            party,
        } => {
            let failed = match &case.outcome {
                Some(Outcome::Failed { .. }) => true,
                Some(Outcome::Referred { target, .. }) => *target == ReferralTarget::Court,
                _ => false,
            };
            if !failed {
                return Err(DomainError::NotForFiling);
            }
            if case.filings.iter().any(|f| f.receipt.is_none()) {
                return Err(DomainError::FilingPending);
            }
            if let Some(p) = party
                && p as usize >= case.parties.len()
            {
                return Err(MediationError::NoSuchParty.into());
            }
            EventBody::FilingRequested {
                filing_id: text("filing_id", &filing_id, 64)?,
                court: text("court", &court, 100)?,
                claims: text("claims", &claims, LONG)?,
                party,
            }
        }
        Command::RecordFilingReceipt { filing_id, receipt } => {
            if !case
                .filings
                .iter()
                .any(|f| f.filing_id == filing_id && f.receipt.is_none())
            {
                return Err(DomainError::NoSuchFiling);
            }
            EventBody::FilingReceived {
                filing_id,
                receipt: text("receipt", &receipt, 100)?,
            }
        }
        Command::AddEvidence { evidence } => {
            if !is_sha256_hex(&evidence.sha256) {
                return Err(MediationError::BadHash.into());
            }
            if case.evidence.len() >= MAX_EVIDENCE {
                return Err(ValidationError::new(
                    "file",
                    format!("每个案件最多保存{MAX_EVIDENCE}份证据材料"),
                )
                .into());
            }
            if case.evidence.iter().any(|e| e.sha256 == evidence.sha256) {
                return Err(DomainError::DuplicateEvidence);
            }
            if let Some(p) = evidence.party
                && p as usize >= case.parties.len()
            {
                return Err(MediationError::NoSuchParty.into());
            }
            EventBody::EvidenceAdded {
                evidence: crate::mediation::Evidence {
                    name: text("file", &evidence.name, 100)?,
                    description: optional_text(
                        "description",
                        evidence.description.as_deref(),
                        SHORT,
                    )?,
                    ..evidence
                },
            }
        }
    })
}

/// The most files one case keeps as evidence.
pub const MAX_EVIDENCE: usize = 200;

/// The outcome a signed agreement states: its terms, the total of its payments, and each
/// duty as an obligation (with its manner of performance in the duty's text).
fn from_written(
    r: &crate::mediation::AgreementRecord,
) -> Result<(String, Option<crate::money::Money>, Vec<Obligation>), DomainError> {
    let a = r.agreement.draft();
    let fen: i64 = a
        .duties
        .iter()
        .filter_map(|d| d.amount)
        .map(|m| m.fen())
        .sum();
    let amount = if fen > 0 {
        Some(crate::money::Money::from_fen(fen)?)
    } else {
        None
    };
    let obligations = a
        .duties
        .iter()
        .map(|d| Obligation {
            party: d.party.clone(),
            duty: format!("{}（{}）", d.duty, d.manner),
            amount: d.amount,
            due: Some(d.due),
        })
        .collect();
    let text = format!(
        "人民调解协议书第{}版（校验码 {}）：{}",
        r.version,
        r.content_hash,
        a.terms.join("")
    );
    Ok((text, amount, obligations))
}

/// Whether `upper` is at a higher level than `lower` and contains it.
fn above(upper: &OrgRef, lower: &OrgRef) -> bool {
    upper.division.level() < lower.division.level() && upper.division.contains(&lower.division)
}

/// The parties' recorded answers to the invitation to mediate, as the rules read them.
fn consents(case: &Case) -> Consents {
    let mut c = Consents::new(case.parties.iter().map(|p| p.name.clone()).collect());
    c.answers.clone_from(&case.consents);
    c
}

/// Refuses to go on mediating once a party has refused or withdrawn consent (Art. 17): no more
/// sessions and no agreement; the case ends otherwise (terminated, withdrawn or referred).
fn no_refusal(case: &Case) -> Result<(), DomainError> {
    let c = consents(case);
    if c.refused_by().is_some() {
        c.may_mediate()?;
    }
    Ok(())
}

/// Whether a command can apply to a case in `status` at all. Closing has further conditions that
/// depend on the outcome (mediation outcomes need mediation); see [`handle`].
pub fn allowed_in(command: CommandName, status: Status) -> bool {
    use CommandName as N;
    match command {
        N::Register => false,
        N::Accept | N::Decline => status == Status::Registered,
        N::Assign | N::Route => matches!(
            status,
            Status::Accepted | Status::Assigned | Status::InProgress
        ),
        N::Acknowledge => status == Status::Assigned,
        N::StartMediation => status == Status::InProgress,
        // Consent can be given before mediation starts and withdrawn while it goes on.
        // An online applicant's own application is their consent, recorded at registration.
        N::RecordConsent => matches!(
            status,
            Status::Registered
                | Status::Accepted
                | Status::Assigned
                | Status::InProgress
                | Status::Mediating
        ),
        N::RecordSession => status == Status::Mediating,
        N::Close | N::LinkReport => status.is_open(),
        N::FollowUp | N::Rate => matches!(status, Status::Closed | Status::FollowedUp),
        N::ViewPersonalData => true,
        // The intake stage has clocks too (受理时限): they can be set, reminded about, marked
        // overdue and supervised before the case is accepted.
        N::SetTimeLimit | N::Supervise | N::Remind | N::MarkOverdue => status.is_open(),
        N::InviteConsultation
        | N::RecordOpinion
        | N::ReferOut
        | N::AnswerReferral
        | N::Pause
        | N::Resume => status.is_open() && status != Status::Registered,
        N::Escalate | N::Transfer => matches!(
            status,
            Status::Assigned | Status::InProgress | Status::Mediating
        ),
        N::HandDown => matches!(
            status,
            Status::Accepted | Status::Assigned | Status::InProgress | Status::Mediating
        ),
        N::Reopen | N::ScheduleFollowUp | N::CheckPerformance => {
            matches!(status, Status::Closed | Status::FollowedUp)
        }
        N::DraftAgreement | N::SignAgreement => status == Status::Mediating,
        N::AddEvidence => status.is_open(),
        N::UseRoom => status == Status::Mediating,
        N::ScheduleSession => matches!(status, Status::InProgress | Status::Mediating),
        // Before dispatch, so the window can follow it.
        N::StatePreference => matches!(status, Status::Registered | Status::Accepted),
        N::RequestFiling | N::RecordFilingReceipt => {
            matches!(status, Status::Closed | Status::FollowedUp)
        }
        // The agreement may be confirmed whether or not the case was closed in the meantime.
        N::ApplyConfirmation | N::RecordConfirmation | N::RecordConfirmationReceipt => matches!(
            status,
            Status::Mediating | Status::Closed | Status::FollowedUp
        ),
    }
}
