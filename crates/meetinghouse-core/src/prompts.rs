//! Prompts: a host opens a question for stories, for a period; its hosts
//! ([`hosted_by`]) moderate it, edit it and close it.

use chrono::NaiveDate;
use meetinghouse_store::groups::{self as store_groups, MemberKind};
use meetinghouse_store::objects::Audience;
use meetinghouse_store::prompts::{self as store, NewPrompt, PromptEdit, PromptRow};
use meetinghouse_store::stories::StoryRow;
use meetinghouse_store::{Db, StoreError, Tx};

use crate::accounts::ensure_can_post;
use crate::attempts::{self, Budget};
use crate::error::{CoreError, FieldErrors, Result};
use crate::persona::{self, Voice};
use crate::settings::Settings;
use crate::types::{limits, text};
use crate::{Actor, groups, markdown};

pub use meetinghouse_store::prompts::PromptRow as Prompt;

#[derive(Debug, Clone, Default)]
pub struct PromptForm {
    pub speak_as: String,
    pub question: String,
    pub description: String,
    /// `YYYY-MM-DD`; empty means today.
    pub opens: String,
    /// `YYYY-MM-DD`; empty means open-ended.
    pub closes: String,
    /// A group's slug, or empty for everyone.
    pub group: String,
}

/// The longest question, in characters (the form's `maxlength` too).
pub const QUESTION_MAX: usize = 300;

/// The earliest year a prompt's date may be in.
pub const FIRST_YEAR: i32 = 2000;
/// How many years ahead a prompt's closing date may be.
pub const YEARS_AHEAD: i32 = 10;
/// How many months ahead a prompt's opening date may be: a year. (A prompt
/// that opens later is not yet a question anyone can answer; the list shows
/// the prompts open now first, and those to come by their opening date.)
pub const OPENS_MONTHS_AHEAD: u32 = 12;

/// How many prompts an account opens in a day (a sliding window), counted
/// in the database (core's [`attempts`]), so every app server shares one
/// budget and nobody floods the list of prompts. Instance admins are not
/// counted, as with [`crate::groups::GROUPS_PER_HOUR`]. Only a prompt that
/// would be opened counts ([`create_counted`]).
pub const PROMPTS_PER_DAY: Budget = Budget { name: "prompt_create", limit: 10, period_secs: 86_400 };
/// What someone past [`PROMPTS_PER_DAY`] is told.
pub const PROMPTS_PER_DAY_MESSAGE: &str =
    "You have opened many prompts in the last day. Please wait a while and try again — what you wrote is kept below.";

/// Parses a `YYYY-MM-DD` date as a calendar day in the meeting house's time
/// zone. A year before [`FIRST_YEAR`] or more than [`YEARS_AHEAD`] years from
/// now (0000, -0044, +200000 parse as dates) is a typing slip, refused with
/// the years that are accepted.
fn day(errors: &mut FieldErrors, field: &'static str, raw: &str) -> Option<NaiveDate> {
    use chrono::Datelike;
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    let last = today().map_or(FIRST_YEAR, |d| d.year()) + YEARS_AHEAD;
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if (FIRST_YEAR..=last).contains(&d.year()) => Some(d),
        Ok(_) => {
            errors.add(field, format!("Enter a date in the years {FIRST_YEAR} to {last}, like 2026-03-31."));
            None
        }
        Err(_) => {
            errors.add(field, "Enter a date like 2026-03-31.");
            None
        }
    }
}

/// Today on the meeting house's clock.
fn today() -> Option<NaiveDate> {
    crate::clock::zone().day_of(meetinghouse_store::now())
}

/// The last day a new prompt may open on: [`OPENS_MONTHS_AHEAD`] from today.
pub fn last_opening_day() -> Option<NaiveDate> {
    today().and_then(|d| d.checked_add_months(chrono::Months::new(OPENS_MONTHS_AHEAD)))
}

/// Opens a prompt. Hosts are organisation staff (speaking at their
/// organisation) or hosts of the group the prompt is scoped to. Not counted
/// against [`PROMPTS_PER_DAY`]: people opening prompts from the site go
/// through [`create_counted`].
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, form: &PromptForm) -> Result<i64> {
    Ok(creating(db, settings, actor, form, false).await?.expect("an uncounted prompt is never over a budget"))
}

/// [`create`] within the person's [`PROMPTS_PER_DAY`] budget (instance
/// admins are not counted): the attempt is counted in the creating
/// transaction after every check passed, so a form sent back with a mistake
/// uses up none of it. `Ok(None)` when the budget is spent (tell them
/// [`PROMPTS_PER_DAY_MESSAGE`]): the attempt is counted and nothing else is
/// written.
pub async fn create_counted(db: &Db, settings: &Settings, actor: &Actor, form: &PromptForm) -> Result<Option<i64>> {
    creating(db, settings, actor, form, !actor.is_admin).await
}

async fn creating(db: &Db, settings: &Settings, actor: &Actor, form: &PromptForm, counted: bool) -> Result<Option<i64>> {
    ensure_can_post(actor, settings)?;
    let mut e = FieldErrors::new();
    let question = text(&mut e, "question", "The question", &form.question, QUESTION_MAX, true);
    let description = text(&mut e, "description", "The description", &form.description, limits::DESCRIPTION_MAX, false);
    // A prompt opens at the first moment of its opening day and closes at
    // the midnight after its last day, both on the meeting house's clock (a
    // day when the clocks change is 23 or 25 hours long). It opens within a
    // year ([`OPENS_MONTHS_AHEAD`]).
    let zone = crate::clock::zone();
    let opening_day = day(&mut e, "opens", &form.opens);
    if let (Some(d), Some(last)) = (opening_day, last_opening_day())
        && d > last
    {
        e.add("opens", format!("A prompt opens within a year: choose a day up to {}.", last.format("%Y-%m-%d")));
    }
    let opens = opening_day.and_then(|d| zone.start_of(d)).unwrap_or_else(meetinghouse_store::now);
    let closes = day(&mut e, "closes", &form.closes).and_then(|d| zone.start_of(d.succ_opt()?));
    match closes {
        Some(c) if c <= meetinghouse_store::now() => {
            e.add("closes", "That closing date has already passed: choose today or a later day, or leave it empty to keep the prompt open.")
        }
        Some(c) if c <= opens => e.add("closes", "The closing date must be after the opening date."),
        _ => {}
    }
    let group = if form.group.trim().is_empty() {
        None
    } else {
        match groups::for_placing(db, actor, form.group.trim()).await? {
            Ok(g) => Some(g),
            Err(message) => {
                e.add("group", message);
                None
            }
        }
    };
    e.into_result()?;
    let persona = persona::resolve(db, actor, &form.speak_as).await?;
    let hosts_group = match &group {
        Some(g) => groups::is_host(db, actor, g.id).await?,
        None => false,
    };
    let org_id = match &persona.voice {
        Voice::Person => None,
        Voice::Affiliated { org_id, .. } | Voice::Announcement { org_id, .. } => Some(*org_id),
    };
    if org_id.is_none() && !hosts_group && !actor.is_admin {
        return Err(CoreError::Forbidden(
            "Prompts are opened by organisation staff (choose to speak at your organisation) or by a group's hosts for their group.".into(),
        ));
    }
    let voice = voice_name(&persona.voice);
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    // An archived group takes no new prompt (`for_placing` said so on the
    // form; checked again where it is written).
    if let Some(g) = &group {
        groups::ensure_open_for_changes(&mut tx, db.backend(), g.id).await?;
    }
    // Counted in the transaction that writes the prompt: over the budget,
    // only the count is kept.
    if counted && !attempts::attempt_in(&mut tx, &settings.secret_key, &PROMPTS_PER_DAY, &actor.id.to_string(), meetinghouse_store::now()).await? {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(None);
    }
    let id = store::insert(&mut tx, &NewPrompt {
        host_person: actor.id,
        host_org: org_id,
        voice,
        question: &question,
        description: &description,
        opens_at: opens,
        closes_at: closes,
        group_id: group.as_ref().map(|g| g.id),
    })
    .await?;
    // A prompt whose page is public is in the search index: one for
    // everyone, or for a public group.
    if public_in(&mut tx, group.as_ref().map(|g| g.id)).await? {
        crate::search::index(&mut tx, db, "prompt", id, &question, &description, meetinghouse_store::now()).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(id))
}

/// Whether a prompt's page is public (shown to anyone, in the sitemap, its
/// answers' feed and its poster, and in the search index): it is for
/// everyone, or for a group that is not members-only. Store
/// `search::query` holds the same rule in SQL, so search shows a prompt
/// only while it is public whatever the index holds.
pub fn is_public(p: &PromptRow) -> bool {
    p.group_id.is_none() || p.group_visibility.as_deref().is_some_and(|v| v != "members")
}

/// [`is_public`] for a prompt of `group`, read in the transaction that
/// writes it, after its group's row is held (`groups::ensure_open_for_changes`),
/// so a change of the group's visibility cannot come between.
async fn public_in(tx: &mut Tx, group: Option<i64>) -> Result<bool> {
    Ok(match group {
        None => true,
        Some(g) => store_groups::by_id_in(tx, g).await?.is_some_and(|g| g.visibility != "members"),
    })
}

/// Puts a group's prompts in the search index, or takes them out, as the
/// group is public or not: called in the transaction that changes the
/// group's visibility (core `groups::edit`), so the index holds only what
/// the public may see.
pub async fn index_group_prompts(tx: &mut Tx, db: &Db, group: i64, public: bool) -> Result<()> {
    for (id, question, description, created_at) in store::of_group_in(tx, group).await? {
        if public {
            crate::search::index(tx, db, "prompt", id, &question, &description, created_at).await?;
        } else {
            crate::search::unindex(tx, db, "prompt", id).await?;
        }
    }
    Ok(())
}

pub fn voice_name(v: &Voice) -> &'static str {
    match v {
        Voice::Person => "person",
        Voice::Affiliated { .. } => "affiliated",
        Voice::Announcement { .. } => "announcement",
    }
}

/// A host's changes to a prompt: its question, description and closing
/// date (its opening date stays as it was).
#[derive(Debug, Clone, Default)]
pub struct PromptEditForm {
    pub question: String,
    pub description: String,
    /// `YYYY-MM-DD`, the last day it takes stories; empty means open-ended.
    pub closes: String,
    /// The closing date as the form showed it ([`closes_field`]): a closing
    /// date left as it was keeps the moment stored (a prompt closed early
    /// keeps its closing time, and a change made meanwhile by another host
    /// is not undone).
    pub closes_shown: String,
}

/// The closing date as a form shows it: the last day the prompt takes
/// stories, on the meeting house's clock; empty when it is open-ended.
pub fn closes_field(p: &PromptRow) -> String {
    p.closes_at.and_then(|c| crate::clock::zone().day_of(c - 1)).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// A prompt the actor may manage: "not found" when they may not see it,
/// refused when they do not host it.
pub async fn for_managing(db: &Db, actor: &Actor, id: i64) -> Result<PromptRow> {
    let p = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if let Some(gid) = p.group_id {
        groups::ensure_visible(db, gid, Some(actor)).await?;
    }
    if !may_manage(db, &p, actor).await? {
        return Err(CoreError::Forbidden(NOT_HOST.into()));
    }
    Ok(p)
}

/// Why someone who does not host a prompt may not change it.
pub const NOT_HOST: &str = "Only the prompt's hosts can edit or close it: the staff of the organisation that asks it, or the hosts of its group.";

/// What saving a host's changes did to whether a prompt takes stories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// It takes stories as it did (or does not open yet).
    AsItWas,
    /// It was closed and takes stories again.
    Reopened,
    /// It is closed, as it was.
    StillClosed,
}

/// A host edits a prompt's question, description and closing date. A
/// closing date already past is refused (closing now is [`close`]); a later
/// one, or none, reopens a closed prompt. So does today's date on a prompt
/// closed early today (the day the form shows it closed on): it then takes
/// stories until the end of today, since there is no other way to choose
/// that. A question changed after stories answered it marks the prompt
/// "edited" (store `prompts::update`). A prompt of an archived group is
/// kept as it is (it may still be closed).
pub async fn edit(db: &Db, settings: &Settings, actor: &Actor, id: i64, form: &PromptEditForm) -> Result<Saved> {
    ensure_can_post(actor, settings)?;
    let p = for_managing(db, actor, id).await?;
    if let Some(g) = p.group_id {
        groups::ensure_not_archived(db, g).await?;
    }
    let mut e = FieldErrors::new();
    let question = text(&mut e, "question", "The question", &form.question, QUESTION_MAX, true);
    let description = text(&mut e, "description", "The description", &form.description, limits::DESCRIPTION_MAX, false);
    let now = meetinghouse_store::now();
    let was_open = p.closes_at.is_none_or(|c| c > now);
    let closes = form.closes.trim();
    let closed_early_today = !was_open && NaiveDate::parse_from_str(closes, "%Y-%m-%d").ok().is_some_and(|d| Some(d) == today());
    let closes_at = if closes == form.closes_shown.trim() && !closed_early_today {
        None
    } else {
        // The midnight after the last day, on the meeting house's clock, as
        // when it was opened.
        let closes = day(&mut e, "closes", &form.closes).and_then(|d| crate::clock::zone().start_of(d.succ_opt()?));
        match closes {
            Some(c) if c <= now => e.add(
                "closes",
                "That closing date has already passed: choose today or a later day, leave it empty to keep the prompt open, or use “Close it now”.",
            ),
            Some(c) if c <= p.opens_at => {
                e.add("closes", format!("The prompt opens on {}: choose that day or a later one to close it.", crate::format_date(p.opens_at)))
            }
            _ => {}
        }
        Some(closes)
    };
    e.into_result()?;
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    if let Some(g) = p.group_id {
        groups::ensure_open_for_changes(&mut tx, db.backend(), g).await?;
    }
    if !store::update(&mut tx, id, &PromptEdit { question: &question, description: &description, closes_at }, now).await? {
        return Err(CoreError::NotFound);
    }
    // A prompt whose page is public is in the search index (as when opened).
    if public_in(&mut tx, p.group_id).await? {
        crate::search::index(&mut tx, db, "prompt", id, &question, &description, p.created_at).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    let open = closes_at.unwrap_or(p.closes_at).is_none_or(|c| c > now);
    Ok(match (was_open, open) {
        (false, true) => Saved::Reopened,
        (false, false) => Saved::StillClosed,
        _ => Saved::AsItWas,
    })
}

/// A host closes a prompt now: its closing moment becomes now, so it takes
/// no new stories from now on (the rules of a closed prompt apply: see
/// [`accepting`]). Returns false when it was closed already (nothing
/// changed).
pub async fn close(db: &Db, settings: &Settings, actor: &Actor, id: i64) -> Result<bool> {
    ensure_can_post(actor, settings)?;
    for_managing(db, actor, id).await?;
    Ok(store::close(db, id, meetinghouse_store::now()).await?)
}

/// Whether a prompt takes answers at `at` by its dates, and if not, why.
/// (Its group being archived is [`taking_stories`]'s concern.)
pub fn accepting(p: &PromptRow, at: i64) -> std::result::Result<(), String> {
    if at < p.opens_at {
        return Err(format!("This prompt opens on {}: it does not take stories yet.", crate::format_date(p.opens_at)));
    }
    if let Some(c) = p.closes_at
        && at >= c
    {
        return Err(format!("This prompt closed on {}: it no longer takes new stories.", crate::format_date(c - 1)));
    }
    Ok(())
}

/// Whether a prompt takes new stories at `at`, and if not, why: by its
/// dates ([`accepting`]), and while its group is not archived (an archived
/// group takes nothing new).
pub fn taking_stories(p: &PromptRow, at: i64) -> std::result::Result<(), String> {
    if let (Some(archived), Some(name)) = (p.group_archived_at, &p.group_name) {
        return Err(groups::archived_words(name, archived));
    }
    accepting(p, at)
}

/// Whether a person hosts a prompt now: an active host of its group; an
/// active admin of the organisation it was opened at; or the person who
/// opened it while they are still active staff or an admin there — but
/// nobody outside a members-only group (an organisation's admin included),
/// and the opener of a group's prompt only while they belong to the group.
/// A prompt with no organisation and no group (an instance admin's, in
/// their own name) is hosted by its opener while they are an active
/// instance admin, and after that (demoted, suspended, their account
/// closed) by the active instance admins. A group's hosts belong to it, an
/// organisation always keeps an admin and the meeting house an instance
/// admin, so a prompt is never left without hosts. Otherwise instance
/// admins are not hosts by being admins. The one rule is SQL, store `prompts::hosted_prompts!`:
/// the moderation queue reads it (`moderation`'s `Hosting` through this
/// function, store `moderation::open_reports` in SQL), and so do who hosts
/// it as a subject (`subjects`, from store `prompts::hosts`) and who may
/// edit and close it ([`may_manage`]).
pub async fn hosted_by(db: &Db, p: &PromptRow, person: i64) -> Result<bool> {
    Ok(store::hosted_by(db, p.id, person).await?)
}

/// Whether a person is an active, direct host of a group.
async fn hosts_group(db: &Db, group: i64, person: i64) -> Result<bool> {
    Ok(matches!(
        store_groups::direct_membership(db, group, MemberKind::Person, person).await?,
        Some((role, status)) if role == "host" && status == "active"
    ))
}

/// Whether the person who opened a prompt still speaks for what it names:
/// the organisation it was opened at (as its active staff or admin), else
/// the group it is for (as its active host). A prompt opened in a person's
/// own name for everyone names only them, so they always do.
async fn opener_speaks_for_it(db: &Db, p: &PromptRow) -> Result<bool> {
    match (p.host_org, p.group_id) {
        (Some(org), _) => crate::orgs::is_staff(db, org, p.host_person).await,
        (None, Some(g)) => hosts_group(db, g, p.host_person).await,
        (None, None) => Ok(true),
    }
}

/// Whether someone may edit a prompt and close it: its hosts
/// ([`hosted_by`]) and instance admins.
pub async fn may_manage(db: &Db, p: &PromptRow, actor: &Actor) -> Result<bool> {
    Ok(actor.is_admin || hosted_by(db, p, actor.id).await?)
}

/// A prompt page's content.
#[derive(Debug, Clone)]
pub struct PromptPage {
    pub prompt: PromptRow,
    pub description_html: String,
    /// Who asks, in words: the organisation or group it is from, with the
    /// person who opened it only while they still speak for it ("Priya
    /// Natarajan · Tiverton Museum", later "Tiverton Museum").
    pub host_label: String,
    /// Where the byline links: the person named, else the organisation or
    /// group; empty for a closed account, which has no page (core `closing`).
    pub host_link: String,
    /// Whether the byline names a person (else an organisation or a group).
    pub host_is_person: bool,
    /// The group it is for, when it is one group's: (address, name).
    pub for_group: Option<(String, String)>,
    /// When the question was last changed after stories answered it.
    pub question_edited: Option<String>,
    /// Whether the viewer may edit and close it ([`may_manage`]).
    pub viewer_manages: bool,
    /// Whether it takes new stories now, and if not, why ([`taking_stories`]).
    pub open: std::result::Result<(), String>,
    /// Whether its page is public ([`is_public`]): only then does it have a
    /// feed of answers and a poster.
    pub public: bool,
    /// Whether its group is archived: then nothing about it can be edited
    /// (its hosts may still close it).
    pub archived: bool,
}

/// How a prompt's host is named: (words, link, names a person). The
/// organisation or group it is from is always named; the person who opened
/// it only while they still speak for it (an organisation's announcement
/// names the organisation alone). A closed account's handle reads as empty:
/// it is named (as a former member) without a link.
pub async fn byline(db: &Db, p: &PromptRow) -> Result<(String, String, bool)> {
    let link = if p.host_handle.is_empty() { String::new() } else { format!("/@{}", p.host_handle) };
    let person = (p.host_name.clone(), link, true);
    let speaks = opener_speaks_for_it(db, p).await?;
    Ok(match (p.voice.as_str(), &p.org_name, &p.org_slug, &p.group_name, &p.group_slug) {
        ("announcement", Some(org), Some(slug), _, _) => (format!("{org} (announcement)"), format!("/orgs/{slug}"), false),
        (_, Some(org), Some(slug), _, _) if !speaks => (org.clone(), format!("/orgs/{slug}"), false),
        (_, Some(org), _, _, _) => (format!("{} · {org}", p.host_name), person.1, true),
        (_, None, _, Some(group), Some(slug)) if !speaks => (group.clone(), format!("/groups/{slug}"), false),
        (_, None, _, Some(group), _) => (format!("{} · {group}", p.host_name), person.1, true),
        _ => person,
    })
}

pub async fn page(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<PromptPage> {
    let prompt = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if let Some(gid) = prompt.group_id {
        groups::ensure_visible(db, gid, viewer).await?;
    }
    let (host_label, host_link, host_is_person) = byline(db, &prompt).await?;
    let viewer_manages = match viewer {
        Some(a) => may_manage(db, &prompt, a).await?,
        None => false,
    };
    Ok(PromptPage {
        description_html: markdown::render(&prompt.description),
        open: taking_stories(&prompt, meetinghouse_store::now()),
        public: is_public(&prompt),
        archived: prompt.group_archived_at.is_some(),
        host_label,
        host_link,
        host_is_person,
        for_group: prompt.group_slug.clone().zip(prompt.group_name.clone()),
        question_edited: prompt.question_edited_at.map(crate::format_date),
        viewer_manages,
        prompt,
    })
}

/// Prompts open to everyone now (not scoped to a group), newest first: the
/// limit counts only those, so group prompts never crowd them out.
pub async fn open_now(db: &Db, limit: i64) -> Result<Vec<PromptRow>> {
    Ok(store::open_at(db, meetinghouse_store::now(), limit).await?)
}

/// Who is asking, for lists filtered in the database: the groups whose
/// members-only content they may see (every group for an instance admin).
pub async fn audience(db: &Db, viewer: Option<&Actor>) -> Result<Audience> {
    Ok(match viewer {
        None => Audience::default(),
        Some(a) if a.is_admin => Audience { person: a.id, all_groups: true, groups: Vec::new() },
        Some(a) => Audience { person: a.id, all_groups: false, groups: meetinghouse_store::groups::reachable_for_person(db, a.id).await? },
    })
}

/// The prompts a viewer may see (the same rule as a prompt's page:
/// [`page`]), a page at a time: those open now first, the latest opened
/// first; then those to come, the soonest first; then the closed ones, the
/// latest closed first (store `prompts::list_for`).
pub async fn list(db: &Db, viewer: Option<&Actor>, limit: i64, offset: i64) -> Result<Vec<PromptRow>> {
    Ok(store::list_for(db, &audience(db, viewer).await?, meetinghouse_store::now(), limit, offset).await?)
}

/// The live stories answering a prompt that the viewer may see, newest
/// first: public ones, and those shared with a group they belong to (the
/// rule of [`crate::stories::can_see`]).
pub async fn stories(db: &Db, id: i64, viewer: Option<&Actor>, limit: i64, offset: i64) -> Result<Vec<StoryRow>> {
    let audience = audience(db, viewer).await?;
    let mut out = Vec::new();
    for sid in store::story_ids(db, id, &audience, limit, offset).await? {
        if let Some(s) = meetinghouse_store::stories::by_id(db, sid).await? {
            out.push(s);
        }
    }
    Ok(out)
}
