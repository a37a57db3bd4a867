//! The manager's trends (issue 22): the last twelve months in Asia/Jakarta time, the current one
//! included, oldest first, each with its bounds in UTC for the queries, and the arithmetic of
//! their figures (a share in percent, an average in hours).

use crate::schedule::JAKARTA;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc};

/// How many months the trends show.
pub const MONTHS: usize = 12;

/// A calendar month in Asia/Jakarta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Its first day.
    pub first_day: NaiveDate,
    /// Its first instant (inclusive).
    pub from: DateTime<Utc>,
    /// The next month's first instant (exclusive).
    pub until: DateTime<Utc>,
}

impl Month {
    /// The month holding `day`.
    pub fn of_day(day: NaiveDate) -> Month {
        let first_day = day.with_day(1).unwrap_or(day);
        let next = next_first_day(first_day);
        Month { first_day, from: midnight(first_day), until: midnight(next) }
    }

    /// The month (Asia/Jakarta) holding the instant `at`.
    pub fn of(at: DateTime<Utc>) -> Month {
        Month::of_day(at.with_timezone(&JAKARTA).date_naive())
    }

    /// The month before.
    pub fn previous(self) -> Month {
        Month::of_day(self.first_day.pred_opt().unwrap_or(self.first_day))
    }

    /// `2026-11`.
    pub fn key(self) -> String {
        self.first_day.format("%Y-%m").to_string()
    }

    pub fn contains(self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.until
    }
}

fn next_first_day(first_day: NaiveDate) -> NaiveDate {
    let (y, m) =
        if first_day.month() == 12 { (first_day.year() + 1, 1) } else { (first_day.year(), first_day.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first_day)
}

/// Midnight starting `day` in Jakarta, in UTC (Jakarta keeps no daylight saving: one instant).
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::MIN);
    JAKARTA.from_local_datetime(&local).earliest().map_or_else(|| local.and_utc(), |d| d.with_timezone(&Utc))
}

/// The `count` months up to the one holding `now` (Asia/Jakarta), oldest first.
pub fn months(now: DateTime<Utc>, count: usize) -> Vec<Month> {
    let mut out = Vec::with_capacity(count);
    let mut m = Month::of(now);
    for _ in 0..count {
        out.push(m);
        m = m.previous();
    }
    out.reverse();
    out
}

/// `part` as a whole percentage of `whole`, rounded down (as the start page's "SLA kept" tile);
/// `None` without a whole.
pub fn percent(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part.clamp(0, whole) * 100 / whole)
}

/// The average of `count` durations totalling `total_seconds`, in tenths of an hour, rounded to
/// the nearest; `None` without any.
pub fn average_tenths_of_hour(total_seconds: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| {
        let per = i128::from(total_seconds.max(0)) * 10;
        let div = i128::from(count) * 3600;
        i64::try_from((per + div / 2) / div).unwrap_or(i64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn twelve_months_oldest_first_ending_with_the_current_one() {
        let ms = months(utc("2026-11-18T03:00:30Z"), MONTHS);
        assert_eq!(ms.len(), 12);
        let keys: Vec<String> = ms.iter().map(|m| m.key()).collect();
        assert_eq!(keys.first().map(String::as_str), Some("2025-12"));
        assert_eq!(keys.last().map(String::as_str), Some("2026-11"));
        assert!(ms.windows(2).all(|w| w[0].until == w[1].from), "consecutive, no gap, no overlap");
    }

    #[test]
    fn a_month_starts_at_midnight_in_jakarta() {
        let m = Month::of(utc("2026-03-10T12:00:00Z"));
        assert_eq!(m.from, utc("2026-02-28T17:00:00Z"));
        assert_eq!(m.until, utc("2026-03-31T17:00:00Z"));
        // 23:30 UTC on the last day of February is already March in Jakarta.
        assert_eq!(Month::of(utc("2026-02-28T17:30:00Z")).key(), "2026-03");
        assert_eq!(Month::of(utc("2026-02-28T16:59:59Z")).key(), "2026-02");
        assert!(m.contains(m.from) && !m.contains(m.until));
    }

    #[test]
    fn the_year_turns_in_jakarta_before_it_does_in_utc() {
        let ms = months(utc("2026-12-31T17:00:00Z"), 2);
        assert_eq!(ms.iter().map(|m| m.key()).collect::<Vec<_>>(), ["2026-12", "2027-01"]);
        assert_eq!(ms[0].until, utc("2026-12-31T17:00:00Z"));
        assert_eq!(ms[1].until, utc("2027-01-31T17:00:00Z"));
    }

    #[test]
    fn percentages_round_down_and_need_a_whole() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(2, 3), Some(66));
        assert_eq!(percent(3, 3), Some(100));
        assert_eq!(percent(0, 5), Some(0));
    }

    #[test]
    fn averages_are_tenths_of_an_hour() {
        assert_eq!(average_tenths_of_hour(0, 0), None);
        // 1 h and 2 h: 1.5 h.
        assert_eq!(average_tenths_of_hour(3 * 3600, 2), Some(15));
        // 20 minutes: 0.33 h, read 0.3.
        assert_eq!(average_tenths_of_hour(1200, 1), Some(3));
        // 27 minutes: 0.45 h, rounded to 0.5.
        assert_eq!(average_tenths_of_hour(1620, 1), Some(5));
    }
}
