//! Dated pauses a customer asks for (away, renovation): the days from the first to the last are
//! not billed. Entered by staff with both days; the rule of what may be entered is here.

use crate::proration::Span;
use chrono::{Duration, NaiveDate};

/// The longest pause, in days.
pub const MAX_DAYS: i64 = 180;
/// How far back a pause may begin: a month already invoiced keeps its invoice (a credit note puts
/// it right), so only recent days are accepted.
pub const MAX_DAYS_BACK: i64 = 31;

/// Why a pause cannot be entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseError {
    /// The last day is before the first.
    EndsBeforeItStarts,
    TooLong,
    /// The first day is more than [`MAX_DAYS_BACK`] ago.
    TooFarBack,
    /// It shares days with another pause or a suspension (whose span is given).
    Overlaps(Span),
}

/// The span (`until` exclusive) of a pause from `first` to `last` inclusive entered on `today`,
/// given the customer's `existing` spans.
pub fn check(first: NaiveDate, last: NaiveDate, today: NaiveDate, existing: &[Span]) -> Result<Span, PauseError> {
    if last < first {
        return Err(PauseError::EndsBeforeItStarts);
    }
    if (last - first).num_days() + 1 > MAX_DAYS {
        return Err(PauseError::TooLong);
    }
    if (today - first).num_days() > MAX_DAYS_BACK {
        return Err(PauseError::TooFarBack);
    }
    let span = Span::between(first, last + Duration::days(1));
    if let Some(other) = existing.iter().find(|s| overlaps(&span, s)) {
        return Err(PauseError::Overlaps(*other));
    }
    Ok(span)
}

/// Whether two spans share a day (an open `until` runs on).
fn overlaps(a: &Span, b: &Span) -> bool {
    let a_ends_after_b_starts = a.until.is_none_or(|u| u > b.from);
    let b_ends_after_a_starts = b.until.is_none_or(|u| u > a.from);
    a_ends_after_b_starts && b_ends_after_a_starts
}

/// The last day of a span (inclusive), as people write it; `None` while it runs.
pub fn last_day(span: &Span) -> Option<NaiveDate> {
    span.until.map(|u| u - Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    #[test]
    fn a_pause_covers_its_first_and_last_day() {
        let span = check(d(12, 20), d(12, 31), d(12, 7), &[]).expect("ok");
        assert_eq!(span, Span::between(d(12, 20), NaiveDate::from_ymd_opt(2027, 1, 1).expect("d")));
        assert_eq!(last_day(&span), Some(d(12, 31)));
        assert_eq!(check(d(12, 20), d(12, 20), d(12, 7), &[]).map(|s| last_day(&s)), Ok(Some(d(12, 20))), "one day");
    }

    #[test]
    fn backwards_long_and_old_pauses_are_refused() {
        assert_eq!(check(d(12, 20), d(12, 19), d(12, 7), &[]), Err(PauseError::EndsBeforeItStarts));
        assert_eq!(check(d(1, 1), d(6, 29), d(1, 1), &[]).map(|_| ()), Ok(()), "180 days");
        assert_eq!(check(d(1, 1), d(6, 30), d(1, 1), &[]), Err(PauseError::TooLong));
        assert_eq!(check(d(11, 6), d(11, 10), d(12, 7), &[]).map(|_| ()), Ok(()), "31 days back");
        assert_eq!(check(d(11, 5), d(11, 10), d(12, 7), &[]), Err(PauseError::TooFarBack));
    }

    #[test]
    fn pauses_do_not_overlap_each_other_or_a_suspension() {
        let away = Span::between(d(12, 10), d(12, 15)); // 10th to 14th
        assert_eq!(check(d(12, 14), d(12, 20), d(12, 7), &[away]), Err(PauseError::Overlaps(away)));
        assert!(check(d(12, 15), d(12, 20), d(12, 7), &[away]).is_ok(), "the day after is free");
        assert!(check(d(12, 1), d(12, 9), d(12, 7), &[away]).is_ok(), "the day before is free");
        let suspended = Span::from(d(12, 25));
        assert_eq!(check(d(12, 28), d(12, 30), d(12, 7), &[suspended]), Err(PauseError::Overlaps(suspended)));
    }
}
