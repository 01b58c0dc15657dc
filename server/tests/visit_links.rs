//! The links of confirmations and reminders ("I'll be there", "Cancel this visit", "Find
//! another time"): opening one changes nothing; its button does its one thing once, with
//! the token as the only credential; a spent, expired, made-up or other-purpose link gets
//! one and the same answer, whoever asks; a cancelled or moved visit's links say so; the
//! change freeze holds (call the clinic, with its number). And the messages carry them.

mod common;
#[path = "../../app/tests/common/smtp.rs"]
mod smtp;

use std::sync::{Arc, Mutex};

use app::services::notify::channels::{Channels, Mailer, SendResult, Sms, SmsSender};
use app::services::notify::deliver::{deliver_due, queue_reminders};
use app::services::notify::render::{LinkBase, VisitLinkTokens};
use app::services::visit_links;
use chrono::{DateTime, Duration, Utc};
use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn links_for(
    pool: &PgPool,
    appointment_id: i64,
    issued_start: DateTime<Utc>,
) -> VisitLinkTokens {
    let mut conn = pool.acquire().await.unwrap();
    visit_links::issue(&mut conn, appointment_id, issued_start, Utc::now())
        .await
        .unwrap()
}

async fn start_of(pool: &PgPool, appointment_id: i64) -> DateTime<Utc> {
    sqlx::query_scalar("select start_time from appointments where appointment_id = $1")
        .bind(appointment_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn state_of(pool: &PgPool, appointment_id: i64) -> (String, Option<String>) {
    sqlx::query_as("select status, confirmed_via from appointments where appointment_id = $1")
        .bind(appointment_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn page(base: &str, c: &reqwest::Client, path: &str) -> String {
    let response = c.get(format!("{base}{path}")).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_visits_links_show_act_once_and_answer_every_dead_link_alike(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    sqlx::query("update clinic_settings set clinic_phone = '+1 212 555 0100'")
        .execute(&pool)
        .await
        .unwrap();
    let doctor = create_person(&pool, Role::Doctor, "Linkdoctor").await;
    let alice = create_person(&pool, Role::Patient, "Alicelink").await;
    let bob = create_person(&pool, Role::Patient, "Boblink").await;
    let v = visit(&pool, &alice, &doctor, 24 * 5).await;
    let t = links_for(&pool, v, start_of(&pool, v).await).await;
    let anon = client();
    let signed_in_bob = client();
    log_in(&signed_in_bob, &base, &bob.email).await;

    // Opening a link (as a mail scanner would) shows the visit and changes nothing —
    // the same for anyone.
    let shown = page(&base, &anon, &format!("/visit/confirm?token={}", t.confirm)).await;
    assert!(
        shown.contains("I&#x27;ll be there") || shown.contains("I'll be there"),
        "{shown}"
    );
    assert!(shown.contains("Linkdoctor"), "{shown}");
    let as_bob = page(
        &base,
        &signed_in_bob,
        &format!("/visit/confirm?token={}", t.confirm),
    )
    .await;
    assert!(as_bob.contains("Linkdoctor"));
    let cancel_page = page(&base, &anon, &format!("/visit/cancel?token={}", t.cancel)).await;
    assert!(cancel_page.contains("Cancel this visit"), "{cancel_page}");
    let move_page = page(&base, &anon, &format!("/visit/move?token={}", t.move_time)).await;
    assert!(move_page.contains("/login?next="), "{move_page}");
    assert_eq!(state_of(&pool, v).await, ("booked".to_owned(), None));

    // The confirm button, with the token only: recorded once, as a history event and an
    // audit row.
    let confirmed = call(
        &anon,
        &base,
        "confirm_visit_by_link",
        &[("token", &t.confirm)],
    )
    .await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    assert_eq!(
        state_of(&pool, v).await,
        ("booked".to_owned(), Some("link".to_owned()))
    );
    let events: i64 = sqlx::query_scalar(
        "select count(*) from appointment_events where appointment_id = $1 and kind = 'confirmed' and actor_role = 'patient'",
    )
    .bind(v)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 1);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'appointment.confirm' and patient_id = $1",
    )
    .bind(alice.role_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Spent, made up, expired, or for another purpose: one answer, whoever asks.
    let expired = links_for(&pool, v, Utc::now() - Duration::minutes(1)).await;
    let dead = |c: reqwest::Client, endpoint: &'static str, token: String| {
        let base = base.clone();
        async move {
            let (status, body) = json(call(&c, &base, endpoint, &[("token", &token)]).await).await;
            (status, body.to_string())
        }
    };
    let spent = dead(anon.clone(), "confirm_visit_by_link", t.confirm.clone()).await;
    assert_eq!(spent.0, 400);
    assert!(spent.1.contains("no longer valid"), "{}", spent.1);
    for (c, endpoint, token) in [
        (anon.clone(), "confirm_visit_by_link", "A".repeat(43)),
        (
            signed_in_bob.clone(),
            "confirm_visit_by_link",
            t.confirm.clone(),
        ),
        (
            anon.clone(),
            "confirm_visit_by_link",
            expired.confirm.clone(),
        ),
        (anon.clone(), "cancel_visit_by_link", expired.cancel.clone()),
        (anon.clone(), "confirm_visit_by_link", t.cancel.clone()),
        (anon.clone(), "cancel_visit_by_link", t.confirm.clone()),
        (anon.clone(), "cancel_visit_by_link", "short".to_owned()),
    ] {
        assert_eq!(
            dead(c, endpoint, token.clone()).await,
            spent,
            "{endpoint} {token}"
        );
    }
    let (status, body) = json(
        call(
            &anon,
            &base,
            "visit_link",
            &[("purpose", "cancel"), ("token", &expired.cancel)],
        )
        .await,
    )
    .await;
    assert_eq!((status, body.to_string()), spent);

    // Confirming again from a newer message is fine and records nothing new.
    let newer = links_for(&pool, v, start_of(&pool, v).await).await;
    let again = call(
        &anon,
        &base,
        "confirm_visit_by_link",
        &[("token", &newer.confirm)],
    )
    .await;
    assert_eq!(again.status(), 200);
    let events: i64 = sqlx::query_scalar(
        "select count(*) from appointment_events where appointment_id = $1 and kind = 'confirmed'",
    )
    .bind(v)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 1);

    // Cancelling from the link frees the visit; its other links then say so.
    let cancelled = call(
        &anon,
        &base,
        "cancel_visit_by_link",
        &[("token", &newer.cancel)],
    )
    .await;
    assert_eq!(
        cancelled.status(),
        200,
        "{}",
        cancelled.text().await.unwrap()
    );
    assert_eq!(state_of(&pool, v).await.0, "cancelled");
    let by_patient: i64 = sqlx::query_scalar(
        "select count(*) from appointment_events where appointment_id = $1 and kind = 'cancelled' and actor_role = 'patient'",
    )
    .bind(v)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(by_patient, 1);
    let after = page(
        &base,
        &anon,
        &format!("/visit/move?token={}", newer.move_time),
    )
    .await;
    assert!(after.contains("This visit was cancelled"), "{after}");

    // A visit moved since the message: its links say where it is now, and do nothing.
    let w = visit(&pool, &alice, &doctor, 24 * 7).await;
    let old = links_for(&pool, w, start_of(&pool, w).await).await;
    sqlx::query(
        "update appointments set start_time = start_time + interval '1 day',
                end_time = end_time + interval '1 day' where appointment_id = $1",
    )
    .bind(w)
    .execute(&pool)
    .await
    .unwrap();
    let moved = page(
        &base,
        &anon,
        &format!("/visit/confirm?token={}", old.confirm),
    )
    .await;
    assert!(moved.contains("has moved"), "{moved}");
    let (status, body) = json(
        call(
            &anon,
            &base,
            "cancel_visit_by_link",
            &[("token", &old.cancel)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("has moved"), "{body}");
    assert_eq!(state_of(&pool, w).await.0, "booked");

    // Inside the change freeze (24 hours): call the clinic, with its number.
    let soon = visit(&pool, &alice, &doctor, 5).await;
    let late = links_for(&pool, soon, start_of(&pool, soon).await).await;
    let shown = page(
        &base,
        &anon,
        &format!("/visit/cancel?token={}", late.cancel),
    )
    .await;
    assert!(shown.contains("+1 212 555 0100"), "{shown}");
    let (status, body) = json(
        call(
            &anon,
            &base,
            "cancel_visit_by_link",
            &[("token", &late.cancel)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("+1 212 555 0100"), "{body}");
    assert_eq!(state_of(&pool, soon).await.0, "booked");
    // Confirming is still welcome inside the freeze.
    let ok = call(
        &anon,
        &base,
        "confirm_visit_by_link",
        &[("token", &late.confirm)],
    )
    .await;
    assert_eq!(ok.status(), 200);
}

/// An SMS gateway that keeps what it is given.
#[derive(Default)]
struct Captured(Mutex<Vec<Sms>>);

impl SmsSender for Captured {
    fn send<'a>(
        &'a self,
        sms: &'a Sms,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = SendResult> + Send + 'a>> {
        self.0.lock().unwrap().push(sms.clone());
        Box::pin(async { Ok(()) })
    }
}

fn token_after<'a>(text: &'a str, path: &str) -> &'a str {
    let at = text
        .find(path)
        .unwrap_or_else(|| panic!("{path} in {text}"))
        + path.len();
    &text[at..at + 43]
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn reminders_carry_the_links_and_the_second_goes_only_to_unconfirmed_visits(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let doctor = create_person(&pool, Role::Doctor, "Mindoctor").await;
    let other_doctor = create_person(&pool, Role::Doctor, "Otherdoc").await;
    let alice = create_person(&pool, Role::Patient, "Alicemind").await;
    let bob = create_person(&pool, Role::Patient, "Bobmind").await;
    sqlx::query(
        "update patients set phone = '+12125550188', sms_opt_in = true where patient_id = $1",
    )
    .bind(alice.role_id)
    .execute(&pool)
    .await
    .unwrap();
    // Visits in 20 hours, inside the 24-hour reminder lead; a second reminder 21 hours
    // before (so it is due too).
    let a = visit(&pool, &alice, &doctor, 20).await;
    let b = visit(&pool, &bob, &other_doctor, 20).await;
    sqlx::query("update appointments set updated_at = now() - interval '2 days'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update clinic_settings set second_reminder_minutes = 1260")
        .execute(&pool)
        .await
        .unwrap();
    // Carol confirmed before any reminder: she gets no second one.
    let carol = create_person(&pool, Role::Patient, "Carolmind").await;
    let third_doctor = create_person(&pool, Role::Doctor, "Thirddoc").await;
    let c = visit(&pool, &carol, &third_doctor, 20).await;
    sqlx::query("update appointments set updated_at = now() - interval '2 days'")
        .execute(&pool)
        .await
        .unwrap();
    let carols = links_for(&pool, c, start_of(&pool, c).await).await;
    let confirmed = call(
        &client(),
        &base,
        "confirm_visit_by_link",
        &[("token", &carols.confirm)],
    )
    .await;
    assert_eq!(confirmed.status(), 200);

    let now = Utc::now();
    let policy = app::db::settings::clinic_policy(&pool).await.unwrap();
    let queued = queue_reminders(&pool, policy.reminder_lead(), now)
        .await
        .unwrap();
    // First reminders: Alice by email and text, Bob and Carol by email; second: Alice
    // (email, text) and Bob.
    assert_eq!(queued, 4 + 3, "queued {queued}");
    // Bob confirms after his second reminder was queued: it is dropped when sent.
    let bobs = links_for(&pool, b, start_of(&pool, b).await).await;
    let confirmed = call(
        &client(),
        &base,
        "confirm_visit_by_link",
        &[("token", &bobs.confirm)],
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    let mailbox = tempfile_dir();
    let texts = Arc::new(Captured::default());
    let channels = Channels {
        mailer: Mailer::Mailbox(mailbox.clone()),
        from: "Clinic <clinic@example.test>".parse().unwrap(),
        sms: Some(texts.clone()),
        links: LinkBase(base.clone()),
    };
    let report = deliver_due(&pool, &channels, now, 50).await.unwrap();
    assert_eq!(report.sent, 6, "{report:?}");
    // Bob's second reminder was dropped: he confirmed.
    assert_eq!(report.superseded, 1, "{report:?}");

    let text = texts.0.lock().unwrap().clone();
    assert_eq!(text.len(), 2);
    assert!(text.iter().all(|t| t.to == "+12125550188"));
    assert!(
        text[0].body.contains("Reply C to confirm or X to cancel"),
        "{}",
        text[0].body
    );
    assert!(
        text[0].body.contains("/visit/cancel?token="),
        "{}",
        text[0].body
    );
    let mut mails = Vec::new();
    for entry in std::fs::read_dir(&mailbox).unwrap() {
        mails.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let alices: Vec<&String> = mails.iter().filter(|m| m.contains("alicemind@")).collect();
    assert_eq!(alices.len(), 2);
    // The plain-text part carries each link on its own line.
    let mail = &smtp::part(alices[0], "text/plain").expect("a text part");
    for path in [
        "/visit/confirm?token=",
        "/visit/cancel?token=",
        "/visit/move?token=",
    ] {
        assert!(mail.contains(path), "{path} in {mail}");
    }
    // The emailed link works, once.
    let token = token_after(mail, "/visit/confirm?token=").to_owned();
    let ok = call(
        &client(),
        &base,
        "confirm_visit_by_link",
        &[("token", &token)],
    )
    .await;
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());
    assert_eq!(state_of(&pool, a).await.1.as_deref(), Some("link"));
    let _ = std::fs::remove_dir_all(&mailbox);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("clinic-mailbox-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A booked Standard visit of `patient` with `doctor` at `start`, written directly.
async fn visit_at(pool: &PgPool, patient: &Person, doctor: &Person, start: DateTime<Utc>) -> i64 {
    sqlx::query_scalar(
        "insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time,
                                   booked_by_user_id, booked_by_role, idempotency_key)
         values ($1, $2, 1, $3, $3 + interval '30 minutes', $4, 'patient', gen_random_uuid())
         returning appointment_id",
    )
    .bind(patient.role_id)
    .bind(doctor.role_id)
    .bind(start)
    .bind(patient.user_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn today_lists_tomorrows_unconfirmed_visits_to_call_earlier_no_shows_first(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let doctor = create_person(&pool, Role::Doctor, "Calldoc").await;
    let admin = create_person(&pool, Role::Admin, "Calladmin").await;
    let steady = create_person(&pool, Role::Patient, "Steadyone").await;
    let misser = create_person(&pool, Role::Patient, "Misserone").await;
    let sure = create_person(&pool, Role::Patient, "Sureone").await;
    // Tomorrow in the clinic's zone: 09:00, 10:00 and 11:00 there.
    let policy = app::db::settings::clinic_policy(&pool).await.unwrap();
    let tz = policy.time_zone();
    let tomorrow = domain::schedule::local_date(tz, Utc::now()) + Duration::days(1);
    let (morning, _) = domain::schedule::local_day_bounds(tz, tomorrow);
    let steady_visit = visit_at(&pool, &steady, &doctor, morning + Duration::hours(9)).await;
    let misser_visit = visit_at(&pool, &misser, &doctor, morning + Duration::hours(10)).await;
    let sure_visit = visit_at(&pool, &sure, &doctor, morning + Duration::hours(11)).await;
    // The misser missed a visit last month; the sure one confirmed by link.
    let missed = visit(&pool, &misser, &doctor, -24 * 20).await;
    sqlx::query("update appointments set status = 'no_show' where appointment_id = $1")
        .bind(missed)
        .execute(&pool)
        .await
        .unwrap();
    let links = links_for(&pool, sure_visit, start_of(&pool, sure_visit).await).await;
    let ok = call(
        &client(),
        &base,
        "confirm_visit_by_link",
        &[("token", &links.confirm)],
    )
    .await;
    assert_eq!(ok.status(), 200);

    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    let (status, today) = json(call(&staff, &base, "staff_today", &[]).await).await;
    assert_eq!(status, 200, "{today}");
    let calls: Vec<i64> = today["call_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["appointment_id"].as_i64().unwrap())
        .collect();
    assert_eq!(calls, vec![misser_visit, steady_visit]);
    assert_eq!(today["call_list"][0]["earlier_no_shows"], 1);
    // The missed visit counts among the unconfirmed ones' no-shows.
    assert_eq!(today["confirmation"]["no_show_unconfirmed"], 1);

    // Reached on the phone: staff record the confirmation, and the list shrinks.
    let reached = call(
        &staff,
        &base,
        "staff_confirm_visit",
        &[("appointment_id", &misser_visit.to_string())],
    )
    .await;
    assert!(reached.status().is_success(), "{}", reached.status());
    assert_eq!(
        state_of(&pool, misser_visit).await.1.as_deref(),
        Some("staff")
    );
    let (_, today) = json(call(&staff, &base, "staff_today", &[]).await).await;
    assert_eq!(today["call_list"].as_array().unwrap().len(), 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_signed_in_patient_confirms_on_the_visits_page_once(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let doctor = create_person(&pool, Role::Doctor, "Webdoc").await;
    let alice = create_person(&pool, Role::Patient, "Aliceweb").await;
    let bob = create_person(&pool, Role::Patient, "Bobweb").await;
    let v = visit(&pool, &alice, &doctor, 24 * 3).await;
    let (a, b) = (client(), client());
    log_in(&a, &base, &alice.email).await;
    log_in(&b, &base, &bob.email).await;
    // Someone else's visit: not found, and nothing recorded.
    let (status, _) = json(
        call(
            &b,
            &base,
            "confirm_my_visit",
            &[("appointment_id", &v.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(state_of(&pool, v).await.1, None);
    for _ in 0..2 {
        let (status, body) = json(
            call(
                &a,
                &base,
                "confirm_my_visit",
                &[("appointment_id", &v.to_string())],
            )
            .await,
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(state_of(&pool, v).await.1.as_deref(), Some("web"));
    let events: i64 = sqlx::query_scalar(
        "select count(*) from appointment_events where appointment_id = $1 and kind = 'confirmed'",
    )
    .bind(v)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 1);
    let page = a
        .get(format!("{base}/appointments/{v}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("You told us you will be there."), "{page}");
}
