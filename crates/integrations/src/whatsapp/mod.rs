//! WhatsApp gateways.

pub mod fonnte;
