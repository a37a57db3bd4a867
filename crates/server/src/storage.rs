//! File storage for attachments, over the `object_store` crate: a directory under the data dir
//! by default (one instance), an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Wasabi…)
//! when several instances share the files.
//!
//! Keys are made by the caller from ids and random UUIDs, never from a client's file name.

use crate::config::{ConfigError, err};
use axum::body::Bytes;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the files go.
#[derive(Clone)]
pub enum StorageConfig {
    /// A local directory (created at start-up).
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3(S3Config),
}

#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing `/`), may be empty.
    pub prefix: String,
    /// `https://…` of a non-AWS service (MinIO, R2); `None` = AWS.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
}

impl fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageConfig::Local(dir) => f.debug_tuple("Local").field(dir).finish(),
            StorageConfig::S3(s3) => f
                .debug_struct("S3")
                .field("bucket", &s3.bucket)
                .field("prefix", &s3.prefix)
                .field("endpoint", &s3.endpoint)
                .field("region", &s3.region)
                .field("access_key_id", &s3.access_key_id)
                .field("secret_access_key", &s3.secret_access_key.as_ref().map(|_| "[redacted]"))
                .finish(),
        }
    }
}

/// Reads `AGLIS_STORAGE_*`: unset, `<data dir>/files`; `s3://bucket/prefix` with its endpoint,
/// region and keys; or a local directory (`file:///srv/aglis/files` or a plain path).
pub fn parse_config(get: &dyn Fn(&str) -> Option<String>, data_dir: &Path) -> Result<StorageConfig, ConfigError> {
    const URL: &str = "AGLIS_STORAGE_URL";
    let s3_vars = [
        "AGLIS_STORAGE_S3_ENDPOINT",
        "AGLIS_STORAGE_S3_REGION",
        "AGLIS_STORAGE_S3_ACCESS_KEY_ID",
        "AGLIS_STORAGE_S3_SECRET_ACCESS_KEY",
    ];
    let url = get(URL).filter(|u| !u.is_empty());
    let Some(rest) = url.as_deref().and_then(|u| u.strip_prefix("s3://")) else {
        if let Some(var) = s3_vars.iter().find(|v| get(v).is_some_and(|x| !x.is_empty())) {
            return Err(err(var, format!("is only used with {URL}=s3://bucket/prefix")));
        }
        return match url {
            None => Ok(StorageConfig::Local(data_dir.join("files"))),
            Some(u) if u.contains("://") && !u.starts_with("file://") => Err(err(
                URL,
                format!("`{u}` is neither s3://bucket/prefix nor a local directory (file:///srv/aglis/files)"),
            )),
            Some(u) => {
                let dir = u.strip_prefix("file://").unwrap_or(&u);
                if dir.is_empty() {
                    return Err(err(URL, "names no directory"));
                }
                Ok(StorageConfig::Local(PathBuf::from(dir)))
            }
        };
    };
    Ok(StorageConfig::S3(parse_s3(get, URL, "AGLIS_STORAGE_S3", rest)?))
}

/// The bucket part of an `s3://bucket/prefix` URL given in `url_var`, with the endpoint, region and
/// keys from `<vars>_ENDPOINT`, `<vars>_REGION`, `<vars>_ACCESS_KEY_ID` and `<vars>_SECRET_ACCESS_KEY`.
pub(crate) fn parse_s3(
    get: &dyn Fn(&str) -> Option<String>,
    url_var: &str,
    vars: &str,
    rest: &str,
) -> Result<S3Config, ConfigError> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !valid_bucket {
        return Err(err(
            url_var,
            format!(
                "`{bucket}` is not a bucket name (3–63 lower-case letters, digits, dots or dashes), as in s3://aglis-files/prod"
            ),
        ));
    }
    let prefix = prefix.trim_matches('/').to_owned();
    if prefix.split('/').any(|part| part == "." || part == "..") || prefix.contains("//") {
        return Err(err(url_var, format!("`{prefix}` is not a usable key prefix")));
    }
    let (endpoint_var, region_var) = (format!("{vars}_ENDPOINT"), format!("{vars}_REGION"));
    let (key_var, secret_var) = (format!("{vars}_ACCESS_KEY_ID"), format!("{vars}_SECRET_ACCESS_KEY"));
    let endpoint = match get(&endpoint_var).filter(|e| !e.is_empty()) {
        Some(e) => Some(crate::config::parse_url(&endpoint_var, &e)?),
        None => None,
    };
    let region = get(&region_var).filter(|r| !r.is_empty()).unwrap_or_else(|| "us-east-1".into());
    if !region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(err(&region_var, format!("`{region}` is not a region such as ap-southeast-3")));
    }
    let access_key_id = get(&key_var).filter(|k| !k.is_empty());
    let secret_access_key = get(&secret_var).filter(|k| !k.is_empty()).map(SecretString::from);
    match (&access_key_id, &secret_access_key) {
        (Some(_), None) => {
            return Err(err(&secret_var, format!("is needed with {key_var}")));
        }
        (None, Some(_)) => {
            return Err(err(&key_var, format!("is needed with {secret_var}")));
        }
        _ => {}
    }
    Ok(S3Config { bucket: bucket.to_owned(), prefix, endpoint, region, access_key_id, secret_access_key })
}

/// The file store every instance uses. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// For logs: the directory or `s3://bucket/prefix` (no credentials).
    describe: String,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage").field("at", &self.describe).finish()
    }
}

/// A storage failure (the disk or the bucket), with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("file storage ({at}): {action} {key}: {source}")]
pub struct StorageError {
    at: String,
    action: &'static str,
    key: String,
    #[source]
    source: object_store::Error,
}

impl Storage {
    /// Opens the configured store (creating the local directory).
    pub fn from_config(config: &StorageConfig) -> anyhow::Result<Self> {
        match config {
            StorageConfig::Local(dir) => Self::local(dir),
            StorageConfig::S3(s3) => Self::s3(s3, "AGLIS_STORAGE_URL"),
        }
    }

    pub fn local(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("AGLIS_STORAGE_URL: cannot create {}: {e}", dir.display()))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| anyhow::anyhow!("AGLIS_STORAGE_URL: cannot use {}: {e}", dir.display()))?
            .with_automatic_cleanup(true);
        Ok(Storage { store: Arc::new(fs), describe: dir.display().to_string() })
    }

    /// A bucket; `var` names the setting in errors.
    pub fn s3(c: &S3Config, var: &str) -> anyhow::Result<Self> {
        aglis_integrations::http::install_crypto_provider();
        let mut b = object_store::aws::AmazonS3Builder::new().with_bucket_name(&c.bucket).with_region(&c.region);
        if let Some(e) = &c.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&c.access_key_id, &c.secret_access_key) {
            b = b.with_access_key_id(id).with_secret_access_key(secret.expose_secret());
        }
        let s3 = b.build().map_err(|e| anyhow::anyhow!("{var}: cannot use s3://{}: {e}", c.bucket))?;
        let describe = format!("s3://{}/{}", c.bucket, c.prefix);
        let store: Arc<dyn ObjectStore> = if c.prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(s3, c.prefix.as_str()))
        };
        Ok(Storage { store, describe })
    }

    /// An in-memory store (tests).
    pub fn memory() -> Self {
        Storage { store: Arc::new(object_store::memory::InMemory::new()), describe: "memory".into() }
    }

    /// Any store (tests wrap one to make it fail).
    pub fn with_store(store: Arc<dyn ObjectStore>, describe: &str) -> Self {
        Storage { store, describe: describe.to_owned() }
    }

    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The store itself, for streaming reads and writes (backups).
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Every object under `prefix` (all when empty): key and size, in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>, StorageError> {
        use futures_util::TryStreamExt;
        let at = (!prefix.is_empty()).then(|| Key::from(prefix));
        let mut out: Vec<(String, u64)> = self
            .store
            .list(at.as_ref())
            .map_ok(|m| (m.location.to_string(), m.size))
            .try_collect()
            .await
            .map_err(|e| self.fail("listing", prefix, e))?;
        out.sort();
        Ok(out)
    }

    fn fail(&self, action: &'static str, key: &str, source: object_store::Error) -> StorageError {
        StorageError { at: self.describe.clone(), action, key: key.to_owned(), source }
    }

    /// Writes `bytes` at `key`, whole or not at all.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store.put(&Key::from(key), bytes.into()).await.map(|_| ()).map_err(|e| self.fail("writing", key, e))
    }

    /// The object at `key`; `None` when it is not there.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        match self.store.get(&Key::from(key)).await {
            Ok(r) => r.bytes().await.map(Some).map_err(|e| self.fail("reading", key, e)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail("reading", key, e)),
        }
    }

    /// Removes `key` (already gone is fine).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.fail("deleting", key, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<StorageConfig, ConfigError> {
        let env: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse_config(&|k| env.get(k).cloned(), Path::new("/var/lib/aglis"))
    }

    #[test]
    fn local_by_default_s3_when_asked() {
        match parse(&[]).expect("default") {
            StorageConfig::Local(d) => assert_eq!(d, Path::new("/var/lib/aglis/files")),
            other => panic!("{other:?}"),
        }
        match parse(&[("AGLIS_STORAGE_URL", "file:///srv/files")]).expect("file") {
            StorageConfig::Local(d) => assert_eq!(d, Path::new("/srv/files")),
            other => panic!("{other:?}"),
        }
        let c = parse(&[
            ("AGLIS_STORAGE_URL", "s3://aglis-files/prod/tickets/"),
            ("AGLIS_STORAGE_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("AGLIS_STORAGE_S3_ACCESS_KEY_ID", "minio"),
            ("AGLIS_STORAGE_S3_SECRET_ACCESS_KEY", "minio-secret-123"),
        ])
        .expect("s3");
        let StorageConfig::S3(s3) = &c else { panic!("{c:?}") };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str(), s3.region.as_str()),
            ("aglis-files", "prod/tickets", "us-east-1")
        );
        assert!(!format!("{c:?}").contains("minio-secret-123"), "Debug never shows the secret");
        assert!(Storage::from_config(&c).is_ok(), "builds without touching the network");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (pairs, var) in [
            (vec![("AGLIS_STORAGE_URL", "ftp://x/y")], "AGLIS_STORAGE_URL"),
            (vec![("AGLIS_STORAGE_URL", "s3://A_B")], "AGLIS_STORAGE_URL"),
            (vec![("AGLIS_STORAGE_URL", "s3://bucket/../x")], "AGLIS_STORAGE_URL"),
            (
                vec![("AGLIS_STORAGE_URL", "s3://bucket"), ("AGLIS_STORAGE_S3_ENDPOINT", "minio:9000")],
                "AGLIS_STORAGE_S3_ENDPOINT",
            ),
            (
                vec![("AGLIS_STORAGE_URL", "s3://bucket"), ("AGLIS_STORAGE_S3_ACCESS_KEY_ID", "k")],
                "AGLIS_STORAGE_S3_SECRET_ACCESS_KEY",
            ),
            (
                vec![("AGLIS_STORAGE_URL", "s3://bucket"), ("AGLIS_STORAGE_S3_REGION", "ap south")],
                "AGLIS_STORAGE_S3_REGION",
            ),
            (vec![("AGLIS_STORAGE_S3_REGION", "ap-southeast-3")], "AGLIS_STORAGE_S3_REGION"),
        ] {
            assert_eq!(parse(&pairs).expect_err("must fail").var, var, "{pairs:?}");
        }
    }

    #[tokio::test]
    async fn local_round_trip_and_delete() {
        let dir = std::env::temp_dir().join(format!("aglis-storage-{}", uuid::Uuid::new_v4().simple()));
        let s = Storage::local(&dir).expect("local");
        s.put("tickets/7/a.png", Bytes::from_static(b"png bytes")).await.expect("put");
        assert_eq!(s.get("tickets/7/a.png").await.expect("get").as_deref(), Some(&b"png bytes"[..]));
        assert!(dir.join("tickets/7/a.png").is_file(), "stored under the directory");
        s.delete("tickets/7/a.png").await.expect("delete");
        assert_eq!(s.get("tickets/7/a.png").await.expect("get"), None);
        s.delete("tickets/7/a.png").await.expect("deleting twice is fine");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
