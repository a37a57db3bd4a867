//! The first-response promise: how soon after a ticket is opened someone from the ISP acts on
//! it. The first response is the first action by staff or a technician after creation — an
//! assignment, a status step or a comment; the customer's own comments do not count. It is
//! measured on the ticket's SLA calendar, like the resolution target, without its paused spans.

use crate::sla::{Calendar, Pause, SlaClock};
use chrono::{DateTime, Duration, Utc};

crate::str_enum! { "first-response state",
    pub enum ResponseState {
        /// Nobody has answered yet and there is still time.
        Pending = "pending",
        /// Answered within the target.
        Met = "met",
        /// Answered late, or not answered and the target has passed.
        Breached = "breached",
    }
}

/// The first-response clock of one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstResponse {
    pub target: Duration,
    /// When the target is (or was) reached; `None` while the clock is paused.
    pub due_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub state: ResponseState,
    /// Working time left (negative: how late); for an answered ticket, the margin it was answered with.
    pub left: Duration,
}

/// The first-response clock of a ticket created at `created` with `target`, answered at
/// `responded_at` (if it was), as seen at `now`.
pub fn measure(
    calendar: &Calendar,
    created: DateTime<Utc>,
    target: Duration,
    pauses: &[Pause],
    responded_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> FirstResponse {
    let clock = SlaClock::measure(calendar, created, target, pauses, responded_at.unwrap_or(now));
    let state = match (responded_at, clock.breached()) {
        (_, true) => ResponseState::Breached,
        (Some(_), false) => ResponseState::Met,
        (None, false) => ResponseState::Pending,
    };
    FirstResponse { target, due_at: clock.due_at, responded_at, state, left: clock.remaining() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).single().expect("time")
    }

    #[test]
    fn pending_met_and_breached() {
        let cal = Calendar::Always;
        let target = Duration::minutes(30);
        let waiting = measure(&cal, at(2, 0), target, &[], None, at(2, 10));
        assert_eq!(
            (waiting.state, waiting.left, waiting.due_at),
            (ResponseState::Pending, Duration::minutes(20), Some(at(2, 30)))
        );
        let met = measure(&cal, at(2, 0), target, &[], Some(at(2, 25)), at(5, 0));
        assert_eq!((met.state, met.left), (ResponseState::Met, Duration::minutes(5)), "the clock stops at the answer");
        let late = measure(&cal, at(2, 0), target, &[], Some(at(2, 45)), at(5, 0));
        assert_eq!((late.state, late.left), (ResponseState::Breached, Duration::minutes(-15)));
        let silent = measure(&cal, at(2, 0), target, &[], None, at(3, 0));
        assert_eq!(silent.state, ResponseState::Breached);
        let exactly = measure(&cal, at(2, 0), target, &[], Some(at(2, 30)), at(3, 0));
        assert_eq!(exactly.state, ResponseState::Breached, "at the target is too late");
    }

    #[test]
    fn a_pause_holds_the_clock() {
        let pause = Pause { from: at(2, 10), until: Some(at(3, 10)) };
        let r = measure(&Calendar::Always, at(2, 0), Duration::minutes(30), &[pause], None, at(3, 15));
        assert_eq!((r.state, r.left, r.due_at), (ResponseState::Pending, Duration::minutes(15), Some(at(3, 30))));
    }
}
