//! Backup sets: their names, the manifest that describes one, the per-table fingerprint that
//! proves a restored database holds the same rows, and the comparison of two fingerprints.
//!
//! A set is complete only when its manifest exists: the manifest is written last, and a set
//! without one (a crash, a kill) never counts as a backup.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the manifest layout; a reader refuses a newer one.
pub const MANIFEST_FORMAT: u32 = 1;
/// The manifest's file name inside a set.
pub const MANIFEST_FILE: &str = "manifest.json";
const NAME_PREFIX: &str = "aglis-";
const NAME_TIME: &str = "%Y%m%dT%H%M%SZ";

/// `aglis-20261125T190000Z`: sorts by time, readable, safe in paths and object keys.
pub fn set_name(at: DateTime<Utc>) -> String {
    format!("{NAME_PREFIX}{}", at.format(NAME_TIME))
}

/// The time a set name encodes, or `None` for anything that is not a set name (so a listing
/// skips foreign files and a restore refuses a path such as `../etc`).
pub fn parse_set_name(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(NAME_PREFIX)?;
    if stamp.len() != 16 {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, NAME_TIME).ok().map(|t| t.and_utc())
}

crate::str_enum! { "backup trigger",
    /// Who asked for a backup.
    pub enum Trigger {
        Schedule = "schedule",
        /// The admin page or the API.
        Manual = "manual",
        Cli = "cli",
    }
}

crate::str_enum! { "backup status",
    /// Where a backup set is: `running`, then `complete` or `failed`; `interrupted` when its process
    /// died before it finished.
    pub enum BackupStatus {
        Running = "running",
        Complete = "complete",
        Failed = "failed",
        Interrupted = "interrupted",
    }
}

crate::str_enum! { "backup check",
    /// Whether a complete set was restored into a scratch database and matched its fingerprint.
    pub enum VerifyStatus {
        Pending = "pending",
        Passed = "passed",
        Failed = "failed",
    }
}

crate::str_enum! { "off-site copy",
    /// The off-site copy of a complete set.
    pub enum RemoteStatus {
        /// No bucket is configured, or the copy has not been tried yet.
        None = "none",
        Uploaded = "uploaded",
        Failed = "failed",
    }
}

crate::str_enum! { "backup part",
    /// What a part of a set holds.
    pub enum PartKind {
        /// The database: an SQLite file or a `pg_dump` custom-format archive.
        Database = "database",
        /// The uploaded files, as a tar archive.
        Files = "files",
        /// The configuration (secrets left out or sealed, see the README).
        Config = "config",
    }
}

/// One file of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub kind: PartKind,
    /// File name inside the set, e.g. `database.sqlite.zst`.
    pub file: String,
    /// Bytes in the set (compressed).
    pub size: u64,
    /// Bytes before compression.
    pub raw_size: u64,
    /// SHA-256 (hex) of the file as stored in the set.
    pub sha256: String,
}

/// Rows of one table and a fingerprint of their content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStat {
    pub table: String,
    pub rows: u64,
    /// See [`RowHasher`].
    pub hash: String,
}

/// Describes a complete set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub name: String,
    /// `aglis --version` of the program that wrote it.
    pub app_version: String,
    /// `sqlite` or `postgres`: a set restores into the same engine.
    pub engine: String,
    /// Name of the last migration applied.
    pub schema_version: String,
    pub migrations: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `schedule`, `manual` (the admin page or API) or `cli`.
    pub trigger: String,
    pub parts: Vec<Part>,
    pub tables: Vec<TableStat>,
    /// Uploaded files in the files part.
    pub files: u64,
    /// Whether the configuration part carries the secrets sealed with the backup passphrase.
    pub secrets_sealed: bool,
}

impl Manifest {
    /// Bytes of every part.
    pub fn size(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }

    pub fn part(&self, kind: PartKind) -> Option<&Part> {
        self.parts.iter().find(|p| p.kind == kind)
    }

    /// Parses a manifest, refusing one that is not a set's or comes from a newer version.
    pub fn parse(json: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(json).map_err(|e| format!("the manifest is not valid: {e}"))?;
        if m.format > MANIFEST_FORMAT {
            return Err(format!(
                "the manifest has format {} but this version reads up to {MANIFEST_FORMAT}: restore with a newer aglis",
                m.format
            ));
        }
        if parse_set_name(&m.name).is_none() {
            return Err(format!("the manifest names `{}`, which is not a set name", m.name));
        }
        for p in &m.parts {
            let plain = !p.file.is_empty() && p.file.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !plain || p.file.starts_with('.') {
                return Err(format!("the manifest names the part `{}`, which is not a plain file name", p.file));
            }
        }
        Ok(m)
    }
}

/// An order-independent fingerprint of a table's rows: the count and the wrapping sum of the
/// first 16 bytes of each row's SHA-256. Two scans of the same rows in any order agree; a
/// missing, extra or changed row changes it (short of a 2⁻¹²⁸ accident). Rows are given in a
/// canonical text form that the engine produces (PostgreSQL `t::text`, SQLite `quote()`s).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RowHasher {
    rows: u64,
    sum: u128,
}

impl RowHasher {
    pub fn add(&mut self, row: &[u8]) {
        let digest = Sha256::digest(row);
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_be_bytes(first));
        self.rows += 1;
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn finish(&self, table: &str) -> TableStat {
        TableStat { table: table.to_owned(), rows: self.rows, hash: format!("{:032x}", self.sum) }
    }
}

/// How a database differs from what a manifest recorded: one line per table, empty when equal.
pub fn compare_tables(expected: &[TableStat], actual: &[TableStat]) -> Vec<String> {
    let mut out = Vec::new();
    for e in expected {
        match actual.iter().find(|a| a.table == e.table) {
            None => out.push(format!("table {} is missing", e.table)),
            Some(a) if a.rows != e.rows => {
                out.push(format!("table {}: {} rows, the manifest says {}", e.table, a.rows, e.rows));
            }
            Some(a) if a.hash != e.hash => {
                out.push(format!("table {}: the content differs from the manifest ({} rows)", e.table, a.rows));
            }
            Some(_) => {}
        }
    }
    for a in actual {
        if !expected.iter().any(|e| e.table == a.table) {
            out.push(format!("table {} is not in the manifest", a.table));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn set_names_round_trip_and_sort_by_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 19, 0, 0).single().expect("valid");
        assert_eq!(set_name(t), "aglis-20261125T190000Z");
        assert_eq!(parse_set_name("aglis-20261125T190000Z"), Some(t));
        assert!(set_name(t) < set_name(t + chrono::Duration::seconds(1)));
        for bad in ["", "aglis-", "../aglis-20261125T190000Z", "aglis-20261125T190000Zx", "other-20261125T190000Z"] {
            assert_eq!(parse_set_name(bad), None, "{bad}");
        }
    }

    fn manifest() -> Manifest {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 19, 0, 0).single().expect("valid");
        Manifest {
            format: MANIFEST_FORMAT,
            name: set_name(t),
            app_version: "0.1.0".into(),
            engine: "sqlite".into(),
            schema_version: "m0020_backups".into(),
            migrations: 20,
            started_at: t,
            finished_at: t,
            trigger: "cli".into(),
            parts: vec![Part {
                kind: PartKind::Database,
                file: "database.sqlite.zst".into(),
                size: 10,
                raw_size: 40,
                sha256: "00".into(),
            }],
            tables: vec![],
            files: 0,
            secrets_sealed: false,
        }
    }

    #[test]
    fn manifest_parse_refuses_newer_formats_and_path_like_parts() {
        let m = manifest();
        let json = serde_json::to_vec(&m).expect("json");
        assert_eq!(Manifest::parse(&json).expect("parses"), m);
        let mut newer = m.clone();
        newer.format = MANIFEST_FORMAT + 1;
        let err = Manifest::parse(&serde_json::to_vec(&newer).expect("json")).expect_err("newer");
        assert!(err.contains("newer aglis"), "{err}");
        let mut sneaky = m;
        sneaky.parts[0].file = "../../etc/passwd".into();
        assert!(Manifest::parse(&serde_json::to_vec(&sneaky).expect("json")).is_err());
        assert!(Manifest::parse(b"{\"format\": 1").is_err());
    }

    #[test]
    fn compare_names_each_difference() {
        let mut h = RowHasher::default();
        h.add(b"1,'Budi'");
        let a = h.finish("customers");
        let mut changed = a.clone();
        changed.hash = "ff".into();
        let mut fewer = a.clone();
        fewer.rows = 0;
        assert!(compare_tables(std::slice::from_ref(&a), std::slice::from_ref(&a)).is_empty());
        assert_eq!(
            compare_tables(std::slice::from_ref(&a), &[changed])[0],
            "table customers: the content differs from the manifest (1 rows)"
        );
        assert!(compare_tables(std::slice::from_ref(&a), &[fewer])[0].contains("0 rows, the manifest says 1"));
        assert!(compare_tables(std::slice::from_ref(&a), &[])[0].contains("missing"));
        assert!(compare_tables(&[], std::slice::from_ref(&a))[0].contains("not in the manifest"));
    }

    proptest! {
        #[test]
        fn row_hash_ignores_order_and_sees_any_change(
            rows in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 1..30),
            pick in any::<prop::sample::Index>(),
            seed in any::<u64>(),
        ) {
            let hash = |rows: &[Vec<u8>]| {
                let mut h = RowHasher::default();
                rows.iter().for_each(|r| h.add(r));
                h.finish("t")
            };
            let mut shuffled = rows.clone();
            let n = shuffled.len();
            shuffled.rotate_left((seed as usize) % n);
            prop_assert_eq!(hash(&rows), hash(&shuffled));
            let mut changed = rows.clone();
            changed[pick.index(n)].push(0xA5);
            prop_assert_ne!(hash(&rows).hash, hash(&changed).hash);
            let mut missing = rows.clone();
            missing.remove(pick.index(n));
            prop_assert_ne!(hash(&rows), hash(&missing));
        }
    }
}
