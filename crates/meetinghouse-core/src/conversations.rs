//! Conversations on any subject: threaded replies written as a persona,
//! shown nested to depth 4 and then flat with "in reply to", paged by
//! threaded position so a 10,000-reply conversation opens as fast as a short
//! one. Mentions notify; edits keep history; retraction keeps the thread's
//! shape; host replies to community contributions are recorded (reciprocity);
//! every reply, mention and thanks goes to the interaction record.
//!
//! What a reply sets off reaches only people who may see its subject (a
//! notification names the subject) and who have not blocked its author; a
//! top-level reply on something no person owns (an organisation's page, a
//! collection object, a group's discussion) tells its hosts. The history and
//! a retraction's note hold only what readers were shown. An author keeps
//! their own replies (their list, and each reply's page) when the subject is
//! gone from their view, to see what became of them and retract them.
//!
//! Edits and thanks are bounded per account and hour (counted in the
//! database), an edit goes through the reply form's checks and, while its
//! author's replies still wait for review, back to review; nothing in an
//! archived group is edited or thanked; every answer says what it answers
//! in words (`ReplyView::in_reply_to`), not only by indentation.

use meetinghouse_store::conversations::{self as store, NewReply, ReplyRow};
use meetinghouse_store::interactions::{self as store_interactions, NewInteraction};
use meetinghouse_store::moderation as store_moderation;
use meetinghouse_store::writes::{Arg, Batch, Inserted, Text};
use meetinghouse_store::{Db, StoreError, Tx};

use crate::accounts::ensure_can_post;
use crate::attempts::{self, Budget};
use crate::error::{CoreError, FieldErrors, Result};
use crate::notifications::{self, Kind, Mailer};
use crate::persona::{self, Voice};
use crate::prompts::voice_name;
use crate::subjects::{self, Subject, SubjectInfo};
use crate::types::text;
use crate::{Actor, markdown};

pub const BODY_MAX: usize = 10_000;
pub const NOTE_MAX: usize = 500;
/// Replies per page of a conversation.
pub const PAGE_SIZE: i64 = 50;
/// Replies deeper than this are shown flat, with "in reply to".
pub const NEST_MAX: i64 = 4;
/// Most people one reply may mention.
pub const MENTIONS_MAX: usize = 10;
/// Most hosts told of one top-level reply on a subject no person owns (an
/// organisation's page, a collection object, a group's discussion): the
/// organisation's admins (or the group's hosts) first, then its staff, each
/// oldest account first. A council with hundreds of staff would otherwise
/// have every reply told hundreds of times over, and one new account could
/// write that many rows (and emails) with each reply.
pub const HOSTS_TOLD_MAX: i64 = 50;

/// Saved edits of replies one person may make in an hour, counted in the
/// database so app servers share it (instance admins are not counted), as
/// for stories (`stories::EDITS_PER_HOUR`). Only an edit that passed every
/// check counts. An edit of a shown reply keeps the text it replaces in the
/// history, so this also bounds how fast a history grows; no revision is
/// ever dropped, and the history is read [`HISTORY_PAGE_SIZE`] at a time.
pub const EDITS_PER_HOUR: Budget = Budget { name: "reply_edit", limit: 30, period_secs: 3600 };
/// What someone past [`EDITS_PER_HOUR`] is told.
pub const EDITS_PER_HOUR_MESSAGE: &str =
    "You have saved changes to replies 30 times in the last hour. Please wait a little before saving again: what you wrote is kept below.";
/// Earlier versions shown on one page of a reply's history.
pub const HISTORY_PAGE_SIZE: i64 = 20;
/// Thanks one person may send in an hour (each kind for each reply counts
/// once; sending one again changes nothing and is not counted), counted in
/// the database; instance admins are not counted. Each thanks may tell the
/// author at once, by email too, so a flood of them is refused.
pub const THANKS_PER_HOUR: Budget = Budget { name: "reply_thanks", limit: 30, period_secs: 3600 };
/// What someone past [`THANKS_PER_HOUR`] is told.
pub const THANKS_PER_HOUR_MESSAGE: &str =
    "You have sent 30 thanks in the last hour — thank you for being so generous! Please wait a little before sending more.";

/// Why a reply whose quotes or lists nest too deeply is refused: deeper
/// levels could not be shown (`markdown::NESTING_MAX`).
fn too_deep(levels: usize) -> String {
    format!(
        "Your reply puts quotes or lists {levels} levels deep; at most {} can be shown. Take out some of the “>” or list markers.",
        markdown::NESTING_MAX
    )
}

/// The checks a reply's text gets on posting and on editing, after its
/// length: not nested deeper than can be shown.
fn check_body(e: &mut FieldErrors, body: &str) {
    let levels = markdown::nesting(body);
    if levels > markdown::NESTING_MAX {
        e.add("body", too_deep(levels));
    }
}

/// The "pause before posting" prompt: a text with a listed word is sent
/// only once the person ticked that they read it again.
fn pause(policy: &crate::moderation::Policy, body: &str, confirmed: bool, doing: &str) -> Result<()> {
    let hits = policy.pause_hits(body);
    if hits.is_empty() || confirmed {
        return Ok(());
    }
    Err(FieldErrors::one(
        "pause_confirmed",
        format!(
            "Before you {doing}: your reply contains “{}”, which can hurt. Take a moment to read it again. You may still {doing} it: tick the box and send it.",
            hits.join("”, “")
        ),
    ))
}

/// The kinds of private appreciation: (key, what the button says, what the author reads).
pub const THANKS: &[(&str, &str, &str)] = &[
    ("thanks", "Thank you", "said thank you"),
    ("resonated", "This resonated", "said this resonated with them"),
    ("learnt", "I learnt something", "learnt something from it"),
];

/// What a person submits on the reply form.
#[derive(Debug, Clone, Default)]
pub struct ReplyForm {
    pub speak_as: String,
    pub body: String,
    /// The reply being answered, or empty for a reply to the subject itself.
    pub parent_id: String,
    /// Ticked after the "pause before posting" prompt: post it anyway.
    pub pause_confirmed: bool,
}

/// The `@handle`s in a text, lower-cased, each once, in order. Only an `@`
/// at the start or after a space or opening punctuation starts a mention:
/// one inside a word (an email address) or a web address
/// (`https://mastodon.social/@potteryhistory`) does not, nor a handle on
/// another server (`@sam@mastodon.social`).
pub fn mentions(body: &str) -> Vec<String> {
    let chars: Vec<char> = body.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        let starts = i == 0 || chars[i - 1].is_whitespace() || matches!(chars[i - 1], '(' | '[' | '{' | '"' | '\'' | '“' | '‘' | '«' | '—' | '–' | ',' | ';' | ':' | '>');
        if *c != '@' || !starts {
            continue;
        }
        let handle: String = chars[i + 1..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').collect();
        let end = i + 1 + handle.chars().count();
        if chars.get(end) == Some(&'@') && chars.get(end + 1).is_some_and(|c| c.is_alphanumeric()) {
            continue;
        }
        let handle = handle.to_lowercase();
        if !handle.is_empty() && handle.len() <= crate::types::limits::HANDLE_MAX && !out.contains(&handle) {
            out.push(handle);
        }
    }
    out
}

/// Something that follows from a published reply, worked out before the
/// transaction (reads) and applied inside it (writes only).
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    Notify { person: i64, kind: Kind, text: String },
    Edge { target: i64, target_org: Option<i64>, kind: &'static str },
    HostReply { kind: &'static str, id: i64 },
}

/// The reply as the effects need it.
struct Published<'a> {
    author: i64,
    author_org: Option<i64>,
    label: String,
    by_host: bool,
    parent: Option<&'a ReplyRow>,
    mentioned: &'a [(i64, String)],
}

/// Blocks and mutes that people set against one writer.
struct Relations(Vec<(i64, String)>);

impl Relations {
    /// Finds the people `handles` name, with the blocks and mutes they and
    /// `also` set against `writer`, in one query.
    async fn load(db: &Db, writer: i64, handles: &[String], also: &[i64]) -> Result<(Vec<(i64, String)>, Relations)> {
        let (found, rel) = store::mentions_and_relations_with(db, writer, handles, also).await?;
        Ok((found, Relations(rel)))
    }

    fn has(&self, person: i64, kind: &str) -> bool {
        self.0.iter().any(|(p, k)| *p == person && k == kind)
    }
}

/// Whether a person may see a subject, as they would if they opened it. A
/// notification names its subject, so it goes only to people who pass this.
async fn may_see(db: &Db, info: &SubjectInfo, person: i64) -> Result<bool> {
    if info.public {
        return Ok(true);
    }
    let Some(row) = meetinghouse_store::people::by_id(db, person).await? else {
        return Ok(false);
    };
    match subjects::resolve(db, info.subject, Some(&Actor::from_row(&row))).await {
        Ok(_) => Ok(true),
        Err(CoreError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// What a published reply sets off. Someone who blocked its author gets
/// nothing and no edge (posting refuses such a reply or mention; this also
/// holds when a moderator approves a reply after the block). Someone who may
/// not see the subject is not told about it: an answer to them keeps its
/// edge (it answers what they wrote), a mention of them is only text. A
/// top-level reply on a subject no person owns tells its hosts instead of
/// an owner. Each person is told once.
async fn plan(db: &Db, info: &SubjectInfo, r: &Published<'_>, rel: &Relations) -> Result<Vec<Effect>> {
    let mut out = Vec::new();
    let (target, target_org) = match r.parent {
        Some(p) => (Some(p.author_person), p.author_org),
        None => (info.owner_person, info.owner_org),
    };
    if let Some(t) = target.filter(|t| *t != r.author && !rel.has(*t, "block")) {
        out.push(Effect::Edge { target: t, target_org, kind: "reply" });
        if !rel.has(t, "mute") && may_see(db, info, t).await? {
            let text = match r.parent {
                Some(_) => format!("{} replied to you on “{}”.", r.label, info.title),
                None => format!("{} replied to “{}”.", r.label, info.title),
            };
            out.push(Effect::Notify { person: t, kind: Kind::Reply, text });
        }
    }
    for (person, _) in r.mentioned {
        if *person == r.author || rel.has(*person, "block") || !may_see(db, info, *person).await? {
            continue;
        }
        out.push(Effect::Edge { target: *person, target_org: None, kind: "mention" });
        // Someone replied to and mentioned hears about it once.
        let told = out.iter().any(|e| matches!(e, Effect::Notify { person: p, .. } if p == person));
        if !told && !rel.has(*person, "mute") {
            let text = format!("{} mentioned you on “{}”.", r.label, info.title);
            out.push(Effect::Notify { person: *person, kind: Kind::Mention, text });
        }
    }
    // A top-level reply on a subject no person owns reaches its hosts (at
    // most HOSTS_TOLD_MAX, admins first; not the author, nor anyone who
    // blocked or muted them), with no edge: the interaction record says who
    // answered or named whom, and nobody here was either.
    if r.parent.is_none() && info.owner_person.is_none() {
        let hosts = store::hosts_to_tell(db, &info.host_orgs, &info.host_groups, &info.host_people, r.author, HOSTS_TOLD_MAX).await?;
        for host in hosts {
            let told = out.iter().any(|e| matches!(e, Effect::Notify { person, .. } if *person == host));
            if told || !may_see(db, info, host).await? {
                continue;
            }
            let text = match info.subject {
                Subject::Org(_) => format!("{} replied on “{}”’s page.", r.label, info.title),
                Subject::Object(_) => format!("{} replied to “{}” in your organisation’s collection.", r.label, info.title),
                Subject::Group(_) => format!("{} started a conversation in “{}”.", r.label, info.title),
                _ => format!("{} replied on “{}”.", r.label, info.title),
            };
            out.push(Effect::Notify { person: host, kind: Kind::Reply, text });
        }
    }
    if r.by_host {
        match r.parent {
            Some(p) if p.by_host == 0 => out.push(Effect::HostReply { kind: "reply", id: p.id }),
            None if matches!(info.subject, Subject::Story(_) | Subject::Object(_)) => {
                if let Some(owner) = info.owner_person
                    && !subjects::is_host(db, info, owner).await?
                {
                    out.push(Effect::HostReply { kind: info.subject.kind(), id: info.subject.id() });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A reply's id: known, or the insert of the batch the reply is written in.
#[derive(Debug, Clone, Copy)]
enum ReplyId {
    Known(i64),
    New(Inserted),
}

impl ReplyId {
    fn arg(self) -> Arg {
        match self {
            ReplyId::Known(id) => id.into(),
            ReplyId::New(step) => step.into(),
        }
    }

    fn link(self) -> Text {
        match self {
            ReplyId::Known(id) => Text::Now(format!("/replies/{id}")),
            ReplyId::New(step) => Text::from_id(step, |id| format!("/replies/{id}")),
        }
    }
}

/// Adds the writes of a published reply's effects to a batch.
fn apply(b: &mut Batch, mail: Mailer<'_>, info: &SubjectInfo, reply: ReplyId, r: &Published<'_>, effects: &[Effect]) {
    let url = reply.link();
    for e in effects {
        match e {
            Effect::Notify { person, kind, text } => {
                // The reply and its author: a later block, mute, retraction or hiding takes it out of the list.
                notifications::notify_from_into(b, mail, *person, *kind, text, &url, Some(r.author), reply.arg())
            }
            Effect::Edge { target, target_org, kind } => {
                let edge = NewInteraction {
                    source_person: r.author,
                    source_org: r.author_org,
                    target_person: *target,
                    target_org: *target_org,
                    kind,
                    subject_kind: info.subject.kind(),
                    subject_id: info.subject.id(),
                    public: info.public,
                };
                store_interactions::insert_into(b, &edge, reply.arg());
            }
            Effect::HostReply { kind, id } => store::record_host_reply_into(b, kind, *id, reply.arg()),
        }
    }
}

fn org_of(voice: &Voice) -> Option<i64> {
    match voice {
        Voice::Person => None,
        Voice::Affiliated { org_id, .. } | Voice::Announcement { org_id, .. } => Some(*org_id),
    }
}

/// Resolves mentioned handles: unknown handles, and people who blocked the
/// writer, are input errors. Also returns the blocks and mutes towards the
/// writer of everyone mentioned and of `also` (the people answered:
/// [`answered`]).
async fn resolve_mentions(db: &Db, actor: &Actor, body: &str, e: &mut FieldErrors, also: &[i64]) -> Result<(Vec<(i64, String)>, Relations)> {
    let handles = mentions(body);
    if handles.len() > MENTIONS_MAX {
        e.add("body", format!("A reply can mention at most {MENTIONS_MAX} people."));
        let (_, rel) = Relations::load(db, actor.id, &[], also).await?;
        return Ok((Vec::new(), rel));
    }
    let (found, rel) = Relations::load(db, actor.id, &handles, also).await?;
    for h in &handles {
        match found.iter().find(|(_, fh)| fh.to_lowercase() == *h) {
            None => e.add("body", format!("Nobody here has the handle @{h}. Check the spelling, or leave out the @.")),
            Some((id, fh)) if rel.has(*id, "block") => e.add("body", format!("You cannot mention @{fh}.")),
            Some(_) => {}
        }
    }
    Ok((found, rel))
}

/// The people a reply answers, whose block refuses it: the author of the
/// reply it answers, and the subject's owner (a story's author) — a block
/// holds on the blocker's own story even when the reply answers someone
/// else there.
fn answered(parent_author: Option<i64>, info: &SubjectInfo) -> Vec<i64> {
    let mut out: Vec<i64> = parent_author.into_iter().collect();
    if let Some(owner) = info.owner_person.filter(|o| !out.contains(o)) {
        out.push(owner);
    }
    out
}

/// Whose block refuses someone's reply, edit or thanks ([`answered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// The subject's owner (a story's author, a prompt's opener, an
    /// amendment's proposer): nothing on it may be answered, edited or
    /// thanked, whoever it answers.
    Owner,
    /// The author of the reply answered.
    Answered,
}

impl Blocked {
    /// Which block, if any, refuses `actor` answering on `info` (or
    /// answering the reply by `parent_author`), as `blocks(person)` says
    /// whether that person blocked them. The owner's block is named first:
    /// it is the one that holds whoever is answered, so the author of the
    /// reply answered is never blamed for it.
    fn of(actor: i64, info: &SubjectInfo, parent_author: Option<i64>, blocks: impl Fn(i64) -> bool) -> Option<Blocked> {
        if info.owner_person.is_some_and(|o| o != actor && blocks(o)) {
            Some(Blocked::Owner)
        } else if parent_author.is_some_and(|p| p != actor && blocks(p)) {
            Some(Blocked::Answered)
        } else {
            None
        }
    }

    /// What the reader is told when it refuses a reply: the owner's block
    /// names the subject ("You cannot reply on this story."), never the
    /// person whose reply is answered.
    pub fn reply_words(self, info: &SubjectInfo) -> String {
        match self {
            Blocked::Owner => format!("You cannot reply on this {}.", subject_noun(info)),
            Blocked::Answered => REPLY_BLOCKED.into(),
        }
    }

    /// What the author is told when it refuses an edit of their reply
    /// (retracting it stays open).
    pub fn edit_words(self, info: &SubjectInfo) -> String {
        match self {
            Blocked::Owner => format!("You cannot change your replies on this {}. You can still retract them.", subject_noun(info)),
            Blocked::Answered => "You cannot change a reply to this person. You can still retract it.".into(),
        }
    }
}

/// What a subject with an owner is called in a refusal's words.
fn subject_noun(info: &SubjectInfo) -> &'static str {
    match info.subject {
        Subject::Story(_) => "story",
        Subject::Prompt(_) => "prompt",
        Subject::Amendment(_) => "amendment",
        Subject::Object(_) => "object",
        Subject::Group(_) => "discussion",
        Subject::Org(_) => "page",
    }
}

/// Why `actor` may not answer on this subject (or answer reply `parent`,
/// by `parent_author`): the subject's owner or that reply's author blocked
/// them ([`Blocked::reply_words`]). Pages leave out the reply form then, as
/// posting would refuse it.
pub async fn answer_refused(db: &Db, actor: &Actor, info: &SubjectInfo, parent_author: Option<i64>) -> Result<Option<String>> {
    Ok(block_of(db, actor, info, parent_author).await?.map(|b| b.reply_words(info)))
}

/// Which block, if any, refuses `actor` answering on `info` (or the reply
/// by `parent_author`), read from the blocks of the people it answers.
async fn block_of(db: &Db, actor: &Actor, info: &SubjectInfo, parent_author: Option<i64>) -> Result<Option<Blocked>> {
    let among: Vec<i64> = answered(parent_author, info).into_iter().filter(|p| *p != actor.id).collect();
    let blockers = store::blocked_by_among(db, actor.id, &among).await?;
    Ok(Blocked::of(actor.id, info, parent_author, |p| blockers.contains(&p)))
}

/// What a person is told when the block of the person they answer refuses
/// their reply (the subject owner's: [`Blocked::reply_words`]).
pub const REPLY_BLOCKED: &str = "You cannot reply to this person.";

/// What a person is told when who may read a story changed while they
/// wrote their reply (its author shared it with more people, or fewer):
/// the reply was written for the audience they were shown, so it is not
/// posted under another; their words come back to post again.
pub const AUDIENCE_CHANGED: &str = "Who can read this story changed while you were writing, so your reply was not posted. Read the story again to see who it is shared with now, then post your reply if you still want to: it is kept below.";

/// What a person is told when a block refuses their thanks: the same words
/// whoever blocked them (the reply's author or the subject's owner), so
/// thanking never tells which.
pub const THANKS_BLOCKED: &str = "You cannot send thanks for this reply.";

/// The groups whose archiving closes a subject's conversation: the group it
/// belongs to (`SubjectInfo::group_id`) and every group that hosts it
/// (`host_groups`), each once. Besides its own group, that is the group of
/// the prompt a story answers: a story answering a group's prompt, even a
/// public one shared with no group or shared with another group, is listed
/// on that prompt's page and its conversation is moderated by that group's
/// hosts, so it is part of what the group holds. An archived group is
/// read-only, so such a story takes no new replies while the prompt's group
/// is archived; its replies stay to read, and it opens again with the group.
/// Its author, whose story it stays, can unlink it from the prompt (edit it,
/// and share it without linking to the prompt) to have it answered again.
/// A subject is held by at most two groups (a story: its own and its
/// prompt's), the two the reply's insert reads ([`ARCHIVE_GROUPS_MAX`]).
fn holding_groups(info: &SubjectInfo) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for g in info.group_id.iter().chain(info.host_groups.iter()) {
        if !out.contains(g) {
            out.push(*g);
        }
    }
    out
}

/// Most groups a subject is held by ([`holding_groups`]): a story's own
/// group and its prompt's group. The reply's insert checks this many.
pub const ARCHIVE_GROUPS_MAX: usize = 2;

/// Why a subject held by `groups` ([`holding_groups`]) takes no new
/// replies, in the words of `groups::archived_words`, when one of them is
/// archived.
async fn archived_holder(db: &Db, groups: &[i64]) -> Result<Option<String>> {
    for g in groups {
        if let Some(g) = meetinghouse_store::groups::by_id(db, *g).await?
            && let Some(at) = g.archived_at
        {
            return Ok(Some(crate::groups::archived_words(&g.name, at)));
        }
    }
    Ok(None)
}

/// Why a subject takes no new replies, edits or thanks: it is closed of
/// its own accord (`SubjectInfo::closed`: a withdrawn collection object),
/// or what it belongs to is an archived group (`groups::archived_words`).
pub async fn archived(db: &Db, info: &SubjectInfo) -> Result<Option<String>> {
    if let Some(why) = &info.closed {
        return Ok(Some(why.clone()));
    }
    archived_holder(db, &holding_groups(info)).await
}

/// Refuses a reply on a subject held by an archived group.
async fn ensure_not_archived(db: &Db, groups: &[i64]) -> Result<()> {
    match archived_holder(db, groups).await? {
        Some(why) => Err(CoreError::Forbidden(why)),
        None => Ok(()),
    }
}

/// A reply just posted: its id, and whether it waits for a moderator's
/// review (first-contribution review) before readers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub id: i64,
    pub waiting: bool,
}

/// Posts a reply to a subject (or to a reply on it); returns the reply's id.
/// See [`post_reply`].
pub async fn post(db: &Db, mail: Mailer<'_>, actor: &Actor, subject: Subject, form: &ReplyForm) -> Result<i64> {
    Ok(post_reply(db, mail, actor, subject, form).await?.id)
}

/// Posts a reply to a subject (or to a reply on it); returns its id and
/// whether it waits for review.
/// Nothing that belongs to an archived group (its discussion, a story shared
/// with it, its prompts and the stories answering them, its amendments:
/// [`holding_groups`]) takes a new reply: checked first
/// (`groups::ensure_not_archived`, so a refused reply costs no more work),
/// then by the reply's insert itself, in the one batch that writes it
/// (store `conversations::insert_in_open_group_into`, which reads every
/// group that holds it), so a reply never
/// lands in a group archived before it was written. A reply on a story is
/// written only while the story is shown to the audience it was checked
/// against, in that batch too (store `conversations::story_audience_into`,
/// taking turns with the story's edit): one written for a group's members
/// as its author shares the story more widely is refused
/// ([`AUDIENCE_CHANGED`], the words kept), or lands first and keeps the
/// story with the group.
pub async fn post_reply(db: &Db, mail: Mailer<'_>, actor: &Actor, subject: Subject, form: &ReplyForm) -> Result<Posted> {
    ensure_can_post(actor, mail.settings)?;
    let info = subjects::resolve(db, subject, Some(actor)).await?;
    // A subject closed of its own accord (a withdrawn collection object).
    if let Some(why) = &info.closed {
        return Err(CoreError::Forbidden(why.clone()));
    }
    let holders = holding_groups(&info);
    debug_assert!(holders.len() <= ARCHIVE_GROUPS_MAX, "a subject held by more groups than the reply's insert checks");
    ensure_not_archived(db, &holders).await?;
    let persona = persona::resolve(db, actor, &form.speak_as).await?;
    let parent = match form.parent_id.trim() {
        "" => None,
        raw => {
            let id = raw.parse::<i64>().map_err(|_| CoreError::NotFound)?;
            let p = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            if p.subject_kind != subject.kind() || p.subject_id != subject.id() {
                return Err(CoreError::NotFound);
            }
            match p.status.as_str() {
                "visible" => {}
                "pending" if p.author_person != actor.id && p.published == 0 => return Err(CoreError::NotFound),
                "pending" if p.author_person != actor.id => {
                    return Err(CoreError::Forbidden("That reply was edited and waits for a moderator’s review: you can answer it once it is shown again.".into()));
                }
                "pending" => return Err(CoreError::Forbidden("Your reply is waiting for review: you can answer it once it is published.".into())),
                "hidden" => return Err(CoreError::Forbidden("That reply was hidden by the moderators, so it cannot be answered.".into())),
                _ => return Err(CoreError::Forbidden("That reply was retracted by its author, so it cannot be answered.".into())),
            }
            Some(p)
        }
    };
    let answering = answered(parent.as_ref().map(|p| p.author_person), &info);
    let mut e = FieldErrors::new();
    let body = text(&mut e, "body", "Your reply", &form.body, BODY_MAX, true);
    check_body(&mut e, &body);
    let (mentioned, rel) = resolve_mentions(db, actor, &body, &mut e, &answering).await?;
    if let Some(b) = Blocked::of(actor.id, &info, parent.as_ref().map(|p| p.author_person), |p| rel.has(p, "block")) {
        return Err(CoreError::Forbidden(b.reply_words(&info)));
    }
    e.into_result()?;
    // The settings the caller loaded (the web layer caches them for a few seconds).
    let policy = &mail.settings.policy;
    pause(policy, &body, form.pause_confirmed, "post")?;
    // A subject nobody hosts (a resident's own story) is answered by a host
    // when someone replies as staff of an organisation: that counts for
    // reciprocity, but only the subject's own hosts skip review (anyone can
    // make an organisation and speak for it).
    let unhosted = info.host_people.is_empty() && info.host_orgs.is_empty() && info.host_groups.is_empty();
    let hosts = subjects::is_host(db, &info, actor.id).await?;
    let by_host = hosts || (unhosted && persona.voice != Voice::Person);
    let pending = policy.review_first > 0 && !hosts && store::published_count(db, actor.id, policy.review_first).await? < policy.review_first;
    let published = Published {
        author: actor.id,
        author_org: org_of(&persona.voice),
        label: persona.label(),
        by_host,
        parent: parent.as_ref(),
        mentioned: &mentioned,
    };
    let effects = if pending { Vec::new() } else { plan(db, &info, &published, &rel).await? };
    let new = NewReply {
        subject_kind: subject.kind(),
        subject_id: subject.id(),
        parent: parent.as_ref().map(|p| (p.id, p.depth, p.path.as_str())),
        author_person: actor.id,
        author_org: published.author_org,
        voice: voice_name(&persona.voice),
        body: &body,
        status: if pending { "pending" } else { "visible" },
        by_host,
        public: info.public,
    };
    // One batch: on SQLite it runs on the writer thread in one hand-off.
    let mut b = Batch::new();
    // First, so closing the account takes turns with it
    // (`accounts::ensure_still_open`).
    meetinghouse_store::people::still_open_into(&mut b, actor.id);
    // Written only under the audience it was checked against: a story's
    // author may be widening it at this moment ([`AUDIENCE_CHANGED`]).
    if let Subject::Story(story) = subject {
        store::story_audience_into(&mut b, db.backend(), story, info.public, info.group_id);
    }
    let step = match holders[..] {
        [] => store::insert_into(&mut b, &new),
        [group] => store::insert_in_open_group_into(&mut b, &new, group, group),
        [group, also, ..] => store::insert_in_open_group_into(&mut b, &new, group, also),
    };
    apply(&mut b, mail, &info, ReplyId::New(step), &published, &effects);
    if pending {
        store_moderation::insert_report_into(&mut b, None, "reply", step.into(), "first-contributions", "", info.group_id);
    }
    match db.write(b).await {
        Ok(written) => Ok(Posted { id: written.id(step), waiting: pending }),
        // The batch wrote nothing: the account was closed, the group
        // archived or the story shown to others meanwhile (the checks say
        // so in their words).
        Err(StoreError::NotFound) => {
            crate::accounts::refuse_if_closed(db, actor.id).await?;
            ensure_not_archived(db, &holders).await?;
            if let Subject::Story(_) = subject {
                // "Not found" when they may no longer see it at all.
                let now = subjects::resolve(db, subject, Some(actor)).await?;
                if (now.public, now.group_id) != (info.public, info.group_id) {
                    return Err(FieldErrors::one("form", AUDIENCE_CHANGED));
                }
            }
            Err(CoreError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

/// What publishing a reviewed reply sets off, worked out before the transaction.
pub(crate) struct Planned {
    info: SubjectInfo,
    effects: Vec<Effect>,
    mentioned: Vec<(i64, String)>,
    parent: Option<ReplyRow>,
}

/// Works out what publishing a reply that waited for review sets off
/// (notifications, mentions, the interaction record), with blocks and who may
/// see the subject as they are now; moderation calls it before its
/// transaction and [`apply_published`] inside it.
pub(crate) async fn publish_effects(db: &Db, reply: &ReplyRow) -> Result<Planned> {
    let subject = Subject::parse(&reply.subject_kind, reply.subject_id).ok_or(CoreError::NotFound)?;
    let info = subjects::resolve(db, subject, None).await.or(Err(CoreError::NotFound));
    // A subject the public cannot see is resolved as its author would see it.
    let info = match info {
        Ok(i) => i,
        Err(_) => {
            let author = meetinghouse_store::people::by_id(db, reply.author_person).await?.ok_or(CoreError::NotFound)?;
            subjects::resolve(db, subject, Some(&Actor::from_row(&author))).await?
        }
    };
    // A reply published before, and sent back for review by an edit
    // ([`edit_reply`]), set off its notifications and edges when it was
    // first published: approving the edit sets off nothing again.
    if reply.published != 0 {
        return Ok(Planned { info, effects: Vec::new(), mentioned: Vec::new(), parent: None });
    }
    let parent = match reply.parent_id {
        Some(p) => store::by_id(db, p).await?,
        None => None,
    };
    let target = parent.as_ref().map(|p| p.author_person).or(info.owner_person);
    let (mentioned, rel) = Relations::load(db, reply.author_person, &mentions(&reply.body), target.as_slice()).await?;
    let label = author_label(reply);
    let published = Published {
        author: reply.author_person,
        author_org: reply.author_org,
        label,
        by_host: reply.by_host != 0,
        parent: parent.as_ref(),
        mentioned: &mentioned,
    };
    let effects = plan(db, &info, &published, &rel).await?;
    Ok(Planned { info, effects, mentioned, parent })
}

/// Applies what [`publish_effects`] worked out, inside the caller's
/// transaction, and records that the reply was published: it now counts
/// towards its author's first contributions.
pub(crate) async fn apply_published(
    tx: &mut Tx,
    mail: Mailer<'_>,
    reply: &ReplyRow,
    planned: &Planned,
) -> Result<()> {
    let Planned { info, effects, mentioned, parent } = planned;
    let published = Published {
        author: reply.author_person,
        author_org: reply.author_org,
        label: author_label(reply),
        by_host: reply.by_host != 0,
        parent: parent.as_ref(),
        mentioned,
    };
    let mut b = Batch::new();
    store::mark_published_into(&mut b, reply.id);
    apply(&mut b, mail, info, ReplyId::Known(reply.id), &published, effects);
    b.run_in(tx).await?;
    Ok(())
}

/// How a reply's author is shown: "Sam", "Sam · Tiverton Museum", or
/// "Tiverton Museum (announcement)".
pub fn author_label(r: &ReplyRow) -> String {
    match (r.voice.as_str(), &r.org_name) {
        ("announcement", Some(org)) => format!("{org} (announcement)"),
        (_, Some(org)) => format!("{} · {org}", r.author_name),
        _ => r.author_name.clone(),
    }
}

/// What a reader sees of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Text,
    /// Waiting for review: only its author sees it.
    Pending,
    /// Hidden by moderators: its author sees the text and the note.
    Hidden,
    /// Retracted by the author: the note (if any) stays.
    Retracted,
}

/// A reply ready to show.
#[derive(Debug, Clone)]
pub struct ReplyView {
    pub row: ReplyRow,
    pub shown: Shown,
    /// The text as sanitised HTML, when the reader may see it.
    pub html: String,
    pub author_label: String,
    /// Indentation: the depth, up to [`NEST_MAX`].
    pub level: i64,
    /// What it answers, (parent id, parent author), for every answer in a
    /// list of replies: said in words to screen readers, and on narrow
    /// screens, where indentation tells less.
    pub in_reply_to: Option<(i64, String)>,
    /// Whether "in reply to" is shown to everyone: past [`NEST_MAX`], where
    /// indentation stops, and at the top of a later page, where what it
    /// answers is not above it.
    pub in_reply_to_shown: bool,
    /// Whether what it belongs to is an archived group: it takes no
    /// answers, edits or thanks (it can still be retracted and reported).
    pub archived: bool,
    pub own: bool,
    /// Shown to an instance moderator on the reply's own page, or to a host
    /// whose part of the queue holds an open report about it, so a reply
    /// waiting for review or hidden shows its text there (the queue links it).
    pub for_moderator: bool,
    pub edited: bool,
    /// Whether the reader may not answer it or thank its author: its
    /// author, or the subject's owner, blocked them ([`answer_refused`]),
    /// so no "Reply" or "Thank" link is shown.
    pub answer_refused: bool,
    /// On the reader's own reply: whether a block refuses an edit of it
    /// (the subject's owner's, or that of the author of the reply it
    /// answers: [`edit_reply`]), so no "Edit" link is shown.
    pub edit_refused: bool,
}

/// Marks what blocks refuse the reader on these replies: the ones they
/// may not answer or thank (`ReplyView::answer_refused`) and, of their own,
/// the ones they may not edit (`ReplyView::edit_refused`), in one query
/// (and one more for the authors of the replies their own answer, when
/// those are not among `views`). Returns whether the subject's owner
/// blocked the reader, which refuses every reply on it.
async fn mark_refused(db: &Db, viewer: Option<&Actor>, info: &SubjectInfo, views: &mut [&mut ReplyView]) -> Result<bool> {
    let Some(actor) = viewer else { return Ok(false) };
    // Who wrote what the reader's own replies answer.
    let mut authors: std::collections::HashMap<i64, i64> = views.iter().map(|v| (v.row.id, v.row.author_person)).collect();
    let mut missing: Vec<i64> = Vec::new();
    for p in views.iter().filter(|v| v.own).filter_map(|v| v.row.parent_id) {
        if !authors.contains_key(&p) && !missing.contains(&p) {
            missing.push(p);
        }
    }
    authors.extend(store::authors_of(db, &missing).await?);
    let parent_author = |v: &ReplyView| v.row.parent_id.and_then(|p| authors.get(&p).copied());
    let mut among: Vec<i64> = info.owner_person.into_iter().collect();
    for v in views.iter() {
        for p in std::iter::once(v.row.author_person).chain(parent_author(v).filter(|_| v.own)) {
            if !among.contains(&p) {
                among.push(p);
            }
        }
    }
    among.retain(|p| *p != actor.id);
    let blockers = store::blocked_by_among(db, actor.id, &among).await?;
    let by_owner = info.owner_person.is_some_and(|o| blockers.contains(&o));
    for v in views.iter_mut() {
        v.answer_refused = by_owner || blockers.contains(&v.row.author_person);
        v.edit_refused = v.own && Blocked::of(actor.id, info, parent_author(v), |p| blockers.contains(&p)).is_some();
    }
    Ok(by_owner)
}

fn view(row: ReplyRow, viewer: Option<&Actor>, names: &std::collections::HashMap<i64, String>, first: bool) -> Option<ReplyView> {
    view_as(row, viewer, names, first, false)
}

/// [`view`], and when `for_moderator` a reply readers do not see is shown
/// with its text, as to its author.
fn view_as(row: ReplyRow, viewer: Option<&Actor>, names: &std::collections::HashMap<i64, String>, first: bool, for_moderator: bool) -> Option<ReplyView> {
    let own = viewer.is_some_and(|a| a.id == row.author_person);
    let sees_all = own || for_moderator;
    let shown = match row.status.as_str() {
        "visible" => Shown::Text,
        "pending" if sees_all => Shown::Pending,
        // Published, then edited while its author's replies still wait for
        // review: readers see that it waits, not its new text, so the
        // thread keeps its shape.
        "pending" if row.published != 0 => Shown::Pending,
        "pending" => return None,
        // Readers never saw it, so they see no trace of it either.
        _ if row.published == 0 && !sees_all => return None,
        "hidden" => Shown::Hidden,
        _ => Shown::Retracted,
    };
    let html = match shown {
        Shown::Text => markdown::render(&row.body),
        Shown::Pending | Shown::Hidden if sees_all => markdown::render(&row.body),
        _ => String::new(),
    };
    let in_reply_to = row.parent_id.map(|p| (p, names.get(&p).cloned().unwrap_or_else(|| "an earlier reply".into())));
    Some(ReplyView {
        author_label: author_label(&row),
        level: row.depth.min(NEST_MAX),
        in_reply_to_shown: in_reply_to.is_some() && (row.depth > NEST_MAX || first),
        in_reply_to,
        archived: false,
        own,
        for_moderator,
        edited: row.updated_at > row.created_at && row.status != "retracted",
        answer_refused: false,
        edit_refused: false,
        html,
        shown,
        row,
    })
}

fn views(rows: Vec<ReplyRow>, viewer: Option<&Actor>) -> Vec<ReplyView> {
    let names: std::collections::HashMap<i64, String> = rows.iter().map(|r| (r.id, author_label(r))).collect();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        // The first reply of a later page says what it answers.
        let first = i == 0 && row.parent_id.is_some();
        out.extend(view(row, viewer, &names, first));
    }
    out
}

/// One page of a conversation, with what the reader may do.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub info: SubjectInfo,
    pub replies: Vec<ReplyView>,
    /// The reply id the next page starts after, if there is one.
    pub next_after: Option<i64>,
    /// Whether this page starts later than the beginning.
    pub later_page: bool,
    /// The voices the reader may reply with: (choice value, label).
    pub personas: Vec<(String, String)>,
    pub signed_in: bool,
    /// Why it takes no new replies, when what it belongs to is an archived
    /// group (`groups::archived_words`); its replies stay to read.
    pub archived: Option<String>,
    /// Why the reader may not reply on it: its owner blocked them
    /// ([`Blocked::reply_words`]); the form is left out.
    pub refused: Option<String>,
}

/// A page of a subject's conversation, after reply `after` (or from the start).
pub async fn conversation(db: &Db, subject: Subject, viewer: Option<&Actor>, after: Option<i64>) -> Result<Conversation> {
    let info = subjects::resolve(db, subject, viewer).await?;
    let after_path = match after {
        Some(id) => match store::by_id(db, id).await? {
            Some(r) if r.subject_kind == subject.kind() && r.subject_id == subject.id() => r.path,
            _ => return Err(CoreError::NotFound),
        },
        None => String::new(),
    };
    let mut rows = store::page(db, subject.kind(), subject.id(), &after_path, viewer.map(|a| a.id).unwrap_or(0), PAGE_SIZE + 1).await?;
    let next_after = if rows.len() as i64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let personas = match viewer {
        Some(a) => persona::available(db, a).await?.iter().map(|p| (p.choice_value(), p.label())).collect(),
        None => Vec::new(),
    };
    let archived = archived(db, &info).await?;
    let mut replies = views(rows, viewer);
    for r in &mut replies {
        r.archived = archived.is_some();
    }
    let by_owner = mark_refused(db, viewer, &info, &mut replies.iter_mut().collect::<Vec<_>>()).await?;
    let refused = by_owner.then(|| Blocked::Owner.reply_words(&info));
    Ok(Conversation { info, replies, next_after, later_page: after.is_some(), personas, signed_in: viewer.is_some(), archived, refused })
}

/// A reply on its own page: its parent for context, its answers a page at
/// a time, and (for its author) who thanked them. Its author sees it even
/// when they may no longer see its subject, alone: no subject, parent,
/// answers or thanks.
#[derive(Debug, Clone)]
pub struct Thread {
    /// The subject, or None when the reader is the author and may no longer see it.
    pub info: Option<SubjectInfo>,
    pub reply: ReplyView,
    pub parent: Option<ReplyView>,
    pub answers: Vec<ReplyView>,
    /// Whether there are more answers than the [`ANSWERS_SHOWN`] listed.
    pub more_answers: bool,
    /// The answer the next page of answers starts after, if there is one.
    pub next_after: Option<i64>,
    /// Whether this page of answers starts later than the first answer.
    pub later_page: bool,
    /// For the author only: (handle, name, what they said, when).
    pub thanks: Vec<(String, String, &'static str, i64)>,
    /// The kinds of thanks the reader already sent.
    pub sent: Vec<String>,
    /// When a host first answered it, for community replies: (reply id, time).
    pub host_reply: Option<(i64, i64)>,
    pub personas: Vec<(String, String)>,
    /// Why it takes no answers, edits or thanks, when what it belongs to is
    /// an archived group (`groups::archived_words`).
    pub archived: Option<String>,
    /// Why the reader may not answer it: its author or the subject's owner
    /// blocked them ([`Blocked::reply_words`], which names the owner's
    /// block first); the form is left out.
    pub refused: Option<String>,
}

/// How many answers a page of a reply's own page lists.
pub const ANSWERS_SHOWN: i64 = 200;

/// Loads a reply the reader may see; "not found" otherwise.
pub async fn visible_reply(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<(ReplyRow, SubjectInfo)> {
    match own_or_visible_reply(db, id, viewer).await? {
        (r, Some(info)) => Ok((r, info)),
        (_, None) => Err(CoreError::NotFound),
    }
}

/// [`visible_reply`], and for its author also a reply on a subject they may
/// no longer see (it became a draft or was deleted, they left its group):
/// then the subject is None, and nothing of it may be shown to them.
pub(crate) async fn own_or_visible_reply(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<(ReplyRow, Option<SubjectInfo>)> {
    let (r, info, _) = reply_for(db, id, viewer, false).await?;
    Ok((r, info))
}

/// [`own_or_visible_reply`]; with `from_queue`, a reply readers do not see
/// (waiting for review, or hidden) also opens to a host who may act on an
/// open report about it, as they may from their part of the moderation
/// queue (moderation's `Hosting` check), so the queue's link to it works.
/// Also returns whether the viewer sees it as a moderator: an instance
/// moderator, or such a host.
async fn reply_for(db: &Db, id: i64, viewer: Option<&Actor>, from_queue: bool) -> Result<(ReplyRow, Option<SubjectInfo>, bool)> {
    let r = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    let moderator = match viewer {
        Some(a) if a.is_admin => true,
        Some(a) if from_queue && r.status != "visible" && a.id != r.author_person => {
            crate::moderation::hosts_open_report(db, a, "reply", r.id).await?
        }
        _ => false,
    };
    // A reply readers were never shown (waiting for review, or hidden or
    // retracted before it was published) is its author's and the moderators'.
    // A published reply sent back for review by an edit keeps its place
    // (readers see that it waits, not its text: [`view_as`]).
    let unseen = r.status != "visible" && r.published == 0;
    if unseen && !moderator && viewer.is_none_or(|a| a.id != r.author_person) {
        return Err(CoreError::NotFound);
    }
    let subject = Subject::parse(&r.subject_kind, r.subject_id).ok_or(CoreError::NotFound)?;
    match subjects::resolve(db, subject, viewer).await {
        Ok(info) => Ok((r, Some(info), moderator)),
        Err(CoreError::NotFound) if viewer.is_some_and(|a| a.id == r.author_person) => Ok((r, None, moderator)),
        Err(other) => Err(other),
    }
}

/// A reply's page with its first answers.
pub async fn thread(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<Thread> {
    thread_page(db, id, viewer, None).await
}

/// A reply's page with its answers after answer `after` (in threaded
/// order, [`ANSWERS_SHOWN`] at most), or from the first. An `after` that is
/// not an answer to this reply (at any depth) is "not found".
pub async fn thread_page(db: &Db, id: i64, viewer: Option<&Actor>, after: Option<i64>) -> Result<Thread> {
    // A host opening a waiting or hidden reply from their queue sees it, as
    // its author would ([`reply_for`]); an instance moderator also sees what
    // it answers that way.
    let (r, info, moderator) = reply_for(db, id, viewer, true).await?;
    let empty = std::collections::HashMap::new();
    let instance_moderator = viewer.is_some_and(|a| a.is_admin);
    let Some(info) = info else {
        // Its author, who may no longer see the subject: their own words and
        // what became of them, nothing of the subject or its conversation.
        if after.is_some() {
            return Err(CoreError::NotFound);
        }
        let mut reply = view_as(r, viewer, &empty, false, moderator).ok_or(CoreError::NotFound)?;
        reply.level = 0;
        reply.in_reply_to = None;
        reply.in_reply_to_shown = false;
        return Ok(Thread {
            info: None,
            reply,
            parent: None,
            answers: Vec::new(),
            more_answers: false,
            next_after: None,
            later_page: false,
            thanks: Vec::new(),
            sent: Vec::new(),
            host_reply: None,
            personas: Vec::new(),
            archived: None,
            refused: None,
        });
    };
    let after_path = match after {
        Some(a) => match store::by_id(db, a).await? {
            Some(x) if x.subject_kind == r.subject_kind && x.subject_id == r.subject_id && x.path.starts_with(&format!("{}/", r.path)) => x.path,
            _ => return Err(CoreError::NotFound),
        },
        None => String::new(),
    };
    let viewer_id = viewer.map(|a| a.id).unwrap_or(0);
    let parent = match r.parent_id {
        Some(p) => store::by_id(db, p).await?,
        None => None,
    };
    let mut answers = store::descendants_after(db, &r, &after_path, viewer_id, ANSWERS_SHOWN + 1).await?;
    let more_answers = answers.len() as i64 > ANSWERS_SHOWN;
    answers.truncate(ANSWERS_SHOWN as usize);
    let next_after = if more_answers { answers.last().map(|a| a.id) } else { None };
    let own = viewer_id == r.author_person;
    let thanks = if own {
        store::thanks_for(db, "reply", id)
            .await?
            .into_iter()
            .map(|(h, n, k, t)| (h, n, THANKS.iter().find(|(key, _, _)| *key == k).map(|(_, _, s)| *s).unwrap_or("thanked you"), t))
            .collect()
    } else {
        Vec::new()
    };
    let sent = if viewer_id != 0 { store::thanks_sent(db, "reply", id, viewer_id).await? } else { Vec::new() };
    let host_reply = store::host_reply(db, "reply", id).await?;
    let personas = match viewer {
        Some(a) => persona::available(db, a).await?.iter().map(|p| (p.choice_value(), p.label())).collect(),
        None => Vec::new(),
    };
    let mut names: std::collections::HashMap<i64, String> = answers.iter().map(|a| (a.id, author_label(a))).collect();
    names.insert(r.id, author_label(&r));
    let archived = archived(db, &info).await?;
    let parent = parent.and_then(|p| view_as(p, viewer, &empty, false, instance_moderator)).map(|mut p| {
        p.in_reply_to = None;
        p.in_reply_to_shown = false;
        p.archived = archived.is_some();
        p
    });
    let mut reply = view_as(r, viewer, &empty, false, moderator).ok_or(CoreError::NotFound)?;
    reply.level = 0;
    reply.in_reply_to = None;
    reply.in_reply_to_shown = false;
    reply.archived = archived.is_some();
    let base = reply.row.depth + 1;
    // The first answer shown on a later page says what it answers, unless
    // it answers the reply itself.
    let mut first = after.is_some();
    let answers = answers
        .into_iter()
        .filter_map(|a| {
            let depth = a.depth - base;
            let mut v = view(a, viewer, &names, false)?;
            let starts = std::mem::take(&mut first) && v.row.parent_id != Some(id);
            v.level = depth.min(NEST_MAX - 1) + 1;
            v.in_reply_to = v.row.parent_id.map(|p| (p, names.get(&p).cloned().unwrap_or_else(|| "an earlier answer".into())));
            v.in_reply_to_shown = depth >= NEST_MAX || starts;
            v.archived = archived.is_some();
            Some(v)
        })
        .collect::<Vec<_>>();
    let mut answers = answers;
    let mut parent = parent;
    let mut marked: Vec<&mut ReplyView> = answers.iter_mut().chain(parent.iter_mut()).collect();
    marked.push(&mut reply);
    let by_owner = mark_refused(db, viewer, &info, &mut marked).await?;
    let refused = match (by_owner, reply.answer_refused) {
        (true, _) => Some(Blocked::Owner.reply_words(&info)),
        (false, true) => Some(Blocked::Answered.reply_words(&info)),
        (false, false) => None,
    };
    Ok(Thread {
        info: Some(info),
        reply,
        parent,
        answers,
        more_answers,
        next_after,
        later_page: after.is_some(),
        thanks,
        sent,
        host_reply,
        personas,
        archived,
        refused,
    })
}

/// Replies per page of a person's own list.
pub const MINE_PAGE_SIZE: i64 = 50;
/// How much of a reply's text its author's list shows.
pub const EXCERPT_CHARS: usize = 200;

/// One of a person's own replies, in their list.
#[derive(Debug, Clone)]
pub struct OwnReply {
    pub id: i64,
    pub shown: Shown,
    /// The start of its text, on one line ("" once retracted).
    pub excerpt: String,
    /// The note left when it was retracted (kept only if it was visible
    /// then), or, while it is hidden, the moderators' note saying why.
    pub note: String,
    /// The subject's (title, link) while its author may see it; None once they may not.
    pub subject: Option<(String, String)>,
    pub created_at: i64,
}

/// A page of a person's own replies, newest first.
#[derive(Debug, Clone)]
pub struct OwnReplies {
    pub replies: Vec<OwnReply>,
    /// The reply the next (older) page starts before, if there is one.
    pub next_before: Option<i64>,
    /// Whether this page starts later than the newest.
    pub later_page: bool,
}

/// A person's own replies, newest first, [`MINE_PAGE_SIZE`] a page, before
/// reply `before` (or from the newest): each with what became of it, and
/// its subject only while they may still see it.
pub async fn mine(db: &Db, actor: &Actor, before: Option<i64>) -> Result<OwnReplies> {
    let mut rows = store::by_author(db, actor.id, before.unwrap_or(i64::MAX), MINE_PAGE_SIZE + 1).await?;
    let next_before = if rows.len() as i64 > MINE_PAGE_SIZE {
        rows.truncate(MINE_PAGE_SIZE as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    // Each subject is looked at once a page.
    let mut subjects_seen: std::collections::HashMap<(String, i64), Option<(String, String)>> = std::collections::HashMap::new();
    let mut replies = Vec::with_capacity(rows.len());
    for row in rows {
        let key = (row.subject_kind.clone(), row.subject_id);
        let subject = match subjects_seen.get(&key) {
            Some(known) => known.clone(),
            None => {
                let seen = match Subject::parse(&row.subject_kind, row.subject_id) {
                    Some(subject) => match subjects::resolve(db, subject, Some(actor)).await {
                        Ok(info) => Some((info.title, info.url)),
                        Err(CoreError::NotFound) => None,
                        Err(other) => return Err(other),
                    },
                    None => None,
                };
                subjects_seen.insert(key, seen.clone());
                seen
            }
        };
        let shown = match row.status.as_str() {
            "visible" => Shown::Text,
            "pending" => Shown::Pending,
            "hidden" => Shown::Hidden,
            _ => Shown::Retracted,
        };
        let excerpt = if shown == Shown::Retracted { String::new() } else { excerpt(&row.body) };
        replies.push(OwnReply { id: row.id, shown, excerpt, note: row.note, subject, created_at: row.created_at });
    }
    Ok(OwnReplies { replies, next_before, later_page: before.is_some() })
}

/// The start of a text on one line: whitespace runs become one space, and
/// past [`EXCERPT_CHARS`] it is cut with "…".
fn excerpt(body: &str) -> String {
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// What the author submits on the edit form.
#[derive(Debug, Clone, Default)]
pub struct EditForm {
    pub body: String,
    /// Ticked after the "pause before posting" prompt: save it anyway.
    pub pause_confirmed: bool,
}

/// What became of an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    /// Saved; the earlier text is in the history.
    Kept,
    /// Saved; nothing kept: it was not on show (waiting or hidden), or the
    /// text was the same.
    Replaced,
    /// Saved, and it waits for a moderator's review before readers see the
    /// new text (its author's replies still do: first-contribution review);
    /// the earlier text is in the history, and readers see that it waits.
    Waiting,
    /// Not saved: the person is past [`EDITS_PER_HOUR`] (tell them
    /// [`EDITS_PER_HOUR_MESSAGE`]); only the count is kept.
    OverBudget,
}

/// A reply as its edit form needs it: the reply, and whether saving a
/// change sends it back to wait for review ([`edit_reply`]), so the form
/// can say so before it is saved.
#[derive(Debug, Clone)]
pub struct Editing {
    pub reply: ReplyRow,
    pub goes_to_review: bool,
    /// Why saving would be refused, when a block refuses the edit
    /// ([`Blocked::edit_words`]): the page says so instead of offering
    /// the form.
    pub refused: Option<String>,
}

/// Only the author edits a reply, and only until it is retracted, and not
/// in an archived group: the reply to edit, or why not.
async fn editable(db: &Db, actor: &Actor, id: i64) -> Result<(ReplyRow, SubjectInfo)> {
    let (r, info) = visible_reply(db, id, Some(actor)).await?;
    if r.author_person != actor.id {
        return Err(CoreError::Forbidden("Only the author can edit this reply.".into()));
    }
    if r.status == "retracted" {
        return Err(CoreError::Forbidden("This reply was retracted, so it can no longer be edited.".into()));
    }
    ensure_not_archived(db, &holding_groups(&info)).await?;
    Ok((r, info))
}

/// Whether an edit of `r` by its author sends it back to wait for review:
/// it is shown, and its author's replies still wait for review there (not
/// for the subject's own hosts), as for a new reply.
async fn edit_goes_to_review(db: &Db, policy: &crate::moderation::Policy, actor: &Actor, r: &ReplyRow, info: &SubjectInfo) -> Result<bool> {
    Ok(r.status == "visible"
        && policy.review_first > 0
        && !subjects::is_host(db, info, actor.id).await?
        && store::published_count(db, actor.id, policy.review_first).await? < policy.review_first)
}

/// The reply its author is about to edit ([`Editing`]); refused as
/// [`edit_reply`] refuses.
pub async fn for_editing(db: &Db, settings: &crate::settings::Settings, actor: &Actor, id: i64) -> Result<Editing> {
    let (reply, info) = editable(db, actor, id).await?;
    let goes_to_review = edit_goes_to_review(db, &settings.policy, actor, &reply, &info).await?;
    let parent_author = parent_author(db, &reply).await?;
    let refused = block_of(db, actor, &info, parent_author).await?.map(|b| b.edit_words(&info));
    Ok(Editing { reply, goes_to_review, refused })
}

/// The author of the reply `r` answers, if it answers one.
async fn parent_author(db: &Db, r: &ReplyRow) -> Result<Option<i64>> {
    Ok(match r.parent_id {
        Some(p) => store::by_id(db, p).await?.map(|p| p.author_person),
        None => None,
    })
}

/// The author edits a reply with the reply form's checks (length, nesting,
/// mentions, the pause prompt). While it is visible the earlier text goes to
/// its history; while it waits for review or is hidden the text is replaced
/// and not kept, since the history shows readers only what they were shown.
///
/// An edit is a new text that no moderator has read: while its author's
/// replies still wait for review (first-contribution review, as
/// [`post_reply`] decides it: not for the subject's own hosts), a shown
/// reply goes back to waiting, with a new report in the queue, and readers
/// see that it waits until a moderator publishes or hides it (publishing
/// sets off no notification again: [`publish_effects`]). Nothing is edited
/// in an archived group (checked again in the transaction that writes), and
/// an account saves at most [`EDITS_PER_HOUR`] edits an hour (instance
/// admins are not counted), counted in that transaction.
pub async fn edit_reply(db: &Db, settings: &crate::settings::Settings, actor: &Actor, id: i64, form: &EditForm) -> Result<Edited> {
    ensure_can_post(actor, settings)?;
    let (r, info) = editable(db, actor, id).await?;
    let holders = holding_groups(&info);
    let mut e = FieldErrors::new();
    let body = text(&mut e, "body", "Your reply", &form.body, BODY_MAX, true);
    check_body(&mut e, &body);
    // A block by the person answered or by the subject's owner refuses an
    // edit as it refuses a new reply (retracting stays open).
    let parent_author = parent_author(db, &r).await?;
    let answering = answered(parent_author, &info);
    let (_, rel) = resolve_mentions(db, actor, &body, &mut e, &answering).await?;
    if let Some(b) = Blocked::of(actor.id, &info, parent_author, |p| rel.has(p, "block")) {
        return Err(CoreError::Forbidden(b.edit_words(&info)));
    }
    e.into_result()?;
    if body == r.body {
        return Ok(Edited::Replaced);
    }
    let policy = &settings.policy;
    pause(policy, &body, form.pause_confirmed, "save")?;
    let review = edit_goes_to_review(db, policy, actor, &r, &info).await?;
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    // Counted in the transaction that writes, after every check: over the
    // budget, only the count is kept.
    if !actor.is_admin && !attempts::attempt_in(&mut tx, &settings.secret_key, &EDITS_PER_HOUR, &actor.id.to_string(), meetinghouse_store::now()).await? {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(Edited::OverBudget);
    }
    for g in &holders {
        crate::groups::ensure_open_for_changes(&mut tx, db.backend(), *g).await?;
    }
    let kept = match store::write_body(&mut tx, id, &body).await? {
        store::BodyUpdate::Kept => true,
        store::BodyUpdate::Replaced => false,
        // Retracted since it was loaded: nothing was written.
        store::BodyUpdate::Retracted => return Err(CoreError::Forbidden("This reply was retracted, so it can no longer be edited.".into())),
    };
    // Only while it is still shown (a moderator may have hidden it meanwhile).
    let waiting = review && store::send_back_for_review(&mut tx, id).await?;
    if waiting {
        store_moderation::insert_report(&mut tx, None, "reply", id, "first-contributions", "", info.group_id).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(match (waiting, kept) {
        (true, _) => Edited::Waiting,
        (false, true) => Edited::Kept,
        (false, false) => Edited::Replaced,
    })
}

/// [`edit_reply`] with the text alone (the pause prompt not answered);
/// returns whether the earlier text was kept in the history. An edit past
/// [`EDITS_PER_HOUR`] is refused with [`EDITS_PER_HOUR_MESSAGE`].
pub async fn edit(db: &Db, settings: &crate::settings::Settings, actor: &Actor, id: i64, body: &str) -> Result<bool> {
    match edit_reply(db, settings, actor, id, &EditForm { body: body.into(), pause_confirmed: false }).await? {
        Edited::Kept | Edited::Waiting => Ok(true),
        Edited::Replaced => Ok(false),
        Edited::OverBudget => Err(CoreError::Forbidden(EDITS_PER_HOUR_MESSAGE.into())),
    }
}

/// One page of a reply's earlier versions.
#[derive(Debug, Clone)]
pub struct History {
    pub reply: ReplyRow,
    pub info: SubjectInfo,
    /// (text as HTML, written at), newest first, at most [`HISTORY_PAGE_SIZE`].
    pub versions: Vec<(String, i64)>,
    /// The page (from 1), and whether there is a later one (older versions).
    pub page: i64,
    pub more: bool,
}

/// Earlier versions of a reply: (text as HTML, written at), newest first
/// (the first page of [`history_page`]).
pub async fn history(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<(ReplyRow, SubjectInfo, Vec<(String, i64)>)> {
    let h = history_page(db, id, viewer, 1).await?;
    Ok((h.reply, h.info, h.versions))
}

/// Page `page` (from 1) of a reply's earlier versions, [`HISTORY_PAGE_SIZE`]
/// a page, newest first: only the page's versions are read and rendered.
/// A hidden reply's history is its author's only.
pub async fn history_page(db: &Db, id: i64, viewer: Option<&Actor>, page: i64) -> Result<History> {
    let (reply, info) = visible_reply(db, id, viewer).await?;
    if reply.status == "hidden" && viewer.is_none_or(|a| a.id != reply.author_person) {
        return Err(CoreError::NotFound);
    }
    let page = page.max(1);
    let skip = (page - 1).saturating_mul(HISTORY_PAGE_SIZE);
    let mut rows = store::revisions_page(db, id, skip, HISTORY_PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > HISTORY_PAGE_SIZE;
    rows.truncate(HISTORY_PAGE_SIZE as usize);
    let versions = rows.into_iter().map(|(b, t)| (markdown::render(&b), t)).collect();
    Ok(History { reply, info, versions, page, more })
}

/// The author retracts a reply: its text is replaced by "retracted by the
/// author" and an optional note; answers to it stay where they are. Only a
/// visible reply keeps the note: readers never saw a reply that waits for
/// review or is hidden, and a note would show them text no moderator read,
/// so it is left out (the author is told). Its author may retract it when
/// they may no longer see its subject. Returns whether a note was left out.
pub async fn retract(db: &Db, actor: &Actor, id: i64, note: &str) -> Result<bool> {
    // Its author may retract it even once they may no longer see its subject.
    let (r, _) = own_or_visible_reply(db, id, Some(actor)).await?;
    if r.author_person != actor.id {
        return Err(CoreError::Forbidden("Only the author can retract this reply.".into()));
    }
    let mut e = FieldErrors::new();
    let note = text(&mut e, "note", "The note", note, NOTE_MAX, false);
    e.into_result()?;
    if r.status == "retracted" {
        return Ok(false);
    }
    // (The store keeps the note only while the reply is visible.)
    let left_out = r.status != "visible" && !note.is_empty();
    let mut tx = db.begin().await?;
    store::retract(&mut tx, id, &note).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(left_out)
}

/// What became of a thanks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thanked {
    /// Sent (or sent before: the same kind twice changes nothing).
    Sent,
    /// Not sent: the person is past [`THANKS_PER_HOUR`] (tell them
    /// [`THANKS_PER_HOUR_MESSAGE`]); only the count is kept.
    OverBudget,
}

/// Sends private appreciation for a reply. Only the author learns who sent
/// it; nobody sees a count. Sending the same kind twice changes nothing.
/// Someone the author blocked cannot send it, nor can someone the subject's
/// owner blocked (both are told [`THANKS_BLOCKED`], which does not say
/// whose block it is); someone the author muted can, but the
/// author is not notified, nor is an author who may no longer see the subject.
/// A reply in an archived group takes no thanks (checked again in the
/// transaction that writes). See [`thank_counted`] for the hourly budget.
pub async fn thank(db: &Db, mail: Mailer<'_>, actor: &Actor, id: i64, kind: &str) -> Result<()> {
    match thank_counted(db, mail, actor, id, kind).await? {
        Thanked::Sent => Ok(()),
        Thanked::OverBudget => Err(CoreError::Forbidden(THANKS_PER_HOUR_MESSAGE.into())),
    }
}

/// [`thank`], within the person's [`THANKS_PER_HOUR`] (instance admins are
/// not counted): a new thanks is counted in the transaction that writes it.
pub async fn thank_counted(db: &Db, mail: Mailer<'_>, actor: &Actor, id: i64, kind: &str) -> Result<Thanked> {
    ensure_can_post(actor, mail.settings)?;
    let (r, info) = visible_reply(db, id, Some(actor)).await?;
    let Some((_, _, said)) = THANKS.iter().find(|(k, _, _)| *k == kind) else {
        return Err(FieldErrors::one("kind", "Choose how you would like to thank them."));
    };
    if r.author_person == actor.id {
        return Err(CoreError::Forbidden("You cannot thank yourself — but it is good that you are pleased with it.".into()));
    }
    if r.status != "visible" {
        return Err(CoreError::Forbidden("This reply is not shown at the moment, so it cannot be thanked.".into()));
    }
    let holders = holding_groups(&info);
    ensure_not_archived(db, &holders).await?;
    // Sent before: nothing changes, and nothing is counted.
    if store::thanks_sent(db, "reply", id, actor.id).await?.iter().any(|k| k == kind) {
        return Ok(Thanked::Sent);
    }
    // A block by the reply's author, or by the subject's owner (on the
    // blocker's own story, as for replies), refuses it.
    // (In the same words either way: thanking does not tell whose block.)
    let (_, rel) = Relations::load(db, actor.id, &[], &answered(Some(r.author_person), &info)).await?;
    if Blocked::of(actor.id, &info, Some(r.author_person), |p| rel.has(p, "block")).is_some() {
        return Err(CoreError::Forbidden(THANKS_BLOCKED.into()));
    }
    let tell = !rel.has(r.author_person, "mute") && may_see(db, &info, r.author_person).await?;
    let persona_org = None;
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    if !actor.is_admin && !attempts::attempt_in(&mut tx, &mail.settings.secret_key, &THANKS_PER_HOUR, &actor.id.to_string(), meetinghouse_store::now()).await? {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(Thanked::OverBudget);
    }
    for g in &holders {
        crate::groups::ensure_open_for_changes(&mut tx, db.backend(), *g).await?;
    }
    if store::add_thanks(&mut tx, "reply", id, actor.id, r.author_person, kind).await? {
        let edge = NewInteraction {
            source_person: actor.id,
            source_org: persona_org,
            target_person: r.author_person,
            target_org: r.author_org,
            kind: "thanks",
            subject_kind: &r.subject_kind,
            subject_id: r.subject_id,
            public: info.public,
        };
        store_interactions::insert(&mut tx, &edge, Some(id)).await?;
        if tell {
            let text = format!("{} {said} (your reply on “{}”).", actor.display_name, info.title);
            let from = notifications::Source { sender: Some(actor.id), reply: Some(id) };
            notifications::notify_from(&mut tx, mail, r.author_person, Kind::Thanks, &text, &format!("/replies/{id}"), from).await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Thanked::Sent)
}

/// When a host first replied to a contribution (`"story"`, `"reply"`, …):
/// the reciprocity measure's raw material.
pub async fn host_reply(db: &Db, kind: &str, id: i64) -> Result<Option<(i64, i64)>> {
    Ok(store::host_reply(db, kind, id).await?)
}
