//! Notifications: replies to you, mentions, thanks, moderation outcomes,
//! join requests, invitations and amendments to a group's purpose, listed
//! in the app with an unread count, and emailed per person's choice — at
//! once, in a daily digest, or never — through the outbox. Every email
//! carries a signed one-click unsubscribe link. The same news told many
//! times over (one person's twenty replies to a story) is shown as one line
//! with its count, in the list and in the digest ([`group`]).

use meetinghouse_store::notifications::{self as store, NotificationRow};
use meetinghouse_store::writes::{Arg, Batch, Text};
use meetinghouse_store::{Db, StoreError, Tx, outbox};

use crate::clock::Zone;
use crate::error::{CoreError, FieldErrors, Result};
use crate::settings::Settings;
use crate::{Actor, secrets};

/// How long an unsubscribe link works.
pub const UNSUBSCRIBE_TTL_SECS: i64 = 180 * 24 * 3600;
/// The hour, on the meeting house's clock ([`crate::clock::zone`]), at
/// which the daily digests go out: 07:00, once a day. What arrives after it
/// waits for the next day's.
pub const DIGEST_HOUR: i8 = 7;
/// How many digests [`send_digests`] looks for at a time; it goes on while
/// batches come back full, at most [`DIGEST_ROUNDS`] of them a run (the
/// jobs run every minute), since every digest is due at the same hour.
pub const DIGEST_BATCH: i64 = 200;
pub const DIGEST_ROUNDS: usize = 50;

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
    /// An invitation to join a group or an organisation (migration 0030).
    Invitation,
    /// The answer to a request to join a group: approved or declined.
    Membership,
    /// An amendment to a group's purpose was proposed (told to its hosts;
    /// migration 0034).
    Amendment,
    /// Someone objected to an amendment (told to its proposer).
    Objection,
    /// An amendment was settled (adopted, not adopted, superseded) or
    /// withdrawn (told to its proposer and those who objected).
    AmendmentOutcome,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::Mention => "mention",
            Kind::Thanks => "thanks",
            Kind::Moderation => "moderation",
            Kind::JoinRequest => "join_request",
            Kind::Invitation => "invitation",
            Kind::Membership => "membership",
            Kind::Amendment => "amendment",
            Kind::Objection => "objection",
            Kind::AmendmentOutcome => "amendment_outcome",
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
    let notification = store::insert_from_into(b, person, kind.as_str(), text, url, sender, reply);
    let subject = format!("{}: {}", mail.settings.name, short(text));
    let (text, base) = (text.to_string(), mail.base_url.to_string());
    let footer = footer(mail, person, "You get an email for each notification.");
    let body = url.map(move |url| format!("{text}\n\n{base}{url}\n\n{footer}"));
    store::email_if_immediate_into(b, person, &subject, &body, notification);
}

/// How many characters of a notification's text its mail's subject holds.
const SUBJECT_TEXT_CHARS: usize = 70;

/// The outbox kind of a daily digest.
pub(crate) const DIGEST_KIND: &str = "digest";

/// A notification's text as its mail's subject holds it: on one line
/// (every run of whitespace, line breaks included, one space: a subject
/// with a line break in it would break the mail's header), the first
/// [`SUBJECT_TEXT_CHARS`] characters, `…` when cut.
pub(crate) fn short(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let s: String = one_line.chars().take(SUBJECT_TEXT_CHARS).collect();
    if s.len() < one_line.len() { format!("{s}…") } else { s }
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

/// Notifications that tell the same news: of one kind, from one sender
/// (or none), in the same words — which name the subject ("Hannah Lee
/// replied to “Heathcoat's lace factory”."). Shown as one line with how
/// many there are and how many are unread; each stays there to open.
#[derive(Debug, Clone)]
pub struct News {
    /// In the order they were given (the list's newest first, the
    /// digest's oldest first); never empty.
    pub items: Vec<NotificationRow>,
}

impl News {
    /// The first of them, as given: the list shows when the newest came,
    /// the digest links the oldest, where the news starts.
    pub fn first(&self) -> &NotificationRow {
        &self.items[0]
    }

    /// The words they share.
    pub fn text(&self) -> &str {
        &self.first().text
    }

    pub fn count(&self) -> usize {
        self.items.len()
    }

    /// How many of them are unread.
    pub fn unread(&self) -> usize {
        self.items.iter().filter(|n| n.read_at.is_none()).count()
    }
}

/// Groups notifications that tell the same news ([`News`]), keeping the
/// order of each group's first one; within a group, the order given.
pub fn group(rows: Vec<NotificationRow>) -> Vec<News> {
    let mut out: Vec<News> = Vec::new();
    for row in rows {
        let same = out.iter_mut().find(|g| {
            let f = g.first();
            f.kind == row.kind && f.sender_id == row.sender_id && f.text == row.text
        });
        match same {
            Some(g) => g.items.push(row),
            None => out.push(News { items: vec![row] }),
        }
    }
    out
}

pub async fn mark_all_read(db: &Db, actor: &Actor) -> Result<()> {
    store::mark_all_read(db, actor.id).await?;
    Ok(())
}

/// "Mark all as read" from a page: marks read exactly the notifications it
/// showed (`ids`, the unread ones, at most [`PAGE_SIZE`]), so one that
/// arrived after the page was drawn stays unread whatever its id (on
/// PostgreSQL a lower id can commit later). Ids that are not the person's
/// are left alone. More than a page's worth is refused.
pub async fn mark_read(db: &Db, actor: &Actor, ids: &[i64]) -> Result<()> {
    if ids.len() as i64 > PAGE_SIZE {
        return Err(CoreError::Forbidden("A page shows at most 50 notifications: mark them as read from the notifications page.".into()));
    }
    store::mark_read(db, actor.id, ids).await?;
    Ok(())
}

/// Follows one of the person's notifications: marks it read and returns its
/// link. Someone else's (or no) notification is "not found".
pub async fn open(db: &Db, actor: &Actor, id: i64) -> Result<String> {
    Ok(store::open(db, actor.id, id).await?.ok_or(CoreError::NotFound)?.0)
}

/// [`open`], for the notifications page: the link only while the person is
/// still shown the notification, `None` when what it is about has gone from
/// their view since the page was drawn (it is marked read all the same).
pub async fn follow(db: &Db, actor: &Actor, id: i64) -> Result<Option<String>> {
    let (url, shown) = store::open(db, actor.id, id).await?.ok_or(CoreError::NotFound)?;
    Ok(shown.then_some(url))
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

/// How long someone who read an invitation to a group or an organisation
/// is not told of another invitation to it (while it is unread they are
/// never told twice): inviting, withdrawing and inviting again is no news.
pub const INVITATION_QUIET_SECS: i64 = 7 * 86_400;

/// Tells a person of an invitation (to what `url` links to: a group's or an
/// organisation's page), in the caller's transaction, recording who sent it;
/// not when they blocked or muted the sender, nor when they were already
/// told of an invitation there, by anyone, that is unread or was read in the
/// last [`INVITATION_QUIET_SECS`]. The invitation itself waits on their page
/// either way. Returns whether they were told.
pub async fn invited(tx: &mut Tx, mail: Mailer<'_>, person: i64, sender: i64, text: &str, url: &str) -> Result<bool> {
    if store::silenced(tx, person, sender).await? {
        return Ok(false);
    }
    let since = meetinghouse_store::now() - INVITATION_QUIET_SECS;
    if meetinghouse_store::groups::invitation_told(tx, person, url, since).await? {
        return Ok(false);
    }
    notify_from(tx, mail, person, Kind::Invitation, text, url, Source { sender: Some(sender), reply: None }).await?;
    Ok(true)
}

/// Tells a group's hosts that someone asked to join, once: a host who has
/// the same person's own request unread, or read it in the last day, is not
/// told again (whatever name the person goes by now; their requests for an
/// organisation or a group do not count). A host who blocked or muted
/// the person is not told at all.
pub async fn join_requested(db: &Db, mail: Mailer<'_>, group_slug: &str, requester: &Actor) -> Result<()> {
    let Some(group) = meetinghouse_store::groups::by_slug(db, group_slug).await? else { return Ok(()) };
    let ending = format!("(@{}) asked to join {}.", requester.handle, group.name);
    let text = format!("{} {ending}", requester.display_name);
    let url = format!("/groups/{}", group.slug);
    let since = meetinghouse_store::now() - JOIN_REQUEST_QUIET_SECS;
    let from = Source { sender: Some(requester.id), reply: None };
    let mut tx = db.begin().await?;
    for host in meetinghouse_store::groups::active_hosts(&mut tx, group.id).await? {
        if store::silenced(&mut tx, host, requester.id).await? {
            continue;
        }
        // Withdrawing and asking again tells a host nothing new; the
        // person's request for an organisation or a group they speak for is
        // other news (`already_told_of` goes by what was asked).
        if !store::already_told_of(&mut tx, host, Kind::JoinRequest.as_str(), requester.id, &url, &text, &ending, since).await? {
            notify_from(&mut tx, mail, host, Kind::JoinRequest, &text, &url, from).await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The daily send time a digest is due for at `now`: [`DIGEST_HOUR`]:00
/// today on `zone`'s clock once it has struck, yesterday's before then. On a
/// day a clock change skips that hour, the moment the clocks go forward past
/// it; on one where it comes twice, the first time.
pub fn digest_time(zone: &Zone, now: i64) -> i64 {
    let tz = jiff::tz::TimeZone::get(zone.name()).unwrap_or(jiff::tz::TimeZone::UTC);
    let at = |day: jiff::civil::Date| day.at(DIGEST_HOUR, 0, 0, 0).to_zoned(tz.clone()).ok().map(|z| z.timestamp().as_second());
    let Ok(moment) = jiff::Timestamp::from_second(now) else { return now };
    let today = moment.to_zoned(tz.clone()).date();
    match at(today) {
        Some(t) if t <= now => t,
        _ => today.yesterday().ok().and_then(at).filter(|t| *t <= now).unwrap_or(now - 86_400),
    }
}

/// Sends the daily digests due at `now` (unix seconds); returns how many
/// went out. A digest goes once a day, at [`DIGEST_HOUR`] on the meeting
/// house's clock (the jobs run every minute, so within a minute of it):
/// to someone on the daily digest with a notification from before that
/// time not yet emailed, and no digest claimed for that send time. What
/// arrives after it waits for the next day's, however quiet the day was.
///
/// Idempotent, and safe with several app servers: a digest is claimed
/// (store `claim_digest`: still on the daily digest, none claimed for the
/// send time, which it records) and its notifications marked emailed in
/// the same transaction as the email is queued. The claim is by send time,
/// not by the clock's reading, so a clock that ran ahead and was set back
/// stops no digest. Each notification's subject is checked again there for
/// that person, in the query that lists them (store `take_undigested_before`, by
/// `shown!`: a deleted story, a group they left, a withdrawn invitation):
/// one they may no longer see is marked emailed unlisted, so it never goes
/// out. One person's digest that fails is logged and rolled back, and the
/// run goes on with the next person; theirs is tried again on the next run.
pub async fn send_digests(db: &Db, mail: Mailer<'_>, now: i64) -> Result<usize> {
    let slot = digest_time(crate::clock::zone(), now);
    let (mut sent, mut after) = (0, 0);
    for _ in 0..DIGEST_ROUNDS {
        let due = store::digest_due(db, slot, now, after, DIGEST_BATCH).await?;
        for person in &due {
            match send_digest(db, mail, *person, slot, now).await {
                Ok(Digest::Sent) => sent += 1,
                Ok(Digest::Empty | Digest::NotClaimed) => {}
                Err(e) => tracing::warn!(person, error = %e, "digest: one person's digest failed; skipped until the next run"),
            }
        }
        // A short batch was the last; a full one may have more behind it.
        match due.last() {
            Some(last) if (due.len() as i64) == DIGEST_BATCH => after = *last,
            _ => break,
        }
    }
    Ok(sent)
}

/// What became of one person's digest.
enum Digest {
    /// Another server claimed it first, or they may not have one now.
    NotClaimed,
    /// Claimed, with nothing left to list.
    Empty,
    Sent,
}

/// One person's digest for send time `slot`.
async fn send_digest(db: &Db, mail: Mailer<'_>, person: i64, slot: i64, now: i64) -> Result<Digest> {
    let mut tx = db.begin().await?;
    if !store::claim_digest(&mut tx, person, slot, now).await? {
        return Ok(Digest::NotClaimed);
    }
    // Only to an active account with a confirmed address, still on the
    // daily digest (checked again here: it may have changed since `digest_due`).
    let Some((mode, email)) = store::email_pref(&mut tx, person).await? else { return Ok(Digest::NotClaimed) };
    if mode != "daily" {
        return Ok(Digest::NotClaimed);
    }
    // What arrived at or after the send time waits for the next morning's.
    let (items, more) = store::take_undigested_before(&mut tx, person, slot, DIGEST_LISTS).await?;
    if items.is_empty() {
        // Nothing left to tell: keep the claim and the marks, so what they
        // may no longer see is never sent.
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(Digest::Empty);
    }
    let total = items.len() as u64 + more;
    let mut body = format!("Here is what happened on {} since your last digest:\n\n", mail.settings.name);
    // The same news told many times is one line, linking the first.
    for news in group(items) {
        let n = news.first();
        match news.count() {
            1 => body.push_str(&format!("- {}\n  {}{}\n", n.text, mail.base_url, n.url)),
            count => body.push_str(&format!("- {} ({count} times)\n  {}{}\n", n.text, mail.base_url, n.url)),
        }
    }
    if more > 0 {
        body.push_str(&format!("\n…and {more} more: {}/notifications\n", mail.base_url));
    }
    body.push('\n');
    let why = format!("You get a digest at {DIGEST_HOUR:02}:00 on days with news.");
    body.push_str(&footer(mail, person, &why));
    let subject = format!("{}: your daily digest ({total} new)", mail.settings.name);
    // It names the person, so the mail worker checks their address, account
    // and choice again before it goes (store `outbox::recheck`).
    outbox::enqueue_for(&mut tx, person, &email, &subject, &body, DIGEST_KIND).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Digest::Sent)
}
