//! Moderation and safety: reports, the queue (instance moderators see all of
//! it; the hosts of a group, an organisation or a prompt the part about what
//! they host), restorative actions with an audit log, an optional public
//! log, review of new accounts' first replies, the "pause before posting"
//! word list, blocks and mutes.
//!
//! Amendments to a group's purpose and objections to them are reported like
//! replies, but only instance moderators decide those reports: the group's
//! hosts have a stake in what becomes of its purpose. A decision can hide
//! their words, never change whether an objection counts or undo an
//! adoption (docs/design/0007-purposes.md, "Reports"); their author may ask
//! the moderators to look again.
//!
//! Groups and organisations themselves are reported too (a group set up to
//! harass someone, an organisation posing as the council), and only
//! instance moderators decide those reports: a group's hosts and an
//! organisation's admins have a stake in it. A decision can warn its hosts
//! or admins, archive a group and hold it archived (only the moderators open
//! it again), hide an organisation's description and website, or flag an
//! organisation as not confirmed to be who its name says; "restore" undoes
//! them, and its hosts or admins may ask for that (migration 0043).
//!
//! What the meeting house's moderators (instance admins) do is theirs to
//! undo: a story they removed, and a reply they hid (migration 0051,
//! [`store::ReplyHiding`]), are shown again only by them, and the author's
//! request for a review reaches only them. An instance admin is never
//! suspended or banned from the queue ([`ADMINS_NOT_SUSPENDED`]); the
//! operator demotes one first, and lifts a suspension or a ban from the
//! command line when no admin can sign in ([`lift_by_operator`]).

use std::collections::HashMap;

use meetinghouse_store::conversations as store_replies;
use meetinghouse_store::conversations::ReplyRow;
use meetinghouse_store::groups::{self as store_groups, MemberKind};
use meetinghouse_store::moderation::{self as store, ActionRow, NewAction, OrgMarks, Posted, ReportRow, StoryRemoval, Suspension};
use meetinghouse_store::purposes::{self as store_purposes, AmendmentRow, ObjectionRow};
use meetinghouse_store::stories::{self as store_stories, Byline, StoryRow};
use meetinghouse_store::{Db, StoreError, orgs as store_orgs, people, prompts as store_prompts, settings as store_settings};

use crate::error::{CoreError, FieldErrors, Result};
use crate::notifications::{self, Kind, Mailer};
use crate::subjects::{self, Subject};
use crate::types::{Handle, text};
use crate::{Actor, conversations};

pub const DETAILS_MAX: usize = 2_000;
pub const SUSPEND_DAYS_MAX: i64 = 365;

/// Why something is reported: (key, label).
pub const CATEGORIES: &[(&str, &str)] = &[
    ("harassment", "Harassment or bullying"),
    ("hate", "Hate or discrimination"),
    ("safeguarding", "Someone may be at risk (including a child)"),
    ("privacy", "It shares someone's private details"),
    ("spam", "Spam or advertising"),
    ("misleading", "False or misleading information"),
    ("impersonation", "It pretends to be someone else (a person, an organisation, the council)"),
    ("other", "Something else"),
];

/// What a moderator can do: (key, label, instance moderators only).
pub const ACTIONS: &[(&str, &str, bool)] = &[
    ("dismiss", "Dismiss: nothing needs doing", false),
    ("approve", "Publish it (a first contribution waiting for review)", false),
    ("hide", "Hide it, with a note to the author", false),
    ("restore", "Restore it (show it again)", false),
    ("warn", "Warn the author, with a note", false),
    ("suspend", "Suspend the author for some days", true),
    ("ban", "Ban the author", true),
    ("archive", "Archive the group, with a note to its hosts", true),
    ("flag", "Flag the organisation as not confirmed, with a note to its admins", true),
];

/// Words that prompt a pause before posting, unless the admins set their own.
pub const DEFAULT_PAUSE_WORDS: &str = "idiot, stupid, moron, shut up, pathetic, disgusting";

/// The instance's conversation rules (instance settings with `conv_` keys).
#[derive(Debug, Clone)]
pub struct Policy {
    /// A new account's first this-many replies wait for review (0: off).
    pub review_first: i64,
    /// Words or phrases that prompt a pause before posting (lower case).
    pub pause_words: Vec<String>,
    /// Whether the moderation log (what and why, never who reported) is public.
    pub public_log: bool,
}

impl Policy {
    pub async fn load(db: &Db) -> Result<Policy> {
        Ok(Policy::from_settings(&store_settings::all(db).await?))
    }

    /// The policy in the instance settings' (key, value) pairs.
    pub fn from_settings(all: &[(String, String)]) -> Policy {
        let get = |k: &str| all.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        Policy {
            review_first: get("conv_review_first").and_then(|v| v.parse().ok()).unwrap_or(0),
            pause_words: split_words(&get("conv_pause_words").unwrap_or_else(|| DEFAULT_PAUSE_WORDS.into())),
            public_log: get("conv_public_log").is_some_and(|v| v == "true"),
        }
    }

    /// The listed words a text contains (whole words, any case).
    pub fn pause_hits(&self, body: &str) -> Vec<String> {
        let folded: String = body.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
        let padded = format!(" {} ", folded.split_whitespace().collect::<Vec<_>>().join(" "));
        self.pause_words.iter().filter(|w| padded.contains(&format!(" {w} "))).cloned().collect()
    }
}

fn split_words(raw: &str) -> Vec<String> {
    raw.split([',', '\n'])
        .map(|w| w.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect::<String>())
        .map(|w| w.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|w| !w.is_empty())
        .collect()
}

/// What an admin submits on the conversation settings page.
#[derive(Debug, Clone, Default)]
pub struct PolicyForm {
    pub review_first: String,
    pub pause_words: String,
    pub public_log: bool,
}

pub async fn save_policy(db: &Db, actor: &Actor, form: &PolicyForm) -> Result<()> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only instance admins can change these settings.".into()));
    }
    let mut e = FieldErrors::new();
    let review = match form.review_first.trim() {
        "" => 0,
        raw => match raw.parse::<i64>() {
            Ok(n) if (0..=50).contains(&n) => n,
            _ => {
                e.add("review_first", "Enter a number from 0 (off) to 50.");
                0
            }
        },
    };
    let words = text(&mut e, "pause_words", "The word list", &form.pause_words, 4_000, false);
    e.into_result()?;
    let mut tx = db.begin().await?;
    store_settings::put(&mut tx, "conv_review_first", &review.to_string()).await?;
    store_settings::put(&mut tx, "conv_pause_words", &words).await?;
    store_settings::put(&mut tx, "conv_public_log", if form.public_log { "true" } else { "false" }).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// What a person submits to report a reply, a story, a person, an
/// amendment to a group's purpose or an objection to one, a group, an
/// organisation, a common-ground statement, a prompt or a collection object.
#[derive(Debug, Clone, Default)]
pub struct ReportForm {
    /// `reply`, `story`, `person`, `amendment`, `objection`, `group`,
    /// `org`, `statement`, `prompt` or `object`.
    pub target_kind: String,
    /// The reply's, story's, amendment's, objection's, statement's,
    /// prompt's or object's id, the person's handle, or the group's or
    /// organisation's address (its slug).
    pub target: String,
    pub category: String,
    pub details: String,
}

/// The category of a request to look again at what the moderators did,
/// sent through [`report`]: by the author of a story they removed or of an
/// amendment or objection whose words they hid, or by the hosts of a group
/// they archived or the admins of an organisation they marked.
pub const REVIEW_REQUEST: &str = "review-request";

/// Why the author of a story the moderators removed cannot restore it.
pub const STORY_REMOVED: &str = "The moderators removed this story, so you cannot restore it yourself. \
     If you think this was a mistake, ask them to look again: use “Ask for a review” on the story's page.";

/// Why an amendment or an objection whose words the moderators hid cannot
/// be reported again.
pub const WORDS_REMOVED: &str = "The moderators have already removed these words.";

/// How many reports (review requests included) one account files in an
/// hour, counted in the database in the transaction that files the next
/// one ([`store::reports_filed_since`]), so neither a restart nor another
/// app server starts a new budget.
pub const REPORTS_PER_HOUR: i64 = 10;

/// What someone who filed [`REPORTS_PER_HOUR`] reports in the last hour is told.
pub const TOO_MANY_REPORTS: &str = "You have sent many reports in the last hour. Thank you — please wait a while before sending more; \
     the moderators are looking at the ones you sent.";

/// Why an account still waiting for an admin's approval cannot report.
pub const WAITING_CANNOT_REPORT: &str = "Your account is still waiting for an admin's approval, so it cannot send reports yet. \
     If someone may be at risk, write to the admins now: the About page (/about) says how to reach them.";

/// The categories the queue lists first, whatever their age: someone may be
/// at risk, or someone's private details are out. Both get worse by the
/// hour, and neither is a category a flood of spam reports needs.
pub const URGENT: [&str; 2] = store::URGENT;

/// Why someone who hosts a prompt does not report it.
pub const OWN_PROMPT: &str = "You host this prompt: you can edit or close it yourself.";

/// Why an organisation's staff do not report an object of its collection.
pub const OWN_OBJECT: &str = "You work for this organisation: you can withdraw the object from its collection yourself.";

/// Files a report. Reporting the same thing twice is refused kindly.
/// Anyone signed in may report harm, an account with an unconfirmed email
/// address included; a suspended account may not (it cannot sign in, but a
/// session could outlive the suspension), nor one still waiting for an
/// admin's approval ([`WAITING_CANNOT_REPORT`]: it is told how to reach the
/// admins), so accounts made in bulk cannot flood the queue. An account
/// files at most [`REPORTS_PER_HOUR`] reports an hour ([`TOO_MANY_REPORTS`]).
///
/// A common-ground statement is reported by anyone who may see it (an
/// accepted statement of a conversation they may see), never by its author;
/// the report reaches the conversation's hosts and the instance moderators.
/// A prompt is reported by anyone who may see it but its hosts (who edit or
/// close it, [`OWN_PROMPT`]), and reaches its hosts; a collection object by
/// anyone but its organisation's staff ([`OWN_OBJECT`]), while it is in the
/// collection, and reaches that staff.
///
/// A group or an organisation is reported by anyone who may see it (a
/// members-only group is "not found" to others), never by its own hosts or
/// admins, who can change it themselves ([`OWN_GROUP`], [`OWN_ORG`]). The
/// report records no scope: only instance moderators decide it
/// ([`PLACE_REPORTS`]).
///
/// A story is reported as a reply is: only by someone who may see it, never
/// by its author, and the report is in the queue of the instance
/// moderators and of the story's hosts (the staff of the organisation it
/// speaks for, the hosts of its group and of the prompt it answers). Its
/// author may instead, once the moderators removed it, ask them to look
/// again (category [`REVIEW_REQUEST`]): only instance moderators see that.
///
/// An amendment to a group's purpose, or an objection to one, is reported
/// as a reply is: by anyone who may see the group (others get "not found"),
/// never by its author, and not once the moderators hid its words
/// ([`WORDS_REMOVED`]). The report records no scope: only instance
/// moderators decide it, never the group's hosts, who have a stake in what
/// becomes of its purpose.
pub async fn report(db: &Db, actor: &Actor, form: &ReportForm) -> Result<()> {
    if actor.status == "pending" {
        return Err(CoreError::Forbidden(WAITING_CANNOT_REPORT.into()));
    }
    if actor.status != "active" {
        return Err(CoreError::Forbidden("This account is suspended, so it cannot send reports.".into()));
    }
    if form.category == REVIEW_REQUEST {
        return match form.target_kind.as_str() {
            "story" => {
                let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
                request_story_review(db, actor, id, &form.details).await
            }
            "amendment" | "objection" => {
                let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
                request_words_review(db, actor, &form.target_kind, id, &form.details).await
            }
            "group" | "org" => request_place_review(db, actor, &form.target_kind, &form.target, &form.details).await,
            _ => Err(CoreError::NotFound),
        };
    }
    let (kind, target_id, group_id) = match form.target_kind.as_str() {
        "reply" => {
            let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
            let (r, info) = conversations::visible_reply(db, id, Some(actor)).await?;
            if r.author_person == actor.id {
                return Err(CoreError::Forbidden("This is your own reply: you can edit or retract it instead.".into()));
            }
            ("reply", id, info.group_id)
        }
        "story" => {
            let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
            let story = store_stories::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            if !crate::stories::can_see(db, &story, Some(actor)).await? {
                return Err(CoreError::NotFound);
            }
            if story.author_person == actor.id {
                return Err(CoreError::Forbidden("This is your own story: you can edit or delete it instead.".into()));
            }
            ("story", id, story.group_id)
        }
        "amendment" => {
            let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
            let a = store_purposes::amendment(db, id).await?.ok_or(CoreError::NotFound)?;
            visible_amendment_group(db, &a, actor).await?;
            if a.proposed_by == actor.id {
                return Err(CoreError::Forbidden("This is your own amendment: you can withdraw it while it is open.".into()));
            }
            if a.hidden_at.is_some() {
                return Err(CoreError::Forbidden(WORDS_REMOVED.into()));
            }
            ("amendment", id, None)
        }
        "objection" => {
            let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
            let o = store_purposes::objection(db, id).await?.ok_or(CoreError::NotFound)?;
            let a = store_purposes::amendment(db, o.amendment_id).await?.ok_or(CoreError::NotFound)?;
            visible_amendment_group(db, &a, actor).await?;
            if o.person_id == actor.id {
                return Err(CoreError::Forbidden("This is your own objection: you can change or withdraw it while the amendment is open.".into()));
            }
            if o.hidden_at.is_some() {
                return Err(CoreError::Forbidden(WORDS_REMOVED.into()));
            }
            ("objection", id, None)
        }
        "group" => {
            let g = crate::groups::by_address(db, form.target.trim()).await?.ok_or(CoreError::NotFound)?;
            if !crate::groups::can_see(db, &g, Some(actor)).await? {
                return Err(CoreError::NotFound);
            }
            if hosts_group(db, g.id, actor.id).await? {
                return Err(CoreError::Forbidden(OWN_GROUP.into()));
            }
            ("group", g.id, None)
        }
        "org" => {
            let o = crate::orgs::by_address(db, form.target.trim()).await?.ok_or(CoreError::NotFound)?;
            if admin_of(db, o.id, actor.id).await? {
                return Err(CoreError::Forbidden(OWN_ORG.into()));
            }
            ("org", o.id, None)
        }
        "statement" => {
            let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
            let st = store::reported_statement(db, id).await?.ok_or(CoreError::NotFound)?;
            // Seen as its conversation is, and only once it is in it.
            crate::common_ground::load(db, st.conversation_id, Some(actor)).await?;
            if st.status != "accepted" {
                return Err(CoreError::NotFound);
            }
            if st.author_person == Some(actor.id) {
                return Err(CoreError::Forbidden("This is your own statement: you cannot report it.".into()));
            }
            ("statement", id, st.group_id)
        }
        "prompt" => {
            let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
            subjects::resolve(db, Subject::Prompt(id), Some(actor)).await?;
            let p = store_prompts::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            if p.host_person == actor.id || crate::prompts::hosted_by(db, &p, actor.id).await? {
                return Err(CoreError::Forbidden(OWN_PROMPT.into()));
            }
            ("prompt", id, None)
        }
        "object" => {
            let id = form.target.trim().parse::<i64>().map_err(|_| CoreError::NotFound)?;
            let o = meetinghouse_store::objects::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            if crate::orgs::is_staff(db, o.org_id, actor.id).await? {
                return Err(CoreError::Forbidden(OWN_OBJECT.into()));
            }
            if o.withdrawn() {
                return Err(CoreError::Forbidden("This object is no longer in the collection.".into()));
            }
            ("object", id, None)
        }
        "person" => {
            let handle = Handle::parse(&form.target).map_err(|_| CoreError::NotFound)?;
            let p = people::by_handle(db, handle.as_str()).await?.ok_or(CoreError::NotFound)?;
            if p.id == actor.id {
                return Err(CoreError::Forbidden("You cannot report yourself.".into()));
            }
            ("person", p.id, None)
        }
        _ => return Err(CoreError::NotFound),
    };
    let mut e = FieldErrors::new();
    if !CATEGORIES.iter().any(|(k, _)| *k == form.category) {
        e.add("category", "Choose what is wrong.");
    }
    let details = text(&mut e, "details", "What happened", &form.details, DETAILS_MAX, form.category == "other");
    e.into_result()?;
    let filing = Filing { kind, target_id, category: &form.category, details: &details, group_id };
    file(db, actor, &filing, ("category", "You have already reported this. The moderators will look at it — thank you.")).await?;
    Ok(())
}

/// A report about to be filed ([`file`]).
struct Filing<'a> {
    kind: &'a str,
    target_id: i64,
    category: &'a str,
    details: &'a str,
    group_id: Option<i64>,
}

/// Files a report (or a review request) by `actor`, in one transaction:
/// their row first (`accounts::ensure_still_open`, which on PostgreSQL
/// makes two of their reports at once take turns, as the write turn does
/// on SQLite), then the count of what they filed in the last hour
/// ([`REPORTS_PER_HOUR`]), then the report. A second open report of the
/// same thing is refused with `conflict` (the field, the words).
async fn file(db: &Db, actor: &Actor, f: &Filing<'_>, conflict: (&'static str, &str)) -> Result<i64> {
    let mut tx = db.begin().await?;
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    let since = meetinghouse_store::now() - 3_600;
    if store::reports_filed_since(&mut tx, actor.id, since).await? >= REPORTS_PER_HOUR {
        return Err(CoreError::Forbidden(TOO_MANY_REPORTS.into()));
    }
    let id = store::insert_report(&mut tx, Some(actor.id), f.kind, f.target_id, f.category, f.details, f.group_id).await.map_err(|err| match err {
        StoreError::Conflict { .. } => FieldErrors::one(conflict.0, conflict.1),
        other => other.into(),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}

/// What the report form shows of what is reported, as the reporter may see
/// it where it is: its words in a sentence, its text (first words) only
/// where readers are shown it, and its page, where a sent report returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedView {
    /// "A reply by Tara Singh", "The story “Canal days” by Tara Singh".
    pub words: String,
    /// Its text, at most [`QUOTE_CHARS`] characters (`…` when cut); empty
    /// when the reader is not shown it there: a reply hidden, retracted or
    /// waiting for review (an edit that waits included), an amendment's or
    /// objection's words the moderators hid, a story (its title is in
    /// `words`).
    pub quote: String,
    /// Why `quote` is empty when there are words readers are not shown.
    pub not_shown: Option<&'static str>,
    /// Its page.
    pub link: String,
}

/// The most characters of a text the report form quotes.
pub const QUOTE_CHARS: usize = 300;

/// The first [`QUOTE_CHARS`] characters of a text as plain words.
fn quote_of(markdown: &str) -> String {
    let plain = crate::search::plain_text(markdown);
    let mut quote: String = plain.chars().take(QUOTE_CHARS + 1).collect();
    if quote.chars().count() > QUOTE_CHARS {
        quote = quote.chars().take(QUOTE_CHARS).collect::<String>() + "…";
    }
    quote
}

/// What the report form shows of a reply, story, amendment, objection,
/// statement, prompt or object (`kind`, `target` its id), for `actor`;
/// `None` for other kinds, and when they may not see it. It quotes only
/// what the reader is shown on its own page (the thread's rule,
/// `conversations::view_as`): never the text of a reply hidden, retracted
/// or waiting for review, nor words the moderators hid. Also where a sent
/// report returns ([`report_return`]).
pub async fn reported_view(db: &Db, actor: Option<&Actor>, kind: &str, target: &str) -> Result<Option<ReportedView>> {
    let Ok(id) = target.trim().parse::<i64>() else { return Ok(None) };
    let found = |r: Result<ReportedView>| match r {
        Ok(v) => Ok(Some(v)),
        Err(CoreError::NotFound | CoreError::Forbidden(_)) => Ok(None),
        Err(other) => Err(other),
    };
    let view = match kind {
        "reply" => {
            let (r, _) = match conversations::visible_reply(db, id, actor).await {
                Ok(found) => found,
                Err(e) => return found(Err(e)),
            };
            let words = format!("A reply by {}", conversations::author_label(&r));
            let not_shown = match r.status.as_str() {
                "visible" => None,
                "hidden" => Some("Its text is not shown: the moderators hid it."),
                "pending" => Some("Its text is not shown: it is waiting for a moderator's review."),
                _ => Some("Its text is not shown: its author retracted it."),
            };
            let quote = if not_shown.is_none() { quote_of(&r.body) } else { String::new() };
            ReportedView { words, quote, not_shown, link: format!("/replies/{id}") }
        }
        "story" => match store_stories::by_id(db, id).await? {
            Some(st) if st.deleted_at.is_none() && crate::stories::can_see(db, &st, actor).await? => ReportedView {
                words: format!("The story “{}” by {}", st.title, crate::stories::author_label(&st)),
                quote: String::new(),
                not_shown: None,
                link: format!("/stories/{id}"),
            },
            _ => return Ok(None),
        },
        "amendment" | "objection" => {
            let (a, text, hidden, author) = match kind {
                "amendment" => {
                    let Some(a) = store_purposes::amendment(db, id).await? else { return Ok(None) };
                    let (text, hidden, author) = (a.why.clone(), a.hidden_at.is_some(), a.proposer_name.clone());
                    (a, text, hidden, author)
                }
                _ => {
                    let Some(o) = store_purposes::objection(db, id).await? else { return Ok(None) };
                    let Some(a) = store_purposes::amendment(db, o.amendment_id).await? else { return Ok(None) };
                    (a, o.reason.clone(), o.hidden_at.is_some(), o.display_name.clone())
                }
            };
            let Some(g) = store_groups::by_id(db, a.group_id).await? else { return Ok(None) };
            if !crate::groups::can_see(db, &g, actor).await? {
                return Ok(None);
            }
            let words = match kind {
                "amendment" => format!("{}, proposed by {author}", crate::purposes::amendment_title(a.id, &g.name)),
                _ => format!("An objection by {author} to amendment {} to the purpose of {}", a.id, g.name),
            };
            let not_shown = hidden.then_some("Its words are not shown: the moderators removed them.");
            let quote = if hidden { String::new() } else if kind == "objection" { first_words(&text, QUOTE_CHARS) } else { quote_of(&text) };
            ReportedView { words, quote, not_shown, link: crate::purposes::amendment_path(&g.slug, a.id) }
        }
        "statement" => {
            let Some(st) = store::reported_statement(db, id).await? else { return Ok(None) };
            if let Err(e) = crate::common_ground::load(db, st.conversation_id, actor).await {
                return found(Err(e));
            }
            // A statement waiting for its hosts, or taken out, is not there for readers.
            if st.status != "accepted" {
                return Ok(None);
            }
            ReportedView {
                words: format!("A statement in the conversation “{}”", st.topic),
                quote: first_words(&st.body, QUOTE_CHARS),
                not_shown: None,
                link: format!("/common-ground/{}", st.conversation_id),
            }
        }
        "prompt" => match subjects::resolve(db, Subject::Prompt(id), actor).await {
            Ok(info) => {
                let description = store_prompts::by_id(db, id).await?.map(|p| p.description).unwrap_or_default();
                ReportedView { words: format!("The prompt “{}”", info.title), quote: quote_of(&description), not_shown: None, link: info.url }
            }
            Err(e) => return found(Err(e)),
        },
        "object" => {
            let Some(o) = meetinghouse_store::objects::by_id(db, id).await? else { return Ok(None) };
            // A withdrawn object is in no list: nothing to report there.
            if o.withdrawn() {
                return Ok(None);
            }
            let org = store_orgs::by_id(db, o.org_id).await?.map(|o| o.name).unwrap_or_default();
            ReportedView {
                words: format!("The object “{}” in the collection of {org}", o.title),
                quote: quote_of(&o.description),
                not_shown: None,
                link: format!("/objects/{id}"),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(view))
}

/// Where a sent report about a thing returns the reporter: its page, as
/// [`reported_view`] finds it (an amendment's or an objection's is the
/// amendment's page); `None` when there is none to go to.
pub async fn report_return(db: &Db, actor: &Actor, kind: &str, target: &str) -> Result<Option<String>> {
    Ok(reported_view(db, Some(actor), kind, target).await?.map(|v| v.link))
}

/// The group of an amendment, if `actor` may see it; "not found" otherwise
/// (a members-only group's amendments and objections are not there for
/// people outside it).
async fn visible_amendment_group(db: &Db, a: &AmendmentRow, actor: &Actor) -> Result<store_groups::GroupRow> {
    let g = store_groups::by_id(db, a.group_id).await?.ok_or(CoreError::NotFound)?;
    if !crate::groups::can_see(db, &g, Some(actor)).await? {
        return Err(CoreError::NotFound);
    }
    Ok(g)
}

/// The version of an amendment a moderator judges: its state, text and
/// reason (a decision made from a page that showed another changes nothing).
pub fn amendment_version(a: &AmendmentRow) -> String {
    crate::secrets::token_hash(&format!("{}\n{}\n{}", a.state, a.text, a.why))[..16].to_string()
}

/// The version of an objection's reason a moderator judges.
pub fn objection_version(o: &ObjectionRow) -> String {
    crate::secrets::token_hash(&o.reason)[..16].to_string()
}

/// Plain text as HTML: escaped, in one paragraph (an objection's reason is
/// shown as typed, not as markdown, on its page).
fn plain_html(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// Text escaped for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The version of a group a moderator judges: its name, its purpose, and
/// whether it is archived and by whom (a decision made from a page that
/// showed another changes nothing).
pub fn group_version(g: &store_groups::GroupRow, held: Option<i64>) -> String {
    crate::secrets::token_hash(&format!("{}\n{}\n{:?}\n{:?}", g.name, g.purpose, g.archived_at, held))[..16].to_string()
}

/// The version of an organisation a moderator judges: its name, its
/// description and website, and what the moderators did to it.
pub fn org_version(o: &store_orgs::OrgRow, marks: OrgMarks) -> String {
    crate::secrets::token_hash(&format!("{}\n{}\n{}\n{:?}\n{:?}", o.name, o.description, o.website, marks.words_hidden_at, marks.flagged_at))[..16]
        .to_string()
}

/// The author of a story the moderators removed asks them to look again
/// (with what they want to say), while it can still be restored. A request
/// already waiting is refused kindly.
pub async fn request_story_review(db: &Db, actor: &Actor, story_id: i64, details: &str) -> Result<()> {
    let story = store_stories::by_id(db, story_id).await?.ok_or(CoreError::NotFound)?;
    if story.author_person != actor.id {
        return Err(CoreError::Forbidden("Only the author can ask for a review.".into()));
    }
    let Some(removal) = store::story_removal(db, story_id).await? else {
        return Err(CoreError::Forbidden("Only a story the moderators removed can be reviewed again.".into()));
    };
    if meetinghouse_store::now() - removal.removed_at > crate::stories::RESTORE_WINDOW_SECS {
        return Err(CoreError::Forbidden("This story was removed more than 30 days ago and can no longer be restored.".into()));
    }
    let mut e = FieldErrors::new();
    let details = text(&mut e, "details", "What you want the moderators to know", details, DETAILS_MAX, false);
    e.into_result()?;
    let filing = Filing { kind: "story", target_id: story_id, category: REVIEW_REQUEST, details: &details, group_id: None };
    file(db, actor, &filing, ("details", REVIEW_WAITING)).await?;
    Ok(())
}

/// Why the moderators' "restore" cannot bring back an amendment they
/// withdrew by hiding its words.
pub const WITHDRAWN_FOR_GOOD: &str = "The moderators withdrew this amendment when they removed its words, and a withdrawn amendment \
     does not open again, so there is nothing to review. You can propose the change again, in other words.";

/// What the author of words already waiting for a review is told.
pub const REVIEW_WAITING: &str = "You have already asked for a review. A moderator will look at it, and you will hear what they decided.";

/// The author of an amendment or an objection whose words the moderators
/// hid asks them to look again (with what they want to say), as the author
/// of a removed story does ([`request_story_review`]): only its author,
/// only while its words are hidden, and never for an amendment the
/// moderators withdrew by hiding them ([`WITHDRAWN_FOR_GOOD`]). Someone
/// else who may not see the group gets "not found". A request already
/// waiting is refused kindly ([`REVIEW_WAITING`]); once it is answered the
/// author may ask again. The request records no scope: only instance
/// moderators decide it, and "restore" shows the words again, changing
/// nothing else (an objection counts, or not, as before).
pub async fn request_words_review(db: &Db, actor: &Actor, kind: &str, id: i64, details: &str) -> Result<()> {
    let (a, author, hidden) = match kind {
        "amendment" => {
            let a = store_purposes::amendment(db, id).await?.ok_or(CoreError::NotFound)?;
            let (author, hidden) = (a.proposed_by, a.hidden_at.is_some());
            (a, author, hidden)
        }
        "objection" => {
            let o = store_purposes::objection(db, id).await?.ok_or(CoreError::NotFound)?;
            let a = store_purposes::amendment(db, o.amendment_id).await?.ok_or(CoreError::NotFound)?;
            (a, o.person_id, o.hidden_at.is_some())
        }
        _ => return Err(CoreError::NotFound),
    };
    if author != actor.id {
        visible_amendment_group(db, &a, actor).await?;
        return Err(CoreError::Forbidden("Only the author can ask for a review.".into()));
    }
    if !hidden {
        return Err(CoreError::Forbidden("Only words the moderators removed can be reviewed again.".into()));
    }
    if kind == "amendment" && withdrawn_by_moderators(&a) {
        return Err(CoreError::Forbidden(WITHDRAWN_FOR_GOOD.into()));
    }
    file_review_request(db, actor, kind, id, details).await
}

/// The hosts of a group the moderators archived, or the admins of an
/// organisation whose description they hid or which they flagged, ask them
/// to look again (with what they want to say): only while something of the
/// moderators' stands on it ([`REVIEW_NOTHING`] otherwise). Someone else
/// is refused ("not found" when they may not see the group). A request
/// already waiting is refused kindly ([`REVIEW_WAITING`]). Only instance
/// moderators see it; "restore" undoes what they did.
pub async fn request_place_review(db: &Db, actor: &Actor, kind: &str, address: &str, details: &str) -> Result<()> {
    let id = match kind {
        "group" => {
            let g = crate::groups::by_address(db, address.trim()).await?.ok_or(CoreError::NotFound)?;
            if !hosts_group(db, g.id, actor.id).await? {
                if !crate::groups::can_see(db, &g, Some(actor)).await? {
                    return Err(CoreError::NotFound);
                }
                return Err(CoreError::Forbidden("Only the group's hosts can ask for a review.".into()));
            }
            if store::group_held(db, g.id).await?.is_none() {
                return Err(CoreError::Forbidden(REVIEW_NOTHING.into()));
            }
            g.id
        }
        "org" => {
            let o = crate::orgs::by_address(db, address.trim()).await?.ok_or(CoreError::NotFound)?;
            if !admin_of(db, o.id, actor.id).await? {
                return Err(CoreError::Forbidden("Only the organisation's admins can ask for a review.".into()));
            }
            let marks = store::org_marks(db, o.id).await?;
            if marks.words_hidden_at.is_none() && marks.flagged_at.is_none() {
                return Err(CoreError::Forbidden(REVIEW_NOTHING.into()));
            }
            o.id
        }
        _ => return Err(CoreError::NotFound),
    };
    file_review_request(db, actor, kind, id, details).await
}

/// Why a review request finds nothing of the moderators' to look at again.
pub const REVIEW_NOTHING: &str = "The moderators have not archived, hidden or flagged anything here, so there is nothing to review.";

/// Files a review request by `actor` about a thing (no scope: instance
/// moderators only), with their optional words.
async fn file_review_request(db: &Db, actor: &Actor, kind: &str, id: i64, details: &str) -> Result<()> {
    let mut e = FieldErrors::new();
    let details = text(&mut e, "details", "What you want the moderators to know", details, DETAILS_MAX, false);
    e.into_result()?;
    let filing = Filing { kind, target_id: id, category: REVIEW_REQUEST, details: &details, group_id: None };
    file(db, actor, &filing, ("details", REVIEW_WAITING)).await?;
    Ok(())
}

/// Whether the moderators withdrew an amendment by hiding its words while
/// it was open (as core `purposes::AmendmentPage::withdrawn_by_moderators`
/// says): its words are hidden since the moment it was settled.
fn withdrawn_by_moderators(a: &AmendmentRow) -> bool {
    a.state == "withdrawn" && a.hidden_at.is_some() && a.hidden_at == a.settled_at
}

/// Why a group's hosts cannot open again a group the moderators archived
/// (core `groups::unarchive` refuses them; only instance moderators may).
pub const HELD_BY_MODERATORS: &str = "The meeting house's moderators archived this group, so only they can open it again. \
     You can ask them to, on its page.";

/// Why a group's hosts do not report their own group.
pub const OWN_GROUP: &str = "You host this group: you can change it, or archive it, yourself.";

/// Why an organisation's admins do not report their own organisation.
pub const OWN_ORG: &str = "You are an admin of this organisation: you can change its details yourself.";

/// Why only instance moderators decide reports about groups and organisations.
pub const PLACE_REPORTS: &str = "Only the meeting house's moderators decide reports about groups and organisations: \
     their hosts and admins have a stake in them.";

/// Why a moderator does not decide a report about a group they host or an
/// organisation they work for.
pub const YOUR_PLACE: &str = "You host this group or work for this organisation, so another moderator needs to decide it.";

/// Whether a person is an active, direct host of a group.
async fn hosts_group(db: &Db, group: i64, person: i64) -> Result<bool> {
    Ok(matches!(
        store_groups::direct_membership(db, group, MemberKind::Person, person).await?,
        Some((role, status)) if role == "host" && status == "active"
    ))
}

/// Whether a person is an active admin of an organisation.
async fn admin_of(db: &Db, org: i64, person: i64) -> Result<bool> {
    Ok(matches!(store_orgs::membership(db, org, person).await?, Some((role, status)) if role == "admin" && status == "active"))
}

/// Whether a moderator has a stake in a report about a group or an
/// organisation: they host the group, or are active staff or an admin of
/// the organisation. They do not decide it ([`YOUR_PLACE`]).
async fn has_stake(db: &Db, target_kind: &str, target_id: i64, person: i64) -> Result<bool> {
    Ok(match target_kind {
        "group" => hosts_group(db, target_id, person).await?,
        "org" => crate::orgs::is_staff(db, target_id, person).await?,
        _ => false,
    })
}

/// Why the moderators removed a story, for its author (the story's page
/// says so instead of offering to restore it); `None` for anyone else, and
/// for a story not removed by moderation.
pub async fn removal_for_author(db: &Db, viewer: Option<&Actor>, story: &StoryRow) -> Result<Option<StoryRemoval>> {
    if story.deleted_at.is_none() || viewer.is_none_or(|a| a.id != story.author_person) {
        return Ok(None);
    }
    Ok(store::story_removal(db, story.id).await?)
}

/// The version of a story's text a moderator judges (its title and text).
pub fn story_version(s: &StoryRow) -> String {
    crate::secrets::token_hash(&format!("{}\n{}", s.title, s.body))[..16].to_string()
}

/// What decides which actions apply to a queue item, as the queue loaded it.
enum Shape<'a> {
    /// A reply in its status (`pending`: it waits for review), and whether
    /// the actor may show it again once hidden (not a host, when the
    /// meeting house's moderators hid it).
    Reply { status: &'a str, restorable: bool },
    /// A person, or a thing no longer stored.
    Plain,
    /// A story as loaded, and whether the moderators removed it.
    Story(&'a StoryRow, bool),
    /// An amendment's or an objection's words: the amendment's state (empty
    /// for an objection), whether they are hidden, and whether "restore"
    /// could show them again (not for an amendment the moderators withdrew).
    Words { state: &'a str, hidden: bool, restorable: bool },
    /// A group, and whether the moderators hold it archived.
    Group { held: bool },
    /// An organisation, and what the moderators did to it.
    Org(OrgMarks),
    /// A common-ground statement: whether it is still in its conversation
    /// (accepted or waiting), whether the actor may take it out now (a
    /// host only while the conversation is open; an instance moderator
    /// always), and whether someone with an account wrote it.
    Statement { shown: bool, may_take_out: bool, by_person: bool },
    /// A prompt (its hosts edit or close it; a decision warns its opener).
    Prompt,
    /// A collection object, and whether it is withdrawn already.
    Object { withdrawn: bool },
}

/// The actions that apply to a queue item as it is: (key, label). Hiding
/// an amendment's or an objection's words is the one change a decision
/// makes to them, and showing them again on review; a group is warned
/// about, archived or opened again, an organisation warned about, hidden,
/// flagged or restored; `archive` and `flag` apply to nothing else.
fn choices(target_kind: &str, full_powers: bool, shape: Shape<'_>) -> Vec<(&'static str, String)> {
    ACTIONS
        .iter()
        .filter(|(_, _, admins_only)| !admins_only || full_powers)
        .filter_map(|(key, label, _)| {
            let label: String = match (&shape, *key) {
                (Shape::Group { held }, key) => match key {
                    "dismiss" => label.to_string(),
                    "warn" => "Warn its hosts, with a note".into(),
                    "archive" if !held => {
                        "Archive it, with a note to its hosts: it takes nothing new, and only the moderators can open it again".into()
                    }
                    "restore" if *held => "Open it again (the moderators archived it)".into(),
                    _ => return None,
                },
                (Shape::Org(marks), key) => match key {
                    "dismiss" => label.to_string(),
                    "hide" if marks.words_hidden_at.is_none() => "Hide its description and website, with a note to its admins".into(),
                    "restore" if marks.words_hidden_at.is_some() || marks.flagged_at.is_some() => restore_org_label(*marks),
                    "warn" => "Warn its admins, with a note".into(),
                    "flag" if marks.flagged_at.is_none() => {
                        "Flag it, with a note to its admins: its page says the moderators could not confirm it is who its name says".into()
                    }
                    _ => return None,
                },
                (_, "archive" | "flag") => return None,
                (Shape::Statement { shown, may_take_out, by_person }, key) => match key {
                    "dismiss" => label.to_string(),
                    "hide" if *shown && *may_take_out => "Take it out of the conversation, with a note to its author".into(),
                    "warn" | "suspend" | "ban" if *by_person => label.to_string(),
                    _ => return None,
                },
                (Shape::Prompt, key) => match key {
                    "dismiss" => label.to_string(),
                    "warn" => "Warn the person who opened it, with a note".into(),
                    "suspend" | "ban" => label.to_string().replace("the author", "the person who opened it"),
                    _ => return None,
                },
                (Shape::Object { withdrawn }, key) => match key {
                    "dismiss" => label.to_string(),
                    "hide" if !*withdrawn => "Withdraw it from the collection, with a note to those who manage it".into(),
                    _ => return None,
                },
                (Shape::Words { state, hidden, restorable }, key) => match (target_kind, key, *state) {
                    (_, "approve", _) => return None,
                    (_, "restore", _) if !(*hidden && *restorable) => return None,
                    ("objection", "restore", _) => "Show its reason again".into(),
                    (_, "restore", "adopted") => "Show its reason again".into(),
                    (_, "restore", _) => "Show its words again (it stays as it was settled)".into(),
                    (_, "hide", _) if *hidden => return None,
                    ("objection", "hide", _) => "Hide its reason, with a note to its author (the objection still counts while it stands)".into(),
                    (_, "hide", "open") => "Hide its words and withdraw it, with a note to the proposer".into(),
                    (_, "hide", "adopted") => "Hide its reason, with a note to the proposer (its text is a version of the purpose and stays)".into(),
                    (_, "hide", _) => "Hide its words, with a note to the proposer".into(),
                    _ => label.to_string(),
                },
                (Shape::Story(s, removed), key) => match key {
                    "approve" => return None,
                    "hide" if s.deleted_at.is_none() => "Remove the story and its photos, with a note to the author".into(),
                    "hide" => return None,
                    "restore" if *removed && full_powers => "Restore the story the moderators removed (show it again)".into(),
                    "restore" => return None,
                    _ => label.to_string(),
                },
                // A reply waiting for review is published or hidden (a
                // suspension or a ban hides it too), one readers see is
                // hidden, a hidden one shown again; nothing else changes it.
                (Shape::Reply { status, restorable }, key) => match (*status, key) {
                    ("pending", "approve" | "hide" | "suspend" | "ban") => label.to_string(),
                    ("pending", _) => return None,
                    ("visible", "approve" | "restore") => return None,
                    ("hidden", "approve" | "hide") => return None,
                    ("hidden", "restore") if !*restorable => return None,
                    ("hidden", "dismiss") => "Keep it hidden: nothing more needs doing".into(),
                    ("retracted", "approve" | "hide" | "restore") => return None,
                    _ => label.to_string(),
                },
                (Shape::Plain, key) => match (target_kind, key) {
                    // A group or an organisation no longer stored: nothing to do but close it.
                    ("group" | "org", "dismiss") => label.to_string(),
                    ("group" | "org", _) => return None,
                    // A person (or a thing no longer stored) is not published, hidden or shown again.
                    (_, "approve" | "hide" | "restore") => return None,
                    _ => label.to_string(),
                },
            };
            Some((*key, label))
        })
        .collect()
}

/// What "restore" undoes on an organisation, in words.
fn restore_org_label(marks: OrgMarks) -> String {
    match (marks.words_hidden_at.is_some(), marks.flagged_at.is_some()) {
        (true, true) => "Restore it: show its description and website again, and take the flag off".into(),
        (true, false) => "Restore it: show its description and website again".into(),
        _ => "Restore it: take the flag off".into(),
    }
}

/// A queue item with what the moderator needs to judge it.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub report: ReportRow,
    pub category_label: String,
    /// What is reported, in words, and where to see it.
    pub what: String,
    pub link: String,
    /// The reported text (even when hidden), as sanitised HTML.
    pub excerpt_html: String,
    /// Whether the actor may suspend or ban here.
    pub full_powers: bool,
    /// Whether it is about the actor (their reply, or them): shown to an
    /// instance moderator so they know it is there, but another moderator
    /// decides it (see [`act`]). Hosts never see such items.
    pub about_actor: bool,
    /// For a host, whose queue the item is in, in words ("Reports about
    /// Tiverton Museum's page and collection, and stories in its name"):
    /// the parts they host of what it is about. Empty for an instance
    /// moderator, who sees every item.
    pub scopes: Vec<String>,
    /// The version of the reported reply's text shown here ([`version`]),
    /// or of the story's, the amendment's or the objection's
    /// ([`story_version`], [`amendment_version`], [`objection_version`]),
    /// sent back with the decision ([`act_seen`]); empty for a person.
    pub version: String,
    /// Whether the reply waits for review: only publishing or hiding it
    /// applies (a dismissal or a warning would leave it waiting for good).
    pub pending: bool,
    /// For a hidden reply, who hid it, when, and their note, in words
    /// ("Hidden by the meeting house's moderators on 3 March 2026. Their
    /// note: “…”"); `None` otherwise.
    pub hidden: Option<String>,
    /// The actions that apply to it as it is now, for the actor: (key, label).
    pub choices: Vec<(&'static str, String)>,
    /// For an instance moderator, what the person concerned has posted and
    /// is still shown (or waits for review): (stories, replies), for
    /// "also remove everything they have posted". `None` for a host, on an
    /// item about the moderator, or when there is no such person (a group,
    /// an organisation).
    pub posted: Option<(i64, i64)>,
    /// The same, with the amendments and objections whose words are still
    /// shown: everything "remove everything they have posted" removes.
    pub posted_all: Option<Posted>,
    /// What it read when it was reported, and when it was last hidden,
    /// where that is not what it reads now (its author edited or retracted
    /// it since): (what the words are, as sanitised HTML). Kept for the
    /// moderators (migration 0059), shown to whoever sees the item.
    pub snapshots: Vec<(String, String)>,
    /// Whether its category is one of the urgent ones ([`URGENT`]): the
    /// queue lists those first.
    pub urgent: bool,
    /// For an instance moderator, how many reports the same reporter filed
    /// in all, and how many of those are open ([`reports_by_reporter`]
    /// lists them). `None` for a host, who never learns who reported, and
    /// for the platform's own reports.
    pub by_reporter: Option<(i64, i64)>,
}

/// The version of a reply's text a moderator judges: a decision made from a
/// page that showed another text changes nothing ([`decide_seen`]).
pub fn version(r: &ReplyRow) -> String {
    body_version(&r.body)
}

/// [`version`] of a reply's text.
fn body_version(body: &str) -> String {
    crate::secrets::token_hash(body)[..16].to_string()
}

/// Why a moderator may not decide an item about themselves.
pub const ABOUT_YOU: &str = "This is about you or your own reply, so another moderator needs to decide it.";

/// Why a group's hosts do not decide reports about amendments to its purpose
/// and objections to them.
pub const PURPOSE_REPORTS: &str = "Only the meeting house's moderators decide reports about amendments and objections: \
     a group's hosts have a stake in what becomes of its purpose.";

/// What a moderator is told when the item changed after they loaded it.
pub const ALREADY_DEALT_WITH: &str = "This report was already dealt with, perhaps by another moderator while you were looking at it. Nothing was changed.";

/// What a moderator is told when the story is not what their page showed.
pub const STORY_CHANGED: &str = "The story changed since you opened the page (its author edited or deleted it, or another moderator acted), \
     so nothing was changed. Look at it again, then decide.";

/// What a moderator is told when the reply is not what their page showed.
pub const REPLY_CHANGED: &str = "The reply changed since you opened the page (its author edited or retracted it, or another moderator acted), \
     so nothing was changed. Look at it again, then decide.";

/// Why a reply waiting for review can only be published or hidden.
pub const PENDING_NEEDS_DECISION: &str = "This reply is waiting for review, so dismissing it or only warning its author would leave it \
     waiting for good. Publish it, or hide it with a note to the author.";

/// Why someone who hosts nothing has no moderation queue.
pub const NO_QUEUE: &str = "The moderation queue is for the meeting house's moderators and for the hosts of groups, organisations and prompts.";

/// Whether the actor has a moderation queue: an instance moderator, or a
/// host of a group, an organisation (its active staff and admins) or a
/// prompt. The header links to the queue for them.
pub fn has_queue(actor: &Actor, hosts_anything: bool) -> bool {
    actor.is_admin || hosts_anything
}

/// What puts a report in a host's queue, as recorded on it when it was made
/// (instance moderators see every report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    /// A group: its active hosts.
    Group(i64),
    /// An organisation (its page, its collection, stories in its name): its
    /// active staff and admins.
    Org(i64),
    /// A prompt (its replies, and stories answering it): its hosts, by
    /// `prompts::hosted_by` (its named host only while they hold the role
    /// that let them open it, its organisation's admins, its group's hosts).
    Prompt(i64),
}

/// Which of the scopes recorded on reports a person hosts now, each said in
/// words; each scope is looked up once (a queue names the same few often).
/// The one test of who may act on a report besides instance moderators:
/// the queue lists only what it passes, and [`decide`] refuses the rest.
struct Hosting<'a> {
    db: &'a Db,
    person: i64,
    known: HashMap<Scope, Option<String>>,
}

impl<'a> Hosting<'a> {
    fn new(db: &'a Db, person: i64) -> Hosting<'a> {
        Hosting { db, person, known: HashMap::new() }
    }

    /// The parts of a report's scope the person hosts, in words; empty when
    /// they host none of it (or it has none: a report about a person).
    async fn of(&mut self, report: &ReportRow) -> Result<Vec<String>> {
        let scopes = report.group_id.map(Scope::Group).into_iter().chain(report.org_id.map(Scope::Org)).chain(report.prompt_id.map(Scope::Prompt));
        let mut out = Vec::new();
        for scope in scopes {
            let said = match self.known.get(&scope) {
                Some(said) => said.clone(),
                None => {
                    let said = self.look_up(scope).await?;
                    self.known.insert(scope, said.clone());
                    said
                }
            };
            out.extend(said);
        }
        Ok(out)
    }

    /// Whether the person hosts a scope now and, if so, what it is in words.
    /// (Who hosts what is as `subjects::is_host` says for the subject.)
    async fn look_up(&self, scope: Scope) -> Result<Option<String>> {
        let (db, person) = (self.db, self.person);
        Ok(match scope {
            Scope::Group(g) => match self.hosts_group(g).await? {
                true => store_groups::by_id(db, g).await?.map(|g| format!("Reports about content in the group “{}”", g.name)),
                false => None,
            },
            Scope::Org(o) => match crate::orgs::is_staff(db, o, person).await? {
                true => store_orgs::by_id(db, o).await?.map(|o| format!("Reports about {}'s page and collection, and stories in its name", o.name)),
                false => None,
            },
            Scope::Prompt(p) => {
                let Some(prompt) = store_prompts::by_id(db, p).await? else { return Ok(None) };
                let hosts = crate::prompts::hosted_by(db, &prompt, person).await?;
                hosts.then(|| format!("Reports about the prompt “{}” and the stories answering it", prompt.question))
            }
        })
    }

    /// Whether the person is an active, direct host of a group.
    async fn hosts_group(&self, group: i64) -> Result<bool> {
        Ok(matches!(
            store_groups::direct_membership(self.db, group, MemberKind::Person, self.person).await?,
            Some((role, status)) if role == "host" && status == "active"
        ))
    }
}

impl QueueItem {
    /// What the person concerned has posted, in words ("2 stories and 1
    /// reply", "2 stories, 1 reply and 1 objection"), and whether one
    /// decision can remove it all; `None` when [`QueueItem::posted`] is, or
    /// they have posted nothing still shown.
    pub fn posted_words(&self) -> Option<(String, bool)> {
        let posted = self.posted_all.filter(|p| p.total() > 0)?;
        Some((posted_words(posted), posted.total() <= REMOVE_ALL_MAX))
    }
}

/// Whether someone may act on an open report about a thing (`target_kind`,
/// `target_id`) as its host: the report is in their part of the queue, by
/// the same [`Hosting`] check the queue and [`decide`] make. (Instance
/// moderators act on every report; callers check that first.) A waiting
/// reply's page opens to such a host (`conversations::thread_page`), so the
/// queue's link to it works.
pub(crate) async fn hosts_open_report(db: &Db, actor: &Actor, target_kind: &str, target_id: i64) -> Result<bool> {
    let reports = store::open_reports_about(db, target_kind, target_id).await?;
    let mut hosting = Hosting::new(db, actor.id);
    for report in &reports {
        if !hosting.of(report).await?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The open queue the actor may see, oldest first: everything for an
/// instance moderator; for a host, the reports about what they host (a
/// group's content, an organisation's page, collection and stories in its
/// name, a prompt and the stories answering it), each saying whose queue
/// it is in ([`QueueItem::scopes`]). A host's part leaves out reports
/// about them and their own replies, and about replies the meeting
/// house's moderators hid; an instance moderator sees those too, the
/// first marked [`QueueItem::about_actor`]. Each item offers only the
/// actions that apply to it as it is ([`QueueItem::choices`]). Someone who hosts nothing has
/// no queue ([`NO_QUEUE`]).
pub async fn queue(db: &Db, actor: &Actor) -> Result<Vec<QueueItem>> {
    Ok(queue_list(db, actor).await?.items)
}

/// The most items [`queue`] and [`queue_list`] return at once, oldest
/// first, with how many more wait ([`QueueList::more`]); the queue's page
/// lists [`QUEUE_PAGE`] at a time instead ([`queue_page`]).
pub const QUEUE_MAX: i64 = 200;

/// The queue as its page shows it: the oldest [`QUEUE_MAX`] items, and how
/// many more open reports wait behind them.
#[derive(Debug, Clone)]
pub struct QueueList {
    pub items: Vec<QueueItem>,
    /// Open reports in the actor's queue beyond the ones listed (they are
    /// listed as those are dealt with).
    pub more: i64,
}

/// Whose open reports `actor`'s queue holds: (the host it is limited to,
/// `None` for an instance moderator; the person whose own reports it
/// leaves out, 0 for none). An instance moderator's queue leaves out
/// nothing; a host's, what is about them. Refused to someone who hosts
/// nothing.
async fn queue_scope(db: &Db, actor: &Actor) -> Result<(Option<i64>, i64)> {
    if actor.is_admin {
        return Ok((None, 0));
    }
    if !store::hosts_anything(db, actor.id).await? {
        return Err(CoreError::Forbidden(NO_QUEUE.into()));
    }
    Ok((Some(actor.id), actor.id))
}

/// [`queue`], with how many more items wait beyond the oldest [`QUEUE_MAX`].
pub async fn queue_list(db: &Db, actor: &Actor) -> Result<QueueList> {
    let (host, not_about) = queue_scope(db, actor).await?;
    let reports = store::open_reports(db, host, not_about, QUEUE_MAX).await?;
    let more = if reports.len() as i64 == QUEUE_MAX { store::count_open_reports(db, host, not_about).await? - QUEUE_MAX } else { 0 };
    Ok(QueueList { items: queue_items(db, actor, reports).await?, more: more.max(0) })
}

/// How many items one page of the queue lists ([`queue_page`]): each
/// carries a form, so a page stays small enough for a phone and a screen
/// reader (documented in the README).
pub const QUEUE_PAGE: usize = 25;

/// The most open reports, oldest first, that the queue's pages and its
/// counts by kind look through ([`queue_page`]); the page says how many
/// more wait beyond them.
pub const QUEUE_SCAN: i64 = 1000;

/// The kinds of thing a report can be about, as the queue filters them:
/// (`target_kind`, plural words).
pub const QUEUE_KINDS: [(&str, &str); 10] = [
    ("reply", "Replies"),
    ("story", "Stories"),
    ("statement", "Statements"),
    ("prompt", "Prompts"),
    ("object", "Collection objects"),
    ("amendment", "Amendments"),
    ("objection", "Objections"),
    ("group", "Groups"),
    ("org", "Organisations"),
    ("person", "People"),
];

/// The categories of report the queue filters by, beyond [`CATEGORIES`]:
/// (key, plural words).
pub const QUEUE_CATEGORIES_MORE: [(&str, &str); 2] =
    [("first-contributions", "First contributions waiting for review"), ("review-request", "Requests for a review")];

/// Which page of the queue to show, of which kind of thing and which
/// category of report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueQuery {
    /// A `target_kind` of [`QUEUE_KINDS`], or `None` for every kind.
    pub kind: Option<String>,
    /// A category of [`CATEGORIES`] or [`QUEUE_CATEGORIES_MORE`], or `None`
    /// for every category.
    pub category: Option<String>,
    /// The page, from 1 (one past the last shows the last).
    pub page: usize,
}

impl QueueQuery {
    /// From an address's `kind` and `page`: an unknown kind shows every
    /// kind, and a page that is not a number from 1 shows the first.
    pub fn parse(kind: &str, page: &str) -> QueueQuery {
        QueueQuery::parse_with(kind, "", page)
    }

    /// [`QueueQuery::parse`] with a `category` too: an unknown one shows every category.
    pub fn parse_with(kind: &str, category: &str, page: &str) -> QueueQuery {
        let kind = QUEUE_KINDS.iter().find(|(k, _)| *k == kind).map(|(k, _)| k.to_string());
        let category = CATEGORIES.iter().chain(QUEUE_CATEGORIES_MORE.iter()).find(|(k, _)| *k == category).map(|(k, _)| k.to_string());
        let page = page.trim().parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(1);
        QueueQuery { kind, category, page }
    }

    /// The query string for this page, kind and category
    /// ("?kind=reply&category=spam&page=2"), or "" for the first page of everything.
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        if let Some(k) = &self.kind {
            parts.push(format!("kind={k}"));
        }
        if let Some(c) = &self.category {
            parts.push(format!("category={c}"));
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }
}

/// The words for a category of report in the queue: its label, or what
/// the platform's own reports are.
pub fn category_words(category: &str) -> &'static str {
    CATEGORIES
        .iter()
        .chain(QUEUE_CATEGORIES_MORE.iter())
        .find(|(k, _)| *k == category)
        .map(|(_, words)| *words)
        .unwrap_or("Other reports")
}

/// One page of the queue ([`queue_page`]).
#[derive(Debug, Clone)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    /// The page shown (clamped to the last) and how many there are (at least 1).
    pub page: usize,
    pub pages: usize,
    /// The kind shown, as asked for.
    pub kind: Option<String>,
    /// The category shown, as asked for.
    pub category: Option<String>,
    /// Open reports of the kind and category shown among those looked through.
    pub listed: usize,
    /// For each kind with open reports: (`target_kind`, words, how many).
    pub kinds: Vec<(&'static str, &'static str, usize)>,
    /// For each category with open reports: (category, words, how many),
    /// the urgent ones ([`URGENT`]) first.
    pub categories: Vec<(&'static str, &'static str, usize)>,
    /// Open reports of the kind and category shown beyond the first
    /// [`QUEUE_SCAN`]: listed as those are dealt with.
    pub more: i64,
    /// Common-ground statements waiting for the actor's decision as a host
    /// (pre-moderation), oldest first, at most [`STATEMENTS_LISTED`], and
    /// how many wait in all.
    pub statements: Vec<store::WaitingStatement>,
    pub statements_waiting: i64,
}

/// The most statements waiting for a host that the queue lists (it says
/// how many more wait; each conversation's page lists its own).
pub const STATEMENTS_LISTED: i64 = 20;

/// A page of the queue [`queue`] describes: the first [`QUEUE_SCAN`] open
/// reports of the kind and category asked for (the urgent categories,
/// [`URGENT`], first, then the rest, each oldest first), [`QUEUE_PAGE`] at
/// a time. The counts by kind and by category are of every open report in
/// the actor's queue, so a filter reaches every report however many wait.
/// A host's counts are of the open reports whose recorded scope they host;
/// an item they may no longer act on is left out of its page. The page also
/// lists the common-ground statements waiting for the actor as a host
/// ([`QueuePage::statements`]).
pub async fn queue_page(db: &Db, actor: &Actor, query: &QueueQuery) -> Result<QueuePage> {
    let (host, not_about) = queue_scope(db, actor).await?;
    let filter = store::QueueFilter { host, not_about, kind: query.kind.as_deref(), category: query.category.as_deref() };
    let reports = store::open_reports_filtered(db, &filter, QUEUE_SCAN).await?;
    let counts = store::open_report_counts(db, host, not_about).await?;
    let kinds = QUEUE_KINDS
        .iter()
        .map(|(k, words)| (*k, *words, counts.iter().filter(|(kind, _, _)| kind == k).map(|(_, _, n)| *n as usize).sum()))
        .filter(|(_, _, n): &(&str, &str, usize)| *n > 0)
        .collect();
    let mut categories: Vec<(&'static str, &'static str, usize)> = CATEGORIES
        .iter()
        .chain(QUEUE_CATEGORIES_MORE.iter())
        .map(|(c, _)| (*c, category_words(c), counts.iter().filter(|(_, cat, _)| cat == c).map(|(_, _, n)| *n as usize).sum()))
        .filter(|(_, _, n)| *n > 0)
        .collect();
    categories.sort_by_key(|(c, _, _)| !URGENT.contains(c));
    let matching: i64 = counts
        .iter()
        .filter(|(k, c, _)| query.kind.as_deref().is_none_or(|q| q == k) && query.category.as_deref().is_none_or(|q| q == c))
        .map(|(_, _, n)| n)
        .sum();
    let more = if reports.len() as i64 == QUEUE_SCAN { matching - QUEUE_SCAN } else { 0 };
    let listed = reports.len();
    let pages = listed.div_ceil(QUEUE_PAGE).max(1);
    let page = query.page.clamp(1, pages);
    let on_page = reports.into_iter().skip((page - 1) * QUEUE_PAGE).take(QUEUE_PAGE).collect();
    let (statements, statements_waiting) = store::statements_waiting(db, actor.id, actor.is_admin, STATEMENTS_LISTED).await?;
    Ok(QueuePage {
        items: queue_items(db, actor, on_page).await?,
        page,
        pages,
        kind: query.kind.clone(),
        category: query.category.clone(),
        listed,
        kinds,
        categories,
        more: more.max(0),
        statements,
        statements_waiting,
    })
}

/// The queue items of these open reports, as [`queue`] describes them.
async fn queue_items(db: &Db, actor: &Actor, reports: Vec<ReportRow>) -> Result<Vec<QueueItem>> {
    let mut hosting = Hosting::new(db, actor.id);
    // Each person's posts are counted once a page, and each reporter's reports.
    let mut counted: HashMap<i64, Posted> = HashMap::new();
    let mut reporters: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut out = Vec::with_capacity(reports.len());
    for report in reports {
        // A host's items are the ones [`decide`] lets them act on (a role
        // given up between the two reads leaves the item out).
        let scopes = if actor.is_admin { Vec::new() } else { hosting.of(&report).await? };
        if !actor.is_admin && scopes.is_empty() {
            continue;
        }
        let mut category_label = CATEGORIES
            .iter()
            .find(|(k, _)| *k == report.category)
            .map(|(_, l)| l.to_string())
            .unwrap_or_else(|| match report.category.as_str() {
                "first-contributions" => "A new account's first contribution, waiting for review".into(),
                "review-request" if report.target_kind == "story" => "The author of a removed story asks for a review".into(),
                "review-request" if report.target_kind == "amendment" => "The proposer asks for a review of the words the moderators hid".into(),
                "review-request" if report.target_kind == "objection" => "The author of an objection asks for a review of the reason the moderators hid".into(),
                "review-request" if report.target_kind == "group" => "A host asks the moderators to open the group they archived again".into(),
                "review-request" if report.target_kind == "org" => "An admin asks the moderators to look again at what they did to the organisation".into(),
                "review-request" => "The author of a hidden reply asks for a review".into(),
                other => other.to_string(),
            });
        let (mut version, mut pending, mut story) = (String::new(), false, None);
        // A reply's status, whether the actor may show it again, and who hid it.
        let mut reply_status: Option<(String, bool)> = None;
        let mut hidden = None;
        // An amendment's state (empty for an objection), whether its words
        // are hidden, and whether they could be shown again.
        let mut words: Option<(String, bool, bool)> = None;
        // A group (whether the moderators hold it archived), or an organisation.
        let mut place: Option<Shape<'static>> = None;
        let mut stake = false;
        // What it reads now, as a snapshot takes it: (title, text).
        let mut words_now: Option<(String, String)> = None;
        let (what, link, excerpt_html, about) = match report.target_kind.as_str() {
            "reply" => match store_replies::by_id(db, report.target_id).await? {
                Some(r) => {
                    version = self::version(&r);
                    pending = r.status == "pending";
                    let hiding = if r.status == "hidden" { store::reply_hiding(db, r.id).await? } else { None };
                    let by_moderators = hiding.as_ref().is_some_and(|h| h.by_moderators == 1);
                    // What the moderators hid is theirs to look at again: not in a host's queue.
                    if by_moderators && !actor.is_admin {
                        continue;
                    }
                    if let Some(h) = &hiding {
                        if report.category == REVIEW_REQUEST && edited_since_hidden(&r, h) {
                            category_label = "The author edited a hidden reply and asks for a review".into();
                        }
                        hidden = Some(hidden_words(h, &r.note, actor.is_admin));
                    }
                    reply_status = Some((r.status.clone(), actor.is_admin || !by_moderators));
                    words_now = Some((String::new(), r.body.clone()));
                    (
                        format!("A reply by {}, now {}", crate::closing::named(&conversations::author_label(&r), &r.author_handle), r.status),
                        format!("/replies/{}", r.id),
                        crate::markdown::render(&r.body),
                        Some(r.author_person),
                    )
                }
                None => ("A reply that no longer exists".into(), String::new(), String::new(), None),
            },
            "story" => match store_stories::by_id(db, report.target_id).await? {
                Some(s) => {
                    version = story_version(&s);
                    let removed = s.deleted_at.is_some() && store::story_removal(db, s.id).await?.is_some();
                    let now = match (s.deleted_at, removed) {
                        (None, _) => String::new(),
                        (Some(_), true) => ", removed by the moderators".into(),
                        (Some(_), false) => ", deleted by its author".into(),
                    };
                    let what = format!("The story “{}” by {}{now}", s.title, crate::closing::named(&crate::stories::author_label(&s), &s.author_handle));
                    let link = if s.deleted_at.is_none() { format!("/stories/{}", s.id) } else { String::new() };
                    let (excerpt, author) = (crate::markdown::render(&s.body), s.author_person);
                    words_now = Some((s.title.clone(), s.body.clone()));
                    story = Some((s, removed));
                    (what, link, excerpt, Some(author))
                }
                None => ("A story that no longer exists".into(), String::new(), String::new(), None),
            },
            "amendment" => match store_purposes::amendment(db, report.target_id).await? {
                Some(a) => {
                    version = amendment_version(&a);
                    let g = store_groups::by_id(db, a.group_id).await?;
                    let (title, link) = match &g {
                        Some(g) => (crate::purposes::amendment_title(a.id, &g.name), crate::purposes::amendment_path(&g.slug, a.id)),
                        None => (format!("Amendment {}", a.id), String::new()),
                    };
                    let hidden = if a.hidden_at.is_some() { ", its words removed by the moderators" } else { "" };
                    let what = format!("{title}, proposed by {}, now {}{hidden}", crate::closing::named(&a.proposer_name, &a.proposer_handle), crate::purposes::state_words(&a.state));
                    let excerpt = format!(
                        "<p><strong>Why:</strong></p>{}<p><strong>The proposed purpose:</strong></p>{}",
                        crate::markdown::render(&a.why),
                        crate::markdown::render(&a.text)
                    );
                    words = Some((a.state.clone(), a.hidden_at.is_some(), !withdrawn_by_moderators(&a)));
                    words_now = Some((a.why.clone(), a.text.clone()));
                    (what, link, excerpt, Some(a.proposed_by))
                }
                None => ("An amendment that no longer exists".into(), String::new(), String::new(), None),
            },
            "objection" => match store_purposes::objection(db, report.target_id).await? {
                Some(o) => {
                    version = objection_version(&o);
                    let a = store_purposes::amendment(db, o.amendment_id).await?;
                    let g = match &a {
                        Some(a) => store_groups::by_id(db, a.group_id).await?,
                        None => None,
                    };
                    let (title, link) = match &g {
                        Some(g) => (format!("amendment {} to the purpose of {}", o.amendment_id, g.name), crate::purposes::amendment_path(&g.slug, o.amendment_id)),
                        None => (format!("amendment {}", o.amendment_id), String::new()),
                    };
                    let now = match (o.withdrawn_at, o.hidden_at) {
                        (_, Some(_)) => ", its reason removed by the moderators",
                        (Some(_), None) => ", withdrawn",
                        (None, None) => "",
                    };
                    let what = format!("An objection by {} to {title}{now}", crate::closing::named(&o.display_name, &o.handle));
                    words = Some((String::new(), o.hidden_at.is_some(), true));
                    words_now = Some((String::new(), o.reason.clone()));
                    (what, link, plain_html(&o.reason), Some(o.person_id))
                }
                None => ("An objection that no longer exists".into(), String::new(), String::new(), None),
            },
            "group" => match store_groups::by_id(db, report.target_id).await? {
                Some(g) => {
                    let held = store::group_held(db, g.id).await?;
                    version = group_version(&g, held);
                    stake = actor.is_admin && hosts_group(db, g.id, actor.id).await?;
                    let seen_by = if g.visibility == "members" { "members only" } else { "public" };
                    let now = match (g.archived_at, held) {
                        (_, Some(_)) => ", archived by the moderators",
                        (Some(_), None) => ", archived by its hosts",
                        (None, None) => "",
                    };
                    let what = format!("The group “{}” ({seen_by}){now}", g.name);
                    let excerpt = format!("<p><strong>Its purpose:</strong></p>{}", crate::markdown::render(&g.purpose));
                    place = Some(Shape::Group { held: held.is_some() });
                    words_now = Some((g.name.clone(), g.purpose.clone()));
                    (what, format!("/groups/{}", g.slug), excerpt, None)
                }
                None => ("A group that no longer exists".into(), String::new(), String::new(), None),
            },
            "org" => match store_orgs::by_id(db, report.target_id).await? {
                Some(o) => {
                    let marks = store::org_marks(db, o.id).await?;
                    version = org_version(&o, marks);
                    stake = actor.is_admin && crate::orgs::is_staff(db, o.id, actor.id).await?;
                    let mut now = Vec::new();
                    if marks.words_hidden_at.is_some() {
                        now.push("its description and website hidden by the moderators");
                    }
                    if marks.flagged_at.is_some() {
                        now.push("flagged by the moderators as not confirmed");
                    }
                    let now = if now.is_empty() { String::new() } else { format!(", {}", now.join(", ")) };
                    let what = format!("The organisation “{}” ({}){now}", o.name, crate::types::sector_label(&o.sector));
                    let website = if o.website.is_empty() { "none".to_string() } else { escape(&o.website) };
                    let excerpt =
                        format!("<p><strong>Its description:</strong></p>{}<p><strong>Its website:</strong> {website}</p>", crate::markdown::render(&o.description));
                    place = Some(Shape::Org(marks));
                    let body = if o.website.is_empty() { o.description.clone() } else { format!("{}\n\n{}", o.description, o.website) };
                    words_now = Some((o.name.clone(), body));
                    (what, format!("/orgs/{}", o.slug), excerpt, None)
                }
                None => ("An organisation that no longer exists".into(), String::new(), String::new(), None),
            },
            "statement" => match store::reported_statement(db, report.target_id).await? {
                Some(st) => {
                    version = statement_version(&st);
                    let now = match st.status.as_str() {
                        "accepted" => "",
                        "pending" => ", waiting for its hosts",
                        _ => ", taken out",
                    };
                    let closed = if st.conversation_status == "open" { "" } else { " (closed)" };
                    let what = format!("A statement in the conversation “{}”{closed}{now}", st.topic);
                    let may_take_out = actor.is_admin || st.conversation_status == "open";
                    place = Some(Shape::Statement { shown: st.status != "rejected", may_take_out, by_person: st.author_person.is_some() });
                    words_now = Some((String::new(), st.body.clone()));
                    (what, format!("/common-ground/{}", st.conversation_id), plain_html(&st.body), st.author_person)
                }
                None => ("A statement that no longer exists".into(), String::new(), String::new(), None),
            },
            "prompt" => match store_prompts::by_id(db, report.target_id).await? {
                Some(p) => {
                    version = prompt_version(&p);
                    let what = format!("The prompt “{}”", p.question);
                    let excerpt = crate::markdown::render(&p.description);
                    place = Some(Shape::Prompt);
                    words_now = Some((p.question.clone(), p.description.clone()));
                    (what, format!("/prompts/{}", p.id), excerpt, Some(p.host_person))
                }
                None => ("A prompt that no longer exists".into(), String::new(), String::new(), None),
            },
            "object" => match meetinghouse_store::objects::by_id(db, report.target_id).await? {
                Some(o) => {
                    version = object_version(&o);
                    let org = store_orgs::by_id(db, o.org_id).await?;
                    let withdrawn = if o.withdrawn() { ", withdrawn from the collection" } else { "" };
                    let (org_name, link) = match &org {
                        Some(org) => (org.name.clone(), format!("/objects/{}", o.id)),
                        None => (String::new(), String::new()),
                    };
                    let what = format!("The object “{}” ({}) in the collection of {org_name}{withdrawn}", o.title, o.accession_number);
                    place = Some(Shape::Object { withdrawn: o.withdrawn() });
                    words_now = Some((o.title.clone(), o.description.clone()));
                    (what, link, crate::markdown::render(&o.description), None)
                }
                None => ("An object that no longer exists".into(), String::new(), String::new(), None),
            },
            _ => match people::by_id(db, report.target_id).await? {
                // A closed account: no page, and no status that means anything.
                Some(p) if p.handle.is_empty() => ("A former member (the account was closed)".into(), String::new(), String::new(), Some(p.id)),
                Some(p) => {
                    words_now = Some((p.display_name.clone(), p.bio.clone()));
                    (format!("The person {} (@{}), {}", p.display_name, p.handle, p.status), format!("/@{}", p.handle), String::new(), Some(p.id))
                }
                None => ("A person who no longer has an account".into(), String::new(), String::new(), None),
            },
        };
        let about_actor = about == Some(actor.id) || stake;
        let shape = match (place, &story, &words, &reply_status) {
            (Some(place), _, _, _) => place,
            (None, Some((s, removed)), _, _) => Shape::Story(s, *removed),
            (None, None, Some((state, hidden, restorable)), _) => Shape::Words { state: state.as_str(), hidden: *hidden, restorable: *restorable },
            (None, None, None, Some((status, restorable))) => Shape::Reply { status: status.as_str(), restorable: *restorable },
            (None, None, None, None) => Shape::Plain,
        };
        let choices = choices(&report.target_kind, actor.is_admin, shape);
        let posted_all = match about {
            Some(person) if actor.is_admin && !about_actor => Some(match counted.get(&person) {
                Some(n) => *n,
                None => {
                    let n = store::posted_counts(db, person).await?;
                    counted.insert(person, n);
                    n
                }
            }),
            _ => None,
        };
        let posted = posted_all.map(|p| (p.stories, p.replies));
        let snapshots = snapshots_shown(db, &report, words_now.as_ref()).await?;
        let by_reporter = match report.reporter {
            Some(reporter) if actor.is_admin => Some(match reporters.get(&reporter) {
                Some(n) => *n,
                None => {
                    let (_, all, open) = store::reports_by(db, reporter, 0).await?;
                    reporters.insert(reporter, (all, open));
                    (all, open)
                }
            }),
            _ => None,
        };
        let urgent = URGENT.contains(&report.category.as_str());
        out.push(QueueItem {
            full_powers: actor.is_admin,
            report,
            category_label,
            what,
            link,
            excerpt_html,
            about_actor,
            scopes,
            version,
            pending,
            hidden,
            choices,
            posted,
            posted_all,
            snapshots,
            urgent,
            by_reporter,
        });
    }
    Ok(out)
}

/// What a queue item shows of its snapshots (migration 0059): the words
/// when it was reported, and when it was last hidden, each only where it
/// is not what the thing reads now (`now`, its (title, text) as a
/// snapshot of it would take them; `None` when it is gone): (what they
/// are, HTML).
async fn snapshots_shown(db: &Db, report: &ReportRow, now: Option<&(String, String)>) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let reported = store::snapshot_of_report(db, report.id).await?;
    let hidden = store::last_hidden_snapshot(db, &report.target_kind, report.target_id).await?;
    for (snap, words) in [(hidden, "When it was hidden"), (reported, "When it was reported")] {
        let Some(snap) = snap else { continue };
        if now.is_some_and(|(title, body)| *title == snap.title && *body == snap.body) {
            continue;
        }
        let html = snapshot_html(&snap);
        if out.iter().any(|(_, h)| *h == html) {
            continue;
        }
        out.push((format!("{words} ({}), it read:", crate::format_date(snap.created_at)), html));
    }
    Ok(out)
}

/// A snapshot's words as sanitised HTML, as the queue shows the thing.
fn snapshot_html(snap: &store::Snapshot) -> String {
    let title = if snap.title.is_empty() { String::new() } else { format!("<p><strong>{}</strong></p>", escape(&snap.title)) };
    let body = match snap.target_kind.as_str() {
        "objection" | "statement" => plain_html(&snap.body),
        _ => crate::markdown::render(&snap.body),
    };
    format!("{title}{body}")
}

/// The version of a common-ground statement a moderator judges (its text
/// and status).
pub fn statement_version(st: &store::ReportedStatement) -> String {
    crate::secrets::token_hash(&format!("{}\n{}", st.status, st.body))[..16].to_string()
}

/// The version of a prompt a moderator judges (its question and description).
pub fn prompt_version(p: &meetinghouse_store::prompts::PromptRow) -> String {
    crate::secrets::token_hash(&format!("{}\n{}", p.question, p.description))[..16].to_string()
}

/// The version of a collection object a moderator judges (its title,
/// description, and whether it is withdrawn).
pub fn object_version(o: &meetinghouse_store::objects::ObjectRow) -> String {
    crate::secrets::token_hash(&format!("{}\n{}\n{:?}", o.title, o.description, o.withdrawn_at))[..16].to_string()
}

/// The most reports one "Dismiss the ticked reports" dismisses.
pub const BULK_MAX: usize = 100;

/// What [`dismiss_many`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dismissed {
    /// How many reports were dismissed (with the other open reports about
    /// the same things, which a dismissal closes too).
    pub done: usize,
    /// The reports left as they were, each with why (a reply waiting for
    /// review, a report about the moderator, one dealt with meanwhile).
    pub left: Vec<(i64, String)>,
}

/// Dismisses several reports at once ("nothing needs doing"), each as its
/// own decision ([`decide`], then [`Decision::apply`]) with the same
/// optional note: for clearing a flood of reports. Each is checked as a
/// single dismissal is: the actor may act on it (an instance moderator, or
/// a host of what it is about), it is not about them, and dismissing
/// applies (a reply waiting for review is published or hidden, never
/// dismissed); a report that fails is left as it is and said why, and the
/// others go on. Every reporter hears the outcome, as for one dismissal.
/// At most [`BULK_MAX`] at once; none is an error.
pub async fn dismiss_many(db: &Db, mail: Mailer<'_>, actor: &Actor, ids: &[i64], note: &str) -> Result<Dismissed> {
    if ids.is_empty() {
        return Err(FieldErrors::one("report", "Tick the reports to dismiss first."));
    }
    if ids.len() > BULK_MAX {
        return Err(FieldErrors::one("report", format!("Dismiss at most {BULK_MAX} reports at once.")));
    }
    let mut e = FieldErrors::new();
    let note = text(&mut e, "note", "A note", note, conversations::NOTE_MAX, false);
    e.into_result()?;
    let mut out = Dismissed::default();
    let mut seen = std::collections::HashSet::new();
    for id in ids.iter().copied().filter(|id| seen.insert(*id)) {
        let form = ActionForm { action: "dismiss".into(), note: note.clone(), ..Default::default() };
        let done = match decide(db, actor, id, &form).await {
            Ok(decision) => decision.apply(db, mail).await,
            Err(e) => Err(e),
        };
        match done {
            Ok(_) => out.done += 1,
            Err(CoreError::Invalid(e)) => out.left.push((id, e.0.first().map(|(_, m)| m.clone()).unwrap_or_default())),
            Err(CoreError::Forbidden(m)) => out.left.push((id, m)),
            Err(CoreError::NotFound) => out.left.push((id, "There is no such report.".into())),
            Err(other) => return Err(other),
        }
    }
    Ok(out)
}

/// The open reports with these ids that are in the actor's queue, as the
/// queue shows them (what "Dismiss the ticked reports" asks to confirm),
/// in the order given, at most [`BULK_MAX`]; ids of reports closed or not
/// in their queue are left out.
pub async fn queue_items_by_id(db: &Db, actor: &Actor, ids: &[i64]) -> Result<Vec<QueueItem>> {
    queue_scope(db, actor).await?;
    let mut reports = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in ids.iter().copied().filter(|id| seen.insert(*id)).take(BULK_MAX) {
        if let Some(r) = store::report_by_id(db, id).await?.filter(|r| r.status == "open") {
            reports.push(r);
        }
    }
    queue_items(db, actor, reports).await
}

/// A report as the list of one reporter's reports shows it.
#[derive(Debug, Clone)]
pub struct ReporterReport {
    pub report: ReportRow,
    pub category_words: &'static str,
    /// What it is about, in a few words ("reply 12", "the person @bea").
    pub about: String,
}

/// One reporter's reports, for an instance moderator judging a report of
/// theirs: who they are, how many reports they filed and how many are
/// open, and their latest [`REPORTER_LISTED`], newest first.
#[derive(Debug, Clone)]
pub struct ReporterReports {
    /// "@ann (Ann Lee)"; "a former member" for a closed account.
    pub reporter: String,
    pub all: i64,
    pub open: i64,
    pub reports: Vec<ReporterReport>,
}

/// How many of a reporter's reports [`reports_by_reporter`] lists.
pub const REPORTER_LISTED: i64 = 100;

/// The reports filed by whoever filed report `report`, for an instance
/// moderator only: hosts never learn who reported ("not found" to them,
/// and to everyone else), so a report names its reporter to nobody but
/// the meeting house's moderators. A report the platform filed (a first
/// contribution's review) has no reporter: "not found".
pub async fn reports_by_reporter(db: &Db, actor: &Actor, report: i64) -> Result<ReporterReports> {
    if !actor.is_admin {
        return Err(CoreError::NotFound);
    }
    let row = store::report_by_id(db, report).await?.ok_or(CoreError::NotFound)?;
    let reporter = row.reporter.ok_or(CoreError::NotFound)?;
    let person = people::by_id(db, reporter).await?.ok_or(CoreError::NotFound)?;
    let (rows, all, open) = store::reports_by(db, reporter, REPORTER_LISTED).await?;
    let reports = rows
        .into_iter()
        .map(|r| {
            let about = match r.target_kind.as_str() {
                "person" => format!("a person (account {})", r.target_id),
                kind => format!("{kind} {}", r.target_id),
            };
            ReporterReport { category_words: category_words(&r.category), report: r, about }
        })
        .collect();
    let reporter = if person.handle.is_empty() { "a former member".to_string() } else { format!("@{} ({})", person.handle, person.display_name) };
    Ok(ReporterReports { reporter, all, open, reports })
}

/// Removes the snapshots of things no longer stored ([`store::purge_snapshots`]);
/// run by the hourly purge. How many went.
pub async fn purge_snapshots(db: &Db) -> Result<u64> {
    Ok(store::purge_snapshots(db).await?)
}

/// Whether the author changed a hidden reply's text since it was hidden:
/// its text is not the text hidden, or, for a reply hidden before that was
/// recorded (migration 0051), it was written to since.
fn edited_since_hidden(r: &ReplyRow, h: &store::ReplyHiding) -> bool {
    match &h.version {
        Some(v) => *v != version(r),
        None => r.updated_at > h.hidden_at,
    }
}

/// Who hid a reply, when, and why, for the queue. An instance moderator
/// sees who did it; a host sees a fellow host's handle, and "the meeting
/// house's moderators" for them.
fn hidden_words(h: &store::ReplyHiding, note: &str, for_moderator: bool) -> String {
    let handle = match h.moderator_handle.as_deref() {
        Some("") => Some("a former member".to_string()),
        Some(handle) => Some(format!("@{handle}")),
        None => None,
    };
    let who = match (h.by_moderators == 1, handle) {
        (true, Some(handle)) if for_moderator => format!("the meeting house's moderators ({handle})"),
        (true, _) => "the meeting house's moderators".to_string(),
        (false, Some(handle)) => format!("a host ({handle})"),
        (false, None) => "a host".to_string(),
    };
    let why = if note.trim().is_empty() { String::new() } else { format!(" Their note: “{}”", note.trim()) };
    format!("Hidden by {who} on {}.{why}", crate::format_date(h.hidden_at))
}

/// What a moderator submits for a queue item.
#[derive(Debug, Clone, Default)]
pub struct ActionForm {
    pub action: String,
    pub note: String,
    pub days: String,
    /// With a suspension or a ban: also remove everything the person has
    /// posted ([`REMOVE_ALL_MAX`] at most; see [`Decision::apply`]). Only
    /// instance moderators may ask for it.
    pub remove_all: bool,
}

/// The most things one decision removes with "remove everything they have
/// posted": stories, replies, amendments to a group's purpose and
/// objections to them, counted together (one story and one objection are
/// two). It is done in the decision's one transaction, which on SQLite
/// holds the write turn, so it stays short. Someone who has posted more is
/// beyond one decision: it is refused.
pub const REMOVE_ALL_MAX: i64 = 2_000;

/// Why "remove everything they have posted" goes only with a suspension or a ban.
pub const REMOVE_ALL_NEEDS_BAN: &str = "Removing everything they have posted goes with a suspension or a ban. \
     Choose one of those, or untick the box.";

/// Why only instance moderators may remove everything a person has posted.
pub const REMOVE_ALL_MODERATORS_ONLY: &str = "Only the meeting house's moderators can remove everything a person has posted: \
     it reaches beyond what you host.";

/// Why a person's posts are too many for one decision.
fn too_much_to_remove() -> String {
    format!(
        "This person has posted more than one decision can remove ({REMOVE_ALL_MAX} stories, replies, amendments and objections in all), \
         so nothing was changed. \
         Decide without ticking the box, and deal with what they posted from its reports."
    )
}

/// Why a "remove everything" decision changed nothing: something of theirs
/// kept changing while it was carried out.
pub const POSTS_CHANGED: &str = "Something this person posted changed while it was being removed (they may have edited it), \
     so nothing was changed. Try again.";

/// "2 stories and 1 reply".
pub fn stories_and_replies(stories: i64, replies: i64) -> String {
    let s = if stories == 1 { "story" } else { "stories" };
    let r = if replies == 1 { "reply" } else { "replies" };
    format!("{stories} {s} and {replies} {r}")
}

/// What a person posted, in words: "2 stories and 1 reply" (as
/// [`stories_and_replies`]) when that is all; with amendments or objections
/// too, the kinds they have ("1 story, 1 amendment and 2 objections").
pub fn posted_words(p: Posted) -> String {
    if p.amendments + p.objections == 0 {
        return stories_and_replies(p.stories, p.replies);
    }
    let kinds = [(p.stories, "story", "stories"), (p.replies, "reply", "replies"), (p.amendments, "amendment", "amendments"), (p.objections, "objection", "objections")];
    let parts: Vec<String> = kinds.iter().filter(|(n, _, _)| *n > 0).map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many })).collect();
    match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A moderator's checked decision on a queue item, made from the item as
/// [`decide`] loaded it. [`Decision::apply`] carries it out only if the item
/// is still as it was then: the report still open, the reply still in the
/// status that was judged. A decision made from a page that another
/// moderator (or the author) has since overtaken changes nothing.
pub struct Decision {
    moderator: i64,
    report: ReportRow,
    action: &'static str,
    note: String,
    days: Option<i64>,
    /// The reported reply as loaded (its status is the one judged).
    reply: Option<ReplyRow>,
    /// The reported story as loaded (its text is the one judged), and,
    /// when the moderators removed it, the removal.
    story: Option<(StoryRow, Option<StoryRemoval>)>,
    /// The reported amendment or objection as loaded (its words are the
    /// ones judged).
    words: Option<Words>,
    /// The reported group or organisation as loaded (what was judged).
    place: Option<Place>,
    /// The reported statement, prompt or object as loaded (what was judged).
    other: Option<Other>,
    /// The person concerned: the reply's author, or the reported person
    /// (0 for a group or an organisation, whose hosts or admins are told).
    person: i64,
    /// The subject's title, for the author's notification.
    title: String,
    /// What publishing the reply sets off, worked out before the transaction.
    planned: Option<conversations::Planned>,
    /// With the suspension or the ban, remove everything the person posted.
    remove_all: bool,
    /// Whether the moderator acts as one of the meeting house's moderators
    /// (an instance admin), not as a host: a reply they hide only they
    /// show again ([`store::ReplyHiding`]).
    by_moderators: bool,
}

/// Why a host cannot act on a reply the meeting house's moderators hid.
pub const HIDDEN_BY_MODERATORS: &str = "The meeting house's moderators hid this reply, so only they can look at it again.";

/// Why an instance admin is not suspended or banned from the queue.
pub const ADMINS_NOT_SUSPENDED: &str = "This person is one of the meeting house's admins, so they are not suspended or banned from the queue: \
     two admins could lock each other out. The operator first takes the admin role away on the command line \
     (meetinghouse admin demote HANDLE); then decide again. You can warn them.";

/// [`decide_seen`] for a decision about the reply as it is now (callers
/// that showed no page: the command line, tests).
pub async fn decide(db: &Db, actor: &Actor, report_id: i64, form: &ActionForm) -> Result<Decision> {
    decide_seen(db, actor, report_id, form, None).await
}

/// Checks a moderator's action on a queue item against the item as it is
/// now: who may act, the note and days, whether the action applies, and
/// (`seen`, the [`version`] the moderator's page showed) that the reply's
/// text is the one they read. Nobody decides an item about themselves or
/// their own reply, instance moderators included: a host cannot restore or
/// dismiss what was reported about their own content, nor a moderator judge
/// their own case. Besides instance moderators, only the hosts of what a
/// report is about act on it (the scope recorded on it: a group, an
/// organisation, a prompt), and never with the powers kept for instance
/// moderators (suspending, banning). A reply waiting for review is
/// published or hidden, never dismissed or only warned about (it would wait
/// for good); suspending or banning its author hides it too. A report
/// about an amendment or an objection is decided by instance moderators
/// only ([`PURPOSE_REPORTS`]); hiding its words is the one change made to
/// it, from the words judged ([`WORDS_CHANGED`] otherwise), and showing
/// them again on review. A report about a group or an organisation is
/// decided by instance moderators only ([`PLACE_REPORTS`]), and not by one
/// who hosts the group or works for the organisation ([`YOUR_PLACE`]).
/// A reply the meeting house's moderators hid is decided by them only
/// ([`HIDDEN_BY_MODERATORS`]), and an instance admin is not suspended or
/// banned ([`ADMINS_NOT_SUSPENDED`], checked again in [`Decision::apply`]).
pub async fn decide_seen(db: &Db, actor: &Actor, report_id: i64, form: &ActionForm, seen: Option<&str>) -> Result<Decision> {
    let report = store::report_by_id(db, report_id).await?.ok_or(CoreError::NotFound)?;
    let host = actor.is_admin || !Hosting::new(db, actor.id).of(&report).await?.is_empty();
    if !host && matches!(report.target_kind.as_str(), "amendment" | "objection") {
        return Err(CoreError::Forbidden(PURPOSE_REPORTS.into()));
    }
    if !host && matches!(report.target_kind.as_str(), "group" | "org") {
        return Err(CoreError::Forbidden(PLACE_REPORTS.into()));
    }
    if !host {
        return Err(CoreError::Forbidden(
            "Only the meeting house's moderators, and the hosts of what a report is about, can act on it.".into(),
        ));
    }
    let Some((action, _, admins_only)) = ACTIONS.iter().find(|(k, _, _)| *k == form.action) else {
        return Err(FieldErrors::one("action", "Choose what to do."));
    };
    if *admins_only && !actor.is_admin {
        return Err(CoreError::Forbidden("Only the meeting house's moderators can suspend or ban accounts.".into()));
    }
    // A host's powers are what they host; everything a person posted is
    // beyond that (and goes only with a suspension or a ban, theirs too).
    if form.remove_all && !actor.is_admin {
        return Err(CoreError::Forbidden(REMOVE_ALL_MODERATORS_ONLY.into()));
    }
    let reply = match report.target_kind.as_str() {
        "reply" => Some(store_replies::by_id(db, report.target_id).await?.ok_or(CoreError::NotFound)?),
        _ => None,
    };
    let story = match report.target_kind.as_str() {
        "story" => {
            let s = store_stories::by_id(db, report.target_id).await?.ok_or(CoreError::NotFound)?;
            let removal = store::story_removal(db, s.id).await?;
            Some((s, removal))
        }
        _ => None,
    };
    let words = match report.target_kind.as_str() {
        "amendment" => {
            let a = store_purposes::amendment(db, report.target_id).await?.ok_or(CoreError::NotFound)?;
            let group = store_groups::by_id(db, a.group_id).await?.ok_or(CoreError::NotFound)?;
            Some(Words::Amendment { a, group })
        }
        "objection" => {
            let o = store_purposes::objection(db, report.target_id).await?.ok_or(CoreError::NotFound)?;
            let a = store_purposes::amendment(db, o.amendment_id).await?.ok_or(CoreError::NotFound)?;
            let group = store_groups::by_id(db, a.group_id).await?.ok_or(CoreError::NotFound)?;
            Some(Words::Objection { o, a, group })
        }
        _ => None,
    };
    let place = match report.target_kind.as_str() {
        "group" => {
            let g = store_groups::by_id(db, report.target_id).await?.ok_or(CoreError::NotFound)?;
            let held = store::group_held(db, g.id).await?;
            Some(Place::Group { g, held })
        }
        "org" => {
            let o = store_orgs::by_id(db, report.target_id).await?.ok_or(CoreError::NotFound)?;
            let marks = store::org_marks(db, o.id).await?;
            Some(Place::Org { o, marks })
        }
        _ => None,
    };
    let other = match report.target_kind.as_str() {
        "statement" => Some(Other::Statement(store::reported_statement(db, report.target_id).await?.ok_or(CoreError::NotFound)?)),
        "prompt" => Some(Other::Prompt(store_prompts::by_id(db, report.target_id).await?.ok_or(CoreError::NotFound)?)),
        "object" => Some(Other::Object(meetinghouse_store::objects::by_id(db, report.target_id).await?.ok_or(CoreError::NotFound)?)),
        _ => None,
    };
    if place.is_some() && has_stake(db, &report.target_kind, report.target_id, actor.id).await? {
        return Err(CoreError::Forbidden(YOUR_PLACE.into()));
    }
    let person = match (&place, &other) {
        (Some(_), _) => 0,
        (None, Some(o)) => o.author(),
        (None, None) => reply
            .as_ref()
            .map(|r| r.author_person)
            .or(story.as_ref().map(|(s, _)| s.author_person))
            .or(words.as_ref().map(Words::author))
            .unwrap_or(report.target_id),
    };
    if person == actor.id {
        return Err(CoreError::Forbidden(ABOUT_YOU.into()));
    }
    if let Some(r) = &reply
        && r.status == "hidden"
        && !actor.is_admin
        && store::reply_hiding(db, r.id).await?.is_some_and(|h| h.by_moderators == 1)
    {
        return Err(CoreError::Forbidden(HIDDEN_BY_MODERATORS.into()));
    }
    if report.status != "open" {
        return Err(FieldErrors::one("action", ALREADY_DEALT_WITH));
    }
    if let (Some(r), Some(seen)) = (&reply, seen)
        && version(r) != seen
    {
        return Err(FieldErrors::one("action", REPLY_CHANGED));
    }
    if let (Some(w), Some(seen)) = (&words, seen)
        && w.version() != seen
    {
        return Err(FieldErrors::one("action", WORDS_CHANGED));
    }
    if let (Some((s, _)), Some(seen)) = (&story, seen)
        && story_version(s) != seen
    {
        return Err(FieldErrors::one("action", STORY_CHANGED));
    }
    if let (Some(p), Some(seen)) = (&place, seen)
        && p.version() != seen
    {
        return Err(FieldErrors::one("action", PLACE_CHANGED));
    }
    if let (Some(o), Some(seen)) = (&other, seen)
        && o.version() != seen
    {
        return Err(FieldErrors::one("action", CHANGED));
    }
    let mut e = FieldErrors::new();
    // Checked again in the decision's transaction, after the person's row is held.
    if matches!(*action, "suspend" | "ban") && people::by_id(db, person).await?.is_some_and(|p| p.is_admin != 0) {
        e.add("action", ADMINS_NOT_SUSPENDED);
    }
    let needs_note = matches!(*action, "hide" | "warn" | "suspend" | "ban" | "archive" | "flag");
    let note = text(&mut e, "note", "A note to the author", &form.note, conversations::NOTE_MAX, needs_note);
    let days = if *action == "suspend" {
        match form.days.trim().parse::<i64>() {
            Ok(d) if (1..=SUSPEND_DAYS_MAX).contains(&d) => Some(d),
            _ => {
                e.add("days", format!("Enter a number of days from 1 to {SUSPEND_DAYS_MAX}."));
                None
            }
        }
    } else {
        None
    };
    if form.remove_all {
        if !matches!(*action, "suspend" | "ban") {
            e.add("remove_all", REMOVE_ALL_NEEDS_BAN);
        } else {
            if store::posted_counts(db, person).await?.total() > REMOVE_ALL_MAX {
                e.add("remove_all", too_much_to_remove());
            }
        }
    }
    if place.is_none() && matches!(*action, "archive" | "flag") {
        e.add("action", DOES_NOT_APPLY);
    } else if let Some(o) = &other {
        // A statement is taken out (by a host while its conversation is
        // open; by an instance moderator at any time), an object withdrawn,
        // and the person who wrote or opened it warned, suspended or banned.
        match (*action, o) {
            ("dismiss", _) => {}
            ("hide", Other::Statement(st)) if st.status != "rejected" => {
                if st.conversation_status != "open" && !actor.is_admin {
                    return Err(CoreError::Forbidden(STATEMENT_CLOSED.into()));
                }
            }
            ("hide", Other::Object(ob)) if !ob.withdrawn() => {}
            ("warn" | "suspend" | "ban", Other::Statement(_) | Other::Prompt(_)) if person != 0 => {}
            _ => e.add("action", DOES_NOT_APPLY),
        }
    } else if let Some(p) = &place {
        // A group is warned about, archived or opened again; an
        // organisation is warned about, hidden, flagged or restored.
        match (*action, p) {
            ("dismiss" | "warn", _) => {}
            ("archive", Place::Group { held: None, .. }) | ("restore", Place::Group { held: Some(_), .. }) => {}
            ("hide", Place::Org { marks, .. }) if marks.words_hidden_at.is_none() => {}
            ("flag", Place::Org { marks, .. }) if marks.flagged_at.is_none() => {}
            ("restore", Place::Org { marks, .. }) if marks.words_hidden_at.is_some() || marks.flagged_at.is_some() => {}
            _ => e.add("action", DOES_NOT_APPLY),
        }
    } else if let Some((s, removal)) = &story {
        // A story is removed (its photos with it) while it is live, and
        // only an instance moderator restores one the moderators removed,
        // while it can still be restored.
        match (*action, removal) {
            ("hide", _) if s.deleted_at.is_none() => {}
            ("restore", Some(_)) if !actor.is_admin => {
                return Err(CoreError::Forbidden("Only the meeting house's moderators can restore a story the moderators removed.".into()));
            }
            ("restore", Some(r)) if meetinghouse_store::now() - r.removed_at > crate::stories::RESTORE_WINDOW_SECS => {
                e.add("action", "This story was removed more than 30 days ago and can no longer be restored.")
            }
            ("restore", Some(_)) => {}
            ("approve" | "hide" | "restore", _) => e.add("action", DOES_NOT_APPLY),
            _ => {}
        }
    } else if let Some(w) = &words {
        // Hiding the words is the one change a decision makes to them, and
        // showing them again (on review) the one way back.
        match *action {
            "hide" if !w.hidden() => {}
            "restore" if w.hidden() && w.restorable() => {}
            "restore" if w.hidden() => e.add("action", WITHDRAWN_FOR_GOOD),
            "approve" | "hide" | "restore" => e.add("action", DOES_NOT_APPLY),
            _ => {}
        }
    } else {
        match (*action, reply.as_ref().map(|r| r.status.as_str())) {
            ("approve", Some("pending")) | ("hide", Some("visible" | "pending")) | ("restore", Some("hidden")) => {}
            ("approve" | "hide" | "restore", _) => e.add("action", DOES_NOT_APPLY),
            ("dismiss" | "warn", Some("pending")) => e.add("action", PENDING_NEEDS_DECISION),
            _ => {}
        }
    }
    e.into_result()?;
    let title = match &reply {
        Some(r) => match Subject::parse(&r.subject_kind, r.subject_id) {
            Some(s) => subjects::resolve(db, s, None).await.map(|i| i.title).unwrap_or_else(|_| "a conversation".into()),
            None => "a conversation".into(),
        },
        None => match (&words, &place, &other) {
            (Some(w), _, _) => w.title(),
            (None, Some(p), _) => p.name().to_string(),
            (None, None, Some(o)) => o.title(),
            (None, None, None) => story.as_ref().map(|(s, _)| s.title.clone()).unwrap_or_default(),
        },
    };
    // Publishing: approving a reply that waits for review, or restoring one
    // hidden before readers were ever shown it (it waited, then was hidden).
    let planned = match (&reply, *action) {
        (Some(r), "approve") => Some(conversations::publish_effects(db, r).await?),
        (Some(r), "restore") if r.published == 0 => Some(conversations::publish_effects(db, r).await?),
        _ => None,
    };
    Ok(Decision {
        moderator: actor.id,
        report,
        action,
        note,
        days,
        reply,
        story,
        words,
        place,
        other,
        person,
        title,
        planned,
        remove_all: form.remove_all,
        by_moderators: actor.is_admin,
    })
}

/// Acts on a queue item ([`decide`], then [`Decision::apply`]); returns what
/// to tell the moderator.
pub async fn act(db: &Db, mail: Mailer<'_>, actor: &Actor, report_id: i64, form: &ActionForm) -> Result<String> {
    decide(db, actor, report_id, form).await?.apply(db, mail).await
}

/// [`act`] from a page that showed the reply's text at version `seen`
/// ([`QueueItem::version`]): the queue form's decisions.
pub async fn act_seen(db: &Db, mail: Mailer<'_>, actor: &Actor, report_id: i64, form: &ActionForm, seen: &str) -> Result<String> {
    decide_seen(db, actor, report_id, form, Some(seen)).await?.apply(db, mail).await
}

impl Decision {
    /// Carries the decision out in one transaction: closes the report and
    /// every other open report about the same thing, changes the reply or
    /// the account, writes the audit log, and tells the people concerned:
    /// the author, every reporter of every report it closed, and an author
    /// whose review request it closed without restoring the reply (the
    /// request is answered, and they may ask again after an edit). Returns
    /// what to tell the moderator. Its first write closes the report only
    /// if it is still open, and the reply is changed (or, for a decision
    /// that leaves it as it is, confirmed) only in the status and with the
    /// text that were judged: if either changed since [`decide`], nothing
    /// is written (so a reply is never published twice, nor published with
    /// text no moderator read) and the moderator is told plainly. A
    /// suspension never shortens a longer one in force (the later end
    /// stays, and the moderator is told); a banned account cannot be
    /// suspended, which would change nothing.
    ///
    /// A story, an amendment's or objection's words, a group or an
    /// organisation is changed the same way, only as judged
    /// ([`STORY_CHANGED`], [`WORDS_CHANGED`], [`PLACE_CHANGED`]); a group's
    /// hosts or an organisation's admins hear a decision about it, and
    /// whoever asked for a review that leaves things as they are hears so.
    ///
    /// With `remove_all` (a suspension or a ban by an instance moderator),
    /// the same transaction also removes everything the person posted
    /// ([`remove_all_posted`]): all of it, with the suspension or ban, or
    /// nothing. The author is told once, in the suspension's or ban's
    /// message; every reporter of the reports it closes is told once; the
    /// log gets one more entry (`remove-all`, about the person) saying how
    /// many were removed.
    pub async fn apply(self, db: &Db, mail: Mailer<'_>) -> Result<String> {
        let Decision { moderator, report, action, note, days, reply, story, words, place, other, person, title, planned, remove_all, by_moderators } = self;
        let changed = || FieldErrors::one("action", REPLY_CHANGED);
        let now = meetinghouse_store::now();
        let mut until = days.map(|d| now + d * 86_400);
        let url = match (&reply, &story) {
            (Some(r), _) => format!("/replies/{}", r.id),
            (None, Some((s, _))) => format!("/stories/{}", s.id),
            _ if words.is_some() => words.as_ref().map(Words::url).unwrap_or_default(),
            _ if place.is_some() => place.as_ref().map(Place::url).unwrap_or_default(),
            _ if other.is_some() => other.as_ref().map(Other::url).unwrap_or_default(),
            _ => "/notifications".into(),
        };
        let mut done = "Done.".to_string();
        let mut tx = db.begin().await?;
        let Some(closed) = store::close_report(&mut tx, &report).await? else {
            return Err(FieldErrors::one("action", ALREADY_DEALT_WITH));
        };
        // A suspension or a ban takes the person's row before any reply or
        // story of theirs, in the order each of their own writes takes them
        // (`accounts::ensure_still_open` first): the two never deadlock.
        if matches!(action, "suspend" | "ban") {
            meetinghouse_store::people::still_open_in(&mut tx, person).await?;
            // With their row held, a promotion cannot land in between: an
            // admin is never suspended or banned from the queue, so two
            // admins acting at once cannot leave none.
            if people::by_id_in(&mut tx, person).await?.is_some_and(|p| p.is_admin != 0) {
                return Err(FieldErrors::one("action", ADMINS_NOT_SUSPENDED));
            }
        }
        let waiting = reply.as_ref().is_some_and(|r| r.status == "pending");
        let new_status = match action {
            "approve" | "restore" => Some(("visible", "")),
            "hide" => Some(("hidden", note.as_str())),
            // Suspending or banning the author of a reply that waits for
            // review hides it: it is not published, and never left waiting.
            "suspend" | "ban" if waiting => Some(("hidden", note.as_str())),
            _ => None,
        };
        // What is hidden is kept as it read, for the moderators (migration
        // 0059): its author may edit or retract it afterwards.
        if matches!(new_status, Some(("hidden", _))) || (matches!(action, "hide" | "archive") && reply.is_none()) {
            store::snapshot_in(&mut tx, report.id, store::HIDDEN, &report.target_kind, report.target_id).await?;
        }
        if let Some(r) = &reply {
            let same = match new_status {
                Some((to, why)) => store_replies::set_status(&mut tx, r.id, &r.status, &r.body, to, why).await?,
                None => store_replies::still_as_judged(&mut tx, r.id, &r.status, &r.body).await?,
            };
            if !same {
                return Err(changed());
            }
            match new_status {
                Some(("hidden", _)) => store::record_reply_hiding(&mut tx, r.id, moderator, by_moderators, &version(r), now).await?,
                Some(_) => store::clear_reply_hiding(&mut tx, r.id).await?,
                None => {}
            }
        }
        let story_told = match &story {
            Some((s, removal)) => apply_to_story(&mut tx, db, s, removal.as_ref(), action, moderator, report.id, &note, now).await?,
            None => None,
        };
        let place_told = match &place {
            Some(p) => apply_to_place(&mut tx, db, p, action, &note, now).await?,
            None => None,
        };
        let other_told = match &other {
            Some(o) => apply_to_other(&mut tx, db, o, action, moderator, by_moderators, &note, now).await?,
            None => None,
        };
        let told: Option<String> = match (action, &reply) {
            // A group's hosts or an organisation's admins are told above.
            _ if place.is_some() => None,
            // So is whoever hears of a statement taken out or an object withdrawn.
            _ if other.is_some() && !matches!(action, "warn" | "suspend" | "ban") => None,
            ("approve", Some(r)) => {
                if let Some(p) = &planned {
                    conversations::apply_published(&mut tx, mail, r, p).await?;
                }
                Some(format!("Your reply on “{title}” was reviewed and is now published."))
            }
            ("hide", Some(_)) => {
                Some(format!("A moderator hid your reply on “{title}”. Why: {note} You can edit it and ask for a review."))
            }
            ("restore", Some(r)) => match &planned {
                Some(p) => {
                    conversations::apply_published(&mut tx, mail, r, p).await?;
                    Some(format!("Your reply on “{title}” was reviewed and is now published."))
                }
                None => Some(format!("Your reply on “{title}” is shown again.")),
            },
            ("warn", _) => Some(format!("A moderator sent you a warning: {note}")),
            ("suspend", _) => match store::suspend(&mut tx, person, until).await? {
                Suspension::Banned => {
                    return Err(FieldErrors::one(
                        "action",
                        "This account is already closed by a ban, so a suspension would change nothing. Choose another action, or dismiss the report.",
                    ));
                }
                Suspension::Until(end) if until.is_some_and(|asked| end > asked) => {
                    until = Some(end);
                    let date = crate::format_date(end);
                    done = format!("Done. An earlier suspension ends later, so it stays: the account is suspended until {date}.");
                    Some(format!("A moderator has suspended your account again; it stays suspended until {date}. Why: {note}"))
                }
                Suspension::Until(_) => Some(format!("Your account is suspended for {} days. Why: {note}", days.unwrap_or(0))),
            },
            ("ban", _) => {
                store::suspend(&mut tx, person, None).await?;
                Some(format!("Your account is closed by the moderators. Why: {note}"))
            }
            _ => None,
        };
        // `decide` allows it only with a suspension or a ban.
        let removed = if remove_all && matches!(action, "suspend" | "ban") {
            remove_all_posted(&mut tx, db, mail, person, moderator, report.id, &note, now).await?
        } else {
            RemovedAll::default()
        };
        let told = match told {
            Some(text) if removed.any() => {
                let window = crate::stories::RESTORE_WINDOW_SECS;
                // A banned person never signs in again to ask; a suspended
                // one does when it ends, unless a story's window ends first.
                let after = match until {
                    None => String::new(),
                    Some(end) if removed.counts.stories > 0 && end - now > window => {
                        " When the suspension ends you can ask the moderators to look again at each one, on its page. \
                         A removed story can be restored only within 30 days, which is before your suspension ends: \
                         for a story, write to the admins instead."
                            .to_string()
                    }
                    Some(_) => " When the suspension ends you can ask the moderators to look again at each one, on its page \
                                (a story within 30 days of its removal; after that it is removed for good)."
                        .to_string(),
                };
                Some(format!(
                    "{text} The moderators also removed everything you had posted: {}, with the same note.{after}",
                    posted_words(removed.counts)
                ))
            }
            other => other,
        };
        if removed.any() {
            let counted = posted_words(removed.counts);
            store::insert_action(&mut tx, &NewAction {
                moderator,
                report_id: Some(report.id),
                target_kind: "person",
                target_id: person,
                action: "remove-all",
                note: &format!("Removed everything they had posted: {counted}."),
                until_at: None,
            })
            .await?;
            done.push_str(&format!(" Everything they had posted was removed too: {counted}."));
            let c = removed.counts;
            tracing::info!(
                person_id = person,
                moderator,
                report = report.id,
                stories = c.stories,
                replies = c.replies,
                amendments = c.amendments,
                objections = c.objections,
                "removed everything a person had posted"
            );
        }
        store::insert_action(&mut tx, &NewAction {
            moderator,
            report_id: Some(report.id),
            target_kind: &report.target_kind,
            target_id: report.target_id,
            action,
            note: &note,
            until_at: until,
        })
        .await?;
        let words_told = match (&words, action) {
            (Some(w), "hide") => Some(hide_words(&mut tx, db, mail, w, &note, now).await?),
            (Some(w), "restore") => Some(show_words(&mut tx, w).await?),
            _ => None,
        };
        if let Some((people, text)) = place_told.as_ref().or(other_told.as_ref()) {
            for p in people.iter().filter(|p| **p != moderator) {
                notifications::notify(&mut tx, mail, *p, Kind::Moderation, text, &url).await?;
            }
        }
        if let Some(text) = story_told.or(words_told).or(told) {
            notifications::notify(&mut tx, mail, person, Kind::Moderation, &text, &url).await?;
            if matches!(action, "suspend" | "ban") {
                tell_suspended(&mut tx, mail, person, &text, &note, action == "ban").await?;
            }
        }
        // The author of a removed story asked to look again, and it stays removed.
        if let Some((_, Some(_))) = &story
            && action != "restore"
            && closed.iter().any(|c| c.category == REVIEW_REQUEST)
        {
            let why = if note.is_empty() { String::new() } else { format!(" Why: {note}") };
            let text = format!("A moderator looked at your story “{title}” again, and it stays removed.{why}");
            notifications::notify(&mut tx, mail, person, Kind::Moderation, &text, &url).await?;
        }
        // The author of hidden words asked to look again, and they stay hidden.
        if let Some(w) = &words
            && w.hidden()
            && action != "restore"
            && closed.iter().any(|c| c.category == REVIEW_REQUEST)
        {
            let why = if note.is_empty() { String::new() } else { format!(" Why: {note}") };
            let what = match w {
                Words::Amendment { .. } => format!("the words of your {}, and they stay hidden", w.named()),
                Words::Objection { .. } => format!("the reason of your objection to {}, and it stays hidden", w.named()),
            };
            let text = format!("A moderator looked again at {what}.{why}");
            notifications::notify(&mut tx, mail, person, Kind::Moderation, &text, &url).await?;
        }
        // A group's host or an organisation's admin asked to look again, and
        // what the moderators did stays: each who asked hears so.
        if let Some(p) = &place
            && p.marked()
            && action != "restore"
        {
            let why = if note.is_empty() { String::new() } else { format!(" Why: {note}") };
            let text = format!("A moderator looked again at “{}”, as you asked, and what the moderators did stays.{why}", p.name());
            let mut asked: Vec<i64> = closed.iter().filter(|c| c.category == REVIEW_REQUEST).filter_map(|c| c.reporter).collect();
            asked.dedup();
            for who in asked {
                notifications::notify(&mut tx, mail, who, Kind::Moderation, &text, &url).await?;
            }
        }
        // A review the author asked for, closed with the reply still hidden:
        // the request is answered, and they hear so (another needs an edit).
        if let Some(r) = &reply
            && r.status == "hidden"
            && action != "restore"
            && closed.iter().any(|c| c.category == "review-request")
        {
            store_replies::decline_review(&mut tx, r.id).await?;
            let why = if note.is_empty() { String::new() } else { format!(" Why: {note}") };
            let text = format!(
                "A moderator looked at your reply on “{title}” again, and it stays hidden.{why} \
                 If you edit it, you can ask for another review."
            );
            notifications::notify(&mut tx, mail, person, Kind::Moderation, &text, &url).await?;
        }
        let outcome = match action {
            "dismiss" => "looked at it and decided no action was needed",
            "hide" if story.is_some() => "removed the story",
            "hide" if matches!(other, Some(Other::Statement(_))) => "took the statement out of the conversation",
            "hide" if matches!(other, Some(Other::Object(_))) => "withdrew the object from the collection",
            "warn" if matches!(other, Some(Other::Prompt(_))) => "warned the person who opened the prompt",
            "hide" if place.is_some() => "hid the organisation's description and website",
            "archive" => "archived the group",
            "flag" => "flagged the organisation as not confirmed to be who its name says",
            "warn" if matches!(place, Some(Place::Group { .. })) => "warned the group's hosts",
            "warn" if matches!(place, Some(Place::Org { .. })) => "warned the organisation's admins",
            "restore" if place.is_some() => "took back what the moderators had done",
            "restore" if words.is_some() => "showed the words again",
            "hide" => match &words {
                Some(Words::Amendment { a, .. }) if a.state == "open" => "hid the amendment's words and withdrew it",
                Some(Words::Amendment { a, .. }) if a.state == "adopted" => "hid the amendment's reason",
                Some(Words::Amendment { .. }) => "hid the amendment's words",
                Some(Words::Objection { .. }) => "hid the objection's reason",
                None => "hid the reply",
            },
            "restore" if story.is_some() => "restored the story",
            "warn" => "warned the person",
            "suspend" if removed.any() => "suspended the account and removed what they had posted",
            "ban" if removed.any() => "closed the account and removed what they had posted",
            "suspend" => "suspended the account",
            "ban" => "closed the account",
            _ => "dealt with it",
        };
        let text = format!("Thank you for your report. A moderator {outcome}.");
        // Those who asked for a review heard above (or are the author).
        let mut reporters: Vec<i64> = closed
            .iter()
            .filter(|c| c.category != REVIEW_REQUEST)
            .filter_map(|c| c.reporter)
            .chain(removed.reporters.iter().copied())
            .filter(|p| *p != moderator && *p != person)
            .collect();
        reporters.sort_unstable();
        reporters.dedup();
        for reporter in reporters {
            notifications::notify(&mut tx, mail, reporter, Kind::Moderation, &text, "/notifications").await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(if removed.any() { format!("{done} The actions are in the moderation log.") } else { format!("{done} The action is in the moderation log.") })
    }
}

/// What a moderator is told when the action chosen does not fit the item.
pub const DOES_NOT_APPLY: &str = "That does not apply to this item as it is now.";

/// What a moderator is told when a statement, a prompt or an object is not
/// what their page showed.
pub const CHANGED: &str = "It changed since you opened the page (someone changed it, or another moderator acted), \
     so nothing was changed. Look at it again, then decide.";

/// Why a host does not take a statement out of a closed conversation (the
/// meeting house's moderators still may).
pub const STATEMENT_CLOSED: &str = "This conversation is closed: its hosts no longer take statements out. \
     The meeting house's moderators still can: dismiss this report, and report the statement to them if it must go.";

/// The first `n` characters of a text, on one line, `…` when cut.
fn first_words(text: &str, n: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = line.chars().take(n).collect();
    if cut.len() < line.len() { format!("{cut}…") } else { cut }
}

/// A statement, a prompt or a collection object a decision is about, as
/// [`decide`] loaded it.
enum Other {
    Statement(store::ReportedStatement),
    Prompt(meetinghouse_store::prompts::PromptRow),
    Object(meetinghouse_store::objects::ObjectRow),
}

impl Other {
    /// The person who wrote the statement or opened the prompt; 0 for an
    /// object, and for a statement written without an account.
    fn author(&self) -> i64 {
        match self {
            Other::Statement(st) => st.author_person.unwrap_or(0),
            Other::Prompt(p) => p.host_person,
            Other::Object(_) => 0,
        }
    }

    /// The version judged ([`statement_version`], [`prompt_version`], [`object_version`]).
    fn version(&self) -> String {
        match self {
            Other::Statement(st) => statement_version(st),
            Other::Prompt(p) => prompt_version(p),
            Other::Object(o) => object_version(o),
        }
    }

    /// What it is called in a message.
    fn title(&self) -> String {
        match self {
            Other::Statement(st) => st.topic.clone(),
            Other::Prompt(p) => p.question.clone(),
            Other::Object(o) => o.title.clone(),
        }
    }

    /// Its page.
    fn url(&self) -> String {
        match self {
            Other::Statement(st) => format!("/common-ground/{}", st.conversation_id),
            Other::Prompt(p) => format!("/prompts/{}", p.id),
            Other::Object(o) => format!("/objects/{}", o.id),
        }
    }
}

/// What a decision about a statement or an object changes, in its
/// transaction, only as judged ([`CHANGED`] otherwise, and nothing is
/// written): a statement taken out of its conversation (a host's decision
/// only while it is still open: the conversation's row is taken first, as
/// every change to it takes it, store `common_ground::change_open`), an
/// object withdrawn from its collection — by the meeting house's
/// moderators as theirs (only they put it back), by its organisation's
/// staff as the organisation's — and left out of search. Returns who is
/// told and what: the statement's author (when they had an account), the
/// organisation's active admins; `None` otherwise.
#[allow(clippy::too_many_arguments)]
async fn apply_to_other(
    tx: &mut meetinghouse_store::Tx,
    db: &Db,
    o: &Other,
    action: &str,
    moderator: i64,
    by_moderators: bool,
    note: &str,
    now: i64,
) -> Result<Option<(Vec<i64>, String)>> {
    if action != "hide" {
        return Ok(None);
    }
    match o {
        Other::Statement(st) => {
            if !by_moderators && !meetinghouse_store::common_ground::change_open(tx, st.conversation_id).await? {
                return Err(CoreError::Forbidden(STATEMENT_CLOSED.into()));
            }
            if !store::reject_statement(tx, st.id, &st.status).await? {
                return Err(FieldErrors::one("action", CHANGED));
            }
            let text = format!(
                "A moderator took your statement “{}” out of the conversation “{}”: nobody votes on it any more. Why: {note}",
                first_words(&st.body, 80),
                st.topic
            );
            Ok(Some((st.author_person.into_iter().collect(), text)))
        }
        Other::Object(ob) => {
            let how = if by_moderators { meetinghouse_store::objects::BY_MODERATION } else { meetinghouse_store::objects::BY_ORG };
            if !meetinghouse_store::objects::withdraw(tx, ob.id, Some(moderator), how, note, now).await? {
                return Err(FieldErrors::one("action", CHANGED));
            }
            meetinghouse_store::search::remove(tx, db.backend(), "object", ob.id).await?;
            let org = store_orgs::by_id(db, ob.org_id).await?.map(|o| o.name).unwrap_or_default();
            let who = if by_moderators { "The meeting house's moderators" } else { "One of your organisation's staff" };
            let text = format!("{who} withdrew the object “{}” from the collection of {org}, after a report. Why: {note}", ob.title);
            Ok(Some((store::org_admins_in(tx, ob.org_id).await?, text)))
        }
        Other::Prompt(_) => Ok(None),
    }
}

/// What a moderator is told when a group or an organisation is not what
/// their page showed.
pub const PLACE_CHANGED: &str = "It changed since you opened the page (its hosts or admins changed it, or another moderator acted), \
     so nothing was changed. Look at it again, then decide.";

/// A group or an organisation a decision is about, as [`decide`] loaded it.
enum Place {
    /// A group, and when the moderators archived it if they hold it so.
    Group { g: store_groups::GroupRow, held: Option<i64> },
    /// An organisation, and what the moderators did to it.
    Org { o: store_orgs::OrgRow, marks: OrgMarks },
}

impl Place {
    /// The version judged ([`group_version`], [`org_version`]).
    fn version(&self) -> String {
        match self {
            Place::Group { g, held } => group_version(g, *held),
            Place::Org { o, marks } => org_version(o, *marks),
        }
    }

    fn name(&self) -> &str {
        match self {
            Place::Group { g, .. } => &g.name,
            Place::Org { o, .. } => &o.name,
        }
    }

    /// Its page.
    fn url(&self) -> String {
        match self {
            Place::Group { g, .. } => format!("/groups/{}", g.slug),
            Place::Org { o, .. } => format!("/orgs/{}", o.slug),
        }
    }

    /// Whether something of the moderators' stands on it (what a review
    /// request asks them to look at again).
    fn marked(&self) -> bool {
        match self {
            Place::Group { held, .. } => held.is_some(),
            Place::Org { marks, .. } => marks.words_hidden_at.is_some() || marks.flagged_at.is_some(),
        }
    }
}

/// What a decision about a group or an organisation changes, in its
/// transaction, after the group's row lock (`groups::lock_group`) or the
/// organisation's (`orgs::lock`) and only if it is still as judged
/// ([`PLACE_CHANGED`] otherwise, and nothing is written): a group archived
/// as its hosts would archive it and held so (only the moderators open it
/// again), or opened again and let go; an organisation's description and
/// website hidden, the organisation flagged, or both undone. Returns who is
/// told (the group's active hosts, the organisation's active admins) and
/// what; `None` for a dismissal.
async fn apply_to_place(tx: &mut meetinghouse_store::Tx, db: &Db, p: &Place, action: &str, note: &str, now: i64) -> Result<Option<(Vec<i64>, String)>> {
    let why = if note.is_empty() { String::new() } else { format!(" Why: {note}") };
    match p {
        Place::Group { g, .. } => {
            store_groups::lock_group(tx, db.backend(), g.id).await?;
            let Some(current) = store_groups::by_id_in(tx, g.id).await? else { return Err(CoreError::NotFound) };
            let held = store::group_held_in(tx, g.id).await?;
            if group_version(&current, held) != p.version() {
                return Err(FieldErrors::one("action", PLACE_CHANGED));
            }
            let name = &g.name;
            let told = match action {
                "archive" => {
                    store_groups::set_archived(tx, g.id, Some(now)).await?;
                    store::set_group_held(tx, g.id, Some(now)).await?;
                    // Its open amendments are superseded, as a host's archive does
                    // (nobody may object while it is archived); no mailer here, so
                    // their proposers and objectors learn it on the amendment's page.
                    crate::purposes::supersede_for_archive(tx, db, None, &current, now).await?;
                    format!(
                        "The meeting house's moderators archived your group “{name}”: it takes nothing new, and what it holds stays there to read. \
                         Only the moderators can open it again; you can ask them to, on its page.{why}"
                    )
                }
                "restore" => {
                    store_groups::set_archived(tx, g.id, None).await?;
                    store::set_group_held(tx, g.id, None).await?;
                    format!("The meeting house's moderators opened your group “{name}” again: it takes new members, stories and replies as before.{why}")
                }
                "warn" => format!("The meeting house's moderators sent the hosts of “{name}” a warning: {note}"),
                _ => return Ok(None),
            };
            Ok(Some((store_groups::active_hosts(tx, g.id).await?, told)))
        }
        Place::Org { o, .. } => {
            store_orgs::lock(tx, db.backend(), o.id).await?;
            let Some(current) = store_orgs::by_id_in(tx, o.id).await? else { return Err(CoreError::NotFound) };
            let Some(marks) = store::org_marks_in(tx, o.id).await? else { return Err(CoreError::NotFound) };
            if org_version(&current, marks) != p.version() {
                return Err(FieldErrors::one("action", PLACE_CHANGED));
            }
            let name = &o.name;
            let (marks, told) = match action {
                "hide" => (
                    OrgMarks { words_hidden_at: Some(now), ..marks },
                    format!(
                        "The meeting house's moderators hid the description and website of “{name}”: its page shows “removed by the moderators” \
                         in their place. You can still edit them, but what you write stays hidden until the moderators look again; \
                         you can ask them to, on its page.{why}"
                    ),
                ),
                "flag" => (
                    OrgMarks { flagged_at: Some(now), ..marks },
                    format!(
                        "The meeting house's moderators flagged “{name}”: its page now says they could not confirm it is who its name says. \
                         If it is, you can ask them to look again, on its page.{why}"
                    ),
                ),
                "restore" => (
                    OrgMarks::default(),
                    format!("The meeting house's moderators looked at “{name}” again and took back what they had done: its page shows it as before.{why}"),
                ),
                "warn" => (marks, format!("The meeting house's moderators sent the admins of “{name}” a warning: {note}")),
                _ => return Ok(None),
            };
            store::set_org_marks(tx, o.id, marks).await?;
            Ok(Some((store::org_admins_in(tx, o.id).await?, told)))
        }
    }
}

/// Shows an amendment's or an objection's words again (a moderator's
/// decision on review), in the decision's transaction, only while they are
/// hidden as they were judged ([`WORDS_CHANGED`] otherwise, and nothing is
/// written). Nothing else changes: an amendment stays as it was settled, an
/// objection counts (or not) as before. Returns what its author is told.
async fn show_words(tx: &mut meetinghouse_store::Tx, w: &Words) -> Result<String> {
    let title = w.named();
    let shown = match w {
        Words::Amendment { a, .. } => match a.hidden_at {
            Some(at) => store_purposes::show_amendment_words(tx, a.id, at).await?,
            None => false,
        },
        Words::Objection { o, .. } => match o.hidden_at {
            Some(at) => store_purposes::show_objection_reason(tx, o.id, &o.reason, at).await?,
            None => false,
        },
    };
    if !shown {
        return Err(FieldErrors::one("action", WORDS_CHANGED));
    }
    Ok(match w {
        Words::Amendment { .. } => format!("A moderator looked again at the words of your {title} and shows them again on its page."),
        Words::Objection { .. } => format!("A moderator looked again at the reason of your objection to {title} and shows it again on its page."),
    })
}

/// What a moderator is told when an amendment or an objection is not what
/// their page showed.
pub const WORDS_CHANGED: &str = "It changed since you opened the page (its author changed it, it was settled or withdrawn, or another moderator acted), \
     so nothing was changed. Look at it again, then decide.";

/// An amendment or an objection a decision is about, as [`decide`] loaded
/// it, with its group.
enum Words {
    Amendment { a: AmendmentRow, group: store_groups::GroupRow },
    Objection { o: ObjectionRow, a: AmendmentRow, group: store_groups::GroupRow },
}

impl Words {
    /// Who wrote it: the amendment's proposer, the objection's author.
    fn author(&self) -> i64 {
        match self {
            Words::Amendment { a, .. } => a.proposed_by,
            Words::Objection { o, .. } => o.person_id,
        }
    }

    /// The version judged ([`amendment_version`], [`objection_version`]).
    fn version(&self) -> String {
        match self {
            Words::Amendment { a, .. } => amendment_version(a),
            Words::Objection { o, .. } => objection_version(o),
        }
    }

    fn hidden(&self) -> bool {
        match self {
            Words::Amendment { a, .. } => a.hidden_at.is_some(),
            Words::Objection { o, .. } => o.hidden_at.is_some(),
        }
    }

    /// Whether "restore" could show its words again: not for an amendment
    /// the moderators withdrew by hiding them.
    fn restorable(&self) -> bool {
        match self {
            Words::Amendment { a, .. } => !withdrawn_by_moderators(a),
            Words::Objection { .. } => true,
        }
    }

    /// The amendment's title ("Amendment 3 to the purpose of …").
    fn title(&self) -> String {
        match self {
            Words::Amendment { a, group } | Words::Objection { a, group, .. } => crate::purposes::amendment_title(a.id, &group.name),
        }
    }

    /// The amendment in a sentence ("amendment 3 to the purpose of …").
    fn named(&self) -> String {
        match self {
            Words::Amendment { a, group } | Words::Objection { a, group, .. } => format!("amendment {} to the purpose of {}", a.id, group.name),
        }
    }

    /// The amendment's page.
    fn url(&self) -> String {
        match self {
            Words::Amendment { a, group } | Words::Objection { a, group, .. } => crate::purposes::amendment_path(&group.slug, a.id),
        }
    }
}

/// Hides an amendment's or an objection's words, in the decision's
/// transaction, only as they were judged (otherwise [`WORDS_CHANGED`], and
/// nothing is written): an amendment's through `purposes::hide_words_in`
/// (an open one is withdrawn, and those who objected are told), an
/// objection's reason alone (whether it counts is not touched). Returns
/// what its author is told.
async fn hide_words(tx: &mut meetinghouse_store::Tx, db: &Db, mail: Mailer<'_>, w: &Words, note: &str, now: i64) -> Result<String> {
    let title = w.named();
    match w {
        Words::Amendment { a, .. } => {
            let Some(withdrawn) = crate::purposes::hide_words_in(tx, db, mail, a, now).await? else {
                return Err(FieldErrors::one("action", WORDS_CHANGED));
            };
            Ok(if withdrawn {
                format!(
                    "A moderator removed the words of your {title}: readers see “removed by the moderators” in their place. \
                     An amendment whose words readers cannot see cannot be adopted, so it is withdrawn. Why: {note} \
                     You can propose the change again, in other words."
                )
            } else if a.state == "adopted" {
                format!(
                    "A moderator removed the reason you gave for your {title}: readers see “removed by the moderators” in its place. \
                     Its text is a version of the purpose and stays. Why: {note}"
                )
            } else {
                format!("A moderator removed the words of your {title}: readers see “removed by the moderators” in their place. Why: {note}")
            })
        }
        Words::Objection { o, .. } => {
            if !store_purposes::hide_objection(tx, o.id, &o.reason, now).await? {
                return Err(FieldErrors::one("action", WORDS_CHANGED));
            }
            Ok(format!(
                "A moderator removed the reason of your objection to {title}: readers see “removed by the moderators” in its place. \
                 Your objection counts as before while it stands: moderation does not change that. Why: {note}"
            ))
        }
    }
}

/// What removing or restoring a story does, in the decision's transaction:
/// the story deleted (or live again) and left out of (or put back in) the
/// search index, the removal recorded (or ended). Returns what its author
/// is told, if anything; a story not as judged any more writes nothing.
#[allow(clippy::too_many_arguments)]
async fn apply_to_story(
    tx: &mut meetinghouse_store::Tx,
    db: &Db,
    s: &StoryRow,
    removal: Option<&StoryRemoval>,
    action: &str,
    moderator: i64,
    report: i64,
    note: &str,
    now: i64,
) -> Result<Option<String>> {
    let title = &s.title;
    match (action, removal) {
        ("hide", _) => {
            let removal = StoryRemoval { story_id: s.id, moderator: Some(moderator), report_id: Some(report), note: note.to_string(), removed_at: now };
            if !remove_story_in(tx, db, &removal, &s.title, &s.body).await? {
                return Err(FieldErrors::one("action", STORY_CHANGED));
            }
            Ok(Some(format!(
                "A moderator removed your story “{title}”, and its photos with it. Why: {note} \
                 Only you can still see it, on its page. If you think this was a mistake, you can ask the moderators \
                 to look again there, within 30 days; after that it is removed for good."
            )))
        }
        ("restore", Some(r)) => {
            if !store::unremove_story(tx, s.id, r.removed_at).await? {
                return Err(FieldErrors::one("action", STORY_CHANGED));
            }
            // As when its author restores it: a voice they no longer hold
            // gives way to their own name.
            if !crate::stories::author_holds_voice(db, s).await? {
                store_stories::set_byline(tx, s.id, Byline { org: None, voice: "person" }).await?;
            }
            if s.visibility == "public" {
                crate::search::index(tx, db, "story", s.id, &s.title, &s.body, s.created_at).await?;
            }
            Ok(Some(format!("A moderator looked at your story “{title}” again and restored it: it is shown again.")))
        }
        _ => Ok(None),
    }
}

/// A suspended or banned person can no longer sign in to read their
/// notification, and notification email goes only to active accounts, so
/// they are told here: the moderators' note is kept with the suspension
/// for the sign-in page, and the message goes straight to a confirmed
/// address whatever their email choice (a service message, like a reset
/// link). The notification is marked emailed, so no digest repeats it
/// once the account is active again. They cannot report or ask for a
/// review either, so the email says how to reach the admins
/// (`Settings::admins_contact`: the contact the admins set, or the About
/// page), never "reply to this email".
async fn tell_suspended(tx: &mut meetinghouse_store::Tx, mail: Mailer<'_>, person: i64, text: &str, note: &str, banned: bool) -> Result<()> {
    store::set_suspension_note(tx, person, note).await?;
    let Some(row) = people::by_id_in(tx, person).await? else { return Ok(()) };
    if row.email_verified_at.is_some() {
        let when = if banned { "You cannot sign in any more." } else { "You cannot sign in until the suspension ends." };
        let body = format!(
            "{text}\n\n{when} If you think this is a mistake, write to the admins of {name}: {contact}.\n",
            name = mail.settings.name,
            contact = mail.settings.admins_contact(mail.base_url),
        );
        meetinghouse_store::outbox::enqueue(tx, &row.email, &format!("{}: your account", mail.settings.name), &body, "moderation").await?;
        store::mark_notice_emailed(tx, person, text).await?;
    }
    Ok(())
}

/// Removes a story by moderation, in the decision's transaction: deleted as
/// its author would delete it (kept for the restore window, then purged),
/// left out of the search index, and the removal recorded, so only an
/// instance moderator restores it, on review. The one way a story is
/// removed: for a decision about it ([`apply_to_story`]) and for "remove
/// everything they have posted" ([`remove_all_posted`]). Only if it is
/// still live with this title and text; returns whether it was removed
/// (otherwise nothing is written).
async fn remove_story_in(tx: &mut meetinghouse_store::Tx, db: &Db, removal: &StoryRemoval, title: &str, body: &str) -> Result<bool> {
    if !store::remove_story(tx, removal, title, body).await? {
        return Ok(false);
    }
    crate::search::unindex(tx, db, "story", removal.story_id).await?;
    Ok(true)
}

/// What [`remove_all_posted`] removed.
#[derive(Debug, Default)]
struct RemovedAll {
    counts: Posted,
    /// The reporters of the reports it closed (to be told once each).
    reporters: Vec<i64>,
}

impl RemovedAll {
    fn any(&self) -> bool {
        self.counts.total() > 0
    }
}

/// "Remove everything they have posted", with a suspension or a ban, in
/// the decision's one transaction: all of it goes with the suspension or
/// the ban, the log entry and the messages, or none of it does. At most
/// [`REMOVE_ALL_MAX`] things in all (`decide` checks it first; more found
/// here refuses the decision), so the transaction stays short.
///
/// Each story still posted (not deleted; a draft was never posted) is
/// removed with [`remove_story_in`], each reply readers see or that waits
/// for review is hidden with `conversations::set_status`, the words of each
/// amendment to a group's purpose they proposed are hidden with
/// `purposes::hide_words_in` (an open one is withdrawn and those who
/// objected are told; an adopted one keeps its text, a version of the
/// purpose, and only its reason is hidden), and the reason of each of their
/// objections is hidden with `purposes::hide_objection` (whether it counts
/// is not touched: a banned person's objection stops counting through their
/// account's status anyway) — each just as a single decision does it, with
/// this decision's note and report: each says why on its page to its
/// author, who may ask for a review, and only an instance moderator
/// restores it. Amendments are taken group by group, in one order, each
/// after its group's row lock as settling takes them. The open reports
/// about them are closed (their reporters returned, to be told once).
/// Nobody is told here of their own things: the author hears once, in the
/// decision's message, not once per story.
///
/// What is removed is read in the transaction, and each change is made only
/// from the text read (as a single decision makes it only from the text
/// judged). On SQLite nothing changes between the read and the write (the
/// transaction holds the write turn); on PostgreSQL an edit can land in
/// between, so what is still posted is read again and removed, up to three
/// rounds; after that the decision is refused ([`POSTS_CHANGED`]).
#[allow(clippy::too_many_arguments)]
async fn remove_all_posted(
    tx: &mut meetinghouse_store::Tx,
    db: &Db,
    mail: Mailer<'_>,
    person: i64,
    moderator: i64,
    report: i64,
    note: &str,
    now: i64,
) -> Result<RemovedAll> {
    let reports = store::open_reports_about_posts(tx, person).await?;
    let mut removed = RemovedAll::default();
    for round in 0..=3 {
        let stories = store::live_stories_by(tx, person, REMOVE_ALL_MAX + 1).await?;
        let replies = store_replies::live_by_author(tx, person, REMOVE_ALL_MAX + 1).await?;
        let amendments = store_purposes::amendments_shown_by(tx, person, REMOVE_ALL_MAX + 1).await?;
        let objections = store_purposes::objections_shown_by(tx, person, REMOVE_ALL_MAX + 1).await?;
        let found = (stories.len() + replies.len() + amendments.len() + objections.len()) as i64;
        if found == 0 {
            break;
        }
        if round == 3 {
            return Err(FieldErrors::one("remove_all", POSTS_CHANGED));
        }
        if removed.counts.total() + found > REMOVE_ALL_MAX {
            return Err(FieldErrors::one("remove_all", too_much_to_remove()));
        }
        // Each thing removed is kept as it read, for the moderators (migration 0059).
        for (id, title, body) in &stories {
            let removal = StoryRemoval { story_id: *id, moderator: Some(moderator), report_id: Some(report), note: note.to_string(), removed_at: now };
            store::snapshot_in(tx, report, store::HIDDEN, "story", *id).await?;
            if remove_story_in(tx, db, &removal, title, body).await? {
                removed.counts.stories += 1;
            }
        }
        for (id, status, body) in &replies {
            store::snapshot_in(tx, report, store::HIDDEN, "reply", *id).await?;
            if store_replies::set_status(tx, *id, status, body, "hidden", note).await? {
                // Only instance moderators remove everything: only they show it again.
                store::record_reply_hiding(tx, *id, moderator, true, &body_version(body), now).await?;
                removed.counts.replies += 1;
            }
        }
        for a in &amendments {
            store::snapshot_in(tx, report, store::HIDDEN, "amendment", a.id).await?;
            if crate::purposes::hide_words_in(tx, db, mail, a, now).await?.is_some() {
                removed.counts.amendments += 1;
            }
        }
        for (id, reason) in &objections {
            store::snapshot_in(tx, report, store::HIDDEN, "objection", *id).await?;
            if store_purposes::hide_objection(tx, *id, reason, now).await? {
                removed.counts.objections += 1;
            }
        }
    }
    for r in &reports {
        // `None`: closed already, with another report about the same thing.
        if let Some(closed) = store::close_report(tx, r).await? {
            removed.reporters.extend(closed.iter().filter_map(|c| c.reporter));
        }
    }
    Ok(removed)
}

/// The author of a hidden reply asks for a review (after editing it, or
/// not). A request already waiting is left as it is; after a review that
/// kept the reply hidden, another needs an edit first. A reply the meeting
/// house's moderators hid is reviewed by them only: the request records no
/// host (no group, organisation or prompt), so it is in no host's queue;
/// one a host hid goes to the hosts of what it is on, and to the
/// moderators. Its author may ask when they
/// may no longer see what it is on (it was deleted or made a draft, they
/// left its group): the request goes to the same queue as any other, the
/// subject's group read as it is stored, since they may not see it.
pub async fn request_review(db: &Db, actor: &Actor, reply_id: i64) -> Result<()> {
    let (r, info) = conversations::own_or_visible_reply(db, reply_id, Some(actor)).await?;
    if r.author_person != actor.id {
        return Err(CoreError::Forbidden("Only the author can ask for a review.".into()));
    }
    if r.status != "hidden" {
        return Err(CoreError::Forbidden("Only a hidden reply can be reviewed again.".into()));
    }
    if r.review_requested != 0 {
        return Ok(());
    }
    if r.review_declined != 0 {
        return Err(FieldErrors::one(
            "review",
            "A moderator already looked at this reply again, and it stays hidden. Edit it first, then you can ask for another review.",
        ));
    }
    // What the meeting house's moderators hid goes back to them only.
    let by_moderators = store::reply_hiding(db, reply_id).await?.is_some_and(|h| h.by_moderators == 1);
    let group_id = match info {
        _ if by_moderators => None,
        Some(info) => info.group_id,
        None => subject_group(db, &r).await?,
    };
    let mut tx = db.begin().await?;
    if !store_replies::set_review_requested(&mut tx, reply_id).await? {
        // A moderator acted (or another request came) since it was loaded.
        return Err(CoreError::Forbidden("This reply changed meanwhile (a moderator may have acted on it). Look at it again.".into()));
    }
    let filed = store::insert_report(&mut tx, None, "reply", reply_id, "review-request", "", group_id).await?;
    if by_moderators {
        store::unscope_report(&mut tx, filed).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The group a reply's subject belongs to, as `SubjectInfo::group_id` says,
/// read as stored (for its author, who may no longer see the subject).
async fn subject_group(db: &Db, r: &ReplyRow) -> Result<Option<i64>> {
    Ok(match Subject::parse(&r.subject_kind, r.subject_id) {
        Some(Subject::Group(g)) => Some(g),
        Some(Subject::Story(id)) => store_stories::by_id(db, id).await?.and_then(|s| s.group_id),
        Some(Subject::Prompt(id)) => store_prompts::by_id(db, id).await?.and_then(|p| p.group_id),
        Some(Subject::Amendment(id)) => meetinghouse_store::purposes::amendment(db, id).await?.map(|a| a.group_id),
        _ => None,
    })
}

/// A log entry as shown: the public log names neither moderator nor reporter.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub row: ActionRow,
    pub what: String,
    pub link: String,
    /// What was done, in words ([`action_words`]).
    pub done: &'static str,
}

/// What a logged action did, in words for the log ("Hidden", "Suspension
/// lifted"), for the thing it was about.
pub fn action_words(action: &str, target_kind: &str) -> &'static str {
    match (action, target_kind) {
        ("dismiss", _) => "Looked at: no action needed",
        ("approve", _) => "Published after review",
        ("hide", "story") => "Removed",
        ("hide", "org") => "Description and website hidden",
        ("hide", "object") => "Withdrawn from the collection",
        ("hide", "collection") => "Collection withdrawn",
        ("restore", "object" | "collection") => "Put back in the collection",
        ("hide", _) => "Hidden",
        ("restore", "story") => "Restored",
        ("restore", "group") => "Opened again",
        ("restore", _) => "Shown again",
        ("warn", _) => "Warning sent",
        ("suspend", _) => "Account suspended",
        ("ban", _) => "Account banned",
        ("lift", _) => "Suspension or ban lifted",
        ("remove-all", _) => "Everything they had posted removed",
        ("archive", _) => "Group archived",
        ("flag", _) => "Flagged as not confirmed",
        _ => "Other",
    }
}

/// Entries on a page of the moderation log.
pub const LOG_PAGE: usize = 100;

/// A page of the moderation log, newest first.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    /// Where the next (older) page starts: the `before` to ask for.
    pub older: Option<i64>,
}

/// The moderation log: everyone may read it when the setting publishes it,
/// moderators always (with who acted). See [`log_page`].
pub async fn log(db: &Db, viewer: Option<&Actor>, before: i64) -> Result<Vec<LogEntry>> {
    Ok(log_page(db, viewer, before).await?.entries)
}

/// A page of the moderation log, before entry `before` (0 for the newest).
/// Instance moderators see every entry, with who acted. Everyone else (when
/// the log is public) sees only entries about what they may see themselves:
/// an action on a reply only if they may see what the reply is about (never
/// one in a members-only group they are not in), on a story only if they may
/// see the story, on a group only if they may see the group (an
/// organisation's page is public); actions on accounts name nobody. An
/// action on a reply readers were never shown (a first contribution that
/// waited for review and was hidden, or is still waiting) is left out too:
/// such a reply leaves readers no trace. An entry left out is left out
/// whole, its note with it: a note can repeat what was hidden.
pub async fn log_page(db: &Db, viewer: Option<&Actor>, before: i64) -> Result<LogPage> {
    let moderator = viewer.is_some_and(|a| a.is_admin);
    if !moderator && !Policy::load(db).await?.public_log {
        return Err(CoreError::NotFound);
    }
    let mut seen: std::collections::HashMap<(String, i64), bool> = std::collections::HashMap::new();
    let (mut entries, mut after) = (Vec::new(), before);
    // Entries left out are skipped in batches, at most ten a page.
    for _ in 0..10 {
        let rows = store::actions(db, after, LOG_PAGE as i64).await?;
        let last = rows.len() < LOG_PAGE;
        for mut row in rows {
            after = row.id;
            if !moderator {
                let key = match row.target_kind.as_str() {
                    // An amendment's or an objection's: the amendment (its group's visibility);
                    // a group's or an organisation's: itself.
                    "reply" | "amendment" | "objection" | "group" | "org" => row.subject_kind.clone().zip(row.subject_id),
                    "story" => Some(("story".to_string(), row.target_id)),
                    _ => None,
                };
                let shown = match (row.target_kind.as_str(), key) {
                    (_, Some(key)) => match seen.get(&key) {
                        Some(shown) => *shown,
                        None => {
                            let shown = match Subject::parse(&key.0, key.1) {
                                Some(subject) => may_see_subject(db, subject, viewer).await?,
                                None => false,
                            };
                            seen.insert(key, shown);
                            shown
                        }
                    },
                    // A reply or an objection no longer stored: nothing to check it against.
                    ("reply" | "story" | "amendment" | "objection" | "group" | "org", None) => false,
                    _ => true,
                };
                // A reply never published leaves readers no trace, in the log too.
                let shown = shown && (row.target_kind != "reply" || row.reply_published == Some(1));
                if !shown {
                    continue;
                }
                row.moderator_handle = None;
                row.report_id = None;
            }
            let (what, link) = match (row.target_kind.as_str(), row.subject_id) {
                ("amendment", Some(a)) => (format!("amendment {a}"), amendment_link(db, a).await?),
                ("objection", Some(a)) => (format!("an objection to amendment {a}"), amendment_link(db, a).await?),
                ("amendment", None) => (format!("amendment {}", row.target_id), String::new()),
                ("objection", None) => ("an objection".to_string(), String::new()),
                ("group", _) => match store_groups::by_id(db, row.target_id).await? {
                    Some(g) => (format!("the group “{}”", g.name), format!("/groups/{}", g.slug)),
                    None => ("a group".to_string(), String::new()),
                },
                ("org", _) => match store_orgs::by_id(db, row.target_id).await? {
                    Some(o) => (format!("the organisation “{}”", o.name), format!("/orgs/{}", o.slug)),
                    None => ("an organisation".to_string(), String::new()),
                },
                // An object withdrawn (or put back) by the moderators, or a whole collection.
                ("object" | "collection", _) => crate::collection::log_entry_words(db, &row.target_kind, row.target_id).await?.unwrap_or_default(),
                ("reply", _) => (format!("reply {}", row.target_id), format!("/replies/{}", row.target_id)),
                ("story", _) => (format!("story {}", row.target_id), String::new()),
                _ => ("an account".to_string(), String::new()),
            };
            let done = action_words(&row.action, &row.target_kind);
            entries.push(LogEntry { row, what, link, done });
            if entries.len() == LOG_PAGE {
                return Ok(LogPage { entries, older: Some(after) });
            }
        }
        if last {
            return Ok(LogPage { entries, older: None });
        }
    }
    Ok(LogPage { entries, older: Some(after) })
}

/// The address of an amendment's page, for the log; empty when it or its
/// group is no longer stored.
async fn amendment_link(db: &Db, id: i64) -> Result<String> {
    let Some(a) = store_purposes::amendment(db, id).await? else { return Ok(String::new()) };
    Ok(store_groups::by_id(db, a.group_id).await?.map(|g| crate::purposes::amendment_path(&g.slug, id)).unwrap_or_default())
}

/// Whether a viewer may see a subject (a deleted story is its author's only).
async fn may_see_subject(db: &Db, subject: Subject, viewer: Option<&Actor>) -> Result<bool> {
    if let Subject::Story(id) = subject {
        return match meetinghouse_store::stories::by_id(db, id).await? {
            Some(story) => crate::stories::can_see(db, &story, viewer).await,
            None => Ok(false),
        };
    }
    match subjects::resolve(db, subject, viewer).await {
        Ok(_) => Ok(true),
        Err(CoreError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// What a group's or an organisation's page shows of moderation (migration
/// 0043): where the viewer may report it, what the moderators did to it
/// that stands, and whether the viewer may ask them to look again.
#[derive(Debug, Clone, Default)]
pub struct PageMarks {
    /// The report form's address for it; `None` when the viewer may not
    /// report it (signed out, or its own hosts or admins, who change it
    /// themselves).
    pub report_link: Option<String>,
    /// What the moderators did that stands, in words, for everyone.
    pub notices: Vec<String>,
    /// A group the moderators archived: only they open it again (its
    /// hosts' "Open it again" is not offered, instance moderators' is).
    pub held: bool,
    /// An organisation whose description and website the moderators hid:
    /// the page has neither ([`org_page_marks`] blanks them).
    pub words_hidden: bool,
    /// Whether the viewer may ask the moderators to look again (a host of
    /// the group, an admin of the organisation, while something of theirs
    /// stands): the form posts a review request to `/report`.
    pub may_ask_review: bool,
}

/// The moderators' marks on a group's page, for `viewer`: a report link
/// for anyone signed in who may see it and does not host it, the notice
/// that the moderators archived it, and for its hosts the way to ask them
/// to open it again.
pub async fn group_page_marks(db: &Db, group: &store_groups::GroupRow, viewer: Option<&Actor>) -> Result<PageMarks> {
    let held = store::group_held(db, group.id).await?.is_some() && group.archived_at.is_some();
    let host = match viewer {
        Some(a) => hosts_group(db, group.id, a.id).await?,
        None => false,
    };
    let may_report = match viewer {
        Some(a) if !host => crate::groups::can_see(db, group, Some(a)).await?,
        _ => false,
    };
    let mut notices = Vec::new();
    if held {
        notices.push("The meeting house's moderators archived this group: only they can open it again.".to_string());
    }
    Ok(PageMarks {
        report_link: may_report.then(|| format!("/report?kind=group&target={}", group.slug)),
        notices,
        held,
        words_hidden: false,
        may_ask_review: host && held,
    })
}

/// The moderators' marks on an organisation's page, for `viewer`: a report
/// link for anyone signed in but its admins, and what the moderators did
/// that stands — its description and website hidden (blanked here, so the
/// words never reach the page; its admins still read them on its edit
/// page), or the flag saying the moderators could not confirm it is who its
/// name says — and for its admins the way to ask them to look again.
pub async fn org_page_marks(db: &Db, page: &mut crate::orgs::OrgPage, viewer: Option<&Actor>) -> Result<PageMarks> {
    let marks = store::org_marks(db, page.org.id).await?;
    let admin = match viewer {
        Some(a) => admin_of(db, page.org.id, a.id).await?,
        None => false,
    };
    let mut notices = Vec::new();
    let words_hidden = marks.words_hidden_at.is_some();
    if words_hidden {
        page.description_html.clear();
        page.org.description.clear();
        page.org.website.clear();
        notices.push("The moderators removed this organisation's description and website.".to_string());
    }
    if marks.flagged_at.is_some() {
        notices.push("The meeting house's moderators could not confirm that this organisation is who its name says.".to_string());
    }
    Ok(PageMarks {
        report_link: (viewer.is_some() && !admin).then(|| format!("/report?kind=org&target={}", page.org.slug)),
        notices,
        held: false,
        words_hidden,
        may_ask_review: admin && (words_hidden || marks.flagged_at.is_some()),
    })
}

/// What [`relate`] did: the person's handle as stored (for their profile's
/// address) and what to tell the actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub handle: String,
    pub message: String,
}

/// Block, unblock, mute or unmute another person by handle. A person whose
/// profile the actor may not see (a suspended account, one waiting for
/// approval, an address that names nobody) is "not found", as their profile
/// is (`people::profile`), and nothing is saved.
pub async fn relate(db: &Db, actor: &Actor, handle: &str, action: &str) -> Result<Related> {
    let other = crate::people::visible_person(db, Some(actor), handle).await?;
    if other.id == actor.id {
        return Err(CoreError::Forbidden("You cannot block or mute yourself.".into()));
    }
    let (kind, on, message) = match action {
        "block" => ("block", true, format!("You blocked @{}: they cannot reply to you or mention you.", other.handle)),
        "unblock" => ("block", false, format!("You unblocked @{}.", other.handle)),
        "mute" => ("mute", true, format!("You muted @{}: you will not see their replies or hear from them.", other.handle)),
        "unmute" => ("mute", false, format!("You unmuted @{}.", other.handle)),
        _ => return Err(FieldErrors::one("action", "Choose block, unblock, mute or unmute.")),
    };
    store::set_relation(db, actor.id, other.id, kind, on).await?;
    Ok(Related { handle: other.handle, message })
}

/// Whether the actor blocked / muted a person: (blocked, muted).
pub async fn relation(db: &Db, actor: &Actor, other: i64) -> Result<(bool, bool)> {
    Ok((store::has_relation(db, actor.id, other, "block").await?, store::has_relation(db, actor.id, other, "mute").await?))
}

/// An instance moderator ends a suspension or a ban early, with a note
/// (kept in the log and sent to the person). The account gets back the
/// status it had before: one still waiting for approval waits again.
/// What the moderators removed of theirs (with "remove everything they
/// have posted", or one at a time) stays removed: lifting brings none of it
/// back, each comes back only when an instance moderator restores it on
/// review, and both the moderator and the person are told so.
/// Returns what to tell the moderator.
pub async fn lift(db: &Db, mail: Mailer<'_>, actor: &Actor, person_id: i64, note: &str) -> Result<String> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only the meeting house's moderators can lift a suspension or a ban.".into()));
    }
    let person = people::by_id(db, person_id).await?.ok_or(CoreError::NotFound)?;
    if person.id == actor.id {
        return Err(CoreError::Forbidden(ABOUT_YOU.into()));
    }
    let mut e = FieldErrors::new();
    let note = text(&mut e, "note", "Why it is lifted", note, conversations::NOTE_MAX, true);
    e.into_result()?;
    let removed = store::removed_counts(db, person.id).await?;
    let was_ban = store::suspension_of(db, person.id).await?.is_some_and(|(until, _)| until == store::BANNED);
    let what = if was_ban { "ban" } else { "suspension" };
    let mut tx = db.begin().await?;
    let Some(resume) = store::lift(&mut tx, person.id).await? else {
        return Err(FieldErrors::one(
            "note",
            format!("@{} is not suspended any more (the suspension ended, or another moderator lifted it), so nothing was changed.", person.handle),
        ));
    };
    store::insert_action(&mut tx, &NewAction {
        moderator: actor.id,
        report_id: None,
        target_kind: "person",
        target_id: person.id,
        action: "lift",
        note: &note,
        until_at: None,
    })
    .await?;
    let waits = resume == "pending";
    let stays = removed.total() > 0;
    let mut told = if waits {
        format!("A moderator lifted the {what} on your account. It is waiting for an admin's approval again. Why: {note}")
    } else {
        format!("A moderator lifted the {what} on your account: welcome back. Why: {note}")
    };
    if stays {
        told.push_str(&format!(
            " What the moderators removed of yours ({}) stays removed: on each one's page you can ask them to look at it again.",
            posted_words(removed)
        ));
    }
    notifications::notify(&mut tx, mail, person.id, Kind::Moderation, &told, "/notifications").await?;
    tx.commit().await.map_err(StoreError::from)?;
    let lifted = if waits {
        format!("Lifted. @{} is waiting for approval again, as before the {what}.", person.handle)
    } else {
        format!("Lifted. @{} can sign in again.", person.handle)
    };
    let stays = if stays {
        format!(
            " What the moderators removed of theirs ({}) stays removed: lifting does not bring it back. \
             Each comes back only if a moderator restores it from a review request in the queue.",
            posted_words(removed)
        )
    } else {
        String::new()
    };
    Ok(format!("{lifted}{stays} The action is in the moderation log."))
}

/// What the operator's lift did ([`lift_by_operator`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorLift {
    pub handle: String,
    /// The status the account has again: `active`, or `pending` (waiting
    /// for approval, as before the suspension).
    pub status: String,
    /// Whether it was a ban.
    pub was_ban: bool,
    pub is_admin: bool,
}

/// The note the log keeps for a lift from the command line without one.
pub const OPERATOR_LIFT_NOTE: &str = "Lifted by the meeting house's operator.";

/// The operator ends a suspension or a ban from the command line
/// (`meetinghouse admin lift HANDLE`): the way back when no admin can sign
/// in to do it on `/admin/people`. As [`lift`]: the account gets back the
/// status it had before, what the moderators removed stays removed, and
/// the log keeps the lift with its note (no moderator: the operator). The
/// person hears it in their notifications, and by email to a confirmed
/// address (a plain message, as the suspension's was: the command line
/// knows no site address to link to). The account is found by handle, as
/// typed (`@sam` or `Sam`); an account not suspended is refused, nothing
/// changed.
pub async fn lift_by_operator(db: &Db, settings: &crate::settings::Settings, handle: &str, note: &str) -> Result<OperatorLift> {
    let raw = handle.trim().trim_start_matches('@');
    let handle = Handle::parse(raw).map_err(|_| CoreError::NotFound)?;
    let person = people::by_handle(db, handle.as_str()).await?.ok_or(CoreError::NotFound)?;
    let mut e = FieldErrors::new();
    let note = text(&mut e, "note", "Why it is lifted", note, conversations::NOTE_MAX, false);
    e.into_result()?;
    let note = if note.is_empty() { OPERATOR_LIFT_NOTE.to_string() } else { note };
    let was_ban = store::suspension_of(db, person.id).await?.is_some_and(|(until, _)| until == store::BANNED);
    let removed = store::removed_counts(db, person.id).await?;
    let mut tx = db.begin().await?;
    let Some(resume) = store::lift(&mut tx, person.id).await? else {
        return Err(CoreError::Forbidden(format!("@{} is not suspended or banned, so nothing was changed.", person.handle)));
    };
    store::insert_operator_action(&mut tx, "person", person.id, "lift", &note).await?;
    let what = if was_ban { "ban" } else { "suspension" };
    let mut told = if resume == "pending" {
        format!("The {what} on your account was lifted. It is waiting for an admin's approval again. Why: {note}")
    } else {
        format!("The {what} on your account was lifted: you can sign in again. Why: {note}")
    };
    if removed.total() > 0 {
        told.push_str(&format!(
            " What the moderators removed of yours ({}) stays removed: on each one's page you can ask them to look at it again.",
            posted_words(removed)
        ));
    }
    meetinghouse_store::notifications::insert(&mut tx, person.id, Kind::Moderation.as_str(), &told, "/notifications").await?;
    if person.email_verified_at.is_some() {
        let subject = format!("{}: your account", settings.name);
        meetinghouse_store::outbox::enqueue(&mut tx, &person.email, &subject, &format!("{told}\n"), "moderation").await?;
        store::mark_notice_emailed(&mut tx, person.id, &told).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(person_id = person.id, "suspension lifted from the command line");
    Ok(OperatorLift { handle: person.handle, status: resume, was_ban, is_admin: person.is_admin != 0 })
}

/// Lifts suspensions whose time is over; run by the jobs worker.
pub async fn lift_ended(db: &Db) -> Result<usize> {
    Ok(store::lift_ended(db, meetinghouse_store::now()).await?.len())
}
