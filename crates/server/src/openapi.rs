//! The OpenAPI document. Every JSON route is added through `utoipa_axum::routes!`, which registers
//! the handler and its `#[utoipa::path]` together, so a route cannot exist undocumented (a test
//! also scans the sources for routes added any other way).
//!
//! [`finish`] then makes the document a contract a generated client can trust: one unique
//! `operationId` per operation, and the problem responses every route can answer declared once
//! under `components.responses` and referenced by each operation that can answer them (a route's
//! own `#[utoipa::path]` lists only its success and any status with a meaning of its own).

use crate::state::AppState;
use crate::{auth, jobs, monitoring, notifications, users};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
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
        (name = "billing", description = "The monthly billing run, invoices and customer statements"),
        (name = "portal", description = "The customer portal: sign in with a WhatsApp code, then one's own invoices, payments and tickets"),
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
        .merge(crate::master::api::api_router())
        .merge(crate::customers::api_router())
        .merge(crate::registrations::api_router())
        .merge(crate::tickets::api_router())
        .merge(crate::technicians::api_router())
        .merge(crate::sla::api_router())
        .merge(crate::dashboard::api::api_router())
        .merge(crate::audit::api_router())
        .merge(crate::backup::api::api_router())
        .merge(crate::billing::api_router())
        .merge(crate::billing::webhooks::api_router())
        .merge(crate::portal::api_router())
        .merge(crate::enforcement::api::api_router())
        .merge(crate::live::api::api_router())
        .merge(crate::export::lists::api_router())
}

/// The shared problem responses: status, component name, when it is answered.
const PROBLEMS: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "The body is not valid JSON or could not be read."),
    ("401", "Unauthorized", "No valid bearer token (or session): sign in with `POST /api/v1/auth/login`."),
    ("403", "Forbidden", "Your role may not do this, or your account must enrol in two-factor first."),
    ("404", "NotFound", "No such record, or none you may see."),
    (
        "409",
        "Conflict",
        "The change conflicts with what is stored: a value already taken (`errors` names the field) or a step the record's state does not allow.",
    ),
    ("413", "PayloadTooLarge", "The body is larger than this operation accepts."),
    ("415", "UnsupportedMediaType", "The body is not of the documented type (JSON: `Content-Type: application/json`)."),
    ("422", "UnprocessableEntity", "A value is invalid; `errors` maps each field or parameter to its messages."),
    ("429", "TooManyRequests", "Too many attempts; `Retry-After` says how many seconds to wait."),
    (
        "503",
        "ServiceUnavailable",
        "The database or a service it needs is unavailable, or the request took too long; try again shortly.",
    ),
];

/// Adds the shared problem responses and unique operation ids to the merged document.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    untype_annotations(doc);
    let components = doc.components.get_or_insert_with(Default::default);
    for (status, name, description) in PROBLEMS {
        let problem = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
        let mut response = ResponseBuilder::new().description(*description).content(PROBLEM_JSON, problem);
        if *status == "429" {
            let seconds = utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer).build();
            let header = utoipa::openapi::HeaderBuilder::new()
                .schema(Some(seconds))
                .description(Some("Seconds to wait before trying again"))
                .build();
            response = response.header("Retry-After", header);
        }
        components.responses.insert((*name).to_owned(), RefOr::T(response.build()));
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let methods = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, op) in methods {
            let Some(op) = op.as_mut() else { continue };
            op.operation_id = Some(operation_id(method, path));
            for status in problem_statuses(method, path, op) {
                let Some((_, name, _)) = PROBLEMS.iter().find(|(s, _, _)| *s == status) else { continue };
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
            }
        }
    }
}

/// utoipa documents a field whose schema comes from elsewhere (`inline`, `value_type`) but has
/// its own description or example as `allOf: [schema, {type: object, description}]`; the
/// second part's `type: object` contradicts a string schema, so no value matches the whole and
/// clients (and the fuzzer) cannot build one. Such annotation-only parts lose their `type`.
fn untype_annotations(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    fn walk(schema: &mut RefOr<Schema>) {
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(o) => o.properties.values_mut().for_each(walk),
            Schema::Array(a) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    walk(items);
                }
            }
            Schema::AllOf(all) => {
                for part in &mut all.items {
                    if let RefOr::T(Schema::Object(o)) = part
                        && o.schema_type == SchemaType::Type(Type::Object)
                        && o.properties.is_empty()
                        && o.required.is_empty()
                        && o.additional_properties.is_none()
                    {
                        o.schema_type = SchemaType::AnyValue;
                    }
                    walk(part);
                }
            }
            Schema::OneOf(one) => one.items.iter_mut().for_each(walk),
            Schema::AnyOf(any) => any.items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(components) = doc.components.as_mut() {
        components.schemas.values_mut().for_each(walk);
    }
    for item in doc.paths.paths.values_mut() {
        for op in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            for p in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = p
                    && let Some(schema) = p.schema.as_mut()
                {
                    walk(schema);
                }
            }
            if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = content.schema.as_mut()
                    {
                        walk(schema);
                    }
                }
            }
        }
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem statuses `op` can answer, from what it takes: every operation may find the
/// database away (503); a secured one may lack a token or the role (401, 403); an `{id}` may not
/// exist (404); a body may be malformed, too large, of another type or invalid (400, 413, 415,
/// 422); a query parameter invalid (422); a write may conflict (409).
fn problem_statuses(method: &str, path: &str, op: &Operation) -> Vec<&'static str> {
    let mut out = vec!["503"];
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        out.extend(["401", "403"]);
    }
    // A path may name a missing record; a body may name one too (`package_id`), answered 404
    // with the field (see `error::UNKNOWN_REFERENCE`).
    if path.contains('{') || op.request_body.is_some() {
        out.push("404");
    }
    if op.request_body.is_some() {
        out.extend(["400", "413", "415", "422"]);
    }
    let has_query = op.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Query),
        RefOr::Ref(_) => false,
    });
    if has_query {
        out.push("422");
    }
    if matches!(method, "post" | "put" | "patch" | "delete") {
        out.push("409");
    }
    out
}

/// `post` + `/api/v1/users/{id}/password` → `post_users_id_password`: unique per operation.
pub fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<String> = path
        .split('/')
        .filter(|w| !w.is_empty() && *w != "api" && *w != "v1")
        .map(|w| w.trim_matches(|c| c == '{' || c == '}').replace(['-', '.'], "_"))
        .collect();
    format!("{method}_{}", words.join("_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_name_the_method_and_path() {
        assert_eq!(operation_id("post", "/api/v1/users/{id}/password"), "post_users_id_password");
        assert_eq!(operation_id("get", "/api/health/live"), "get_health_live");
        assert_eq!(operation_id("get", "/api/v1/audit-logs/export.csv"), "get_audit_logs_export_csv");
    }

    #[test]
    fn every_operation_has_a_unique_id_and_the_problems_it_can_answer() {
        let (_, mut doc) = api_router().split_for_parts();
        finish(&mut doc);
        let mut ids = std::collections::BTreeSet::new();
        let json = serde_json::to_value(&doc).expect("json");
        for (path, item) in json["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                let id = op["operationId"].as_str().expect("operation id").to_owned();
                assert!(ids.insert(id.clone()), "{id} twice");
                let responses = op["responses"].as_object().expect("responses");
                assert!(responses.contains_key("503"), "{method} {path}");
                if op.get("security").is_some() {
                    assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path}");
                }
                if path.contains('{') {
                    assert!(responses.contains_key("404"), "{method} {path}");
                }
            }
        }
        assert!(json["components"]["responses"]["UnprocessableEntity"].is_object());
    }
}
