//! [`ModelStore`] on SQLite.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;
use rusqlite::OptionalExtension;

use super::{SqliteStore, exec};
use crate::Result;
use crate::models::{self as q, ModelStore, SettingChange};
use crate::sql::{Bind, for_sqlite};

#[async_trait]
impl ModelStore for SqliteStore {
    async fn model(&self, name: &str) -> Result<Option<(String, Timestamp)>> {
        let name = name.to_owned();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::SELECT_MODEL))?
                    .query_row([name], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                    })
                    .optional()?)
            })
            .await?;
        Ok(row.map(|(body, at)| (body, Timestamp::from_micros(at))))
    }

    async fn put_model(&self, name: &str, body: &str, at: Timestamp) -> Result<()> {
        let binds = vec![
            Bind::Text(name.to_owned()),
            Bind::Text(body.to_owned()),
            Bind::Int(at.micros()),
        ];
        self.writer
            .write(move |conn| exec(conn, q::PUT_MODEL, &binds).map(|_| ()))
            .await
    }

    async fn put_setting(&self, change: &SettingChange) -> Result<()> {
        let model = vec![
            Bind::Text(change.name.clone()),
            Bind::Text(change.body.clone()),
            Bind::Int(change.at.micros()),
        ];
        let history = vec![
            Bind::Text(change.name.clone()),
            Bind::Text(change.body.clone()),
            Bind::Text(q::digest(&change.body)),
            Bind::Text(change.changed_by.clone()),
            Bind::Text(change.changed_by_name.clone()),
            Bind::Int(change.at.micros()),
        ];
        // One write job is one savepoint in the writer's batch, so both rows land or neither.
        self.writer
            .write(move |conn| {
                exec(conn, q::PUT_MODEL, &model)?;
                exec(conn, q::INSERT_SETTING_CHANGE, &history).map(|_| ())
            })
            .await
    }

    async fn setting_history(&self, name: &str, limit: u32) -> Result<Vec<SettingChange>> {
        let name = name.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&for_sqlite(q::SELECT_SETTING_HISTORY))?;
            let rows = stmt
                .query_map(rusqlite::params![name, i64::from(limit)], |r| {
                    Ok(SettingChange {
                        name: r.get(0)?,
                        body: r.get(1)?,
                        digest: r.get(2)?,
                        changed_by: r.get(3)?,
                        changed_by_name: r.get(4)?,
                        at: Timestamp::from_micros(r.get(5)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}
