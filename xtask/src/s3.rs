//! A local S3-compatible server for the tests of attachments on a bucket and of off-site backups:
//! moto's server mode, from PyPI, installed into `target/xtask-s3/venv` on first use
//! ([`crate::venv`]) and started on a free loopback port. Its address reaches the tests as
//! `AGLIS_TEST_S3_ENDPOINT`. It is required: when it cannot be installed or started, the run
//! fails naming what is missing (the tests that need it fail without it, they do not skip).

use crate::cmd::note;
use crate::error::{Context, Error, Result};
use crate::venv::{self, Tool};
use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ENDPOINT_ENV: &str = "AGLIS_TEST_S3_ENDPOINT";

/// moto with its server extras (Flask and friends).
pub const MOTO: Tool =
    Tool { name: "moto", requirement: "moto[server]", probe: "import moto.server", min_python: (3, 9) };

/// How long moto may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The running server; stopped when dropped.
pub struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Installs (once) and starts moto on 127.0.0.1.
    pub fn start(root: &Path) -> Result<S3Server> {
        let dir = root.join("target/xtask-s3");
        let python = venv::ensure(&dir.join("venv"), MOTO)
            .map_err(|e| Error::msg(format!("no local S3 server (moto) for the S3 tests: {e}")))?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .context("cannot find a free port for moto")?;
        let log_path = dir.join("moto.log");
        let log = File::create(&log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("cannot share moto's log")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start moto ({} -m moto.server)", python.display()))?;
        let mut server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                note!("moto S3 server on {}", server.endpoint);
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(Error::msg(format!("moto exited ({status}) before listening; see {}", log_path.display())));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(Error::msg(format!(
            "moto did not listen on port {port} within {} s; see {}",
            START_TIMEOUT.as_secs(),
            log_path.display()
        )))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
