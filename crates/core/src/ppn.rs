//! PPN (Indonesian VAT) on an invoice, as the law prints it since 2025 (PMK 131/2024): for internet
//! access the 12 % rate applies to *DPP nilai lain*, 11/12 of the price, so 11 % in effect. The rate,
//! the 11/12 factor and the switch itself are settings (many small ISPs are not PKP and charge none).
//! Rounded once per invoice, to whole rupiah, half up.

use crate::money::Rupiah;

/// How an ISP charges PPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PpnRule {
    /// Off for an ISP that is not PKP: no tax line at all.
    pub enabled: bool,
    /// The statutory rate in per cent (12).
    pub rate_pct: u32,
    /// DPP nilai lain as a fraction of the price: (11, 12). (1, 1) taxes the whole price.
    pub base_fraction: (u32, u32),
}

impl Default for PpnRule {
    /// 12 % on 11/12 of the price.
    fn default() -> Self {
        PpnRule { enabled: true, rate_pct: 12, base_fraction: (11, 12) }
    }
}

/// Why a PPN setting was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PpnRuleError {
    #[error("the PPN rate must be between 0 and 100 per cent")]
    Rate,
    #[error("the PPN base must be a fraction between 0 and 1, such as 11/12")]
    Fraction,
}

impl PpnRule {
    pub fn new(enabled: bool, rate_pct: u32, base_fraction: (u32, u32)) -> Result<Self, PpnRuleError> {
        if rate_pct > 100 {
            return Err(PpnRuleError::Rate);
        }
        let (num, den) = base_fraction;
        if den == 0 || num == 0 || num > den {
            return Err(PpnRuleError::Fraction);
        }
        Ok(PpnRule { enabled, rate_pct, base_fraction })
    }

    /// The tax lines of an invoice whose taxable amount (after discounts) is `dpp`. Exempt
    /// customers and packages pass `exempt`; they get the same breakdown with no tax.
    pub fn apply(&self, dpp: Rupiah, exempt: bool) -> PpnBreakdown {
        if !self.enabled || exempt || dpp.0 <= 0 {
            return PpnBreakdown { dpp, dpp_nilai_lain: None, rate_pct: 0, ppn: Rupiah(0), total: dpp };
        }
        let (num, den) = (i128::from(self.base_fraction.0), i128::from(self.base_fraction.1));
        let base = i128::from(dpp.0);
        // One rounding, on the exact product: 12 % of 11/12 of the price.
        let ppn = round_div(base * num * i128::from(self.rate_pct), den * 100);
        let dpp_nilai_lain = (num != den).then(|| Rupiah(to_i64(round_div(base * num, den))));
        let ppn = Rupiah(to_i64(ppn));
        PpnBreakdown { dpp, dpp_nilai_lain, rate_pct: self.rate_pct, ppn, total: Rupiah(dpp.0 + ppn.0) }
    }

    /// The rate in effect, in hundredths of a per cent (1100 for 12 % of 11/12): for a label such
    /// as "PPN 11 % efektif".
    pub fn effective_basis_points(&self) -> u32 {
        if !self.enabled {
            return 0;
        }
        let (num, den) = self.base_fraction;
        u32::try_from(round_div(i128::from(self.rate_pct * 100 * num), i128::from(den))).unwrap_or(u32::MAX)
    }
}

/// The lines an invoice prints: `DPP`, `DPP Nilai Lain (11/12)`, `PPN 12%`, `Total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PpnBreakdown {
    /// The taxable amount: subtotal after discounts.
    pub dpp: Rupiah,
    /// 11/12 of it, when the rule uses such a base.
    pub dpp_nilai_lain: Option<Rupiah>,
    /// 0 when no tax is charged.
    pub rate_pct: u32,
    pub ppn: Rupiah,
    pub total: Rupiah,
}

/// `n / d` rounded half up (both non-negative in use; `d` > 0).
fn round_div(n: i128, d: i128) -> i128 {
    (2 * n + d).div_euclid(2 * d)
}

fn to_i64(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_law_example_and_the_original_systems_example() {
        // protocols.md §9.3: Rp 300.000 → DPP-NL 275.000, PPN 33.000, total 333.000.
        let b = PpnRule::default().apply(Rupiah(300_000), false);
        assert_eq!(b.dpp_nilai_lain, Some(Rupiah(275_000)));
        assert_eq!((b.rate_pct, b.ppn, b.total), (12, Rupiah(33_000), Rupiah(333_000)));
        // domain.md §7: Home Silver 50M 199.900 → tax 21.989 → 221.889.
        let b = PpnRule::default().apply(Rupiah(199_900), false);
        assert_eq!((b.ppn, b.total), (Rupiah(21_989), Rupiah(221_889)));
        assert_eq!(b.dpp_nilai_lain, Some(Rupiah(183_242)));
    }

    #[test]
    fn off_exempt_and_whole_price_rules() {
        let off = PpnRule::new(false, 12, (11, 12)).expect("rule");
        let b = off.apply(Rupiah(150_000), false);
        assert_eq!((b.ppn, b.total, b.dpp_nilai_lain, b.rate_pct), (Rupiah(0), Rupiah(150_000), None, 0));
        assert_eq!(PpnRule::default().apply(Rupiah(150_000), true).total, Rupiah(150_000));
        let old = PpnRule::new(true, 11, (1, 1)).expect("rule");
        let b = old.apply(Rupiah(150_000), false);
        assert_eq!((b.ppn, b.dpp_nilai_lain), (Rupiah(16_500), None));
        assert_eq!(PpnRule::default().effective_basis_points(), 1100);
        assert_eq!(off.effective_basis_points(), 0);
    }

    #[test]
    fn rounding_is_half_up_once_per_invoice() {
        // 11 % of 50 = 5.5 → 6; of 45 = 4.95 → 5; of 4 = 0.44 → 0.
        let r = PpnRule::default();
        assert_eq!(r.apply(Rupiah(50), false).ppn, Rupiah(6));
        assert_eq!(r.apply(Rupiah(45), false).ppn, Rupiah(5));
        assert_eq!(r.apply(Rupiah(4), false).ppn, Rupiah(0));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(PpnRule::new(true, 101, (11, 12)), Err(PpnRuleError::Rate));
        assert_eq!(PpnRule::new(true, 12, (13, 12)), Err(PpnRuleError::Fraction));
        assert_eq!(PpnRule::new(true, 12, (11, 0)), Err(PpnRuleError::Fraction));
    }

    proptest! {
        #[test]
        fn ppn_is_within_half_a_rupiah_of_eleven_per_cent(dpp in 0_i64..10_000_000_000) {
            let b = PpnRule::default().apply(Rupiah(dpp), false);
            // |ppn − 0.11 × dpp| ≤ 0.5, in integers: |100 ppn − 11 dpp| ≤ 50.
            prop_assert!((100 * i128::from(b.ppn.0) - 11 * i128::from(dpp)).abs() <= 50);
            prop_assert_eq!(b.total.0, dpp + b.ppn.0);
        }
    }
}
