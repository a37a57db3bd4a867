//! Invoices made by hand (an extra service, a router sold, a relocation) and credit notes (part
//! or all of an invoice taken back: an outage, a billing mistake). The rules of what may be
//! entered; the server writes what passes.

use crate::billing::PlannedLine;
use crate::invoice::LineKind;
use crate::money::Rupiah;

pub const MAX_LINES: usize = 20;
pub const MAX_QUANTITY: i32 = 1_000;
pub const MAX_UNIT_PRICE: i64 = 100_000_000;
/// Characters of a line's description and of a credit note's reason.
pub const DESCRIPTION: (usize, usize) = (2, 300);

/// A line as staff type it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIn {
    pub description: String,
    pub quantity: i32,
    /// Whole rupiah before PPN.
    pub unit_price: i64,
}

/// What is wrong with a manual invoice: the line (from 0) and why, or the invoice as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    NoLines,
    TooManyLines,
    Description(usize),
    Quantity(usize),
    UnitPrice(usize),
}

/// The lines to write, each amount quantity × unit price, or every line's error.
pub fn check_lines(lines: &[LineIn]) -> Result<Vec<PlannedLine>, Vec<LineError>> {
    if lines.is_empty() {
        return Err(vec![LineError::NoLines]);
    }
    if lines.len() > MAX_LINES {
        return Err(vec![LineError::TooManyLines]);
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let description = l.description.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = description.chars().count();
        if !(DESCRIPTION.0..=DESCRIPTION.1).contains(&len) {
            errors.push(LineError::Description(i));
        }
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            errors.push(LineError::Quantity(i));
        }
        if !(1..=MAX_UNIT_PRICE).contains(&l.unit_price) {
            errors.push(LineError::UnitPrice(i));
        }
        out.push(PlannedLine {
            kind: LineKind::Other,
            description,
            first_day: None,
            last_day: None,
            days: None,
            quantity: l.quantity,
            unit_price: Rupiah(l.unit_price),
            amount: Rupiah(i64::from(l.quantity) * l.unit_price),
            monthly: None,
        });
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The largest credit note, in whole rupiah (the API's documented maximum).
pub const MAX_CREDIT: i64 = 1_000_000_000;

/// Why a credit note cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditError {
    NotPositive,
    /// More than [`MAX_CREDIT`], whatever the invoice owes.
    TooLarge,
    /// More than the invoice still owes (given).
    MoreThanOwed(Rupiah),
    Reason,
}

/// Checks a credit note of `amount` on an invoice still owing `owed`, for `reason`.
pub fn check_credit(amount: i64, owed: Rupiah, reason: &str) -> Result<(), CreditError> {
    if amount <= 0 {
        return Err(CreditError::NotPositive);
    }
    if amount > MAX_CREDIT {
        return Err(CreditError::TooLarge);
    }
    if amount > owed.0 {
        return Err(CreditError::MoreThanOwed(owed));
    }
    let len = reason.trim().chars().count();
    if !(DESCRIPTION.0..=DESCRIPTION.1).contains(&len) {
        return Err(CreditError::Reason);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(description: &str, quantity: i32, unit_price: i64) -> LineIn {
        LineIn { description: description.to_owned(), quantity, unit_price }
    }

    #[test]
    fn a_credit_note_is_at_most_a_billion_rupiah_even_on_a_larger_invoice() {
        let owed = Rupiah(40_000_000_000);
        assert_eq!(check_credit(MAX_CREDIT, owed, "Gangguan jaringan 3 hari"), Ok(()));
        assert_eq!(check_credit(MAX_CREDIT + 1, owed, "Gangguan jaringan 3 hari"), Err(CreditError::TooLarge));
    }

    #[test]
    fn amounts_are_quantity_times_price_and_spaces_are_tidied() {
        let lines = check_lines(&[line("  Router  ZTE F670L ", 1, 350_000), line("Kabel drop 50 m", 2, 75_000)])
            .expect("valid");
        assert_eq!(lines[0].description, "Router ZTE F670L");
        assert_eq!((lines[0].amount, lines[1].amount), (Rupiah(350_000), Rupiah(150_000)));
        assert!(lines.iter().all(|l| l.kind == LineKind::Other));
    }

    #[test]
    fn every_wrong_line_is_named() {
        assert_eq!(check_lines(&[]), Err(vec![LineError::NoLines]));
        let many = vec![line("Pasang ulang", 1, 1); MAX_LINES + 1];
        assert_eq!(check_lines(&many), Err(vec![LineError::TooManyLines]));
        let bad = [line("x", 1, 100), line("Relokasi", 0, 100), line("Relokasi", 1, 0), line("Ok", 1, MAX_UNIT_PRICE)];
        assert_eq!(
            check_lines(&bad),
            Err(vec![LineError::Description(0), LineError::Quantity(1), LineError::UnitPrice(2)])
        );
    }

    #[test]
    fn a_credit_note_takes_back_at_most_what_is_owed_and_says_why() {
        assert_eq!(check_credit(50_000, Rupiah(221_889), "Gangguan 3 hari"), Ok(()));
        assert_eq!(check_credit(221_889, Rupiah(221_889), "Salah tagih"), Ok(()));
        assert_eq!(
            check_credit(221_890, Rupiah(221_889), "Salah tagih"),
            Err(CreditError::MoreThanOwed(Rupiah(221_889)))
        );
        assert_eq!(check_credit(0, Rupiah(1), "Salah tagih"), Err(CreditError::NotPositive));
        assert_eq!(check_credit(1, Rupiah(1), "  "), Err(CreditError::Reason));
    }
}
