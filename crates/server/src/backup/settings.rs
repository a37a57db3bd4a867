//! The configuration part: the `AGLIS_*` values the installation runs with (environment over
//! `aglis.toml`), so a restore on a new machine starts the same way.
//!
//! Secrets (the secret key, tokens, passwords, the database password) are never written in the
//! clear. With `AGLIS_BACKUP_PASSPHRASE` they are sealed: Argon2id turns the passphrase and a
//! random salt into a key, XChaCha20-Poly1305 seals them. Without it they are left out and named,
//! so whoever restores knows what to supply. The secret key matters most: it seals the users'
//! two-factor secrets, which do not open without it.

use crate::config::Config;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const PART_FILE: &str = "config.json.zst";
const AAD: &[u8] = b"aglis:backup-config:v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigPart {
    /// Non-secret values by variable name.
    pub settings: BTreeMap<String, String>,
    /// Secret variables that were set, by name (their values are sealed or left out).
    pub secret_names: Vec<String>,
    /// `v1.<salt hex>.<nonce+ciphertext hex>` of the secrets as JSON; `None` = left out.
    pub sealed_secrets: Option<String>,
    /// Whether the secret key was generated into the data directory (no `AGLIS_SECRET_KEY`).
    pub secret_key_generated: bool,
}

/// Whether a variable holds a secret.
pub fn is_secret(var: &str) -> bool {
    ["TOKEN", "SECRET", "PASSWORD", "PASSPHRASE", "DSN"].iter().any(|w| var.contains(w))
}

/// A database URL without its password.
fn without_password(url: &str) -> (String, Option<String>) {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let password = u.password().map(str::to_owned);
            let _ = u.set_password(None);
            (u.to_string(), password)
        }
        _ => (url.to_owned(), None),
    }
}

pub fn export(config: &Config) -> anyhow::Result<ConfigPart> {
    let mut settings = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for (var, value) in config.sources.iter() {
        match var.as_str() {
            "AGLIS_CONFIG" | "AGLIS_BACKUP_PASSPHRASE" => {}
            "AGLIS_DATABASE_URL" => {
                let (bare, password) = without_password(value);
                settings.insert(var.clone(), bare);
                if let Some(p) = password {
                    secrets.insert("AGLIS_DATABASE_URL password".to_owned(), p);
                }
            }
            v if is_secret(v) => {
                secrets.insert(var.clone(), value.clone());
            }
            _ => {
                settings.insert(var.clone(), value.clone());
            }
        }
    }
    let secret_key_generated = !config.sources.contains_key("AGLIS_SECRET_KEY");
    secrets.insert("AGLIS_SECRET_KEY".to_owned(), config.secret_key.expose_secret().to_owned());
    let secret_names = secrets.keys().cloned().collect();
    let sealed_secrets = match &config.backup.passphrase {
        Some(p) => Some(seal(p.expose_secret(), &serde_json::to_vec(&secrets)?)?),
        None => None,
    };
    Ok(ConfigPart { settings, secret_names, sealed_secrets, secret_key_generated })
}

fn cipher(passphrase: &str, salt: &[u8]) -> anyhow::Result<XChaCha20Poly1305> {
    let mut key = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| anyhow::anyhow!("deriving the backup key: {e}"))?;
    XChaCha20Poly1305::new_from_slice(&key).map_err(|e| anyhow::anyhow!("backup key: {e}"))
}

fn seal(passphrase: &str, plain: &[u8]) -> anyhow::Result<String> {
    let salt: [u8; 16] = rand::random();
    let nonce: [u8; 24] = rand::random();
    let sealed = cipher(passphrase, &salt)?
        .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: AAD })
        .map_err(|_| anyhow::anyhow!("sealing the secrets"))?;
    let mut body = nonce.to_vec();
    body.extend_from_slice(&sealed);
    Ok(format!("v1.{}.{}", hex::encode(salt), hex::encode(body)))
}

/// The secrets of a part, given its passphrase.
pub fn open_secrets(part: &ConfigPart, passphrase: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let sealed = part.sealed_secrets.as_deref().ok_or_else(|| anyhow::anyhow!("this set holds no secrets"))?;
    let wrong = || anyhow::anyhow!("the secrets do not open: wrong AGLIS_BACKUP_PASSPHRASE, or a damaged part");
    let mut pieces = sealed.split('.');
    let (Some("v1"), Some(salt), Some(body), None) = (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(wrong());
    };
    let salt = hex::decode(salt).map_err(|_| wrong())?;
    let body = hex::decode(body).map_err(|_| wrong())?;
    if body.len() <= 24 {
        return Err(wrong());
    }
    let (nonce, ct) = body.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| wrong())?;
    let plain =
        cipher(passphrase, &salt)?.decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: AAD }).map_err(|_| wrong())?;
    Ok(serde_json::from_slice(&plain)?)
}

/// `aglis.toml` text for the restored installation: the settings, and the secrets when opened
/// (the database password put back into its URL). Keys as the file wants them (`bind`).
pub fn to_toml(part: &ConfigPart, secrets: Option<&BTreeMap<String, String>>) -> String {
    let mut values = part.settings.clone();
    if let Some(secrets) = secrets {
        for (k, v) in secrets {
            if k == "AGLIS_SECRET_KEY" && part.secret_key_generated {
                continue; // goes back into <data dir>/secret.key
            }
            if k == "AGLIS_DATABASE_URL password" {
                if let Some(url) = values.get_mut("AGLIS_DATABASE_URL")
                    && let Ok(mut u) = url::Url::parse(url)
                    && u.set_password(Some(v)).is_ok()
                {
                    *url = u.to_string();
                }
                continue;
            }
            values.insert(k.clone(), v.clone());
        }
    }
    let mut out = String::from("# AGLIS configuration restored from a backup set.\n");
    if secrets.is_none() && !part.secret_names.is_empty() {
        out.push_str("# Secrets were not restored; set them again:\n");
        for name in &part.secret_names {
            out.push_str(&format!("#   {name}\n"));
        }
    }
    for (var, value) in values {
        let key = var.trim_start_matches("AGLIS_").to_lowercase();
        out.push_str(&format!("{key} = {}\n", toml_string(&value)));
    }
    out
}

/// A TOML basic string.
fn toml_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let dir = std::env::temp_dir().join(format!("aglis-settings-{}", uuid::Uuid::new_v4().simple()));
        let mut env: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        env.insert("AGLIS_DATA_DIR".into(), dir.display().to_string());
        env.insert("AGLIS_CONFIG".into(), dir.join("none.toml").display().to_string());
        let _ = std::fs::create_dir_all(&dir);
        std::fs::write(dir.join("none.toml"), "").expect("file");
        crate::config::load(&env).expect("config")
    }

    #[test]
    fn secrets_never_appear_in_the_clear_and_open_only_with_the_passphrase() {
        let c = config(&[
            ("AGLIS_BIND", "0.0.0.0:8080"),
            ("AGLIS_DATABASE_URL", "postgres://aglis:db-pass-77@db.local/aglis"),
            ("AGLIS_FONNTE_TOKEN", "fonnte-token-123"),
            ("AGLIS_BACKUP_PASSPHRASE", "kabel fiber karawang"),
        ]);
        let part = export(&c).expect("export");
        let json = serde_json::to_string(&part).expect("json");
        for secret in ["db-pass-77", "fonnte-token-123", "kabel fiber", c.secret_key.expose_secret()] {
            assert!(!json.contains(secret), "{secret} leaked into {json}");
        }
        assert!(part.secret_key_generated);
        assert!(open_secrets(&part, "wrong passphrase!").is_err());
        let secrets = open_secrets(&part, "kabel fiber karawang").expect("opens");
        assert_eq!(secrets["AGLIS_FONNTE_TOKEN"], "fonnte-token-123");
        let toml_text = to_toml(&part, Some(&secrets));
        assert!(toml_text.contains("postgres://aglis:db-pass-77@db.local/aglis"), "{toml_text}");
        assert!(toml_text.contains("fonnte_token = \"fonnte-token-123\""));
        let parsed: toml::Table = toml::from_str(&toml_text).expect("valid toml");
        assert!(parsed.contains_key("bind") && !parsed.contains_key("secret_key"));
    }

    #[test]
    fn without_a_passphrase_secrets_are_named_not_kept() {
        let c = config(&[
            ("AGLIS_SMTP_PASSWORD", "smtp-pass-1"),
            ("AGLIS_SMTP_USERNAME", "noc"),
            ("AGLIS_SMTP_HOST", "mail.local"),
        ]);
        let part = export(&c).expect("export");
        assert!(part.sealed_secrets.is_none());
        assert!(part.secret_names.contains(&"AGLIS_SMTP_PASSWORD".to_owned()));
        let text = to_toml(&part, None);
        assert!(!text.contains("smtp-pass-1") && text.contains("#   AGLIS_SMTP_PASSWORD"), "{text}");
    }
}
