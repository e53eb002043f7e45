//! Accounts: sign-up, sign-in, email verification, password reset, a
//! change of email address, invites.
//!
//! Nothing a stranger can send says whether an address has an account: a
//! sign-up with one is answered as any other (its owner is emailed instead,
//! [`register`]), a sign-in with a wrong password as one with an unknown
//! address, and a password reset the same either way.

use meetinghouse_store::{Db, StoreError, email_changes, outbox, people, sessions, tokens};

use crate::attempts::Budget;
use crate::error::{CoreError, FieldErrors, Result};
use crate::secrets;
use crate::settings::{RegistrationMode, Settings};
use crate::types::{Email, Handle, Password};
use crate::Actor;

/// How long a session lasts: 30 days.
pub const SESSION_TTL_SECS: i64 = 30 * 24 * 3600;
const VERIFY_TTL_SECS: i64 = 7 * 24 * 3600;
const RESET_TTL_SECS: i64 = 3600;

/// What a person submits on the sign-up form.
#[derive(Debug, Clone, Default)]
pub struct SignupForm {
    pub email: String,
    pub handle: String,
    pub display_name: String,
    pub password: String,
    pub accept_conduct: bool,
    pub invite_code: String,
}

/// The result of a sign-up.
#[derive(Debug, Clone)]
pub struct SignedUp {
    pub person_id: i64,
    /// `active`, or `pending` when an admin must approve the account
    /// (approval mode, signed up without an invite code).
    pub status: String,
}

/// What a sign-up came to. The sign-up form answers both the same way
/// ("check your email"), so it never tells anyone whether an address has an
/// account; only the address's owner learns which, from the email.
#[derive(Debug, Clone)]
pub enum Registered {
    /// A new account, its confirmation email queued in the same transaction.
    Created(SignedUp),
    /// The address already has an account: nothing was created, and its
    /// owner is emailed that someone tried (at most once an hour:
    /// [`ADDRESS_TAKEN_MAIL`]).
    AddressHasAccount,
}

/// How often the owner of an address is told that someone tried to sign up
/// with it: at most once an hour per address, counted in the database
/// (`attempts`), so nobody can fill a person's inbox through the sign-up
/// form, from any number of app servers. Every try counts, the ones that
/// send nothing too: tries at least every hour keep further mail back, so
/// the owner hears once, not once an hour, until they stop.
pub const ADDRESS_TAKEN_MAIL: Budget = Budget { name: "signup-address-has-account", limit: 1, period_secs: 3600 };

/// The outbox kind of the email telling an address's owner that someone
/// tried to sign up with it.
pub const ADDRESS_TAKEN_KIND: &str = "signup_existing";

/// The sign-up form: creates an account and queues its confirmation email,
/// or, when the address already has an account, emails that account's
/// owner instead ([`Registered::AddressHasAccount`]). Either way the same
/// checks run first (every field, the invite code, whether the handle is
/// taken — handles are public — each in its own words), and the password is
/// hashed in both, so neither the answer nor the time it takes says which
/// it was. An invite code is used only by an account it creates; in
/// approval mode that account is active at once ([`invite_counts`]).
pub async fn register(db: &Db, settings: &Settings, base_url: &str, form: &SignupForm) -> Result<Registered> {
    match create(db, settings, base_url, form).await? {
        Created::Account(done) => Ok(Registered::Created(done)),
        Created::AddressTaken(owner) => {
            tell_owner(db, settings, base_url, &owner).await?;
            Ok(Registered::AddressHasAccount)
        }
    }
}

/// Creates an account for someone the caller knows (tests, tools), and
/// queues the verification email in the same transaction. An address that
/// already has an account is an error on the email field here, so never
/// answer a stranger with this: the sign-up form uses [`register`].
pub async fn signup(db: &Db, settings: &Settings, base_url: &str, form: &SignupForm) -> Result<SignedUp> {
    match create(db, settings, base_url, form).await? {
        Created::Account(done) => Ok(done),
        Created::AddressTaken(_) => Err(FieldErrors::one("email", EMAIL_TAKEN)),
    }
}

/// Why [`signup`] refuses an address that already has an account.
const EMAIL_TAKEN: &str = "There is already an account with this email. Sign in, or reset your password if you forgot it.";

/// What [`create`] did: made the account, or found the address taken (by
/// the account returned), having written nothing.
enum Created {
    Account(SignedUp),
    AddressTaken(people::PersonRow),
}

async fn create(db: &Db, settings: &Settings, base_url: &str, form: &SignupForm) -> Result<Created> {
    let mut e = FieldErrors::new();
    let email = Email::parse(&form.email).map_err(|m| e.add("email", m)).ok();
    let handle = Handle::parse(&form.handle).map_err(|m| e.add("handle", m)).ok();
    let display_name = crate::people::display_name(&mut e, "display_name", "Your name", &form.display_name, true);
    let password = Password::parse(&form.password).map_err(|m| e.add("password", m)).ok();
    if !form.accept_conduct {
        e.add("accept_conduct", "Please read and accept the code of conduct to join.");
    }
    let invite_hash = invite_hash(&form.invite_code);
    let invited = invite_counts(settings, &form.invite_code);
    if settings.registration == RegistrationMode::Invite && form.invite_code.trim().is_empty() {
        e.add("invite_code", "This meeting house is invite only: enter the invite code you were given.");
    } else if invited && !tokens::invite_is_open(db, &invite_hash).await? {
        e.add("invite_code", invite_refused(settings, INVITE_NOT_OPEN));
    }
    // A handle is public (a person's page is /@handle), so saying it is
    // taken tells nothing new; it is said whether or not the address has an
    // account, with the other fields' errors.
    if let Some(h) = &handle
        && people::by_handle(db, h.as_str()).await?.is_some()
    {
        e.add("handle", HANDLE_TAKEN);
    }
    e.into_result()?;
    let (email, handle, password) = (email.unwrap(), handle.unwrap(), password.unwrap());
    // Hashed before the address is looked up, so a sign-up with an address
    // that has an account takes as long as one that makes an account.
    let hash = secrets::hash_password_queued(password.expose()).await?;
    if let Some(owner) = people::by_email(db, email.as_str()).await? {
        return Ok(Created::AddressTaken(owner));
    }
    // An admin's invite code is an approval given in advance.
    let status = if settings.registration == RegistrationMode::Approval && !invited { "pending" } else { "active" };
    // Who is told that a new account waits for approval.
    let approvers: Vec<i64> = if status == "pending" {
        people::admins(db).await?.into_iter().filter(|a| a.status == "active").map(|a| a.id).collect()
    } else {
        Vec::new()
    };

    let mut tx = db.begin().await?;
    let new = people::NewPerson {
        email: email.as_str(),
        handle: handle.as_str(),
        display_name: &display_name,
        password_hash: &hash,
        is_admin: false,
        status,
    };
    let id = match people::insert(&mut tx, &new).await {
        Ok(id) => id,
        // Taken by a sign-up a moment ago, between the look-up and the insert.
        Err(StoreError::Conflict { what: "email" }) => {
            drop(tx);
            return match people::by_email(db, email.as_str()).await? {
                Some(owner) => Ok(Created::AddressTaken(owner)),
                None => Err(FieldErrors::one("email", "Something changed while your account was being made. Please send the form again.")),
            };
        }
        Err(other) => return Err(conflict_to_field(other)),
    };
    // Spent in the transaction that makes the account, by a conditional
    // update: of two sign-ups with one code, the second waits for the first
    // to commit (or, on SQLite, for its write turn), finds the code used,
    // and makes nothing.
    if invited && !tokens::use_invite(&mut tx, &invite_hash, id).await? {
        return Err(FieldErrors::one("invite_code", invite_refused(settings, INVITE_JUST_USED)));
    }
    queue_verification(&mut tx, settings, base_url, id, email.as_str()).await?;
    let mail = crate::notifications::Mailer { settings, base_url };
    let waiting = format!("@{} ({display_name}) made an account and is waiting for an admin's approval.", handle.as_str());
    // Sent by the new account, so closing it takes the notice away
    // (store `closing::rename_in_notifications`).
    let from = crate::notifications::Source { sender: Some(id), reply: None };
    for admin in approvers {
        crate::notifications::notify_from(&mut tx, mail, admin, crate::notifications::Kind::JoinRequest, &waiting, "/admin/people", from).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(person_id = id, status, invited, "account created");
    Ok(Created::Account(SignedUp { person_id: id, status: status.into() }))
}

/// Whether a sign-up with this invite code (as typed) uses it: in invite-only
/// mode always (it is needed), in approval mode when one was typed (it
/// stands for an admin's approval given in advance: the account is active at
/// once, and a code that is not valid is refused, not passed over), and in
/// open mode never (nobody needs one: it is neither checked nor spent).
/// A sign-up that uses a code and passes the form's checks has it
/// accepted: the account it makes, if any, starts without waiting.
pub fn invite_counts(settings: &Settings, code: &str) -> bool {
    match settings.registration {
        RegistrationMode::Invite => true,
        RegistrationMode::Approval => !code.trim().is_empty(),
        RegistrationMode::Open => false,
    }
}

/// Why a code was refused, in both modes that take one.
const INVITE_NOT_OPEN: &str = "That invite code is not valid, has expired or has already been used.";
const INVITE_JUST_USED: &str = "That invite code has just been used by someone else.";

/// A refused code's message: in approval mode it says that the code can
/// be left out, so the sign-up waits for an admin instead.
fn invite_refused(settings: &Settings, why: &str) -> String {
    if settings.registration == RegistrationMode::Approval {
        format!("{why} Check it, or leave this field empty and an admin will look at your sign-up.")
    } else {
        why.to_string()
    }
}

/// Emails the owner of an address someone tried to sign up with, unless
/// they were told within the hour ([`ADDRESS_TAKEN_MAIL`]): the count and
/// the email are written in one transaction.
async fn tell_owner(db: &Db, settings: &Settings, base_url: &str, owner: &people::PersonRow) -> Result<()> {
    let mut tx = db.begin().await?;
    let key = owner.email.to_lowercase();
    if crate::attempts::attempt_in(&mut tx, &settings.secret_key, &ADDRESS_TAKEN_MAIL, &key, meetinghouse_store::now()).await? {
        let body = format!(
            "Someone tried to make a new account on {name} with this email address. You already have an account here (@{handle}), \
             so no new account was made.\n\n\
             If it was you, sign in with this email address and your password:\n\n{base_url}/login\n\n\
             If you forgot your password, choose a new one here:\n\n{base_url}/reset\n\n\
             If it was not you, you can ignore this email: nothing about your account has changed.\n",
            name = settings.name,
            handle = owner.handle
        );
        let subject = format!("Someone tried to join {} with your email address", settings.name);
        outbox::enqueue(&mut tx, &owner.email, &subject, &body, ADDRESS_TAKEN_KIND).await?;
        tracing::info!(person_id = owner.id, "sign-up with an address that has an account: its owner is told");
    } else {
        tracing::info!(person_id = owner.id, "sign-up with an address that has an account: its owner was told within the hour");
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Why a handle cannot be had.
const HANDLE_TAKEN: &str = "That handle is taken. Please choose another.";

fn conflict_to_field(e: StoreError) -> CoreError {
    match e {
        StoreError::Conflict { what: "email" } => FieldErrors::one("email", EMAIL_TAKEN),
        StoreError::Conflict { what: "handle" } => FieldErrors::one("handle", HANDLE_TAKEN),
        other => other.into(),
    }
}

async fn queue_verification(tx: &mut meetinghouse_store::Tx, settings: &Settings, base_url: &str, id: i64, email: &str) -> Result<()> {
    let token = secrets::random_token();
    tokens::create(tx, &secrets::token_hash(&token), id, "verify", VERIFY_TTL_SECS).await?;
    let body = format!(
        "Welcome to {name}!\n\nPlease confirm your email address by opening this link:\n\n{base_url}/verify?token={token}\n\n\
         The link works for 7 days. If you did not sign up, you can ignore this email.\n",
        name = settings.name
    );
    outbox::enqueue(tx, email, &format!("Confirm your email for {}", settings.name), &body, "verify").await?;
    Ok(())
}

/// Checks an email and password. Unknown email and wrong password give the
/// same message and take the same time; so does something that is not an
/// email address at all (a control character, say), which is never looked up.
pub async fn login(db: &Db, email: &str, password: &str) -> Result<Actor> {
    let wrong = || FieldErrors::one("password", "That email and password do not match an account. Check both and try again.");
    let Ok(email) = Email::parse_loosely(email) else {
        secrets::dummy_verify_queued(password).await;
        return Err(wrong());
    };
    let Some(person) = people::by_email(db, email.as_str()).await? else {
        secrets::dummy_verify_queued(password).await;
        return Err(wrong());
    };
    if !secrets::verify_password_queued(password, &person.password_hash).await {
        return Err(wrong());
    }
    if person.status == "suspended" {
        return Err(CoreError::Forbidden(suspended_message(db, person.id).await?));
    }
    Ok(Actor::from_row(&person))
}

/// Whose browsers a known-device cookie may name, and which generation of
/// them is current: a cookie is this account's only while it names the
/// person and carries this generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Devices {
    pub person: i64,
    /// Goes up with every new password (a reset, a change, one set from the
    /// command line) and every "sign out everywhere else", so the cookies
    /// issued before make no browser known.
    pub generation: i64,
}

/// The account an address typed at sign-in names, with the current
/// generation of the browsers it knows ([`Devices`]).
pub async fn devices_of(db: &Db, email: &str) -> Result<Option<Devices>> {
    let Ok(email) = Email::parse_loosely(email) else { return Ok(None) };
    Ok(people::device_generation_by_email(db, email.as_str()).await?.map(|(person, generation)| Devices { person, generation }))
}

/// The current generation of the browsers `person`'s account knows, for a
/// new known-device cookie (0 for nobody: a cookie for nobody is never read
/// as anyone's).
pub async fn device_generation(db: &Db, person: i64) -> Result<i64> {
    Ok(people::device_generation(db, person).await?.unwrap_or(0))
}

/// The address a person signs in with now (after a reset, or a change of
/// address, the web layer lifts that account's sign-in lock).
pub async fn sign_in_address(db: &Db, person: i64) -> Result<Option<String>> {
    Ok(people::by_id(db, person).await?.map(|p| p.email))
}

/// What a suspended or banned person is told when they sign in with the
/// right password: until when, and the moderators' note (they cannot sign
/// in to read their notification).
async fn suspended_message(db: &Db, person: i64) -> Result<String> {
    let (until, note) = meetinghouse_store::moderation::suspension_of(db, person).await?.unwrap_or((0, String::new()));
    let mut text = match until {
        meetinghouse_store::moderation::BANNED => "This account is closed by the moderators.".to_string(),
        0 => "This account is suspended.".to_string(),
        end => format!("This account is suspended until {}.", crate::format_date(end)),
    };
    if !note.trim().is_empty() {
        text.push_str(&format!(" The moderators' note: {}", note.trim()));
    }
    // They cannot sign in to report or ask for a review: how to reach the admins.
    let contact = crate::settings::contact(db).await?;
    text.push_str(&format!(" If you think this is a mistake, write to the meeting house's admins: {}.", crate::settings::admins_contact(&contact, "")));
    Ok(text)
}

/// Starts a session and returns the token for the cookie.
pub async fn start_session(db: &Db, person_id: i64) -> Result<String> {
    start_session_from(db, person_id, "").await
}

/// The longest a device's name may be as stored (the web layer names it
/// in a few words: "Firefox on Windows").
pub const DEVICE_MAX: usize = 60;

/// [`start_session`], naming the browser and system it was started from,
/// roughly ("Firefox on Windows"; cut to [`DEVICE_MAX`] characters), for
/// the person's list of their sessions ([`sessions`]).
pub async fn start_session_from(db: &Db, person_id: i64, device: &str) -> Result<String> {
    let token = secrets::random_token();
    let device: String = device.chars().filter(|c| !c.is_control()).take(DEVICE_MAX).collect();
    sessions::create_from(db, &secrets::token_hash(&token), person_id, SESSION_TTL_SECS, device.trim()).await?;
    Ok(token)
}

/// How often a session's "last used" time is written: at most once in
/// this many seconds, so a person browsing costs one write every few
/// minutes, not one per page.
pub const SESSION_SEEN_EVERY_SECS: i64 = 300;

/// The signed-in person for a session token, if the session is live, with
/// their unread notifications counted up to [`crate::notifications::UNREAD_CAP`]
/// and whether they have a moderation queue, read in the same query. The
/// session's "last used" time is written when it is older than
/// [`SESSION_SEEN_EVERY_SECS`]; a write that fails is logged, and the
/// request goes on.
pub async fn session_actor(db: &Db, token: &str) -> Result<Option<(Actor, i64, bool)>> {
    let hash = secrets::token_hash(token);
    let Some(found) = people::by_session_seen(db, &hash, crate::notifications::UNREAD_CAP).await? else {
        return Ok(None);
    };
    if found.person.status == "suspended" {
        return Ok(None);
    }
    let now = meetinghouse_store::now();
    if now - found.seen_at >= SESSION_SEEN_EVERY_SECS
        && let Err(e) = sessions::touch(db, &hash, now, SESSION_SEEN_EVERY_SECS).await
    {
        tracing::warn!(error = %e, person_id = found.person.id, "could not record when a session was used");
    }
    let actor = Actor::from_row(&found.person);
    let has_queue = crate::moderation::has_queue(&actor, found.hosts);
    Ok(Some((actor, found.unread, has_queue)))
}

/// The most sessions a person's list shows (the newest used first).
pub const SESSIONS_LISTED: i64 = 100;

/// One of the person's sessions, as their list shows it.
pub use meetinghouse_store::sessions::SessionRow;

/// The signed-in person's live sessions: the one asking (`current`, its
/// token) first, then by when they were last used, at most
/// [`SESSIONS_LISTED`].
pub async fn sessions(db: &Db, actor: &Actor, current: &str) -> Result<Vec<SessionRow>> {
    Ok(sessions::list_for(db, actor.id, &secrets::token_hash(current), SESSIONS_LISTED).await?)
}

/// "Sign out everywhere else": ends every session of the person but the
/// one asking (`keep`, its token), and forgets every browser the account
/// knows (the device generation goes up, so no known-device cookie issued
/// before counts); how many sessions ended. Their password, links and
/// everything else stay as they are.
pub async fn end_other_sessions(db: &Db, actor: &Actor, keep: &str) -> Result<u64> {
    let mut tx = db.begin().await?;
    let ended = sessions::delete_others_in(&mut tx, actor.id, &secrets::token_hash(keep)).await?;
    people::bump_device_generation_in(&mut tx, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(person_id = actor.id, ended, "signed out everywhere else");
    Ok(ended)
}

/// What a write refused because its author's account was closed
/// meanwhile is answered with.
pub const ACCOUNT_CLOSED: &str = "This account is closed, so nothing more can be posted from it.";

/// The guard every write of content takes first in its transaction (a
/// story written, edited or restored; a reply written or edited; a
/// common-ground conversation or statement; a prompt; an amendment or an
/// objection): refused ([`ACCOUNT_CLOSED`]) once the author's account is
/// closed, and otherwise holding their row until the transaction ends
/// (store `people::still_open_in`), so closing — which takes that row
/// before it reads what they posted — never misses what a request that
/// began before it writes: the write finishes first and closing removes
/// it, or it waits for closing and is refused. For a write batch, add
/// store `people::still_open_into` as its first statement and, when the
/// batch fails with `StoreError::NotFound`, ask [`refuse_if_closed`].
pub async fn ensure_still_open(tx: &mut meetinghouse_store::Tx, person: i64) -> Result<()> {
    if people::still_open_in(tx, person).await? { Ok(()) } else { Err(CoreError::Forbidden(ACCOUNT_CLOSED.into())) }
}

/// After a write batch that began with store `people::still_open_into`
/// wrote nothing: [`ACCOUNT_CLOSED`] when the author's account is closed,
/// otherwise `Ok` (the batch was refused for another reason, which the
/// caller gives).
pub async fn refuse_if_closed(db: &Db, person: i64) -> Result<()> {
    if people::is_closed(db, person).await? { Err(CoreError::Forbidden(ACCOUNT_CLOSED.into())) } else { Ok(()) }
}

pub async fn end_session(db: &Db, token: &str) -> Result<()> {
    sessions::delete(db, &secrets::token_hash(token)).await?;
    Ok(())
}

/// What a confirmation link followed after its address was confirmed is
/// answered with (rather than as a dead link).
pub const ALREADY_CONFIRMED: &str = "This email address is already confirmed: there is nothing more to do.";

/// Confirms an email address from the emailed token. A link that cannot
/// be used is refused on the `token` field: with [`ALREADY_CONFIRMED`] when
/// the account it was sent to has a confirmed address now (the link was
/// followed already, or another one was), otherwise as not valid.
pub async fn verify_email(db: &Db, token: &str) -> Result<i64> {
    let hash = secrets::token_hash(token.trim());
    let mut tx = db.begin().await?;
    let Some(id) = tokens::consume(&mut tx, &hash, "verify").await? else {
        drop(tx);
        if people::confirmed_by_link(db, &hash).await? == Some(true) {
            return Err(FieldErrors::one("token", ALREADY_CONFIRMED));
        }
        return Err(FieldErrors::one("token", "This confirmation link is not valid, has expired or was already used."));
    };
    people::mark_verified(&mut tx, id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}

/// What [`resend_verification`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resent {
    /// A new confirmation link is on its way.
    Sent,
    /// The address is already confirmed: nothing was sent.
    AlreadyConfirmed,
}

/// Sends a new verification email to a signed-in person, unless their
/// address is already confirmed (a link would only confuse them).
pub async fn resend_verification(db: &Db, settings: &Settings, base_url: &str, actor: &Actor) -> Result<Resent> {
    let person = people::by_id(db, actor.id).await?.ok_or(CoreError::NotFound)?;
    if person.email_verified_at.is_some() {
        return Ok(Resent::AlreadyConfirmed);
    }
    let mut tx = db.begin().await?;
    queue_verification(&mut tx, settings, base_url, person.id, &person.email).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Resent::Sent)
}

/// How many counters (one row each per hour, purged with the other attempt
/// counts) the work done for a reset asked for an unknown address is spread
/// over, so a flood of them does not queue behind one row.
const UNKNOWN_RESET_BUCKETS: usize = 16;

/// Queues a reset email if the address has an account. Says nothing either
/// way, so the form does not reveal who has an account — nor does the time
/// it takes: an unknown address costs the same store work as a known one
/// (a transaction of two writes, committed), which only counts the request
/// in one of [`UNKNOWN_RESET_BUCKETS`] hourly counters (bounded: nothing is
/// stored per address, and the counters are purged with the other
/// attempt counts).
pub async fn request_reset(db: &Db, settings: &Settings, base_url: &str, email: &str) -> Result<()> {
    let email = Email::parse(email).map_err(|m| FieldErrors::one("email", m))?;
    let person = people::by_email(db, email.as_str()).await?;
    let token = secrets::random_token();
    let token_hash = secrets::token_hash(&token);
    let mut tx = db.begin().await?;
    let Some(person) = person else {
        let now = meetinghouse_store::now();
        let window = now.div_euclid(3600) * 3600;
        let spread = usize::from(token_hash.as_bytes()[0]) % UNKNOWN_RESET_BUCKETS;
        meetinghouse_store::attempts::hit_in(&mut tx, &format!("{UNKNOWN_RESET_BUCKET} {spread}"), window, window - 3600, crate::attempts::stamp()).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!("password reset asked for an unknown address");
        return Ok(());
    };
    tokens::create(&mut tx, &token_hash, person.id, "reset", RESET_TTL_SECS).await?;
    let body = format!(
        "Someone asked to reset the password for your {name} account (@{handle}).\n\n\
         To choose a new password, open this link within an hour:\n\n{base_url}/reset/confirm?token={token}\n\n\
         If it was not you, ignore this email: your password stays as it is.\n",
        name = settings.name,
        handle = person.handle
    );
    outbox::enqueue(&mut tx, &person.email, &format!("Reset your {} password", settings.name), &body, "reset").await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The name of the hourly counters a reset asked for an unknown address
/// counts in (followed by a space and `0`..[`UNKNOWN_RESET_BUCKETS`]); the
/// other attempt counters are named by 64-digit HMACs, so never collide.
pub const UNKNOWN_RESET_BUCKET: &str = "reset asked for an unknown address";

/// What a reset link that cannot be used is answered with.
pub const RESET_LINK_DEAD: &str = "This link is not valid, has expired or was already used — ask for a new one.";

/// Whether a reset link's token is live (read-only: the link still works
/// afterwards). Its page shows the form only for a live link.
pub async fn reset_link_is_live(db: &Db, token: &str) -> Result<bool> {
    let token = token.trim();
    if token.is_empty() {
        return Ok(false);
    }
    Ok(tokens::is_live(db, &secrets::token_hash(token), "reset").await?)
}

/// The address of the account a live reset link belongs to, read-only
/// (the link still works afterwards), or `None` for a link that does not
/// work. The new-password form holds it in a hidden field for password
/// managers, so they save the new password for the right account; the link
/// was sent to that address, so it tells its holder nothing new.
pub async fn reset_link_address(db: &Db, token: &str) -> Result<Option<String>> {
    let token = token.trim();
    if token.is_empty() {
        return Ok(None);
    }
    match tokens::live_owner(db, &secrets::token_hash(token), "reset").await? {
        Some(person) => Ok(people::by_id(db, person).await?.map(|p| p.email)),
        None => Ok(None),
    }
}

/// Sets a new password from a reset token, spends the account's other reset
/// tokens, cancels a waiting change of email address (someone who knew the
/// old password may have asked for it) and ends every session; no browser
/// the account knew is known any more (store `people::set_password`). The
/// token is checked (read-only) before the new password is hashed, so a
/// stranger sending made-up links costs a look-up, never an argon2 hash; it
/// is used in the transaction that sets the password, so two sends of one
/// link set it once.
pub async fn reset_password(db: &Db, token: &str, new_password: &str) -> Result<i64> {
    let password = Password::parse(new_password).map_err(|m| FieldErrors::one("password", m))?;
    if !reset_link_is_live(db, token).await? {
        return Err(FieldErrors::one("token", RESET_LINK_DEAD));
    }
    let hash = secrets::hash_password_queued(password.expose()).await?;
    let mut tx = db.begin().await?;
    let Some(id) = tokens::consume(&mut tx, &secrets::token_hash(token.trim()), "reset").await? else {
        return Err(FieldErrors::one("token", RESET_LINK_DEAD));
    };
    people::set_password(&mut tx, id, &hash).await?;
    // Other reset links sent earlier die with this one.
    tokens::spend_all(&mut tx, id, "reset").await?;
    // So does a change of address someone who knew the old password asked for.
    email_changes::cancel(&mut tx, id).await?;
    // Whoever got the link also controls the mailbox, so the email is confirmed.
    people::mark_verified(&mut tx, id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    sessions::delete_for_person(db, id).await?;
    Ok(id)
}

/// A signed-in person changes their password. The current one is asked for
/// (a browser left signed in is not enough) and the new one is checked as at
/// sign-up; both are checked before anything is written. Every other session
/// of theirs ends, no browser the account knew is known any more (store
/// `people::set_password`), reset links already sent stop working, and so
/// does a waiting change of email address; the session whose token is
/// `keep` (the one asking) stays signed in.
pub async fn change_password(db: &Db, actor: &Actor, current: &str, new_password: &str, keep: &str) -> Result<()> {
    let person = people::by_id(db, actor.id).await?.ok_or(CoreError::NotFound)?;
    let mut e = FieldErrors::new();
    check_current_password(&mut e, "current_password", current, &person.password_hash).await;
    let password = Password::parse(new_password).map_err(|m| e.add("new_password", m)).ok();
    e.into_result()?;
    let hash = secrets::hash_password_queued(password.expect("checked above").expose()).await?;
    let mut tx = db.begin().await?;
    people::set_password(&mut tx, person.id, &hash).await?;
    tokens::spend_all(&mut tx, person.id, "reset").await?;
    email_changes::cancel(&mut tx, person.id).await?;
    sessions::delete_others_in(&mut tx, person.id, &secrets::token_hash(keep)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(person_id = person.id, "password changed; other sessions ended");
    Ok(())
}

/// How long a link to confirm a new email address works: 24 hours.
pub const EMAIL_CHANGE_TTL_SECS: i64 = 24 * 3600;

/// How many address-change emails one person can set off: at most five an
/// hour (asking and sending the link again together), counted in the
/// database, so nobody can fill a stranger's inbox with confirmation links.
pub const EMAIL_CHANGE_MAIL: Budget = Budget { name: "email-change-mail", limit: 5, period_secs: 3600 };

/// The outbox kind of the link to the new address. It is an email
/// confirmation like sign-up's, so it is kind `verify`: its text, like every
/// one-time link's, leaves the outbox once it is sent.
pub const EMAIL_CHANGE_LINK_KIND: &str = "verify";

/// The outbox kind of the notice to the old address that a change was asked for.
pub const EMAIL_CHANGE_NOTICE_KIND: &str = "email_change_asked";

/// The outbox kind of the notice to the old address that the change was made.
pub const EMAIL_CHANGED_KIND: &str = "email_changed";

/// The outbox kind of the email to the owner of an address someone asked
/// to move their account to.
pub const EMAIL_CHANGE_TAKEN_KIND: &str = "email_change_existing";

/// What an address-change link that cannot be used is answered with.
pub const EMAIL_CHANGE_LINK_DEAD: &str =
    "This link is not valid, has expired, was replaced by a newer one or was already used. Sign in and ask for the change again on your profile page.";

/// What a link followed after its address got an account of its own is answered with.
pub const EMAIL_CHANGE_ADDRESS_TAKEN: &str =
    "Someone made an account with that address after you asked for the change, so your address stays as it was. Ask again with another address.";

/// What [`request_email_change`] and [`resend_email_change`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailChangeAsked {
    /// The link is on its way (or, unknown to the asker, the address's
    /// owner is told: the answer is the same).
    Sent,
    /// [`EMAIL_CHANGE_MAIL`] is spent: nothing was sent.
    TooMany,
    /// No change is waiting (resending only).
    NothingWaiting,
}

/// Why [`EmailChangeAsked::TooMany`] sent nothing, in the person's words.
pub const EMAIL_CHANGE_TOO_MANY: &str =
    "You have asked for several address changes in the last hour. Please check the new inbox (and its spam folder), or wait an hour and try again.";

/// A change of address waiting for its link to be followed, as the
/// person's own page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEmailChange {
    /// The new address with most of the part before the @ hidden
    /// ([`mask_email`]).
    pub masked: String,
    pub asked_at: i64,
    pub expires_at: i64,
}

/// An address with all but the first character before the @ hidden, as
/// mail about it and the person's page name it: `n•••@example.org`.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("{}•••@{domain}", local.chars().next().map(String::from).unwrap_or_default()),
        None => "•••".to_string(),
    }
}

/// A person's email address as their own profile page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailStatus {
    pub address: String,
    pub confirmed: bool,
    /// A change of address waiting for its link to be followed.
    pub pending: Option<PendingEmailChange>,
}

/// The signed-in person's address, whether it is confirmed, and the change
/// of address that waits for its link, if any.
pub async fn email_status(db: &Db, actor: &Actor) -> Result<EmailStatus> {
    let person = people::by_id(db, actor.id).await?.ok_or(CoreError::NotFound)?;
    let pending = email_changes::pending(db, actor.id)
        .await?
        .map(|p| PendingEmailChange { masked: mask_email(&p.new_email), asked_at: p.created_at, expires_at: p.expires_at });
    Ok(EmailStatus { address: person.email, confirmed: person.email_verified_at.is_some(), pending })
}

/// A signed-in person asks to move their account to a new address: the
/// current password (checked off the async threads, as for a password
/// change), and the new address checked as sign-up checks it. Nothing
/// changes yet: a link is mailed to the new address (working for
/// [`EMAIL_CHANGE_TTL_SECS`], replacing any earlier one), and the old
/// address is told that a change was asked for, naming the new one masked.
///
/// The answer never says whether the new address has an account: when it
/// does, no link is made, and that account's owner is emailed instead (at
/// most once an hour, [`ADDRESS_TAKEN_MAIL`], the budget sign-up uses), but
/// the change is recorded as waiting all the same, so the person's page
/// looks the same either way.
pub async fn request_email_change(db: &Db, settings: &Settings, base_url: &str, actor: &Actor, new_email: &str, current: &str) -> Result<EmailChangeAsked> {
    let person = people::by_id(db, actor.id).await?.ok_or(CoreError::NotFound)?;
    let mut e = FieldErrors::new();
    let email = Email::parse(new_email).map_err(|m| e.add("new_email", m)).ok();
    if let Some(email) = &email
        && email.as_str().to_lowercase() == person.email.to_lowercase()
    {
        e.add("new_email", "That is already your email address.");
    }
    check_current_password(&mut e, "email_password", current, &person.password_hash).await;
    e.into_result()?;
    send_email_change(db, settings, base_url, &person, email.expect("checked above").as_str(), true).await
}

/// Sends the link for a person's waiting change again (a new link: the
/// earlier one stops working), counted in [`EMAIL_CHANGE_MAIL`].
pub async fn resend_email_change(db: &Db, settings: &Settings, base_url: &str, actor: &Actor) -> Result<EmailChangeAsked> {
    let person = people::by_id(db, actor.id).await?.ok_or(CoreError::NotFound)?;
    let Some(pending) = email_changes::pending(db, person.id).await? else {
        return Ok(EmailChangeAsked::NothingWaiting);
    };
    send_email_change(db, settings, base_url, &person, &pending.new_email, false).await
}

/// Cancels a person's waiting change: its link stops working. False when
/// none was waiting.
pub async fn cancel_email_change(db: &Db, actor: &Actor) -> Result<bool> {
    let mut tx = db.begin().await?;
    let done = email_changes::cancel(&mut tx, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if done {
        tracing::info!(person_id = actor.id, "change of email address cancelled");
    }
    Ok(done)
}

/// Records a change as waiting and mails what goes with it, in one
/// transaction: the link to the new address (or, when that address has an
/// account, a note to its owner), and when `tell_old`, the notice to the
/// old address.
async fn send_email_change(db: &Db, settings: &Settings, base_url: &str, person: &people::PersonRow, new_email: &str, tell_old: bool) -> Result<EmailChangeAsked> {
    let owner = people::by_email(db, new_email).await?.filter(|owner| owner.id != person.id);
    let now = meetinghouse_store::now();
    let mut tx = db.begin().await?;
    if !crate::attempts::attempt_in(&mut tx, &settings.secret_key, &EMAIL_CHANGE_MAIL, &person.id.to_string(), now).await? {
        // Counted all the same, so asking on and on stays refused.
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(EmailChangeAsked::TooMany);
    }
    let name = &settings.name;
    match &owner {
        None => {
            let token = secrets::random_token();
            email_changes::put(&mut tx, person.id, Some(&secrets::token_hash(&token)), new_email, EMAIL_CHANGE_TTL_SECS).await?;
            let body = format!(
                "Someone signed in to {name} as @{handle} asked to use this email address for their account from now on.\n\n\
                 If it was you, confirm the change by opening this link within 24 hours:\n\n{base_url}/me/email/confirm?token={token}\n\n\
                 If it was not you, ignore this email: nothing changes.\n",
                handle = person.handle
            );
            outbox::enqueue(&mut tx, new_email, &format!("Confirm your new email address for {name}"), &body, EMAIL_CHANGE_LINK_KIND).await?;
        }
        Some(owner) => {
            // No link: the page shows the change as waiting, as above.
            email_changes::put(&mut tx, person.id, None, new_email, EMAIL_CHANGE_TTL_SECS).await?;
            if crate::attempts::attempt_in(&mut tx, &settings.secret_key, &ADDRESS_TAKEN_MAIL, &owner.email.to_lowercase(), now).await? {
                let body = format!(
                    "Someone signed in to {name} asked to move their account to this email address. You already have an account here \
                     with this address (@{handle}), so nothing was changed, and no account can take it from yours.\n\n\
                     If it was you, trying to join two accounts: an address belongs to one account. Sign in as @{handle} here:\n\n\
                     {base_url}/login\n\n\
                     If it was not you, you can ignore this email: nothing about your account has changed.\n",
                    handle = owner.handle
                );
                outbox::enqueue(&mut tx, &owner.email, &format!("Someone asked to use your email address on {name}"), &body, EMAIL_CHANGE_TAKEN_KIND)
                    .await?;
                tracing::info!(person_id = person.id, "email change to an address with an account: its owner is told");
            } else {
                tracing::info!(person_id = person.id, "email change to an address with an account: its owner was told within the hour");
            }
        }
    }
    if tell_old {
        let body = format!(
            "Someone signed in to your {name} account (@{handle}) asked to change its email address to {masked}.\n\n\
             Nothing changes until the link we sent to that address is opened, within 24 hours.\n\n\
             If it was you, there is nothing more to do here.\n\n\
             If it was not you, someone may know your password. Choose a new one now, which also cancels the change:\n\n\
             {base_url}/reset\n\n\
             Or sign in and cancel the change on your profile page:\n\n{base_url}/me/profile\n",
            handle = person.handle,
            masked = mask_email(new_email)
        );
        outbox::enqueue(&mut tx, &person.email, &format!("Your {name} email address: a change was asked for"), &body, EMAIL_CHANGE_NOTICE_KIND).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(person_id = person.id, "change of email address asked for");
    Ok(EmailChangeAsked::Sent)
}

/// Forgets the address changes whose links expired by `now`, so a new
/// address nobody confirmed is kept no longer than its link works (the
/// hourly purge, core `retention`). Returns how many went.
pub async fn purge_expired_email_changes(db: &Db, now: i64) -> Result<u64> {
    Ok(email_changes::purge_expired_before(db, now).await?)
}

/// Whether an address-change link is live (read-only: the link still works
/// afterwards). Its page shows the button only for a live link.
pub async fn email_change_link_is_live(db: &Db, token: &str) -> Result<bool> {
    let token = token.trim();
    if token.is_empty() {
        return Ok(false);
    }
    Ok(email_changes::is_live(db, &secrets::token_hash(token)).await?)
}

/// Follows an address-change link: the account moves to the new address,
/// which counts as confirmed (its owner opened the link). In the same
/// transaction every other session of the person ends (the one whose token
/// is `keep`, when it is theirs, stays), the reset and confirmation links
/// sent to the old address stop working, and the old address is told. The
/// link works once; an address that got an account of its own since the
/// change was asked for is checked again here, and refused in plain words.
pub async fn confirm_email_change(db: &Db, settings: &Settings, base_url: &str, token: &str, keep: &str) -> Result<i64> {
    let token = token.trim();
    if token.is_empty() {
        return Err(FieldErrors::one("token", EMAIL_CHANGE_LINK_DEAD));
    }
    let hash = secrets::token_hash(token);
    let mut tx = db.begin().await?;
    let Some((person, new_email)) = email_changes::take(&mut tx, &hash).await? else {
        return Err(FieldErrors::one("token", EMAIL_CHANGE_LINK_DEAD));
    };
    if email_changes::taken_by_other(&mut tx, person, &new_email).await? {
        // The link is spent: it can never work now.
        tx.commit().await.map_err(StoreError::from)?;
        return Err(FieldErrors::one("token", EMAIL_CHANGE_ADDRESS_TAKEN));
    }
    let old = people::by_id_in(&mut tx, person).await?.ok_or(CoreError::NotFound)?;
    match email_changes::set_email(&mut tx, person, &new_email).await {
        Ok(()) => {}
        // Taken between the check and the update (a sign-up committing just then).
        Err(StoreError::Conflict { .. }) => {
            drop(tx);
            email_changes::drop_link(db, &hash).await?;
            return Err(FieldErrors::one("token", EMAIL_CHANGE_ADDRESS_TAKEN));
        }
        Err(other) => return Err(other.into()),
    }
    tokens::spend_all(&mut tx, person, "reset").await?;
    tokens::spend_all(&mut tx, person, "verify").await?;
    let ended = sessions::delete_others_in(&mut tx, person, &secrets::token_hash(keep)).await?;
    let name = &settings.name;
    let body = format!(
        "The email address of your {name} account (@{handle}) is now {masked}: this address gets no more email from {name}.\n\n\
         If it was not you, someone may be in your account. Write to the meeting house's admins at once, from this address, \
         naming your account (@{handle}), so they can help you get it back.\n\n{base_url}/about\n",
        handle = old.handle,
        masked = mask_email(&new_email)
    );
    outbox::enqueue(&mut tx, &old.email, &format!("Your {name} email address was changed"), &body, EMAIL_CHANGED_KIND).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(person_id = person, sessions_ended = ended, "email address changed; other sessions ended");
    Ok(person)
}

/// The current password a change to the account asks for (a browser left
/// signed in is not enough), checked off the async threads; a problem is
/// added to `e` under `field`.
async fn check_current_password(e: &mut FieldErrors, field: &'static str, given: &str, stored_hash: &str) {
    if given.is_empty() {
        e.add(field, "Enter your current password.");
    } else if !secrets::verify_password_queued(given, stored_hash).await {
        e.add(field, "That is not your current password. Check it and try again, or sign out and reset it if you forgot it.");
    }
}

/// Creates an instance admin (the `admin create` command). The email counts
/// as verified. The display name is checked as sign-up checks it
/// ([`crate::people::display_name`]: one line, control characters dropped,
/// at most [`crate::types::limits::DISPLAY_NAME_MAX`] characters, nothing
/// that poses as an organisation's voice); left empty, it is the handle.
pub async fn create_admin(db: &Db, email: &str, handle: &str, display_name: &str, password: &str) -> Result<i64> {
    let mut e = FieldErrors::new();
    let email = Email::parse(email).map_err(|m| e.add("email", m)).ok();
    let handle = Handle::parse(handle).map_err(|m| e.add("handle", m)).ok();
    let display_name = crate::people::display_name(&mut e, "name", "The name", display_name, false);
    let password = Password::parse(password).map_err(|m| e.add("password", m)).ok();
    e.into_result()?;
    let (email, handle, password) = (email.unwrap(), handle.unwrap(), password.unwrap());
    let hash = secrets::hash_password_queued(password.expose()).await?;
    let name = if display_name.is_empty() { handle.as_str().to_string() } else { display_name };
    let mut tx = db.begin().await?;
    let new = people::NewPerson {
        email: email.as_str(),
        handle: handle.as_str(),
        display_name: &name,
        password_hash: &hash,
        is_admin: true,
        status: "active",
    };
    let id = people::insert(&mut tx, &new).await.map_err(conflict_to_field)?;
    people::mark_verified(&mut tx, id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}

/// How long an invite code works: 30 days from when it is made. (Codes
/// made before codes expired got theirs counted from the upgrade, in
/// migration 0040.)
pub const INVITE_TTL_SECS: i64 = 30 * 24 * 3600;

/// How many open invite codes the admins' page lists.
pub const OPEN_INVITES_SHOWN: i64 = 200;

/// The form an invite code is hashed in: trimmed and lower-cased, so a code
/// typed in capitals (or read aloud and written down) still works. Codes are
/// made in lower case, so every code ever made is found this way.
fn invite_hash(code: &str) -> String {
    secrets::token_hash(&code.trim().to_lowercase())
}

/// The longest note an invite code keeps (who it is for), in characters.
pub const INVITE_NOTE_MAX: usize = 200;

/// Makes an invite code (admins). Returns the code to share; it works
/// once, for [`INVITE_TTL_SECS`]: in invite-only mode it lets one person
/// make an account, in approval mode it lets one person's account start
/// without waiting for approval, and in open mode nobody needs it (it works
/// if the mode changes while it is open: [`invite_counts`]). Its note is one line of
/// at most [`INVITE_NOTE_MAX`] characters, control characters dropped.
pub async fn create_invite(db: &Db, actor: &Actor, note: &str) -> Result<String> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only admins can create invite codes.".into()));
    }
    let mut e = FieldErrors::new();
    let note = crate::types::line(&mut e, "note", "The note", note, INVITE_NOTE_MAX, false);
    e.into_result()?;
    let code = secrets::random_token()[..20].to_lowercase();
    let expires_at = meetinghouse_store::now() + INVITE_TTL_SECS;
    tokens::create_invite(db, &invite_hash(&code), actor.id, &note, expires_at).await?;
    Ok(code)
}

pub use meetinghouse_store::tokens::OpenInvite;

/// The invite codes that still work, newest first (admins only): at most
/// [`OPEN_INVITES_SHOWN`].
pub async fn open_invites(db: &Db, actor: &Actor) -> Result<Vec<OpenInvite>> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only admins can see invite codes.".into()));
    }
    Ok(tokens::open_invites(db, OPEN_INVITES_SHOWN).await?)
}

/// Withdraws an unused invite code by its hash (as the list names it), so
/// it no longer works. False when it was used or withdrawn already.
pub async fn withdraw_invite(db: &Db, actor: &Actor, code_hash: &str) -> Result<bool> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only admins can withdraw invite codes.".into()));
    }
    let done = tokens::withdraw_invite(db, code_hash.trim()).await?;
    if done {
        tracing::info!(admin = actor.id, "invite code withdrawn");
    }
    Ok(done)
}

/// The outbox kind of the email telling a person their account is approved.
pub const APPROVED_KIND: &str = "approved";

/// Approves a pending account (approval mode) and emails the person that
/// they can take part now, in the same transaction.
pub async fn approve(db: &Db, mail: crate::notifications::Mailer<'_>, actor: &Actor, person_id: i64) -> Result<()> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only admins can approve accounts.".into()));
    }
    let mut tx = db.begin().await?;
    if people::approve_pending_in(&mut tx, person_id).await? {
        let person = people::by_id_in(&mut tx, person_id).await?.ok_or(CoreError::NotFound)?;
        let body = format!(
            "Your account on {name} (@{handle}) is approved: you can now share stories, reply and join groups.\n\n\
             Sign in here:\n\n{base}/login\n",
            name = mail.settings.name,
            handle = person.handle,
            base = mail.base_url
        );
        outbox::enqueue(&mut tx, &person.email, &format!("Your {} account is approved", mail.settings.name), &body, APPROVED_KIND).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(person_id, admin = actor.id, "account approved; the person is emailed");
        return Ok(());
    }
    drop(tx);
    // Only a pending account is approved: a stale list must not lift a
    // suspension or a ban, which only moderation's `lift` does (and logs).
    match people::by_id(db, person_id).await? {
        None => Err(CoreError::NotFound),
        Some(p) if p.status == "active" => Ok(()),
        Some(p) => Err(CoreError::Forbidden(format!(
            "@{} is not waiting for approval any more (the account is {}), so nothing was changed. A moderator lifts a suspension or ban on this page.",
            p.handle, p.status
        ))),
    }
}

/// Whether a person may create things now, with the reason if not.
pub fn ensure_can_post(actor: &Actor, settings: &Settings) -> Result<()> {
    match actor.status.as_str() {
        "pending" => Err(CoreError::Forbidden(
            "Your account is waiting for an admin's approval. You can look around until then.".into(),
        )),
        "suspended" => Err(CoreError::Forbidden("This account is suspended.".into())),
        _ if !settings.post_before_verify && !actor.email_verified => Err(CoreError::Forbidden(
            "Please confirm your email address first: we sent you a link.".into(),
        )),
        _ => Ok(()),
    }
}

/// An instance admin as the operator's `admin list` shows them.
pub use meetinghouse_store::people::AdminRow;

/// Every instance admin, by handle, with their account's status.
pub async fn admins(db: &Db) -> Result<Vec<AdminRow>> {
    Ok(people::admins(db).await?)
}

/// What an operator's change to an account did (the command line's
/// `admin promote`, `admin demote`, `admin reset-password`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorChange {
    pub handle: String,
    /// The account's status: `active`, `pending` or `suspended`.
    pub status: String,
    /// False when the account already was as asked (nothing was written).
    pub changed: bool,
    /// Sessions ended (a new password ends them all).
    pub sessions_ended: u64,
}

/// The account with a handle, as the operator typed it (`@sam` or `Sam`).
/// Anything that cannot be a handle is "not found", never a query.
async fn by_handle_for_operator(db: &Db, raw: &str) -> Result<people::PersonRow> {
    let handle = raw.trim().trim_start_matches('@');
    if handle.is_empty() || !handle.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(CoreError::NotFound);
    }
    people::by_handle(db, handle).await?.ok_or(CoreError::NotFound)
}

fn change(person: &people::PersonRow, changed: bool, sessions_ended: u64) -> OperatorChange {
    OperatorChange { handle: person.handle.clone(), status: person.status.clone(), changed, sessions_ended }
}

/// Makes an existing account an instance admin: the operator's command
/// (`meetinghouse admin promote`; no page does it).
pub async fn promote(db: &Db, handle: &str) -> Result<OperatorChange> {
    let person = by_handle_for_operator(db, handle).await?;
    let mut tx = db.begin().await?;
    let changed = people::set_admin_in(&mut tx, person.id, true).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if changed {
        tracing::info!(person_id = person.id, "made an instance admin from the command line");
    }
    Ok(change(&person, changed, 0))
}

/// Takes away an account's instance admin role. The meeting house always
/// keeps an active admin: the active admins are counted in the transaction
/// that makes the change, their rows locked on PostgreSQL
/// (`people::lock_active_admins`), so two demotions at once cannot each
/// leave the other as the last and end with none.
pub async fn demote(db: &Db, handle: &str) -> Result<OperatorChange> {
    let person = by_handle_for_operator(db, handle).await?;
    let mut tx = db.begin().await?;
    let active = people::lock_active_admins(&mut tx, db.backend()).await?;
    if active == [person.id] {
        return Err(CoreError::Forbidden(format!(
            "@{} is the only active instance admin, so they stay one: make someone else an admin first (meetinghouse admin promote HANDLE).",
            person.handle
        )));
    }
    let changed = people::set_admin_in(&mut tx, person.id, false).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if changed {
        tracing::info!(person_id = person.id, "instance admin role taken away from the command line");
    }
    Ok(change(&person, changed, 0))
}

/// Sets a new password for an account from the command line (checked as at
/// sign-up), and ends every session of theirs, their outstanding reset
/// links, a waiting change of email address and what browsers the account
/// knew, in one transaction.
pub async fn set_password_by_operator(db: &Db, handle: &str, new_password: &str) -> Result<OperatorChange> {
    let password = Password::parse(new_password).map_err(|m| FieldErrors::one("password", m))?;
    let person = by_handle_for_operator(db, handle).await?;
    let hash = secrets::hash_password_queued(password.expose()).await?;
    let mut tx = db.begin().await?;
    people::set_password(&mut tx, person.id, &hash).await?;
    tokens::spend_all(&mut tx, person.id, "reset").await?;
    email_changes::cancel(&mut tx, person.id).await?;
    let ended = sessions::delete_for_person_in(&mut tx, person.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(person_id = person.id, sessions_ended = ended, "password set from the command line; sessions ended");
    Ok(change(&person, true, ended))
}
