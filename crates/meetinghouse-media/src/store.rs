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

impl StoreError {
    /// Whether a write failed for want of room where the bytes are kept:
    /// the disk is full (`ENOSPC`) or the account's disk quota is spent
    /// (`EDQUOT`). Nothing was stored under the key; the operator has to
    /// make room before uploads work again.
    pub fn is_out_of_space(&self) -> bool {
        match self {
            StoreError::Io(e) => out_of_space(e),
            _ => false,
        }
    }
}

/// `ENOSPC` or `EDQUOT`, by kind and, for systems whose numbers the
/// standard library does not map to a kind, by number.
fn out_of_space(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    const ENOSPC: i32 = 28;
    #[cfg(target_os = "linux")]
    const EDQUOT: i32 = 122;
    #[cfg(not(target_os = "linux"))]
    const EDQUOT: i32 = 69;
    matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded) || e.raw_os_error().is_some_and(|n| n == ENOSPC || n == EDQUOT)
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

    /// Stores the bytes under the key's path unless a file is there: a
    /// temporary file beside it, written and synced, then renamed into
    /// place. A write that fails (a full disk included) leaves neither file:
    /// the temporary one is removed, and nothing ever had the key's name.
    /// Done on a blocking thread with the standard library's files, whose
    /// every error comes back from the call that met it (tokio's `File`
    /// hands a write to another thread and reports its failure only at the
    /// next write or flush, so a full disk could pass for a stored file).
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path(key);
        let bytes = bytes.to_vec();
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
        let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
        let tmp_name = format!(".{key}.{suffix}.tmp");
        tokio::task::spawn_blocking(move || put_file(&path, &tmp_name, &bytes))
            .await
            .map_err(|e| std::io::Error::other(format!("the media write stopped: {e}")))??;
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        match tokio::fs::metadata(self.path(key)).await {
            Ok(_) => Ok(true),
            Err(e) if absent(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match tokio::fs::read(self.path(key)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if absent(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(e) if !absent(&e) => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Whether a file's error says it is not there: no such file, or a shard
/// on its path that is not a directory (so nothing can be under it).
fn absent(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory)
}

/// [`LocalStore::put`]'s work: `path` unless it exists, through `tmp_name`
/// in the same directory.
fn put_file(path: &Path, tmp_name: &str, bytes: &[u8]) -> std::io::Result<()> {
    if path.try_exists()? {
        return Ok(());
    }
    let dir = path.parent().expect("sharded paths have a parent");
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(tmp_name);
    // On disk before it has its name: a crash never leaves a short file under a key.
    let written = write_synced(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Writes `bytes` to the file at `at` (made, or emptied) and waits until
/// they are on disk; every error, a full disk's included, is returned.
fn write_synced(at: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(at)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write the disk has no room for is an error, known as one: `/dev/full`
    /// answers every write with the system's own "no space left on device".
    #[test]
    fn a_full_disk_is_an_error_known_as_out_of_space() {
        let e = write_synced(Path::new("/dev/full"), &[7u8; 4096]).expect_err("a full disk takes nothing");
        assert_eq!(e.raw_os_error(), Some(28), "{e}");
        assert!(StoreError::Io(e).is_out_of_space());
        assert!(StoreError::Io(std::io::Error::from_raw_os_error(122)).is_out_of_space() == cfg!(target_os = "linux"), "EDQUOT");
        assert!(!StoreError::Io(std::io::Error::from_raw_os_error(13)).is_out_of_space(), "EACCES is not");
        assert!(!StoreError::S3("503".into()).is_out_of_space());
    }

    /// A store whose directory cannot be made (its root is a file) fails
    /// with the system's error and leaves nothing under the key.
    #[tokio::test]
    async fn a_failed_write_leaves_no_file() {
        let dir = std::env::temp_dir().join(format!("mh-media-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = dir.join("not-a-directory");
        std::fs::write(&root, b"a file where the store's folder should be").unwrap();
        let store = MediaStore::Local(LocalStore::new(&root));
        let key = format!("{}.jpg", "ab".repeat(32));
        let e = store.put(&key, b"bytes", "image/jpeg").await.expect_err("nowhere to write");
        assert!(matches!(&e, StoreError::Io(io) if io.raw_os_error().is_some()), "{e:?}");
        assert!(!e.is_out_of_space());
        assert_eq!(store.get(&key).await.unwrap(), None, "nothing under the key");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
