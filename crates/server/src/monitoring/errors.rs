//! The error inbox's intake: every 500 answer, every panicking handler and every job that went
//! dead is captured with its request id, route, user id (no personal data) and cause chain or
//! backtrace, grouped by fingerprint in the database, and sent to Sentry when configured.
//!
//! How a 500 reaches here: [`AppError::Internal`](crate::error::AppError) puts a [`Cause`] on its
//! response; the panic hook keeps the panicking thread's backtrace for the catch-panic layer, which
//! answers 500 with a [`Cause`] too; the [`capture`] middleware, inside the session layer (so it
//! knows the user), records what it finds.

use crate::auth::session::AuthContext;
use crate::state::AppState;
use aglis_core::alerting::{ErrorSource, fingerprint};
use aglis_db::repo::error_groups::{self, Occurrence};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::cell::RefCell;
use std::sync::Once;

/// One captured error, before it is grouped.
#[derive(Debug, Clone)]
pub struct Captured {
    pub source: ErrorSource,
    /// One line: the error's message (`handler panicked: …`, `no such table: packages`).
    pub title: String,
    /// The route template (`/api/v1/tickets/{id}`) or the job kind.
    pub route: String,
    pub method: Option<String>,
    pub request_id: Option<String>,
    /// The signed-in user's id, never their name or e-mail.
    pub user_id: Option<i64>,
    /// The full cause chain.
    pub detail: String,
    pub backtrace: Option<String>,
}

impl Captured {
    pub fn fingerprint(&self) -> String {
        fingerprint(self.source, &self.route, &self.title)
    }
}

/// Why a response is a 500, attached to it as an extension by the code that made it.
#[derive(Debug, Clone)]
pub struct Cause {
    pub panic: bool,
    pub title: String,
    pub detail: String,
    pub backtrace: Option<String>,
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps each panic's backtrace for [`take_panic_backtrace`], then runs the previous hook (which
/// prints it). Installed once per process.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let bt = std::backtrace::Backtrace::force_capture().to_string();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{info}\n{bt}")));
            previous(info);
        }));
    });
}

/// The backtrace of the latest panic on this thread (the catch-panic layer runs on the thread
/// that panicked).
pub fn take_panic_backtrace() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

/// Middleware: records the 500s that carry a [`Cause`].
pub async fn capture(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let user_id = req.extensions().get::<AuthContext>().and_then(|a| a.0.as_ref()).map(|a| a.user.id);
    let response = next.run(req).await;
    if let Some(cause) = response.extensions().get::<Cause>() {
        let captured = Captured {
            source: if cause.panic { ErrorSource::Panic } else { ErrorSource::Http },
            title: cause.title.clone(),
            route,
            method: Some(method),
            request_id,
            user_id,
            detail: cause.detail.clone(),
            backtrace: cause.backtrace.clone(),
        };
        // Recorded off the request path: the answer does not wait for the inbox or Sentry.
        let state = state.clone();
        tokio::spawn(async move { record(&state, captured).await });
    }
    response
}

/// Groups the error in the inbox and sends it to Sentry when configured. Never fails: when the
/// database is what broke, the error is logged (and still reaches Sentry).
pub async fn record(state: &AppState, captured: Captured) {
    if let Some(sentry) = &state.monitor.sentry {
        sentry.capture(&captured);
    }
    let mut detail = captured.detail.clone();
    if let Some(bt) = &captured.backtrace {
        detail.push_str("\n\n");
        detail.push_str(bt);
    }
    let occurrence = Occurrence {
        fingerprint: captured.fingerprint(),
        source: captured.source,
        title: captured.title.clone(),
        route: captured.route.clone(),
        request_id: captured.request_id.clone(),
        user_id: captured.user_id,
        detail,
    };
    if let Err(e) = error_groups::record(&state.db, occurrence, state.now()).await {
        tracing::error!(error = %e, title = %captured.title, route = %captured.route, "the error inbox could not record an error");
    }
}
