//! The escalation model: will a dispute end in a petition, litigation or violence?
//!
//! A logistic regression over features of a case's facts and risk signals, trained on concluded
//! cases ([`CaseFacts::escalation`] is the label) by plain full-batch gradient descent with L2
//! regularisation on standardised features. Training is deterministic: the same samples give the
//! same model bit for bit, so a stored model can be reproduced from the log. The model is
//! serialisable (serde) and the caller stores it as JSON.
//!
//! Each prediction is explained by the features that moved its log-odds most away from an
//! average case: the contribution of a feature is its weight times its standardised value, so the
//! contributions and the bias sum to the log-odds. Quality is measured as the AUC on a later,
//! held-out period ([`auc`], Mann–Whitney with ties counted half).
//!
//! No feature may reveal the label: petitions linked to the case are left out of the
//! repeated-report count, and referrals are not features at all.
//!
//! No feature may depend on the case's age either. The model learns from concluded cases and
//! scores open ones, many of them days old; a feature such as the number of mediation sessions
//! or the days open reads very differently on a finished case than on a young one (a concluded
//! case without a session is unusual, a three-day-old one is not), and scored a fresh case as
//! high risk for being fresh. Every feature is therefore either known at intake (type, channel,
//! severity, people, words, earlier cases of the parties) or a warning sign that only ever
//! adds up as it happens (failed mediation, escalations, reopenings, repeat reports), which a
//! young case simply has not had yet.

use hejie_domain::case::{Channel, DisputeType, Severity};
use serde::{Deserialize, Serialize};

use crate::facts::CaseFacts;
use crate::warning::{spring_festival_ahead, threat_words};

/// Why a model could not be trained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("没有可用于训练的样本")]
    Empty,
    #[error("样本特征数不一致：应为{expected}个，实际为{found}个")]
    Dimension { expected: usize, found: usize },
    #[error("训练样本只有一类结果，无法训练")]
    OneClass,
}

/// How a feature's raw value reads to a person, so an explanation can say "是", "12人" or
/// "45天" rather than a bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    /// 1 or 0: yes or no.
    Flag,
    /// 1 or 0: whether the case is of this category (one of the type, channel and severity
    /// indicators). An explanation never gives "not of this category" as a reason: a mediator
    /// reads "类型：邻里：否" as noise, even where the model's arithmetic moved on it.
    Category,
    /// A whole count.
    Count,
    /// A head count stored as `ln(1 + n)`, because the tenth person adds less than the second.
    LogPeople,
    /// Whole days.
    Days,
}

impl FeatureKind {
    /// The raw value as a person reads it.
    pub fn reading(self, value: f64) -> String {
        match self {
            FeatureKind::Flag | FeatureKind::Category if value >= 0.5 => "是".to_owned(),
            FeatureKind::Flag | FeatureKind::Category => "否".to_owned(),
            FeatureKind::Count => format!("{}", value.round()),
            FeatureKind::LogPeople => format!("{}人", value.exp_m1().round()),
            FeatureKind::Days => format!("{}天", value.round()),
        }
    }
}

/// The kind of each feature [`features`] returns, in the order of [`feature_names`].
pub fn feature_kinds() -> Vec<FeatureKind> {
    use FeatureKind::{Category, Count, Flag, LogPeople};
    let mut kinds = vec![Category; DisputeType::ALL.len() + Channel::ALL.len() + 2];
    kinds.extend([
        Flag, LogPeople, Flag, Count, Flag, Flag, Count, Count, Count, Count,
    ]);
    kinds
}

/// The names of the features [`features`] returns, in order, in Chinese: the labels a person
/// reads in an explanation.
pub fn feature_names() -> Vec<String> {
    let mut names = Vec::new();
    names.extend(
        DisputeType::ALL
            .iter()
            .map(|t| format!("类型：{}", t.label())),
    );
    names.extend(Channel::ALL.iter().map(|c| format!("渠道：{}", c.label())));
    names.push(format!("严重程度：{}", Severity::Significant.label()));
    names.push(format!("严重程度：{}", Severity::Major.label()));
    for n in [
        "群体性纠纷（5人以上）",
        "涉及人数",
        "威胁或过激言辞",
        "威胁或过激言辞数",
        "节前欠薪",
        "调解不成",
        "重复当事人（此前纠纷数）",
        "上报次数",
        "重新办理次数",
        "再次反映次数（不含信访）",
    ] {
        names.push(n.to_owned());
    }
    names
}

/// The features of a case. `earlier_party_cases` is how many earlier cases share a party with
/// it (the caller's keyed-hash lookup). The wage-arrears signal is judged on the registration
/// day, which is when the case's fate is being set. Nothing here depends on the day the case is
/// judged (see the module's note).
pub fn features(facts: &CaseFacts, description: &str, earlier_party_cases: u32) -> Vec<f64> {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    let mut v = Vec::with_capacity(48);
    v.extend(
        DisputeType::ALL
            .iter()
            .map(|t| b(facts.dispute_type == Some(*t))),
    );
    v.extend(Channel::ALL.iter().map(|c| b(facts.channel == *c)));
    v.push(b(facts.severity == Some(Severity::Significant)));
    v.push(b(facts.severity == Some(Severity::Major)));
    let heads = facts.head_count.unwrap_or(1);
    v.push(b(heads >= 5));
    v.push(f64::from(heads).ln_1p());
    let words = threat_words(description);
    v.push(b(!words.is_empty()));
    v.push(words.len() as f64);
    let wage = facts.dispute_type == Some(DisputeType::Labour)
        && crate::warning::WAGE_WORDS
            .iter()
            .any(|w| description.contains(w))
        && spring_festival_ahead(facts.registered_day).is_some();
    v.push(b(wage));
    v.push(b(facts.failed_mediation()));
    v.push(f64::from(earlier_party_cases));
    v.push(f64::from(facts.escalations));
    v.push(f64::from(facts.reopenings));
    let registered_as_petition = usize::from(facts.channel == Channel::Petition);
    let linked_petitions = facts
        .petition_days
        .len()
        .saturating_sub(registered_as_petition);
    v.push(facts.repeat_reports.saturating_sub(linked_petitions as u32) as f64);
    v
}

/// How training proceeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    pub iterations: usize,
    pub learning_rate: f64,
    /// L2 penalty on the weights (not the bias).
    pub l2: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            iterations: 400,
            learning_rate: 0.5,
            l2: 1e-3,
        }
    }
}

/// A trained model, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub names: Vec<String>,
    /// Per-feature mean and scale used to standardise, from the training samples.
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
}

/// One feature's part in a prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub name: String,
    /// How the value reads; [`FeatureKind::Count`] for a model whose features are not the
    /// current [`feature_names`].
    pub kind: FeatureKind,
    /// The feature's raw value for the case.
    pub value: f64,
    /// Its contribution to the log-odds, relative to an average case.
    pub contribution: f64,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Trains on `(features, ended in escalation)` samples.
pub fn train(samples: &[(Vec<f64>, bool)], cfg: &TrainConfig) -> Result<Model, ModelError> {
    let (first, _) = samples.first().ok_or(ModelError::Empty)?;
    let d = first.len();
    if let Some((x, _)) = samples.iter().find(|(x, _)| x.len() != d) {
        return Err(ModelError::Dimension {
            expected: d,
            found: x.len(),
        });
    }
    let positives = samples.iter().filter(|(_, y)| *y).count();
    if positives == 0 || positives == samples.len() {
        return Err(ModelError::OneClass);
    }
    let n = samples.len() as f64;
    let mut mean = vec![0.0; d];
    for (x, _) in samples {
        for (m, v) in mean.iter_mut().zip(x) {
            *m += v / n;
        }
    }
    let mut scale = vec![0.0; d];
    for (x, _) in samples {
        for ((s, v), m) in scale.iter_mut().zip(x).zip(&mean) {
            *s += (v - m) * (v - m) / n;
        }
    }
    // A constant feature carries no information; a scale of 1 keeps it at 0 after centring.
    for s in &mut scale {
        *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
    }
    let z: Vec<(Vec<f64>, f64)> = samples
        .iter()
        .map(|(x, y)| {
            let zx = x
                .iter()
                .zip(&mean)
                .zip(&scale)
                .map(|((v, m), s)| (v - m) / s)
                .collect();
            (zx, if *y { 1.0 } else { 0.0 })
        })
        .collect();
    let mut w = vec![0.0; d];
    // Starting from the base rate's log-odds makes the first steps about the features.
    let base = positives as f64 / n;
    let mut bias = (base / (1.0 - base)).ln();
    let mut grad = vec![0.0; d];
    for _ in 0..cfg.iterations {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut grad_b = 0.0;
        for (x, y) in &z {
            let p = sigmoid(bias + w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>());
            let e = p - y;
            grad_b += e;
            for (g, v) in grad.iter_mut().zip(x) {
                *g += e * v;
            }
        }
        for (wi, g) in w.iter_mut().zip(&grad) {
            *wi -= cfg.learning_rate * (g / n + cfg.l2 * *wi);
        }
        bias -= cfg.learning_rate * grad_b / n;
    }
    let names = feature_names();
    let names = if names.len() == d {
        names
    } else {
        (1..=d).map(|i| format!("特征{i}")).collect()
    };
    Ok(Model {
        names,
        mean,
        scale,
        weights: w,
        bias,
    })
}

impl Model {
    /// Each feature's share of the log-odds (weight times standardised value); with the bias
    /// they sum to the log-odds [`Model::predict`] turns into a probability.
    pub fn contributions(&self, x: &[f64]) -> Vec<f64> {
        self.weights
            .iter()
            .zip(x)
            .zip(self.mean.iter().zip(&self.scale))
            .map(|((w, v), (m, s))| w * (v - m) / s)
            .collect()
    }

    /// The probability that the case ends in escalation.
    pub fn predict(&self, x: &[f64]) -> f64 {
        sigmoid(self.bias + self.contributions(x).iter().sum::<f64>())
    }

    /// The `n` features that moved this prediction most, either way, largest first, leaving out
    /// categories the case is not of (see [`FeatureKind::Category`]).
    pub fn explain(&self, x: &[f64], n: usize) -> Vec<Factor> {
        // The kinds belong to the current feature layout; a model trained on another layout
        // (an older version) still explains, with plain numbers.
        let kinds = if self.names == feature_names() {
            feature_kinds()
        } else {
            Vec::new()
        };
        let mut f: Vec<Factor> = self
            .contributions(x)
            .into_iter()
            .enumerate()
            .map(|(i, contribution)| Factor {
                name: self.names.get(i).cloned().unwrap_or_default(),
                kind: kinds.get(i).copied().unwrap_or(FeatureKind::Count),
                value: x.get(i).copied().unwrap_or(0.0),
                contribution,
            })
            .filter(|f| !(f.kind == FeatureKind::Category && f.value < 0.5))
            .collect();
        f.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        f.truncate(n);
        f
    }

    /// The features by the size of their weight on the standardised scale (how much one
    /// standard deviation moves the log-odds), largest first: what the model learned most.
    pub fn strongest(&self, n: usize) -> Vec<(String, f64)> {
        let mut w: Vec<(String, f64)> = self
            .names
            .iter()
            .cloned()
            .zip(self.weights.iter().copied())
            .collect();
        w.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        w.truncate(n);
        w
    }
}

impl Factor {
    /// The case's value of this feature as a person reads it.
    pub fn reading(&self) -> String {
        self.kind.reading(self.value)
    }
}

/// Area under the ROC curve by Mann–Whitney: the chance that a random positive scores above a
/// random negative, ties counting half. `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut pairs: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    let pos = pairs.iter().filter(|(_, y)| *y).count();
    let neg = pairs.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Ranks from 1, tied scores sharing their average rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j + 1 < pairs.len() && pairs[j + 1].0 == pairs[i].0 {
            j += 1;
        }
        let avg = (i + j + 2) as f64 / 2.0;
        rank_sum += avg * pairs[i..=j].iter().filter(|(_, y)| *y).count() as f64;
        i = j + 1;
    }
    let u = rank_sum - (pos * (pos + 1)) as f64 / 2.0;
    Some(u / (pos * neg) as f64)
}
