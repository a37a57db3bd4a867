//! TODO(scaffold): escalation and SLA compliance figures.
