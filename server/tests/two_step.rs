//! Two-step sign-in from outside: codes computed here by RFC 6238 written out over HMAC-SHA1
//! (checked against the RFC's own test vectors), not by the crate the server uses. A code
//! works once and only near its time; recovery codes work once and say how many are left;
//! wrong codes are throttled; the password alone signs nobody in once it is on; staff
//! reset someone else's with a reason (audited, told by email), never their own.

mod common;

use common::authenticator::{base32, now, totp};
use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

#[test]
fn the_tests_own_rfc_6238_matches_the_rfc_vectors() {
    // RFC 6238, appendix B (SHA-1, 8 digits).
    let secret = b"12345678901234567890";
    for (time, code) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(totp(secret, time, 8), code, "at {time}");
    }
    assert_eq!(
        base32("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"),
        secret.to_vec()
    );
}

async fn status(c: &reqwest::Client, base: &str) -> serde_json::Value {
    let (code, body) = json(call(c, base, "two_step_status", &[]).await).await;
    assert_eq!(code, 200, "{body}");
    body
}

async fn whoami(c: &reqwest::Client, base: &str) -> serde_json::Value {
    json(call(c, base, "current_user", &[]).await).await.1
}

/// Turns two-step sign-in on for the signed-in `c`: returns the secret and the codes.
async fn turn_on(c: &reqwest::Client, base: &str) -> (Vec<u8>, Vec<String>) {
    assert_eq!(status(c, base).await["on"], false);
    assert_eq!(call(c, base, "begin_two_step", &[]).await.status(), 200);
    let setup = status(c, base).await["setup"].clone();
    let secret = base32(setup["secret"].as_str().unwrap());
    assert_eq!(secret.len(), 20, "a 160-bit key");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    // A wrong code is refused, naming the field.
    let wrong = call(c, base, "confirm_two_step", &[("code", "000000")]).await;
    let (code, body) = json(wrong).await;
    if totp(&secret, now(), 6) != "000000" {
        assert_eq!(code, 400, "{body}");
    }
    let right = totp(&secret, now(), 6);
    let confirmed = call(c, base, "confirm_two_step", &[("code", &right)]).await;
    assert_eq!(confirmed.status(), 200);
    let (code, codes) = json(call(c, base, "fresh_recovery_codes", &[]).await).await;
    assert_eq!(code, 200);
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10);
    assert!(codes
        .iter()
        .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
    // Shown once.
    let (_, again) = json(call(c, base, "fresh_recovery_codes", &[]).await).await;
    assert_eq!(again, serde_json::json!([]));
    assert_eq!(status(c, base).await["on"], true);
    (secret, codes)
}

/// The code of the step after the current one: accepted (within the window) and not yet
/// used when the current step's code was.
fn next_code(secret: &[u8]) -> String {
    totp(secret, now() + 30, 6)
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_patient_turns_it_on_and_then_needs_a_code_that_works_once(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let patient = create_person(&pool, Role::Patient, "Twostep").await;
    let c = client();
    log_in(&c, &base, &patient.email).await;
    assert_eq!(status(&c, &base).await["required"], false);
    let (secret, codes) = turn_on(&c, &base).await;

    // Audited, and told by email.
    let on: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'account.two_step_on' and actor_user_id = $1",
    )
    .bind(patient.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(on, 1);
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications where kind = 'two_step_on' and recipient_user_id = $1",
    )
    .bind(patient.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
    // The secret is stored sealed: its bytes are not in the row.
    let sealed: Vec<u8> =
        sqlx::query_scalar("select secret_sealed from totp_factors where user_id = $1")
            .bind(patient.user_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()));

    // The password alone no longer signs in.
    assert_eq!(call(&c, &base, "log_out", &[]).await.status(), 200);
    let other = client();
    let (code, step) = json(
        call(
            &other,
            &base,
            "log_in",
            &[("email", &patient.email), ("password", PASSWORD)],
        )
        .await,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(step, serde_json::json!("SecondStep"));
    assert_eq!(whoami(&other, &base).await, serde_json::Value::Null);
    assert_eq!(
        call(&other, &base, "my_appointments", &[]).await.status(),
        401
    );

    // The code just used to turn it on (this step) is refused: a code works once.
    let used = totp(&secret, now(), 6);
    let replay = call(&other, &base, "sign_in_code", &[("code", &used)]).await;
    if totp(&secret, now(), 6) == used {
        assert_eq!(replay.status(), 400, "a used code is refused");
    }
    // A code far from now is refused too.
    let stale = totp(&secret, now() - 600, 6);
    if stale != next_code(&secret) && stale != totp(&secret, now(), 6) {
        assert_eq!(
            call(&other, &base, "sign_in_code", &[("code", &stale)])
                .await
                .status(),
            400
        );
    }
    // The next step's code: signed in, and on to the patient's page.
    let next = next_code(&secret);
    let right = call(&other, &base, "sign_in_code", &[("code", &next)]).await;
    assert_eq!(right.status(), 200);
    assert_eq!(whoami(&other, &base).await["role"], "patient");
    // Twice is once too many.
    call(&other, &base, "log_out", &[]).await;
    let again = client();
    call(
        &again,
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        call(&again, &base, "sign_in_code", &[("code", &next)])
            .await
            .status(),
        400
    );
    // A recovery code signs in once, and says how many are left.
    let rescue = call(
        &again,
        &base,
        "sign_in_code",
        &[("code", &codes[0].to_lowercase())],
    )
    .await;
    assert_eq!(rescue.status(), 200);
    let location = rescue
        .headers()
        .get("location")
        .map(|h| h.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(location.contains("recovery_left=9"), "{location}");
    assert_eq!(whoami(&again, &base).await["role"], "patient");
    call(&again, &base, "log_out", &[]).await;
    let third = client();
    call(
        &third,
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        call(&third, &base, "sign_in_code", &[("code", &codes[0])])
            .await
            .status(),
        400,
        "a recovery code works once"
    );
    let audited_failures: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'auth.second_step' and outcome = 'failure'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(audited_failures >= 2);

    // Turning it off takes a code; then the password is enough again.
    assert_eq!(
        call(&third, &base, "sign_in_code", &[("code", &codes[1])])
            .await
            .status(),
        200
    );
    let bad_off = call(
        &third,
        &base,
        "turn_off_two_step",
        &[("code", "ZZZZZ-ZZZZZ")],
    )
    .await;
    assert_eq!(bad_off.status(), 400);
    let off = call(&third, &base, "turn_off_two_step", &[("code", &codes[2])]).await;
    assert_eq!(off.status(), 200);
    assert_eq!(status(&third, &base).await["on"], false);
    let plain = client();
    let (_, step) = json(
        call(
            &plain,
            &base,
            "log_in",
            &[("email", &patient.email), ("password", PASSWORD)],
        )
        .await,
    )
    .await;
    assert_eq!(step["SignedIn"]["role"], "patient");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn wrong_codes_are_throttled_and_one_code_signs_in_once_under_a_burst(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let patient = create_person(&pool, Role::Patient, "Burst").await;
    let c = client();
    log_in(&c, &base, &patient.email).await;
    let (secret, _) = turn_on(&c, &base).await;

    // Eight browsers at the password step, one code sent by all at once: one signs in.
    let mut browsers = Vec::new();
    for _ in 0..8 {
        let b = client();
        call(
            &b,
            &base,
            "log_in",
            &[("email", &patient.email), ("password", PASSWORD)],
        )
        .await;
        browsers.push(b);
    }
    let code = next_code(&secret);
    let answers = futures_join(browsers.iter().map(|b| {
        let (base, code) = (base.clone(), code.clone());
        async move {
            call(b, &base, "sign_in_code", &[("code", &code)])
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );

    // Wrong codes: slower, then refused for a while (429), the right one included.
    let t = client();
    call(
        &t,
        &base,
        "log_in",
        &[("email", &patient.email), ("password", PASSWORD)],
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let wrong = if totp(&secret, now(), 6) == "123456" {
            "654321"
        } else {
            "123456"
        };
        statuses.push(
            call(&t, &base, "sign_in_code", &[("code", wrong)])
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let right = totp(&secret, now() + 30, 6);
    assert_eq!(
        call(&t, &base, "sign_in_code", &[("code", &right)])
            .await
            .status(),
        429
    );
}

async fn futures_join<F: std::future::Future<Output = u16>>(
    futures: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    // All in flight at once.
    let joined = futures_util_join(handles).await;
    out.extend(joined);
    out
}

async fn futures_util_join<F: std::future::Future<Output = u16>>(futures: Vec<F>) -> Vec<u16> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut results = vec![0; set.len()];
    let mut pending: Vec<usize> = (0..set.len()).collect();
    std::future::poll_fn(|cx| {
        pending.retain(|&i| match set[i].as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                results[i] = v;
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn staff_reset_someone_elses_with_a_reason_never_their_own(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let patient = create_person(&pool, Role::Patient, "Lostphone").await;
    let doctor = create_person(&pool, Role::Doctor, "Required").await;
    let admin = create_person(&pool, Role::Admin, "Resetter").await;
    let p = client();
    log_in(&p, &base, &patient.email).await;
    turn_on(&p, &base).await;
    // A doctor may not turn it off: it is required for them.
    let d = client();
    log_in(&d, &base, &doctor.email).await;
    let doctor_status = status(&d, &base).await;
    assert_eq!(doctor_status["required"], true);
    assert_eq!(doctor_status["on"], true);
    let refused = call(
        &d,
        &base,
        "turn_off_two_step",
        &[("code", &next_code(common::authenticator::STAFF_SECRET))],
    )
    .await;
    assert_eq!(refused.status(), 400);

    let a = client();
    log_in(&a, &base, &admin.email).await;
    let user_id = patient.user_id.to_string();
    // A reason is required.
    let no_reason = call(
        &a,
        &base,
        "reset_two_step",
        &[("user_id", &user_id), ("reason", " ")],
    )
    .await;
    assert_eq!(no_reason.status(), 400);
    let reset = call(
        &a,
        &base,
        "reset_two_step",
        &[
            ("user_id", &user_id),
            ("reason", "Lost phone, identity checked at the desk"),
        ],
    )
    .await;
    assert_eq!(reset.status(), 200);
    // Audited with the reason; the patient is told and signed out everywhere.
    let detail: Option<String> = sqlx::query_scalar(
        "select detail from audit_log where action = 'account.two_step_reset' and actor_user_id = $1",
    )
    .bind(admin.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        detail.as_deref(),
        Some("Lost phone, identity checked at the desk")
    );
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications where kind = 'two_step_off' and recipient_user_id = $1",
    )
    .bind(patient.user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
    assert_eq!(whoami(&p, &base).await, serde_json::Value::Null);
    // The password alone signs them in again.
    log_in(&p, &base, &patient.email).await;
    assert_eq!(whoami(&p, &base).await["role"], "patient");

    // Nobody resets their own — not even staff.
    let own = call(
        &a,
        &base,
        "reset_two_step",
        &[("user_id", &admin.user_id.to_string()), ("reason", "mine")],
    )
    .await;
    assert_eq!(own.status(), 400);
    // Patients and doctors cannot reset anyone's.
    let doctor_user = doctor.user_id.to_string();
    assert_eq!(
        call(
            &p,
            &base,
            "reset_two_step",
            &[("user_id", &doctor_user), ("reason", "x")]
        )
        .await
        .status(),
        403
    );
}

/// Signs `email` in with the password only: the answer says what comes next.
async fn password_only(c: &reqwest::Client, base: &str, email: &str) -> String {
    let response = call(
        c,
        base,
        "log_in",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn doctors_and_staff_without_it_set_it_up_after_the_password_before_anything_else(
    pool: PgPool,
) {
    let base = spawn_app(pool.clone()).await;
    // One of each role that must have it, and one made by staff through the portal.
    let admin = create_person(&pool, Role::Admin, "Creator").await;
    let a = client();
    log_in(&a, &base, &admin.email).await;
    let created = call(
        &a,
        &base,
        "create_account",
        &[
            ("role", "doctor"),
            ("first_name", "Nova"),
            ("last_name", "Newhire"),
            ("email", "nova.newhire@people.test"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(created.status(), 200);
    let doctor = create_person_without_factor(&pool, Role::Doctor, "Enroldoc").await;
    let staff = create_person_without_factor(&pool, Role::Admin, "Enroladmin").await;
    for (email, role, portal) in [
        (doctor.email.as_str(), "doctor", "doctor_week"),
        (staff.email.as_str(), "admin", "list_accounts"),
        ("nova.newhire@people.test", "doctor", "doctor_week"),
    ] {
        let c = client();
        assert_eq!(
            password_only(&c, &base, email).await,
            "\"Enrol\"",
            "{email}"
        );
        // Not signed in: nothing with patient data opens, nor the signed-in settings.
        assert_eq!(whoami(&c, &base).await, serde_json::Value::Null, "{email}");
        assert_eq!(call(&c, &base, portal, &[]).await.status(), 401, "{email}");
        assert_eq!(
            call(&c, &base, "two_step_status", &[]).await.status(),
            401,
            "{email}"
        );
        // The setup: nothing started, then a key.
        let (code, first) = json(call(&c, &base, "enrolment_status", &[]).await).await;
        assert_eq!(code, 200, "{email}");
        assert_eq!(first["required"], true);
        assert_eq!(first["setup"], serde_json::Value::Null);
        assert_eq!(
            call(&c, &base, "begin_enrolment", &[]).await.status(),
            200,
            "{email}"
        );
        let (_, started) = json(call(&c, &base, "enrolment_status", &[]).await).await;
        let secret = base32(started["setup"]["secret"].as_str().unwrap());
        assert_eq!(secret.len(), 20);
        // A wrong code changes nothing; the right one turns it on and signs in.
        let right = totp(&secret, now(), 6);
        let wrong = if right == "123456" {
            "654321"
        } else {
            "123456"
        };
        let refused = call(&c, &base, "confirm_enrolment", &[("code", wrong)]).await;
        assert_eq!(refused.status(), 400, "{email}");
        assert_eq!(whoami(&c, &base).await, serde_json::Value::Null);
        let done = call(
            &c,
            &base,
            "confirm_enrolment",
            &[("code", &right), ("next", "/doctor/hours")],
        )
        .await;
        assert_eq!(done.status(), 200, "{email}");
        assert_eq!(whoami(&c, &base).await["role"], role, "{email}");
        assert_eq!(call(&c, &base, portal, &[]).await.status(), 200, "{email}");
        let (_, codes) = json(call(&c, &base, "fresh_recovery_codes", &[]).await).await;
        assert_eq!(codes.as_array().unwrap().len(), 10, "{email}");
        // Audited as turned on; next time the password leads to the code.
        let audited: i64 = sqlx::query_scalar(
            "select count(*) from audit_log a join users u on a.actor_user_id = u.user_id
              where u.email = $1 and a.action = 'account.two_step_on' and a.outcome = 'success'",
        )
        .bind(email)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(audited, 1, "{email}");
        let again = client();
        assert_eq!(password_only(&again, &base, email).await, "\"SecondStep\"");
        // The setup's endpoints are for the setup only.
        assert_eq!(
            call(&c, &base, "enrolment_status", &[]).await.status(),
            401,
            "{email}"
        );
    }

    // A browser in the setup step is anonymous to every other server function.
    let enrolling = create_person_without_factor(&pool, Role::Admin, "Sweep").await;
    let e = client();
    assert_eq!(
        password_only(&e, &base, &enrolling.email).await,
        "\"Enrol\""
    );
    let setup = [
        "enrolment_status",
        "begin_enrolment",
        "confirm_enrolment",
        "log_out",
    ];
    let endpoints: std::collections::BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .filter(|e| !setup.contains(&e.as_str()))
        .collect();
    for endpoint in &endpoints {
        let as_anonymous = call(&client(), &base, endpoint, &[]).await.status();
        let as_enrolling = call(&e, &base, endpoint, &[]).await.status();
        assert_eq!(as_enrolling, as_anonymous, "{endpoint}");
    }
    assert_eq!(
        call(&e, &base, "enrolment_status", &[]).await.status(),
        200,
        "still in the setup step"
    );

    // A doctor's session from before it was required (no factor) signs nobody in.
    let old = create_person(&pool, Role::Doctor, "Oldsession").await;
    let o = client();
    log_in(&o, &base, &old.email).await;
    assert_eq!(whoami(&o, &base).await["role"], "doctor");
    sqlx::query("delete from totp_factors where user_id = $1")
        .bind(old.user_id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(whoami(&o, &base).await, serde_json::Value::Null);
    assert_eq!(call(&o, &base, "doctor_week", &[]).await.status(), 401);

    // Patients are not asked to: the password signs them in.
    let patient = create_person(&pool, Role::Patient, "Optional").await;
    let p = client();
    assert!(password_only(&p, &base, &patient.email)
        .await
        .contains("SignedIn"));
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn recovery_codes_not_yet_shown_are_not_shown_to_the_next_person_on_the_browser(
    pool: PgPool,
) {
    let base = spawn_app(pool.clone()).await;
    let first = create_person(&pool, Role::Patient, "Leaves").await;
    let second = create_person(&pool, Role::Patient, "Arrives").await;
    let shared = client();
    log_in(&shared, &base, &first.email).await;
    assert_eq!(
        call(&shared, &base, "begin_two_step", &[]).await.status(),
        200
    );
    let setup = status(&shared, &base).await;
    let secret = base32(setup["setup"]["secret"].as_str().unwrap());
    let on = call(
        &shared,
        &base,
        "confirm_two_step",
        &[("code", &totp(&secret, now(), 6))],
    )
    .await;
    assert_eq!(on.status(), 200);
    // The first person walks away before the codes page; the next signs in here.
    log_in(&shared, &base, &second.email).await;
    assert_eq!(whoami(&shared, &base).await["display_name"], "Arrives Test");
    let (_, codes) = json(call(&shared, &base, "fresh_recovery_codes", &[]).await).await;
    assert_eq!(codes, serde_json::json!([]));
}
