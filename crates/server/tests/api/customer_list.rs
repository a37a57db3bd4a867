//! The customer list at scale: totals kept by triggers agree with a real count after every kind
//! of change, name searches are exact and in order across pages, and broad searches say their
//! total was capped. The truth each answer is checked against is read with plain queries.

use crate::helpers::{TestApp, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use aglis_db::entity::customers;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

/// (status, package) → customers, counted row by row.
async fn real_counts(app: &TestApp) -> Vec<(String, i64, u64)> {
    let all = customers::Entity::find().all(&app.state.db).await.expect("db");
    let mut counts = std::collections::BTreeMap::new();
    for c in all {
        *counts.entry((c.status.as_str().to_owned(), c.package_id)).or_insert(0_u64) += 1;
    }
    counts.into_iter().map(|((s, p), n)| (s, p, n)).collect()
}

async fn kept_counts(app: &TestApp) -> Vec<(String, i64, u64)> {
    let rows = aglis_db::entity::customer_counts::Entity::find().all(&app.state.db).await.expect("db");
    let mut kept: Vec<_> = rows
        .into_iter()
        .filter(|r| r.n != 0)
        .map(|r| (r.status, r.package_id, u64::try_from(r.n).expect("n")))
        .collect();
    kept.sort();
    kept
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/customers?{query}"), Some(token)).await;
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.expect("json")
}

fn names_and_ids(v: &Value) -> Vec<(String, i64)> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| (c["name"].as_str().expect("name").to_owned(), c["id"].as_i64().expect("id")))
        .collect()
}

#[tokio::test]
async fn totals_follow_every_change_and_searches_are_exact_in_order_or_say_they_are_capped() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("demo");
    let now = crate::helpers::ClockExt::now_utc(&app.clock);
    aglis_server::seed::customers(&app.state.db, 10_100, now).await.expect("seed");
    let (_, admin) = app.user_with_token("andi.list", Role::Admin).await;
    assert_eq!(kept_counts(&app).await, real_counts(&app).await, "after 10,404 inserts");

    // Every kind of change: status, package, both at once through the API, and a delete.
    let db = &app.state.db;
    let some: Vec<customers::Model> =
        customers::Entity::find().filter(customers::Column::Status.eq("active")).all(db).await.expect("db");
    let packages = aglis_db::repo::packages::list(db, false).await.expect("db");
    for (i, c) in some.iter().take(30).enumerate() {
        let to = if i % 2 == 0 { "suspended" } else { "terminated" };
        let body = json!({"status": to, "reason": "uji penghitung"});
        let res = app.post_json(&format!("/api/v1/customers/{}/status", c.id), Some(&admin), &body).await;
        assert_eq!(res.status(), 200);
    }
    for c in some.iter().skip(30).take(20) {
        let other = packages.iter().find(|p| p.id != c.package_id).expect("another package");
        let body = json!({"name": c.name, "phone": c.phone, "address": c.address, "package_id": other.id});
        let res =
            app.send_json(reqwest::Method::PUT, &format!("/api/v1/customers/{}", c.id), Some(&admin), &body).await;
        assert_eq!(res.status(), 200);
    }
    aglis_db::repo::customers::set_status(db, some[60].id, CustomerStatus::Suspended, "x", None, now)
        .await
        .expect("db");
    // One of the generated customers: the demo's have invoices and a ledger, which keep them.
    let gone = some.last().expect("a generated customer");
    customers::Entity::delete_by_id(gone.id).exec(db).await.expect("db");
    assert_eq!(kept_counts(&app).await, real_counts(&app).await, "after updates and a delete");

    // The totals the list shows are those counts.
    let all = list(&app, &admin, "per_page=5").await;
    let real_total = customers::Entity::find().count(db).await.expect("db");
    assert_eq!((all["total"].as_u64(), all["total_exact"].as_bool()), (Some(real_total), Some(true)));
    let suspended = list(&app, &admin, "status=suspended&per_page=200").await;
    let real_suspended =
        customers::Entity::find().filter(customers::Column::Status.eq("suspended")).count(db).await.expect("db");
    assert_eq!(suspended["total"].as_u64(), Some(real_suspended));
    let shown = names_and_ids(&suspended);
    assert!(shown.windows(2).all(|w| w[0] <= w[1]), "suspended customers in name order");

    // A name search is exact: the same set as a row-by-row check, in order across pages.
    let everyone = customers::Entity::find().all(db).await.expect("db");
    let mut truth: Vec<(String, i64)> = everyone
        .iter()
        .filter(|c| c.name.split_whitespace().any(|w| w.to_lowercase().starts_with("siti")))
        .map(|c| (c.name.clone(), c.id))
        .collect();
    truth.sort();
    let first = list(&app, &admin, "q=Siti&per_page=200").await;
    assert_eq!(first["total"].as_u64(), u64::try_from(truth.len()).ok());
    assert_eq!(first["total_exact"], true);
    let mut paged = Vec::new();
    for page in 1..=truth.len().div_ceil(200) {
        paged.extend(names_and_ids(&list(&app, &admin, &format!("q=siti&per_page=200&page={page}")).await));
    }
    assert_eq!(paged, truth, "every Siti, once, in name order");

    // Within a status, newest first: the same set as the truth, ordered by sign-up date.
    let mut active_sitis: Vec<&customers::Model> = everyone
        .iter()
        .filter(|c| {
            c.status == CustomerStatus::Active
                && c.name.split_whitespace().any(|w| w.to_lowercase().starts_with("siti"))
        })
        .collect();
    active_sitis.sort_by_key(|c| std::cmp::Reverse((c.registered_at, c.id)));
    let newest = list(&app, &admin, "q=siti&status=active&sort=newest&per_page=50").await;
    assert_eq!(newest["total"].as_u64(), u64::try_from(active_sitis.len()).ok());
    let ids: Vec<i64> = names_and_ids(&newest).into_iter().map(|(_, id)| id).collect();
    let expected: Vec<i64> = active_sitis.iter().take(50).map(|c| c.id).collect();
    assert_eq!(ids, expected);

    // Two words narrow it down; a word nobody has finds nothing.
    let mut budi_sant: Vec<(String, i64)> = everyone
        .iter()
        .filter(|c| {
            let words: Vec<String> = c.name.split_whitespace().map(str::to_lowercase).collect();
            words.iter().any(|w| w.starts_with("budi")) && words.iter().any(|w| w.starts_with("sant"))
        })
        .map(|c| (c.name.clone(), c.id))
        .collect();
    budi_sant.sort();
    let two = list(&app, &admin, "q=budi%20sant&per_page=200").await;
    assert!(!budi_sant.is_empty());
    assert_eq!(two["total"].as_u64(), u64::try_from(budi_sant.len()).ok());
    assert_eq!(names_and_ids(&two), budi_sant, "two words: both, in name order");
    assert_eq!(list(&app, &admin, "q=zzzyx").await["total"], 0);

    // Every generated customer's phone starts 62899: too many to count, and said so.
    let broad = list(&app, &admin, "q=0899&per_page=10").await;
    assert_eq!((broad["total"].as_u64(), broad["total_exact"].as_bool()), (Some(10_000), Some(false)));
    assert_eq!(broad["items"].as_array().map(Vec::len), Some(10));

    // The engine's way (used when a search is too broad to read) finds the same pages.
    use aglis_db::repo::customers::{CustomerQuery, Sort, list_reading_at_most};
    let cases = [
        ("siti", None, Sort::Name),
        ("budi sant", None, Sort::Name),
        ("siti", Some(CustomerStatus::Active), Sort::Newest),
        ("budi sant", Some(CustomerStatus::Active), Sort::Code),
        ("siti", None, Sort::Code),
    ];
    for (q, status, sort) in cases {
        for page in [1, 3] {
            let query = CustomerQuery { q: Some(q.into()), status, sort, page, per_page: 20, ..Default::default() };
            let read = list_reading_at_most(&app.state.reads, &query, 10_000).await.expect("db");
            let left = list_reading_at_most(&app.state.reads, &query, 10).await.expect("db");
            let ids = |l: &aglis_db::repo::customers::Listed| l.items.iter().map(|c| c.id).collect::<Vec<_>>();
            assert_eq!((ids(&read), read.total), (ids(&left), left.total), "{q} {status:?} {sort:?} page {page}");
        }
    }
}
