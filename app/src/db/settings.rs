use domain::{ClinicPolicy, ClinicPolicyInput};
use sqlx::PgPool;

use crate::error::AppError;
use crate::wire::directory::ClinicProfile;
use crate::wire::staff::operations::ClinicSettings;

#[derive(sqlx::FromRow)]
struct ProfileRow {
    clinic_name: String,
    clinic_phone: String,
    clinic_email: String,
    clinic_address: String,
    time_zone: String,
}

pub async fn clinic_profile(pool: &PgPool) -> Result<ClinicProfile, sqlx::Error> {
    let row: ProfileRow = sqlx::query_as(
        "select clinic_name, clinic_phone, clinic_email, clinic_address, time_zone
         from clinic_settings",
    )
    .fetch_one(pool)
    .await?;
    Ok(ClinicProfile {
        name: row.clinic_name,
        phone: row.clinic_phone,
        email: row.clinic_email,
        address: row.clinic_address,
        time_zone: row.time_zone,
    })
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    time_zone: String,
    slot_minutes: i32,
    booking_horizon_days: i32,
    min_notice_minutes: i32,
    hold_minutes: i32,
    change_freeze_minutes: i32,
    max_changes_per_appointment: i32,
    max_active_appointments: i32,
    reminder_lead_minutes: i32,
    notification_debounce_minutes: i32,
}

/// The clinic's current policy. A stored value the domain rejects (only possible by
/// editing the database by hand past its CHECKs) is an internal error, not a panic.
pub async fn clinic_policy(pool: &PgPool) -> Result<ClinicPolicy, AppError> {
    clinic_policy_in(pool).await
}

/// [`clinic_policy`] read with any executor (e.g. inside a transaction).
pub async fn clinic_policy_in(db: impl sqlx::PgExecutor<'_>) -> Result<ClinicPolicy, AppError> {
    let row: PolicyRow = sqlx::query_as(
        "select time_zone, slot_minutes, booking_horizon_days, min_notice_minutes,
                hold_minutes, change_freeze_minutes, max_changes_per_appointment,
                max_active_appointments, reminder_lead_minutes, notification_debounce_minutes
         from clinic_settings",
    )
    .fetch_one(db)
    .await?;
    let input = ClinicPolicyInput {
        time_zone: row.time_zone,
        slot_minutes: row.slot_minutes.into(),
        booking_horizon_days: row.booking_horizon_days.into(),
        min_notice_minutes: row.min_notice_minutes.into(),
        hold_minutes: row.hold_minutes.into(),
        change_freeze_minutes: row.change_freeze_minutes.into(),
        max_changes_per_appointment: row.max_changes_per_appointment.into(),
        max_active_appointments: row.max_active_appointments.into(),
        reminder_lead_minutes: row.reminder_lead_minutes.into(),
        notification_debounce_minutes: row.notification_debounce_minutes.into(),
    };
    ClinicPolicy::parse(&input)
        .map_err(|e| AppError::internal(format!("stored clinic policy: {e}")))
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    clinic_name: String,
    clinic_phone: String,
    clinic_email: String,
    clinic_address: String,
    #[sqlx(flatten)]
    policy: PolicyRow,
}

/// Everything on the settings page, as stored.
pub async fn staff_settings(pool: &PgPool) -> Result<ClinicSettings, sqlx::Error> {
    let row: SettingsRow = sqlx::query_as(
        "select clinic_name, clinic_phone, clinic_email, clinic_address, time_zone, slot_minutes,
                booking_horizon_days, min_notice_minutes, hold_minutes, change_freeze_minutes,
                max_changes_per_appointment, max_active_appointments, reminder_lead_minutes,
                notification_debounce_minutes
         from clinic_settings",
    )
    .fetch_one(pool)
    .await?;
    let p = row.policy;
    Ok(ClinicSettings {
        clinic_name: row.clinic_name,
        clinic_phone: row.clinic_phone,
        clinic_email: row.clinic_email,
        clinic_address: row.clinic_address,
        policy: ClinicPolicyInput {
            time_zone: p.time_zone,
            slot_minutes: p.slot_minutes.into(),
            booking_horizon_days: p.booking_horizon_days.into(),
            min_notice_minutes: p.min_notice_minutes.into(),
            hold_minutes: p.hold_minutes.into(),
            change_freeze_minutes: p.change_freeze_minutes.into(),
            max_changes_per_appointment: p.max_changes_per_appointment.into(),
            max_active_appointments: p.max_active_appointments.into(),
            reminder_lead_minutes: p.reminder_lead_minutes.into(),
            notification_debounce_minutes: p.notification_debounce_minutes.into(),
        },
    })
}

/// Saves validated settings (the CHECKs repeat the validation).
pub async fn save(
    conn: &mut sqlx::PgConnection,
    s: &ClinicSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    let p = &s.policy;
    sqlx::query(
        "update clinic_settings set clinic_name = $1, clinic_phone = $2, clinic_email = $3,
            clinic_address = $4, time_zone = $5, slot_minutes = $6, booking_horizon_days = $7,
            min_notice_minutes = $8, hold_minutes = $9, change_freeze_minutes = $10,
            max_changes_per_appointment = $11, max_active_appointments = $12,
            reminder_lead_minutes = $13, notification_debounce_minutes = $14, updated_at = $15",
    )
    .bind(&s.clinic_name)
    .bind(&s.clinic_phone)
    .bind(&s.clinic_email)
    .bind(&s.clinic_address)
    .bind(&p.time_zone)
    .bind(p.slot_minutes as i32)
    .bind(p.booking_horizon_days as i32)
    .bind(p.min_notice_minutes as i32)
    .bind(p.hold_minutes as i32)
    .bind(p.change_freeze_minutes as i32)
    .bind(p.max_changes_per_appointment as i32)
    .bind(p.max_active_appointments as i32)
    .bind(p.reminder_lead_minutes as i32)
    .bind(p.notification_debounce_minutes as i32)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The clinic's settings for two-way messages: the optional second reminder (minutes
/// before a visit, only to visits not confirmed) and the country of phone numbers typed
/// without a country code.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MessageSettings {
    pub second_reminder_minutes: Option<i32>,
    pub phone_region: String,
}

pub async fn message_settings(
    db: impl sqlx::PgExecutor<'_>,
) -> Result<MessageSettings, sqlx::Error> {
    sqlx::query_as("select second_reminder_minutes, phone_region from clinic_settings")
        .fetch_one(db)
        .await
}

/// Saves validated message settings (the CHECKs repeat the validation).
pub async fn save_message_settings(
    conn: &mut sqlx::PgConnection,
    s: &MessageSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update clinic_settings set second_reminder_minutes = $1, phone_region = $2,
                updated_at = $3",
    )
    .bind(s.second_reminder_minutes)
    .bind(&s.phone_region)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// How long before a visit the second reminder goes, if the clinic sends one.
pub async fn second_reminder(pool: &PgPool) -> Result<Option<chrono::Duration>, sqlx::Error> {
    Ok(message_settings(pool)
        .await?
        .second_reminder_minutes
        .map(|m| chrono::Duration::minutes(m.into())))
}

/// The appointment types offered, in the order patients see them: (id, name, slots).
pub async fn offered_types(pool: &PgPool) -> Result<Vec<(i64, String, i32)>, sqlx::Error> {
    sqlx::query_as(
        "select appointment_type_id, name, slot_count from appointment_types
          where active order by sort_order, name",
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn fresh_database_holds_the_product_defaults(pool: PgPool) {
        let policy = clinic_policy(&pool).await.unwrap();
        assert_eq!(policy, ClinicPolicy::default());
        let profile = clinic_profile(&pool).await.unwrap();
        assert_eq!(profile.time_zone, "America/New_York");
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn schema_refuses_a_slot_length_that_does_not_tile_a_day(pool: PgPool) {
        let err = sqlx::query("update clinic_settings set slot_minutes = 35")
            .execute(&pool)
            .await
            .unwrap_err();
        let constraint = err
            .as_database_error()
            .and_then(|e| e.constraint().map(str::to_owned));
        assert_eq!(
            constraint.as_deref(),
            Some("clinic_settings_slot_minutes_check")
        );
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn there_is_only_ever_one_settings_row(pool: PgPool) {
        let err = sqlx::query("insert into clinic_settings (clinic_settings_id) values (false)")
            .execute(&pool)
            .await;
        assert!(err.is_err());
        let count: i64 = sqlx::query_scalar("select count(*) from clinic_settings")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 1);
    }
}

/// The waitlist's settings (see the waitlist migration).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WaitlistSettings {
    pub waitlist_wave_size: i32,
    pub waitlist_wave_minutes: i32,
    pub waitlist_offer_minutes: i32,
    pub waitlist_daily_cap: i32,
    pub sms_quiet_start: chrono::NaiveTime,
    pub sms_quiet_end: chrono::NaiveTime,
}

pub async fn waitlist_settings(
    db: impl sqlx::PgExecutor<'_>,
) -> Result<WaitlistSettings, sqlx::Error> {
    sqlx::query_as(
        "select waitlist_wave_size, waitlist_wave_minutes, waitlist_offer_minutes,
                waitlist_daily_cap, sms_quiet_start, sms_quiet_end
         from clinic_settings",
    )
    .fetch_one(db)
    .await
}

/// Saves validated waitlist settings (the CHECKs repeat the validation).
pub async fn save_waitlist_settings(
    conn: &mut sqlx::PgConnection,
    s: &WaitlistSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update clinic_settings set waitlist_wave_size = $1, waitlist_wave_minutes = $2,
            waitlist_offer_minutes = $3, waitlist_daily_cap = $4, sms_quiet_start = $5,
            sms_quiet_end = $6, updated_at = $7",
    )
    .bind(s.waitlist_wave_size)
    .bind(s.waitlist_wave_minutes)
    .bind(s.waitlist_offer_minutes)
    .bind(s.waitlist_daily_cap)
    .bind(s.sms_quiet_start)
    .bind(s.sms_quiet_end)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
