//! Reads on the path of nearly every request (the session behind a cookie,
//! a story by id, the people a reply mentions), run on SQLite without sqlx's
//! worker threads.
//!
//! Through sqlx a SQLite query is two round trips to the connection's worker
//! thread (the query, then a ping when the connection goes back to the pool),
//! and each trip wakes a thread and puts one to sleep. For an indexed lookup
//! that costs several times the lookup itself: posting a reply made three such
//! reads, and the hand-offs were over a third of the server's time when 64
//! people posted at once (docs/design/0006-sqlite-writes.md). A [`Read`] on a
//! SQLite file runs on the calling thread instead, on a connection of its own
//! (rusqlite, read-only), with the same `$N` SQL as the sqlx path; on
//! PostgreSQL and in-memory SQLite it goes through sqlx as before.
//!
//! Only short, indexed reads belong here: the calling thread is an async
//! worker and is blocked while SQLite runs. WAL readers do not wait for the
//! writer, so that is the lookup's own time.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::Db;
use crate::writes::{Value, bind_sqlite};

/// Idle read connections kept for reuse (one per async worker is enough;
/// more are opened when needed and closed after use).
const KEEP_IDLE: usize = 8;

/// A row decoded from rusqlite, as `sqlx::FromRow` decodes it from sqlx.
pub(crate) trait FromSqlite: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// Implements [`FromSqlite`] for a struct whose fields are named as the
/// query's columns (the same names its `sqlx::FromRow` derive uses).
macro_rules! from_sqlite_by_name {
    ($t:ty { $($field:ident),* $(,)? }) => {
        impl $crate::reads::FromSqlite for $t {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(Self { $($field: row.get(stringify!($field))?),* })
            }
        }
    };
}
pub(crate) use from_sqlite_by_name;

impl<A, B, C, D> FromSqlite for (A, B, C, D)
where
    A: rusqlite::types::FromSql,
    B: rusqlite::types::FromSql,
    C: rusqlite::types::FromSql,
    D: rusqlite::types::FromSql,
{
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
    }
}

/// A query and its arguments, in the `$N` SQL both backends share.
#[derive(Debug)]
pub(crate) struct Read {
    sql: String,
    args: Vec<Value>,
}

impl Read {
    pub(crate) fn new(sql: impl Into<String>) -> Read {
        Read { sql: sql.into(), args: Vec::new() }
    }

    /// Binds the next placeholder (`$1`, then `$2`, …) to an integer.
    pub(crate) fn int(mut self, v: i64) -> Read {
        self.args.push(Value::Int(Some(v)));
        self
    }

    /// Binds the next placeholder to text.
    pub(crate) fn text(mut self, v: impl Into<String>) -> Read {
        self.args.push(Value::Text(Some(v.into())));
        self
    }

    /// Runs on a rusqlite connection (bound as the writer thread binds).
    fn rows<T: FromSqlite>(&self, conn: &Connection, limit: usize) -> rusqlite::Result<Vec<T>> {
        let mut stmt = conn.prepare_cached(&self.sql)?;
        bind_sqlite(&mut stmt, &self.args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while out.len() < limit {
            match rows.next()? {
                Some(row) => out.push(T::from_sqlite(row)?),
                None => break,
            }
        }
        Ok(out)
    }

    /// The same query through sqlx (PostgreSQL, in-memory SQLite).
    fn into_sqlx<T>(self) -> sqlx::query::QueryAs<'static, sqlx::Any, T, sqlx::any::AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, AnyRow>,
    {
        let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(self.sql));
        for v in self.args {
            q = match v {
                Value::Int(i) => q.bind(i),
                Value::Text(s) => q.bind(s),
            };
        }
        q
    }
}

/// Read-only connections to a SQLite file, used on the calling thread.
pub(crate) struct SqliteReaders {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteReaders {
    pub(crate) fn new(path: &Path) -> SqliteReaders {
        SqliteReaders { path: path.to_path_buf(), idle: Mutex::new(Vec::new()) }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch("PRAGMA cache_size = -8000;")?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    fn run<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match taken {
            Some(c) => c,
            None => self.open()?,
        };
        let out = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < KEEP_IDLE {
            idle.push(conn);
        }
        out.map_err(StoreError::from)
    }
}

impl Db {
    /// The first row of a read, if any.
    pub(crate) async fn read_optional<T>(&self, q: Read) -> Result<Option<T>>
    where
        T: FromSqlite + for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        match self.sqlite_readers() {
            Some(r) => Ok(r.run(|c| q.rows(c, 1))?.pop()),
            None => Ok(q.into_sqlx::<T>().fetch_optional(&self.pool).await?),
        }
    }

    /// Every row of a read.
    pub(crate) async fn read_all<T>(&self, q: Read) -> Result<Vec<T>>
    where
        T: FromSqlite + for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        match self.sqlite_readers() {
            Some(r) => r.run(|c| q.rows(c, usize::MAX)),
            None => Ok(q.into_sqlx::<T>().fetch_all(&self.pool).await?),
        }
    }
}
