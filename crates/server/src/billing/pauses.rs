//! Dated pauses (a customer away, a renovation): staff enter the first and the last day, the
//! monthly run leaves those days out. The customer's history records each one. A pause that has
//! not begun may be cancelled; one under way may be ended early (service and billing again from
//! today); one that is over stays, as the invoices already reflect it.
//!
//! `GET/POST /api/v1/customers/{id}/pauses`, `DELETE /api/v1/service-pauses/{id}`.

use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiJson, IdPath};
use crate::i18n::msg;
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use crate::validation::push;
use aglis_core::customer::{CustomerStatus, PauseReason};
use aglis_core::prepaid::{self, BillingMode};
use aglis_core::proration::Span;
use aglis_core::schedule::JAKARTA;
use aglis_core::service_pause::{self, MAX_DAYS, MAX_DAYS_BACK, PauseError};
use aglis_db::entity::service_pauses::Model as PauseRow;
use aglis_db::repo::{customers, prepaid as prepaid_repo, service_pauses};
use aglis_db::{DbError, TransactionTrait};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(cancel))
}

/// Longest note kept with a pause.
const NOTE_MAX: usize = 300;

#[derive(Debug, Serialize, ToSchema)]
pub struct PauseOut {
    pub id: i64,
    pub customer_id: i64,
    /// `paused` (entered by staff) or `suspended` (the account was suspended).
    #[schema(inline)]
    pub reason: PauseReason,
    pub first_day: NaiveDate,
    /// The last day not billed; none while a suspension lasts.
    pub last_day: Option<NaiveDate>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl From<PauseRow> for PauseOut {
    fn from(p: PauseRow) -> Self {
        PauseOut {
            last_day: service_pause::last_day(&Span { from: p.from_day, until: p.until_day }),
            id: p.id,
            customer_id: p.customer_id,
            reason: p.reason,
            first_day: p.from_day,
            note: p.note,
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseIn {
    /// The first day without service (WIB).
    pub first_day: NaiveDate,
    /// The last day without service, at most 180 days after the first.
    pub last_day: NaiveDate,
    /// E.g. "mudik ke Solo".
    #[schema(max_length = 300)]
    pub note: Option<String>,
}

fn today(state: &AppState) -> NaiveDate {
    state.now().with_timezone(&JAKARTA).date_naive()
}

fn day(d: NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

/// Enters a pause for `customer_id`; field errors name what to change.
pub async fn add(
    state: &AppState,
    auth: &Authenticated,
    customer_id: i64,
    first: NaiveDate,
    last: NaiveDate,
    note: &str,
) -> AppResult<PauseRow> {
    let customer = customers::get(&state.db, customer_id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    if !matches!(customer.status, CustomerStatus::Active | CustomerStatus::Suspended) {
        return Err(AppError::field("first_day", msg("val.pause.not_running", &[])));
    }
    let mut errors = FieldErrors::new();
    let note = note.trim();
    if note.chars().count() > NOTE_MAX {
        push(&mut errors, "note", msg("val.pause.note", &[("max", &NOTE_MAX)]));
    }
    let existing: Vec<Span> = service_pauses::of_customer(&state.db, customer_id)
        .await?
        .into_iter()
        .map(|p| Span { from: p.from_day, until: p.until_day })
        .collect();
    let span = match service_pause::check(first, last, today(state), &existing) {
        Ok(span) => Some(span),
        Err(e) => {
            let (field, message) = explain(e);
            push(&mut errors, field, message);
            None
        }
    };
    let Some(span) = span.filter(|_| errors.is_empty()) else { return Err(AppError::fields(errors)) };
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let row = record(&txn, customer_id, span, note, Some(auth.user.id), now).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(row)
}

/// Writes a dated pause over `span` (checked by the caller) and the line of the customer's
/// history that tells it.
pub async fn record(
    conn: &impl sea_orm::ConnectionTrait,
    customer_id: i64,
    span: Span,
    note: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<PauseRow, DbError> {
    let mut row = service_pauses::add(conn, customer_id, PauseReason::Paused, span, note, now).await?;
    let note = if note.is_empty() { String::new() } else { format!(": {note}") };
    let detail = format!("{}{note}", days(&span));
    customers::add_event(conn, customer_id, "paused", &detail, actor, now).await?;
    // A prepaid customer's paid service is moved on by the pause's days within it.
    let customer = customers::get(conn, customer_id).await?;
    if let Some(paid_until) = customer.filter(|c| c.billing_mode == BillingMode::Prepaid).and_then(|c| c.paid_until) {
        let moved = i32::try_from(prepaid::paused_within(&span, paid_until)).unwrap_or(0);
        if moved > 0 {
            service_pauses::set_prepaid_days(conn, row.id, moved).await?;
            prepaid_repo::move_paid_until(conn, customer_id, i64::from(moved), &detail, actor, now).await?;
            row.prepaid_days = moved;
        }
    }
    Ok(row)
}

/// `20-12-2026 – 31-12-2026`, or `… – …` while it runs on.
fn days(span: &Span) -> String {
    format!("{} – {}", day(span.from), service_pause::last_day(span).map_or_else(|| "…".to_owned(), day))
}

fn explain(e: PauseError) -> (&'static str, String) {
    match e {
        PauseError::EndsBeforeItStarts => ("last_day", msg("val.pause.order", &[])),
        PauseError::TooLong => ("last_day", msg("val.pause.too_long", &[("max", &MAX_DAYS)])),
        PauseError::TooFarBack => ("first_day", msg("val.pause.too_far_back", &[("days", &MAX_DAYS_BACK)])),
        PauseError::Overlaps(other) => {
            let until = service_pause::last_day(&other).map_or_else(|| "…".to_owned(), day);
            ("first_day", msg("val.pause.overlaps", &[("from", &day(other.from)), ("until", &until)]))
        }
    }
}

/// What cancelling did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// It had not begun: gone.
    Removed,
    /// It was under way: it ends yesterday, service is billed again from today.
    EndedEarly,
}

/// Cancels a dated pause that has not begun, or ends one under way.
pub async fn cancel_pause(state: &AppState, auth: &Authenticated, id: i64) -> AppResult<(PauseRow, Cancelled)> {
    let pause = service_pauses::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("pause"))?;
    if pause.reason != PauseReason::Paused {
        return Err(AppError::conflict("a suspension ends when the account is activated again, not here"));
    }
    let today = today(state);
    let outcome = if pause.from_day > today {
        Cancelled::Removed
    } else if pause.until_day.is_some_and(|u| u > today) {
        Cancelled::EndedEarly
    } else {
        return Err(AppError::conflict("this pause is over; the invoices of its days are already written"));
    };
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let kind = match outcome {
        Cancelled::Removed => {
            service_pauses::delete(&txn, id).await?;
            "pause_cancelled"
        }
        Cancelled::EndedEarly => {
            service_pauses::end_on(&txn, id, today).await?;
            "pause_ended"
        }
    };
    let span = Span { from: pause.from_day, until: pause.until_day };
    let detail = days(&span);
    customers::add_event(&txn, pause.customer_id, kind, &detail, Some(auth.user.id), now).await?;
    // The days it had moved a prepaid term on, and no longer pauses, are taken back.
    let back = prepaid::given_back(i64::from(pause.prepaid_days), &span, today);
    if back > 0 {
        let why = format!("{kind} {detail}");
        prepaid_repo::move_paid_until(&txn, pause.customer_id, -back, &why, Some(auth.user.id), now).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    Ok((pause, outcome))
}

/// A customer's pauses and suspensions, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/pauses", tag = "billing", params(("id" = i64, Path,), PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<PauseOut>),))]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::CustomersView>,
    IdPath(id): IdPath,
    paging: Paging,
) -> AppResult<Json<Page<PauseOut>>> {
    customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let all = service_pauses::of_customer(&state.db, id).await?;
    Ok(Json(Page::of_all(all.into_iter().map(PauseOut::from).collect(), paging)))
}

/// Enters a dated pause: its days are not billed.
#[utoipa::path(post, path = "/api/v1/customers/{id}/pauses", tag = "billing", params(("id" = i64, Path,)),
    request_body = PauseIn, security(("bearer" = [])), responses((status = 201, body = PauseOut),))]
async fn create(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<PauseIn>,
) -> AppResult<(StatusCode, Json<PauseOut>)> {
    let row = add(&state, staff.auth(), id, body.first_day, body.last_day, body.note.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Cancels a dated pause that has not begun, or ends one under way today.
#[utoipa::path(delete, path = "/api/v1/service-pauses/{id}", tag = "billing", params(("id" = i64, Path,)),
    security(("bearer" = [])), responses((status = 204),))]
async fn cancel(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    cancel_pause(&state, staff.auth(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A pause as the customer page lists it.
pub struct PauseView {
    pub id: i64,
    pub reason: PauseReason,
    /// `20-12-2026 – 31-12-2026`, or from a day while a suspension lasts.
    pub days: String,
    pub note: String,
    /// `Some("cancel")` for one not begun, `Some("end")` for one under way, else `None`.
    pub action: Option<&'static str>,
}

/// The customer page's list of pauses.
pub async fn views(state: &AppState, customer_id: i64) -> AppResult<Vec<PauseView>> {
    let today = today(state);
    Ok(service_pauses::of_customer(&state.db, customer_id)
        .await?
        .into_iter()
        .map(|p| {
            let span = Span { from: p.from_day, until: p.until_day };
            let action = match p.reason {
                PauseReason::Paused if p.from_day > today => Some("cancel"),
                PauseReason::Paused if p.until_day.is_some_and(|u| u > today) => Some("end"),
                _ => None,
            };
            PauseView { id: p.id, reason: p.reason, days: days(&span), note: p.note, action }
        })
        .collect())
}

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/customers/{id}/pauses", axum::routing::post(add_from_page))
        .route("/service-pauses/{id}/cancel", axum::routing::post(cancel_from_page))
}

#[derive(Debug, Deserialize, Default)]
struct PauseForm {
    #[serde(default)]
    first_day: String,
    #[serde(default)]
    last_day: String,
    #[serde(default)]
    note: String,
}

async fn add_from_page(
    State(state): State<AppState>,
    shell: crate::pages::Shell,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    crate::extract::ApiForm(f): crate::extract::ApiForm<PauseForm>,
) -> AppResult<axum::response::Response> {
    let parse = |raw: &str| NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok();
    let result = match (parse(&f.first_day), parse(&f.last_day)) {
        (Some(first), Some(last)) => add(&state, staff.auth(), id, first, last, &f.note).await,
        (first, last) => {
            let mut errors = FieldErrors::new();
            for (field, value) in [("first_day", first), ("last_day", last)] {
                if value.is_none() {
                    push(&mut errors, field, msg("val.pause.date", &[]));
                }
            }
            Err(AppError::fields(errors))
        }
    };
    crate::customers::pages::after_action(&state, shell, id, result).await
}

async fn cancel_from_page(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (pause, _) = cancel_pause(&state, staff.auth(), id).await?;
    Ok(axum::response::Redirect::to(&format!("/customers/{}", pause.customer_id)).into_response())
}
