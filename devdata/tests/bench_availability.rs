//! `cargo xtask bench availability` once on a tiny clinic: the benchmark runs, and its
//! three ways of reading availability (index, seed SQL, SQL path) give the same answers.

use devdata::bench::{run, Size};
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_availability_benchmark_runs_and_its_answers_agree(pool: PgPool) {
    let size = Size {
        doctors: 6,
        days: 10,
        slots_per_day: 8,
        taken: 0.5,
    };
    let report = run(&pool, size).await.unwrap();
    for visit in ["standard", "long"] {
        assert_eq!(report[visit]["answers_agree"], true, "{visit}: {report}");
        assert!(report[visit]["index"]["median_us"].as_f64().unwrap() > 0.0);
    }
    // The generated days, plus what the slot upkeep adds: the rest of today and the
    // horizon's last day.
    let slots = report["data"]["slots"].as_u64().unwrap();
    assert!((6 * 10 * 8..=6 * 12 * 8).contains(&slots), "{slots}");
    // A doctor-day with every slot taken holds nothing.
    let days = report["index"]["doctor_days"].as_u64().unwrap();
    assert!((1..=6 * 12).contains(&days), "{days}");
    let lag = report["index"]["notify_lag"]["median_us"].as_f64().unwrap();
    assert!(lag > 0.0 && lag < 1e6, "{lag}");
}
