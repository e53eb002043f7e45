//! Organisations: create, show, invite, accept, leave; admins remove
//! members and change their roles, never leaving the organisation without an
//! active admin.

use meetinghouse_store::{Db, StoreError, Tx, groups, orgs};

use crate::accounts::ensure_can_post;
use crate::error::{CoreError, FieldErrors, Result};
use crate::settings::Settings;
use crate::types::{Handle, Slug, limits, parse_sector, text, website};
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
    let name = text(&mut e, "name", "The name", &form.name, limits::NAME_MAX, true);
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

/// An organisation page's content.
#[derive(Debug, Clone)]
pub struct OrgPage {
    pub org: OrgRow,
    pub description_html: String,
    pub members: Vec<OrgMemberRow>,
    pub groups: Vec<groups::GroupRow>,
    /// The viewer's (role, status), if any.
    pub viewer: Option<(String, String)>,
}

/// Loads an organisation's page for a viewer; pending invitations are shown
/// to its admins only.
pub async fn page(db: &Db, slug: &str, viewer: Option<&Actor>) -> Result<OrgPage> {
    let org = orgs::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    let viewer_role = match viewer {
        Some(a) => orgs::membership(db, org.id, a.id).await?,
        None => None,
    };
    let is_admin = viewer_role.as_ref().is_some_and(|(r, s)| r == "admin" && s == "active");
    let mut members = orgs::members(db, org.id).await?;
    if !is_admin {
        // Pending invitations are the org admins' business.
        members.retain(|m| m.status == "active");
    }
    let groups = groups::of_org(db, org.id).await?.into_iter().filter(|g| g.visibility == "public").collect();
    Ok(OrgPage { description_html: markdown::render(&org.description), org, members, groups, viewer: viewer_role })
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
    let org = orgs::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
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
    let org = orgs::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
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
    let org = orgs::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
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
    let org = orgs::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
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
    let org = orgs::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !ROLES.contains(&role) {
        return Err(FieldErrors::one("role", "Choose admin, staff or member."));
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
