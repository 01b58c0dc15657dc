//! The doctors' portal over HTTP: their own week (audited), outcomes only for their own
//! started visits, and a private calendar feed that can be replaced and turned off.

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

#[sqlx::test(migrator = "MIGRATOR")]
async fn outcomes_only_for_own_started_visits_and_audited(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let patient = create_person(&pool, Role::Patient, "Seen").await;
    let d1 = create_person(&pool, Role::Doctor, "Docone").await;
    let d2 = create_person(&pool, Role::Doctor, "Doctwo").await;
    let past = visit(&pool, &patient, &d1, -2).await;
    let future = visit(&pool, &patient, &d1, 30).await;
    let (one, two) = (client(), client());
    log_in(&one, &base, &d1.email).await;
    log_in(&two, &base, &d2.email).await;

    let mark = |c: &reqwest::Client, id: i64, outcome: &'static str| {
        let (c, base) = (c.clone(), base.clone());
        async move {
            call(
                &c,
                &base,
                "set_visit_outcome",
                &[("appointment_id", &id.to_string()), ("outcome", outcome)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(mark(&two, past, "no_show").await, 400, "not their visit");
    assert_eq!(mark(&one, future, "no_show").await, 400, "not started yet");
    assert_eq!(mark(&one, past, "maybe").await, 400);
    assert_eq!(mark(&one, past, "no_show").await, 200);
    let status: String =
        sqlx::query_scalar("select status from appointments where appointment_id = $1")
            .bind(past)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "no_show");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'appointment.outcome' and patient_id = $1",
    )
    .bind(patient.role_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Another doctor's visit does not exist for them.
    let tampered = call(
        &two,
        &base,
        "appointment_detail",
        &[("appointment_id", &past.to_string())],
    )
    .await;
    assert_eq!(tampered.status(), 404);
    let tampered = call(
        &two,
        &base,
        "visit_record",
        &[("appointment_id", &past.to_string())],
    )
    .await;
    assert_eq!(tampered.status(), 404);

    // Their own visit: the patient's contact and the history, the outcome in it; every
    // opening is an audited read.
    let reads = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from audit_log where action = 'appointment.read' and patient_id = $1",
        )
        .bind(patient.role_id)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = reads().await;
    let record = call(
        &one,
        &base,
        "visit_record",
        &[("appointment_id", &past.to_string())],
    )
    .await;
    assert_eq!(record.status(), 200);
    let record: serde_json::Value = record.json().await.unwrap();
    assert_eq!(record["patient_email"], patient.email.as_str());
    let kinds: Vec<&str> = record["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"no_show"), "{kinds:?}");
    assert_eq!(reads().await, before + 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_week_shows_the_doctors_own_visits_and_audits_the_names_shown(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let patient = create_person(&pool, Role::Patient, "Weekly").await;
    let d1 = create_person(&pool, Role::Doctor, "Docweek").await;
    sqlx::query(
        "insert into weekly_hours (doctor_id, weekday, start_time, end_time, effective_from)
         select $1, d, '09:00', '17:00', current_date - 7 from generate_series(1, 7) d",
    )
    .bind(d1.role_id)
    .execute(&pool)
    .await
    .unwrap();
    let policy = app::db::settings::clinic_policy(&pool).await.unwrap();
    app::services::schedule::materialize_slots(&pool, &policy, chrono::Utc::now())
        .await
        .unwrap();
    let by = app::services::booking::ActingUser {
        user_id: patient.user_id,
        role: app::services::booking::ActingRole::Patient {
            patient_id: patient.role_id.unwrap(),
        },
        request_id: None,
    };
    let start: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "select min(start_time) from availability_slots where doctor_id = $1 and start_time > now() + interval '3 hours'",
    )
    .bind(d1.role_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let hold = app::services::booking::hold(
        &pool,
        &policy,
        &by,
        patient.role_id.unwrap(),
        start,
        1,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    app::services::booking::confirm(
        &pool,
        &policy,
        &by,
        app::services::booking::Confirmation {
            patient_id: patient.role_id.unwrap(),
            hold_token: hold.token,
            reason: None,
            idempotency_key: uuid::Uuid::new_v4(),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();

    let browser = client();
    log_in(&browser, &base, &d1.email).await;
    let week = start.date_naive().to_string();
    let response = call(&browser, &base, "doctor_week", &[("week", &week)]).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Weekly Test"),
        "the patient's name is on their visit"
    );
    assert!(!body.contains("private reason"));
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'calendar.read' and patient_id = $1",
    )
    .bind(patient.role_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_calendar_feed_is_private_replaceable_and_revocable(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let patient = create_person(&pool, Role::Patient, "Feedpatient").await;
    let d1 = create_person(&pool, Role::Doctor, "Docfeed").await;
    let upcoming = visit(&pool, &patient, &d1, 30).await;
    let browser = client();
    log_in(&browser, &base, &d1.email).await;
    let first: String = call(&browser, &base, "calendar_feed", &[])
        .await
        .json()
        .await
        .unwrap();
    // A whole URL, to paste into a calendar app.
    assert!(
        first.starts_with(&format!("{base}/calendar/")) && first.ends_with(".ics"),
        "{first}"
    );

    let feed = reqwest::get(&first).await.unwrap();
    assert_eq!(feed.status(), 200);
    assert!(feed.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics = feed.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.contains(&format!("{base}/doctor/visits/{upcoming}")));
    assert!(
        !ics.contains("Feedpatient") && !ics.contains("private reason"),
        "no patient data"
    );
    // At rest only a hash.
    let stored: Vec<u8> =
        sqlx::query_scalar("select feed_token_hash from doctors where doctor_id = $1")
            .bind(d1.role_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 32);

    let second: String = call(&browser, &base, "calendar_feed", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(first, second);
    assert_eq!(
        reqwest::get(&first).await.unwrap().status(),
        404,
        "the old link is off"
    );
    assert_eq!(reqwest::get(&second).await.unwrap().status(), 200);
    assert_eq!(
        call(&browser, &base, "revoke_calendar_feed", &[])
            .await
            .status(),
        200
    );
    assert_eq!(reqwest::get(&second).await.unwrap().status(), 404);
    assert_eq!(
        reqwest::get(format!("{base}/calendar/guess.ics"))
            .await
            .unwrap()
            .status(),
        404
    );
}
