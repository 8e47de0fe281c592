//! The time-limit policy a deployment edits: what `LimitPolicy::validate` accepts and refuses,
//! as a table of (change to the default policy) → (field, message fragment) or accepted.

use hejie_domain::case::{ClockKind, DisputeType};
use hejie_domain::clock::Limit;
use hejie_domain::division::Level;
use hejie_domain::limits::{AutoEscalation, LimitPolicy, LimitRule};

/// Applies `change` to the default policy and checks the verdict: `None` = valid, otherwise the
/// field and a fragment of the Chinese message.
fn check(name: &str, change: impl FnOnce(&mut LimitPolicy), expected: Option<(&str, &str)>) {
    let mut p = LimitPolicy::default();
    change(&mut p);
    match (p.validate(), expected) {
        (Ok(()), None) => {}
        (Err(e), Some((field, fragment))) => {
            assert_eq!(e.field, field, "{name}: wrong field ({})", e.message);
            assert!(
                e.message.contains(fragment),
                "{name}: message {:?} lacks {fragment:?}",
                e.message
            );
        }
        (got, want) => panic!("{name}: got {got:?}, expected {want:?}"),
    }
}

fn labour_rule(days: u32) -> LimitRule {
    LimitRule {
        clock: ClockKind::Resolve,
        intake: false,
        level: None,
        dispute_type: Some(DisputeType::Labour),
        track: None,
        channel: None,
        limit: Limit::working_days(days),
        basis: "本县规定".to_owned(),
    }
}

#[test]
fn the_default_policy_is_valid() {
    check("default", |_| {}, None);
}

#[test]
fn shares_and_periods_must_be_in_range() {
    check(
        "remind 0",
        |p| p.remind_at_percent = 0,
        Some(("remind_at_percent", "1至99")),
    );
    check(
        "remind 100",
        |p| p.remind_at_percent = 100,
        Some(("remind_at_percent", "1至99")),
    );
    check("remind 99", |p| p.remind_at_percent = 99, None);
    check("follow-up 0%", |p| p.follow_up_percent = 0, None);
    check("follow-up 100%", |p| p.follow_up_percent = 100, None);
    check(
        "follow-up 101%",
        |p| p.follow_up_percent = 101,
        Some(("follow_up_percent", "0至100")),
    );
    check(
        "follow-up after 0 days",
        |p| p.follow_up_after_days = 0,
        Some(("follow_up_after_days", "1至365")),
    );
}

#[test]
fn each_rule_needs_a_basis_a_limit_in_range_and_distinct_conditions() {
    check(
        "blank basis",
        |p| p.rules[2].basis = "  ".to_owned(),
        Some(("rules", "第3条时限规则缺少依据")),
    );
    check(
        "zero limit",
        |p| p.rules.push(labour_rule(0)),
        Some(("rules", "时限数量应为1至3650")),
    );
    check("a new labour rule", |p| p.rules.push(labour_rule(5)), None);
    check(
        "the same conditions twice",
        |p| {
            p.rules.push(labour_rule(5));
            p.rules.push(labour_rule(6));
        },
        Some(("rules", "完全相同")),
    );
    check(
        "intake on the acknowledge clock",
        |p| {
            let mut r = labour_rule(1);
            r.clock = ClockKind::Acknowledge;
            r.intake = true;
            p.rules.push(r);
        },
        Some(("rules", "只有办理时限可以限定为受理阶段")),
    );
}

#[test]
fn every_clock_needs_a_rule_without_conditions() {
    let without = |clock: ClockKind, intake: bool| {
        move |p: &mut LimitPolicy| {
            p.rules.retain(|r| {
                !(r.clock == clock
                    && r.intake == intake
                    && r.level.is_none()
                    && r.dispute_type.is_none()
                    && r.track.is_none()
                    && r.channel.is_none())
            });
        }
    };
    check(
        "no acknowledge fallback",
        without(ClockKind::Acknowledge, false),
        Some(("rules", "签收时限")),
    );
    check(
        "no intake fallback",
        without(ClockKind::Resolve, true),
        Some(("rules", "受理阶段的办理时限")),
    );
    check(
        "no resolve fallback",
        without(ClockKind::Resolve, false),
        Some(("rules", "不带适用条件的办理时限")),
    );
    check(
        "no overall fallback",
        without(ClockKind::Overall, false),
        Some(("rules", "总时限")),
    );
}

#[test]
fn automatic_escalation_is_once_per_level_and_never_from_the_city() {
    let esc = |level, days| AutoEscalation {
        level,
        after: Limit::working_days(days),
    };
    check(
        "township too",
        |p| p.auto_escalation.push(esc(Level::Township, 3)),
        None,
    );
    check(
        "village twice",
        |p| p.auto_escalation.push(esc(Level::Village, 3)),
        Some(("auto_escalation", "村(社区)级的自动上报设置重复")),
    );
    check(
        "from the city",
        |p| p.auto_escalation.push(esc(Level::City, 3)),
        Some(("auto_escalation", "市级是最高层级")),
    );
    check(
        "after zero days",
        |p| p.auto_escalation[0].after = Limit::working_days(0),
        Some(("auto_escalation", "1至3650")),
    );
}
