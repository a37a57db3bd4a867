//! The audit viewer's filters as typed (query parameters of the API, the page and the CSV
//! export) and their checked form, [`AuditQuery`]. Dates are Asia/Jakarta days; RFC 3339 times
//! are exact.

use crate::error::{AppError, FieldErrors};
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::audit_log::AuditQuery;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

/// Accepted years: those of a four-digit `YYYY-MM-DD` (a range outside the log finds nothing).
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;
const MAX_USER: usize = 100;
const MAX_Q: usize = 200;

/// The filters as sent. Empty values mean "any".
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// An event code, e.g. `login.failure`, `data.exported`, `setting.changed`.
    #[param(schema_with = crate::schemas::or_empty::<AuditEvent>)]
    pub event: Option<String>,
    /// A username (any case) or a user id.
    #[param(max_length = 100)]
    pub user: Option<String>,
    /// `success`, `failure` or `denied`.
    #[param(schema_with = crate::schemas::or_empty::<AuditResult>)]
    pub result: Option<String>,
    /// From this day (`YYYY-MM-DD`, Asia/Jakarta) or time (RFC 3339), inclusive. After `to`, nothing
    /// matches.
    #[param(schema_with = crate::schemas::day_time_or_empty)]
    pub from: Option<String>,
    /// Up to this day (`YYYY-MM-DD`, Asia/Jakarta, the whole day) or time (RFC 3339), inclusive.
    #[param(schema_with = crate::schemas::day_time_or_empty)]
    pub to: Option<String>,
    /// Text in the resource, the details or the IP address (control characters are left out).
    #[param(max_length = 200)]
    pub q: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Which end of a range a typed day stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Start,
    End,
}

/// A day in Asia/Jakarta (its first or last microsecond) or an RFC 3339 time.
fn parse_time(raw: &str, end: End) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let day =
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().filter(|d| raw.len() == 10 && YEARS.contains(&d.year()))?;
    let day = if end == End::End { day.succ_opt()? } else { day };
    let start = day.and_time(NaiveTime::MIN).and_local_timezone(JAKARTA).earliest()?.with_timezone(&Utc);
    Some(if end == End::End { start - Duration::microseconds(1) } else { start })
}

fn codes<T: Copy>(all: &[T], text: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|v| text(*v)).collect::<Vec<_>>().join(", ")
}

impl AuditParams {
    /// The checked filters, or every problem by field (English, for the API's 422).
    pub fn parse(&self) -> Result<AuditQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut bad = |field: &str, message: String| errors.entry(field.to_owned()).or_default().push(message);
        let event = given(&self.event).and_then(|e| match e.parse::<AuditEvent>() {
            Ok(e) => Some(e),
            Err(_) => {
                bad("event", format!("must be one of {}", codes(AuditEvent::ALL, AuditEvent::as_str)));
                None
            }
        });
        let result = given(&self.result).and_then(|r| match r.parse::<AuditResult>() {
            Ok(r) => Some(r),
            Err(_) => {
                bad("result", format!("must be one of {}", codes(AuditResult::ALL, AuditResult::as_str)));
                None
            }
        });
        let mut time = |field: &str, v: &Option<String>, end: End| {
            given(v).and_then(|raw| {
                let t = parse_time(raw, end);
                if t.is_none() {
                    bad(
                        field,
                        "must be a date YYYY-MM-DD (Asia/Jakarta) or an RFC 3339 time such as \
                         2026-05-01T08:00:00+07:00"
                            .to_owned(),
                    );
                }
                t
            })
        };
        let from = time("from", &self.from, End::Start);
        let to = time("to", &self.to, End::End);
        let printable = |v: &str| v.chars().filter(|c| !c.is_control()).collect::<String>();
        let user = given(&self.user).map(printable).filter(|u| !u.trim().is_empty());
        if self.user.as_ref().is_some_and(|u| u.chars().count() > MAX_USER) {
            bad("user", format!("must be a username or user id of at most {MAX_USER} characters"));
        }
        let q = given(&self.q).map(printable).filter(|q| !q.trim().is_empty());
        if self.q.as_ref().is_some_and(|q| q.chars().count() > MAX_Q) {
            bad("q", format!("must be at most {MAX_Q} characters of text"));
        }
        if errors.is_empty() { Ok(AuditQuery { event, result, user, from, to, q }) } else { Err(errors) }
    }

    /// [`parse`](Self::parse) as a 422.
    pub fn checked(&self) -> Result<AuditQuery, AppError> {
        self.parse().map_err(AppError::fields)
    }

    /// The filters as a query string (empty ones left out), for links that keep them.
    pub fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("event", &self.event),
            ("user", &self.user),
            ("result", &self.result),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ]
        .into_iter()
        .filter_map(|(k, v)| given(v).map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The filters in effect, for the `data.exported` record.
    pub fn summary(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (k, v) in [
            ("event", &self.event),
            ("user", &self.user),
            ("result", &self.result),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if let Some(v) = given(v) {
                map.insert(k.into(), v.into());
            }
        }
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> AuditParams {
        let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
        serde_urlencoded::from_str(&q).unwrap_or_default()
    }

    #[test]
    fn days_are_whole_jakarta_days_and_times_are_exact() {
        let q = params(&[("from", "2026-05-01"), ("to", "2026-05-01")]).parse().expect("valid");
        assert_eq!(q.from.map(|t| t.to_rfc3339()), Some("2026-04-30T17:00:00+00:00".into()));
        assert_eq!(q.to.map(|t| t.to_rfc3339()), Some("2026-05-01T16:59:59.999999+00:00".into()));
        let q = params(&[("from", "2026-05-01T08:00:00+07:00")]).parse().expect("valid");
        assert_eq!(q.from.map(|t| t.to_rfc3339()), Some("2026-05-01T01:00:00+00:00".into()));
        let q = params(&[("event", " "), ("user", ""), ("q", "")]).parse().expect("blank is any");
        assert!(q.event.is_none() && q.user.is_none() && q.q.is_none());
    }

    #[test]
    fn every_bad_value_is_named() {
        let e = params(&[
            ("event", "login"),
            ("result", "ok"),
            ("from", "01-05-2026"),
            ("to", "2026-02-30"),
            ("user", &"x".repeat(101)),
            ("q", "a\u{0}b"),
        ])
        .parse()
        .expect_err("all bad");
        // A control character is left out of the search rather than refused.
        assert_eq!(e.keys().map(String::as_str).collect::<Vec<_>>(), ["event", "from", "result", "to", "user"]);
        assert!(e["event"][0].contains("login.failure"), "{e:?}");
        // A reversed range or a day far away is no mistake: it finds nothing.
        assert!(params(&[("from", "2026-05-02"), ("to", "2026-05-01")]).parse().is_ok());
        assert!(params(&[("from", "1999-12-31")]).parse().is_ok());
        assert!(params(&[("q", "a\u{0}b")]).parse().is_ok_and(|q| q.q.as_deref() == Some("ab")));
        assert!(params(&[("to", "99999-01-01T00:00:00Z")]).parse().is_err());
    }

    #[test]
    fn links_keep_only_the_filters_given() {
        let p = params(&[("event", "login.failure"), ("user", ""), ("q", "a&b")]);
        assert_eq!(p.query_string(), "event=login.failure&q=a%26b");
        assert_eq!(p.summary(), serde_json::json!({"event": "login.failure", "q": "a&b"}));
    }
}
