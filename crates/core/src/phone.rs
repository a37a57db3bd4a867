//! Indonesian phone numbers, normalised to the international form without `+` (`628…`), which is
//! what WhatsApp gateways expect.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number may contain only digits, spaces, dashes, dots, brackets and a leading +")]
    BadCharacters,
    #[error("phone number must be an Indonesian number such as 0812-3456-7890 or +62 812 3456 7890")]
    NotIndonesian,
    #[error("phone number must have 9 to 13 digits after the country code")]
    BadLength,
}

/// A valid Indonesian phone number, `62` followed by 9–13 digits (mobile `628…` or a landline).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts the ways people write numbers: `0812…`, `812…`, `62812…`, `+62 812-…`, `(021) 555…`.
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneError::BadCharacters),
            }
        }
        let national = if let Some(n) = digits.strip_prefix("62") {
            n.to_owned()
        } else if plus {
            return Err(PhoneError::NotIndonesian);
        } else if let Some(n) = digits.strip_prefix('0') {
            n.to_owned()
        } else if digits.starts_with('8') {
            digits
        } else {
            return Err(PhoneError::NotIndonesian);
        };
        if national.starts_with('0') {
            return Err(PhoneError::NotIndonesian);
        }
        if !(9..=13).contains(&national.len()) {
            return Err(PhoneError::BadLength);
        }
        Ok(Phone(format!("62{national}")))
    }

    /// `628123456789`
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The local form people read: `0812-3456-789`.
    pub fn local(&self) -> String {
        let national = &self.0[2..];
        let mut out = String::from("0");
        for (i, c) in national.chars().enumerate() {
            if i == 3 || i == 7 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_usual_spellings_normalise_to_62() {
        for raw in [
            "081234567890",
            "0812-3456-7890",
            "+62 812 3456 7890",
            "62812.3456.7890",
            "81234567890",
            " (0812) 3456 7890 ",
        ] {
            assert_eq!(Phone::parse(raw).map(|p| p.0), Ok("6281234567890".to_owned()), "{raw}");
        }
        assert_eq!(Phone::parse("(021) 8990 1234").map(|p| p.0), Ok("622189901234".to_owned()));
    }

    #[test]
    fn rejects_what_is_not_an_indonesian_number() {
        assert_eq!(Phone::parse(""), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("0812abc"), Err(PhoneError::BadCharacters));
        assert_eq!(Phone::parse("+1 415 555 0100"), Err(PhoneError::NotIndonesian));
        assert_eq!(Phone::parse("12345678"), Err(PhoneError::NotIndonesian));
        assert_eq!(Phone::parse("0812"), Err(PhoneError::BadLength));
        assert_eq!(Phone::parse("08123456789012345"), Err(PhoneError::BadLength));
        assert_eq!(Phone::parse("6208123"), Err(PhoneError::NotIndonesian));
    }

    #[test]
    fn local_form() {
        assert_eq!(Phone::parse("6281234567890").map(|p| p.local()), Ok("0812-3456-7890".to_owned()));
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(raw in "[+]?[0-9 ().-]{0,20}") {
            if let Ok(p) = Phone::parse(&raw) {
                prop_assert_eq!(Phone::parse(p.as_str()), Ok(p.clone()));
                prop_assert_eq!(Phone::parse(&p.local()), Ok(p.clone()));
                prop_assert!(p.as_str().starts_with("62") && p.as_str().len() <= 15);
            }
        }
    }
}
