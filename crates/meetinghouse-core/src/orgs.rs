//! Organisations: create, show, invite, accept, leave; admins remove
//! members and change their roles, never leaving the organisation without an
//! active admin.

use meetinghouse_store::{Db, StoreError, Tx, groups, orgs};

use crate::accounts::ensure_can_post;
use crate::error::{CoreError, FieldErrors, Result};
use crate::settings::Settings;
use crate::types::{Handle, Slug, limits, line, parse_sector, text, website};
use crate::{Actor, markdown};

pub use meetinghouse_store::orgs::{OrgMemberRow, OrgRow};

/// Whether an organisation role lets its holder act for the organisation
/// (speak as it, host in its name): staff and admins do, members do not.
pub fn acts_for_org(role: &str) -> bool {
    role == "staff" || role == "admin"
}

/// Whether a person is active staff or an active admin of an organisation.
pub async fn is_staff(db: &Db, org: i64, person: i64) -> Result<bool> {
    Ok(orgs::membership(db, org, person).await?.is_some_and(|(role, status)| status == "active" && acts_for_org(&role)))
}

#[derive(Debug, Clone, Default)]
pub struct OrgForm {
    pub name: String,
    pub slug: String,
    pub sector: String,
    pub description: String,
    pub website: String,
    pub town: String,
}

/// Creates an organisation with the actor as its admin; returns its slug.
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, form: &OrgForm) -> Result<String> {
    ensure_can_post(actor, settings)?;
    if settings.orgs_admin_only && !actor.is_admin {
        return Err(CoreError::Forbidden("On this meeting house only admins can create organisations. Ask an admin to add yours.".into()));
    }
    let mut e = FieldErrors::new();
    let name = line(&mut e, "name", "The name", &form.name, limits::NAME_MAX, true);
    let slug_raw = if form.slug.trim().is_empty() { Slug::suggest(&name) } else { form.slug.clone() };
    let slug = Slug::parse(&slug_raw).map_err(|m| e.add("slug", m)).ok();
    let sector = parse_sector(&form.sector).map_err(|_| e.add("sector", "Choose the organisation's sector.")).ok();
    let description = text(&mut e, "description", "The description", &form.description, limits::DESCRIPTION_MAX, false);
    let site = website(&mut e, "website", &form.website);
    let town = text(&mut e, "town", "The town", &form.town, limits::TOWN_MAX, false);
    e.into_result()?;
    let (slug, sector) = (slug.unwrap(), sector.unwrap());
    let mut tx = db.begin().await?;
    let new = orgs::NewOrg {
        slug: slug.as_str(),
        name: &name,
        sector: &sector,
        description: &description,
        website: &site,
        town: &town,
    };
    orgs::insert(&mut tx, &new, actor.id).await.map_err(|err| match err {
        StoreError::Conflict { .. } => FieldErrors::one("slug", format!("The address “{}” is taken. Please choose another.", slug.as_str())),
        other => other.into(),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(slug.as_str().to_string())
}

/// How many people a page of an organisation's members lists.
pub const MEMBERS_PER_PAGE: i64 = 100;

/// An organisation page's content.
#[derive(Debug, Clone)]
pub struct OrgPage {
    pub org: OrgRow,
    pub description_html: String,
    /// One page of its people ([`MEMBERS_PER_PAGE`]), by name. Everyone sees
    /// the active members whose account is active; those who manage it (its
    /// admins, instance admins) also see invitations and people whose account
    /// is suspended or waits for approval (marked, unlinked: their profiles
    /// are not shown).
    pub members: Vec<OrgMemberRow>,
    /// Which page of members this is (from 1), and whether there is another.
    pub members_page: i64,
    pub more_members: bool,
    /// How many active admins it has (the last keeps their role).
    pub admins: i64,
    pub groups: Vec<groups::GroupRow>,
    /// The viewer's (role, status), if any.
    pub viewer: Option<(String, String)>,
    /// Whether the viewer manages it: an active admin, or an instance admin.
    pub viewer_manages: bool,
}

impl OrgPage {
    /// Why a person's name is not linked, in a few words ("" when it is).
    pub fn account_note(&self, m: &OrgMemberRow) -> &'static str {
        match m.person_status.as_str() {
            "active" => "",
            "pending" => "account waiting for approval",
            _ => "account suspended",
        }
    }
}

/// The organisation at an address (a slug from a URL or a form), parsed
/// first: one that cannot be an organisation's address (a NUL byte, which
/// PostgreSQL cannot hold in text; a space) names none, and is never a query.
pub async fn by_address(db: &Db, slug: &str) -> Result<Option<OrgRow>> {
    match Slug::parse(slug) {
        Ok(slug) => Ok(orgs::by_slug(db, slug.as_str()).await?),
        Err(_) => Ok(None),
    }
}

/// Loads the first page of an organisation for a viewer.
pub async fn page(db: &Db, slug: &str, viewer: Option<&Actor>) -> Result<OrgPage> {
    page_at(db, slug, viewer, 1).await
}

/// Loads page `number` (from 1) of an organisation's members for a viewer;
/// pending invitations are shown to those who manage it only.
pub async fn page_at(db: &Db, slug: &str, viewer: Option<&Actor>, number: i64) -> Result<OrgPage> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let number = number.max(1);
    let viewer_role = match viewer {
        Some(a) => orgs::membership(db, org.id, a.id).await?,
        None => None,
    };
    let manages = viewer.is_some_and(|a| a.is_admin) || viewer_role.as_ref().is_some_and(|(r, s)| r == "admin" && s == "active");
    let offset = (number - 1).saturating_mul(MEMBERS_PER_PAGE);
    let mut members = orgs::members(db, org.id, manages, manages, MEMBERS_PER_PAGE + 1, offset).await?;
    let more_members = members.len() as i64 > MEMBERS_PER_PAGE;
    members.truncate(MEMBERS_PER_PAGE as usize);
    let groups = groups::of_org(db, org.id).await?.into_iter().filter(|g| g.visibility == "public").collect();
    Ok(OrgPage {
        description_html: markdown::render(&org.description),
        admins: orgs::active_admins(db, org.id).await?,
        org,
        members,
        members_page: number,
        more_members,
        groups,
        viewer: viewer_role,
        viewer_manages: manages,
    })
}

async fn require_org_admin(db: &Db, actor: &Actor, org: &OrgRow) -> Result<()> {
    match orgs::membership(db, org.id, actor.id).await? {
        Some((role, status)) if role == "admin" && status == "active" => Ok(()),
        _ if actor.is_admin => Ok(()),
        _ => Err(CoreError::Forbidden(format!("Only admins of {} can do that.", org.name))),
    }
}

/// Invites a person by handle to an organisation with a role.
pub async fn invite(db: &Db, actor: &Actor, slug: &str, handle: &str, role: &str) -> Result<()> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    require_org_admin(db, actor, &org).await?;
    let mut e = FieldErrors::new();
    let handle = Handle::parse(handle).map_err(|m| e.add("handle", m)).ok();
    if !ROLES.contains(&role) {
        e.add("role", "Choose admin, staff or member.");
    }
    e.into_result()?;
    let handle = handle.unwrap();
    let person = meetinghouse_store::people::by_handle(db, handle.as_str())
        .await?
        .ok_or_else(|| FieldErrors::one("handle", format!("Nobody here has the handle @{}.", handle.as_str())))?;
    orgs::invite(db, org.id, person.id, role, actor.id).await.map_err(|err| match err {
        StoreError::Conflict { .. } => FieldErrors::one("handle", format!("@{} is already a member or already invited.", person.handle)),
        other => other.into(),
    })?;
    Ok(())
}

/// Accepts an invitation to an organisation.
pub async fn accept(db: &Db, actor: &Actor, slug: &str) -> Result<()> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !orgs::accept(db, org.id, actor.id).await? {
        return Err(CoreError::Forbidden(format!("You have no open invitation from {}.", org.name)));
    }
    Ok(())
}

/// The roles an organisation member can hold.
pub const ROLES: [&str; 3] = ["admin", "staff", "member"];

/// Starts a change to an organisation's members: begins a transaction with
/// its membership locked, so a count of its admins taken next stays true
/// until commit.
async fn member_turn(db: &Db, org: &OrgRow) -> Result<Tx> {
    let mut tx = db.begin().await?;
    orgs::lock(&mut tx, db.backend(), org.id).await?;
    Ok(tx)
}

/// Checks, inside the transaction of [`member_turn`], that the actor is an
/// active admin of the organisation (or an instance admin).
async fn require_org_admin_in(tx: &mut Tx, actor: &Actor, org: &OrgRow) -> Result<()> {
    match orgs::membership_in(tx, org.id, actor.id).await? {
        Some((role, status)) if role == "admin" && status == "active" => Ok(()),
        _ if actor.is_admin => Ok(()),
        _ => Err(CoreError::Forbidden(format!("Only admins of {} can do that.", org.name))),
    }
}

/// Whether taking away a member's (role, status) would leave no active admin.
async fn would_leave_no_admin(tx: &mut Tx, org: &OrgRow, current: &(String, String)) -> Result<bool> {
    Ok(current.0 == "admin" && current.1 == "active" && orgs::admin_count(tx, org.id).await? <= 1)
}

/// The refusal when the last active admin would go.
fn last_admin(org: &OrgRow, name: &str, is_actor: bool) -> CoreError {
    let who = if is_actor { "You are".to_string() } else { format!("{name} is") };
    CoreError::Forbidden(format!("{who} the last admin of {}: make someone else an admin first.", org.name))
}

/// The answer when an admin acts on someone who is no longer a member.
fn not_a_member(org: &OrgRow) -> CoreError {
    FieldErrors::one("form", format!("They are not a member of {} any more.", org.name))
}

/// Leaves an organisation (or declines an invitation). The last active admin
/// may not leave: the admins are counted in the transaction that removes
/// them, with the membership locked, so two admins leaving at once cannot
/// leave none.
pub async fn leave(db: &Db, actor: &Actor, slug: &str) -> Result<()> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let mut tx = member_turn(db, &org).await?;
    let Some(current) = orgs::membership_in(&mut tx, org.id, actor.id).await? else {
        return Err(CoreError::Forbidden(format!("You are not a member of {}.", org.name)));
    };
    if would_leave_no_admin(&mut tx, &org, &current).await? {
        return Err(CoreError::Forbidden(format!(
            "You are the last admin of {}: make someone else an admin before you leave.",
            org.name
        )));
    }
    orgs::remove(&mut tx, org.id, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The display name of a person, for messages.
async fn person_name(db: &Db, person_id: i64) -> Result<String> {
    Ok(meetinghouse_store::people::by_id(db, person_id).await?.map(|p| p.display_name).unwrap_or_default())
}

/// An organisation admin removes a member (or withdraws an invitation). The
/// last active admin cannot be removed. Returns the person's name.
pub async fn remove_member(db: &Db, actor: &Actor, slug: &str, person_id: i64) -> Result<String> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let name = person_name(db, person_id).await?;
    let mut tx = member_turn(db, &org).await?;
    require_org_admin_in(&mut tx, actor, &org).await?;
    let Some(current) = orgs::membership_in(&mut tx, org.id, person_id).await? else {
        return Err(not_a_member(&org));
    };
    if would_leave_no_admin(&mut tx, &org, &current).await? {
        return Err(last_admin(&org, &name, person_id == actor.id));
    }
    orgs::remove(&mut tx, org.id, person_id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(name)
}

/// An organisation admin changes a member's (or an invitation's) role:
/// admin, staff or member. The last active admin cannot be made anything
/// else. Returns the person's name.
pub async fn change_role(db: &Db, actor: &Actor, slug: &str, person_id: i64, role: &str) -> Result<String> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !ROLES.contains(&role) {
        // A row of the page, not the invitation's "Role" field.
        return Err(FieldErrors::one("form", "Choose admin, staff or member."));
    }
    let name = person_name(db, person_id).await?;
    let mut tx = member_turn(db, &org).await?;
    require_org_admin_in(&mut tx, actor, &org).await?;
    let Some(current) = orgs::membership_in(&mut tx, org.id, person_id).await? else {
        return Err(not_a_member(&org));
    };
    if role != "admin" && would_leave_no_admin(&mut tx, &org, &current).await? {
        return Err(last_admin(&org, &name, person_id == actor.id));
    }
    orgs::set_role(&mut tx, org.id, person_id, role).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(name)
}
