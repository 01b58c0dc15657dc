//! The in-memory availability index against the SQL path on the same database (random
//! slot states, an inactive doctor, the spring DST change), and kept current by
//! LISTEN/NOTIFY, including after its listener connection is killed.

mod common;

use std::time::{Duration as StdDuration, Instant};

use app::services::availability::{self, AvailabilityIndex};
use chrono::{DateTime, Duration, Utc};
use common::*;
use sqlx::PgPool;

/// Every doctor's times for a visit of `k` slots.
fn anyone(k: impl TryInto<i32>) -> domain::visit_type::Need {
    domain::visit_type::Need::slots_of_anyone(k.try_into().ok().unwrap_or(1))
}

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

/// A small deterministic generator (no extra dependency; the same states every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Gives every slot from `from` on a random state: free, held (live or lapsed), booked,
/// blocked or holiday.
async fn scramble(pool: &PgPool, seed: u64, from: DateTime<Utc>, now: DateTime<Utc>) {
    let patient = patient_id(&add_patient(pool, seed as usize).await);
    let ids: Vec<i64> = sqlx::query_scalar(
        "select slot_id from availability_slots where start_time >= $1 order by slot_id",
    )
    .bind(from)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut rng = Lcg(seed);
    for id in ids {
        let (status, expires) = match rng.next() % 10 {
            0..=4 => ("free", None),
            5 => ("held", Some(now + Duration::minutes(10))),
            6 => ("held", Some(now - Duration::minutes(10))),
            7 => ("booked", None),
            8 => ("blocked", None),
            _ => ("holiday", None),
        };
        sqlx::query(
            "update availability_slots
                set status = $2, hold_expires_at = $3,
                    hold_token = case when $2 = 'held' then gen_random_uuid() end,
                    hold_patient_id = case when $2 = 'held' then $4::bigint end,
                    hold_appointment_type_id = case when $2 = 'held' then 1::bigint end
              where slot_id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(expires)
        .bind(patient)
        .execute(pool)
        .await
        .unwrap();
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_index_answers_exactly_what_the_sql_answers(pool: PgPool) {
    let doctors = nine_to_five_doctors(&pool, "Idx", 6).await;
    // One doctor is no longer active: never offered, by either path.
    sqlx::query("update doctors set active = false where doctor_id = $1")
        .bind(doctors[5])
        .execute(&pool)
        .await
        .unwrap();
    let p = policy();
    // The spring-forward night (2030-03-10) lies inside the days compared.
    for seed in [1_u64, 2, 3] {
        scramble(&pool, seed, ny(5, 0, 0), now()).await;
        let index = AvailabilityIndex::default();
        let built = AvailabilityIndex::load(&pool).await.unwrap();
        for k in [1_usize, 2, 3] {
            for (from, days) in [(now(), 1), (ny(5, 11, 0), 7), (ny(8, 0, 0), 5), (now(), 30)] {
                let to = from + Duration::days(days);
                let sql = availability::open_times(&pool, &p, &anyone(k), from, to, now())
                    .await
                    .unwrap();
                let window = domain::availability::BookingWindow::for_patients(&p, now());
                let (f, t) = window.clamp(from, to);
                let from_index = if f < t {
                    built.open_times(k, f, t, now())
                } else {
                    Vec::new()
                };
                assert_eq!(
                    from_index, sql,
                    "seed {seed}, k {k}, from {from}, {days} days"
                );
                assert!(
                    !sql.is_empty() || days == 1,
                    "an empty comparison proves little"
                );
            }
        }
        // Unwarmed, the handle falls back to SQL and answers the same.
        let fallback = availability::open_times_from(
            &index,
            &pool,
            &p,
            &anyone(2),
            now(),
            now() + Duration::days(7),
            now(),
        )
        .await
        .unwrap();
        let sql = availability::open_times(
            &pool,
            &p,
            &anyone(2),
            now(),
            now() + Duration::days(7),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(fallback, sql);
    }
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) -> StdDuration {
    let started = Instant::now();
    while started.elapsed() < StdDuration::from_secs(5) {
        if check().await {
            return started.elapsed();
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    panic!("{what}: not within 5 s");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_index_follows_changes_and_survives_losing_its_listener(pool: PgPool) {
    let doctors = nine_to_five_doctors(&pool, "Sync", 2).await;
    let p = policy();
    let index = AvailabilityIndex::start(pool.clone());
    eventually("built", async || index.is_ready()).await;
    let open_at = |t: DateTime<Utc>| {
        let index = index.clone();
        let pool = pool.clone();
        let p = p.clone();
        async move {
            availability::open_times_from(
                &index,
                &pool,
                &p,
                &anyone(1),
                t,
                t + Duration::minutes(1),
                now(),
            )
            .await
            .unwrap()
            .first()
            .map_or(0, |o| o.doctors)
        }
    };
    let t = ny(6, 10, 0);
    assert_eq!(open_at(t).await, 2);

    // A slot taken elsewhere (another instance, a script): gone from this index at once.
    let take = |doctor: i64, at: DateTime<Utc>, status: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query("update availability_slots set status = $3 where doctor_id = $1 and start_time = $2")
                .bind(doctor)
                .bind(at)
                .bind(status)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    take(doctors[0], t, "blocked").await;
    let lag = eventually("a blocked slot leaves", async || open_at(t).await == 1).await;
    assert!(lag < StdDuration::from_secs(1), "took {lag:?}");

    // One statement over two days and a day between (one notification naming the span):
    // the index reloads just those days of that doctor, and has all three right.
    let (d7, d8) = (ny(7, 10, 0), ny(8, 14, 0));
    assert_eq!((open_at(d7).await, open_at(d8).await), (2, 2));
    let reloads = index.stats().doctor_reloads;
    sqlx::query(
        "update availability_slots set status = 'blocked'
          where doctor_id = $1 and start_time = any($2)",
    )
    .bind(doctors[0])
    .bind(vec![d7, d8])
    .execute(&pool)
    .await
    .unwrap();
    eventually("both days follow", async || {
        open_at(d7).await == 1 && open_at(d8).await == 1
    })
    .await;
    assert_eq!(index.stats().doctor_reloads, reloads + 1);
    assert_eq!(open_at(t).await, 1, "the day before the span is as it was");
    assert_eq!(index.reconcile(&pool).await.unwrap(), 0, "nothing drifted");

    // A deactivated doctor leaves altogether; reactivated, comes back.
    sqlx::query("update doctors set active = false where doctor_id = $1")
        .bind(doctors[1])
        .execute(&pool)
        .await
        .unwrap();
    eventually("an inactive doctor leaves", async || open_at(t).await == 0).await;
    sqlx::query("update doctors set active = true where doctor_id = $1")
        .bind(doctors[1])
        .execute(&pool)
        .await
        .unwrap();
    eventually("a reactivated doctor returns", async || {
        open_at(t).await == 1
    })
    .await;

    // Two instances on one database: a hold taken through the booking service disappears
    // from both within a second.
    let other = AvailabilityIndex::start(pool.clone());
    eventually("second instance built", async || other.is_ready()).await;
    let t3 = ny(6, 12, 0);
    let seen_by = |index: AvailabilityIndex| {
        let pool = pool.clone();
        let p = p.clone();
        async move {
            availability::open_times_from(
                &index,
                &pool,
                &p,
                &anyone(1),
                t3,
                t3 + Duration::minutes(1),
                now(),
            )
            .await
            .unwrap()
            .first()
            .map_or(0, |o| o.doctors)
        }
    };
    assert_eq!(
        (seen_by(index.clone()).await, seen_by(other.clone()).await),
        (2, 2)
    );
    let patient = add_patient(&pool, 77).await;
    app::services::booking::hold(
        &pool,
        &p,
        &patient,
        patient_id(&patient),
        t3,
        STANDARD,
        now(),
    )
    .await
    .unwrap();
    for (name, i) in [
        ("this instance", index.clone()),
        ("the other instance", other.clone()),
    ] {
        let lag = eventually(name, async || seen_by(i.clone()).await == 1).await;
        assert!(lag < StdDuration::from_secs(1), "{name}: {lag:?}");
    }
    other.stop();

    // Kill the listener's connection, and change something at once: the index reconnects,
    // rebuilds, and the change is there.
    let rebuilds = index.stats().rebuilds;
    let killed: i64 = sqlx::query_scalar(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()
            and application_name = 'clinic availability listener'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(killed >= 1, "the listener's connection");
    let t2 = ny(6, 11, 0);
    take(doctors[1], t2, "blocked").await;
    eventually("rebuilt after losing the listener", async || {
        index.stats().rebuilds > rebuilds && open_at(t2).await == 1
    })
    .await;
    // And it follows changes again.
    take(doctors[0], t2, "blocked").await;
    eventually("following again", async || open_at(t2).await == 0).await;

    // A reconciliation against the database finds nothing to repair.
    assert_eq!(index.reconcile(&pool).await.unwrap(), 0);
    index.stop();
}

/// How many doctors `index` says are free for a one-slot visit at `t`.
async fn doctors_free_at(
    index: &AvailabilityIndex,
    pool: &PgPool,
    p: &domain::ClinicPolicy,
    t: DateTime<Utc>,
) -> u32 {
    availability::open_times_from(
        index,
        pool,
        p,
        &anyone(1),
        t,
        t + Duration::minutes(1),
        now(),
    )
    .await
    .unwrap()
    .first()
    .map_or(0, |o| o.doctors)
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn holidays_and_a_longer_horizon_reach_the_index(pool: PgPool) {
    nine_to_five_doctors(&pool, "Hol", 2).await;
    let p = policy();
    let index = AvailabilityIndex::start(pool.clone());
    eventually("built", async || index.is_ready()).await;

    // A clinic holiday closes the day: gone from the index within a second.
    let t = ny(7, 10, 0);
    assert_eq!(doctors_free_at(&index, &pool, &p, t).await, 2);
    let day = t.with_timezone(&p.time_zone()).date_naive();
    app::services::schedule::add_holiday(&pool, &p, day, "Founders' Day", now())
        .await
        .unwrap();
    let lag = eventually("a holiday closes the day", async || {
        doctors_free_at(&index, &pool, &p, t).await == 0
    })
    .await;
    assert!(lag < StdDuration::from_secs(1), "took {lag:?}");
    // Removed, the day opens again.
    assert!(
        app::services::schedule::remove_holiday(&pool, &p, day, now())
            .await
            .unwrap()
    );
    eventually("the day reopens", async || {
        doctors_free_at(&index, &pool, &p, t).await == 2
    })
    .await;

    // A longer horizon: the days past the old one have no slots yet (nothing to offer);
    // once the new horizon's slots are made, the index offers them.
    let longer = domain::ClinicPolicy::parse(&domain::ClinicPolicyInput {
        booking_horizon_days: 90,
        ..Default::default()
    })
    .unwrap();
    let beyond = ny(4, 10, 0) + Duration::days(70);
    assert_eq!(doctors_free_at(&index, &pool, &longer, beyond).await, 0);
    app::services::schedule::materialize_slots(&pool, &longer, now())
        .await
        .unwrap();
    let lag = eventually("the new horizon's days appear", async || {
        doctors_free_at(&index, &pool, &longer, beyond).await == 2
    })
    .await;
    assert!(lag < StdDuration::from_secs(1), "took {lag:?}");
    assert_eq!(index.reconcile(&pool).await.unwrap(), 0);
    index.stop();
}

/// The alternatives offered when a time is gone are read from the index the booking
/// service is given (a frozen index here, so its answer differs from the database's).
#[sqlx::test(migrator = "MIGRATOR")]
async fn alternatives_after_a_conflict_come_from_the_index(pool: PgPool) {
    let doctors = nine_to_five_doctors(&pool, "Alt", 1).await;
    let p = policy();
    let index = AvailabilityIndex::start(pool.clone());
    eventually("built", async || index.is_ready()).await;
    index.stop();
    // Behind the frozen index's back: 10:30 closes, 10:00 is held by someone.
    sqlx::query(
        "update availability_slots set status = 'blocked' where doctor_id = $1 and start_time = $2",
    )
    .bind(doctors[0])
    .bind(ny(6, 10, 30))
    .execute(&pool)
    .await
    .unwrap();
    let first = add_patient(&pool, 1).await;
    let second = add_patient(&pool, 2).await;
    app::services::booking::hold(
        &pool,
        &p,
        &first,
        patient_id(&first),
        ny(6, 10, 0),
        STANDARD,
        now(),
    )
    .await
    .unwrap();

    let offered = async |store: app::services::booking::Store<'_>| {
        let err = app::services::booking::hold(
            store,
            &p,
            &second,
            patient_id(&second),
            ny(6, 10, 0),
            STANDARD,
            now(),
        )
        .await
        .unwrap_err();
        let app::AppError::Booking(domain::booking::BookingError::SlotTaken { alternatives }) = err
        else {
            panic!("{err:?}");
        };
        alternatives
    };
    let from_sql = offered((&pool).into()).await;
    let from_index = offered(app::services::booking::Store {
        pool: &pool,
        availability: Some(&index),
    })
    .await;
    assert!(!from_sql.contains(&ny(6, 10, 30)), "{from_sql:?}");
    assert!(from_index.contains(&ny(6, 10, 30)), "{from_index:?}");
    assert!(
        !from_index.contains(&ny(6, 10, 0)),
        "the time asked for is not offered"
    );
    assert_eq!(from_index.len(), 5);
}

/// The finder's cached policy and appointment types follow changes made anywhere.
#[sqlx::test(migrator = "MIGRATOR")]
async fn the_cached_settings_follow_changes(pool: PgPool) {
    let index = AvailabilityIndex::start(pool.clone());
    eventually("built", async || index.is_ready()).await;
    let first = index.settings(&pool).await.unwrap();
    assert_eq!(first.policy, policy());
    assert_eq!(first.types[0].name, "Standard");

    sqlx::query("update clinic_settings set booking_horizon_days = 30")
        .execute(&pool)
        .await
        .unwrap();
    let lag = eventually("a new horizon", async || {
        index
            .settings(&pool)
            .await
            .unwrap()
            .policy
            .booking_horizon()
            == Duration::days(30)
    })
    .await;
    assert!(lag < StdDuration::from_secs(1), "took {lag:?}");

    sqlx::query("update appointment_types set active = false where appointment_type_id = $1")
        .bind(LONG)
        .execute(&pool)
        .await
        .unwrap();
    eventually("a withdrawn type", async || {
        index.settings(&pool).await.unwrap().types.len() == first.types.len() - 1
    })
    .await;

    // Not following (stopped): read from the database every time.
    index.stop();
    sqlx::query("update appointment_types set name = 'Quick' where appointment_type_id = $1")
        .bind(STANDARD)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(index.settings(&pool).await.unwrap().types[0].name, "Quick");
}

/// A read that must see a change just committed waits for the index with `catch_up`:
/// right after a holiday the index has not yet heard of it, and once caught up it shows
/// it without polling. Another instance's barriers do not count as this one's; a stopped
/// index says it cannot catch up (its caller reads the database).
#[sqlx::test(migrator = "MIGRATOR")]
async fn catching_up_shows_a_change_just_committed(pool: PgPool) {
    nine_to_five_doctors(&pool, "Bar", 12).await;
    let p = policy();
    let index = AvailabilityIndex::start(pool.clone());
    let other = AvailabilityIndex::start(pool.clone());
    eventually("built", async || index.is_ready() && other.is_ready()).await;
    assert!(index.catch_up(&pool, StdDuration::from_secs(5)).await);

    let t = ny(7, 10, 0);
    assert_eq!(doctors_free_at(&index, &pool, &p, t).await, 12);
    let day = t.with_timezone(&p.time_zone()).date_naive();
    app::services::schedule::add_holiday(&pool, &p, day, "Barrier Day", now())
        .await
        .unwrap();
    // The other instance's barrier, sent first, does not release this one early.
    let (mine, theirs) = tokio::join!(
        index.catch_up(&pool, StdDuration::from_secs(5)),
        other.catch_up(&pool, StdDuration::from_secs(5)),
    );
    assert!(mine && theirs);
    assert_eq!(doctors_free_at(&index, &pool, &p, t).await, 0);
    assert_eq!(doctors_free_at(&other, &pool, &p, t).await, 0);

    other.stop();
    assert!(!other.catch_up(&pool, StdDuration::from_secs(1)).await);
    assert!(
        !AvailabilityIndex::default()
            .catch_up(&pool, StdDuration::from_secs(1))
            .await
    );
    index.stop();
}
