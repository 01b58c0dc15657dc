//! Notifications against a real PostgreSQL and a real SMTP conversation (the sink in
//! `common/smtp.rs`), with a controllable clock.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use app::db;
use app::services::booking::{self, ActingUser};
use app::services::notify::channels::{Channels, Mailer, SmsSender, WebhookSms};
use app::services::notify::deliver::{deliver_due, queue_reminders};
use app::services::notify::render::LinkBase;
use chrono::{DateTime, Duration, Utc};
use common::smtp::{header, part, SmtpSink};
use common::*;
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

fn channels(smtp_url: &str, sms: Option<Arc<dyn SmsSender>>) -> Channels {
    Channels {
        mailer: Mailer::smtp(&SecretString::from(smtp_url.to_owned())).unwrap(),
        from: "Riverside Clinic <clinic@riverside.test>".parse().unwrap(),
        sms,
        links: LinkBase("https://clinic.test".to_owned()),
    }
}

async fn clinic(pool: &PgPool) {
    sqlx::query(
        "update clinic_settings set clinic_name = 'Riverside Clinic', clinic_email = 'frontdesk@riverside.test',
                clinic_phone = '+1 555 0100', clinic_address = '1 River St'",
    )
    .execute(pool)
    .await
    .unwrap();
    let d = add_doctor(pool, "Okafor").await;
    add_daily_hours(pool, d, "09:00", "17:00").await;
    materialize(pool).await;
}

async fn no_debounce(pool: &PgPool) {
    sqlx::query("update clinic_settings set notification_debounce_minutes = 0")
        .execute(pool)
        .await
        .unwrap();
}

async fn book_at(
    pool: &PgPool,
    by: &ActingUser,
    start: DateTime<Utc>,
    at: DateTime<Utc>,
    reason: Option<&str>,
) -> i64 {
    let policy = db::settings::clinic_policy(pool).await.unwrap();
    let hold = booking::hold(pool, &policy, by, patient_id(by), start, STANDARD, at)
        .await
        .unwrap();
    booking::confirm(
        pool,
        &policy,
        by,
        booking::Confirmation {
            patient_id: patient_id(by),
            hold_token: hold.token,
            reason: reason.map(str::to_owned),
            idempotency_key: Uuid::new_v4(),
        },
        at,
    )
    .await
    .unwrap()
    .appointment_id
}

fn ics_line(ics: &str, name: &str) -> String {
    ics.replace("\r\n ", "")
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned))
        .unwrap_or_default()
}

fn message_ids(messages: &[String]) -> BTreeSet<String> {
    messages
        .iter()
        .filter_map(|m| header(m, "Message-ID"))
        .collect()
}

async fn statuses(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("select status from notifications order by notification_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn booking_rescheduling_and_cancelling_send_the_right_messages(pool: PgPool) {
    clinic(&pool).await;
    no_debounce(&pool).await;
    let sink = SmtpSink::start().await;
    let ch = channels(&sink.url(), None);
    let patient = add_patient(&pool, 1).await;
    let policy = db::settings::clinic_policy(&pool).await.unwrap();

    let id = book_at(
        &pool,
        &patient,
        ny(6, 10, 0),
        now(),
        Some("chest pain since Monday"),
    )
    .await;
    assert_eq!(deliver_due(&pool, &ch, now(), 10).await.unwrap().sent, 1);
    booking::reschedule(&pool, &policy, &patient, id, ny(6, 11, 0), now())
        .await
        .unwrap();
    assert_eq!(deliver_due(&pool, &ch, now(), 10).await.unwrap().sent, 1);
    booking::cancel(&pool, &policy, &patient, id, now())
        .await
        .unwrap();
    assert_eq!(deliver_due(&pool, &ch, now(), 10).await.unwrap().sent, 1);

    let messages = sink.messages();
    assert_eq!(messages.len(), 3);
    let expected = [
        (
            "Booked: Wednesday, March 6, 2030 at 10:00 AM EST",
            "REQUEST",
            "0",
            "20300306T150000Z",
        ),
        (
            "Moved: your appointment is now Wednesday, March 6, 2030 at 11:00 AM EST",
            "REQUEST",
            "1",
            "20300306T160000Z",
        ),
        (
            "Cancelled: your appointment on March 6",
            "CANCEL",
            "2",
            "20300306T160000Z",
        ),
    ];
    let mut uids = BTreeSet::new();
    for (message, (subject, method, sequence, start)) in messages.iter().zip(expected) {
        assert_eq!(header(message, "Subject").as_deref(), Some(subject));
        assert_eq!(
            header(message, "To").as_deref(),
            Some("patient1@example.test")
        );
        let ics = part(message, "text/calendar").expect("an .ics part");
        assert!(
            ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.trim_end().ends_with("END:VCALENDAR"),
            "{ics}"
        );
        assert_eq!(ics_line(&ics, "METHOD"), method);
        assert_eq!(ics_line(&ics, "SEQUENCE"), sequence);
        assert_eq!(ics_line(&ics, "DTSTART"), start, "UTC start");
        uids.insert(ics_line(&ics, "UID"));
        let text = part(message, "text/plain").expect("a plain-text part");
        assert!(
            text.contains("Riverside Clinic") && text.contains("+1 555 0100"),
            "{text}"
        );
        assert!(
            !message.contains("chest pain"),
            "no clinical detail in messages"
        );
    }
    assert_eq!(
        uids.len(),
        1,
        "one calendar event, updated in place: {uids:?}"
    );
    // Each message's Message-ID is its outbox row's stable id.
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select message_id from notifications where channel = 'email' order by notification_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (message, id) in messages.iter().zip(ids) {
        assert!(header(message, "Message-ID")
            .unwrap()
            .contains(&id.to_string()));
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn three_changes_inside_the_debounce_become_one_message_with_the_final_time(pool: PgPool) {
    clinic(&pool).await;
    let sink = SmtpSink::start().await;
    let ch = channels(&sink.url(), None);
    let patient = add_patient(&pool, 1).await;
    let policy = db::settings::clinic_policy(&pool).await.unwrap();
    assert_eq!(policy.notification_debounce(), Duration::minutes(5));

    let id = book_at(&pool, &patient, ny(6, 10, 0), now(), None).await;
    booking::reschedule(
        &pool,
        &policy,
        &patient,
        id,
        ny(6, 11, 0),
        now() + Duration::minutes(1),
    )
    .await
    .unwrap();
    booking::reschedule(
        &pool,
        &policy,
        &patient,
        id,
        ny(6, 14, 30),
        now() + Duration::minutes(2),
    )
    .await
    .unwrap();

    assert_eq!(
        deliver_due(&pool, &ch, now() + Duration::minutes(4), 10)
            .await
            .unwrap()
            .handled(),
        0,
        "still settling"
    );
    assert_eq!(
        deliver_due(&pool, &ch, now() + Duration::minutes(8), 10)
            .await
            .unwrap()
            .sent,
        1
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        header(&messages[0], "Subject").as_deref(),
        Some("Booked: Wednesday, March 6, 2030 at 2:30 PM EST")
    );
    let ics = part(&messages[0], "text/calendar").unwrap();
    assert_eq!(ics_line(&ics, "DTSTART"), "20300306T193000Z");
    assert_eq!(ics_line(&ics, "SEQUENCE"), "2");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn with_smtp_down_bookings_succeed_and_every_message_arrives_once_when_it_returns(
    pool: PgPool,
) {
    clinic(&pool).await;
    no_debounce(&pool).await;
    // A port with nobody listening: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ch = channels(&format!("smtp://127.0.0.1:{port}"), None);
    for i in 0..3 {
        let patient = add_patient(&pool, i).await;
        book_at(&pool, &patient, ny(6, 9 + i as u32, 0), now(), None).await;
    }
    let report = deliver_due(&pool, &ch, now(), 10).await.unwrap();
    assert_eq!((report.sent, report.retrying), (0, 3));
    let (attempts, min_next, errors): (i64, DateTime<Utc>, i64) = sqlx::query_as(
        "select sum(attempts), min(next_attempt_at), count(last_error) from notifications where status = 'pending'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((attempts, errors), (3, 3));
    assert!(
        min_next >= now() + Duration::seconds(24),
        "backed off: {min_next}"
    );
    assert_eq!(
        deliver_due(&pool, &ch, now() + Duration::seconds(10), 10)
            .await
            .unwrap()
            .handled(),
        0,
        "not yet due"
    );

    let sink = SmtpSink::start_on(port, StdDuration::ZERO).await;
    assert_eq!(
        deliver_due(&pool, &ch, now() + Duration::minutes(2), 10)
            .await
            .unwrap()
            .sent,
        3
    );
    assert_eq!(
        deliver_due(&pool, &ch, now() + Duration::hours(2), 10)
            .await
            .unwrap()
            .handled(),
        0
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 3);
    assert_eq!(message_ids(&messages).len(), 3);
    assert_eq!(statuses(&pool).await, ["sent", "sent", "sent"]);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn messages_that_keep_failing_go_dead_and_can_be_retried(pool: PgPool) {
    clinic(&pool).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ch = channels(&format!("smtp://127.0.0.1:{port}"), None);
    let patient = add_patient(&pool, 1).await;
    let mut conn = pool.acquire().await.unwrap();
    app::services::notify::account_event(
        &mut conn,
        patient.user_id,
        domain::notify::NotificationKind::AccountWelcome,
        now(),
    )
    .await
    .unwrap();
    drop(conn);
    let mut at = now();
    for _ in 0..domain::notify::MAX_ATTEMPTS {
        at += Duration::hours(2);
        deliver_due(&pool, &ch, at, 10).await.unwrap();
    }
    assert_eq!(statuses(&pool).await, ["dead"]);
    let dead = db::notifications::dead_messages(&pool).await.unwrap();
    assert_eq!(dead[0].attempts, domain::notify::MAX_ATTEMPTS as i32);
    assert!(dead[0].last_error.as_deref().unwrap_or("").len() > 5);

    let sink = SmtpSink::start_on(port, StdDuration::ZERO).await;
    assert_eq!(
        db::notifications::retry_dead(&pool, &[dead[0].notification_id], at)
            .await
            .unwrap(),
        1
    );
    assert_eq!(deliver_due(&pool, &ch, at, 10).await.unwrap().sent, 1);
    assert_eq!(
        header(&sink.messages()[0], "Subject").as_deref(),
        Some("Welcome to Riverside Clinic")
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_worker_killed_mid_batch_loses_nothing(pool: PgPool) {
    clinic(&pool).await;
    no_debounce(&pool).await;
    // Each message takes 300 ms to be accepted: the worker is killed mid-batch.
    let sink = SmtpSink::start_on(0, StdDuration::from_millis(300)).await;
    let ch = channels(&sink.url(), None);
    for i in 0..5 {
        let patient = add_patient(&pool, i).await;
        book_at(&pool, &patient, ny(6, 9 + i as u32, 0), now(), None).await;
    }
    let worker = {
        let (pool, ch) = (pool.clone(), ch.clone());
        tokio::spawn(async move { deliver_due(&pool, &ch, now(), 10).await })
    };
    tokio::time::sleep(StdDuration::from_millis(450)).await;
    worker.abort();
    let _ = worker.await;
    let delivered_before = sink.messages().len();
    assert!(
        delivered_before < 5,
        "the worker really died mid-batch ({delivered_before} delivered)"
    );

    // A restarted worker picks the rest up once the dead worker's claims lapse.
    let report = deliver_due(&pool, &ch, now() + Duration::minutes(3), 10)
        .await
        .unwrap();
    assert!(report.sent >= 1);
    assert_eq!(statuses(&pool).await, vec!["sent"; 5]);
    let messages = sink.messages();
    assert_eq!(message_ids(&messages).len(), 5, "nothing lost");
    // A message whose "250" the dead worker never saw may be sent again — with the same
    // Message-ID, so the mailbox keeps one. Never a different id for the same event.
    println!(
        "killed worker: {delivered_before} accepted before the kill, {} raw deliveries, 5 distinct",
        messages.len()
    );
    assert!(messages.len() <= 6, "{} raw deliveries", messages.len());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn two_workers_on_one_database_deliver_each_message_once(pool: PgPool) {
    clinic(&pool).await;
    let sink = SmtpSink::start().await;
    let ch = channels(&sink.url(), None);
    let mut conn = pool.acquire().await.unwrap();
    for i in 0..30 {
        let patient = add_patient(&pool, i).await;
        app::services::notify::account_event(
            &mut conn,
            patient.user_id,
            domain::notify::NotificationKind::AccountWelcome,
            now(),
        )
        .await
        .unwrap();
    }
    drop(conn);
    let worker = |pool: PgPool, ch: Channels| async move {
        let mut sent = 0;
        loop {
            let report = deliver_due(&pool, &ch, now(), 4).await.unwrap();
            if report.handled() == 0 {
                return sent;
            }
            sent += report.sent;
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(worker(pool.clone(), ch.clone())),
        tokio::spawn(worker(pool.clone(), ch.clone()))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 30);
    assert!(a > 0 && b > 0, "both workers took part ({a} + {b})");
    let messages = sink.messages();
    assert_eq!(messages.len(), 30, "each message exactly once");
    assert_eq!(message_ids(&messages).len(), 30);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn one_reminder_at_lead_time_none_for_cancelled_none_twice(pool: PgPool) {
    clinic(&pool).await;
    no_debounce(&pool).await;
    let sink = SmtpSink::start().await;
    let ch = channels(&sink.url(), None);
    let policy = db::settings::clinic_policy(&pool).await.unwrap();
    let (kept, dropped) = (add_patient(&pool, 1).await, add_patient(&pool, 2).await);
    let start = ny(6, 10, 0);
    book_at(&pool, &kept, start, now(), None).await;
    let cancelled = book_at(&pool, &dropped, start + Duration::hours(1), now(), None).await;
    booking::cancel(&pool, &policy, &dropped, cancelled, now())
        .await
        .unwrap();
    deliver_due(&pool, &ch, now(), 10).await.unwrap();
    let before = sink.messages().len();

    let lead = policy.reminder_lead();
    assert_eq!(
        queue_reminders(&pool, lead, start - lead - Duration::minutes(1))
            .await
            .unwrap(),
        0,
        "too early"
    );
    let at = start - lead + Duration::minutes(1);
    assert_eq!(
        queue_reminders(&pool, lead, at).await.unwrap(),
        1,
        "only the booked one"
    );
    assert_eq!(
        queue_reminders(&pool, lead, at + Duration::minutes(1))
            .await
            .unwrap(),
        0,
        "not twice"
    );
    assert_eq!(deliver_due(&pool, &ch, at, 10).await.unwrap().sent, 1);
    // "After a restart": the job and the worker run again from scratch.
    assert_eq!(
        queue_reminders(&pool, lead, at + Duration::minutes(5))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        deliver_due(&pool, &ch, at + Duration::minutes(5), 10)
            .await
            .unwrap()
            .handled(),
        0
    );

    let reminders: Vec<String> = sink.messages()[before..]
        .iter()
        .filter_map(|m| header(m, "Subject"))
        .collect();
    assert_eq!(
        reminders,
        ["Reminder: Wednesday, March 6, 2030 at 10:00 AM EST"]
    );
    assert_eq!(
        header(&sink.messages()[before], "To").as_deref(),
        Some("patient1@example.test")
    );
}

type SmsLog = Arc<Mutex<Vec<(String, String, serde_json::Value)>>>;

/// A local SMS gateway that records (authorization, idempotency key, body) of each text.
async fn sms_gateway() -> (SmsLog, Arc<dyn SmsSender>) {
    let received: SmsLog = Arc::default();
    let store = received.clone();
    let webhook = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| {
                let store = store.clone();
                async move {
                    let get = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    store.lock().unwrap().push((
                        get("authorization"),
                        get("idempotency-key"),
                        body.0,
                    ));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, webhook).await });
    let sms: Arc<dyn SmsSender> = Arc::new(WebhookSms {
        url,
        token: SecretString::from("test-token".to_owned()),
        client: reqwest::Client::new(),
    });
    (received, sms)
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn texts_already_queued_are_not_sent_after_the_patient_opts_out(pool: PgPool) {
    clinic(&pool).await;
    no_debounce(&pool).await;
    let (received, sms) = sms_gateway().await;
    let sink = SmtpSink::start().await;
    let ch = channels(&sink.url(), Some(sms));
    let patient = add_patient(&pool, 1).await;
    sqlx::query(
        "update patients set phone = '+1 555 010 9999', sms_opt_in = true where patient_id = $1",
    )
    .bind(patient_id(&patient))
    .execute(&pool)
    .await
    .unwrap();
    book_at(&pool, &patient, ny(6, 10, 0), now(), None).await;
    // Queued for both channels; then the patient turns text messages off.
    sqlx::query("update patients set sms_opt_in = false where patient_id = $1")
        .bind(patient_id(&patient))
        .execute(&pool)
        .await
        .unwrap();
    let report = deliver_due(&pool, &ch, now(), 10).await.unwrap();
    assert_eq!((report.sent, report.superseded), (1, 1), "the email only");
    assert!(
        received.lock().unwrap().is_empty(),
        "no text after opting out"
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn opted_in_patients_also_get_an_sms_through_the_webhook(pool: PgPool) {
    clinic(&pool).await;
    no_debounce(&pool).await;
    let (received, sms) = sms_gateway().await;
    let sink = SmtpSink::start().await;
    let ch = channels(&sink.url(), Some(sms));
    let patient = add_patient(&pool, 1).await;
    sqlx::query(
        "update patients set phone = '+1 555 010 9999', sms_opt_in = true where patient_id = $1",
    )
    .bind(patient_id(&patient))
    .execute(&pool)
    .await
    .unwrap();
    let other = add_patient(&pool, 2).await;
    book_at(&pool, &patient, ny(6, 10, 0), now(), Some("private")).await;
    book_at(&pool, &other, ny(6, 11, 0), now(), None).await;

    assert_eq!(
        deliver_due(&pool, &ch, now(), 10).await.unwrap().sent,
        3,
        "2 emails + 1 SMS"
    );
    let sms = received.lock().unwrap().clone();
    assert_eq!(sms.len(), 1, "only the opted-in patient");
    let (auth, key, body) = &sms[0];
    assert_eq!(auth, "Bearer test-token");
    assert_eq!(body["to"], "+1 555 010 9999");
    assert_eq!(body["message_id"].as_str(), Some(key.as_str()));
    let text = body["body"].as_str().unwrap();
    assert!(
        text.starts_with("Riverside Clinic: Your appointment is booked for Wednesday, March 6"),
        "{text}"
    );
    assert!(!text.contains("private"));
}
