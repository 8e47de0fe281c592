//! Middleware, one concern per file.

pub mod security;
