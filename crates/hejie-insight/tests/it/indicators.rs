//! The indicators over a hand-built set of case histories, value by value.

use hejie_domain::case::{Channel, DisputeType, ReferralTarget, Satisfaction, Severity};
use hejie_domain::timestamp::Timestamp;
use hejie_insight::{
    Aggregates, CaseFacts, Context, Figure, Indicator, Metric, Totals, cst_day, delta, overdue_rate,
};
use time::macros::date;

use crate::support::{Story, village};

/// Eight cases in one village, registered on 2026-03-02 (CST) one hour apart:
///
/// 1. 邻里, visit: mediated, succeeded after 26 h (2 days), followed up 满意, obligation performed.
/// 2. 劳动争议 重大, sweep: succeeded after 5 h (1 day), followed up 基本满意, obligation not
///    performed.
/// 3. 合同, visit: escalated, succeeded after 72 h (3 days), not followed up; the party rated it
///    不满意.
/// 4. 征地拆迁 (not civil) 重大, phone: failed after 240 h (10 days), followed up 不满意.
/// 5. 邻里, sweep: succeeded after 48 h, followed up 满意, reopened, succeeded again after 100 h
///    (5 days), not followed up since.
/// 6. 损害赔偿, petition: referred to court after 30 h (2 days).
/// 7. Declined after 1 h.
/// 8. 邻里, visit, still open; a petition about it was linked.
fn stories() -> Vec<Story> {
    let v = village;
    let mut s1 = Story::register(1, Channel::Visit, Some(DisputeType::Neighbour), v(), 1);
    s1.accept(DisputeType::Neighbour, Severity::Ordinary)
        .mediate()
        .at(1 + 26)
        .succeed()
        .at(40)
        .follow_up(Satisfaction::Satisfied)
        .check(0, true);

    let mut s2 = Story::register(2, Channel::Sweep, None, v(), 2);
    s2.accept(DisputeType::Labour, Severity::Major)
        .mediate()
        .at(2 + 5)
        .succeed()
        .at(50)
        .follow_up(Satisfaction::FairlySatisfied)
        .check(0, false);

    let mut s3 = Story::register(3, Channel::Visit, Some(DisputeType::Contract), v(), 3);
    s3.accept(DisputeType::Contract, Severity::Ordinary)
        .escalate()
        .supervise()
        .mediate()
        .at(3 + 72)
        .succeed()
        .rate(Satisfaction::Dissatisfied);

    let mut s4 = Story::register(4, Channel::Phone, None, v(), 4);
    s4.accept(DisputeType::LandRequisition, Severity::Major)
        .mediate()
        .at(4 + 240)
        .fail()
        .at(300)
        .follow_up(Satisfaction::Dissatisfied);

    let mut s5 = Story::register(5, Channel::Sweep, None, v(), 5);
    s5.accept(DisputeType::Neighbour, Severity::Ordinary)
        .mediate()
        .at(5 + 48)
        .succeed()
        .at(60)
        .follow_up(Satisfaction::Satisfied)
        .reopen()
        .mediate()
        .at(5 + 100)
        .succeed();

    let mut s6 = Story::register(6, Channel::Petition, None, v(), 6);
    s6.accept(DisputeType::Damages, Severity::Ordinary)
        .at(6 + 30)
        .refer(ReferralTarget::Court);

    let mut s7 = Story::register(7, Channel::Visit, None, v(), 7);
    s7.at(8).decline();

    let mut s8 = Story::register(8, Channel::Visit, None, v(), 8);
    s8.accept(DisputeType::Neighbour, Severity::Ordinary)
        .at(20)
        .link(Channel::Petition);

    vec![s1, s2, s3, s4, s5, s6, s7, s8]
}

/// The aggregate kept event by event, as the store keeps it with each append.
fn incremental(stories: &[Story]) -> Aggregates {
    let mut agg = Aggregates::new();
    for s in stories {
        let mut before: Option<CaseFacts> = None;
        for case in s.states() {
            let after = CaseFacts::of(&case);
            agg.apply(&delta(before.as_ref(), &after));
            before = Some(after);
        }
    }
    agg
}

fn check(totals: &Totals, ctx: &Context, expected: &[(Indicator, i64, i64, Option<f64>, &str)]) {
    for (ind, num, den, value, shown) in expected {
        let f = ind.compute(totals, ctx);
        assert_eq!(
            (f.numerator, f.denominator),
            (*num, *den),
            "{} numerator/denominator",
            ind.label()
        );
        match (f.value, value) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{}: {a} ≠ {b}", ind.label()),
            (a, b) => assert_eq!(a, *b, "{}", ind.label()),
        }
        assert_eq!(ind.display(&f), *shown, "{} as shown", ind.label());
    }
}

#[test]
fn indicators_of_a_hand_built_history() {
    let stories = stories();
    let agg = incremental(&stories);
    let finals: Vec<CaseFacts> = stories.iter().map(|s| CaseFacts::of(&s.case())).collect();
    assert_eq!(agg, Aggregates::rebuild(&finals), "incremental = rebuild");

    let totals = agg.totals(|_| true);
    let ctx = Context {
        population: 2000,
        litigation: 3,
        judicial_confirmations: 2,
        open: 4,
        overdue: 1,
    };
    use Indicator as I;
    check(
        &totals,
        &ctx,
        &[
            (I::Registered, 8, 1, Some(8.0), "8"),
            (I::SweepFound, 2, 1, Some(2.0), "2"),
            (I::Prevented, 2, 1, Some(2.0), "2"),
            (I::Mediated, 5, 1, Some(5.0), "5"),
            (I::Succeeded, 4, 1, Some(4.0), "4"),
            (I::Petitions, 2, 1, Some(2.0), "2"),
            (I::MediationSuccessRate, 4, 5, Some(0.8), "80.0%"),
            (I::CivilSuccessRate, 4, 4, Some(1.0), "100.0%"),
            (I::LocalResolutionRate, 3, 4, Some(0.75), "75.0%"),
            (I::FollowUpRate, 3, 6, Some(0.5), "50.0%"),
            (I::MajorFollowUpRate, 2, 2, Some(1.0), "100.0%"),
            (I::OverdueRate, 1, 4, Some(0.25), "25.0%"),
            (I::AverageDaysToClose, 23, 6, Some(23.0 / 6.0), "3.8天"),
            (I::P90DaysToClose, 10, 6, Some(10.0), "10.0天"),
            (I::SatisfactionRate, 2, 4, Some(0.5), "50.0%"),
            (I::PerformanceRate, 1, 2, Some(0.5), "50.0%"),
            (I::JudicialConfirmationRate, 2, 4, Some(0.5), "50.0%"),
            (I::LitigationPerTenThousand, 3, 2000, Some(15.0), "15.00"),
            (I::IncidencePerTenThousand, 8, 2000, Some(40.0), "40.00"),
        ],
    );
    assert_eq!(totals.get(Metric::Declined), 1);
    assert_eq!(
        totals.get(Metric::EndedEscalated),
        1,
        "case 6 went to court"
    );
}

#[test]
fn empty_denominators_show_a_dash() {
    let empty = Totals::default();
    use Indicator as I;
    check(
        &empty,
        &Context::default(),
        &[
            (I::Registered, 0, 1, Some(0.0), "0"),
            (I::MediationSuccessRate, 0, 0, None, "—"),
            (I::AverageDaysToClose, 0, 0, None, "—"),
            (I::P90DaysToClose, 0, 0, None, "—"),
            (I::IncidencePerTenThousand, 0, 0, None, "—"),
            (I::OverdueRate, 0, 0, None, "—"),
        ],
    );
    assert_eq!(
        overdue_rate(8, 2),
        Figure {
            numerator: 2,
            denominator: 8,
            value: Some(0.25)
        }
    );
}

#[test]
fn metrics_count_on_their_own_days() {
    let agg = incremental(&stories());
    let on = |d: time::Date| agg.totals(move |k| k.day == d);
    let first = on(date!(2026 - 03 - 02));
    // Every case was registered on the first day; only case 2 (closed at 16:00) was concluded
    // that day, and case 7 was declined at 17:00.
    assert_eq!(first.get(Metric::Registered), 8);
    assert_eq!(first.get(Metric::Closed), 1);
    assert_eq!(first.get(Metric::Succeeded), 1);
    assert_eq!(first.get(Metric::Declined), 1);
    // Case 5 closed first on 03-04 14:00 and again on 03-06 18:00: only the last closing counts.
    assert_eq!(on(date!(2026 - 03 - 04)).get(Metric::Closed), 0);
    let sixth = on(date!(2026 - 03 - 06));
    assert_eq!(sixth.get(Metric::Closed), 1);
    assert_eq!(sixth.get(Metric::Prevented), 1);
    assert_eq!(
        sixth.get(Metric::FollowedUp),
        0,
        "the reopened case awaits a new follow-up"
    );
    // The petition linked to case 8 at 2026-03-03 05:00 CST counts on that day.
    assert_eq!(on(date!(2026 - 03 - 03)).get(Metric::Petitions), 1);
}

#[test]
fn days_are_china_standard_time() {
    // 2026-03-02 16:30 UTC is 2026-03-03 00:30 in Beijing.
    let t = Timestamp::from_micros(1_772_469_000_000_000);
    assert_eq!(cst_day(t), date!(2026 - 03 - 03));
    assert_eq!(cst_day(t.plus_seconds(-3600)), date!(2026 - 03 - 02));
}

#[test]
fn every_indicator_has_a_formula_in_chinese() {
    for ind in Indicator::ALL {
        let f = ind.formula();
        assert!(!ind.label().is_empty() && !f.is_empty(), "{}", ind.code());
        assert!(
            f.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}: {f}",
            ind.code()
        );
    }
    assert_eq!(
        Indicator::MediationSuccessRate.formula(),
        "调解成功件数 ÷ 调解终结件数（调解成功＋调解不成） × 100%"
    );
}
