//! Retry delays for failed background jobs: exponential, capped.

use chrono::Duration;

/// Delay before the next try after `attempts` failed attempts (1 = the first failure):
/// `base × 2^(attempts-1)`, never more than `cap`.
pub fn retry_delay(attempts: u32, base: Duration, cap: Duration) -> Duration {
    let exp = attempts.saturating_sub(1).min(30);
    let factor = 1i64 << exp;
    let delay = base.num_milliseconds().saturating_mul(factor);
    Duration::milliseconds(delay.min(cap.num_milliseconds()).max(0))
}

/// The defaults the job runner uses: 30 s, 1 min, 2 min, … up to 1 h.
pub fn default_retry_delay(attempts: u32) -> Duration {
    retry_delay(attempts, Duration::seconds(30), Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_from_the_base() {
        let d = |n| default_retry_delay(n).num_seconds();
        assert_eq!([d(1), d(2), d(3), d(4)], [30, 60, 120, 240]);
    }

    #[test]
    fn is_capped() {
        assert_eq!(default_retry_delay(8).num_seconds(), 3600);
        assert_eq!(default_retry_delay(u32::MAX).num_seconds(), 3600);
    }

    #[test]
    fn zero_attempts_waits_the_base() {
        assert_eq!(default_retry_delay(0).num_seconds(), 30);
    }

    proptest! {
        #[test]
        fn never_decreases_and_stays_within_bounds(n in 0u32..200, base_ms in 1i64..100_000, cap_ms in 1i64..10_000_000) {
            let base = Duration::milliseconds(base_ms);
            let cap = Duration::milliseconds(cap_ms);
            let a = retry_delay(n, base, cap);
            let b = retry_delay(n + 1, base, cap);
            prop_assert!(b >= a);
            prop_assert!(a <= cap);
            prop_assert!(a >= base.min(cap));
        }
    }
}
