//! One module per subcommand.

pub mod admin;
pub mod bridges;
pub mod common_ground;
pub mod demo;
pub mod export;
pub mod import;
pub mod migrate;
pub mod serve;

use std::io::Write;

use anyhow::Context;
use meetinghouse_store::{Backend, Db, DbOptions};

use crate::config::StoreConfig;

/// The configured media store (created and checked: the directory exists,
/// or the S3 bucket is there, created only when it is missing; a key that
/// may not look at the bucket but can store and delete objects is used,
/// with a warning).
pub async fn open_media(store: &StoreConfig) -> anyhow::Result<meetinghouse_media::MediaStore> {
    use meetinghouse_media::{BucketState, LocalStore, MediaStore, S3Store};
    Ok(match &store.media {
        crate::config::MediaConfig::Local(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("could not create the media directory {}", dir.display()))?;
            MediaStore::Local(LocalStore::new(dir))
        }
        crate::config::MediaConfig::S3(config) => {
            let s3 = S3Store::new(config.clone())?;
            match s3.check_bucket().await.context("the S3 bucket for images cannot be used")? {
                BucketState::Exists => {}
                BucketState::Created => tracing::info!(bucket = %config.bucket, "created the S3 bucket for images"),
                BucketState::ObjectsOnly => tracing::warn!(
                    bucket = %config.bucket,
                    "the S3 key may not look at the bucket (HEAD gave 403: no s3:ListBucket), but it can store and delete images, so serving goes on"
                ),
            }
            MediaStore::S3(s3)
        }
    })
}

/// Writes to standard output through one locked, buffered handle. A reader
/// that went away (`| head`) ends the command quietly and successfully, as
/// it asked for no more; any other failure (a full disk, `> /dev/full`) is
/// an error.
pub fn write_stdout(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match f(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context("could not write to standard output")),
    }
}

/// Whether opening the database may apply migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Apply them (always on SQLite; on PostgreSQL only when asked).
    Apply,
    /// Refuse an outdated PostgreSQL schema with a clear message.
    RequireCurrent,
}

/// Opens the configured database: SQLite in the data directory unless a
/// PostgreSQL URL is given. SQLite is a single node, so it is migrated
/// automatically; PostgreSQL is shared, so it is migrated only on request.
pub async fn open_db(store: &StoreConfig, migrations: Migrations) -> anyhow::Result<Db> {
    let options = DbOptions { max_connections: store.max_connections };
    let db = match &store.database_url {
        Some(url) => Db::connect(url, &options)
            .await
            .with_context(|| format!("could not connect to {}", crate::config::redact_url(url)))?,
        None => {
            std::fs::create_dir_all(&store.data_dir)
                .with_context(|| format!("could not create the data directory {}", store.data_dir.display()))?;
            let path = store.data_dir.join("meetinghouse.db");
            Db::open_sqlite(&path, &options).await.with_context(|| format!("could not open {}", path.display()))?
        }
    };
    if db.backend() == Backend::Sqlite || migrations == Migrations::Apply {
        db.migrate().await.context("could not apply database migrations")?;
        // Data the SQL migrations cannot remake: the search index's text.
        let remade = meetinghouse_core::search::refresh_index_text(&db).await.context("could not update the search index")?;
        if remade > 0 {
            tracing::info!(documents = remade, "search index: remade the text of documents indexed by an older version");
        }
    } else {
        db.ensure_current().await?;
    }
    Ok(db)
}
