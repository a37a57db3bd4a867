//! The automatic suspension policy (issue 21): whether it runs, the days it never acts on, and the
//! circuit breaker's share. The grace period is `AGLIS_SUSPEND_GRACE_DAYS` (billing).

use super::{ConfigError, err, parse_num};
use aglis_core::enforcement::{Calendar, parse_holidays};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcementConfig {
    /// The policy suspends overdue customers by itself (`false`: staff use the suspension list).
    pub auto_suspend: bool,
    pub calendar: Calendar,
    /// A run that would suspend more than this percentage of a device's customers is stopped.
    pub max_share_pct: u32,
    /// Only devices on this machine (127.0.0.0/8, ::1) are contacted; `None`: so in the demo only.
    pub loopback_only: Option<bool>,
}

impl EnforcementConfig {
    /// Whether devices elsewhere than on this machine are refused (the demo's default: its devices
    /// are local fakes, and a device someone adds there must not send packets into a network).
    pub fn loopback_only(&self, demo: bool) -> bool {
        self.loopback_only.unwrap_or(demo)
    }
}

fn flag(get: &dyn Fn(&str) -> Option<String>, var: &str, default: bool) -> Result<bool, ConfigError> {
    match get(var).as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(err(var, format!("`{other}` is not true or false"))),
    }
}

pub fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<EnforcementConfig, ConfigError> {
    let holidays = parse_holidays(&get("AGLIS_SUSPEND_HOLIDAYS").unwrap_or_default())
        .map_err(|e| err("AGLIS_SUSPEND_HOLIDAYS", e))?;
    Ok(EnforcementConfig {
        auto_suspend: flag(get, "AGLIS_SUSPEND_AUTO", true)?,
        calendar: Calendar { skip_weekends: flag(get, "AGLIS_SUSPEND_SKIP_WEEKENDS", false)?, holidays },
        max_share_pct: parse_num("AGLIS_SUSPEND_MAX_SHARE", get("AGLIS_SUSPEND_MAX_SHARE"), 10, 1..=100)?,
        loopback_only: match get("AGLIS_DEVICES_LOOPBACK_ONLY") {
            Some(v) if !v.trim().is_empty() => Some(flag(get, "AGLIS_DEVICES_LOOPBACK_ONLY", false)?),
            _ => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(pairs: &[(&str, &str)]) -> Result<EnforcementConfig, ConfigError> {
        let map: std::collections::BTreeMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse(&|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_suspend_every_day_with_a_ten_percent_breaker() {
        let c = parse_with(&[]).expect("defaults");
        assert!(c.auto_suspend && !c.calendar.skip_weekends && c.calendar.holidays.is_empty());
        assert_eq!(c.max_share_pct, 10);
        assert!(c.loopback_only(true) && !c.loopback_only(false), "loopback only in the demo");
        let c = parse_with(&[("AGLIS_DEVICES_LOOPBACK_ONLY", "true")]).expect("valid");
        assert!(c.loopback_only(false));
    }

    #[test]
    fn values_are_read_and_nonsense_is_named() {
        let c = parse_with(&[
            ("AGLIS_SUSPEND_AUTO", "no"),
            ("AGLIS_SUSPEND_SKIP_WEEKENDS", "yes"),
            ("AGLIS_SUSPEND_HOLIDAYS", "2026-12-25,2027-01-01"),
            ("AGLIS_SUSPEND_MAX_SHARE", "25"),
        ])
        .expect("valid");
        assert!(!c.auto_suspend && c.calendar.skip_weekends);
        assert_eq!(c.calendar.holidays.len(), 2);
        assert_eq!(c.max_share_pct, 25);
        for (var, value) in [
            ("AGLIS_SUSPEND_AUTO", "maybe"),
            ("AGLIS_SUSPEND_HOLIDAYS", "25-12-2026"),
            ("AGLIS_SUSPEND_MAX_SHARE", "0"),
        ] {
            let e = parse_with(&[(var, value)]).expect_err(var);
            assert!(e.to_string().contains(var), "{e}");
        }
    }
}
