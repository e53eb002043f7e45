//! Groups and networks of networks. A group's members are people,
//! organisations and other groups; access is transitive; nesting never
//! forms a cycle.

use meetinghouse_store::groups::{self as store, MemberKind};
use meetinghouse_store::{Db, StoreError, orgs};

use crate::accounts::ensure_can_post;
use crate::error::{CoreError, FieldErrors, Result};
use crate::settings::Settings;
use crate::types::{Slug, limits, text};
use crate::{Actor, markdown};

pub use meetinghouse_store::groups::{GroupRow, MemberView};

#[derive(Debug, Clone, Default)]
pub struct GroupForm {
    pub name: String,
    pub slug: String,
    pub purpose: String,
    pub visibility: String,
    pub join_policy: String,
}

/// Creates a group with the actor as host; returns its slug.
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, form: &GroupForm) -> Result<String> {
    ensure_can_post(actor, settings)?;
    let mut e = FieldErrors::new();
    let name = text(&mut e, "name", "The name", &form.name, limits::NAME_MAX, true);
    let slug_raw = if form.slug.trim().is_empty() { Slug::suggest(&name) } else { form.slug.clone() };
    let slug = Slug::parse(&slug_raw).map_err(|m| e.add("slug", m)).ok();
    let purpose = text(&mut e, "purpose", "The purpose", &form.purpose, limits::PURPOSE_MAX, false);
    if !["public", "members"].contains(&form.visibility.as_str()) {
        e.add("visibility", "Choose whether the group is public or for members only.");
    }
    if !["open", "request", "invite"].contains(&form.join_policy.as_str()) {
        e.add("join_policy", "Choose how people join: open, by request, or by invitation.");
    }
    e.into_result()?;
    let slug = slug.unwrap();
    let mut tx = db.begin().await?;
    let new = store::NewGroup {
        slug: slug.as_str(),
        name: &name,
        purpose: &purpose,
        visibility: &form.visibility,
        join_policy: &form.join_policy,
    };
    store::insert(&mut tx, &new, actor.id).await.map_err(|err| match err {
        StoreError::Conflict { .. } => FieldErrors::one("slug", format!("The address “{}” is taken. Please choose another.", slug.as_str())),
        other => other.into(),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(slug.as_str().to_string())
}

/// Whether the actor hosts a group (a direct host, or an instance admin).
pub async fn is_host(db: &Db, actor: &Actor, group_id: i64) -> Result<bool> {
    if actor.is_admin {
        return Ok(true);
    }
    Ok(matches!(
        store::direct_membership(db, group_id, MemberKind::Person, actor.id).await?,
        Some((role, status)) if role == "host" && status == "active"
    ))
}

/// Fails with "not found" when something scoped to a members-only group is
/// asked for by someone outside it (admins see everything).
pub async fn ensure_visible(db: &Db, group_id: i64, viewer: Option<&Actor>) -> Result<()> {
    let group = store::by_id(db, group_id).await?.ok_or(CoreError::NotFound)?;
    if group.visibility != "members" {
        return Ok(());
    }
    let ok = match viewer {
        Some(a) => a.is_admin || is_member(db, a.id, group_id).await?,
        None => false,
    };
    if ok { Ok(()) } else { Err(CoreError::NotFound) }
}

/// The group named by `slug` in a form that places something in it (a prompt,
/// a common-ground conversation): the actor must belong to it at any depth
/// (its hosts are active members, so they do). `Err` is the field error to
/// show; a group the actor may not see is reported as not there, so its
/// existence stays private.
pub async fn for_placing(db: &Db, actor: &Actor, slug: &str) -> Result<std::result::Result<GroupRow, String>> {
    let missing = || Err(format!("There is no group at “{slug}”."));
    let Some(group) = store::by_slug(db, slug).await? else { return Ok(missing()) };
    let belongs = actor.is_admin || is_member(db, actor.id, group.id).await?;
    if belongs {
        Ok(Ok(group))
    } else if group.visibility == "members" {
        Ok(missing())
    } else {
        Ok(Err(format!("Only members of {} can open something in it: join it first, or leave the group empty.", group.name)))
    }
}

/// Whether a person belongs to a group at any depth.
pub async fn is_member(db: &Db, person_id: i64, group_id: i64) -> Result<bool> {
    store::person_reaches(db, person_id, group_id).await.map_err(Into::into)
}

/// A group page's content.
#[derive(Debug, Clone)]
pub struct GroupPage {
    pub group: GroupRow,
    pub purpose_html: String,
    pub members: Vec<MemberView>,
    pub parents: Vec<GroupRow>,
    pub viewer_is_member: bool,
    pub viewer_is_host: bool,
    /// The viewer's own direct membership status, if any (e.g. `requested`).
    pub viewer_status: Option<String>,
}

/// Loads a group for a viewer; a members-only group is "not found" to outsiders.
pub async fn page(db: &Db, slug: &str, viewer: Option<&Actor>) -> Result<GroupPage> {
    let group = store::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    let (is_member, is_host, status) = match viewer {
        Some(a) => (
            is_member(db, a.id, group.id).await?,
            is_host(db, a, group.id).await?,
            store::direct_membership(db, group.id, MemberKind::Person, a.id).await?.map(|(_, s)| s),
        ),
        None => (false, false, None),
    };
    if group.visibility == "members" && !is_member && !is_host {
        return Err(CoreError::NotFound);
    }
    let mut members = store::members(db, group.id).await?;
    if !is_host {
        members.retain(|m| m.status == "active");
    }
    let parents = store::parents(db, group.id).await?;
    Ok(GroupPage {
        purpose_html: markdown::render(&group.purpose),
        group,
        members,
        parents,
        viewer_is_member: is_member,
        viewer_is_host: is_host,
        viewer_status: status,
    })
}

/// What happened when someone asked to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    Requested,
}

/// The status a newcomer gets under a join policy, or a refusal.
fn admission(group: &GroupRow, by_host: bool) -> Result<(&'static str, JoinOutcome)> {
    if by_host {
        return Ok(("active", JoinOutcome::Joined));
    }
    match group.join_policy.as_str() {
        "open" => Ok(("active", JoinOutcome::Joined)),
        "request" => Ok(("requested", JoinOutcome::Requested)),
        _ => Err(CoreError::Forbidden(format!("{} is invitation only: ask one of its hosts to invite you.", group.name))),
    }
}

/// A person joins (or asks to join) a group themselves.
pub async fn join(db: &Db, settings: &Settings, actor: &Actor, slug: &str) -> Result<JoinOutcome> {
    ensure_can_post(actor, settings)?;
    let group = store::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    if let Some((_, status)) = store::direct_membership(db, group.id, MemberKind::Person, actor.id).await? {
        if status == "invited" {
            let mut tx = db.begin().await?;
            store::upsert_member(&mut tx, group.id, MemberKind::Person, actor.id, "member", "active", actor.id).await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(JoinOutcome::Joined);
        }
        return Ok(if status == "active" { JoinOutcome::Joined } else { JoinOutcome::Requested });
    }
    if group.visibility == "members" && group.join_policy != "open" && !is_member(db, actor.id, group.id).await? {
        return Err(CoreError::NotFound);
    }
    let (status, outcome) = admission(&group, false)?;
    let mut tx = db.begin().await?;
    store::upsert_member(&mut tx, group.id, MemberKind::Person, actor.id, "member", status, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outcome)
}

/// A person leaves a group (or withdraws a request).
pub async fn leave(db: &Db, actor: &Actor, slug: &str) -> Result<()> {
    let group = store::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !store::remove_member(db, group.id, MemberKind::Person, actor.id).await? {
        return Err(CoreError::Forbidden(format!("You are not a direct member of {}.", group.name)));
    }
    Ok(())
}

/// Adds an organisation to a group. The actor must be staff or admin of the
/// organisation; the group's join policy applies unless they also host it.
pub async fn add_org(db: &Db, settings: &Settings, actor: &Actor, slug: &str, org_slug: &str) -> Result<JoinOutcome> {
    ensure_can_post(actor, settings)?;
    let group = store::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    let org = orgs::by_slug(db, org_slug.trim())
        .await?
        .ok_or_else(|| FieldErrors::one("org", format!("There is no organisation at “{}”.", org_slug.trim())))?;
    let role = orgs::membership(db, org.id, actor.id).await?.filter(|(_, s)| s == "active").map(|(r, _)| r);
    if !matches!(role.as_deref(), Some("staff" | "admin")) && !actor.is_admin {
        return Err(CoreError::Forbidden(format!("You can only act for {} if you are on its staff.", org.name)));
    }
    let host = is_host(db, actor, group.id).await?;
    let (status, outcome) = admission(&group, host)?;
    let mut tx = db.begin().await?;
    store::upsert_member(&mut tx, group.id, MemberKind::Org, org.id, "member", status, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outcome)
}

/// Makes group `child_slug` a member of group `parent_slug`. The actor must
/// host the child; the parent's join policy applies unless they host it too.
/// A nesting that would make a loop is refused.
pub async fn nest(db: &Db, settings: &Settings, actor: &Actor, parent_slug: &str, child_slug: &str) -> Result<JoinOutcome> {
    ensure_can_post(actor, settings)?;
    let parent = store::by_slug(db, parent_slug).await?.ok_or(CoreError::NotFound)?;
    let child = store::by_slug(db, child_slug.trim())
        .await?
        .ok_or_else(|| FieldErrors::one("child", format!("There is no group at “{}”.", child_slug.trim())))?;
    if !is_host(db, actor, child.id).await? {
        return Err(CoreError::Forbidden(format!("Only hosts of {} can add it to another group.", child.name)));
    }
    let host_of_parent = is_host(db, actor, parent.id).await?;
    let (status, outcome) = admission(&parent, host_of_parent)?;
    let mut tx = db.begin().await?;
    store::nest(&mut tx, db.backend(), parent.id, child.id, status, actor.id).await.map_err(|err| match err {
        StoreError::Conflict { what: "cycle" } => FieldErrors::one(
            "child",
            if parent.id == child.id {
                "A group cannot be a member of itself.".to_string()
            } else {
                format!(
                    "{} already contains {} (directly or through other groups), so adding it would make a loop.",
                    child.name, parent.name
                )
            },
        ),
        other => other.into(),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outcome)
}

/// A host approves a pending request (person, organisation or group).
pub async fn approve(db: &Db, actor: &Actor, slug: &str, kind: &str, member_id: i64) -> Result<()> {
    let group = store::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !is_host(db, actor, group.id).await? {
        return Err(CoreError::Forbidden(format!("Only hosts of {} can approve requests.", group.name)));
    }
    let kind = parse_kind(kind)?;
    let Some((role, status)) = store::direct_membership(db, group.id, kind, member_id).await? else {
        return Err(CoreError::NotFound);
    };
    if status != "requested" {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    if kind == MemberKind::Group {
        // Re-check for a loop: the graph may have changed since the request.
        store::nest(&mut tx, db.backend(), group.id, member_id, "active", actor.id).await.map_err(|err| match err {
            StoreError::Conflict { .. } => FieldErrors::one("child", "Approving this would make a loop of groups."),
            other => other.into(),
        })?;
    } else {
        store::upsert_member(&mut tx, group.id, kind, member_id, &role, "active", actor.id).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// A host invites a person by handle.
pub async fn invite_person(db: &Db, actor: &Actor, slug: &str, handle: &str) -> Result<()> {
    let group = store::by_slug(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !is_host(db, actor, group.id).await? {
        return Err(CoreError::Forbidden(format!("Only hosts of {} can invite people.", group.name)));
    }
    let handle = crate::types::Handle::parse(handle).map_err(|m| FieldErrors::one("handle", m))?;
    let person = meetinghouse_store::people::by_handle(db, handle.as_str())
        .await?
        .ok_or_else(|| FieldErrors::one("handle", format!("Nobody here has the handle @{}.", handle.as_str())))?;
    if store::direct_membership(db, group.id, MemberKind::Person, person.id).await?.is_some() {
        return Err(FieldErrors::one("handle", format!("@{} is already a member or already invited.", person.handle)));
    }
    let mut tx = db.begin().await?;
    store::upsert_member(&mut tx, group.id, MemberKind::Person, person.id, "member", "invited", actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

fn parse_kind(kind: &str) -> Result<MemberKind> {
    match kind {
        "person" => Ok(MemberKind::Person),
        "org" => Ok(MemberKind::Org),
        "group" => Ok(MemberKind::Group),
        _ => Err(FieldErrors::one("kind", "Unknown kind of member.")),
    }
}

/// Public groups for the listing; admins see every group.
pub async fn list(db: &Db, viewer: Option<&Actor>, limit: i64, offset: i64) -> Result<Vec<GroupRow>> {
    if viewer.is_some_and(|a| a.is_admin) {
        return Ok(store::list_all(db, limit, offset).await?);
    }
    Ok(store::list_public(db, limit, offset).await?)
}

/// Groups the person belongs to at any depth, for their own pages.
pub async fn reachable(db: &Db, person_id: i64) -> Result<Vec<GroupRow>> {
    let mut out = Vec::new();
    for id in store::reachable_for_person(db, person_id).await? {
        if let Some(g) = store::by_id(db, id).await? {
            out.push(g);
        }
    }
    Ok(out)
}
