//! `cargo xtask bench --suite customers|tickets`: load tests of the customer and ticket lists.
//!
//! Per engine: seed a fresh database with `aglis seed --scale large` (the demo data plus
//! 100,000 generated customers and 1,000,000 tickets), start `target/release/aglis serve` on a
//! free port and sign in as the demo admin, once for every suite asked for. Then, per suite
//! ([`Suite`]): find the ids its paths need (tickets: `{tech}`, the technician leading the most
//! tickets, and `{ticket}`, a ticket in the middle of the id range), reset the server's peak
//! memory, hit each scenario URL with `oha` ([`CONNECTIONS`] connections for [`DURATION`]) after
//! one warm-up request that must answer 200, and read its JSON report: requests/s, p50, p99, the
//! slowest response and non-200 answers; last, the server's peak and current RSS from
//! `/proc/PID/status`. [`crate::report`] holds the scenarios, their p99 targets and the tables.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{self, find_program, note};
use crate::error::{Context, Error, Result};
use crate::http::{self, clip};
use crate::json;
use crate::postgres::free_port;
use crate::report::{self, Matches, Memory, Row, Suite, SuiteRun, parse_oha};

/// Concurrent connections of each `oha` run.
pub const CONNECTIONS: u32 = 16;
/// Length of each `oha` run.
pub const DURATION: &str = "20s";
/// The demo admin account that `aglis seed` creates.
const USERNAME: &str = "admin";
const PASSWORD: &str = "demo12345";
/// The database created on the bench's PostgreSQL cluster.
const PG_DATABASE: &str = "aglis_load";
/// How long a `cargo install oha` started elsewhere is waited for.
const INSTALL_WAIT: Duration = Duration::from_secs(15 * 60);
/// How long the server may take to answer `GET /api/health`.
const START_TIMEOUT: Duration = Duration::from_secs(120);

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
pub(crate) fn target_dir(root: &Path) -> PathBuf {
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
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    /// A fresh, empty `<tmp>/aglis-load-<engine>-<pid>`.
    fn new(engine: &str) -> Result<Self> {
        Self::fresh(std::env::temp_dir().join(format!("aglis-load-{engine}-{}", std::process::id())))
    }

    /// `dir`, emptied (or created).
    pub(crate) fn fresh(dir: PathBuf) -> Result<Self> {
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

/// The running `aglis serve` (or `aglis demo`), stopped when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Server {
    /// Waits until `GET /api/health` answers 200; fails if the server exits or takes too long.
    pub(crate) fn wait_healthy(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().context("cannot check the server process")? {
                return Err(Error::msg(format!("the server exited ({status}) before answering")));
            }
            if let Ok((200, _)) = http::request(self.addr, "GET", "/api/health", &[], None) {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(Error::msg(format!(
                    "the server did not answer GET /api/health with 200 within {} s",
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
pub(crate) fn aglis_command(aglis: &Path, data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut cmd = Command::new(aglis);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AGLIS_") {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(data_dir).env("AGLIS_DATA_DIR", data_dir).env("AGLIS_LOG", "warn").stdin(Stdio::null());
    // The load test signs the admin in through the API, without a second factor.
    cmd.env("AGLIS_REQUIRE_2FA", "false");
    if let Some(url) = database_url {
        cmd.env("AGLIS_DATABASE_URL", url);
    }
    cmd::stdout_to_stderr(&mut cmd);
    cmd
}

/// Creates the database `name` afresh on the cluster at `port`; returns its URL.
pub(crate) fn create_pg_database(createdb: &Path, port: u16, name: &str) -> Result<String> {
    let port_arg = port.to_string();
    let conn = ["-h", "127.0.0.1", "-p", &port_arg, "-U", "postgres"];
    let dropdb = createdb.with_file_name("dropdb");
    if dropdb.is_file() {
        let mut drop = Command::new(&dropdb);
        drop.args(conn).args(["--if-exists", name]);
        cmd::run(cmd::stdout_to_stderr(&mut drop))?;
    }
    let mut create = Command::new(createdb);
    create.args(conn).arg(name);
    cmd::run(cmd::stdout_to_stderr(&mut create))?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/{name}"))
}

/// Seeds one engine's database, starts the server once and runs every suite of `suites` on it.
/// `Err` if the set-up fails; else one result per suite (a suite fails alone, e.g. when an id it
/// needs cannot be found or a warm-up request does not answer 200).
pub fn run(
    tools: &Tools,
    engine: &str,
    database: &Database,
    suites: &[Suite],
) -> Result<Vec<(Suite, Result<SuiteRun>)>> {
    let dir = TempDir::new(engine)?;
    let database_url = match database {
        Database::Sqlite => None,
        Database::Postgres { createdb, port } => Some(create_pg_database(createdb, *port, PG_DATABASE)?),
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
    let api = Api { addr, bearer: format!("Bearer {}", login(addr)?) };

    let outcomes = suites
        .iter()
        .map(|&suite| {
            eprintln!("\n==> bench: {} on {engine}\n", suite.name());
            (suite, run_suite(tools, engine, &server, &api, suite))
        })
        .collect();
    drop(server);
    drop(dir);
    Ok(outcomes)
}

/// The signed-in server API.
struct Api {
    addr: SocketAddr,
    /// `Bearer <token>`.
    bearer: String,
}

impl Api {
    /// `GET path`: its status and body.
    fn get(&self, path: &str) -> Result<(u16, String)> {
        http::request(self.addr, "GET", path, &[("Authorization", &self.bearer)], None)
    }

    /// `GET path`, which must answer 200 with JSON.
    fn get_json(&self, path: &str) -> Result<json::Value> {
        let (status, body) = self.get(path)?;
        if status != 200 {
            return Err(Error::msg(format!("GET {path} answered {status}: {}", clip(&body, 300))));
        }
        json::parse(&body).with_context(|| format!("GET {path} answered invalid JSON"))
    }
}

/// Runs one suite's scenarios against the running server.
fn run_suite(tools: &Tools, engine: &str, server: &Server, api: &Api, suite: Suite) -> Result<SuiteRun> {
    let vars = match suite {
        Suite::Customers | Suite::Monitoring => Vec::new(),
        Suite::Tickets => ticket_vars(api)?,
    };
    // The peak RSS of this suite alone: "5" resets the process's VmHWM (Linux ≥ 4.0).
    let pid = server.child.id();
    let peak_of_suite = fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    if !peak_of_suite {
        note!("cannot reset the server's peak RSS (/proc/{pid}/clear_refs): the peak shown is since it started");
    }
    let mut rows = Vec::new();
    for scenario in suite.scenarios() {
        let path = report::fill(scenario.path, &vars).map_err(Error::msg)?;
        // One request first: it must succeed, it tells how many items match, and it warms up.
        let (status, body) = api.get(&path)?;
        if status != 200 {
            return Err(Error::msg(format!("GET {path} answered {status}: {}", clip(&body, 300))));
        }
        let url = format!("http://{}{path}", api.addr);
        let mut oha = Command::new(&tools.oha);
        oha.args(["--no-tui", "-c", &CONNECTIONS.to_string(), "-z", DURATION, "--output-format", "json", "-H"])
            .arg(format!("Authorization: {}", api.bearer))
            .arg(&url)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit());
        note!("{engine}: {} ({CONNECTIONS} connections, {DURATION}): GET {path}", scenario.name);
        let out = oha.output().with_context(|| format!("cannot run {}", tools.oha.display()))?;
        if !out.status.success() {
            return Err(Error::msg(format!("oha failed ({}) on {url}", out.status)));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let figures = parse_oha(&text).with_context(|| format!("cannot read the JSON report of oha on {url}"))?;
        let row = Row {
            engine: engine.to_owned(),
            scenario: scenario.name.to_owned(),
            p99_target_ms: scenario.p99_target_ms,
            matches: Matches::of(&body),
            figures,
        };
        eprintln!("{}", report::table(std::slice::from_ref(&row)).lines().last().unwrap_or_default());
        rows.push(row);
    }
    let memory = fs::read_to_string(format!("/proc/{pid}/status")).ok().as_deref().and_then(Memory::parse);
    let run = SuiteRun { suite, engine: engine.to_owned(), rows, memory, peak_of_suite };
    note!("{}", run.memory_line());
    Ok(run)
}

/// The values of the ticket scenarios' `{tech}` and `{ticket}`.
fn ticket_vars(api: &Api) -> Result<Vec<(&'static str, String)>> {
    let technicians = api.get_json("/api/v1/technicians")?;
    let mut leads = Vec::new();
    for id in ids(&technicians) {
        let list = api.get_json(&format!("/api/v1/tickets?technician_id={id}&per_page=1"))?;
        leads.push((id, list.get(&["total"]).and_then(json::Value::as_f64).unwrap_or(0.0) as u64));
    }
    let tech = busiest(&leads).ok_or_else(|| Error::msg("no technician leads any ticket: is the database seeded?"))?;
    let newest = api.get_json("/api/v1/tickets?per_page=1")?;
    let newest = newest.get(&["items"]).map(ids).and_then(|ids| ids.first().copied());
    let ticket = newest.map(middle).ok_or_else(|| Error::msg("GET /api/v1/tickets?per_page=1 listed no ticket"))?;
    let (status, body) = api.get(&format!("/api/v1/tickets/{ticket}"))?;
    if status != 200 {
        return Err(Error::msg(format!("GET /api/v1/tickets/{ticket} answered {status}: {}", clip(&body, 300))));
    }
    let total = leads.iter().find(|(id, _)| *id == tech).map_or(0, |(_, n)| *n);
    note!("tickets: {{tech}} = technician {tech} (leads {total} tickets), {{ticket}} = ticket {ticket}");
    Ok(vec![("tech", tech.to_string()), ("ticket", ticket.to_string())])
}

/// The `id` of each object of a JSON array.
fn ids(array: &json::Value) -> Vec<i64> {
    let items = array.as_array().unwrap_or_default();
    items.iter().filter_map(|item| item.get(&["id"]).and_then(json::Value::as_f64)).map(|id| id as i64).collect()
}

/// The id with the most tickets (the first of equals); `None` if none has any.
fn busiest(leads: &[(i64, u64)]) -> Option<i64> {
    leads
        .iter()
        .filter(|(_, n)| *n > 0)
        .fold(None, |best: Option<(i64, u64)>, &(id, n)| match best {
            Some((_, most)) if most >= n => best,
            _ => Some((id, n)),
        })
        .map(|(id, _)| id)
}

/// A ticket id in the middle of `1..=newest`.
fn middle(newest: i64) -> i64 {
    (newest / 2).max(1)
}

/// `POST /api/v1/auth/login` as the demo admin; returns the bearer token.
pub(crate) fn login(addr: SocketAddr) -> Result<String> {
    let body = format!(r#"{{"username":"{USERNAME}","password":"{PASSWORD}"}}"#);
    let (status, text) = http::request(addr, "POST", "/api/v1/auth/login", &[], Some(&body))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_running_oha_install() {
        assert!(is_oha_install(&["/root/.cargo/bin/cargo", "install", "oha", "--locked"]));
        assert!(is_oha_install(&["cargo", "install", "--locked", "oha"]));
        assert!(!is_oha_install(&["cargo", "install", "cargo-nextest"]));
        assert!(!is_oha_install(&["vim", "install", "oha"]));
        assert!(!is_oha_install(&[]));
    }

    #[test]
    fn finds_ids_in_lists() {
        let techs = json::parse(r#"[{"id":3,"full_name":"Agus"},{"id":7},{"name":"no id"}]"#);
        assert_eq!(techs.as_ref().map(ids), Ok(vec![3, 7]));
        let list = json::parse(r#"{"items":[{"id":1000000,"number":"TKT"}],"total":10000}"#);
        let items = list.as_ref().ok().and_then(|l| l.get(&["items"])).map(ids);
        assert_eq!(items, Some(vec![1_000_000]));
        assert_eq!(ids(&json::Value::Null), Vec::<i64>::new());
    }

    #[test]
    fn picks_the_busiest_technician() {
        assert_eq!(busiest(&[(1, 0), (2, 40), (3, 90), (4, 90)]), Some(3));
        assert_eq!(busiest(&[(5, 0), (6, 1)]), Some(6));
        assert_eq!(busiest(&[(1, 0)]), None);
        assert_eq!(busiest(&[]), None);
    }

    #[test]
    fn middle_ticket() {
        assert_eq!(middle(1_000_123), 500_061);
        assert_eq!(middle(1), 1);
        assert_eq!(middle(0), 1);
    }
}
