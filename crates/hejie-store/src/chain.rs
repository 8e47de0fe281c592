//! The stored form of an event and its place in the case's hash chain.
//!
//! Each row's hash is the SM3 digest of the JCS (RFC 8785) canonical JSON of *every* stored
//! column except `seq` and `hash` itself, including the previous event's hash. Editing any field,
//! deleting a row or reordering rows therefore breaks the chain. Timestamps are integers
//! (microseconds) so the hash never depends on how a database renders time.

use hejie_domain::case::{CaseId, Event};
use hejie_domain::timestamp::Timestamp;
use serde_json::{Value, json};

use crate::{Result, StoreError};

/// `prev_hash` of a stream's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One row of the `events` table, exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Global append order; assigned by the database, not hashed.
    pub seq: i64,
    pub case_id: String,
    pub version: i64,
    pub kind: String,
    pub occurred_at: i64,
    pub actor_id: String,
    pub division: String,
    pub recorded_at: i64,
    pub meta: String,
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

impl EventRow {
    /// Encodes `event` as version `version` of `case_id`'s stream, chained to `prev_hash`.
    pub fn seal(
        case_id: CaseId,
        version: u64,
        prev_hash: &str,
        event: &Event,
        recorded_at: Timestamp,
    ) -> Result<Self> {
        let meta = serde_json::to_value(&event.meta)?;
        let body = serde_json::to_value(&event.body)?;
        let mut row = EventRow {
            seq: 0,
            case_id: case_id.to_string(),
            version: i64::try_from(version).map_err(|_| StoreError::Corrupt("version".into()))?,
            kind: event.body.kind().to_owned(),
            occurred_at: event.meta.at.micros(),
            actor_id: event.meta.actor.id.to_string(),
            division: event.meta.division.to_string(),
            recorded_at: recorded_at.micros(),
            meta: meta.to_string(),
            body: body.to_string(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        row.hash = row.hash_with(meta, body)?;
        Ok(row)
    }

    /// The hash the row's content calls for; differs from `hash` if anything was edited.
    pub fn computed_hash(&self) -> Result<String> {
        self.hash_with(
            serde_json::from_str(&self.meta)?,
            serde_json::from_str(&self.body)?,
        )
    }

    /// Hashes the row with `meta` and `body` already parsed (they must be the row's own).
    fn hash_with(&self, meta: Value, body: Value) -> Result<String> {
        link_hash(
            ("case_id", &self.case_id),
            Link {
                version: self.version,
                kind: &self.kind,
                occurred_at: self.occurred_at,
                actor_id: &self.actor_id,
                division: &self.division,
                recorded_at: self.recorded_at,
                prev_hash: &self.prev_hash,
            },
            meta,
            body,
        )
    }

    /// Decodes the domain event.
    pub fn decode(&self) -> Result<StoredEvent> {
        let event = Event {
            meta: serde_json::from_str(&self.meta)?,
            body: serde_json::from_str(&self.body)?,
        };
        Ok(StoredEvent {
            seq: self.seq,
            version: u64::try_from(self.version).unwrap_or(0),
            recorded_at: Timestamp::from_micros(self.recorded_at),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
            event,
        })
    }
}

/// A decoded event with its chain data, for timelines and audits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: i64,
    pub version: u64,
    pub recorded_at: Timestamp,
    pub prev_hash: String,
    pub hash: String,
    pub event: Event,
}

/// The canonical hash of a checkpoint: its id, time, predecessor, totals and sorted heads.
pub fn checkpoint_hash(
    id: i64,
    created_at: i64,
    max_seq: i64,
    events: i64,
    prev_hash: &str,
    heads: &[(String, i64, String)],
) -> Result<String> {
    let canonical = json!({
        "id": id,
        "created_at": created_at,
        "max_seq": max_seq,
        "events": events,
        "prev_hash": prev_hash,
        "heads": heads,
    });
    let bytes = serde_jcs::to_vec(&canonical).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(hejie_crypto::sm3_hex(&bytes))
}

/// The columns every chained log stores beside its stream's id, meta and body.
pub(crate) struct Link<'a> {
    pub version: i64,
    pub kind: &'a str,
    pub occurred_at: i64,
    pub actor_id: &'a str,
    pub division: &'a str,
    pub recorded_at: i64,
    pub prev_hash: &'a str,
}

/// The SM3 hash of one link of a chained log (the case log, the field log): the JCS of every
/// stored column but `seq` and the hash itself, the stream's id under its column's name.
pub(crate) fn link_hash(
    (stream_column, stream): (&str, &str),
    link: Link<'_>,
    meta: Value,
    body: Value,
) -> Result<String> {
    let mut canonical = json!({
        "version": link.version,
        "kind": link.kind,
        "occurred_at": link.occurred_at,
        "actor_id": link.actor_id,
        "division": link.division,
        "recorded_at": link.recorded_at,
        "meta": meta,
        "body": body,
        "prev_hash": link.prev_hash,
    });
    canonical[stream_column] = Value::String(stream.to_owned());
    let bytes = serde_jcs::to_vec(&canonical).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(hejie_crypto::sm3_hex(&bytes))
}
