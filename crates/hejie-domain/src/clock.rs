//! Time limits (时限) measured on a working-day calendar.
//!
//! A [`Clock`] starts at an instant and allows a [`Limit`]: so many working hours, working days or
//! calendar days. Pauses (waiting for a party, an expert appraisal) stop every clock of a case;
//! the time spent paused is not counted. Reading a clock at an instant gives the deadline (while
//! not paused), what remains and whether it is overdue. Nothing here reads the system clock.

use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::error::ValidationError;
use crate::timestamp::Timestamp;

/// How a limit is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// Working hours on working days (签收时限).
    WorkingHours,
    /// Working days: `amount × minutes_per_day` working minutes.
    WorkingDays,
    /// Calendar days of 24 hours, holidays included (statutory limits such as 15日、60日).
    CalendarDays,
}

/// A time limit: `amount` units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limit {
    pub amount: u32,
    pub unit: LimitUnit,
}

/// A period during which the case's clocks stood still. `to` is `None` while still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Timestamp,
    pub to: Option<Timestamp>,
}

/// One clock: when it started and what it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub started: Timestamp,
    pub limit: Limit,
}

/// A clock read at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// When the limit runs out; `None` while the case is paused (the deadline is not known).
    pub deadline: Option<Timestamp>,
    /// Remaining time in the clock's own measure (working minutes for working units, real
    /// minutes for calendar days); negative once overdue.
    pub remaining_minutes: i64,
    pub overdue: bool,
    pub paused: bool,
    pub unit: LimitUnit,
}

const MICROS_PER_MINUTE: i64 = 60_000_000;
const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 86_400_000_000;
/// The largest amount a limit may have: ten years of days.
const MAX_AMOUNT: u32 = 3650;

impl LimitUnit {
    pub fn label(self) -> &'static str {
        match self {
            LimitUnit::WorkingHours => "工作小时",
            LimitUnit::WorkingDays => "工作日",
            LimitUnit::CalendarDays => "日",
        }
    }

    /// A stable machine-readable code, the same as the serde name.
    pub fn code(self) -> &'static str {
        match self {
            LimitUnit::WorkingHours => "working_hours",
            LimitUnit::WorkingDays => "working_days",
            LimitUnit::CalendarDays => "calendar_days",
        }
    }

    /// Whether the clock counts working time (on the calendar) rather than real time.
    fn is_working(self) -> bool {
        !matches!(self, LimitUnit::CalendarDays)
    }
}

impl Limit {
    pub const fn working_hours(n: u32) -> Self {
        Self {
            amount: n,
            unit: LimitUnit::WorkingHours,
        }
    }

    pub const fn working_days(n: u32) -> Self {
        Self {
            amount: n,
            unit: LimitUnit::WorkingDays,
        }
    }

    pub const fn calendar_days(n: u32) -> Self {
        Self {
            amount: n,
            unit: LimitUnit::CalendarDays,
        }
    }

    /// `"2个工作小时"`, `"10个工作日"`, `"30日"`: the way statutes and notices write limits.
    pub fn label(&self) -> String {
        match self.unit {
            LimitUnit::CalendarDays => format!("{}日", self.amount),
            unit => format!("{}个{}", self.amount, unit.label()),
        }
    }

    /// Parses `"2h"`/`"2工作小时"`, `"10wd"`/`"10工作日"`, `"30d"`/`"30日"`, and the labels
    /// (`"10个工作日"`); whitespace is ignored. The amount must be 1 to 3650.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let split = compact
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(compact.len());
        let (digits, unit) = compact.split_at(split);
        let unit = unit.strip_prefix('个').unwrap_or(unit);
        let unit = match unit.to_ascii_lowercase().as_str() {
            "h" | "工作小时" => LimitUnit::WorkingHours,
            "wd" | "工作日" => LimitUnit::WorkingDays,
            "d" | "日" | "天" => LimitUnit::CalendarDays,
            _ => return Err(unrecognised_limit(s)),
        };
        if digits.is_empty() {
            return Err(unrecognised_limit(s));
        }
        // Too many digits for a u32 is out of range just like 4000 is.
        let amount = digits.parse::<u32>().unwrap_or(u32::MAX);
        if !(1..=MAX_AMOUNT).contains(&amount) {
            return Err(ValidationError::new(
                "limit",
                format!("时限“{}”超出范围，数量应为1至{MAX_AMOUNT}", s.trim()),
            ));
        }
        Ok(Self { amount, unit })
    }

    /// `"2h"` / `"10wd"` / `"30d"`, accepted back by [`Limit::parse`].
    pub fn code(&self) -> String {
        let suffix = match self.unit {
            LimitUnit::WorkingHours => "h",
            LimitUnit::WorkingDays => "wd",
            LimitUnit::CalendarDays => "d",
        };
        format!("{}{suffix}", self.amount)
    }

    /// The budget in the clock's measure, in microseconds: working micros for working hours
    /// (`n` hours) and working days (`n × minutes_per_day`), real micros for calendar days.
    pub fn budget_micros(&self, cal: &WorkCalendar) -> i64 {
        let n = i64::from(self.amount);
        match self.unit {
            LimitUnit::WorkingHours => n.saturating_mul(MICROS_PER_HOUR),
            LimitUnit::WorkingDays => n
                .saturating_mul(cal.minutes_per_day())
                .saturating_mul(MICROS_PER_MINUTE),
            LimitUnit::CalendarDays => n.saturating_mul(MICROS_PER_DAY),
        }
    }
}

fn unrecognised_limit(s: &str) -> ValidationError {
    ValidationError::new(
        "limit",
        format!(
            "无法识别的时限“{}”，应为如“2h”“10wd”“30d”或“2个工作小时”“10个工作日”“30日”",
            s.trim()
        ),
    )
}

impl Clock {
    /// Time counted on this clock in `[started, now)` with the pauses left out, in the clock's
    /// measure: working micros for working units, real micros for calendar days. An open pause
    /// lasts until `now`; pauses may begin before the clock, overlap, or lie after `now`.
    pub fn consumed_micros(&self, pauses: &[Pause], cal: &WorkCalendar, now: Timestamp) -> i64 {
        running_segments(self.started, pauses, now)
            .iter()
            .map(|&(a, b)| self.measure(cal, a, b))
            .fold(0, i64::saturating_add)
    }

    /// Reads the clock at `now`. The deadline is `None` while a pause is open at `now`; otherwise
    /// it is when the budget runs out assuming no further pauses, or, once the budget is spent,
    /// the instant it actually ran out.
    pub fn read(&self, pauses: &[Pause], cal: &WorkCalendar, now: Timestamp) -> Reading {
        let budget = self.limit.budget_micros(cal);
        let segments = running_segments(self.started, pauses, now);
        let consumed = segments
            .iter()
            .map(|&(a, b)| self.measure(cal, a, b))
            .fold(0, i64::saturating_add);
        let paused = pauses
            .iter()
            .any(|p| p.from <= now && p.to.is_none_or(|to| to > now));
        let left = budget.saturating_sub(consumed);
        let deadline = if paused {
            None
        } else if left > 0 {
            // Pauses lying wholly after `now` are not known yet when reading, so they are
            // ignored; a clock not yet started counts from its start.
            Some(self.advance(cal, now.max(self.started), left))
        } else {
            Some(self.ran_out(cal, &segments, budget).unwrap_or(now))
        };
        Reading {
            deadline,
            remaining_minutes: left.div_euclid(MICROS_PER_MINUTE),
            overdue: consumed > budget,
            paused,
            unit: self.limit.unit,
        }
    }

    fn measure(&self, cal: &WorkCalendar, a: Timestamp, b: Timestamp) -> i64 {
        if self.limit.unit.is_working() {
            cal.working_micros(a, b)
        } else {
            b.micros().saturating_sub(a.micros()).max(0)
        }
    }

    /// The earliest instant at which `micros` more of the clock's measure have passed after `from`.
    fn advance(&self, cal: &WorkCalendar, from: Timestamp, micros: i64) -> Timestamp {
        if self.limit.unit.is_working() {
            cal.add_working_micros(from, micros)
        } else {
            Timestamp::from_micros(from.micros().saturating_add(micros.max(0)))
        }
    }

    /// When the running segments first reached `budget`, if they did.
    fn ran_out(
        &self,
        cal: &WorkCalendar,
        segments: &[(Timestamp, Timestamp)],
        budget: i64,
    ) -> Option<Timestamp> {
        if budget <= 0 {
            return Some(self.started);
        }
        let mut counted: i64 = 0;
        for &(a, b) in segments {
            let m = self.measure(cal, a, b);
            if counted.saturating_add(m) >= budget {
                return Some(self.advance(cal, a, budget - counted));
            }
            counted = counted.saturating_add(m);
        }
        None
    }
}

/// The parts of `[started, now)` when the clock was running: the complement of the union of the
/// pauses, each clipped to the clock's span, in order.
fn running_segments(
    started: Timestamp,
    pauses: &[Pause],
    now: Timestamp,
) -> Vec<(Timestamp, Timestamp)> {
    if now <= started {
        return Vec::new();
    }
    let mut stops: Vec<(Timestamp, Timestamp)> = pauses
        .iter()
        .map(|p| (p.from.max(started), p.to.unwrap_or(now).min(now)))
        .filter(|(a, b)| a < b)
        .collect();
    stops.sort_unstable();
    let mut segments = Vec::with_capacity(stops.len() + 1);
    let mut cursor = started;
    for (a, b) in stops {
        if a > cursor {
            segments.push((cursor, a));
        }
        cursor = cursor.max(b);
    }
    if cursor < now {
        segments.push((cursor, now));
    }
    segments
}

impl Reading {
    /// For people: `"剩余3个工作日2小时"`, `"剩余1小时20分"`, `"剩余5天3小时"`,
    /// `"已超期2个工作日1小时"`, `"已超期45分"`, `"已暂停"`. Working days are days of
    /// `cal.minutes_per_day()` working minutes; within the last working day, and for working-hour
    /// limits, hours and minutes are shown. Calendar limits show days and hours, and minutes only
    /// under one hour.
    pub fn describe(&self, cal: &WorkCalendar) -> String {
        if self.paused {
            return "已暂停".to_owned();
        }
        let (prefix, minutes) = if self.overdue {
            ("已超期", self.remaining_minutes.saturating_neg().max(0))
        } else {
            ("剩余", self.remaining_minutes.max(0))
        };
        let hours_minutes = |m: i64| match (m / 60, m % 60) {
            (0, m) => format!("{m}分"),
            (h, 0) => format!("{h}小时"),
            (h, m) => format!("{h}小时{m}分"),
        };
        let span = match self.unit {
            LimitUnit::WorkingHours => hours_minutes(minutes),
            LimitUnit::WorkingDays => {
                let per_day = cal.minutes_per_day().max(1);
                match (minutes / per_day, (minutes % per_day) / 60) {
                    (0, _) => hours_minutes(minutes),
                    (d, 0) => format!("{d}个工作日"),
                    (d, h) => format!("{d}个工作日{h}小时"),
                }
            }
            LimitUnit::CalendarDays => match (minutes / 1440, (minutes % 1440) / 60) {
                (0, 0) => format!("{}分", minutes % 60),
                (0, h) => format!("{h}小时"),
                (d, 0) => format!("{d}天"),
                (d, h) => format!("{d}天{h}小时"),
            },
        };
        format!("{prefix}{span}")
    }
}
