//! `server bench-availability`: seven days of open times, three ways, side by side on one
//! generated data set in one run (called by `cargo xtask bench`, which writes
//! `bench/RESULTS.md`):
//! - the in-memory index (`domain::slot_index`), as the finder now reads it;
//! - the seed design's SQL: `GROUP BY start_time` over free slots (a self-join for a
//!   two-slot visit), on the partial index of open slots;
//! - today's SQL path before the index (`availability::open_times`: open slots from
//!   PostgreSQL, runs found in Rust).
//!
//! Also the index's memory and full rebuild time, and how soon a change committed to the
//! database is visible in an index that follows it (NOTIFY → reload). Adds the patients
//! the HTTP benchmarks of `cargo xtask bench` sign in as. Prints one JSON object.

use std::time::{Duration as StdDuration, Instant};

use app::db;
use app::services::availability::{self, AvailabilityIndex};
use chrono::{DateTime, Duration, Utc};
use domain::visit_type::Need;
use sqlx::PgPool;

/// The data set: doctors × days × slots a day, `taken` of them booked.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub doctors: i64,
    pub days: i64,
    pub slots_per_day: i64,
    pub taken: f64,
}

impl Size {
    pub fn from_args(args: &[String]) -> Result<Self, String> {
        let mut size = Size {
            doctors: 500,
            days: 90,
            slots_per_day: 16,
            taken: 0.6,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = |v: &str| {
                v.parse::<i64>()
                    .map_err(|_| format!("{flag}: '{v}' is not a whole number"))
            };
            match flag.as_str() {
                "--doctors" => size.doctors = number(value)?.clamp(1, 5000),
                "--days" => size.days = number(value)?.clamp(7, 366),
                "--slots-per-day" => size.slots_per_day = number(value)?.clamp(2, 30),
                "--taken" => {
                    size.taken = value
                        .parse::<f64>()
                        .ok()
                        .filter(|t| (0.0..1.0).contains(t))
                        .ok_or_else(|| format!("--taken: '{value}' is not a fraction below 1"))?
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(size)
    }
}

/// Adds the generated doctors and slots (30-minute slots from 08:00 clinic time, from
/// tomorrow on, with weekly hours to match) and makes them the only active doctors. The
/// slot upkeep then adds what is left of today and one more day (the horizon) as open.
async fn generate(pool: &PgPool, size: Size) -> Result<(), sqlx::Error> {
    // A fresh, migrated database (`cargo xtask bench` makes one): nothing to clear.
    let mut tx = pool.begin().await?;
    sqlx::query(
        "update clinic_settings set slot_minutes = 30,
                booking_horizon_days = least(366, $1 + 1)",
    )
    .bind(size.days as i32)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into users (email, role, password_hash)
         select 'bench-doctor-' || g || '@bench.test', 'doctor', null from generate_series(1, $1) g
         on conflict (email) do nothing",
    )
    .bind(size.doctors)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into doctors (user_id, first_name, last_name)
         select u.user_id, 'Bench', 'Doctor ' || u.user_id from users u
          where u.email like 'bench-doctor-%@bench.test'
            and not exists (select 1 from doctors d where d.user_id = u.user_id)",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("update doctors set active = (user_id in (select user_id from users where email like 'bench-doctor-%@bench.test'))")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into availability_slots (doctor_id, start_time, end_time, status)
         select d.doctor_id, t, t + interval '30 minutes',
                case when random() < $3 then 'booked' else 'free' end
           from doctors d
           cross join clinic_settings c
           cross join generate_series(1, $1) day
           cross join generate_series(0, $2 - 1) slot
           cross join lateral (select ((current_date + day)::timestamp + interval '8 hours'
                                       + slot * interval '30 minutes') at time zone c.time_zone as t) s
          where d.active",
    )
    .bind(size.days as i32)
    .bind(size.slots_per_day as i32)
    .bind(size.taken)
    .execute(&mut *tx)
    .await?;
    // Weekly hours that match the slots, so that a server's slot upkeep keeps them (and
    // fills the days up to the horizon the same way).
    sqlx::query(
        "insert into weekly_hours (doctor_id, weekday, start_time, end_time, effective_from)
         select d.doctor_id, w, time '08:00', time '08:00' + $1 * interval '30 minutes',
                current_date - 1
           from doctors d cross join generate_series(1, 7) w
          where d.active",
    )
    .bind(size.slots_per_day as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("analyze availability_slots")
        .execute(pool)
        .await?;
    Ok(())
}

/// Patients the HTTP booking benchmark signs in as: `bench-patient-<n>@bench.test`,
/// n in `1..=BENCH_PATIENTS`, all with [`BENCH_PASSWORD`].
pub const BENCH_PATIENTS: i64 = 256;
pub const BENCH_PASSWORD: &str = "bench password, not a secret";

/// Adds the benchmark's patients (one password hash for all: hashing is slow on purpose)
/// and lets each hold the most upcoming visits the policy allows.
async fn add_patients(pool: &PgPool) -> Result<(), String> {
    let hash = app::services::auth::password::hash_password(BENCH_PASSWORD.to_owned())
        .await
        .map_err(|e| format!("hashing the bench password: {e}"))?;
    let fail = |e: sqlx::Error| format!("adding the bench patients: {e}");
    let mut tx = pool.begin().await.map_err(fail)?;
    let since = Utc::now() - Duration::minutes(1);
    for n in 1..=BENCH_PATIENTS {
        let user_id = db::users::insert_user(
            &mut tx,
            &format!("bench-patient-{n}@bench.test"),
            domain::role::Role::Patient,
            &hash,
            since,
        )
        .await
        .map_err(fail)?;
        db::users::insert_patient(&mut tx, user_id, "Bench", &format!("Patient {n}"), None)
            .await
            .map_err(fail)?;
    }
    sqlx::query("update clinic_settings set max_active_appointments = 100")
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    tx.commit().await.map_err(fail)
}

/// How soon a slot change committed to the database is visible in an index following it
/// on its own listener connection (as another instance's would be): `changes` slots are
/// blocked and freed again, one at a time, each measured from its commit.
async fn notify_lag(pool: &PgPool, changes: i64) -> Result<Timing, String> {
    let fail = |e: sqlx::Error| format!("notify lag: {e}");
    let policy = db::settings::clinic_policy(pool)
        .await
        .map_err(|e| format!("notify lag: {e}"))?;
    let index = AvailabilityIndex::start(pool.clone());
    let started = Instant::now();
    while !index.is_ready() {
        if started.elapsed() > StdDuration::from_secs(120) {
            return Err("notify lag: the index was not built within 2 minutes".into());
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    let now = Utc::now();
    let free: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
        "select doctor_id, start_time from availability_slots
          where status = 'free' and start_time > now() + interval '2 days'
          order by random() limit $1",
    )
    .bind(changes)
    .fetch_all(pool)
    .await
    .map_err(fail)?;
    let doctors_at = |t: DateTime<Utc>| {
        index
            .answer(&policy, |i| {
                i.open_times(1, t, t + Duration::minutes(1), now)
                    .first()
                    .map_or(0, |o| o.doctors)
            })
            .unwrap_or(u32::MAX)
    };
    let mut samples = Vec::new();
    for (doctor_id, start) in free {
        for (status, change) in [("blocked", -1_i64), ("free", 1)] {
            let before = i64::from(doctors_at(start));
            sqlx::query(
                "update availability_slots set status = $3 where doctor_id = $1 and start_time = $2",
            )
            .bind(doctor_id)
            .bind(start)
            .bind(status)
            .execute(pool)
            .await
            .map_err(fail)?;
            let committed = Instant::now();
            while i64::from(doctors_at(start)) != before + change {
                if committed.elapsed() > StdDuration::from_secs(5) {
                    index.stop();
                    return Err("notify lag: a change was not visible within 5 s".into());
                }
                tokio::time::sleep(StdDuration::from_micros(200)).await;
            }
            samples.push(committed.elapsed());
        }
    }
    index.stop();
    Ok(summarize(samples))
}

/// The seed design's availability query.
async fn seed_sql(
    pool: &PgPool,
    k: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    among: Option<&[i64]>,
) -> Result<usize, sqlx::Error> {
    // The seed's query as it was for every doctor; narrowed to some doctors the way a
    // visit type's or a chosen doctor's times would be asked of it. (An always-true
    // `$3 is null or …` in the every-doctor case changes the seed's plan: not its query.)
    let (one, two) = match among {
        None => ("", ""),
        Some(_) => (" and doctor_id = any($3)", " and a.doctor_id = any($3)"),
    };
    let sql = if k == 1 {
        format!(
            "select start_time, count(*) from availability_slots
              where status = 'free' and start_time >= $1 and start_time < $2{one}
              group by start_time order by start_time"
        )
    } else {
        format!(
            "select a.start_time, count(*) from availability_slots a
               join availability_slots b on b.doctor_id = a.doctor_id and b.start_time = a.end_time
              where a.status = 'free' and b.status = 'free'
                and a.start_time >= $1 and a.start_time < $2{two}
              group by a.start_time order by a.start_time"
        )
    };
    let query = sqlx::query_as(&sql).bind(from).bind(to);
    let query = match among {
        Some(ids) => query.bind(ids),
        None => query,
    };
    let rows: Vec<(DateTime<Utc>, i64)> = query.fetch_all(pool).await?;
    Ok(rows.len())
}

#[derive(Debug, Clone, Copy)]
struct Timing {
    median_us: f64,
    p99_us: f64,
}

fn summarize(mut samples: Vec<StdDuration>) -> Timing {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    Timing {
        median_us: at(0.5),
        p99_us: at(0.99),
    }
}

fn json(t: Timing) -> serde_json::Value {
    serde_json::json!({ "median_us": t.median_us, "p99_us": t.p99_us })
}

pub async fn run(pool: &PgPool, size: Size) -> Result<serde_json::Value, String> {
    let fail = |what: &str| {
        let what = what.to_owned();
        move |e: sqlx::Error| format!("{what}: {e}")
    };
    let generated = Instant::now();
    generate(pool, size)
        .await
        .map_err(fail("generating the data set"))?;
    let policy = db::settings::clinic_policy(pool)
        .await
        .map_err(|e| format!("reading the policy: {e}"))?;
    app::services::schedule::materialize_slots(pool, &policy, Utc::now())
        .await
        .map_err(|e| format!("materialising slots: {e}"))?;
    add_patients(pool).await?;
    let generate_s = generated.elapsed().as_secs_f64();
    let slots: i64 = sqlx::query_scalar("select count(*) from availability_slots")
        .fetch_one(pool)
        .await
        .map_err(fail("counting"))?;

    let rebuilt = Instant::now();
    let index = AvailabilityIndex::load(pool)
        .await
        .map_err(|e| format!("building the index: {e}"))?;
    let rebuild_ms = rebuilt.elapsed().as_secs_f64() * 1e3;
    let now = Utc::now();
    let tz = policy.time_zone();
    // Week starts spread over the horizon, the same for every method.
    let weeks: Vec<DateTime<Utc>> = (0..(size.days - 8).max(1))
        .map(|d| {
            let date = domain::schedule::local_date(tz, now) + Duration::days(1 + d);
            domain::schedule::local_day_bounds(tz, date).0
        })
        .collect();
    let mut report = serde_json::Map::new();
    // Every doctor for the two built-in types; a type offered by a tenth of the doctors;
    // one doctor a patient chose.
    let doctor_ids: Vec<i64> =
        sqlx::query_scalar("select doctor_id from doctors where active order by doctor_id")
            .fetch_all(pool)
            .await
            .map_err(fail("listing doctors"))?;
    let tenth: Vec<i64> = doctor_ids.iter().copied().step_by(10).collect();
    let one = doctor_ids.get(doctor_ids.len() / 2).copied().unwrap_or(1);
    let need = |visit: i32, among: Option<Vec<i64>>| Need {
        visit,
        buffer: 0,
        among,
    };
    for (name, need) in [
        ("standard", need(1, None)),
        ("long", need(2, None)),
        ("tenth", need(1, Some(tenth))),
        ("one_doctor", need(1, Some(vec![one]))),
    ] {
        let k = need.slots() as usize;
        let rounds_sql = 40.min(weeks.len() * 4);
        let mut index_samples = Vec::new();
        let mut seed_samples = Vec::new();
        let mut path_samples = Vec::new();
        let mut agree = true;
        for round in 0..rounds_sql {
            let from = weeks[round % weeks.len()];
            let to = from + Duration::days(7);
            let started = Instant::now();
            let n_seed = seed_sql(pool, k, from, to, need.among.as_deref())
                .await
                .map_err(fail("seed SQL"))?;
            seed_samples.push(started.elapsed());
            let started = Instant::now();
            let path = availability::open_times(pool, &policy, &need, from, to, now)
                .await
                .map_err(fail("SQL path"))?;
            path_samples.push(started.elapsed());
            let from_index = index.open_times_of(need.doctors(), k, from, to, now);
            agree &= from_index == path && n_seed == path.len();
        }
        for round in 0..(rounds_sql * 50) {
            let from = weeks[round % weeks.len()];
            let started = Instant::now();
            let times = index.open_times_of(need.doctors(), k, from, from + Duration::days(7), now);
            index_samples.push(started.elapsed());
            std::hint::black_box(times);
        }
        let (i, s, p) = (
            summarize(index_samples),
            summarize(seed_samples),
            summarize(path_samples),
        );
        report.insert(
            name.to_owned(),
            serde_json::json!({
                "index": json(i),
                "seed_sql": json(s),
                "sql_path": json(p),
                "speedup_vs_seed_median": s.median_us / i.median_us,
                "speedup_vs_sql_path_median": p.median_us / i.median_us,
                "answers_agree": agree,
            }),
        );
    }
    report.insert(
        "data".to_owned(),
        serde_json::json!({
            "doctors": size.doctors, "days": size.days, "slots_per_day": size.slots_per_day,
            "taken": size.taken, "slots": slots, "generate_s": generate_s,
        }),
    );
    let lag = notify_lag(pool, 100).await?;
    report.insert(
        "index".to_owned(),
        serde_json::json!({
            "doctor_days": index.doctor_days(),
            "approx_bytes": index.approx_bytes(),
            "rebuild_ms": rebuild_ms,
            "notify_lag": json(lag),
        }),
    );
    Ok(serde_json::Value::Object(report))
}
