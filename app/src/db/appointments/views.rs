//! Appointments as the pages need them: with the type, the doctor's and patient's names
//! and whether the clinic changed them; searches and counts for the staff portal.

use chrono::{DateTime, Utc};
use domain::booking::AppointmentStatus;
use sqlx::{PgConnection, PgPool};

/// An appointment with its type's, doctor's and patient's names and who last changed
/// it: what the pages' views are built from (by the services).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppointmentRecord {
    pub appointment_id: i64,
    pub patient_id: i64,
    pub doctor_id: i64,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub status: AppointmentStatus,
    pub appointment_type_id: i64,
    pub type_name: String,
    pub doctor_name: String,
    pub patient_name: String,
    pub reason: Option<String>,
    pub change_count: i32,
    /// `patient` or `admin`: who booked it.
    pub booked_by_role: String,
    /// The kind (`rescheduled`, `cancelled`) of the latest change staff made, if any.
    pub clinic_change: Option<String>,
    /// When and how the patient confirmed ("I'll be there"), if they did.
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_via: Option<String>,
    /// Cancelled, and by the patient (a link, a text or the website).
    pub cancelled_by_patient: bool,
    pub patient_first_name: String,
    /// The carer's name when someone who looks after the patient booked it.
    pub booked_by_carer: Option<String>,
}

const VIEW: &str =
    "select a.appointment_id, a.patient_id, a.doctor_id, a.start_time, a.end_time, a.status,
        a.appointment_type_id, t.name as type_name, doctor_display_name(d.first_name, d.last_name) as doctor_name,
        p.first_name || ' ' || p.last_name as patient_name, a.reason, a.change_count, a.booked_by_role,
        (select e.kind from appointment_events e
          where e.appointment_id = a.appointment_id and e.actor_role = 'admin' and e.kind in ('rescheduled', 'cancelled')
          order by e.created_at desc, e.appointment_event_id desc limit 1) as clinic_change,
        a.confirmed_at, a.confirmed_via,
        a.status = 'cancelled' and exists (select 1 from appointment_events e
          where e.appointment_id = a.appointment_id and e.kind = 'cancelled'
            and e.actor_role = 'patient') as cancelled_by_patient,
        p.first_name as patient_first_name,
        (select bp.first_name || ' ' || bp.last_name from patients bp
          where bp.user_id = a.booked_by_user_id and bp.patient_id <> a.patient_id) as booked_by_carer
     from appointments a
     join appointment_types t using (appointment_type_id)
     join doctors d on d.doctor_id = a.doctor_id
     join patients p on p.patient_id = a.patient_id";

/// One appointment (with its patient and doctor ids, for the caller's object check).
pub async fn view(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<Option<AppointmentRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{VIEW} where a.appointment_id = $1"))
        .bind(appointment_id)
        .fetch_optional(conn)
        .await
}

/// The appointments of several patients (a family), newest first.
pub async fn views_for_patients(
    pool: &PgPool,
    patient_ids: &[i64],
) -> Result<Vec<AppointmentRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VIEW} where a.patient_id = any($1) order by a.start_time desc, a.appointment_id desc"
    ))
    .bind(patient_ids)
    .fetch_all(pool)
    .await
}

/// A patient's appointments, newest first.
pub async fn views_for_patient(
    pool: &PgPool,
    patient_id: i64,
) -> Result<Vec<AppointmentRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VIEW} where a.patient_id = $1 order by a.start_time desc"
    ))
    .bind(patient_id)
    .fetch_all(pool)
    .await
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
                doctor_display_name(od.first_name, od.last_name) as old_doctor,
                doctor_display_name(nd.first_name, nd.last_name) as new_doctor
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

/// Appointments starting in `[from, to)` matching the filter, in time order.
pub async fn staff_search(
    pool: &PgPool,
    filter: &StaffFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<AppointmentRecord>, sqlx::Error> {
    let patient = filter.patient.map(crate::db::contains_pattern);
    sqlx::query_as(&format!(
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
    .await
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
    #[sqlx(try_from = "String")]
    pub status: AppointmentStatus,
    pub ics_sequence: i32,
    pub doctor_name: String,
    pub patient_id: i64,
    pub first_name: String,
}

/// A visit of one of `patient_ids` (the patient and the people they look after) as a
/// calendar file needs it (`None`: not theirs, or none).
pub async fn calendar_entry(
    conn: &mut PgConnection,
    appointment_id: i64,
    patient_ids: &[i64],
) -> Result<Option<CalendarEntry>, sqlx::Error> {
    sqlx::query_as(
        "select a.start_time, a.end_time, a.status, a.ics_sequence,
                doctor_display_name(d.first_name, d.last_name) as doctor_name,
                a.patient_id, p.first_name
         from appointments a join doctors d using (doctor_id) join patients p using (patient_id)
         where a.appointment_id = $1 and a.patient_id = any($2)",
    )
    .bind(appointment_id)
    .bind(patient_ids)
    .fetch_optional(conn)
    .await
}

/// The patient's booked visits starting in `[from, to)`: (id, start), earliest first.
pub async fn booked_between(
    conn: &mut sqlx::PgConnection,
    patient_ids: &[i64],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "select appointment_id, start_time from appointments
          where patient_id = any($1) and status = 'booked' and start_time >= $2 and start_time < $3
          order by start_time limit 10",
    )
    .bind(patient_ids)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

/// A booked visit the patient has not confirmed, for the staff's "call these" list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnconfirmedVisit {
    pub appointment_id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub phone: Option<String>,
    pub start_time: DateTime<Utc>,
    pub doctor_name: String,
    /// The patient's earlier visits marked no-show.
    pub no_shows: i64,
}

/// Booked, unconfirmed visits starting in `[from, to)`: patients with earlier no-shows
/// first, then by time.
pub async fn unconfirmed_between(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<UnconfirmedVisit>, sqlx::Error> {
    sqlx::query_as(
        "select a.appointment_id, a.patient_id, p.first_name || ' ' || p.last_name as patient_name,
                p.phone, a.start_time, doctor_display_name(d.first_name, d.last_name) as doctor_name,
                (select count(*) from appointments n
                  where n.patient_id = a.patient_id and n.status = 'no_show') as no_shows
           from appointments a
           join patients p on p.patient_id = a.patient_id
           join doctors d on d.doctor_id = a.doctor_id
          where a.status = 'booked' and a.confirmed_at is null
            and a.start_time >= $1 and a.start_time < $2
          order by no_shows desc, a.start_time, a.appointment_id
          limit $3",
    )
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Visits held in `[from, to)` (marked completed or no-show): how many had been confirmed,
/// and the no-shows among the confirmed and among the others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ConfirmationFigures {
    pub marked: i64,
    pub confirmed: i64,
    pub no_show_confirmed: i64,
    pub no_show_unconfirmed: i64,
}

pub async fn confirmation_figures(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ConfirmationFigures, sqlx::Error> {
    sqlx::query_as(
        "select count(*) as marked,
                count(*) filter (where confirmed_at is not null) as confirmed,
                count(*) filter (where confirmed_at is not null and status = 'no_show') as no_show_confirmed,
                count(*) filter (where confirmed_at is null and status = 'no_show') as no_show_unconfirmed
           from appointments
          where status in ('completed', 'no_show') and start_time >= $1 and start_time < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await
}
