//! Forgot password: one-time, hashed-at-rest tokens that expire; the same answer whether
//! or not the address has an account; a reset ends every session and is audited.

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn ask(base: &str, email: &str) -> (u16, String) {
    let response = call(
        &client(),
        base,
        "request_password_reset",
        &[("email", email)],
    )
    .await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The link's token, read from the outbox row that will carry it (the only place the
/// plaintext exists, until the message is sent).
async fn pending_token(pool: &PgPool, user_id: i64) -> Option<String> {
    sqlx::query_scalar(
        "select secret from notifications where recipient_user_id = $1 and kind = 'password_reset'
         and status = 'pending' order by notification_id desc limit 1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
    .map(|query: String| query.trim_start_matches("token=").to_owned())
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_reset_link_works_once_ends_every_session_and_is_audited(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let person = create_person(&pool, Role::Patient, "Forgetful").await;
    let elsewhere = client();
    log_in(&elsewhere, &base, &person.email).await;

    // The same answer for an account and for no account.
    let known = ask(&base, &person.email).await;
    let unknown = ask(&base, "nobody-here@example.test").await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, 200);

    let token = pending_token(&pool, person.user_id)
        .await
        .expect("a link was queued");
    // At rest only its hash: the token itself is nowhere in the tokens table.
    let stored: Vec<u8> =
        sqlx::query_scalar("select token_hash from one_time_tokens where user_id = $1")
            .bind(person.user_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&token));

    let browser = client();
    let weak = call(
        &browser,
        &base,
        "reset_password",
        &[("token", &token), ("new_password", "short")],
    )
    .await;
    assert_eq!(
        weak.status(),
        400,
        "a weak password is refused and the link still works"
    );
    let done = call(
        &browser,
        &base,
        "reset_password",
        &[
            ("token", &token),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(done.status(), 200);
    // Signed in here; signed out everywhere else.
    let me: serde_json::Value = call(&browser, &base, "current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], person.email);
    let other: serde_json::Value = call(&elsewhere, &base, "current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other, serde_json::Value::Null);
    // The new password works, the old does not.
    let new_login = call(
        &client(),
        &base,
        "log_in",
        &[
            ("email", person.email.as_str()),
            ("password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(new_login.status(), 200);
    let old_login = call(
        &client(),
        &base,
        "log_in",
        &[("email", person.email.as_str()), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(old_login.status(), 401);

    // Once only.
    let again = call(
        &client(),
        &base,
        "reset_password",
        &[
            ("token", &token),
            ("new_password", "yet another passphrase"),
        ],
    )
    .await;
    assert_eq!(again.status(), 400);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'account.password_reset' and actor_user_id = $1",
    )
    .bind(person.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let changed: i64 = sqlx::query_scalar(
        "select count(*) from notifications where recipient_user_id = $1 and kind = 'password_changed'",
    )
    .bind(person.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(changed, 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn links_expire_and_are_rate_limited(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let person = create_person(&pool, Role::Patient, "Impatient").await;
    ask(&base, &person.email).await;
    let token = pending_token(&pool, person.user_id).await.unwrap();
    sqlx::query("update one_time_tokens set created_at = now() - interval '31 minutes', expires_at = now() - interval '1 minute'")
        .execute(&pool)
        .await
        .unwrap();
    let late = call(
        &client(),
        &base,
        "reset_password",
        &[
            ("token", &token),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(late.status(), 400);
    let body = late.text().await.unwrap();
    assert!(body.contains("expired or was already used"), "{body}");

    // Three links an hour per person; asking more answers the same and sends nothing.
    for _ in 0..5 {
        assert_eq!(ask(&base, &person.email).await.0, 200);
    }
    let issued: i64 = sqlx::query_scalar(
        "select count(*) from one_time_tokens where user_id = $1 and created_at > now() - interval '1 hour'",
    )
    .bind(person.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(issued, 3);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_link_leaves_the_outbox_once_sent(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let person = create_person(&pool, Role::Patient, "Mailed").await;
    ask(&base, &person.email).await;
    let token = pending_token(&pool, person.user_id).await.unwrap();
    let dir = std::env::temp_dir().join(format!("reset-mail-{}", uuid::Uuid::new_v4()));
    let channels = app::services::notify::channels::Channels {
        mailer: app::services::notify::channels::Mailer::Mailbox(dir.clone()),
        from: "Clinic <clinic@example.test>".parse().unwrap(),
        sms: None,
        links: app::services::notify::render::LinkBase("https://clinic.example.test".into()),
    };
    let report =
        app::services::notify::deliver::deliver_due(&pool, &channels, chrono::Utc::now(), 10)
            .await
            .unwrap();
    assert!(report.sent >= 1);
    let left: i64 =
        sqlx::query_scalar("select count(*) from notifications where secret is not null")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(left, 0, "no token left in the outbox");
    let mail: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|m| m.contains("Reset your password"))
        .expect("the reset email");
    let unfolded = mail.replace("=\r\n", "").replace("=3D", "=");
    assert!(unfolded.contains(&format!(
        "https://clinic.example.test/reset-password?token={token}"
    )));
    let _ = std::fs::remove_dir_all(dir);
}
