//! Prompts: a host opens a question for stories, for a period; its hosts
//! ([`hosted_by`]) moderate it, edit it and close it.

use chrono::NaiveDate;
use meetinghouse_store::groups::{self as store_groups, MemberKind};
use meetinghouse_store::objects::Audience;
use meetinghouse_store::orgs as store_orgs;
use meetinghouse_store::prompts::{self as store, NewPrompt, PromptEdit, PromptRow};
use meetinghouse_store::stories::StoryRow;
use meetinghouse_store::{Db, StoreError};

use crate::accounts::ensure_can_post;
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

/// The earliest year a prompt's date may be in.
pub const FIRST_YEAR: i32 = 2000;
/// How many years ahead a prompt's date may be.
pub const YEARS_AHEAD: i32 = 10;

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
    let last = crate::clock::zone().day_of(meetinghouse_store::now()).map_or(FIRST_YEAR, |d| d.year()) + YEARS_AHEAD;
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

/// Opens a prompt. Hosts are organisation staff (speaking at their
/// organisation) or hosts of the group the prompt is scoped to.
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, form: &PromptForm) -> Result<i64> {
    ensure_can_post(actor, settings)?;
    let mut e = FieldErrors::new();
    let question = text(&mut e, "question", "The question", &form.question, 300, true);
    let description = text(&mut e, "description", "The description", &form.description, limits::DESCRIPTION_MAX, false);
    // A prompt opens at the first moment of its opening day and closes at
    // the midnight after its last day, both on the meeting house's clock (a
    // day when the clocks change is 23 or 25 hours long).
    let zone = crate::clock::zone();
    let opens = day(&mut e, "opens", &form.opens).and_then(|d| zone.start_of(d)).unwrap_or_else(meetinghouse_store::now);
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
    // An archived group takes no new prompt (`for_placing` said so on the
    // form; checked again where it is written).
    if let Some(g) = &group {
        groups::ensure_open_for_changes(&mut tx, db.backend(), g.id).await?;
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
    if group.is_none() {
        crate::search::index(&mut tx, db, "prompt", id, &question, &description, meetinghouse_store::now()).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
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

/// A host edits a prompt's question, description and closing date. A
/// closing date already past is refused (closing now is [`close`]); a later
/// one, or none, reopens a closed prompt. A question changed after stories
/// answered it marks the prompt "edited" (store `prompts::update`). A
/// prompt of an archived group is kept as it is (it may still be closed).
pub async fn edit(db: &Db, settings: &Settings, actor: &Actor, id: i64, form: &PromptEditForm) -> Result<()> {
    ensure_can_post(actor, settings)?;
    let p = for_managing(db, actor, id).await?;
    if let Some(g) = p.group_id {
        groups::ensure_not_archived(db, g).await?;
    }
    let mut e = FieldErrors::new();
    let question = text(&mut e, "question", "The question", &form.question, 300, true);
    let description = text(&mut e, "description", "The description", &form.description, limits::DESCRIPTION_MAX, false);
    let now = meetinghouse_store::now();
    let closes_at = if form.closes.trim() == form.closes_shown.trim() {
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
    if let Some(g) = p.group_id {
        groups::ensure_open_for_changes(&mut tx, db.backend(), g).await?;
    }
    if !store::update(&mut tx, id, &PromptEdit { question: &question, description: &description, closes_at }, now).await? {
        return Err(CoreError::NotFound);
    }
    // Only a prompt for everyone is in the search index (as when opened).
    if p.group_id.is_none() {
        crate::search::index(&mut tx, db, "prompt", id, &question, &description, p.created_at).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
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

/// Whether a prompt takes answers at `at`, and if not, why.
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

/// Whether a person hosts a prompt now. Its named host hosts it only while
/// they still hold the role that let them open it: active staff or admin of
/// the organisation it was opened at, or an active host of its group. The
/// organisation's active admins and the group's active hosts host it too, so
/// a prompt is never left without hosts (an organisation always keeps an
/// admin, a group a host). Instance admins are not hosts by being admins.
/// The one rule for the moderation queue (`moderation`'s `Hosting`, and its
/// SQL twin in store `moderation::open_reports`), for who hosts it as a
/// subject (`subjects`, from store `prompts::hosts`) and for who may edit
/// and close it ([`may_manage`]).
pub async fn hosted_by(db: &Db, p: &PromptRow, person: i64) -> Result<bool> {
    if let Some(org) = p.host_org
        && let Some((role, status)) = store_orgs::membership(db, org, person).await?
        && status == "active"
        && (role == "admin" || (person == p.host_person && crate::orgs::acts_for_org(&role)))
    {
        return Ok(true);
    }
    Ok(match p.group_id {
        Some(g) => hosts_group(db, g, person).await?,
        None => false,
    })
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
    /// group.
    pub host_link: String,
    /// Whether the byline names a person (else an organisation or a group).
    pub host_is_person: bool,
    /// The group it is for, when it is one group's: (address, name).
    pub for_group: Option<(String, String)>,
    /// When the question was last changed after stories answered it.
    pub question_edited: Option<String>,
    /// Whether the viewer may edit and close it ([`may_manage`]).
    pub viewer_manages: bool,
    pub open: std::result::Result<(), String>,
}

/// How a prompt's host is named: (words, link, names a person). The
/// organisation or group it is from is always named; the person who opened
/// it only while they still speak for it (an organisation's announcement
/// names the organisation alone).
pub async fn byline(db: &Db, p: &PromptRow) -> Result<(String, String, bool)> {
    let person = (p.host_name.clone(), format!("/@{}", p.host_handle), true);
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
        open: accepting(&prompt, meetinghouse_store::now()),
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

/// The prompts a viewer may see, newest first, a page at a time (the same
/// rule as a prompt's page: [`page`]).
pub async fn list(db: &Db, viewer: Option<&Actor>, limit: i64, offset: i64) -> Result<Vec<PromptRow>> {
    Ok(store::list_for(db, &audience(db, viewer).await?, limit, offset).await?)
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
