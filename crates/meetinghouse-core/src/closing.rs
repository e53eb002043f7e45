//! Closing one's own account (`/me/close`; docs/design/0008-closing-accounts.md).
//!
//! A signed-in person closes their account with their password and one
//! choice: their stories and replies are removed ([`Posts::Remove`], the
//! default) or stay, shown as by a former member ([`Posts::Keep`]). Closing
//! is refused, saying what to do first, while it would leave a group with
//! other members without a host, an organisation with other members without
//! an admin, or the meeting house without an instance admin ([`plan`] says
//! so before the form is sent; [`close`] checks again in its transaction).
//!
//! What closing does, in one transaction ([`close`]):
//! - the person's row stays as a tombstone, since rows everywhere refer to
//!   it (store `closing::tombstone`): closed, named [`FORMER_MEMBER`], no
//!   pronouns, bio or sectors; its email a placeholder that is no address, so
//!   the address may sign up again; a password hash nothing matches; its
//!   handle kept reserved (`handle_lower`) but shown nowhere (`handle` is
//!   empty), so nobody can take it up and pose as them, and its page says
//!   the account was closed;
//! - sessions, email and reset links, a pending change of address,
//!   notification settings, notifications to them, mail to their address in
//!   the outbox, their own blocks and mutes, thanks sent to them,
//!   memberships, invitations and requests, and invite codes they made that
//!   were not used: removed;
//! - a group they host alone that has no other members is archived (logged
//!   as their change); an organisation they run alone with no other members
//!   is left as it is, without an admin (organisations have no archived
//!   state; the instance moderators still act on what it holds);
//! - drafts are deleted whatever the choice (nobody else could ever publish
//!   them); with [`Posts::Remove`], every story shown to others is deleted
//!   as its author deletes one (store `stories::set_deleted` and the search
//!   index, so the hourly retention purge erases it and its photos after
//!   the restore window), every reply not retracted is retracted as its
//!   author retracts one (its text and history go at once), and their
//!   statements in common-ground conversations still open are taken out as
//!   a host takes one out. An organisation's announcements they wrote stay
//!   with the organisation under either choice: they are its words;
//! - their votes stay, anonymous as all votes are; reports and the
//!   moderation log stay, naming them as a former member; the notifications
//!   others were sent about them name "A former member" instead
//!   (store `closing::rename_in_notifications`);
//! - a last email to their old address (when it was confirmed) says it is
//!   closed.

use meetinghouse_store::closing::{self as store, GroupRunAlone, OrgRunAlone, Posted, Tombstone};
use meetinghouse_store::common_ground as store_cg;
use meetinghouse_store::conversations as store_replies;
use meetinghouse_store::{StoreError, email_changes, groups as store_groups, orgs as store_orgs, outbox, people, sessions, stories as store_stories};

use crate::error::{CoreError, FieldErrors, Result};
use crate::notifications::Mailer;
use crate::types::Handle;
use crate::{Actor, Db, secrets};

/// The name a closed account goes by wherever it is still shown.
pub const FORMER_MEMBER: &str = "Former member";

/// How the notifications others were sent about a closed account name it.
pub const A_FORMER_MEMBER: &str = "A former member";

/// The password hash of a closed account: not a PHC string, so no password
/// ever verifies against it (`secrets::verify_password` is false on a hash
/// it cannot read).
const UNUSABLE_HASH: &str = "!closed";

/// The outbox kind of the last email, telling the person it is closed.
pub const CLOSED_KIND: &str = "account_closed";

/// Someone named by their name and handle, as the moderators' pages and
/// logs name people ("Sam (@sam)"), or "a former member" for a closed
/// account, whose handle reads as empty.
pub fn named(name: &str, handle: &str) -> String {
    if handle.is_empty() { "a former member".into() } else { format!("{name} (@{handle})") }
}

/// What happens to a person's stories and replies when they close their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posts {
    /// Removed: stories deleted, replies retracted, open statements taken out.
    Remove,
    /// Kept, shown as by a former member.
    Keep,
}

impl Posts {
    /// The form's value: `remove` or `keep`.
    pub fn parse(raw: &str) -> Option<Posts> {
        match raw.trim() {
            "remove" => Some(Posts::Remove),
            "keep" => Some(Posts::Keep),
            _ => None,
        }
    }
}

/// What a person sends to close their account.
#[derive(Debug, Clone, Default)]
pub struct CloseForm {
    /// Their current password.
    pub password: String,
    /// `remove` or `keep` ([`Posts::parse`]).
    pub posts: String,
}

/// What closing an account would do, and what stands in its way, for the
/// page that explains it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Why it cannot be closed yet, each saying what to do first; empty
    /// when it can.
    pub refusals: Vec<String>,
    /// The groups it would archive: (address, name).
    pub archives: Vec<(String, String)>,
    /// The organisations it would leave without an admin: (address, name).
    pub leaves_without_admin: Vec<(String, String)>,
    pub posted: Posted,
}

/// What [`close`] did.
#[derive(Debug, Clone, Copy)]
pub struct Closed {
    pub posts: Posts,
    /// Stories deleted (drafts included) and replies retracted.
    pub stories_deleted: usize,
    pub replies_retracted: usize,
    /// Common-ground statements taken out.
    pub statements_taken_out: usize,
    /// Groups archived because nobody else was in them.
    pub groups_archived: usize,
    /// Whether the last email was queued (only to a confirmed address).
    pub emailed: bool,
}

fn last_host(g: &GroupRunAlone) -> String {
    format!(
        "You are the only host of the group “{}”, which has other members: make one of them a host on the group’s page \
         (or remove them), then close your account.",
        g.name
    )
}

fn last_admin(o: &OrgRunAlone) -> String {
    format!(
        "You are the only admin of the organisation “{}”, which has other members: make one of them an admin on its page \
         (or remove them), then close your account.",
        o.name
    )
}

/// Why the last instance admin cannot close their account.
pub const LAST_INSTANCE_ADMIN: &str = "You are the meeting house’s only instance admin: someone else must be one first. \
     The operator makes an account an admin with `meetinghouse admin promote HANDLE`; then close your account.";

/// Why the operator cannot close `handle`'s account yet, in words for the
/// operator (the owner's refusals say "you").
fn operator_refusal(handle: &str, last_admin_here: bool, groups: &[GroupRunAlone], orgs: &[OrgRunAlone]) -> String {
    let mut out = Vec::new();
    if last_admin_here {
        out.push(format!("@{handle} is the meeting house’s only active instance admin: make another account an admin first (`meetinghouse admin promote HANDLE`)."));
    }
    for g in groups.iter().filter(|g| g.others > 0) {
        out.push(format!(
            "@{handle} is the only host of the group “{}” (/groups/{}), which has other members: an instance admin or @{handle} must make one of them a host first.",
            g.name, g.slug
        ));
    }
    for o in orgs.iter().filter(|o| o.others > 0) {
        out.push(format!(
            "@{handle} is the only admin of the organisation “{}” (/orgs/{}), which has other members: an instance admin or @{handle} must make one of them an admin first.",
            o.name, o.slug
        ));
    }
    out.join(" ")
}

fn refusals(last_admin_here: bool, groups: &[GroupRunAlone], orgs: &[OrgRunAlone]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if last_admin_here {
        out.push(LAST_INSTANCE_ADMIN.into());
    }
    out.extend(groups.iter().filter(|g| g.others > 0).map(last_host));
    out.extend(orgs.iter().filter(|o| o.others > 0).map(last_admin));
    out
}

/// What closing `actor`'s account would do now, and what stands in its way.
pub async fn plan(db: &Db, actor: &Actor) -> Result<Plan> {
    let active_admins: Vec<i64> = people::admins(db).await?.into_iter().filter(|a| a.status == "active").map(|a| a.id).collect();
    let groups = store::groups_run_alone(db, actor.id).await?;
    let orgs = store::orgs_run_alone(db, actor.id).await?;
    Ok(Plan {
        refusals: refusals(active_admins == [actor.id], &groups, &orgs),
        archives: groups.iter().filter(|g| g.others == 0 && g.archived == 0).map(|g| (g.slug.clone(), g.name.clone())).collect(),
        leaves_without_admin: orgs.iter().filter(|o| o.others == 0).map(|o| (o.slug.clone(), o.name.clone())).collect(),
        posted: store::posted(db, actor.id).await?,
    })
}

/// Closes `actor`'s account (see the module's comment), after checking
/// their password — off the async threads, two at a time, as every
/// password check — and their choice. Refused with what to do first
/// ([`CoreError::Forbidden`]) while they are the last host of a group or
/// the last admin of an organisation with other members, or the last
/// instance admin: counted in the closing transaction after the rows of
/// those groups, organisations and admins are locked (`groups::lock_group`,
/// `orgs::lock`, `people::lock_active_admins`), as every change that could
/// leave one without a host or an admin counts them. The caller signs the
/// browser out; every other session is gone with the account.
pub async fn close(db: &Db, mail: Mailer<'_>, actor: &Actor, form: &CloseForm) -> Result<Closed> {
    let mut e = FieldErrors::new();
    let posts = Posts::parse(&form.posts);
    if posts.is_none() {
        e.add("posts", "Choose what happens to your stories and replies.");
    }
    let person = people::by_id(db, actor.id).await?.ok_or(CoreError::NotFound)?;
    if form.password.is_empty() {
        e.add("password", "Enter your password: closing your account needs it.");
    } else if !secrets::verify_password_queued(&form.password, &person.password_hash).await {
        e.add("password", "That is not your password. Check it and try again; if you forgot it, sign out and choose a new one first.");
    }
    e.into_result()?;
    let posts = posts.expect("checked above");
    let closed = close_account(db, mail, actor.id, posts, Closer::Owner).await?;
    tracing::info!(person_id = actor.id, removed = (posts == Posts::Remove), groups_archived = closed.groups_archived, "account closed by its owner");
    Ok(closed)
}

/// Who closes an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closer {
    /// Its owner, from `/me/close`.
    Owner,
    /// The operator, on the command line, for an erasure request from
    /// someone who cannot sign in (suspended, banned, waiting for approval).
    Operator,
}

/// Closes the account with handle `handle` for the meeting house's
/// operator (`meetinghouse admin close`), without its password: as its
/// owner closing it would, with the same refusals (the last host of a group
/// or admin of an organisation with other members, the last instance
/// admin) and the same last email, which says the operator closed it.
pub async fn close_by_operator(db: &Db, mail: Mailer<'_>, handle: &str, posts: Posts) -> Result<(String, Closed)> {
    let handle = Handle::parse(handle.trim().trim_start_matches('@')).map_err(|_| CoreError::NotFound)?;
    let person = people::by_handle(db, handle.as_str()).await?.ok_or(CoreError::NotFound)?;
    let closed = close_account(db, mail, person.id, posts, Closer::Operator).await?;
    tracing::info!(person_id = person.id, removed = (posts == Posts::Remove), groups_archived = closed.groups_archived, "account closed by the operator");
    Ok((person.handle, closed))
}

async fn close_account(db: &Db, mail: Mailer<'_>, person_id: i64, posts: Posts, closer: Closer) -> Result<Closed> {
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let person = people::by_id_in(&mut tx, person_id).await?.ok_or(CoreError::NotFound)?;
    let last_admin_here = person.is_admin != 0 && people::lock_active_admins(&mut tx, backend).await? == [person.id];
    // Their own row next, before any group's (as every write of theirs
    // takes it first: `accounts::ensure_still_open`), so a story or a reply
    // being written now either finishes first, and is found below, or waits
    // and is refused.
    if !people::still_open_in(&mut tx, person.id).await? {
        // Closed by another request a moment ago.
        return Err(CoreError::NotFound);
    }
    for g in store::hosted_groups_in(&mut tx, person.id).await? {
        store_groups::lock_group(&mut tx, backend, g).await?;
    }
    let groups = store::groups_run_alone_in(&mut tx, person.id).await?;
    for o in store::admin_orgs_in(&mut tx, person.id).await? {
        store_orgs::lock(&mut tx, backend, o).await?;
    }
    let orgs = store::orgs_run_alone_in(&mut tx, person.id).await?;
    let refused = refusals(last_admin_here, &groups, &orgs);
    if !refused.is_empty() {
        return Err(CoreError::Forbidden(match closer {
            Closer::Owner => refused.join(" "),
            Closer::Operator => operator_refusal(&person.handle, last_admin_here, &groups, &orgs),
        }));
    }

    let placeholder = format!("closed-account-{}", person.id);
    let choice = match posts {
        Posts::Remove => "remove",
        Posts::Keep => "keep",
    };
    let tombstone = Tombstone { placeholder: &placeholder, unusable_hash: UNUSABLE_HASH, display_name: FORMER_MEMBER, posts: choice };
    if !store::tombstone(&mut tx, person.id, &tombstone).await? {
        // Closed by another request a moment ago.
        return Err(CoreError::NotFound);
    }
    let now = meetinghouse_store::now();
    let mut groups_archived = 0;
    for g in groups.iter().filter(|g| g.others == 0) {
        if store_groups::set_archived(&mut tx, g.id, Some(now)).await? {
            store_groups::log_change(&mut tx, g.id, person.id, "archived", "open", "archived").await?;
            groups_archived += 1;
        }
    }
    // Their open amendments are withdrawn (nobody could withdraw them any
    // more, and silence must not adopt them), and those whose objections
    // stand are told; each group's row, then the amendment's, is locked as
    // settling takes them.
    crate::purposes::withdraw_for_closing(&mut tx, db, mail, person.id, now).await?;
    store::remove_personal(&mut tx, person.id).await?;
    // Their collection imports waiting for an instance admin are declined
    // (their files go): nobody is left to run them for, or to tell.
    meetinghouse_store::collection_imports::decline_waiting_of(&mut tx, person.id, crate::collection::jobs::SENDER_CLOSED).await?;
    email_changes::cancel(&mut tx, person.id).await?;
    sessions::delete_for_person_in(&mut tx, person.id).await?;
    store::rename_in_notifications(&mut tx, person.id, &person.display_name, &person.handle, A_FORMER_MEMBER).await?;
    store::remove_mail_to(&mut tx, &person.email).await?;

    // What they posted, through the paths that remove it one at a time.
    let stories = store::stories_to_delete(&mut tx, person.id, posts == Posts::Remove).await?;
    for id in &stories {
        store_stories::set_deleted(&mut tx, *id, Some(now)).await?;
        crate::search::unindex(&mut tx, db, "story", *id).await?;
    }
    let (mut replies_retracted, mut statements_taken_out) = (0, 0);
    if posts == Posts::Remove {
        for id in store::replies_to_retract(&mut tx, person.id).await? {
            store_replies::retract(&mut tx, id, "").await?;
            replies_retracted += 1;
        }
        for (statement, conversation) in store::open_statements_by(&mut tx, person.id).await? {
            if store_cg::change_open(&mut tx, conversation).await? {
                store_cg::set_statement_status(&mut tx, statement, "rejected").await?;
                statements_taken_out += 1;
            }
        }
    }

    let emailed = person.email_verified_at.is_some();
    if emailed {
        let (subject, body) = last_email(mail, &person.handle, posts, closer);
        outbox::enqueue(&mut tx, &person.email, &subject, &body, CLOSED_KIND).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Closed { posts, stories_deleted: stories.len(), replies_retracted, statements_taken_out, groups_archived, emailed })
}

/// The last email, to the old address: (subject, body).
fn last_email(mail: Mailer<'_>, handle: &str, posts: Posts, closer: Closer) -> (String, String) {
    let name = &mail.settings.name;
    let what = match posts {
        Posts::Remove => "Your stories and replies are removed: nobody sees them any more, and the stories and their photos \
                          are erased for good within 30 days. Announcements you wrote in an organisation's name stay with it.",
        Posts::Keep => "Your stories and replies stay, shown as by “a former member”, without your name. Your drafts are deleted.",
    };
    let body = format!(
        "Your account on {name} (@{handle}) is closed, as you asked{by}. You are signed out everywhere, and nobody can sign in to it.\n\n\
         {what}\n\n\
         Your email address is no longer part of the account: you are welcome to make a new account with it at any time, \
         at {base}/signup. The meeting house keeps this message, with your address, for at most 30 days.\n\n\
         If you did not close it, write to the admins of {name}: {base}/about says how to reach them.\n",
        base = mail.base_url,
        by = if closer == Closer::Operator { " (the meeting house’s operator closed it for you)" } else { "" },
    );
    (format!("Your {name} account is closed"), body)
}

/// Whether the account whose profile address is `/@{handle}` was closed
/// (its profile says so, where an address that names nobody is "not found").
pub async fn handle_closed(db: &Db, handle: &str) -> Result<bool> {
    let Ok(handle) = Handle::parse(handle) else { return Ok(false) };
    Ok(store::closed_by_handle(db, handle.as_str()).await?.is_some())
}

/// How many stories, replies and statements of closed accounts one run of
/// [`purge_leftovers`] removes at most, of each.
const LATE_PER_RUN: i64 = 500;

/// Removes what reached closed accounts after they closed (run by the
/// hourly purge, core `retention`): see store `closing::purge_leftovers`.
/// And, as a backstop to the guard every write of content takes first
/// (`accounts::ensure_still_open`), what closing would remove now and finds
/// still there — a story or a reply that a request begun before the close
/// wrote after it, had the guard been missed — through the same paths
/// closing removes them by: every draft, and with the choice "remove"
/// every story, reply and open statement. Returns how many rows went.
pub async fn purge_leftovers(db: &Db) -> Result<u64> {
    let mut n = store::purge_leftovers(db).await?;
    let now = meetinghouse_store::now();
    for id in store::late_stories(db, LATE_PER_RUN).await? {
        let mut tx = db.begin().await?;
        if store_stories::set_deleted(&mut tx, id, Some(now)).await? {
            crate::search::unindex(&mut tx, db, "story", id).await?;
            n += 1;
        }
        tx.commit().await.map_err(StoreError::from)?;
    }
    for id in store::late_replies(db, LATE_PER_RUN).await? {
        let mut tx = db.begin().await?;
        store_replies::retract(&mut tx, id, "").await?;
        tx.commit().await.map_err(StoreError::from)?;
        n += 1;
    }
    for (statement, conversation) in store::late_statements(db, LATE_PER_RUN).await? {
        let mut tx = db.begin().await?;
        if store_cg::change_open(&mut tx, conversation).await? {
            store_cg::set_statement_status(&mut tx, statement, "rejected").await?;
            n += 1;
        }
        tx.commit().await.map_err(StoreError::from)?;
    }
    if n > 0 {
        tracing::info!(rows = n, "removed what reached or was left of closed accounts");
    }
    Ok(n)
}
