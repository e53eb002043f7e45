//! The interaction record: every reply, mention and thanks as an edge from
//! one person (and organisation) to another, for the dashboard, the
//! export (core `interactions`) and each person's own data download. Thanks are private (only the person thanked knows who
//! thanked them): they stay in the meeting house, and the export
//! ([`public_edges`]) publishes replies and mentions only.

use sqlx::FromRow;

use crate::error::Result;
use crate::writes::{Arg, Batch};
use crate::{Db, Tx, now};

/// One recorded interaction.
#[derive(Debug, Clone)]
pub struct NewInteraction<'a> {
    pub source_person: i64,
    pub source_org: Option<i64>,
    pub target_person: i64,
    pub target_org: Option<i64>,
    pub kind: &'a str,
    pub subject_kind: &'a str,
    pub subject_id: i64,
    pub public: bool,
}

pub async fn insert(tx: &mut Tx, i: &NewInteraction<'_>, reply_id: Option<i64>) -> Result<()> {
    let mut b = Batch::new();
    insert_into(&mut b, i, reply_id.into());
    b.run_in(tx).await?;
    Ok(())
}

/// [`insert`], in a batch; `reply` is the reply the interaction came with
/// (an id, an insert of the same batch, or none).
pub fn insert_into(b: &mut Batch, i: &NewInteraction<'_>, reply: Arg) {
    b.execute(
        "INSERT INTO interactions (source_person, source_org, target_person, target_org, kind, subject_kind, subject_id, \
             reply_id, public, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            i.source_person.into(),
            i.source_org.into(),
            i.target_person.into(),
            i.target_org.into(),
            i.kind.into(),
            i.subject_kind.into(),
            i.subject_id.into(),
            reply,
            i.public.into(),
            now().into(),
        ],
    );
}

/// An edge as exported: people, organisation slugs and the time.
#[derive(Debug, Clone, FromRow)]
pub struct EdgeRow {
    pub id: i64,
    pub source_person: i64,
    /// The source's handle; empty for a closed account.
    pub source: String,
    pub target_person: i64,
    /// The target's handle; empty for a closed account.
    pub target: String,
    pub created_at: i64,
    pub kind: String,
    pub source_org: Option<String>,
    pub target_org: Option<String>,
}

/// Edges on content the public may see now, since `since`, oldest first
/// (by time, then id), after `after` (the time and id of the last edge of
/// the page before, `(0, 0)` to begin: paging through a large record on the
/// index `interactions_time`). Whether a subject
/// is public is read from the subject as it is, not from the edge's
/// `public` mark (written when the edge was, and never kept in step): a
/// story made members-only, turned into a draft or deleted since, a group
/// made members-only, or a prompt or an amendment to the purpose whose
/// group did, takes its edges out of
/// the export, and one made public brings them in. An edge whose reply was
/// since hidden, retracted or is waiting for review is left out too, and so
/// is every edge of someone whose account is not active (suspended, banned,
/// or waiting for approval: their profiles are hidden). A closed account
/// (store `closing`: its handle reads as empty, its status active) keeps its
/// edges; core names it, never by its id. Only replies and mentions are read
/// (the `IN` list), which anyone can read on the page: never a thanks, which
/// is private, nor a kind added later until it is listed there. An edge from
/// a person to themselves (a reply on their own story, a mention of
/// themselves) is no interaction between people and is left out.
pub async fn public_edges(db: &Db, since: i64, after: (i64, i64), limit: i64) -> Result<Vec<EdgeRow>> {
    Ok(sqlx::query_as(
        "SELECT i.id, i.source_person, sp.handle AS source, i.target_person, tp.handle AS target, i.created_at, i.kind, \
             so.slug AS source_org, tor.slug AS target_org \
         FROM interactions i JOIN people sp ON sp.id = i.source_person JOIN people tp ON tp.id = i.target_person \
         LEFT JOIN organisations so ON so.id = i.source_org LEFT JOIN organisations tor ON tor.id = i.target_org \
         LEFT JOIN replies r ON r.id = i.reply_id \
         WHERE i.created_at >= $1 AND (i.created_at > $2 OR (i.created_at = $2 AND i.id > $3)) AND i.kind IN ('reply', 'mention') AND i.source_person <> i.target_person \
           AND sp.status = 'active' AND tp.status = 'active' \
           AND (r.id IS NULL OR r.status = 'visible') \
           AND ((i.subject_kind = 'story' AND EXISTS (SELECT 1 FROM stories s WHERE s.id = i.subject_id \
                     AND s.visibility = 'public' AND s.deleted_at IS NULL)) \
             OR (i.subject_kind = 'prompt' AND EXISTS (SELECT 1 FROM prompts p LEFT JOIN community_groups g ON g.id = p.group_id \
                     WHERE p.id = i.subject_id AND (p.group_id IS NULL OR g.visibility <> 'members'))) \
             OR (i.subject_kind = 'group' AND EXISTS (SELECT 1 FROM community_groups g WHERE g.id = i.subject_id \
                     AND g.visibility <> 'members')) \
             OR (i.subject_kind = 'amendment' AND EXISTS (SELECT 1 FROM purpose_amendments a JOIN community_groups ag ON ag.id = a.group_id \
                     WHERE a.id = i.subject_id AND ag.visibility <> 'members')) \
             OR (i.subject_kind = 'object' AND EXISTS (SELECT 1 FROM collection_objects c WHERE c.id = i.subject_id)) \
             OR (i.subject_kind = 'org' AND EXISTS (SELECT 1 FROM organisations o WHERE o.id = i.subject_id))) \
         ORDER BY i.created_at, i.id LIMIT $4",
    )
    .bind(since)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Every (person, sector) pair, for the export's sector columns.
pub async fn all_sectors(db: &Db) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT person_id, sector FROM person_sectors ORDER BY person_id, sector").fetch_all(&db.pool).await?)
}
