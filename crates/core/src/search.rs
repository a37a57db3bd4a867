//! Search words: what a record is found by in a word table (`ticket_words`, `message_words`,
//! `audit_words`) and what a search box is split into. Lower-case letters and digits, at least two
//! characters, at most [`WORD_MAX`], each matched as the start of a word. Phone numbers are kept
//! whole in both the stored `62…` and the typed `0…` forms, and addresses whole, so that a number
//! or an address finds its records however it is written.

/// Longest stored word; longer words are cut (a prefix search still finds them).
pub const WORD_MAX: usize = 40;
/// Most words stored for one message or audit record (a long message body is found by its
/// first words, its recipient and its subject).
pub const RECORD_WORDS_MAX: usize = 48;

/// The words of free text: "Siti Nur'aini, S.Kom" → ["siti", "nuraini", "kom"].
pub fn text_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')) {
        push(&mut out, word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect());
    }
    out
}

/// A phone number's words: the stored `62…` form and the local `0…` one.
pub fn phone_words(stored: &str) -> Vec<String> {
    let digits: String = stored.chars().filter(char::is_ascii_digit).collect();
    let mut out = Vec::new();
    if let Some(rest) = digits.strip_prefix("62") {
        push(&mut out, format!("0{rest}"));
    }
    push(&mut out, digits);
    out
}

/// What a search box holds, as words: a phone number (digits with spaces, dashes, dots, a `+`)
/// becomes one word in both forms; an IP address stays whole; anything else is [`text_words`].
pub fn query_words(raw: &str) -> Vec<String> {
    let t = raw.trim();
    if t.parse::<std::net::IpAddr>().is_ok() || (t.contains(':') && !t.contains(char::is_whitespace)) || ip_start(t) {
        // An address or its start, or a record reference such as `customer:5`: whole.
        return vec![t.chars().take(WORD_MAX).collect::<String>().to_lowercase()];
    }
    let compact: String = t.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    let compact = compact.strip_prefix('+').unwrap_or(&compact);
    if compact.len() >= 4 && compact.chars().all(|c| c.is_ascii_digit()) {
        return vec![compact.chars().take(WORD_MAX).collect()];
    }
    text_words(t)
}

/// `114.124`: the start of an IPv4 address (a first group of at most three digits, not a phone
/// number's `0…`), looked for whole.
fn ip_start(t: &str) -> bool {
    let first = t.split('.').next().unwrap_or_default();
    t.contains('.')
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && (1..=3).contains(&first.len())
        && !first.starts_with('0')
}

/// The words of a record made of `parts` (text) and `whole` (values kept as one word, e.g. an
/// address or a phone number's forms), at most [`RECORD_WORDS_MAX`], `whole` first.
pub fn record_words(whole: &[String], parts: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for w in whole {
        push(&mut out, w.to_lowercase());
    }
    for part in parts {
        for w in text_words(part) {
            push(&mut out, w);
        }
    }
    out.truncate(RECORD_WORDS_MAX);
    out
}

fn push(out: &mut Vec<String>, word: String) {
    let word: String = word.chars().take(WORD_MAX).collect();
    if word.chars().count() >= 2 && !out.contains(&word) {
        out.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_split_into_lower_case_words() {
        assert_eq!(text_words("Siti Nur'aini, S.Kom"), ["siti", "nuraini", "kom"]);
        assert_eq!(
            text_words("Tagihan INV-202612-000123 jatuh tempo"),
            ["tagihan", "inv", "202612", "000123", "jatuh", "tempo"]
        );
        assert!(text_words("a . , -").is_empty());
    }

    #[test]
    fn a_number_is_found_in_either_form_and_an_address_whole() {
        assert_eq!(phone_words("6281234567890"), ["081234567890", "6281234567890"]);
        assert_eq!(query_words("0812-3456-7890"), ["081234567890"]);
        assert_eq!(query_words("+62 812 3456"), ["628123456"]);
        assert_eq!(query_words("203.0.113.7"), ["203.0.113.7"]);
        assert_eq!(query_words("Customer:5"), ["customer:5"]);
        assert_eq!(query_words("114.124"), ["114.124"], "the start of an address");
        assert_eq!(query_words("0812.3456.7890"), ["081234567890"], "a number written with dots");
        assert_eq!(query_words("redaman tinggi"), ["redaman", "tinggi"]);
        // Three digits are too short to be a number: a word.
        assert_eq!(query_words("812"), ["812"]);
    }

    #[test]
    fn records_keep_whole_values_first_and_at_most_the_limit() {
        let body = (0..100).map(|i| format!("kata{i}")).collect::<Vec<_>>().join(" ");
        let words = record_words(&phone_words("6281234567890"), &["Info gangguan", &body]);
        assert_eq!(words.len(), RECORD_WORDS_MAX);
        assert_eq!(&words[..4], ["081234567890", "6281234567890", "info", "gangguan"]);
        let long = "x".repeat(60);
        assert_eq!(record_words(&[], &[&long])[0].len(), WORD_MAX);
    }
}
