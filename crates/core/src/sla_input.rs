//! What an admin types into the SLA table and the holiday list, checked: a row (type, priority,
//! targets in minutes, calendar), a holiday's date and name, a year. Each refusal names its field;
//! its `Display` is the English message of the API.

use crate::ticket::{Priority, TicketType};
use crate::ticket_sla::{CalendarKind, TargetRow, Targets};
use chrono::{Datelike, Duration, NaiveDate};

/// The longest target: a year of minutes.
pub const MAX_MINUTES: i64 = 366 * 24 * 60;
/// Holidays can be kept for these years.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// What is wrong with a typed value: its field ([`SlaInputError::field`]) and, as `Display`, the
/// English message of the API (the pages say it from the locale files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaInputError {
    Type,
    Priority,
    Calendar,
    Response,
    Resolution,
    ResponseAfterResolution,
    Twice,
    Date,
    Name,
    Year,
    Taken,
}

impl SlaInputError {
    pub const ALL: &[SlaInputError] = &[
        SlaInputError::Type,
        SlaInputError::Priority,
        SlaInputError::Calendar,
        SlaInputError::Response,
        SlaInputError::Resolution,
        SlaInputError::ResponseAfterResolution,
        SlaInputError::Twice,
        SlaInputError::Date,
        SlaInputError::Name,
        SlaInputError::Year,
        SlaInputError::Taken,
    ];

    pub fn field(self) -> &'static str {
        match self {
            SlaInputError::Type => "ticket_type",
            SlaInputError::Priority | SlaInputError::Twice => "priority",
            SlaInputError::Calendar => "calendar",
            SlaInputError::Response => "response_minutes",
            SlaInputError::Resolution | SlaInputError::ResponseAfterResolution => "resolution_minutes",
            SlaInputError::Date | SlaInputError::Taken => "date",
            SlaInputError::Name => "name",
            SlaInputError::Year => "year",
        }
    }
}

impl std::fmt::Display for SlaInputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |all: &[&str]| all.join(", ");
        let text: String = match self {
            SlaInputError::Type => format!(
                "must be `*` (every type) or one of {}",
                names(&TicketType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>())
            ),
            SlaInputError::Priority => {
                format!("must be one of {}", names(&Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>()))
            }
            SlaInputError::Calendar => {
                "must be `24x7` (every hour counts) or `business` (working hours without holidays)".into()
            }
            SlaInputError::Response | SlaInputError::Resolution => {
                format!("must be a whole number of minutes from 1 to {MAX_MINUTES}")
            }
            SlaInputError::ResponseAfterResolution => "must not be shorter than the first-response target".into(),
            SlaInputError::Twice => "this type and priority appear twice in the request; send each once".into(),
            SlaInputError::Date => {
                format!("must be a real date written YYYY-MM-DD, in the years {}–{}", YEARS.start(), YEARS.end())
            }
            SlaInputError::Name => "must be 1 to 100 characters (the holiday's name)".into(),
            SlaInputError::Year => format!("must be a year from {} to {}", YEARS.start(), YEARS.end()),
            SlaInputError::Taken => "is already a holiday".into(),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for SlaInputError {}

/// `*`, `all` or nothing: every type.
pub fn parse_type(raw: Option<&str>) -> Result<Option<TicketType>, SlaInputError> {
    match raw.map(str::trim) {
        None | Some("" | "*" | "all") => Ok(None),
        Some(t) => t.parse().map(Some).map_err(|_| SlaInputError::Type),
    }
}

fn minutes(raw: Option<i64>, bad: SlaInputError) -> Result<i64, SlaInputError> {
    raw.filter(|m| (1..=MAX_MINUTES).contains(m)).ok_or(bad)
}

/// One row of the SLA table from what was typed, or everything wrong with it.
pub fn parse_row(
    ticket_type: Option<&str>,
    priority: &str,
    response: Option<i64>,
    resolution: Option<i64>,
    calendar: &str,
) -> Result<TargetRow, Vec<SlaInputError>> {
    let ticket_type = parse_type(ticket_type);
    let priority = priority.trim().parse::<Priority>().map_err(|_| SlaInputError::Priority);
    let calendar = calendar.trim().parse::<CalendarKind>().map_err(|_| SlaInputError::Calendar);
    let response = minutes(response, SlaInputError::Response);
    let resolution = minutes(resolution, SlaInputError::Resolution);
    match (ticket_type, priority, calendar, response, resolution) {
        (Ok(ticket_type), Ok(priority), Ok(calendar), Ok(response), Ok(resolution)) => {
            if response > resolution {
                return Err(vec![SlaInputError::ResponseAfterResolution]);
            }
            Ok(TargetRow {
                ticket_type,
                priority,
                targets: Targets {
                    first_response: Duration::minutes(response),
                    resolution: Duration::minutes(resolution),
                    calendar,
                },
            })
        }
        (a, b, c, d, e) => Err([a.err(), b.err(), c.err(), d.err(), e.err()].into_iter().flatten().collect()),
    }
}

/// A holiday as typed: its day and name, or everything wrong with them.
pub fn parse_holiday(date: &str, name: &str) -> Result<(NaiveDate, String), Vec<SlaInputError>> {
    match (parse_day(date), parse_name(name)) {
        (Ok(day), Ok(name)) => Ok((day, name)),
        (d, n) => Err([d.err(), n.err()].into_iter().flatten().collect()),
    }
}

/// A real date, `YYYY-MM-DD`, in [`YEARS`].
pub fn parse_day(raw: &str) -> Result<NaiveDate, SlaInputError> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| raw.len() == 10 && YEARS.contains(&d.year()))
        .ok_or(SlaInputError::Date)
}

pub fn parse_name(raw: &str) -> Result<String, SlaInputError> {
    let name = raw.trim();
    let ok = (1..=100).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    if ok { Ok(name.to_owned()) } else { Err(SlaInputError::Name) }
}

pub fn check_year(year: i32) -> Result<i32, SlaInputError> {
    if YEARS.contains(&year) { Ok(year) } else { Err(SlaInputError::Year) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_field_by_field() {
        let row = parse_row(Some("repair"), "high", Some(30), Some(240), "24x7").expect("valid");
        assert_eq!(row.ticket_type, Some(TicketType::Repair));
        assert_eq!(row.targets.resolution, Duration::hours(4));
        for every in [None, Some("*"), Some("all"), Some(" ")] {
            assert_eq!(parse_row(every, "low", Some(1), Some(1), "business").map(|r| r.ticket_type), Ok(None));
        }
        assert_eq!(parse_row(Some("speed_test"), "high", Some(30), Some(240), "24x7"), Err(vec![SlaInputError::Type]));
        assert_eq!(
            parse_row(Some("repair"), "urgent", Some(0), Some(MAX_MINUTES + 1), "always"),
            Err(vec![
                SlaInputError::Priority,
                SlaInputError::Calendar,
                SlaInputError::Response,
                SlaInputError::Resolution
            ])
        );
        assert_eq!(
            parse_row(None, "high", None, Some(-5), "24x7"),
            Err(vec![SlaInputError::Response, SlaInputError::Resolution])
        );
        assert_eq!(
            parse_row(None, "high", Some(241), Some(240), "24x7"),
            Err(vec![SlaInputError::ResponseAfterResolution])
        );
        assert!(parse_row(None, "high", Some(240), Some(240), "24x7").is_ok(), "equal is allowed");
        assert!(parse_row(None, "high", Some(MAX_MINUTES), Some(MAX_MINUTES), "24x7").is_ok());
    }

    #[test]
    fn dates_are_real_iso_dates_in_range() {
        assert_eq!(parse_day(" 2026-08-17 "), NaiveDate::from_ymd_opt(2026, 8, 17).ok_or(SlaInputError::Date));
        for bad in ["2026-02-30", "2026-13-01", "17-08-2026", "2026-8-17", "1999-12-31", "2101-01-01", "", "{date}"] {
            assert_eq!(parse_day(bad), Err(SlaInputError::Date), "{bad}");
        }
        assert_eq!(parse_name("  Cuti bersama Idul Fitri "), Ok("Cuti bersama Idul Fitri".to_owned()));
        assert_eq!(parse_name("  "), Err(SlaInputError::Name));
        assert_eq!(parse_name(&"x".repeat(101)), Err(SlaInputError::Name));
        assert_eq!(parse_name("a\u{0}b"), Err(SlaInputError::Name));
        assert_eq!((check_year(2026), check_year(1999)), (Ok(2026), Err(SlaInputError::Year)));
        assert_eq!(
            parse_holiday("2026-08-17", " HUT RI "),
            Ok((NaiveDate::from_ymd_opt(2026, 8, 17).expect("day"), "HUT RI".into()))
        );
        assert_eq!(parse_holiday("2026-02-30", ""), Err(vec![SlaInputError::Date, SlaInputError::Name]));
    }

    #[test]
    fn every_refusal_names_a_field_and_says_what_is_accepted() {
        for e in SlaInputError::ALL {
            assert!(!e.field().is_empty() && e.to_string().len() > 10, "{e:?}");
        }
        assert!(SlaInputError::Type.to_string().contains("installation"));
        assert!(SlaInputError::Response.to_string().contains(&MAX_MINUTES.to_string()));
    }
}
