//! Monitoring settings: the token of `/metrics` and the detailed health view, whether a degraded
//! instance still answers 200, and Sentry.

use crate::config::{ConfigError, err};
use secrecy::SecretString;
use std::str::FromStr;

#[derive(Clone, Default)]
pub struct MonitoringConfig {
    /// `AGLIS_MONITORING_TOKEN`: `Authorization: Bearer …` for `/metrics` and the detailed
    /// `/api/health`. Unset: `/metrics` is open and the detailed health needs a staff login.
    pub token: Option<SecretString>,
    /// `AGLIS_HEALTH_DEGRADED_OK`: a degraded check (WhatsApp down, disk nearly full, a late
    /// backup) still answers 200, so the load balancer keeps the instance.
    pub degraded_ok: bool,
    /// `AGLIS_SENTRY_DSN`: errors also go to Sentry.
    pub sentry_dsn: Option<SecretString>,
    pub sentry_environment: String,
}

impl std::fmt::Debug for MonitoringConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitoringConfig")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("degraded_ok", &self.degraded_ok)
            .field("sentry_dsn", &self.sentry_dsn.as_ref().map(|_| "<set>"))
            .field("sentry_environment", &self.sentry_environment)
            .finish()
    }
}

pub fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<MonitoringConfig, ConfigError> {
    let token = match get("AGLIS_MONITORING_TOKEN").filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() >= 16 => Some(SecretString::from(t)),
        Some(_) => return Err(err("AGLIS_MONITORING_TOKEN", "must be at least 16 characters")),
        None => None,
    };
    let degraded_ok = match get("AGLIS_HEALTH_DEGRADED_OK").as_deref() {
        None | Some("true" | "1" | "yes") => true,
        Some("false" | "0" | "no") => false,
        Some(other) => return Err(err("AGLIS_HEALTH_DEGRADED_OK", format!("`{other}` is not `true` or `false`"))),
    };
    let sentry_dsn = match get("AGLIS_SENTRY_DSN").filter(|d| !d.is_empty()) {
        Some(dsn) => {
            sentry::types::Dsn::from_str(&dsn).map_err(|e| {
                err("AGLIS_SENTRY_DSN", format!("not a Sentry DSN ({e}); expected https://KEY@HOST/PROJECT_ID"))
            })?;
            Some(SecretString::from(dsn))
        }
        None => None,
    };
    let sentry_environment =
        get("AGLIS_SENTRY_ENVIRONMENT").filter(|e| !e.is_empty()).unwrap_or_else(|| "production".into());
    if sentry_environment.len() > 64 || sentry_environment.contains(['/', '\n', '\r']) {
        return Err(err("AGLIS_SENTRY_ENVIRONMENT", "at most 64 characters, no `/` or line breaks"));
    }
    Ok(MonitoringConfig { token, degraded_ok, sentry_dsn, sentry_environment })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<MonitoringConfig, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse(&|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_and_errors_name_the_variable() {
        let c = with(&[]).expect("defaults");
        assert!(c.degraded_ok && c.token.is_none() && c.sentry_dsn.is_none());
        assert_eq!(c.sentry_environment, "production");
        assert_eq!(
            with(&[("AGLIS_MONITORING_TOKEN", "short")]).err().map(|e| e.var),
            Some("AGLIS_MONITORING_TOKEN".into())
        );
        assert_eq!(with(&[("AGLIS_SENTRY_DSN", "not a dsn")]).err().map(|e| e.var), Some("AGLIS_SENTRY_DSN".into()));
        assert_eq!(
            with(&[("AGLIS_HEALTH_DEGRADED_OK", "maybe")]).err().map(|e| e.var),
            Some("AGLIS_HEALTH_DEGRADED_OK".into())
        );
        let ok =
            with(&[("AGLIS_SENTRY_DSN", "http://abc123@127.0.0.1:9000/42"), ("AGLIS_HEALTH_DEGRADED_OK", "false")])
                .expect("valid");
        assert!(ok.sentry_dsn.is_some() && !ok.degraded_ok);
    }
}
