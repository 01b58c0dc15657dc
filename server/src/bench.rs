//! `server bench-availability`: seven days of open times, three ways, side by side on one
//! generated data set in one run (called by `cargo xtask bench`, which writes
//! `bench/RESULTS.md`):
//! - the in-memory index (`domain::slot_index`), as the finder now reads it;
//! - the seed design's SQL: `GROUP BY start_time` over free slots (a self-join for a
//!   two-slot visit), on the partial index of open slots;
//! - today's SQL path before the index (`availability::open_times`: open slots from
//!   PostgreSQL, runs found in Rust).
//!
//! Also the index's memory and full rebuild time. Prints one JSON object.

use std::time::{Duration as StdDuration, Instant};

use app::server::availability::{self, AvailabilityIndex};
use app::server::db;
use chrono::{DateTime, Duration, Utc};
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
                "--slots-per-day" => size.slots_per_day = number(value)?.clamp(2, 40),
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
/// tomorrow on) and makes them the only active doctors.
async fn generate(pool: &PgPool, size: Size) -> Result<(), sqlx::Error> {
    // A fresh, migrated database (`cargo xtask bench` makes one): nothing to clear.
    let mut tx = pool.begin().await?;
    sqlx::query(
        "update clinic_settings set slot_minutes = 30,
                booking_horizon_days = least(366, greatest(booking_horizon_days, $1 + 2))",
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
    tx.commit().await?;
    sqlx::query("analyze availability_slots")
        .execute(pool)
        .await?;
    Ok(())
}

/// The seed design's availability query.
async fn seed_sql(
    pool: &PgPool,
    k: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let rows: Vec<(DateTime<Utc>, i64)> = if k == 1 {
        sqlx::query_as(
            "select start_time, count(*) from availability_slots
              where status = 'free' and start_time >= $1 and start_time < $2
              group by start_time order by start_time",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
    } else {
        sqlx::query_as(
            "select a.start_time, count(*) from availability_slots a
               join availability_slots b on b.doctor_id = a.doctor_id and b.start_time = a.end_time
              where a.status = 'free' and b.status = 'free'
                and a.start_time >= $1 and a.start_time < $2
              group by a.start_time order by a.start_time",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
    };
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
    let generate_s = generated.elapsed().as_secs_f64();
    let policy = db::settings::clinic_policy(pool)
        .await
        .map_err(|e| format!("reading the policy: {e}"))?;
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
    for (name, k) in [("standard", 1_usize), ("long", 2)] {
        let rounds_sql = 40.min(weeks.len() * 4);
        let mut index_samples = Vec::new();
        let mut seed_samples = Vec::new();
        let mut path_samples = Vec::new();
        let mut agree = true;
        for round in 0..rounds_sql {
            let from = weeks[round % weeks.len()];
            let to = from + Duration::days(7);
            let started = Instant::now();
            let n_seed = seed_sql(pool, k, from, to)
                .await
                .map_err(fail("seed SQL"))?;
            seed_samples.push(started.elapsed());
            let started = Instant::now();
            let path = availability::open_times(pool, &policy, k, from, to, now)
                .await
                .map_err(fail("SQL path"))?;
            path_samples.push(started.elapsed());
            let from_index = index.open_times(k, from, to, now);
            agree &= from_index == path && n_seed == path.len();
        }
        for round in 0..(rounds_sql * 50) {
            let from = weeks[round % weeks.len()];
            let started = Instant::now();
            let times = index.open_times(k, from, from + Duration::days(7), now);
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
    report.insert(
        "index".to_owned(),
        serde_json::json!({
            "doctor_days": index.doctor_days(),
            "approx_bytes": index.approx_bytes(),
            "rebuild_ms": rebuild_ms,
        }),
    );
    Ok(serde_json::Value::Object(report))
}
