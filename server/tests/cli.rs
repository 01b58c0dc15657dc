//! The operator commands, run as the real binary against the test's database.

mod common;

use std::process::Command;

use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

fn database_url(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        o.get_username(),
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("postgres")
    )
}

fn server(pool: &PgPool, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATABASE_URL", database_url(pool))
        .env("CLINIC_LOG", "error")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn create_admin_then_verify_audit_then_detect_tampering(pool: PgPool) {
    let (ok, text) = server(
        &pool,
        &["create-admin", "--email", "Boss@Clinic.test"],
        &[("CLINIC_ADMIN_PASSWORD", "a long admin passphrase")],
    );
    assert!(ok, "{text}");
    let (ok, text) = server(
        &pool,
        &["create-admin", "--email", "weak@clinic.test"],
        &[("CLINIC_ADMIN_PASSWORD", "password")],
    );
    assert!(
        !ok && text.contains("password"),
        "weak passwords are refused: {text}"
    );

    let base = common::spawn_app(pool.clone()).await;
    let browser = common::client();
    let signed_in = common::call(
        &browser,
        &base,
        "log_in",
        &[
            ("email", "boss@clinic.test"),
            ("password", "a long admin passphrase"),
        ],
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    // The first admin, too, sets up two-step sign-in before anything else.
    assert_eq!(signed_in.text().await.unwrap(), "\"Enrol\"");
    common::enrol(&browser, &base).await;
    let accounts = common::call(&browser, &base, "list_accounts", &[]).await;
    assert_eq!(accounts.status(), 200);

    // Created, signed in, two-step sign-in on, the accounts read.
    let (ok, text) = server(&pool, &["verify-audit"], &[]);
    assert!(
        ok && text.contains("audit log intact: 4 rows verified"),
        "{text}"
    );

    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("update audit_log set action = 'auth.logout' where chain_seq = 2")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let (ok, text) = server(&pool, &["verify-audit"], &[]);
    assert!(!ok && text.contains("BROKEN at chain_seq 2"), "{text}");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn unknown_commands_and_bad_configuration_are_named(pool: PgPool) {
    let (ok, text) = server(&pool, &["frobnicate"], &[]);
    assert!(
        !ok && text.contains("unknown command 'frobnicate'"),
        "{text}"
    );
    let (ok, text) = server(&pool, &["migrate"], &[("CLINIC_ADDR", "not-an-address")]);
    assert!(!ok && text.contains("CLINIC_ADDR"), "{text}");
}
