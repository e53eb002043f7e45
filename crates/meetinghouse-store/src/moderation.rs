//! Safety: blocks and mutes between people, the report queue, the audit log
//! of moderation actions, and timed suspensions.

use sqlx::FromRow;

use crate::error::Result;
use crate::reads::{Read, from_sqlite_by_name};
use crate::writes::{Arg, Batch, Inserted};
use crate::{Db, Tx, now};

/// Turns a block or mute on or off.
pub async fn set_relation(db: &Db, person: i64, other: i64, kind: &str, on: bool) -> Result<()> {
    if on {
        sqlx::query(
            "INSERT INTO person_relations (person_id, other_id, kind, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (person_id, kind, other_id) DO NOTHING",
        )
        .bind(person)
        .bind(other)
        .bind(kind)
        .bind(now())
        .execute(&db.pool)
        .await?;
    } else {
        sqlx::query("DELETE FROM person_relations WHERE person_id = $1 AND other_id = $2 AND kind = $3")
            .bind(person)
            .bind(other)
            .bind(kind)
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}

/// Whether `person` has blocked (or muted) `other`.
pub async fn has_relation(db: &Db, person: i64, other: i64, kind: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM person_relations WHERE person_id = $1 AND kind = $2 AND other_id = $3")
        .bind(person)
        .bind(kind)
        .bind(other)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// A moderation queue item with what the moderator needs to judge it.
#[derive(Debug, Clone, FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub reporter: Option<i64>,
    pub target_kind: String,
    pub target_id: i64,
    pub category: String,
    pub details: String,
    /// Whose queue it is in besides the instance moderators' (migration
    /// 0023): a group's hosts, an organisation's active staff and admins, a
    /// prompt's hosts. All `None` (a report about a person, or about a
    /// reply nobody hosts): the instance moderators' only.
    pub group_id: Option<i64>,
    pub org_id: Option<i64>,
    pub prompt_id: Option<i64>,
    pub status: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, reporter, target_kind, target_id, category, details, group_id, org_id, prompt_id, status, created_at";

/// Files a report; a second open report of the same thing by the same person
/// is a conflict (once the first is closed, they may report it again).
///
/// `group_id` is the group whose hosts may act (the caller's
/// `SubjectInfo::group_id`). For a report about a reply the insert also
/// records, from the reply's subject as it is now, the organisation whose
/// staff host it (its page, one of its collection objects, a story in its
/// name: `org_id`) and the prompt whose hosts host it (the prompt, or a
/// story answering it: `prompt_id`), the hosts core's `subjects::resolve`
/// names. It is worked out here, in the statement that files the report,
/// so every way a report is made records it: a person's report, a review
/// request, and a first contribution's review written in the reply's own
/// batch. Migration 0023 fills in open reports made before it by the same
/// rule.
pub async fn insert_report(
    tx: &mut Tx,
    reporter: Option<i64>,
    target_kind: &str,
    target_id: i64,
    category: &str,
    details: &str,
    group_id: Option<i64>,
) -> Result<i64> {
    let mut b = Batch::new();
    let step = insert_report_into(&mut b, reporter, target_kind, target_id.into(), category, details, group_id);
    Ok(b.run_in(tx).await?.id(step))
}

/// [`insert_report`], in a batch; the target may be an insert of the same batch.
///
/// For a report about a story (`target_kind` `story`) the insert records
/// the story's organisation (`org_id`: the one it speaks for) and the prompt
/// it answers (`prompt_id`); the caller passes its group. A story's review
/// request (its author asking the instance moderators to look again at a
/// story they removed) records none: only they may restore it. A report
/// about an amendment or an objection (migration 0037) records none either
/// (the caller passes no group): only instance moderators decide it.
pub fn insert_report_into(
    b: &mut Batch,
    reporter: Option<i64>,
    target_kind: &str,
    target: Arg,
    category: &str,
    details: &str,
    group_id: Option<i64>,
) -> Inserted {
    b.insert_unique(
        "INSERT INTO reports (reporter, target_kind, target_id, category, details, group_id, org_id, prompt_id, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, \
             COALESCE((SELECT CASE r.subject_kind \
                 WHEN 'org' THEN (SELECT o.id FROM organisations o WHERE o.id = r.subject_id) \
                 WHEN 'object' THEN (SELECT c.org_id FROM collection_objects c WHERE c.id = r.subject_id) \
                 WHEN 'story' THEN (SELECT s.author_org FROM stories s WHERE s.id = r.subject_id) END \
              FROM replies r WHERE $2 = 'reply' AND r.id = $3), \
              (SELECT s.author_org FROM stories s WHERE $2 = 'story' AND $4 <> 'review-request' AND s.id = $3)), \
             COALESCE((SELECT CASE r.subject_kind \
                 WHEN 'prompt' THEN (SELECT p.id FROM prompts p WHERE p.id = r.subject_id) \
                 WHEN 'story' THEN (SELECT s.prompt_id FROM stories s WHERE s.id = r.subject_id) END \
              FROM replies r WHERE $2 = 'reply' AND r.id = $3), \
              (SELECT s.prompt_id FROM stories s WHERE $2 = 'story' AND $4 <> 'review-request' AND s.id = $3)), \
             'open', $7) RETURNING id",
        vec![reporter.into(), target_kind.into(), target, category.into(), details.into(), group_id.into(), now().into()],
        &[("reporter", "report")],
    )
}

pub async fn report_by_id(db: &Db, id: i64) -> Result<Option<ReportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// The open reports about one thing (a reply, a story, a person, an
/// amendment, an objection), oldest first.
pub async fn open_reports_about(db: &Db, target_kind: &str, target_id: i64) -> Result<Vec<ReportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE status = 'open' AND target_kind = $1 AND target_id = $2 ORDER BY id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(target_kind).bind(target_id).fetch_all(&db.pool).await?)
}

/// What "everything a person has posted" is, for a moderator's "remove
/// everything they have posted" (see [`posted_counts`]): their stories
/// that are not deleted and not drafts (a draft was never posted: only its
/// author sees it), their replies readers see or that wait for review, and
/// the amendments to a group's purpose and objections to them whose words
/// are still shown (not hidden by the moderators), whatever their state.
const LIVE_STORIES: &str = "FROM stories WHERE author_person = $1 AND deleted_at IS NULL AND visibility <> 'draft'";
const LIVE_REPLIES: &str = "FROM replies WHERE author_person = $1 AND status IN ('visible', 'pending')";
const LIVE_AMENDMENTS: &str = "FROM purpose_amendments WHERE proposed_by = $1 AND hidden_at IS NULL";
const LIVE_OBJECTIONS: &str = "FROM purpose_objections WHERE person_id = $1 AND hidden_at IS NULL";

/// How many things of each kind a person has posted ([`posted_counts`]),
/// or had removed by the moderators ([`removed_counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct Posted {
    pub stories: i64,
    pub replies: i64,
    pub amendments: i64,
    pub objections: i64,
}

impl Posted {
    /// All of them together (what `REMOVE_ALL_MAX` limits).
    pub fn total(&self) -> i64 {
        self.stories + self.replies + self.amendments + self.objections
    }
}

/// How many stories, replies, amendments and objections a person has
/// posted that are still shown (or, for replies, wait for review), each an
/// indexed count of the person's own rows.
pub async fn posted_counts(db: &Db, person: i64) -> Result<Posted> {
    let sql = format!(
        "SELECT (SELECT COUNT(*) {LIVE_STORIES}) AS stories, (SELECT COUNT(*) {LIVE_REPLIES}) AS replies, \
             (SELECT COUNT(*) {LIVE_AMENDMENTS}) AS amendments, (SELECT COUNT(*) {LIVE_OBJECTIONS}) AS objections"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).fetch_one(&db.pool).await?)
}

/// A person's posted stories (as [`posted_counts`] counts them), by id, at
/// most `limit`, read in the caller's transaction: (id, title, text), what
/// [`remove_story`] compares.
pub async fn live_stories_by(tx: &mut Tx, person: i64, limit: i64) -> Result<Vec<(i64, String, String)>> {
    let sql = format!("SELECT id, title, body {LIVE_STORIES} ORDER BY id LIMIT $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(limit).fetch_all(&mut **tx).await?)
}

/// What the moderators removed of a person's and is not restored: stories
/// removed by moderation and not yet purged, replies hidden, amendments and
/// objections whose words are hidden.
pub async fn removed_counts(db: &Db, person: i64) -> Result<Posted> {
    Ok(sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM stories s JOIN story_removals sr ON sr.story_id = s.id WHERE s.author_person = $1) AS stories, \
             (SELECT COUNT(*) FROM replies WHERE author_person = $1 AND status = 'hidden') AS replies, \
             (SELECT COUNT(*) FROM purpose_amendments WHERE proposed_by = $1 AND hidden_at IS NOT NULL) AS amendments, \
             (SELECT COUNT(*) FROM purpose_objections WHERE person_id = $1 AND hidden_at IS NOT NULL) AS objections",
    )
    .bind(person)
    .fetch_one(&db.pool)
    .await?)
}

/// The open reports about what a person has posted (as [`posted_counts`]
/// counts it), oldest first, read in the caller's transaction.
pub async fn open_reports_about_posts(tx: &mut Tx, person: i64) -> Result<Vec<ReportRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reports WHERE status = 'open' AND ( \
             (target_kind = 'story' AND target_id IN (SELECT id {LIVE_STORIES})) \
             OR (target_kind = 'reply' AND target_id IN (SELECT id {LIVE_REPLIES})) \
             OR (target_kind = 'amendment' AND target_id IN (SELECT id {LIVE_AMENDMENTS})) \
             OR (target_kind = 'objection' AND target_id IN (SELECT id {LIVE_OBJECTIONS}))) \
         ORDER BY id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).fetch_all(&mut **tx).await?)
}

/// The groups person `who` (a parameter such as `"$1"`, or a column) hosts
/// (an active, direct host).
macro_rules! hosted_groups {
    ($who:literal) => {
        concat!(
            "SELECT m.group_id FROM group_members m WHERE m.member_kind = 'person' AND m.member_id = ",
            $who,
            " AND m.role = 'host' AND m.status = 'active'"
        )
    };
}

/// The organisations person `who` is active staff or an active admin of.
macro_rules! staff_orgs {
    ($who:literal) => {
        concat!("SELECT om.org_id FROM org_members om WHERE om.person_id = ", $who, " AND om.status = 'active' AND om.role IN ('admin', 'staff')")
    };
}

/// Open items, oldest first: every one (`host` = None) or those in the
/// queue of person `host`, leaving out those about `not_about` (a person
/// id, 0 for nobody): reports of that person, of their replies, of their
/// stories, or of their amendments and objections.
///
/// A host's queue holds the open reports whose recorded scope they host
/// now: a group they host, an organisation they are active staff or an
/// admin of, or a prompt they host by the one rule of store
/// `prompts::hosted_prompts!` (core `prompts::hosted_by`: its group's
/// hosts, its organisation's admins, and its named host only while they
/// are still active staff or an admin of the organisation they opened it
/// at, or host its group; an instance admin's own prompt, with no
/// organisation and no group, its opener while an instance admin and then
/// the instance admins; nobody outside a members-only group). Each part
/// is read from its own partial index of open reports (migration 0023).
pub async fn open_reports(db: &Db, host: Option<i64>, not_about: i64, limit: i64) -> Result<Vec<ReportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE {} ORDER BY id LIMIT $2", open_where(host));
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(not_about).bind(limit);
    Ok(match host {
        None => q.fetch_all(&db.pool).await?,
        Some(person) => q.bind(person).fetch_all(&db.pool).await?,
    })
}

/// How many items [`open_reports`] has in all, without a limit (the queue
/// shows the oldest few hundred and says how many more wait).
pub async fn count_open_reports(db: &Db, host: Option<i64>, not_about: i64) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM (SELECT id FROM reports WHERE {} LIMIT $2) listed", open_where(host));
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(not_about).bind(i64::MAX);
    let (n,): (i64,) = match host {
        None => q.fetch_one(&db.pool).await?,
        Some(person) => q.bind(person).fetch_one(&db.pool).await?,
    };
    Ok(n)
}

/// The condition of [`open_reports`] (`$1` the person left out, `$3` the host).
fn open_where(host: Option<i64>) -> String {
    const NOT_ABOUT: &str = "NOT (target_kind = 'person' AND target_id = $1) \
         AND NOT (target_kind = 'reply' AND EXISTS (SELECT 1 FROM replies r WHERE r.id = reports.target_id AND r.author_person = $1)) \
         AND NOT (target_kind = 'story' AND EXISTS (SELECT 1 FROM stories s WHERE s.id = reports.target_id AND s.author_person = $1)) \
         AND NOT (target_kind = 'amendment' AND EXISTS (SELECT 1 FROM purpose_amendments pa WHERE pa.id = reports.target_id AND pa.proposed_by = $1)) \
         AND NOT (target_kind = 'objection' AND EXISTS (SELECT 1 FROM purpose_objections po WHERE po.id = reports.target_id AND po.person_id = $1))";
    match host {
        None => format!("status = 'open' AND {NOT_ABOUT}"),
        Some(_) => format!(
            "status = 'open' AND {NOT_ABOUT} AND id IN ( \
                 SELECT g.id FROM reports g WHERE g.status = 'open' AND g.group_id IN ({groups}) \
                 UNION SELECT o.id FROM reports o WHERE o.status = 'open' AND o.org_id IN ({orgs}) \
                 UNION SELECT q.id FROM reports q WHERE q.status = 'open' AND q.prompt_id IN ({prompts}))",
            groups = hosted_groups!("$3"),
            orgs = staff_orgs!("$3"),
            prompts = crate::prompts::hosted_prompts!("$3"),
        ),
    }
}

/// Keeps a report just filed for the instance moderators only: no group,
/// organisation or prompt scope, so no host's queue lists it (a review
/// request about a reply the moderators hid, [`ReplyHiding`]).
pub async fn unscope_report(tx: &mut Tx, id: i64) -> Result<()> {
    sqlx::query("UPDATE reports SET group_id = NULL, org_id = NULL, prompt_id = NULL WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// The condition that person `$who` (a parameter such as `"$1"`, or a
/// column) has a part of the moderation queue: they
/// host a group, or are active staff or an admin of an organisation. (A
/// prompt's hosts are among those: its group's hosts, its organisation's
/// admins, its named host while staff there or a host of its group.) Also
/// read with the session on every signed-in request
/// ([`crate::people::by_session`]), for the header's link.
macro_rules! hosts_any {
    ($who:literal) => {
        concat!("(EXISTS (", $crate::moderation::hosted_groups!($who), ") OR EXISTS (", $crate::moderation::staff_orgs!($who), "))")
    };
}
pub(crate) use {hosted_groups, hosts_any, staff_orgs};

/// Whether a person has a part of the moderation queue (one indexed read).
pub async fn hosts_anything(db: &Db, person: i64) -> Result<bool> {
    let sql = concat!("SELECT CASE WHEN ", hosts_any!("$1"), " THEN 1 ELSE 0 END AS hosts");
    let row: Option<Hosts> = db.read_optional(Read::new(sql).int(person)).await?;
    Ok(row.is_some_and(|r| r.hosts == 1))
}

#[derive(FromRow)]
struct Hosts {
    hosts: i64,
}

from_sqlite_by_name!(Hosts { hosts });

/// Closes a report and every other open one about the same target (one
/// action settles all its reports), only if that report is still open.
/// Returns every report this call closed (the given one among them, with
/// their reporters, so each hears the outcome), or `None` when the given
/// report was closed meanwhile: then nothing is closed by this call.
/// Callers make it the first write of a moderation transaction and stop on
/// `None`. The first statement locks the reports in one order, so two
/// moderators acting at once on two reports about the same thing take the
/// rows in the same order (on PostgreSQL the second waits for the first,
/// then finds them closed) rather than each holding one and waiting for the
/// other.
pub async fn close_report(tx: &mut Tx, report: &ReportRow) -> Result<Option<Vec<ReportRow>>> {
    let sql = format!("UPDATE reports SET status = 'closed', closed_at = $3 WHERE target_kind = $1 AND target_id = $2 AND status = 'open' RETURNING {COLUMNS}");
    let mut closed: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(&report.target_kind).bind(report.target_id).bind(now()).fetch_all(&mut **tx).await?;
    if !closed.iter().any(|r| r.id == report.id) {
        return Ok(None);
    }
    closed.sort_by_key(|r| r.id);
    Ok(Some(closed))
}

/// A story removed by moderation (migration 0028): why, and when.
#[derive(Debug, Clone, FromRow)]
pub struct StoryRemoval {
    pub story_id: i64,
    pub moderator: Option<i64>,
    pub report_id: Option<i64>,
    pub note: String,
    pub removed_at: i64,
}

/// Removes a story by moderation: deletes it as its author would (it
/// keeps its place for the restore window, then the purge removes it for
/// good) and records that the moderators removed it. Only if it is still
/// live with the title and text the moderator judged; returns whether it
/// was removed (otherwise nothing is written).
pub async fn remove_story(tx: &mut Tx, removal: &StoryRemoval, title: &str, body: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE stories SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL AND title = $3 AND body = $4")
        .bind(removal.story_id)
        .bind(removal.removed_at)
        .bind(title)
        .bind(body)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if done != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO story_removals (story_id, moderator, report_id, note, removed_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (story_id) DO UPDATE SET moderator = excluded.moderator, report_id = excluded.report_id, \
         note = excluded.note, removed_at = excluded.removed_at",
    )
    .bind(removal.story_id)
    .bind(removal.moderator)
    .bind(removal.report_id)
    .bind(&removal.note)
    .bind(removal.removed_at)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Whether (and why) the moderators removed a story; `None` for a story
/// that is live, deleted by its author, or restored.
pub async fn story_removal(db: &Db, story: i64) -> Result<Option<StoryRemoval>> {
    Ok(sqlx::query_as("SELECT story_id, moderator, report_id, note, removed_at FROM story_removals WHERE story_id = $1")
        .bind(story)
        .fetch_optional(&db.pool)
        .await?)
}

/// Restores a story the moderators removed: it is live again. Only if it
/// is still removed as of `removed_at`; returns whether it was restored.
pub async fn unremove_story(tx: &mut Tx, story: i64, removed_at: i64) -> Result<bool> {
    let gone = sqlx::query("DELETE FROM story_removals WHERE story_id = $1 AND removed_at = $2")
        .bind(story)
        .bind(removed_at)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if gone != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE stories SET deleted_at = NULL WHERE id = $1").bind(story).execute(&mut **tx).await?;
    Ok(true)
}

/// One entry of the audit log.
#[derive(Debug, Clone)]
pub struct NewAction<'a> {
    pub moderator: i64,
    pub report_id: Option<i64>,
    pub target_kind: &'a str,
    pub target_id: i64,
    pub action: &'a str,
    pub note: &'a str,
    pub until_at: Option<i64>,
}

pub async fn insert_action(tx: &mut Tx, a: &NewAction<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO moderation_actions (moderator, report_id, target_kind, target_id, action, note, until_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.moderator)
    .bind(a.report_id)
    .bind(a.target_kind)
    .bind(a.target_id)
    .bind(a.action)
    .bind(a.note)
    .bind(a.until_at)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An entry of the audit log made by the operator from the command line
/// (`meetinghouse admin lift`): no moderator.
pub async fn insert_operator_action(tx: &mut Tx, target_kind: &str, target_id: i64, action: &str, note: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO moderation_actions (moderator, report_id, target_kind, target_id, action, note, until_at, created_at) \
         VALUES (NULL, NULL, $1, $2, $3, $4, NULL, $5)",
    )
    .bind(target_kind)
    .bind(target_id)
    .bind(action)
    .bind(note)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Who hid a reply (migration 0051), for the queue and for who may show it
/// again.
#[derive(Debug, Clone, FromRow)]
pub struct ReplyHiding {
    pub reply_id: i64,
    /// Who hid it; `None` when not known (hidden before migration 0051 by
    /// "remove everything they have posted").
    pub moderator: Option<i64>,
    /// Their handle now (empty for a closed account).
    pub moderator_handle: Option<String>,
    /// 1 when the meeting house's moderators hid it (only they show it
    /// again, and only they see its author's review request); 0 for a host.
    pub by_moderators: i64,
    /// The version of the text hidden (core `moderation::version`); `None`
    /// for a reply hidden before migration 0051.
    pub version: Option<String>,
    pub hidden_at: i64,
}

/// Records who hid a reply, in the transaction that hides it (a reply
/// hidden again replaces the record).
pub async fn record_reply_hiding(tx: &mut Tx, reply: i64, moderator: i64, by_moderators: bool, version: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO reply_hidings (reply_id, moderator, by_moderators, version, hidden_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (reply_id) DO UPDATE SET moderator = excluded.moderator, by_moderators = excluded.by_moderators, \
         version = excluded.version, hidden_at = excluded.hidden_at",
    )
    .bind(reply)
    .bind(moderator)
    .bind(by_moderators as i64)
    .bind(version)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets who hid a reply, in the transaction that shows it again.
pub async fn clear_reply_hiding(tx: &mut Tx, reply: i64) -> Result<()> {
    sqlx::query("DELETE FROM reply_hidings WHERE reply_id = $1").bind(reply).execute(&mut **tx).await?;
    Ok(())
}

/// Who hid a reply; `None` for one nobody hid (or shown again since).
pub async fn reply_hiding(db: &Db, reply: i64) -> Result<Option<ReplyHiding>> {
    Ok(sqlx::query_as(
        "SELECT h.reply_id, h.moderator, p.handle AS moderator_handle, h.by_moderators, h.version, h.hidden_at \
         FROM reply_hidings h LEFT JOIN people p ON p.id = h.moderator WHERE h.reply_id = $1",
    )
    .bind(reply)
    .fetch_optional(&db.pool)
    .await?)
}

/// An audit log entry with the moderator's handle (the public log leaves it out).
#[derive(Debug, Clone, FromRow)]
pub struct ActionRow {
    pub id: i64,
    pub moderator_handle: Option<String>,
    /// The report the action settled, if it came from the queue.
    pub report_id: Option<i64>,
    pub target_kind: String,
    pub target_id: i64,
    pub action: String,
    pub note: String,
    pub until_at: Option<i64>,
    pub created_at: i64,
    /// For an action on a reply, what the reply is about (for who may read
    /// the entry); for one on an amendment or an objection, the amendment
    /// (`amendment`, its id); for one on a group or an organisation, the
    /// group or organisation itself (`group` or `org`, its id); `None` for
    /// other targets, or a reply or an objection no longer stored.
    pub subject_kind: Option<String>,
    pub subject_id: Option<i64>,
    /// For an action on a reply, whether readers were ever shown the reply
    /// (`replies.published`): the public log leaves out entries about a
    /// first contribution never published. `None` for other targets.
    pub reply_published: Option<i64>,
}

/// Newest first, before id `before` (0 for the newest).
pub async fn actions(db: &Db, before: i64, limit: i64) -> Result<Vec<ActionRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, p.handle AS moderator_handle, a.report_id, a.target_kind, a.target_id, a.action, a.note, a.until_at, a.created_at, \
             CASE a.target_kind WHEN 'reply' THEN r.subject_kind WHEN 'amendment' THEN 'amendment' \
                 WHEN 'objection' THEN CASE WHEN po.id IS NULL THEN NULL ELSE 'amendment' END \
                 WHEN 'group' THEN 'group' WHEN 'org' THEN 'org' END AS subject_kind, \
             CASE a.target_kind WHEN 'reply' THEN r.subject_id WHEN 'amendment' THEN a.target_id \
                 WHEN 'objection' THEN po.amendment_id WHEN 'group' THEN a.target_id WHEN 'org' THEN a.target_id END AS subject_id, \
             r.published AS reply_published \
         FROM moderation_actions a LEFT JOIN people p ON p.id = a.moderator \
         LEFT JOIN replies r ON a.target_kind = 'reply' AND r.id = a.target_id \
         LEFT JOIN purpose_objections po ON a.target_kind = 'objection' AND po.id = a.target_id \
         WHERE ($1 = 0 OR a.id < $1) ORDER BY a.id DESC LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// The `until_at` of a ban: a suspension that never ends.
pub const BANNED: i64 = i64::MAX;

/// What stands after [`suspend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspension {
    /// Suspended until then (unix seconds): the later of the new end and an
    /// end already set.
    Until(i64),
    /// Banned: the ban stays whatever suspension was asked for.
    Banned,
}

/// Suspends (`until_at`) or bans (`None`): the person's status becomes
/// `suspended` and their sessions end. A suspension never shortens one in
/// force and never ends a ban: the row keeps the later end, and a ban is the
/// end [`BANNED`]. One upsert decides it, so two moderators acting at once
/// end with the later end whichever commits first; it comes before the
/// `people` update, the order [`lift_ended`] takes the same rows in.
/// The row also keeps the status the account had before (`pending` for one
/// still waiting for approval, otherwise `active`), which [`lift`] and
/// [`lift_ended`] give back; a second suspension keeps the first one's.
pub async fn suspend(tx: &mut Tx, person: i64, until_at: Option<i64>) -> Result<Suspension> {
    let (end,): (i64,) = sqlx::query_as(
        "INSERT INTO suspensions (person_id, until_at, resume_status) \
         SELECT $1, $2, CASE WHEN status = 'pending' THEN 'pending' ELSE 'active' END FROM people WHERE id = $1 \
         ON CONFLICT (person_id) DO UPDATE \
         SET until_at = CASE WHEN suspensions.until_at > excluded.until_at THEN suspensions.until_at ELSE excluded.until_at END \
         RETURNING until_at",
    )
    .bind(person)
    .bind(until_at.unwrap_or(BANNED))
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE people SET status = 'suspended' WHERE id = $1").bind(person).execute(&mut **tx).await?;
    crate::sessions::delete_for_person_in(tx, person).await?;
    Ok(if end == BANNED { Suspension::Banned } else { Suspension::Until(end) })
}

/// Lifts suspensions that ended before `at`; returns the people let back in.
/// A ban ([`BANNED`]) never ends. Each account gets back the status it had
/// before the suspension.
pub async fn lift_ended(db: &Db, at: i64) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let rows: Vec<(i64, String)> = sqlx::query_as("DELETE FROM suspensions WHERE until_at <= $1 RETURNING person_id, resume_status")
        .bind(at)
        .fetch_all(&mut *tx)
        .await?;
    for (p, resume) in &rows {
        resume_status(&mut tx, *p, resume).await?;
    }
    tx.commit().await?;
    Ok(rows.into_iter().map(|(p, _)| p).collect())
}

/// Ends a suspension or a ban now (a moderator's "lift"): the account gets
/// back the status it had before. Returns that status, or `None` when there
/// was nothing to lift (it ended, or another moderator lifted it, meanwhile).
pub async fn lift(tx: &mut Tx, person: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("DELETE FROM suspensions WHERE person_id = $1 RETURNING resume_status")
        .bind(person)
        .fetch_optional(&mut **tx)
        .await?;
    let Some((resume,)) = row else { return Ok(None) };
    resume_status(tx, person, &resume).await?;
    Ok(Some(resume))
}

async fn resume_status(tx: &mut Tx, person: i64, resume: &str) -> Result<()> {
    let resume = if resume == "pending" { "pending" } else { "active" };
    sqlx::query("UPDATE people SET status = $2 WHERE id = $1 AND status = 'suspended'").bind(person).bind(resume).execute(&mut **tx).await?;
    Ok(())
}

/// Keeps the moderators' note with a person's suspension or ban (the one
/// [`suspend`] just wrote), for the sign-in page to show them.
pub async fn set_suspension_note(tx: &mut Tx, person: i64, note: &str) -> Result<()> {
    sqlx::query("UPDATE suspensions SET note = $2 WHERE person_id = $1").bind(person).bind(note).execute(&mut **tx).await?;
    Ok(())
}

/// A person's suspension: when it ends ([`BANNED`] for a ban) and the
/// moderators' note; `None` when there is none.
pub async fn suspension_of(db: &Db, person: i64) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as("SELECT until_at, note FROM suspensions WHERE person_id = $1").bind(person).fetch_optional(&db.pool).await?)
}

/// Marks as emailed a person's moderation notice with this text, which was
/// just sent to them directly, so no later digest repeats it.
pub async fn mark_notice_emailed(tx: &mut Tx, person: i64, text: &str) -> Result<()> {
    sqlx::query("UPDATE notifications SET emailed = 1 WHERE person_id = $1 AND kind = 'moderation' AND emailed = 0 AND text = $2")
        .bind(person)
        .bind(text)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// When the suspensions of these people end (unix seconds; [`BANNED`] for
/// a ban), for the admin's list of accounts.
pub async fn suspension_ends(db: &Db, people: &[i64]) -> Result<Vec<(i64, i64)>> {
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=people.len()).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT person_id, until_at FROM suspensions WHERE person_id IN ({})", marks.join(", "));
    // Only placeholders are formatted in; the ids are bound.
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for p in people {
        q = q.bind(*p);
    }
    Ok(q.fetch_all(&db.pool).await?)
}


/// What the moderators did to an organisation that stays until they undo it
/// (migration 0043): when they hid its description and website, and when
/// they flagged it as not confirmed to be who its name says; `None` for
/// what they did not do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct OrgMarks {
    pub words_hidden_at: Option<i64>,
    pub flagged_at: Option<i64>,
}

/// An organisation's [`OrgMarks`] (none for one not stored).
pub async fn org_marks(db: &Db, org: i64) -> Result<OrgMarks> {
    let row: Option<OrgMarks> = sqlx::query_as("SELECT words_hidden_at, flagged_at FROM organisations WHERE id = $1").bind(org).fetch_optional(&db.pool).await?;
    Ok(row.unwrap_or_default())
}

/// [`org_marks`] in the caller's transaction (after `orgs::lock`); `None`
/// for an organisation not stored.
pub async fn org_marks_in(tx: &mut Tx, org: i64) -> Result<Option<OrgMarks>> {
    Ok(sqlx::query_as("SELECT words_hidden_at, flagged_at FROM organisations WHERE id = $1").bind(org).fetch_optional(&mut **tx).await?)
}

/// Sets an organisation's [`OrgMarks`], in the decision's transaction.
pub async fn set_org_marks(tx: &mut Tx, org: i64, marks: OrgMarks) -> Result<()> {
    sqlx::query("UPDATE organisations SET words_hidden_at = $2, flagged_at = $3 WHERE id = $1")
        .bind(org)
        .bind(marks.words_hidden_at)
        .bind(marks.flagged_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// When the moderators archived a group and hold it archived (migration
/// 0043: only they open it again); `None` when they do not (or there is no
/// such group). A hold holds only while the group is still archived from
/// then on: one older than the group's latest archiving is spent (it was
/// opened again since, and archived again by its hosts).
pub async fn group_held(db: &Db, group: i64) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(HELD).bind(group).fetch_optional(&db.pool).await?;
    Ok(row.and_then(|(at,)| at))
}

/// [`group_held`] in the caller's transaction (after `groups::lock_group`).
pub async fn group_held_in(tx: &mut Tx, group: i64) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(HELD).bind(group).fetch_optional(&mut **tx).await?;
    Ok(row.and_then(|(at,)| at))
}

const HELD: &str = "SELECT CASE WHEN archived_at IS NOT NULL AND moderators_archived_at >= archived_at THEN moderators_archived_at END \
     FROM community_groups WHERE id = $1";

/// Holds a group archived by the moderators since `at` (`Some`), or lets
/// it go (`None`), in the transaction that archives or opens it.
pub async fn set_group_held(tx: &mut Tx, group: i64, at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE community_groups SET moderators_archived_at = $2 WHERE id = $1").bind(group).bind(at).execute(&mut **tx).await?;
    Ok(())
}

/// The active admins of an organisation, read in the caller's transaction
/// (whom a decision about it tells).
pub async fn org_admins_in(tx: &mut Tx, org: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT person_id FROM org_members WHERE org_id = $1 AND role = 'admin' AND status = 'active' ORDER BY person_id")
        .bind(org)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}
