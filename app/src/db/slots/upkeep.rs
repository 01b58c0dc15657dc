//! Keeping the slots in step with the schedule: materialising from weekly hours,
//! holidays closing and reopening days, blocks and leave, removing unused slots.

use chrono::{DateTime, Utc};
use domain::schedule::SlotSpan;
use sqlx::PgConnection;

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
           and a.status = 'booked'
           -- The visit itself; a buffer after it may run past the new hours.
           and s.start_time < a.end_time",
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
