//! Connecting, migrating and transactions, for both backends.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use crate::error::{Result, StoreError};
use crate::writes::{Batch, SqliteWriter, Written};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions { max_connections: 16 }
    }
}

/// A pool of connections to SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
    max_connections: u32,
    /// SQLite has one writer at a time. Transactions queue for it here, in
    /// order, rather than in SQLite's busy handler, which sleeps in growing
    /// steps (up to 100 ms) and made replies under 64 concurrent writers wait
    /// hundreds of milliseconds at the tail.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The SQLite database file, for the bulk paths that open their own
    /// connection to it (see [`crate::bulk`]); `None` on PostgreSQL.
    sqlite_path: Option<PathBuf>,
    /// The thread that runs [`Batch`]es on a SQLite file; `None` on
    /// PostgreSQL and in-memory SQLite.
    sqlite_writer: Option<std::sync::Arc<SqliteWriter>>,
    /// Connections for [`crate::reads`] on a SQLite file; `None` on
    /// PostgreSQL and in-memory SQLite.
    sqlite_readers: Option<std::sync::Arc<crate::reads::SqliteReaders>>,
}

/// This process's turn to write to SQLite, held while a bulk writer's
/// transaction runs on its own connection; dropping it lets the next writer in.
pub struct WriteTurn(#[allow(dead_code)] Option<tokio::sync::OwnedMutexGuard<()>>);

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password, so only the backend is shown.
        f.debug_struct("Db").field("backend", &self.backend).finish()
    }
}

/// A transaction; commit it with [`Tx::commit`], or drop it to roll back.
/// `&mut **tx` is the connection to run statements on. On SQLite it holds
/// the database's write turn from `BEGIN IMMEDIATE` until it ends.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    pub async fn rollback(self) -> std::result::Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

/// Whether a database's schema matches this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub applied: Vec<i64>,
    pub pending: Vec<i64>,
}

impl Db {
    /// Opens a SQLite database file, creating it (and its directory) if absent.
    pub async fn open_sqlite(path: &Path, options: &DbOptions) -> Result<Db> {
        Db::open_sqlite_file(path, options, true).await
    }

    /// Opens a SQLite database file. With `create`, a missing file (and its
    /// directory) is created; without, a missing file is an error rather than
    /// a new, empty database. The connection is made from the path itself, so
    /// any name the file system allows works (spaces, `?`, `%`, `#`).
    ///
    /// What it creates only its owner may read: the folders it makes are
    /// 0700 and the database file 0600 (SQLite gives its `-wal` and `-shm`
    /// files the database's mode), as they hold password hashes, email
    /// addresses, the instance's secret key and reset links. An existing
    /// folder or file keeps the mode it has. A file or folder this user may
    /// not write is refused at once, in plain words (see [`first_connection`]).
    pub async fn open_sqlite_file(path: &Path, options: &DbOptions, create: bool) -> Result<Db> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if create {
            create_private_dir(dir)?;
        }
        let name = path.file_name().ok_or_else(|| config_error(format!("{} does not name a database file", path.display())))?;
        // The directory's real name: a URL path would fold `..` segments the
        // file system resolves differently (through a symbolic link).
        let dir = std::fs::canonicalize(dir).map_err(sqlx::Error::Io)?;
        let file = dir.join(name);
        if file.is_dir() {
            return Err(plain(std::io::ErrorKind::IsADirectory, format!("{} is a folder, not a database file", file.display())));
        }
        if create {
            create_private_file(&dir, &file)?;
        }
        let url = sqlite_url(&file, create)?;
        Db::open(&url, Backend::Sqlite, Some(file), options).await
    }

    /// The file a `sqlite:` URL names (`sqlite:PATH` or `sqlite://PATH`, its
    /// `%XX` escapes decoded, anything after `?` left out), or `None` for an
    /// in-memory database or a URL that is not `sqlite:`.
    pub fn sqlite_url_file(url: &str) -> Option<PathBuf> {
        sqlite_file(url)
    }

    /// Opens a database by URL: `sqlite://…` or `postgres://…`.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Db> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(config_error("the database URL must start with sqlite:// or postgres://".into()));
        };
        let sqlite_path = (backend == Backend::Sqlite).then(|| sqlite_file(url)).flatten();
        Db::open(url, backend, sqlite_path, options).await
    }

    async fn open(url: &str, backend: Backend, sqlite_path: Option<PathBuf>, options: &DbOptions) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let connect = AnyConnectOptions::from_str(url)?;
        // The pool retries a refused connection until its acquire timeout and
        // then reports only "pool timed out"; one connection made first, set
        // up as every pooled one is, reports what really went wrong.
        first_connection(&connect, backend, sqlite_path.as_deref()).await?;
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(CONNECT_TIMEOUT)
            // A SQLite connection is a file handle that does not go stale;
            // pinging it on every checkout was one more hand-off to its
            // worker thread per query. PostgreSQL keeps the check.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        set_up_sqlite(conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await?;
        let writer: std::sync::Arc<tokio::sync::Mutex<()>> = Default::default();
        let sqlite_writer = match &sqlite_path {
            Some(path) => Some(std::sync::Arc::new(SqliteWriter::start(path, writer.clone())?)),
            None => None,
        };
        let sqlite_readers = sqlite_path.as_deref().map(|p| std::sync::Arc::new(crate::reads::SqliteReaders::new(p)));
        Ok(Db { pool, backend, max_connections: options.max_connections, writer, sqlite_path, sqlite_writer, sqlite_readers })
    }

    pub(crate) fn sqlite_readers(&self) -> Option<&crate::reads::SqliteReaders> {
        self.sqlite_readers.as_deref()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies every embedded migration not yet applied. Refuses a database
    /// a newer binary migrated ([`Db::ensure_not_newer`]).
    pub async fn migrate(&self) -> Result<()> {
        self.ensure_not_newer().await?;
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Applies the embedded migrations up to `version` only: the schema an
    /// older binary left (for tests of upgrades).
    #[doc(hidden)]
    pub async fn migrate_to(&self, version: i64) -> Result<()> {
        self.migrator().run_to(version, &self.pool).await?;
        Ok(())
    }

    /// The highest migration this binary has.
    pub fn latest_known_migration(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Fails with a plain message when the database was migrated by a newer
    /// binary: its schema may have changed in ways this one does not know,
    /// so serving it, or migrating it, could lose or spoil data. Checked by
    /// [`Db::migrate`] and [`Db::ensure_current`].
    pub async fn ensure_not_newer(&self) -> Result<()> {
        let status = self.migration_status().await?;
        match newer_than(&status.applied, self.latest_known_migration()) {
            Some(message) => Err(StoreError::Outdated(message)),
            None => Ok(()),
        }
    }

    /// Compares the applied migrations with the embedded ones.
    pub async fn migration_status(&self) -> Result<MigrationStatus> {
        let exists: Option<(i64,)> = match self.backend {
            Backend::Sqlite => {
                sqlx::query_as(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_optional(&self.pool)
                .await?
            }
            Backend::Postgres => {
                sqlx::query_as("SELECT 1::BIGINT WHERE to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        let applied: Vec<i64> = if exists.is_some() {
            sqlx::query_as::<_, (i64,)>(
                "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
            )
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(v,)| v)
            .collect()
        } else {
            Vec::new()
        };
        let pending = self
            .migrator()
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect();
        Ok(MigrationStatus { applied, pending })
    }

    /// Fails with a plain message when migrations are pending, or when a
    /// newer binary migrated the database ([`Db::ensure_not_newer`]).
    pub async fn ensure_current(&self) -> Result<()> {
        let status = self.migration_status().await?;
        if let Some(message) = newer_than(&status.applied, self.latest_known_migration()) {
            return Err(StoreError::Outdated(message));
        }
        if status.pending.is_empty() {
            return Ok(());
        }
        Err(StoreError::Outdated(format!(
            "the database schema is out of date: {} migration(s) are not applied ({}). \
             Run `meetinghouse migrate`, or start with `serve --migrate`.",
            status.pending.len(),
            status.pending.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
        )))
    }

    /// Starts a transaction. On SQLite it first waits for this process's
    /// write turn, then takes the database's write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before it writes never fails
    /// on a snapshot another writer moved on from.
    pub async fn begin(&self) -> Result<Tx> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.writer.clone().lock_owned().await;
                let inner = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(Tx { inner, _turn: Some(turn) })
            }
            Backend::Postgres => Ok(Tx { inner: self.pool.begin().await?, _turn: None }),
        }
    }

    /// Runs a batch of writes in a transaction of its own (see
    /// [`crate::writes`]): on a SQLite file on the writer thread, otherwise in
    /// a sqlx transaction. Nothing of the batch is stored if a statement fails.
    /// Never call it while holding a [`Tx`] of the same database: on SQLite
    /// the writer thread would wait for the write turn that `Tx` holds. Inside
    /// a transaction, use [`Batch::run_in`].
    pub async fn write(&self, batch: Batch) -> Result<Written> {
        if let Some(w) = &self.sqlite_writer {
            return w.write(batch).await;
        }
        let mut tx = self.begin().await?;
        let written = batch.run_in(&mut tx).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Waits for this process's write turn (SQLite; PostgreSQL has no such
    /// turn and returns at once). A bulk writer holds it for each transaction.
    pub async fn write_turn(&self) -> WriteTurn {
        match self.backend {
            Backend::Sqlite => WriteTurn(Some(self.writer.clone().lock_owned().await)),
            Backend::Postgres => WriteTurn(None),
        }
    }

    /// The SQLite database file, when this is SQLite on a file.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.sqlite_path.as_deref()
    }

    /// Runs a trivial query: used by `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Pool figures for `/metrics`: (connections open, of which idle).
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub fn max_connections(&self) -> u32 {
        self.max_connections
    }

    /// Closes every pooled connection and, on a SQLite file, the writer's:
    /// first the write-ahead log is copied into the database file and
    /// emptied (`PRAGMA wal_checkpoint(TRUNCATE)`), so the file alone then
    /// holds every change — a copy of it is a whole backup. Writes after
    /// this fail. A checkpoint that could not finish (another process was
    /// reading) is logged; its pages stay in the log, which SQLite still reads.
    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(w) = &self.sqlite_writer
            && let Err(e) = w.stop().await
        {
            tracing::warn!(error = %e, "could not fold the SQLite write-ahead log into the database file");
        }
    }

    /// Writes a consistent copy of this SQLite database to `out` with
    /// `VACUUM INTO` (while others keep reading and writing): first under a
    /// temporary name beside it, then linked into place, so `out` is either
    /// the whole copy or absent. Refuses an `out` that exists, and
    /// PostgreSQL (use `pg_dump`).
    pub async fn backup_sqlite(&self, out: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite || self.sqlite_path.is_none() {
            return Err(config_error("only a SQLite database file can be copied this way; back up PostgreSQL with pg_dump".into()));
        }
        let exists = || {
            StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} already exists: nothing was written", out.display()),
            )))
        };
        if out.symlink_metadata().is_ok() {
            return Err(exists());
        }
        let name = out.file_name().ok_or_else(|| config_error(format!("{} does not name a file", out.display())))?;
        let tmp = out.with_file_name(format!(".{}.partial-{}", name.to_string_lossy(), std::process::id()));
        let tmp_text = tmp.to_str().ok_or_else(|| config_error(format!("{} is not UTF-8, which SQLite needs for a file name", tmp.display())))?;
        let _ = std::fs::remove_file(&tmp);
        let result = async {
            // Made empty, readable by its owner only (it holds what the
            // database holds); VACUUM INTO fills an empty file.
            private_file_options().open(&tmp).map_err(sqlx::Error::Io)?;
            sqlx::query("VACUUM INTO $1").bind(tmp_text.to_string()).execute(&self.pool).await?;
            // VACUUM INTO does not sync what it wrote.
            std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(sqlx::Error::Io)?;
            // A hard link never replaces a file that appeared meanwhile.
            match std::fs::hard_link(&tmp, out) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists()),
                // A file system without hard links.
                Err(_) if out.symlink_metadata().is_err() => std::fs::rename(&tmp, out).map_err(|e| StoreError::Database(sqlx::Error::Io(e))),
                Err(_) => Err(exists()),
            }
        }
        .await;
        let _ = std::fs::remove_file(&tmp);
        result
    }
}

/// How long opening a database may take before it is reported as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sets up a SQLite connection as every one of the pool is.
async fn set_up_sqlite(conn: &mut sqlx::AnyConnection) -> std::result::Result<(), sqlx::Error> {
    // WAL lets readers run beside the one writer; the busy
    // timeout makes a second writer wait rather than fail.
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = NORMAL").await?;
    conn.execute("PRAGMA busy_timeout = 5000").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    // A 32 MB page cache per connection. No memory mapping:
    // while replies are being written, every read began by
    // unmapping and remapping the grown file, and the
    // unmapping stalled the other core (about a tenth of
    // the server's time when posting flat out).
    conn.execute("PRAGMA cache_size = -32000").await?;
    Ok(())
}

/// An error in plain words, of the file system's `kind`.
fn plain(kind: std::io::ErrorKind, message: String) -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::new(kind, message)))
}

/// Whether an error says this user may not write there.
fn is_read_only(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem)
}

/// SQLite's (extended) result code in an error, if it is SQLite's.
fn sqlite_code(e: &sqlx::Error) -> Option<i32> {
    match e {
        sqlx::Error::Database(db) => db.code().and_then(|c| c.parse().ok()),
        _ => None,
    }
}

/// `SQLITE_READONLY`: the database cannot be written (the file, or the
/// folder its `-wal` and `-shm` files go in, is read-only for this user).
const SQLITE_READONLY: i32 = 8;
/// `SQLITE_READONLY_DIRECTORY`: the folder is the read-only part.
const SQLITE_READONLY_DIRECTORY: i32 = SQLITE_READONLY | (6 << 8);
/// `SQLITE_BUSY`: another connection holds the lock.
const SQLITE_BUSY: i32 = 5;
/// `SQLITE_CANTOPEN`: the file could not be opened (for a file that is
/// there: this user may not read it).
const SQLITE_CANTOPEN: i32 = 14;

/// What to do about a database file, or its folder (`what`), this user may
/// not write; `kind` says whether it is the user's permissions or a
/// read-only file system.
fn read_only(what: &Path, dir: &Path, file: &Path, kind: std::io::ErrorKind) -> StoreError {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let why = match kind {
        std::io::ErrorKind::ReadOnlyFilesystem => "is on a read-only file system",
        std::io::ErrorKind::PermissionDenied => "is read-only for this user",
        _ => "cannot be opened by this user",
    };
    plain(
        kind,
        format!(
            "{} {why}: make the folder {} and {name} in it readable and writable by the user running meetinghouse \
             (SQLite writes its {name}-wal and {name}-shm files beside the database)",
            what.display(),
            dir.display()
        ),
    )
}

/// Options that make a new file only its owner may read and write (0600).
fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Makes `dir` and any missing folder above it, each only its owner may
/// open (0700); an existing folder is left as it is. A folder that cannot be
/// made is refused saying why: a file in the way, or no permission.
fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    let Err(e) = builder.create(dir) else { return Ok(()) };
    // The nearest part of the path that is there.
    let there = dir.ancestors().skip(1).find(|a| a.as_os_str().is_empty() || a.symlink_metadata().is_ok()).unwrap_or(Path::new("/"));
    let there = if there.as_os_str().is_empty() { Path::new(".") } else { there };
    let in_the_way = dir.ancestors().find(|a| !a.as_os_str().is_empty() && a.symlink_metadata().is_ok() && !a.is_dir());
    let why = match in_the_way {
        Some(file) => format!("{} is a file, not a folder", file.display()),
        None if e.kind() == std::io::ErrorKind::PermissionDenied => {
            format!("the user running meetinghouse may not make folders in {}", there.display())
        }
        None if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => format!("{} is on a read-only file system", there.display()),
        None => e.to_string(),
    };
    Err(plain(e.kind(), format!("could not make the folder {} for the database: {why}", dir.display())))
}

/// Makes the database file, empty, only its owner may read (0600), unless
/// it is there: SQLite then fills it, and gives its `-wal` and `-shm` files
/// the same mode.
fn create_private_file(dir: &Path, file: &Path) -> Result<()> {
    match private_file_options().open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) if is_read_only(&e) => Err(read_only(dir, dir, file, e.kind())),
        Err(e) => Err(plain(e.kind(), format!("could not make the database file {}: {e}", file.display()))),
    }
}

/// Sets a new SQLite connection up and makes sure the database can be
/// written, with a change that is rolled back: SQLite opens a file it may
/// not write read-only, without a word, and fails only on the first write.
/// Another writer holding the lock is no sign of trouble and is not waited for.
async fn check_sqlite_writable(conn: &mut sqlx::AnyConnection) -> std::result::Result<(), sqlx::Error> {
    set_up_sqlite(conn).await?;
    conn.execute("PRAGMA busy_timeout = 0").await?;
    let tried = async {
        conn.execute("BEGIN IMMEDIATE").await?;
        let changed = async {
            let (version,): (i64,) = sqlx::query_as("PRAGMA user_version").fetch_one(&mut *conn).await?;
            conn.execute(sqlx::AssertSqlSafe(format!("PRAGMA user_version = {version}"))).await?;
            Ok::<(), sqlx::Error>(())
        }
        .await;
        conn.execute("ROLLBACK").await?;
        changed
    }
    .await;
    match tried {
        Err(e) if sqlite_code(&e).map(|c| c & 0xff) != Some(SQLITE_BUSY) => Err(e),
        _ => Ok(()),
    }
}

/// Makes one connection and closes it, returning the driver's own error
/// ("connection refused", "password authentication failed", "unable to open
/// database file"). A refused connection is tried again until
/// [`CONNECT_TIMEOUT`] (a server that is starting), with a warning at once.
/// A SQLite connection is set up as the pool's will be and must be able to
/// write: a read-only database file or folder (`sqlite_file` and the folder
/// it is in) is refused here, once, in plain words, rather than by every
/// pooled connection in turn until the pool gives up.
async fn first_connection(connect: &AnyConnectOptions, backend: Backend, sqlite_file: Option<&Path>) -> Result<()> {
    use sqlx::Connection;
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    let mut wait = Duration::from_millis(100);
    let mut warned = false;
    loop {
        let attempt = tokio::time::timeout_at(deadline, sqlx::AnyConnection::connect_with(connect)).await;
        match attempt {
            Ok(Ok(mut conn)) => {
                let checked = if backend == Backend::Sqlite { check_sqlite_writable(&mut conn).await } else { Ok(()) };
                let _ = conn.close().await;
                return checked.map_err(|e| explained(e, sqlite_file));
            }
            Ok(Err(sqlx::Error::Io(e))) if e.kind() == std::io::ErrorKind::ConnectionRefused && tokio::time::Instant::now() + wait < deadline => {
                if !warned {
                    tracing::warn!(error = %e, "the database refused the connection; trying again for {} s", CONNECT_TIMEOUT.as_secs());
                    warned = true;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            Ok(Err(e)) => return Err(explained(e, sqlite_file)),
            Err(_) => {
                let what = if backend == Backend::Postgres { "the PostgreSQL server" } else { "the SQLite database" };
                return Err(StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no connection to {what} within {} s", CONNECT_TIMEOUT.as_secs()),
                ))));
            }
        }
    }
}

/// SQLite's refusal to open or write the database `sqlite_file`, in plain
/// words (this user may not write the file or its folder, or may not read
/// the file); any other error as it is.
fn explained(e: sqlx::Error, sqlite_file: Option<&Path>) -> StoreError {
    let (Some(file), Some(code)) = (sqlite_file, sqlite_code(&e)) else { return e.into() };
    let dir = file.parent().unwrap_or(Path::new("."));
    match code & 0xff {
        SQLITE_READONLY => {
            let what = if code == SQLITE_READONLY_DIRECTORY { dir } else { file };
            read_only(what, dir, file, std::io::ErrorKind::PermissionDenied)
        }
        SQLITE_CANTOPEN if file.is_file() => read_only(file, dir, file, std::io::ErrorKind::Other),
        _ => e.into(),
    }
}

fn config_error(message: String) -> StoreError {
    StoreError::Database(sqlx::Error::Configuration(message.into()))
}

/// The `sqlite:` URL sqlx opens `file` with (an absolute path): every byte
/// but letters, digits and `/-_.~` percent-encoded, which sqlx decodes
/// again, so a space, `?`, `#` or `%` in a folder's name is no URL syntax.
fn sqlite_url(file: &Path, create: bool) -> Result<String> {
    use std::fmt::Write;
    let text = file.to_str().ok_or_else(|| config_error(format!("{} is not UTF-8, which SQLite needs for a file name", file.display())))?;
    let mut url = String::from("sqlite:");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            let _ = write!(url, "%{b:02X}");
        }
    }
    url.push_str(if create { "?mode=rwc" } else { "?mode=rw" });
    Ok(url)
}

/// The message for a database whose highest applied migration is above
/// `known`, the highest this binary has; `None` when it is not.
fn newer_than(applied: &[i64], known: i64) -> Option<String> {
    let newest = applied.iter().copied().max().filter(|&v| v > known)?;
    Some(format!(
        "This database was last migrated by a newer version of meetinghouse (migration {newest}); \
         this binary knows migrations up to {known}. Upgrade the binary."
    ))
}

/// The file a `sqlite:` URL names, or `None` for an in-memory database.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory");
    (!in_memory).then(|| PathBuf::from(percent_decode(path)))
}

/// `%XX` escapes decoded, as sqlx decodes a `sqlite:` URL's path.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Db {
    /// Runs one administrative statement (used by tests to create databases).
    pub async fn execute_admin(&self, sql: &str) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_database_is_named() {
        assert_eq!(newer_than(&[1, 2, 19], 19), None);
        assert_eq!(newer_than(&[], 19), None);
        assert_eq!(
            newer_than(&[1, 19, 20], 19).as_deref(),
            Some("This database was last migrated by a newer version of meetinghouse (migration 20); this binary knows migrations up to 19. Upgrade the binary.")
        );
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite://data/mh.db?mode=rwc"), Some(PathBuf::from("data/mh.db")));
        assert_eq!(sqlite_file("sqlite:///var/lib/mh.db"), Some(PathBuf::from("/var/lib/mh.db")));
        assert_eq!(sqlite_file("sqlite:mh.db"), Some(PathBuf::from("mh.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://shared.db?mode=memory&cache=shared"), None);
        assert_eq!(sqlite_file("postgres://localhost/mh"), None);
        assert_eq!(sqlite_file("sqlite:///srv/my%20town%3F/mh.db?mode=rwc"), Some(PathBuf::from("/srv/my town?/mh.db")));
    }

    #[test]
    fn a_path_becomes_a_url_sqlx_reads_back() {
        let url = sqlite_url(Path::new("/srv/my town?/50% #1/mh.db"), true).unwrap();
        assert_eq!(url, "sqlite:/srv/my%20town%3F/50%25%20%231/mh.db?mode=rwc");
        assert_eq!(sqlite_file(&url), Some(PathBuf::from("/srv/my town?/50% #1/mh.db")));
        assert!(sqlite_url(Path::new("/srv/mh.db"), false).unwrap().ends_with("?mode=rw"));
    }
}
