//! The security audit log (issue 7): who did what, from where, with what result. Every record is
//! appended to a hash chain, so an edited or deleted row is found by `aglis audit verify`.
//!
//! Callers build an [`Entry`] and [`record`] it; request handlers get the address and browser
//! from [`RequestMeta`].

use crate::app::AppState;
use crate::error::AppResult;
use aglis_core::audit::{AuditEvent, AuditResult};

/// One thing to record. `details` must never hold a secret (password, token, TOTP seed, key).
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
}

impl Entry {
    pub fn new(event: AuditEvent, result: AuditResult) -> Self {
        Self { event, result, actor: None, ip: None, user_agent: None, resource: None, details: serde_json::json!({}) }
    }
    pub fn actor(mut self, id: i64, username: &str) -> Self {
        self.actor = Some((id, username.to_owned()));
        self
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

/// Appends `entry` to the chain.
pub async fn record(state: &AppState, entry: Entry) -> AppResult<()> {
    // Scaffold: the audit-log work replaces this with the chained insert.
    let _ = (state, entry);
    Ok(())
}
