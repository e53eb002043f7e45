//! Photos people upload: through the media pipeline (types, limits,
//! orientation, metadata stripped, sizes) into the media store, recorded
//! as theirs. What a page needs to show one responsively.

use meetinghouse_media::{Limits, MediaStore, Processed};
use meetinghouse_store::media::{self as store, NewMedia};

use crate::error::{CoreError, Result};
use crate::{Actor, Db};

/// At most this many photos per story.
pub const PHOTOS_MAX: usize = 10;
/// Longest alt text and caption, in characters.
pub const ALT_MAX: usize = 500;

/// Why an upload was refused, for the person who sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadError(pub String);

/// Processes and stores an upload as the actor's; returns the media id.
/// The image work runs on the blocking pool, off the request threads.
pub async fn upload(db: &Db, media: &MediaStore, actor: &Actor, bytes: Vec<u8>, limits: Limits) -> Result<std::result::Result<i64, UploadError>> {
    let processed = tokio::task::spawn_blocking(move || meetinghouse_media::process(&bytes, &limits))
        .await
        .map_err(|e| CoreError::Internal(format!("image processing stopped: {e}")))?;
    let p: Processed = match processed {
        Ok(p) => p,
        Err(e) => return Ok(Err(UploadError(e.to_string()))),
    };
    for v in p.all() {
        media.put(&v.key, &v.bytes, v.mime).await.map_err(|e| CoreError::Internal(e.to_string()))?;
    }
    let variants: Vec<(String, u32, u32)> = p.all().map(|v| (v.key.clone(), v.width, v.height)).collect();
    let id = store::insert(db, &NewMedia {
        owner_person: actor.id,
        master_key: &p.master.key,
        width: i64::from(p.master.width),
        height: i64::from(p.master.height),
        mime: p.master.mime,
        variants: &serde_json::to_string(&variants).unwrap_or_else(|_| "[]".into()),
    })
    .await?;
    Ok(Ok(id))
}

/// A photo as a page shows it: a default source, a `srcset` of every size,
/// its intrinsic size (so the page does not jump), alt text and caption.
#[derive(Debug, Clone)]
pub struct Shown {
    pub media_id: i64,
    pub src: String,
    pub srcset: String,
    pub width: i64,
    pub height: i64,
    pub alt: String,
    pub caption: String,
}

/// The URL of a stored image.
pub fn url(key: &str) -> String {
    format!("/media/{key}")
}

pub fn shown(media_id: i64, variants_json: &str, width: i64, height: i64, alt: &str, caption: &str) -> Shown {
    let variants: Vec<(String, u32, u32)> = serde_json::from_str(variants_json).unwrap_or_default();
    let srcset = variants.iter().map(|(k, w, _)| format!("{} {w}w", url(k))).collect::<Vec<_>>().join(", ");
    // The 800-wide derivative (or the largest below it) as the default.
    let src = variants.iter().rfind(|(_, w, _)| *w <= 800).or(variants.first()).map(|(k, _, _)| url(k)).unwrap_or_default();
    Shown { media_id, src, srcset, width, height, alt: alt.to_string(), caption: caption.to_string() }
}

/// A story's photos, ready to show.
pub async fn story_photos(db: &Db, story: i64) -> Result<Vec<Shown>> {
    Ok(store::photos_of_story(db, story)
        .await?
        .into_iter()
        .map(|p| shown(p.media_id, &p.variants, p.width, p.height, &p.alt, &p.caption))
        .collect())
}

/// A media item the actor uploaded (to attach it), as a thumbnail.
pub async fn own(db: &Db, actor: &Actor, id: i64) -> Result<Option<Shown>> {
    Ok(store::by_id(db, id).await?.filter(|m| m.owner_person == actor.id || actor.is_admin).map(|m| shown(m.id, &m.variants, m.width, m.height, "", "")))
}
