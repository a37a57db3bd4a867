//! Notification vocabulary and rules: channels, message statuses that never move backwards, and
//! `{{variable}}` templates whose missing variables are caught when the template is saved.

use std::collections::{BTreeMap, BTreeSet};

crate::str_enum! {
    "channel",
    pub enum Channel {
        Whatsapp = "whatsapp",
        Email = "email",
    }
}

/// A value that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; expected one of {}", expected.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    /// Every name the enum has.
    pub expected: &'static [&'static str],
}

crate::str_enum! {
    "message status",
    /// A message's life: `queued → sending → sent → delivered → read`, or `failed` (will retry) and
    /// finally `dead` (retries used up; re-queueable by hand). `held`: no provider serves its channel;
    /// it waits, never marked sent, and goes out once one is configured.
    pub enum MessageStatus {
        Queued = "queued",
        /// Waiting for a provider: nothing is configured for its channel. It goes out once one is.
        Held = "held",
        Sending = "sending",
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Failed = "failed",
        Dead = "dead",
    }
}

impl MessageStatus {
    /// How far delivery has progressed once the provider accepted the message.
    fn delivery_rank(self) -> Option<u8> {
        match self {
            MessageStatus::Sent => Some(1),
            MessageStatus::Delivered => Some(2),
            MessageStatus::Read => Some(3),
            _ => None,
        }
    }
}

/// The status after a provider reports `reported` for a message that is `current`, or `None` when
/// the report changes nothing: delivery never moves backwards (a late `sent` after `read` is
/// ignored); a failure reported after the provider accepted the message makes it `dead` (nobody
/// retries it; staff may re-queue it); a failure after delivery is stale.
pub fn apply_delivery_report(current: MessageStatus, reported: MessageStatus) -> Option<MessageStatus> {
    use MessageStatus::*;
    match (current.delivery_rank(), reported) {
        (_, Queued | Held | Sending | Dead) => None,
        (Some(1), Failed) => Some(Dead),
        (Some(cur), r) if r.delivery_rank().is_some_and(|new| new > cur) => Some(r),
        (Some(_), _) => None,
        // Reports may overtake our own record of the send (out-of-order callbacks).
        (None, Sent | Delivered | Read) if matches!(current, Sending | Queued | Failed) => Some(reported),
        (None, Failed) if matches!(current, Sending | Queued) => Some(Failed),
        (None, _) => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template uses variables that are not declared: {}", .0.join(", "))]
    Undeclared(Vec<String>),
    #[error("missing values for: {}", .0.join(", "))]
    Missing(Vec<String>),
    #[error("unclosed `{{{{` at character {0}")]
    Unclosed(usize),
    #[error("`{0}` is not a valid variable name (letters, digits and _ only)")]
    BadName(String),
    #[error("the template is empty")]
    Empty,
}

/// The `{{name}}` placeholders of a template, in order of first use.
pub fn placeholders(body: &str) -> Result<Vec<String>, TemplateError> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = body;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed(offset + start))?;
        let name = after[..end].trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(TemplateError::BadName(name.to_owned()));
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
        let consumed = start + 2 + end + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    Ok(out)
}

/// Checks a template when it is saved: well-formed, not empty, and every placeholder declared.
pub fn check_template(body: &str, declared: &[String]) -> Result<(), TemplateError> {
    if body.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    let used = placeholders(body)?;
    let declared: BTreeSet<&str> = declared.iter().map(String::as_str).collect();
    let undeclared: Vec<String> = used.into_iter().filter(|u| !declared.contains(u.as_str())).collect();
    if undeclared.is_empty() { Ok(()) } else { Err(TemplateError::Undeclared(undeclared)) }
}

/// Fills every placeholder; all missing values are reported at once.
pub fn render(body: &str, values: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let used = placeholders(body)?;
    let missing: Vec<String> = used.iter().filter(|n| !values.contains_key(*n)).cloned().collect();
    if !missing.is_empty() {
        return Err(TemplateError::Missing(missing));
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed(start))?;
        let name = after[..end].trim();
        out.push_str(values.get(name).map(String::as_str).unwrap_or_default());
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageStatus::*;
    use proptest::prelude::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn text_forms_round_trip() {
        for &s in MessageStatus::ALL {
            assert_eq!(s.as_str().parse::<MessageStatus>(), Ok(s));
        }
        for &c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        assert!("sms".parse::<Channel>().is_err());
    }

    #[test]
    fn delivery_never_moves_backwards() {
        assert_eq!(apply_delivery_report(Sent, Delivered), Some(Delivered));
        assert_eq!(apply_delivery_report(Delivered, Read), Some(Read));
        assert_eq!(apply_delivery_report(Read, Sent), None, "late sent after read");
        assert_eq!(apply_delivery_report(Read, Delivered), None);
        assert_eq!(apply_delivery_report(Delivered, Delivered), None, "repeat is idempotent");
        assert_eq!(apply_delivery_report(Delivered, Failed), None, "stale failure");
        assert_eq!(apply_delivery_report(Sent, Failed), Some(Dead), "accepted, then undeliverable");
        assert_eq!(apply_delivery_report(Sending, Read), Some(Read), "callback overtook our own record");
        assert_eq!(apply_delivery_report(Sending, Failed), Some(Failed));
        assert_eq!(apply_delivery_report(Dead, Sent), None);
        assert_eq!(apply_delivery_report(Sent, Queued), None);
    }

    #[test]
    fn templates_render_and_report_every_missing_value() {
        let body = "Halo {{nama}}, tiket {{ nomor }} sudah {{status}}. Terima kasih, {{nama}}!";
        assert_eq!(placeholders(body), Ok(vec!["nama".into(), "nomor".into(), "status".into()]));
        let out = render(body, &vars(&[("nama", "Budi"), ("nomor", "TKT-001"), ("status", "selesai")]));
        assert_eq!(out.as_deref(), Ok("Halo Budi, tiket TKT-001 sudah selesai. Terima kasih, Budi!"));
        assert_eq!(
            render(body, &vars(&[("nama", "Budi")])),
            Err(TemplateError::Missing(vec!["nomor".into(), "status".into()]))
        );
        assert_eq!(render("tanpa variabel", &BTreeMap::new()).as_deref(), Ok("tanpa variabel"));
    }

    #[test]
    fn saving_checks_declarations_and_syntax() {
        let declared = vec!["nama".to_owned()];
        assert_eq!(check_template("Halo {{nama}}", &declared), Ok(()));
        assert_eq!(
            check_template("Halo {{nama}} {{paket}}", &declared),
            Err(TemplateError::Undeclared(vec!["paket".into()]))
        );
        assert_eq!(check_template("Halo {{nama", &declared), Err(TemplateError::Unclosed(5)));
        assert!(matches!(check_template("Halo {{na ma}}", &declared), Err(TemplateError::BadName(_))));
        assert_eq!(check_template("  ", &declared), Err(TemplateError::Empty));
    }

    proptest! {
        #[test]
        fn rendering_text_without_braces_is_identity(text in "[^{}]{0,200}") {
            prop_assert_eq!(render(&text, &BTreeMap::new()), Ok(text.clone()));
        }

        #[test]
        fn reports_are_monotonic(a in 0usize..7, b in 0usize..7) {
            let (cur, rep) = (MessageStatus::ALL[a], MessageStatus::ALL[b]);
            if let (Some(new), Some(old_rank)) = (apply_delivery_report(cur, rep), cur.delivery_rank()) {
                prop_assert!(new == MessageStatus::Dead || new.delivery_rank().is_some_and(|r| r > old_rank));
                prop_assert!(new != MessageStatus::Dead || cur == MessageStatus::Sent);
            }
        }
    }
}

/// What a message is found by in the message history: its recipient whole (a number in both its
/// `62…` and `0…` forms, an address as it is) and the words of the address, the subject and the
/// start of the body.
pub fn search_words(recipient: &str, subject: Option<&str>, body: &str) -> Vec<String> {
    use crate::search::{phone_words, record_words};
    let whole = if recipient.chars().all(|c| c.is_ascii_digit()) {
        phone_words(recipient)
    } else {
        vec![recipient.to_lowercase()]
    };
    record_words(&whole, &[recipient, subject.unwrap_or_default(), body])
}

#[cfg(test)]
mod search_word_tests {
    #[test]
    fn a_message_is_found_by_number_address_and_words() {
        let w = super::search_words("6281234567890", None, "Tagihan internet Anda Rp 185.000");
        assert_eq!(&w[..2], ["081234567890", "6281234567890"]);
        assert!(w.contains(&"tagihan".to_owned()) && w.contains(&"185".to_owned()));
        let w = super::search_words("hendra@contoh.co.id", Some("Laporan harian"), "");
        assert_eq!(w[0], "hendra@contoh.co.id");
        assert!(w.contains(&"hendra".to_owned()) && w.contains(&"laporan".to_owned()));
    }
}
