//! One module per subcommand.

pub mod admin;
pub mod backup;
pub mod bridges;
pub mod common_ground;
pub mod demo;
pub mod export;
pub mod import;
pub mod migrate;
pub mod serve;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
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
            // Made, with any folder above it, for its owner only, as the
            // data folder is (the images of members-only stories are in it).
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).with_context(|| format!("could not create the media directory {}", dir.display()))?;
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
    /// Neither apply nor check them: the database as it is (`backup`).
    Leave,
}

/// Opens the configured database: SQLite in the data directory unless a
/// PostgreSQL URL is given. SQLite is a single node, so it is migrated
/// automatically (after a backup beside it); PostgreSQL is shared, so it is
/// migrated only on request. A SQLite database that is not there is refused,
/// naming the path looked at: only `serve`, `migrate` and `demo` make a new
/// one ([`open_or_create_db`]), so a command pointed at the wrong folder
/// does not report success into a stray, empty database.
pub async fn open_db(store: &StoreConfig, migrations: Migrations) -> anyhow::Result<Db> {
    Ok(open(store, migrations, false).await?.db)
}

/// [`open_db`], creating the SQLite database (and its folder) when it is not
/// there: for `serve`, `migrate` and `demo`, which make a meeting house.
pub async fn open_or_create_db(store: &StoreConfig, migrations: Migrations) -> anyhow::Result<Db> {
    Ok(open(store, migrations, true).await?.db)
}

/// An opened database, with what opening it did.
pub struct Opened {
    pub db: Db,
    /// Where the database is, for the operator: the SQLite file's absolute
    /// path, or the PostgreSQL URL without its password.
    pub location: String,
    /// The copy of a SQLite database taken before migrating it, if one was.
    pub backup: Option<PathBuf>,
}

/// The SQLite file a configuration names, as an absolute path (the default
/// data directory is relative to where the command runs): `meetinghouse.db`
/// in the data folder, or the file a `sqlite:PATH` URL names. `None` for
/// PostgreSQL and an in-memory SQLite URL.
pub fn sqlite_file(store: &StoreConfig) -> Option<PathBuf> {
    let path = match &store.database_url {
        Some(url) => Db::sqlite_url_file(url)?,
        None => store.data_dir.join("meetinghouse.db"),
    };
    Some(std::path::absolute(&path).unwrap_or(path))
}

/// Where the configured database is, for messages: the SQLite file's
/// absolute path or the PostgreSQL URL without its password.
pub fn location(store: &StoreConfig) -> String {
    match (sqlite_file(store), &store.database_url) {
        (Some(file), _) => file.display().to_string(),
        (None, Some(url)) => crate::config::redact_url(url),
        (None, None) => unreachable!("without a URL the database is a SQLite file"),
    }
}

/// The store's error, with a message in plain words (a folder that cannot
/// be made, a read-only database) shown as itself rather than as "error
/// communicating with database: …".
fn plainly(e: meetinghouse_store::StoreError) -> anyhow::Error {
    use std::error::Error;
    if let meetinghouse_store::StoreError::Database(_) = &e
        && let Some(io) = e.source().and_then(|s| s.downcast_ref::<std::io::Error>())
    {
        return anyhow::anyhow!("{io}");
    }
    e.into()
}

/// Opens the database (see [`open_db`]); `create` lets a missing SQLite
/// database be made. A `sqlite:PATH` URL opens PATH as the data folder's
/// `meetinghouse.db` is opened: made only with `create`.
pub async fn open(store: &StoreConfig, migrations: Migrations, create: bool) -> anyhow::Result<Opened> {
    let options = DbOptions { max_connections: store.max_connections };
    let location = location(store);
    let db = match (sqlite_file(store), &store.database_url) {
        (None, Some(url)) => Db::connect(url, &options)
            .await
            .with_context(|| format!("could not connect to {}", crate::config::redact_url(url)))?,
        (None, None) => unreachable!("without a URL the database is a SQLite file"),
        (Some(path), url) => {
            let setting = match url {
                Some(_) => "--database-url (or MEETINGHOUSE_DATABASE_URL, or database_url in the --config file) at the meeting house's database file",
                None => "--data-dir (or MEETINGHOUSE_DATA_DIR, or data_dir in the --config file) at the meeting house's data folder, the one holding meetinghouse.db",
            };
            if url.is_none() && store.data_dir.exists() && !store.data_dir.is_dir() {
                let dir = std::path::absolute(&store.data_dir).unwrap_or(store.data_dir.clone());
                bail!("the data folder {} is a file, not a folder: nothing was done. Point --data-dir (or MEETINGHOUSE_DATA_DIR, or data_dir in the --config file) at a folder", dir.display());
            }
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => {}
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => bail!(
                    "{} cannot be reached by this user: nothing was done. Make the folders on the way to it, the folder it is in, and the file \
                     readable and writable by the user running meetinghouse",
                    path.display()
                ),
                _ if create => {}
                _ => bail!(
                    "there is no meeting-house database at {}: nothing was done. Point {setting}; `meetinghouse migrate` makes a new, empty one there",
                    path.display()
                ),
            }
            Db::open_sqlite_file(&path, &options, create).await.map_err(plainly).with_context(|| format!("could not open {}", path.display()))?
        }
    };
    tracing::info!(database = %location, "opened the database");
    let mut backup = None;
    if migrations == Migrations::Leave {
        // Read as it is.
    } else if db.backend() == Backend::Sqlite || migrations == Migrations::Apply {
        // sqlx takes no lock to migrate SQLite: two commands started at once
        // on a new database would both migrate it. The second waits here.
        let _migrating = match db.sqlite_path().and_then(|file| file.parent()) {
            Some(dir) => lock_folder(dir).await,
            None => None,
        };
        if db.backend() == Backend::Sqlite {
            backup = backup_before_migrating(&db).await?;
        }
        db.migrate().await.context("could not apply database migrations")?;
        // Data the SQL migrations cannot remake: the search index's text.
        let remade = meetinghouse_core::search::refresh_index_text(&db).await.context("could not update the search index")?;
        if remade > 0 {
            tracing::info!(documents = remade, "search index: remade the text of documents indexed by an older version");
        }
        // Collection objects stored before migration 0050 get their place in the list's order.
        let sorted = meetinghouse_core::collection::fill_sort_keys(&db).await.context("could not order the collection objects")?;
        if sorted > 0 {
            tracing::info!(objects = sorted, "collection: gave older objects their place in the list's order");
        }
    } else {
        db.ensure_current().await?;
    }
    Ok(Opened { db, location, backup })
}

/// Waits for, and holds until the returned file is dropped, an exclusive
/// advisory lock on the folder `dir` (the SQLite database's), which every
/// meetinghouse process migrating a database in it takes. The folder is
/// locked, not the database file: closing a handle of the database file
/// would drop the locks SQLite holds on it in this process. Where the lock
/// cannot be had (a file system without locks), nothing is waited for.
async fn lock_folder(dir: &std::path::Path) -> Option<std::fs::File> {
    let dir = dir.to_path_buf();
    let locked = tokio::task::spawn_blocking(move || {
        let folder = std::fs::File::open(&dir)?;
        folder.lock()?;
        Ok::<_, std::io::Error>(folder)
    })
    .await;
    match locked {
        Ok(Ok(folder)) => Some(folder),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "could not lock the data folder while migrating");
            None
        }
        Err(_) => None,
    }
}

/// Before migrations are applied to a SQLite database that has a schema
/// already, copies it beside itself as
/// `meetinghouse-backup-schema-<N>-<YYYY-MM-DD-HHMMSS>.db` (N its latest
/// migration, the time in UTC), so going back means restoring that file.
/// Nothing is copied for a new database, one that is current, or one a newer
/// binary migrated (refused right after).
async fn backup_before_migrating(db: &Db) -> anyhow::Result<Option<PathBuf>> {
    let Some(file) = db.sqlite_path() else { return Ok(None) };
    let status = db.migration_status().await?;
    let Some(&from) = status.applied.iter().max() else { return Ok(None) };
    if status.pending.is_empty() || from > db.latest_known_migration() {
        return Ok(None);
    }
    let now = meetinghouse_store::now();
    let day = meetinghouse_core::clock::Zone::utc().day_of(now).map(|d| d.to_string()).unwrap_or_default();
    let secs = now.rem_euclid(86_400);
    let stamp = format!("{day}-{:02}{:02}{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    let dir = file.parent().unwrap_or(std::path::Path::new("."));
    let mut out = dir.join(format!("meetinghouse-backup-schema-{from}-{stamp}.db"));
    for n in 2.. {
        if out.symlink_metadata().is_err() {
            break;
        }
        out = dir.join(format!("meetinghouse-backup-schema-{from}-{stamp}-{n}.db"));
    }
    db.backup_sqlite(&out).await.with_context(|| {
        format!("could not back up the database to {} before migrating it, so it was not migrated", out.display())
    })?;
    tracing::info!(
        backup = %out.display(),
        "migrating the database from schema {from} to {}: a copy from before is at {} (images are not in it: they stay in the media folder)",
        db.latest_known_migration(),
        out.display()
    );
    Ok(Some(out))
}
