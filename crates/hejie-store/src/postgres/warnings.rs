//! [`WarningStore`] on PostgreSQL.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use sqlx::{AssertSqlSafe, Postgres, Transaction};

use super::{PgStore, exec};
use crate::warnings::{
    self as q, ActError, EntryRow, NewWarning, PartyCases, PartyRow, Raise, StatsRow, Warning,
    WarningAction, WarningEntry, WarningFilter, WarningRow, WarningStats, WarningStore,
};
use crate::{Result, StoreError};

/// Reads one warning inside `tx`, locking its row so that concurrent steps on it queue up.
async fn lock_warning(tx: &mut Transaction<'_, Postgres>, id: i64) -> Result<Option<Warning>> {
    let sql = format!(
        "SELECT {} FROM warnings WHERE id = $1 FOR UPDATE",
        q::WARNING_COLUMNS
    );
    let row: Option<WarningRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(q::warning_from_row).transpose()
}

/// Raises one warning inside `tx`; true when it was new.
async fn raise(tx: &mut Transaction<'_, Postgres>, w: &NewWarning, now: Timestamp) -> Result<bool> {
    let sql = format!("{} FOR UPDATE", q::SELECT_BY_KEY);
    let stored: Option<(i64, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(&w.subject_key)
        .fetch_optional(&mut **tx)
        .await?;
    match q::plan_raise(stored, w) {
        Raise::Nothing => Ok(false),
        Raise::Insert => {
            let binds = q::insert_binds(w, now);
            let id: Option<(i64,)> = bind_all_as(q::INSERT_WARNING.to_owned(), &binds)
                .fetch_optional(&mut **tx)
                .await?;
            let Some((id,)) = id else {
                return Ok(false);
            };
            exec(
                tx,
                q::INSERT_ACTION,
                &q::system_action_binds(id, "raised", w, now),
            )
            .await?;
            Ok(true)
        }
        Raise::Escalate(id) => {
            exec(tx, q::ESCALATE_WARNING, &q::escalate_binds(id, w, now)).await?;
            exec(
                tx,
                q::INSERT_ACTION,
                &q::system_action_binds(id, "escalated", w, now),
            )
            .await?;
            Ok(false)
        }
    }
}

fn bind_all_as<'q, T>(
    sql: String,
    binds: &'q [crate::sql::Bind],
) -> sqlx::query::QueryAs<'q, Postgres, T, sqlx::postgres::PgArguments>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let mut query = sqlx::query_as(AssertSqlSafe(sql));
    for b in binds {
        query = match b {
            crate::sql::Bind::Null => query.bind(None::<String>),
            crate::sql::Bind::NullInt => query.bind(None::<i64>),
            crate::sql::Bind::Text(s) => query.bind(s.as_str()),
            crate::sql::Bind::Int(i) => query.bind(*i),
        };
    }
    query
}

#[async_trait]
impl WarningStore for PgStore {
    async fn raise_warnings(&self, warnings: Vec<NewWarning>, now: Timestamp) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        let mut new = 0;
        for w in &warnings {
            if raise(&mut tx, w, now).await? {
                new += 1;
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn warnings(&self, filter: &WarningFilter) -> Result<(Vec<Warning>, u64)> {
        let (page, count, binds) = q::list_query(filter);
        let rows: Vec<WarningRow> = bind_all_as(page, &binds).fetch_all(self.pool()).await?;
        let (n,): (i64,) = bind_all_as(count, &binds).fetch_one(self.pool()).await?;
        let list = rows
            .into_iter()
            .map(q::warning_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok((list, u64::try_from(n).unwrap_or(0)))
    }

    async fn warning(&self, id: i64) -> Result<Option<(Warning, Vec<WarningEntry>)>> {
        let sql = format!("SELECT {} FROM warnings WHERE id = $1", q::WARNING_COLUMNS);
        let row: Option<WarningRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let entries: Vec<EntryRow> = sqlx::query_as(q::SELECT_ACTIONS)
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok(Some((
            q::warning_from_row(row)?,
            entries.into_iter().map(q::entry_from_row).collect(),
        )))
    }

    async fn act_on_warning(
        &self,
        id: i64,
        action: WarningAction,
    ) -> std::result::Result<Warning, ActError> {
        let mut tx = self.pool().begin().await.map_err(StoreError::from)?;
        let Some(w) = lock_warning(&mut tx, id).await? else {
            return Err(StoreError::NotFound.into());
        };
        let to = q::next_status(w.status, &action)?;
        exec(
            &mut tx,
            q::UPDATE_STATUS,
            &q::status_binds(id, &action, w.status, to),
        )
        .await?;
        exec(&mut tx, q::INSERT_ACTION, &q::action_binds(id, &action)).await?;
        let after = lock_warning(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(after)
    }

    async fn warning_stats(
        &self,
        division: &DivisionCode,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<WarningStats> {
        let binds = vec![
            crate::insight::subtree(division),
            crate::sql::Bind::Int(from.micros()),
            crate::sql::Bind::Int(to.micros()),
        ];
        let rows: Vec<StatsRow> = bind_all_as(q::SELECT_STATS.to_owned(), &binds)
            .fetch_all(self.pool())
            .await?;
        Ok(q::stats_from_rows(rows))
    }

    async fn repeat_parties(&self, since: Timestamp, min_cases: u32) -> Result<Vec<PartyCases>> {
        let rows: Vec<PartyRow> = sqlx::query_as(q::SELECT_REPEAT_PARTIES)
            .bind(since.micros())
            .bind(i64::from(min_cases))
            .fetch_all(self.pool())
            .await?;
        q::parties_from_rows(rows)
    }
}
