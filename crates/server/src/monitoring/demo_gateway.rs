//! `aglis demo`'s WhatsApp gateway: a local fake Fonnte (the real wire format, over HTTP) the demo
//! sends through when no real gateway is configured. The monitoring page can break and repair it
//! to show the WhatsApp alert fire and resolve.

use aglis_integrations::whatsapp::fonnte::fake::{Behavior, FakeFonnte};
use std::sync::atomic::{AtomicBool, Ordering};

/// The device token the demo's gateway accepts.
pub const TOKEN: &str = "demo-fonnte-device-token";

#[derive(Debug)]
pub struct DemoGateway {
    fake: FakeFonnte,
    broken: AtomicBool,
}

impl DemoGateway {
    pub async fn start() -> std::io::Result<Self> {
        Ok(Self { fake: FakeFonnte::start(TOKEN).await?, broken: AtomicBool::new(false) })
    }

    /// Where the demo's Fonnte client sends (`AGLIS_FONNTE_URL`).
    pub fn url(&self) -> &str {
        &self.fake.url
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::SeqCst)
    }

    /// Broken: the device reports itself disconnected and sends fail, as Fonnte does.
    pub fn set_broken(&self, broken: bool) {
        self.broken.store(broken, Ordering::SeqCst);
        self.fake.set_behavior(if broken { Behavior::Disconnected } else { Behavior::Accept });
    }

    /// Messages the gateway accepted so far.
    pub fn received(&self) -> usize {
        self.fake.received().len()
    }
}
