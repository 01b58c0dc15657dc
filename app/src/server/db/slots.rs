//! Availability slots: materialising, reading open ones, and taking them with row locks.
//!
//! "Open" means free, or held by a hold that has lapsed: a lapsed hold frees its slots
//! by itself, without waiting for the sweeper.

use chrono::{DateTime, Utc};
use domain::availability::FreeSlot;
use domain::schedule::SlotSpan;
use domain::slot_index::IndexedSlot;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

const OPEN: &str = "(s.status = 'free' or (s.status = 'held' and s.hold_expires_at <= $NOW))";

fn open_clause(now_param: &str) -> String {
    OPEN.replace("$NOW", now_param)
}

/// Open slots of active doctors starting in `[from, to)`.
pub async fn open_slots_between(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<FreeSlot>, sqlx::Error> {
    let sql = format!(
        "select s.doctor_id, s.start_time, s.end_time
         from availability_slots s join doctors d on d.doctor_id = s.doctor_id
         where d.active and s.start_time >= $1 and s.start_time < $2 and {}
         order by s.doctor_id, s.start_time",
        open_clause("$3")
    );
    let rows: Vec<(i64, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(now)
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

/// Active doctors with `slot_count` open slots covering `[start, end)`. Slots are on a
/// grid and never overlap (schema), so `slot_count` of them inside the span tile it.
pub async fn doctors_open_for(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    slot_count: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    let sql = format!(
        "select s.doctor_id
         from availability_slots s join doctors d on d.doctor_id = s.doctor_id
         where d.active and s.start_time >= $1 and s.start_time < $2 and s.end_time <= $2
           and {}
         group by s.doctor_id
         having count(*) = $4",
        open_clause("$3")
    );
    sqlx::query_scalar(&sql)
        .bind(start)
        .bind(end)
        .bind(now)
        .bind(slot_count)
        .fetch_all(conn)
        .await
}

/// Locks one doctor's open slots in `[start, end)`, **skipping rows another transaction
/// holds locked**, so concurrent bookers never wait on each other: whoever gets fewer
/// rows than needed moves on to the next doctor. Returns the locked slot ids.
pub async fn lock_open_run(
    conn: &mut PgConnection,
    doctor_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    let sql = format!(
        "select s.slot_id from availability_slots s
         where s.doctor_id = $1 and s.start_time >= $2 and s.start_time < $3
           and s.end_time <= $3 and {}
         order by s.start_time
         for update skip locked",
        open_clause("$4")
    );
    sqlx::query_scalar(&sql)
        .bind(doctor_id)
        .bind(start)
        .bind(end)
        .bind(now)
        .fetch_all(conn)
        .await
}

pub async fn mark_held(
    conn: &mut PgConnection,
    slot_ids: &[i64],
    token: Uuid,
    patient_id: i64,
    appointment_type_id: i64,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update availability_slots
         set status = 'held', hold_token = $2, hold_patient_id = $3,
             hold_appointment_type_id = $4, hold_expires_at = $5
         where slot_id = any($1)",
    )
    .bind(slot_ids)
    .bind(token)
    .bind(patient_id)
    .bind(appointment_type_id)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A patient has one hold at a time: holding again releases the previous one.
pub async fn release_holds_of(
    conn: &mut PgConnection,
    patient_id: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots
         set status = 'free', hold_token = null, hold_patient_id = null,
             hold_appointment_type_id = null, hold_expires_at = null
         where status = 'held' and hold_patient_id = $1",
    )
    .bind(patient_id)
    .execute(conn)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldSlot {
    pub slot_id: i64,
    pub doctor_id: i64,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub hold_patient_id: i64,
    pub hold_appointment_type_id: i64,
    pub hold_expires_at: DateTime<Utc>,
}

/// The slots of a hold, locked (waiting for a concurrent confirmation of the same hold).
pub async fn lock_hold(conn: &mut PgConnection, token: Uuid) -> Result<Vec<HeldSlot>, sqlx::Error> {
    sqlx::query_as(
        "select slot_id, doctor_id, start_time, end_time, hold_patient_id,
                hold_appointment_type_id, hold_expires_at
         from availability_slots
         where hold_token = $1 and status = 'held'
         order by start_time
         for update",
    )
    .bind(token)
    .fetch_all(conn)
    .await
}

pub async fn mark_booked(conn: &mut PgConnection, slot_ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update availability_slots
         set status = 'booked', hold_token = null, hold_patient_id = null,
             hold_appointment_type_id = null, hold_expires_at = null
         where slot_id = any($1)",
    )
    .bind(slot_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns booked slots to the pool (after a cancellation or a move) — unless the time
/// was closed while they were booked (`release_to`): then they become blocked or holiday,
/// or go (outside the doctor's hours).
pub async fn mark_free(conn: &mut PgConnection, slot_ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "delete from availability_slots
         where slot_id = any($1) and status = 'booked' and release_to = 'removed'",
    )
    .bind(slot_ids)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update availability_slots set status = coalesce(release_to, 'free'), release_to = null
         where slot_id = any($1) and status = 'booked'",
    )
    .bind(slot_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// What the slots of an appointment left waiting for staff turn into once it moves or is
/// cancelled (see [`mark_free`]).
pub async fn set_release(
    conn: &mut PgConnection,
    appointment_id: i64,
    release_to: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update availability_slots s set release_to = $2
         from appointment_slots l
         where l.slot_id = s.slot_id and l.appointment_id = $1 and s.status = 'booked'",
    )
    .bind(appointment_id)
    .bind(release_to)
    .execute(conn)
    .await?;
    Ok(())
}

/// Booked slots at `starts` are inside the doctor's hours again: freed, they stay.
pub async fn keep_when_freed(
    conn: &mut PgConnection,
    doctor_id: i64,
    starts: &[DateTime<Utc>],
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots set release_to = null
         where doctor_id = $1 and start_time = any($2) and status = 'booked' and release_to = 'removed'",
    )
    .bind(doctor_id)
    .bind(starts)
    .execute(conn)
    .await?
    .rows_affected())
}

/// The time opened again (unblocked, holiday removed, back in the hours): booked slots
/// there return to the pool normally when freed.
pub async fn clear_release_between(
    conn: &mut PgConnection,
    doctor_id: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    release_to: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots set release_to = null
         where ($1::bigint is null or doctor_id = $1) and start_time >= $2 and start_time < $3
           and status = 'booked' and release_to = $4",
    )
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .bind(release_to)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Ends one of a patient's holds (they chose another time); the time is free again at
/// once. Returns how many slots were released.
pub async fn release_hold(
    conn: &mut PgConnection,
    patient_id: i64,
    token: Uuid,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots
         set status = 'free', hold_token = null, hold_patient_id = null,
             hold_appointment_type_id = null, hold_expires_at = null
         where status = 'held' and hold_patient_id = $1 and hold_token = $2",
    )
    .bind(patient_id)
    .bind(token)
    .execute(conn)
    .await?
    .rows_affected())
}

/// The sweeper: lapsed holds become plain free slots.
pub async fn release_expired_holds(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots
         set status = 'free', hold_token = null, hold_patient_id = null,
             hold_appointment_type_id = null, hold_expires_at = null
         where status = 'held' and hold_expires_at <= $1",
    )
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Inserts the slots of `spans` a doctor does not have yet, with `status` ('free' or
/// 'holiday'). Existing slots, and any span overlapping one, are left alone.
pub async fn insert_missing(
    conn: &mut PgConnection,
    doctor_id: i64,
    spans: &[SlotSpan],
    status: &str,
) -> Result<u64, sqlx::Error> {
    if spans.is_empty() {
        return Ok(0);
    }
    let starts: Vec<DateTime<Utc>> = spans.iter().map(|s| s.start).collect();
    let ends: Vec<DateTime<Utc>> = spans.iter().map(|s| s.end).collect();
    // No conflict target: also skips spans the exclusion constraint would refuse.
    Ok(sqlx::query(
        "insert into availability_slots (doctor_id, start_time, end_time, status)
         select $1, t.start_time, t.end_time, $4
         from unnest($2::timestamptz[], $3::timestamptz[]) as t (start_time, end_time)
         on conflict do nothing",
    )
    .bind(doctor_id)
    .bind(&starts)
    .bind(&ends)
    .bind(status)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Removes a doctor's unbooked slots (free, held — a hold ends with its slot — or
/// holiday) starting in `[from, to)` that are not among `keep` (their hours changed).
/// Booked and blocked slots are never touched.
pub async fn delete_unused_not_in(
    conn: &mut PgConnection,
    doctor_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    keep: &[DateTime<Utc>],
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from availability_slots
         where doctor_id = $1 and start_time >= $2 and start_time < $3
           and status in ('free', 'held', 'holiday') and not (start_time = any($4))",
    )
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .bind(keep)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Closes the given starts of one doctor for a holiday: free and held slots (a hold, even
/// a live one, ends: the time is no longer offered) become `holiday`.
pub async fn close_for_holiday(
    conn: &mut PgConnection,
    doctor_id: i64,
    starts: &[DateTime<Utc>],
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots
         set status = 'holiday', hold_token = null, hold_patient_id = null,
             hold_appointment_type_id = null, hold_expires_at = null
         where doctor_id = $1 and start_time = any($2) and status in ('free', 'held')",
    )
    .bind(doctor_id)
    .bind(starts)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Reopens the given starts of one doctor after a holiday was removed.
pub async fn reopen_after_holiday(
    conn: &mut PgConnection,
    doctor_id: i64,
    starts: &[DateTime<Utc>],
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots set status = 'free'
         where doctor_id = $1 and start_time = any($2) and status = 'holiday'",
    )
    .bind(doctor_id)
    .bind(starts)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Closes every doctor's unbooked slots starting in `[from, to)` (a clinic holiday).
pub async fn close_all_between(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots
         set status = 'holiday', hold_token = null, hold_patient_id = null,
             hold_appointment_type_id = null, hold_expires_at = null
         where start_time >= $1 and start_time < $2 and status in ('free', 'held')",
    )
    .bind(from)
    .bind(to)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Live appointments (id, patient id) occupying a booked slot of `doctor_id` (or of every
/// doctor) starting in `[from, to)` whose start is not among `keep`.
pub async fn booked_appointments_outside(
    conn: &mut PgConnection,
    doctor_id: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    keep: &[DateTime<Utc>],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select distinct a.appointment_id, a.patient_id
         from availability_slots s
         join appointment_slots l on l.slot_id = s.slot_id
         join appointments a on a.appointment_id = l.appointment_id
         where ($1::bigint is null or s.doctor_id = $1) and s.status = 'booked'
           and s.start_time >= $2 and s.start_time < $3 and not (s.start_time = any($4))
           and a.status = 'booked'",
    )
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .bind(keep)
    .fetch_all(conn)
    .await
}

/// Blocks a doctor's unbooked slots starting in `[from, to)`: free and held ones (a hold
/// there ends). Booked slots are left to the caller (rule 6). Returns how many.
pub async fn block_between(
    conn: &mut PgConnection,
    doctor_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    note: Option<&str>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots
         set status = 'blocked', block_note = $4, hold_token = null, hold_patient_id = null,
             hold_appointment_type_id = null, hold_expires_at = null
         where doctor_id = $1 and start_time >= $2 and start_time < $3 and status in ('free', 'held')",
    )
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .bind(note)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Frees a doctor's blocked slots starting in `[from, to)`. Returns how many.
pub async fn unblock_between(
    conn: &mut PgConnection,
    doctor_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update availability_slots set status = 'free', block_note = null
         where doctor_id = $1 and start_time >= $2 and start_time < $3 and status = 'blocked'",
    )
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Removes every doctor's unbooked future slots (the grid or the zone changed; they are
/// made again). Booked and blocked slots stay. Live holds end with their slots.
pub async fn delete_all_unused_from(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from availability_slots where start_time >= $1 and status in ('free', 'held', 'holiday')",
    )
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected())
}

/// A hold of one patient's, whole: its time, expiry and visit type.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldTime {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub type_name: String,
    pub appointment_type_id: i64,
}

/// The hold `token` of `patient_id` (still marked held), or none.
pub async fn held_by(
    pool: &PgPool,
    token: Uuid,
    patient_id: i64,
) -> Result<Option<HeldTime>, sqlx::Error> {
    sqlx::query_as(
        "select min(s.start_time) as start, max(s.end_time) as end, min(s.hold_expires_at) as expires_at,
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
