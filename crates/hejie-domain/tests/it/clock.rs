//! The working-day calendar and time-limit clocks (`hejie_domain::calendar`, `hejie_domain::clock`):
//! a table of clock readings on the 2025–2026 State Council schedule, the inverse relation between
//! counting and adding working time, configuration, limits and what people are shown.

use hejie_domain::calendar::{CalendarConfig, WorkCalendar};
use hejie_domain::clock::{Clock, Limit, LimitUnit, Pause, Reading};
use hejie_domain::timestamp::{CST, Timestamp};
use time::macros::{date, format_description};
use time::{Date, PrimitiveDateTime};

/// An instant written as `"2026-10-09 16:00"` or `"2026-10-09 16:00:30"` in China Standard Time.
fn at(s: &str) -> Timestamp {
    let dt = PrimitiveDateTime::parse(
        s,
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
    )
    .or_else(|_| {
        PrimitiveDateTime::parse(
            s,
            format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        )
    })
    .unwrap_or_else(|e| panic!("bad test instant {s:?}: {e}"));
    Timestamp::from_datetime(dt.assume_offset(CST))
}

const MINUTE: i64 = 60_000_000;

/// What a reading is checked against: remaining minutes, overdue, paused and the deadline.
type Expected = (i64, bool, bool, Option<&'static str>);

/// Pauses as `(from, to)`, `to` being `None` while still paused.
type Pauses = &'static [(&'static str, Option<&'static str>)];

/// One row: name, start, limit, pauses, now and what the reading must be.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Pauses,
    &'static str,
    Expected,
);

/// Reads a clock started at `start` with `limit` (parsed) under `pauses` at `now`, on the
/// default Chinese calendar.
fn check(start: &str, limit: &str, pauses: &[(&str, Option<&str>)], now: &str) -> Reading {
    let clock = Clock {
        started: at(start),
        limit: Limit::parse(limit).expect("valid limit"),
    };
    let pauses: Vec<Pause> = pauses
        .iter()
        .map(|(from, to)| Pause {
            from: at(from),
            to: to.map(at),
        })
        .collect();
    clock.read(&pauses, &WorkCalendar::china_default(), at(now))
}

#[test]
fn clock_readings_on_the_chinese_calendar() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        ("plain weekday",
         "2026-11-23 09:00", "2h", &[], "2026-11-23 10:00",
         (60, false, false, Some("2026-11-23 11:00"))),
        ("crossing the lunch break",
         "2026-11-23 11:00", "2h", &[], "2026-11-23 11:00",
         (120, false, false, Some("2026-11-23 14:30"))),
        ("read during the lunch break",
         "2026-11-23 11:00", "2h", &[], "2026-11-23 13:00",
         (60, false, false, Some("2026-11-23 14:30"))),
        ("crossing a weekend",
         "2026-11-20 16:30", "2h", &[], "2026-11-20 16:30",
         (120, false, false, Some("2026-11-23 09:30"))),
        ("crossing a weekend, read on Monday",
         "2026-11-20 16:30", "2h", &[], "2026-11-23 09:00",
         (30, false, false, Some("2026-11-23 09:30"))),
        ("National Day holiday is skipped",
         "2026-09-30 16:30", "1wd", &[], "2026-09-30 16:30",
         (450, false, false, Some("2026-10-08 16:30"))),
        ("read during the National Day holiday",
         "2026-09-30 16:30", "1wd", &[], "2026-10-05 10:00",
         (390, false, false, Some("2026-10-08 16:30"))),
        ("make-up Saturday 2026-10-10 is worked",
         "2026-10-09 16:00", "2h", &[], "2026-10-09 16:00",
         (120, false, false, Some("2026-10-10 09:00"))),
        ("make-up Saturday 2026-02-14 is worked",
         "2026-02-13 17:00", "1h", &[], "2026-02-13 17:00",
         (60, false, false, Some("2026-02-14 09:00"))),
        ("Spring Festival after the make-up Saturday",
         "2026-02-14 17:00", "1h", &[], "2026-02-14 17:00",
         (60, false, false, Some("2026-02-24 09:00"))),
        ("make-up Sunday 2026-09-20 is worked",
         "2026-09-18 17:00", "1h", &[], "2026-09-18 17:00",
         (60, false, false, Some("2026-09-20 09:00"))),
        ("started in the evening",
         "2026-11-23 20:00", "2h", &[], "2026-11-24 08:00",
         (120, false, false, Some("2026-11-24 10:30"))),
        ("started on a Sunday",
         "2026-11-22 10:00", "1wd", &[], "2026-11-22 10:00",
         (450, false, false, Some("2026-11-23 17:30"))),
        ("calendar days count holidays",
         "2026-09-30 10:00", "15d", &[], "2026-10-08 10:00",
         (7 * 1440, false, false, Some("2026-10-15 10:00"))),
        ("closed pause inside working hours",
         "2026-11-23 09:00", "2h", &[("2026-11-23 09:30", Some("2026-11-23 10:30"))], "2026-11-23 11:00",
         (60, false, false, Some("2026-11-23 12:00"))),
        ("open pause freezes the clock",
         "2026-11-23 09:00", "2h", &[("2026-11-23 10:00", None)], "2026-11-25 15:00",
         (60, false, true, None)),
        ("pause began before the clock started",
         "2026-11-23 09:00", "2h", &[("2026-11-23 08:00", Some("2026-11-23 10:00"))], "2026-11-23 11:00",
         (60, false, false, Some("2026-11-23 12:00"))),
        ("overlapping pauses and a later one",
         "2026-11-23 08:30", "1wd",
         &[("2026-11-23 09:00", Some("2026-11-23 11:00")),
           ("2026-11-23 10:00", Some("2026-11-23 14:00")),
           ("2026-11-30 09:00", Some("2026-11-30 10:00"))],
         "2026-11-23 15:30",
         (330, false, false, Some("2026-11-24 12:00"))),
        ("a pause inside another pause",
         "2026-11-23 08:30", "2h",
         &[("2026-11-23 09:00", Some("2026-11-23 12:00")),
           ("2026-11-23 10:00", Some("2026-11-23 11:00"))],
         "2026-11-23 14:00",
         (60, false, false, Some("2026-11-23 15:00"))),
        ("a pause that has not begun yet",
         "2026-11-23 09:00", "2h", &[("2026-11-23 12:00", None)], "2026-11-23 10:00",
         (60, false, false, Some("2026-11-23 11:00"))),
        ("overdue by six working hours",
         "2026-11-23 09:00", "2h", &[], "2026-11-24 09:30",
         (-360, true, false, Some("2026-11-23 11:00"))),
        ("overdue after a past pause",
         "2026-11-23 09:00", "2h", &[("2026-11-23 10:00", Some("2026-11-23 14:00"))], "2026-11-23 17:00",
         (-120, true, false, Some("2026-11-23 15:00"))),
        ("overdue across a weekend",
         "2026-11-20 09:00", "1wd", &[], "2026-11-23 10:00",
         (-60, true, false, Some("2026-11-23 09:00"))),
        ("overdue and paused",
         "2026-11-23 09:00", "1h", &[("2026-11-23 11:00", None)], "2026-11-24 09:00",
         (-60, true, true, None)),
        ("exactly at the deadline",
         "2026-11-23 09:00", "2h", &[], "2026-11-23 11:00",
         (0, false, false, Some("2026-11-23 11:00"))),
        ("ran out at the end of the day, read in the evening",
         "2026-11-23 15:30", "2h", &[], "2026-11-23 19:00",
         (0, false, false, Some("2026-11-23 17:30"))),
        ("thirty seconds overdue",
         "2026-11-23 09:00", "2h", &[], "2026-11-23 11:00:30",
         (-1, true, false, Some("2026-11-23 11:00"))),
        ("calendar days overdue",
         "2026-10-01 00:00", "1d", &[], "2026-10-02 01:30",
         (-90, true, false, Some("2026-10-02 00:00"))),
        ("calendar days with a closed pause",
         "2026-10-01 00:00", "2d", &[("2026-10-01 12:00", Some("2026-10-02 12:00"))], "2026-10-02 12:00",
         (36 * 60, false, false, Some("2026-10-04 00:00"))),
        ("New Year 2026 with the make-up Sunday",
         "2025-12-31 08:30", "3wd", &[], "2025-12-31 08:30",
         (1350, false, false, Some("2026-01-05 17:30"))),
        ("Spring Festival 2025",
         "2025-01-27 17:00", "1h", &[], "2025-01-27 17:00",
         (60, false, false, Some("2025-02-05 09:00"))),
        ("read before the clock started",
         "2026-11-24 09:00", "2h", &[], "2026-11-23 10:00",
         (120, false, false, Some("2026-11-24 11:00"))),
    ];
    assert!(rows.len() >= 15);
    let mut failures = Vec::new();
    for (name, start, limit, pauses, now, expected) in rows {
        let r = check(start, limit, pauses, now);
        let (remaining, overdue, paused, deadline) = *expected;
        let deadline = deadline.map(at);
        let got = (r.remaining_minutes, r.overdue, r.paused, r.deadline);
        if got != (remaining, overdue, paused, deadline) {
            failures.push(format!(
                "{name}: got remaining {}, overdue {}, paused {}, deadline {:?}; \
                 expected {remaining}, {overdue}, {paused}, {:?}",
                r.remaining_minutes,
                r.overdue,
                r.paused,
                r.deadline.map(|d| d.to_string()),
                deadline.map(|d| d.to_string()),
            ));
        }
        assert_eq!(r.unit, Limit::parse(limit).expect("valid limit").unit);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn consumed_time_excludes_pauses_in_the_clocks_measure() {
    let cal = WorkCalendar::china_default();
    let clock = Clock {
        started: at("2026-11-20 16:30"),
        limit: Limit::working_days(5),
    };
    // Friday 16:30–17:30 and Monday 08:30–09:00 are working; the weekend is not.
    assert_eq!(
        clock.consumed_micros(&[], &cal, at("2026-11-23 09:00")),
        90 * MINUTE
    );
    let pause = Pause {
        from: at("2026-11-20 17:00"),
        to: None,
    };
    assert_eq!(
        clock.consumed_micros(&[pause], &cal, at("2026-11-23 09:00")),
        30 * MINUTE
    );
    let calendar_clock = Clock {
        limit: Limit::calendar_days(5),
        ..clock
    };
    assert_eq!(
        calendar_clock.consumed_micros(&[], &cal, at("2026-11-23 09:00")),
        (2 * 1440 + 16 * 60 + 30) * MINUTE
    );
    assert_eq!(
        calendar_clock.consumed_micros(&[], &cal, at("2026-11-19 09:00")),
        0
    );
}

/// A small deterministic generator so the property tests are reproducible.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as i64
    }
}

#[test]
fn adding_working_time_inverts_counting_it() {
    let cal = WorkCalendar::china_default();
    let base = at("2024-12-20 00:00").micros();
    let mut rng = Lcg(7);
    for i in 0..600 {
        // Half the start points are on whole minutes, half anywhere to the microsecond.
        let offset = if i % 2 == 0 {
            rng.below(800 * 1440) * MINUTE
        } else {
            rng.below(800 * 1440 * MINUTE)
        };
        let from = Timestamp::from_micros(base + offset);
        let amount = match i % 3 {
            0 => rng.below(600) * MINUTE + 1,
            1 => rng.below(90 * 450 * MINUTE) + 1,
            _ => (rng.below(30) + 1) * 450 * MINUTE,
        };
        let t = cal.add_working_micros(from, amount);
        assert!(t >= from, "{from} + {amount} gave {t}");
        assert_eq!(
            cal.working_micros(from, t),
            amount,
            "from {from} adding {amount} gave {t}"
        );
        // `t` is the earliest such instant: one microsecond less is one microsecond short.
        assert_eq!(
            cal.working_micros(from, Timestamp::from_micros(t.micros() - 1)),
            amount - 1,
            "from {from} adding {amount} gave {t}, which is not the earliest"
        );
        assert_eq!(cal.add_working_micros(from, 0), from);
    }
}

#[test]
fn counting_working_time_inverts_adding_it() {
    let cal = WorkCalendar::china_default();
    let base = at("2024-12-20 00:00").micros();
    let mut rng = Lcg(11);
    for _ in 0..400 {
        let a = Timestamp::from_micros(base + rng.below(800 * 1440 * MINUTE));
        let b = Timestamp::from_micros(a.micros() + rng.below(120 * 1440 * MINUTE));
        let c = Timestamp::from_micros(b.micros() + rng.below(30 * 1440 * MINUTE));
        let w = cal.working_micros(a, b);
        let back = cal.add_working_micros(a, w);
        assert!(back <= b, "{a}..{b}: {w} working micros end at {back}");
        assert_eq!(cal.working_micros(a, back), w);
        // Counting is additive over adjacent spans and empty backwards.
        assert_eq!(
            cal.working_micros(a, b) + cal.working_micros(b, c),
            cal.working_micros(a, c)
        );
        assert_eq!(cal.working_micros(b, a), 0);
        assert_eq!(cal.working_minutes(a, b), w / MINUTE);
    }
}

#[test]
fn counting_working_time_agrees_with_counting_minute_by_minute() {
    let cal = WorkCalendar::china_default();
    let first_day = date!(2024 - 12 - 20);
    let base = at("2024-12-20 00:00").micros();
    let mut rng = Lcg(23);
    for _ in 0..150 {
        let start = rng.below(780 * 1440);
        let end = start + rng.below(15 * 1440);
        let mut expected = 0;
        let mut minute = start;
        while minute < end {
            let day = minute / 1440;
            let date = first_day
                .checked_add(time::Duration::days(day))
                .expect("date in range");
            let day_end = ((day + 1) * 1440).min(end);
            if cal.is_working_day(date) {
                expected += (minute..day_end)
                    .filter(|m| {
                        let of_day = m % 1440;
                        (510..720).contains(&of_day) || (810..1050).contains(&of_day)
                    })
                    .count() as i64;
            }
            minute = day_end;
        }
        let a = Timestamp::from_micros(base + start * MINUTE);
        let b = Timestamp::from_micros(base + end * MINUTE);
        assert_eq!(cal.working_minutes(a, b), expected, "{a}..{b}");
    }
}

#[test]
fn long_limits_are_counted_exactly() {
    let cal = WorkCalendar::china_default();
    let from = at("2025-01-02 10:00");
    for days in [1, 5, 90, 400, 3650] {
        let amount = Limit::working_days(days).budget_micros(&cal);
        let t = cal.add_working_micros(from, amount);
        assert_eq!(cal.working_micros(from, t), amount, "{days} working days");
        assert_eq!(
            cal.working_micros(from, Timestamp::from_micros(t.micros() - 1)),
            amount - 1
        );
    }
    // Ten weeks after the compiled-in schedule hold exactly fifty working days.
    let monday = at("2027-03-01 00:00");
    let later = monday.plus_seconds(70 * 86_400);
    assert_eq!(cal.working_minutes(monday, later), 50 * 450);
}

#[test]
fn a_calendar_without_working_days_does_not_search_forever() {
    let mut holidays = Vec::new();
    let mut d = date!(2026 - 01 - 01);
    while d < date!(2038 - 01 - 01) {
        holidays.push(d);
        d = d.next_day().expect("date in range");
    }
    let cal = WorkCalendar::new(vec![(510, 720)], holidays, []).expect("valid calendar");
    let t = cal.add_working_micros(at("2026-01-01 09:00"), 60 * MINUTE);
    assert_eq!(t, Timestamp::from_micros(i64::MAX));
}

#[test]
fn working_days_on_the_chinese_calendar() {
    let cal = WorkCalendar::china_default();
    let days: &[(Date, bool)] = &[
        (date!(2026 - 10 - 01), false),
        (date!(2026 - 10 - 07), false),
        (date!(2026 - 10 - 08), true),
        (date!(2026 - 10 - 10), true),
        (date!(2026 - 02 - 14), true),
        (date!(2026 - 02 - 28), true),
        (date!(2026 - 02 - 23), false),
        (date!(2026 - 09 - 20), true),
        (date!(2026 - 01 - 04), true),
        (date!(2026 - 05 - 09), true),
        (date!(2026 - 06 - 19), false),
        (date!(2026 - 11 - 21), false),
        (date!(2026 - 11 - 22), false),
        (date!(2026 - 11 - 23), true),
        (date!(2025 - 01 - 26), true),
        (date!(2025 - 10 - 08), false),
        (date!(2025 - 10 - 11), true),
        (date!(2027 - 01 - 01), true),
    ];
    for (d, working) in days {
        assert_eq!(cal.is_working_day(*d), *working, "{d}");
    }
    assert_eq!(cal.minutes_per_day(), 450);
    assert_eq!(cal.holidays().count(), 28 + 33);
    assert_eq!(cal.workdays().count(), 5 + 6);
    // Make-up working days are weekend days, and holidays are in order.
    for d in cal.workdays() {
        assert!(matches!(
            d.weekday(),
            time::Weekday::Saturday | time::Weekday::Sunday
        ));
    }
    let holidays: Vec<Date> = cal.holidays().collect();
    assert!(holidays.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn configuration_round_trips() {
    let cal = WorkCalendar::china_default();
    let config = cal.to_config();
    assert_eq!(config.hours, ["08:30-12:00", "13:30-17:30"]);
    assert!(config.holidays.contains(&"2026-10-01".to_owned()));
    assert!(config.workdays.contains(&"2026-02-14".to_owned()));
    assert_eq!(WorkCalendar::from_config(&config), Ok(cal.clone()));

    let json = serde_json::to_string(&config).expect("serialises");
    let back: CalendarConfig = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, config);

    // Holidays and make-up days may be left out of a configuration.
    let plain: CalendarConfig =
        serde_json::from_str(r#"{"hours": ["09:00-12:00", "14:00 - 18:00", "19:00-24:00"]}"#)
            .expect("deserialises");
    let plain = WorkCalendar::from_config(&plain).expect("valid");
    assert_eq!(plain.minutes_per_day(), 180 + 240 + 300);
    assert!(!plain.is_working_day(date!(2026 - 10 - 10)));
    assert!(plain.is_working_day(date!(2026 - 10 - 01)));
    assert_eq!(
        plain.to_config().hours,
        ["09:00-12:00", "14:00-18:00", "19:00-24:00"]
    );
}

#[test]
fn bad_configuration_names_the_field_and_the_value() {
    let config = |hours: &[&str], holidays: &[&str], workdays: &[&str]| CalendarConfig {
        hours: hours.iter().map(|s| s.to_string()).collect(),
        holidays: holidays.iter().map(|s| s.to_string()).collect(),
        workdays: workdays.iter().map(|s| s.to_string()).collect(),
    };
    let hours = ["08:30-12:00", "13:30-17:30"];
    let cases: &[(CalendarConfig, &str, &str)] = &[
        (
            config(&hours, &["2026-13-01"], &[]),
            "holidays",
            "2026-13-01",
        ),
        (
            config(&hours, &["2026-02-30"], &[]),
            "holidays",
            "2026-02-30",
        ),
        (
            config(&hours, &["2026/10/01"], &[]),
            "holidays",
            "2026/10/01",
        ),
        (config(&hours, &[], &["2026-1-4"]), "workdays", "2026-1-4"),
        (
            config(&hours, &["2026-10-10"], &["2026-10-10"]),
            "workdays",
            "2026-10-10",
        ),
        (
            config(&["08:30-12:00", "11:00-14:00"], &[], &[]),
            "hours",
            "11:00-14:00",
        ),
        (
            config(&["13:30-17:30", "08:30-12:00"], &[], &[]),
            "hours",
            "08:30-12:00",
        ),
        (config(&["12:00-08:30"], &[], &[]), "hours", "12:00-08:30"),
        (config(&["8.30-12"], &[], &[]), "hours", "8.30-12"),
        (config(&["08:30-24:30"], &[], &[]), "hours", "08:30-24:30"),
        (config(&[], &[], &[]), "hours", "工作时段"),
    ];
    for (c, field, value) in cases {
        let e = WorkCalendar::from_config(c).expect_err("invalid configuration");
        assert_eq!(e.field, *field, "{c:?}");
        assert!(e.message.contains(value), "{c:?}: {}", e.message);
    }
    let e = WorkCalendar::from_config(&config(&hours, &["2026-13-01"], &[])).expect_err("bad");
    assert_eq!(e.message, "无法识别的日期“2026-13-01”，应为YYYY-MM-DD");

    assert_eq!(
        WorkCalendar::new(vec![(510, 1500)], [], []).map_err(|e| e.field),
        Err("hours")
    );
    assert_eq!(
        WorkCalendar::new(vec![(600, 600)], [], []).map_err(|e| e.field),
        Err("hours")
    );
    assert!(WorkCalendar::new(vec![(0, 1440)], [], []).is_ok());
    assert!(WorkCalendar::new(vec![(510, 720), (720, 800)], [], []).is_ok());
}

#[test]
fn limits_parse_label_and_code() {
    let good: &[(&str, Limit)] = &[
        ("2h", Limit::working_hours(2)),
        ("2工作小时", Limit::working_hours(2)),
        (" 2 个工作小时 ", Limit::working_hours(2)),
        ("10wd", Limit::working_days(10)),
        ("10 WD", Limit::working_days(10)),
        ("10工作日", Limit::working_days(10)),
        ("10个工作日", Limit::working_days(10)),
        ("30d", Limit::calendar_days(30)),
        ("30日", Limit::calendar_days(30)),
        ("1d", Limit::calendar_days(1)),
        ("3650d", Limit::calendar_days(3650)),
    ];
    for (s, limit) in good {
        assert_eq!(Limit::parse(s), Ok(*limit), "{s:?}");
    }
    for s in [
        "",
        "h",
        "0d",
        "3651d",
        "99999999999wd",
        "2",
        "2x",
        "-2h",
        "2.5h",
        "2h2",
        "两个工作日",
    ] {
        let e = Limit::parse(s).expect_err(s);
        assert_eq!(e.field, "limit", "{s:?}");
        assert!(e.message.contains(s.trim()), "{s:?}: {}", e.message);
    }

    let labelled: &[(Limit, &str, &str)] = &[
        (Limit::working_hours(2), "2个工作小时", "2h"),
        (Limit::working_days(10), "10个工作日", "10wd"),
        (Limit::calendar_days(30), "30日", "30d"),
        (Limit::calendar_days(60), "60日", "60d"),
    ];
    for (limit, label, code) in labelled {
        assert_eq!(limit.label(), *label);
        assert_eq!(limit.code(), *code);
        assert_eq!(Limit::parse(&limit.label()), Ok(*limit));
        assert_eq!(Limit::parse(&limit.code()), Ok(*limit));
    }

    let units = [
        (LimitUnit::WorkingHours, "工作小时", "working_hours"),
        (LimitUnit::WorkingDays, "工作日", "working_days"),
        (LimitUnit::CalendarDays, "日", "calendar_days"),
    ];
    for (unit, label, code) in units {
        assert_eq!(unit.label(), label);
        assert_eq!(unit.code(), code);
        assert_eq!(
            serde_json::to_value(unit).expect("serialises"),
            serde_json::json!(code)
        );
    }

    let cal = WorkCalendar::china_default();
    assert_eq!(Limit::working_hours(2).budget_micros(&cal), 120 * MINUTE);
    assert_eq!(Limit::working_days(3).budget_micros(&cal), 3 * 450 * MINUTE);
    assert_eq!(
        Limit::calendar_days(2).budget_micros(&cal),
        2 * 1440 * MINUTE
    );
    let short = WorkCalendar::new(vec![(540, 720)], [], []).expect("valid");
    assert_eq!(
        Limit::working_days(3).budget_micros(&short),
        3 * 180 * MINUTE
    );
}

#[test]
fn readings_are_described_for_people() {
    let cal = WorkCalendar::china_default();
    let reading = |unit, remaining_minutes: i64, paused| Reading {
        deadline: None,
        remaining_minutes,
        overdue: remaining_minutes < 0,
        paused,
        unit,
    };
    use LimitUnit::{CalendarDays as C, WorkingDays as D, WorkingHours as H};
    let cases = [
        (reading(D, 3 * 450 + 120, false), "剩余3个工作日2小时"),
        (reading(D, 3 * 450 + 125, false), "剩余3个工作日2小时"),
        (reading(D, 2 * 450, false), "剩余2个工作日"),
        (reading(D, 80, false), "剩余1小时20分"),
        (reading(D, -(2 * 450 + 60), false), "已超期2个工作日1小时"),
        (reading(D, 450, true), "已暂停"),
        (reading(H, 80, false), "剩余1小时20分"),
        (reading(H, 120, false), "剩余2小时"),
        (reading(H, 0, false), "剩余0分"),
        (reading(H, -45, false), "已超期45分"),
        (reading(H, -1, true), "已暂停"),
        (reading(C, 5 * 1440 + 180, false), "剩余5天3小时"),
        (reading(C, 5 * 1440 + 20, false), "剩余5天"),
        (reading(C, 200, false), "剩余3小时"),
        (reading(C, 45, false), "剩余45分"),
        (reading(C, -(1440 + 90), false), "已超期1天1小时"),
    ];
    for (r, text) in cases {
        assert_eq!(r.describe(&cal), text, "{r:?}");
    }
    // A reading from a real clock, thirty seconds past its deadline.
    let r = check("2026-11-23 09:00", "2h", &[], "2026-11-23 11:00:30");
    assert_eq!(r.describe(&cal), "已超期1分");
}

#[test]
fn years_without_a_holiday_schedule_are_named_from_november_of_the_year_before() {
    let cal = WorkCalendar::china_default();
    let check = |now: &str, expected: &[i32]| {
        assert_eq!(cal.years_without_holidays(at(now)), expected, "at {now}");
    };
    // The built-in schedules cover 2025 and 2026.
    check("2026-06-01 09:00", &[]);
    check("2026-10-31 23:59", &[]);
    check("2026-11-01 00:00", &[2027]);
    check("2027-02-05 09:00", &[2027]);
    check("2027-12-07 09:00", &[2027, 2028]);
    // Midnight CST on New Year's Day is already the new year, although UTC is still in the old.
    check("2025-01-01 00:30", &[]);
    // A calendar configured with both years' holidays has no gap; one without the current
    // year's names it.
    let configured = |days: Vec<Date>| {
        WorkCalendar::new(vec![(510, 720), (810, 1050)], days, []).expect("a calendar")
    };
    let both = configured(vec![date!(2026 - 10 - 01), date!(2027 - 01 - 01)]);
    assert_eq!(
        both.years_without_holidays(at("2026-12-07 09:00")),
        Vec::<i32>::new()
    );
    let next_only = configured(vec![date!(2027 - 01 - 01)]);
    assert_eq!(
        next_only.years_without_holidays(at("2026-12-07 09:00")),
        vec![2026]
    );
}
