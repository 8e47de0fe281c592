//! Integration tests of the intake crate: classifier accuracy on the held-out set, online
//! learning, persistence, the risk and triage hints, and routing.

mod classifier;
mod risk;
mod routing;
