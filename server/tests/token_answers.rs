//! Whatever a client sends as a token, id or link — someone else's, unknown, expired,
//! used, of another purpose — the answer is the same, byte for byte, whenever telling them
//! apart would reveal that something exists. One test per kind of token; each also shows
//! that the owner's own token works (so the test could fail).

mod common;

use app::db::tokens::{self, Purpose};
use app::services::auth::tokens::new_token;
use chrono::{Duration, Utc};
use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// Status and body of a response, for comparing answers byte for byte.
async fn answer(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Asserts every answer equals the first; `cases` name them.
fn all_alike(kind: &str, cases: &[(&str, (u16, String))]) {
    let (first_name, first) = &cases[0];
    for (name, other) in &cases[1..] {
        assert_eq!(
            other, first,
            "{kind}: {name} answers differently from {first_name}"
        );
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn another_patients_hold_answers_as_an_unknown_or_lapsed_one(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let doctor = create_person(&pool, Role::Doctor, "Tokendoc").await;
    daily_hours_and_slots(&pool, &[&doctor], "09:00", "17:00").await;
    let owner = create_person(&pool, Role::Patient, "Holdowner").await;
    let lapser = create_person(&pool, Role::Patient, "Holdlapser").await;
    let prober = create_person(&pool, Role::Patient, "Holdprober").await;
    let (a, b, c) = (client(), client(), client());
    log_in(&a, &base, &owner.email).await;
    log_in(&b, &base, &prober.email).await;
    log_in(&c, &base, &lapser.email).await;

    // Two holds of other patients: one live, one lapsed (not yet swept). (A patient's new
    // hold lets go of their last one, so they are two people's.)
    let times: Vec<chrono::DateTime<Utc>> = sqlx::query_scalar(
        "select start_time from availability_slots
          where status = 'free' and start_time > now() + interval '1 day'
          order by start_time limit 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut owner_tokens = Vec::new();
    for (holder, start) in [&a, &c].into_iter().zip(&times) {
        let held = call(
            holder,
            &base,
            "hold_time",
            &[("start", &start.to_rfc3339()), ("appointment_type_id", "1")],
        )
        .await;
        assert!(
            held.status().as_u16() < 400,
            "{}",
            held.text().await.unwrap()
        );
        let token: uuid::Uuid = sqlx::query_scalar(
            "select hold_token from availability_slots where start_time = $1 and status = 'held'",
        )
        .bind(start)
        .fetch_one(&pool)
        .await
        .unwrap();
        owner_tokens.push(token);
    }
    let (live, lapsed) = (owner_tokens[0], owner_tokens[1]);
    sqlx::query("update availability_slots set hold_expires_at = now() - interval '1 minute' where hold_token = $1")
        .bind(lapsed)
        .execute(&pool)
        .await
        .unwrap();
    let unknown = uuid::Uuid::new_v4();

    let confirm = |token: uuid::Uuid| {
        let (b, base) = (b.clone(), base.clone());
        async move {
            let key = uuid::Uuid::new_v4().to_string();
            answer(
                call(
                    &b,
                    &base,
                    "confirm_booking",
                    &[("hold", &token.to_string()), ("idempotency_key", &key)],
                )
                .await,
            )
            .await
        }
    };
    all_alike(
        "confirming a hold",
        &[
            ("an unknown token", confirm(unknown).await),
            ("another patient's live hold", confirm(live).await),
            ("another patient's lapsed hold", confirm(lapsed).await),
        ],
    );
    let view = |token: uuid::Uuid| {
        let (b, base) = (b.clone(), base.clone());
        async move { answer(call(&b, &base, "get_hold", &[("token", &token.to_string())]).await).await }
    };
    all_alike(
        "reading a hold",
        &[
            ("an unknown token", view(unknown).await),
            ("another patient's live hold", view(live).await),
            ("another patient's lapsed hold", view(lapsed).await),
        ],
    );
    let release = |token: uuid::Uuid| {
        let (b, base) = (b.clone(), base.clone());
        async move {
            answer(call(&b, &base, "release_hold", &[("hold", &token.to_string())]).await).await
        }
    };
    all_alike(
        "letting go of a hold",
        &[
            ("an unknown token", release(unknown).await),
            ("another patient's live hold", release(live).await),
        ],
    );
    // Nothing of the owner's changed, and the owner's own live hold books.
    let held: i64 = sqlx::query_scalar(
        "select count(*) from availability_slots where hold_token = $1 and status = 'held'",
    )
    .bind(live)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(held, 1);
    let key = uuid::Uuid::new_v4().to_string();
    let own = call(
        &a,
        &base,
        "confirm_booking",
        &[("hold", &live.to_string()), ("idempotency_key", &key)],
    )
    .await;
    assert_eq!(own.status(), 200, "{}", own.text().await.unwrap());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn one_time_links_answer_alike_unless_they_work(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let person = create_person(&pool, Role::Patient, "Linkholder").await;
    let now = Utc::now();
    let mut conn = pool.acquire().await.unwrap();
    let issue = |purpose: Purpose, expires_in: Duration| {
        let token = new_token();
        let pool = pool.clone();
        let user_id = person.user_id;
        async move {
            let mut conn = pool.acquire().await.unwrap();
            let created = now - Duration::minutes(2);
            tokens::insert(
                &mut conn,
                user_id,
                purpose,
                &token,
                created,
                now + expires_in,
            )
            .await
            .unwrap();
            token
        }
    };
    let used = issue(Purpose::PasswordReset, Duration::hours(1)).await;
    sqlx::query("update one_time_tokens set used_at = now() where token_hash = sha256(convert_to($1, 'UTF8'))")
        .bind(&used)
        .execute(&mut *conn)
        .await
        .unwrap();

    for (endpoint, purpose, other_purpose) in [
        (
            "reset_password",
            Purpose::PasswordReset,
            Purpose::Invitation,
        ),
        (
            "accept_invitation",
            Purpose::Invitation,
            Purpose::EmailVerification,
        ),
        (
            "verify_email",
            Purpose::EmailVerification,
            Purpose::PasswordReset,
        ),
    ] {
        let expired = issue(purpose, Duration::minutes(-1)).await;
        let spent = issue(purpose, Duration::hours(1)).await;
        sqlx::query("update one_time_tokens set used_at = now() where token_hash = sha256(convert_to($1, 'UTF8'))")
            .bind(&spent)
            .execute(&pool)
            .await
            .unwrap();
        let elsewhere = issue(other_purpose, Duration::hours(1)).await;
        let try_token = |token: String| {
            let base = base.clone();
            async move {
                let form = [
                    ("token", token.as_str()),
                    ("new_password", "a fresh and long passphrase"),
                ];
                let form = if endpoint == "verify_email" {
                    &form[..1]
                } else {
                    &form[..]
                };
                answer(call(&client(), &base, endpoint, form).await).await
            }
        };
        all_alike(
            endpoint,
            &[
                ("an unknown token", try_token(new_token()).await),
                ("an expired token", try_token(expired).await),
                ("a used token", try_token(spent).await),
                ("a token of another purpose", try_token(elsewhere).await),
                ("another kind's used token", try_token(used.clone()).await),
                (
                    "a token of the wrong alphabet",
                    try_token("!".repeat(43)).await,
                ),
                ("a short token", try_token("abc".to_owned()).await),
            ],
        );
        // A live one works.
        let live = issue(purpose, Duration::hours(1)).await;
        let (status, body) = try_token(live).await;
        assert!(
            status < 400,
            "{endpoint} with a live token: {status} {body}"
        );
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn calendar_feed_links_answer_alike_unless_they_work(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let (d1, d2) = (
        create_person(&pool, Role::Doctor, "Feedone").await,
        create_person(&pool, Role::Doctor, "Feedtwo").await,
    );
    let (one, two) = (client(), client());
    log_in(&one, &base, &d1.email).await;
    log_in(&two, &base, &d2.email).await;
    let feed = |c: reqwest::Client| {
        let base = base.clone();
        async move {
            call(&c, &base, "calendar_feed", &[])
                .await
                .json::<String>()
                .await
                .unwrap()
        }
    };
    let revoked = feed(one.clone()).await;
    let live = feed(one.clone()).await; // replaces the first
    let of_deactivated = feed(two.clone()).await;
    sqlx::query("update doctors set active = false where doctor_id = $1")
        .bind(d2.role_id)
        .execute(&pool)
        .await
        .unwrap();
    let get = |url: String| async move { answer(reqwest::get(url).await.unwrap()).await };
    let unknown = format!("{base}/calendar/{}.ics", new_token());
    all_alike(
        "calendar feed",
        &[
            ("an unknown token", get(unknown).await),
            ("a replaced token", get(revoked).await),
            ("a deactivated doctor's token", get(of_deactivated).await),
            (
                "a malformed token",
                get(format!("{base}/calendar/%00.ics")).await,
            ),
            (
                "a short token",
                get(format!("{base}/calendar/abc.ics")).await,
            ),
        ],
    );
    assert_eq!(get(live).await.0, 200);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn another_persons_visit_answers_as_a_missing_one(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let owner = create_person(&pool, Role::Patient, "Visitowner").await;
    let prober = create_person(&pool, Role::Patient, "Visitprober").await;
    let (d1, d2) = (
        create_person(&pool, Role::Doctor, "Visitdocone").await,
        create_person(&pool, Role::Doctor, "Visitdoctwo").await,
    );
    daily_hours_and_slots(&pool, &[&d1, &d2], "09:00", "17:00").await;
    let theirs = visit(&pool, &owner, &d1, 24 * 7).await;
    let missing = theirs + 1_000_000;
    let free = first_free_time_after_a_day(&pool).await.to_rfc3339();
    let (patient, doctor, other_doctor, owner_client) = (client(), client(), client(), client());
    log_in(&patient, &base, &prober.email).await;
    log_in(&other_doctor, &base, &d2.email).await;
    log_in(&doctor, &base, &d1.email).await;
    log_in(&owner_client, &base, &owner.email).await;

    for (endpoint, extra) in [
        ("appointment_detail", None),
        ("cancel_appointment", None),
        ("reschedule_appointment", Some(("start", free.as_str()))),
        ("move_preview", Some(("start", free.as_str()))),
    ] {
        let ask = |id: i64| {
            let (patient, base) = (patient.clone(), base.clone());
            async move {
                let id = id.to_string();
                let mut form = vec![("appointment_id", id.as_str())];
                form.extend(extra);
                answer(call(&patient, &base, endpoint, &form).await).await
            }
        };
        all_alike(
            endpoint,
            &[
                ("a missing visit", ask(missing).await),
                ("another patient's visit", ask(theirs).await),
            ],
        );
    }
    let ics = |c: reqwest::Client, id: i64| {
        let base = base.clone();
        async move {
            answer(
                c.get(format!("{base}/appointments/{id}/calendar.ics"))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    all_alike(
        "calendar download",
        &[
            ("a missing visit", ics(patient.clone(), missing).await),
            (
                "another patient's visit",
                ics(patient.clone(), theirs).await,
            ),
        ],
    );
    assert_eq!(ics(owner_client.clone(), theirs).await.0, 200);

    for (endpoint, extra) in [
        ("visit_record", None),
        ("set_visit_outcome", Some(("outcome", "completed"))),
    ] {
        let ask = |id: i64| {
            let (c, base) = (other_doctor.clone(), base.clone());
            async move {
                let id = id.to_string();
                let mut form = vec![("appointment_id", id.as_str())];
                form.extend(extra);
                answer(call(&c, &base, endpoint, &form).await).await
            }
        };
        all_alike(
            endpoint,
            &[
                ("a missing visit", ask(missing).await),
                ("another doctor's visit", ask(theirs).await),
            ],
        );
    }
    // The owners themselves see it.
    let own = call(
        &owner_client,
        &base,
        "appointment_detail",
        &[("appointment_id", &theirs.to_string())],
    )
    .await;
    assert_eq!(own.status(), 200);
    let record = call(
        &doctor,
        &base,
        "visit_record",
        &[("appointment_id", &theirs.to_string())],
    )
    .await;
    assert_eq!(record.status(), 200);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn another_portals_page_is_refused_with_403_and_a_way_home(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let patient = create_person(&pool, Role::Patient, "Portalpatient").await;
    let doctor = create_person(&pool, Role::Doctor, "Portaldoctor").await;
    let admin = create_person(&pool, Role::Admin, "Portaladmin").await;
    let signed_in = |email: String| {
        let base = base.clone();
        async move {
            let c = client();
            log_in(&c, &base, &email).await;
            c
        }
    };
    let as_patient = signed_in(patient.email.clone()).await;
    let as_doctor = signed_in(doctor.email.clone()).await;
    let as_admin = signed_in(admin.email.clone()).await;
    for (who, browser, path, for_whom, home, hidden) in [
        (
            "patient",
            &as_patient,
            "/admin",
            "clinic staff",
            "/appointments",
            "Today at the clinic",
        ),
        (
            "patient",
            &as_patient,
            "/admin/settings",
            "clinic staff",
            "/appointments",
            "Settings",
        ),
        (
            "doctor",
            &as_doctor,
            "/admin/patients",
            "clinic staff",
            "/doctor",
            "Patients",
        ),
        (
            "patient",
            &as_patient,
            "/doctor",
            "doctors",
            "/appointments",
            "Your calendar",
        ),
        (
            "admin",
            &as_admin,
            "/doctor/hours",
            "doctors",
            "/admin",
            "Your weekly hours",
        ),
        (
            "doctor",
            &as_doctor,
            "/appointments",
            "patients",
            "/doctor",
            "My appointments",
        ),
    ] {
        let response = browser
            .get(format!("{base}{path}"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let page = response.text().await.unwrap();
        assert_eq!(status, 403, "{who} on {path}");
        assert!(
            page.contains(for_whom),
            "{who} on {path}: says whom it is for"
        );
        assert!(
            page.contains(&format!("href=\"{home}\"")),
            "{who} on {path}: links to their own portal"
        );
        let title = page
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap_or_default();
        assert!(
            !title.contains(hidden) && !page.contains(&format!("<h1>{hidden}</h1>")),
            "{who} on {path}: the refused page's title or heading shows ({title})"
        );
    }
    // Their own portals answer as before, and an anonymous visitor is sent to sign in.
    for (browser, path) in [
        (&as_patient, "/appointments"),
        (&as_doctor, "/doctor"),
        (&as_admin, "/admin"),
    ] {
        let response = browser.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let anonymous = client()
        .get(format!("{base}/admin"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(
        anonymous.status().is_redirection(),
        "{}",
        anonymous.status()
    );
    assert!(anonymous.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));
}
