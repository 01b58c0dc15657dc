use sqlx::PgPool;

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
