//! Photos people upload: through the media pipeline (types, limits,
//! orientation, metadata stripped, sizes) into the media store, recorded
//! as theirs. What a page needs to show one responsively; who may fetch a
//! stored image; removing the uploads no story uses.

use meetinghouse_media::{Limits, MediaStore, Processed};
use meetinghouse_store::media::{self as store, NewMedia};
use meetinghouse_store::stories as store_stories;

use crate::error::{CoreError, Result};
use crate::{Actor, Db};

/// At most this many photos per story.
pub const PHOTOS_MAX: usize = 10;
/// Longest alt text and caption, in characters.
pub const ALT_MAX: usize = 500;

/// What the person is told when their photo could not be stored.
pub const STORE_FAILED: &str =
    "It could not be saved just now because of a problem on our side. What you wrote is still here: please try adding the photo again in a few minutes.";

/// Why an upload was refused, for the person who sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadError(pub String);

/// Processes and stores an upload as the actor's; returns the media id.
/// The image work runs on the blocking pool, off the request threads. The
/// row (with its keys) is recorded before the bytes are stored: the clean-up
/// ([`remove_unused`]) may be removing the same bytes, left by an earlier
/// upload of the same image, and it leaves (or puts back) the bytes of a
/// key a row has recorded, so the bytes stored here stay. If storing fails
/// (the disk is full, the object store does not answer), the cause is
/// logged and the person is told, as for a refused image, so the form comes
/// back with what they wrote; the row stays unused and the clean-up
/// removes it.
pub async fn upload(db: &Db, media: &MediaStore, actor: &Actor, bytes: Vec<u8>, limits: Limits) -> Result<std::result::Result<i64, UploadError>> {
    let processed = tokio::task::spawn_blocking(move || meetinghouse_media::process(&bytes, &limits))
        .await
        .map_err(|e| CoreError::Internal(format!("image processing stopped: {e}")))?;
    let p: Processed = match processed {
        Ok(p) => p,
        Err(e) => return Ok(Err(UploadError(e.to_string()))),
    };
    let variants: Vec<(String, u32, u32)> = p.all().map(|v| (v.key.clone(), v.width, v.height)).collect();
    let keys: Vec<String> = variants.iter().map(|(k, _, _)| k.clone()).collect();
    let id = store::insert(db, &NewMedia {
        owner_person: actor.id,
        master_key: &p.master.key,
        width: i64::from(p.master.width),
        height: i64::from(p.master.height),
        mime: p.master.mime,
        variants: &serde_json::to_string(&variants).unwrap_or_else(|_| "[]".into()),
        keys: &keys,
    })
    .await?;
    for v in p.all() {
        if let Err(e) = media.put(&v.key, &v.bytes, v.mime).await {
            tracing::error!(media_id = id, key = %v.key, error = %e, "storing an uploaded image failed");
            return Ok(Err(UploadError(STORE_FAILED.into())));
        }
    }
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

/// Who may fetch a stored image, and whether caches outside the browser may
/// keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A live story that anyone, signed in or not, may see shows it. (Caches
    /// may keep it: the bytes behind a key never change. Once that story is
    /// deleted or made private, copies already cached elsewhere cannot be
    /// recalled; only new fetches are refused.)
    Public,
    /// The viewer may see a live story that shows it, or uploaded it
    /// (the story form shows a pending upload back to its author); others
    /// may not, so nothing outside their browser may keep it.
    Private,
    /// Not for this viewer: "not found", as for a story they may not see.
    Hidden,
}

/// The most stories showing one image that a fetch looks at: the same photo
/// on more stories than this, none of them public, may be refused to someone
/// who may see only the later ones. Public stories are looked at first.
const STORIES_CHECKED: i64 = 50;

/// Whether a viewer may fetch the image stored under `key` (any of its
/// sizes): only when they may see a live story showing it, by the stories'
/// own rule ([`crate::stories::can_see`]), or uploaded it themselves. A key
/// no media row has is hidden from everyone.
pub async fn access(db: &Db, key: &str, viewer: Option<&Actor>) -> Result<Access> {
    let stories = store_stories::live_with_media_key(db, key, STORIES_CHECKED).await?;
    for s in &stories {
        if crate::stories::can_see(db, s, None).await? {
            return Ok(Access::Public);
        }
    }
    let Some(actor) = viewer else { return Ok(Access::Hidden) };
    if store::owners_of_key(db, key).await?.contains(&actor.id) {
        return Ok(Access::Private);
    }
    for s in &stories {
        if crate::stories::can_see(db, s, viewer).await? {
            return Ok(Access::Private);
        }
    }
    Ok(Access::Hidden)
}

/// How long an upload no story shows is kept: the story form shows it back
/// until the story is sent, and a person may take their time over that.
pub const UNUSED_KEEP_SECS: i64 = 24 * 3600;

/// The most uploads one clean-up run removes; a longer backlog goes on the
/// next runs.
const REMOVALS_PER_RUN: i64 = 1_000;

/// Uploads removed for good by one run: media rows, and keys whose bytes
/// left the media store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub rows: usize,
    pub blobs: usize,
    /// Keys whose bytes could not be deleted (each logged); tried again on
    /// the next run.
    pub failed: usize,
}

/// Removes the uploads no story shows that are older than
/// [`UNUSED_KEEP_SECS`] at `now`: each row, and the bytes of each of its
/// keys that no other row has (two uploads of the same bytes share keys).
/// A row goes in a short transaction of its own that also queues its freed
/// keys; the bytes are deleted after it commits, so no database lock is held
/// while the media store works (an S3 request may take up to a minute).
/// Then every queued key's bytes go, unless an upload of the same bytes
/// recorded the key since ([`delete_bytes`]). A key whose bytes cannot be
/// deleted is logged, counted in [`Removed::failed`] and left queued for
/// the next run; the others go on.
pub async fn remove_unused(db: &Db, media: &MediaStore, now: i64) -> Result<Removed> {
    let mut removed = Removed::default();
    for id in store::unused_before(db, now - UNUSED_KEEP_SECS, REMOVALS_PER_RUN).await? {
        let mut tx = store::begin_removal(db).await?;
        if store::remove_unused(&mut tx, id).await?.is_some() {
            tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
            removed.rows += 1;
        }
    }
    for key in store::queued_deletions(db, DELETIONS_PER_RUN).await? {
        match delete_bytes(db, media, &key).await {
            Ok(gone) => {
                store::deletion_done(db, &key).await?;
                removed.blobs += usize::from(gone);
            }
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "purge: an unused image could not be deleted; will try again");
                removed.failed += 1;
            }
        }
    }
    Ok(removed)
}

/// The most queued keys one run deletes the bytes of.
const DELETIONS_PER_RUN: i64 = 5_000;

/// Deletes the bytes of a key no upload had when it was queued; returns
/// whether they went. An upload of the same bytes may record the key again
/// at any moment, and stores the bytes after recording it: the bytes stay
/// if it already has, and are put back if it did while they were being
/// deleted (its own store may have come before the delete).
async fn delete_bytes(db: &Db, media: &MediaStore, key: &str) -> Result<bool> {
    let failed = |e: meetinghouse_media::StoreError| CoreError::Internal(format!("removing an unused image: {e}"));
    if store::key_in_use(db, key).await? {
        return Ok(false);
    }
    let bytes = media.get(key).await.map_err(failed)?;
    media.delete(key).await.map_err(failed)?;
    if store::key_in_use(db, key).await? {
        if let Some(bytes) = bytes {
            let mime = if key.ends_with(".png") { "image/png" } else { "image/jpeg" };
            media.put(key, &bytes, mime).await.map_err(failed)?;
        }
        return Ok(false);
    }
    Ok(true)
}
