//! Notifications: replies to you, mentions, thanks, moderation outcomes and
//! join requests, listed in the app with an unread count, and emailed per
//! person's choice — at once, in a daily digest, or never — through the
//! outbox. Every email carries a signed one-click unsubscribe link.

use meetinghouse_store::notifications::{self as store, NotificationRow};
use meetinghouse_store::writes::{Batch, Text};
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

/// Notifies a person inside the caller's transaction; emails at once when
/// they chose that.
pub async fn notify(tx: &mut Tx, mail: Mailer<'_>, person: i64, kind: Kind, text: &str, url: &str) -> Result<()> {
    let mut b = Batch::new();
    notify_into(&mut b, mail, person, kind, text, &Text::Now(url.to_string()));
    b.run_in(tx).await?;
    Ok(())
}

/// [`notify`], in a batch; the link may be made from an insert of the same
/// batch (a new reply's). Whether to email is decided as the batch runs, by
/// the person's choice then; the email is written either way.
pub fn notify_into(b: &mut Batch, mail: Mailer<'_>, person: i64, kind: Kind, text: &str, url: &Text) {
    store::insert_into(b, person, kind.as_str(), text, url);
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

fn footer(mail: Mailer<'_>, person: i64, why: &str) -> String {
    format!(
        "—\n{why} Change this at {base}/notifications/settings\nStop all notification email with one click: {base}/unsubscribe?t={token}",
        base = mail.base_url,
        token = unsubscribe_token(mail.settings, person, meetinghouse_store::now())
    )
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
/// the same request unread, or read it in the last day, is not told again.
pub async fn join_requested(db: &Db, mail: Mailer<'_>, group_slug: &str, requester: &Actor) -> Result<()> {
    let Some(group) = meetinghouse_store::groups::by_slug(db, group_slug).await? else { return Ok(()) };
    let text = format!("{} (@{}) asked to join {}.", requester.display_name, requester.handle, group.name);
    let url = format!("/groups/{}", group.slug);
    let since = meetinghouse_store::now() - JOIN_REQUEST_QUIET_SECS;
    let mut tx = db.begin().await?;
    for host in meetinghouse_store::groups::active_hosts(&mut tx, group.id).await? {
        // Withdrawing and asking again tells a host nothing new.
        if !store::already_told(&mut tx, host, Kind::JoinRequest.as_str(), &text, &url, since).await? {
            notify(&mut tx, mail, host, Kind::JoinRequest, &text, &url).await?;
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
        let (items, more) = store::take_undigested(&mut tx, person, DIGEST_LISTS).await?;
        let Some((_, email)) = store::email_pref(&mut tx, person).await? else { continue };
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
