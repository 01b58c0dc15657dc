//! Appointments, their slot links and their change history.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::booking::AppointmentStatus;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

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

pub async fn get(pool: &PgPool, appointment_id: i64) -> Result<Option<Appointment>, sqlx::Error> {
    let row: Option<AppointmentRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where appointment_id = $1"
    ))
    .bind(appointment_id)
    .fetch_optional(pool)
    .await?;
    row.map(AppointmentRow::into_appointment).transpose()
}

/// Locks the appointment row for a change.
pub async fn lock(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<Option<Appointment>, sqlx::Error> {
    let row: Option<AppointmentRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where appointment_id = $1 for update"
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
    /// Slots of the appointment type; `None` when it is not offered.
    pub slot_count: Option<i32>,
    /// The type's name (for the patient's confirmation page).
    pub type_name: Option<String>,
    /// Upcoming booked appointments (the abuse limit counts these).
    pub upcoming: u32,
    /// A live appointment of the patient overlapping the new time.
    pub overlap: Option<i64>,
}

/// [`BookingFacts`] for a visit of `appointment_type_id` at `start`. The new time ends at
/// `end` when given (the slots of a hold), else after the type's slots of `slot_length`.
pub async fn booking_facts(
    conn: &mut PgConnection,
    patient_id: i64,
    appointment_type_id: i64,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    slot_length: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<BookingFacts, sqlx::Error> {
    let (slot_count, type_name, upcoming, overlap): (
        Option<i32>,
        Option<String>,
        i64,
        Option<i64>,
    ) = sqlx::query_as(
        "select t.slot_count, t.name,
                (select count(*) from appointments
                  where patient_id = $1 and status = 'booked' and start_time > $6),
                (select appointment_id from appointments
                  where patient_id = $1 and status <> 'cancelled'
                    and t.new_end is not null
                    and tstzrange(start_time, end_time) && tstzrange($3, t.new_end)
                  limit 1)
         from (select c.slot_count, c.name,
                      coalesce($4, $3 + make_interval(secs => $5 * c.slot_count)) as new_end
                 from (select max(slot_count) as slot_count, max(name) as name
                         from appointment_types
                        where appointment_type_id = $2 and active) c) t",
    )
    .bind(patient_id)
    .bind(appointment_type_id)
    .bind(start)
    .bind(end)
    .bind(slot_length.num_seconds() as f64)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(BookingFacts {
        slot_count,
        type_name,
        upcoming: upcoming as u32,
        overlap,
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

pub struct NewAppointment {
    pub patient_id: i64,
    pub doctor_id: i64,
    pub appointment_type_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
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
                                       idempotency_key, hold_token, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $10, $10)
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

pub async fn move_to(
    conn: &mut PgConnection,
    appointment_id: i64,
    doctor_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Appointment, sqlx::Error> {
    let row: AppointmentRow = sqlx::query_as(&format!(
        "update appointments
         set doctor_id = $2, start_time = $3, end_time = $4, change_count = change_count + 1,
             ics_sequence = ics_sequence + 1, updated_at = $5
         where appointment_id = $1 returning {COLUMNS}"
    ))
    .bind(appointment_id)
    .bind(doctor_id)
    .bind(start)
    .bind(end)
    .bind(now)
    .fetch_one(conn)
    .await?;
    row.into_appointment()
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

/// Slot count of an active appointment type.
pub async fn type_slot_count(
    conn: &mut PgConnection,
    appointment_type_id: i64,
) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar(
        "select slot_count from appointment_types where appointment_type_id = $1 and active",
    )
    .bind(appointment_type_id)
    .fetch_optional(conn)
    .await
}

#[derive(sqlx::FromRow)]
struct ViewRow {
    appointment_id: i64,
    patient_id: i64,
    doctor_id: i64,
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
    status: String,
    appointment_type_id: i64,
    type_name: String,
    doctor_name: String,
    patient_name: String,
    reason: Option<String>,
    change_count: i32,
    booked_by_role: String,
    clinic_change: Option<String>,
}

impl ViewRow {
    fn into_view(
        self,
    ) -> Result<(crate::wire::appointments::AppointmentView, i64, i64), sqlx::Error> {
        let status = AppointmentStatus::parse(&self.status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown appointment status {}", self.status).into())
        })?;
        Ok((
            crate::wire::appointments::AppointmentView {
                appointment_id: self.appointment_id,
                start: self.start_time,
                end: self.end_time,
                status,
                appointment_type_id: self.appointment_type_id,
                type_name: self.type_name,
                doctor_name: self.doctor_name,
                patient_name: Some(self.patient_name),
                reason: self.reason,
                change_count: self.change_count.max(0) as u32,
                clinic_note: match (self.clinic_change.as_deref(), self.booked_by_role.as_str()) {
                    (Some("cancelled"), _) => Some("Cancelled by the clinic".to_owned()),
                    (Some(_), _) => Some("Changed by the clinic".to_owned()),
                    (None, "admin") => Some("Booked by the clinic".to_owned()),
                    _ => None,
                },
                cancel_blocked: None,
                reschedule_blocked: None,
            },
            self.patient_id,
            self.doctor_id,
        ))
    }
}

const VIEW: &str =
    "select a.appointment_id, a.patient_id, a.doctor_id, a.start_time, a.end_time, a.status,
        a.appointment_type_id, t.name as type_name, 'Dr. ' || d.first_name || ' ' || d.last_name as doctor_name,
        p.first_name || ' ' || p.last_name as patient_name, a.reason, a.change_count, a.booked_by_role,
        (select e.kind from appointment_events e
          where e.appointment_id = a.appointment_id and e.actor_role = 'admin' and e.kind in ('rescheduled', 'cancelled')
          order by e.created_at desc, e.appointment_event_id desc limit 1) as clinic_change
     from appointments a
     join appointment_types t using (appointment_type_id)
     join doctors d on d.doctor_id = a.doctor_id
     join patients p on p.patient_id = a.patient_id";

/// One appointment with its patient and doctor ids (for the caller's object check).
pub async fn view(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<Option<(crate::wire::appointments::AppointmentView, i64, i64)>, sqlx::Error> {
    let row: Option<ViewRow> = sqlx::query_as(&format!("{VIEW} where a.appointment_id = $1"))
        .bind(appointment_id)
        .fetch_optional(conn)
        .await?;
    row.map(ViewRow::into_view).transpose()
}

/// A patient's appointments, newest first (their own name left out).
pub async fn views_for_patient(
    pool: &PgPool,
    patient_id: i64,
) -> Result<Vec<crate::wire::appointments::AppointmentView>, sqlx::Error> {
    let rows: Vec<ViewRow> = sqlx::query_as(&format!(
        "{VIEW} where a.patient_id = $1 order by a.start_time desc"
    ))
    .bind(patient_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            r.into_view().map(|(mut v, _, _)| {
                v.patient_name = None;
                v
            })
        })
        .collect()
}

/// The patient's email (none for a patient recorded without one) and phone.
pub async fn patient_contact(
    conn: &mut PgConnection,
    patient_id: i64,
) -> Result<(Option<String>, Option<String>), sqlx::Error> {
    sqlx::query_as(
        "select u.email, p.phone from patients p left join users u using (user_id) where p.patient_id = $1",
    )
    .bind(patient_id)
    .fetch_one(conn)
    .await
}

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub created_at: DateTime<Utc>,
    pub kind: String,
    pub actor_role: String,
    pub old_start_time: Option<DateTime<Utc>>,
    pub new_start_time: Option<DateTime<Utc>>,
    pub old_doctor: Option<String>,
    pub new_doctor: Option<String>,
}

/// A visit's history, oldest first, with the doctors' names.
pub async fn events(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "select e.created_at, e.kind, e.actor_role, e.old_start_time, e.new_start_time,
                'Dr. ' || od.first_name || ' ' || od.last_name as old_doctor,
                'Dr. ' || nd.first_name || ' ' || nd.last_name as new_doctor
         from appointment_events e
         left join doctors od on od.doctor_id = e.old_doctor_id
         left join doctors nd on nd.doctor_id = e.new_doctor_id
         where e.appointment_id = $1
         order by e.created_at, e.appointment_event_id",
    )
    .bind(appointment_id)
    .fetch_all(conn)
    .await
}

/// What staff search appointments by.
#[derive(Debug, Clone)]
pub struct StaffFilter<'a> {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub doctor_id: Option<i64>,
    /// Part of the patient's name or email.
    pub patient: Option<&'a str>,
    pub status: Option<&'static str>,
}

/// Appointments starting in `[from, to)` matching the filter, in time order, with their
/// patient's id.
pub async fn staff_search(
    pool: &PgPool,
    filter: &StaffFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<(crate::wire::appointments::AppointmentView, i64)>, sqlx::Error> {
    let patient = filter.patient.map(super::contains_pattern);
    let rows: Vec<ViewRow> = sqlx::query_as(&format!(
        "{VIEW}
         where a.start_time >= $1 and a.start_time < $2
           and ($3::bigint is null or a.doctor_id = $3)
           and ($4::text is null or a.status = $4)
           and ($5::text is null
                or lower(p.first_name || ' ' || p.last_name) like $5
                or exists (select 1 from users pu where pu.user_id = p.user_id and pu.email like $5))
         order by a.start_time, a.appointment_id
         limit $6 offset $7"
    ))
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.doctor_id)
    .bind(filter.status)
    .bind(patient)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            r.into_view()
                .map(|(view, patient_id, _)| (view, patient_id))
        })
        .collect()
}

/// Visits that started in `[from, to)`: (marked no-show, marked completed or no-show).
pub async fn outcomes_between(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select count(*) filter (where status = 'no_show'),
                count(*) filter (where status in ('completed', 'no_show'))
         from appointments where start_time >= $1 and start_time < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarEntry {
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub status: String,
    pub ics_sequence: i32,
    pub doctor_name: String,
}

/// A patient's own visit as their calendar file needs it (`None`: not theirs, or none).
pub async fn calendar_entry(
    pool: &PgPool,
    appointment_id: i64,
    patient_id: i64,
) -> Result<Option<CalendarEntry>, sqlx::Error> {
    sqlx::query_as(
        "select a.start_time, a.end_time, a.status, a.ics_sequence,
                'Dr. ' || d.first_name || ' ' || d.last_name as doctor_name
         from appointments a join doctors d using (doctor_id)
         where a.appointment_id = $1 and a.patient_id = $2",
    )
    .bind(appointment_id)
    .bind(patient_id)
    .fetch_optional(pool)
    .await
}
