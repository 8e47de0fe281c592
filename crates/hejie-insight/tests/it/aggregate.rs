//! The incremental aggregate against a rebuild, over random case histories.

use hejie_domain::case::{Channel, DisputeType, ReferralTarget, Satisfaction, Severity};
use hejie_insight::aggregate::CLOSE_DAYS_CAP;
use hejie_insight::{Aggregates, CaseFacts, Metric, Totals, contributions, delta};

use crate::support::{Rng, Story, other_village, village};

/// A random history: any sequence of events folds (apply refuses nothing), so the histories
/// include orders the workflow would refuse, which makes the property stronger.
fn random_story(rng: &mut Rng, n: u64) -> Story {
    let division = if rng.chance(0.5) {
        village()
    } else {
        other_village()
    };
    let channel = rng.pick(Channel::ALL);
    let first_type = rng.chance(0.5).then(|| rng.pick(DisputeType::ALL));
    let start = rng.below(24 * 40) as i64;
    let mut s = Story::register(n, channel, first_type, division, start);
    for _ in 0..rng.below(14) {
        let now = s.now + rng.below(60) as i64;
        s.at(now);
        match rng.below(14) {
            0 => s.accept(rng.pick(DisputeType::ALL), rng.pick(Severity::ALL)),
            1 => s.escalate(),
            2 => s.mediate(),
            3 | 4 => s.succeed(),
            5 => s.fail(),
            6 => s.withdraw(),
            7 => s.refer(rng.pick(&[
                ReferralTarget::Court,
                ReferralTarget::Police,
                ReferralTarget::LettersAndVisits,
                ReferralTarget::LegalAid,
            ])),
            8 => s.follow_up(rng.pick(Satisfaction::ALL)),
            9 => s.reopen(),
            10 => s.check(rng.below(2) as u32, rng.chance(0.6)),
            11 => s.link(rng.pick(&[Channel::Petition, Channel::Phone])),
            12 => s.rate(rng.pick(Satisfaction::ALL)),
            _ => s.decline(),
        };
    }
    s
}

#[test]
fn folding_deltas_equals_contributions_of_final_states() {
    let mut rng = Rng::new(0x5EED_0001);
    for round in 0..40 {
        let stories: Vec<Story> = (0..25).map(|i| random_story(&mut rng, i)).collect();
        let mut incremental = Aggregates::new();
        let mut all_deltas = Vec::new();
        for s in &stories {
            let mut before: Option<CaseFacts> = None;
            for case in s.states() {
                let after = CaseFacts::of(&case);
                let d = delta(before.as_ref(), &after);
                assert!(
                    d.iter().all(|(_, _, n)| *n != 0),
                    "zero entries are dropped"
                );
                incremental.apply(&d);
                all_deltas.extend(d);
                before = Some(after);
            }
        }
        let finals: Vec<CaseFacts> = stories.iter().map(|s| CaseFacts::of(&s.case())).collect();
        let rebuilt = Aggregates::rebuild(&finals);
        assert_eq!(incremental, rebuilt, "round {round}");
        assert!(incremental.cells().all(|(_, _, n)| n != 0));
        let from_contributions =
            Totals::fold(&finals.iter().flat_map(contributions).collect::<Vec<_>>());
        assert_eq!(
            Totals::fold(&all_deltas),
            from_contributions,
            "round {round}"
        );
        assert_eq!(
            incremental.totals(|_| true),
            from_contributions,
            "round {round}"
        );
    }
}

#[test]
fn a_reopened_case_moves_its_outcome_to_the_new_closing_day() {
    let mut s = Story::register(
        1,
        Channel::Visit,
        Some(DisputeType::Neighbour),
        village(),
        0,
    );
    s.accept(DisputeType::Neighbour, Severity::Ordinary)
        .mediate()
        .at(10)
        .succeed();
    let closed = CaseFacts::of(&s.case());
    s.at(72).reopen();
    let reopened = CaseFacts::of(&s.case());
    let d = delta(Some(&closed), &reopened);
    assert!(
        d.iter()
            .all(|(k, _, n)| *n < 0 && k.day == closed.closed_day.expect("closed")),
        "reopening withdraws the outcome from the old closing day: {d:?}"
    );
    assert!(d.iter().any(|(_, m, _)| *m == Metric::Succeeded));
    s.at(200).mediate().succeed();
    let again = CaseFacts::of(&s.case());
    let d = delta(Some(&reopened), &again);
    let day = again.closed_day.expect("closed again");
    assert_ne!(Some(day), closed.closed_day);
    assert!(d.iter().all(|(k, _, n)| *n > 0 && k.day == day), "{d:?}");
    assert!(d.contains(&(d[0].0.clone(), Metric::CloseDays(9), 1)));
}

#[test]
fn accepting_moves_the_registration_to_the_typed_cell() {
    let mut s = Story::register(1, Channel::Grid, None, village(), 0);
    let before = CaseFacts::of(&s.case());
    s.accept(DisputeType::Labour, Severity::Ordinary);
    let after = CaseFacts::of(&s.case());
    let d = delta(Some(&before), &after);
    let moved: Vec<_> = d.iter().map(|(k, m, n)| (k.dispute_type, *m, *n)).collect();
    assert_eq!(
        moved,
        vec![
            (None, Metric::Registered, -1),
            (Some(DisputeType::Labour), Metric::Registered, 1),
        ]
    );
}

#[test]
fn p90_comes_from_the_whole_day_histogram() {
    let check = |days: &[(u16, i64)], percent: u8, expected: Option<u16>| {
        let mut t = Totals::default();
        for (d, n) in days {
            t.add(Metric::CloseDays(*d), *n);
        }
        assert_eq!(
            t.close_days_percentile(percent),
            expected,
            "{days:?} p{percent}"
        );
    };
    check(&[], 90, None);
    check(&[(3, 1)], 90, Some(3));
    // Ten cases: the ninth fastest took 8 days.
    check(&[(1, 5), (4, 3), (8, 1), (20, 1)], 90, Some(8));
    // Eleven cases: rank ⌈9.9⌉ = 10 is the slowest but one.
    check(&[(1, 5), (4, 3), (8, 1), (20, 1), (30, 1)], 90, Some(20));
    check(&[(1, 1), (CLOSE_DAYS_CAP, 9)], 90, Some(CLOSE_DAYS_CAP));
    check(&[(2, 4), (6, 4)], 50, Some(2));
    for m in Metric::SIMPLE
        .iter()
        .copied()
        .chain([Metric::CloseDays(17)])
    {
        assert_eq!(Metric::from_code(&m.code()), Some(m));
    }
    assert_eq!(Metric::from_code("close_days_999"), None);
}
