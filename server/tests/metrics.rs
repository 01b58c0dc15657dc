//! `GET /metrics`: Prometheus text for operators, behind a bearer token; requests by
//! route template and status, booking counters, outbox, pool and index figures.

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

const TOKEN: &str = "metrics-token-for-tests-0123456789";

async fn scrape(base: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn metrics_need_the_token_and_count_what_happened(pool: PgPool) {
    // Without a token configured there is no endpoint at all.
    let plain = spawn_app(pool.clone()).await;
    assert_eq!(scrape(&plain, Some(TOKEN)).await.0, 404);

    let base = spawn_app_with(pool.clone(), &[("CLINIC_METRICS_TOKEN", TOKEN)]).await;
    assert_eq!(scrape(&base, None).await.0, 401);
    assert_eq!(
        scrape(&base, Some("metrics-token-for-tests-012345678X"))
            .await
            .0,
        401
    );

    // One doctor, two patients after the same time: one holds it, the other is refused.
    let doctor = create_person(&pool, Role::Doctor, "Metricdoc").await;
    daily_hours_and_slots(&pool, &[&doctor], "09:00", "17:00").await;
    let start = first_free_time_after_a_day(&pool).await;
    let (a, b) = (client(), client());
    let first = create_person(&pool, Role::Patient, "Metricone").await;
    let second = create_person(&pool, Role::Patient, "Metrictwo").await;
    log_in(&a, &base, &first.email).await;
    log_in(&b, &base, &second.email).await;
    let form = [
        ("start", start.to_rfc3339()),
        ("appointment_type_id", "1".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(call(&a, &base, "hold_time", &form).await.status(), 200);
    assert_eq!(call(&b, &base, "hold_time", &form).await.status(), 409);
    assert_eq!(call(&a, &base, "finder_week", &[]).await.status(), 200);
    // A page with an id in its path (whatever it answers an anonymous visitor).
    reqwest::get(format!("{base}/appointments/123456"))
        .await
        .unwrap();

    let (status, text) = scrape(&base, Some(TOKEN)).await;
    assert_eq!(status, 200);
    for line in [
        "clinic_http_requests_total{route=\"/api/hold_time\",status=\"200\"} 1",
        "clinic_http_requests_total{route=\"/api/hold_time\",status=\"409\"} 1",
        "clinic_http_requests_total{route=\"/api/finder_week\",status=\"200\"} 1",
        "clinic_http_request_duration_seconds_count{route=\"/api/hold_time\",status=\"200\"} 1",
        "clinic_booking_operations_total{kind=\"hold\"} 1",
        "clinic_booking_operations_total{kind=\"conflict\"} 1",
        "clinic_booking_operations_total{kind=\"booking\"} 0",
        "clinic_outbox_messages{state=\"pending\"} 0",
        "clinic_db_pool_connections{state=\"max\"} ",
        "clinic_db_unavailable_total 0",
        "clinic_availability_index_ready 0",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    // Route templates, never ids or people.
    assert!(text.contains("route=\"/appointments/{id}\""), "{text}");
    assert!(!text.contains("123456"));
    assert!(!text.contains(&first.email) && !text.contains("Metricone"));
}
