//! Stories: what people share. Written as a persona, under a licence, with
//! consent for the people in the photos, visible to everyone, to a group's
//! members, or only to the author (draft). Edits keep the history readers
//! were shown (a version's text can be removed by its author or the
//! moderators); replies written for a group keep the story with that group;
//! deletion is restorable by the author for 30 days.

use std::collections::HashMap;

use meetinghouse_store::stories::{self as store, Byline, RevisionRow, StoryFields, StoryRow};
use meetinghouse_store::moderation::{self as store_moderation, NewAction};
use meetinghouse_store::{Db, StoreError, groups as store_groups, orgs as store_orgs, prompts as store_prompts};

use crate::accounts::ensure_can_post;
use crate::attempts::{self, Budget};
use crate::error::{CoreError, FieldErrors, Result};
use crate::notifications::{self, Kind, Mailer};
use crate::persona::{self, Voice};
use crate::prompts::{accepting, voice_name};
use crate::settings::Settings;
use crate::types::{has_visible, limits, line, text};
use crate::{Actor, groups, markdown};

/// How long a deleted story can be restored.
pub const RESTORE_WINDOW_SECS: i64 = 30 * 24 * 3600;
pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;

/// New stories one person may write in an hour (instance admins are not
/// counted; see [`create_counted`]). Only stories written count: a form
/// sent back with a mistake, or refused, costs nothing.
pub const STORIES_PER_HOUR: i64 = 20;
/// What someone at [`STORIES_PER_HOUR`] is told.
pub const STORIES_PER_HOUR_MESSAGE: &str = "You have shared 20 stories in the last hour: thank you! The meeting house takes at most 20 new stories an hour from one person, so please send this one a little later. What you wrote is kept below.";

/// Saved edits of stories one person may make in an hour, counted across
/// app servers (instance admins are not counted; see [`edit_counted`]).
/// Only an edit that passed every check counts. An edit of a shown story
/// keeps the text it replaces in the history, so this also bounds how fast
/// a history can grow; no revision is ever dropped (its text may be
/// removed: [`remove_revision`]).
pub const EDITS_PER_HOUR: Budget = Budget { name: "story_edit", limit: 30, period_secs: 3600 };
/// What someone past [`EDITS_PER_HOUR`] is told.
pub const EDITS_PER_HOUR_MESSAGE: &str =
    "You have saved changes to stories 30 times in the last hour. Please wait a little before saving again: what you wrote is kept below.";

/// Why an edit that would show a story more widely was refused after a
/// reply was written for its group only while the form was being sent.
pub const REPLIED_MEANWHILE: &str = "Someone replied to this story just now, while only its group could see it, so it cannot be shared more widely: nothing was changed. Keep it shared with its group, or choose “Only me (a draft)”.";

/// Earlier versions shown on one page of a story's history.
pub const HISTORY_PAGE_SIZE: usize = 20;

/// Why consent is asked again: the boxes came ticked for the photos a story
/// had, and photos were added.
pub const CONSENT_AGAIN: &str = "You added photos: tick both boxes again to confirm, for the new photos too, that everyone identifiable agreed and that no one under 18 is identifiable (or a guardian agreed). You can save it as a draft meanwhile.";

/// The licences a story can carry: (key, label, link).
pub const LICENCES: &[(&str, &str, &str)] = &[
    ("cc-by-4.0", "CC BY 4.0 — others may reuse it with credit", "https://creativecommons.org/licenses/by/4.0/"),
    ("cc-by-sa-4.0", "CC BY-SA 4.0 — reuse with credit, sharing alike", "https://creativecommons.org/licenses/by-sa/4.0/"),
    ("cc0", "CC0 — no rights reserved", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("all-rights-reserved", "All rights reserved", ""),
];

pub fn licence(key: &str) -> (&'static str, &'static str) {
    LICENCES.iter().find(|(k, _, _)| *k == key).map(|(_, l, u)| (*l, *u)).unwrap_or(("All rights reserved", ""))
}

/// What a person submits on the story form.
#[derive(Debug, Clone, Default)]
pub struct StoryForm {
    pub speak_as: String,
    pub title: String,
    pub body: String,
    pub place_name: String,
    pub latitude: String,
    pub longitude: String,
    pub period_text: String,
    pub year_from: String,
    pub year_to: String,
    pub prompt_id: String,
    pub licence: String,
    pub consent_people: bool,
    pub consent_minors: bool,
    /// `public`, `draft`, or `group:SLUG`.
    pub visibility: String,
    /// How many photos come with it (the media pipeline counts them).
    pub photo_count: usize,
    /// Collection objects the story is about: ids separated by commas.
    pub object_ids: String,
    /// Photos, in order: already uploaded media with alt text and caption.
    pub photos: Vec<PhotoInput>,
    /// The photos the consent boxes were ticked for when the form came with
    /// them ticked already (the edit form shows the consent given before):
    /// a photo outside these needs the boxes ticked again. `None` when the
    /// boxes were ticked on this form, for every photo on it.
    pub consent_covers: Option<Vec<i64>>,
}

/// One photo on the story form.
#[derive(Debug, Clone, Default)]
pub struct PhotoInput {
    pub media_id: i64,
    pub alt: String,
    pub caption: String,
}

/// At most this many collection objects per story.
pub const OBJECTS_MAX: usize = 10;

/// Finds the years in a period as people say it: "summer 1985" → 1985–1985,
/// "the 1980s" → 1980–1989, "1914-1918" → 1914–1918.
pub fn years_in(period: &str) -> Option<(i64, i64)> {
    let mut years = Vec::new();
    let chars: Vec<char> = period.chars().collect();
    let mut i = 0;
    while i + 4 <= chars.len() {
        let window: String = chars[i..i + 4].iter().collect();
        let boundary_before = i == 0 || !chars[i - 1].is_ascii_digit();
        let boundary_after = i + 4 == chars.len() || !chars[i + 4].is_ascii_digit();
        if boundary_before && boundary_after && window.chars().all(|c| c.is_ascii_digit()) {
            let y: i64 = window.parse().unwrap_or(0);
            if (1000..=2100).contains(&y) {
                let decade = chars.get(i + 4) == Some(&'s') && y % 10 == 0;
                years.push((y, if decade { y + 9 } else { y }));
            }
            i += 4;
            continue;
        }
        i += 1;
    }
    let from = years.iter().map(|(a, _)| *a).min()?;
    let to = years.iter().map(|(_, b)| *b).max()?;
    Some((from, to))
}

fn year(errors: &mut FieldErrors, field: &'static str, raw: &str) -> Option<i64> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<i64>() {
        Ok(y) if (-10_000..=2100).contains(&y) => Some(y),
        _ => {
            errors.add(field, "Enter a year as a number, like 1985.");
            None
        }
    }
}

fn coordinate(errors: &mut FieldErrors, field: &'static str, raw: &str, max: f64) -> Option<i64> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<f64>() {
        // Rounded to 0.001° (about 100 m) so a home address is never pinpointed.
        Ok(v) if v.is_finite() && v.abs() <= max => Some((v * 1000.0).round() as i64),
        _ => {
            errors.add(field, format!("Enter a number between -{max} and {max}, or leave it empty."));
            None
        }
    }
}

/// The validated fields plus where the story is scoped.
struct Checked {
    title: String,
    body: String,
    place_name: String,
    lat: Option<i64>,
    lon: Option<i64>,
    period_text: String,
    year_from: Option<i64>,
    year_to: Option<i64>,
    prompt_id: Option<i64>,
    licence: String,
    visibility: &'static str,
    group_id: Option<i64>,
    /// Groups this write puts the story into anew (shared with one, or
    /// answering one's prompt: linked to it now, or a draft answer to it
    /// published now): checked again in the writing transaction,
    /// as an archived group takes no new story
    /// (`groups::ensure_open_for_changes`).
    new_in_groups: Vec<i64>,
    objects: Vec<i64>,
    photos: Vec<(i64, String, String)>,
    /// The group the story was last shown to, when this edit shows it to
    /// others: checked again in the writing transaction, as no reply
    /// written for that group only may be on it then ([`shown_group`]).
    widening_from: Option<i64>,
}

/// The group whose members were last shown a story's text, if it was
/// shared with a group: its own while it is shown, or, while it is a draft
/// again, the group it was shown to before.
async fn shown_group(db: &Db, story: &StoryRow) -> Result<Option<i64>> {
    Ok(match story.visibility.as_str() {
        "group" => story.group_id,
        "draft" => match store::last_shown_audience(db, story.id).await? {
            Some((v, g)) if v == "group" => g,
            _ => None,
        },
        _ => None,
    })
}

/// The group a story must stay with, if any: the group it was last shown
/// to, when replies written for that group only are on it
/// ([`check`] refuses showing it to anyone else). The edit form offers only
/// that group and "Only me (a draft)" then.
pub async fn kept_with(db: &Db, story: &StoryRow) -> Result<Option<i64>> {
    Ok(match shown_group(db, story).await? {
        Some(g) if store::narrow_replies(db, story.id, 1).await? > 0 => Some(g),
        _ => None,
    })
}

/// The form field of one photo slot: `photo_alt_0`, `photo_file_2`…
pub fn photo_field(part: &str, index: usize) -> &'static str {
    // Field names are 'static in FieldErrors; ten slots of three parts.
    const NAMES: [[&str; 10]; 4] = [
        ["photo_file_0", "photo_file_1", "photo_file_2", "photo_file_3", "photo_file_4", "photo_file_5", "photo_file_6", "photo_file_7", "photo_file_8", "photo_file_9"],
        ["photo_alt_0", "photo_alt_1", "photo_alt_2", "photo_alt_3", "photo_alt_4", "photo_alt_5", "photo_alt_6", "photo_alt_7", "photo_alt_8", "photo_alt_9"],
        ["photo_caption_0", "photo_caption_1", "photo_caption_2", "photo_caption_3", "photo_caption_4", "photo_caption_5", "photo_caption_6", "photo_caption_7", "photo_caption_8", "photo_caption_9"],
        ["photos", "photos", "photos", "photos", "photos", "photos", "photos", "photos", "photos", "photos"],
    ];
    let row = match part {
        "file" => 0,
        "alt" => 1,
        "caption" => 2,
        _ => 3,
    };
    NAMES[row].get(index).copied().unwrap_or("photos")
}

/// Checks a story form. `e` holds problems found before (the voice, on an
/// edit), reported with the rest.
async fn check(
    db: &Db,
    actor: &Actor,
    form: &StoryForm,
    existing: Option<&StoryRow>,
    existing_photos: &[i64],
    mut e: FieldErrors,
) -> Result<Checked> {
    // One-line fields: a title, place or period is copied into emails,
    // digests and log lines, where a line break would start a line of its own.
    let title = line(&mut e, "title", "The title", &form.title, TITLE_MAX, true);
    let body = text(&mut e, "body", "Your story", &form.body, BODY_MAX, true);
    let place_name = line(&mut e, "place_name", "The place", &form.place_name, limits::NAME_MAX, false);
    let lat = coordinate(&mut e, "latitude", &form.latitude, 90.0);
    let lon = coordinate(&mut e, "longitude", &form.longitude, 180.0);
    if lat.is_some() != lon.is_some() {
        e.add("latitude", "Give both latitude and longitude, or neither.");
    }
    let period_text = line(&mut e, "period_text", "The date or period", &form.period_text, limits::NAME_MAX, false);
    let (mut year_from, mut year_to) = (year(&mut e, "year_from", &form.year_from), year(&mut e, "year_to", &form.year_to));
    if year_from.is_none() && year_to.is_none()
        && let Some((a, b)) = years_in(&period_text)
    {
        (year_from, year_to) = (Some(a), Some(b));
    }
    let year_to = year_to.or(year_from);
    let year_from = year_from.or(year_to);
    if let (Some(a), Some(b)) = (year_from, year_to)
        && a > b
    {
        e.add("year_to", "The last year must not be before the first.");
    }
    if !LICENCES.iter().any(|(k, _, _)| *k == form.licence) {
        e.add("licence", "Choose a licence for your story.");
    }
    let (visibility, group_id) = match form.visibility.as_str() {
        "public" => ("public", None),
        "draft" => ("draft", None),
        // A members-only group the person may not see is answered as one
        // that does not exist: its name is not theirs to learn.
        v if v.starts_with("group:") => match groups::by_address(db, &v[6..]).await? {
            Some(g) if actor.is_admin || groups::is_member(db, actor.id, g.id).await? => match g.archived_at {
                // An archived group takes no new story; one shared with it
                // before may still be edited there.
                Some(at) if existing.and_then(|s| s.group_id) != Some(g.id) => {
                    let words = groups::archived_words(&g.name, at);
                    e.add("visibility", format!("{words} Share your story with everyone, or keep it as a draft."));
                    ("draft", None)
                }
                _ => ("group", Some(g.id)),
            },
            // The group the story is shared with, which its author has
            // left: their edits no longer reach its members (as a voice
            // they no longer hold is refused), said in words that say why.
            Some(g) if existing.is_some_and(|s| s.visibility == "group" && s.group_id == Some(g.id)) => {
                let replied = match existing {
                    Some(s) => store::narrow_replies(db, s.id, 1).await? > 0,
                    None => false,
                };
                let way_out = if replied {
                    format!("Choose “Only me (a draft)” to keep your changes to yourself: the story cannot be shared more widely, as people replied to it while only the members of {} could see it.", g.name)
                } else {
                    "Choose “Everyone” or another of your groups to share your changes there, or “Only me (a draft)” to keep them to yourself.".to_string()
                };
                e.add("visibility", format!("You are no longer a member of {}, so you can no longer change what its members see of this story. {way_out}", g.name));
                ("draft", None)
            }
            Some(g) if groups::can_see(db, &g, Some(actor)).await? => {
                e.add("visibility", format!("You can only share with {} if you are a member.", g.name));
                ("draft", None)
            }
            _ => {
                e.add("visibility", "That group does not exist.");
                ("draft", None)
            }
        },
        _ => {
            e.add("visibility", "Choose who can see your story.");
            ("draft", None)
        }
    };
    // Replies written while only a group could see the story stay with
    // that group: the story is not shown more widely while they are on it.
    let mut widening_from = None;
    if let Some(story) = existing
        && visibility != "draft"
        && e.get("visibility").is_none()
        && let Some(from) = shown_group(db, story).await?
        && (visibility, group_id) != ("group", Some(from))
    {
        if store::narrow_replies(db, story.id, 1).await? > 0 {
            let from_name = store_groups::by_id(db, from).await?.map(|g| g.name).unwrap_or_else(|| "its group".into());
            let wider = match group_id {
                Some(to) => format!("with the members of {}", store_groups::by_id(db, to).await?.map(|g| g.name).unwrap_or_default()),
                None => "with everyone".to_string(),
            };
            let may_keep = actor.is_admin || groups::is_member(db, actor.id, from).await?;
            let way_out = if may_keep {
                format!("Keep it shared with {from_name}, or choose “Only me (a draft)”.")
            } else {
                "Choose “Only me (a draft)” to keep your changes to yourself.".to_string()
            };
            e.add(
                "visibility",
                format!(
                    "People replied to this story while only the members of {from_name} could see it, and wrote their replies for them. Sharing it {wider} would show those replies to people they did not write for, so it cannot be shared {wider} while they are on it. {way_out} To share what you wrote more widely, start a new story with it."
                ),
            );
        } else {
            widening_from = Some(from);
        }
    }
    let photo_count = form.photo_count.max(form.photos.len());
    // Consent is asked before anyone but the author sees the photos: a
    // group's members are people too, and a members-only story can be
    // made public later without being asked again. Boxes that came ticked
    // for the photos a story had do not cover photos added since.
    let uncovered = form.consent_covers.as_ref().is_some_and(|covers| form.photos.iter().any(|p| !covers.contains(&p.media_id)));
    if visibility != "draft" && photo_count > 0 {
        if !(form.consent_people && form.consent_minors) {
            e.add(
                "consent_people",
                "Before others can see a story with photos, confirm that everyone identifiable agreed and that no one under 18 is identifiable (or a guardian agreed). You can save it as a draft meanwhile.",
            );
        } else if uncovered {
            e.add("consent_people", CONSENT_AGAIN);
        }
    }
    let prompt_id = match form.prompt_id.trim() {
        "" => None,
        raw => match raw.parse::<i64>().ok() {
            Some(pid) => match store_prompts::by_id(db, pid).await? {
                // A story already answering this prompt may be edited after
                // it closes (or after its author left the prompt's group),
                // if it was shown to others before: a draft answer stays a
                // draft answer, but is not published as one once the prompt
                // has closed. (A story shown now, or a draft again after
                // being shown, was shown before the prompt closed: a draft
                // can only become shown after the close by this rule.)
                Some(p) if existing.is_some_and(|s| s.prompt_id == Some(pid)) => {
                    if visibility != "draft"
                        && let Err(closed) = accepting(&p, meetinghouse_store::now())
                        && let Some(story) = existing
                        && !store_prompts::answer_was_shown(db, story.id).await?
                    {
                        e.add("prompt_id", format!("{closed} This story was a draft until now, so it cannot be published as an answer to it. Save it as a draft to keep it as it is, or share it without linking to this prompt."));
                    } else if visibility != "draft"
                        && existing.is_some_and(|s| s.visibility == "draft")
                        && let Some(g) = match p.group_id {
                            Some(gid) => store_groups::by_id(db, gid).await?,
                            None => None,
                        }
                        && let Some(at) = g.archived_at
                    {
                        // A draft answer to an archived group's prompt is
                        // not published as one: publishing it would be a
                        // new answer, and an archived group takes nothing
                        // new (checked again where it is written).
                        e.add("prompt_id", format!("{} This story is a draft, so it cannot be published as an answer to its prompt. Save it as a draft to keep it as it is, or share it without linking to this prompt.", groups::archived_words(&g.name, at)));
                    }
                    Some(pid)
                }
                // Only a prompt the person may see can be answered: the
                // refusal says no more than its page would (not found).
                Some(p) if !prompt_visible(db, &p, Some(actor)).await? => {
                    e.add("prompt_id", PROMPT_NOT_SEEN);
                    None
                }
                Some(p) => {
                    if let Err(m) = accepting(&p, meetinghouse_store::now()) {
                        e.add("prompt_id", m);
                    } else if let Some(g) = match p.group_id {
                        Some(gid) => store_groups::by_id(db, gid).await?,
                        None => None,
                    } && let Some(at) = g.archived_at
                    {
                        // A prompt of an archived group takes no new answer.
                        e.add("prompt_id", groups::archived_words(&g.name, at));
                    }
                    Some(pid)
                }
                None => {
                    e.add("prompt_id", "That prompt does not exist.");
                    None
                }
            },
            None => {
                e.add("prompt_id", "That prompt does not exist.");
                None
            }
        },
    };
    // The limit is checked on the distinct ids as sent, before any lookup,
    // so a form with thousands of ids costs no more than one with ten.
    let mut objects = Vec::new();
    let mut unknown = false;
    let mut withdrawn = false;
    for raw in form.object_ids.split([',', ' ']).map(str::trim).filter(|r| !r.is_empty()) {
        match raw.parse::<i64>() {
            Ok(oid) if !objects.contains(&oid) => objects.push(oid),
            Ok(_) => {}
            Err(_) => unknown = true,
        }
        if objects.len() > OBJECTS_MAX {
            break;
        }
    }
    if objects.len() > OBJECTS_MAX {
        e.add("object_ids", format!("A story can be about at most {OBJECTS_MAX} collection objects."));
    } else {
        // A story keeps an object it is already about after the object is
        // withdrawn (its page says so); it cannot be newly linked to one.
        let already = match existing {
            Some(s) => meetinghouse_store::objects::ids_of_story(db, s.id).await?,
            None => Vec::new(),
        };
        for oid in &objects {
            match meetinghouse_store::objects::by_id(db, *oid).await? {
                None => unknown = true,
                Some(o) if o.withdrawn() && !already.contains(oid) => withdrawn = true,
                Some(_) => {}
            }
        }
    }
    if unknown {
        e.add("object_ids", "One of the collection objects this story was linked to no longer exists.");
    } else if withdrawn {
        e.add("object_ids", "One of the collection objects this story was linked to has been withdrawn from its collection.");
    }
    // A photo is on a story once: one sent again (`photo_id_0=4&photo_id_1=4`)
    // is dropped, and never counts towards the most a story can have. The
    // rest keep their places, where the form reports their problems.
    let mut distinct: Vec<i64> = Vec::new();
    let again: Vec<bool> = form
        .photos
        .iter()
        .map(|p| {
            let seen = distinct.contains(&p.media_id);
            if !seen {
                distinct.push(p.media_id);
            }
            seen
        })
        .collect();
    if distinct.len() > crate::media::PHOTOS_MAX {
        e.add("photos", format!("A story can have at most {} photos.", crate::media::PHOTOS_MAX));
    }
    let mut photos = Vec::new();
    for (i, p) in form.photos.iter().enumerate() {
        if again[i] {
            continue;
        }
        let n = i + 1;
        match meetinghouse_store::media::by_id(db, p.media_id).await? {
            Some(m) if m.owner_person == actor.id || existing_photos.contains(&p.media_id) => {}
            _ => {
                e.add(photo_field("file", i), format!("Photo {n} could not be found; please upload it again."));
                continue;
            }
        }
        // One line each, cleaned as every text is (no control characters,
        // which PostgreSQL cannot store, nor invisible ones), and the alt
        // text must show something: an image is never published without
        // words for people who cannot see it.
        let (alt_field, caption_field) = (photo_field("alt", i), photo_field("caption", i));
        let mut too_long = FieldErrors::new();
        let alt = line(&mut too_long, alt_field, &format!("The description of photo {n}"), &p.alt, crate::media::ALT_MAX, false);
        if alt.is_empty() {
            e.add(alt_field, format!("Describe photo {n} for people who cannot see it (alt text)."));
        } else if !has_visible(&alt) {
            e.add(alt_field, format!("The description of photo {n} shows nothing when read: describe the photo in words for people who cannot see it."));
        }
        e.0.extend(too_long.0);
        let caption = line(&mut e, caption_field, &format!("The caption of photo {n}"), &p.caption, crate::media::ALT_MAX, false);
        photos.push((p.media_id, alt, caption));
    }
    e.into_result()?;
    let mut new_in_groups = Vec::new();
    if let Some(g) = group_id
        && existing.and_then(|s| s.group_id) != Some(g)
    {
        new_in_groups.push(g);
    }
    // A new answer to a group's prompt: linked to it now, or a draft answer
    // published now.
    let publishing = visibility != "draft" && existing.is_some_and(|s| s.visibility == "draft");
    if let Some(pid) = prompt_id
        && (existing.and_then(|s| s.prompt_id) != Some(pid) || publishing)
        && let Some(g) = store_prompts::by_id(db, pid).await?.and_then(|p| p.group_id)
        && !new_in_groups.contains(&g)
    {
        new_in_groups.push(g);
    }
    Ok(Checked {
        widening_from,
        new_in_groups,
        photos,
        objects,
        title,
        body,
        place_name,
        lat,
        lon,
        period_text,
        year_from,
        year_to,
        prompt_id,
        licence: form.licence.clone(),
        visibility,
        group_id,
    })
}

/// Why a prompt that is hidden from the person cannot be answered (it does
/// not say whether the prompt exists).
pub const PROMPT_NOT_SEEN: &str = "That prompt does not exist, or it is only for the members of a group you are not in.";

/// Whether a viewer may see a prompt: the same rule as its page (a prompt for
/// a members-only group is hidden from everyone outside it).
async fn prompt_visible(db: &Db, p: &store_prompts::PromptRow, viewer: Option<&Actor>) -> Result<bool> {
    match p.group_id {
        None => Ok(true),
        Some(gid) => match groups::ensure_visible(db, gid, viewer).await {
            Ok(()) => Ok(true),
            Err(CoreError::NotFound) => Ok(false),
            Err(other) => Err(other),
        },
    }
}

fn fields<'a>(c: &'a Checked, form: &StoryForm) -> StoryFields<'a> {
    StoryFields {
        title: &c.title,
        body: &c.body,
        place_name: &c.place_name,
        lat_milli: c.lat,
        lon_milli: c.lon,
        period_text: &c.period_text,
        year_from: c.year_from,
        year_to: c.year_to,
        prompt_id: c.prompt_id,
        licence: &c.licence,
        consent_people: form.consent_people,
        consent_minors: form.consent_minors,
        visibility: c.visibility,
        group_id: c.group_id,
    }
}

/// Publishes (or saves as a draft) a new story; returns its id. Not
/// counted against [`STORIES_PER_HOUR`]: people writing from the site go
/// through [`create_counted`].
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, form: &StoryForm) -> Result<i64> {
    Ok(creating(db, settings, actor, form, FieldErrors::new(), false).await?.expect("an uncounted story is never over the limit"))
}

/// [`create`] within the person's [`STORIES_PER_HOUR`] (instance admins
/// are not counted), with `found`: problems found before (a photo that
/// could not be added), reported with the form's own. `Ok(None)` when the
/// person has written that many stories in the last hour (tell them
/// [`STORIES_PER_HOUR_MESSAGE`]): nothing is written. The stories written
/// are counted in the writing transaction, after every check passed.
pub async fn create_counted(db: &Db, settings: &Settings, actor: &Actor, form: &StoryForm, found: FieldErrors) -> Result<Option<i64>> {
    creating(db, settings, actor, form, found, !actor.is_admin).await
}

/// Whether the person has written [`STORIES_PER_HOUR`] stories in the last
/// hour already (never for an instance admin): asked before the photos of
/// a new story are read, so none is stored for a story that cannot be
/// written. [`create_counted`] counts again as it writes.
pub async fn at_story_limit(db: &Db, actor: &Actor) -> Result<bool> {
    Ok(!actor.is_admin && store::count_written_since(db, actor.id, meetinghouse_store::now() - 3600).await? >= STORIES_PER_HOUR)
}

async fn creating(db: &Db, settings: &Settings, actor: &Actor, form: &StoryForm, found: FieldErrors, counted: bool) -> Result<Option<i64>> {
    ensure_can_post(actor, settings)?;
    let mut found = found;
    let persona = match persona::resolve(db, actor, &form.speak_as).await {
        Ok(p) => Some(p),
        Err(CoreError::Invalid(errors)) => {
            found.0.extend(errors.0);
            None
        }
        Err(other) => return Err(other),
    };
    let checked = check(db, actor, form, None, &[], found).await?;
    let Some(persona) = persona else { return Err(CoreError::Internal("a refused voice passed the story's checks".into())) };
    let by = byline(&persona.voice);
    let now = meetinghouse_store::now();
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    if counted && store::written_since(&mut tx, actor.id, now - 3600).await? >= STORIES_PER_HOUR {
        return Ok(None);
    }
    for g in &checked.new_in_groups {
        groups::ensure_open_for_changes(&mut tx, db.backend(), *g).await?;
    }
    let id = store::insert(&mut tx, actor.id, by.org, by.voice, &fields(&checked, form)).await?;
    meetinghouse_store::objects::set_story_objects(&mut tx, id, &checked.objects).await?;
    meetinghouse_store::media::replace_story_photos(&mut tx, id, &checked.photos, removed_photo_kept_until(now)).await?;
    reindex(&mut tx, db, id, &checked, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(id))
}

/// Until when (as the purge of unused uploads compares it, a day behind
/// the clock) a photo taken off a story at `now` is kept: it goes when the
/// story's restore window would have ended, as a deleted story's photos
/// do, not at the next hourly purge.
fn removed_photo_kept_until(now: i64) -> i64 {
    now + RESTORE_WINDOW_SECS - crate::media::UNUSED_KEEP_SECS
}

/// Whether the person may edit a story now (they can post, it exists, they
/// wrote it, it is not deleted); returns it. The edit form's handler asks
/// this before it reads anything else of the request.
/// Someone who may not see the story is not told it exists (not found, as
/// its page answers them).
pub async fn ensure_can_edit(db: &Db, settings: &Settings, actor: &Actor, id: i64) -> Result<StoryRow> {
    ensure_can_post(actor, settings)?;
    let story = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if story.author_person != actor.id {
        return Err(if can_see(db, &story, Some(actor)).await? {
            CoreError::Forbidden("Only the author can edit this story.".into())
        } else {
            CoreError::NotFound
        });
    }
    if story.deleted_at.is_some() {
        return Err(CoreError::Forbidden(deleted_words(&story).into()));
    }
    Ok(story)
}

/// Why a deleted story cannot be edited or deleted again, with the way
/// back: the author restores it, or asks the moderators to.
fn deleted_words(story: &StoryRow) -> &'static str {
    if story.removed != 0 {
        "The moderators removed this story, so it cannot be changed. If you think this was a mistake, ask them to look again: use “Ask for a review” on the story's page."
    } else {
        "This story is deleted. To change it, restore it first: your page lists it, with a button to restore it, for 30 days after you deleted it."
    }
}

/// Who a story speaks as, as stored.
fn byline(voice: &Voice) -> Byline<'static> {
    let org = match voice {
        Voice::Person => None,
        Voice::Affiliated { org_id, .. } | Voice::Announcement { org_id, .. } => Some(*org_id),
    };
    Byline { org, voice: voice_name(voice) }
}

/// The story form's "Share as" value for the voice a story was shared in:
/// `self`, `org:SLUG` or `announce:SLUG`.
pub fn speak_as_of(story: &StoryRow) -> String {
    match (&story.org_slug, story.voice.as_str()) {
        (Some(slug), "announcement") => format!("announce:{slug}"),
        (Some(slug), _) => format!("org:{slug}"),
        _ => "self".into(),
    }
}

/// Whether a story's author still holds the voice it is shared in: their
/// own always; an organisation's while they are its active staff or admin
/// (its announcement voice: admin).
pub async fn author_holds_voice(db: &Db, story: &StoryRow) -> Result<bool> {
    let Some(org) = story.author_org else { return Ok(true) };
    let role = store_orgs::membership(db, org, story.author_person).await?.filter(|(_, status)| status == "active").map(|(r, _)| r);
    Ok(match story.voice.as_str() {
        "announcement" => role.as_deref() == Some("admin"),
        _ => role.as_deref().is_some_and(crate::orgs::acts_for_org),
    })
}

/// Why an edit may not be shared in the voice chosen, in plain words, with
/// the way out: the person's own name is always among the choices.
fn voice_refused(story: &StoryRow, choice: &str, why: String) -> String {
    let way_out = "Choose your own name under “Share as” to save your changes as yourself.";
    match &story.org_name {
        Some(org) if choice.trim() == speak_as_of(story) && story.voice == "announcement" => {
            format!("You are no longer an admin of {org}, so this story cannot be shared as its announcement any more. {way_out}")
        }
        Some(org) if choice.trim() == speak_as_of(story) => {
            format!("You are no longer on the staff of {org}, so this story cannot be shared in its name any more. {way_out}")
        }
        _ => format!("{why} {way_out}"),
    }
}

/// The author edits their story. When the new text is shown to readers and
/// differs from the text they were last shown, that text goes to the
/// history, marked with who was shown it; a draft's own text never does,
/// and a story taken back to a draft and published again with other words
/// still keeps what readers saw before it (store `stories::update`). The
/// voice is chosen again against the author's current memberships: an
/// organisation's voice they no longer hold is refused
/// (the form says to choose their own), so a story stays in an
/// organisation's name only while its author may speak for it. Returns
/// whether the replaced text went to the history.
pub async fn edit(db: &Db, settings: &Settings, actor: &Actor, id: i64, form: &StoryForm) -> Result<bool> {
    Ok(editing(db, settings, actor, id, form, FieldErrors::new(), false).await?.expect("an uncounted edit is never over the budget"))
}

/// [`edit`] within the person's [`EDITS_PER_HOUR`] (instance admins are
/// not counted), with `found`: problems found before (a photo that could
/// not be added), reported with the form's own. The edit is counted in its
/// transaction after every check passed; `Ok(None)` when the budget is
/// spent (tell them [`EDITS_PER_HOUR_MESSAGE`]): only the count is kept.
pub async fn edit_counted(db: &Db, settings: &Settings, actor: &Actor, id: i64, form: &StoryForm, found: FieldErrors) -> Result<Option<bool>> {
    editing(db, settings, actor, id, form, found, !actor.is_admin).await
}

/// Whether the person has spent their [`EDITS_PER_HOUR`] already (never
/// for an instance admin), counting nothing: asked before the photos of an
/// edit are read, so none is stored for an edit that cannot be saved.
/// [`edit_counted`] counts as it writes.
pub async fn at_edit_limit(db: &Db, settings: &Settings, actor: &Actor) -> Result<bool> {
    Ok(!actor.is_admin && attempts::spent(db, &settings.secret_key, &EDITS_PER_HOUR, &actor.id.to_string(), meetinghouse_store::now()).await?)
}

async fn editing(db: &Db, settings: &Settings, actor: &Actor, id: i64, form: &StoryForm, found: FieldErrors, counted: bool) -> Result<Option<bool>> {
    let story = ensure_can_edit(db, settings, actor, id).await?;
    let mut e = found;
    let persona = match persona::resolve(db, actor, &form.speak_as).await {
        Ok(p) => Some(p),
        Err(CoreError::Forbidden(why)) => {
            e.add("speak_as", voice_refused(&story, &form.speak_as, why));
            None
        }
        Err(CoreError::Invalid(errors)) => {
            e.0.extend(errors.0);
            None
        }
        Err(other) => return Err(other),
    };
    let existing_photos: Vec<i64> = meetinghouse_store::media::photos_of_story(db, id).await?.into_iter().map(|p| p.media_id).collect();
    let checked = check(db, actor, form, Some(&story), &existing_photos, e).await?;
    let Some(persona) = persona else { return Err(CoreError::Internal("a refused voice passed the story's checks".into())) };
    let now = meetinghouse_store::now();
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    // Counted in the transaction that writes: over the budget, only the
    // count is kept.
    if counted && !attempts::attempt_in(&mut tx, &settings.secret_key, &EDITS_PER_HOUR, &actor.id.to_string(), now).await? {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(None);
    }
    for g in &checked.new_in_groups {
        groups::ensure_open_for_changes(&mut tx, db.backend(), *g).await?;
    }
    let kept = store::update(&mut tx, db.backend(), id, actor.id, byline(&persona.voice), &fields(&checked, form)).await?;
    // With the story's row held: a reply written for its group only since
    // the form was checked keeps it where it was (nothing is written).
    if checked.widening_from.is_some() && store::narrow_replies_in(&mut tx, id, 1).await? > 0 {
        return Err(FieldErrors::one("visibility", REPLIED_MEANWHILE));
    }
    meetinghouse_store::objects::set_story_objects(&mut tx, id, &checked.objects).await?;
    meetinghouse_store::media::replace_story_photos(&mut tx, id, &checked.photos, removed_photo_kept_until(now)).await?;
    reindex(&mut tx, db, id, &checked, story.created_at).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(kept))
}

/// Keeps the search index in step: only public stories are findable.
async fn reindex(tx: &mut meetinghouse_store::Tx, db: &Db, id: i64, c: &Checked, created_at: i64) -> Result<()> {
    if c.visibility == "public" {
        crate::search::index(tx, db, "story", id, &c.title, &c.body, created_at).await
    } else {
        crate::search::unindex(tx, db, "story", id).await
    }
}

/// Whether a viewer may see a story.
pub async fn can_see(db: &Db, story: &StoryRow, viewer: Option<&Actor>) -> Result<bool> {
    let own = viewer.is_some_and(|a| a.id == story.author_person);
    if story.deleted_at.is_some() {
        return Ok(own);
    }
    Ok(match story.visibility.as_str() {
        "public" => true,
        "draft" => own,
        _ => match (viewer, story.group_id) {
            (Some(a), Some(g)) => own || a.is_admin || groups::is_member(db, a.id, g).await?,
            _ => false,
        },
    })
}

/// A story page's content.
#[derive(Debug, Clone)]
pub struct StoryPage {
    pub story: StoryRow,
    pub body_html: String,
    pub author_label: String,
    pub licence_label: &'static str,
    pub licence_url: &'static str,
    pub own: bool,
    /// Whether the viewer may delete it without being its author: an admin
    /// of the organisation it speaks for, whose author no longer may.
    pub org_may_delete: bool,
    /// Where its by-line links to ([`byline_link`]); `None`: a name alone.
    pub author_link: Option<String>,
    pub edited: bool,
    pub prompt: Option<(i64, String)>,
    pub group: Option<(String, String)>,
    /// Collection objects it is about: (path, title).
    pub objects: Vec<(String, String)>,
    pub photos: Vec<crate::media::Shown>,
}

pub fn author_label(s: &StoryRow) -> String {
    match (s.voice.as_str(), &s.org_name) {
        ("announcement", Some(org)) => format!("{org} (announcement)"),
        (_, Some(org)) => format!("{} · {org}", s.author_name),
        _ => s.author_name.clone(),
    }
}

/// Where a story's by-line links to, as a path: an announcement is the
/// organisation's (its page); otherwise its author's profile, only while
/// anyone may see it (not for a suspended or banned account, nor one
/// waiting for approval, whose profile is "not found", nor a closed one,
/// which has no handle). `None`: the name stands alone.
pub fn byline_link(s: &StoryRow) -> Option<String> {
    match (s.voice.as_str(), &s.org_slug) {
        ("announcement", Some(slug)) => Some(format!("/orgs/{slug}")),
        _ if s.author_handle.is_empty() || s.author_status != "active" => None,
        _ => Some(format!("/@{}", s.author_handle)),
    }
}

/// Whether a story speaks as its organisation (an announcement), not as a
/// person: feeds and structured data name the organisation as its author.
pub fn by_organisation(s: &StoryRow) -> bool {
    s.voice == "announcement" && s.org_slug.is_some()
}

pub async fn page(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<StoryPage> {
    let story = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if !can_see(db, &story, viewer).await? {
        return Err(CoreError::NotFound);
    }
    let (licence_label, licence_url) = licence(&story.licence);
    // The prompt it answers is named only to those who may see the prompt.
    let prompt = match story.prompt_id {
        Some(pid) => match store_prompts::by_id(db, pid).await? {
            Some(p) if prompt_visible(db, &p, viewer).await? => Some((p.id, p.question)),
            _ => None,
        },
        None => None,
    };
    let group = match story.group_id {
        Some(gid) => store_groups::by_id(db, gid).await?.map(|g| (g.slug, g.name)),
        None => None,
    };
    let own = viewer.is_some_and(|a| a.id == story.author_person);
    let org_may_delete = match viewer {
        Some(a) if !own && story.author_org.is_some() && story.deleted_at.is_none() => may_delete(db, a, &story).await?,
        _ => false,
    };
    // A withdrawn object stays linked, its title saying it is no longer in the collection.
    let objects = crate::collection::story_objects(db, id).await?;
    Ok(StoryPage {
        photos: crate::media::story_photos(db, id).await?,
        objects,
        body_html: markdown::render(&story.body),
        author_label: author_label(&story),
        author_link: byline_link(&story),
        licence_label,
        licence_url,
        own,
        org_may_delete,
        edited: story.updated_at > story.created_at,
        prompt,
        group,
        story,
    })
}

/// One page of a story's history: the story, the earlier versions the
/// viewer may read on page `page` (from 1, [`HISTORY_PAGE_SIZE`] a page,
/// newest first), whether there are more, and the readable versions'
/// numbers ([`version_numbers`]). Each version is shown to the people who
/// could read it before it was replaced: a public version to everyone who
/// may see the story now, a version from while the story was shared with a
/// group to that group's members (and instance admins), and its author sees
/// every version. Who was shown each version is read
/// [`HISTORY_AUDIENCE_BATCH`] versions at a time, without the text (once,
/// for the page and the numbers); only the page's versions are loaded whole.
pub async fn history_page(db: &Db, id: i64, viewer: Option<&Actor>, page: usize) -> Result<(StoryRow, Vec<RevisionRow>, bool, VersionNumbers)> {
    let story = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if !can_see(db, &story, viewer).await? {
        return Err(CoreError::NotFound);
    }
    let readable = readable_revisions(db, &story, viewer).await?;
    let skip = page.max(1).saturating_sub(1).saturating_mul(HISTORY_PAGE_SIZE);
    let ids: Vec<i64> = readable.iter().skip(skip).take(HISTORY_PAGE_SIZE).copied().collect();
    let more = readable.len() > skip.saturating_add(HISTORY_PAGE_SIZE);
    let versions = store::revisions_by_id(db, id, &ids).await?;
    Ok((story, versions, more, VersionNumbers::numbered(readable)))
}

/// The ids of a story's earlier versions the viewer may read, newest first
/// (the history's rule, [`history_page`]): every version's audience read
/// [`HISTORY_AUDIENCE_BATCH`] at a time, without the text.
async fn readable_revisions(db: &Db, story: &StoryRow, viewer: Option<&Actor>) -> Result<Vec<i64>> {
    let own = viewer.is_some_and(|a| a.id == story.author_person);
    let mut member_of: HashMap<i64, bool> = HashMap::new();
    let mut readable = Vec::new();
    let mut before = i64::MAX;
    loop {
        let batch = store::revision_audiences(db, story.id, before, HISTORY_AUDIENCE_BATCH).await?;
        let last_batch = (batch.len() as i64) < HISTORY_AUDIENCE_BATCH;
        for (rid, visibility, group_id) in batch {
            before = rid;
            if own || revision_seen(db, viewer, &visibility, group_id, &mut member_of).await? {
                readable.push(rid);
            }
        }
        if last_batch {
            return Ok(readable);
        }
    }
}

/// Who took the text of an earlier version out of a story's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovedBy {
    Author,
    Moderators,
}

impl RemovedBy {
    /// As stored (`story_revisions.removed_by`).
    pub fn as_str(self) -> &'static str {
        match self {
            RemovedBy::Author => "author",
            RemovedBy::Moderators => "moderators",
        }
    }
}

/// The longest note a moderator gives for removing a version's text.
pub const REMOVAL_NOTE_MAX: usize = 1_000;

/// Takes the text (title and body) of an earlier version out of a story's
/// history for good; the history then says it was removed, and by whom.
/// The story's author may do it for any of its versions; an instance
/// moderator for a version they may read, with a `note` saying why, which
/// the moderation log keeps (a `hide` of the story) and the author is sent.
/// Anyone else is answered as the history answers them: not found when they
/// may not see the story or the version, else refused. It cannot be undone,
/// so it is done only when the remover said they `understood` that
/// ([`REMOVAL_NOT_UNDERSTOOD`] otherwise, at the field `understood`).
/// The removed title leaves the notifications that quote it too, in the
/// same transaction ([`retitle_notifications`]). Returns who removed it,
/// and whether it was still there (a second removal changes nothing).
pub async fn remove_revision(db: &Db, mail: Mailer<'_>, actor: &Actor, id: i64, revision: i64, note: &str, understood: bool) -> Result<(RemovedBy, bool)> {
    let story = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if !can_see(db, &story, Some(actor)).await? {
        return Err(CoreError::NotFound);
    }
    let own = story.author_person == actor.id;
    let version = store::revisions_by_id(db, id, &[revision]).await?.into_iter().next().ok_or(CoreError::NotFound)?;
    if !own && !revision_seen(db, Some(actor), &version.visibility, version.group_id, &mut HashMap::new()).await? {
        return Err(CoreError::NotFound);
    }
    let by = match (own, actor.is_admin) {
        (true, _) => RemovedBy::Author,
        (false, true) => RemovedBy::Moderators,
        (false, false) => return Err(CoreError::Forbidden("Only the story's author, or the meeting house's moderators, can remove the text of an earlier version.".into())),
    };
    let mut e = FieldErrors::new();
    let note = match by {
        RemovedBy::Author => String::new(),
        // Said as the form's label asks it ("Say why you are removing it").
        RemovedBy::Moderators if note.trim().is_empty() => {
            e.add("note", REMOVAL_NOTE_NEEDED);
            String::new()
        }
        RemovedBy::Moderators => text(&mut e, "note", "The note", note, REMOVAL_NOTE_MAX, true),
    };
    if !understood {
        e.add("understood", REMOVAL_NOT_UNDERSTOOD);
    }
    e.into_result()?;
    let mut tx = db.begin().await?;
    let removed = store::remove_revision_text(&mut tx, id, revision, by.as_str()).await?;
    if removed {
        retitle_notifications(&mut tx, &story, &version.title).await?;
    }
    if removed && by == RemovedBy::Moderators {
        let logged = format!("The text of an earlier version was removed from the story's history (the story itself stays). {note}");
        let action = NewAction { moderator: actor.id, report_id: None, target_kind: "story", target_id: id, action: "hide", note: &logged, until_at: None };
        store_moderation::insert_action(&mut tx, &action).await?;
        let told = format!("The moderators removed the text of an earlier version of your story “{}” from its history. Why: {note}", story.title);
        notifications::notify(&mut tx, mail, story.author_person, Kind::Moderation, &told, &format!("/stories/{id}/history")).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok((by, removed))
}

/// Whether an account still waits for an admin's approval (registration
/// mode "approval"): it may look around, not share or reply.
pub fn waiting_for_approval(actor: &Actor) -> bool {
    actor.status == "pending"
}

/// What an account waiting for approval is shown in place of the story
/// and reply forms.
pub const WAITING_FOR_APPROVAL: &str = "You can share once an admin approves your account: then you can share stories and reply. Until then, you can look around.";

/// What it is told when a story form is sent anyway (the form comes back
/// with what was written).
pub const WAITING_NOT_SHARED: &str = "Your story is not shared: you can share once an admin approves your account. What you wrote is still below, to copy and keep.";

/// What a moderator who removes a version's text without saying why is told.
pub const REMOVAL_NOTE_NEEDED: &str = "Say why you are removing this version’s text.";

/// The earlier versions of a story a viewer may read, numbered from the
/// oldest of them (1) to the newest, and how many versions that makes with
/// the text in use now (`total`, the current text being the last): "Version
/// 2 of 4" tells apart versions replaced in the same minute. Numbered
/// among the versions the viewer may read, so the numbers say nothing of
/// versions kept from them. Reads every version's audience
/// ([`HISTORY_AUDIENCE_BATCH`] at a time), without the text; not found, as
/// the history answers, to whoever may not see the story.
pub async fn version_numbers(db: &Db, id: i64, viewer: Option<&Actor>) -> Result<VersionNumbers> {
    let story = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if !can_see(db, &story, viewer).await? {
        return Err(CoreError::NotFound);
    }
    Ok(VersionNumbers::numbered(readable_revisions(db, &story, viewer).await?))
}

/// Each readable earlier version's number, by its id ([`version_numbers`]).
pub struct VersionNumbers {
    pub of: HashMap<i64, usize>,
    /// The earlier versions and the current text.
    pub total: usize,
}

impl VersionNumbers {
    /// Numbers the readable versions, given newest first.
    fn numbered(readable: Vec<i64>) -> Self {
        let earlier = readable.len();
        let of = readable.into_iter().enumerate().map(|(i, rid)| (rid, earlier - i)).collect();
        VersionNumbers { of, total: earlier + 1 }
    }

    /// "Version 2 of 4", for the version with this id ("An earlier version"
    /// for one not numbered, as one saved while the page was read).
    pub fn label(&self, revision: i64) -> String {
        match self.of.get(&revision) {
            Some(n) => format!("Version {n} of {}", self.total),
            None => "An earlier version".to_string(),
        }
    }

    /// [`VersionNumbers::label`] within a sentence: "version 2 of 4".
    pub fn in_sentence(&self, revision: i64) -> String {
        match self.of.get(&revision) {
            Some(n) => format!("version {n} of {}", self.total),
            None => "an earlier version".to_string(),
        }
    }
}

/// What someone who did not tick "I understand this cannot be undone" is
/// told: nothing was removed.
pub const REMOVAL_NOT_UNDERSTOOD: &str =
    "Nothing was removed: removing the text of a version cannot be undone. Tick “I understand this cannot be undone” to remove it.";

/// What a notification says of a story in place of a title taken out of
/// its history, to someone who may not be shown its current title (see
/// [`retitle_notifications`]).
pub const TITLE_REMOVED: &str = "a story";

/// Takes the title `removed` (of a version whose text was just removed)
/// out of what was written about `story`, in `tx`: the notifications about
/// it that quote it (“…”) — about a reply on it, or linking to it (store
/// `notifications::about_story_quoting`), so never another story's of the
/// same title — and the mail of them not sent yet, one at a time or in a
/// digest. The quoted title becomes the story's current one for its author,
/// and for everyone else while the story is public; otherwise
/// [`TITLE_REMOVED`], as its current title may not be theirs to read.
/// Nothing changes when the removed title is the current one (it is shown
/// anyway) or empty.
async fn retitle_notifications(tx: &mut meetinghouse_store::Tx, story: &StoryRow, removed: &str) -> Result<()> {
    use meetinghouse_store::{notifications as store_notifications, outbox};
    if removed.is_empty() || removed == story.title {
        return Ok(());
    }
    let quoted = format!("“{removed}”");
    let shown = story.visibility == "public" && story.deleted_at.is_none();
    let current = format!("“{}”", story.title);
    let told = store_notifications::about_story_quoting(tx, story.id, &quoted).await?;
    if told.is_empty() {
        return Ok(());
    }
    // (old text, new text) of each, by id.
    let mut rewritten: HashMap<i64, (String, String)> = HashMap::new();
    for n in &told {
        let title = if shown || n.person_id == story.author_person { current.as_str() } else { TITLE_REMOVED };
        let text = n.text.replace(&quoted, title);
        store_notifications::set_text(tx, n.id, &text).await?;
        rewritten.insert(n.id, (n.text.clone(), text));
    }
    for m in outbox::unsent_quoting(tx, crate::notifications::DIGEST_KIND, &quoted).await? {
        let (subject, body) = match m.notification_id {
            Some(nid) => match rewritten.get(&nid) {
                // One notification's own mail: "{text}\n\n{link}…", its
                // subject the site's name and the text's start.
                Some((old, new)) => (retitled_subject(&m.subject, old, new, &quoted), m.body.replacen(old.as_str(), new, 1)),
                None => continue,
            },
            None => {
                let body = retitled_digest(&m.body, &m.to_addr, &told, &rewritten);
                if body == m.body {
                    continue;
                }
                (m.subject.clone(), body)
            }
        };
        outbox::rewrite_unsent(tx, m.id, &subject, &body).await?;
    }
    Ok(())
}

/// A notification mail's subject once its text `old` reads `new`: the
/// subject is the site's name, ": " and the text's first
/// characters `notifications::short` keeps (`…` when cut, as
/// `notifications::notify_from_into` writes it). A subject written some
/// other way has `quoted` cut out, or a title cut short at its end.
fn retitled_subject(subject: &str, old: &str, new: &str, quoted: &str) -> String {
    use crate::notifications::short;
    if let Some(site) = subject.strip_suffix(&short(old)) {
        return format!("{site}{}", short(new));
    }
    if subject.contains(quoted) {
        return subject.replace(quoted, "“…”");
    }
    // A title cut off by the subject's length: "… on “Secret fl…".
    match subject.rfind('“') {
        Some(at) if subject.ends_with('…') && quoted.starts_with(&subject[at..subject.len() - '…'.len_utf8()]) => format!("{}“…”", &subject[..at]),
        _ => subject.to_string(),
    }
}

/// A digest's body with the lines of rewritten notifications (`rewritten`,
/// old and new text by id; `told`, their rows) made to read as now: a line
/// "- {text}" (or "- {text} (N times)") is one of them when its text is
/// theirs and the next line links to their address (a reply on the story,
/// or the story: never another story's). Of two with the same text and
/// address, the one whose person has the digest's address is taken.
fn retitled_digest(body: &str, to: &str, told: &[meetinghouse_store::notifications::Quoting], rewritten: &HashMap<i64, (String, String)>) -> String {
    let lines: Vec<&str> = body.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map(|l| l.trim_end()).unwrap_or("");
        let found = line.strip_prefix("- ").and_then(|item| {
            told.iter()
                .filter(|n| next.ends_with(n.url.as_str()) && (item == n.text || item.strip_prefix(n.text.as_str()).is_some_and(|rest| rest.starts_with(" (") && rest.ends_with(" times)"))))
                .max_by_key(|n| n.email.eq_ignore_ascii_case(to))
                .and_then(|n| rewritten.get(&n.id).map(|(old, new)| format!("- {new}{}", &item[old.len()..])))
        });
        out.push(found.unwrap_or_else(|| line.to_string()));
    }
    out.join("\n")
}

/// How many versions' audiences a history page reads at a time.
pub const HISTORY_AUDIENCE_BATCH: i64 = 100;

/// Whether a viewer who is not the author may read a version shown under
/// `visibility` and `group_id` (group memberships looked up once each).
async fn revision_seen(db: &Db, viewer: Option<&Actor>, visibility: &str, group_id: Option<i64>, member_of: &mut HashMap<i64, bool>) -> Result<bool> {
    Ok(match (visibility, viewer, group_id) {
        ("public", _, _) => true,
        ("group", Some(a), Some(g)) => match member_of.get(&g) {
            Some(m) => *m,
            None => {
                let m = a.is_admin || groups::is_member(db, a.id, g).await?;
                member_of.insert(g, m);
                m
            }
        },
        _ => false,
    })
}

/// Whether the actor may delete a story: its author, or, for a story shared
/// in an organisation's name by someone who no longer speaks for it, an
/// active admin of that organisation (who may not edit it).
pub async fn may_delete(db: &Db, actor: &Actor, story: &StoryRow) -> Result<bool> {
    if story.author_person == actor.id {
        return Ok(true);
    }
    let Some(org) = story.author_org else { return Ok(false) };
    let admin = store_orgs::membership(db, org, actor.id).await?.is_some_and(|(role, status)| role == "admin" && status == "active");
    Ok(admin && !author_holds_voice(db, story).await?)
}

/// Who deleted a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeletedBy {
    Author,
    /// An admin of the organisation it was shared in the name of.
    OrgAdmin { org_slug: String, org_name: String },
}

/// Deletes a story (its author, or an admin of the organisation whose name
/// its author no longer may use: [`may_delete`]); the author can restore it
/// for 30 days.
pub async fn delete(db: &Db, mail: Mailer<'_>, actor: &Actor, id: i64) -> Result<DeletedBy> {
    let story = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    let by = if story.author_person == actor.id {
        DeletedBy::Author
    } else if !can_see(db, &story, Some(actor)).await? {
        return Err(CoreError::NotFound);
    } else if may_delete(db, actor, &story).await? {
        DeletedBy::OrgAdmin { org_slug: story.org_slug.clone().unwrap_or_default(), org_name: story.org_name.clone().unwrap_or_default() }
    } else {
        return Err(CoreError::Forbidden("Only the author can delete this story.".into()));
    };
    // Deleting it again would move the start of its restore window (or of
    // a removal by the moderators): it stays as it is.
    if story.deleted_at.is_some() {
        return Err(CoreError::Forbidden(deleted_words(&story).into()));
    }
    let mut tx = db.begin().await?;
    if !store::set_deleted(&mut tx, id, Some(meetinghouse_store::now())).await? {
        // Deleted (or removed) meanwhile.
        return Err(CoreError::Forbidden("This story was deleted a moment ago.".into()));
    }
    crate::search::unindex(&mut tx, db, "story", id).await?;
    if let DeletedBy::OrgAdmin { org_name, .. } = &by {
        // Someone else took down the author's words: the moderators' log
        // keeps who did and the author hears of it, with the way back.
        let note = format!("Deleted from the name of {org_name} by one of its admins.");
        let action = NewAction { moderator: actor.id, report_id: None, target_kind: "story", target_id: id, action: "hide", note: &note, until_at: None };
        store_moderation::insert_action(&mut tx, &action).await?;
        let text = format!(
            "{} deleted your story “{}”, shared in the name of {org_name}. You can restore it under your own name from your page for 30 days.",
            actor.display_name, story.title
        );
        notifications::notify(&mut tx, mail, story.author_person, Kind::Moderation, &text, "/me").await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(by)
}

/// The author restores a deleted story (within 30 days). A story shared in
/// an organisation's voice the author no longer holds comes back in their
/// own name; returns whether it did.
pub async fn restore(db: &Db, actor: &Actor, id: i64) -> Result<bool> {
    let story = store::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
    if story.author_person != actor.id {
        // Someone who may not see it is not told it exists.
        return Err(if can_see(db, &story, Some(actor)).await? {
            CoreError::Forbidden("Only the author can restore this story.".into())
        } else {
            CoreError::NotFound
        });
    }
    // A story the moderators removed comes back only by their decision.
    if story.deleted_at.is_some() && store_moderation::story_removal(db, id).await?.is_some() {
        return Err(CoreError::Forbidden(crate::moderation::STORY_REMOVED.into()));
    }
    match story.deleted_at {
        None => Ok(false),
        Some(at) if meetinghouse_store::now() - at > RESTORE_WINDOW_SECS => {
            Err(CoreError::Forbidden("This story was deleted more than 30 days ago and can no longer be restored.".into()))
        }
        Some(_) => {
            let own_voice = !author_holds_voice(db, &story).await?;
            let mut tx = db.begin().await?;
            // First, so closing the account takes turns with it.
            crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
            store::set_deleted(&mut tx, id, None).await?;
            if own_voice {
                store::set_byline(&mut tx, id, Byline { org: None, voice: "person" }).await?;
            }
            if story.visibility == "public" {
                crate::search::index(&mut tx, db, "story", id, &story.title, &story.body, story.created_at).await?;
            }
            tx.commit().await.map_err(StoreError::from)?;
            Ok(own_voice)
        }
    }
}

/// Public stories, newest first (for the home page and prompt pages).
pub async fn recent(db: &Db, prompt: Option<i64>, limit: i64, offset: i64) -> Result<Vec<StoryRow>> {
    Ok(store::recent_public(db, prompt, limit, offset).await?)
}

/// How many of one's own stories `/me` lists a page.
pub const MINE_PAGE_SIZE: i64 = 50;
/// How many stories a person's profile lists a page.
pub const PROFILE_PAGE_SIZE: i64 = 20;

/// A page of a list of stories, newest first.
#[derive(Debug, Clone)]
pub struct StoryList {
    pub stories: Vec<StoryRow>,
    /// The story the next (older) page starts after, if there is one.
    pub next_before: Option<i64>,
    /// Whether this page starts later than the newest.
    pub later_page: bool,
}

/// Where a page starts: after story `before`, when it is one `fits`
/// (a story gone since the link was made starts the list again).
async fn start_after(db: &Db, before: Option<i64>, fits: impl Fn(&StoryRow) -> bool) -> Result<(store::After, bool)> {
    let Some(before) = before else { return Ok((store::After::START, false)) };
    Ok(match store::by_id(db, before).await? {
        Some(s) if fits(&s) => (store::After { created_at: s.created_at, id: s.id }, true),
        _ => (store::After::START, false),
    })
}

/// Cuts `rows` (a page and one more, if there is one) to a page.
fn listed(mut rows: Vec<StoryRow>, size: i64, later_page: bool) -> StoryList {
    let next_before = if rows.len() as i64 > size {
        rows.truncate(size as usize);
        rows.last().map(|s| s.id)
    } else {
        None
    };
    StoryList { stories: rows, next_before, later_page }
}

/// A person's own stories for their page, [`MINE_PAGE_SIZE`] a page, newest
/// first, after story `before` (or from the newest): drafts and deleted
/// ones too, but not those deleted longer ago than they could be restored
/// (gone for good, or waiting emptied for the purge).
pub async fn mine_page(db: &Db, actor: &Actor, before: Option<i64>) -> Result<StoryList> {
    let deleted_since = meetinghouse_store::now() - RESTORE_WINDOW_SECS;
    let (after, later_page) = start_after(db, before, |s| s.author_person == actor.id).await?;
    let rows = store::own_page(db, actor.id, deleted_since, after, MINE_PAGE_SIZE + 1).await?;
    Ok(listed(rows, MINE_PAGE_SIZE, later_page))
}

/// The first page of [`mine_page`].
pub async fn mine(db: &Db, actor: &Actor) -> Result<Vec<StoryRow>> {
    Ok(mine_page(db, actor, None).await?.stories)
}

/// The stories a person's profile lists, [`PROFILE_PAGE_SIZE`] a page,
/// newest first, after story `before` (or from the newest): public and
/// live ones in their own name or as an organisation's staff. Never an
/// announcement: its byline is the organisation's, not the person's.
/// Shown to whoever may see the profile.
pub async fn on_profile(db: &Db, person: i64, before: Option<i64>) -> Result<StoryList> {
    let (after, later_page) = start_after(db, before, |s| s.author_person == person).await?;
    let rows = store::public_page_by_author(db, person, after, PROFILE_PAGE_SIZE + 1).await?;
    Ok(listed(rows, PROFILE_PAGE_SIZE, later_page))
}

#[cfg(test)]
mod tests {
    use super::years_in;

    #[test]
    fn periods_as_people_say_them() {
        assert_eq!(years_in("summer 1985"), Some((1985, 1985)));
        assert_eq!(years_in("the 1980s"), Some((1980, 1989)));
        assert_eq!(years_in("1914-1918"), Some((1914, 1918)));
        assert_eq!(years_in("when I was small"), None);
        assert_eq!(years_in("12345"), None);
    }
}
