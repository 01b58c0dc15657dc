//! Passkeys from outside, with kanidm's software authenticator as the person's device:
//! added while signed in (the first factor brings recovery codes), used as the second
//! step after the password, once per challenge, removable only by their owner; the
//! other sessions end at each change; audited and told by email. The relying party is
//! the site's name (`localhost` here): at a numeric address passkeys say they cannot work.

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, Url, WebauthnAuthenticator,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// The server at `localhost` (a relying party needs a name, not an address).
fn by_name(base: &str) -> String {
    base.replace("127.0.0.1", "localhost")
}

async fn whoami(c: &reqwest::Client, base: &str) -> serde_json::Value {
    json(call(c, base, "current_user", &[]).await).await.1
}

/// Options the server sent as a JSON string.
async fn options<T: serde::de::DeserializeOwned>(
    c: &reqwest::Client,
    base: &str,
    endpoint: &str,
) -> T {
    let (status, body) = json(call(c, base, endpoint, &[]).await).await;
    assert_eq!(status, 200, "{endpoint}: {body}");
    serde_json::from_str(body.as_str().expect("options as a JSON string")).unwrap()
}

/// The device makes a passkey for the signed-in `c`; returns the server's answer.
async fn add(
    c: &reqwest::Client,
    base: &str,
    device: &mut SoftPasskey,
    name: &str,
) -> (u16, serde_json::Value) {
    let creation: CreationChallengeResponse = options(c, base, "passkey_add_options").await;
    let made = device
        .do_registration(Url::parse(base).unwrap(), creation)
        .expect("the device makes a passkey");
    let credential = serde_json::to_string(&made).unwrap();
    json(
        call(
            c,
            base,
            "add_passkey",
            &[("name", name), ("credential", &credential)],
        )
        .await,
    )
    .await
}

/// The password, then the device's passkey as the second step; returns the answer and
/// the passkey's answer (to try it again).
async fn second_step(
    c: &reqwest::Client,
    base: &str,
    email: &str,
    device: &mut SoftPasskey,
) -> (u16, String) {
    let step = call(
        c,
        base,
        "log_in",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(step.text().await.unwrap(), "\"SecondStep\"");
    let request: RequestChallengeResponse = options(c, base, "passkey_second_step_options").await;
    let answer = device
        .do_authentication(Url::parse(base).unwrap(), request)
        .expect("the device signs");
    let answer = serde_json::to_string(&answer).unwrap();
    let response = call(
        c,
        base,
        "second_step_with_passkey",
        &[("credential", &answer)],
    )
    .await;
    (response.status().as_u16(), answer)
}

async fn count(pool: &PgPool, sql: &str, user_id: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_patient_adds_a_passkey_and_signs_in_with_it_after_the_password(pool: PgPool) {
    let base = by_name(&spawn_app(pool.clone()).await);
    let patient = create_person(&pool, Role::Patient, "Keyholder").await;
    let c = client();
    let elsewhere = client();
    log_in(&c, &base, &patient.email).await;
    log_in(&elsewhere, &base, &patient.email).await;
    let mut device = SoftPasskey::new(true);

    // The first passkey: the first factor, so recovery codes come with it (once).
    let (status, first) = add(&c, &base, &mut device, "My laptop").await;
    assert_eq!((status, first), (200, serde_json::Value::Bool(true)));
    let (_, codes) = json(call(&c, &base, "fresh_recovery_codes", &[]).await).await;
    assert_eq!(codes.as_array().unwrap().len(), 10);
    let (_, state) = json(call(&c, &base, "two_step_status", &[]).await).await;
    assert_eq!(state["passkeys"][0]["name"], "My laptop");
    assert_eq!(
        state["passkeys"][0]["last_used_on"],
        serde_json::Value::Null
    );
    assert_eq!(state["recovery_codes_left"], 10);
    // Still signed in here, under a new session id; signed out elsewhere.
    assert_eq!(whoami(&c, &base).await["role"], "patient");
    assert_eq!(whoami(&elsewhere, &base).await, serde_json::Value::Null);
    // Audited and told by email.
    let added = count(
        &pool,
        "select count(*) from audit_log where action = 'account.passkey_add' and actor_user_id = $1",
        patient.user_id,
    )
    .await;
    assert_eq!(added, 1);
    let told = count(
        &pool,
        "select count(*) from notifications where kind = 'passkey_added' and recipient_user_id = $1",
        patient.user_id,
    )
    .await;
    assert_eq!(told, 1);

    // The same device again is refused (it is excluded, and its id is registered).
    let creation: CreationChallengeResponse = options(&c, &base, "passkey_add_options").await;
    assert!(!creation
        .public_key
        .exclude_credentials
        .unwrap_or_default()
        .is_empty());
    // A second device is a second passkey, without new recovery codes.
    let mut phone = SoftPasskey::new(true);
    let (status, second) = add(&c, &base, &mut phone, "").await;
    assert_eq!((status, second), (200, serde_json::Value::Bool(false)));
    let (_, state) = json(call(&c, &base, "two_step_status", &[]).await).await;
    assert_eq!(state["passkeys"][1]["name"], "Passkey");

    // Signing in now: the password opens only the second step; the passkey completes it.
    call(&c, &base, "log_out", &[]).await;
    let (status, answer) = second_step(&c, &base, &patient.email, &mut device).await;
    assert_eq!(status, 200);
    assert_eq!(whoami(&c, &base).await["role"], "patient");
    let audited: Option<String> = sqlx::query_scalar(
        "select detail from audit_log where action = 'auth.second_step' and actor_user_id = $1 and outcome = 'success'",
    )
    .bind(patient.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited.as_deref(), Some("passkey"));
    let (_, state) = json(call(&c, &base, "two_step_status", &[]).await).await;
    assert!(state["passkeys"][0]["last_used_on"].is_string());

    // The same answer again, after a new password: refused (its challenge is spent).
    let replay = client();
    let step = call(
        &replay,
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(step.text().await.unwrap(), "\"SecondStep\"");
    let _: RequestChallengeResponse = options(&replay, &base, "passkey_second_step_options").await;
    let again = call(
        &replay,
        &base,
        "second_step_with_passkey",
        &[("credential", &answer)],
    )
    .await;
    assert_eq!(again.status(), 400);
    assert_eq!(whoami(&replay, &base).await, serde_json::Value::Null);
    // Nor is it an answer for a sign-in without the password.
    let _: RequestChallengeResponse = options(&replay, &base, "passkey_sign_in_options").await;
    let alone = call(
        &replay,
        &base,
        "sign_in_with_passkey",
        &[("credential", &answer)],
    )
    .await;
    assert_eq!(alone.status(), 400);
    assert_eq!(whoami(&replay, &base).await, serde_json::Value::Null);
    let failures = count(
        &pool,
        "select count(*) from audit_log where action = 'auth.passkey' and outcome = 'failure' and (actor_user_id = $1 or actor_user_id is null)",
        patient.user_id,
    )
    .await;
    assert!(failures >= 2, "failed passkey sign-ins are audited");

    // Another patient cannot remove it (the same answer as for a missing one)…
    let other = create_person(&pool, Role::Patient, "Bystander").await;
    let o = client();
    log_in(&o, &base, &other.email).await;
    let (_, state) = json(call(&c, &base, "two_step_status", &[]).await).await;
    let first_id = state["passkeys"][0]["passkey_id"].to_string();
    let second_id = state["passkeys"][1]["passkey_id"].to_string();
    let theirs = call(&o, &base, "remove_passkey", &[("passkey_id", &first_id)]).await;
    assert_eq!(theirs.status(), 404);
    let missing = call(&o, &base, "remove_passkey", &[("passkey_id", "999999")]).await;
    assert_eq!(missing.status(), 404);
    // …and has no second step of their own: the password signs them in.
    let theirs = call(
        &o,
        &base,
        "log_in",
        &[("email", &other.email), ("password", PASSWORD)],
    )
    .await;
    assert!(theirs.text().await.unwrap().contains("SignedIn"));

    // The owner removes both: no factor left, so the recovery codes go too, and the
    // password alone signs in again.
    for id in [&first_id, &second_id] {
        let removed = call(&c, &base, "remove_passkey", &[("passkey_id", id)]).await;
        assert_eq!(removed.status(), 200);
    }
    let codes_left = count(
        &pool,
        "select count(*) from recovery_codes where user_id = $1",
        patient.user_id,
    )
    .await;
    assert_eq!(codes_left, 0);
    let removed = count(
        &pool,
        "select count(*) from audit_log where action = 'account.passkey_remove' and actor_user_id = $1",
        patient.user_id,
    )
    .await;
    assert_eq!(removed, 2);
    let fresh = client();
    let step = call(
        &fresh,
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    assert!(step.text().await.unwrap().contains("SignedIn"));
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn doctors_keep_a_second_step_and_bad_answers_are_named(pool: PgPool) {
    let numeric = spawn_app(pool.clone()).await;
    let base = by_name(&numeric);
    let doctor = create_person(&pool, Role::Doctor, "Keydoc").await;
    let c = client();
    log_in(&c, &base, &doctor.email).await;
    let mut device = SoftPasskey::new(true);
    let (status, codes_made) = add(&c, &base, &mut device, "Clinic key").await;
    // The authenticator app came first: no new recovery codes.
    assert_eq!((status, codes_made), (200, serde_json::Value::Bool(false)));
    let (_, state) = json(call(&c, &base, "two_step_status", &[]).await).await;
    let id = state["passkeys"][0]["passkey_id"].to_string();
    // With the app still on, the passkey may go.
    let removed = call(&c, &base, "remove_passkey", &[("passkey_id", &id)]).await;
    assert_eq!(removed.status(), 200);

    // Answers that are not a passkey's: named, nothing changes.
    let _: CreationChallengeResponse = options(&c, &base, "passkey_add_options").await;
    for bad in ["", "not json", "{\"id\":\"x\"}", &"a".repeat(60_000)] {
        let (status, body) = json(
            call(
                &c,
                &base,
                "add_passkey",
                &[("name", "x"), ("credential", bad)],
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{bad:.20}: {body}");
    }
    // An answer without its options first: "took too long".
    let mut other = SoftPasskey::new(true);
    let creation: CreationChallengeResponse = options(&c, &base, "passkey_add_options").await;
    let made = other
        .do_registration(Url::parse(&base).unwrap(), creation)
        .unwrap();
    let made = serde_json::to_string(&made).unwrap();
    let first = call(
        &c,
        &base,
        "add_passkey",
        &[("credential", &made), ("name", "a")],
    )
    .await;
    assert_eq!(first.status(), 200);
    let twice = call(
        &c,
        &base,
        "add_passkey",
        &[("credential", &made), ("name", "a")],
    )
    .await;
    assert_eq!(twice.status(), 400);
    // A name with control characters is refused by name.
    let creation: CreationChallengeResponse = options(&c, &base, "passkey_add_options").await;
    let mut third = SoftPasskey::new(true);
    let made = third
        .do_registration(Url::parse(&base).unwrap(), creation)
        .unwrap();
    let made = serde_json::to_string(&made).unwrap();
    let (status, body) = json(
        call(
            &c,
            &base,
            "add_passkey",
            &[("credential", &made), ("name", "bad\u{7}name")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // At a numeric address passkeys cannot work, and say so.
    let n = client();
    log_in(&n, &numeric, &doctor.email).await;
    let (status, body) = json(call(&n, &numeric, "passkey_add_options", &[]).await).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("by its name"), "{body}");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_staff_reset_takes_the_passkeys_and_the_recovery_codes_too(pool: PgPool) {
    let base = by_name(&spawn_app(pool.clone()).await);
    let patient = create_person(&pool, Role::Patient, "Lostkeys").await;
    let admin = create_person(&pool, Role::Admin, "Keyreset").await;
    let c = client();
    log_in(&c, &base, &patient.email).await;
    let mut device = SoftPasskey::new(true);
    assert_eq!(add(&c, &base, &mut device, "Phone").await.0, 200);
    let a = client();
    log_in(&a, &base, &admin.email).await;
    let reset = call(
        &a,
        &base,
        "reset_two_step",
        &[
            ("user_id", &patient.user_id.to_string()),
            ("reason", "Phone lost, identity checked in person"),
        ],
    )
    .await;
    assert_eq!(reset.status(), 200);
    for table in ["passkeys", "recovery_codes"] {
        let left = count(
            &pool,
            &format!("select count(*) from {table} where user_id = $1"),
            patient.user_id,
        )
        .await;
        assert_eq!(left, 0, "{table}");
    }
    // Signed out everywhere; the password alone signs in again.
    assert_eq!(whoami(&c, &base).await, serde_json::Value::Null);
    let step = call(
        &c,
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    assert!(step.text().await.unwrap().contains("SignedIn"));
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn changes_to_one_persons_factors_are_made_one_at_a_time(pool: PgPool) {
    let base = by_name(&spawn_app(pool.clone()).await);
    let patient = create_person(&pool, Role::Patient, "Twokeys").await;
    let c = client();
    log_in(&c, &base, &patient.email).await;
    let (mut laptop, mut phone) = (SoftPasskey::new(true), SoftPasskey::new(true));
    assert_eq!(add(&c, &base, &mut laptop, "Laptop").await.0, 200);
    assert_eq!(add(&c, &base, &mut phone, "Phone").await.0, 200);
    let (_, state) = json(call(&c, &base, "two_step_status", &[]).await).await;
    let ids: Vec<String> = state["passkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["passkey_id"].to_string())
        .collect();
    // Both removed at once: whichever goes second sees no factor left and takes the
    // recovery codes with it (two at once would each have seen the other's passkey).
    let (first, second) = (
        [("passkey_id", ids[0].as_str())],
        [("passkey_id", ids[1].as_str())],
    );
    // Both in flight before either changes anything: the person's row is held until both
    // wait for it (each also changes this browser's session id, so a request that only
    // starts after the other finished would carry a cookie that no longer signs in).
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("select 1 from users where user_id = $1 for update")
        .bind(patient.user_id)
        .execute(&mut *holder)
        .await
        .unwrap();
    let release = async {
        let started = std::time::Instant::now();
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "select count(*) from pg_stat_activity
                  where wait_event_type = 'Lock' and datname = current_database()",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            if waiting >= 2 || started.elapsed() > std::time::Duration::from_secs(10) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        holder.rollback().await.unwrap();
    };
    let (a, b, ()) = tokio::join!(
        call(&c, &base, "remove_passkey", &first),
        call(&c, &base, "remove_passkey", &second),
        release,
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let left = count(
        &pool,
        "select count(*) from recovery_codes where user_id = $1",
        patient.user_id,
    )
    .await;
    assert_eq!(left, 0, "no factor left, no recovery codes");
}
