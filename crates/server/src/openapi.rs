//! The OpenAPI document. Every JSON route is added through `utoipa_axum::routes!`, which registers
//! the handler and its `#[utoipa::path]` together, so a route cannot exist undocumented (a test
//! also scans the sources for routes added any other way).

use crate::state::AppState;
use crate::{auth, jobs, monitoring, notifications, users};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AGLIS API",
        description = "Operations platform for fibre ISPs. Authenticate with `POST /api/v1/auth/login`, then send `Authorization: Bearer <token>`. Errors are `application/problem+json`.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign in and out"),
        (name = "users", description = "Staff accounts and roles"),
        (name = "jobs", description = "The background job queue"),
        (name = "notifications", description = "WhatsApp and e-mail messages"),
        (name = "monitoring", description = "Health checks"),
        (name = "tickets", description = "Trouble and work tickets, their life cycle and SLA"),
        (name = "technicians", description = "The field team"),
        (name = "dashboard", description = "The staff dashboard's figures"),
        (name = "audit", description = "The security audit log (admins)"),
        (name = "backups", description = "Backup sets, their verification, and backing up now (admins)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::api_router())
        .merge(users::api_router())
        .merge(jobs::api_router())
        .merge(monitoring::api_router())
        .merge(notifications::api_router())
        .merge(crate::network::api::api_router())
        .merge(crate::customers::api_router())
        .merge(crate::registrations::api_router())
        .merge(crate::tickets::api_router())
        .merge(crate::dashboard::api::api_router())
        .merge(crate::audit::api_router())
        .merge(crate::backup::api::api_router())
}
