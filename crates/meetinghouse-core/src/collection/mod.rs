//! The collection: objects an organisation keeps, imported from its
//! collection system, and the pages and stories about them.

pub mod import;
pub mod mapping;

use meetinghouse_store::objects::{self, ObjectRow};
use meetinghouse_store::orgs::OrgRow;
use meetinghouse_store::{Db, orgs};

use crate::error::{CoreError, Result};
use crate::{Actor, markdown};

pub use import::{Failure, FileError, ImportFailed, ImportOptions, ImportReport, Opened, RecordError, Unit, import_records, open};
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
    /// Fields kept from the source that have no column of their own.
    pub extra: Vec<(String, String)>,
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
pub async fn page(db: &Db, org_slug: &str, accession: &str, viewer: Option<&Actor>, stories_page: i64) -> Result<ObjectPage> {
    let org = crate::orgs::by_address(db, org_slug).await?.ok_or(CoreError::NotFound)?;
    let object = objects::by_accession(db, org.id, accession).await?.ok_or(CoreError::NotFound)?;
    let image_urls: Vec<String> = serde_json::from_str::<Vec<String>>(&object.image_urls)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|u| crate::types::web_url(&u).map(str::to_string))
        .collect();
    let extra = match serde_json::from_str::<serde_json::Value>(&object.extra) {
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
    };
    let stories_page = stories_page.max(1);
    let audience = crate::prompts::audience(db, viewer).await?;
    let offset = (stories_page - 1).saturating_mul(STORIES_PER_PAGE);
    let mut stories = objects::stories_about(db, object.id, &audience, STORIES_PER_PAGE + 1, offset).await?;
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
        stories,
        object,
    })
}

/// Whether the actor may import into an organisation's collection; its id.
pub async fn ensure_can_import(db: &Db, actor: &Actor, org_address: &str) -> Result<i64> {
    Ok(import_target(db, actor, org_address).await?.id)
}

/// The organisation at an address (its slug in any case) whose collection
/// the actor may import into: its admins and the site's may. An address that
/// names no organisation is not found (never echoed back: it is whatever
/// the address bar held).
pub async fn import_target(db: &Db, actor: &Actor, org_address: &str) -> Result<OrgRow> {
    let org = crate::orgs::by_address(db, org_address).await?.ok_or(CoreError::NotFound)?;
    let admin = matches!(orgs::membership(db, org.id, actor.id).await?, Some((r, s)) if r == "admin" && s == "active");
    if admin || actor.is_admin {
        Ok(org)
    } else {
        Err(CoreError::Forbidden(format!("Only admins of {} can import its collection.", org.name)))
    }
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
