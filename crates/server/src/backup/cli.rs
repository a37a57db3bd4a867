//! `aglis backup create|list|verify|restore`: the same configuration as `serve`, usable while
//! the server runs (restore excepted), non-zero exit on any failure.

use super::pages::human_size;
use super::progress::{Bars, Progress};
use super::remote::Remote;
use super::set::{Listed, LocalSets};
use super::{Ctx, Trigger, jobs, restore, verify};
use crate::config::Config;
use crate::i18n::Lang;
use aglis_core::clock::SystemClock;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

fn jakarta(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&aglis_core::schedule::JAKARTA).format("%d-%m-%Y %H:%M:%S").to_string()
}

pub async fn create(config: Config) -> anyhow::Result<()> {
    let ctx = Ctx::connect(config, Arc::new(SystemClock)).await?;
    if ctx.config.secret_key_ephemeral {
        anyhow::bail!(
            "no secret key: {} has no secret.key and AGLIS_SECRET_KEY is unset, so a set taken now could not \
             restore the users' two-factor secrets; run from the installation's data directory or set AGLIS_SECRET_KEY",
            ctx.config.data_dir.display()
        );
    }
    let bars = Arc::new(Bars::default());
    eprintln!("Backing up to {}", ctx.config.backup.dir.display());
    let outcome = jobs::run_backup(&ctx, Trigger::Cli, None, bars.clone()).await;
    bars.finish();
    let o = outcome?;
    let m = &o.manifest;
    let secs = (m.finished_at - m.started_at).num_milliseconds() as f64 / 1000.0;
    println!("{}: complete, {} in {secs:.1} s", m.name, human_size(m.size(), Lang::En));
    for p in &m.parts {
        println!("  {:<22} {:>10} (from {})", p.file, human_size(p.size, Lang::En), human_size(p.raw_size, Lang::En));
    }
    println!("  {} tables, {} rows, {} files", m.tables.len(), m.tables.iter().map(|t| t.rows).sum::<u64>(), m.files);
    println!("verified: restored into a scratch database and matched the manifest in {} ms", o.verified.millis);
    match &o.off_site {
        Some(Ok(())) => println!("off-site copy: uploaded"),
        Some(Err(e)) => println!("off-site copy: FAILED: {e}"),
        None => {}
    }
    if !o.deleted.is_empty() {
        println!("retention deleted: {}", o.deleted.join(", "));
    }
    match &o.off_site {
        Some(Err(e)) => anyhow::bail!("{e}"),
        _ => Ok(()),
    }
}

pub async fn list(config: Config) -> anyhow::Result<()> {
    let local = LocalSets::new(&config.backup.dir);
    let remote = Remote::from_config(&config.backup)?;
    let remote_names = match &remote {
        Some(r) => r.list().await?,
        None => Vec::new(),
    };
    // The database's verification results, when it can be reached (after a disaster it may be
    // gone: the sets are listed all the same, and nothing is created in its place).
    let rows: std::collections::BTreeMap<String, aglis_db::entity::backups::Model> =
        match crate::cli::open_installation(&config).await {
            Ok(db) => aglis_db::repo::backups::kept(&db).await.unwrap_or_default(),
            Err(e) => {
                eprintln!("verification results unavailable: {e}");
                Vec::new()
            }
        }
        .into_iter()
        .map(|row| (row.name.clone(), row))
        .collect();
    println!("{:<24} {:<20} {:>10} {:>7}  {:<28} WHERE", "SET", "TAKEN (WIB)", "SIZE", "FILES", "VERIFIED");
    let mut shown = Vec::new();
    for entry in local.list()? {
        match entry {
            Listed::Complete(m) => {
                let verified = match rows.get(&m.name) {
                    Some(row) => match row.verified_at {
                        Some(at) => format!("{} {}", row.verify_status, jakarta(at)),
                        None => row.verify_status.to_string(),
                    },
                    None => "unknown".into(),
                };
                let place = if remote_names.contains(&m.name) { "local, bucket" } else { "local" };
                println!(
                    "{:<24} {:<20} {:>10} {:>7}  {:<28} {place}",
                    m.name,
                    jakarta(m.started_at),
                    human_size(m.size(), Lang::En),
                    m.files,
                    verified
                );
                shown.push(m.name);
            }
            Listed::Unreadable { name, error } => println!("{name:<24} DAMAGED: {error}"),
            Listed::Incomplete { name } => {
                println!("{name:<24} incomplete: a backup stopped here; the next backup removes it")
            }
        }
    }
    for name in remote_names.iter().filter(|n| !shown.contains(n)) {
        println!("{name:<24} {:<20} {:>10} {:>7}  {:<28} bucket", "", "", "", "");
    }
    if shown.is_empty() && remote_names.is_empty() {
        println!("(no sets yet in {}: `aglis backup create` takes one)", local.dir().display());
    }
    Ok(())
}

pub async fn verify(config: Config, set: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::connect(config, Arc::new(SystemClock)).await?;
    let local = LocalSets::new(&ctx.config.backup.dir);
    let bars = Arc::new(Bars::default());
    let result = match set {
        Some(name) => {
            if local.read_manifest(&name).is_err() {
                anyhow::bail!("no complete set {name} in {}", local.dir().display());
            }
            verify::verify_and_record(&ctx, &local, &name, bars.clone()).await.map(Some)
        }
        None => jobs::verify_newest(&ctx, bars.clone()).await,
    };
    bars.finish();
    match result? {
        None => anyhow::bail!("no complete set in {} to verify", local.dir().display()),
        Some(v) if v.ok() => {
            println!(
                "{}: good (checksums, files, configuration, database restored and matched) in {} ms",
                v.name, v.millis
            );
            Ok(())
        }
        Some(v) => {
            for p in &v.problems {
                println!("{}: {p}", v.name);
            }
            anyhow::bail!("{} failed verification ({} problems)", v.name, v.problems.len())
        }
    }
}

pub async fn restore(config: Config, set: &str, yes: bool) -> anyhow::Result<()> {
    if !yes && !std::io::stdin().is_terminal() {
        anyhow::bail!("restore asks for confirmation on a terminal; add --yes to restore without asking");
    }
    let bars = Arc::new(Bars::default());
    let confirm = |question: &str| -> bool {
        bars.note(question);
        eprint!("Type yes to continue: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim().eq_ignore_ascii_case("yes")
    };
    let result = restore::restore(&config, set, yes, &confirm, bars.clone()).await;
    bars.finish();
    let r = result?;
    println!(
        "{}: restored in {:.1} s ({} tables, {} rows matched the manifest; {} files)",
        r.manifest.name,
        r.millis as f64 / 1000.0,
        r.manifest.tables.len(),
        r.manifest.tables.iter().map(|t| t.rows).sum::<u64>(),
        r.files
    );
    if !r.config_file.as_os_str().is_empty() {
        println!("configuration written to {}", r.config_file.display());
    }
    if !r.secrets_restored {
        println!(
            "secrets were not restored (the set has none sealed, or AGLIS_BACKUP_PASSPHRASE is unset): set AGLIS_SECRET_KEY to the old key, or reset two-factor for users who enrolled"
        );
    }
    println!("start the server with `aglis serve`");
    Ok(())
}
