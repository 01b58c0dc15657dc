//! Family accounts against the database (issue 28): every booking rule per person (the
//! active limit, no two overlapping visits of one person) while a carer books two people
//! at one time; links and unlinks under the person's lock; one carer booking for three
//! people in many tabs at once; the reminder to a carer names the person (first name only)
//! over a real SMTP conversation, and a person with their own address hears too.

mod common;

use std::sync::Arc;

use app::db;
use app::services::booking::{self, ActingUser, Confirmation};
use app::services::notify::channels::{Channels, Mailer};
use app::services::notify::deliver::{deliver_due, queue_reminders};
use app::services::notify::render::LinkBase;
use app::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use common::smtp::{header, SmtpSink};
use common::*;
use domain::booking::BookingError;
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// A person `carer` looks after (no login; with a password-less account when `email`).
async fn dependant(pool: &PgPool, carer: &ActingUser, first: &str, email: Option<&str>) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let user_id = match email {
        Some(e) => Some(
            db::patients::insert_passwordless_user(&mut tx, e, now())
                .await
                .unwrap(),
        ),
        None => None,
    };
    let id = db::family::insert_person(
        &mut tx,
        &db::family::NewPerson {
            user_id,
            first_name: first,
            last_name: "Ient",
            date_of_birth: NaiveDate::from_ymd_opt(2018, 6, 1).unwrap(),
            phone: None,
        },
    )
    .await
    .unwrap();
    assert!(db::family::link(
        &mut tx,
        patient_id(carer),
        id,
        "Parent",
        carer.user_id,
        now()
    )
    .await
    .unwrap());
    tx.commit().await.unwrap();
    id
}

/// Holds and confirms `start` for `for_patient`, acting as `by`.
async fn book_for(
    pool: &PgPool,
    by: &ActingUser,
    for_patient: i64,
    start: DateTime<Utc>,
) -> Result<db::appointments::Appointment, AppError> {
    let p = policy();
    let hold = booking::hold(pool, &p, by, for_patient, start, STANDARD, now()).await?;
    booking::confirm(
        pool,
        &p,
        by,
        Confirmation {
            patient_id: for_patient,
            hold_token: hold.token,
            reason: Some("private words".to_owned()),
            idempotency_key: Uuid::new_v4(),
        },
        now(),
    )
    .await
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn every_rule_applies_per_person_and_two_people_may_share_a_time(pool: PgPool) {
    nine_to_five_doctors(&pool, "F", 3).await;
    let carer = add_patient(&pool, 1).await;
    let kim = dependant(&pool, &carer, "Kim", None).await;
    let lee = dependant(&pool, &carer, "Lee", None).await;
    let at = ny(6, 10, 0);

    // The carer, Kim and Lee at the same time: three people, three doctors.
    let own = book_for(&pool, &carer, patient_id(&carer), at)
        .await
        .unwrap();
    let for_kim = book_for(&pool, &carer, kim, at).await.unwrap();
    let for_lee = book_for(&pool, &carer, lee, at).await.unwrap();
    assert_eq!(for_kim.patient_id, kim);
    assert_eq!(for_lee.patient_id, lee);
    assert_ne!(own.doctor_id, for_kim.doctor_id);
    // Kim twice at once: refused, as for anyone.
    let twice = book_for(&pool, &carer, kim, ny(6, 10, 0)).await;
    assert!(
        matches!(
            twice,
            Err(AppError::Booking(
                BookingError::OverlapsOwnAppointment { .. }
            )) | Err(AppError::Booking(BookingError::SlotTaken { .. }))
        ),
        "{twice:?}"
    );

    // Kim's active limit (3) is Kim's: the carer and Lee still book.
    book_for(&pool, &carer, kim, ny(7, 10, 0)).await.unwrap();
    book_for(&pool, &carer, kim, ny(8, 10, 0)).await.unwrap();
    let fourth = book_for(&pool, &carer, kim, ny(9, 10, 0)).await;
    assert!(
        matches!(
            fourth,
            Err(AppError::Booking(
                BookingError::TooManyActiveAppointments { .. }
            ))
        ),
        "{fourth:?}"
    );
    book_for(&pool, &carer, lee, ny(9, 10, 0)).await.unwrap();
    book_for(&pool, &carer, patient_id(&carer), ny(9, 10, 0))
        .await
        .unwrap();

    // Someone else acting for Kim: "not found", as for a missing id.
    let stranger = add_patient(&pool, 2).await;
    let policy = policy();
    let theirs = book_for(&pool, &stranger, kim, ny(10, 10, 0)).await;
    assert!(matches!(theirs, Err(AppError::NotFound)), "{theirs:?}");
    let cancel = booking::cancel(&pool, &policy, &stranger, for_kim.appointment_id, now()).await;
    assert!(matches!(cancel, Err(AppError::NotFound)), "{cancel:?}");

    // Unlinked: the former carer too; Kim's visits stay booked.
    let mut conn = pool.acquire().await.unwrap();
    assert!(db::family::unlink(
        &mut conn,
        patient_id(&carer),
        kim,
        db::family::Ended::Removed,
        Some(carer.user_id),
        now()
    )
    .await
    .unwrap());
    let cancel = booking::cancel(&pool, &policy, &carer, for_kim.appointment_id, now()).await;
    assert!(matches!(cancel, Err(AppError::NotFound)), "{cancel:?}");
    let moved = booking::reschedule(
        &pool,
        &policy,
        &carer,
        for_kim.appointment_id,
        ny(11, 10, 0),
        now(),
    )
    .await;
    assert!(matches!(moved, Err(AppError::NotFound)), "{moved:?}");
    let upcoming: i64 = sqlx::query_scalar(
        "select count(*) from appointments where patient_id = $1 and status = 'booked'",
    )
    .bind(kim)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(upcoming, 3);
    // The carer still manages Lee's.
    booking::cancel(&pool, &policy, &carer, for_lee.appointment_id, now())
        .await
        .unwrap();
    assert!(invariant_violations(&pool).await.is_empty());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_link_is_one_per_pair_and_never_to_oneself(pool: PgPool) {
    let carer = add_patient(&pool, 1).await;
    let kim = dependant(&pool, &carer, "Kim", None).await;
    let mut conn = pool.acquire().await.unwrap();
    let me = patient_id(&carer);
    assert!(
        !db::family::link(&mut conn, me, kim, "Parent", carer.user_id, now())
            .await
            .unwrap()
    );
    let own = db::family::link(&mut conn, me, me, "Self", carer.user_id, now()).await;
    assert!(own.is_err(), "the database refuses a link to oneself");
    assert_eq!(
        db::family::family_ids(&mut conn, me).await.unwrap(),
        [me, kim]
    );
    db::family::unlink(&mut conn, me, kim, db::family::Ended::Unlinked, None, now())
        .await
        .unwrap();
    assert!(!db::family::cares_for(&mut conn, me, kim).await.unwrap());
    // Linked again: a new row; the old one keeps its ending.
    assert!(
        db::family::link(&mut conn, me, kim, "Parent", carer.user_id, now())
            .await
            .unwrap()
    );
    let rows: Vec<Option<String>> = sqlx::query_scalar(
        "select ended_reason from patient_carers where patient_id = $1 order by link_id",
    )
    .bind(kim)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows, [Some("unlinked".to_owned()), None]);
}

/// Eight tabs per person, three people (the carer and two children), all at one time:
/// each person ends with exactly one visit there, and every invariant holds. A ninth task
/// unlinks one child midway: from then on that child's tabs are refused.
#[sqlx::test(migrator = "MIGRATOR")]
async fn one_carer_booking_for_three_people_in_many_tabs(pool: PgPool) {
    nine_to_five_doctors(&pool, "G", 6).await;
    let carer = add_patient(&pool, 1).await;
    let people = [
        patient_id(&carer),
        dependant(&pool, &carer, "Kim", None).await,
        dependant(&pool, &carer, "Lee", None).await,
    ];
    let at = ny(6, 14, 0);
    let carer = Arc::new(carer);
    let mut tasks = Vec::new();
    for tab in 0..24 {
        let (pool, carer) = (pool.clone(), carer.clone());
        let person = people[tab % 3];
        tasks.push(tokio::spawn(async move {
            (person, book_for(&pool, &carer, person, at).await)
        }));
    }
    let mut booked = std::collections::BTreeMap::<i64, usize>::new();
    for task in tasks {
        let (person, result) = task.await.unwrap();
        match result {
            Ok(a) => {
                assert_eq!(a.patient_id, person);
                *booked.entry(person).or_default() += 1;
            }
            Err(AppError::Booking(
                BookingError::OverlapsOwnAppointment { .. }
                | BookingError::HoldExpired { .. }
                | BookingError::SlotTaken { .. },
            )) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    let per_person: Vec<i64> = sqlx::query_scalar(
        "select count(*) from appointments where patient_id = any($1) and status = 'booked'
          group by patient_id order by patient_id",
    )
    .bind(&people[..])
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(per_person, [1, 1, 1], "one visit per person at that time");
    assert_eq!(booked.values().sum::<usize>(), 3);
    assert!(invariant_violations(&pool).await.is_empty());

    // An unlink racing the carer's bookings for that person: each booking is before the
    // unlink (allowed) or after it (not found); never half of each.
    let lee = people[2];
    let mut tasks = Vec::new();
    for tab in 0..8 {
        let (pool, carer) = (pool.clone(), carer.clone());
        tasks.push(tokio::spawn(async move {
            book_for(&pool, &carer, lee, ny(7 + tab / 4, 9 + tab % 4, 0)).await
        }));
    }
    let unlink = {
        let (pool, me) = (pool.clone(), people[0]);
        tokio::spawn(async move {
            let mut tx = pool.begin().await.unwrap();
            db::users::lock_patient(&mut tx, lee).await.unwrap();
            let done =
                db::family::unlink(&mut tx, me, lee, db::family::Ended::Removed, None, now())
                    .await
                    .unwrap();
            tx.commit().await.unwrap();
            (done, Utc::now())
        })
    };
    let (done, _) = unlink.await.unwrap();
    assert!(done);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_)
            | Err(AppError::NotFound)
            | Err(AppError::Booking(BookingError::TooManyActiveAppointments { .. }))
            | Err(AppError::Booking(BookingError::HoldExpired { .. })) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    let refused_now = book_for(&pool, &carer, lee, ny(12, 9, 0)).await;
    assert!(matches!(refused_now, Err(AppError::NotFound)));
    assert!(invariant_violations(&pool).await.is_empty());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_carer_hears_about_a_dependants_visit_and_the_reminder_names_them(pool: PgPool) {
    sqlx::query("update clinic_settings set clinic_name = 'Riverside Clinic'")
        .execute(&pool)
        .await
        .unwrap();
    nine_to_five_doctors(&pool, "H", 2).await;
    let carer = add_patient(&pool, 1).await;
    let kim = dependant(&pool, &carer, "Kim", None).await;
    let sam = dependant(&pool, &carer, "Sam", Some("sam@family.test")).await;
    let at = ny(6, 10, 0);
    let for_kim = book_for(&pool, &carer, kim, at).await.unwrap();
    let for_sam = book_for(&pool, &carer, sam, at).await.unwrap();

    let sink = SmtpSink::start().await;
    let ch = Channels {
        mailer: Mailer::smtp(&SecretString::from(sink.url())).unwrap(),
        from: "Riverside Clinic <clinic@riverside.test>".parse().unwrap(),
        sms: None,
        links: LinkBase("https://clinic.test".to_owned()),
    };
    // Confirmations: Kim's to the carer; Sam's to the carer and to Sam's own address.
    let after_debounce = now() + policy().notification_debounce();
    assert_eq!(
        deliver_due(&pool, &ch, after_debounce, 10)
            .await
            .unwrap()
            .sent,
        3
    );
    // Reminders a day before.
    let lead = policy().reminder_lead();
    let queued = queue_reminders(&pool, lead, at - lead).await.unwrap();
    assert_eq!(queued, 3, "one per recipient, each its own message");
    // Queued again (another instance, a restart): nothing new.
    assert_eq!(queue_reminders(&pool, lead, at - lead).await.unwrap(), 0);
    assert_eq!(
        deliver_due(&pool, &ch, at - lead, 10).await.unwrap().sent,
        3
    );

    let messages = sink.messages();
    assert_eq!(messages.len(), 6);
    let to = |m: &String| header(m, "To").unwrap_or_default();
    let subject = |m: &String| header(m, "Subject").unwrap_or_default();
    let to_carer: Vec<&String> = messages
        .iter()
        .filter(|m| to(m).contains("patient1@example.test"))
        .collect();
    assert_eq!(to_carer.len(), 4);
    assert!(to_carer
        .iter()
        .any(|m| subject(m).starts_with("Reminder") && subject(m).contains("(for Kim)")));
    assert!(to_carer
        .iter()
        .any(|m| subject(m).starts_with("Reminder") && subject(m).contains("(for Sam)")));
    let to_sam: Vec<&String> = messages
        .iter()
        .filter(|m| to(m).contains("sam@family.test"))
        .collect();
    assert_eq!(to_sam.len(), 2);
    // Sam's own copy is about Sam's visit: it does not say "for Sam".
    assert!(to_sam.iter().all(|m| !subject(m).contains("(for ")));
    for m in &messages {
        assert!(!m.contains("private words"), "no reason in any message");
        assert!(!m.contains("Ient"), "first name only: {}", subject(m));
    }
    let kims: i64 = sqlx::query_scalar(
        "select count(distinct message_id) from notifications where appointment_id = $1",
    )
    .bind(for_kim.appointment_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kims, 2, "confirmation and reminder, to the carer");
    let sams: i64 = sqlx::query_scalar(
        "select count(distinct recipient_user_id) from notifications where appointment_id = $1",
    )
    .bind(for_sam.appointment_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(sams, 2, "the carer and Sam");
}
