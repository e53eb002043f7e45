//! `GET /groups/{slug}` — a group's page: purpose, members (people,
//! organisations and groups, a hundred at a time: `?page=2` for more), and
//! the groups it belongs to that the viewer may see (a hundred at a time:
//! `?part_of=2`); for hosts, the member list with its actions and the
//! waiting requests, each with its forms, 25 at a time (`?manage=2`,
//! `?requests=2`, core `groups::HOST_TOOLS_PER_PAGE`); how many amendments
//! to its purpose are open, and until when. A page past the end of one of
//! those lists is "no such page" (404), as for every list
//! (`paging::within`). An address with capitals is sent on (308) to the
//! same address in lower case, the only case addresses are stored in.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meetinghouse_core::FieldErrors;
use meetinghouse_core::groups::{self, GroupPage, Theirs};
use meetinghouse_core::orgs::OrgRow;

use crate::error::WebError;
use crate::forms::FormData;
use crate::page::{Page, render_status};
use crate::paging::{numbered, page_number, within};
use crate::state::AppState;
use crate::viewer::Viewer;

/// How many rows the host tools list at a time (for the page's words).
pub const HOST_ROWS: i64 = groups::HOST_TOOLS_PER_PAGE;

#[derive(Template)]
#[template(path = "groups/show.html")]
struct GroupShow {
    page: Page,
    g: GroupPage,
    /// Organisations the viewer is an admin of, not yet in the group.
    my_orgs: Vec<OrgRow>,
    /// Groups the viewer hosts, other than this one, not yet in it.
    my_groups: Vec<groups::GroupRow>,
    /// The viewer's organisations and groups already in it, or waiting.
    theirs: Vec<Theirs>,
    signed_in: bool,
    n_groups: usize,
    n_orgs: usize,
    n_people: usize,
    form: FormData,
    errors: FieldErrors,
    /// The conversation, except on an invitation's page.
    section: Option<crate::routes::conversations::Section>,
    /// The report link, and what the moderators did to it that stands.
    marks: meetinghouse_core::moderation::PageMarks,
    /// "1 amendment to its purpose is open until …", when any is.
    open_amendments: Option<String>,
    /// The host tools' page of members and invitations
    /// ([`groups::HOST_TOOLS_PER_PAGE`]), which page (from 1), and whether
    /// there is another.
    managed: Vec<meetinghouse_core::groups::MemberView>,
    manage_page: i64,
    more_managed: bool,
    /// The meeting house's address, for the "Add a group" form's example.
    base_url: String,
}

impl GroupShow {
    /// Whether the page shows the "Add a group" form: to a viewer who hosts
    /// a group they could add, to the group's hosts while it is not
    /// archived, and again to whoever was just told what was wrong with it.
    fn shows_nest(&self) -> bool {
        !self.my_groups.is_empty() || (self.g.viewer_is_host && self.g.group.archived_at.is_none()) || self.errors.get("child").is_some()
    }

    /// Whether the moderators hold the group archived and the viewer is not
    /// one of them: the host tools offer no change of role and no removal
    /// of a member (core refuses them: `groups::held_words`).
    fn frozen(&self) -> bool {
        self.g.held() && !self.page.is_admin
    }

    /// What the moderators' hold means for its hosts.
    fn held_words(&self) -> String {
        groups::held_words(&self.g.group.name)
    }

    /// After a refused "Bring your organisation in", the address that was
    /// sent when it is not one of the choices (kept, to show with the error).
    fn org_kept(&self) -> Option<&str> {
        let sent = self.form.get("org");
        (self.errors.get("org").is_some() && !sent.is_empty() && !self.my_orgs.iter().any(|o| o.slug == sent)).then_some(sent)
    }
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    if slug.chars().any(|c| c.is_ascii_uppercase()) {
        return Ok(lower_case_address("/groups", &slug, raw.as_deref()));
    }
    let at = groups::PageAt { members: page_number(&q), requests: numbered(&q, "requests"), parents: numbered(&q, "part_of") };
    render_group_at(&state, &viewer, &slug, StatusCode::OK, FormData::default(), FieldErrors::new(), (at, numbered(&q, "manage"))).await
}

/// A permanent redirect (308) from an address with capitals to the same
/// address in lower case, keeping its query.
pub fn lower_case_address(base: &str, slug: &str, query: Option<&str>) -> Response {
    let to = match query {
        Some(q) if !q.is_empty() => format!("{base}/{}?{q}", slug.to_ascii_lowercase()),
        _ => format!("{base}/{}", slug.to_ascii_lowercase()),
    };
    Redirect::permanent(&to).into_response()
}

/// The group's first page, with a form's input and errors (used by the
/// membership actions).
pub async fn render_group(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    status: StatusCode,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    render_group_at(state, viewer, slug, status, form, errors, (groups::PageAt::default(), 1)).await
}

async fn render_group_at(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    status: StatusCode,
    form: FormData,
    errors: FieldErrors,
    // Each list's page, and the host tools' page (from 1).
    (at, manage_page): (groups::PageAt, i64),
) -> Result<Response, WebError> {
    let g = groups::page_parts(&state.db, slug, viewer.actor.as_ref(), at).await?;
    // A page past the end of a list it shows (the hosts' lists only to them).
    if !g.invitation_only {
        within(g.members_page, g.members.is_empty())?;
        within(g.parents_page, g.parents.is_empty())?;
        if g.viewer_is_host {
            within(g.requests_page, g.requests.is_empty())?;
        }
    }
    let section = if g.invitation_only {
        None
    } else {
        Some(crate::routes::conversations::section(state, viewer, meetinghouse_core::subjects::Subject::Group(g.group.id)).await?)
    };
    let offers = match &viewer.actor {
        Some(actor) if !g.invitation_only => groups::offers(&state.db, actor, g.group.id).await?,
        _ => groups::Offers::default(),
    };
    let marks = meetinghouse_core::moderation::group_page_marks(&state.db, &g.group, viewer.actor.as_ref()).await?;
    let open_amendments =
        if g.invitation_only { None } else { meetinghouse_core::purposes::open_summary(&state.db, g.group.id).await?.words() };
    let (managed, more_managed) = match &viewer.actor {
        Some(actor) if g.viewer_is_host => groups::managed(&state.db, actor, g.group.id, manage_page).await?,
        _ => (Vec::new(), false),
    };
    if g.viewer_is_host {
        within(manage_page, managed.is_empty())?;
    }
    let count = |kind: &str| g.members.iter().filter(|m| m.member_kind == kind).count();
    let (n_groups, n_orgs, n_people) = (count("group"), count("org"), count("person"));
    Ok(render_status(
        status,
        &GroupShow {
            n_groups,
            n_orgs,
            n_people,
            page: Page::new(viewer, g.group.name.clone()),
            g,
            my_orgs: offers.orgs,
            my_groups: offers.groups,
            theirs: offers.theirs,
            signed_in: viewer.actor.is_some(),
            form,
            errors,
            section,
            marks,
            open_amendments,
            managed,
            manage_page,
            more_managed,
            base_url: state.config.base_url.trim_end_matches('/').to_string(),
        },
    ))
}
