//! Prompts: a host opens a question for stories, for a period.

use chrono::NaiveDate;
use meetinghouse_store::objects::Audience;
use meetinghouse_store::prompts::{self as store, NewPrompt, PromptRow};
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

/// A prompt page's content.
#[derive(Debug, Clone)]
pub struct PromptPage {
    pub prompt: PromptRow,
    pub description_html: String,
    pub host_label: String,
    pub open: std::result::Result<(), String>,
}

pub async fn page(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<PromptPage> {
    let prompt = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if let Some(gid) = prompt.group_id {
        groups::ensure_visible(db, gid, viewer).await?;
    }
    let host_label = match (prompt.voice.as_str(), &prompt.org_name) {
        ("announcement", Some(org)) => format!("{org} (announcement)"),
        (_, Some(org)) => format!("{} · {org}", prompt.host_name),
        _ => prompt.host_name.clone(),
    };
    Ok(PromptPage {
        description_html: markdown::render(&prompt.description),
        open: accepting(&prompt, meetinghouse_store::now()),
        host_label,
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
