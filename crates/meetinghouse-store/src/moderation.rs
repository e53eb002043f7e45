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
///
/// A report about a common-ground statement records its conversation's
/// organisation and prompt (the caller passes its group): the hosts core
/// `common_ground::is_host` names; one about a prompt records the prompt,
/// one about a collection object its organisation (migration 0059).
///
/// The same batch keeps what was reported as it reads now (a
/// [`Snapshot`], `reason` `reported`, migration 0059), so an edit or a
/// retraction after the report leaves the moderators the words reported.
pub fn insert_report_into(
    b: &mut Batch,
    reporter: Option<i64>,
    target_kind: &str,
    target: Arg,
    category: &str,
    details: &str,
    group_id: Option<i64>,
) -> Inserted {
    let report = b.insert_unique(
        "INSERT INTO reports (reporter, target_kind, target_id, category, details, group_id, org_id, prompt_id, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, \
             COALESCE((SELECT CASE r.subject_kind \
                 WHEN 'org' THEN (SELECT o.id FROM organisations o WHERE o.id = r.subject_id) \
                 WHEN 'object' THEN (SELECT c.org_id FROM collection_objects c WHERE c.id = r.subject_id) \
                 WHEN 'story' THEN (SELECT s.author_org FROM stories s WHERE s.id = r.subject_id) END \
              FROM replies r WHERE $2 = 'reply' AND r.id = $3), \
              (SELECT s.author_org FROM stories s WHERE $2 = 'story' AND $4 <> 'review-request' AND s.id = $3), \
              (SELECT c.org_id FROM collection_objects c WHERE $2 = 'object' AND c.id = $3), \
              (SELECT cc.host_org FROM cg_statements st JOIN cg_conversations cc ON cc.id = st.conversation_id \
               WHERE $2 = 'statement' AND st.id = $3)), \
             COALESCE((SELECT CASE r.subject_kind \
                 WHEN 'prompt' THEN (SELECT p.id FROM prompts p WHERE p.id = r.subject_id) \
                 WHEN 'story' THEN (SELECT s.prompt_id FROM stories s WHERE s.id = r.subject_id) END \
              FROM replies r WHERE $2 = 'reply' AND r.id = $3), \
              (SELECT s.prompt_id FROM stories s WHERE $2 = 'story' AND $4 <> 'review-request' AND s.id = $3), \
              (SELECT p.id FROM prompts p WHERE $2 = 'prompt' AND p.id = $3), \
              (SELECT cc.prompt_id FROM cg_statements st JOIN cg_conversations cc ON cc.id = st.conversation_id \
               WHERE $2 = 'statement' AND st.id = $3)), \
             'open', $7) RETURNING id",
        vec![reporter.into(), target_kind.into(), target, category.into(), details.into(), group_id.into(), now().into()],
        &[("reporter", "report")],
    );
    if let Some(sql) = snapshot_sql(target_kind) {
        b.execute(sql, vec![report.into(), REPORTED.into(), now().into(), target_kind.into(), None::<i64>.into()]);
    }
    report
}

/// Why a [`Snapshot`] was taken: a report was filed.
pub const REPORTED: &str = "reported";
/// Why a [`Snapshot`] was taken: a decision hid (or removed) the thing.
pub const HIDDEN: &str = "hidden";

/// What was reported or hidden, as it read then (migration 0059): kept for
/// those who may see the report in the queue, since its author can edit or
/// retract it afterwards.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Snapshot {
    pub id: i64,
    pub report_id: i64,
    /// [`REPORTED`] or [`HIDDEN`].
    pub reason: String,
    pub target_kind: String,
    pub target_id: i64,
    /// A story's, group's, organisation's, prompt's or object's name, an
    /// amendment's reason, a person's display name; empty for a reply, an
    /// objection or a statement.
    pub title: String,
    pub body: String,
    pub created_at: i64,
}

/// The statement that keeps a snapshot of a thing of one kind, from its
/// row as it is now: `$1` the report, `$2` the reason, `$3` the time, `$4`
/// the kind, `$5` the thing's id (NULL: the report's own target).
macro_rules! snapshot_of {
    ($table:literal, $title:literal, $body:literal) => {
        concat!(
            "INSERT INTO report_snapshots (report_id, reason, target_kind, target_id, title, body, created_at) \
             SELECT $1, $2, $4, t.id, ",
            $title,
            ", ",
            $body,
            ", $3 FROM ",
            $table,
            " t WHERE t.id = COALESCE($5, (SELECT rp.target_id FROM reports rp WHERE rp.id = $1))"
        )
    };
}

/// [`snapshot_of!`] for a kind of report target; `None` for one with no words.
fn snapshot_sql(target_kind: &str) -> Option<&'static str> {
    Some(match target_kind {
        "reply" => snapshot_of!("replies", "''", "t.body"),
        "story" => snapshot_of!("stories", "t.title", "t.body"),
        "amendment" => snapshot_of!("purpose_amendments", "t.why", "t.text"),
        "objection" => snapshot_of!("purpose_objections", "''", "t.reason"),
        "group" => snapshot_of!("community_groups", "t.name", "t.purpose"),
        "org" => snapshot_of!("organisations", "t.name", "CASE WHEN t.website = '' THEN t.description ELSE t.description || '\n\n' || t.website END"),
        "person" => snapshot_of!("people", "t.display_name", "t.bio"),
        "statement" => snapshot_of!("cg_statements", "''", "t.body"),
        "prompt" => snapshot_of!("prompts", "t.question", "t.description"),
        "object" => snapshot_of!("collection_objects", "t.title", "t.description"),
        _ => return None,
    })
}

/// Keeps a snapshot of a thing as it reads now, in the transaction of the
/// decision (`report`) that hides it ([`HIDDEN`]): a reply, a story, an
/// amendment's or objection's words, an organisation's, a statement, an
/// object.
pub async fn snapshot_in(tx: &mut Tx, report: i64, reason: &str, target_kind: &str, target_id: i64) -> Result<()> {
    let Some(sql) = snapshot_sql(target_kind) else { return Ok(()) };
    let mut b = Batch::new();
    b.execute(sql, vec![report.into(), reason.into(), now().into(), target_kind.into(), Some(target_id).into()]);
    b.run_in(tx).await?;
    Ok(())
}

const SNAPSHOT: &str = "SELECT id, report_id, reason, target_kind, target_id, title, body, created_at FROM report_snapshots";

/// The snapshot taken when a report was filed, if any.
pub async fn snapshot_of_report(db: &Db, report: i64) -> Result<Option<Snapshot>> {
    let sql = format!("{SNAPSHOT} WHERE report_id = $1 AND reason = 'reported' ORDER BY id LIMIT 1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(report).fetch_optional(&db.pool).await?)
}

/// The latest snapshot taken when a thing was hidden, if any.
pub async fn last_hidden_snapshot(db: &Db, target_kind: &str, target_id: i64) -> Result<Option<Snapshot>> {
    let sql = format!("{SNAPSHOT} WHERE target_kind = $1 AND target_id = $2 AND reason = 'hidden' ORDER BY id DESC LIMIT 1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(target_kind).bind(target_id).fetch_optional(&db.pool).await?)
}

/// Every snapshot of a report (the one taken when it was filed, and those
/// of what its decision hid), oldest first.
pub async fn snapshots_of_report(db: &Db, report: i64) -> Result<Vec<Snapshot>> {
    let sql = format!("{SNAPSHOT} WHERE report_id = $1 ORDER BY id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(report).fetch_all(&db.pool).await?)
}

/// Removes the snapshots of things no longer stored (a story purged after
/// its restore window, a reply with it, a group, an organisation or an
/// object deleted): those of its own reports went with them already (ON
/// DELETE CASCADE); these are the ones a decision about someone else took
/// (remove everything a person posted). Returns how many went.
pub async fn purge_snapshots(db: &Db) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM report_snapshots WHERE \
            (target_kind = 'reply' AND NOT EXISTS (SELECT 1 FROM replies t WHERE t.id = report_snapshots.target_id)) \
         OR (target_kind = 'story' AND NOT EXISTS (SELECT 1 FROM stories t WHERE t.id = report_snapshots.target_id)) \
         OR (target_kind = 'amendment' AND NOT EXISTS (SELECT 1 FROM purpose_amendments t WHERE t.id = report_snapshots.target_id)) \
         OR (target_kind = 'objection' AND NOT EXISTS (SELECT 1 FROM purpose_objections t WHERE t.id = report_snapshots.target_id)) \
         OR (target_kind = 'group' AND NOT EXISTS (SELECT 1 FROM community_groups t WHERE t.id = report_snapshots.target_id)) \
         OR (target_kind = 'org' AND NOT EXISTS (SELECT 1 FROM organisations t WHERE t.id = report_snapshots.target_id)) \
         OR (target_kind = 'statement' AND NOT EXISTS (SELECT 1 FROM cg_statements t WHERE t.id = report_snapshots.target_id)) \
         OR (target_kind = 'prompt' AND NOT EXISTS (SELECT 1 FROM prompts t WHERE t.id = report_snapshots.target_id)) \
         OR (target_kind = 'object' AND NOT EXISTS (SELECT 1 FROM collection_objects t WHERE t.id = report_snapshots.target_id))",
    )
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
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

/// Which open reports a queue lists: whose queue, and of which kind and
/// category of report.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueFilter<'a> {
    /// `None` for an instance moderator (every report), or the person whose
    /// part of the queue it is.
    pub host: Option<i64>,
    /// A person (0 for nobody) whose own reports it leaves out: reports of
    /// them, of their replies, stories, amendments, objections, prompts
    /// and statements.
    pub not_about: i64,
    /// Only reports about this kind of thing (`target_kind`).
    pub kind: Option<&'a str>,
    /// Only reports of this category.
    pub category: Option<&'a str>,
}

/// The categories listed before every other, oldest first among them:
/// someone may be at risk, or someone's private details are out
/// (core `moderation::URGENT`, where the words are).
pub const URGENT: [&str; 2] = ["safeguarding", "privacy"];

/// Open items: every one (`host` = None) or those in the queue of person
/// `host`, leaving out those about `not_about` (see [`QueueFilter`]), of
/// one kind and one category when asked, at most `limit`. The urgent
/// categories ([`URGENT`]) come first, then the rest, each oldest first:
/// a flood of reports never pushes one about someone at risk out of the
/// part of the queue that is listed.
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
pub async fn open_reports_filtered(db: &Db, filter: &QueueFilter<'_>, limit: i64) -> Result<Vec<ReportRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reports WHERE {} AND ($4 = '' OR target_kind = $4) AND ($5 = '' OR category = $5) \
         ORDER BY CASE WHEN category IN ('{}', '{}') THEN 0 ELSE 1 END, id LIMIT $2",
        open_where(filter.host),
        URGENT[0],
        URGENT[1]
    );
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(filter.not_about)
        .bind(limit)
        .bind(filter.host.unwrap_or(0))
        .bind(filter.kind.unwrap_or(""))
        .bind(filter.category.unwrap_or(""));
    Ok(q.fetch_all(&db.pool).await?)
}

/// [`open_reports_filtered`] of every kind and category.
pub async fn open_reports(db: &Db, host: Option<i64>, not_about: i64, limit: i64) -> Result<Vec<ReportRow>> {
    open_reports_filtered(db, &QueueFilter { host, not_about, kind: None, category: None }, limit).await
}

/// How many items [`open_reports`] has in all, without a limit (the queue
/// shows the oldest few hundred and says how many more wait).
pub async fn count_open_reports(db: &Db, host: Option<i64>, not_about: i64) -> Result<i64> {
    Ok(open_report_counts(db, host, not_about).await?.iter().map(|(_, _, n)| n).sum())
}

/// How many open reports [`open_reports`] has, by kind of thing and
/// category: (`target_kind`, `category`, how many).
pub async fn open_report_counts(db: &Db, host: Option<i64>, not_about: i64) -> Result<Vec<(String, String, i64)>> {
    let sql = format!(
        "SELECT target_kind, category, COUNT(*) FROM reports WHERE {} AND $2 = $2 GROUP BY target_kind, category ORDER BY target_kind, category",
        open_where(host)
    );
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(not_about).bind(0_i64).bind(host.unwrap_or(0));
    Ok(q.fetch_all(&db.pool).await?)
}

/// The condition of [`open_reports`] (`$1` the person left out, `$3` the host).
fn open_where(host: Option<i64>) -> String {
    const NOT_ABOUT: &str = "NOT (target_kind = 'person' AND target_id = $1) \
         AND NOT (target_kind = 'reply' AND EXISTS (SELECT 1 FROM replies r WHERE r.id = reports.target_id AND r.author_person = $1)) \
         AND NOT (target_kind = 'story' AND EXISTS (SELECT 1 FROM stories s WHERE s.id = reports.target_id AND s.author_person = $1)) \
         AND NOT (target_kind = 'amendment' AND EXISTS (SELECT 1 FROM purpose_amendments pa WHERE pa.id = reports.target_id AND pa.proposed_by = $1)) \
         AND NOT (target_kind = 'objection' AND EXISTS (SELECT 1 FROM purpose_objections po WHERE po.id = reports.target_id AND po.person_id = $1)) \
         AND NOT (target_kind = 'prompt' AND EXISTS (SELECT 1 FROM prompts pr WHERE pr.id = reports.target_id AND pr.host_person = $1)) \
         AND NOT (target_kind = 'statement' AND EXISTS (SELECT 1 FROM cg_statements st JOIN cg_participants cp ON cp.id = st.author \
             WHERE st.id = reports.target_id AND cp.person_id = $1))";
    match host {
        None => format!("status = 'open' AND {NOT_ABOUT} AND $3 = $3"),
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

/// How many reports a person filed since `since` (unix seconds), read in
/// the transaction that files the next one (core `moderation::REPORTS_PER_HOUR`):
/// counted in the database, so a restart or another app server starts no
/// new budget.
pub async fn reports_filed_since(tx: &mut Tx, reporter: i64, since: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reports WHERE reporter = $1 AND created_at > $2")
        .bind(reporter)
        .bind(since)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n)
}

/// A person's reports, newest first, at most `limit`, and how many they
/// have filed in all and how many of those are open: (reports, all, open).
/// For instance moderators only (core `moderation::reports_by_reporter`).
pub async fn reports_by(db: &Db, reporter: i64, limit: i64) -> Result<(Vec<ReportRow>, i64, i64)> {
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE reporter = $1 ORDER BY id DESC LIMIT $2");
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(reporter).bind(limit).fetch_all(&db.pool).await?;
    let (all, open): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0) FROM reports WHERE reporter = $1",
    )
    .bind(reporter)
    .fetch_one(&db.pool)
    .await?;
    Ok((rows, all, open))
}

/// A common-ground statement waiting for its hosts (pre-moderation), as a
/// host's queue lists it.
#[derive(Debug, Clone, FromRow)]
pub struct WaitingStatement {
    pub id: i64,
    pub conversation_id: i64,
    pub topic: String,
    pub body: String,
    pub created_at: i64,
}

/// The statements waiting for a host's decision in open common-ground
/// conversations person `host` hosts (the rule of core
/// `common_ground::is_host`: active staff of the organisation it was
/// opened at, an active host of its group, a host of its prompt; every
/// conversation for an instance admin, `admin`), oldest first, at most
/// `limit`, and how many there are in all.
pub async fn statements_waiting(db: &Db, host: i64, admin: bool, limit: i64) -> Result<(Vec<WaitingStatement>, i64)> {
    const WHERE: &str = concat!(
        "FROM cg_statements s JOIN cg_conversations c ON c.id = s.conversation_id \
         WHERE s.status = 'pending' AND c.status = 'open' AND ($2 = 1 OR c.host_org IN (",
        staff_orgs!("$1"),
        ") OR c.group_id IN (",
        hosted_groups!("$1"),
        ") OR c.prompt_id IN (",
        crate::prompts::hosted_prompts!("$1"),
        "))"
    );
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.id, s.conversation_id, c.topic, s.body, s.created_at {WHERE} ORDER BY s.id LIMIT $3"
    )))
    .bind(host)
    .bind(i64::from(admin))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {WHERE} AND $3 = $3")))
        .bind(host)
        .bind(i64::from(admin))
        .bind(0_i64)
        .fetch_one(&db.pool)
        .await?;
    Ok((rows, n))
}

/// Takes a common-ground statement out (a moderator's decision on a report
/// about it), in the decision's transaction, only from the status judged;
/// whether the conversation is open or closed (its hosts take statements
/// out only while it is open, core `common_ground::moderate`; the meeting
/// house's moderators at any time). Marks the conversation changed, so its
/// analysis is run again without the statement. Returns whether it was
/// taken out.
pub async fn reject_statement(tx: &mut Tx, id: i64, from: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE cg_statements SET status = 'rejected', moderated_at = $3 WHERE id = $1 AND status = $2")
        .bind(id)
        .bind(from)
        .bind(now())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if done != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE cg_conversations SET dirty_since = COALESCE(dirty_since, $1) WHERE id = (SELECT conversation_id FROM cg_statements WHERE id = $2)")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// A statement as a report about it needs it: the statement, its
/// conversation's status and group, and the person who wrote it (`None`
/// when they took part without an account).
#[derive(Debug, Clone, FromRow)]
pub struct ReportedStatement {
    pub id: i64,
    pub conversation_id: i64,
    pub body: String,
    pub status: String,
    pub conversation_status: String,
    pub topic: String,
    pub group_id: Option<i64>,
    pub author_person: Option<i64>,
}

/// [`ReportedStatement`] by the statement's id.
pub async fn reported_statement(db: &Db, id: i64) -> Result<Option<ReportedStatement>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.conversation_id, s.body, s.status, c.status AS conversation_status, c.topic, c.group_id, cp.person_id AS author_person \
         FROM cg_statements s JOIN cg_conversations c ON c.id = s.conversation_id JOIN cg_participants cp ON cp.id = s.author WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?)
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
