//! Organisations and their members.

use sqlx::FromRow;

use crate::error::{Result, StoreError};
use crate::groups::name_key;
use crate::{Backend, Db, Tx, now};

#[derive(Debug, Clone, FromRow)]
pub struct OrgRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub sector: String,
    pub description: String,
    pub website: String,
    pub town: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, slug, name, sector, description, website, town, created_at";

#[derive(Debug, Clone)]
pub struct NewOrg<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    /// The name folded (core's `orgs::name_key`): unique among organisations
    /// (migration 0030), so no organisation takes another's name.
    pub name_folded: &'a str,
    pub sector: &'a str,
    pub description: &'a str,
    pub website: &'a str,
    pub town: &'a str,
}

/// Inserts an organisation with its creator as its first admin. A name
/// whose folded form another organisation has is `Conflict { what: "name" }`,
/// an address another has `Conflict { what: "address (slug)" }`. Its
/// collection is open for imports at once when an instance admin creates
/// it ([`CollectionGate`]).
pub async fn insert(tx: &mut Tx, o: &NewOrg<'_>, creator: i64) -> Result<i64> {
    let t = now();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO organisations (slug, name, name_folded, sector, description, website, town, created_by, created_at, collection_opened_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT $9 FROM people WHERE id = $8 AND is_admin = 1)) RETURNING id",
    )
    .bind(o.slug)
    .bind(o.name)
    .bind(o.name_folded)
    .bind(o.sector)
    .bind(o.description)
    .bind(o.website)
    .bind(o.town)
    .bind(creator)
    .bind(t)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| StoreError::from_unique(e, &[("name_folded", "name"), ("slug", "address (slug)")]))?;
    sqlx::query(
        "INSERT INTO org_members (org_id, person_id, role, status, created_at) VALUES ($1, $2, 'admin', 'active', $3)",
    )
    .bind(id)
    .bind(creator)
    .bind(t)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<OrgRow>> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE slug = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(&db.pool).await?)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<OrgRow>> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// Organisations by name ignoring case, then id (`groups::name_key`: the same
/// order on both databases, and pages that do not shift when names tie).
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<OrgRow>> {
    let sql = format!("SELECT {COLUMNS} FROM organisations ORDER BY {}, id LIMIT $1 OFFSET $2", name_key(db.backend(), "name"));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

/// [`list`] without the organisations the meeting house's moderators
/// flagged as not confirmed to be who their names say (migration 0043,
/// core `moderation`): the public list and the sitemap, which would lend
/// them the meeting house's listing. Their pages stay, with the flag.
pub async fn list_unflagged(db: &Db, limit: i64, offset: i64) -> Result<Vec<OrgRow>> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE flagged_at IS NULL ORDER BY {}, id LIMIT $1 OFFSET $2", name_key(db.backend(), "name"));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

pub async fn count(db: &Db) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations").fetch_one(&db.pool).await?;
    Ok(n)
}

/// A member of an organisation, with the person's names.
#[derive(Debug, Clone, FromRow)]
pub struct OrgMemberRow {
    pub person_id: i64,
    pub handle: String,
    pub display_name: String,
    pub role: String,
    pub status: String,
    /// The person's account status (`active`, `pending`, `suspended`).
    pub person_status: String,
}

/// A page of an organisation's members, by name ignoring case, then id.
/// `invited`: pending invitations too; `inactive_people`: people whose
/// account is not active (suspended, banned, waiting for approval) too —
/// both only for those who manage the organisation.
pub async fn members(db: &Db, org_id: i64, invited: bool, inactive_people: bool, limit: i64, offset: i64) -> Result<Vec<OrgMemberRow>> {
    let sql = format!(
        "SELECT p.id AS person_id, p.handle, p.display_name, m.role, m.status, p.status AS person_status \
         FROM org_members m JOIN people p ON p.id = m.person_id \
         WHERE m.org_id = $1 AND (m.status = 'active' OR $2 = 1) AND (p.status = 'active' OR $3 = 1) \
         ORDER BY {}, p.id LIMIT $4 OFFSET $5",
        name_key(db.backend(), "p.display_name")
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(i64::from(invited))
        .bind(i64::from(inactive_people))
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.pool)
        .await?)
}

/// How many active admin memberships an organisation has, whatever the
/// accounts' status ([`AdminCount::admins`]).
pub async fn active_admins(db: &Db, org_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'admin' AND status = 'active'",
    )
    .bind(org_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// The (role, status) of a person in an organisation, if any.
pub async fn membership(db: &Db, org_id: i64, person_id: i64) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as("SELECT role, status FROM org_members WHERE org_id = $1 AND person_id = $2")
        .bind(org_id)
        .bind(person_id)
        .fetch_optional(&db.pool)
        .await?)
}

/// Organisations where a person is active, with their role.
pub async fn of_person(db: &Db, person_id: i64) -> Result<Vec<(OrgRow, String)>> {
    let sql = format!(
        "SELECT o.id, o.slug, o.name, o.sector, o.description, o.website, o.town, o.created_at, m.role \
         FROM org_members m JOIN organisations o ON o.id = m.org_id \
         WHERE m.person_id = $1 AND m.status = 'active' ORDER BY {}, o.id",
        name_key(db.backend(), "o.name")
    );
    let rows: Vec<OrgWithRole> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person_id).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|r| (r.org, r.role)).collect())
}

#[derive(FromRow)]
struct OrgWithRole {
    #[sqlx(flatten)]
    org: OrgRow,
    role: String,
}

/// A page of a person's pending invitations, with the role offered, by the
/// organisation's name (ignoring case), then id; not those sent by someone
/// the person blocks or mutes (even when the block came later).
pub async fn invitations_for(db: &Db, person_id: i64, limit: i64, offset: i64) -> Result<Vec<(OrgRow, String)>> {
    let sql = format!(
        "SELECT o.id, o.slug, o.name, o.sector, o.description, o.website, o.town, o.created_at, m.role \
         FROM org_members m JOIN organisations o ON o.id = m.org_id \
         WHERE m.person_id = $1 AND m.status = 'invited' \
           AND NOT EXISTS (SELECT 1 FROM person_relations ir \
                           WHERE ir.person_id = m.person_id AND ir.kind IN ('block', 'mute') AND ir.other_id = m.invited_by) \
         ORDER BY {}, o.id LIMIT $2 OFFSET $3",
        name_key(db.backend(), "o.name")
    );
    let rows: Vec<OrgWithRole> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person_id).bind(limit).bind(offset).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|r| (r.org, r.role)).collect())
}

/// Invites a person, on its own (for set-ups); an existing membership or
/// invitation is a conflict. Core invites with [`invite_in`].
pub async fn invite(db: &Db, org_id: i64, person_id: i64, role: &str, invited_by: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_members (org_id, person_id, role, status, invited_by, created_at) \
         VALUES ($1, $2, $3, 'invited', $4, $5)",
    )
    .bind(org_id)
    .bind(person_id)
    .bind(role)
    .bind(invited_by)
    .bind(now())
    .execute(&db.pool)
    .await
    .map_err(|e| StoreError::from_unique(e, &[("", "membership")]))?;
    Ok(())
}

/// Invites a person, in the caller's transaction (after [`lock`], where who
/// may invite was checked); false, writing nothing, when they are already a
/// member or invited.
pub async fn invite_in(tx: &mut Tx, org_id: i64, person_id: i64, role: &str, invited_by: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO org_members (org_id, person_id, role, status, invited_by, created_at) \
         VALUES ($1, $2, $3, 'invited', $4, $5) ON CONFLICT (org_id, person_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(person_id)
    .bind(role)
    .bind(invited_by)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The organisation whose folded name is `folded`, if any, read in the
/// transaction that is about to insert one (the unique index on
/// `name_folded` settles a race between two).
pub async fn by_folded_name(tx: &mut Tx, folded: &str) -> Result<Option<OrgRow>> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE name_folded = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(folded).fetch_optional(&mut **tx).await?)
}

/// An organisation's folded name as stored (None while it waits to be
/// folded), read in the transaction that renames it.
pub async fn folded_name_in(tx: &mut Tx, id: i64) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT name_folded FROM organisations WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
    Ok(row.and_then(|(f,)| f))
}

/// An organisation read inside a transaction (after [`lock`], what it says
/// holds until the transaction ends).
pub async fn by_id_in(tx: &mut Tx, id: i64) -> Result<Option<OrgRow>> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await?)
}

/// What an organisation's admins may change (its address stays).
#[derive(Debug, Clone)]
pub struct OrgEdit<'a> {
    pub name: &'a str,
    /// The name folded, as for [`NewOrg`]: unique among organisations.
    /// `None` keeps the one stored (the name was only re-cased or
    /// re-spaced, so it folds as before).
    pub name_folded: Option<&'a str>,
    pub sector: &'a str,
    pub description: &'a str,
    pub website: &'a str,
    pub town: &'a str,
}

/// Writes an organisation's details, in the transaction where who may was
/// checked (after [`lock`]). A folded name another organisation has is
/// `Conflict { what: "name" }`, as for [`insert`].
pub async fn update(tx: &mut Tx, id: i64, e: &OrgEdit<'_>) -> Result<()> {
    sqlx::query(
        "UPDATE organisations SET name = $1, name_folded = COALESCE($2, name_folded), sector = $3, description = $4, website = $5, town = $6 WHERE id = $7",
    )
    .bind(e.name)
    .bind(e.name_folded)
    .bind(e.sector)
    .bind(e.description)
    .bind(e.website)
    .bind(e.town)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(|err| StoreError::from_unique(err, &[("name_folded", "name")]))?;
    Ok(())
}

/// Records that `by` changed `field` of an organisation from `old` to `new`,
/// in the transaction that changes it.
pub async fn log_change(tx: &mut Tx, org_id: i64, by: i64, field: &str, old: &str, new: &str) -> Result<()> {
    sqlx::query("INSERT INTO org_changes (org_id, changed_by, field, old_value, new_value, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(org_id)
        .bind(by)
        .bind(field)
        .bind(old)
        .bind(new)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records a change to an organisation's members (`field`: `member_invited`,
/// `member_role`…) about `person`, in the transaction that makes it.
pub async fn log_member_change(tx: &mut Tx, org_id: i64, by: i64, field: &str, old: &str, new: &str, person: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_changes (org_id, changed_by, field, old_value, new_value, created_at, about_person) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(org_id)
    .bind(by)
    .bind(field)
    .bind(old)
    .bind(new)
    .bind(now())
    .bind(person)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A change of an organisation's log, with who made it and whom it was about.
#[derive(Debug, Clone, FromRow)]
pub struct OrgChangeRow {
    #[sqlx(flatten)]
    pub change: crate::groups::ChangeRow,
    /// The member a change of members was about, while their account is there.
    pub about_name: Option<String>,
    pub about_handle: Option<String>,
}

impl std::ops::Deref for OrgChangeRow {
    type Target = crate::groups::ChangeRow;

    fn deref(&self) -> &crate::groups::ChangeRow {
        &self.change
    }
}

/// An organisation's latest `limit` changes (its details and its members),
/// newest first.
pub async fn changes_with_people(db: &Db, org_id: i64, limit: i64) -> Result<Vec<OrgChangeRow>> {
    Ok(sqlx::query_as(
        "SELECT c.field, c.old_value, c.new_value, c.created_at, p.display_name AS changed_by_name, p.handle AS changed_by_handle, \
             a.display_name AS about_name, a.handle AS about_handle \
         FROM org_changes c LEFT JOIN people p ON p.id = c.changed_by LEFT JOIN people a ON a.id = c.about_person \
         WHERE c.org_id = $1 ORDER BY c.id DESC LIMIT $2",
    )
    .bind(org_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Whether an organisation's collection is open for imports from the
/// browser, and whether the moderators hold it (migration 0050).
#[derive(Debug, Clone, Copy, Default, FromRow)]
pub struct CollectionGate {
    /// When an instance admin opened it (or it was created by one); `None`
    /// while its first import waits for one.
    pub collection_opened_at: Option<i64>,
    /// When the moderators withdrew its whole collection; `None` otherwise.
    pub collection_held_at: Option<i64>,
}

pub async fn collection_gate(db: &Db, org_id: i64) -> Result<CollectionGate> {
    Ok(sqlx::query_as("SELECT collection_opened_at, collection_held_at FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_optional(&db.pool)
        .await?
        .unwrap_or_default())
}

/// Opens an organisation's collection for imports (only once: the first
/// time stays).
pub async fn open_collection(tx: &mut Tx, org_id: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE organisations SET collection_opened_at = COALESCE(collection_opened_at, $1) WHERE id = $2")
        .bind(at)
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks an organisation's collection held by the moderators (`Some`), or
/// no longer (`None`).
pub async fn hold_collection(tx: &mut Tx, org_id: i64, at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE organisations SET collection_held_at = $1 WHERE id = $2").bind(at).bind(org_id).execute(&mut **tx).await?;
    Ok(())
}

/// An organisation's latest `limit` changes, newest first.
pub async fn changes(db: &Db, org_id: i64, limit: i64) -> Result<Vec<crate::groups::ChangeRow>> {
    Ok(sqlx::query_as(
        "SELECT c.field, c.old_value, c.new_value, c.created_at, p.display_name AS changed_by_name, p.handle AS changed_by_handle \
         FROM org_changes c LEFT JOIN people p ON p.id = c.changed_by \
         WHERE c.org_id = $1 ORDER BY c.id DESC LIMIT $2",
    )
    .bind(org_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Up to `limit` organisations stored before names were folded (migration
/// 0030 left their `name_folded` empty), oldest first: (id, name).
pub async fn unfolded(tx: &mut Tx, limit: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, name FROM organisations WHERE name_folded IS NULL ORDER BY id LIMIT $1")
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// Gives an organisation stored before names were folded its folded name:
/// `folded`, or `duplicate` when another organisation already has `folded`
/// (an older one of the same name keeps it). Only while it has none.
pub async fn set_folded(tx: &mut Tx, org_id: i64, folded: &str, duplicate: &str) -> Result<()> {
    sqlx::query(
        "UPDATE organisations SET name_folded = CASE WHEN EXISTS \
             (SELECT 1 FROM organisations o2 WHERE o2.name_folded = $2) THEN $3 ELSE $2 END \
         WHERE id = $1 AND name_folded IS NULL",
    )
    .bind(org_id)
    .bind(folded)
    .bind(duplicate)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds an active member directly (used by the demo and the creator path).
pub async fn add_active(tx: &mut Tx, org_id: i64, person_id: i64, role: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_members (org_id, person_id, role, status, created_at) VALUES ($1, $2, $3, 'active', $4) \
         ON CONFLICT (org_id, person_id) DO UPDATE SET role = excluded.role, status = 'active'",
    )
    .bind(org_id)
    .bind(person_id)
    .bind(role)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Accepts an invitation; false when there was none.
pub async fn accept(db: &Db, org_id: i64, person_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE org_members SET status = 'active' WHERE org_id = $1 AND person_id = $2 AND status = 'invited'",
    )
    .bind(org_id)
    .bind(person_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Accepts an invitation in the caller's transaction (after [`lock`]);
/// false when there was none.
pub async fn accept_in(tx: &mut Tx, org_id: i64, person_id: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE org_members SET status = 'active' WHERE org_id = $1 AND person_id = $2 AND status = 'invited'")
        .bind(org_id)
        .bind(person_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The (role, status) of a person in an organisation, read inside a
/// transaction (after [`lock`], what it says holds until the transaction ends).
pub async fn membership_in(tx: &mut Tx, org_id: i64, person_id: i64) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as("SELECT role, status FROM org_members WHERE org_id = $1 AND person_id = $2")
        .bind(org_id)
        .bind(person_id)
        .fetch_optional(&mut **tx)
        .await?)
}

/// Makes changes to one organisation's members take turns until the
/// transaction ends, so a count of its admins read after this stays true
/// until commit. On PostgreSQL it locks the organisation's row (`FOR NO KEY
/// UPDATE`, which rows that only reference it do not wait for); on SQLite the
/// write transaction already holds the database's write lock.
pub async fn lock(tx: &mut Tx, backend: Backend, org_id: i64) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM organisations WHERE id = $1 FOR NO KEY UPDATE").bind(org_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Whether the moderators hold an organisation's collection, read in the
/// caller's transaction so that it stays true until commit: on PostgreSQL
/// under a share lock on its row, which waits for (and holds off) [`lock`],
/// the lock a withdrawal of the whole collection takes; on SQLite the write
/// transaction already holds the database's write lock.
pub async fn collection_held_in(tx: &mut Tx, backend: Backend, org_id: i64) -> Result<bool> {
    let sql = match backend {
        Backend::Postgres => "SELECT collection_held_at FROM organisations WHERE id = $1 FOR SHARE",
        Backend::Sqlite => "SELECT collection_held_at FROM organisations WHERE id = $1",
    };
    let row: Option<(Option<i64>,)> = sqlx::query_as(sql).bind(org_id).fetch_optional(&mut **tx).await?;
    Ok(row.is_some_and(|(held,)| held.is_some()))
}

/// Removes a membership or invitation; false when there was none.
pub async fn remove(tx: &mut Tx, org_id: i64, person_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND person_id = $2")
        .bind(org_id)
        .bind(person_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The person `$1`'s objections that count now: on open amendments, not
/// withdrawn, by an active account that takes part in the amendment's group
/// by the store's one rule of membership (`groups::reach!`, the rule
/// `purposes::counting_objections_from` reads, here from the person's side).
const COUNTING_OBJECTIONS_OF: &str = concat!(
    "WITH RECURSIVE ",
    crate::groups::reach!("reach", "$1"),
    " SELECT o.amendment_id, c.name, c.slug, a.closes_at FROM purpose_objections o \
       JOIN purpose_amendments a ON a.id = o.amendment_id \
       JOIN community_groups c ON c.id = a.group_id \
       JOIN people op ON op.id = o.person_id \
      WHERE o.person_id = $1 AND op.status = 'active' AND a.state = 'open' AND o.withdrawn_at IS NULL \
        AND a.group_id IN (SELECT id FROM reach) \
      ORDER BY o.amendment_id"
);

/// The objections of person `person_id` that count now, read in the
/// caller's transaction: (amendment id, name of its group, the group's
/// slug, when the amendment's window closes), by amendment.
/// Read before and after a change that ends one of their organisation
/// memberships: an amendment in the first list and not the second is one
/// where their objection would stop counting because of it, in any group the
/// organisation belongs to, at any depth (core `orgs::remove_member`
/// refuses that, as `groups::remove` does for a group's own members).
pub async fn counting_objections_of(tx: &mut Tx, person_id: i64) -> Result<Vec<(i64, String, String, i64)>> {
    Ok(sqlx::query_as(COUNTING_OBJECTIONS_OF).bind(person_id).fetch_all(&mut **tx).await?)
}

/// Sets a member's (or an invitation's) role; false when there is no such row.
pub async fn set_role(tx: &mut Tx, org_id: i64, person_id: i64, role: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE org_members SET role = $1 WHERE org_id = $2 AND person_id = $3")
        .bind(role)
        .bind(org_id)
        .bind(person_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many active admins an organisation has: every active admin
/// membership, and those of them whose account is active (not suspended,
/// banned or waiting for approval). Core's "last admin" rule reads both:
/// the last admin may not go, nor the last admin whose account is active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct AdminCount {
    /// Every active admin membership.
    pub admins: i64,
    /// Those of them whose account is active.
    pub active: i64,
}

const ADMIN_COUNT: &str = "SELECT COUNT(*) AS admins, \
         COALESCE(SUM(CASE WHEN p.status = 'active' THEN 1 ELSE 0 END), 0) AS active \
     FROM org_members m JOIN people p ON p.id = m.person_id \
     WHERE m.org_id = $1 AND m.role = 'admin' AND m.status = 'active'";

/// [`AdminCount`] of an organisation, counted in the transaction that is
/// about to remove or demote one, after [`lock`].
pub async fn admin_count(tx: &mut Tx, org_id: i64) -> Result<AdminCount> {
    Ok(sqlx::query_as(ADMIN_COUNT).bind(org_id).fetch_one(&mut **tx).await?)
}

/// [`AdminCount`] of an organisation, for its page (whether to offer a
/// change of role, or a removal, to an admin).
pub async fn admin_counts(db: &Db, org_id: i64) -> Result<AdminCount> {
    Ok(sqlx::query_as(ADMIN_COUNT).bind(org_id).fetch_one(&db.pool).await?)
}
