//! The security audit log's vocabulary: what happened ([`AuditEvent`]) and how it ended
//! ([`AuditResult`]). The hash chain over the records lives here too (plain functions, no database).

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

crate::str_enum! { "audit event",
    /// Something a security review wants to find later.
    pub enum AuditEvent {
        LoginSucceeded = "login.success",
        LoginFailed = "login.failure",
        Logout = "logout",
        /// Every session of a user ended at once ("log out everywhere", a password change).
        LogoutAll = "logout.all",
        AccountLocked = "account.locked",
        AccountUnlocked = "account.unlocked",
        TwoFactorEnabled = "2fa.enabled",
        TwoFactorDisabled = "2fa.disabled",
        /// An admin cleared another user's second factor.
        TwoFactorReset = "2fa.reset",
        TwoFactorFailed = "2fa.failure",
        RecoveryCodeUsed = "2fa.recovery_used",
        PasswordChanged = "password.changed",
        /// An admin set another user's password.
        PasswordReset = "password.reset",
        UserCreated = "user.created",
        RoleChanged = "user.role_changed",
        UserDeactivated = "user.deactivated",
        UserReactivated = "user.reactivated",
        DataExported = "data.exported",
        /// Customer personal data or payment data was read.
        SensitiveViewed = "sensitive.viewed",
        SettingChanged = "setting.changed",
        WebhookSignatureFailed = "webhook.signature_failed",
        /// Old records were removed by the retention purge (the chain stays verifiable).
        AuditPurged = "audit.purged",
        /// An admin asked for a backup now (the page or the API).
        BackupRequested = "backup.requested",
        /// A backup or its verification failed.
        BackupFailed = "backup.failed",
        /// A set was restored into this installation (`aglis backup restore`).
        BackupRestored = "backup.restored",
        /// Someone took on a firing alert (no more re-notifications).
        AlertAcknowledged = "alert.acknowledged",
        /// An alert rule's settings changed, or it was muted or unmuted.
        AlertRuleChanged = "alert.rule_changed",
        /// An error group of the inbox was resolved, ignored or reopened.
        ErrorGroupChanged = "error_group.changed",
        /// `aglis demo` only: the demo WhatsApp gateway was broken or repaired.
        DemoGatewayToggled = "demo.gateway_toggled",
        /// A monthly billing run wrote invoices (a dry run is not recorded).
        BillingRun = "billing.run",
        /// Customer service recorded money received by hand (waiting for verification).
        PaymentEntered = "payment.entered",
        /// Finance verified a recorded payment: it is in the ledger.
        PaymentVerified = "payment.verified",
        /// Finance rejected a recorded payment (no such money arrived).
        PaymentRejected = "payment.rejected",
        /// An invoice made by hand (an extra service, equipment).
        InvoiceCreated = "invoice.created",
        /// A credit note took part or all of an invoice back.
        InvoiceCredited = "invoice.credited",
        /// A customer's service was suspended (by staff, the overdue policy), issue 21.
        ServiceSuspended = "service.suspended",
        /// A customer's service was restored (by staff, or a payment that cleared the debt).
        ServiceRestored = "service.restored",
        /// A network device was added, changed or removed, or a service bound to one.
        NetworkChanged = "network.changed",
        /// A notice went to every customer of an ODP, an area or a package (issue 22).
        BroadcastSent = "broadcast.sent",
        /// One item of a bulk action was done, or refused (issue 22).
        BulkAction = "bulk.action",
    }
}

crate::str_enum! { "audit result",
    pub enum AuditResult {
        Success = "success",
        Failure = "failure",
        /// Refused by a rule (locked account, missing permission, bad signature).
        Denied = "denied",
    }
}

// ---------------------------------------------------------------------------------------------
// The hash chain.
//
// Every record stores the hash of the record before it (`prev_hash`) and its own `hash`: the
// SHA-256 of a canonical text of all its other stored fields, `prev_hash` included. Ids are
// consecutive (the appender takes the next id under a lock), so a deleted, inserted or reordered
// row breaks the sequence, and an edited one no longer matches its hash. The retention purge
// removes the oldest records and keeps an [`Anchor`]: the id and hash of the last record removed,
// from which verification starts. The [`Head`] names the newest record, so removing the newest
// rows is found too.

/// The `prev_hash` of the very first record (and the anchor's hash before any purge).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest stored values, in characters (longer ones are cut before hashing).
pub const MAX_USERNAME: usize = 100;
pub const MAX_IP: usize = 64;
pub const MAX_USER_AGENT: usize = 300;
pub const MAX_RESOURCE: usize = 200;
/// Details longer than this (as JSON text) are replaced by a note saying so.
pub const MAX_DETAILS: usize = 4000;

/// Time as stored: whole microseconds (PostgreSQL keeps no more, and the hash must match what
/// is read back).
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// `s` cut to `max` characters.
pub fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Whether a details key names a secret (its value is never stored).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    const PARTS: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "totp",
        "seed",
        "api_key",
        "apikey",
        "authorization",
        "cookie",
        "signature",
        "recovery_code",
        "private_key",
        "credential",
    ];
    PARTS.iter().any(|p| k.contains(p)) || k == "otp" || k.starts_with("otp_") || k.ends_with("_otp") || k == "pin"
}

/// Replaces the value of every secret-looking key (see [`is_secret_key`]), at any depth, by
/// `"[redacted]"`.
pub fn redact_secrets(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k) {
                    *v = serde_json::Value::String("[redacted]".into());
                } else {
                    redact_secrets(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

/// The details as stored: secrets redacted, at most [`MAX_DETAILS`] characters of JSON.
pub fn details_text(mut details: serde_json::Value) -> String {
    redact_secrets(&mut details);
    let text = details.to_string();
    if text.chars().count() <= MAX_DETAILS {
        text
    } else {
        serde_json::json!({ "truncated": true, "length": text.len() }).to_string()
    }
}

/// One stored record, every field as stored (event and result as their text forms, so a record
/// whose text was tampered with still hashes as stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub event: String,
    pub resource: Option<String>,
    pub result: String,
    /// JSON text.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

fn put(out: &mut String, name: &str, value: Option<&str>) {
    use std::fmt::Write;
    // Length-prefixed, so no value can pass for another field or a missing one.
    let _ = match value {
        Some(v) => writeln!(out, "{name}:{}:{v}", v.len()),
        None => writeln!(out, "{name}!"),
    };
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl AuditRecord {
    /// The text the hash is taken of: every stored field but `hash`, `prev_hash` included.
    pub fn canonical(&self) -> String {
        let mut out = String::from("aglis-audit-v1\n");
        put(&mut out, "id", Some(&self.id.to_string()));
        put(&mut out, "at", Some(&self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()));
        put(&mut out, "user_id", self.user_id.map(|u| u.to_string()).as_deref());
        put(&mut out, "username", self.username.as_deref());
        put(&mut out, "ip", self.ip.as_deref());
        put(&mut out, "user_agent", self.user_agent.as_deref());
        put(&mut out, "event", Some(&self.event));
        put(&mut out, "resource", self.resource.as_deref());
        put(&mut out, "result", Some(&self.result));
        put(&mut out, "details", Some(&self.details));
        put(&mut out, "prev_hash", Some(&self.prev_hash));
        out
    }

    /// SHA-256 of [`canonical`](Self::canonical), lower-case hex.
    pub fn compute_hash(&self) -> String {
        hex(&Sha256::digest(self.canonical().as_bytes()))
    }

    /// The record with `at` at whole microseconds and its `hash` set.
    pub fn sealed(mut self) -> Self {
        self.at = truncate_to_micros(self.at);
        self.hash = self.compute_hash();
        self
    }
}

/// Where verification starts: the last record a purge removed (id 0 and [`GENESIS_HASH`] before
/// any purge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub id: i64,
    pub hash: String,
}

impl Anchor {
    pub fn genesis() -> Self {
        Anchor { id: 0, hash: GENESIS_HASH.to_owned() }
    }
}

/// The newest record according to the head row (the anchor's id and hash while none is left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub last_id: i64,
    pub last_hash: String,
}

/// The first place the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The record's fields no longer give its hash: it was edited.
    Altered { id: i64 },
    /// The record does not follow the one before it (or the anchor): a record before it was
    /// deleted, one was inserted, the rows were reordered or the anchor was changed.
    Unlinked { id: i64 },
    /// The record is newer than the head's newest: it was inserted behind the log's back.
    Unexpected { id: i64 },
    /// The head's newest record is missing: the newest records were deleted (or the head edited).
    Missing { id: i64 },
}

impl ChainBreak {
    /// The record to name.
    pub fn id(&self) -> i64 {
        match self {
            ChainBreak::Altered { id }
            | ChainBreak::Unlinked { id }
            | ChainBreak::Unexpected { id }
            | ChainBreak::Missing { id } => *id,
        }
    }

    /// Whether the named record exists (all but [`ChainBreak::Missing`]).
    pub fn record_exists(&self) -> bool {
        !matches!(self, ChainBreak::Missing { .. })
    }

    /// What it means, in English.
    pub fn reason(&self) -> &'static str {
        match self {
            ChainBreak::Altered { .. } => "its fields do not match its hash (the record was edited)",
            ChainBreak::Unlinked { .. } => {
                "it does not follow the record before it (a record was deleted or inserted before it, \
                 the rows were reordered, or the purge anchor was changed)"
            }
            ChainBreak::Unexpected { .. } => "it is newer than the newest record the log wrote (it was inserted)",
            ChainBreak::Missing { .. } => {
                "the newest record the log wrote is missing (the newest records were deleted)"
            }
        }
    }

    /// A locale key for [`reason`](Self::reason).
    pub fn key(&self) -> &'static str {
        match self {
            ChainBreak::Altered { .. } => "audit.break.altered",
            ChainBreak::Unlinked { .. } => "audit.break.unlinked",
            ChainBreak::Unexpected { .. } => "audit.break.unexpected",
            ChainBreak::Missing { .. } => "audit.break.missing",
        }
    }
}

/// Checks records one at a time, oldest first (so a long log can be read in pages).
#[derive(Debug, Clone)]
pub struct Verifier {
    head: Head,
    expected_id: i64,
    expected_prev: String,
    checked: u64,
}

impl Verifier {
    pub fn new(anchor: &Anchor, head: &Head) -> Self {
        Verifier { head: head.clone(), expected_id: anchor.id + 1, expected_prev: anchor.hash.clone(), checked: 0 }
    }

    /// Checks the next record.
    pub fn push(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        if r.id > self.head.last_id {
            return Err(ChainBreak::Unexpected { id: r.id });
        }
        if r.id != self.expected_id || r.prev_hash != self.expected_prev {
            return Err(ChainBreak::Unlinked { id: r.id });
        }
        if r.compute_hash() != r.hash {
            return Err(ChainBreak::Altered { id: r.id });
        }
        self.expected_id = r.id + 1;
        self.expected_prev.clone_from(&r.hash);
        self.checked += 1;
        Ok(())
    }

    /// After the last record: the head's newest must have been the last one checked. Returns how
    /// many records were checked.
    pub fn finish(self) -> Result<u64, ChainBreak> {
        if self.expected_id != self.head.last_id + 1 || self.expected_prev != self.head.last_hash {
            return Err(ChainBreak::Missing { id: self.head.last_id });
        }
        Ok(self.checked)
    }
}

/// Verifies `records` (ordered by id) from `anchor` to `head`: the number checked, or the first
/// break.
pub fn verify(anchor: &Anchor, head: &Head, records: &[AuditRecord]) -> Result<u64, ChainBreak> {
    let mut v = Verifier::new(anchor, head);
    for r in records {
        v.push(r)?;
    }
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chain(n: i64, anchor: &Anchor) -> Vec<AuditRecord> {
        let mut prev = anchor.hash.clone();
        (anchor.id + 1..=anchor.id + n)
            .map(|id| {
                let r = AuditRecord {
                    id,
                    at: Utc.timestamp_opt(1_780_000_000 + id * 60, 123_456_789).single().unwrap_or_default(),
                    user_id: (id % 2 == 0).then_some(7),
                    username: Some("budi".into()),
                    ip: Some("103.28.54.10".into()),
                    user_agent: None,
                    event: AuditEvent::LoginSucceeded.as_str().into(),
                    resource: None,
                    result: AuditResult::Success.as_str().into(),
                    details: format!("{{\"n\":{id}}}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                }
                .sealed();
                prev.clone_from(&r.hash);
                r
            })
            .collect()
    }

    fn head_of(records: &[AuditRecord], anchor: &Anchor) -> Head {
        records.last().map_or(Head { last_id: anchor.id, last_hash: anchor.hash.clone() }, |r| Head {
            last_id: r.id,
            last_hash: r.hash.clone(),
        })
    }

    #[test]
    fn an_intact_chain_verifies_and_times_are_whole_microseconds() {
        let a = Anchor::genesis();
        let records = chain(5, &a);
        assert_eq!(verify(&a, &head_of(&records, &a), &records), Ok(5));
        assert_eq!(records[0].at.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(records[0].prev_hash, GENESIS_HASH);
        assert_eq!(records[0].hash.len(), 64);
        assert_eq!(verify(&a, &head_of(&[], &a), &[]), Ok(0), "an empty log is intact");
    }

    #[test]
    fn an_edited_field_is_found_in_every_field() {
        let a = Anchor::genesis();
        let records = chain(4, &a);
        let head = head_of(&records, &a);
        let edits: [fn(&mut AuditRecord); 10] = [
            |r| r.details = "{\"n\":99}".into(),
            |r| r.username = Some("admin".into()),
            |r| r.username = None,
            |r| r.user_id = Some(8),
            |r| r.ip = None,
            |r| r.user_agent = Some("curl".into()),
            |r| r.event = AuditEvent::LoginFailed.as_str().into(),
            |r| r.result = AuditResult::Failure.as_str().into(),
            |r| r.resource = Some("customer:1".into()),
            |r| r.at += chrono::Duration::microseconds(1),
        ];
        for edit in edits {
            let mut bad = records.clone();
            edit(&mut bad[2]);
            assert_eq!(verify(&a, &head, &bad), Err(ChainBreak::Altered { id: 3 }));
        }
        let mut rehashed = records.clone();
        rehashed[1].details = "{}".into();
        rehashed[1] = rehashed[1].clone().sealed();
        assert_eq!(
            verify(&a, &head, &rehashed),
            Err(ChainBreak::Unlinked { id: 3 }),
            "re-hashing breaks the next link"
        );
    }

    #[test]
    fn deleted_inserted_and_reordered_rows_are_found() {
        let a = Anchor::genesis();
        let records = chain(5, &a);
        let head = head_of(&records, &a);
        let mut deleted = records.clone();
        deleted.remove(2);
        assert_eq!(verify(&a, &head, &deleted), Err(ChainBreak::Unlinked { id: 4 }));
        let mut reordered = records.clone();
        reordered.swap(1, 2);
        assert_eq!(verify(&a, &head, &reordered), Err(ChainBreak::Unlinked { id: 3 }));
        let mut newest_gone = records.clone();
        newest_gone.pop();
        assert_eq!(verify(&a, &head, &newest_gone), Err(ChainBreak::Missing { id: 5 }));
        let mut appended = records.clone();
        let forged = AuditRecord { id: 6, prev_hash: records[4].hash.clone(), ..records[4].clone() }.sealed();
        appended.push(forged);
        assert_eq!(verify(&a, &head, &appended), Err(ChainBreak::Unexpected { id: 6 }));
        assert_eq!(verify(&a, &head, &[]), Err(ChainBreak::Missing { id: 5 }), "all deleted");
    }

    #[test]
    fn verification_starts_from_the_purge_anchor() {
        let all = chain(6, &Anchor::genesis());
        let anchor = Anchor { id: all[2].id, hash: all[2].hash.clone() };
        let kept = &all[3..];
        let head = head_of(kept, &anchor);
        assert_eq!(verify(&anchor, &head, kept), Ok(3));
        let broken = Anchor { hash: GENESIS_HASH.into(), ..anchor.clone() };
        assert_eq!(verify(&broken, &head, kept), Err(ChainBreak::Unlinked { id: 4 }));
        let moved = Anchor { id: 2, ..anchor.clone() };
        assert_eq!(verify(&moved, &head, kept), Err(ChainBreak::Unlinked { id: 4 }));
        assert_eq!(verify(&anchor, &head, &all[2..]), Err(ChainBreak::Unlinked { id: 3 }), "a purged row left behind");
        let emptied = head_of(&[], &anchor);
        assert_eq!(verify(&anchor, &emptied, &[]), Ok(0), "everything purged");
    }

    #[test]
    fn the_canonical_text_cannot_be_confused() {
        let a = Anchor::genesis();
        let r = chain(1, &a).remove(0);
        let shifted = AuditRecord { username: Some("bud".into()), ip: Some("i103.28.54.10".into()), ..r.clone() };
        assert_ne!(r.compute_hash(), shifted.compute_hash());
        let empty = AuditRecord { user_agent: Some(String::new()), ..r.clone() };
        assert_ne!(r.compute_hash(), empty.compute_hash(), "empty is not missing");
        assert!(r.canonical().contains("at:27:2026-05-28T"), "{}", r.canonical());
    }

    #[test]
    fn secrets_never_reach_the_details() {
        let text = details_text(serde_json::json!({
            "username": "budi", "password": "rahasia", "new_password": "x", "TOTP-secret": "ABC",
            "otp": "123456", "nested": [{"apiToken": "t", "count": 3}], "code": "CUST-1"
        }));
        for secret in ["rahasia", "\"x\"", "ABC", "123456", "\"t\""] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("budi") && text.contains("CUST-1") && text.contains("\"count\":3"), "{text}");
        let long = details_text(serde_json::json!({ "note": "x".repeat(MAX_DETAILS) }));
        assert!(long.contains("truncated") && long.len() < 100, "{long}");
        assert_eq!(clip("Mozilla/5.0", 7), "Mozilla");
    }
}

/// What an audit record is found by: the username, the address and the resource whole
/// (`customer:5`), and the words of the resource and the details.
pub fn search_words(username: Option<&str>, ip: Option<&str>, resource: Option<&str>, details: &str) -> Vec<String> {
    let whole: Vec<String> = [username, ip, resource].into_iter().flatten().map(str::to_owned).collect();
    crate::search::record_words(&whole, &[resource.unwrap_or_default(), details])
}

#[cfg(test)]
mod search_word_tests {
    #[test]
    fn a_record_is_found_by_user_address_resource_and_details() {
        let w = super::search_words(Some("Andi"), Some("203.0.113.7"), Some("customer:5"), r#"{"field":"phone"}"#);
        assert_eq!(&w[..3], ["andi", "203.0.113.7", "customer:5"]);
        assert!(w.contains(&"customer".to_owned()) && w.contains(&"phone".to_owned()));
    }
}
