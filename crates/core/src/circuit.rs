//! A circuit breaker per provider: after `threshold` failures in a row the provider is skipped for
//! `cooldown`; then one try is let through, and a success closes the circuit again.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    failures: u32,
    open_until: Option<DateTime<Utc>>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self { threshold: threshold.max(1), cooldown, failures: 0, open_until: None }
    }

    /// Whether a call may go through at `now` (closed, or open with the cooldown over).
    pub fn allows(&self, now: DateTime<Utc>) -> bool {
        self.open_until.is_none_or(|until| now >= until)
    }

    pub fn record_success(&mut self) {
        self.failures = 0;
        self.open_until = None;
    }

    pub fn record_failure(&mut self, now: DateTime<Utc>) {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.threshold {
            self.open_until = Some(now + self.cooldown);
        }
    }

    /// When the circuit lets calls through again, if it is open at `now`.
    pub fn open_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.open_until.filter(|until| now < *until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).expect("time")
    }

    #[test]
    fn opens_after_the_threshold_and_half_opens_after_the_cooldown() {
        let mut b = Breaker::new(3, Duration::seconds(60));
        for i in 0..2 {
            b.record_failure(t(i));
            assert!(b.allows(t(i)), "below the threshold");
        }
        b.record_failure(t(2));
        assert!(!b.allows(t(3)));
        assert_eq!(b.open_until(t(3)), Some(t(62)));
        assert!(b.allows(t(62)), "one try after the cooldown");
        b.record_failure(t(62));
        assert!(!b.allows(t(63)), "a failed trial reopens at once");
        b.record_success();
        assert!(b.allows(t(64)));
        b.record_failure(t(64));
        assert!(b.allows(t(65)), "the count started again");
    }
}
