//! Instants as microseconds since the Unix epoch (UTC): exact, sortable and identical on every
//! storage backend, so event hashes never depend on how a database renders time.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, UtcOffset};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

/// China Standard Time, used for calendar questions (which year, which day) and display.
pub const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

impl Timestamp {
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// Truncates to whole microseconds, the precision the record keeps.
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        Self((dt.unix_timestamp_nanos() / 1_000) as i64)
    }

    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The calendar year in China Standard Time.
    pub fn year_cst(self) -> i32 {
        self.to_datetime().to_offset(CST).year()
    }

    /// The instant a day begins in China Standard Time (its midnight).
    pub fn midnight_cst(d: Date) -> Self {
        Self::from_datetime(OffsetDateTime::new_in_offset(d, time::Time::MIDNIGHT, CST))
    }

    /// The calendar day in China Standard Time.
    pub fn date_cst(self) -> Date {
        self.to_datetime().to_offset(CST).date()
    }

    pub fn plus_seconds(self, s: i64) -> Self {
        Self(self.0 + s * 1_000_000)
    }
}

/// Where "now" comes from. The domain never reads a clock and neither does the store: the
/// application holds one `Clock` and stamps every command and every row with it, so a test (or a
/// replay) that fixes the clock fixes every time the system records.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;
}

impl fmt::Display for Timestamp {
    /// `2026-11-21 09:30:00` in China Standard Time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.to_datetime().to_offset(CST);
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    }
}

/// A date as Chinese documents write it, e.g. 2026年3月5日.
pub fn chinese_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}
