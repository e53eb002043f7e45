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
        if let Some(o) = meetinghouse_store::objects::by_id(db, id).await? {
            if let Some(org) = meetinghouse_store::orgs::by_id(db, o.org_id).await? {
                out.push((meetinghouse_core::collection::object_path(&org.slug, &o.accession_number), o.title));
            }
        }
    }
    Ok(out)
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
    }
}
