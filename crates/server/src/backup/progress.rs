//! Progress of long backup steps: bars on a terminal (`aglis backup …`), the `stage` and
//! `progress` columns of the running set for the admin page, or nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

/// Receives the steps of a backup, verification or restore. Called from blocking threads.
pub trait Progress: Send + Sync {
    /// A step begins; `total` is its size (bytes or items) when known.
    fn stage(&self, name: &str, total: Option<u64>);
    /// `n` more bytes or items of the current step are done.
    fn advance(&self, n: u64);
    /// A line for the operator (a result, a warning).
    fn note(&self, _line: &str) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _name: &str, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub stage: String,
    pub done: u64,
    pub total: Option<u64>,
}

impl Snapshot {
    /// 0–100 of the current step (0 when its size is unknown).
    pub fn percent(&self) -> i32 {
        match self.total {
            Some(t) if t > 0 => i32::try_from((self.done.min(t) * 100) / t).unwrap_or(100),
            _ => 0,
        }
    }
}

/// Remembers where a step is, for whoever polls it (the admin page's progress).
#[derive(Default)]
pub struct Tracker {
    state: Mutex<Snapshot>,
}

impl Tracker {
    pub fn snapshot(&self) -> Snapshot {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Progress for Tracker {
    fn stage(&self, name: &str, total: Option<u64>) {
        if let Ok(mut s) = self.state.lock() {
            *s = Snapshot { stage: name.to_owned(), done: 0, total };
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(mut s) = self.state.lock() {
            s.done += n;
        }
    }
}

/// Progress bars on standard error when it is a terminal; otherwise one line per step.
pub struct Bars {
    bar: Mutex<Option<(ProgressBar, Instant)>>,
    tty: bool,
}

impl Default for Bars {
    fn default() -> Self {
        Bars { bar: Mutex::new(None), tty: std::io::stderr().is_terminal() }
    }
}

impl Bars {
    fn end_step(&self) {
        if let Ok(mut b) = self.bar.lock()
            && let Some((bar, started)) = b.take()
        {
            let secs = started.elapsed().as_secs_f64();
            if self.tty {
                bar.finish_with_message(format!("{secs:.1} s"));
            } else {
                eprintln!("  {} done in {secs:.1} s", bar.prefix());
            }
        }
    }

    /// Ends the last step's bar.
    pub fn finish(&self) {
        self.end_step();
    }
}

impl Progress for Bars {
    fn stage(&self, name: &str, total: Option<u64>) {
        self.end_step();
        let bar = match total {
            Some(t) => ProgressBar::new(t).with_style(
                ProgressStyle::with_template("{prefix:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{prefix:>10} {spinner} {pos} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_prefix(name.to_owned());
        if self.tty {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
        } else {
            bar.set_draw_target(ProgressDrawTarget::hidden());
            eprintln!("  {name}…");
        }
        if let Ok(mut b) = self.bar.lock() {
            *b = Some((bar, Instant::now()));
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(b) = self.bar.lock()
            && let Some((bar, _)) = b.as_ref()
        {
            bar.inc(n);
        }
    }

    fn note(&self, line: &str) {
        self.end_step();
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_reports_the_current_step_percent() {
        let t = Tracker::default();
        t.stage("database", Some(200));
        t.advance(50);
        assert_eq!(t.snapshot().percent(), 25);
        t.advance(500);
        assert_eq!(t.snapshot().percent(), 100, "capped");
        t.stage("files", None);
        assert_eq!((t.snapshot().stage.as_str(), t.snapshot().percent()), ("files", 0));
    }
}
