//! Availability slots: reading open ones (here), taking them with row locks and holds
//! (`taking.rs`), and keeping them in step with hours, holidays and blocks (`upkeep.rs`).
//!
//! "Open" means free, or held by a hold that has lapsed: a lapsed hold frees its slots
//! by itself, without waiting for the sweeper.

use chrono::{DateTime, Utc};
use domain::availability::FreeSlot;
use domain::slot_index::IndexedSlot;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

mod taking;
mod upkeep;

pub use taking::*;
pub use upkeep::*;

const OPEN: &str = "(s.status = 'free' or (s.status = 'held' and s.hold_expires_at <= $NOW))";

fn open_clause(now_param: &str) -> String {
    OPEN.replace("$NOW", now_param)
}

/// Open slots of active doctors (of `among`, when given) starting in `[from, to)`.
pub async fn open_slots_between(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    among: Option<&[i64]>,
) -> Result<Vec<FreeSlot>, sqlx::Error> {
    let sql = format!(
        "select s.doctor_id, s.start_time, s.end_time
         from availability_slots s join doctors d on d.doctor_id = s.doctor_id
         where d.active and s.start_time >= $1 and s.start_time < $2 and {}
           and ($4::bigint[] is null or s.doctor_id = any($4))
         order by s.doctor_id, s.start_time",
        open_clause("$3")
    );
    let rows: Vec<(i64, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(now)
        .bind(among)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(doctor_id, start, end)| FreeSlot {
            doctor_id,
            start,
            end,
        })
        .collect())
}

/// What the availability index holds: every slot of the active doctors (or of one doctor)
/// that is free or held with an end (a lapsed hold is open), from yesterday on.
pub async fn indexable_slots(
    pool: &PgPool,
    doctor_id: Option<i64>,
) -> Result<Vec<IndexedSlot>, sqlx::Error> {
    // Two statements, not `$1 is null or doctor_id = $1`: one doctor's reload must use the
    // (doctor_id, start_time) index, not scan every slot.
    let rows: Vec<IndexedRow> = match doctor_id {
        Some(id) => {
            sqlx::query_as(&indexable("and s.doctor_id = $1"))
                .bind(id)
                .fetch_all(pool)
                .await?
        }
        None => sqlx::query_as(&indexable("")).fetch_all(pool).await?,
    };
    Ok(rows.into_iter().map(indexed).collect())
}

/// What the index holds of the doctors in `spans` (doctor, from, to) for slots starting in
/// `[from, to)` of each: the clinic days a batch of changes touched, in one read (on any
/// executor: the index reads on its listener's own connection).
pub async fn indexable_slots_in_spans<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    spans: &[(i64, DateTime<Utc>, DateTime<Utc>)],
) -> Result<Vec<IndexedSlot>, sqlx::Error> {
    let doctors: Vec<i64> = spans.iter().map(|s| s.0).collect();
    let froms: Vec<DateTime<Utc>> = spans.iter().map(|s| s.1).collect();
    let tos: Vec<DateTime<Utc>> = spans.iter().map(|s| s.2).collect();
    // Each span an index range scan on (doctor_id, start_time): a lateral subquery kept
    // apart (`offset 0`), with the same rule as `indexable`. Joined plainly, the planner
    // read each doctor's whole horizon, or the whole table.
    let rows: Vec<IndexedRow> = sqlx::query_as(
        "select s.doctor_id, s.start_time, s.end_time,
                case when s.status = 'held' then s.hold_expires_at end
           from unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) as r (doctor_id, from_t, to_t)
           cross join lateral (
                select a.* from availability_slots a
                 where a.doctor_id = r.doctor_id
                   and a.start_time >= greatest(r.from_t, now() - interval '1 day')
                   and a.start_time < r.to_t
                   and (a.status = 'free' or (a.status = 'held' and a.hold_expires_at is not null))
                offset 0) s
          where exists (select 1 from doctors d where d.doctor_id = r.doctor_id and d.active)",
    )
    .bind(doctors)
    .bind(froms)
    .bind(tos)
    .fetch_all(conn)
    .await?;
    // Two spans of one doctor may overlap: each slot once.
    let mut slots: Vec<IndexedSlot> = rows.into_iter().map(indexed).collect();
    slots.sort_by_key(|s| (s.doctor_id, s.start));
    slots.dedup_by_key(|s| (s.doctor_id, s.start));
    Ok(slots)
}

// doctor, start, end, the hold's end (held slots)
type IndexedRow = (i64, DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>);

const INDEXABLE_WHERE: &str = "d.active and s.start_time >= now() - interval '1 day'
      and (s.status = 'free' or (s.status = 'held' and s.hold_expires_at is not null))";

/// The index's read of the slots table, narrowed by `and`.
fn indexable(and: &str) -> String {
    format!(
        "select s.doctor_id, s.start_time, s.end_time,
                case when s.status = 'held' then s.hold_expires_at end
           from availability_slots s join doctors d on d.doctor_id = s.doctor_id
          where {INDEXABLE_WHERE} {and}"
    )
}

fn indexed((doctor_id, start, end, hold_expires): IndexedRow) -> IndexedSlot {
    IndexedSlot {
        doctor_id,
        start,
        end,
        hold_expires,
    }
}

/// Active doctors (of `among`, when given) with `slot_count` open slots covering
/// `[start, end)`. Slots are on a grid and never overlap (schema), so `slot_count` of
/// them inside the span tile it.
pub async fn doctors_open_for(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    slot_count: i64,
    now: DateTime<Utc>,
    among: Option<&[i64]>,
) -> Result<Vec<i64>, sqlx::Error> {
    let sql = format!(
        "select s.doctor_id
         from availability_slots s join doctors d on d.doctor_id = s.doctor_id
         where d.active and s.start_time >= $1 and s.start_time < $2 and s.end_time <= $2
           and {}
           and ($5::bigint[] is null or s.doctor_id = any($5))
         group by s.doctor_id
         having count(*) = $4",
        open_clause("$3")
    );
    sqlx::query_scalar(&sql)
        .bind(start)
        .bind(end)
        .bind(now)
        .bind(slot_count)
        .bind(among)
        .fetch_all(conn)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldTime {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub type_name: String,
    pub appointment_type_id: i64,
}

/// The hold `token` of `patient_id` (still marked held), or none.
/// Who holds `token`, when it is `patient_id` or someone they look after now (none:
/// unknown, lapsed, or someone else's). One statement: confirming reads it on every booking.
pub async fn hold_patient_in_family(
    conn: &mut sqlx::PgConnection,
    token: Uuid,
    patient_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select s.hold_patient_id from availability_slots s
          where s.hold_token = $1 and s.status = 'held'
            and (s.hold_patient_id = $2
                 or exists (select 1 from patient_carers l
                             where l.carer_patient_id = $2 and l.patient_id = s.hold_patient_id
                               and l.ended_at is null))
          limit 1",
    )
    .bind(token)
    .bind(patient_id)
    .fetch_optional(conn)
    .await
}

pub async fn held_by(
    pool: &PgPool,
    token: Uuid,
    patient_id: i64,
) -> Result<Option<HeldTime>, sqlx::Error> {
    sqlx::query_as(
        "select min(s.start_time) as start,
                -- The visit's end: its buffer (the last slots held) is the doctor's time.
                coalesce((array_agg(s.end_time order by s.start_time))[min(t.slot_count)], max(s.end_time)) as end,
                min(s.hold_expires_at) as expires_at,
                min(t.name) as type_name, min(t.appointment_type_id) as appointment_type_id
         from availability_slots s join appointment_types t on t.appointment_type_id = s.hold_appointment_type_id
         where s.hold_token = $1 and s.hold_patient_id = $2 and s.status = 'held'
         having count(*) > 0",
    )
    .bind(token)
    .bind(patient_id)
    .fetch_optional(pool)
    .await
}
