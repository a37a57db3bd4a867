//! Python tools from PyPI, each in a virtual environment of its own under `target/`: moto (the
//! local S3 server of the storage and backup tests, [`crate::s3`]) and schemathesis (the OpenAPI
//! fuzzer, [`crate::fuzz`]). Installed on first use with the system's `python3 -m venv` and pip;
//! when Debian's `python3-venv` is missing it is installed with apt-get. Whatever cannot be
//! installed is an error naming what is missing: these tools are not optional.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::cmd::{self, note};
use crate::error::{Error, Result};

/// One tool to install: the pip requirement and how to tell that it is there.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// Its name in messages, e.g. `schemathesis`.
    pub name: &'static str,
    /// What pip installs, e.g. `schemathesis==4.32.5`.
    pub requirement: &'static str,
    /// A Python program that exits 0 when the right version is installed.
    pub probe: &'static str,
    /// The oldest Python it runs on.
    pub min_python: (u32, u32),
}

/// The virtual environment `dir` with `tool` installed, made and filled on first use; returns
/// its `python3`.
pub fn ensure(dir: &Path, tool: Tool) -> Result<PathBuf> {
    let python = dir.join("bin").join("python3");
    let installed = |py: &Path| cmd::succeeds(Command::new(py).args(["-c", tool.probe]));
    if python.is_file() && installed(&python) {
        return Ok(python);
    }
    let started = Instant::now();
    let system = system_python(tool)?;
    // A venv made without pip (Debian without python3-venv) or by another Python is made again.
    if !python.is_file() || !has_pip(&python) {
        create(&system, dir)?;
    }
    note!("installing {} from PyPI into {}", tool.requirement, dir.display());
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", tool.requirement]);
    cmd::stdout_to_stderr(&mut pip);
    let pip_ok = cmd::status(&mut pip).is_ok_and(|s| s.success());
    if !pip_ok || !installed(&python) {
        return Err(Error::msg(format!(
            "pip could not install {} into {} (see pip's output above; PyPI must be reachable)",
            tool.requirement,
            dir.display()
        )));
    }
    note!("installed {} in {:.1} s", tool.requirement, started.elapsed().as_secs_f64());
    Ok(python)
}

/// `python3` on `PATH`, at least `tool.min_python`; installed with apt-get when missing.
fn system_python(tool: Tool) -> Result<PathBuf> {
    let python = match cmd::find_program("python3", &[]) {
        Some(p) => p,
        None => {
            note!("python3 not found: installing python3 and python3-venv with apt-get ({} needs them)", tool.name);
            crate::apt::install(&["python3", "python3-venv"]).map_err(|e| {
                Error::msg(format!("python3 is missing and could not be installed ({e}); {} needs it", tool.name))
            })?;
            cmd::find_program("python3", &[])
                .ok_or_else(|| Error::msg("python3 still not found after installing it"))?
        }
    };
    let version = python_version(&python)
        .ok_or_else(|| Error::msg(format!("cannot tell the version of {}", python.display())))?;
    if version < tool.min_python {
        return Err(Error::msg(format!(
            "{} is Python {}.{}; {} needs Python {}.{} or newer",
            python.display(),
            version.0,
            version.1,
            tool.name,
            tool.min_python.0,
            tool.min_python.1
        )));
    }
    Ok(python)
}

/// `(major, minor)` of a Python interpreter.
fn python_version(python: &Path) -> Option<(u32, u32)> {
    let out = Command::new(python)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    parse_version(&String::from_utf8_lossy(&out.stdout))
}

/// Parses `3.11` (and `3.11.7`) into `(3, 11)`.
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn has_pip(python: &Path) -> bool {
    cmd::succeeds(Command::new(python).args(["-m", "pip", "--version"]))
}

/// Makes a fresh venv in `dir` (deleting what is there); installs Debian's python3-venv if
/// `python3 -m venv` fails for want of it.
fn create(system: &Path, dir: &Path) -> Result<()> {
    let attempt = || {
        let _ = std::fs::remove_dir_all(dir);
        if let Some(parent) = dir.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        cmd::succeeds(Command::new(system).arg("-m").arg("venv").arg(dir)) && has_pip(&dir.join("bin/python3"))
    };
    if attempt() {
        return Ok(());
    }
    note!("`python3 -m venv` failed: installing python3-venv with apt-get");
    crate::apt::install(&["python3-venv"]).map_err(|e| {
        Error::msg(format!(
            "`{} -m venv {}` failed and python3-venv could not be installed ({e})",
            system.display(),
            dir.display()
        ))
    })?;
    if attempt() {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "`{} -m venv {}` still fails after installing python3-venv",
            system.display(),
            dir.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_python_versions() {
        assert_eq!(parse_version("3.11\n"), Some((3, 11)));
        assert_eq!(parse_version("3.9.18"), Some((3, 9)));
        assert_eq!(parse_version("Python 3.11"), None);
        assert_eq!(parse_version(""), None);
        assert!(parse_version("3.9") < Some((3, 11)) && parse_version("3.12") >= Some((3, 11)));
    }
}
