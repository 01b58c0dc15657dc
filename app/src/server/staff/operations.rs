//! Clinic settings, the outbox and the audit log, staff side.

use chrono::{Duration, NaiveDate, Utc};
use domain::account::Email;
use domain::schedule::{local_day_bounds, validate_hours};
use domain::{ClinicPolicy, ClinicPolicyInput};

use crate::server::audit::{self, ChainReport};
use crate::server::auth::guard;
use crate::server::db;
use crate::server::schedule;
use crate::server::staff::audit_staff;
use crate::server::state::app_state;
use crate::wire::staff::operations::{
    AuditPage, AuditRow, ChainCheck, ClinicSettings, OutboxPage, OutboxRow,
};
use crate::AppError;

pub async fn settings() -> Result<ClinicSettings, AppError> {
    guard::require_admin().await?;
    let state = app_state()?;
    db::settings::staff_settings(&state.pool)
        .await
        .map_err(Into::into)
}

/// The settings form as typed: numbers stay text until parsed, so a letter in a number
/// field gets a message naming it.
#[derive(Debug, Clone)]
pub struct SettingsForm {
    pub clinic_name: String,
    pub clinic_phone: String,
    pub clinic_email: String,
    pub clinic_address: String,
    pub time_zone: String,
    pub numbers: [(&'static str, String); 9],
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

impl SettingsForm {
    fn parse(&self) -> Result<(ClinicSettings, ClinicPolicy), AppError> {
        let n = |i: usize| number(self.numbers[i].0, &self.numbers[i].1);
        let input = ClinicPolicyInput {
            time_zone: self.time_zone.trim().to_owned(),
            slot_minutes: n(0)?,
            booking_horizon_days: n(1)?,
            min_notice_minutes: n(2)?,
            hold_minutes: n(3)?,
            change_freeze_minutes: n(4)?,
            max_changes_per_appointment: n(5)?,
            max_active_appointments: n(6)?,
            reminder_lead_minutes: n(7)?,
            notification_debounce_minutes: n(8)?,
        };
        let policy = ClinicPolicy::parse(&input)
            .map_err(|e| AppError::validation(e.field, format!("{}.", capitalise(&e.message))))?;
        let clinic_email = match self.clinic_email.trim() {
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
                clinic_name: text_field("clinic_name", &self.clinic_name, 200, true)?,
                clinic_phone: text_field("clinic_phone", &self.clinic_phone, 50, false)?,
                clinic_email,
                clinic_address: text_field("clinic_address", &self.clinic_address, 300, false)?,
                policy: input,
            },
            policy,
        ))
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, a, b)| format!("{field}: {a} → {b}"))
        .collect()
}

pub async fn update_settings(form: SettingsForm) -> Result<Vec<String>, AppError> {
    let admin = guard::require_admin().await?;
    let (new, policy) = form.parse()?;
    let state = app_state()?;
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
    let now = Utc::now();
    let mut tx = state.pool.begin().await?;
    db::settings::save(&mut tx, &new, now).await?;
    if regrid {
        // Free times follow the new grid or zone; booked visits keep theirs.
        db::slots::delete_all_unused_from(&mut tx, now).await?;
    }
    audit_staff(
        &mut tx,
        &admin,
        "clinic.settings",
        None,
        "clinic_settings".to_owned(),
        Some(&changes.join("; ")),
    )
    .await?;
    tx.commit().await?;
    if regrid || old.policy.booking_horizon_days != new.policy.booking_horizon_days {
        schedule::materialize_slots(&state.pool, &policy, now).await?;
    }
    Ok(changes)
}

const OUTBOX_PAGE: i64 = 50;
const STATUSES: [&str; 5] = ["pending", "sending", "sent", "dead", "superseded"];

pub async fn outbox(status: Option<String>, page: u32) -> Result<OutboxPage, AppError> {
    guard::require_admin().await?;
    let status = match status.as_deref().map(str::trim) {
        None | Some("") | Some("any") => None,
        Some(s) => Some(
            *STATUSES
                .iter()
                .find(|x| **x == s)
                .ok_or_else(|| AppError::validation("status", "Choose a state from the list."))?,
        ),
    };
    if page > 10_000 {
        return Err(AppError::validation(
            "page",
            "There are not that many pages.",
        ));
    }
    let state = app_state()?;
    let mut rows = db::notifications::staff_list(
        &state.pool,
        status,
        OUTBOX_PAGE + 1,
        i64::from(page) * OUTBOX_PAGE,
    )
    .await?;
    let more = rows.len() as i64 > OUTBOX_PAGE;
    rows.truncate(OUTBOX_PAGE as usize);
    Ok(OutboxPage {
        counts: db::notifications::counts(&state.pool).await?,
        rows: rows
            .into_iter()
            .map(|r| OutboxRow {
                notification_id: r.notification_id,
                kind: r.kind,
                channel: r.channel,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error.map(|e| domain::text::redact_addresses(&e)),
                appointment_id: r.appointment_id,
                created_at: r.created_at,
                next_attempt_at: r.next_attempt_at,
            })
            .collect(),
        page,
        more,
    })
}

pub async fn retry(notification_id: Option<i64>) -> Result<u64, AppError> {
    let admin = guard::require_admin().await?;
    let state = app_state()?;
    let ids: Vec<i64> = match notification_id {
        Some(id) => vec![id],
        None => db::notifications::dead_messages(&state.pool)
            .await?
            .into_iter()
            .map(|m| m.notification_id)
            .collect(),
    };
    let queued = db::notifications::retry_dead(&state.pool, &ids, Utc::now()).await?;
    if notification_id.is_some() && queued == 0 {
        return Err(AppError::validation(
            "notification_id",
            "Only a message that was given up on can be retried.",
        ));
    }
    let mut tx = state.pool.begin().await?;
    audit_staff(
        &mut tx,
        &admin,
        "notifications.retry",
        None,
        notification_id.map_or_else(
            || "notifications:dead".to_owned(),
            |id| format!("notification:{id}"),
        ),
        Some(&format!("{queued} queued again")),
    )
    .await?;
    tx.commit().await?;
    Ok(queued)
}

/// What the audit page filters by.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub patient_id: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

const AUDIT_PAGE: i64 = 100;

/// The filter checked and turned into the repository's.
pub fn audit_query(
    policy: &ClinicPolicy,
    filter: &AuditFilter,
) -> Result<db::audit_log::Query, AppError> {
    let tz = policy.time_zone();
    let today = domain::schedule::local_date(tz, Utc::now());
    let near = |d: NaiveDate| (d - today).num_days().abs() <= 20 * 366;
    if !filter.from.is_none_or(near) || !filter.to.is_none_or(near) {
        return Err(AppError::validation(
            "from",
            "Choose dates within twenty years.",
        ));
    }
    let text = |field: &'static str, v: &Option<String>| -> Result<Option<String>, AppError> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) if v.chars().count() > 100 => {
                Err(AppError::validation(field, "Type at most 100 characters."))
            }
            Some(v) => Ok(Some(v.to_owned())),
        }
    };
    Ok(db::audit_log::Query {
        patient_id: filter.patient_id,
        actor: text("actor", &filter.actor)?,
        action: text("action", &filter.action)?,
        from: filter.from.map(|d| local_day_bounds(tz, d).0),
        to: filter
            .to
            .map(|d| local_day_bounds(tz, d).1)
            .or(filter.from.map(|_| Utc::now() + Duration::days(1))),
    })
}

pub async fn audit(filter: AuditFilter, page: u32) -> Result<AuditPage, AppError> {
    guard::require_admin().await?;
    if page > 100_000 {
        return Err(AppError::validation(
            "page",
            "There are not that many pages.",
        ));
    }
    let state = app_state()?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let query = audit_query(&policy, &filter)?;
    let mut rows = db::audit_log::rows(
        &state.pool,
        &query,
        AUDIT_PAGE + 1,
        i64::from(page) * AUDIT_PAGE,
    )
    .await?;
    let more = rows.len() as i64 > AUDIT_PAGE;
    rows.truncate(AUDIT_PAGE as usize);
    Ok(AuditPage {
        rows: rows.into_iter().map(audit_row).collect(),
        page,
        more,
    })
}

pub fn audit_row(r: db::audit_log::Row) -> AuditRow {
    AuditRow {
        chain_seq: r.chain_seq,
        occurred_at: r.occurred_at,
        actor: r.actor_email.unwrap_or_else(|| "—".to_owned()),
        actor_role: r.actor_role,
        action: r.action,
        patient_id: r.patient_id,
        target: r.target,
        outcome: r.outcome,
        detail: r.detail,
    }
}

pub async fn verify_chain() -> Result<ChainCheck, AppError> {
    guard::require_admin().await?;
    let state = app_state()?;
    Ok(match audit::verify_chain(&state.pool).await? {
        ChainReport::Intact { rows } => ChainCheck {
            intact: true,
            rows,
            broken_at: None,
            problem: None,
        },
        ChainReport::Broken {
            chain_seq, problem, ..
        } => ChainCheck {
            intact: false,
            rows: 0,
            broken_at: Some(chain_seq),
            problem: Some(problem),
        },
    })
}
