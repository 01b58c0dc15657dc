//! `POST /sms/inbound`: a gateway's texts, signed (HMAC-SHA256 over the raw body) with a
//! timestamp inside five minutes, each message id acted on once. C confirms, X asks back
//! and a second X cancels (never inside the freeze), STOP stops every text to the number
//! — queued ones included — with one confirmation, START restarts; a number of several
//! patients, or several visits in the window, gets a link instead of an action.

mod common;

use app::services::sms_inbound::sign;
use chrono::Utc;
use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

const SECRET: &str = "gateway-shared-secret-0123456789";

struct Gateway {
    base: String,
    http: reqwest::Client,
    n: std::cell::Cell<u32>,
}

impl Gateway {
    fn body(&self, id: &str, from: &str, text: &str, timestamp: i64) -> String {
        serde_json::json!({ "id": id, "from": from, "text": text, "timestamp": timestamp })
            .to_string()
    }

    async fn post(&self, body: &str, signature: Option<String>) -> (u16, String) {
        let mut request = self
            .http
            .post(format!("{}/sms/inbound", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(signature) = signature {
            request = request.header("X-Clinic-Signature", signature);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A fresh, signed text; answers the outcome.
    async fn text(&self, from: &str, words: &str) -> String {
        self.n.set(self.n.get() + 1);
        let body = self.body(
            &format!("gw-{}", self.n.get()),
            from,
            words,
            Utc::now().timestamp(),
        );
        let (status, answer) = self
            .post(&body, Some(sign(SECRET.as_bytes(), body.as_bytes())))
            .await;
        assert_eq!(status, 200, "{answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        answer["outcome"].as_str().unwrap().to_owned()
    }
}

async fn replies_to(pool: &PgPool, phone: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select body from notifications where kind = 'sms_reply' and to_phone = $1
          order by notification_id",
    )
    .bind(phone)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn status_of(pool: &PgPool, id: i64) -> (String, Option<String>) {
    sqlx::query_as("select status, confirmed_via from appointments where appointment_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn texts_are_signed_fresh_and_acted_on_once(pool: PgPool) {
    let base = spawn_app_with(pool.clone(), &[("CLINIC_SMS_WEBHOOK_SECRET", SECRET)]).await;
    // A one-hour change freeze, so that a visit inside the 24-hour reminder window can be
    // cancelled by text.
    sqlx::query(
        "update clinic_settings set change_freeze_minutes = 60, clinic_name = 'Riverside',
                clinic_phone = '+1 212 555 0100'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let doctor = create_person(&pool, Role::Doctor, "Textdoc").await;
    let alice = create_person(&pool, Role::Patient, "Alicetext").await;
    // Alice types her number the way people do; it is stored as E.164.
    let a = client();
    log_in(&a, &base, &alice.email).await;
    let saved = call(
        &a,
        &base,
        "update_profile",
        &[
            ("first_name", "Alice"),
            ("last_name", "Text"),
            ("phone", "(212) 555-0123"),
            ("sms_opt_in", "on"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let stored: String = sqlx::query_scalar("select phone from patients where patient_id = $1")
        .bind(alice.role_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, "+12125550123");
    let phone = "+12125550123";
    let v = visit(&pool, &alice, &doctor, 20).await;
    let g = Gateway {
        base: base.clone(),
        http: client(),
        n: std::cell::Cell::new(0),
    };

    // Unsigned, wrongly signed, stale or from the future: 401, nothing done.
    let now = Utc::now().timestamp();
    let body = g.body("bad-1", phone, "C", now);
    assert_eq!(g.post(&body, None).await.0, 401);
    assert_eq!(
        g.post(&body, Some(sign(b"not the secret", body.as_bytes())))
            .await
            .0,
        401
    );
    assert_eq!(g.post(&body, Some("sha256=00".into())).await.0, 401);
    for skew in [-400, 400] {
        let stale = g.body("bad-2", phone, "C", now + skew);
        assert_eq!(
            g.post(&stale, Some(sign(SECRET.as_bytes(), stale.as_bytes())))
                .await
                .0,
            401
        );
    }
    // Signed but not a text: 400.
    let junk = "{\"hello\": 1}";
    assert_eq!(
        g.post(junk, Some(sign(SECRET.as_bytes(), junk.as_bytes())))
            .await
            .0,
        400
    );
    assert_eq!(status_of(&pool, v).await, ("booked".into(), None));

    // C confirms; the same message again (a gateway retry, a replay) does nothing more.
    let body = g.body("gw-confirm", phone, " yes ", now);
    let signature = sign(SECRET.as_bytes(), body.as_bytes());
    let (status, first) = g.post(&body, Some(signature.clone())).await;
    assert_eq!((status, first.as_str()), (200, "{\"outcome\":\"confirm\"}"));
    let (status, again) = g.post(&body, Some(signature)).await;
    assert_eq!((status, again.as_str()), (200, "{\"outcome\":\"repeat\"}"));
    assert_eq!(
        status_of(&pool, v).await,
        ("booked".into(), Some("sms".into()))
    );
    let replies = replies_to(&pool, phone).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].starts_with("Riverside: Thank you"),
        "{replies:?}"
    );

    // X asks back; a second X cancels.
    assert_eq!(g.text(phone, "X").await, "cancel_asked");
    assert!(replies_to(&pool, phone).await[1].contains("Reply X again to cancel"));
    assert_eq!(status_of(&pool, v).await.0, "booked");
    assert_eq!(g.text(phone, "cancel").await, "cancel");
    assert_eq!(status_of(&pool, v).await.0, "cancelled");
    let by_patient: i64 = sqlx::query_scalar(
        "select count(*) from appointment_events where appointment_id = $1 and kind = 'cancelled' and actor_role = 'patient'",
    )
    .bind(v)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(by_patient, 1);
    // Nothing left in the window: said so.
    assert_eq!(g.text(phone, "C").await, "no_visit");

    // Inside the freeze a cancel by text is refused, with the clinic's number.
    let soon = visit(&pool, &alice, &doctor, 0).await;
    sqlx::query("update appointments set start_time = now() + interval '30 minutes', end_time = now() + interval '60 minutes' where appointment_id = $1")
        .bind(soon)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(g.text(phone, "X").await, "cancel_too_late");
    assert!(replies_to(&pool, phone)
        .await
        .last()
        .unwrap()
        .contains("+1 212 555 0100"));
    assert_eq!(status_of(&pool, soon).await.0, "booked");

    // Two visits in the window: a link, not an action.
    let other_doctor = create_person(&pool, Role::Doctor, "Textdoc2").await;
    visit(&pool, &alice, &other_doctor, 10).await;
    assert_eq!(g.text(phone, "C").await, "several_visits");
    assert!(replies_to(&pool, phone)
        .await
        .last()
        .unwrap()
        .contains("/appointments"));
    assert_eq!(status_of(&pool, soon).await.1, None);

    // An unknown number is told to call; HELP and anything else get the help text.
    assert_eq!(g.text("+12125559999", "C").await, "unknown_number");
    assert_eq!(g.text(phone, "what time?").await, "help");
    assert!(replies_to(&pool, phone)
        .await
        .last()
        .unwrap()
        .contains("STOP"));
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn stop_stops_every_text_at_once_and_shared_numbers_get_a_link(pool: PgPool) {
    let base = spawn_app_with(pool.clone(), &[("CLINIC_SMS_WEBHOOK_SECRET", SECRET)]).await;
    let doctor = create_person(&pool, Role::Doctor, "Stopdoc").await;
    let parent = create_person(&pool, Role::Patient, "Parentstop").await;
    let child = create_person(&pool, Role::Patient, "Childstop").await;
    let phone = "+442079460018";
    for p in [&parent, &child] {
        sqlx::query("update patients set phone = $2, sms_opt_in = true where patient_id = $1")
            .bind(p.role_id)
            .bind(phone)
            .execute(&pool)
            .await
            .unwrap();
    }
    let v = visit(&pool, &parent, &doctor, 20).await;
    let g = Gateway {
        base,
        http: client(),
        n: std::cell::Cell::new(0),
    };

    // One number, two patients: nobody's visit is touched; a link instead.
    assert_eq!(g.text(phone, "C").await, "several_patients");
    assert_eq!(status_of(&pool, v).await.1, None);
    assert!(replies_to(&pool, phone).await[0].contains("/appointments"));

    // A text queued for the parent, not sent yet; STOP drops it and turns texts off for
    // everyone with the number, answered once.
    sqlx::query(
        "insert into notifications (message_id, kind, channel, recipient_user_id, appointment_id,
                                    next_attempt_at)
         values (gen_random_uuid(), 'appointment_reminder', 'sms', $1, $2, now() + interval '1 hour')",
    )
    .bind(parent.user_id)
    .bind(v)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(g.text(phone, "STOP").await, "stop");
    let (queued, opted_in): (i64, i64) = sqlx::query_as(
        "select (select count(*) from notifications where kind = 'appointment_reminder' and status = 'pending'),
                (select count(*) from patients where phone = $1 and sms_opt_in)",
    )
    .bind(phone)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((queued, opted_in), (0, 0));
    let replies = replies_to(&pool, phone).await;
    assert_eq!(replies.len(), 2);
    assert!(replies[1].contains("no more texts"), "{replies:?}");
    // The answer to STOP itself is still pending (it goes, as carriers require).
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from notifications where kind = 'sms_reply' and status = 'pending' and body like '%no more texts%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(pending, 1);

    // START turns them on again.
    assert_eq!(g.text(phone, "start").await, "start");
    let opted_in: i64 =
        sqlx::query_scalar("select count(*) from patients where phone = $1 and sms_opt_in")
            .bind(phone)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(opted_in, 2);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn without_a_secret_there_is_no_inbound_endpoint(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let body = "{}";
    let response = client()
        .post(format!("{base}/sms/inbound"))
        .header(
            "X-Clinic-Signature",
            sign(SECRET.as_bytes(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_message_settings_name_bad_values_and_are_audited(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Msgadmin").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    for (minutes, region, field) in [
        ("1440", "US", "second_reminder_minutes"),
        ("5", "US", "second_reminder_minutes"),
        ("soon", "US", "second_reminder_minutes"),
        ("120", "ZZ", "phone_region"),
        ("120", "USA", "phone_region"),
    ] {
        let (status, body) = json(
            call(
                &staff,
                &base,
                "update_message_settings",
                &[
                    ("second_reminder_minutes", minutes),
                    ("phone_region", region),
                ],
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{minutes} {region}: {body}");
        assert!(body.to_string().contains(field), "{body}");
    }
    let (status, changes) = json(
        call(
            &staff,
            &base,
            "update_message_settings",
            &[("second_reminder_minutes", "120"), ("phone_region", "gb")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{changes}");
    assert_eq!(
        changes,
        serde_json::json!([
            "second_reminder_minutes: off → 120",
            "phone_region: US → GB"
        ])
    );
    let (_, shown) = json(call(&staff, &base, "get_message_settings", &[]).await).await;
    assert_eq!(shown["phone_region"], "GB");
    let detail: String = sqlx::query_scalar(
        "select detail from audit_log where action = 'clinic.settings' order by audit_id desc limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(detail.contains("phone_region: US → GB"), "{detail}");
    // A number typed without a country code is now read as a British one.
    let p = create_person(&pool, Role::Patient, "Britpat").await;
    let c = client();
    log_in(&c, &base, &p.email).await;
    let saved = call(
        &c,
        &base,
        "update_profile",
        &[
            ("first_name", "Brit"),
            ("last_name", "Pat"),
            ("phone", "020 7946 0018"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 200);
    let stored: String = sqlx::query_scalar("select phone from patients where patient_id = $1")
        .bind(p.role_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, "+442079460018");
}
