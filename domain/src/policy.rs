//! The clinic's scheduling policy: the admin-editable settings that every booking rule
//! reads. Built only through [`ClinicPolicy::parse`], so holding a `ClinicPolicy` proves
//! the values make sense together.

use chrono::Duration;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

const MINUTES_PER_DAY: i64 = 24 * 60;

/// Raw settings as stored or submitted by a form; nothing is trusted yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicPolicyInput {
    pub time_zone: String,
    pub slot_minutes: i64,
    pub booking_horizon_days: i64,
    pub min_notice_minutes: i64,
    pub hold_minutes: i64,
    pub change_freeze_minutes: i64,
    pub max_changes_per_appointment: i64,
    pub max_active_appointments: i64,
    pub reminder_lead_minutes: i64,
    pub notification_debounce_minutes: i64,
}

impl Default for ClinicPolicyInput {
    /// The product defaults (PRODUCT.md, "Clinic policy").
    fn default() -> Self {
        Self {
            time_zone: "America/New_York".to_owned(),
            slot_minutes: 30,
            booking_horizon_days: 60,
            min_notice_minutes: 120,
            hold_minutes: 5,
            change_freeze_minutes: 24 * 60,
            max_changes_per_appointment: 3,
            max_active_appointments: 3,
            reminder_lead_minutes: 24 * 60,
            notification_debounce_minutes: 5,
        }
    }
}

/// A setting that cannot be accepted, naming the field so a form can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {message}")]
pub struct PolicyError {
    pub field: &'static str,
    pub message: String,
}

impl PolicyError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Validated clinic policy. Every duration is positive and the slot length tiles a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicPolicy {
    time_zone: Tz,
    slot_minutes: i64,
    booking_horizon_days: i64,
    min_notice_minutes: i64,
    hold_minutes: i64,
    change_freeze_minutes: i64,
    max_changes_per_appointment: u32,
    max_active_appointments: u32,
    reminder_lead_minutes: i64,
    notification_debounce_minutes: i64,
}

fn in_range(field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, PolicyError> {
    if value < min || value > max {
        Err(PolicyError::new(
            field,
            format!("must be between {min} and {max}, got {value}"),
        ))
    } else {
        Ok(value)
    }
}

impl ClinicPolicy {
    /// Parses raw settings, rejecting nonsense with the offending field named.
    pub fn parse(input: &ClinicPolicyInput) -> Result<Self, PolicyError> {
        let time_zone: Tz = input.time_zone.trim().parse().map_err(|_| {
            PolicyError::new(
                "time_zone",
                format!(
                    "'{}' is not an IANA time zone such as America/New_York",
                    input.time_zone
                ),
            )
        })?;
        let slot_minutes = in_range("slot_minutes", input.slot_minutes, 5, 240)?;
        if MINUTES_PER_DAY % slot_minutes != 0 {
            return Err(PolicyError::new(
                "slot_minutes",
                format!("{slot_minutes} minutes does not divide a 24-hour day evenly"),
            ));
        }
        let booking_horizon_days =
            in_range("booking_horizon_days", input.booking_horizon_days, 1, 366)?;
        let min_notice_minutes = in_range(
            "min_notice_minutes",
            input.min_notice_minutes,
            0,
            30 * MINUTES_PER_DAY,
        )?;
        if min_notice_minutes >= booking_horizon_days * MINUTES_PER_DAY {
            return Err(PolicyError::new(
                "min_notice_minutes",
                "minimum notice must be shorter than the booking horizon",
            ));
        }
        let hold_minutes = in_range("hold_minutes", input.hold_minutes, 1, 60)?;
        let change_freeze_minutes = in_range(
            "change_freeze_minutes",
            input.change_freeze_minutes,
            0,
            30 * MINUTES_PER_DAY,
        )?;
        let max_changes_per_appointment = in_range(
            "max_changes_per_appointment",
            input.max_changes_per_appointment,
            0,
            100,
        )?;
        let max_active_appointments = in_range(
            "max_active_appointments",
            input.max_active_appointments,
            1,
            100,
        )?;
        let reminder_lead_minutes = in_range(
            "reminder_lead_minutes",
            input.reminder_lead_minutes,
            1,
            30 * MINUTES_PER_DAY,
        )?;
        let notification_debounce_minutes = in_range(
            "notification_debounce_minutes",
            input.notification_debounce_minutes,
            0,
            60,
        )?;
        Ok(Self {
            time_zone,
            slot_minutes,
            booking_horizon_days,
            min_notice_minutes,
            hold_minutes,
            change_freeze_minutes,
            max_changes_per_appointment: max_changes_per_appointment as u32,
            max_active_appointments: max_active_appointments as u32,
            reminder_lead_minutes,
            notification_debounce_minutes,
        })
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }
    pub fn slot_length(&self) -> Duration {
        Duration::minutes(self.slot_minutes)
    }
    pub fn booking_horizon(&self) -> Duration {
        Duration::days(self.booking_horizon_days)
    }
    pub fn min_notice(&self) -> Duration {
        Duration::minutes(self.min_notice_minutes)
    }
    pub fn hold_time(&self) -> Duration {
        Duration::minutes(self.hold_minutes)
    }
    pub fn change_freeze(&self) -> Duration {
        Duration::minutes(self.change_freeze_minutes)
    }
    pub fn max_changes_per_appointment(&self) -> u32 {
        self.max_changes_per_appointment
    }
    pub fn max_active_appointments(&self) -> u32 {
        self.max_active_appointments
    }
    pub fn reminder_lead(&self) -> Duration {
        Duration::minutes(self.reminder_lead_minutes)
    }
    pub fn notification_debounce(&self) -> Duration {
        Duration::minutes(self.notification_debounce_minutes)
    }

    /// Whether `instant` falls on the clinic's slot grid in local wall-clock time.
    pub fn is_on_grid(&self, instant: chrono::DateTime<chrono::Utc>) -> bool {
        use chrono::Timelike;
        let local = instant.with_timezone(&self.time_zone);
        local.nanosecond() == 0
            && i64::from(local.num_seconds_from_midnight()) % (self.slot_minutes * 60) == 0
    }
}

impl Default for ClinicPolicy {
    fn default() -> Self {
        Self::parse(&ClinicPolicyInput::default()).expect("product defaults are valid")
    }
}

/// What a patient picks before seeing times: a name and a length in consecutive slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentType {
    name: String,
    slot_count: u8,
}

/// The longest appointment type, in slots (matches the schema's CHECK).
pub const MAX_SLOTS_PER_APPOINTMENT: i64 = 16;

impl AppointmentType {
    pub fn parse(name: &str, slot_count: i64) -> Result<Self, PolicyError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(PolicyError::new("name", "must be 1 to 60 characters"));
        }
        let slot_count = in_range("slot_count", slot_count, 1, MAX_SLOTS_PER_APPOINTMENT)?;
        Ok(Self {
            name: name.to_owned(),
            slot_count: slot_count as u8,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn slot_count(&self) -> u8 {
        self.slot_count
    }
    /// Its length under `policy`'s slot length.
    pub fn duration(&self, policy: &ClinicPolicy) -> Duration {
        policy.slot_length() * i32::from(self.slot_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn appointment_types_are_named_and_one_to_sixteen_slots_long() {
        let long = AppointmentType::parse(" Long ", 2).unwrap();
        assert_eq!((long.name(), long.slot_count()), ("Long", 2));
        assert_eq!(
            long.duration(&ClinicPolicy::default()),
            Duration::minutes(60)
        );
        assert_eq!(AppointmentType::parse("", 1).unwrap_err().field, "name");
        assert_eq!(
            AppointmentType::parse("Zero", 0).unwrap_err().field,
            "slot_count"
        );
        assert_eq!(
            AppointmentType::parse("Huge", 17).unwrap_err().field,
            "slot_count"
        );
    }

    fn with(f: impl FnOnce(&mut ClinicPolicyInput)) -> Result<ClinicPolicy, PolicyError> {
        let mut input = ClinicPolicyInput::default();
        f(&mut input);
        ClinicPolicy::parse(&input)
    }

    #[test]
    fn product_defaults_parse() {
        let policy = ClinicPolicy::default();
        assert_eq!(policy.time_zone(), chrono_tz::America::New_York);
        assert_eq!(policy.slot_length(), Duration::minutes(30));
        assert_eq!(policy.booking_horizon(), Duration::days(60));
        assert_eq!(policy.min_notice(), Duration::hours(2));
        assert_eq!(policy.hold_time(), Duration::minutes(5));
        assert_eq!(policy.change_freeze(), Duration::hours(24));
        assert_eq!(policy.max_changes_per_appointment(), 3);
        assert_eq!(policy.max_active_appointments(), 3);
        assert_eq!(policy.reminder_lead(), Duration::hours(24));
        assert_eq!(policy.notification_debounce(), Duration::minutes(5));
    }

    #[test]
    fn slot_length_must_tile_a_day() {
        let err = with(|p| p.slot_minutes = 35).unwrap_err();
        assert_eq!(err.field, "slot_minutes");
        assert!(err.message.contains("does not divide"), "{err}");
        assert!(with(|p| p.slot_minutes = 15).is_ok());
        assert!(with(|p| p.slot_minutes = 20).is_ok());
    }

    #[test]
    fn zero_or_negative_values_are_rejected_by_name() {
        assert_eq!(
            with(|p| p.slot_minutes = 0).unwrap_err().field,
            "slot_minutes"
        );
        assert_eq!(
            with(|p| p.hold_minutes = -5).unwrap_err().field,
            "hold_minutes"
        );
        assert_eq!(
            with(|p| p.booking_horizon_days = 0).unwrap_err().field,
            "booking_horizon_days"
        );
        assert_eq!(
            with(|p| p.max_active_appointments = 0).unwrap_err().field,
            "max_active_appointments"
        );
    }

    #[test]
    fn unknown_time_zone_is_named() {
        let err = with(|p| p.time_zone = "Mars/Olympus".into()).unwrap_err();
        assert_eq!(err.field, "time_zone");
        assert!(err.message.contains("Mars/Olympus"));
        assert!(with(|p| p.time_zone = "Australia/Sydney".into()).is_ok());
    }

    #[test]
    fn notice_must_fit_inside_horizon() {
        let err = with(|p| {
            p.booking_horizon_days = 1;
            p.min_notice_minutes = 24 * 60;
        })
        .unwrap_err();
        assert_eq!(err.field, "min_notice_minutes");
    }

    proptest! {
        #[test]
        fn accepted_slot_lengths_always_divide_a_day(minutes in -100i64..500) {
            if let Ok(policy) = with(|p| p.slot_minutes = minutes) {
                prop_assert_eq!(MINUTES_PER_DAY % policy.slot_length().num_minutes(), 0);
                prop_assert!(policy.slot_length().num_minutes() > 0);
            }
        }
    }
}
