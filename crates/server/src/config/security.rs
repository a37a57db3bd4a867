//! Security settings: two-factor enforcement, lockout steps, session limits, login throttling,
//! audit retention.

use super::{ConfigError, err, parse_num};
use aglis_core::lockout::Policy;

/// Validated security settings (`Config::security`).
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// Days the audit log keeps records (`AGLIS_AUDIT_RETENTION_DAYS`).
    pub audit_retention_days: u32,
    /// Admins and supervisors must sign in with a second factor (`AGLIS_REQUIRE_2FA`).
    pub require_2fa: bool,
    /// Whether `AGLIS_REQUIRE_2FA` was given: `aglis demo` turns enforcement off unless it was.
    pub require_2fa_set: bool,
    /// The progressive lockout (`AGLIS_LOCKOUT_STEPS`).
    pub lockout: Policy,
    /// A browser session ends after this long without a request (`AGLIS_SESSION_IDLE_MINUTES`).
    pub session_idle_minutes: u32,
    /// A browser session ends this long after sign-in however active (`AGLIS_SESSION_MAX_HOURS`).
    pub session_max_hours: u32,
    /// Sign-in attempts (password or code) per client address per window
    /// (`AGLIS_LOGIN_ATTEMPTS_PER_IP`, 0 = no limit).
    pub login_attempts_per_ip: u32,
    /// That window, in minutes (`AGLIS_LOGIN_WINDOW_MINUTES`).
    pub login_window_minutes: u32,
}

impl SecurityConfig {
    /// Whether admins and supervisors must use a second factor: `AGLIS_REQUIRE_2FA`, except that
    /// the demo turns it off unless the variable was set explicitly.
    pub fn requires_2fa(&self, demo: bool) -> bool {
        if demo && !self.require_2fa_set { false } else { self.require_2fa }
    }
}

/// Reads the security variables through `get` (environment, then file).
pub fn parse(get: &impl Fn(&str) -> Option<String>) -> Result<SecurityConfig, ConfigError> {
    let audit_retention_days = match get("AGLIS_AUDIT_RETENTION_DAYS") {
        None => 90,
        Some(v) => v.parse::<u32>().ok().filter(|d| (1..=3650).contains(d)).ok_or_else(|| {
            err("AGLIS_AUDIT_RETENTION_DAYS", format!("`{v}` is not a number of days from 1 to 3650"))
        })?,
    };
    let raw_2fa = get("AGLIS_REQUIRE_2FA");
    let require_2fa = match raw_2fa.as_deref() {
        None | Some("true" | "1" | "yes") => true,
        Some("false" | "0" | "no") => false,
        Some(other) => return Err(err("AGLIS_REQUIRE_2FA", format!("`{other}` is not `true` or `false`"))),
    };
    let lockout = match get("AGLIS_LOCKOUT_STEPS") {
        None => Policy::default(),
        Some(v) => Policy::parse(&v).map_err(|e| err("AGLIS_LOCKOUT_STEPS", e.to_string()))?,
    };
    let session_idle_minutes =
        parse_num("AGLIS_SESSION_IDLE_MINUTES", get("AGLIS_SESSION_IDLE_MINUTES"), 60, 5..=1440)?;
    let session_max_hours = parse_num("AGLIS_SESSION_MAX_HOURS", get("AGLIS_SESSION_MAX_HOURS"), 12, 1..=720)?;
    if u64::from(session_idle_minutes) > u64::from(session_max_hours) * 60 {
        return Err(err(
            "AGLIS_SESSION_IDLE_MINUTES",
            format!("{session_idle_minutes} minutes is longer than AGLIS_SESSION_MAX_HOURS ({session_max_hours} h)"),
        ));
    }
    let login_attempts_per_ip =
        parse_num("AGLIS_LOGIN_ATTEMPTS_PER_IP", get("AGLIS_LOGIN_ATTEMPTS_PER_IP"), 20, 0..=100_000)?;
    let login_window_minutes =
        parse_num("AGLIS_LOGIN_WINDOW_MINUTES", get("AGLIS_LOGIN_WINDOW_MINUTES"), 10, 1..=1440)?;
    Ok(SecurityConfig {
        audit_retention_days,
        require_2fa,
        require_2fa_set: raw_2fa.is_some(),
        lockout,
        session_idle_minutes,
        session_max_hours,
        login_attempts_per_ip,
        login_window_minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse_with(pairs: &[(&str, &str)]) -> Result<SecurityConfig, ConfigError> {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse(&|k: &str| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = parse_with(&[]).expect("defaults");
        assert!(c.require_2fa && !c.require_2fa_set);
        assert_eq!(c.lockout, Policy::default());
        assert_eq!((c.session_idle_minutes, c.session_max_hours), (60, 12));
        assert_eq!((c.login_attempts_per_ip, c.login_window_minutes), (20, 10));
    }

    #[test]
    fn the_demo_turns_enforcement_off_unless_it_was_asked_for() {
        let default = parse_with(&[]).expect("ok");
        assert!(default.requires_2fa(false));
        assert!(!default.requires_2fa(true));
        let explicit = parse_with(&[("AGLIS_REQUIRE_2FA", "true")]).expect("ok");
        assert!(explicit.requires_2fa(true));
        let off = parse_with(&[("AGLIS_REQUIRE_2FA", "false")]).expect("ok");
        assert!(!off.requires_2fa(false) && !off.requires_2fa(true));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("AGLIS_REQUIRE_2FA", "sometimes"),
            ("AGLIS_LOCKOUT_STEPS", "5:5,3:1"),
            ("AGLIS_SESSION_IDLE_MINUTES", "1"),
            ("AGLIS_SESSION_MAX_HOURS", "0"),
            ("AGLIS_LOGIN_ATTEMPTS_PER_IP", "many"),
            ("AGLIS_LOGIN_WINDOW_MINUTES", "0"),
        ] {
            assert_eq!(parse_with(&[(var, value)]).expect_err(value).var, var);
        }
        let e =
            parse_with(&[("AGLIS_SESSION_IDLE_MINUTES", "600"), ("AGLIS_SESSION_MAX_HOURS", "2")]).expect_err("idle");
        assert_eq!(e.var, "AGLIS_SESSION_IDLE_MINUTES");
    }
}
