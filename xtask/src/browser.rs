//! The browser tests need headless Chromium and chromedriver; install them when missing.

use std::path::Path;

use crate::cmd::{find_program, note};
use crate::error::{Error, Result};

const BIN: &[&str] = &["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"];

fn present() -> bool {
    Path::new("/usr/bin/chromium").exists() && find_program("chromedriver", BIN).is_some()
}

/// Makes sure `/usr/bin/chromium` and `chromedriver` exist (Debian: `chromium`, `chromium-driver`).
pub fn ensure_installed() -> Result<()> {
    if present() {
        return Ok(());
    }
    note!("Chromium or chromedriver not found: installing chromium and chromium-driver");
    crate::apt::install(&["chromium", "chromium-driver"])?;
    if present() { Ok(()) } else { Err(Error::msg("chromium and chromedriver still not found after installing them")) }
}
