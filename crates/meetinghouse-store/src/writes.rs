//! Write batches: a transaction's statements, built first and run in one go.
//!
//! On SQLite every sqlx statement is a hand-off to a worker thread and back
//! to the async runtime. A reply's transaction is eight of them, all inside
//! the database's one write turn, and under 64 concurrent writers each
//! hand-off also waits for the runtime to get round to the task again: the
//! turn was held about 1.5 ms per reply, so replies queued behind it
//! (design 0006). A [`Batch`] holds the statements — SQL written once with
//! `$N` placeholders, as everywhere in this crate — and their arguments; a
//! later statement may use the id an earlier one returned ([`Arg::Id`],
//! [`Arg::text_from_id`]).
//!
//! [`Db::write`](crate::Db::write) runs a batch in a transaction of its own:
//! on a SQLite file, on a writer thread that owns a rusqlite connection and
//! takes the process's write turn itself, grouping the batches that are
//! waiting into one transaction with a savepoint each (one failing batch
//! leaves the others whole); on PostgreSQL (and in-memory SQLite) in a sqlx
//! transaction. [`Batch::run_in`] runs one inside a transaction the caller
//! already holds, on either backend.

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqlValue};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use sqlx::Row;

use crate::Tx;
use crate::error::{Result, StoreError};

/// The most batches the SQLite writer groups into one transaction.
pub const GROUP_MAX: usize = 64;

/// An insert in a [`Batch`] whose `RETURNING id` later statements may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted(usize);

/// A value bound to a statement.
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    /// The id an earlier insert of the same batch returned.
    Id(Inserted),
    /// Text made from the id an earlier insert returned (a path, a link).
    TextFromId(Inserted, Arc<dyn Fn(i64) -> String + Send + Sync>),
}

impl Arg {
    pub fn text_from_id(step: Inserted, f: impl Fn(i64) -> String + Send + Sync + 'static) -> Arg {
        Arg::TextFromId(step, Arc::new(f))
    }
}

impl std::fmt::Debug for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Int(v) => write!(f, "Int({v:?})"),
            Arg::Text(v) => write!(f, "Text({v:?})"),
            Arg::Id(s) => write!(f, "Id({})", s.0),
            Arg::TextFromId(s, _) => write!(f, "TextFromId({}, …)", s.0),
        }
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Int(Some(v as i64))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<Inserted> for Arg {
    fn from(v: Inserted) -> Arg {
        Arg::Id(v)
    }
}

/// Text known now, or made from the id an earlier insert of the batch will
/// return (a reply's link, and the email that carries it).
#[derive(Clone)]
pub enum Text {
    Now(String),
    FromId(Inserted, Arc<dyn Fn(i64) -> String + Send + Sync>),
}

impl Text {
    pub fn from_id(step: Inserted, f: impl Fn(i64) -> String + Send + Sync + 'static) -> Text {
        Text::FromId(step, Arc::new(f))
    }

    /// Text made from this one.
    pub fn map(&self, g: impl Fn(&str) -> String + Send + Sync + 'static) -> Text {
        match self {
            Text::Now(t) => Text::Now(g(t)),
            Text::FromId(step, f) => {
                let f = f.clone();
                Text::from_id(*step, move |id| g(&f(id)))
            }
        }
    }

    pub fn arg(&self) -> Arg {
        match self {
            Text::Now(t) => Arg::Text(Some(t.clone())),
            Text::FromId(step, f) => Arg::TextFromId(*step, f.clone()),
        }
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Text::Now(t) => write!(f, "Now({t:?})"),
            Text::FromId(s, _) => write!(f, "FromId({}, …)", s.0),
        }
    }
}

#[derive(Debug)]
struct Statement {
    sql: &'static str,
    args: Vec<Arg>,
    returns_id: bool,
    /// An insert that may write nothing (`INSERT … SELECT … WHERE`): when it
    /// returns no id, the batch fails with [`StoreError::NotFound`].
    may_write_nothing: bool,
    /// How a unique violation maps to [`StoreError::Conflict`].
    unique: &'static [(&'static str, &'static str)],
}

/// Statements to run in order, in one transaction.
#[derive(Debug, Default)]
pub struct Batch {
    statements: Vec<Statement>,
}

/// What a batch returned: the ids of its inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    ids: Vec<Option<i64>>,
}

impl Written {
    /// The id an insert returned.
    pub fn id(&self, step: Inserted) -> i64 {
        // Every insert's id is set before its batch counts as written.
        self.ids.get(step.0).copied().flatten().unwrap_or_default()
    }
}

/// A resolved argument (also what a [`crate::reads::Read`] binds).
#[derive(Debug)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(Some(v)) => ToSqlOutput::Owned(SqlValue::Integer(*v)),
            Value::Text(Some(v)) => ToSqlOutput::from(v.as_str()),
            Value::Int(None) | Value::Text(None) => ToSqlOutput::Owned(SqlValue::Null),
        })
    }
}

/// Binds values to a rusqlite statement: `$N` placeholders by name (one may
/// appear more than once), anonymous `?` ones (from [`crate::Params`]) in
/// order. Fewer values than placeholders is an error, not NULLs.
pub(crate) fn bind_sqlite(stmt: &mut rusqlite::Statement<'_>, values: &[Value]) -> rusqlite::Result<()> {
    let wanted = stmt.parameter_count();
    let named = wanted > 0 && stmt.parameter_name(1).is_some_and(|n| n.starts_with('$'));
    for (n, v) in values.iter().enumerate() {
        let at = if named { stmt.parameter_index(&format!("${}", n + 1))? } else { Some(n + 1) };
        if let Some(at) = at.filter(|at| *at <= wanted) {
            stmt.raw_bind_parameter(at, v)?;
        }
    }
    if wanted > values.len() {
        return Err(rusqlite::Error::InvalidParameterCount(values.len(), wanted));
    }
    Ok(())
}

fn resolve(args: Vec<Arg>, ids: &[Option<i64>]) -> Result<Vec<Value>> {
    let id_of = |s: Inserted| {
        ids.get(s.0).copied().flatten().ok_or_else(|| StoreError::Bulk("a batch used an id before its insert ran".into()))
    };
    args.into_iter()
        .map(|a| {
            Ok(match a {
                Arg::Int(v) => Value::Int(v),
                Arg::Text(v) => Value::Text(v),
                Arg::Id(s) => Value::Int(Some(id_of(s)?)),
                Arg::TextFromId(s, f) => Value::Text(Some(f(id_of(s)?))),
            })
        })
        .collect()
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Adds a statement that returns nothing.
    pub fn execute(&mut self, sql: &'static str, args: Vec<Arg>) {
        self.statements.push(Statement { sql, args, returns_id: false, may_write_nothing: false, unique: &[] });
    }

    /// Adds an insert ending in `RETURNING id`.
    pub fn insert(&mut self, sql: &'static str, args: Vec<Arg>) -> Inserted {
        self.insert_unique(sql, args, &[])
    }

    /// Adds an insert ending in `RETURNING id` whose unique violations become
    /// [`StoreError::Conflict`]: `(text in the constraint, what to call it)`.
    pub fn insert_unique(&mut self, sql: &'static str, args: Vec<Arg>, unique: &'static [(&'static str, &'static str)]) -> Inserted {
        self.statements.push(Statement { sql, args, returns_id: true, may_write_nothing: false, unique });
        Inserted(self.statements.len() - 1)
    }

    /// Adds an insert ending in `RETURNING id` that writes its row only when
    /// a condition holds as the batch runs (`INSERT … SELECT … WHERE …`):
    /// the check and the write are one statement in the batch's
    /// transaction. When it writes nothing the batch fails with
    /// [`StoreError::NotFound`] and nothing of it is stored (the statements
    /// after it would need its id); the caller says why in its own words.
    pub fn insert_if(&mut self, sql: &'static str, args: Vec<Arg>) -> Inserted {
        self.statements.push(Statement { sql, args, returns_id: true, may_write_nothing: true, unique: &[] });
        Inserted(self.statements.len() - 1)
    }

    /// Runs the statements inside a transaction the caller holds.
    pub async fn run_in(self, tx: &mut Tx) -> Result<Written> {
        let mut ids = vec![None; self.statements.len()];
        for (i, s) in self.statements.into_iter().enumerate() {
            let mut q = sqlx::query(s.sql);
            for v in resolve(s.args, &ids)? {
                q = match v {
                    Value::Int(v) => q.bind(v),
                    Value::Text(v) => q.bind(v),
                };
            }
            let unique = s.unique;
            let conflict = |e: sqlx::Error| StoreError::from_unique(e, unique);
            if s.returns_id {
                let row = q.fetch_optional(&mut **tx).await.map_err(conflict)?;
                let row = match row {
                    Some(row) => row,
                    None if s.may_write_nothing => return Err(StoreError::NotFound),
                    None => return Err(StoreError::Database(sqlx::Error::RowNotFound)),
                };
                ids[i] = Some(row.try_get::<i64, _>(0)?);
            } else {
                q.execute(&mut **tx).await.map_err(conflict)?;
            }
        }
        Ok(Written { ids })
    }

    /// Runs the statements on a rusqlite connection inside its open transaction.
    fn run_sqlite(self, conn: &Connection) -> Result<Written> {
        let mut ids = vec![None; self.statements.len()];
        for (i, s) in self.statements.into_iter().enumerate() {
            let unique = s.unique;
            let conflict = |e: rusqlite::Error| sqlite_error(e, unique);
            let mut stmt = conn.prepare_cached(s.sql).map_err(conflict)?;
            bind_sqlite(&mut stmt, &resolve(s.args, &ids)?).map_err(conflict)?;
            if s.returns_id {
                let mut rows = stmt.raw_query();
                let row = match rows.next().map_err(conflict)? {
                    Some(row) => row,
                    None if s.may_write_nothing => return Err(StoreError::NotFound),
                    None => return Err(StoreError::Bulk("an insert returned no id".into())),
                };
                ids[i] = Some(row.get::<_, i64>(0).map_err(conflict)?);
            } else {
                stmt.raw_execute().map_err(conflict)?;
            }
        }
        Ok(Written { ids })
    }
}

/// A rusqlite error as the sqlx path would report it: unique violations by
/// the rule they broke, anything else by SQLite's message.
fn sqlite_error(e: rusqlite::Error, unique: &[(&str, &'static str)]) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    {
        return StoreError::conflict(msg.as_deref().unwrap_or(""), unique);
    }
    StoreError::from(e)
}

struct Job {
    batch: Batch,
    done: tokio::sync::oneshot::Sender<Result<Written>>,
}

/// What the writer thread is asked to do.
enum Msg {
    Write(Job),
    /// Fold the write-ahead log into the database file, close the
    /// connection and end the thread ([`SqliteWriter::stop`]).
    Stop(tokio::sync::oneshot::Sender<Result<()>>),
}

/// The SQLite writer thread's mailbox. The thread ends when it is stopped
/// ([`SqliteWriter::stop`], what [`crate::Db::close`] does) or when the last
/// [`crate::Db`] holding it is dropped; either way it checkpoints the
/// write-ahead log into the database file before it closes its connection.
pub(crate) struct SqliteWriter {
    jobs: mpsc::Sender<Msg>,
}

impl SqliteWriter {
    /// Opens the writer's connection to the database file and starts its thread.
    pub(crate) fn start(path: &Path, turn: Arc<tokio::sync::Mutex<()>>) -> Result<SqliteWriter> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32000;")?;
        conn.set_prepared_statement_cache_capacity(64);
        let (jobs, inbox) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(conn, inbox, turn))
            .map_err(|e| StoreError::Bulk(format!("could not start the SQLite writer: {e}")))?;
        Ok(SqliteWriter { jobs })
    }

    pub(crate) async fn write(&self, batch: Batch) -> Result<Written> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let stopped = || StoreError::Bulk("the SQLite writer has stopped".into());
        self.jobs.send(Msg::Write(Job { batch, done })).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Runs the batches already sent, then checkpoints the write-ahead log
    /// into the database file (`wal_checkpoint(TRUNCATE)`), closes the
    /// connection and ends the thread. Later writes fail ("the SQLite writer
    /// has stopped"). A writer already stopped returns at once.
    pub(crate) async fn stop(&self) -> Result<()> {
        let (done, answer) = tokio::sync::oneshot::channel();
        if self.jobs.send(Msg::Stop(done)).is_err() {
            return Ok(());
        }
        answer.await.unwrap_or(Ok(()))
    }
}

/// Moves the messages waiting in the inbox into `jobs`, up to
/// [`GROUP_MAX`]; a stop request is kept aside in `stop`, and nothing after
/// it is taken.
fn take_waiting(inbox: &mpsc::Receiver<Msg>, jobs: &mut Vec<Job>, stop: &mut Option<tokio::sync::oneshot::Sender<Result<()>>>) {
    while jobs.len() < GROUP_MAX && stop.is_none() {
        match inbox.try_recv() {
            Ok(Msg::Write(j)) => jobs.push(j),
            Ok(Msg::Stop(done)) => *stop = Some(done),
            Err(_) => break,
        }
    }
}

fn serve(mut conn: Connection, inbox: mpsc::Receiver<Msg>, turn: Arc<tokio::sync::Mutex<()>>) {
    let mut stop = None;
    while stop.is_none() {
        let first = match inbox.recv() {
            Ok(Msg::Write(j)) => j,
            Ok(Msg::Stop(done)) => {
                stop = Some(done);
                break;
            }
            // Every `Db` holding this writer is gone.
            Err(_) => break,
        };
        let mut jobs = vec![first];
        take_waiting(&inbox, &mut jobs, &mut stop);
        let guard = turn.blocking_lock();
        // More may have arrived while this thread waited for the turn.
        take_waiting(&inbox, &mut jobs, &mut stop);
        let (batches, dones): (Vec<Batch>, Vec<_>) = jobs.into_iter().map(|j| (j.batch, j.done)).unzip();
        let n = batches.len();
        let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| group(&mut conn, batches)))
            .unwrap_or_else(|_| (0..n).map(|_| Err(StoreError::Bulk("the SQLite writer failed on a batch".into()))).collect());
        drop(guard);
        for (done, r) in dones.into_iter().zip(results) {
            // The caller may have given up waiting; its batch stands either way.
            let _ = done.send(r);
        }
    }
    // No more writes: this thread's messages end here, so a write sent from
    // now on fails rather than waiting for an answer that never comes.
    drop(inbox);
    let closed = {
        // A bulk writer (its own connection) may be inside a transaction.
        let _guard = turn.blocking_lock();
        checkpoint_and_close(conn)
    };
    match stop {
        Some(done) => {
            let _ = done.send(closed);
        }
        None => {
            if let Err(e) = closed {
                tracing::warn!(error = %e, "could not fold the SQLite write-ahead log into the database file");
            }
        }
    }
}

/// Copies every page of the write-ahead log into the database file and
/// empties the log, then closes the connection: afterwards the database file
/// alone holds the data, so copying it is a whole backup, and a file copied
/// over it is not overridden by an old log.
fn checkpoint_and_close(conn: Connection) -> Result<()> {
    let (busy, log, done): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    conn.close().map_err(|(_, e)| StoreError::from(e))?;
    if busy != 0 {
        // Another connection (another process) was reading: the pages it
        // could not wait for stay in the log, which SQLite still reads.
        return Err(StoreError::Bulk(format!(
            "another connection kept the database busy: {done} of {log} pages of the write-ahead log were copied into the database file"
        )));
    }
    Ok(())
}

/// Runs batches in one transaction, each in a savepoint: a batch that fails
/// is rolled back alone. If the commit fails, every batch fails.
fn group(conn: &mut Connection, batches: Vec<Batch>) -> Vec<Result<Written>> {
    let n = batches.len();
    let all_fail = |e: &rusqlite::Error| (0..n).map(|_| Err(StoreError::Bulk(e.to_string()))).collect::<Vec<_>>();
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return all_fail(&e),
    };
    let mut out = Vec::with_capacity(n);
    for batch in batches {
        let sp = match tx.savepoint() {
            Ok(sp) => sp,
            Err(e) => {
                out.push(Err(StoreError::from(e)));
                continue;
            }
        };
        match batch.run_sqlite(&sp) {
            Ok(w) => match sp.commit() {
                Ok(()) => out.push(Ok(w)),
                Err(e) => out.push(Err(StoreError::from(e))),
            },
            // Dropping the savepoint rolls it back.
            Err(e) => out.push(Err(e)),
        }
    }
    match tx.commit() {
        Ok(()) => out,
        Err(e) => all_fail(&e),
    }
}
