//! The waitlist, first part: a patient joins for a visit of theirs or a visit type, with
//! limits named when wrong, once per visit (or type), leaves it; nobody reaches another's
//! places. Who a freed time would be offered to follows the documented fair order and
//! the limits in the clinic's time zone.

mod common;

use app::services::waitlist::waiting_for;
use chrono::{Duration, Utc};
use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

#[sqlx::test(migrator = "MIGRATOR")]
async fn patients_join_and_leave_their_own_places_only(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let doctor = create_person(&pool, Role::Doctor, "Listdoc").await;
    let alice = create_person(&pool, Role::Patient, "Alicewait").await;
    let bob = create_person(&pool, Role::Patient, "Bobwait").await;
    let visit = visit(&pool, &alice, &doctor, 24 * 10).await.to_string();
    let (a, b) = (client(), client());
    log_in(&a, &base, &alice.email).await;
    log_in(&b, &base, &bob.email).await;

    // Alice: earlier for her visit, Monday and Wednesday mornings.
    let joined = call(
        &a,
        &base,
        "join_waitlist",
        &[
            ("appointment_id", &visit),
            ("monday", "on"),
            ("wednesday", "on"),
            ("part_of_day", "morning"),
        ],
    )
    .await;
    assert_eq!(joined.status(), 200, "{}", joined.text().await.unwrap());
    let again = call(&a, &base, "join_waitlist", &[("appointment_id", &visit)]).await;
    let (status, body) = json(again).await;
    assert_eq!(status, 400);
    assert!(
        body.to_string().contains("already on the waitlist"),
        "{body}"
    );
    let (_, mine) = json(call(&a, &base, "my_waitlist", &[]).await).await;
    assert_eq!(mine[0]["limits"], "Mondays and Wednesdays, mornings");
    assert_eq!(mine[0]["appointment_id"].to_string(), visit);

    // Bob cannot join for Alice's visit, see or end her place.
    let (status, _) =
        json(call(&b, &base, "join_waitlist", &[("appointment_id", &visit)]).await).await;
    assert_eq!(status, 404);
    let (_, his) = json(call(&b, &base, "my_waitlist", &[]).await).await;
    assert_eq!(his, serde_json::json!([]));
    let entry = mine[0]["waitlist_entry_id"].to_string();
    let (status, _) = json(
        call(
            &b,
            &base,
            "leave_waitlist",
            &[("waitlist_entry_id", &entry)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);

    // Bob waits for any Standard visit; bad limits are named.
    for (field, value) in [
        ("part_of_day", "brunch"),
        ("not_before", "14/01/2027"),
        ("not_before", "2999-01-01"),
        ("appointment_type_id", "x"),
    ] {
        let mut form = vec![("appointment_type_id", "1")];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let (status, body) = json(call(&b, &base, "join_waitlist", &form).await).await;
        assert_eq!(status, 400, "{field}={value}: {body}");
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let (status, _) = json(
        call(
            &b,
            &base,
            "join_waitlist",
            &[("appointment_type_id", "999")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = json(
        call(
            &b,
            &base,
            "join_waitlist",
            &[("appointment_type_id", "1"), ("part_of_day", "evening")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, his) = json(call(&b, &base, "my_waitlist", &[]).await).await;
    assert_eq!(his[0]["limits"], "Any day, evenings");
    assert_eq!(his[0]["appointment_id"], serde_json::Value::Null);

    // A cancelled visit leaves the list with its place.
    let other_visit = common::visit(&pool, &alice, &doctor, 24 * 12)
        .await
        .to_string();
    let (status, _) = json(
        call(
            &a,
            &base,
            "join_waitlist",
            &[("appointment_id", &other_visit)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let cancelled = call(
        &a,
        &base,
        "cancel_appointment",
        &[("appointment_id", &other_visit)],
    )
    .await;
    assert_eq!(
        cancelled.status(),
        200,
        "{}",
        cancelled.text().await.unwrap()
    );
    let (_, mine) = json(call(&a, &base, "my_waitlist", &[]).await).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");

    // Alice leaves; a doctor or an anonymous caller cannot use these at all.
    let left = call(
        &a,
        &base,
        "leave_waitlist",
        &[("waitlist_entry_id", &entry)],
    )
    .await;
    assert_eq!(left.status(), 200);
    let (_, mine) = json(call(&a, &base, "my_waitlist", &[]).await).await;
    assert_eq!(mine, serde_json::json!([]));
    let d = client();
    log_in(&d, &base, &doctor.email).await;
    assert_eq!(call(&d, &base, "my_waitlist", &[]).await.status(), 403);
    assert_eq!(
        call(&client(), &base, "my_waitlist", &[]).await.status(),
        401
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_freed_time_goes_to_the_longest_waiting_then_the_most_days_gained(pool: PgPool) {
    let doctor = create_person(&pool, Role::Doctor, "Orderdoc").await;
    let policy = app::db::settings::clinic_policy(&pool).await.unwrap();
    // A freed time three days out; what suits whom is judged in the clinic's zone.
    let freed = (Utc::now() + Duration::days(3))
        .with_timezone(&policy.time_zone())
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_local_timezone(policy.time_zone())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let mut people = Vec::new();
    for name in [
        "Early",
        "Later",
        "Nearer",
        "Novisit",
        "Sooner",
        "Afternoons",
    ] {
        people.push(create_person(&pool, Role::Patient, name).await);
    }
    let hours_after = |days: i64| (freed - Utc::now()).num_hours() + days * 24;
    // (who, joined days ago, visit days after the freed time, part of day)
    let setup: [(usize, i64, Option<i64>, &str); 6] = [
        (0, 9, Some(5), "any"),        // waiting longest
        (1, 3, Some(4), "any"),        // same day joined as 2 and 3, gains 4 days
        (2, 3, Some(10), "any"),       // gains 10 days
        (3, 3, None, "any"),           // no visit yet: gains the most
        (4, 5, Some(-1), "any"),       // their visit is already earlier: not offered
        (5, 20, Some(8), "afternoon"), // waiting longest, but only afternoons
    ];
    for (who, joined_days_ago, visit_after, part) in setup {
        let person = &people[who];
        let appointment_id = match visit_after {
            Some(days) => Some(visit(&pool, person, &doctor, hours_after(days)).await),
            None => None,
        };
        sqlx::query(
            "insert into waitlist_entries (patient_id, appointment_type_id, appointment_id,
                                           part_of_day, created_at)
             values ($1, 1, $2, $3, date_trunc('day', now()) - make_interval(days => $4::int))",
        )
        .bind(person.role_id)
        .bind(appointment_id)
        .bind(part)
        .bind(joined_days_ago as i32)
        .execute(&pool)
        .await
        .unwrap();
    }
    let mut conn = pool.acquire().await.unwrap();
    let order: Vec<i64> = waiting_for(&mut conn, &policy, 1, freed)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.patient_id)
        .collect();
    let ids =
        |who: &[usize]| -> Vec<i64> { who.iter().map(|&i| people[i].role_id.unwrap()).collect() };
    assert_eq!(order, ids(&[0, 3, 2, 1]));
    // The afternoon patient is first for an afternoon time.
    let afternoon = freed + Duration::hours(4);
    let order: Vec<i64> = waiting_for(&mut conn, &policy, 1, afternoon)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.patient_id)
        .collect();
    assert_eq!(order.first(), ids(&[5]).first());
    // A cancelled visit has nothing to bring earlier.
    sqlx::query(
        "update appointments set status = 'cancelled', cancelled_at = now() where patient_id = $1",
    )
    .bind(people[0].role_id)
    .execute(&pool)
    .await
    .unwrap();
    let order: Vec<i64> = waiting_for(&mut conn, &policy, 1, freed)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.patient_id)
        .collect();
    assert_eq!(order, ids(&[3, 2, 1]));
}

/// Books `start` for `patient` through the booking service, as they would (real clock).
async fn book_at(pool: &PgPool, patient: &common::Person, start: chrono::DateTime<Utc>) -> i64 {
    use app::services::booking::{self, ActingRole, ActingUser, Confirmation};
    let policy = app::db::settings::clinic_policy(pool).await.unwrap();
    let patient_id = patient.role_id.unwrap();
    let by = ActingUser {
        user_id: patient.user_id,
        role: ActingRole::Patient { patient_id },
        request_id: None,
    };
    let hold = booking::hold(pool, &policy, &by, patient_id, start, 1, Utc::now())
        .await
        .unwrap();
    booking::confirm(
        pool,
        &policy,
        &by,
        Confirmation {
            patient_id,
            hold_token: hold.token,
            reason: Some("private reason".into()),
            idempotency_key: uuid::Uuid::new_v4(),
        },
        Utc::now(),
    )
    .await
    .unwrap()
    .appointment_id
}

async fn cancel_as(pool: &PgPool, patient: &common::Person, appointment_id: i64) {
    use app::services::booking::{self, ActingRole, ActingUser};
    let policy = app::db::settings::clinic_policy(pool).await.unwrap();
    let by = ActingUser {
        user_id: patient.user_id,
        role: ActingRole::Patient {
            patient_id: patient.role_id.unwrap(),
        },
        request_id: None,
    };
    booking::cancel(pool, &policy, &by, appointment_id, Utc::now())
        .await
        .unwrap();
}

/// The token of `patient`'s latest offer, from its queued email.
async fn latest_token(pool: &PgPool, patient: &common::Person) -> String {
    let secret: String = sqlx::query_scalar(
        "select n.secret from notifications n join waitlist_offers f on f.offer_id = n.waitlist_offer_id
          where f.patient_id = $1 and n.channel = 'email' order by f.offer_id desc limit 1",
    )
    .bind(patient.role_id)
    .fetch_one(pool)
    .await
    .unwrap();
    secret.trim_start_matches("token=").to_owned()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn an_offer_link_shows_without_changing_takes_once_and_answers_every_dead_link_alike(
    pool: PgPool,
) {
    let base = spawn_app(pool.clone()).await;
    let doctor = create_person(&pool, Role::Doctor, "Linkdoc").await;
    daily_hours_and_slots(&pool, &[&doctor], "00:00", "23:30").await;
    let freer = create_person(&pool, Role::Patient, "Freer").await;
    let waiter = create_person(&pool, Role::Patient, "Waiter").await;
    let second = create_person(&pool, Role::Patient, "Second").await;
    let other = create_person(&pool, Role::Patient, "Otherone").await;
    // Times relative to now, on the clinic's grid, outside notice and freeze.
    let freed = first_free_time_after_a_day(&pool).await + Duration::hours(2);
    let freeing = book_at(&pool, &freer, freed).await;
    let waiting = book_at(&pool, &waiter, freed + Duration::days(5)).await;
    let later = book_at(&pool, &second, freed + Duration::days(6)).await;
    let w = client();
    log_in(&w, &base, &waiter.email).await;
    let joined = call(
        &w,
        &base,
        "join_waitlist",
        &[("appointment_id", &waiting.to_string())],
    )
    .await;
    assert_eq!(joined.status(), 200);
    let s = client();
    log_in(&s, &base, &second.email).await;
    let joined = call(
        &s,
        &base,
        "join_waitlist",
        &[("appointment_id", &later.to_string())],
    )
    .await;
    assert_eq!(joined.status(), 200);
    // Only the waiter is offered the freed time first (wave of one).
    sqlx::query("update clinic_settings set waitlist_wave_size = 1")
        .execute(&pool)
        .await
        .unwrap();
    cancel_as(&pool, &freer, freeing).await;
    let report = app::services::waitlist::engine::run(&pool, Utc::now())
        .await
        .unwrap();
    assert_eq!(report.offers, 1, "{report:?}");
    let token = latest_token(&pool, &waiter).await;

    // Opening the link (as a mail scanner would) shows the offer and changes nothing.
    let page = client()
        .get(format!("{base}/offer?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Take this time") && html.contains("Linkdoc"),
        "{html}"
    );
    let open: Option<String> = sqlx::query_scalar("select outcome from waitlist_offers")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(open, None);

    // The link is the credential: another patient's session reads it the same way.
    let o = client();
    log_in(&o, &base, &other.email).await;
    let (status, view) = json(call(&o, &base, "waitlist_offer", &[("token", &token)]).await).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["doctor_name"], "Dr. Linkdoc Test");
    assert!(view["replaces"].is_string());

    // Made-up, malformed and (below) used, expired and withdrawn links: one answer.
    let dead = |token: String| {
        let base = base.clone();
        async move {
            let mut answers = Vec::new();
            for endpoint in [
                "waitlist_offer",
                "take_waitlist_offer",
                "leave_waitlist_by_offer",
            ] {
                answers
                    .push(json(call(&client(), &base, endpoint, &[("token", &token)]).await).await);
            }
            answers
        }
    };
    let forged = dead("A".repeat(43)).await;
    assert!(
        forged.iter().all(|(status, _)| *status == 400),
        "{forged:?}"
    );
    assert!(
        forged[0].1.to_string().contains("no longer valid"),
        "{forged:?}"
    );
    assert_eq!(
        dead("x'; drop table waitlist_offers; --".into()).await,
        forged
    );

    // Taken without signing in: the visit moves to the freed time.
    let (status, answer) = json(
        call(
            &client(),
            &base,
            "take_waitlist_offer",
            &[("token", &token)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["Booked"]["doctor_name"].is_string(), "{answer}");
    let start: chrono::DateTime<Utc> =
        sqlx::query_scalar("select start_time from appointments where appointment_id = $1")
            .bind(waiting)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(start, freed);
    assert_eq!(dead(token).await, forged, "a used link");

    // The cascade: the waiter's old time goes to the second patient.
    app::services::waitlist::engine::run(&pool, Utc::now())
        .await
        .unwrap();
    let second_token = latest_token(&pool, &second).await;
    let (status, _) = json(
        call(
            &client(),
            &base,
            "waitlist_offer",
            &[("token", &second_token)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    sqlx::query(
        "update waitlist_offers set expires_at = now() - interval '1 minute' where outcome is null",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(dead(second_token.clone()).await, forged, "an expired link");
    sqlx::query(
        "update waitlist_offers set expires_at = now() + interval '1 hour' where outcome is null",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Leaving from the link ends the place (and the offer); the link is then dead too.
    let (status, _) = json(
        call(
            &client(),
            &base,
            "leave_waitlist_by_offer",
            &[("token", &second_token)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, places) = json(call(&s, &base, "my_waitlist", &[]).await).await;
    assert_eq!(places, serde_json::json!([]));
    assert_eq!(dead(second_token).await, forged, "a withdrawn link");
    // The visit it would have moved is untouched.
    let still: chrono::DateTime<Utc> =
        sqlx::query_scalar("select start_time from appointments where appointment_id = $1")
            .bind(later)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(still, freed + Duration::days(6));
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn staff_see_who_waits_add_a_caller_take_one_off_and_set_the_waves(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Waitadmin").await;
    let caller = create_person(&pool, Role::Patient, "Caller").await;
    let st = client();
    log_in(&st, &base, &admin.email).await;
    let patient_id = caller.role_id.unwrap().to_string();

    // A caller is put on the list for any Standard time, afternoons.
    let (status, body) = json(
        call(
            &st,
            &base,
            "staff_join_waitlist",
            &[
                ("patient_id", &patient_id),
                ("appointment_type_id", "1"),
                ("part_of_day", "afternoon"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = json(
        call(
            &st,
            &base,
            "staff_join_waitlist",
            &[("patient_id", "99999999"), ("appointment_type_id", "1")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (_, list) = json(call(&st, &base, "staff_waitlist", &[]).await).await;
    let row = &list["rows"][0];
    assert_eq!(row["patient_name"], "Caller Test");
    assert_eq!(row["limits"], "Any day, afternoons");
    assert_eq!(list["figures"]["waiting"], 1);
    assert_eq!(list["settings"]["wave_size"], "3");
    // The caller sees their place too.
    let c = client();
    log_in(&c, &base, &caller.email).await;
    let (_, mine) = json(call(&c, &base, "my_waitlist", &[]).await).await;
    assert_eq!(mine[0]["waitlist_entry_id"], row["waitlist_entry_id"]);

    // Settings: each bad value named; a change audited old → new.
    let with = |field: &'static str, value: &'static str| {
        let mut form = waitlist_settings_arguments();
        form.retain(|(k, _)| *k != field);
        form.push((field, value.to_owned()));
        form
    };
    for (field, value) in [
        ("wave_size", "0"),
        ("wave_size", "many"),
        ("offer_minutes", "3000"),
        ("daily_cap", "21"),
        ("quiet_start", "25:00"),
        ("quiet_end", ""),
    ] {
        let form = with(field, value);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = json(call(&st, &base, "update_waitlist_settings", &pairs).await).await;
        assert_eq!(status, 400, "{field}={value}: {body}");
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let form = with("wave_size", "5");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, changes) = json(call(&st, &base, "update_waitlist_settings", &pairs).await).await;
    assert_eq!(status, 200, "{changes}");
    assert_eq!(changes, serde_json::json!(["waitlist wave_size: 3 → 5"]));
    let stored: i32 = sqlx::query_scalar("select waitlist_wave_size from clinic_settings")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 5);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'clinic.settings' and detail like '%wave_size: 3 → 5%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Taken off: audited, gone from both lists; a second time is "not found".
    let entry = row["waitlist_entry_id"].to_string();
    let left = call(
        &st,
        &base,
        "staff_leave_waitlist",
        &[("waitlist_entry_id", &entry)],
    )
    .await;
    assert_eq!(left.status(), 200);
    let (_, mine) = json(call(&c, &base, "my_waitlist", &[]).await).await;
    assert_eq!(mine, serde_json::json!([]));
    let again = call(
        &st,
        &base,
        "staff_leave_waitlist",
        &[("waitlist_entry_id", &entry)],
    )
    .await;
    assert_eq!(again.status(), 404);
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action like 'waitlist.%' order by chain_seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["waitlist.add", "waitlist.read", "waitlist.remove"]
    );
}
