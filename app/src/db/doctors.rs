use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::wire::directory::DoctorCard;

#[derive(sqlx::FromRow)]
struct DoctorCardRow {
    doctor_id: i64,
    first_name: String,
    last_name: String,
    specialty: String,
    languages: Vec<String>,
    introduction: Option<String>,
}

/// Active doctors for the public directory, ordered by last name.
pub async fn list_active(pool: &PgPool) -> Result<Vec<DoctorCard>, sqlx::Error> {
    let rows: Vec<DoctorCardRow> = sqlx::query_as(
        "select doctor_id, first_name, last_name, specialty, languages, introduction
         from doctors
         where active
         order by last_name, first_name, doctor_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DoctorCard {
            doctor_id: r.doctor_id,
            display_name: domain::directory::doctor_display_name(&r.first_name, &r.last_name),
            specialty: r.specialty,
            languages: r.languages,
            introduction: r.introduction,
        })
        .collect())
}

/// Whether the doctor may be given a new booking, holding a share lock on their row for
/// the rest of the transaction: deactivating a doctor (which updates the row) waits for
/// bookings in flight, and bookings after it see the doctor inactive. So every live
/// appointment of an inactive doctor is one the deactivation saw and queued.
///
/// Lock modes, chosen so that no cycle can form: rows that others reference (patients,
/// appointments, doctors) are locked `FOR NO KEY UPDATE`, never `FOR UPDATE`, so the key
/// share a foreign key check takes (a history row naming the doctor, an audit row naming
/// the patient) never waits on them.
pub async fn lock_if_bookable(
    conn: &mut PgConnection,
    doctor_id: i64,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, bool>("select active from doctors where doctor_id = $1 for share")
            .bind(doctor_id)
            .fetch_optional(conn)
            .await?
            .unwrap_or(false),
    )
}

/// [`lock_if_bookable`] without waiting: `None` when a change of the doctor's time or
/// account holds their row right now (it then locks their visits: waiting here, while
/// holding a visit, could close a cycle with it). Callers treat that doctor as busy.
pub async fn lock_if_bookable_now(
    conn: &mut PgConnection,
    doctor_id: i64,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar("select active from doctors where doctor_id = $1 for share skip locked")
        .bind(doctor_id)
        .fetch_optional(conn)
        .await
}

/// Marks the doctor behind `user_id` (if the account is a doctor's) bookable or not,
/// locking their row (see [`lock_if_bookable`]). Returns the doctor id.
pub async fn set_active_for_user(
    conn: &mut PgConnection,
    user_id: i64,
    active: bool,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "update doctors set active = $2, updated_at = now() where user_id = $1 returning doctor_id",
    )
    .bind(user_id)
    .bind(active)
    .fetch_optional(conn)
    .await
}

/// Live appointments of a doctor that have not started yet: (appointment id, patient id).
pub async fn upcoming_appointments(
    conn: &mut PgConnection,
    doctor_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select appointment_id, patient_id from appointments
         where doctor_id = $1 and status = 'booked' and start_time > $2
         order by start_time",
    )
    .bind(doctor_id)
    .bind(now)
    .fetch_all(conn)
    .await
}

/// One slot of a doctor's calendar, with the visit on it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarRow {
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub status: String,
    pub block_note: Option<String>,
    pub appointment_id: Option<i64>,
    pub patient_id: Option<i64>,
    pub patient_name: Option<String>,
    pub type_name: Option<String>,
    pub appointment_status: Option<String>,
    /// The patient confirmed they will come.
    pub confirmed: Option<bool>,
}

/// A doctor's slots starting in `[from, to)`, in time order.
pub async fn calendar_between(
    pool: &PgPool,
    doctor_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CalendarRow>, sqlx::Error> {
    sqlx::query_as(
        "select s.start_time, s.end_time, s.status, s.block_note, a.appointment_id, a.patient_id,
                p.first_name || ' ' || p.last_name as patient_name, t.name as type_name,
                a.status as appointment_status, a.confirmed_at is not null as confirmed
         from availability_slots s
         left join appointment_slots l on l.slot_id = s.slot_id
         left join appointments a on a.appointment_id = l.appointment_id
         left join patients p on p.patient_id = a.patient_id
         left join appointment_types t on t.appointment_type_id = a.appointment_type_id
         where s.doctor_id = $1 and s.start_time >= $2 and s.start_time < $3
         order by s.start_time",
    )
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Records a visit's outcome: only the doctor's own, booked, started visits. Returns the
/// patient id when it was recorded.
pub async fn set_outcome(
    conn: &mut PgConnection,
    doctor_id: i64,
    appointment_id: i64,
    status: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "update appointments set status = $3, updated_at = $4
         where appointment_id = $1 and doctor_id = $2 and status in ('booked', 'completed', 'no_show')
           and start_time <= $4
         returning patient_id",
    )
    .bind(appointment_id)
    .bind(doctor_id)
    .bind(status)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Replaces the doctor's calendar-feed token (stored as its SHA-256).
pub async fn set_feed_token(pool: &PgPool, doctor_id: i64, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update doctors set feed_token_hash = sha256(convert_to($2, 'UTF8')) where doctor_id = $1",
    )
    .bind(doctor_id)
    .bind(token)
    .execute(pool)
    .await?;
    Ok(())
}

/// Turns the doctor's calendar feed off.
pub async fn clear_feed_token(pool: &PgPool, doctor_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update doctors set feed_token_hash = null where doctor_id = $1")
        .bind(doctor_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The active doctor a feed token belongs to: (doctor id, display name).
pub async fn by_feed_token(
    pool: &PgPool,
    token: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select doctor_id, doctor_display_name(first_name, last_name) from doctors
         where active and feed_token_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(token)
    .fetch_optional(pool)
    .await
}

/// A doctor's live visits from `from` on: (appointment id, start, end, type, sequence).
pub async fn feed_visits(
    pool: &PgPool,
    doctor_id: i64,
    from: DateTime<Utc>,
) -> Result<Vec<(i64, DateTime<Utc>, DateTime<Utc>, String, i32)>, sqlx::Error> {
    sqlx::query_as(
        "select a.appointment_id, a.start_time, a.end_time, t.name, a.ics_sequence
         from appointments a join appointment_types t using (appointment_type_id)
         where a.doctor_id = $1 and a.status = 'booked' and a.end_time > $2
         order by a.start_time limit 2000",
    )
    .bind(doctor_id)
    .bind(from)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn add_doctor(pool: &PgPool, email: &str, first: &str, last: &str, active: bool) {
        let user_id: i64 = sqlx::query_scalar(
            "insert into users (email, role, password_hash) values ($1, 'doctor', 'x') returning user_id",
        )
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap();
        sqlx::query(
            "insert into doctors (user_id, first_name, last_name, specialty, active)
             values ($1, $2, $3, 'Cardiology', $4)",
        )
        .bind(user_id)
        .bind(first)
        .bind(last)
        .bind(active)
        .execute(pool)
        .await
        .unwrap();
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn lists_only_active_doctors_by_last_name(pool: PgPool) {
        add_doctor(&pool, "z@clinic.test", "Zoe", "Young", true).await;
        add_doctor(&pool, "a@clinic.test", "Amir", "Baker", true).await;
        add_doctor(&pool, "gone@clinic.test", "Gus", "Adams", false).await;

        let names: Vec<String> = list_active(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.display_name)
            .collect();
        assert_eq!(names, ["Dr. Amir Baker", "Dr. Zoe Young"]);
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn emails_are_unique_whatever_their_case(pool: PgPool) {
        add_doctor(&pool, "same@clinic.test", "A", "B", true).await;
        // Stored emails must be lowercase, so a differently-cased duplicate cannot slip in.
        let mixed = sqlx::query("insert into users (email, role, password_hash) values ('Same@clinic.test', 'doctor', 'x')")
            .execute(&pool)
            .await;
        assert!(mixed.is_err());
        let dup = sqlx::query("insert into users (email, role, password_hash) values ('same@clinic.test', 'doctor', 'x')")
            .execute(&pool)
            .await
            .unwrap_err();
        assert_eq!(
            dup.as_database_error().and_then(|e| e.constraint()),
            Some("users_email_key")
        );
    }
}

/// "Dr. First Last", as patients see a doctor named.
pub async fn display_name(
    conn: &mut PgConnection,
    doctor_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select doctor_display_name(first_name, last_name) from doctors where doctor_id = $1",
    )
    .bind(doctor_id)
    .fetch_optional(conn)
    .await
}

pub async fn exists(pool: &PgPool, doctor_id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from doctors where doctor_id = $1)")
        .bind(doctor_id)
        .fetch_one(pool)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffDoctorRow {
    pub doctor_id: i64,
    pub user_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub languages: Vec<String>,
    pub introduction: Option<String>,
    pub email: String,
    pub active: bool,
    pub upcoming: i64,
}

/// Every doctor with their account's email and upcoming visit count, by last name.
pub async fn staff_list(pool: &PgPool) -> Result<Vec<StaffDoctorRow>, sqlx::Error> {
    sqlx::query_as(
        "select d.doctor_id, d.user_id, d.first_name, d.last_name, d.specialty, d.languages,
                d.introduction, u.email, d.active,
                (select count(*) from appointments a
                  where a.doctor_id = d.doctor_id and a.status = 'booked' and a.start_time > now()) as upcoming
         from doctors d join users u using (user_id)
         order by d.last_name, d.first_name, d.doctor_id",
    )
    .fetch_all(pool)
    .await
}

/// A doctor's public profile as staff edit it.
pub struct DoctorDetails<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub specialty: &'a str,
    pub languages: &'a [String],
    pub introduction: Option<&'a str>,
}

pub async fn update_details(
    conn: &mut PgConnection,
    doctor_id: i64,
    d: &DoctorDetails<'_>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update doctors set first_name = $2, last_name = $3, specialty = $4, languages = $5,
                            introduction = $6, updated_at = now()
         where doctor_id = $1",
    )
    .bind(doctor_id)
    .bind(d.first_name)
    .bind(d.last_name)
    .bind(d.specialty)
    .bind(d.languages)
    .bind(d.introduction)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn user_of(pool: &PgPool, doctor_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select user_id from doctors where doctor_id = $1")
        .bind(doctor_id)
        .fetch_optional(pool)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UseRow {
    pub doctor_id: i64,
    pub name: String,
    pub booked: i64,
    pub offered: i64,
}

/// Each active doctor's booked and offered (free, held or booked) slots in `[from, to)`.
pub async fn utilisation(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<UseRow>, sqlx::Error> {
    sqlx::query_as(
        "select d.doctor_id, doctor_display_name(d.first_name, d.last_name) as name,
                count(s.slot_id) filter (where s.status = 'booked') as booked,
                count(s.slot_id) filter (where s.status in ('free', 'held', 'booked')) as offered
         from doctors d
         left join availability_slots s
           on s.doctor_id = d.doctor_id and s.start_time >= $1 and s.start_time < $2
         where d.active
         group by d.doctor_id
         order by d.last_name, d.first_name",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}
