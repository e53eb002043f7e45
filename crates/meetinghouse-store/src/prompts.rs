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
    pub host_handle: String,
    pub host_name: String,
    pub org_slug: Option<String>,
    pub org_name: Option<String>,
}

const SELECT: &str = "SELECT pr.id, pr.host_person, pr.host_org, pr.voice, pr.question, pr.description, pr.opens_at, \
    pr.closes_at, pr.group_id, pr.created_at, p.handle AS host_handle, p.display_name AS host_name, \
    o.slug AS org_slug, o.name AS org_name \
    FROM prompts pr JOIN people p ON p.id = pr.host_person LEFT JOIN organisations o ON o.id = pr.host_org";

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

/// The prompts `audience` may see, newest first: those for everyone, those
/// of a group that is not members-only, and those of a group they belong
/// to. Filtered before it is cut into pages, so no page comes out empty
/// while later ones have prompts.
pub async fn list_for(db: &Db, audience: &Audience, limit: i64, offset: i64) -> Result<Vec<PromptRow>> {
    let sql = format!(
        "{SELECT} LEFT JOIN community_groups g ON g.id = pr.group_id \
         WHERE pr.group_id IS NULL OR g.visibility <> 'members' OR {} \
         ORDER BY pr.opens_at DESC, pr.id DESC LIMIT $1 OFFSET $2",
        audience.groups_where("pr.group_id", 3)
    );
    // Only placeholders are formatted in; every value is bound.
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset);
    Ok(audience.bind_groups(q).fetch_all(&db.pool).await?)
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
