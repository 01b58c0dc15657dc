//! Visit types over HTTP (issue 27): staff preview, save, and retire a type; bad values
//! are named; the change is audited `old → new`; patients see online types only, each
//! with the doctors who offer it; a chosen doctor's week and "sooner elsewhere".

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

#[sqlx::test(migrator = "MIGRATOR")]
async fn staff_define_a_type_for_some_doctors_and_patients_see_only_theirs(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Typeadmin").await;
    let d1 = create_person(&pool, Role::Doctor, "Typedocone").await;
    let d2 = create_person(&pool, Role::Doctor, "Typedoctwo").await;
    daily_hours_and_slots(&pool, &[&d1, &d2], "09:00", "17:00").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;
    let d1_id = d1.role_id.unwrap().to_string();

    // Bad values are named, and nothing is saved.
    for (field, form) in [
        (
            "name",
            vec![("name", " "), ("slot_count", "1"), ("all_doctors", "on")],
        ),
        (
            "slot_count",
            vec![("name", "X"), ("slot_count", "0"), ("all_doctors", "on")],
        ),
        (
            "slot_count",
            vec![("name", "X"), ("slot_count", "two"), ("all_doctors", "on")],
        ),
        (
            "buffer",
            vec![
                ("name", "X"),
                ("slot_count", "10"),
                ("buffer_minutes", "300"),
                ("all_doctors", "on"),
            ],
        ),
        ("doctors", vec![("name", "X"), ("slot_count", "1")]),
        (
            "name",
            vec![
                ("name", "Standard"),
                ("slot_count", "1"),
                ("all_doctors", "on"),
            ],
        ),
        (
            "questions",
            vec![
                ("name", "X"),
                ("slot_count", "1"),
                ("all_doctors", "on"),
                ("questions[0][prompt]", "Allergies?"),
                ("questions[0][kind]", "essay"),
            ],
        ),
    ] {
        let (status, body) = json(call(&staff, &base, "save_visit_type", &form).await).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert_eq!(body["Validation"]["field"], field, "{body}");
    }

    // A preview saves nothing; saving does, once, audited.
    let form = [
        ("name", "Vaccination"),
        ("slot_count", "1"),
        ("buffer_minutes", "10"),
        ("online", "on"),
        ("doctors[0]", d1_id.as_str()),
        ("note", "Bring your vaccination card."),
        ("questions[0][prompt]", "Any allergies?"),
        ("questions[0][kind]", "text"),
        ("questions[0][required]", "on"),
    ];
    let mut preview = form.to_vec();
    preview.push(("intent", "preview"));
    let (status, body) = json(call(&staff, &base, "save_visit_type", &preview).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["saved"], false);
    let types: i64 = sqlx::query_scalar("select count(*) from appointment_types")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(types, 2);
    let (status, body) = json(call(&staff, &base, "save_visit_type", &form).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["saved"], true);
    let id = body["appointment_type_id"].as_i64().unwrap();
    let (buffer, all): (i32, bool) = sqlx::query_as(
        "select buffer_slots, all_doctors from appointment_types where appointment_type_id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((buffer, all), (1, false), "10 minutes round up to a slot");
    let audited: String = sqlx::query_scalar(
        "select detail from audit_log where action = 'visit_type.change' order by audit_id desc limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(audited.contains("name:  → Vaccination"), "{audited}");
    assert!(
        audited.contains("doctors:  → Dr. Typedocone Test"),
        "{audited}"
    );

    // Patients: the type is offered, with its note, its one doctor's times only.
    let anyone = client();
    let (status, week) = json(
        call(
            &anyone,
            &base,
            "finder_week",
            &[("appointment_type_id", &id.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{week}");
    assert_eq!(
        week["appointment_type"]["note"],
        "Bring your vaccination card."
    );
    let (_, choice) = json(
        call(
            &anyone,
            &base,
            "doctor_choice",
            &[("appointment_type_id", &id.to_string())],
        )
        .await,
    )
    .await;
    let offered: Vec<i64> = choice["doctors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["doctor_id"].as_i64().unwrap())
        .collect();
    assert_eq!(offered, vec![d1.role_id.unwrap()]);
    // The other doctor does not offer it: choosing them is refused by name.
    let (status, body) = json(
        call(
            &anyone,
            &base,
            "finder_week",
            &[
                ("appointment_type_id", &id.to_string()),
                ("doctor", &d2.role_id.unwrap().to_string()),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["Validation"]["field"], "doctor");

    // Made staff-only, it leaves the patients' picker but staff still book it.
    let mut staff_only: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| *k != "online")
        .copied()
        .collect();
    let id_text = id.to_string();
    staff_only.push(("appointment_type_id", &id_text));
    let (status, body) = json(call(&staff, &base, "save_visit_type", &staff_only).await).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["changes"]
            .to_string()
            .contains("booked: online → by staff"),
        "{body}"
    );
    let (_, week) = json(call(&anyone, &base, "finder_week", &[]).await).await;
    assert!(!week["types"].to_string().contains("Vaccination"), "{week}");
    let (_, bookable) = json(call(&staff, &base, "staff_bookable_types", &[]).await).await;
    assert!(bookable.to_string().contains("Vaccination"), "{bookable}");
    // A patient cannot wait for it online either; a visit of it can still be moved.
    let patient = create_person(&pool, Role::Patient, "Typepatient").await;
    let p = client();
    log_in(&p, &base, &patient.email).await;
    let (status, body) = json(
        call(
            &p,
            &base,
            "join_waitlist",
            &[("appointment_type_id", &id.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, week) = json(
        call(
            &p,
            &base,
            "finder_week",
            &[("appointment_type_id", &id.to_string()), ("moving", "true")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{week}");
    assert_eq!(week["appointment_type"]["name"], "Vaccination");

    // Retired: gone for staff booking too; the last active type cannot be retired.
    let (status, _) = json(
        call(
            &staff,
            &base,
            "set_visit_type_active",
            &[("appointment_type_id", &id_text), ("active", "false")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, bookable) = json(call(&staff, &base, "staff_bookable_types", &[]).await).await;
    assert!(!bookable.to_string().contains("Vaccination"), "{bookable}");
    call(
        &staff,
        &base,
        "set_visit_type_active",
        &[("appointment_type_id", "2"), ("active", "false")],
    )
    .await;
    let (status, body) = json(
        call(
            &staff,
            &base,
            "set_visit_type_active",
            &[("appointment_type_id", "1"), ("active", "false")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_chosen_doctors_week_says_when_another_doctor_is_sooner(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let d1 = create_person(&pool, Role::Doctor, "Soonone").await;
    let d2 = create_person(&pool, Role::Doctor, "Soontwo").await;
    daily_hours_and_slots(&pool, &[&d1, &d2], "09:00", "17:00").await;
    // d2's first two days are closed: d1 is sooner.
    sqlx::query(
        "update availability_slots set status = 'blocked'
          where doctor_id = $1 and start_time < (select min(start_time) from availability_slots) + interval '2 days'",
    )
    .bind(d2.role_id.unwrap())
    .execute(&pool)
    .await
    .unwrap();
    let anyone = client();
    let (status, week) = json(
        call(
            &anyone,
            &base,
            "finder_week",
            &[("doctor", &d2.role_id.unwrap().to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{week}");
    assert_eq!(week["doctor"]["doctor_id"], d2.role_id.unwrap());
    let mine = week["next_available"].as_str().unwrap().to_owned();
    let sooner = week["sooner_elsewhere"]
        .as_str()
        .expect("another doctor is sooner")
        .to_owned();
    assert!(sooner < mine, "{sooner} before {mine}");
    // Any doctor: no such note.
    let (_, any) = json(call(&anyone, &base, "finder_week", &[]).await).await;
    assert!(any["sooner_elsewhere"].is_null());
    assert_eq!(any["next_available"].as_str().unwrap(), sooner);
}
