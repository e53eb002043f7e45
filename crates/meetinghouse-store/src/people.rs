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
}

impl FromSqlite for WithUnread {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(WithUnread { person: PersonRow::from_sqlite(row)?, unread: row.get("unread")?, hosts: row.get("hosts")? })
    }
}

/// The open account an unexpired session (by its token's hash) belongs to
/// (a closed account, whose handle reads as empty, had its sessions ended
/// with it; one a sign-in started just before is never accepted), with
/// their unread notifications counted up to `unread_cap` and whether they
/// host anything (a part of the moderation queue: store
/// `moderation::hosts_anything`): what every signed-in request needs, in
/// one query.
pub async fn by_session(db: &Db, token_hash: &str, unread_cap: i64) -> Result<Option<(PersonRow, i64, bool)>> {
    let session = "SELECT person_id FROM sessions WHERE token_hash = $1 AND expires_at > $2";
    // Counted as the notifications page lists them (store `notifications::list`).
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM (SELECT 1 FROM notifications n WHERE n.person_id = ({session}) AND n.read_at IS NULL \
         AND {shown} LIMIT $3) x) AS unread, \
         CASE WHEN {hosts} THEN 1 ELSE 0 END AS hosts \
         FROM people WHERE id = ({session}) AND handle <> ''",
        shown = crate::notifications::shown!(),
        hosts = crate::moderation::hosts_any!("people.id"),
    );
    let row: Option<WithUnread> = db.read_optional(Read::new(sql).text(token_hash).int(now()).int(unread_cap)).await?;
    Ok(row.map(|r| (r.person, r.unread, r.hosts == 1)))
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

/// Everyone, newest first, for the admin list.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<PersonRow>> {
    let sql = format!("SELECT {COLUMNS} FROM people ORDER BY id DESC LIMIT $1 OFFSET $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

pub async fn count(db: &Db) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM people").fetch_one(&db.pool).await?;
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

pub async fn set_password(tx: &mut Tx, id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE people SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut **tx)
        .await?;
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
