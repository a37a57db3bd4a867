//! Invoices: their numbers (`INV-YYYYMM-NNNNNN`, one gapless series per month), the gateway order ids
//! derived from them, their status from what was billed and paid, and the aging of what is unpaid.

use crate::money::Rupiah;
use crate::proration::Period;
use chrono::NaiveDate;

/// The highest sequence a month's series holds (six digits).
pub const MAX_SEQUENCE: u32 = 999_999;

/// `INV-202607-000042`.
pub fn number(period: Period, sequence: u32) -> String {
    format!("INV-{}-{sequence:06}", period.code())
}

/// The series prefix of a period's numbers: `INV-202607-`.
pub fn number_prefix(period: Period) -> String {
    format!("INV-{}-", period.code())
}

/// The period and sequence of a well-formed invoice number.
pub fn parse_number(raw: &str) -> Option<(Period, u32)> {
    let rest = raw.strip_prefix("INV-")?;
    let (ym, seq) = rest.split_once('-')?;
    if ym.len() != 6 || seq.len() != 6 || !ym.chars().chain(seq.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let period = Period::month(ym[..4].parse().ok()?, ym[4..].parse().ok()?)?;
    let seq: u32 = seq.parse().ok()?;
    (seq >= 1).then_some((period, seq))
}

/// The Midtrans order id of payment attempt `attempt` (1, 2, …) of invoice `number`: the number for
/// the first, then `-2`, `-3`… (Midtrans refuses an order id used before).
pub fn order_id(number: &str, attempt: u32) -> String {
    if attempt <= 1 { number.to_owned() } else { format!("{number}-{attempt}") }
}

/// The invoice number and attempt an order id names; `None` for one that is not ours.
pub fn parse_order_id(order_id: &str) -> Option<(String, u32)> {
    if parse_number(order_id).is_some() {
        return Some((order_id.to_owned(), 1));
    }
    let (number, attempt) = order_id.rsplit_once('-')?;
    let attempt: u32 = attempt.parse().ok().filter(|a| *a >= 2 && !attempt.starts_with('0'))?;
    parse_number(number).map(|_| (number.to_owned(), attempt))
}

crate::str_enum! { "invoice kind",
    pub enum InvoiceKind {
        /// The monthly run's: one per customer and period.
        Recurring = "recurring",
        /// Made by hand (an extra service, equipment).
        Manual = "manual",
        /// A prepaid customer's next term, paid ahead (`aglis_core::prepaid`).
        Prepaid = "prepaid",
    }
}

crate::str_enum! { "invoice line",
    pub enum LineKind {
        /// The subscription, for the days billed at one price.
        Package = "package",
        /// The installation fee, on the first invoice.
        Installation = "installation",
        /// An earlier month put right: days billed that had no service or another package.
        Adjustment = "adjustment",
        Other = "other",
    }
}

/// The series numbers of `period` come from: `INV-202607-` and six digits.
pub fn series(period: Period) -> crate::codes::Series {
    crate::codes::Series::new(number_prefix(period), 6, MAX_SEQUENCE)
}

crate::str_enum! { "invoice status",
    /// Where an invoice is. Derived from its total, what was paid and its due day, except
    /// `draft` (a manual invoice not issued yet) and `cancelled`, which are set.
    pub enum InvoiceStatus {
        Draft = "draft",
        /// Issued, nothing paid, not yet due.
        Open = "open",
        /// Part paid, not yet due.
        Partial = "partial",
        Paid = "paid",
        /// Past its due day with something unpaid.
        Overdue = "overdue",
        Cancelled = "cancelled",
    }
}

impl InvoiceStatus {
    /// The status of an issued invoice of `total` with `paid` received, on `today`.
    pub fn of(total: Rupiah, paid: Rupiah, due: NaiveDate, today: NaiveDate) -> InvoiceStatus {
        if paid.0 >= total.0 {
            InvoiceStatus::Paid
        } else if today > due {
            InvoiceStatus::Overdue
        } else if paid.0 > 0 {
            InvoiceStatus::Partial
        } else {
            InvoiceStatus::Open
        }
    }

    /// Whether money is still expected on it.
    pub fn is_unpaid(self) -> bool {
        matches!(self, InvoiceStatus::Open | InvoiceStatus::Partial | InvoiceStatus::Overdue)
    }
}

crate::str_enum! { "aging bucket",
    /// How long an unpaid amount is past its due day, in days: `0–30` includes what is not due yet.
    pub enum AgingBucket {
        Upto30 = "0_30",
        Upto60 = "31_60",
        Upto90 = "61_90",
        Over90 = "90_plus",
    }
}

impl AgingBucket {
    pub fn of(due: NaiveDate, today: NaiveDate) -> AgingBucket {
        match (today - due).num_days() {
            ..=30 => AgingBucket::Upto30,
            31..=60 => AgingBucket::Upto60,
            61..=90 => AgingBucket::Upto90,
            _ => AgingBucket::Over90,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn numbers_round_trip_and_strangers_are_refused() {
        let july = Period::month(2026, 7).expect("p");
        assert_eq!(number(july, 42), "INV-202607-000042");
        assert_eq!(number_prefix(july), "INV-202607-");
        assert_eq!(parse_number("INV-202607-000042"), Some((july, 42)));
        for bad in ["INV-202613-000001", "INV-202607-000000", "INV-202607-42", "inv-202607-000042", "INV/2026/07/1"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn order_ids_name_the_invoice_and_the_attempt() {
        assert_eq!(order_id("INV-202607-000042", 1), "INV-202607-000042");
        assert_eq!(order_id("INV-202607-000042", 3), "INV-202607-000042-3");
        assert_eq!(parse_order_id("INV-202607-000042"), Some(("INV-202607-000042".into(), 1)));
        assert_eq!(parse_order_id("INV-202607-000042-3"), Some(("INV-202607-000042".into(), 3)));
        for bad in ["INV-202607-000042-1", "INV-202607-000042-03", "INV-202607-000042-x", "ORDER-1", "INV-202607-0001"]
        {
            assert_eq!(parse_order_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn status_follows_payments_and_the_due_day() {
        let due = d(2026, 7, 8);
        let status = |paid, today| InvoiceStatus::of(Rupiah(221_889), Rupiah(paid), due, today);
        assert_eq!(status(0, d(2026, 7, 1)), InvoiceStatus::Open);
        assert_eq!(status(100_000, d(2026, 7, 8)), InvoiceStatus::Partial, "due today is not late");
        assert_eq!(status(100_000, d(2026, 7, 9)), InvoiceStatus::Overdue);
        assert_eq!(status(221_889, d(2026, 9, 1)), InvoiceStatus::Paid);
        assert_eq!(status(300_000, d(2026, 7, 1)), InvoiceStatus::Paid, "overpaid is paid");
        assert!(InvoiceStatus::Overdue.is_unpaid() && !InvoiceStatus::Cancelled.is_unpaid());
    }

    #[test]
    fn aging_buckets_count_days_past_due() {
        let due = d(2026, 1, 31);
        assert_eq!(AgingBucket::of(due, d(2026, 1, 1)), AgingBucket::Upto30, "not due yet");
        assert_eq!(AgingBucket::of(due, d(2026, 3, 2)), AgingBucket::Upto30); // 30 days
        assert_eq!(AgingBucket::of(due, d(2026, 3, 3)), AgingBucket::Upto60);
        assert_eq!(AgingBucket::of(due, d(2026, 5, 1)), AgingBucket::Upto90); // 90 days
        assert_eq!(AgingBucket::of(due, d(2026, 5, 2)), AgingBucket::Over90);
    }
}
