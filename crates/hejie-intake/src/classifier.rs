//! A multinomial naive Bayes classifier of dispute types with Laplace smoothing, explainable and
//! updatable online.

use std::collections::{BTreeMap, HashMap};

use hejie_domain::case::DisputeType;
use serde::{Deserialize, Serialize};

use crate::error::IntakeError;
use crate::features::{display, features, is_word};
use crate::seed::seed_examples;

/// The number of classes: the canonical dispute types.
const K: usize = DisputeType::ALL.len();

/// Laplace (additive) smoothing constant, chosen by 5-fold cross-validation on the seed set.
const ALPHA: f64 = 1.0;

/// How much a character bigram counts against a word. Bigrams catch what the segmenter splits
/// badly; cross-validation on the seed set found no gain in counting them for less.
const BIGRAM_WEIGHT: f64 = 1.0;

/// How many types a classification proposes.
const TOP: usize = 3;

/// How many words of evidence a classification gives.
const EVIDENCE: usize = 5;

/// The version of the JSON format written by [`Classifier::to_json`].
const FORMAT_VERSION: u32 = 1;

/// Class index of a dispute type in [`DisputeType::ALL`].
fn index(t: DisputeType) -> usize {
    DisputeType::ALL
        .iter()
        .position(|&x| x == t)
        .unwrap_or(K - 1)
}

/// A trained model: per type, how many documents it has seen and how often each feature occurred.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    /// Documents seen per class.
    docs: [u32; K],
    /// Feature occurrences per class, summed over all features.
    totals: [u32; K],
    /// Occurrences of each feature per class.
    counts: HashMap<String, [u32; K]>,
}

/// A suggested dispute type for a text, with its alternatives and its reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// The three most probable types, most probable first. Probabilities are the model's
    /// normalised likelihoods over all 18 types, so these three sum to at most 1.
    pub top: Vec<(DisputeType, f64)>,
    /// The words of the text that most favoured the first type over the second, with the
    /// log-likelihood ratio of each (how many times likelier, in natural log, the word is under
    /// the first type than under the second), strongest first; at most five.
    pub evidence: Vec<(String, f64)>,
}

impl Classification {
    /// The most probable type.
    pub fn best(&self) -> DisputeType {
        self.top.first().map_or(DisputeType::Other, |&(t, _)| t)
    }

    /// Whether `t` is among the proposed types.
    pub fn proposes(&self, t: DisputeType) -> bool {
        self.top.iter().any(|&(x, _)| x == t)
    }
}

impl Default for Classifier {
    fn default() -> Self {
        Self {
            docs: [0; K],
            totals: [0; K],
            counts: HashMap::new(),
        }
    }
}

impl Classifier {
    /// Trains a model on labelled examples.
    pub fn train(examples: &[(String, DisputeType)]) -> Self {
        let mut model = Self::default();
        for (text, t) in examples {
            model.learn(text, *t);
        }
        model
    }

    /// Trains a model on the seed set compiled into this crate.
    pub fn seeded() -> Self {
        Self::train(&seed_examples())
    }

    /// Learns from one more labelled text, typically a clerk's correction: the text's features
    /// are counted for `correct`, so the next similar text leans towards it.
    pub fn learn(&mut self, text: &str, correct: DisputeType) {
        let c = index(correct);
        self.docs[c] += 1;
        for f in features(text) {
            self.counts.entry(f).or_insert([0; K])[c] += 1;
            self.totals[c] += 1;
        }
    }

    /// How many labelled texts the model has seen.
    pub fn documents(&self) -> u32 {
        self.docs.iter().sum()
    }

    /// Log-probability of a feature given a class (Laplace-smoothed), per class.
    fn log_likelihoods(&self, feature: &str) -> Option<[f64; K]> {
        let counts = self.counts.get(feature)?;
        let v = self.counts.len() as f64;
        let mut out = [0.0; K];
        for c in 0..K {
            let num = f64::from(counts[c]) + ALPHA;
            let den = f64::from(self.totals[c]) + ALPHA * v;
            out[c] = (num / den).ln();
        }
        Some(out)
    }

    /// Suggests the dispute type of a text. Features never seen in training are ignored; a text
    /// with none of them gets the prior (the share of each type among the training texts).
    pub fn classify(&self, text: &str) -> Classification {
        let feats = features(text);
        let total_docs = f64::from(self.documents());
        let mut scores = [0.0; K];
        for (c, s) in scores.iter_mut().enumerate() {
            *s = ((f64::from(self.docs[c]) + 1.0) / (total_docs + K as f64)).ln();
        }
        let mut known = Vec::new();
        for f in &feats {
            if let Some(ll) = self.log_likelihoods(f) {
                let w = if is_word(f) { 1.0 } else { BIGRAM_WEIGHT };
                for c in 0..K {
                    scores[c] += w * ll[c];
                }
                known.push((f.as_str(), w, ll));
            }
        }
        // Softmax over log scores, shifted by the maximum so exp cannot overflow.
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
        let sum: f64 = exps.iter().sum();
        let mut ranked: Vec<(usize, f64)> = exps.iter().map(|e| e / sum).enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let top: Vec<(DisputeType, f64)> = ranked
            .iter()
            .take(TOP)
            .map(|&(c, p)| (DisputeType::ALL[c], p))
            .collect();

        let (first, second) = (ranked[0].0, ranked[1].0);
        let mut evidence: BTreeMap<&str, f64> = BTreeMap::new();
        for (f, w, ll) in known {
            // Words explain; bigrams mostly repeat them or straddle two words.
            if !is_word(f) {
                continue;
            }
            let ratio = w * (ll[first] - ll[second]);
            if ratio > 0.0 {
                let e = evidence.entry(display(f)).or_insert(ratio);
                *e = e.max(ratio);
            }
        }
        let mut evidence: Vec<(String, f64)> = evidence
            .into_iter()
            .map(|(f, r)| (f.to_owned(), r))
            .collect();
        evidence.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        evidence.truncate(EVIDENCE);
        Classification { top, evidence }
    }

    /// The model as JSON, for the caller to persist. Feature counts are stored sparsely and
    /// keyed by type code, so the file survives a reordering of the types.
    pub fn to_json(&self) -> Result<String, IntakeError> {
        let code = |c: usize| DisputeType::ALL[c].code().to_owned();
        let per_class = |xs: &[u32; K]| -> BTreeMap<String, u32> {
            (0..K)
                .filter(|&c| xs[c] > 0)
                .map(|c| (code(c), xs[c]))
                .collect()
        };
        let persisted = Persisted {
            version: FORMAT_VERSION,
            alpha: ALPHA,
            docs: per_class(&self.docs),
            features: self
                .counts
                .iter()
                .map(|(f, xs)| (f.clone(), per_class(xs)))
                .collect(),
        };
        Ok(serde_json::to_string(&persisted)?)
    }

    /// Reads a model written by [`Classifier::to_json`].
    pub fn from_json(json: &str) -> Result<Self, IntakeError> {
        let p: Persisted = serde_json::from_str(json)?;
        if p.version != FORMAT_VERSION {
            return Err(IntakeError::Version(p.version));
        }
        let class = |code: &str| -> Result<usize, IntakeError> {
            DisputeType::ALL
                .iter()
                .position(|t| t.code() == code)
                .ok_or_else(|| IntakeError::UnknownType(code.to_owned()))
        };
        let mut model = Self::default();
        for (code, n) in &p.docs {
            model.docs[class(code)?] = *n;
        }
        for (f, per) in p.features {
            let mut xs = [0; K];
            for (code, n) in per {
                let c = class(&code)?;
                xs[c] = n;
                model.totals[c] += n;
            }
            model.counts.insert(f, xs);
        }
        Ok(model)
    }
}

/// The persisted shape of a model.
#[derive(Serialize, Deserialize)]
struct Persisted {
    version: u32,
    /// Recorded for the reader's information; the code's constant is what scoring uses.
    alpha: f64,
    docs: BTreeMap<String, u32>,
    features: BTreeMap<String, BTreeMap<String, u32>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Classifier {
        Classifier::train(&[
            ("老板拖欠工资不给".to_owned(), DisputeType::Labour),
            ("工地包工头欠我们工钱".to_owned(), DisputeType::Labour),
            (
                "邻居家的狗天天叫吵得睡不着".to_owned(),
                DisputeType::Neighbour,
            ),
            ("楼上邻居半夜噪音扰民".to_owned(), DisputeType::Neighbour),
        ])
    }

    #[test]
    fn probabilities_are_ranked_and_sum_to_at_most_one() {
        let c = tiny().classify("包工头拖欠工资");
        assert_eq!(c.best(), DisputeType::Labour);
        assert_eq!(c.top.len(), 3);
        assert!(c.top.windows(2).all(|w| w[0].1 >= w[1].1));
        let sum: f64 = c.top.iter().map(|x| x.1).sum();
        assert!(sum <= 1.0 + 1e-9 && sum > 0.5, "{sum}");
        assert!(
            c.evidence.iter().any(|(w, _)| w == "拖欠工资"),
            "{:?}",
            c.evidence
        );
        assert!(c.evidence.len() <= 5);
    }

    #[test]
    fn an_untrained_model_still_answers() {
        let c = Classifier::default().classify("随便说点什么");
        assert_eq!(c.top.len(), 3);
        assert!(c.evidence.is_empty());
    }

    #[test]
    fn json_round_trip_preserves_the_model() {
        let m = tiny();
        let back = Classifier::from_json(&m.to_json().unwrap()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn json_with_unknown_type_or_version_is_refused() {
        let bad = r#"{"version":1,"alpha":1.0,"docs":{"gossip":1},"features":{}}"#;
        assert!(matches!(
            Classifier::from_json(bad),
            Err(IntakeError::UnknownType(t)) if t == "gossip"
        ));
        let bad = r#"{"version":9,"alpha":1.0,"docs":{},"features":{}}"#;
        assert!(matches!(
            Classifier::from_json(bad),
            Err(IntakeError::Version(9))
        ));
        assert!(matches!(
            Classifier::from_json("{"),
            Err(IntakeError::Json(_))
        ));
    }
}
