//! MikroTik RouterOS legacy ("binary") API client (spec/network-enforcement.md §2, §6): the
//! fallback for RouterOS 6 routers, which have no REST. It offers the same operations as
//! [`super::routeros::RouterOs`], with the same results and step texts.
//!
//! The protocol: TCP port 8728; sentences of length-prefixed words ending in a zero-length word;
//! a command is `/menu/verb` plus `=attr=value`, `?query=value` and `.tag=N` words; the router
//! answers `!re` rows, then `!done` (maybe with `=ret=`), or `!trap` (then `!done`), `!fatal`
//! (then closes), or `!empty` (v7.18+, a print without rows). Every operation opens a connection,
//! logs in (RouterOS ≥ 6.43 with the password; older ones answer a challenge, answered with MD5),
//! runs its commands, and closes. A connection that broke mid-operation is opened again for the
//! re-read that follows a failed write.
//!
//! Only plain TCP: api-ssl (8729) is not supported, and the ≥ 6.43 login sends the password in
//! clear, so reach routers over a management VLAN or VPN. Rules as in the REST client: records
//! are looked up by natural key each time, a failed write is followed by a re-read and counts as
//! done when the wanted state is there, an add is never retried blindly, sessions are kicked only
//! after the change is in place, and a dry run sends only `print`s.

use super::routeros::{
    DeviceInfo, PppState, kick_failed, list_added_step, list_removed_step, parse_bool, secret_step, session_step,
};
use super::{NetError, Outcome};
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;
use tokio::time::timeout;

const SECRET: &str = "ppp/secret";
const ACTIVE: &str = "ppp/active";
const ADDRESS_LIST: &str = "ip/firewall/address-list";
/// Only the fields used: a PPP secret's password never travels back.
const SECRET_PROPS: &str = ".id,name,profile,disabled,remote-address";
const ACTIVE_PROPS: &str = ".id,name,address";
const LIST_PROPS: &str = ".id,list,address,disabled";
const DEFAULT_PORT: u16 = 8728;
/// A longer word is taken for garbage rather than allocated.
const MAX_WORD: u32 = 16 << 20;

type Record = BTreeMap<String, String>;

/// How to reach one router's `api` service. `address` is `host:port` (`10.0.0.1:8728`; without a
/// port, 8728).
#[derive(Clone)]
pub struct ApiConfig {
    pub address: String,
    pub username: String,
    pub password: String,
    pub timeout: Duration,
}

impl fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiConfig")
            .field("address", &self.address)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A RouterOS binary-API client for one router.
#[derive(Clone)]
pub struct RouterOsApi {
    address: String,
    username: String,
    password: String,
    timeout: Duration,
}

impl fmt::Debug for RouterOsApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterOsApi")
            .field("address", &self.address)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl RouterOsApi {
    pub fn new(config: ApiConfig) -> Result<Self, NetError> {
        let address = normalize_address(&config.address)
            .ok_or_else(|| NetError::Unexpected(format!("not a host:port address: {}", config.address)))?;
        Ok(Self { address, username: config.username, password: config.password, timeout: config.timeout })
    }

    /// `/system/resource/print` → version and board, the "test connection" button.
    pub async fn health(&self) -> Result<DeviceInfo, NetError> {
        let rows = self.session().list("system/resource", "version,board-name,uptime", &[]).await?;
        let resource = rows.first().ok_or_else(|| NetError::Unexpected("system/resource: no record".into()))?;
        let text = |k: &str| field(resource, k).to_owned();
        if text("version").is_empty() {
            return Err(NetError::Unexpected("system/resource: no version".into()));
        }
        Ok(DeviceInfo { version: text("version"), board: text("board-name"), uptime: text("uptime") })
    }

    /// The PPP secret `name` and the number of its active sessions; `None` when there is no such secret.
    pub async fn ppp_state(&self, name: &str) -> Result<Option<PppState>, NetError> {
        let mut s = self.session();
        let Some(secret) = s.secret(name).await? else { return Ok(None) };
        let sessions = s.list(ACTIVE, ACTIVE_PROPS, &[("name", name)]).await?.len();
        let remote = field(&secret, "remote-address");
        Ok(Some(PppState {
            profile: field(&secret, "profile").to_owned(),
            disabled: parse_bool(field(&secret, "disabled")),
            remote_address: (!remote.is_empty()).then(|| remote.to_owned()),
            sessions,
        }))
    }

    /// Every PPP secret and the enabled addresses of `list`, on one connection.
    pub async fn snapshot(&self, list: &str) -> Result<super::Snapshot, NetError> {
        let mut s = self.session();
        let secrets = s.list(SECRET, "name,profile,disabled", &[]).await?;
        let entries = s.list(ADDRESS_LIST, LIST_PROPS, &[("list", list)]).await?;
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

    /// The PPP user whose session has `address` now.
    pub async fn session_user(&self, address: &str) -> Result<Option<String>, NetError> {
        let rows = self.session().list(ACTIVE, ACTIVE_PROPS, &[("address", address)]).await?;
        Ok(rows.first().map(|r| field(r, "name").to_owned()).filter(|n| !n.is_empty()))
    }

    /// Pattern (b), as [`super::routeros::RouterOs::ensure_ppp_profile`]: the secret gets `profile`
    /// and is enabled; a profile change kicks its sessions; `previous` is the profile replaced.
    pub async fn ensure_ppp_profile(&self, name: &str, profile: &str, dry_run: bool) -> Result<Outcome, NetError> {
        self.session().converge_secret(name, Some(profile), false, dry_run).await
    }

    /// Pattern (a): the secret's `disabled` flag; when it became disabled, its sessions are kicked.
    pub async fn ensure_ppp_disabled(&self, name: &str, disabled: bool, dry_run: bool) -> Result<Outcome, NetError> {
        self.session().converge_secret(name, None, disabled, dry_run).await
    }

    /// Removes every active session of `name` (none = nothing to do); safe to repeat.
    pub async fn kick(&self, name: &str, dry_run: bool) -> Result<Outcome, NetError> {
        let mut outcome = Outcome::default();
        self.session().kick_into(name, dry_run, &mut outcome).await?;
        Ok(outcome)
    }

    /// Whether an enabled entry for `address` is in firewall address list `list`.
    pub async fn listed(&self, list: &str, address: &str) -> Result<bool, NetError> {
        self.session().listed(list, address).await
    }

    /// Pattern (c), as [`super::routeros::RouterOs::ensure_listed`]: adds the entry unless an enabled
    /// one exists (a disabled one is enabled; "already have such entry" / "already exists" counts as
    /// done), or removes every entry for `list` + `address` ("no such item" counts as done).
    pub async fn ensure_listed(
        &self,
        list: &str,
        address: &str,
        comment: &str,
        listed: bool,
        dry_run: bool,
    ) -> Result<Outcome, NetError> {
        let mut s = self.session();
        let query = [("list", list), ("address", address)];
        let entries = s.list(ADDRESS_LIST, LIST_PROPS, &query).await?;
        let mut outcome = Outcome::default();
        if !listed {
            let step = |id: &str| list_removed_step(list, address, id);
            s.delete_all(ADDRESS_LIST, LIST_PROPS, &query, &entries, step, dry_run, &mut outcome).await?;
            return Ok(outcome);
        }
        if entries.iter().any(enabled) {
            return Ok(outcome);
        }
        let (words, step) = match entries.first() {
            Some(e) => {
                let id = field(e, ".id");
                let words = vec![format!("/{ADDRESS_LIST}/set"), format!("=.id={id}"), "=disabled=no".into()];
                (words, list_added_step(list, address, Some(id)))
            }
            None => {
                let words = vec![
                    format!("/{ADDRESS_LIST}/add"),
                    format!("=list={list}"),
                    format!("=address={address}"),
                    format!("=comment={comment}"),
                ];
                (words, list_added_step(list, address, None))
            }
        };
        outcome.changed = true;
        outcome.steps.push(step);
        if dry_run {
            return Ok(outcome);
        }
        if let Err(f) = s.run(words).await {
            if f.trap.as_deref().is_some_and(|m| m.contains("already have such entry") || m.contains("already exists"))
            {
                return Ok(Outcome::default());
            }
            if !f.may_have_applied() || !s.listed(list, address).await.unwrap_or(false) {
                return Err(f.error);
            }
            tracing::warn!(list, address, error = %f.error, "address-list write failed but re-read shows it applied");
        }
        Ok(outcome)
    }

    fn session(&self) -> Session<'_> {
        Session { api: self, conn: None }
    }

    /// Connects and logs in, all within the time-out.
    async fn open(&self) -> Result<Connection<BufStream<TcpStream>>, Failure> {
        let address = &self.address;
        let stream = match timeout(self.timeout, TcpStream::connect(address)).await {
            Err(_) => return Err(Failure::lost(NetError::Unreachable(format!("{address}: connecting timed out")))),
            Ok(Err(e)) => return Err(Failure::lost(NetError::Unreachable(format!("{address}: {e}")))),
            Ok(Ok(s)) => s,
        };
        let _ = stream.set_nodelay(true);
        let mut conn = Connection::new(BufStream::new(stream));
        match timeout(self.timeout, conn.login(&self.username, &self.password)).await {
            Err(_) => Err(Failure::lost(NetError::Unreachable("/login: timed out".into()))),
            Ok(result) => result.map(|()| conn),
        }
    }
}

/// A failed command: the error, the `!trap` message if the router refused it, and whether the
/// connection is unusable now.
#[derive(Debug)]
struct Failure {
    error: NetError,
    trap: Option<String>,
    lost: bool,
}

impl Failure {
    fn lost(error: NetError) -> Self {
        Self { error, trap: None, lost: true }
    }

    /// `!trap`: missing rights are [`NetError::Auth`], anything else [`NetError::Refused`].
    fn trapped(what: &str, message: String) -> Self {
        let error = if message.contains("not enough permissions") {
            NetError::Auth(format!("{what}: {message}"))
        } else {
            NetError::Refused(message.clone())
        };
        Self { error, trap: Some(message), lost: false }
    }

    fn is_not_found(&self) -> bool {
        self.trap.as_deref().is_some_and(|m| m.contains("no such item"))
    }

    /// Whether the write may have been applied anyway, so the state must be re-read.
    fn may_have_applied(&self) -> bool {
        !matches!(self.error, NetError::Auth(_)) && !self.is_not_found()
    }
}

/// The answer to one command: its `!re` rows and the `=ret=` of its `!done`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Reply {
    rows: Vec<Record>,
    ret: Option<String>,
}

/// One operation's connection, opened on first use and again after it broke.
struct Session<'a> {
    api: &'a RouterOsApi,
    conn: Option<Connection<BufStream<TcpStream>>>,
}

impl Session<'_> {
    /// Runs one command within the time-out (a time-out is [`NetError::Unreachable`]).
    async fn run(&mut self, words: Vec<String>) -> Result<Reply, Failure> {
        let conn = match self.conn.take() {
            Some(c) => c,
            None => self.api.open().await?,
        };
        let conn = self.conn.insert(conn);
        let what = words.first().cloned().unwrap_or_default();
        let result = match timeout(self.api.timeout, conn.exchange(&words)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::lost(NetError::Unreachable(format!("{what}: timed out")))),
        };
        if result.as_ref().is_err_and(|f| f.lost) {
            self.conn = None;
        }
        result
    }

    /// `/<menu>/print =.proplist=… ?k=v…`: the matching records.
    async fn list(&mut self, menu: &str, props: &str, query: &[(&str, &str)]) -> Result<Vec<Record>, NetError> {
        let mut words = vec![format!("/{menu}/print"), format!("=.proplist={props}")];
        words.extend(query.iter().map(|(k, v)| format!("?{k}={v}")));
        Ok(self.run(words).await.map_err(|f| f.error)?.rows)
    }

    async fn secret(&mut self, name: &str) -> Result<Option<Record>, NetError> {
        Ok(self.list(SECRET, SECRET_PROPS, &[("name", name)]).await?.into_iter().next())
    }

    async fn listed(&mut self, list: &str, address: &str) -> Result<bool, NetError> {
        Ok(self.list(ADDRESS_LIST, LIST_PROPS, &[("list", list), ("address", address)]).await?.iter().any(enabled))
    }

    async fn converge_secret(
        &mut self,
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
        let new_profile = profile.filter(|p| *p != before);
        let flip = (was_disabled != disabled).then_some(disabled);
        let mut outcome = Outcome {
            changed: true,
            steps: vec![secret_step(name, &before, new_profile, flip)],
            previous: new_profile.map(|_| before.clone()),
        };
        if !dry_run {
            let mut words = vec![format!("/{SECRET}/set"), format!("=.id={}", field(&secret, ".id"))];
            words.extend(new_profile.map(|p| format!("=profile={p}")));
            words.extend(flip.map(|d| format!("=disabled={}", if d { "yes" } else { "no" })));
            if let Err(f) = self.run(words).await {
                if !f.may_have_applied() || !self.secret(name).await.ok().flatten().is_some_and(|s| wanted(&s)) {
                    return Err(f.error);
                }
                tracing::warn!(name, error = %f.error, "ppp/secret write failed but re-read shows it applied");
            }
        }
        if new_profile.is_some() || (disabled && !was_disabled) {
            self.kick_into(name, dry_run, &mut outcome).await.map_err(|e| kick_failed(name, e))?;
        }
        Ok(outcome)
    }

    /// Removes each active session of `name`.
    async fn kick_into(&mut self, name: &str, dry_run: bool, outcome: &mut Outcome) -> Result<(), NetError> {
        let query = [("name", name)];
        let sessions = self.list(ACTIVE, ACTIVE_PROPS, &query).await?;
        let step = |id: &str| session_step(id, name);
        self.delete_all(ACTIVE, ACTIVE_PROPS, &query, &sessions, step, dry_run, outcome).await
    }

    /// Removes `rows` of `menu` one by one ("no such item" = already gone). After a failure, done
    /// if re-reading `query` finds none left; else the first error.
    #[allow(clippy::too_many_arguments)]
    async fn delete_all(
        &mut self,
        menu: &str,
        props: &str,
        query: &[(&str, &str)],
        rows: &[Record],
        step: impl Fn(&str) -> String,
        dry_run: bool,
        outcome: &mut Outcome,
    ) -> Result<(), NetError> {
        let (mut failed, mut unconfirmed) = (None, Vec::new());
        for id in rows.iter().map(|r| field(r, ".id")) {
            let removed = dry_run
                || match self.run(vec![format!("/{menu}/remove"), format!("=.id={id}")]).await {
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
            if !self.list(menu, props, query).await.is_ok_and(|left| left.is_empty()) {
                return Err(error);
            }
            tracing::warn!(menu, error = %error, "remove failed but re-read shows the records gone");
            outcome.changed = true;
            outcome.steps.extend(unconfirmed);
        }
        Ok(())
    }
}

/// A logged-in (or logging-in) API connection. Each command carries its own `.tag`, so a late
/// `!done` that follows an `!empty` is recognised as the previous command's and skipped.
struct Connection<S> {
    stream: S,
    tag: u32,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    fn new(stream: S) -> Self {
        Self { stream, tag: 0 }
    }

    /// `/login =name= =password=`; a `=ret=` challenge in the answer means RouterOS < 6.43, which
    /// wants `=response=00<md5(0 ++ password ++ challenge)>` instead. A `!trap` is bad credentials.
    async fn login(&mut self, username: &str, password: &str) -> Result<(), Failure> {
        let auth = |f: Failure| match f.trap {
            Some(message) => Failure::lost(NetError::Auth(format!("/login: {message}"))),
            None => f,
        };
        let words = ["/login".to_owned(), format!("=name={username}"), format!("=password={password}")];
        let Some(challenge) = self.exchange(&words).await.map_err(auth)?.ret else { return Ok(()) };
        let challenge = from_hex(&challenge)
            .ok_or_else(|| Failure::lost(NetError::Unexpected("/login: the challenge is not hex".into())))?;
        let response = legacy_response(password, &challenge);
        let words = ["/login".to_owned(), format!("=name={username}"), format!("=response={response}")];
        self.exchange(&words).await.map_err(auth).map(drop)
    }

    /// Sends one command and reads its replies up to `!done` (or `!empty`).
    async fn exchange(&mut self, words: &[String]) -> Result<Reply, Failure> {
        let what = words.first().map_or("", String::as_str);
        let broken = |e: io::Error| {
            let text = match e.kind() {
                io::ErrorKind::UnexpectedEof => format!("{what}: the router closed the connection"),
                _ => format!("{what}: {e}"),
            };
            Failure::lost(match e.kind() {
                io::ErrorKind::InvalidData => NetError::Unexpected(text),
                _ => NetError::Unreachable(text),
            })
        };
        self.tag = self.tag.wrapping_add(1);
        let tag = self.tag.to_string();
        let mut sentence = words.to_vec();
        sentence.push(format!(".tag={tag}"));
        write_sentence(&mut self.stream, &sentence).await.map_err(broken)?;
        let mut reply = Reply::default();
        let mut trap = None;
        loop {
            let sentence = match read_sentence(&mut self.stream).await {
                Ok(s) => s,
                // A trap, then the router hung up: the trap is the answer.
                Err(_) if trap.is_some() => {
                    let mut f = Failure::trapped(what, trap.unwrap_or_default());
                    f.lost = true;
                    return Err(f);
                }
                Err(e) => return Err(broken(e)),
            };
            let Some((kind, mut attributes, words_tag)) = parse_reply(&sentence) else { continue };
            if words_tag.is_some_and(|t| t != tag) {
                continue;
            }
            match kind {
                "!re" => reply.rows.push(attributes),
                "!trap" => trap = trap.or_else(|| Some(attributes.remove("message").unwrap_or_else(|| "!trap".into()))),
                "!done" | "!empty" => {
                    if let Some(message) = trap {
                        return Err(Failure::trapped(what, message));
                    }
                    reply.ret = attributes.remove("ret");
                    return Ok(reply);
                }
                "!fatal" => {
                    let plain: Vec<&str> =
                        sentence[1..].iter().map(String::as_str).filter(|w| !w.starts_with(['=', '.'])).collect();
                    let message = attributes.remove("message").unwrap_or_else(|| plain.join(" "));
                    return Err(Failure::lost(NetError::Unexpected(format!("{what}: !fatal {message}"))));
                }
                other => return Err(Failure::lost(NetError::Unexpected(format!("{what}: unknown reply {other}")))),
            }
        }
    }
}

/// A reply sentence: its kind (`!re`, …), its `=key=value` attributes and its `.tag`. `None` for
/// an empty sentence (ignored, as the protocol says).
fn parse_reply(sentence: &[String]) -> Option<(&str, Record, Option<&str>)> {
    let (kind, words) = sentence.split_first()?;
    let mut attributes = Record::new();
    let mut tag = None;
    for word in words {
        if let Some(rest) = word.strip_prefix('=') {
            let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
            attributes.insert(k.to_owned(), v.to_owned());
        } else if let Some(t) = word.strip_prefix(".tag=") {
            tag = Some(t);
        }
    }
    Some((kind.as_str(), attributes, tag))
}

fn field<'a>(record: &'a Record, key: &str) -> &'a str {
    record.get(key).map_or("", String::as_str)
}

fn enabled(record: &Record) -> bool {
    !parse_bool(field(record, "disabled"))
}

/// `host:port`, `[v6]:port`, or a bare host / address (port 8728); `None` when unusable.
fn normalize_address(address: &str) -> Option<String> {
    let a = address.trim();
    if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '/') {
        return None;
    }
    let port_ok = |p: &str| p.parse::<u16>().is_ok_and(|p| p != 0);
    if let Ok(ip) = a.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, DEFAULT_PORT).to_string());
    }
    if let Some(rest) = a.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        host.parse::<Ipv6Addr>().ok()?;
        return match tail.strip_prefix(':') {
            None if tail.is_empty() => Some(format!("[{host}]:{DEFAULT_PORT}")),
            Some(port) if port_ok(port) => Some(a.to_owned()),
            _ => None,
        };
    }
    match a.split_once(':') {
        None => Some(format!("{a}:{DEFAULT_PORT}")),
        Some((host, port)) => (!host.is_empty() && port_ok(port)).then(|| a.to_owned()),
    }
}

/// The < 6.43 login answer: `00` + hex(md5(0x00 ++ password ++ challenge)).
fn legacy_response(password: &str, challenge: &[u8]) -> String {
    let mut md5 = Md5::new();
    md5.update([0u8]);
    md5.update(password.as_bytes());
    md5.update(challenge);
    format!("00{}", to_hex(&md5.finalize()))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

// The word codec.

/// A word's length prefix: 1 byte below 0x80, 2 below 0x4000, 3 below 0x200000, 4 below
/// 0x10000000, else 0xF0 and 4 bytes; big-endian.
fn encode_length(len: u32) -> Vec<u8> {
    let b = len.to_be_bytes();
    match len {
        0..0x80 => vec![b[3]],
        0x80..0x4000 => (len | 0x8000).to_be_bytes()[2..].to_vec(),
        0x4000..0x20_0000 => (len | 0xC0_0000).to_be_bytes()[1..].to_vec(),
        0x20_0000..0x1000_0000 => (len | 0xE000_0000).to_be_bytes().to_vec(),
        _ => vec![0xF0, b[0], b[1], b[2], b[3]],
    }
}

/// How many bytes a length prefix starting with `first` has; `None` for the reserved control
/// bytes (0xF1..).
fn length_size(first: u8) -> Option<usize> {
    match first {
        0x00..=0x7F => Some(1),
        0x80..=0xBF => Some(2),
        0xC0..=0xDF => Some(3),
        0xE0..=0xEF => Some(4),
        0xF0 => Some(5),
        _ => None,
    }
}

/// Decodes a whole length prefix (as long as [`length_size`] says).
fn decode_length(prefix: &[u8]) -> Option<u32> {
    let (&first, rest) = prefix.split_first()?;
    if length_size(first)? != prefix.len() {
        return None;
    }
    let top = match prefix.len() {
        1 => u32::from(first),
        2 => u32::from(first & 0x3F),
        3 => u32::from(first & 0x1F),
        4 => u32::from(first & 0x0F),
        _ => 0,
    };
    Some(rest.iter().fold(top, |acc, b| acc << 8 | u32::from(*b)))
}

fn encode_sentence(words: &[String]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for word in words.iter().filter(|w| !w.is_empty()) {
        let len =
            u32::try_from(word.len()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "word too long"))?;
        out.extend(encode_length(len));
        out.extend(word.as_bytes());
    }
    out.push(0);
    Ok(out)
}

pub(crate) async fn write_sentence<W: AsyncWrite + Unpin>(w: &mut W, words: &[String]) -> io::Result<()> {
    w.write_all(&encode_sentence(words)?).await?;
    w.flush().await
}

/// Reads words up to the zero-length one (text decoded leniently).
pub(crate) async fn read_sentence<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Vec<String>> {
    let mut words = Vec::new();
    loop {
        let mut prefix = [0u8; 5];
        prefix[0] = r.read_u8().await?;
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
        let size = length_size(prefix[0]).ok_or_else(|| invalid("reserved control byte"))?;
        r.read_exact(&mut prefix[1..size]).await?;
        let len = decode_length(&prefix[..size]).ok_or_else(|| invalid("bad length"))?;
        if len == 0 {
            return Ok(words);
        }
        if len > MAX_WORD {
            return Err(invalid("word too long"));
        }
        let mut word = vec![0; len as usize];
        r.read_exact(&mut word).await?;
        words.push(String::from_utf8_lossy(&word).into_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn lengths_are_encoded_at_every_boundary() {
        let cases: &[(u32, &[u8])] = &[
            (0, &[0x00]),
            (0x7F, &[0x7F]),
            (0x80, &[0x80, 0x80]),
            (0x3FFF, &[0xBF, 0xFF]),
            (0x4000, &[0xC0, 0x40, 0x00]),
            (0x1F_FFFF, &[0xDF, 0xFF, 0xFF]),
            (0x20_0000, &[0xE0, 0x20, 0x00, 0x00]),
            (0xFFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
            (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
            (u32::MAX, &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]),
        ];
        for (len, bytes) in cases {
            assert_eq!(encode_length(*len), *bytes, "{len:#x}");
            assert_eq!(length_size(bytes[0]), Some(bytes.len()), "{len:#x}");
            assert_eq!(decode_length(bytes), Some(*len), "{len:#x}");
        }
        assert_eq!(length_size(0xF8), None, "a reserved control byte");
        assert_eq!(decode_length(&[0x80]), None, "a cut prefix");
    }

    #[tokio::test]
    async fn words_of_each_prefix_size_round_trip_through_a_sentence() {
        let lens = [1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000];
        let sentence: Vec<String> = lens.iter().map(|n| "x".repeat(*n)).collect();
        let mut bytes = encode_sentence(&sentence).expect("encode");
        bytes.extend(encode_sentence(&words(&["!done", "=ret=*1F"])).expect("encode"));
        let mut input = bytes.as_slice();
        let first = read_sentence(&mut input).await.expect("first");
        assert_eq!(first.iter().map(String::len).collect::<Vec<_>>(), lens);
        assert_eq!(read_sentence(&mut input).await.expect("second"), ["!done", "=ret=*1F"]);
        let end = read_sentence(&mut input).await.expect_err("nothing left");
        assert_eq!(end.kind(), io::ErrorKind::UnexpectedEof);
        let control: &[u8] = &[0xF8, 0];
        assert_eq!(read_sentence(&mut &control[..]).await.map_err(|e| e.kind()), Err(io::ErrorKind::InvalidData));
    }

    #[test]
    fn reply_words_split_at_the_second_equals_sign() {
        let sentence = words(&["!re", "=.id=*1", "=comment=a=b", "=flag", ".tag=7"]);
        let (kind, attributes, tag) = parse_reply(&sentence).expect("sentence");
        assert_eq!((kind, tag), ("!re", Some("7")));
        assert_eq!((&attributes[".id"][..], &attributes["comment"][..], &attributes["flag"][..]), ("*1", "a=b", ""));
        assert!(parse_reply(&[]).is_none());
    }

    type Heard = std::sync::Arc<std::sync::Mutex<Vec<Vec<String>>>>;

    /// A scripted router on the other end of an in-memory pipe: for each command it reads (and
    /// keeps in `Heard`), it sends the next group of replies, `{tag}` replaced by the command's tag.
    async fn scripted(script: Vec<Vec<Vec<&'static str>>>) -> (Connection<tokio::io::DuplexStream>, Heard) {
        let (client, mut router) = tokio::io::duplex(1 << 16);
        let heard = Heard::default();
        let log = heard.clone();
        tokio::spawn(async move {
            for replies in script {
                let Ok(command) = read_sentence(&mut router).await else { return };
                let tag = command.iter().find_map(|w| w.strip_prefix(".tag=")).unwrap_or_default().to_owned();
                log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(command);
                for reply in replies {
                    let reply: Vec<String> = reply.iter().map(|w| w.replace("{tag}", &tag)).collect();
                    if write_sentence(&mut router, &reply).await.is_err() {
                        return;
                    }
                }
            }
        });
        (Connection::new(client), heard)
    }

    #[tokio::test]
    async fn replies_rows_traps_empty_ret_and_fatal() {
        let (mut conn, heard) = scripted(vec![
            vec![
                vec!["!re", "=.id=*1", "=name=a", ".tag={tag}"],
                vec!["!re", "=name=b", ".tag={tag}"],
                vec!["!done", ".tag={tag}"],
            ],
            vec![vec!["!trap", "=message=failure: already have such entry", ".tag={tag}"], vec!["!done", ".tag={tag}"]],
            vec![vec!["!empty", ".tag={tag}"], vec!["!done", ".tag={tag}"]],
            vec![vec!["!done", "=ret=*9", ".tag={tag}"]],
            vec![vec!["!trap", "=message=no such item", ".tag={tag}"], vec!["!done", ".tag={tag}"]],
            vec![vec!["!trap", "=message=not enough permissions (9)", ".tag={tag}"], vec!["!done", ".tag={tag}"]],
            vec![vec!["!fatal", "session terminated on request"]],
        ])
        .await;
        let reply = conn.exchange(&words(&["/ppp/secret/print"])).await.expect("rows");
        assert_eq!(reply.rows.iter().map(|r| &r["name"][..]).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(reply.ret, None);
        let dup = conn.exchange(&words(&["/ip/firewall/address-list/add"])).await.expect_err("trap");
        assert_eq!(dup.error, NetError::Refused("failure: already have such entry".into()));
        assert!(!dup.lost && !dup.is_not_found() && dup.may_have_applied());
        let empty = conn.exchange(&words(&["/ppp/active/print"])).await.expect("no rows");
        assert_eq!(empty, Reply::default());
        let added = conn.exchange(&words(&["/ppp/secret/add"])).await.expect("added, the stale !done skipped");
        assert_eq!(added.ret.as_deref(), Some("*9"));
        let gone = conn.exchange(&words(&["/ppp/active/remove"])).await.expect_err("trap");
        assert!(gone.is_not_found() && !gone.may_have_applied());
        let rights = conn.exchange(&words(&["/ppp/secret/set"])).await.expect_err("trap");
        assert!(matches!(&rights.error, NetError::Auth(d) if d.contains("not enough permissions")), "{rights:?}");
        let fatal = conn.exchange(&words(&["/ppp/secret/print"])).await.expect_err("fatal");
        assert!(fatal.lost);
        assert_eq!(fatal.error, NetError::Unexpected("/ppp/secret/print: !fatal session terminated on request".into()));
        let tags: Vec<String> =
            heard.lock().map(|h| h.iter().map(|c| c[c.len() - 1].clone()).collect()).unwrap_or_default();
        assert_eq!(tags, (1..=7).map(|n| format!(".tag={n}")).collect::<Vec<_>>());
    }

    #[test]
    fn the_legacy_response_matches_a_known_answer() {
        // The challenge/answer pair in the librouteros (Python) unit tests, checked with hashlib.
        let challenge = from_hex("259e0bc05acd6f46926dc2f809ed1bba").expect("hex");
        assert_eq!(legacy_response("test", &challenge), "00c7fd865183a43a772dde231f6d0bff13");
        assert_eq!(to_hex(&[0, 0xAB, 0x10]), "00ab10");
        assert_eq!((from_hex("abc"), from_hex("zz")), (None, None));
    }

    #[tokio::test]
    async fn login_answers_the_legacy_challenge() {
        let (mut conn, heard) = scripted(vec![
            vec![vec!["!done", "=ret=259e0bc05acd6f46926dc2f809ed1bba", ".tag={tag}"]],
            vec![vec!["!done", ".tag={tag}"]],
        ])
        .await;
        conn.login("admin", "test").await.expect("logged in");
        let heard = heard.lock().map(|h| h.clone()).unwrap_or_default();
        assert_eq!(
            heard,
            [
                vec!["/login", "=name=admin", "=password=test", ".tag=1"],
                vec!["/login", "=name=admin", "=response=00c7fd865183a43a772dde231f6d0bff13", ".tag=2"]
            ]
        );
        let (mut refused, _) = scripted(vec![vec![
            vec!["!trap", "=message=invalid user name or password (6)", ".tag={tag}"],
            vec!["!done", ".tag={tag}"],
        ]])
        .await;
        let err = refused.login("admin", "wrong").await.expect_err("bad password");
        assert_eq!(err.error, NetError::Auth("/login: invalid user name or password (6)".into()));
    }

    #[test]
    fn addresses_get_the_api_port_and_debug_hides_the_password() {
        let ok = |a: &str| normalize_address(a);
        assert_eq!(ok("10.0.0.1:8728").as_deref(), Some("10.0.0.1:8728"));
        assert_eq!(ok(" 10.0.0.1 ").as_deref(), Some("10.0.0.1:8728"));
        assert_eq!(ok("router.lan").as_deref(), Some("router.lan:8728"));
        assert_eq!(ok("fe80::1").as_deref(), Some("[fe80::1]:8728"));
        assert_eq!(ok("[fe80::1]:8729").as_deref(), Some("[fe80::1]:8729"));
        for bad in ["", "10.0.0.1:", "10.0.0.1:x", ":8728", "http://10.0.0.1", "10.0.0.1:0", "[zz]:1"] {
            assert_eq!(ok(bad), None, "{bad}");
        }
        let config = ApiConfig {
            address: "10.0.0.1".into(),
            username: "aglis".into(),
            password: "s3cret-pw".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{config:?}").contains("s3cret-pw"));
        let api = RouterOsApi::new(config.clone()).expect("client");
        assert!(!format!("{api:?}").contains("s3cret-pw"));
        assert!(RouterOsApi::new(ApiConfig { address: "a b".into(), ..config }).is_err());
    }
}
