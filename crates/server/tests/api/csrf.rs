use crate::helpers::{PASSWORD, problem, spawn_app};
use aglis_core::permission::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn login_form_without_or_with_a_forged_token_is_rejected() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser();
    let _ = browser.get(app.url("/login")).send().await.expect("page");
    let res = browser
        .post(app.url("/login"))
        .form(&[("username", "andi"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = browser
        .post(app.url("/login"))
        .form(&[("username", "andi"), ("password", PASSWORD), ("csrf_token", "0".repeat(64).as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // without the cookie at all (another site posting blind)
    let res = app
        .browser()
        .post(app.url("/login"))
        .form(&[("username", "andi"), ("password", PASSWORD), ("csrf_token", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn signed_in_forms_need_the_session_token() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let target = app.insert_user("budi", Role::Technician).await;
    let browser = app.browser_login("andi").await;
    let path = format!("/admin/users/{}/active", target.id);
    let res = browser.post(app.url(&path)).form(&[("active", "false")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let user = aglis_db::repo::users::get(&app.state.db, target.id).await.expect("db").expect("user");
    assert!(user.is_active, "nothing changed");

    let token = app.page_csrf(&browser, &format!("/admin/users/{}", target.id)).await;
    let res = browser
        .post(app.url(&path))
        .form(&[("active", "false"), ("csrf_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let user = aglis_db::repo::users::get(&app.state.db, target.id).await.expect("db").expect("user");
    assert!(!user.is_active);
}

#[tokio::test]
async fn cookie_authenticated_api_writes_need_the_csrf_header_bearer_ones_do_not() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser_login("andi").await;
    let body = serde_json::json!({"username": "baru", "password": "password-baru", "full_name": "Orang Baru", "role": "technician"});
    let res = browser.post(app.url("/api/v1/users")).json(&body).send().await.expect("post");
    problem(res, 403).await;
    let token = app.page_csrf(&browser, "/").await;
    let res =
        browser.post(app.url("/api/v1/users")).header("x-csrf-token", token).json(&body).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::CREATED);

    let bearer = app.token("andi").await;
    let body = serde_json::json!({"username": "baru2", "password": "password-baru", "full_name": "Orang Baru", "role": "technician"});
    assert_eq!(app.post_json("/api/v1/users", Some(&bearer), &body).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn logout_needs_the_token_too() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser_login("andi").await;
    let res = browser.post(app.url("/logout")).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.get(app.url("/")).send().await.expect("home").status(), StatusCode::OK, "still signed in");
    let token = app.page_csrf(&browser, "/").await;
    let res = browser.post(app.url("/logout")).form(&[("csrf_token", token.as_str())]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get(app.url("/")).send().await.expect("home").status(), StatusCode::SEE_OTHER, "signed out");
}

/// The resident memory of this process (the app runs in it), in bytes.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    kb * 1024
}

/// Sends a multipart POST of `total` bytes over a raw connection, streaming it in 64 KiB writes
/// (nothing is held in memory), with a valid anonymous CSRF cookie and token first, as an attacker
/// can get from the login page. Returns the status line, if the server answered.
async fn stream_anonymous_upload(addr: &str, path: &str, nonce: &str, token: &str, total: usize) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.ok()?;
    let head = format!(
        "--XYZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--XYZ\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    );
    let tail = "\r\n--XYZ--\r\n";
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: aglis_csrf={nonce}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: {total}\r\n\r\n{head}"
    );
    if conn.write_all(request.as_bytes()).await.is_ok() {
        let chunk = vec![b'x'; 64 * 1024];
        let mut left = total - head.len() - tail.len();
        while left > 0 {
            let n = left.min(chunk.len());
            if conn.write_all(&chunk[..n]).await.is_err() {
                break;
            }
            left -= n;
        }
        let _ = conn.write_all(tail.as_bytes()).await;
    }
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), conn.read(&mut answer)).await;
    match read {
        Ok(Ok(n)) if n > 0 => String::from_utf8_lossy(&answer[..n]).lines().next().map(str::to_owned),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_uploads_are_not_buffered() {
    let app = spawn_app().await;
    // What an attacker gets from the login page: the nonce cookie and its token.
    let browser = app.browser();
    let res = browser.get(app.url("/login")).send().await.expect("login page");
    let nonce = crate::helpers::TestApp::cookie_of(&res, "aglis_csrf").expect("nonce cookie");
    let token = crate::helpers::csrf_token(&res.text().await.expect("html"));
    let addr = app.address.trim_start_matches("http://").to_owned();

    let before = rss_bytes();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_bytes(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    let uploads: Vec<_> = (0..50)
        .map(|_| {
            let (addr, nonce, token) = (addr.clone(), nonce.clone(), token.clone());
            tokio::spawn(async move {
                stream_anonymous_upload(&addr, "/tickets/1/attachments", &nonce, &token, 9_000_000).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for u in uploads {
        answers.push(u.await.expect("upload task"));
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.await.expect("sampler");
    let grew = peak.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(before);
    assert!(grew < 50 * 1024 * 1024, "50 anonymous 9 MB uploads raised the RSS by {} MB", grew / (1024 * 1024));
    // Each was refused for its size, without reading it.
    for a in &answers {
        assert!(a.as_deref().is_none_or(|line| line.contains(" 413 ")), "{answers:?}");
    }
    assert!(answers.iter().any(Option::is_some), "the server answered: {answers:?}");
    // And the server still works.
    assert_eq!(app.get("/login", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn anonymous_bodies_are_capped() {
    let app = spawn_app().await;
    // A JSON sign-in of 100 KiB without a session: refused for its size.
    let big = format!("{{\"username\": \"{}\", \"password\": \"x\"}}", "a".repeat(100 * 1024));
    let res = app
        .api
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("post");
    problem(res, 413).await;
    // Without a declared length (chunked), the cap holds while the body is read.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..40).map(|_| Ok(vec![b' '; 4096])).collect();
    let res = app
        .api
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .expect("post");
    problem(res, 413).await;
}
