//! Bulk package changes (issue 22): `POST /api/v1/customers/bulk` and the bar of the customer
//! list. Each customer is changed through the same profile update as by hand
//! (`service::update`: the package must exist and be on sale, the change is recorded for billing
//! from that day) and is reported and audited.

use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::bulk::pages::{BulkForm, answer};
use crate::bulk::{BulkReport, ReaderLang, audit_item, ids, refusal_text, refused_by};
use crate::customers::service::{self, ProfileInput};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiJson;
use crate::i18n::{Lang, msg};
use crate::pages::Shell;
use crate::state::AppState;
use aglis_core::bulk::{CustomerAction, Outcome, Refusal, package_refusal};
use aglis_db::repo::customers::{self, Customer};
use aglis_db::repo::packages;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bulk))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/customers/bulk", post(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBulkRequest {
    /// `change_package` (needs `package_id`).
    #[schema(inline, example = "change_package")]
    pub action: CustomerAction,
    /// The customers, at most 500.
    #[schema(min_items = 1, max_items = 500, example = json!([1, 2, 3]))]
    pub ids: Vec<i64>,
    /// `change_package`: the package each customer moves to (one on sale).
    pub package_id: Option<i64>,
    /// Only say what would happen to each customer; nothing changes.
    #[serde(default)]
    pub preview: bool,
}

/// The profile `c` has, with another package.
fn with_package(c: &Customer, package_id: i64) -> ProfileInput {
    ProfileInput {
        name: c.name.clone(),
        phone: c.phone.clone(),
        email: c.email.clone(),
        ktp: c.ktp.clone(),
        address: c.address.clone(),
        city: Some(c.city.clone()),
        latitude: c.latitude,
        longitude: c.longitude,
        package_id: Some(package_id),
        notes: Some(c.notes.clone()),
        language: Some(c.language.as_str().to_owned()),
        tax_exempt: None,
        billing_mode: None,
    }
}

/// Moves (or previews moving) each customer to `package_id` as `auth`; reasons in `lang`.
pub async fn run(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    lang: Lang,
    given: &[i64],
    package_id: Option<i64>,
    preview: bool,
) -> AppResult<BulkReport> {
    let ids = ids(given)?;
    let package_id = package_id.ok_or_else(|| AppError::field("package_id", msg("val.package.choose", &[])))?;
    let package = packages::get(&state.db, package_id)
        .await?
        .ok_or_else(|| AppError::field("package_id", msg("val.unknown.package", &[("id", &package_id)])))?;
    if !package.is_active {
        return Err(AppError::field("package_id", msg("val.package.not_sold", &[("name", &package.name)])));
    }
    let action = CustomerAction::ChangePackage.as_str();
    let mut report = BulkReport::new(action, preview);
    for id in ids {
        let Some(c) = customers::get(&state.db, id).await? else {
            report.push(id, "", Outcome::Refused, Some(refusal_text(lang, Refusal::Missing)));
            if !preview && let Some(item) = report.items.last() {
                audit_item(state, auth, meta, format!("customer:{id}"), action, item).await?;
            }
            continue;
        };
        let outcome = match package_refusal(c.status, c.package_id, package_id) {
            Some(r) => Err(refusal_text(lang, r)),
            None if preview => Ok(Outcome::WouldDo),
            None => match service::update(state, id, &with_package(&c, package_id), auth.user.id).await {
                Ok(_) => Ok(Outcome::Done),
                Err(e) => Err(refused_by(lang, e)?),
            },
        };
        match outcome {
            Ok(o) => report.push(id, c.code.clone(), o, None),
            Err(why) => report.push(id, c.code.clone(), Outcome::Refused, Some(why)),
        }
        if !preview && let Some(item) = report.items.last() {
            audit_item(state, auth, meta, format!("customer:{id}"), action, item).await?;
        }
    }
    Ok(report)
}

/// Moves many customers to another package; each is done or refused with the reason (in the
/// reader's language). With `preview`, says what would happen and changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/customers/bulk",
    tag = "customers",
    request_body = CustomerBulkRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became (or would become) of each customer", body = BulkReport),
        (status = 422, description = "No ids or more than 500, or a package missing, unknown or no longer sold", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn bulk(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersEdit>,
    meta: RequestMeta,
    ReaderLang(lang): ReaderLang,
    ApiJson(req): ApiJson<CustomerBulkRequest>,
) -> AppResult<Json<BulkReport>> {
    Ok(Json(run(&state, staff.auth(), &meta, lang, &req.ids, req.package_id, req.preview).await?))
}

/// The customer list's bulk bar: the first post previews, the confirmed one runs.
async fn page(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersEdit>,
    meta: RequestMeta,
    body: Bytes,
) -> AppResult<Response> {
    let form = BulkForm::parse(&body);
    let result = match form.field("action").parse::<CustomerAction>() {
        Ok(_) => {
            let package = form.field("package_id").parse().ok();
            run(&state, staff.auth(), &meta, shell.lang, &form.ids, package, !form.confirmed).await
        }
        Err(_) => Err(AppError::field("action", msg("val.bulk.action", &[]))),
    };
    answer(shell, "bulk.customers", "/customers", "/customers/bulk", &form, result)
}
