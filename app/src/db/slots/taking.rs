//! Taking slots: locking an open run without waiting, holds and their release, booking
//! and freeing, and what a freed slot becomes.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::*;

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

/// Share-locks the rows of the doctors of the patient's holds, so that releasing them
/// keeps the doctor-then-slots order (see `db::doctors::lock_if_bookable`).
pub async fn lock_doctors_of_holds(
    conn: &mut PgConnection,
    patient_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "select doctor_id from doctors
         where doctor_id in (select doctor_id from availability_slots
                             where status = 'held' and hold_patient_id = $1)
         order by doctor_id
         for share",
    )
    .bind(patient_id)
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

/// The doctor of a live hold, read without locking (so that their row can be locked
/// before the hold's slots).
pub async fn doctor_of_hold(
    conn: &mut PgConnection,
    token: Uuid,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select doctor_id from availability_slots
         where hold_token = $1 and status = 'held' limit 1",
    )
    .bind(token)
    .fetch_optional(conn)
    .await
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
