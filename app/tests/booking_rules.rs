//! Booking rules that must hold for one patient with many tabs, for disabled doctors and
//! for holidays and hours changes — each enforced by the database or a lock, not hoped for.

mod common;

use app::services::auth::session::CurrentUser;
use app::services::booking::{self, ActingUser};
use app::services::schedule;
use app::AppError;
use chrono::{Duration, NaiveDate, Weekday};
use common::*;
use domain::booking::BookingError;
use domain::role::Role;
use domain::schedule::WeeklyInterval;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn own_pool(connect_opts: PgConnectOptions, connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(connect_opts)
        .await
        .unwrap()
}

async fn clinic_of(pool: &PgPool, doctors: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..doctors {
        let d = add_doctor(pool, &format!("Doc{i}")).await;
        add_daily_hours(pool, d, "09:00", "17:00").await;
        ids.push(d);
    }
    materialize(pool).await;
    ids
}

fn refusal(result: &Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(AppError::Booking(e)) => format!("{e:?}")
            .split([' ', '{', '('])
            .next()
            .unwrap_or("?")
            .to_owned(),
        Err(other) => panic!("unexpected error: {other:?}"),
    }
}

/// Eight tabs of each of several patients hold a different time each and confirm it,
/// all at once. Each patient ends with at most the active limit (3), one hold at most,
/// and no overlapping visits.
#[sqlx::test(migrator = "MIGRATOR")]
async fn a_patients_many_tabs_never_beat_the_limits(_: PgPoolOptions, opts: PgConnectOptions) {
    let pool = own_pool(opts, 60).await;
    clinic_of(&pool, 4).await;
    let mut patients = Vec::new();
    for i in 0..6 {
        patients.push(add_patient(&pool, i).await);
    }
    for round in 0..3u32 {
        let mut tasks = JoinSet::new();
        for patient in &patients {
            for tab in 0..8u32 {
                let (pool, by) = (pool.clone(), patient.clone());
                // Different times each tab (and each round), some overlapping Long visits.
                let start = ny(5 + round, 9, 0) + Duration::minutes(30 * i64::from(tab));
                let kind = if tab % 3 == 0 { LONG } else { STANDARD };
                tasks.spawn(async move {
                    let p = policy();
                    let hold =
                        booking::hold(&pool, &p, &by, patient_id(&by), start, kind, now()).await?;
                    booking::confirm(
                        &pool,
                        &p,
                        &by,
                        booking::Confirmation {
                            patient_id: patient_id(&by),
                            hold_token: hold.token,
                            reason: None,
                            idempotency_key: Uuid::new_v4(),
                        },
                        now(),
                    )
                    .await
                });
            }
        }
        let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
        while let Some(joined) = tasks.join_next().await {
            *outcomes.entry(refusal(&joined.unwrap())).or_default() += 1;
        }
        println!("round {round}: {outcomes:?}");
        assert_eq!(
            invariant_violations(&pool).await,
            Vec::<String>::new(),
            "round {round}"
        );
        let most: i64 = sqlx::query_scalar(
            "select coalesce(max(n), 0) from (select count(*) n from appointments
              where status = 'booked' group by patient_id) x",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(most <= 3, "a patient has {most} active appointments");
    }
    // The limit was reached by everyone: the tabs really competed for it.
    let at_limit: i64 = sqlx::query_scalar(
        "select count(*) from (select patient_id from appointments where status = 'booked'
          group by patient_id having count(*) = 3) x",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(at_limit, 6);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_patient_never_has_two_overlapping_visits(pool: PgPool) {
    clinic_of(&pool, 3).await;
    let patient = add_patient(&pool, 1).await;
    let p = policy();

    // The same time again, with another doctor.
    let first = book(&pool, &patient, ny(5, 10, 0), STANDARD).await.unwrap();
    let again = book(&pool, &patient, ny(5, 10, 0), STANDARD).await;
    assert_eq!(
        again.unwrap_err(),
        AppError::Booking(BookingError::OverlapsOwnAppointment {
            appointment_id: Some(first.appointment_id)
        })
    );
    // A 30-minute visit inside their own 60-minute one.
    let long = book(&pool, &patient, ny(5, 11, 0), LONG).await.unwrap();
    assert!(matches!(
        book(&pool, &patient, ny(5, 11, 30), STANDARD).await,
        Err(AppError::Booking(
            BookingError::OverlapsOwnAppointment { .. }
        ))
    ));
    // A Long visit starting in the half hour before a booked one.
    assert!(matches!(
        book(&pool, &patient, ny(5, 9, 30), LONG).await,
        Err(AppError::Booking(
            BookingError::OverlapsOwnAppointment { .. }
        ))
    ));
    // Rescheduling onto their own other visit's time.
    assert!(matches!(
        booking::reschedule(
            &pool,
            &p,
            &patient,
            first.appointment_id,
            ny(5, 11, 30),
            now()
        )
        .await,
        Err(AppError::Booking(
            BookingError::OverlapsOwnAppointment { .. }
        ))
    ));
    // Moving a visit half an hour later, overlapping only its own old time, is fine.
    let moved = booking::reschedule(
        &pool,
        &p,
        &patient,
        long.appointment_id,
        ny(5, 11, 30),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(moved.start, ny(5, 11, 30));

    // The database refuses it even when the code is bypassed.
    let err = sqlx::query(
        "insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time,
                                   booked_by_user_id, booked_by_role, idempotency_key)
         select patient_id, (select doctor_id from doctors where doctor_id <> a.doctor_id limit 1),
                appointment_type_id, start_time, end_time, booked_by_user_id, 'patient', gen_random_uuid()
         from appointments a where appointment_id = $1",
    )
    .bind(first.appointment_id)
    .execute(&pool)
    .await
    .unwrap_err();
    assert_eq!(
        err.as_database_error().and_then(|e| e.constraint()),
        Some("appointments_patient_no_overlap")
    );
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

async fn admin(pool: &PgPool) -> CurrentUser {
    let staff = add_staff(pool, None).await;
    CurrentUser {
        user_id: staff.user_id,
        role: Role::Admin,
        email: "staff@clinic.test".to_owned(),
        display_name: "Staff".to_owned(),
        patient_id: None,
        doctor_id: None,
        signed_in_at: chrono::Utc::now(),
    }
}

async fn user_of_doctor(pool: &PgPool, doctor_id: i64) -> i64 {
    sqlx::query_scalar("select user_id from doctors where doctor_id = $1")
        .bind(doctor_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_disabled_doctor_is_never_offered_or_assigned_and_their_visits_go_to_staff(pool: PgPool) {
    let doctors = clinic_of(&pool, 2).await;
    let (gone, staying) = (doctors[0], doctors[1]);
    // Only the doctor who leaves works at 9:00 on the 6th.
    sqlx::query("delete from availability_slots where doctor_id = $1 and start_time = $2")
        .bind(staying)
        .bind(ny(6, 9, 0))
        .execute(&pool)
        .await
        .unwrap();
    let patient = add_patient(&pool, 1).await;
    let visit = book(&pool, &patient, ny(5, 10, 0), STANDARD).await.unwrap();
    let other = add_patient(&pool, 2).await;
    let visit2 = book(&pool, &other, ny(5, 10, 0), STANDARD).await.unwrap();
    let theirs = if visit.doctor_id == gone {
        visit.appointment_id
    } else {
        visit2.appointment_id
    };

    let admin = admin(&pool).await;
    app::services::auth::accounts::set_account_disabled(
        &pool,
        &admin,
        None,
        user_of_doctor(&pool, gone).await,
        true,
        now(),
    )
    .await
    .unwrap();

    // Their visit waits for staff, and the patient is told.
    let queued: Vec<(i64, String)> = sqlx::query_as(
        "select appointment_id, cause from attention_items where resolved_at is null",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(queued, vec![(theirs, "doctor_inactive".to_owned())]);
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications where appointment_id = $1 and kind = 'appointment_needs_attention'",
    )
    .bind(theirs)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(told >= 1);
    // Not in the directory, not in the finder, never assigned.
    let listed = app::db::doctors::list_active(&pool).await.unwrap();
    assert!(listed.iter().all(|d| d.doctor_id != gone));
    let open = app::db::slots::open_slots_between(&pool, ny(6, 9, 0), ny(6, 9, 30), now(), None)
        .await
        .unwrap();
    assert!(
        open.is_empty(),
        "only the disabled doctor had 9:00: {open:?}"
    );
    for i in 0..4 {
        let someone = add_patient(&pool, 10 + i).await;
        let booked = book(
            &pool,
            &someone,
            ny(7, 9, 0) + Duration::minutes(30 * i as i64),
            STANDARD,
        )
        .await
        .unwrap();
        assert_eq!(booked.doctor_id, staying);
    }
    assert!(matches!(
        book(&pool, &add_patient(&pool, 20).await, ny(6, 9, 0), STANDARD).await,
        Err(AppError::Booking(BookingError::SlotTaken { .. }))
    ));
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

/// While a doctor is disabled, thirty patients book at once: every live visit of the
/// disabled doctor is one the deactivation saw (queued), none slips in after it.
#[sqlx::test(migrator = "MIGRATOR")]
async fn disabling_a_doctor_during_a_booking_rush_leaves_no_visit_behind(
    _: PgPoolOptions,
    opts: PgConnectOptions,
) {
    let pool = own_pool(opts, 40).await;
    let doctors = clinic_of(&pool, 3).await;
    let admin = admin(&pool).await;
    let mut patients = Vec::new();
    for i in 0..30 {
        patients.push(add_patient(&pool, i).await);
    }
    let gone_user = user_of_doctor(&pool, doctors[0]).await;
    let mut tasks = JoinSet::new();
    for (i, patient) in patients.into_iter().enumerate() {
        let pool = pool.clone();
        tasks.spawn(async move {
            let start = ny(5, 9, 0) + Duration::minutes(30 * (i as i64 % 10));
            refusal(&book(&pool, &patient, start, STANDARD).await)
        });
    }
    let disable = {
        let pool = pool.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            app::services::auth::accounts::set_account_disabled(
                &pool,
                &admin,
                None,
                gone_user,
                true,
                now(),
            )
            .await
        })
    };
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
    disable.await.unwrap().unwrap();
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_new_holiday_ends_holds_on_that_day_at_once(pool: PgPool) {
    clinic_of(&pool, 1).await;
    let p = policy();
    let patient = add_patient(&pool, 1).await;
    let lapsed = add_patient(&pool, 2).await;
    let booked_patient = add_patient(&pool, 3).await;
    let live = booking::hold(
        &pool,
        &p,
        &patient,
        patient_id(&patient),
        ny(6, 10, 0),
        STANDARD,
        now(),
    )
    .await
    .unwrap();
    // A hold from an hour ago has lapsed: it would count as open.
    booking::hold(
        &pool,
        &p,
        &lapsed,
        patient_id(&lapsed),
        ny(6, 11, 0),
        STANDARD,
        now() - Duration::hours(1),
    )
    .await
    .unwrap();
    let visit = book(&pool, &booked_patient, ny(6, 12, 0), STANDARD)
        .await
        .unwrap();

    let outcome = schedule::add_holiday(
        &pool,
        &p,
        NaiveDate::from_ymd_opt(2030, 3, 6).unwrap(),
        "Founders' day",
        now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.queued, 1, "the booked visit goes to staff");

    let open = app::db::slots::open_slots_between(&pool, ny(6, 0, 0), ny(7, 0, 0), now(), None)
        .await
        .unwrap();
    assert!(
        open.is_empty(),
        "nothing on the holiday is offered: {open:?}"
    );
    let confirm = booking::confirm(
        &pool,
        &p,
        &patient,
        booking::Confirmation {
            patient_id: patient_id(&patient),
            hold_token: live.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        now(),
    )
    .await;
    assert!(matches!(
        confirm,
        Err(AppError::Booking(BookingError::HoldExpired { .. }))
    ));
    let other = add_patient(&pool, 4).await;
    assert!(book(&pool, &other, ny(6, 11, 0), STANDARD).await.is_err());
    let queued: i64 = sqlx::query_scalar(
        "select count(*) from attention_items where appointment_id = $1 and cause = 'holiday'",
    )
    .bind(visit.appointment_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(queued, 1);
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn new_weekly_hours_take_held_slots_away_at_once(pool: PgPool) {
    let doctors = clinic_of(&pool, 1).await;
    let p = policy();
    let patient = add_patient(&pool, 1).await;
    let held = booking::hold(
        &pool,
        &p,
        &patient,
        patient_id(&patient),
        ny(6, 16, 0),
        STANDARD,
        now(),
    )
    .await
    .unwrap();
    let booked_patient = add_patient(&pool, 2).await;
    let late_visit = book(&pool, &booked_patient, ny(6, 16, 30), STANDARD)
        .await
        .unwrap();

    // Hours shrink to 09:00–15:00 every day.
    let hours: Vec<WeeklyInterval> = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .map(|weekday| WeeklyInterval {
        weekday,
        start: time("09:00"),
        end: time("15:00"),
        effective_from: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        effective_until: None,
    })
    .collect();
    let outcome = schedule::replace_weekly_hours(&pool, &p, doctors[0], &hours, now())
        .await
        .unwrap();
    assert_eq!(outcome.queued, 1, "the 16:30 visit goes to staff");

    let open = app::db::slots::open_slots_between(&pool, ny(6, 15, 0), ny(7, 0, 0), now(), None)
        .await
        .unwrap();
    assert!(open.is_empty(), "nothing after 15:00 is offered: {open:?}");
    let confirm = booking::confirm(
        &pool,
        &p,
        &patient,
        booking::Confirmation {
            patient_id: patient_id(&patient),
            hold_token: held.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        now(),
    )
    .await;
    assert!(matches!(
        confirm,
        Err(AppError::Booking(BookingError::HoldExpired { .. }))
    ));
    let cause: String =
        sqlx::query_scalar("select cause from attention_items where appointment_id = $1")
            .bind(late_visit.appointment_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(cause, "hours_changed");
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_second_tab_confirming_the_same_hold_is_told_it_is_already_booked(pool: PgPool) {
    clinic_of(&pool, 1).await;
    let p = policy();
    let patient: ActingUser = add_patient(&pool, 1).await;
    let hold = booking::hold(
        &pool,
        &p,
        &patient,
        patient_id(&patient),
        ny(5, 10, 0),
        STANDARD,
        now(),
    )
    .await
    .unwrap();
    let first = booking::confirm(
        &pool,
        &p,
        &patient,
        booking::Confirmation {
            patient_id: patient_id(&patient),
            hold_token: hold.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        now(),
    )
    .await
    .unwrap();
    let second = booking::confirm(
        &pool,
        &p,
        &patient,
        booking::Confirmation {
            patient_id: patient_id(&patient),
            hold_token: hold.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        now(),
    )
    .await;
    assert_eq!(
        second.unwrap_err(),
        AppError::Booking(BookingError::AlreadyBooked {
            appointment_id: first.appointment_id
        })
    );
}
