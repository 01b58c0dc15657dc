//! Waitlist offers against a real PostgreSQL, at the fixtures' fixed moment (Monday
//! 2030-03-04 09:00 in New York): every way a time is freed reaches the engine; offers go
//! out in the fair order, in waves, within the booking rules, the daily cap and the quiet
//! hours for texts; taking one books or moves the visit and cascades; twenty takers give
//! one visit; an offer racing an ordinary booker gives one winner; the message carries
//! the link and nothing clinical.

mod common;

use std::sync::Arc;

use app::db;
use app::services::booking::{self, ActingUser, OfferTaken};
use app::services::waitlist::engine::{self, Report};
use app::services::waitlist::offers::no_longer_valid;
use chrono::{DateTime, Duration, Utc};
use common::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::task::JoinSet;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// Puts `by` on the waitlist for `visit` (or, without one, for any Standard time),
/// joined at `since`.
async fn wait(pool: &PgPool, by: &ActingUser, visit: Option<i64>, since: DateTime<Utc>) -> i64 {
    wait_with(pool, by, visit, since, 127, "any").await
}

async fn wait_with(
    pool: &PgPool,
    by: &ActingUser,
    visit: Option<i64>,
    since: DateTime<Utc>,
    weekdays: i16,
    part_of_day: &str,
) -> i64 {
    let mut conn = pool.acquire().await.unwrap();
    db::waitlist::join(
        &mut conn,
        &db::waitlist::NewEntry {
            patient_id: patient_id(by),
            appointment_type_id: STANDARD,
            appointment_id: visit,
            weekdays,
            part_of_day,
            not_before: None,
        },
        since,
    )
    .await
    .unwrap()
    .expect("joined")
}

async fn run(pool: &PgPool, at: DateTime<Utc>) -> Report {
    engine::run(pool, at).await.expect("engine run")
}

async fn settings(pool: &PgPool, sql: &str) {
    sqlx::query(&format!("update clinic_settings set {sql}"))
        .execute(pool)
        .await
        .unwrap();
}

/// The open offers' tokens per patient, from their queued emails.
async fn offer_tokens(pool: &PgPool, by: &ActingUser) -> Vec<(DateTime<Utc>, String)> {
    let rows: Vec<(DateTime<Utc>, String)> = sqlx::query_as(
        "select o.start_time, n.secret from notifications n
           join waitlist_offers f on f.offer_id = n.waitlist_offer_id
           join waitlist_openings o using (opening_id)
          where n.kind = 'waitlist_offer' and n.channel = 'email' and f.patient_id = $1
          order by f.offer_id",
    )
    .bind(patient_id(by))
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(start, secret)| (start, secret.trim_start_matches("token=").to_owned()))
        .collect()
}

async fn take(pool: &PgPool, token: &str, at: DateTime<Utc>) -> Result<OfferTaken, app::AppError> {
    let mut conn = pool.acquire().await.unwrap();
    let offer = db::waitlist::offers::by_token(&mut conn, token)
        .await
        .unwrap()
        .ok_or_else(no_longer_valid)?;
    drop(conn);
    booking::take_offer(pool, &policy(), &offer, None, at, no_longer_valid).await
}

async fn offered_patients(pool: &PgPool, start: DateTime<Utc>) -> Vec<i64> {
    sqlx::query_scalar(
        "select f.patient_id from waitlist_offers f join waitlist_openings o using (opening_id)
          where o.start_time = $1 order by f.offer_id",
    )
    .bind(start)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn outcome_of(pool: &PgPool, by: &ActingUser, start: DateTime<Utc>) -> Option<String> {
    sqlx::query_scalar(
        "select f.outcome from waitlist_offers f join waitlist_openings o using (opening_id)
          where o.start_time = $1 and f.patient_id = $2",
    )
    .bind(start)
    .bind(patient_id(by))
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn cancel(pool: &PgPool, by: &ActingUser, appointment_id: i64) {
    booking::cancel(pool, &policy(), by, appointment_id, now())
        .await
        .unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_freed_time_goes_out_in_the_fair_order_and_taking_it_moves_the_visit_and_cascades(
    pool: PgPool,
) {
    nine_to_five_doctors(&pool, "Wait", 1).await;
    let (a, b, c, d) = (
        add_patient(&pool, 1).await,
        add_patient(&pool, 2).await,
        add_patient(&pool, 3).await,
        add_patient(&pool, 4).await,
    );
    let freed_time = ny(6, 10, 0);
    let a_visit = book(&pool, &a, freed_time, STANDARD).await.unwrap();
    let b_visit = book(&pool, &b, ny(12, 10, 0), STANDARD).await.unwrap();
    let c_visit = book(&pool, &c, ny(14, 10, 0), STANDARD).await.unwrap();
    wait(
        &pool,
        &b,
        Some(b_visit.appointment_id),
        now() - Duration::days(3),
    )
    .await;
    wait(
        &pool,
        &c,
        Some(c_visit.appointment_id),
        now() - Duration::days(2),
    )
    .await;
    wait(&pool, &d, None, now() - Duration::days(1)).await;
    settings(&pool, "waitlist_wave_size = 2").await;
    assert_eq!(run(&pool, now()).await.offers, 0, "nothing freed yet");

    cancel(&pool, &a, a_visit.appointment_id).await;
    let report = run(&pool, now() + Duration::seconds(1)).await;
    assert_eq!((report.opened, report.offers), (1, 2), "{report:?}");
    // Longest waiting first: B, then C; D (joined last) waits for the next wave.
    assert_eq!(
        offered_patients(&pool, freed_time).await,
        [patient_id(&b), patient_id(&c)]
    );
    // The next wave waits for the gap.
    assert_eq!(run(&pool, now() + Duration::seconds(2)).await.offers, 0);

    let b_token = &offer_tokens(&pool, &b).await[0].1;
    let taken = take(&pool, b_token, now() + Duration::seconds(3))
        .await
        .unwrap();
    let OfferTaken::Booked(moved) = taken else {
        panic!("B should get the time: {taken:?}")
    };
    assert_eq!(
        (moved.appointment_id, moved.start),
        (b_visit.appointment_id, freed_time)
    );
    assert_eq!(
        outcome_of(&pool, &c, freed_time).await.as_deref(),
        Some("taken_by_other")
    );
    let (outcome, days): (String, Option<i32>) =
        sqlx::query_as("select outcome, days_gained from waitlist_openings where start_time = $1")
            .bind(freed_time)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((outcome.as_str(), days), ("filled", Some(6)));
    // B's place on the list ends with it; the same link again is no longer valid.
    let (left, _): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where ended_at is null), count(*) from waitlist_entries where patient_id = $1",
    )
    .bind(patient_id(&b))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    assert!(matches!(
        take(&pool, b_token, now() + Duration::seconds(4)).await,
        Err(app::AppError::Validation { .. })
    ));
    // C's link for the first time says it was taken.
    let c_first = &offer_tokens(&pool, &c).await[0].1;
    assert_eq!(
        take(&pool, c_first, now() + Duration::seconds(4))
            .await
            .unwrap(),
        OfferTaken::ByAnother
    );

    // Cascade: B's old time is free and goes to C (gains two days) and D.
    let report = run(&pool, now() + Duration::seconds(5)).await;
    assert_eq!(report.offers, 2, "{report:?}");
    assert_eq!(
        offered_patients(&pool, ny(12, 10, 0)).await,
        [patient_id(&c), patient_id(&d)]
    );
    // D, who had no visit, takes it: a new visit.
    let d_token = &offer_tokens(&pool, &d).await[0].1;
    let OfferTaken::Booked(new) = take(&pool, d_token, now() + Duration::seconds(6))
        .await
        .unwrap()
    else {
        panic!("D should get the time")
    };
    assert_eq!((new.patient_id, new.start), (patient_id(&d), ny(12, 10, 0)));
    assert_eq!(
        outcome_of(&pool, &c, ny(12, 10, 0)).await.as_deref(),
        Some("taken_by_other")
    );
    assert!(invariant_violations(&pool).await.is_empty());
    // Each is a change like any other in the visits' history: B's moved, D's booked.
    let events: Vec<(i64, String)> = sqlx::query_as(
        "select appointment_id, kind from appointment_events where appointment_id = any($1)
          order by appointment_event_id",
    )
    .bind(vec![b_visit.appointment_id, new.appointment_id])
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        events.contains(&(b_visit.appointment_id, "rescheduled".to_owned())),
        "{events:?}"
    );
    assert!(
        events.contains(&(new.appointment_id, "booked".to_owned())),
        "{events:?}"
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn waves_follow_the_gap_offers_expire_and_an_opening_nobody_takes_closes(pool: PgPool) {
    nine_to_five_doctors(&pool, "Wave", 1).await;
    let freer = add_patient(&pool, 9).await;
    let freed_time = ny(6, 10, 0);
    let freeing = book(&pool, &freer, freed_time, STANDARD).await.unwrap();
    let mut waiting = Vec::new();
    for i in 0..3 {
        let p = add_patient(&pool, 10 + i).await;
        let v = book(&pool, &p, ny(20, 9 + i as u32, 0), STANDARD)
            .await
            .unwrap();
        wait(
            &pool,
            &p,
            Some(v.appointment_id),
            now() - Duration::days(10 - i as i64),
        )
        .await;
        waiting.push(p);
    }
    settings(
        &pool,
        "waitlist_wave_size = 1, waitlist_wave_minutes = 15, waitlist_offer_minutes = 30",
    )
    .await;
    cancel(&pool, &freer, freeing.appointment_id).await;
    let at = |m: i64| now() + Duration::minutes(m);
    assert_eq!(run(&pool, at(0)).await.offers, 1);
    assert_eq!(run(&pool, at(10)).await.offers, 0, "the gap is 15 minutes");
    assert_eq!(run(&pool, at(16)).await.offers, 1, "second wave");
    let third = run(&pool, at(31)).await;
    assert_eq!((third.offers, third.expired), (1, 1), "{third:?}");
    assert_eq!(
        offered_patients(&pool, freed_time).await,
        waiting.iter().map(patient_id).collect::<Vec<_>>()
    );
    assert_eq!(
        outcome_of(&pool, &waiting[0], freed_time).await.as_deref(),
        Some("expired")
    );
    // An expired link is no longer valid.
    let first = &offer_tokens(&pool, &waiting[0]).await[0].1;
    assert!(matches!(
        take(&pool, first, at(32)).await,
        Err(app::AppError::Validation { .. })
    ));
    // Everyone asked, every offer lapsed: the opening closes.
    let last = run(&pool, at(62)).await;
    assert_eq!(last.closed, 1, "{last:?}");
    let outcome: String =
        sqlx::query_scalar("select outcome from waitlist_openings where start_time = $1")
            .bind(freed_time)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(outcome, "nobody");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn offers_keep_the_booking_rules_the_limits_the_daily_cap_and_one_at_a_time(pool: PgPool) {
    nine_to_five_doctors(&pool, "Rule", 2).await;
    let since = now() - Duration::days(5);
    let freers = [add_patient(&pool, 20).await, add_patient(&pool, 21).await];
    let wed_ten = ny(6, 10, 0);
    let wed_eleven = ny(6, 11, 0);
    let v1 = book(&pool, &freers[0], wed_ten, STANDARD).await.unwrap();
    let v2 = book(&pool, &freers[1], wed_eleven, STANDARD).await.unwrap();

    // Saturdays only: a Wednesday does not suit.
    let saturdays = add_patient(&pool, 30).await;
    let sv = book(&pool, &saturdays, ny(20, 9, 0), STANDARD)
        .await
        .unwrap();
    wait_with(
        &pool,
        &saturdays,
        Some(sv.appointment_id),
        since,
        1 << 5,
        "any",
    )
    .await;
    // Afternoons only: 10:00 and 11:00 do not suit.
    let afternoons = add_patient(&pool, 31).await;
    let av = book(&pool, &afternoons, ny(20, 9, 30), STANDARD)
        .await
        .unwrap();
    wait_with(
        &pool,
        &afternoons,
        Some(av.appointment_id),
        since,
        127,
        "afternoon",
    )
    .await;
    // A visit inside the change freeze (tomorrow morning) cannot be moved online.
    let frozen = add_patient(&pool, 32).await;
    let fv = book(&pool, &frozen, ny(4, 15, 0), STANDARD).await.unwrap();
    wait(&pool, &frozen, Some(fv.appointment_id), since).await;
    // Another visit of theirs at 10:00 that day (with the other doctor): the freed 10:00
    // would overlap it.
    let overlapping = add_patient(&pool, 33).await;
    let ov = book(&pool, &overlapping, ny(20, 10, 0), STANDARD)
        .await
        .unwrap();
    book(&pool, &overlapping, wed_ten, STANDARD).await.unwrap();
    wait(&pool, &overlapping, Some(ov.appointment_id), since).await;
    // The one who gets offers: first in line for both times, but one at a time.
    let keen = add_patient(&pool, 34).await;
    let kv = book(&pool, &keen, ny(21, 9, 0), STANDARD).await.unwrap();
    wait(
        &pool,
        &keen,
        Some(kv.appointment_id),
        since - Duration::days(1),
    )
    .await;
    // And someone without an online account (staff call them): never messaged.
    let offline: i64 = sqlx::query_scalar(
        "insert into patients (first_name, last_name) values ('Off', 'Line') returning patient_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into waitlist_entries (patient_id, appointment_type_id, created_at)
         values ($1, 1, $2)",
    )
    .bind(offline)
    .bind(since - Duration::days(2))
    .execute(&pool)
    .await
    .unwrap();

    settings(&pool, "waitlist_wave_size = 5, waitlist_daily_cap = 1").await;
    cancel(&pool, &freers[0], v1.appointment_id).await;
    cancel(&pool, &freers[1], v2.appointment_id).await;
    let report = run(&pool, now()).await;
    assert_eq!(report.opened, 2, "{report:?}");
    let ten = offered_patients(&pool, wed_ten).await;
    let eleven = offered_patients(&pool, wed_eleven).await;
    // `keen` gets one of the two (one offer at a time); the overlap patient not 10:00.
    assert!(!ten.contains(&patient_id(&overlapping)), "{ten:?}");
    let all: Vec<i64> = ten.iter().chain(&eleven).copied().collect();
    assert_eq!(
        all.iter().filter(|&&p| p == patient_id(&keen)).count(),
        1,
        "{ten:?} {eleven:?}"
    );
    for nobody in [&saturdays, &afternoons, &frozen] {
        assert!(!all.contains(&patient_id(nobody)), "{ten:?} {eleven:?}");
    }
    assert!(!all.contains(&offline));
    // Once `keen`'s offer lapses, the daily cap (1) keeps the other time from them today.
    let later = now() + Duration::hours(3);
    sqlx::query("update waitlist_offers set expires_at = $1 where outcome is null")
        .bind(later - Duration::minutes(1))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update waitlist_openings set next_wave_at = $1")
        .bind(later)
        .execute(&pool)
        .await
        .unwrap();
    run(&pool, later).await;
    let all: Vec<i64> = [
        offered_patients(&pool, wed_ten).await,
        offered_patients(&pool, wed_eleven).await,
    ]
    .concat();
    assert_eq!(
        all.iter().filter(|&&p| p == patient_id(&keen)).count(),
        1,
        "the daily cap: {all:?}"
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn texts_wait_out_the_quiet_hours_in_the_clinics_zone(pool: PgPool) {
    nine_to_five_doctors(&pool, "Quiet", 1).await;
    let freer = add_patient(&pool, 40).await;
    let texted = add_patient(&pool, 41).await;
    sqlx::query(
        "update patients set phone = '+12125550100', sms_opt_in = true where patient_id = $1",
    )
    .bind(patient_id(&texted))
    .execute(&pool)
    .await
    .unwrap();
    let v = book(&pool, &texted, ny(20, 9, 0), STANDARD).await.unwrap();
    wait(
        &pool,
        &texted,
        Some(v.appointment_id),
        now() - Duration::days(1),
    )
    .await;
    let f1 = book(&pool, &freer, ny(6, 10, 0), STANDARD).await.unwrap();
    let f2 = book(&pool, &freer, ny(6, 11, 0), STANDARD).await.unwrap();
    let channels = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "select channel from notifications where kind = 'waitlist_offer' order by notification_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    // The fixtures' moment is 09:00 in New York: quiet from 08:00 to 10:00 there.
    settings(&pool, "sms_quiet_start = '08:00', sms_quiet_end = '10:00'").await;
    cancel(&pool, &freer, f1.appointment_id).await;
    run(&pool, now()).await;
    assert_eq!(channels(pool.clone()).await, ["email"]);
    // Outside them (21:00–08:00), the text goes too.
    sqlx::query("update waitlist_offers set outcome = 'expired', answered_at = $1")
        .bind(now())
        .execute(&pool)
        .await
        .unwrap();
    settings(&pool, "sms_quiet_start = '21:00', sms_quiet_end = '08:00'").await;
    cancel(&pool, &freer, f2.appointment_id).await;
    run(&pool, now()).await;
    assert_eq!(channels(pool.clone()).await, ["email", "email", "sms"]);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn every_way_a_time_opens_reaches_the_engine_and_none_while_nobody_waits(pool: PgPool) {
    let doctors = nine_to_five_doctors(&pool, "Source", 1).await;
    let queued = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("select count(*) from waitlist_freed")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let p = add_patient(&pool, 50).await;
    let v = book(&pool, &p, ny(6, 10, 0), STANDARD).await.unwrap();
    // Nobody waits: a cancellation queues nothing.
    cancel(&pool, &p, v.appointment_id).await;
    assert_eq!(queued(pool.clone()).await, 0);

    let w = add_patient(&pool, 51).await;
    wait(&pool, &w, None, now()).await;
    let mut seen = 0;
    let mut expect_more = |n: i64, what: &str| {
        assert!(n > seen, "{what} queued nothing");
        seen = n;
    };
    // A cancellation and a move free their time.
    let v = book(&pool, &p, ny(6, 10, 0), STANDARD).await.unwrap();
    cancel(&pool, &p, v.appointment_id).await;
    expect_more(queued(pool.clone()).await, "a cancellation");
    let v = book(&pool, &p, ny(6, 10, 0), STANDARD).await.unwrap();
    booking::reschedule(&pool, &policy(), &p, v.appointment_id, ny(6, 11, 0), now())
        .await
        .unwrap();
    expect_more(queued(pool.clone()).await, "a move");
    // A block or leave undone, a holiday removed (slots back from blocked / holiday).
    for status in ["blocked", "holiday"] {
        sqlx::query(&format!(
            "update availability_slots set status = '{status}'
              where doctor_id = $1 and start_time = $2"
        ))
        .bind(doctors[0])
        .bind(ny(7, 9, 0))
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "update availability_slots set status = 'free' where doctor_id = $1 and start_time = $2",
        )
        .bind(doctors[0])
        .bind(ny(7, 9, 0))
        .execute(&pool)
        .await
        .unwrap();
        expect_more(queued(pool.clone()).await, status);
    }
    // A hold that lapsed and was swept.
    booking::hold(
        &pool,
        &policy(),
        &p,
        patient_id(&p),
        ny(8, 9, 0),
        STANDARD,
        now(),
    )
    .await
    .unwrap();
    db::slots::release_expired_holds(&pool, now() + Duration::hours(1))
        .await
        .unwrap();
    expect_more(queued(pool.clone()).await, "a lapsed hold");
    // A doctor's new hours.
    let newcomer = add_doctor(&pool, "Newcomer").await;
    add_daily_hours(&pool, newcomer, "18:00", "19:00").await;
    materialize(&pool).await;
    expect_more(queued(pool.clone()).await, "new hours");
    // A doctor active again (their free times bookable again without a slot changing).
    for active in [false, true] {
        sqlx::query("update doctors set active = $2 where doctor_id = $1")
            .bind(newcomer)
            .bind(active)
            .execute(&pool)
            .await
            .unwrap();
    }
    expect_more(queued(pool.clone()).await, "a doctor back");
    // The engine turns them into openings for the waiting patient and empties the queue.
    let report = run(&pool, now()).await;
    assert!(report.opened > 0 && report.offers == 1, "{report:?}");
    assert_eq!(queued(pool.clone()).await, 0);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn twenty_takers_at_once_give_one_visit_and_nineteen_taken_answers(
    _: PgPoolOptions,
    connect_opts: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(30)
        .connect_with(connect_opts)
        .await
        .unwrap();
    nine_to_five_doctors(&pool, "Race", 1).await;
    let freer = add_patient(&pool, 60).await;
    let freed_time = ny(6, 10, 0);
    let freeing = book(&pool, &freer, freed_time, STANDARD).await.unwrap();
    let mut takers = Vec::new();
    for i in 0..20 {
        let p = add_patient(&pool, 100 + i).await;
        // Before the spring change, where the fixtures' `ny` is right.
        let slot = ny(7 + (i / 16) as u32, 9, 0) + Duration::minutes(30 * (i % 16) as i64);
        let v = book(&pool, &p, slot, STANDARD).await.unwrap();
        wait(
            &pool,
            &p,
            Some(v.appointment_id),
            now() - Duration::hours(1 + i as i64),
        )
        .await;
        takers.push(p);
    }
    settings(&pool, "waitlist_wave_size = 20").await;
    cancel(&pool, &freer, freeing.appointment_id).await;
    assert_eq!(run(&pool, now()).await.offers, 20);
    let mut tokens = Vec::new();
    for p in &takers {
        tokens.push(offer_tokens(&pool, p).await.remove(0).1);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(tokens.len()));
    let mut tasks = JoinSet::new();
    for token in tokens {
        let (pool, barrier) = (pool.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            take(&pool, &token, now() + Duration::seconds(1)).await
        });
    }
    let mut booked = 0;
    let mut beaten = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(OfferTaken::Booked(_)) => booked += 1,
            Ok(OfferTaken::ByAnother) => beaten += 1,
            // Takers of one opening queue on its row: nobody should ever see "busy" here.
            Ok(OfferTaken::Busy) => panic!("a taker was told the time is busy"),
            Err(e) => panic!("unexpected answer: {e:?}"),
        }
    }
    assert_eq!((booked, beaten), (1, 19));
    let at_time: i64 = sqlx::query_scalar(
        "select count(*) from appointments where start_time = $1 and status = 'booked'",
    )
    .bind(freed_time)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(at_time, 1);
    assert!(invariant_violations(&pool).await.is_empty());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn an_offer_racing_an_ordinary_booker_gives_one_winner(
    _: PgPoolOptions,
    connect_opts: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(connect_opts)
        .await
        .unwrap();
    nine_to_five_doctors(&pool, "Duel", 1).await;
    let freer = add_patient(&pool, 70).await;
    // Five rounds, each a new freed time that a new waiting patient's offer and an
    // ordinary booker race for.
    let mut offer_wins = 0;
    for round in 0..5u32 {
        let waiter = add_patient(&pool, 200 + round as usize).await;
        let booker = add_patient(&pool, 300 + round as usize).await;
        // Each waiter's visit is earlier than the last one's, whose time (freed when their
        // offer won) is then no gain to them: they weigh this round's offer only.
        let later = book(&pool, &waiter, ny(25, 15 - round, 0), STANDARD)
            .await
            .unwrap();
        wait(
            &pool,
            &waiter,
            Some(later.appointment_id),
            now() - Duration::days(1),
        )
        .await;
        let t = ny(6 + round, 10, 0);
        let v = book(&pool, &freer, t, STANDARD).await.unwrap();
        cancel(&pool, &freer, v.appointment_id).await;
        run(&pool, now()).await;
        let token = offer_tokens(&pool, &waiter)
            .await
            .into_iter()
            .find(|(start, _)| *start == t)
            .expect("offered")
            .1;
        let (p1, p2) = (pool.clone(), pool.clone());
        let by = booker.clone();
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let (b1, b2) = (barrier.clone(), barrier);
        let offer = tokio::spawn(async move {
            b1.wait().await;
            take(&p1, &token, now()).await
        });
        let ordinary = tokio::spawn(async move {
            b2.wait().await;
            book(&p2, &by, t, STANDARD).await
        });
        let (offer, ordinary) = (offer.await.unwrap(), ordinary.await.unwrap());
        let offer_won = matches!(offer, Ok(OfferTaken::Booked(_)));
        assert_ne!(
            offer_won,
            ordinary.is_ok(),
            "round {round}: {offer:?} / {ordinary:?}"
        );
        let at_time: i64 = sqlx::query_scalar(
            "select count(*) from appointments where start_time = $1 and status = 'booked'",
        )
        .bind(t)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(at_time, 1, "round {round}");
        if offer_won {
            offer_wins += 1;
        }
    }
    println!("offer won {offer_wins} of 5 rounds");
    assert!(invariant_violations(&pool).await.is_empty());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_offer_message_carries_the_link_and_is_dropped_once_the_time_is_gone(pool: PgPool) {
    use app::services::notify::render::{render, LinkBase};
    nine_to_five_doctors(&pool, "Mail", 1).await;
    let freer = add_patient(&pool, 80).await;
    let waiter = add_patient(&pool, 81).await;
    let v = book(&pool, &waiter, ny(20, 9, 0), STANDARD).await.unwrap();
    wait(&pool, &waiter, Some(v.appointment_id), now()).await;
    let f = book(&pool, &freer, ny(6, 10, 0), STANDARD).await.unwrap();
    cancel(&pool, &freer, f.appointment_id).await;
    run(&pool, now()).await;
    let (offer_id, secret): (i64, String) = sqlx::query_as(
        "select waitlist_offer_id, secret from notifications where kind = 'waitlist_offer'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let rendered = |pool: PgPool, secret: String| async move {
        let ctx = db::notifications::message_context(
            &pool,
            waiter_user(&pool).await,
            None,
            Some(offer_id),
        )
        .await
        .unwrap()
        .unwrap();
        render(
            domain::notify::NotificationKind::WaitlistOffer,
            &ctx,
            None,
            Some(&secret),
            &LinkBase("https://clinic.example".into()),
            None,
            now(),
        )
    };
    let message = rendered(pool.clone(), secret.clone())
        .await
        .expect("rendered");
    let link = format!("https://clinic.example/offer?{secret}");
    assert!(message.text.contains(&link), "{}", message.text);
    assert!(message.sms.contains(&link), "{}", message.sms);
    assert!(message
        .text
        .contains("Wednesday, March 6, 2030 at 10:00 AM EST"));
    assert!(message.text.contains("Dr Mail0"), "{}", message.text);
    assert!(!message.text.contains("private"), "no clinical detail");
    // Taken before the message went: nothing to send.
    take(&pool, secret.trim_start_matches("token="), now())
        .await
        .unwrap();
    assert!(rendered(pool.clone(), secret).await.is_none());
}

async fn waiter_user(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select recipient_user_id from notifications where kind = 'waitlist_offer'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_time_another_booker_only_holds_locked_is_busy_not_gone(pool: PgPool) {
    nine_to_five_doctors(&pool, "Busy", 1).await;
    let freer = add_patient(&pool, 90).await;
    let waiter = add_patient(&pool, 91).await;
    let later = book(&pool, &waiter, ny(20, 9, 0), STANDARD).await.unwrap();
    wait(&pool, &waiter, Some(later.appointment_id), now()).await;
    let t = ny(6, 10, 0);
    let freeing = book(&pool, &freer, t, STANDARD).await.unwrap();
    cancel(&pool, &freer, freeing.appointment_id).await;
    run(&pool, now()).await;
    let token = offer_tokens(&pool, &waiter).await.remove(0).1;
    // Another transaction holds the slot locked without taking it (a booker passing on
    // to the next doctor): the time is busy, not gone, and nothing changes.
    let mut looker = pool.begin().await.unwrap();
    sqlx::query("select slot_id from availability_slots where start_time = $1 for update")
        .bind(t)
        .execute(&mut *looker)
        .await
        .unwrap();
    assert_eq!(take(&pool, &token, now()).await.unwrap(), OfferTaken::Busy);
    looker.rollback().await.unwrap();
    assert_eq!(outcome_of(&pool, &waiter, t).await, None);
    // Let go, the same link takes it.
    assert!(matches!(
        take(&pool, &token, now()).await.unwrap(),
        OfferTaken::Booked(_)
    ));
}
