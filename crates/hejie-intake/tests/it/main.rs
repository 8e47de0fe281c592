//! Integration tests of the intake crate: classifier accuracy on the held-out set, online
//! learning, persistence, and the risk and triage hints.

mod classifier;
mod risk;
