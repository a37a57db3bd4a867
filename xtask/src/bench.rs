//! `cargo xtask bench`: the queue benchmark (`crates/server/benches/queue.rs`) once per engine,
//! then one table of the figures.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::cmd::{self, note};
use crate::error::{Context, Result};
use crate::nextest::cargo;

/// Environment variable giving the bench a PostgreSQL server URL; unset means SQLite.
pub const DATABASE_URL_ENV: &str = "AGLIS_BENCH_DATABASE_URL";
/// Environment variable with the number of messages per round.
pub const MESSAGES_ENV: &str = "AGLIS_BENCH_MESSAGES";

/// The `cargo` arguments that build (release profile) and run the bench.
pub fn cargo_args() -> Vec<String> {
    ["bench", "-p", "aglis-server", "--bench", "queue"].map(String::from).into()
}

/// Whether `name` is one of the variables `cargo run` sets for xtask itself (its package's
/// `CARGO_MANIFEST_DIR`, `CARGO_PKG_*`, …).
pub fn is_run_env(name: &str) -> bool {
    matches!(
        name,
        "CARGO_MANIFEST_DIR" | "CARGO_MANIFEST_PATH" | "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
    ) || name.starts_with("CARGO_PKG_")
}

/// A `cargo` command without the variables of [`is_run_env`]: some build scripts (ring's)
/// track `CARGO_MANIFEST_DIR`, so inheriting xtask's would make the release build differ
/// from one started in a shell, and each rebuild everything.
pub fn cargo_command() -> Command {
    let mut cmd = Command::new(cargo());
    for (name, _) in std::env::vars_os() {
        if is_run_env(&name.to_string_lossy()) {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Runs the bench in `root` against PostgreSQL at `database_url` or, without one, on SQLite.
/// Returns the table it printed, or `None` if it failed.
pub fn run(root: &Path, database_url: Option<&str>, messages: Option<usize>) -> Result<Option<String>> {
    let mut cmd = cargo_command();
    cmd.current_dir(root).args(cargo_args()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    match database_url {
        Some(url) => cmd.env(DATABASE_URL_ENV, url),
        None => cmd.env_remove(DATABASE_URL_ENV),
    };
    if let Some(n) = messages {
        cmd.env(MESSAGES_ENV, n.to_string());
    }
    note!("$ {}", cmd::display(&cmd));
    let out = cmd.output().with_context(|| format!("cannot run `{}`", cmd::display(&cmd)))?;
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    eprint!("{table}");
    Ok(out.status.success().then_some(table))
}

/// One table from the bench's outputs: the first header line, then every data row.
pub fn combine(tables: &[String]) -> String {
    let mut lines = Vec::new();
    for table in tables {
        for (i, line) in table.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            if i > 0 || lines.is_empty() {
                lines.push(line);
            }
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_keeps_one_header() {
        let sqlite = "engine  messages\nsqlite  5000\n".to_owned();
        let postgres = "engine  messages\npostgres  5000\n".to_owned();
        assert_eq!(combine(&[sqlite, postgres]), "engine  messages\nsqlite  5000\npostgres  5000");
        assert_eq!(combine(&[]), "");
    }

    #[test]
    fn drops_what_cargo_run_sets_for_xtask() {
        assert!(is_run_env("CARGO_MANIFEST_DIR") && is_run_env("CARGO_PKG_NAME") && is_run_env("CARGO_CRATE_NAME"));
        assert!(!is_run_env("CARGO_HOME") && !is_run_env("CARGO_TARGET_DIR") && !is_run_env("CARGO"));
        assert!(!is_run_env("PATH") && !is_run_env("CARGO_PROFILE_RELEASE_LTO"));
    }

    #[test]
    fn runs_the_queue_bench_of_the_server() {
        assert_eq!(cargo_args(), ["bench", "-p", "aglis-server", "--bench", "queue"]);
    }
}
