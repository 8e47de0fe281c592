//! The working-day calendar (工作日历): weekends, public holidays and make-up working days (调休).
//!
//! Every calendar question is asked in China Standard Time (UTC+8), which has no daylight saving,
//! so a calendar day is always exactly 24 hours long. Internally a day is its number counted from
//! 1970-01-01 (CST); this keeps the arithmetic exact and independent of the range `time::Date`
//! can represent. Counting and adding working time walks day by day, but skips whole weeks where
//! no holiday or make-up working day lies, so even very long limits stay cheap.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::date;

use crate::error::ValidationError;
use crate::timestamp::Timestamp;

/// A working calendar: the working intervals of a working day, the public holidays that fall on
/// weekdays (or anywhere) and the weekend days that are worked instead (调休).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Sorted, non-overlapping `[start, end)` intervals in minutes after midnight CST.
    hours: Vec<(u16, u16)>,
    /// Holidays as day numbers (days since 1970-01-01 CST).
    holidays: BTreeSet<i64>,
    /// Make-up working days as day numbers; never shared with `holidays`.
    workdays: BTreeSet<i64>,
}

/// The serialisable form, used in TOML/JSON configuration by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarConfig {
    /// e.g. `["08:30-12:00", "13:30-17:30"]`
    pub hours: Vec<String>,
    /// `"YYYY-MM-DD"`
    #[serde(default)]
    pub holidays: Vec<String>,
    /// 调休 make-up working days, `"YYYY-MM-DD"`
    #[serde(default)]
    pub workdays: Vec<String>,
}

impl WorkCalendar {
    /// Working intervals of a working day as minutes after midnight CST, e.g.
    /// `[(510, 720), (810, 1050)]` = 08:30–12:00 and 13:30–17:30.
    pub fn new(
        hours: Vec<(u16, u16)>,
        holidays: impl IntoIterator<Item = Date>,
        workdays: impl IntoIterator<Item = Date>,
    ) -> Result<Self, ValidationError> {
        validate_hours(&hours)?;
        let holidays: BTreeSet<i64> = holidays.into_iter().map(day_number).collect();
        let workdays: BTreeSet<i64> = workdays.into_iter().map(day_number).collect();
        if let Some(both) = holidays.intersection(&workdays).next() {
            return Err(ValidationError::new(
                "workdays",
                format!("日期“{}”不能同时是节假日和调休工作日", format_day(*both)),
            ));
        }
        Ok(Self {
            hours,
            holidays,
            workdays,
        })
    }

    /// The State Council (国务院办公厅) public-holiday schedules for 2025 and 2026 with their 调休
    /// working days, and default hours 08:30–12:00, 13:30–17:30.
    pub fn china_default() -> Self {
        // The data is a compile-time constant checked by the tests (no date is both a holiday
        // and a working day), so it is built directly rather than through `new`.
        Self {
            hours: DEFAULT_HOURS.to_vec(),
            holidays: CHINA_HOLIDAYS.iter().copied().map(day_number).collect(),
            workdays: CHINA_WORKDAYS.iter().copied().map(day_number).collect(),
        }
    }

    pub fn from_config(c: &CalendarConfig) -> Result<Self, ValidationError> {
        let hours = c
            .hours
            .iter()
            .map(|h| parse_interval(h))
            .collect::<Result<Vec<_>, _>>()?;
        let holidays = c
            .holidays
            .iter()
            .map(|d| parse_date("holidays", d))
            .collect::<Result<Vec<_>, _>>()?;
        let workdays = c
            .workdays
            .iter()
            .map(|d| parse_date("workdays", d))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(hours, holidays, workdays)
    }

    pub fn to_config(&self) -> CalendarConfig {
        CalendarConfig {
            hours: self
                .hours
                .iter()
                .map(|&(s, e)| format!("{}-{}", format_minute(s), format_minute(e)))
                .collect(),
            holidays: self.holidays.iter().map(|d| format_day(*d)).collect(),
            workdays: self.workdays.iter().map(|d| format_day(*d)).collect(),
        }
    }

    /// A make-up working day is worked, a holiday is not, and otherwise Monday to Friday are.
    pub fn is_working_day(&self, d: Date) -> bool {
        self.is_working(day_number(d))
    }

    /// Working minutes in one working day (450 with the default hours).
    pub fn minutes_per_day(&self) -> i64 {
        self.hours
            .iter()
            .map(|&(s, e)| i64::from(e) - i64::from(s))
            .sum()
    }

    /// Working microseconds in `[a, b)`; 0 when `b <= a`.
    pub fn working_micros(&self, a: Timestamp, b: Timestamp) -> i64 {
        if b <= a {
            return 0;
        }
        let (a, b) = (i128::from(a.micros()), i128::from(b.micros()));
        let (da, db) = (day_of(a), day_of(b));
        let total = if da == db {
            self.overlap(da, a, b)
        } else {
            // The first and last days are partial; the days in between count whole.
            self.overlap(da, a, day_start(da + 1))
                + self.working_days_between(da + 1, db) * self.micros_per_day()
                + self.overlap(db, day_start(db), b)
        };
        saturate(total)
    }

    /// Whole working minutes in `[a, b)`: [`working_micros`](Self::working_micros) truncated.
    pub fn working_minutes(&self, a: Timestamp, b: Timestamp) -> i64 {
        self.working_micros(a, b) / MICROS_PER_MINUTE as i64
    }

    /// The earliest instant `t >= from` such that `working_micros(from, t) == micros`; `from`
    /// itself when `micros <= 0`. If `from` lies outside working hours the count starts at the
    /// next working interval. A calendar without any working day for [`MAX_IDLE_DAYS`] days in
    /// a row gives the latest representable instant rather than searching forever.
    pub fn add_working_micros(&self, from: Timestamp, micros: i64) -> Timestamp {
        if micros <= 0 {
            return from;
        }
        let per_day = self.micros_per_day();
        let per_week = 5 * per_day;
        let mut rem = i128::from(micros);
        let mut day = day_of(i128::from(from.micros()));

        // The first day is partial: only the time after `from` counts.
        if self.is_working(day) {
            match self.walk_day(day, i128::from(from.micros()), rem) {
                Ok(t) => return Timestamp::from_micros(saturate(t)),
                Err(left) => rem = left,
            }
        }
        day += 1;

        let mut idle = 0;
        loop {
            // Any seven consecutive days without a holiday or make-up working day hold exactly
            // five working days, so whole weeks can be skipped up to the next special date. At
            // least one partial day is always left for the walk below.
            if rem > per_week {
                let weeks_free = self.next_special(day).map(|s| (s - day) / 7);
                // `rem` fits an i64, so the number of weeks does too.
                let weeks_needed = i64::try_from((rem - 1) / per_week).unwrap_or(0);
                let weeks = weeks_free.map_or(weeks_needed, |f| f.min(weeks_needed));
                if weeks > 0 {
                    day += 7 * weeks;
                    rem -= i128::from(weeks) * per_week;
                    idle = 0;
                }
            }
            if self.is_working(day) {
                idle = 0;
                if rem > per_day {
                    rem -= per_day;
                } else {
                    match self.walk_day(day, day_start(day), rem) {
                        Ok(t) => return Timestamp::from_micros(saturate(t)),
                        // Unreachable because `rem <= per_day`, but saturating is the safe answer.
                        Err(_) => return Timestamp::from_micros(i64::MAX),
                    }
                }
            } else {
                idle += 1;
                if idle > MAX_IDLE_DAYS {
                    return Timestamp::from_micros(i64::MAX);
                }
            }
            day += 1;
        }
    }

    /// The configured holidays in ascending order.
    pub fn holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.holidays.iter().filter_map(|d| date_of(*d))
    }

    /// The years, among those a calendar is needed for at `now`, that have no public holidays
    /// configured: the current year (China Standard Time) and, from 1 November on, the next one
    /// (the State Council publishes a year's schedule late in the year before). Time limits in such
    /// a year count only weekends as days off, so the Spring Festival would count as working time.
    pub fn years_without_holidays(&self, now: Timestamp) -> Vec<i32> {
        let today = now.date_cst();
        let mut years = vec![today.year()];
        if u8::from(today.month()) >= 11 {
            years.push(today.year() + 1);
        }
        years.retain(|y| !self.holidays().any(|d| d.year() == *y));
        years
    }

    /// The configured make-up working days (调休) in ascending order.
    pub fn workdays(&self) -> impl Iterator<Item = Date> + '_ {
        self.workdays.iter().filter_map(|d| date_of(*d))
    }

    fn micros_per_day(&self) -> i128 {
        i128::from(self.minutes_per_day()) * MICROS_PER_MINUTE
    }

    fn is_working(&self, day: i64) -> bool {
        if self.workdays.contains(&day) {
            true
        } else if self.holidays.contains(&day) {
            false
        } else {
            is_weekday(day)
        }
    }

    /// Working micros of day `day` that lie inside `[x, y)`.
    fn overlap(&self, day: i64, x: i128, y: i128) -> i128 {
        if !self.is_working(day) {
            return 0;
        }
        let ds = day_start(day);
        self.hours
            .iter()
            .map(|&(s, e)| {
                let lo = x.max(ds + i128::from(s) * MICROS_PER_MINUTE);
                let hi = y.min(ds + i128::from(e) * MICROS_PER_MINUTE);
                (hi - lo).max(0)
            })
            .sum()
    }

    /// Consumes `rem` working micros of working day `day` from instant `pos` on: the instant it
    /// is used up, or what is left at the end of the day.
    fn walk_day(&self, day: i64, pos: i128, mut rem: i128) -> Result<i128, i128> {
        let ds = day_start(day);
        for &(s, e) in &self.hours {
            let lo = pos.max(ds + i128::from(s) * MICROS_PER_MINUTE);
            let hi = ds + i128::from(e) * MICROS_PER_MINUTE;
            if hi > lo {
                if rem <= hi - lo {
                    return Ok(lo + rem);
                }
                rem -= hi - lo;
            }
        }
        Err(rem)
    }

    /// Working days in the day range `[d0, d1)`, computed from the weekday count and corrected by
    /// the special dates inside the range.
    fn working_days_between(&self, d0: i64, d1: i64) -> i128 {
        if d1 <= d0 {
            return 0;
        }
        let weekdays = weekdays_before(d1) - weekdays_before(d0);
        let lost = self
            .holidays
            .range(d0..d1)
            .filter(|d| is_weekday(**d))
            .count() as i64;
        let gained = self
            .workdays
            .range(d0..d1)
            .filter(|d| !is_weekday(**d))
            .count() as i64;
        i128::from(weekdays - lost + gained)
    }

    /// The first holiday or make-up working day on or after `day`.
    fn next_special(&self, day: i64) -> Option<i64> {
        let h = self.holidays.range(day..).next().copied();
        let w = self.workdays.range(day..).next().copied();
        match (h, w) {
            (Some(h), Some(w)) => Some(h.min(w)),
            (h, w) => h.or(w),
        }
    }
}

/// How many days in a row without any working day the forward search accepts before it gives up
/// (ten years): a calendar like that is misconfigured, and looping on it would hang a request.
pub const MAX_IDLE_DAYS: u32 = 3660;

const MICROS_PER_MINUTE: i128 = 60_000_000;
const MICROS_PER_DAY: i128 = 86_400_000_000;
/// CST is UTC+8, so a CST day begins eight hours before the UTC day of the same number.
const CST_OFFSET_MICROS: i128 = 8 * 3_600_000_000;
/// The Julian day number of 1970-01-01, day 0 of the internal numbering.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// 08:30–12:00 and 13:30–17:30, the usual hours of Chinese government offices.
const DEFAULT_HOURS: [(u16, u16); 2] = [(510, 720), (810, 1050)];

// The public-holiday schedules published by the General Office of the State Council
// (国务院办公厅关于节假日安排的通知) for 2025 and 2026. They are compiled in only as a sensible
// default: the schedule for each new year is published late in the previous year, so deployments
// must keep the calendar current through configuration (`CalendarConfig`).

/// Days off, weekends within the holiday periods included.
const CHINA_HOLIDAYS: &[Date] = &[
    // 2025 元旦
    date!(2025 - 01 - 01),
    // 2025 春节
    date!(2025 - 01 - 28),
    date!(2025 - 01 - 29),
    date!(2025 - 01 - 30),
    date!(2025 - 01 - 31),
    date!(2025 - 02 - 01),
    date!(2025 - 02 - 02),
    date!(2025 - 02 - 03),
    date!(2025 - 02 - 04),
    // 2025 清明节
    date!(2025 - 04 - 04),
    date!(2025 - 04 - 05),
    date!(2025 - 04 - 06),
    // 2025 劳动节
    date!(2025 - 05 - 01),
    date!(2025 - 05 - 02),
    date!(2025 - 05 - 03),
    date!(2025 - 05 - 04),
    date!(2025 - 05 - 05),
    // 2025 端午节
    date!(2025 - 05 - 31),
    date!(2025 - 06 - 01),
    date!(2025 - 06 - 02),
    // 2025 国庆节、中秋节
    date!(2025 - 10 - 01),
    date!(2025 - 10 - 02),
    date!(2025 - 10 - 03),
    date!(2025 - 10 - 04),
    date!(2025 - 10 - 05),
    date!(2025 - 10 - 06),
    date!(2025 - 10 - 07),
    date!(2025 - 10 - 08),
    // 2026 元旦
    date!(2026 - 01 - 01),
    date!(2026 - 01 - 02),
    date!(2026 - 01 - 03),
    // 2026 春节
    date!(2026 - 02 - 15),
    date!(2026 - 02 - 16),
    date!(2026 - 02 - 17),
    date!(2026 - 02 - 18),
    date!(2026 - 02 - 19),
    date!(2026 - 02 - 20),
    date!(2026 - 02 - 21),
    date!(2026 - 02 - 22),
    date!(2026 - 02 - 23),
    // 2026 清明节
    date!(2026 - 04 - 04),
    date!(2026 - 04 - 05),
    date!(2026 - 04 - 06),
    // 2026 劳动节
    date!(2026 - 05 - 01),
    date!(2026 - 05 - 02),
    date!(2026 - 05 - 03),
    date!(2026 - 05 - 04),
    date!(2026 - 05 - 05),
    // 2026 端午节
    date!(2026 - 06 - 19),
    date!(2026 - 06 - 20),
    date!(2026 - 06 - 21),
    // 2026 中秋节
    date!(2026 - 09 - 25),
    date!(2026 - 09 - 26),
    date!(2026 - 09 - 27),
    // 2026 国庆节
    date!(2026 - 10 - 01),
    date!(2026 - 10 - 02),
    date!(2026 - 10 - 03),
    date!(2026 - 10 - 04),
    date!(2026 - 10 - 05),
    date!(2026 - 10 - 06),
    date!(2026 - 10 - 07),
];

/// Weekend days worked in exchange (调休上班).
const CHINA_WORKDAYS: &[Date] = &[
    // 2025 春节
    date!(2025 - 01 - 26),
    date!(2025 - 02 - 08),
    // 2025 劳动节
    date!(2025 - 04 - 27),
    // 2025 国庆节、中秋节
    date!(2025 - 09 - 28),
    date!(2025 - 10 - 11),
    // 2026 元旦
    date!(2026 - 01 - 04),
    // 2026 春节
    date!(2026 - 02 - 14),
    date!(2026 - 02 - 28),
    // 2026 劳动节
    date!(2026 - 05 - 09),
    // 2026 国庆节
    date!(2026 - 09 - 20),
    date!(2026 - 10 - 10),
];

fn day_number(d: Date) -> i64 {
    i64::from(d.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

fn date_of(day: i64) -> Option<Date> {
    i32::try_from(day + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|j| Date::from_julian_day(j).ok())
}

/// The CST day an instant (in micros) falls on.
fn day_of(micros: i128) -> i64 {
    // Any i64 instant divided by a day fits comfortably in an i64.
    ((micros + CST_OFFSET_MICROS).div_euclid(MICROS_PER_DAY)) as i64
}

/// The instant (in micros) a CST day begins.
fn day_start(day: i64) -> i128 {
    i128::from(day) * MICROS_PER_DAY - CST_OFFSET_MICROS
}

/// Monday to Friday. Day 0, 1970-01-01, was a Thursday.
fn is_weekday(day: i64) -> bool {
    (day + 3).rem_euclid(7) < 5
}

/// Weekdays from a fixed Monday (1969-12-29, day -3) up to `day`, negative before it; only
/// differences are meaningful.
fn weekdays_before(day: i64) -> i64 {
    let x = day + 3;
    x.div_euclid(7) * 5 + x.rem_euclid(7).min(5)
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

fn validate_hours(hours: &[(u16, u16)]) -> Result<(), ValidationError> {
    if hours.is_empty() {
        return Err(ValidationError::new(
            "hours",
            "至少需要一个工作时段".to_owned(),
        ));
    }
    for &(s, e) in hours {
        if e > 1440 || s >= e {
            return Err(ValidationError::new(
                "hours",
                format!(
                    "工作时段“{}”无效，开始须早于结束且不晚于24:00",
                    format_interval(s, e)
                ),
            ));
        }
    }
    for pair in hours.windows(2) {
        let ((s0, e0), (s1, e1)) = (pair[0], pair[1]);
        if s1 < e0 {
            return Err(ValidationError::new(
                "hours",
                format!(
                    "工作时段“{}”与“{}”重叠或顺序颠倒，应按时间先后排列且互不重叠",
                    format_interval(s0, e0),
                    format_interval(s1, e1)
                ),
            ));
        }
    }
    Ok(())
}

fn format_minute(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn format_interval(s: u16, e: u16) -> String {
    format!("{}-{}", format_minute(s), format_minute(e))
}

fn format_day(day: i64) -> String {
    match date_of(day) {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        None => format!("第{day}日"),
    }
}

/// Parses `"08:30-12:00"` (spaces around the parts allowed) into minutes after midnight.
fn parse_interval(s: &str) -> Result<(u16, u16), ValidationError> {
    let bad = || ValidationError::new("hours", format!("无法识别的工作时段“{s}”，应为HH:MM-HH:MM"));
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let start = parse_minute(a.trim()).ok_or_else(bad)?;
    let end = parse_minute(b.trim()).ok_or_else(bad)?;
    Ok((start, end))
}

/// `"HH:MM"` to minutes after midnight; `24:00` is allowed as the end of the day.
fn parse_minute(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = digits(h)?;
    let m: u16 = digits(m)?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn digits(s: &str) -> Option<u16> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Parses `"YYYY-MM-DD"` strictly (four, two and two digits).
fn parse_date(field: &'static str, s: &str) -> Result<Date, ValidationError> {
    let bad = || ValidationError::new(field, format!("无法识别的日期“{s}”，应为YYYY-MM-DD"));
    let t = s.trim();
    let mut parts = t.split('-');
    let (y, m, d) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d), None) if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            (y, m, d)
        }
        _ => return Err(bad()),
    };
    let year = digits(y).ok_or_else(bad)?;
    let month = digits(m)
        .and_then(|m| u8::try_from(m).ok())
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let day = digits(d)
        .and_then(|d| u8::try_from(d).ok())
        .ok_or_else(bad)?;
    Date::from_calendar_date(i32::from(year), month, day).map_err(|_| bad())
}
