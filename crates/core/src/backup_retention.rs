//! Backup retention: which backup sets to delete under a keep-daily/weekly/monthly policy.
//!
//! Rules:
//! 1. Input order does not matter; sets are sorted by `created_at`, then by name.
//! 2. Sets fall into buckets by calendar day, ISO week and calendar month, all in Asia/Jakarta local
//!    time. For each of the newest `daily` days (`weekly` weeks, `monthly` months) that have sets, one
//!    set is kept: the newest verified set of that bucket, or the newest set when none is verified.
//! 3. The newest verified set is always kept, and so is every set at least as new as it: unverified
//!    new sets may still pass verification, so they are never deleted.
//! 4. Therefore a set is deleted only when a verified set strictly newer than it exists; with no
//!    verified set at all, nothing is deleted.
//! 5. A policy with all counts 0 still keeps the newest verified set and everything newer.
//!
//! A name is returned at most once, and never when another set with the same name is kept.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::schedule::JAKARTA;

/// Keep counts: the newest set of each of the newest `daily` calendar days (Asia/Jakarta) that have sets,
/// of each of the newest `weekly` ISO weeks, of each of the newest `monthly` calendar months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self { daily: 30, weekly: 8, monthly: 12 }
    }
}

/// One backup set as the retention rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfo {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub verified: bool,
}

/// Names of the sets to delete, oldest first.
pub fn to_delete(sets: &[SetInfo], policy: &RetentionPolicy) -> Vec<String> {
    let mut sorted: Vec<&SetInfo> = sets.iter().collect();
    sorted.sort_by(|a, b| (a.created_at, &a.name).cmp(&(b.created_at, &b.name)));
    let Some(newest_verified) = sorted.iter().filter(|s| s.verified).map(|s| s.created_at).max() else {
        return Vec::new();
    };
    let mut keep: Vec<bool> = sorted.iter().map(|s| s.created_at >= newest_verified).collect();
    let local: Vec<NaiveDate> = sorted.iter().map(|s| s.created_at.with_timezone(&JAKARTA).date_naive()).collect();
    keep_buckets(&sorted, &local, policy.daily, |d| d, &mut keep);
    keep_buckets(&sorted, &local, policy.weekly, |d| (d.iso_week().year(), d.iso_week().week()), &mut keep);
    keep_buckets(&sorted, &local, policy.monthly, |d| (d.year(), d.month()), &mut keep);

    let kept_names: HashSet<&str> =
        sorted.iter().zip(&keep).filter(|(_, k)| **k).map(|(s, _)| s.name.as_str()).collect();
    let mut seen = HashSet::new();
    sorted
        .iter()
        .zip(&keep)
        .filter(|(s, k)| !**k && !kept_names.contains(s.name.as_str()) && seen.insert(s.name.as_str()))
        .map(|(s, _)| s.name.clone())
        .collect()
}

/// Marks the chosen set of each of the newest `count` buckets (by `key` of the local date) as kept.
fn keep_buckets<K: Ord>(
    sorted: &[&SetInfo],
    local: &[NaiveDate],
    count: u32,
    key: impl Fn(NaiveDate) -> K,
    keep: &mut [bool],
) {
    let mut pick: BTreeMap<K, usize> = BTreeMap::new();
    for (i, (set, date)) in sorted.iter().zip(local).enumerate() {
        // Ascending order: a later set wins unless it is unverified and the current pick is verified.
        let current = pick.entry(key(*date)).or_insert(i);
        if set.verified || !sorted[*current].verified {
            *current = i;
        }
    }
    for &i in pick.values().rev().take(count as usize) {
        keep[i] = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid time")
    }

    fn set(name: &str, created_at: DateTime<Utc>, verified: bool) -> SetInfo {
        SetInfo { name: name.to_owned(), created_at, verified }
    }

    fn policy(daily: u32, weekly: u32, monthly: u32) -> RetentionPolicy {
        RetentionPolicy { daily, weekly, monthly }
    }

    /// One verified set per day at 12:00 WIB, named by its date, from `start` for `days` days.
    fn daily_sets(start: DateTime<Utc>, days: i64) -> Vec<SetInfo> {
        (0..days)
            .map(|i| {
                let at = start + Duration::days(i);
                set(&at.format("%Y-%m-%d").to_string(), at, true)
            })
            .collect()
    }

    #[test]
    fn default_policy() {
        assert_eq!(RetentionPolicy::default(), policy(30, 8, 12));
    }

    #[test]
    fn nothing_to_do_for_no_sets() {
        assert!(to_delete(&[], &RetentionPolicy::default()).is_empty());
    }

    #[test]
    fn keeps_the_newest_thirty_days() {
        let mut sets = daily_sets(utc(2024, 1, 1, 5, 0), 40);
        let expected: Vec<String> = sets[..10].iter().map(|s| s.name.clone()).collect();
        sets.reverse(); // input order must not matter
        assert_eq!(to_delete(&sets, &policy(30, 0, 0)), expected);
    }

    #[test]
    fn old_newest_verified_is_kept_when_newer_sets_are_unverified() {
        let sets: Vec<SetInfo> = (0..6).map(|i| set(&format!("s{i}"), utc(2024, 5, 1 + i, 5, 0), i < 2)).collect();
        assert_eq!(to_delete(&sets, &policy(1, 0, 0)), ["s0"]);
    }

    #[test]
    fn days_are_jakarta_days() {
        let sets = [
            set("d1-morning", utc(2024, 6, 10, 2, 0), true),    // 09:00 WIB 10 June
            set("d1-late", utc(2024, 6, 10, 16, 30), true),     // 23:30 WIB 10 June
            set("d2-midnight", utc(2024, 6, 10, 17, 30), true), // 00:30 WIB 11 June
        ];
        assert_eq!(to_delete(&sets, &policy(2, 0, 0)), ["d1-morning"]);
        assert_eq!(to_delete(&sets, &policy(1, 0, 0)), ["d1-morning", "d1-late"]);
        // 17:00 UTC is exactly midnight in Jakarta: a new day starts.
        let edge = [
            set("a", utc(2024, 6, 10, 16, 59), true), // 23:59 WIB 10 June
            set("b", utc(2024, 6, 10, 17, 0), true),  // 00:00 WIB 11 June
            set("c", utc(2024, 6, 11, 16, 0), true),  // 23:00 WIB 11 June
        ];
        assert_eq!(to_delete(&edge, &policy(2, 0, 0)), ["b"]);
    }

    #[test]
    fn weekly_and_monthly_keep_older_sets() {
        // Monday 1 January to Sunday 31 March 2024, 12:00 WIB each day.
        let sets = daily_sets(utc(2024, 1, 1, 5, 0), 91);
        let deleted = to_delete(&sets, &policy(7, 4, 3));
        let kept: Vec<&str> =
            sets.iter().map(|s| s.name.as_str()).filter(|n| !deleted.iter().any(|d| d == n)).collect();
        let mut expected = vec!["2024-01-31", "2024-02-29", "2024-03-10", "2024-03-17", "2024-03-24"];
        expected.extend([
            "2024-03-25",
            "2024-03-26",
            "2024-03-27",
            "2024-03-28",
            "2024-03-29",
            "2024-03-30",
            "2024-03-31",
        ]);
        assert_eq!(kept, expected);
        assert_eq!(deleted.len(), 91 - 12);
    }

    #[test]
    fn a_verified_set_beats_a_newer_unverified_one_in_its_day() {
        let sets = [
            set("prev", utc(2024, 7, 1, 5, 0), true),
            set("morning", utc(2024, 7, 2, 2, 0), true),
            set("evening", utc(2024, 7, 2, 11, 0), false),
            set("next", utc(2024, 7, 3, 5, 0), true),
        ];
        assert_eq!(to_delete(&sets, &policy(3, 0, 0)), ["evening"]);
    }

    #[test]
    fn a_zero_policy_keeps_the_newest_verified_and_newer() {
        let sets = [
            set("v1", utc(2024, 1, 1, 0, 0), true),
            set("v2", utc(2024, 2, 1, 0, 0), true),
            set("u3", utc(2024, 3, 1, 0, 0), false),
        ];
        assert_eq!(to_delete(&sets, &policy(0, 0, 0)), ["v1"]);
    }

    #[test]
    fn a_name_that_is_also_kept_is_not_returned() {
        let sets = [set("dup", utc(2024, 1, 1, 0, 0), true), set("dup", utc(2024, 2, 1, 0, 0), true)];
        assert!(to_delete(&sets, &policy(0, 0, 0)).is_empty());
    }

    fn arb_sets(verified: BoxedStrategy<bool>) -> impl Strategy<Value = Vec<SetInfo>> {
        let start = utc(2023, 1, 1, 0, 0);
        proptest::collection::vec((0i64..2 * 365 * 86_400, verified), 0..60).prop_map(move |v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (secs, ok))| set(&format!("s{i:02}"), start + Duration::seconds(secs), ok))
                .collect()
        })
    }

    fn arb_policy() -> impl Strategy<Value = RetentionPolicy> {
        (0u32..10, 0u32..6, 0u32..6).prop_map(|(d, w, m)| policy(d, w, m))
    }

    fn newest_verified(sets: &[SetInfo]) -> Option<&SetInfo> {
        sets.iter().filter(|s| s.verified).max_by_key(|s| (s.created_at, &s.name))
    }

    proptest! {
        #[test]
        fn never_deletes_the_newest_verified(sets in arb_sets(any::<bool>().boxed()), p in arb_policy()) {
            if let Some(v) = newest_verified(&sets) {
                prop_assert!(!to_delete(&sets, &p).contains(&v.name));
            }
        }

        #[test]
        fn deletes_nothing_without_a_verified_set(sets in arb_sets(Just(false).boxed()), p in arb_policy()) {
            prop_assert!(to_delete(&sets, &p).is_empty());
        }

        #[test]
        fn every_deleted_set_has_a_newer_verified_set(sets in arb_sets(any::<bool>().boxed()), p in arb_policy()) {
            for name in to_delete(&sets, &p) {
                let s = sets.iter().find(|s| s.name == name).expect("deleted name is an input name");
                prop_assert!(sets.iter().any(|v| v.verified && v.created_at > s.created_at));
            }
        }

        #[test]
        fn is_idempotent(sets in arb_sets(any::<bool>().boxed()), p in arb_policy()) {
            let deleted = to_delete(&sets, &p);
            let survivors: Vec<SetInfo> = sets.into_iter().filter(|s| !deleted.contains(&s.name)).collect();
            prop_assert!(to_delete(&survivors, &p).is_empty());
        }

        #[test]
        fn returns_distinct_input_names_oldest_first(sets in arb_sets(any::<bool>().boxed()), p in arb_policy()) {
            let deleted = to_delete(&sets, &p);
            let unique: HashSet<&String> = deleted.iter().collect();
            prop_assert_eq!(unique.len(), deleted.len());
            let times: Vec<_> = deleted.iter().map(|n| sets.iter().find(|s| &s.name == n).map(|s| s.created_at)).collect();
            prop_assert!(times.iter().all(Option::is_some));
            prop_assert!(times.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
