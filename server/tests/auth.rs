//! Accounts, sessions, CSRF, headers, throttling and the audit log, over real HTTP.

mod common;

use std::time::{Duration, Instant};

use app::services::audit::{verify_chain, ChainReport};
use common::*;
use domain::role::Role;
use reqwest::header::{COOKIE, SET_COOKIE};
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("clinic_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

async fn whoami(client: &reqwest::Client, base: &str) -> serde_json::Value {
    let response = call(client, base, "current_user", &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn audit_count(pool: &PgPool, action: &str, outcome: &str) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where action = $1 and outcome = $2")
        .bind(action)
        .bind(outcome)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The confirmation link's query (`token=…&next=…`) queued for `email`, if any.
async fn confirmation_link(pool: &PgPool, email: &str) -> Option<String> {
    sqlx::query_scalar(
        "select n.secret from notifications n join users u on u.user_id = n.recipient_user_id
         where u.email = $1 and n.kind = 'email_verification' and n.status = 'pending'
         order by n.notification_id desc limit 1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn sign_up_creates_the_patient_confirmed_by_link_and_names_bad_fields(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let browser = client();
    let form = |email: &'static str, password: &'static str| {
        vec![
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", email),
            ("phone", ""),
            ("password", password),
            ("next", "/book?type=2"),
        ]
    };
    let ok = call(
        &browser,
        &base,
        "sign_up",
        &form("Ada@Example.test", "a long enough passphrase"),
    )
    .await;
    assert_eq!(ok.status(), 200);
    // Not signed in, and cannot sign in, until the address is confirmed.
    assert_eq!(whoami(&browser, &base).await, serde_json::Value::Null);
    let early = call(
        &browser,
        &base,
        "log_in",
        &[
            ("email", "ada@example.test"),
            ("password", "a long enough passphrase"),
        ],
    )
    .await;
    assert_eq!(early.status(), 403);
    let wrong = call(
        &browser,
        &base,
        "log_in",
        &[("email", "ada@example.test"), ("password", "wrong")],
    )
    .await;
    assert_eq!(
        wrong.status(),
        401,
        "without the password nothing is learned"
    );

    let (role, patient_rows, hash): (String, i64, String) = sqlx::query_as(
        "select u.role, (select count(*) from patients p where p.user_id = u.user_id), u.password_hash
         from users u where email = 'ada@example.test'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((role.as_str(), patient_rows), ("patient", 1));
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "argon2 parameters: {hash}"
    );

    // The emailed link confirms the address, signs in and leads on to `next`.
    let link = confirmation_link(&pool, "ada@example.test")
        .await
        .expect("a link was queued");
    let token = link
        .split('&')
        .next()
        .unwrap()
        .trim_start_matches("token=")
        .to_owned();
    assert!(link.contains("next=/book%3Ftype%3D2"), "{link}");
    let confirmed = call(
        &browser,
        &base,
        "verify_email",
        &[("token", &token), ("next", "/book?type=2")],
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(whoami(&browser, &base).await["email"], "ada@example.test");
    let again = call(&client(), &base, "verify_email", &[("token", &token)]).await;
    assert_eq!(again.status(), 400, "the link works once");

    for (email, password, field) in [
        ("not-an-email", "a long enough passphrase", "email"),
        ("new@example.test", "short", "password"),
        ("new@example.test", "password123", "password"),
    ] {
        let response = call(&client(), &base, "sign_up", &form(email, password)).await;
        let status = response.status();
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{email} / {password}: {error}");
        assert_eq!(error["Validation"]["field"], field, "{error}");
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "refused sign-ups create nothing");
    assert_eq!(audit_count(&pool, "account.signup", "success").await, 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn sign_up_does_not_tell_who_has_an_account(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let existing = create_person(&pool, Role::Patient, "Known").await;
    let attempt = |email: String| {
        let base = base.clone();
        async move {
            let response = call(
                &client(),
                &base,
                "sign_up",
                &[
                    ("first_name", "Someone"),
                    ("last_name", "Else"),
                    ("email", email.as_str()),
                    ("password", "a long enough passphrase"),
                ],
            )
            .await;
            let status = response.status();
            let cookie = response.headers().get_all("set-cookie").iter().count();
            let location = response.headers().get("location").cloned();
            (status, cookie, location, response.text().await.unwrap())
        }
    };
    let taken = attempt(existing.email.to_uppercase()).await;
    let fresh = attempt("brand-new@example.test".to_owned()).await;
    assert_eq!(
        taken, fresh,
        "the same answer for a known and a new address"
    );
    // The owner hears about it; their account is unchanged.
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications where recipient_user_id = $1 and kind = 'signup_attempt'",
    )
    .bind(existing.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
    let still: i64 = sqlx::query_scalar("select count(*) from users where email = $1")
        .bind(&existing.email)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(still, 1);
    log_in(&client(), &base, &existing.email).await;
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_session_id_changes_at_sign_in_and_dies_at_sign_out(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let base = spawn_app(pool.clone()).await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // A session id planted by an attacker is never adopted.
    let planted = "clinic_session=attacker-chosen-id";
    let response = plain
        .post(format!("{base}/api/log_in"))
        .header(COOKIE, planted)
        .form(&[("email", patient.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let first = session_cookie(&response).expect("a session cookie");
    assert_ne!(first, planted);
    let cookie_header = response
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Lax"),
        "{cookie_header}"
    );

    // Signing in again from that session issues yet another id.
    let again = plain
        .post(format!("{base}/api/log_in"))
        .header(COOKIE, &first)
        .form(&[("email", patient.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let second = session_cookie(&again).unwrap();
    assert_ne!(first, second);

    let me = |cookie: String| {
        let plain = plain.clone();
        let base = base.clone();
        async move {
            let r = plain
                .post(format!("{base}/api/current_user"))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(me(second.clone()).await["role"], "patient");
    let out = plain
        .post(format!("{base}/api/log_out"))
        .header(COOKIE, &second)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    // Replaying the old cookie after sign-out: nobody.
    assert_eq!(me(second).await, serde_json::Value::Null);
    assert_eq!(audit_count(&pool, "auth.logout", "success").await, 1);
    assert_eq!(audit_count(&pool, "auth.login", "success").await, 2);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn sessions_expire_when_idle_and_after_the_absolute_limit(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;

    let mut idle = test_config(&[]);
    idle.session_idle = chrono::Duration::seconds(2);
    let base = spawn_with_config(pool.clone(), idle).await;
    let idler = client();
    log_in(&idler, &base, &patient.email).await;
    assert_eq!(whoami(&idler, &base).await["role"], "patient");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        whoami(&idler, &base).await,
        serde_json::Value::Null,
        "idle session ended"
    );

    let mut absolute = test_config(&[]);
    absolute.session_absolute = chrono::Duration::seconds(3);
    let base = spawn_with_config(pool.clone(), absolute).await;
    let busy = client();
    log_in(&busy, &base, &patient.email).await;
    // Busy all along, yet the absolute limit still ends it.
    for _ in 0..3 {
        assert_eq!(whoami(&busy, &base).await["role"], "patient");
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    assert_eq!(
        whoami(&busy, &base).await,
        serde_json::Value::Null,
        "absolute limit reached"
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn disabling_an_account_ends_its_sessions(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let admin = create_person(&pool, Role::Admin, "Boss").await;
    let base = spawn_app(pool.clone()).await;
    let (patient_client, admin_client) = (client(), client());
    log_in(&patient_client, &base, &patient.email).await;
    log_in(&admin_client, &base, &admin.email).await;

    let user_id = patient.user_id.to_string();
    let disabled = call(
        &admin_client,
        &base,
        "set_account_disabled",
        &[("user_id", &user_id), ("disabled", "true")],
    )
    .await;
    assert_eq!(disabled.status(), 200);
    assert_eq!(
        whoami(&patient_client, &base).await,
        serde_json::Value::Null
    );
    let retry = call(
        &client(),
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(retry.status(), 401);
    assert_eq!(audit_count(&pool, "account.disable", "success").await, 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn changing_the_password_ends_other_sessions_only(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let base = spawn_app(pool.clone()).await;
    let (laptop, phone) = (client(), client());
    log_in(&laptop, &base, &patient.email).await;
    log_in(&phone, &base, &patient.email).await;

    let wrong = call(
        &laptop,
        &base,
        "change_password",
        &[
            ("current_password", "nope nope nope"),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let changed = call(
        &laptop,
        &base,
        "change_password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(changed.status(), 200, "{}", changed.text().await.unwrap());
    assert_eq!(
        whoami(&laptop, &base).await["role"],
        "patient",
        "this session continues"
    );
    assert_eq!(
        whoami(&phone, &base).await,
        serde_json::Value::Null,
        "the other one ended"
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn cross_site_state_changes_are_refused(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let base = spawn_app(pool.clone()).await;
    let client = client();
    log_in(&client, &base, &patient.email).await;

    let foreign = client
        .post(format!("{base}/api/log_out"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let cross_site = client
        .post(format!("{base}/api/log_out"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(
        whoami(&client, &base).await["role"],
        "patient",
        "the session survived both"
    );

    let same = client
        .post(format!("{base}/api/log_out"))
        .header("origin", &base)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);
    assert_eq!(whoami(&client, &base).await, serde_json::Value::Null);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn security_headers_are_on_pages_and_server_functions(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let page = client().get(format!("{base}/")).send().await.unwrap();
    let page_headers = page.headers().clone();
    let csp = page_headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("'nonce-")
            && csp.contains("object-src 'none'")
            && csp.contains("base-uri 'none'")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the header's nonce"
    );

    let api = call(&client(), &base, "clinic_directory", &[]).await;
    // Pages and server-function answers alike.
    for response_headers in [&page_headers, api.headers()] {
        assert_eq!(response_headers["x-content-type-options"], "nosniff");
        assert_eq!(response_headers["cache-control"], "no-store");
        assert!(response_headers.contains_key("content-security-policy"));
        assert!(response_headers.contains_key("referrer-policy"));
        assert!(
            !response_headers.contains_key("strict-transport-security"),
            "no HSTS over plain http"
        );
    }

    // Over HTTPS (behind a TLS proxy): __Host- cookie, Secure, HSTS.
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let https = spawn_app_with(pool.clone(), &[("CLINIC_SECURE_COOKIES", "true")]).await;
    let response = call(
        &client(),
        &https,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-clinic_session=")
            && cookie.contains("Secure")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(response.headers().contains_key("strict-transport-security"));
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn unknown_email_and_wrong_password_look_alike(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let base = spawn_app(pool.clone()).await;
    let timed = |email: String| {
        let base = base.clone();
        async move {
            let started = Instant::now();
            let response = call(
                &client(),
                &base,
                "log_in",
                &[("email", &email), ("password", "wrong password here")],
            )
            .await;
            (
                started.elapsed(),
                response.status(),
                response.text().await.unwrap(),
            )
        }
    };
    let mut wrong_password = Vec::new();
    let mut unknown_email = Vec::new();
    for i in 0..2 {
        wrong_password.push(timed(patient.email.clone()).await);
        unknown_email.push(timed(format!("nobody{i}@people.test")).await);
    }
    assert_eq!(wrong_password[0].1, 401);
    assert_eq!(
        (wrong_password[0].1, &wrong_password[0].2),
        (unknown_email[0].1, &unknown_email[0].2)
    );
    // An unknown email still pays for a full argon2 verification.
    let fastest =
        |v: &[(Duration, reqwest::StatusCode, String)]| v.iter().map(|t| t.0).min().unwrap();
    assert!(
        fastest(&unknown_email) * 2 > fastest(&wrong_password),
        "unknown {:?} vs wrong {:?}",
        fastest(&unknown_email),
        fastest(&wrong_password)
    );
    assert_eq!(audit_count(&pool, "auth.login", "failure").await, 4);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn repeated_failures_slow_down_then_block_without_locking_out_for_good(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let base = spawn_app(pool.clone()).await;
    let fail_at = |email: String, minutes_ago: i64, n: i32| {
        let pool = pool.clone();
        async move {
            sqlx::query(
                "insert into login_attempts (email, client_addr, succeeded, attempted_at)
                 select $1, '10.9.9.9', false, now() - make_interval(mins => $2::int) from generate_series(1, $3)",
            )
            .bind(email)
            .bind(minutes_ago as i32)
            .bind(n)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    // Three recent failures: the next attempt is delayed (but works).
    fail_at(patient.email.clone(), 1, 3).await;
    let started = Instant::now();
    log_in(&client(), &base, &patient.email).await;
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );

    // Ten failures since that success: even the right password gets "try again later".
    fail_at(patient.email.clone(), 0, 10).await;
    let blocked = call(
        &client(),
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(blocked.status(), 429);

    // Failures older than the window are forgotten: the owner gets back in.
    sqlx::query("update login_attempts set attempted_at = attempted_at - interval '16 minutes' where not succeeded")
        .execute(&pool)
        .await
        .unwrap();
    log_in(&client(), &base, &patient.email).await;

    // One address failing on many accounts is paused too (this test's client is 127.0.0.1).
    sqlx::query(
        "insert into login_attempts (email, client_addr, succeeded)
         select 'someone' || g || '@people.test', '127.0.0.1', false from generate_series(1, 50) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    let from_busy_address = call(
        &client(),
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(from_busy_address.status(), 429);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn audit_log_is_append_only_and_tampering_is_detected(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let base = spawn_app(pool.clone()).await;
    let client = client();
    for _ in 0..3 {
        log_in(&client, &base, &patient.email).await;
    }
    call(&client, &base, "log_out", &[]).await;
    assert_eq!(
        verify_chain(&pool).await.unwrap(),
        ChainReport::Intact { rows: 4 }
    );

    let update = sqlx::query("update audit_log set outcome = 'failure' where chain_seq = 2")
        .execute(&pool)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("delete from audit_log where chain_seq = 4")
        .execute(&pool)
        .await;
    assert!(delete.is_err());
    let truncate = sqlx::query("truncate audit_log").execute(&pool).await;
    assert!(truncate.is_err());

    // A superuser bypassing the triggers can still edit a row; the chain gives it away.
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("update audit_log set actor_role = 'admin' where chain_seq = 2")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("set session_replication_role = origin")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    match verify_chain(&pool).await.unwrap() {
        ChainReport::Broken {
            chain_seq, problem, ..
        } => {
            assert_eq!(chain_seq, 2);
            assert!(problem.contains("do not match"), "{problem}");
        }
        intact => panic!("tampering not detected: {intact:?}"),
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn deleting_audit_rows_behind_the_triggers_is_detected(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let base = spawn_app(pool.clone()).await;
    for _ in 0..3 {
        log_in(&client(), &base, &patient.email).await;
    }
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("delete from audit_log where chain_seq = 2")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    match verify_chain(&pool).await.unwrap() {
        ChainReport::Broken { chain_seq, .. } => assert_eq!(chain_seq, 3, "the row after the gap"),
        intact => panic!("deletion not detected: {intact:?}"),
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn behind_a_trusted_proxy_the_forwarded_client_address_is_throttled(pool: PgPool) {
    let patient = create_person(&pool, Role::Patient, "Pat").await;
    let base = spawn_app_with(pool.clone(), &[("CLINIC_TRUST_FORWARDED_FOR", "true")]).await;
    sqlx::query(
        "insert into login_attempts (email, client_addr, succeeded)
         select 'someone' || g || '@people.test', '203.0.113.9', false from generate_series(1, 50) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    let attempt = |forwarded: &'static str| {
        let (base, email) = (base.clone(), patient.email.clone());
        async move {
            client()
                .post(format!("{base}/api/log_in"))
                .header("x-forwarded-for", forwarded)
                .form(&[("email", email.as_str()), ("password", PASSWORD)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Only the last hop (added by our proxy) counts; a client cannot dodge by prepending.
    assert_eq!(attempt("198.51.100.1, 203.0.113.9").await, 429);
    assert_eq!(attempt("203.0.113.9, 203.0.113.10").await, 200);
}
