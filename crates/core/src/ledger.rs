//! A customer's account as an append-only ledger: every charge, payment, discount, credit note,
//! refund and correction is an entry, never edited; a mistake is put right by another entry. The
//! balance, what each invoice still owes and the aging are derived from the entries.

use crate::money::Rupiah;

crate::str_enum! { "ledger entry",
    /// What an entry records. Amounts are stored positive; the kind says which way they move the
    /// balance (a correction carries its own sign).
    pub enum EntryKind {
        /// An invoice line: the customer owes more.
        Charge = "charge",
        /// Money received: the customer owes less.
        Payment = "payment",
        /// A reduction granted on an invoice.
        Discount = "discount",
        /// A credit note: part or all of an invoice taken back.
        CreditNote = "credit_note",
        /// Money paid back to the customer out of their credit.
        Refund = "refund",
        /// Puts a mistake right: positive owes more, negative owes less.
        Correction = "correction",
    }
}

/// Why an entry cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("a correction must not be zero")]
    ZeroCorrection,
}

impl EntryKind {
    /// The entry's effect on the balance (what the customer owes): `amount` as stored.
    pub fn effect(self, amount: i64) -> i64 {
        match self {
            EntryKind::Charge | EntryKind::Refund | EntryKind::Correction => amount,
            EntryKind::Payment | EntryKind::Discount | EntryKind::CreditNote => -amount,
        }
    }

    /// Checks an amount for this kind: positive, except a correction, which is any non-zero amount.
    pub fn check(self, amount: i64) -> Result<i64, EntryError> {
        match self {
            EntryKind::Correction if amount == 0 => Err(EntryError::ZeroCorrection),
            EntryKind::Correction => Ok(amount),
            _ if amount <= 0 => Err(EntryError::NotPositive),
            _ => Ok(amount),
        }
    }
}

/// What the customer owes (positive) or has in credit (negative) after `entries`.
pub fn balance(entries: impl IntoIterator<Item = (EntryKind, i64)>) -> i64 {
    entries.into_iter().map(|(k, a)| k.effect(a)).sum()
}

/// The entries with the balance after each: a statement's running balance.
pub fn running_balance(entries: &[(EntryKind, i64)]) -> Vec<i64> {
    entries
        .iter()
        .scan(0_i64, |b, (k, a)| {
            *b += k.effect(*a);
            Some(*b)
        })
        .collect()
}

/// How a payment was spread over open invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation<Id> {
    /// (invoice, amount applied), in the order given.
    pub applied: Vec<(Id, Rupiah)>,
    /// Left over: the customer's credit, used by their next invoices.
    pub to_credit: Rupiah,
}

/// Spreads `amount` over `open` invoices (id, still owed), in the order given (oldest first):
/// each is paid in full before the next; what is left is credit. A partial payment pays part
/// of the first. Invoices owing nothing are skipped.
pub fn allocate<Id: Copy>(amount: Rupiah, open: &[(Id, Rupiah)]) -> Allocation<Id> {
    let mut left = amount.0.max(0);
    let mut applied = Vec::new();
    for (id, owed) in open {
        if left == 0 {
            break;
        }
        let pay = left.min(owed.0.max(0));
        if pay > 0 {
            applied.push((*id, Rupiah(pay)));
            left -= pay;
        }
    }
    Allocation { applied, to_credit: Rupiah(left) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_kind_moves_the_balance_its_way() {
        let entries = [
            (EntryKind::Charge, 221_889),
            (EntryKind::Payment, 100_000),
            (EntryKind::Discount, 21_889),
            (EntryKind::Payment, 150_000),
            (EntryKind::Refund, 20_000),
            (EntryKind::Correction, -5_000),
            (EntryKind::CreditNote, 10_000),
        ];
        assert_eq!(running_balance(&entries), [221_889, 121_889, 100_000, -50_000, -30_000, -35_000, -45_000]);
        assert_eq!(balance(entries), -45_000, "in credit");
    }

    #[test]
    fn amounts_are_checked_by_kind() {
        assert_eq!(EntryKind::Payment.check(0), Err(EntryError::NotPositive));
        assert_eq!(EntryKind::Charge.check(-1), Err(EntryError::NotPositive));
        assert_eq!(EntryKind::Correction.check(0), Err(EntryError::ZeroCorrection));
        assert_eq!(EntryKind::Correction.check(-500), Ok(-500));
        assert_eq!("credit_note".parse(), Ok(EntryKind::CreditNote));
    }

    #[test]
    fn payments_pay_the_oldest_first_then_become_credit() {
        let open = [(1, Rupiah(221_889)), (2, Rupiah(0)), (3, Rupiah(221_889))];
        let partial = allocate(Rupiah(100_000), &open);
        assert_eq!((partial.applied, partial.to_credit), (vec![(1, Rupiah(100_000))], Rupiah(0)));
        let over = allocate(Rupiah(500_000), &open);
        assert_eq!(over.applied, vec![(1, Rupiah(221_889)), (3, Rupiah(221_889))]);
        assert_eq!(over.to_credit, Rupiah(56_222));
        assert_eq!(allocate::<i64>(Rupiah(10_000), &[]).to_credit, Rupiah(10_000));
    }

    proptest! {
        #[test]
        fn the_balance_is_the_sum_of_the_ledger_in_any_split(
            entries in proptest::collection::vec((0_usize..6, 1_i64..5_000_000), 0..40), cut in 0_usize..40,
        ) {
            let entries: Vec<(EntryKind, i64)> = entries.into_iter().map(|(k, a)| (EntryKind::ALL[k], a)).collect();
            let cut = cut.min(entries.len());
            let whole = balance(entries.iter().copied());
            prop_assert_eq!(whole, balance(entries[..cut].iter().copied()) + balance(entries[cut..].iter().copied()));
            prop_assert_eq!(running_balance(&entries).last().copied().unwrap_or(0), whole);
        }

        #[test]
        fn an_allocation_never_creates_or_loses_a_rupiah(
            amount in 0_i64..10_000_000, owed in proptest::collection::vec(0_i64..3_000_000, 0..8),
        ) {
            let open: Vec<(usize, Rupiah)> = owed.iter().copied().map(Rupiah).enumerate().collect();
            let a = allocate(Rupiah(amount), &open);
            let applied: i64 = a.applied.iter().map(|(_, r)| r.0).sum();
            prop_assert_eq!(applied + a.to_credit.0, amount);
            for (id, r) in &a.applied {
                prop_assert!(r.0 > 0 && r.0 <= owed[*id]);
            }
            // Credit is left only when every invoice is paid in full.
            if a.to_credit.0 > 0 {
                prop_assert_eq!(applied, owed.iter().sum::<i64>());
            }
        }
    }
}
