//! What the indicators, the aggregates and the model need to know about one case.
//!
//! [`CaseFacts::of`] reads only the folded [`Case`], never the events, so the application can
//! compute the facts of the state before and after an append and hand both to
//! [`crate::aggregate::delta`]. Every day here is a calendar day in China Standard Time, because
//! that is the day a clerk and a leader mean.
//!
//! Decisions, repeated in `docs/indicators.md`:
//!
//! - A case is *concluded* when it is closed (已结案) or followed up (已回访) with an outcome. A
//!   declined case (不予受理) is not concluded: it never entered mediation.
//! - *Mediated* (调解终结) means the mediation reached an end: the outcome is 调解成功 or
//!   调解不成. Withdrawn and referred cases are concluded but not mediated.
//! - *Resolved* (化解) means concluded with an agreement (调解成功).
//! - *Resolved locally* (就地化解) means resolved without any escalation (上报). Hand-downs and
//!   transfers do not count as escalation: they do not move the case up.
//! - *Followed up* means the status is 已回访: a reopened and closed-again case needs a new
//!   follow-up to count again.
//! - *Satisfaction* is the follow-up's rating, or the party's own rating when no follow-up was
//!   recorded; it is read only for concluded cases.
//! - *Performance* (履行) is per agreement: an agreement is due once at least one of its
//!   obligations has been checked, and performed when every checked obligation was performed.
//! - *Days to close* is the elapsed time from registration to closing in whole days, rounded up
//!   (a case closed within the first 24 hours took 1 day; one closed at the instant of
//!   registration took 0).
//! - The model's *escalation* label is how the record shows that a dispute went beyond
//!   mediation: a petition (a 信访 report linked to the case, or a referral to 信访部门 that was
//!   accepted), litigation (an accepted referral to a court), or violence (an accepted referral to
//!   the police, the record's trace of a fight or a threat acted upon).

use hejie_domain::case::{
    Case, Channel, DisputeType, Outcome, ReferralTarget, Satisfaction, Severity, Status,
};
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use time::Date;

/// The calendar day of an instant in China Standard Time.
pub fn cst_day(t: Timestamp) -> Date {
    t.date_cst()
}

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// How a case ended, as far as the indicators distinguish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutcomeKind {
    Succeeded,
    Failed,
    Withdrawn,
    Referred(ReferralTarget),
    /// 不予受理: refused at the window, with guidance.
    Declined,
}

/// How a dispute went beyond mediation: what the escalation model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Escalation {
    Petition,
    Litigation,
    Violence,
}

impl Escalation {
    pub fn label(self) -> &'static str {
        match self {
            Escalation::Petition => "信访",
            Escalation::Litigation => "诉讼",
            Escalation::Violence => "治安或刑事案件",
        }
    }
}

/// Everything the analytics need about one case, derived from its state alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// The division where the dispute arose (village or community as a rule).
    pub division: DivisionCode,
    pub dispute_type: Option<DisputeType>,
    pub channel: Channel,
    pub severity: Option<Severity>,
    pub head_count: Option<u32>,
    pub registered_at: Timestamp,
    pub registered_day: Date,
    /// The CST day the case was closed or declined; `None` while it is open.
    pub closed_day: Option<Date>,
    pub outcome: Option<OutcomeKind>,
    /// Still needs work before it can be closed.
    pub open: bool,
    /// Concluded (closed or followed up) with an outcome; declined cases are not.
    pub concluded: bool,
    /// Mediation reached an end: 调解成功 or 调解不成.
    pub mediated: bool,
    /// Concluded with an agreement (调解成功).
    pub success: bool,
    /// The type is civil or commercial (民商事).
    pub civil_commercial: bool,
    /// Resolved without any escalation (就地化解).
    pub resolved_locally: bool,
    /// Found in a sweep (排查发现).
    pub found_by_sweep: bool,
    /// The latest closing was followed up (已回访).
    pub followed_up: bool,
    /// Severity 重大.
    pub major: bool,
    pub satisfaction: Option<Satisfaction>,
    /// `None` while no obligation of the agreement has been checked; otherwise whether every
    /// checked obligation was performed.
    pub performed: Option<bool>,
    /// Whole days from registration to closing, rounded up; only for concluded cases.
    pub days_to_close: Option<u32>,
    pub sessions: u32,
    pub escalations: u32,
    pub reopenings: u32,
    /// Reports of the same dispute linked to the case (再次反映).
    pub repeat_reports: u32,
    /// Days of petitions about this case: registration through 信访 and each linked 信访 report.
    pub petition_days: Vec<Date>,
    /// Whether and how the dispute went beyond mediation: the model's label.
    pub escalation: Option<Escalation>,
}

impl CaseFacts {
    /// The facts of a case's current state.
    pub fn of(c: &Case) -> Self {
        let outcome = match (&c.status, &c.outcome) {
            (Status::Declined, _) => Some(OutcomeKind::Declined),
            (_, Some(Outcome::Succeeded { .. })) => Some(OutcomeKind::Succeeded),
            (_, Some(Outcome::Failed { .. })) => Some(OutcomeKind::Failed),
            (_, Some(Outcome::Withdrawn { .. })) => Some(OutcomeKind::Withdrawn),
            (_, Some(Outcome::Referred { target, .. })) => Some(OutcomeKind::Referred(*target)),
            (_, None) => None,
        };
        let concluded = matches!(c.status, Status::Closed | Status::FollowedUp)
            && outcome.is_some_and(|o| o != OutcomeKind::Declined);
        let success = concluded && outcome == Some(OutcomeKind::Succeeded);
        let mediated =
            concluded && matches!(outcome, Some(OutcomeKind::Succeeded | OutcomeKind::Failed));
        let followed_up = concluded && c.status == Status::FollowedUp;
        let satisfaction = if !concluded {
            None
        } else if followed_up {
            c.satisfaction.or(c.party_rating)
        } else {
            c.party_rating
        };
        // Performance checks survive a reopening in the state; they count only while the case
        // stands closed with the agreement they belong to.
        let performed = (success && !c.performance.is_empty())
            .then(|| c.performance.iter().all(|(_, done)| *done));
        let closed_day = if c.status.is_open() {
            None
        } else {
            c.closed_at.map(cst_day)
        };
        let days_to_close = c.closed_at.filter(|_| concluded).map(|closed| {
            let elapsed = (closed.micros() - c.registered_at.micros()).max(0);
            u32::try_from((elapsed + MICROS_PER_DAY - 1) / MICROS_PER_DAY).unwrap_or(u32::MAX)
        });
        let mut petition_days: Vec<Date> = Vec::new();
        if c.channel == Channel::Petition {
            petition_days.push(cst_day(c.registered_at));
        }
        petition_days.extend(
            c.linked_reports
                .iter()
                .filter(|(ch, _)| *ch == Channel::Petition)
                .map(|(_, at)| cst_day(*at)),
        );
        let petition_linked = c
            .linked_reports
            .iter()
            .any(|(ch, _)| *ch == Channel::Petition);
        let escalation = match outcome.filter(|_| concluded) {
            Some(OutcomeKind::Referred(ReferralTarget::Police)) => Some(Escalation::Violence),
            Some(OutcomeKind::Referred(ReferralTarget::Court)) => Some(Escalation::Litigation),
            Some(OutcomeKind::Referred(ReferralTarget::LettersAndVisits)) => {
                Some(Escalation::Petition)
            }
            _ if petition_linked => Some(Escalation::Petition),
            _ => None,
        };
        Self {
            division: c.location.division.clone(),
            dispute_type: c.dispute_type,
            channel: c.channel,
            severity: c.severity,
            head_count: c.head_count,
            registered_at: c.registered_at,
            registered_day: cst_day(c.registered_at),
            closed_day,
            outcome,
            open: c.status.is_open(),
            concluded,
            mediated,
            success,
            civil_commercial: c.dispute_type.is_some_and(DisputeType::is_civil_commercial),
            resolved_locally: success && c.escalations == 0,
            found_by_sweep: c.channel == Channel::Sweep,
            followed_up,
            major: c.severity == Some(Severity::Major),
            satisfaction,
            performed,
            days_to_close,
            sessions: c.sessions,
            escalations: c.escalations,
            reopenings: c.reopenings,
            repeat_reports: u32::try_from(c.linked_reports.len()).unwrap_or(u32::MAX),
            petition_days,
            escalation,
        }
    }

    /// Whole days the case has been open at `today` (or took, if it is closed), counting the
    /// registration day as day 0.
    pub fn days_open(&self, today: Date) -> u32 {
        let end = self.closed_day.unwrap_or(today);
        u32::try_from((end - self.registered_day).whole_days().max(0)).unwrap_or(u32::MAX)
    }

    /// Whether the mediation ended without agreement (调解不成).
    pub fn failed_mediation(&self) -> bool {
        self.concluded && self.outcome == Some(OutcomeKind::Failed)
    }
}
