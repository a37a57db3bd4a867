//! Backup settings: where sets go (a directory, and a bucket as the off-site copy), how many are
//! kept, the passphrase that seals secrets into the configuration part, when a missing backup
//! becomes an alert, and where PostgreSQL's `pg_dump`/`pg_restore` are.

use crate::config::{ConfigError, err, parse_num};
use crate::storage::S3Config;
use aglis_core::backup_retention::RetentionPolicy;
use secrecy::SecretString;
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct BackupConfig {
    /// `AGLIS_BACKUP_DIR`: sets are written here first.
    pub dir: PathBuf,
    /// `AGLIS_BACKUP_S3_URL`: every complete set is copied here too.
    pub remote: Option<S3Config>,
    pub retention: RetentionPolicy,
    /// `AGLIS_BACKUP_PASSPHRASE`: seals the secrets into the configuration part; unset, they are
    /// left out (and named, so the operator knows what to supply).
    pub passphrase: Option<SecretString>,
    /// `AGLIS_BACKUP_MAX_AGE_HOURS`: no complete backup for this long alerts the admins.
    pub max_age_hours: u32,
    /// `AGLIS_BACKUP_PG_BIN_DIR`: directory of `pg_dump`/`pg_restore`; unset, the newest
    /// `/usr/lib/postgresql/*/bin`, else `PATH`.
    pub pg_bin_dir: Option<PathBuf>,
}

impl std::fmt::Debug for BackupConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupConfig")
            .field("dir", &self.dir)
            .field("remote", &self.remote.as_ref().map(|r| format!("s3://{}/{}", r.bucket, r.prefix)))
            .field("retention", &self.retention)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "[redacted]"))
            .field("max_age_hours", &self.max_age_hours)
            .field("pg_bin_dir", &self.pg_bin_dir)
            .finish()
    }
}

pub fn parse(get: &dyn Fn(&str) -> Option<String>, data_dir: &Path) -> Result<BackupConfig, ConfigError> {
    let dir = match get("AGLIS_BACKUP_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => data_dir.join("backups"),
    };
    let s3_vars = [
        "AGLIS_BACKUP_S3_ENDPOINT",
        "AGLIS_BACKUP_S3_REGION",
        "AGLIS_BACKUP_S3_ACCESS_KEY_ID",
        "AGLIS_BACKUP_S3_SECRET_ACCESS_KEY",
    ];
    let remote = match get("AGLIS_BACKUP_S3_URL").filter(|u| !u.is_empty()) {
        None => {
            if let Some(var) = s3_vars.iter().find(|v| get(v).is_some_and(|x| !x.is_empty())) {
                return Err(err(var, "is only used with AGLIS_BACKUP_S3_URL=s3://bucket/prefix"));
            }
            None
        }
        Some(url) => {
            let rest = url
                .strip_prefix("s3://")
                .ok_or_else(|| err("AGLIS_BACKUP_S3_URL", format!("`{url}` is not s3://bucket/prefix")))?;
            Some(crate::storage::parse_s3(get, "AGLIS_BACKUP_S3_URL", "AGLIS_BACKUP_S3", rest)?)
        }
    };
    let retention = RetentionPolicy {
        daily: parse_num("AGLIS_BACKUP_KEEP_DAILY", get("AGLIS_BACKUP_KEEP_DAILY"), 30, 0..=3650)?,
        weekly: parse_num("AGLIS_BACKUP_KEEP_WEEKLY", get("AGLIS_BACKUP_KEEP_WEEKLY"), 8, 0..=520)?,
        monthly: parse_num("AGLIS_BACKUP_KEEP_MONTHLY", get("AGLIS_BACKUP_KEEP_MONTHLY"), 12, 0..=240)?,
    };
    let passphrase = match get("AGLIS_BACKUP_PASSPHRASE").filter(|p| !p.is_empty()) {
        Some(p) if p.chars().count() < 12 => {
            return Err(err(
                "AGLIS_BACKUP_PASSPHRASE",
                "must be at least 12 characters (it guards every secret in the sets)",
            ));
        }
        p => p.map(SecretString::from),
    };
    let max_age_hours = parse_num("AGLIS_BACKUP_MAX_AGE_HOURS", get("AGLIS_BACKUP_MAX_AGE_HOURS"), 26, 1..=720)?;
    let pg_bin_dir = get("AGLIS_BACKUP_PG_BIN_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
    Ok(BackupConfig { dir, remote, retention, passphrase, max_age_hours, pg_bin_dir })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse_pairs(pairs: &[(&str, &str)]) -> Result<BackupConfig, ConfigError> {
        let env: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse(&|k| env.get(k).cloned(), Path::new("/var/lib/aglis"))
    }

    #[test]
    fn defaults_keep_a_month_of_dailies_in_the_data_dir() {
        let c = parse_pairs(&[]).expect("defaults");
        assert_eq!(c.dir, Path::new("/var/lib/aglis/backups"));
        assert!(c.remote.is_none() && c.passphrase.is_none());
        assert_eq!(c.retention, RetentionPolicy { daily: 30, weekly: 8, monthly: 12 });
        assert_eq!(c.max_age_hours, 26);
    }

    #[test]
    fn bucket_and_secrets_are_parsed_and_never_shown() {
        let c = parse_pairs(&[
            ("AGLIS_BACKUP_S3_URL", "s3://aglis-backups/karawang"),
            ("AGLIS_BACKUP_S3_ENDPOINT", "http://127.0.0.1:5000"),
            ("AGLIS_BACKUP_S3_ACCESS_KEY_ID", "key"),
            ("AGLIS_BACKUP_S3_SECRET_ACCESS_KEY", "bucket-secret-9"),
            ("AGLIS_BACKUP_PASSPHRASE", "kabel fiber karawang"),
        ])
        .expect("parses");
        let remote = c.remote.as_ref().expect("remote");
        assert_eq!((remote.bucket.as_str(), remote.prefix.as_str()), ("aglis-backups", "karawang"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("bucket-secret-9") && !shown.contains("kabel fiber"), "{shown}");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (pairs, var) in [
            (vec![("AGLIS_BACKUP_S3_URL", "https://bucket")], "AGLIS_BACKUP_S3_URL"),
            (vec![("AGLIS_BACKUP_S3_REGION", "ap-southeast-3")], "AGLIS_BACKUP_S3_REGION"),
            (
                vec![("AGLIS_BACKUP_S3_URL", "s3://bucket"), ("AGLIS_BACKUP_S3_ACCESS_KEY_ID", "k")],
                "AGLIS_BACKUP_S3_SECRET_ACCESS_KEY",
            ),
            (vec![("AGLIS_BACKUP_KEEP_DAILY", "-1")], "AGLIS_BACKUP_KEEP_DAILY"),
            (vec![("AGLIS_BACKUP_PASSPHRASE", "short")], "AGLIS_BACKUP_PASSPHRASE"),
            (vec![("AGLIS_BACKUP_MAX_AGE_HOURS", "0")], "AGLIS_BACKUP_MAX_AGE_HOURS"),
        ] {
            assert_eq!(parse_pairs(&pairs).expect_err("must fail").var, var, "{pairs:?}");
        }
    }
}
