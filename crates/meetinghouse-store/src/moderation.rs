//! Safety: blocks and mutes between people, the report queue, the audit log
//! of moderation actions, and timed suspensions.

use sqlx::FromRow;

use crate::error::Result;
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
    pub group_id: Option<i64>,
    pub status: String,
    pub created_at: i64,
}

const REPORT: &str = "SELECT id, reporter, target_kind, target_id, category, details, group_id, status, created_at FROM reports";

/// Files a report; a second open report of the same thing by the same person
/// is a conflict (once the first is closed, they may report it again).
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
        "INSERT INTO reports (reporter, target_kind, target_id, category, details, group_id, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id",
        vec![reporter.into(), target_kind.into(), target, category.into(), details.into(), group_id.into(), now().into()],
        &[("reporter", "report")],
    )
}

pub async fn report_by_id(db: &Db, id: i64) -> Result<Option<ReportRow>> {
    let sql = format!("{REPORT} WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// Open items, oldest first: every one (`groups` = None) or those scoped to
/// the given groups, leaving out those about `not_about` (a person id, 0 for
/// nobody): reports of that person or of their replies.
pub async fn open_reports(db: &Db, groups: Option<&[i64]>, not_about: i64, limit: i64) -> Result<Vec<ReportRow>> {
    const NOT_ABOUT: &str = "NOT (target_kind = 'person' AND target_id = $1) \
         AND NOT (target_kind = 'reply' AND EXISTS (SELECT 1 FROM replies r WHERE r.id = reports.target_id AND r.author_person = $1))";
    match groups {
        None => {
            let sql = format!("{REPORT} WHERE status = 'open' AND {NOT_ABOUT} ORDER BY id LIMIT $2");
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(not_about).bind(limit).fetch_all(&db.pool).await?)
        }
        Some(ids) => {
            let mut out = Vec::new();
            for g in ids {
                let sql = format!("{REPORT} WHERE status = 'open' AND group_id = $3 AND {NOT_ABOUT} ORDER BY id LIMIT $2");
                out.extend(
                    sqlx::query_as::<_, ReportRow>(sqlx::AssertSqlSafe(sql)).bind(not_about).bind(limit).bind(g).fetch_all(&db.pool).await?,
                );
            }
            out.sort_by_key(|r| r.id);
            out.truncate(limit as usize);
            Ok(out)
        }
    }
}

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
    let sql = "UPDATE reports SET status = 'closed', closed_at = $3 WHERE target_kind = $1 AND target_id = $2 AND status = 'open' \
         RETURNING id, reporter, target_kind, target_id, category, details, group_id, status, created_at";
    let mut closed: Vec<ReportRow> = sqlx::query_as(sql).bind(&report.target_kind).bind(report.target_id).bind(now()).fetch_all(&mut **tx).await?;
    if !closed.iter().any(|r| r.id == report.id) {
        return Ok(None);
    }
    closed.sort_by_key(|r| r.id);
    Ok(Some(closed))
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
    /// the entry); `None` for other targets, or a reply no longer stored.
    pub subject_kind: Option<String>,
    pub subject_id: Option<i64>,
}

/// Newest first, before id `before` (0 for the newest).
pub async fn actions(db: &Db, before: i64, limit: i64) -> Result<Vec<ActionRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, p.handle AS moderator_handle, a.report_id, a.target_kind, a.target_id, a.action, a.note, a.until_at, a.created_at, \
             r.subject_kind, r.subject_id \
         FROM moderation_actions a LEFT JOIN people p ON p.id = a.moderator \
         LEFT JOIN replies r ON a.target_kind = 'reply' AND r.id = a.target_id \
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
    sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(person).execute(&mut **tx).await?;
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

/// Groups a person hosts directly: their part of the moderation queue.
pub async fn hosted_groups(db: &Db, person: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT group_id FROM group_members WHERE member_kind = 'person' AND member_id = $1 AND role = 'host' AND status = 'active' ORDER BY group_id",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(g,)| g).collect())
}
