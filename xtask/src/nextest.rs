//! cargo-nextest: installing it when missing, and running the workspace's tests with it.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use crate::cmd::{self, note};
use crate::error::{Context, Error, Result};

/// Environment variable giving the tests a PostgreSQL server URL; unset means SQLite.
/// The tests create one database per test on that server.
pub const DATABASE_URL_ENV: &str = "AGLIS_TEST_DATABASE_URL";

/// The cargo that runs xtask (`$CARGO`, set by `cargo run`), else `cargo` from `PATH`.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The first line of `cargo nextest --version`, if cargo-nextest is installed.
fn installed_version() -> Option<String> {
    let out = Command::new(cargo()).args(["nextest", "--version"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().next().unwrap_or("cargo-nextest").trim().to_owned())
}

/// Installs cargo-nextest (`cargo install cargo-nextest --locked`) unless it is there.
pub fn ensure_installed() -> Result<()> {
    if let Some(version) = installed_version() {
        note!("test runner: {version}");
        return Ok(());
    }
    note!("cargo-nextest not found: installing it (compiles it from source, a few minutes)");
    cmd::run(Command::new(cargo()).args(["install", "cargo-nextest", "--locked"]))?;
    let version =
        installed_version().ok_or_else(|| Error::msg("`cargo nextest` still fails after installing cargo-nextest"))?;
    note!("test runner: {version}");
    Ok(())
}

/// The `cargo nextest` arguments for a run of the whole workspace.
pub fn run_args(extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = ["nextest", "run", "--workspace", "--no-fail-fast"].map(String::from).into();
    args.extend_from_slice(extra);
    args
}

/// Runs the workspace's tests in `root`, against PostgreSQL at `database_url` or,
/// without one, on SQLite, with the local S3 server at `s3_endpoint`. Returns whether all passed.
pub fn run(root: &Path, database_url: Option<&str>, s3_endpoint: &str, extra: &[String]) -> Result<bool> {
    // Without the variables `cargo run` set for xtask (see bench::cargo_command): the test
    // binaries, the fuzz stage's `aglis` and a build started in a shell then share their
    // artifacts instead of rebuilding ring and everything above it each time.
    let mut cmd = crate::bench::cargo_command();
    cmd.current_dir(root).args(run_args(extra));
    match database_url {
        Some(url) => cmd.env(DATABASE_URL_ENV, url),
        None => cmd.env_remove(DATABASE_URL_ENV),
    };
    cmd.env(crate::s3::ENDPOINT_ENV, s3_endpoint);
    // The tests' temp files (databases, data and backup directories, browser profiles) go to a
    // directory of this run, deleted after it: a failed or killed test leaves nothing behind,
    // and repeated runs do not fill the disk.
    let tmp = root.join("target").join("xtask-tmp").join(if database_url.is_some() { "postgres" } else { "sqlite" });
    remove_dir(&tmp)?;
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    cmd.env("TMPDIR", &tmp);
    let passed = cmd::status(&mut cmd)?.success();
    remove_dir(&tmp)?;
    Ok(passed)
}

fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot delete {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// Checks that the server builds without its default `demo` feature (a production build leaves
/// the demo data and the fake providers out). Returns whether it did.
pub fn check_without_demo(root: &Path) -> Result<bool> {
    let mut cmd = crate::bench::cargo_command();
    cmd.current_dir(root).args(["check", "-p", "aglis-server", "--no-default-features", "--lib", "--bins"]);
    Ok(cmd::status(&mut cmd)?.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_args_append_the_extra_arguments() {
        assert_eq!(run_args(&[]), ["nextest", "run", "--workspace", "--no-fail-fast"]);
        let extra = ["-E".to_owned(), "test(foo)".to_owned()];
        assert_eq!(run_args(&extra), ["nextest", "run", "--workspace", "--no-fail-fast", "-E", "test(foo)"]);
    }
}
