//! TODO(scaffold): ticket attachments and comments.
