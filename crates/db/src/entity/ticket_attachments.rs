//! TODO(scaffold): ticket attachments entity.
