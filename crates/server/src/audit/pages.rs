//! `/admin/audit`: the audit log for admins — filters (time range, user, event, result, text),
//! newest first with a pager, times in WIB, the CSV export of the same filters and, on demand,
//! the chain verification.

use crate::audit::filter::AuditParams;
use crate::audit::verify_chain;
use crate::auth::extract::Staff;
use crate::auth::extract::perm;
use crate::error::{AppResult, FieldErrors};
use crate::extract::ApiQuery;
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditRecord, AuditResult};
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::audit_log::{self, Verification};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(page))
}

/// A record as the table shows it.
struct Row {
    r: AuditRecord,
    /// `dd-mm-yyyy hh:mm:ss WIB`.
    time: String,
    /// The details as `key: value` lines (a JSON object), else the text itself.
    details: Vec<(String, String)>,
}

/// The verification's outcome as the status line shows it.
struct Check {
    ok: bool,
    checked: u64,
    /// The first bad record (or the missing newest one).
    id: i64,
    time: String,
    event: String,
    reason: &'static str,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<Row>,
    total: u64,
    /// `false`: `total` is a cap ("10000+").
    total_exact: bool,
    page: u64,
    pages: u64,
    /// The filters as typed.
    f: AuditParams,
    /// The filters as a query string (pager, export and verify links).
    base_query: String,
    /// Locale keys of the refused filters.
    errors: Vec<&'static str>,
    check: Option<Check>,
    filtered: bool,
}

impl ListPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or_default()
    }

    fn events(&self) -> &'static [AuditEvent] {
        AuditEvent::ALL
    }

    fn results(&self) -> &'static [AuditResult] {
        AuditResult::ALL
    }

    fn event_label(&self, code: &str) -> &'static str {
        self.shell.t_prefixed("audit.event.", code)
    }

    fn result_label(&self, code: &str) -> &'static str {
        self.shell.t_prefixed("audit.result.", code)
    }
}

fn wib(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&JAKARTA).format("%d-%m-%Y %H:%M:%S WIB").to_string()
}

/// `{"a": 1, "b": "x"}` → `[("a", "1"), ("b", "x")]`; anything else → its text.
fn readable(details: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(details) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
        _ if details.is_empty() => Vec::new(),
        _ => vec![(String::new(), details.to_owned())],
    }
}

fn row(r: AuditRecord) -> Row {
    Row { time: wib(&r.at), details: readable(&r.details), r }
}

async fn check(state: &AppState) -> AppResult<Check> {
    Ok(match verify_chain(state).await? {
        Verification::Intact { checked, .. } => {
            Check { ok: true, checked, id: 0, time: String::new(), event: String::new(), reason: "" }
        }
        Verification::Broken { at, record, checked } => Check {
            ok: false,
            checked,
            id: at.id(),
            time: record.as_ref().map(|r| wib(&r.at)).unwrap_or_default(),
            event: record.map(|r| r.event).unwrap_or_default(),
            reason: at.key(),
        },
    })
}

#[derive(Debug, Deserialize, Default)]
struct PageExtra {
    page: Option<u64>,
    /// Any value: run the chain verification.
    verify: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::AuditView>,
    ApiQuery(f): ApiQuery<AuditParams>,
    ApiQuery(extra): ApiQuery<PageExtra>,
) -> AppResult<Response> {
    let paging = Paging::parse(extra.page, None)?;
    let check = if extra.verify.is_some() { Some(check(&state).await?) } else { None };
    let (query, errors) = match f.parse() {
        Ok(q) => (Some(q), FieldErrors::new()),
        Err(errors) => (None, errors),
    };
    let listed = match &query {
        Some(q) => audit_log::list(&state.reads, q, paging.page, paging.per_page).await?,
        None => aglis_db::repo::word_search::Listed { items: Vec::new(), total: 0, exact: true },
    };
    let (records, total, total_exact) = (listed.items, listed.total, listed.exact);
    let refused = !errors.is_empty();
    let page = ListPage {
        rows: records.into_iter().map(row).collect(),
        total,
        total_exact,
        page: paging.page,
        pages: paging.pages(total),
        base_query: f.query_string(),
        filtered: !f.query_string().is_empty(),
        errors: errors.keys().map(|field| shell.t_prefixed("audit.err.", field)).collect(),
        f,
        check,
        shell,
    };
    let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&page)?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_lines() {
        assert_eq!(
            readable(r#"{"rows":3,"what":"audit_log","filters":{"event":"login.failure"}}"#),
            [
                ("filters".to_owned(), r#"{"event":"login.failure"}"#.to_owned()),
                ("rows".to_owned(), "3".to_owned()),
                ("what".to_owned(), "audit_log".to_owned())
            ]
        );
        assert!(readable("{}").is_empty());
        assert_eq!(readable("not json"), [(String::new(), "not json".to_owned())]);
    }
}
