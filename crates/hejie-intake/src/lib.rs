//! Intake intelligence of hejie (和解): what a window clerk is told while typing a complaint.
//!
//! Pure functions of the text and of the case's facts sit here. [`Classifier`] suggests one of the
//! 18 canonical dispute types with probabilities and the words that drove the choice; it is a
//! multinomial naive Bayes model over jieba words and character bigrams, trained from a seed set
//! written for this project and updated online when a clerk corrects it. [`assess`] flags words and
//! figures that signal escalation and suggests a severity and a track (门诊/急诊/会诊) with reasons in
//! Chinese. [`RoutingRules`] sends a case to the responsible organisation by ordered rules kept as
//! TOML (a default set is compiled in), choosing the least-loaded one when several are eligible.
//! [`similarity`] compares two descriptions so intake can spot the same dispute reported twice.
//!
//! This crate does no IO: no files, database, network or clock. The seed set is compiled in, the
//! month arrives as an argument, and a trained model leaves and enters as JSON for the caller to
//! store.

mod classifier;
mod error;
mod features;
mod risk;
mod routing;
mod seed;
mod similar;

pub use classifier::{Classification, Classifier};
pub use error::IntakeError;
pub use features::features;
pub use risk::{Assessment, RiskFlag, RiskKind, assess};
pub use routing::{
    CaseFacts, Condition, DEFAULT_RULES_TOML, Decision, RoutingError, RoutingRules, Rule, Target,
    TargetKind,
};
pub use seed::{HELDOUT_TSV, SEED_TSV, heldout_examples, parse_tsv, seed_examples};
pub use similar::{NEAR_IDENTICAL, similarity};
