//! Sending captured errors to Sentry (`AGLIS_SENTRY_DSN`).
//!
//! The client is this instance's own: nothing is bound to the process's global hub, so several
//! applications in one process (the tests) each report to their own DSN, and no other code's
//! `sentry::capture_*` reaches ours. Events carry the route, method, request id and source as
//! tags, the user's id only (never a name, e-mail or address), the cause chain, the panic's
//! stack trace, and the inbox's fingerprint, so Sentry groups them as the inbox does.

use super::config::MonitoringConfig;
use super::errors::Captured;
use aglis_core::alerting::ErrorSource;
use secrecy::ExposeSecret;
use sentry::integrations::backtrace::process_event_stacktrace;
use sentry::protocol::{Event, Exception, Frame, Level, Mechanism, Stacktrace, User, Value};
use sentry::transports::ReqwestHttpTransportOptions;
use sentry::{ClientOptions, Transport, TransportFactory, TransportOptions};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

/// The whole request to Sentry, connecting included.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SentryReporter {
    client: Arc<sentry::Client>,
}

impl std::fmt::Debug for SentryReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the DSN: its key lets anyone send events to the project.
        f.debug_struct("SentryReporter")
            .field("environment", &self.client.options().environment)
            .field("release", &self.client.options().release)
            .finish_non_exhaustive()
    }
}

/// Builds the reqwest transport around our HTTP client (rustls with `ring`, a timeout), not the
/// SDK's default one (no timeout: a silent Sentry would hold the sending thread for ever).
struct Factory(Box<dyn Fn(TransportOptions) -> Arc<dyn Transport> + Send + Sync>);

impl TransportFactory for Factory {
    fn create_transport_with_options(&self, options: TransportOptions) -> Arc<dyn Transport> {
        (self.0)(options)
    }
}

impl SentryReporter {
    /// `None` when no DSN is configured.
    pub fn from_config(config: &MonitoringConfig) -> anyhow::Result<Option<Self>> {
        let Some(dsn) = &config.sentry_dsn else { return Ok(None) };
        // The message names the problem, not the DSN (it holds the project's key).
        let dsn: sentry::types::Dsn =
            dsn.expose_secret().parse().map_err(|e| anyhow::anyhow!("AGLIS_SENTRY_DSN: not a Sentry DSN ({e})"))?;
        let http = aglis_integrations::http::client(SEND_TIMEOUT)
            .map_err(|e| anyhow::anyhow!("cannot build the HTTP client for Sentry: {e}"))?;
        let factory = Factory(Box::new(move |options| {
            Arc::new(ReqwestHttpTransportOptions::from(options).with_client(http.clone()).build())
        }));
        // `ClientOptions` is non-exhaustive: set field by field.
        let mut options = ClientOptions::default();
        options.dsn = Some(dsn);
        options.release = Some(Cow::Borrowed(concat!("aglis@", env!("CARGO_PKG_VERSION"))));
        options.environment = Some(Cow::Owned(config.sentry_environment.clone()));
        options.server_name = Some(Cow::Owned(crate::backup::host_name()));
        options.send_default_pii = false;
        options.attach_stacktrace = false;
        options.default_integrations = false;
        options.max_breadcrumbs = 0;
        options.in_app_include = vec!["aglis_"];
        options.transport = Some(Arc::new(factory));
        Ok(Some(Self { client: Arc::new(sentry::Client::with_options(options)) }))
    }

    /// Queues the event; it is sent on the SDK's own thread, never on the caller's.
    pub fn capture(&self, captured: &Captured) {
        let event = event(captured, self.client.options());
        self.client.capture_event(event, None);
    }

    /// Waits until queued events are sent, at most `timeout`; `true` when all were. Blocks the
    /// calling thread.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.client.flush(Some(timeout))
    }
}

/// The Sentry event for one captured error.
pub fn event(captured: &Captured, options: &ClientOptions) -> Event<'static> {
    let source = captured.source.as_str();
    let stacktrace = captured.backtrace.as_deref().and_then(stacktrace).map(|mut st| {
        process_event_stacktrace(&mut st, options);
        st
    });
    let exception = Exception {
        ty: source.to_owned(),
        value: Some(captured.title.clone()),
        stacktrace,
        mechanism: Some(Mechanism {
            ty: source.to_owned(),
            handled: Some(captured.source != ErrorSource::Panic),
            ..Mechanism::default()
        }),
        ..Exception::default()
    };
    let mut tags = sentry::protocol::Map::new();
    tags.insert("source".to_owned(), source.to_owned());
    tags.insert("route".to_owned(), captured.route.clone());
    if let Some(method) = &captured.method {
        tags.insert("method".to_owned(), method.clone());
    }
    if let Some(id) = &captured.request_id {
        tags.insert("request_id".to_owned(), id.clone());
    }
    let mut extra = sentry::protocol::Map::new();
    if captured.detail.trim() != captured.title.trim() {
        extra.insert("detail".to_owned(), Value::String(captured.detail.clone()));
    }
    Event {
        level: Level::Error,
        exception: vec![exception].into(),
        transaction: Some(match &captured.method {
            Some(method) => format!("{method} {}", captured.route),
            None => captured.route.clone(),
        }),
        tags,
        extra,
        user: captured.user_id.map(|id| User { id: Some(id.to_string()), ..User::default() }),
        fingerprint: Cow::Owned(vec![Cow::Owned(captured.fingerprint())]),
        ..Event::default()
    }
}

/// Frames of these belong to the panic and backtrace machinery above the code that failed.
const MACHINERY: &[&str] =
    &["std::", "core::", "alloc::", "__rustc::", "rust_begin_unwind", "__rust_", "backtrace::", "anyhow::"];

/// The frame number of a backtrace line (`  12: symbol`) and the rest.
fn numbered(line: &str) -> Option<&str> {
    let (n, rest) = line.trim_start().split_once(": ")?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(rest)
}

/// `at /path/file.rs:12:5` → a frame's file, line and column.
fn locate(frame: &mut Frame, at: &str) {
    let mut parts = at.rsplitn(3, ':');
    let (last, middle, first) = (parts.next(), parts.next(), parts.next());
    let number = |s: Option<&str>| s.and_then(|s| s.parse::<u64>().ok());
    let path = match (number(middle), number(last), first) {
        (Some(line), Some(col), Some(path)) => {
            frame.lineno = Some(line);
            frame.colno = Some(col);
            path
        }
        _ => match (number(last), middle) {
            (Some(line), Some(_)) => {
                frame.lineno = Some(line);
                at.rsplit_once(':').map_or(at, |(p, _)| p)
            }
            _ => at,
        },
    };
    frame.filename = Some(path.rsplit(['/', '\\']).next().unwrap_or(path).to_owned());
    frame.abs_path = Some(path.to_owned());
}

/// Our code: an `aglis_*` function, or Rust source outside the toolchain and the registry (an
/// inlined frame has a short name, `{async_fn#0}`, but still its file).
fn in_app(frame: &Frame) -> bool {
    let function = frame.function.as_deref().unwrap_or_default().trim_start_matches('<');
    if function.starts_with("aglis_") {
        return true;
    }
    frame.abs_path.as_deref().is_some_and(|path| {
        let path = path.replace('\\', "/");
        path.ends_with(".rs")
            && !path.starts_with("/rustc/")
            && !path.contains("/.cargo/")
            && !path.contains("/.rustup/")
            && !path.contains("/library/std/")
            && !path.contains("/library/core/")
            && !path.contains("/library/alloc/")
    })
}

/// The stack trace in a backtrace's text (`std::backtrace::Backtrace`'s format, after the panic
/// message), without the frames of the panic hook and the panic machinery above the failing
/// code. `None` when the text holds no frames.
///
/// Parsed here rather than by `sentry-backtrace`'s `parse_stacktrace`, whose pattern takes the
/// panic message for a frame and loses symbols with parentheses (`FnOnce<()>`).
pub fn stacktrace(text: &str) -> Option<Stacktrace> {
    // Innermost first, as printed: a numbered line per frame, an indented line per inlined
    // function, each followed by its `at file:line:col` when known.
    let mut frames: Vec<Frame> = Vec::new();
    let mut started = false;
    for line in text.lines() {
        let symbol = match numbered(line) {
            Some(rest) => rest,
            None if !started => continue,
            None if !line.starts_with([' ', '\t']) => break,
            None => line.trim(),
        };
        started = true;
        if let Some(at) = symbol.strip_prefix("at ") {
            if let Some(frame) = frames.last_mut().filter(|f| f.abs_path.is_none()) {
                locate(frame, at.trim());
            }
            continue;
        }
        if symbol.is_empty() {
            continue;
        }
        frames.push(Frame { function: Some(symbol.to_owned()), ..Frame::default() });
    }
    // The hook's and the panic machinery's frames sit on top.
    let is_machinery = |f: &Frame| {
        f.function.as_deref().is_some_and(|name| {
            let name = name.trim_start_matches('<');
            MACHINERY.iter().any(|m| name.starts_with(m))
                || name.contains("install_panic_hook")
                || name.contains("take_panic_backtrace")
        })
    };
    let skip = frames.iter().position(|f| !is_machinery(f)).unwrap_or(0);
    let mut frames = frames.split_off(skip);
    if frames.is_empty() {
        return None;
    }
    for frame in &mut frames {
        frame.in_app = Some(in_app(frame));
    }
    // Sentry wants the oldest call first.
    frames.reverse();
    Some(Stacktrace { frames, ..Stacktrace::default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::config::MonitoringConfig;
    use secrecy::SecretString;

    const PANIC: &str = "panicked at crates/server/src/tickets/api.rs:42:9:
kaboom 42
   0: std::backtrace_rs::backtrace::libunwind::trace
             at /rustc/abc/library/std/src/../../backtrace/src/backtrace/libunwind.rs:117:9
   1: std::backtrace::Backtrace::create
             at /rustc/abc/library/std/src/backtrace.rs:331:13
   2: aglis_server::monitoring::errors::install_panic_hook::{{closure}}::{{closure}}
             at ./src/monitoring/errors.rs:62:22
   3: <alloc::boxed::Box<F,A> as core::ops::function::Fn<Args>>::call
             at /rustc/abc/library/alloc/src/boxed.rs:2254:9
      std::panicking::rust_panic_with_hook
             at /rustc/abc/library/std/src/panicking.rs:833:13
   4: std::panicking::begin_panic::{{closure}}
   5: aglis_server::tickets::api::load
             at ./src/tickets/api.rs:30:5
      aglis_server::tickets::api::show::{{closure}}
             at ./src/tickets/api.rs:42:9
   6: <F as core::future::into_future::IntoFuture>::into_future
   7: <core::pin::Pin<P> as core::ops::function::FnOnce<()>>::call_once
             at /rustc/abc/library/core/src/ops/function.rs:250:5
   8: tokio::runtime::task::harness::poll_future
             at /home/u/.cargo/registry/src/tokio-1.54.1/src/runtime/task/harness.rs:473:19
   9: std::panicking::catch_unwind
             at /rustc/abc/library/std/src/panicking.rs:544:19
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.
";

    fn captured(source: ErrorSource, backtrace: Option<&str>) -> Captured {
        Captured {
            source,
            title: "handler panicked: kaboom 42".into(),
            route: "/api/v1/tickets/{id}".into(),
            method: Some("GET".into()),
            request_id: Some("7d3c5e0e-1f7a-4a8e-9a43-0d8f1c2b3a4d".into()),
            user_id: Some(17),
            detail: "handler panicked: kaboom 42\n\nCaused by: nothing".into(),
            backtrace: backtrace.map(str::to_owned),
        }
    }

    #[test]
    fn the_stack_trace_starts_at_the_failing_code() {
        let st = stacktrace(PANIC).expect("frames");
        let functions: Vec<_> = st.frames.iter().map(|f| f.function.clone().unwrap_or_default()).collect();
        // oldest first, the hook and the panic machinery trimmed, nothing from the message
        assert_eq!(
            functions,
            [
                "std::panicking::catch_unwind",
                "tokio::runtime::task::harness::poll_future",
                "<core::pin::Pin<P> as core::ops::function::FnOnce<()>>::call_once",
                "<F as core::future::into_future::IntoFuture>::into_future",
                "aglis_server::tickets::api::show::{{closure}}",
                "aglis_server::tickets::api::load",
            ]
        );
        let last = st.frames.last().expect("a frame");
        assert_eq!((last.lineno, last.colno), (Some(30), Some(5)));
        assert_eq!(last.filename.as_deref(), Some("api.rs"));
        assert_eq!(last.abs_path.as_deref(), Some("./src/tickets/api.rs"));
        let call_once = &st.frames[2];
        assert_eq!((call_once.filename.as_deref(), call_once.lineno), (Some("function.rs"), Some(250)));
        assert_eq!((st.frames[3].abs_path.as_deref(), st.frames[3].lineno), (None, None));
        let in_app: Vec<_> = st.frames.iter().map(|f| f.in_app).collect();
        assert_eq!(in_app, [Some(false), Some(false), Some(false), Some(false), Some(true), Some(true)]);
        assert!(stacktrace("no frames here\njust words").is_none());
        assert!(stacktrace("").is_none());
    }

    #[test]
    fn the_event_carries_tags_the_user_id_only_and_the_fingerprint() {
        let mut options = ClientOptions::default();
        options.in_app_include = vec!["aglis_"];
        let c = captured(ErrorSource::Panic, Some(PANIC));
        let e = event(&c, &options);
        assert_eq!(e.level, Level::Error);
        let ex = &e.exception.values[0];
        assert_eq!((ex.ty.as_str(), ex.value.as_deref()), ("panic", Some("handler panicked: kaboom 42")));
        assert_eq!(ex.mechanism.as_ref().and_then(|m| m.handled), Some(false));
        let frames = &ex.stacktrace.as_ref().expect("a stack trace").frames;
        assert_eq!(frames.last().and_then(|f| f.in_app), Some(true));
        assert_eq!(frames[0].in_app, Some(false));
        assert_eq!(e.tags["route"], "/api/v1/tickets/{id}");
        assert_eq!(e.tags["method"], "GET");
        assert_eq!(e.tags["request_id"], "7d3c5e0e-1f7a-4a8e-9a43-0d8f1c2b3a4d");
        assert_eq!(e.tags["source"], "panic");
        assert_eq!(e.transaction.as_deref(), Some("GET /api/v1/tickets/{id}"));
        assert_eq!(e.fingerprint.as_ref(), [Cow::Owned::<str>(c.fingerprint())]);
        assert_eq!(e.extra["detail"], Value::String(c.detail.clone()));
        let user = e.user.as_ref().expect("user");
        assert_eq!(user, &User { id: Some("17".into()), ..User::default() });

        let job = Captured {
            method: None,
            request_id: None,
            user_id: None,
            backtrace: None,
            ..captured(ErrorSource::Job, None)
        };
        let e = event(&Captured { detail: job.title.clone(), ..job }, &options);
        assert!(e.user.is_none() && e.extra.is_empty() && !e.tags.contains_key("method"));
        assert_eq!(e.exception.values[0].mechanism.as_ref().and_then(|m| m.handled), Some(true));
        assert!(e.exception.values[0].stacktrace.is_none());
    }

    #[test]
    fn no_dsn_no_client_and_debug_hides_the_dsn() {
        assert!(SentryReporter::from_config(&MonitoringConfig::default()).expect("fine").is_none());
        let config = MonitoringConfig {
            sentry_dsn: Some(SecretString::from("http://secretkey123@127.0.0.1:9/42")),
            sentry_environment: "staging".into(),
            ..MonitoringConfig::default()
        };
        let reporter = SentryReporter::from_config(&config).expect("valid").expect("a client");
        let debug = format!("{reporter:?}");
        assert!(!debug.contains("secretkey123") && debug.contains("staging"), "{debug}");
        let bad = MonitoringConfig { sentry_dsn: Some(SecretString::from("nonsense-secret")), ..config };
        let err = SentryReporter::from_config(&bad).expect_err("an error").to_string();
        assert!(err.contains("AGLIS_SENTRY_DSN") && !err.contains("nonsense-secret"), "{err}");
    }
}
