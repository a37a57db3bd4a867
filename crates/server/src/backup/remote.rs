//! The off-site copy: every complete set copied to an S3-compatible bucket
//! (`AGLIS_BACKUP_S3_URL`) as `<set>/<part>`, the manifest last so a set in the bucket is complete
//! only once it is all there; fetched back when the backup directory lacks a set.

use super::config::BackupConfig;
use super::progress::Progress;
use super::set::LocalSets;
use crate::storage::Storage;
use aglis_core::backup::{MANIFEST_FILE, Manifest, parse_set_name};
use futures_util::StreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, WriteMultipart};
use std::io::Read;
use std::path::Path;

const CHUNK: usize = 8 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Remote {
    storage: Storage,
}

impl Remote {
    /// The configured bucket, or `None`.
    pub fn from_config(config: &BackupConfig) -> anyhow::Result<Option<Remote>> {
        match &config.remote {
            None => Ok(None),
            Some(s3) => Ok(Some(Remote { storage: Storage::s3(s3, "AGLIS_BACKUP_S3_URL")? })),
        }
    }

    pub fn describe(&self) -> &str {
        self.storage.describe()
    }

    /// Uploads the set in `dir`: parts (streamed in 8 MiB pieces), then the manifest.
    pub async fn upload(&self, dir: &Path, manifest: &Manifest, progress: &dyn Progress) -> anyhow::Result<()> {
        progress.stage("upload", Some(manifest.size()));
        for part in &manifest.parts {
            let key = Key::from(format!("{}/{}", manifest.name, part.file));
            let upload = self.storage.store().put_multipart(&key).await?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
            let mut file = std::fs::File::open(dir.join(&part.file))?;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                writer.wait_for_capacity(4).await?;
                writer.write(&buf[..n]);
                progress.advance(n as u64);
            }
            writer.finish().await.map_err(|e| anyhow::anyhow!("{}: uploading {key}: {e}", self.describe()))?;
        }
        let json = serde_json::to_vec_pretty(manifest)?;
        self.storage.put(&format!("{}/{MANIFEST_FILE}", manifest.name), json.into()).await?;
        Ok(())
    }

    /// Names of the complete sets in the bucket, oldest first.
    pub async fn list(&self) -> anyhow::Result<Vec<String>> {
        let mut names: Vec<String> = self
            .storage
            .list("")
            .await?
            .into_iter()
            .filter_map(|(key, _)| {
                let (name, file) = key.split_once('/')?;
                (file == MANIFEST_FILE && parse_set_name(name).is_some()).then(|| name.to_owned())
            })
            .collect();
        names.sort();
        Ok(names)
    }

    pub async fn manifest(&self, name: &str) -> anyhow::Result<Option<Manifest>> {
        match self.storage.get(&format!("{name}/{MANIFEST_FILE}")).await? {
            None => Ok(None),
            Some(bytes) => Ok(Some(Manifest::parse(&bytes).map_err(|e| anyhow::anyhow!("{name} in the bucket: {e}"))?)),
        }
    }

    /// Fetches a set into the backup directory (built in its staging folder, renamed when whole).
    pub async fn download(&self, name: &str, local: &LocalSets, progress: &dyn Progress) -> anyhow::Result<Manifest> {
        let manifest = self
            .manifest(name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no complete set {name} in {}", self.describe()))?;
        let staging = local.begin(name)?;
        progress.stage("download", Some(manifest.size()));
        for part in &manifest.parts {
            let key = Key::from(format!("{name}/{}", part.file));
            let mut stream = self.storage.store().get(&key).await?.into_stream();
            let mut file = tokio::fs::File::create(staging.join(&part.file)).await?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await?;
                progress.advance(chunk.len() as u64);
            }
            file.sync_all().await?;
        }
        local.commit(&manifest)?;
        Ok(manifest)
    }

    /// Deletes a set from the bucket, manifest first (so it stops counting as complete at once).
    pub async fn delete(&self, manifest: &Manifest) -> anyhow::Result<()> {
        self.storage.delete(&format!("{}/{MANIFEST_FILE}", manifest.name)).await?;
        for part in &manifest.parts {
            self.storage.delete(&format!("{}/{}", manifest.name, part.file)).await?;
        }
        Ok(())
    }
}
