//! Installing Debian packages non-interactively with apt-get (through sudo when not root).

use std::process::Command;

use crate::cmd::{self, find_program, note};

use crate::error::{Error, Result};

const SBIN: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// `apt-get update && apt-get install -y --no-install-recommends <packages>`.
pub fn install(packages: &[&str]) -> Result<()> {
    let apt = find_program("apt-get", SBIN)
        .ok_or_else(|| Error::msg(format!("apt-get not found: install {} yourself", packages.join(" "))))?;
    let sudo = if cmd::is_root() {
        None
    } else {
        Some(find_program("sudo", SBIN).ok_or_else(|| {
            Error::msg(format!("not root and sudo not found: install {} as root", packages.join(" ")))
        })?)
    };
    let apt_get = |args: &[&str]| {
        let mut cmd = match &sudo {
            None => {
                let mut cmd = Command::new(&apt);
                cmd.env("DEBIAN_FRONTEND", "noninteractive");
                cmd
            }
            Some(sudo) => {
                let mut cmd = Command::new(sudo);
                cmd.arg("env").arg("DEBIAN_FRONTEND=noninteractive").arg(&apt);
                cmd
            }
        };
        cmd.args(args);
        cmd::stdout_to_stderr(&mut cmd);
        cmd
    };
    note!("installing {} with apt-get", packages.join(" "));
    cmd::run(&mut apt_get(&["update"]))?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    cmd::run(&mut apt_get(&args))
}
