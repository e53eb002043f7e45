//! People: accounts, profiles and the sectors they choose for themselves.

use sqlx::FromRow;

use crate::error::{Result, StoreError};
use crate::reads::{FromSqlite, Read, from_sqlite_by_name};
use crate::{Db, Tx, now};

/// A stored person. The password hash never leaves this struct in `Debug`.
#[derive(Clone, FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub email: String,
    pub handle: String,
    pub display_name: String,
    pub pronouns: String,
    pub bio: String,
    pub password_hash: String,
    pub is_admin: i64,
    pub status: String,
    pub email_verified_at: Option<i64>,
    pub created_at: i64,
}

impl std::fmt::Debug for PersonRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonRow")
            .field("id", &self.id)
            .field("handle", &self.handle)
            .field("email", &"[redacted]")
            .field("password_hash", &"[redacted]")
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, email, handle, display_name, pronouns, bio, password_hash, is_admin, \
                       status, email_verified_at, created_at";

from_sqlite_by_name!(PersonRow { id, email, handle, display_name, pronouns, bio, password_hash, is_admin, status, email_verified_at, created_at });

/// What a new account starts with.
#[derive(Debug, Clone)]
pub struct NewPerson<'a> {
    pub email: &'a str,
    pub handle: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
    pub status: &'a str,
}

const UNIQUE_RULES: &[(&str, &str)] = &[("email", "email"), ("handle", "handle")];

/// Inserts a person; a taken email or handle is a [`StoreError::Conflict`].
pub async fn insert(tx: &mut Tx, p: &NewPerson<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO people (email, email_lower, handle, handle_lower, display_name, password_hash, \
                             is_admin, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(p.email)
    .bind(p.email.to_lowercase())
    .bind(p.handle)
    .bind(p.handle.to_lowercase())
    .bind(p.display_name)
    .bind(p.password_hash)
    .bind(p.is_admin as i64)
    .bind(p.status)
    .bind(now())
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| StoreError::from_unique(e, UNIQUE_RULES))?;
    Ok(id)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<PersonRow>> {
    let sql = format!("SELECT {COLUMNS} FROM people WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// [`by_id`], inside a transaction.
pub async fn by_id_in(tx: &mut Tx, id: i64) -> Result<Option<PersonRow>> {
    let sql = format!("SELECT {COLUMNS} FROM people WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await?)
}

#[derive(FromRow)]
struct WithUnread {
    #[sqlx(flatten)]
    person: PersonRow,
    unread: i64,
    hosts: i64,
    seen_at: i64,
}

impl FromSqlite for WithUnread {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(WithUnread { person: PersonRow::from_sqlite(row)?, unread: row.get("unread")?, hosts: row.get("hosts")?, seen_at: row.get("seen_at")? })
    }
}

/// What every signed-in request needs, read in one query ([`by_session_seen`]).
#[derive(Debug, Clone)]
pub struct SessionPerson {
    pub person: PersonRow,
    /// Unread notifications, counted up to the cap asked for.
    pub unread: i64,
    /// Whether they host anything (a part of the moderation queue).
    pub hosts: bool,
    /// When the session was last recorded as used (`sessions::touch`), or
    /// began.
    pub seen_at: i64,
}

/// The open account an unexpired session (by its token's hash) belongs to
/// (a closed account, whose handle reads as empty, had its sessions ended
/// with it; one a sign-in started just before is never accepted), with
/// their unread notifications counted up to `unread_cap` and whether they
/// host anything (a part of the moderation queue: store
/// `moderation::hosts_anything`): what every signed-in request needs, in
/// one query.
pub async fn by_session(db: &Db, token_hash: &str, unread_cap: i64) -> Result<Option<(PersonRow, i64, bool)>> {
    Ok(by_session_seen(db, token_hash, unread_cap).await?.map(|s| (s.person, s.unread, s.hosts)))
}

/// [`by_session`], with when the session was last recorded as used.
pub async fn by_session_seen(db: &Db, token_hash: &str, unread_cap: i64) -> Result<Option<SessionPerson>> {
    let session = "SELECT person_id FROM sessions WHERE token_hash = $1 AND expires_at > $2";
    // Counted as the notifications page lists them (store `notifications::list`).
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM (SELECT 1 FROM notifications n WHERE n.person_id = ({session}) AND n.read_at IS NULL \
         AND {shown} LIMIT $3) x) AS unread, \
         CASE WHEN {hosts} THEN 1 ELSE 0 END AS hosts, \
         (SELECT COALESCE(s.last_seen_at, s.created_at) FROM sessions s WHERE s.token_hash = $1) AS seen_at \
         FROM people WHERE id = ({session}) AND handle <> ''",
        shown = crate::notifications::shown!(),
        hosts = crate::moderation::hosts_any!("people.id"),
    );
    let row: Option<WithUnread> = db.read_optional(Read::new(sql).text(token_hash).int(now()).int(unread_cap)).await?;
    Ok(row.map(|r| SessionPerson { person: r.person, unread: r.unread, hosts: r.hosts == 1, seen_at: r.seen_at }))
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<PersonRow>> {
    let sql = format!("SELECT {COLUMNS} FROM people WHERE email_lower = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(email.to_lowercase())
        .fetch_optional(&db.pool)
        .await?)
}

/// The open account with a handle (any case). A closed account keeps its
/// handle reserved (`handle_lower` stays, so nobody can take it up) while
/// `handle` reads as empty (store `closing`), and is nobody to find: not
/// to invite, report, block or mention (its profile page says it was
/// closed).
pub async fn by_handle(db: &Db, handle: &str) -> Result<Option<PersonRow>> {
    let sql = format!("SELECT {COLUMNS} FROM people WHERE handle_lower = $1 AND handle <> ''");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(handle.to_lowercase())
        .fetch_optional(&db.pool)
        .await?)
}

/// Everyone, for the admin list: accounts waiting for approval first
/// (oldest first, as the admins answer them), then the others, newest first.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<PersonRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM people \
         ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, CASE WHEN status = 'pending' THEN id ELSE -id END \
         LIMIT $1 OFFSET $2"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

pub async fn count(db: &Db) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM people").fetch_one(&db.pool).await?;
    Ok(n)
}

/// How many accounts wait for an admin's approval.
pub async fn count_waiting(db: &Db) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM people WHERE status = 'pending'").fetch_one(&db.pool).await?;
    Ok(n)
}

/// The editable part of a profile.
#[derive(Debug, Clone)]
pub struct ProfileUpdate<'a> {
    pub display_name: &'a str,
    pub pronouns: &'a str,
    pub bio: &'a str,
    pub sectors: &'a [String],
}

/// Replaces a person's profile fields and sectors in one transaction.
pub async fn update_profile(tx: &mut Tx, id: i64, p: &ProfileUpdate<'_>) -> Result<()> {
    let done = sqlx::query("UPDATE people SET display_name = $1, pronouns = $2, bio = $3 WHERE id = $4")
        .bind(p.display_name)
        .bind(p.pronouns)
        .bind(p.bio)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    set_sectors(tx, id, p.sectors).await
}

pub async fn set_sectors(tx: &mut Tx, id: i64, sectors: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM person_sectors WHERE person_id = $1").bind(id).execute(&mut **tx).await?;
    for s in sectors {
        sqlx::query("INSERT INTO person_sectors (person_id, sector) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(s)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn sectors(db: &Db, id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT sector FROM person_sectors WHERE person_id = $1 ORDER BY sector")
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|(s,)| s).collect())
}

/// Sets a new password hash. The browsers the account knows are forgotten
/// with the old password: the person's device generation goes up by one
/// (see [`bump_device_generation_in`]).
pub async fn set_password(tx: &mut Tx, id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE people SET password_hash = $1, device_generation = device_generation + 1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The generation of the browsers a person's account knows (migration
/// 0052): signed into each known-device cookie, so a cookie issued before
/// the generation went up makes its browser known no more.
pub async fn device_generation(db: &Db, id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT device_generation FROM people WHERE id = $1").bind(id).fetch_optional(&db.pool).await?)
}

/// The account an email address (any case) belongs to and its
/// [`device_generation`], in one read.
pub async fn device_generation_by_email(db: &Db, email: &str) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, device_generation FROM people WHERE email_lower = $1")
        .bind(email.to_lowercase())
        .fetch_optional(&db.pool)
        .await?)
}

/// Forgets every browser the account knows: its device generation goes up
/// by one ("sign out everywhere else"; a new password does it in
/// [`set_password`]).
pub async fn bump_device_generation_in(tx: &mut Tx, id: i64) -> Result<()> {
    sqlx::query("UPDATE people SET device_generation = device_generation + 1 WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}

pub async fn mark_verified(tx: &mut Tx, id: i64) -> Result<()> {
    sqlx::query("UPDATE people SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Makes a pending account active; false (and nothing changed) when it is
/// not pending any more — approved already, or suspended or banned since.
pub async fn approve_pending(db: &Db, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE people SET status = 'active' WHERE id = $1 AND status = 'pending'").bind(id).execute(&db.pool).await?;
    Ok(r.rows_affected() == 1)
}

/// [`approve_pending`] in the caller's transaction (so the email telling
/// the person is written with it).
pub async fn approve_pending_in(tx: &mut Tx, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE people SET status = 'active' WHERE id = $1 AND status = 'pending'").bind(id).execute(&mut **tx).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_admin(db: &Db, id: i64, is_admin: bool) -> Result<()> {
    sqlx::query("UPDATE people SET is_admin = $1 WHERE id = $2")
        .bind(is_admin as i64)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// An instance admin as `meetinghouse admin list` shows them.
#[derive(Debug, Clone, FromRow)]
pub struct AdminRow {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub email: String,
    pub status: String,
    pub email_verified_at: Option<i64>,
    /// When a suspension ends (`moderation::BANNED` for a ban), if suspended.
    pub suspended_until: Option<i64>,
}

/// Every instance admin, by handle.
pub async fn admins(db: &Db) -> Result<Vec<AdminRow>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.handle, p.display_name, p.email, p.status, p.email_verified_at, s.until_at AS suspended_until \
         FROM people p LEFT JOIN suspensions s ON s.person_id = p.id WHERE p.is_admin = 1 ORDER BY p.handle_lower",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// The ids of the active instance admins, in the caller's transaction; on
/// PostgreSQL their rows are locked (`FOR UPDATE`) until it ends, so two
/// demotions cannot each count the other and leave none (on SQLite the
/// write transaction does that).
pub async fn lock_active_admins(tx: &mut Tx, backend: crate::Backend) -> Result<Vec<i64>> {
    let sql = match backend {
        crate::Backend::Postgres => "SELECT id FROM people WHERE is_admin = 1 AND status = 'active' ORDER BY id FOR UPDATE",
        crate::Backend::Sqlite => "SELECT id FROM people WHERE is_admin = 1 AND status = 'active' ORDER BY id",
    };
    let rows: Vec<(i64,)> = sqlx::query_as(sql).fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Makes a person an instance admin or not, in the caller's transaction;
/// false when they already were what was asked.
pub async fn set_admin_in(tx: &mut Tx, id: i64, is_admin: bool) -> Result<bool> {
    let done = sqlx::query("UPDATE people SET is_admin = $1 WHERE id = $2 AND is_admin <> $3")
        .bind(is_admin as i64)
        .bind(id)
        .bind(is_admin as i64)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The one statement that keeps a person's writes of content in step with
/// closing their account: it touches their row (changing nothing) only
/// while the account is open, returning its id. (An open account's handle
/// is never empty and closing empties it, `closing::tombstone`: the same
/// test `by_session` makes, which holds on every schema version, those
/// before migration 0042's `closed_at` too.) On PostgreSQL the update
/// takes the row's lock, which closing's own update of the row
/// (`closing::tombstone`) also takes: a write that got it first finishes
/// before closing reads what the person posted (each statement of
/// closing's READ COMMITTED transaction sees what committed before it), and
/// one that waited reads the row again after closing committed and finds
/// it closed. On SQLite the write turn orders them the same way.
const STILL_OPEN: &str = "UPDATE people SET handle = handle WHERE id = $1 AND handle <> '' RETURNING id";

/// Whether `person`'s account is still open, in the caller's transaction,
/// holding their row until it ends (see [`STILL_OPEN`]): the first
/// statement of every transaction that writes a story, a reply, a
/// statement, a prompt, an amendment or an objection (core
/// `accounts::ensure_still_open`). False, and nothing written, once the
/// account is closed.
pub async fn still_open_in(tx: &mut Tx, person: i64) -> Result<bool> {
    Ok(sqlx::query(STILL_OPEN).bind(person).fetch_optional(&mut **tx).await?.is_some())
}

/// [`still_open_in`] as the first statement of a write batch: when the
/// account is closed the batch fails with [`StoreError::NotFound`] and
/// stores nothing (`Batch::insert_if`); the caller asks
/// [`is_closed`] to say why.
pub fn still_open_into(b: &mut crate::writes::Batch, person: i64) {
    b.insert_if(STILL_OPEN, vec![person.into()]);
}

/// Whether `person`'s account is closed (a write refused by
/// [`still_open_into`] says so in its own words).
pub async fn is_closed(db: &Db, person: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM people WHERE id = $1 AND handle = ''")
        .bind(person)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// When each of `people` closed their account, for those who did: (id,
/// closed_at). The feeds date a story kept after its author closed their
/// account by the later of the two, since its byline changed then.
pub async fn closed_at_of(db: &Db, people: &[i64]) -> Result<Vec<(i64, i64)>> {
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = crate::Params::new(db.backend());
    let sql = format!("SELECT id, closed_at FROM people WHERE closed_at IS NOT NULL AND id IN {}", p.tuple(people.len()));
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in people {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// Whether the account an email confirmation link (by its token's hash)
/// was sent to has a confirmed address now, used or not, expired or not:
/// `None` when no such link is stored. Following a link again after the
/// address was confirmed is answered with that, not as a dead link.
pub async fn confirmed_by_link(db: &Db, token_hash: &str) -> Result<Option<bool>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT CASE WHEN p.email_verified_at IS NULL THEN 0 ELSE 1 END FROM email_tokens t JOIN people p ON p.id = t.person_id \
         WHERE t.token_hash = $1 AND t.purpose = 'verify' AND p.handle <> ''",
    )
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(c,)| c == 1))
}

/// Someone a person blocked or muted, as their own list shows them.
#[derive(Debug, Clone, FromRow)]
pub struct Related {
    pub handle: String,
    pub display_name: String,
    /// 1 when blocked, 1 when muted (both may be).
    pub blocked: i64,
    pub muted: i64,
    /// When the newer of the two was chosen.
    pub since: i64,
}

/// The people `person` blocked or muted, by handle, at most `limit` after
/// the handle `after` (in lower case; '' from the start). Only active
/// accounts: a closed one can do nothing any more and has no handle, and
/// a suspended one (or one waiting for approval) has no profile to undo a
/// block from (core `moderation::relate` answers as its profile does);
/// they come back to the list when their account does.
pub async fn relations_of(db: &Db, person: i64, after: &str, limit: i64) -> Result<Vec<Related>> {
    Ok(sqlx::query_as(
        "SELECT p.handle, p.display_name, \
           MAX(CASE WHEN r.kind = 'block' THEN 1 ELSE 0 END) AS blocked, \
           MAX(CASE WHEN r.kind = 'mute' THEN 1 ELSE 0 END) AS muted, \
           MAX(r.created_at) AS since \
         FROM person_relations r JOIN people p ON p.id = r.other_id \
         WHERE r.person_id = $1 AND p.handle <> '' AND p.status = 'active' AND p.handle_lower > $2 \
         GROUP BY p.id, p.handle, p.handle_lower, p.display_name ORDER BY p.handle_lower LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}
