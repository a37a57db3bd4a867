//! `aglis demo`'s WhatsApp gateway: a local fake Fonnte the demo sends through, which the
//! monitoring page can break and repair to show an alert arrive and resolve.

use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Default)]
pub struct DemoGateway {
    broken: AtomicBool,
}

impl DemoGateway {
    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::SeqCst)
    }

    pub fn set_broken(&self, broken: bool) {
        self.broken.store(broken, Ordering::SeqCst);
    }
}
