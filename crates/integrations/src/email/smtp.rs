//! SMTP sender (lettre). To be written.
