//! "Download your data": everything a person put into the meeting house,
//! and what it keeps about them, as one JSON file for them alone (web
//! `/me/data`).
//!
//! What is in it: the account (profile, email address, sectors, a change of
//! address waiting to be confirmed, a suspension in force with the
//! moderators' note), notification settings, memberships of organisations
//! and groups with their roles, the people they blocked or muted (by
//! handle), the invite codes they made (note and dates), the reports they
//! made, the moderators' decisions about them or their words (what was done,
//! the note, when), the thanks they gave and got (with who sent them, as
//! the reply's page shows its author), their common-ground votes and
//! statements and the conversations they opened, the prompts they opened,
//! their amendments to groups' purposes and their objections, the changes
//! they made to groups and organisations (and those about their own
//! membership of an organisation), the collection imports they sent (file
//! name, options, outcome and report), their replies (with earlier
//! versions), their stories (every state, deleted ones too, with earlier
//! versions, audience, dates, licence, consent flags, the collection objects
//! they are about, and their photos' addresses, alt text and captions), the
//! images they uploaded that no story of theirs shows, their notifications
//! (moderation notices too), and their edges in the interaction record.
//!
//! What is not: anything about other people beyond what the person was
//! shown when they acted — a handle they blocked or thanked, who thanked
//! them, the text of a statement they voted on while it was accepted — so
//! never who reported, moderated or blocked them, a report about them that
//! was dismissed, who used an invite code of theirs, who changed their
//! membership, others' replies around theirs (nor an edge towards them from
//! a reply they were not shown), or the titles of what they replied to (a
//! reply names its subject by kind and id only: a story in a group they
//! have left stays closed to them).
//!
//! How big: the file is made in memory, the long lists read a page of
//! [`PAGE`] rows at a time, and it stops growing at [`FILE_MAX_BYTES`]: the
//! lists that did not fit are named in `left_out` and `complete` is false
//! (the page says to ask the admins then). The smaller sections come first,
//! then the person's replies and stories, and last the long lists the
//! meeting house wrote about them (notifications, interaction edges), so the
//! cut, if it comes, falls on those first.
//! Each person may download [`DOWNLOADS`] a limited number of times.
//! Times are in UTC (RFC 3339), as in every export.

use std::collections::HashMap;

use meetinghouse_store::personal_data as pd;
use serde_json::{Value, json};

use crate::attempts::Budget;
use crate::error::{CoreError, Result};
use crate::settings::Settings;
use crate::{Actor, Db};

/// How often a person may download their data: five times an hour,
/// counted in the database (across app servers). Each file reads all they
/// ever wrote, so this keeps one account (or a stolen session) from
/// keeping the database busy.
pub const DOWNLOADS: Budget = Budget { name: "personal-data-download", limit: 5, period_secs: 3600 };

/// The largest file made: 32 MB, far beyond what a person writes (a story
/// is at most 20,000 characters: this holds over a thousand of the
/// longest). Past it, the remaining lists are left out and named.
pub const FILE_MAX_BYTES: usize = 32 * 1024 * 1024;

/// How many rows of a long list are read at once.
pub const PAGE: i64 = 200;

/// The file's format and version, its first field.
pub const FORMAT: &str = "meetinghouse-personal-data/1";

/// What the page says when [`DOWNLOADS`] is spent, in its numbers. (The
/// count is an estimate over a sliding hour, `attempts`, so no exact time
/// to try again is known.)
pub const TOO_MANY: &str = "You have downloaded your data 5 times in the last hour, the most an hour allows. Please wait an hour and try again.";

/// A person's data, ready to send.
#[derive(Debug, Clone)]
pub struct Download {
    /// `meetinghouse-<handle>-<YYYY-MM-DD>.json` (the date in UTC).
    pub filename: String,
    pub json: Vec<u8>,
    /// False when [`FILE_MAX_BYTES`] cut it short.
    pub complete: bool,
}

/// What [`download`] came to.
#[derive(Debug, Clone)]
pub enum Prepared {
    Ready(Download),
    /// [`DOWNLOADS`] is spent: nothing was read.
    TooMany,
}

/// The signed-in person's own data, counted against [`DOWNLOADS`].
/// `base_url` makes the addresses in it absolute.
pub async fn download(db: &Db, settings: &Settings, base_url: &str, actor: &Actor) -> Result<Prepared> {
    let now = meetinghouse_store::now();
    if !crate::attempts::attempt(db, &settings.secret_key, &DOWNLOADS, &actor.id.to_string(), now).await? {
        return Ok(Prepared::TooMany);
    }
    let download = build(db, settings, base_url, actor.id, now, FILE_MAX_BYTES, PAGE).await?;
    tracing::info!(person_id = actor.id, bytes = download.json.len(), complete = download.complete, "personal data downloaded");
    Ok(Prepared::Ready(download))
}

/// Makes the file for `person` as of `now`, at most about `max_bytes`
/// long, reading `page` rows at a time ([`PAGE`]; a test can make the cut
/// happen with a small `max_bytes`, and read across pages with a small
/// `page`: the file is the same whatever the page).
pub async fn build(db: &Db, settings: &Settings, base_url: &str, person: i64, now: i64, max_bytes: usize, page: i64) -> Result<Download> {
    let base = base_url.trim_end_matches('/');
    let account = pd::account(db, person).await?.ok_or(CoreError::NotFound)?;
    let mut out = Out::new(max_bytes);
    out.field("format", &json!(FORMAT));
    out.field("meeting_house", &json!({ "name": settings.name, "address": base }));
    out.field("made_at", &json!(utc(now)));

    let pending = meetinghouse_store::email_changes::pending(db, person).await?;
    out.field(
        "account",
        &json!({
            "handle": account.handle,
            "profile": format!("{base}/@{}", account.handle),
            "display_name": account.display_name,
            "pronouns": account.pronouns,
            "bio": account.bio,
            "email": account.email,
            "email_confirmed_at": account.email_verified_at.map(utc),
            "email_change_waiting": pending.map(|p| json!({ "new_email": p.new_email, "asked_at": utc(p.created_at), "link_expires_at": utc(p.expires_at) })),
            "sectors": pd::sectors(db, person).await?,
            "status": account.status,
            "instance_admin": account.is_admin != 0,
            "joined_at": utc(account.created_at),
        }),
    );
    // A suspension or ban in force, with the note the sign-in page shows them.
    let suspension = meetinghouse_store::moderation::suspension_of(db, person).await?;
    let suspension = suspension.map(|(until, note)| {
        let banned = until == meetinghouse_store::moderation::BANNED;
        json!({ "banned": banned, "until": (!banned).then(|| utc(until)), "note": note })
    });
    out.field("suspension", &json!(suspension));
    out.field("notification_settings", &json!({ "email": account.email_mode }));
    // Where the person is signed in, as `/me/sessions` shows it: the browser
    // roughly named (never the User-Agent or an address) and two times.
    let sessions = meetinghouse_store::sessions::list_for(db, person, "", crate::accounts::SESSIONS_LISTED).await?;
    let sessions: Vec<_> = sessions
        .iter()
        .map(|s| json!({ "browser": s.device, "signed_in_at": utc(s.created_at), "last_used_at": utc(s.last_seen_at) }))
        .collect();
    out.field("signed_in_sessions", &json!(sessions));

    // Lists read by position (their rows have no id of their own).
    list(&mut out, page, "organisations", |offset| async move {
        let rows = pd::organisations(db, person, offset, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for m in &rows {
            items.push(membership(base, "orgs", m));
        }
        Ok::<_, CoreError>((items, offset + page))
    })
    .await?;

    list(&mut out, page, "groups", |offset| async move {
        let rows = pd::groups(db, person, offset, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for m in &rows {
            items.push(membership(base, "groups", m));
        }
        Ok::<_, CoreError>((items, offset + page))
    })
    .await?;

    list(&mut out, page, "blocks_and_mutes", |offset| async move {
        let rows = pd::relations(db, person, offset, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for (kind, handle, at) in &rows {
            items.push(json!({ "kind": kind, "handle": handle, "since": utc(*at) }));
        }
        Ok::<_, CoreError>((items, offset + page))
    })
    .await?;

    list(&mut out, page, "invite_codes_made", |offset| async move {
        let rows = pd::invites(db, person, offset, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for i in &rows {
            items.push(json!({ "note": i.note, "made_at": utc(i.created_at), "expires_at": utc(i.expires_at), "used_at": i.used_at.map(utc) }));
        }
        Ok::<_, CoreError>((items, offset + page))
    })
    .await?;

    list(&mut out, page, "reports_made", |after| async move {
        let rows = pd::reports(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let item = json!({
                "about": { "kind": r.target_kind, "id": r.target_id },
                "category": r.category,
                "details": r.details,
                "status": r.status,
                "made_at": utc(r.created_at),
                "closed_at": r.closed_at.map(utc),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "moderation_decisions_about_you", |after| async move {
        let rows = pd::decisions_about(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for d in &rows {
            let about = if d.target_kind == "person" { json!("you") } else { json!({ "kind": d.target_kind, "id": d.target_id }) };
            let until = d.until_at.filter(|u| *u != meetinghouse_store::moderation::BANNED).map(utc);
            items.push(json!({ "about": about, "decision": d.action, "note": d.note, "until": until, "at": utc(d.created_at) }));
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "thanks_given", |offset| async move {
        let rows = pd::thanks_given(db, person, offset, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for t in &rows {
            let item = json!({ "kind": t.kind, "on": { "kind": t.target_kind, "id": t.target_id }, "to": t.recipient_handle, "at": utc(t.created_at) });
            items.push(item);
        }
        Ok::<_, CoreError>((items, offset + page))
    })
    .await?;

    list(&mut out, page, "thanks_received", |offset| async move {
        let rows = pd::thanks_received(db, person, offset, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for t in &rows {
            let item = json!({ "kind": t.kind, "on": { "kind": t.target_kind, "id": t.target_id }, "from": handle_or_former(&t.sender_handle), "at": utc(t.created_at) });
            items.push(item);
        }
        Ok::<_, CoreError>((items, offset + page))
    })
    .await?;

    list(&mut out, page, "common_ground_votes", |offset| async move {
        let rows = pd::votes(db, person, offset, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for v in &rows {
            let vote = match v.vote {
                1 => "agree",
                -1 => "disagree",
                _ => "pass",
            };
            let item = json!({
                "conversation": format!("{base}/common-ground/{}", v.conversation_id),
                "statement_id": v.statement_id,
                "statement": v.statement,
                "vote": vote,
                "at": utc(v.updated_at),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, offset + page))
    })
    .await?;

    list(&mut out, page, "common_ground_statements", |after| async move {
        let rows = pd::statements(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for s in &rows {
            let item = json!({
                "conversation": format!("{base}/common-ground/{}", s.conversation_id),
                "statement_id": s.id,
                "text": s.body,
                "status": s.status,
                "at": utc(s.created_at),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "common_ground_conversations_opened", |after| async move {
        let rows = pd::conversations_hosted(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for c in &rows {
            let item = json!({
                "address": format!("{base}/common-ground/{}", c.id),
                "topic": c.topic,
                "description": c.description,
                "voice": c.voice,
                "organisation": c.org_slug,
                "group": c.group_slug,
                "status": c.status,
                "opened_at": utc(c.created_at),
                "closed_at": c.closed_at.map(utc),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "prompts_opened", |after| async move {
        let rows = pd::prompts(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for p in &rows {
            let item = json!({
                "address": format!("{base}/prompts/{}", p.id),
                "question": p.question,
                "description": p.description,
                "voice": p.voice,
                "organisation": p.org_slug,
                "group": p.group_slug,
                "opens_at": utc(p.opens_at),
                "closes_at": p.closes_at.map(utc),
                "made_at": utc(p.created_at),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "purpose_amendments", |after| async move {
        let rows = pd::amendments(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for a in &rows {
            let item = json!({
                "address": format!("{base}/groups/{}/amendments/{}", a.group_slug, a.id),
                "group": a.group_slug,
                "proposed_text": a.text,
                "why": a.why,
                "state": a.state,
                "proposed_at": utc(a.proposed_at),
                "settled_at": a.settled_at.map(utc),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "purpose_objections", |after| async move {
        let rows = pd::objections(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for o in &rows {
            let item = json!({
                "amendment_id": o.amendment_id,
                "reason": o.reason,
                "made_at": utc(o.created_at),
                "changed_at": utc(o.updated_at),
                "withdrawn_at": o.withdrawn_at.map(utc),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "group_changes", |after| async move {
        let rows = pd::group_changes(db, person, after, page).await?;
        let items = rows.iter().map(|c| change(base, "groups", c)).collect();
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "organisation_changes", |after| async move {
        let rows = pd::org_changes(db, person, after, page).await?;
        let items = rows.iter().map(|c| change(base, "orgs", c)).collect();
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "collection_imports", |after| async move {
        let rows = pd::imports(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for i in &rows {
            let item = json!({
                "organisation": i.org_slug,
                "file_name": i.file_name,
                "file_bytes": i.file_bytes,
                "options": stored_json(&i.options),
                "state": i.state,
                "records_read": i.records_read,
                "outcome": i.outcome,
                "report": stored_json(&i.report),
                "sent_at": utc(i.created_at),
                "finished_at": i.finished_at.map(utc),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "uploads_on_none_of_your_stories", |after| async move {
        let rows = pd::loose_uploads(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for u in &rows {
            let item = json!({
                "address": format!("{base}{}", crate::media::url(&u.master_key)),
                "width": u.width,
                "height": u.height,
                "uploaded_at": utc(u.created_at),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "replies", |after| async move {
        let rows = pd::replies(db, person, after, page).await?;
        let mut earlier: HashMap<i64, Vec<Value>> = HashMap::new();
        for (reply, body, at) in pd::reply_revisions(db, person, after, page).await? {
            earlier.entry(reply).or_default().push(json!({ "text": body, "replaced_at": utc(at) }));
        }
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let item = json!({
                "address": format!("{base}/replies/{}", r.id),
                "on": { "kind": r.subject_kind, "id": r.subject_id },
                "in_answer_to_reply": r.parent_id,
                "voice": r.voice,
                "organisation": r.org_slug,
                "text": r.body,
                "status": r.status,
                "note": r.note,
                "written_at": utc(r.created_at),
                "changed_at": utc(r.updated_at),
                "earlier_versions": earlier.remove(&r.id).unwrap_or_default(),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "stories", |after| async move {
        let rows = pd::stories(db, person, after, page).await?;
        let mut photos: HashMap<i64, Vec<Value>> = HashMap::new();
        for p in pd::story_photos(db, person, after, page).await? {
            let item = json!({
                "address": format!("{base}{}", crate::media::url(&p.master_key)),
                "alt_text": p.alt,
                "caption": p.caption,
                "width": p.width,
                "height": p.height,
            });
            photos.entry(p.story_id).or_default().push(item);
        }
        let mut earlier: HashMap<i64, Vec<Value>> = HashMap::new();
        for v in pd::story_revisions(db, person, after, page).await? {
            // A version whose text was taken out of the history has an empty
            // title and text: say so, and by whom (`author` or `moderators`) and when.
            let item = json!({
                "title": v.title,
                "text": v.body,
                "shown_to": v.visibility,
                "group": v.group_slug,
                "replaced_at": utc(v.created_at),
                "removed_by": v.removed_by,
                "removed_at": v.removed_at.map(utc),
            });
            earlier.entry(v.story_id).or_default().push(item);
        }
        let mut objects: HashMap<i64, Vec<Value>> = HashMap::new();
        for (story, id, org, accession, title) in pd::story_objects(db, person, after, page).await? {
            let item = json!({ "address": format!("{base}/objects/{id}"), "organisation": org, "accession_number": accession, "title": title });
            objects.entry(story).or_default().push(item);
        }
        let mut items = Vec::with_capacity(rows.len());
        for s in &rows {
            let item = json!({
                "address": format!("{base}/stories/{}", s.id),
                "title": s.title,
                "text": s.body,
                "voice": s.voice,
                "organisation": s.org_slug,
                "shown_to": s.visibility,
                "group": s.group_slug,
                "licence": s.licence,
                "consent": {
                    "everyone_identifiable_agreed": s.consent_people != 0,
                    "no_under_18s_identifiable_or_guardian_agreed": s.consent_minors != 0,
                },
                "place": s.place_name,
                "latitude": s.lat_milli.map(|m| m as f64 / 1000.0),
                "longitude": s.lon_milli.map(|m| m as f64 / 1000.0),
                "period": s.period_text,
                "year_from": s.year_from,
                "year_to": s.year_to,
                "answers_prompt": s.prompt_id.map(|id| format!("{base}/prompts/{id}")),
                "objects": objects.remove(&s.id).unwrap_or_default(),
                "photos": photos.remove(&s.id).unwrap_or_default(),
                "written_at": utc(s.created_at),
                "changed_at": utc(s.updated_at),
                "deleted_at": s.deleted_at.map(utc),
                "earlier_versions": earlier.remove(&s.id).unwrap_or_default(),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    // The long lists the meeting house wrote about them come last.
    list(&mut out, page, "notifications", |after| async move {
        let rows = pd::notifications(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for n in &rows {
            let address = if n.url.starts_with('/') { format!("{base}{}", n.url) } else { n.url.clone() };
            items.push(json!({ "kind": n.kind, "text": n.text, "address": address, "at": utc(n.created_at), "read_at": n.read_at.map(utc) }));
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    list(&mut out, page, "interactions", |after| async move {
        let rows = pd::edges(db, person, after, page).await?;
        let mut items = Vec::with_capacity(rows.len());
        for e in &rows {
            let item = json!({
                "kind": e.kind,
                "by_you": e.by_them != 0,
                "with": handle_or_former(&e.other_handle),
                "on": { "kind": e.subject_kind, "id": e.subject_id },
                "from_organisation": e.source_org,
                "to_organisation": e.target_org,
                "at": utc(e.created_at),
            });
            items.push(item);
        }
        Ok::<_, CoreError>((items, rows.last().map_or(after, |r| r.id)))
    })
    .await?;

    let complete = out.left_out.is_empty();
    let left_out = std::mem::take(&mut out.left_out);
    out.field("complete", &json!(complete));
    out.field("left_out", &json!(left_out));
    let json = out.finish();
    let date = utc(now).get(..10).unwrap_or("").to_string();
    Ok(Download { filename: format!("meetinghouse-{}-{date}.json", account.handle), json, complete })
}

/// One list of the file, read a page at a time: `page(cursor)` gives a
/// page's items (one per row read) and the cursor of the next page (an
/// offset, or the last id read); a page shorter than `page_rows` is the last.
/// Once an item does not fit, the list is cut and nothing more is read.
async fn list<F, Fut>(out: &mut Out, page_rows: i64, name: &'static str, mut page: F) -> Result<()>
where
    F: FnMut(i64) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<Value>, i64)>>,
{
    out.open(name);
    let mut cursor = 0;
    while !out.is_cut() {
        let (items, next) = page(cursor).await?;
        let last = (items.len() as i64) < page_rows;
        for item in &items {
            if !out.push(item) {
                break;
            }
        }
        if last {
            break;
        }
        cursor = next;
    }
    out.close();
    Ok(())
}

/// A membership as the file lists it.
fn membership(base: &str, kind: &str, m: &pd::Membership) -> Value {
    json!({ "name": m.name, "address": format!("{base}/{kind}/{}", m.slug), "role": m.role, "status": m.status, "since": utc(m.created_at) })
}

/// A change to a group or an organisation as the file lists it.
fn change(base: &str, kind: &str, c: &pd::Change) -> Value {
    let mut item = json!({
        "address": format!("{base}/{kind}/{}", c.slug),
        "what": c.field,
        "from": c.old_value,
        "to": c.new_value,
        "by_you": c.by_them != 0,
        "at": utc(c.created_at),
    });
    if let Some(handle) = &c.about_handle {
        item["about"] = json!(handle_or_former(handle));
    }
    item
}

/// Someone else as the file names them: their handle, or "A former member"
/// for a closed account (no handle has a space).
fn handle_or_former(handle: &str) -> &str {
    if handle.is_empty() { crate::closing::A_FORMER_MEMBER } else { handle }
}

/// A JSON text the meeting house stored, as JSON in the file (as the text
/// itself if it does not read as JSON; null when empty).
fn stored_json(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|_| json!(text))
}

/// Unix seconds as an RFC 3339 time in UTC (`2026-03-03T09:30:00Z`).
fn utc(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
}

/// The file as it is written: one JSON object whose lists are filled an
/// item at a time, until the next item would take it past its limit.
struct Out {
    buf: Vec<u8>,
    max: usize,
    /// Whether the object or the open list has no entry yet.
    first: bool,
    /// The list open now.
    list: &'static str,
    /// The lists cut short (every list after the first cut is one).
    left_out: Vec<&'static str>,
}

impl Out {
    fn new(max: usize) -> Out {
        Out { buf: b"{".to_vec(), max, first: true, list: "", left_out: Vec::new() }
    }

    fn comma(&mut self) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
    }

    /// A field of the object, outside any list.
    fn field(&mut self, name: &str, value: &Value) {
        self.comma();
        self.buf.push(b'\n');
        serde_json::to_writer(&mut self.buf, name).expect("writing to memory");
        self.buf.push(b':');
        serde_json::to_writer(&mut self.buf, value).expect("writing to memory");
    }

    fn open(&mut self, name: &'static str) {
        self.comma();
        self.buf.push(b'\n');
        serde_json::to_writer(&mut self.buf, name).expect("writing to memory");
        self.buf.extend_from_slice(b":[");
        self.first = true;
        self.list = name;
        // Once one list was cut, the rest are left out whole.
        if !self.left_out.is_empty() {
            self.left_out.push(name);
        }
    }

    /// Adds an item to the open list; false (and the list is named in
    /// `left_out`) when it does not fit.
    fn push(&mut self, item: &Value) -> bool {
        if !self.left_out.is_empty() {
            return false;
        }
        let bytes = serde_json::to_vec(item).expect("a JSON value always serialises");
        if self.buf.len() + bytes.len() + 2 > self.max {
            self.left_out.push(self.list);
            return false;
        }
        self.comma();
        self.buf.push(b'\n');
        self.buf.extend_from_slice(&bytes);
        true
    }

    /// Whether a list was cut: nothing more goes in.
    fn is_cut(&self) -> bool {
        !self.left_out.is_empty()
    }

    fn close(&mut self) {
        self.buf.push(b']');
        self.first = false;
    }

    fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(b"\n}\n");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_says_the_limit_in_numbers() {
        assert!(TOO_MANY.contains(&format!(" {} times in the last hour", DOWNLOADS.limit)), "{TOO_MANY}");
        assert_eq!(DOWNLOADS.period_secs, 3600, "the words say an hour");
    }
}
