//! What each alert rule measures: the figures every instance flushed, the delivery attempts, the
//! tickets, the backups, the job queue and the disks, read at one evaluation.

use crate::state::AppState;
use aglis_core::alerting::{RuleCode, average_ms, breached, error_rate_pct, success_rate_pct};
use aglis_db::DbError;
use aglis_db::repo::alerts::Rule;
use chrono::{DateTime, Duration, Utc};

/// One rule's measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub breached: bool,
    /// The measured value for people: `3.5 %`, `3412 ms`, `2 tickets`.
    pub value: String,
    /// What was measured, in a sentence.
    pub detail: String,
}

impl Observation {
    fn quiet(detail: impl Into<String>) -> Self {
        Self { breached: false, value: "—".into(), detail: detail.into() }
    }
}

/// Measures `rule` at `now`. The database rule is the watchdog's (see [`super::watchdog`]): here
/// the database answered, so it is not breached.
pub async fn observe(
    state: &AppState,
    code: RuleCode,
    rule: &Rule,
    now: DateTime<Utc>,
) -> Result<Observation, DbError> {
    let window = Duration::minutes(i64::from(rule.window_minutes.max(1)));
    let since = now - window;
    let minutes = rule.window_minutes;
    Ok(match code {
        RuleCode::ErrorRate => {
            let t = aglis_db::repo::metrics::totals(&state.db, since, now + Duration::minutes(1)).await?;
            match error_rate_pct(t.requests, t.errors) {
                Some(pct) => Observation {
                    breached: breached(code, rule.threshold, pct),
                    value: format!("{pct:.1} %"),
                    detail: format!("{} of {} requests answered 5xx in the last {minutes} min", t.errors, t.requests),
                },
                None => {
                    Observation::quiet(format!("{} requests in the last {minutes} min: too few to judge", t.requests))
                }
            }
        }
        RuleCode::ResponseTime => {
            let t = aglis_db::repo::metrics::totals(&state.db, since, now + Duration::minutes(1)).await?;
            match average_ms(t.requests, t.latency_ms_sum) {
                Some(avg) => Observation {
                    breached: breached(code, rule.threshold, avg),
                    value: format!("{avg:.0} ms"),
                    detail: format!(
                        "average response {avg:.0} ms (slowest {} ms) over {} requests in the last {minutes} min",
                        t.latency_ms_max, t.requests
                    ),
                },
                None => Observation::quiet(format!("no requests in the last {minutes} min")),
            }
        }
        RuleCode::Database => Observation::quiet("the database answers"),
        RuleCode::Whatsapp => whatsapp(state, code, rule, since).await?,
        RuleCode::SlaBreaches => {
            let (n, numbers) = aglis_db::repo::ticket_stats::breached_active(&state.db, 5).await?;
            let n_f = n as f64;
            Observation {
                breached: breached(code, rule.threshold, n_f),
                value: plural(n, "ticket"),
                detail: if numbers.is_empty() {
                    "no open ticket is past its SLA".into()
                } else {
                    format!("{} past their SLA resolution time: {}", plural(n, "open ticket"), numbers.join(", "))
                },
            }
        }
        RuleCode::BackupFailed => backup(state).await?,
        RuleCode::DeadLetters => {
            let dead = aglis_db::jobs::dead_since(&state.db, since).await?;
            let n: i64 = dead.iter().map(|(_, n)| n).sum();
            let kinds = dead.iter().map(|(k, n)| format!("{k} ×{n}")).collect::<Vec<_>>().join(", ");
            Observation {
                breached: breached(code, rule.threshold, n as f64),
                value: plural(u64::try_from(n).unwrap_or(0), "job"),
                detail: if n == 0 {
                    format!("no job went dead in the last {minutes} min")
                } else {
                    format!(
                        "{} went dead in the last {minutes} min: {kinds}",
                        plural(u64::try_from(n).unwrap_or(0), "job")
                    )
                },
            }
        }
        RuleCode::PaidSuspended => {
            // The window is how long a paid customer may wait (5 minutes by default).
            let (stuck, n) = aglis_db::repo::customer_services::active_but_suspended(&state.db, since, 5).await?;
            let ids: Vec<String> = stuck.iter().map(|s| format!("#{} ({})", s.customer_id, s.identity)).collect();
            Observation {
                breached: breached(code, rule.threshold, n as f64),
                value: plural(n as u64, "customer"),
                detail: if n == 0 {
                    format!("every active customer is let on by their device within {minutes} min")
                } else {
                    format!(
                        "{} active (paid) but still isolated on the device after {minutes} min: {}",
                        plural(n as u64, "customer"),
                        ids.join(", ")
                    )
                },
            }
        }
        RuleCode::SuspensionBreaker => {
            let runs = aglis_db::repo::customer_services::runs_since(&state.db, since).await?;
            let tripped: Vec<&str> = runs.iter().filter(|r| r.tripped).map(|r| r.detail.as_str()).collect();
            Observation {
                breached: breached(code, rule.threshold, tripped.len() as f64),
                value: plural(tripped.len() as u64, "run"),
                detail: match tripped.first() {
                    None => format!("no suspension run was stopped in the last {minutes} min"),
                    Some(d) => {
                        format!("the suspension run was stopped: {d}. Check the invoices before suspending by hand.")
                    }
                },
            }
        }
        RuleCode::Disk => {
            let worst = super::health::disks(state)
                .into_iter()
                .filter_map(|(name, dir, used)| used.map(|p| (p, name, dir)))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            match worst {
                Some((pct, name, dir)) => Observation {
                    breached: breached(code, rule.threshold, pct),
                    value: format!("{pct:.1} %"),
                    detail: format!("the disk of the {name} directory ({}) is {pct:.1} % full", dir.display()),
                },
                None => Observation::quiet("the disks could not be read"),
            }
        }
    })
}

/// `1 job`, `2 jobs`.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

async fn whatsapp(state: &AppState, code: RuleCode, rule: &Rule, since: DateTime<Utc>) -> Result<Observation, DbError> {
    let rates = aglis_db::repo::delivery_attempts::rates(&state.db, since).await?;
    let (calls, ok) = aglis_db::repo::delivery_attempts::channel_totals(&rates, "whatsapp");
    let probes = super::probe::whatsapp(state).await;
    let down: Vec<String> =
        probes.iter().filter_map(|p| p.result.as_ref().err().map(|e| format!("{}: {e}", p.provider))).collect();
    let all_down = !probes.is_empty() && down.len() == probes.len();
    let minutes = rule.window_minutes;
    let rate = success_rate_pct(calls, ok);
    let low = rate.is_some_and(|r| breached(code, rule.threshold, r));
    let mut detail = match rate {
        Some(r) => format!("{ok} of {calls} WhatsApp sends accepted ({r:.0} %) in the last {minutes} min"),
        None => format!("{calls} WhatsApp sends in the last {minutes} min"),
    };
    if !down.is_empty() {
        detail.push_str("; status check failed: ");
        detail.push_str(&down.join("; "));
    }
    let value = match (rate, all_down) {
        (_, true) => "unreachable".to_owned(),
        (Some(r), false) => format!("{r:.0} %"),
        (None, false) => "—".to_owned(),
    };
    Ok(Observation { breached: low || all_down, value, detail })
}

/// The newest finished backup failed, or its verification or off-site copy did.
async fn backup(state: &AppState) -> Result<Observation, DbError> {
    use aglis_core::backup::{BackupStatus, RemoteStatus, VerifyStatus};
    use aglis_db::repo::backups;
    let Some(newest) = backups::newest(&state.db).await? else {
        return Ok(Observation::quiet("no backup has run yet"));
    };
    let problem = if newest.status == BackupStatus::Failed {
        Some(format!("the backup {} failed: {}", newest.name, newest.error.clone().unwrap_or_default()))
    } else if newest.status == BackupStatus::Complete && newest.verify_status == VerifyStatus::Failed {
        Some(format!(
            "the backup {} failed its verification: {}",
            newest.name,
            newest.verify_error.clone().unwrap_or_default()
        ))
    } else if newest.remote_status == RemoteStatus::Failed {
        Some(format!("the off-site copy of {} failed", newest.name))
    } else {
        None
    };
    Ok(match problem {
        Some(detail) => Observation { breached: true, value: newest.name.clone(), detail },
        None => Observation::quiet(format!("the newest backup {} is {}", newest.name, newest.status)),
    })
}
