//! Patients as the staff find and record them. A patient may have no user row (recorded
//! by phone without an email address) or a user row without a password (recorded with
//! an address; invited to choose one).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PatientRow {
    pub patient_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub sms_opt_in: bool,
    pub user_id: Option<i64>,
    pub has_password: bool,
    pub email_verified: bool,
    pub disabled: bool,
    pub upcoming: i64,
}

const PATIENT_ROW: &str = "select p.patient_id, p.first_name, p.last_name, u.email, p.phone, p.sms_opt_in,
        p.user_id, coalesce(u.password_hash is not null, false) as has_password,
        coalesce(u.email_verified_at is not null, false) as email_verified,
        coalesce(u.disabled_at is not null, false) as disabled,
        (select count(*) from appointments a
          where a.patient_id = p.patient_id and a.status = 'booked' and a.start_time > now()) as upcoming
     from patients p left join users u on u.user_id = p.user_id";

/// Patients whose name, email or phone contains `text` (phone compared by digits),
/// by last name; `limit` rows from `offset`.
pub async fn search(
    pool: &PgPool,
    text: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<PatientRow>, sqlx::Error> {
    let needle = super::contains_pattern(text);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    // Fewer than three digits would match nearly every phone number.
    let digits = (digits.len() >= 3).then(|| format!("%{digits}%"));
    sqlx::query_as(&format!(
        "{PATIENT_ROW}
         where lower(p.first_name || ' ' || p.last_name) like $1
            or u.email like $1
            or ($2::text is not null and regexp_replace(coalesce(p.phone, ''), '[^0-9]', '', 'g') like $2)
         order by p.last_name, p.first_name, p.patient_id
         limit $3 offset $4"
    ))
    .bind(needle)
    .bind(digits)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

pub async fn by_id(
    conn: &mut PgConnection,
    patient_id: i64,
) -> Result<Option<PatientRow>, sqlx::Error> {
    sqlx::query_as(&format!("{PATIENT_ROW} where p.patient_id = $1"))
        .bind(patient_id)
        .fetch_optional(conn)
        .await
}

/// A user row for a patient the staff recorded with an email address: no password (it
/// cannot sign in until the patient chooses one), address not yet confirmed.
pub async fn insert_passwordless_user(
    conn: &mut PgConnection,
    email: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into users (email, role, password_hash, sessions_valid_after, created_at, updated_at)
         values ($1, 'patient', null, $2, $2, $2) returning user_id",
    )
    .bind(email)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    user_id: Option<i64>,
    first_name: &str,
    last_name: &str,
    phone: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into patients (user_id, first_name, last_name, phone) values ($1, $2, $3, $4) returning patient_id",
    )
    .bind(user_id)
    .bind(first_name)
    .bind(last_name)
    .bind(phone)
    .fetch_one(conn)
    .await
}

/// Whether an account uses this address already.
pub async fn email_taken(conn: &mut PgConnection, email: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from users where email = $1)")
        .bind(email)
        .fetch_one(conn)
        .await
}

/// A patient's own details, as their profile page shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub sms_opt_in: bool,
}

/// The details of a patient with an account.
pub async fn profile(pool: &PgPool, patient_id: i64) -> Result<Profile, sqlx::Error> {
    sqlx::query_as(
        "select p.first_name, p.last_name, u.email, p.phone, p.sms_opt_in
         from patients p join users u on u.user_id = p.user_id where p.patient_id = $1",
    )
    .bind(patient_id)
    .fetch_one(pool)
    .await
}

pub async fn update_profile(
    pool: &PgPool,
    patient_id: i64,
    first_name: &str,
    last_name: &str,
    phone: Option<&str>,
    sms_opt_in: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update patients set first_name = $2, last_name = $3, phone = $4, sms_opt_in = $5, updated_at = now()
         where patient_id = $1",
    )
    .bind(patient_id)
    .bind(first_name)
    .bind(last_name)
    .bind(phone)
    .bind(sms_opt_in)
    .execute(pool)
    .await?;
    Ok(())
}

/// Patients whose stored number is not in E.164 yet: (patient, number).
pub async fn phones_not_e164(pool: &PgPool) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select patient_id, phone from patients
          where phone is not null and phone !~ '^\\+[1-9][0-9]{6,14}$'",
    )
    .fetch_all(pool)
    .await
}

pub async fn set_phone(pool: &PgPool, patient_id: i64, phone: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update patients set phone = $2 where patient_id = $1")
        .bind(patient_id)
        .bind(phone)
        .execute(pool)
        .await?;
    Ok(())
}

/// A patient a text came from (by their stored number).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TextingPatient {
    pub patient_id: i64,
    pub user_id: Option<i64>,
}

pub async fn by_phone(
    conn: &mut PgConnection,
    phone: &str,
) -> Result<Vec<TextingPatient>, sqlx::Error> {
    sqlx::query_as(
        "select patient_id, user_id from patients where phone = $1 order by patient_id limit 10",
    )
    .bind(phone)
    .fetch_all(conn)
    .await
}

/// Turns texts on or off for every patient with this number. Returns how many.
pub async fn set_sms_opt_in_by_phone(
    conn: &mut PgConnection,
    phone: &str,
    on: bool,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update patients set sms_opt_in = $2, updated_at = now() where phone = $1 and sms_opt_in <> $2",
    )
    .bind(phone)
    .bind(on)
    .execute(conn)
    .await?
    .rows_affected())
}
