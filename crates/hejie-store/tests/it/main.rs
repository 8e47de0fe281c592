//! The storage contract: every test runs against both backends, SQLite (a fresh file) and
//! PostgreSQL (a fresh schema in `$DATABASE_URL`), through the [`hejie_store::Store`] trait, with
//! raw SQL underneath only to inspect what is stored or to tamper with it.

mod audit;
mod clock;
mod contract;
mod documents;
mod field;
mod fixture;
mod harness;
mod insight;
mod models;
mod warnings;
mod work;
