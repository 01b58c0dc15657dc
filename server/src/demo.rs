//! Demo data for local use (`cargo xtask run` loads it once): a named clinic, eight
//! doctors, one admin and three patients, all sharing [`DEMO_PASSWORD`]. Never run this
//! against a production database: it creates accounts with a published password.

use app::server::auth::password::hash_password;
use app::AppError;
use sqlx::PgPool;

pub const DEMO_PASSWORD: &str = "clinic-demo-2026";
pub const DEMO_ADMIN: &str = "admin@riverside.test";

/// (first, last, specialty, email)
pub const DEMO_DOCTORS: [(&str, &str, &str, &str); 8] = [
    ("Ada", "Okafor", "Cardiology", "ada.okafor@riverside.test"),
    (
        "José",
        "Martínez",
        "Family medicine",
        "jose.martinez@riverside.test",
    ),
    ("Mei", "Chen", "Pediatrics", "mei.chen@riverside.test"),
    (
        "Samuel",
        "Adeyemi",
        "Dermatology",
        "samuel.adeyemi@riverside.test",
    ),
    (
        "Priya",
        "Raman",
        "Internal medicine",
        "priya.raman@riverside.test",
    ),
    (
        "Lena",
        "Fischer",
        "Family medicine",
        "lena.fischer@riverside.test",
    ),
    (
        "Tomás",
        "Novak",
        "Sports medicine",
        "tomas.novak@riverside.test",
    ),
    (
        "Hannah",
        "Goldberg",
        "Obstetrics and gynecology",
        "hannah.goldberg@riverside.test",
    ),
];

/// (first, last, phone, email)
pub const DEMO_PATIENTS: [(&str, &str, Option<&str>, &str); 3] = [
    (
        "Alice",
        "Moreno",
        Some("+1 555 010 4411"),
        "alice@example.test",
    ),
    ("Ben", "Carter", None, "ben@example.test"),
    (
        "Chloe",
        "Nguyen",
        Some("+1 555 010 7788"),
        "chloe@example.test",
    ),
];

/// Loads the demo data unless it is already there. Returns whether anything was added.
pub async fn seed_demo(pool: &PgPool) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    // Two servers started at once must not both seed.
    sqlx::query("select pg_advisory_xact_lock(hashtext('clinic-demo-seed'))")
        .execute(&mut *tx)
        .await?;
    let seeded: bool = sqlx::query_scalar("select exists (select 1 from users where email = $1)")
        .bind(DEMO_ADMIN)
        .fetch_one(&mut *tx)
        .await?;
    if seeded {
        return Ok(false);
    }

    sqlx::query(
        "update clinic_settings set clinic_name = 'Riverside Family Clinic',
                clinic_phone = '+1 (555) 010-2030', clinic_email = 'frontdesk@riverside.test',
                clinic_address = '120 River Street, Springfield', updated_at = now()",
    )
    .execute(&mut *tx)
    .await?;

    let hash = |_: &str| hash_password(DEMO_PASSWORD.to_owned());

    sqlx::query("insert into users (email, role, password_hash) values ($1, 'admin', $2)")
        .bind(DEMO_ADMIN)
        .bind(hash(DEMO_ADMIN).await?)
        .execute(&mut *tx)
        .await?;

    for (first, last, specialty, email) in DEMO_DOCTORS {
        sqlx::query(
            "with u as (insert into users (email, role, password_hash) values ($1, 'doctor', $2) returning user_id)
             insert into doctors (user_id, first_name, last_name, specialty)
             select user_id, $3, $4, $5 from u",
        )
        .bind(email)
        .bind(hash(email).await?)
        .bind(first)
        .bind(last)
        .bind(specialty)
        .execute(&mut *tx)
        .await?;
    }

    for (first, last, phone, email) in DEMO_PATIENTS {
        sqlx::query(
            "with u as (insert into users (email, role, password_hash) values ($1, 'patient', $2) returning user_id)
             insert into patients (user_id, first_name, last_name, phone)
             select user_id, $3, $4, $5 from u",
        )
        .bind(email)
        .bind(hash(email).await?)
        .bind(first)
        .bind(last)
        .bind(phone)
        .execute(&mut *tx)
        .await?;
    }

    tx.commit().await?;
    Ok(true)
}
