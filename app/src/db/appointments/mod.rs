//! Appointments, their slot links and their change history: the record and the reads
//! booking needs here, the writes in `writes.rs`, the views pages show in `views.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::booking::AppointmentStatus;
use sqlx::PgConnection;
use uuid::Uuid;

mod views;
mod writes;

pub use views::*;
pub use writes::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub appointment_id: i64,
    pub patient_id: i64,
    pub doctor_id: i64,
    pub appointment_type_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub change_count: u32,
}

#[derive(sqlx::FromRow)]
struct AppointmentRow {
    appointment_id: i64,
    patient_id: i64,
    doctor_id: i64,
    appointment_type_id: i64,
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
    status: String,
    change_count: i32,
}

impl AppointmentRow {
    fn into_appointment(self) -> Result<Appointment, sqlx::Error> {
        let status = AppointmentStatus::parse(&self.status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown appointment status {}", self.status).into())
        })?;
        Ok(Appointment {
            appointment_id: self.appointment_id,
            patient_id: self.patient_id,
            doctor_id: self.doctor_id,
            appointment_type_id: self.appointment_type_id,
            start: self.start_time,
            end: self.end_time,
            status,
            change_count: self.change_count.max(0) as u32,
        })
    }
}

const COLUMNS: &str = "appointment_id, patient_id, doctor_id, appointment_type_id, start_time, end_time, status, change_count";

pub async fn get(
    db: impl sqlx::PgExecutor<'_>,
    appointment_id: i64,
) -> Result<Option<Appointment>, sqlx::Error> {
    let row: Option<AppointmentRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where appointment_id = $1"
    ))
    .bind(appointment_id)
    .fetch_optional(db)
    .await?;
    row.map(AppointmentRow::into_appointment).transpose()
}

/// Locks the appointment row for a change.
pub async fn lock(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<Option<Appointment>, sqlx::Error> {
    let row: Option<AppointmentRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where appointment_id = $1 for no key update"
    ))
    .bind(appointment_id)
    .fetch_optional(conn)
    .await?;
    row.map(AppointmentRow::into_appointment).transpose()
}

pub async fn find_by_idempotency_key(
    conn: &mut PgConnection,
    patient_id: i64,
    key: Uuid,
) -> Result<Option<Appointment>, sqlx::Error> {
    let row: Option<AppointmentRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where patient_id = $1 and idempotency_key = $2"
    ))
    .bind(patient_id)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.map(AppointmentRow::into_appointment).transpose()
}

/// What a booking checks about the patient, read in one statement once the patient's row
/// is locked (a statement of its own, so this one's snapshot sees everything committed
/// before the lock was granted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFacts {
    /// The visit type, active or retired (`None`: no such type). Callers judge whether
    /// it may be booked.
    pub visit_type: Option<domain::visit_type::VisitType>,
    /// Upcoming booked appointments (the abuse limit counts these).
    pub upcoming: u32,
    /// A live appointment of the patient overlapping the new time.
    pub overlap: Option<i64>,
}

/// [`BookingFacts`] for a visit of `appointment_type_id` at `start`. The visit ends at
/// `end` when given, else after the type's slots of `slot_length` (its buffer is the
/// doctor's time, not the patient's).
pub async fn booking_facts(
    conn: &mut PgConnection,
    patient_id: i64,
    appointment_type_id: i64,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    slot_length: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<BookingFacts, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        visit_type: crate::db::visit_types::TypeRow,
        upcoming: i64,
        overlap: Option<i64>,
    }
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {}, v.upcoming, v.overlap
         from appointment_types t
         cross join lateral (
             select (select count(*) from appointments
                      where patient_id = $1 and status = 'booked' and start_time > $6) as upcoming,
                    (select appointment_id from appointments
                      where patient_id = $1 and status <> 'cancelled'
                        and tstzrange(start_time, end_time)
                            && tstzrange($3, coalesce($4, $3 + make_interval(secs => $5 * t.slot_count)))
                      limit 1) as overlap) v
         where t.appointment_type_id = $2",
        crate::db::visit_types::TYPE_COLUMNS
    ))
    .bind(patient_id)
    .bind(appointment_type_id)
    .bind(start)
    .bind(end)
    .bind(slot_length.num_seconds() as f64)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(r) => BookingFacts {
            visit_type: Some(r.visit_type.into()),
            upcoming: r.upcoming as u32,
            overlap: r.overlap,
        },
        None => BookingFacts {
            visit_type: None,
            upcoming: 0,
            overlap: None,
        },
    })
}

/// Live appointments per doctor starting in `[from, to)` (the assignment policy's load).
pub async fn counts_per_doctor(
    conn: &mut PgConnection,
    doctor_ids: &[i64],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<i64, u32>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "select doctor_id, count(*) from appointments
         where doctor_id = any($1) and status <> 'cancelled' and start_time >= $2 and start_time < $3
         group by doctor_id",
    )
    .bind(doctor_ids)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(d, n)| (d, n as u32)).collect())
}

/// The patient's live appointment overlapping `[start, end)`, other than `except`.
pub async fn patient_overlap(
    conn: &mut PgConnection,
    patient_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<i64>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select appointment_id from appointments
         where patient_id = $1 and status <> 'cancelled'
           and tstzrange(start_time, end_time) && tstzrange($2, $3)
           and appointment_id is distinct from $4
         limit 1",
    )
    .bind(patient_id)
    .bind(start)
    .bind(end)
    .bind(except)
    .fetch_optional(conn)
    .await
}

/// The appointment confirmed from `hold_token`, if the patient has one.
pub async fn find_by_hold_token(
    conn: &mut PgConnection,
    patient_id: i64,
    hold_token: Uuid,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select appointment_id from appointments where patient_id = $1 and hold_token = $2",
    )
    .bind(patient_id)
    .bind(hold_token)
    .fetch_optional(conn)
    .await
}

/// The patient an appointment belongs to (unlocked: the caller locks the patient first).
pub async fn patient_of(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select patient_id from appointments where appointment_id = $1")
        .bind(appointment_id)
        .fetch_optional(conn)
        .await
}
