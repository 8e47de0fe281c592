//! Additive counts per day × division × dispute type, maintained with the events.
//!
//! Every metric is a sum of per-case contributions, and a case's contributions are a function of
//! its facts alone. So the aggregate after an append changes by exactly
//! `contributions(after) − contributions(before)` ([`delta`]), and folding those deltas over a
//! case's history gives the same cells as the contributions of its final state: an incremental
//! table and a rebuild from the log cannot disagree.
//!
//! Each metric counts on one day:
//!
//! - [`Metric::Registered`] and [`Metric::FoundBySweep`] on the registration day;
//! - [`Metric::Petitions`] on the day of each petition (registration through 信访, or a linked
//!   信访 report);
//! - [`Metric::Declined`] on the day it was declined;
//! - every outcome metric (closed, mediated, succeeded, followed up, ratings, performance, days
//!   to close…) on the closing day, even when the follow-up or the performance check comes later:
//!   the delta then corrects that earlier day. A reopened case withdraws its outcome metrics from
//!   the old closing day and adds them again on the new one.
//!
//! The key carries the case's current dispute type, so a type confirmed at acceptance moves the
//! registration from the untyped cell to the typed one.

use std::collections::BTreeMap;

use hejie_domain::case::{DisputeType, Satisfaction};
use hejie_domain::division::DivisionCode;
use time::Date;

use crate::facts::CaseFacts;

/// The last whole-day bucket of the days-to-close histogram; longer cases share it.
pub const CLOSE_DAYS_CAP: u16 = 181;

/// A cell of the aggregate table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub day: Date,
    pub division: DivisionCode,
    /// `None` while the case has no type yet.
    pub dispute_type: Option<DisputeType>,
}

/// What a cell counts. Every metric is a count of cases except [`Metric::CloseDaysSum`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// 登记: cases registered.
    Registered,
    /// 排查: cases found in sweeps.
    FoundBySweep,
    /// 信访量: petitions about disputes (registrations and linked reports through 信访).
    Petitions,
    /// 不予受理.
    Declined,
    /// 结案: concluded cases (closed or followed up, not declined).
    Closed,
    /// 调解终结: mediation ended in success or failure.
    Mediated,
    /// 调成: mediation succeeded.
    Succeeded,
    /// Civil and commercial cases whose mediation ended.
    CivilMediated,
    /// Civil and commercial cases mediated successfully.
    CivilSucceeded,
    /// 化解: resolved with an agreement (the same cases as [`Metric::Succeeded`]; kept apart so
    /// that a later change of definition does not move the success rate).
    Resolved,
    /// 就地化解: resolved without escalation.
    ResolvedLocally,
    /// 预防: found in a sweep and resolved without escalation.
    Prevented,
    /// 回访: concluded cases followed up.
    FollowedUp,
    /// Concluded major (重大) cases.
    MajorClosed,
    /// Concluded major cases followed up.
    MajorFollowedUp,
    /// Concluded cases with a satisfaction rating.
    Ratings,
    /// Ratings 满意 or 基本满意.
    Satisfied,
    /// Agreements with at least one obligation checked.
    AgreementsDue,
    /// Agreements whose checked obligations were all performed.
    AgreementsPerformed,
    /// Sum over concluded cases of whole days to close.
    CloseDaysSum,
    /// Concluded cases that took this many whole days (the last bucket: this many or more).
    CloseDays(u16),
    /// Concluded cases that went on to a petition, litigation or violence.
    EndedEscalated,
}

impl Metric {
    /// Stable code for storage, e.g. `succeeded` or `close_days_17`.
    pub fn code(self) -> String {
        let s = match self {
            Metric::Registered => "registered",
            Metric::FoundBySweep => "found_by_sweep",
            Metric::Petitions => "petitions",
            Metric::Declined => "declined",
            Metric::Closed => "closed",
            Metric::Mediated => "mediated",
            Metric::Succeeded => "succeeded",
            Metric::CivilMediated => "civil_mediated",
            Metric::CivilSucceeded => "civil_succeeded",
            Metric::Resolved => "resolved",
            Metric::ResolvedLocally => "resolved_locally",
            Metric::Prevented => "prevented",
            Metric::FollowedUp => "followed_up",
            Metric::MajorClosed => "major_closed",
            Metric::MajorFollowedUp => "major_followed_up",
            Metric::Ratings => "ratings",
            Metric::Satisfied => "satisfied",
            Metric::AgreementsDue => "agreements_due",
            Metric::AgreementsPerformed => "agreements_performed",
            Metric::CloseDaysSum => "close_days_sum",
            Metric::CloseDays(d) => return format!("close_days_{d}"),
            Metric::EndedEscalated => "ended_escalated",
        };
        s.to_owned()
    }

    /// Reads a code written by [`Metric::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        if let Some(d) = code.strip_prefix("close_days_")
            && let Ok(d) = d.parse::<u16>()
        {
            return (d <= CLOSE_DAYS_CAP).then_some(Metric::CloseDays(d));
        }
        Self::SIMPLE.iter().copied().find(|m| m.code() == code)
    }

    /// Every metric without a parameter.
    pub const SIMPLE: &'static [Metric] = &[
        Metric::Registered,
        Metric::FoundBySweep,
        Metric::Petitions,
        Metric::Declined,
        Metric::Closed,
        Metric::Mediated,
        Metric::Succeeded,
        Metric::CivilMediated,
        Metric::CivilSucceeded,
        Metric::Resolved,
        Metric::ResolvedLocally,
        Metric::Prevented,
        Metric::FollowedUp,
        Metric::MajorClosed,
        Metric::MajorFollowedUp,
        Metric::Ratings,
        Metric::Satisfied,
        Metric::AgreementsDue,
        Metric::AgreementsPerformed,
        Metric::CloseDaysSum,
        Metric::EndedEscalated,
    ];
}

/// One case's additions to the table, zero entries left out, each (key, metric) at most once.
pub fn contributions(f: &CaseFacts) -> Vec<(Key, Metric, i64)> {
    let key = |day: Date| Key {
        day,
        division: f.division.clone(),
        dispute_type: f.dispute_type,
    };
    let mut out: BTreeMap<(Key, Metric), i64> = BTreeMap::new();
    let mut add = |k: Key, m: Metric, n: i64| {
        if n != 0 {
            *out.entry((k, m)).or_insert(0) += n;
        }
    };
    let reg = key(f.registered_day);
    add(reg.clone(), Metric::Registered, 1);
    add(reg, Metric::FoundBySweep, i64::from(f.found_by_sweep));
    for day in &f.petition_days {
        add(key(*day), Metric::Petitions, 1);
    }
    if let Some(closed) = f.closed_day {
        let k = key(closed);
        let b = |x: bool| i64::from(x);
        if !f.concluded {
            add(k.clone(), Metric::Declined, 1);
        }
        if f.concluded {
            add(k.clone(), Metric::Closed, 1);
            add(k.clone(), Metric::Mediated, b(f.mediated));
            add(k.clone(), Metric::Succeeded, b(f.success));
            add(
                k.clone(),
                Metric::CivilMediated,
                b(f.mediated && f.civil_commercial),
            );
            add(
                k.clone(),
                Metric::CivilSucceeded,
                b(f.success && f.civil_commercial),
            );
            add(k.clone(), Metric::Resolved, b(f.success));
            add(k.clone(), Metric::ResolvedLocally, b(f.resolved_locally));
            add(
                k.clone(),
                Metric::Prevented,
                b(f.found_by_sweep && f.resolved_locally),
            );
            add(k.clone(), Metric::FollowedUp, b(f.followed_up));
            add(k.clone(), Metric::MajorClosed, b(f.major));
            add(
                k.clone(),
                Metric::MajorFollowedUp,
                b(f.major && f.followed_up),
            );
            add(k.clone(), Metric::Ratings, b(f.satisfaction.is_some()));
            add(
                k.clone(),
                Metric::Satisfied,
                b(matches!(
                    f.satisfaction,
                    Some(Satisfaction::Satisfied | Satisfaction::FairlySatisfied)
                )),
            );
            add(k.clone(), Metric::AgreementsDue, b(f.performed.is_some()));
            add(
                k.clone(),
                Metric::AgreementsPerformed,
                b(f.performed == Some(true)),
            );
            add(k.clone(), Metric::EndedEscalated, b(f.escalation.is_some()));
            if let Some(days) = f.days_to_close {
                add(k.clone(), Metric::CloseDaysSum, i64::from(days));
                let bucket = u16::try_from(days)
                    .unwrap_or(CLOSE_DAYS_CAP)
                    .min(CLOSE_DAYS_CAP);
                add(k, Metric::CloseDays(bucket), 1);
            }
        }
    }
    out.into_iter().map(|((k, m), n)| (k, m, n)).collect()
}

/// What an append changes: the contributions after minus those before, zero entries dropped.
/// `before` is `None` for the registration.
pub fn delta(before: Option<&CaseFacts>, after: &CaseFacts) -> Vec<(Key, Metric, i64)> {
    let mut cells: BTreeMap<(Key, Metric), i64> = BTreeMap::new();
    for (k, m, n) in contributions(after) {
        *cells.entry((k, m)).or_insert(0) += n;
    }
    if let Some(b) = before {
        for (k, m, n) in contributions(b) {
            *cells.entry((k, m)).or_insert(0) -= n;
        }
    }
    cells
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((k, m), n)| (k, m, n))
        .collect()
}

/// The aggregate table: cells with a non-zero count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregates {
    cells: BTreeMap<(Key, Metric), i64>,
}

impl Aggregates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the table from the current facts of every case.
    pub fn rebuild<'a>(cases: impl IntoIterator<Item = &'a CaseFacts>) -> Self {
        let mut a = Self::new();
        for f in cases {
            a.apply(&contributions(f));
        }
        a
    }

    /// Adds a delta (or contributions); cells that reach zero are removed so that an
    /// incrementally kept table and a rebuilt one compare equal.
    pub fn apply(&mut self, changes: &[(Key, Metric, i64)]) {
        for (k, m, n) in changes {
            let cell = self.cells.entry((k.clone(), *m)).or_insert(0);
            *cell += n;
            if *cell == 0 {
                self.cells.remove(&(k.clone(), *m));
            }
        }
    }

    /// Every non-zero cell, in key order.
    pub fn cells(&self) -> impl Iterator<Item = (&Key, Metric, i64)> {
        self.cells.iter().map(|((k, m), n)| (k, *m, *n))
    }

    /// Sums every metric over the cells whose key passes `filter` (a period, a division's
    /// subtree, a type).
    pub fn totals(&self, filter: impl Fn(&Key) -> bool) -> Totals {
        let mut t = Totals::default();
        for ((k, m), n) in &self.cells {
            if filter(k) {
                t.add(*m, *n);
            }
        }
        t
    }
}

/// Sums of metrics over a set of cells: what the indicators are computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    sums: BTreeMap<Metric, i64>,
}

impl Totals {
    pub fn get(&self, m: Metric) -> i64 {
        self.sums.get(&m).copied().unwrap_or(0)
    }

    pub fn add(&mut self, m: Metric, n: i64) {
        let cell = self.sums.entry(m).or_insert(0);
        *cell += n;
        if *cell == 0 {
            self.sums.remove(&m);
        }
    }

    /// Folds changes (contributions or deltas) into the sums, ignoring keys.
    pub fn fold<'a>(changes: impl IntoIterator<Item = &'a (Key, Metric, i64)>) -> Self {
        let mut t = Self::default();
        for (_, m, n) in changes {
            t.add(*m, *n);
        }
        t
    }

    /// The smallest whole number of days within which at least `percent` % of the concluded
    /// cases were closed, from the days histogram; `None` when no case is counted.
    /// [`CLOSE_DAYS_CAP`] stands for that many days or more.
    pub fn close_days_percentile(&self, percent: u8) -> Option<u16> {
        let buckets: Vec<(u16, i64)> = self
            .sums
            .iter()
            .filter_map(|(m, n)| match m {
                Metric::CloseDays(d) => Some((*d, *n)),
                _ => None,
            })
            .collect();
        let total: i64 = buckets.iter().map(|(_, n)| n).sum();
        if total <= 0 {
            return None;
        }
        // The rank of the case at the percentile, counting from 1 and rounding up in integers
        // (no floating-point edge), so that the p90 of ten cases is the ninth fastest.
        let percent = i64::from(percent.min(100));
        let rank = ((percent * total + 99) / 100).max(1);
        let mut seen = 0;
        for (d, n) in buckets {
            seen += n;
            if seen >= rank {
                return Some(d);
            }
        }
        None
    }
}
