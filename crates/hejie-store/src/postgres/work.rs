//! [`WorkStore`] on PostgreSQL. Each write is one transaction; claims lock the rows they take
//! with `FOR UPDATE SKIP LOCKED`, so several server processes claim disjoint sets of jobs without
//! waiting for each other, and a completion checks its lease token in the same statement that
//! marks the job done.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use hejie_domain::case::{Case, CaseId, Event};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::UserId;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};

use super::{PgStore, append_in, bind_all, case_row, event_row, exec};
use crate::work::{
    self, Delivery, DeliveryResult, Effects, Job, JobCounts, JobInfo, JobInfoTuple, JobLease,
    JobTuple, Notification, NotificationRow, SweepCompletion, SweepFilter, SweepRow, SweepTask,
    WorkFilter, WorkItem, WorkStore,
};
use crate::{Committed, Result, StoreError};

/// Applies effects inside `tx`; any error, a lost lease above all, must roll the whole
/// transaction back (the caller drops `tx` without committing).
pub(super) async fn apply_in(
    tx: &mut Transaction<'_, Postgres>,
    effects: &Effects,
    now: Timestamp,
) -> Result<()> {
    if let Some(lease) = &effects.complete {
        let done = sqlx::query(work::COMPLETE_JOB)
            .bind(lease.id)
            .bind(&lease.token)
            .bind(now.micros())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Err(StoreError::LeaseLost);
        }
    }
    if !effects.cancel.is_empty() {
        sqlx::query(
            "UPDATE jobs SET status = 'cancelled', lease_token = NULL, lease_until = NULL \
             WHERE key = ANY($1) AND status = 'pending'",
        )
        .bind(&effects.cancel)
        .execute(&mut **tx)
        .await?;
    }
    match work::distinct_jobs(&effects.schedule).as_slice() {
        [] => {}
        [job] => {
            exec(tx, work::UPSERT_JOB, &work::job_binds(job, now)).await?;
        }
        jobs => {
            // One statement for the whole set: a scheduler that plans thousands of reminders
            // at once pays one round trip, not thousands.
            let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
            let kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).collect();
            let due: Vec<i64> = jobs.iter().map(|j| j.due_at.micros()).collect();
            let payloads: Vec<&str> = jobs.iter().map(|j| j.payload.as_str()).collect();
            sqlx::query(work::UPSERT_JOBS_PG)
                .bind(keys)
                .bind(kinds)
                .bind(due)
                .bind(payloads)
                .bind(now.micros())
                .execute(&mut **tx)
                .await?;
        }
    }
    match effects.notify.as_slice() {
        [] => {}
        [n] => {
            exec(
                tx,
                work::INSERT_NOTIFICATION,
                &work::notification_binds(n, now),
            )
            .await?;
        }
        all => {
            let mut recipients = Vec::with_capacity(all.len());
            let mut channels = Vec::with_capacity(all.len());
            let mut titles = Vec::with_capacity(all.len());
            let mut bodies = Vec::with_capacity(all.len());
            let mut cases = Vec::with_capacity(all.len());
            let mut dedupes = Vec::with_capacity(all.len());
            let mut statuses = Vec::with_capacity(all.len());
            let mut nexts = Vec::with_capacity(all.len());
            for n in all {
                let (status, next) = work::initial_delivery(n, now);
                recipients.push(n.recipient.to_string());
                channels.push(n.channel.code());
                titles.push(n.title.as_str());
                bodies.push(n.body.as_str());
                cases.push(n.case_id.map(|c| c.to_string()));
                dedupes.push(n.dedupe.as_deref());
                statuses.push(status);
                nexts.push(next);
            }
            sqlx::query(work::INSERT_NOTIFICATIONS_PG)
                .bind(recipients)
                .bind(channels)
                .bind(titles)
                .bind(bodies)
                .bind(cases)
                .bind(dedupes)
                .bind(now.micros())
                .bind(statuses)
                .bind(nexts)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

fn notification_row(r: &PgRow) -> Result<NotificationRow> {
    Ok(NotificationRow {
        id: r.try_get(0)?,
        recipient: r.try_get(1)?,
        channel: r.try_get(2)?,
        title: r.try_get(3)?,
        body: r.try_get(4)?,
        case_id: r.try_get(5)?,
        created_at: r.try_get(6)?,
        read_at: r.try_get(7)?,
        status: r.try_get(8)?,
        attempts: r.try_get(9)?,
        last_error: r.try_get(10)?,
    })
}

fn sweep_row(r: &PgRow) -> Result<SweepRow> {
    Ok(SweepRow {
        id: r.try_get(0)?,
        division: r.try_get(1)?,
        organisation: r.try_get(2)?,
        period_start: r.try_get(3)?,
        due_at: r.try_get(4)?,
        completed_by: r.try_get(5)?,
        completed_by_name: r.try_get(6)?,
        completed_at: r.try_get(7)?,
        findings: r.try_get(8)?,
        cases: r.try_get(9)?,
    })
}

/// Replays every case into the clock columns added by migration 5, inside the migration's
/// transaction.
pub(super) async fn backfill_clocks(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    let mut backfill = work::ClockBackfill::default();
    {
        let mut stream = sqlx::query(crate::sql::SELECT_ALL_EVENTS).fetch(&mut **tx);
        while let Some(r) = stream.try_next().await? {
            backfill.feed(&event_row(&r)?);
        }
    }
    for binds in backfill.finish() {
        exec(tx, work::BACKFILL_CLOCKS, &binds).await?;
    }
    Ok(())
}

/// Fills the queue-order columns added by migration 7 from each row's clocks, inside the
/// migration's transaction.
pub(super) async fn backfill_due(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(work::SELECT_DUE_SOURCES)
        .fetch_all(&mut **tx)
        .await?;
    for (id, clocks, updated_at) in rows {
        exec(
            tx,
            work::BACKFILL_DUE,
            &work::due_binds(id, &clocks, updated_at),
        )
        .await?;
    }
    Ok(())
}

fn limit(n: u32) -> i64 {
    i64::from(n)
}

#[async_trait]
impl WorkStore for PgStore {
    async fn append_with(
        &self,
        case_id: CaseId,
        expected_version: u64,
        events: Vec<Event>,
        state: Case,
        effects: Effects,
        at: Timestamp,
    ) -> Result<Committed> {
        let mut tx = self.pool.begin().await?;
        let committed = append_in(&mut tx, case_id, expected_version, events, state, at).await?;
        apply_in(&mut tx, &effects, at).await?;
        tx.commit().await?;
        Ok(committed)
    }

    async fn apply_effects(&self, effects: Effects, at: Timestamp) -> Result<()> {
        if effects.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        apply_in(&mut tx, &effects, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_jobs(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit_: u32,
    ) -> Result<Vec<Job>> {
        let rows: Vec<JobTuple> = sqlx::query_as(work::CLAIM_JOBS_PG)
            .bind(work::lease_token())
            .bind(lease_until.micros())
            .bind(now.micros())
            .bind(limit(limit_))
            .fetch_all(&self.pool)
            .await?;
        Ok(work::sort_jobs(
            rows.into_iter().map(work::job_from).collect(),
        ))
    }

    async fn fail_job(
        &self,
        lease: &JobLease,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let q = match retry_at {
            Some(t) => sqlx::query(work::RETRY_JOB)
                .bind(lease.id)
                .bind(&lease.token)
                .bind(t.micros())
                .bind(error),
            None => sqlx::query(work::KILL_JOB)
                .bind(lease.id)
                .bind(&lease.token)
                .bind(error),
        };
        q.execute(&self.pool).await?;
        Ok(())
    }

    async fn job(&self, key: &str) -> Result<Option<JobInfo>> {
        let row: Option<JobInfoTuple> = sqlx::query_as(work::SELECT_JOB)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(work::job_info_from))
    }

    async fn job_counts(&self) -> Result<JobCounts> {
        let rows: Vec<(String, i64)> = sqlx::query_as(work::JOB_COUNTS)
            .fetch_all(&self.pool)
            .await?;
        Ok(work::job_counts_from(rows))
    }

    async fn notifications(&self, recipient: UserId, limit_: u32) -> Result<Vec<Notification>> {
        sqlx::query(work::SELECT_NOTIFICATIONS)
            .bind(recipient.to_string())
            .bind(limit(limit_))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| notification_row(r)?.into_notification())
            .collect()
    }

    async fn unread_count(&self, recipient: UserId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(work::UNREAD_COUNT)
            .bind(recipient.to_string())
            .fetch_one(&self.pool)
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
        Ok(bind_all(sqlx::query(AssertSqlSafe(query)), &binds)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn case_notifications(&self, case_id: CaseId) -> Result<Vec<Notification>> {
        sqlx::query(work::SELECT_CASE_NOTIFICATIONS)
            .bind(case_id.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| notification_row(r)?.into_notification())
            .collect()
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit_: u32,
    ) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(work::CLAIM_DELIVERIES_PG)
            .bind(work::lease_token())
            .bind(lease_until.micros())
            .bind(now.micros())
            .bind(limit(limit_))
            .fetch_all(&self.pool)
            .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(Delivery {
                    notification: notification_row(r)?.into_notification()?,
                    token: r.try_get(11)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|d| d.notification.id);
        Ok(out)
    }

    async fn finish_delivery(&self, delivery: &Delivery, result: DeliveryResult) -> Result<()> {
        let (id, token) = (delivery.notification.id, delivery.token.as_str());
        let q = match &result {
            DeliveryResult::Sent { at } => sqlx::query(work::DELIVERY_SENT)
                .bind(id)
                .bind(token)
                .bind(at.micros()),
            DeliveryResult::Failed {
                error,
                retry_at: Some(t),
            } => sqlx::query(work::DELIVERY_RETRY)
                .bind(id)
                .bind(token)
                .bind(t.micros())
                .bind(error.as_str()),
            DeliveryResult::Failed {
                error,
                retry_at: None,
            } => sqlx::query(work::DELIVERY_FAILED)
                .bind(id)
                .bind(token)
                .bind(error.as_str()),
        };
        q.execute(&self.pool).await?;
        Ok(())
    }

    async fn work_items(&self, filter: &WorkFilter) -> Result<Vec<WorkItem>> {
        let (query, binds) = work::work_query(filter);
        bind_all(sqlx::query(AssertSqlSafe(query)), &binds)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| case_row(r)?.to_work_item())
            .collect()
    }

    async fn work_count(&self, filter: &WorkFilter) -> Result<u64> {
        let (query, binds) = work::work_count_query(filter);
        let n: i64 = bind_all(sqlx::query(AssertSqlSafe(query)), &binds)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn put_sweeps(&self, tasks: Vec<SweepTask>) -> Result<u64> {
        let binds = tasks
            .iter()
            .map(work::sweep_binds)
            .collect::<Result<Vec<_>>>()?;
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        for b in &binds {
            n += exec(&mut tx, work::INSERT_SWEEP, b).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn sweeps(&self, filter: &SweepFilter) -> Result<Vec<SweepTask>> {
        let (query, binds) = work::sweeps_query(filter);
        bind_all(sqlx::query(AssertSqlSafe(query)), &binds)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| sweep_row(r)?.into_task())
            .collect()
    }

    async fn complete_sweep(&self, id: &str, completion: SweepCompletion) -> Result<SweepTask> {
        let binds = work::complete_sweep_binds(id, &completion)?;
        let mut tx = self.pool.begin().await?;
        let changed = exec(&mut tx, work::COMPLETE_SWEEP, &binds).await?;
        let row = sqlx::query(work::SELECT_SWEEP)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if changed == 0 {
            return Err(work::sweep_not_completed(row.is_some()));
        }
        let task = row
            .as_ref()
            .map(sweep_row)
            .transpose()?
            .ok_or(StoreError::NotFound)?
            .into_task()?;
        tx.commit().await?;
        Ok(task)
    }
}
