//! The rules for booking and changing appointments, and the errors a page can explain.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::availability::BookingWindow;
use crate::ClinicPolicy;

/// Why a booking or change was refused. Each variant says what the person can do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum BookingError {
    #[error("That time has just been taken. Please choose another time.")]
    SlotTaken { alternatives: Vec<DateTime<Utc>> },
    #[error("Your reservation of this time has run out. Please choose a time again.")]
    HoldExpired { alternatives: Vec<DateTime<Utc>> },
    #[error("We could not find your reservation of this time. Please choose a time again.")]
    HoldNotFound,
    #[error("Appointments cannot be changed or cancelled online within {freeze_hours} hours of their start. Please call the clinic.")]
    TooLateToChange { freeze_hours: i64 },
    #[error("This appointment has already been changed {limit} times, the most allowed online. Please call the clinic.")]
    ChangeLimitReached { limit: u32 },
    #[error("You already have {limit} upcoming appointments, the most allowed at once.")]
    TooManyActiveAppointments { limit: u32 },
    #[error("Appointments can be booked from {earliest} until {latest}.")]
    OutsideBookingWindow {
        earliest: DateTime<Utc>,
        latest: DateTime<Utc>,
    },
    #[error("That is not one of the clinic's appointment start times.")]
    NotOnGrid,
    #[error("That appointment type is not offered.")]
    UnknownAppointmentType,
    #[error("This appointment is {status} and can no longer be changed.")]
    NotChangeable { status: AppointmentStatus },
    #[error("Staff must give a reason when overriding the clinic's rules.")]
    OverrideReasonRequired,
    /// The patient already has a visit overlapping this time (with any doctor).
    #[error(
        "You already have an appointment at this time. Choose a time that does not overlap it."
    )]
    OverlapsOwnAppointment { appointment_id: Option<i64> },
    /// The hold was confirmed already, e.g. from another tab: nothing was lost.
    #[error("This time is already booked for you.")]
    AlreadyBooked { appointment_id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    Cancelled,
    Completed,
    NoShow,
}

impl AppointmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
            Self::NoShow => "no_show",
        }
    }

    /// The status in a patient's words ("Missed", not the clinic's "No-show").
    pub fn patient_label(self) -> &'static str {
        match self {
            Self::Booked => "Booked",
            Self::Cancelled => "Cancelled",
            Self::Completed => "Completed",
            Self::NoShow => "Missed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "booked" => Self::Booked,
            "cancelled" => Self::Cancelled,
            "completed" => Self::Completed,
            "no_show" => Self::NoShow,
            _ => return None,
        })
    }
}

/// The database stores the status as text; reading an unknown one is an error.
impl TryFrom<String> for AppointmentStatus {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).ok_or_else(|| format!("unknown appointment status {text}"))
    }
}

impl std::fmt::Display for AppointmentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NoShow => "a no-show",
            other => other.as_str(),
        })
    }
}

/// Who is acting. Staff act on a patient's behalf and may override the patient rules
/// (freeze window, change limit), but only with a reason that is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Patient,
    Staff { override_reason: Option<String> },
}

/// What the rules need to know about an existing appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppointmentFacts {
    pub start: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub change_count: u32,
}

/// A start time a client sent, in the range later arithmetic on it can handle. One outside
/// it (say in the year 262,142) is not one of the clinic's start times: the same answer
/// as a time off the grid, before anything is read.
pub fn parse_start(start: DateTime<Utc>) -> Result<crate::bounded::BoundedInstant, BookingError> {
    crate::bounded::BoundedInstant::new(start).map_err(|_| BookingError::NotOnGrid)
}

/// A patient may book `start` only inside the booking window and on the clinic grid.
pub fn check_new_start(
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
) -> Result<(), BookingError> {
    if !policy.is_on_grid(start) {
        return Err(BookingError::NotOnGrid);
    }
    let window = BookingWindow::for_patients(policy, now);
    if !window.contains(start) {
        return Err(BookingError::OutsideBookingWindow {
            earliest: window.earliest,
            latest: window.latest,
        });
    }
    Ok(())
}

/// The rules of a new booking: on the grid and in the future always; the patient rules
/// — the booking window (minimum notice, horizon) and the active-appointment limit — for
/// patients, while staff may book past them with a reason. `Ok(Some(reason))` is a staff
/// override to record.
pub fn check_new_booking(
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    active_now: u32,
    actor: &Actor,
) -> Result<Option<String>, BookingError> {
    check_bookable_start(policy, now, start)?;
    let broken = check_new_start(policy, now, start)
        .err()
        .or_else(|| check_active_limit(policy, active_now).err());
    patient_rule(actor, broken)
}

/// The rules no one may pass: a new visit starts on the grid and in the future. Checked
/// before anything is read, for staff too (a start far in the past is not even a time the
/// database can compute with).
pub fn check_bookable_start(
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
) -> Result<(), BookingError> {
    if !policy.is_on_grid(start) {
        return Err(BookingError::NotOnGrid);
    }
    if start <= now {
        let window = BookingWindow::for_patients(policy, now);
        return Err(BookingError::OutsideBookingWindow {
            earliest: window.earliest,
            latest: window.latest,
        });
    }
    Ok(())
}

/// A patient may hold at most the policy's number of upcoming appointments.
pub fn check_active_limit(policy: &ClinicPolicy, active_now: u32) -> Result<(), BookingError> {
    let limit = policy.max_active_appointments();
    if active_now >= limit {
        Err(BookingError::TooManyActiveAppointments { limit })
    } else {
        Ok(())
    }
}

fn check_changeable(now: DateTime<Utc>, appt: &AppointmentFacts) -> Result<(), BookingError> {
    if appt.status != AppointmentStatus::Booked || appt.start <= now {
        let status = if appt.status == AppointmentStatus::Booked {
            AppointmentStatus::Completed
        } else {
            appt.status
        };
        return Err(BookingError::NotChangeable { status });
    }
    Ok(())
}

/// Applies a patient rule, or lets staff through when they give a reason. Returns the
/// override reason to record, if one was needed.
fn patient_rule(
    actor: &Actor,
    broken: Option<BookingError>,
) -> Result<Option<String>, BookingError> {
    match (broken, actor) {
        (None, _) => Ok(None),
        (Some(err), Actor::Patient) => Err(err),
        (Some(_), Actor::Staff { override_reason }) => {
            match override_reason.as_deref().map(str::trim) {
                Some(reason) if !reason.is_empty() => Ok(Some(reason.to_owned())),
                _ => Err(BookingError::OverrideReasonRequired),
            }
        }
    }
}

fn freeze_rule(
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
    appt: &AppointmentFacts,
) -> Option<BookingError> {
    (appt.start - now < policy.change_freeze()).then(|| BookingError::TooLateToChange {
        freeze_hours: policy.change_freeze().num_hours(),
    })
}

/// May `actor` cancel this appointment now? `Ok(Some(reason))` means a staff override.
pub fn check_cancel(
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
    appt: &AppointmentFacts,
    actor: &Actor,
) -> Result<Option<String>, BookingError> {
    check_changeable(now, appt)?;
    patient_rule(actor, freeze_rule(policy, now, appt))
}

/// May `actor` move this appointment now? `Ok(Some(reason))` means a staff override.
pub fn check_reschedule(
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
    appt: &AppointmentFacts,
    actor: &Actor,
) -> Result<Option<String>, BookingError> {
    check_changeable(now, appt)?;
    let limit = policy.max_changes_per_appointment();
    let broken = freeze_rule(policy, now, appt).or_else(|| {
        (appt.change_count >= limit).then_some(BookingError::ChangeLimitReached { limit })
    });
    patient_rule(actor, broken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }
    fn booked_in(hours: i64, change_count: u32) -> AppointmentFacts {
        AppointmentFacts {
            start: now() + Duration::hours(hours),
            status: AppointmentStatus::Booked,
            change_count,
        }
    }
    fn staff(reason: &str) -> Actor {
        Actor::Staff {
            override_reason: Some(reason.to_owned()),
        }
    }

    #[test]
    fn new_starts_must_be_on_grid_and_inside_the_window() {
        let policy = ClinicPolicy::default();
        assert_eq!(
            check_new_start(&policy, now(), now() + Duration::hours(3)),
            Ok(())
        );
        assert_eq!(
            check_new_start(
                &policy,
                now(),
                now() + Duration::hours(3) + Duration::minutes(10)
            ),
            Err(BookingError::NotOnGrid)
        );
        assert!(matches!(
            check_new_start(&policy, now(), now() + Duration::hours(1)),
            Err(BookingError::OutsideBookingWindow { .. })
        ));
        assert!(matches!(
            check_new_start(&policy, now(), now() + Duration::days(61)),
            Err(BookingError::OutsideBookingWindow { .. })
        ));
    }

    #[test]
    fn patients_cannot_change_inside_the_freeze_window() {
        let policy = ClinicPolicy::default();
        let soon = booked_in(23, 0);
        assert_eq!(
            check_cancel(&policy, now(), &soon, &Actor::Patient),
            Err(BookingError::TooLateToChange { freeze_hours: 24 })
        );
        assert_eq!(
            check_reschedule(&policy, now(), &soon, &Actor::Patient),
            Err(BookingError::TooLateToChange { freeze_hours: 24 })
        );
        assert_eq!(
            check_cancel(&policy, now(), &booked_in(25, 0), &Actor::Patient),
            Ok(None)
        );
    }

    #[test]
    fn patients_are_limited_in_reschedules_but_not_in_cancelling() {
        let policy = ClinicPolicy::default();
        let changed_thrice = booked_in(48, 3);
        assert_eq!(
            check_reschedule(&policy, now(), &changed_thrice, &Actor::Patient),
            Err(BookingError::ChangeLimitReached { limit: 3 })
        );
        assert_eq!(
            check_reschedule(&policy, now(), &booked_in(48, 2), &Actor::Patient),
            Ok(None)
        );
        assert_eq!(
            check_cancel(&policy, now(), &changed_thrice, &Actor::Patient),
            Ok(None)
        );
    }

    #[test]
    fn staff_book_past_the_patient_rules_only_with_a_reason_and_never_in_the_past() {
        let policy = ClinicPolicy::default();
        let now = Utc.with_ymd_and_hms(2030, 3, 4, 14, 0, 0).unwrap();
        let soon = now + Duration::minutes(30); // inside the 2-hour notice
        let staff = |reason: Option<&str>| Actor::Staff {
            override_reason: reason.map(str::to_owned),
        };
        assert!(matches!(
            check_new_booking(&policy, now, soon, 0, &Actor::Patient),
            Err(BookingError::OutsideBookingWindow { .. })
        ));
        assert_eq!(
            check_new_booking(&policy, now, soon, 0, &staff(None)),
            Err(BookingError::OverrideReasonRequired)
        );
        assert_eq!(
            check_new_booking(&policy, now, soon, 0, &staff(Some("  "))),
            Err(BookingError::OverrideReasonRequired)
        );
        assert_eq!(
            check_new_booking(&policy, now, soon, 9, &staff(Some("urgent, called in"))),
            Ok(Some("urgent, called in".to_owned()))
        );
        let later = now + Duration::days(2);
        assert_eq!(
            check_new_booking(&policy, now, later, 0, &staff(None)),
            Ok(None)
        );
        assert!(matches!(
            check_new_booking(&policy, now, later, 3, &Actor::Patient),
            Err(BookingError::TooManyActiveAppointments { limit: 3 })
        ));
        assert!(matches!(
            check_new_booking(
                &policy,
                now,
                now - Duration::hours(1),
                0,
                &staff(Some("late entry"))
            ),
            Err(BookingError::OutsideBookingWindow { .. })
        ));
        assert_eq!(
            check_new_booking(
                &policy,
                now,
                later + Duration::minutes(7),
                0,
                &staff(Some("x"))
            ),
            Err(BookingError::NotOnGrid)
        );
    }

    #[test]
    fn staff_override_only_with_a_recorded_reason() {
        let policy = ClinicPolicy::default();
        let soon = booked_in(2, 5);
        assert_eq!(
            check_reschedule(
                &policy,
                now(),
                &soon,
                &Actor::Staff {
                    override_reason: None
                }
            ),
            Err(BookingError::OverrideReasonRequired)
        );
        assert_eq!(
            check_cancel(&policy, now(), &soon, &staff("   ")),
            Err(BookingError::OverrideReasonRequired)
        );
        assert_eq!(
            check_reschedule(
                &policy,
                now(),
                &soon,
                &staff("patient called, doctor agreed")
            ),
            Ok(Some("patient called, doctor agreed".to_owned()))
        );
        // No rule broken: no reason needed, none recorded.
        assert_eq!(
            check_cancel(&policy, now(), &booked_in(72, 0), &staff("x")),
            Ok(None)
        );
    }

    #[test]
    fn finished_or_cancelled_appointments_cannot_change() {
        let policy = ClinicPolicy::default();
        let cancelled = AppointmentFacts {
            status: AppointmentStatus::Cancelled,
            ..booked_in(72, 0)
        };
        assert_eq!(
            check_cancel(&policy, now(), &cancelled, &staff("x")),
            Err(BookingError::NotChangeable {
                status: AppointmentStatus::Cancelled
            })
        );
        let started = booked_in(-1, 0);
        assert!(matches!(
            check_reschedule(&policy, now(), &started, &staff("x")),
            Err(BookingError::NotChangeable { .. })
        ));
    }

    #[test]
    fn active_limit() {
        let policy = ClinicPolicy::default();
        assert_eq!(check_active_limit(&policy, 2), Ok(()));
        assert_eq!(
            check_active_limit(&policy, 3),
            Err(BookingError::TooManyActiveAppointments { limit: 3 })
        );
    }

    #[test]
    fn status_round_trips_through_text() {
        for s in [
            AppointmentStatus::Booked,
            AppointmentStatus::Cancelled,
            AppointmentStatus::Completed,
            AppointmentStatus::NoShow,
        ] {
            assert_eq!(AppointmentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AppointmentStatus::parse("deleted"), None);
    }
}
