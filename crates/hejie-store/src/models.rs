//! Models and settings: named documents the server keeps between restarts, such as the intake
//! classifier learned from clerks' corrections, the routing rules and the time-limit policy. The
//! store keeps the text; what it means is the caller's.
//!
//! Settings an administrator changes are also written to an append-only history (who, when, the
//! full text and its SM3 digest) in the same transaction, because a change of routing or time
//! limits changes what happens to cases and must be answerable later.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;

use crate::Result;

/// One change of a setting, as recorded in its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingChange {
    pub name: String,
    pub body: String,
    /// SM3 of `body`, hex (filled in by the store).
    pub digest: String,
    /// The user id of the administrator.
    pub changed_by: String,
    pub changed_by_name: String,
    pub at: Timestamp,
}

#[async_trait]
pub trait ModelStore: Send + Sync {
    /// The stored body of the model called `name` and when it was last written.
    async fn model(&self, name: &str) -> Result<Option<(String, Timestamp)>>;
    /// Stores (or replaces) the model called `name`.
    async fn put_model(&self, name: &str, body: &str, at: Timestamp) -> Result<()>;
    /// Puts a setting in force (as the model `name`) and appends the change to its history,
    /// in one transaction. `digest` of the argument is ignored; the store computes it.
    async fn put_setting(&self, change: &SettingChange) -> Result<()>;
    /// The latest `limit` changes of the setting `name`, newest first.
    async fn setting_history(&self, name: &str, limit: u32) -> Result<Vec<SettingChange>>;
}

pub const SELECT_MODEL: &str = "SELECT body, updated_at FROM models WHERE name = $1";

pub const PUT_MODEL: &str = "INSERT INTO models (name, body, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at";

pub const INSERT_SETTING_CHANGE: &str = "INSERT INTO setting_changes \
     (name, body, digest, changed_by, changed_by_name, changed_at) VALUES ($1, $2, $3, $4, $5, $6)";

pub const SELECT_SETTING_HISTORY: &str = "SELECT name, body, digest, changed_by, changed_by_name, \
     changed_at FROM setting_changes WHERE name = $1 ORDER BY id DESC LIMIT $2";

/// The digest recorded with a setting's text.
pub fn digest(body: &str) -> String {
    hejie_crypto::sm3_hex(body.as_bytes())
}
