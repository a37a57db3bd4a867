//! Application assembly: the router with its layers, and [`Application`], which `main` and the
//! integration tests both use to start the whole system. It knows every feature; none imports it.

use crate::config::Config;
use crate::jobs::{self, Registry, Runner, Scheduler};
use crate::state::AppState;
use crate::{assets, auth, dashboard, openapi, pages, users};
use aglis_core::clock::Clock;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

/// Largest request body accepted (forms and JSON).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The whole HTTP surface. `app.rs` only merges feature routers and adds layers.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// [`router`] with `extra` routes under the same layers (tests mount a panicking handler this way).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let (api, mut openapi) = openapi::api_router().split_for_parts();
    openapi::finish(&mut openapi);
    let https = state.config.secure_cookies();
    Router::new()
        .merge(auth::router())
        .merge(dashboard::router())
        .merge(users::router())
        .merge(jobs::router())
        .merge(crate::notifications::router())
        .merge(crate::customers::router())
        .merge(crate::registrations::router())
        .merge(crate::tickets::router())
        .merge(crate::technicians::router())
        .merge(crate::sla::router())
        .merge(crate::network::pages::router())
        .merge(crate::master::pages::router())
        .merge(crate::audit::router())
        .merge(crate::backup::pages::router())
        .merge(crate::monitoring::router())
        .merge(crate::billing::router())
        .merge(crate::portal::router())
        .merge(crate::enforcement::pages::router())
        .merge(crate::export::lists::page_router())
        .merge(assets::router())
        .merge(extra)
        .merge(api)
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .fallback(pages::not_found)
        .layer(CatchPanicLayer::custom(panic_response))
        // Inside the session layer, so a captured 500 knows its user.
        .layer(from_fn_with_state(state.clone(), crate::monitoring::errors::capture))
        .layer(from_fn_with_state(state.clone(), auth::csrf::protect))
        .layer(from_fn_with_state(state.clone(), auth::session::resolve))
        .layer(from_fn(pages::finish_errors))
        .layer(from_fn(crate::i18n::negotiate))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn_with_state(https, crate::security_headers::add))
        // Fastest: most bodies are small JSON or HTML, where level 1 keeps nearly all of the gain.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(from_fn(crate::deadline::enforce))
        .layer(from_fn_with_state(state.clone(), crate::monitoring::metrics::track))
        // The span names the path only: a query string can carry a secret (Fonnte's callback token).
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
            tracing::debug_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".into());
    let mut response = crate::error::AppError::Internal(anyhow::anyhow!("handler panicked: {msg}")).into_response();
    let backtrace = crate::monitoring::errors::take_panic_backtrace();
    if let Some(cause) = response.extensions_mut().get_mut::<crate::monitoring::errors::Cause>() {
        cause.panic = true;
        cause.backtrace = backtrace;
    }
    response
}

/// A started system: database migrated, listener bound, ready to serve.
pub struct Application {
    listener: TcpListener,
    pub state: AppState,
    pub registry: Arc<Registry>,
    /// Routes served under the same layers as the rest ([`router_with`]); tests only.
    pub extra_routes: Router<AppState>,
}

impl Application {
    /// Connects, migrates, installs the built-in schedules and default message texts, seeds the demo
    /// data in demo mode and
    /// binds the listener (port 0 picks a free port).
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| anyhow::anyhow!("AGLIS_DATA_DIR: cannot create {}: {e}", config.data_dir.display()))?;
        let db = aglis_db::connect(&config.database_url, config.db_max_connections).await.map_err(|e| {
            anyhow::anyhow!("AGLIS_DATABASE_URL: cannot open {}: {e}", crate::config::redact_url(&config.database_url))
        })?;
        aglis_db::migration::run(&db).await?;
        #[cfg(not(feature = "demo"))]
        if config.demo {
            anyhow::bail!(
                "this aglis was built without the `demo` feature: build it with default features to run the demo"
            );
        }
        // The demo without a real WhatsApp gateway sends through its own local one.
        #[cfg(feature = "demo")]
        let mut config = config;
        #[cfg(feature = "demo")]
        let demo_gateway = if config.demo && config.fonnte_token.is_none() {
            let gateway = crate::monitoring::demo_gateway::DemoGateway::start().await?;
            config.fonnte_token = Some(crate::monitoring::demo_gateway::TOKEN.into());
            config.fonnte_url = gateway.url().to_owned();
            tracing::info!(url = gateway.url(), "demo WhatsApp gateway (a local fake Fonnte)");
            Some(gateway)
        } else {
            None
        };
        #[cfg(feature = "demo")]
        let demo_payments =
            if config.demo { crate::billing::demo_gateways::DemoPayments::start(&mut config).await? } else { None };
        #[cfg(feature = "demo")]
        let demo_network = if config.demo { Some(crate::enforcement::demo::DemoNetwork::start().await?) } else { None };
        let notifier = Arc::new(crate::notifications::Notifier::from_config(&config)?);
        tracing::info!(providers = ?notifier.provider_names(), "notification providers");
        let reads = aglis_db::connect_reads(&config.database_url, &db, config.db_max_connections.min(8)).await?;
        let storage = crate::storage::Storage::from_config(&config.storage)?;
        tracing::info!(at = storage.describe(), "file storage");
        #[cfg(feature = "demo")]
        let monitor = crate::monitoring::Monitor {
            demo_gateway,
            demo_payments,
            demo_network,
            ..crate::monitoring::Monitor::new(&config, clock.now())?
        };
        #[cfg(not(feature = "demo"))]
        let monitor = crate::monitoring::Monitor::new(&config, clock.now())?;
        let monitor = Arc::new(monitor);
        let state = AppState {
            db,
            reads,
            config: Arc::new(config),
            clock,
            notifier,
            storage,
            holidays: Arc::default(),
            sessions: Arc::default(),
            monitor,
            refusals: Arc::default(),
            trends: Arc::default(),
            live: Arc::default(),
        };
        jobs::install_builtin_schedules(&state).await?;
        aglis_db::repo::alerts::ensure_rules(&state.db, state.now()).await?;
        aglis_db::repo::notification_templates::ensure_defaults(&state.db, state.now()).await?;
        #[cfg(feature = "demo")]
        if state.config.demo {
            crate::demo::seed(&state).await?;
            if let Some(net) = &state.monitor.demo_network {
                crate::enforcement::demo::attach(&state, net).await?;
            }
        }
        let listener = TcpListener::bind(state.config.bind)
            .await
            .map_err(|e| anyhow::anyhow!("AGLIS_BIND: cannot listen on {}: {e}", state.config.bind))?;
        #[cfg(feature = "demo")]
        if let (Some(p), Ok(addr)) = (&state.monitor.demo_payments, listener.local_addr()) {
            p.call_back_to(addr.port());
        }
        Ok(Self { listener, state, registry: Arc::new(jobs::builtin_registry()), extra_routes: Router::new() })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves HTTP (and, unless disabled, runs the job runner and the scheduler) until `shutdown`
    /// completes; then stops taking requests, finishes the ones in flight and releases the lease.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        // Every instance takes webhooks, so every instance records their refusals.
        let mut workers = vec![
            tokio::spawn(crate::audit::refusals::run(self.state.clone(), stop_rx.clone())),
            // Every instance serves pages, so every instance passes live events on.
            tokio::spawn(crate::live::run(self.state.clone(), stop_rx.clone())),
        ];
        if self.state.config.run_workers {
            let poll = Duration::from_millis(self.state.config.worker_poll_ms);
            let lock_for = chrono::Duration::seconds(i64::from(self.state.config.job_lock_secs));
            let runner = Runner::new(self.state.clone(), self.registry.clone()).with_lock_for(lock_for);
            workers.push(tokio::spawn(runner.run(poll, stop_rx.clone())));
            let scheduler = Scheduler::new(self.state.clone());
            workers.push(tokio::spawn(scheduler.run(stop_rx.clone())));
            workers.push(tokio::spawn(crate::monitoring::run(self.state.clone(), stop_rx.clone())));
        }
        let app = router_with(self.state.clone(), self.extra_routes);
        let server = axum::serve(self.listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            });
        server.await?;
        for w in workers {
            let _ = w.await;
        }
        Ok(())
    }
}
