//! `aglis demo`'s payment gateways: a local fake Midtrans and a fake Xendit (their real wire
//! formats, over HTTP), used when no real keys are configured. Their pay pages are where a demo
//! customer "pays"; their callbacks come back to this server's webhooks.

use crate::config::Config;
use crate::config::payments::{MidtransConfig, XenditConfig};
use aglis_integrations::payments::midtrans::fake::FakeMidtrans;
use aglis_integrations::payments::xendit::fake::FakeXendit;
use secrecy::SecretString;

pub const MIDTRANS_KEY: &str = "SB-Mid-server-AGLISDEMO";
pub const XENDIT_KEY: &str = "xnd_development_AGLISDEMO";
pub const XENDIT_TOKEN: &str = "aglis-demo-xendit-callback-token";

#[derive(Debug)]
pub struct DemoPayments {
    pub midtrans: FakeMidtrans,
    pub xendit: FakeXendit,
}

impl DemoPayments {
    /// Starts both fakes and points `config` at them, unless a gateway is configured already.
    pub async fn start(config: &mut Config) -> std::io::Result<Option<Self>> {
        if config.payments.midtrans.is_some() || config.payments.xendit.is_some() {
            return Ok(None);
        }
        let midtrans = FakeMidtrans::start(MIDTRANS_KEY).await?;
        let xendit = FakeXendit::start(XENDIT_KEY, XENDIT_TOKEN).await?;
        config.payments.midtrans = Some(MidtransConfig {
            server_key: SecretString::from(MIDTRANS_KEY),
            client_key: Some("SB-Mid-client-AGLISDEMO".into()),
            snap_url: midtrans.url().to_owned(),
            api_url: midtrans.url().to_owned(),
        });
        config.payments.xendit = Some(XenditConfig {
            secret_key: SecretString::from(XENDIT_KEY),
            callback_token: Some(SecretString::from(XENDIT_TOKEN)),
            url: xendit.url().to_owned(),
        });
        tracing::info!(midtrans = midtrans.url(), xendit = xendit.url(), "demo payment gateways (local fakes)");
        Ok(Some(Self { midtrans, xendit }))
    }

    /// Sends the fakes' callbacks to the server listening on `port` of this machine.
    pub fn call_back_to(&self, port: u16) {
        let base = format!("http://127.0.0.1:{port}");
        self.midtrans.set_notification_url(Some(format!("{base}/api/webhooks/payments/midtrans")));
        self.xendit.set_notification_url(Some(format!("{base}/api/webhooks/payments/xendit")));
    }
}
