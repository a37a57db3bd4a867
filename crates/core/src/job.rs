//! Background job vocabulary: statuses and priorities of the `jobs` table.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a job is in its life: `queued → running → done`, or back to `queued` for a retry, or `dead`
/// after its last attempt failed (re-queueable by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [JobStatus::Queued, JobStatus::Running, JobStatus::Done, JobStatus::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job status `{0}`; expected queued, running, done or dead")]
pub struct UnknownJobStatus(pub String);

impl FromStr for JobStatus {
    type Err = UnknownJobStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| UnknownJobStatus(s.to_owned()))
    }
}

/// How urgent a job is. Claimed strictly in this order (critical first), then by due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobPriority {
    Critical,
    High,
    Normal,
    Low,
}

impl JobPriority {
    pub const ALL: [JobPriority; 4] = [JobPriority::Critical, JobPriority::High, JobPriority::Normal, JobPriority::Low];

    /// The stored rank: lower runs first, so `ORDER BY priority` is an index scan.
    pub fn rank(self) -> i16 {
        match self {
            JobPriority::Critical => 0,
            JobPriority::High => 1,
            JobPriority::Normal => 2,
            JobPriority::Low => 3,
        }
    }

    pub fn from_rank(rank: i16) -> Option<Self> {
        JobPriority::ALL.into_iter().find(|p| p.rank() == rank)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobPriority::Critical => "critical",
            JobPriority::High => "high",
            JobPriority::Normal => "normal",
            JobPriority::Low => "low",
        }
    }
}

impl fmt::Display for JobPriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_round_trips() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(s));
        }
        assert!("failed".parse::<JobStatus>().is_err());
    }

    #[test]
    fn rank_order_is_priority_order() {
        for p in JobPriority::ALL {
            assert_eq!(JobPriority::from_rank(p.rank()), Some(p));
        }
        let mut ranks: Vec<_> = JobPriority::ALL.iter().map(|p| p.rank()).collect();
        ranks.sort();
        assert_eq!(ranks, vec![0, 1, 2, 3]);
        assert!(JobPriority::Critical < JobPriority::Low);
        assert_eq!(JobPriority::from_rank(9), None);
    }
}

crate::str_enum_schema!(JobStatus);

crate::str_enum_schema!(JobPriority);
