//! Sign-in throttling (OWASP ASVS 5.0, 6.3): repeated failures slow down, then pause
//! sign-in for a while — per account and per client address — without ever locking the
//! real owner out for good: only failures inside a sliding window count.

use chrono::Duration;

/// Failures older than this are forgotten.
pub const WINDOW_MINUTES: i64 = 15;
/// From this many recent failures on one account, each attempt is delayed.
pub const SLOW_AFTER: u32 = 3;
/// From this many recent failures on one account, sign-in pauses.
pub const BLOCK_ACCOUNT_AFTER: u32 = 10;
/// From this many recent failures from one client address (any account), sign-in pauses.
pub const BLOCK_ADDRESS_AFTER: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead, after waiting this long.
    Allow { delay: Duration },
    /// Refuse ("try again later") until the window slides past old failures.
    Block,
}

/// `account_failures`: failures for the email since its last success inside the window;
/// `address_failures`: failures from the client address inside the window.
pub fn verdict(account_failures: u32, address_failures: u32) -> Verdict {
    if account_failures >= BLOCK_ACCOUNT_AFTER || address_failures >= BLOCK_ADDRESS_AFTER {
        return Verdict::Block;
    }
    let over = account_failures.saturating_sub(SLOW_AFTER - 1);
    Verdict::Allow {
        delay: Duration::milliseconds((i64::from(over) * 500).min(4000)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_failures_cost_nothing_then_slow_down_then_block() {
        assert_eq!(
            verdict(0, 0),
            Verdict::Allow {
                delay: Duration::zero()
            }
        );
        assert_eq!(
            verdict(2, 2),
            Verdict::Allow {
                delay: Duration::zero()
            }
        );
        assert_eq!(
            verdict(3, 3),
            Verdict::Allow {
                delay: Duration::milliseconds(500)
            }
        );
        assert_eq!(
            verdict(9, 9),
            Verdict::Allow {
                delay: Duration::milliseconds(3500)
            }
        );
        assert_eq!(verdict(10, 10), Verdict::Block);
        assert_eq!(
            verdict(0, 50),
            Verdict::Block,
            "one address trying many accounts"
        );
    }

    #[test]
    fn delays_never_exceed_four_seconds() {
        for n in 0..BLOCK_ACCOUNT_AFTER {
            if let Verdict::Allow { delay } = verdict(n, 0) {
                assert!(delay <= Duration::seconds(4));
            }
        }
    }
}
