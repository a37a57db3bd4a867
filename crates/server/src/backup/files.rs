//! The files part: every object of the file store (ticket photos, documents) in one tar archive,
//! compressed. Objects are immutable (their keys carry ids and random UUIDs), so copying them after
//! the database snapshot gives every file that snapshot refers to.

use super::archive::{PartWriter, Written, open_part};
use super::progress::Progress;
use crate::storage::Storage;
use std::path::Path;
use std::sync::Arc;

pub const PART_FILE: &str = "files.tar.zst";

/// Packs the whole store into `dst`; returns the part and the number of files.
pub async fn pack(storage: &Storage, dst: &Path, progress: Arc<dyn Progress>) -> anyhow::Result<(Written, u64)> {
    let objects = storage.list("").await?;
    let total: u64 = objects.iter().map(|(_, size)| size).sum();
    progress.stage("files", Some(total));
    let storage = storage.clone();
    let dst = dst.to_owned();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || -> anyhow::Result<(Written, u64)> {
        let mut tar = tar::Builder::new(PartWriter::create(&dst)?);
        let mut count = 0u64;
        for (key, _) in &objects {
            // Deleted since the listing (an attachment removed meanwhile): nothing to keep.
            let Some(bytes) = handle.block_on(storage.get(key))? else { continue };
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, key, bytes.as_ref())?;
            progress.advance(bytes.len() as u64);
            count += 1;
        }
        let written = tar.into_inner()?.finish()?;
        Ok((written, count))
    })
    .await?
}

/// Checks that the archive reads to its end and holds `expected` files (a decompression or tar
/// error, or a different count, is a damaged part).
pub async fn check(src: &Path, expected: u64) -> anyhow::Result<()> {
    let src = src.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut archive = tar::Archive::new(open_part(&src)?);
        let mut count = 0u64;
        for entry in archive.entries()? {
            let mut entry = entry?;
            std::io::copy(&mut entry, &mut std::io::sink())?;
            count += 1;
        }
        if count != expected {
            anyhow::bail!("the files part holds {count} files, the manifest says {expected}");
        }
        Ok(())
    })
    .await?
}

/// Writes every file of the archive into `storage` (same keys). Returns how many.
pub async fn unpack(src: &Path, storage: &Storage, progress: Arc<dyn Progress>) -> anyhow::Result<u64> {
    progress.stage("files", None);
    let src = src.to_owned();
    let storage = storage.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let mut archive = tar::Archive::new(open_part(&src)?);
        let mut count = 0u64;
        for entry in archive.entries()? {
            let mut entry = entry?;
            let key = entry.path()?.to_string_lossy().into_owned();
            let safe = !key.starts_with('/') && !key.split('/').any(|p| p.is_empty() || p == "." || p == "..");
            if !safe {
                anyhow::bail!("the files part holds an unsafe path `{key}`; refusing to restore it");
            }
            let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
            std::io::Read::read_to_end(&mut entry, &mut bytes)?;
            handle.block_on(storage.put(&key, bytes.into()))?;
            progress.advance(1);
            count += 1;
        }
        Ok(count)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::progress::Silent;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn packs_and_unpacks_every_object() {
        let from = Storage::memory();
        from.put("tickets/7/a.png", b"png"[..].into()).await.expect("put");
        from.put("tickets/8/b.pdf", vec![7u8; 300_000].into()).await.expect("put");
        let dir = std::env::temp_dir().join(format!("aglis-files-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let part = dir.join(PART_FILE);
        let (written, count) = pack(&from, &part, Arc::new(Silent)).await.expect("pack");
        assert_eq!(count, 2);
        assert!(written.size < written.raw_size);
        check(&part, 2).await.expect("intact");
        assert!(check(&part, 3).await.is_err(), "a different count is a damaged part");
        let to = Storage::memory();
        assert_eq!(unpack(&part, &to, Arc::new(Silent)).await.expect("unpack"), 2);
        assert_eq!(to.get("tickets/8/b.pdf").await.expect("get").map(|b| b.len()), Some(300_000));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
