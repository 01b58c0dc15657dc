//! Materialising slots from weekly hours up to the booking horizon.
//!
//! Idempotent: a second run adds nothing. When hours change, only *free* future slots
//! are added or removed; held, booked and blocked slots stay as they are (a booked slot
//! outside new hours is the staff's to resolve, not the generator's to delete).

use chrono::{DateTime, Utc};
use domain::schedule::{generate_slots, local_date, local_day_bounds, validate_hours};
use domain::ClinicPolicy;
use sqlx::PgPool;

use crate::server::db;
use crate::AppError;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MaterializeReport {
    pub doctors: u32,
    pub inserted: u64,
    pub removed: u64,
    pub status_changed: u64,
}

/// Brings every active doctor's slots in `[now, end of the horizon's last day)` in line
/// with their weekly hours and the clinic holidays.
#[tracing::instrument(skip_all)]
pub async fn materialize_slots(
    pool: &PgPool,
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
) -> Result<MaterializeReport, AppError> {
    let tz = policy.time_zone();
    let first_day = local_date(tz, now);
    let last_day = local_date(tz, now + policy.booking_horizon());
    let (_, until) = local_day_bounds(tz, last_day);
    let holidays = db::schedule::holidays_between(pool, first_day, last_day).await?;
    let hours = db::schedule::hours_of_active_doctors(pool).await?;

    let mut report = MaterializeReport::default();
    for (doctor_id, intervals) in hours {
        report.doctors += 1;
        if let Err(err) = validate_hours(&intervals, policy.slot_length()) {
            // Stored hours that no longer fit (e.g. the slot length changed): keep the
            // doctor's existing slots and say so, rather than guess.
            tracing::warn!(doctor_id, error = %err, "weekly hours do not fit the clinic grid; slots left unchanged");
            continue;
        }
        let spans: Vec<_> =
            generate_slots(&intervals, first_day, last_day, tz, policy.slot_length())
                .into_iter()
                .filter(|s| s.start >= now && s.start < until)
                .collect();
        let (closed, open): (Vec<_>, Vec<_>) = spans
            .iter()
            .partition(|s| holidays.contains(&local_date(tz, s.start)));
        let starts = |v: &[_]| {
            v.iter()
                .map(|s: &domain::schedule::SlotSpan| s.start)
                .collect::<Vec<_>>()
        };
        let (open_starts, closed_starts) = (starts(&open), starts(&closed));
        let keep: Vec<DateTime<Utc>> = spans.iter().map(|s| s.start).collect();

        let mut tx = pool.begin().await?;
        report.removed +=
            db::slots::delete_unused_not_in(&mut tx, doctor_id, now, until, &keep).await?;
        report.inserted += db::slots::insert_missing(&mut tx, doctor_id, &open, "free").await?;
        report.inserted +=
            db::slots::insert_missing(&mut tx, doctor_id, &closed, "holiday").await?;
        report.status_changed +=
            db::slots::set_open_status(&mut tx, doctor_id, &closed_starts, "free", "holiday")
                .await?;
        report.status_changed +=
            db::slots::set_open_status(&mut tx, doctor_id, &open_starts, "holiday", "free").await?;
        tx.commit().await?;
    }
    tracing::info!(
        doctors = report.doctors,
        inserted = report.inserted,
        removed = report.removed,
        status_changed = report.status_changed,
        "slots materialised"
    );
    Ok(report)
}
