//! The collection: objects an organisation keeps, imported from its
//! collection system, and the pages and stories about them.

pub mod import;
pub mod mapping;

use meetinghouse_store::objects::{self, ObjectRow};
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
    let org = orgs::by_slug(db, org_slug).await?.ok_or(CoreError::NotFound)?;
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

/// Whether the actor may import into an organisation's collection.
pub async fn ensure_can_import(db: &Db, actor: &Actor, org_slug: &str) -> Result<i64> {
    let org = orgs::by_slug(db, org_slug).await?.ok_or_else(|| CoreError::Forbidden(format!("There is no organisation “{org_slug}”.")))?;
    let admin = matches!(orgs::membership(db, org.id, actor.id).await?, Some((r, s)) if r == "admin" && s == "active");
    if admin || actor.is_admin {
        Ok(org.id)
    } else {
        Err(CoreError::Forbidden(format!("Only admins of {} can import its collection.", org.name)))
    }
}

/// The URL-safe path of an object page.
pub fn object_path(org_slug: &str, accession: &str) -> String {
    let mut encoded = String::new();
    for b in accession.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("/orgs/{org_slug}/objects/{encoded}")
}
