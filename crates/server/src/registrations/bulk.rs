//! Bulk verification of registrations (issue 22): `POST /api/v1/registrations/bulk` and the bar
//! of the registration list. Each registration takes the same step as by hand
//! (`service::step` to verified: the applicant hears of it by WhatsApp) and is reported and audited.

use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::bulk::pages::{BulkForm, answer};
use crate::bulk::{BulkReport, ReaderLang, audit_item, ids, refusal_text, refused_by};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiJson;
use crate::i18n::{Lang, msg};
use crate::pages::Shell;
use crate::registrations::service;
use crate::state::AppState;
use aglis_core::bulk::{Outcome, Refusal, RegistrationAction, verify_refusal};
use aglis_core::registration::{RegistrationStatus, StepInput};
use aglis_db::repo::registrations;
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
    Router::new().route("/registrations/bulk", post(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationBulkRequest {
    /// `verify`: submitted registrations become verified.
    #[schema(inline, example = "verify")]
    pub action: RegistrationAction,
    /// The registrations, at most 500.
    #[schema(min_items = 1, max_items = 500, example = json!([1, 2, 3]))]
    pub ids: Vec<i64>,
    /// Only say what would happen to each registration; nothing changes.
    #[serde(default)]
    pub preview: bool,
}

/// Verifies (or previews verifying) each registration as `auth`; reasons in `lang`.
pub async fn run(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    lang: Lang,
    given: &[i64],
    preview: bool,
) -> AppResult<BulkReport> {
    let ids = ids(given)?;
    let action = RegistrationAction::Verify.as_str();
    let mut report = BulkReport::new(action, preview);
    for id in ids {
        let Some(reg) = registrations::get(&state.db, id).await? else {
            report.push(id, "", Outcome::Refused, Some(refusal_text(lang, Refusal::Missing)));
            if !preview && let Some(item) = report.items.last() {
                audit_item(state, auth, meta, format!("registration:{id}"), action, item).await?;
            }
            continue;
        };
        let outcome = match verify_refusal(reg.status) {
            Some(r) => Err(refusal_text(lang, r)),
            None if preview => Ok(Outcome::WouldDo),
            None => match service::step(state, id, RegistrationStatus::Verified, StepInput::default(), auth).await {
                Ok(_) => Ok(Outcome::Done),
                Err(e) => Err(refused_by(lang, e)?),
            },
        };
        match outcome {
            Ok(o) => report.push(id, reg.number.clone(), o, None),
            Err(why) => report.push(id, reg.number.clone(), Outcome::Refused, Some(why)),
        }
        if !preview && let Some(item) = report.items.last() {
            audit_item(state, auth, meta, format!("registration:{id}"), action, item).await?;
        }
    }
    Ok(report)
}

/// Verifies many submitted registrations; each is done or refused with the reason (in the
/// reader's language). With `preview`, says what would happen and changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/registrations/bulk",
    tag = "registrations",
    request_body = RegistrationBulkRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became (or would become) of each registration", body = BulkReport),
        (status = 422, description = "No ids or more than 500", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn bulk(
    State(state): State<AppState>,
    staff: Staff<perm::RegistrationsVerify>,
    meta: RequestMeta,
    ReaderLang(lang): ReaderLang,
    ApiJson(req): ApiJson<RegistrationBulkRequest>,
) -> AppResult<Json<BulkReport>> {
    Ok(Json(run(&state, staff.auth(), &meta, lang, &req.ids, req.preview).await?))
}

/// The registration list's bulk bar: the first post previews, the confirmed one runs.
async fn page(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::RegistrationsVerify>,
    meta: RequestMeta,
    body: Bytes,
) -> AppResult<Response> {
    let form = BulkForm::parse(&body);
    let result = match form.field("action").parse::<RegistrationAction>() {
        Ok(_) => run(&state, staff.auth(), &meta, shell.lang, &form.ids, !form.confirmed).await,
        Err(_) => Err(AppError::field("action", msg("val.bulk.action", &[]))),
    };
    answer(shell, "bulk.registrations", "/registrations", "/registrations/bulk", &form, result)
}
