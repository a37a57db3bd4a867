//! What a month of service costs when it was not a whole month: the first month (from activation),
//! a package change in the middle, and days the service was suspended or paused, which are never
//! billed. Amounts are the monthly price × billed days ÷ days of the month, rounded half up per line.

use crate::money::Rupiah;
use chrono::{Datelike, Duration, NaiveDate};

/// A billing period: one calendar month, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// The calendar month `year`-`month`; `None` for a month that does not exist.
    pub fn month(year: i32, month: u32) -> Option<Period> {
        let start = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1)? } else { start.with_month(month + 1)? };
        Some(Period { start, end: next - Duration::days(1) })
    }

    /// The month holding `day`.
    pub fn containing(day: NaiveDate) -> Period {
        // Every date's own month exists.
        Period::month(day.year(), day.month()).unwrap_or(Period { start: day, end: day })
    }

    /// `YYYY-MM`, parsed strictly (the API's `period`).
    pub fn parse(raw: &str) -> Option<Period> {
        let (y, m) = raw.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        Period::month(y.parse().ok()?, m.parse().ok()?)
    }

    /// `YYYYMM`, as invoice numbers carry it.
    pub fn code(&self) -> String {
        format!("{:04}{:02}", self.start.year(), self.start.month())
    }

    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    pub fn next(&self) -> Period {
        Period::containing(self.end + Duration::days(1))
    }

    pub fn previous(&self) -> Period {
        Period::containing(self.start - Duration::days(1))
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.start.year(), self.start.month())
    }
}

/// Days from `from` up to, not including, `until` (`None`: open-ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Span {
    pub fn from(from: NaiveDate) -> Span {
        Span { from, until: None }
    }

    pub fn between(from: NaiveDate, until: NaiveDate) -> Span {
        Span { from, until: Some(until) }
    }

    fn contains(&self, day: NaiveDate) -> bool {
        day >= self.from && self.until.is_none_or(|u| day < u)
    }
}

/// A monthly price in effect from a day (the package the customer had from then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceFrom {
    pub from: NaiveDate,
    pub monthly: Rupiah,
}

/// One invoice line: the days billed at one price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProratedLine {
    /// The first and last day of this price inside the period (days not billed may lie between).
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub days: i64,
    pub monthly: Rupiah,
    pub amount: Rupiah,
    /// Every day of the period at this price: the line says "1 month", not "30 of 30 days".
    pub whole_month: bool,
}

/// The lines of `period` for a service running during `service`, at `prices` (by start day; a day
/// before the first price has none and is not billed), less the `not_billed` spans (suspensions,
/// dated pauses). Lines of no day are left out.
pub fn prorate(period: Period, service: Span, prices: &[PriceFrom], not_billed: &[Span]) -> Vec<ProratedLine> {
    let mut sorted = prices.to_vec();
    sorted.sort_by_key(|p| p.from);
    let total_days = period.days();
    let mut lines: Vec<ProratedLine> = Vec::new();
    let mut day = period.start;
    while day <= period.end {
        let billed = service.contains(day) && !not_billed.iter().any(|s| s.contains(day));
        let price = sorted.iter().rev().find(|p| p.from <= day).map(|p| p.monthly);
        if let (true, Some(monthly)) = (billed, price) {
            match lines.last_mut() {
                Some(line)
                    if line.monthly == monthly && sorted.iter().all(|p| p.from <= line.first || p.from > day) =>
                {
                    line.last = day;
                    line.days += 1;
                }
                _ => lines.push(ProratedLine {
                    first: day,
                    last: day,
                    days: 1,
                    monthly,
                    amount: Rupiah(0),
                    whole_month: false,
                }),
            }
        }
        day += Duration::days(1);
    }
    for line in &mut lines {
        line.whole_month = line.days == total_days;
        line.amount = Rupiah(round_div(line.monthly.0 * line.days, total_days));
    }
    lines
}

fn round_div(n: i64, d: i64) -> i64 {
    (2 * n + d).div_euclid(2 * d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn silver() -> Vec<PriceFrom> {
        vec![PriceFrom { from: d(2020, 1, 1), monthly: Rupiah(199_900) }]
    }

    #[test]
    fn periods_are_calendar_months() {
        let feb = Period::month(2028, 2).expect("leap February");
        assert_eq!((feb.start, feb.end, feb.days()), (d(2028, 2, 1), d(2028, 2, 29), 29));
        assert_eq!(Period::month(2026, 12).expect("dec").next(), Period::month(2027, 1).expect("jan"));
        assert_eq!(Period::month(2027, 1).expect("jan").previous(), Period::month(2026, 12).expect("dec"));
        assert_eq!(Period::month(2028, 3).expect("mar").previous(), feb);
        assert_eq!(Period::parse("2026-07"), Period::month(2026, 7));
        for bad in ["2026-13", "2026-7", "26-07", "2026/07", "2026-0a", ""] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert_eq!(Period::month(2026, 7).expect("jul").code(), "202607");
        assert_eq!(Period::month(2026, 7).expect("jul").to_string(), "2026-07");
    }

    #[test]
    fn a_whole_month_costs_the_monthly_price() {
        let lines = prorate(Period::month(2026, 7).expect("p"), Span::from(d(2025, 3, 4)), &silver(), &[]);
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].amount, lines[0].days, lines[0].whole_month), (Rupiah(199_900), 31, true));
    }

    #[test]
    fn the_first_month_runs_from_activation() {
        // Active from the 21st of a 30-day month: 10 days of 30.
        let lines = prorate(Period::month(2026, 6).expect("p"), Span::from(d(2026, 6, 21)), &silver(), &[]);
        assert_eq!((lines[0].first, lines[0].days), (d(2026, 6, 21), 10));
        assert_eq!(lines[0].amount, Rupiah(66_633)); // 199 900 × 10 / 30 = 66 633.3
        assert!(!lines[0].whole_month);
    }

    #[test]
    fn a_package_change_splits_the_month() {
        let prices = vec![
            PriceFrom { from: d(2020, 1, 1), monthly: Rupiah(199_900) },
            PriceFrom { from: d(2026, 6, 16), monthly: Rupiah(299_900) },
        ];
        let lines = prorate(Period::month(2026, 6).expect("p"), Span::from(d(2025, 1, 1)), &prices, &[]);
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].days, lines[0].amount), (15, Rupiah(99_950)));
        assert_eq!((lines[1].days, lines[1].amount), (15, Rupiah(149_950)));
    }

    #[test]
    fn suspended_and_paused_days_are_not_billed() {
        // Suspended 5–9 July, away 20–24 July: 31 − 10 = 21 days.
        let off = [Span::between(d(2026, 7, 5), d(2026, 7, 10)), Span::between(d(2026, 7, 20), d(2026, 7, 25))];
        let lines = prorate(Period::month(2026, 7).expect("p"), Span::from(d(2025, 1, 1)), &silver(), &off);
        assert_eq!(lines.len(), 1, "one price, one line");
        assert_eq!((lines[0].days, lines[0].amount), (21, Rupiah(135_416))); // 199 900 × 21 / 31 = 135 416.1
        // Terminated on the 11th: 10 days, and nothing after.
        let lines =
            prorate(Period::month(2026, 7).expect("p"), Span::between(d(2025, 1, 1), d(2026, 7, 11)), &silver(), &[]);
        assert_eq!(lines[0].days, 10);
        // Suspended all month: no line at all.
        let all = [Span::from(d(2026, 6, 1))];
        assert!(prorate(Period::month(2026, 7).expect("p"), Span::from(d(2025, 1, 1)), &silver(), &all).is_empty());
    }

    proptest! {
        #[test]
        fn days_never_exceed_the_month_and_amounts_stay_in_proportion(
            start in 1_u32..=28, pause_from in 1_u32..=28, pause_len in 0_i64..20, price in 0_i64..2_000_000,
        ) {
            let p = Period::month(2026, 3).expect("p");
            let off = [Span::between(d(2026, 3, pause_from), d(2026, 3, pause_from) + Duration::days(pause_len))];
            let prices = [PriceFrom { from: d(2020, 1, 1), monthly: Rupiah(price) }];
            let lines = prorate(p, Span::from(d(2026, 3, start)), &prices, &off);
            let days: i64 = lines.iter().map(|l| l.days).sum();
            prop_assert!(days <= p.days() - i64::from(start) + 1);
            for l in &lines {
                prop_assert!(l.amount.0 <= price);
                prop_assert!((2 * l.amount.0 * p.days() - 2 * price * l.days).abs() <= p.days());
            }
        }
    }
}
