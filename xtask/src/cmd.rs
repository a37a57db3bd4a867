//! Helpers for running external commands: echo them, check their exit status,
//! find programs on `PATH`, and run programs as another system user.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::error::{Context, Error, Result};

/// Prints a progress message of xtask itself (to stderr, so stdout stays clean
/// for values meant for scripts, such as the URL printed by `pg start`).
macro_rules! note {
    ($($arg:tt)*) => {
        eprintln!("xtask: {}", format_args!($($arg)*))
    };
}
pub(crate) use note;

/// Quotes `s` for a POSIX shell, leaving it as is when that is unambiguous.
pub fn shell_quote(s: &str) -> Cow<'_, str> {
    let safe = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b'=' | b',' | b'@' | b'+' | b'%')
        });
    if safe { Cow::Borrowed(s) } else { Cow::Owned(format!("'{}'", s.replace('\'', r"'\''"))) }
}

/// Renders a program and its arguments as a shell command line.
pub fn render(program: &OsStr, args: &[&OsStr]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(|a| shell_quote(&a.to_string_lossy()).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders `cmd` (program and arguments, not its environment) as a shell command line.
pub fn display(cmd: &Command) -> String {
    let args: Vec<&OsStr> = cmd.get_args().collect();
    render(cmd.get_program(), &args)
}

/// Sends the stdout of `cmd` to this process's stderr, so that only values meant for
/// scripts (such as the URL printed by `pg start`) reach stdout.
pub fn stdout_to_stderr(cmd: &mut Command) -> &mut Command {
    use std::os::fd::AsFd as _;
    if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
        cmd.stdout(Stdio::from(fd));
    }
    cmd
}

/// Echoes `cmd`, runs it with inherited stdio and returns its exit status.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    note!("$ {}", display(cmd));
    cmd.status().with_context(|| format!("cannot run `{}`", display(cmd)))
}

/// Echoes `cmd`, runs it, and fails unless it exits successfully.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = status(cmd)?;
    if status.success() { Ok(()) } else { Err(Error::msg(format!("`{}` failed ({status})", display(cmd)))) }
}

/// Runs `cmd` silently and tells whether it could be started and exited successfully.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Finds an executable called `name` in the directories of `PATH`, then in `extra_dirs`.
pub fn find_program(name: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Extracts the effective uid from the text of `/proc/self/status`.
pub fn parse_euid(proc_status: &str) -> Option<u32> {
    let line = proc_status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    // Fields: real, effective, saved, filesystem.
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The effective uid of this process (from `/proc/self/status`, else `id -u`).
pub fn euid() -> Option<u32> {
    if let Some(uid) = std::fs::read_to_string("/proc/self/status").ok().as_deref().and_then(parse_euid) {
        return Some(uid);
    }
    Command::new("id")
        .arg("-u")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
}

/// Tells whether this process runs as root (effective uid 0).
pub fn is_root() -> bool {
    euid() == Some(0)
}

/// Tells whether a system user called `name` exists.
pub fn user_exists(name: &str) -> bool {
    succeeds(Command::new("id").arg("-u").arg(name))
}

/// How a command is switched to another user.
#[derive(Debug, Clone)]
pub enum Switch {
    /// `runuser -u USER -- program args...` (util-linux).
    Runuser(PathBuf),
    /// `su USER -s /bin/sh -c 'exec program args...'`, when runuser is missing.
    Su(PathBuf),
}

/// The user that external commands (here: the PostgreSQL server tools) run as.
#[derive(Debug, Clone)]
pub enum RunAs {
    /// The user running xtask; no switching.
    Current,
    /// Another user, switched to with runuser or su (requires root).
    User { name: String, switch: Switch },
}

impl RunAs {
    /// Runs commands as `name`, through runuser if available, else through su.
    pub fn user(name: &str) -> Result<Self> {
        const SBIN: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];
        let switch = if let Some(p) = find_program("runuser", SBIN) {
            Switch::Runuser(p)
        } else if let Some(p) = find_program("su", SBIN) {
            Switch::Su(p)
        } else {
            return Err(Error::msg(format!("cannot run commands as user `{name}`: neither runuser nor su found")));
        };
        Ok(Self::User { name: name.to_owned(), switch })
    }

    /// The name of the user switched to, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Current => None,
            Self::User { name, .. } => Some(name),
        }
    }

    /// A command running `program args...` as this user.
    pub fn command<S: AsRef<OsStr>>(&self, program: &Path, args: &[S]) -> Command {
        let args: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
        match self {
            Self::Current => {
                let mut cmd = Command::new(program);
                cmd.args(&args);
                cmd
            }
            Self::User { name, switch: Switch::Runuser(runuser) } => {
                let mut cmd = Command::new(runuser);
                cmd.arg("-u").arg(name).arg("--").arg(program).args(&args);
                cmd
            }
            Self::User { name, switch: Switch::Su(su) } => {
                let script = format!("exec {}", render(program.as_os_str(), &args));
                let mut cmd = Command::new(su);
                cmd.arg(name).arg("-s").arg("/bin/sh").arg("-c").arg(script);
                cmd
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_leaves_plain_words_alone() {
        assert_eq!(shell_quote("/usr/lib/postgresql/15/bin/pg_ctl"), "/usr/lib/postgresql/15/bin/pg_ctl");
        assert_eq!(shell_quote("listen_addresses=127.0.0.1"), "listen_addresses=127.0.0.1");
    }

    #[test]
    fn shell_quote_quotes_spaces_quotes_and_empty() {
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("-p 5 -k /x"), "'-p 5 -k /x'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn render_joins_quoted_words() {
        let args = [OsStr::new("-D"), OsStr::new("/a b")];
        assert_eq!(render(OsStr::new("pg_ctl"), &args), "pg_ctl -D '/a b'");
    }

    #[test]
    fn parse_euid_reads_the_effective_field() {
        let status = "Name:\txtask\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_euid(status), Some(0));
        assert_eq!(parse_euid("Uid:\t0\t1000\t1000\t1000\n"), Some(1000));
        assert_eq!(parse_euid("Name:\tx\n"), None);
    }

    #[test]
    fn render_round_trips_through_sh() {
        let words = ["-p 1 -k '/s'", "", "a\"b", "$x `y`", "plain"];
        let args: Vec<&OsStr> = words.iter().map(OsStr::new).collect();
        let script = render(OsStr::new("printf"), &[&[OsStr::new("%s|")], &args[..]].concat());
        let out = Command::new("/bin/sh").arg("-c").arg(&script).output().map(|o| o.stdout);
        let expected: String = words.iter().map(|w| format!("{w}|")).collect();
        assert_eq!(out.ok().map(|o| String::from_utf8_lossy(&o).into_owned()), Some(expected));
    }

    #[test]
    fn su_command_runs_a_shell_line() {
        let run_as = RunAs::User { name: "pg".into(), switch: Switch::Su(PathBuf::from("/bin/su")) };
        let cmd = run_as.command(Path::new("/b/pg_ctl"), &["-o", "-p 1"]);
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args, ["pg", "-s", "/bin/sh", "-c", "exec /b/pg_ctl -o '-p 1'"]);
    }

    #[test]
    fn runuser_command_passes_arguments_verbatim() {
        let run_as = RunAs::User { name: "pg".into(), switch: Switch::Runuser(PathBuf::from("/sbin/runuser")) };
        let cmd = run_as.command(Path::new("/b/initdb"), &["-D", "/d"]);
        assert_eq!(display(&cmd), "/sbin/runuser -u pg -- /b/initdb -D /d");
    }
}
