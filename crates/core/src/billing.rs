//! The monthly run's decision for one customer: which lines their invoice for a month has (the days
//! of service at their package's price, the installation fee on the first invoice), its PPN, and
//! when it is issued and due. Plain data in, plain data out; the server writes what this plans.

use crate::invoice::LineKind;
use crate::money::Rupiah;
use crate::notification_catalog::Language;
use crate::ppn::{PpnBreakdown, PpnRule};
use crate::proration::{Period, PriceFrom, Span, prorate};
use chrono::{Datelike, Duration, NaiveDate};

/// How an ISP bills: the day of the month invoices are issued, the days to pay, and PPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingSettings {
    /// 1–28, so that every month has it.
    pub billing_day: u32,
    pub due_days: u32,
    pub ppn: PpnRule,
}

impl Default for BillingSettings {
    /// Issued on the 1st, due 7 days later, PPN 12 % of 11/12.
    fn default() -> Self {
        BillingSettings { billing_day: 1, due_days: 7, ppn: PpnRule::default() }
    }
}

impl BillingSettings {
    /// The day `period`'s invoices are issued.
    pub fn issue_day(&self, period: Period) -> NaiveDate {
        period.start + Duration::days(i64::from(self.billing_day.clamp(1, 28)) - 1)
    }
}

/// What the run knows of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber<'a> {
    /// The first day of service.
    pub activated_on: NaiveDate,
    /// The day service ended (terminated), not billed; `None` while it runs.
    pub ended_on: Option<NaiveDate>,
    /// The packages of the month's days, by first day, oldest first: one entry from activation,
    /// then one per change of package (see [`packages_from`]).
    pub packages: &'a [PackageFrom<'a>],
    pub installation_fee: Rupiah,
    /// No PPN for this customer or package.
    pub tax_exempt: bool,
    pub language: Language,
    /// Suspensions and dated pauses touching the period.
    pub pauses: &'a [Span],
}

/// A package in effect from a day on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageFrom<'a> {
    pub from: NaiveDate,
    pub name: &'a str,
    pub monthly: Rupiah,
}

/// A move from one package to another, as recorded the day it took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageSwitch<'a> {
    pub on: NaiveDate,
    pub from: (&'a str, Rupiah),
    pub to: (&'a str, Rupiah),
}

/// The packages of a customer activated on `activated_on` who has `current` now, after
/// `switches` (oldest first; those before the month may be left out): before the first switch,
/// the package it left.
pub fn packages_from<'a>(
    activated_on: NaiveDate,
    current: (&'a str, Rupiah),
    switches: &[PackageSwitch<'a>],
) -> Vec<PackageFrom<'a>> {
    let (name, monthly) = switches.first().map_or(current, |s| s.from);
    let mut out = vec![PackageFrom { from: activated_on, name, monthly }];
    out.extend(switches.iter().map(|s| PackageFrom { from: s.on.max(activated_on), name: s.to.0, monthly: s.to.1 }));
    out
}

/// One line to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    pub kind: LineKind,
    pub description: String,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub days: Option<i32>,
    pub quantity: i32,
    pub unit_price: Rupiah,
    pub amount: Rupiah,
    /// The monthly price a package line was prorated from.
    pub monthly: Option<Rupiah>,
}

/// An invoice the run would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedInvoice {
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub lines: Vec<PlannedLine>,
    pub tax: PpnBreakdown,
    /// What adjustments gave back beyond this invoice's other lines (they stop at zero), with its
    /// PPN: the customer's credit, written to the ledger beside the invoice.
    pub credit: Rupiah,
}

/// The invoice of `period` for `s`, or `None` when there is nothing to bill (not yet active, ended
/// before the month, paused all month, a free package).
pub fn plan(period: Period, settings: &BillingSettings, s: &Subscriber<'_>) -> Option<PlannedInvoice> {
    plan_with(period, settings, s, Vec::new())
}

/// The line that puts an earlier `period` right on a later invoice: what its days come to now
/// (the packages, pauses and end of service known today) less `billed`, what its invoice charged
/// for them; `None` when the two agree.
pub fn adjustment(period: Period, s: &Subscriber<'_>, billed: Rupiah) -> Option<PlannedLine> {
    let due: i64 = package_lines(period, s).iter().map(|l| l.amount.0).sum();
    let diff = due - billed.0;
    (diff != 0).then(|| PlannedLine {
        kind: LineKind::Adjustment,
        description: adjustment_line(s.language, period, diff),
        first_day: Some(period.start),
        last_day: Some(period.end),
        days: None,
        quantity: 1,
        unit_price: Rupiah(diff),
        amount: Rupiah(diff),
        monthly: None,
    })
}

/// [`plan`] with `adjustments` of earlier months added. An invoice never comes to less than
/// zero: what adjustments give back beyond the other lines is the plan's `credit`.
pub fn plan_with(
    period: Period,
    settings: &BillingSettings,
    s: &Subscriber<'_>,
    mut adjustments: Vec<PlannedLine>,
) -> Option<PlannedInvoice> {
    let mut lines = package_lines(period, s);
    let first_month = s.activated_on >= period.start && s.activated_on <= period.end;
    if first_month && s.installation_fee.0 > 0 {
        let package = package_on(s, s.activated_on);
        let description = match s.language {
            Language::Id => format!("Biaya instalasi {package}"),
            Language::En => format!("Installation fee, {package}"),
        };
        lines.push(PlannedLine {
            kind: LineKind::Installation,
            description,
            first_day: None,
            last_day: None,
            days: None,
            quantity: 1,
            unit_price: s.installation_fee,
            amount: s.installation_fee,
            monthly: None,
        });
    }
    let others: i64 = lines.iter().map(|l| l.amount.0).sum();
    let mut credit = -(others + adjustments.iter().map(|l| l.amount.0).sum::<i64>());
    // Given back with the PPN it was charged with.
    let owed_credit = if credit > 0 { settings.ppn.apply(Rupiah(credit), s.tax_exempt).total } else { Rupiah(0) };
    // Take back from the last adjustments until the invoice comes to zero.
    for line in adjustments.iter_mut().rev() {
        if credit <= 0 {
            break;
        }
        if line.amount.0 < 0 {
            let raise = credit.min(-line.amount.0);
            line.amount = Rupiah(line.amount.0 + raise);
            line.unit_price = line.amount;
            credit -= raise;
        }
    }
    lines.extend(adjustments);
    if lines.is_empty() {
        return None;
    }
    let subtotal = Rupiah(lines.iter().map(|l| l.amount.0).sum());
    let issued_on = settings.issue_day(period).max(if first_month { s.activated_on } else { period.start });
    Some(PlannedInvoice {
        issued_on,
        due_on: issued_on + Duration::days(i64::from(settings.due_days)),
        lines,
        tax: settings.ppn.apply(subtotal, s.tax_exempt),
        credit: owed_credit,
    })
}

/// The name of the package `s` had on `day`.
fn package_on<'a>(s: &Subscriber<'a>, day: NaiveDate) -> &'a str {
    s.packages.iter().rev().find(|p| p.from <= day).or(s.packages.first()).map_or("", |p| p.name)
}

/// The days of service of `period` at their packages' prices, a line per package.
fn package_lines(period: Period, s: &Subscriber<'_>) -> Vec<PlannedLine> {
    let service = Span { from: s.activated_on, until: s.ended_on };
    let prices: Vec<PriceFrom> = s.packages.iter().map(|p| PriceFrom { from: p.from, monthly: p.monthly }).collect();
    prorate(period, service, &prices, s.pauses)
        .into_iter()
        .filter(|l| l.amount.0 > 0)
        .map(|l| PlannedLine {
            kind: LineKind::Package,
            description: package_line(s.language, package_on(s, l.first), l.first, l.last, l.whole_month, l.days),
            first_day: Some(l.first),
            last_day: Some(l.last),
            days: i32::try_from(l.days).ok(),
            quantity: 1,
            unit_price: l.amount,
            amount: l.amount,
            monthly: Some(l.monthly),
        })
        .collect()
}

/// `Penyesuaian layanan November 2026` (with what it does), a month put right.
fn adjustment_line(lang: Language, period: Period, diff: i64) -> String {
    let month = format!("{} {}", month_name(lang, period.start), period.start.year());
    match (lang, diff < 0) {
        (Language::Id, true) => {
            format!("Penyesuaian layanan {month}: hari tanpa layanan atau ganti paket (pengurangan)")
        }
        (Language::Id, false) => format!("Penyesuaian layanan {month}: ganti paket (tambahan)"),
        (Language::En, true) => {
            format!("Service adjustment, {month}: days without service or a package change (credit)")
        }
        (Language::En, false) => format!("Service adjustment, {month}: package change (extra)"),
    }
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The name of `d`'s month: `Desember` / `December`.
pub fn month_name(lang: Language, d: NaiveDate) -> &'static str {
    let i = usize::try_from(d.month0()).unwrap_or(0);
    match lang {
        Language::Id => MONTHS_ID[i],
        Language::En => MONTHS_EN[i],
    }
}

/// `1 Desember 2026` / `1 December 2026`, as invoices print a day.
pub fn long_date(lang: Language, d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), month_name(lang, d), d.year())
}

/// `Langganan Home Silver 50M Juli 2026`, or for part of a month
/// `Langganan Home Silver 50M 21–30 Juni 2026 (10 hari)`.
fn package_line(lang: Language, package: &str, first: NaiveDate, last: NaiveDate, whole: bool, days: i64) -> String {
    let month = format!("{} {}", month_name(lang, first), first.year());
    match (lang, whole) {
        (Language::Id, true) => format!("Langganan {package} {month}"),
        (Language::En, true) => format!("{package} subscription, {month}"),
        (Language::Id, false) => format!("Langganan {package} {}–{} {month} ({days} hari)", first.day(), last.day()),
        (Language::En, false) => {
            format!("{package} subscription, {}–{} {month} ({days} days)", first.day(), last.day())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    const SILVER: &[PackageFrom<'static>] =
        &[PackageFrom { from: NaiveDate::MIN, name: "Home Silver 50M", monthly: Rupiah(199_900) }];
    const FREE: &[PackageFrom<'static>] = &[PackageFrom { from: NaiveDate::MIN, name: "Gratis", monthly: Rupiah(0) }];

    fn silver(activated_on: NaiveDate, pauses: &[Span]) -> Subscriber<'_> {
        Subscriber {
            activated_on,
            ended_on: None,
            packages: SILVER,
            installation_fee: Rupiah(250_000),
            tax_exempt: false,
            language: Language::Id,
            pauses,
        }
    }

    #[test]
    fn a_running_customer_gets_one_month_with_ppn_issued_on_the_billing_day() {
        let july = Period::month(2026, 7).expect("p");
        let inv = plan(july, &BillingSettings::default(), &silver(d(2025, 3, 4), &[])).expect("invoice");
        assert_eq!(inv.lines.len(), 1);
        assert_eq!(inv.lines[0].description, "Langganan Home Silver 50M Juli 2026");
        assert_eq!((inv.tax.ppn, inv.tax.total), (Rupiah(21_989), Rupiah(221_889)));
        assert_eq!((inv.issued_on, inv.due_on), (d(2026, 7, 1), d(2026, 7, 8)));
        let tenth = BillingSettings { billing_day: 10, due_days: 14, ..BillingSettings::default() };
        let inv = plan(july, &tenth, &silver(d(2025, 3, 4), &[])).expect("invoice");
        assert_eq!((inv.issued_on, inv.due_on), (d(2026, 7, 10), d(2026, 7, 24)));
    }

    #[test]
    fn the_first_invoice_is_prorated_from_activation_with_the_installation_fee() {
        let june = Period::month(2026, 6).expect("p");
        let mut s = silver(d(2026, 6, 21), &[]);
        s.language = Language::En;
        let inv = plan(june, &BillingSettings::default(), &s).expect("invoice");
        assert_eq!(inv.lines.len(), 2);
        assert_eq!(inv.lines[0].description, "Home Silver 50M subscription, 21–30 June 2026 (10 days)");
        assert_eq!((inv.lines[0].amount, inv.lines[0].days), (Rupiah(66_633), Some(10)));
        assert_eq!((inv.lines[1].kind, inv.lines[1].amount), (LineKind::Installation, Rupiah(250_000)));
        assert_eq!(inv.tax.dpp, Rupiah(316_633));
        assert_eq!(inv.issued_on, d(2026, 6, 21), "not before the service began");
        // The next month has no fee.
        let july = plan(june.next(), &BillingSettings::default(), &s).expect("invoice");
        assert_eq!(july.lines.len(), 1);
    }

    #[test]
    fn nothing_is_billed_without_service() {
        let july = Period::month(2026, 7).expect("p");
        let all_month = [Span::from(d(2026, 6, 15))];
        assert_eq!(plan(july, &BillingSettings::default(), &silver(d(2025, 1, 1), &all_month)), None);
        assert_eq!(plan(july, &BillingSettings::default(), &silver(d(2026, 8, 3), &[])), None, "not active yet");
        let mut ended = silver(d(2025, 1, 1), &[]);
        ended.ended_on = Some(d(2026, 7, 1));
        assert_eq!(plan(july, &BillingSettings::default(), &ended), None, "ended before the month");
        let mut free = silver(d(2025, 1, 1), &[]);
        free.packages = FREE;
        assert_eq!(plan(july, &BillingSettings::default(), &free), None);
    }

    #[test]
    fn exempt_customers_pay_no_ppn_and_suspended_days_are_left_out() {
        let july = Period::month(2026, 7).expect("p");
        let mut s = silver(d(2025, 1, 1), &[]);
        s.tax_exempt = true;
        assert_eq!(plan(july, &BillingSettings::default(), &s).expect("invoice").tax.total, Rupiah(199_900));
        let off = [Span::between(d(2026, 7, 5), d(2026, 7, 15))];
        let inv = plan(july, &BillingSettings::default(), &silver(d(2025, 1, 1), &off)).expect("invoice");
        assert_eq!(inv.lines[0].days, Some(21));
        assert_eq!(inv.lines[0].description, "Langganan Home Silver 50M 1–31 Juli 2026 (21 hari)");
    }

    #[test]
    fn a_change_of_package_bills_each_day_at_the_package_it_had() {
        let dec = Period::month(2026, 12).expect("p");
        let up = PackageSwitch {
            on: d(2026, 12, 16),
            from: ("Home Silver 50M", Rupiah(199_900)),
            to: ("Home Gold 100M", Rupiah(310_000)),
        };
        // Now on Gold; before the 16th, Silver.
        let packages = packages_from(d(2025, 1, 1), ("Home Gold 100M", Rupiah(310_000)), &[up]);
        let s = Subscriber { packages: &packages, ..silver(d(2025, 1, 1), &[]) };
        let inv = plan(dec, &BillingSettings { billing_day: 20, ..BillingSettings::default() }, &s).expect("invoice");
        assert_eq!(inv.lines.len(), 2);
        assert_eq!(inv.lines[0].description, "Langganan Home Silver 50M 1–15 Desember 2026 (15 hari)");
        assert_eq!(inv.lines[1].description, "Langganan Home Gold 100M 16–31 Desember 2026 (16 hari)");
        // 199,900 x 15/31 = 96,725.8; 310,000 x 16/31 = 160,000.
        assert_eq!((inv.lines[0].amount, inv.lines[1].amount), (Rupiah(96_726), Rupiah(160_000)));

        // A change after the month (the run came late) leaves the month at the package it left.
        let later = PackageSwitch { on: d(2027, 1, 3), ..up };
        let packages = packages_from(d(2025, 1, 1), ("Home Gold 100M", Rupiah(310_000)), &[later]);
        let s = Subscriber { packages: &packages, ..silver(d(2025, 1, 1), &[]) };
        let inv = plan(dec, &BillingSettings::default(), &s).expect("invoice");
        assert_eq!(inv.lines.len(), 1);
        assert_eq!(
            (inv.lines[0].description.as_str(), inv.lines[0].amount),
            ("Langganan Home Silver 50M Desember 2026", Rupiah(199_900))
        );

        // No change: the package the customer has.
        let packages = packages_from(d(2025, 1, 1), ("Home Gold 100M", Rupiah(310_000)), &[]);
        assert_eq!(packages, [PackageFrom { from: d(2025, 1, 1), name: "Home Gold 100M", monthly: Rupiah(310_000) }]);

        // Two changes in a month, one before activation (set up ahead): each day at its package.
        let first = PackageSwitch {
            on: d(2026, 12, 1),
            from: ("Home Bronze 30M", Rupiah(166_500)),
            to: ("Home Silver 50M", Rupiah(199_900)),
        };
        let packages = packages_from(d(2026, 12, 10), ("Home Gold 100M", Rupiah(310_000)), &[first, up]);
        assert_eq!(packages[1].from, d(2026, 12, 10), "not before the service began");
        let s = Subscriber { packages: &packages, ..silver(d(2026, 12, 10), &[]) };
        let inv = plan(dec, &BillingSettings::default(), &s).expect("invoice");
        let named: Vec<&str> = inv.lines.iter().map(|l| l.description.as_str()).collect();
        assert_eq!(
            named,
            [
                "Langganan Home Silver 50M 10–15 Desember 2026 (6 hari)",
                "Langganan Home Gold 100M 16–31 Desember 2026 (16 hari)",
                "Biaya instalasi Home Silver 50M",
            ]
        );
    }

    #[test]
    fn a_month_changed_after_its_invoice_is_put_right_on_the_next() {
        let nov = Period::month(2026, 11).expect("p");
        let dec = nov.next();
        let settings = BillingSettings::default();
        // November was billed whole on the 1st at Silver.
        let billed = plan(nov, &settings, &silver(d(2025, 1, 1), &[])).expect("invoice").tax.dpp;
        assert_eq!(billed, Rupiah(199_900));
        assert_eq!(adjustment(nov, &silver(d(2025, 1, 1), &[]), billed), None, "nothing changed");

        // Then: away from the 21st (10 days of 30) and moved to Gold on the 16th.
        let away = [Span::between(d(2026, 11, 21), d(2026, 12, 1))];
        let up = PackageSwitch {
            on: d(2026, 11, 16),
            from: ("Home Silver 50M", Rupiah(199_900)),
            to: ("Home Gold 100M", Rupiah(300_000)),
        };
        let packages = packages_from(d(2025, 1, 1), ("Home Gold 100M", Rupiah(300_000)), &[up]);
        let now = Subscriber { packages: &packages, ..silver(d(2025, 1, 1), &away) };
        let line = adjustment(nov, &now, billed).expect("adjustment");
        // 15 days of Silver (99,950) + 5 of Gold (50,000) - 199,900 billed.
        assert_eq!((line.kind, line.amount), (LineKind::Adjustment, Rupiah(-49_950)));
        assert_eq!(
            line.description,
            "Penyesuaian layanan November 2026: hari tanpa layanan atau ganti paket (pengurangan)"
        );
        let inv =
            plan_with(dec, &settings, &Subscriber { pauses: &[], ..now.clone() }, vec![line.clone()]).expect("invoice");
        assert_eq!(inv.lines.len(), 2);
        assert_eq!(inv.tax.dpp, Rupiah(300_000 - 49_950), "PPN on what is owed after the adjustment");
        assert_eq!(inv.credit, Rupiah(0));

        // Ended on 6 November: only 5 days were due; nothing else to bill, so the rest is credit.
        let mut ended = silver(d(2025, 1, 1), &[]);
        ended.ended_on = Some(d(2026, 11, 6));
        let line = adjustment(nov, &ended, billed).expect("adjustment");
        assert_eq!(line.amount, Rupiah(33_317 - 199_900));
        let inv = plan_with(dec, &settings, &ended, vec![line]).expect("a credit invoice");
        // 166,583 of service and its PPN (12 % of 11/12: 18,324).
        assert_eq!((inv.tax.total, inv.credit), (Rupiah(0), Rupiah(166_583 + 18_324)));
        assert_eq!(inv.lines.len(), 1);

        // A credit larger than December's bill: December comes to zero, the rest is credit.
        let small = Span::between(d(2026, 12, 3), d(2027, 1, 1));
        let paused = [small];
        let mostly_away = silver(d(2025, 1, 1), &paused);
        let back = Rupiah(-150_000);
        let credit_line =
            PlannedLine { amount: back, unit_price: back, ..adjustment(nov, &ended, billed).expect("line") };
        let inv = plan_with(dec, &settings, &mostly_away, vec![credit_line]).expect("invoice");
        let service: i64 = inv.lines.iter().filter(|l| l.kind == LineKind::Package).map(|l| l.amount.0).sum();
        assert_eq!(service, 12_897, "two days of December");
        assert_eq!((inv.tax.dpp, inv.tax.total), (Rupiah(0), Rupiah(0)));
        assert_eq!(inv.credit, PpnRule::default().apply(Rupiah(150_000 - 12_897), false).total);
        assert_eq!(inv.lines.iter().map(|l| l.amount.0).sum::<i64>(), 0);
    }
}
