//! A local MikroTik RouterOS v7 REST endpoint for tests and the demo (spec/network-enforcement.md §5):
//! in-memory tables of string→string records behind `/rest/<menu>`, with RouterOS's answer shapes.
//! `GET` lists (equality filters, `.proplist`) or reads one record by id (or name), `PUT` adds with the
//! real uniqueness failures, `PATCH` sets, `DELETE` removes (empty 200; a second time 404), `POST`
//! runs `print` / `remove` / `set` / `add`. Like a real router, disabling a PPP secret or changing
//! its profile leaves its `ppp/active` session up. Fault knobs ([`Behavior`]), a request log, and
//! [`FakeRouterOs::go_down`] (connections refused) let tests provoke every failure the client handles.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The menus the fake knows, longest first so `ppp/secret` wins over a shorter prefix.
const MENUS: &[&str] =
    &["ip/firewall/address-list", "system/resource", "ppp/secret", "ppp/profile", "ppp/active", "queue/simple"];

/// How the fake answers from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    Normal,
    /// Answer (and apply) only after this long, to provoke client time-outs.
    Slow(Duration),
    /// Every request: 500 `{"error":500,"message":"Internal Server Error"}`, nothing applied.
    ServerError,
    /// Reads answer normally; every write answers 500 and is not applied.
    ServerErrorOnWrites,
    /// Every request: 401 `{"error":401,"message":"Unauthorized"}`, whatever the credentials.
    Unauthorized,
    /// Writes are applied, then answered 400 `Session closed`, as RouterOS sometimes does.
    FailButApply,
}

type Record = BTreeMap<String, String>;

#[derive(Debug)]
struct Inner {
    username: String,
    password: String,
    behavior: Behavior,
    tables: BTreeMap<&'static str, Vec<Record>>,
    next_id: u64,
    next_session: u64,
    log: Vec<String>,
    writes: usize,
}

/// One answer: status, JSON body (`Null` = empty body), and whether the tables changed.
struct Reply(u16, Value, bool);

fn error(code: u16, message: &str, detail: Option<&str>) -> Reply {
    let mut body = json!({"error": code, "message": message});
    if let Some(d) = detail {
        body["detail"] = d.into();
    }
    Reply(code, body, false)
}

fn bad_request(detail: &str) -> Reply {
    error(400, "Bad Request", Some(detail))
}

fn not_found() -> Reply {
    error(404, "Not Found", None)
}

/// A running listener: the shutdown trigger and its task.
type Running = (oneshot::Sender<()>, JoinHandle<()>);

/// A fake RouterOS on 127.0.0.1 (plain HTTP). Clones share the same router.
#[derive(Debug, Clone)]
pub struct FakeRouterOs {
    port: u16,
    inner: Arc<Mutex<Inner>>,
    running: Arc<Mutex<Option<Running>>>,
}

impl FakeRouterOs {
    /// Starts on a free port of 127.0.0.1, accepting Basic auth `username`/`password`.
    pub async fn start(username: &str, password: &str) -> std::io::Result<Self> {
        let inner = Inner {
            username: username.to_owned(),
            password: password.to_owned(),
            behavior: Behavior::Normal,
            tables: MENUS.iter().map(|m| (*m, Vec::new())).collect(),
            next_id: 1,
            next_session: 0x8000_0001,
            log: Vec::new(),
            writes: 0,
        };
        let fake = Self { port: 0, inner: Arc::new(Mutex::new(inner)), running: Arc::default() };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let fake = Self { port: listener.local_addr()?.port(), ..fake };
        fake.serve(listener);
        Ok(fake)
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let app = Router::new().fallback(handle).with_state(self.inner.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = Some((stop, task));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `http://127.0.0.1:PORT`; the client appends `/rest/…`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Inserts a record into `menu` directly (no uniqueness check, so tests can plant the
    /// duplicates old configs contain); fills RouterOS's defaults; returns its `.id`.
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

    /// Removes one record by hand (e.g. a PPP session that ended by itself).
    pub fn remove(&self, menu: &str, id: &str) {
        if let Some(t) = self.lock().tables.get_mut(menu) {
            t.retain(|r| r[".id"] != id);
        }
    }

    /// Profile `ISOLIR` (the isolation profile) and the paid profiles `10M`, `20M`, `50M`.
    pub fn seed_isolation(&self) {
        self.add("ppp/profile", &[("name", "ISOLIR"), ("rate-limit", "256k/256k"), ("address-list", "ISOLIR")]);
        for (name, rate) in [("10M", "5M/10M"), ("20M", "10M/20M"), ("50M", "25M/50M")] {
            self.add("ppp/profile", &[("name", name), ("rate-limit", rate)]);
        }
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        self.lock().behavior = behavior;
    }

    /// Every request so far, e.g. `GET /rest/ppp/secret?name=x`, `DELETE /rest/ppp/active/*80000001`
    /// (ids and query decoded).
    pub fn requests(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// How many write requests changed something.
    pub fn writes(&self) -> usize {
        self.lock().writes
    }

    /// Forgets the request log and the write count.
    pub fn clear_log(&self) {
        let mut g = self.lock();
        g.log.clear();
        g.writes = 0;
    }

    /// The device goes down: the listener closes (connections are refused) and open connections
    /// are shut. The tables stay.
    pub async fn go_down(&self) {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some((stop, task)) = running {
            let _ = stop.send(());
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task).await.is_err() {
                abort.abort();
            }
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

    /// One request on `/rest/<menu>[/<id or command>]`, already authenticated.
    fn dispatch(&mut self, method: &Method, segments: &[String], query: &[(String, String)], body: &[u8]) -> Reply {
        let Some((menu, rest)) = (1..=segments.len()).rev().find_map(|n| {
            let menu = segments[..n].join("/");
            MENUS.iter().find(|m| **m == menu).map(|m| (*m, &segments[n..]))
        }) else {
            let last = segments.last().map_or("", String::as_str);
            return bad_request(&format!("no such command or directory ({last})"));
        };
        if menu == "system/resource" {
            return if *method == Method::GET && rest.is_empty() {
                Reply(200, json!([resource()]), false)
            } else {
                bad_request("no such command")
            };
        }
        let fields = match parse_body(body) {
            Some(f) => f,
            None => return bad_request("JSON parsing error"),
        };
        let read_only = menu == "ppp/active";
        match (method.as_str(), rest) {
            ("GET", []) => {
                let filters: Vec<_> = query.iter().filter(|(k, _)| k != ".proplist").cloned().collect();
                let proplist = query.iter().find(|(k, _)| k == ".proplist").map(|(_, v)| v.clone());
                Reply(200, self.print(menu, &filters, proplist.as_deref()), false)
            }
            ("GET", [id]) => {
                self.find(menu, id).map_or_else(not_found, |i| Reply(200, obj(&self.tables[menu][i]), false))
            }
            ("PUT", []) if !read_only => self.create(menu, fields),
            ("PATCH", [id]) if !read_only => match self.find(menu, id) {
                Some(i) => self.set(menu, i, fields),
                None => not_found(),
            },
            ("DELETE", [id]) => match self.find(menu, id) {
                Some(i) => {
                    self.tables.entry(menu).or_default().remove(i);
                    Reply(200, Value::Null, true)
                }
                None => not_found(),
            },
            ("POST", [command]) => self.command(menu, command, fields, read_only),
            _ => bad_request("no such command"),
        }
    }

    fn find(&self, menu: &str, id: &str) -> Option<usize> {
        let table = self.tables.get(menu)?;
        table
            .iter()
            .position(|r| r[".id"] == id)
            .or_else(|| table.iter().position(|r| r.get("name").is_some_and(|n| n == id)))
    }

    fn print(&self, menu: &str, filters: &[(String, String)], proplist: Option<&str>) -> Value {
        let props: Option<Vec<&str>> = proplist.map(|p| p.split(',').map(str::trim).collect());
        let rows =
            self.tables[menu].iter().filter(|r| filters.iter().all(|(k, v)| r.get(k) == Some(v))).map(
                |r| match &props {
                    Some(p) => obj(&r
                        .iter()
                        .filter(|(k, _)| p.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()),
                    None => obj(r),
                },
            );
        Value::Array(rows.collect())
    }

    fn create(&mut self, menu: &'static str, fields: Record) -> Reply {
        let key: &[&str] = match menu {
            "ip/firewall/address-list" => &["list", "address"],
            _ => &["name"],
        };
        let same = |r: &Record| key.iter().all(|k| r.get(*k) == fields.get(*k));
        if key.iter().all(|k| fields.contains_key(*k)) && self.tables[menu].iter().any(same) {
            return bad_request("failure: already have such entry");
        }
        let id = self.insert(menu, fields);
        let i = self.find(menu, &id).unwrap_or_default();
        Reply(200, obj(&self.tables[menu][i]), true)
    }

    fn set(&mut self, menu: &'static str, i: usize, fields: Record) -> Reply {
        let record = &mut self.tables.entry(menu).or_default()[i];
        let mut changed = false;
        for (k, v) in fields.into_iter().filter(|(k, _)| k != ".id" && k != "numbers") {
            changed |= record.insert(k, v.clone()).as_ref() != Some(&v);
        }
        Reply(200, obj(record), changed)
    }

    fn command(&mut self, menu: &'static str, command: &str, mut fields: Record, read_only: bool) -> Reply {
        let ids: Vec<String> =
            fields.get("numbers").map(|n| n.split(',').map(str::to_owned).collect()).unwrap_or_default();
        match command {
            "print" => {
                let filters = fields.remove(".query").map(|q| parse_query_list(&q)).unwrap_or_default();
                let Some(filters) = filters else {
                    return bad_request("fake: only `name=value` queries are supported");
                };
                Reply(200, self.print(menu, &filters, fields.get(".proplist").map(String::as_str)), false)
            }
            "remove" => {
                let Some(found) = ids.iter().map(|id| self.find(menu, id)).collect::<Option<Vec<_>>>() else {
                    return bad_request("no such item");
                };
                let table = self.tables.entry(menu).or_default();
                let gone: Vec<String> = found.iter().map(|i| table[*i][".id"].clone()).collect();
                table.retain(|r| !gone.contains(&r[".id"]));
                Reply(200, json!([]), !gone.is_empty())
            }
            "set" if !read_only => match ids.first().and_then(|id| self.find(menu, id)) {
                Some(i) => Reply(200, json!([]), self.set(menu, i, fields).2),
                None => bad_request("no such item"),
            },
            "add" if !read_only => match self.create(menu, fields) {
                Reply(200, created, true) => Reply(200, json!({"ret": created[".id"]}), true),
                other => other,
            },
            other => bad_request(&format!("no such command or directory ({other})")),
        }
    }
}

fn resource() -> Value {
    json!({
        "architecture-name": "arm64", "board-name": "CCR2004-16G-2S+", "cpu-count": "4", "cpu-load": "3",
        "free-memory": "3670016000", "platform": "MikroTik", "total-memory": "4294967296",
        "uptime": "12d3h4m5s", "version": "7.16.2 (stable)",
    })
}

fn obj(record: &Record) -> Value {
    Value::Object(record.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

/// A JSON object body as strings (RouterOS takes numbers and booleans too); `disabled: yes/no`
/// becomes `true/false` as RouterOS prints it. Arrays (`.proplist`, `.query`) are joined by `,`.
fn parse_body(body: &[u8]) -> Option<Record> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Record::new());
    }
    let map: Map<String, Value> = serde_json::from_slice(body).ok()?;
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    Some(
        map.into_iter()
            .map(|(k, v)| {
                let v = match &v {
                    Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
                    other => text(other),
                };
                let v = match (k.as_str(), v.as_str()) {
                    ("disabled", "yes" | "true") => "true".to_owned(),
                    ("disabled", "no" | "false") => "false".to_owned(),
                    _ => v,
                };
                (k, v)
            })
            .collect(),
    )
}

/// `.query` words `k=v` (ANDed); `#&` is allowed, other operators are not modelled.
fn parse_query_list(words: &str) -> Option<Vec<(String, String)>> {
    words
        .split(',')
        .filter(|w| !w.is_empty() && *w != "#&")
        .map(|w| w.split_once('=').filter(|_| !w.starts_with('#')).map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// Decodes `%XX` escapes (a path segment such as `%2A1F`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn respond(Reply(code, body, _): Reply) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if body.is_null() {
        return status.into_response();
    }
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lock = || inner.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(path) = uri.path().strip_prefix("/rest/") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let behavior = {
        let mut g = lock();
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let q = if q.is_empty() { String::new() } else { format!("?{}", q.join("&")) };
        g.log.push(format!("{method} /rest/{}{q}", segments.join("/")));
        g.behavior.clone()
    };
    let write = matches!(method, Method::PUT | Method::PATCH | Method::DELETE | Method::POST)
        && segments.last().is_none_or(|s| s != "print");
    match behavior {
        Behavior::Unauthorized => return respond(error(401, "Unauthorized", None)),
        Behavior::ServerError => return respond(error(500, "Internal Server Error", None)),
        Behavior::ServerErrorOnWrites if write => return respond(error(500, "Internal Server Error", None)),
        Behavior::Slow(d) => tokio::time::sleep(d).await,
        _ => {}
    }
    let mut g = lock();
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok());
    if credentials.as_deref() != Some(format!("{}:{}", g.username, g.password).as_bytes()) {
        return respond(error(401, "Unauthorized", None));
    }
    let reply = g.dispatch(&method, &segments, &query, &body);
    if reply.2 {
        g.writes += 1;
        if behavior == Behavior::FailButApply {
            return respond(bad_request("Session closed"));
        }
    }
    respond(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_and_queries() {
        assert_eq!(percent_decode("%2A1F"), "*1F");
        assert_eq!(percent_decode("*1"), "*1");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(
            parse_query_list("name=a,#&,service=pppoe"),
            Some(vec![("name".into(), "a".into()), ("service".into(), "pppoe".into())])
        );
        assert_eq!(parse_query_list("name=a,#|"), None);
    }

    #[test]
    fn bodies_become_strings_and_booleans_are_printed_as_routeros_does() {
        let r = parse_body(br#"{"disabled":"yes","numbers":"*1","x":3,".proplist":["a","b"]}"#).expect("object");
        assert_eq!(r["disabled"], "true");
        assert_eq!(r["x"], "3");
        assert_eq!(r[".proplist"], "a,b");
        assert!(parse_body(b"[1]").is_none());
    }
}
