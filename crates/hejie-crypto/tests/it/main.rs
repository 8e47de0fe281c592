//! Integration tests of hejie's cryptography.

mod sign;
