//! The completion readings a resolve needs, as a 422 naming the reading.

use crate::error::{AppError, AppResult};
use aglis_core::ticket::TicketType;

pub fn check(t: TicketType, data: Option<&serde_json::Value>) -> AppResult<()> {
    aglis_core::ticket_completion::check(t, data).map_err(|(field, message)| AppError::field(&field, message))
}
