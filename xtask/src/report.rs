//! What `cargo xtask bench`'s load test measures and how it reports it: the scenarios of each
//! suite with their p99 targets, oha's JSON report, the server's memory from `/proc/PID/status`,
//! and the table.

use std::fmt::Write as _;

use crate::json;

/// The slowest response any scenario may take ("no query over 1 s"), in milliseconds.
pub const MAX_MS: f64 = 1000.0;

/// A load-test suite: one list of scenarios against one seeded server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// The customer list and its searches (issue "customers").
    Customers,
    /// The ticket list, filters and search, a ticket by id and the dashboard (issue 6, "Scale").
    Tickets,
    /// Health, readiness, `/metrics`, the alert history and the error inbox (issue 9).
    Monitoring,
}

impl Suite {
    /// Its name on the command line and above its table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Tickets => "tickets",
            Self::Monitoring => "monitoring",
        }
    }

    /// Its scenarios, in the order they run.
    pub fn scenarios(self) -> &'static [Scenario] {
        match self {
            Self::Customers => CUSTOMER_SCENARIOS,
            Self::Tickets => TICKET_SCENARIOS,
            Self::Monitoring => MONITORING_SCENARIOS,
        }
    }
}

/// One URL under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// Its name in the table.
    pub name: &'static str,
    /// Path and query on the server; `{tech}` and `{ticket}` stand for ids found after sign-in
    /// (see [`fill`]).
    pub path: &'static str,
    /// The p99 latency its issue asks for, in milliseconds.
    pub p99_target_ms: u32,
}

/// The customer list, a deep page, searches by name (one and two words) and by phone, a status
/// filter, and a name search within a status in date order: p99 < 50 ms each.
pub const CUSTOMER_SCENARIOS: &[Scenario] = &[
    Scenario { name: "list", path: "/api/v1/customers", p99_target_ms: 50 },
    Scenario { name: "list page 200", path: "/api/v1/customers?page=200&sort=newest", p99_target_ms: 50 },
    Scenario { name: "search name", path: "/api/v1/customers?q=siti", p99_target_ms: 50 },
    Scenario { name: "search name 2 words", path: "/api/v1/customers?q=budi%20sant", p99_target_ms: 50 },
    Scenario { name: "search phone", path: "/api/v1/customers?q=0899000123", p99_target_ms: 50 },
    Scenario { name: "filter status", path: "/api/v1/customers?status=suspended", p99_target_ms: 50 },
    Scenario { name: "search + filter", path: "/api/v1/customers?q=siti&status=active&sort=newest", p99_target_ms: 50 },
];

/// The ticket list (default, by status and technician, text search, text search within a
/// status, a number prefix) p99 < 50 ms, a ticket by id < 10 ms, the dashboard counts < 100 ms.
pub const TICKET_SCENARIOS: &[Scenario] = &[
    Scenario { name: "list", path: "/api/v1/tickets", p99_target_ms: 50 },
    Scenario {
        name: "status + technician",
        path: "/api/v1/tickets?status=closed&technician_id={tech}",
        p99_target_ms: 50,
    },
    Scenario { name: "text search", path: "/api/v1/tickets?q=siti", p99_target_ms: 50 },
    Scenario { name: "status + text (open)", path: "/api/v1/tickets?status=open&q=siti", p99_target_ms: 50 },
    Scenario { name: "status + text (closed)", path: "/api/v1/tickets?status=closed&q=redaman", p99_target_ms: 50 },
    Scenario { name: "number prefix", path: "/api/v1/tickets?status=closed&q=TKT202610", p99_target_ms: 50 },
    Scenario { name: "ticket by id", path: "/api/v1/tickets/{ticket}", p99_target_ms: 10 },
    Scenario { name: "dashboard", path: "/api/v1/dashboard", p99_target_ms: 100 },
];

/// What a load balancer and Prometheus poll, and the monitoring lists: the detailed health (five
/// checks, staff view) p99 < 100 ms, readiness < 10 ms, a `/metrics` scrape (queue, messages and
/// delivery figures of the last 24 h read at scrape time) < 200 ms, the alert history and the
/// error inbox < 50 ms.
pub const MONITORING_SCENARIOS: &[Scenario] = &[
    Scenario { name: "health (detailed)", path: "/api/health", p99_target_ms: 100 },
    Scenario { name: "ready", path: "/api/health/ready", p99_target_ms: 10 },
    Scenario { name: "metrics scrape", path: "/metrics", p99_target_ms: 200 },
    Scenario { name: "alert history", path: "/api/v1/monitoring/alerts", p99_target_ms: 50 },
    Scenario { name: "error inbox", path: "/api/v1/monitoring/errors", p99_target_ms: 50 },
];

/// `path` with each `{name}` replaced by its value in `vars`; `Err` names a placeholder that
/// has no value (or an unclosed `{`).
pub fn fill(path: &str, vars: &[(&str, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').ok_or_else(|| format!("unclosed `{{` in {path}"))? + open;
        let name = &rest[open + 1..close];
        let value = vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("no value for `{{{name}}}` in {path}"))?;
        out.push_str(value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
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
    /// The slowest response, milliseconds.
    pub max_ms: f64,
    /// Responses whose status was not 200.
    pub non_200: u64,
    /// Requests without a response (connection errors, timeouts), except those cut off by the deadline.
    pub errors: u64,
}

/// Reads the figures from `oha --output-format json`: `summary.requestsPerSec`,
/// `summary.slowest` and `latencyPercentiles.p50`/`p99` (seconds), `statusCodeDistribution`
/// and `errorDistribution`.
pub fn parse_oha(report: &str) -> Result<Figures, String> {
    let value = json::parse(report)?;
    let number = |path: &[&str]| {
        value.get(path).and_then(json::Value::as_f64).ok_or_else(|| format!("no number at `{}`", path.join(".")))
    };
    let requests_per_sec = number(&["summary", "requestsPerSec"])?;
    let p50_ms = number(&["latencyPercentiles", "p50"])? * 1000.0;
    let p99_ms = number(&["latencyPercentiles", "p99"])? * 1000.0;
    let max_ms = number(&["summary", "slowest"])? * 1000.0;
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
    Ok(Figures { requests_per_sec, p50_ms, p99_ms, max_ms, non_200, errors })
}

/// How many items a list scenario matches (its `total`, capped when `total_exact` is false).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matches {
    pub total: u64,
    pub exact: bool,
}

impl Matches {
    /// `total` and `total_exact` (absent: exact) of a list answer; `None` for other answers.
    pub fn of(body: &str) -> Option<Self> {
        let value = json::parse(body).ok()?;
        let total = value.get(&["total"]).and_then(json::Value::as_f64)?;
        let exact = value.get(&["total_exact"]).and_then(json::Value::as_bool).unwrap_or(true);
        Some(Self { total: total as u64, exact })
    }
}

/// One line of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// [`Scenario::name`].
    pub scenario: String,
    /// [`Scenario::p99_target_ms`].
    pub p99_target_ms: u32,
    /// What the scenario's list matches; `None` for a single item or the dashboard.
    pub matches: Option<Matches>,
    /// What `oha` measured.
    pub figures: Figures,
}

impl Row {
    /// Whether every request got a 200.
    pub fn clean(&self) -> bool {
        self.figures.non_200 == 0 && self.figures.errors == 0
    }

    /// Whether the p99 is under the scenario's target.
    pub fn meets_p99(&self) -> bool {
        self.figures.p99_ms < f64::from(self.p99_target_ms)
    }

    /// Whether no response took over [`MAX_MS`].
    pub fn within_max(&self) -> bool {
        self.figures.max_ms <= MAX_MS
    }

    /// Whether it meets its p99 target and has no response over 1 s.
    pub fn meets_targets(&self) -> bool {
        self.meets_p99() && self.within_max()
    }

    /// The "meets" cell: `yes`, else which target it misses.
    fn verdict(&self) -> &'static str {
        match (self.meets_p99(), self.within_max()) {
            (true, true) => "yes",
            (false, true) => "NO (p99)",
            (true, false) => "NO (max)",
            (false, false) => "NO (p99, max)",
        }
    }
}

/// The server's memory, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `VmHWM`: the peak resident set, kB.
    pub peak_kb: u64,
    /// `VmRSS`: the resident set when read, kB.
    pub current_kb: u64,
}

impl Memory {
    /// `VmHWM` and `VmRSS` of a `/proc/PID/status` text; `None` if either is missing.
    pub fn parse(status: &str) -> Option<Self> {
        let kb = |field: &str| {
            status.lines().find_map(|line| {
                let value = line.strip_prefix(field)?.strip_prefix(':')?;
                value.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
            })
        };
        Some(Self { peak_kb: kb("VmHWM")?, current_kb: kb("VmRSS")? })
    }
}

/// Megabytes (MiB) of a kB figure.
fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// One suite's results on one engine.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteRun {
    pub suite: Suite,
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// One per scenario, in order.
    pub rows: Vec<Row>,
    /// The server's memory after the suite's scenarios (`None` if `/proc` could not be read).
    pub memory: Option<Memory>,
    /// Whether the peak is this suite's own (the server's peak was reset before it, through
    /// `/proc/PID/clear_refs`) rather than since the server started.
    pub peak_of_suite: bool,
}

impl SuiteRun {
    /// `engine: server RSS peak … MB (…), … MB at the end`.
    pub fn memory_line(&self) -> String {
        match self.memory {
            Some(m) => format!(
                "{}: server RSS peak {:.0} MB ({}), {:.0} MB at the end",
                self.engine,
                mb(m.peak_kb),
                if self.peak_of_suite { "during this suite" } else { "since the server started" },
                mb(m.current_kb)
            ),
            None => format!("{}: server RSS unknown (cannot read /proc/PID/status)", self.engine),
        }
    }
}

/// The rows as an aligned table with a header line.
pub fn table(rows: &[Row]) -> String {
    let header =
        ["engine", "scenario", "matches", "req/s", "p50 ms", "p99 ms", "p99 target", "max ms", "non-200", "meets"];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for row in rows {
        let f = &row.figures;
        let non_200 =
            if f.errors > 0 { format!("{} (+{} errors)", f.non_200, f.errors) } else { f.non_200.to_string() };
        let matches = match row.matches {
            Some(Matches { total, exact: true }) => total.to_string(),
            Some(Matches { total, exact: false }) => format!("{total}+"),
            None => "-".to_owned(),
        };
        let max = if row.within_max() { format!("{:.1}", f.max_ms) } else { format!("{:.1} > 1 s", f.max_ms) };
        cells.push(vec![
            row.engine.clone(),
            row.scenario.clone(),
            matches,
            format!("{:.0}", f.requests_per_sec),
            format!("{:.1}", f.p50_ms),
            format!("{:.1}", f.p99_ms),
            format!("< {} ms", row.p99_target_ms),
            max,
            non_200,
            row.verdict().to_owned(),
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
                // Text columns (engine, scenario) and the verdict left-aligned, figures right-aligned.
                .map(
                    |(i, (cell, w))| {
                        if i < 2 || i == header.len() - 1 { format!("{cell:<w$}") } else { format!("{cell:>w$}") }
                    },
                )
                .collect();
            line.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One suite's report over every engine: a title line, the table, then each engine's server
/// memory and a line per target missed. `runs` should all be of `suite`.
pub fn report(suite: Suite, runs: &[SuiteRun], setup: &str) -> String {
    let rows: Vec<Row> = runs.iter().flat_map(|r| r.rows.iter().cloned()).collect();
    let mut out = format!("{}: {setup}\n{}\n", suite.name(), table(&rows));
    for run in runs {
        let _ = writeln!(out, "{}", run.memory_line());
    }
    for row in rows.iter().filter(|r| !r.meets_targets()) {
        let _ = writeln!(
            out,
            "target missed: {} {} {} (p99 {:.1} ms, target < {} ms; max {:.1} ms, limit {MAX_MS:.0} ms)",
            suite.name(),
            row.engine,
            row.scenario,
            row.figures.p99_ms,
            row.p99_target_ms,
            row.figures.max_ms
        );
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OHA_REPORT: &str = r#"{
      "summary": {"successRate": 1.0, "total": 20.0, "slowest": 0.7891, "fastest": 0.0001,
                  "requestsPerSec": 1234.5678, "totalData": 4325236},
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
        let ms = figures.map(|f| ((f.p50_ms * 10.0).round(), (f.p99_ms * 10.0).round(), (f.max_ms * 10.0).round()));
        assert_eq!(ms, Ok((123.0, 456.0, 7891.0)));
    }

    #[test]
    fn oha_report_without_errors_or_latency() {
        let clean = r#"{"summary":{"requestsPerSec":5,"slowest":0.003},"latencyPercentiles":{"p50":0.001,"p99":0.002},
                        "statusCodeDistribution":{"200":10},"errorDistribution":{}}"#;
        assert_eq!(parse_oha(clean).map(|f| (f.non_200, f.errors)), Ok((0, 0)));
        let no_slowest = r#"{"summary":{"requestsPerSec":5},"latencyPercentiles":{"p50":0.001,"p99":0.002}}"#;
        assert_eq!(parse_oha(no_slowest), Err("no number at `summary.slowest`".to_owned()));
        assert!(parse_oha(r#"{"summary":{"requestsPerSec":5}}"#).is_err());
        assert!(parse_oha("not json").is_err());
    }

    #[test]
    fn customer_scenarios_cover_list_and_searches() {
        let names: Vec<&str> = CUSTOMER_SCENARIOS.iter().map(|s| s.name).collect();
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
        assert!(CUSTOMER_SCENARIOS.iter().all(|s| s.path.starts_with("/api/v1/customers")));
        assert!(CUSTOMER_SCENARIOS.iter().all(|s| s.p99_target_ms == 50));
    }

    #[test]
    fn ticket_scenarios_and_their_targets() {
        let targets: Vec<(&str, u32)> = TICKET_SCENARIOS.iter().map(|s| (s.name, s.p99_target_ms)).collect();
        assert_eq!(
            targets,
            [
                ("list", 50),
                ("status + technician", 50),
                ("text search", 50),
                ("status + text (open)", 50),
                ("status + text (closed)", 50),
                ("number prefix", 50),
                ("ticket by id", 10),
                ("dashboard", 100)
            ]
        );
        let vars = [("tech", "3".to_owned()), ("ticket", "500000".to_owned())];
        let paths: Result<Vec<String>, String> = TICKET_SCENARIOS.iter().map(|s| fill(s.path, &vars)).collect();
        let paths = paths.unwrap_or_default();
        assert_eq!(paths.len(), TICKET_SCENARIOS.len());
        assert!(paths.contains(&"/api/v1/tickets?status=closed&technician_id=3".to_owned()));
        assert!(paths.contains(&"/api/v1/tickets/500000".to_owned()));
        assert!(paths.iter().all(|p| p.starts_with("/api/v1/") && !p.contains(['{', '}', ' '])));
    }

    #[test]
    fn suites_list_their_scenarios() {
        assert_eq!(Suite::Customers.scenarios(), CUSTOMER_SCENARIOS);
        assert_eq!(Suite::Tickets.scenarios(), TICKET_SCENARIOS);
        assert_eq!((Suite::Customers.name(), Suite::Tickets.name()), ("customers", "tickets"));
    }

    #[test]
    fn fills_path_templates() {
        let vars = [("tech", "7".to_owned()), ("ticket", "42".to_owned())];
        assert_eq!(fill("/a?x={tech}&y={ticket}&z={tech}", &vars), Ok("/a?x=7&y=42&z=7".to_owned()));
        assert_eq!(fill("/api/v1/tickets", &[]), Ok("/api/v1/tickets".to_owned()));
        assert_eq!(fill("/t/{ticket}", &vars), Ok("/t/42".to_owned()));
        assert_eq!(fill("/t/{other}", &vars), Err("no value for `{other}` in /t/{other}".to_owned()));
        assert!(fill("/t/{ticket", &vars).is_err());
        assert!(fill("/t/{tech}", &[]).is_err());
    }

    #[test]
    fn reads_list_totals() {
        assert_eq!(
            Matches::of(r#"{"items":[],"total":12,"total_exact":true}"#),
            Some(Matches { total: 12, exact: true })
        );
        assert_eq!(
            Matches::of(r#"{"items":[],"total":10000,"total_exact":false}"#),
            Some(Matches { total: 10000, exact: false })
        );
        assert_eq!(Matches::of(r#"{"items":[],"total":3}"#), Some(Matches { total: 3, exact: true }));
        assert_eq!(Matches::of(r#"{"id":5,"number":"TKT"}"#), None);
        assert_eq!(Matches::of("oops"), None);
    }

    #[test]
    fn reads_proc_status_memory() {
        let status = "Name:\taglis\nVmPeak:\t 2000000 kB\nVmHWM:\t  524288 kB\nVmRSS:\t  262144 kB\nThreads:\t9\n";
        assert_eq!(Memory::parse(status), Some(Memory { peak_kb: 524_288, current_kb: 262_144 }));
        assert_eq!(Memory::parse("Name:\taglis\nVmRSS:\t 1 kB\n"), None);
        assert_eq!(Memory::parse("VmHWM:\tlots kB\nVmRSS:\t1 kB\n"), None);
        assert_eq!(Memory::parse(""), None);
    }

    fn row(engine: &str, scenario: &str, target: u32, p99_ms: f64, max_ms: f64, non_200: u64, errors: u64) -> Row {
        Row {
            engine: engine.to_owned(),
            scenario: scenario.to_owned(),
            p99_target_ms: target,
            matches: Some(Matches { total: 100_300, exact: true }),
            figures: Figures { requests_per_sec: 812.34, p50_ms: 12.34, p99_ms, max_ms, non_200, errors },
        }
    }

    #[test]
    fn targets_per_scenario() {
        assert!(row("sqlite", "by id", 10, 9.9, 30.0, 0, 0).meets_targets());
        assert!(!row("sqlite", "by id", 10, 10.0, 30.0, 0, 0).meets_p99());
        assert!(row("sqlite", "dashboard", 100, 60.0, 30.0, 0, 0).meets_p99());
        assert!(row("sqlite", "list", 50, 20.0, 1000.0, 0, 0).within_max());
        let slow = row("sqlite", "list", 50, 20.0, 1000.1, 0, 0);
        assert!(slow.meets_p99() && !slow.within_max() && !slow.meets_targets());
    }

    #[test]
    fn table_aligns_and_flags_slow_rows() {
        let mut capped = row("sqlite", "dashboard", 100, 75.5, 1500.0, 0, 0);
        capped.matches = Some(Matches { total: 10_000, exact: false });
        let mut single = row("postgres", "by id", 10, 12.0, 40.0, 0, 0);
        single.matches = None;
        let rows = [
            row("sqlite", "list", 50, 30.0, 95.0, 0, 0),
            row("postgres", "search phone", 50, 75.5, 2400.0, 2, 1),
            capped,
            single,
        ];
        assert_eq!(
            table(&rows),
            "\
engine    scenario      matches  req/s  p50 ms  p99 ms  p99 target        max ms        non-200  meets
sqlite    list           100300    812    12.3    30.0     < 50 ms          95.0              0  yes
postgres  search phone   100300    812    12.3    75.5     < 50 ms  2400.0 > 1 s  2 (+1 errors)  NO (p99, max)
sqlite    dashboard      10000+    812    12.3    75.5    < 100 ms  1500.0 > 1 s              0  NO (max)
postgres  by id               -    812    12.3    12.0     < 10 ms          40.0              0  NO (p99)"
        );
        assert!(rows[0].clean() && !rows[1].clean());
    }

    #[test]
    fn report_has_table_memory_and_misses() {
        let run = |engine: &str, rows, memory, peak_of_suite| SuiteRun {
            suite: Suite::Tickets,
            engine: engine.to_owned(),
            rows,
            memory,
            peak_of_suite,
        };
        let memory = Some(Memory { peak_kb: 300 * 1024, current_kb: 250 * 1024 + 100 });
        let runs = [
            run("sqlite", vec![row("sqlite", "list", 50, 30.0, 95.0, 0, 0)], memory, true),
            run("postgres", vec![row("postgres", "by id", 10, 12.0, 40.0, 0, 0)], None, false),
        ];
        let text = report(Suite::Tickets, &runs, "oha -c 16");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&"tickets: oha -c 16"));
        assert_eq!(lines.len(), 7, "{text}");
        assert_eq!(lines[4], "sqlite: server RSS peak 300 MB (during this suite), 250 MB at the end");
        assert_eq!(lines[5], "postgres: server RSS unknown (cannot read /proc/PID/status)");
        assert_eq!(
            lines[6],
            "target missed: tickets postgres by id (p99 12.0 ms, target < 10 ms; max 40.0 ms, limit 1000 ms)"
        );
        let since_start = SuiteRun { peak_of_suite: false, ..runs[0].clone() };
        assert!(since_start.memory_line().contains("(since the server started)"));
    }
}
