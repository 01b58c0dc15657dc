//! Hostile and random values for every argument of every registered server function,
//! under every body encoding a client can choose (a form, the same text labelled
//! `text/plain` or not labelled at all, JSON, multipart): never a 5xx, never a body that
//! shows internals, never a panic or an internal error in the log, and when a call is
//! refused nothing changed. The access matrix's list of server functions is the source of truth;
//! a new server function without a row in [`ARGUMENTS`] fails this test.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use domain::role::Role;
use sqlx::PgPool;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Patient,
    Doctor,
    Admin,
    /// A doctor or admin between their password and setting up two-step sign-in.
    Enrolling,
}

/// Every server function: who calls it (one allowed to), and its arguments.
const ARGUMENTS: &[(&str, Caller, &[&str])] = &[
    ("clinic_directory", Caller::Anonymous, &[]),
    ("clinic_profile", Caller::Anonymous, &[]),
    ("current_user", Caller::Anonymous, &[]),
    ("log_in", Caller::Anonymous, &["email", "password", "next"]),
    ("request_password_reset", Caller::Anonymous, &["email"]),
    ("resend_verification", Caller::Anonymous, &["email"]),
    ("verify_email", Caller::Anonymous, &["token", "next"]),
    (
        "reset_password",
        Caller::Anonymous,
        &["token", "new_password"],
    ),
    (
        "sign_up",
        Caller::Anonymous,
        &[
            "first_name",
            "last_name",
            "email",
            "phone",
            "password",
            "next",
        ],
    ),
    (
        "change_password",
        Caller::Patient,
        &["current_password", "new_password"],
    ),
    ("sign_in_code", Caller::Anonymous, &["code", "next"]),
    ("two_step_status", Caller::Patient, &[]),
    ("begin_two_step", Caller::Patient, &[]),
    ("confirm_two_step", Caller::Patient, &["code"]),
    ("fresh_recovery_codes", Caller::Patient, &[]),
    ("new_recovery_codes", Caller::Patient, &[]),
    ("turn_off_two_step", Caller::Patient, &["code"]),
    (
        "join_waitlist",
        Caller::Patient,
        &[
            "appointment_id",
            "appointment_type_id",
            "for_patient",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "part_of_day",
            "not_before",
        ],
    ),
    ("leave_waitlist", Caller::Patient, &["waitlist_entry_id"]),
    ("my_waitlist", Caller::Patient, &[]),
    ("waitlist_offer", Caller::Anonymous, &["token"]),
    ("take_waitlist_offer", Caller::Anonymous, &["token"]),
    ("leave_waitlist_by_offer", Caller::Anonymous, &["token"]),
    ("visit_link", Caller::Anonymous, &["purpose", "token"]),
    ("confirm_visit_by_link", Caller::Anonymous, &["token"]),
    ("cancel_visit_by_link", Caller::Anonymous, &["token"]),
    ("passkey_add_options", Caller::Patient, &[]),
    ("add_passkey", Caller::Patient, &["name", "credential"]),
    ("remove_passkey", Caller::Patient, &["passkey_id"]),
    ("passkey_sign_in_options", Caller::Anonymous, &[]),
    ("sign_in_with_passkey", Caller::Anonymous, &["credential"]),
    ("passkey_second_step_options", Caller::Anonymous, &[]),
    (
        "second_step_with_passkey",
        Caller::Anonymous,
        &["credential"],
    ),
    ("enrolment_status", Caller::Enrolling, &[]),
    ("begin_enrolment", Caller::Enrolling, &["next"]),
    ("confirm_enrolment", Caller::Enrolling, &["code", "next"]),
    ("reset_two_step", Caller::Admin, &["user_id", "reason"]),
    ("list_accounts", Caller::Admin, &[]),
    (
        "create_account",
        Caller::Admin,
        &[
            "role",
            "first_name",
            "last_name",
            "email",
            "password",
            "specialty",
        ],
    ),
    (
        "set_account_disabled",
        Caller::Admin,
        &["user_id", "disabled"],
    ),
    ("my_appointments", Caller::Patient, &[]),
    ("appointment_detail", Caller::Patient, &["appointment_id"]),
    (
        "finder_week",
        Caller::Anonymous,
        &["appointment_type_id", "week", "doctor", "moving"],
    ),
    ("doctor_choice", Caller::Patient, &["appointment_type_id"]),
    ("get_hold", Caller::Patient, &["token"]),
    (
        "release_hold",
        Caller::Patient,
        &["hold", "appointment_type_id"],
    ),
    (
        "move_preview",
        Caller::Patient,
        &["appointment_id", "start"],
    ),
    (
        "confirm_booking",
        Caller::Patient,
        &["hold", "reason", "idempotency_key", "answer_1", "answer_5"],
    ),
    (
        "hold_time",
        Caller::Patient,
        &["start", "appointment_type_id", "doctor", "for_patient"],
    ),
    (
        "reschedule_appointment",
        Caller::Patient,
        &["appointment_id", "start"],
    ),
    ("cancel_appointment", Caller::Patient, &["appointment_id"]),
    ("confirm_my_visit", Caller::Patient, &["appointment_id"]),
    ("visit_record", Caller::Doctor, &["appointment_id"]),
    ("my_profile", Caller::Patient, &[]),
    (
        "update_profile",
        Caller::Patient,
        &["first_name", "last_name", "phone", "sms_opt_in"],
    ),
    ("doctor_week", Caller::Doctor, &["week"]),
    (
        "preview_block",
        Caller::Doctor,
        &["from_date", "to_date", "from_time", "to_time", "note"],
    ),
    (
        "block_time",
        Caller::Doctor,
        &["from_date", "to_date", "from_time", "to_time", "note"],
    ),
    (
        "unblock_time",
        Caller::Doctor,
        &["from_date", "to_date", "from_time", "to_time"],
    ),
    (
        "set_visit_outcome",
        Caller::Doctor,
        &["appointment_id", "outcome"],
    ),
    ("calendar_feed", Caller::Doctor, &[]),
    ("revoke_calendar_feed", Caller::Doctor, &[]),
    ("weekly_hours", Caller::Doctor, &[]),
    (
        "preview_hours",
        Caller::Doctor,
        &[
            "from",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ],
    ),
    (
        "save_hours",
        Caller::Doctor,
        &[
            "from",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ],
    ),
    (
        "accept_invitation",
        Caller::Anonymous,
        &["token", "new_password"],
    ),
    ("find_patients", Caller::Admin, &["query", "page"]),
    ("open_patient", Caller::Admin, &["patient_id"]),
    (
        "record_patient",
        Caller::Admin,
        &["first_name", "last_name", "email", "phone", "invite"],
    ),
    ("invite_patient", Caller::Admin, &["patient_id"]),
    (
        "search_appointments",
        Caller::Admin,
        &["from", "to", "doctor_id", "patient", "status", "page"],
    ),
    (
        "staff_open_times",
        Caller::Admin,
        &["date", "appointment_type_id"],
    ),
    (
        "staff_book",
        Caller::Admin,
        &[
            "patient_id",
            "start",
            "appointment_type_id",
            "reason",
            "override_reason",
        ],
    ),
    (
        "staff_reschedule",
        Caller::Admin,
        &["appointment_id", "start", "override_reason"],
    ),
    (
        "staff_cancel",
        Caller::Admin,
        &["appointment_id", "override_reason"],
    ),
    ("appointment_messages", Caller::Admin, &["appointment_id"]),
    ("staff_confirm_visit", Caller::Admin, &["appointment_id"]),
    ("list_holidays", Caller::Admin, &[]),
    ("preview_holiday", Caller::Admin, &["date", "name"]),
    ("add_holiday", Caller::Admin, &["date", "name"]),
    ("remove_holiday", Caller::Admin, &["date"]),
    ("attention_queue", Caller::Admin, &[]),
    (
        "resolve_attention",
        Caller::Admin,
        &["item_id", "action", "start", "note"],
    ),
    ("list_doctors", Caller::Admin, &[]),
    (
        "update_doctor",
        Caller::Admin,
        &[
            "doctor_id",
            "first_name",
            "last_name",
            "specialty",
            "languages",
            "introduction",
        ],
    ),
    ("doctor_hours_for", Caller::Admin, &["doctor_id"]),
    (
        "preview_doctor_hours",
        Caller::Admin,
        &[
            "doctor_id",
            "from",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ],
    ),
    (
        "save_doctor_hours",
        Caller::Admin,
        &[
            "doctor_id",
            "from",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ],
    ),
    (
        "preview_doctor_leave",
        Caller::Admin,
        &[
            "doctor_id",
            "from_date",
            "to_date",
            "from_time",
            "to_time",
            "note",
        ],
    ),
    (
        "doctor_leave",
        Caller::Admin,
        &[
            "doctor_id",
            "from_date",
            "to_date",
            "from_time",
            "to_time",
            "note",
        ],
    ),
    ("preview_deactivation", Caller::Admin, &["doctor_id"]),
    ("set_doctor_active", Caller::Admin, &["doctor_id", "active"]),
    ("get_clinic_settings", Caller::Admin, &[]),
    ("get_message_settings", Caller::Admin, &[]),
    (
        "update_message_settings",
        Caller::Admin,
        &["second_reminder_minutes", "phone_region"],
    ),
    (
        "update_settings",
        Caller::Admin,
        &[
            "clinic_name",
            "clinic_phone",
            "clinic_email",
            "clinic_address",
            "time_zone",
            "slot_minutes",
            "booking_horizon_days",
            "min_notice_minutes",
            "hold_minutes",
            "change_freeze_minutes",
            "max_changes_per_appointment",
            "max_active_appointments",
            "reminder_lead_minutes",
            "notification_debounce_minutes",
        ],
    ),
    ("outbox", Caller::Admin, &["status", "page"]),
    ("retry_notifications", Caller::Admin, &["notification_id"]),
    (
        "audit_log",
        Caller::Admin,
        &["patient_id", "actor", "action", "from", "to", "page"],
    ),
    ("verify_audit_chain", Caller::Admin, &[]),
    ("staff_today", Caller::Admin, &[]),
    ("staff_waitlist", Caller::Admin, &[]),
    (
        "staff_join_waitlist",
        Caller::Admin,
        &[
            "patient_id",
            "appointment_id",
            "appointment_type_id",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "part_of_day",
            "not_before",
        ],
    ),
    (
        "staff_leave_waitlist",
        Caller::Admin,
        &["waitlist_entry_id"],
    ),
    (
        "update_waitlist_settings",
        Caller::Admin,
        &[
            "wave_size",
            "wave_minutes",
            "offer_minutes",
            "daily_cap",
            "quiet_start",
            "quiet_end",
        ],
    ),
    ("staff_visit_types", Caller::Admin, &[]),
    ("staff_bookable_types", Caller::Admin, &[]),
    (
        "save_visit_type",
        Caller::Admin,
        &[
            "appointment_type_id",
            "name",
            "slot_count",
            "buffer_minutes",
            "online",
            "all_doctors",
            "doctors[0]",
            "note",
            "questions[0][prompt]",
            "questions[0][kind]",
            "intent",
        ],
    ),
    (
        "set_visit_type_active",
        Caller::Admin,
        &["appointment_type_id", "active"],
    ),
    ("my_family", Caller::Patient, &[]),
    ("booking_for", Caller::Patient, &[]),
    (
        "add_person",
        Caller::Patient,
        &[
            "first_name",
            "last_name",
            "date_of_birth",
            "relationship",
            "email",
            "phone",
        ],
    ),
    ("remove_person", Caller::Patient, &["patient_id"]),
    ("invite_person", Caller::Patient, &["patient_id", "email"]),
    ("revoke_carer", Caller::Patient, &["carer_patient_id"]),
    ("regrant_carer", Caller::Patient, &["carer_patient_id"]),
    ("staff_family", Caller::Admin, &["patient_id"]),
    (
        "staff_add_person",
        Caller::Admin,
        &[
            "carer_patient_id",
            "first_name",
            "last_name",
            "date_of_birth",
            "relationship",
            "email",
            "phone",
            "reason",
        ],
    ),
    (
        "staff_link_person",
        Caller::Admin,
        &["carer_patient_id", "patient_id", "relationship", "reason"],
    ),
    (
        "staff_unlink_person",
        Caller::Admin,
        &["carer_patient_id", "patient_id", "reason"],
    ),
    (
        "staff_invite_person",
        Caller::Admin,
        &["patient_id", "email"],
    ),
    ("log_out", Caller::Anonymous, &[]),
];

fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "",
        " ",
        "a\u{0}b",
        "line\r\nSet-Cookie: stolen=1",
        "tab\there",
        "\u{7}\u{1b}[31m",
        "-9223372036854775809",
        "9223372036854775808",
        "99999999999999999999999",
        "-1",
        "0",
        "1.5",
        "NaN",
        "-262143-01-01",
        "+262142-12-31",
        "+262142-12-31T23:59:59Z",
        "-262143-01-01T00:00:00Z",
        "+262143-12-31T23:59:59.999999999+23:59",
        // Both ends of the range a client may name (domain::bounded), and just past them.
        "1900-01-01",
        "2199-12-31",
        "1899-12-31",
        "2200-01-01",
        "1900-01-01T00:00:00Z",
        "2199-12-31T23:59:59Z",
        "2199-12-31T23:30:00-12:00",
        "1900-01-01T00:00:00+14:00",
        "2026-02-30",
        "2026-11-23T10:00:00+25:00",
        "not-a-uuid",
        "00000000-0000-0000-0000-000000000000",
        "true",
        "/\t/evil.example",
        "//evil.example",
        "https://evil.example/",
        "<script>alert(1)</script>",
        "' or 1=1 --",
        "Zoë 😀",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    values.push("x".repeat(5_000));
    values.push("y".repeat(1_000_000));
    // A few pseudo-random strings of printable and unprintable characters.
    let mut seed: u64 = 0x5eed;
    for _ in 0..6 {
        let text: String = (0..(seed % 40 + 1))
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from_u32((seed >> 40) as u32 % 0x2FF).unwrap_or('?')
            })
            .collect();
        values.push(text);
    }
    values
}

/// Counts ERROR events (internal errors are logged at ERROR).
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<String>>>);
impl<S: tracing::Subscriber> Layer<S> for Errors {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            struct V(String);
            impl tracing::field::Visit for V {
                fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    self.0.push_str(&format!("{}={v:?} ", f.name()));
                }
            }
            let mut v = V(String::new());
            event.record(&mut v);
            self.0.lock().unwrap().push(v.0);
        }
    }
}

/// A fingerprint of the data a refused call must not change (attempt and audit logs may).
async fn fingerprint(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "select concat_ws('|',
            (select count(*) || ':' || coalesce(sum(hashtext(status || start_time::text || doctor_id::text || change_count::text)), 0) from appointments),
            (select count(*) || ':' || coalesce(sum(hashtext(status || coalesce(hold_token::text, ''))), 0) from availability_slots),
            (select count(*) || ':' || coalesce(sum(hashtext(email || password_hash || coalesce(disabled_at::text, ''))), 0) from users),
            (select count(*) || ':' || coalesce(sum(hashtext(first_name || last_name || coalesce(phone, '') || sms_opt_in::text)), 0) from patients),
            (select count(*) from notifications))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[test]
fn hostile_values_for_every_argument_of_every_server_function() {
    let errors = Errors::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(errors.clone()))
        .unwrap();
    let panics = Arc::new(AtomicUsize::new(0));
    let counted = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(errors, panics));
}

async fn run(errors: Errors, panics: Arc<AtomicUsize>) {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let tabled: BTreeSet<String> = ARGUMENTS.iter().map(|(e, _, _)| (*e).to_owned()).collect();
    assert_eq!(
        registered, tabled,
        "every server function needs a row in ARGUMENTS"
    );

    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (cargo xtask test sets it)");
    let admin_pool = PgPool::connect(&url).await.unwrap();
    let name = format!("hostile_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {name}"))
        .execute(&admin_pool)
        .await
        .unwrap();
    let db_url = format!("{}/{name}", url.rsplit_once('/').unwrap().0);
    let pool = PgPool::connect(&db_url).await.unwrap();
    app::db::MIGRATOR.run(&pool).await.unwrap();
    devdata::demo::seed_demo(&pool, &common::test_key())
        .await
        .unwrap();
    let base = spawn_app(pool.clone()).await;

    let patient = create_person(&pool, Role::Patient, "Hostile").await;
    let bystander = create_person(&pool, Role::Patient, "Bystander").await;
    let admin = create_person(&pool, Role::Admin, "Hostadmin").await;
    let doctor = create_person(&pool, Role::Doctor, "Hostdoc").await;
    let (as_patient, as_admin, as_doctor) = (client(), client(), client());
    log_in(&as_patient, &base, &patient.email).await;
    log_in(&as_admin, &base, &admin.email).await;
    log_in(&as_doctor, &base, &doctor.email).await;
    let newcomer = create_person_without_factor(&pool, Role::Doctor, "Hostnew").await;
    let as_enrolling = client();
    let step = call(
        &as_enrolling,
        &base,
        "log_in",
        &[("email", &newcomer.email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(step.text().await.unwrap(), "\"Enrol\"");

    let values = hostile_values();
    let mut problems = Vec::new();
    let mut calls = 0;
    let mut n = 0;
    for (endpoint, caller, fields) in ARGUMENTS {
        if *endpoint == "log_out" {
            continue; // would end the sessions the other calls use; called last below
        }
        let browser = match caller {
            Caller::Anonymous => client(),
            Caller::Patient => as_patient.clone(),
            Caller::Admin => as_admin.clone(),
            Caller::Doctor => as_doctor.clone(),
            Caller::Enrolling => as_enrolling.clone(),
        };
        let mut bodies: Vec<(String, Vec<u8>, &str)> = Vec::new();
        for field in *fields {
            for value in &values {
                n += 1;
                let mut form = plausible(endpoint, n, bystander.user_id);
                form.retain(|(k, _)| k != field);
                form.push((field.to_string(), value.clone()));
                let body = serde_urlencoded::to_string(&form).unwrap().into_bytes();
                bodies.push((
                    format!("{field}={:.30?}", value),
                    body,
                    "application/x-www-form-urlencoded",
                ));
            }
            // Not UTF-8, and the field given twice.
            bodies.push((
                format!("{field}=<not utf-8>"),
                format!("{field}=%FF%FE%80").into_bytes(),
                "application/x-www-form-urlencoded",
            ));
            bodies.push((
                format!("{field} twice"),
                format!("{field}=1&{field}=2").into_bytes(),
                "application/x-www-form-urlencoded",
            ));
        }
        bodies.push((
            "empty body".into(),
            Vec::new(),
            "application/x-www-form-urlencoded",
        ));
        bodies.push((
            "JSON as a form".into(),
            br#"{"email":"a@b.c"}"#.to_vec(),
            "application/x-www-form-urlencoded",
        ));
        bodies.push((
            "3 MB body".into(),
            vec![b'a'; 3 * 1024 * 1024],
            "application/x-www-form-urlencoded",
        ));

        for (what, body, content_type) in bodies {
            calls += 1;
            let before = fingerprint(&pool).await;
            let Some(status) = send(
                &browser,
                &base,
                endpoint,
                Some(content_type),
                body,
                &what,
                &mut problems,
            )
            .await
            else {
                continue;
            };
            if status >= 400 && fingerprint(&pool).await != before {
                problems.push(format!(
                    "{endpoint} {what}: refused with {status} but data changed"
                ));
            }
        }

        // Every value again, in every argument at once, under each other encoding. A
        // body that is not a form is refused at the door whatever it holds (Leptos would
        // decode it as a form, past the text rule), so the data is compared once for the
        // whole batch.
        let before = fingerprint(&pool).await;
        let mut all_refused = true;
        for value in &values {
            n += 1;
            let mut form = plausible(endpoint, n, bystander.user_id);
            form.retain(|(k, _)| !fields.contains(&k.as_str()));
            form.extend(fields.iter().map(|f| (f.to_string(), value.clone())));
            for (label, content_type, body) in other_encodings(&form) {
                calls += 1;
                let what = format!("{label} all={value:.30?}");
                let carries_arguments = !body.is_empty();
                let too_large = body.len() > server::api_hygiene::MAX_BODY_BYTES;
                let status = send(
                    &browser,
                    &base,
                    endpoint,
                    content_type,
                    body,
                    &what,
                    &mut problems,
                )
                .await;
                // One decoding path: a body that is not a form is not read at all.
                let expected = if too_large { 413 } else { 415 };
                if carries_arguments && status.is_some_and(|s| s != expected) {
                    problems.push(format!("{endpoint} {what}: {status:?}, not {expected}"));
                }
                all_refused &= status.is_some_and(|s| s >= 400);
            }
        }
        if all_refused && fingerprint(&pool).await != before {
            problems.push(format!(
                "{endpoint}: other encodings were refused but data changed"
            ));
        }
    }
    let bye = as_patient
        .post(format!("{base}/api/log_out"))
        .form(&[("x", "\u{0}")])
        .send()
        .await
        .unwrap();
    assert!(bye.status().as_u16() < 500);

    println!("hostile inputs: {calls} calls");
    let logged = errors.0.lock().unwrap().clone();
    assert!(
        problems.is_empty() && logged.is_empty() && panics.load(Ordering::SeqCst) == 0,
        "{} problems in {calls} calls: {:#?}\nerrors logged: {:#?}\npanics: {}",
        problems.len(),
        &problems[..problems.len().min(40)],
        &logged[..logged.len().min(10)],
        panics.load(Ordering::SeqCst)
    );
    pool.close().await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&admin_pool)
        .await
        .unwrap();
}

/// Sends one call; records a 5xx, a body showing internals or no answer as a problem.
/// Returns the status when there was an answer.
async fn send(
    browser: &reqwest::Client,
    base: &str,
    endpoint: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    what: &str,
    problems: &mut Vec<String>,
) -> Option<u16> {
    let mut request = browser.post(format!("{base}/api/{endpoint}")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            problems.push(format!("{endpoint} {what}: no answer ({e})"));
            return None;
        }
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if status >= 500 {
        problems.push(format!("{endpoint} {what}: {status} {text:.200}"));
    }
    if let Some(marker) = shows_internals(&text) {
        problems.push(format!(
            "{endpoint} {what}: {status} shows {marker:?}: {text:.200}"
        ));
    }
    Some(status)
}

/// Words that only the database, the driver or a crash would put in an answer.
fn shows_internals(body: &str) -> Option<&'static str> {
    const MARKERS: &[&str] = &[
        "sqlx",
        "SQLSTATE",
        "postgres",
        "panicked",
        "syntax error at",
        "violates",
        "relation \"",
        "column \"",
        "timestamp out of range",
        "invalid byte sequence",
        "stack backtrace",
        "RUST_BACKTRACE",
    ];
    MARKERS.iter().copied().find(|m| body.contains(m))
}

/// `form` under each encoding but the form one: the urlencoded text labelled
/// `text/plain`, the same without a label, JSON and multipart.
fn other_encodings(
    form: &[(String, String)],
) -> Vec<(&'static str, Option<&'static str>, Vec<u8>)> {
    let urlencoded = serde_urlencoded::to_string(form).unwrap().into_bytes();
    let json = serde_json::Value::Object(
        form.iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    );
    const BOUNDARY: &str = "hostileBoundary7MA4YWxkTrZu0gW";
    let mut multipart = Vec::new();
    for (k, v) in form {
        multipart.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    multipart.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    vec![
        ("text/plain", Some("text/plain"), urlencoded.clone()),
        ("no content type", None, urlencoded),
        (
            "JSON",
            Some("application/json"),
            serde_json::to_vec(&json).unwrap(),
        ),
        (
            "multipart",
            Some("multipart/form-data; boundary=hostileBoundary7MA4YWxkTrZu0gW"),
            multipart,
        ),
    ]
}

/// Otherwise sensible arguments, so each hostile value is tested on its own.
fn plausible(endpoint: &str, n: usize, bystander_user_id: i64) -> Vec<(String, String)> {
    let pairs: Vec<(&str, String)> = match endpoint {
        "log_in" => vec![
            ("email", format!("nobody{n}@example.test")),
            ("password", "wrong password".into()),
        ],
        "sign_up" => vec![
            ("first_name", "Hos".into()),
            ("last_name", "Tile".into()),
            ("email", format!("hostile{n}@people.test")),
            ("password", "a long enough passphrase".into()),
        ],
        "request_password_reset" | "resend_verification" => {
            vec![("email", format!("nobody{n}@example.test"))]
        }
        "verify_email"
        | "waitlist_offer"
        | "take_waitlist_offer"
        | "leave_waitlist_by_offer"
        | "confirm_visit_by_link"
        | "cancel_visit_by_link" => {
            vec![("token", "C".repeat(43))]
        }
        "visit_link" => vec![("purpose", "cancel".into()), ("token", "C".repeat(43))],
        "sign_in_code" | "confirm_two_step" | "turn_off_two_step" | "confirm_enrolment" => {
            vec![("code", "000000".into())]
        }
        "add_passkey" => vec![("name", "Laptop".into()), ("credential", "{}".into())],
        "remove_passkey" => vec![("passkey_id", "1".into())],
        "join_waitlist" => vec![("appointment_type_id", "1".into())],
        "leave_waitlist" => vec![("waitlist_entry_id", "1".into())],
        "sign_in_with_passkey" | "second_step_with_passkey" => vec![("credential", "{}".into())],
        "reset_two_step" => vec![
            ("user_id", bystander_user_id.to_string()),
            ("reason", "Lost phone".into()),
        ],
        "reset_password" => vec![
            ("token", "B".repeat(43)),
            ("new_password", "another long passphrase".into()),
        ],
        "change_password" => vec![
            ("current_password", "not my password".into()),
            ("new_password", "another long passphrase".into()),
        ],
        "create_account" => vec![
            ("role", "doctor".into()),
            ("first_name", "Hos".into()),
            ("last_name", "Tile".into()),
            ("email", format!("hostdoc{n}@people.test")),
            ("password", "a long enough passphrase".into()),
        ],
        "set_account_disabled" => vec![
            ("user_id", bystander_user_id.to_string()),
            ("disabled", "false".into()),
        ],
        "appointment_detail" | "cancel_appointment" | "visit_record" | "confirm_my_visit" => {
            vec![("appointment_id", "1".into())]
        }
        "get_hold" => vec![("token", uuid::Uuid::new_v4().to_string())],
        "release_hold" => vec![("hold", uuid::Uuid::new_v4().to_string())],
        "confirm_booking" => vec![
            ("hold", uuid::Uuid::new_v4().to_string()),
            ("idempotency_key", uuid::Uuid::new_v4().to_string()),
        ],
        "hold_time" => vec![
            ("start", "2030-01-07T15:00:00Z".into()),
            ("appointment_type_id", "1".into()),
        ],
        "reschedule_appointment" | "move_preview" => vec![
            ("appointment_id", "1".into()),
            ("start", "2030-01-07T15:00:00Z".into()),
        ],
        "update_profile" => vec![("first_name", "Hos".into()), ("last_name", "Tile".into())],
        "preview_block" | "block_time" | "unblock_time" => vec![
            ("from_date", "2030-01-07".into()),
            ("from_time", "10:00".into()),
            ("to_time", "11:00".into()),
        ],
        "set_visit_outcome" => vec![
            ("appointment_id", "1".into()),
            ("outcome", "completed".into()),
        ],
        "preview_hours" | "save_hours" => hours_arguments(30),
        "accept_invitation" => vec![
            ("token", "A".repeat(43)),
            ("new_password", "another long passphrase".into()),
        ],
        "find_patients" => vec![("query", "Hos".into())],
        "staff_open_times" => vec![
            ("date", "2030-01-07".into()),
            ("appointment_type_id", "1".into()),
        ],
        "staff_book" => vec![
            ("patient_id", "1".into()),
            ("start", "2030-01-07T15:00:00Z".into()),
            ("appointment_type_id", "1".into()),
        ],
        "staff_reschedule" => vec![
            ("appointment_id", "1".into()),
            ("start", "2030-01-07T15:00:00Z".into()),
        ],
        "staff_cancel" | "appointment_messages" | "staff_confirm_visit" => {
            vec![("appointment_id", "1".into())]
        }
        "preview_holiday" | "add_holiday" | "remove_holiday" => vec![
            (
                "date",
                (chrono::Utc::now() + chrono::Duration::days(45))
                    .date_naive()
                    .to_string(),
            ),
            ("name", format!("Hostile day {n}")),
        ],
        "resolve_attention" => vec![
            ("item_id", "1".into()),
            ("action", "keep".into()),
            ("note", "checked".into()),
        ],
        "update_doctor" => vec![
            ("doctor_id", "1".into()),
            ("first_name", "Hos".into()),
            ("last_name", "Tile".into()),
            ("specialty", "Dermatology".into()),
        ],
        "doctor_choice" => vec![("appointment_type_id", "1".into())],
        "save_visit_type" => vec![
            ("name", format!("Hostile type {n}")),
            ("slot_count", "1".into()),
            ("all_doctors", "on".into()),
            ("intent", "preview".into()),
        ],
        "set_visit_type_active" => vec![
            ("appointment_type_id", "1".into()),
            ("active", "true".into()),
        ],
        "doctor_hours_for" | "preview_deactivation" => vec![("doctor_id", "1".into())],
        "set_doctor_active" => vec![("doctor_id", "1".into()), ("active", "true".into())],
        "preview_doctor_hours" | "save_doctor_hours" => {
            let mut pairs = vec![("doctor_id", "1".to_owned())];
            pairs.extend(hours_arguments(30));
            pairs
        }
        "preview_doctor_leave" | "doctor_leave" => vec![
            ("doctor_id", "1".into()),
            ("from_date", "2030-01-07".into()),
            ("from_time", "10:00".into()),
            ("to_time", "11:00".into()),
        ],
        "update_settings" => settings_arguments(),
        "update_waitlist_settings" => waitlist_settings_arguments(),
        "update_message_settings" => message_settings_arguments(),
        "staff_join_waitlist" => vec![
            ("patient_id", "1".into()),
            ("appointment_type_id", "1".into()),
        ],
        "staff_leave_waitlist" => vec![("waitlist_entry_id", "1".into())],
        "open_patient" | "invite_patient" => vec![("patient_id", "1".into())],
        "add_person" | "staff_add_person" => vec![
            ("carer_patient_id", "1".into()),
            ("first_name", "Hos".into()),
            ("last_name", format!("Tile{n}")),
            ("date_of_birth", "2019-04-23".into()),
            ("relationship", "Parent".into()),
            ("reason", "Asked at the desk".into()),
        ],
        "remove_person" | "invite_person" | "staff_family" | "staff_invite_person" => {
            vec![("patient_id", "1".into())]
        }
        "revoke_carer" | "regrant_carer" => vec![("carer_patient_id", "1".into())],
        "staff_link_person" | "staff_unlink_person" => vec![
            ("carer_patient_id", "1".into()),
            ("patient_id", "2".into()),
            ("relationship", "Parent".into()),
            ("reason", "Asked at the desk".into()),
        ],
        "record_patient" => vec![
            ("first_name", "Hos".into()),
            ("last_name", "Tile".into()),
            ("email", format!("hostrec{n}@people.test")),
            ("phone", "+1 555 010 0000".into()),
        ],
        _ => vec![],
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
