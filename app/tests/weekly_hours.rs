//! A doctor sets new weekly hours from a date: free times follow at once, on the right
//! local wall times across a DST change; booked visits outside the new hours go through
//! rule 6; the preview is the same change rolled back; edits during a booking rush leave
//! nobody on time the doctor no longer works.

mod common;

use app::services::reassignment::Actor;
use app::services::schedule::{self, PatternChange};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use common::*;
use domain::hours::WeekPattern;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::task::JoinSet;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn doctors(pool: &PgPool, n: usize) -> Vec<i64> {
    nine_to_five_doctors(pool, "H", n).await
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, month, day).unwrap()
}

fn pattern(lines: [&str; 7]) -> WeekPattern {
    WeekPattern::parse(&lines.map(str::to_owned), policy().slot_length()).unwrap()
}

/// Every day 09:00–17:00 but Tuesday.
fn no_tuesdays() -> WeekPattern {
    let mut p = pattern(["09:00-17:00"; 7]);
    p.days[1].clear();
    p
}

async fn set(
    pool: &PgPool,
    doctor: i64,
    p: &WeekPattern,
    from: NaiveDate,
    commit: bool,
) -> Result<PatternChange, app::AppError> {
    let actor = Actor {
        user_id: None,
        role: "doctor",
    };
    let edit = schedule::PatternEdit {
        doctor_id: doctor,
        pattern: p.clone(),
        from,
    };
    schedule::set_pattern(pool, &policy(), actor, &edit, now(), commit).await
}

/// The local wall times (New York) of a doctor's slots with `status` on a local date.
async fn walls(pool: &PgPool, doctor: i64, day: NaiveDate, status: &str) -> Vec<String> {
    let (from, to) = domain::schedule::local_day_bounds(New_York, day);
    let starts: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "select start_time from availability_slots
         where doctor_id = $1 and start_time >= $2 and start_time < $3 and status = $4
         order by start_time",
    )
    .bind(doctor)
    .bind(from)
    .bind(to)
    .bind(status)
    .fetch_all(pool)
    .await
    .unwrap();
    starts
        .iter()
        .map(|s| s.with_timezone(&New_York).format("%H:%M").to_string())
        .collect()
}

/// Everything about every slot, to prove a preview left no trace.
async fn slot_table(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "select coalesce(string_agg(concat_ws(',', slot_id, doctor_id, start_time, status, hold_token), ';' order by slot_id), '')
         from availability_slots",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

fn half_hours(from: &str, to: &str) -> Vec<String> {
    let (mut t, end) = (time(from), time(to));
    let mut out = Vec::new();
    while t < end {
        out.push(t.format("%H:%M").to_string());
        t += Duration::minutes(30);
    }
    out
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn new_hours_keep_their_wall_times_across_the_dst_change(pool: PgPool) {
    let d = doctors(&pool, 1).await;
    // From Tuesday 5 March; New York springs forward on Sunday 10 March 2030.
    let split = pattern([
        "08:00-12:00, 14:00-18:00",
        "",
        "",
        "",
        "",
        "",
        "01:00-04:00",
    ]);
    let change = set(&pool, d[0], &split, date(3, 5), true).await.unwrap();
    let mut expected_monday = half_hours("08:00", "12:00");
    expected_monday.extend(half_hours("14:00", "18:00"));
    for monday in [date(3, 11), date(3, 18), date(4, 29)] {
        assert_eq!(
            walls(&pool, d[0], monday, "free").await,
            expected_monday,
            "{monday}"
        );
    }
    // Before the change (EST) and after it (EDT) 08:00 is a different UTC hour.
    let eight = |day| {
        domain::schedule::local_to_utc(New_York, day, time("08:00"))
            .unwrap()
            .to_rfc3339()
    };
    assert_eq!(eight(date(3, 11)), "2030-03-11T12:00:00+00:00");
    // The skipped hour has no slots: 02:00–02:59 does not exist on 10 March.
    assert_eq!(
        walls(&pool, d[0], date(3, 10), "free").await,
        ["01:00", "01:30", "03:00", "03:30"]
    );
    assert_eq!(
        walls(&pool, d[0], date(3, 17), "free").await,
        half_hours("01:00", "04:00")
    );
    // Today (Monday 4 March) keeps its old hours; Tuesday on is a day off.
    assert_eq!(
        walls(&pool, d[0], date(3, 4), "free").await,
        half_hours("09:00", "17:00")
    );
    assert!(walls(&pool, d[0], date(3, 5), "free").await.is_empty());
    assert!(walls(&pool, d[0], date(3, 12), "free").await.is_empty());
    // The stored schedule: the old hours end on the 4th, the new run from the 5th.
    let stored = app::db::schedule::hours_of(&pool, d[0]).await.unwrap();
    assert_eq!(
        WeekPattern::in_effect(&stored, date(3, 4)).lines()[0],
        "09:00-17:00"
    );
    assert_eq!(WeekPattern::in_effect(&stored, date(3, 5)), split);
    assert_eq!(change.days.len(), 7, "every weekday changed");
    assert!(change.change.added > 0 && change.change.removed > 0);
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_preview_changes_nothing_and_equals_saving(pool: PgPool) {
    let d = doctors(&pool, 2).await;
    let patient = add_patient(&pool, 1).await;
    // Doctor 0 has every slot at 10:00 on Tuesday the 12th, so the visit is theirs.
    sqlx::query("update availability_slots set status = 'blocked' where doctor_id <> $1")
        .bind(d[0])
        .execute(&pool)
        .await
        .unwrap();
    let tuesday_ten = Utc.with_ymd_and_hms(2030, 3, 12, 14, 0, 0).unwrap(); // 10:00 EDT
    let visit = book(&pool, &patient, tuesday_ten, STANDARD).await.unwrap();
    sqlx::query("update availability_slots set status = 'free' where status = 'blocked'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(visit.doctor_id, d[0]);
    // A change already planned for April, which the new hours replace.
    let april = pattern(["09:00-10:00", "", "", "", "", "", ""]);
    set(&pool, d[0], &april, date(4, 1), true).await.unwrap();

    let no_tuesdays = no_tuesdays();
    let before = slot_table(&pool).await;
    let preview = set(&pool, d[0], &no_tuesdays, date(3, 11), false)
        .await
        .unwrap();
    assert_eq!(slot_table(&pool).await, before, "a preview leaves no trace");
    let saved = set(&pool, d[0], &no_tuesdays, date(3, 11), true)
        .await
        .unwrap();
    assert_eq!(preview, saved, "the preview says what saving does");
    assert_eq!(
        (saved.change.visits.moved, saved.change.visits.queued),
        (1, 0)
    );
    assert_eq!(saved.replaced_plans, vec![date(4, 1)]);
    assert_eq!(saved.days.len(), 1);
    assert_eq!(saved.days[0].before, "09:00-17:00");
    assert_eq!(saved.days[0].after, "");

    let (doctor, start): (i64, DateTime<Utc>) =
        sqlx::query_as("select doctor_id, start_time from appointments where appointment_id = $1")
            .bind(visit.appointment_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (doctor, start),
        (d[1], tuesday_ten),
        "same time, a colleague"
    );
    assert!(walls(&pool, d[0], date(3, 12), "free").await.is_empty());
    assert!(walls(&pool, d[0], date(3, 12), "booked").await.is_empty());
    // The April plan is gone: Mondays in April keep the new 09:00–17:00.
    assert_eq!(
        walls(&pool, d[0], date(4, 8), "free").await,
        half_hours("09:00", "17:00")
    );
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn dates_outside_today_to_a_year_are_refused_by_name(pool: PgPool) {
    let d = doctors(&pool, 1).await;
    let p = pattern(["09:00-12:00", "", "", "", "", "", ""]);
    for from in [date(3, 3), NaiveDate::from_ymd_opt(2031, 3, 6).unwrap()] {
        match set(&pool, d[0], &p, from, true).await {
            Err(app::AppError::Validation { field, .. }) => assert_eq!(field, "from"),
            other => panic!("{from}: {other:?}"),
        }
    }
    assert!(matches!(
        set(&pool, 999_999, &p, date(3, 5), true).await,
        Err(app::AppError::NotFound)
    ));
}

/// While a doctor stops working Tuesdays, thirty patients book Tuesday times at once.
#[sqlx::test(migrator = "MIGRATOR")]
async fn new_hours_during_a_booking_rush_leave_nobody_outside_them(
    _: PgPoolOptions,
    opts: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .connect_with(opts)
        .await
        .unwrap();
    let d = doctors(&pool, 3).await;
    let mut patients = Vec::new();
    for i in 0..30 {
        patients.push(add_patient(&pool, i).await);
    }
    let tuesday = Utc.with_ymd_and_hms(2030, 3, 12, 13, 0, 0).unwrap(); // 09:00 EDT
    let mut tasks = JoinSet::new();
    for (i, patient) in patients.into_iter().enumerate() {
        let pool = pool.clone();
        tasks.spawn(async move {
            let start = tuesday + Duration::minutes(30 * (i as i64 % 12));
            book(&pool, &patient, start, STANDARD)
                .await
                .map(|a| a.doctor_id)
        });
    }
    let no_tuesdays = no_tuesdays();
    let editor = {
        let (pool, doctor) = (pool.clone(), d[0]);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            set(&pool, doctor, &no_tuesdays, date(3, 5), true).await
        })
    };
    let mut booked = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(_) => booked += 1,
            // A lost race is a booking answer ("taken"), never a database failure (a
            // deadlock with the hours change would surface as Internal).
            Err(e) => assert!(matches!(e, app::AppError::Booking(_)), "a booker got {e:?}"),
        }
    }
    let change = editor.await.unwrap().unwrap();
    println!("rush: {booked} booked; hours change {:?}", change.change);
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
    let (from, to) = domain::schedule::local_day_bounds(New_York, date(3, 12));
    // Every visit the doctor still has on Tuesday waits for staff (none can, outside the
    // freeze with colleagues free — but a full house is allowed to queue).
    let unhandled: i64 = sqlx::query_scalar(
        "select count(*) from appointments a
         where a.doctor_id = $1 and a.status = 'booked' and a.start_time >= $2 and a.start_time < $3
           and not exists (select 1 from attention_items i where i.appointment_id = a.appointment_id and i.resolved_at is null)",
    )
    .bind(d[0])
    .bind(from)
    .bind(to)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unhandled, 0, "{change:?}");
    assert!(walls(&pool, d[0], date(3, 12), "free").await.is_empty());
    assert!(walls(&pool, d[0], date(3, 12), "held").await.is_empty());
}
