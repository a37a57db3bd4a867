//! Sets in the backup directory: built in `.incomplete-<name>`, made complete by writing the
//! manifest and renaming the folder (atomic on one file system), checked part by part.

use super::archive::{sha256_file, sync_dir};
use super::progress::Progress;
use aglis_core::backup::{MANIFEST_FILE, Manifest, parse_set_name};
use std::io;
use std::path::{Path, PathBuf};

/// Folders being built (or left by a crash) start with this; they are never sets.
pub const INCOMPLETE_PREFIX: &str = ".incomplete-";

/// What the directory holds.
#[derive(Debug)]
pub enum Listed {
    Complete(Manifest),
    /// A set folder whose manifest cannot be read (damaged): never restored, shown as such.
    Unreadable {
        name: String,
        error: String,
    },
    /// A folder a backup was building when it stopped.
    Incomplete {
        name: String,
    },
}

#[derive(Debug, Clone)]
pub struct LocalSets {
    dir: PathBuf,
}

impl LocalSets {
    pub fn new(dir: &Path) -> Self {
        LocalSets { dir: dir.to_owned() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn staging(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{INCOMPLETE_PREFIX}{name}"))
    }

    /// Creates the staging folder of `name` (the directory too, when missing).
    pub fn begin(&self, name: &str) -> io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let staging = self.staging(name);
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir(&staging)?;
        Ok(staging)
    }

    /// Writes the manifest into the staging folder and renames it into place: from this moment,
    /// and not before, the set exists.
    pub fn commit(&self, manifest: &Manifest) -> io::Result<PathBuf> {
        let staging = self.staging(&manifest.name);
        let json = serde_json::to_vec_pretty(manifest).map_err(io::Error::other)?;
        let file = staging.join(MANIFEST_FILE);
        std::fs::write(&file, json)?;
        std::fs::File::open(&file)?.sync_all()?;
        sync_dir(&staging)?;
        let done = self.path(&manifest.name);
        std::fs::rename(&staging, &done)?;
        sync_dir(&self.dir)?;
        Ok(done)
    }

    pub fn read_manifest(&self, name: &str) -> anyhow::Result<Manifest> {
        let path = self.path(name).join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let m = Manifest::parse(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if m.name != name {
            anyhow::bail!("{}: the manifest names {}, not {name}", path.display(), m.name);
        }
        Ok(m)
    }

    /// Everything in the directory that is or was meant to be a set, oldest first.
    pub fn list(&self) -> io::Result<Vec<Listed>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort_by(|a, b| a.trim_start_matches(INCOMPLETE_PREFIX).cmp(b.trim_start_matches(INCOMPLETE_PREFIX)));
        let mut out = Vec::new();
        for name in names {
            if let Some(set) = name.strip_prefix(INCOMPLETE_PREFIX) {
                if parse_set_name(set).is_some() {
                    out.push(Listed::Incomplete { name: set.to_owned() });
                }
            } else if parse_set_name(&name).is_some() {
                out.push(match self.read_manifest(&name) {
                    Ok(m) => Listed::Complete(m),
                    Err(e) => Listed::Unreadable { name, error: e.to_string() },
                });
            }
        }
        Ok(out)
    }

    /// Complete sets only, oldest first.
    pub fn complete(&self) -> io::Result<Vec<Manifest>> {
        Ok(self
            .list()?
            .into_iter()
            .filter_map(|l| match l {
                Listed::Complete(m) => Some(m),
                _ => None,
            })
            .collect())
    }

    /// Deletes a set: first renamed back to incomplete (so a crash mid-delete leaves no
    /// half-set that looks complete), then removed.
    pub fn delete(&self, name: &str) -> io::Result<()> {
        let path = self.path(name);
        if !path.exists() {
            return Ok(());
        }
        let doomed = self.staging(name);
        if doomed.exists() {
            std::fs::remove_dir_all(&doomed)?;
        }
        std::fs::rename(&path, &doomed)?;
        sync_dir(&self.dir)?;
        std::fs::remove_dir_all(&doomed)
    }

    /// Removes the folders of backups that stopped half-way. Only call it holding the backup
    /// lease (no backup is being built then).
    pub fn remove_incomplete(&self) -> io::Result<Vec<String>> {
        let mut removed = Vec::new();
        for l in self.list()? {
            if let Listed::Incomplete { name } = l {
                std::fs::remove_dir_all(self.staging(&name))?;
                removed.push(name);
            }
        }
        Ok(removed)
    }
}

/// Checks every part of the set in `dir` against the manifest: present, same size, same SHA-256.
/// Returns one line per problem (empty = intact).
pub fn check_parts(dir: &Path, manifest: &Manifest, progress: &dyn Progress) -> io::Result<Vec<String>> {
    let mut problems = Vec::new();
    let total = manifest.size();
    progress.stage("checksums", Some(total));
    for part in &manifest.parts {
        let path = dir.join(&part.file);
        let len = match std::fs::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                problems.push(format!("part {} is missing", part.file));
                continue;
            }
            Err(e) => return Err(e),
        };
        if len != part.size {
            problems.push(format!("part {}: {len} bytes, the manifest says {}", part.file, part.size));
            progress.advance(part.size);
            continue;
        }
        if sha256_file(&path, progress)? != part.sha256 {
            problems.push(format!("part {}: the SHA-256 differs from the manifest (the file is damaged)", part.file));
        }
    }
    Ok(problems)
}
