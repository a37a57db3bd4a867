//! Payments as the ledger sees them: how the money came and where its entry is.

crate::str_enum! { "payment method",
    pub enum PaymentMethod {
        Cash = "cash",
        BankTransfer = "bank_transfer",
        Qris = "qris",
        /// Online through Midtrans Snap (QRIS, virtual account, e-wallet, card).
        Midtrans = "midtrans",
        /// Online through a Xendit invoice.
        Xendit = "xendit",
    }
}

crate::str_enum! { "payment status",
    /// Manual payments are entered by customer service and verified by finance; gateway payments
    /// are completed by their confirmed callback. Only a completed payment is in the ledger.
    pub enum PaymentStatus {
        /// Entered, waiting for finance.
        Pending = "pending",
        Completed = "completed",
        /// Finance found no such money.
        Rejected = "rejected",
        /// Paid back (the refund is its own ledger entry).
        Refunded = "refunded",
    }
}

impl PaymentMethod {
    /// Whether the money arrives through a gateway (and its callback), not by hand.
    pub fn is_online(self) -> bool {
        matches!(self, PaymentMethod::Midtrans | PaymentMethod::Xendit)
    }
}
