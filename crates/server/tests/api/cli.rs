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
    assert!(String::from_utf8_lossy(&out.stdout).contains("21 migrations"));

    let out = Command::new(env!("CARGO_BIN_EXE_aglis"))
        .args(["migrate"])
        .env("AGLIS_BIND", "not-an-address")
        .output()
        .expect("run aglis");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AGLIS_BIND"), "{}", String::from_utf8_lossy(&out.stderr));
}
