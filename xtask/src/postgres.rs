//! A throwaway PostgreSQL cluster for the test suite: finding (or installing) the
//! server binaries, choosing the system user it runs as, starting and stopping it.
//!
//! The cluster lives outside the workspace, in `<tmp>/aglis-xtask-<uid>/pg-<hash>/`, where
//! `<hash>` names the workspace root: run as root, the server runs as another user, who cannot
//! reach a clone inside a private directory (`/root/…`, mode 700). `<tmp>/aglis-xtask-<uid>/`
//! belongs to the user running xtask, mode 711 (others may pass through, not list or write):
//!
//! | path           | content                                                      |
//! |----------------|--------------------------------------------------------------|
//! | `data/`        | the cluster (initdb `-A trust -U postgres -E UTF8`)           |
//! | `sock/`        | the server's Unix socket                                     |
//! | `postgres.log` | the server log                                               |
//! | `state`        | how to stop it: `pg_ctl=…`, `user=…`, `port=…` (one per line)  |
//!
//! The connection URL, `postgres://postgres@127.0.0.1:PORT/postgres`, goes to
//! `<workspace>/target/xtask-pg/url`.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd::{self, RunAs, find_program, is_root, note, shell_quote, user_exists};
use crate::error::{Context, Error, Result};

/// Environment variable naming a directory with `initdb` and `pg_ctl`; skips the search.
pub const BINDIR_ENV: &str = "AGLIS_PG_BINDIR";

/// Where Debian's `postgresql-NN` packages put their binaries: `/usr/lib/postgresql/NN/bin`.
const DEBIAN_PG_LIB: &str = "/usr/lib/postgresql";

/// The system user created to run the server when xtask runs as root and there is no `postgres` user.
pub const SERVICE_USER: &str = "aglis-pg";

/// System directories searched for user-management tools in addition to `PATH`.
const SBIN: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// Longest Unix socket path Linux accepts (`sun_path` is 108 bytes with the final NUL).
const MAX_SOCKET_PATH: usize = 107;

/// How many times starting the server is tried when the chosen port got taken meanwhile.
const START_ATTEMPTS: u32 = 3;

/// The PostgreSQL server tools xtask uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBin {
    /// Creates a cluster.
    pub initdb: PathBuf,
    /// Starts, stops and queries a cluster's server.
    pub pg_ctl: PathBuf,
}

impl PgBin {
    /// The tools in `dir`, if both are there.
    fn in_dir(dir: &Path) -> Option<Self> {
        let bin = Self { initdb: dir.join("initdb"), pg_ctl: dir.join("pg_ctl") };
        (bin.initdb.is_file() && bin.pg_ctl.is_file()).then_some(bin)
    }
}

/// Parses a PostgreSQL install directory name such as `15` or `9.6` into numeric components.
pub fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// Keeps the names that are versions (see [`parse_version`]) and sorts them highest first.
pub fn versions_highest_first(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut versions: Vec<(Vec<u32>, String)> =
        names.into_iter().filter_map(|n| Some((parse_version(&n)?, n))).collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, n)| n).collect()
}

/// Finds the server tools: in `$AGLIS_PG_BINDIR` if set, else the highest
/// `/usr/lib/postgresql/*/bin`, else `initdb` and `pg_ctl` on `PATH`.
pub fn find_binaries() -> Result<Option<PgBin>> {
    if let Some(dir) = std::env::var_os(BINDIR_ENV) {
        let dir = PathBuf::from(dir);
        return PgBin::in_dir(&dir)
            .map(Some)
            .ok_or_else(|| Error::msg(format!("{BINDIR_ENV}={} has no initdb and pg_ctl", dir.display())));
    }
    let lib = Path::new(DEBIAN_PG_LIB);
    if let Ok(entries) = fs::read_dir(lib) {
        let names = entries.filter_map(|e| e.ok()?.file_name().into_string().ok());
        if let Some(bin) = versions_highest_first(names).iter().find_map(|v| PgBin::in_dir(&lib.join(v).join("bin"))) {
            return Ok(Some(bin));
        }
    }
    Ok(find_program("initdb", &[]).zip(find_program("pg_ctl", &[])).map(|(initdb, pg_ctl)| PgBin { initdb, pg_ctl }))
}

/// Finds the server tools, installing Debian's `postgresql` package when they are missing.
pub fn ensure_binaries() -> Result<PgBin> {
    if let Some(bin) = find_binaries()? {
        note!("PostgreSQL server: {}", bin.pg_ctl.parent().unwrap_or(&bin.pg_ctl).display());
        return Ok(bin);
    }
    note!("PostgreSQL server binaries (initdb, pg_ctl) not found: installing the `postgresql` package with apt-get");
    install_postgresql()?;
    let bin = find_binaries()?.ok_or_else(|| {
        Error::msg(format!(
            "initdb and pg_ctl still not found after installing postgresql (looked in {DEBIAN_PG_LIB}/*/bin and PATH)"
        ))
    })?;
    note!("PostgreSQL server: {}", bin.pg_ctl.parent().unwrap_or(&bin.pg_ctl).display());
    Ok(bin)
}

/// `apt-get install postgresql` (through sudo when not root).
fn install_postgresql() -> Result<()> {
    crate::apt::install(&["postgresql"]).map_err(|e| {
        Error::msg(format!("{e}; or install a PostgreSQL server yourself and point {BINDIR_ENV} at its bin directory"))
    })
}

/// The user the server runs as: the current one, or when root (which initdb and postgres
/// refuse) `postgres`, else `aglis-pg`, which is created if missing.
pub fn server_user() -> Result<RunAs> {
    if !is_root() {
        return Ok(RunAs::Current);
    }
    let name = if user_exists("postgres") {
        "postgres"
    } else {
        if !user_exists(SERVICE_USER) {
            note!("running as root, which PostgreSQL refuses: creating system user `{SERVICE_USER}`");
            let useradd = find_program("useradd", SBIN).ok_or_else(|| {
                Error::msg(format!("useradd not found: create a system user `{SERVICE_USER}` yourself"))
            })?;
            cmd::run(cmd::stdout_to_stderr(&mut Command::new(useradd)).args([
                "--system",
                "--no-create-home",
                SERVICE_USER,
            ]))?;
        }
        SERVICE_USER
    };
    note!("running as root: the PostgreSQL server runs as user `{name}`");
    RunAs::user(name)
}

/// Like [`server_user`], but never creates a user (for stopping a cluster of unknown origin).
fn existing_server_user() -> Result<RunAs> {
    if !is_root() {
        return Ok(RunAs::Current);
    }
    match ["postgres", SERVICE_USER].into_iter().find(|u| user_exists(u)) {
        Some(name) => RunAs::user(name),
        None => Ok(RunAs::Current),
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it when binding port 0).
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind 127.0.0.1:0 to find a free port")?;
    Ok(listener.local_addr().context("cannot read the address of a bound socket")?.port())
}

/// The connection URL of the cluster's default database.
pub fn database_url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// The server options passed with `pg_ctl -o` (parsed by a shell, hence the quoting).
/// Without a socket directory the server listens on TCP only.
pub fn server_options(port: u16, socket_dir: Option<&Path>) -> String {
    let socket_dir = socket_dir.map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
    format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400",
        shell_quote(&socket_dir)
    )
}

/// Whether the server's socket in `dir` fits the Unix socket path limit.
fn socket_dir_fits(dir: &Path) -> bool {
    dir.join(".s.PGSQL.65535").as_os_str().len() <= MAX_SOCKET_PATH
}

/// Whether a server log says the port was already taken.
fn port_was_taken(log: &str) -> bool {
    log.contains("Address already in use") || log.contains("could not create any TCP/IP sockets")
}

/// The last `n` lines of `text`.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The directory of xtask's clusters: `<tmp>/aglis-xtask-<uid>` (see the module's documentation).
pub fn runtime_base() -> PathBuf {
    let uid = cmd::euid().map_or_else(|| "unknown".to_owned(), |u| u.to_string());
    std::env::temp_dir().join(format!("aglis-xtask-{uid}"))
}

/// A stable 64-bit FNV-1a hash of `bytes` (std's hasher may change between releases), in hex.
pub fn stable_hash(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// Paths of a cluster: its directory (data, socket, log, state) and the directory of its `url` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The cluster's own directory, reachable by the server user.
    pub dir: PathBuf,
    /// Where the `url` file goes (in the workspace, for people and scripts).
    pub url_dir: PathBuf,
}

impl Layout {
    /// The test cluster of the workspace at `workspace_root`: `<tmp>/aglis-xtask-<uid>/pg-<hash>`,
    /// URL in `target/xtask-pg/url`.
    pub fn new(workspace_root: &Path) -> Self {
        Self::named(workspace_root, "pg", "xtask-pg")
    }

    /// The benchmarks' cluster (its own, so that a test run meanwhile keeps its own):
    /// `<tmp>/aglis-xtask-<uid>/pg-bench-<hash>`, URL in `target/xtask-pg-bench/url`.
    pub fn bench(workspace_root: &Path) -> Self {
        Self::named(workspace_root, "pg-bench", "xtask-pg-bench")
    }

    /// A cluster wholly inside `dir`, `url` file included (a directory the user chose).
    pub fn in_dir(dir: PathBuf) -> Self {
        Self { url_dir: dir.clone(), dir }
    }

    fn named(workspace_root: &Path, prefix: &str, url_dir: &str) -> Self {
        let hash = stable_hash(workspace_root.as_os_str().as_encoded_bytes());
        Self {
            dir: runtime_base().join(format!("{prefix}-{hash}")),
            url_dir: workspace_root.join("target").join(url_dir),
        }
    }

    /// The cluster left by an xtask before the cluster moved out of the workspace (all of it in
    /// the `url` directory), if there is one there.
    fn legacy(&self) -> Option<Self> {
        (self.url_dir != self.dir && self.url_dir.join("state").is_file()).then(|| Self::in_dir(self.url_dir.clone()))
    }

    /// The cluster's data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
    /// The directory of the server's Unix socket.
    pub fn sock(&self) -> PathBuf {
        self.dir.join("sock")
    }
    /// The server log.
    pub fn log(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }
    /// The file holding the connection URL.
    pub fn url_file(&self) -> PathBuf {
        self.url_dir.join("url")
    }
    /// The file recording how to stop the server (see [`State`]).
    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// Creates the parent of [`Layout::dir`] if missing (when `create`). When it is
    /// [`runtime_base`], in the shared temp directory, it must belong to this user and be
    /// writable by no one else (others could plant a `state` file there, whose `pg_ctl` xtask
    /// would run); it is made traversable (mode 711) for the server user.
    fn prepare_parent(&self, create: bool) -> Result<()> {
        let Some(parent) = self.dir.parent() else { return Ok(()) };
        if parent != runtime_base() {
            return if create {
                fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))
            } else {
                Ok(())
            };
        }
        if create {
            match fs::create_dir(parent) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::msg(format!("cannot create {}: {e}", parent.display()))),
            }
        }
        let Ok(meta) = fs::symlink_metadata(parent) else {
            return Ok(()); // Nothing there, nothing to stop.
        };
        if let Some(problem) = private_dir_problem(&meta, cmd::euid()) {
            return Err(Error::msg(format!(
                "{} {problem}: delete it (xtask creates it afresh) and retry",
                parent.display()
            )));
        }
        if meta.permissions().mode() & 0o7777 == 0o711 {
            return Ok(());
        }
        fs::set_permissions(parent, fs::Permissions::from_mode(0o711))
            .with_context(|| format!("cannot make {} traversable", parent.display()))
    }

    /// Deletes the `url` file and its directory if that is then empty.
    fn remove_url(&self) {
        let _ = fs::remove_file(self.url_file());
        if self.url_dir != self.dir {
            let _ = fs::remove_dir(&self.url_dir);
        }
    }
}

/// Why a directory with metadata `meta` (not followed if a symbolic link) is not safe for
/// xtask's clusters: not a directory, owned by another user than `uid`, or writable by others.
fn private_dir_problem(meta: &fs::Metadata, uid: Option<u32>) -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    if !meta.file_type().is_dir() {
        return Some("is not a directory".to_owned());
    }
    if uid.is_some_and(|uid| meta.uid() != uid) {
        return Some(format!("belongs to uid {}, not to you", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Some(format!("is writable by other users (mode {:o})", meta.mode() & 0o7777));
    }
    None
}

/// The ancestors of `dir` (not `dir` itself) that other users cannot traverse.
fn untraversable_ancestors(dir: &Path) -> Vec<(PathBuf, u32)> {
    dir.ancestors()
        .skip(1)
        .filter_map(|a| {
            let mode = fs::metadata(a).ok()?.permissions().mode();
            (mode & 0o001 == 0).then(|| (a.to_path_buf(), mode & 0o7777))
        })
        .collect()
}

/// What is needed to stop a cluster started by an earlier xtask process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The `pg_ctl` the cluster was started with.
    pub pg_ctl: PathBuf,
    /// The user the server runs as; `None` for the user who ran xtask.
    pub user: Option<String>,
    /// The TCP port (0 before the server was started).
    pub port: u16,
}

impl State {
    /// Renders the state as `key=value` lines.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "pg_ctl={}", self.pg_ctl.display());
        let _ = writeln!(s, "user={}", self.user.as_deref().unwrap_or(""));
        let _ = writeln!(s, "port={}", self.port);
        s
    }

    /// Parses what [`State::render`] wrote; `None` if `pg_ctl` is missing.
    pub fn parse(text: &str) -> Option<Self> {
        let (mut pg_ctl, mut user, mut port) = (None, None, 0);
        for (key, value) in text.lines().filter_map(|l| l.split_once('=')) {
            match key.trim() {
                "pg_ctl" => pg_ctl = Some(PathBuf::from(value)),
                "user" => user = Some(value.to_owned()).filter(|u| !u.is_empty()),
                "port" => port = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        Some(Self { pg_ctl: pg_ctl?, user, port })
    }

    /// How to run commands as the recorded user from this process.
    fn run_as(&self) -> Result<RunAs> {
        match &self.user {
            Some(user) if is_root() => RunAs::user(user),
            _ => Ok(RunAs::Current),
        }
    }
}

/// A command running `program` as `run_as` with the cluster directory as working
/// directory (the user may be unable to enter xtask's own).
fn pg_command(layout: &Layout, run_as: &RunAs, program: &Path, args: &[&std::ffi::OsStr]) -> Command {
    let mut cmd = run_as.command(program, args);
    cmd.current_dir(&layout.dir);
    cmd::stdout_to_stderr(&mut cmd);
    cmd
}

/// Stops the server of the cluster in `layout` if it runs (`pg_ctl stop -m MODE`).
fn stop_server(layout: &Layout, pg_ctl: &Path, run_as: &RunAs, mode: &str) -> Result<()> {
    let data = layout.data();
    if !data.join("postmaster.pid").exists() {
        return Ok(());
    }
    let running =
        cmd::succeeds(&mut pg_command(layout, run_as, pg_ctl, &["status".as_ref(), "-D".as_ref(), data.as_ref()]));
    if !running {
        return Ok(());
    }
    cmd::run(&mut pg_command(
        layout,
        run_as,
        pg_ctl,
        &["stop".as_ref(), "-D".as_ref(), data.as_ref(), "-m".as_ref(), mode.as_ref(), "-w".as_ref()],
    ))
}

/// Stops the server of a cluster left in `layout` (if any) and deletes the directory.
/// Uses the recorded [`State`] when there is one, else `fallback`. Returns whether there was a directory.
fn clear(layout: &Layout, fallback: impl FnOnce() -> Result<Option<(PathBuf, RunAs)>>, mode: &str) -> Result<bool> {
    if fs::symlink_metadata(&layout.dir).is_err() {
        layout.remove_url();
        return Ok(false);
    }
    let recorded = fs::read_to_string(layout.state_file()).ok().as_deref().and_then(State::parse);
    let how = match recorded {
        Some(state) => Some((state.pg_ctl.clone(), state.run_as()?)),
        None => fallback()?,
    };
    if let Some((pg_ctl, run_as)) = how {
        stop_server(layout, &pg_ctl, &run_as, mode).with_context(|| {
            format!("cannot stop the PostgreSQL server of {}; stop it by hand before retrying", layout.dir.display())
        })?;
    }
    fs::remove_dir_all(&layout.dir).with_context(|| format!("cannot delete {}", layout.dir.display()))?;
    layout.remove_url();
    Ok(true)
}

/// For `cargo xtask pg stop`: stops the cluster in `layout` and deletes its directory.
/// Returns whether there was one.
/// Also stops a cluster an older xtask left in the workspace (see [`Layout::legacy`]).
pub fn stop_leftover(layout: &Layout) -> Result<bool> {
    let fallback = || Ok(find_binaries()?.map(|b| b.pg_ctl).zip(Some(existing_server_user()?)));
    layout.prepare_parent(false)?;
    let legacy = match layout.legacy() {
        Some(legacy) => clear(&legacy, fallback, "fast")?,
        None => false,
    };
    Ok(clear(layout, fallback, "fast")? || legacy)
}

/// Warns about ancestors of `dir` that other users cannot traverse (the server user must reach `dir`).
fn warn_if_not_traversable(dir: &Path, user: &str) {
    for (ancestor, mode) in untraversable_ancestors(dir) {
        note!(
            "warning: {} (mode {mode:o}) is not traversable by other users; user `{user}` may not reach {}",
            ancestor.display(),
            dir.display()
        );
    }
}

/// A running throwaway cluster. Dropping it stops the server and deletes its
/// directory, unless it was [detached](Cluster::detach).
#[derive(Debug)]
pub struct Cluster {
    layout: Layout,
    pg_ctl: PathBuf,
    run_as: RunAs,
    port: u16,
    /// Whether dropping stops the server and deletes the directory.
    armed: bool,
}

impl Cluster {
    /// Wipes any old cluster in `layout`, creates a new one and starts its server on a free port.
    pub fn start(layout: Layout, bin: &PgBin, run_as: RunAs) -> Result<Self> {
        let fallback = || Ok(Some((bin.pg_ctl.clone(), run_as.clone())));
        layout.prepare_parent(true)?;
        for old in layout.legacy().iter().chain([&layout]) {
            if clear(old, fallback, "immediate")? {
                note!("deleted the old cluster in {}", old.dir.display());
            }
        }
        let sock = layout.sock();
        fs::create_dir_all(&sock).with_context(|| format!("cannot create {}", sock.display()))?;
        // From here on, dropping the guard cleans up.
        let mut cluster = Self { layout, pg_ctl: bin.pg_ctl.clone(), run_as, port: 0, armed: true };
        cluster.write_state()?;
        let layout = cluster.layout.clone();
        if let Some(user) = cluster.run_as.name() {
            warn_if_not_traversable(&layout.dir, user);
            cmd::run(Command::new("chown").arg("-R").arg(format!("{user}:")).arg(&layout.dir))?;
        }

        let data = layout.data();
        let mut initdb = cluster.command(
            &bin.initdb,
            &[
                "-D".as_ref(),
                data.as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        );
        cmd::run(initdb.stdout(Stdio::null()))?;

        let socket_dir = socket_dir_fits(&sock).then_some(sock.as_path());
        if socket_dir.is_none() {
            note!("{} is too long for a Unix socket: the server listens on TCP only", sock.display());
        }
        let log = layout.log();
        for attempt in 1..=START_ATTEMPTS {
            cluster.port = free_port()?;
            cluster.write_state()?;
            let log_start = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
            let options = server_options(cluster.port, socket_dir);
            let mut pg_ctl = cluster.command(
                &bin.pg_ctl,
                &[
                    "start".as_ref(),
                    "-w".as_ref(),
                    "-D".as_ref(),
                    data.as_ref(),
                    "-l".as_ref(),
                    log.as_ref(),
                    "-o".as_ref(),
                    options.as_ref(),
                ],
            );
            if cmd::status(&mut pg_ctl)?.success() {
                let url = cluster.url();
                fs::create_dir_all(&layout.url_dir)
                    .with_context(|| format!("cannot create {}", layout.url_dir.display()))?;
                fs::write(layout.url_file(), format!("{url}\n"))
                    .with_context(|| format!("cannot write {}", layout.url_file().display()))?;
                note!("PostgreSQL server running: {url}");
                return Ok(cluster);
            }
            let new_log = read_from(&log, log_start);
            if attempt < START_ATTEMPTS && port_was_taken(&new_log) {
                note!("port {} was taken meanwhile; retrying on another port", cluster.port);
                continue;
            }
            eprintln!("--- last lines of {} ---\n{}\n---", log.display(), last_lines(&new_log, 40));
            break;
        }
        Err(Error::msg("the PostgreSQL server did not start (see its log above)"))
    }

    /// The connection URL of the cluster's `postgres` database (user `postgres`, no password).
    pub fn url(&self) -> String {
        database_url(self.port)
    }

    /// The server's TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Leaves the server running after this process (for `cargo xtask pg start`).
    pub fn detach(mut self) {
        self.armed = false;
    }

    /// A command running `program` as the server user in the cluster directory.
    fn command(&self, program: &Path, args: &[&std::ffi::OsStr]) -> Command {
        pg_command(&self.layout, &self.run_as, program, args)
    }

    /// Records how to stop the server, for a later `pg stop` or a run after a crash.
    fn write_state(&self) -> Result<()> {
        let state = State { pg_ctl: self.pg_ctl.clone(), user: self.run_as.name().map(str::to_owned), port: self.port };
        let path = self.layout.state_file();
        fs::write(&path, state.render()).with_context(|| format!("cannot write {}", path.display()))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.armed = false;
        note!("stopping the PostgreSQL server and deleting {}", self.layout.dir.display());
        if let Err(e) = stop_server(&self.layout, &self.pg_ctl, &self.run_as, "fast") {
            note!("warning: {e}; left {} in place (`cargo xtask pg stop` retries)", self.layout.dir.display());
            return;
        }
        if let Err(e) = fs::remove_dir_all(&self.layout.dir) {
            note!("warning: cannot delete {}: {e}", self.layout.dir.display());
        }
        self.layout.remove_url();
    }
}

/// The content of the file at `path` from byte `offset` on (lossy UTF-8; empty if unreadable).
fn read_from(path: &Path, offset: u64) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = fs::File::open(path)
        && file.seek(SeekFrom::Start(offset)).is_ok()
    {
        let _ = file.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn versions_sort_numerically_highest_first() {
        let dirs = strings(&["9.6", "15", "README", "10", "16", "9.10", "", "17beta"]);
        assert_eq!(versions_highest_first(dirs), strings(&["16", "15", "10", "9.10", "9.6"]));
    }

    #[test]
    fn parse_version_rejects_non_numbers() {
        assert_eq!(parse_version("15"), Some(vec![15]));
        assert_eq!(parse_version("9.6"), Some(vec![9, 6]));
        assert_eq!(parse_version("15a"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port().ok();
        assert!(port.is_some_and(|p| p > 0));
        let rebound = port.map(|p| TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok());
        assert_eq!(rebound, Some(true));
    }

    #[test]
    fn server_options_quote_the_socket_dir() {
        let opts = server_options(5433, Some(Path::new("/w/target/xtask-pg/sock")));
        assert!(opts.starts_with("-p 5433 -k /w/target/xtask-pg/sock -c listen_addresses=127.0.0.1 "));
        assert!(opts.ends_with("-c max_connections=400"));
        assert!(server_options(1, Some(Path::new("/a b/sock"))).contains("-k '/a b/sock' "));
        assert!(server_options(1, None).contains("-k '' "));
    }

    #[test]
    fn socket_dir_length_limit() {
        assert!(socket_dir_fits(Path::new("/work/main/target/xtask-pg/sock")));
        assert!(!socket_dir_fits(&Path::new("/").join("x".repeat(100))));
    }

    #[test]
    fn state_round_trips() {
        let state = State {
            pg_ctl: PathBuf::from("/usr/lib/postgresql/15/bin/pg_ctl"),
            user: Some("postgres".into()),
            port: 41234,
        };
        assert_eq!(State::parse(&state.render()), Some(state));
        let current = State { pg_ctl: PathBuf::from("/x/pg_ctl"), user: None, port: 0 };
        assert_eq!(State::parse(&current.render()), Some(current));
        assert_eq!(State::parse("user=postgres\n"), None);
    }

    #[test]
    fn url_and_log_helpers() {
        assert_eq!(database_url(5432), "postgres://postgres@127.0.0.1:5432/postgres");
        assert!(port_was_taken("LOG:  could not bind IPv4 address \"127.0.0.1\": Address already in use"));
        assert!(!port_was_taken("FATAL:  data directory has wrong ownership"));
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
    }

    #[test]
    fn layout_keeps_the_cluster_outside_the_workspace_and_the_url_inside() {
        let layout = Layout::new(Path::new("/w"));
        let base = runtime_base();
        assert_eq!(layout.dir, base.join(format!("pg-{}", stable_hash(b"/w"))));
        assert_eq!(layout.data(), layout.dir.join("data"));
        assert_eq!(layout.state_file(), layout.dir.join("state"));
        assert_eq!(layout.url_file(), Path::new("/w/target/xtask-pg/url"));
        assert!(socket_dir_fits(&layout.sock()));
        let bench = Layout::bench(Path::new("/w"));
        assert_eq!(bench.dir, base.join(format!("pg-bench-{}", stable_hash(b"/w"))));
        assert_eq!(bench.url_file(), Path::new("/w/target/xtask-pg-bench/url"));
        assert_ne!(Layout::new(Path::new("/x")).dir, layout.dir, "another clone, another cluster");
        let chosen = Layout::in_dir(PathBuf::from("/dev/shm/b/xtask-pg-bench"));
        assert_eq!(chosen.url_file(), Path::new("/dev/shm/b/xtask-pg-bench/url"));
        assert_eq!(chosen.legacy(), None);
    }

    #[test]
    fn stable_hash_is_fnv1a() {
        assert_eq!(stable_hash(b""), "cbf29ce484222325");
        assert_eq!(stable_hash(b"a"), "af63dc4c8601ec8c");
        assert_ne!(stable_hash(b"/root/aglis"), stable_hash(b"/root/aglis2"));
    }

    /// A clone inside a private directory (`/root/…`, mode 700): the server user (not the
    /// owner) must still reach the cluster directory, so no ancestor of it may be closed to others.
    #[test]
    fn the_cluster_of_a_clone_in_a_private_directory_is_reachable_by_other_users() {
        let private = std::env::temp_dir().join(format!("xtask-layout-test-{}", std::process::id()));
        let root = private.join("aglis");
        fs::create_dir_all(&root).expect("create the clone's directory");
        fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).expect("chmod 700");
        let layout = Layout::new(&root);
        let prepared = layout.prepare_parent(true);
        let closed = untraversable_ancestors(&layout.dir);
        let _ = fs::remove_dir_all(&private);
        assert!(prepared.is_ok(), "{prepared:?}");
        assert!(!layout.dir.starts_with(&private), "{} is inside the private directory", layout.dir.display());
        assert_eq!(closed, Vec::new(), "ancestors of {} closed to the server user", layout.dir.display());
        let parent = fs::metadata(layout.dir.parent().expect("parent")).expect("parent exists");
        assert_eq!(parent.permissions().mode() & 0o7777, 0o711);
    }

    #[test]
    fn a_planted_cluster_parent_is_refused() {
        let dir = std::env::temp_dir().join(format!("xtask-planted-test-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let mode = |m| {
            fs::set_permissions(&dir, fs::Permissions::from_mode(m)).expect("chmod");
            fs::symlink_metadata(&dir).expect("metadata")
        };
        let me = cmd::euid();
        let open = private_dir_problem(&mode(0o777), me);
        let mine = private_dir_problem(&mode(0o711), me);
        let other = private_dir_problem(&mode(0o711), me.map(|uid| uid + 1));
        let link = dir.join("link");
        let linked = std::os::unix::fs::symlink("/tmp", &link)
            .ok()
            .and_then(|()| fs::symlink_metadata(&link).ok())
            .and_then(|m| private_dir_problem(&m, me));
        let _ = fs::remove_dir_all(&dir);
        assert!(open.is_some_and(|p| p.contains("writable by other users")));
        assert_eq!(mine, None);
        assert!(other.is_some_and(|p| p.contains("not to you")));
        assert!(linked.is_some_and(|p| p.contains("not a directory")));
    }

    #[test]
    fn a_cluster_left_in_the_workspace_by_an_older_xtask_is_found() {
        let root = std::env::temp_dir().join(format!("xtask-legacy-test-{}", std::process::id()));
        let layout = Layout::new(&root);
        let before = layout.legacy();
        fs::create_dir_all(&layout.url_dir).expect("dir");
        fs::write(layout.url_dir.join("url"), "x").expect("url");
        let only_url = layout.legacy();
        fs::write(layout.url_dir.join("state"), "pg_ctl=/x/pg_ctl\n").expect("state");
        let legacy = layout.legacy();
        let _ = fs::remove_dir_all(&root);
        assert_eq!((before, only_url), (None, None));
        assert_eq!(legacy, Some(Layout::in_dir(root.join("target/xtask-pg"))));
    }
}
