//! Settings of the message providers beyond Fonnte: the WhatsApp failover order, the WhatsApp
//! Cloud API (Meta) sender, and SMTP for e-mail. Credentials are secrets, redacted in `Debug`.

use super::{ConfigError, err, parse_num, parse_url};
use aglis_integrations::email::smtp::SmtpTls;
use secrecy::SecretString;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhatsappProvider {
    Fonnte,
    Meta,
}

impl WhatsappProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            WhatsappProvider::Fonnte => "fonnte",
            WhatsappProvider::Meta => "meta",
        }
    }
}

/// The Cloud API sender: `POST {url}/{version}/{phone_number_id}/messages` with a Bearer token.
#[derive(Clone)]
pub struct MetaSender {
    pub token: SecretString,
    pub phone_number_id: String,
    pub url: String,
    pub version: String,
}

impl fmt::Debug for MetaSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaSender")
            .field("token", &"[redacted]")
            .field("phone_number_id", &self.phone_number_id)
            .field("url", &self.url)
            .field("version", &self.version)
            .finish()
    }
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Providers {
    /// WhatsApp providers to try, in order (only configured ones are used).
    pub whatsapp_order: Vec<WhatsappProvider>,
    pub meta: Option<MetaSender>,
    pub smtp: Option<SmtpConfig>,
    /// Time allowed for one provider call.
    pub timeout_secs: u64,
}

impl Default for Providers {
    fn default() -> Self {
        Providers {
            whatsapp_order: vec![WhatsappProvider::Fonnte, WhatsappProvider::Meta],
            meta: None,
            smtp: None,
            timeout_secs: 15,
        }
    }
}

/// Reads the provider settings through `get` (environment, then file).
pub fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<Providers, ConfigError> {
    let mut whatsapp_order = Vec::new();
    for name in get("AGLIS_WHATSAPP_PROVIDERS").unwrap_or_else(|| "fonnte,meta".into()).split(',').map(str::trim) {
        let p = match name {
            "fonnte" => WhatsappProvider::Fonnte,
            "meta" => WhatsappProvider::Meta,
            "" => continue,
            other => {
                return Err(err("AGLIS_WHATSAPP_PROVIDERS", format!("`{other}` is not a provider (fonnte, meta)")));
            }
        };
        if !whatsapp_order.contains(&p) {
            whatsapp_order.push(p);
        }
    }
    let meta = match (get("AGLIS_META_TOKEN").filter(|t| !t.is_empty()), get("AGLIS_META_PHONE_NUMBER_ID")) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(err(
                "AGLIS_META_PHONE_NUMBER_ID",
                "is required with AGLIS_META_TOKEN (the sending number's id)",
            ));
        }
        (Some(token), Some(id)) => {
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(err("AGLIS_META_PHONE_NUMBER_ID", format!("`{id}` is not a phone number id (digits)")));
            }
            let url = match get("AGLIS_META_URL") {
                Some(url) => parse_url("AGLIS_META_URL", &url)?,
                None => aglis_integrations::whatsapp::meta::DEFAULT_BASE_URL.to_owned(),
            };
            let version = get("AGLIS_META_API_VERSION")
                .unwrap_or_else(|| aglis_integrations::whatsapp::meta::DEFAULT_VERSION.to_owned());
            if !version.starts_with('v')
                || version.len() < 2
                || !version[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
            {
                return Err(err(
                    "AGLIS_META_API_VERSION",
                    format!("`{version}` is not a Graph API version such as v21.0"),
                ));
            }
            Some(MetaSender { token: SecretString::from(token), phone_number_id: id, url, version })
        }
    };
    let smtp = match get("AGLIS_SMTP_HOST").filter(|h| !h.is_empty()) {
        None => None,
        Some(host) => {
            let tls: SmtpTls = get("AGLIS_SMTP_TLS").unwrap_or_else(|| "starttls".into()).parse().map_err(
                |e: aglis_integrations::email::smtp::ParseSmtpTlsError| err("AGLIS_SMTP_TLS", e.to_string()),
            )?;
            let port = parse_num("AGLIS_SMTP_PORT", get("AGLIS_SMTP_PORT"), tls.default_port(), 1..=65535)?;
            let username = get("AGLIS_SMTP_USERNAME").filter(|u| !u.is_empty());
            let password = get("AGLIS_SMTP_PASSWORD").filter(|p| !p.is_empty()).map(SecretString::from);
            if username.is_some() != password.is_some() {
                return Err(err(
                    "AGLIS_SMTP_PASSWORD",
                    "give both AGLIS_SMTP_USERNAME and AGLIS_SMTP_PASSWORD, or neither",
                ));
            }
            let from = get("AGLIS_SMTP_FROM").unwrap_or_else(|| format!("AGLIS <noreply@{host}>"));
            Some(SmtpConfig { host, port, tls, username, password, from })
        }
    };
    let timeout_secs = parse_num("AGLIS_PROVIDER_TIMEOUT_SECS", get("AGLIS_PROVIDER_TIMEOUT_SECS"), 15, 1..=120)?;
    Ok(Providers { whatsapp_order, meta, smtp, timeout_secs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse_with(pairs: &[(&str, &str)]) -> Result<Providers, ConfigError> {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse(&|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_configured_means_no_meta_and_no_smtp() {
        let p = parse_with(&[]).expect("defaults");
        assert_eq!(p.whatsapp_order, vec![WhatsappProvider::Fonnte, WhatsappProvider::Meta]);
        assert!(p.meta.is_none() && p.smtp.is_none());
        assert_eq!(p.timeout_secs, 15);
    }

    #[test]
    fn meta_and_smtp_are_read_and_their_secrets_redacted() {
        let p = parse_with(&[
            ("AGLIS_WHATSAPP_PROVIDERS", "meta, fonnte"),
            ("AGLIS_META_TOKEN", "EAAG-rahasia"),
            ("AGLIS_META_PHONE_NUMBER_ID", "106540352242922"),
            ("AGLIS_SMTP_HOST", "smtp.isp.co.id"),
            ("AGLIS_SMTP_TLS", "tls"),
            ("AGLIS_SMTP_USERNAME", "noreply"),
            ("AGLIS_SMTP_PASSWORD", "sandi-rahasia"),
        ])
        .expect("valid");
        assert_eq!(p.whatsapp_order, vec![WhatsappProvider::Meta, WhatsappProvider::Fonnte]);
        let smtp = p.smtp.clone().expect("smtp");
        assert_eq!((smtp.port, smtp.tls), (465, SmtpTls::Implicit));
        assert_eq!(smtp.from, "AGLIS <noreply@smtp.isp.co.id>");
        let debug = format!("{p:?}");
        assert!(!debug.contains("rahasia"), "{debug}");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let var = |pairs: &[(&str, &str)]| parse_with(pairs).expect_err("invalid").var;
        assert_eq!(var(&[("AGLIS_WHATSAPP_PROVIDERS", "fonnte,wablas")]), "AGLIS_WHATSAPP_PROVIDERS");
        assert_eq!(var(&[("AGLIS_META_TOKEN", "x")]), "AGLIS_META_PHONE_NUMBER_ID");
        assert_eq!(
            var(&[("AGLIS_META_TOKEN", "x"), ("AGLIS_META_PHONE_NUMBER_ID", "abc")]),
            "AGLIS_META_PHONE_NUMBER_ID"
        );
        assert_eq!(
            var(&[("AGLIS_META_TOKEN", "x"), ("AGLIS_META_PHONE_NUMBER_ID", "1"), ("AGLIS_META_API_VERSION", "21")]),
            "AGLIS_META_API_VERSION"
        );
        assert_eq!(var(&[("AGLIS_SMTP_HOST", "h"), ("AGLIS_SMTP_TLS", "ssl3")]), "AGLIS_SMTP_TLS");
        assert_eq!(var(&[("AGLIS_SMTP_HOST", "h"), ("AGLIS_SMTP_PORT", "0")]), "AGLIS_SMTP_PORT");
        assert_eq!(var(&[("AGLIS_SMTP_HOST", "h"), ("AGLIS_SMTP_USERNAME", "u")]), "AGLIS_SMTP_PASSWORD");
        assert_eq!(var(&[("AGLIS_PROVIDER_TIMEOUT_SECS", "0")]), "AGLIS_PROVIDER_TIMEOUT_SECS");
    }
}
