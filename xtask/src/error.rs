//! A minimal error type for xtask steps (the crate is dependency-free, so no `anyhow`).

use std::fmt;

/// Failure of an xtask step: a human-readable message that already carries its context.
#[derive(Debug)]
pub struct Error(String);

impl Error {
    /// An error with the given message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Result of an xtask step.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds a description of what was being done to any displayable error.
pub trait Context<T> {
    /// Prefixes the error with `what`: `"{what}: {error}"`.
    fn context(self, what: impl fmt::Display) -> Result<T>;

    /// Like [`Context::context`], but builds the description only on error.
    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error(format!("{what}: {e}")))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| Error(format!("{}: {e}", what())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_prefixes_the_message() {
        let r: std::result::Result<(), &str> = Err("boom");
        let e = r.context("doing x").err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("doing x: boom"));
    }
}
