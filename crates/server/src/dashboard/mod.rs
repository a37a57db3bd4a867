//! The start page of each role: what needs them now ([`home`]).

pub mod api;
pub mod home;
pub mod search;
pub mod trends;

use crate::auth::extract::{Staff, perm};
use crate::error::AppResult;
use crate::pages::{Shell, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/search", get(search::page))
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct Index {
    shell: Shell,
    home: home::Home,
}

async fn index(State(state): State<AppState>, shell: Shell, staff: Staff<perm::DashboardView>) -> AppResult<Response> {
    let user = &staff.auth().user;
    let home = home::gather(&state, &shell, user.role, user.id).await?;
    render(&Index { shell, home })
}
