//! The pure domain of hejie (和解): administrative divisions, organisations, users and the case
//! aggregate with its rules. This crate does no IO: no database, no network, no clock, no
//! randomness. Time and identity arrive in commands; cryptography arrives through traits.

pub mod authz;
pub mod calendar;
pub mod case;
pub mod clock;
pub mod court;
pub mod division;
pub mod error;
pub mod field;
pub mod geo;
pub mod limits;
pub mod mediation;
pub mod money;
pub mod org;
pub mod personal;
pub mod quota;
pub mod rating;
pub mod timestamp;
pub mod user;

pub use error::{CommandName, DomainError, ValidationError};
