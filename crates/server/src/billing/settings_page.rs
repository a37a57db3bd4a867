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
    Router::new().route("/billing/settings", get(show).post(save))
}

#[derive(Template)]
#[template(path = "billing/settings.html")]
struct SettingsPage {
    shell: Shell,
    p: BillingProfile,
    errors: FieldErrors,
    saved: bool,
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
    render(&SettingsPage { shell, p, errors: FieldErrors::new(), saved: q.saved.is_some() })
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
            let page = SettingsPage { shell, p, errors: fields, saved: false };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}
