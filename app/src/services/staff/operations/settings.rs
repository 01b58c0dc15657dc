//! The clinic's settings, staff side: each change validated, named in the audit row
//! (`old → new`), and the free times remade when the grid or the horizon changes.

use domain::account::Email;
use domain::audit::AuditAction;
use domain::schedule::validate_hours;
use domain::{ClinicPolicy, ClinicPolicyInput};

use crate::db;
use crate::error::AppError;
use crate::services::call::{Call, Staff};
use crate::services::schedule;
use crate::services::staff::audit_staff;
use crate::wire::staff::operations::{ClinicSettings, MessageSettingsForm, SettingsForm};

pub async fn settings(call: &Call<Staff>) -> Result<ClinicSettings, AppError> {
    let state = &call.state;
    db::settings::staff_settings(&state.pool)
        .await
        .map_err(Into::into)
}

fn number(field: &'static str, text: &str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| AppError::validation(field, "Enter a whole number."))
}

fn text_field(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, AppError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(AppError::validation(field, "This cannot be empty."));
    }
    if value.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("Please keep this under {max} characters."),
        ));
    }
    domain::text::check_field(value).map_err(|e| AppError::validation(field, e.to_string()))?;
    Ok(value.to_owned())
}

/// The form checked: the clinic's details and its policy, or the first bad field.
fn parse(form: &SettingsForm) -> Result<(ClinicSettings, ClinicPolicy), AppError> {
    let input = ClinicPolicyInput {
        time_zone: form.time_zone.trim().to_owned(),
        slot_minutes: number("slot_minutes", &form.slot_minutes)?,
        booking_horizon_days: number("booking_horizon_days", &form.booking_horizon_days)?,
        min_notice_minutes: number("min_notice_minutes", &form.min_notice_minutes)?,
        hold_minutes: number("hold_minutes", &form.hold_minutes)?,
        change_freeze_minutes: number("change_freeze_minutes", &form.change_freeze_minutes)?,
        max_changes_per_appointment: number(
            "max_changes_per_appointment",
            &form.max_changes_per_appointment,
        )?,
        max_active_appointments: number("max_active_appointments", &form.max_active_appointments)?,
        reminder_lead_minutes: number("reminder_lead_minutes", &form.reminder_lead_minutes)?,
        notification_debounce_minutes: number(
            "notification_debounce_minutes",
            &form.notification_debounce_minutes,
        )?,
    };
    let policy = ClinicPolicy::parse(&input)
        .map_err(|e| AppError::validation(e.field, format!("{}.", capitalise(&e.message))))?;
    let clinic_email = match form.clinic_email.trim() {
        "" => String::new(),
        typed => Email::parse(typed)
            .map_err(|_| {
                AppError::validation("clinic_email", "Enter an address like desk@clinic.org.")
            })?
            .as_str()
            .to_owned(),
    };
    Ok((
        ClinicSettings {
            clinic_name: text_field("clinic_name", &form.clinic_name, 200, true)?,
            clinic_phone: text_field("clinic_phone", &form.clinic_phone, 50, false)?,
            clinic_email,
            clinic_address: text_field("clinic_address", &form.clinic_address, 300, false)?,
            policy: input,
        },
        policy,
    ))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `field: old → new` for each pair whose values differ: what a settings change says.
pub(crate) fn changed<'a>(
    pairs: impl IntoIterator<Item = (&'a str, String, String)>,
) -> Vec<String> {
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, a, b)| format!("{field}: {a} → {b}"))
        .collect()
}

/// Records a change of the clinic's settings, already written in `tx`, in the audit log
/// with every value old → new, and commits.
pub(crate) async fn audit_and_commit(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    call: &Call<Staff>,
    changes: &[String],
) -> Result<(), AppError> {
    audit_staff(
        &mut tx,
        call,
        AuditAction::ClinicSettings,
        None,
        "clinic_settings".to_owned(),
        Some(&changes.join("; ")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `field: old → new` for every changed value.
fn differences(old: &ClinicSettings, new: &ClinicSettings) -> Vec<String> {
    let (o, n) = (&old.policy, &new.policy);
    let pairs: [(&str, String, String); 14] = [
        (
            "clinic_name",
            old.clinic_name.clone(),
            new.clinic_name.clone(),
        ),
        (
            "clinic_phone",
            old.clinic_phone.clone(),
            new.clinic_phone.clone(),
        ),
        (
            "clinic_email",
            old.clinic_email.clone(),
            new.clinic_email.clone(),
        ),
        (
            "clinic_address",
            old.clinic_address.clone(),
            new.clinic_address.clone(),
        ),
        ("time_zone", o.time_zone.clone(), n.time_zone.clone()),
        (
            "slot_minutes",
            o.slot_minutes.to_string(),
            n.slot_minutes.to_string(),
        ),
        (
            "booking_horizon_days",
            o.booking_horizon_days.to_string(),
            n.booking_horizon_days.to_string(),
        ),
        (
            "min_notice_minutes",
            o.min_notice_minutes.to_string(),
            n.min_notice_minutes.to_string(),
        ),
        (
            "hold_minutes",
            o.hold_minutes.to_string(),
            n.hold_minutes.to_string(),
        ),
        (
            "change_freeze_minutes",
            o.change_freeze_minutes.to_string(),
            n.change_freeze_minutes.to_string(),
        ),
        (
            "max_changes_per_appointment",
            o.max_changes_per_appointment.to_string(),
            n.max_changes_per_appointment.to_string(),
        ),
        (
            "max_active_appointments",
            o.max_active_appointments.to_string(),
            n.max_active_appointments.to_string(),
        ),
        (
            "reminder_lead_minutes",
            o.reminder_lead_minutes.to_string(),
            n.reminder_lead_minutes.to_string(),
        ),
        (
            "notification_debounce_minutes",
            o.notification_debounce_minutes.to_string(),
            n.notification_debounce_minutes.to_string(),
        ),
    ];
    changed(pairs)
}

pub async fn update_settings(
    call: &Call<Staff>,
    form: SettingsForm,
) -> Result<Vec<String>, AppError> {
    let _admin = &call.who.user;
    let (new, policy) = parse(&form)?;
    let state = &call.state;
    let old = db::settings::staff_settings(&state.pool).await?;
    let changes = differences(&old, &new);
    if changes.is_empty() {
        return Ok(vec!["Nothing changed.".to_owned()]);
    }
    let regrid = old.policy.slot_minutes != new.policy.slot_minutes
        || old.policy.time_zone != new.policy.time_zone;
    if old.policy.slot_minutes != new.policy.slot_minutes {
        // Every doctor's hours must fit the new grid, or their times could not be made.
        for (doctor_id, hours) in db::schedule::hours_of_active_doctors(&state.pool).await? {
            if let Err(err) = validate_hours(&hours, policy.slot_length()) {
                return Err(AppError::validation(
                    "slot_minutes",
                    format!(
                        "The weekly hours of doctor #{doctor_id} do not fit it ({err}); change their hours first."
                    ),
                ));
            }
        }
    }
    let now = call.now;
    let mut tx = state.pool.begin().await?;
    db::settings::save(&mut tx, &new, now).await?;
    if regrid {
        // Free times follow the new grid or zone; booked visits keep theirs.
        db::slots::delete_all_unused_from(&mut tx, now).await?;
    }
    audit_and_commit(tx, call, &changes).await?;
    if regrid || old.policy.booking_horizon_days != new.policy.booking_horizon_days {
        schedule::materialize_slots(&state.pool, &policy, now).await?;
    }
    Ok(changes)
}

/// The settings of two-way messages, as the form shows them.
pub async fn message_settings(call: &Call<Staff>) -> Result<MessageSettingsForm, AppError> {
    let s = db::settings::message_settings(&call.state.pool).await?;
    Ok(MessageSettingsForm {
        second_reminder_minutes: s
            .second_reminder_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
        phone_region: s.phone_region,
    })
}

fn reminder_words(minutes: Option<i32>) -> String {
    minutes.map_or_else(|| "off".to_owned(), |m| m.to_string())
}

/// Saves the settings of two-way messages: each value checked (the second reminder comes
/// after the first, 15 minutes to a day before the visit; the country is one the phone
/// rules know), audited `old → new`.
pub async fn update_message_settings(
    call: &Call<Staff>,
    form: MessageSettingsForm,
) -> Result<Vec<String>, AppError> {
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let second_reminder_minutes = match form.second_reminder_minutes.trim() {
        "" => None,
        typed => {
            let minutes = number("second_reminder_minutes", typed)?;
            if !(15..=1440).contains(&minutes) {
                return Err(AppError::validation(
                    "second_reminder_minutes",
                    "Enter 15 to 1440 minutes before the visit, or leave it empty for none.",
                ));
            }
            if minutes >= policy.reminder_lead().num_minutes() {
                return Err(AppError::validation(
                    "second_reminder_minutes",
                    format!(
                        "The second reminder must come after the first, which goes {} minutes before the visit.",
                        policy.reminder_lead().num_minutes()
                    ),
                ));
            }
            Some(minutes as i32)
        }
    };
    let phone_region = form.phone_region.trim().to_ascii_uppercase();
    if !crate::services::phone::known_region(&phone_region) {
        return Err(AppError::validation(
            "phone_region",
            "Enter a two-letter country code, such as US, GB or DE.",
        ));
    }
    let new = db::settings::MessageSettings {
        second_reminder_minutes,
        phone_region,
    };
    let mut tx = state.pool.begin().await?;
    let old = db::settings::message_settings(&mut *tx).await?;
    let changes = changed([
        (
            "second_reminder_minutes",
            reminder_words(old.second_reminder_minutes),
            reminder_words(new.second_reminder_minutes),
        ),
        ("phone_region", old.phone_region, new.phone_region.clone()),
    ]);
    if changes.is_empty() {
        return Ok(vec!["Nothing changed.".to_owned()]);
    }
    db::settings::save_message_settings(&mut tx, &new, call.now).await?;
    audit_and_commit(tx, call, &changes).await?;
    Ok(changes)
}
