//! `clinic-devdata bench-waitlist`: what the waitlist does for a clinic, measured two ways.
//!
//! **A simulated month** (`--mode on|off`), on a fresh database, through the product's
//! own services with a virtual clock (15-minute steps): a clinic of `--doctors` doctors
//! (weekdays 09:00–17:00, 30-minute visits, the product's default rules) starts 70% booked
//! for the 60-day horizon. Every step:
//! - visits are cancelled: each visit, when booked, has a 12% chance of being cancelled at
//!   a uniformly random moment between then and 25 hours before it (cancelling inside the
//!   24-hour freeze is not possible online);
//! - new patients book: 9 a day per doctor (about the rate visits pass, so the clinic
//!   stays near 70% full), each wanting a day 1–30 days ahead and taking the first open time from then;
//!   25% of those booked 10 or more days ahead ask for an earlier time, with limits (half
//!   any time; a quarter one part of the day; a quarter three weekdays);
//! - with the waitlist on, the engine runs (`engine::run`, as the server's job does every
//!   second) and each offer is taken by its patient with probability 30%, after a delay
//!   drawn from 5 minutes to 3 hours (an offer lasts 2 hours: some answers come too late).
//!   Published figures for comparison: 8–11% of offers accepted (Epic's Fast Pass).
//!
//! The same seed gives the same clinic, cancellations and bookers in both modes (the
//! random draws differ once offers are taken). Reported: of the times freed more than a
//! day ahead whose moment has passed by the end, the share booked again (by anyone) and
//! the share booked through an offer; every time re-filled through the waitlist
//! (cascades included: a taken offer frees the patient's later time, offered on), the
//! median days a taken offer brought a visit earlier, and offers per re-filled time.
//!
//! **Latency** (`--mode latency`), in real time: the engine loop running every second as
//! in the server; a visit is cancelled and the clock runs until its time's first offer
//! is queued in the outbox (the delivery worker then sends within its 3-second tick).

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, Instant};

use app::services::booking::{self, ActingRole, ActingUser, Confirmation};
use app::services::waitlist::engine;
use app::services::waitlist::offers::no_longer_valid;
use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::ClinicPolicy;
use sqlx::PgPool;

fn fail<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// What the simulation is run with.
#[derive(Debug, Clone)]
pub struct Options {
    pub doctors: i64,
    pub days: i64,
    pub waitlist: bool,
    pub seed: u64,
}

impl Options {
    pub fn from_args(args: &[String]) -> Result<(String, Self), String> {
        let mut mode = "on".to_owned();
        let mut options = Options {
            doctors: 10,
            days: 30,
            waitlist: true,
            seed: 7,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().ok_or(format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<i64>()
                    .map_err(|_| format!("{flag} needs a whole number"))
            };
            match flag.as_str() {
                "--mode" if ["on", "off", "latency"].contains(&value.as_str()) => {
                    mode = value.clone()
                }
                "--doctors" => options.doctors = number()?.clamp(1, 200),
                "--days" => options.days = number()?.clamp(1, 60),
                "--seed" => options.seed = number()? as u64,
                _ => return Err(format!("unknown option {flag} {value}")),
            }
        }
        options.waitlist = mode != "off";
        Ok((mode, options))
    }
}

const STEP_MINUTES: i64 = 15;
const CANCEL_SHARE: f64 = 0.12;
/// New bookings a day per doctor: about the rate visits pass (11.4 slots a calendar day
/// per doctor, 70% booked) plus the cancelled ones booked again.
const BOOKINGS_PER_DOCTOR_DAY: f64 = 9.0;
const ASK_EARLIER_SHARE: f64 = 0.25;
const TAKE_SHARE: f64 = 0.30;

struct Visit {
    appointment_id: i64,
    patient: ActingUser,
}

async fn setup_clinic(pool: &PgPool, doctors: i64, t0: DateTime<Utc>) -> Result<(), String> {
    for d in 0..doctors {
        let doctor_id: i64 = sqlx::query_scalar(
            "with u as (insert into users (email, role, password_hash)
                        values ('sim-doctor' || $1 || '@sim.test', 'doctor', 'x') returning user_id)
             insert into doctors (user_id, first_name, last_name)
             select user_id, 'Sim', 'Doctor ' || $1 from u returning doctor_id",
        )
        .bind(d)
        .fetch_one(pool)
        .await
        .map_err(fail("adding a doctor"))?;
        sqlx::query(
            "insert into weekly_hours (doctor_id, weekday, start_time, end_time, effective_from)
             select $1, w, '09:00', '17:00', $2::date - 1 from generate_series(1, 5) w",
        )
        .bind(doctor_id)
        .bind(t0.date_naive())
        .execute(pool)
        .await
        .map_err(fail("adding hours"))?;
    }
    Ok(())
}

async fn new_patient(pool: &PgPool, n: usize) -> Result<ActingUser, String> {
    let (user_id, patient_id): (i64, i64) = sqlx::query_as(
        "with u as (insert into users (email, role, password_hash)
                    values ('sim-patient' || $1 || '@sim.test', 'patient', 'x') returning user_id)
         insert into patients (user_id, first_name, last_name)
         select user_id, 'Sim', 'Patient ' || $1 from u returning user_id, patient_id",
    )
    .bind(n as i64)
    .fetch_one(pool)
    .await
    .map_err(fail("adding a patient"))?;
    Ok(ActingUser {
        user_id,
        role: ActingRole::Patient { patient_id },
        request_id: None,
    })
}

fn patient_id(by: &ActingUser) -> i64 {
    match by.role {
        ActingRole::Patient { patient_id } => patient_id,
        ActingRole::Staff { .. } => 0,
    }
}

async fn book(
    pool: &PgPool,
    policy: &ClinicPolicy,
    by: &ActingUser,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64, app::AppError> {
    let hold = booking::hold(pool, policy, by, patient_id(by), start, 1, now).await?;
    Ok(booking::confirm(
        pool,
        policy,
        by,
        Confirmation {
            patient_id: patient_id(by),
            hold_token: hold.token,
            reason: None,
            idempotency_key: uuid::Uuid::new_v4(),
        },
        now,
    )
    .await?
    .appointment_id)
}

/// Random limits as patients give them: half any time, a quarter one part of the day, a
/// quarter three weekdays.
fn limits(rng: &mut fastrand::Rng) -> (i16, &'static str) {
    match rng.u8(0..4) {
        0 | 1 => (127, "any"),
        2 => (127, ["morning", "afternoon"][rng.usize(0..2)]),
        _ => {
            let mut mask = 0i16;
            while mask.count_ones() < 3 {
                mask |= 1 << rng.u8(0..5);
            }
            (mask, "any")
        }
    }
}

async fn ask_earlier(
    pool: &PgPool,
    by: &ActingUser,
    appointment_id: i64,
    rng: &mut fastrand::Rng,
    since: DateTime<Utc>,
) -> Result<(), String> {
    let (weekdays, part) = limits(rng);
    let mut conn = pool.acquire().await.map_err(fail("connecting"))?;
    app::db::waitlist::join(
        &mut conn,
        &app::db::waitlist::NewEntry {
            patient_id: patient_id(by),
            appointment_type_id: 1,
            appointment_id: Some(appointment_id),
            weekdays,
            part_of_day: part,
            not_before: None,
        },
        since,
    )
    .await
    .map_err(fail("joining the waitlist"))?;
    Ok(())
}

/// When a visit booked at `now` for `start` is cancelled, if it is.
fn cancel_moment(
    rng: &mut fastrand::Rng,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let last = start - Duration::hours(25);
    (rng.f64() < CANCEL_SHARE && last > now).then(|| {
        let span = (last - now).num_minutes().max(1);
        now + Duration::minutes(rng.i64(0..span))
    })
}

/// The simulated month (see the module comment). Returns its figures as JSON.
pub async fn simulate(pool: &PgPool, o: &Options) -> Result<serde_json::Value, String> {
    let clock = Instant::now();
    let mut rng = fastrand::Rng::with_seed(o.seed);
    let policy = app::db::settings::clinic_policy(pool)
        .await
        .map_err(fail("policy"))?;
    // The virtual clock starts at the top of the current hour.
    let t0 = Utc::now()
        .duration_trunc(Duration::hours(1))
        .map_err(fail("clock"))?;
    let end = t0 + Duration::days(o.days);
    setup_clinic(pool, o.doctors, t0).await?;
    app::services::schedule::materialize_slots(pool, &policy, t0)
        .await
        .map_err(fail("materialize"))?;

    // The starting book: 70% of the open times, each a new patient's visit.
    let starts: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
        "select doctor_id, start_time from availability_slots
          where status = 'free' and start_time > $1 order by start_time, doctor_id",
    )
    .bind(t0 + Duration::hours(3))
    .fetch_all(pool)
    .await
    .map_err(fail("open slots"))?;
    let mut patients = 0usize;
    let mut cancels: BTreeMap<(DateTime<Utc>, i64), Visit> = BTreeMap::new();
    for (_, start) in starts {
        if rng.f64() >= 0.7 {
            continue;
        }
        patients += 1;
        let by = new_patient(pool, patients).await?;
        let Ok(id) = book(pool, &policy, &by, start, t0).await else {
            continue;
        };
        if start - t0 >= Duration::days(10) && rng.f64() < ASK_EARLIER_SHARE {
            let since = t0 - Duration::minutes(rng.i64(0..20 * 24 * 60));
            ask_earlier(pool, &by, id, &mut rng, since).await?;
        }
        if let Some(at) = cancel_moment(&mut rng, t0, start) {
            cancels.insert(
                (at, id),
                Visit {
                    appointment_id: id,
                    patient: by,
                },
            );
        }
    }
    let initial_visits = patients;

    let mut freed: Vec<(i64, DateTime<Utc>)> = Vec::new();
    let mut takes: BTreeMap<(DateTime<Utc>, i64), String> = BTreeMap::new();
    let (mut taken, mut beaten, mut late) = (0u64, 0u64, 0u64);
    let mut demand = 0.0;
    let steps = o.days * 24 * 60 / STEP_MINUTES;
    let mut day = t0.date_naive();
    for step in 0..steps {
        let now = t0 + Duration::minutes(step * STEP_MINUTES);
        if now.date_naive() != day {
            day = now.date_naive();
            app::services::schedule::materialize_slots(pool, &policy, now)
                .await
                .map_err(fail("materialize"))?;
        }
        // Cancellations due.
        let due: Vec<(DateTime<Utc>, i64)> =
            cancels.range(..=(now, i64::MAX)).map(|(k, _)| *k).collect();
        for key in due {
            let visit = cancels.remove(&key).expect("listed");
            if let Ok(a) =
                booking::cancel(pool, &policy, &visit.patient, visit.appointment_id, now).await
            {
                if a.start - now > Duration::days(1) && a.start < end {
                    freed.push((a.doctor_id, a.start));
                }
            }
        }
        // New patients book.
        demand += BOOKINGS_PER_DOCTOR_DAY * o.doctors as f64 * STEP_MINUTES as f64 / (24.0 * 60.0);
        while demand >= 1.0 {
            demand -= 1.0;
            let wanted = now + Duration::days(rng.i64(1..=30));
            let first: Option<DateTime<Utc>> = sqlx::query_scalar(
                "select min(start_time) from availability_slots
                  where status = 'free' and start_time >= $1 and start_time > $2",
            )
            .bind(wanted)
            .bind(now + policy.min_notice())
            .fetch_one(pool)
            .await
            .map_err(fail("first open time"))?;
            let Some(start) = first else { continue };
            patients += 1;
            let by = new_patient(pool, patients).await?;
            let Ok(id) = book(pool, &policy, &by, start, now).await else {
                continue;
            };
            if start - now >= Duration::days(10) && rng.f64() < ASK_EARLIER_SHARE {
                ask_earlier(pool, &by, id, &mut rng, now).await?;
            }
            if let Some(at) = cancel_moment(&mut rng, now, start) {
                cancels.insert(
                    (at, id),
                    Visit {
                        appointment_id: id,
                        patient: by,
                    },
                );
            }
        }
        if !o.waitlist {
            continue;
        }
        engine::run(pool, now).await.map_err(fail("engine"))?;
        // Each new offer: taken by its patient with some probability, some time later.
        let offers: Vec<(i64, String)> = sqlx::query_as(
            "select f.offer_id, n.secret from waitlist_offers f
               join notifications n on n.waitlist_offer_id = f.offer_id and n.channel = 'email'
              where f.created_at = $1",
        )
        .bind(now)
        .fetch_all(pool)
        .await
        .map_err(fail("new offers"))?;
        for (offer_id, secret) in offers {
            if rng.f64() < TAKE_SHARE {
                let at = now + Duration::minutes(rng.i64(5..=180));
                takes.insert(
                    (at, offer_id),
                    secret.trim_start_matches("token=").to_owned(),
                );
            }
        }
        let due: Vec<(DateTime<Utc>, i64)> =
            takes.range(..=(now, i64::MAX)).map(|(k, _)| *k).collect();
        for key in due {
            let token = takes.remove(&key).expect("listed");
            let mut conn = pool.acquire().await.map_err(fail("connecting"))?;
            let offer = app::db::waitlist::offers::by_token(&mut conn, &token)
                .await
                .map_err(fail("offer"))?;
            drop(conn);
            let Some(offer) = offer else { continue };
            match booking::take_offer(pool, &policy, &offer, None, now, no_longer_valid).await {
                Ok(booking::OfferTaken::Booked(_)) => taken += 1,
                // Busy cannot happen here (one taker at a time); counted with the beaten.
                Ok(booking::OfferTaken::ByAnother | booking::OfferTaken::Busy) => beaten += 1,
                Err(_) => late += 1,
            }
        }
    }

    // Of the times freed more than a day ahead whose moment passed: booked again?
    let passed: Vec<&(i64, DateTime<Utc>)> = freed.iter().filter(|(_, s)| *s < end).collect();
    let (mut rebooked, mut by_offer) = (0u64, 0u64);
    for (doctor_id, start) in &passed {
        let (again, offered): (bool, bool) = sqlx::query_as(
            "select exists (select 1 from appointments where doctor_id = $1 and start_time = $2
                             and status = 'booked'),
                    exists (select 1 from waitlist_openings where doctor_id = $1
                             and start_time = $2 and outcome = 'filled')",
        )
        .bind(doctor_id)
        .bind(start)
        .fetch_one(pool)
        .await
        .map_err(fail("re-booked"))?;
        rebooked += u64::from(again);
        by_offer += u64::from(again && offered);
    }
    let (via_waitlist, median_days, offers_sent): (i64, Option<f64>, i64) = sqlx::query_as(
        "select (select count(*) from waitlist_openings where outcome = 'filled'),
                (select percentile_cont(0.5) within group (order by days_gained)
                   from waitlist_openings where outcome = 'filled' and days_gained is not null),
                (select count(*) from waitlist_offers)",
    )
    .fetch_one(pool)
    .await
    .map_err(fail("figures"))?;
    let invariants: i64 = sqlx::query_scalar(
        "select count(*) from appointments a join appointments b
           on a.doctor_id = b.doctor_id and a.appointment_id < b.appointment_id
          and tstzrange(a.start_time, a.end_time) && tstzrange(b.start_time, b.end_time)
          where a.status <> 'cancelled' and b.status <> 'cancelled'",
    )
    .fetch_one(pool)
    .await
    .map_err(fail("invariants"))?;
    let waiting: i64 =
        sqlx::query_scalar("select count(*) from waitlist_entries where ended_at is null")
            .fetch_one(pool)
            .await
            .map_err(fail("waiting"))?;
    Ok(serde_json::json!({
        "waitlist": o.waitlist,
        "doctors": o.doctors,
        "days": o.days,
        "seed": o.seed,
        "bookings_per_doctor_day": BOOKINGS_PER_DOCTOR_DAY,
        "initial_visits": initial_visits,
        "new_patients": patients - initial_visits,
        "freed_more_than_a_day_ahead": passed.len(),
        "rebooked": rebooked,
        "rebooked_share": if passed.is_empty() { 0.0 } else { rebooked as f64 / passed.len() as f64 },
        "rebooked_by_an_offer": by_offer,
        "refilled_via_waitlist": via_waitlist,
        "median_days_gained": median_days,
        "offers_sent": offers_sent,
        "offers_taken": taken,
        "offers_beaten": beaten,
        "offers_answered_too_late": late,
        "offers_per_refill": if via_waitlist > 0 { offers_sent as f64 / via_waitlist as f64 } else { 0.0 },
        "still_waiting_at_end": waiting,
        "doctor_overlaps": invariants,
        "seconds": clock.elapsed().as_secs_f64(),
    }))
}

/// Real time from a cancellation's commit to its first offer in the outbox, with the
/// engine looping every second as in the server (see the module comment).
pub async fn latency(pool: &PgPool, samples: usize) -> Result<serde_json::Value, String> {
    let policy = app::db::settings::clinic_policy(pool)
        .await
        .map_err(fail("policy"))?;
    let now = Utc::now();
    setup_clinic(pool, 2, now).await?;
    // Every day, so the run does not depend on the weekday.
    sqlx::query(
        "insert into weekly_hours (doctor_id, weekday, start_time, end_time, effective_from)
         select doctor_id, w, '09:00', '17:00', current_date - 1
           from doctors cross join generate_series(6, 7) w",
    )
    .execute(pool)
    .await
    .map_err(fail("weekend hours"))?;
    sqlx::query("update clinic_settings set waitlist_daily_cap = 20")
        .execute(pool)
        .await
        .map_err(fail("settings"))?;
    app::services::schedule::materialize_slots(pool, &policy, now)
        .await
        .map_err(fail("materialize"))?;
    let open: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "select distinct start_time from availability_slots
          where status = 'free' and start_time > $1 and start_time < $2
          order by start_time",
    )
    .bind(now + Duration::days(2))
    .bind(now + policy.booking_horizon() - Duration::days(1))
    .fetch_all(pool)
    .await
    .map_err(fail("open slots"))?;
    if open.len() < samples + 20 {
        return Err("not enough open times".into());
    }
    // Twenty patients wait with visits at the far end.
    for (i, start) in open.iter().rev().take(20).enumerate() {
        let by = new_patient(pool, 10_000 + i).await?;
        let id = book(pool, &policy, &by, *start, now)
            .await
            .map_err(fail("booking a waiter"))?;
        ask_earlier(pool, &by, id, &mut fastrand::Rng::with_seed(1), now).await?;
        sqlx::query("update waitlist_entries set weekdays = 127, part_of_day = 'any' where appointment_id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map_err(fail("limits"))?;
    }
    let engine_pool = pool.clone();
    let engine_loop = tokio::spawn(async move {
        let mut tick = tokio::time::interval(StdDuration::from_secs(1));
        loop {
            tick.tick().await;
            let _ = engine::run(&engine_pool, Utc::now()).await;
        }
    });
    let freer = new_patient(pool, 20_000).await?;
    let mut lags = Vec::new();
    for start in open.iter().take(samples) {
        let id = book(pool, &policy, &freer, *start, Utc::now())
            .await
            .map_err(fail("booking"))?;
        // Not on a tick boundary every time: the lag spreads over the engine's second.
        tokio::time::sleep(StdDuration::from_millis(137 * (lags.len() as u64 % 7))).await;
        booking::cancel(pool, &policy, &freer, id, Utc::now())
            .await
            .map_err(fail("cancelling"))?;
        let committed = Instant::now();
        loop {
            let offered: bool = sqlx::query_scalar(
                "select exists (select 1 from notifications n
                                  join waitlist_offers f on f.offer_id = n.waitlist_offer_id
                                  join waitlist_openings o using (opening_id)
                                 where o.start_time = $1)",
            )
            .bind(start)
            .fetch_one(pool)
            .await
            .map_err(fail("polling"))?;
            if offered {
                break;
            }
            if committed.elapsed() > StdDuration::from_secs(30) {
                engine_loop.abort();
                return Err("no offer within 30 s".into());
            }
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
        lags.push(committed.elapsed());
        // The offered patients answer nothing; free them for the next sample.
        sqlx::query("update waitlist_offers set outcome = 'expired', answered_at = now() where outcome is null")
            .execute(pool)
            .await
            .map_err(fail("expiring"))?;
    }
    engine_loop.abort();
    lags.sort();
    let ms = |d: StdDuration| d.as_secs_f64() * 1000.0;
    Ok(serde_json::json!({
        "samples": lags.len(),
        "median_ms": ms(lags[lags.len() / 2]),
        "p90_ms": ms(lags[lags.len() * 9 / 10]),
        "max_ms": ms(*lags.last().expect("samples")),
    }))
}
