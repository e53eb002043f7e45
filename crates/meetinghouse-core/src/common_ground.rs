//! Common ground in the meeting house: a host opens a conversation, people
//! (or, when the host allows it, browsers without an account) add short
//! statements and vote agree / disagree / pass, one statement at a time, and
//! the `common-ground` engine maps the opinion groups and the statements that
//! bridge them. Recomputation runs as a debounced job ([`run_due`]) with the
//! engine's state kept in the database, so a restart loses nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use common_ground::{Analysis, Config, Direction, Engine, Moderation, PersistedState, StatementMeta, Tally, Vote, VoteEvent};
use meetinghouse_store::common_ground::{self as store, ConversationRow, NewConversation, StatementRow, Who};
use meetinghouse_store::{Db, StoreError, prompts as store_prompts};
use serde::{Deserialize, Serialize};

use crate::accounts::ensure_can_post;
use crate::error::{CoreError, FieldErrors, Result};
use crate::persona::{self, Voice};
use crate::settings::Settings;
use crate::types::{limits, text};
use crate::{Actor, groups, markdown, orgs, secrets};

/// Limits, documented in the README.
pub mod caps {
    /// Default longest statement, in characters (Pol.is's default).
    pub const STATEMENT_DEFAULT: i64 = 280;
    /// Bounds a host may set for the longest statement.
    pub const STATEMENT_MIN: i64 = 40;
    pub const STATEMENT_MAX: i64 = 1000;
    /// Seed statements a host may give when opening a conversation.
    pub const SEEDS_MAX: usize = 100;
    /// Statements one participant may add to one conversation.
    pub const STATEMENTS_PER_PARTICIPANT: usize = 30;
    /// Longest topic, in characters.
    pub const TOPIC_MAX: usize = 200;
    /// Seconds between two analyses of one conversation (the debounce).
    pub const DEBOUNCE_SECS: i64 = 2;
    /// Smallest opinion group whose figures a report shows: in a smaller
    /// one, a share of the group is a few people's votes, so it would tell
    /// how each of them voted (the product reports check-ins for groups of
    /// at least five, too).
    pub const GROUP_MIN: usize = 5;
    /// New participants without an account one connection may bring into
    /// a conversation in an hour: the usual figure, and the sizes a host
    /// may choose instead for an in-person event, where many people join
    /// from one Wi-Fi (`in_person`). The web layer's limits on votes and
    /// statements per connection rise in proportion (`ratelimit.rs`).
    pub const NEWCOMERS_PER_HOUR: i64 = 30;
    pub const IN_PERSON_SIZES: [i64; 3] = [100, 250, 500];
}

/// The form that opens a conversation.
#[derive(Debug, Clone, Default)]
pub struct ConversationForm {
    pub speak_as: String,
    pub topic: String,
    pub description: String,
    /// Seed statements, one per line.
    pub seeds: String,
    pub allow_anonymous: bool,
    /// Longest statement in characters; empty means the default.
    pub statement_max: String,
    /// "pre" or "post".
    pub moderation: String,
    /// A group's address: its slug, or its web address on this meeting
    /// house (`https://town.example/groups/walkers`, or from `/groups/`),
    /// or empty.
    pub group: String,
    /// This meeting house's base URL, which a group's web address must be
    /// on (empty: only the path is read).
    pub site: String,
    /// A prompt's id, or empty.
    pub prompt: String,
}

/// Opens a conversation. Hosts are organisation staff (speaking at their
/// organisation), a group's hosts for their group, a prompt's host for their
/// prompt, and instance admins.
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, form: &ConversationForm) -> Result<i64> {
    ensure_can_post(actor, settings)?;
    let mut e = FieldErrors::new();
    let topic = text(&mut e, "topic", "The topic", &form.topic, caps::TOPIC_MAX, true);
    let description = text(&mut e, "description", "The description", &form.description, limits::DESCRIPTION_MAX, false);
    let statement_max = match form.statement_max.trim() {
        "" => caps::STATEMENT_DEFAULT,
        raw => match raw.parse::<i64>() {
            Ok(n) if (caps::STATEMENT_MIN..=caps::STATEMENT_MAX).contains(&n) => n,
            _ => {
                e.add("statement_max", format!("Enter a number of characters from {} to {}.", caps::STATEMENT_MIN, caps::STATEMENT_MAX));
                caps::STATEMENT_DEFAULT
            }
        },
    };
    let moderation = match form.moderation.trim() {
        "" | "post" => "post",
        "pre" => "pre",
        _ => {
            e.add("moderation", "Choose whether hosts check statements before or after they appear.");
            "post"
        }
    };
    let mut seeds: Vec<String> = Vec::new();
    for (i, line) in form.seeds.lines().enumerate() {
        let s = normalise(line);
        if !crate::types::has_visible(&s) {
            continue;
        }
        let n = s.chars().count() as i64;
        if n > statement_max {
            e.add("seeds", format!("Seed statement {} is {n} characters long; the limit is {statement_max}.", i + 1));
        } else if !seeds.contains(&s) {
            seeds.push(s);
        }
    }
    if seeds.len() > caps::SEEDS_MAX {
        e.add("seeds", format!("Give at most {} seed statements (there are {}).", caps::SEEDS_MAX, seeds.len()));
    }
    let group = match group_slug(&form.group, &form.site) {
        Ok(None) => None,
        Ok(Some(slug)) => match groups::for_placing(db, actor, &slug).await? {
            Ok(g) => Some(g),
            Err(message) => {
                e.add("group", message);
                None
            }
        },
        Err(message) => {
            e.add("group", message);
            None
        }
    };
    // A conversation answers a prompt only when its host opens it (so a
    // prompt in a members-only group is never named to anyone else).
    let prompt = match form.prompt.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => match store_prompts::by_id(db, id).await? {
                // Its hosts by the prompts' rule: an opener only while they
                // still speak for what it names.
                Some(p) if actor.is_admin || crate::prompts::hosted_by(db, &p, actor.id).await? => {
                    // Not on a prompt of an archived group.
                    let group = match p.group_id {
                        Some(g) => meetinghouse_store::groups::by_id(db, g).await?,
                        None => None,
                    };
                    if let Some(g) = group
                        && let Some(at) = g.archived_at
                    {
                        e.add("prompt", groups::archived_words(&g.name, at));
                    }
                    Some(p)
                }
                _ => {
                    e.add("prompt", format!("You host no prompt number {id}; only a prompt's host can open a conversation on it."));
                    None
                }
            },
            Err(_) => {
                e.add("prompt", "Give the prompt's number (from its web address), or leave this empty.");
                None
            }
        },
    };
    e.into_result()?;
    let persona = persona::resolve(db, actor, &form.speak_as).await?;
    let org_id = match &persona.voice {
        Voice::Person => None,
        Voice::Affiliated { org_id, .. } | Voice::Announcement { org_id, .. } => Some(*org_id),
    };
    let hosts_group = match &group {
        Some(g) => groups::is_host(db, actor, g.id).await?,
        None => false,
    };
    // `prompt` is set only for one the actor hosts (or an admin).
    let hosts_prompt = prompt.is_some();
    if org_id.is_none() && !hosts_group && !hosts_prompt && !actor.is_admin {
        return Err(CoreError::Forbidden(
            "Common-ground conversations are opened by organisation staff (choose to speak at your organisation), \
             by a group's hosts for their group, or by a prompt's host for their prompt."
                .into(),
        ));
    }
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    // An archived group takes no new conversation (the form's checks said
    // so; checked again where it is written).
    for g in group.as_ref().map(|g| g.id).into_iter().chain(prompt.as_ref().and_then(|p| p.group_id)) {
        groups::ensure_open_for_changes(&mut tx, db.backend(), g).await?;
    }
    let id = store::insert(&mut tx, &NewConversation {
        host_person: actor.id,
        host_org: org_id,
        voice: crate::prompts::voice_name(&persona.voice),
        group_id: group.as_ref().map(|g| g.id),
        prompt_id: prompt.as_ref().map(|p| p.id),
        topic: &topic,
        description: &description,
        allow_anonymous: form.allow_anonymous,
        statement_max,
        moderation,
    })
    .await?;
    let host = store::ensure_participant(&mut tx, id, &Who::Person(actor.id)).await?;
    for s in &seeds {
        store::insert_statement(&mut tx, id, host, s, "accepted", true).await?;
    }
    store::mark_dirty(&mut tx, id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}

/// The slug in what the group field holds: a slug, a group's web address on
/// this meeting house (`site`, its base URL: `https://town.example/groups/walkers`,
/// any page of the group, with or without a query or `#…`), or its path
/// (`/groups/walkers`); `None` when it is empty. A web address on another
/// site, or of something that is not a group, is refused in words.
pub fn group_slug(raw: &str, site: &str) -> std::result::Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Some(slug) = crate::groups::slug_from_input(raw, site) {
        return Ok(Some(slug));
    }
    // Why it was not read: another site's address, or not a group's.
    let host = |url: &str| url.split_once("://").map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or("").to_ascii_lowercase());
    match (host(raw), host(site)) {
        (Some(theirs), Some(ours)) if theirs != ours => Err(format!(
            "That web address is not on this meeting house ({ours}). Give the address of a group here, like {}/groups/walkers, or the last part of it.",
            site.trim_end_matches('/')
        )),
        _ => Err("That web address is not a group's: a group's address ends in /groups/ and its short name, like /groups/walkers.".into()),
    }
}

/// Whether a person may open a conversation somewhere, so the list offers
/// them the form: instance admins, active staff or admins of an
/// organisation, active hosts of a group and hosts of a prompt (by the
/// prompts' rule). Where exactly is the form's to check ([`create`]).
pub async fn may_open(db: &Db, actor: &Actor) -> Result<bool> {
    Ok(actor.is_admin || store::may_open(db, actor.id).await?)
}

/// Who opens conversations, said where someone who cannot is told so.
pub const WHO_OPENS: &str = "Conversations are opened by organisation staff, by a group's hosts for their group, and by a prompt's host for their prompt.";

/// The host's changes to an open conversation's words: the topic and the
/// description, checked as when it was opened.
#[derive(Debug, Clone, Default)]
pub struct EditForm {
    pub topic: String,
    pub description: String,
    /// For an in-person event: one of [`caps::IN_PERSON_SIZES`] as text,
    /// or empty for the usual limit on new people from one connection.
    pub in_person: String,
}

/// What a host's edit changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edited {
    /// The topic or the description (the page says it was edited).
    pub words: bool,
    /// The in-person setting.
    pub in_person: bool,
}

/// A host changes the topic, the description or the in-person setting of
/// an open conversation (a closed one stays as it closed: reopen it
/// first). A change of words is marked on the page (`edited_at`), since
/// people may have voted under the words before. Refused in an archived
/// group, checked where it is written.
pub async fn edit(db: &Db, c: &Conversation, form: &EditForm) -> Result<Edited> {
    if !c.viewer_hosts {
        return Err(CoreError::Forbidden("Only the conversation's hosts can change its topic or description.".into()));
    }
    if !c.is_open() {
        return Err(edit_closed());
    }
    let mut e = FieldErrors::new();
    let topic = text(&mut e, "topic", "The topic", &form.topic, caps::TOPIC_MAX, true);
    let description = text(&mut e, "description", "The description", &form.description, limits::DESCRIPTION_MAX, false);
    let in_person = match form.in_person.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(n) if caps::IN_PERSON_SIZES.contains(&n) => Some(n),
            _ => {
                e.add("in_person", "Choose one of the sizes offered, or the usual limit.");
                None
            }
        },
    };
    e.into_result()?;
    let mut tx = db.begin().await?;
    in_open_group(&mut tx, db, c).await?;
    if !store::edit(&mut tx, c.row.id, &topic, &description, in_person).await? {
        return Err(edit_closed());
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Edited { words: topic != c.row.topic || description != c.row.description, in_person: in_person != c.row.in_person })
}

fn edit_closed() -> CoreError {
    CoreError::Forbidden("This conversation is closed, so its words stay as they were when it closed. Reopen it to change them.".into())
}

/// Collapses runs of whitespace (statements are one short line) and drops
/// control characters and characters that show nothing (zero-width spaces,
/// direction marks: `types::without_invisible`), so a statement padded with
/// them is the same statement to the unique check.
fn normalise(raw: &str) -> String {
    crate::types::without_invisible(&crate::types::without_controls(raw)).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A conversation as a viewer sees it.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub row: ConversationRow,
    pub description_html: String,
    pub host_label: String,
    /// Whether the viewer may accept or reject statements and close it.
    pub viewer_hosts: bool,
    /// Why it takes no statements or votes while it stays open: the group it
    /// belongs to, or the group of the prompt it answers, is archived
    /// (`groups::archived_words`). Its hosts may still check statements and
    /// close it.
    pub group_archived: Option<String>,
    /// The group of the prompt it answers, if the prompt is in one (a
    /// conversation opened on a prompt need not name that group itself):
    /// checked for the archive too, where a statement or vote is written.
    pub prompt_group: Option<i64>,
}

impl Conversation {
    pub fn is_open(&self) -> bool {
        self.row.status == "open"
    }
    pub fn allows_anonymous(&self) -> bool {
        self.row.allow_anonymous != 0
    }
    /// For an in-person event, how many new people without an account one
    /// connection may bring in an hour ([`caps::IN_PERSON_SIZES`]); `None`
    /// for the usual [`caps::NEWCOMERS_PER_HOUR`].
    pub fn in_person(&self) -> Option<u32> {
        self.row.in_person.filter(|n| caps::IN_PERSON_SIZES.contains(n)).and_then(|n| u32::try_from(n).ok())
    }
}

/// Loads a conversation; "not found" when it belongs to a members-only group
/// the viewer is not in, or answers a prompt of one.
pub async fn load(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<Conversation> {
    let row = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    let mut group_archived = None;
    if let Some(gid) = row.group_id {
        let group = meetinghouse_store::groups::by_id(db, gid).await?.ok_or(CoreError::NotFound)?;
        if !groups::can_see(db, &group, viewer).await? {
            return Err(CoreError::NotFound);
        }
        group_archived = group.archived_at.map(|at| groups::archived_words(&group.name, at));
    }
    // One opened on a prompt of a group is that group's too, as far as its
    // archive goes, whether or not it names the group itself.
    let prompt_group = row.prompt_group_id;
    // And one on a members-only group's prompt is that group's as far as
    // who may see it goes: "not found" to people outside the group.
    if let Some(gid) = prompt_group.filter(|g| Some(*g) != row.group_id)
        && let Some(group) = meetinghouse_store::groups::by_id(db, gid).await?
    {
        if !groups::can_see(db, &group, viewer).await? {
            return Err(CoreError::NotFound);
        }
        if group_archived.is_none() {
            group_archived = group.archived_at.map(|at| groups::archived_words(&group.name, at));
        }
    }
    let viewer_hosts = match viewer {
        Some(a) => is_host(db, &row, a).await?,
        None => false,
    };
    let host_label = match (row.voice.as_str(), &row.org_name) {
        ("announcement", Some(org)) => format!("{org} (announcement)"),
        (_, Some(org)) => format!("{} · {org}", row.host_name),
        _ => row.host_name.clone(),
    };
    Ok(Conversation { description_html: markdown::render(&row.description), host_label, viewer_hosts, group_archived, prompt_group, row })
}

/// Whether a person hosts a conversation: staff of the organisation it was
/// opened at, hosts of its group, the host of the prompt it answers if they
/// opened it, and instance admins. The opener hosts only while they still may
/// open conversations there: staff who left the organisation, or a group host
/// who stepped down, no longer moderate or close it.
pub async fn is_host(db: &Db, row: &ConversationRow, actor: &Actor) -> Result<bool> {
    if actor.is_admin {
        return Ok(true);
    }
    if let Some(org) = row.host_org
        && orgs::is_staff(db, org, actor.id).await?
    {
        return Ok(true);
    }
    if let Some(g) = row.group_id
        && groups::is_host(db, actor, g).await?
    {
        return Ok(true);
    }
    // A conversation on a prompt is hosted by the prompt's hosts.
    if let Some(p) = row.prompt_id
        && let Some(p) = store_prompts::by_id(db, p).await?
    {
        return crate::prompts::hosted_by(db, &p, actor.id).await;
    }
    Ok(false)
}

/// Who is taking part: a signed-in person, or a browser's anonymous token.
#[derive(Debug, Clone, Copy)]
pub enum Participant<'a> {
    Person(&'a Actor),
    /// The browser's token as its cookie holds it (only its hash is stored).
    Browser(&'a str),
}

impl Participant<'_> {
    /// The participant for a viewer: their account, else (when the host
    /// allows it) their browser's token.
    pub fn of<'a>(actor: Option<&'a Actor>, browser_token: &'a str) -> Participant<'a> {
        match actor {
            Some(a) => Participant::Person(a),
            None => Participant::Browser(browser_token),
        }
    }
}

/// The stored participant id, if they have taken part.
pub async fn participant_id(db: &Db, conversation: i64, p: &Participant<'_>) -> Result<Option<i64>> {
    Ok(match p {
        Participant::Person(a) => store::participant(db, conversation, &Who::Person(a.id)).await?,
        Participant::Browser(t) => store::participant(db, conversation, &Who::Browser(&secrets::token_hash(t))).await?,
    })
}

/// What became of the votes a browser gave without an account, once its
/// person signed in there ([`adopt_browser`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adoption {
    /// The browser had not taken part here, or its participant is the
    /// person's already.
    Nothing,
    /// The browser's participant became the person's now, with its votes
    /// and statements: they count once, as theirs.
    TakenOver,
    /// The person had taken part here already from their account, so the
    /// browser's participant stays apart, anonymous, with this many votes:
    /// two participants, each counted in "taking part" (nothing shows they
    /// are one person, and their votes may differ).
    Apart { votes: i64 },
}

/// Someone who took part without an account signs in on the same browser:
/// unless their account has a participant in this conversation already,
/// the browser's becomes the account's — votes, statements and the time it
/// joined with it (store `adopt_browser`, one statement in its own
/// transaction, safe from two requests at once) — so they are not counted
/// twice, and their anonymous votes no longer show in that browser once
/// they sign out. Called at the first request of theirs to the
/// conversation after signing in, whatever it is; a later one finds
/// nothing to take over.
pub async fn adopt_browser(db: &Db, c: &Conversation, actor: &Actor, browser_token: &str) -> Result<Adoption> {
    if browser_token.len() < 16 {
        return Ok(Adoption::Nothing);
    }
    let hash = secrets::token_hash(browser_token);
    // Most requests: this browser has not taken part here (or no longer
    // has a participant of its own), and nothing is written.
    if store::participant(db, c.row.id, &Who::Browser(&hash)).await?.is_none() {
        return Ok(Adoption::Nothing);
    }
    if store::adopt_browser(db, c.row.id, actor.id, &hash).await? {
        tracing::debug!(conversation = c.row.id, "common ground: a browser's participant became its person's on signing in");
        return Ok(Adoption::TakenOver);
    }
    // Not taken over: the account has a participant of its own here, or
    // another request of theirs took the browser's over just now.
    let Some(browser) = store::participant(db, c.row.id, &Who::Browser(&hash)).await? else { return Ok(Adoption::Nothing) };
    match store::votes_count(db, browser).await? {
        0 => Ok(Adoption::Nothing),
        votes => Ok(Adoption::Apart { votes }),
    }
}

/// Whether `p` is a browser without an account about to take part in an
/// open conversation for the first time (no vote and no statement of theirs
/// in it yet): the web layer limits how many of those one address brings
/// (a script clearing its cookies is many new voters). False for a person
/// with an account, and when the conversation would refuse the browser anyway.
pub async fn is_newcomer(db: &Db, c: &Conversation, p: &Participant<'_>) -> Result<bool> {
    let Participant::Browser(token) = p else { return Ok(false) };
    if !c.is_open() || !c.allows_anonymous() {
        return Ok(false);
    }
    Ok(!store::has_taken_part(db, c.row.id, &Who::Browser(&secrets::token_hash(token))).await?)
}

/// Registers `p` as a participant (after [`may_take_part`]).
async fn join(c: &Conversation, p: &Participant<'_>, tx: &mut meetinghouse_store::Tx) -> Result<i64> {
    Ok(match p {
        Participant::Person(a) => store::ensure_participant(tx, c.row.id, &Who::Person(a.id)).await?,
        Participant::Browser(t) => store::ensure_participant(tx, c.row.id, &Who::Browser(&secrets::token_hash(t))).await?,
    })
}

/// Whether `p` may vote and add statements now, and if not, why.
fn may_take_part(settings: &Settings, c: &Conversation, p: &Participant<'_>) -> Result<()> {
    if !c.is_open() {
        return Err(closed());
    }
    // An archived group's conversation takes no statement or vote (checked
    // again in the writing transaction: [`in_open_group`]).
    if let Some(why) = &c.group_archived {
        return Err(CoreError::Forbidden(why.clone()));
    }
    match p {
        Participant::Person(a) => ensure_can_post(a, settings)?,
        Participant::Browser(t) => {
            if !c.allows_anonymous() {
                return Err(CoreError::Forbidden("Please sign in to take part: this conversation is for people with an account.".into()));
            }
            if t.len() < 16 {
                return Err(CoreError::Forbidden(
                    "Your browser did not keep our cookie, so we cannot tell your votes apart. Allow cookies for this site, or sign in.".into(),
                ));
            }
        }
    }
    Ok(())
}

/// What happened to a new statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Shown to others at once (post-moderation, or added by a host).
    Accepted(i64),
    /// Waits for a host (pre-moderation).
    Pending(i64),
}

/// A statement that passed every check made before writing
/// ([`check_statement`]): the text as it will be stored.
#[derive(Debug, Clone)]
pub struct CheckedStatement {
    body: String,
}

/// Checks a participant's statement before anything is written: whether
/// they may take part, and its text (something visible, within the
/// conversation's limit, not there already). The web layer counts a new
/// browser against its address's budget only after this passed, so a
/// refused request costs nothing.
pub async fn check_statement(db: &Db, settings: &Settings, c: &Conversation, p: &Participant<'_>, raw: &str) -> Result<CheckedStatement> {
    may_take_part(settings, c, p)?;
    let body = normalise(raw);
    let n = body.chars().count() as i64;
    if !crate::types::has_visible(&body) {
        return Err(FieldErrors::one("statement", "Write a statement first."));
    }
    if n > c.row.statement_max {
        return Err(FieldErrors::one(
            "statement",
            format!("A statement here can be at most {} characters long (yours has {n}). Try saying one thing, briefly.", c.row.statement_max),
        ));
    }
    // Said already? Most repeats are caught here, with a message that says
    // what became of the first; the index in [`write_statement`] catches the rest.
    if let Some((status, author)) = store::statement_status(db, c.row.id, &body).await? {
        let me = participant_id(db, c.row.id, p).await?;
        return Err(already_there(&status, me == Some(author)));
    }
    Ok(CheckedStatement { body })
}

/// Adds a participant's statement ([`check_statement`], then [`write_statement`]).
pub async fn add_statement(db: &Db, settings: &Settings, c: &Conversation, p: &Participant<'_>, raw: &str) -> Result<Added> {
    let checked = check_statement(db, settings, c, p, raw).await?;
    write_statement(db, c, p, &checked).await
}

/// Writes a checked statement. What could be raced by a parallel request
/// is decided in the transaction that writes: whether the conversation is
/// still open and the participant's statement count (after
/// [`store::change_open`], which makes changes to one conversation take
/// turns), and whether the text is already there (the unique index).
pub async fn write_statement(db: &Db, c: &Conversation, p: &Participant<'_>, checked: &CheckedStatement) -> Result<Added> {
    let body = &checked.body;
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    if let Participant::Person(actor) = p {
        crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    }
    if !store::change_open(&mut tx, c.row.id).await? {
        return Err(closed());
    }
    in_open_group(&mut tx, db, c).await?;
    let author = join(c, p, &mut tx).await?;
    let mine = store::statements_by(&mut tx, c.row.id, author).await?;
    if mine >= caps::STATEMENTS_PER_PARTICIPANT as i64 {
        return Err(FieldErrors::one(
            "statement",
            format!("You have added {mine} statements here, the most one person can. Thank you — now vote on others'."),
        ));
    }
    let accepted = c.row.moderation == "post" || c.viewer_hosts;
    let id = match store::insert_statement(&mut tx, c.row.id, author, body, if accepted { "accepted" } else { "pending" }, false).await {
        Ok(id) => id,
        // The same text arrived from someone else between the check and
        // this insert: say so just as the check would have.
        Err(StoreError::Conflict { what: "statement" }) => {
            tx.rollback().await.map_err(StoreError::from)?;
            let (status, first) = store::statement_status(db, c.row.id, body).await?.unwrap_or_else(|| ("accepted".into(), 0));
            return Err(already_there(&status, first == author));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await.map_err(StoreError::from)?;
    Ok(if accepted { Added::Accepted(id) } else { Added::Pending(id) })
}

/// Refuses a statement or a vote, in the transaction that writes it, when
/// the conversation's group, or the group of the prompt it answers, was
/// archived since the page was loaded.
async fn in_open_group(tx: &mut meetinghouse_store::Tx, db: &Db, c: &Conversation) -> Result<()> {
    for g in c.row.group_id.into_iter().chain(c.prompt_group.filter(|g| Some(*g) != c.row.group_id)) {
        groups::ensure_open_for_changes(tx, db.backend(), g).await?;
    }
    Ok(())
}

/// Why a statement already put to the conversation (with this status)
/// cannot be added again. Its author (`mine`: the same participant, as
/// when "Add it" was pressed twice) is told what became of it; anyone else
/// learns nothing of a statement they cannot see — one waiting for a host
/// or taken out — beyond that the words cannot be added.
fn already_there(status: &str, mine: bool) -> CoreError {
    let message = match (status, mine) {
        ("pending", true) => "You added this already: it is waiting for a host to check it.",
        ("rejected", true) => "You added this already, and the hosts took it out of the conversation, so it cannot be added again.",
        (_, true) => "You added this already: it is in the conversation.",
        ("accepted", false) => "That statement is already in the conversation: vote on it instead.",
        _ => "That statement cannot be added: the same words were put to this conversation before.",
    };
    FieldErrors::one("statement", message)
}

/// The refusal when a conversation is closed, whether the page that sent the
/// form knew it or it closed while the form was on its way.
fn closed() -> CoreError {
    CoreError::Forbidden("This conversation is closed: it no longer takes statements or votes.".into())
}

/// A host accepts or rejects a statement.
pub async fn moderate(db: &Db, c: &Conversation, statement_id: i64, accept: bool) -> Result<()> {
    if !c.viewer_hosts {
        return Err(CoreError::Forbidden("Only the conversation's hosts accept or reject statements.".into()));
    }
    if !c.is_open() {
        return Err(moderation_closed());
    }
    let s = store::statement(db, statement_id).await?.filter(|s| s.conversation_id == c.row.id).ok_or(CoreError::NotFound)?;
    let mut tx = db.begin().await?;
    // A statement closing took out stays out: its author closed their
    // account asking for what they posted to be removed. Read holding the
    // author's row, before the conversation's, as closing takes them.
    if accept && store::author_removed_in(&mut tx, s.id).await? {
        return Err(CoreError::Forbidden(REMOVED_BY_CLOSING.into()));
    }
    // Closed while the host's page was open: still nothing is moderated.
    if !store::change_open(&mut tx, c.row.id).await? {
        return Err(moderation_closed());
    }
    store::set_statement_status(&mut tx, s.id, if accept { "accepted" } else { "rejected" }).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Why a statement taken out when its author closed their account cannot
/// be put back.
pub const REMOVED_BY_CLOSING: &str =
    "This statement was taken out because its author closed their account and asked for what they posted to be removed, so it cannot be put back.";

/// The refusal of a host's decision once the conversation is closed.
fn moderation_closed() -> CoreError {
    CoreError::Forbidden("This conversation is closed: its statements stay as they were when it closed.".into())
}

/// Parses a vote as forms send it.
pub fn parse_vote(raw: &str) -> Option<i64> {
    match raw {
        "agree" => Some(1),
        "disagree" => Some(-1),
        "pass" => Some(0),
        _ => None,
    }
}

/// A vote that passed every check made before writing ([`check_vote`]).
#[derive(Debug, Clone)]
pub struct CheckedVote {
    statement: StatementRow,
    vote: i64,
}

impl CheckedVote {
    /// The statement voted on, as it was when checked.
    pub fn statement(&self) -> &StatementRow {
        &self.statement
    }
    /// 1 agree, -1 disagree, 0 pass.
    pub fn vote(&self) -> i64 {
        self.vote
    }
}

/// Checks a vote before anything is written: whether the participant may
/// take part, the choice, and that the statement is in this conversation
/// and takes votes. The web layer counts a new browser against its
/// address's budget only after this passed, so a refused request costs
/// nothing.
pub async fn check_vote(db: &Db, settings: &Settings, c: &Conversation, p: &Participant<'_>, statement_id: i64, raw_vote: &str) -> Result<CheckedVote> {
    may_take_part(settings, c, p)?;
    let vote = parse_vote(raw_vote).ok_or_else(|| FieldErrors::one("vote", "Choose agree, disagree or pass."))?;
    let Some(statement) = store::statement(db, statement_id).await?.filter(|s| s.conversation_id == c.row.id) else {
        return Err(FieldErrors::one("vote", "There is no such statement in this conversation."));
    };
    match statement.status.as_str() {
        "rejected" => Err(FieldErrors::one("vote", TAKEN_OUT)),
        "pending" => Err(FieldErrors::one("vote", "That statement is waiting for the hosts to check it.")),
        _ => Ok(CheckedVote { statement, vote }),
    }
}

/// Records a vote ([`check_vote`], then [`write_vote`]); a later vote on
/// the same statement replaces the earlier one.
pub async fn vote(db: &Db, settings: &Settings, c: &Conversation, p: &Participant<'_>, statement_id: i64, raw_vote: &str) -> Result<()> {
    let checked = check_vote(db, settings, c, p, statement_id, raw_vote).await?;
    write_vote(db, c, p, &checked).await
}

/// Writes a checked vote.
pub async fn write_vote(db: &Db, c: &Conversation, p: &Participant<'_>, checked: &CheckedVote) -> Result<()> {
    let mut tx = db.begin().await?;
    // Checked again where the vote is written: the conversation may have
    // closed since this request loaded it, and a vote must not land after.
    // First, so that on PostgreSQL a host's decision on the statement in
    // flight (which holds the conversation's row) has committed before the
    // vote reads the statement's status; the row is held for one insert.
    if !store::change_open(&mut tx, c.row.id).await? {
        return Err(closed());
    }
    in_open_group(&mut tx, db, c).await?;
    let participant = join(c, p, &mut tx).await?;
    if !store::upsert_vote(&mut tx, c.row.id, participant, checked.statement.id, checked.vote).await? {
        // Taken out between the check and this write.
        return Err(FieldErrors::one("vote", TAKEN_OUT));
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Why a statement a host has taken out takes no vote.
const TAKEN_OUT: &str = "The hosts took that statement out of the conversation, so it no longer takes votes.";

/// Closes a conversation: it stays readable, and takes no more statements or votes.
pub async fn close(db: &Db, c: &Conversation) -> Result<()> {
    if !c.viewer_hosts {
        return Err(CoreError::Forbidden("Only the conversation's hosts can close it.".into()));
    }
    let mut tx = db.begin().await?;
    store::close(&mut tx, c.row.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// A host opens a closed conversation again: it takes statements and votes
/// once more, everything from before stays (statements, votes, who took
/// part), the map is redrawn as people vote, and its page says since when
/// it is open again (`reopened_at`; the date it had closed is cleared, as
/// it is no longer closed). Refused in an archived group, checked where it
/// is written. Returns false when it was open already.
pub async fn reopen(db: &Db, c: &Conversation) -> Result<bool> {
    if !c.viewer_hosts {
        return Err(CoreError::Forbidden("Only the conversation's hosts can reopen it.".into()));
    }
    let mut tx = db.begin().await?;
    in_open_group(&mut tx, db, c).await?;
    let reopened = store::reopen(&mut tx, c.row.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(reopened)
}

/// What the voting card shows.
#[derive(Debug, Clone)]
pub struct Ballot {
    /// The statement to vote on next, chosen by the routing priority.
    pub next: Option<StatementRow>,
    /// Accepted statements this participant has voted on, and all accepted.
    pub voted: usize,
    pub total: usize,
    /// Statements waiting for a host (shown to hosts).
    pub pending: Vec<StatementRow>,
    /// Statements a host has let in or taken out, newest first (shown to
    /// hosts, so a statement can be taken out after it appeared, or put back).
    pub decided: Vec<StatementRow>,
    /// This participant's own statements waiting for a host.
    pub mine_pending: usize,
    /// The viewer's participant id, once they have taken part: the page
    /// then shows their own votes.
    pub me: Option<i64>,
    /// Statements (by row id) taken out because their author closed their
    /// account choosing "remove" (shown to hosts: they cannot be put back).
    pub removed: HashSet<i64>,
}

/// The next statement for a participant: unvoted accepted statements,
/// drawn at random weighted by the engine's routing priority (as Pol.is
/// does), so statements that would tell the map most are seen first and no
/// two people march through the same order.
pub async fn ballot(db: &Db, c: &Conversation, p: &Participant<'_>) -> Result<Ballot> {
    ballot_keeping(db, c, p, None).await
}

/// [`ballot`], with the statement (by row id) the participant tried to
/// vote on as the next one when it still takes votes: a vote refused for
/// a limit is shown again with the statement it was for, not another.
pub async fn ballot_keeping(db: &Db, c: &Conversation, p: &Participant<'_>, tried: Option<i64>) -> Result<Ballot> {
    let statements = store::statements(db, c.row.id).await?;
    let me = participant_id(db, c.row.id, p).await?;
    let voted: std::collections::HashSet<i64> = match me {
        Some(id) => store::votes_of(db, id).await?.into_iter().map(|(s, _)| s).collect(),
        None => Default::default(),
    };
    // Only the priorities, stored apart from the analysis (migration 0048),
    // so this page of every vote reads no point of the map. Before a
    // conversation's first analysis, and in the moment after the upgrade
    // before its redraw, every statement counts as unseen.
    let priorities: HashMap<i64, f64> = store::priorities(db, c.row.id)
        .await?
        .and_then(|p| serde_json::from_str::<Vec<(i64, f64)>>(&p).ok())
        .map(|p| p.into_iter().collect())
        .unwrap_or_default();
    let fresh = common_ground::stats::priority(Tally::default(), 0.0, false);
    let accepted: Vec<&StatementRow> = statements.iter().filter(|s| s.status == "accepted").collect();
    let total = accepted.len();
    let candidates: Vec<(&StatementRow, f64)> = accepted
        .iter()
        .filter(|s| !voted.contains(&s.id))
        .map(|s| (*s, priorities.get(&s.id).copied().unwrap_or(fresh).max(1e-9)))
        .collect();
    let kept = tried.and_then(|t| accepted.iter().find(|s| s.id == t)).map(|s| (*s).clone());
    let next = kept.or_else(|| pick_weighted(&candidates, random_unit()).cloned());
    let pending = if c.viewer_hosts { statements.iter().filter(|s| s.status == "pending").cloned().collect() } else { Vec::new() };
    let decided = if c.viewer_hosts { statements.iter().rev().filter(|s| s.status != "pending").cloned().collect() } else { Vec::new() };
    let removed = if c.viewer_hosts { store::statements_of_removed_accounts(db, c.row.id).await?.into_iter().collect() } else { HashSet::new() };
    let mine_pending = match me {
        Some(id) => statements.iter().filter(|s| s.status == "pending" && s.author == id).count(),
        None => 0,
    };
    Ok(Ballot { next, voted: accepted.iter().filter(|s| voted.contains(&s.id)).count(), total, pending, decided, mine_pending, me, removed })
}

fn random_unit() -> f64 {
    let t = secrets::random_token();
    let bits = u64::from_str_radix(&t[..13], 16).unwrap_or(0);
    bits as f64 / (1u64 << 52) as f64
}

/// Picks one candidate with probability proportional to its weight; `u` in [0, 1).
fn pick_weighted<'a>(candidates: &[(&'a StatementRow, f64)], u: f64) -> Option<&'a StatementRow> {
    let total: f64 = candidates.iter().map(|c| c.1).sum();
    if candidates.is_empty() || !total.is_finite() || total <= 0.0 {
        return candidates.first().map(|c| c.0);
    }
    let mut at = u.clamp(0.0, 1.0) * total;
    for (s, w) in candidates {
        if at < *w {
            return Some(s);
        }
        at -= w;
    }
    candidates.last().map(|c| c.0)
}

/// A participant's votes, with the statements' texts, for the "my votes" page.
pub async fn my_votes(db: &Db, c: &Conversation, p: &Participant<'_>) -> Result<Vec<(StatementRow, i64)>> {
    let Some(me) = participant_id(db, c.row.id, p).await? else { return Ok(Vec::new()) };
    let votes: HashMap<i64, i64> = store::votes_of(db, me).await?.into_iter().collect();
    Ok(store::statements(db, c.row.id)
        .await?
        .into_iter()
        .filter_map(|s| votes.get(&s.id).map(|v| (s, *v)))
        .collect())
}

/// The statements a participant added to a conversation (whatever became
/// of them, seed statements included), oldest first, for "my votes".
pub async fn my_statements(db: &Db, c: &Conversation, p: &Participant<'_>) -> Result<Vec<StatementRow>> {
    let Some(me) = participant_id(db, c.row.id, p).await? else { return Ok(Vec::new()) };
    Ok(store::statements(db, c.row.id).await?.into_iter().filter(|s| s.author == me).collect())
}

/// What became of one's own statement, in words.
pub fn status_words(status: &str) -> &'static str {
    match status {
        "accepted" => "in the conversation: people vote on it",
        "pending" => "waiting for a host to check it",
        _ => "taken out by the hosts: it is not shown, and takes no votes",
    }
}

pub fn vote_label(v: i64) -> &'static str {
    match v {
        1 => "Agree",
        -1 => "Disagree",
        _ => "Pass",
    }
}

// ---------------------------------------------------------------------------
// The opinion map: what the pages draw, computed by the engine.

/// One participant's point on the map.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub participant: i64,
    pub x: f64,
    pub y: f64,
    /// Index into `Summary::groups`.
    pub group: Option<usize>,
}

/// A statement's votes, overall and per group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementVotes {
    pub statement: i64,
    pub agree: u32,
    pub disagree: u32,
    pub pass: u32,
    /// Per group (aligned with `Summary::groups`): agree, disagree, seen;
    /// `None` for a group whose figures are withheld (fewer than
    /// [`caps::GROUP_MIN`] people).
    pub by_group: Vec<Option<[u32; 3]>>,
    /// Group-aware consensus: Π over groups of (A+1)/(S+2) (over the groups
    /// whose figures are shown, when some are withheld).
    pub bridging: f64,
    /// Largest gap between two groups' agreement rates (0 with one group),
    /// among the groups whose figures are shown.
    pub division: f64,
}

/// A representative statement of a group, with agreement inside and outside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Representative {
    pub statement: i64,
    pub direction: String,
    /// Share of the group voting that way, of those who saw it.
    pub inside: f64,
    /// The same share among everyone in other groups; `None` when nobody
    /// outside the group has voted on it.
    #[serde(default)]
    pub outside: Option<f64>,
    pub repness: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Shown as "Group A", "Group B", …
    pub label: String,
    pub size: usize,
    /// Empty for a group whose figures are withheld.
    pub representative: Vec<Representative>,
}

impl GroupSummary {
    /// Whether the report shows this group's figures (its size, its shares
    /// of each vote, what sets it apart): only for a group of at least
    /// [`caps::GROUP_MIN`] people. A smaller one is named "a group of fewer
    /// than five", without them.
    pub fn shows_figures(&self) -> bool {
        self.size >= caps::GROUP_MIN
    }
}

/// One day of participation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Day {
    /// Unix seconds at the day's first moment in the meeting house's time
    /// zone (summaries stored before it was set have UTC midnights).
    pub day: i64,
    pub votes: u32,
    /// People taking part for the first time that day: their first vote,
    /// or their first statement of their own that is in the conversation
    /// or waiting for a host (summaries drawn before migration 0058
    /// counted first votes only; it has every one drawn again).
    pub new_participants: u32,
}

/// What the engine found, as the pages show it (stored as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub computed_at: i64,
    pub participants: usize,
    pub votes: usize,
    pub in_conv: usize,
    pub k: usize,
    pub points: Vec<Point>,
    pub groups: Vec<GroupSummary>,
    pub consensus_agree: Vec<i64>,
    pub consensus_disagree: Vec<i64>,
    pub statements: Vec<StatementVotes>,
    /// Routing priority per statement.
    pub priorities: Vec<(i64, f64)>,
    pub timeline: Vec<Day>,
    /// Plain-language notes on degraded input (too few participants, …), for everyone.
    pub notes: Vec<String>,
    /// The engine's own diagnostics ("PCA stopped after N iterations …"):
    /// technical notes, shown to hosts only. Summaries stored before they
    /// were kept apart have none (migration 0011 has those redrawn).
    #[serde(default)]
    pub technical: Vec<String>,
}

impl Summary {
    pub fn votes_of(&self, statement: i64) -> Option<&StatementVotes> {
        self.statements.iter().find(|s| s.statement == statement)
    }
    /// Whether this participant (if any) is placed on the opinion map.
    pub fn is_on_map(&self, participant: Option<i64>) -> bool {
        participant.is_some_and(|me| self.points.iter().any(|p| p.participant == me))
    }
    /// The opinion group this participant (if any) is placed in, when
    /// there are groups of opinion (two or more).
    pub fn group_of(&self, participant: Option<i64>) -> Option<usize> {
        let me = participant?;
        if self.groups.len() < 2 {
            return None;
        }
        self.points.iter().find(|p| p.participant == me).and_then(|p| p.group).filter(|g| *g < self.groups.len())
    }
    /// Whether the report shows group `g`'s figures: there are groups of
    /// opinion (one group is everyone on the map, not a group of opinion,
    /// and its figures would be everyone's) and it has at least
    /// [`caps::GROUP_MIN`] people.
    pub fn shows_group(&self, g: usize) -> bool {
        self.groups.len() >= 2 && self.groups.get(g).is_some_and(GroupSummary::shows_figures)
    }
    /// Whether some group of opinion is named without its figures.
    pub fn withholds_a_group(&self) -> bool {
        self.groups.len() >= 2 && self.groups.iter().any(|g| !g.shows_figures())
    }
    /// The people on the map in groups whose figures are shown.
    pub fn in_groups_shown(&self) -> usize {
        (0..self.groups.len()).filter(|g| self.shows_group(*g)).map(|g| self.groups[g].size).sum()
    }
    /// The most bridging statements (group-aware consensus), best first:
    /// only those that more than half of every group whose figures are
    /// shown agrees with, of the people in it who voted on them (at least
    /// [`caps::GROUP_MIN`] of them, or the group's figure is not shown and
    /// its view is unknown), so the list can be shorter than `n`. There
    /// must be two such groups.
    pub fn bridging(&self, n: usize) -> Vec<&StatementVotes> {
        let shown: Vec<usize> = (0..self.groups.len()).filter(|g| self.shows_group(*g)).collect();
        let every_group_agrees = |s: &StatementVotes| {
            shown.len() >= 2
                && s.by_group.len() == self.groups.len()
                && shown.iter().all(|&g| matches!(s.by_group[g], Some([agree, _, seen]) if seen > 0 && 2 * agree > seen))
        };
        let mut v: Vec<&StatementVotes> = self.statements.iter().filter(|s| every_group_agrees(s)).collect();
        v.sort_by(|a, b| b.bridging.total_cmp(&a.bridging).then(a.statement.cmp(&b.statement)));
        v.truncate(n);
        v
    }
    /// The statements the groups disagree on most (a gap of at least
    /// [`DIVIDED`] between two groups' shares agreeing).
    pub fn divisive(&self, n: usize) -> Vec<&StatementVotes> {
        let mut v: Vec<&StatementVotes> = self.statements.iter().filter(|s| s.division >= DIVIDED).collect();
        v.sort_by(|a, b| b.division.total_cmp(&a.division).then(a.statement.cmp(&b.statement)));
        v.truncate(n);
        v
    }
    /// What most people said: the statements a clear majority of the people
    /// counted in their figures ([`StatementVotes::overall`]) agreed with
    /// (`.0`) or disagreed with (`.1`), by Pol.is's test for consensus
    /// (the smoothed share over a half, and a one-sided z-test at 90%),
    /// strongest first, at most `n` each. A statement the groups split on
    /// ([`DIVIDED`]) is left out, even with a majority: counting everyone
    /// together, a large group outvotes a small one, and the report lists
    /// it where the groups differ instead.
    pub fn majority(&self, n: usize) -> (Vec<&StatementVotes>, Vec<&StatementVotes>) {
        let (mut agree, mut disagree) = (Vec::new(), Vec::new());
        for s in &self.statements {
            if s.division >= DIVIDED {
                continue;
            }
            match majority_of(&s.overall()) {
                Some(("agree", strength)) => agree.push((strength, s)),
                Some((_, strength)) => disagree.push((strength, s)),
                None => {}
            }
        }
        fn best(mut v: Vec<(f64, &StatementVotes)>, n: usize) -> Vec<&StatementVotes> {
            v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.statement.cmp(&b.1.statement)));
            v.into_iter().take(n).map(|(_, s)| s).collect()
        }
        (best(agree, n), best(disagree, n))
    }
}

/// The gap between two groups' shares agreeing from which a statement
/// counts as dividing them.
pub const DIVIDED: f64 = 0.3;

/// What the report may say about the votes on a statement as a whole. No
/// figure is about fewer than [`caps::GROUP_MIN`] people, and none gives
/// away, taken with the groups' figures, how fewer than that voted: with
/// everyone's counts and each group's, everyone's less the groups' would
/// be the votes of the people outside the groups shown (a group of two,
/// someone not yet on the map).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overall {
    /// Fewer than five people voted on it: no figures.
    TooFew,
    /// Everyone who voted on it: agree, disagree, pass.
    Everyone([u32; 3]),
    /// The people in the groups whose figures are shown: agree, disagree,
    /// pass. One to four others voted on it too, whose votes are left out.
    GroupsShown([u32; 3]),
}

impl Overall {
    /// Agree, disagree and pass, when there are figures.
    pub fn counts(&self) -> Option<[u32; 3]> {
        match self {
            Overall::TooFew => None,
            Overall::Everyone(c) | Overall::GroupsShown(c) => Some(*c),
        }
    }
}

/// The [`Overall`] figures of a statement with `counts` (agree, disagree,
/// pass) from everyone, and `cells` (agree, disagree, seen) per group,
/// `None` where a group's figure is not shown.
pub fn overall(counts: [u32; 3], cells: &[Option<[u32; 3]>]) -> Overall {
    let min = caps::GROUP_MIN as u32;
    let voted: u32 = counts.iter().sum();
    let [agree, disagree, seen] = cells.iter().flatten().fold([0u32; 3], |t, c| [t[0] + c[0], t[1] + c[1], t[2] + c[2]]);
    let others = voted.saturating_sub(seen);
    if voted < min {
        Overall::TooFew
    } else if others == 0 || others >= min {
        Overall::Everyone(counts)
    } else if seen >= min {
        Overall::GroupsShown([agree, disagree, seen.saturating_sub(agree + disagree)])
    } else {
        Overall::TooFew
    }
}

/// Which way a clear majority voted in these figures, "agree" or
/// "disagree", and how clearly (Pol.is's consensus: the share smoothed as
/// (n + 1) / (votes + 2) over a half, and its z-test over
/// [`common_ground::stats::Z_90`]; the strength is their product, Pol.is's
/// order).
pub fn majority_of(o: &Overall) -> Option<(&'static str, f64)> {
    let [agree, disagree, pass] = o.counts()?;
    let seen = f64::from(agree + disagree + pass);
    [("agree", agree), ("disagree", disagree)].into_iter().find_map(|(d, n)| {
        let n = f64::from(n);
        let share = (n + 1.0) / (seen + 2.0);
        let z = common_ground::stats::prop_test(n, seen);
        (share > 0.5 && z > common_ground::stats::Z_90).then_some((d, share * z))
    })
}

impl StatementVotes {
    /// What the report may say about this statement's votes as a whole
    /// (of a summary whose small figures are withheld).
    pub fn overall(&self) -> Overall {
        overall([self.agree, self.disagree, self.pass], &self.by_group)
    }
}

impl Summary {
    /// Withholds what would show how fewer than [`caps::GROUP_MIN`] people
    /// voted, and writes the plain notes for the page:
    /// - every figure of a group not shown ([`Summary::shows_group`]): its
    ///   shares of each statement's votes and what sets it apart;
    /// - a group's share of a statement fewer than five in it voted on;
    /// - the division and bridging scores, then taken over the figures
    ///   shown (only where one was withheld: otherwise the engine's);
    /// - "in the group" and "everyone else" of a representative statement,
    ///   taken again from the figures shown, so "everyone else" leaves out
    ///   smaller groups (and is withheld when fewer than five voted).
    ///
    /// A statement's figures as a whole follow from what is left
    /// ([`StatementVotes::overall`]). Run on each summary stored, and again
    /// on each read (summaries stored before a rule kept what it
    /// withholds); running it twice changes nothing more.
    fn withhold_small_groups(&mut self) {
        let min = caps::GROUP_MIN as u32;
        let shown: Vec<bool> = (0..self.groups.len()).map(|g| self.shows_group(g)).collect();
        for s in &mut self.statements {
            let mut withheld = false;
            for (gi, t) in s.by_group.iter_mut().enumerate() {
                if t.is_some_and(|[_, _, seen]| !shown.get(gi).copied().unwrap_or(false) || seen < min) {
                    *t = None;
                    withheld = true;
                }
            }
            if withheld {
                s.division = division(&s.by_group);
                s.bridging = s.by_group.iter().flatten().map(|&[agree, _, seen]| f64::from(agree + 1) / f64::from(seen + 2)).product();
            }
        }
        let statements = &self.statements;
        for (gi, g) in self.groups.iter_mut().enumerate() {
            if !shown[gi] {
                g.representative.clear();
                continue;
            }
            g.representative.retain_mut(|r| {
                let Some(s) = statements.iter().find(|s| s.statement == r.statement) else { return false };
                let Some(own) = s.by_group.get(gi).copied().flatten() else { return false };
                let that_way = |t: [u32; 3]| f64::from(if r.direction == "disagree" { t[1] } else { t[0] }) / f64::from(t[2]);
                let others = s
                    .by_group
                    .iter()
                    .enumerate()
                    .filter(|(gj, _)| *gj != gi)
                    .filter_map(|(_, t)| *t)
                    .fold([0u32; 3], |t, c| [t[0] + c[0], t[1] + c[1], t[2] + c[2]]);
                r.inside = that_way(own);
                r.outside = (others[2] >= min).then(|| that_way(others));
                true
            });
        }
        self.notes.retain(|n| !n.ends_with(MAP_NOTE_END) && n != NOBODY_ON_THE_MAP);
        if self.in_conv == 0 {
            self.notes.insert(0, NOBODY_ON_THE_MAP.into());
        } else if self.in_conv < SMALL_MAP {
            self.notes.insert(0, format!("Fewer than {SMALL_MAP} people are on the map so far: {MAP_NOTE_END}"));
        }
    }
}

/// How the note on a small map ends (notes stored before it gave the
/// number of people, "Only 0 people are on the map", are replaced on read).
const MAP_NOTE_END: &str = "the groups become meaningful as more people take part.";
const NOBODY_ON_THE_MAP: &str = "Nobody is on the map yet: a person appears on it once they have voted on a few statements.";

/// The largest gap between two groups' agreement rates, among the groups
/// shown that at least three people in voted on (0 with fewer than two).
fn division(by_group: &[Option<[u32; 3]>]) -> f64 {
    let rates: Vec<f64> = by_group.iter().flatten().filter(|g| g[2] >= 3).map(|g| f64::from(g[0]) / f64::from(g[2])).collect();
    if rates.len() >= 2 {
        rates.iter().copied().fold(f64::MIN, f64::max) - rates.iter().copied().fold(f64::MAX, f64::min)
    } else {
        0.0
    }
}

/// The latest stored summary, if the conversation has been analysed, with
/// what would show how fewer than [`caps::GROUP_MIN`] people voted withheld
/// (`Summary::withhold_small_groups`).
pub async fn summary(db: &Db, id: i64) -> Result<Option<Summary>> {
    let mut s: Option<Summary> = store::analysis(db, id).await?.and_then(|a| serde_json::from_str(&a).ok());
    if let Some(s) = &mut s {
        s.withhold_small_groups();
    }
    Ok(s)
}

/// Runs one analysis of every conversation that changed and has not been
/// analysed in the last [`caps::DEBOUNCE_SECS`]; returns how many results
/// were stored. Safe to run on several app servers at once: each
/// conversation is claimed, and a run that took longer than the claim's
/// lease (the debounce: another server may claim the conversation again
/// after about 3 s) stores its result only if no later claim stored first.
/// A run that never stores (its process killed mid-run) leaves its claim,
/// and the conversation is due again after the store's `CLAIM_LEASE_SECS`.
///
/// A conversation whose analysis fails is logged (one warning a try) and
/// tried again after a wait that doubles with each failure in a row, from
/// 4 s to 10 minutes (store `analysis_failed`), on every app server alike;
/// the other conversations due are analysed all the same, also when the
/// failure cannot be noted (then the conversation's claim holds it back
/// until its lease runs out), and when one cannot be claimed (it is tried
/// on the next run). An error is returned only when the database cannot say
/// what is due.
pub async fn run_due(db: &Db) -> Result<usize> {
    // Times are whole seconds: one more second makes "at least 2 s apart" hold
    // even when the last run began just before a second ticked over.
    let not_after = meetinghouse_store::now() - caps::DEBOUNCE_SECS - 1;
    let mut done = 0;
    for id in store::due(db, not_after, 20).await? {
        let claim = match store::claim(db, id, not_after).await {
            Ok(Some(claim)) => claim,
            Ok(None) => continue,
            Err(e) => {
                // Left as it is (unclaimed, still changed): due again next run.
                tracing::warn!(conversation = id, error = %e, "common ground: a conversation due for analysis could not be claimed; it is tried again next run");
                continue;
            }
        };
        let stored = match analyse(db, id, claim).await {
            Ok(run) => keep(db, &run).await,
            Err(e) => Err(e),
        };
        match stored {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => match store::analysis_failed(db, id, claim).await {
                // Marked changed again, to be tried after its wait.
                Ok((failures, wait)) => tracing::warn!(
                    conversation = id,
                    failures,
                    retry_in_secs = wait,
                    error = %e,
                    "common ground: analysing a conversation failed; it is tried again after a wait that doubles with each failure (up to 10 minutes)"
                ),
                // Not noted: the claim stays until its lease runs out
                // (`CLAIM_LEASE_SECS`), and the conversation is due again
                // then. The others due are analysed all the same.
                Err(noting) => tracing::warn!(
                    conversation = id,
                    error = %e,
                    noting_error = %noting,
                    "common ground: analysing a conversation failed, and so did noting the failure; it is tried again once its claim runs out"
                ),
            },
        }
    }
    Ok(done)
}

/// Analyses one conversation now, warm-started from its stored state, and
/// stores the result (unless a run claimed later stored its own first; the
/// summary is returned either way).
pub async fn recompute(db: &Db, id: i64) -> Result<Summary> {
    let claim = store::claim_now(db, id).await?.ok_or(CoreError::NotFound)?;
    let run = analyse(db, id, claim).await?;
    keep(db, &run).await?;
    Ok(run.summary)
}

/// One analysis run's result, computed but not yet stored.
#[derive(Debug, Clone)]
pub struct Run {
    pub conversation: i64,
    /// The claim number the run was started under. A later claim's run
    /// reads every vote cast before that claim (a vote after it marks the
    /// conversation changed again), so a higher number is never older.
    pub claim: i64,
    pub summary: Summary,
    /// The engine's state for the next warm start (JSON).
    pub state: String,
}

/// Reads a conversation's statements, votes and engine state and runs the
/// engine, under `claim` (from [`store::claim`] or [`store::claim_now`]).
/// Nothing is stored: see [`keep`].
pub async fn analyse(db: &Db, id: i64, claim: i64) -> Result<Run> {
    let statements = store::statements(db, id).await?;
    let votes = store::votes(db, id).await?;
    let state = store::engine_state(db, id).await?;
    // Taking part is voting or adding a statement that is in the
    // conversation or waiting for a host: a host who has only opened the
    // conversation (the seed statements are theirs), a visitor who has only
    // looked, and someone whose only statement was taken out are not
    // counted (counting them would tell everyone a statement was written
    // and taken out).
    let taking_part: HashSet<i64> = votes
        .iter()
        .map(|v| v.participant_id)
        .chain(statements.iter().filter(|s| s.is_seed == 0 && s.status != "rejected").map(|s| s.author))
        .collect();
    let (mut engine, misfit) = warm_engine(&statements, &votes, state.as_deref());
    for message in misfit {
        tracing::warn!(conversation = id, diagnostic = %message, "common ground: the stored state did not fit");
    }
    // The engine is CPU work: keep it off the async workers.
    let (analysis, engine) = tokio::task::spawn_blocking(move || {
        let a = engine.update();
        (a, engine)
    })
    .await
    .map_err(|e| CoreError::Internal(format!("the analysis stopped: {e}")))?;
    // The engine's own diagnostics are technical: for hosts, not for the
    // people taking part (the report's plain notes are made in `summarise`).
    let technical = analysis.diagnostics.iter().map(|d| d.message.clone()).collect();
    let summary = summarise(&analysis, &statements, &votes, &taking_part, technical);
    let state = serde_json::to_string(&engine.state()).map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok(Run { conversation: id, claim, summary, state })
}

/// Stores a run's result unless a run claimed later has stored its own
/// (compare-and-set on the claim number), so an older result never replaces
/// a newer one. Returns whether it was stored.
pub async fn keep(db: &Db, run: &Run) -> Result<bool> {
    let json = serde_json::to_string(&run.summary).map_err(|e| CoreError::Internal(e.to_string()))?;
    let priorities = serde_json::to_string(&run.summary.priorities).map_err(|e| CoreError::Internal(e.to_string()))?;
    let stored = store::save_analysis(db, run.conversation, run.claim, &store::Analysed { summary: &json, state: &run.state, priorities: &priorities }).await?;
    if !stored {
        tracing::debug!(conversation = run.conversation, claim = run.claim, "common ground: a later analysis was stored first; this older one is dropped");
    }
    Ok(stored)
}

/// An engine holding a conversation's statements and votes, warm-started
/// from its stored state, with what of that state did not fit. The state
/// names statements and participants, so it is restored after the engine
/// knows them.
fn warm_engine(statements: &[StatementRow], votes: &[store::VoteRow], state: Option<&str>) -> (Engine, Vec<String>) {
    let mut engine = Engine::new(Config { threads: 1, ..Config::default() });
    for s in statements {
        engine.upsert_statement(&s.id.to_string(), statement_meta(s));
    }
    // As `engine.add_votes(&vote_events(votes))` would apply them (by time,
    // stably), without a list holding two strings per vote.
    let mut order: Vec<&store::VoteRow> = votes.iter().collect();
    order.sort_by_key(|v| v.updated_at);
    for v in order {
        engine.vote(&v.participant_id.to_string(), &v.statement_id.to_string(), Vote::from_export_sign(v.vote).unwrap_or(Vote::Pass));
    }
    let mut misfit = Vec::new();
    match state.map(serde_json::from_str::<PersistedState>) {
        None => {}
        Some(Ok(state)) => misfit.extend(engine.restore_state(&state).into_iter().map(|d| d.message)),
        Some(Err(e)) => misfit.push(format!("the stored state could not be read ({e}); starting afresh")),
    }
    (engine, misfit)
}

/// The engine's view of a stored statement: pending counts as unmoderated
/// (it has no votes: nobody is shown it), rejected is "mod-out".
fn statement_meta(s: &StatementRow) -> StatementMeta {
    let moderation = match s.status.as_str() {
        "accepted" => Moderation::Accepted,
        "rejected" => Moderation::Rejected,
        _ => Moderation::Unmoderated,
    };
    StatementMeta { moderation, is_meta: s.is_meta != 0 }
}

/// Stored votes as engine events, time in milliseconds of the latest change.
fn vote_events(votes: &[store::VoteRow]) -> Vec<VoteEvent> {
    votes
        .iter()
        .map(|v| VoteEvent {
            participant: v.participant_id.to_string(),
            statement: v.statement_id.to_string(),
            vote: Vote::from_export_sign(v.vote).unwrap_or(Vote::Pass),
            time: Some(v.updated_at * 1000),
        })
        .collect()
}

/// Below this many people on the map, the report says its groups are tentative.
const SMALL_MAP: usize = 15;

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

fn group_label(i: usize) -> String {
    let letter = (b'A' + (i % 26) as u8) as char;
    if i < 26 { format!("Group {letter}") } else { format!("Group {letter}{}", i / 26) }
}

/// Agree, disagree and pass counts per statement.
fn tally(votes: &[store::VoteRow]) -> BTreeMap<i64, [u32; 3]> {
    let mut counts: BTreeMap<i64, [u32; 3]> = BTreeMap::new();
    for v in votes {
        let t = counts.entry(v.statement_id).or_default();
        match v.vote {
            1 => t[0] += 1,
            -1 => t[1] += 1,
            _ => t[2] += 1,
        }
    }
    counts
}

/// Agree, disagree and pass counts per statement of a conversation, from
/// the votes as they are now (a statement taken out keeps its counts).
pub async fn vote_counts(db: &Db, id: i64) -> Result<BTreeMap<i64, [u32; 3]>> {
    Ok(tally(&store::votes(db, id).await?))
}

/// What the report shows of an analysis. `taking_part` are the
/// participants counted as taking part (see [`analyse`]): the figure
/// "people taking part" and the timeline's people count the same ones.
fn summarise(a: &Analysis, statements: &[StatementRow], votes: &[store::VoteRow], taking_part: &HashSet<i64>, technical: Vec<String>) -> Summary {
    let participants = taking_part.len();
    let sid = |s: &str| s.parse::<i64>().unwrap_or(0);
    let points = a
        .in_conv
        .iter()
        .map(|&i| Point {
            participant: sid(&a.participants[i]),
            x: finite(a.projections[i][0]),
            y: finite(a.projections[i][1]),
            group: a.group_of.get(i).copied().flatten(),
        })
        .collect();
    // Overall tallies from the votes themselves (everyone, in the map or not).
    let overall = tally(votes);
    let col: HashMap<&str, usize> = a.statements.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let mut rows = Vec::new();
    for s in statements.iter().filter(|s| s.status == "accepted") {
        let t = overall.get(&s.id).copied().unwrap_or_default();
        let key = s.id.to_string();
        let c = col.get(key.as_str()).copied();
        let by_group: Vec<Option<[u32; 3]>> = a
            .groups
            .iter()
            .map(|g| Some(c.and_then(|c| g.votes.get(c)).map(|t| [t.agree, t.disagree, t.seen]).unwrap_or_default()))
            .collect();
        let division = division(&by_group);
        rows.push(StatementVotes {
            statement: s.id,
            agree: t[0],
            disagree: t[1],
            pass: t[2],
            bridging: finite(c.and_then(|c| a.group_aware_consensus.get(c).copied()).unwrap_or(0.0)),
            division: finite(division),
            by_group,
        });
    }
    let groups = a
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let representative = g
                .repness
                .iter()
                .filter_map(|r| {
                    let c = *col.get(r.statement.as_str())?;
                    let inside_t = g.votes.get(c).copied().unwrap_or_default();
                    let mut out = Tally::default();
                    for (gj, h) in a.groups.iter().enumerate() {
                        if gj != gi {
                            let t = h.votes.get(c).copied().unwrap_or_default();
                            out.agree += t.agree;
                            out.disagree += t.disagree;
                            out.seen += t.seen;
                        }
                    }
                    let share = |t: Tally| {
                        let n = match r.direction {
                            Direction::Agree => t.agree,
                            Direction::Disagree => t.disagree,
                        };
                        if t.seen == 0 { None } else { Some(f64::from(n) / f64::from(t.seen)) }
                    };
                    Some(Representative {
                        statement: sid(&r.statement),
                        direction: match r.direction {
                            Direction::Agree => "agree".into(),
                            Direction::Disagree => "disagree".into(),
                        },
                        inside: share(inside_t).unwrap_or(0.0),
                        outside: share(out),
                        repness: finite(r.repness),
                    })
                })
                .collect();
            GroupSummary { label: group_label(gi), size: g.members.len(), representative }
        })
        .collect();
    let priorities = a.statements.iter().zip(&a.priorities).map(|(s, p)| (sid(s), finite(*p))).collect();
    // Participation by day: votes cast, and people who took part for the
    // first time (their first vote, or their first statement of their own
    // that is in the conversation or waiting: the people counted as taking
    // part, so the line ends at the page's figure).
    let mut first: HashMap<i64, i64> = HashMap::new();
    let mut by_day: BTreeMap<i64, (u32, u32)> = BTreeMap::new();
    let zone = crate::clock::zone();
    let day_of = |t: i64| zone.start_of_day(t).unwrap_or(t.div_euclid(86_400) * 86_400);
    let mut took_part = |who: i64, at: i64| {
        if taking_part.contains(&who) {
            let e = first.entry(who).or_insert(at);
            *e = (*e).min(at);
        }
    };
    for v in votes {
        took_part(v.participant_id, v.created_at);
        by_day.entry(day_of(v.created_at)).or_default().0 += 1;
    }
    for s in statements.iter().filter(|s| s.is_seed == 0 && s.status != "rejected") {
        took_part(s.author, s.created_at);
    }
    for t in first.values() {
        by_day.entry(day_of(*t)).or_default().1 += 1;
    }
    let timeline = by_day.into_iter().map(|(day, (votes, new_participants))| Day { day, votes, new_participants }).collect();
    // The plain notes are written by `withhold_small_groups`, below.
    let notes = Vec::new();
    let mut summary = Summary {
        computed_at: meetinghouse_store::now(),
        participants,
        votes: a.n_votes,
        in_conv: a.in_conv.len(),
        k: a.k,
        points,
        groups,
        consensus_agree: a.consensus.agree.iter().map(|c| sid(&c.statement)).collect(),
        consensus_disagree: a.consensus.disagree.iter().map(|c| sid(&c.statement)).collect(),
        statements: rows,
        priorities,
        timeline,
        notes,
        technical,
    };
    summary.withhold_small_groups();
    summary
}

/// The files of the Pol.is openData layout: a folder holding any of them
/// holds an export already.
pub const OPENDATA_FILES: [&str; 5] = ["comments.csv", "votes.csv", "participants-votes.csv", "summary.csv", "stats-history.csv"];

/// How [`export_opendata`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Replace openData files already in the folder.
    pub force: bool,
    /// Write the text of statements waiting for a host or taken out (for
    /// the host's own archive). The text of a statement whose author
    /// closed their account choosing "remove" is never written, whatever
    /// its status (one a host put back before that was refused, or one in
    /// a conversation that was closed when its author closed theirs).
    pub include_moderated_text: bool,
}

/// What [`export_opendata`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub statements: usize,
    pub votes: usize,
    /// Statements written without their text (waiting for a host, taken
    /// out, or of an author who closed their account choosing "remove").
    pub without_text: usize,
}

/// The conversation in the Pol.is openData layout (`comments.csv`,
/// `votes.csv`), for `meetinghouse common-ground export`. A statement's
/// `comment-id` is its number in the conversation (1, 2, 3… as the pages
/// show it: Pol.is's are per conversation too), and a participant's
/// `author-id` and `voter-id` the row id of the conversation's participant.
///
/// What it leaves out, so that a folder that is published says no more than
/// the pages do:
/// - a statement waiting for a host (`moderated = 0`) or taken out
///   (`moderated = -1`: rejected by a host, or removed when its author
///   closed their account) keeps its row, so ids and votes agree, with an
///   empty `comment-body`; with `include_moderated_text` the text is
///   written;
/// - the text of a statement whose author closed their account choosing
///   "remove" is never written, whatever its status: closing promised it
///   is taken out (in a conversation that was closed then, it is still
///   shown on the pages, as that conversation stays as it closed; a folder
///   that may be published says no more of it than its row);
/// - a seed statement (the host's, opening the conversation) has an empty
///   `author-id`: the page names the host, and their participant number is
///   also their `voter-id`, so it would name the host's votes.
///
/// A folder that already holds openData files ([`OPENDATA_FILES`]) is
/// refused, with nothing written, unless `force`: the files would mix with
/// another conversation's. With `force`, `comments.csv` and `votes.csv` are
/// replaced (both, or neither when writing fails) and, once they are, the
/// other openData files are removed, so none is left from another export.
/// The files are `0600`, in a folder made `0700` if it is made here. A
/// folder someone else could change files in (another user's, or one others
/// may write in without the sticky bit) is refused, and nothing planted in
/// it (a symbolic link under a file's name) is followed: see
/// [`common_ground::io::write_opendata`].
pub async fn export_opendata(db: &Db, id: i64, dir: &std::path::Path, options: ExportOptions) -> Result<Exported> {
    store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    let present: Vec<&str> = OPENDATA_FILES.iter().copied().filter(|f| dir.join(f).symlink_metadata().is_ok()).collect();
    if !options.force && !present.is_empty() {
        return Err(CoreError::Forbidden(format!(
            "{} already holds openData files ({}), perhaps another conversation's: nothing was written. \
             Choose a new or empty folder, or give --force to replace them.",
            dir.display(),
            present.join(", ")
        )));
    }
    let statements = store::statements(db, id).await?;
    let removed: HashSet<i64> = store::statements_of_removed_accounts(db, id).await?.into_iter().collect();
    let votes = store::votes(db, id).await?;
    let mut without_text = 0;
    let export: Vec<common_ground::io::ExportStatement> = statements
        .iter()
        .map(|s| {
            let text_shown = !removed.contains(&s.id) && (s.status == "accepted" || options.include_moderated_text);
            if !text_shown {
                without_text += 1;
            }
            common_ground::io::ExportStatement {
                id: s.number.to_string(),
                author: if s.is_seed != 0 { String::new() } else { s.author.to_string() },
                text: if text_shown { s.body.clone() } else { String::new() },
                created_ms: s.created_at * 1000,
                meta: statement_meta(s),
            }
        })
        .collect();
    // Votes name statements by their numbers too.
    let numbers: HashMap<i64, i64> = statements.iter().map(|s| (s.id, s.number)).collect();
    let mut events = vote_events(&votes);
    for (e, v) in events.iter_mut().zip(&votes) {
        e.statement = numbers.get(&v.statement_id).copied().unwrap_or(v.statement_id).to_string();
    }
    // The error names the file (both are written, or neither is replaced).
    common_ground::io::write_opendata(dir, &export, &events).map_err(|e| CoreError::Internal(format!("could not write the export: {e}")))?;
    for name in OPENDATA_FILES.iter().skip(2).filter(|f| present.contains(f)) {
        let path = dir.join(name);
        std::fs::remove_file(&path).map_err(|e| CoreError::Internal(format!("wrote the export, but could not remove {}, left from before: {e}", path.display())))?;
    }
    Ok(Exported { statements: export.len(), votes: events.len(), without_text })
}

// ---------------------------------------------------------------------------
// The demo town's conversation.

/// Planted opinion camps of the demo conversation, and statements for each.
const DEMO_STATEMENTS: &[(usize, &str)] = &[
    (0, "The old library should become a museum of the town's working life."),
    (0, "The building's Victorian reading room must be kept exactly as it is."),
    (0, "The town's archives belong in the old library, where people can see them."),
    (0, "Heritage brings visitors, and visitors keep the high street alive."),
    (0, "Changing a listed building this much would be a loss we cannot undo."),
    (0, "Schools should be able to book the building for local history days."),
    (0, "The museum needs more space to show what it keeps in storage."),
    (1, "It should be a community hub open every day, with free warm space in winter."),
    (1, "Young people need somewhere to go in the evenings that isn't a shop."),
    (1, "Groups and charities should be able to use rooms there for free."),
    (1, "A café run by volunteers would make people feel welcome."),
    (1, "It should host health drop-ins and advice sessions, not just culture."),
    (1, "The building should be run by the people who use it, not the council."),
    (1, "Artists need cheap studio space more than the town needs another museum."),
    (2, "The town needs homes more than it needs another public building."),
    (2, "Converting it to affordable flats is the best use of public land."),
    (2, "Keeping an empty building heated costs money that should go to housing."),
    (2, "Families on the waiting list should come before heritage."),
    (2, "A mix of flats upstairs and a small public space downstairs would be fair."),
    (2, "Selling part of the site could pay for repairs elsewhere in town."),
    (9, "The town should decide together, in the open, not behind closed doors."),
    (9, "Whatever happens, the building must be accessible to disabled people."),
    (9, "The building's history should be recorded before anything changes."),
    (9, "Leaving it empty for years is the worst outcome."),
];

/// The demo town's common-ground conversation's topic (how a later run of
/// the demo finds it).
pub const DEMO_TOPIC: &str = "What should become of the old library building?";

/// Seeds the demo town's common-ground conversation: "What should become of
/// the old library building?", hosted by the council's engagement lead for
/// Tiverton Together, open to people without an account, with ~300
/// participants (the demo people and 256 browsers) in three planted opinion
/// camps (heritage, community hub, housing) and four statements nearly
/// everyone agrees on. Votes are spread over the last fortnight, and the map
/// is drawn before this returns. Returns (participants, votes).
pub async fn seed_demo(db: &Db, host: i64, host_org: Option<i64>, group: Option<i64>, people: &[i64]) -> Result<(usize, usize)> {
    use common_ground::prng::SplitMix64;
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, &NewConversation {
        host_person: host,
        host_org,
        voice: if host_org.is_some() { "affiliated" } else { "person" },
        group_id: group,
        prompt_id: None,
        topic: DEMO_TOPIC,
        description: "The library moves to the new community campus next year. The old building on Phoenix Lane is the town's: \
                      **tell us what it should become**, vote on what others say, and see where we agree.",
        allow_anonymous: true,
        statement_max: caps::STATEMENT_DEFAULT,
        moderation: "post",
    })
    .await?;
    let mut participants = Vec::with_capacity(people.len() + 256);
    for p in people {
        participants.push(store::ensure_participant(&mut tx, id, &Who::Person(*p)).await?);
    }
    for i in 0..256 {
        let hash = secrets::token_hash(&format!("demo-browser-{i:04}"));
        participants.push(store::ensure_participant(&mut tx, id, &Who::Browser(&hash)).await?);
    }
    let host_participant = participants[people.iter().position(|p| *p == host).unwrap_or(0)];
    let mut rng = SplitMix64::new(0xC0_4411);
    let mut statements = Vec::new();
    for (camp, text) in DEMO_STATEMENTS {
        // Seeds from the host; the rest from people in the matching camp.
        let author = if *camp == 9 { host_participant } else { participants[rng.below(participants.len() as u64) as usize] };
        let sid = store::insert_statement(&mut tx, id, author, text, "accepted", *camp == 9).await?;
        statements.push((sid, *camp));
    }
    store::insert_statement(&mut tx, id, participants[5], "Anyone who wants flats there is a greedy developer.", "rejected", false).await?;
    store::insert_statement(&mut tx, id, participants[7], "Could the building host a repair café once a month?", "pending", false).await?;
    let now = meetinghouse_store::now();
    let start = now - 14 * 86_400;
    let mut votes = Vec::new();
    for (i, &p) in participants.iter().enumerate() {
        // Camps: 45% heritage, 35% community hub, 20% housing.
        let r = rng.next_f64();
        let camp = if r < 0.45 { 0 } else if r < 0.80 { 1 } else { 2 };
        let joined = start + (rng.next_f64().powi(2) * 13.0 * 86_400.0) as i64 + (i as i64 % 7) * 60;
        let share = 0.55 + 0.45 * rng.next_f64();
        for (k, &(sid, scamp)) in statements.iter().enumerate() {
            if rng.next_f64() > share {
                continue;
            }
            let u = rng.next_f64();
            let (agree, disagree) = if scamp == 9 {
                (0.85, 0.05)
            } else if scamp == camp {
                (0.82, 0.08)
            } else {
                (0.15, 0.70)
            };
            let v = if u < agree { 1 } else if u < agree + disagree { -1 } else { 0 };
            votes.push((p, sid, v, (joined + k as i64 * 40).min(now)));
        }
    }
    store::insert_votes(&mut tx, db.backend(), id, &votes).await?;
    store::mark_dirty(&mut tx, id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    recompute(db, id).await?;
    Ok((participants.len(), votes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(id: i64) -> StatementRow {
        StatementRow { id, conversation_id: 1, author: 1, body: String::new(), status: "accepted".into(), is_seed: 0, is_meta: 0, created_at: 0, number: id }
    }

    #[test]
    fn weighted_pick_follows_the_weights() {
        let (a, b) = (st(1), st(2));
        let c = [(&a, 1.0), (&b, 3.0)];
        assert_eq!(pick_weighted(&c, 0.0).unwrap().id, 1);
        assert_eq!(pick_weighted(&c, 0.24).unwrap().id, 1);
        assert_eq!(pick_weighted(&c, 0.26).unwrap().id, 2);
        assert_eq!(pick_weighted(&c, 0.999).unwrap().id, 2);
        assert!(pick_weighted(&[], 0.5).is_none());
        // Degenerate weights still give a statement.
        assert_eq!(pick_weighted(&[(&a, f64::NAN)], 0.5).unwrap().id, 1);
    }

    /// A later analysis continues from the stored state: every statement and
    /// participant in it is known to the engine when it is restored.
    /// The worker feeds the engine without a list of events, in the order
    /// `add_votes` would: the analysis is the same.
    #[test]
    fn the_worker_feeds_the_votes_as_add_votes_would() {
        let statements: Vec<StatementRow> = (1..=6).map(st).collect();
        let votes: Vec<store::VoteRow> = (1..=30)
            .flat_map(|p| (1..=6).map(move |s| store::VoteRow { participant_id: 31 - p, statement_id: s, vote: (p * s) % 3 - 1, created_at: 0, updated_at: (p * 7 + s) % 11 }))
            .collect();
        let (mut fed, _) = warm_engine(&statements, &votes, None);
        let mut listed = Engine::new(Config { threads: 1, ..Config::default() });
        for s in &statements {
            listed.upsert_statement(&s.id.to_string(), statement_meta(s));
        }
        listed.add_votes(&vote_events(&votes));
        assert_eq!(format!("{:?}", fed.update()), format!("{:?}", listed.update()));
    }

    #[test]
    fn the_stored_state_fits_the_next_analysis() {
        let statements: Vec<StatementRow> = (1..=6).map(st).collect();
        let votes: Vec<store::VoteRow> = (1..=20)
            .flat_map(|p| (1..=6).map(move |s| store::VoteRow { participant_id: p, statement_id: s, vote: if (p + s) % 3 == 0 { -1 } else { 1 }, created_at: 0, updated_at: p }))
            .collect();
        let (mut first, misfit) = warm_engine(&statements, &votes, None);
        assert!(misfit.is_empty(), "{misfit:?}");
        first.update();
        let saved = serde_json::to_string(&first.state()).unwrap();
        let (mut next, misfit) = warm_engine(&statements, &votes, Some(&saved));
        assert!(misfit.is_empty(), "{misfit:?}");
        assert_eq!(next.update().tick, 2);
        let (_, misfit) = warm_engine(&statements, &votes, Some("{not json"));
        assert!(misfit[0].contains("could not be read"), "{misfit:?}");
    }

    #[test]
    fn statements_are_one_line() {
        assert_eq!(normalise("  Parks\n matter   most "), "Parks matter most");
        assert_eq!(normalise("Par\u{0}ks"), "Parks");
        assert_eq!(normalise("\u{FEFF}Par\u{200B}ks \u{202E}matter\u{202C}"), "Parks matter");
    }

    #[test]
    fn group_labels() {
        assert_eq!(group_label(0), "Group A");
        assert_eq!(group_label(2), "Group C");
    }

    /// Bridging lists only statements more than half of every group agrees
    /// with, best score first, even when that leaves fewer than asked for.
    #[test]
    fn bridging_needs_a_majority_in_every_group() {
        let row = |statement: i64, bridging: f64, by_group: Vec<[u32; 3]>| StatementVotes {
            statement,
            bridging,
            by_group: by_group.into_iter().map(Some).collect(),
            ..Default::default()
        };
        let group = |label: &str| GroupSummary { label: label.into(), size: 10, representative: Vec::new() };
        let summary = Summary {
            computed_at: 0,
            participants: 20,
            votes: 0,
            in_conv: 20,
            k: 2,
            points: Vec::new(),
            groups: vec![group("Group A"), group("Group B")],
            consensus_agree: Vec::new(),
            consensus_disagree: Vec::new(),
            statements: vec![
                row(1, 0.50, vec![[8, 1, 10], [7, 2, 10]]),
                // A high score with one group split evenly: not bridging.
                row(2, 0.60, vec![[9, 0, 10], [5, 5, 10]]),
                // One group has not voted on it: unknown, so not listed.
                row(3, 0.70, vec![[9, 0, 10], [0, 0, 0]]),
                row(4, 0.55, vec![[6, 0, 10], [9, 1, 10]]),
                // Divisive: 27% and 84%.
                row(5, 0.04, vec![[3, 7, 11], [16, 3, 19]]),
            ],
            priorities: Vec::new(),
            timeline: Vec::new(),
            notes: Vec::new(),
            technical: Vec::new(),
        };
        let ids: Vec<i64> = summary.bridging(5).iter().map(|s| s.statement).collect();
        assert_eq!(ids, vec![4, 1]);
        assert_eq!(summary.bridging(1).len(), 1);
    }

    /// A group of fewer than five keeps its name and size but loses every
    /// figure that would show how its few people voted: its shares, what
    /// sets it apart, and another group's "everyone else" share when they
    /// are all the others. Division and bridging are taken over the groups
    /// shown. Withholding twice changes nothing more.
    #[test]
    fn small_groups_figures_are_withheld() {
        let rep = |statement: i64, outside: Option<f64>| Representative { statement, direction: "agree".into(), inside: 1.0, outside, repness: 1.0 };
        let group = |label: &str, size: usize, statement: i64| GroupSummary { label: label.into(), size, representative: vec![rep(statement, Some(0.5))] };
        let row = |statement: i64, by_group: Vec<[u32; 3]>| StatementVotes {
            statement,
            bridging: 0.9,
            division: 0.9,
            by_group: by_group.into_iter().map(Some).collect(),
            ..Default::default()
        };
        let mut summary = Summary {
            computed_at: 0,
            participants: 13,
            votes: 0,
            in_conv: 13,
            k: 3,
            points: Vec::new(),
            groups: vec![group("Group A", 6, 1), group("Group B", 5, 2), group("Group C", 2, 3)],
            consensus_agree: Vec::new(),
            consensus_disagree: Vec::new(),
            statements: vec![row(1, vec![[6, 0, 6], [4, 1, 5], [0, 2, 2]]), row(2, vec![[0, 6, 6], [5, 0, 5], [2, 0, 2]])],
            priorities: Vec::new(),
            timeline: Vec::new(),
            notes: Vec::new(),
            technical: Vec::new(),
        };
        summary.withhold_small_groups();
        let once = serde_json::to_string(&summary).unwrap();
        assert!(summary.groups[0].shows_figures() && summary.groups[1].shows_figures() && !summary.groups[2].shows_figures());
        assert!(summary.groups[2].representative.is_empty(), "what sets a small group apart is its people's votes");
        // "Everyone else" is taken again over the groups shown: Group B's 4 of 5, without Group C's two.
        assert_eq!(summary.groups[0].representative[0].outside, Some(0.8), "five others shown: {:?}", summary.groups[0].representative);
        assert_eq!(summary.groups[1].representative[0].outside, Some(0.0), "{:?}", summary.groups[1].representative);
        assert_eq!(summary.statements[0].by_group, vec![Some([6, 0, 6]), Some([4, 1, 5]), None]);
        // 100% and 80% agree in the groups shown; Group C's 0% no longer counts.
        assert!((summary.statements[0].division - 0.2).abs() < 1e-9, "{}", summary.statements[0].division);
        assert!((summary.statements[0].bridging - (7.0 / 8.0) * (5.0 / 7.0)).abs() < 1e-9);
        summary.withhold_small_groups();
        assert_eq!(serde_json::to_string(&summary).unwrap(), once);
        // Summaries stored before the rule read as every group's figures kept.
        let old: StatementVotes =
            serde_json::from_str(r#"{"statement":1,"agree":1,"disagree":0,"pass":0,"by_group":[[1,0,1],[0,0,0]],"bridging":0.5,"division":0.0}"#).unwrap();
        assert_eq!(old.by_group, vec![Some([1, 0, 1]), Some([0, 0, 0])]);

        // Everyone else is two people: Group A's "everyone else" is withheld.
        summary.groups = vec![group("Group A", 8, 1), group("Group B", 2, 2)];
        summary.statements = vec![row(1, vec![[8, 0, 8], [2, 0, 2]])];
        summary.withhold_small_groups();
        assert_eq!(summary.statements[0].by_group, vec![Some([8, 0, 8]), None]);
        assert_eq!(summary.groups[0].representative[0].outside, None);
        assert!(summary.bridging(5).is_empty(), "one group shown: nothing bridges groups");
    }

    /// No figure of a statement as a whole is about fewer than five people,
    /// and none, taken with the groups' figures, gives away how fewer than
    /// five voted: everyone's counts less the groups shown would be theirs.
    #[test]
    fn a_statements_figures_never_give_away_fewer_than_five_votes() {
        use Overall::*;
        /// What is asked, everyone's counts, each group's shown counts, what is shown.
        type Case<'a> = (&'a str, [u32; 3], &'a [Option<[u32; 3]>], Overall);
        let cases: &[Case] = &[
            ("one person voted", [1, 0, 0], &[], TooFew),
            ("four people, no groups", [3, 1, 0], &[], TooFew),
            ("five people, no groups", [4, 1, 0], &[], Everyone([4, 1, 0])),
            // The review's conversation: nine agree in Group A; Group B's two are withheld.
            ("two outside the group shown", [10, 1, 0], &[Some([9, 0, 9]), None], GroupsShown([9, 0, 0])),
            ("everyone in the groups shown", [9, 6, 1], &[Some([9, 0, 9]), Some([0, 6, 7])], Everyone([9, 6, 1])),
            ("five outside the groups shown", [12, 2, 0], &[Some([9, 0, 9]), None], Everyone([12, 2, 0])),
            ("no group's figures shown", [4, 2, 0], &[None, None], Everyone([4, 2, 0])),
            ("one outside, four inside", [4, 1, 0], &[Some([4, 0, 4])], TooFew),
        ];
        for (what, counts, cells, want) in cases {
            assert_eq!(overall(*counts, cells), *want, "{what}");
        }
    }

    /// "What most people said" is what a clear majority of the people
    /// counted said, and never a statement the groups split on (a large
    /// group outvoting a small one).
    #[test]
    fn the_majority_leaves_out_what_divides_the_groups() {
        let row = |statement: i64, counts: [u32; 3], by_group: Vec<[u32; 3]>| StatementVotes {
            statement,
            agree: counts[0],
            disagree: counts[1],
            pass: counts[2],
            division: division(&by_group.iter().copied().map(Some).collect::<Vec<_>>()),
            by_group: by_group.into_iter().map(Some).collect(),
            bridging: 0.0,
        };
        let group = |label: &str, size: usize| GroupSummary { label: label.into(), size, representative: Vec::new() };
        let mut summary = Summary {
            computed_at: 0,
            participants: 30,
            votes: 0,
            in_conv: 30,
            k: 2,
            points: Vec::new(),
            groups: vec![group("Group A", 22), group("Group B", 8)],
            consensus_agree: Vec::new(),
            consensus_disagree: Vec::new(),
            statements: vec![
                // 86% of Group A agree, all of Group B disagree: a majority, and divided.
                row(1, [19, 11, 0], vec![[19, 3, 22], [0, 8, 8]]),
                // Most of each group disagree: bridging in neither way, a majority against.
                row(2, [2, 28, 0], vec![[2, 20, 22], [0, 8, 8]]),
                // Every group agrees: bridging, and a majority too.
                row(3, [28, 2, 0], vec![[21, 1, 22], [7, 1, 8]]),
                // Split down the middle: no majority.
                row(4, [15, 15, 0], vec![[11, 11, 22], [4, 4, 8]]),
            ],
            priorities: Vec::new(),
            timeline: Vec::new(),
            notes: Vec::new(),
            technical: Vec::new(),
        };
        summary.withhold_small_groups();
        let ids = |v: Vec<&StatementVotes>| v.iter().map(|s| s.statement).collect::<Vec<_>>();
        assert_eq!(ids(summary.divisive(5)), vec![1]);
        assert_eq!(ids(summary.bridging(5)), vec![3]);
        let (agree, disagree) = summary.majority(5);
        assert_eq!((ids(agree), ids(disagree)), (vec![3], vec![2]));
        // Counted alone, statement 1 has a majority: only the split keeps it out.
        assert!(matches!(majority_of(&summary.statements[0].overall()), Some(("agree", _))));
    }

    /// The small map's note no longer gives a number (with a group named
    /// without its size, "Only 11 people are on the map" less the other
    /// groups' sizes was that group's size), and says so for nobody.
    #[test]
    fn the_small_maps_note_gives_no_number() {
        let mut summary = Summary {
            computed_at: 0,
            participants: 1,
            votes: 1,
            in_conv: 0,
            k: 0,
            points: Vec::new(),
            groups: Vec::new(),
            consensus_agree: Vec::new(),
            consensus_disagree: Vec::new(),
            statements: Vec::new(),
            priorities: Vec::new(),
            timeline: Vec::new(),
            notes: vec!["Only 0 people are on the map so far: the groups become meaningful as more people take part.".into()],
            technical: Vec::new(),
        };
        summary.withhold_small_groups();
        assert_eq!(summary.notes, vec![NOBODY_ON_THE_MAP.to_string()]);
        summary.in_conv = 11;
        summary.withhold_small_groups();
        assert_eq!(summary.notes, vec!["Fewer than 15 people are on the map so far: the groups become meaningful as more people take part.".to_string()]);
        summary.in_conv = 15;
        summary.withhold_small_groups();
        assert!(summary.notes.is_empty(), "{:?}", summary.notes);
    }
}
