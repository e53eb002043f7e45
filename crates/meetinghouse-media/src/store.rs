//! Where image bytes are kept: one interface, two places.

use std::path::{Path, PathBuf};

use crate::s3::S3Store;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("media storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("media storage (S3): {0}")]
    S3(String),
    #[error("media storage: the key {0:?} is not a content address")]
    BadKey(String),
}

/// Keys are content addresses: 64 hex digits, a dot, an extension.
fn check_key(key: &str) -> Result<(), StoreError> {
    let ok = key.len() <= 72
        && key.split_once('.').is_some_and(|(hash, ext)| {
            hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if ok { Ok(()) } else { Err(StoreError::BadKey(key.to_string())) }
}

/// The media store the app was configured with.
#[derive(Debug, Clone)]
pub enum MediaStore {
    Local(LocalStore),
    S3(S3Store),
}

impl MediaStore {
    /// Stores bytes under a content-addressed key (a no-op if already there).
    pub async fn put(&self, key: &str, bytes: &[u8], mime: &str) -> Result<(), StoreError> {
        check_key(key)?;
        match self {
            MediaStore::Local(s) => s.put(key, bytes).await,
            MediaStore::S3(s) => s.put(key, bytes, mime).await,
        }
    }

    /// The bytes under a key, or `None`.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(key)?;
        match self {
            MediaStore::Local(s) => s.get(key).await,
            MediaStore::S3(s) => s.get(key).await,
        }
    }

    /// Whether a key is stored.
    pub async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        check_key(key)?;
        match self {
            MediaStore::Local(s) => s.exists(key).await,
            MediaStore::S3(s) => s.exists(key).await,
        }
    }

    /// Removes a key; removing a key that is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        match self {
            MediaStore::Local(s) => s.delete(key).await,
            MediaStore::S3(s) => s.delete(key).await,
        }
    }

    /// A short description for logs ("local /data/media", "s3 bucket at endpoint").
    pub fn describe(&self) -> String {
        match self {
            MediaStore::Local(s) => format!("local {}", s.root.display()),
            MediaStore::S3(s) => s.describe(),
        }
    }
}

/// Files under a directory, sharded by the first two bytes of the hash
/// (`ab/cd/abcd….jpg`), written atomically (temporary file, then rename).
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(&key[0..2]).join(&key[2..4]).join(key)
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path(key);
        if tokio::fs::try_exists(&path).await? {
            return Ok(());
        }
        let dir = path.parent().expect("sharded paths have a parent");
        tokio::fs::create_dir_all(dir).await?;
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
        let tmp = dir.join(format!(".{key}.{}.tmp", suffix.iter().map(|b| format!("{b:02x}")).collect::<String>()));
        let written = async {
            use tokio::io::AsyncWriteExt;
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(bytes).await?;
            // On disk before it has its name: a crash never leaves a short file under a key.
            f.sync_all().await?;
            drop(f);
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        Ok(written?)
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Ok(tokio::fs::try_exists(self.path(key)).await?)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match tokio::fs::read(self.path(key)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
