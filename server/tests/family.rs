//! Family accounts over HTTP (issue 28): a carer adds a child, books for the child and for
//! themselves at the same time, and sees both; another patient and a former carer get
//! "not found" for everything of the child's; every carer read is audited; messages about
//! the child's visit go to the carer; the grown-up handover by invitation ends the carer's
//! access until the person grants it again; staff see who booked for whom.

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// Holds `start` for `for_patient` (none: the caller) and confirms it; the visit's id.
async fn book_for(
    client: &reqwest::Client,
    base: &str,
    pool: &PgPool,
    start: chrono::DateTime<chrono::Utc>,
    for_patient: Option<i64>,
) -> Result<i64, (u16, String)> {
    let start = start.to_rfc3339();
    let for_text = for_patient.map(|p| p.to_string()).unwrap_or_default();
    let mut form = vec![("start", start.as_str()), ("appointment_type_id", "1")];
    if for_patient.is_some() {
        form.push(("for_patient", &for_text));
    }
    let (status, hold) = json(call(client, base, "hold_time", &form).await).await;
    if status >= 400 {
        return Err((status, hold.to_string()));
    }
    let token = hold["token"].as_str().unwrap().to_owned();
    let key = uuid::Uuid::new_v4().to_string();
    let (status, id) = json(
        call(
            client,
            base,
            "confirm_booking",
            &[("hold", &token), ("idempotency_key", &key)],
        )
        .await,
    )
    .await;
    if status >= 400 {
        return Err((status, id.to_string()));
    }
    let id = id.as_i64().unwrap();
    let patient: i64 =
        sqlx::query_scalar("select patient_id from appointments where appointment_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    if let Some(p) = for_patient {
        assert_eq!(patient, p, "booked for the person chosen");
    }
    Ok(id)
}

async fn add_child(client: &reqwest::Client, base: &str, first: &str, email: &str) -> i64 {
    let (status, id) = json(
        call(
            client,
            base,
            "add_person",
            &[
                ("first_name", first),
                ("last_name", "Test"),
                ("date_of_birth", "2019-04-23"),
                ("relationship", "Parent"),
                ("email", email),
                ("phone", ""),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().unwrap()
}

fn detail(id: i64) -> [(&'static str, String); 1] {
    [("appointment_id", id.to_string())]
}

async fn status_of(client: &reqwest::Client, base: &str, endpoint: &str, id: i64) -> u16 {
    let args = detail(id);
    let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    call(client, base, endpoint, &form).await.status().as_u16()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_carer_books_and_manages_for_the_people_they_look_after_and_no_one_else(pool: PgPool) {
    let carer = create_person(&pool, Role::Patient, "Carer").await;
    let other = create_person(&pool, Role::Patient, "Other").await;
    let d1 = create_person(&pool, Role::Doctor, "FamDocOne").await;
    let d2 = create_person(&pool, Role::Doctor, "FamDocTwo").await;
    let admin = create_person(&pool, Role::Admin, "FamAdmin").await;
    daily_hours_and_slots(&pool, &[&d1, &d2], "09:00", "17:00").await;
    let base = spawn_app(pool.clone()).await;
    let c = client();
    log_in(&c, &base, &carer.email).await;
    let o = client();
    log_in(&o, &base, &other.email).await;

    // Bad input is named.
    let (status, body) = json(
        call(
            &c,
            &base,
            "add_person",
            &[
                ("first_name", "Emma"),
                ("last_name", "Test"),
                ("date_of_birth", "2999-01-01"),
                ("relationship", "Parent"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("date_of_birth"), "{body}");

    let emma = add_child(&c, &base, "Emma", "").await;
    let (_, people) = json(call(&c, &base, "booking_for", &[]).await).await;
    let names: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["first_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Carer", "Emma"], "themselves first");

    // The child and the carer at the same time: two people, two visits.
    let start = first_free_time_after_a_day(&pool).await;
    let for_emma = book_for(&c, &base, &pool, start, Some(emma)).await.unwrap();
    let own = book_for(&c, &base, &pool, start, None).await.unwrap();
    assert_ne!(for_emma, own);
    // The same person twice at one time is refused (per-person overlap).
    // Said about Emma, not "you".
    let again = book_for(&c, &base, &pool, start, Some(emma)).await;
    assert!(
        matches!(&again, Err((400, body)) if body.contains("Emma already has an appointment at this time")),
        "{again:?}"
    );

    // "My appointments" shows both, the child's labelled.
    let (status, mine) = json(call(&c, &base, "my_appointments", &[]).await).await;
    assert_eq!(status, 200);
    let labels: Vec<(i64, Option<String>)> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["appointment_id"].as_i64().unwrap(),
                a["for_name"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert!(
        labels.contains(&(for_emma, Some("Emma".to_owned()))),
        "{labels:?}"
    );
    assert!(labels.contains(&(own, None)), "{labels:?}");
    let (status, one) = json(
        call(
            &c,
            &base,
            "appointment_detail",
            &[("appointment_id", &for_emma.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(one["for_name"], "Emma");

    // The child's "add to calendar" file: for the carer (it says whom it is for), not for
    // another patient.
    let ics = c
        .get(format!("{base}/appointments/{for_emma}/calendar.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(ics.status(), 200);
    assert!(ics
        .text()
        .await
        .unwrap()
        .replace("\r\n ", "")
        .contains("For Emma."));
    let theirs = o
        .get(format!("{base}/appointments/{for_emma}/calendar.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);

    // Every carer read of the child's data is in the audit log.
    let reads: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where actor_user_id = $1 and patient_id = $2 order by chain_seq",
    )
    .bind(carer.user_id)
    .bind(emma)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(reads.contains(&"family.add".to_owned()), "{reads:?}");
    assert!(reads.contains(&"family.read".to_owned()), "{reads:?}");
    assert!(reads.contains(&"appointment.read".to_owned()), "{reads:?}");

    // Messages about the child's visit go to the carer (the child has no address).
    let recipients: Vec<Option<i64>> =
        sqlx::query_scalar("select recipient_user_id from notifications where appointment_id = $1")
            .bind(for_emma)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(recipients, [Some(carer.user_id)]);

    // Another patient: the same answer as for a missing id, everywhere.
    for endpoint in [
        "appointment_detail",
        "cancel_appointment",
        "confirm_my_visit",
    ] {
        assert_eq!(
            status_of(&o, &base, endpoint, for_emma).await,
            404,
            "{endpoint}"
        );
    }
    let later = start + chrono::Duration::hours(1);
    assert!(matches!(
        book_for(&o, &base, &pool, later, Some(emma)).await,
        Err((404, _))
    ));
    let (_, others) = json(call(&o, &base, "my_appointments", &[]).await).await;
    assert_eq!(others.as_array().unwrap().len(), 0);
    assert_eq!(
        call(
            &o,
            &base,
            "remove_person",
            &[("patient_id", &emma.to_string())]
        )
        .await
        .status(),
        404
    );

    // A waitlist place for the child: the carer's list shows it, labelled; another
    // patient cannot make one for the child.
    let emma_text = emma.to_string();
    let join = [
        ("appointment_type_id", "2"),
        ("for_patient", emma_text.as_str()),
    ];
    assert_eq!(call(&o, &base, "join_waitlist", &join).await.status(), 404);
    let joined = call(&c, &base, "join_waitlist", &join).await;
    assert!(
        joined.status().as_u16() < 400,
        "{}",
        joined.text().await.unwrap()
    );
    let (_, places) = json(call(&c, &base, "my_waitlist", &[]).await).await;
    assert_eq!(places[0]["for_name"], "Emma", "{places}");
    let waiting: i64 =
        sqlx::query_scalar("select patient_id from waitlist_entries where ended_at is null")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(waiting, emma);
    let (_, others) = json(call(&o, &base, "my_waitlist", &[]).await).await;
    assert_eq!(others.as_array().unwrap().len(), 0);

    // Staff see who booked it and for whom.
    let s = client();
    log_in(&s, &base, &admin.email).await;
    let (status, file) = json(
        call(
            &s,
            &base,
            "visit_record",
            &[("appointment_id", &for_emma.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["visit"]["booked_by_carer"], "Carer Test", "{file}");
    assert_eq!(file["visit"]["patient_name"], "Emma Test");
    let (status, family) = json(
        call(
            &s,
            &base,
            "staff_family",
            &[("patient_id", &carer.role_id.unwrap().to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(family["cares_for"][0]["first_name"], "Emma");

    // The carer removes the child: a former carer gets "not found"; the visit and the
    // child's record stay with the clinic.
    assert_eq!(
        call(
            &c,
            &base,
            "remove_person",
            &[("patient_id", &emma.to_string())]
        )
        .await
        .status(),
        200
    );
    for endpoint in [
        "appointment_detail",
        "cancel_appointment",
        "confirm_my_visit",
    ] {
        assert_eq!(
            status_of(&c, &base, endpoint, for_emma).await,
            404,
            "{endpoint}"
        );
    }
    assert!(matches!(
        book_for(&c, &base, &pool, later, Some(emma)).await,
        Err((404, _))
    ));
    let (_, mine) = json(call(&c, &base, "my_appointments", &[]).await).await;
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["appointment_id"].as_i64() != Some(for_emma)));
    let kept: String =
        sqlx::query_scalar("select status from appointments where appointment_id = $1")
            .bind(for_emma)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept, "booked");
    let (_, family) = json(
        call(
            &s,
            &base,
            "staff_family",
            &[("patient_id", &emma.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(family["carers"][0]["live"], false);
    assert_eq!(family["carers"][0]["ended_reason"], "removed");
    // New messages about it no longer reach the former carer.
    assert_eq!(
        call(
            &s,
            &base,
            "staff_cancel",
            &[("appointment_id", &for_emma.to_string())]
        )
        .await
        .status(),
        200
    );
    let after: i64 = sqlx::query_scalar(
        "select count(*) from notifications where appointment_id = $1 and kind = 'appointment_cancelled'",
    )
    .bind(for_emma)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(after, 0, "nobody to tell but the clinic's phone call");

    // Staff link them again, with a reason (audited); without one it is refused by name.
    let link = |reason: &'static str| {
        let (carer_id, emma) = (carer.role_id.unwrap().to_string(), emma.to_string());
        let s = s.clone();
        let base = base.clone();
        async move {
            json(
                call(
                    &s,
                    &base,
                    "staff_link_person",
                    &[
                        ("carer_patient_id", carer_id.as_str()),
                        ("patient_id", emma.as_str()),
                        ("relationship", "Parent"),
                        ("reason", reason),
                    ],
                )
                .await,
            )
            .await
        }
    };
    let (status, body) = link(" ").await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("reason"), "{body}");
    assert_eq!(link("Mother asked at the desk, ID checked").await.0, 200);
    let detail: Option<String> = sqlx::query_scalar(
        "select detail from audit_log where action = 'family.link' and patient_id = $1",
    )
    .bind(emma)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        detail.as_deref(),
        Some("Mother asked at the desk, ID checked")
    );
    assert_eq!(status_of(&c, &base, "appointment_detail", own).await, 200);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_grown_up_gets_their_own_login_and_the_carers_access_ends_until_they_grant_it(
    pool: PgPool,
) {
    let carer = create_person(&pool, Role::Patient, "Parent").await;
    let d1 = create_person(&pool, Role::Doctor, "HandDoc").await;
    daily_hours_and_slots(&pool, &[&d1], "09:00", "17:00").await;
    let base = spawn_app(pool.clone()).await;
    let c = client();
    log_in(&c, &base, &carer.email).await;
    let sam = add_child(&c, &base, "Sam", "").await;
    let start = first_free_time_after_a_day(&pool).await;
    let visit = book_for(&c, &base, &pool, start, Some(sam)).await.unwrap();

    // An invitation needs Sam's own address; the carer gives it.
    let (status, body) = json(
        call(
            &c,
            &base,
            "invite_person",
            &[("patient_id", &sam.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("email"), "{body}");
    assert_eq!(
        call(
            &c,
            &base,
            "invite_person",
            &[
                ("patient_id", &sam.to_string()),
                ("email", "sam@people.test")
            ]
        )
        .await
        .status(),
        200
    );
    // Until Sam chooses a password the carer still manages the visit.
    assert_eq!(status_of(&c, &base, "appointment_detail", visit).await, 200);
    let secret: String = sqlx::query_scalar(
        "select n.secret from notifications n join users u on u.user_id = n.recipient_user_id
          where u.email = 'sam@people.test' and n.kind = 'account_invitation'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let token = secret.trim_start_matches("token=");
    let sam_browser = client();
    let accepted = call(
        &sam_browser,
        &base,
        "accept_invitation",
        &[
            ("token", token),
            ("new_password", "Sam's own long passphrase"),
        ],
    )
    .await;
    assert_eq!(accepted.status(), 200, "{}", accepted.text().await.unwrap());

    // Sam manages their own visit now; the carer's access ended.
    assert_eq!(
        status_of(&sam_browser, &base, "appointment_detail", visit).await,
        200
    );
    assert_eq!(status_of(&c, &base, "appointment_detail", visit).await, 404);
    assert_eq!(status_of(&c, &base, "cancel_appointment", visit).await, 404);
    let (_, family) = json(call(&sam_browser, &base, "my_family", &[]).await).await;
    assert_eq!(family["carers"][0]["live"], false);
    assert_eq!(family["carers"][0]["ended_reason"], "own_login");
    let (_, carer_family) = json(call(&c, &base, "my_family", &[]).await).await;
    assert_eq!(carer_family["people"].as_array().unwrap().len(), 0);

    // Sam grants it again, then takes it away again.
    let carer_id = carer.role_id.unwrap().to_string();
    assert_eq!(
        call(
            &sam_browser,
            &base,
            "regrant_carer",
            &[("carer_patient_id", &carer_id)]
        )
        .await
        .status(),
        200
    );
    assert_eq!(status_of(&c, &base, "appointment_detail", visit).await, 200);
    assert_eq!(
        call(
            &sam_browser,
            &base,
            "revoke_carer",
            &[("carer_patient_id", &carer_id)]
        )
        .await
        .status(),
        200
    );
    assert_eq!(status_of(&c, &base, "appointment_detail", visit).await, 404);
    // Someone who never looked after Sam cannot be "granted again".
    let stranger = create_person(&pool, Role::Patient, "Stranger").await;
    assert_eq!(
        call(
            &sam_browser,
            &base,
            "regrant_carer",
            &[("carer_patient_id", &stranger.role_id.unwrap().to_string())]
        )
        .await
        .status(),
        404
    );
    let ended: Vec<String> = sqlx::query_scalar(
        "select detail from audit_log where action = 'family.unlink' and patient_id = $1 order by chain_seq",
    )
    .bind(sam)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(ended, ["own_login", "revoked"]);
}
