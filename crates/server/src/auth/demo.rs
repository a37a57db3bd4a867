//! Demo data for the security pages: one account with two-factor on (its secret is printed on
//! the demo login page, so visitors can add it to an authenticator app) and one account locked
//! until an admin unlocks it (the unlock button on its user page). Demo only.

use crate::auth::sealed;
use crate::state::AppState;
use aglis_core::{lockout, totp};
use aglis_db::repo::{two_factor, users};

/// A demo account with two-factor on.
pub const TOTP_USER: &str = "noc.malam";
/// Its secret (base32), shown on the demo login page; never use a fixed secret outside the demo.
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
/// A demo account locked by the last lockout step.
pub const LOCKED_USER: &str = "teknisi.bekasi2";

/// Gives [`TOTP_USER`] its second factor and locks [`LOCKED_USER`]; a user that is missing or
/// already set up is left alone.
pub async fn seed_demo(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    if let Some((user, _)) = users::find_credentials(&state.db, TOTP_USER).await?
        && !user.two_factor_enabled()
    {
        let secret = totp::base32_decode(TOTP_SECRET).map_err(|e| anyhow::anyhow!("demo secret: {e}"))?;
        let sealed_secret = sealed::seal(state.config.secret_bytes(), user.id, &secret)?;
        two_factor::set_pending(&state.db, user.id, &sealed_secret, now).await?;
        two_factor::enable(&state.db, user.id, 0, now).await?;
    }
    if let Some((user, _)) = users::find_credentials(&state.db, LOCKED_USER).await? {
        let failures = state.config.security.lockout.steps().last().map_or(15, |s| s.failures);
        let locked = lockout::State { failures, last_failed_at: Some(now), locked_until: None, locked_forever: true };
        users::set_lockout(&state.db, user.id, &locked).await?;
    }
    Ok(())
}
