//! E-mail.

pub mod smtp;
