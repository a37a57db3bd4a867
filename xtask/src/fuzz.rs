//! `cargo xtask fuzz` and the fuzz stage of `cargo xtask test`: property-based tests of the
//! OpenAPI document with schemathesis against the real server.
//!
//! Per engine: build the debug `aglis`, start `aglis demo` (demo data, so that ids exist) on a
//! fresh database — a temp data directory on SQLite, a new database `aglis_fuzz` on the throwaway
//! PostgreSQL cluster — listening on 127.0.0.1 only, sign in as the demo admin, and run
//! `schemathesis run <url>/api/openapi.json --checks all` with that admin's token, a fixed seed
//! and [`MAX_EXAMPLES`] examples per operation. The settings that are not on the command line
//! (the operations left out and why, caching off) are in `xtask/fuzz/schemathesis.toml`; a hook,
//! `xtask/fuzz/aglis_fuzz_hooks.py`, keeps the run from ending its own session. The reports
//! (JUnit, NDJSON, JSON) and the server's log go to `target/xtask-fuzz/<engine>/`. The stage
//! fails on any failure schemathesis reports, prints how many test cases it generated and the
//! failures by check and operation, and stops the server it started, also on errors.
//! schemathesis is installed from PyPI (pinned) into `target/xtask-fuzz/venv` on first use.

use std::fmt::Write as _;
use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{self, note};
use crate::error::{Context, Error, Result};
use crate::http::{self, clip};
use crate::json;
use crate::load::{self, Database, Server, TempDir};
use crate::postgres::free_port;
use crate::venv::{self, Tool};

/// The fuzzer, pinned: a new release may add checks, and the stage must not change under us.
pub const SCHEMATHESIS: Tool = Tool {
    name: "schemathesis",
    requirement: "schemathesis==4.32.5",
    probe: "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '4.32.5')",
    min_python: (3, 11),
};

/// The seed of every run: the same cases each time on a fresh server.
pub const SEED: u64 = 20_261_206;

/// Examples per operation in the fuzzing phase (and scenarios in the stateful one); the coverage
/// phase adds its own boundary cases whatever this is. Chosen so that one engine's run takes
/// about 5 minutes on 2 cores.
pub const MAX_EXAMPLES: u32 = 100;

/// The settings file, relative to the workspace root.
pub const CONFIG: &str = "xtask/fuzz/schemathesis.toml";

/// The hooks module, relative to the workspace root (given in `SCHEMATHESIS_HOOKS`).
pub const HOOKS: &str = "xtask/fuzz/aglis_fuzz_hooks.py";

/// The variable telling the hooks which account the run signed in as.
const ADMIN_ID_ENV: &str = "AGLIS_FUZZ_ADMIN_ID";

/// The PostgreSQL database of the fuzz server.
const PG_DATABASE: &str = "aglis_fuzz";

/// Secrets of the inbound webhooks (Meta's signature, its subscription check, Fonnte's status
/// callback): with them set the three webhook operations exist and are fuzzed like the rest;
/// unset they only answer 404. They check what comes in and send nothing out.
pub const WEBHOOK_SECRETS: [(&str, &str); 3] = [
    ("AGLIS_META_APP_SECRET", "xtask-fuzz-meta-app-secret"),
    ("AGLIS_META_VERIFY_TOKEN", "xtask-fuzz-meta-verify-token"),
    ("AGLIS_FONNTE_WEBHOOK_TOKEN", "xtask-fuzz-fonnte-webhook-token"),
];

/// A run that takes longer than this is stopped and fails (a hang must not block CI).
const RUN_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What the stage needs once for all engines.
#[derive(Debug, Clone)]
pub struct Tools {
    /// `target/xtask-fuzz/venv/bin/schemathesis`.
    pub schemathesis: PathBuf,
    /// The debug `aglis` binary.
    pub aglis: PathBuf,
}

/// `target/xtask-fuzz`.
fn base_dir(root: &Path) -> PathBuf {
    root.join("target").join("xtask-fuzz")
}

/// Installs schemathesis when missing (an error says what is missing); returns its executable.
pub fn ensure_schemathesis(root: &Path) -> Result<PathBuf> {
    let venv = base_dir(root).join("venv");
    venv::ensure(&venv, SCHEMATHESIS)
        .map_err(|e| Error::msg(format!("cannot install the OpenAPI fuzzer ({}): {e}", SCHEMATHESIS.requirement)))?;
    Ok(venv.join("bin").join("schemathesis"))
}

/// `cargo build -p aglis-server --bin aglis`; returns the debug binary.
pub fn build_server(root: &Path) -> Result<PathBuf> {
    let mut build = crate::bench::cargo_command();
    build.current_dir(root).args(["build", "-p", "aglis-server", "--bin", "aglis"]);
    cmd::run(cmd::stdout_to_stderr(&mut build))?;
    let binary = load::target_dir(root).join("debug").join("aglis");
    if !binary.is_file() {
        return Err(Error::msg(format!("the build did not produce {}", binary.display())));
    }
    Ok(binary)
}

/// The arguments of `schemathesis` for a run against the server at `base_url`.
pub fn schemathesis_args(config: &Path, base_url: &str, token: &str, reports: &Path, extra: &[String]) -> Vec<String> {
    let report = |name: &str| reports.join(name).display().to_string();
    let mut args: Vec<String> = vec![
        "--config-file".into(),
        config.display().to_string(),
        "--no-color".into(),
        "run".into(),
        format!("{base_url}/api/openapi.json"),
        "--url".into(),
        base_url.into(),
        "--checks".into(),
        "all".into(),
        "-H".into(),
        format!("Authorization: Bearer {token}"),
        "--seed".into(),
        SEED.to_string(),
        "--max-examples".into(),
        MAX_EXAMPLES.to_string(),
        "--workers".into(),
        "1".into(),
        "--generation-database".into(),
        "none".into(),
        "--report".into(),
        "junit,ndjson,json".into(),
        "--report-junit-path".into(),
        report("junit.xml"),
        "--report-ndjson-path".into(),
        report("events.ndjson"),
        "--report-json-path".into(),
        report("report.json"),
    ];
    args.extend_from_slice(extra);
    args
}

/// `args` with the bearer token hidden, for echoing the command.
fn masked(args: &[String], token: &str) -> Vec<String> {
    args.iter().map(|a| a.replace(token, "<admin token>")).collect()
}

/// Whether the fuzz server's address is a loopback one (the stage never listens elsewhere).
fn loopback_only(addr: SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// The failures of one kind (a check's failure code) and the operations they hit.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureGroup {
    pub code: String,
    pub title: String,
    pub count: u64,
    pub operations: Vec<String>,
}

/// What schemathesis's JSON report says about a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// Test cases generated (all phases).
    pub generated: u64,
    pub with_failures: u64,
    pub unique_failures: u64,
    pub errored: u64,
    /// Operations tested, of those selected.
    pub tested: u64,
    pub selected: u64,
    pub exit_code: i64,
    pub failures: Vec<FailureGroup>,
    /// Errors (timeouts, connection errors, schema problems), one line each.
    pub errors: Vec<String>,
}

impl Report {
    /// Reads the JSON run report of schemathesis 4.
    pub fn parse(text: &str) -> Result<Self, String> {
        let v = json::parse(text)?;
        let num = |path: &[&str]| v.get(path).and_then(json::Value::as_f64).map(|n| n as u64);
        let generated = num(&["test_cases", "generated"]).ok_or("no test_cases.generated in the report")?;
        let failures = v
            .get(&["failures"])
            .and_then(json::Value::as_array)
            .unwrap_or_default()
            .iter()
            .map(|f| {
                let text = |k: &str| f.get(&[k]).and_then(json::Value::as_str).unwrap_or_default().to_owned();
                FailureGroup {
                    code: text("code"),
                    title: text("title"),
                    count: f.get(&["count"]).and_then(json::Value::as_f64).unwrap_or(0.0) as u64,
                    operations: f
                        .get(&["operations"])
                        .and_then(json::Value::as_array)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|o| o.as_str().map(str::to_owned))
                        .collect(),
                }
            })
            .collect();
        let errors = v
            .get(&["errors"])
            .and_then(json::Value::as_array)
            .unwrap_or_default()
            .iter()
            .map(|e| match e {
                json::Value::String(s) => s.clone(),
                other => {
                    let field = |k: &str| other.get(&[k]).and_then(json::Value::as_str).map(str::to_owned);
                    let label = field("label").or_else(|| field("operation")).unwrap_or_default();
                    let message = field("message").or_else(|| field("title")).unwrap_or_else(|| format!("{other:?}"));
                    format!("{label}: {message}").trim_start_matches(": ").to_owned()
                }
            })
            .collect();
        Ok(Self {
            generated,
            with_failures: num(&["test_cases", "with_failures"]).unwrap_or(0),
            unique_failures: num(&["test_cases", "unique_failures"]).unwrap_or(0),
            errored: num(&["test_cases", "errored"]).unwrap_or(0),
            tested: num(&["operations", "tested"]).unwrap_or(0),
            selected: num(&["operations", "selected"]).unwrap_or(0),
            exit_code: v.get(&["exit_code"]).and_then(json::Value::as_f64).map_or(-1, |n| n as i64),
            failures,
            errors,
        })
    }

    /// Whether the run found nothing: no failure, no error, exit code 0.
    pub fn clean(&self) -> bool {
        self.exit_code == 0 && self.failures.is_empty() && self.errors.is_empty() && self.with_failures == 0
    }
}

/// One engine's fuzz run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub engine: String,
    pub report: Report,
    pub seconds: f64,
    /// Problems found around the run (the admin's session lost, an unexpected exit code).
    pub problems: Vec<String>,
    /// Where the reports are.
    pub dir: PathBuf,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.report.clean() && self.problems.is_empty()
    }

    /// The stage's summary: test cases, failures by check with their operations, errors.
    pub fn summary(&self) -> String {
        let r = &self.report;
        let mut s = format!(
            "fuzz {}: {} test cases generated on {} of {} operations in {:.0} s (seed {SEED}, --max-examples \
             {MAX_EXAMPLES}); {} with failures ({} unique), {} errored",
            self.engine, r.generated, r.tested, r.selected, self.seconds, r.with_failures, r.unique_failures, r.errored
        );
        for f in &r.failures {
            let _ = write!(s, "\n  {} {} ({} operations):", f.code, f.title, f.operations.len());
            for op in &f.operations {
                let _ = write!(s, "\n      {op}");
            }
        }
        for e in &r.errors {
            let _ = write!(s, "\n  error: {}", clip(e, 300));
        }
        for p in &self.problems {
            let _ = write!(s, "\n  {p}");
        }
        let _ = write!(s, "\n  reports and the server's log: {}", self.dir.display());
        s
    }
}

/// Runs the fuzzer against a fresh server on `database`; `engine` names the run and its directory.
/// `Err` when the run could not be made (the server did not start, schemathesis could not run or
/// wrote no report); else the outcome, failures included.
pub fn run(root: &Path, tools: &Tools, engine: &str, database: &Database, extra: &[String]) -> Result<Outcome> {
    eprintln!("\n==> fuzz: {engine}\n");
    let dir = base_dir(root).join(engine);
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("cannot delete {}", dir.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let data = TempDir::fresh(std::env::temp_dir().join(format!("aglis-fuzz-{engine}-{}", std::process::id())))?;
    let database_url = match database {
        Database::Sqlite => None,
        Database::Postgres { createdb, port } => Some(load::create_pg_database(createdb, *port, PG_DATABASE)?),
    };

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    if !loopback_only(addr) {
        return Err(Error::msg(format!("refusing to start the fuzz server on {addr}: loopback only")));
    }
    let log_path = dir.join("server.log");
    let log = fs::File::create(&log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
    // An empty configuration file of its own: no aglis.toml from elsewhere is read, and with no
    // AGLIS_* variable inherited (load::aglis_command) no provider is configured, so nothing
    // leaves the machine (WhatsApp and e-mail go to the `log` providers).
    let config_file = data.0.join("aglis.toml");
    fs::write(&config_file, "").with_context(|| format!("cannot write {}", config_file.display()))?;
    let mut demo = load::aglis_command(&tools.aglis, &data.0, database_url.as_deref());
    demo.arg("demo")
        .env("AGLIS_BIND", addr.to_string())
        .env("AGLIS_CONFIG", &config_file)
        .envs(WEBHOOK_SECRETS)
        .stdout(log.try_clone().context("cannot share the server log")?)
        .stderr(log);
    note!("$ {} (AGLIS_BIND={addr}, log in {})", cmd::display(&demo), log_path.display());
    let child = demo.spawn().with_context(|| format!("cannot start {}", tools.aglis.display()))?;
    let mut server = Server { child, addr };
    server.wait_healthy().map_err(|e| Error::msg(format!("{e} (see {})", log_path.display())))?;
    let token = load::login(addr)?;
    let bearer = format!("Bearer {token}");
    let admin = admin_id(addr, &bearer)?;

    let base_url = format!("http://{addr}");
    let config = root.join(CONFIG);
    let args = schemathesis_args(&config, &base_url, &token, &dir, extra);
    let mut st = Command::new(&tools.schemathesis);
    st.args(&args)
        .current_dir(&dir)
        .env("SCHEMATHESIS_HOOKS", root.join(HOOKS))
        .env(ADMIN_ID_ENV, admin.to_string())
        .stdin(Stdio::null());
    cmd::stdout_to_stderr(&mut st);
    note!("$ {}", cmd::render(tools.schemathesis.as_os_str(), &os(&masked(&args, &token))));
    let started = Instant::now();
    let status = wait_with_timeout(&mut st, RUN_TIMEOUT)?;
    let seconds = started.elapsed().as_secs_f64();

    let mut problems = Vec::new();
    // The exclusions and the hook exist so that the admin's session outlives the run; check it did.
    if let Err(e) = admin_id(addr, &bearer) {
        problems.push(format!(
            "the admin's session did not survive the run ({e}): some operation ended or demoted it, \
             see {CONFIG} and {HOOKS}"
        ));
    }
    if let Ok(Some(exit)) = server.child.try_wait() {
        problems.push(format!("the server exited during the run ({exit}); see {}", log_path.display()));
    }
    drop(server);
    drop(data);

    let report_path = dir.join("report.json");
    let text = fs::read_to_string(&report_path).with_context(|| {
        format!("schemathesis exited ({status}) without writing its report {}", report_path.display())
    })?;
    let report = Report::parse(&text).map_err(|e| Error::msg(format!("cannot read {}: {e}", report_path.display())))?;
    if status.code().map(i64::from) != Some(report.exit_code) {
        problems.push(format!("schemathesis exited with {status}, its report says {}", report.exit_code));
    }
    if report.exit_code == 2 {
        problems.push("schemathesis exit code 2: a configuration or schema error, or nothing tested".to_owned());
    }
    let outcome = Outcome { engine: engine.to_owned(), report, seconds, problems, dir };
    eprintln!("\n{}\n", outcome.summary());
    Ok(outcome)
}

fn os(args: &[String]) -> Vec<&std::ffi::OsStr> {
    args.iter().map(|a| a.as_ref()).collect()
}

/// The id of the account behind `bearer` (`GET /api/v1/me`), which must be an admin.
fn admin_id(addr: SocketAddr, bearer: &str) -> Result<i64> {
    let (status, body) = http::request(addr, "GET", "/api/v1/me", &[("Authorization", bearer)], None)?;
    if status != 200 {
        return Err(Error::msg(format!("GET /api/v1/me answered {status}: {}", clip(&body, 300))));
    }
    let me = json::parse(&body).context("GET /api/v1/me answered invalid JSON")?;
    if me.get(&["role"]).and_then(json::Value::as_str) != Some("admin") {
        return Err(Error::msg(format!("the fuzz account is not an admin: {}", clip(&body, 300))));
    }
    me.get(&["id"])
        .and_then(json::Value::as_f64)
        .map(|id| id as i64)
        .ok_or_else(|| Error::msg(format!("GET /api/v1/me has no id: {}", clip(&body, 300))))
}

/// Runs `cmd` and waits for it; kills it and fails after `timeout`.
fn wait_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<std::process::ExitStatus> {
    let mut child = cmd.spawn().with_context(|| format!("cannot run {}", cmd.get_program().to_string_lossy()))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for schemathesis")? {
            return Ok(status);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::msg(format!("schemathesis did not finish within {} minutes", timeout.as_secs() / 60)));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{
        "schemathesis_version": "4.32.5", "seed": 20261206, "exit_code": 1,
        "operations": {"total": 95, "selected": 93, "tested": 93, "errored": 0, "skipped": 0},
        "test_cases": {"generated": 4321, "with_failures": 57, "unique_failures": 43, "without_checks": 8, "errored": 1},
        "failures": [
            {"type": "UndefinedStatusCode", "code": "ST103", "title": "Undocumented status code",
             "severity": "medium", "count": 12, "operations": ["GET /api/v1/customers", "POST /api/v1/odps"]},
            {"type": "RejectedPositiveData", "code": "ST202", "title": "Schema-valid request rejected",
             "count": 3, "operations": ["POST /api/v1/tickets"]}
        ],
        "errors": [{"label": "GET /api/v1/backups", "message": "Read timed out"}, "plain error"],
        "warnings": {"missing_auth": []}
    }"#;

    #[test]
    fn reads_the_json_report() {
        let r = Report::parse(REPORT).expect("report");
        assert_eq!((r.generated, r.with_failures, r.unique_failures, r.errored), (4321, 57, 43, 1));
        assert_eq!((r.tested, r.selected, r.exit_code), (93, 93, 1));
        assert_eq!(r.failures.len(), 2);
        assert_eq!(r.failures[0].code, "ST103");
        assert_eq!(r.failures[0].count, 12);
        assert_eq!(r.failures[0].operations, ["GET /api/v1/customers", "POST /api/v1/odps"]);
        assert_eq!(r.failures[1].title, "Schema-valid request rejected");
        assert_eq!(r.errors, ["GET /api/v1/backups: Read timed out", "plain error"]);
        assert!(!r.clean());
        assert!(Report::parse("{}").is_err());
        assert!(Report::parse("not json").is_err());
    }

    #[test]
    fn a_clean_report_passes() {
        let text =
            r#"{"exit_code": 0, "test_cases": {"generated": 10, "with_failures": 0}, "failures": [], "errors": []}"#;
        let report = Report::parse(text).expect("report");
        assert!(report.clean());
        let outcome = Outcome {
            engine: "sqlite".into(),
            report: report.clone(),
            seconds: 1.0,
            problems: Vec::new(),
            dir: PathBuf::from("/w/target/xtask-fuzz/sqlite"),
        };
        assert!(outcome.passed());
        let lost = Outcome { problems: vec!["the admin's session did not survive".into()], ..outcome };
        assert!(!lost.passed(), "a run that lost its session fails");
        let failed = Report { exit_code: 1, ..report };
        assert!(!failed.clean());
    }

    #[test]
    fn the_summary_counts_cases_and_lists_failures_by_check() {
        let outcome = Outcome {
            engine: "postgres".into(),
            report: Report::parse(REPORT).expect("report"),
            seconds: 291.4,
            problems: Vec::new(),
            dir: PathBuf::from("/w/target/xtask-fuzz/postgres"),
        };
        let s = outcome.summary();
        assert!(s.starts_with("fuzz postgres: 4321 test cases generated on 93 of 93 operations in 291 s"), "{s}");
        assert!(s.contains("57 with failures (43 unique), 1 errored"), "{s}");
        assert!(s.contains("\n  ST103 Undocumented status code (2 operations):\n      GET /api/v1/customers"), "{s}");
        assert!(s.contains("\n  error: GET /api/v1/backups: Read timed out"), "{s}");
        assert!(s.ends_with("/w/target/xtask-fuzz/postgres"), "{s}");
    }

    #[test]
    fn schemathesis_command_line() {
        let args = schemathesis_args(
            Path::new("/w/xtask/fuzz/schemathesis.toml"),
            "http://127.0.0.1:4000",
            "tok123",
            Path::new("/w/target/xtask-fuzz/sqlite"),
            &["--phases".to_owned(), "coverage".to_owned()],
        );
        let line = args.join(" ");
        assert!(line.starts_with("--config-file /w/xtask/fuzz/schemathesis.toml --no-color run "), "{line}");
        assert!(line.contains("run http://127.0.0.1:4000/api/openapi.json --url http://127.0.0.1:4000 --checks all"));
        assert!(args.windows(2).any(|w| w[0] == "-H" && w[1] == "Authorization: Bearer tok123"));
        assert!(line.contains(&format!("--seed {SEED} --max-examples {MAX_EXAMPLES} --workers 1")));
        assert!(line.contains("--generation-database none"));
        assert!(line.contains("--report-json-path /w/target/xtask-fuzz/sqlite/report.json"));
        assert!(line.contains("--report-junit-path /w/target/xtask-fuzz/sqlite/junit.xml"));
        assert!(line.contains("--report-ndjson-path /w/target/xtask-fuzz/sqlite/events.ndjson"));
        assert!(line.ends_with("--phases coverage"), "extra arguments come last: {line}");
        let shown = masked(&args, "tok123").join(" ");
        assert!(!shown.contains("tok123") && shown.contains("Authorization: Bearer <admin token>"));
    }

    #[test]
    fn the_webhook_secrets_are_inbound_only_and_long_enough() {
        for (name, value) in WEBHOOK_SECRETS {
            assert!(name.starts_with("AGLIS_") && name.contains("WEBHOOK") || name.starts_with("AGLIS_META_"));
            assert!(!name.ends_with("_URL") && name != "AGLIS_META_TOKEN", "{name} would configure a sender");
            assert!(value.len() >= 16, "{name}: the server wants at least 16 characters");
        }
    }

    #[test]
    fn the_server_listens_on_loopback_only() {
        assert!(loopback_only(SocketAddr::from((Ipv4Addr::LOCALHOST, 8080))));
        assert!(!loopback_only(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 8080))));
        assert!(!loopback_only("192.168.1.5:8080".parse().expect("addr")));
    }

    /// The hook, run by the system's python3 with a stand-in for the schemathesis module.
    #[test]
    fn the_hook_diverts_only_requests_that_would_end_the_runs_own_admin() {
        const SCRIPT: &str = r#"
import importlib.util, os, sys, types
os.environ["AGLIS_FUZZ_ADMIN_ID"] = "7"
stub = types.ModuleType("schemathesis")
stub.hook = lambda f: f
sys.modules["schemathesis"] = stub
spec = importlib.util.spec_from_file_location("hooks", sys.argv[1])
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)

def sent_id(method, path, id, body=None):
    case = types.SimpleNamespace(method=method, operation=types.SimpleNamespace(path=path),
                                 path_parameters={"id": id}, body=body)
    hooks.before_call(None, case, {})
    return case.path_parameters["id"]

gone = hooks.NO_SUCH_USER
assert sent_id("POST", "/api/v1/users/{id}/password", 7, {"password": "rahasia-baru"}) == gone
assert sent_id("post", "/api/v1/users/{id}/deactivate", "07") == gone
assert sent_id("PATCH", "/api/v1/users/{id}", 7, {"role": "technician"}) == gone
assert sent_id("PATCH", "/api/v1/users/{id}", 7, {"is_active": False}) == gone
assert sent_id("PATCH", "/api/v1/users/{id}", 7, {"full_name": "Andi"}) == 7
assert sent_id("POST", "/api/v1/users/{id}/password", 8, {"password": "rahasia-baru"}) == 8
assert sent_id("POST", "/api/v1/users/{id}/deactivate", "abc") == "abc"
assert sent_id("POST", "/api/v1/users/{id}/unlock", 7) == 7
assert sent_id("GET", "/api/v1/users/{id}", 7) == 7
print("ok")
"#;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace");
        let out = Command::new("python3").arg("-c").arg(SCRIPT).arg(root.join(HOOKS)).output().expect("python3 runs");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.trim() == "ok", "{text}");
    }

    #[test]
    fn the_pinned_version_and_the_committed_files() {
        assert_eq!(SCHEMATHESIS.requirement, "schemathesis==4.32.5");
        assert!(SCHEMATHESIS.probe.contains("'4.32.5'"));
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace");
        let config = fs::read_to_string(root.join(CONFIG)).expect("the committed schemathesis.toml");
        assert!(config.contains("[cache]") && config.contains("enabled = false"));
        assert!(root.join(HOOKS).is_file());
    }
}
