//! `cargo xtask bench --suite backup`: how long `aglis backup create` and `aglis backup restore`
//! take, how big the sets are, and (on PostgreSQL) plain `pg_dump`/`pg_restore` for reference.
//!
//! Per engine and data set ([`DataSet`]), in a fresh directory under
//! `target/xtask-backup-bench/<engine>-<data set>/`:
//!
//! 1. seed a new database (`aglis seed …`) in `source/data`;
//! 2. `aglis backup create` into `backups/`, timed around the process; its output gives the set's
//!    name, its creation time and its verification time ([`parse_created`]); the set's
//!    `manifest.json` gives the size of its parts and the rows of customers and tickets;
//! 3. PostgreSQL only: `pg_dump --format=custom` of the source database (the reference);
//! 4. the source database is deleted (a lost machine), then `aglis backup restore <set> --yes`
//!    into a NEW empty database (SQLite: `restored/data/aglis.db`; PostgreSQL: a database made with
//!    the cluster's `createdb`), timed around the process;
//! 5. `aglis serve` on the restored database (and the `aglis.toml` the restore wrote): the time
//!    until `GET /api/health` answers 200;
//! 6. PostgreSQL only: the restored database dropped, `pg_restore --jobs=<cpus> --no-owner` of the
//!    reference dump into another new database.
//!
//! Every `aglis` runs with no `AGLIS_*` variable of xtask's own, the settings given here, and a
//! scratch working directory (no stray `./aglis.toml` is read or written). Everything is deleted
//! afterwards, also on failure.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead as _, BufReader, Read as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{self, note};
use crate::error::{Context, Error, Result};
use crate::http;
use crate::json;
use crate::postgres::free_port;

/// The secret key every `aglis` of the bench gets (≥ 32 characters).
const SECRET_KEY: &str = "xtask-backup-bench-secret-key-0123456789";
/// How long the restored server may take to answer `GET /api/health`.
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// How many of the last stderr lines of a failed command are kept for its error.
const ERROR_LINES: usize = 15;

/// A data set the bench seeds before taking a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSet {
    /// The demo data alone: `aglis seed --customers 0 --tickets 0`.
    Demo,
    /// `aglis seed --scale large`: 100,000 customers, 1,000,000 tickets on top of the demo data.
    Large,
}

impl DataSet {
    /// Its name on the command line and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Large => "large",
        }
    }

    /// The arguments of `aglis` that seed it.
    pub fn seed_args(self) -> &'static [&'static str] {
        match self {
            Self::Demo => &["seed", "--customers", "0", "--tickets", "0"],
            Self::Large => &["seed", "--scale", "large"],
        }
    }
}

/// Which data sets `--data` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSets {
    Demo,
    Large,
    All,
}

impl DataSets {
    /// The data sets, smallest first.
    pub fn list(self) -> Vec<DataSet> {
        match self {
            Self::Demo => vec![DataSet::Demo],
            Self::Large => vec![DataSet::Large],
            Self::All => vec![DataSet::Demo, DataSet::Large],
        }
    }
}

impl std::str::FromStr for DataSets {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "demo" => Ok(Self::Demo),
            "large" => Ok(Self::Large),
            "all" => Ok(Self::All),
            other => Err(format!("unknown data set `{other}`: expected demo, large or all")),
        }
    }
}

/// The engine a run takes its set on.
#[derive(Debug, Clone)]
pub enum Target {
    /// `<data dir>/aglis.db`, the default.
    Sqlite,
    /// Databases on the bench's PostgreSQL cluster.
    Postgres {
        /// The cluster's bin directory: `createdb`, `dropdb`, `pg_dump`, `pg_restore` (also given
        /// to the application as `AGLIS_BACKUP_PG_BIN_DIR`).
        bin_dir: PathBuf,
        /// The cluster's TCP port on 127.0.0.1 (trust authentication, user `postgres`).
        port: u16,
    },
}

impl Target {
    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

/// What `aglis backup create` printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The set's name, e.g. `aglis-20261125T190000Z`.
    pub name: String,
    /// `<name>: complete, <size> in <secs> s`: the creation alone.
    pub create_secs: f64,
    /// `verified: … in <ms> ms`.
    pub verify_ms: Option<f64>,
}

/// Reads `aglis backup create`'s output: the `<name>: complete, <size> in <secs> s` line (required)
/// and the `verified: … in <ms> ms` line.
pub fn parse_created(stdout: &str) -> Option<Created> {
    let (name, create_secs) = stdout.lines().find_map(|line| {
        let (name, rest) = line.trim().split_once(": complete, ")?;
        Some((name.to_owned(), number_before(rest, " s")?))
    })?;
    let verify_ms = stdout.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("verified:")?;
        number_before(rest, " ms")
    });
    Some(Created { name, create_secs, verify_ms })
}

/// Reads the seconds of `<name>: restored in <secs> s (…)` from `aglis backup restore`'s output.
pub fn parse_restored(stdout: &str, name: &str) -> Option<f64> {
    let prefix = format!("{name}: restored in ");
    stdout.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(prefix.as_str())?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// The number that ends `text` just before its last `suffix` (`… in 12.5 s` → 12.5).
fn number_before(text: &str, suffix: &str) -> Option<f64> {
    let end = text.trim_end().rfind(suffix)?;
    let head = &text[..end];
    head.rsplit(' ').next()?.parse().ok()
}

/// What a set's `manifest.json` tells the bench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfo {
    /// The sum of its parts' sizes (compressed, as stored).
    pub bytes: u64,
    /// The sum of its parts' sizes before compression.
    pub raw_bytes: u64,
    /// Rows of `customers` and `tickets` in the set.
    pub customers: Option<u64>,
    pub tickets: Option<u64>,
}

/// Reads `parts[].size`, `parts[].raw_size` and the `customers` and `tickets` rows of `tables[]`.
pub fn parse_manifest(text: &str) -> Result<SetInfo, String> {
    let value = json::parse(text)?;
    let parts = value.get(&["parts"]).and_then(json::Value::as_array).ok_or("no `parts` array")?;
    let mut bytes = 0;
    let mut raw_bytes = 0;
    for part in parts {
        let size = |field: &str| part.get(&[field]).and_then(json::Value::as_f64).map(|n| n as u64);
        bytes += size("size").ok_or("a part without `size`")?;
        raw_bytes += size("raw_size").unwrap_or(0);
    }
    let tables = value.get(&["tables"]).and_then(json::Value::as_array).unwrap_or_default();
    let rows = |name: &str| {
        tables
            .iter()
            .find(|t| t.get(&["table"]).and_then(json::Value::as_str) == Some(name))
            .and_then(|t| t.get(&["rows"]).and_then(json::Value::as_f64))
            .map(|n| n as u64)
    };
    Ok(SetInfo { bytes, raw_bytes, customers: rows("customers"), tickets: rows("tickets") })
}

/// The figures of one engine and data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub engine: String,
    pub data_set: &'static str,
    pub set: SetInfo,
    /// Wall time of `aglis seed`.
    pub seed_secs: f64,
    /// Wall time of `aglis backup create` (creation, verification, retention, process start).
    pub backup_secs: f64,
    /// What `aglis backup create` printed.
    pub created: Created,
    /// Wall time of `aglis backup restore <set> --yes`.
    pub restore_secs: f64,
    /// What `aglis backup restore` printed.
    pub restore_reported_secs: Option<f64>,
    /// From spawning `aglis serve` on the restored database until `GET /api/health` answered 200.
    pub start_secs: Option<f64>,
    /// PostgreSQL only: the reference `pg_dump`/`pg_restore`.
    pub reference: Option<Reference>,
}

/// Plain `pg_dump --format=custom` and `pg_restore --jobs=N --no-owner`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub dump_secs: f64,
    pub dump_bytes: u64,
    pub restore_secs: f64,
}

/// Human size as the application prints it: `12.3 MB` (1024-based).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds with one decimal, or two under 10 s.
fn secs(s: f64) -> String {
    if s < 10.0 { format!("{s:.2}") } else { format!("{s:.1}") }
}

/// The header of [`table`].
const HEADER: [&str; 14] = [
    "engine",
    "data set",
    "rows (customers/tickets)",
    "set size",
    "backup s",
    "create s",
    "verify s",
    "restore s",
    "start s",
    "RTO ≈ restore + start s",
    "pg_dump s",
    "pg_restore s",
    "dump size",
    "seed s",
];

/// The rows as one Markdown table (columns padded, figures right-aligned).
pub fn table(rows: &[Row]) -> String {
    let dash = || "-".to_owned();
    let mut cells: Vec<Vec<String>> = vec![HEADER.iter().map(|h| (*h).to_owned()).collect()];
    for row in rows {
        let count = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), thousands);
        let reference = row.reference.as_ref();
        cells.push(vec![
            row.engine.clone(),
            row.data_set.to_owned(),
            format!("{} / {}", count(row.set.customers), count(row.set.tickets)),
            human_bytes(row.set.bytes),
            secs(row.backup_secs),
            secs(row.created.create_secs),
            row.created.verify_ms.map_or_else(dash, |ms| secs(ms / 1000.0)),
            secs(row.restore_secs),
            row.start_secs.map_or_else(dash, secs),
            row.start_secs.map_or_else(dash, |s| secs(row.restore_secs + s)),
            reference.map_or_else(dash, |r| secs(r.dump_secs)),
            reference.map_or_else(dash, |r| secs(r.restore_secs)),
            reference.map_or_else(dash, |r| human_bytes(r.dump_bytes)),
            secs(row.seed_secs),
        ]);
    }
    let widths: Vec<usize> =
        (0..HEADER.len()).map(|i| cells.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, w))| if i < 2 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| if i < 2 { "-".repeat(*w) } else { format!("{}:", "-".repeat(w - 1)) })
        .collect();
    let mut out = vec![line(&cells[0]), format!("| {} |", rule.join(" | "))];
    out.extend(cells[1..].iter().map(|c| line(c)));
    out.join("\n")
}

/// The table, the set-up line and what the figures mean.
pub fn report(rows: &[Row], setup: &str) -> String {
    let mut out = format!("backup: {setup}\n\n{}\n", table(rows));
    out.push_str(
        "\nbackup s: wall time of `aglis backup create` (create + verify + retention); create s and verify s \
         as it printed them; restore s: wall time of `aglis backup restore <set> --yes` into a new empty \
         database; start s: `aglis serve` on the restored database until GET /api/health answered 200.\n\
         RPO = the schedule interval (24 h) + the backup time; RTO for a lost machine ≈ restore + start \
         (plus getting a machine and the set onto it).\n",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{} {}: set {} ({} before compression), restore printed {}",
            row.engine,
            row.data_set,
            human_bytes(row.set.bytes),
            human_bytes(row.set.raw_bytes),
            row.restore_reported_secs.map_or_else(|| "nothing".to_owned(), |s| format!("{s:.1} s")),
        );
    }
    out.trim_end().to_owned()
}

/// Environment variable naming a directory to hold the backup bench's scratch data and its
/// PostgreSQL cluster instead of `<root>/target` (e.g. a tmpfs when the disk is nearly full).
pub const DIR_ENV: &str = "XTASK_BENCH_DIR";

/// Where the backup bench puts its directories: `$XTASK_BENCH_DIR` if set, else `<root>/target`.
pub fn base_dir(root: &Path) -> PathBuf {
    base_dir_from(root, std::env::var_os(DIR_ENV).map(PathBuf::from))
}

/// [`base_dir`] given the variable's value.
fn base_dir_from(root: &Path, configured: Option<PathBuf>) -> PathBuf {
    match configured.filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// The directory the bench works in: `<base>/xtask-backup-bench`.
pub fn work_dir(root: &Path) -> PathBuf {
    base_dir(root).join("xtask-backup-bench")
}

/// A PostgreSQL database of the bench, dropped when dropped.
struct PgDatabase {
    bin_dir: PathBuf,
    port: u16,
    name: String,
}

impl PgDatabase {
    /// Creates `name` afresh (dropping a leftover) with the cluster's `createdb`.
    fn create(bin_dir: &Path, port: u16, name: &str) -> Result<Self> {
        let db = Self { bin_dir: bin_dir.to_owned(), port, name: name.to_owned() };
        db.drop_database()?;
        let mut create = db.client("createdb");
        create.arg(name);
        cmd::run(cmd::stdout_to_stderr(&mut create))?;
        Ok(db)
    }

    /// Its connection URL.
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.port, self.name)
    }

    /// A client tool of the cluster with the connection options (`-h -p -U`).
    fn client(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(tool));
        cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres"]).stdin(Stdio::null());
        cmd
    }

    /// `dropdb --if-exists --force`.
    fn drop_database(&self) -> Result<()> {
        let mut drop = self.client("dropdb");
        drop.args(["--if-exists", "--force", &self.name]);
        cmd::run(cmd::stdout_to_stderr(&mut drop))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Err(e) = self.drop_database() {
            note!("warning: cannot drop database {}: {e}", self.name);
        }
    }
}

/// What a command printed and how long it took.
struct Timed {
    stdout: String,
    secs: f64,
}

/// Runs `cmd`, timing it from spawn to exit: stdout captured (and echoed to stderr), stderr
/// passed through line by line. Fails unless it exits successfully; the error holds the last lines
/// of its stderr (the command's own error message).
fn timed(cmd: &mut Command) -> Result<Timed> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let shown = cmd::display(cmd);
    note!("$ {shown}");
    let started = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("cannot run `{shown}`"))?;
    let stderr = child.stderr.take();
    let relay = std::thread::spawn(move || {
        let mut last: Vec<String> = Vec::new();
        if let Some(stderr) = stderr {
            for line in BufReader::new(stderr).lines().map_while(std::result::Result::ok) {
                eprintln!("{line}");
                last.push(line);
                if last.len() > ERROR_LINES {
                    last.remove(0);
                }
            }
        }
        last
    });
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    let status = child.wait().with_context(|| format!("cannot wait for `{shown}`"))?;
    let secs = started.elapsed().as_secs_f64();
    let last = relay.join().unwrap_or_default();
    eprint!("{stdout}");
    if !status.success() {
        let stdout_tail: Vec<&str> = stdout.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(Error::msg(format!(
            "`{shown}` failed ({status}) after {secs:.1} s:\n{}{}",
            last.join("\n"),
            if stdout_tail.is_empty() { String::new() } else { format!("\n(stdout) {}", stdout_tail.join("\n")) }
        )));
    }
    note!("{secs:.2} s");
    Ok(Timed { stdout, secs })
}

/// The settings of one installation (source or restored).
struct Install {
    /// Working directory (no `aglis.toml` at first; a restore writes one).
    cwd: PathBuf,
    data_dir: PathBuf,
    backup_dir: PathBuf,
    database_url: Option<String>,
    pg_bin_dir: Option<PathBuf>,
}

impl Install {
    /// `aglis args…` with no `AGLIS_*` of xtask's own and this installation's settings.
    fn command(&self, aglis: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(aglis);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AGLIS_") {
                cmd.env_remove(name);
            }
        }
        cmd.args(args)
            .current_dir(&self.cwd)
            .env("AGLIS_DATA_DIR", &self.data_dir)
            .env("AGLIS_BACKUP_DIR", &self.backup_dir)
            .env("AGLIS_SECRET_KEY", SECRET_KEY)
            .env("AGLIS_LOG", "warn")
            .stdin(Stdio::null());
        if let Some(url) = &self.database_url {
            cmd.env("AGLIS_DATABASE_URL", url);
        }
        if let Some(dir) = &self.pg_bin_dir {
            cmd.env("AGLIS_BACKUP_PG_BIN_DIR", dir);
        }
        cmd
    }

    /// Creates its working and data directories.
    fn make_dirs(&self) -> Result<()> {
        for dir in [&self.cwd, &self.data_dir] {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(())
    }
}

/// The running `aglis serve`, stopped (SIGTERM, then SIGKILL after 10 s) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).stderr(Stdio::null()).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `aglis serve` of `install` and times it until `GET /api/health` answers 200.
fn time_start(aglis: &Path, install: &Install) -> Result<f64> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    let mut serve = install.command(aglis, &["serve"]);
    serve.env("AGLIS_BIND", addr.to_string()).env("AGLIS_RUN_WORKERS", "false");
    cmd::stdout_to_stderr(&mut serve);
    note!("$ {} (AGLIS_BIND={addr}, AGLIS_RUN_WORKERS=false)", cmd::display(&serve));
    let started = Instant::now();
    let child = serve.spawn().with_context(|| format!("cannot start {}", aglis.display()))?;
    let mut server = Server(child);
    loop {
        if let Some(status) = server.0.try_wait().context("cannot check the server process")? {
            return Err(Error::msg(format!(
                "`aglis serve` on the restored database exited ({status}) before answering"
            )));
        }
        if let Ok((200, _)) = http::request(addr, "GET", "/api/health", &[], None) {
            let secs = started.elapsed().as_secs_f64();
            note!("GET /api/health answered 200 after {secs:.2} s");
            return Ok(secs);
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(Error::msg(format!(
                "`aglis serve` on the restored database did not answer GET /api/health with 200 within {} s",
                START_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The size of the file at `path`.
fn file_size(path: &Path) -> Result<u64> {
    Ok(fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.len())
}

/// Seeds, backs up, restores and starts one engine's data set; see the module documentation.
pub fn run(root: &Path, aglis: &Path, target: &Target, data_set: DataSet) -> Result<Row> {
    let engine = target.name();
    let dir = crate::load::TempDir::fresh(work_dir(root).join(format!("{engine}-{}", data_set.name())))?;
    let backup_dir = dir.0.join("backups");
    let pg = match target {
        Target::Sqlite => None,
        Target::Postgres { bin_dir, port } => Some((bin_dir.clone(), *port)),
    };
    let db_name = |role: &str| format!("aglis_backup_{}_{role}", data_set.name());
    let source_db = match &pg {
        Some((bin, port)) => Some(PgDatabase::create(bin, *port, &db_name("source"))?),
        None => None,
    };
    let source = Install {
        cwd: dir.0.join("source"),
        data_dir: dir.0.join("source").join("data"),
        backup_dir: backup_dir.clone(),
        database_url: source_db.as_ref().map(PgDatabase::url),
        pg_bin_dir: pg.as_ref().map(|(bin, _)| bin.clone()),
    };
    source.make_dirs()?;

    eprintln!("\n==> bench: backup on {engine}, data set {}: seed\n", data_set.name());
    let seed = timed(&mut source.command(aglis, data_set.seed_args()))?;

    eprintln!("\n==> bench: backup on {engine}, data set {}: aglis backup create\n", data_set.name());
    let backup = timed(&mut source.command(aglis, &["backup", "create"]))?;
    let created = parse_created(&backup.stdout).ok_or_else(|| {
        Error::msg(format!(
            "cannot find `<set>: complete, <size> in <secs> s` in the output of aglis backup create:\n{}",
            backup.stdout
        ))
    })?;
    let manifest_path = backup_dir.join(&created.name).join("manifest.json");
    let manifest =
        fs::read_to_string(&manifest_path).with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let set = parse_manifest(&manifest).map_err(|e| Error::msg(format!("{}: {e}", manifest_path.display())))?;

    // The reference dump, from the source database while it still exists.
    let dump_file = dir.0.join("reference.dump");
    let dump = match &source_db {
        Some(db) => {
            eprintln!("\n==> bench: backup on {engine}, data set {}: pg_dump (reference)\n", data_set.name());
            let mut pg_dump = db.client("pg_dump");
            pg_dump.arg("--format=custom").arg("-f").arg(&dump_file).arg(&db.name);
            let secs = timed(&mut pg_dump)?.secs;
            Some((secs, file_size(&dump_file)?))
        }
        None => None,
    };

    // A lost machine: the source database goes before the restore (this also keeps the disk use down).
    drop(source_db);
    fs::remove_dir_all(&source.data_dir).with_context(|| format!("cannot delete {}", source.data_dir.display()))?;

    eprintln!("\n==> bench: backup on {engine}, data set {}: aglis backup restore\n", data_set.name());
    let restored_db = match &pg {
        Some((bin, port)) => Some(PgDatabase::create(bin, *port, &db_name("restored"))?),
        None => None,
    };
    let restored = Install {
        cwd: dir.0.join("restored"),
        data_dir: dir.0.join("restored").join("data"),
        backup_dir: backup_dir.clone(),
        database_url: restored_db.as_ref().map(PgDatabase::url),
        pg_bin_dir: source.pg_bin_dir.clone(),
    };
    restored.make_dirs()?;
    let restore = timed(&mut restored.command(aglis, &["backup", "restore", &created.name, "--yes"]))?;
    let restore_reported_secs = parse_restored(&restore.stdout, &created.name);
    if restore_reported_secs.is_none() {
        note!("warning: no `{}: restored in <secs> s` line in the output of aglis backup restore", created.name);
    }

    eprintln!("\n==> bench: backup on {engine}, data set {}: aglis serve on the restored database\n", data_set.name());
    let start_secs = match time_start(aglis, &restored) {
        Ok(secs) => Some(secs),
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    };
    drop(restored_db);

    let reference = match (&pg, dump) {
        (Some((bin, port)), Some((dump_secs, dump_bytes))) => {
            eprintln!("\n==> bench: backup on {engine}, data set {}: pg_restore (reference)\n", data_set.name());
            let db = PgDatabase::create(bin, *port, &db_name("reference"))?;
            let jobs = std::thread::available_parallelism().map_or(1, usize::from);
            let mut pg_restore = db.client("pg_restore");
            pg_restore.arg(format!("--jobs={jobs}")).arg("--no-owner").arg("-d").arg(&db.name).arg(&dump_file);
            let restore_secs = timed(&mut pg_restore)?.secs;
            drop(db);
            Some(Reference { dump_secs, dump_bytes, restore_secs })
        }
        _ => None,
    };
    drop(dir);
    // The parent too, when this was its last run (remove_dir leaves a non-empty one alone).
    let _ = fs::remove_dir(work_dir(root));
    let row = Row {
        engine: engine.to_owned(),
        data_set: data_set.name(),
        set,
        seed_secs: seed.secs,
        backup_secs: backup.secs,
        created,
        restore_secs: restore.secs,
        restore_reported_secs,
        start_secs,
        reference,
    };
    eprintln!("\n{}", table(std::slice::from_ref(&row)));
    Ok(row)
}

/// `pg_dump --version` of `bin_dir`, e.g. `pg_dump (PostgreSQL) 15.14`.
pub fn pg_version(bin_dir: &Path) -> Option<String> {
    let out = Command::new(bin_dir.join("pg_dump")).arg("--version").stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    parse_pg_version(&String::from_utf8_lossy(&out.stdout))
}

/// The version in `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`: `15.18`.
fn parse_pg_version(text: &str) -> Option<String> {
    let (_, rest) = text.split_once("(PostgreSQL)")?;
    rest.split_whitespace().next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE_OUTPUT: &str = "\
aglis-20261126T070102Z: complete, 245.3 MB in 48.2 s
  database.sqlite.zst        240.1 MB (from 1.4 GB)
  files.tar.zst                5.1 MB (from 5.2 MB)
  config.json.zst               1.0 KB (from 2.1 KB)
  42 tables, 1203456 rows, 12 files
verified: restored into a scratch database and matched the manifest in 31250 ms
retention deleted: aglis-20261001T070000Z
";

    #[test]
    fn reads_the_create_output() {
        assert_eq!(
            parse_created(CREATE_OUTPUT),
            Some(Created { name: "aglis-20261126T070102Z".into(), create_secs: 48.2, verify_ms: Some(31250.0) })
        );
        let unverified = "aglis-20261126T070102Z: complete, 12 B in 0.1 s\n";
        assert_eq!(parse_created(unverified).map(|c| (c.create_secs, c.verify_ms)), Some((0.1, None)));
        assert_eq!(parse_created("Backing up to /x\n"), None);
        assert_eq!(parse_created("aglis-x: complete, 1 MB in many s\n"), None);
        assert_eq!(parse_created(""), None);
    }

    #[test]
    fn reads_the_restore_output() {
        let out = "aglis-20261126T070102Z: restored in 12.5 s (42 tables, 1203456 rows matched the manifest; 12 files)\n\
                   configuration written to aglis.toml\nstart the server with `aglis serve`\n";
        assert_eq!(parse_restored(out, "aglis-20261126T070102Z"), Some(12.5));
        assert_eq!(parse_restored(out, "aglis-20261126T000000Z"), None);
        assert_eq!(parse_restored("aglis-a: restored in soon s\n", "aglis-a"), None);
    }

    #[test]
    fn number_before_a_suffix() {
        assert_eq!(number_before("complete, 1.0 MB in 3.5 s", " s"), Some(3.5));
        assert_eq!(number_before(" matched in 120 ms ", " ms"), Some(120.0));
        assert_eq!(number_before("nothing", " s"), None);
    }

    #[test]
    fn reads_the_manifest() {
        let manifest = r#"{"format":1,"name":"aglis-20261126T070102Z","engine":"sqlite",
            "parts":[{"kind":"database","file":"database.sqlite.zst","size":1000,"raw_size":5000,"sha256":"ab"},
                     {"kind":"files","file":"files.tar.zst","size":200,"raw_size":300,"sha256":"cd"},
                     {"kind":"config","file":"config.json.zst","size":34,"raw_size":80,"sha256":"ef"}],
            "tables":[{"table":"customers","rows":100023,"hash":"x"},{"table":"tickets","rows":1000017,"hash":"y"},
                      {"table":"users","rows":5,"hash":"z"}],
            "files":3}"#;
        assert_eq!(
            parse_manifest(manifest),
            Ok(SetInfo { bytes: 1234, raw_bytes: 5380, customers: Some(100_023), tickets: Some(1_000_017) })
        );
        let bare = r#"{"parts":[{"size":7}],"tables":[]}"#;
        assert_eq!(parse_manifest(bare), Ok(SetInfo { bytes: 7, raw_bytes: 0, customers: None, tickets: None }));
        assert!(parse_manifest(r#"{"parts":[{"file":"x"}]}"#).is_err());
        assert!(parse_manifest(r#"{"tables":[]}"#).is_err());
        assert!(parse_manifest("not json").is_err());
    }

    #[test]
    fn formats_sizes_and_counts() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KB");
        assert_eq!(human_bytes(257_212_006), "245.3 MB");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_017), "1,000,017");
        assert_eq!((secs(1.234), secs(12.34)), ("1.23".to_owned(), "12.3".to_owned()));
    }

    #[test]
    fn reads_the_pg_dump_version() {
        assert_eq!(parse_pg_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"), Some("15.18".into()));
        assert_eq!(parse_pg_version("pg_dump (PostgreSQL) 17.2\n"), Some("17.2".into()));
        assert_eq!(parse_pg_version("pg_dump 1.0"), None);
    }

    #[test]
    fn base_directory() {
        let root = Path::new("/w");
        assert_eq!(base_dir_from(root, None), Path::new("/w/target"));
        assert_eq!(base_dir_from(root, Some(PathBuf::new())), Path::new("/w/target"));
        assert_eq!(base_dir_from(root, Some("/dev/shm/b".into())), Path::new("/dev/shm/b"));
        assert_eq!(base_dir_from(root, Some("scratch".into())), Path::new("/w/scratch"));
    }

    #[test]
    fn data_sets() {
        assert_eq!("demo".parse::<DataSets>().map(DataSets::list), Ok(vec![DataSet::Demo]));
        assert_eq!("large".parse::<DataSets>().map(DataSets::list), Ok(vec![DataSet::Large]));
        assert_eq!("all".parse::<DataSets>().map(DataSets::list), Ok(vec![DataSet::Demo, DataSet::Large]));
        assert!("huge".parse::<DataSets>().is_err());
        assert_eq!(DataSet::Demo.seed_args(), ["seed", "--customers", "0", "--tickets", "0"]);
        assert_eq!(DataSet::Large.seed_args(), ["seed", "--scale", "large"]);
    }

    fn row(engine: &str, reference: Option<Reference>, start_secs: Option<f64>) -> Row {
        Row {
            engine: engine.to_owned(),
            data_set: "large",
            set: SetInfo { bytes: 257_212_006, raw_bytes: 1 << 30, customers: Some(100_023), tickets: Some(1_000_017) },
            seed_secs: 250.0,
            backup_secs: 80.3,
            created: Created { name: "aglis-x".into(), create_secs: 48.2, verify_ms: Some(31_300.0) },
            restore_secs: 35.5,
            restore_reported_secs: Some(35.1),
            start_secs,
            reference,
        }
    }

    #[test]
    fn markdown_table() {
        let reference = Reference { dump_secs: 20.0, dump_bytes: 300 << 20, restore_secs: 60.0 };
        let rows = [row("sqlite", None, Some(0.5)), row("postgres", Some(reference), None)];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines.iter().all(|l| l.starts_with("| ") && l.ends_with(" |")));
        assert!(lines.iter().all(|l| l.chars().count() == lines[0].chars().count()), "{text}");
        assert!(lines[1].starts_with("| ---") && lines[1].contains("-: |"));
        let cells =
            |l: &str| l.split('|').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(cells(lines[0]).len(), HEADER.len());
        assert_eq!(
            cells(lines[2]),
            [
                "sqlite",
                "large",
                "100,023 / 1,000,017",
                "245.3 MB",
                "80.3",
                "48.2",
                "31.3",
                "35.5",
                "0.50",
                "36.0",
                "-",
                "-",
                "-",
                "250.0"
            ]
        );
        let pg = cells(lines[3]);
        assert_eq!(&pg[8..13], ["-", "-", "20.0", "60.0", "300.0 MB"]);
        let report = report(&rows, "2 CPUs");
        assert!(report.starts_with("backup: 2 CPUs\n\n| engine"));
        assert!(report.contains("RTO for a lost machine ≈ restore + start"));
        assert!(report.ends_with("postgres large: set 245.3 MB (1.0 GB before compression), restore printed 35.1 s"));
    }
}
