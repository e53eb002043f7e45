//! `GET /orgs/{slug}/objects` — an organisation's collection, by accession
//! number with its numbers in order, a page at a time (`?page=N`; a page
//! past the last says so), found by words of the title, makers or accession
//! number (`?q=`). Its staff and admins also see the objects withdrawn from
//! it (`?withdrawn=1`), to put them back; moderators withdraw the whole
//! collection from here.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use meetinghouse_core::collection::{self, thousands};
use meetinghouse_core::orgs;
use meetinghouse_store::objects::{self, Filter};

use crate::error::WebError;
use crate::page::{Page, render_status};
use crate::paging::Pager;
use crate::state::AppState;
use crate::viewer::Viewer;

const PER_PAGE: i64 = 50;

/// The most words a search of one collection takes.
const WORDS_MAX: usize = 8;

#[derive(Template)]
#[template(path = "objects/list.html")]
struct ObjectList {
    page: Page,
    slug: String,
    org_name: String,
    /// How many objects the list has ("1,234"), and whether it is one.
    total: String,
    one: bool,
    /// The words searched for, as typed.
    q: String,
    /// The withdrawn objects are listed (for those who manage the collection).
    withdrawn: bool,
    /// (path, title, makers, date)
    objects: Vec<(String, String, String, String)>,
    /// The list's address with its search, for page links ("…?q=x&").
    base: String,
    prev_page: Option<i64>,
    next_page: Option<i64>,
    /// This page and the last.
    number: i64,
    last: i64,
    can_import: bool,
    /// How many objects were withdrawn, for those who manage the collection.
    withdrawn_count: i64,
    /// The viewer is a moderator (an instance admin).
    moderator: bool,
    /// The moderators withdrew the whole collection.
    held: bool,
    /// An import waits for an instance admin (shown to those who manage it).
    waiting: bool,
    /// The page asked for is past the end: (page asked, last page).
    past_end: Option<(i64, i64)>,
}

impl ObjectList {
    /// The address of page `n` of this list (its search kept).
    fn page_link(&self, n: &i64) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}page={n}", self.base)
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, uri: Uri, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    // (Parsed first: an address that cannot be a slug names nothing.)
    let org = orgs::by_address(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    if let Some(to) = super::own_address(&uri, &org.slug) {
        return Ok(to);
    }
    let slug = org.slug;
    // A page that is not a number is not a page; one past the end says so
    // (it used to show the first page as if it were the one asked for).
    let asked = match q.get("page") {
        None => 1,
        Some(p) => p.trim().parse::<i64>().ok().filter(|n| *n >= 1).ok_or(WebError::NotFound)?,
    };
    let manages = match &viewer.actor {
        Some(a) => collection::manages(&state.db, a, org.id).await?,
        None => false,
    };
    let words: String = q.get("q").map(|s| s.trim().chars().take(200).collect()).unwrap_or_default();
    let filter = Filter {
        words: words.split_whitespace().take(WORDS_MAX).map(str::to_string).collect(),
        withdrawn: manages && q.get("withdrawn").is_some_and(|w| w == "1"),
    };
    let total = objects::count_filtered(&state.db, org.id, &filter).await?;
    let last = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let past_end = (asked > last).then_some((asked, last));
    let pager = Pager { number: asked.min(last), size: PER_PAGE };
    let (rows, prev_page, next_page) = if past_end.is_some() {
        (Vec::new(), None, None)
    } else {
        pager.cut(objects::list_filtered(&state.db, org.id, &filter, pager.limit(), pager.offset()).await?)?
    };
    let gate = meetinghouse_store::orgs::collection_gate(&state.db, org.id).await?;
    let (withdrawn_count, waiting) = if manages {
        let all = Filter { withdrawn: true, ..Filter::default() };
        (objects::count_filtered(&state.db, org.id, &all).await?, meetinghouse_store::collection_imports::has_waiting(&state.db, org.id).await?)
    } else {
        (0, false)
    };
    let mut query = Vec::new();
    if !words.is_empty() {
        query.push(format!("q={}", percent_encoding::utf8_percent_encode(&words, percent_encoding::NON_ALPHANUMERIC)));
    }
    if filter.withdrawn {
        query.push("withdrawn=1".to_string());
    }
    let base = if query.is_empty() { format!("/orgs/{slug}/objects") } else { format!("/orgs/{slug}/objects?{}", query.join("&")) };
    let status = if past_end.is_some() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    Ok(render_status(status, &ObjectList {
        // Each page and each search has its own title (WCAG 2.4.2).
        page: Page::new(&viewer, {
            let title = if words.is_empty() { format!("Collection: {}", org.name) } else { format!("Collection: {}, search for “{words}”", org.name) };
            match past_end {
                Some((asked, _)) => format!("{title}: there is no page {asked}"),
                None => crate::page::paged(&title, pager.number),
            }
        }),
        total: thousands(total),
        one: total == 1,
        q: words,
        withdrawn: filter.withdrawn,
        objects: rows
            .into_iter()
            .map(|o| (collection::object_path(&slug, &o.accession_number), o.title, o.makers, o.display_date))
            .collect(),
        base,
        slug,
        org_name: org.name,
        prev_page,
        next_page,
        number: pager.number,
        last,
        can_import: manages,
        withdrawn_count,
        moderator: viewer.actor.as_ref().is_some_and(|a| a.is_admin),
        held: gate.collection_held_at.is_some(),
        waiting,
        past_end,
    }))
}
