//! Money is integer rupiah. Shown the Indonesian way: `Rp 149.900`.

use std::fmt;

/// An amount in whole rupiah (IDR has no minor unit in practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rupiah(pub i64);

/// The most a single price may be (Rp 1 billion): a typo guard, not a business rule.
pub const MAX_PRICE: i64 = 1_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount must be a whole number of rupiah, e.g. 149900 or 149.900")]
    NotANumber,
    #[error("the amount must not be negative")]
    Negative,
    #[error("the amount is more than Rp 1.000.000.000")]
    TooLarge,
}

impl Rupiah {
    /// Parses `149900`, `149.900`, `Rp 149.900` or `149,900` (dots and commas as thousands separators).
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        let s = raw.trim();
        let s = s.strip_prefix("Rp").or_else(|| s.strip_prefix("rp")).unwrap_or(s).trim();
        let negative = s.starts_with('-');
        let digits: String = s.trim_start_matches('-').chars().filter(|c| !matches!(c, '.' | ',' | ' ')).collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        if negative {
            return Err(MoneyError::Negative);
        }
        let n: i64 = digits.parse().map_err(|_| MoneyError::TooLarge)?;
        Self::checked(n)
    }

    /// Checks an amount given as a number.
    pub fn checked(n: i64) -> Result<Self, MoneyError> {
        if n < 0 {
            Err(MoneyError::Negative)
        } else if n > MAX_PRICE {
            Err(MoneyError::TooLarge)
        } else {
            Ok(Rupiah(n))
        }
    }
}

impl fmt::Display for Rupiah {
    /// `Rp 1.234.567`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}Rp {grouped}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_dots() {
        assert_eq!(Rupiah(149_900).to_string(), "Rp 149.900");
        assert_eq!(Rupiah(0).to_string(), "Rp 0");
        assert_eq!(Rupiah(1_000_000).to_string(), "Rp 1.000.000");
        assert_eq!(Rupiah(-2_500).to_string(), "-Rp 2.500");
    }

    #[test]
    fn parses_what_people_type() {
        for s in ["149900", "149.900", "Rp 149.900", "149,900", " Rp149.900 "] {
            assert_eq!(Rupiah::parse(s), Ok(Rupiah(149_900)), "{s}");
        }
        assert_eq!(Rupiah::parse("-5"), Err(MoneyError::Negative));
        assert_eq!(Rupiah::parse("seratus"), Err(MoneyError::NotANumber));
        assert_eq!(Rupiah::parse(""), Err(MoneyError::NotANumber));
        assert_eq!(Rupiah::parse("1.000.000.001"), Err(MoneyError::TooLarge));
        assert_eq!(Rupiah::parse("99999999999999999999999"), Err(MoneyError::TooLarge));
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(n in 0i64..=MAX_PRICE) {
            prop_assert_eq!(Rupiah::parse(&Rupiah(n).to_string()), Ok(Rupiah(n)));
        }
    }
}
