//! Staff book, move and cancel on a patient's behalf: past the patient rules only with a
//! reason, which lands in the visit's history and the audit log; the patient's pages say
//! the clinic did it. Search finds visits by date, doctor, patient and status.

mod common;

use common::*;
use domain::role::Role;
use serde_json::Value;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// A doctor working every day from midnight to 23:30, slots materialised.
async fn all_day_doctor(pool: &PgPool, name: &str) -> Person {
    let doctor = create_person(pool, Role::Doctor, name).await;
    daily_hours_and_slots(pool, &[&doctor], "00:00", "23:30").await;
    doctor
}

/// A free start time in `[now + from_minutes, now + to_minutes)` where a one-slot visit
/// fits (see `free_run` for longer ones).
async fn free_time(pool: &PgPool, from_minutes: i32, to_minutes: i32) -> String {
    free_run(pool, from_minutes, to_minutes, 1).await
}

/// A start time in `[now + from_minutes, now + to_minutes)` followed by `slots` free slots of
/// one doctor in a row — a two-slot visit cannot start in the working day's last slot.
async fn free_run(pool: &PgPool, from_minutes: i32, to_minutes: i32, slots: i64) -> String {
    let t: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "select min(s.start_time) from availability_slots s
          where s.status = 'free'
            and s.start_time >= now() + make_interval(mins => $1)
            and s.start_time < now() + make_interval(mins => $2)
            and (select count(*) from availability_slots n
                  where n.doctor_id = s.doctor_id and n.status = 'free'
                    and n.start_time >= s.start_time
                    and n.start_time < s.start_time + (s.end_time - s.start_time) * $3) = $3",
    )
    .bind(from_minutes)
    .bind(to_minutes)
    .bind(slots)
    .fetch_one(pool)
    .await
    .unwrap();
    t.to_rfc3339()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn staff_override_the_patient_rules_only_with_a_reason_and_it_shows(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    all_day_doctor(&pool, "Allday").await;
    let admin = create_person(&pool, Role::Admin, "Bookdesk").await;
    let patient = create_person(&pool, Role::Patient, "Onbehalf").await;
    let patient_id = patient.role_id.unwrap().to_string();
    let staff = client();
    log_in(&staff, &base, &admin.email).await;

    // Inside the patients' two-hour notice: a reason is needed.
    let soon = free_time(&pool, 10, 110).await;
    let book = |start: String, override_reason: &'static str| {
        let (staff, base, patient_id) = (staff.clone(), base.clone(), patient_id.clone());
        async move {
            json(
                call(
                    &staff,
                    &base,
                    "staff_book",
                    &[
                        ("patient_id", &patient_id),
                        ("start", &start),
                        ("appointment_type_id", "1"),
                        ("override_reason", override_reason),
                    ],
                )
                .await,
            )
            .await
        }
    };
    // A booking rule's refusal is a 409 like the patients' own, naming the rule.
    let (status, body) = book(soon.clone(), "").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string().contains("OverrideReasonRequired"),
        "{body}"
    );
    let (status, body) = book(soon.clone(), "walked in, urgent").await;
    assert_eq!(status, 200, "{body}");
    let soon_id = body.as_i64().unwrap();

    // Its history and the audit log keep the reason; the patient sees the clinic booked it.
    let recorded: Option<String> = sqlx::query_scalar(
        "select override_reason from appointment_events where appointment_id = $1 and kind = 'booked'",
    )
    .bind(soon_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(recorded.as_deref(), Some("walked in, urgent"));
    let audited: Option<String> = sqlx::query_scalar(
        "select detail from audit_log where action = 'appointment.book' and target = $1",
    )
    .bind(format!("appointment:{soon_id}"))
    .fetch_optional(&pool)
    .await
    .unwrap()
    .flatten();
    assert_eq!(audited.as_deref(), Some("walked in, urgent"));
    let me = client();
    log_in(&me, &base, &patient.email).await;
    let (_, mine) = json(call(&me, &base, "my_appointments", &[]).await).await;
    assert_eq!(mine[0]["clinic_note"], "Booked by the clinic");

    // Moving it (inside the freeze): only with a reason.
    let later = free_time(&pool, 60 * 30, 60 * 50).await;
    let id = soon_id.to_string();
    let (status, _) = json(
        call(
            &staff,
            &base,
            "staff_reschedule",
            &[("appointment_id", &id), ("start", &later)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    let (status, body) = json(
        call(
            &staff,
            &base,
            "staff_reschedule",
            &[
                ("appointment_id", &id),
                ("start", &later),
                ("override_reason", "patient called, bus strike"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, mine) = json(call(&me, &base, "my_appointments", &[]).await).await;
    assert_eq!(mine[0]["clinic_note"], "Changed by the clinic");

    // Outside the freeze, a cancel needs no reason; the patient sees who cancelled.
    let (status, body) =
        json(call(&staff, &base, "staff_cancel", &[("appointment_id", &id)]).await).await;
    assert_eq!(status, 200, "{body}");
    let (_, mine) = json(call(&me, &base, "my_appointments", &[]).await).await;
    assert_eq!(mine[0]["clinic_note"], "Cancelled by the clinic");
    assert_eq!(mine[0]["status"], "cancelled");

    // The active limit (3): a fourth booking needs a reason.
    for hours in [30, 40, 50] {
        let t = free_time(&pool, hours * 60, hours * 60 + 600).await;
        let (status, body) = book(t, "").await;
        assert_eq!(status, 200, "{body}");
    }
    let fourth = free_time(&pool, 70 * 60, 80 * 60).await;
    let (status, body) = book(fourth.clone(), "").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string().contains("OverrideReasonRequired"),
        "{body}"
    );
    let (status, body) = book(fourth, "follow-up series agreed with doctor").await;
    assert_eq!(status, 200, "{body}");

    // A made-up patient is not found; a patient's own session cannot use staff booking.
    let (status, _) = json(
        call(
            &staff,
            &base,
            "staff_book",
            &[
                ("patient_id", "999999"),
                ("start", &free_time(&pool, 90 * 60, 100 * 60).await),
                ("appointment_type_id", "1"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);

    // The messages about the cancelled visit: states, no contents.
    let (status, messages) = json(
        call(
            &staff,
            &base,
            "appointment_messages",
            &[("appointment_id", &id)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert!(!kinds.is_empty(), "{messages}");
    assert!(!messages.to_string().contains("Onbehalf"), "no names in it");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn search_by_day_doctor_patient_and_status_pages_and_audits(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let doctor = all_day_doctor(&pool, "Searchdoc").await;
    let admin = create_person(&pool, Role::Admin, "Searchdesk").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    // A phone patient (no account) with a visit tomorrow.
    let (status, body) = json(
        call(
            &staff,
            &base,
            "record_patient",
            &[
                ("first_name", "Petra"),
                ("last_name", "Phonebook"),
                ("email", ""),
                ("phone", "+1 555 010 4242"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let patient_id = body.as_i64().unwrap().to_string();
    let start = free_run(&pool, 26 * 60, 30 * 60, 2).await;
    let (status, body) = json(
        call(
            &staff,
            &base,
            "staff_book",
            &[
                ("patient_id", &patient_id),
                ("start", &start),
                ("appointment_type_id", "2"),
                ("reason", "knee"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body.as_i64().unwrap();
    let day = sqlx::query_scalar::<_, String>(
        "select ((a.start_time at time zone s.time_zone)::date)::text from appointments a cross join clinic_settings s where appointment_id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();

    let search = |fields: Vec<(&'static str, String)>| {
        let (staff, base) = (staff.clone(), base.clone());
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            json(call(&staff, &base, "search_appointments", &pairs).await).await
        }
    };
    let ids = |page: &Value| -> Vec<i64> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["view"]["appointment_id"].as_i64().unwrap())
            .collect()
    };
    for fields in [
        vec![("from", day.clone()), ("to", day.clone())],
        vec![("from", day.clone()), ("patient", "phoneBOOK".into())],
        vec![
            ("from", day.clone()),
            ("doctor_id", doctor.role_id.unwrap().to_string()),
        ],
        vec![("from", day.clone()), ("status", "booked".into())],
    ] {
        let (status, page) = search(fields.clone()).await;
        assert_eq!(status, 200, "{fields:?}: {page}");
        assert_eq!(ids(&page), [id], "{fields:?}");
        assert_eq!(page["more"], false);
    }
    let (_, page) = search(vec![("from", day.clone()), ("status", "cancelled".into())]).await;
    assert!(ids(&page).is_empty());
    let (_, page) = search(vec![("from", day.clone()), ("patient", "%".into())]).await;
    assert!(ids(&page).is_empty(), "a typed % is literal");
    let (status, _) = search(vec![("status", "maybe".into())]).await;
    assert_eq!(status, 400);
    let (status, _) = search(vec![("from", day.clone()), ("to", "2000-01-01".into())]).await;
    assert_eq!(status, 400);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'appointment.search' and patient_id = $1",
    )
    .bind(patient_id.parse::<i64>().unwrap())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 4);

    // Open times for staff include the patients' notice time; a bad type is named.
    let (status, times) = json(
        call(
            &staff,
            &base,
            "staff_open_times",
            &[("date", &day), ("appointment_type_id", "1")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!times.as_array().unwrap().is_empty());
    let (status, _) = json(
        call(
            &staff,
            &base,
            "staff_open_times",
            &[("date", &day), ("appointment_type_id", "99")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
}
