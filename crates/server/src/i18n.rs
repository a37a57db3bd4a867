//! Indonesian and English UI strings from `locales/{id,en}.yml` (flat `key: text` lines, embedded
//! in the binary), and the language of each request: `?lang=` (remembered in a cookie), then the
//! cookie, then `Accept-Language`, then Indonesian.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use std::collections::HashMap;
use std::sync::LazyLock;

pub const LANG_COOKIE: &str = "aglis_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

/// The UI strings of a message language (a customer's or an applicant's).
impl From<aglis_core::notification_catalog::Language> for Lang {
    fn from(l: aglis_core::notification_catalog::Language) -> Self {
        match l {
            aglis_core::notification_catalog::Language::Id => Lang::Id,
            aglis_core::notification_catalog::Language::En => Lang::En,
        }
    }
}

/// The message language of a page's language (an applicant signing up in English).
impl From<Lang> for aglis_core::notification_catalog::Language {
    fn from(l: Lang) -> Self {
        match l {
            Lang::Id => aglis_core::notification_catalog::Language::Id,
            Lang::En => aglis_core::notification_catalog::Language::En,
        }
    }
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The text of `key` in this language; the key itself when missing (a test keeps both files
    /// complete, so this shows up in review rather than as an empty label).
    pub fn t(self, key: &str) -> &'static str {
        let table = match self {
            Lang::Id => &*ID,
            Lang::En => &*EN,
        };
        table.get(key).copied().unwrap_or_else(|| leak_key(key))
    }
}

/// A message for a person, rendered in the reader's language: `@key` or `@key|name=value|…`,
/// whose text is the locale's `key` with each `{name}` replaced by its value. Validation messages
/// travel as these through [`crate::error::FieldErrors`]; pages render them in the page's
/// language, the API in English (see [`Lang::render`]).
pub fn msg(key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = format!("@{key}");
    for (name, value) in args {
        out.push('|');
        out.push_str(name);
        out.push('=');
        out.push_str(&encode_arg(&value.to_string()));
    }
    out
}

/// `%`, `|`, `=`, `;`, `,` and whitespace in a value, percent-encoded so that a message stays
/// one token.
fn encode_arg(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '%' | '|' | '=' | ';' | ',' => out.push_str(&format!("%{:02X}", c as u32)),
            c if c.is_whitespace() => out.push_str(&format!("%{:02X}", u32::from(c).min(0xff))),
            c => out.push(c),
        }
    }
    out
}

fn decode_arg(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = value.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Lang {
    /// `text` with every message token ([`msg`]) in it replaced by its text in this language;
    /// anything else is kept as it is (a token's key must exist, so an address such as
    /// `budi@contoh.id` is never taken for one).
    pub fn render(self, text: &str) -> String {
        if !text.contains('@') {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len() + 32);
        let mut rest = text;
        while let Some(at) = rest.find('@') {
            let starts_token =
                at == 0 || rest[..at].ends_with(|c: char| c.is_whitespace() || matches!(c, ':' | '(' | ','));
            let token_len = rest[at + 1..]
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')'))
                .unwrap_or(rest.len() - at - 1);
            let token = &rest[at + 1..at + 1 + token_len];
            let mut parts = token.split('|');
            let key = parts.next().unwrap_or_default();
            let table = match self {
                Lang::Id => &*ID,
                Lang::En => &*EN,
            };
            match table.get(key).filter(|_| starts_token && !key.is_empty()) {
                Some(template) => {
                    out.push_str(&rest[..at]);
                    let mut text = (*template).to_owned();
                    for part in parts {
                        if let Some((name, value)) = part.split_once('=') {
                            text = text.replace(&format!("{{{name}}}"), &decode_arg(value));
                        }
                    }
                    out.push_str(&text);
                    rest = &rest[at + 1 + token_len..];
                }
                None => {
                    out.push_str(&rest[..=at]);
                    rest = &rest[at + 1..];
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn leak_key(key: &str) -> &'static str {
    static MISSING: LazyLock<std::sync::Mutex<HashMap<String, &'static str>>> = LazyLock::new(Default::default);
    let mut map = MISSING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(key.to_owned()).or_insert_with(|| Box::leak(key.to_owned().into_boxed_str()))
}

static ID: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| parse_flat_yaml(include_str!("../locales/id.yml")));
static EN: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| parse_flat_yaml(include_str!("../locales/en.yml")));

/// Parses `key: value` lines; `#` comments and blank lines are skipped; values may be quoted.
fn parse_flat_yaml(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
            (k.trim(), v)
        })
        .collect()
}

/// Picks the request's language and, when `?lang=` chose it, remembers it in a cookie.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
    let from_query = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang"))
        .and_then(|(_, v)| Lang::parse(&v));
    let lang = from_query
        .or_else(|| CookieJar::from_headers(req.headers()).get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
        .or_else(|| {
            let accept = req.headers().get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
            accept.trim_start().to_ascii_lowercase().starts_with("en").then_some(Lang::En)
        })
        .unwrap_or_default();
    req.extensions_mut().insert(lang);
    let mut response = next.run(req).await;
    if let Some(l) = from_query
        && let Ok(v) =
            HeaderValue::from_str(&format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", l.code()))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_languages_have_the_same_keys_and_no_empty_texts() {
        let id: BTreeSet<_> = ID.keys().collect();
        let en: BTreeSet<_> = EN.keys().collect();
        assert_eq!(id.difference(&en).collect::<Vec<_>>(), Vec::<&&&str>::new(), "keys only in id.yml");
        assert_eq!(en.difference(&id).collect::<Vec<_>>(), Vec::<&&&str>::new(), "keys only in en.yml");
        assert!(ID.values().chain(EN.values()).all(|v| !v.is_empty()));
        assert!(ID.len() > 20);
    }

    /// Every `t("…")` key used in a template exists.
    #[test]
    fn every_key_used_in_templates_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        let mut checked = 0;
        while let Some(p) = stack.pop() {
            for entry in std::fs::read_dir(&p).expect("templates dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("template text");
                for (at, _) in text.match_indices("t(\"") {
                    // `shell.t("…")`, not `day.format("…")`.
                    if text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let piece = &text[at + 3..];
                    let key = piece.split('"').next().unwrap_or_default();
                    assert!(ID.contains_key(key), "{} uses missing key `{key}`", path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "found the template keys");
    }

    #[test]
    fn messages_render_in_the_readers_language_with_their_values() {
        let m = msg("val.length", &[("min", &2), ("max", &100)]);
        assert_eq!(m, "@val.length|min=2|max=100");
        assert_eq!(Lang::En.render(&m), "must be 2–100 characters");
        assert_eq!(Lang::Id.render(&m), "harus 2–100 karakter");
        assert_eq!(Lang::En.render(&format!("name: {m}")), "name: must be 2–100 characters");
        // Values with separators survive; text that is not a message is left alone.
        let odd = msg("val.package.not_sold", &[("name", &"Home, Silver|50 = x")]);
        assert!(Lang::En.render(&odd).contains("Home, Silver|50 = x"), "{}", Lang::En.render(&odd));
        assert_eq!(Lang::Id.render("budi@contoh.id @ok"), "budi@contoh.id @ok");
        assert_eq!(Lang::Id.render("@no.such.key"), "@no.such.key");
    }

    #[test]
    fn parses_and_falls_back() {
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::Id.t("nav.dashboard"), "Dasbor");
        assert_eq!(Lang::En.t("nav.dashboard"), "Dashboard");
        assert_eq!(Lang::En.t("no.such.key"), "no.such.key");
    }
}
