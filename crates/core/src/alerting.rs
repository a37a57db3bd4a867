//! Alert rules and the error inbox's grouping: what each rule measures, when it is breached, and
//! what an evaluation does with an alert (fire once, re-notify on an interval, resolve), as plain
//! functions. The server measures; these decide.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

crate::str_enum! {
    "alert rule",
    /// The rules every installation has (issue 9). Their thresholds are editable.
    pub enum RuleCode {
        /// Share of requests answered 5xx, in percent, over the window.
        ErrorRate = "error_rate",
        /// Average response time, in milliseconds, over the window.
        ResponseTime = "response_time",
        /// The database does not answer (checked by every instance, alerted directly).
        Database = "database",
        /// WhatsApp provider calls accepted, in percent, over the window; or the provider's own
        /// status check failing.
        Whatsapp = "whatsapp",
        /// Open tickets past their SLA resolution deadline.
        SlaBreaches = "sla_breaches",
        /// A backup, its verification or its off-site copy failed and no good backup followed.
        BackupFailed = "backup_failed",
        /// Jobs that went dead (retries exhausted) within the window.
        DeadLetters = "dead_letters",
        /// The fullest of the data and backup file systems, in percent used.
        Disk = "disk",
        /// Customers active again (paid) whose device still isolates them 5 minutes later.
        PaidSuspended = "paid_suspended",
        /// A suspension run stopped by the circuit breaker within the window.
        SuspensionBreaker = "suspension_breaker",
    }
}

crate::str_enum! {
    "alert status",
    pub enum AlertStatus {
        Firing = "firing",
        Resolved = "resolved",
    }
}

crate::str_enum! {
    "error status",
    /// An error group in the inbox. A new occurrence reopens a resolved group; an ignored one
    /// stays ignored (and keeps counting).
    pub enum ErrorStatus {
        Open = "open",
        Resolved = "resolved",
        Ignored = "ignored",
    }
}

crate::str_enum! {
    "error source",
    pub enum ErrorSource {
        /// A request answered 500.
        Http = "http",
        /// A request handler panicked.
        Panic = "panic",
        /// A background job went dead.
        Job = "job",
    }
}

/// A rule's settings when it is first installed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleDefaults {
    pub threshold: f64,
    pub window_minutes: i32,
    pub renotify_minutes: i32,
}

/// Fewer requests than this in the window say nothing about an error rate.
pub const MIN_REQUESTS: i64 = 20;
/// Fewer WhatsApp provider calls than this in the window say nothing about a success rate.
pub const MIN_CALLS: i64 = 5;

impl RuleCode {
    pub fn defaults(self) -> RuleDefaults {
        let (threshold, window_minutes, renotify_minutes) = match self {
            RuleCode::ErrorRate => (1.0, 5, 60),
            RuleCode::ResponseTime => (3000.0, 5, 60),
            RuleCode::Database => (0.0, 1, 30),
            RuleCode::Whatsapp => (80.0, 60, 120),
            RuleCode::SlaBreaches => (0.0, 60, 240),
            RuleCode::BackupFailed => (0.0, 1440, 720),
            RuleCode::DeadLetters => (0.0, 60, 240),
            RuleCode::Disk => (90.0, 5, 360),
            RuleCode::PaidSuspended => (0.0, 5, 60),
            RuleCode::SuspensionBreaker => (0.0, 120, 240),
        };
        RuleDefaults { threshold, window_minutes, renotify_minutes }
    }

    /// The unit of the measured value, for messages and the rules page.
    pub fn unit(self) -> &'static str {
        match self {
            RuleCode::ErrorRate | RuleCode::Whatsapp | RuleCode::Disk => "%",
            RuleCode::ResponseTime => "ms",
            RuleCode::SlaBreaches => "tickets",
            RuleCode::DeadLetters => "jobs",
            RuleCode::PaidSuspended => "customers",
            RuleCode::SuspensionBreaker => "runs",
            RuleCode::Database | RuleCode::BackupFailed => "",
        }
    }

    /// True when a value *below* the threshold is the bad case.
    pub fn low_is_bad(self) -> bool {
        self == RuleCode::Whatsapp
    }

    /// Whether the threshold means anything (the database and backup rules are yes/no).
    pub fn has_threshold(self) -> bool {
        !matches!(self, RuleCode::Database | RuleCode::BackupFailed)
    }

    /// Whether the window is editable (the database is checked continuously; a failed backup
    /// stays an incident until a good backup follows, however long that takes).
    pub fn has_window(self) -> bool {
        !matches!(self, RuleCode::Database | RuleCode::BackupFailed)
    }
}

/// Is `value` on the bad side of `threshold` for this rule?
pub fn breached(rule: RuleCode, threshold: f64, value: f64) -> bool {
    if rule.low_is_bad() { value < threshold } else { value > threshold }
}

/// 5xx answers as a percentage of requests; `None` when there were too few requests to judge.
pub fn error_rate_pct(requests: i64, errors: i64) -> Option<f64> {
    (requests >= MIN_REQUESTS).then(|| pct(errors, requests))
}

/// Accepted calls as a percentage of calls; `None` when there were too few calls to judge.
pub fn success_rate_pct(calls: i64, ok: i64) -> Option<f64> {
    (calls >= MIN_CALLS).then(|| pct(ok, calls))
}

/// Average latency in milliseconds; `None` without requests.
pub fn average_ms(requests: i64, latency_ms_sum: i64) -> Option<f64> {
    (requests > 0).then(|| latency_ms_sum as f64 / requests as f64)
}

fn pct(part: i64, whole: i64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 }
}

/// The open alert of a rule, as the evaluation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Active {
    pub started_at: DateTime<Utc>,
    pub last_notified_at: Option<DateTime<Utc>>,
    pub acknowledged: bool,
}

/// What an evaluation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Nothing,
    /// A new incident: record it and notify.
    Fire,
    /// Still breached, unacknowledged, and the re-notify interval has passed.
    Renotify,
    /// No longer breached: close the incident and say so.
    Resolve,
}

/// One evaluation of one rule. `renotify_minutes` ≤ 0 never re-notifies; an acknowledged alert is
/// not re-notified (someone is on it) but still resolves by itself.
pub fn decide(active: Option<&Active>, breached: bool, renotify_minutes: i32, now: DateTime<Utc>) -> Decision {
    match (active, breached) {
        (None, false) => Decision::Nothing,
        (None, true) => Decision::Fire,
        (Some(_), false) => Decision::Resolve,
        (Some(a), true) => {
            if a.acknowledged || renotify_minutes <= 0 {
                return Decision::Nothing;
            }
            let last = a.last_notified_at.unwrap_or(a.started_at);
            if now - last >= Duration::minutes(i64::from(renotify_minutes)) {
                Decision::Renotify
            } else {
                Decision::Nothing
            }
        }
    }
}

/// Is the rule muted at `now`? A muted rule still records its alerts but sends nothing.
pub fn muted(muted_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    muted_until.is_some_and(|until| until > now)
}

/// How long an incident lasted (to now while it is open).
pub fn duration(started_at: DateTime<Utc>, resolved_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    resolved_at.unwrap_or(now) - started_at
}

/// `1 j 5 m` style: hours and minutes, or minutes and seconds under an hour.
pub fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h >= 24 {
        format!("{}d {}h", h / 24, h % 24)
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// The error inbox groups occurrences whose source, route and message agree once the parts that
/// change from one occurrence to the next (numbers, ids, quoted values) are blanked out.
pub fn fingerprint(source: ErrorSource, route: &str, message: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(source.as_str().as_bytes());
    hash.update([0]);
    hash.update(route.as_bytes());
    hash.update([0]);
    hash.update(normalise_message(message).as_bytes());
    let digest = hash.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Digits (and hex runs that contain them) become `#`; quoted text becomes `'…'`; the first line
/// only, at most 300 characters.
pub fn normalise_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    let mut out = String::with_capacity(first.len());
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = word.strip_prefix("0x").unwrap_or(word);
        if word.chars().any(|c| c.is_ascii_digit()) && hex.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            out.push('#');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in first.chars() {
        if let Some(q) = quote {
            if c == q {
                out.push('…');
                out.push(c);
                quote = None;
            }
            continue;
        }
        if c == '"' || c == '\'' || c == '`' {
            flush(&mut word, &mut out);
            out.push(c);
            quote = Some(c);
        } else if c.is_alphanumeric() || c == '-' || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("time") + Duration::minutes(min)
    }

    #[test]
    fn an_incident_fires_once_renotifies_on_its_interval_and_resolves() {
        assert_eq!(decide(None, false, 60, at(0)), Decision::Nothing);
        assert_eq!(decide(None, true, 60, at(0)), Decision::Fire);
        let active = Active { started_at: at(0), last_notified_at: Some(at(0)), acknowledged: false };
        assert_eq!(decide(Some(&active), true, 60, at(1)), Decision::Nothing, "not again a minute later");
        assert_eq!(decide(Some(&active), true, 60, at(59)), Decision::Nothing);
        assert_eq!(decide(Some(&active), true, 60, at(60)), Decision::Renotify);
        let renotified = Active { last_notified_at: Some(at(60)), ..active.clone() };
        assert_eq!(decide(Some(&renotified), true, 60, at(61)), Decision::Nothing);
        assert_eq!(decide(Some(&renotified), false, 60, at(62)), Decision::Resolve);
    }

    #[test]
    fn an_acknowledged_alert_is_not_renotified_but_still_resolves() {
        let active = Active { started_at: at(0), last_notified_at: Some(at(0)), acknowledged: true };
        assert_eq!(decide(Some(&active), true, 60, at(600)), Decision::Nothing);
        assert_eq!(decide(Some(&active), false, 60, at(601)), Decision::Resolve);
        let never = Active { acknowledged: false, ..active };
        assert_eq!(decide(Some(&never), true, 0, at(600)), Decision::Nothing, "interval 0 never re-notifies");
    }

    #[test]
    fn thresholds_face_the_right_way() {
        assert!(breached(RuleCode::ErrorRate, 1.0, 1.5));
        assert!(!breached(RuleCode::ErrorRate, 1.0, 1.0), "at the threshold is not over it");
        assert!(breached(RuleCode::Whatsapp, 80.0, 79.9));
        assert!(!breached(RuleCode::Whatsapp, 80.0, 80.0));
        assert!(breached(RuleCode::SlaBreaches, 0.0, 1.0));
        assert!(!breached(RuleCode::SlaBreaches, 0.0, 0.0));
    }

    #[test]
    fn rates_need_enough_traffic_to_judge() {
        assert_eq!(error_rate_pct(MIN_REQUESTS - 1, MIN_REQUESTS - 1), None);
        assert_eq!(error_rate_pct(200, 3), Some(1.5));
        assert_eq!(success_rate_pct(MIN_CALLS - 1, 0), None);
        assert_eq!(success_rate_pct(10, 7), Some(70.0));
        assert_eq!(average_ms(0, 0), None);
        assert_eq!(average_ms(4, 14_000), Some(3500.0));
    }

    #[test]
    fn mutes_end() {
        assert!(muted(Some(at(10)), at(5)));
        assert!(!muted(Some(at(10)), at(10)));
        assert!(!muted(None, at(0)));
    }

    #[test]
    fn occurrences_that_differ_in_ids_share_a_fingerprint() {
        let a = fingerprint(ErrorSource::Http, "/api/v1/tickets/{id}", "ticket 123 not in table \"t_9\" at 0x7f3a");
        let b = fingerprint(ErrorSource::Http, "/api/v1/tickets/{id}", "ticket 98765 not in table \"other\" at 0x11ff");
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint(ErrorSource::Job, "/api/v1/tickets/{id}", "ticket 123 not in table \"t_9\" at 0x7f3a")
        );
        assert_ne!(a, fingerprint(ErrorSource::Http, "/api/v1/customers/{id}", "ticket 1 not in table \"x\" at 0x1"));
        assert_ne!(a, fingerprint(ErrorSource::Http, "/api/v1/tickets/{id}", "a different failure"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn normalising_keeps_words_and_only_the_first_line() {
        assert_eq!(normalise_message("no such table: packages\nstack…"), "no such table: packages");
        assert_eq!(normalise_message("job 42 failed after 3 tries"), "job # failed after # tries");
        assert_eq!(normalise_message("value 'secret-ish' rejected"), "value '…' rejected");
        assert_eq!(normalise_message("deadbeef is a word, dead42beef is an id"), "deadbeef is a word, # is an id");
    }

    #[test]
    fn codes_round_trip_and_have_defaults() {
        for code in RuleCode::ALL {
            assert_eq!(RuleCode::from_str(code.as_str()), Ok(*code));
            assert!(code.defaults().window_minutes > 0);
        }
        assert_eq!(format_duration(Duration::seconds(3725)), "1h 2m");
        assert_eq!(format_duration(Duration::seconds(125)), "2m 5s");
        assert_eq!(format_duration(Duration::hours(50)), "2d 2h");
    }
}
