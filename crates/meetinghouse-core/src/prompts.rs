//! Prompts: a host opens a question for stories, for a period.

use chrono::NaiveDate;
use meetinghouse_store::prompts::{self as store, NewPrompt, PromptRow};
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

/// Parses a `YYYY-MM-DD` date as midnight UTC.
fn day(errors: &mut FieldErrors, field: &'static str, raw: &str) -> Option<i64> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()),
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
    let opens = day(&mut e, "opens", &form.opens).unwrap_or_else(meetinghouse_store::now);
    let closes = day(&mut e, "closes", &form.closes).map(|t| t + 24 * 3600);
    if let Some(c) = closes
        && c <= opens
    {
        e.add("closes", "The closing date must be after the opening date.");
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

pub async fn open_now(db: &Db, limit: i64) -> Result<Vec<PromptRow>> {
    Ok(store::open_at(db, meetinghouse_store::now(), limit).await?)
}
