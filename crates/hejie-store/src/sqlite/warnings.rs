//! [`WarningStore`] on SQLite.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::{SqliteStore, exec};
use crate::sql::{Bind, for_sqlite};
use crate::warnings::{
    self as q, ActError, EntryRow, NewWarning, PartyCases, PartyRow, Raise, StatsRow, Warning,
    WarningAction, WarningEntry, WarningFilter, WarningRow, WarningStats, WarningStore,
};
use crate::{Result, StoreError};

fn warning_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WarningRow> {
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
        r.get(11)?,
        r.get(12)?,
    ))
}

fn select_warning(conn: &Connection, id: i64) -> Result<Option<Warning>> {
    let sql = format!("SELECT {} FROM warnings WHERE id = ?1", q::WARNING_COLUMNS);
    conn.prepare_cached(&sql)?
        .query_row([id], warning_row)
        .optional()?
        .map(q::warning_from_row)
        .transpose()
}

/// Raises one warning inside the write; true when it was new.
fn raise(conn: &Connection, w: &NewWarning, now: Timestamp) -> Result<bool> {
    let stored: Option<(i64, String)> = conn
        .prepare_cached(&for_sqlite(q::SELECT_BY_KEY))?
        .query_row([&w.subject_key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match q::plan_raise(stored, w) {
        Raise::Nothing => Ok(false),
        Raise::Insert => {
            let binds = q::insert_binds(w, now);
            let id: Option<i64> = conn
                .prepare_cached(&for_sqlite(q::INSERT_WARNING))?
                .query_row(params_from_iter(binds.iter()), |r| r.get(0))
                .optional()?;
            let Some(id) = id else {
                return Ok(false);
            };
            exec(
                conn,
                q::INSERT_ACTION,
                &q::system_action_binds(id, "raised", w, now),
            )?;
            Ok(true)
        }
        Raise::Escalate(id) => {
            exec(conn, q::ESCALATE_WARNING, &q::escalate_binds(id, w, now))?;
            exec(
                conn,
                q::INSERT_ACTION,
                &q::system_action_binds(id, "escalated", w, now),
            )?;
            Ok(false)
        }
    }
}

#[async_trait]
impl WarningStore for SqliteStore {
    async fn raise_warnings(&self, warnings: Vec<NewWarning>, now: Timestamp) -> Result<u64> {
        self.writer
            .write(move |conn| {
                let mut new = 0;
                for w in &warnings {
                    if raise(conn, w, now)? {
                        new += 1;
                    }
                }
                Ok(new)
            })
            .await
    }

    async fn warnings(&self, filter: &WarningFilter) -> Result<(Vec<Warning>, u64)> {
        let (page, count, binds) = q::list_query(filter);
        let (rows, n) = self
            .read(move |conn| {
                let rows = conn
                    .prepare_cached(&for_sqlite(&page))?
                    .query_map(params_from_iter(binds.iter()), warning_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let n: i64 = conn
                    .prepare_cached(&for_sqlite(&count))?
                    .query_row(params_from_iter(binds.iter()), |r| r.get(0))?;
                Ok((rows, n))
            })
            .await?;
        let list = rows
            .into_iter()
            .map(q::warning_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok((list, u64::try_from(n).unwrap_or(0)))
    }

    async fn warning(&self, id: i64) -> Result<Option<(Warning, Vec<WarningEntry>)>> {
        self.read(move |conn| {
            let Some(w) = select_warning(conn, id)? else {
                return Ok(None);
            };
            let entries = conn
                .prepare_cached(&for_sqlite(q::SELECT_ACTIONS))?
                .query_map([id], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<EntryRow>>>()?;
            Ok(Some((
                w,
                entries.into_iter().map(q::entry_from_row).collect(),
            )))
        })
        .await
    }

    async fn act_on_warning(
        &self,
        id: i64,
        action: WarningAction,
    ) -> std::result::Result<Warning, ActError> {
        // The refusal travels inside `Ok`, so the writer sees a successful (empty) job and the
        // caller still learns the typed reason.
        let out = self
            .writer
            .write(move |conn| {
                let Some(w) = select_warning(conn, id)? else {
                    return Err(StoreError::NotFound);
                };
                let to = match q::next_status(w.status, &action) {
                    Ok(to) => to,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                // The single writer thread runs this job alone, so the status read above is
                // still the stored one.
                exec(
                    conn,
                    q::UPDATE_STATUS,
                    &q::status_binds(id, &action, w.status, to),
                )?;
                exec(conn, q::INSERT_ACTION, &q::action_binds(id, &action))?;
                select_warning(conn, id)?
                    .map(Ok)
                    .ok_or(StoreError::NotFound)
            })
            .await?;
        Ok(out?)
    }

    async fn warning_stats(
        &self,
        division: &DivisionCode,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<WarningStats> {
        let binds = [
            crate::insight::subtree(division),
            Bind::Int(from.micros()),
            Bind::Int(to.micros()),
        ];
        let rows = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::SELECT_STATS))?
                    .query_map(params_from_iter(binds.iter()), |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<StatsRow>>>()?)
            })
            .await?;
        Ok(q::stats_from_rows(rows))
    }

    async fn repeat_parties(&self, since: Timestamp, min_cases: u32) -> Result<Vec<PartyCases>> {
        let rows = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::SELECT_REPEAT_PARTIES))?
                    .query_map(
                        rusqlite::params![since.micros(), i64::from(min_cases)],
                        |r| {
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
                            ))
                        },
                    )?
                    .collect::<rusqlite::Result<Vec<PartyRow>>>()?)
            })
            .await?;
        q::parties_from_rows(rows)
    }
}
