//! Withdrawing objects from a collection and putting them back.
//!
//! A withdrawn object keeps its row (stories about it keep their link, and
//! say it is no longer in the collection) but leaves the collection's list,
//! search and the sitemap, and no import writes it. An organisation's
//! active staff and admins withdraw one (deaccessioned, imported by
//! mistake) and put it back; an import can withdraw the objects its file
//! does not have (`ImportRun::withdraw_missing`, for admins). The meeting
//! house's moderators (instance admins) withdraw one, or a whole
//! organisation's collection — which also holds it, so no import runs
//! until they restore it — as a moderation decision, logged in the
//! moderation log (`object` and `collection` entries, `hide` and `restore`),
//! and only they put those back. A moderator's withdrawal also takes over
//! one the organisation made first. While the moderators hold a collection
//! nothing in it is put back, by anyone, until they put the collection
//! back; and an import running when they withdraw it stops at its next
//! batch (`import::held_message`).

use meetinghouse_store::moderation::{self as moderation_store, NewAction};
use meetinghouse_store::objects::{self, BY_MODERATION, BY_ORG, ObjectRow};
use meetinghouse_store::{Db, StoreError, orgs, search};

use crate::Actor;
use crate::error::{CoreError, FieldErrors, Result};

/// The longest note kept with a withdrawal, in characters.
pub const NOTE_MAX: usize = 1_000;

/// Who withdraws: the organisation (its staff or admins) or the moderators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    Org,
    Moderator,
}

/// Withdraws an object from its organisation's collection, as its staff or
/// admins (`As::Org`) or as a moderator (`As::Moderator`, an instance admin;
/// logged); `note` says why (shown to those who manage the collection, and
/// in the moderation log). Returns the object as it was. An object already
/// withdrawn is left as it is (`Ok`, nothing written), except that the
/// moderators take over one its organisation withdrew (logged): only they
/// put it back then.
pub async fn withdraw(db: &Db, actor: &Actor, object_id: i64, how: As, note: &str) -> Result<ObjectRow> {
    let object = objects::by_id(db, object_id).await?.ok_or(CoreError::NotFound)?;
    allowed(db, actor, &object, how).await?;
    let note = checked_note(note)?;
    let mut tx = db.begin().await?;
    let at = meetinghouse_store::now();
    let how_stored = if how == As::Moderator { BY_MODERATION } else { BY_ORG };
    if objects::withdraw(&mut tx, object.id, Some(actor.id), how_stored, &note, at).await? {
        search::remove(&mut tx, db.backend(), "object", object.id).await?;
        if how == As::Moderator {
            log(&mut tx, actor, "object", object.id, "hide", &note).await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(object)
}

/// Puts a withdrawn object back in its collection and in search: one its
/// organisation withdrew, as its staff or admins (or an instance admin);
/// one the moderators withdrew, only as a moderator (logged). Refused, for
/// everyone, while the moderators hold the whole collection (read under
/// the lock their withdrawal of it takes).
pub async fn restore(db: &Db, actor: &Actor, object_id: i64) -> Result<ObjectRow> {
    let object = objects::by_id(db, object_id).await?.ok_or(CoreError::NotFound)?;
    if !object.withdrawn() {
        return Ok(object);
    }
    let how = if object.withdrawn_how == BY_MODERATION { As::Moderator } else { As::Org };
    if how == As::Moderator && !actor.is_admin {
        return Err(CoreError::Forbidden("The meeting house's moderators withdrew this object, so only they can put it back. Ask them to look again.".into()));
    }
    allowed(db, actor, &object, how).await?;
    let mut tx = db.begin().await?;
    if orgs::collection_held_in(&mut tx, db.backend(), object.org_id).await? {
        return Err(CoreError::Forbidden(if actor.is_admin {
            "The moderators withdrew this organisation's whole collection: put the collection back from its page first.".into()
        } else {
            "The meeting house's moderators withdrew this organisation's whole collection, so nothing in it can be put back until they put the collection back. Ask them to look again: use “Report this organisation” on its page.".into()
        }));
    }
    let stored_how = if how == As::Moderator { BY_MODERATION } else { BY_ORG };
    if objects::restore(&mut tx, object.id, stored_how).await? {
        index(&mut tx, db, &object).await?;
        if how == As::Moderator {
            log(&mut tx, actor, "object", object.id, "restore", "").await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(object)
}

/// A moderator (an instance admin) withdraws every object of an
/// organisation's collection and holds it, so no import runs into it until
/// [`restore_collection`]; logged with `note`. How many were withdrawn.
pub async fn withdraw_collection(db: &Db, actor: &Actor, org_slug: &str, note: &str) -> Result<u64> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only the meeting house's moderators can withdraw a whole collection.".into()));
    }
    let org = crate::orgs::by_address(db, org_slug).await?.ok_or(CoreError::NotFound)?;
    let note = checked_note(note)?;
    let mut tx = db.begin().await?;
    let at = meetinghouse_store::now();
    orgs::lock(&mut tx, db.backend(), org.id).await?;
    let n = objects::withdraw_all(&mut tx, org.id, Some(actor.id), &note, at).await?;
    search::remove_withdrawn_objects(&mut tx, db.backend(), org.id).await?;
    orgs::hold_collection(&mut tx, org.id, Some(at)).await?;
    let logged = format!("{} {} withdrawn. {note}", crate::collection::thousands(n as i64), if n == 1 { "object" } else { "objects" });
    log(&mut tx, actor, "collection", org.id, "hide", logged.trim()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(n)
}

/// A moderator puts back the objects of a collection the moderators
/// withdrew (not those its organisation withdrew itself), a thousand at a
/// time with their search entries, and lets imports run into it again;
/// logged. How many were put back.
pub async fn restore_collection(db: &Db, actor: &Actor, org_slug: &str) -> Result<u64> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only the meeting house's moderators can put a collection back.".into()));
    }
    let org = crate::orgs::by_address(db, org_slug).await?.ok_or(CoreError::NotFound)?;
    let mut n = 0u64;
    let mut after = 0;
    loop {
        let page = objects::withdrawn_after(db, org.id, BY_MODERATION, after, 1_000).await?;
        let Some(last) = page.last().map(|o| o.id) else { break };
        after = last;
        let mut tx = db.begin().await?;
        for object in &page {
            if objects::restore(&mut tx, object.id, BY_MODERATION).await? {
                index(&mut tx, db, object).await?;
                n += 1;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
    }
    let mut tx = db.begin().await?;
    orgs::hold_collection(&mut tx, org.id, None).await?;
    let logged = format!("{} {} put back.", crate::collection::thousands(n as i64), if n == 1 { "object" } else { "objects" });
    log(&mut tx, actor, "collection", org.id, "restore", &logged).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(n)
}

/// What [`put_back_import`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutBack {
    /// Objects put back in the collection and in search.
    pub put_back: u64,
    /// Objects the import withdrew that are no longer withdrawn by it (put
    /// back since, or taken over by the moderators), left as they are.
    pub left: u64,
}

/// The operator (the command line) puts back in organisation `org_id`'s
/// collection, and in search, every object that import `import_id`
/// withdrew for not being in its file and that is still withdrawn by it:
/// the undo of an import's "withdraw the objects this file does not have".
/// Objects put back since, or withdrawn by the moderators since (only they
/// put those back), are left as they are; objects an import withdrew
/// before that was recorded (migration 0061) are not found. A thousand at
/// a time, each thousand in one transaction, saying how far it has got
/// through `progress` (done, total). "Not found" when the import is not
/// that organisation's; refused while the moderators hold the collection
/// (read under the lock their withdrawal of it takes).
pub async fn put_back_import(db: &Db, org_id: i64, import_id: i64, progress: &mut (dyn FnMut(u64, u64) + Send)) -> Result<PutBack> {
    meetinghouse_store::collection_imports::by_id(db, import_id).await?.filter(|i| i.org_id == org_id).ok_or(CoreError::NotFound)?;
    // PostgreSQL plans the updates below from its statistics, which a
    // large withdrawal moments ago left stale (an update of a thousand then
    // took seconds).
    objects::refresh_statistics(db).await?;
    let total = objects::count_withdrawn_by_import(db, org_id, import_id).await?.max(0) as u64;
    let mut done = PutBack::default();
    let mut after = 0;
    progress(0, total);
    loop {
        let page = objects::withdrawn_by_import_after(db, org_id, import_id, after, objects::IDS_PER_STATEMENT as i64).await?;
        let Some(last) = page.last().map(|o| o.id) else { break };
        after = last;
        let mut tx = db.begin().await?;
        if orgs::collection_held_in(&mut tx, db.backend(), org_id).await? {
            return Err(CoreError::Forbidden(HELD_PUT_BACK.into()));
        }
        let ids: Vec<i64> = page.iter().map(|o| o.id).collect();
        let back: std::collections::HashSet<i64> = objects::put_back_by_import(&mut tx, db.backend(), org_id, import_id, &ids).await?.into_iter().collect();
        let now = meetinghouse_store::now();
        let texts: Vec<(&ObjectRow, objects::ObjectText)> =
            page.iter().filter(|o| back.contains(&o.id)).map(|o| (o, super::import::row_text(o))).collect();
        let docs: Vec<search::Document<'_>> = texts
            .iter()
            .map(|(o, text)| search::Document {
                kind: "object",
                ref_id: o.id,
                title: &o.title,
                body: &text.body,
                title_folded: &text.title_folded,
                body_folded: &text.body_folded,
                created_at: now,
            })
            .collect();
        search::upsert_many(&mut tx, db.backend(), "object", &docs, false).await?;
        tx.commit().await.map_err(StoreError::from)?;
        done.put_back += back.len() as u64;
        done.left += (page.len() - back.len()) as u64;
        progress(done.put_back + done.left, total.max(done.put_back + done.left));
    }
    tracing::info!(org = org_id, import = import_id, put_back = done.put_back, "objects an import withdrew were put back by the operator");
    Ok(done)
}

/// Why nothing is put back while the moderators hold the collection.
pub const HELD_PUT_BACK: &str = "The meeting house's moderators withdrew this organisation's whole collection, so nothing in it can be put back until they put the collection back.";

/// Whether the actor may withdraw (or put back) the object as `how` says.
async fn allowed(db: &Db, actor: &Actor, object: &ObjectRow, how: As) -> Result<()> {
    let ok = match how {
        As::Moderator => actor.is_admin,
        As::Org => super::manages(db, actor, object.org_id).await?,
    };
    if ok {
        return Ok(());
    }
    let org = orgs::by_id(db, object.org_id).await?.map(|o| o.name).unwrap_or_default();
    Err(CoreError::Forbidden(match how {
        As::Moderator => "Only the meeting house's moderators can do that.".to_string(),
        As::Org => format!("Only the staff and admins of {org} can withdraw its objects or put them back."),
    }))
}

/// A withdrawal's note, checked: one paragraph of at most [`NOTE_MAX`] characters.
fn checked_note(note: &str) -> Result<String> {
    let note = crate::types::without_controls(note.trim()).into_owned();
    if note.chars().count() > NOTE_MAX {
        return Err(FieldErrors::one("note", format!("The note is {} characters; keep it to {NOTE_MAX}.", note.chars().count())));
    }
    Ok(note)
}

/// Indexes an object put back in its collection.
async fn index(tx: &mut meetinghouse_store::Tx, db: &Db, object: &ObjectRow) -> Result<()> {
    let text = super::import::row_text(object);
    let doc = search::Document {
        kind: "object",
        ref_id: object.id,
        title: &object.title,
        body: &text.body,
        title_folded: &text.title_folded,
        body_folded: &text.body_folded,
        created_at: meetinghouse_store::now(),
    };
    search::upsert(tx, db.backend(), &doc).await?;
    Ok(())
}

/// Records a moderator's action in the moderation log.
async fn log(tx: &mut meetinghouse_store::Tx, actor: &Actor, target_kind: &str, target_id: i64, action: &str, note: &str) -> Result<()> {
    moderation_store::insert_action(tx, &NewAction { moderator: actor.id, report_id: None, target_kind, target_id, action, note, until_at: None }).await?;
    Ok(())
}
