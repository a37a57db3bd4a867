//! A recorded billing run: who or what started it, where it is, and how far it got.

crate::str_enum! { "billing run status",
    pub enum RunStatus {
        /// Waiting for a worker.
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

crate::str_enum! { "billing run trigger",
    pub enum RunTrigger {
        /// Started from the billing page.
        Manual = "manual",
        /// The daily `billing_monthly_run` schedule, on and after the billing day.
        Schedule = "schedule",
    }
}

impl RunStatus {
    /// Whether the run may still change (a page polls it).
    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

/// Per cent of `done` out of `of` for a progress bar: 0 before the first batch, 100 for a run
/// with nothing to write.
pub fn percent(done: i64, of: i64) -> i64 {
    if of <= 0 { 100 } else { (done.clamp(0, of) * 100) / of }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_bounded_and_an_empty_run_is_complete() {
        assert_eq!(percent(0, 90_750), 0);
        assert_eq!(percent(45_375, 90_750), 50);
        assert_eq!(percent(90_750, 90_750), 100);
        assert_eq!(percent(95_000, 90_750), 100);
        assert_eq!(percent(0, 0), 100);
        assert!(RunStatus::Queued.is_active() && RunStatus::Running.is_active());
        assert!(!RunStatus::Done.is_active() && !RunStatus::Failed.is_active());
    }
}
