//! `aglis`: the command line of the AGLIS server.

use aglis_core::clock::{Clock, SystemClock};
use aglis_server::app::Application;
use aglis_server::config::{self, Config};
use aglis_server::telemetry;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

/// glibc's allocator took a tenth of the CPU of a ticket read under load (perf); mimalloc's
/// per-thread heaps suit the many short allocations of request handling.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "aglis", version, about = "AGLIS: operations platform for fibre ISPs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server, API and background workers.
    Serve,
    /// Run with demo data (demo accounts, password demo12345) in its own data directory,
    /// ./data/demo unless AGLIS_DATA_DIR says otherwise.
    Demo,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill the database with generated data for load tests (on top of the demo data).
    Seed {
        /// `large`: 100,000 customers; `small`: 5,000.
        #[arg(long, default_value = "small")]
        scale: String,
        /// Exactly this many customers instead.
        #[arg(long)]
        customers: Option<usize>,
        /// Exactly this many tickets instead (`large`: 1,000,000; `small`: 20,000).
        #[arg(long)]
        tickets: Option<usize>,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Backup sets: take, list, verify and restore (database, files, configuration).
    Backup {
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// The security audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Take a set now (the server may be running), verify it, copy it off-site, apply retention.
    Create,
    /// The sets in AGLIS_BACKUP_DIR (and the bucket), newest last, with their verification.
    List,
    /// Restore a set (default: the newest) into a scratch database and check it against its manifest.
    Verify {
        /// The set's name, e.g. aglis-20261125T190000Z.
        set: Option<String>,
    },
    /// Restore a set into this installation (stop the server first): database, files, configuration.
    Restore {
        set: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain: exits 0 with the number of records checked when intact, non-zero
    /// naming the first bad record (id, time, event) when not.
    Verify,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an admin account; the password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "Administrator")]
        full_name: String,
    },
}

/// How `command` loads its configuration: the demo in its own directory, commands that only read
/// an installation without creating anything in it.
fn load_options(command: &Command) -> config::LoadOptions {
    match command {
        Command::Demo => config::DEMO,
        Command::Audit { .. }
        | Command::Backup { command: BackupCommand::List | BackupCommand::Verify { .. } | BackupCommand::Create } => {
            config::READ_ONLY
        }
        Command::Serve
        | Command::Migrate
        | Command::Seed { .. }
        | Command::User { .. }
        | Command::Backup { command: BackupCommand::Restore { .. } } => config::SERVE,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match config::load_with(&config::process_env(), load_options(&cli.command)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log, config.log_format);
    aglis_integrations::http::install_crypto_provider();
    for var in config::unknown_variables(&config::process_env()) {
        tracing::warn!(variable = var, "unknown configuration variable ignored");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => Box::pin(serve(config)).await,
            Command::Demo => {
                config.demo = true;
                Box::pin(serve(config)).await
            }
            Command::Migrate => migrate(config).await,
            Command::Seed { scale, customers, tickets } => Box::pin(seed(config, &scale, customers, tickets)).await,
            Command::User { command: UserCommand::CreateAdmin { username, full_name } } => {
                create_admin(config, &username, &full_name).await
            }
            Command::Audit { command: AuditCommand::Verify } => audit_verify(config).await,
            Command::Backup { command } => match command {
                BackupCommand::Create => aglis_server::backup::cli::create(config).await,
                BackupCommand::List => aglis_server::backup::cli::list(config).await,
                BackupCommand::Verify { set } => aglis_server::backup::cli::verify(config, set).await,
                BackupCommand::Restore { set, yes } => aglis_server::backup::cli::restore(config, &set, yes).await,
            },
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let demo = config.demo;
    let app = Application::build(config, Arc::new(SystemClock)).await?;
    let url = app.state.config.base_url.clone();
    let engine = aglis_db::engine(&app.state.db).as_str();
    tracing::info!(%url, engine, "AGLIS listening");
    if demo {
        #[cfg(feature = "demo")]
        println!("{}", aglis_server::demo::banner(&url, &app.state.config.data_dir));
    } else if aglis_db::repo::settings::get(&app.state.db, aglis_db::repo::settings::INSTALLATION).await?.as_deref()
        == Some(aglis_db::repo::settings::DEMO)
    {
        tracing::warn!("this database was made by `aglis demo`: its accounts and data are demo data");
    } else if aglis_db::repo::users::count_active_with_role(&app.state.db, aglis_core::permission::Role::Admin).await?
        == 0
    {
        println!("\n  No admin account yet. Create one with:\n    aglis user create-admin --username admin\n");
    }
    app.run_until(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}

async fn seed(mut config: Config, scale: &str, customers: Option<usize>, tickets: Option<usize>) -> anyhow::Result<()> {
    let (default_customers, default_tickets) = match scale {
        "large" => (100_000, 1_000_000),
        "small" => (5_000, 20_000),
        other => anyhow::bail!("--scale must be small or large, not `{other}`"),
    };
    let count = customers.unwrap_or(default_customers);
    // The demo data first (packages, ODPs, accounts), then the generated customers.
    config.demo = true;
    config.run_workers = false;
    config.bind = "127.0.0.1:0".parse()?;
    let app = Application::build(config, Arc::new(SystemClock)).await?;
    let now = aglis_core::clock::Clock::now(&SystemClock);
    aglis_server::seed::customers(&app.state.db, count, now).await?;
    aglis_server::seed::tickets::seed(&app.state.db, tickets.unwrap_or(default_tickets), now).await?;
    aglis_server::seed::analyze(&app.state.db).await
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = aglis_db::connect(&config.database_url, 2).await?;
    aglis_db::migration::run(&db).await?;
    let applied = aglis_db::migration::applied(&db).await?;
    println!("database is up to date ({} migrations applied)", applied.len());
    Ok(())
}

async fn audit_verify(config: Config) -> anyhow::Result<()> {
    let db = aglis_server::cli::open_installation(&config).await?;
    println!("{}", aglis_server::audit::verify_report(&db).await?);
    Ok(())
}

async fn create_admin(config: Config, username: &str, full_name: &str) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let db = aglis_db::connect(&config.database_url, 2).await?;
    aglis_db::migration::run(&db).await?;
    let config_for_monitor = config.clone();
    let state = aglis_server::state::AppState {
        reads: db.clone(),
        db,
        config: Arc::new(config),
        clock: Arc::new(SystemClock),
        notifier: Arc::new(aglis_server::notifications::Notifier::log_only()), // create-admin sends nothing
        // create-admin stores no files either
        storage: aglis_server::storage::Storage::memory(),
        holidays: Arc::default(),
        sessions: Arc::default(),
        monitor: Arc::new(aglis_server::monitoring::Monitor::new(&config_for_monitor, SystemClock.now())?),
        refusals: Arc::default(),
        trends: Arc::default(),
        live: Arc::default(),
    };
    let cmd = aglis_server::users::service::CreateUser::parse(
        username,
        &password,
        full_name,
        None,
        None,
        aglis_core::permission::Role::Admin,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = aglis_server::users::service::create(&state, cmd).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("admin account `{}` created", user.username);
    Ok(())
}
