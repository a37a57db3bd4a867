//! E-mail: the SMTP sender, and (feature `fakes`) a local SMTP server speaking the real protocol.

#[cfg(feature = "fakes")]
pub mod fake;
pub mod smtp;
