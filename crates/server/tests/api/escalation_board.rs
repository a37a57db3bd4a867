//! TODO(scaffold)
