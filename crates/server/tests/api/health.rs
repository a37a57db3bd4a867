use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn health_is_200_with_a_database_check_and_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    let res = app.get("/api/health", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"]["status"], "ok");

    app.state.db.close_by_ref().await.expect("close the pool");
    let res = app.get("/api/health", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "fail");
    assert_eq!(body["checks"]["database"]["status"], "fail");
}

#[tokio::test]
async fn a_database_outage_is_a_503_not_a_500_on_other_routes() {
    let app = spawn_app().await;
    app.state.db.close_by_ref().await.expect("close the pool");
    let res = app.post_json("/api/v1/auth/login", None, &serde_json::json!({"username": "a", "password": "b"})).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}
