//! Stories: write, show, edit (with history), delete and restore.
pub mod delete;
pub mod edit;
pub mod history;
pub mod new;
pub mod remove_version;
pub mod show;

use meetinghouse_core::persona::{self, Persona};
use meetinghouse_core::stories::StoryForm;
use meetinghouse_core::{Actor, Db, FieldErrors, groups};

use crate::error::WebError;
use crate::forms::FormData;

/// What the story form offers the person: their voices and their groups.
pub struct Choices {
    pub personas: Vec<(String, String)>,
    /// The groups they may share with (`group:SLUG`, name).
    pub groups: Vec<(String, String)>,
    pub licences: &'static [(&'static str, &'static str, &'static str)],
    /// Whether "Everyone" is offered under "Who can see it".
    pub everyone: bool,
    /// Groups of theirs not offered for the story being edited, as sharing
    /// it there would be refused ([`edit_choices`]).
    pub not_offered: Vec<String>,
    /// Why the edit form offers less than usual, said at "Who can see it".
    pub audience_note: Option<String>,
}

impl Choices {
    /// Whether "Who can see it" offers `value` (`public`, `draft`, `group:SLUG`).
    pub fn offers(&self, value: &str) -> bool {
        match value {
            "draft" => true,
            "public" => self.everyone,
            v => self.groups.iter().any(|(g, _)| g == v) && !self.not_offered.iter().any(|g| g == v),
        }
    }

    /// Whether "Who can see it" offers only "Only me (a draft)", as on the
    /// edit form of a story kept with a group its author has left: saving
    /// makes it a draft.
    pub fn only_draft(&self) -> bool {
        !self.everyone && self.offered_groups().next().is_none()
    }

    /// The groups "Who can see it" offers.
    pub fn offered_groups(&self) -> impl Iterator<Item = &(String, String)> {
        self.groups.iter().filter(|(v, _)| !self.not_offered.contains(v))
    }
}

pub async fn choices(db: &Db, actor: &Actor) -> Result<Choices, WebError> {
    let personas = persona::available(db, actor).await?.iter().map(|p: &Persona| (p.choice_value(), p.label())).collect();
    let groups = groups::reachable(db, actor.id).await?.into_iter().map(|g| {
        // An archived group takes no new story: it stays listed, marked, so a
        // story already shared with it keeps its choice when edited.
        let name = if g.archived_at.is_some() { format!("{} (archived: takes no new stories)", g.name) } else { g.name };
        (format!("group:{}", g.slug), name)
    })
    .collect();
    Ok(Choices { personas, groups, licences: meetinghouse_core::stories::LICENCES, everyone: true, not_offered: Vec::new(), audience_note: None })
}

/// [`choices`] for editing `story`, offering under "Who can see it" only
/// what saving can take (core `stories::check` refuses the rest), and
/// saying why when that is less than usual:
/// - with replies written for the group it was last shown to on it (core
///   `stories::kept_with`), that group (while its author may share with it)
///   and "Only me (a draft)";
/// - shared with a group its author has left, not that group (their edits
///   would reach people they are no longer among).
///
/// The form starts from the story's own choice when it is offered
/// ([`edit_start`]), else from "Only me (a draft)", which is always offered.
pub async fn edit_choices(db: &Db, actor: &Actor, story: &meetinghouse_store::stories::StoryRow) -> Result<Choices, WebError> {
    let mut c = choices(db, actor).await?;
    // Whether the author may share with a group, by the rule of core `stories::check`.
    let may_share = async |gid: i64| -> Result<bool, WebError> { Ok(actor.is_admin || groups::is_member(db, actor.id, gid).await?) };
    let kept = meetinghouse_core::stories::kept_with(db, story).await?;
    let current = if story.visibility == "group" { story.group_id } else { None };
    for gid in kept.iter().chain(current.iter()) {
        let Some(g) = meetinghouse_store::groups::by_id(db, *gid).await? else { continue };
        let value = format!("group:{}", g.slug);
        let listed = c.groups.iter().any(|(v, _)| *v == value);
        if may_share(g.id).await? {
            // (An instance admin may share with any group.)
            if !listed {
                c.groups.push((value, g.name));
            }
        } else if listed {
            c.not_offered.push(value);
        }
    }
    let group_name = async |gid: i64| -> Result<String, WebError> {
        Ok(meetinghouse_store::groups::by_id(db, gid).await?.map(|g| g.name).unwrap_or_else(|| "its group".into()))
    };
    if let Some(from) = kept {
        let name = group_name(from).await?;
        let stays = may_share(from).await?;
        let value = meetinghouse_store::groups::by_id(db, from).await?.map(|g| format!("group:{}", g.slug));
        c.everyone = false;
        let others: Vec<String> = c.groups.iter().map(|(v, _)| v.clone()).filter(|v| Some(v) != value.as_ref()).collect();
        c.not_offered.extend(others);
        c.audience_note = Some(if stays {
            format!("People replied to this story while only the members of {name} could see it, and wrote their replies for them, so it stays with {name}: keep it shared with them, or choose “Only me (a draft)”. To share what you wrote more widely, start a new story with it.")
        } else {
            format!("People replied to this story while only the members of {name} could see it, so it cannot be shared more widely; and you are no longer a member of {name}, so your changes cannot be shared there. Saving keeps them to yourself: the story becomes a draft (“Only me”).")
        });
    } else if let Some(gid) = current
        && !may_share(gid).await?
    {
        let name = group_name(gid).await?;
        c.audience_note = Some(format!(
            "This story is shared with the members of {name}, but you are no longer a member, so your changes cannot be shared there. Choose “Everyone” or another of your groups to share them there, or “Only me (a draft)” to keep them to yourself (the story then becomes a draft)."
        ));
    }
    c.not_offered.sort();
    c.not_offered.dedup();
    Ok(c)
}

/// Where "Who can see it" starts on the edit form: the first of `wanted`
/// (what was sent, when the form comes back; the story's own choice) that
/// the form offers, else "Only me (a draft)", which it always does.
pub fn edit_start(choices: &Choices, wanted: &[&str]) -> String {
    wanted.iter().find(|w| choices.offers(w)).map_or_else(|| "draft".to_string(), |w| w.to_string())
}

/// A story's own choice under "Who can see it": `public`, `draft` or `group:SLUG`.
pub async fn own_choice(db: &Db, story: &meetinghouse_store::stories::StoryRow) -> Result<String, WebError> {
    Ok(match (story.visibility.as_str(), story.group_id) {
        ("group", Some(gid)) => meetinghouse_store::groups::by_id(db, gid).await?.map(|g| format!("group:{}", g.slug)).unwrap_or_else(|| "draft".into()),
        (v, _) => v.to_string(),
    })
}

/// The collection objects named in a form's `object_ids`: (page path, title).
pub async fn linked_objects(db: &Db, ids: &str) -> Result<Vec<(String, String)>, WebError> {
    let mut out = Vec::new();
    for id in ids.split([',', ' ']).filter_map(|r| r.trim().parse::<i64>().ok()).take(meetinghouse_core::stories::OBJECTS_MAX) {
        if let Some(o) = meetinghouse_store::objects::by_id(db, id).await?
            && let Some(org) = meetinghouse_store::orgs::by_id(db, o.org_id).await?
        {
            let withdrawn = o.withdrawn();
            out.push((meetinghouse_core::collection::object_path(&org.slug, &o.accession_number), meetinghouse_core::collection::marked_title(o.title, withdrawn)));
        }
    }
    Ok(out)
}

/// One photo slot on the story form: an uploaded photo (with its thumbnail)
/// or an empty file input, with what the person typed for it and the
/// problems found with it.
pub struct PhotoSlot {
    pub index: usize,
    pub number: usize,
    pub media_id: String,
    pub thumb: String,
    pub alt: String,
    pub caption: String,
    pub file_error: Option<String>,
    pub alt_error: Option<String>,
    pub caption_error: Option<String>,
}

/// New photos offered per visit to the form (more can be added after saving).
const NEW_SLOTS: usize = 3;

/// Whether the person may put an uploaded photo on the form: their own
/// upload, or one already on the story being edited (`existing`).
async fn usable_photo(db: &Db, actor: &Actor, id: i64, existing: &[i64]) -> Result<Option<meetinghouse_store::media::MediaRow>, WebError> {
    Ok(meetinghouse_store::media::by_id(db, id).await?.filter(|m| m.owner_person == actor.id || existing.contains(&m.id)))
}

/// The slots to show: the photos already attached (`photo_id_N`), then empty
/// ones, never more than ten in all, each with the alt text and caption
/// typed for it and its errors. Only the person's own uploads, or photos
/// already on the story being edited (`existing`), are shown; a submitted
/// form has been through [`take_photos`], which numbered the photos it kept
/// from 0 with the same rule, so slot N is the form's (and the errors') N.
pub async fn photo_slots(db: &Db, actor: &Actor, data: &FormData, existing: &[i64], errors: &FieldErrors) -> Result<Vec<PhotoSlot>, WebError> {
    use meetinghouse_core::stories::photo_field;
    let slot = |index: usize, media_id: String, thumb: String| PhotoSlot {
        index,
        number: index + 1,
        media_id,
        thumb,
        alt: data.get(&format!("photo_alt_{index}")).to_string(),
        caption: data.get(&format!("photo_caption_{index}")).to_string(),
        file_error: errors.get(photo_field("file", index)).map(str::to_string),
        alt_error: errors.get(photo_field("alt", index)).map(str::to_string),
        caption_error: errors.get(photo_field("caption", index)).map(str::to_string),
    };
    let mut slots = Vec::new();
    for i in 0..meetinghouse_core::media::PHOTOS_MAX {
        let Ok(id) = data.get(&format!("photo_id_{i}")).parse::<i64>() else { continue };
        let Some(m) = usable_photo(db, actor, id, existing).await? else { continue };
        let thumb = meetinghouse_core::media::shown(m.id, &m.variants, m.width, m.height, "", "").src;
        slots.push(slot(slots.len(), id.to_string(), thumb));
    }
    let empty = NEW_SLOTS.min(meetinghouse_core::media::PHOTOS_MAX - slots.len());
    for _ in 0..empty {
        slots.push(slot(slots.len(), String::new(), String::new()));
    }
    Ok(slots)
}

/// On submit: stores newly uploaded photos, drops the ones marked for
/// removal, and returns the form with its photo fields renumbered (so a
/// form shown again keeps every uploaded photo), the photos in order, and
/// any problems: upload refusals (on the empty slot the form shows next,
/// with the alt text and caption typed for the photo kept there) and
/// photos on the form that the person may not use or that are gone (a
/// photo left unused for a day is removed). `existing` are the photos of
/// the story being edited. When the media store has no room for a photo,
/// the photos the form sent before it are removed as well, and the answer
/// is the "out of disk space" page (503) with the title and the story's
/// text to copy: nothing the form sent was stored.
pub async fn take_photos(
    state: &crate::state::AppState,
    actor: &Actor,
    data: FormData,
    files: Vec<crate::forms::UploadedFile>,
    unread: &[crate::forms::UnreadFile],
    existing: &[i64],
) -> Result<(FormData, Vec<meetinghouse_core::stories::PhotoInput>, FieldErrors), WebError> {
    use meetinghouse_core::stories::{PhotoInput, photo_field};
    let mut photos = Vec::new();
    let mut errors = FieldErrors::new();
    // (file name, why, alt text, caption)
    let mut refused: Vec<(String, String, String, String)> = Vec::new();
    let mut missing = 0;
    // The photos this form sent that were stored.
    let mut uploaded: Vec<i64> = Vec::new();
    // A story has at most PHOTOS_MAX photos: the photos kept from before
    // come first, and a file past that many is refused before it is
    // decoded or stored (the slots a form can send number more).
    let slots = meetinghouse_core::media::PHOTOS_MAX + NEW_SLOTS;
    let mut kept_ids: Vec<i64> = (0..slots)
        .filter(|i| {
            let slot = format!("photo_file_{i}");
            !data.checked(&format!("photo_remove_{i}")) && !files.iter().any(|f| f.field == slot) && !unread.iter().any(|u| u.field == slot)
        })
        .filter_map(|i| data.get(&format!("photo_id_{i}")).parse::<i64>().ok())
        .collect();
    // (One sent twice is kept once.)
    kept_ids.sort_unstable();
    kept_ids.dedup();
    let kept_before = kept_ids.len();
    let mut room = meetinghouse_core::media::PHOTOS_MAX.saturating_sub(kept_before);
    for i in 0..slots {
        let alt = data.get(&format!("photo_alt_{i}")).to_string();
        let caption = data.get(&format!("photo_caption_{i}")).to_string();
        let slot = format!("photo_file_{i}");
        let file = files.iter().find(|f| f.field == slot);
        let not_read = unread.iter().find(|u| u.field == slot);
        let media_id = if data.checked(&format!("photo_remove_{i}")) {
            None
        } else if let Some(u) = not_read {
            refused.push((u.filename.clone(), unread_words(u.why, state.config.media_limits.max_bytes), alt, caption));
            continue;
        } else if let Some(file) = file {
            if room == 0 {
                refused.push((file.filename.clone(), too_many_photos(), alt, caption));
                continue;
            }
            room -= 1;
            if let Err(message) = state.limits.photo(&actor.id.to_string()) {
                refused.push((file.filename.clone(), message.to_string(), alt, caption));
                continue;
            }
            let kept = |e: WebError| e.keeping(&[("Title", data.get("title")), ("Your story", data.get("body"))]);
            match meetinghouse_core::media::upload(&state.db, &state.config.media, actor, file.bytes.clone(), state.config.media_limits).await {
                Ok(Ok(id)) => {
                    uploaded.push(id);
                    Some(id)
                }
                // No room left in the media store: nothing of the form is
                // kept (the photos it sent before this one are removed
                // too), and the page says so, with what was typed to copy.
                Ok(Err(e)) if e.storage_full() => {
                    for id in uploaded {
                        meetinghouse_core::media::discard(&state.db, &state.config.media, actor, id).await.map_err(|e| kept(e.into()))?;
                    }
                    return Err(kept(WebError::DiskFull(Vec::new())));
                }
                Ok(Err(e)) => {
                    refused.push((file.filename.clone(), e.0, alt, caption));
                    continue;
                }
                Err(e) => return Err(kept(e.into())),
            }
        } else if let Ok(id) = data.get(&format!("photo_id_{i}")).parse::<i64>() {
            if usable_photo(&state.db, actor, id, existing).await?.is_some() {
                Some(id)
            } else {
                missing += 1;
                None
            }
        } else {
            None
        };
        // A photo sent twice (`photo_id_0=4&photo_id_1=4`) is on the story once.
        if let Some(media_id) = media_id
            && !photos.iter().any(|p: &PhotoInput| p.media_id == media_id)
        {
            photos.push(PhotoInput { media_id, alt, caption });
        }
    }
    let mut out = data.without_prefix("photo_");
    for (i, p) in photos.iter().enumerate() {
        out = out.with(&format!("photo_id_{i}"), &p.media_id.to_string()).with(&format!("photo_alt_{i}"), &p.alt).with(&format!("photo_caption_{i}"), &p.caption);
    }
    if missing > 0 {
        let message = if missing == 1 {
            "A photo you added before could not be found: please add it again.".to_string()
        } else {
            format!("{missing} photos you added before could not be found: please add them again.")
        };
        errors.add("photos", message);
    }
    if unread.iter().any(|u| u.why == crate::forms::Unread::Busy) {
        errors.add("form", crate::forms::UPLOADS_BUSY);
    }
    // Refusals are reported on the empty slots after the kept photos, where
    // the form shows again what was typed for them; past the last slot,
    // they are said together on the last one.
    let mut said: Vec<(usize, String)> = Vec::new();
    for (k, (name, message, alt, caption)) in refused.iter().enumerate() {
        let index = (photos.len() + k).min(meetinghouse_core::media::PHOTOS_MAX - 1);
        let words = format!("“{name}” was not added: {message}");
        match said.iter_mut().find(|(i, _)| *i == index) {
            Some((_, all)) => {
                all.push(' ');
                all.push_str(&words);
            }
            None => {
                said.push((index, words));
                out = out.with(&format!("photo_alt_{index}"), alt).with(&format!("photo_caption_{index}"), caption);
            }
        }
    }
    for (index, words) in said {
        errors.add(photo_field("file", index), words);
    }
    Ok((out, photos, errors))
}

/// Why a photo past the most a story can have was not added.
fn too_many_photos() -> String {
    format!("a story can have at most {} photos. Remove one of them to add this one.", meetinghouse_core::media::PHOTOS_MAX)
}

/// Why a photo was not added, after "“name” was not added: ".
fn unread_words(why: crate::forms::Unread, max_bytes: usize) -> String {
    use crate::forms::{TURN_DEADLINE_SECS, Unread, UPLOAD_TURNS_PER_HOUR};
    match why {
        Unread::TooLarge => format!("it is larger than {}, the limit for one photo.", crate::forms::size_words(max_bytes)),
        Unread::Busy => "the server was busy with other uploads. Choose it again and send the form in a minute.".into(),
        Unread::TooSlow => format!(
            "it was arriving too slowly to finish in {} minutes. Choose it again, with fewer photos at a time (you can add more after saving), or where your connection is better.",
            TURN_DEADLINE_SECS / 60
        ),
        Unread::TooOften => {
            format!("you have sent photos {UPLOAD_TURNS_PER_HOUR} times in the last hour, the most the server takes. Please wait a while, then choose it again.")
        }
        Unread::AlreadySending => "you are already sending photos from another window or tab. Wait until that has finished, then choose it again.".into(),
        Unread::NotWanted => "choose it again when you send the form.".into(),
    }
}

/// The status a story form comes back with: 429 when a photo was refused
/// for the server's sake (busy, or sent too often), else 422.
pub fn refused_status(unread: &[crate::forms::UnreadFile]) -> axum::http::StatusCode {
    use crate::forms::Unread;
    if unread.iter().any(|u| matches!(u.why, Unread::Busy | Unread::TooOften | Unread::AlreadySending)) {
        axum::http::StatusCode::TOO_MANY_REQUESTS
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Applies the form's "share it without linking" choices, offered when a
/// story's prompt can no longer be answered or a collection object it names
/// is gone: `drop_prompt` removes the prompt, `drop_missing_objects` keeps
/// only the objects that still exist.
pub async fn drop_unwanted_links(db: &Db, data: FormData) -> Result<FormData, WebError> {
    let mut data = data;
    if data.checked("drop_prompt") {
        data = data.without_prefix("prompt_id").without_prefix("drop_prompt");
    }
    if data.checked("drop_missing_objects") {
        let mut kept: Vec<String> = Vec::new();
        for raw in data.get("object_ids").split([',', ' ']).map(str::trim).filter(|r| !r.is_empty()) {
            let Ok(id) = raw.parse::<i64>() else { continue };
            if kept.len() < meetinghouse_core::stories::OBJECTS_MAX
                && !kept.contains(&id.to_string())
                && meetinghouse_store::objects::by_id(db, id).await?.is_some_and(|o| !o.withdrawn())
            {
                kept.push(id.to_string());
            }
        }
        data = data.without_prefix("object_ids").without_prefix("drop_missing_objects").with("object_ids", &kept.join(","));
    }
    Ok(data)
}

/// On the edit form of a story shared in an organisation's voice its author
/// no longer holds: what saving will change.
pub fn voice_notice(story: &meetinghouse_store::stories::StoryRow, choices: &Choices) -> Option<String> {
    let stored = meetinghouse_core::stories::speak_as_of(story);
    if choices.personas.iter().any(|(value, _)| *value == stored) {
        return None;
    }
    let org = story.org_name.clone().unwrap_or_default();
    let label = meetinghouse_core::stories::author_label(story);
    Some(if choices.personas.len() > 1 {
        format!("This story was shared as “{label}”, but you no longer speak for {org} here. When you save your changes, it will be shared as you choose under “Share as”.")
    } else {
        format!("This story was shared as “{label}”, but you no longer speak for {org} here. When you save your changes, it will be shared under your own name.")
    })
}

/// Whether the story form (new or edit) has a field of this name: what an
/// upload to it may send (besides its token).
pub fn form_field(name: &str) -> bool {
    const FIELDS: [&str; 18] = [
        "speak_as", "title", "body", "place_name", "latitude", "longitude", "period_text", "year_from", "year_to", "prompt_id", "licence",
        "consent_people", "consent_minors", "visibility", "object_ids", "drop_missing_objects", "drop_prompt", "consented_photos",
    ];
    const SLOT_PARTS: [&str; 5] = ["photo_file_", "photo_alt_", "photo_caption_", "photo_id_", "photo_remove_"];
    FIELDS.contains(&name)
        || SLOT_PARTS.iter().any(|part| name.strip_prefix(part).is_some_and(|n| (0..SLOTS_MAX).any(|i| n == i.to_string())))
}

/// The photo slots a form may send: as many as [`take_photos`] looks at.
const SLOTS_MAX: usize = meetinghouse_core::media::PHOTOS_MAX + NEW_SLOTS;

/// Reads the story form's fields.
pub fn story_form(data: &FormData) -> StoryForm {
    StoryForm {
        speak_as: data.get("speak_as").into(),
        title: data.get("title").into(),
        body: data.get("body").into(),
        place_name: data.get("place_name").into(),
        latitude: data.get("latitude").into(),
        longitude: data.get("longitude").into(),
        period_text: data.get("period_text").into(),
        year_from: data.get("year_from").into(),
        year_to: data.get("year_to").into(),
        prompt_id: data.get("prompt_id").into(),
        licence: data.get("licence").into(),
        consent_people: data.checked("consent_people"),
        consent_minors: data.checked("consent_minors"),
        visibility: data.get("visibility").into(),
        photo_count: 0,
        object_ids: data.get("object_ids").into(),
        photos: Vec::new(),
        consent_covers: consent_covers(data),
    }
}

/// The photos the consent boxes were shown ticked for (`consented_photos`,
/// the edit form's record of the consent given before), or `None` when
/// they were not shown ticked: then a tick was given on the form itself.
fn consent_covers(data: &FormData) -> Option<Vec<i64>> {
    if !data.contains("consented_photos") {
        return None;
    }
    Some(data.get("consented_photos").split(',').filter_map(|id| id.trim().parse().ok()).collect())
}

/// The edit form as it comes back after a problem: boxes that came ticked
/// for the photos the story had do not cover photos added since, so they
/// come back unticked (ticked again, they cover every photo shown).
pub fn consent_for_shown_photos(data: FormData, photos: &[meetinghouse_core::stories::PhotoInput]) -> FormData {
    match consent_covers(&data) {
        Some(covers) if photos.iter().any(|p| !covers.contains(&p.media_id)) => {
            data.without_prefix("consent_people").without_prefix("consent_minors").without_prefix("consented_photos")
        }
        _ => data,
    }
}
