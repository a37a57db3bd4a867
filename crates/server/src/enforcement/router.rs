//! A MikroTik router over either of its protocols: REST (RouterOS 7) or the binary API (RouterOS
//! 6, port 8728). Both clients offer the same operations with the same meaning; this forwards.

use aglis_integrations::network::routeros::{DeviceInfo, PppState, RouterOs};
use aglis_integrations::network::routeros_api::RouterOsApi;
use aglis_integrations::network::{NetError, Outcome, Snapshot};

pub enum Router {
    Rest(RouterOs),
    Api(RouterOsApi),
}

macro_rules! forward {
    ($self:ident, $call:ident ( $($arg:expr),* )) => {
        match $self {
            Router::Rest(r) => r.$call($($arg),*).await,
            Router::Api(r) => r.$call($($arg),*).await,
        }
    };
}

impl Router {
    pub async fn health(&self) -> Result<DeviceInfo, NetError> {
        forward!(self, health())
    }

    pub async fn ppp_state(&self, name: &str) -> Result<Option<PppState>, NetError> {
        forward!(self, ppp_state(name))
    }

    pub async fn ensure_ppp_profile(&self, name: &str, profile: &str, dry_run: bool) -> Result<Outcome, NetError> {
        forward!(self, ensure_ppp_profile(name, profile, dry_run))
    }

    pub async fn ensure_ppp_disabled(&self, name: &str, disabled: bool, dry_run: bool) -> Result<Outcome, NetError> {
        forward!(self, ensure_ppp_disabled(name, disabled, dry_run))
    }

    pub async fn kick(&self, name: &str, dry_run: bool) -> Result<Outcome, NetError> {
        forward!(self, kick(name, dry_run))
    }

    pub async fn listed(&self, list: &str, address: &str) -> Result<bool, NetError> {
        forward!(self, listed(list, address))
    }

    pub async fn ensure_listed(
        &self,
        list: &str,
        address: &str,
        comment: &str,
        listed: bool,
        dry_run: bool,
    ) -> Result<Outcome, NetError> {
        forward!(self, ensure_listed(list, address, comment, listed, dry_run))
    }

    pub async fn snapshot(&self, list: &str) -> Result<Snapshot, NetError> {
        forward!(self, snapshot(list))
    }

    pub async fn session_user(&self, address: &str) -> Result<Option<String>, NetError> {
        forward!(self, session_user(address))
    }
}
