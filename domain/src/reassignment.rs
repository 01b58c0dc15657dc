//! PRODUCT.md rule 6: where an appointment goes when its doctor becomes unavailable
//! (blocks the time, takes leave, is deactivated, the clinic closes, hours change).
//!
//! Outside the change-freeze window it moves to another doctor who has every slot of the
//! visit free at the same time, chosen by the same policy as a new booking
//! (`assignment`: fewest visits that day, ties rotated); the patient keeps their time.
//! Inside the freeze window, or when nobody is free, it waits for staff in the attention
//! queue, keeping its slots.

use chrono::{DateTime, Utc};

use crate::ClinicPolicy;

/// Why an appointment goes to the staff attention queue instead of another doctor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueReason {
    /// It starts within the change freeze: too close to move without a person deciding.
    InsideFreeze,
    /// No other doctor has the whole visit free at that time.
    NobodyFree,
}

/// Whether an appointment starting at `start` may be moved to another doctor by itself.
pub fn may_move(
    policy: &ClinicPolicy,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
) -> Result<(), QueueReason> {
    if start - now < policy.change_freeze() {
        Err(QueueReason::InsideFreeze)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 3, 4, 14, 0, 0).unwrap()
    }

    #[test]
    fn inside_the_freeze_window_it_always_waits_for_staff() {
        let policy = ClinicPolicy::default();
        let freeze = policy.change_freeze();
        assert_eq!(
            may_move(&policy, now(), now() + freeze - Duration::minutes(30)),
            Err(QueueReason::InsideFreeze)
        );
        assert_eq!(may_move(&policy, now(), now() + freeze), Ok(()));
        assert_eq!(
            may_move(&policy, now(), now() - Duration::hours(1)),
            Err(QueueReason::InsideFreeze)
        );
    }

    proptest! {
        #[test]
        fn moves_exactly_outside_the_freeze(minutes_ahead in -600i64..10_000) {
            let policy = ClinicPolicy::default();
            let start = now() + Duration::minutes(minutes_ahead);
            prop_assert_eq!(
                may_move(&policy, now(), start).is_ok(),
                minutes_ahead >= policy.change_freeze().num_minutes()
            );
        }
    }
}
