//! Payment gateway settings: Midtrans (Snap for the pay page, the Core API for status) and Xendit
//! (invoices). A gateway is on when its key is set; the first configured one in
//! `AGLIS_PAYMENT_GATEWAYS` opens the pay page. Keys and tokens are secrets, redacted in `Debug`.

use super::{ConfigError, err, parse_num, parse_url};
use aglis_integrations::payments::{Gateway, midtrans, xendit};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::time::Duration;

#[derive(Clone)]
pub struct MidtransConfig {
    pub server_key: SecretString,
    /// Public (the Snap page may show it); kept for a future Snap.js pop-up.
    pub client_key: Option<String>,
    pub snap_url: String,
    pub api_url: String,
}

#[derive(Clone)]
pub struct XenditConfig {
    pub secret_key: SecretString,
    /// The `x-callback-token` Xendit sends; unset, its callback answers 404.
    pub callback_token: Option<SecretString>,
    pub url: String,
}

impl fmt::Debug for MidtransConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MidtransConfig")
            .field("server_key", &"[redacted]")
            .field("client_key", &self.client_key)
            .field("snap_url", &self.snap_url)
            .field("api_url", &self.api_url)
            .finish()
    }
}

impl fmt::Debug for XenditConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XenditConfig")
            .field("secret_key", &"[redacted]")
            .field("callback_token", &self.callback_token.as_ref().map(|_| "[redacted]"))
            .field("url", &self.url)
            .finish()
    }
}

#[derive(Debug, Clone, Default)]
pub struct PaymentsConfig {
    pub midtrans: Option<MidtransConfig>,
    pub xendit: Option<XenditConfig>,
    /// Gateway names in the order the pay page prefers them.
    pub order: Vec<String>,
    /// A pending checkout without a callback is asked about after this many minutes.
    pub poll_after_mins: u32,
    /// Days an overdue invoice waits before its customer goes on the suspension list.
    pub grace_days: u32,
}

impl PaymentsConfig {
    /// Whether a preferred gateway is configured (what [`Self::gateways`] would return, without
    /// building its HTTP clients).
    pub fn any_gateway(&self) -> bool {
        self.order.iter().any(|name| match name.as_str() {
            "midtrans" => self.midtrans.is_some(),
            "xendit" => self.xendit.is_some(),
            _ => false,
        })
    }

    /// The configured gateways as clients, in the preferred order.
    pub fn gateways(&self, timeout: Duration) -> Result<Vec<Gateway>, String> {
        let mut out = Vec::new();
        for name in &self.order {
            match (name.as_str(), &self.midtrans, &self.xendit) {
                ("midtrans", Some(m), _) => out.push(Gateway::Midtrans(
                    midtrans::Midtrans::new(&m.snap_url, &m.api_url, m.server_key.expose_secret(), timeout)
                        .map_err(|e| e.to_string())?,
                )),
                ("xendit", _, Some(x)) => out.push(Gateway::Xendit(
                    xendit::Xendit::new(&x.url, x.secret_key.expose_secret(), timeout).map_err(|e| e.to_string())?,
                )),
                _ => {}
            }
        }
        Ok(out)
    }
}

fn secret(get: &dyn Fn(&str) -> Option<String>, var: &str) -> Option<SecretString> {
    get(var).filter(|s| !s.trim().is_empty()).map(SecretString::from)
}

fn url_or(get: &dyn Fn(&str) -> Option<String>, var: &str, default: &str) -> Result<String, ConfigError> {
    match get(var) {
        Some(url) => parse_url(var, &url),
        None => Ok(default.to_owned()),
    }
}

/// Reads the payment settings through `get` (environment, then file).
pub fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<PaymentsConfig, ConfigError> {
    let midtrans = match secret(get, "AGLIS_MIDTRANS_SERVER_KEY") {
        None => None,
        Some(server_key) => Some(MidtransConfig {
            server_key,
            client_key: get("AGLIS_MIDTRANS_CLIENT_KEY").filter(|k| !k.is_empty()),
            snap_url: url_or(get, "AGLIS_MIDTRANS_SNAP_URL", midtrans::DEFAULT_SNAP_URL)?,
            api_url: url_or(get, "AGLIS_MIDTRANS_API_URL", midtrans::DEFAULT_API_URL)?,
        }),
    };
    let callback_token = secret(get, "AGLIS_XENDIT_CALLBACK_TOKEN");
    if callback_token.as_ref().is_some_and(|t| t.expose_secret().chars().count() < 16) {
        return Err(err(
            "AGLIS_XENDIT_CALLBACK_TOKEN",
            "must be at least 16 characters (it is the callback's only protection); copy it from Xendit's dashboard",
        ));
    }
    let xendit = match secret(get, "AGLIS_XENDIT_SECRET_KEY") {
        None => None,
        Some(secret_key) => Some(XenditConfig {
            secret_key,
            callback_token,
            url: url_or(get, "AGLIS_XENDIT_URL", xendit::DEFAULT_URL)?,
        }),
    };
    let mut order = Vec::new();
    for name in get("AGLIS_PAYMENT_GATEWAYS").unwrap_or_else(|| "midtrans,xendit".into()).split(',').map(str::trim) {
        match name {
            "" => {}
            "midtrans" | "xendit" if !order.iter().any(|o| o == name) => order.push(name.to_owned()),
            "midtrans" | "xendit" => {}
            other => {
                return Err(err("AGLIS_PAYMENT_GATEWAYS", format!("`{other}` is not a gateway (midtrans, xendit)")));
            }
        }
    }
    let poll_after_mins =
        parse_num("AGLIS_PAYMENT_POLL_AFTER_MINS", get("AGLIS_PAYMENT_POLL_AFTER_MINS"), 15, 1..=1440)?;
    let grace_days = parse_num("AGLIS_SUSPEND_GRACE_DAYS", get("AGLIS_SUSPEND_GRACE_DAYS"), 7, 0..=90)?;
    Ok(PaymentsConfig { midtrans, xendit, order, poll_after_mins, grace_days })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse_with(pairs: &[(&str, &str)]) -> Result<PaymentsConfig, ConfigError> {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse(&|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_means_no_gateway() {
        let p = parse_with(&[]).expect("defaults");
        assert!(p.midtrans.is_none() && p.xendit.is_none());
        assert_eq!((p.poll_after_mins, p.grace_days), (15, 7));
        assert!(p.gateways(Duration::from_secs(5)).expect("clients").is_empty());
        assert!(!p.any_gateway());
    }

    #[test]
    fn keys_turn_gateways_on_in_the_preferred_order_and_stay_secret() {
        let p = parse_with(&[
            ("AGLIS_MIDTRANS_SERVER_KEY", "SB-Mid-server-rahasia"),
            ("AGLIS_XENDIT_SECRET_KEY", "xnd_development_rahasia"),
            ("AGLIS_XENDIT_CALLBACK_TOKEN", "token-rahasia-panjang-sekali"),
            ("AGLIS_PAYMENT_GATEWAYS", "xendit, midtrans"),
            ("AGLIS_XENDIT_URL", "http://127.0.0.1:9/"),
        ])
        .expect("valid");
        let names: Vec<&str> = p.gateways(Duration::from_secs(5)).expect("clients").iter().map(|g| g.name()).collect();
        assert_eq!(names, ["xendit", "midtrans"]);
        assert!(p.any_gateway());
        assert_eq!(p.xendit.as_ref().map(|x| x.url.as_str()), Some("http://127.0.0.1:9"));
        let debug = format!("{p:?}");
        assert!(!debug.contains("rahasia"), "{debug}");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let var = |pairs: &[(&str, &str)]| parse_with(pairs).expect_err("invalid").var;
        assert_eq!(var(&[("AGLIS_PAYMENT_GATEWAYS", "midtrans,tripay")]), "AGLIS_PAYMENT_GATEWAYS");
        assert_eq!(var(&[("AGLIS_XENDIT_CALLBACK_TOKEN", "short")]), "AGLIS_XENDIT_CALLBACK_TOKEN");
        assert_eq!(
            var(&[("AGLIS_MIDTRANS_SERVER_KEY", "k"), ("AGLIS_MIDTRANS_SNAP_URL", "ftp://x")]),
            "AGLIS_MIDTRANS_SNAP_URL"
        );
        assert_eq!(var(&[("AGLIS_SUSPEND_GRACE_DAYS", "400")]), "AGLIS_SUSPEND_GRACE_DAYS");
    }
}
