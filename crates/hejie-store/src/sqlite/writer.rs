//! The single writer thread and its group commit.

use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::{Result, StoreError};

/// Most writes folded into one transaction; bounds how long the first caller in a batch waits.
const MAX_BATCH: usize = 1024;

/// One queued write: runs inside the batch transaction, then learns whether the batch committed.
trait Job: Send {
    /// Whether the job takes a transaction of its own instead of joining a group commit.
    fn alone(&self) -> bool;
    fn run(&mut self, conn: &Connection);
    fn failed(&self) -> bool;
    fn complete(self: Box<Self>, commit: std::result::Result<(), String>);
}

struct Op<T, F> {
    alone: bool,
    work: Option<F>,
    out: Option<Result<T>>,
    reply: Option<oneshot::Sender<Result<T>>>,
}

impl<T, F> Job for Op<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn alone(&self) -> bool {
        self.alone
    }

    fn run(&mut self, conn: &Connection) {
        if let Some(work) = self.work.take() {
            self.out = Some(work(conn));
        }
    }

    fn failed(&self) -> bool {
        !matches!(self.out, Some(Ok(_)))
    }

    fn complete(mut self: Box<Self>, commit: std::result::Result<(), String>) {
        let out = match (commit, self.out.take()) {
            (Ok(()), Some(out)) => out,
            (Err(e), Some(Err(own))) => Err(StoreError::Database(format!("{own}; commit: {e}"))),
            (Err(e), _) => Err(StoreError::Database(format!("commit failed: {e}"))),
            (Ok(()), None) => Err(StoreError::Database("write did not run".to_owned())),
        };
        if let Some(reply) = self.reply.take() {
            // The caller may have gone away (cancelled request); the write stands regardless.
            let _ = reply.send(out);
        }
    }
}

/// Handle to the writer thread. Cloning shares the thread.
#[derive(Clone)]
pub(super) struct Writer {
    tx: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    pub(super) fn spawn(conn: Connection) -> Result<Self> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("hejie-sqlite-writer".to_owned())
            .spawn(move || run(conn, rx))
            .map_err(|e| StoreError::Database(format!("cannot start writer thread: {e}")))?;
        Ok(Self { tx })
    }

    /// Queues `work` and waits until the batch containing it is durable.
    pub(super) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.queue(false, work).await
    }

    /// Queues a large `work` (a bulk registration) to run in a transaction of its own, without a
    /// savepoint, and waits until it is durable. A savepoint copies every page the work changes
    /// into the sub-journal, and each statement then walks that journal when it ends, which made
    /// bulk loads slower the bigger the database grew. Alone, a failure rolls back the whole
    /// transaction, which holds nothing else.
    pub(super) async fn write_alone<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.queue(true, work).await
    }

    async fn queue<T, F>(&self, alone: bool, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Box::new(Op {
                alone,
                work: Some(work),
                out: None,
                reply: Some(reply),
            }))
            .map_err(|_| StoreError::Database("writer thread has stopped".to_owned()))?;
        rx.await
            .map_err(|_| StoreError::Database("writer thread dropped the write".to_owned()))?
    }
}

fn run(conn: Connection, rx: mpsc::Receiver<Box<dyn Job>>) {
    // A job that must run alone, taken off the queue while a group was being gathered.
    let mut carried: Option<Box<dyn Job>> = None;
    loop {
        let Some(first) = carried.take().or_else(|| rx.recv().ok()) else {
            return;
        };
        let mut batch = vec![first];
        while !batch[0].alone() && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) if job.alone() => {
                    carried = Some(job);
                    break;
                }
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = if batch[0].alone() {
            run_alone(&conn, batch[0].as_mut())
        } else {
            run_batch(&conn, &mut batch)
        };
        if let Err(e) = &commit {
            tracing::error!(error = %e, jobs = batch.len(), "SQLite batch failed to commit");
        }
        for job in batch {
            job.complete(commit.clone());
        }
    }
}

/// Runs one job in its own transaction: committed if it succeeded, rolled back if not.
fn run_alone(conn: &Connection, job: &mut dyn Job) -> std::result::Result<(), String> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| e.to_string())?;
    job.run(conn);
    let end = if job.failed() { "ROLLBACK" } else { "COMMIT" };
    conn.execute_batch(end).map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    })
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> std::result::Result<(), String> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| e.to_string())?;
    for job in batch.iter_mut() {
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.to_string());
        }
        job.run(conn);
        let end = if job.failed() {
            "ROLLBACK TO job; RELEASE job"
        } else {
            "RELEASE job"
        };
        if let Err(e) = conn.execute_batch(end) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.to_string());
        }
    }
    conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    })
}
