//! Visit types per doctor (issue 27): a type's times and bookings come only from the
//! doctors who offer it; a buffer after a visit is that doctor's booked time; a chosen
//! doctor is the only one tried; staff-only types; intake answers; rule-6 reassignment,
//! moves and many concurrent bookers with eligibility; the index equal to SQL per type.

mod common;

use app::db;
use app::db::attention::Cause;
use app::services::availability::{self, AvailabilityIndex};
use app::services::booking::{self, Confirmation};
use app::services::reassignment::{self, Actor};
use app::AppError;
use chrono::Duration;
use common::*;
use domain::booking::BookingError;
use domain::visit_type::{IntakeQuestion, QuestionKind, VisitType};
use sqlx::PgPool;
use uuid::Uuid;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// A type of `slots` with `buffer` slots after it, offered by `doctors` (None: all).
async fn add_type(
    pool: &PgPool,
    name: &str,
    slots: i32,
    buffer: i32,
    online: bool,
    doctors: Option<&[i64]>,
    questions: &[IntakeQuestion],
) -> VisitType {
    let mut conn = pool.acquire().await.unwrap();
    let id = db::visit_types::insert(
        &mut conn,
        &db::visit_types::TypeInput {
            name,
            slot_count: slots,
            buffer_slots: buffer,
            online,
            doctors,
            note: Some("Bring your vaccination card."),
            questions,
        },
    )
    .await
    .unwrap();
    db::visit_types::of(&mut conn, id).await.unwrap().unwrap()
}

async fn hold_with(
    pool: &PgPool,
    by: &booking::ActingUser,
    start: chrono::DateTime<chrono::Utc>,
    type_id: i64,
    doctor: Option<i64>,
) -> Result<booking::Hold, AppError> {
    let patient = match by.role {
        booking::ActingRole::Patient { patient_id } => patient_id,
        booking::ActingRole::Staff { .. } => panic!("a patient"),
    };
    booking::hold_with_doctor(pool, &policy(), by, patient, start, type_id, doctor, now()).await
}

async fn confirm_answers(
    pool: &PgPool,
    by: &booking::ActingUser,
    hold: &booking::Hold,
    answers: &[(i32, String)],
) -> Result<db::appointments::Appointment, AppError> {
    booking::confirm_with_answers(
        pool,
        &policy(),
        by,
        Confirmation {
            patient_id: patient_id(by),
            hold_token: hold.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        answers,
        now(),
    )
    .await
}

async fn book_type(
    pool: &PgPool,
    by: &booking::ActingUser,
    start: chrono::DateTime<chrono::Utc>,
    type_id: i64,
    doctor: Option<i64>,
) -> Result<db::appointments::Appointment, AppError> {
    let hold = hold_with(pool, by, start, type_id, doctor).await?;
    confirm_answers(pool, by, &hold, &[]).await
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_types_times_and_bookings_come_only_from_the_doctors_who_offer_it(pool: PgPool) {
    let d = nine_to_five_doctors(&pool, "E", 3).await;
    let shots = add_type(&pool, "Vaccination", 1, 0, true, Some(&[d[1]]), &[]).await;
    let need = shots.need(None);
    let p = policy();
    let (from, to) = (ny(6, 0, 0), ny(7, 0, 0));

    let sql = availability::open_times(&pool, &p, &need, from, to, now())
        .await
        .unwrap();
    assert_eq!(sql.len(), 16, "one doctor's day of 30-minute times");
    assert!(sql.iter().all(|t| t.doctors == 1));
    // Every doctor still counts for the built-in types.
    let standard = availability::open_times(
        &pool,
        &p,
        &domain::visit_type::Need::slots_of_anyone(1),
        from,
        to,
        now(),
    )
    .await
    .unwrap();
    assert!(standard.iter().all(|t| t.doctors == 3));

    // Three patients at 10:00: the one doctor who offers it takes the first.
    let first = add_patient(&pool, 1).await;
    let booked = book_type(&pool, &first, ny(6, 10, 0), shots.id, None)
        .await
        .unwrap();
    assert_eq!(booked.doctor_id, d[1]);
    let second = add_patient(&pool, 2).await;
    let refused = book_type(&pool, &second, ny(6, 10, 0), shots.id, None).await;
    assert!(
        matches!(
            refused,
            Err(AppError::Booking(BookingError::SlotTaken { .. }))
        ),
        "the others are free but do not offer it: {refused:?}"
    );
    // A chosen doctor who does not offer the type has no time for it.
    let chosen_wrong = book_type(&pool, &second, ny(6, 11, 0), shots.id, Some(d[0])).await;
    assert!(matches!(
        chosen_wrong,
        Err(AppError::Booking(BookingError::SlotTaken { .. }))
    ));
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_chosen_doctor_is_the_only_one_tried(pool: PgPool) {
    let d = nine_to_five_doctors(&pool, "C", 3).await;
    // The assignment policy would spread these three; choosing keeps them with d[2].
    for n in 0..3 {
        let patient = add_patient(&pool, n).await;
        let booked = book_type(
            &pool,
            &patient,
            ny(6, 10 + n as u32, 0),
            STANDARD,
            Some(d[2]),
        )
        .await
        .unwrap();
        assert_eq!(booked.doctor_id, d[2]);
    }
    // Their 10:00 is taken: another patient choosing them is refused with their times only.
    let late = add_patient(&pool, 9).await;
    match book_type(&pool, &late, ny(6, 10, 0), STANDARD, Some(d[2])).await {
        Err(AppError::Booking(BookingError::SlotTaken { alternatives })) => {
            assert!(!alternatives.contains(&ny(6, 10, 0)));
            assert!(!alternatives.contains(&ny(6, 11, 0)));
            assert!(alternatives.contains(&ny(6, 10, 30)));
        }
        other => panic!("refused with alternatives, got {other:?}"),
    }
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_buffer_is_the_doctors_booked_time_and_nothing_else_is_booked_into_it(pool: PgPool) {
    let d = nine_to_five_doctors(&pool, "B", 1).await;
    // A 30-minute visit with 30 minutes after it.
    let procedure = add_type(&pool, "Procedure", 1, 1, true, None, &[]).await;
    let patient = add_patient(&pool, 1).await;
    let hold = hold_with(&pool, &patient, ny(6, 10, 0), procedure.id, None)
        .await
        .unwrap();
    assert_eq!(hold.end, ny(6, 10, 30), "the patient's visit is 30 minutes");
    let visit = confirm_answers(&pool, &patient, &hold, &[]).await.unwrap();
    assert_eq!((visit.start, visit.end), (ny(6, 10, 0), ny(6, 10, 30)));
    let (buffer_until, linked): (Option<chrono::DateTime<chrono::Utc>>, i64) = sqlx::query_as(
        "select buffer_until, (select count(*) from appointment_slots where appointment_id = $1)
           from appointments where appointment_id = $1",
    )
    .bind(visit.appointment_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((buffer_until, linked), (Some(ny(6, 11, 0)), 2));

    // 10:30 is not offered and cannot be booked.
    let open = availability::open_times(
        &pool,
        &policy(),
        &domain::visit_type::Need::slots_of_anyone(1),
        ny(6, 10, 0),
        ny(6, 11, 30),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        open.iter().map(|t| t.start).collect::<Vec<_>>(),
        vec![ny(6, 11, 0)]
    );
    let other = add_patient(&pool, 2).await;
    assert!(book(&pool, &other, ny(6, 10, 30), STANDARD).await.is_err());
    // A buffer must fit too: 16:30 has no slot after it for the buffer.
    assert!(book_type(&pool, &other, ny(6, 16, 30), procedure.id, None)
        .await
        .is_err());
    // The schema refuses a row into the buffer as well.
    let into_buffer = sqlx::query(
        "insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time,
                                   booked_by_user_id, booked_by_role, idempotency_key)
         values ($1, $2, 1, $3, $4, $5, 'patient', gen_random_uuid())",
    )
    .bind(patient_id(&other))
    .bind(d[0])
    .bind(ny(6, 10, 30))
    .bind(ny(6, 11, 0))
    .bind(other.user_id)
    .execute(&pool)
    .await
    .unwrap_err();
    assert_eq!(
        into_buffer.as_database_error().and_then(|e| e.constraint()),
        Some("appointments_no_overlap")
    );

    // Moving keeps the buffer with the visit; cancelling frees both slots.
    let moved = booking::reschedule(
        &pool,
        &policy(),
        &patient,
        visit.appointment_id,
        ny(6, 14, 0),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(moved.end, ny(6, 14, 30));
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
    booking::cancel(&pool, &policy(), &patient, visit.appointment_id, now())
        .await
        .unwrap();
    let free: i64 = sqlx::query_scalar(
        "select count(*) from availability_slots where status = 'free' and start_time >= $1 and start_time < $2",
    )
    .bind(ny(6, 14, 0))
    .bind(ny(6, 15, 0))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(free, 2);
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn staff_only_types_and_retired_types(pool: PgPool) {
    nine_to_five_doctors(&pool, "S", 1).await;
    let desk = add_type(&pool, "Minor surgery", 2, 0, false, None, &[]).await;
    let patient = add_patient(&pool, 1).await;
    match book_type(&pool, &patient, ny(6, 10, 0), desk.id, None).await {
        Err(AppError::Validation { field, message }) => {
            assert_eq!(field, "appointment_type_id");
            assert!(message.contains("call the clinic"), "{message}");
        }
        other => panic!("refused to patients, got {other:?}"),
    }
    let staff = add_staff(&pool, None).await;
    let hold = booking::hold(
        &pool,
        &policy(),
        &staff,
        patient_id(&patient),
        ny(6, 10, 0),
        desk.id,
        now(),
    )
    .await
    .unwrap();
    let visit = booking::confirm(
        &pool,
        &policy(),
        &staff,
        Confirmation {
            patient_id: patient_id(&patient),
            hold_token: hold.token,
            reason: None,
            idempotency_key: Uuid::new_v4(),
        },
        now(),
    )
    .await
    .unwrap();

    // Retired: no new bookings, but the booked visit keeps its type and can still move.
    let mut conn = pool.acquire().await.unwrap();
    db::visit_types::set_active(&mut conn, desk.id, false)
        .await
        .unwrap();
    drop(conn);
    let again = booking::hold(
        &pool,
        &policy(),
        &staff,
        patient_id(&patient),
        ny(6, 14, 0),
        desk.id,
        now(),
    )
    .await;
    assert!(matches!(
        again,
        Err(AppError::Booking(BookingError::UnknownAppointmentType))
    ));
    let moved = booking::reschedule(
        &pool,
        &policy(),
        &staff,
        visit.appointment_id,
        ny(6, 15, 0),
        now(),
    )
    .await
    .unwrap();
    assert_eq!((moved.start, moved.end), (ny(6, 15, 0), ny(6, 16, 0)));
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn intake_answers_go_with_the_visit_and_never_into_messages(pool: PgPool) {
    nine_to_five_doctors(&pool, "Q", 1).await;
    let questions = [
        IntakeQuestion {
            position: 1,
            prompt: "Any allergies?".into(),
            kind: QuestionKind::Text,
            required: true,
        },
        IntakeQuestion {
            position: 2,
            prompt: "First time at the clinic?".into(),
            kind: QuestionKind::YesNo,
            required: false,
        },
    ];
    let t = add_type(&pool, "Allergy test", 1, 0, true, None, &questions).await;
    let patient = add_patient(&pool, 1).await;
    let hold = hold_with(&pool, &patient, ny(6, 10, 0), t.id, None)
        .await
        .unwrap();
    let missing = confirm_answers(&pool, &patient, &hold, &[]).await;
    assert!(matches!(missing, Err(AppError::Validation { ref field, .. }) if field == "answers"));
    let bad = confirm_answers(
        &pool,
        &patient,
        &hold,
        &[(1, "peanuts".into()), (2, "maybe".into())],
    )
    .await;
    assert!(matches!(bad, Err(AppError::Validation { .. })));
    let stray = confirm_answers(&pool, &patient, &hold, &[(1, "x".into()), (4, "y".into())]).await;
    assert!(matches!(stray, Err(AppError::Validation { .. })));
    let visit = confirm_answers(
        &pool,
        &patient,
        &hold,
        &[(1, "Peanuts, a secret marker".into()), (2, "Yes".into())],
    )
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let answers = db::visit_types::answers_of(&mut conn, visit.appointment_id)
        .await
        .unwrap();
    assert_eq!(
        answers,
        vec![
            (
                "Any allergies?".to_owned(),
                "Peanuts, a secret marker".to_owned()
            ),
            ("First time at the clinic?".to_owned(), "yes".to_owned()),
        ]
    );
    let leaked: i64 = sqlx::query_scalar(
        "select count(*) from notifications n where n::text like '%secret marker%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn reassignment_and_moves_stay_with_doctors_who_offer_the_type(pool: PgPool) {
    let d = nine_to_five_doctors(&pool, "R", 3).await;
    // Offered by d0 and d2 only; d1 is free but may not take it.
    let t = add_type(&pool, "Skin check", 1, 0, true, Some(&[d[0], d[2]]), &[]).await;
    let a = add_patient(&pool, 1).await;
    let b = add_patient(&pool, 2).await;
    let visit_a = book_type(&pool, &a, ny(6, 10, 0), t.id, Some(d[0]))
        .await
        .unwrap();
    let visit_b = book_type(&pool, &b, ny(6, 11, 0), t.id, Some(d[0]))
        .await
        .unwrap();
    // d2 is busy at 11:00 with something else.
    let c = add_patient(&pool, 3).await;
    book_type(&pool, &c, ny(6, 11, 0), STANDARD, Some(d[2]))
        .await
        .unwrap();

    let mut tx = pool.begin().await.unwrap();
    let outcome = reassignment::reassign_appointments(
        &mut tx,
        &policy(),
        Actor::SYSTEM,
        &[
            (visit_a.appointment_id, patient_id(&a)),
            (visit_b.appointment_id, patient_id(&b)),
        ],
        Cause::DoctorBlocked,
        now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // 10:00 goes to d2; 11:00 waits for staff although d1 is free.
    assert_eq!((outcome.moved, outcome.queued), (1, 1));
    let doctor_of = |id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select doctor_id from appointments where appointment_id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(doctor_of(visit_a.appointment_id).await, d[2]);
    assert_eq!(doctor_of(visit_b.appointment_id).await, d[0]);

    // A patient's move finds only a doctor who offers it.
    sqlx::query("update availability_slots set status = 'blocked' where doctor_id <> $1 and start_time >= $2 and start_time < $3 and status = 'free'")
        .bind(d[1])
        .bind(ny(6, 15, 0))
        .bind(ny(6, 16, 0))
        .execute(&pool)
        .await
        .unwrap();
    let moved = booking::reschedule(
        &pool,
        &policy(),
        &b,
        visit_b.appointment_id,
        ny(6, 15, 0),
        now(),
    )
    .await;
    assert!(
        matches!(
            moved,
            Err(AppError::Booking(BookingError::SlotTaken { .. }))
        ),
        "only d1 is free at 15:00 and does not offer it: {moved:?}"
    );
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn many_bookers_and_one_doctor_who_offers_the_type(pool: PgPool) {
    let d = nine_to_five_doctors(&pool, "K", 4).await;
    let t = add_type(&pool, "Specialist", 1, 1, true, Some(&[d[3]]), &[]).await;
    let mut patients = Vec::new();
    for n in 0..24 {
        patients.push(add_patient(&pool, n).await);
    }
    let tasks: Vec<_> = patients
        .into_iter()
        .map(|p| {
            let pool = pool.clone();
            let type_id = t.id;
            tokio::spawn(async move { book_type(&pool, &p, ny(6, 10, 0), type_id, None).await })
        })
        .collect();
    let mut booked = Vec::new();
    let mut taken = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(a) => booked.push(a),
            Err(AppError::Booking(BookingError::SlotTaken { .. })) => taken += 1,
            Err(e) => panic!("unexpected: {e:?}"),
        }
    }
    assert_eq!(booked.len(), 1, "one doctor, one time");
    assert_eq!(taken, 23);
    assert_eq!(booked[0].doctor_id, d[3]);
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_index_answers_per_type_and_per_doctor_as_sql_does(pool: PgPool) {
    let d = nine_to_five_doctors(&pool, "I", 6).await;
    // Some of every doctor's time taken, with and without buffers.
    let buffered = add_type(
        &pool,
        "Buffered",
        2,
        1,
        true,
        Some(&[d[1], d[3], d[4]]),
        &[],
    )
    .await;
    let single = add_type(&pool, "Single", 1, 0, true, Some(&[d[2]]), &[]).await;
    let mut n = 0;
    for day in 5..9u32 {
        for (hour, type_id) in [
            (9, STANDARD),
            (11, buffered.id),
            (13, LONG),
            (15, buffered.id),
        ] {
            n += 1;
            let patient = add_patient(&pool, n).await;
            let _ = book_type(
                &pool,
                &patient,
                ny(day, hour, 30 * (n % 2) as u32),
                type_id,
                None,
            )
            .await;
        }
    }
    let index = AvailabilityIndex::load(&pool).await.unwrap();
    let p = policy();
    let needs = [
        domain::visit_type::Need::slots_of_anyone(1),
        domain::visit_type::Need::slots_of_anyone(3),
        buffered.need(None),
        buffered.need(Some(d[3])),
        single.need(None),
        single.need(Some(d[2])),
        single.need(Some(d[0])),
    ];
    for need in &needs {
        for day in 4..10u32 {
            let (from, to) = (ny(day, 0, 0), ny(day, 0, 0) + Duration::days(2));
            let sql = availability::open_times(&pool, &p, need, from, to, now())
                .await
                .unwrap();
            let (from_c, to_c) =
                domain::availability::BookingWindow::for_patients(&p, now()).clamp(from, to);
            let from_index = if from_c < to_c && need.anyone() {
                index.open_times_of(need.doctors(), need.slots() as usize, from_c, to_c, now())
            } else {
                Vec::new()
            };
            assert_eq!(from_index, sql, "{need:?} from {from}");
        }
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_usual_doctor_is_the_one_seen_most_recently(pool: PgPool) {
    let d = nine_to_five_doctors(&pool, "U", 2).await;
    let patient = add_patient(&pool, 1).await;
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        db::visit_types::usual_doctor(&mut conn, patient_id(&patient), now())
            .await
            .unwrap(),
        None
    );
    let older = book_type(&pool, &patient, ny(5, 10, 0), STANDARD, Some(d[0]))
        .await
        .unwrap();
    let newer = book_type(&pool, &patient, ny(6, 10, 0), STANDARD, Some(d[1]))
        .await
        .unwrap();
    sqlx::query("update appointments set status = 'completed' where appointment_id = any($1)")
        .bind(vec![older.appointment_id, newer.appointment_id])
        .execute(&pool)
        .await
        .unwrap();
    // Seen as of a week later: the most recent visit's doctor.
    let later = now() + Duration::days(7);
    assert_eq!(
        db::visit_types::usual_doctor(&mut conn, patient_id(&patient), later)
            .await
            .unwrap(),
        Some(d[1])
    );
    // A doctor who left is nobody's usual doctor.
    sqlx::query("update doctors set active = false where doctor_id = $1")
        .bind(d[1])
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        db::visit_types::usual_doctor(&mut conn, patient_id(&patient), later)
            .await
            .unwrap(),
        Some(d[0])
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_freed_time_is_offered_only_for_the_types_its_doctor_offers(pool: PgPool) {
    let d = nine_to_five_doctors(&pool, "W", 2).await;
    let t = add_type(&pool, "Travel advice", 1, 0, true, Some(&[d[1]]), &[]).await;
    let waiting = add_patient(&pool, 1).await;
    let mut conn = pool.acquire().await.unwrap();
    db::waitlist::join(
        &mut conn,
        &db::waitlist::NewEntry {
            patient_id: patient_id(&waiting),
            appointment_type_id: t.id,
            appointment_id: None,
            weekdays: 127,
            part_of_day: "any",
            not_before: None,
        },
        now() - Duration::days(1),
    )
    .await
    .unwrap()
    .expect("joined");
    drop(conn);
    // Two visits, one with each doctor, both cancelled: two times freed.
    let other = add_patient(&pool, 2).await;
    let with_d0 = book_type(&pool, &other, ny(6, 10, 0), STANDARD, Some(d[0]))
        .await
        .unwrap();
    let with_d1 = book_type(&pool, &other, ny(6, 11, 0), STANDARD, Some(d[1]))
        .await
        .unwrap();
    for visit in [with_d0, with_d1] {
        booking::cancel(&pool, &policy(), &other, visit.appointment_id, now())
            .await
            .unwrap();
    }
    app::services::waitlist::engine::run(&pool, now())
        .await
        .unwrap();
    let openings: Vec<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "select doctor_id, start_time from waitlist_openings where appointment_type_id = $1",
    )
    .bind(t.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        openings,
        vec![(d[1], ny(6, 11, 0))],
        "only the doctor who offers it"
    );
    let offered: i64 =
        sqlx::query_scalar("select count(*) from waitlist_offers where patient_id = $1")
            .bind(patient_id(&waiting))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(offered, 1);
}
