//! The demo's monitoring history (being written).

use crate::app::AppState;

pub async fn seed(_state: &AppState) -> anyhow::Result<()> {
    Ok(())
}
