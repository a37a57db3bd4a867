//! Staff account values: usernames, passwords, names and e-mail addresses, checked once at the edge.

use std::fmt;

/// Why a value was refused, phrased for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserValueError {
    #[error("username must be 3–50 characters: lowercase letters, digits, dot, dash or underscore")]
    Username,
    #[error("password must be at least {MIN_PASSWORD_LEN} characters")]
    PasswordTooShort,
    #[error("password must be at most {MAX_PASSWORD_LEN} characters")]
    PasswordTooLong,
    #[error("full name must be 1–100 characters")]
    FullName,
    #[error("e-mail address is not valid")]
    Email,
}

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 128;

/// A login name: 3–50 of `a-z 0-9 . _ -`, starting with a letter or digit. Stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UserValueError> {
        let s = raw.trim().to_lowercase();
        let ok_len = (3..=50).contains(&s.chars().count());
        let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        let ok_start = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if ok_len && ok_chars && ok_start { Ok(Self(s)) } else { Err(UserValueError::Username) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password against the policy (length only, as NIST SP 800-63B advises).
pub fn check_new_password(password: &str) -> Result<(), UserValueError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        Err(UserValueError::PasswordTooShort)
    } else if n > MAX_PASSWORD_LEN {
        Err(UserValueError::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// A person's display name, trimmed, 1–100 characters.
pub fn parse_full_name(raw: &str) -> Result<String, UserValueError> {
    let s = raw.trim();
    if (1..=100).contains(&s.chars().count()) { Ok(s.to_owned()) } else { Err(UserValueError::FullName) }
}

/// A plausible e-mail address (`local@domain.tld`), trimmed and lowercased; deliverability is
/// proven by sending, not by a regular expression.
pub fn parse_email(raw: &str) -> Result<String, UserValueError> {
    let s = raw.trim().to_lowercase();
    let Some((local, domain)) = s.split_once('@') else {
        return Err(UserValueError::Email);
    };
    // Plain ASCII, as the API documents it: `^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$`.
    let label = |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let ok = !local.is_empty()
        && s.len() <= 254
        && local.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-'))
        && domain.split('.').count() >= 2
        && domain.split('.').all(label);
    if ok { Ok(s) } else { Err(UserValueError::Email) }
}

crate::str_enum! { "session kind",
    /// A browser session (cookie, CSRF token, absolute limit) or an API token.
    pub enum SessionKind {
        Web = "web",
        Api = "api",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Budi.Santoso ").map(Username::into_inner), Ok("budi.santoso".into()));
        assert!(Username::parse("cs").is_err());
        assert!(Username::parse("_admin").is_err());
        assert!(Username::parse("budi santoso").is_err());
        assert!(Username::parse("budi@x").is_err());
        assert!(Username::parse(&"a".repeat(51)).is_err());
        assert!(Username::parse(&"a".repeat(50)).is_ok());
    }

    #[test]
    fn passwords() {
        assert_eq!(check_new_password("short"), Err(UserValueError::PasswordTooShort));
        assert_eq!(check_new_password("demo12345"), Ok(()));
        assert_eq!(check_new_password(&"x".repeat(129)), Err(UserValueError::PasswordTooLong));
    }

    #[test]
    fn names_and_emails() {
        assert_eq!(parse_full_name("  Siti Rahayu "), Ok("Siti Rahayu".into()));
        assert!(parse_full_name("   ").is_err());
        assert_eq!(parse_email(" Siti@Aglis.co.id "), Ok("siti@aglis.co.id".into()));
        for bad in ["siti", "siti@", "@aglis.id", "siti@aglis", "si ti@aglis.id", "a@b@c.id", "a@.id"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsed_usernames_are_stable(raw in "\\PC{0,60}") {
            if let Ok(u) = Username::parse(&raw) {
                prop_assert_eq!(Username::parse(u.as_str()), Ok(u.clone()));
            }
        }
    }
}
