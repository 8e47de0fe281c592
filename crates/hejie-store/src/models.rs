//! Models: named documents the server keeps between restarts, such as the intake classifier
//! learned from clerks' corrections. The store keeps the bytes; what they mean is the caller's.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;

use crate::Result;

#[async_trait]
pub trait ModelStore: Send + Sync {
    /// The stored body of the model called `name` and when it was last written.
    async fn model(&self, name: &str) -> Result<Option<(String, Timestamp)>>;
    /// Stores (or replaces) the model called `name`.
    async fn put_model(&self, name: &str, body: &str, at: Timestamp) -> Result<()>;
}

pub const SELECT_MODEL: &str = "SELECT body, updated_at FROM models WHERE name = $1";

pub const PUT_MODEL: &str = "INSERT INTO models (name, body, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at";
