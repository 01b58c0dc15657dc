//! The anonymous page micro-cache (`server/src/page_cache.rs`): a first-time visitor's
//! `/` and `/book` are served from one rendering for up to a second, each copy with a
//! nonce of its own; a change of availability shows at once; anyone with a cookie gets a
//! fresh rendering.

mod common;

use std::time::{Duration, Instant};

use app::services::availability::AvailabilityIndex;
use common::*;
use domain::role::Role;
use sqlx::PgPool;

async fn spawn_with_index(pool: PgPool) -> (String, AvailabilityIndex) {
    let index = AvailabilityIndex::start(pool.clone());
    let started = Instant::now();
    while !index.is_following() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "index not ready"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let app = server::build_app_with_index(pool, &test_config(&[]), index.clone())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, app, std::future::pending()));
    (format!("http://{addr}"), index)
}

/// The page's body and the nonce its CSP names (checked to be the one in the body).
async fn page(base: &str, path: &str, cookie: bool) -> (String, String) {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    if cookie {
        request = request.header("cookie", "theme=dark");
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the body's scripts carry the header's nonce"
    );
    (body, nonce)
}

fn times_offered(body: &str) -> usize {
    body.matches("class=\"time").count()
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn anonymous_pages_are_served_from_a_short_cache(pool: PgPool) {
    let doctor = create_person(&pool, Role::Doctor, "Cachedoc").await;
    daily_hours_and_slots(&pool, &[&doctor], "00:00", "23:30").await;
    let (base, index) = spawn_with_index(pool.clone()).await;
    assert!(index.catch_up(&pool, Duration::from_secs(5)).await);

    // Two visitors: the same page, each with a nonce of its own.
    let (first, nonce1) = page(&base, "/book", false).await;
    let (second, nonce2) = page(&base, "/book", false).await;
    assert_ne!(nonce1, nonce2, "a nonce never repeats");
    assert_eq!(first.replace(&nonce1, "N"), second.replace(&nonce2, "N"));
    assert!(times_offered(&first) > 0);

    // A doctor's public profile is in the cached settings ('settings' notification):
    // a change shows at once, cache or not.
    let (home, _) = page(&base, "/", false).await;
    assert!(home.contains("Cardiology"));
    sqlx::query("update doctors set specialty = 'Dermatology' where doctor_id = $1")
        .bind(doctor.role_id)
        .execute(&pool)
        .await
        .unwrap();
    assert!(index.catch_up(&pool, Duration::from_secs(5)).await);
    let (seen, _) = page(&base, "/", false).await;
    assert!(seen.contains("Dermatology"), "the page cache moved on");

    // A change nothing announces (made here with the triggers off) waits out the second
    // for anonymous visitors, but not for a visitor with a cookie.
    let changed_at = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("set local session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("update doctors set specialty = 'Neurology' where doctor_id = $1")
        .bind(doctor.role_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (cached, _) = page(&base, "/", false).await;
    let (with_cookie, _) = page(&base, "/", true).await;
    assert!(with_cookie.contains("Neurology"));
    if changed_at.elapsed() < server::page_cache::TTL / 2 {
        assert!(cached.contains("Dermatology"), "served from the cache");
    }
    tokio::time::sleep(server::page_cache::TTL).await;
    let (later, _) = page(&base, "/", false).await;
    assert!(later.contains("Neurology"), "at most a second old");

    // A change of availability shows at once: every time taken, none offered.
    let (before, _) = page(&base, "/book", false).await;
    assert!(times_offered(&before) > 0);
    sqlx::query("update availability_slots set status = 'blocked' where status = 'free'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(index.catch_up(&pool, Duration::from_secs(5)).await);
    let (after, _) = page(&base, "/book", false).await;
    assert_eq!(times_offered(&after), 0);
    index.stop();
}
