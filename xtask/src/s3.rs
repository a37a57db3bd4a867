//! A local S3-compatible server for the backup tests: moto's server mode, from PyPI, installed
//! into `target/xtask-s3/venv` on first use and started on a free loopback port. Its address
//! reaches the tests as `AGLIS_TEST_S3_ENDPOINT`; when it cannot be installed (no Python, no
//! PyPI), the run goes on and the one test that needs it says why it skipped.

use crate::cmd::{self, note};
use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ENDPOINT_ENV: &str = "AGLIS_TEST_S3_ENDPOINT";

/// The running server; stopped when dropped.
pub struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Installs (once) and starts moto; `None`, after a note saying why, when it cannot.
    pub fn start(root: &Path) -> Option<S3Server> {
        let dir = root.join("target/xtask-s3");
        let python = match python_with_moto(&dir) {
            Ok(p) => p,
            Err(why) => {
                note!("no local S3 server ({why}): the S3 backup test will skip");
                return None;
            }
        };
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).ok()?;
        let log = File::create(dir.join("moto.log")).ok()?;
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().ok()?)
            .stderr(log)
            .spawn()
            .ok()?;
        let server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                note!("moto S3 server on {}", server.endpoint);
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        note!("moto did not start within 30 s (see target/xtask-s3/moto.log): the S3 backup test will skip");
        None
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Python that can `import moto.server`: the project's venv, made and filled on first use.
fn python_with_moto(dir: &Path) -> Result<PathBuf, String> {
    let venv = dir.join("venv");
    let python = venv.join("bin/python3");
    let has_moto = |py: &Path| cmd::succeeds(Command::new(py).args(["-c", "import moto.server"]));
    if python.is_file() && has_moto(&python) {
        return Ok(python);
    }
    let system = cmd::find_program("python3", &[]).ok_or("python3 is not installed")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    if !python.is_file() && !cmd::succeeds(Command::new(&system).arg("-m").arg("venv").arg(&venv)) {
        return Err("python3 -m venv failed (Debian: apt-get install python3-venv)".into());
    }
    note!("installing moto[server] from PyPI into target/xtask-s3/venv");
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "moto[server]"]);
    cmd::stdout_to_stderr(&mut pip);
    if !cmd::status(&mut pip).is_ok_and(|s| s.success()) || !has_moto(&python) {
        return Err("pip could not install moto[server]".into());
    }
    Ok(python)
}
