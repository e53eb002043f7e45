//! Closing an account: the reads that say what stands in the way and what
//! will change, and the writes of the one transaction that closes it (core
//! `closing` decides; migration 0042).
//!
//! The person's row stays, as a tombstone every foreign key may still point
//! at: `closed_at` set, `handle` '' (its lower-case form, `handle_lower`,
//! keeps the handle reserved), `email` a placeholder that is no address, the
//! password hash one no password matches, the name "Former member", and
//! nothing else of theirs. What they posted is removed (or kept) through the
//! paths that already remove it — store `stories::set_deleted`,
//! `conversations::retract`, `common_ground::set_statement_status` — called
//! by core, so nothing here writes a story, a reply or a statement.

use sqlx::FromRow;

use crate::error::Result;
use crate::{Db, Tx, now};

/// A group the person is the only active host of, with how many other
/// active members it has (people, organisations and groups). Another host
/// whose account is not active (suspended, banned, waiting for approval)
/// does not count while the person's own account is active: they cannot
/// sign in to look after it (core `groups`' "last host" rule, the review
/// groupsfix34's M2).
#[derive(Debug, Clone, FromRow)]
pub struct GroupRunAlone {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub others: i64,
    /// 1 when the group is archived already.
    pub archived: i64,
}

const GROUPS_RUN_ALONE: &str = "SELECT g.id, g.slug, g.name, \
       (SELECT COUNT(*) FROM group_members o WHERE o.group_id = g.id AND o.status = 'active' \
          AND NOT (o.member_kind = 'person' AND o.member_id = $1)) AS others, \
       CASE WHEN g.archived_at IS NULL THEN 0 ELSE 1 END AS archived \
     FROM group_members m JOIN community_groups g ON g.id = m.group_id \
     WHERE m.member_kind = 'person' AND m.member_id = $1 AND m.role = 'host' AND m.status = 'active' \
       AND NOT EXISTS (SELECT 1 FROM group_members h WHERE h.group_id = g.id AND h.member_kind = 'person' \
          AND h.role = 'host' AND h.status = 'active' AND h.member_id <> $1 \
          AND (EXISTS (SELECT 1 FROM people hp WHERE hp.id = h.member_id AND hp.status = 'active') \
               OR NOT EXISTS (SELECT 1 FROM people me WHERE me.id = $1 AND me.status = 'active'))) \
     ORDER BY g.id";

/// The groups `person` hosts alone, by id (for the page that explains
/// closing; the closing transaction reads them again with [`groups_run_alone_in`]).
pub async fn groups_run_alone(db: &Db, person: i64) -> Result<Vec<GroupRunAlone>> {
    Ok(sqlx::query_as(GROUPS_RUN_ALONE).bind(person).fetch_all(&db.pool).await?)
}

/// [`groups_run_alone`] in the closing transaction, after each group the
/// person hosts was locked ([`hosted_groups_in`], `groups::lock_group`).
pub async fn groups_run_alone_in(tx: &mut Tx, person: i64) -> Result<Vec<GroupRunAlone>> {
    Ok(sqlx::query_as(GROUPS_RUN_ALONE).bind(person).fetch_all(&mut **tx).await?)
}

/// The groups `person` actively hosts, by id: the ones to lock before the
/// hosts are counted.
pub async fn hosted_groups_in(tx: &mut Tx, person: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT group_id FROM group_members WHERE member_kind = 'person' AND member_id = $1 AND role = 'host' AND status = 'active' \
         ORDER BY group_id",
    )
    .bind(person)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(g,)| g).collect())
}

/// An organisation the person is the only active admin of, with how many
/// other active members it has; another admin whose account is not active
/// does not count while the person's own is (as for [`GroupRunAlone`]).
#[derive(Debug, Clone, FromRow)]
pub struct OrgRunAlone {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub others: i64,
}

const ORGS_RUN_ALONE: &str = "SELECT o.id, o.slug, o.name, \
       (SELECT COUNT(*) FROM org_members x WHERE x.org_id = o.id AND x.status = 'active' AND x.person_id <> $1) AS others \
     FROM org_members m JOIN organisations o ON o.id = m.org_id \
     WHERE m.person_id = $1 AND m.role = 'admin' AND m.status = 'active' \
       AND NOT EXISTS (SELECT 1 FROM org_members a WHERE a.org_id = o.id AND a.role = 'admin' AND a.status = 'active' \
          AND a.person_id <> $1 \
          AND (EXISTS (SELECT 1 FROM people ap WHERE ap.id = a.person_id AND ap.status = 'active') \
               OR NOT EXISTS (SELECT 1 FROM people me WHERE me.id = $1 AND me.status = 'active'))) \
     ORDER BY o.id";

/// The organisations `person` is the only active admin of, by id.
pub async fn orgs_run_alone(db: &Db, person: i64) -> Result<Vec<OrgRunAlone>> {
    Ok(sqlx::query_as(ORGS_RUN_ALONE).bind(person).fetch_all(&db.pool).await?)
}

/// [`orgs_run_alone`] in the closing transaction, after each organisation
/// the person is an admin of was locked ([`admin_orgs_in`], `orgs::lock`).
pub async fn orgs_run_alone_in(tx: &mut Tx, person: i64) -> Result<Vec<OrgRunAlone>> {
    Ok(sqlx::query_as(ORGS_RUN_ALONE).bind(person).fetch_all(&mut **tx).await?)
}

/// The organisations `person` is an active admin of, by id.
pub async fn admin_orgs_in(tx: &mut Tx, person: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT org_id FROM org_members WHERE person_id = $1 AND role = 'admin' AND status = 'active' ORDER BY org_id")
            .bind(person)
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows.into_iter().map(|(o,)| o).collect())
}

/// What a person has posted, as the page that explains closing counts it.
#[derive(Debug, Clone, Copy, Default, FromRow)]
pub struct Posted {
    /// Stories shown to others (not drafts, not deleted), in their own
    /// name or with an organisation's.
    pub stories: i64,
    /// Drafts: never shown to anyone.
    pub drafts: i64,
    /// Stories in an organisation's announcement voice, not deleted.
    pub announcements: i64,
    /// Replies others can see (published and not hidden, retracted or
    /// waiting for review), in their own name or with an organisation's.
    pub replies: i64,
}

/// [`Posted`] for one person.
pub async fn posted(db: &Db, person: i64) -> Result<Posted> {
    Ok(sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM stories WHERE author_person = $1 AND deleted_at IS NULL AND visibility <> 'draft' AND voice <> 'announcement') AS stories, \
           (SELECT COUNT(*) FROM stories WHERE author_person = $1 AND deleted_at IS NULL AND visibility = 'draft') AS drafts, \
           (SELECT COUNT(*) FROM stories WHERE author_person = $1 AND deleted_at IS NULL AND visibility <> 'draft' AND voice = 'announcement') AS announcements, \
           (SELECT COUNT(*) FROM replies WHERE author_person = $1 AND status = 'visible' AND voice <> 'announcement') AS replies",
    )
    .bind(person)
    .fetch_one(&db.pool)
    .await?)
}

/// What a closed account's row holds instead of the person.
#[derive(Debug, Clone)]
pub struct Tombstone<'a> {
    /// Stored as the email (and its lower-case form): unique, and no address.
    pub placeholder: &'a str,
    /// Stored as the password hash: a string no password hash ever equals.
    pub unusable_hash: &'a str,
    pub display_name: &'a str,
    /// The choice made, `remove` or `keep`, kept for the hourly purge
    /// ([`late_stories`], [`late_replies`], [`late_statements`]).
    pub posts: &'a str,
}

/// Turns an open account's row into its tombstone (see the module's
/// comment); false, and nothing written, when it is closed already (a
/// second close that waited on PostgreSQL for the first). Pending accounts
/// become 'active' so no admin is asked to approve one; the status means
/// nothing once `closed_at` is set. An instance admin stops being one.
pub async fn tombstone(tx: &mut Tx, person: i64, t: &Tombstone<'_>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE people SET email = $2, email_lower = $2, handle = '', display_name = $3, pronouns = '', bio = '', \
           password_hash = $4, is_admin = 0, status = 'active', email_verified_at = NULL, closed_at = $5, closed_posts = $6 \
         WHERE id = $1 AND closed_at IS NULL",
    )
    .bind(person)
    .bind(t.placeholder)
    .bind(t.display_name)
    .bind(t.unusable_hash)
    .bind(now())
    .bind(t.posts)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes what was the person's and nobody else's: sectors, email and
/// reset links, notification settings and
/// notifications, their own blocks and mutes (others' blocks and mutes of
/// them stay: what those people chose not to see stays unseen), thanks sent
/// to them (only they saw them), memberships, invitations and requests in
/// groups and organisations, and invite codes they made that were not used.
/// Sessions go with `sessions::delete_for_person_in`, a pending change of
/// address with `email_changes::cancel`.
pub async fn remove_personal(tx: &mut Tx, person: i64) -> Result<()> {
    for sql in [
        "DELETE FROM person_sectors WHERE person_id = $1",
        "DELETE FROM email_tokens WHERE person_id = $1",
        "DELETE FROM notification_prefs WHERE person_id = $1",
        "DELETE FROM notifications WHERE person_id = $1",
        "DELETE FROM person_relations WHERE person_id = $1",
        "DELETE FROM thanks WHERE recipient = $1",
        "DELETE FROM group_members WHERE member_kind = 'person' AND member_id = $1",
        "DELETE FROM org_members WHERE person_id = $1",
        "DELETE FROM invites WHERE created_by = $1 AND used_by IS NULL",
    ] {
        sqlx::query(sql).bind(person).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Renames the person in the notifications others were sent about them
/// (`sender_id`): a text that starts with how it named them — "Name
/// (@handle)", "@handle (Name)" or "Name" and a space — starts with
/// `replacement` instead. A text written under a name they have changed
/// since is left as it is. The admins' notices that the account waited for
/// approval (sent by it, to `/admin/people`; those written before the
/// notice recorded its sender are found by their "@handle (" opening) are
/// removed instead: nothing waits any more.
pub async fn rename_in_notifications(tx: &mut Tx, person: i64, name: &str, handle: &str, replacement: &str) -> Result<u64> {
    let waiting = format!("@{handle} (");
    let mut n = sqlx::query(
        "DELETE FROM notifications WHERE kind = 'join_request' AND url = '/admin/people' \
           AND (sender_id = $1 OR (sender_id IS NULL AND SUBSTR(text, 1, LENGTH(CAST($2 AS TEXT))) = CAST($2 AS TEXT)))",
    )
    .bind(person)
    .bind(&waiting)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let (long, handle_first, short) = (format!("{name} (@{handle})"), format!("@{handle} ({name})"), format!("{name} "));
    let done = sqlx::query(
        "UPDATE notifications SET text = CASE \
           WHEN SUBSTR(text, 1, LENGTH(CAST($2 AS TEXT))) = CAST($2 AS TEXT) \
             THEN CAST($5 AS TEXT) || SUBSTR(text, LENGTH(CAST($2 AS TEXT)) + 1) \
           WHEN SUBSTR(text, 1, LENGTH(CAST($3 AS TEXT))) = CAST($3 AS TEXT) \
             THEN CAST($5 AS TEXT) || SUBSTR(text, LENGTH(CAST($3 AS TEXT)) + 1) \
           ELSE CAST($5 AS TEXT) || SUBSTR(text, LENGTH(CAST($4 AS TEXT))) END \
         WHERE sender_id = $1 AND (SUBSTR(text, 1, LENGTH(CAST($2 AS TEXT))) = CAST($2 AS TEXT) \
           OR SUBSTR(text, 1, LENGTH(CAST($3 AS TEXT))) = CAST($3 AS TEXT) \
           OR SUBSTR(text, 1, LENGTH(CAST($4 AS TEXT))) = CAST($4 AS TEXT))",
    )
    .bind(person)
    .bind(long)
    .bind(handle_first)
    .bind(short)
    .bind(replacement)
    // (The last form keeps its space: the text goes on from it.)
    .execute(&mut **tx)
    .await?;
    n += done.rows_affected();
    Ok(n)
}

/// Removes every message to `address` from the outbox, sent or not (a
/// message is matched by its address as written, or in lower case).
pub async fn remove_mail_to(tx: &mut Tx, address: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM email_outbox WHERE to_addr = $1 OR LOWER(to_addr) = $2")
        .bind(address)
        .bind(address.to_lowercase())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// The person's stories not deleted yet that closing deletes: every draft,
/// and with `posted` every story shown to others that is not an
/// organisation's announcement, by id.
pub async fn stories_to_delete(tx: &mut Tx, person: i64, posted: bool) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM stories WHERE author_person = $1 AND deleted_at IS NULL \
           AND (visibility = 'draft' OR ($2 = 1 AND voice <> 'announcement')) ORDER BY id",
    )
    .bind(person)
    .bind(posted as i64)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The person's replies not retracted, except an organisation's
/// announcements, by id: what "remove my stories and replies" retracts.
pub async fn replies_to_retract(tx: &mut Tx, person: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM replies WHERE author_person = $1 AND status <> 'retracted' AND voice <> 'announcement' ORDER BY id")
            .bind(person)
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The person's common-ground statements not taken out, in conversations
/// still open: (statement, conversation), by statement id.
pub async fn open_statements_by(tx: &mut Tx, person: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.conversation_id FROM cg_statements s JOIN cg_participants p ON p.id = s.author \
         JOIN cg_conversations c ON c.id = s.conversation_id \
         WHERE p.person_id = $1 AND s.status <> 'rejected' AND c.status = 'open' ORDER BY s.id",
    )
    .bind(person)
    .fetch_all(&mut **tx)
    .await?)
}

/// A closed account named by its handle (any case): (id, when it closed).
pub async fn closed_by_handle(db: &Db, handle: &str) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, closed_at FROM people WHERE handle_lower = $1 AND closed_at IS NOT NULL")
        .bind(handle.to_lowercase())
        .fetch_optional(&db.pool)
        .await?)
}

/// Removes what reached closed accounts after they closed (the hourly
/// purge): a reply to a story they kept or a mention still writes a
/// notification, which nobody can read; a sign-in that began before the
/// close could leave a session, which no request accepts; a block, a
/// confirmation link or a membership written by a request that began
/// before the close. (A host's or an admin's membership stays: closing
/// counted them, and only it may take one away.) What they posted is
/// core's to remove ([`late_stories`], [`late_replies`],
/// [`late_statements`]). Returns how many rows went.
pub async fn purge_leftovers(db: &Db) -> Result<u64> {
    let mut n = 0;
    for sql in [
        "DELETE FROM notifications WHERE person_id IN (SELECT id FROM people WHERE closed_at IS NOT NULL)",
        "DELETE FROM sessions WHERE person_id IN (SELECT id FROM people WHERE closed_at IS NOT NULL)",
        "DELETE FROM person_relations WHERE person_id IN (SELECT id FROM people WHERE closed_at IS NOT NULL)",
        "DELETE FROM email_tokens WHERE person_id IN (SELECT id FROM people WHERE closed_at IS NOT NULL)",
        "DELETE FROM notification_prefs WHERE person_id IN (SELECT id FROM people WHERE closed_at IS NOT NULL)",
        "DELETE FROM group_members WHERE member_kind = 'person' AND role <> 'host' \
           AND member_id IN (SELECT id FROM people WHERE closed_at IS NOT NULL)",
        "DELETE FROM org_members WHERE role <> 'admin' AND person_id IN (SELECT id FROM people WHERE closed_at IS NOT NULL)",
    ] {
        n += sqlx::query(sql).execute(&db.pool).await?.rows_affected();
    }
    Ok(n)
}

/// Stories of closed accounts that closing would delete now, at most
/// `limit`, by id: every draft, and with the choice "remove" every story
/// not deleted that is not an organisation's announcement. Closing deleted
/// those it found; these were written by a request that began before the
/// close (core's guard, `people::still_open_in`, refuses any that begin
/// after).
pub async fn late_stories(db: &Db, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT s.id FROM stories s JOIN people p ON p.id = s.author_person \
         WHERE p.closed_at IS NOT NULL AND s.deleted_at IS NULL \
           AND (s.visibility = 'draft' OR (p.closed_posts = 'remove' AND s.voice <> 'announcement')) ORDER BY s.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Replies not retracted of accounts closed with the choice "remove",
/// except an organisation's announcements, at most `limit`, by id (see
/// [`late_stories`]).
pub async fn late_replies(db: &Db, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.id FROM replies r JOIN people p ON p.id = r.author_person \
         WHERE p.closed_at IS NOT NULL AND p.closed_posts = 'remove' AND r.status <> 'retracted' AND r.voice <> 'announcement' \
         ORDER BY r.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Statements not taken out, in conversations still open, of accounts
/// closed with the choice "remove": (statement, conversation), at most
/// `limit` (see [`late_stories`]).
pub async fn late_statements(db: &Db, limit: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.conversation_id FROM cg_statements s JOIN cg_participants cp ON cp.id = s.author \
         JOIN people p ON p.id = cp.person_id JOIN cg_conversations c ON c.id = s.conversation_id \
         WHERE p.closed_at IS NOT NULL AND p.closed_posts = 'remove' AND s.status <> 'rejected' AND c.status = 'open' \
         ORDER BY s.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// What is still stored of a person that closing removes, as (what, how
/// many), leaving out what there is none of: for tests, which check that
/// nothing of a closed account is left (as `purge::rows_naming_story`
/// does for a purged story).
pub async fn left_of(db: &Db, person: i64) -> Result<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for (what, sql) in [
        ("sessions", "SELECT COUNT(*) FROM sessions WHERE person_id = $1"),
        ("email links", "SELECT COUNT(*) FROM email_tokens WHERE person_id = $1"),
        ("a change of address", "SELECT COUNT(*) FROM email_changes WHERE person_id = $1"),
        ("notification settings", "SELECT COUNT(*) FROM notification_prefs WHERE person_id = $1"),
        ("notifications", "SELECT COUNT(*) FROM notifications WHERE person_id = $1"),
        ("blocks and mutes", "SELECT COUNT(*) FROM person_relations WHERE person_id = $1"),
        ("sectors", "SELECT COUNT(*) FROM person_sectors WHERE person_id = $1"),
        ("thanks received", "SELECT COUNT(*) FROM thanks WHERE recipient = $1"),
        ("group memberships", "SELECT COUNT(*) FROM group_members WHERE member_kind = 'person' AND member_id = $1"),
        ("organisation memberships", "SELECT COUNT(*) FROM org_members WHERE person_id = $1"),
        ("open invite codes", "SELECT COUNT(*) FROM invites WHERE created_by = $1 AND used_by IS NULL"),
    ] {
        let (n,): (i64,) = sqlx::query_as(sql).bind(person).fetch_one(&db.pool).await?;
        if n > 0 {
            out.push((what, n));
        }
    }
    Ok(out)
}
