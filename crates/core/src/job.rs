//! Background job vocabulary: statuses and priorities of the `jobs` table.

crate::str_enum! {
    "job status",
    /// Where a job is in its life: `queued → running → done`, or back to `queued` for a retry, or `dead`
    /// after its last attempt failed (re-queueable by hand).
    pub enum JobStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Dead = "dead",
    }
}

crate::str_enum! {
    "job priority",
    /// How urgent a job is. Claimed strictly in this order (critical first), then by due time: stored as
    /// its rank, lower first, so `ORDER BY priority` is an index scan.
    pub enum JobPriority {
        Critical = "critical" @ 0,
        High = "high" @ 1,
        Normal = "normal" @ 2,
        Low = "low" @ 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_round_trips() {
        for &s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(s));
        }
        assert!("failed".parse::<JobStatus>().is_err());
    }

    #[test]
    fn rank_order_is_priority_order() {
        for &p in JobPriority::ALL {
            assert_eq!(JobPriority::from_rank(p.rank()), Some(p));
        }
        let mut ranks: Vec<_> = JobPriority::ALL.iter().map(|p| p.rank()).collect();
        ranks.sort();
        assert_eq!(ranks, vec![0, 1, 2, 3]);
        assert!(JobPriority::Critical < JobPriority::Low);
        assert_eq!(JobPriority::from_rank(9), None);
    }
}
