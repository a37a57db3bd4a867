//! The security audit log (issue 7): who did what, from where, with what result. Every record is
//! appended to a hash chain, so an edited or deleted row is found by `aglis audit verify`.
//!
//! Callers build an [`Entry`] and [`record`] it; request handlers get the address and browser
//! from [`RequestMeta`]. Admins read the log at `/admin/audit` and `GET /api/v1/audit-logs`; a
//! nightly job ([`purge`]) removes records past `AGLIS_AUDIT_RETENTION_DAYS` and keeps the chain
//! verifiable from an anchor.

pub mod api;
#[cfg(feature = "demo")]
mod demo;
pub mod filter;
pub mod pages;
pub mod purge;
pub mod refusals;
pub mod sites;

#[cfg(feature = "demo")]
pub use demo::seed_demo;

use crate::auth::session::Authenticated;
use crate::error::AppResult;
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_db::repo::audit_log::{self, NewRecord};
use axum::Router;
use utoipa_axum::router::OpenApiRouter;

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    api::api_router()
}

/// Page routes.
pub fn router() -> Router<AppState> {
    pages::router()
}

/// One thing to record. `details` must never hold a secret (password, token, TOTP seed, key);
/// values under secret-looking keys are replaced by `[redacted]` anyway.
#[derive(Debug, Clone)]
pub struct Entry {
    pub event: AuditEvent,
    pub result: AuditResult,
    /// The acting user (id, username); `None` for anonymous callers and the system.
    pub actor: Option<(i64, String)>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// What was acted on, e.g. `user:12`, `customer:5`, `setting:sla_targets`.
    pub resource: Option<String>,
    pub details: serde_json::Value,
    /// The username an anonymous caller gave (a failed login for an unknown or wrong account);
    /// stored as the record's username when there is no `actor`.
    pub attempted_username: Option<String>,
}

impl Entry {
    pub fn new(event: AuditEvent, result: AuditResult) -> Self {
        Self {
            event,
            result,
            actor: None,
            ip: None,
            user_agent: None,
            resource: None,
            details: serde_json::json!({}),
            attempted_username: None,
        }
    }
    pub fn actor(mut self, id: i64, username: &str) -> Self {
        self.actor = Some((id, username.to_owned()));
        self
    }
    /// The signed-in user as the actor.
    pub fn by(self, auth: &Authenticated) -> Self {
        self.actor(auth.user.id, &auth.user.username)
    }
    pub fn meta(mut self, meta: &RequestMeta) -> Self {
        self.ip = Some(meta.ip.clone());
        self.user_agent = meta.user_agent.clone();
        self
    }
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
    /// The username an anonymous caller typed (see [`Entry::attempted_username`]).
    pub fn attempted(mut self, username: &str) -> Self {
        self.attempted_username = Some(username.to_owned());
        self
    }

    /// `setting.changed` by `auth` on `setting:<what>`.
    pub fn setting_changed(auth: &Authenticated, meta: &RequestMeta, what: &str, details: serde_json::Value) -> Self {
        Entry::new(AuditEvent::SettingChanged, AuditResult::Success)
            .by(auth)
            .meta(meta)
            .resource(format!("setting:{what}"))
            .details(details)
    }

    /// `sensitive.viewed` by `auth` of `resource` (`customer:5`).
    pub fn viewed(auth: &Authenticated, meta: &RequestMeta, resource: String) -> Self {
        Entry::new(AuditEvent::SensitiveViewed, AuditResult::Success).by(auth).meta(meta).resource(resource)
    }

    /// `data.exported` by `auth`: `rows` rows of `what`.
    pub fn exported(
        auth: &Authenticated,
        meta: &RequestMeta,
        what: &str,
        rows: usize,
        details: serde_json::Value,
    ) -> Self {
        let mut details = details;
        if let Some(map) = details.as_object_mut() {
            map.insert("rows".into(), rows.into());
        }
        Entry::new(AuditEvent::DataExported, AuditResult::Success).by(auth).meta(meta).resource(what).details(details)
    }
}

/// Where a request came from: the client address (see [`crate::extract::ClientIp`]) and its
/// `User-Agent`.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: Option<String>,
}

impl axum::extract::FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let crate::extract::ClientIp(ip) = crate::extract::ClientIp::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect());
        Ok(Self { ip, user_agent })
    }
}

/// Appends `entry` to the chain, at the state's clock, in its own transaction. Call it after
/// committing your own: on SQLite the writer is one connection, and a record made inside an
/// open transaction would wait for that same connection.
pub async fn record(state: &AppState, entry: Entry) -> AppResult<()> {
    let (user_id, username) = match entry.actor {
        Some((id, name)) => (Some(id), Some(name)),
        None => (None, entry.attempted_username),
    };
    let new = NewRecord {
        event: entry.event,
        result: entry.result,
        user_id,
        username,
        ip: entry.ip,
        user_agent: entry.user_agent,
        resource: entry.resource,
        details: entry.details,
    };
    let r = audit_log::append(&state.db, new, state.now()).await?;
    tracing::info!(audit_id = r.id, event = %r.event, result = %r.result, user = ?r.username, "audit record");
    Ok(())
}

/// Verifies the whole chain (from the purge anchor to the head) on the read pool.
pub async fn verify_chain(state: &AppState) -> AppResult<audit_log::Verification> {
    Ok(audit_log::verify(&state.reads).await?)
}

/// `aglis audit verify`: the line to print for an intact chain, or an error naming the first bad
/// record (id, time, event) and what is wrong with it.
pub async fn verify_report(db: &aglis_db::DatabaseConnection) -> anyhow::Result<String> {
    match audit_log::verify(db).await? {
        audit_log::Verification::Intact { checked, anchor } if anchor.id > 0 => {
            Ok(format!("audit chain intact: {checked} records checked (from the purge anchor, record {})", anchor.id))
        }
        audit_log::Verification::Intact { checked, .. } => Ok(format!("audit chain intact: {checked} records checked")),
        audit_log::Verification::Broken { at, record, checked } => {
            let what = match record {
                Some(r) => format!(
                    "record {} ({}, {})",
                    r.id,
                    r.at.with_timezone(&aglis_core::schedule::JAKARTA).format("%Y-%m-%d %H:%M:%S WIB"),
                    r.event
                ),
                None => format!("record {} (missing)", at.id()),
            };
            anyhow::bail!("audit chain BROKEN at {what}: {}; {checked} records before it verified", at.reason())
        }
    }
}
