//! The request id: a proxy's plain `x-request-id` is kept, echoed and written into the
//! audit row of what the request did; anything else is replaced by a fresh id (an
//! oversized or odd value never breaks the request or reaches the log and audit).

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// Signs in with `id` as the request id: the id the server answered with, and the one in
/// the sign-in's audit row.
async fn sign_in_with(pool: &PgPool, base: &str, email: &str, id: &str) -> (String, String) {
    let response = client()
        .post(format!("{base}/api/log_in"))
        .header("x-request-id", id)
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "sign-in with request id {id:?}");
    let answered = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let audited: String = sqlx::query_scalar(
        "select request_id from audit_log where action = 'auth.login' order by audit_id desc limit 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    (answered, audited)
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_plain_request_id_is_kept_and_anything_else_replaced(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let person = create_person(&pool, Role::Patient, "Reqid").await;

    let kept = "lb-7f3a.2026_11_22-0001";
    assert_eq!(
        sign_in_with(&pool, &base, &person.email, kept).await,
        (kept.to_owned(), kept.to_owned())
    );

    for odd in [
        "a".repeat(65),
        "has space".to_owned(),
        "name=Alice Moreno;phone=+1 555".to_owned(),
        "x".repeat(5000),
    ] {
        let (answered, audited) = sign_in_with(&pool, &base, &person.email, &odd).await;
        assert_ne!(answered, odd);
        assert!(uuid::Uuid::parse_str(&answered).is_ok(), "{answered}");
        assert_eq!(audited, answered);
    }
}
