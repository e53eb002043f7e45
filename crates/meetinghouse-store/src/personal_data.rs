//! What one person put into the meeting house, read for their own download
//! (core `personal_data`): their account, memberships, stories, replies,
//! thanks given and received, common-ground statements and votes, prompts
//! and conversations they host, amendments and objections, blocks and mutes,
//! reports, notifications, collection imports, invite codes, uploads no
//! story of theirs shows, the moderators' decisions about them, their
//! changes to groups and organisations, and their interaction edges.
//!
//! Only rows the person made or chose are read, and of other people only
//! what those rows point at and the person already saw: a handle they
//! blocked or thanked, a statement they voted on, who thanked them. Never
//! who reported them, who moderated them, who blocked them, or what others
//! wrote around their words.
//!
//! The long lists come a page at a time, after a key (`after`, the last
//! id or position the caller saw), so a person with a great deal of
//! content is read in bounded pieces.

use sqlx::FromRow;

use crate::error::Result;
use crate::Db;

/// The account as the person sees it.
#[derive(Clone, FromRow)]
pub struct Account {
    pub handle: String,
    pub display_name: String,
    pub pronouns: String,
    pub bio: String,
    pub email: String,
    pub email_verified_at: Option<i64>,
    pub status: String,
    pub is_admin: i64,
    pub created_at: i64,
    /// `immediate`, `daily` or `off`.
    pub email_mode: String,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account").field("handle", &self.handle).finish_non_exhaustive()
    }
}

pub async fn account(db: &Db, person: i64) -> Result<Option<Account>> {
    Ok(sqlx::query_as(
        "SELECT p.handle, p.display_name, p.pronouns, p.bio, p.email, p.email_verified_at, p.status, p.is_admin, p.created_at, \
         COALESCE(n.email_mode, 'daily') AS email_mode \
         FROM people p LEFT JOIN notification_prefs n ON n.person_id = p.id WHERE p.id = $1",
    )
    .bind(person)
    .fetch_optional(&db.pool)
    .await?)
}

/// The sectors the person chose, in alphabetical order.
pub async fn sectors(db: &Db, person: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT sector FROM person_sectors WHERE person_id = $1 ORDER BY sector")
        .bind(person)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|(s,)| s).collect())
}

/// One of the person's own memberships (an organisation or a group).
#[derive(Debug, Clone, FromRow)]
pub struct Membership {
    pub slug: String,
    pub name: String,
    pub role: String,
    /// `active`, `invited` or (groups) `requested`.
    pub status: String,
    pub created_at: i64,
}

/// The person's memberships of organisations, invitations included, a page
/// of `limit` after the first `offset`, by organisation id.
pub async fn organisations(db: &Db, person: i64, offset: i64, limit: i64) -> Result<Vec<Membership>> {
    Ok(sqlx::query_as(
        "SELECT o.slug, o.name, m.role, m.status, m.created_at FROM org_members m JOIN organisations o ON o.id = m.org_id \
         WHERE m.person_id = $1 ORDER BY o.id LIMIT $2 OFFSET $3",
    )
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}

/// The person's own rows in groups (member, host, invited, asked to
/// join), a page by group id. A membership through an organisation or a
/// member group is that organisation's or group's, not listed here.
pub async fn groups(db: &Db, person: i64, offset: i64, limit: i64) -> Result<Vec<Membership>> {
    Ok(sqlx::query_as(
        "SELECT g.slug, g.name, m.role, m.status, m.created_at FROM group_members m JOIN community_groups g ON g.id = m.group_id \
         WHERE m.member_kind = 'person' AND m.member_id = $1 ORDER BY g.id LIMIT $2 OFFSET $3",
    )
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}

/// One of the person's stories, deleted ones included.
#[derive(Debug, Clone, FromRow)]
pub struct Story {
    pub id: i64,
    pub voice: String,
    pub org_slug: Option<String>,
    pub title: String,
    pub body: String,
    pub place_name: String,
    pub lat_milli: Option<i64>,
    pub lon_milli: Option<i64>,
    pub period_text: String,
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
    pub prompt_id: Option<i64>,
    pub licence: String,
    pub consent_people: i64,
    pub consent_minors: i64,
    pub visibility: String,
    pub group_slug: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

/// The stories under `after`'s page: the person's with ids above `after`,
/// at most `limit`, by id. (The same page as [`story_photos`],
/// [`story_revisions`] and [`story_objects`] read.)
const STORY_PAGE: &str = "SELECT id FROM stories WHERE author_person = $1 AND id > $2 ORDER BY id LIMIT $3";

pub async fn stories(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Story>> {
    let sql = format!(
        "SELECT s.id, s.voice, o.slug AS org_slug, s.title, s.body, s.place_name, s.lat_milli, s.lon_milli, s.period_text, \
         s.year_from, s.year_to, s.prompt_id, s.licence, s.consent_people, s.consent_minors, s.visibility, g.slug AS group_slug, \
         s.created_at, s.updated_at, s.deleted_at \
         FROM stories s LEFT JOIN organisations o ON o.id = s.author_org LEFT JOIN community_groups g ON g.id = s.group_id \
         WHERE s.id IN ({STORY_PAGE}) ORDER BY s.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(after).bind(limit).fetch_all(&db.pool).await?)
}

/// A photo on one of the person's stories.
#[derive(Debug, Clone, FromRow)]
pub struct Photo {
    pub story_id: i64,
    pub position: i64,
    pub master_key: String,
    pub width: i64,
    pub height: i64,
    pub alt: String,
    pub caption: String,
}

/// The photos of the stories [`stories`] returns for the same page, by
/// story and position.
pub async fn story_photos(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Photo>> {
    let sql = format!(
        "SELECT p.story_id, p.position, m.master_key, m.width, m.height, p.alt, p.caption \
         FROM story_photos p JOIN media m ON m.id = p.media_id WHERE p.story_id IN ({STORY_PAGE}) ORDER BY p.story_id, p.position"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(after).bind(limit).fetch_all(&db.pool).await?)
}

/// An earlier version of one of the person's stories.
#[derive(Debug, Clone, FromRow)]
pub struct StoryRevision {
    pub story_id: i64,
    pub title: String,
    pub body: String,
    /// Who it was shown to until it was replaced: `public`, `group` or
    /// `draft` (also every version from before migration 0019).
    pub visibility: String,
    pub group_slug: Option<String>,
    pub created_at: i64,
    /// Who took the version's text out of the history (`author` or
    /// `moderators`, migration 0053), its title and body then being empty;
    /// `None` while the text is as it was replaced.
    pub removed_by: Option<String>,
    /// When the text was removed (unix seconds); `None` with `removed_by`.
    pub removed_at: Option<i64>,
}

/// The earlier versions of the stories of [`stories`]' page, oldest first.
pub async fn story_revisions(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<StoryRevision>> {
    let sql = format!(
        "SELECT r.story_id, r.title, r.body, r.visibility, g.slug AS group_slug, r.created_at, r.removed_by, r.removed_at \
         FROM story_revisions r LEFT JOIN community_groups g ON g.id = r.group_id \
         WHERE r.story_id IN ({STORY_PAGE}) ORDER BY r.story_id, r.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(after).bind(limit).fetch_all(&db.pool).await?)
}

/// The collection objects the stories of [`stories`]' page are about:
/// (story, object id, organisation slug, accession number, title), the
/// public record of each object.
pub async fn story_objects(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<(i64, i64, String, String, String)>> {
    let sql = format!(
        "SELECT so.story_id, c.id, o.slug, c.accession_number, c.title FROM story_objects so \
         JOIN collection_objects c ON c.id = so.object_id JOIN organisations o ON o.id = c.org_id \
         WHERE so.story_id IN ({STORY_PAGE}) ORDER BY so.story_id, c.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(after).bind(limit).fetch_all(&db.pool).await?)
}

/// One of the person's replies, whatever its state.
#[derive(Debug, Clone, FromRow)]
pub struct Reply {
    pub id: i64,
    pub subject_kind: String,
    pub subject_id: i64,
    pub parent_id: Option<i64>,
    pub voice: String,
    pub org_slug: Option<String>,
    pub body: String,
    /// `visible`, `pending`, `hidden` or `retracted`.
    pub status: String,
    /// The person's note on retracting it, or the moderators' on hiding it
    /// (both shown to them on `/me/replies`).
    pub note: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const REPLY_PAGE: &str = "SELECT id FROM replies WHERE author_person = $1 AND id > $2 ORDER BY id LIMIT $3";

/// The person's replies with ids above `after`, at most `limit`, by id.
pub async fn replies(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Reply>> {
    let sql = format!(
        "SELECT r.id, r.subject_kind, r.subject_id, r.parent_id, r.voice, o.slug AS org_slug, r.body, r.status, r.note, \
         r.created_at, r.updated_at FROM replies r LEFT JOIN organisations o ON o.id = r.author_org \
         WHERE r.id IN ({REPLY_PAGE}) ORDER BY r.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(after).bind(limit).fetch_all(&db.pool).await?)
}

/// The earlier versions of the replies of [`replies`]' page: (reply,
/// text, when it was replaced), oldest first.
pub async fn reply_revisions(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<(i64, String, i64)>> {
    let sql = format!(
        "SELECT v.reply_id, v.body, v.created_at FROM reply_revisions v WHERE v.reply_id IN ({REPLY_PAGE}) ORDER BY v.reply_id, v.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(after).bind(limit).fetch_all(&db.pool).await?)
}

/// A thank-you the person sent.
#[derive(Debug, Clone, FromRow)]
pub struct ThanksGiven {
    /// `thanks`, `resonated` or `learnt`.
    pub kind: String,
    pub target_kind: String,
    pub target_id: i64,
    /// Whom it thanked (the author of what it was about).
    pub recipient_handle: String,
    pub created_at: i64,
}

/// The thanks the person sent, a page after the first `offset`, oldest first.
pub async fn thanks_given(db: &Db, person: i64, offset: i64, limit: i64) -> Result<Vec<ThanksGiven>> {
    Ok(sqlx::query_as(
        "SELECT t.kind, t.target_kind, t.target_id, p.handle AS recipient_handle, t.created_at \
         FROM thanks t JOIN people p ON p.id = t.recipient WHERE t.sender = $1 \
         ORDER BY t.created_at, t.target_kind, t.target_id, t.kind LIMIT $2 OFFSET $3",
    )
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}

/// A common-ground statement the person wrote (signed in).
#[derive(Debug, Clone, FromRow)]
pub struct Statement {
    pub id: i64,
    pub conversation_id: i64,
    pub body: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub created_at: i64,
}

pub async fn statements(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Statement>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.conversation_id, s.body, s.status, s.created_at FROM cg_statements s \
         JOIN cg_participants p ON p.id = s.author WHERE p.person_id = $1 AND s.id > $2 ORDER BY s.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// A vote the person cast (signed in), with the statement it was on.
#[derive(Debug, Clone, FromRow)]
pub struct Vote {
    pub conversation_id: i64,
    pub statement_id: i64,
    /// The statement's text, when the person was shown it: an accepted
    /// statement, or their own. `None` for one the hosts rejected since.
    pub statement: Option<String>,
    /// +1 agree, -1 disagree, 0 pass.
    pub vote: i64,
    pub updated_at: i64,
}

/// The person's votes, a page after the first `offset`, by conversation
/// and statement.
pub async fn votes(db: &Db, person: i64, offset: i64, limit: i64) -> Result<Vec<Vote>> {
    Ok(sqlx::query_as(
        "SELECT v.conversation_id, v.statement_id, \
         CASE WHEN s.status = 'accepted' OR s.author = p.id THEN s.body END AS statement, v.vote, v.updated_at \
         FROM cg_votes v JOIN cg_participants p ON p.id = v.participant_id JOIN cg_statements s ON s.id = v.statement_id \
         WHERE p.person_id = $1 ORDER BY v.conversation_id, v.statement_id LIMIT $2 OFFSET $3",
    )
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}

/// A common-ground conversation the person opened.
#[derive(Debug, Clone, FromRow)]
pub struct ConversationHosted {
    pub id: i64,
    pub topic: String,
    pub description: String,
    pub voice: String,
    pub org_slug: Option<String>,
    pub group_slug: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

pub async fn conversations_hosted(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<ConversationHosted>> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.topic, c.description, c.voice, o.slug AS org_slug, g.slug AS group_slug, c.status, c.created_at, c.closed_at \
         FROM cg_conversations c LEFT JOIN organisations o ON o.id = c.host_org LEFT JOIN community_groups g ON g.id = c.group_id \
         WHERE c.host_person = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// A prompt the person opened.
#[derive(Debug, Clone, FromRow)]
pub struct Prompt {
    pub id: i64,
    pub question: String,
    pub description: String,
    pub voice: String,
    pub org_slug: Option<String>,
    pub group_slug: Option<String>,
    pub opens_at: i64,
    pub closes_at: Option<i64>,
    pub created_at: i64,
}

pub async fn prompts(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Prompt>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.question, p.description, p.voice, o.slug AS org_slug, g.slug AS group_slug, p.opens_at, p.closes_at, p.created_at \
         FROM prompts p LEFT JOIN organisations o ON o.id = p.host_org LEFT JOIN community_groups g ON g.id = p.group_id \
         WHERE p.host_person = $1 AND p.id > $2 ORDER BY p.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// An amendment to a group's purpose the person proposed.
#[derive(Debug, Clone, FromRow)]
pub struct Amendment {
    pub id: i64,
    pub group_slug: String,
    pub text: String,
    pub why: String,
    pub state: String,
    pub proposed_at: i64,
    pub settled_at: Option<i64>,
}

pub async fn amendments(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Amendment>> {
    Ok(sqlx::query_as(
        "SELECT a.id, g.slug AS group_slug, a.text, a.why, a.state, a.proposed_at, a.settled_at \
         FROM purpose_amendments a JOIN community_groups g ON g.id = a.group_id \
         WHERE a.proposed_by = $1 AND a.id > $2 ORDER BY a.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// An objection the person made to an amendment.
#[derive(Debug, Clone, FromRow)]
pub struct Objection {
    pub id: i64,
    pub amendment_id: i64,
    pub reason: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub withdrawn_at: Option<i64>,
}

pub async fn objections(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Objection>> {
    Ok(sqlx::query_as(
        "SELECT id, amendment_id, reason, created_at, updated_at, withdrawn_at FROM purpose_objections \
         WHERE person_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Someone the person blocked or muted: (`block` or `mute`, their
/// handle, since when), a page after the first `offset`.
pub async fn relations(db: &Db, person: i64, offset: i64, limit: i64) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT r.kind, p.handle, r.created_at FROM person_relations r JOIN people p ON p.id = r.other_id \
         WHERE r.person_id = $1 ORDER BY r.kind, r.created_at, p.id LIMIT $2 OFFSET $3",
    )
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}

/// A report the person made (never one about them).
#[derive(Debug, Clone, FromRow)]
pub struct ReportMade {
    pub id: i64,
    pub target_kind: String,
    pub target_id: i64,
    pub category: String,
    pub details: String,
    pub status: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

pub async fn reports(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<ReportMade>> {
    Ok(sqlx::query_as(
        "SELECT id, target_kind, target_id, category, details, status, created_at, closed_at FROM reports \
         WHERE reporter = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// A notification the person got (moderation notices included), as their
/// list of notifications shows it.
#[derive(Debug, Clone, FromRow)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub text: String,
    /// A path on the site (`/replies/12`).
    pub url: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// The person's notifications with ids above `after`, at most `limit`, by
/// id: those their list shows (store `notifications::shown!`: not from
/// someone they blocked or muted, nor about a reply they may no longer
/// see), each text as the list shows it (as `notifications::text_shown!`
/// does: news of a reply on an object the moderators withdrew never names
/// the object).
pub async fn notifications(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Notification>> {
    let sql = format!(
        "SELECT n.id, n.kind, \
             CASE WHEN n.reply_id IS NOT NULL AND EXISTS (SELECT 1 FROM replies tr JOIN collection_objects tc ON tc.id = tr.subject_id \
               WHERE tr.id = n.reply_id AND tr.subject_kind = 'object' AND tc.withdrawn_at IS NOT NULL AND tc.withdrawn_how = 'moderation') \
             THEN '{sealed}' ELSE n.text END AS text, \
             n.url, n.created_at, n.read_at FROM notifications n \
         WHERE n.person_id = $1 AND n.id > $2 AND {shown} ORDER BY n.id LIMIT $3",
        sealed = crate::notifications::SEALED_OBJECT_TEXT,
        shown = crate::notifications::shown!("$1"),
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(after).bind(limit).fetch_all(&db.pool).await?)
}

/// A thank-you the person got: what for and from whom, as the reply's
/// page shows its author.
#[derive(Debug, Clone, FromRow)]
pub struct ThanksReceived {
    /// `thanks`, `resonated` or `learnt`.
    pub kind: String,
    pub target_kind: String,
    pub target_id: i64,
    /// Who sent it; empty when their account was closed.
    pub sender_handle: String,
    pub created_at: i64,
}

/// The thanks the person got, a page after the first `offset`, oldest first.
pub async fn thanks_received(db: &Db, person: i64, offset: i64, limit: i64) -> Result<Vec<ThanksReceived>> {
    Ok(sqlx::query_as(
        "SELECT t.kind, t.target_kind, t.target_id, p.handle AS sender_handle, t.created_at \
         FROM thanks t JOIN people p ON p.id = t.sender WHERE t.recipient = $1 \
         ORDER BY t.created_at, t.target_kind, t.target_id, t.sender, t.kind LIMIT $2 OFFSET $3",
    )
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}

/// A collection import the person sent, whatever became of it.
#[derive(Debug, Clone, FromRow)]
pub struct Import {
    pub id: i64,
    pub org_slug: String,
    pub file_name: String,
    pub file_bytes: i64,
    /// JSON: the format, the mapping, dry run, withdraw missing.
    pub options: String,
    pub state: String,
    pub records_read: i64,
    /// JSON of the report, or empty before there is one.
    pub report: String,
    pub outcome: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

pub async fn imports(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Import>> {
    Ok(sqlx::query_as(
        "SELECT c.id, o.slug AS org_slug, c.file_name, c.file_bytes, c.options, c.state, c.records_read, c.report, c.outcome, \
         c.created_at, c.finished_at FROM collection_imports c JOIN organisations o ON o.id = c.org_id \
         WHERE c.person_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// An invite code the person made: its note and dates (the code itself is
/// never stored, only its hash, which is not given).
#[derive(Debug, Clone, FromRow)]
pub struct Invite {
    pub note: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// The invite codes the person made, a page after the first `offset`,
/// oldest first. Who used one is not read: that is the other person's.
pub async fn invites(db: &Db, person: i64, offset: i64, limit: i64) -> Result<Vec<Invite>> {
    Ok(sqlx::query_as(
        "SELECT note, created_at, expires_at, used_at FROM invites WHERE created_by = $1 \
         ORDER BY created_at, code_hash LIMIT $2 OFFSET $3",
    )
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}

/// An image the person uploaded that none of their stories shows (a photo
/// taken off a story, or one uploaded with a story never saved).
#[derive(Debug, Clone, FromRow)]
pub struct Upload {
    pub id: i64,
    pub master_key: String,
    pub width: i64,
    pub height: i64,
    pub created_at: i64,
}

pub async fn loose_uploads(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Upload>> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.master_key, m.width, m.height, m.created_at FROM media m \
         WHERE m.owner_person = $1 AND m.id > $2 \
           AND NOT EXISTS (SELECT 1 FROM story_photos p JOIN stories s ON s.id = p.story_id \
                           WHERE p.media_id = m.id AND s.author_person = $1) \
         ORDER BY m.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// A moderators' decision about the person or about something they wrote:
/// what was done, the note and when. Never who moderated or who reported.
#[derive(Debug, Clone, FromRow)]
pub struct Decision {
    pub id: i64,
    /// `person`, or the kind of their words it was about: `reply`, `story`,
    /// `amendment`, `objection`.
    pub target_kind: String,
    pub target_id: i64,
    pub action: String,
    pub note: String,
    pub until_at: Option<i64>,
    pub created_at: i64,
}

/// The moderators' decisions about the person and their words, by id. A
/// dismissed report changed nothing of theirs and is not listed: it would
/// say only that someone reported them.
pub async fn decisions_about(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Decision>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.target_kind, a.target_id, a.action, a.note, a.until_at, a.created_at FROM moderation_actions a \
         WHERE a.id > $2 AND a.action <> 'dismiss' AND ( \
               (a.target_kind = 'person' AND a.target_id = $1) \
            OR (a.target_kind = 'reply' AND a.target_id IN (SELECT id FROM replies WHERE author_person = $1)) \
            OR (a.target_kind = 'story' AND a.target_id IN (SELECT id FROM stories WHERE author_person = $1)) \
            OR (a.target_kind = 'amendment' AND a.target_id IN (SELECT id FROM purpose_amendments WHERE proposed_by = $1)) \
            OR (a.target_kind = 'objection' AND a.target_id IN (SELECT id FROM purpose_objections WHERE person_id = $1))) \
         ORDER BY a.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// A change to a group or an organisation: one field, from what to what.
#[derive(Debug, Clone, FromRow)]
pub struct Change {
    pub id: i64,
    /// The group's or the organisation's slug.
    pub slug: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub created_at: i64,
    /// 1 when the person made it (an organisation's change may be about
    /// them, made by one of its admins, who is not named), else 0.
    pub by_them: i64,
    /// For a change of members the person made about someone else: that
    /// member's handle (empty for a closed account).
    pub about_handle: Option<String>,
}

/// The changes the person made to groups, by id.
pub async fn group_changes(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Change>> {
    Ok(sqlx::query_as(
        "SELECT c.id, g.slug, c.field, c.old_value, c.new_value, c.created_at, CAST(1 AS BIGINT) AS by_them, CAST(NULL AS TEXT) AS about_handle \
         FROM group_changes c JOIN community_groups g ON g.id = c.group_id \
         WHERE c.changed_by = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// The changes the person made to organisations, and the changes of
/// members about them, by id.
pub async fn org_changes(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Change>> {
    Ok(sqlx::query_as(
        "SELECT c.id, o.slug, c.field, c.old_value, c.new_value, c.created_at, \
             CAST(CASE WHEN c.changed_by = $1 THEN 1 ELSE 0 END AS BIGINT) AS by_them, \
             CASE WHEN c.changed_by = $1 AND c.about_person <> $1 THEN a.handle END AS about_handle \
         FROM org_changes c JOIN organisations o ON o.id = c.org_id LEFT JOIN people a ON a.id = c.about_person \
         WHERE (c.changed_by = $1 OR c.about_person = $1) AND c.id > $2 ORDER BY c.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// One of the person's edges in the interaction record (core
/// `interactions`): a reply, mention or thanks by them or to them.
#[derive(Debug, Clone, FromRow)]
pub struct Edge {
    pub id: i64,
    /// 1 when the person was its source (they replied, mentioned,
    /// thanked), 0 when it was towards them.
    pub by_them: i64,
    /// The other person's handle; empty for a closed account.
    pub other_handle: String,
    pub kind: String,
    pub subject_kind: String,
    pub subject_id: i64,
    pub source_org: Option<String>,
    pub target_org: Option<String>,
    pub created_at: i64,
}

/// The person's edges, by id. An edge towards them from a reply they were
/// not shown (waiting for review, hidden or retracted) is left out: it
/// would tell them of words they never saw. Their own edges are all there.
pub async fn edges(db: &Db, person: i64, after: i64, limit: i64) -> Result<Vec<Edge>> {
    Ok(sqlx::query_as(
        "SELECT i.id, CAST(CASE WHEN i.source_person = $1 THEN 1 ELSE 0 END AS BIGINT) AS by_them, \
             CASE WHEN i.source_person = $1 THEN tp.handle ELSE sp.handle END AS other_handle, \
             i.kind, i.subject_kind, i.subject_id, so.slug AS source_org, tor.slug AS target_org, i.created_at \
         FROM interactions i JOIN people sp ON sp.id = i.source_person JOIN people tp ON tp.id = i.target_person \
         LEFT JOIN organisations so ON so.id = i.source_org LEFT JOIN organisations tor ON tor.id = i.target_org \
         LEFT JOIN replies r ON r.id = i.reply_id \
         WHERE (i.source_person = $1 OR i.target_person = $1) AND i.id > $2 \
           AND (i.source_person = $1 OR i.kind = 'thanks' OR r.id IS NULL OR r.status = 'visible') \
         ORDER BY i.id LIMIT $3",
    )
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}
