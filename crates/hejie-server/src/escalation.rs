//! The escalation model trained on this deployment's own closed cases (issue 8): will an open
//! dispute end in a petition, litigation or violence?
//!
//! [`retrain`] reads every closed case from the store, computes each case's features as they
//! stood just before its (latest) closing and its label from how it ended
//! ([`hejie_insight::CaseFacts::escalation`]), trains [`hejie_insight::model`] on the earlier
//! part of the closing-date range and measures its AUC on the later, held-out part, and stores
//! the model with that evidence as one JSON document named [`MODEL_NAME`]. The stored model is
//! the one that was measured: it is not refitted on the held-out cases afterwards, so the AUC
//! an administrator reads is the AUC of the model that scores cases.
//!
//! Features are taken from the state before the closing because that is what an open case looks
//! like when [`score`] judges it; the closing event itself (a failed mediation, the days it
//! finally took) would otherwise teach the model things an open case can never show.
//!
//! [`score`] judges one open case: the probability, a 红/橙/黄 level by [`Thresholds`], and the
//! three features that moved the prediction most, in Chinese.

use std::collections::HashMap;
use std::sync::Arc;

use hejie_domain::case::{Case, CaseId, CaseState, EventBody, Status};
use hejie_domain::timestamp::Timestamp;
use hejie_insight::{CaseFacts, Level, Model, TrainConfig, auc, feature_names, features, train};
use hejie_store::{CaseFilter, Store, StoreError};
use serde::{Deserialize, Serialize};
use time::Date;

/// The name under which the escalation model is stored.
pub const MODEL_NAME: &str = "escalation";

/// How many closed cases are read from the store at once.
const LOAD_CONCURRENCY: usize = 16;

/// Probabilities at or above which a case is marked 红, 橙 or 黄; below `yellow` no level.
///
/// The defaults (红 ≥ 50%, 橙 ≥ 30%, 黄 ≥ 15%) are set for a record where one case in ten or
/// fewer escalates: 黄 is then already above the base rate, 橙 about three times it, and 红 a
/// case the model thinks more likely than not to escalate. A deployment with another base rate
/// sets its own with `hejie retrain --red --orange --yellow`; they are stored with the model and
/// kept by a retrain from the admin page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub red: f64,
    pub orange: f64,
    pub yellow: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            red: 0.5,
            orange: 0.3,
            yellow: 0.15,
        }
    }
}

impl Thresholds {
    /// The level of a probability; `None` below `yellow`.
    pub fn level(&self, p: f64) -> Option<Level> {
        if p >= self.red {
            Some(Level::Red)
        } else if p >= self.orange {
            Some(Level::Orange)
        } else if p >= self.yellow {
            Some(Level::Yellow)
        } else {
            None
        }
    }

    /// Refuses thresholds that are not `0 < yellow ≤ orange ≤ red ≤ 1`.
    pub fn check(&self) -> Result<(), String> {
        let ok = 0.0 < self.yellow
            && self.yellow <= self.orange
            && self.orange <= self.red
            && self.red <= 1.0;
        if ok {
            Ok(())
        } else {
            Err(format!(
                "预警阈值应满足 0 < 黄 ≤ 橙 ≤ 红 ≤ 1，现为 黄 {} / 橙 {} / 红 {}",
                self.yellow, self.orange, self.red
            ))
        }
    }
}

/// How a retraining splits and what it requires.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrainConfig {
    /// The later share of the closing-date range held out for measuring (default 0.2: the cases
    /// closed in the last fifth of the range).
    pub held_out_share: f64,
    /// Fewest escalated and fewest not-escalated cases the training period must have (default
    /// 10 each): fewer, and the weights are noise.
    pub min_train_class: usize,
    /// Fewest escalated and fewest not-escalated cases the held-out period must have (default 5
    /// each): fewer, and the AUC means nothing.
    pub min_held_out_class: usize,
    pub train: TrainConfig,
    pub thresholds: Thresholds,
}

impl Default for RetrainConfig {
    fn default() -> Self {
        Self {
            held_out_share: 0.2,
            min_train_class: 10,
            min_held_out_class: 5,
            train: TrainConfig::default(),
            thresholds: Thresholds::default(),
        }
    }
}

/// One period of the split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// First and last closing day (CST), inclusive, as `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub cases: usize,
    /// Cases that ended in escalation.
    pub positives: usize,
}

/// The stored document: the model and the evidence of how good it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    pub model: Model,
    /// AUC on the held-out period.
    pub auc: f64,
    pub train: Period,
    pub held_out: Period,
    pub trained_at: Timestamp,
    pub thresholds: Thresholds,
}

/// Why a model was not trained.
#[derive(Debug, thiserror::Error)]
pub enum RetrainError {
    /// Too few closed cases, too few of one outcome in a period, or thresholds out of order
    /// (Chinese, for people).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One closed case, ready for training.
struct Sample {
    x: Vec<f64>,
    escalated: bool,
    closed: Date,
}

/// A closed case as read: its state before its latest closing and how it ended.
struct Closed {
    before: Case,
    escalated: bool,
    closed: Date,
}

/// Trains the escalation model on every closed case, measures it on the later held-out period
/// and stores it under [`MODEL_NAME`]. Refuses, storing nothing, when either period lacks
/// enough cases of either outcome.
pub async fn retrain(
    store: Arc<dyn Store>,
    now: Timestamp,
    cfg: &RetrainConfig,
) -> Result<ModelReport, RetrainError> {
    cfg.thresholds.check().map_err(RetrainError::Refused)?;
    let closed = load_closed(&store).await?;
    if closed.is_empty() {
        return Err(RetrainError::Refused(
            "尚无已结案件，无法训练升级风险模型".to_owned(),
        ));
    }
    let samples = samples(&closed);
    let cfg = cfg.clone();
    // Training is CPU work of up to some seconds on a large record; it does not belong on the
    // threads that serve requests.
    let report = tokio::task::spawn_blocking(move || fit(&samples, now, &cfg))
        .await
        .map_err(|e| StoreError::Database(format!("training task failed: {e}")))??;
    let body = serde_json::to_string(&report).map_err(StoreError::from)?;
    store.put_model(MODEL_NAME, &body, now).await?;
    Ok(report)
}

/// The stored model, or `None` when none is stored or the stored one no longer reads (another
/// version's format; with a warning, because retraining fixes it).
pub async fn load(store: &dyn Store) -> Result<Option<ModelReport>, StoreError> {
    Ok(match store.model(MODEL_NAME).await? {
        Some((body, _)) => match serde_json::from_str::<ModelReport>(&body) {
            // A model of another feature layout would be fed features it was not trained on.
            Ok(r) if r.model.names != feature_names() => {
                tracing::warn!("stored escalation model has an older feature layout; retrain it");
                None
            }
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(error = %e, "stored escalation model unreadable; retrain it");
                None
            }
        },
        None => None,
    })
}

/// One reason for a prediction, in Chinese.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskFactor {
    /// The feature, e.g. `威胁或过激言辞`.
    pub name: String,
    /// The case's value, e.g. `是`, `12人`.
    pub value: String,
    /// Whether it raises the risk (else it lowers it).
    pub raises: bool,
}

/// The model's judgement of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    pub probability: f64,
    /// `None` below the yellow threshold.
    pub level: Option<Level>,
    /// The three features that moved the prediction most, strongest first.
    pub factors: Vec<RiskFactor>,
}

impl Risk {
    /// The probability as a percentage, e.g. `37.5%`.
    pub fn percent(&self) -> String {
        format!("{:.1}%", self.probability * 100.0)
    }

    /// `red`, `orange`, `yellow` or `none`, for styling.
    pub fn level_code(&self) -> &'static str {
        match self.level {
            Some(Level::Red) => "red",
            Some(Level::Orange) => "orange",
            Some(Level::Yellow) => "yellow",
            None => "none",
        }
    }

    /// `红色预警`, `橙色预警`, `黄色预警`, or `未达预警` below the yellow threshold.
    pub fn level_label(&self) -> &'static str {
        match self.level {
            Some(Level::Red) => "红色预警",
            Some(Level::Orange) => "橙色预警",
            Some(Level::Yellow) => "黄色预警",
            None => "未达预警",
        }
    }
}

/// The risk of an open case on the case page: `None` for a closed case, when no model is
/// stored, or when scoring failed (logged; the page is more important than the panel).
pub async fn for_case_page(store: &dyn Store, case: &Case) -> Option<Risk> {
    if !case.status.is_open() {
        return None;
    }
    let scored = match load(store).await {
        Ok(Some(report)) => score(store, &report, case).await.map(Some),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    scored.unwrap_or_else(|e| {
        tracing::warn!(error = %e, case = %case.id, "escalation risk not scored");
        None
    })
}

/// Judges `case` with the stored model (its features do not depend on the day, see
/// `hejie_insight::model`). Earlier cases of the same parties are found
/// by the parties' keyed hashes.
pub async fn score(
    store: &dyn Store,
    report: &ModelReport,
    case: &Case,
) -> Result<Risk, StoreError> {
    let mut earlier: Vec<CaseId> = Vec::new();
    for hash in party_hashes(case) {
        let found = store
            .list_cases(&CaseFilter {
                party_hash: Some(hash),
                registered_to: Some(case.registered_at),
                limit: 1000,
                ..CaseFilter::default()
            })
            .await?;
        earlier.extend(found.into_iter().map(|s| s.id).filter(|id| *id != case.id));
    }
    earlier.sort();
    earlier.dedup();
    let facts = CaseFacts::of(case);
    let x = features(
        &facts,
        &case.description,
        u32::try_from(earlier.len()).unwrap_or(u32::MAX),
    );
    let probability = report.model.predict(&x);
    Ok(Risk {
        probability,
        level: report.thresholds.level(probability),
        factors: report
            .model
            .explain(&x, 3)
            .into_iter()
            .map(|f| RiskFactor {
                value: f.reading(),
                raises: f.contribution > 0.0,
                name: f.name,
            })
            .collect(),
    })
}

/// The keyed hashes of a case's parties' ID numbers and phones.
fn party_hashes(case: &Case) -> Vec<String> {
    let mut h: Vec<String> = case
        .parties
        .iter()
        .flat_map(|p| [p.id_number.as_ref(), p.phone.as_ref()])
        .flatten()
        .map(|s| s.keyed_hash.clone())
        .collect();
    h.sort();
    h.dedup();
    h
}

/// Every closed case (已结案 and 已回访), read page by page from the projection and each folded
/// from its events.
async fn load_closed(store: &Arc<dyn Store>) -> Result<Vec<Closed>, StoreError> {
    let mut ids = Vec::new();
    for status in [Status::Closed, Status::FollowedUp] {
        let mut before = None;
        loop {
            let page = store
                .list_cases(&CaseFilter {
                    status: Some(status),
                    before,
                    limit: 1000,
                    ..CaseFilter::default()
                })
                .await?;
            let Some(last) = page.last() else { break };
            before = Some((last.registered_at, last.id));
            ids.extend(page.iter().map(|s| s.id));
        }
    }
    let mut closed = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(LOAD_CONCURRENCY) {
        let mut set = tokio::task::JoinSet::new();
        for &id in chunk {
            let store = store.clone();
            set.spawn(async move { store.events(id).await });
        }
        while let Some(joined) = set.join_next().await {
            let events = joined
                .map_err(|e| StoreError::Database(format!("loading a case failed: {e}")))??;
            let events: Vec<_> = events.into_iter().map(|e| e.event).collect();
            if let Some(c) = fold_closed(&events) {
                closed.push(c);
            }
        }
    }
    // Loads finish in any order; training must not depend on it.
    closed.sort_by(|a, b| {
        (a.before.registered_at, a.before.id).cmp(&(b.before.registered_at, b.before.id))
    });
    Ok(closed)
}

/// A concluded case's state just before its latest closing and its label; `None` for a case
/// that is not concluded (declined, or changed status since it was listed).
fn fold_closed(events: &[hejie_domain::case::Event]) -> Option<Closed> {
    let last_close = events
        .iter()
        .rposition(|e| matches!(e.body, EventBody::Closed { .. }))?;
    let full = CaseState::replay(events.iter());
    let facts = CaseFacts::of(full.case()?);
    if !facts.concluded {
        return None;
    }
    let closed = facts.closed_day?;
    let before = CaseState::replay(events[..last_close].iter());
    Some(Closed {
        before: before.case()?.clone(),
        escalated: facts.escalation.is_some(),
        closed,
    })
}

/// Features and labels. A case's earlier-party count is the number of closed cases registered
/// before it that share a party with it; scoring counts every earlier case, open or not, which
/// differs only for the rare earlier case still open when a later one closed.
fn samples(closed: &[Closed]) -> Vec<Sample> {
    let mut seen: HashMap<String, Vec<(Timestamp, CaseId)>> = HashMap::new();
    for c in closed {
        for h in party_hashes(&c.before) {
            seen.entry(h)
                .or_default()
                .push((c.before.registered_at, c.before.id));
        }
    }
    closed
        .iter()
        .map(|c| {
            let mut earlier: Vec<CaseId> = party_hashes(&c.before)
                .iter()
                .filter_map(|h| seen.get(h))
                .flatten()
                .filter(|(at, id)| *at < c.before.registered_at && *id != c.before.id)
                .map(|(_, id)| *id)
                .collect();
            earlier.sort();
            earlier.dedup();
            let facts = CaseFacts::of(&c.before);
            Sample {
                x: features(
                    &facts,
                    &c.before.description,
                    u32::try_from(earlier.len()).unwrap_or(u32::MAX),
                ),
                escalated: c.escalated,
                closed: c.closed,
            }
        })
        .collect()
}

fn period(part: &[&Sample]) -> Option<Period> {
    Some(Period {
        from: part.iter().map(|s| s.closed).min()?.to_string(),
        to: part.iter().map(|s| s.closed).max()?.to_string(),
        cases: part.len(),
        positives: part.iter().filter(|s| s.escalated).count(),
    })
}

/// Splits by closing day, checks both periods, trains and measures.
fn fit(
    samples: &[Sample],
    now: Timestamp,
    cfg: &RetrainConfig,
) -> Result<ModelReport, RetrainError> {
    let first = samples.iter().map(|s| s.closed).min();
    let last = samples.iter().map(|s| s.closed).max();
    let (Some(first), Some(last)) = (first, last) else {
        return Err(RetrainError::Refused(
            "尚无已结案件，无法训练升级风险模型".to_owned(),
        ));
    };
    let span = (last - first).whole_days();
    let held_days = (span as f64 * cfg.held_out_share.clamp(0.0, 1.0)).ceil() as i64;
    // Cases closed after the cut are held out; the cut is a whole day, so cases closed on the
    // same day are never split between the periods.
    let cut = last - time::Duration::days(held_days);
    let (held, trained): (Vec<&Sample>, Vec<&Sample>) = samples
        .iter()
        .partition(|s| held_days > 0 && s.closed > cut);
    let describe = |name: &str, part: &[&Sample], min: usize| -> Result<Period, RetrainError> {
        let p = period(part);
        let (cases, pos) = p.as_ref().map_or((0, 0), |p| (p.cases, p.positives));
        let neg = cases - pos;
        // At least one case of each outcome, whatever the configuration says: an AUC needs both.
        let min = min.max(1);
        if pos < min || neg < min {
            let range = p
                .as_ref()
                .map(|p| format!("（{}至{}结案）", p.from, p.to))
                .unwrap_or_default();
            return Err(RetrainError::Refused(format!(
                "已结案件不足，无法训练升级风险模型：{name}{range}共{cases}件，其中以信访、诉讼或治安刑事案件告终的{pos}件、未升级的{neg}件，两类各至少需要{min}件"
            )));
        }
        p.ok_or_else(|| RetrainError::Refused(format!("{name}没有已结案件")))
    };
    let train_period = describe("训练期", &trained, cfg.min_train_class)?;
    let held_period = describe("留出检验期", &held, cfg.min_held_out_class)?;
    let training: Vec<(Vec<f64>, bool)> =
        trained.iter().map(|s| (s.x.clone(), s.escalated)).collect();
    let model = train(&training, &cfg.train)
        .map_err(|e| RetrainError::Refused(format!("无法训练升级风险模型：{e}")))?;
    let scores: Vec<f64> = held.iter().map(|s| model.predict(&s.x)).collect();
    let labels: Vec<bool> = held.iter().map(|s| s.escalated).collect();
    let auc = auc(&scores, &labels).ok_or_else(|| {
        RetrainError::Refused("留出检验期缺少其中一类结局，无法计算AUC".to_owned())
    })?;
    Ok(ModelReport {
        model,
        auc,
        train: train_period,
        held_out: held_period,
        trained_at: now,
        thresholds: cfg.thresholds,
    })
}
