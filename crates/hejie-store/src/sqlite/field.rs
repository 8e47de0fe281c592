//! [`FieldStore`] on SQLite.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;
use hejie_domain::field::{Event, RecordId};
use hejie_domain::timestamp::Timestamp;
use rusqlite::{OptionalExtension, params_from_iter};

use super::SqliteStore;
use crate::field::{
    self as q, Arg, Assignment, FieldEventRow, FieldFilter, FieldRow, FieldStore, NewArea,
    StoredArea, StoredFieldEvent,
};
use crate::sql::for_sqlite;
use crate::{Result, StoreError};

fn area_tuple(r: &rusqlite::Row<'_>) -> rusqlite::Result<q::AreaTuple> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn assignment_tuple(r: &rusqlite::Row<'_>) -> rusqlite::Result<q::AssignmentTuple> {
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
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FieldEventRow> {
    Ok(FieldEventRow {
        seq: r.get(0)?,
        record_id: r.get(1)?,
        version: r.get(2)?,
        kind: r.get(3)?,
        occurred_at: r.get(4)?,
        actor_id: r.get(5)?,
        division: r.get(6)?,
        recorded_at: r.get(7)?,
        meta: r.get(8)?,
        body: r.get(9)?,
        prev_hash: r.get(10)?,
        hash: r.get(11)?,
    })
}

fn field_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FieldRow> {
    Ok(FieldRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        status: r.get(2)?,
        ledger: r.get(3)?,
        category: r.get(4)?,
        division: r.get(5)?,
        actor_id: r.get(6)?,
        actor_name: r.get(7)?,
        occurred_at: r.get(8)?,
        ended_at: r.get(9)?,
        lat_e6: r.get(10)?,
        lon_e6: r.get(11)?,
        flagged: r.get::<_, i64>(12)? != 0,
        case_number: r.get(13)?,
        summary: r.get(14)?,
        photos: r.get(15)?,
        version: r.get(16)?,
        updated_at: r.get(17)?,
    })
}

fn to_sql(args: &[Arg]) -> Vec<rusqlite::types::Value> {
    args.iter()
        .map(|a| match a {
            Arg::Text(s) => rusqlite::types::Value::Text(s.clone()),
            Arg::Int(i) => rusqlite::types::Value::Integer(*i),
        })
        .collect()
}

#[async_trait]
impl FieldStore for SqliteStore {
    async fn put_areas(&self, areas: Vec<NewArea>, by: &str, at: Timestamp) -> Result<()> {
        let by = by.to_owned();
        self.writer
            .write(move |conn| {
                // The writer thread is the only writer: no version is taken between read and
                // insert, and the whole import commits or none of it does.
                for a in &areas {
                    let version: i64 = conn
                        .prepare_cached(&for_sqlite(q::NEXT_AREA_VERSION))?
                        .query_row([a.division.as_str()], |r| r.get(0))?;
                    let values = rusqlite::params![
                        a.division.as_str(),
                        version,
                        a.geometry,
                        by,
                        at.micros()
                    ];
                    conn.prepare_cached(&for_sqlite(q::INSERT_AREA_VERSION))?
                        .execute(values)?;
                    conn.prepare_cached(&for_sqlite(q::UPSERT_AREA))?.execute(
                        rusqlite::params![
                            a.division.as_str(),
                            a.geometry,
                            version,
                            by,
                            at.micros()
                        ],
                    )?;
                }
                Ok(())
            })
            .await
    }

    async fn areas(&self, within: &DivisionCode) -> Result<Vec<StoredArea>> {
        let pattern = q::subtree(within);
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(q::SELECT_AREAS))?;
                let rows = stmt
                    .query_map([pattern], area_tuple)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(q::area_from).collect()
    }

    async fn area(&self, division: &DivisionCode) -> Result<Option<StoredArea>> {
        let code = division.as_str().to_owned();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::SELECT_AREA))?
                    .query_row([code], area_tuple)
                    .optional()?)
            })
            .await?;
        row.map(q::area_from).transpose()
    }

    async fn put_assignment(&self, a: &Assignment) -> Result<()> {
        let a = a.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached(&for_sqlite(q::INSERT_ASSIGNMENT))?
                    .execute(rusqlite::params![
                        a.id,
                        a.kind,
                        a.division.as_str(),
                        a.user_id,
                        a.starts,
                        a.ends,
                        a.created_by,
                        a.created_at.micros()
                    ])?;
                Ok(())
            })
            .await
    }

    async fn assignments(&self, within: &DivisionCode) -> Result<Vec<Assignment>> {
        let pattern = q::subtree(within);
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(&q::select_assignments_within()))?;
                let rows = stmt
                    .query_map([pattern], assignment_tuple)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(q::assignment_from).collect()
    }

    async fn assignments_of(&self, user_id: &str) -> Result<Vec<Assignment>> {
        let user_id = user_id.to_owned();
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(&q::select_assignments_of()))?;
                let rows = stmt
                    .query_map([user_id], assignment_tuple)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(q::assignment_from).collect()
    }

    async fn append_field(
        &self,
        id: RecordId,
        expected_version: u64,
        events: Vec<Event>,
        row: FieldRow,
        recorded_at: Timestamp,
    ) -> Result<()> {
        self.writer
            .write(move |conn| {
                let head: Option<(i64, String)> = conn
                    .prepare_cached(&for_sqlite(q::FIELD_HEAD))?
                    .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let actual = head
                    .as_ref()
                    .map_or(0, |(v, _)| u64::try_from(*v).unwrap_or(0));
                if actual != expected_version {
                    return Err(if expected_version == 0 {
                        StoreError::Duplicate(format!("field record {id}"))
                    } else {
                        StoreError::Conflict {
                            expected: expected_version,
                            actual,
                        }
                    });
                }
                for e in q::seal_all(id, head, &events, recorded_at)? {
                    conn.prepare_cached(&for_sqlite(q::INSERT_FIELD_EVENT))?
                        .execute(rusqlite::params![
                            e.record_id,
                            e.version,
                            e.kind,
                            e.occurred_at,
                            e.actor_id,
                            e.division,
                            e.recorded_at,
                            e.meta,
                            e.body,
                            e.prev_hash,
                            e.hash
                        ])?;
                }
                conn.prepare_cached(&for_sqlite(q::UPSERT_FIELD_RECORD))?
                    .execute(rusqlite::params![
                        row.id,
                        row.kind,
                        row.status,
                        row.ledger,
                        row.category,
                        row.division,
                        row.actor_id,
                        row.actor_name,
                        row.occurred_at,
                        row.ended_at,
                        row.lat_e6,
                        row.lon_e6,
                        i64::from(row.flagged),
                        row.case_number,
                        row.summary,
                        row.photos,
                        row.version,
                        row.updated_at
                    ])?;
                Ok(())
            })
            .await
    }

    async fn field_events(&self, id: RecordId) -> Result<Vec<StoredFieldEvent>> {
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&for_sqlite(&q::select_field_events()))?;
                let rows = stmt
                    .query_map([id.to_string()], event_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        rows.iter().map(FieldEventRow::decode).collect()
    }

    async fn field_record(&self, id: RecordId) -> Result<Option<FieldRow>> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&for_sqlite(&q::select_field_record()))?
                .query_row([id.to_string()], field_row)
                .optional()?)
        })
        .await
    }

    async fn field_records(&self, filter: &FieldFilter) -> Result<Vec<FieldRow>> {
        let (sql, args) = q::select_field_records(filter);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&for_sqlite(&sql))?;
            let rows = stmt
                .query_map(params_from_iter(to_sql(&args)), field_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn report_counts(&self, within: &DivisionCode) -> Result<Vec<(String, String, u64)>> {
        let pattern = q::subtree(within);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&for_sqlite(q::REPORT_COUNTS))?;
            let rows = stmt
                .query_map([pattern], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn open_cases_by_place(&self, within: &DivisionCode) -> Result<Vec<(String, u64)>> {
        let pattern = q::subtree(within);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&for_sqlite(q::OPEN_CASES_BY_PLACE))?;
            let rows = stmt
                .query_map([pattern], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .map(|r| r.map(|(d, n)| (d, u64::try_from(n).unwrap_or(0))))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn verify_field_log(&self) -> Result<Vec<String>> {
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare(&for_sqlite(&q::select_all_field_events()))?;
                let rows = stmt
                    .query_map([], event_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(q::verify_rows(&rows))
    }
}
