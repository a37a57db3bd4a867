//! Customers (subscribers): their status life cycle, the customer code `AGLSyyyymmddNNNN`, the
//! values checked on every profile, and the words a name is found by.

use chrono::{DateTime, Utc};

crate::str_enum! {
    "customer status",
    /// `prospect` (signed, not yet installed) → `active` ↔ `suspended`; anything → `terminated`.
    pub enum CustomerStatus {
        Prospect = "prospect",
        Active = "active",
        Suspended = "suspended",
        Terminated = "terminated",
    }
}

impl CustomerStatus {
    /// The statuses a customer may move to from this one.
    pub fn next(self) -> &'static [CustomerStatus] {
        use CustomerStatus::*;
        match self {
            Prospect => &[Active, Terminated],
            Active => &[Suspended, Terminated],
            Suspended => &[Active, Terminated],
            Terminated => &[],
        }
    }

    pub fn can_become(self, to: CustomerStatus) -> bool {
        self.next().contains(&to)
    }

    /// Whether the customer holds an ODP port (a terminated customer frees theirs).
    pub fn holds_port(self) -> bool {
        self != CustomerStatus::Terminated
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerValueError {
    #[error("a customer cannot go from {from} to {to}")]
    Transition { from: CustomerStatus, to: CustomerStatus },
    #[error("the name must be 2–100 characters")]
    Name,
    #[error("the address must be 5–300 characters")]
    Address,
    #[error("a KTP number is exactly 16 digits")]
    Ktp,
    #[error("customer codes look like AGLS202611250001")]
    Code,
}

/// Checks a status change.
pub fn transition(from: CustomerStatus, to: CustomerStatus) -> Result<CustomerStatus, CustomerValueError> {
    if from.can_become(to) { Ok(to) } else { Err(CustomerValueError::Transition { from, to }) }
}

/// A person's or company's name, trimmed, inner spaces collapsed.
pub fn parse_name(raw: &str) -> Result<String, CustomerValueError> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if (2..=100).contains(&s.chars().count()) { Ok(s) } else { Err(CustomerValueError::Name) }
}

pub fn parse_address(raw: &str) -> Result<String, CustomerValueError> {
    let s = raw.trim().to_owned();
    if (5..=300).contains(&s.chars().count()) { Ok(s) } else { Err(CustomerValueError::Address) }
}

/// A KTP (national identity card) number: 16 digits; spaces and dots people type are dropped.
pub fn parse_ktp(raw: &str) -> Result<String, CustomerValueError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
    if digits.len() == 16 && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(CustomerValueError::Ktp)
    }
}

/// The code prefix of a day: `AGLS` + the date in Asia/Jakarta.
pub fn code_prefix(now: DateTime<Utc>) -> String {
    let local = now.with_timezone(&crate::schedule::JAKARTA);
    format!("AGLS{}", local.format("%Y%m%d"))
}

/// The day's customer codes: `AGLS` + the date in Indonesia + 4 digits.
pub fn code_series(now: DateTime<Utc>) -> crate::codes::Series {
    crate::codes::Series::new(code_prefix(now), 4, 9_999)
}

/// Whether `raw` is a customer code (`AGLS` + 12 digits), upper-cased.
pub fn parse_code(raw: &str) -> Result<String, CustomerValueError> {
    let s = raw.trim().to_uppercase();
    let ok = s.len() == 16 && s.starts_with("AGLS") && s[4..].chars().all(|c| c.is_ascii_digit());
    if ok { Ok(s) } else { Err(CustomerValueError::Code) }
}

/// The words a name is found by: lower-case, letters and digits only, each at least 2 long.
/// "Siti Nur'aini, S.Kom" → ["siti", "nuraini", "kom"].
pub fn search_words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in name.split(|c: char| c.is_whitespace() || c == ',' || c == '.' || c == '-' || c == '/') {
        let w: String = word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
        if w.chars().count() >= 2 && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

crate::str_enum! { "service pause",
    /// Why a span of days is not billed.
    pub enum PauseReason {
        /// The account was suspended (unpaid, or by staff).
        Suspended = "suspended",
        /// A dated pause the customer asked for (away, renovation).
        Paused = "paused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn the_life_cycle() {
        use CustomerStatus::*;
        assert_eq!(transition(Prospect, Active), Ok(Active));
        assert_eq!(transition(Active, Suspended), Ok(Suspended));
        assert_eq!(transition(Suspended, Active), Ok(Active));
        assert!(transition(Active, Prospect).is_err());
        assert!(transition(Prospect, Suspended).is_err());
        for &s in CustomerStatus::ALL {
            assert_eq!(s.can_become(Terminated), s != Terminated, "{s}");
            assert!(!Terminated.can_become(s));
        }
    }

    #[test]
    fn codes_count_per_jakarta_day() {
        // 17:30 UTC is already the next day in Jakarta (UTC+7).
        let t = at("2026-11-25T17:30:00Z");
        assert_eq!(code_prefix(t), "AGLS20261126");
        let s = code_series(t);
        assert_eq!(s.code(1).as_deref(), Ok("AGLS202611260001"));
        assert_eq!(s.number_of("AGLS202611260041"), Some(41));
        assert!(s.code(10_000).is_err(), "9,999 a day");
        assert_eq!(parse_code(" agls202611260042"), Ok("AGLS202611260042".into()));
        assert!(parse_code("AGLS2026").is_err());
    }

    #[test]
    fn profile_values() {
        assert_eq!(parse_name("  Budi   Santoso "), Ok("Budi Santoso".into()));
        assert!(parse_name("B").is_err());
        assert_eq!(parse_ktp("3215 0123 4567 0001"), Ok("3215012345670001".into()));
        assert!(parse_ktp("12345").is_err());
        assert!(parse_address("Jl.").is_err());
    }

    #[test]
    fn names_are_found_by_their_words() {
        assert_eq!(search_words("Siti Nur'aini, S.Kom"), ["siti", "nuraini", "kom"]);
        assert_eq!(search_words("PT. Maju Jaya / Cabang Karawang"), ["pt", "maju", "jaya", "cabang", "karawang"]);
        assert_eq!(search_words("Ir. Ir. Budi"), ["ir", "budi"]);
    }
}
