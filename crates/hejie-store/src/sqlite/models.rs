//! [`ModelStore`] on SQLite.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;
use rusqlite::OptionalExtension;

use super::{SqliteStore, exec};
use crate::Result;
use crate::models::{self as q, ModelStore};
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
}
