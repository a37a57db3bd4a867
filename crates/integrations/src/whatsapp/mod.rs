//! WhatsApp gateways.

pub mod fonnte;
pub mod meta;
