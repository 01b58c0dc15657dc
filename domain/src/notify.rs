//! Notification rules: which message a burst of changes becomes, and when to retry.

use chrono::Duration;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    AppointmentBooked,
    AppointmentRescheduled,
    AppointmentReassigned,
    AppointmentCancelled,
    AppointmentNeedsAttention,
    AppointmentReminder,
    AccountWelcome,
    PasswordChanged,
    /// Carries a one-time link (its token travels in the outbox row's `secret`).
    PasswordReset,
    /// Carries the one-time link that confirms a new patient's address.
    EmailVerification,
    /// To an existing account's owner: someone tried to sign up with their address.
    SignupAttempt,
    /// Carries the one-time link with which a patient the staff recorded sets a password.
    AccountInvitation,
    /// Two-step sign-in was turned on for the account.
    TwoStepOn,
    /// Two-step sign-in was turned off (by the person) or reset (by the clinic).
    TwoStepOff,
    /// A passkey was added to the account.
    PasskeyAdded,
    /// A passkey was removed from the account.
    PasskeyRemoved,
    /// An earlier time for a waiting patient, with its one-action link (the token in the
    /// outbox row's `secret`, the offer in `waitlist_offer_id`).
    WaitlistOffer,
    /// The optional second reminder, shortly before the visit: only while the patient has
    /// not confirmed it.
    AppointmentSecondReminder,
    /// An answer to a text the clinic received (its number and words in the outbox row).
    SmsReply,
}

impl NotificationKind {
    pub const ALL: [Self; 19] = [
        Self::AppointmentBooked,
        Self::AppointmentRescheduled,
        Self::AppointmentReassigned,
        Self::AppointmentCancelled,
        Self::AppointmentNeedsAttention,
        Self::AppointmentReminder,
        Self::AccountWelcome,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailVerification,
        Self::SignupAttempt,
        Self::AccountInvitation,
        Self::TwoStepOn,
        Self::TwoStepOff,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::WaitlistOffer,
        Self::AppointmentSecondReminder,
        Self::SmsReply,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AppointmentBooked => "appointment_booked",
            Self::AppointmentRescheduled => "appointment_rescheduled",
            Self::AppointmentReassigned => "appointment_reassigned",
            Self::AppointmentCancelled => "appointment_cancelled",
            Self::AppointmentNeedsAttention => "appointment_needs_attention",
            Self::AppointmentReminder => "appointment_reminder",
            Self::AccountWelcome => "account_welcome",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
            Self::SignupAttempt => "signup_attempt",
            Self::AccountInvitation => "account_invitation",
            Self::TwoStepOn => "two_step_on",
            Self::TwoStepOff => "two_step_off",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::WaitlistOffer => "waitlist_offer",
            Self::AppointmentSecondReminder => "appointment_second_reminder",
            Self::SmsReply => "sms_reply",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Changes to an appointment, which debounce into one message.
    pub fn is_appointment_change(self) -> bool {
        matches!(
            self,
            Self::AppointmentBooked
                | Self::AppointmentRescheduled
                | Self::AppointmentReassigned
                | Self::AppointmentCancelled
                | Self::AppointmentNeedsAttention
        )
    }
}

/// The one message that replaces a not-yet-sent `pending` message when `next` happens
/// inside the debounce time. The message always describes the appointment's final state
/// (rendered at send time); this picks how it is framed:
/// - a cancellation wins (the final state is cancelled);
/// - a booking the patient has not been told about yet stays a booking, whatever moved;
/// - otherwise the latest change.
pub fn merge_pending(pending: NotificationKind, next: NotificationKind) -> NotificationKind {
    use NotificationKind::*;
    match (pending, next) {
        (_, AppointmentCancelled) => AppointmentCancelled,
        (AppointmentBooked, AppointmentRescheduled | AppointmentReassigned) => AppointmentBooked,
        (_, next) => next,
    }
}

/// Delivery gives up after this many attempts; the message is then dead (kept for staff).
pub const MAX_ATTEMPTS: u32 = 8;

/// Wait before retry number `attempt + 1` after `attempt` failures: 30 s doubling, at most
/// an hour, with ±20% jitter from `jitter_unit` in [0, 1) so retries of many messages
/// after an outage do not arrive in lockstep.
pub fn retry_backoff(attempt: u32, jitter_unit: f64) -> Duration {
    let base = 30_i64
        .saturating_mul(1_i64 << attempt.saturating_sub(1).min(20))
        .min(3600);
    let jitter = 0.8 + 0.4 * jitter_unit.clamp(0.0, 1.0);
    Duration::milliseconds((base as f64 * 1000.0 * jitter) as i64)
}

#[cfg(test)]
mod tests {
    use super::NotificationKind::*;
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn bursts_merge_into_the_final_framing() {
        assert_eq!(
            merge_pending(AppointmentBooked, AppointmentRescheduled),
            AppointmentBooked
        );
        assert_eq!(
            merge_pending(AppointmentBooked, AppointmentCancelled),
            AppointmentCancelled
        );
        assert_eq!(
            merge_pending(AppointmentRescheduled, AppointmentRescheduled),
            AppointmentRescheduled
        );
        assert_eq!(
            merge_pending(AppointmentRescheduled, AppointmentReassigned),
            AppointmentReassigned
        );
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        assert_eq!(retry_backoff(1, 0.5), Duration::seconds(30));
        assert_eq!(retry_backoff(2, 0.5), Duration::seconds(60));
        assert_eq!(retry_backoff(3, 0.5), Duration::seconds(120));
        assert_eq!(retry_backoff(30, 0.5), Duration::seconds(3600));
        assert_eq!(retry_backoff(1, 0.0), Duration::seconds(24));
        assert!(retry_backoff(1, 0.999) < Duration::seconds(36));
    }
}
