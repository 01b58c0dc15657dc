//! The test harness: the real server on port 0 against the test's fresh database, and
//! HTTP clients that keep cookies like a browser.

#![allow(dead_code)]

pub mod authenticator;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use app::db;
use app::services::auth::password::hash_password;
use chrono::Utc;
use domain::role::Role;
use server::config::Config;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};

/// The two-step sealing key of the test servers (32 bytes, base64).
pub const TEST_MFA_KEY: &str = "dGVzdC1rZXktZm9yLXR3by1zdGVwLXNlY3JldHMtMzI=";

/// [`TEST_MFA_KEY`].
pub fn test_key() -> app::services::auth::two_step::TwoStepKey {
    app::services::auth::two_step::TwoStepKey::from_base64(TEST_MFA_KEY).unwrap()
}

pub fn test_config(extra: &[(&str, &str)]) -> Config {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| {
        if name == "DATABASE_URL" {
            return Some("postgres://unused-in-tests/clinic".to_owned());
        }
        if name == "CLINIC_MFA_KEY" && !extra.iter().any(|(k, _)| k == name) {
            return Some(TEST_MFA_KEY.to_owned());
        }
        extra
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("test configuration")
}

pub async fn spawn_app(pool: PgPool) -> String {
    spawn_app_with(pool, &[]).await
}

/// Starts the server with extra configuration variables; returns its base URL.
pub async fn spawn_app_with(pool: PgPool, extra: &[(&str, &str)]) -> String {
    spawn_with_config(pool, test_config(extra)).await
}

pub async fn spawn_with_config(pool: PgPool, config: Config) -> String {
    // Server logs go to the test's captured output (shown for failing tests only).
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let app = server::build_app(pool.clone(), &config)
        .await
        .expect("build app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, app, std::future::pending()));
    let base = format!("http://{addr}");
    databases()
        .lock()
        .unwrap()
        .insert(base.clone(), (*pool.connect_options()).clone());
    base
}

/// How to reach each test server's database, by base URL: signing staff in does (see
/// [`log_in`]). Not the pool itself: kept here, its connections would outlive the test
/// and keep its database from being dropped.
fn databases() -> &'static Mutex<HashMap<String, PgConnectOptions>> {
    static DATABASES: OnceLock<Mutex<HashMap<String, PgConnectOptions>>> = OnceLock::new();
    DATABASES.get_or_init(Default::default)
}

/// A client that keeps cookies and does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Person {
    pub user_id: i64,
    pub email: String,
    /// patient_id or doctor_id
    pub role_id: Option<i64>,
}

/// Creates an account directly in the database (password [`PASSWORD`]); doctors and
/// admins with two-step sign-in on (key [`authenticator::STAFF_SECRET`]), as they must.
pub async fn create_person(pool: &PgPool, role: Role, name: &str) -> Person {
    let person = create_person_without_factor(pool, role, name).await;
    if domain::two_factor::required_for(role) {
        let sealed = test_key().seal(authenticator::STAFF_SECRET).unwrap();
        let mut conn = pool.acquire().await.unwrap();
        db::two_factor::start_enrolment(&mut conn, person.user_id, &sealed, Utc::now())
            .await
            .unwrap();
        // Step 0 accepted: confirmed, and every code from now on is new.
        db::two_factor::accept_step(&mut conn, person.user_id, 0, Utc::now())
            .await
            .unwrap();
    }
    person
}

/// Creates an account directly in the database (password [`PASSWORD`]), without a second
/// factor even where the role requires one (they set it up when they sign in).
pub async fn create_person_without_factor(pool: &PgPool, role: Role, name: &str) -> Person {
    let email = format!("{}@people.test", name.to_lowercase());
    let hash = hash_password(PASSWORD.to_owned()).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let user_id = db::users::insert_user(
        &mut conn,
        &email,
        role,
        &hash,
        Utc::now() - chrono::Duration::seconds(5),
    )
    .await
    .unwrap();
    let role_id = match role {
        Role::Patient => Some(
            db::users::insert_patient(&mut conn, user_id, name, "Test", None)
                .await
                .unwrap(),
        ),
        Role::Doctor => Some(
            db::users::insert_doctor(&mut conn, user_id, name, "Test", "Cardiology")
                .await
                .unwrap(),
        ),
        Role::Admin => None,
    };
    Person {
        user_id,
        email,
        role_id,
    }
}

/// POSTs a server function with form-encoded arguments.
pub async fn call(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(format!("{base}/api/{endpoint}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Signs `client` in; panics unless it works. Doctors and admins made by [`create_person`]
/// give their code after the password.
pub async fn log_in(client: &reqwest::Client, base: &str, email: &str) {
    let response = call(
        client,
        base,
        "log_in",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "sign-in of {email} failed: {body}");
    if body.trim() == "\"SecondStep\"" {
        second_step(client, base, email).await;
    }
}

/// The code after the password, from the person's key ([`authenticator::secret_of`]). A code works once,
/// and tests sign the same person in many times a minute: the harness forgets which
/// step was used last before each (and tries again when another sign-in took it first).
async fn second_step(client: &reqwest::Client, base: &str, email: &str) {
    // The same server by name or by address.
    let database = databases()
        .lock()
        .unwrap()
        .get(&base.replace("//localhost:", "//127.0.0.1:"))
        .cloned()
        .expect("a server started by the harness");
    let mut conn = PgConnection::connect_with(&database).await.unwrap();
    let mut answer = String::new();
    for _ in 0..10 {
        sqlx::query(
            "update totp_factors set last_step = null
              where user_id = (select user_id from users where email = lower($1))",
        )
        .bind(email)
        .execute(&mut conn)
        .await
        .unwrap();
        let code = authenticator::totp(&authenticator::secret_of(email), authenticator::now(), 6);
        let response = call(client, base, "sign_in_code", &[("code", &code)]).await;
        if response.status() == 200 {
            return;
        }
        answer = response.text().await.unwrap();
    }
    panic!("the second step of {email} failed: {answer}");
}

/// Sets up two-step sign-in for the doctor or admin whose password `client` just gave
/// (the answer was "Enrol"), as their authenticator app would: signs them in and returns
/// their new key.
pub async fn enrol(client: &reqwest::Client, base: &str) -> Vec<u8> {
    let begun = call(client, base, "begin_enrolment", &[]).await;
    assert_eq!(begun.status(), 200, "{}", begun.text().await.unwrap());
    let (status, setup) = json(call(client, base, "enrolment_status", &[]).await).await;
    assert_eq!(status, 200, "{setup}");
    let secret = authenticator::base32(setup["setup"]["secret"].as_str().unwrap());
    let code = authenticator::totp(&secret, authenticator::now(), 6);
    let done = call(client, base, "confirm_enrolment", &[("code", &code)]).await;
    assert_eq!(done.status(), 200, "{}", done.text().await.unwrap());
    secret
}

/// Gives each doctor hours from `start` to `end` every day (from yesterday on), then makes
/// everyone's slots up to the booking horizon.
pub async fn daily_hours_and_slots(pool: &PgPool, doctors: &[&Person], start: &str, end: &str) {
    for doctor in doctors {
        sqlx::query(
            "insert into weekly_hours (doctor_id, weekday, start_time, end_time, effective_from)
             select $1, d, $2::time, $3::time, current_date - 1 from generate_series(1, 7) d",
        )
        .bind(doctor.role_id)
        .bind(start)
        .bind(end)
        .execute(pool)
        .await
        .unwrap();
    }
    let policy = db::settings::clinic_policy(pool).await.unwrap();
    app::services::schedule::materialize_slots(pool, &policy, Utc::now())
        .await
        .unwrap();
}

/// The first free slot's start more than a day ahead (outside every notice rule).
pub async fn first_free_time_after_a_day(pool: &PgPool) -> chrono::DateTime<Utc> {
    sqlx::query_scalar(
        "select min(start_time) from availability_slots
          where status = 'free' and start_time > now() + interval '1 day'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A response's status and its body as JSON (or as a JSON string when it is not JSON).
pub async fn json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// A valid weekly-hours form: every weekday 09:00–17:00 from `days` ahead.
pub fn hours_arguments(days: i64) -> Vec<(&'static str, String)> {
    let from = (Utc::now() + chrono::Duration::days(days)).date_naive();
    let mut pairs = vec![("from", from.to_string())];
    for day in domain::hours::WEEKDAY_FIELDS {
        pairs.push((day, "09:00-17:00".to_owned()));
    }
    pairs
}

/// The product defaults, as the settings form sends them.
pub fn settings_arguments() -> Vec<(&'static str, String)> {
    [
        ("clinic_name", "Clinic Scheduler"),
        ("clinic_phone", ""),
        ("clinic_email", ""),
        ("clinic_address", ""),
        ("time_zone", "America/New_York"),
        ("slot_minutes", "30"),
        ("booking_horizon_days", "60"),
        ("min_notice_minutes", "120"),
        ("hold_minutes", "5"),
        ("change_freeze_minutes", "1440"),
        ("max_changes_per_appointment", "3"),
        ("max_active_appointments", "3"),
        ("reminder_lead_minutes", "1440"),
        ("notification_debounce_minutes", "5"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

/// The waitlist settings' defaults, as their form sends them.
pub fn waitlist_settings_arguments() -> Vec<(&'static str, String)> {
    [
        ("wave_size", "3"),
        ("wave_minutes", "15"),
        ("offer_minutes", "120"),
        ("daily_cap", "3"),
        ("quiet_start", "21:00"),
        ("quiet_end", "08:00"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

/// The message settings form with the clinic's defaults (no second reminder, US numbers).
pub fn message_settings_arguments() -> Vec<(&'static str, String)> {
    vec![
        ("second_reminder_minutes", String::new()),
        ("phone_region", "US".to_owned()),
    ]
}

/// A booked Standard visit of `patient` with `doctor`, `hours` from now (negative: in the
/// past), written directly (the slot grid is not needed to look a visit up). Its id.
pub async fn visit(pool: &PgPool, patient: &Person, doctor: &Person, hours: i64) -> i64 {
    sqlx::query_scalar(
        "insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time,
                                   reason, booked_by_user_id, booked_by_role, idempotency_key)
         values ($1, $2, 1, now() + make_interval(hours => $4::int),
                 now() + make_interval(hours => $4::int, mins => 30),
                 'private reason', $3, 'patient', gen_random_uuid())
         returning appointment_id",
    )
    .bind(patient.role_id)
    .bind(doctor.role_id)
    .bind(patient.user_id)
    .bind(hours as i32)
    .fetch_one(pool)
    .await
    .unwrap()
}
