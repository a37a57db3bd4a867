//! SLA clocks: working time on a calendar (24/7, or business hours without public holidays),
//! paused while a ticket waits for the customer. Written by a helper; see the module tests.
//!
//! Instants are UTC; working hours and holidays are Jakarta local time (WIB). Business days are walked one
//! by one, which is cheap for SLA spans (hours to weeks).

use crate::schedule::JAKARTA;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use std::collections::BTreeSet;

/// How many local days `add_working` walks before giving up (about ten years).
const MAX_DAYS: usize = 3_700;

/// Working hours of one weekday in local (Jakarta) time, `start < end`, within one day.
/// Hours with `start >= end` count as a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(t) => t,
        None => panic!("invalid time"),
    }
}

/// Mon–Fri office hours.
const WEEKDAY_HOURS: DayHours = DayHours { start: hm(8, 0), end: hm(17, 0) };
/// Saturday half day.
const SATURDAY_HOURS: DayHours = DayHours { start: hm(8, 0), end: hm(12, 0) };

/// Which minutes count towards an SLA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Calendar {
    /// Every minute counts.
    Always,
    /// Only working hours count: per weekday (Mon..Sun, index 0..6) optional hours, minus holidays (local dates).
    Business { week: [Option<DayHours>; 7], holidays: BTreeSet<NaiveDate> },
}

impl Calendar {
    /// Mon–Fri 08:00–17:00, Sat 08:00–12:00, Sunday off, with `holidays`.
    pub fn business(holidays: BTreeSet<NaiveDate>) -> Self {
        let w = Some(WEEKDAY_HOURS);
        Self::Business { week: [w, w, w, w, w, Some(SATURDAY_HOURS), None], holidays }
    }

    /// Working time between `from` and `to` (zero if `to <= from`).
    pub fn working_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        match self {
            Self::Always => to - from,
            Self::Business { week, holidays } => {
                let last = local_date(to);
                local_date(from)
                    .iter_days()
                    .take_while(|d| *d <= last)
                    .filter_map(|d| window(week, holidays, d))
                    .map(|(open, close)| (close.min(to) - open.max(from)).max(Duration::zero()))
                    .sum()
            }
        }
    }

    /// The first instant at which `amount` of working time has passed after `start` (`start` itself if
    /// `amount` is zero or negative). `None` if the calendar has no working hours (within ~10 years).
    /// The inverse of [`Calendar::working_between`]: `working_between(start, add_working(start, d)) == d`.
    pub fn add_working(&self, start: DateTime<Utc>, amount: Duration) -> Option<DateTime<Utc>> {
        if amount <= Duration::zero() {
            return Some(start);
        }
        let (week, holidays) = match self {
            Self::Always => return start.checked_add_signed(amount),
            Self::Business { week, holidays } => (week, holidays),
        };
        if week.iter().flatten().all(|h| h.start >= h.end) {
            return None;
        }
        let mut left = amount;
        for date in local_date(start).iter_days().take(MAX_DAYS) {
            let Some((open, close)) = window(week, holidays, date) else { continue };
            if close <= start {
                continue;
            }
            let from = open.max(start);
            let available = close - from;
            if left <= available {
                return from.checked_add_signed(left);
            }
            left -= available;
        }
        None
    }
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&JAKARTA).date_naive()
}

/// The working window of a local date as UTC instants, if it is a working day.
fn window(
    week: &[Option<DayHours>; 7],
    holidays: &BTreeSet<NaiveDate>,
    date: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if holidays.contains(&date) {
        return None;
    }
    let index = usize::try_from(date.weekday().num_days_from_monday()).ok()?;
    let hours = (*week.get(index)?)?;
    let at = |t: NaiveTime| date.and_time(t).and_local_timezone(JAKARTA).earliest().map(|l| l.with_timezone(&Utc));
    let (open, close) = (at(hours.start)?, at(hours.end)?);
    (open < close).then_some((open, close))
}

const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("invalid date"),
    }
}

/// Indonesian national public holidays (not cuti bersama), the default list admins start from.
/// 2026 is the SKB 3 Menteri of 19 September 2025 (17 days). 2027 was not yet published when this was
/// written: fixed dates are certain, lunar ones are astronomical estimates marked `(est.)`.
pub const INDONESIAN_HOLIDAYS: &[(NaiveDate, &str)] = &[
    (ymd(2026, 1, 1), "Tahun Baru 2026 Masehi"),
    (ymd(2026, 1, 16), "Isra Mikraj Nabi Muhammad SAW"),
    (ymd(2026, 2, 17), "Tahun Baru Imlek 2577 Kongzili"),
    (ymd(2026, 3, 19), "Hari Suci Nyepi Tahun Baru Saka 1948"),
    (ymd(2026, 3, 21), "Idul Fitri 1447 H (hari 1)"),
    (ymd(2026, 3, 22), "Idul Fitri 1447 H (hari 2)"),
    (ymd(2026, 4, 3), "Wafat Yesus Kristus"),
    (ymd(2026, 4, 5), "Kebangkitan Yesus Kristus (Paskah)"),
    (ymd(2026, 5, 1), "Hari Buruh Internasional"),
    (ymd(2026, 5, 14), "Kenaikan Yesus Kristus"),
    (ymd(2026, 5, 27), "Idul Adha 1447 H"),
    (ymd(2026, 5, 31), "Hari Raya Waisak 2570 BE"),
    (ymd(2026, 6, 1), "Hari Lahir Pancasila"),
    (ymd(2026, 6, 16), "Tahun Baru Islam 1448 H"),
    (ymd(2026, 8, 17), "Proklamasi Kemerdekaan RI"),
    (ymd(2026, 8, 25), "Maulid Nabi Muhammad SAW"),
    (ymd(2026, 12, 25), "Kelahiran Yesus Kristus (Natal)"),
    (ymd(2027, 1, 1), "Tahun Baru 2027 Masehi"),
    (ymd(2027, 1, 5), "Isra Mikraj Nabi Muhammad SAW (est.)"),
    (ymd(2027, 2, 6), "Tahun Baru Imlek 2578 Kongzili"),
    (ymd(2027, 3, 9), "Hari Suci Nyepi Tahun Baru Saka 1949 (est.: 8 or 9 March)"),
    (ymd(2027, 3, 10), "Idul Fitri 1448 H (hari 1, est.)"),
    (ymd(2027, 3, 11), "Idul Fitri 1448 H (hari 2, est.)"),
    (ymd(2027, 3, 26), "Wafat Yesus Kristus"),
    (ymd(2027, 3, 28), "Kebangkitan Yesus Kristus (Paskah)"),
    (ymd(2027, 5, 1), "Hari Buruh Internasional"),
    (ymd(2027, 5, 6), "Kenaikan Yesus Kristus"),
    (ymd(2027, 5, 17), "Idul Adha 1448 H (est.)"),
    (ymd(2027, 5, 20), "Hari Raya Waisak 2571 BE (est.)"),
    (ymd(2027, 6, 1), "Hari Lahir Pancasila"),
    (ymd(2027, 6, 6), "Tahun Baru Islam 1449 H (est.)"),
    (ymd(2027, 8, 15), "Maulid Nabi Muhammad SAW (est.)"),
    (ymd(2027, 8, 17), "Proklamasi Kemerdekaan RI"),
    (ymd(2027, 12, 25), "Kelahiran Yesus Kristus (Natal)"),
];

/// The dates of [`INDONESIAN_HOLIDAYS`], for [`Calendar::business`].
pub fn indonesian_holidays() -> BTreeSet<NaiveDate> {
    INDONESIAN_HOLIDAYS.iter().map(|(d, _)| *d).collect()
}

/// A paused interval (ticket waiting for the customer); `until: None` = still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// The state of one SLA target for a ticket at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaClock {
    pub target: Duration,
    /// Un-paused working time since the start.
    pub elapsed: Duration,
    /// A pause is open at `now`.
    pub paused: bool,
    /// When `elapsed` reaches `target` if no new pause starts (in the past when breached); `None` while paused.
    pub due_at: Option<DateTime<Utc>>,
}

impl SlaClock {
    /// Working time from `start` to `now` minus the working time inside `pauses` (which may overlap and
    /// extend past `now`). For a stopped clock (ticket resolved), pass the stop time as `now`.
    pub fn measure(
        calendar: &Calendar,
        start: DateTime<Utc>,
        target: Duration,
        pauses: &[Pause],
        now: DateTime<Utc>,
    ) -> Self {
        let spans = paused_spans(pauses, start, now);
        let paused_time: Duration = spans.iter().map(|&(a, b)| calendar.working_between(a, b)).sum();
        let elapsed = calendar.working_between(start, now) - paused_time;
        let paused_now = pauses.iter().any(|p| p.from <= now && p.until.is_none_or(|u| u > now));
        let due_at = if paused_now { None } else { reach(calendar, start, &spans, target) };
        Self { target, elapsed, paused: paused_now, due_at }
    }

    /// `target - elapsed`; negative when breached.
    pub fn remaining(&self) -> Duration {
        self.target - self.elapsed
    }

    /// `floor(elapsed / target × 100)`, may exceed 100; 100 for a zero target.
    pub fn percent_elapsed(&self) -> u32 {
        let target = nanos(self.target);
        if target <= 0 {
            return 100;
        }
        let percent = (nanos(self.elapsed) * 100).div_euclid(target).max(0);
        u32::try_from(percent).unwrap_or(u32::MAX)
    }

    /// `elapsed >= target`, for a positive target (a zero target is never breached).
    pub fn breached(&self) -> bool {
        self.target > Duration::zero() && self.elapsed >= self.target
    }
}

/// `percent` % of `target`, rounded up to the nanosecond so that at that much elapsed time
/// [`SlaClock::percent_elapsed`] is at least `percent`.
pub fn percent_of(target: Duration, percent: u32) -> Duration {
    let n = nanos(target) * i128::from(percent);
    let ceil = n.div_euclid(100) + i128::from(n.rem_euclid(100) != 0);
    from_nanos(ceil).unwrap_or(Duration::MAX)
}

/// The instant when `amount` of un-paused working time had elapsed since `start`, if that is `<= now`.
/// Escalation asks "when did 80 % pass?" as `instant_at(cal, start, pauses, percent_of(target, 80), now)`;
/// with `amount = target` it is the exact breach time.
pub fn instant_at(
    calendar: &Calendar,
    start: DateTime<Utc>,
    pauses: &[Pause],
    amount: Duration,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    reach(calendar, start, &paused_spans(pauses, start, now), amount).filter(|t| *t <= now)
}

/// Pauses clipped to `[start, now]`, sorted and merged into disjoint spans.
fn paused_spans(pauses: &[Pause], start: DateTime<Utc>, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut spans: Vec<_> =
        pauses.iter().map(|p| (p.from.max(start), p.until.unwrap_or(now).min(now))).filter(|(a, b)| a < b).collect();
    spans.sort_unstable();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// The first instant at which `amount` of working time outside `spans` (disjoint, sorted, after `start`)
/// has passed since `start`, assuming no pause after the last span.
fn reach(
    calendar: &Calendar,
    start: DateTime<Utc>,
    spans: &[(DateTime<Utc>, DateTime<Utc>)],
    amount: Duration,
) -> Option<DateTime<Utc>> {
    let (mut cursor, mut left) = (start, amount);
    for &(from, until) in spans {
        let before = calendar.working_between(cursor, from);
        if left <= before {
            return calendar.add_working(cursor, left);
        }
        left -= before;
        cursor = until;
    }
    calendar.add_working(cursor, left)
}

fn nanos(d: Duration) -> i128 {
    i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos())
}

fn from_nanos(n: i128) -> Option<Duration> {
    let secs = i64::try_from(n.div_euclid(1_000_000_000)).ok()?;
    let sub = i64::try_from(n.rem_euclid(1_000_000_000)).ok()?;
    Duration::try_seconds(secs)?.checked_add(&Duration::nanoseconds(sub))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    /// A Jakarta wall-clock time as a UTC instant.
    fn wib(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        JAKARTA.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("valid WIB time").with_timezone(&Utc)
    }

    fn office() -> Calendar {
        Calendar::business(indonesian_holidays())
    }

    fn h(n: i64) -> Duration {
        Duration::hours(n)
    }

    fn pause(from: DateTime<Utc>, until: Option<DateTime<Utc>>) -> Pause {
        Pause { from, until }
    }

    #[test]
    fn wib_is_utc_plus_seven() {
        assert_eq!(wib(2026, 8, 14, 16, 0), Utc.with_ymd_and_hms(2026, 8, 14, 9, 0, 0).single().expect("valid"));
    }

    #[test]
    fn always_is_plain_arithmetic() {
        let start = wib(2026, 8, 15, 23, 0);
        assert_eq!(Calendar::Always.working_between(start, start + h(30)), h(30));
        assert_eq!(Calendar::Always.working_between(start, start - h(1)), Duration::zero());
        assert_eq!(Calendar::Always.add_working(start, h(4)), Some(start + h(4)));
        let clock = SlaClock::measure(&Calendar::Always, start, h(4), &[], start + h(1));
        assert_eq!((clock.elapsed, clock.remaining(), clock.percent_elapsed()), (h(1), h(3), 25));
        assert_eq!(clock.due_at, Some(start + h(4)));
        assert!(!clock.breached());
    }

    #[test]
    fn business_hours_roll_over_evenings_weekends_and_holidays() {
        let cal = office();
        // Friday 16:00 + 4 h: 1 h on Friday, 3 h on Saturday morning.
        assert_eq!(cal.add_working(wib(2026, 8, 14, 16, 0), h(4)), Some(wib(2026, 8, 15, 11, 0)));
        // Saturday 11:00 + 2 h: 1 h on Saturday, Sunday off, 1 h on Monday.
        assert_eq!(cal.add_working(wib(2026, 8, 8, 11, 0), h(2)), Some(wib(2026, 8, 10, 9, 0)));
        // Monday 2026-08-17 is Independence Day: skipped, unless there are no holidays.
        assert_eq!(cal.add_working(wib(2026, 8, 15, 11, 0), h(2)), Some(wib(2026, 8, 18, 9, 0)));
        let no_holidays = Calendar::business(BTreeSet::new());
        assert_eq!(no_holidays.add_working(wib(2026, 8, 15, 11, 0), h(2)), Some(wib(2026, 8, 17, 9, 0)));
        // Opened at 06:00: time starts at 08:00.
        assert_eq!(cal.working_between(wib(2026, 8, 18, 6, 0), wib(2026, 8, 18, 8, 0)), Duration::zero());
        assert_eq!(cal.add_working(wib(2026, 8, 18, 6, 0), h(1)), Some(wib(2026, 8, 18, 9, 0)));
        // A full week: 5 × 9 h + 4 h, minus nothing (2026-08-03..10 has no holiday).
        assert_eq!(cal.working_between(wib(2026, 8, 3, 0, 0), wib(2026, 8, 10, 0, 0)), h(49));
        assert_eq!(cal.add_working(wib(2026, 8, 16, 10, 0), Duration::zero()), Some(wib(2026, 8, 16, 10, 0)));
    }

    #[test]
    fn a_calendar_without_hours_never_reaches_anything() {
        let closed = Calendar::Business { week: [None; 7], holidays: BTreeSet::new() };
        assert_eq!(closed.add_working(wib(2026, 1, 5, 9, 0), h(1)), None);
        assert_eq!(closed.working_between(wib(2026, 1, 5, 9, 0), wib(2026, 2, 5, 9, 0)), Duration::zero());
    }

    #[test]
    fn a_pause_in_working_hours_pushes_the_due_time() {
        let (cal, start) = (office(), wib(2026, 8, 18, 8, 0));
        let plain = SlaClock::measure(&cal, start, h(4), &[], wib(2026, 8, 18, 11, 0));
        assert_eq!((plain.elapsed, plain.due_at), (h(3), Some(wib(2026, 8, 18, 12, 0))));
        let pauses = [pause(wib(2026, 8, 18, 9, 0), Some(wib(2026, 8, 18, 10, 0)))];
        let clock = SlaClock::measure(&cal, start, h(4), &pauses, wib(2026, 8, 18, 11, 0));
        assert_eq!((clock.elapsed, clock.paused, clock.due_at), (h(2), false, Some(wib(2026, 8, 18, 13, 0))));
    }

    #[test]
    fn an_open_pause_freezes_the_clock() {
        let (cal, start) = (office(), wib(2026, 8, 18, 8, 0));
        let pauses = [pause(wib(2026, 8, 18, 10, 0), None)];
        for now in [wib(2026, 8, 18, 15, 0), wib(2026, 8, 20, 16, 0)] {
            let clock = SlaClock::measure(&cal, start, h(4), &pauses, now);
            assert_eq!((clock.elapsed, clock.paused, clock.due_at), (h(2), true, None));
        }
    }

    #[test]
    fn overlapping_pauses_count_once() {
        let (cal, start) = (office(), wib(2026, 8, 18, 8, 0));
        let a = pause(wib(2026, 8, 18, 9, 0), Some(wib(2026, 8, 18, 10, 0)));
        let b = pause(wib(2026, 8, 18, 9, 30), Some(wib(2026, 8, 18, 10, 30)));
        let clock = SlaClock::measure(&cal, start, h(4), &[a, b, a], wib(2026, 8, 18, 11, 0));
        assert_eq!(clock.elapsed, Duration::minutes(90));
        assert_eq!(clock.due_at, Some(wib(2026, 8, 18, 13, 30)));
    }

    #[test]
    fn a_pause_outside_working_hours_changes_nothing() {
        let (cal, start, now) = (office(), wib(2026, 8, 10, 16, 0), wib(2026, 8, 11, 9, 0));
        let night = [pause(wib(2026, 8, 10, 18, 0), Some(wib(2026, 8, 11, 7, 0)))];
        let plain = SlaClock::measure(&cal, start, h(4), &[], now);
        assert_eq!(SlaClock::measure(&cal, start, h(4), &night, now), plain);
        assert_eq!((plain.elapsed, plain.due_at), (h(2), Some(wib(2026, 8, 11, 11, 0))));
    }

    #[test]
    fn breach_and_thresholds_are_exact_instants() {
        let (cal, start, now) = (office(), wib(2026, 8, 18, 8, 0), wib(2026, 8, 18, 15, 0));
        let pauses = [pause(wib(2026, 8, 18, 9, 0), Some(wib(2026, 8, 18, 9, 30)))];
        let clock = SlaClock::measure(&cal, start, h(2), &pauses, now);
        assert_eq!(clock.elapsed, Duration::minutes(390));
        assert!(clock.breached());
        assert_eq!(clock.remaining(), -Duration::minutes(270));
        assert_eq!(clock.percent_elapsed(), 325);
        // Breached: due_at is when the target was reached (60 min, 30 min pause, 60 min).
        assert_eq!(clock.due_at, Some(wib(2026, 8, 18, 10, 30)));
        assert_eq!(instant_at(&cal, start, &pauses, h(2), now), clock.due_at);
        // 80 % of 2 h = 96 min: 60 min, pause, 36 min.
        let eighty = instant_at(&cal, start, &pauses, percent_of(h(2), 80), now);
        assert_eq!(eighty, Some(wib(2026, 8, 18, 10, 6)));
        let at = |t| SlaClock::measure(&cal, start, h(2), &pauses, t).percent_elapsed();
        assert_eq!((at(wib(2026, 8, 18, 10, 5)), at(wib(2026, 8, 18, 10, 6))), (79, 80));
        // Not yet reached at `now`.
        assert_eq!(instant_at(&cal, start, &pauses, h(8), now), None);
    }

    #[test]
    fn zero_target_is_full_but_not_breached() {
        let start = wib(2026, 8, 18, 8, 0);
        let clock = SlaClock::measure(&Calendar::Always, start, Duration::zero(), &[], start + h(1));
        assert_eq!((clock.percent_elapsed(), clock.breached(), clock.due_at), (100, false, Some(start)));
        assert_eq!(percent_of(Duration::seconds(3), 50), Duration::milliseconds(1_500));
        assert_eq!(percent_of(Duration::nanoseconds(3), 50), Duration::nanoseconds(2));
    }

    #[test]
    fn holiday_list_is_plausible() {
        let days = indonesian_holidays();
        assert_eq!(days.len(), INDONESIAN_HOLIDAYS.len(), "no duplicates");
        assert!(days.contains(&ymd(2026, 8, 17)) && days.contains(&ymd(2026, 12, 25)));
        for year in [2026, 2027] {
            let n = days.iter().filter(|d| d.year() == year).count();
            assert!((14..=20).contains(&n), "{year}: {n} holidays");
        }
    }

    fn calendar() -> impl Strategy<Value = Calendar> {
        prop_oneof![Just(Calendar::Always), Just(office())]
    }

    /// An instant in 2026–2027, to the second.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..2 * 365 * 86_400).prop_map(|s| wib(2026, 1, 1, 0, 0) + Duration::seconds(s))
    }

    proptest! {
        #[test]
        fn add_working_inverts_working_between(cal in calendar(), start in instant(), secs in 0i64..200 * 3_600) {
            let d = Duration::seconds(secs);
            let end = cal.add_working(start, d).expect("both calendars have hours");
            prop_assert_eq!(cal.working_between(start, end), d);
            prop_assert!(end >= start);
        }

        #[test]
        fn working_between_is_additive_monotone_and_bounded(cal in calendar(), a in instant(), b in instant(), c in instant()) {
            let mut t = [a, b, c];
            t.sort_unstable();
            let [a, b, c] = t;
            let (ab, bc, ac) = (cal.working_between(a, b), cal.working_between(b, c), cal.working_between(a, c));
            prop_assert_eq!(ab + bc, ac);
            prop_assert!(ab <= ac && ab >= Duration::zero());
            prop_assert!(ac <= c - a);
        }

        #[test]
        fn instant_at_is_where_measure_reaches_the_amount(
            cal in calendar(),
            start in instant(),
            pauses in prop::collection::vec((0i64..400_000, 0i64..200_000, any::<bool>()), 0..4),
            secs in 0i64..100 * 3_600,
        ) {
            let pauses: Vec<Pause> = pauses
                .into_iter()
                .map(|(off, len, open)| {
                    let from = start + Duration::seconds(off);
                    pause(from, (!open).then(|| from + Duration::seconds(len)))
                })
                .collect();
            let amount = Duration::seconds(secs);
            let far = start + Duration::days(400);
            if let Some(t) = instant_at(&cal, start, &pauses, amount, far) {
                prop_assert_eq!(SlaClock::measure(&cal, start, amount, &pauses, t).elapsed, amount);
                let clock = SlaClock::measure(&cal, start, amount, &pauses, far);
                prop_assert!(clock.elapsed >= amount);
                if !clock.paused {
                    prop_assert_eq!(clock.due_at, Some(t));
                }
            }
        }
    }
}
