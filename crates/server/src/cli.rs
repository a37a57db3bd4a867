//! What the commands of `aglis` that act on an existing installation share: finding its database
//! without ever creating one, and saying which database they looked for when there is none.

use crate::config::Config;
use aglis_db::DatabaseConnection;

/// Opens the installation's database for a command that reads it (`audit verify`, `backup
/// list|verify|create`). A missing SQLite file, or a database without AGLIS's tables, is an error
/// that names what was looked for and how to point at another; nothing is created.
pub async fn open_installation(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = &config.database_url;
    let shown = crate::config::redact_url(url);
    if let Some(path) = aglis_db::sqlite_path(url)
        && !path.is_file()
    {
        anyhow::bail!("no AGLIS database at {}. {}", path.display(), where_to_look(config));
    }
    let cannot_open =
        |e: aglis_db::DbError| anyhow::anyhow!("cannot open the database {shown}: {e}. {}", where_to_look(config));
    // Looked at read-only first, so that a file that is not ours is left exactly as it was.
    if !aglis_db::is_aglis_database(url).await.map_err(cannot_open)? {
        anyhow::bail!("{shown} is not an AGLIS database (it has none of AGLIS's tables). {}", where_to_look(config));
    }
    aglis_db::connect_existing(url, 2).await.map_err(cannot_open)
}

/// How the database was chosen and how to choose another.
fn where_to_look(config: &Config) -> String {
    let chosen = if config.sources.contains_key("AGLIS_DATABASE_URL") {
        "AGLIS_DATABASE_URL names it".to_owned()
    } else {
        format!("It is aglis.db in AGLIS_DATA_DIR ({})", config.data_dir.display())
    };
    format!(
        "{chosen}; point at the installation with AGLIS_DATA_DIR=<its data directory> (the demo's is {}) \
         or AGLIS_DATABASE_URL=sqlite://<file> or postgres://…",
        crate::config::DEMO_DATA_DIR
    )
}
