//! Integration tests of hejie-insight: indicators from hand-built histories, the incremental
//! aggregates against a rebuild, early warning and the escalation model.

mod aggregate;
mod indicators;
mod model;
mod support;
mod warning;
