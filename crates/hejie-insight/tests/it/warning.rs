//! Spike detection on synthetic counts, and the risk signals of single cases.

use hejie_domain::case::{Channel, DisputeType, Severity};
use hejie_insight::warning::{THREAT_WORDS, baseline, poisson_limit, poisson_tail};
use hejie_insight::{
    CaseFacts, Level, RiskSignal, SpikeConfig, assess_risk, detect_spike, spring_festival,
    spring_festival_ahead,
};
use time::Date;
use time::macros::date;

use crate::support::{Story, village};

/// A count series that wanders around 4 without any spike.
fn quiet_weeks(n: usize) -> Vec<u64> {
    const PATTERN: [u64; 8] = [3, 5, 4, 6, 2, 4, 5, 3];
    (0..n).map(|i| PATTERN[i % PATTERN.len()]).collect()
}

#[test]
fn poisson_tails_and_limits_match_the_tables() {
    let check = |mean: f64, k: u64, tail: f64| {
        let got = poisson_tail(mean, k);
        assert!(
            (got - tail).abs() <= tail * 1e-9,
            "P(X ≥ {k} | {mean}) = {got}, expected {tail}"
        );
    };
    check(4.0, 0, 1.0);
    check(4.0, 9, 0.021_363_434_487_984_28);
    check(4.0, 10, 0.008_132_242_796_934_03);
    check(4.0, 15, 1.993_172_748_293_581_3e-5);
    check(0.5, 4, 0.001_751_622_556_290_799_4);
    assert_eq!(poisson_limit(4.0, 0.01), 10);
    assert_eq!(poisson_limit(0.5, 0.01), 4);
    // A large mean stays finite and sensible.
    let l = poisson_limit(1000.0, 0.01);
    assert!((1060..=1090).contains(&l), "{l}");
}

#[test]
fn a_flat_series_raises_no_warning() {
    let cfg = SpikeConfig::default();
    let series = quiet_weeks(120);
    for end in 1..=series.len() {
        assert_eq!(detect_spike(&series[..end], &cfg), None, "week {end}");
    }
    let flat = vec![7; 60];
    assert_eq!(detect_spike(&flat, &cfg), None);
    let seasonal = SpikeConfig {
        season: Some(52),
        ..cfg
    };
    assert_eq!(detect_spike(&series, &seasonal), None);
}

#[test]
fn an_injected_spike_is_detected_with_its_numbers() {
    let cfg = SpikeConfig::default();
    let check = |observed: u64, level: Option<Level>| {
        let mut s = vec![4; 20];
        s.push(observed);
        let spike = detect_spike(&s, &cfg);
        assert_eq!(spike.map(|x| x.level), level, "observed {observed}");
        if let Some(x) = spike {
            assert_eq!(x.expected, 4.0);
            assert_eq!(x.observed, observed);
            assert_eq!(x.limit, 10);
            assert!((x.ratio - observed as f64 / 4.0).abs() < 1e-12);
        }
    };
    check(9, None);
    check(10, Some(Level::Yellow));
    check(12, Some(Level::Orange));
    check(15, Some(Level::Red));
}

#[test]
fn the_seasonal_baseline_expects_the_yearly_peak() {
    // Three years of weeks; every year weeks 3 to 5 (before the Spring Festival) see 12 cases.
    let mut series: Vec<u64> = Vec::new();
    for week in 0..(52 * 3 + 5) {
        series.push(if (3..=5).contains(&(week % 52)) {
            12
        } else {
            4
        });
    }
    let trailing = SpikeConfig::default();
    let seasonal = SpikeConfig {
        season: Some(52),
        ..trailing
    };
    assert_eq!(baseline(&series, &seasonal), 12.0);
    assert_eq!(
        detect_spike(&series, &seasonal),
        None,
        "the peak is expected this time of year"
    );
    // A trailing mean has not seen the peak building and calls it a spike…
    assert!(detect_spike(&series[..series.len() - 1], &trailing).is_some());
    // …and the seasonal baseline still catches a peak far above the usual one.
    let mut worse = series.clone();
    if let Some(last) = worse.last_mut() {
        *last = 30;
    }
    let spike = detect_spike(&worse, &seasonal).expect("spike above the seasonal peak");
    assert_eq!(spike.level, Level::Red);
    assert_eq!(spike.expected, 12.0);
}

#[test]
fn a_quiet_village_needs_more_than_one_case() {
    let cfg = SpikeConfig::default();
    let mut s = vec![0; 30];
    s.push(2);
    assert_eq!(baseline(&s, &cfg), 0.5, "the expected count has a floor");
    assert_eq!(detect_spike(&s, &cfg), None);
    s.push(4);
    assert!(detect_spike(&s, &cfg).is_some());
}

fn facts(t: DisputeType, head_count: Option<u32>, fail: bool) -> CaseFacts {
    let mut s = Story::register(1, Channel::Visit, Some(t), village(), 0);
    s.accept(t, Severity::Ordinary);
    if fail {
        s.mediate().at(30).fail();
    }
    let mut f = CaseFacts::of(&s.case());
    f.head_count = head_count;
    f
}

#[test]
fn risk_signals_and_their_colours() {
    let today = date!(2026 - 03 - 05);
    let check = |f: &CaseFacts, text: &str, earlier: u32, score: u32, level: Option<Level>| {
        let r = assess_risk(f, text, earlier, today);
        assert_eq!(
            (r.score, r.level),
            (score, level),
            "{text}: {:?}",
            r.signals
        );
        r
    };
    let plain = facts(DisputeType::Neighbour, None, false);
    check(&plain, "邻居家的树遮挡阳光", 0, 0, None);
    check(&plain, "村里很热闹，邻居吵到深夜", 0, 0, None);
    let r = check(
        &plain,
        "再不解决就去上访，讨个说法",
        0,
        3,
        Some(Level::Yellow),
    );
    assert_eq!(
        r.signals,
        vec![RiskSignal::ThreatWords(vec![
            "上访".to_owned(),
            "讨个说法".to_owned()
        ])]
    );
    check(&plain, "邻居家的树遮挡阳光", 1, 1, None);
    check(&plain, "邻居家的树遮挡阳光", 3, 2, Some(Level::Yellow));
    let group_failed = facts(DisputeType::LandRequisition, Some(20), true);
    let r = check(&group_failed, "扬言要跳楼", 0, 7, Some(Level::Red));
    assert!(r.signals.contains(&RiskSignal::FailedMediation));
    assert!(
        r.signals
            .contains(&RiskSignal::GroupDispute { head_count: 20 })
    );
    check(&group_failed, "补偿标准有争议", 0, 4, Some(Level::Orange));
    assert!(THREAT_WORDS.iter().all(|w| !w.is_empty() && *w != "闹"));
}

#[test]
fn wage_arrears_count_only_before_the_spring_festival() {
    let labour = facts(DisputeType::Labour, None, false);
    let check = |day: time::Date, text: &str, expected: Option<i64>| {
        let r = assess_risk(&labour, text, 0, day);
        let found = r.signals.iter().find_map(|s| match s {
            RiskSignal::WageArrearsBeforeFestival { days_to_festival } => Some(*days_to_festival),
            _ => None,
        });
        assert_eq!(found, expected, "{day} {text}");
    };
    check(date!(2026 - 01 - 10), "包工头拖欠工资三个月", Some(38));
    check(date!(2026 - 02 - 17), "包工头拖欠工资三个月", Some(0));
    check(date!(2025 - 12 - 19), "包工头拖欠工资三个月", Some(60));
    check(date!(2025 - 12 - 18), "包工头拖欠工资三个月", None);
    check(date!(2026 - 02 - 18), "包工头拖欠工资三个月", None);
    check(date!(2026 - 01 - 10), "劳动合同解除争议", None);
    assert_eq!(spring_festival_ahead(date!(2027 - 01 - 01)), Some(36));
    assert_eq!(spring_festival_ahead(date!(2025 - 01 - 29)), Some(0));
    // Beyond any table: the festival of 2028 falls on 26 January, of 2031 on 23 January.
    assert_eq!(spring_festival_ahead(date!(2028 - 01 - 24)), Some(2));
    assert_eq!(spring_festival_ahead(date!(2030 - 12 - 01)), Some(53));
}

#[test]
fn the_spring_festival_is_known_for_every_year() {
    let check = |year: i32, expected: Date| {
        assert_eq!(spring_festival(year), Some(expected), "{year}");
    };
    check(2025, date!(2025 - 01 - 29));
    check(2026, date!(2026 - 02 - 17));
    check(2027, date!(2027 - 02 - 06));
    check(2028, date!(2028 - 01 - 26));
    check(2029, date!(2029 - 02 - 13));
    check(2030, date!(2030 - 02 - 03));
    check(2033, date!(2033 - 01 - 31));
    let neighbour = facts(DisputeType::Neighbour, None, false);
    let r = assess_risk(&neighbour, "拖欠工资", 0, date!(2026 - 01 - 10));
    assert!(
        r.signals.is_empty(),
        "only labour disputes: {:?}",
        r.signals
    );
}

#[test]
fn long_open_cases_are_flagged() {
    let f = facts(DisputeType::Neighbour, None, false);
    let r = assess_risk(&f, "", 0, date!(2026 - 05 - 10));
    assert!(
        r.signals.contains(&RiskSignal::LongOpen { days: 69 }),
        "{r:?}"
    );
    let r = assess_risk(&f, "", 0, date!(2026 - 04 - 30));
    assert!(r.signals.is_empty(), "{r:?}");
}
