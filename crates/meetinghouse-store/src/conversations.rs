//! Replies on any subject, their edit history, host-reply tracking
//! (reciprocity) and private thanks.

use sqlx::FromRow;

use crate::error::Result;
use crate::writes::{Arg, Batch, Inserted};
use crate::reads::Read;
use crate::{Backend, Db, Tx, now};

/// A reply with its author's names, ready to show.
#[derive(Debug, Clone, FromRow)]
pub struct ReplyRow {
    pub id: i64,
    pub subject_kind: String,
    pub subject_id: i64,
    pub parent_id: Option<i64>,
    pub depth: i64,
    pub path: String,
    pub author_person: i64,
    pub author_org: Option<i64>,
    pub voice: String,
    pub body: String,
    pub status: String,
    pub note: String,
    pub review_requested: i64,
    /// 1 when a moderator looked at the reply again at its author's request
    /// and it stayed hidden: another review needs an edit first (migration
    /// 0022; an edit sets it back to 0).
    pub review_declined: i64,
    pub by_host: i64,
    pub public: i64,
    /// 1 once readers were shown it (written visible, or approved); see
    /// [`published_count`].
    pub published: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub author_handle: String,
    pub author_name: String,
    pub org_slug: Option<String>,
    pub org_name: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.subject_kind, r.subject_id, r.parent_id, r.depth, r.path, r.author_person, \
    r.author_org, r.voice, r.body, r.status, r.note, r.review_requested, r.review_declined, r.by_host, r.public, r.published, r.created_at, r.updated_at, \
    p.handle AS author_handle, p.display_name AS author_name, o.slug AS org_slug, o.name AS org_name \
    FROM replies r JOIN people p ON p.id = r.author_person LEFT JOIN organisations o ON o.id = r.author_org";

/// One segment of a reply's path: its id, zero-padded so text order is number order.
pub fn path_segment(id: i64) -> String {
    format!("{id:012}")
}

/// What a new reply is written with.
#[derive(Debug, Clone)]
pub struct NewReply<'a> {
    pub subject_kind: &'a str,
    pub subject_id: i64,
    /// The parent's (id, depth, path), for a reply to a reply.
    pub parent: Option<(i64, i64, &'a str)>,
    pub author_person: i64,
    pub author_org: Option<i64>,
    pub voice: &'a str,
    pub body: &'a str,
    pub status: &'a str,
    pub by_host: bool,
    pub public: bool,
}

const INSERT_REPLY: &str = "INSERT INTO replies (subject_kind, subject_id, parent_id, depth, path, author_person, author_org, \
    voice, body, status, by_host, public, published, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id";

/// [`INSERT_REPLY`] for a subject that belongs to groups `$14` and `$15`
/// (the same one twice when it belongs to one): the reply is written only
/// while neither group is archived, read by the insert itself.
const INSERT_REPLY_IN_OPEN_GROUP: &str = "INSERT INTO replies (subject_kind, subject_id, parent_id, depth, path, author_person, author_org, \
    voice, body, status, by_host, public, published, created_at, updated_at) \
    SELECT $1, $2, $3, $4, '', $5, $6, $7, $8, $9, $10, $11, $12, $13, $13 \
    WHERE NOT EXISTS (SELECT 1 FROM community_groups g WHERE g.id IN ($14, $15) AND g.archived_at IS NOT NULL) RETURNING id";

/// How deep replies nest. A reply to one this deep is placed beside it, in
/// the order written, and still names it as its parent (shown "in reply to").
/// It keeps a path to at most 64 segments of 13 bytes: PostgreSQL refuses an
/// index entry over about 2,700 bytes, which an unbounded chain of answers
/// (two people going back and forth) would reach at about 200.
pub const MAX_DEPTH: i64 = 64;

/// Where a reply to `parent` (id, depth, path) goes: its depth, and the path
/// it is placed under (None at the top).
fn placement(parent: Option<(i64, i64, &str)>) -> (i64, Option<&str>) {
    match parent {
        None => (0, None),
        Some((_, depth, path)) if depth >= MAX_DEPTH => (depth, path.rsplit_once('/').map(|(above, _)| above)),
        Some((_, depth, path)) => (depth + 1, Some(path)),
    }
}

/// A reply's path: the path it is placed under, then its own segment.
pub fn reply_path(parent_path: Option<&str>, id: i64) -> String {
    match parent_path {
        Some(p) => format!("{p}/{}", path_segment(id)),
        None => path_segment(id),
    }
}

/// Adds a reply, and the setting of its path, to a batch; the insert's id is
/// the reply's. It is a write, so a batch can start with it. A reply written
/// `visible` is published from the start (see [`published_count`]).
pub fn insert_into(b: &mut Batch, r: &NewReply<'_>) -> Inserted {
    placed(b, r, None)
}

/// [`insert_into`] for a reply on something that belongs to group
/// `group_id` (its discussion, a story shared with it, its prompt, an
/// amendment to its purpose) and to group `also` (a story answering another
/// group's prompt; `group_id` again when there is no other): the insert
/// writes the reply only if neither group is archived as the batch runs —
/// the check and the write are one statement, in the batch's transaction
/// (on SQLite inside the write turn, which archiving takes too). If one is
/// archived, the batch fails with `StoreError::NotFound` and stores nothing
/// ([`Batch::insert_if`]).
pub fn insert_in_open_group_into(b: &mut Batch, r: &NewReply<'_>, group_id: i64, also: i64) -> Inserted {
    placed(b, r, Some((group_id, also)))
}

fn placed(b: &mut Batch, r: &NewReply<'_>, open_groups: Option<(i64, i64)>) -> Inserted {
    let (depth, under) = placement(r.parent);
    let mut args: Vec<Arg> = vec![
        r.subject_kind.into(),
        r.subject_id.into(),
        r.parent.map(|(id, _, _)| id).into(),
        depth.into(),
        r.author_person.into(),
        r.author_org.into(),
        r.voice.into(),
        r.body.into(),
        r.status.into(),
        r.by_host.into(),
        r.public.into(),
        (r.status == "visible").into(),
        now().into(),
    ];
    let id = match open_groups {
        Some((g, also)) => {
            args.push(g.into());
            args.push(also.into());
            b.insert_if(INSERT_REPLY_IN_OPEN_GROUP, args)
        }
        None => b.insert(INSERT_REPLY, args),
    };
    let under = under.map(str::to_string);
    b.execute("UPDATE replies SET path = $2 WHERE id = $1", vec![id.into(), Arg::text_from_id(id, move |id| reply_path(under.as_deref(), id))]);
    id
}

/// A reply on a story is written only while the story is shown to the
/// audience the reply was checked against: not deleted, public or not as
/// `$2` says (1 or 0), shared with group `$3` (0 for none). A reply records
/// whether its subject was public when it was written (`replies.public`),
/// and one written for a group's members keeps the story with that group
/// (store `stories::narrow_replies`), so it must not land under another.
///
/// On PostgreSQL the row is held `FOR KEY SHARE` until the reply's
/// transaction ends: the story's edit takes its row `FOR UPDATE` (store
/// [`crate::stories::update`]) before it counts those replies, so the two
/// take turns. A reply that got the row first has committed when the edit
/// counts (each statement of its READ COMMITTED transaction sees what
/// committed before it), and the widening is refused; a reply that waited
/// reads the row again as the edit left it, and writes nothing when the
/// audience changed. (`FOR KEY SHARE`, not `FOR SHARE`: closing an account
/// holds its person's row and then updates their stories, while a reply
/// holding the story goes on to tell that person, which waits for their
/// row; `FOR SHARE` would have them wait for each other.) On SQLite the
/// write turn orders them the same way.
const STORY_AUDIENCE_POSTGRES: &str = "SELECT id FROM stories WHERE id = $1 AND deleted_at IS NULL \
     AND (CASE WHEN visibility = 'public' THEN 1 ELSE 0 END) = $2 AND COALESCE(group_id, 0) = $3 FOR KEY SHARE";
/// [`STORY_AUDIENCE_POSTGRES`] on SQLite, whose write turn does the locking.
const STORY_AUDIENCE_SQLITE: &str = "SELECT id FROM stories WHERE id = $1 AND deleted_at IS NULL \
     AND (CASE WHEN visibility = 'public' THEN 1 ELSE 0 END) = $2 AND COALESCE(group_id, 0) = $3";

/// Adds to a reply's batch, before its insert, the check that story
/// `story` is still shown as the reply was checked against (`public`,
/// shared with `group`), holding it on PostgreSQL until the batch ends (see
/// [`STORY_AUDIENCE_POSTGRES`]). When it is not, the batch fails with
/// [`crate::StoreError::NotFound`] and stores nothing (`Batch::insert_if`:
/// the check returns the story's id when it holds, as an insert would); the
/// caller asks again to say why.
pub fn story_audience_into(b: &mut Batch, backend: Backend, story: i64, public: bool, group: Option<i64>) {
    let sql = match backend {
        Backend::Postgres => STORY_AUDIENCE_POSTGRES,
        Backend::Sqlite => STORY_AUDIENCE_SQLITE,
    };
    b.insert_if(sql, vec![story.into(), public.into(), group.unwrap_or(0).into()]);
}

/// Inserts a reply and sets its path; returns (id, path).
pub async fn insert(tx: &mut Tx, r: &NewReply<'_>) -> Result<(i64, String)> {
    let mut b = Batch::new();
    let step = insert_into(&mut b, r);
    let id = b.run_in(tx).await?.id(step);
    Ok((id, reply_path(placement(r.parent).1, id)))
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<ReplyRow>> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// A page of a conversation in threaded order, starting after `after_path`
/// (or at the beginning), leaving out authors the viewer muted (`viewer` 0
/// when signed out).
pub async fn page(db: &Db, kind: &str, id: i64, after_path: &str, viewer: i64, limit: i64) -> Result<Vec<ReplyRow>> {
    let sql = format!(
        "{SELECT} WHERE r.subject_kind = $1 AND r.subject_id = $2 AND r.path > $3 \
         AND NOT EXISTS (SELECT 1 FROM person_relations m WHERE m.person_id = $4 AND m.kind = 'mute' AND m.other_id = r.author_person) \
         ORDER BY r.path LIMIT $5"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(kind)
        .bind(id)
        .bind(after_path)
        .bind(viewer)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// A reply's descendants in threaded order (the path range just under it).
pub async fn descendants(db: &Db, r: &ReplyRow, viewer: i64, limit: i64) -> Result<Vec<ReplyRow>> {
    descendants_after(db, r, "", viewer, limit).await
}

/// A page of a reply's descendants in threaded order, after the one at
/// `after_path` ("" for the first page), for a permalink that pages
/// through a long thread rather than stopping at one page's worth.
pub async fn descendants_after(db: &Db, r: &ReplyRow, after_path: &str, viewer: i64, limit: i64) -> Result<Vec<ReplyRow>> {
    let sql = format!(
        "{SELECT} WHERE r.subject_kind = $1 AND r.subject_id = $2 AND r.path > $3 AND r.path < $4 \
         AND NOT EXISTS (SELECT 1 FROM person_relations m WHERE m.person_id = $5 AND m.kind = 'mute' AND m.other_id = r.author_person) \
         ORDER BY r.path LIMIT $6"
    );
    // '0' is the character after '/', so this range is exactly "path/…".
    let under = format!("{}/", r.path);
    let from = if after_path > under.as_str() { after_path.to_string() } else { under };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&r.subject_kind)
        .bind(r.subject_id)
        .bind(from)
        .bind(format!("{}0", r.path))
        .bind(viewer)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// A page of a person's own replies, newest first, before reply `before`
/// (`i64::MAX` for the first page), whatever their status and subject: the
/// author's list of what became of them (index `replies_author`).
pub async fn by_author(db: &Db, person: i64, before: i64, limit: i64) -> Result<Vec<ReplyRow>> {
    let sql = format!("{SELECT} WHERE r.author_person = $1 AND r.id < $2 ORDER BY r.id DESC LIMIT $3");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(before).bind(limit).fetch_all(&db.pool).await?)
}

/// Who hosts a subject, to be told of a reply by `writer`: the active staff
/// and admins of `orgs`, the active hosts of `groups` and the people named
/// in `people`, each once, leaving out the writer and anyone who blocked or
/// muted them; organisation admins, group hosts and named hosts first, then
/// staff, each by id (oldest account first), at most `limit`.
pub async fn hosts_to_tell(db: &Db, orgs: &[i64], groups: &[i64], people: &[i64], writer: i64, limit: i64) -> Result<Vec<i64>> {
    let mut p = crate::Params::new(db.backend());
    let mut parts = Vec::new();
    if !orgs.is_empty() {
        parts.push(format!(
            "SELECT person_id AS id, CASE WHEN role = 'admin' THEN 0 ELSE 1 END AS turn FROM org_members \
             WHERE org_id IN {} AND status = 'active' AND role IN ('admin', 'staff')",
            p.tuple(orgs.len())
        ));
    }
    if !groups.is_empty() {
        parts.push(format!(
            "SELECT member_id AS id, 0 AS turn FROM group_members \
             WHERE group_id IN {} AND member_kind = 'person' AND role = 'host' AND status = 'active'",
            p.tuple(groups.len())
        ));
    }
    if !people.is_empty() {
        parts.push(format!("SELECT id, 0 AS turn FROM people WHERE id IN {}", p.tuple(people.len())));
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT h.id FROM ({}) h WHERE h.id <> {} \
         AND NOT EXISTS (SELECT 1 FROM person_relations r WHERE r.person_id = h.id AND r.other_id = {} AND r.kind IN ('block', 'mute')) \
         GROUP BY h.id ORDER BY MIN(h.turn), h.id LIMIT {}",
        parts.join(" UNION ALL "),
        p.next(),
        p.next(),
        p.next()
    );
    let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql));
    for id in orgs.iter().chain(groups).chain(people) {
        q = q.bind(*id);
    }
    let rows = q.bind(writer).bind(writer).bind(limit).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// What [`update_body`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyUpdate {
    /// The text was replaced and the earlier text kept as a revision.
    Kept,
    /// The text was replaced; nothing kept (the reply was not on show).
    Replaced,
    /// Nothing was written: the reply was retracted (or removed) meanwhile.
    Retracted,
}

/// Writes a reply's new text, unless it was retracted: a retracted reply
/// keeps no text, so an edit that lost the race with a retraction writes
/// nothing (no revision either) and says so. The current text is saved as a
/// revision only while the reply is visible: the history is a record of what
/// readers were shown, so text written while a reply waits for review or is
/// hidden is replaced, never kept (a moderator's restore would publish it).
/// An edit lets the author ask for another review after one was declined
/// (`review_declined` back to 0).
///
/// Its first statement is an update of the row, only while it is not
/// retracted: on PostgreSQL it waits for a retraction or another edit in
/// progress and then holds the row until commit (on SQLite the write turn
/// does), so the text read next is the one this edit replaces.
pub async fn write_body(tx: &mut Tx, id: i64, body: &str) -> Result<BodyUpdate> {
    let live = sqlx::query("UPDATE replies SET review_declined = 0 WHERE id = $1 AND status <> 'retracted'").bind(id).execute(&mut **tx).await?;
    if live.rows_affected() != 1 {
        return Ok(BodyUpdate::Retracted);
    }
    let kept = sqlx::query(
        "INSERT INTO reply_revisions (reply_id, body, created_at) SELECT id, body, updated_at FROM replies WHERE id = $1 AND status = 'visible'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE replies SET body = $2, updated_at = $3 WHERE id = $1").bind(id).bind(body).bind(now()).execute(&mut **tx).await?;
    Ok(if kept.rows_affected() == 1 { BodyUpdate::Kept } else { BodyUpdate::Replaced })
}

/// [`write_body`] as a yes/no: whether a revision was kept. A reply that was
/// retracted meanwhile is not written, and that is an error
/// ([`StoreError::NotFound`](crate::StoreError::NotFound): the text is gone),
/// so the caller's transaction ends without writing anything.
pub async fn update_body(tx: &mut Tx, id: i64, body: &str) -> Result<bool> {
    match write_body(tx, id, body).await? {
        BodyUpdate::Kept => Ok(true),
        BodyUpdate::Replaced => Ok(false),
        BodyUpdate::Retracted => Err(crate::StoreError::NotFound),
    }
}

/// The author takes a reply back: the text and its history go, the note
/// stays. Only a visible reply keeps the note: one that waits for review or
/// is hidden was not on show, and a note readers see would publish text no
/// moderator looked at. The open reports that ask a moderator to publish it
/// — a first contribution's review, a review request — are closed: nothing
/// is left to publish, and a reply that waits is never dismissed. Reports
/// people made about what it said stay open for the moderators.
pub async fn retract(tx: &mut Tx, id: i64, note: &str) -> Result<()> {
    sqlx::query(
        "UPDATE replies SET status = 'retracted', body = '', note = CASE WHEN status = 'visible' THEN $2 ELSE '' END, \
         review_requested = 0, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(note)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM reply_revisions WHERE reply_id = $1").bind(id).execute(&mut **tx).await?;
    sqlx::query(
        "UPDATE reports SET status = 'closed', closed_at = $2 WHERE target_kind = 'reply' AND target_id = $1 AND status = 'open' \
         AND reporter IS NULL AND category IN ('first-contributions', 'review-request')",
    )
    .bind(id)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sends a shown reply back to wait for review after its author edited it
/// (core `conversations::edit_reply`): false, and nothing written, unless
/// it is still visible. It stays published (`published`), so readers keep
/// its place in the thread and approving it tells nobody again.
pub async fn send_back_for_review(tx: &mut Tx, id: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE replies SET status = 'pending' WHERE id = $1 AND status = 'visible'").bind(id).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a reply's moderation status and note (hide, restore, approve), only
/// from the status and the text the moderator judged (`from`, `body`):
/// false, and nothing written, when either changed meanwhile (another
/// moderator acted, or the author edited or retracted it). On PostgreSQL
/// the update re-checks both against the row as last committed (waiting for
/// an edit in progress) and holds it until commit; on SQLite the write turn
/// does.
pub async fn set_status(tx: &mut Tx, id: i64, from: &str, body: &str, status: &str, note: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE replies SET status = $2, note = $3, review_requested = 0, review_declined = 0 WHERE id = $1 AND status = $4 AND body = $5",
    )
    .bind(id)
    .bind(status)
    .bind(note)
    .bind(from)
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a reply is still in the status and has the text a moderator
/// judged, for a decision that leaves it as it is (dismiss, warn, suspend,
/// ban). An update that changes nothing, so on PostgreSQL it waits for an
/// edit in progress and then holds the row until commit, as [`set_status`].
pub async fn still_as_judged(tx: &mut Tx, id: i64, status: &str, body: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE replies SET status = status WHERE id = $1 AND status = $2 AND body = $3")
        .bind(id)
        .bind(status)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A person's replies that readers see or that wait for review, by id, at
/// most `limit`, read in the caller's transaction: (id, status, text). What
/// a moderator's "remove everything they have posted" hides, each with
/// [`set_status`] from the status and text read here.
pub async fn live_by_author(tx: &mut Tx, person: i64, limit: i64) -> Result<Vec<(i64, String, String)>> {
    Ok(sqlx::query_as("SELECT id, status, body FROM replies WHERE author_person = $1 AND status IN ('visible', 'pending') ORDER BY id LIMIT $2")
        .bind(person)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// A moderator looked at a hidden reply again at its author's request and it
/// stays hidden: the request is answered (`review_requested` back to 0), and
/// another needs an edit first (`review_declined`, cleared by [`write_body`]).
pub async fn decline_review(tx: &mut Tx, id: i64) -> Result<()> {
    sqlx::query("UPDATE replies SET review_requested = 0, review_declined = 1 WHERE id = $1 AND status = 'hidden'")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records, in a batch, that a moderator published a reply that waited for
/// review (see [`published_count`]).
pub fn mark_published_into(b: &mut Batch, id: i64) {
    b.execute("UPDATE replies SET published = 1 WHERE id = $1", vec![id.into()]);
}

/// The author asks for a review of their hidden reply: false, and nothing
/// written, unless it is still hidden, not already waiting for one, and
/// edited since a review that kept it hidden.
pub async fn set_review_requested(tx: &mut Tx, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE replies SET review_requested = 1 WHERE id = $1 AND status = 'hidden' AND review_requested = 0 AND review_declined = 0",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// (body, when it was written) of earlier versions, newest first.
pub async fn revisions(db: &Db, id: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT body, created_at FROM reply_revisions WHERE reply_id = $1 ORDER BY id DESC")
        .bind(id)
        .fetch_all(&db.pool)
        .await?)
}

/// [`revisions`], `limit` of them after skipping the newest `skip`: a page
/// of a reply's history.
pub async fn revisions_page(db: &Db, id: i64, skip: i64, limit: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT body, created_at FROM reply_revisions WHERE reply_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3")
        .bind(id)
        .bind(limit)
        .bind(skip)
        .fetch_all(&db.pool)
        .await?)
}

/// How many of a person's replies were published, up to `cap` (for
/// first-contribution review). A reply is published when it is written
/// visible or a moderator approves it ([`mark_published_into`]), and stays
/// counted when it is later hidden or retracted; one retracted or hidden
/// while it waited for review never counts.
pub async fn published_count(db: &Db, person: i64, cap: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT 1 FROM replies WHERE author_person = $1 AND published = 1 LIMIT $2) x",
    )
    .bind(person)
    .bind(cap)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// Records the first host reply to a community contribution; later ones change nothing.
pub async fn record_host_reply(tx: &mut Tx, kind: &str, id: i64, reply_id: i64) -> Result<()> {
    let mut b = Batch::new();
    record_host_reply_into(&mut b, kind, id, reply_id.into());
    b.run_in(tx).await?;
    Ok(())
}

/// Records, in a batch, that a host answered a contribution with `reply`
/// (the first answer stands).
pub fn record_host_reply_into(b: &mut Batch, kind: &str, id: i64, reply: Arg) {
    b.execute(
        "INSERT INTO host_replies (contribution_kind, contribution_id, reply_id, replied_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (contribution_kind, contribution_id) DO NOTHING",
        vec![kind.into(), id.into(), reply, now().into()],
    );
}

/// When a host first replied to a contribution: (reply id, unix seconds).
pub async fn host_reply(db: &Db, kind: &str, id: i64) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT reply_id, replied_at FROM host_replies WHERE contribution_kind = $1 AND contribution_id = $2")
        .bind(kind)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?)
}

/// Adds a thanks; false if this person already sent this kind for this target.
pub async fn add_thanks(tx: &mut Tx, target_kind: &str, target_id: i64, sender: i64, recipient: i64, kind: &str) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO thanks (target_kind, target_id, sender, recipient, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (target_kind, target_id, sender, kind) DO NOTHING",
    )
    .bind(target_kind)
    .bind(target_id)
    .bind(sender)
    .bind(recipient)
    .bind(kind)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who thanked a target and how: (handle, display name, kind, when), newest first.
pub async fn thanks_for(db: &Db, target_kind: &str, target_id: i64) -> Result<Vec<(String, String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT p.handle, p.display_name, t.kind, t.created_at FROM thanks t JOIN people p ON p.id = t.sender \
         WHERE t.target_kind = $1 AND t.target_id = $2 ORDER BY t.created_at DESC, p.handle",
    )
    .bind(target_kind)
    .bind(target_id)
    .fetch_all(&db.pool)
    .await?)
}

/// The kinds of thanks a person already sent for a target.
pub async fn thanks_sent(db: &Db, target_kind: &str, target_id: i64, sender: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT kind FROM thanks WHERE target_kind = $1 AND target_id = $2 AND sender = $3")
        .bind(target_kind)
        .bind(target_id)
        .bind(sender)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}

/// People a writer mentions, and the blocks and mutes set against the writer
/// by them and by `also` (the person replied to), in one query: the people
/// found by (lower-case) handle as (id, handle), and (person, kind) pairs.
/// A closed account, whose handle reads as empty (store `closing`), is not
/// found by it: a mention of it is answered as one of a handle nobody has.
pub async fn mentions_and_relations(db: &Db, writer: i64, handles: &[String], also: Option<i64>) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>)> {
    mentions_and_relations_with(db, writer, handles, also.as_slice()).await
}

/// [`mentions_and_relations`] with any number of people besides those
/// mentioned (at most a few: the person replied to and the subject's owner).
pub async fn mentions_and_relations_with(db: &Db, writer: i64, handles: &[String], also: &[i64]) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>)> {
    if handles.is_empty() && also.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut p = crate::Params::new(db.backend());
    let writer_param = p.next();
    let mut wanted = Vec::new();
    if !handles.is_empty() {
        wanted.push(format!("(p.handle_lower IN {} AND p.handle <> '')", p.tuple(handles.len())));
    }
    if !also.is_empty() {
        wanted.push(format!("p.id IN {}", p.tuple(also.len())));
    }
    let sql = format!(
        "SELECT p.id, p.handle, p.handle_lower, r.kind FROM people p \
         LEFT JOIN person_relations r ON r.person_id = p.id AND r.other_id = {writer_param} WHERE {}",
        wanted.join(" OR ")
    );
    let mut q = Read::new(sql).int(writer);
    for h in handles {
        q = q.text(h.to_lowercase());
    }
    for a in also {
        q = q.int(*a);
    }
    let (mut found, mut relations) = (Vec::new(), Vec::new());
    for (id, handle, lower, kind) in db.read_all::<(i64, String, String, Option<String>)>(q).await? {
        if handles.contains(&lower) && !found.iter().any(|(f, _)| *f == id) {
            found.push((id, handle));
        }
        if let Some(kind) = kind.filter(|_| id != writer)
            && !relations.iter().any(|(p, k)| *p == id && *k == kind)
        {
            relations.push((id, kind));
        }
    }
    Ok((found, relations))
}

/// The authors of the replies `ids` (at most a page of them), as (reply,
/// author): what a page's own replies answer, when it is not on the page.
pub async fn authors_of(db: &Db, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = crate::Params::new(db.backend());
    let sql = format!("SELECT id, author_person FROM replies WHERE id IN {}", p.tuple(ids.len()));
    let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// Which of `among` (at most a page of reply authors and a subject's owner)
/// blocked `person`: the reply form is not offered where it would be refused.
pub async fn blocked_by_among(db: &Db, person: i64, among: &[i64]) -> Result<Vec<i64>> {
    if among.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = crate::Params::new(db.backend());
    let person_param = p.next();
    let sql = format!(
        "SELECT DISTINCT person_id FROM person_relations WHERE other_id = {person_param} AND kind = 'block' AND person_id IN {}",
        p.tuple(among.len())
    );
    let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(person);
    for a in among {
        q = q.bind(*a);
    }
    Ok(q.fetch_all(&db.pool).await?.into_iter().map(|(id,)| id).collect())
}
