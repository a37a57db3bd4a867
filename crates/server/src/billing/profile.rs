//! The billing profile an ISP sets once (`/billing/settings`, admin or manager): the company as
//! invoices print it (name, address, NPWP, contacts, payment instructions) and the rules of the
//! monthly run (billing day, days until due, PPN on or off). Kept as one JSON value in the
//! `settings` table; an installation that never saved it runs on the defaults.

use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::msg;
use aglis_core::billing::BillingSettings;
use aglis_core::ppn::PpnRule;
use aglis_db::repo::settings;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

pub const KEY: &str = "billing.profile";
/// The logo printed on invoices, kept apart from the profile's form: `<media type>;base64,<data>`.
pub const LOGO_KEY: &str = "billing.logo";
/// The largest logo accepted.
pub const LOGO_MAX_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BillingProfile {
    pub company_name: String,
    pub address: String,
    /// The company's tax number (NPWP), printed on every invoice.
    pub npwp: String,
    pub phone: String,
    pub email: String,
    /// One instruction per line (bank accounts, the office's opening hours…).
    pub payment_instructions: String,
    /// 1–28.
    pub billing_day: u32,
    /// Days from issue to due.
    pub due_days: u32,
    pub ppn_enabled: bool,
}

impl Default for BillingProfile {
    fn default() -> Self {
        let rules = BillingSettings::default();
        BillingProfile {
            company_name: "AGLIS Net".into(),
            address: String::new(),
            npwp: String::new(),
            phone: String::new(),
            email: String::new(),
            payment_instructions: String::new(),
            billing_day: rules.billing_day,
            due_days: rules.due_days,
            ppn_enabled: rules.ppn.enabled,
        }
    }
}

impl BillingProfile {
    /// The monthly run's rules.
    pub fn rules(&self) -> BillingSettings {
        let default = PpnRule::default();
        BillingSettings {
            billing_day: self.billing_day,
            due_days: self.due_days,
            ppn: PpnRule { enabled: self.ppn_enabled, ..default },
        }
    }

    /// The instructions, one per non-empty line.
    pub fn instructions(&self) -> Vec<String> {
        self.payment_instructions.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
    }

    /// Checks every field; the problems name their field.
    pub fn check(&self) -> AppResult<()> {
        let mut e = FieldErrors::new();
        let mut push = |f: &str, m: String| e.entry(f.to_owned()).or_default().push(m);
        let name_len = self.company_name.trim().chars().count();
        if name_len == 0 || name_len > 100 {
            push("company_name", msg("val.profile.name", &[]));
        }
        for (field, value, max) in
            [("address", &self.address, 300), ("phone", &self.phone, 30), ("email", &self.email, 120)]
        {
            if value.chars().count() > max {
                push(field, msg("val.profile.long", &[("max", &max)]));
            }
        }
        let digits: String = self.npwp.chars().filter(char::is_ascii_digit).collect();
        if !self.npwp.trim().is_empty()
            && (!(15..=16).contains(&digits.len())
                || !self.npwp.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | ' ')))
        {
            push("npwp", msg("val.profile.npwp", &[]));
        }
        if self.payment_instructions.chars().count() > 1000 {
            push("payment_instructions", msg("val.profile.long", &[("max", &1000)]));
        }
        if !(1..=28).contains(&self.billing_day) {
            push("billing_day", msg("val.profile.billing_day", &[]));
        }
        if !(1..=60).contains(&self.due_days) {
            push("due_days", msg("val.profile.due_days", &[]));
        }
        if e.is_empty() { Ok(()) } else { Err(AppError::fields(e)) }
    }
}

/// The saved profile, or the defaults (also when what is stored cannot be read: it is logged).
pub async fn load(conn: &impl ConnectionTrait) -> AppResult<BillingProfile> {
    Ok(match settings::get(conn, KEY).await? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the stored billing profile cannot be read; using the defaults");
            BillingProfile::default()
        }),
        None => BillingProfile::default(),
    })
}

pub async fn save(conn: &impl ConnectionTrait, p: &BillingProfile, now: DateTime<Utc>) -> AppResult<()> {
    p.check()?;
    let json = serde_json::to_string(p).map_err(|e| AppError::Internal(e.into()))?;
    settings::set(conn, KEY, &json, now).await?;
    Ok(())
}

/// The saved logo, if any (one that cannot be read is logged and left out).
pub async fn load_logo(conn: &impl ConnectionTrait) -> AppResult<Option<aglis_pdf::Logo>> {
    use base64::Engine;
    let Some(stored) = settings::get(conn, LOGO_KEY).await? else { return Ok(None) };
    let decoded = stored
        .split_once(";base64,")
        .and_then(|(_, data)| base64::engine::general_purpose::STANDARD.decode(data).ok())
        .and_then(aglis_pdf::Logo::sniff);
    if decoded.is_none() && !stored.is_empty() {
        tracing::error!("the stored invoice logo cannot be read; invoices print the name only");
    }
    Ok(decoded)
}

/// Saves `logo` for the invoices (`None` removes it).
pub async fn save_logo(
    conn: &impl ConnectionTrait,
    logo: Option<&aglis_pdf::Logo>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use base64::Engine;
    let value = logo.map_or_else(String::new, |l| {
        format!("{};base64,{}", l.mime(), base64::engine::general_purpose::STANDARD.encode(l.bytes()))
    });
    settings::set(conn, LOGO_KEY, &value, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_runs_defaults_and_round_trip() {
        let p = BillingProfile::default();
        assert_eq!(p.rules(), BillingSettings::default());
        assert!(p.check().is_ok());
        let back: BillingProfile = serde_json::from_str(&serde_json::to_string(&p).expect("json")).expect("read");
        assert_eq!(back, p);
        let partial: BillingProfile = serde_json::from_str(r#"{"company_name":"Net"}"#).expect("missing fields");
        assert_eq!((partial.billing_day, partial.due_days), (1, 7));
    }

    #[test]
    fn bad_fields_are_named() {
        let p = BillingProfile {
            company_name: " ".into(),
            npwp: "12.345".into(),
            billing_day: 31,
            due_days: 0,
            ..BillingProfile::default()
        };
        let Err(AppError::Validation { fields, .. }) = p.check() else { panic!("invalid") };
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(names, ["billing_day", "company_name", "due_days", "npwp"]);
        let ok = BillingProfile { npwp: "01.234.567.8-901.000".into(), ..BillingProfile::default() };
        assert!(ok.check().is_ok());
        assert_eq!(
            BillingProfile { payment_instructions: "BCA 123\n\n  Mandiri 456 ".into(), ..ok }.instructions(),
            ["BCA 123", "Mandiri 456"]
        );
    }
}
