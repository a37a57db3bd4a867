//! Progressive account lockout (spec/domain.md §10): 5 failed sign-ins in a row lock an account
//! for 5 minutes, 10 for an hour, 15 until an admin unlocks it. The count starts again after
//! 24 hours without a failure and after a successful sign-in. The steps are configurable
//! (`AGLIS_LOCKOUT_STEPS=5:5,10:60,15:0`, minutes, 0 = until unlocked).

use chrono::{DateTime, Duration, Utc};
use std::fmt;

/// The count of failures is forgotten after this long without one.
pub const RESET_AFTER: Duration = Duration::hours(24);
/// The built-in policy.
pub const DEFAULT_STEPS: &str = "5:5,10:60,15:0";
/// Failures left before a lock at which the sign-in answer warns.
pub const WARN_WITHIN: u32 = 2;

const MAX_STEPS: usize = 10;
const MAX_FAILURES: u32 = 1000;
/// 30 days.
const MAX_MINUTES: u32 = 43_200;

/// How long one step locks an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockFor {
    Minutes(u32),
    /// Until an admin unlocks it.
    UntilUnlocked,
}

/// `failures` in a row lock the account for `lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub failures: u32,
    pub lock: LockFor,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a list of failures:minutes such as 5:5,10:60,15:0 (failures rising from 1 to 1000, minutes 0–43200, 0 = until an admin unlocks, at most 10 steps)"
)]
pub struct PolicyError(pub String);

/// The steps of the progressive lockout, failures strictly rising.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    steps: Vec<Step>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            steps: vec![
                Step { failures: 5, lock: LockFor::Minutes(5) },
                Step { failures: 10, lock: LockFor::Minutes(60) },
                Step { failures: 15, lock: LockFor::UntilUnlocked },
            ],
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .steps
            .iter()
            .map(|s| match s.lock {
                LockFor::Minutes(m) => format!("{}:{m}", s.failures),
                LockFor::UntilUnlocked => format!("{}:0", s.failures),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// Where an account stands, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct State {
    /// Failures in a row so far.
    pub failures: u32,
    pub last_failed_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
    pub locked_forever: bool,
}

/// Whether the account may sign in now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Locked { until: DateTime<Utc> },
    LockedUntilUnlocked,
}

/// A lock that a failure has just caused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    Until(DateTime<Utc>),
    UntilUnlocked,
}

/// What one more failure does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// The state to store.
    pub state: State,
    /// The lock this failure caused, if any.
    pub locked: Option<Lock>,
    /// Failures left before the next lock, when it is close ([`WARN_WITHIN`] or fewer) and no
    /// lock was just applied.
    pub remaining: Option<u32>,
}

/// The account's status at `now`.
pub fn status(state: &State, now: DateTime<Utc>) -> Status {
    if state.locked_forever {
        Status::LockedUntilUnlocked
    } else {
        match state.locked_until {
            Some(until) if until > now => Status::Locked { until },
            _ => Status::Open,
        }
    }
}

/// The failures that still count at `now` (none after [`RESET_AFTER`] without one).
pub fn current_failures(state: &State, now: DateTime<Utc>) -> u32 {
    match state.last_failed_at {
        Some(last) if now - last < RESET_AFTER => state.failures,
        _ => 0,
    }
}

impl Policy {
    /// Parses `5:5,10:60,15:0`.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let bad = || PolicyError(text.to_owned());
        let mut steps: Vec<Step> = Vec::new();
        for part in text.split(',') {
            let (failures, minutes) = part.split_once(':').ok_or_else(bad)?;
            let failures: u32 = failures.trim().parse().map_err(|_| bad())?;
            let minutes: u32 = minutes.trim().parse().map_err(|_| bad())?;
            let rising = steps.last().is_none_or(|prev| failures > prev.failures);
            if !(1..=MAX_FAILURES).contains(&failures) || minutes > MAX_MINUTES || !rising {
                return Err(bad());
            }
            let lock = if minutes == 0 { LockFor::UntilUnlocked } else { LockFor::Minutes(minutes) };
            steps.push(Step { failures, lock });
        }
        if steps.len() > MAX_STEPS {
            return Err(bad());
        }
        Ok(Policy { steps })
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The step that `failures` in a row reach exactly. Past the last step, the last one repeats
    /// every (last − previous) failures, so a policy without a permanent lock keeps locking.
    fn step_reached(&self, failures: u32) -> Option<Step> {
        if let Some(step) = self.steps.iter().find(|s| s.failures == failures) {
            return Some(*step);
        }
        let last = *self.steps.last()?;
        let gap = self.gap();
        (failures > last.failures && (failures - last.failures).is_multiple_of(gap)).then_some(last)
    }

    fn gap(&self) -> u32 {
        match self.steps.as_slice() {
            [.., prev, last] => last.failures - prev.failures,
            [only] => only.failures,
            [] => 1,
        }
    }

    /// The number of failures at which the next lock comes, after `failures`.
    fn next_lock_at(&self, failures: u32) -> Option<u32> {
        if let Some(step) = self.steps.iter().find(|s| s.failures > failures) {
            return Some(step.failures);
        }
        let last = self.steps.last()?;
        if last.lock == LockFor::UntilUnlocked {
            return None;
        }
        let gap = self.gap();
        Some(failures + gap - (failures - last.failures) % gap)
    }

    /// One more failure at `now`: the new state, the lock it causes, and a warning when a lock
    /// is near.
    pub fn on_failure(&self, state: &State, now: DateTime<Utc>) -> Failure {
        let failures = current_failures(state, now).saturating_add(1);
        let mut next = State { failures, last_failed_at: Some(now), ..*state };
        let locked = self.step_reached(failures).map(|step| match step.lock {
            LockFor::Minutes(m) => Lock::Until(now + Duration::minutes(i64::from(m))),
            LockFor::UntilUnlocked => Lock::UntilUnlocked,
        });
        match locked {
            Some(Lock::Until(until)) => next.locked_until = Some(until),
            Some(Lock::UntilUnlocked) => next.locked_forever = true,
            None => {}
        }
        let remaining = match locked {
            Some(_) => None,
            None => self.next_lock_at(failures).map(|at| at - failures).filter(|r| (1..=WARN_WITHIN).contains(r)),
        };
        Failure { state: next, locked, remaining }
    }
}

/// The state after a successful sign-in or an admin's unlock: nothing counts any more.
pub fn cleared() -> State {
    State::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).expect("valid")
    }

    /// Applies `n` failures one second apart from `state` at `at`.
    fn fail(policy: &Policy, mut state: State, at: DateTime<Utc>, n: u32) -> (State, Vec<Failure>) {
        let mut out = Vec::new();
        for i in 0..n {
            let f = policy.on_failure(&state, at + Duration::seconds(i64::from(i)));
            state = f.state;
            out.push(f);
        }
        (state, out)
    }

    #[test]
    fn the_default_policy_parses_from_its_text() {
        assert_eq!(Policy::parse(DEFAULT_STEPS), Ok(Policy::default()));
        assert_eq!(Policy::default().to_string(), DEFAULT_STEPS);
        assert_eq!(Policy::parse(" 3 : 1 ").expect("ok").steps(), &[Step { failures: 3, lock: LockFor::Minutes(1) }]);
    }

    #[test]
    fn bad_policies_are_refused() {
        for bad in [
            "",
            "5",
            "5:",
            ":5",
            "a:b",
            "5:5,5:10",
            "10:5,5:5",
            "0:5",
            "5:-1",
            "5:43201",
            "1001:5",
            "1:1,2:1,3:1,4:1,5:1,6:1,7:1,8:1,9:1,10:1,11:1",
        ] {
            assert!(Policy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn five_failures_lock_five_minutes_ten_an_hour_fifteen_for_good() {
        let p = Policy::default();
        let (state, f) = fail(&p, State::default(), t0(), 4);
        assert!(f.iter().all(|f| f.locked.is_none()));
        assert_eq!(status(&state, t0() + Duration::seconds(4)), Status::Open);

        let at = t0() + Duration::seconds(10);
        let fifth = p.on_failure(&state, at);
        assert_eq!(fifth.locked, Some(Lock::Until(at + Duration::minutes(5))));
        assert_eq!(status(&fifth.state, at), Status::Locked { until: at + Duration::minutes(5) });
        assert_eq!(status(&fifth.state, at + Duration::minutes(5)), Status::Open, "released after 5 minutes");

        let at = at + Duration::minutes(5);
        let (state, f) = fail(&p, fifth.state, at, 5);
        assert_eq!(state.failures, 10);
        assert_eq!(f[4].locked, Some(Lock::Until(at + Duration::seconds(4) + Duration::hours(1))));

        let at = at + Duration::hours(2);
        let (state, f) = fail(&p, state, at, 5);
        assert_eq!(f[4].locked, Some(Lock::UntilUnlocked));
        assert_eq!(status(&state, at + Duration::days(365)), Status::LockedUntilUnlocked);
        assert_eq!(status(&cleared(), at), Status::Open);
    }

    #[test]
    fn the_count_resets_after_a_day_without_failures() {
        let p = Policy::default();
        let (state, _) = fail(&p, State::default(), t0(), 4);
        assert_eq!(current_failures(&state, t0() + Duration::hours(23)), 4);
        let later = t0() + Duration::hours(24) + Duration::seconds(3);
        assert_eq!(current_failures(&state, later), 0);
        let f = p.on_failure(&state, later);
        assert_eq!(f.state.failures, 1);
        assert_eq!(f.locked, None);
        // but within the day the fifth locks
        let f = p.on_failure(&state, t0() + Duration::hours(23));
        assert!(f.locked.is_some());
    }

    #[test]
    fn the_answer_warns_when_one_or_two_failures_remain() {
        let p = Policy::default();
        let (_, f) = fail(&p, State::default(), t0(), 15);
        let remaining: Vec<Option<u32>> = f.iter().map(|f| f.remaining).collect();
        assert_eq!(
            remaining,
            vec![
                None,
                None,
                Some(2),
                Some(1),
                None,
                None,
                None,
                Some(2),
                Some(1),
                None,
                None,
                None,
                Some(2),
                Some(1),
                None
            ]
        );
    }

    #[test]
    fn without_a_permanent_step_the_last_one_repeats() {
        let p = Policy::parse("3:1,6:10").expect("ok");
        let (_, f) = fail(&p, State::default(), t0(), 12);
        let locks: Vec<usize> = f.iter().enumerate().filter(|(_, f)| f.locked.is_some()).map(|(i, _)| i + 1).collect();
        assert_eq!(locks, vec![3, 6, 9, 12]);
        assert_eq!(f[7].remaining, Some(1), "the 8th warns before the 9th");
    }
}
