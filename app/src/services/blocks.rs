//! A doctor's blocks and leave (and staff acting for them): the time stops being offered
//! at once, and visits already booked in it go through rule 6 (`reassignment`) — all in
//! one transaction. [`preview`] runs exactly the same change and rolls it back, so what it
//! reports is what confirming would do at that moment.
//!
//! Concurrency: the block first turns the free and held slots of the range into blocked
//! ones, waiting for any booking that has them locked; only then does it gather the
//! booked visits. A booking in flight either finished before (its visit is gathered and
//! moved or queued) or finds the slots blocked. So no patient keeps a time the doctor
//! has just blocked without it being moved or queued.

use chrono::{DateTime, Utc};
use domain::ClinicPolicy;
use sqlx::{PgConnection, PgPool};

use crate::db::{self, attention::Cause};
use crate::error::AppError;
use crate::services::reassignment::{self, Actor, Outcome};

/// What the doctor makes unavailable.
#[derive(Debug, Clone)]
pub struct Block {
    pub doctor_id: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Leave (whole days) or a block of some hours: the cause recorded for staff.
    pub leave: bool,
    pub note: Option<String>,
}

impl Block {
    fn check(&self) -> Result<(), AppError> {
        if self.to <= self.from {
            return Err(AppError::validation(
                "to",
                "The end must be after the start.",
            ));
        }
        if self.to - self.from > chrono::Duration::days(366) {
            return Err(AppError::validation(
                "to",
                "Block at most a year at a time.",
            ));
        }
        if self.note.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err(AppError::validation(
                "note",
                "Please keep the note under 200 characters.",
            ));
        }
        Ok(())
    }
}

async fn apply(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    actor: Actor,
    block: &Block,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    block.check()?;
    let from = block.from.max(now);
    let note = block
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    db::slots::block_between(conn, block.doctor_id, from, block.to, note).await?;
    let affected =
        db::slots::booked_appointments_outside(conn, Some(block.doctor_id), from, block.to, &[])
            .await?;
    let cause = if block.leave {
        Cause::DoctorLeave
    } else {
        Cause::DoctorBlocked
    };
    let outcome =
        reassignment::reassign_appointments(conn, policy, actor, &affected, cause, now).await?;
    // The slots of the visits that moved away are free now: block them too.
    db::slots::block_between(conn, block.doctor_id, from, block.to, note).await?;
    Ok(outcome)
}

/// Blocks the time; returns how many visits moved to another doctor and how many wait
/// for staff.
pub async fn block(
    pool: &PgPool,
    policy: &ClinicPolicy,
    actor: Actor,
    block: &Block,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    run(pool, policy, actor, block, now, true).await
}

/// What [`block`] would do now, without doing it.
pub async fn preview(
    pool: &PgPool,
    policy: &ClinicPolicy,
    actor: Actor,
    block: &Block,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    run(pool, policy, actor, block, now, false).await
}

/// The one change behind both: committed, or rolled back (the preview).
async fn run(
    pool: &PgPool,
    policy: &ClinicPolicy,
    actor: Actor,
    block: &Block,
    now: DateTime<Utc>,
    commit: bool,
) -> Result<Outcome, AppError> {
    let mut tx = pool.begin().await?;
    let outcome = apply(&mut tx, policy, actor, block, now).await?;
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(outcome)
}

/// Frees blocked time again (booked slots never were blocked).
pub async fn unblock(
    pool: &PgPool,
    doctor_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    if to <= from {
        return Err(AppError::validation(
            "to",
            "The end must be after the start.",
        ));
    }
    let mut tx = pool.begin().await?;
    let freed = db::slots::unblock_between(&mut tx, doctor_id, from.max(now), to).await?;
    db::slots::clear_release_between(&mut tx, Some(doctor_id), from.max(now), to, "blocked")
        .await?;
    tx.commit().await?;
    Ok(freed)
}
