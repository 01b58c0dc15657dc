//! The waitlist, staff side: who waits for what and since when, with their offers; the
//! record of the last 30 days; putting a caller on the list or taking someone off
//! (audited); and the waitlist's settings (validated, audited `old → new`).

use chrono::{Duration, NaiveTime};
use domain::audit::AuditAction;

use crate::db::{self, settings::WaitlistSettings};
use crate::error::AppError;
use crate::services::call::{Call, Staff};
use crate::services::notify::render::when;
use crate::services::staff::operations::{audit_and_commit, changed};
use crate::services::staff::{audit_staff, audit_staff_reads};
use crate::services::waitlist::{describe, join_for, stored_limits};
use crate::wire::waitlist::{
    JoinForm, StaffWaitlistRow, StaffWaitlistView, WaitlistFigures, WaitlistSettingsForm,
};

/// Longest list shown at once.
const SHOWN: i64 = 500;

/// The clinic's waitlist record since 30 days ago.
pub async fn figures(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<WaitlistFigures, AppError> {
    let mut conn = pool.acquire().await?;
    Ok(db::waitlist::figures(&mut conn, now - Duration::days(30)).await?)
}

fn settings_form(s: &WaitlistSettings) -> WaitlistSettingsForm {
    WaitlistSettingsForm {
        wave_size: s.waitlist_wave_size.to_string(),
        wave_minutes: s.waitlist_wave_minutes.to_string(),
        offer_minutes: s.waitlist_offer_minutes.to_string(),
        daily_cap: s.waitlist_daily_cap.to_string(),
        quiet_start: s.sms_quiet_start.format("%H:%M").to_string(),
        quiet_end: s.sms_quiet_end.format("%H:%M").to_string(),
    }
}

/// Everyone waiting (the reads audited per patient), the figures and the settings.
pub async fn list(call: &Call<Staff>) -> Result<StaffWaitlistView, AppError> {
    let pool = &call.state.pool;
    let tz = db::settings::clinic_policy(pool).await?.time_zone();
    let mut conn = pool.acquire().await?;
    let records = db::waitlist::staff_list(&mut conn, SHOWN).await?;
    let settings = db::settings::waitlist_settings(&mut *conn).await?;
    drop(conn);
    let patients: Vec<i64> = records
        .iter()
        .map(|r| r.patient_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut tx = pool.begin().await?;
    audit_staff_reads(&mut tx, call, AuditAction::WaitlistRead, &patients).await?;
    tx.commit().await?;
    Ok(StaffWaitlistView {
        rows: records
            .into_iter()
            .map(|r| StaffWaitlistRow {
                waitlist_entry_id: r.waitlist_entry_id,
                patient_id: r.patient_id,
                patient_name: r.patient_name,
                has_account: r.has_account,
                type_name: r.type_name,
                appointment_id: r.appointment_id,
                visit: r.visit_start.map(|start| when(tz, start)),
                limits: describe(&stored_limits(r.weekdays, &r.part_of_day, r.not_before)),
                since: domain::schedule::local_date(tz, r.created_at).to_string(),
                offers_sent: r.offers_sent,
                offers_taken_by_other: r.offers_taken_by_other,
                offers_expired: r.offers_expired,
            })
            .collect(),
        figures: figures(pool, call.now).await?,
        settings: settings_form(&settings),
        types: db::settings::offered_types(pool)
            .await?
            .into_iter()
            .map(|(id, name, _)| (id, name))
            .collect(),
    })
}

/// Puts a patient (a caller) on the waitlist, with the same rules and limits as a
/// patient's own request. Audited.
pub async fn add(call: &Call<Staff>, patient_id: i64, form: JoinForm) -> Result<i64, AppError> {
    let pool = &call.state.pool;
    let mut conn = pool.acquire().await?;
    if db::patients::by_id(&mut conn, patient_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    drop(conn);
    let entry = join_for(pool, patient_id, form, false, call.now).await?;
    let mut tx = pool.begin().await?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::WaitlistAdd,
        Some(patient_id),
        format!("waitlist_entry:{entry}"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(entry)
}

/// Takes someone off the waitlist (their open offers are withdrawn). Audited.
pub async fn remove(call: &Call<Staff>, waitlist_entry_id: i64) -> Result<(), AppError> {
    let pool = &call.state.pool;
    let mut conn = pool.acquire().await?;
    let patient_id = db::waitlist::patient_of_entry(&mut conn, waitlist_entry_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let which = db::waitlist::Ending::Entry {
        waitlist_entry_id,
        of_patient: Some(patient_id),
    };
    // The patient's row first, as taking an offer does (see `waitlist::end_locked`).
    let mut tx = pool.begin().await?;
    db::users::lock_patient(&mut tx, patient_id).await?;
    db::waitlist::end(&mut tx, which, "staff", call.now)
        .await?
        .ok_or(AppError::NotFound)?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::WaitlistRemove,
        Some(patient_id),
        format!("waitlist_entry:{waitlist_entry_id}"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn whole(field: &'static str, text: &str, min: i32, max: i32, unit: &str) -> Result<i32, AppError> {
    let n = text
        .trim()
        .parse::<i32>()
        .map_err(|_| AppError::validation(field, "Enter a whole number."))?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(AppError::validation(
            field,
            format!("Choose from {min} to {max} {unit}."),
        ))
    }
}

fn clock_time(field: &'static str, text: &str) -> Result<NaiveTime, AppError> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| AppError::validation(field, "Enter a time such as 21:00."))
}

/// The form checked (the same ranges as the database's CHECKs), or the first bad field.
fn parse(form: &WaitlistSettingsForm) -> Result<WaitlistSettings, AppError> {
    Ok(WaitlistSettings {
        waitlist_wave_size: whole("wave_size", &form.wave_size, 1, 50, "patients")?,
        waitlist_wave_minutes: whole("wave_minutes", &form.wave_minutes, 1, 1440, "minutes")?,
        waitlist_offer_minutes: whole("offer_minutes", &form.offer_minutes, 5, 2880, "minutes")?,
        waitlist_daily_cap: whole("daily_cap", &form.daily_cap, 1, 20, "offers")?,
        sms_quiet_start: clock_time("quiet_start", &form.quiet_start)?,
        sms_quiet_end: clock_time("quiet_end", &form.quiet_end)?,
    })
}

/// Saves the waitlist's settings; audited with every old and new value. Returns what
/// changed, in words.
pub async fn update_settings(
    call: &Call<Staff>,
    form: WaitlistSettingsForm,
) -> Result<Vec<String>, AppError> {
    let new = parse(&form)?;
    let pool = &call.state.pool;
    let old = settings_form(&db::settings::waitlist_settings(pool).await?);
    let fresh = settings_form(&new);
    let changes = changed([
        ("waitlist wave_size", old.wave_size, fresh.wave_size),
        (
            "waitlist wave_minutes",
            old.wave_minutes,
            fresh.wave_minutes,
        ),
        (
            "waitlist offer_minutes",
            old.offer_minutes,
            fresh.offer_minutes,
        ),
        ("waitlist daily_cap", old.daily_cap, fresh.daily_cap),
        ("waitlist quiet_start", old.quiet_start, fresh.quiet_start),
        ("waitlist quiet_end", old.quiet_end, fresh.quiet_end),
    ]);
    if changes.is_empty() {
        return Ok(vec!["Nothing changed.".to_owned()]);
    }
    let mut tx = pool.begin().await?;
    db::settings::save_waitlist_settings(&mut tx, &new, call.now).await?;
    audit_and_commit(tx, call, &changes).await?;
    Ok(changes)
}
