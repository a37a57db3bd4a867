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
    fn parses_and_falls_back() {
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::Id.t("nav.dashboard"), "Dasbor");
        assert_eq!(Lang::En.t("nav.dashboard"), "Dashboard");
        assert_eq!(Lang::En.t("no.such.key"), "no.such.key");
    }
}
