//! A group's purpose over time (migration 0034): its versions, the
//! amendments members propose to it, and their objections. Core's
//! `purposes` holds the rules (who may, the consent window, settling);
//! this module only reads and writes.
//!
//! A group stored with no version row (one started after migration 0034,
//! before its first amendment) has one version all the same: its purpose as
//! it stands, by its creator, at its creation. Every list and lookup of
//! versions here answers with that version 1, and [`ensure_first_version`]
//! stores it in the transaction that adopts the group's first amendment.

use sqlx::FromRow;

use crate::error::{Result, StoreError};
use crate::{Backend, Db, Tx};

/// One version of a group's purpose, with its proposer's handle and name
/// (`None` when nobody is recorded).
#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    /// 0 for a version 1 not stored yet.
    pub id: i64,
    pub group_id: i64,
    pub version: i64,
    pub text: String,
    pub adopted_at: i64,
    /// The amendment it was adopted from; `None` for version 1.
    pub amendment_id: Option<i64>,
    pub proposed_by: Option<i64>,
    pub proposer_handle: Option<String>,
    pub proposer_name: Option<String>,
}

/// The versions of group `$1`, stored or (with none stored) the synthesised
/// version 1, as `av`.
const ALL_VERSIONS: &str = "(SELECT v.id, v.group_id, v.version, v.text, v.adopted_at, v.amendment_id, v.proposed_by, \
        p.handle AS proposer_handle, p.display_name AS proposer_name \
    FROM purpose_versions v LEFT JOIN people p ON p.id = v.proposed_by WHERE v.group_id = $1 \
    UNION ALL \
    SELECT CAST(0 AS BIGINT), g.id, CAST(1 AS BIGINT), g.purpose, g.created_at, CAST(NULL AS BIGINT), g.created_by, \
        p.handle, p.display_name \
    FROM community_groups g LEFT JOIN people p ON p.id = g.created_by \
    WHERE g.id = $1 AND NOT EXISTS (SELECT 1 FROM purpose_versions x WHERE x.group_id = $1)) av";

/// A group's versions, newest first, at most `limit`.
pub async fn versions(db: &Db, group_id: i64, limit: i64) -> Result<Vec<VersionRow>> {
    let sql = format!("SELECT av.* FROM {ALL_VERSIONS} ORDER BY av.version DESC LIMIT $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(group_id).bind(limit).fetch_all(&db.pool).await?)
}

/// Version `n` of a group's purpose, if it has one.
pub async fn version(db: &Db, group_id: i64, n: i64) -> Result<Option<VersionRow>> {
    let sql = format!("SELECT av.* FROM {ALL_VERSIONS} WHERE av.version = $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(group_id).bind(n).fetch_optional(&db.pool).await?)
}

/// The current version's number: the highest stored, or 1 when none is.
pub async fn current_version(db: &Db, group_id: i64) -> Result<i64> {
    let (n,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(version) FROM purpose_versions WHERE group_id = $1").bind(group_id).fetch_one(&db.pool).await?;
    Ok(n.unwrap_or(1))
}

/// [`current_version`], read in a transaction (after `groups::lock_group`,
/// it holds until the transaction ends).
pub async fn current_version_in(tx: &mut Tx, group_id: i64) -> Result<i64> {
    let (n,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(version) FROM purpose_versions WHERE group_id = $1").bind(group_id).fetch_one(&mut **tx).await?;
    Ok(n.unwrap_or(1))
}

/// The people who proposed a version of a group's purpose (its creator for
/// version 1), each once, in the order they first shaped it: (handle,
/// display name), at most `limit`.
pub async fn shapers(db: &Db, group_id: i64, limit: i64) -> Result<Vec<(String, String)>> {
    let sql = format!(
        "SELECT p.handle, p.display_name FROM {ALL_VERSIONS} JOIN people p ON p.id = av.proposed_by \
         GROUP BY p.id, p.handle, p.display_name ORDER BY MIN(av.version), p.id LIMIT $2"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(group_id).bind(limit).fetch_all(&db.pool).await?)
}

/// Stores version 1 of a group that has no version stored: its purpose as
/// it stands, by its creator, at its creation. Does nothing when the group
/// has versions.
pub async fn ensure_first_version(tx: &mut Tx, group_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO purpose_versions (group_id, version, text, adopted_at, amendment_id, proposed_by) \
         SELECT g.id, 1, g.purpose, g.created_at, NULL, g.created_by FROM community_groups g \
         WHERE g.id = $1 AND NOT EXISTS (SELECT 1 FROM purpose_versions x WHERE x.group_id = $1) \
         ON CONFLICT (group_id, version) DO NOTHING",
    )
    .bind(group_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores version `version` of a group's purpose, adopted from amendment
/// `amendment_id` proposed by `proposed_by`, and makes its text the group's
/// purpose. A version of that number already stored is a
/// `Conflict { what: "version" }`.
pub async fn adopt_version(tx: &mut Tx, group_id: i64, version: i64, text: &str, at: i64, amendment_id: i64, proposed_by: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO purpose_versions (group_id, version, text, adopted_at, amendment_id, proposed_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(group_id)
    .bind(version)
    .bind(text)
    .bind(at)
    .bind(amendment_id)
    .bind(proposed_by)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from_unique(e, &[("version", "version")]))?;
    sqlx::query("UPDATE community_groups SET purpose = $2 WHERE id = $1").bind(group_id).bind(text).execute(&mut **tx).await?;
    Ok(())
}

/// The condition an objection `o` meets while its author takes part in group
/// `$g` (an SQL expression) now: an active account that belongs to the group
/// at any depth, by the store's one rule of membership (`groups::reach!`).
/// Only such an author's objection is counted when an amendment is settled
/// (core `purposes`): someone who left the group, was removed from it or is
/// suspended can no longer withdraw theirs, so it must not block for good.
macro_rules! author_takes_part {
    ($g:literal) => {
        concat!(
            "(EXISTS (SELECT 1 FROM people op WHERE op.id = o.person_id AND op.status = 'active') AND ",
            $g,
            " IN (WITH RECURSIVE ",
            crate::groups::reach!("o_reach", "o.person_id"),
            " SELECT o_reach.id FROM o_reach))"
        )
    };
}

/// An amendment, with its proposer's handle and name and how many of its
/// objections stand: while it is open (and for one that left `open` before
/// migration 0036, which recorded nothing), those not withdrawn, by someone
/// who still takes part in the group (`author_takes_part!`), read as things
/// are now; once it has left `open`, those recorded as counted then
/// ([`record_counting`]). In the settling transaction (after
/// [`lock_amendment`]) that is the number settling counts.
#[derive(Debug, Clone, FromRow)]
pub struct AmendmentRow {
    pub id: i64,
    pub group_id: i64,
    pub base_version: i64,
    pub text: String,
    pub why: String,
    pub proposed_by: i64,
    pub proposer_handle: String,
    pub proposer_name: String,
    /// Its proposer's account status now (`active`, `suspended`, `closed`,
    /// …): settling treats an amendment whose proposer is not active as
    /// withdrawn (core `purposes::settle`).
    pub proposer_status: String,
    pub proposed_at: i64,
    pub closes_at: i64,
    /// `open`, `adopted`, `not_adopted`, `withdrawn` or `superseded`.
    pub state: String,
    pub settled_at: Option<i64>,
    pub standing: i64,
    /// When the moderators hid its words (migration 0037): readers see
    /// "removed by the moderators" instead of its reason and, unless it was
    /// adopted, its text. `None` while they are shown.
    pub hidden_at: Option<i64>,
}

const AMENDMENT: &str = concat!(
    "SELECT a.id, a.group_id, a.base_version, a.text, a.why, a.proposed_by, p.handle AS proposer_handle, \
        p.display_name AS proposer_name, p.status AS proposer_status, a.proposed_at, a.closes_at, a.state, a.settled_at, \
        (SELECT COUNT(*) FROM purpose_objections o WHERE o.amendment_id = a.id AND (o.counted_at_settling = 'counted' \
            OR (o.counted_at_settling IS NULL AND o.withdrawn_at IS NULL AND ",
    author_takes_part!("a.group_id"),
    "))) AS standing, a.hidden_at \
    FROM purpose_amendments a JOIN people p ON p.id = a.proposed_by"
);

pub async fn amendment(db: &Db, id: i64) -> Result<Option<AmendmentRow>> {
    let sql = format!("{AMENDMENT} WHERE a.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// Locks an amendment's row until the transaction ends (on PostgreSQL
/// `FOR UPDATE`; on SQLite the write transaction holds the database) and
/// reads it: an objection, a withdrawal and settling then take turns on it,
/// so none of them acts on a state another has just changed.
pub async fn lock_amendment(tx: &mut Tx, backend: Backend, id: i64) -> Result<Option<AmendmentRow>> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM purpose_amendments WHERE id = $1 FOR UPDATE").bind(id).execute(&mut **tx).await?;
    }
    let sql = format!("{AMENDMENT} WHERE a.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await?)
}

/// A group's open amendments, the first to close first.
pub async fn open_amendments(db: &Db, group_id: i64) -> Result<Vec<AmendmentRow>> {
    let sql = format!("{AMENDMENT} WHERE a.group_id = $1 AND a.state = 'open' ORDER BY a.closes_at, a.id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(group_id).fetch_all(&db.pool).await?)
}

/// A group's settled amendments (adopted, not adopted, withdrawn,
/// superseded), the latest proposed first, at most `limit`.
pub async fn settled_amendments(db: &Db, group_id: i64, limit: i64) -> Result<Vec<AmendmentRow>> {
    settled_amendments_from(db, group_id, limit, 0).await
}

/// [`settled_amendments`] after the first `offset` (a page of them).
pub async fn settled_amendments_from(db: &Db, group_id: i64, limit: i64, offset: i64) -> Result<Vec<AmendmentRow>> {
    let sql = format!("{AMENDMENT} WHERE a.group_id = $1 AND a.state <> 'open' ORDER BY a.id DESC LIMIT $2 OFFSET $3");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(group_id).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

/// Where amendment `id` is and until when it is open: its group's address
/// and name, and when its window closes; read in the caller's transaction
/// (a refusal that names it). `None` when there is no such amendment.
pub async fn amendment_place_in(tx: &mut Tx, id: i64) -> Result<Option<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT g.slug, g.name, a.closes_at FROM purpose_amendments a JOIN community_groups g ON g.id = a.group_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// How many amendments of a group are open: all of them, and those
/// `person` proposed. Read in the proposing transaction, after
/// `groups::lock_group`.
pub async fn open_counts_in(tx: &mut Tx, group_id: i64, person: i64) -> Result<(i64, i64)> {
    let (all, theirs): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN proposed_by = $2 THEN 1 ELSE 0 END), 0) \
         FROM purpose_amendments WHERE group_id = $1 AND state = 'open'",
    )
    .bind(group_id)
    .bind(person)
    .fetch_one(&mut **tx)
    .await?;
    Ok((all, theirs))
}

/// The open amendments of a group, read in a transaction: (id, text).
pub async fn open_texts_in(tx: &mut Tx, group_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, text FROM purpose_amendments WHERE group_id = $1 AND state = 'open' ORDER BY id")
        .bind(group_id)
        .fetch_all(&mut **tx)
        .await?)
}

/// A new amendment, open.
#[derive(Debug, Clone)]
pub struct NewAmendment<'a> {
    pub group_id: i64,
    pub base_version: i64,
    pub text: &'a str,
    pub why: &'a str,
    pub proposed_by: i64,
    pub proposed_at: i64,
    pub closes_at: i64,
}

pub async fn insert_amendment(tx: &mut Tx, a: &NewAmendment<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO purpose_amendments (group_id, base_version, text, why, proposed_by, proposed_at, closes_at, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open') RETURNING id",
    )
    .bind(a.group_id)
    .bind(a.base_version)
    .bind(a.text)
    .bind(a.why)
    .bind(a.proposed_by)
    .bind(a.proposed_at)
    .bind(a.closes_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Moves an open amendment to `state` (settled at `at`); false, changing
/// nothing, when it is no longer open.
pub async fn leave_open(tx: &mut Tx, id: i64, state: &str, at: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE purpose_amendments SET state = $2, settled_at = $3 WHERE id = $1 AND state = 'open'")
        .bind(id)
        .bind(state)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records on each objection to amendment `amendment_id` (of group
/// `group_id`) whether it counts as things are now, and if not why
/// (`purpose_objections.counted_at_settling`, migration 0036): `counted`,
/// `withdrawn`, `left` (an active account no longer in the group, by the
/// store's one rule of membership) or `inactive` (an account that is not
/// active). Called in the transaction that moves the amendment out of
/// `open`, after its row lock, so what is recorded is what that transaction
/// read (settling: the objections it counted). Objections already recorded
/// keep what they have.
pub async fn record_counting(tx: &mut Tx, amendment_id: i64, group_id: i64) -> Result<()> {
    sqlx::query(concat!(
        "UPDATE purpose_objections AS o SET counted_at_settling = CASE \
             WHEN o.withdrawn_at IS NOT NULL THEN 'withdrawn' \
             WHEN NOT EXISTS (SELECT 1 FROM people ip WHERE ip.id = o.person_id AND ip.status = 'active') THEN 'inactive' \
             WHEN ",
        author_takes_part!("$2"),
        " THEN 'counted' ELSE 'left' END \
         WHERE o.amendment_id = $1 AND o.counted_at_settling IS NULL"
    ))
    .bind(amendment_id)
    .bind(group_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks superseded every amendment of a group still open on a base older
/// than `version` (just adopted); returns each one's (id, proposer), by id.
pub async fn supersede_older(tx: &mut Tx, group_id: i64, version: i64, at: i64) -> Result<Vec<(i64, i64)>> {
    let mut rows: Vec<(i64, i64)> = sqlx::query_as(
        "UPDATE purpose_amendments SET state = 'superseded', settled_at = $3 \
         WHERE group_id = $1 AND state = 'open' AND base_version < $2 RETURNING id, proposed_by",
    )
    .bind(group_id)
    .bind(version)
    .bind(at)
    .fetch_all(&mut **tx)
    .await?;
    rows.sort_unstable();
    Ok(rows)
}

/// A group's purpose as it stands, read in a transaction.
pub async fn purpose_in(tx: &mut Tx, group_id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT purpose FROM community_groups WHERE id = $1").bind(group_id).fetch_optional(&mut **tx).await?;
    Ok(row.map(|(p,)| p))
}

/// Open amendments whose window ended at or before `now`, the first to
/// close first, at most `limit` (read through the partial index on open
/// amendments' closing times).
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM purpose_amendments WHERE state = 'open' AND closes_at <= $1 ORDER BY closes_at, id LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// An objection, with its author's handle and name, and whether they take
/// part in the amendment's group now.
#[derive(Debug, Clone, FromRow)]
pub struct ObjectionRow {
    pub id: i64,
    pub amendment_id: i64,
    pub person_id: i64,
    pub handle: String,
    pub display_name: String,
    pub reason: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub withdrawn_at: Option<i64>,
    /// 1 while its author takes part in the group (`author_takes_part!`):
    /// a standing objection counts only then.
    pub author_takes_part: i64,
    /// Its author's account status (`active`, `suspended`, …).
    pub author_status: String,
    /// Whether it counted when its amendment left `open`, and if not why
    /// ([`record_counting`]): `counted`, `withdrawn`, `left` or `inactive`.
    /// `None` while the amendment is open, and for an amendment that left
    /// `open` before migration 0036.
    pub counted_at_settling: Option<String>,
    /// When the moderators hid its reason (migration 0037); `None` while it
    /// is shown. It counts (or not) all the same.
    pub hidden_at: Option<i64>,
}

const OBJECTION: &str = concat!(
    "SELECT o.id, o.amendment_id, o.person_id, p.handle, p.display_name, o.reason, o.created_at, o.updated_at, o.withdrawn_at, \
     CAST(CASE WHEN ",
    author_takes_part!("a.group_id"),
    " THEN 1 ELSE 0 END AS BIGINT) AS author_takes_part, p.status AS author_status, o.counted_at_settling, o.hidden_at \
     FROM purpose_objections o JOIN people p ON p.id = o.person_id JOIN purpose_amendments a ON a.id = o.amendment_id"
);

/// An amendment's objections, withdrawn ones too, the first made first.
pub async fn objections(db: &Db, amendment_id: i64) -> Result<Vec<ObjectionRow>> {
    let sql = format!("{OBJECTION} WHERE o.amendment_id = $1 ORDER BY o.created_at, o.id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(amendment_id).fetch_all(&db.pool).await?)
}

/// One objection, by its id (what a report about it names).
pub async fn objection(db: &Db, id: i64) -> Result<Option<ObjectionRow>> {
    let sql = format!("{OBJECTION} WHERE o.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// Hides an amendment's words (`hidden_at`), a moderator's decision: only
/// while they are shown, in the state and with the text and reason the
/// moderator judged; false, changing nothing, otherwise. Read after
/// [`lock_amendment`] in the decision's transaction.
pub async fn hide_amendment(tx: &mut Tx, id: i64, state: &str, text: &str, why: &str, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE purpose_amendments SET hidden_at = $5 \
         WHERE id = $1 AND hidden_at IS NULL AND state = $2 AND text = $3 AND why = $4",
    )
    .bind(id)
    .bind(state)
    .bind(text)
    .bind(why)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Hides an objection's reason (`hidden_at`), a moderator's decision: only
/// while it is shown and with the reason the moderator judged; false,
/// changing nothing, otherwise. Whether it counts is not touched.
pub async fn hide_objection(tx: &mut Tx, id: i64, reason: &str, at: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE purpose_objections SET hidden_at = $3 WHERE id = $1 AND hidden_at IS NULL AND reason = $2")
        .bind(id)
        .bind(reason)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `person` has an objection to an amendment, read in a
/// transaction: `Some(standing)` (true unless withdrawn), `None` for none.
pub async fn objection_in(tx: &mut Tx, amendment_id: i64, person: i64) -> Result<Option<bool>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT withdrawn_at FROM purpose_objections WHERE amendment_id = $1 AND person_id = $2")
        .bind(amendment_id)
        .bind(person)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|(withdrawn,)| withdrawn.is_none()))
}

/// Records `person`'s objection with `reason`, or changes the one they
/// have (a withdrawn one stands again).
pub async fn put_objection(tx: &mut Tx, amendment_id: i64, person: i64, reason: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO purpose_objections (amendment_id, person_id, reason, created_at, updated_at, withdrawn_at) \
         VALUES ($1, $2, $3, $4, $4, NULL) \
         ON CONFLICT (amendment_id, person_id) DO UPDATE SET reason = excluded.reason, updated_at = excluded.updated_at, withdrawn_at = NULL",
    )
    .bind(amendment_id)
    .bind(person)
    .bind(reason)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks `person`'s standing objection withdrawn; false when they have none
/// standing.
pub async fn withdraw_objection(tx: &mut Tx, amendment_id: i64, person: i64, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE purpose_objections SET withdrawn_at = $3 WHERE amendment_id = $1 AND person_id = $2 AND withdrawn_at IS NULL",
    )
    .bind(amendment_id)
    .bind(person)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Everyone who objected to an amendment (withdrawn objections too, or only
/// standing ones), in a transaction, by id.
pub async fn objectors_in(tx: &mut Tx, amendment_id: i64, standing_only: bool) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT person_id FROM purpose_objections WHERE amendment_id = $1 AND ($2 = 0 OR withdrawn_at IS NULL) ORDER BY person_id",
    )
    .bind(amendment_id)
    .bind(i64::from(standing_only))
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// Whether a person may take part in a group's purpose now, read in a
/// transaction: their account is active and they belong to the group at
/// any depth, by the store's one rule of membership (`groups::reach!`:
/// directly, through an active organisation membership, or through member
/// groups as far as access passes up).
pub async fn takes_part_in(tx: &mut Tx, person: i64, group_id: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(concat!(
        "WITH RECURSIVE ",
        crate::groups::reach!("reach", "$1"),
        " SELECT 1 FROM reach WHERE reach.id = $2 AND EXISTS (SELECT 1 FROM people pp WHERE pp.id = $1 AND pp.status = 'active') LIMIT 1"
    ))
    .bind(person)
    .bind(group_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Whether a person may see a group now, read in a transaction: it is not
/// members-only, or they are an instance admin, or they belong to it at any
/// depth (`notifications::sees_group!`, the rule of core's `groups::can_see`).
/// Whatever names a members-only group's amendment (a notification, and the
/// email an "immediate" choice writes with it at once) goes only to people
/// who pass this.
pub async fn sees_group_in(tx: &mut Tx, person: i64, group_id: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(concat!(
        "SELECT 1 FROM community_groups g WHERE g.id = $2 AND (g.visibility <> 'members' OR ",
        crate::notifications::sees_group!("$1", "g.id"),
        ")"
    ))
    .bind(person)
    .bind(group_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// The amendments a person proposed whose words are still shown (not
/// hidden by the moderators), whatever their state, read in the caller's
/// transaction, at most `limit`: what "remove everything they have posted"
/// hides (core `moderation`). Ordered by group, then id, so a decision that
/// locks their groups one after another takes them in one order.
pub async fn amendments_shown_by(tx: &mut Tx, person: i64, limit: i64) -> Result<Vec<AmendmentRow>> {
    let sql = format!("{AMENDMENT} WHERE a.proposed_by = $1 AND a.hidden_at IS NULL ORDER BY a.group_id, a.id LIMIT $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(limit).fetch_all(&mut **tx).await?)
}

/// A person's objections whose reason is still shown, withdrawn ones too,
/// read in the caller's transaction, at most `limit`: (id, reason), what
/// [`hide_objection`] compares.
pub async fn objections_shown_by(tx: &mut Tx, person: i64, limit: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, reason FROM purpose_objections WHERE person_id = $1 AND hidden_at IS NULL ORDER BY id LIMIT $2")
        .bind(person)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// Shows an amendment's words again (a moderator's decision on review):
/// only while they are hidden since `hidden_at`, the moment the moderator
/// judged, and never for one the moderators withdrew by hiding them (its
/// `settled_at` is that moment: an amendment does not open again, and its
/// page says who withdrew it). False, changing nothing, otherwise.
pub async fn show_amendment_words(tx: &mut Tx, id: i64, hidden_at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE purpose_amendments SET hidden_at = NULL \
         WHERE id = $1 AND hidden_at = $2 AND NOT (state = 'withdrawn' AND settled_at IS NOT NULL AND settled_at = hidden_at)",
    )
    .bind(id)
    .bind(hidden_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Shows an objection's reason again (a moderator's decision on review):
/// only while it is hidden since `hidden_at` and reads `reason`, as the
/// moderator judged it. False, changing nothing, otherwise.
pub async fn show_objection_reason(tx: &mut Tx, id: i64, reason: &str, hidden_at: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE purpose_objections SET hidden_at = NULL WHERE id = $1 AND hidden_at = $2 AND reason = $3")
        .bind(id)
        .bind(hidden_at)
        .bind(reason)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The groups a change to group `$1`'s membership can reach: it, and every
/// group it belongs to at any depth as a member group (a superset of those
/// whose members it changes), as `up(id)`.
const UP_FROM: &str = crate::groups::up!();

/// The objections that count now on the open amendments of group
/// `group_id` and of every group it belongs to (a change to its members can
/// change who takes part there): (amendment id, objector), not withdrawn, by
/// someone who takes part in the amendment's group (`author_takes_part!`),
/// by amendment then person. Read in a transaction that changes who belongs
/// to `group_id`, before and after the change: an objection in the first
/// list and not the second would stop counting because of it (core
/// `groups::remove` refuses that).
pub async fn counting_objections_from(tx: &mut Tx, group_id: i64) -> Result<Vec<(i64, i64)>> {
    let sql = format!(
        concat!(
            "WITH RECURSIVE {up} SELECT o.amendment_id, o.person_id FROM purpose_objections o \
             JOIN purpose_amendments a ON a.id = o.amendment_id \
             WHERE a.state = 'open' AND a.group_id IN (SELECT id FROM up) AND o.withdrawn_at IS NULL AND ",
            author_takes_part!("a.group_id"),
            " ORDER BY o.amendment_id, o.person_id"
        ),
        up = UP_FROM
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(group_id).fetch_all(&mut **tx).await?)
}

/// Everyone who takes part in group `group_id` now, by the store's one rule
/// of membership read downwards (`groups::reach!` the other way round):
/// active accounts that are active members directly, through an
/// organisation that is an active member, or through member groups at any
/// depth as far as access passes up; by id, at most `limit`. Read in the
/// proposing transaction, to tell them an amendment is open.
pub async fn people_taking_part_in(tx: &mut Tx, group_id: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "WITH RECURSIVE down(id) AS (SELECT CAST($1 AS BIGINT) UNION \
             SELECT gm.member_id FROM down CROSS JOIN group_members gm \
               JOIN community_groups c ON c.id = gm.member_id \
               JOIN community_groups p ON p.id = gm.group_id \
              WHERE gm.group_id = down.id AND gm.member_kind = 'group' AND gm.status = 'active' \
                AND (c.join_policy <> 'open' OR p.join_policy = 'open')) \
         SELECT pp.id FROM people pp WHERE pp.status = 'active' AND ( \
             EXISTS (SELECT 1 FROM group_members gm WHERE gm.member_kind = 'person' AND gm.member_id = pp.id \
                 AND gm.status = 'active' AND gm.group_id IN (SELECT id FROM down)) \
             OR EXISTS (SELECT 1 FROM group_members gm JOIN org_members om ON om.org_id = gm.member_id \
                 WHERE gm.member_kind = 'org' AND gm.status = 'active' AND om.person_id = pp.id AND om.status = 'active' \
                   AND gm.group_id IN (SELECT id FROM down))) \
         ORDER BY pp.id LIMIT $2",
    )
    .bind(group_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// The open amendments of a group, read in a transaction: (id, proposer), by id.
pub async fn open_in(tx: &mut Tx, group_id: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, proposed_by FROM purpose_amendments WHERE group_id = $1 AND state = 'open' ORDER BY id")
        .bind(group_id)
        .fetch_all(&mut **tx)
        .await?)
}

/// The open amendments a person proposed, read in a transaction: (id,
/// group id), by group then id (so groups are locked in one order).
pub async fn open_by_in(tx: &mut Tx, person: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, group_id FROM purpose_amendments WHERE proposed_by = $1 AND state = 'open' ORDER BY group_id, id")
        .bind(person)
        .fetch_all(&mut **tx)
        .await?)
}

/// How many amendments of a group are open, and when the first of them
/// closes (`None` with none open): what the group's page says.
pub async fn open_summary(db: &Db, group_id: i64) -> Result<(i64, Option<i64>)> {
    Ok(sqlx::query_as("SELECT COUNT(*), MIN(closes_at) FROM purpose_amendments WHERE group_id = $1 AND state = 'open'")
        .bind(group_id)
        .fetch_one(&db.pool)
        .await?)
}
