//! The booking service against a real PostgreSQL: rules, idempotency, holds, the slot
//! generator and the schema's own guarantees.

mod common;

use app::db;
use app::services::availability;
use app::services::booking::{self, ActingRole, ActingUser};
use app::AppError;
use chrono::Duration;
use common::*;
use domain::booking::{AppointmentStatus, BookingError};
use sqlx::PgPool;
use uuid::Uuid;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn slot_status(
    pool: &PgPool,
    doctor_id: i64,
    start: chrono::DateTime<chrono::Utc>,
) -> String {
    sqlx::query_scalar(
        "select status from availability_slots where doctor_id = $1 and start_time = $2",
    )
    .bind(doctor_id)
    .bind(start)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn generator_is_idempotent_and_only_touches_free_future_slots(pool: PgPool) {
    let doctor = add_doctor(&pool, "Gen").await;
    add_daily_hours(&pool, doctor, "09:00", "17:00").await;
    let first = materialize(&pool).await;
    // Today from 09:00 (now) to 17:00: 16 slots, then 60 more days of 16.
    assert_eq!(first.inserted, 16 * 61);
    let again = materialize(&pool).await;
    assert_eq!(
        (again.inserted, again.removed),
        (0, 0),
        "a second run adds and removes nothing"
    );

    // Book one visit at 16:00 tomorrow, then shorten the doctor's hours to 09:00–12:00.
    let patient = add_patient(&pool, 1).await;
    let booked = book(&pool, &patient, ny(5, 16, 0), STANDARD).await.unwrap();
    sqlx::query("delete from weekly_hours")
        .execute(&pool)
        .await
        .unwrap();
    add_daily_hours(&pool, doctor, "09:00", "12:00").await;
    let changed = materialize(&pool).await;
    assert_eq!(changed.inserted, 0);
    assert_eq!(
        changed.removed,
        61 * 10 - 1,
        "afternoon slots go, except the booked one"
    );
    assert_eq!(slot_status(&pool, doctor, booked.start).await, "booked");
    assert!(invariant_violations(&pool).await.is_empty());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn holidays_close_slots_and_reopen_them_when_removed(pool: PgPool) {
    let doctor = add_doctor(&pool, "Hol").await;
    add_daily_hours(&pool, doctor, "09:00", "10:00").await;
    sqlx::query(
        "insert into clinic_holidays (holiday_date, name) values ('2030-03-06', 'Founders day')",
    )
    .execute(&pool)
    .await
    .unwrap();
    materialize(&pool).await;
    assert_eq!(slot_status(&pool, doctor, ny(6, 9, 0)).await, "holiday");
    let open = availability::open_times(
        &pool,
        &policy(),
        &domain::visit_type::Need::slots_of_anyone(1),
        ny(6, 0, 0),
        ny(7, 0, 0),
        now(),
    )
    .await
    .unwrap();
    assert!(open.is_empty(), "nothing is bookable on a holiday");
    sqlx::query("delete from clinic_holidays")
        .execute(&pool)
        .await
        .unwrap();
    materialize(&pool).await;
    assert_eq!(slot_status(&pool, doctor, ny(6, 9, 0)).await, "free");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn availability_counts_doctors_and_respects_notice(pool: PgPool) {
    for name in ["A", "B"] {
        let d = add_doctor(&pool, name).await;
        add_daily_hours(&pool, d, "09:00", "12:00").await;
    }
    materialize(&pool).await;
    // now = 09:00 today; two hours' notice: today's first bookable start is 11:00.
    let today = availability::open_times(
        &pool,
        &policy(),
        &domain::visit_type::Need::slots_of_anyone(1),
        ny(4, 0, 0),
        ny(5, 0, 0),
        now(),
    )
    .await
    .unwrap();
    let starts: Vec<_> = today.iter().map(|o| (o.start, o.doctors)).collect();
    assert_eq!(starts, [(ny(4, 11, 0), 2), (ny(4, 11, 30), 2)]);
    // Long visits need two back-to-back slots: 11:30 cannot take one (day ends 12:00).
    let long = availability::open_times(
        &pool,
        &policy(),
        &domain::visit_type::Need::slots_of_anyone(2),
        ny(4, 0, 0),
        ny(5, 0, 0),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        long.iter().map(|o| o.start).collect::<Vec<_>>(),
        [ny(4, 11, 0)]
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn long_appointments_use_consecutive_slots_of_one_doctor(pool: PgPool) {
    let a = add_doctor(&pool, "Early").await;
    add_daily_hours(&pool, a, "10:00", "10:30").await;
    let b = add_doctor(&pool, "Late").await;
    add_daily_hours(&pool, b, "10:30", "11:00").await;
    let c = add_doctor(&pool, "Both").await;
    add_daily_hours(&pool, c, "10:00", "11:00").await;
    materialize(&pool).await;

    let p1 = add_patient(&pool, 1).await;
    let long = book(&pool, &p1, ny(5, 10, 0), LONG).await.unwrap();
    assert_eq!(
        long.doctor_id, c,
        "only doctor C has 10:00 and 10:30 back to back"
    );
    assert_eq!(long.end - long.start, Duration::minutes(60));
    let slots: Vec<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "select s.doctor_id, s.start_time from appointment_slots l join availability_slots s using (slot_id)
         where l.appointment_id = $1 order by s.start_time",
    )
    .bind(long.appointment_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(slots, [(c, ny(5, 10, 0)), (c, ny(5, 10, 30))]);

    // A's 10:00 and B's 10:30 are consecutive in time, but not one doctor's: refused.
    let p2 = add_patient(&pool, 2).await;
    let refused = book(&pool, &p2, ny(5, 10, 0), LONG).await.unwrap_err();
    assert!(
        matches!(refused, AppError::Booking(BookingError::SlotTaken { .. })),
        "{refused:?}"
    );
    // A standard visit at 10:00 still fits with doctor A.
    assert_eq!(
        book(&pool, &p2, ny(5, 10, 0), STANDARD)
            .await
            .unwrap()
            .doctor_id,
        a
    );
    assert!(invariant_violations(&pool).await.is_empty());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn abandoned_hold_becomes_bookable_after_it_expires(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "10:00", "10:30").await;
    materialize(&pool).await;
    let p = policy();
    let (first, second) = (add_patient(&pool, 1).await, add_patient(&pool, 2).await);
    let t = ny(5, 10, 0);

    let abandoned = booking::hold(&pool, &p, &first, patient_id(&first), t, STANDARD, now())
        .await
        .unwrap();
    assert_eq!(abandoned.expires_at, now() + Duration::minutes(5));
    let during = booking::hold(
        &pool,
        &p,
        &second,
        patient_id(&second),
        t,
        STANDARD,
        now() + Duration::minutes(4),
    )
    .await;
    assert!(matches!(
        during,
        Err(AppError::Booking(BookingError::SlotTaken { .. }))
    ));

    // Nobody sweeps: the lapsed hold is simply treated as free.
    let later = now() + Duration::minutes(5) + Duration::seconds(1);
    let hold = booking::hold(&pool, &p, &second, patient_id(&second), t, STANDARD, later)
        .await
        .unwrap();
    let appt = booking::confirm(
        &pool,
        &p,
        &second,
        booking::Confirmation {
            patient_id: patient_id(&second),
            hold_token: hold.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        later,
    )
    .await
    .unwrap();
    assert_eq!(appt.start, t);

    // The first patient coming back to their lapsed hold is told so.
    let late = booking::confirm(
        &pool,
        &p,
        &first,
        booking::Confirmation {
            patient_id: patient_id(&first),
            hold_token: abandoned.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        later,
    )
    .await;
    assert!(
        matches!(
            late,
            Err(AppError::Booking(BookingError::HoldExpired { .. }))
        ),
        "{late:?}"
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn expired_hold_confirmed_late_offers_alternatives_and_sweeper_frees_it(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "10:00", "12:00").await;
    materialize(&pool).await;
    let p = policy();
    let patient = add_patient(&pool, 1).await;
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
    let later = now() + Duration::minutes(6);
    let err = booking::confirm(
        &pool,
        &p,
        &patient,
        booking::Confirmation {
            patient_id: patient_id(&patient),
            hold_token: hold.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        later,
    )
    .await
    .unwrap_err();
    let AppError::Booking(BookingError::HoldExpired { alternatives }) = err else {
        panic!("{err:?}")
    };
    assert!(alternatives.contains(&ny(5, 10, 30)), "{alternatives:?}");
    assert!(alternatives.len() <= 5);

    assert_eq!(
        db::slots::release_expired_holds(&pool, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(slot_status(&pool, d, ny(5, 10, 0)).await, "free");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_new_hold_replaces_the_previous_one(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "10:00", "11:00").await;
    materialize(&pool).await;
    let p = policy();
    let patient = add_patient(&pool, 1).await;
    booking::hold(
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
    booking::hold(
        &pool,
        &p,
        &patient,
        patient_id(&patient),
        ny(5, 10, 30),
        STANDARD,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(slot_status(&pool, d, ny(5, 10, 0)).await, "free");
    assert_eq!(slot_status(&pool, d, ny(5, 10, 30)).await, "held");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn confirming_twice_books_once(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "10:00", "11:00").await;
    materialize(&pool).await;
    let p = policy();
    let patient = add_patient(&pool, 1).await;
    let pid = patient_id(&patient);
    let hold = booking::hold(&pool, &p, &patient, pid, ny(5, 10, 0), STANDARD, now())
        .await
        .unwrap();
    let key = Uuid::new_v4();
    // A double click: two submits of the same form at once.
    let (a, b) = tokio::join!(
        booking::confirm(
            &pool,
            &p,
            &patient,
            booking::Confirmation {
                patient_id: pid,
                hold_token: hold.token,
                reason: Some("cough".into()),
                idempotency_key: key,
            },
            now(),
        ),
        booking::confirm(
            &pool,
            &p,
            &patient,
            booking::Confirmation {
                patient_id: pid,
                hold_token: hold.token,
                reason: Some("cough".into()),
                idempotency_key: key,
            },
            now(),
        ),
    );
    assert_eq!(a.unwrap().appointment_id, b.unwrap().appointment_id);
    let again = booking::confirm(
        &pool,
        &p,
        &patient,
        booking::Confirmation {
            patient_id: pid,
            hold_token: hold.token,
            reason: None,
            idempotency_key: key,
        },
        now(),
    )
    .await
    .unwrap();
    let count: i64 = sqlx::query_scalar("select count(*) from appointments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((count, again.status), (1, AppointmentStatus::Booked));
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn someone_elses_hold_or_appointment_is_out_of_reach(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "10:00", "11:00").await;
    materialize(&pool).await;
    let p = policy();
    let (owner, other) = (add_patient(&pool, 1).await, add_patient(&pool, 2).await);
    let hold = booking::hold(
        &pool,
        &p,
        &owner,
        patient_id(&owner),
        ny(5, 10, 0),
        STANDARD,
        now(),
    )
    .await
    .unwrap();
    let stolen = booking::confirm(
        &pool,
        &p,
        &other,
        booking::Confirmation {
            patient_id: patient_id(&other),
            hold_token: hold.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        now(),
    )
    .await;
    // Answered exactly as an unknown or lapsed token: telling them apart would confirm
    // that the token exists.
    assert!(
        matches!(stolen, Err(AppError::Booking(BookingError::HoldExpired { ref alternatives })) if alternatives.is_empty()),
        "{stolen:?}"
    );
    // Acting for another patient (not someone they look after) is answered as for a
    // missing patient.
    let forged = booking::hold(
        &pool,
        &p,
        &other,
        patient_id(&owner),
        ny(5, 10, 30),
        STANDARD,
        now(),
    )
    .await;
    assert_eq!(forged.unwrap_err(), AppError::NotFound);

    let appt = booking::confirm(
        &pool,
        &p,
        &owner,
        booking::Confirmation {
            patient_id: patient_id(&owner),
            hold_token: hold.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        now(),
    )
    .await
    .unwrap();
    let cancel = booking::cancel(&pool, &p, &other, appt.appointment_id, now()).await;
    assert_eq!(cancel.unwrap_err(), AppError::NotFound);
    let moved =
        booking::reschedule(&pool, &p, &other, appt.appointment_id, ny(5, 10, 30), now()).await;
    assert_eq!(moved.unwrap_err(), AppError::NotFound);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn reschedule_moves_atomically_within_the_rules(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "09:00", "17:00").await;
    materialize(&pool).await;
    let p = policy();
    let patient = add_patient(&pool, 1).await;
    let appt = book(&pool, &patient, ny(6, 10, 0), STANDARD).await.unwrap();

    let moved = booking::reschedule(
        &pool,
        &p,
        &patient,
        appt.appointment_id,
        ny(6, 11, 0),
        now(),
    )
    .await
    .unwrap();
    assert_eq!((moved.start, moved.change_count), (ny(6, 11, 0), 1));
    assert_eq!(slot_status(&pool, d, ny(6, 10, 0)).await, "free");
    assert_eq!(slot_status(&pool, d, ny(6, 11, 0)).await, "booked");
    // Submitting the same move again changes nothing and does not count.
    let same = booking::reschedule(
        &pool,
        &p,
        &patient,
        appt.appointment_id,
        ny(6, 11, 0),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(same.change_count, 1);

    for hour in [12, 13] {
        booking::reschedule(
            &pool,
            &p,
            &patient,
            appt.appointment_id,
            ny(6, hour, 0),
            now(),
        )
        .await
        .unwrap();
    }
    let fourth = booking::reschedule(
        &pool,
        &p,
        &patient,
        appt.appointment_id,
        ny(6, 14, 0),
        now(),
    )
    .await;
    assert_eq!(
        fourth.unwrap_err(),
        AppError::Booking(BookingError::ChangeLimitReached { limit: 3 })
    );

    // Staff may override the limit, with a reason that is recorded.
    let staff_without = add_staff(&pool, None).await;
    let refused = booking::reschedule(
        &pool,
        &p,
        &staff_without,
        appt.appointment_id,
        ny(6, 14, 0),
        now(),
    )
    .await;
    assert_eq!(
        refused.unwrap_err(),
        AppError::Booking(BookingError::OverrideReasonRequired)
    );
    let staff = ActingUser {
        role: ActingRole::Staff {
            override_reason: Some("patient phoned".into()),
        },
        ..staff_without
    };
    let overridden =
        booking::reschedule(&pool, &p, &staff, appt.appointment_id, ny(6, 14, 0), now())
            .await
            .unwrap();
    assert_eq!(overridden.change_count, 4);
    let reason: Option<String> = sqlx::query_scalar(
        "select override_reason from appointment_events where appointment_id = $1 order by appointment_event_id desc limit 1",
    )
    .bind(appt.appointment_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("patient phoned"));
    // Staff changing a patient's appointment is audited; the patient's own changes are not.
    let audited: Vec<(String, Option<i64>)> =
        sqlx::query_as("select action, patient_id from audit_log order by chain_seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        audited,
        [(
            "appointment.reschedule".to_owned(),
            Some(patient_id(&patient))
        )]
    );
    assert!(invariant_violations(&pool).await.is_empty());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn reschedule_to_a_taken_time_keeps_the_old_one(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "10:00", "11:00").await;
    materialize(&pool).await;
    let (p1, p2) = (add_patient(&pool, 1).await, add_patient(&pool, 2).await);
    let mine = book(&pool, &p1, ny(6, 10, 0), STANDARD).await.unwrap();
    book(&pool, &p2, ny(6, 10, 30), STANDARD).await.unwrap();
    let err = booking::reschedule(
        &pool,
        &policy(),
        &p1,
        mine.appointment_id,
        ny(6, 10, 30),
        now(),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        AppError::Booking(BookingError::SlotTaken { .. })
    ));
    let still = db::appointments::get(&pool, mine.appointment_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (still.start, still.status, still.change_count),
        (ny(6, 10, 0), AppointmentStatus::Booked, 0)
    );
    assert_eq!(slot_status(&pool, d, ny(6, 10, 0)).await, "booked");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn cancel_frees_the_slot_respects_the_freeze_and_is_idempotent(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "09:00", "17:00").await;
    materialize(&pool).await;
    let p = policy();
    let patient = add_patient(&pool, 1).await;
    let appt = book(&pool, &patient, ny(6, 10, 0), STANDARD).await.unwrap();

    // 23 hours before the visit, the patient can no longer cancel online.
    let late = ny(6, 10, 0) - Duration::hours(23);
    let frozen = booking::cancel(&pool, &p, &patient, appt.appointment_id, late).await;
    assert_eq!(
        frozen.unwrap_err(),
        AppError::Booking(BookingError::TooLateToChange { freeze_hours: 24 })
    );

    let cancelled = booking::cancel(&pool, &p, &patient, appt.appointment_id, now())
        .await
        .unwrap();
    assert_eq!(cancelled.status, AppointmentStatus::Cancelled);
    assert_eq!(slot_status(&pool, d, ny(6, 10, 0)).await, "free");
    let again = booking::cancel(&pool, &p, &patient, appt.appointment_id, now())
        .await
        .unwrap();
    assert_eq!(again.status, AppointmentStatus::Cancelled);
    let events: i64 =
        sqlx::query_scalar("select count(*) from appointment_events where kind = 'cancelled'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(events, 1, "a repeated cancel records nothing new");
    // Someone else can now book the freed time.
    let other = add_patient(&pool, 2).await;
    assert!(book(&pool, &other, ny(6, 10, 0), STANDARD).await.is_ok());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn active_appointment_limit_and_booking_window(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    add_daily_hours(&pool, d, "09:00", "17:00").await;
    materialize(&pool).await;
    let patient = add_patient(&pool, 1).await;
    for hour in [10, 11, 12] {
        book(&pool, &patient, ny(6, hour, 0), STANDARD)
            .await
            .unwrap();
    }
    let fourth = book(&pool, &patient, ny(6, 13, 0), STANDARD)
        .await
        .unwrap_err();
    assert_eq!(
        fourth,
        AppError::Booking(BookingError::TooManyActiveAppointments { limit: 3 })
    );

    let other = add_patient(&pool, 2).await;
    let too_soon = book(&pool, &other, ny(4, 10, 0), STANDARD)
        .await
        .unwrap_err();
    assert!(matches!(
        too_soon,
        AppError::Booking(BookingError::OutsideBookingWindow { .. })
    ));
    let off_grid = book(&pool, &other, ny(6, 10, 10), STANDARD)
        .await
        .unwrap_err();
    assert_eq!(off_grid, AppError::Booking(BookingError::NotOnGrid));
    let unknown = book(&pool, &other, ny(6, 13, 0), 99).await.unwrap_err();
    assert_eq!(
        unknown,
        AppError::Booking(BookingError::UnknownAppointmentType)
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_moved_visit_keeps_its_doctor_when_they_are_free_then(pool: PgPool) {
    let mut doctors = Vec::new();
    for name in ["A", "B", "C"] {
        let d = add_doctor(&pool, name).await;
        add_daily_hours(&pool, d, "09:00", "17:00").await;
        doctors.push(d);
    }
    materialize(&pool).await;
    let p = policy();
    let patient = add_patient(&pool, 1).await;
    // This visit is its doctor's only one that day: by load alone the policy would give
    // a move to one of the other two.
    let mine = book(&pool, &patient, ny(6, 9, 0), STANDARD).await.unwrap();
    let doctor = mine.doctor_id;
    for hour in [12, 14, 15] {
        let moved = booking::reschedule(
            &pool,
            &p,
            &patient,
            mine.appointment_id,
            ny(6, hour, 0),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(moved.doctor_id, doctor, "moved to {hour}:00");
    }
    // Their doctor is not free then: another doctor takes the visit.
    let blocked = ny(6, 16, 0);
    sqlx::query(
        "update availability_slots set status = 'blocked' where doctor_id = $1 and start_time = $2",
    )
    .bind(doctor)
    .bind(blocked)
    .execute(&pool)
    .await
    .unwrap();
    let staff = ActingUser {
        role: ActingRole::Staff {
            override_reason: Some("patient phoned".into()),
        },
        ..add_staff(&pool, None).await
    };
    let moved = booking::reschedule(&pool, &p, &staff, mine.appointment_id, blocked, now())
        .await
        .unwrap();
    assert_ne!(moved.doctor_id, doctor);
    assert!(doctors.contains(&moved.doctor_id));
    assert!(invariant_violations(&pool).await.is_empty());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn bookings_spread_over_doctors_by_that_days_load(pool: PgPool) {
    let mut doctors = Vec::new();
    for name in ["A", "B", "C"] {
        let d = add_doctor(&pool, name).await;
        add_daily_hours(&pool, d, "09:00", "17:00").await;
        doctors.push(d);
    }
    materialize(&pool).await;
    for (i, hour) in (9..15).enumerate() {
        let patient = add_patient(&pool, i).await;
        book(&pool, &patient, ny(6, hour, 0), STANDARD)
            .await
            .unwrap();
    }
    let per_doctor: Vec<i64> = sqlx::query_scalar(
        "select count(*) from appointments group by doctor_id order by doctor_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(per_doctor, [2, 2, 2]);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_schema_itself_refuses_a_double_booking(pool: PgPool) {
    let d = add_doctor(&pool, "Solo").await;
    let patient = add_patient(&pool, 1).await;
    // Another patient for the overlapping row: the doctor's constraint is under test, not
    // the patient's own (`appointments_patient_no_overlap`).
    let other = add_patient(&pool, 2).await;
    let insert = |start: chrono::DateTime<chrono::Utc>, minutes: i64, patient: &ActingUser| {
        sqlx::query(
            "insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time,
                                       booked_by_user_id, booked_by_role, idempotency_key)
             values ($1, $2, 1, $3, $4, $5, 'patient', gen_random_uuid())",
        )
        .bind(patient_id(patient))
        .bind(d)
        .bind(start)
        .bind(start + Duration::minutes(minutes))
        .bind(patient.user_id)
        .execute(&pool)
    };
    insert(ny(6, 10, 0), 60, &patient).await.unwrap();
    let overlap = insert(ny(6, 10, 30), 30, &other).await.unwrap_err();
    assert_eq!(
        overlap.as_database_error().and_then(|e| e.constraint()),
        Some("appointments_no_overlap")
    );
    // The mapping a caller sees is a booking conflict, not an internal error.
    assert!(matches!(
        AppError::from(overlap),
        AppError::Booking(BookingError::SlotTaken { .. })
    ));

    let slot = |start: chrono::DateTime<chrono::Utc>| {
        sqlx::query(
            "insert into availability_slots (doctor_id, start_time, end_time) values ($1, $2, $3)",
        )
        .bind(d)
        .bind(start)
        .bind(start + Duration::minutes(30))
        .execute(&pool)
    };
    slot(ny(6, 9, 0)).await.unwrap();
    let dup = slot(ny(6, 9, 0)).await.unwrap_err();
    assert_eq!(
        dup.as_database_error().and_then(|e| e.constraint()),
        Some("availability_slots_doctor_start_key")
    );
    let overlapping = slot(ny(6, 9, 15)).await.unwrap_err();
    assert_eq!(
        overlapping.as_database_error().and_then(|e| e.constraint()),
        Some("availability_slots_no_overlap")
    );
}
