//! `/api/v1/broadcasts`: send a notice to the customers of an ODP, an area or a package (or only
//! count them with `dry_run`), and list past broadcasts with their delivery figures.

use super::service::{self, Request};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::broadcast::Figures;
use aglis_db::repo::broadcasts::{self, Broadcast};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BroadcastRequest {
    /// Every customer on this ODP. Give exactly one of `odp_id`, `area` and `package_id`.
    #[schema(example = 1)]
    pub odp_id: Option<i64>,
    /// Every customer on an ODP of this area (as the ODPs name it, e.g. `Karawang Barat`).
    #[schema(example = "Karawang Barat")]
    pub area: Option<String>,
    /// Every customer on this package.
    pub package_id: Option<i64>,
    /// The text in Indonesian; also sent to English readers when `body_en` is not given.
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "Gangguan jaringan di ODP Anda. Teknisi sedang menangani, perkiraan pulih 14.00 WIB."
    )]
    pub body: String,
    /// The text in English, for customers who read English.
    #[schema(
        max_length = 1000,
        example = "Network outage on your ODP. Our technicians are on it; expected back by 14:00 WIB."
    )]
    pub body_en: Option<String>,
    /// Only count the recipients: nothing is recorded or sent (answers 200).
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BroadcastAccepted {
    /// The broadcast's id; none for a dry run.
    pub id: Option<i64>,
    /// The number of customers it goes (or would go) to.
    pub recipients: u64,
    pub dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresOut {
    /// Waiting to be sent (queued, held, being sent, or failed and waiting for a retry).
    pub queued: i64,
    /// Accepted by the provider.
    pub sent: i64,
    /// Of those sent, delivered or read.
    pub delivered: i64,
    /// Given up after the retries.
    pub failed: i64,
}

impl From<Figures> for FiguresOut {
    fn from(f: Figures) -> Self {
        FiguresOut { queued: f.queued, sent: f.sent, delivered: f.delivered, failed: f.failed }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BroadcastOut {
    pub id: i64,
    /// `odp`, `area` or `package`.
    pub target: String,
    pub odp_id: Option<i64>,
    pub area: Option<String>,
    pub package_id: Option<i64>,
    /// The ODP, area or package as named when sent.
    pub target_label: String,
    pub body: String,
    pub body_en: String,
    pub recipients: i64,
    pub figures: FiguresOut,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub fn out(b: Broadcast, figures: Figures) -> BroadcastOut {
    use aglis_core::broadcast::TargetKind;
    let (odp_id, package_id) = match b.target_kind {
        TargetKind::Odp => (b.target_id, None),
        TargetKind::Package => (None, b.target_id),
        TargetKind::Area => (None, None),
    };
    BroadcastOut {
        id: b.id,
        target: b.target_kind.as_str().to_owned(),
        odp_id,
        area: b.target_area,
        package_id,
        target_label: b.target_label,
        body: b.body_id,
        body_en: b.body_en,
        recipients: i64::from(b.recipients),
        figures: figures.into(),
        created_by: b.created_by,
        created_at: b.created_at,
    }
}

/// Sends a notice to every customer of an ODP, an area or a package, through the queue at low
/// priority, each in their language (202); or, with `dry_run`, only counts them (200).
/// Recipients: active and suspended customers with a phone number who did not turn
/// announcements off in the portal.
#[utoipa::path(
    post,
    path = "/api/v1/broadcasts",
    tag = "notifications",
    request_body = BroadcastRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Dry run: the number of recipients; nothing sent", body = BroadcastAccepted),
        (status = 202, description = "Recorded and queued", body = BroadcastAccepted),
        (status = 422, description = "Not exactly one target, an unknown ODP, area or package, an empty or too long text, or a target no customer receives", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    staff: Staff<perm::BroadcastsSend>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<BroadcastRequest>,
) -> AppResult<(StatusCode, Json<BroadcastAccepted>)> {
    let request = Request {
        odp_id: req.odp_id,
        area: req.area,
        package_id: req.package_id,
        body: req.body,
        body_en: req.body_en,
    };
    let compose = service::check(&state.db, &request).await?;
    if req.dry_run {
        let n = service::count(&state.db, &compose.target).await?;
        return Ok((StatusCode::OK, Json(BroadcastAccepted { id: None, recipients: n as u64, dry_run: true })));
    }
    let b = service::send(&state, staff.auth(), &meta, compose).await?;
    let recipients = u64::try_from(b.recipients).unwrap_or(0);
    Ok((StatusCode::ACCEPTED, Json(BroadcastAccepted { id: Some(b.id), recipients, dry_run: false })))
}

/// Past broadcasts, newest first, each with its delivery figures.
#[utoipa::path(
    get,
    path = "/api/v1/broadcasts",
    tag = "notifications",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<BroadcastOut>),
    )
)]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsView>,
    paging: Paging,
) -> AppResult<Json<Page<BroadcastOut>>> {
    let (items, total) = broadcasts::list(&state.reads, paging.page, paging.per_page).await?;
    let ids: Vec<i64> = items.iter().map(|b| b.id).collect();
    let mut figures = broadcasts::figures(&state.reads, &ids).await?;
    let items = items
        .into_iter()
        .map(|b| {
            let f = figures.remove(&b.id).unwrap_or_default();
            out(b, f)
        })
        .collect();
    Ok(Json(Page::new(items, total, paging)))
}

/// One broadcast with its delivery figures.
#[utoipa::path(
    get,
    path = "/api/v1/broadcasts/{id}",
    tag = "notifications",
    params(("id" = i64, Path, description = "Broadcast id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = BroadcastOut),
    )
)]
async fn show(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsView>,
    IdPath(id): IdPath,
) -> AppResult<Json<BroadcastOut>> {
    let b = broadcasts::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("broadcast"))?;
    let f = broadcasts::figures(&state.reads, &[id]).await?.remove(&id).unwrap_or_default();
    Ok(Json(out(b, f)))
}
