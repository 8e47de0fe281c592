//! Minimum duties per period (the "四个至少" of legal advisors, the patrol and report counts of
//! grid workers) and a person's compliance with them.
//!
//! A quota is configuration: per role, a period and a list of duties, each naming the kinds of
//! recorded activity that count toward it and how many are needed. Compliance is computed from the
//! activities the caller loaded for one person; nothing here reads a store or a clock, so the
//! caller says which period it means by a date in it.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

use crate::error::ValidationError;
use crate::user::Role;

/// Kinds of recorded field activity that can count toward a duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    SweepVisit,
    Consultation,
    Mediation,
    Publicity,
    Talk,
    Patrol,
    Report,
}

impl ActivityKind {
    pub const ALL: &'static [ActivityKind] = &[
        ActivityKind::SweepVisit,
        ActivityKind::Consultation,
        ActivityKind::Mediation,
        ActivityKind::Publicity,
        ActivityKind::Talk,
        ActivityKind::Patrol,
        ActivityKind::Report,
    ];

    /// Stable code used in storage and APIs; the same string serde writes.
    pub fn code(self) -> &'static str {
        match self {
            ActivityKind::SweepVisit => "sweep_visit",
            ActivityKind::Consultation => "consultation",
            ActivityKind::Mediation => "mediation",
            ActivityKind::Publicity => "publicity",
            ActivityKind::Talk => "talk",
            ActivityKind::Patrol => "patrol",
            ActivityKind::Report => "report",
        }
    }

    /// The term used in the field.
    pub fn label(self) -> &'static str {
        match self {
            ActivityKind::SweepVisit => "走访排查",
            ActivityKind::Consultation => "法律咨询",
            ActivityKind::Mediation => "参与调解",
            ActivityKind::Publicity => "普法宣传",
            ActivityKind::Talk => "法治讲座",
            ActivityKind::Patrol => "网格巡查",
            ActivityKind::Report => "网格上报",
        }
    }

    /// Accepts the code or the Chinese label.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        ActivityKind::ALL
            .iter()
            .copied()
            .find(|v| v.code() == s || v.label() == s)
            .ok_or_else(|| ValidationError::new("ActivityKind", format!("无法识别的取值“{s}”")))
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How often a quota resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    Quarter,
}

impl Period {
    pub const ALL: &'static [Period] = &[Period::Week, Period::Month, Period::Quarter];

    /// Stable code used in storage and APIs; the same string serde writes.
    pub fn code(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }

    /// The term used in the field.
    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "每周",
            Period::Month => "每月",
            Period::Quarter => "每季度",
        }
    }

    /// Accepts the code or the Chinese label.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        Period::ALL
            .iter()
            .copied()
            .find(|v| v.code() == s || v.label() == s)
            .ok_or_else(|| ValidationError::new("Period", format!("无法识别的取值“{s}”")))
    }

    /// The period containing `day`: [start, end) as dates. Weeks start on Monday; quarters are
    /// Jan/Apr/Jul/Oct.
    ///
    /// A period whose end would fall after `Date::MAX` (the last week of year 9999) ends at
    /// `Date::MAX` instead, so the function stays total; no real record reaches that far.
    pub fn range_containing(self, day: Date) -> (Date, Date) {
        match self {
            Period::Week => {
                let back = i64::from(day.weekday().number_days_from_monday());
                let start = day.saturating_sub(Duration::days(back));
                (start, start.saturating_add(Duration::days(7)))
            }
            Period::Month => {
                let start = first_of_month(day.year(), day.month());
                (start, months_after(start, 1))
            }
            Period::Quarter => {
                let first_month = quarter_of(day.month()) * 3 - 2;
                let start = first_of_month(day.year(), month_from_number(first_month));
                (start, months_after(start, 3))
            }
        }
    }

    /// Human label for the period starting at `start`, e.g. "2026年11月", "2026年第4季度",
    /// "2026年11月16日起一周". A date that is not a period start names the period containing it,
    /// so the label always matches what `range_containing` counts.
    pub fn describe(self, start: Date) -> String {
        let (start, _) = self.range_containing(start);
        let year = start.year();
        let month = u8::from(start.month());
        match self {
            Period::Week => format!("{year}年{month}月{}日起一周", start.day()),
            Period::Month => format!("{year}年{month}月"),
            Period::Quarter => format!("{year}年第{}季度", quarter_of(start.month())),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The quarter (1 to 4) a month belongs to.
fn quarter_of(month: Month) -> u8 {
    (u8::from(month) - 1) / 3 + 1
}

/// The month with number `n` (1 to 12); callers only pass numbers they computed from a month.
fn month_from_number(n: u8) -> Month {
    Month::try_from(n).unwrap_or(Month::January)
}

/// The first day of a month. Every month of a representable year has a first day, so the
/// fallback only keeps this total.
fn first_of_month(year: i32, month: Month) -> Date {
    Date::from_calendar_date(year, month, 1).unwrap_or(Date::MAX)
}

/// The first day of the month `n` months after the first-of-month `start` (n at most 12),
/// saturating at `Date::MAX` past year 9999.
fn months_after(start: Date, n: u8) -> Date {
    let zero_based = u8::from(start.month()) - 1 + n;
    let year = start.year() + i32::from(zero_based / 12);
    let month = month_from_number(zero_based % 12 + 1);
    Date::from_calendar_date(year, month, 1).unwrap_or(Date::MAX)
}

/// One minimum duty: at least `min` activities of any of `kinds` in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duty {
    /// What the board shows for this duty, e.g. "走访排查" or "咨询或调解".
    pub name: String,
    pub kinds: Vec<ActivityKind>,
    pub min: u32,
}

impl Duty {
    fn new(name: &str, kinds: &[ActivityKind], min: u32) -> Self {
        Self {
            name: name.to_owned(),
            kinds: kinds.to_vec(),
            min,
        }
    }
}

/// The duties of one role for each period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub role: Role,
    pub period: Period,
    pub duties: Vec<Duty>,
}

/// The quotas a deployment applies, at most one per role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaPolicy {
    pub quotas: Vec<Quota>,
}

impl Default for QuotaPolicy {
    /// Legal advisors and judicial general advisors follow the monthly "四个至少" of DOMAIN.md;
    /// grid workers patrol and report. The grid-worker numbers are a common local rule (about
    /// one patrol per working day), to be changed by configuration where the county differs.
    fn default() -> Self {
        use ActivityKind as K;
        let four_at_least = || {
            vec![
                Duty::new("走访排查", &[K::SweepVisit], 1),
                Duty::new("咨询或调解", &[K::Consultation, K::Mediation], 1),
                Duty::new("普法宣传", &[K::Publicity], 1),
                Duty::new("法治讲座", &[K::Talk], 1),
            ]
        };
        Self {
            quotas: vec![
                Quota {
                    role: Role::LegalAdvisor,
                    period: Period::Month,
                    duties: four_at_least(),
                },
                Quota {
                    role: Role::JudicialGeneralAdvisor,
                    period: Period::Month,
                    duties: four_at_least(),
                },
                Quota {
                    role: Role::GridWorker,
                    period: Period::Month,
                    duties: vec![
                        Duty::new("巡查", &[K::Patrol], 20),
                        Duty::new("上报", &[K::Report], 1),
                    ],
                },
            ],
        }
    }
}

impl QuotaPolicy {
    /// Refuses a policy people could not have meant: two quotas for the same role, a quota with
    /// no duties, a duty with a blank or repeated name, with no kinds, or with a minimum of 0
    /// (a duty nobody can fail is not a duty).
    pub fn validate(&self) -> Result<(), ValidationError> {
        let refuse = |message: String| Err(ValidationError::new("quota", message));
        for (i, quota) in self.quotas.iter().enumerate() {
            let role = quota.role.label();
            if self.quotas[..i].iter().any(|q| q.role == quota.role) {
                return refuse(format!("{role}的定额重复设置，每个角色只能有一项定额"));
            }
            if quota.duties.is_empty() {
                return refuse(format!("{role}的定额没有任何职责"));
            }
            for (j, duty) in quota.duties.iter().enumerate() {
                let name = duty.name.trim();
                if name.is_empty() {
                    return refuse(format!("{role}的职责名称不能为空"));
                }
                if quota.duties[..j].iter().any(|d| d.name.trim() == name) {
                    return refuse(format!("{role}的职责“{name}”重复"));
                }
                if duty.kinds.is_empty() {
                    return refuse(format!("{role}的职责“{name}”没有指定计入的活动类型"));
                }
                if duty.min == 0 {
                    return refuse(format!("{role}的职责“{name}”的最低次数应至少为1"));
                }
            }
        }
        Ok(())
    }

    /// The quota that applies to `role`, if any.
    pub fn for_role(&self, role: Role) -> Option<&Quota> {
        self.quotas.iter().find(|q| q.role == role)
    }
}

/// One recorded activity of the person whose compliance is computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    pub id: String,
    pub kind: ActivityKind,
    /// The local (China Standard Time) date the activity took place.
    pub day: Date,
    /// Something about the record needs a second look, e.g. the check-in was outside the
    /// village geofence.
    pub flagged: bool,
}

/// How far one duty is met in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyStatus {
    pub duty: String,
    pub required: u32,
    pub done: u32,
    pub met: bool,
    /// Ids of the counted activities, in input order.
    pub evidence: Vec<String>,
    /// Ids among `evidence` that are flagged for review.
    pub flagged: Vec<String>,
}

/// Compliance of one person with `quota` for the period starting at `period_start`, one status
/// per duty in the quota's order.
///
/// `period_start` should be a period start (from `range_containing`); any other date names the
/// period containing it. Only activities whose day falls in [start, end) count. An activity
/// counts toward every duty that lists its kind. Flagged activities still count, because a
/// flag asks for review rather than refusing the work, and they are listed in `flagged`.
pub fn compliance(
    quota: &Quota,
    period_start: Date,
    activities: &[ActivityRecord],
) -> Vec<DutyStatus> {
    let (start, end) = quota.period.range_containing(period_start);
    let in_period: Vec<&ActivityRecord> = activities
        .iter()
        .filter(|a| start <= a.day && a.day < end)
        .collect();
    quota
        .duties
        .iter()
        .map(|duty| {
            let counted: Vec<&ActivityRecord> = in_period
                .iter()
                .copied()
                .filter(|a| duty.kinds.contains(&a.kind))
                .collect();
            // More than u32::MAX activities in one period cannot happen; saturating keeps the
            // conversion total without a panic path.
            let done = u32::try_from(counted.len()).unwrap_or(u32::MAX);
            DutyStatus {
                duty: duty.name.clone(),
                required: duty.min,
                done,
                met: done >= duty.min,
                evidence: counted.iter().map(|a| a.id.clone()).collect(),
                flagged: counted
                    .iter()
                    .filter(|a| a.flagged)
                    .map(|a| a.id.clone())
                    .collect(),
            }
        })
        .collect()
}

/// True when every duty is met.
pub fn all_met(statuses: &[DutyStatus]) -> bool {
    statuses.iter().all(|s| s.met)
}
