//! Staff find and record patients — including someone who called by phone, with no
//! online account: they can be invited by a one-time link (once, until it expires) to
//! choose a password, which signs them in; or never.

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn record(staff: &reqwest::Client, base: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = call(staff, base, "record_patient", fields).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn invitation_token(pool: &PgPool, email: &str) -> Option<String> {
    sqlx::query_scalar(
        "select n.secret from notifications n join users u on u.user_id = n.recipient_user_id
         where u.email = $1 and n.kind = 'account_invitation' and n.status = 'pending'
         order by n.notification_id desc limit 1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
    .map(|query: String| query.trim_start_matches("token=").to_owned())
}

async fn audit_count(pool: &PgPool, action: &str, patient_id: i64) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where action = $1 and patient_id = $2")
        .bind(action)
        .bind(patient_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_patient_who_called_is_recorded_found_and_read_with_audit(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Frontdesk").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;

    // Neither a phone nor an address: refused, naming the field.
    let (status, body) = record(
        &staff,
        &base,
        &[
            ("first_name", "Olga"),
            ("last_name", "Phoneless"),
            ("email", ""),
            ("phone", ""),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("phone"), "{body}");
    // An invitation needs an address.
    let (status, body) = record(
        &staff,
        &base,
        &[
            ("first_name", "Olga"),
            ("last_name", "Caller"),
            ("email", ""),
            ("phone", "+1 555 010 9999"),
            ("invite", "on"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = record(
        &staff,
        &base,
        &[
            ("first_name", "Olga"),
            ("last_name", "Caller"),
            ("email", ""),
            ("phone", "+1 555 010 9999"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let patient_id: i64 = body.parse().unwrap();
    let user_id: Option<i64> =
        sqlx::query_scalar("select user_id from patients where patient_id = $1")
            .bind(patient_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(user_id, None, "no account without an address");

    // Found by part of the name and by the phone's digits however typed.
    for query in ["olga cal", "CALLER", "010-9999", "5550109999"] {
        let found: serde_json::Value = call(&staff, &base, "find_patients", &[("query", query)])
            .await
            .json()
            .await
            .unwrap();
        let ids: Vec<i64> = found["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["patient_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [patient_id], "{query}");
        assert_eq!(found["rows"][0]["access"], "NoEmail");
    }
    // LIKE wildcards typed by staff are literal.
    let found: serde_json::Value = call(&staff, &base, "find_patients", &[("query", "%%")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["rows"].as_array().unwrap().len(), 0);
    assert_eq!(
        call(&staff, &base, "find_patients", &[("query", "o")])
            .await
            .status(),
        400,
        "too short to search"
    );

    let opened = call(
        &staff,
        &base,
        "open_patient",
        &[("patient_id", &patient_id.to_string())],
    )
    .await;
    assert_eq!(opened.status(), 200);
    assert_eq!(audit_count(&pool, "patient.create", patient_id).await, 1);
    assert_eq!(audit_count(&pool, "patient.search", patient_id).await, 4);
    assert_eq!(audit_count(&pool, "patient.read", patient_id).await, 1);
    assert_eq!(
        call(&staff, &base, "open_patient", &[("patient_id", "999999")])
            .await
            .status(),
        404
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn an_invited_patient_chooses_a_password_once_and_is_signed_in(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Invitedesk").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    let (status, body) = record(
        &staff,
        &base,
        &[
            ("first_name", "Ivy"),
            ("last_name", "Invited"),
            ("email", "Ivy.Invited@Example.test"),
            ("phone", ""),
            ("invite", "on"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let patient_id: i64 = body.parse().unwrap();
    let email = "ivy.invited@example.test";

    // The same address cannot be recorded twice.
    let (status, body) = record(
        &staff,
        &base,
        &[
            ("first_name", "Ivy"),
            ("last_name", "Again"),
            ("email", email),
            ("phone", ""),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // No password yet: signing in fails like any wrong password.
    let tries = call(
        &client(),
        &base,
        "log_in",
        &[("email", email), ("password", "anything at all here")],
    )
    .await;
    assert_eq!(tries.status(), 401);

    let token = invitation_token(&pool, email).await.expect("an invitation");
    let browser = client();
    let weak = call(
        &browser,
        &base,
        "accept_invitation",
        &[("token", &token), ("new_password", "short")],
    )
    .await;
    assert_eq!(
        weak.status(),
        400,
        "a weak password is refused; the link still works"
    );
    let accepted = call(
        &browser,
        &base,
        "accept_invitation",
        &[
            ("token", &token),
            ("new_password", "a long enough passphrase"),
        ],
    )
    .await;
    assert_eq!(accepted.status(), 200, "{}", accepted.text().await.unwrap());
    let me: serde_json::Value = call(&browser, &base, "current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email, "signed in");
    assert_eq!(me["role"], "patient");
    // Once only.
    let again = call(
        &client(),
        &base,
        "accept_invitation",
        &[
            ("token", &token),
            ("new_password", "another long passphrase"),
        ],
    )
    .await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        audit_count(&pool, "account.invitation_accepted", patient_id).await,
        1
    );
    // The staff's account list is for staff and doctors; patients are found by search.
    let accounts: serde_json::Value = call(&staff, &base, "list_accounts", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(!accounts.to_string().contains(email), "{accounts}");
    // From now on an ordinary account.
    let signed_in = call(
        &client(),
        &base,
        "log_in",
        &[("email", email), ("password", "a long enough passphrase")],
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    assert_eq!(
        call(
            &staff,
            &base,
            "invite_patient",
            &[("patient_id", &patient_id.to_string())]
        )
        .await
        .status(),
        400,
        "nothing to invite to any more"
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn an_invitation_expires_and_signing_up_sends_a_fresh_one(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Expirydesk").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    let email = "late.larry@example.test";
    let (status, body) = record(
        &staff,
        &base,
        &[
            ("first_name", "Larry"),
            ("last_name", "Late"),
            ("email", email),
            ("phone", ""),
            ("invite", "on"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = invitation_token(&pool, email).await.unwrap();
    sqlx::query(
        "update one_time_tokens set created_at = now() - interval '8 days', expires_at = now() - interval '1 day'
         where purpose = 'invitation'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let late = call(
        &client(),
        &base,
        "accept_invitation",
        &[
            ("token", &token),
            ("new_password", "a long enough passphrase"),
        ],
    )
    .await;
    assert_eq!(late.status(), 400, "expired");

    // Asking for the confirmation link again: an invitation, never a link that would sign
    // in an account without a password.
    let resend = call(&client(), &base, "resend_verification", &[("email", email)]).await;
    assert!(resend.status().as_u16() < 400);
    let verification_links: i64 = sqlx::query_scalar(
        "select count(*) from one_time_tokens t join users u using (user_id)
         where u.email = $1 and t.purpose = 'email_verification'",
    )
    .bind(email)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(verification_links, 0);
    // Signing up with the address themselves: the answer everyone gets, and a fresh
    // invitation (not a "someone tried" note), since the account has no password.
    let sign_up = call(
        &client(),
        &base,
        "sign_up",
        &[
            ("first_name", "Larry"),
            ("last_name", "Late"),
            ("email", email),
            ("phone", ""),
            ("password", "a long enough passphrase"),
        ],
    )
    .await;
    assert_eq!(sign_up.status(), 200);
    let fresh = invitation_token(&pool, email).await.unwrap();
    assert_ne!(fresh, token);
    let accepted = call(
        &client(),
        &base,
        "accept_invitation",
        &[
            ("token", &fresh),
            ("new_password", "a long enough passphrase"),
        ],
    )
    .await;
    assert_eq!(accepted.status(), 200);
    let patients: i64 = sqlx::query_scalar(
        "select count(*) from patients p join users u using (user_id) where u.email = $1",
    )
    .bind(email)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(patients, 1, "still the one patient");
}
