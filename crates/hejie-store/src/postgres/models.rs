//! [`ModelStore`] on PostgreSQL.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;

use super::PgStore;
use crate::Result;
use crate::models::{self as q, ModelStore};

#[async_trait]
impl ModelStore for PgStore {
    async fn model(&self, name: &str) -> Result<Option<(String, Timestamp)>> {
        let row: Option<(String, i64)> = sqlx::query_as(q::SELECT_MODEL)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|(body, at)| (body, Timestamp::from_micros(at))))
    }

    async fn put_model(&self, name: &str, body: &str, at: Timestamp) -> Result<()> {
        sqlx::query(q::PUT_MODEL)
            .bind(name)
            .bind(body)
            .bind(at.micros())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
