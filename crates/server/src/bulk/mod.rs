//! Bulk actions (issue 22): one step on many tickets, registrations or customers. Each item runs
//! through the same use case as one done by hand (its rules, permission checks and history),
//! in its own transaction, and is reported — done, or refused and why, in the reader's language —
//! and audited. A preview decides each item without changing anything.
//!
//! The features own their actions (`tickets::bulk`, `registrations::bulk`, `customers::bulk`);
//! this module holds what they share: the report, the reasons' texts, the id list and the audit.

pub mod pages;

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, msg};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::bulk::{IdsError, MAX_IDS, Outcome, Refusal, check_ids};
use serde::Serialize;
use utoipa::ToSchema;

/// One item of a bulk request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkItem {
    pub id: i64,
    /// The record as people know it: a ticket or registration number, a customer code (empty
    /// when there is no such record).
    pub label: String,
    /// `done`, `refused`, or `would_do` (a preview).
    #[schema(inline)]
    pub outcome: Outcome,
    /// Why it was refused, in the reader's language.
    pub reason: Option<String>,
}

/// What a bulk request did (or, previewed, would do) to each item, in the order given.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkReport {
    pub action: String,
    pub preview: bool,
    pub done: u64,
    pub refused: u64,
    pub would_do: u64,
    pub items: Vec<BulkItem>,
}

impl BulkReport {
    pub fn new(action: &str, preview: bool) -> Self {
        BulkReport { action: action.to_owned(), preview, done: 0, refused: 0, would_do: 0, items: Vec::new() }
    }

    /// Records one item's outcome.
    pub fn push(&mut self, id: i64, label: impl Into<String>, outcome: Outcome, reason: Option<String>) {
        match outcome {
            Outcome::Done => self.done += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::WouldDo => self.would_do += 1,
        }
        self.items.push(BulkItem { id, label: label.into(), outcome, reason });
    }
}

/// The reader's language (from `?lang=`, the cookie or `Accept-Language`; Indonesian by default).
#[derive(Debug, Clone, Copy)]
pub struct ReaderLang(pub Lang);

impl axum::extract::FromRequestParts<AppState> for ReaderLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ReaderLang(parts.extensions.get::<Lang>().copied().unwrap_or_default()))
    }
}

/// The ids of a request, checked: at least one, at most [`MAX_IDS`] (a 422 naming `ids`).
pub fn ids(given: &[i64]) -> AppResult<Vec<i64>> {
    check_ids(given).map_err(|e| match e {
        IdsError::Empty => AppError::field("ids", msg("val.bulk.ids_empty", &[])),
        IdsError::TooMany { given } => {
            AppError::field("ids", msg("val.bulk.too_many", &[("max", &MAX_IDS), ("given", &given)]))
        }
    })
}

/// A refusal decided before the use case ran, in `lang`.
pub fn refusal_text(lang: Lang, r: Refusal) -> String {
    let status = |prefix: &str, s: &str| lang.t(&format!("{prefix}{s}")).to_owned();
    let text = match r {
        Refusal::Missing => msg("bulk.why.missing", &[]),
        Refusal::TicketNotActive(s) => {
            msg("bulk.why.ticket_not_active", &[("status", &status("ticket.status.", s.as_str()))])
        }
        Refusal::TicketNotResolved(s) => {
            msg("bulk.why.ticket_not_resolved", &[("status", &status("ticket.status.", s.as_str()))])
        }
        Refusal::TicketSamePriority(p) => {
            msg("bulk.why.same_priority", &[("priority", &status("ticket.priority.", p.as_str()))])
        }
        Refusal::TicketSameLead => msg("bulk.why.same_lead", &[]),
        Refusal::TechnicianFull { max } => msg("bulk.why.technician_full", &[("max", &max)]),
        Refusal::RegistrationNotSubmitted(s) => {
            msg("bulk.why.not_submitted", &[("status", &status("reg.status.", s.as_str()))])
        }
        Refusal::CustomerSamePackage => msg("bulk.why.same_package", &[]),
        Refusal::CustomerTerminated => msg("bulk.why.terminated", &[]),
    };
    lang.render(&text)
}

/// The reason a use case refused an item, in `lang`; `Err` for what is not a refusal (a bug or an
/// unavailable database), which ends the request.
pub fn refused_by(lang: Lang, e: AppError) -> AppResult<String> {
    let text = match e {
        AppError::Validation { fields, detail } | AppError::Conflict { fields, detail } => {
            let parts: Vec<String> = fields.values().flatten().map(|m| lang.render(m)).collect();
            if parts.is_empty() { lang.render(&detail) } else { parts.join("; ") }
        }
        AppError::Forbidden(d) | AppError::NotFound(d) | AppError::BadRequest(d) => lang.render(&d),
        other => return Err(other),
    };
    Ok(text)
}

/// Audits one item of a bulk action that ran (a preview is not recorded).
pub async fn audit_item(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    resource: String,
    action: &str,
    item: &BulkItem,
) -> AppResult<()> {
    let result = if item.outcome == Outcome::Done { AuditResult::Success } else { AuditResult::Failure };
    let details = serde_json::json!({"action": action, "label": item.label, "reason": item.reason});
    audit::record(
        state,
        Entry::new(AuditEvent::BulkAction, result).by(auth).meta(meta).resource(resource).details(details),
    )
    .await
}
