//! (issue 7)
