//! Common-ground conversations: statements, participants and votes, and the
//! engine's latest result with the state that warm-starts the next update.

use sqlx::FromRow;

use crate::error::{Result, StoreError};
use crate::objects::Audience;
use crate::{Db, Tx, now};

#[derive(Debug, Clone, FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub host_person: i64,
    pub host_org: Option<i64>,
    pub voice: String,
    pub group_id: Option<i64>,
    pub prompt_id: Option<i64>,
    pub topic: String,
    pub description: String,
    pub allow_anonymous: i64,
    pub statement_max: i64,
    pub moderation: String,
    pub status: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub analysed_at: Option<i64>,
    /// When a host last changed the topic or description (migration 0048).
    pub edited_at: Option<i64>,
    /// When a host last opened it again after it closed (migration 0048).
    pub reopened_at: Option<i64>,
    /// For an in-person event: how many new participants without an
    /// account one connection may bring in an hour (migration 0058; `None`
    /// is the usual limit). Core `common_ground::caps::IN_PERSON_SIZES`.
    pub in_person: Option<i64>,
    pub host_handle: String,
    pub host_name: String,
    pub org_name: Option<String>,
    /// The group of the prompt it answers, if any (a conversation opened
    /// from a group's prompt belongs to that group whether or not it names
    /// it in `group_id`).
    pub prompt_group_id: Option<i64>,
}

const SELECT: &str = "SELECT c.id, c.host_person, c.host_org, c.voice, c.group_id, c.prompt_id, c.topic, c.description, \
    c.allow_anonymous, c.statement_max, c.moderation, c.status, c.created_at, c.closed_at, c.analysed_at, c.edited_at, c.reopened_at, c.in_person, \
    p.handle AS host_handle, p.display_name AS host_name, o.name AS org_name, pr.group_id AS prompt_group_id \
    FROM cg_conversations c JOIN people p ON p.id = c.host_person LEFT JOIN organisations o ON o.id = c.host_org \
    LEFT JOIN prompts pr ON pr.id = c.prompt_id";

#[derive(Debug, Clone)]
pub struct NewConversation<'a> {
    pub host_person: i64,
    pub host_org: Option<i64>,
    pub voice: &'a str,
    pub group_id: Option<i64>,
    pub prompt_id: Option<i64>,
    pub topic: &'a str,
    pub description: &'a str,
    pub allow_anonymous: bool,
    pub statement_max: i64,
    pub moderation: &'a str,
}

pub async fn insert(tx: &mut Tx, c: &NewConversation<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO cg_conversations (host_person, host_org, voice, group_id, prompt_id, topic, description, \
         allow_anonymous, statement_max, moderation, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11) RETURNING id",
    )
    .bind(c.host_person)
    .bind(c.host_org)
    .bind(c.voice)
    .bind(c.group_id)
    .bind(c.prompt_id)
    .bind(c.topic)
    .bind(c.description)
    .bind(i64::from(c.allow_anonymous))
    .bind(c.statement_max)
    .bind(c.moderation)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<ConversationRow>> {
    let sql = format!("{SELECT} WHERE c.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// Conversations, newest first.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<ConversationRow>> {
    let sql = format!("{SELECT} ORDER BY c.created_at DESC, c.id DESC LIMIT $1 OFFSET $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

/// The conversations `audience` may see, newest first: every one not in a
/// members-only group, nor on a prompt of one, and those of the
/// members-only groups the audience belongs to (every group for an
/// instance admin): core `common_ground::load`'s rule, in SQL, so the list
/// is cut into pages after it is filtered.
pub async fn list_for(db: &Db, audience: &Audience, limit: i64, offset: i64) -> Result<Vec<ConversationRow>> {
    let groups = audience.groups.len();
    let sql = format!(
        "{SELECT} LEFT JOIN community_groups g ON g.id = c.group_id LEFT JOIN community_groups pg ON pg.id = pr.group_id \
         WHERE (c.group_id IS NULL OR g.visibility <> 'members' OR {}) \
           AND (pr.group_id IS NULL OR pg.visibility <> 'members' OR {}) \
         ORDER BY c.created_at DESC, c.id DESC LIMIT $1 OFFSET $2",
        audience.groups_where("c.group_id", 3),
        audience.groups_where("pr.group_id", 4 + groups)
    );
    // Only placeholders are formatted in; every value is bound.
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset);
    Ok(audience.bind_groups(audience.bind_groups(q)).fetch_all(&db.pool).await?)
}

/// Whether a person may open a conversation somewhere (core
/// `common_ground::may_open`): active staff or admin of an organisation,
/// an active host of a group, or a host of a prompt by the prompts' rule.
pub async fn may_open(db: &Db, person: i64) -> Result<bool> {
    let sql = concat!(
        "SELECT 1 AS may FROM people WHERE id = $1 AND (",
        "EXISTS (SELECT 1 FROM org_members om WHERE om.person_id = $1 AND om.status = 'active' AND om.role IN ('admin', 'staff')) ",
        "OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.member_kind = 'person' AND gm.member_id = $1 AND gm.role = 'host' AND gm.status = 'active') ",
        "OR EXISTS (SELECT 1 FROM prompts WHERE id IN (",
        crate::prompts::hosted_prompts!("$1"),
        ")))"
    );
    let row: Option<(i64,)> = sqlx::query_as(sql).bind(person).fetch_optional(&db.pool).await?;
    Ok(row.is_some())
}

/// Changes an open conversation's topic, description and in-person
/// setting (see [`ConversationRow::in_person`]), in the caller's
/// transaction, marking when (`edited_at`) if the words changed; false,
/// and nothing changed, when it is closed.
pub async fn edit(tx: &mut Tx, id: i64, topic: &str, description: &str, in_person: Option<i64>) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE cg_conversations SET edited_at = CASE WHEN topic <> $1 OR description <> $2 THEN $3 ELSE edited_at END, \
         topic = $1, description = $2, in_person = $5 WHERE id = $4 AND status = 'open'",
    )
    .bind(topic)
    .bind(description)
    .bind(now())
    .bind(id)
    .bind(in_person)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Opens a closed conversation again, in the caller's transaction: open,
/// no closing date, `reopened_at` now, and marked changed so the map is
/// redrawn. False when it was open already.
pub async fn reopen(tx: &mut Tx, id: i64) -> Result<bool> {
    let at = now();
    let r = sqlx::query(
        "UPDATE cg_conversations SET status = 'open', closed_at = NULL, reopened_at = $1, dirty_since = COALESCE(dirty_since, $1) \
         WHERE id = $2 AND status = 'closed'",
    )
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Closes an open conversation, in the caller's transaction; false when it
/// was closed already. The first statement takes the conversation's row (on
/// PostgreSQL it waits for a vote or statement in flight, which holds the row
/// from [`change_open`] to its commit); the time is read only once it has the
/// row, so `closed_at` is never earlier than a vote stored before the close,
/// and a change that waited for the close finds the conversation closed.
pub async fn close(tx: &mut Tx, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE cg_conversations SET status = 'closed' WHERE id = $1 AND status = 'open'").bind(id).execute(&mut **tx).await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE cg_conversations SET closed_at = $1, dirty_since = COALESCE(dirty_since, $1) WHERE id = $2")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Marks a conversation as changed since its last analysis.
pub async fn mark_dirty(tx: &mut Tx, id: i64) -> Result<()> {
    sqlx::query("UPDATE cg_conversations SET dirty_since = COALESCE(dirty_since, $1) WHERE id = $2")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks an open conversation changed, in the transaction that changes it
/// (a vote, a statement, a host's decision). Returns false when it is closed
/// (or gone): the caller then writes nothing. On PostgreSQL the update holds
/// the conversation's row until the transaction ends, so changes to one
/// conversation and closing it take turns. Run first, it makes what the
/// transaction checks next (statements per person) safe from parallel
/// requests; run last, by a change that checks nothing else (a vote), it
/// holds the row only for the commit. On SQLite the write turn already makes
/// every transaction wait for the one before. One statement for both
/// backends: `SELECT … FOR UPDATE` is PostgreSQL's alone.
pub async fn change_open(tx: &mut Tx, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE cg_conversations SET dirty_since = COALESCE(dirty_since, $1) WHERE id = $2 AND status = 'open'")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// How long an analysis run may hold its claim: a claim older than this
/// never stored its result (its process was killed, or the database went
/// away), and the conversation is due again. Far longer than any run: the
/// scale benchmark's full update of 10 million votes takes well under 2 s.
pub const CLAIM_LEASE_SECS: i64 = 120;

/// How far ahead of this server's clock a stamp (`analysed_at`,
/// `claimed_at`) may be and still count as made by a clock that agrees with
/// it. Further ahead, it was made while a clock ran ahead that has since
/// been set back: read as long past, so the conversation is not held up
/// until that time comes round. (App servers' clocks agree far more
/// closely than a minute.)
pub const CLOCK_SLACK_SECS: i64 = 60;

/// Conversations with changes, or with a claim past its lease, whose last
/// analysis began at or before `not_after` (or ahead of the clock by more
/// than [`CLOCK_SLACK_SECS`]), and not waiting after failed analyses
/// ([`analysis_failed`]), oldest change (or claim) first.
/// Asked every second: each condition is its own indexed query
/// (`cg_conversations_dirty`, and migration 0027's partial index on claims),
/// so it reads only the conversations that are due, never every one (an
/// `OR` of the two made both backends scan the table).
pub async fn due(db: &Db, not_after: i64, limit: i64) -> Result<Vec<i64>> {
    // (id, when it became due, 0 for a change and 1 for a stale claim)
    let sql = format!(
        "SELECT id, since, 0 AS stale FROM (SELECT id, dirty_since AS since FROM cg_conversations \
             WHERE dirty_since IS NOT NULL AND (analysed_at IS NULL OR analysed_at <= $1 OR analysed_at > $4) AND {waiting} \
             ORDER BY dirty_since LIMIT $3) changed \
         UNION ALL \
         SELECT id, since, 1 AS stale FROM (SELECT id, claimed_at AS since FROM cg_conversations \
             WHERE (claimed_at <= $2 OR claimed_at > $4) AND (analysed_at IS NULL OR analysed_at <= $1 OR analysed_at > $4) AND {waiting} \
             ORDER BY claimed_at LIMIT $3) claims",
        waiting = not_waiting(5)
    );
    let now = now();
    let mut rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(not_after)
        .bind(now - CLAIM_LEASE_SECS)
        .bind(limit)
        .bind(now + CLOCK_SLACK_SECS)
        .bind(now)
        .bind(now + BACKOFF_MAX_SECS + CLOCK_SLACK_SECS)
        .fetch_all(&db.pool)
        .await?;
    // A changed conversation whose claim is stale too comes from both: its
    // change orders it, as `COALESCE(dirty_since, claimed_at)` did.
    rows.sort_by_key(|&(id, _, stale)| (id, stale));
    rows.dedup_by_key(|r| r.0);
    rows.sort_by_key(|&(id, since, _)| (since, id));
    Ok(rows.into_iter().take(usize::try_from(limit).unwrap_or(0)).map(|r| r.0).collect())
}

/// Claims a due conversation for one analysis run: clears its change mark and
/// stamps the start, so other app servers skip it and the next run waits for
/// the debounce interval. The claim's time stays until [`save_analysis`]
/// stores the run, so a run that never finishes is due again after
/// [`CLAIM_LEASE_SECS`]. A stamp further ahead of the clock than
/// [`CLOCK_SLACK_SECS`] (left by a clock since set back) holds nothing up.
/// Returns the run's claim number (see [`save_analysis`]), or `None` when
/// another run took it first.
pub async fn claim(db: &Db, id: i64, not_after: i64) -> Result<Option<i64>> {
    let now = now();
    let sql = format!(
        "UPDATE cg_conversations SET dirty_since = NULL, analysed_at = $1, claimed_at = $1, analysis_claims = analysis_claims + 1 \
         WHERE id = $2 AND (dirty_since IS NOT NULL OR claimed_at <= $4 OR claimed_at > $5) \
           AND (analysed_at IS NULL OR analysed_at <= $3 OR analysed_at > $5) AND {waiting} \
         RETURNING analysis_claims",
        waiting = not_waiting(6)
    );
    let row: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(id)
        .bind(not_after)
        .bind(now - CLAIM_LEASE_SECS)
        .bind(now + CLOCK_SLACK_SECS)
        .bind(now)
        .bind(now + BACKOFF_MAX_SECS + CLOCK_SLACK_SECS)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

/// The first wait after an analysis failed; it doubles with each failure
/// in a row, up to [`BACKOFF_MAX_SECS`].
pub const BACKOFF_FIRST_SECS: i64 = 4;

/// The longest wait between tries of an analysis that keeps failing.
pub const BACKOFF_MAX_SECS: i64 = 600;

/// A condition on `cg_conversations`: the conversation is not waiting
/// after failed analyses. Parameter `$n` is now and `$n+1` the furthest a
/// wait can reach plus the clock slack: a wait further ahead was set by a
/// clock since set back, and holds nothing up.
fn not_waiting(n: u8) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM cg_analysis_failures f WHERE f.conversation_id = cg_conversations.id \
         AND f.retry_after > ${n} AND f.retry_after <= ${})",
        n + 1
    )
}

/// The wait after `failures` failed analyses in a row.
pub fn backoff_secs(failures: i64) -> i64 {
    let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    BACKOFF_FIRST_SECS.saturating_mul(1 << doublings).min(BACKOFF_MAX_SECS)
}

/// Notes that the analysis run under `claim` failed: the conversation is
/// marked changed again (so it is tried again), its claim released, and it
/// waits [`backoff_secs`] of its failures in a row before another try on
/// any app server. Returns (failures in a row, the wait in seconds). A run
/// that stores its result clears the count ([`save_analysis`]).
pub async fn analysis_failed(db: &Db, id: i64, claim: i64) -> Result<(i64, i64)> {
    let now = now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE cg_conversations SET dirty_since = COALESCE(dirty_since, $1), \
         claimed_at = CASE WHEN analysis_claims = $2 THEN NULL ELSE claimed_at END WHERE id = $3",
    )
    .bind(now)
    .bind(claim)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let before: Option<(i64,)> =
        sqlx::query_as("SELECT failures FROM cg_analysis_failures WHERE conversation_id = $1").bind(id).fetch_optional(&mut *tx).await?;
    let failures = before.map_or(0, |r| r.0).saturating_add(1);
    let wait = backoff_secs(failures);
    sqlx::query(
        "INSERT INTO cg_analysis_failures (conversation_id, failures, retry_after) VALUES ($1, $2, $3) \
         ON CONFLICT (conversation_id) DO UPDATE SET failures = excluded.failures, retry_after = excluded.retry_after",
    )
    .bind(id)
    .bind(failures)
    .bind(now + wait)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((failures, wait))
}

/// Failed analyses in a row of a conversation, and when it is tried again
/// (None when its last analysis did not fail).
pub async fn analysis_failures(db: &Db, id: i64) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT failures, retry_after FROM cg_analysis_failures WHERE conversation_id = $1").bind(id).fetch_optional(&db.pool).await?)
}

/// A claim number for an analysis run outside the debounced job (the demo,
/// the command line): later than every run claimed so far, without touching
/// the change mark or the debounce.
pub async fn claim_now(db: &Db, id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("UPDATE cg_conversations SET analysis_claims = analysis_claims + 1 WHERE id = $1 RETURNING analysis_claims")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| r.0))
}

/// What one analysis run stores, as JSON: the summary pages show, the
/// engine's state for the next update, and the routing priorities the
/// voting page reads.
#[derive(Debug, Clone, Copy)]
pub struct Analysed<'a> {
    pub summary: &'a str,
    pub state: &'a str,
    pub priorities: &'a str,
}

/// Stores the engine's result (for pages), its carried state (for the
/// next update) and the routing priorities (in `cg_routing`, apart from
/// the summary, so the page of every vote reads them without the map's
/// points: migration 0048), unless a run claimed later has stored its own
/// already: compare-and-set on the claim number, all in one transaction.
/// A run that outlived the claim's lease (the debounce) can be claimed
/// again on another app server, whose run reads every vote cast before its
/// claim; returns false when this result was the older one and was
/// dropped. Storing the latest claim's run releases the claim (see
/// [`claim`]).
pub async fn save_analysis(db: &Db, id: i64, claim: i64, run: &Analysed<'_>) -> Result<bool> {
    let mut tx = db.begin().await?;
    let r = sqlx::query(
        "UPDATE cg_conversations SET analysis_json = $1, state_json = $2, analysis_claim = $3, \
         claimed_at = CASE WHEN analysis_claims = $3 THEN NULL ELSE claimed_at END \
         WHERE id = $4 AND (analysis_claim IS NULL OR analysis_claim < $3)",
    )
    .bind(run.summary)
    .bind(run.state)
    .bind(claim)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO cg_routing (conversation_id, priorities) VALUES ($1, $2) \
         ON CONFLICT (conversation_id) DO UPDATE SET priorities = excluded.priorities",
    )
    .bind(id)
    .bind(run.priorities)
    .execute(&mut *tx)
    .await?;
    // It analyses again: no more waiting after earlier failures.
    sqlx::query("DELETE FROM cg_analysis_failures WHERE conversation_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// The latest analysis as pages show it (JSON), when analysed.
pub async fn analysis(db: &Db, id: i64) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT analysis_json FROM cg_conversations WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    Ok(row.and_then(|r| r.0))
}

/// The routing priorities of the latest analysis (JSON: statement id and
/// priority pairs), when analysed since migration 0048.
pub async fn priorities(db: &Db, id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT priorities FROM cg_routing WHERE conversation_id = $1").bind(id).fetch_optional(&db.pool).await?;
    Ok(row.map(|r| r.0))
}

/// The engine state carried to the next update (JSON), when analysed.
pub async fn engine_state(db: &Db, id: i64) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT state_json FROM cg_conversations WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    Ok(row.and_then(|r| r.0))
}

/// Who takes part: a person or a browser token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who<'a> {
    Person(i64),
    Browser(&'a str),
}

/// The participant id of `who`, if they have taken part.
pub async fn participant(db: &Db, conversation: i64, who: &Who<'_>) -> Result<Option<i64>> {
    let row: Option<(i64,)> = match who {
        Who::Person(p) => sqlx::query_as("SELECT id FROM cg_participants WHERE conversation_id = $1 AND person_id = $2")
            .bind(conversation)
            .bind(*p)
            .fetch_optional(&db.pool)
            .await?,
        Who::Browser(h) => sqlx::query_as("SELECT id FROM cg_participants WHERE conversation_id = $1 AND anon_hash = $2")
            .bind(conversation)
            .bind(*h)
            .fetch_optional(&db.pool)
            .await?,
    };
    Ok(row.map(|r| r.0))
}

/// Whether `who` has voted or added a statement in a conversation: one
/// lookup by the participant's unique index, then the votes' primary key
/// and the statements' author index (migration 0027).
pub async fn has_taken_part(db: &Db, conversation: i64, who: &Who<'_>) -> Result<bool> {
    const TOOK_PART: &str = "AND (EXISTS (SELECT 1 FROM cg_votes v WHERE v.participant_id = p.id) \
        OR EXISTS (SELECT 1 FROM cg_statements s WHERE s.author = p.id)) LIMIT 1";
    let row: Option<(i64,)> = match who {
        Who::Person(person) => {
            let sql = format!("SELECT p.id FROM cg_participants p WHERE p.conversation_id = $1 AND p.person_id = $2 {TOOK_PART}");
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(conversation).bind(*person).fetch_optional(&db.pool).await?
        }
        Who::Browser(hash) => {
            let sql = format!("SELECT p.id FROM cg_participants p WHERE p.conversation_id = $1 AND p.anon_hash = $2 {TOOK_PART}");
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(conversation).bind(*hash).fetch_optional(&db.pool).await?
        }
    };
    Ok(row.is_some())
}

/// Makes the participant of a browser (`hash`, its token's SHA-256) in a
/// conversation the person's, with everything it holds (votes,
/// statements, the time it joined: the row stays, only who it is changes),
/// when the person has no participant there of their own. One statement in
/// its own transaction: two requests at once both try, and the second finds
/// the browser's participant gone (on PostgreSQL it waits for the first and
/// reads the row again); a participant of the person's added meanwhile (from
/// another browser) breaks the unique index, which is read as "not taken
/// over". Returns whether it was taken over.
pub async fn adopt_browser(db: &Db, conversation: i64, person: i64, hash: &str) -> Result<bool> {
    let mut tx = db.begin().await?;
    let r = sqlx::query(
        "UPDATE cg_participants SET person_id = $1, anon_hash = NULL \
         WHERE conversation_id = $2 AND anon_hash = $3 AND person_id IS NULL \
           AND NOT EXISTS (SELECT 1 FROM cg_participants o WHERE o.conversation_id = $2 AND o.person_id = $1)",
    )
    .bind(person)
    .bind(conversation)
    .bind(hash)
    .execute(&mut *tx)
    .await;
    match r.map_err(|e| StoreError::from_unique(e, &[("cg_participants_person", "participant"), ("cg_participants.person_id", "participant")])) {
        Ok(done) => {
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        }
        Err(StoreError::Conflict { what: "participant" }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// How many votes a participant has given.
pub async fn votes_count(db: &Db, participant: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cg_votes WHERE participant_id = $1").bind(participant).fetch_one(&db.pool).await?;
    Ok(n)
}

/// The participant id of `who`, registering them on first use.
pub async fn ensure_participant(tx: &mut Tx, conversation: i64, who: &Who<'_>) -> Result<i64> {
    let (person, anon) = match who {
        Who::Person(p) => (Some(*p), None),
        Who::Browser(h) => (None, Some(*h)),
    };
    // A concurrent first vote from the same person is absorbed by the unique indexes.
    sqlx::query("INSERT INTO cg_participants (conversation_id, person_id, anon_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(conversation)
        .bind(person)
        .bind(anon)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM cg_participants WHERE conversation_id = $1 AND (person_id = $2 OR anon_hash = $3)",
    )
    .bind(conversation)
    .bind(person)
    .bind(anon)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, FromRow)]
pub struct StatementRow {
    pub id: i64,
    pub conversation_id: i64,
    pub author: i64,
    pub body: String,
    pub status: String,
    pub is_seed: i64,
    pub is_meta: i64,
    pub created_at: i64,
    /// Its number within the conversation, from 1 in the order statements
    /// were added (migration 0058): what the pages and files call it. The
    /// row id (`id`) is what addresses and forms carry.
    pub number: i64,
}

const STATEMENT: &str = "SELECT id, conversation_id, author, body, status, is_seed, is_meta, created_at, number FROM cg_statements";

/// Adds a statement. The same text twice in one conversation breaks the
/// unique index `cg_statements_text` (migration 0011), reported as
/// [`StoreError::Conflict`](crate::StoreError::Conflict) for `"statement"`,
/// so two identical statements sent at once are stored once. `body` is the
/// statement as core normalised it (one line, single spaces): that is the
/// form compared. It takes the conversation's next number
/// ([`StatementRow::number`]): the caller holds the conversation
/// (`change_open`, or it is new in this transaction), so no other insert
/// takes the same one, and the unique index `cg_statements_number` holds it
/// even so.
pub async fn insert_statement(tx: &mut Tx, conversation: i64, author: i64, body: &str, status: &str, is_seed: bool) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO cg_statements (conversation_id, author, body, status, is_seed, created_at, number) \
         SELECT $1, $2, $3, $4, $5, $6, COALESCE(MAX(number), 0) + 1 FROM cg_statements WHERE conversation_id = $1 RETURNING id",
    )
    .bind(conversation)
    .bind(author)
    .bind(body)
    .bind(status)
    .bind(i64::from(is_seed))
    .bind(now())
    .fetch_one(&mut **tx)
    .await
    // PostgreSQL names the index; SQLite names the columns.
    .map_err(|e| StoreError::from_unique(e, &[("cg_statements_text", "statement"), ("cg_statements.body", "statement")]))?;
    Ok(id)
}

/// How many statements a participant has added to a conversation (whatever
/// became of them), read in the transaction that adds the next one.
/// How many statements a participant added (seed statements, the host's
/// opening set, are not counted).
pub async fn statements_by(tx: &mut Tx, conversation: i64, author: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cg_statements WHERE conversation_id = $1 AND author = $2 AND is_seed = 0")
        .bind(conversation)
        .bind(author)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n)
}

pub async fn statement(db: &Db, id: i64) -> Result<Option<StatementRow>> {
    let sql = format!("{STATEMENT} WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// Every statement of a conversation, oldest first.
pub async fn statements(db: &Db, conversation: i64) -> Result<Vec<StatementRow>> {
    let sql = format!("{STATEMENT} WHERE conversation_id = $1 ORDER BY id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(conversation).fetch_all(&db.pool).await?)
}

/// The conversation's statements whose author closed their account
/// choosing to remove what they posted, by id: closing takes them out (in
/// an open conversation), and no export writes their text.
pub async fn statements_of_removed_accounts(db: &Db, conversation: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT s.id FROM cg_statements s JOIN cg_participants cp ON cp.id = s.author JOIN people p ON p.id = cp.person_id \
         WHERE s.conversation_id = $1 AND p.closed_at IS NOT NULL AND p.closed_posts = 'remove' ORDER BY s.id",
    )
    .bind(conversation)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The status ("accepted", "pending" or "rejected") and the author of the
/// same text if it was already put to this conversation.
pub async fn statement_status(db: &Db, conversation: i64, body: &str) -> Result<Option<(String, i64)>> {
    Ok(sqlx::query_as("SELECT status, author FROM cg_statements WHERE conversation_id = $1 AND body = $2 ORDER BY id LIMIT 1")
        .bind(conversation)
        .bind(body)
        .fetch_optional(&db.pool)
        .await?)
}

/// Whether a statement's author closed their account choosing to remove
/// what they posted, read in the caller's transaction holding the author's
/// row (`people`) until it ends, as `people::still_open_in` does: on
/// PostgreSQL a closing in flight has the row, so this waits for it and
/// reads the row as it committed; a closing that comes after waits for
/// this transaction, and then takes out what it finds. Run before
/// `change_open`, as closing takes the person's row before the
/// conversation's. False for a statement of a browser without an account.
pub async fn author_removed_in(tx: &mut Tx, statement: i64) -> Result<bool> {
    let row: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
        "UPDATE people SET handle = handle WHERE id = \
           (SELECT cp.person_id FROM cg_statements s JOIN cg_participants cp ON cp.id = s.author WHERE s.id = $1) \
         RETURNING closed_at, closed_posts",
    )
    .bind(statement)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(matches!(row, Some((Some(_), Some(posts))) if posts == "remove"))
}

pub async fn set_statement_status(tx: &mut Tx, id: i64, status: &str) -> Result<()> {
    sqlx::query("UPDATE cg_statements SET status = $1, moderated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records a vote; a later vote on the same statement replaces the earlier
/// one. Only a statement of this conversation that is in it (accepted) takes
/// a vote: false, and nothing written, when a host has taken it out or it
/// waits for one. The status is read by the write itself, so a vote cannot
/// land on a statement taken out after the caller looked.
pub async fn upsert_vote(tx: &mut Tx, conversation: i64, participant: i64, statement: i64, vote: i64) -> Result<bool> {
    let at = now();
    let r = sqlx::query(
        "INSERT INTO cg_votes (conversation_id, participant_id, statement_id, vote, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $5, $5 WHERE EXISTS \
         (SELECT 1 FROM cg_statements WHERE id = $3 AND conversation_id = $1 AND status = 'accepted') \
         ON CONFLICT (participant_id, statement_id) DO UPDATE SET vote = excluded.vote, updated_at = excluded.updated_at",
    )
    .bind(conversation)
    .bind(participant)
    .bind(statement)
    .bind(vote)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Inserts many votes at once (the demo town): (participant, statement, vote, time).
pub async fn insert_votes(tx: &mut Tx, backend: crate::Backend, conversation: i64, votes: &[(i64, i64, i64, i64)]) -> Result<()> {
    for chunk in votes.chunks(500) {
        let mut params = crate::Params::new(backend);
        let tuples: Vec<String> = chunk.iter().map(|_| params.tuple(6)).collect();
        let sql = format!(
            "INSERT INTO cg_votes (conversation_id, participant_id, statement_id, vote, created_at, updated_at) VALUES {} \
             ON CONFLICT (participant_id, statement_id) DO UPDATE SET vote = excluded.vote, updated_at = excluded.updated_at",
            tuples.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for &(p, s, v, t) in chunk {
            q = q.bind(conversation).bind(p).bind(s).bind(v).bind(t).bind(t);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// One stored vote.
#[derive(Debug, Clone, FromRow)]
pub struct VoteRow {
    pub participant_id: i64,
    pub statement_id: i64,
    pub vote: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every vote of a conversation, in the order they were last cast.
pub async fn votes(db: &Db, conversation: i64) -> Result<Vec<VoteRow>> {
    Ok(sqlx::query_as(
        "SELECT participant_id, statement_id, vote, created_at, updated_at FROM cg_votes WHERE conversation_id = $1 \
         ORDER BY updated_at, participant_id, statement_id",
    )
    .bind(conversation)
    .fetch_all(&db.pool)
    .await?)
}

/// A participant's votes: statement id → vote.
pub async fn votes_of(db: &Db, participant: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT statement_id, vote FROM cg_votes WHERE participant_id = $1 ORDER BY statement_id")
        .bind(participant)
        .fetch_all(&db.pool)
        .await?)
}

