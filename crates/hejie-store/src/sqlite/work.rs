//! [`WorkStore`] on SQLite. Every write (claims included) goes through the writer thread, which
//! serialises them: a claim cannot interleave with another claim or a completion, so leases need
//! no row locks here. Reads use the read pool.

use async_trait::async_trait;
use hejie_domain::case::{Case, CaseId, Event};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::UserId;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::{SqliteStore, append, case_row, exec};
use crate::sql::for_sqlite;
use crate::work::{
    self, Delivery, DeliveryResult, Effects, Job, JobCounts, JobInfo, JobLease, Notification,
    NotificationRow, SweepCompletion, SweepFilter, SweepRow, SweepTask, WorkFilter, WorkItem,
    WorkStore,
};
use crate::{Committed, Result, StoreError};

/// Applies effects on the writer's connection, inside the caller's transaction (savepoint): any
/// error, a lost lease above all, rolls back everything the same write did.
pub(super) fn apply_effects(conn: &Connection, effects: &Effects, now: Timestamp) -> Result<()> {
    if let Some(lease) = &effects.complete {
        let mut stmt = conn.prepare_cached(&for_sqlite(work::COMPLETE_JOB))?;
        if stmt.execute(rusqlite::params![lease.id, lease.token, now.micros()])? != 1 {
            return Err(StoreError::LeaseLost);
        }
    }
    if !effects.cancel.is_empty() {
        let mut stmt = conn.prepare_cached(&for_sqlite(work::CANCEL_JOB))?;
        for key in &effects.cancel {
            stmt.execute([key])?;
        }
    }
    if !effects.schedule.is_empty() {
        let mut stmt = conn.prepare_cached(&for_sqlite(work::UPSERT_JOB))?;
        for job in &effects.schedule {
            stmt.execute(rusqlite::params![
                job.key,
                job.kind,
                job.due_at.micros(),
                job.payload,
                now.micros()
            ])?;
        }
    }
    if !effects.notify.is_empty() {
        let mut stmt = conn.prepare_cached(&for_sqlite(work::INSERT_NOTIFICATION))?;
        for n in &effects.notify {
            let binds = work::notification_binds(n, now);
            stmt.execute(params_from_iter(binds.iter()))?;
        }
    }
    Ok(())
}

fn notification_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<NotificationRow> {
    Ok(NotificationRow {
        id: r.get(0)?,
        recipient: r.get(1)?,
        channel: r.get(2)?,
        title: r.get(3)?,
        body: r.get(4)?,
        case_id: r.get(5)?,
        created_at: r.get(6)?,
        read_at: r.get(7)?,
        status: r.get(8)?,
        attempts: r.get(9)?,
        last_error: r.get(10)?,
    })
}

fn sweep_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SweepRow> {
    Ok(SweepRow {
        id: r.get(0)?,
        division: r.get(1)?,
        organisation: r.get(2)?,
        period_start: r.get(3)?,
        due_at: r.get(4)?,
        completed_by: r.get(5)?,
        completed_by_name: r.get(6)?,
        completed_at: r.get(7)?,
        findings: r.get(8)?,
        cases: r.get(9)?,
    })
}

fn select_sweep(conn: &Connection, id: &str) -> Result<Option<SweepRow>> {
    Ok(conn
        .prepare_cached(&for_sqlite(work::SELECT_SWEEP))?
        .query_row([id], sweep_row)
        .optional()?)
}

/// Replays every case into the clock columns added by migration 5.
pub(super) fn backfill_clocks(conn: &Connection) -> Result<()> {
    let mut backfill = work::ClockBackfill::default();
    {
        let mut stmt = conn.prepare(crate::sql::SELECT_ALL_EVENTS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            backfill.feed(&super::event_row(r)?);
        }
    }
    for binds in backfill.finish() {
        exec(conn, work::BACKFILL_CLOCKS, &binds)?;
    }
    Ok(())
}

/// Fills the queue-order columns added by migration 7 from each row's clocks.
pub(super) fn backfill_due(conn: &Connection) -> Result<()> {
    let rows: Vec<(String, String, i64)> = {
        let mut stmt = conn.prepare(work::SELECT_DUE_SOURCES)?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (id, clocks, updated_at) in rows {
        exec(
            conn,
            work::BACKFILL_DUE,
            &work::due_binds(id, &clocks, updated_at),
        )?;
    }
    Ok(())
}

#[async_trait]
impl WorkStore for SqliteStore {
    async fn append_with(
        &self,
        case_id: CaseId,
        expected_version: u64,
        events: Vec<Event>,
        state: Case,
        effects: Effects,
        at: Timestamp,
    ) -> Result<Committed> {
        self.writer
            .write(move |conn| {
                let committed = append(conn, case_id, expected_version, events, state, at)?;
                apply_effects(conn, &effects, at)?;
                Ok(committed)
            })
            .await
    }

    async fn apply_effects(&self, effects: Effects, at: Timestamp) -> Result<()> {
        if effects.is_empty() {
            return Ok(());
        }
        self.writer
            .write(move |conn| apply_effects(conn, &effects, at))
            .await
    }

    async fn claim_jobs(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Job>> {
        let token = work::lease_token();
        let jobs = self
            .writer
            .write(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(work::CLAIM_JOBS))?;
                let jobs = stmt
                    .query_map(
                        rusqlite::params![token, lease_until.micros(), now.micros(), limit],
                        |r| {
                            Ok(work::job_from((
                                r.get(0)?,
                                r.get(1)?,
                                r.get(2)?,
                                r.get(3)?,
                                r.get(4)?,
                                r.get(5)?,
                                r.get(6)?,
                            )))
                        },
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(jobs)
            })
            .await?;
        Ok(work::sort_jobs(jobs))
    }

    async fn fail_job(
        &self,
        lease: &JobLease,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let (id, token, error) = (lease.id, lease.token.clone(), error.to_owned());
        self.writer
            .write(move |conn| {
                match retry_at {
                    Some(t) => conn
                        .prepare_cached(&for_sqlite(work::RETRY_JOB))?
                        .execute(rusqlite::params![id, token, t.micros(), error])?,
                    None => conn
                        .prepare_cached(&for_sqlite(work::KILL_JOB))?
                        .execute(rusqlite::params![id, token, error])?,
                };
                Ok(())
            })
            .await
    }

    async fn job(&self, key: &str) -> Result<Option<JobInfo>> {
        let key = key.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&for_sqlite(work::SELECT_JOB))?
                .query_row([key], |r| {
                    Ok(work::job_info_from((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    )))
                })
                .optional()?)
        })
        .await
    }

    async fn job_counts(&self) -> Result<JobCounts> {
        let rows = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(work::JOB_COUNTS)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(work::job_counts_from(rows))
    }

    async fn notifications(&self, recipient: UserId, limit: u32) -> Result<Vec<Notification>> {
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(work::SELECT_NOTIFICATIONS))?;
                let rows = stmt
                    .query_map(
                        rusqlite::params![recipient.to_string(), limit],
                        notification_row,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter()
            .map(NotificationRow::into_notification)
            .collect()
    }

    async fn unread_count(&self, recipient: UserId) -> Result<u64> {
        let n: i64 = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(work::UNREAD_COUNT))?
                    .query_row([recipient.to_string()], |r| r.get(0))?)
            })
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn mark_read(
        &self,
        recipient: UserId,
        ids: Option<Vec<i64>>,
        at: Timestamp,
    ) -> Result<u64> {
        if ids.as_ref().is_some_and(Vec::is_empty) {
            return Ok(0);
        }
        let (query, binds) = work::mark_read_query(recipient, ids.as_deref(), at);
        let n = self
            .writer
            .write(move |conn| {
                let mut stmt = conn.prepare(&for_sqlite(&query))?;
                Ok(stmt.execute(params_from_iter(binds.iter()))?)
            })
            .await?;
        Ok(n as u64)
    }

    async fn case_notifications(&self, case_id: CaseId) -> Result<Vec<Notification>> {
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(work::SELECT_CASE_NOTIFICATIONS))?;
                let rows = stmt
                    .query_map([case_id.to_string()], notification_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter()
            .map(NotificationRow::into_notification)
            .collect()
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let token = work::lease_token();
        let rows = self
            .writer
            .write(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(work::CLAIM_DELIVERIES))?;
                let rows = stmt
                    .query_map(
                        rusqlite::params![token, lease_until.micros(), now.micros(), limit],
                        |r| Ok((notification_row(r)?, r.get::<_, String>(11)?)),
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        let mut out = rows
            .into_iter()
            .map(|(row, token)| {
                Ok(Delivery {
                    notification: row.into_notification()?,
                    token,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|d| d.notification.id);
        Ok(out)
    }

    async fn finish_delivery(&self, delivery: &Delivery, result: DeliveryResult) -> Result<()> {
        let (id, token) = (delivery.notification.id, delivery.token.clone());
        self.writer
            .write(move |conn| {
                match result {
                    DeliveryResult::Sent { at } => conn
                        .prepare_cached(&for_sqlite(work::DELIVERY_SENT))?
                        .execute(rusqlite::params![id, token, at.micros()])?,
                    DeliveryResult::Failed {
                        error,
                        retry_at: Some(t),
                    } => conn
                        .prepare_cached(&for_sqlite(work::DELIVERY_RETRY))?
                        .execute(rusqlite::params![id, token, t.micros(), error])?,
                    DeliveryResult::Failed {
                        error,
                        retry_at: None,
                    } => conn
                        .prepare_cached(&for_sqlite(work::DELIVERY_FAILED))?
                        .execute(rusqlite::params![id, token, error])?,
                };
                Ok(())
            })
            .await
    }

    async fn work_items(&self, filter: &WorkFilter) -> Result<Vec<WorkItem>> {
        let (query, binds) = work::work_query(filter);
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(&query))?;
                let rows = stmt
                    .query_map(params_from_iter(binds.iter()), case_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.iter().map(crate::sql::CaseRow::to_work_item).collect()
    }

    async fn work_count(&self, filter: &WorkFilter) -> Result<u64> {
        let (query, binds) = work::work_count_query(filter);
        let n: i64 = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(&query))?
                    .query_row(params_from_iter(binds.iter()), |r| r.get(0))?)
            })
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn put_sweeps(&self, tasks: Vec<SweepTask>) -> Result<u64> {
        let binds = tasks
            .iter()
            .map(work::sweep_binds)
            .collect::<Result<Vec<_>>>()?;
        self.writer
            .write(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(work::INSERT_SWEEP))?;
                let mut n = 0u64;
                for b in &binds {
                    n += stmt.execute(params_from_iter(b.iter()))? as u64;
                }
                Ok(n)
            })
            .await
    }

    async fn sweeps(&self, filter: &SweepFilter) -> Result<Vec<SweepTask>> {
        let (query, binds) = work::sweeps_query(filter);
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(&query))?;
                let rows = stmt
                    .query_map(params_from_iter(binds.iter()), sweep_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(SweepRow::into_task).collect()
    }

    async fn complete_sweep(&self, id: &str, completion: SweepCompletion) -> Result<SweepTask> {
        let binds = work::complete_sweep_binds(id, &completion)?;
        let id = id.to_owned();
        let row = self
            .writer
            .write(move |conn| {
                if exec(conn, work::COMPLETE_SWEEP, &binds)? == 0 {
                    let exists = select_sweep(conn, &id)?.is_some();
                    return Err(work::sweep_not_completed(exists));
                }
                select_sweep(conn, &id)?.ok_or(StoreError::NotFound)
            })
            .await?;
        row.into_task()
    }
}
