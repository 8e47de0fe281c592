//! [`DocumentStore`] on SQLite.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;
use rusqlite::OptionalExtension;

use super::SqliteStore;
use crate::Result;
use crate::documents::{self as q, DocumentInfo, DocumentStore, InfoTuple, NewDocument};
use crate::sql::for_sqlite;

fn info_tuple(r: &rusqlite::Row<'_>) -> rusqlite::Result<InfoTuple> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn put_document(&self, doc: NewDocument) -> Result<DocumentInfo> {
        let digest = q::digest(&doc.body);
        let size = i64::try_from(doc.body.len()).unwrap_or(i64::MAX);
        let version = self
            .writer
            .write(move |conn| {
                // The writer thread is the only writer, so the next version cannot be taken
                // between the read and the insert.
                let version: i64 = conn
                    .prepare_cached(&for_sqlite(q::NEXT_VERSION))?
                    .query_row([&doc.key], |r| r.get(0))?;
                conn.prepare_cached(&for_sqlite(q::INSERT_DOCUMENT))?
                    .execute(rusqlite::params![
                        doc.key,
                        version,
                        doc.kind,
                        doc.division.as_str(),
                        doc.period,
                        doc.title,
                        doc.content_type,
                        digest,
                        size,
                        doc.created_by,
                        doc.created_at.micros(),
                        doc.body,
                    ])?;
                Ok((
                    doc.key,
                    version,
                    doc.kind,
                    doc.division.as_str().to_owned(),
                    doc.period,
                    doc.title,
                    doc.content_type,
                    digest,
                    size,
                    doc.created_by,
                    doc.created_at.micros(),
                ))
            })
            .await?;
        q::info_from(version)
    }

    async fn document(&self, key: &str) -> Result<Option<(DocumentInfo, Vec<u8>)>> {
        let key = key.to_owned();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::SELECT_DOCUMENT))?
                    .query_row([key], |r| Ok((info_tuple(r)?, r.get::<_, Vec<u8>>(11)?)))
                    .optional()?)
            })
            .await?;
        row.map(|(t, body)| Ok((q::info_from(t)?, body)))
            .transpose()
    }

    async fn documents_by_digest(&self, digest: &str) -> Result<Vec<DocumentInfo>> {
        let digest = digest.to_owned();
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(q::SELECT_BY_DIGEST))?;
                let rows = stmt
                    .query_map([digest], info_tuple)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(q::info_from).collect()
    }

    async fn documents(
        &self,
        kind: &str,
        division: &DivisionCode,
        limit: u32,
    ) -> Result<Vec<DocumentInfo>> {
        let (kind, pattern) = (kind.to_owned(), q::subtree_pattern(division));
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(q::SELECT_DOCUMENTS))?;
                let rows = stmt
                    .query_map(
                        rusqlite::params![kind, pattern, i64::from(limit)],
                        info_tuple,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(q::info_from).collect()
    }
}
