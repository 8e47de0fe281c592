//! Delivering SMS and e-mail notifications from the outbox, with retries.
//!
//! Deployments plug in their SMS gateway and mail relay by implementing [`Sender`]. The built-in
//! [`LogSender`] writes each message to the log and, when `HEJIE_DELIVERY_LOG` names a file,
//! appends one JSON line per idempotency key to it (the demo and the multi-process tests read
//! it). Every attempt at a notification carries the same key; see [`Sender`].

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use hejie_domain::timestamp::Timestamp;
use hejie_store::work::{Delivery, DeliveryResult, Notification};

use crate::state::AppState;

/// Sends one SMS or e-mail notification; an `Err` is retried later.
///
/// # Idempotency
///
/// Delivery is at-least-once: a process may send a message and die before it records the
/// message as sent, and the next process to claim the delivery sends it again. Every attempt
/// at the same notification therefore carries the same `idempotency_key` (the notification's
/// id), and implementations must treat a key they have already accepted as sent: return
/// `Ok(())` without delivering it a second time. Pass the key to gateways that deduplicate by
/// request id (most SMS gateways and mail relays take one), or keep the keys already sent
/// somewhere durable. A sender that cannot deduplicate still works, but a crash between the send
/// and its record may then deliver one message twice.
pub trait Sender: Send + Sync {
    fn send(
        &self,
        notification: &Notification,
        recipient_name: &str,
        idempotency_key: &str,
    ) -> Result<(), String>;
}

/// The idempotency key of a notification's deliveries: its id, which no other notification of
/// the same database ever gets.
pub fn idempotency_key(notification: &Notification) -> String {
    notification.id.to_string()
}

/// Logs every message; with a file, appends one JSON line per key and skips keys already in the
/// file (so it is an idempotent sender even across processes sharing the file).
#[derive(Debug, Default)]
pub struct LogSender {
    file: Option<std::path::PathBuf>,
    /// Keys seen in the file so far and how much of the file has been read.
    seen: Mutex<(HashSet<String>, u64)>,
}

impl LogSender {
    pub fn from_env() -> Self {
        Self::to_file(std::env::var_os("HEJIE_DELIVERY_LOG").map(Into::into))
    }

    /// A sender appending to `file` (or only logging, with `None`).
    pub fn to_file(file: Option<std::path::PathBuf>) -> Self {
        Self {
            file,
            seen: Mutex::new((HashSet::new(), 0)),
        }
    }

    /// Appends the line unless the file already holds `key`; returns whether it was appended.
    fn append_once(
        &self,
        path: &std::path::Path,
        key: &str,
        line: &serde_json::Value,
    ) -> Result<bool, String> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| e.to_string())?;
        // Several processes append to the same file: the exclusive lock makes "is the key there,
        // and if not write it" one step for all of them. It is released when `f` is dropped.
        f.lock().map_err(|e| e.to_string())?;
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let (keys, read) = &mut *seen;
        f.seek(SeekFrom::Start(*read)).map_err(|e| e.to_string())?;
        let mut text = String::new();
        f.read_to_string(&mut text).map_err(|e| e.to_string())?;
        // Only whole lines count; a torn last line (a process killed mid-write) is read again
        // once it is complete, or never names a key.
        let whole = text.rfind('\n').map_or(0, |i| i + 1);
        for l in text[..whole].lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(l)
                && let Some(k) = v["key"].as_str()
            {
                keys.insert(k.to_owned());
            }
        }
        *read += whole as u64;
        if keys.contains(key) {
            return Ok(false);
        }
        // One write per line: `writeln!` would issue several writes.
        f.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| e.to_string())?;
        keys.insert(key.to_owned());
        Ok(true)
    }
}

impl Sender for LogSender {
    fn send(&self, n: &Notification, recipient_name: &str, key: &str) -> Result<(), String> {
        if let Some(path) = &self.file {
            let line = serde_json::json!({
                "key": key,
                "id": n.id,
                "channel": n.channel.code(),
                "recipient": n.recipient.to_string(),
                "title": n.title,
                "pid": std::process::id(),
            });
            if !self.append_once(path, key, &line)? {
                tracing::info!(key, "notification already sent; not sent again");
                return Ok(());
            }
        }
        tracing::info!(
            channel = n.channel.code(),
            recipient = recipient_name,
            key,
            title = %n.title,
            "notification sent"
        );
        Ok(())
    }
}

/// Gives up after this many attempts.
pub const MAX_ATTEMPTS: u32 = 8;

/// Backoff before attempt `n + 1`: 30 s, 1 min, 2 min … capped at one hour.
pub fn backoff_secs(attempts: u32) -> i64 {
    (30_i64 << attempts.saturating_sub(1).min(7)).min(3_600)
}

/// Claims and sends due deliveries once; returns how many were sent.
pub async fn deliver_due(state: &AppState, now: Timestamp) -> anyhow::Result<usize> {
    let lease = now.plus_seconds(state.config.job_lease_secs);
    let batch: Vec<Delivery> = state.store.claim_deliveries(now, lease, 100).await?;
    let reference = state.reference();
    let mut sent = 0;
    for d in batch {
        let name = reference
            .users
            .iter()
            .find(|u| u.id == d.notification.recipient)
            .map_or_else(|| d.notification.recipient.to_string(), |u| u.name.clone());
        let key = idempotency_key(&d.notification);
        let result = match state.sender.send(&d.notification, &name, &key) {
            Ok(()) => {
                sent += 1;
                DeliveryResult::Sent { at: now }
            }
            Err(error) => DeliveryResult::Failed {
                retry_at: (d.notification.attempts < MAX_ATTEMPTS)
                    .then(|| now.plus_seconds(backoff_secs(d.notification.attempts))),
                error,
            },
        };
        state.store.finish_delivery(&d, result).await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use hejie_domain::user::UserId;
    use hejie_store::work::NotifyChannel;

    use super::*;

    fn sms(id: i64) -> Notification {
        Notification {
            id,
            recipient: UserId(uuid::Uuid::nil()),
            channel: NotifyChannel::Sms,
            title: "超期提醒".to_owned(),
            body: "案件已超期。".to_owned(),
            case_id: None,
            created_at: Timestamp::from_micros(0),
            read_at: None,
            status: "pending".to_owned(),
            attempts: 1,
            last_error: None,
        }
    }

    fn keys_in(path: &std::path::Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .expect("the log")
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
                v["key"].as_str().expect("a key").to_owned()
            })
            .collect()
    }

    #[test]
    fn the_log_sender_writes_a_key_once_even_from_a_second_sender() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("delivery.jsonl");
        let first = LogSender::to_file(Some(path.clone()));
        first.send(&sms(1), "张三", "1").expect("sent");
        first
            .send(&sms(1), "张三", "1")
            .expect("a resend is accepted");
        // A second process (after the first died before recording the send) tries again.
        let second = LogSender::to_file(Some(path.clone()));
        second
            .send(&sms(1), "张三", "1")
            .expect("a resend is accepted");
        second.send(&sms(2), "张三", "2").expect("sent");
        first
            .send(&sms(2), "张三", "2")
            .expect("a resend is accepted");
        assert_eq!(keys_in(&path), ["1", "2"]);
    }
}
