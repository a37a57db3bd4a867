//! The start page: what the signed-in user may do, and the state of the system at a glance.

pub mod api;

use crate::auth::extract::{Staff, perm};
use crate::error::AppResult;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::permission::{Permission, Role, grants};
use aglis_db::repo::users;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index))
}

/// Users per role, for the admin's overview.
pub struct RoleCount {
    pub role: Role,
    pub count: u64,
    /// Bar length, percent of the largest count.
    pub pct: u64,
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct Index {
    shell: Shell,
    permissions: Vec<&'static str>,
    role_counts: Option<Vec<RoleCount>>,
    jobs: Option<Vec<(&'static str, u64)>>,
}

async fn index(State(state): State<AppState>, shell: Shell, staff: Staff<perm::DashboardView>) -> AppResult<Response> {
    let role = staff.auth().user.role;
    let role_counts = if role.can(Permission::UsersView) {
        let mut out: Vec<RoleCount> = users::count_active_by_role(&state.db)
            .await?
            .into_iter()
            .filter(|(r, _)| r.is_staff())
            .map(|(role, count)| RoleCount { role, count, pct: 0 })
            .collect();
        let max = out.iter().map(|c| c.count).max().unwrap_or(0).max(1);
        for c in &mut out {
            c.pct = c.count * 100 / max;
        }
        Some(out)
    } else {
        None
    };
    let jobs = if role.can(Permission::JobsView) { Some(aglis_db::jobs::counts(&state.db).await?) } else { None };
    let permissions = grants(role).iter().map(|p| p.as_str()).collect();
    render(&Index { shell, permissions, role_counts, jobs })
}
