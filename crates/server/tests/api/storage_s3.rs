//! Attachments on an S3 bucket (`AGLIS_STORAGE_URL=s3://bucket/prefix`), end to end against a
//! local S3 server (moto, which `cargo xtask test` starts and names in `AGLIS_TEST_S3_ENDPOINT`):
//! a photo uploaded through one instance comes back byte for byte from a second instance that
//! shares the database and the bucket (the reason several instances need S3), and the object
//! really is in the bucket, under the prefix (listed with a plain HTTP request, read by a client
//! of the bucket's own), with nothing on the instances' disks.

use crate::helpers::{TestApp, spawn_app_with};
use aglis_core::permission::Role;
use aglis_server::storage::S3Config;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The address of the local S3 server. A test that needs it fails without it: it never skips.
pub fn s3_endpoint() -> String {
    match std::env::var("AGLIS_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint.trim_end_matches('/').to_owned(),
        _ => panic!(
            "AGLIS_TEST_S3_ENDPOINT is unset: this test needs a local S3 server. `cargo xtask test` installs \
             moto from PyPI and starts it; by hand: `target/xtask-s3/venv/bin/python3 -m moto.server -H 127.0.0.1 \
             -p 5000` and AGLIS_TEST_S3_ENDPOINT=http://127.0.0.1:5000"
        ),
    }
}

/// Creates a new bucket named `<what>-<random>` on the local S3 server; returns its name.
pub async fn create_bucket(endpoint: &str, what: &str) -> String {
    aglis_integrations::http::install_crypto_provider();
    let bucket = format!("{what}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let created = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.expect("create bucket");
    assert!(created.status().is_success(), "the S3 server created bucket {bucket}: {}", created.status());
    bucket
}

/// The keys and sizes of the objects under `prefix`, read with a plain ListObjectsV2 request.
async fn bucket_listing(endpoint: &str, bucket: &str, prefix: &str) -> Vec<(String, u64)> {
    let res = reqwest::Client::new()
        .get(format!("{endpoint}/{bucket}?list-type=2&prefix={prefix}"))
        .send()
        .await
        .expect("list the bucket");
    assert_eq!(res.status(), StatusCode::OK, "listing {bucket}");
    let xml = res.text().await.expect("listing body");
    xml.split("<Contents>")
        .skip(1)
        .map(|entry| {
            let field = |name: &str| {
                let start = entry.find(&format!("<{name}>")).map(|i| i + name.len() + 2).expect("field");
                entry[start..].split('<').next().expect("value").to_owned()
            };
            (field("Key"), field("Size").parse().expect("size"))
        })
        .collect()
}

/// An instance whose files go to `s3://<bucket>/<prefix>` on the local S3 server; with
/// `database_url`, it shares that database (another instance's).
async fn instance(endpoint: &str, bucket: &str, prefix: &str, database_url: Option<&str>) -> TestApp {
    let vars = [
        ("AGLIS_STORAGE_URL", format!("s3://{bucket}/{prefix}")),
        ("AGLIS_STORAGE_S3_ENDPOINT", endpoint.to_owned()),
        ("AGLIS_STORAGE_S3_ACCESS_KEY_ID", "testing".to_owned()),
        ("AGLIS_STORAGE_S3_SECRET_ACCESS_KEY", "testing-secret".to_owned()),
    ];
    let database_url = database_url.map(str::to_owned);
    spawn_app_with(move |env| {
        env.extend(vars.into_iter().map(|(k, v)| (k.to_owned(), v)));
        if let Some(url) = database_url {
            env.insert("AGLIS_DATABASE_URL".to_owned(), url);
        }
    })
    .await
}

/// A customer (with a package) and a repair ticket for them; returns the ticket's id.
async fn ticket(app: &TestApp, admin: &str) -> i64 {
    let pkg = app
        .post_json(
            "/api/v1/packages",
            Some(admin),
            &json!({"name": "Paket 50", "speed_mbps": 50, "monthly_price": 250_000, "installation_fee": 0}),
        )
        .await;
    assert_eq!(pkg.status(), StatusCode::CREATED);
    let pkg: Value = pkg.json().await.expect("json");
    let customer = app
        .post_json(
            "/api/v1/customers",
            Some(admin),
            &json!({"name": "Dewi Lestari", "phone": "0812-3456-7788", "address": "Jl. Tuparev No. 12, Karawang",
                "package_id": pkg["id"]}),
        )
        .await;
    assert_eq!(customer.status(), StatusCode::CREATED);
    let customer: Value = customer.json().await.expect("json");
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(admin),
            &json!({"customer_id": customer["id"], "type": "repair", "priority": "high",
                "description": "Redaman tinggi di ODP, internet putus-putus"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

/// A JPEG-looking body of `n` bytes, every byte position distinct enough to catch a mix-up.
fn photo(n: usize) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.extend((0..n.saturating_sub(4)).map(|i| (i % 251) as u8));
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_on_a_bucket_is_served_by_every_instance_and_lives_in_the_bucket() {
    let endpoint = s3_endpoint();
    let bucket = create_bucket(&endpoint, "aglis-files").await;
    let prefix = "karawang/files";
    let first = instance(&endpoint, &bucket, prefix, None).await;
    assert_eq!(first.state.storage.describe(), format!("s3://{bucket}/{prefix}"));
    let (_, admin) = first.user_with_token("andi", Role::Admin).await;
    let id = ticket(&first, &admin).await;

    // Up through the first instance, back byte for byte.
    let body = photo(700_000);
    let res =
        crate::helpers::upload_file(&first, &admin, id, "before", "odp-depan.jpg", "image/jpeg", body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap_or_default());
    let attachment: Value = res.json().await.expect("json");
    let url = attachment["url"].as_str().expect("url").to_owned();
    assert_eq!(attachment["size"], 700_000);
    let res = first.get(&url, Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/jpeg"));
    let served = res.bytes().await.expect("bytes");
    assert!(
        served.as_ref() == body.as_slice(),
        "the first instance serves the same bytes ({} of {})",
        served.len(),
        body.len()
    );

    // A second instance on the same database and the same bucket lists and serves the same file.
    let second = instance(&endpoint, &bucket, prefix, Some(&first.state.config.database_url)).await;
    let list: Value =
        second.get(&format!("/api/v1/tickets/{id}/attachments"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], attachment["id"]);
    let res = second.get(&url, Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK, "the second instance finds the file");
    let served = res.bytes().await.expect("bytes");
    assert!(
        served.as_ref() == body.as_slice(),
        "the second instance serves the same bytes ({} of {})",
        served.len(),
        body.len()
    );

    // The object is in the bucket, under the prefix and the ticket; the instances' disks hold nothing.
    let listed = bucket_listing(&endpoint, &bucket, "").await;
    let [(key, size)] = listed.as_slice() else { panic!("one object in the bucket: {listed:?}") };
    assert!(key.starts_with(&format!("{prefix}/tickets/{id}/")) && key.ends_with(".jpg"), "{key}");
    assert_eq!(*size, 700_000);
    // Read straight from the bucket by a client of its own (no prefix), not through either instance.
    let bucket_client = aglis_server::storage::Storage::s3(
        &S3Config {
            bucket: bucket.clone(),
            prefix: String::new(),
            endpoint: Some(endpoint.clone()),
            region: "us-east-1".to_owned(),
            access_key_id: Some("testing".to_owned()),
            secret_access_key: Some("testing-secret".to_owned().into()),
        },
        "test",
    )
    .expect("a client of the bucket");
    let raw = bucket_client.get(key).await.expect("read the object").expect("the object exists");
    assert!(raw.as_ref() == body.as_slice(), "the bucket holds the very bytes ({} of {})", raw.len(), body.len());
    let through_storage = second.state.storage.list(&format!("tickets/{id}")).await.expect("list through storage");
    assert_eq!(through_storage.len(), 1, "{through_storage:?}");
    assert_eq!(format!("{prefix}/{}", through_storage[0].0), *key);
    for app in [&first, &second] {
        let files = app.state.config.data_dir.join("files");
        assert!(!files.join("tickets").exists(), "nothing written under {}", files.display());
    }

    // Removed through the second instance: gone from the bucket and from the first instance.
    let del = second.api.delete(second.url(&url)).bearer_auth(&admin).send().await.expect("delete");
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
    assert_eq!(bucket_listing(&endpoint, &bucket, prefix).await, Vec::new(), "the object went with the row");
    assert_eq!(first.get(&url, Some(&admin)).await.status(), StatusCode::NOT_FOUND);
}
