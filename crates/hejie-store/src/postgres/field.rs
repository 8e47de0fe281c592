//! [`FieldStore`] on PostgreSQL.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;
use hejie_domain::field::{Event, RecordId};
use hejie_domain::timestamp::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Row};

use super::PgStore;
use crate::field::{
    self as q, Arg, Assignment, FieldEventRow, FieldFilter, FieldRow, FieldStore, NewArea,
    StoredArea, StoredFieldEvent,
};
use crate::{Result, StoreError};

fn event_row(r: &PgRow) -> std::result::Result<FieldEventRow, sqlx::Error> {
    Ok(FieldEventRow {
        seq: r.try_get(0)?,
        record_id: r.try_get(1)?,
        version: r.try_get(2)?,
        kind: r.try_get(3)?,
        occurred_at: r.try_get(4)?,
        actor_id: r.try_get(5)?,
        division: r.try_get(6)?,
        recorded_at: r.try_get(7)?,
        meta: r.try_get(8)?,
        body: r.try_get(9)?,
        prev_hash: r.try_get(10)?,
        hash: r.try_get(11)?,
    })
}

fn field_row(r: &PgRow) -> std::result::Result<FieldRow, sqlx::Error> {
    Ok(FieldRow {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        status: r.try_get(2)?,
        ledger: r.try_get(3)?,
        category: r.try_get(4)?,
        division: r.try_get(5)?,
        actor_id: r.try_get(6)?,
        actor_name: r.try_get(7)?,
        occurred_at: r.try_get(8)?,
        ended_at: r.try_get(9)?,
        lat_e6: r.try_get(10)?,
        lon_e6: r.try_get(11)?,
        flagged: r.try_get::<i64, _>(12)? != 0,
        case_number: r.try_get(13)?,
        summary: r.try_get(14)?,
        photos: r.try_get(15)?,
        version: r.try_get(16)?,
        updated_at: r.try_get(17)?,
    })
}

#[async_trait]
impl FieldStore for PgStore {
    async fn put_areas(&self, areas: Vec<NewArea>, by: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for a in &areas {
            // Two imports of the same division take versions one after the other.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('area:' || $1))")
                .bind(a.division.as_str())
                .execute(&mut *tx)
                .await?;
            let version: i64 = sqlx::query_scalar(q::NEXT_AREA_VERSION)
                .bind(a.division.as_str())
                .fetch_one(&mut *tx)
                .await?;
            for sql in [q::INSERT_AREA_VERSION, q::UPSERT_AREA] {
                let query = sqlx::query(sql).bind(a.division.as_str());
                let query = if sql == q::INSERT_AREA_VERSION {
                    query.bind(version).bind(&a.geometry)
                } else {
                    query.bind(&a.geometry).bind(version)
                };
                query.bind(by).bind(at.micros()).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn areas(&self, within: &DivisionCode) -> Result<Vec<StoredArea>> {
        let rows: Vec<q::AreaTuple> = sqlx::query_as(q::SELECT_AREAS)
            .bind(q::subtree(within))
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(q::area_from).collect()
    }

    async fn area(&self, division: &DivisionCode) -> Result<Option<StoredArea>> {
        let row: Option<q::AreaTuple> = sqlx::query_as(q::SELECT_AREA)
            .bind(division.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.map(q::area_from).transpose()
    }

    async fn put_assignment(&self, a: &Assignment) -> Result<()> {
        sqlx::query(q::INSERT_ASSIGNMENT)
            .bind(&a.id)
            .bind(&a.kind)
            .bind(a.division.as_str())
            .bind(&a.user_id)
            .bind(&a.starts)
            .bind(&a.ends)
            .bind(&a.created_by)
            .bind(a.created_at.micros())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn assignments(&self, within: &DivisionCode) -> Result<Vec<Assignment>> {
        let rows: Vec<q::AssignmentTuple> =
            sqlx::query_as(AssertSqlSafe(q::select_assignments_within()))
                .bind(q::subtree(within))
                .fetch_all(self.pool())
                .await?;
        rows.into_iter().map(q::assignment_from).collect()
    }

    async fn assignments_of(&self, user_id: &str) -> Result<Vec<Assignment>> {
        let rows: Vec<q::AssignmentTuple> =
            sqlx::query_as(AssertSqlSafe(q::select_assignments_of()))
                .bind(user_id)
                .fetch_all(self.pool())
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
        let mut tx = self.pool().begin().await?;
        // Appends to one record wait for each other; the unique (record_id, version) catches
        // two creations of the same record.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('field:' || $1))")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let head: Option<(i64, String)> = sqlx::query_as(q::FIELD_HEAD)
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
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
            sqlx::query(q::INSERT_FIELD_EVENT)
                .bind(&e.record_id)
                .bind(e.version)
                .bind(&e.kind)
                .bind(e.occurred_at)
                .bind(&e.actor_id)
                .bind(&e.division)
                .bind(e.recorded_at)
                .bind(&e.meta)
                .bind(&e.body)
                .bind(&e.prev_hash)
                .bind(&e.hash)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(q::UPSERT_FIELD_RECORD)
            .bind(&row.id)
            .bind(&row.kind)
            .bind(&row.status)
            .bind(&row.ledger)
            .bind(&row.category)
            .bind(&row.division)
            .bind(&row.actor_id)
            .bind(&row.actor_name)
            .bind(row.occurred_at)
            .bind(row.ended_at)
            .bind(row.lat_e6)
            .bind(row.lon_e6)
            .bind(i64::from(row.flagged))
            .bind(&row.case_number)
            .bind(&row.summary)
            .bind(row.photos)
            .bind(row.version)
            .bind(row.updated_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn field_events(&self, id: RecordId) -> Result<Vec<StoredFieldEvent>> {
        let rows = sqlx::query(AssertSqlSafe(q::select_field_events()))
            .bind(id.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| event_row(r).map_err(StoreError::from)?.decode())
            .collect()
    }

    async fn field_record(&self, id: RecordId) -> Result<Option<FieldRow>> {
        let row = sqlx::query(AssertSqlSafe(q::select_field_record()))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(field_row).transpose()?)
    }

    async fn field_records(&self, filter: &FieldFilter) -> Result<Vec<FieldRow>> {
        let (sql, args) = q::select_field_records(filter);
        // Built from constant text only; every value is bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in &args {
            query = match a {
                Arg::Text(s) => query.bind(s.clone()),
                Arg::Int(i) => query.bind(*i),
            };
        }
        let rows = query.fetch_all(self.pool()).await?;
        Ok(rows
            .iter()
            .map(field_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn report_counts(&self, within: &DivisionCode) -> Result<Vec<(String, String, u64)>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(q::REPORT_COUNTS)
            .bind(q::subtree(within))
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(l, s, n)| (l, s, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn open_cases_by_place(&self, within: &DivisionCode) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(q::OPEN_CASES_BY_PLACE)
            .bind(q::subtree(within))
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(d, n)| (d, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn verify_field_log(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(AssertSqlSafe(q::select_all_field_events()))
            .fetch_all(self.pool())
            .await?;
        let rows = rows
            .iter()
            .map(event_row)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(q::verify_rows(&rows))
    }
}
