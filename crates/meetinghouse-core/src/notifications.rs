//! Notifications: replies to you, mentions, thanks, moderation outcomes and
//! join requests, listed in the app with an unread count, and emailed per
//! person's choice — at once, in a daily digest, or never — through the
//! outbox. Every email carries a signed one-click unsubscribe link.

use meetinghouse_store::notifications::{self as store, NotificationRow};
use meetinghouse_store::writes::{Arg, Batch, Text};
use meetinghouse_store::{Db, StoreError, Tx, outbox};

use crate::error::{CoreError, FieldErrors, Result};
use crate::settings::Settings;
use crate::{Actor, secrets};

/// How long an unsubscribe link works.
pub const UNSUBSCRIBE_TTL_SECS: i64 = 180 * 24 * 3600;
/// How often a daily digest may go to one person.
pub const DIGEST_EVERY_SECS: i64 = 24 * 3600;

/// How many notifications one digest lists; it counts the rest and links to
/// the notifications page.
pub const DIGEST_LISTS: i64 = 100;
/// The header shows "99+" beyond this.
pub const UNREAD_CAP: i64 = 100;
pub const PAGE_SIZE: i64 = 50;

/// The email choices, in the order the settings page offers them.
pub const MODES: &[(&str, &str)] = &[
    ("immediate", "Email me each one as it happens"),
    ("daily", "Email me a daily digest"),
    ("off", "No email: I will look on the site"),
];

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Reply,
    Mention,
    Thanks,
    Moderation,
    JoinRequest,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::Mention => "mention",
            Kind::Thanks => "thanks",
            Kind::Moderation => "moderation",
            Kind::JoinRequest => "join_request",
        }
    }
}

/// Where emailed links point, and the key that signs unsubscribe links.
#[derive(Debug, Clone, Copy)]
pub struct Mailer<'a> {
    pub settings: &'a Settings,
    pub base_url: &'a str,
}

/// Who set a notification off, and the reply it is about. A notification
/// from someone the person blocks or mutes (then or later), or about a reply
/// no longer shown, is left out of their list, count and digest.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source {
    pub sender: Option<i64>,
    pub reply: Option<i64>,
}

/// Notifies a person inside the caller's transaction; emails at once when
/// they chose that. Records no sender: see [`notify_from`] for what someone did.
pub async fn notify(tx: &mut Tx, mail: Mailer<'_>, person: i64, kind: Kind, text: &str, url: &str) -> Result<()> {
    notify_from(tx, mail, person, kind, text, url, Source::default()).await
}

/// [`notify`], recording who set it off and the reply it is about.
pub async fn notify_from(tx: &mut Tx, mail: Mailer<'_>, person: i64, kind: Kind, text: &str, url: &str, from: Source) -> Result<()> {
    let mut b = Batch::new();
    notify_from_into(&mut b, mail, person, kind, text, &Text::Now(url.to_string()), from.sender, from.reply.into());
    b.run_in(tx).await?;
    Ok(())
}

/// [`notify`], in a batch; the link may be made from an insert of the same
/// batch (a new reply's). Whether to email is decided as the batch runs, by
/// the person's choice then; the email is written either way.
pub fn notify_into(b: &mut Batch, mail: Mailer<'_>, person: i64, kind: Kind, text: &str, url: &Text) {
    notify_from_into(b, mail, person, kind, text, url, None, None::<i64>.into());
}

/// [`notify_into`], recording the sender and the reply (an id, or the insert
/// of the same batch that writes the reply).
#[allow(clippy::too_many_arguments)]
pub fn notify_from_into(b: &mut Batch, mail: Mailer<'_>, person: i64, kind: Kind, text: &str, url: &Text, sender: Option<i64>, reply: Arg) {
    store::insert_from_into(b, person, kind.as_str(), text, url, sender, reply);
    let subject = format!("{}: {}", mail.settings.name, short(text));
    let (text, base) = (text.to_string(), mail.base_url.to_string());
    let footer = footer(mail, person, "You get an email for each notification.");
    let body = url.map(move |url| format!("{text}\n\n{base}{url}\n\n{footer}"));
    store::email_if_immediate_into(b, person, &subject, &body);
}

fn short(text: &str) -> String {
    let s: String = text.chars().take(70).collect();
    if s.len() < text.len() { format!("{s}…") } else { s }
}

/// How the footer of every notification email and digest introduces its
/// one-click unsubscribe link (the last line).
pub const UNSUBSCRIBE_LINE: &str = "Stop all notification email with one click: ";

fn footer(mail: Mailer<'_>, person: i64, why: &str) -> String {
    format!(
        "—\n{why} Change this at {base}/notifications/settings\n{UNSUBSCRIBE_LINE}{base}/unsubscribe?t={token}",
        base = mail.base_url,
        token = unsubscribe_token(mail.settings, person, meetinghouse_store::now())
    )
}

/// The one-click unsubscribe link in a notification email's footer, for
/// its `List-Unsubscribe` header (RFC 8058): the mail worker reads it from
/// the queued text. Only a plain `http(s)` address to `/unsubscribe?t=`.
pub fn unsubscribe_link(body: &str) -> Option<&str> {
    let link = body.lines().rev().find_map(|l| l.strip_prefix(UNSUBSCRIBE_LINE))?.trim();
    let plain = link.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b','));
    (plain && (link.starts_with("https://") || link.starts_with("http://")) && link.contains("/unsubscribe?t=")).then_some(link)
}

/// A signed token that stops a person's notification email, issued at `issued`.
pub fn unsubscribe_token(settings: &Settings, person: i64, issued: i64) -> String {
    let sig = secrets::sign(settings.secret_key.as_bytes(), &format!("unsubscribe|{person}|{issued}"));
    format!("{person}.{issued}.{sig}")
}

/// Checks an unsubscribe token: the person it is for, or why not.
pub fn check_unsubscribe(settings: &Settings, token: &str) -> Result<i64> {
    let forged = || CoreError::Forbidden("This unsubscribe link is not valid. Sign in and change your email settings instead.".into());
    let mut parts = token.trim().splitn(3, '.');
    let (Some(p), Some(i), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(forged());
    };
    let (Ok(person), Ok(issued)) = (p.parse::<i64>(), i.parse::<i64>()) else {
        return Err(forged());
    };
    if !secrets::verify_signature(settings.secret_key.as_bytes(), &format!("unsubscribe|{person}|{issued}"), sig) {
        return Err(forged());
    }
    if meetinghouse_store::now() - issued > UNSUBSCRIBE_TTL_SECS {
        return Err(CoreError::Forbidden(
            "This unsubscribe link has expired. Use the link in a newer email, or sign in and change your email settings.".into(),
        ));
    }
    Ok(person)
}

/// Turns notification email off for the person a valid token names.
pub async fn unsubscribe(db: &Db, settings: &Settings, token: &str) -> Result<()> {
    let person = check_unsubscribe(settings, token)?;
    store::set_mode(db, person, "off").await?;
    Ok(())
}

pub async fn unread(db: &Db, actor: &Actor) -> Result<i64> {
    Ok(store::unread_count(db, actor.id, UNREAD_CAP).await?)
}

/// A page of the person's notifications, newest first, before id `before` (0: newest).
pub async fn list(db: &Db, actor: &Actor, before: i64) -> Result<Vec<NotificationRow>> {
    Ok(store::list(db, actor.id, before, PAGE_SIZE).await?)
}

pub async fn mark_all_read(db: &Db, actor: &Actor) -> Result<()> {
    store::mark_all_read(db, actor.id).await?;
    Ok(())
}

/// "Mark all as read" from a page whose newest notification was `upto`:
/// what arrived after the page was shown stays unread.
pub async fn mark_read_up_to(db: &Db, actor: &Actor, upto: i64) -> Result<()> {
    store::mark_read_up_to(db, actor.id, upto).await?;
    Ok(())
}

/// Follows one of the person's notifications: marks it read and returns its
/// link. Someone else's (or no) notification is "not found".
pub async fn open(db: &Db, actor: &Actor, id: i64) -> Result<String> {
    store::open(db, actor.id, id).await?.ok_or(CoreError::NotFound)
}

pub async fn mode(db: &Db, actor: &Actor) -> Result<String> {
    Ok(store::mode(db, actor.id).await?)
}

pub async fn set_mode(db: &Db, actor: &Actor, mode: &str) -> Result<()> {
    if !MODES.iter().any(|(m, _)| *m == mode) {
        return Err(FieldErrors::one("email_mode", "Choose how you would like to hear about notifications."));
    }
    store::set_mode(db, actor.id, mode).await?;
    Ok(())
}

/// How long a host who read a join request is not told of the same person's
/// request again (while it is unread they are never told twice).
pub const JOIN_REQUEST_QUIET_SECS: i64 = 86_400;

/// Tells a group's hosts that someone asked to join, once: a host who has
/// the same person's request unread, or read it in the last day, is not told
/// again (whatever name the person goes by now). A host who blocked or muted
/// the person is not told at all.
pub async fn join_requested(db: &Db, mail: Mailer<'_>, group_slug: &str, requester: &Actor) -> Result<()> {
    let Some(group) = meetinghouse_store::groups::by_slug(db, group_slug).await? else { return Ok(()) };
    let text = format!("{} (@{}) asked to join {}.", requester.display_name, requester.handle, group.name);
    let url = format!("/groups/{}", group.slug);
    let since = meetinghouse_store::now() - JOIN_REQUEST_QUIET_SECS;
    let from = Source { sender: Some(requester.id), reply: None };
    let mut tx = db.begin().await?;
    for host in meetinghouse_store::groups::active_hosts(&mut tx, group.id).await? {
        if store::silenced(&mut tx, host, requester.id).await? {
            continue;
        }
        // Withdrawing and asking again tells a host nothing new.
        if !store::already_told_by(&mut tx, host, Kind::JoinRequest.as_str(), requester.id, &url, &text, since).await? {
            notify_from(&mut tx, mail, host, Kind::JoinRequest, &text, &url, from).await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Sends the daily digests that are due; returns how many went out.
/// Idempotent: a digest is claimed (its time stamped) and its notifications
/// marked emailed in the same transaction as the email is queued.
pub async fn send_digests(db: &Db, mail: Mailer<'_>) -> Result<usize> {
    let cutoff = meetinghouse_store::now() - DIGEST_EVERY_SECS;
    let mut sent = 0;
    for person in store::digest_due(db, cutoff, 200).await? {
        let mut tx = db.begin().await?;
        if !store::claim_digest(&mut tx, person, cutoff).await? {
            continue;
        }
        // Only to an active account with a confirmed address (checked again
        // here: it may have changed since `digest_due`).
        let Some((_, email)) = store::email_pref(&mut tx, person).await? else { continue };
        let (items, more) = store::take_undigested(&mut tx, person, DIGEST_LISTS).await?;
        if items.is_empty() {
            continue;
        }
        let mut body = format!("Here is what happened on {} since your last digest:\n\n", mail.settings.name);
        for n in &items {
            body.push_str(&format!("- {}\n  {}{}\n", n.text, mail.base_url, n.url));
        }
        if more > 0 {
            body.push_str(&format!("\n…and {more} more: {}/notifications\n", mail.base_url));
        }
        body.push('\n');
        body.push_str(&footer(mail, person, "You get one digest a day at most."));
        let subject = format!("{}: your daily digest ({} new)", mail.settings.name, items.len() as u64 + more);
        outbox::enqueue(&mut tx, &email, &subject, &body, "digest").await?;
        tx.commit().await.map_err(StoreError::from)?;
        sent += 1;
    }
    Ok(sent)
}
