//! Stories: write, show, edit (with history), delete and restore.
pub mod delete;
pub mod edit;
pub mod history;
pub mod new;
pub mod show;

use meetinghouse_core::persona::{self, Persona};
use meetinghouse_core::stories::StoryForm;
use meetinghouse_core::{Actor, Db, groups};

use crate::error::WebError;
use crate::forms::FormData;

/// What the story form offers the person: their voices and their groups.
pub struct Choices {
    pub personas: Vec<(String, String)>,
    pub groups: Vec<(String, String)>,
    pub licences: &'static [(&'static str, &'static str, &'static str)],
}

pub async fn choices(db: &Db, actor: &Actor) -> Result<Choices, WebError> {
    let personas = persona::available(db, actor).await?.iter().map(|p: &Persona| (p.choice_value(), p.label())).collect();
    let groups = groups::reachable(db, actor.id).await?.into_iter().map(|g| (format!("group:{}", g.slug), g.name)).collect();
    Ok(Choices { personas, groups, licences: meetinghouse_core::stories::LICENCES })
}

/// The collection objects named in a form's `object_ids`: (page path, title).
pub async fn linked_objects(db: &Db, ids: &str) -> Result<Vec<(String, String)>, WebError> {
    let mut out = Vec::new();
    for id in ids.split([',', ' ']).filter_map(|r| r.trim().parse::<i64>().ok()).take(meetinghouse_core::stories::OBJECTS_MAX) {
        if let Some(o) = meetinghouse_store::objects::by_id(db, id).await?
            && let Some(org) = meetinghouse_store::orgs::by_id(db, o.org_id).await?
        {
            out.push((meetinghouse_core::collection::object_path(&org.slug, &o.accession_number), o.title));
        }
    }
    Ok(out)
}

/// One photo slot on the story form: an uploaded photo (with its thumbnail)
/// or an empty file input.
pub struct PhotoSlot {
    pub index: usize,
    pub number: usize,
    pub media_id: String,
    pub thumb: String,
    pub alt: String,
    pub caption: String,
}

/// New photos offered per visit to the form (more can be added after saving).
const NEW_SLOTS: usize = 3;

/// The slots to show: the photos already attached (`photo_id_N`), then empty
/// ones, never more than ten in all. Only the person's own uploads, or
/// photos already on the story being edited (`existing`), are shown.
pub async fn photo_slots(db: &Db, actor: &Actor, data: &FormData, existing: &[i64]) -> Result<Vec<PhotoSlot>, WebError> {
    let mut slots = Vec::new();
    for i in 0..meetinghouse_core::media::PHOTOS_MAX {
        let Ok(id) = data.get(&format!("photo_id_{i}")).parse::<i64>() else { continue };
        let thumb = match meetinghouse_store::media::by_id(db, id).await? {
            Some(m) if m.owner_person == actor.id || existing.contains(&m.id) => meetinghouse_core::media::shown(m.id, &m.variants, m.width, m.height, "", "").src,
            _ => continue,
        };
        slots.push(PhotoSlot {
            index: slots.len(),
            number: slots.len() + 1,
            media_id: id.to_string(),
            thumb,
            alt: data.get(&format!("photo_alt_{i}")).to_string(),
            caption: data.get(&format!("photo_caption_{i}")).to_string(),
        });
    }
    let empty = NEW_SLOTS.min(meetinghouse_core::media::PHOTOS_MAX - slots.len());
    for _ in 0..empty {
        slots.push(PhotoSlot { index: slots.len(), number: slots.len() + 1, media_id: String::new(), thumb: String::new(), alt: String::new(), caption: String::new() });
    }
    Ok(slots)
}

/// On submit: stores newly uploaded photos, drops the ones marked for
/// removal, and returns the form with its photo fields renumbered (so a
/// form shown again keeps every uploaded photo), the photos in order, and
/// any upload refusals.
pub async fn take_photos(
    state: &crate::state::AppState,
    actor: &Actor,
    data: FormData,
    files: Vec<crate::forms::UploadedFile>,
) -> Result<(FormData, Vec<meetinghouse_core::stories::PhotoInput>, meetinghouse_core::FieldErrors), WebError> {
    use meetinghouse_core::stories::{PhotoInput, photo_field};
    let mut photos = Vec::new();
    let mut errors = meetinghouse_core::FieldErrors::new();
    let mut refused: Vec<(String, String, String)> = Vec::new();
    for i in 0..meetinghouse_core::media::PHOTOS_MAX + NEW_SLOTS {
        let alt = data.get(&format!("photo_alt_{i}")).to_string();
        let caption = data.get(&format!("photo_caption_{i}")).to_string();
        let file = files.iter().find(|f| f.field == format!("photo_file_{i}"));
        let media_id = if data.checked(&format!("photo_remove_{i}")) {
            None
        } else if let Some(file) = file {
            if let Err(message) = state.limits.photo(&actor.id.to_string()) {
                refused.push((file.filename.clone(), message.to_string(), alt.clone()));
                continue;
            }
            match meetinghouse_core::media::upload(&state.db, &state.config.media, actor, file.bytes.clone(), state.config.media_limits).await? {
                Ok(id) => Some(id),
                Err(e) => {
                    refused.push((file.filename.clone(), e.0, alt.clone()));
                    None
                }
            }
        } else {
            data.get(&format!("photo_id_{i}")).parse::<i64>().ok()
        };
        if let Some(media_id) = media_id {
            photos.push(PhotoInput { media_id, alt, caption });
        }
    }
    let mut out = data.without_prefix("photo_");
    for (i, p) in photos.iter().enumerate() {
        out = out.with(&format!("photo_id_{i}"), &p.media_id.to_string()).with(&format!("photo_alt_{i}"), &p.alt).with(&format!("photo_caption_{i}"), &p.caption);
    }
    for (k, (name, message, _)) in refused.iter().enumerate() {
        // Refusals are reported on the first empty slot after the kept photos.
        let field = photo_field("file", (photos.len() + k).min(meetinghouse_core::media::PHOTOS_MAX - 1));
        errors.add(field, format!("“{name}” was not added: {message}"));
    }
    Ok((out, photos, errors))
}

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
    }
}
