//! `GET /api/v1/audit-logs` (the records, filtered and paged, newest first) and
//! `GET /api/v1/audit-logs/export.csv` (the same filters as a CSV file, itself recorded as
//! `data.exported`). Admins only.

use crate::audit::filter::AuditParams;
use crate::audit::{Entry, RequestMeta, record};
use crate::auth::extract::Staff;
use crate::auth::extract::perm;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiQuery;
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::audit::AuditRecord;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::audit_log;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(export))
}

/// Most rows in one CSV export (the newest ones).
pub const MAX_EXPORT_ROWS: u64 = 50_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogOut {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    /// The acting user, or the username an anonymous caller gave.
    pub username: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// e.g. `login.failure`, `data.exported`.
    pub event: String,
    /// What was acted on, e.g. `customer:5`, `setting:sla_targets`.
    pub resource: Option<String>,
    /// `success`, `failure` or `denied`.
    pub result: String,
    /// Event-specific facts (never secrets).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// SHA-256 of the record's fields and `prev_hash`.
    pub hash: String,
    pub prev_hash: String,
}

impl From<AuditRecord> for AuditLogOut {
    fn from(r: AuditRecord) -> Self {
        AuditLogOut {
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::String(r.details)),
            id: r.id,
            at: r.at,
            user_id: r.user_id,
            username: r.username,
            ip: r.ip,
            user_agent: r.user_agent,
            event: r.event,
            resource: r.resource,
            result: r.result,
            hash: r.hash,
            prev_hash: r.prev_hash,
        }
    }
}

/// The security audit log, newest first (admins).
#[utoipa::path(get, path = "/api/v1/audit-logs", tag = "audit", params(AuditParams, PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<AuditLogOut>),
        (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    _s: Staff<perm::AuditView>,
    ApiQuery(filters): ApiQuery<AuditParams>,
    paging: Paging,
) -> AppResult<Json<Page<AuditLogOut>>> {
    let query = filters.checked()?;
    let listed = audit_log::list(&state.reads, &query, paging.page, paging.per_page).await?;
    Ok(Json(Page::capped(
        listed.items.into_iter().map(AuditLogOut::from).collect(),
        listed.total,
        listed.exact,
        paging,
    )))
}

/// A cell Excel and LibreOffice will not run as a formula.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

/// The records as CSV: a header row, then one row per record.
pub fn to_csv(records: &[AuditRecord]) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(anyhow::Error::new(e).context("writing the audit CSV"));
    w.write_record([
        "id",
        "at_utc",
        "at_wib",
        "user_id",
        "username",
        "ip",
        "user_agent",
        "event",
        "resource",
        "result",
        "details",
        "hash",
    ])
    .map_err(fail)?;
    for r in records {
        let opt = |v: &Option<String>| cell(v.as_deref().unwrap_or_default());
        w.write_record([
            r.id.to_string(),
            r.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            r.at.with_timezone(&JAKARTA).format("%Y-%m-%d %H:%M:%S").to_string(),
            r.user_id.map(|u| u.to_string()).unwrap_or_default(),
            opt(&r.username),
            opt(&r.ip),
            opt(&r.user_agent),
            r.event.clone(),
            opt(&r.resource),
            r.result.clone(),
            cell(&r.details),
            r.hash.clone(),
        ])
        .map_err(fail)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("writing the audit CSV: {e}")))
}

/// The filtered records as CSV (UTF-8, comma-separated, a header row; at most 50,000, the
/// newest). The export is itself recorded (`data.exported`).
#[utoipa::path(get, path = "/api/v1/audit-logs/export.csv", tag = "audit", params(AuditParams),
    security(("bearer" = [])),
    responses((status = 200, description = "The records as CSV", body = String, content_type = "text/csv"),
        (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json")))]
async fn export(
    State(state): State<AppState>,
    s: Staff<perm::AuditView>,
    meta: RequestMeta,
    ApiQuery(filters): ApiQuery<AuditParams>,
) -> AppResult<Response> {
    let query = filters.checked()?;
    let records = audit_log::matching(&state.reads, &query, MAX_EXPORT_ROWS).await?;
    let body = to_csv(&records)?;
    let details = serde_json::json!({ "format": "csv", "filters": filters.summary() });
    record(&state, Entry::exported(s.auth(), &meta, "audit_log", records.len(), details)).await?;
    let name =
        format!("attachment; filename=\"audit-log-{}.csv\"", state.now().with_timezone(&JAKARTA).format("%Y%m%d-%H%M"));
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_header_and_defuses_formulas() {
        let r = AuditRecord {
            id: 7,
            at: DateTime::from_timestamp(1_780_000_000, 5_000).unwrap_or_default(),
            user_id: None,
            username: Some("=HYPERLINK(\"x\")".into()),
            ip: Some("103.28.54.10".into()),
            user_agent: None,
            event: "login.failure".into(),
            resource: None,
            result: "failure".into(),
            details: "{\"reason\":\"wrong password\"}".into(),
            prev_hash: String::new(),
            hash: "ab".into(),
        };
        let text = String::from_utf8(to_csv(&[r]).expect("csv")).expect("utf-8");
        let mut lines = text.lines();
        assert!(lines.next().is_some_and(|h| h.starts_with("id,at_utc,at_wib,user_id,username")));
        let row = lines.next().expect("row");
        assert!(row.starts_with("7,2026-05-28T20:26:40.000005Z,2026-05-29 03:26:40,,\"'=HYPERLINK"), "{row}");
        assert!(row.contains("\"{\"\"reason\"\":\"\"wrong password\"\"}\""), "{row}");
    }
}
