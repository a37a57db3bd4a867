//! The queue dashboard (seed P2.2): depth per priority, sends per minute, success per provider and
//! channel over 1 h / 24 h / 7 d, the commonest failure reasons and the dead letters. The page
//! refreshes itself every few seconds; the same figures are at `GET /api/v1/notifications/stats`.

use crate::auth::extract::{Staff, perm};
use crate::error::AppResult;
use crate::extract::ApiQuery;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus};
use aglis_core::permission::Permission;
use aglis_db::repo::delivery_attempts::{self, ProviderRate};
use aglis_db::repo::messages::{self, Message, MessageQuery};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> Router<AppState> {
    Router::new().route("/notifications/queue", get(page))
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stats))
}

/// Broadcasts shown with their delivery figures.
const RECENT_BROADCASTS: u64 = 5;

/// Minutes shown in the sends-per-minute chart.
pub const CHART_MINUTES: i64 = 60;

#[derive(Debug, Serialize, ToSchema)]
pub struct DepthOut {
    pub priority: String,
    /// Messages queued, being sent, or failed and waiting for a retry.
    pub waiting: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateOut {
    pub provider: String,
    pub channel: String,
    pub calls: i64,
    pub accepted: i64,
    pub success_pct: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WindowOut {
    /// `1h`, `24h` or `7d`.
    pub window: String,
    pub providers: Vec<RateOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailureOut {
    pub reason: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueStats {
    pub depth: Vec<DepthOut>,
    /// Accepted sends per minute over the last 60 minutes, oldest first.
    pub sent_per_minute: Vec<i64>,
    pub windows: Vec<WindowOut>,
    /// The commonest failure reasons of the last 24 hours.
    pub failures: Vec<FailureOut>,
    pub dead: u64,
}

/// Everything the dashboard shows, read in one go.
pub async fn collect(state: &AppState) -> AppResult<QueueStats> {
    let now = state.now();
    let depth = delivery_attempts::queue_depth(&state.db)
        .await?
        .into_iter()
        .map(|(rank, n)| DepthOut {
            priority: JobPriority::from_rank(rank).map_or("unknown", JobPriority::as_str).to_owned(),
            waiting: n,
        })
        .collect();
    let sent_per_minute = delivery_attempts::sends_per_minute(&state.db, now, CHART_MINUTES).await?;
    let mut windows = Vec::new();
    for (name, span) in
        [("1h", chrono::Duration::hours(1)), ("24h", chrono::Duration::hours(24)), ("7d", chrono::Duration::days(7))]
    {
        let rates = delivery_attempts::rates(&state.db, now - span).await?;
        windows.push(WindowOut { window: name.into(), providers: rates.into_iter().map(rate_out).collect() });
    }
    let failures = delivery_attempts::top_failures(&state.db, now - chrono::Duration::hours(24), 8)
        .await?
        .into_iter()
        .map(|(reason, count)| FailureOut { reason, count })
        .collect();
    let dead_query =
        MessageQuery { status: Some(MessageStatus::Dead), page: 1, per_page: 1, ..MessageQuery::default() };
    let dead = messages::list(&state.reads, &dead_query).await?.total;
    Ok(QueueStats { depth, sent_per_minute, windows, failures, dead })
}

fn rate_out(r: ProviderRate) -> RateOut {
    RateOut { success_pct: r.success_pct(), provider: r.provider, channel: r.channel, calls: r.calls, accepted: r.ok }
}

/// The queue's figures: depth per priority, sends per minute, success per provider and channel.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/stats",
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, body = QueueStats),
    )
)]
async fn stats(State(state): State<AppState>, _staff: Staff<perm::NotificationsView>) -> AppResult<Json<QueueStats>> {
    Ok(Json(collect(&state).await?))
}

/// One provider and channel with its figures in each window (1 h, 24 h, 7 d).
struct RateRow {
    provider: String,
    channel: String,
    windows: Vec<Option<(i64, i64, i64)>>,
}

/// The per-window rates as one table: a row per provider and channel.
fn rate_rows(windows: &[WindowOut]) -> Vec<RateRow> {
    let mut rows: Vec<RateRow> = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        for r in &w.providers {
            let pos = match rows.iter().position(|row| row.provider == r.provider && row.channel == r.channel) {
                Some(pos) => pos,
                None => {
                    rows.push(RateRow {
                        provider: r.provider.clone(),
                        channel: r.channel.clone(),
                        windows: vec![None; windows.len()],
                    });
                    rows.len() - 1
                }
            };
            rows[pos].windows[i] = Some((r.accepted, r.calls, r.success_pct));
        }
    }
    rows
}

#[derive(Template)]
#[template(path = "notifications/queue.html")]
struct QueuePage {
    shell: Shell,
    stats: QueueStats,
    rates: Vec<RateRow>,
    /// Tallest bar of the chart (at least 1).
    peak: i64,
    last_minute: i64,
    dead_letters: Vec<Message>,
    can_send: bool,
    queued: Option<u64>,
    /// Channels without a provider, each with the messages held for it.
    held: Vec<Held>,
    /// The latest broadcasts with their delivery figures.
    rows: Vec<crate::notifications::broadcasts::pages::Row>,
}

/// A channel no provider serves: its messages wait until one is configured.
struct Held {
    /// The locale key of what to set (`queue.held_whatsapp`, `queue.held_email`).
    why_key: &'static str,
    messages: u64,
    channel: &'static str,
}

impl QueuePage {
    /// Height of a chart bar in percent.
    fn bar_pct(&self, n: &i64) -> i64 {
        n * 100 / self.peak
    }
}

#[derive(Debug, Deserialize, Default)]
struct QueueQuery {
    /// How many messages the compose form just queued (shown once).
    queued: Option<u64>,
}

async fn page(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsView>,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> AppResult<Response> {
    let stats = collect(&state).await?;
    let peak = stats.sent_per_minute.iter().copied().max().unwrap_or(0).max(1);
    let last_minute = stats.sent_per_minute.last().copied().unwrap_or(0);
    let dead_query =
        MessageQuery { status: Some(MessageStatus::Dead), page: 1, per_page: 10, ..MessageQuery::default() };
    let dead_letters = messages::list(&state.reads, &dead_query).await?.items;
    let mut held = Vec::new();
    for channel in state.notifier.unserved() {
        let why_key = match channel {
            Channel::Whatsapp => "queue.held_whatsapp",
            Channel::Email => "queue.held_email",
        };
        held.push(Held {
            why_key,
            messages: messages::count_held(&state.reads, channel).await?,
            channel: channel.as_str(),
        });
    }
    let (rows, _) = crate::notifications::broadcasts::pages::recent(&state, 1, RECENT_BROADCASTS).await?;
    render(&QueuePage {
        rows,
        held,
        shell,
        rates: rate_rows(&stats.windows),
        stats,
        peak,
        last_minute,
        dead_letters,
        can_send: staff.auth().user.role.can(Permission::NotificationsSend),
        queued: q.queued,
    })
}
