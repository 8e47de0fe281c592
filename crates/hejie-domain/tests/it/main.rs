//! Integration tests of the pure domain, written as given (past events) / when (a command) /
//! then (the recorded events, or the error). No database, no clock, no crypto.

mod authz;
mod case_commands;
mod case_flow;
mod case_rules;
mod case_state;
mod case_transitions;
mod clock;
mod field;
mod geo;
mod limits;
mod mediation;
mod quota;
mod rating;
mod support;
