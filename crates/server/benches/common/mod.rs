//! What the benches share: a fresh database to run on, SQLite in a temp directory or, with
//! `AGLIS_BENCH_DATABASE_URL=postgres://…/postgres`, a new database on that server (dropped
//! afterwards).

use sea_orm::ConnectionTrait;

/// The database the bench runs on: its URL, the engine's name, and the admin URL to drop it with
/// (PostgreSQL), or the directory to delete (SQLite).
pub struct Database {
    pub url: String,
    pub engine: &'static str,
    postgres_admin: Option<(String, String)>,
    sqlite_dir: Option<std::path::PathBuf>,
}

pub async fn database() -> Database {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match std::env::var("AGLIS_BENCH_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            let admin = sea_orm::Database::connect(&server).await.expect("connect to the PostgreSQL server");
            let name = format!("aglis_bench_{id}");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create the database");
            let _ = admin.close().await;
            let base = server.rsplit_once('/').map(|(b, _)| b).expect("URL has a database part");
            Database {
                url: format!("{base}/{name}"),
                engine: "postgres",
                postgres_admin: Some((server.clone(), name)),
                sqlite_dir: None,
            }
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("aglis-bench-{id}"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            Database {
                url: aglis_server::config::sqlite_url(&dir.join("aglis.db")),
                engine: "sqlite",
                postgres_admin: None,
                sqlite_dir: Some(dir),
            }
        }
    }
}

impl Database {
    pub async fn remove(self) {
        if let Some((server, name)) = self.postgres_admin
            && let Ok(admin) = sea_orm::Database::connect(&server).await
        {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            let _ = admin.close().await;
        }
        if let Some(dir) = self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
