//! A local MikroTik RouterOS binary API (port 8728 style) for tests and the demo
//! (spec/network-enforcement.md §5): a TCP listener on 127.0.0.1 speaking the real word codec,
//! over the same kind of in-memory tables as the REST fake ([`super::routeros_fake`]): string→string
//! records, `*N` ids (`*8000000N` for PPP sessions), the same defaults and uniqueness rules.
//!
//! `/login` (≥ 6.43 password flow, or the < 6.43 MD5 challenge with [`ApiBehavior::LegacyLogin`]),
//! then `/<menu>/print` (`?name=value` queries ANDed, `=.proplist=`), `add` (`!done =ret=*N`;
//! duplicates `!trap failure: already have such entry`), `set` and `remove` by `=.id=` or
//! `=numbers=` (unknown id: `!trap no such item`). Every `!trap` is followed by `!done`; replies
//! carry the command's `.tag`. Like a real router, changing a PPP secret leaves its session up.
//! Fault knobs ([`ApiBehavior`]), a command log, and [`FakeRouterOsApi::go_down`].

use super::routeros_api::{read_sentence, write_sentence};
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::io::BufStream;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

const MENUS: &[&str] = &["ip/firewall/address-list", "ppp/secret", "ppp/profile", "ppp/active", "queue/simple"];

/// How the fake answers from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiBehavior {
    Normal,
    /// Every command (the login too) is answered only after this long.
    Slow(Duration),
    /// Every write (`add`, `set`, `remove`, …) answers `!trap =message=<this>` and is not applied.
    Trap(String),
    /// The RouterOS < 6.43 login: `/login` answers `!done =ret=<challenge>`, and only
    /// `=response=00<md5(0 ++ password ++ challenge)>` logs in.
    LegacyLogin,
    /// The next command after a login is not run: the socket closes (once; then `Normal`).
    DropConnection,
    /// The next write is applied, then the socket closes without an answer (once; then `Normal`).
    ApplyThenDrop,
}

type Record = BTreeMap<String, String>;
type Sentence = Vec<String>;

#[derive(Debug)]
struct Inner {
    username: String,
    password: String,
    behavior: ApiBehavior,
    tables: BTreeMap<&'static str, Vec<Record>>,
    next_id: u64,
    next_session: u64,
    log: Vec<String>,
    writes: usize,
}

/// A fake RouterOS API on 127.0.0.1. Clones share the same router.
#[derive(Debug, Clone)]
pub struct FakeRouterOsApi {
    port: u16,
    inner: Arc<Mutex<Inner>>,
    running: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl FakeRouterOsApi {
    /// Starts on a free port of 127.0.0.1, accepting `username`/`password`.
    pub async fn start(username: &str, password: &str) -> std::io::Result<Self> {
        let inner = Inner {
            username: username.to_owned(),
            password: password.to_owned(),
            behavior: ApiBehavior::Normal,
            tables: MENUS.iter().map(|m| (*m, Vec::new())).collect(),
            next_id: 1,
            next_session: 0x8000_0001,
            log: Vec::new(),
            writes: 0,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let fake = Self { port, inner: Arc::new(Mutex::new(inner)), running: Arc::default() };
        fake.serve(listener);
        Ok(fake)
    }

    /// Accepts connections until [`Self::go_down`]; dropping the task drops the listener and
    /// aborts every connection.
    fn serve(&self, listener: TcpListener) {
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => { connections.spawn(converse(inner.clone(), stream)); }
                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    },
                    Some(_) = connections.join_next() => {}
                }
            }
        });
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `127.0.0.1:PORT`, for [`super::routeros_api::ApiConfig::address`].
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Inserts a record into `menu` directly (no uniqueness check, so tests can plant
    /// duplicates); fills RouterOS's defaults; returns its `.id`.
    pub fn add(&self, menu: &str, fields: &[(&str, &str)]) -> String {
        let fields = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.lock().insert(menu, fields)
    }

    /// The records of `menu`, in insertion order.
    pub fn records(&self, menu: &str) -> Vec<Record> {
        self.lock().tables.get(menu).cloned().unwrap_or_default()
    }

    /// Changes one field by hand (drift: someone edited the router in Winbox).
    pub fn set_field(&self, menu: &str, id: &str, field: &str, value: &str) {
        if let Some(r) = self.lock().tables.get_mut(menu).and_then(|t| t.iter_mut().find(|r| r[".id"] == id)) {
            r.insert(field.to_owned(), value.to_owned());
        }
    }

    /// Profile `ISOLIR` (the isolation profile) and the paid profiles `10M`, `20M`, `50M`.
    pub fn seed_isolation(&self) {
        self.add("ppp/profile", &[("name", "ISOLIR"), ("rate-limit", "256k/256k"), ("address-list", "ISOLIR")]);
        for (name, rate) in [("10M", "5M/10M"), ("20M", "10M/20M"), ("50M", "25M/50M")] {
            self.add("ppp/profile", &[("name", name), ("rate-limit", rate)]);
        }
    }

    pub fn set_behavior(&self, behavior: ApiBehavior) {
        self.lock().behavior = behavior;
    }

    /// Every command so far, its words joined by spaces without the `.tag`, e.g.
    /// `/ppp/secret/print =.proplist=.id,name ?name=x`, `/ppp/secret/set =.id=*1 =profile=ISOLIR`;
    /// a login's password or response shows as `***`.
    pub fn requests(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// How many writes changed something.
    pub fn writes(&self) -> usize {
        self.lock().writes
    }

    /// Forgets the command log and the write count.
    pub fn clear_log(&self) {
        let mut g = self.lock();
        g.log.clear();
        g.writes = 0;
    }

    /// The device goes down: the listener closes (connections are refused) and open connections
    /// are cut. The tables stay.
    pub async fn go_down(&self) {
        let task = self.running.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// The device comes back on the same port.
    pub async fn resume(&self) -> std::io::Result<()> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(([127, 0, 0, 1], self.port).into())?;
        self.serve(socket.listen(128)?);
        Ok(())
    }
}

/// What to do with one command: answer, or close the socket (after answering, for `!fatal`).
enum Answer {
    Reply(Vec<Sentence>),
    Close(Vec<Sentence>),
}

/// One client connection: login, then commands, until it hangs up.
async fn converse(inner: Arc<Mutex<Inner>>, stream: TcpStream) {
    let lock = || inner.lock().unwrap_or_else(PoisonError::into_inner);
    let mut stream = BufStream::new(stream);
    let (mut logged_in, mut challenge) = (false, None::<[u8; 16]>);
    while let Ok(words) = read_sentence(&mut stream).await {
        let Some((command, rest)) = words.split_first() else { continue };
        let tag = rest.iter().find(|w| w.starts_with(".tag=")).cloned();
        let rest: Vec<&str> = rest.iter().map(String::as_str).filter(|w| !w.starts_with(".tag=")).collect();
        let attrs = attributes(&rest);
        let behavior = {
            let mut g = lock();
            let secret = |w: &str| command == "/login" && (w.starts_with("=password=") || w.starts_with("=response="));
            let shown = rest.iter().map(|w| if secret(w) { format!("{}***", &w[..10]) } else { (*w).to_owned() });
            g.log.push(std::iter::once(command.clone()).chain(shown).collect::<Vec<_>>().join(" "));
            g.behavior.clone()
        };
        if let ApiBehavior::Slow(d) = behavior {
            tokio::time::sleep(d).await;
        }
        let answer = if command == "/login" {
            let (g, legacy) = (lock(), behavior == ApiBehavior::LegacyLogin);
            let name_ok = attrs.get("name") == Some(&g.username);
            match (legacy, attrs.get("response"), challenge) {
                (true, None, _) => {
                    let c: [u8; 16] = rand::random();
                    challenge = Some(c);
                    Answer::Reply(vec![vec!["!done".into(), format!("=ret={}", hex::encode(c))]])
                }
                (true, Some(r), Some(c)) if name_ok && *r == expected_response(&g.password, &c) => {
                    logged_in = true;
                    Answer::Reply(vec![vec!["!done".into()]])
                }
                (false, _, _) if name_ok && attrs.get("password") == Some(&g.password) => {
                    logged_in = true;
                    Answer::Reply(vec![vec!["!done".into()]])
                }
                _ => Answer::Reply(trap("invalid user name or password (6)")),
            }
        } else if !logged_in {
            Answer::Close(vec![vec!["!fatal".into(), "not logged in".into()]])
        } else {
            let mut g = lock();
            let write = !command.ends_with("/print");
            match behavior {
                ApiBehavior::DropConnection => {
                    g.behavior = ApiBehavior::Normal;
                    Answer::Close(Vec::new())
                }
                ApiBehavior::Trap(message) if write => Answer::Reply(trap(&message)),
                _ => {
                    let (replies, changed) = g.run(command, &rest);
                    g.writes += usize::from(changed);
                    if changed && behavior == ApiBehavior::ApplyThenDrop {
                        g.behavior = ApiBehavior::Normal;
                        Answer::Close(Vec::new())
                    } else {
                        Answer::Reply(replies)
                    }
                }
            }
        };
        let (replies, close) = match answer {
            Answer::Reply(r) => (r, false),
            Answer::Close(r) => (r, true),
        };
        for mut reply in replies {
            reply.extend(tag.clone());
            if write_sentence(&mut stream, &reply).await.is_err() {
                return;
            }
        }
        if close {
            return;
        }
    }
}

fn trap(message: &str) -> Vec<Sentence> {
    vec![vec!["!trap".into(), format!("=message={message}")], vec!["!done".into()]]
}

impl Inner {
    fn insert(&mut self, menu: &str, mut record: Record) -> String {
        let id = if menu == "ppp/active" {
            self.next_session += 1;
            format!("*{:X}", self.next_session - 1)
        } else {
            self.next_id += 1;
            format!("*{:X}", self.next_id - 1)
        };
        let defaults: &[(&str, &str)] = match menu {
            "ppp/active" => &[("service", "pppoe"), ("uptime", "1h2m3s"), ("radius", "false")],
            "ppp/secret" => &[("service", "any"), ("profile", "default"), ("disabled", "false")],
            "ip/firewall/address-list" => &[("dynamic", "false"), ("disabled", "false")],
            _ => &[("disabled", "false")],
        };
        for (k, v) in defaults {
            record.entry((*k).to_owned()).or_insert_with(|| (*v).to_owned());
        }
        record.insert(".id".into(), id.clone());
        let Some(key) = MENUS.iter().find(|m| **m == menu) else { panic!("the fake RouterOS has no menu {menu}") };
        self.tables.entry(key).or_default().push(record);
        id
    }

    fn find(&self, menu: &str, id: &str) -> Option<usize> {
        let table = self.tables.get(menu)?;
        table
            .iter()
            .position(|r| r[".id"] == id)
            .or_else(|| table.iter().position(|r| r.get("name").is_some_and(|n| n == id)))
    }

    /// Runs one logged-in command: the replies, and whether the tables changed.
    fn run(&mut self, command: &str, words: &[&str]) -> (Vec<Sentence>, bool) {
        let mut attrs = attributes(words);
        let Some((menu, verb)) = command.strip_prefix('/').and_then(|c| c.rsplit_once('/')) else {
            return (trap("no such command"), false);
        };
        let proplist = attrs.remove(".proplist");
        let props: Option<Vec<&str>> = proplist.as_deref().map(|p| p.split(',').collect());
        if menu == "system/resource" {
            return match verb {
                "print" => (vec![row(&resource(), props.as_deref()), vec!["!done".into()]], false),
                _ => (trap("no such command"), false),
            };
        }
        let Some(menu) = MENUS.iter().copied().find(|m| *m == menu) else {
            return (trap("no such command prefix"), false);
        };
        let ids: Vec<String> = attrs
            .remove(".id")
            .or_else(|| attrs.remove("numbers"))
            .map(|n| n.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        let writable = menu != "ppp/active";
        match verb {
            "print" => {
                let mut filters = Vec::new();
                for query in words.iter().filter_map(|w| w.strip_prefix('?')) {
                    match query.split_once('=') {
                        Some((k, v)) if !k.starts_with('#') => filters.push((k, v)),
                        _ => return (trap("fake: only ?name=value queries are supported"), false),
                    }
                }
                let mut replies: Vec<Sentence> = self.tables[menu]
                    .iter()
                    .filter(|r| filters.iter().all(|(k, v)| r.get(*k).is_some_and(|x| x == v)))
                    .map(|r| row(r, props.as_deref()))
                    .collect();
                replies.push(vec!["!done".into()]);
                (replies, false)
            }
            "add" if writable => {
                let key: &[&str] = if menu == "ip/firewall/address-list" { &["list", "address"] } else { &["name"] };
                let same = |r: &Record| key.iter().all(|k| r.get(*k) == attrs.get(*k));
                if key.iter().all(|k| attrs.contains_key(*k)) && self.tables[menu].iter().any(same) {
                    return (trap("failure: already have such entry"), false);
                }
                let id = self.insert(menu, normalize(attrs));
                (vec![vec!["!done".into(), format!("=ret={id}")]], true)
            }
            "set" if writable => {
                let Some(i) = ids.first().and_then(|id| self.find(menu, id)) else {
                    return (trap("no such item"), false);
                };
                let record = &mut self.tables.entry(menu).or_default()[i];
                let mut changed = false;
                for (k, v) in normalize(attrs) {
                    changed |= record.insert(k, v.clone()).as_ref() != Some(&v);
                }
                (vec![vec!["!done".into()]], changed)
            }
            "remove" => {
                let Some(found) = ids.iter().map(|id| self.find(menu, id)).collect::<Option<Vec<_>>>() else {
                    return (trap("no such item"), false);
                };
                let table = self.tables.entry(menu).or_default();
                let gone: Vec<String> = found.iter().map(|i| table[*i][".id"].clone()).collect();
                table.retain(|r| !gone.contains(&r[".id"]));
                (vec![vec!["!done".into()]], !gone.is_empty())
            }
            _ => (trap("no such command"), false),
        }
    }
}

/// What a RouterOS < 6.43 expects after its challenge `c` (computed here, apart from the client).
fn expected_response(password: &str, c: &[u8]) -> String {
    format!("00{}", hex::encode(Md5::new().chain_update([0]).chain_update(password).chain_update(c).finalize()))
}

/// The `=key=value` words of a command.
fn attributes(words: &[&str]) -> Record {
    let pairs = words.iter().filter_map(|w| w.strip_prefix('=')).map(|w| w.split_once('=').unwrap_or((w, "")));
    pairs.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// `disabled=yes/no` is stored as RouterOS prints it, `true/false`.
fn normalize(mut attrs: Record) -> Record {
    if let Some(d) = attrs.get_mut("disabled") {
        *d = if matches!(d.as_str(), "yes" | "true") { "true" } else { "false" }.to_owned();
    }
    attrs
}

/// One `!re` sentence, limited to `props` when a `.proplist` was given.
fn row(record: &Record, props: Option<&[&str]>) -> Sentence {
    let shown = record.iter().filter(|(k, _)| props.is_none_or(|p| p.contains(&k.as_str())));
    std::iter::once("!re".to_owned()).chain(shown.map(|(k, v)| format!("={k}={v}"))).collect()
}

/// A RouterOS 6 router's `/system/resource`.
fn resource() -> Record {
    [
        ("architecture-name", "arm"),
        ("board-name", "RB3011UiAS"),
        ("cpu-load", "3"),
        ("platform", "MikroTik"),
        ("uptime", "12d3h4m5s"),
        ("version", "6.49.17 (long-term)"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_legacy_response_is_a_known_answer() {
        let challenge = hex::decode("259e0bc05acd6f46926dc2f809ed1bba").expect("hex");
        assert_eq!(expected_response("test", &challenge), "00c7fd865183a43a772dde231f6d0bff13");
    }

    #[test]
    fn print_filters_and_limits_fields() {
        let mut fake = Inner {
            username: String::new(),
            password: String::new(),
            behavior: ApiBehavior::Normal,
            tables: MENUS.iter().map(|m| (*m, Vec::new())).collect(),
            next_id: 1,
            next_session: 0x8000_0001,
            log: Vec::new(),
            writes: 0,
        };
        let a = fake.insert("ppp/active", [("name".to_owned(), "a".to_owned())].into());
        assert_eq!(a, "*80000001");
        fake.insert("ppp/active", [("name".to_owned(), "b".to_owned())].into());
        let (replies, changed) = fake.run("/ppp/active/print", &["=.proplist=.id", "?name=a"]);
        assert!(!changed);
        assert_eq!(replies, [vec!["!re".to_owned(), "=.id=*80000001".into()], vec!["!done".into()]]);
        let (replies, _) = fake.run("/ppp/active/set", &[&format!("=.id={a}")]);
        assert_eq!(replies[0][1], "=message=no such command");
    }
}
