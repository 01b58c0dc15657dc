//! HTTP-level tests: the real router on port 0 against a fresh database per test.

mod common;

use common::spawn_app;
use sqlx::PgPool;

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn health_and_readiness_answer(pool: PgPool) {
    let base = spawn_app(pool).await;
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn readiness_fails_when_the_database_is_unreachable(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    pool.close().await;
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.text().await.unwrap(), "database unavailable");
    // Liveness is about the process, not its dependencies.
    assert_eq!(
        reqwest::get(format!("{base}/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn home_page_is_server_rendered_with_the_directory(pool: PgPool) {
    devdata::demo::seed_demo(&pool, &common::test_key())
        .await
        .unwrap();
    let base = spawn_app(pool).await;
    let response = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Welcome to Riverside Family Clinic"),
        "clinic name missing"
    );
    for (first, last, _, _) in devdata::demo::DEMO_DOCTORS {
        assert!(
            html.contains(&format!("Dr. {first} {last}")),
            "doctor {last} missing"
        );
    }
    assert!(html.contains("/pkg/clinic.js"), "hydration script missing");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn directory_server_function_answers_json(pool: PgPool) {
    devdata::demo::seed_demo(&pool, &common::test_key())
        .await
        .unwrap();
    sqlx::query("update doctors set active = false where last_name = 'Chen'")
        .execute(&pool)
        .await
        .unwrap();
    let base = spawn_app(pool).await;
    let response = reqwest::Client::new()
        .post(format!("{base}/api/clinic_directory"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["clinic"]["name"], "Riverside Family Clinic");
    let doctors = body["doctors"].as_array().unwrap();
    assert_eq!(doctors.len(), 7, "inactive doctors are not listed");
    assert!(doctors.iter().all(|d| d["display_name"] != "Dr. Mei Chen"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn unknown_pages_answer_404(pool: PgPool) {
    let base = spawn_app(pool).await;
    let response = reqwest::get(format!("{base}/no-such-page")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn demo_data_loads_once(pool: PgPool) {
    assert!(devdata::demo::seed_demo(&pool, &common::test_key())
        .await
        .unwrap());
    assert!(!devdata::demo::seed_demo(&pool, &common::test_key())
        .await
        .unwrap());
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 1 + 8 + 3);
    let hash: String = sqlx::query_scalar("select password_hash from users where role = 'admin'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
    // Past visits for outcomes: one completed, one no-show, one waiting for its outcome.
    let past: Vec<String> = sqlx::query_scalar(
        "select status from appointments where start_time < now() order by start_time",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(past, ["completed", "no_show", "booked"]);
    // Dr. Chen on leave next week: blocked whole days with a note.
    let leave: i64 = sqlx::query_scalar(
        "select count(*) from availability_slots s join doctors d using (doctor_id)
         where d.last_name = 'Chen' and s.status = 'blocked' and s.block_note = 'Conference'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(leave > 0);
    // Every booked slot, past ones included, belongs to exactly one live visit.
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from availability_slots s where s.status = 'booked' and
           (select count(*) from appointment_slots l join appointments a using (appointment_id)
             where l.slot_id = s.slot_id and a.status <> 'cancelled') <> 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_development_mailbox_is_only_on_loopback_without_smtp(pool: PgPool) {
    let local = spawn_app(pool.clone()).await;
    // Anonymous visitors are sent to sign in; patients find nothing; admins see it, with
    // the same security headers as every page.
    let anonymous = common::client()
        .get(format!("{local}/dev/mailbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/login?next=/dev/mailbox");
    let patient = common::create_person(&pool, domain::role::Role::Patient, "Mailpeek").await;
    let as_patient = common::client();
    common::log_in(&as_patient, &local, &patient.email).await;
    let peek = as_patient
        .get(format!("{local}/dev/mailbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(peek.status(), 404);
    let admin = common::create_person(&pool, domain::role::Role::Admin, "Mailadmin").await;
    let as_admin = common::client();
    common::log_in(&as_admin, &local, &admin.email).await;
    let page = as_admin
        .get(format!("{local}/dev/mailbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("x-request-id"));
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers().contains_key("content-security-policy"));
    for sneaky in [
        "..%2F..%2F..%2Fdev%2Fzero",
        "..%2Fsecret.eml",
        ".hidden.eml",
        "x.txt",
    ] {
        let status = as_admin
            .get(format!("{local}/dev/mailbox/{sneaky}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{sneaky}");
    }

    // Configured for a public address (the test still listens on loopback): no page.
    let public = common::spawn_app_with(pool.clone(), &[("CLINIC_ADDR", "0.0.0.0:8080")]).await;
    assert_eq!(
        reqwest::get(format!("{public}/dev/mailbox"))
            .await
            .unwrap()
            .status(),
        404
    );
    // With SMTP configured: no page either.
    let smtp = common::spawn_app_with(pool, &[("CLINIC_SMTP_URL", "smtp://127.0.0.1:2525")]).await;
    assert_eq!(
        reqwest::get(format!("{smtp}/dev/mailbox"))
            .await
            .unwrap()
            .status(),
        404
    );
}

/// The installable app's files: the worker and offline page revalidated (never kept
/// long, never `no-store` either: the worker must be able to update), the fingerprinted
/// manifest and icons cached for good with their right types, and every page linking the
/// manifest the build named in `hash.txt`.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_installable_app_files_are_served_with_their_types_and_caching(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("clinic-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let hash = "0123456789abcdef";
    std::fs::write(
        site.join("hash.txt"),
        format!("js: {hash}\nwasm: {hash}\ncss: {hash}\nwebmanifest: {hash}\nicon-apple: {hash}\n"),
    )
    .unwrap();
    std::fs::write(site.join(format!("pkg/app.{hash}.webmanifest")), "{}").unwrap();
    std::fs::write(site.join(format!("pkg/icon-192.{hash}.png")), b"\x89PNG").unwrap();
    std::fs::write(site.join("sw.js"), "// worker").unwrap();
    std::fs::write(site.join("offline.html"), "<!DOCTYPE html>").unwrap();
    std::fs::write(site.join("offline.js"), "// offline").unwrap();
    let base = common::spawn_app_with(pool, &[("CLINIC_SITE_ROOT", site.to_str().unwrap())]).await;
    let get = |path: &str| reqwest::get(format!("{base}{path}"));
    for (path, kind, caching) in [
        ("/sw.js", "javascript", "no-cache"),
        ("/offline.html", "text/html", "no-cache"),
        ("/offline.js", "javascript", "no-cache"),
        (
            &format!("/pkg/app.{hash}.webmanifest") as &str,
            "application/manifest+json",
            "public, max-age=31536000, immutable",
        ),
        (
            &format!("/pkg/icon-192.{hash}.png"),
            "image/png",
            "public, max-age=31536000, immutable",
        ),
    ] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
        assert!(
            header("content-type").contains(kind),
            "{path}: {}",
            header("content-type")
        );
        assert_eq!(header("cache-control"), caching, "{path}");
    }
    let page = get("/").await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"<link rel="manifest" href="/pkg/app.{hash}.webmanifest""#
        )),
        "{html}"
    );
    assert!(html.contains(&format!("/pkg/apple-touch-icon-180.{hash}.png")));
    assert!(html.contains(r#"<meta name="theme-color""#));
    std::fs::remove_dir_all(site).unwrap();
}

/// `current_user` says how the session ends by itself (the idle limit, and the absolute
/// end counted from the sign-in): what the browser keeps for reading offline lasts no
/// longer.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn current_user_says_how_the_session_ends_by_itself(pool: PgPool) {
    let patient = common::create_person(&pool, domain::role::Role::Patient, "Offline").await;
    let base = spawn_app(pool).await;
    let client = common::client();
    let (_, nobody) = common::json(common::call(&client, &base, "current_user", &[]).await).await;
    assert!(nobody.is_null());
    let before = chrono::Utc::now();
    common::log_in(&client, &base, &patient.email).await;
    let (status, user) =
        common::json(common::call(&client, &base, "current_user", &[]).await).await;
    assert_eq!(status, 200, "{user}");
    let policy = app::services::state::SessionPolicy::default();
    let limits: app::wire::auth::SessionLimits =
        serde_json::from_value(user["session_limits"].clone()).unwrap();
    assert_eq!(limits.idle_seconds, policy.idle.num_seconds());
    let signed_in = limits.absolute_end - policy.absolute;
    assert!(
        signed_in >= before - chrono::Duration::seconds(1),
        "{limits:?}"
    );
    assert!(signed_in <= chrono::Utc::now(), "{limits:?}");
    // Kept offline until a minute before the idle end, never past the absolute one.
    let now = chrono::Utc::now();
    assert_eq!(
        limits.ends_after(now),
        now + policy.idle - chrono::Duration::seconds(60)
    );
    let late = limits.absolute_end - chrono::Duration::minutes(5);
    assert_eq!(limits.ends_after(late), limits.absolute_end);
}
