//! [`ModelStore`] on PostgreSQL.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;

use super::PgStore;
use crate::Result;
use crate::models::{self as q, ModelStore, SettingChange};

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

    async fn put_setting(&self, change: &SettingChange) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(q::PUT_MODEL)
            .bind(&change.name)
            .bind(&change.body)
            .bind(change.at.micros())
            .execute(&mut *tx)
            .await?;
        sqlx::query(q::INSERT_SETTING_CHANGE)
            .bind(&change.name)
            .bind(&change.body)
            .bind(q::digest(&change.body))
            .bind(&change.changed_by)
            .bind(&change.changed_by_name)
            .bind(change.at.micros())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn setting_history(&self, name: &str, limit: u32) -> Result<Vec<SettingChange>> {
        let rows: Vec<(String, String, String, String, String, i64)> =
            sqlx::query_as(q::SELECT_SETTING_HISTORY)
                .bind(name)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(
                |(name, body, digest, changed_by, changed_by_name, at)| SettingChange {
                    name,
                    body,
                    digest,
                    changed_by,
                    changed_by_name,
                    at: Timestamp::from_micros(at),
                },
            )
            .collect())
    }
}
