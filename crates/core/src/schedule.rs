//! Cron schedules: parse a 5-field cron pattern and find its next firing in a named time zone.
//!
//! Schedules are written in local time (Asia/Jakarta by default: "daily at 18:00" means 18:00 WIB)
//! and fire at UTC instants, which is what the database stores.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use std::str::FromStr;

/// The business time zone of an Indonesian ISP (WIB, UTC+7, no daylight saving).
pub const JAKARTA: Tz = chrono_tz::Asia::Jakarta;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("`{pattern}` is not a valid cron pattern: {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error("`{0}` is not a known time zone (e.g. Asia/Jakarta)")]
    BadTimeZone(String),
    #[error("`{0}` never fires")]
    NeverFires(String),
}

/// A parsed, valid schedule: a cron pattern in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    tz: Tz,
}

impl Schedule {
    /// Parses `pattern` (minute hour day-of-month month day-of-week) and the IANA zone `tz`.
    pub fn parse(pattern: &str, tz: &str) -> Result<Self, ScheduleError> {
        let tz = Tz::from_str(tz).map_err(|_| ScheduleError::BadTimeZone(tz.to_owned()))?;
        let cron = Cron::from_str(pattern)
            .map_err(|e| ScheduleError::BadPattern { pattern: pattern.to_owned(), reason: e.to_string() })?;
        Ok(Self { cron, tz })
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Result<DateTime<Utc>, ScheduleError> {
        let local = after.with_timezone(&self.tz);
        self.cron
            .find_next_occurrence(&local, false)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ScheduleError::NeverFires(self.cron.pattern.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("valid date")
    }

    #[test]
    fn daily_report_at_18_jakarta_is_11_utc() {
        let s = Schedule::parse("0 18 * * *", "Asia/Jakarta").expect("valid");
        // 10:00 UTC = 17:00 WIB → fires the same day at 18:00 WIB = 11:00 UTC
        assert_eq!(s.next_after(utc(2026, 11, 25, 10, 0)).expect("fires"), utc(2026, 11, 25, 11, 0));
        // exactly at the firing time → the next day
        assert_eq!(s.next_after(utc(2026, 11, 25, 11, 0)).expect("fires"), utc(2026, 11, 26, 11, 0));
    }

    #[test]
    fn weekly_monday_0800_jakarta() {
        let s = Schedule::parse("0 8 * * 1", "Asia/Jakarta").expect("valid");
        // Wed 25 Nov 2026 → Mon 30 Nov 08:00 WIB = 01:00 UTC
        assert_eq!(s.next_after(utc(2026, 11, 25, 0, 0)).expect("fires"), utc(2026, 11, 30, 1, 0));
    }

    #[test]
    fn monthly_first_at_0900_crosses_the_utc_day_boundary() {
        let s = Schedule::parse("0 9 1 * *", "Asia/Jakarta").expect("valid");
        // 1 Dec 09:00 WIB = 1 Dec 02:00 UTC
        assert_eq!(s.next_after(utc(2026, 11, 25, 0, 0)).expect("fires"), utc(2026, 12, 1, 2, 0));
    }

    #[test]
    fn hourly() {
        let s = Schedule::parse("0 * * * *", "Asia/Jakarta").expect("valid");
        assert_eq!(s.next_after(utc(2026, 11, 25, 10, 59)).expect("fires"), utc(2026, 11, 25, 11, 0));
    }

    #[test]
    fn rejects_bad_patterns_and_zones() {
        assert!(matches!(Schedule::parse("61 * * * *", "Asia/Jakarta"), Err(ScheduleError::BadPattern { .. })));
        assert!(matches!(Schedule::parse("every hour", "Asia/Jakarta"), Err(ScheduleError::BadPattern { .. })));
        assert!(matches!(Schedule::parse("0 * * * *", "Mars/Olympus"), Err(ScheduleError::BadTimeZone(_))));
    }
}
