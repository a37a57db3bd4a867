//! Rules of the customer portal that need no database: who a sign-in names (a phone number or a
//! customer code), what a reported problem becomes as a ticket, and a visit's rating.

use crate::phone::Phone;
use crate::ticket::{Priority, TicketStatus, TicketType};

/// How long a portal code is valid, and how many guesses it allows.
pub const CODE_MINUTES: i64 = 10;
pub const MAX_CODE_ATTEMPTS: i32 = 5;
/// Codes sent per number (or customer code) and per client address in an hour.
pub const CODES_PER_KEY_HOUR: u32 = 3;
pub const CODES_PER_IP_HOUR: u32 = 10;
/// A portal session lasts this many days from sign-in.
pub const SESSION_DAYS: i64 = 7;

/// Whom a sign-in names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginKey {
    Phone(Phone),
    /// A customer code as printed on the invoice (`AGLS202612060001`), upper case.
    Code(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginKeyError {
    #[error("type your phone number or customer code")]
    Empty,
    #[error("this is neither a phone number (0812-3456-7890) nor a customer code (AGLS…)")]
    Unreadable,
}

impl LoginKey {
    /// A customer code has letters; anything else must be an Indonesian number.
    pub fn parse(raw: &str) -> Result<Self, LoginKeyError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(LoginKeyError::Empty);
        }
        if raw.chars().any(|c| c.is_ascii_alphabetic()) {
            let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
            let fits = (4..=30).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            return if fits { Ok(LoginKey::Code(code)) } else { Err(LoginKeyError::Unreadable) };
        }
        Phone::parse(raw).map(LoginKey::Phone).map_err(|_| LoginKeyError::Unreadable)
    }

    /// The text codes are filed under: `62…` or the customer code.
    pub fn key(&self) -> &str {
        match self {
            LoginKey::Phone(p) => p.as_str(),
            LoginKey::Code(c) => c,
        }
    }
}

crate::str_enum! { "problem",
    /// What a customer reports from the portal.
    pub enum Problem {
        NoConnection = "no_connection",
        Slow = "slow",
        LosRed = "los_red",
        Relocation = "relocation",
        Upgrade = "upgrade",
        Downgrade = "downgrade",
        Dismantle = "dismantle",
    }
}

impl Problem {
    /// The ticket it opens: type, priority (an outage is high, the rest normal) and category.
    pub fn ticket(self) -> (TicketType, Priority) {
        match self {
            Problem::NoConnection | Problem::LosRed => (TicketType::Repair, Priority::High),
            Problem::Slow => (TicketType::Repair, Priority::Normal),
            Problem::Relocation => (TicketType::Survey, Priority::Normal),
            Problem::Upgrade => (TicketType::Upgrade, Priority::Normal),
            Problem::Downgrade => (TicketType::Downgrade, Priority::Normal),
            Problem::Dismantle => (TicketType::Dismantle, Priority::Low),
        }
    }

    /// The ticket's title as staff read it (they work in Indonesian).
    pub fn title(self) -> &'static str {
        match self {
            Problem::NoConnection => "Internet mati",
            Problem::Slow => "Internet lambat",
            Problem::LosRed => "Lampu LOS merah",
            Problem::Relocation => "Pindah alamat",
            Problem::Upgrade => "Naik paket",
            Problem::Downgrade => "Turun paket",
            Problem::Dismantle => "Berhenti berlangganan (cabut perangkat)",
        }
    }
}

/// The priorities a customer may choose (critical is the desk's call).
pub fn customer_priority(p: Priority) -> bool {
    p != Priority::Critical
}

crate::str_enum! { "message topic",
    /// The kinds of WhatsApp message a customer may turn off. Sign-in codes, receipts, overdue
    /// notices and installation news always go out.
    pub enum MessageTopic {
        /// Their tickets' progress.
        Tickets = "tickets",
        /// Reminders before a bill is due.
        Reminders = "reminders",
        /// Announcements and maintenance notices.
        News = "news",
    }
}

impl MessageTopic {
    /// The topic of a message event, `None` for one that always goes out.
    pub fn of_event(event: &str) -> Option<MessageTopic> {
        match event {
            "ticket_created" | "ticket_status_update" => Some(MessageTopic::Tickets),
            "payment_reminder" => Some(MessageTopic::Reminders),
            "announcement" | "maintenance" => Some(MessageTopic::News),
            _ => None,
        }
    }
}

/// The topics in a stored list (`tickets,news`); unknown words are ignored.
pub fn muted(stored: &str) -> Vec<MessageTopic> {
    MessageTopic::ALL.iter().copied().filter(|t| stored.split(',').any(|w| w.trim() == t.as_str())).collect()
}

/// The stored form of `topics`, in a fixed order.
pub fn muted_text(topics: &[MessageTopic]) -> String {
    MessageTopic::ALL.iter().filter(|t| topics.contains(t)).map(|t| t.as_str()).collect::<Vec<_>>().join(",")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RatingRefused {
    #[error("give 1 to 5 stars")]
    OutOfRange,
    #[error("a visit can be rated once the ticket is resolved")]
    NotFinished,
    #[error("this visit is already rated")]
    AlreadyRated,
}

/// Checks a rating: 1–5 stars, on a resolved or closed ticket, once.
pub fn check_rating(stars: i32, status: TicketStatus, already: bool) -> Result<(), RatingRefused> {
    if !(1..=5).contains(&stars) {
        return Err(RatingRefused::OutOfRange);
    }
    if !matches!(status, TicketStatus::Resolved | TicketStatus::Closed) {
        return Err(RatingRefused::NotFinished);
    }
    if already {
        return Err(RatingRefused::AlreadyRated);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_names_a_phone_or_a_customer_code() {
        assert_eq!(LoginKey::parse(" 0812-3456-7890 ").expect("phone").key(), "6281234567890");
        assert_eq!(LoginKey::parse("+62 812 3456 7890").expect("phone").key(), "6281234567890");
        assert_eq!(LoginKey::parse("agls20261206 0001").expect("code").key(), "AGLS202612060001");
        assert_eq!(LoginKey::parse(""), Err(LoginKeyError::Empty));
        assert_eq!(LoginKey::parse("12"), Err(LoginKeyError::Unreadable));
        assert_eq!(LoginKey::parse("a'; drop table"), Err(LoginKeyError::Unreadable));
        assert_eq!(LoginKey::parse(&"A".repeat(31)), Err(LoginKeyError::Unreadable));
    }

    #[test]
    fn an_outage_is_urgent_and_a_move_is_a_survey() {
        assert_eq!(Problem::NoConnection.ticket(), (TicketType::Repair, Priority::High));
        assert_eq!(Problem::LosRed.ticket(), (TicketType::Repair, Priority::High));
        assert_eq!(Problem::Slow.ticket(), (TicketType::Repair, Priority::Normal));
        assert_eq!(Problem::Relocation.ticket().0, TicketType::Survey);
        assert_eq!(Problem::Dismantle.ticket().0, TicketType::Dismantle);
        assert!(Problem::ALL.iter().all(|p| !p.title().is_empty()));
        assert!(!customer_priority(Priority::Critical) && customer_priority(Priority::High));
    }

    #[test]
    fn codes_and_receipts_cannot_be_turned_off() {
        assert_eq!(MessageTopic::of_event("ticket_status_update"), Some(MessageTopic::Tickets));
        assert_eq!(MessageTopic::of_event("payment_reminder"), Some(MessageTopic::Reminders));
        assert_eq!(MessageTopic::of_event("maintenance"), Some(MessageTopic::News));
        for always in ["otp_login", "payment_confirmation", "payment_overdue", "registration_status"] {
            assert_eq!(MessageTopic::of_event(always), None, "{always}");
        }
        assert_eq!(muted("news, tickets,spam"), vec![MessageTopic::Tickets, MessageTopic::News]);
        assert_eq!(muted_text(&[MessageTopic::News, MessageTopic::Tickets]), "tickets,news");
        assert_eq!(muted(""), vec![]);
    }

    #[test]
    fn a_visit_is_rated_once_after_the_fix() {
        assert_eq!(check_rating(5, TicketStatus::Resolved, false), Ok(()));
        assert_eq!(check_rating(1, TicketStatus::Closed, false), Ok(()));
        assert_eq!(check_rating(0, TicketStatus::Closed, false), Err(RatingRefused::OutOfRange));
        assert_eq!(check_rating(6, TicketStatus::Closed, false), Err(RatingRefused::OutOfRange));
        assert_eq!(check_rating(4, TicketStatus::InProgress, false), Err(RatingRefused::NotFinished));
        assert_eq!(check_rating(4, TicketStatus::Closed, true), Err(RatingRefused::AlreadyRated));
    }
}
