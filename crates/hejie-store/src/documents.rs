//! Documents the system makes and keeps: the monthly 研判预警专报 now, agreements and dossiers
//! later. A document is bytes with a key (`monthly:{division}:{YYYY-MM}`), a kind, the area and
//! period it is about, and its SM3 digest. Nothing is ever replaced: making a document again
//! adds the next version under its key, so what was sent to a leader can always be produced.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;

use crate::Result;

/// A document to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// What it is the document of, e.g. `monthly:330102:2026-10`; versions share it.
    pub key: String,
    /// Its kind, e.g. `monthly_report`.
    pub kind: String,
    pub division: DivisionCode,
    /// The period it covers, e.g. `2026-10`.
    pub period: String,
    pub title: String,
    pub content_type: String,
    /// Who made it: a user id, or `system` for the scheduler.
    pub created_by: String,
    pub created_at: Timestamp,
    pub body: Vec<u8>,
}

/// A kept document's description (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInfo {
    pub key: String,
    pub version: i64,
    pub kind: String,
    pub division: DivisionCode,
    pub period: String,
    pub title: String,
    pub content_type: String,
    /// SM3 of the bytes, hex.
    pub digest: String,
    pub size: i64,
    pub created_by: String,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Keeps a document as the next version of its key; returns what was kept.
    async fn put_document(&self, doc: NewDocument) -> Result<DocumentInfo>;
    /// The latest version of the document with `key`, with its bytes.
    async fn document(&self, key: &str) -> Result<Option<(DocumentInfo, Vec<u8>)>>;
    /// Every kept document whose bytes have this digest (SM3, hex), oldest first: how a copy
    /// handed out is recognised.
    async fn documents_by_digest(&self, digest: &str) -> Result<Vec<DocumentInfo>>;
    /// The latest version of each document of `kind` about `division` or any area inside it,
    /// newest period first.
    async fn documents(
        &self,
        kind: &str,
        division: &DivisionCode,
        limit: u32,
    ) -> Result<Vec<DocumentInfo>>;
}

pub const NEXT_VERSION: &str = "SELECT COALESCE(MAX(version), 0) + 1 FROM documents WHERE key = $1";

pub const INSERT_DOCUMENT: &str = "INSERT INTO documents (key, version, kind, division, period, \
     title, content_type, digest, size, created_by, created_at, body) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

macro_rules! info_columns {
    () => {
        "key, version, kind, division, period, title, content_type, digest, size, created_by, \
         created_at"
    };
}

/// The latest version of one key, bytes last.
pub const SELECT_DOCUMENT: &str = concat!(
    "SELECT ",
    info_columns!(),
    ", body FROM documents WHERE key = $1 ORDER BY version DESC LIMIT 1"
);

/// The versions with a digest, oldest first.
pub const SELECT_BY_DIGEST: &str = concat!(
    "SELECT ",
    info_columns!(),
    " FROM documents WHERE digest = $1 ORDER BY created_at, key, version"
);

/// The latest version per key of a kind within an area (its code as a prefix, the way the case
/// list matches a subtree), newest period first.
pub const SELECT_DOCUMENTS: &str = concat!(
    "SELECT ",
    info_columns!(),
    " FROM documents d WHERE kind = $1 AND division LIKE $2 \
     AND version = (SELECT MAX(version) FROM documents e WHERE e.key = d.key) \
     ORDER BY period DESC, division, key LIMIT $3"
);

/// The row shape both backends read.
pub type InfoTuple = (
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
);

pub(crate) fn info_from(t: InfoTuple) -> Result<DocumentInfo> {
    let (key, version, kind, division, period, title, content_type, digest, size, by, at) = t;
    Ok(DocumentInfo {
        division: DivisionCode::parse(&division)
            .map_err(|e| crate::StoreError::Corrupt(format!("document {key}: {e}")))?,
        key,
        version,
        kind,
        period,
        title,
        content_type,
        digest,
        size,
        created_by: by,
        created_at: Timestamp::from_micros(at),
    })
}

/// The LIKE pattern of an area's subtree.
pub(crate) fn subtree_pattern(d: &DivisionCode) -> String {
    format!("{}%", d.prefix())
}

/// The digest kept with a document.
pub fn digest(body: &[u8]) -> String {
    hejie_crypto::sm3_hex(body)
}
