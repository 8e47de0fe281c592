//! Risk and triage hints, data-driven: each row is an intake and what the clerk should be told.

use hejie_domain::case::{Severity, Track};
use hejie_intake::{RiskKind, assess};

/// An intake as the clerk registers it.
#[derive(Debug, Clone, Copy)]
struct Input {
    text: &'static str,
    head_count: Option<u32>,
    amount_fen: Option<i64>,
    month: u8,
    repeat_visits: u32,
}

/// A text registered in an ordinary month, with nothing else known.
fn text(text: &'static str) -> Input {
    Input {
        text,
        head_count: None,
        amount_fen: None,
        month: 6,
        repeat_visits: 0,
    }
}

impl Input {
    fn month(self, month: u8) -> Self {
        Self { month, ..self }
    }
    fn heads(self, n: u32) -> Self {
        Self {
            head_count: Some(n),
            ..self
        }
    }
    fn fen(self, fen: i64) -> Self {
        Self {
            amount_fen: Some(fen),
            ..self
        }
    }
    fn visits(self, n: u32) -> Self {
        Self {
            repeat_visits: n,
            ..self
        }
    }
}

/// What the assessment should say: exactly these flag kinds, this severity and this track.
struct Expected {
    flags: &'static [RiskKind],
    severity: Severity,
    track: Track,
}

fn check(input: Input, expected: Expected) {
    let a = assess(
        input.text,
        input.head_count,
        input.amount_fen,
        input.month,
        input.repeat_visits,
    );
    let mut kinds: Vec<RiskKind> = a.flags.iter().map(|f| f.kind).collect();
    kinds.sort();
    let mut want = expected.flags.to_vec();
    want.sort();
    assert_eq!(kinds, want, "flags for {input:?}: {:#?}", a.flags);
    assert_eq!(
        a.suggested_severity, expected.severity,
        "severity for {input:?}: {:?}",
        a.reasons
    );
    assert_eq!(
        a.suggested_track, expected.track,
        "track for {input:?}: {:?}",
        a.reasons
    );
    // Invariants of every assessment.
    if a.suggested_severity == Severity::Major {
        assert_ne!(
            a.suggested_track,
            Track::Clinic,
            "重大 must not go to 门诊: {input:?}"
        );
    }
    assert_eq!(a.reasons.len(), a.flags.len() + 2, "{:?}", a.reasons);
    for f in &a.flags {
        assert!(!f.evidence.is_empty() && !f.reason_zh.is_empty(), "{f:?}");
    }
}

const fn expect(flags: &'static [RiskKind], severity: Severity, track: Track) -> Expected {
    Expected {
        flags,
        severity,
        track,
    }
}

use RiskKind::*;
use Severity::{Major, Ordinary, Significant};
use Track::{Clinic, Consultation, Emergency};

#[test]
fn ordinary_matters_raise_nothing() {
    check(
        text("楼上漏水把我家天花板泡坏了，找他们修不理"),
        expect(&[], Ordinary, Clinic),
    );
    check(
        text("邻居家的狗晚上总叫，影响休息"),
        expect(&[], Ordinary, Clinic),
    );
    check(text("欠了三个月的房租不交"), expect(&[], Ordinary, Clinic));
}

#[test]
fn threats_of_self_harm_or_violence() {
    for t in [
        "再不给我解决我就从你们楼上跳楼",
        "他说要跟那家人同归于尽",
        "老汉扬言要喝农药死在村委会门口",
        "他拿刀到邻居家门口骂，说要砍死对方",
        "她说活不下去了，不想活了",
    ] {
        check(text(t), expect(&[ExtremeThreat], Major, Emergency));
    }
}

#[test]
fn negated_threats_do_not_count() {
    for t in [
        "当事人情绪稳定，没有扬言跳楼等过激言行",
        "他说他不会去跳河的，只想要个说法",
        "双方并未拿刀，只是口角",
    ] {
        check(text(t), expect(&[], Ordinary, Clinic));
    }
    // A negation elsewhere in the sentence does not cancel the threat.
    check(
        text("再不解决我就跳楼"),
        expect(&[ExtremeThreat], Major, Emergency),
    );
}

#[test]
fn gathering_crowds() {
    for t in [
        "村民说明天要去堵路",
        "工人们在公司门口拉横幅",
        "业主在售楼处静坐要求退房",
    ] {
        check(text(t), expect(&[Gathering], Major, Emergency));
    }
    check(
        text("大家商量过了，不会去堵路，相信政府能解决"),
        expect(&[], Ordinary, Clinic),
    );
}

#[test]
fn petitions_to_higher_levels() {
    check(
        text("这事再拖下去我就去北京"),
        expect(&[Petition], Significant, Clinic),
    );
    check(
        text("他说要到省里去告村干部"),
        expect(&[Petition], Significant, Clinic),
    );
    check(
        text("我们不想上访，就想在镇里解决"),
        expect(&[], Ordinary, Clinic),
    );
}

#[test]
fn wage_arrears_near_the_spring_festival() {
    let arrears = "包工头拖欠工资不给";
    check(
        text(arrears).month(1),
        expect(&[HolidayWageArrears], Significant, Clinic),
    );
    check(
        text(arrears).month(12),
        expect(&[HolidayWageArrears], Significant, Clinic),
    );
    check(text(arrears).month(7), expect(&[], Ordinary, Clinic));
    // The text itself can say the holiday is near.
    check(
        text("快过年了，老板还欠我们工钱").month(11),
        expect(&[HolidayWageArrears], Significant, Clinic),
    );
    // Wages already paid are not arrears.
    check(
        text("工资已经结清，只是对社保有疑问").month(1),
        expect(&[], Ordinary, Clinic),
    );
}

#[test]
fn repeated_visits() {
    check(
        text("还是那块地界的事").visits(3),
        expect(&[RepeatVisits], Significant, Clinic),
    );
    check(
        text("还是那块地界的事").visits(1),
        expect(&[], Ordinary, Clinic),
    );
    check(
        text("为这事我已经跑了好几趟了"),
        expect(&[RepeatVisits], Significant, Clinic),
    );
}

#[test]
fn group_disputes_by_head_count() {
    check(
        text("工人一起来反映").heads(8),
        expect(&[GroupDispute], Significant, Consultation),
    );
    check(text("两个人来反映").heads(4), expect(&[], Ordinary, Clinic));
    check(
        text("二十几户村民对补偿标准有意见"),
        expect(&[GroupDispute], Significant, Consultation),
    );
    check(
        text("四十多名工人来中心反映情况"),
        expect(&[GroupDispute], Major, Consultation),
    );
    check(
        text("全村都对这个方案不满意"),
        expect(&[GroupDispute], Significant, Consultation),
    );
}

#[test]
fn large_amounts() {
    check(
        text("货款一直没付").fen(15_000_000),
        expect(&[LargeAmount], Significant, Clinic),
    );
    check(
        text("货款一直没付").fen(9_999_999),
        expect(&[], Ordinary, Clinic),
    );
    check(
        text("借了我25万元一直不还"),
        expect(&[LargeAmount], Significant, Clinic),
    );
    check(
        text("工程款欠了一百二十万元"),
        expect(&[LargeAmount], Major, Consultation),
    );
    // A registered amount wins over what the text says.
    check(
        text("他说欠了50万").fen(200_000),
        expect(&[], Ordinary, Clinic),
    );
}

#[test]
fn combined_risks_escalate() {
    // Holiday wage arrears of a group, threatening to block the road: the classic pre-festival case.
    check(
        text("快过年了，三十多个工人的工资还没发，大家说要去堵路").month(1),
        expect(
            &[HolidayWageArrears, GroupDispute, Gathering],
            Major,
            Emergency,
        ),
    );
    // Two significant risks together make a major case, but without volatility it is 会诊.
    check(
        text("合伙做生意的账一直算不清").fen(30_000_000).visits(2),
        expect(&[LargeAmount, RepeatVisits], Major, Consultation),
    );
    // A petition threat on top of repeat visits is major and urgent.
    check(
        text("这是我第三次来了，再不解决就去北京上访").visits(2),
        expect(&[RepeatVisits, Petition], Major, Emergency),
    );
}

#[test]
fn reasons_are_in_chinese_and_name_the_evidence() {
    let a = assess("再不解决我就跳楼", None, None, 6, 0);
    assert!(a.reasons[0].contains("跳楼"), "{:?}", a.reasons);
    assert!(
        a.reasons.iter().any(|r| r.contains("重大")),
        "{:?}",
        a.reasons
    );
    assert!(
        a.reasons.iter().any(|r| r.contains("急诊")),
        "{:?}",
        a.reasons
    );
    assert_eq!(a.flags[0].evidence, "跳楼");
    let json = serde_json::to_value(&a).expect("json");
    assert_eq!(json["flags"][0]["kind"], "extreme_threat");
    assert_eq!(json["suggested_severity"], "major");
    assert_eq!(json["suggested_track"], "emergency");
}
