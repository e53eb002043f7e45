//! Prompts: open questions or calls for stories, hosted for a period.

use sqlx::FromRow;

use crate::error::Result;
use crate::objects::Audience;
use crate::{Db, Tx, now};

#[derive(Debug, Clone, FromRow)]
pub struct PromptRow {
    pub id: i64,
    pub host_person: i64,
    pub host_org: Option<i64>,
    pub voice: String,
    pub question: String,
    pub description: String,
    pub opens_at: i64,
    pub closes_at: Option<i64>,
    pub group_id: Option<i64>,
    pub created_at: i64,
    /// When the question last changed after stories answered it (migration 0031).
    pub question_edited_at: Option<i64>,
    pub host_handle: String,
    pub host_name: String,
    pub org_slug: Option<String>,
    pub org_name: Option<String>,
    /// The group it is for (only shown to those who may see the prompt).
    pub group_slug: Option<String>,
    pub group_name: Option<String>,
    /// Its group's visibility (`public` or `members`).
    pub group_visibility: Option<String>,
    /// When its group was archived, while it is.
    pub group_archived_at: Option<i64>,
}

const SELECT: &str = "SELECT pr.id, pr.host_person, pr.host_org, pr.voice, pr.question, pr.description, pr.opens_at, \
    pr.closes_at, pr.group_id, pr.created_at, pr.question_edited_at, p.handle AS host_handle, p.display_name AS host_name, \
    o.slug AS org_slug, o.name AS org_name, pg.slug AS group_slug, pg.name AS group_name, \
    pg.visibility AS group_visibility, pg.archived_at AS group_archived_at \
    FROM prompts pr JOIN people p ON p.id = pr.host_person LEFT JOIN organisations o ON o.id = pr.host_org \
    LEFT JOIN community_groups pg ON pg.id = pr.group_id";

#[derive(Debug, Clone)]
pub struct NewPrompt<'a> {
    pub host_person: i64,
    pub host_org: Option<i64>,
    pub voice: &'a str,
    pub question: &'a str,
    pub description: &'a str,
    pub opens_at: i64,
    pub closes_at: Option<i64>,
    pub group_id: Option<i64>,
}

pub async fn insert(tx: &mut Tx, p: &NewPrompt<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO prompts (host_person, host_org, voice, question, description, opens_at, closes_at, group_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(p.host_person)
    .bind(p.host_org)
    .bind(p.voice)
    .bind(p.question)
    .bind(p.description)
    .bind(p.opens_at)
    .bind(p.closes_at)
    .bind(p.group_id)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<PromptRow>> {
    let sql = format!("{SELECT} WHERE pr.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// The ids of the prompts person `who` (a parameter such as `"$1"`) hosts
/// now, as one subquery (it begins with its own `WITH RECURSIVE`, so use it
/// inside `IN (…)`): the one rule of who hosts a prompt, core
/// `prompts::hosted_by`, which [`hosted_by`], [`hosts`] and the prompt part
/// of a host's moderation queue (`moderation::open_reports`) all read.
///
/// A person hosts a prompt when they are an active, direct host of its
/// group; or an active admin of the organisation it was opened at; or they
/// opened it and are still active staff or an admin there. Nobody outside
/// a members-only group hosts its prompt (an organisation's admin who does
/// not belong to the group included), and the person who opened a group's
/// prompt hosts it only while they belong to the group (at any depth: the
/// membership rule of `groups::reach!`). A prompt with no organisation
/// and no group, which only an instance admin opens (in their own name),
/// is hosted by its opener while they are an active instance admin, and
/// once they are not (demoted, suspended, their account closed) by every
/// active instance admin. A group's hosts belong to it, an organisation
/// keeps an admin and the meeting house an instance admin, so a prompt
/// always keeps hosts.
macro_rules! hosted_prompts {
    ($who:literal) => {
        concat!(
            "WITH RECURSIVE ",
            $crate::groups::reach!("host_reach", $who),
            " SELECT hp.id FROM prompts hp LEFT JOIN community_groups hg ON hg.id = hp.group_id \
             WHERE hp.group_id IN (SELECT hm.group_id FROM group_members hm WHERE hm.member_kind = 'person' AND hm.member_id = ",
            $who,
            " AND hm.role = 'host' AND hm.status = 'active') \
             OR (hp.host_org IN (SELECT ha.org_id FROM org_members ha WHERE ha.person_id = ",
            $who,
            " AND ha.status = 'active' AND ha.role = 'admin') \
                 AND (hp.group_id IS NULL OR hg.visibility <> 'members' OR hp.group_id IN (SELECT id FROM host_reach))) \
             OR (hp.host_person = ",
            $who,
            " AND hp.host_org IN (SELECT hs.org_id FROM org_members hs WHERE hs.person_id = ",
            $who,
            " AND hs.status = 'active' AND hs.role IN ('admin', 'staff')) \
                 AND (hp.group_id IS NULL OR hp.group_id IN (SELECT id FROM host_reach))) \
             OR (hp.host_org IS NULL AND hp.group_id IS NULL \
                 AND EXISTS (SELECT 1 FROM people ia WHERE ia.id = ",
            $who,
            " AND ia.is_admin = 1 AND ia.status = 'active') \
                 AND (hp.host_person = ",
            $who,
            " OR NOT EXISTS (SELECT 1 FROM people io WHERE io.id = hp.host_person AND io.is_admin = 1 AND io.status = 'active')))"
        )
    };
}
// Read by store `moderation::open_reports` too.
pub(crate) use hosted_prompts;

/// Whether a person hosts a prompt now ([`hosted_prompts!`]).
pub async fn hosted_by(db: &Db, prompt: i64, person: i64) -> Result<bool> {
    let sql = concat!("SELECT 1 AS hosts FROM prompts WHERE id = $2 AND id IN (", hosted_prompts!("$1"), ")");
    let row: Option<(i64,)> = sqlx::query_as(sql).bind(person).bind(prompt).fetch_optional(&db.pool).await?;
    Ok(row.is_some())
}

/// The people who host a prompt now, besides its group's active hosts (who
/// host it too), by id: of its organisation's active admins, the person
/// who opened it and, for a prompt with no organisation and no group, the
/// active instance admins, those [`hosted_prompts!`] names (so an admin
/// outside a members-only group is not one, nor an opener who left the
/// group, nor the other instance admins while its opener is one). The
/// people a reply on it is told to (core `subjects`).
pub async fn hosts(db: &Db, id: i64) -> Result<Vec<i64>> {
    let candidates: Vec<(i64,)> = sqlx::query_as(
        "SELECT om.person_id FROM prompts pr JOIN org_members om ON om.org_id = pr.host_org \
         WHERE pr.id = $1 AND om.status = 'active' AND om.role = 'admin' \
         UNION SELECT pr.host_person FROM prompts pr WHERE pr.id = $1 \
         UNION SELECT ia.id FROM prompts pr JOIN people ia ON ia.is_admin = 1 AND ia.status = 'active' \
         WHERE pr.id = $1 AND pr.host_org IS NULL AND pr.group_id IS NULL \
         ORDER BY 1",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(candidates.len());
    for (person,) in candidates {
        if hosted_by(db, id, person).await? {
            out.push(person);
        }
    }
    Ok(out)
}

/// A host's changes to a prompt: the question and description, and the
/// closing moment when the host changed it (`None`: left as stored).
#[derive(Debug, Clone)]
pub struct PromptEdit<'a> {
    pub question: &'a str,
    pub description: &'a str,
    pub closes_at: Option<Option<i64>>,
}

/// Writes a host's changes. A question that changes while stories answer
/// the prompt (any story linked to it, a draft too: its author wrote to the
/// question as it was) marks the prompt edited at `at`, compared with the
/// question as stored in the same statement. Returns whether the prompt
/// exists.
pub async fn update(tx: &mut Tx, id: i64, e: &PromptEdit<'_>, at: i64) -> Result<bool> {
    const EDITED: &str = "question_edited_at = CASE WHEN question <> $2 AND EXISTS (SELECT 1 FROM stories s WHERE s.prompt_id = $1) \
         THEN $4 ELSE question_edited_at END";
    let done = match e.closes_at {
        None => {
            let sql = format!("UPDATE prompts SET {EDITED}, question = $2, description = $3 WHERE id = $1");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(e.question).bind(e.description).bind(at).execute(&mut **tx).await?
        }
        Some(closes) => {
            let sql = format!("UPDATE prompts SET {EDITED}, question = $2, description = $3, closes_at = $5 WHERE id = $1");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(e.question).bind(e.description).bind(at).bind(closes).execute(&mut **tx).await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Closes a prompt at `at`, only if it is open then (not closed already):
/// its closing moment becomes `at` (and a prompt not yet open opens and
/// closes at `at`). Returns whether it was closed by this call.
pub async fn close(db: &Db, id: i64, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE prompts SET closes_at = $2, opens_at = CASE WHEN opens_at > $2 THEN $2 ELSE opens_at END \
         WHERE id = $1 AND (closes_at IS NULL OR closes_at > $2)",
    )
    .bind(id)
    .bind(at)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a story answering a prompt was shown to others: it is shown now
/// (public or to a group), or it was shown and is a draft again (its text
/// waits in `story_last_shown`). A story that was a draft all along was not.
pub async fn answer_was_shown(db: &Db, story: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT s.id FROM stories s WHERE s.id = $1 \
         AND (s.visibility <> 'draft' OR EXISTS (SELECT 1 FROM story_last_shown l WHERE l.story_id = s.id))",
    )
    .bind(story)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}

/// Prompts open to everyone (not scoped to a group) at `at`, newest first.
pub async fn open_at(db: &Db, at: i64, limit: i64) -> Result<Vec<PromptRow>> {
    let sql = format!(
        "{SELECT} WHERE pr.group_id IS NULL AND pr.opens_at <= $1 AND (pr.closes_at IS NULL OR pr.closes_at > $1) \
         ORDER BY pr.opens_at DESC LIMIT $2"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(at).bind(limit).fetch_all(&db.pool).await?)
}

/// Every prompt, newest first.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<PromptRow>> {
    let sql = format!("{SELECT} ORDER BY pr.opens_at DESC, pr.id DESC LIMIT $1 OFFSET $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

/// The prompts `audience` may see: those for everyone, those of a group
/// that is not members-only, and those of a group they belong to. Those
/// open at `now` come first, the latest opened first; then those not open
/// yet, the soonest first (so one opening years ahead never heads the
/// list); then the closed ones, the latest closed first. Filtered before it
/// is cut into pages, so no page comes out empty while later ones have
/// prompts.
pub async fn list_for(db: &Db, audience: &Audience, now: i64, limit: i64, offset: i64) -> Result<Vec<PromptRow>> {
    let sql = format!(
        "{SELECT} LEFT JOIN community_groups g ON g.id = pr.group_id \
         WHERE pr.group_id IS NULL OR g.visibility <> 'members' OR {} \
         ORDER BY CASE WHEN pr.opens_at > $3 THEN 1 WHEN pr.closes_at <= $3 THEN 2 ELSE 0 END, \
                  CASE WHEN pr.opens_at > $3 THEN pr.opens_at WHEN pr.closes_at <= $3 THEN -pr.closes_at ELSE -pr.opens_at END, \
                  pr.id DESC LIMIT $1 OFFSET $2",
        audience.groups_where("pr.group_id", 4)
    );
    // Only placeholders are formatted in; every value is bound.
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).bind(now);
    Ok(audience.bind_groups(q).fetch_all(&db.pool).await?)
}

/// The prompts of a group, for the search index when the group's
/// visibility changes: (id, question, description, created at), read in
/// the caller's transaction.
pub async fn of_group_in(tx: &mut Tx, group: i64) -> Result<Vec<(i64, String, String, i64)>> {
    Ok(sqlx::query_as("SELECT id, question, description, created_at FROM prompts WHERE group_id = $1 ORDER BY id")
        .bind(group)
        .fetch_all(&mut **tx)
        .await?)
}

/// The prompts of public groups, for indexing those stored before they
/// were: (id, question, description, created at), read in the caller's
/// transaction.
pub async fn of_public_groups(tx: &mut Tx) -> Result<Vec<(i64, String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT pr.id, pr.question, pr.description, pr.created_at FROM prompts pr \
         JOIN community_groups g ON g.id = pr.group_id WHERE g.visibility = 'public' ORDER BY pr.id",
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// The ids of the live stories answering a prompt that `audience` may see,
/// newest first.
pub async fn story_ids(db: &Db, prompt: i64, audience: &Audience, limit: i64, offset: i64) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT s.id FROM stories s WHERE s.prompt_id = $1 AND {} ORDER BY s.created_at DESC, s.id DESC LIMIT $2 OFFSET $3",
        audience.stories_where(4)
    );
    // Only placeholders are formatted in; every value is bound.
    let q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(prompt).bind(limit).bind(offset);
    Ok(audience.bind(q).fetch_all(&db.pool).await?.into_iter().map(|(id,)| id).collect())
}
