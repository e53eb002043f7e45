//! Groups and networks of networks. A group's members are people,
//! organisations and other groups; access is transitive; nesting never
//! forms a cycle.

use meetinghouse_store::groups::{self as store, MemberKind, MemberQuery};
use meetinghouse_store::{Db, StoreError, Tx, orgs};

use crate::accounts::ensure_can_post;
use crate::attempts::{self, Budget};
use crate::error::{CoreError, FieldErrors, Result};
use crate::notifications::{self, Kind, Mailer};
use crate::settings::Settings;
use crate::types::{Slug, limits, line, text};
use crate::{Actor, markdown};

pub use meetinghouse_store::groups::{GroupRow, MemberView};

/// How many members a page of a group's members lists (and how many
/// waiting requests its hosts see at once: "More requests" for the next).
pub const MEMBERS_PER_PAGE: i64 = 100;
/// How many of the groups a group belongs to its page lists at once ("More
/// networks" for the next).
pub const PARENTS_PER_PAGE: i64 = 100;
/// How many members, and how many waiting requests, a host's tools list at
/// a time (`?manage=2`, `?requests=2`): each row carries its own forms, so a
/// page of a hundred was about 190 KB of buttons.
pub const HOST_TOOLS_PER_PAGE: i64 = 25;
/// How many of a person's groups, and of their invitations to groups, their
/// own page lists at once ("More" for the next).
pub const MINE_PER_PAGE: i64 = 100;
pub const INVITATIONS_PER_PAGE: i64 = 50;
/// How many organisations and groups a group page offers a viewer to bring
/// in (the ones they manage, by name).
pub const OFFERS_MAX: i64 = 100;
/// How many of a person's own requests to join groups, still waiting for a
/// host, their page lists at once ("More" for the next).
pub const ASKED_PER_PAGE: i64 = 50;

/// Groups started per account: at most 10 in any hour, counted in the
/// database (core's [`attempts`]), so every app server shares one budget
/// and nobody floods the lists of groups. Instance admins are not counted:
/// they set up a meeting house's groups, and can already see and change
/// every one. Only a group that would be created counts
/// ([`create_counted`]).
pub const GROUPS_PER_HOUR: Budget = Budget { name: "group_create", limit: 10, period_secs: 3600 };
/// What someone past [`GROUPS_PER_HOUR`] is told.
pub const GROUPS_PER_HOUR_MESSAGE: &str =
    "You have started many groups in the last hour. Please wait a while and try again — what you wrote is kept below.";

/// Why a members-only group cannot have the join policy "open": anyone who
/// has its address could join it and read everything it keeps from
/// outsiders. Said on the form, beside the choice, and as the refusal.
pub const MEMBERS_ONLY_NOT_OPEN: &str =
    "A members-only group cannot let anyone join: choose “People ask, a host approves” or “By invitation only”, or make it public.";

#[derive(Debug, Clone, Default)]
pub struct GroupForm {
    pub name: String,
    pub slug: String,
    pub purpose: String,
    pub visibility: String,
    pub join_policy: String,
}

/// The check of a group's name, for [`create`] and [`edit`] alike. Names
/// need not be unique among groups (unlike organisations': a group speaks
/// through its people, never as a voice of its own), so neither checks one
/// against the others.
fn check_name(e: &mut FieldErrors, raw: &str) -> String {
    line(e, "name", "The name", raw, limits::NAME_MAX, true)
}

/// The checks of who can see a group and how people join it, for [`create`]
/// and [`edit`] alike. A members-only group chooses its members (by request
/// or by invitation): were anyone able to join it, its address would be all
/// an outsider needed to read what it hides ([`MEMBERS_ONLY_NOT_OPEN`],
/// said on the join policy; migration 0039 moved groups stored that way to
/// "by request").
fn check_choices(e: &mut FieldErrors, visibility: &str, join_policy: &str) {
    if !["public", "members"].contains(&visibility) {
        e.add("visibility", "Choose whether the group is public or for members only.");
    }
    if !["open", "request", "invite"].contains(&join_policy) {
        e.add("join_policy", "Choose how people join: open, by request, or by invitation.");
    } else if visibility == "members" && join_policy == "open" {
        e.add("join_policy", MEMBERS_ONLY_NOT_OPEN);
    }
}

/// Creates a group with the actor as host; returns its slug. Not counted
/// against [`GROUPS_PER_HOUR`]: people starting groups from the site go
/// through [`create_counted`].
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, form: &GroupForm) -> Result<String> {
    Ok(creating(db, settings, actor, form, false).await?.expect("an uncounted creation is never over a budget"))
}

/// [`create`] within the person's [`GROUPS_PER_HOUR`] budget (instance
/// admins are not counted): the attempt is counted in the creating
/// transaction after every check passed, so a form sent back with a mistake
/// (an address taken included) uses up none of it. `Ok(None)` when the
/// budget is spent (tell them [`GROUPS_PER_HOUR_MESSAGE`]): the attempt is
/// counted and nothing else is written.
pub async fn create_counted(db: &Db, settings: &Settings, actor: &Actor, form: &GroupForm) -> Result<Option<String>> {
    creating(db, settings, actor, form, !actor.is_admin).await
}

async fn creating(db: &Db, settings: &Settings, actor: &Actor, form: &GroupForm, counted: bool) -> Result<Option<String>> {
    ensure_can_post(actor, settings)?;
    let mut e = FieldErrors::new();
    let name = check_name(&mut e, &form.name);
    let slug = if form.slug.trim().is_empty() {
        let suggested = Slug::suggest(&name);
        if suggested.is_empty() && !name.trim().is_empty() {
            e.add("slug", crate::orgs::no_address_from(&name));
            None
        } else {
            Slug::parse(&suggested).map_err(|m| e.add("slug", m)).ok()
        }
    } else {
        Slug::parse(&form.slug).map_err(|m| e.add("slug", m)).ok()
    };
    let purpose = text(&mut e, "purpose", "The purpose", &form.purpose, limits::PURPOSE_MAX, false);
    check_choices(&mut e, &form.visibility, &form.join_policy);
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
    // Counted in the transaction that writes the group: over the budget,
    // only the count is kept; a taken address rolls the count back with it.
    if counted && !attempts::attempt_in(&mut tx, &settings.secret_key, &GROUPS_PER_HOUR, &actor.id.to_string(), meetinghouse_store::now()).await? {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(None);
    }
    store::insert(&mut tx, &new, actor.id).await.map_err(|err| match err {
        StoreError::Conflict { .. } => FieldErrors::one("slug", format!("The address “{}” is taken. Please choose another.", slug.as_str())),
        other => other.into(),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(slug.as_str().to_string()))
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

/// Whether a viewer may see a group at all: it is public, or they belong to
/// it at any depth (its hosts are active members, so they do); admins see
/// every group. A group they may not see is "not found" to them, and its
/// name is never shown to them, not even in a list or an error.
pub async fn can_see(db: &Db, group: &GroupRow, viewer: Option<&Actor>) -> Result<bool> {
    if group.visibility != "members" {
        return Ok(true);
    }
    Ok(match viewer {
        Some(a) => a.is_admin || is_member(db, a.id, group.id).await?,
        None => false,
    })
}

/// Fails with "not found" when something scoped to a members-only group is
/// asked for by someone outside it (admins see everything).
pub async fn ensure_visible(db: &Db, group_id: i64, viewer: Option<&Actor>) -> Result<()> {
    let group = store::by_id(db, group_id).await?.ok_or(CoreError::NotFound)?;
    if can_see(db, &group, viewer).await? { Ok(()) } else { Err(CoreError::NotFound) }
}

/// Whether a group hides from someone who would come in without a host:
/// members-only, and they do not belong (a members-only group is never open
/// to anyone who has its address: [`check_choices`]). Joining it, or asking
/// it to take in an organisation or a group, is then answered as for a
/// group that does not exist.
async fn closed_to(db: &Db, group: &GroupRow, actor: &Actor) -> Result<bool> {
    Ok(!can_see(db, group, Some(actor)).await?)
}

/// Whether the group at `slug` shows its page to a viewer ([`can_see`]);
/// false when there is no such group. (Someone it invited sees only the
/// invitation on it: [`page_parts`].)
pub async fn can_see_address(db: &Db, slug: &str, viewer: Option<&Actor>) -> Result<bool> {
    match by_address(db, slug).await? {
        Some(group) => can_see(db, &group, viewer).await,
        None => Ok(false),
    }
}

/// The group named by `slug` in a form that places something in it (a prompt,
/// a common-ground conversation): the actor must belong to it at any depth
/// (its hosts are active members, so they do), and it must not be archived.
/// `Err` is the field error to show; a group the actor may not see is
/// reported as not there, so its existence stays private. (The writing
/// transaction checks the archive again: [`ensure_open_for_changes`].)
pub async fn for_placing(db: &Db, actor: &Actor, slug: &str) -> Result<std::result::Result<GroupRow, String>> {
    let missing = || Err(format!("There is no group at “{slug}”."));
    let Some(group) = by_address(db, slug).await? else { return Ok(missing()) };
    let belongs = actor.is_admin || is_member(db, actor.id, group.id).await?;
    if belongs && let Some(at) = group.archived_at {
        Ok(Err(archived_words(&group.name, at)))
    } else if belongs {
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
    /// One page of the direct members ([`MEMBERS_PER_PAGE`]): member groups,
    /// then organisations, then people, each by name. Everyone sees the
    /// active ones, except member groups they may not see and people whose
    /// account is not active (suspended, banned, waiting for approval);
    /// hosts and instance admins see those people too (marked, unlinked:
    /// their profiles are not shown) and invitations, and every member group
    /// (those they may not open are listed in `unseen_groups`).
    pub members: Vec<MemberView>,
    /// A page of the requests waiting for a host, oldest first, for hosts
    /// only ([`HOST_TOOLS_PER_PAGE`]); which page (from 1), and whether there
    /// is another.
    pub requests: Vec<MemberView>,
    pub requests_page: i64,
    pub more_requests: bool,
    /// Member groups the viewer may not see: a host sees their names to
    /// manage them, with no link.
    pub unseen_groups: Vec<i64>,
    /// A page ([`PARENTS_PER_PAGE`]) of the groups this one belongs to that
    /// the viewer may see; which page (from 1), and whether there is another.
    pub parents: Vec<GroupRow>,
    pub parents_page: i64,
    pub more_parents: bool,
    /// Which page of members this is (from 1), and whether there is another.
    pub members_page: i64,
    pub more_members: bool,
    /// How many people actively host the group, and how many of them have
    /// an active account: the last host may not go, nor the last host whose
    /// account is active ([`GroupPage::is_last_host`]).
    pub hosts: store::HostCount,
    pub viewer_is_member: bool,
    /// For a viewer who belongs without a direct membership: what brings
    /// them in, as (`org` or `group`, name), a few at most.
    pub through: Vec<(String, String)>,
    pub viewer_is_host: bool,
    /// The viewer's own direct membership status, if any (e.g. `requested`).
    pub viewer_status: Option<String>,
    /// The page of a members-only group for someone it invited: its name,
    /// its purpose and the invitation, nothing else.
    pub invitation_only: bool,
}

impl GroupPage {
    /// Whether the page may link to a member: never to a group the viewer
    /// may not see, nor to a person whose profile is not shown (an account
    /// that is not active).
    pub fn may_open(&self, m: &MemberView) -> bool {
        match m.member_kind.as_str() {
            "group" => !self.unseen_groups.contains(&m.member_id),
            "person" => m.person_status.as_deref() == Some("active"),
            _ => true,
        }
    }

    /// Why a person's name is not linked, in a few words ("" when it is).
    pub fn account_note(&self, m: &MemberView) -> &'static str {
        match m.person_status.as_deref() {
            Some("suspended") => "account suspended",
            Some("pending") => "account waiting for approval",
            _ => "",
        }
    }

    /// How many people actively host the group, whatever their accounts.
    pub fn host_count(&self) -> i64 {
        self.hosts.hosts
    }

    /// Whether a member is a host who may not step down or be removed: the
    /// last host, or the last host whose account is active (the rule of
    /// [`set_host`], [`remove`] and [`leave`]).
    pub fn is_last_host(&self, m: &MemberView) -> bool {
        m.member_kind == "person"
            && m.role == "host"
            && m.status == "active"
            && (self.hosts.hosts <= 1 || (m.person_status.as_deref() == Some("active") && self.hosts.active <= 1))
    }

    /// Whether a member may be made a host: an active member whose account
    /// is active, not a host yet.
    pub fn may_become_host(&self, m: &MemberView) -> bool {
        m.member_kind == "person" && m.role != "host" && m.status == "active" && m.person_status.as_deref() == Some("active")
    }

    /// Whether the moderators hold the group archived (only they open it
    /// again; its hosts change neither its name nor its members meanwhile).
    pub fn held(&self) -> bool {
        self.group.held_at.is_some()
    }

    /// Whether a member group brings its members no access here: anyone may
    /// join it, and not anyone may join this group (stored before such a
    /// nesting was refused). Its hosts see it marked.
    pub fn lets_nobody_in(&self, m: &MemberView) -> bool {
        m.member_kind == "group"
            && !store::passes_up(m.group_join_policy.as_deref().unwrap_or("open"), &self.group.join_policy)
    }

    /// The day the group was archived, in words; `None` while it is open.
    pub fn archived_on(&self) -> Option<String> {
        self.group.archived_at.map(crate::format_date)
    }

    /// "Museum · Riverside Makers": what brings the viewer in, in words.
    pub fn through_words(&self) -> String {
        self.through.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Which parts of a group's page to show: each list's page, from 1.
#[derive(Debug, Clone, Copy)]
pub struct PageAt {
    pub members: i64,
    pub requests: i64,
    pub parents: i64,
}

impl Default for PageAt {
    fn default() -> Self {
        PageAt { members: 1, requests: 1, parents: 1 }
    }
}

/// The group at an address (a slug from a URL or a form), parsed first: one
/// that cannot be a group's address (a NUL byte, which PostgreSQL cannot
/// hold in text; a space) names none, and is never a query.
pub async fn by_address(db: &Db, slug: &str) -> Result<Option<GroupRow>> {
    match Slug::parse(slug) {
        Ok(slug) => Ok(store::by_slug(db, slug.as_str()).await?),
        Err(_) => Ok(None),
    }
}

/// Loads the first page of a group for a viewer; a members-only group is
/// "not found" to outsiders.
pub async fn page(db: &Db, slug: &str, viewer: Option<&Actor>) -> Result<GroupPage> {
    page_at(db, slug, viewer, 1).await
}

/// Loads page `number` (from 1) of a group's members for a viewer. A
/// members-only group is "not found" to outsiders, except to someone it
/// invited, who sees only its name, its purpose and the invitation.
pub async fn page_at(db: &Db, slug: &str, viewer: Option<&Actor>, number: i64) -> Result<GroupPage> {
    page_parts(db, slug, viewer, PageAt { members: number, ..PageAt::default() }).await
}

/// Loads a group's page for a viewer with each list at its page ([`PageAt`]).
pub async fn page_parts(db: &Db, slug: &str, viewer: Option<&Actor>, at: PageAt) -> Result<GroupPage> {
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let number = at.members.max(1);
    let reach = match viewer {
        Some(a) => store::reachable_for_person(db, a.id).await?,
        None => Vec::new(),
    };
    let sees_all = viewer.is_some_and(|a| a.is_admin);
    let visible = |id: i64, visibility: &str| sees_all || visibility == "public" || reach.contains(&id);
    let (is_member, is_host, mut status) = match viewer {
        Some(a) => (
            reach.contains(&group.id),
            is_host(db, a, group.id).await?,
            store::direct_membership(db, group.id, MemberKind::Person, a.id).await?.map(|(_, s)| s),
        ),
        None => (false, false, None),
    };
    // An invitation from someone the viewer blocks or mutes is not shown to
    // them, here or on their own page: it waits unseen (a members-only
    // group's page is then "not found" to them, as to anyone outside).
    if let Some(a) = viewer
        && status.as_deref() == Some("invited")
        && !store::invitation_shown(db, group.id, a.id).await?
    {
        status = None;
    }
    let mut page = GroupPage {
        purpose_html: markdown::render(&group.purpose),
        members: Vec::new(),
        requests: Vec::new(),
        requests_page: at.requests.max(1),
        more_requests: false,
        unseen_groups: Vec::new(),
        parents: Vec::new(),
        parents_page: at.parents.max(1),
        more_parents: false,
        members_page: number,
        more_members: false,
        hosts: store::HostCount::default(),
        viewer_is_member: is_member,
        through: Vec::new(),
        viewer_is_host: is_host,
        viewer_status: status,
        invitation_only: false,
        group,
    };
    if page.group.visibility == "members" && !is_member && !is_host {
        if page.viewer_status.as_deref() == Some("invited") {
            page.invitation_only = true;
            return Ok(page);
        }
        return Err(CoreError::NotFound);
    }
    let q = MemberQuery {
        invited: is_host,
        inactive_people: is_host,
        held_groups: is_host,
        limit: MEMBERS_PER_PAGE + 1,
        offset: (number - 1).saturating_mul(MEMBERS_PER_PAGE),
    };
    let mut members = store::members(db, page.group.id, q).await?;
    page.more_members = members.len() as i64 > MEMBERS_PER_PAGE;
    members.truncate(MEMBERS_PER_PAGE as usize);
    page.unseen_groups = members
        .iter()
        .filter(|m| m.member_kind == "group")
        .filter(|m| !visible(m.member_id, m.group_visibility.as_deref().unwrap_or("members")))
        .map(|m| m.member_id)
        .collect();
    if !is_host {
        members.retain(|m| !(m.member_kind == "group" && page.unseen_groups.contains(&m.member_id)));
    } else {
        let offset = (page.requests_page - 1).saturating_mul(HOST_TOOLS_PER_PAGE);
        let mut requests = store::requests(db, page.group.id, HOST_TOOLS_PER_PAGE + 1, offset).await?;
        page.more_requests = requests.len() as i64 > HOST_TOOLS_PER_PAGE;
        requests.truncate(HOST_TOOLS_PER_PAGE as usize);
        page.requests = requests;
        page.unseen_groups.extend(
            page.requests
                .iter()
                .filter(|m| m.member_kind == "group")
                .filter(|m| !visible(m.member_id, m.group_visibility.as_deref().unwrap_or("members")))
                .map(|m| m.member_id),
        );
    }
    page.members = members;
    page.hosts = store::host_count(db, page.group.id).await?;
    let who = match viewer {
        Some(a) if a.is_admin => store::Viewer::Admin,
        Some(a) => store::Viewer::Person(a.id),
        None => store::Viewer::Public,
    };
    let offset = (page.parents_page - 1).saturating_mul(PARENTS_PER_PAGE);
    let mut parents = store::parents(db, page.group.id, who, PARENTS_PER_PAGE + 1, offset).await?;
    page.more_parents = parents.len() as i64 > PARENTS_PER_PAGE;
    parents.truncate(PARENTS_PER_PAGE as usize);
    page.parents = parents;
    if let Some(a) = viewer
        && is_member
        && page.viewer_status.is_none()
    {
        page.through = store::through(db, a.id, page.group.id, 3).await?;
    }
    Ok(page)
}

/// A page (from 1) of a group's members and invitations as its host tools
/// list them, [`HOST_TOOLS_PER_PAGE`] at a time, in the order of its member
/// list, and whether there is another; empty for anyone who is not one of
/// its hosts (nor an instance admin).
pub async fn managed(db: &Db, actor: &Actor, group_id: i64, page: i64) -> Result<(Vec<MemberView>, bool)> {
    if !is_host(db, actor, group_id).await? {
        return Ok((Vec::new(), false));
    }
    let q = MemberQuery {
        invited: true,
        inactive_people: true,
        held_groups: true,
        limit: HOST_TOOLS_PER_PAGE + 1,
        offset: (page.max(1) - 1).saturating_mul(HOST_TOOLS_PER_PAGE),
    };
    let mut rows = store::members(db, group_id, q).await?;
    let more = rows.len() as i64 > HOST_TOOLS_PER_PAGE;
    rows.truncate(HOST_TOOLS_PER_PAGE as usize);
    Ok((rows, more))
}

/// A page (from 1, [`INVITATIONS_PER_PAGE`]) of the groups that invited a
/// person and wait for their answer, and whether there is another.
pub async fn invitations(db: &Db, person_id: i64, page: i64) -> Result<(Vec<GroupRow>, bool)> {
    let offset = (page.max(1) - 1).saturating_mul(INVITATIONS_PER_PAGE);
    let mut rows = store::invitations_for(db, person_id, INVITATIONS_PER_PAGE + 1, offset).await?;
    let more = rows.len() as i64 > INVITATIONS_PER_PAGE;
    rows.truncate(INVITATIONS_PER_PAGE as usize);
    Ok((rows, more))
}

pub use meetinghouse_store::groups::AskedGroup;

/// A page (from 1, [`ASKED_PER_PAGE`]) of the groups a person asked to join
/// that have not answered yet, for their own page, each with whether they
/// may see the group's page (a group made members only since they asked is
/// "not found" to them, so their page is where they withdraw the request),
/// and whether there is another.
pub async fn asked(db: &Db, actor: &Actor, page: i64) -> Result<(Vec<AskedGroup>, bool)> {
    let offset = (page.max(1) - 1).saturating_mul(ASKED_PER_PAGE);
    let mut rows = store::asked_by(db, actor.id, actor.is_admin, ASKED_PER_PAGE + 1, offset).await?;
    let more = rows.len() as i64 > ASKED_PER_PAGE;
    rows.truncate(ASKED_PER_PAGE as usize);
    Ok((rows, more))
}

/// What the group page offers a signed-in viewer to bring in.
#[derive(Debug, Clone, Default)]
pub struct Offers {
    /// Organisations they are an admin of that are not yet in the group and
    /// have not asked to be.
    pub orgs: Vec<meetinghouse_store::orgs::OrgRow>,
    /// Groups they host, other than this one, not yet in it and not waiting.
    pub groups: Vec<GroupRow>,
    /// Organisations they are an admin of and groups they host that are in
    /// the group or have asked to be: they may take them out, or withdraw the
    /// request.
    pub theirs: Vec<Theirs>,
}

/// An organisation or a group a viewer answers for, in a group or waiting.
#[derive(Debug, Clone)]
pub struct Theirs {
    /// `org` or `group`.
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    /// `active` or `requested`.
    pub status: String,
}

/// What a viewer could bring into a group: "Add to …" is never offered for
/// something already in (or waiting), where it could only say so, nor by
/// someone who does not host an invitation-only group, where it could only
/// be refused, nor for a group anyone may join into a group that chooses its
/// members (refused: [`nest`]), nor for a group that already contains this
/// one (a loop: refused), nor into or out of an archived group.
/// Organisations are offered to their admins only. What they already
/// brought (or asked to) is in `theirs`. A few
/// queries whatever the number of groups and organisations (at most
/// [`OFFERS_MAX`] of each).
pub async fn offers(db: &Db, actor: &Actor, group_id: i64) -> Result<Offers> {
    let mut out = Offers::default();
    let Some(group) = store::by_id(db, group_id).await? else { return Ok(out) };
    // An archived group takes no one new; nor does an archived group join.
    let may_offer = group.archived_at.is_none() && (group.join_policy != "invite" || is_host(db, actor, group_id).await?);
    for (org, status) in store::admin_orgs_with_status(db, actor.id, group_id, OFFERS_MAX).await? {
        match status {
            None if may_offer => out.orgs.push(org),
            None => {}
            Some(status) => out.theirs.push(Theirs { kind: "org", id: org.id, name: org.name, status }),
        }
    }
    for row in store::hosted_with_status(db, actor.id, group_id, actor.is_admin, OFFERS_MAX).await? {
        let other = row.group;
        match row.status {
            // Not one that already contains this group: it would make a loop.
            None if may_offer
                && row.contains_it == 0
                && other.archived_at.is_none()
                && store::passes_up(&other.join_policy, &group.join_policy) =>
            {
                out.groups.push(other)
            }
            None => {}
            Some(status) => out.theirs.push(Theirs { kind: "group", id: other.id, name: other.name, status }),
        }
    }
    Ok(out)
}

/// What happened when someone asked to join, or asked a group to take in an
/// organisation or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    /// Now an active member.
    Joined,
    /// A new request is waiting for a host: the one time to tell the hosts.
    Requested,
    /// A request was already waiting; nothing changed and nobody needs telling again.
    AlreadyRequested,
    /// Already an active member; nothing changed.
    AlreadyMember,
}

/// [`admission`] under the group's join policy as it is in `tx`: call it
/// after the group's row is held (`store::lock_group`, or
/// [`ensure_open_for_changes`]'s share lock), so a host's edit of the
/// policy (which takes the row's lock) either committed before and is read
/// here, or waits until this transaction ends. A row read before the
/// transaction may be stale now that join policies can be edited.
async fn admitted_as(tx: &mut Tx, group_id: i64, kind: MemberKind, by_host: bool) -> Result<&'static str> {
    let group = store::by_id_in(tx, group_id).await?.ok_or(CoreError::NotFound)?;
    admission(&group, kind, by_host)
}

/// The status a newcomer of `kind` gets under a join policy, or a refusal:
/// an invitation-only group takes people its hosts invite, and no
/// organisation or group but one its hosts bring in themselves (only people
/// are invited).
fn admission(group: &GroupRow, kind: MemberKind, by_host: bool) -> Result<&'static str> {
    if by_host {
        return Ok("active");
    }
    match (group.join_policy.as_str(), kind) {
        ("open", _) => Ok("active"),
        ("request", _) => Ok("requested"),
        (_, MemberKind::Person) => Err(CoreError::Forbidden(format!("{} is invitation only: ask one of its hosts to invite you.", group.name))),
        (_, MemberKind::Org) => Err(CoreError::Forbidden(format!(
            "{name} is invitation only: its hosts invite people one by one, and an organisation cannot ask to join it. \
             Only someone who hosts {name} and is an admin of the organisation can bring it in.",
            name = group.name
        ))),
        (_, MemberKind::Group) => Err(CoreError::Forbidden(format!(
            "{name} is invitation only: its hosts invite people one by one, and a group cannot ask to join it. \
             Only someone who hosts both groups can add it.",
            name = group.name
        ))),
    }
}

/// Writes a newcomer's membership with `status` in `tx` and says what
/// happened. An active membership is never changed (so a second "add" cannot
/// turn it back into a request), and a request that is already waiting is
/// reported as such, not as a new one, even when two arrive at once.
async fn admit(tx: &mut Tx, group_id: i64, kind: MemberKind, member_id: i64, status: &str, added_by: i64) -> Result<JoinOutcome> {
    if status == "active" {
        let changed = store::upsert_member(tx, group_id, kind, member_id, "member", "active", added_by).await?;
        return Ok(if changed { JoinOutcome::Joined } else { JoinOutcome::AlreadyMember });
    }
    if store::insert_member(tx, group_id, kind, member_id, "member", status, added_by).await? {
        return Ok(JoinOutcome::Requested);
    }
    Ok(match store::membership_in(tx, group_id, kind, member_id).await? {
        Some((_, s)) if s == "active" => JoinOutcome::AlreadyMember,
        _ => JoinOutcome::AlreadyRequested,
    })
}

/// Whether the actor hosts a group, read in `tx` (after [`store::lock_group`],
/// it holds until the transaction ends); instance admins may act as hosts.
async fn hosts_in(tx: &mut Tx, actor: &Actor, group_id: i64) -> Result<bool> {
    Ok(actor.is_admin
        || matches!(
            store::membership_in(tx, group_id, MemberKind::Person, actor.id).await?,
            Some((role, status)) if role == "host" && status == "active"
        ))
}

/// Tells a group's hosts of a new request for an organisation or a group to
/// join, after it was saved, recording the person asking as its sender (as
/// a person's own request does: `notifications::join_requested`). The text
/// is the person's display name, then `ending`: "(@kit) asked for Museum to
/// join Town." A host who has that person's request for the same thing
/// unread, or read it in the last day
/// ([`notifications::JOIN_REQUEST_QUIET_SECS`]), is not told again, whatever
/// name the person goes by now (store `notifications::already_told_of`: a request withdrawn
/// and made again is not news), nor one who blocked or muted them; one who
/// blocks them later no longer sees it. The request stands whatever happens
/// here: a failure is logged, never reported as the request's.
async fn tell_hosts(db: &Db, mail: Mailer<'_>, actor: &Actor, group: &GroupRow, ending: &str) {
    let text = format!("{} {ending}", actor.display_name);
    let text = text.as_str();
    let told = async {
        let url = format!("/groups/{}", group.slug);
        let since = meetinghouse_store::now() - notifications::JOIN_REQUEST_QUIET_SECS;
        let from = notifications::Source { sender: Some(actor.id), reply: None };
        let mut tx = db.begin().await?;
        for host in store::active_hosts(&mut tx, group.id).await? {
            if !meetinghouse_store::notifications::silenced(&mut tx, host, actor.id).await?
                && !meetinghouse_store::notifications::already_told_of(&mut tx, host, Kind::JoinRequest.as_str(), actor.id, &url, text, ending, since).await?
            {
                notifications::notify_from(&mut tx, mail, host, Kind::JoinRequest, text, &url, from).await?;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok::<(), CoreError>(())
    };
    if let Err(err) = told.await {
        tracing::warn!(group = group.id, error = %err, "a request to join was saved, but its hosts could not be told");
    }
}

/// A person joins (or asks to join) a group themselves, or accepts an
/// invitation. Asking again while a request waits answers
/// `AlreadyRequested`, so the hosts are told once. An archived group takes
/// no one new, by any of these ([`ensure_open_for_changes`]). Everything is
/// read in the joining transaction after the group's row lock: the person's
/// membership (an invitation withdrawn meanwhile is gone, and only a
/// waiting invitation is accepted: `store::accept_invitation`), the group's
/// visibility (a members-only group is "not found" to someone outside it
/// with no invitation or request, exactly as an address with no group) and
/// its join policy ([`admitted_as`]): a host's change committed meanwhile is
/// the one that applies.
pub async fn join(db: &Db, settings: &Settings, actor: &Actor, slug: &str) -> Result<JoinOutcome> {
    ensure_can_post(actor, settings)?;
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let mut tx = db.begin().await?;
    // The group's row first, as a host's withdrawal of an invitation, a
    // change of policy or of visibility takes it: the membership read after
    // it holds until this transaction ends, so an invitation withdrawn
    // meanwhile is not accepted.
    store::lock_group(&mut tx, db.backend(), group.id).await?;
    let outcome = match store::membership_in(&mut tx, group.id, MemberKind::Person, actor.id).await? {
        Some((_, status)) if status == "active" => JoinOutcome::AlreadyMember,
        Some((_, status)) if status == "requested" => JoinOutcome::AlreadyRequested,
        // Accepting an invitation: not into an archived group.
        Some(_) => {
            ensure_open_for_changes(&mut tx, db.backend(), group.id).await?;
            if !store::accept_invitation(&mut tx, group.id, actor.id).await? {
                return Err(CoreError::NotFound);
            }
            JoinOutcome::Joined
        }
        // Someone outside a members-only group, with no invitation, is
        // answered as for an address with no group.
        None => {
            let now = store::by_id_in(&mut tx, group.id).await?.ok_or(CoreError::NotFound)?;
            if now.visibility == "members" && !actor.is_admin && !store::person_reaches_in(&mut tx, actor.id, group.id).await? {
                return Err(CoreError::NotFound);
            }
            ensure_open_for_changes(&mut tx, db.backend(), group.id).await?;
            let status = admitted_as(&mut tx, group.id, MemberKind::Person, false).await?;
            admit(&mut tx, group.id, MemberKind::Person, actor.id, status, actor.id).await?
        }
    };
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outcome)
}

/// What leaving did: the membership's status before (`active`, `requested`
/// — a request withdrawn — or `invited` — an invitation declined), and
/// whether the group is still visible to the person (public, or reached
/// another way), so the caller knows whether its page is still there to
/// return to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub status: String,
    pub still_visible: bool,
}

/// A person leaves a group (or withdraws a request, or declines an
/// invitation). The last active host may not leave, nor the last host whose
/// account is active ([`hosts_after`]): the count is taken in the
/// transaction that removes them, with the group's membership locked, so two
/// hosts leaving at once cannot leave none.
pub async fn leave(db: &Db, actor: &Actor, slug: &str) -> Result<Left> {
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let mut tx = db.begin().await?;
    store::lock_group(&mut tx, db.backend(), group.id).await?;
    let Some((role, status)) = store::membership_in(&mut tx, group.id, MemberKind::Person, actor.id).await? else {
        return Err(CoreError::Forbidden(format!("You are not a direct member of {}.", group.name)));
    };
    if role == "host" && status == "active" {
        match hosts_after(&mut tx, group.id, actor.id).await? {
            HostsAfter::Enough => {}
            HostsAfter::NoHost => {
                return Err(CoreError::Forbidden(format!(
                    "You are the last host of {}: make someone else a host before you leave, so the group is still looked after.",
                    group.name
                )));
            }
            HostsAfter::NoActiveHost => return Err(last_active_host(&group, "", true)),
        }
    }
    // Takes turns with removals that check the objections (`removing`): a
    // removal of another route of theirs at the same moment reads this one.
    store::lock_reach(&mut tx, db.backend()).await?;
    store::remove_member(&mut tx, group.id, MemberKind::Person, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Left { status, still_visible: can_see(db, &group, Some(actor)).await? })
}

/// The refusal when someone who does not manage an organisation would bring
/// it into a group or take it out.
fn not_org_admin(org: &str) -> CoreError {
    CoreError::Forbidden(format!(
        "Only admins of {org} can bring it into a group or take it out: its staff speak as themselves at it, its admins manage it."
    ))
}

/// Whether the actor is an active admin of an organisation (or an instance
/// admin), read in `tx` after the organisation's row is locked
/// (`orgs::lock`), so it holds until the transaction ends.
async fn org_admin_in(tx: &mut Tx, actor: &Actor, org_id: i64) -> Result<bool> {
    Ok(actor.is_admin
        || orgs::membership_in(tx, org_id, actor.id).await?.is_some_and(|(role, status)| role == "admin" && status == "active"))
}

/// Adds an organisation to a group. The actor must be an admin of the
/// organisation (its staff speak at it, its admins manage it); the group's
/// join policy (as read there: [`admitted_as`]) applies unless they also
/// host it. Both are checked in the transaction that adds it, after the
/// group's row and then the organisation's are locked. An organisation already in is left as it is
/// (`AlreadyMember`); a new request is told to the group's hosts once it is
/// saved.
pub async fn add_org(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, org_slug: &str) -> Result<JoinOutcome> {
    ensure_can_post(actor, mail.settings)?;
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !is_host(db, actor, group.id).await? && closed_to(db, &group, actor).await? {
        return Err(CoreError::NotFound);
    }
    let org = crate::orgs::by_address(db, org_slug.trim())
        .await?
        .ok_or_else(|| FieldErrors::one("org", format!("There is no organisation at “{}”.", org_slug.trim())))?;
    let mut tx = db.begin().await?;
    store::lock_group(&mut tx, db.backend(), group.id).await?;
    orgs::lock(&mut tx, db.backend(), org.id).await?;
    if !org_admin_in(&mut tx, actor, org.id).await? {
        return Err(not_org_admin(&org.name));
    }
    let by_host = hosts_in(&mut tx, actor, group.id).await?;
    let status = admitted_as(&mut tx, group.id, MemberKind::Org, by_host).await?;
    ensure_open_for_changes(&mut tx, db.backend(), group.id).await?;
    let outcome = admit(&mut tx, group.id, MemberKind::Org, org.id, status, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if outcome == JoinOutcome::Requested {
        let ending = format!("(@{}) asked for {} to join {}.", actor.handle, org.name, group.name);
        tell_hosts(db, mail, actor, &group, &ending).await;
    }
    Ok(outcome)
}

/// A parent group and a member group read in the transaction that nests
/// one in the other, after `store::check_nest`'s lock: plain reads (their
/// rows are not locked here, so this never waits for a change of join
/// policy that holds one and waits for that lock).
async fn nesting_pair(tx: &mut Tx, parent: i64, child: i64) -> Result<(GroupRow, GroupRow)> {
    let parent = store::by_id_in(tx, parent).await?.ok_or(CoreError::NotFound)?;
    let child = store::by_id_in(tx, child).await?.ok_or(CoreError::NotFound)?;
    Ok((parent, child))
}

/// The refusal of a nesting that would let anyone in: anyone may join
/// `child`, and not anyone may join `parent`, so access would not pass up
/// through it (`store::passes_up`) and its listing there would mislead.
/// Said of the parent as it is: what a members-only one hides, or the
/// membership of a public one; and how `child`'s members may come in
/// themselves (ask, or be invited by its hosts).
fn open_into_closed(child: &GroupRow, parent: &GroupRow) -> String {
    let (c, p) = (&child.name, &parent.name);
    let into = if parent.visibility == "members" { format!("{p}'s members-only content") } else { format!("{p}, whose hosts choose its members") };
    let themselves = if parent.join_policy == "request" {
        format!("Its members can ask to join {p} themselves")
    } else {
        format!("{p} is invitation only: its hosts can invite the members of {c} one by one")
    };
    format!("Anyone can join {c}, so joining it would let anyone into {into}. {themselves}; or a group whose hosts choose its members can join instead.")
}

/// The address of a group as someone typed or pasted it, as its slug: a
/// full address on this meeting house (`base_url`'s host, whatever the
/// scheme: `https://town.example/groups/walkers`), a path (`/groups/walkers`,
/// `groups/walkers`) or the slug itself (`walkers`); what follows the
/// group's own part (`/purpose`, a query, a fragment, a closing slash) is
/// set aside, and capitals read as lower case (addresses are stored in
/// lower case). `None` for an address on another site, or a path that is
/// not a group's (`/orgs/museum`). What comes back is not checked against
/// the groups there are: look it up with [`by_address`], which parses it
/// as a slug. For every form that names a group by its address.
pub fn slug_from_input(input: &str, base_url: &str) -> Option<String> {
    let input = input.trim();
    // This meeting house's host (with its port, if any).
    let ours = base_url.split_once("://").map_or(base_url, |(_, rest)| rest).split(['/', '?', '#']).next().unwrap_or("");
    let (path, full) = match input.split_once("://") {
        Some((scheme, rest)) => {
            if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
                return None;
            }
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            if ours.is_empty() || !host.eq_ignore_ascii_case(ours) {
                return None;
            }
            (&rest[host.len()..], true)
        }
        None => (input, false),
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut segments: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
    // "town.example/groups/walkers": the address without its scheme.
    if !full && !path.starts_with('/') && segments.len() > 1 && !ours.is_empty() && segments[0].eq_ignore_ascii_case(ours) {
        segments.remove(0);
        return match segments.as_slice() {
            ["groups", slug, ..] => Some(slug.to_ascii_lowercase()),
            _ => None,
        };
    }
    let slug = match segments.as_slice() {
        // A bare slug, not a path of its own ("/walkers").
        [one] if !full && !path.starts_with('/') => *one,
        ["groups", slug, ..] => *slug,
        _ => return None,
    };
    Some(slug.to_ascii_lowercase())
}

/// The refusal of something typed where a group's address goes that is
/// none ([`slug_from_input`]).
pub fn not_a_group_address(typed: &str) -> String {
    format!(
        "“{typed}” is not the address of a group on this meeting house. Paste the group's address from its page (it has /groups/ in it), or type just its last part."
    )
}

/// Makes group `child_slug` a member of group `parent_slug`. The actor must
/// host the child; the parent's join policy, as read in the transaction that
/// adds it (after the parent's row lock), applies unless they host it too
/// (both checked there). A nesting that would make
/// a loop is refused, and so is a group anyone may join into one that
/// chooses its members (it would let anyone in); a child already in is left
/// as it is (`AlreadyMember`). An archived group takes no member group, and
/// an archived group joins none.
/// A child the actor may not see is answered exactly as a group that does
/// not exist. A new request is told to the parent's hosts once it is saved.
pub async fn nest(db: &Db, mail: Mailer<'_>, actor: &Actor, parent_slug: &str, child_slug: &str) -> Result<JoinOutcome> {
    ensure_can_post(actor, mail.settings)?;
    let parent = by_address(db, parent_slug).await?.ok_or(CoreError::NotFound)?;
    if !is_host(db, actor, parent.id).await? && closed_to(db, &parent, actor).await? {
        return Err(CoreError::NotFound);
    }
    let typed = child_slug.trim();
    if typed.is_empty() {
        return Err(FieldErrors::one("child", "Enter the web address of the group to add, or the last part of it."));
    }
    let Some(child_slug) = slug_from_input(typed, mail.base_url) else {
        return Err(FieldErrors::one("child", not_a_group_address(typed)));
    };
    let no_such_child = || FieldErrors::one("child", format!("There is no group at “{typed}”."));
    let child = by_address(db, &child_slug).await?.ok_or_else(no_such_child)?;
    if !can_see(db, &child, Some(actor)).await? {
        return Err(no_such_child());
    }
    let not_host_of_child = || CoreError::Forbidden(format!("Only hosts of {} can add it to another group.", child.name));
    if !is_host(db, actor, child.id).await? {
        return Err(not_host_of_child());
    }
    let mut tx = db.begin().await?;
    // The parent's row first, then the loop check's lock: the order every
    // change to a group's members takes them in.
    store::lock_group(&mut tx, db.backend(), parent.id).await?;
    if !hosts_in(&mut tx, actor, child.id).await? {
        return Err(not_host_of_child());
    }
    let by_host = hosts_in(&mut tx, actor, parent.id).await?;
    ensure_open_for_changes(&mut tx, db.backend(), parent.id).await?;
    store::check_nest(&mut tx, db.backend(), parent.id, child.id).await.map_err(|err| match err {
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
    // Both groups as they are now, after the lock that makes nestings and
    // changes of join policy take turns (`store::lock_nesting`).
    let (parent, child) = nesting_pair(&mut tx, parent.id, child.id).await?;
    // The parent's join policy as it is now (its row has been held since
    // the transaction's first statement), not as it was read before.
    let status = admission(&parent, MemberKind::Group, by_host)?;
    if let Some(at) = child.archived_at {
        return Err(FieldErrors::one("child", archived_words(&child.name, at)));
    }
    if !store::passes_up(&child.join_policy, &parent.join_policy) {
        return Err(FieldErrors::one("child", open_into_closed(&child, &parent)));
    }
    let outcome = admit(&mut tx, parent.id, MemberKind::Group, child.id, status, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if outcome == JoinOutcome::Requested {
        let ending = format!("(@{}) asked for the group {} to join {}.", actor.handle, child.name, parent.name);
        tell_hosts(db, mail, actor, &parent, &ending).await;
    }
    Ok(outcome)
}

/// The answer when a host acts on a request that is no longer waiting.
fn not_waiting() -> CoreError {
    FieldErrors::one("form", "That request is no longer waiting: another host may have answered it, or it was withdrawn.")
}

/// Tells whoever asked for a request (the person, or who asked for their
/// organisation or group) what a host answered, in the transaction that
/// answers it, recording the host as its sender: not the host themselves,
/// nor someone who blocked or muted them.
async fn tell_answer(tx: &mut Tx, mail: Mailer<'_>, actor: &Actor, asker: Option<i64>, text: &str, group: &GroupRow) -> Result<()> {
    let Some(asker) = asker.filter(|p| *p != actor.id) else { return Ok(()) };
    if meetinghouse_store::notifications::silenced(tx, asker, actor.id).await? {
        return Ok(());
    }
    let from = notifications::Source { sender: Some(actor.id), reply: None };
    notifications::notify_from(tx, mail, asker, Kind::Membership, text, &format!("/groups/{}", group.slug), from).await
}

/// A host approves a pending request (person, organisation or group), in
/// the transaction that checks they host the group, and whoever asked is
/// told there ([`tell_answer`]). Approving one another host already approved
/// changes nothing. A group whose joining would now make a loop, or that
/// anyone may join while this group chooses its members, is refused with the
/// reason, for the whole form (the request is a row of the page, not a
/// field). An archived group approves none (its requests wait, and may be
/// declined), and an archived group's request to join is not approved.
pub async fn approve(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, kind: &str, member_id: i64) -> Result<()> {
    let kind = parse_kind(kind)?;
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let (name, _) = member_name(db, kind, member_id).await?;
    let mut tx = host_turn(db, actor, &group, "approve requests").await?;
    ensure_open_for_changes(&mut tx, db.backend(), group.id).await?;
    if kind == MemberKind::Group {
        // Re-check for a loop: the graph may have changed since the request.
        if let Err(err) = store::check_nest(&mut tx, db.backend(), group.id, member_id).await {
            drop(tx);
            return Err(match err {
                StoreError::Conflict { .. } => FieldErrors::one(
                    "form",
                    format!(
                        "{} cannot join: {} already belongs to it (directly or through other groups), so approving would make a loop.",
                        name, group.name
                    ),
                ),
                other => other.into(),
            });
        }
        // Both groups as they are now, after that lock (a join policy
        // changed since the request, or since this page was drawn).
        let (parent, child) = nesting_pair(&mut tx, group.id, member_id).await?;
        if let Some(at) = child.archived_at {
            return Err(FieldErrors::one("form", format!("{} Decline the request.", archived_words(&child.name, at))));
        }
        if !store::passes_up(&child.join_policy, &parent.join_policy) {
            return Err(FieldErrors::one(
                "form",
                format!("{} Decline the request: approving it would let anyone in.", open_into_closed(&child, &parent)),
            ));
        }
    }
    let asker = store::requested_by(&mut tx, group.id, kind, member_id).await?;
    if !store::approve_request(&mut tx, group.id, kind, member_id).await? {
        let now = store::membership_in(&mut tx, group.id, kind, member_id).await?;
        return if now.is_some_and(|(_, s)| s == "active") { Ok(()) } else { Err(not_waiting()) };
    }
    let text = match kind {
        MemberKind::Person => format!("You are now a member of {}: your request to join was approved.", group.name),
        _ => format!("{name} is now a member of {}: your request for it to join was approved.", group.name),
    };
    tell_answer(&mut tx, mail, actor, asker, &text, &group).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// A host declines a pending request (person, organisation or group); whoever
/// asked is told in the same transaction ([`tell_answer`]).
pub async fn decline(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, kind: &str, member_id: i64) -> Result<()> {
    let kind = parse_kind(kind)?;
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let (name, _) = member_name(db, kind, member_id).await?;
    let mut tx = host_turn(db, actor, &group, "answer requests").await?;
    let asker = store::requested_by(&mut tx, group.id, kind, member_id).await?;
    if !store::decline_request(&mut tx, group.id, kind, member_id).await? {
        return Err(not_waiting());
    }
    let text = match kind {
        MemberKind::Person => format!("Your request to join {} was declined.", group.name),
        _ => format!("Your request for {name} to join {} was declined.", group.name),
    };
    tell_answer(&mut tx, mail, actor, asker, &text, &group).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Starts a host's change to a group's members: begins a transaction with
/// the group's membership locked, and checks there that the actor hosts it
/// (an instance admin may act too), so a host who was just stepped down
/// cannot act. A group the actor may not see is "not found".
async fn host_turn(db: &Db, actor: &Actor, group: &GroupRow, what: &str) -> Result<Tx> {
    if !can_see(db, group, Some(actor)).await? {
        return Err(CoreError::NotFound);
    }
    let mut tx = db.begin().await?;
    store::lock_group(&mut tx, db.backend(), group.id).await?;
    if !hosts_in(&mut tx, actor, group.id).await? {
        return Err(CoreError::Forbidden(format!("Only hosts of {} can {what}.", group.name)));
    }
    Ok(tx)
}

/// A member's name as the group page shows it, for messages, and its handle
/// or slug: one lookup by id, not the group's whole member list.
async fn member_name(db: &Db, kind: MemberKind, member_id: i64) -> Result<(String, String)> {
    let found = match kind {
        MemberKind::Person => meetinghouse_store::people::by_id(db, member_id).await?.map(|p| (p.display_name, p.handle)),
        MemberKind::Org => orgs::by_id(db, member_id).await?.map(|o| (o.name, o.slug)),
        MemberKind::Group => store::by_id(db, member_id).await?.map(|g| (g.name, g.slug)),
    };
    Ok(found.unwrap_or_default())
}

/// The answer when a host acts on someone (or an organisation, or a group)
/// with no membership, invitation or request in the group: they left, were
/// removed, or never were in it. `name` is empty when nobody has that id.
fn not_a_member(group: &GroupRow, name: &str) -> CoreError {
    let who = if name.is_empty() { "They are".to_string() } else { format!("{name} is") };
    FieldErrors::one("form", format!("{who} not in {}: not a member, not invited and not waiting to join.", group.name))
}

/// A host makes an active person member a host (`host`), or steps a host down
/// to member; only someone whose account is active is made a host (one who
/// cannot sign in cannot look after the group), and the last active host,
/// or the last whose account is active, cannot be stepped down
/// ([`hosts_after`], counted in the transaction that changes the
/// role). While the moderators hold the group archived its hosts change no
/// roles ([`held_for_hosts`]; an instance moderator may). Returns the
/// person's name.
pub async fn set_host(db: &Db, actor: &Actor, slug: &str, person_id: i64, host: bool) -> Result<String> {
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let (name, _) = member_name(db, MemberKind::Person, person_id).await?;
    let mut tx = host_turn(db, actor, &group, if host { "make people hosts" } else { "step hosts down" }).await?;
    held_for_hosts(&mut tx, actor, &group).await?;
    let Some((role, status)) = store::membership_in(&mut tx, group.id, MemberKind::Person, person_id).await? else {
        return Err(not_a_member(&group, &name));
    };
    if status != "active" {
        return Err(FieldErrors::one("form", format!("{name} has not joined {} yet: only members can be hosts.", group.name)));
    }
    if host && role != "host" && !account_active_in(&mut tx, person_id).await? {
        return Err(FieldErrors::one(
            "form",
            format!("{name}'s account is not active, so they cannot be made a host of {}: a host must be able to sign in and look after the group.", group.name),
        ));
    }
    if !host
        && role == "host"
        && let Some(refusal) = no_host_left(hosts_after(&mut tx, group.id, person_id).await?, &group, &name, person_id == actor.id)
    {
        return Err(refusal);
    }
    store::set_role(&mut tx, group.id, person_id, if host { "host" } else { "member" }).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(name)
}

/// The refusal when the last active host would go.
fn last_host(group: &GroupRow, name: &str, is_actor: bool) -> CoreError {
    let who = if is_actor { "You are".to_string() } else { format!("{name} is") };
    CoreError::Forbidden(format!(
        "{who} the last host of {}: make someone else a host first, so the group is still looked after.",
        group.name
    ))
}

/// The refusal when the last host whose account is active would go.
fn last_active_host(group: &GroupRow, name: &str, is_actor: bool) -> CoreError {
    let who = if is_actor { "You are".to_string() } else { format!("{name} is") };
    CoreError::Forbidden(format!(
        "{who} the last host of {} whose account is active: the other hosts cannot sign in to look after it (their accounts are suspended or waiting for approval). Make someone else a host first, so the group is still looked after.",
        group.name
    ))
}

/// Who would still host a group once one of its active hosts stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostsAfter {
    /// Another host whose account is active.
    Enough,
    /// Nobody ([`last_host`]).
    NoHost,
    /// Only hosts whose account is not active ([`last_active_host`]):
    /// someone suspended, banned or waiting for approval cannot sign in to
    /// look after the group.
    NoActiveHost,
}

/// [`HostsAfter`] taking away the host role of `person_id` (an active host
/// of the group: stepping down, removed, leaving), read in the acting
/// transaction after [`store::lock_group`].
async fn hosts_after(tx: &mut Tx, group_id: i64, person_id: i64) -> Result<HostsAfter> {
    let count = store::host_count_in(tx, group_id).await?;
    Ok(if count.hosts <= 1 {
        HostsAfter::NoHost
    } else if count.active <= 1 && account_active_in(tx, person_id).await? {
        HostsAfter::NoActiveHost
    } else {
        HostsAfter::Enough
    })
}

/// The refusal of a host's stepping down or removal for [`HostsAfter`].
fn no_host_left(after: HostsAfter, group: &GroupRow, name: &str, is_actor: bool) -> Option<CoreError> {
    match after {
        HostsAfter::Enough => None,
        HostsAfter::NoHost => Some(last_host(group, name, is_actor)),
        HostsAfter::NoActiveHost => Some(last_active_host(group, name, is_actor)),
    }
}

/// Whether a person's account is active (not suspended, banned, waiting for
/// approval or closed), read in the caller's transaction.
pub(crate) async fn account_active_in(tx: &mut Tx, person_id: i64) -> Result<bool> {
    Ok(meetinghouse_store::people::by_id_in(tx, person_id).await?.is_some_and(|p| p.status == "active" && !p.handle.is_empty()))
}

/// What a group's hosts are told when they would change its name, how
/// people join, who hosts it or who is in it while the moderators hold it
/// archived.
pub fn held_words(name: &str) -> String {
    format!(
        "The meeting house's moderators archived {name}, so while they hold it its hosts cannot rename it, make it public, let anyone join, \
         change who hosts it or remove its members (they can still make it members only, and choose who may ask to join). \
         If you think the moderators should open it again, ask them from the group's page."
    )
}

/// Refuses a host's change to a group the moderators hold archived
/// ([`held_words`]); an instance moderator may act. Read after
/// [`store::lock_group`], in the acting transaction.
async fn held_for_hosts(tx: &mut Tx, actor: &Actor, group: &GroupRow) -> Result<()> {
    if !actor.is_admin && meetinghouse_store::moderation::group_held_in(tx, group.id).await?.is_some() {
        return Err(CoreError::Forbidden(held_words(&group.name)));
    }
    Ok(())
}

/// What a removal took out, for the message and the page to go back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The member's name, and its handle or slug.
    pub name: String,
    pub key: String,
    /// `org`, `group` or `person`.
    pub kind: &'static str,
    /// The status it had: `active`, `requested` or `invited`.
    pub status: String,
    /// Whether the group is still visible to the actor (taking their own
    /// organisation or group out, or themselves, may end their access).
    pub still_visible: bool,
}

/// Takes a member out of a group: a host removes a member (a person, an
/// organisation or a group), an invitation or a request; the admins of an
/// organisation (not its staff) take it out or withdraw its request, and the
/// hosts of a member group likewise for their group. The last active host
/// cannot be removed (counted in the transaction that removes them, where
/// who may act is checked too, after the group's row and, for an
/// organisation, its row are locked).
///
/// A removal that would take someone other than the one acting out of a
/// group where their objection to an open amendment stands is refused
/// (read before and after the removal, in its transaction: store
/// `purposes::counting_objections_from`, which covers the groups this one
/// belongs to as well): an objection stops counting when its author leaves,
/// closes their account or is suspended, never because a host removed them,
/// or a host could push an amendment through by removing its objectors. The
/// moderators can still suspend someone who breaks the rules. The refusal
/// names the amendment, its group and page, and when its window closes.
///
/// While the moderators hold the group archived its hosts take no member
/// out ([`held_words`]); an organisation's admins and a member group's
/// hosts may still take theirs out, anyone may leave, and an instance
/// moderator may act. The last active host, and the last whose account is
/// active, cannot be removed. This does not tell the person removed: see
/// [`remove_telling`].
pub async fn remove(db: &Db, actor: &Actor, slug: &str, kind: &str, member_id: i64) -> Result<Removed> {
    removing(db, None, actor, slug, kind, member_id).await
}

/// [`remove`], and a person removed from active membership by someone else
/// is told, in the same transaction, where to find the group if they still
/// may (a members-only group's page is not theirs any more).
pub async fn remove_telling(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, kind: &str, member_id: i64) -> Result<Removed> {
    removing(db, Some(mail), actor, slug, kind, member_id).await
}

async fn removing(db: &Db, mail: Option<Mailer<'_>>, actor: &Actor, slug: &str, kind: &str, member_id: i64) -> Result<Removed> {
    let kind = parse_kind(kind)?;
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !can_see(db, &group, Some(actor)).await? {
        return Err(CoreError::NotFound);
    }
    let (name, key) = member_name(db, kind, member_id).await?;
    let mut tx = db.begin().await?;
    store::lock_group(&mut tx, db.backend(), group.id).await?;
    // The organisation's row is locked whoever acts (a host as much as its
    // admin), the group's first: the order `add_org` takes them in.
    if kind == MemberKind::Org {
        orgs::lock(&mut tx, db.backend(), member_id).await?;
    }
    // Taking out one's own organisation or group, or oneself, is theirs to
    // do; anything else is the group's hosts'.
    let own = match kind {
        MemberKind::Org => org_admin_in(&mut tx, actor, member_id).await?,
        MemberKind::Group => hosts_in(&mut tx, actor, member_id).await?,
        MemberKind::Person => false,
    };
    if !own && !hosts_in(&mut tx, actor, group.id).await? {
        let staff = kind == MemberKind::Org
            && orgs::membership_in(&mut tx, member_id, actor.id).await?.is_some_and(|(role, status)| status == "active" && role == "staff");
        if staff {
            return Err(not_org_admin(&name));
        }
        return Err(CoreError::Forbidden(format!("Only hosts of {} can remove members.", group.name)));
    }
    let Some((role, status)) = store::membership_in(&mut tx, group.id, kind, member_id).await? else {
        return Err(not_a_member(&group, &name));
    };
    // While the moderators hold the group archived its hosts take no
    // member out (an invitation or a request may still go).
    if !own && status == "active" && !(kind == MemberKind::Person && member_id == actor.id) {
        held_for_hosts(&mut tx, actor, &group).await?;
    }
    if kind == MemberKind::Person
        && role == "host"
        && status == "active"
        && let Some(refusal) = no_host_left(hosts_after(&mut tx, group.id, member_id).await?, &group, &name, member_id == actor.id)
    {
        return Err(refusal);
    }
    // One change that can end a counted membership at a time (store
    // `lock_reach`), before the "before" count: two removals of two routes
    // of one objector at once (here and in an organisation, or two here)
    // cannot both pass.
    store::lock_reach(&mut tx, db.backend()).await?;
    let counting = meetinghouse_store::purposes::counting_objections_from(&mut tx, group.id).await?;
    store::remove_member(&mut tx, group.id, kind, member_id).await?;
    if !counting.is_empty() {
        let after = meetinghouse_store::purposes::counting_objections_from(&mut tx, group.id).await?;
        if let Some((amendment, objector)) = counting.into_iter().find(|c| c.1 != actor.id && !after.contains(c)) {
            let who = meetinghouse_store::people::by_id_in(&mut tx, objector).await?.map(|p| p.display_name).unwrap_or_default();
            let (slug, group_name, closes_at) =
                meetinghouse_store::purposes::amendment_place_in(&mut tx, amendment).await?.unwrap_or((group.slug.clone(), group.name.clone(), 0));
            let base = mail.as_ref().map_or("", |m| m.base_url.trim_end_matches('/'));
            let address = format!("{base}{}", crate::purposes::amendment_path(&slug, amendment));
            let place = StandingObjection { amendment, group: &group_name, address: &address, closes_at };
            return Err(objection_stands(&name, kind == MemberKind::Person && objector == member_id, &who, &place));
        }
    }
    if let Some(mail) = mail
        && kind == MemberKind::Person
        && status == "active"
        && member_id != actor.id
    {
        let (told, url) = if group.visibility == "members" {
            (format!("You were removed from {}, a members-only group, by one of its hosts.", group.name), "/groups".to_string())
        } else {
            (format!("You were removed from {} by one of its hosts.", group.name), format!("/groups/{}", group.slug))
        };
        notifications::notify(&mut tx, mail, member_id, Kind::Membership, &told, &url).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    let still_visible = can_see(db, &group, Some(actor)).await?;
    Ok(Removed { name, key, kind: kind.as_str(), status, still_visible })
}

/// The amendment a removal's refusal names: its id, its group's name, its
/// page (the site's full address when the caller knows it) and when its
/// window closes.
struct StandingObjection<'a> {
    amendment: i64,
    group: &'a str,
    address: &'a str,
    closes_at: i64,
}

/// The refusal of a removal that would stop a standing objection counting:
/// `name` is who would be removed, `who` the objector (the same person when
/// `same`); it says where to read the amendment and until when its window
/// is open, as `orgs::remove_member`'s refusal does.
fn objection_stands(name: &str, same: bool, who: &str, a: &StandingObjection<'_>) -> CoreError {
    let closes = crate::clock::zone().datetime(a.closes_at);
    let (amendment, group, address) = (a.amendment, a.group, a.address);
    let first = if same {
        format!(
            "{name} objects to amendment {amendment} to the purpose of {group} ({address}), and their objection stands while its window is open, until {closes}: removing them would stop it counting."
        )
    } else {
        format!(
            "Taking {name} out would take {who} out too, whose objection to amendment {amendment} to the purpose of {group} ({address}) stands while its window is open, until {closes}: it would stop counting."
        )
    };
    CoreError::Forbidden(format!(
        "{first} Wait until the amendment is settled, or until they withdraw their objection. If someone breaks the meeting house’s rules, report them to the moderators."
    ))
}

/// A host invites a person by handle, and the person is told in the same
/// transaction, with the host recorded as its sender, unless they blocked or
/// muted the host or were already told of an invitation to the group that is
/// unread or was read lately (`notifications::invited`: inviting,
/// withdrawing and inviting again is no news). The notification links to the
/// group's page, which shows a members-only group's invitation to them;
/// their own page lists it either way. Someone already in, invited or
/// waiting is told so; two invitations at once make one. Who may invite is
/// checked in that transaction, so a host who was just stepped down cannot.
/// Someone who blocked or muted the host is not invited at all
/// ([`refuses_invitations_from`]): nothing is written, and the host is
/// answered exactly as for an invitation sent, so the block stays private.
pub async fn invite(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, handle: &str) -> Result<()> {
    invite_as(db, Some(mail), actor, slug, handle).await
}

/// [`invite`] without telling the person (for callers with no way to link
/// back, such as tests that set up a membership).
pub async fn invite_person(db: &Db, actor: &Actor, slug: &str, handle: &str) -> Result<()> {
    invite_as(db, None, actor, slug, handle).await
}

async fn invite_as(db: &Db, mail: Option<Mailer<'_>>, actor: &Actor, slug: &str, handle: &str) -> Result<()> {
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let handle = crate::types::Handle::parse(handle).map_err(|m| FieldErrors::one("handle", m))?;
    let person = meetinghouse_store::people::by_handle(db, handle.as_str())
        .await?
        .ok_or_else(|| FieldErrors::one("handle", format!("Nobody here has the handle @{}.", handle.as_str())))?;
    let mut tx = host_turn(db, actor, &group, "invite people").await?;
    ensure_open_for_changes(&mut tx, db.backend(), group.id).await?;
    let none_yet = store::membership_in(&mut tx, group.id, MemberKind::Person, person.id).await?.is_none();
    if none_yet && refuses_invitations_from(&mut tx, person.id, actor.id).await? {
        // As if sent: the transaction ends with nothing written.
        return Ok(());
    }
    if !store::insert_member(&mut tx, group.id, MemberKind::Person, person.id, "member", "invited", actor.id).await? {
        let message = match store::membership_in(&mut tx, group.id, MemberKind::Person, person.id).await? {
            Some((_, s)) if s == "requested" => format!("@{} has already asked to join: approve their request below.", person.handle),
            Some((_, s)) if s == "invited" => format!("@{} is already invited.", person.handle),
            _ => format!("@{} is already a member.", person.handle),
        };
        return Err(FieldErrors::one("handle", message));
    }
    // Someone who blocked or muted the host, or was told of an invitation
    // here lately, is not told (the invitation still waits on their page).
    if let Some(mail) = mail {
        let text = format!("{} (@{}) invited you to join {}.", actor.display_name, actor.handle, group.name);
        notifications::invited(&mut tx, mail, person.id, actor.id, &text, &format!("/groups/{}", group.slug)).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Whether `invitee` takes no invitation from `inviter`: they blocked or
/// muted them, so anything the inviter chose (a group's or an
/// organisation's name and purpose) would reach their page. Read in the
/// inviting transaction. The caller then writes nothing and answers the
/// inviter exactly as for an invitation sent, never revealing the block;
/// for invitations to groups ([`invite`]) and to organisations alike.
pub async fn refuses_invitations_from(tx: &mut Tx, invitee: i64, inviter: i64) -> Result<bool> {
    Ok(invitee != inviter && meetinghouse_store::notifications::silenced(tx, invitee, inviter).await?)
}

fn parse_kind(kind: &str) -> Result<MemberKind> {
    match kind {
        "person" => Ok(MemberKind::Person),
        "org" => Ok(MemberKind::Org),
        "group" => Ok(MemberKind::Group),
        _ => Err(FieldErrors::one("form", "That form named no kind of member we know. Reload the page and try again.")),
    }
}

/// Groups for the listing: public ones, and for a signed-in person the
/// members-only ones they belong to (marked on the page); admins see every
/// group.
pub async fn list(db: &Db, viewer: Option<&Actor>, limit: i64, offset: i64) -> Result<Vec<GroupRow>> {
    match viewer {
        Some(a) if a.is_admin => Ok(store::list_all(db, limit, offset).await?),
        Some(a) => Ok(store::list_for_person(db, a.id, limit, offset).await?),
        None => Ok(store::list_public(db, limit, offset).await?),
    }
}

/// Every group the person belongs to at any depth, by name: one query.
pub async fn reachable(db: &Db, person_id: i64) -> Result<Vec<GroupRow>> {
    Ok(store::reachable_groups(db, person_id, i64::MAX, 0).await?)
}

/// A page (from 1, [`MINE_PER_PAGE`]) of the groups a person belongs to at
/// any depth, by name, for their own page, and whether there is another.
pub async fn mine(db: &Db, person_id: i64, page: i64) -> Result<(Vec<GroupRow>, bool)> {
    let offset = (page.max(1) - 1).saturating_mul(MINE_PER_PAGE);
    let mut rows = store::reachable_groups(db, person_id, MINE_PER_PAGE + 1, offset).await?;
    let more = rows.len() as i64 > MINE_PER_PAGE;
    rows.truncate(MINE_PER_PAGE as usize);
    Ok((rows, more))
}

/// Why a group takes nothing new: it is archived, since `at`.
pub fn archived_words(name: &str, at: i64) -> String {
    format!(
        "{name} is archived (since {}): what it holds stays here to read, and it takes nothing new. Its hosts can open it again.",
        crate::format_date(at)
    )
}

/// Refuses, in plain words naming the group, a change that would write
/// something into group `group_id` once it is archived: a member, a
/// request, an invitation, a story placed in it, a reply in its discussion
/// or on what is placed in it, a prompt, a common-ground conversation or a
/// vote in one. Call it in the transaction that writes, before the write: on
/// PostgreSQL it holds the group's row (`FOR SHARE`, store
/// `groups::archived_in`) until that transaction ends, so archiving waits
/// for the write and a write after the archiving is refused; on SQLite the
/// write transaction is already the only writer. A group that is not there
/// is "not found".
pub async fn ensure_open_for_changes(tx: &mut Tx, backend: meetinghouse_store::Backend, group_id: i64) -> Result<()> {
    match store::archived_in(tx, backend, group_id).await? {
        None => Err(CoreError::NotFound),
        Some((name, Some(at))) => Err(CoreError::Forbidden(archived_words(&name, at))),
        Some((_, None)) => Ok(()),
    }
}

/// [`ensure_open_for_changes`] outside a transaction, for a write that runs
/// as one batch of statements (a reply: `Db::write`), where the check comes
/// just before the batch: a reply that was already on its way when the
/// group was archived may still land, a moment after.
pub async fn ensure_not_archived(db: &Db, group_id: i64) -> Result<()> {
    match store::by_id(db, group_id).await? {
        None => Err(CoreError::NotFound),
        Some(g) => match g.archived_at {
            Some(at) => Err(CoreError::Forbidden(archived_words(&g.name, at))),
            None => Ok(()),
        },
    }
}

/// How many of a group's (or an organisation's) latest changes its edit
/// page lists.
pub const CHANGES_SHOWN: i64 = 50;

pub use meetinghouse_store::groups::ChangeRow;

/// A host's changes to a group: its name, who can see it and how people
/// join. Its address stays, so links, labels and QR codes keep working; its
/// purpose changes only through amendments its members consent to.
#[derive(Debug, Clone, Default)]
pub struct GroupEditForm {
    pub name: String,
    pub visibility: String,
    pub join_policy: String,
    /// Ticked to make a members-only group public: the host confirms they
    /// know what becomes visible to everyone ([`PUBLIC_WARNING`]).
    pub confirm_public: bool,
}

/// What making a members-only group public shows to everyone, said before it
/// is done (and asked to be confirmed).
pub const PUBLIC_WARNING: &str = "Everyone, signed in or not, will see its members, its discussion, \
     its prompts and its common-ground conversations, and its purpose's history: every amendment proposed to it, \
     every objection with the name of the person who made it and their reason, and the conversation on each \
     amendment. Stories shared with the group stay for its members only.";

/// The edit page of a group, for its hosts.
#[derive(Debug, Clone)]
pub struct EditPage {
    pub group: GroupRow,
    /// Whether the viewer is an instance moderator (who may open a group
    /// the moderators hold archived, and change it).
    pub moderator: bool,
    /// The purpose, shown but not edited here (amendments change it).
    pub purpose_html: String,
    /// Its latest changes ([`CHANGES_SHOWN`]), newest first.
    pub changes: Vec<ChangeRow>,
}

impl EditPage {
    /// The day it was archived, in words; `None` while it is open.
    pub fn archived_on(&self) -> Option<String> {
        self.group.archived_at.map(crate::format_date)
    }

    /// Whether the moderators hold it archived and the viewer is not one of
    /// them: "Open it again" is not offered, and only hiding it is allowed.
    pub fn held_from_viewer(&self) -> bool {
        self.group.held_at.is_some() && !self.moderator
    }

    /// What the moderators' hold means for its hosts, in words.
    pub fn held_words(&self) -> String {
        held_words(&self.group.name)
    }
}

/// A group the actor may manage (edit, archive): "not found" when they may
/// not see it, refused when they do not host it (instance admins may act as
/// hosts, as for its members).
pub async fn for_managing(db: &Db, actor: &Actor, slug: &str) -> Result<GroupRow> {
    let group = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !can_see(db, &group, Some(actor)).await? {
        return Err(CoreError::NotFound);
    }
    if !is_host(db, actor, group.id).await? {
        return Err(CoreError::Forbidden(format!("Only hosts of {} can change it.", group.name)));
    }
    Ok(group)
}

/// Loads a group's edit page for one of its hosts ([`for_managing`]).
pub async fn edit_page(db: &Db, actor: &Actor, slug: &str) -> Result<EditPage> {
    let group = for_managing(db, actor, slug).await?;
    Ok(EditPage {
        purpose_html: markdown::render(&group.purpose),
        changes: store::changes(db, group.id, CHANGES_SHOWN).await?,
        moderator: actor.is_admin,
        group,
    })
}

/// A join policy in words: "anyone can join", "people ask, a host
/// approves", "by invitation only".
pub fn join_words(policy: &str) -> &str {
    match policy {
        "open" => "anyone can join",
        "request" => "people ask, a host approves",
        "invite" => "by invitation only",
        other => other,
    }
}

/// A visibility in words: "everyone" or "members only".
pub fn visibility_words(visibility: &str) -> &str {
    match visibility {
        "public" => "everyone",
        "members" => "members only",
        other => other,
    }
}

/// One change in a group's or an organisation's log, in words ("changed the
/// name from “A” to “B”").
pub fn change_words(c: &ChangeRow) -> String {
    let policy = |p: &str| join_words(p).to_string();
    match (c.field.as_str(), c.new_value.as_str()) {
        ("visibility", "members") => "made it members only".into(),
        ("visibility", _) => "made it public".into(),
        ("join_policy", new) => format!("changed how people join from “{}” to “{}”", policy(&c.old_value), policy(new)),
        (MEMBERS_ONLY_RULE, new) => format!(
            "changed how people join from “{}” to “{}”: a members-only group can no longer let anyone join",
            policy(&c.old_value),
            policy(new)
        ),
        ("archived", "archived") => "archived it".into(),
        ("archived", _) => "opened it again".into(),
        ("sector", new) => format!(
            "changed the sector from “{}” to “{}”",
            crate::types::sector_label(&c.old_value),
            crate::types::sector_label(new)
        ),
        ("description", _) => "changed the description".into(),
        (field, new) if c.old_value.is_empty() => format!("set the {field} to “{new}”"),
        (field, "") => format!("removed the {field} (it was “{}”)", c.old_value),
        (field, new) => format!("changed the {field} from “{}” to “{new}”", c.old_value),
    }
}

/// The `group_changes.field` of the change migration 0039 made to every
/// members-only group anyone could join (to "by request"), made by no one.
pub const MEMBERS_ONLY_RULE: &str = "join_policy_members_only";

/// Who made a change, in words: their display name and handle, "The meeting
/// house's update" for a change an upgrade made ([`MEMBERS_ONLY_RULE`]),
/// "A former member" for a closed account (whose handle reads as empty:
/// core `closing`), or "Someone whose account is gone".
pub fn change_by(c: &ChangeRow) -> String {
    match (&c.changed_by_name, &c.changed_by_handle) {
        (Some(_), Some(handle)) if handle.is_empty() => crate::closing::A_FORMER_MEMBER.into(),
        (Some(name), Some(handle)) => format!("{name} (@{handle})"),
        _ if c.field == MEMBERS_ONLY_RULE => "An update of the meeting house".into(),
        _ => "Someone whose account is gone".into(),
    }
}

/// A host edits a group's name, visibility and join policy (never its
/// address or purpose); returns the fields changed (none: nothing to save).
/// Checked as when the group was created (a members-only group never lets
/// anyone join, whichever of the two changes), then, in one transaction after the
/// group's row is locked: that the actor hosts it (or is an instance admin),
/// that a members-only group made public was confirmed
/// ([`GroupEditForm::confirm_public`]), and that a new join policy keeps
/// the networks rule (`store::passes_up`): a group anyone may join is never
/// an active member of a group that chooses its members (it would let anyone
/// in), so a group that is in such a network cannot become open, and a
/// group with such member groups cannot stop being open — refused naming
/// the groups. Each change is logged (`group_changes`) in that transaction.
/// An archived group may be edited too (its hosts may still hide it, or
/// rename it); its content stays read-only. One the moderators hold
/// archived keeps its name, and its hosts may only close it further: make
/// it members only, or stop letting anyone join ([`held_words`]; an
/// instance moderator may change anything). A change of visibility puts the
/// group's prompts in the search index or takes them out, in that
/// transaction (`prompts::index_group_prompts`).
pub async fn edit(db: &Db, settings: &Settings, actor: &Actor, slug: &str, form: &GroupEditForm) -> Result<Vec<&'static str>> {
    ensure_can_post(actor, settings)?;
    let group = for_managing(db, actor, slug).await?;
    let mut e = FieldErrors::new();
    let name = check_name(&mut e, &form.name);
    check_choices(&mut e, &form.visibility, &form.join_policy);
    e.into_result()?;
    let mut tx = db.begin().await?;
    store::lock_group(&mut tx, db.backend(), group.id).await?;
    if !hosts_in(&mut tx, actor, group.id).await? {
        return Err(CoreError::Forbidden(format!("Only hosts of {} can change it.", group.name)));
    }
    // The group as it is now, with its row held: another host's change
    // committed meanwhile is what this one changes.
    let now = store::by_id_in(&mut tx, group.id).await?.ok_or(CoreError::NotFound)?;
    // A group the moderators hold archived keeps its name; its hosts may
    // only close it further (members only, people ask or are invited).
    let held = !actor.is_admin && meetinghouse_store::moderation::group_held_in(&mut tx, group.id).await?.is_some();
    let opened = (now.visibility != form.visibility && form.visibility == "public") || (now.join_policy != form.join_policy && form.join_policy == "open");
    if held && (now.name != name || opened) {
        return Err(FieldErrors::one("form", held_words(&now.name)));
    }
    if now.visibility == "members" && form.visibility == "public" && !form.confirm_public {
        return Err(FieldErrors::one(
            "confirm_public",
            format!("Confirm that you want to make {} public: {PUBLIC_WARNING}", now.name),
        ));
    }
    if now.join_policy != form.join_policy {
        store::lock_nesting(&mut tx, db.backend()).await?;
        let (parents, members) = store::nesting_in(&mut tx, group.id).await?;
        if let Some(message) = nesting_refusal(&name, &form.join_policy, &parents, &members) {
            return Err(FieldErrors::one("join_policy", message));
        }
    }
    let mut changed = Vec::new();
    for (field, old, new) in [
        ("name", now.name.as_str(), name.as_str()),
        ("visibility", now.visibility.as_str(), form.visibility.as_str()),
        ("join_policy", now.join_policy.as_str(), form.join_policy.as_str()),
    ] {
        if old != new {
            store::log_change(&mut tx, group.id, actor.id, field, old, new).await?;
            changed.push(field);
        }
    }
    if changed.is_empty() {
        return Ok(changed);
    }
    store::update(&mut tx, group.id, &store::GroupEdit { name: &name, visibility: &form.visibility, join_policy: &form.join_policy }).await?;
    // A public group's prompts have public pages and are in the search
    // index; a members-only group's are not (the index holds only what the
    // public may see, changed in the same transaction).
    if changed.contains(&"visibility") {
        crate::prompts::index_group_prompts(&mut tx, db, group.id, form.visibility == "public").await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(changed)
}

/// Why group `name` may not take join policy `policy`, given the groups it
/// is an active member of (`parents`) and its active member groups
/// (`members`), naming them (at most a few); `None` when the networks rule
/// holds.
fn nesting_refusal(name: &str, policy: &str, parents: &[GroupRow], members: &[GroupRow]) -> Option<String> {
    let names = |groups: Vec<&GroupRow>| {
        let mut words: Vec<String> = groups.iter().take(3).map(|g| g.name.clone()).collect();
        if groups.len() > 3 {
            words.push(format!("{} more", groups.len() - 3));
        }
        words.join(", ")
    };
    let closed: Vec<&GroupRow> = parents.iter().filter(|p| !store::passes_up(policy, &p.join_policy)).collect();
    if !closed.is_empty() {
        return Some(format!(
            "{name} is a member of {}, whose hosts choose their members. If anyone could join {name}, joining it would let anyone into them, \
             so it cannot become open while it is in them: choose “People ask, a host approves” or “By invitation only”, \
             or take {name} out of those networks first.",
            names(closed)
        ));
    }
    let open: Vec<&GroupRow> = members.iter().filter(|m| !store::passes_up(&m.join_policy, policy)).collect();
    if !open.is_empty() {
        return Some(format!(
            "Anyone can join {}, which {} a member of {name}: if {name}'s hosts chose its members, joining {} would let anyone in. \
             Keep {name} open, or take those groups out of it first (their hosts can make them choose their members instead).",
            names(open.clone()),
            if open.len() == 1 { "is" } else { "are each" },
            if open.len() == 1 { "it" } else { "them" },
        ));
    }
    None
}

/// A host archives a group: from now on it is read-only
/// ([`ensure_open_for_changes`]) — what it holds stays readable to those who
/// could read it, requests and invitations stay but cannot be accepted, and
/// its page says since when. Checked and logged in one transaction after the
/// group's row is locked. Returns false when it was archived already.
///
/// Archiving supersedes the group's open amendments in the same transaction
/// (core `purposes::supersede_for_archive`): nobody may object while it is
/// archived, so none may run on through it. [`archive`] tells nobody of
/// that; [`archive_telling`] tells their proposers and objectors.
pub async fn archive(db: &Db, actor: &Actor, slug: &str) -> Result<bool> {
    set_archived(db, None, actor, slug, true).await
}

/// [`archive`], telling the proposers and objectors of the amendments it
/// supersedes.
pub async fn archive_telling(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str) -> Result<bool> {
    set_archived(db, Some(mail), actor, slug, true).await
}

/// A host opens an archived group again; false when it was not archived.
/// One the meeting house's moderators archived only an instance moderator
/// opens again (`moderation::HELD_BY_MODERATORS` to its hosts).
pub async fn unarchive(db: &Db, actor: &Actor, slug: &str) -> Result<bool> {
    set_archived(db, None, actor, slug, false).await
}

async fn set_archived(db: &Db, mail: Option<Mailer<'_>>, actor: &Actor, slug: &str, archived: bool) -> Result<bool> {
    let group = for_managing(db, actor, slug).await?;
    let mut tx = host_turn(db, actor, &group, if archived { "archive it" } else { "open it again" }).await?;
    // A group the meeting house's moderators archived is theirs to open
    // again (core `moderation`, migration 0043): its hosts are refused, and
    // an instance moderator who opens it lets the moderators' hold go.
    if !archived && meetinghouse_store::moderation::group_held_in(&mut tx, group.id).await?.is_some() {
        if !actor.is_admin {
            return Err(CoreError::Forbidden(crate::moderation::HELD_BY_MODERATORS.into()));
        }
        meetinghouse_store::moderation::set_group_held(&mut tx, group.id, None).await?;
    }
    let at = archived.then(meetinghouse_store::now);
    if !store::set_archived(&mut tx, group.id, at).await? {
        return Ok(false);
    }
    let (old, new) = if archived { ("open", "archived") } else { ("archived", "open") };
    store::log_change(&mut tx, group.id, actor.id, "archived", old, new).await?;
    if let Some(at) = at {
        crate::purposes::supersede_for_archive(&mut tx, db, mail, &group, at).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(true)
}
