//! The attacks of the accounts-and-input-hardening issue, one test each.

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn sign_in_never_sends_anyone_off_site_and_never_panics_on_next(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let patient = create_person(&pool, Role::Patient, "Redirected").await;
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/x\ny",
        "/x\ry",
        "/x\u{0}y",
        "/x\u{b}y",
    ] {
        // As a plain form post (a browser without the script) and as the app calls it.
        for accept in ["text/html", "application/json"] {
            let browser = client();
            let response = browser
                .post(format!("{base}/api/log_in"))
                .header("accept", accept)
                .form(&[
                    ("email", patient.email.as_str()),
                    ("password", PASSWORD),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!(status < 500, "{next:?}: {status}");
            if let Some(to) = location(&response) {
                // Home, or (a refused plain form) back to the page it came from.
                assert!(
                    to == "/" || to.starts_with("/login"),
                    "{next:?} with {accept}: {to}"
                );
            }
            // Either the sign-in went through (and stayed on this site), or a value with
            // control characters was refused as a whole — never a broken half-way state.
            let me: serde_json::Value = call(&browser, &base, "current_user", &[])
                .await
                .json()
                .await
                .unwrap();
            let refused = next
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
            let expected = if refused {
                serde_json::Value::Null
            } else {
                "patient".into()
            };
            assert_eq!(me["role"], expected, "{next:?} with {accept}");
        }
    }
    // Escapes stay escapes: the page neither decodes `next` twice nor follows it off-site.
    let page = reqwest::get(format!("{base}/login?next=/%2509/evil.example"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"value="/%09/evil.example""#),
        "the hidden next field keeps the escape"
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn dates_far_outside_the_calendar_get_a_clear_answer(pool: PgPool) {
    devdata::demo::seed_demo(&pool, &common::test_key())
        .await
        .unwrap();
    let base = spawn_app(pool.clone()).await;
    for week in ["-262143-01-01", "+262142-12-31", "1900-01-01", "2999-01-04"] {
        let response = call(&client(), &base, "finder_week", &[("week", week)]).await;
        assert_eq!(response.status(), 400, "{week}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Open times can be shown for the days from"),
            "{body}"
        );
        // The page answers (before: it never did) and says so.
        let page = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            reqwest::get(format!("{base}/book?week={}", week.replace('+', "%2B"))),
        )
        .await
        .expect("the page answers")
        .unwrap();
        assert!(page.status().as_u16() < 500);
        assert!(page
            .text()
            .await
            .unwrap()
            .contains("Open times can be shown for the days from"));
    }
    for start in ["+262142-12-31T23:59:59Z", "-262143-01-01T00:00:00Z"] {
        let patient = client();
        let p = create_person_named(&pool, &base, &patient).await;
        let response = call(
            &patient,
            &base,
            "hold_time",
            &[("start", start), ("appointment_type_id", "1")],
        )
        .await;
        assert_eq!(response.status(), 409, "{start} as {p}");
    }
}

/// A fresh patient signed in on `browser`; returns the email.
async fn create_person_named(pool: &PgPool, base: &str, browser: &reqwest::Client) -> String {
    let name = format!("Far{}", uuid::Uuid::new_v4().simple());
    let person = create_person(pool, Role::Patient, &name).await;
    log_in(browser, base, &person.email).await;
    person.email
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn malformed_arguments_are_400_and_big_bodies_413(pool: PgPool) {
    let base = spawn_app(pool).await;
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "finder_week",
            &[("appointment_type_id", "99999999999999999999999")],
        ),
        ("finder_week", &[("week", "not a date")]),
        ("get_hold", &[("token", "not-a-uuid")]),
        ("log_in", &[("email", "a@b.test")]),
        ("sign_up", &[("first_name", "x")]),
    ];
    for (endpoint, form) in cases {
        let response = call(&client(), &base, endpoint, form).await;
        assert_eq!(response.status(), 400, "{endpoint} {form:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body.get("BadRequest").is_some() || body.get("Validation").is_some(),
            "{body}"
        );
    }
    let twice = client()
        .post(format!("{base}/api/get_hold"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={0}&token={0}", uuid::Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 400);
    let not_utf8 = client()
        .post(format!("{base}/api/log_in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"email=%FF%FE&password=x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(not_utf8.status(), 400);
    let big = client()
        .post(format!("{base}/api/log_in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={}&password=x", "a".repeat(200_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn nul_bytes_and_giant_strings_are_refused_before_any_work(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Nuladmin").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    for (endpoint, browser, form) in [
        (
            "log_in",
            &client(),
            vec![("email", "a\u{0}b@example.test"), ("password", "whatever")],
        ),
        (
            "create_account",
            &staff,
            vec![
                ("role", "doctor"),
                ("first_name", "Nul"),
                ("last_name", "Byte"),
                ("email", "nul@example.test"),
                ("password", "a long enough passphrase"),
                ("specialty", "Cardio\u{0}logy"),
            ],
        ),
    ] {
        let response = call(browser, &base, endpoint, &form).await;
        assert_eq!(response.status(), 400, "{endpoint}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["Validation"]["message"]
                .as_str()
                .unwrap()
                .contains("not allowed"),
            "{body}"
        );
    }
    // A 60 KB email: refused as too long, never hashed, never breaking the attempts index.
    let giant = "e".repeat(60_000);
    let response = call(
        &client(),
        &base,
        "log_in",
        &[("email", &giant), ("password", "x")],
    )
    .await;
    assert_eq!(response.status(), 400);
    // Up to the field limit it is an ordinary (throttled, recorded) failed sign-in.
    let long = format!("{}@example.test", "l".repeat(3900));
    let response = call(
        &client(),
        &base,
        "log_in",
        &[("email", &long), ("password", "x")],
    )
    .await;
    assert_eq!(response.status(), 401);
    let recorded: i64 =
        sqlx::query_scalar("select count(*) from login_attempts where length(email) = 254")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded, 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_burst_of_wrong_passwords_gets_no_further_than_one_by_one(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let victim = create_person(&pool, Role::Patient, "Burst").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (base, email) = (base.clone(), victim.email.clone());
        tasks.spawn(async move {
            call(
                &client(),
                &base,
                "log_in",
                &[("email", email.as_str()), ("password", "wrong guess")],
            )
            .await
            .status()
            .as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.unwrap());
    }
    let evaluated = statuses.iter().filter(|&&s| s == 401).count();
    let throttled = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(evaluated + throttled, 20, "{statuses:?}");
    // One by one, ten wrong passwords are checked before sign-in pauses; at once, no more.
    assert_eq!(evaluated, 10, "passwords checked: {statuses:?}");
    let checked: i64 = sqlx::query_scalar(
        "select count(*) from login_attempts where email = $1 and not succeeded",
    )
    .bind(&victim.email)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(checked as usize, evaluated);
}

/// The last line of defence behind the input checks: a value PostgreSQL cannot store
/// (a NUL byte, a string longer than its column, a timestamp past its range) is the
/// caller's fault — `400` with a plain message, never an internal error.
#[sqlx::test(migrator = "MIGRATOR")]
async fn values_the_database_cannot_store_answer_400(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("create temporary table narrow (v varchar(3))")
        .execute(&mut *conn)
        .await
        .unwrap();
    let failures = [
        sqlx::query("select $1::text")
            .bind("a\u{0}b")
            .execute(&mut *conn)
            .await
            .unwrap_err(),
        sqlx::query("insert into narrow values ($1)")
            .bind("four")
            .execute(&mut *conn)
            .await
            .unwrap_err(),
        sqlx::query("select timestamptz '294276-12-31 00:00:00+00' + interval '1 year'")
            .execute(&mut *conn)
            .await
            .unwrap_err(),
    ];
    for err in failures {
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        let answer = app::AppError::from(err);
        assert_eq!(answer.status_code(), 400, "{code:?}: {answer:?}");
        assert!(!answer.message().contains("UTF8") && !answer.message().contains("varying"));
    }
}
