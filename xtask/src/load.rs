//! `cargo xtask bench --suite customers`: a load test of the customer list and search.
//!
//! Per engine: seed a fresh database with `aglis seed --scale large` (the demo data plus
//! 100,000 generated customers), start `target/release/aglis serve` on a free port, sign in
//! as the demo admin, then hit each [`SCENARIOS`] URL with `oha` ([`CONNECTIONS`] connections
//! for [`DURATION`]) and read its JSON report: requests/s, p50, p99 and non-200 responses.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{self, find_program, note};
use crate::error::{Context, Error, Result};
use crate::postgres::free_port;

/// Concurrent connections of each `oha` run.
pub const CONNECTIONS: u32 = 16;
/// Length of each `oha` run.
pub const DURATION: &str = "20s";
/// The p99 latency the customers issue asks for, in milliseconds.
pub const P99_TARGET_MS: f64 = 50.0;
/// The demo admin account that `aglis seed` creates.
const USERNAME: &str = "admin";
const PASSWORD: &str = "demo12345";
/// The database created on the bench's PostgreSQL cluster.
const PG_DATABASE: &str = "aglis_load";
/// How long a `cargo install oha` started elsewhere is waited for.
const INSTALL_WAIT: Duration = Duration::from_secs(15 * 60);
/// How long the server may take to answer `GET /api/health`.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// One URL under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// Its name in the table.
    pub name: &'static str,
    /// Path and query on the server.
    pub path: &'static str,
}

/// The customer list, a deep page, searches by name (one and two words) and by phone, a status
/// filter, and a name search within a status in date order.
pub const SCENARIOS: &[Scenario] = &[
    Scenario { name: "list", path: "/api/v1/customers" },
    Scenario { name: "list page 200", path: "/api/v1/customers?page=200&sort=newest" },
    Scenario { name: "search name", path: "/api/v1/customers?q=siti" },
    Scenario { name: "search name 2 words", path: "/api/v1/customers?q=budi%20sant" },
    Scenario { name: "search phone", path: "/api/v1/customers?q=0899000123" },
    Scenario { name: "filter status", path: "/api/v1/customers?status=suspended" },
    Scenario { name: "search + filter", path: "/api/v1/customers?q=siti&status=active&sort=newest" },
];

/// What the load test needs once for all engines: `oha` and the release server binary.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The `oha` executable.
    pub oha: PathBuf,
    /// `target/release/aglis`.
    pub aglis: PathBuf,
}

impl Tools {
    /// Installs `oha` if missing and builds the release server.
    pub fn prepare(root: &Path) -> Result<Self> {
        let oha = ensure_oha()?;
        let aglis = build_server(root)?;
        Ok(Self { oha, aglis })
    }
}

/// The database a load run seeds and serves from.
#[derive(Debug, Clone)]
pub enum Database {
    /// `<data dir>/aglis.db`, the server's default.
    Sqlite,
    /// A fresh database on the bench's PostgreSQL cluster.
    Postgres {
        /// The cluster's `createdb`.
        createdb: PathBuf,
        /// The cluster's TCP port on 127.0.0.1 (trust authentication, user `postgres`).
        port: u16,
    },
}

/// Figures of one `oha` run.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Requests per second over the run.
    pub requests_per_sec: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Responses whose status was not 200.
    pub non_200: u64,
    /// Requests without a response (connection errors, timeouts), except those cut off by the deadline.
    pub errors: u64,
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// [`Scenario::name`].
    pub scenario: String,
    /// `total` of the scenario's response: how many customers match.
    pub matches: Option<u64>,
    /// What `oha` measured.
    pub figures: Figures,
}

impl Row {
    /// Whether every request got a 200.
    pub fn clean(&self) -> bool {
        self.figures.non_200 == 0 && self.figures.errors == 0
    }
}

/// `$CARGO_HOME/bin`, else `~/.cargo/bin`.
fn cargo_bin_dir() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(|h| PathBuf::from(h).join("bin"))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo").join("bin")))
}

/// `oha` on `PATH` or in the cargo bin directory.
fn find_oha() -> Option<PathBuf> {
    let bin = cargo_bin_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
    find_program("oha", &[&bin])
}

/// Whether a command line (the NUL-separated words of `/proc/PID/cmdline`) is `cargo install … oha …`.
pub fn is_oha_install(args: &[&str]) -> bool {
    let is_cargo = args.first().and_then(|p| Path::new(p).file_name()).is_some_and(|n| n == "cargo");
    is_cargo && args.contains(&"install") && args.contains(&"oha")
}

/// Whether some process (not this one) runs `cargo install oha`.
fn oha_install_running() -> bool {
    let me = std::process::id().to_string();
    let Ok(entries) = fs::read_dir("/proc") else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == me || !name.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let Ok(raw) = fs::read(entry.path().join("cmdline")) else {
            return false;
        };
        let text = String::from_utf8_lossy(&raw);
        let args: Vec<&str> = text.split('\0').filter(|a| !a.is_empty()).collect();
        is_oha_install(&args)
    })
}

/// Finds `oha`; waits for a `cargo install oha` already running; else runs `cargo install oha --locked`.
pub fn ensure_oha() -> Result<PathBuf> {
    if let Some(oha) = find_oha() {
        note!("oha: {}", oha.display());
        return Ok(oha);
    }
    if oha_install_running() {
        note!("oha not found, but a `cargo install oha` is running: waiting for it (up to 15 minutes)");
        let started = Instant::now();
        while oha_install_running() && started.elapsed() < INSTALL_WAIT {
            std::thread::sleep(Duration::from_secs(5));
        }
        if let Some(oha) = find_oha() {
            note!("oha: {}", oha.display());
            return Ok(oha);
        }
    }
    note!("oha not found: installing it with cargo");
    let mut install = crate::bench::cargo_command();
    install.args(["install", "oha", "--locked"]);
    cmd::run(cmd::stdout_to_stderr(&mut install))?;
    find_oha().ok_or_else(|| Error::msg("oha still not found after `cargo install oha --locked`"))
}

/// The cargo target directory: `$CARGO_TARGET_DIR`, else `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// `cargo build --release -p aglis-server`; returns the `aglis` binary.
pub fn build_server(root: &Path) -> Result<PathBuf> {
    let mut build = crate::bench::cargo_command();
    build.current_dir(root).args(["build", "--release", "-p", "aglis-server"]);
    cmd::run(cmd::stdout_to_stderr(&mut build))?;
    let binary = target_dir(root).join("release").join("aglis");
    if !binary.is_file() {
        return Err(Error::msg(format!("the build did not produce {}", binary.display())));
    }
    Ok(binary)
}

/// A directory deleted when dropped.
struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty `<tmp>/aglis-load-<engine>-<pid>`.
    fn new(engine: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("aglis-load-{engine}-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("cannot delete {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.0) {
            note!("warning: cannot delete {}: {e}", self.0.display());
        }
    }
}

/// The running `aglis serve`, stopped when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Waits until `GET /api/health` answers 200; fails if the server exits or takes too long.
    fn wait_healthy(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().context("cannot check the server process")? {
                return Err(Error::msg(format!("`aglis serve` exited ({status}) before answering")));
            }
            if let Ok((200, _)) = http(self.addr, "GET", "/api/health", &[], None) {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(Error::msg(format!(
                    "`aglis serve` did not answer GET /api/health with 200 within {} s",
                    START_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first (a graceful shutdown), SIGKILL if it is still running after 10 s.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).stderr(Stdio::null()).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command running the `aglis` binary on `data_dir` (and the PostgreSQL `database_url`),
/// with no other `AGLIS_*` variable inherited, logging warnings only.
fn aglis_command(aglis: &Path, data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut cmd = Command::new(aglis);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AGLIS_") {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(data_dir).env("AGLIS_DATA_DIR", data_dir).env("AGLIS_LOG", "warn").stdin(Stdio::null());
    if let Some(url) = database_url {
        cmd.env("AGLIS_DATABASE_URL", url);
    }
    cmd::stdout_to_stderr(&mut cmd);
    cmd
}

/// Creates [`PG_DATABASE`] afresh on the cluster at `port`; returns its URL.
fn create_pg_database(createdb: &Path, port: u16) -> Result<String> {
    let port_arg = port.to_string();
    let conn = ["-h", "127.0.0.1", "-p", &port_arg, "-U", "postgres"];
    let dropdb = createdb.with_file_name("dropdb");
    if dropdb.is_file() {
        let mut drop = Command::new(&dropdb);
        drop.args(conn).args(["--if-exists", PG_DATABASE]);
        cmd::run(cmd::stdout_to_stderr(&mut drop))?;
    }
    let mut create = Command::new(createdb);
    create.args(conn).arg(PG_DATABASE);
    cmd::run(cmd::stdout_to_stderr(&mut create))?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/{PG_DATABASE}"))
}

/// Runs the load test on one engine and returns its table rows.
pub fn run(tools: &Tools, engine: &str, database: &Database) -> Result<Vec<Row>> {
    let dir = TempDir::new(engine)?;
    let database_url = match database {
        Database::Sqlite => None,
        Database::Postgres { createdb, port } => Some(create_pg_database(createdb, *port)?),
    };
    let url = database_url.as_deref();

    let started = Instant::now();
    let mut seed = aglis_command(&tools.aglis, &dir.0, url);
    seed.args(["seed", "--scale", "large"]);
    cmd::run(&mut seed)?;
    eprintln!();
    note!("seeded in {:.0} s", started.elapsed().as_secs_f64());

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    let mut serve = aglis_command(&tools.aglis, &dir.0, url);
    serve.arg("serve").env("AGLIS_BIND", addr.to_string()).env("AGLIS_RUN_WORKERS", "false");
    note!("$ {} (AGLIS_BIND={addr})", cmd::display(&serve));
    let child = serve.spawn().with_context(|| format!("cannot start {}", tools.aglis.display()))?;
    let mut server = Server { child, addr };
    server.wait_healthy()?;
    let token = login(addr)?;
    let auth = format!("Authorization: Bearer {token}");

    let mut rows = Vec::new();
    for scenario in SCENARIOS {
        // One request first: it must succeed, it tells how many customers match, and it warms up.
        let (status, body) = http(addr, "GET", scenario.path, &[("Authorization", &format!("Bearer {token}"))], None)?;
        if status != 200 {
            return Err(Error::msg(format!("GET {} answered {status}: {}", scenario.path, clip(&body, 300))));
        }
        let matches = json::parse(&body).ok().and_then(|v| v.get(&["total"]).and_then(json::Value::as_f64));
        let url = format!("http://{addr}{}", scenario.path);
        let mut oha = Command::new(&tools.oha);
        oha.args(["--no-tui", "-c", &CONNECTIONS.to_string(), "-z", DURATION, "--output-format", "json", "-H"])
            .arg(&auth)
            .arg(&url)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit());
        note!("{engine}: {} ({CONNECTIONS} connections, {DURATION}): GET {}", scenario.name, scenario.path);
        let out = oha.output().with_context(|| format!("cannot run {}", tools.oha.display()))?;
        if !out.status.success() {
            return Err(Error::msg(format!("oha failed ({}) on {url}", out.status)));
        }
        let report = String::from_utf8_lossy(&out.stdout);
        let figures = parse_oha(&report).with_context(|| format!("cannot read the JSON report of oha on {url}"))?;
        let row = Row {
            engine: engine.to_owned(),
            scenario: scenario.name.to_owned(),
            matches: matches.map(|m| m as u64),
            figures,
        };
        eprintln!("{}", table(std::slice::from_ref(&row)).lines().last().unwrap_or_default());
        rows.push(row);
    }
    drop(server);
    drop(dir);
    Ok(rows)
}

/// `POST /api/v1/auth/login` as the demo admin; returns the bearer token.
fn login(addr: SocketAddr) -> Result<String> {
    let body = format!(r#"{{"username":"{USERNAME}","password":"{PASSWORD}"}}"#);
    let (status, text) = http(addr, "POST", "/api/v1/auth/login", &[], Some(&body))?;
    if status != 200 {
        return Err(Error::msg(format!("login as {USERNAME} answered {status}: {}", clip(&text, 300))));
    }
    let value = json::parse(&text).context("login answered invalid JSON")?;
    value
        .get(&["token"])
        .and_then(json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::msg("login answered no token"))
}

/// At most `n` characters of `s`.
fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// One HTTP/1.1 request (`Connection: close`); returns the status and the body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<(u16, String)> {
    let what = || format!("{method} http://{addr}{path}");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).with_context(what)?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).with_context(what)?;
    stream.set_write_timeout(Some(Duration::from_secs(60))).with_context(what)?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n\
         User-Agent: cargo-xtask\r\n"
    );
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    if let Some(body) = body {
        let _ = write!(request, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    stream.write_all(request.as_bytes()).with_context(what)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).with_context(what)?;
    parse_response(&response).map_err(|e| Error::msg(format!("{}: {e}", what())))
}

/// Splits an HTTP/1.1 response into its status and body (decoding a chunked body).
pub fn parse_response(bytes: &[u8]) -> Result<(u16, String), String> {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of headers in the response")?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut body = &bytes[split + 4..];
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("bad status line")?;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if name == "content-length"
            && let Ok(n) = value.parse::<usize>()
        {
            body = &body[..n.min(body.len())];
        }
    }
    let body = if chunked { dechunk(body)? } else { body.to_vec() };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Decodes a chunked transfer-encoded body.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n").ok_or("truncated chunk size")?;
        let size_line = String::from_utf8_lossy(&rest[..end]);
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| format!("bad chunk size `{size_hex}`"))?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

/// Reads the figures from `oha --output-format json`: `summary.requestsPerSec`,
/// `latencyPercentiles.p50`/`p99` (seconds), `statusCodeDistribution` and `errorDistribution`.
pub fn parse_oha(report: &str) -> Result<Figures, String> {
    let value = json::parse(report)?;
    let number = |path: &[&str]| {
        value.get(path).and_then(json::Value::as_f64).ok_or_else(|| format!("no number at `{}`", path.join(".")))
    };
    let requests_per_sec = number(&["summary", "requestsPerSec"])?;
    let p50_ms = number(&["latencyPercentiles", "p50"])? * 1000.0;
    let p99_ms = number(&["latencyPercentiles", "p99"])? * 1000.0;
    let count = |path: &[&str], skip: &str| -> u64 {
        value
            .get(path)
            .and_then(json::Value::as_object)
            .map(|fields| {
                fields.iter().filter(|(k, _)| k != skip).filter_map(|(_, v)| v.as_f64()).map(|n| n as u64).sum()
            })
            .unwrap_or(0)
    };
    let non_200 = count(&["statusCodeDistribution"], "200");
    let errors = count(&["errorDistribution"], "aborted due to deadline");
    Ok(Figures { requests_per_sec, p50_ms, p99_ms, non_200, errors })
}

/// The rows as an aligned table with a header line.
pub fn table(rows: &[Row]) -> String {
    let header = ["engine", "scenario", "matches", "req/s", "p50 ms", "p99 ms", "non-200", "p99 < 50 ms"];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for row in rows {
        let f = &row.figures;
        let non_200 =
            if f.errors > 0 { format!("{} (+{} errors)", f.non_200, f.errors) } else { f.non_200.to_string() };
        cells.push(vec![
            row.engine.clone(),
            row.scenario.clone(),
            row.matches.map_or_else(|| "-".to_owned(), |m| m.to_string()),
            format!("{:.0}", f.requests_per_sec),
            format!("{:.1}", f.p50_ms),
            format!("{:.1}", f.p99_ms),
            non_200,
            if f.p99_ms < P99_TARGET_MS { "yes" } else { "NO" }.to_owned(),
        ]);
    }
    let widths: Vec<usize> =
        (0..header.len()).map(|i| cells.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    cells
        .iter()
        .map(|r| {
            let line: Vec<String> = r
                .iter()
                .zip(&widths)
                .enumerate()
                // Text columns (engine, scenario) left-aligned, figures right-aligned.
                .map(|(i, (cell, w))| if i < 2 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
                .collect();
            line.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Just enough JSON to read oha's report and the server's answers (std only).
pub mod json {
    /// A JSON value; objects keep their fields in order.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(f64),
        String(String),
        Array(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    impl Value {
        /// The value at a path of object keys.
        pub fn get(&self, path: &[&str]) -> Option<&Value> {
            path.iter().try_fold(self, |value, key| match value {
                Value::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            })
        }

        pub fn as_f64(&self) -> Option<f64> {
            match self {
                Value::Number(n) => Some(*n),
                _ => None,
            }
        }

        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::String(s) => Some(s),
                _ => None,
            }
        }

        pub fn as_object(&self) -> Option<&[(String, Value)]> {
            match self {
                Value::Object(fields) => Some(fields),
                _ => None,
            }
        }
    }

    /// Parses a whole JSON document.
    pub fn parse(text: &str) -> Result<Value, String> {
        let mut parser = Parser { bytes: text.as_bytes(), pos: 0 };
        let value = parser.value()?;
        parser.skip_ws();
        if parser.pos != parser.bytes.len() {
            return Err(format!("trailing characters at byte {}", parser.pos));
        }
        Ok(value)
    }

    struct Parser<'a> {
        bytes: &'a [u8],
        pos: usize,
    }

    impl Parser<'_> {
        fn skip_ws(&mut self) {
            while self.bytes.get(self.pos).is_some_and(|b| b.is_ascii_whitespace()) {
                self.pos += 1;
            }
        }

        fn peek(&mut self) -> Option<u8> {
            self.skip_ws();
            self.bytes.get(self.pos).copied()
        }

        fn expect(&mut self, byte: u8) -> Result<(), String> {
            if self.peek() == Some(byte) {
                self.pos += 1;
                Ok(())
            } else {
                Err(format!("expected `{}` at byte {}", byte as char, self.pos))
            }
        }

        fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
            if self.bytes[self.pos..].starts_with(word.as_bytes()) {
                self.pos += word.len();
                Ok(value)
            } else {
                Err(format!("unexpected character at byte {}", self.pos))
            }
        }

        fn value(&mut self) -> Result<Value, String> {
            match self.peek().ok_or("unexpected end of JSON")? {
                b'{' => self.object(),
                b'[' => self.array(),
                b'"' => self.string().map(Value::String),
                b't' => self.literal("true", Value::Bool(true)),
                b'f' => self.literal("false", Value::Bool(false)),
                b'n' => self.literal("null", Value::Null),
                _ => self.number(),
            }
        }

        fn object(&mut self) -> Result<Value, String> {
            self.expect(b'{')?;
            let mut fields = Vec::new();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Object(fields));
            }
            loop {
                self.skip_ws();
                let key = self.string()?;
                self.expect(b':')?;
                fields.push((key, self.value()?));
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        return Ok(Value::Object(fields));
                    }
                    _ => return Err(format!("expected `,` or `}}` at byte {}", self.pos)),
                }
            }
        }

        fn array(&mut self) -> Result<Value, String> {
            self.expect(b'[')?;
            let mut items = Vec::new();
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            loop {
                items.push(self.value()?);
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        return Ok(Value::Array(items));
                    }
                    _ => return Err(format!("expected `,` or `]` at byte {}", self.pos)),
                }
            }
        }

        fn number(&mut self) -> Result<Value, String> {
            let start = self.pos;
            while self.bytes.get(self.pos).is_some_and(|b| b.is_ascii_digit() || b"+-.eE".contains(b)) {
                self.pos += 1;
            }
            let text = std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|e| e.to_string())?;
            text.parse().map(Value::Number).map_err(|_| format!("bad number `{text}` at byte {start}"))
        }

        fn hex4(&mut self) -> Result<u32, String> {
            let digits = self.bytes.get(self.pos..self.pos + 4).ok_or("truncated \\u escape")?;
            let text = std::str::from_utf8(digits).map_err(|e| e.to_string())?;
            self.pos += 4;
            u32::from_str_radix(text, 16).map_err(|_| format!("bad \\u escape `{text}`"))
        }

        fn string(&mut self) -> Result<String, String> {
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(format!("expected a string at byte {}", self.pos));
            }
            self.pos += 1;
            let mut out = Vec::new();
            loop {
                let byte = *self.bytes.get(self.pos).ok_or("unterminated string")?;
                self.pos += 1;
                match byte {
                    b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                    b'\\' => {
                        let escape = *self.bytes.get(self.pos).ok_or("unterminated string")?;
                        self.pos += 1;
                        let c = match escape {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let mut code = self.hex4()?;
                                if (0xD800..0xDC00).contains(&code) && self.bytes[self.pos..].starts_with(b"\\u") {
                                    self.pos += 2;
                                    let low = self.hex4()?;
                                    code = 0x10000 + ((code - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
                                }
                                char::from_u32(code).unwrap_or('\u{FFFD}')
                            }
                            other => return Err(format!("bad escape `\\{}`", other as char)),
                        };
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    other => out.push(other),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OHA_REPORT: &str = r#"{
      "summary": {"successRate": 1.0, "total": 20.0, "requestsPerSec": 1234.5678, "totalData": 4325236},
      "metrics": {"latency_ms": {"p50": 11.0, "p99": 42.0}},
      "latencyPercentiles": {"p10": 0.001, "p50": 0.0123, "p99": 0.0456, "p99.9": 0.05},
      "rps": {"percentiles": {"p50": 8.9}},
      "details": {},
      "statusCodeDistribution": {"200": 24680, "401": 2, "503": 1},
      "errorDistribution": {"aborted due to deadline": 16, "connection closed": 3}
    }"#;

    #[test]
    fn reads_the_oha_report() {
        let figures = parse_oha(OHA_REPORT);
        assert_eq!(
            figures.as_ref().map(|f| (f.requests_per_sec, f.non_200, f.errors)),
            Ok((1234.5678, 3, 3)),
            "{figures:?}"
        );
        let ms = figures.map(|f| ((f.p50_ms * 10.0).round(), (f.p99_ms * 10.0).round()));
        assert_eq!(ms, Ok((123.0, 456.0)));
    }

    #[test]
    fn oha_report_without_errors_or_latency() {
        let clean = r#"{"summary":{"requestsPerSec":5},"latencyPercentiles":{"p50":0.001,"p99":0.002},
                        "statusCodeDistribution":{"200":10},"errorDistribution":{}}"#;
        assert_eq!(parse_oha(clean).map(|f| (f.non_200, f.errors)), Ok((0, 0)));
        assert!(parse_oha(r#"{"summary":{"requestsPerSec":5}}"#).is_err());
        assert!(parse_oha("not json").is_err());
    }

    #[test]
    fn json_values() {
        let value = json::parse(r#" {"a": [1, -2.5e1, true, false, null], "b": {"c": "x\"\\\u00e9\ud83d\ude00"}} "#);
        let b = value.as_ref().ok().and_then(|v| v.get(&["b", "c"])).and_then(json::Value::as_str);
        assert_eq!(b, Some("x\"\\é😀"));
        let a = value.as_ref().ok().and_then(|v| v.get(&["a"])).cloned();
        assert_eq!(
            a,
            Some(json::Value::Array(vec![
                json::Value::Number(1.0),
                json::Value::Number(-25.0),
                json::Value::Bool(true),
                json::Value::Bool(false),
                json::Value::Null,
            ]))
        );
        assert_eq!(json::parse("{}"), Ok(json::Value::Object(Vec::new())));
        assert!(json::parse(r#"{"a":1"#).is_err());
        assert!(json::parse(r#"{"a":1} x"#).is_err());
        assert!(json::parse(r#"["a",]"#).is_err());
    }

    #[test]
    fn reads_http_responses() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{\"token\":\"t\"}";
        assert_eq!(parse_response(plain), Ok((200, r#"{"token":"t"}"#.to_owned())));
        let chunked =
            b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia!\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Ok((401, "Wikipedia!".to_owned())));
        assert_eq!(parse_response(b"HTTP/1.1 204 No Content\r\n\r\n"), Ok((204, String::new())));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn recognises_a_running_oha_install() {
        assert!(is_oha_install(&["/root/.cargo/bin/cargo", "install", "oha", "--locked"]));
        assert!(is_oha_install(&["cargo", "install", "--locked", "oha"]));
        assert!(!is_oha_install(&["cargo", "install", "cargo-nextest"]));
        assert!(!is_oha_install(&["vim", "install", "oha"]));
        assert!(!is_oha_install(&[]));
    }

    #[test]
    fn scenarios_cover_list_and_searches() {
        let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "list",
                "list page 200",
                "search name",
                "search name 2 words",
                "search phone",
                "filter status",
                "search + filter"
            ]
        );
        assert!(SCENARIOS.iter().all(|s| s.path.starts_with("/api/v1/customers") && !s.path.contains(' ')));
    }

    #[test]
    fn table_aligns_and_flags_slow_rows() {
        let row = |engine: &str, scenario: &str, p99_ms, non_200, errors| Row {
            engine: engine.to_owned(),
            scenario: scenario.to_owned(),
            matches: Some(100_300),
            figures: Figures { requests_per_sec: 812.34, p50_ms: 12.34, p99_ms, non_200, errors },
        };
        let rows = [row("sqlite", "list", 30.0, 0, 0), row("postgres", "search phone", 75.5, 2, 1)];
        assert_eq!(
            table(&rows),
            "\
engine    scenario      matches  req/s  p50 ms  p99 ms        non-200  p99 < 50 ms
sqlite    list           100300    812    12.3    30.0              0          yes
postgres  search phone   100300    812    12.3    75.5  2 (+1 errors)           NO"
        );
        assert!(rows[0].clean() && !rows[1].clean());
    }
}
