//! The HTTP client every integration uses: rustls with the `ring` provider (the one sqlx already
//! builds), a timeout, and a user agent.

use std::time::Duration;

/// Makes `ring` the process's TLS crypto provider (once; later calls do nothing). Every HTTP
/// client of the process, ours or a test's, needs it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client with `timeout` for the whole request.
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("aglis/", env!("CARGO_PKG_VERSION")))
        .build()
}
