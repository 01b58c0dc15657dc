//! Running the clinic from the staff portal: holidays (preview = what adding does; every
//! visit that day waits for staff; removing reopens), the attention queue (move, hand to
//! a free colleague, cancel, keep — the freed time stays closed), deactivating a doctor
//! with a preview, settings (named errors, audited old → new), the outbox (errors without
//! addresses, retry), the audit log (filter, chain check, CSV) and Today's figures.

mod common;

use common::*;
use domain::role::Role;
use serde_json::Value;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// Doctors working 09:00–17:00 every day, slots materialised.
async fn doctors(pool: &PgPool, names: &[&str]) -> Vec<Person> {
    let mut out = Vec::new();
    for name in names {
        out.push(create_person(pool, Role::Doctor, name).await);
    }
    daily_hours_and_slots(pool, &out.iter().collect::<Vec<_>>(), "09:00", "17:00").await;
    out
}

/// A local date `days` ahead and its 10:00 in UTC (RFC 3339).
async fn day_ahead(pool: &PgPool, days: i32) -> (String, String) {
    sqlx::query_as(
        "select d::text, to_char(((d + time '10:00') at time zone s.time_zone) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         from clinic_settings s, lateral (select (now() at time zone s.time_zone)::date + $1 as d) x",
    )
    .bind(days)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn book_for(staff: &reqwest::Client, base: &str, patient_id: i64, start: &str) -> i64 {
    let (status, body) = json(
        call(
            staff,
            base,
            "staff_book",
            &[
                ("patient_id", &patient_id.to_string()),
                ("start", start),
                ("appointment_type_id", "1"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_i64().unwrap()
}

async fn slot_states(pool: &PgPool, appointment_start: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select status from availability_slots where start_time = $1::timestamptz order by doctor_id",
    )
    .bind(appointment_start)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_holiday_queues_its_visits_and_the_queue_resolves_them(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    doctors(&pool, &["Holone", "Holtwo"]).await;
    let admin = create_person(&pool, Role::Admin, "Holdesk").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    let (day, ten) = day_ahead(&pool, 5).await;
    let mut patients = Vec::new();
    for name in ["Hola", "Holb", "Holc"] {
        patients.push(
            create_person(&pool, Role::Patient, name)
                .await
                .role_id
                .unwrap(),
        );
    }
    let visits: Vec<i64> = {
        let mut v = Vec::new();
        for p in &patients[..2] {
            v.push(book_for(&staff, &base, *p, &ten).await);
        }
        v
    };

    // The preview says both wait for staff, and changes nothing.
    let form = [("date", day.as_str()), ("name", "Founders' day")];
    let (status, preview) = json(call(&staff, &base, "preview_holiday", &form).await).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        (preview["moved"].as_i64(), preview["queued"].as_i64()),
        (Some(0), Some(2))
    );
    assert!(slot_states(&pool, &ten).await.iter().all(|s| s == "booked"));
    let (status, added) = json(call(&staff, &base, "add_holiday", &form).await).await;
    assert_eq!(status, 200);
    assert_eq!(added, preview, "the preview said what adding does");
    let (status, again) = json(call(&staff, &base, "add_holiday", &form).await).await;
    assert_eq!(status, 400, "{again}");

    let (status, queue) = json(call(&staff, &base, "attention_queue", &[]).await).await;
    assert_eq!(status, 200);
    let items = queue.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["cause"] == "holiday"));
    let item = |n: usize| items[n]["item_id"].as_i64().unwrap().to_string();

    // A note is required.
    let (status, _) = json(
        call(
            &staff,
            &base,
            "resolve_attention",
            &[("item_id", &item(0)), ("action", "cancel"), ("note", " ")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    // Move the first to the next day's 10:00 (a suggestion or any open time).
    let (_, next_ten) = day_ahead(&pool, 6).await;
    let (status, body) = json(
        call(
            &staff,
            &base,
            "resolve_attention",
            &[
                ("item_id", &item(0)),
                ("action", "move"),
                ("start", &next_ten),
                ("note", "called, agreed the next day"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Cancel the second.
    let (status, body) = json(
        call(
            &staff,
            &base,
            "resolve_attention",
            &[
                ("item_id", &item(1)),
                ("action", "cancel"),
                ("note", "patient will rebook"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Their slots on the holiday stay closed: nobody can book that day.
    assert!(
        slot_states(&pool, &ten)
            .await
            .iter()
            .all(|s| s == "holiday"),
        "{:?}",
        slot_states(&pool, &ten).await
    );
    let (status, _) = json(
        call(
            &staff,
            &base,
            "staff_book",
            &[
                ("patient_id", &patients[2].to_string()),
                ("start", &ten),
                ("appointment_type_id", "1"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 409, "no time on a holiday");
    let (_, queue) = json(call(&staff, &base, "attention_queue", &[]).await).await;
    assert_eq!(queue.as_array().unwrap().len(), 0);
    let resolutions: Vec<String> = sqlx::query_scalar(
        "select resolution from attention_items where appointment_id = any($1) order by appointment_id",
    )
    .bind(&visits)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        resolutions,
        [
            "moved: called, agreed the next day",
            "cancelled: patient will rebook"
        ]
    );

    // Removing the holiday opens the day again.
    let (status, _) = json(call(&staff, &base, "remove_holiday", &[("date", &day)]).await).await;
    assert_eq!(status, 200);
    assert!(slot_states(&pool, &ten).await.iter().all(|s| s == "free"));
    let (status, _) = json(call(&staff, &base, "remove_holiday", &[("date", &day)]).await).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn leave_queues_inside_the_freeze_and_staff_hand_it_to_a_free_colleague(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let d = doctors(&pool, &["Leaveone", "Leavetwo"]).await;
    let admin = create_person(&pool, Role::Admin, "Leavedesk").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    let patient = create_person(&pool, Role::Patient, "Leavepat")
        .await
        .role_id
        .unwrap();
    let (day, ten) = day_ahead(&pool, 3).await;
    let visit = book_for(&staff, &base, patient, &ten).await;
    let doctor: i64 =
        sqlx::query_scalar("select doctor_id from appointments where appointment_id = $1")
            .bind(visit)
            .fetch_one(&pool)
            .await
            .unwrap();
    let other = d
        .iter()
        .find(|x| x.role_id != Some(doctor))
        .unwrap()
        .role_id
        .unwrap();
    // The other doctor is busy then, so the visit cannot move: it waits for staff.
    sqlx::query("update availability_slots set status = 'blocked' where doctor_id = $1 and start_time = $2::timestamptz")
        .bind(other)
        .bind(&ten)
        .execute(&pool)
        .await
        .unwrap();
    let leave = [
        ("doctor_id", doctor.to_string()),
        ("from_date", day.clone()),
    ];
    let leave: Vec<(&str, &str)> = leave.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, preview) = json(call(&staff, &base, "preview_doctor_leave", &leave).await).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["queued"], 1);
    let (status, done) = json(call(&staff, &base, "doctor_leave", &leave).await).await;
    assert_eq!((status, &done), (200, &preview));
    // The colleague becomes free; staff hand the visit over at the same time.
    sqlx::query("update availability_slots set status = 'free' where doctor_id = $1 and start_time = $2::timestamptz")
        .bind(other)
        .bind(&ten)
        .execute(&pool)
        .await
        .unwrap();
    let (_, queue) = json(call(&staff, &base, "attention_queue", &[]).await).await;
    let item = &queue[0];
    assert_eq!(item["cause"], "doctor_leave");
    assert!(
        item["suggestions"].as_array().unwrap().iter().any(|s| {
            chrono::DateTime::parse_from_rfc3339(s.as_str().unwrap()).unwrap()
                == chrono::DateTime::parse_from_rfc3339(&ten).unwrap()
        }),
        "the same time with the free colleague is suggested: {item}"
    );
    let (status, body) = json(
        call(
            &staff,
            &base,
            "resolve_attention",
            &[
                ("item_id", &item["item_id"].as_i64().unwrap().to_string()),
                ("action", "move"),
                ("start", &ten),
                ("note", "Dr. Leavetwo takes it"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (now_with, start): (i64, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("select doctor_id, start_time from appointments where appointment_id = $1")
            .bind(visit)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(now_with, other);
    assert_eq!(
        start.to_rfc3339(),
        chrono::DateTime::parse_from_rfc3339(&ten)
            .unwrap()
            .to_rfc3339()
    );
    // The doctor on leave keeps the time blocked.
    let mine: String = sqlx::query_scalar(
        "select status from availability_slots where doctor_id = $1 and start_time = $2::timestamptz",
    )
    .bind(doctor)
    .bind(&ten)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(mine, "blocked");

    // Deactivating the colleague: the preview says the visit would wait, and nothing changes.
    let (status, preview) = json(
        call(
            &staff,
            &base,
            "preview_deactivation",
            &[("doctor_id", &other.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(preview["queued"], 1, "inside the freeze: for staff");
    let active: bool = sqlx::query_scalar("select active from doctors where doctor_id = $1")
        .bind(other)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(active, "a preview changes nothing");
    let (status, done) = json(
        call(
            &staff,
            &base,
            "set_doctor_active",
            &[("doctor_id", &other.to_string()), ("active", "false")],
        )
        .await,
    )
    .await;
    assert_eq!((status, &done), (200, &preview));
    let (_, list) = json(call(&staff, &base, "list_doctors", &[]).await).await;
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["doctor_id"] == other)
        .unwrap();
    assert_eq!(row["active"], false);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn settings_name_bad_values_and_audit_old_and_new(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Setdesk").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    let (status, current) = json(call(&staff, &base, "get_clinic_settings", &[]).await).await;
    assert_eq!(status, 200);
    assert_eq!(current["policy"]["slot_minutes"], 30);

    // The product defaults with the clinic's own name and contacts, then `changes`.
    let form = |changes: &[(&'static str, &'static str)]| {
        let mut pairs = settings_arguments();
        let named = [
            ("clinic_name", "Riverside"),
            ("clinic_phone", "+1 555 010 2030"),
            ("clinic_email", "desk@riverside.test"),
            ("clinic_address", "1 River St"),
        ];
        for (k, v) in named.iter().chain(changes) {
            pairs.iter_mut().find(|(key, _)| key == k).unwrap().1 = (*v).to_owned();
        }
        pairs
    };
    fn borrowed<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    for (field, value) in [
        ("slot_minutes", "7"),
        ("slot_minutes", "half an hour"),
        ("time_zone", "Mars/Olympus"),
        ("hold_minutes", "0"),
        ("clinic_email", "not-an-address"),
        ("clinic_name", " "),
        ("min_notice_minutes", "999999"),
    ] {
        let (status, body) = json(
            call(
                &staff,
                &base,
                "update_settings",
                &borrowed(&form(&[(field, value)])),
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{field}={value}: {body}");
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let (status, changes) = json(
        call(
            &staff,
            &base,
            "update_settings",
            &borrowed(&form(&[("max_active_appointments", "4")])),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{changes}");
    assert!(
        changes
            .to_string()
            .contains("max_active_appointments: 3 → 4"),
        "{changes}"
    );
    let detail: String = sqlx::query_scalar(
        "select detail from audit_log where action = 'clinic.settings' order by chain_seq desc limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        detail.contains("clinic_name: Clinic Scheduler → Riverside"),
        "{detail}"
    );
    assert!(
        detail.contains("max_active_appointments: 3 → 4"),
        "{detail}"
    );

    // A slot length the doctors' hours do not fit is refused, naming it.
    let d = doctors(&pool, &["Gridone"]).await;
    sqlx::query("update weekly_hours set start_time = '09:30' where doctor_id = $1")
        .bind(d[0].role_id)
        .execute(&pool)
        .await
        .unwrap();
    let (status, body) = json(
        call(
            &staff,
            &base,
            "update_settings",
            &borrowed(&form(&[
                ("max_active_appointments", "4"),
                ("slot_minutes", "60"),
            ])),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("slot_minutes"), "{body}");
    // A length they fit: free times follow the new grid.
    sqlx::query("update weekly_hours set start_time = '09:00' where doctor_id = $1")
        .bind(d[0].role_id)
        .execute(&pool)
        .await
        .unwrap();
    let (status, body) = json(
        call(
            &staff,
            &base,
            "update_settings",
            &borrowed(&form(&[
                ("max_active_appointments", "4"),
                ("slot_minutes", "60"),
            ])),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let lengths: Vec<f64> = sqlx::query_scalar(
        "select distinct extract(epoch from end_time - start_time)::float8 / 60 from availability_slots
         where status = 'free' and start_time > now()",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(lengths, [60.0]);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn outbox_audit_log_and_today_for_staff(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    doctors(&pool, &["Todayone"]).await;
    let admin = create_person(&pool, Role::Admin, "Opsdesk").await;
    let patient = create_person(&pool, Role::Patient, "Opspat").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    let (_, ten) = day_ahead(&pool, 2).await;
    let visit = book_for(&staff, &base, patient.role_id.unwrap(), &ten).await;

    // A message given up on: its error shown without the address; retried on request.
    sqlx::query(
        "update notifications set status = 'dead', attempts = 8, next_attempt_at = now(),
                last_error = '550 <opspat@people.test> mailbox unavailable'
         where appointment_id = $1",
    )
    .bind(visit)
    .execute(&pool)
    .await
    .unwrap();
    let (status, page) = json(call(&staff, &base, "outbox", &[("status", "dead")]).await).await;
    assert_eq!(status, 200);
    let row = &page["rows"][0];
    assert_eq!(row["last_error"], "550 [address] mailbox unavailable");
    assert!(!page.to_string().contains("opspat@"), "{page}");
    assert!(page["counts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c[0] == "dead" && c[1] == 1));
    let (status, _) = json(call(&staff, &base, "outbox", &[("status", "lost")]).await).await;
    assert_eq!(status, 400);
    let (_, today) = json(call(&staff, &base, "staff_today", &[]).await).await;
    assert_eq!(today["messages_failing"], 1);
    let id = row["notification_id"].as_i64().unwrap().to_string();
    let (status, queued) = json(
        call(
            &staff,
            &base,
            "retry_notifications",
            &[("notification_id", &id)],
        )
        .await,
    )
    .await;
    assert_eq!((status, queued), (200, Value::from(1)));
    let (status, _) = json(
        call(
            &staff,
            &base,
            "retry_notifications",
            &[("notification_id", &id)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "only a dead message");

    // Today: the week's use has the doctor with one booked slot.
    let (status, today) = json(call(&staff, &base, "staff_today", &[]).await).await;
    assert_eq!(status, 200, "{today}");
    let week = today["week_use"].as_array().unwrap();
    assert!(week.len() <= 1);

    // The audit log: filtered by patient and action; the chain verifies; CSV export.
    let pid = patient.role_id.unwrap().to_string();
    let (status, audit) = json(
        call(
            &staff,
            &base,
            "audit_log",
            &[("patient_id", &pid), ("action", "appointment.")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"appointment.book"), "{actions:?}");
    assert!(
        actions.iter().all(|a| a.starts_with("appointment.")),
        "{actions:?}"
    );
    let (status, chain) = json(call(&staff, &base, "verify_audit_chain", &[]).await).await;
    assert_eq!(status, 200);
    assert_eq!(chain["intact"], true, "{chain}");
    let csv = staff
        .get(format!("{base}/admin/audit.csv?patient_id={pid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("chain_seq,occurred_at,actor"));
    assert!(body.contains("appointment.book"));
    let bad = staff
        .get(format!("{base}/admin/audit.csv?from=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let as_patient = client();
    log_in(&as_patient, &base, &patient.email).await;
    let refused = as_patient
        .get(format!("{base}/admin/audit.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let anonymous = client()
        .get(format!("{base}/admin/audit.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);

    // A tampered row is found by the check (the database refuses UPDATE; a superuser
    // disabling the trigger is the attack this detects).
    sqlx::query("alter table audit_log disable trigger audit_log_no_update")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update audit_log set detail = 'forged' where chain_seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    let (_, chain) = json(call(&staff, &base, "verify_audit_chain", &[]).await).await;
    assert_eq!(chain["intact"], false);
    assert_eq!(chain["broken_at"], 2);
}
