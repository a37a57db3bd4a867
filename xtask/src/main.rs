//! `cargo xtask`: the project's one test command, and its benchmark.
//!
//! `cargo xtask test` installs what is missing (cargo-nextest, the PostgreSQL server),
//! then runs the whole test suite twice: on SQLite, then on a throwaway PostgreSQL
//! cluster whose URL it passes in `AGLIS_TEST_DATABASE_URL`, then fuzzes the API on each engine
//! ([`fuzz`], also alone as `cargo xtask fuzz`). `cargo xtask bench` runs the queue benchmark
//! and the customer and ticket load tests the same way. See [`HELP`].

mod apt;
mod backup_bench;
mod bench;
mod browser;
mod cmd;
mod error;
mod fuzz;
mod http;
mod json;
mod load;
mod nextest;
mod postgres;
mod report;
mod s3;
mod venv;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use cmd::note;
use error::{Context, Error, Result};

/// Usage text of `cargo xtask help`.
const HELP: &str = "\
cargo xtask: project tasks

USAGE:
    cargo xtask test [--engine sqlite|postgres|all] [-- <nextest args>...]
        Install what is missing (cargo-nextest; chromium and chromium-driver for the browser
        test and the PostgreSQL server, with apt-get; moto, the local S3 server, from PyPI
        into target/xtask-s3/venv, python3-venv with apt-get if needed), start moto on
        127.0.0.1 (AGLIS_TEST_S3_ENDPOINT; without it the run fails, it never skips),
        then run `cargo nextest run --workspace --no-fail-fast` once per engine:
          sqlite    AGLIS_TEST_DATABASE_URL unset
          postgres  AGLIS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres,
                    a throwaway cluster in <tmp>/aglis-xtask-<uid>/pg-<hash of the
                    workspace path>/ (reachable by the server user wherever the clone
                    is), removed afterwards
        then `cargo check -p aglis-server --no-default-features` (a production build without
        the demo), then the fuzz stage on the same engines (see `cargo xtask fuzz`; the arguments
        after `--` are not passed to it). The default engine is `all`. Exits 1 if any run fails.
        Example: cargo xtask test --engine postgres -- -E 'test(invoice)'

    cargo xtask fuzz [--engine sqlite|postgres|all] [-- <schemathesis run args>...]
        Property-based tests of the OpenAPI document: install schemathesis==4.32.5 from PyPI
        into target/xtask-fuzz/venv if missing (python3-venv with apt-get if needed; failing
        that, the run fails saying what is missing), build the debug `aglis`, and per engine
        start `aglis demo` on 127.0.0.1:PORT against a fresh database (sqlite: a temp data
        directory; postgres: database aglis_fuzz in the throwaway cluster), sign in as the demo
        admin and run
          schemathesis run <url>/api/openapi.json --url <url> --checks all
            -H 'Authorization: Bearer <token>' --seed 20261206 --max-examples 100 --workers 1
            --generation-database none
        with the settings of xtask/fuzz/schemathesis.toml (the operations left out, and why)
        and the hook xtask/fuzz/aglis_fuzz_hooks.py (keeps the run's own admin signed in).
        Reports (junit.xml, events.ndjson, report.json) and the server's log go to
        target/xtask-fuzz/<engine>/. Prints the test cases generated and the failures by
        check and operation; fails on any failure. The default engine is `all`.
        Example: cargo xtask fuzz --engine sqlite -- --include-path-regex '^/api/v1/tickets'

    cargo xtask bench [--engine sqlite|postgres|all] [--suite queue|customers|tickets|monitoring|backup|all]
                      [--messages N] [--data demo|large|all]
        Run the benchmark suites once per engine and print one table per suite:
          queue      `cargo bench -p aglis-server --bench queue` (release build):
                     messages/s recorded with their jobs through the service (enqueue),
                     and sent through the queue to a local fake Fonnte with the rate
                     limit off (dispatch, by 1 runner, then by 2 runners at once);
                     N (messages per round) defaults to 5000
          customers  load tests over HTTP: install `oha` if missing (cargo install oha
          tickets,   --locked), build target/release/aglis, seed a fresh database with
          monitoring `aglis seed --scale large` (100,000 customers, 1,000,000 tickets),
                     start `aglis serve` and sign in as the demo admin, once per engine
                     for all three suites; then run oha (16 connections, 20 s) per scenario
                     after one warm-up request that must answer 200:
                       customers: the list, page 200, a search by name (1 and 2 words)
                         and by phone, a status filter, search + filter (p99 < 50 ms)
                       tickets: the list; status + technician; a text search, alone and
                         within a status; a number prefix (p99 < 50 ms); a ticket by id
                         (p99 < 10 ms); the dashboard counts (p99 < 100 ms)
                       monitoring: the detailed health (p99 < 100 ms), readiness
                         (< 10 ms), a /metrics scrape (< 200 ms), the alert history
                         and the error inbox (< 50 ms)
                     Table: matches, req/s, p50, p99 against its target, the slowest
                     response (flagged over 1 s), non-200 answers; then the server's
                     peak (VmHWM, reset before each suite) and final (VmRSS) memory
          backup     `aglis backup create|restore` (not part of `all`: it seeds its own
                     databases): build target/release/aglis, then per engine and data set
                     (--data: demo = `aglis seed --customers 0 --tickets 0`, large =
                     `aglis seed --scale large`; default all) in target/xtask-backup-bench/:
                     seed a new database, time `aglis backup create` (and read the creation
                     and verification times it prints and the set's manifest.json), delete
                     the source, time `aglis backup restore <set> --yes` into a NEW empty
                     database, then `aglis serve` on it until GET /api/health answers 200;
                     on PostgreSQL also plain `pg_dump --format=custom` and `pg_restore
                     --jobs=<cpus> --no-owner` of the source for reference. One Markdown
                     table: rows, set size, backup/create/verify/restore/start seconds,
                     RTO ≈ restore + start, pg_dump/pg_restore seconds, dump size
        Engines:
          sqlite    a temp database file (queue) or data directory (load tests)
          postgres  a throwaway cluster in <tmp>/aglis-xtask-<uid>/pg-bench-<hash>/ (fsync off), removed
                    afterwards; the queue bench gets AGLIS_BENCH_DATABASE_URL=
                    postgres://postgres@127.0.0.1:PORT/postgres and creates and drops its
                    own database there; the load test uses a database `aglis_load`; the
                    backup bench databases `aglis_backup_<data set>_<source|restored|
                    reference>`, dropped after use
        The default engine is `sqlite`, the default suite `all` (queue, customers and
        tickets; not backup). Missed latency targets are reported, not failures; the exit
        code is 1 when a suite cannot run or a request gets no 200.
        Example: cargo xtask bench --suite tickets --engine all
                 cargo xtask bench --suite backup --engine all --data demo

    cargo xtask pg start
        Start the throwaway PostgreSQL cluster and leave it running. Prints its URL
        (alone on stdout) and writes it to target/xtask-pg/url; the cluster itself is in
        <tmp>/aglis-xtask-<uid>/pg-<hash>/. Then e.g.:
          export AGLIS_TEST_DATABASE_URL=$(cat target/xtask-pg/url)

    cargo xtask pg stop
        Stop that cluster (also one left by a crashed run) and delete its directory and
        target/xtask-pg/.

    cargo xtask help
        Show this text.

ENVIRONMENT:
    AGLIS_PG_BINDIR   directory with initdb and pg_ctl to use instead of searching
                      /usr/lib/postgresql/*/bin and PATH
    XTASK_BENCH_DIR   --suite backup only: directory for xtask-backup-bench/ (instead of
                      target/) and xtask-pg-bench/ (instead of <tmp>/aglis-xtask-<uid>/),
                      e.g. /dev/shm when the disk is short of space (the figures then
                      exclude disk I/O); the server user must be able to reach it
";

/// Which database engines `cargo xtask test` (or `bench`) runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
    All,
}

impl Engine {
    fn includes_sqlite(self) -> bool {
        matches!(self, Self::Sqlite | Self::All)
    }

    fn includes_postgres(self) -> bool {
        matches!(self, Self::Postgres | Self::All)
    }
}

impl std::str::FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Self::Postgres),
            "all" => Ok(Self::All),
            other => Err(format!("unknown engine `{other}`: expected sqlite, postgres or all")),
        }
    }
}

/// Which benchmark suites `cargo xtask bench` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suite {
    Queue,
    Customers,
    Tickets,
    Monitoring,
    /// `aglis backup create|restore` ([`backup_bench`]); not part of `All`.
    Backup,
    All,
}

impl Suite {
    fn includes_queue(self) -> bool {
        matches!(self, Self::Queue | Self::All)
    }

    fn includes_backup(self) -> bool {
        matches!(self, Self::Backup)
    }

    /// The load-test suites it includes, in the order they run (on one seeded server).
    fn load_suites(self) -> Vec<report::Suite> {
        match self {
            Self::Queue | Self::Backup => Vec::new(),
            Self::Customers => vec![report::Suite::Customers],
            Self::Tickets => vec![report::Suite::Tickets],
            Self::Monitoring => vec![report::Suite::Monitoring],
            Self::All => vec![report::Suite::Customers, report::Suite::Tickets, report::Suite::Monitoring],
        }
    }
}

impl std::str::FromStr for Suite {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "queue" => Ok(Self::Queue),
            "customers" | "customer" | "load" => Ok(Self::Customers),
            "tickets" | "ticket" => Ok(Self::Tickets),
            "monitoring" | "health" => Ok(Self::Monitoring),
            "backup" | "backups" => Ok(Self::Backup),
            "all" => Ok(Self::All),
            other => {
                Err(format!("unknown suite `{other}`: expected queue, customers, tickets, monitoring, backup or all"))
            }
        }
    }
}

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
enum Task {
    Help,
    Test { engine: Engine, extra: Vec<String> },
    Bench { engine: Engine, suite: Suite, messages: Option<usize>, data: backup_bench::DataSets },
    Fuzz { engine: Engine, extra: Vec<String> },
    PgStart,
    PgStop,
}

/// Parses the arguments after `cargo xtask`; `Err` holds a usage error message.
fn parse(args: &[String]) -> Result<Task, String> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Task::Help),
        "test" => Ok(parse_test(rest)?.map_or(Task::Help, |(engine, extra)| Task::Test { engine, extra })),
        "fuzz" => Ok(parse_test(rest)?.map_or(Task::Help, |(engine, extra)| Task::Fuzz { engine, extra })),
        "bench" => parse_bench(rest),
        "pg" => match rest {
            [sub] if sub == "start" => Ok(Task::PgStart),
            [sub] if sub == "stop" => Ok(Task::PgStop),
            _ => Err("usage: cargo xtask pg start|stop".to_owned()),
        },
        other => Err(format!("unknown command `{other}`")),
    }
}

/// Parses the arguments of `cargo xtask test` and `cargo xtask fuzz`: `--engine` and what comes
/// after `--` (for nextest, or for schemathesis); `None` for `--help`.
fn parse_test(args: &[String]) -> Result<Option<(Engine, Vec<String>)>, String> {
    let mut engine = Engine::All;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--" => {
                return Ok(Some((engine, args.cloned().collect())));
            }
            "-h" | "--help" => return Ok(None),
            "--engine" => {
                let value = args.next().ok_or("--engine needs a value: sqlite, postgres or all")?;
                engine = value.parse()?;
            }
            other => {
                if let Some(value) = other.strip_prefix("--engine=") {
                    engine = value.parse()?;
                } else {
                    return Err(format!(
                        "unexpected argument `{other}`; pass arguments for nextest (test) or schemathesis \
                         (fuzz) after `--`, e.g. cargo xtask test -- -E 'test(name)'"
                    ));
                }
            }
        }
    }
    Ok(Some((engine, Vec::new())))
}

/// Parses the arguments of `cargo xtask bench`.
fn parse_bench(args: &[String]) -> Result<Task, String> {
    let mut engine = Engine::Sqlite;
    let mut suite = Suite::All;
    let mut messages = None;
    let mut data = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value =
            |what: &str| inline.clone().or_else(|| args.next().cloned()).ok_or(format!("{name} needs {what}"));
        match name {
            "-h" | "--help" => return Ok(Task::Help),
            "--engine" => engine = value("a value: sqlite, postgres or all")?.parse()?,
            "--suite" => suite = value("a value: queue, customers, tickets, monitoring, backup or all")?.parse()?,
            "--data" | "--data-set" => data = Some(value("a value: demo, large or all")?.parse()?),
            "--messages" => {
                let n = value("a number")?;
                messages = Some(
                    n.parse::<usize>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or(format!("--messages: `{n}` is not a positive number"))?,
                );
            }
            other => return Err(format!("unexpected argument `{other}` for cargo xtask bench")),
        }
    }
    if data.is_some() && !suite.includes_backup() {
        return Err("--data selects the data sets of --suite backup".to_owned());
    }
    Ok(Task::Bench { engine, suite, messages, data: data.unwrap_or(backup_bench::DataSets::All) })
}

/// The workspace root: the parent of this crate's directory, else what
/// `cargo locate-project --workspace` says.
fn workspace_root() -> Result<PathBuf> {
    if let Some(root) = Path::new(env!("CARGO_MANIFEST_DIR")).parent()
        && root.join("Cargo.toml").is_file()
    {
        return Ok(root.to_path_buf());
    }
    let out = Command::new(nextest::cargo())
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .context("cannot run `cargo locate-project`")?;
    if !out.status.success() {
        return Err(Error::msg("`cargo locate-project --workspace` failed"));
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    manifest.parent().map(Path::to_path_buf).ok_or_else(|| Error::msg("cannot find the workspace root"))
}

/// Formats the per-engine summary lines, e.g. `sqlite: passed`.
fn summary<S: AsRef<str>>(results: &[(S, bool)]) -> String {
    results
        .iter()
        .map(|(engine, passed)| format!("{}: {}", engine.as_ref(), if *passed { "passed" } else { "FAILED" }))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `cargo xtask test`: returns whether every engine's run passed.
fn test(engine: Engine, extra: &[String]) -> Result<bool> {
    let root = workspace_root()?;
    nextest::ensure_installed()?;
    // The browser tests drive headless Chromium through chromedriver.
    browser::ensure_installed()?;
    // Set PostgreSQL up first, so that a failing install shows before a long SQLite run.
    // The guard stops the server and deletes its directory when dropped, also on errors.
    let cluster = if engine.includes_postgres() { Some(start_cluster(&root)?) } else { None };

    // Attachments on a bucket and the backups' off-site copy go to a local S3 server (moto),
    // which the run cannot do without.
    let s3 = s3::S3Server::start(&root)?;
    // The fuzzer too, installed now so that a failing install shows before the long runs.
    let schemathesis = fuzz::ensure_schemathesis(&root)?;

    let mut results = Vec::new();
    if engine.includes_sqlite() {
        eprintln!("\n==> engine: sqlite\n");
        results.push(("sqlite".to_owned(), nextest::run(&root, None, s3.endpoint(), extra)?));
    }
    if let Some((cluster, _)) = &cluster {
        eprintln!("\n==> engine: postgres ({})\n", cluster.port());
        results.push(("postgres".to_owned(), nextest::run(&root, Some(&cluster.url()), s3.endpoint(), extra)?));
    }
    drop(s3);
    eprintln!("\n==> a production build: the server without its `demo` feature\n");
    results.push(("build without demo".to_owned(), nextest::check_without_demo(&root)?));
    results.extend(fuzz_stage(&root, schemathesis, engine, cluster.as_ref(), &[]));
    drop(cluster);

    eprintln!("\n==> summary\n{}", summary(&results));
    Ok(results.iter().all(|(_, passed)| *passed))
}

/// Starts the throwaway PostgreSQL cluster of the tests; returns it with its `createdb`.
fn start_cluster(root: &Path) -> Result<(postgres::Cluster, PathBuf)> {
    let bin = postgres::ensure_binaries()?;
    let run_as = postgres::server_user()?;
    let createdb = bin.pg_ctl.with_file_name("createdb");
    Ok((postgres::Cluster::start(postgres::Layout::new(root), &bin, run_as)?, createdb))
}

/// The fuzz stage ([`fuzz`]) on SQLite and, with `cluster`, on PostgreSQL: one `(fuzz <engine>,
/// passed)` per engine. A run that cannot be made (the build, the server) fails its engine.
fn fuzz_stage(
    root: &Path,
    schemathesis: PathBuf,
    engine: Engine,
    cluster: Option<&(postgres::Cluster, PathBuf)>,
    extra: &[String],
) -> Vec<(String, bool)> {
    let mut engines = Vec::new();
    if engine.includes_sqlite() {
        engines.push(("sqlite", load::Database::Sqlite));
    }
    if let Some((cluster, createdb)) = cluster {
        engines.push(("postgres", load::Database::Postgres { createdb: createdb.clone(), port: cluster.port() }));
    }
    let label = |name: &str| format!("fuzz {name}");
    let aglis = match fuzz::build_server(root) {
        Ok(aglis) => aglis,
        Err(e) => {
            eprintln!("error: fuzz: {e}");
            return engines.iter().map(|(name, _)| (label(name), false)).collect();
        }
    };
    let tools = fuzz::Tools { schemathesis, aglis };
    engines
        .iter()
        .map(|(name, database)| {
            let passed = match fuzz::run(root, &tools, name, database, extra) {
                Ok(outcome) => outcome.passed(),
                Err(e) => {
                    eprintln!("error: fuzz on {name}: {e}");
                    false
                }
            };
            (label(name), passed)
        })
        .collect()
}

/// `cargo xtask fuzz`: the fuzz stage alone; returns whether every engine's run passed.
fn fuzz(engine: Engine, extra: &[String]) -> Result<bool> {
    let root = workspace_root()?;
    let schemathesis = fuzz::ensure_schemathesis(&root)?;
    let cluster = if engine.includes_postgres() { Some(start_cluster(&root)?) } else { None };
    let results = fuzz_stage(&root, schemathesis, engine, cluster.as_ref(), extra);
    drop(cluster);
    eprintln!("\n==> summary\n{}", summary(&results));
    Ok(results.iter().all(|(_, passed)| *passed))
}

/// `cargo xtask bench`: returns whether every suite succeeded on every engine.
fn bench(engine: Engine, suite: Suite, messages: Option<usize>, data: backup_bench::DataSets) -> Result<bool> {
    let root = workspace_root()?;
    let load_suites = suite.load_suites();
    // What the load tests need (oha, the release server) first, so that a failing install
    // or build shows before anything long runs.
    let tools = if load_suites.is_empty() { None } else { Some(load::Tools::prepare(&root)?) };
    // The backup bench needs the release server only.
    let aglis = match (&tools, suite.includes_backup()) {
        (Some(tools), _) => Some(tools.aglis.clone()),
        (None, true) => Some(load::build_server(&root)?),
        (None, false) => None,
    };
    // Its own cluster directory, so that a `cargo xtask test` running meanwhile keeps its own.
    let cluster = if engine.includes_postgres() {
        let bin = postgres::ensure_binaries()?;
        let run_as = postgres::server_user()?;
        // The backup bench may keep its cluster where XTASK_BENCH_DIR says, the others not.
        let layout = match std::env::var_os(backup_bench::DIR_ENV).filter(|d| !d.is_empty()) {
            Some(_) if suite.includes_backup() => {
                postgres::Layout::in_dir(backup_bench::base_dir(&root).join("xtask-pg-bench"))
            }
            _ => postgres::Layout::bench(&root),
        };
        let createdb = bin.pg_ctl.with_file_name("createdb");
        Some((postgres::Cluster::start(layout, &bin, run_as)?, createdb))
    } else {
        None
    };
    let bench_started = std::time::Instant::now();
    let mut backup_rows = Vec::new();
    let mut queue_tables = Vec::new();
    let mut load_runs: Vec<report::SuiteRun> = Vec::new();
    let mut failed = Vec::new();
    let mut engines = Vec::new();
    if engine.includes_sqlite() {
        engines.push(("sqlite", None, load::Database::Sqlite));
    }
    if let Some((cluster, createdb)) = &cluster {
        let database = load::Database::Postgres { createdb: createdb.clone(), port: cluster.port() };
        engines.push(("postgres", Some(cluster.url()), database));
    }
    for (name, url, database) in &engines {
        if let Some(aglis) = aglis.as_deref().filter(|_| suite.includes_backup()) {
            let target = match database {
                load::Database::Sqlite => backup_bench::Target::Sqlite,
                load::Database::Postgres { createdb, port } => backup_bench::Target::Postgres {
                    bin_dir: createdb.parent().map(Path::to_path_buf).unwrap_or_default(),
                    port: *port,
                },
            };
            for data_set in data.list() {
                match backup_bench::run(&root, aglis, &target, data_set) {
                    Ok(row) => backup_rows.push(row),
                    Err(e) => {
                        eprintln!("error: backup on {name}, data set {}: {e}", data_set.name());
                        failed.push(format!("backup on {name}, data set {}", data_set.name()));
                    }
                }
            }
        }
        if suite.includes_queue() {
            eprintln!("\n==> bench: queue on {name}\n");
            match bench::run(&root, url.as_deref(), messages)? {
                Some(table) => queue_tables.push(table),
                None => failed.push(format!("queue on {name}")),
            }
        }
        if let Some(tools) = &tools {
            // One seed and one server for every load suite of this engine.
            match load::run(tools, name, database, &load_suites) {
                Ok(outcomes) => {
                    for (load_suite, outcome) in outcomes {
                        match outcome {
                            Ok(run) => {
                                if !run.rows.iter().all(report::Row::clean) {
                                    failed.push(format!("{} on {name} (requests without a 200)", load_suite.name()));
                                }
                                load_runs.push(run);
                            }
                            Err(e) => {
                                eprintln!("error: {} on {name}: {e}", load_suite.name());
                                failed.push(format!("{} on {name}", load_suite.name()));
                            }
                        }
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    failed.extend(load_suites.iter().map(|s| format!("{} on {name}", s.name())));
                }
            }
        }
    }
    let pg_version = cluster
        .as_ref()
        .and_then(|(_, createdb)| createdb.parent().and_then(backup_bench::pg_version))
        .map(|v| format!(", PostgreSQL {v} (fsync off)"))
        .unwrap_or_default();
    drop(cluster);
    if !backup_rows.is_empty() {
        let setup = format!(
            "{} CPUs{pg_version}, zstd sets, AGLIS_RUN_WORKERS=false for the start; whole run {:.0} s",
            std::thread::available_parallelism().map_or(0, usize::from),
            bench_started.elapsed().as_secs_f64()
        );
        println!("\n{}", backup_bench::report(&backup_rows, &setup));
    }
    if !queue_tables.is_empty() {
        println!("\n{}", bench::combine(&queue_tables));
    }
    let setup = format!(
        "aglis seed --scale large, oha -c {} -z {}, {} CPUs",
        load::CONNECTIONS,
        load::DURATION,
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    for load_suite in &load_suites {
        let runs: Vec<report::SuiteRun> = load_runs.iter().filter(|r| r.suite == *load_suite).cloned().collect();
        if !runs.is_empty() {
            println!("\n{}", report::report(*load_suite, &runs, &setup));
        }
    }
    for what in &failed {
        eprintln!("bench {what}: FAILED");
    }
    Ok(failed.is_empty())
}

/// `cargo xtask pg start`.
fn pg_start() -> Result<()> {
    let root = workspace_root()?;
    let bin = postgres::ensure_binaries()?;
    let run_as = postgres::server_user()?;
    let layout = postgres::Layout::new(&root);
    let cluster = postgres::Cluster::start(layout.clone(), &bin, run_as)?;
    let url = cluster.url();
    cluster.detach();
    note!("URL written to {}; stop with `cargo xtask pg stop`", layout.url_file().display());
    note!("e.g.: {}={url} cargo nextest run -p aglis-db", nextest::DATABASE_URL_ENV);
    println!("{url}");
    Ok(())
}

/// `cargo xtask pg stop`.
fn pg_stop() -> Result<()> {
    let layout = postgres::Layout::new(&workspace_root()?);
    if postgres::stop_leftover(&layout)? {
        note!("stopped the PostgreSQL server and deleted {}", layout.dir.display());
    } else {
        note!("no cluster in {}", layout.dir.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = match parse(&args) {
        Ok(task) => task,
        Err(message) => {
            eprintln!("error: {message}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let outcome = match task {
        Task::Help => {
            print!("{HELP}");
            Ok(true)
        }
        Task::Test { engine, extra } => test(engine, &extra),
        Task::Fuzz { engine, extra } => fuzz(engine, &extra),
        Task::Bench { engine, suite, messages, data } => bench(engine, suite, messages, data),
        Task::PgStart => pg_start().map(|()| true),
        Task::PgStop => pg_stop().map(|()| true),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backup_bench::DataSets;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn test_task(engine: Engine, extra: &[&str]) -> Result<Task, String> {
        Ok(Task::Test { engine, extra: args(extra) })
    }

    #[test]
    fn parses_commands() {
        assert_eq!(parse(&[]), Ok(Task::Help));
        assert_eq!(parse(&args(&["help"])), Ok(Task::Help));
        assert_eq!(parse(&args(&["--help"])), Ok(Task::Help));
        assert_eq!(parse(&args(&["pg", "start"])), Ok(Task::PgStart));
        assert_eq!(parse(&args(&["pg", "stop"])), Ok(Task::PgStop));
        assert!(parse(&args(&["pg"])).is_err());
        assert!(parse(&args(&["pg", "restart"])).is_err());
        assert!(parse(&args(&["benchmark"])).is_err());
    }

    #[test]
    fn parses_test_engines() {
        assert_eq!(parse(&args(&["test"])), test_task(Engine::All, &[]));
        assert_eq!(parse(&args(&["test", "--engine", "sqlite"])), test_task(Engine::Sqlite, &[]));
        assert_eq!(parse(&args(&["test", "--engine=postgres"])), test_task(Engine::Postgres, &[]));
        assert_eq!(parse(&args(&["test", "--engine", "pg"])), test_task(Engine::Postgres, &[]));
        assert_eq!(parse(&args(&["test", "--engine", "all"])), test_task(Engine::All, &[]));
        assert!(parse(&args(&["test", "--engine"])).is_err());
        assert!(parse(&args(&["test", "--engine", "mysql"])).is_err());
    }

    #[test]
    fn parses_fuzz() {
        let fuzz = |engine, extra: &[&str]| Ok(Task::Fuzz { engine, extra: args(extra) });
        assert_eq!(parse(&args(&["fuzz"])), fuzz(Engine::All, &[]));
        assert_eq!(parse(&args(&["fuzz", "--engine", "sqlite"])), fuzz(Engine::Sqlite, &[]));
        assert_eq!(parse(&args(&["fuzz", "--engine=pg"])), fuzz(Engine::Postgres, &[]));
        assert_eq!(
            parse(&args(&["fuzz", "--engine", "all", "--", "--include-path-regex", "^/api/v1/tickets"])),
            fuzz(Engine::All, &["--include-path-regex", "^/api/v1/tickets"])
        );
        assert_eq!(parse(&args(&["fuzz", "--help"])), Ok(Task::Help));
        assert_eq!(parse(&args(&["test", "-h"])), Ok(Task::Help));
        assert!(parse(&args(&["fuzz", "--engine"])).is_err());
        assert!(parse(&args(&["fuzz", "--engine", "mysql"])).is_err());
        assert!(parse(&args(&["fuzz", "--max-examples", "5"])).is_err(), "schemathesis options go after --");
    }

    #[test]
    fn help_documents_the_fuzz_stage() {
        assert!(HELP.contains("cargo xtask fuzz [--engine sqlite|postgres|all]"));
        assert!(HELP.contains(fuzz::SCHEMATHESIS.requirement));
        assert!(HELP.contains(&format!("--seed {} --max-examples {}", fuzz::SEED, fuzz::MAX_EXAMPLES)));
        assert!(HELP.contains(fuzz::CONFIG) && HELP.contains(fuzz::HOOKS));
        assert!(HELP.contains("127.0.0.1"));
    }

    #[test]
    fn passes_everything_after_double_dash_to_nextest() {
        assert_eq!(
            parse(&args(&["test", "--engine", "sqlite", "--", "-E", "test(x)", "--", "--engine"])),
            test_task(Engine::Sqlite, &["-E", "test(x)", "--", "--engine"])
        );
        assert_eq!(parse(&args(&["test", "--"])), test_task(Engine::All, &[]));
        assert!(parse(&args(&["test", "some_filter"])).is_err());
    }

    #[test]
    fn parses_bench_options() {
        let bench = |engine, messages| Ok(Task::Bench { engine, suite: Suite::All, messages, data: DataSets::All });
        assert_eq!(parse(&args(&["bench"])), bench(Engine::Sqlite, None));
        assert_eq!(parse(&args(&["bench", "--engine", "all"])), bench(Engine::All, None));
        assert_eq!(parse(&args(&["bench", "--engine=pg", "--messages", "200"])), bench(Engine::Postgres, Some(200)));
        assert_eq!(parse(&args(&["bench", "--messages=50"])), bench(Engine::Sqlite, Some(50)));
        assert_eq!(parse(&args(&["bench", "--help"])), Ok(Task::Help));
        assert!(parse(&args(&["bench", "--engine"])).is_err());
        assert!(parse(&args(&["bench", "--messages", "0"])).is_err());
        assert!(parse(&args(&["bench", "--messages", "many"])).is_err());
        assert!(parse(&args(&["bench", "--", "x"])).is_err());
    }

    #[test]
    fn parses_bench_suites() {
        let bench = |engine, suite| Ok(Task::Bench { engine, suite, messages: None, data: DataSets::All });
        assert_eq!(parse(&args(&["bench", "--suite", "queue"])), bench(Engine::Sqlite, Suite::Queue));
        assert_eq!(parse(&args(&["bench", "--suite=customers"])), bench(Engine::Sqlite, Suite::Customers));
        assert_eq!(parse(&args(&["bench", "--suite", "tickets"])), bench(Engine::Sqlite, Suite::Tickets));
        assert_eq!(parse(&args(&["bench", "--suite=ticket"])), bench(Engine::Sqlite, Suite::Tickets));
        assert_eq!(parse(&args(&["bench", "--suite", "all"])), bench(Engine::Sqlite, Suite::All));
        assert_eq!(
            parse(&args(&["bench", "--suite", "customers", "--engine", "all"])),
            bench(Engine::All, Suite::Customers)
        );
        assert_eq!(
            parse(&args(&["bench", "--engine=postgres", "--suite", "tickets"])),
            bench(Engine::Postgres, Suite::Tickets)
        );
        assert_eq!(
            parse(&args(&["bench", "--engine=postgres", "--suite=queue", "--messages=10"])),
            Ok(Task::Bench { engine: Engine::Postgres, suite: Suite::Queue, messages: Some(10), data: DataSets::All })
        );
        assert!(parse(&args(&["bench", "--suite"])).is_err());
        assert!(parse(&args(&["bench", "--suite", "http"])).is_err());
        assert!(parse(&args(&["bench", "--suite="])).is_err());
        let unknown = parse(&args(&["bench", "--suite", "dashboard"]));
        assert_eq!(
            unknown,
            Err("unknown suite `dashboard`: expected queue, customers, tickets, monitoring, backup or all".to_owned())
        );
    }

    #[test]
    fn parses_the_backup_suite_and_its_data_sets() {
        let bench = |engine, data| Ok(Task::Bench { engine, suite: Suite::Backup, messages: None, data });
        assert_eq!(parse(&args(&["bench", "--suite", "backup"])), bench(Engine::Sqlite, DataSets::All));
        assert_eq!(
            parse(&args(&["bench", "--suite", "backup", "--engine", "all", "--data", "demo"])),
            bench(Engine::All, DataSets::Demo)
        );
        assert_eq!(
            parse(&args(&["bench", "--data-set=large", "--suite=backups", "--engine=pg"])),
            bench(Engine::Postgres, DataSets::Large)
        );
        assert!(parse(&args(&["bench", "--suite", "backup", "--data", "huge"])).is_err());
        assert!(parse(&args(&["bench", "--suite", "backup", "--data"])).is_err());
        assert_eq!(
            parse(&args(&["bench", "--data", "demo"])),
            Err("--data selects the data sets of --suite backup".to_owned())
        );
        assert!(parse(&args(&["bench", "--suite", "tickets", "--data", "large"])).is_err());
    }

    #[test]
    fn suite_selection() {
        use report::Suite::{Customers, Monitoring, Tickets};
        assert!(Suite::All.includes_queue() && Suite::All.load_suites() == [Customers, Tickets, Monitoring]);
        assert!(!Suite::Monitoring.includes_queue() && Suite::Monitoring.load_suites() == [Monitoring]);
        assert!(Suite::Queue.includes_queue() && Suite::Queue.load_suites().is_empty());
        assert!(!Suite::Customers.includes_queue() && Suite::Customers.load_suites() == [Customers]);
        assert!(!Suite::Tickets.includes_queue() && Suite::Tickets.load_suites() == [Tickets]);
        assert!(!Suite::Backup.includes_queue() && Suite::Backup.load_suites().is_empty());
        assert!(Suite::Backup.includes_backup());
        assert!(![Suite::All, Suite::Queue, Suite::Customers, Suite::Tickets].iter().any(|s| s.includes_backup()));
    }

    #[test]
    fn help_documents_the_bench_suites() {
        assert!(HELP.contains("--suite queue|customers|tickets|monitoring|backup|all"));
        assert!(HELP.contains("[--data demo|large|all]") && HELP.contains("aglis seed --customers 0 --tickets 0"));
        assert!(HELP.contains("aglis backup restore <set> --yes") && HELP.contains("not part of `all`"));
        assert!(HELP.contains(backup_bench::DIR_ENV));
        assert!(HELP.contains("aglis seed --scale large"));
        assert!(HELP.contains("p99 < 10 ms") && HELP.contains("p99 < 100 ms") && HELP.contains("over 1 s"));
        assert!(HELP.contains("monitoring: the detailed health") && HELP.contains("a /metrics scrape (< 200 ms)"));
    }

    #[test]
    fn engine_selection() {
        assert!(Engine::All.includes_sqlite() && Engine::All.includes_postgres());
        assert!(Engine::Sqlite.includes_sqlite() && !Engine::Sqlite.includes_postgres());
        assert!(!Engine::Postgres.includes_sqlite() && Engine::Postgres.includes_postgres());
    }

    #[test]
    fn summary_lines() {
        assert_eq!(summary(&[("sqlite", true), ("postgres", false)]), "sqlite: passed\npostgres: FAILED");
        assert_eq!(summary(&[("fuzz sqlite".to_owned(), false)]), "fuzz sqlite: FAILED");
    }

    #[test]
    fn finds_the_workspace_root() {
        let root = workspace_root().ok();
        assert!(root.is_some_and(|r| r.join("xtask").join("Cargo.toml").is_file()));
    }
}
