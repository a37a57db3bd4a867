//! `/billing/settings` (admin, manager): the company as invoices print it and the monthly run's
//! rules. Saving is audited (`setting.changed` on `setting:billing`).

use super::profile::{self, BillingProfile};
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery};
use crate::pages::{Shell, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/settings", get(show).post(save))
        .route("/billing/settings/logo", get(logo).post(upload_logo))
}

#[derive(Template)]
#[template(path = "billing/settings.html")]
struct SettingsPage {
    shell: Shell,
    p: BillingProfile,
    errors: FieldErrors,
    saved: bool,
    has_logo: bool,
}

#[derive(Debug, Deserialize, Default)]
struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BillingManage>,
    ApiQuery(q): ApiQuery<Saved>,
) -> AppResult<Response> {
    let p = profile::load(&state.db).await?;
    let has_logo = profile::load_logo(&state.db).await?.is_some();
    render(&SettingsPage { shell, p, errors: FieldErrors::new(), saved: q.saved.is_some(), has_logo })
}

/// The form as typed (numbers as text, so a wrong one is a field error, not a refused request).
#[derive(Debug, Deserialize, Default)]
struct Form {
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    npwp: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    payment_instructions: String,
    #[serde(default)]
    billing_day: String,
    #[serde(default)]
    due_days: String,
    #[serde(default)]
    ppn_enabled: Option<String>,
}

async fn save(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BillingManage>,
    meta: RequestMeta,
    ApiForm(f): ApiForm<Form>,
) -> AppResult<Response> {
    let p = BillingProfile {
        company_name: f.company_name.trim().to_owned(),
        address: f.address.trim().to_owned(),
        npwp: f.npwp.trim().to_owned(),
        phone: f.phone.trim().to_owned(),
        email: f.email.trim().to_owned(),
        payment_instructions: f.payment_instructions.trim().to_owned(),
        billing_day: f.billing_day.trim().parse().unwrap_or(0),
        due_days: f.due_days.trim().parse().unwrap_or(0),
        ppn_enabled: f.ppn_enabled.is_some(),
    };
    match profile::save(&state.db, &p, state.now()).await {
        Ok(()) => {
            let details = serde_json::json!({
                "company_name": p.company_name, "billing_day": p.billing_day, "due_days": p.due_days,
                "ppn_enabled": p.ppn_enabled,
            });
            audit::record(&state, Entry::setting_changed(staff.auth(), &meta, "billing", details)).await?;
            Ok(Redirect::to("/billing/settings?saved=1").into_response())
        }
        Err(AppError::Validation { fields, .. }) => {
            let has_logo = profile::load_logo(&state.db).await?.is_some();
            let page = SettingsPage { shell, p, errors: fields, saved: false, has_logo };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The logo as saved, for the settings page's preview. An SVG is served sandboxed, so that
/// opened on its own it runs nothing.
async fn logo(State(state): State<AppState>, _staff: Staff<perm::BillingManage>) -> AppResult<Response> {
    let logo = profile::load_logo(&state.db).await?.ok_or_else(|| AppError::not_found("logo"))?;
    let headers = [
        (axum::http::header::CONTENT_TYPE, logo.mime()),
        (axum::http::header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'; style-src 'unsafe-inline'"),
        (axum::http::header::CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, logo.bytes().to_vec()).into_response())
}

/// Uploads (or with `remove`, removes) the invoice logo: PNG, JPEG or SVG of at most 256 KiB that
/// typst can print. Audited as a change of the billing settings.
async fn upload_logo(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BillingManage>,
    meta: RequestMeta,
    mut multipart: axum::extract::Multipart,
) -> AppResult<Response> {
    use crate::i18n::msg;
    let mut bytes = Vec::new();
    let mut remove = false;
    let mut too_big = false;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        match field.name() {
            Some("logo") => {
                while let Ok(Some(chunk)) = field.chunk().await {
                    if bytes.len() + chunk.len() > profile::LOGO_MAX_BYTES {
                        too_big = true;
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
            }
            Some("remove") => remove = true,
            _ => {}
        }
    }
    let result = if remove {
        Ok(None)
    } else if too_big {
        Err(msg("val.logo.size", &[("max", &"256 KB")]))
    } else if bytes.is_empty() {
        Err(msg("val.logo.empty", &[]))
    } else {
        match aglis_pdf::Logo::sniff(bytes) {
            None => Err(msg("val.logo.type", &[])),
            Some(logo) => match aglis_pdf::check_logo(&logo) {
                Ok(()) => Ok(Some(logo)),
                Err(_) => Err(msg("val.logo.broken", &[])),
            },
        }
    };
    match result {
        Ok(logo) => {
            profile::save_logo(&state.db, logo.as_ref(), state.now()).await?;
            let details = serde_json::json!({"logo": logo.as_ref().map_or("removed", |l| l.mime())});
            audit::record(&state, Entry::setting_changed(staff.auth(), &meta, "billing", details)).await?;
            Ok(Redirect::to("/billing/settings?saved=1").into_response())
        }
        Err(message) => {
            let mut errors = FieldErrors::new();
            errors.insert("logo".to_owned(), vec![message]);
            let p = profile::load(&state.db).await?;
            let has_logo = profile::load_logo(&state.db).await?.is_some();
            let page = SettingsPage { shell, p, errors, saved: false, has_logo };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
