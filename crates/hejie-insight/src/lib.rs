//! The analytics of hejie (和解), as pure functions of folded case state.
//!
//! - [`facts`]: what the indicators need to know about one case, derived from its state alone.
//! - [`aggregate`]: additive counts per day × division × dispute type, kept up to date by the
//!   difference between a case's facts before and after an append, and rebuilt from scratch with
//!   the same result.
//! - [`indicators`]: the leaders' indicators (两上升、三下降、四提高) with their published formulas.
//! - [`warning`]: spikes against a seasonal baseline and the risk signals of one case.
//! - [`model`]: a logistic-regression escalation model with per-case explanations and AUC.
//!
//! This crate does no IO: no database, network, clock or randomness. Days, counts and
//! populations arrive as arguments; a trained model is serialised by the caller.

pub mod aggregate;
pub mod facts;
pub mod indicators;
pub mod model;
pub mod warning;

pub use aggregate::{Aggregates, Key, Metric, Totals, contributions, delta};
pub use facts::{CaseFacts, Escalation, OutcomeKind, cst_day};
pub use indicators::{Context, Figure, Indicator, Unit, overdue_rate};
pub use model::{
    Factor, FeatureKind, Model, ModelError, TrainConfig, auc, feature_kinds, feature_names,
    features, train,
};
pub use warning::{
    Level, RiskAssessment, RiskSignal, Spike, SpikeConfig, assess_risk, detect_spike,
    spring_festival, spring_festival_ahead,
};
