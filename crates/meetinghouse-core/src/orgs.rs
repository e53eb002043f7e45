//! Organisations: create, show, invite, accept, leave.

use meetinghouse_store::{Db, StoreError, groups, orgs};

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
    if !["admin", "staff", "member"].contains(&role) {
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

/// Leaves an organisation (or declines an invitation). The last admin may not leave.
pub async fn leave(db: &Db, actor: &Actor, slug: &str) -> Result<()> {
    let org = orgs::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    let Some((role, status)) = orgs::membership(db, org.id, actor.id).await? else {
        return Err(CoreError::Forbidden(format!("You are not a member of {}.", org.name)));
    };
    if role == "admin" && status == "active" && orgs::admin_count(db, org.id).await? <= 1 {
        return Err(CoreError::Forbidden(format!(
            "You are the last admin of {}: make someone else an admin before you leave.",
            org.name
        )));
    }
    orgs::remove(db, org.id, actor.id).await?;
    Ok(())
}
