use domain::{ClinicPolicy, ClinicPolicyInput};
use sqlx::PgPool;

use crate::api::directory::ClinicProfile;
use crate::AppError;

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
    let row: PolicyRow = sqlx::query_as(
        "select time_zone, slot_minutes, booking_horizon_days, min_notice_minutes,
                hold_minutes, change_freeze_minutes, max_changes_per_appointment,
                max_active_appointments, reminder_lead_minutes, notification_debounce_minutes
         from clinic_settings",
    )
    .fetch_one(pool)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrator = "crate::server::db::MIGRATOR")]
    async fn fresh_database_holds_the_product_defaults(pool: PgPool) {
        let policy = clinic_policy(&pool).await.unwrap();
        assert_eq!(policy, ClinicPolicy::default());
        let profile = clinic_profile(&pool).await.unwrap();
        assert_eq!(profile.time_zone, "America/New_York");
    }

    #[sqlx::test(migrator = "crate::server::db::MIGRATOR")]
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

    #[sqlx::test(migrator = "crate::server::db::MIGRATOR")]
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
