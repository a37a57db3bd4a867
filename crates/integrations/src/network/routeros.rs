//! MikroTik RouterOS v7 REST client (spec/network-enforcement.md §1, §3, §6): the reads and the
//! converge operations that suspend and restore customers: (a) disable a PPP secret, (b) move it to
//! the isolation profile, then kick its sessions, (c) put a static/DHCP address in a firewall
//! address list.
//!
//! Rules kept here: records are looked up by their natural key on every call (`.id`s change on
//! reboot); `*` in ids travels as `%2A`; every reply value is a string, booleans are read leniently;
//! a write that failed in a way that may still have applied (time-out, reset, 5xx, 400: "a 400 is
//! not atomic") is followed by a re-read, and counts as done when the wanted state is there; a PUT is
//! never retried blindly; sessions are kicked only after the change is in place; a dry run sends
//! only GETs and lists the writes it would make.

use super::{NetError, Outcome};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::fmt;
use std::time::Duration;

const SECRET: &str = "ppp/secret";
const ACTIVE: &str = "ppp/active";
const ADDRESS_LIST: &str = "ip/firewall/address-list";

type Record = Map<String, Value>;

/// How to reach one router. `base_url` is `https://router` (a trailing `/rest` is tolerated).
#[derive(Clone)]
pub struct RouterOsConfig {
    pub base_url: String,
    pub username: String,
    pub password: String,
    pub timeout: Duration,
    /// Accept any certificate (RouterOS's self-signed one); an explicit opt-in.
    pub insecure_tls: bool,
}

impl fmt::Debug for RouterOsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterOsConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("insecure_tls", &self.insecure_tls)
            .finish()
    }
}

/// `/system/resource`: what the "test connection" button shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub version: String,
    pub board: String,
    pub uptime: String,
}

/// A PPP secret as the router has it now, and how many sessions it has up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PppState {
    pub profile: String,
    pub disabled: bool,
    pub remote_address: Option<String>,
    pub sessions: usize,
}

/// A RouterOS REST client for one router.
#[derive(Clone)]
pub struct RouterOs {
    base_url: String,
    username: String,
    password: String,
    http: reqwest::Client,
}

impl fmt::Debug for RouterOs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterOs")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A failed request: the HTTP status when the router answered.
struct Failure {
    status: Option<StatusCode>,
    error: NetError,
}

impl Failure {
    /// Whether the write may have been applied anyway, so the state must be re-read.
    fn may_have_applied(&self) -> bool {
        !matches!(self.error, NetError::Auth(_)) && self.status != Some(StatusCode::NOT_FOUND)
    }

    fn is_not_found(&self) -> bool {
        self.status == Some(StatusCode::NOT_FOUND)
    }
}

impl RouterOs {
    pub fn new(config: RouterOsConfig) -> Result<Self, NetError> {
        let base = config.base_url.trim().trim_end_matches('/');
        let base = base.strip_suffix("/rest").unwrap_or(base).to_owned();
        if reqwest::Url::parse(&base).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
            return Err(NetError::Unexpected(format!("not an http(s) URL: {base}")));
        }
        crate::http::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("aglis/", env!("CARGO_PKG_VERSION")))
            .tls_danger_accept_invalid_certs(config.insecure_tls)
            .build()
            .map_err(|e| NetError::Unexpected(format!("HTTP client: {e}")))?;
        Ok(Self { base_url: base, username: config.username, password: config.password, http })
    }

    /// `GET /rest/system/resource` → version and board, the "test connection" button.
    pub async fn health(&self) -> Result<DeviceInfo, NetError> {
        let reply = self.call(Method::GET, "system/resource", &[], None).await.map_err(|f| f.error)?;
        let resource = single_object(reply).ok_or_else(|| NetError::Unexpected("system/resource: no record".into()))?;
        let text = |k: &str| field(&resource, k).to_owned();
        if text("version").is_empty() {
            return Err(NetError::Unexpected("system/resource: no version".into()));
        }
        Ok(DeviceInfo { version: text("version"), board: text("board-name"), uptime: text("uptime") })
    }

    /// The PPP secret `name` and the number of its active sessions; `None` when there is no such secret.
    pub async fn ppp_state(&self, name: &str) -> Result<Option<PppState>, NetError> {
        let Some(secret) = self.secret(name).await? else { return Ok(None) };
        let sessions = self.list(ACTIVE, &[("name", name)]).await?.len();
        let remote = field(&secret, "remote-address");
        Ok(Some(PppState {
            profile: field(&secret, "profile").to_owned(),
            disabled: parse_bool(field(&secret, "disabled")),
            remote_address: (!remote.is_empty()).then(|| remote.to_owned()),
            sessions,
        }))
    }

    /// Every PPP secret and the enabled addresses of `list`, in two reads.
    pub async fn snapshot(&self, list: &str) -> Result<super::Snapshot, NetError> {
        let secrets = self.list(SECRET, &[(".proplist", "name,profile,disabled")]).await?;
        let entries = self.list(ADDRESS_LIST, &[("list", list)]).await?;
        Ok(super::Snapshot {
            secrets: secrets
                .iter()
                .map(|r| {
                    (field(r, "name").to_owned(), (field(r, "profile").to_owned(), parse_bool(field(r, "disabled"))))
                })
                .collect(),
            listed: entries.iter().filter(|r| enabled(r)).map(|r| field(r, "address").to_owned()).collect(),
        })
    }

    /// The PPP user whose session has `address` now (the isolation page finds a redirected
    /// customer by the source address of the request).
    pub async fn session_user(&self, address: &str) -> Result<Option<String>, NetError> {
        let rows = self.list(ACTIVE, &[("address", address)]).await?;
        Ok(rows.first().map(|r| field(r, "name").to_owned()).filter(|n| !n.is_empty()))
    }

    /// Pattern (b): secret `name` gets `profile` and is enabled; when the profile changed, every
    /// active session of `name` is kicked so it reconnects under the new profile. `previous` is the
    /// profile replaced (`None` when it was already right, so a repeated suspend never reports
    /// the isolation profile as the one to restore). A missing secret is [`NetError::Refused`].
    pub async fn ensure_ppp_profile(&self, name: &str, profile: &str, dry_run: bool) -> Result<Outcome, NetError> {
        self.converge_secret(name, Some(profile), false, dry_run).await
    }

    /// Pattern (a): the secret's `disabled` flag; when it became disabled, its sessions are kicked.
    pub async fn ensure_ppp_disabled(&self, name: &str, disabled: bool, dry_run: bool) -> Result<Outcome, NetError> {
        self.converge_secret(name, None, disabled, dry_run).await
    }

    /// Removes every active session of `name` (none = nothing to do); safe to repeat. The ensure
    /// operations kick only when they change the secret, so after one of them failed (the change
    /// may have been applied, e.g. a time-out, without the kick) the caller should kick once the
    /// next attempt succeeds with nothing to change.
    pub async fn kick(&self, name: &str, dry_run: bool) -> Result<Outcome, NetError> {
        let mut outcome = Outcome::default();
        self.kick_into(name, dry_run, &mut outcome).await?;
        Ok(outcome)
    }

    /// Whether an enabled entry for `address` is in firewall address list `list`.
    pub async fn listed(&self, list: &str, address: &str) -> Result<bool, NetError> {
        Ok(self.list(ADDRESS_LIST, &[("list", list), ("address", address)]).await?.iter().any(enabled))
    }

    /// Pattern (c). `listed`: adds `{list, address, comment}` unless an enabled entry exists (a
    /// disabled one is enabled instead; "already have such entry" counts as done). Not `listed`:
    /// deletes every entry for `list` + `address`, duplicates included (404 counts as done).
    pub async fn ensure_listed(
        &self,
        list: &str,
        address: &str,
        comment: &str,
        listed: bool,
        dry_run: bool,
    ) -> Result<Outcome, NetError> {
        let entries = self.list(ADDRESS_LIST, &[("list", list), ("address", address)]).await?;
        let mut outcome = Outcome::default();
        if !listed {
            let query = [("list", list), ("address", address)];
            let step = |id: &str| list_removed_step(list, address, id);
            self.delete_all(ADDRESS_LIST, &query, &entries, step, dry_run, &mut outcome).await?;
            return Ok(outcome);
        }
        if entries.iter().any(enabled) {
            return Ok(outcome);
        }
        let (method, path, body, step) = match entries.first() {
            Some(e) => {
                let id = field(e, ".id");
                let path = format!("{ADDRESS_LIST}/{}", encode_segment(id));
                (Method::PATCH, path, json!({"disabled": "false"}), list_added_step(list, address, Some(id)))
            }
            None => {
                let body = json!({"list": list, "address": address, "comment": comment});
                (Method::PUT, ADDRESS_LIST.to_owned(), body, list_added_step(list, address, None))
            }
        };
        outcome.changed = true;
        outcome.steps.push(step);
        if dry_run {
            return Ok(outcome);
        }
        if let Err(f) = self.call(method, &path, &[], Some(body)).await {
            if matches!(&f.error, NetError::Refused(d) if d.contains("already have such entry")) {
                return Ok(Outcome::default());
            }
            if !f.may_have_applied() || !self.listed(list, address).await.unwrap_or(false) {
                return Err(f.error);
            }
            tracing::warn!(list, address, error = %f.error, "address-list write failed but re-read shows it applied");
        }
        Ok(outcome)
    }

    async fn converge_secret(
        &self,
        name: &str,
        profile: Option<&str>,
        disabled: bool,
        dry_run: bool,
    ) -> Result<Outcome, NetError> {
        let secret =
            self.secret(name).await?.ok_or_else(|| NetError::Refused(format!("no PPP secret named {name}")))?;
        let before = field(&secret, "profile").to_owned();
        let was_disabled = parse_bool(field(&secret, "disabled"));
        let wanted = |s: &Record| {
            profile.is_none_or(|p| field(s, "profile") == p) && parse_bool(field(s, "disabled")) == disabled
        };
        if wanted(&secret) {
            return Ok(Outcome::default());
        }
        let mut patch = Map::new();
        let new_profile = profile.filter(|p| *p != before);
        if let Some(p) = new_profile {
            patch.insert("profile".into(), p.into());
        }
        if was_disabled != disabled {
            patch.insert("disabled".into(), if disabled { "true" } else { "false" }.into());
        }
        let mut outcome = Outcome {
            changed: true,
            steps: vec![secret_step(name, &before, new_profile, (was_disabled != disabled).then_some(disabled))],
            previous: new_profile.map(|_| before.clone()),
        };
        let kick = new_profile.is_some() || (disabled && !was_disabled);
        if !dry_run {
            let path = format!("{SECRET}/{}", encode_segment(field(&secret, ".id")));
            if let Err(f) = self.call(Method::PATCH, &path, &[], Some(Value::Object(patch))).await {
                if !f.may_have_applied() || !self.secret(name).await.ok().flatten().is_some_and(|s| wanted(&s)) {
                    return Err(f.error);
                }
                tracing::warn!(name, error = %f.error, "ppp/secret write failed but re-read shows it applied");
            }
        }
        if kick {
            self.kick_into(name, dry_run, &mut outcome).await.map_err(|e| kick_failed(name, e))?;
        }
        Ok(outcome)
    }

    /// Deletes each active session of `name`.
    async fn kick_into(&self, name: &str, dry_run: bool, outcome: &mut Outcome) -> Result<(), NetError> {
        let query = [("name", name)];
        let sessions = self.list(ACTIVE, &query).await?;
        let step = |id: &str| session_step(id, name);
        self.delete_all(ACTIVE, &query, &sessions, step, dry_run, outcome).await
    }

    /// Deletes `rows` of `menu` one by one (404 = already gone). After a failure, done if
    /// re-reading `query` finds none left; else the first error.
    async fn delete_all(
        &self,
        menu: &str,
        query: &[(&str, &str)],
        rows: &[Record],
        step: impl Fn(&str) -> String,
        dry_run: bool,
        outcome: &mut Outcome,
    ) -> Result<(), NetError> {
        let (mut failed, mut unconfirmed) = (None, Vec::new());
        for id in rows.iter().map(|r| field(r, ".id")) {
            let removed = dry_run
                || match self.call(Method::DELETE, &format!("{menu}/{}", encode_segment(id)), &[], None).await {
                    Ok(_) => true,
                    Err(f) if f.is_not_found() => false,
                    Err(f) => {
                        failed = failed.or(Some(f.error));
                        unconfirmed.push(step(id));
                        false
                    }
                };
            if removed {
                outcome.changed = true;
                outcome.steps.push(step(id));
            }
        }
        if let Some(error) = failed {
            if !self.list(menu, query).await.is_ok_and(|left| left.is_empty()) {
                return Err(error);
            }
            tracing::warn!(menu, error = %error, "delete failed but re-read shows the records gone");
            outcome.changed = true;
            outcome.steps.extend(unconfirmed);
        }
        Ok(())
    }

    async fn secret(&self, name: &str) -> Result<Option<Record>, NetError> {
        Ok(self.list(SECRET, &[("name", name)]).await?.into_iter().next())
    }

    /// `GET /rest/<menu>?k=v…`: the matching records.
    async fn list(&self, menu: &str, query: &[(&str, &str)]) -> Result<Vec<Record>, NetError> {
        match self.call(Method::GET, menu, query, None).await.map_err(|f| f.error)? {
            Value::Array(rows) => rows
                .into_iter()
                .map(|r| match r {
                    Value::Object(o) => Ok(o),
                    _ => Err(NetError::Unexpected(format!("{menu}: a row is not an object"))),
                })
                .collect(),
            _ => Err(NetError::Unexpected(format!("{menu}: the answer is not a list"))),
        }
    }

    /// One request to `/rest/<path>`; `Value::Null` for an empty 2xx body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let what = format!("{method} /rest/{path}");
        let url = format!("{}/rest/{path}{}", self.base_url, query_string(query));
        let mut request = self.http.request(method, url).basic_auth(&self.username, Some(&self.password));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable =
            |e: reqwest::Error| Failure { status: None, error: NetError::Unreachable(describe(&what, &e)) };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|e| Failure {
                status: Some(status),
                error: NetError::Unexpected(format!("{what}: unreadable answer: {e}")),
            });
        }
        Err(Failure { status: Some(status), error: classify(&what, status, &bytes) })
    }
}

/// Maps an error answer: 401/403 → auth, other 4xx with RouterOS's `{error, message, detail}` →
/// refused (the detail, else the message), 5xx or unreadable → unexpected.
fn classify(what: &str, status: StatusCode, body: &[u8]) -> NetError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let text = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(Value::as_str).filter(|s| !s.is_empty());
    let reason = text("detail").or_else(|| text("message"));
    let summary = format!("{what}: HTTP {}{}", status.as_u16(), reason.map(|r| format!(" {r}")).unwrap_or_default());
    match (status.as_u16(), reason) {
        (401 | 403, _) => NetError::Auth(summary),
        (400..=499, Some(r)) if json.as_ref().is_some_and(|j| j.get("error").is_some()) => {
            NetError::Refused(r.to_owned())
        }
        _ => NetError::Unexpected(summary),
    }
}

fn describe(what: &str, e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("{what}: timed out");
    }
    let mut text = format!("{what}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// `/system/resource` is a one-element list on most versions and an object on some.
fn single_object(reply: Value) -> Option<Record> {
    match reply {
        Value::Object(o) => Some(o),
        Value::Array(rows) => rows.into_iter().next().and_then(|r| match r {
            Value::Object(o) => Some(o),
            _ => None,
        }),
        _ => None,
    }
}

/// A reply field as text ("" when absent); RouterOS sends every value as a string.
fn field<'a>(record: &'a Record, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn enabled(record: &Record) -> bool {
    !parse_bool(field(record, "disabled"))
}

/// RouterOS booleans: `true`/`yes` (any case) are true, anything else false.
pub(crate) fn parse_bool(value: &str) -> bool {
    value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("yes")
}

// Step texts (`Outcome::steps`), shared with the binary API client so both say the same.

/// `ppp/secret budi-ktw: profile 10M → ISOLIR, enabled`: the profile change (from `before`) and
/// the new `disabled` flag, each only when it changes.
pub(crate) fn secret_step(name: &str, before: &str, profile: Option<&str>, disabled: Option<bool>) -> String {
    let mut changes = Vec::new();
    if let Some(p) = profile {
        changes.push(format!("profile {before} → {p}"));
    }
    if let Some(d) = disabled {
        changes.push(if d { "disabled" } else { "enabled" }.to_owned());
    }
    format!("ppp/secret {name}: {}", changes.join(", "))
}

/// `ppp/active *80000001 (budi-ktw) removed`.
pub(crate) fn session_step(id: &str, name: &str) -> String {
    format!("ppp/active {id} ({name}) removed")
}

/// `address-list ISOLIR + 10.20.0.15`, or `… (enabled *3)` when a disabled entry was enabled.
pub(crate) fn list_added_step(list: &str, address: &str, enabled_id: Option<&str>) -> String {
    match enabled_id {
        Some(id) => format!("address-list {list} + {address} (enabled {id})"),
        None => format!("address-list {list} + {address}"),
    }
}

/// `address-list ISOLIR - 10.20.0.15 (*3)`.
pub(crate) fn list_removed_step(list: &str, address: &str, id: &str) -> String {
    format!("address-list {list} - {address} ({id})")
}

/// The secret was changed but kicking its sessions failed: the same kind of error, saying so.
pub(crate) fn kick_failed(name: &str, error: NetError) -> NetError {
    let note = |d: String| format!("ppp/secret {name} changed, kicking its sessions failed: {d}");
    match error {
        NetError::Unreachable(d) => NetError::Unreachable(note(d)),
        NetError::Auth(d) => NetError::Auth(note(d)),
        NetError::Refused(d) => NetError::Refused(note(d)),
        NetError::Unexpected(d) => NetError::Unexpected(note(d)),
    }
}

/// Percent-encodes a path segment or query component: everything but `A-Z a-z 0-9 - . _ ~`, so an
/// id `*1F` becomes `%2A1F`.
fn encode_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let joined: Vec<String> =
        pairs.iter().map(|(k, v)| format!("{}={}", encode_segment(k), encode_segment(v))).collect();
    if joined.is_empty() { String::new() } else { format!("?{}", joined.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_query_values_are_percent_encoded() {
        assert_eq!(encode_segment("*1F"), "%2A1F");
        assert_eq!(encode_segment("*80000001"), "%2A80000001");
        assert_eq!(encode_segment("budi ktw/1"), "budi%20ktw%2F1");
        assert_eq!(query_string(&[("list", "ISOLIR"), ("address", "10.20.0.15")]), "?list=ISOLIR&address=10.20.0.15");
        assert_eq!(query_string(&[]), "");
    }

    #[test]
    fn booleans_are_read_leniently() {
        assert!(parse_bool("true") && parse_bool("yes") && parse_bool("TRUE"));
        assert!(!parse_bool("false") && !parse_bool("no") && !parse_bool(""));
    }

    #[test]
    fn resource_may_be_an_object_or_a_one_element_list() {
        let obj = json!({"version": "7.16.2 (stable)"});
        assert_eq!(single_object(obj.clone()).map(|o| field(&o, "version").to_owned()), Some("7.16.2 (stable)".into()));
        assert_eq!(
            single_object(json!([obj])).map(|o| field(&o, "version").to_owned()),
            Some("7.16.2 (stable)".into())
        );
        assert!(single_object(json!([])).is_none());
    }

    #[test]
    fn errors_are_classified_from_status_and_body() {
        let s = |c| StatusCode::from_u16(c).expect("status");
        let dup = br#"{"error":400,"message":"Bad Request","detail":"failure: already have such entry"}"#;
        assert_eq!(classify("PUT x", s(400), dup), NetError::Refused("failure: already have such entry".into()));
        assert_eq!(
            classify("GET x", s(404), br#"{"error":404,"message":"Not Found"}"#),
            NetError::Refused("Not Found".into())
        );
        assert!(matches!(classify("GET x", s(401), br#"{"error":401,"message":"Unauthorized"}"#), NetError::Auth(_)));
        assert!(matches!(classify("GET x", s(403), b""), NetError::Auth(_)));
        assert!(matches!(
            classify("GET x", s(500), br#"{"error":500,"message":"Internal Server Error"}"#),
            NetError::Unexpected(_)
        ));
        assert!(matches!(classify("GET x", s(400), b"<html>"), NetError::Unexpected(_)));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let config = RouterOsConfig {
            base_url: "http://127.0.0.1:1/rest/".into(),
            username: "aglis".into(),
            password: "s3cret-pw".into(),
            timeout: Duration::from_secs(1),
            insecure_tls: false,
        };
        assert!(!format!("{config:?}").contains("s3cret-pw"));
        let client = RouterOs::new(config).expect("client");
        assert!(!format!("{client:?}").contains("s3cret-pw"));
        assert_eq!(client.base_url, "http://127.0.0.1:1");
        let bad = RouterOs::new(RouterOsConfig { base_url: "router.local".into(), ..RouterOsConfig::clone(&dummy()) });
        assert!(bad.is_err());
    }

    fn dummy() -> RouterOsConfig {
        RouterOsConfig {
            base_url: String::new(),
            username: String::new(),
            password: String::new(),
            timeout: Duration::from_secs(1),
            insecure_tls: true,
        }
    }
}
