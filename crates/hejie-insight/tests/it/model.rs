//! The escalation model on synthetic cases with a known injected signal.

use hejie_domain::case::{Channel, DisputeType, Severity};
use hejie_insight::{
    CaseFacts, FeatureKind, Model, ModelError, TrainConfig, auc, feature_kinds, feature_names,
    features, train,
};
use time::macros::date;
use time::{Date, Duration};

use crate::support::{Rng, Story, village};

/// One synthetic concluded case: its features, its label and its registration day.
struct Sample {
    x: Vec<f64>,
    label: bool,
    day: Date,
}

/// A template case whose facts the generator varies.
fn template() -> CaseFacts {
    let mut s = Story::register(
        1,
        Channel::Visit,
        Some(DisputeType::Neighbour),
        village(),
        0,
    );
    s.accept(DisputeType::Neighbour, Severity::Ordinary)
        .mediate()
        .at(30)
        .succeed();
    CaseFacts::of(&s.case())
}

/// Cases registered four a day from 2025-01-01. Escalation depends on threat words, failed
/// mediation, group size and earlier cases of the same party; everything else is noise. With
/// `noise_labels` the label ignores the case entirely.
fn synthetic(n: usize, seed: u64, noise_labels: bool) -> Vec<Sample> {
    let base = template();
    let mut rng = Rng::new(seed);
    let start = date!(2025 - 01 - 01);
    (0..n)
        .map(|i| {
            let day = start + Duration::days((i / 4) as i64);
            let mut f = base.clone();
            f.registered_day = day;
            f.closed_day = Some(day + Duration::days(rng.below(30) as i64));
            f.dispute_type = Some(rng.pick(DisputeType::ALL));
            f.channel = rng.pick(Channel::ALL);
            f.severity = Some(rng.pick(Severity::ALL));
            let threat = rng.chance(0.15);
            let failed = rng.chance(0.25);
            let group = rng.chance(0.1);
            let earlier = rng.below(4) as u32 * u32::from(rng.chance(0.3));
            f.head_count = group.then(|| 5 + rng.below(40) as u32);
            if failed {
                f.outcome = Some(hejie_insight::OutcomeKind::Failed);
                f.success = false;
            }
            f.sessions = 1 + rng.below(3) as u32;
            let description = if threat {
                "对方扬言要同归于尽，不给说法就去上访"
            } else {
                "双方就赔偿数额存在分歧"
            };
            let logit = -3.0
                + 2.6 * f64::from(u8::from(threat))
                + 1.8 * f64::from(u8::from(failed))
                + 1.0 * f64::from(u8::from(group))
                + 0.5 * f64::from(earlier);
            let p = 1.0 / (1.0 + (-logit).exp());
            let label = if noise_labels {
                rng.chance(0.2)
            } else {
                rng.chance(p)
            };
            Sample {
                x: features(&f, description, earlier),
                label,
                day,
            }
        })
        .collect()
}

/// Trains on 2025 and returns the AUC on 2026 and the model.
fn held_out_auc(samples: &[Sample]) -> (f64, Model) {
    let cut = date!(2026 - 01 - 01);
    let train_set: Vec<(Vec<f64>, bool)> = samples
        .iter()
        .filter(|s| s.day < cut)
        .map(|s| (s.x.clone(), s.label))
        .collect();
    let test: Vec<&Sample> = samples.iter().filter(|s| s.day >= cut).collect();
    assert!(train_set.len() > 1000 && test.len() > 500);
    let model = train(&train_set, &TrainConfig::default()).expect("trains");
    let scores: Vec<f64> = test.iter().map(|s| model.predict(&s.x)).collect();
    let labels: Vec<bool> = test.iter().map(|s| s.label).collect();
    (auc(&scores, &labels).expect("both classes"), model)
}

#[test]
fn the_model_finds_the_injected_signal_in_a_later_period() {
    let samples = synthetic(2400, 0xA11CE, false);
    let (a, model) = held_out_auc(&samples);
    assert!(a >= 0.75, "held-out AUC {a:.3} below 0.75");

    // The explanation of a threatening, failed group case names those reasons first.
    let threatening = samples
        .iter()
        .find(|s| {
            s.x[feature_index("威胁或过激言辞")] == 1.0 && s.x[feature_index("调解不成")] == 1.0
        })
        .expect("such a case exists");
    let top: Vec<String> = model
        .explain(&threatening.x, 3)
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert!(
        top.iter().any(|n| n.starts_with("威胁或过激言辞")),
        "top factors {top:?}"
    );
    assert!(top.iter().any(|n| n == "调解不成"), "top factors {top:?}");
    let explained: f64 = model.bias + model.contributions(&threatening.x).iter().sum::<f64>();
    // Reasons are what the case is, never a category it is not.
    let kinds = feature_kinds();
    for f in model.explain(&threatening.x, usize::MAX) {
        let i = feature_index(&f.name);
        assert!(
            kinds[i] != FeatureKind::Category || threatening.x[i] == 1.0,
            "{} is given as a reason",
            f.name
        );
    }
    let p = model.predict(&threatening.x);
    assert!((1.0 / (1.0 + (-explained).exp()) - p).abs() < 1e-12);

    // Stored as JSON and read back, the model predicts the same.
    let json = serde_json::to_string(&model).expect("serialises");
    let back: Model = serde_json::from_str(&json).expect("deserialises");
    for s in samples.iter().take(50) {
        assert!((back.predict(&s.x) - model.predict(&s.x)).abs() < 1e-12);
    }
    assert_eq!(back.names, feature_names());
    // Training is deterministic.
    let (again, model2) = held_out_auc(&samples);
    assert_eq!((a, &model), (again, &model2));
}

#[test]
fn noise_labels_give_an_auc_near_one_half() {
    let samples = synthetic(2400, 0xB0B, true);
    let (a, _) = held_out_auc(&samples);
    assert!((0.35..=0.65).contains(&a), "AUC {a:.3} on noise");
}

fn feature_index(name: &str) -> usize {
    feature_names()
        .iter()
        .position(|n| n == name)
        .expect("known feature")
}

#[test]
fn auc_by_mann_whitney() {
    let check = |scores: &[f64], labels: &[bool], expected: Option<f64>| {
        assert_eq!(auc(scores, labels), expected, "{scores:?} {labels:?}");
    };
    check(
        &[0.1, 0.4, 0.35, 0.8],
        &[false, false, true, true],
        Some(0.75),
    );
    check(&[0.9, 0.8, 0.1], &[true, true, false], Some(1.0));
    check(&[0.1, 0.8, 0.9], &[true, false, false], Some(0.0));
    check(&[0.5, 0.5], &[true, false], Some(0.5));
    check(
        &[0.5, 0.5, 0.2, 0.7],
        &[true, false, false, true],
        Some(0.875),
    );
    check(&[0.3, 0.4], &[true, true], None);
    check(&[], &[], None);
}

#[test]
fn training_refuses_what_it_cannot_learn_from() {
    let cfg = TrainConfig::default();
    assert_eq!(train(&[], &cfg), Err(ModelError::Empty));
    assert_eq!(
        train(&[(vec![1.0], true), (vec![0.0], true)], &cfg),
        Err(ModelError::OneClass)
    );
    assert_eq!(
        train(&[(vec![1.0], true), (vec![0.0, 1.0], false)], &cfg),
        Err(ModelError::Dimension {
            expected: 1,
            found: 2
        })
    );
    let names = feature_names();
    assert_eq!(names.len(), features(&template(), "", 0).len());
    assert_eq!(names.len(), feature_kinds().len());
}

#[test]
fn every_feature_reads_in_chinese() {
    let names = feature_names();
    let kinds = feature_kinds();
    let kind_of = |name: &str| kinds[feature_index(name)];
    assert_eq!(kind_of("类型：劳动争议"), FeatureKind::Category);
    assert_eq!(kind_of("群体性纠纷（5人以上）"), FeatureKind::Flag);
    assert_eq!(kind_of("涉及人数"), FeatureKind::LogPeople);
    assert_eq!(kind_of("重复当事人（此前纠纷数）"), FeatureKind::Count);
    assert!(names.iter().all(|n| !n.is_ascii()), "{names:?}");
    // The case's own values, as the case page shows them.
    let f = template();
    let x = features(&f, "他扬言要跳楼", 2);
    let reading = |name: &str| kinds[feature_index(name)].reading(x[feature_index(name)]);
    assert_eq!(reading("威胁或过激言辞"), "是");
    assert_eq!(reading("群体性纠纷（5人以上）"), "否");
    assert_eq!(reading("重复当事人（此前纠纷数）"), "2");
    assert_eq!(FeatureKind::LogPeople.reading(12f64.ln_1p()), "12人");
    assert_eq!(FeatureKind::Days.reading(45.0), "45天");
}

/// A young open case must not look risky for being young: the model is trained on concluded
/// cases and scores open ones, so nothing it reads may change with the case's age.
#[test]
fn an_open_case_reads_the_same_at_any_age() {
    let mut open = template();
    open.closed_day = None;
    open.outcome = None;
    open.success = false;
    open.concluded = false;
    open.sessions = 0;
    let young = features(&open, "双方就赔偿数额存在分歧", 0);
    let mut mediated = open.clone();
    mediated.sessions = 3;
    assert_eq!(
        young,
        features(&mediated, "双方就赔偿数额存在分歧", 0),
        "mediation sessions held so far are not a feature"
    );
    let mut concluded = template();
    concluded.closed_day = Some(concluded.registered_day + Duration::days(90));
    assert_eq!(
        features(&concluded, "双方就赔偿数额存在分歧", 0),
        young,
        "a case concluded after 90 days reads like the same case on its first day"
    );
}
