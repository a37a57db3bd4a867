//! The OpenAPI document covers every `/api` route, and every documented route exists.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;

async fn document(app: &crate::helpers::TestApp) -> Value {
    let res = app.get("/api/openapi.json", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

/// Every (method, path) of the document.
pub fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[tokio::test]
async fn the_stable_contract_routes_are_documented() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    for (m, p) in [
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/{id}"),
        ("POST", "/api/v1/users/{id}/password"),
        ("GET", "/api/v1/jobs"),
        ("POST", "/api/v1/jobs/{id}/requeue"),
        ("GET", "/api/health"),
    ] {
        assert!(ops.contains(&(m.to_owned(), p.to_owned())), "{m} {p} missing from the document");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (method, path) in operations(&doc) {
        let url = app.url(&path.replace("{id}", "1"));
        let res = app
            .api
            .request(method.parse().expect("method"), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_ne!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_ne!(body["detail"], "there is nothing at this address", "{method} {path} is not routed");
    }
}

/// Routes under `/api/` must be added with `utoipa_axum::routes!`, which documents them. A plain
/// axum `.route("/api/…")` would escape the document, so the sources may not contain one.
#[test]
fn no_api_route_bypasses_the_document() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut stack = vec![std::path::PathBuf::from(src)];
    let mut scanned = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                scanned += 1;
                for (n, line) in text.lines().enumerate() {
                    let compact: String = line.split_whitespace().collect();
                    assert!(
                        !(compact.contains(".route(\"/api") || compact.contains(".route_service(\"/api")),
                        "{}:{}: add /api routes with utoipa_axum::routes! so they are documented",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
    }
    assert!(scanned > 20);
}

#[tokio::test]
async fn swagger_ui_is_served_offline() {
    let app = spawn_app().await;
    let res = app.get("/api/docs/", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("swagger"), "Swagger UI page");
    let res = app.get("/api/docs/swagger-ui.css", None).await;
    assert_eq!(res.status(), StatusCode::OK, "assets are embedded");
}

#[tokio::test]
async fn every_list_answers_the_envelope() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("andi", aglis_core::permission::Role::Admin).await;
    let doc = document(&app).await;
    let mut lists = 0;
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
        assert_ne!(schema["type"], "array", "{method} {path} documents a bare array: {schema}");
        if method != "GET" || path.contains('{') {
            continue;
        }
        let res = app.get(&path, Some(&token)).await;
        let is_json = res.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        if res.status() != StatusCode::OK || !is_json {
            continue;
        }
        let body: Value = res.json().await.expect("json");
        assert!(!body.is_array(), "GET {path} answers a bare array");
        if body.get("items").is_some() {
            for key in ["total", "total_exact", "page", "per_page"] {
                assert!(body.get(key).is_some(), "GET {path}: the envelope lacks `{key}`: {body}");
            }
            lists += 1;
        }
    }
    assert!(lists >= 15, "{lists} lists");
}
