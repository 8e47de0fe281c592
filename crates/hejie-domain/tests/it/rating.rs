//! Star rating of grids (星级网格): a table of (policy, record) → (score, stars), the parts behind
//! a score, and what `RatingPolicy::validate` refuses.

use hejie_domain::rating::{GridRecord, RatingPolicy, rate, stars_label};

/// Rates `record` under `policy` and checks the score (already rounded to one decimal, so it
/// compares exactly) and the stars.
fn check(name: &str, policy: &RatingPolicy, record: GridRecord, expected: (f64, u8)) {
    let rating = rate(policy, &record);
    assert_eq!(
        (rating.score, rating.stars),
        expected,
        "{name}: (score, stars) of {record:?}"
    );
    assert_eq!(rating.parts.len(), 4, "{name}: four parts");
    for part in &rating.parts {
        assert!(
            (0.0..=1.0).contains(&part.ratio),
            "{name}: {} ratio {} out of range",
            part.name,
            part.ratio
        );
    }
}

/// A record with every part full under the default policy; rows change what they test.
fn full() -> GridRecord {
    GridRecord {
        reports: 10,
        disputes: 8,
        closed_in_grid: 8,
        handled: 5,
        on_time: 5,
        sweeps_due: 4,
        sweeps_done: 4,
    }
}

#[test]
fn scores_and_stars_under_the_default_policy() {
    let p = RatingPolicy::default();
    let rows: &[(&str, GridRecord, (f64, u8))] = &[
        ("everything full", full(), (100.0, 5)),
        (
            "exactly 90: half the sweeps",
            GridRecord {
                sweeps_done: 2,
                ..full()
            },
            (90.0, 5),
        ),
        (
            "89.975 rounds to 90.0 and earns five stars",
            GridRecord {
                handled: 1000,
                on_time: 999,
                sweeps_done: 2,
                ..full()
            },
            (90.0, 5),
        ),
        (
            "89.9 is four stars",
            GridRecord {
                handled: 250,
                on_time: 249,
                sweeps_done: 2,
                ..full()
            },
            (89.9, 4),
        ),
        (
            "exactly 75: nothing on time",
            GridRecord {
                on_time: 0,
                ..full()
            },
            (75.0, 4),
        ),
        (
            "exactly 60: no reports, no sweeps",
            GridRecord {
                reports: 0,
                sweeps_done: 0,
                ..full()
            },
            (60.0, 3),
        ),
        (
            "exactly 40: nothing closed in the grid, nothing on time",
            GridRecord {
                closed_in_grid: 0,
                on_time: 0,
                ..full()
            },
            (40.0, 2),
        ),
        (
            "below 40 is one star",
            GridRecord {
                reports: 5,
                disputes: 1,
                closed_in_grid: 0,
                handled: 1,
                on_time: 0,
                sweeps_due: 4,
                sweeps_done: 3,
            },
            (25.0, 1),
        ),
        (
            "a third of the disputes closed in the grid",
            GridRecord {
                disputes: 3,
                closed_in_grid: 1,
                ..full()
            },
            (76.7, 4),
        ),
        (
            "an empty record: nothing reported, nothing to fail at",
            GridRecord::default(),
            (80.0, 4),
        ),
        (
            "zero denominators with reports",
            GridRecord {
                reports: 4,
                ..GridRecord::default()
            },
            (88.0, 4),
        ),
        (
            "everything zero but due",
            GridRecord {
                disputes: 2,
                handled: 3,
                sweeps_due: 4,
                ..GridRecord::default()
            },
            (0.0, 1),
        ),
        (
            "bad counts are clamped to 100%",
            GridRecord {
                reports: 25,
                disputes: 8,
                closed_in_grid: 12,
                handled: 5,
                on_time: 7,
                sweeps_due: 4,
                sweeps_done: 9,
            },
            (100.0, 5),
        ),
        (
            "clamping does not lift a short part",
            GridRecord {
                closed_in_grid: 12,
                sweeps_done: 2,
                ..full()
            },
            (90.0, 5),
        ),
    ];
    for (name, record, expected) in rows {
        check(name, &p, *record, *expected);
    }
}

#[test]
fn a_custom_policy_changes_the_target_weights_and_thresholds() {
    let p = RatingPolicy {
        target_reports: 4,
        weight_reports: 25,
        weight_closure: 25,
        weight_timeliness: 25,
        weight_sweeps: 25,
        stars: [80, 60, 40, 20],
    };
    assert_eq!(p.validate(), Ok(()));
    let rows: &[(&str, GridRecord, (f64, u8))] = &[
        (
            "12.5 + 16.7 + 25 + 12.5",
            GridRecord {
                reports: 2,
                disputes: 3,
                closed_in_grid: 2,
                handled: 0,
                on_time: 0,
                sweeps_due: 2,
                sweeps_done: 1,
            },
            (66.7, 4),
        ),
        (
            "four reports reach the target",
            GridRecord {
                reports: 4,
                ..GridRecord::default()
            },
            (100.0, 5),
        ),
        (
            "exactly 20 is two stars",
            GridRecord {
                reports: 0,
                disputes: 5,
                closed_in_grid: 4,
                handled: 1,
                on_time: 0,
                sweeps_due: 1,
                sweeps_done: 0,
            },
            (20.0, 2),
        ),
        (
            "below 20 is one star",
            GridRecord {
                reports: 3,
                disputes: 1,
                handled: 1,
                sweeps_due: 1,
                ..GridRecord::default()
            },
            (18.8, 1),
        ),
    ];
    for (name, record, expected) in rows {
        check(name, &p, *record, *expected);
    }
}

#[test]
fn the_parts_show_their_counts() {
    let rating = rate(
        &RatingPolicy::default(),
        &GridRecord {
            reports: 8,
            disputes: 8,
            closed_in_grid: 6,
            handled: 0,
            on_time: 3,
            sweeps_due: 4,
            sweeps_done: 5,
        },
    );
    let parts: Vec<(&str, &str, u32)> = rating
        .parts
        .iter()
        .map(|p| (p.name, p.detail.as_str(), p.weight))
        .collect();
    assert_eq!(
        parts,
        [
            ("上报活跃度", "8/10件", 20),
            ("网格内化解率", "6/8件", 35),
            ("办理及时率", "无办结事项", 25),
            ("排查完成率", "4/4次", 20),
        ]
    );
    let points: Vec<f64> = rating.parts.iter().map(|p| p.points).collect();
    assert_eq!(points, [16.0, 26.25, 25.0, 20.0]);
    assert_eq!((rating.score, rating.stars), (87.3, 4));

    let nothing = rate(&RatingPolicy::default(), &GridRecord::default());
    let details: Vec<&str> = nothing.parts.iter().map(|p| p.detail.as_str()).collect();
    assert_eq!(details, ["0/10件", "无纠纷", "无办结事项", "无排查任务"]);
}

#[test]
fn stars_are_drawn_out_of_five() {
    assert_eq!(stars_label(3), "★★★☆☆");
    assert_eq!(stars_label(5), "★★★★★");
    assert_eq!(stars_label(1), "★☆☆☆☆");
    assert_eq!(stars_label(0), "☆☆☆☆☆");
    assert_eq!(stars_label(9), "★★★★★");
}

/// Applies `change` to the default policy and checks the verdict: `None` = valid, otherwise a
/// fragment of the Chinese message (the field is always "rating").
fn check_policy(name: &str, change: impl FnOnce(&mut RatingPolicy), expected: Option<&str>) {
    let mut p = RatingPolicy::default();
    change(&mut p);
    match (p.validate(), expected) {
        (Ok(()), None) => {}
        (Err(e), Some(fragment)) => {
            assert_eq!(e.field, "rating", "{name}: wrong field ({})", e.message);
            assert!(
                e.message.contains(fragment),
                "{name}: message {:?} lacks {fragment:?}",
                e.message
            );
        }
        (got, want) => panic!("{name}: got {got:?}, expected {want:?}"),
    }
}

#[test]
fn a_policy_that_does_not_score_out_of_100_is_refused() {
    check_policy("default", |_| {}, None);
    check_policy(
        "weights sum to 99",
        |p| p.weight_sweeps = 19,
        Some("各项权重之和应为100，当前为99"),
    );
    check_policy(
        "weights sum to 101",
        |p| p.weight_reports = 21,
        Some("当前为101"),
    );
    check_policy(
        "weights that overflow u32",
        |p| {
            p.weight_reports = u32::MAX;
            p.weight_closure = 101;
        },
        Some("各项权重之和应为100"),
    );
    check_policy(
        "weights moved between parts",
        |p| {
            p.weight_reports = 0;
            p.weight_closure = 55;
        },
        None,
    );
    check_policy(
        "no reporting target",
        |p| p.target_reports = 0,
        Some("目标件数应至少为1"),
    );
    check_policy("a target of one", |p| p.target_reports = 1, None);
    check_policy(
        "a threshold above 100",
        |p| p.stars = [101, 75, 60, 40],
        Some("不能超过100分"),
    );
    check_policy(
        "equal thresholds",
        |p| p.stars = [90, 75, 75, 40],
        Some("严格递减"),
    );
    check_policy(
        "ascending thresholds",
        |p| p.stars = [40, 60, 75, 90],
        Some("严格递减"),
    );
    check_policy(
        "100 for five stars and 0 for two",
        |p| p.stars = [100, 75, 60, 0],
        None,
    );
}

#[test]
fn a_policy_round_trips_through_json() {
    let p = RatingPolicy::default();
    let json = serde_json::to_string(&p).expect("serialises");
    let back: RatingPolicy = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, p);
    let record = GridRecord {
        reports: 3,
        ..GridRecord::default()
    };
    let json = serde_json::to_string(&record).expect("serialises");
    assert_eq!(
        serde_json::from_str::<GridRecord>(&json).expect("deserialises"),
        record
    );
}
