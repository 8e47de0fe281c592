//! The application's one clock. Every time the application records (commands, rows, jobs,
//! sessions, codes) is read here; nothing below it (the domain, the store) reads the wall clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub use hejie_domain::timestamp::Clock;
use hejie_domain::timestamp::Timestamp;

/// The operating system's wall clock, truncated to the microseconds the record keeps. Only the
/// binary's wiring and [`AppClock`] use it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(time::OffsetDateTime::now_utc())
    }
}

/// The clock a running application reads: its source (the system clock in production), unless a
/// test fixed the time.
#[derive(Debug)]
pub struct AppClock {
    source: Arc<dyn Clock>,
    /// A fixed "now" in microseconds; 0 = read the source.
    fixed: AtomicI64,
}

impl AppClock {
    pub fn new(source: Arc<dyn Clock>) -> Self {
        Self {
            source,
            fixed: AtomicI64::new(0),
        }
    }

    /// Fixes "now" (tests: time limits, reminders and deliveries driven by hand).
    pub fn set(&self, at: Timestamp) {
        self.fixed.store(at.micros(), Ordering::SeqCst);
    }

    /// Whether a test fixed the time (the background scheduler then leaves time to the test).
    pub fn is_fixed(&self) -> bool {
        self.fixed.load(Ordering::SeqCst) != 0
    }
}

impl Default for AppClock {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl Clock for AppClock {
    fn now(&self) -> Timestamp {
        match self.fixed.load(Ordering::SeqCst) {
            0 => self.source.now(),
            t => Timestamp::from_micros(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct At(i64);
    impl Clock for At {
        fn now(&self) -> Timestamp {
            Timestamp::from_micros(self.0)
        }
    }

    #[test]
    fn a_fixed_time_wins_over_the_source_until_set() {
        let clock = AppClock::new(Arc::new(At(5)));
        assert_eq!(clock.now(), Timestamp::from_micros(5));
        assert!(!clock.is_fixed());
        clock.set(Timestamp::from_micros(9));
        assert_eq!(clock.now(), Timestamp::from_micros(9));
        assert!(clock.is_fixed());
    }
}
