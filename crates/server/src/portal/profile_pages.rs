//! `/portal/profile…`: the customer's details, a new number confirmed by a code, the messages
//! they want, the language and a password; each action answers with the page and a notice, or
//! with the refusal next to its field.

use super::extract::PortalCustomer;
use super::home::{self, MeOut};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery};
use crate::i18n::Lang;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::notification_catalog::Language;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/profile", get(profile).post(save_profile))
        .route("/portal/profile/email", post(save_email))
        .route("/portal/profile/phone", post(change_phone))
        .route("/portal/profile/phone/confirm", post(confirm_phone))
        .route("/portal/profile/messages", post(save_messages))
        .route("/portal/profile/password", post(save_password))
}

#[derive(Template)]
#[template(path = "portal/profile.html")]
struct ProfilePage {
    shell: Shell,
    me: MeOut,
    /// The username for signing in with a password (the customer code, lower case).
    username: String,
    /// The kinds of optional message turned off.
    muted: Vec<aglis_core::portal::MessageTopic>,
    /// A new number waiting for its code.
    pending_phone: Option<String>,
    notice: Option<String>,
    errors: FieldErrors,
}

impl ProfilePage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }

    fn receives(&self, topic: &aglis_core::portal::MessageTopic) -> bool {
        !self.muted.contains(topic)
    }
}

#[derive(Debug, Deserialize, Default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn profile_page(
    state: &AppState,
    shell: Shell,
    pc: &PortalCustomer,
    notice: Option<String>,
    errors: FieldErrors,
) -> AppResult<Response> {
    // Read again: the action before this page may have changed the record.
    let c = aglis_db::repo::customers::get(&state.reads, pc.customer.id).await?.unwrap_or_else(|| pc.customer.clone());
    let me = home::me(state, &c).await?;
    let pending_phone = super::profile::pending_phone(state, pc).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ProfilePage {
        shell,
        me,
        username: pc.auth.user.username.clone(),
        muted: aglis_core::portal::muted(&c.muted_messages),
        pending_phone,
        notice,
        errors,
    };
    Ok((status, render(&page)?).into_response())
}

async fn profile(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    ApiQuery(q): ApiQuery<SavedQuery>,
) -> AppResult<Response> {
    let notice = q.saved.is_some().then(|| shell.t("portal.profile.saved").to_owned());
    profile_page(&state, shell, &pc, notice, FieldErrors::new()).await
}

/// After a profile action: the page with a notice, or with the refusal next to its field.
async fn after_profile(
    state: &AppState,
    shell: Shell,
    pc: &PortalCustomer,
    result: AppResult<String>,
) -> AppResult<Response> {
    match result {
        Ok(notice) => profile_page(state, shell, pc, Some(notice), FieldErrors::new()).await,
        Err(AppError::Validation { fields, .. }) => profile_page(state, shell, pc, None, fields).await,
        Err(AppError::Unauthorized(m) | AppError::Conflict { detail: m, .. }) => {
            let mut fields = FieldErrors::new();
            fields.insert("code".into(), vec![m]);
            profile_page(state, shell, pc, None, fields).await
        }
        Err(AppError::TooManyRequests { detail, .. }) => {
            let mut fields = FieldErrors::new();
            fields.insert("form".into(), vec![detail]);
            profile_page(state, shell, pc, None, fields).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct ProfileForm {
    #[serde(default)]
    language: String,
}

/// The language of the portal and of the customer's WhatsApp messages.
async fn save_profile(
    State(state): State<AppState>,
    pc: PortalCustomer,
    ApiForm(f): ApiForm<ProfileForm>,
) -> AppResult<Response> {
    let language = match f.language.as_str() {
        "id" => Language::Id,
        "en" => Language::En,
        _ => return Err(AppError::field("language", crate::i18n::msg("val.portal.language", &[]))),
    };
    let mut profile = aglis_db::repo::customers::Profile::from(&pc.customer);
    profile.language = language;
    let change = format!("language {} (portal)", language.as_str());
    aglis_db::repo::customers::update_profile(
        &state.db,
        pc.customer.id,
        profile,
        &change,
        Some(pc.auth.user.id),
        state.now(),
    )
    .await?;
    let lang = Lang::from(language);
    Ok(Redirect::to(&format!("/portal/profile?saved=1&lang={}", lang.code())).into_response())
}

#[derive(Debug, Deserialize)]
struct FieldForm {
    #[serde(default)]
    value: String,
    #[serde(default)]
    again: String,
}

async fn save_email(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    ApiForm(f): ApiForm<FieldForm>,
) -> AppResult<Response> {
    let saved = shell.t("portal.profile.saved").to_owned();
    let result = super::profile::set_email(&state, &pc, &f.value).await.map(|()| saved);
    after_profile(&state, shell, &pc, result).await
}

async fn change_phone(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    ApiForm(f): ApiForm<FieldForm>,
) -> AppResult<Response> {
    let sent = shell.t("portal.profile.phone_code_sent").to_owned();
    let result = super::profile::request_phone_change(&state, &pc, &f.value).await.map(|_| sent);
    after_profile(&state, shell, &pc, result).await
}

async fn confirm_phone(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    ApiForm(f): ApiForm<FieldForm>,
) -> AppResult<Response> {
    let done = shell.t("portal.profile.phone_changed").to_owned();
    let result = super::profile::confirm_phone_change(&state, &pc, &f.value).await.map(|_| done);
    after_profile(&state, shell, &pc, result).await
}

async fn save_password(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    ApiForm(f): ApiForm<FieldForm>,
) -> AppResult<Response> {
    let done = shell.t("portal.profile.password_set").to_owned();
    let result = super::profile::set_password(&state, &pc, &f.value, &f.again).await.map(|()| done);
    after_profile(&state, shell, &pc, result).await
}

async fn save_messages(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> AppResult<Response> {
    // Ticked boxes arrive as repeated `topic=…` fields.
    let wanted: Vec<aglis_core::portal::MessageTopic> =
        form_urlencoded::parse(&body).filter(|(k, _)| k == "topic").filter_map(|(_, v)| v.parse().ok()).collect();
    let saved = shell.t("portal.profile.saved").to_owned();
    let result = super::profile::set_messages(&state, &pc, &wanted).await.map(|()| saved);
    after_profile(&state, shell, &pc, result).await
}
