//! `GET /orgs/{slug}/objects/{accession}` — an object, the stories about it
//! that the viewer may see (`?page=N`, a page at a time) and "Share your
//! story about this object"; `GET /objects/{id}` redirects there (search
//! results link by id); `GET …/label` prints its label. An accession number
//! of dots alone is written with its dots encoded twice
//! (`collection::object_path`), read back here from the path as written.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use meetinghouse_core::collection::{self, ObjectPage};
use meetinghouse_core::subjects::Subject;

use crate::error::WebError;
use crate::page::{Page, render, render_status};
use crate::routes::conversations::Section;
use crate::routes::labels::{QR_LABEL, qr_svg};
use crate::routes::labels::show::Label;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "objects/show.html")]
struct ObjectShow {
    page: Page,
    o: ObjectPage,
    path: String,
    url: String,
    description: String,
    json_ld: String,
    section: Section,
    /// The pages of stories before and after this one.
    prev_page: Option<i64>,
    next_page: Option<i64>,
    /// A page number past the last page of stories was asked for.
    past_end: bool,
}

/// The page of stories asked for: `None` when `page` is not a page number.
fn page_asked(q: &HashMap<String, String>) -> Option<i64> {
    match q.get("page") {
        None => Some(1),
        Some(p) => p.trim().parse::<i64>().ok().filter(|n| *n >= 1),
    }
}

/// The accession number the path names, as written in it (an all-dots
/// one is encoded twice: `collection::object_path`).
fn accession(uri: &Uri, decoded: &str) -> String {
    // "/orgs/{slug}/objects/{accession}…"
    collection::accession_in_path(uri.path().split('/').nth(4).unwrap_or(""), decoded)
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Path((slug, accession)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let accession = self::accession(&uri, &accession);
    let asked = page_asked(&q).ok_or(WebError::NotFound)?;
    let o = collection::page(&state.db, &slug, &accession, viewer.actor.as_ref(), asked).await?;
    if let Some(to) = super::own_address(&uri, &o.org_slug) {
        return Ok(to);
    }
    let past_end = o.stories.is_empty() && o.stories_page > 1;
    // A withdrawn object's page says so: 410, and not in search engines.
    let gone = o.object.withdrawn();
    let prev_page = (o.stories_page > 1 && !past_end).then_some(o.stories_page - 1);
    let next_page = o.more_stories.then_some(o.stories_page + 1);
    let path = collection::object_path(&o.org_slug, &o.object.accession_number);
    let url = format!("{}{path}", state.config.base_url);
    let mut section = crate::routes::conversations::section(&state, &viewer, Subject::Object(o.object.id)).await?;
    // A withdrawn object's conversation is closed (its replies stay to read):
    // the form gives way to why (core `subjects::resolve`).
    if section.convo.archived.is_none() && section.convo.info.closed.is_some() {
        section.convo.archived.clone_from(&section.convo.info.closed);
        for r in &mut section.convo.replies {
            r.archived = true;
        }
    }
    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "VisualArtwork",
        "name": o.object.title,
        "url": url,
        "identifier": o.object.accession_number,
        "provider": {"@type": "Organization", "name": o.org_name},
    });
    for (key, value) in [
        ("creator", &o.object.makers),
        ("dateCreated", &o.object.display_date),
        ("artMedium", &o.object.medium),
        ("description", &o.object.description),
        ("creditText", &o.object.credit_line),
        ("copyrightNotice", &o.object.rights),
    ] {
        if !value.is_empty() {
            ld[key] = serde_json::Value::String(value.clone());
        }
    }
    // Only a web address is a link, here as in the page (rows stored before
    // the import checked it may hold anything).
    if let Some(source) = meetinghouse_core::types::web_url(&o.object.source_url) {
        ld["sameAs"] = serde_json::Value::String(source.to_string());
    }
    let description: String = [o.object.makers.as_str(), o.object.display_date.as_str(), o.object.medium.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let status = if gone {
        StatusCode::GONE
    } else if past_end {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok(render_status(status, &ObjectShow {
        // Blanked for those who may see only that the moderators withdrew it.
        page: Page::new(&viewer, o.object.title.clone()),
        prev_page,
        next_page,
        past_end,
        json_ld: crate::routes::stories::show::json_for_script(&ld),
        description: format!("{} — {} (in the collection of {})", o.object.title, description, o.org_name),
        path,
        url,
        o,
        section,
    }))
}

pub async fn by_id(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let o = meetinghouse_store::objects::by_id(&state.db, id).await?.ok_or(WebError::NotFound)?;
    let org = meetinghouse_store::orgs::by_id(&state.db, o.org_id).await?.ok_or(WebError::NotFound)?;
    Ok(Redirect::permanent(&collection::object_path(&org.slug, &o.accession_number)).into_response())
}

pub async fn label(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Path((slug, accession)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let accession = self::accession(&uri, &accession);
    let o = collection::page(&state.db, &slug, &accession, viewer.actor.as_ref(), 1).await?;
    if let Some(to) = super::own_address(&uri, &o.org_slug) {
        return Ok(to);
    }
    let path = collection::object_path(&o.org_slug, &o.object.accession_number);
    if o.object.withdrawn() {
        return Err(WebError::Forbidden("This object is no longer in the collection, so it has no label.".into()));
    }
    let url = format!("{}{path}", state.config.base_url);
    let mut kicker = o.org_name.clone();
    if !o.object.makers.is_empty() {
        kicker = format!("{} · {kicker}", o.object.makers);
    }
    Ok(render(&Label {
        page: Page::new(&viewer, format!("Label: {}", o.object.title)),
        poster: q.get("size").is_some_and(|s| s == "a4"),
        kicker,
        qr: qr_svg(&url, QR_LABEL),
        heading: o.object.title,
        number: Some(o.object.accession_number),
        invitation: "Does this object remind you of something? Scan to share your story about it.".into(),
        back: path,
        url,
    }))
}
