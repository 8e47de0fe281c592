use hejie_domain::case::DisputeType;
use hejie_intake::{Classifier, parse_tsv, seed_examples};

const HELDOUT_TSV: &str = include_str!("../../data/heldout.tsv");

/// 5-fold cross-validation on the seed set only (how the smoothing was chosen); guards the
/// seed set's internal consistency, measured at about 0.70.
#[test]
fn cross_validation_on_the_seed_set() {
    let all = seed_examples();
    let (mut ok, mut n) = (0, 0);
    for fold in 0..5 {
        let train: Vec<_> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 5 != fold)
            .map(|(_, x)| x.clone())
            .collect();
        let m = Classifier::train(&train);
        for (i, (t, k)) in all.iter().enumerate() {
            if i % 5 == fold {
                n += 1;
                if m.classify(t).best() == *k {
                    ok += 1;
                }
            }
        }
    }
    let accuracy = f64::from(ok) / f64::from(n);
    println!("CV accuracy {accuracy:.3}");
    assert!(
        accuracy >= 0.65,
        "cross-validated accuracy {accuracy:.3} fell below the measured floor"
    );
}

fn heldout() -> Vec<(String, DisputeType)> {
    parse_tsv(HELDOUT_TSV).expect("held-out set parses")
}

/// Trains on the seed set, evaluates on the held-out set, prints the figures, and guards them.
#[test]
fn heldout_accuracy() {
    let model = Classifier::seeded();
    let test = heldout();
    let (mut top1, mut top3) = (0u32, 0u32);
    let mut per_type: Vec<(DisputeType, u32, u32)> =
        DisputeType::ALL.iter().map(|&t| (t, 0, 0)).collect();
    for (text, truth) in &test {
        let c = model.classify(text);
        let row = per_type.iter_mut().find(|r| r.0 == *truth).expect("type");
        row.2 += 1;
        if c.best() == *truth {
            top1 += 1;
            row.1 += 1;
        } else {
            println!(
                "miss {:>18} → {:<18} {text}  {:?}",
                truth.code(),
                c.best().code(),
                c.evidence
            );
        }
        if c.proposes(*truth) {
            top3 += 1;
        }
    }
    let n = f64::from(u32::try_from(test.len()).expect("small"));
    let (acc1, acc3) = (f64::from(top1) / n, f64::from(top3) / n);
    println!(
        "held-out: {} texts, top-1 {acc1:.3}, top-3 {acc3:.3}",
        test.len()
    );
    for (t, ok, all) in &per_type {
        println!("  recall {:<18} {}/{}", t.code(), ok, all);
    }
    assert!(
        acc1 >= 0.83,
        "top-1 accuracy {acc1:.3} fell below the measured floor"
    );
    assert!(
        acc3 >= 0.94,
        "top-3 accuracy {acc3:.3} fell below the measured floor"
    );
}

/// A clerk's correction of one text fixes the next, differently worded, text of the same kind.
#[test]
fn a_correction_changes_the_next_prediction_for_a_similar_text() {
    let cases = [
        (
            "快递被快递员放在门口丢了，快递公司说已经送达",
            "快递员没打电话就把包裹放在门口，被人拿走了，快递公司说显示签收不管",
            DisputeType::ECommerce,
        ),
        (
            "前夫再婚了，就不管孩子了，生活费一分不出",
            "离婚以后前夫就不管孩子了，孩子的生活费和学费都是我一个人出",
            DisputeType::MarriageFamily,
        ),
    ];
    for (next, correction, truth) in cases {
        let mut model = Classifier::seeded();
        let before = model.classify(next);
        assert_ne!(
            before.best(),
            truth,
            "already right before learning: {next}"
        );
        assert_ne!(next, correction);
        model.learn(correction, truth);
        let after = model.classify(next);
        assert_eq!(after.best(), truth, "{next}: {:?}", after.top);
        // The correction survives persistence.
        let restored = Classifier::from_json(&model.to_json().expect("json")).expect("model");
        assert_eq!(restored.classify(next).best(), truth);
    }
}

#[test]
fn held_out_texts_are_not_in_the_seed_set() {
    let seed: std::collections::HashSet<String> =
        seed_examples().into_iter().map(|(t, _)| t).collect();
    for (text, _) in heldout() {
        assert!(!seed.contains(&text), "held-out text also in seed: {text}");
    }
    assert!(heldout().len() >= 10 * DisputeType::ALL.len());
}

#[test]
fn classification_explains_itself_in_words_of_the_text() {
    let model = Classifier::seeded();
    let text = "包工头拖欠我们工地上十几个人的工钱，说甲方没给钱";
    let c = model.classify(text);
    assert_eq!(c.best(), DisputeType::Labour, "{:?}", c.top);
    assert_eq!(c.top.len(), 3);
    let sum: f64 = c.top.iter().map(|x| x.1).sum();
    assert!(sum <= 1.0 + 1e-9, "{sum}");
    assert!(!c.evidence.is_empty() && c.evidence.len() <= 5);
    for (word, ratio) in &c.evidence {
        assert!(text.contains(word.as_str()), "{word} not in the text");
        assert!(*ratio > 0.0);
    }
    assert!(c.evidence.windows(2).all(|w| w[0].1 >= w[1].1));
    println!("{:?}", c);
}
