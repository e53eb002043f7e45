//! The collection: objects an organisation keeps, imported from its
//! collection system, and the pages and stories about them.
//!
//! Who may do what: an organisation's active staff and admins import its
//! records (in the browser, [`jobs`]), check a file without importing it,
//! see the private fields of its objects, and withdraw an object or put it
//! back ([`withdraw`]); only its admins may have an import withdraw the
//! objects its file does not have. Instance admins, the meeting house's
//! moderators, may do all of that, open an organisation's collection for
//! its first import, and withdraw an object or a whole collection as a
//! moderation decision, which only they undo. The operator's command line
//! (`meetinghouse import objects`) imports into any organisation.

pub mod import;
pub mod jobs;
pub mod mapping;
pub mod withdraw;

use meetinghouse_store::objects::{self, ObjectRow};
use meetinghouse_store::orgs::OrgRow;
use meetinghouse_store::{Db, StoreError, orgs};

use crate::error::{CoreError, Result};
use crate::{Actor, markdown};

pub use import::{
    Failure, FileError, ImportFailed, ImportOptions, ImportReport, ImportRun, MAX_OBJECTS_PER_ORG, Opened, Progress, RecordError, Unit,
    import_records, import_records_run, open, thousands,
};
pub use mapping::{Format, Mapping};

/// An object page's content.
#[derive(Debug, Clone)]
pub struct ObjectPage {
    pub object: ObjectRow,
    pub org_slug: String,
    pub org_name: String,
    pub description_html: String,
    /// The images at the source that are web addresses (`types::web_url`;
    /// an older import may have stored anything), to link to.
    pub image_urls: Vec<String>,
    /// Fields kept from the source that have no column of their own, that
    /// an import's mapping published: shown to everyone.
    pub extra: Vec<(String, String)>,
    /// The other fields kept from the source, private: only for those who
    /// manage the collection ([`ObjectPage::manages`]); empty for others.
    pub private: Vec<(String, String)>,
    /// Whether the viewer manages the organisation's collection: its active
    /// staff or admins, or an instance admin.
    pub manages: bool,
    /// Whether the viewer is one of the meeting house's moderators (an
    /// instance admin).
    pub moderator: bool,
    /// The moderators withdrew it and the viewer does not manage the
    /// collection: the page says only that (its record, title included, is
    /// blanked here, and no stories or conversation are listed).
    pub sealed: bool,
    /// One page of the live stories about it that the viewer may see,
    /// newest first: (id, title).
    pub stories: Vec<(i64, String)>,
    /// Which page of stories that is (from 1), and whether there is another.
    pub stories_page: i64,
    pub more_stories: bool,
}

/// Stories about an object per page.
pub const STORIES_PER_PAGE: i64 = 20;

/// An object page with page `stories_page` (from 1) of the stories about it
/// that the viewer may see: public ones, and those shared with a group they
/// belong to (the rule of [`crate::stories::can_see`]). A page past the last
/// is empty, with `stories_page` as asked.
///
/// A withdrawn object's page says it is no longer in the collection; only
/// those who manage the collection see its record (to put it back). One
/// the moderators withdrew (for its content, say) shows others nothing of
/// it but that: not even its title ([`ObjectPage::sealed`]).
pub async fn page(db: &Db, org_slug: &str, accession: &str, viewer: Option<&Actor>, stories_page: i64) -> Result<ObjectPage> {
    let org = crate::orgs::by_address(db, org_slug).await?.ok_or(CoreError::NotFound)?;
    let mut object = objects::by_accession(db, org.id, accession).await?.ok_or(CoreError::NotFound)?;
    let manages = match viewer {
        Some(a) => manages(db, a, org.id).await?,
        None => false,
    };
    let sealed = sealed(&object, manages);
    if sealed {
        object = sealed_row(object);
    }
    let image_urls: Vec<String> = serde_json::from_str::<Vec<String>>(&object.image_urls)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|u| crate::types::web_url(&u).map(str::to_string))
        .collect();
    let extra = fields_of(&object.extra);
    let private = if manages { fields_of(&object.extra_private) } else { Vec::new() };
    let stories_page = stories_page.max(1);
    let audience = crate::prompts::audience(db, viewer).await?;
    let offset = (stories_page - 1).saturating_mul(STORIES_PER_PAGE);
    let mut stories =
        if sealed { Vec::new() } else { objects::stories_about(db, object.id, &audience, STORIES_PER_PAGE + 1, offset).await? };
    let more_stories = stories.len() as i64 > STORIES_PER_PAGE;
    stories.truncate(STORIES_PER_PAGE as usize);
    Ok(ObjectPage {
        stories_page,
        more_stories,
        description_html: markdown::render(&object.description),
        org_slug: org.slug,
        org_name: org.name,
        image_urls,
        extra,
        private,
        manages,
        moderator: viewer.is_some_and(|a| a.is_admin),
        sealed,
        stories,
        object,
    })
}

/// Whether an object is shown to someone as withdrawn by the moderators and
/// nothing more: it is, and they do not manage its collection (its staff
/// and admins, and instance admins, still see it).
pub fn sealed(object: &ObjectRow, manages: bool) -> bool {
    object.withdrawn() && object.withdrawn_how == objects::BY_MODERATION && !manages
}

/// What a page may show of an object the moderators withdrew, to someone
/// who does not manage its collection: its id, accession number and that
/// it was withdrawn.
fn sealed_row(o: ObjectRow) -> ObjectRow {
    ObjectRow {
        title: WITHDRAWN_TITLE.to_string(),
        makers: String::new(),
        display_date: String::new(),
        earliest_year: None,
        latest_year: None,
        medium: String::new(),
        dimensions: String::new(),
        description: String::new(),
        credit_line: String::new(),
        rights: String::new(),
        image_urls: "[]".into(),
        source_url: String::new(),
        classification: String::new(),
        extra: "{}".into(),
        extra_private: "{}".into(),
        withdrawn_note: String::new(),
        ..o
    }
}

/// The title shown for an object the moderators withdrew, to those who do
/// not manage its collection.
pub const WITHDRAWN_TITLE: &str = "A withdrawn object";

/// The fields of an object's extra JSON, to show (empty ones left out, each
/// cut to 500 characters).
fn fields_of(json: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    serde_json::Value::Null => return None,
                    serde_json::Value::String(s) if s.trim().is_empty() => return None,
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                Some((k, text.chars().take(500).collect()))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the actor manages an organisation's collection: its active staff
/// or admins, or an instance admin.
pub async fn manages(db: &Db, actor: &Actor, org: i64) -> Result<bool> {
    Ok(actor.is_admin || crate::orgs::is_staff(db, org, actor.id).await?)
}

/// Whether the actor is an active admin of the organisation, or an instance admin.
pub async fn is_org_admin(db: &Db, actor: &Actor, org: i64) -> Result<bool> {
    Ok(actor.is_admin || matches!(orgs::membership(db, org, actor.id).await?, Some((r, s)) if r == "admin" && s == "active"))
}

/// Whether the actor may import into an organisation's collection; its id.
pub async fn ensure_can_import(db: &Db, actor: &Actor, org_address: &str) -> Result<i64> {
    Ok(import_target(db, actor, org_address).await?.id)
}

/// The organisation at an address (its slug in any case) whose collection
/// the actor may import into: its active staff and admins (host staff
/// publish the collection), and the site's admins. An address that names
/// no organisation is not found (never echoed back: it is whatever the
/// address bar held). Whether the import runs at once, waits for an
/// instance admin or is refused is [`jobs::gate`].
pub async fn import_target(db: &Db, actor: &Actor, org_address: &str) -> Result<OrgRow> {
    let org = crate::orgs::by_address(db, org_address).await?.ok_or(CoreError::NotFound)?;
    if manages(db, actor, org.id).await? {
        Ok(org)
    } else {
        Err(CoreError::Forbidden(format!("Only the staff and admins of {} can import its collection.", org.name)))
    }
}

/// Gives the objects stored before migration 0050 their sort key
/// (`objects::sort_key`), a thousand at a time; how many. Run after
/// migrating (`meetinghouse migrate` and every command that migrates) and
/// before each import; once done, one query that finds none.
pub async fn fill_sort_keys(db: &Db) -> Result<u64> {
    let mut done = 0;
    loop {
        let page = objects::unsorted(db, 1_000).await?;
        if page.is_empty() {
            return Ok(done);
        }
        let keys: Vec<(i64, String)> = page.iter().map(|(id, accession)| (*id, objects::sort_key(accession))).collect();
        let mut tx = db.begin().await?;
        objects::set_sort_keys(&mut tx, &keys).await?;
        tx.commit().await.map_err(StoreError::from)?;
        done += keys.len() as u64;
    }
}

/// An object's title where a story names it: a withdrawn object's says it is
/// no longer in the collection.
pub fn marked_title(title: String, withdrawn: bool) -> String {
    if withdrawn { format!("{title} (no longer in the collection)") } else { title }
}

/// The objects a story is about, for its page: (the object's path, its
/// title), a withdrawn one's title saying it is no longer in the collection.
pub async fn story_objects(db: &Db, story: i64) -> Result<Vec<(String, String)>> {
    Ok(objects::of_story_marked(db, story)
        .await?
        .into_iter()
        .map(|(slug, accession, title, withdrawn)| (object_path(&slug, &accession), marked_title(title, withdrawn)))
        .collect())
}

/// What the moderation log says an entry about an object (`object`) or a
/// whole collection (`collection`, the organisation's id) is about, and a
/// link to it; `None` for other kinds of entry.
pub async fn log_entry_words(db: &Db, target_kind: &str, target_id: i64) -> Result<Option<(String, String)>> {
    Ok(match target_kind {
        "object" => Some(match objects::by_id(db, target_id).await? {
            Some(o) => {
                let org = orgs::by_id(db, o.org_id).await?;
                let (slug, name) = org.map(|g| (g.slug, g.name)).unwrap_or_default();
                (format!("the object “{}” ({}) of {name}", o.title, o.accession_number), object_path(&slug, &o.accession_number))
            }
            None => ("an object".to_string(), String::new()),
        }),
        "collection" => Some(match orgs::by_id(db, target_id).await? {
            Some(o) => (format!("the collection of “{}”", o.name), format!("/orgs/{}/objects", o.slug)),
            None => ("a collection".to_string(), String::new()),
        }),
        _ => None,
    })
}

/// The URL-safe path of an object page: every byte but letters, digits
/// and `-_.~` percent-encoded. An accession number of dots alone ("." or
/// "..") would be a dot segment, which browsers resolve away (`/objects/..`
/// is the organisation's page, and by the URL standard so is
/// `/objects/%2E%2E`), so its dots are encoded twice, `%252E` each, and
/// [`accession_in_path`] reads that back. An accession number that is
/// itself "%2E" repeated is encoded byte by byte, so the two never meet.
pub fn object_path(org_slug: &str, accession: &str) -> String {
    format!("/orgs/{org_slug}/objects/{}", accession_segment(accession))
}

/// How a dot of an all-dots accession number is written in its path.
const DOT_TWICE_ENCODED: &str = "%252E";

fn accession_segment(accession: &str) -> String {
    if !accession.is_empty() && accession.bytes().all(|b| b == b'.') {
        return DOT_TWICE_ENCODED.repeat(accession.len());
    }
    let every_byte = repeats(accession, "%2E");
    let mut encoded = String::new();
    for b in accession.bytes() {
        if !every_byte && (b.is_ascii_alphanumeric() || b"-_.~".contains(&b)) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    encoded
}

/// The accession number an object page's path names: `raw` is its segment
/// as the request wrote it, `decoded` as the router percent-decoded it. Only
/// a segment of twice-encoded dots (see [`object_path`]) reads otherwise.
pub fn accession_in_path(raw: &str, decoded: &str) -> String {
    if repeats(raw, DOT_TWICE_ENCODED) { ".".repeat(raw.len() / DOT_TWICE_ENCODED.len()) } else { decoded.to_string() }
}

/// Whether `s` is `unit` one or more times over.
fn repeats(s: &str, unit: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(unit.len()) && s.as_bytes().chunks(unit.len()).all(|c| c == unit.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{accession_in_path, object_path};

    /// Every accession number has a path that leads back to it, and none is
    /// a dot segment a browser would resolve away.
    #[test]
    fn object_paths_lead_back_to_their_accession_numbers() {
        for (accession, segment) in [
            ("TIV/1990 a", "TIV%2F1990%20a"),
            ("1985.12", "1985.12"),
            (".", "%252E"),
            ("..", "%252E%252E"),
            ("...", "%252E%252E%252E"),
            ("%2E", "%25%32%45"),
            ("%2E%2E", "%25%32%45%25%32%45"),
            ("%252E", "%25252E"),
            ("%2e", "%252e"),
            ("~.", "~."),
        ] {
            let path = object_path("museum", accession);
            assert_eq!(path, format!("/orgs/museum/objects/{segment}"), "{accession}");
            // As the router decodes it.
            let mut decoded = Vec::new();
            let mut bytes = segment.bytes();
            while let Some(b) = bytes.next() {
                if b == b'%' {
                    let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()].iter().map(|b| *b as char).collect();
                    decoded.push(u8::from_str_radix(&hex, 16).unwrap());
                } else {
                    decoded.push(b);
                }
            }
            assert_eq!(accession_in_path(segment, &String::from_utf8(decoded).unwrap()), accession, "{segment}");
            let lower = segment.to_ascii_lowercase();
            assert!(!matches!(lower.as_str(), "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."), "{segment} is a dot segment");
        }
    }
}
