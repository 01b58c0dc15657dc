//! Writing appointments: a new booking with its slot links, cancelling, moving,
//! reassigning, and the history of each change.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Appointment, AppointmentRow, COLUMNS};

pub struct NewAppointment {
    pub patient_id: i64,
    pub doctor_id: i64,
    pub appointment_type_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// End of the doctor's buffer after the visit, when its type has one.
    pub buffer_until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub booked_by_user_id: i64,
    pub booked_by_role: &'static str,
    pub idempotency_key: Uuid,
    /// The hold this appointment was confirmed from.
    pub hold_token: Option<Uuid>,
}

/// Creates the appointment on `slot_ids` (held for it, locked by the caller): the
/// appointment, its slot links and the slots marked booked, in one statement.
pub async fn insert_booked(
    conn: &mut PgConnection,
    new: &NewAppointment,
    slot_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Appointment, sqlx::Error> {
    let row: AppointmentRow = sqlx::query_as(&format!(
        "with created as (
             insert into appointments (patient_id, doctor_id, appointment_type_id, start_time,
                                       end_time, reason, booked_by_user_id, booked_by_role,
                                       idempotency_key, hold_token, created_at, updated_at,
                                       buffer_until)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $10, $10, $13)
             returning {COLUMNS}),
         linked as (
             insert into appointment_slots (appointment_id, slot_id)
             select created.appointment_id, unnest($12::bigint[]) from created),
         booked as (
             update availability_slots
                set status = 'booked', hold_token = null, hold_patient_id = null,
                    hold_appointment_type_id = null, hold_expires_at = null
              where slot_id = any($12))
         select {COLUMNS} from created"
    ))
    .bind(new.patient_id)
    .bind(new.doctor_id)
    .bind(new.appointment_type_id)
    .bind(new.start)
    .bind(new.end)
    .bind(&new.reason)
    .bind(new.booked_by_user_id)
    .bind(new.booked_by_role)
    .bind(new.idempotency_key)
    .bind(now)
    .bind(new.hold_token)
    .bind(slot_ids)
    .bind(new.buffer_until)
    .fetch_one(conn)
    .await?;
    row.into_appointment()
}

pub async fn link_slots(
    conn: &mut PgConnection,
    appointment_id: i64,
    slot_ids: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into appointment_slots (appointment_id, slot_id) select $1, unnest($2::bigint[])",
    )
    .bind(appointment_id)
    .bind(slot_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the appointment's slot links, returning the slots it occupied.
pub async fn unlink_slots(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("delete from appointment_slots where appointment_id = $1 returning slot_id")
        .bind(appointment_id)
        .fetch_all(conn)
        .await
}

pub async fn set_cancelled(
    conn: &mut PgConnection,
    appointment_id: i64,
    now: DateTime<Utc>,
) -> Result<Appointment, sqlx::Error> {
    let row: AppointmentRow = sqlx::query_as(&format!(
        "update appointments set status = 'cancelled', cancelled_at = $2, updated_at = $2,
                                 ics_sequence = ics_sequence + 1
         where appointment_id = $1 returning {COLUMNS}"
    ))
    .bind(appointment_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    row.into_appointment()
}

/// Moves a visit to `doctor_id` at `[start, end)`, with its buffer (when it has one)
/// until `buffer_until`.
pub async fn move_to(
    conn: &mut PgConnection,
    appointment_id: i64,
    doctor_id: i64,
    (start, end, buffer_until): (DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>),
    now: DateTime<Utc>,
) -> Result<Appointment, sqlx::Error> {
    let row: AppointmentRow = sqlx::query_as(&format!(
        "update appointments
         set doctor_id = $2, start_time = $3, end_time = $4, buffer_until = $6,
             change_count = change_count + 1,
             ics_sequence = ics_sequence + 1, updated_at = $5,
             -- A new time needs a new confirmation from the patient.
             confirmed_at = case when start_time = $3 then confirmed_at end,
             confirmed_via = case when start_time = $3 then confirmed_via end
         where appointment_id = $1 returning {COLUMNS}"
    ))
    .bind(appointment_id)
    .bind(doctor_id)
    .bind(start)
    .bind(end)
    .bind(now)
    .bind(buffer_until)
    .fetch_one(conn)
    .await?;
    row.into_appointment()
}

/// Records that the patient will come (`via`: link, sms, staff); false when the visit
/// was confirmed already. The caller holds the appointment's lock.
pub async fn set_confirmed(
    conn: &mut PgConnection,
    appointment_id: i64,
    via: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update appointments set confirmed_at = $3, confirmed_via = $2
          where appointment_id = $1 and confirmed_at is null",
    )
    .bind(appointment_id)
    .bind(via)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Hands an appointment to another doctor at the same time (PRODUCT.md rule 6). Not a
/// patient's change: `change_count` stays; calendars get a new SEQUENCE.
pub async fn reassign_to(
    conn: &mut PgConnection,
    appointment_id: i64,
    doctor_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update appointments set doctor_id = $2, ics_sequence = ics_sequence + 1, updated_at = $3
         where appointment_id = $1",
    )
    .bind(appointment_id)
    .bind(doctor_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many slots an appointment occupies.
pub async fn linked_slot_count(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from appointment_slots where appointment_id = $1")
        .bind(appointment_id)
        .fetch_one(conn)
        .await
}

pub struct Event<'a> {
    pub appointment_id: i64,
    pub kind: &'static str,
    pub actor_user_id: Option<i64>,
    pub actor_role: &'static str,
    pub old: Option<(i64, DateTime<Utc>)>,
    pub new: Option<(i64, DateTime<Utc>)>,
    pub override_reason: Option<&'a str>,
}

pub async fn record_event(
    conn: &mut PgConnection,
    event: &Event<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into appointment_events (appointment_id, kind, actor_user_id, actor_role,
             old_doctor_id, old_start_time, new_doctor_id, new_start_time, override_reason, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(event.appointment_id)
    .bind(event.kind)
    .bind(event.actor_user_id)
    .bind(event.actor_role)
    .bind(event.old.map(|o| o.0))
    .bind(event.old.map(|o| o.1))
    .bind(event.new.map(|n| n.0))
    .bind(event.new.map(|n| n.1))
    .bind(event.override_reason)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
