//! Prepaid service (issue 19): a customer in prepaid mode pays for a term of one month before it
//! begins, and their service runs to the last paid day (`paid_until`). The renewal invoice for the
//! next term is written [`RENEWAL_LEAD_DAYS`] days before the current one ends; paying it extends
//! the service. A customer who pays after their service ran out starts a new term on the day they
//! pay (the days without service are not sold to them). Postpaid monthly billing is the default.

use crate::billing::{BillingSettings, PlannedInvoice, PlannedLine, long_date};
use crate::invoice::LineKind;
use crate::money::Rupiah;
use crate::notification_catalog::Language;
use crate::proration::Span;
use chrono::{Datelike, Duration, Months, NaiveDate};

crate::str_enum! { "billing mode",
    /// How a customer is billed.
    pub enum BillingMode {
        /// A monthly invoice for the month's days of service (the default).
        Postpaid = "postpaid",
        /// Pay a month ahead; service ends when the paid term does.
        Prepaid = "prepaid",
    }
}

#[allow(clippy::derivable_impls)] // the macro writes the derive list
impl Default for BillingMode {
    fn default() -> Self {
        BillingMode::Postpaid
    }
}

/// Days before the paid term ends that the renewal invoice is written (and its first reminder sent).
pub const RENEWAL_LEAD_DAYS: i64 = 7;

/// A prepaid term: `first` through `last`, both days of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Term {
    /// The month from `first`: to the day before the same day of the next month, or to the end
    /// of the next month when it has no such day (a term from 31 January runs to 28 February, and
    /// the next one from 1 March).
    pub fn starting(first: NaiveDate) -> Term {
        let next_month = first.with_day(1).and_then(|d| d.checked_add_months(Months::new(1)));
        let next_start = next_month
            .and_then(|m| {
                m.with_day(first.day()).or_else(|| m.checked_add_months(Months::new(1))) // no such day: the month after
            })
            .unwrap_or(first + Duration::days(30));
        Term { first, last: next_start - Duration::days(1) }
    }

    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    /// Every day of the term, as a span of days (the run does not bill these to a postpaid
    /// customer who paid them ahead).
    pub fn span(&self) -> Span {
        Span::between(self.first, self.last + Duration::days(1))
    }
}

/// The term a prepaid customer pays for next: from the day after `paid_until`, or, never paid,
/// from the day their service began.
pub fn next_term(paid_until: Option<NaiveDate>, activated_on: NaiveDate) -> Term {
    Term::starting(paid_until.map_or(activated_on, |d| d + Duration::days(1)))
}

/// Whether `term`'s invoice is due to be written on `today`: from [`RENEWAL_LEAD_DAYS`] before it
/// begins (and any day after, when the service ran out unpaid).
pub fn renewal_due(term: &Term, today: NaiveDate) -> bool {
    today + Duration::days(RENEWAL_LEAD_DAYS) >= term.first
}

/// Whether a prepaid customer has no paid service on `today`.
pub fn expired(paid_until: Option<NaiveDate>, today: NaiveDate) -> bool {
    paid_until.is_none_or(|d| d < today)
}

/// The last paid day once `term` is paid on `paid_on`, for a customer paid until `covered`: the
/// term as invoiced when it is paid by its first day; paid later (the service had run out), a
/// term of a month from the day of payment. Never earlier than `covered`.
pub fn paid_through(term: &Term, paid_on: NaiveDate, covered: Option<NaiveDate>) -> NaiveDate {
    let last = if paid_on <= term.first { term.last } else { Term::starting(paid_on).last };
    covered.map_or(last, |c| c.max(last))
}

/// The days of dated pause `span` on or before `paid_until`: a prepaid customer's paid service is
/// moved on by as many (the pause's days are not sold to them). An open-ended span counts none.
pub fn paused_within(span: &Span, paid_until: NaiveDate) -> i64 {
    let Some(until) = span.until else { return 0 };
    let last = (until - Duration::days(1)).min(paid_until);
    ((last - span.from).num_days() + 1).max(0)
}

/// Of the `moved` days a pause over `span` gave a prepaid term, those given back when it ends on
/// `ended` (its days from `ended` on no longer paused), at most `moved`.
pub fn given_back(moved: i64, span: &Span, ended: NaiveDate) -> i64 {
    let unused = span.until.map_or(0, |u| (u - ended.max(span.from)).num_days().max(0));
    unused.min(moved)
}

/// What a prepaid term is billed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermPrice<'a> {
    pub package: &'a str,
    pub monthly: Rupiah,
    /// The installation fee: on the first term of a customer never billed before, else zero.
    pub installation_fee: Rupiah,
    pub tax_exempt: bool,
    pub language: Language,
}

/// The invoice for `term`, written on `today`: the whole month at the package's price (a prepaid
/// term is never prorated), the installation fee when there is one, and PPN; due on the term's
/// first day. `None` when there is nothing to pay (a free package).
pub fn plan_term(
    term: &Term,
    today: NaiveDate,
    settings: &BillingSettings,
    p: &TermPrice<'_>,
) -> Option<PlannedInvoice> {
    let mut lines = Vec::new();
    if p.monthly.0 > 0 {
        lines.push(PlannedLine {
            kind: LineKind::Package,
            description: term_line(p.language, p.package, term),
            first_day: Some(term.first),
            last_day: Some(term.last),
            days: i32::try_from(term.days()).ok(),
            quantity: 1,
            unit_price: p.monthly,
            amount: p.monthly,
            monthly: Some(p.monthly),
        });
    }
    if p.installation_fee.0 > 0 {
        lines.push(PlannedLine {
            kind: LineKind::Installation,
            description: match p.language {
                Language::Id => format!("Biaya instalasi {}", p.package),
                Language::En => format!("Installation fee, {}", p.package),
            },
            first_day: None,
            last_day: None,
            days: None,
            quantity: 1,
            unit_price: p.installation_fee,
            amount: p.installation_fee,
            monthly: None,
        });
    }
    if lines.is_empty() {
        return None;
    }
    let subtotal = Rupiah(lines.iter().map(|l| l.amount.0).sum());
    Some(PlannedInvoice {
        issued_on: today,
        due_on: term.first.max(today),
        lines,
        tax: settings.ppn.apply(subtotal, p.tax_exempt),
        credit: Rupiah(0),
    })
}

/// `Langganan prabayar Home 20M, 10 Desember 2026 – 9 Januari 2027`.
fn term_line(lang: Language, package: &str, term: &Term) -> String {
    let (first, last) = (long_date(lang, term.first), long_date(lang, term.last));
    match lang {
        Language::Id => format!("Langganan prabayar {package}, {first} – {last}"),
        Language::En => format!("{package} prepaid, {first} – {last}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppn::PpnRule;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn a_term_is_a_month_to_the_day_before_the_same_day() {
        assert_eq!(Term::starting(d(2026, 12, 10)), Term { first: d(2026, 12, 10), last: d(2027, 1, 9) });
        assert_eq!(Term::starting(d(2026, 12, 1)).last, d(2026, 12, 31));
        assert_eq!(Term::starting(d(2027, 2, 15)).days(), 28);
        assert_eq!(Term::starting(d(2028, 2, 15)).days(), 29, "a leap year's February");
    }

    #[test]
    fn a_term_from_a_day_the_next_month_lacks_ends_with_that_month_and_the_next_starts_on_the_1st() {
        let jan31 = Term::starting(d(2027, 1, 31));
        assert_eq!(jan31.last, d(2027, 2, 28));
        assert_eq!(next_term(Some(jan31.last), d(2026, 1, 1)).first, d(2027, 3, 1));
        assert_eq!(Term::starting(d(2027, 3, 31)).last, d(2027, 4, 30));
        assert_eq!(Term::starting(d(2027, 8, 31)).last, d(2027, 9, 30));
        assert_eq!(Term::starting(d(2026, 12, 31)).last, d(2027, 1, 30), "January has a 31st");
    }

    #[test]
    fn terms_follow_each_other_without_a_gap_or_an_overlap() {
        let mut paid_until = None;
        let mut days = 0;
        for _ in 0..24 {
            let t = next_term(paid_until, d(2026, 1, 30));
            if let Some(p) = paid_until {
                assert_eq!(t.first, p + Duration::days(1));
            }
            days += t.days();
            paid_until = Some(t.last);
        }
        // 30 January – 28 February, then calendar months: March 2026 … January 2028.
        assert_eq!(paid_until, Some(d(2028, 1, 31)));
        assert_eq!(days, (d(2028, 1, 31) - d(2026, 1, 30)).num_days() + 1);
    }

    #[test]
    fn never_paid_the_first_term_starts_with_the_service() {
        assert_eq!(next_term(None, d(2026, 12, 7)).first, d(2026, 12, 7));
        assert_eq!(next_term(Some(d(2026, 12, 9)), d(2026, 1, 1)).first, d(2026, 12, 10));
    }

    #[test]
    fn the_renewal_is_written_a_week_ahead() {
        let t = Term::starting(d(2026, 12, 10));
        assert!(!renewal_due(&t, d(2026, 12, 2)));
        assert!(renewal_due(&t, d(2026, 12, 3)));
        assert!(renewal_due(&t, d(2026, 12, 20)), "run out and still unpaid");
    }

    #[test]
    fn service_runs_through_the_last_paid_day() {
        assert!(!expired(Some(d(2026, 12, 9)), d(2026, 12, 9)));
        assert!(expired(Some(d(2026, 12, 9)), d(2026, 12, 10)));
        assert!(expired(None, d(2026, 12, 10)), "never paid");
    }

    #[test]
    fn paid_in_time_the_term_follows_on_paid_late_it_starts_on_the_day_of_payment() {
        let t = Term::starting(d(2026, 12, 10));
        assert_eq!(paid_through(&t, d(2026, 12, 5), Some(d(2026, 12, 9))), d(2027, 1, 9));
        assert_eq!(paid_through(&t, d(2026, 12, 10), Some(d(2026, 12, 9))), d(2027, 1, 9));
        assert_eq!(paid_through(&t, d(2026, 12, 20), Some(d(2026, 12, 9))), d(2027, 1, 19));
        // Never moves back (a stale invoice paid after a later one).
        assert_eq!(paid_through(&t, d(2026, 12, 5), Some(d(2027, 2, 9))), d(2027, 2, 9));
    }

    #[test]
    fn a_term_is_billed_whole_with_ppn_and_due_on_its_first_day() {
        let t = Term::starting(d(2027, 1, 10));
        let price = TermPrice {
            package: "Home 20M",
            monthly: Rupiah(166_500),
            installation_fee: Rupiah(0),
            tax_exempt: false,
            language: Language::Id,
        };
        let settings = BillingSettings { ppn: PpnRule::default(), ..BillingSettings::default() };
        let plan = plan_term(&t, d(2027, 1, 3), &settings, &price).expect("a plan");
        assert_eq!(plan.lines.len(), 1);
        assert_eq!(plan.lines[0].amount, Rupiah(166_500));
        assert_eq!(plan.lines[0].days, Some(31));
        assert_eq!(plan.lines[0].description, "Langganan prabayar Home 20M, 10 Januari 2027 – 9 Februari 2027");
        assert_eq!(plan.issued_on, d(2027, 1, 3));
        assert_eq!(plan.due_on, d(2027, 1, 10));
        assert_eq!(plan.tax.total, settings.ppn.apply(Rupiah(166_500), false).total);
        assert!(plan.tax.total.0 > 166_500);
    }

    #[test]
    fn the_first_term_carries_the_installation_fee_and_an_exempt_customer_pays_no_ppn() {
        let t = Term::starting(d(2026, 12, 7));
        let price = TermPrice {
            package: "Home 20M",
            monthly: Rupiah(150_000),
            installation_fee: Rupiah(250_000),
            tax_exempt: true,
            language: Language::En,
        };
        let plan = plan_term(&t, d(2026, 12, 7), &BillingSettings::default(), &price).expect("a plan");
        assert_eq!(plan.lines.iter().map(|l| l.kind).collect::<Vec<_>>(), [LineKind::Package, LineKind::Installation]);
        assert_eq!(plan.tax.total, Rupiah(400_000));
        assert_eq!(plan.lines[0].description, "Home 20M prepaid, 7 December 2026 – 6 January 2027");
    }

    #[test]
    fn a_free_package_has_nothing_to_pay() {
        let price = TermPrice {
            package: "Gratis",
            monthly: Rupiah(0),
            installation_fee: Rupiah(0),
            tax_exempt: false,
            language: Language::Id,
        };
        assert_eq!(
            plan_term(&Term::starting(d(2026, 12, 7)), d(2026, 12, 7), &BillingSettings::default(), &price),
            None
        );
    }

    #[test]
    fn a_pause_within_the_paid_term_moves_it_on_by_its_days() {
        let paid_until = d(2027, 1, 9);
        assert_eq!(paused_within(&Span::between(d(2026, 12, 20), d(2026, 12, 27)), paid_until), 7);
        assert_eq!(paused_within(&Span::between(d(2027, 1, 5), d(2027, 1, 15)), paid_until), 5, "to the paid end");
        assert_eq!(paused_within(&Span::between(d(2027, 1, 10), d(2027, 1, 15)), paid_until), 0, "after it");
        assert_eq!(paused_within(&Span::from(d(2026, 12, 20)), paid_until), 0, "open-ended");
    }

    #[test]
    fn a_pause_ended_early_gives_back_its_unused_days_and_a_cancelled_one_all() {
        let span = Span::between(d(2026, 12, 20), d(2026, 12, 27));
        assert_eq!(given_back(7, &span, d(2026, 12, 23)), 4, "23rd–26th not paused after all");
        assert_eq!(given_back(7, &span, d(2026, 12, 10)), 7, "not begun: all of it");
        assert_eq!(given_back(3, &span, d(2026, 12, 21)), 3, "never more than it gave");
        assert_eq!(given_back(7, &span, d(2026, 12, 27)), 0, "over");
    }

    #[test]
    fn an_unknown_mode_is_refused_by_name() {
        assert_eq!("prepaid".parse::<BillingMode>().ok(), Some(BillingMode::Prepaid));
        assert!("prabayar".parse::<BillingMode>().is_err());
        assert_eq!(BillingMode::default(), BillingMode::Postpaid);
    }
}
