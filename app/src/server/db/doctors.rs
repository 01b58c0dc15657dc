use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::api::directory::DoctorCard;

#[derive(sqlx::FromRow)]
struct DoctorCardRow {
    doctor_id: i64,
    first_name: String,
    last_name: String,
    specialty: String,
}

/// Active doctors for the public directory, ordered by last name.
pub async fn list_active(pool: &PgPool) -> Result<Vec<DoctorCard>, sqlx::Error> {
    let rows: Vec<DoctorCardRow> = sqlx::query_as(
        "select doctor_id, first_name, last_name, specialty
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
            display_name: format!("Dr. {} {}", r.first_name, r.last_name),
            specialty: r.specialty,
        })
        .collect())
}

/// Whether the doctor may be given a new booking, holding a share lock on their row for
/// the rest of the transaction: deactivating a doctor (which locks the row for update)
/// waits for bookings in flight, and bookings after it see the doctor inactive. So every
/// live appointment of an inactive doctor is one the deactivation saw and queued.
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

    #[sqlx::test(migrator = "crate::server::db::MIGRATOR")]
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

    #[sqlx::test(migrator = "crate::server::db::MIGRATOR")]
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
