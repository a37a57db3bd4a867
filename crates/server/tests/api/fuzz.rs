//! Every documented operation, driven with malformed and hostile inputs by an admin: never a 5xx.

use crate::helpers::spawn_app;
use crate::openapi::operations;
use aglis_core::permission::Role;
use serde_json::Value;

const BODIES: &[&str] = &[
    "",
    "{}",
    "[]",
    "null",
    "\"text\"",
    "12",
    "{\"username\": {}, \"password\": []}",
    "{\"username\": \"a\", \"password\": \"b\", \"role\": \"root\", \"full_name\": 5}",
    "{\"username\": \"\\u0000\", \"password\": \"\\u0000\", \"full_name\": \"\\u0000\", \"role\": \"admin\"}",
    "{\"is_active\": \"yes\", \"role\": null, \"email\": 3, \"phone\": true}",
    "{\"password\": \"x\"}",
    "{\"full_name\": \"\", \"email\": \"@@\", \"phone\": \"++62\"}",
    "{{{{",
    "\u{feff}{}",
];

const IDS: &[&str] = &["1", "0", "-1", "99999999999999999999", "abc", "%00", "1.5"];
const QUERIES: &[&str] = &[
    "",
    "?page=0",
    "?page=-1",
    "?per_page=100000",
    "?q=%27%3B--",
    "?status=zombie",
    "?role=x&active=maybe",
    "?page=99999999999999999999999",
];

#[tokio::test]
async fn no_input_makes_any_route_answer_5xx() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("andi", Role::Admin).await;
    let doc: Value = app.get("/api/openapi.json", None).await.json().await.expect("json");
    let mut requests = 0;
    for (method, path) in operations(&doc) {
        for id in IDS {
            let concrete = path.replace("{id}", id);
            for query in QUERIES {
                for body in BODIES {
                    if path == "/api/v1/auth/logout" || path == "/api/v1/auth/logout-all" {
                        continue; // would revoke the token the rest of the run uses
                    }
                    let res = app
                        .api
                        .request(method.parse().expect("method"), app.url(&format!("{concrete}{query}")))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(*body)
                        .send()
                        .await
                        .expect("request");
                    assert!(res.status().as_u16() < 500, "{method} {concrete}{query} with {body:?} → {}", res.status());
                    requests += 1;
                }
                if !path.contains("{id}") {
                    break;
                }
            }
            if !path.contains("{id}") {
                break;
            }
        }
    }
    assert!(requests > 300, "{requests}");
}
