//! What a payment gateway's callback means, independent of the transport: the Midtrans signature,
//! the Xendit callback token, the state a notification reports, and the rule that a transaction's
//! state only ever moves forward (callbacks arrive twice and out of order).

use crate::money::Rupiah;
use sha2::{Digest, Sha512};

/// `hex(SHA-512(order_id + status_code + gross_amount + server_key))`, the values exactly as received.
pub fn midtrans_signature(order_id: &str, status_code: &str, gross_amount: &str, server_key: &str) -> String {
    let digest = Sha512::new()
        .chain_update(order_id)
        .chain_update(status_code)
        .chain_update(gross_amount)
        .chain_update(server_key)
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a Midtrans notification's `signature_key` is the one `server_key` gives (constant time).
pub fn midtrans_signature_ok(
    order_id: &str,
    status_code: &str,
    gross_amount: &str,
    server_key: &str,
    signature_key: &str,
) -> bool {
    let expected = midtrans_signature(order_id, status_code, gross_amount, server_key);
    same(expected.as_bytes(), signature_key.to_ascii_lowercase().as_bytes())
}

/// Whether Xendit's `x-callback-token` is the configured one (constant time; an empty one never is).
pub fn xendit_token_ok(configured: &str, received: &str) -> bool {
    !configured.is_empty() && same(configured.as_bytes(), received.as_bytes())
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A gateway amount as whole rupiah: Midtrans sends `"150000.00"`, Xendit a number. Refuses
/// fractions of a rupiah and negatives.
pub fn whole_rupiah(raw: &str) -> Option<Rupiah> {
    let raw = raw.trim();
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c == '0') {
        return None;
    }
    int.parse().ok().map(Rupiah)
}

crate::str_enum! { "gateway state",
    /// Where a gateway transaction is, in the order it can only move.
    pub enum GatewayState {
        Pending = "pending",
        /// Money received: the payment is applied to the invoice.
        Paid = "paid",
        /// Expired, denied or cancelled before any money moved.
        Failed = "failed",
        /// Money returned after it was paid.
        Refunded = "refunded",
    }
}

impl GatewayState {
    /// Whether a transaction in `self` may move to `next`. Pending moves anywhere; a paid one only
    /// to refunded; failed and refunded are final. Staying put is not a move (a duplicate).
    pub fn may_become(self, next: GatewayState) -> bool {
        matches!(
            (self, next),
            (GatewayState::Pending, GatewayState::Paid | GatewayState::Failed | GatewayState::Refunded)
                | (GatewayState::Paid, GatewayState::Refunded)
        )
    }

    /// A Midtrans notification or status answer: paid only with status code 200, `settlement` or
    /// `capture`, and no fraud flag other than `accept`. `None` for a state we do not act on
    /// (e.g. `authorize`, a challenged card).
    pub fn from_midtrans(status_code: &str, transaction_status: &str, fraud_status: Option<&str>) -> Option<Self> {
        let fraud_ok = fraud_status.is_none_or(|f| f == "accept");
        match transaction_status {
            "settlement" | "capture" if status_code == "200" && fraud_ok => Some(GatewayState::Paid),
            "settlement" | "capture" => None,
            "pending" => Some(GatewayState::Pending),
            "deny" | "cancel" | "expire" | "failure" => Some(GatewayState::Failed),
            "refund" | "partial_refund" | "chargeback" | "partial_chargeback" => Some(GatewayState::Refunded),
            _ => None,
        }
    }

    /// A Xendit invoice status: `PAID` and `SETTLED` are paid, `EXPIRED` failed.
    pub fn from_xendit(status: &str) -> Option<Self> {
        match status {
            "PAID" | "SETTLED" => Some(GatewayState::Paid),
            "PENDING" => Some(GatewayState::Pending),
            "EXPIRED" => Some(GatewayState::Failed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_midtrans_signature_matches_the_reference_vector() {
        // protocols.md §10, computed with python3 hashlib.
        let sig = midtrans_signature("INV-202501-0001", "200", "150000.00", "SB-Mid-server-TESTKEY");
        assert_eq!(
            sig,
            "74fc6d396189e0612fb3b6e1e2a0373a645f2892e382779ccf9c8bb520bdb532f0f4f75fc4d56fa344a340039d182ef528b80d0025285e8060b6ef8faa9b8c4b"
        );
        assert!(midtrans_signature_ok("INV-202501-0001", "200", "150000.00", "SB-Mid-server-TESTKEY", &sig));
        assert!(midtrans_signature_ok(
            "INV-202501-0001",
            "200",
            "150000.00",
            "SB-Mid-server-TESTKEY",
            &sig.to_uppercase()
        ));
        // The amount exactly as received: without its `.00` the signature differs.
        assert!(!midtrans_signature_ok("INV-202501-0001", "200", "150000", "SB-Mid-server-TESTKEY", &sig));
        assert!(!midtrans_signature_ok("INV-202501-0001", "200", "150000.00", "another-key", &sig));
        assert!(!midtrans_signature_ok("INV-202501-0001", "200", "150000.00", "SB-Mid-server-TESTKEY", ""));
    }

    #[test]
    fn xendit_tokens_compare_whole() {
        assert!(xendit_token_ok("tok-123", "tok-123"));
        assert!(!xendit_token_ok("tok-123", "tok-12"));
        assert!(!xendit_token_ok("tok-123", "tok-124"));
        assert!(!xendit_token_ok("", ""), "no token configured accepts nothing");
    }

    #[test]
    fn amounts_must_be_whole_rupiah() {
        assert_eq!(whole_rupiah("150000.00"), Some(Rupiah(150_000)));
        assert_eq!(whole_rupiah("221889"), Some(Rupiah(221_889)));
        for bad in ["150000.50", "-1", "", "1e5", ".00", "12,5"] {
            assert_eq!(whole_rupiah(bad), None, "{bad}");
        }
    }

    #[test]
    fn notifications_are_read_as_the_docs_say() {
        use GatewayState::*;
        assert_eq!(GatewayState::from_midtrans("200", "settlement", None), Some(Paid));
        assert_eq!(GatewayState::from_midtrans("200", "capture", Some("accept")), Some(Paid));
        assert_eq!(GatewayState::from_midtrans("200", "capture", Some("challenge")), None);
        assert_eq!(GatewayState::from_midtrans("201", "settlement", None), None, "the body's code decides");
        assert_eq!(GatewayState::from_midtrans("201", "pending", None), Some(Pending));
        assert_eq!(GatewayState::from_midtrans("407", "expire", None), Some(Failed));
        assert_eq!(GatewayState::from_midtrans("200", "refund", None), Some(Refunded));
        assert_eq!(GatewayState::from_xendit("SETTLED"), Some(Paid));
        assert_eq!(GatewayState::from_xendit("EXPIRED"), Some(Failed));
        assert_eq!(GatewayState::from_xendit("UNKNOWN"), None);
    }

    #[test]
    fn states_never_move_backwards() {
        use GatewayState::*;
        assert!(Pending.may_become(Paid) && Paid.may_become(Refunded));
        // `settlement` then a late `pending`: ignored. The same callback twice: no move.
        assert!(!Paid.may_become(Pending) && !Paid.may_become(Paid) && !Paid.may_become(Failed));
        assert!(!Failed.may_become(Paid) && !Refunded.may_become(Paid));
    }
}
