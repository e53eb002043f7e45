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

/// The most uploads that no story shows yet (uploaded in the last day:
/// [`UNUSED_KEEP_SECS`]) one person may have at a time: ten stories' worth
/// of photos being got ready at once, far more than one form needs, while
/// an account sending its 60 photos an hour all day would otherwise keep
/// some 1,400 of them for a day. Photos on a story, a draft's included, do
/// not count; nor do photos taken off a story and kept for its restore
/// window.
pub const WAITING_MAX_COUNT: i64 = 100;

/// The most bytes those uploads may take in the media store (every size of
/// each, the master included): about 100 photos at the usual 2 MB a photo
/// once re-encoded, so the count is usually what is met first; an account
/// sending large PNGs meets this instead. Uploads stored before the size
/// was recorded (migration 0057) count as nothing.
pub const WAITING_MAX_BYTES: i64 = 200 * 1024 * 1024;

/// Why an upload was refused, for the person who sent it, and whether it
/// was for want of room in the media store ([`UploadError::storage_full`]).
#[derive(Debug, Clone, PartialEq)]
pub struct UploadError(pub String, pub Refusal);

/// What kind of refusal an [`UploadError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The image itself, the person's limits, or a failure to try again.
    Image,
    /// The media store is out of room (`ENOSPC`, `EDQUOT`): nothing of the
    /// upload was kept, and nothing will be until the operator makes room.
    StorageFull,
}

impl UploadError {
    fn image(message: impl Into<String>) -> UploadError {
        UploadError(message.into(), Refusal::Image)
    }

    /// Whether the media store had no room for it (the web answers with its
    /// "out of disk space" page, 503).
    pub fn storage_full(&self) -> bool {
        self.1 == Refusal::StorageFull
    }
}

/// What the person is told when the media store had no room for their photo.
pub const STORAGE_FULL: &str = "The meeting house’s server has run out of room for photos, so this one could not be saved. Please try again later.";

/// Why a person's upload of `adding` more bytes would pass the caps on
/// what their uploads that no story shows may hold (`held`), in words that
/// follow "“name” was not added: "; `None` when it would not.
pub fn over_waiting_cap(held: store::Waiting, adding: i64) -> Option<String> {
    let way_out = "Save your story with the photos already on it, which makes room, or wait: a photo not added to a story is removed a day after it was sent.";
    if held.count >= WAITING_MAX_COUNT {
        Some(format!("you have {WAITING_MAX_COUNT} photos sent in the last day that are not on a story yet, the most the meeting house keeps for one person. {way_out}"))
    } else if held.bytes.saturating_add(adding) > WAITING_MAX_BYTES {
        Some(format!(
            "the photos you sent in the last day that are not on a story yet would take more than {} MB with this one, the most the meeting house keeps for one person. {way_out}",
            WAITING_MAX_BYTES / (1024 * 1024)
        ))
    } else {
        None
    }
}

/// Processes and stores an upload as the actor's; returns the media id.
/// The image work runs on the blocking pool, off the request threads.
///
/// The person's uploads that no story shows are held to
/// [`WAITING_MAX_COUNT`] and [`WAITING_MAX_BYTES`]: asked before the image
/// is decoded, and again as the row is recorded (store
/// `media::insert_within`, one transaction that takes turns with the
/// person's other uploads), so a refused upload stores nothing.
///
/// The row (with its keys) is recorded before the bytes are stored: the
/// clean-up ([`remove_unused`]) may be removing the same bytes, left by an
/// earlier upload of the same image, and it leaves (or puts back) the bytes
/// of a key a row has recorded, so the bytes stored here stay. If storing
/// fails (the disk is full, the object store does not answer), the cause is
/// logged, the row is removed with the bytes of this upload already stored
/// that no other upload has ([`discard`]), and the person is told, as for a
/// refused image, so the form comes back with what they wrote; a store with
/// no room left is [`Refusal::StorageFull`].
pub async fn upload(db: &Db, media: &MediaStore, actor: &Actor, bytes: Vec<u8>, limits: Limits) -> Result<std::result::Result<i64, UploadError>> {
    let since = meetinghouse_store::now() - UNUSED_KEEP_SECS;
    let cap = store::Waiting { count: WAITING_MAX_COUNT, bytes: WAITING_MAX_BYTES };
    if let Some(why) = over_waiting_cap(store::waiting(db, actor.id, since).await?, 0) {
        return Ok(Err(UploadError::image(why)));
    }
    let processed = tokio::task::spawn_blocking(move || meetinghouse_media::process(&bytes, &limits))
        .await
        .map_err(|e| CoreError::Internal(format!("image processing stopped: {e}")))?;
    let p: Processed = match processed {
        Ok(p) => p,
        Err(e) => return Ok(Err(UploadError::image(e.to_string()))),
    };
    let variants: Vec<(String, u32, u32)> = p.all().map(|v| (v.key.clone(), v.width, v.height)).collect();
    let keys: Vec<String> = variants.iter().map(|(k, _, _)| k.clone()).collect();
    let size: i64 = p.all().map(|v| v.bytes.len() as i64).sum();
    let new = NewMedia {
        owner_person: actor.id,
        master_key: &p.master.key,
        width: i64::from(p.master.width),
        height: i64::from(p.master.height),
        mime: p.master.mime,
        variants: &serde_json::to_string(&variants).unwrap_or_else(|_| "[]".into()),
        keys: &keys,
    };
    let id = match store::insert_within(db, &new, size, since, cap).await? {
        Ok(id) => id,
        Err(held) => return Ok(Err(UploadError::image(over_waiting_cap(held, size).unwrap_or_else(|| STORE_FAILED.into())))),
    };
    for v in p.all() {
        if let Err(e) = media.put(&v.key, &v.bytes, v.mime).await {
            let full = e.is_out_of_space();
            if full {
                tracing::error!(media_id = id, key = %v.key, error = %e, "storing an uploaded image failed: the media store is out of room");
            } else {
                tracing::error!(media_id = id, key = %v.key, error = %e, "storing an uploaded image failed");
            }
            if let Err(e) = discard(db, media, actor, id).await {
                tracing::warn!(media_id = id, error = %e, "an upload that could not be stored was not removed; the hourly clean-up will");
            }
            return Ok(Err(if full { UploadError(STORAGE_FULL.into(), Refusal::StorageFull) } else { UploadError::image(STORE_FAILED) }));
        }
    }
    Ok(Ok(id))
}

/// Removes an upload of the actor's that no story shows, at once: its row,
/// and the bytes of its keys that no other upload has (queued as the
/// clean-up queues them, [`remove_unused`], so bytes that cannot be deleted
/// now go with its next run). For an upload that could not be stored whole,
/// and for the uploads a form sent before the media store ran out of room.
/// Someone else's upload, or one a story shows, is left as it is.
pub async fn discard(db: &Db, media: &MediaStore, actor: &Actor, id: i64) -> Result<()> {
    if store::by_id(db, id).await?.is_none_or(|m| m.owner_person != actor.id) {
        return Ok(());
    }
    let mut tx = store::begin_removal(db).await?;
    let Some(freed) = store::remove_unused(&mut tx, id).await? else { return Ok(()) };
    tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
    for key in freed {
        match delete_bytes(db, media, &key).await {
            Ok(_) => store::deletion_done(db, &key).await?,
            Err(e) => tracing::warn!(key = %key, error = %e, "an image of a removed upload could not be deleted; the hourly clean-up will try again"),
        }
    }
    Ok(())
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
