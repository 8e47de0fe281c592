//! The closed loop's state: the two clocks (两个时钟), pauses, supervision (督办), joint
//! consultation (会诊) and pending referrals. These are folded from events like everything else;
//! reading a clock needs a calendar and an instant, which the caller supplies.

use serde::{Deserialize, Serialize};

use super::{OrgRef, PersonRef, ReferralTarget};
use crate::calendar::WorkCalendar;
use crate::clock::{Clock, Limit, Pause, Reading};
use crate::error::ValidationError;
use crate::timestamp::Timestamp;

use std::fmt;

vocabulary! {
    /// The clocks a case carries.
    ClockKind {
        Acknowledge = "acknowledge", "签收时限";
        Resolve = "resolve", "办理时限";
        Overall = "overall", "总时限";
    }
}

vocabulary! {
    /// Why the clocks stand still (中止计时).
    PauseReason {
        AwaitingParty = "awaiting_party", "等待当事人";
        Appraisal = "appraisal", "鉴定评估";
        Other = "other", "其他原因";
    }
}

/// A supervision (督办) by the level above: a note and a new deadline for the holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supervision {
    pub by: PersonRef,
    pub note: String,
    pub at: Timestamp,
    pub limit: Limit,
}

/// The holder's stage: it begins whenever the case reaches a holder (registration, dispatch,
/// escalation, hand-down, transfer, reopening) and ends with the next hand-over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Counts stages from 1; jobs and notifications about a stage carry it so that a reminder
    /// meant for an earlier holder is never delivered to a later one.
    pub no: u32,
    pub since: Timestamp,
    /// Running until the holder signs for the case (签收).
    pub acknowledge: Option<Clock>,
    pub resolve: Option<Clock>,
    pub reminded: Vec<ClockKind>,
    pub overdue: Vec<ClockKind>,
    pub overdue_since: Option<Timestamp>,
    pub supervisions: Vec<Supervision>,
    /// Instructions given with a hand-down (交办).
    pub instructions: Option<String>,
}

impl Stage {
    pub fn new(no: u32, since: Timestamp) -> Self {
        Self {
            no,
            since,
            acknowledge: None,
            resolve: None,
            reminded: Vec::new(),
            overdue: Vec::new(),
            overdue_since: None,
            supervisions: Vec::new(),
            instructions: None,
        }
    }

    pub fn clock(&self, kind: ClockKind) -> Option<&Clock> {
        match kind {
            ClockKind::Acknowledge => self.acknowledge.as_ref(),
            ClockKind::Resolve => self.resolve.as_ref(),
            ClockKind::Overall => None,
        }
    }
}

/// Both clocks of a case and the pauses that stop them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clocks {
    /// Since registration; never reset (overall limit by type and channel).
    pub overall: Option<Clock>,
    pub overall_reminded: bool,
    pub overall_overdue: bool,
    pub stage: Option<Stage>,
    /// Pauses, oldest first. Closing also pauses (a reopened case does not count closed time).
    pub pauses: Vec<Pause>,
}

impl Clocks {
    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    pub fn stage_no(&self) -> u32 {
        self.stage.as_ref().map_or(0, |s| s.no)
    }

    /// The clock of a kind, if running.
    pub fn clock(&self, kind: ClockKind) -> Option<&Clock> {
        match kind {
            ClockKind::Overall => self.overall.as_ref(),
            _ => self.stage.as_ref().and_then(|s| s.clock(kind)),
        }
    }

    /// Reads one clock at `now`.
    pub fn read(&self, kind: ClockKind, cal: &WorkCalendar, now: Timestamp) -> Option<Reading> {
        self.clock(kind).map(|c| c.read(&self.pauses, cal, now))
    }

    /// Reads every running clock.
    pub fn readings(&self, cal: &WorkCalendar, now: Timestamp) -> Vec<(ClockKind, Reading)> {
        ClockKind::ALL
            .iter()
            .filter_map(|k| self.read(*k, cal, now).map(|r| (*k, r)))
            .collect()
    }

    /// The most urgent running clock: overdue ones first, then the least time left (compared in
    /// real time to the deadline), paused clocks last.
    pub fn most_urgent(&self, cal: &WorkCalendar, now: Timestamp) -> Option<(ClockKind, Reading)> {
        self.readings(cal, now)
            .into_iter()
            .min_by_key(|(_, r)| urgency_key(r))
    }

    /// Whether a reminder for this clock was already recorded in the current stage.
    pub fn reminded(&self, kind: ClockKind) -> bool {
        match kind {
            ClockKind::Overall => self.overall_reminded,
            _ => self
                .stage
                .as_ref()
                .is_some_and(|s| s.reminded.contains(&kind)),
        }
    }

    /// Whether this clock was already marked overdue in the current stage.
    pub fn marked_overdue(&self, kind: ClockKind) -> bool {
        match kind {
            ClockKind::Overall => self.overall_overdue,
            _ => self
                .stage
                .as_ref()
                .is_some_and(|s| s.overdue.contains(&kind)),
        }
    }

    /// When the current stage was first marked overdue, if it was.
    pub fn overdue_since(&self) -> Option<Timestamp> {
        self.stage.as_ref().and_then(|s| s.overdue_since)
    }

    pub fn latest_supervision(&self) -> Option<&Supervision> {
        self.stage.as_ref().and_then(|s| s.supervisions.last())
    }
}

/// Sort key for urgency: (group, deadline) where overdue < running < paused.
pub fn urgency_key(r: &Reading) -> (u8, i64) {
    match (r.paused, r.overdue, r.deadline) {
        (false, true, Some(d)) => (0, d.micros()),
        (false, true, None) => (0, i64::MIN),
        (false, false, Some(d)) => (1, d.micros()),
        _ => (2, -r.remaining_minutes),
    }
}

/// A referral sent out and waiting for the receiving body's answer (回执).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReferral {
    pub target: ReferralTarget,
    pub receiver: String,
    pub reason: String,
    pub at: Timestamp,
}

/// A department or expert invited to a joint consultation, with their opinions so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultant {
    pub organisation: OrgRef,
    pub purpose: String,
    pub opinions: u32,
}

/// Validates a supervision or hand-down note: at least a few characters of substance.
pub(crate) fn substantial(field: &'static str, s: &str, min: usize) -> Result<(), ValidationError> {
    if s.trim().chars().count() < min {
        return Err(ValidationError::new(
            field,
            format!("请填写具体内容（至少{min}个字）"),
        ));
    }
    Ok(())
}
