//! Broadcasts to customers (issue 22): an outage or maintenance notice to every customer on one
//! ODP, in one area (the ODPs' `area`) or on one package, in each customer's language.
//!
//! Who gets one: customers whose service exists — `active`, and `suspended` (an isolated customer
//! still has the line and will be back on it once they pay, so an outage concerns them too) —
//! with a phone number, who have not turned announcements off in the portal (topic `news`).
//! Prospects (not yet connected) and terminated customers never do.

use crate::customer::CustomerStatus;
use crate::notification_catalog::Language;
use crate::portal::{MessageTopic, muted};

/// The longest body, in characters: a notice, not a newsletter (WhatsApp itself takes 4096).
pub const MAX_BODY_CHARS: usize = 1000;

crate::str_enum! { "broadcast target",
    /// What a broadcast is aimed at.
    pub enum TargetKind {
        Odp = "odp",
        Area = "area",
        Package = "package",
    }
}

/// Why a broadcast's text was refused; each maps to a `val.broadcast.*` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    Empty,
    TooLong,
}

/// The text as sent: trimmed, not empty, at most [`MAX_BODY_CHARS`] characters.
pub fn check_body(body: &str) -> Result<String, BodyError> {
    let body = body.trim();
    if body.is_empty() {
        Err(BodyError::Empty)
    } else if body.chars().count() > MAX_BODY_CHARS {
        Err(BodyError::TooLong)
    } else {
        Ok(body.to_owned())
    }
}

/// Whether a customer receives broadcasts (see the module's rule).
pub fn receives(status: CustomerStatus, phone: &str, muted_messages: &str) -> bool {
    matches!(status, CustomerStatus::Active | CustomerStatus::Suspended)
        && !phone.trim().is_empty()
        && !muted(muted_messages).contains(&MessageTopic::News)
}

/// The text for a customer: English when they read English and an English text was given,
/// Indonesian otherwise.
pub fn body_for<'a>(language: Language, body_id: &'a str, body_en: &'a str) -> &'a str {
    match language {
        Language::En if !body_en.is_empty() => body_en,
        _ => body_id,
    }
}

/// A broadcast's delivery so far, from its messages' statuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Not yet accepted by a provider: queued, held, being sent, or failed and waiting to retry.
    pub queued: i64,
    /// Accepted by a provider (sent, delivered or read).
    pub sent: i64,
    /// Of those sent, delivered or read.
    pub delivered: i64,
    /// Given up (dead).
    pub failed: i64,
}

impl Figures {
    /// Adds `n` messages of `status` (as stored).
    pub fn add(&mut self, status: &str, n: i64) {
        match status {
            "sent" => self.sent += n,
            "delivered" | "read" => {
                self.sent += n;
                self.delivered += n;
            }
            "dead" => self.failed += n,
            _ => self.queued += n,
        }
    }

    pub fn total(&self) -> i64 {
        self.queued + self.sent + self.failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_trimmed_and_bounded() {
        assert_eq!(check_body("  Gangguan  "), Ok("Gangguan".into()));
        assert_eq!(check_body(" \n "), Err(BodyError::Empty));
        assert_eq!(check_body(&"a".repeat(MAX_BODY_CHARS)).map(|b| b.len()), Ok(MAX_BODY_CHARS));
        assert_eq!(check_body(&"é".repeat(MAX_BODY_CHARS + 1)), Err(BodyError::TooLong));
    }

    #[test]
    fn only_connected_reachable_customers_who_want_news_receive() {
        use CustomerStatus::*;
        assert!(receives(Active, "6281234567890", ""));
        assert!(receives(Suspended, "6281234567890", "tickets,reminders"));
        assert!(!receives(Prospect, "6281234567890", ""));
        assert!(!receives(Terminated, "6281234567890", ""));
        assert!(!receives(Active, " ", ""));
        assert!(!receives(Active, "6281234567890", "news"));
        assert!(!receives(Active, "6281234567890", "tickets, news"));
    }

    #[test]
    fn english_readers_get_the_english_text_when_there_is_one() {
        assert_eq!(body_for(Language::En, "Halo", "Hello"), "Hello");
        assert_eq!(body_for(Language::Id, "Halo", "Hello"), "Halo");
        assert_eq!(body_for(Language::En, "Halo", ""), "Halo");
    }

    #[test]
    fn figures_count_each_status_once() {
        let mut f = Figures::default();
        for (s, n) in
            [("queued", 3), ("held", 1), ("failed", 1), ("sent", 2), ("delivered", 4), ("read", 1), ("dead", 2)]
        {
            f.add(s, n);
        }
        assert_eq!(f, Figures { queued: 5, sent: 7, delivered: 5, failed: 2 });
        assert_eq!(f.total(), 14);
    }

    #[test]
    fn target_text_round_trips() {
        for &k in TargetKind::ALL {
            assert_eq!(k.as_str().parse::<TargetKind>(), Ok(k));
        }
    }
}
