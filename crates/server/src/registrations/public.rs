//! The public pages, no login: `/signup` (form → WhatsApp code → registration) and `/track`
//! (number + phone → the steps so far). Bots meet a hidden field and a minimum fill time;
//! people meet per-address and per-number limits.

use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, ClientIp};
use crate::pages::{Shell, render};
use crate::registrations::service::{self, ApplicationInput};
use crate::state::AppState;
use aglis_core::registration::RegistrationStatus;
use aglis_db::entity::registration_events;
use aglis_db::repo::packages::{self, Package};
use aglis_db::repo::registrations::Registration;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hmac::{KeyInit, Mac};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_form).post(signup))
        .route("/signup/confirm", get(confirm_form).post(confirm))
        .route("/track", get(track_form).post(track))
}

/// Seconds a person needs at least to fill the form; a faster submit is a bot.
const MIN_FILL_SECS: i64 = 3;

/// `<unix time>.<hmac>`: when the form was served, signed so it cannot be forged.
fn stamp(state: &AppState, at: i64) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(state.config.secret_bytes()).expect("any key length");
    mac.update(format!("signup:{at}").as_bytes());
    format!("{at}.{}", hex::encode(mac.finalize().into_bytes()))
}

fn looks_human(state: &AppState, stamp_value: &str, honeypot: &str) -> bool {
    let now = state.now().timestamp();
    let Some((at, _)) = stamp_value.split_once('.') else { return false };
    let Ok(at) = at.parse::<i64>() else { return false };
    honeypot.is_empty()
        && crate::auth::token::constant_time_eq(&stamp(state, at), stamp_value)
        && now - at >= MIN_FILL_SECS
        && now - at <= 3 * 3600
}

#[derive(Template)]
#[template(path = "registrations/signup.html")]
struct SignupPage {
    shell: Shell,
    packages: Vec<Package>,
    form: ApplicationInput,
    stamp: String,
    errors: FieldErrors,
}

impl SignupPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

async fn signup_page(
    state: &AppState,
    shell: Shell,
    form: ApplicationInput,
    errors: FieldErrors,
) -> AppResult<Response> {
    let packages = packages::list(&state.db, true).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let stamp = stamp(state, state.now().timestamp());
    Ok((status, render(&SignupPage { shell, packages, form, stamp, errors })?).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct SignupQuery {
    package_id: Option<String>,
}

async fn signup_form(
    State(state): State<AppState>,
    shell: Shell,
    ApiQuery(q): ApiQuery<SignupQuery>,
) -> AppResult<Response> {
    let form = ApplicationInput {
        city: "Karawang".into(),
        package_id: q.package_id.unwrap_or_default(),
        ..ApplicationInput::default()
    };
    signup_page(&state, shell, form, FieldErrors::new()).await
}

#[derive(Debug, Deserialize)]
struct SignupForm {
    #[serde(flatten)]
    input: ApplicationInput,
    #[serde(default)]
    stamp: String,
    /// Hidden from people; bots fill it.
    #[serde(default)]
    website: String,
}

async fn signup(
    State(state): State<AppState>,
    shell: Shell,
    ClientIp(ip): ClientIp,
    ApiForm(f): ApiForm<SignupForm>,
) -> AppResult<Response> {
    if !looks_human(&state, &f.stamp, &f.website) {
        let mut errors = FieldErrors::new();
        errors.insert("form".into(), vec![shell.t("signup.too_fast").to_owned()]);
        return signup_page(&state, shell, f.input, errors).await;
    }
    match service::start_signup(&state, &f.input, &ip, shell.lang).await {
        Ok(token) => Ok(Redirect::to(&format!("/signup/confirm?token={token}")).into_response()),
        Err(AppError::Validation { fields, .. }) => signup_page(&state, shell, f.input, fields).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "registrations/confirm.html")]
struct ConfirmPage {
    shell: Shell,
    token: String,
    error: String,
    done: Option<Registration>,
}

#[derive(Debug, Deserialize, Default)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn confirm_form(shell: Shell, ApiQuery(q): ApiQuery<TokenQuery>) -> AppResult<Response> {
    render(&ConfirmPage { shell, token: q.token, error: String::new(), done: None })
}

#[derive(Debug, Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    code: String,
}

async fn confirm(State(state): State<AppState>, shell: Shell, ApiForm(f): ApiForm<ConfirmForm>) -> AppResult<Response> {
    match service::confirm_signup(&state, &f.token, &f.code, shell.lang).await {
        Ok(reg) => render(&ConfirmPage { shell, token: String::new(), error: String::new(), done: Some(reg) }),
        Err(AppError::Validation { fields, .. }) => {
            let error = shell.all_errors(&fields);
            let page = ConfirmPage { shell, token: f.token, error, done: None };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "registrations/track.html")]
struct TrackPage {
    shell: Shell,
    number: String,
    phone: String,
    looked_up: bool,
    found: Option<(Registration, Vec<registration_events::Model>)>,
    path: [RegistrationStatus; 8],
}

impl TrackPage {
    /// When the registration reached `s`, if it did.
    fn reached(&self, s: &RegistrationStatus) -> Option<chrono::DateTime<chrono::Utc>> {
        let (_, events) = self.found.as_ref()?;
        events.iter().find(|e| e.status == *s).map(|e| e.at)
    }
}

#[derive(Debug, Deserialize, Default)]
struct TrackForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    phone: String,
}

async fn track_form(shell: Shell, ApiQuery(q): ApiQuery<TrackForm>) -> AppResult<Response> {
    render(&TrackPage {
        shell,
        number: q.number,
        phone: q.phone,
        looked_up: false,
        found: None,
        path: RegistrationStatus::PATH,
    })
}

async fn track(
    State(state): State<AppState>,
    shell: Shell,
    ClientIp(ip): ClientIp,
    ApiForm(f): ApiForm<TrackForm>,
) -> AppResult<Response> {
    let found = service::track(&state, &f.number, &f.phone, &ip).await?;
    let status = if found.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    let page =
        TrackPage { shell, number: f.number, phone: f.phone, looked_up: true, found, path: RegistrationStatus::PATH };
    Ok((status, render(&page)?).into_response())
}
