//! In-process tests of the HTTP server: every route through `hejie_server::app`, without a
//! socket, each test over its own SQLite database. Denials are generated, not hand-picked: see
//! `matrix.rs` for the endpoint × role × jurisdiction matrix.

mod admin;
mod admin_flow;
mod agreement;
mod basics;
mod charts;
mod closed_loop;
mod consent;
mod court;
mod dossier;
mod errors;
mod escalation;
mod evidence;
mod field;
mod flow;
mod insight;
mod intake;
mod linking;
mod lists;
mod login;
mod matrix;
mod online;
mod open311;
mod openapi;
mod report;
mod sessions;
mod support;
mod warnings;
