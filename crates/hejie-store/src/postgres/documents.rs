//! [`DocumentStore`] on PostgreSQL.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;

use super::PgStore;
use crate::Result;
use crate::documents::{self as q, DocumentInfo, DocumentStore, InfoTuple, NewDocument};

type DocTuple = (
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    Vec<u8>,
);

#[async_trait]
impl DocumentStore for PgStore {
    async fn put_document(&self, doc: NewDocument) -> Result<DocumentInfo> {
        let digest = q::digest(&doc.body);
        let size = i64::try_from(doc.body.len()).unwrap_or(i64::MAX);
        let mut tx = self.pool().begin().await?;
        // Two makers of the same document take versions one after the other.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(&doc.key)
            .execute(&mut *tx)
            .await?;
        let version: i64 = sqlx::query_scalar(q::NEXT_VERSION)
            .bind(&doc.key)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(q::INSERT_DOCUMENT)
            .bind(&doc.key)
            .bind(version)
            .bind(&doc.kind)
            .bind(doc.division.as_str())
            .bind(&doc.period)
            .bind(&doc.title)
            .bind(&doc.content_type)
            .bind(&digest)
            .bind(size)
            .bind(&doc.created_by)
            .bind(doc.created_at.micros())
            .bind(&doc.body)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        q::info_from((
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
    }

    async fn document(&self, key: &str) -> Result<Option<(DocumentInfo, Vec<u8>)>> {
        let row: Option<DocTuple> = sqlx::query_as(q::SELECT_DOCUMENT)
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.map(|(a, b, c, d, e, f, g, h, i, j, k, body)| {
            Ok((q::info_from((a, b, c, d, e, f, g, h, i, j, k))?, body))
        })
        .transpose()
    }

    async fn documents_by_digest(&self, digest: &str) -> Result<Vec<DocumentInfo>> {
        let rows: Vec<InfoTuple> = sqlx::query_as(q::SELECT_BY_DIGEST)
            .bind(digest)
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(q::info_from).collect()
    }

    async fn documents(
        &self,
        kind: &str,
        division: &DivisionCode,
        limit: u32,
    ) -> Result<Vec<DocumentInfo>> {
        let rows: Vec<InfoTuple> = sqlx::query_as(q::SELECT_DOCUMENTS)
            .bind(kind)
            .bind(q::subtree_pattern(division))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(q::info_from).collect()
    }
}
