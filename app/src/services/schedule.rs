//! Slots from weekly hours up to the booking horizon, and the changes that move them:
//! clinic holidays and a doctor's new weekly hours.
//!
//! Idempotent: a second run adds nothing. When hours change or a holiday is set, every
//! *unbooked* future slot (free, held or lapsed-held) follows at once, in the same
//! transaction as the change: a held time on a new holiday is no longer offered, and a
//! hold there ends. Booked slots stay; their appointments go through PRODUCT.md rule 6
//! (`reassignment`). Blocked slots are the doctor's and stay as they are.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use domain::hours::{apply_from, day_changes, planned_changes_after, DayChange, WeekPattern};
use domain::schedule::{
    generate_slots, local_date, local_day_bounds, validate_hours, SlotSpan, WeeklyInterval,
};
use domain::ClinicPolicy;
use sqlx::{PgConnection, PgPool};

use crate::db::{self, attention::Cause};
use crate::error::AppError;
use crate::services::reassignment;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MaterializeReport {
    pub doctors: u32,
    pub inserted: u64,
    pub removed: u64,
    pub status_changed: u64,
}

/// The span slots are kept for: from `now` to the end of the horizon's last local day.
fn horizon(policy: &ClinicPolicy, now: DateTime<Utc>) -> (NaiveDate, NaiveDate, DateTime<Utc>) {
    let tz = policy.time_zone();
    let first_day = local_date(tz, now);
    let last_day = local_date(tz, now + policy.booking_horizon());
    let (_, until) = local_day_bounds(tz, last_day);
    (first_day, last_day, until)
}

/// Brings every active doctor's slots in `[now, end of the horizon's last day)` in line
/// with their weekly hours and the clinic holidays.
#[tracing::instrument(skip_all)]
pub async fn materialize_slots(
    pool: &PgPool,
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
) -> Result<MaterializeReport, AppError> {
    let (first_day, last_day, _) = horizon(policy, now);
    let holidays = db::schedule::holidays_between(pool, first_day, last_day).await?;
    let hours = db::schedule::hours_of_active_doctors(pool).await?;

    let mut report = MaterializeReport::default();
    for (doctor_id, intervals) in hours {
        report.doctors += 1;
        let mut tx = pool.begin().await?;
        if let Some(doctor) =
            materialize_doctor(&mut tx, policy, doctor_id, &intervals, &holidays, now).await?
        {
            report.inserted += doctor.inserted;
            report.removed += doctor.removed;
            report.status_changed += doctor.status_changed;
        }
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

/// One doctor's slots brought in line with `intervals` and `holidays`, inside the
/// caller's transaction. `None` when the stored hours no longer fit the clinic grid (e.g.
/// the slot length changed): the doctor's slots are left as they are, and that is logged.
async fn materialize_doctor(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    doctor_id: i64,
    intervals: &[WeeklyInterval],
    holidays: &BTreeSet<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Option<MaterializeReport>, AppError> {
    if let Err(err) = validate_hours(intervals, policy.slot_length()) {
        tracing::warn!(doctor_id, error = %err, "weekly hours do not fit the clinic grid; slots left unchanged");
        return Ok(None);
    }
    let tz = policy.time_zone();
    let (first_day, last_day, until) = horizon(policy, now);
    let spans: Vec<_> = generate_slots(intervals, first_day, last_day, tz, policy.slot_length())
        .into_iter()
        .filter(|s| s.start >= now && s.start < until)
        .collect();
    let (closed, open): (Vec<SlotSpan>, Vec<SlotSpan>) = spans
        .iter()
        .partition(|s| holidays.contains(&local_date(tz, s.start)));
    let starts = |v: &[SlotSpan]| v.iter().map(|s| s.start).collect::<Vec<_>>();
    let keep = starts(&spans);
    db::slots::keep_when_freed(conn, doctor_id, &keep).await?;
    Ok(Some(MaterializeReport {
        doctors: 1,
        removed: db::slots::delete_unused_not_in(conn, doctor_id, now, until, &keep).await?,
        inserted: db::slots::insert_missing(conn, doctor_id, &open, "free").await?
            + db::slots::insert_missing(conn, doctor_id, &closed, "holiday").await?,
        status_changed: db::slots::close_for_holiday(conn, doctor_id, &starts(&closed)).await?
            + db::slots::reopen_after_holiday(conn, doctor_id, &starts(&open)).await?,
    }))
}

/// Closes the clinic on `date`: every doctor's unbooked slots that day close at once
/// (live holds there end), and that day's booked visits go through rule 6 — with every
/// doctor closed, they all wait for staff.
pub async fn add_holiday(
    pool: &PgPool,
    policy: &ClinicPolicy,
    date: NaiveDate,
    name: &str,
    now: DateTime<Utc>,
) -> Result<reassignment::Outcome, AppError> {
    set_holiday(
        pool,
        policy,
        reassignment::Actor::SYSTEM,
        date,
        name,
        now,
        true,
    )
    .await
}

/// [`add_holiday`], committed (`commit`) or rolled back: the preview says what adding it
/// would do at that moment.
pub async fn set_holiday(
    pool: &PgPool,
    policy: &ClinicPolicy,
    actor: reassignment::Actor,
    date: NaiveDate,
    name: &str,
    now: DateTime<Utc>,
    commit: bool,
) -> Result<reassignment::Outcome, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::validation(
            "name",
            "Please name the holiday (at most 100 characters).",
        ));
    }
    let today = local_date(policy.time_zone(), now);
    if date < today || (date - today).num_days() > 2 * 366 {
        return Err(AppError::validation(
            "date",
            "Choose a day from today to two years ahead.",
        ));
    }
    let (day_start, day_end) = local_day_bounds(policy.time_zone(), date);
    let mut tx = pool.begin().await?;
    if !db::schedule::insert_holiday(&mut tx, date, name).await? {
        return Err(AppError::validation(
            "date",
            "That day is already a clinic holiday.",
        ));
    }
    db::slots::close_all_between(&mut tx, day_start.max(now), day_end).await?;
    let affected =
        db::slots::booked_appointments_outside(&mut tx, None, day_start.max(now), day_end, &[])
            .await?;
    let outcome =
        reassignment::reassign_appointments(&mut tx, policy, actor, &affected, Cause::Holiday, now)
            .await?;
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(outcome)
}

/// Opens the clinic again on `date`: the doctors' slots that day are offered again (the
/// visits staff already handled stay as they are). `false` when it was no holiday.
pub async fn remove_holiday(
    pool: &PgPool,
    policy: &ClinicPolicy,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if (date - local_date(policy.time_zone(), now))
        .num_days()
        .abs()
        > 20 * 366
    {
        return Ok(false);
    }
    let (day_start, day_end) = local_day_bounds(policy.time_zone(), date);
    let mut tx = pool.begin().await?;
    if !db::schedule::delete_holiday(&mut tx, date).await? {
        return Ok(false);
    }
    db::slots::clear_release_between(&mut tx, None, day_start, day_end, "holiday").await?;
    tx.commit().await?;
    // Each doctor's slots that day reopen by their own hours.
    materialize_slots(pool, policy, now).await?;
    Ok(true)
}

/// What a change of weekly hours did (or, previewed, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursChange {
    /// Free times newly offered within the booking horizon.
    pub added: u64,
    /// Free (or held) times no longer offered.
    pub removed: u64,
    /// Booked visits outside the new hours, moved or queued (rule 6).
    pub visits: reassignment::Outcome,
}

/// Replaces a doctor's weekly hours inside the caller's transaction: their unbooked
/// future slots follow at once, and booked visits outside the new hours go through
/// rule 6. The doctor's row is locked first, so edits of one doctor's hours queue.
///
/// Order matters under concurrency: unused slots outside the new hours go first (the
/// delete waits for any booking holding them), and only then are the booked visits
/// outside the hours gathered — so a booking that slipped in before is gathered too.
pub async fn apply_hours(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    actor: reassignment::Actor,
    doctor_id: i64,
    intervals: &[WeeklyInterval],
    now: DateTime<Utc>,
) -> Result<HoursChange, AppError> {
    validate_hours(intervals, policy.slot_length())
        .map_err(|err| AppError::validation("hours", err.to_string()))?;
    if db::schedule::lock_hours_of(conn, doctor_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    let (first_day, last_day, until) = horizon(policy, now);
    let holidays = db::schedule::holidays_between(&mut *conn, first_day, last_day).await?;
    db::schedule::replace_hours(conn, doctor_id, intervals).await?;
    let first = materialize_doctor(conn, policy, doctor_id, intervals, &holidays, now)
        .await?
        .unwrap_or_default();
    let keep: Vec<DateTime<Utc>> = generate_slots(
        intervals,
        first_day,
        last_day,
        policy.time_zone(),
        policy.slot_length(),
    )
    .into_iter()
    .map(|s| s.start)
    .collect();
    let affected =
        db::slots::booked_appointments_outside(conn, Some(doctor_id), now, until, &keep).await?;
    let visits = reassignment::reassign_appointments(
        conn,
        policy,
        actor,
        &affected,
        Cause::HoursChanged,
        now,
    )
    .await?;
    // After the moves: their old slots, freed and outside the new hours, go too.
    materialize_doctor(conn, policy, doctor_id, intervals, &holidays, now).await?;
    Ok(HoursChange {
        added: first.inserted,
        removed: first.removed,
        visits,
    })
}

/// Replaces a doctor's weekly hours and commits (see [`apply_hours`]).
pub async fn replace_weekly_hours(
    pool: &PgPool,
    policy: &ClinicPolicy,
    doctor_id: i64,
    intervals: &[WeeklyInterval],
    now: DateTime<Utc>,
) -> Result<reassignment::Outcome, AppError> {
    let mut tx = pool.begin().await?;
    let change = apply_hours(
        &mut tx,
        policy,
        reassignment::Actor::SYSTEM,
        doctor_id,
        intervals,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(change.visits)
}

/// A new weekly pattern from a date, as the doctor (or staff) set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternChange {
    /// Weekdays whose hours differ from those in effect on the start date.
    pub days: Vec<DayChange>,
    /// Later changes that were planned and are replaced by this one.
    pub replaced_plans: Vec<NaiveDate>,
    pub change: HoursChange,
}

/// New weekly hours for one doctor from a date on.
#[derive(Debug, Clone)]
pub struct PatternEdit {
    pub doctor_id: i64,
    pub pattern: WeekPattern,
    pub from: NaiveDate,
}

/// Sets the pattern as the doctor's hours from its date on
/// (`domain::hours::apply_from`), committing when `commit`, otherwise rolling the very
/// same change back: the preview reports exactly what saving would do at that moment.
pub async fn set_pattern(
    pool: &PgPool,
    policy: &ClinicPolicy,
    actor: reassignment::Actor,
    edit: &PatternEdit,
    now: DateTime<Utc>,
    commit: bool,
) -> Result<PatternChange, AppError> {
    let PatternEdit {
        doctor_id,
        ref pattern,
        from,
    } = *edit;
    let today = local_date(policy.time_zone(), now);
    if from < today {
        return Err(AppError::validation(
            "from",
            "Hours can change from today on; the past stays as it was.",
        ));
    }
    if (from - today).num_days() > 366 {
        return Err(AppError::validation(
            "from",
            "Choose a start date within a year from today.",
        ));
    }
    let mut tx = pool.begin().await?;
    let Some(schedule) = db::schedule::lock_hours_of(&mut tx, doctor_id).await? else {
        return Err(AppError::NotFound);
    };
    let intervals = apply_from(&schedule, pattern, from);
    let change = apply_hours(&mut tx, policy, actor, doctor_id, &intervals, now).await?;
    let result = PatternChange {
        days: day_changes(&WeekPattern::in_effect(&schedule, from), pattern),
        replaced_plans: planned_changes_after(&schedule, from),
        change,
    };
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(result)
}
