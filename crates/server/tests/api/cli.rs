//! The `aglis` binary's commands, run as a person would.

use crate::helpers::fresh_database_url;
use std::io::Write;
use std::process::{Command, Stdio};

fn aglis(db_url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let data_dir = std::env::temp_dir().join(format!("aglis-cli-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_aglis"))
        .args(args)
        .env("AGLIS_DATA_DIR", &data_dir)
        .env("AGLIS_DATABASE_URL", db_url)
        .env("AGLIS_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run aglis");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("output")
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin() {
    let url = fresh_database_url().await;
    let out = aglis(&url, &["user", "create-admin", "--username", "kepala"], "sandi-yang-kuat\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("kepala"));
    let db = aglis_db::connect(&url, 2).await.expect("connect");
    let (user, hash) = aglis_db::repo::users::find_credentials(&db, "kepala").await.expect("db").expect("created");
    assert_eq!(user.role, aglis_core::permission::Role::Admin);
    assert!(aglis_server::auth::password::verify("sandi-yang-kuat", &hash), "the newline is not part of the password");

    let out = aglis(&url, &["user", "create-admin", "--username", "kepala"], "sandi-yang-kuat\n");
    assert!(!out.status.success(), "a taken username fails");
    let out = aglis(&url, &["user", "create-admin", "--username", "lain"], "pendek\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"), "says why");
}

#[tokio::test]
async fn migrate_reports_and_bad_configuration_names_the_variable() {
    let url = fresh_database_url().await;
    let out = aglis(&url, &["migrate"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let db = aglis_db::connect(&url, 1).await.expect("connect");
    let all = aglis_db::migration::applied(&db).await.expect("applied").len();
    let _ = db.close().await;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains(&format!("{all} migrations")), "{said}");

    let out = Command::new(env!("CARGO_BIN_EXE_aglis"))
        .args(["migrate"])
        .env("AGLIS_BIND", "not-an-address")
        .output()
        .expect("run aglis");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AGLIS_BIND"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `aglis` with only `env` of the AGLIS_* settings (none of the test process's own), in
/// `cwd` so that no stray ./aglis.toml is read.
fn aglis_in(cwd: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aglis"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AGLIS_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args).current_dir(cwd).envs(env.iter().copied()).env("AGLIS_LOG", "warn");
    cmd.output().expect("run aglis")
}

/// The names of everything under `dir`, recursively.
fn contents(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            out.push(e.path().display().to_string());
            out.extend(contents(&e.path()));
        }
    }
    out
}

#[test]
fn reading_commands_never_create_a_database_and_say_which_they_looked_for() {
    let cwd = crate::helpers::temp_dir("cli-cwd");
    let empty = crate::helpers::temp_dir("cli-empty");
    let missing = empty.join("not-there");
    for dir in [&empty, &missing] {
        let data_dir = dir.display().to_string();
        for args in [&["audit", "verify"][..], &["backup", "verify"], &["backup", "create"]] {
            let out = aglis_in(&cwd, args, &[("AGLIS_DATA_DIR", &data_dir)]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} in {data_dir}: {stderr}");
            assert!(stderr.contains(&format!("{data_dir}/aglis.db")), "{args:?} names the database: {stderr}");
            assert!(stderr.contains("AGLIS_DATA_DIR"), "{args:?} says how to point at another: {stderr}");
        }
        // The sets can be listed without the database (after a disaster it is gone).
        let out = aglis_in(&cwd, &["backup", "list"], &[("AGLIS_DATA_DIR", &data_dir)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{data_dir}/aglis.db")));
    }
    assert!(!missing.exists(), "a missing data directory stays missing");
    assert_eq!(contents(&empty), Vec::<String>::new(), "nothing was created in the empty one");
    assert_eq!(contents(&cwd), Vec::<String>::new(), "nor where the command ran");

    // A file that is not an AGLIS database is named as such, and left alone.
    std::fs::write(empty.join("aglis.db"), b"").expect("empty file");
    let out = aglis_in(&cwd, &["audit", "verify"], &[("AGLIS_DATA_DIR", &empty.display().to_string())]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an AGLIS database"));
    assert_eq!(std::fs::metadata(empty.join("aglis.db")).expect("file").len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_finds_the_running_demo_through_its_data_directory() {
    aglis_integrations::http::install_crypto_provider();
    let cwd = crate::helpers::temp_dir("demo-cwd");
    let data_dir = crate::helpers::temp_dir("demo-data").display().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let bind = format!("127.0.0.1:{port}");
    // On PostgreSQL both sides are given the database's URL; on SQLite the data directory says it all.
    let pg_url = if crate::helpers::on_postgres() { Some(fresh_database_url().await) } else { None };
    let mut env = vec![("AGLIS_DATA_DIR", data_dir.as_str()), ("AGLIS_REQUIRE_2FA", "false")];
    if let Some(url) = &pg_url {
        env.push(("AGLIS_DATABASE_URL", url.as_str()));
    }
    let mut demo_cmd = Command::new(env!("CARGO_BIN_EXE_aglis"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AGLIS_") {
            demo_cmd.env_remove(key);
        }
    }
    let mut demo = demo_cmd
        .arg("demo")
        .current_dir(&cwd)
        .envs(env.iter().copied())
        .env("AGLIS_BIND", &bind)
        .env("AGLIS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aglis demo");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Ok(res) = reqwest::get(format!("http://{bind}/api/health/live")).await
            && res.status().is_success()
        {
            break;
        }
        if let Some(status) = demo.try_wait().expect("demo status") {
            panic!("aglis demo exited: {status}");
        }
        assert!(std::time::Instant::now() < deadline, "the demo did not start within 2 minutes");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let verify = aglis_in(&cwd, &["audit", "verify"], &env);
    let list = aglis_in(&cwd, &["backup", "list"], &env);
    let _ = demo.kill();
    let _ = demo.wait();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit chain intact"));
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.lines().any(|l| l.starts_with("aglis-") && l.contains("passed")), "the demo's first set: {listed}");
    if pg_url.is_none() {
        assert!(std::path::Path::new(&data_dir).join("aglis.db").is_file(), "the demo's database is aglis.db");
    }
}
