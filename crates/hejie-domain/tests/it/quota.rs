//! Minimum duties (四个至少): which activities count toward which duty in which period, as a table
//! of (duties, period, activities) → (done, met) per duty; the calendar of periods; and what
//! `QuotaPolicy::validate` refuses.

use hejie_domain::quota::{
    ActivityKind, ActivityRecord, Duty, DutyStatus, Period, Quota, QuotaPolicy, all_met, compliance,
};
use hejie_domain::user::Role;
use time::Date;
use time::macros::date;

use ActivityKind::{Consultation, Mediation, Patrol, Publicity, Report, SweepVisit, Talk};

fn activity(id: &str, kind: ActivityKind, day: Date, flagged: bool) -> ActivityRecord {
    ActivityRecord {
        id: id.to_owned(),
        kind,
        day,
        flagged,
    }
}

fn ok(id: &str, kind: ActivityKind, day: Date) -> ActivityRecord {
    activity(id, kind, day, false)
}

/// Computes compliance with a quota of `duties` (name, kinds, min) for the period of `period`
/// starting at `start`, checks (done, met) per duty against `expected` and returns the statuses
/// so a row can check more.
fn check(
    name: &str,
    duties: &[(&str, &[ActivityKind], u32)],
    (period, start): (Period, Date),
    activities: &[ActivityRecord],
    expected: &[(u32, bool)],
) -> Vec<DutyStatus> {
    let quota = Quota {
        role: Role::LegalAdvisor,
        period,
        duties: duties
            .iter()
            .map(|&(name, kinds, min)| Duty {
                name: name.to_owned(),
                kinds: kinds.to_vec(),
                min,
            })
            .collect(),
    };
    let statuses = compliance(&quota, start, activities);
    let got: Vec<(u32, bool)> = statuses.iter().map(|s| (s.done, s.met)).collect();
    assert_eq!(got, expected, "{name}: (done, met) per duty");
    for (status, duty) in statuses.iter().zip(&quota.duties) {
        assert_eq!(status.duty, duty.name, "{name}: duty name");
        assert_eq!(status.required, duty.min, "{name}: required");
        assert_eq!(
            usize::try_from(status.done).ok(),
            Some(status.evidence.len()),
            "{name}: done counts the evidence"
        );
    }
    statuses
}

const NOVEMBER: (Period, Date) = (Period::Month, date!(2026 - 11 - 01));

#[test]
fn a_duty_is_met_at_its_minimum_and_not_one_short() {
    let patrols = [("巡查", &[Patrol][..], 3)];
    check(
        "exactly at the minimum",
        &patrols,
        NOVEMBER,
        &[
            ok("p1", Patrol, date!(2026 - 11 - 02)),
            ok("p2", Patrol, date!(2026 - 11 - 15)),
            ok("p3", Patrol, date!(2026 - 11 - 30)),
        ],
        &[(3, true)],
    );
    check(
        "one short",
        &patrols,
        NOVEMBER,
        &[
            ok("p1", Patrol, date!(2026 - 11 - 02)),
            ok("p2", Patrol, date!(2026 - 11 - 15)),
        ],
        &[(2, false)],
    );
    check(
        "one over",
        &patrols,
        NOVEMBER,
        &[
            ok("p1", Patrol, date!(2026 - 11 - 02)),
            ok("p2", Patrol, date!(2026 - 11 - 15)),
            ok("p3", Patrol, date!(2026 - 11 - 16)),
            ok("p4", Patrol, date!(2026 - 11 - 17)),
        ],
        &[(4, true)],
    );
    check("nothing done", &patrols, NOVEMBER, &[], &[(0, false)]);
    check(
        "other kinds do not count",
        &patrols,
        NOVEMBER,
        &[
            ok("r1", Report, date!(2026 - 11 - 02)),
            ok("s1", SweepVisit, date!(2026 - 11 - 03)),
        ],
        &[(0, false)],
    );
}

#[test]
fn only_activities_inside_the_period_count() {
    let visit = [("走访排查", &[SweepVisit][..], 1)];
    let statuses = check(
        "the day before the start and the day at the end are outside",
        &visit,
        NOVEMBER,
        &[
            ok("before", SweepVisit, date!(2026 - 10 - 31)),
            ok("first", SweepVisit, date!(2026 - 11 - 01)),
            ok("last", SweepVisit, date!(2026 - 11 - 30)),
            ok("end", SweepVisit, date!(2026 - 12 - 01)),
        ],
        &[(2, true)],
    );
    assert_eq!(statuses[0].evidence, ["first", "last"]);
    check(
        "only outside",
        &visit,
        NOVEMBER,
        &[
            ok("before", SweepVisit, date!(2026 - 10 - 31)),
            ok("end", SweepVisit, date!(2026 - 12 - 01)),
        ],
        &[(0, false)],
    );
    check(
        "a start inside the period names the same period",
        &visit,
        (Period::Month, date!(2026 - 11 - 20)),
        &[ok("first", SweepVisit, date!(2026 - 11 - 01))],
        &[(1, true)],
    );
}

#[test]
fn consultation_or_mediation_is_met_by_either() {
    let either = [("咨询或调解", &[Consultation, Mediation][..], 1)];
    check(
        "a consultation",
        &either,
        NOVEMBER,
        &[ok("c", Consultation, date!(2026 - 11 - 05))],
        &[(1, true)],
    );
    check(
        "a mediation",
        &either,
        NOVEMBER,
        &[ok("m", Mediation, date!(2026 - 11 - 05))],
        &[(1, true)],
    );
    check(
        "both",
        &either,
        NOVEMBER,
        &[
            ok("c", Consultation, date!(2026 - 11 - 05)),
            ok("m", Mediation, date!(2026 - 11 - 06)),
        ],
        &[(2, true)],
    );
}

#[test]
fn an_activity_counts_toward_every_duty_that_lists_its_kind() {
    let statuses = check(
        "one mediation, two duties",
        &[
            ("咨询或调解", &[Consultation, Mediation][..], 1),
            ("参与调解", &[Mediation][..], 1),
            ("普法宣传", &[Publicity][..], 1),
        ],
        NOVEMBER,
        &[ok("m", Mediation, date!(2026 - 11 - 05))],
        &[(1, true), (1, true), (0, false)],
    );
    assert!(!all_met(&statuses));
    assert!(all_met(&statuses[..2]));
    assert!(all_met(&[]), "no duties, nothing unmet");
}

#[test]
fn weeks_and_quarters_have_their_own_boundaries() {
    let talk = [("法治讲座", &[Talk][..], 2)];
    let statuses = check(
        "a week from Monday 30 November to Sunday 6 December",
        &talk,
        (Period::Week, date!(2026 - 11 - 30)),
        &[
            ok("sun-before", Talk, date!(2026 - 11 - 29)),
            ok("mon", Talk, date!(2026 - 11 - 30)),
            ok("tue", Talk, date!(2026 - 12 - 01)),
            ok("sun", Talk, date!(2026 - 12 - 06)),
            ok("mon-after", Talk, date!(2026 - 12 - 07)),
        ],
        &[(3, true)],
    );
    assert_eq!(statuses[0].evidence, ["mon", "tue", "sun"]);
    check(
        "the fourth quarter",
        &talk,
        (Period::Quarter, date!(2026 - 10 - 01)),
        &[
            ok("sep", Talk, date!(2026 - 09 - 30)),
            ok("oct", Talk, date!(2026 - 10 - 01)),
            ok("dec", Talk, date!(2026 - 12 - 31)),
            ok("jan", Talk, date!(2027 - 01 - 01)),
        ],
        &[(2, true)],
    );
    check(
        "the first quarter misses December",
        &talk,
        (Period::Quarter, date!(2027 - 01 - 01)),
        &[
            ok("dec", Talk, date!(2026 - 12 - 31)),
            ok("jan", Talk, date!(2027 - 01 - 01)),
            ok("apr", Talk, date!(2027 - 04 - 01)),
        ],
        &[(1, false)],
    );
}

#[test]
fn flagged_activities_count_and_are_listed() {
    let statuses = check(
        "one of two visits checked in outside the geofence",
        &[
            ("走访排查", &[SweepVisit][..], 2),
            ("普法宣传", &[Publicity][..], 1),
        ],
        NOVEMBER,
        &[
            ok("v1", SweepVisit, date!(2026 - 11 - 03)),
            activity("v2", SweepVisit, date!(2026 - 11 - 04), true),
            activity("p-outside", Publicity, date!(2026 - 12 - 04), true),
            ok("p1", Publicity, date!(2026 - 11 - 05)),
        ],
        &[(2, true), (1, true)],
    );
    assert_eq!(statuses[0].evidence, ["v1", "v2"]);
    assert_eq!(statuses[0].flagged, ["v2"]);
    assert_eq!(statuses[1].evidence, ["p1"]);
    assert!(
        statuses[1].flagged.is_empty(),
        "a flagged activity outside the period is not listed"
    );
}

#[test]
fn periods_start_on_monday_the_first_and_the_quarter() {
    let cases: &[(Period, Date, Date, Date)] = &[
        // A Friday in the week across the year end.
        (
            Period::Week,
            date!(2027 - 01 - 01),
            date!(2026 - 12 - 28),
            date!(2027 - 01 - 04),
        ),
        // Sunday is the last day of its week.
        (
            Period::Week,
            date!(2027 - 01 - 03),
            date!(2026 - 12 - 28),
            date!(2027 - 01 - 04),
        ),
        // Monday is the first.
        (
            Period::Week,
            date!(2026 - 12 - 28),
            date!(2026 - 12 - 28),
            date!(2027 - 01 - 04),
        ),
        (
            Period::Week,
            date!(2026 - 01 - 01),
            date!(2025 - 12 - 29),
            date!(2026 - 01 - 05),
        ),
        (
            Period::Month,
            date!(2026 - 12 - 31),
            date!(2026 - 12 - 01),
            date!(2027 - 01 - 01),
        ),
        (
            Period::Month,
            date!(2024 - 02 - 29),
            date!(2024 - 02 - 01),
            date!(2024 - 03 - 01),
        ),
        (
            Period::Quarter,
            date!(2026 - 03 - 31),
            date!(2026 - 01 - 01),
            date!(2026 - 04 - 01),
        ),
        (
            Period::Quarter,
            date!(2026 - 04 - 01),
            date!(2026 - 04 - 01),
            date!(2026 - 07 - 01),
        ),
        (
            Period::Quarter,
            date!(2026 - 09 - 30),
            date!(2026 - 07 - 01),
            date!(2026 - 10 - 01),
        ),
        (
            Period::Quarter,
            date!(2026 - 12 - 31),
            date!(2026 - 10 - 01),
            date!(2027 - 01 - 01),
        ),
    ];
    for &(period, day, start, end) in cases {
        assert_eq!(
            period.range_containing(day),
            (start, end),
            "{period:?} containing {day}"
        );
    }
}

#[test]
fn periods_are_described_in_chinese() {
    assert_eq!(Period::Month.describe(date!(2026 - 11 - 01)), "2026年11月");
    assert_eq!(
        Period::Quarter.describe(date!(2026 - 10 - 01)),
        "2026年第4季度"
    );
    assert_eq!(
        Period::Quarter.describe(date!(2027 - 01 - 01)),
        "2027年第1季度"
    );
    assert_eq!(
        Period::Week.describe(date!(2026 - 11 - 16)),
        "2026年11月16日起一周"
    );
    assert_eq!(
        Period::Week.describe(date!(2027 - 01 - 01)),
        "2026年12月28日起一周",
        "a day inside a week names the week it is in"
    );
}

#[test]
fn kinds_and_periods_are_stored_by_code_and_parsed_from_code_or_label() {
    for &kind in ActivityKind::ALL {
        assert_eq!(ActivityKind::parse(kind.code()), Ok(kind));
        assert_eq!(ActivityKind::parse(kind.label()), Ok(kind));
        assert_eq!(
            serde_json::to_string(&kind).ok(),
            Some(format!("\"{}\"", kind.code()))
        );
    }
    for &period in Period::ALL {
        assert_eq!(Period::parse(period.code()), Ok(period));
        assert_eq!(Period::parse(period.label()), Ok(period));
        assert_eq!(
            serde_json::to_string(&period).ok(),
            Some(format!("\"{}\"", period.code()))
        );
    }
    assert_eq!(ActivityKind::parse(" 法律咨询 "), Ok(Consultation));
    assert!(ActivityKind::parse("散步").is_err());
    assert!(Period::parse("每年").is_err());
}

/// Applies `change` to the default policy and checks the verdict: `None` = valid, otherwise a
/// fragment of the Chinese message (the field is always "quota").
fn check_policy(name: &str, change: impl FnOnce(&mut QuotaPolicy), expected: Option<&str>) {
    let mut p = QuotaPolicy::default();
    change(&mut p);
    match (p.validate(), expected) {
        (Ok(()), None) => {}
        (Err(e), Some(fragment)) => {
            assert_eq!(e.field, "quota", "{name}: wrong field ({})", e.message);
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
fn the_default_policy_is_the_four_at_least_and_valid() {
    check_policy("default", |_| {}, None);
    let p = QuotaPolicy::default();
    for role in [Role::LegalAdvisor, Role::JudicialGeneralAdvisor] {
        let q = p.for_role(role).expect("advisors have a quota");
        assert_eq!(q.period, Period::Month);
        let duties: Vec<(&str, &[ActivityKind], u32)> = q
            .duties
            .iter()
            .map(|d| (d.name.as_str(), d.kinds.as_slice(), d.min))
            .collect();
        assert_eq!(
            duties,
            [
                ("走访排查", &[SweepVisit][..], 1),
                ("咨询或调解", &[Consultation, Mediation][..], 1),
                ("普法宣传", &[Publicity][..], 1),
                ("法治讲座", &[Talk][..], 1),
            ]
        );
    }
    let grid = p
        .for_role(Role::GridWorker)
        .expect("grid workers have a quota");
    assert_eq!(grid.period, Period::Month);
    let duties: Vec<(&str, u32)> = grid
        .duties
        .iter()
        .map(|d| (d.name.as_str(), d.min))
        .collect();
    assert_eq!(duties, [("巡查", 20), ("上报", 1)]);
    assert_eq!(p.for_role(Role::Mediator), None);
}

#[test]
fn a_policy_people_could_not_have_meant_is_refused() {
    check_policy(
        "minimum 0",
        |p| p.quotas[0].duties[0].min = 0,
        Some("“走访排查”的最低次数应至少为1"),
    );
    check_policy(
        "no kinds",
        |p| p.quotas[0].duties[1].kinds.clear(),
        Some("“咨询或调解”没有指定计入的活动类型"),
    );
    check_policy(
        "no duties",
        |p| p.quotas[2].duties.clear(),
        Some("网格员的定额没有任何职责"),
    );
    check_policy(
        "two quotas for one role",
        |p| {
            let again = p.quotas[0].clone();
            p.quotas.push(again);
        },
        Some("法律顾问的定额重复设置"),
    );
    check_policy(
        "the same duty name twice",
        |p| p.quotas[1].duties[3].name = "普法宣传".to_owned(),
        Some("司法总顾问的职责“普法宣传”重复"),
    );
    check_policy(
        "names differing only in spaces are the same",
        |p| p.quotas[1].duties[3].name = " 普法宣传 ".to_owned(),
        Some("“普法宣传”重复"),
    );
    check_policy(
        "an empty name",
        |p| p.quotas[2].duties[0].name = String::new(),
        Some("网格员的职责名称不能为空"),
    );
    check_policy(
        "a blank name",
        |p| p.quotas[2].duties[1].name = "  ".to_owned(),
        Some("职责名称不能为空"),
    );
    check_policy(
        "a weekly quota for another role is fine",
        |p| {
            p.quotas.push(Quota {
                role: Role::Mediator,
                period: Period::Week,
                duties: vec![Duty {
                    name: "调解".to_owned(),
                    kinds: vec![Mediation],
                    min: 1,
                }],
            });
        },
        None,
    );
    check_policy("no quotas at all", |p| p.quotas.clear(), None);
}

#[test]
fn a_policy_round_trips_through_json() {
    let p = QuotaPolicy::default();
    let json = serde_json::to_string(&p).expect("serialises");
    assert!(json.contains("\"role\":\"legal_advisor\""), "{json}");
    assert!(json.contains("\"period\":\"month\""), "{json}");
    assert!(json.contains("\"sweep_visit\""), "{json}");
    let back: QuotaPolicy = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, p);
}
