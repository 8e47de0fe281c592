//! Delivering SMS and e-mail notifications from the outbox, with retries.
//!
//! Deployments plug in their SMS gateway and mail relay by implementing [`Sender`]. The built-in
//! [`LogSender`] writes each message to the log and, when `HEJIE_DELIVERY_LOG` names a file,
//! appends one JSON line per message to it (the demo and the multi-process tests read it).

use std::io::Write;

use hejie_domain::timestamp::Timestamp;
use hejie_store::work::{Delivery, DeliveryResult, Notification};

use crate::state::AppState;

/// Sends one SMS or e-mail notification; an `Err` is retried later.
pub trait Sender: Send + Sync {
    fn send(&self, notification: &Notification, recipient_name: &str) -> Result<(), String>;
}

#[derive(Debug, Default)]
pub struct LogSender {
    file: Option<std::path::PathBuf>,
}

impl LogSender {
    pub fn from_env() -> Self {
        Self {
            file: std::env::var_os("HEJIE_DELIVERY_LOG").map(Into::into),
        }
    }
}

impl Sender for LogSender {
    fn send(&self, n: &Notification, recipient_name: &str) -> Result<(), String> {
        tracing::info!(
            channel = n.channel.code(),
            recipient = recipient_name,
            title = %n.title,
            "notification sent"
        );
        if let Some(path) = &self.file {
            let line = serde_json::json!({
                "id": n.id,
                "channel": n.channel.code(),
                "recipient": n.recipient.to_string(),
                "title": n.title,
                "pid": std::process::id(),
            });
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| e.to_string())?;
            // One write per line: several processes append to the same file, and `writeln!`
            // would issue several writes that interleave with theirs.
            f.write_all(format!("{line}\n").as_bytes())
                .map_err(|e| e.to_string())?;
        }
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
        let result = match state.sender.send(&d.notification, &name) {
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
