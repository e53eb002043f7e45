//! Accounts on every configured backend: sign-up rules, case-insensitive
//! uniqueness, sign-in, one-time email tokens, reset, registration modes.

use meetinghouse_core::accounts::{self, SignupForm};
use meetinghouse_core::settings::{RegistrationMode, Settings};
use meetinghouse_core::people as profiles;
use meetinghouse_core::{CoreError, Db};
use meetinghouse_store::{outbox, people};

fn form(email: &str, handle: &str) -> SignupForm {
    SignupForm {
        email: email.into(),
        handle: handle.into(),
        display_name: "Sam".into(),
        password: "correct horse battery".into(),
        accept_conduct: true,
        invite_code: String::new(),
    }
}

fn token_in(body: &str, marker: &str) -> String {
    let at = body.find(marker).expect("link in email") + marker.len();
    body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect()
}

async fn last_email(db: &Db) -> outbox::EmailRow {
    outbox::recent(db, 1).await.unwrap().remove(0)
}

#[tokio::test]
async fn sign_up_validates_everything_at_once_and_writes_nothing_on_error() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let bad = SignupForm {
            email: "not-an-email".into(),
            handle: "Bad Handle!".into(),
            display_name: "x".repeat(200),
            password: "short".into(),
            accept_conduct: false,
            invite_code: String::new(),
        };
        let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &bad).await else { panic!("should fail") };
        for field in ["email", "handle", "display_name", "password", "accept_conduct"] {
            assert!(e.get(field).is_some(), "{field} should have a message: {e}");
        }
        assert_eq!(people::count(&db).await.unwrap(), 0);
        assert!(outbox::recent(&db, 10).await.unwrap().is_empty());
        let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &form("a@example.org", "admin")).await else { panic!() };
        assert!(e.get("handle").unwrap().contains("reserved"));
    }
}

#[tokio::test]
async fn email_and_handle_are_unique_ignoring_case() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://x", &form("Sam@Example.org", "Sam")).await.unwrap();
        let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &form("sam@example.ORG", "other")).await else { panic!() };
        assert!(e.get("email").unwrap().contains("already"));
        let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &form("new@example.org", "SAM")).await else { panic!() };
        assert!(e.get("handle").unwrap().contains("taken"));
        assert_eq!(people::count(&db).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn sign_in_verify_and_reset() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://mh.test", &form("sam@example.org", "sam")).await.unwrap();
        let actor = accounts::login(&db, "SAM@example.org", "correct horse battery").await.unwrap();
        assert!(!actor.email_verified);
        accounts::ensure_can_post(&actor, &s).expect("posting before verification is allowed by default");
        assert!(matches!(accounts::login(&db, "sam@example.org", "wrong password!").await, Err(CoreError::Invalid(_))));
        assert!(matches!(accounts::login(&db, "nobody@example.org", "wrong password!").await, Err(CoreError::Invalid(_))));

        // The verification link works once.
        let mail = last_email(&db).await;
        assert_eq!(mail.kind, "verify");
        let token = token_in(&mail.body, "http://mh.test/verify?token=");
        accounts::verify_email(&db, &token).await.unwrap();
        assert!(accounts::verify_email(&db, &token).await.is_err());
        assert!(accounts::login(&db, "sam@example.org", "correct horse battery").await.unwrap().email_verified);

        // Sessions: start, find, end.
        let session = accounts::start_session(&db, actor.id).await.unwrap();
        assert_eq!(accounts::session_actor(&db, &session).await.unwrap().unwrap().0.handle, "sam");

        // A reset ends every session and changes the password; the link works once.
        accounts::request_reset(&db, &s, "http://mh.test", "sam@example.org").await.unwrap();
        let older = token_in(&last_email(&db).await.body, "http://mh.test/reset/confirm?token=");
        accounts::request_reset(&db, &s, "http://mh.test", "sam@example.org").await.unwrap();
        let token = token_in(&last_email(&db).await.body, "http://mh.test/reset/confirm?token=");
        assert_ne!(older, token);
        assert!(matches!(accounts::reset_password(&db, &token, "short").await, Err(CoreError::Invalid(_))));
        accounts::reset_password(&db, &token, "a brand new password").await.unwrap();
        assert!(accounts::reset_password(&db, &token, "another new password").await.is_err());
        // The link sent earlier stopped working when the newer one was used.
        assert!(matches!(accounts::reset_password(&db, &older, "another new password").await, Err(CoreError::Invalid(_))));
        assert!(accounts::session_actor(&db, &session).await.unwrap().is_none());
        accounts::login(&db, "sam@example.org", "a brand new password").await.unwrap();

        // Asking to reset an unknown address says nothing and sends nothing.
        let before = outbox::recent(&db, 100).await.unwrap().len();
        accounts::request_reset(&db, &s, "http://mh.test", "nobody@example.org").await.unwrap();
        assert_eq!(outbox::recent(&db, 100).await.unwrap().len(), before);
    }
}

#[tokio::test]
async fn registration_modes() {
    for db in meetinghouse_testkit::databases().await {
        let mut s = Settings::load(&db).await.unwrap();
        s.registration = RegistrationMode::Approval;
        let done = accounts::signup(&db, &s, "http://x", &form("p@example.org", "pending_one")).await.unwrap();
        assert_eq!(done.status, "pending");
        let actor = accounts::login(&db, "p@example.org", "correct horse battery").await.unwrap();
        assert!(matches!(accounts::ensure_can_post(&actor, &s), Err(CoreError::Forbidden(_))));
        // A pending account may fill in its profile, but nobody else sees it until approval.
        let bio = profiles::ProfileForm { display_name: "Pending One".into(), bio: "Visit [my shop](https://spam.example)".into(), ..Default::default() };
        profiles::update_profile(&db, &actor, &bio).await.unwrap();
        assert!(profiles::profile(&db, &s, Some(&actor), "pending_one").await.unwrap().pending, "the owner sees their own");
        assert!(matches!(profiles::profile(&db, &s, None, "pending_one").await, Err(CoreError::NotFound)));

        s.registration = RegistrationMode::Invite;
        let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &form("i@example.org", "invited")).await else { panic!() };
        assert!(e.get("invite_code").is_some());
        let admin_id = accounts::create_admin(&db, "admin@example.org", "boss", "Boss", "a long enough password").await.unwrap();
        let admin = accounts::login(&db, "admin@example.org", "a long enough password").await.unwrap();
        assert_eq!(admin.id, admin_id);
        assert!(profiles::profile(&db, &s, Some(&admin), "pending_one").await.is_ok(), "admins see pending profiles");
        accounts::approve(&db, meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://x" }, &admin, actor.id).await.unwrap();
        let approved = profiles::profile(&db, &s, None, "pending_one").await.unwrap();
        assert!(!approved.pending);
        accounts::approve(&db, meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://x" }, &admin, actor.id).await.expect("approving twice is no error");
        assert!(matches!(accounts::approve(&db, meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://x" }, &admin, 999_999).await, Err(CoreError::NotFound)));
        // A stale "approve" never lifts a ban given since.
        let approval = Settings { registration: RegistrationMode::Approval, ..s.clone() };
        let banned = accounts::signup(&db, &approval, "http://x", &form("b@example.org", "banned_one")).await.unwrap().person_id;
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::moderation::suspend(&mut tx, banned, None).await.unwrap();
        tx.commit().await.unwrap();
        let r = accounts::approve(&db, meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://x" }, &admin, banned).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m.contains("not waiting for approval")), "{r:?}");
        assert_eq!(meetinghouse_store::people::by_id(&db, banned).await.unwrap().unwrap().status, "suspended");
        let code = accounts::create_invite(&db, &admin, "for Jo").await.unwrap();
        let mut f = form("i@example.org", "invited");
        f.invite_code = code.clone();
        accounts::signup(&db, &s, "http://x", &f).await.unwrap();
        let mut again = form("j@example.org", "invited_two");
        again.invite_code = code;
        assert!(matches!(accounts::signup(&db, &s, "http://x", &again).await, Err(CoreError::Invalid(_))), "an invite works once");

        // Email verification can be required before posting.
        s.post_before_verify = false;
        let fresh = accounts::login(&db, "i@example.org", "correct horse battery").await.unwrap();
        assert!(matches!(accounts::ensure_can_post(&fresh, &s), Err(CoreError::Forbidden(_))));
        // And so does showing a bio to others: the owner sees it, with a notice.
        let bio = profiles::ProfileForm { display_name: "Invited".into(), bio: "Visit [my shop](https://spam.example)".into(), ..Default::default() };
        profiles::update_profile(&db, &fresh, &bio).await.unwrap();
        let to_others = profiles::profile(&db, &s, None, "invited").await.unwrap();
        assert!(to_others.bio_html.is_empty() && to_others.bio_source.is_empty(), "{to_others:?}");
        let own = profiles::profile(&db, &s, Some(&fresh), "invited").await.unwrap();
        assert!(own.bio_waits_for_email && own.bio_html.contains("spam.example"));
        s.post_before_verify = true;
        assert!(profiles::profile(&db, &s, None, "invited").await.unwrap().bio_html.contains("spam.example"), "shown where posting does not wait");
    }
}

/// `admin create` checks the display name as sign-up does: control
/// characters are dropped and it is at most 80 characters.
#[tokio::test]
async fn an_admins_name_is_checked_like_a_sign_up_name() {
    for db in meetinghouse_testkit::databases().await {
        let long = format!("\u{1b}[31m{}\u{7}", "Ada Lovelace ".repeat(24));
        let Err(CoreError::Invalid(e)) = accounts::create_admin(&db, "ada@example.org", "ada", &long, "a long enough password").await else {
            panic!("a 313-character name must be refused")
        };
        assert!(e.get("name").is_some_and(|m| m.starts_with("The name can be at most 80 characters long")), "{e}");
        assert_eq!(people::count(&db).await.unwrap(), 0);

        let id = accounts::create_admin(&db, "ada@example.org", "ada", " Ada\u{1b}[31m Love\u{7}lace ", "a long enough password").await.unwrap();
        let ada = people::by_id(&db, id).await.unwrap().unwrap();
        assert_eq!(ada.display_name, "Ada[31m Lovelace");
        let id = accounts::create_admin(&db, "bob@example.org", "bob", "\u{7} ", "a long enough password").await.unwrap();
        assert_eq!(people::by_id(&db, id).await.unwrap().unwrap().display_name, "bob", "empty once cleaned: the handle");
    }
}

/// A display name that reads like an organisation's voice ("Cal · Tiverton
/// Museum", "Tiverton Museum (announcement)") is refused wherever names are
/// checked — sign-up, the profile and `admin create` — in plain words, with
/// nothing written; a dot between letters ("Gal·la") is a name. Names and
/// pronouns are one line.
#[tokio::test]
async fn display_names_cannot_pose_as_an_organisation() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let posing = [
            "Cal · Tiverton Museum",
            "Cal • Tiverton Museum",
            "Cal ∙ Tiverton Museum",
            "Cal\u{a0}·\u{a0}Tiverton Museum",
            "Cal ·Tiverton Museum",
            "Tiverton Museum (announcement)",
            "Tiverton Museum (Announcement)",
            "Tiverton Museum ( ANNOUNCEMENT )",
            "Tiverton Museum\n(announcement)",
        ];
        for name in posing {
            let f = SignupForm { display_name: name.into(), ..form("cal@example.org", "cal") };
            let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &f).await else { panic!("{name:?} must be refused at sign-up") };
            let m = e.get("display_name").unwrap_or_else(|| panic!("{name:?}: {e}"));
            assert!(m.starts_with("Your name cannot"), "{m}");
            let Err(CoreError::Invalid(e)) = accounts::create_admin(&db, "cal@example.org", "cal", name, "a long enough password").await else {
                panic!("{name:?} must be refused by admin create")
            };
            assert!(e.get("name").is_some_and(|m| m.starts_with("The name cannot")), "{e}");
        }
        assert_eq!(people::count(&db).await.unwrap(), 0, "nothing written");

        let ok = accounts::signup(&db, &s, "http://x", &SignupForm { display_name: "Gal·la Puig".into(), ..form("gal@example.org", "galla") }).await.unwrap();
        assert_eq!(people::by_id(&db, ok.person_id).await.unwrap().unwrap().display_name, "Gal·la Puig");
        let cal = accounts::signup(&db, &s, "http://x", &form("cal@example.org", "cal")).await.unwrap().person_id;
        let actor = accounts::login(&db, "cal@example.org", "correct horse battery").await.unwrap();
        for name in posing {
            let edit = profiles::ProfileForm { display_name: name.into(), pronouns: "he/him".into(), ..Default::default() };
            let Err(CoreError::Invalid(e)) = profiles::update_profile(&db, &actor, &edit).await else { panic!("{name:?} must be refused on the profile") };
            assert!(e.get("display_name").is_some(), "{e}");
        }
        assert_eq!(people::by_id(&db, cal).await.unwrap().unwrap().pronouns, "", "nothing half-written");

        // One line each: a name cannot pose as lines of its own in a plain-text email.
        let edit = profiles::ProfileForm { display_name: "Cal\r\nTiverton\tMuseum".into(), pronouns: "he/\nhim".into(), ..Default::default() };
        profiles::update_profile(&db, &actor, &edit).await.unwrap();
        let row = people::by_id(&db, cal).await.unwrap().unwrap();
        assert_eq!((row.display_name.as_str(), row.pronouns.as_str()), ("Cal Tiverton Museum", "he/ him"));
        let f = SignupForm { display_name: "Dee\n\nDear Sam, your password expired".into(), ..form("dee@example.org", "dee") };
        let id = accounts::signup(&db, &s, "http://x", &f).await.unwrap().person_id;
        assert_eq!(people::by_id(&db, id).await.unwrap().unwrap().display_name, "Dee Dear Sam, your password expired");
        let id = accounts::create_admin(&db, "eve@example.org", "eve", "Eve\nAdmin", "a long enough password").await.unwrap();
        assert_eq!(people::by_id(&db, id).await.unwrap().unwrap().display_name, "Eve Admin");
    }
}

/// A NUL byte (or another control character) in a sign-in email, a profile
/// address or a "speak as" choice is answered as something that does not
/// exist, on both backends: PostgreSQL cannot hold one in text, and used to
/// fail the query.
#[tokio::test]
async fn control_characters_never_reach_a_lookup() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://x", &form("sam@example.org", "sam")).await.unwrap();
        let sam = accounts::login(&db, "sam@example.org", "correct horse battery").await.unwrap();
        for email in ["sam\0@example.org", "sam@example.org\0", "sam\u{1}@example.org", "\0"] {
            let r = accounts::login(&db, email, "correct horse battery").await;
            let Err(CoreError::Invalid(e)) = r else { panic!("{email:?}: {r:?}") };
            assert!(e.get("password").is_some_and(|m| m.contains("do not match")), "{e}");
        }
        for handle in ["sam\0x", "sam\0", "\0", "sa m", "sam\u{7f}"] {
            let r = profiles::profile(&db, &s, None, handle).await;
            assert!(matches!(r, Err(CoreError::NotFound)), "{handle:?}: {r:?}");
        }
        for choice in ["org:x\0y", "announce:\0", "org:x y"] {
            let r = meetinghouse_core::persona::resolve(&db, &sam, choice).await;
            let Err(CoreError::Forbidden(m)) = r else { panic!("{choice:?}: {r:?}") };
            assert!(m.contains("no such organisation") && !m.contains('\0'), "{m:?}");
        }
        assert!(accounts::request_reset(&db, &s, "http://x", "sam\0@example.org").await.is_err());
    }
}

/// Changing a password while signed in needs the current one, checks the
/// new one as sign-up does, writes nothing on error, and ends the person's
/// other sessions (and reset links already sent); the session it was
/// changed from stays.
#[tokio::test]
async fn a_signed_in_password_change_needs_the_current_one_and_ends_other_sessions() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://mh.test", &form("sam@example.org", "sam")).await.unwrap();
        let sam = accounts::login(&db, "sam@example.org", "correct horse battery").await.unwrap();
        let here = accounts::start_session(&db, sam.id).await.unwrap();
        let elsewhere = accounts::start_session(&db, sam.id).await.unwrap();
        accounts::request_reset(&db, &s, "http://mh.test", "sam@example.org").await.unwrap();
        let reset = token_in(&last_email(&db).await.body, "http://mh.test/reset/confirm?token=");

        let Err(CoreError::Invalid(e)) = accounts::change_password(&db, &sam, "not my password", "short", &here).await else { panic!() };
        assert!(e.get("current_password").is_some_and(|m| m.contains("not your current password")), "{e}");
        assert!(e.get("new_password").is_some_and(|m| m.contains("at least 10")), "{e}");
        let Err(CoreError::Invalid(e)) = accounts::change_password(&db, &sam, "", "a brand new password", &here).await else { panic!() };
        assert!(e.get("current_password").is_some());
        assert!(accounts::session_actor(&db, &elsewhere).await.unwrap().is_some(), "nothing changed on error");
        accounts::login(&db, "sam@example.org", "correct horse battery").await.expect("the old password still works");

        accounts::change_password(&db, &sam, "correct horse battery", "a brand new password", &here).await.unwrap();
        assert!(accounts::session_actor(&db, &here).await.unwrap().is_some(), "the session it was changed in stays");
        assert!(accounts::session_actor(&db, &elsewhere).await.unwrap().is_none(), "other sessions end");
        assert!(accounts::login(&db, "sam@example.org", "correct horse battery").await.is_err());
        accounts::login(&db, "sam@example.org", "a brand new password").await.unwrap();
        assert!(accounts::reset_password(&db, &reset, "yet another password").await.is_err(), "a reset link sent before stops working");
        let hash = people::by_id(&db, sam.id).await.unwrap().unwrap().password_hash;
        assert!(hash.starts_with("$argon2id$"), "stored as argon2id");
    }
}

/// The hits counted for resets asked for unknown addresses, over every
/// bucket, in the hour now falls in and the one before (so an hour turning
/// mid-test changes nothing).
async fn unknown_reset_hits(db: &Db) -> i64 {
    let now = meetinghouse_store::now();
    let window = now.div_euclid(3600) * 3600;
    let mut all = 0;
    for spread in 0..16 {
        let bucket = format!("{} {spread}", accounts::UNKNOWN_RESET_BUCKET);
        let (current, previous) = meetinghouse_store::attempt_forgetting::hits(db, &bucket, window, window - 3600).await.unwrap();
        all += current + previous;
    }
    all
}

#[tokio::test]
async fn a_reset_for_an_unknown_address_does_the_same_store_work_and_keeps_nothing_about_it() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://mh.test", &form("sam@example.org", "sam")).await.unwrap();
        let mails = outbox::recent(&db, 100).await.unwrap().len();
        // An unknown address: a committed write in one transaction, as a
        // known one's token and email, but into a few hourly counters.
        for i in 0..40 {
            accounts::request_reset(&db, &s, "http://mh.test", &format!("nobody{i}@example.org")).await.unwrap();
        }
        assert_eq!(unknown_reset_hits(&db).await, 40, "{:?}", db.backend());
        assert_eq!(outbox::recent(&db, 100).await.unwrap().len(), mails, "nothing sent");
        // A known address counts there nothing, and gets its link.
        accounts::request_reset(&db, &s, "http://mh.test", "sam@example.org").await.unwrap();
        assert_eq!(unknown_reset_hits(&db).await, 40);
        assert_eq!(last_email(&db).await.kind, "reset");
        // Nothing is kept per address: at most one row per counter and hour
        // (the purge, which removes them all here, says how many there were).
        let rows = meetinghouse_store::attempts::purge_before(&db, i64::MAX).await.unwrap();
        assert!((1..=32).contains(&rows), "{rows} rows");
    }
}

/// What a spent, withdrawn, expired or made-up code is refused with.
const NOT_OPEN: &str = "That invite code is not valid, has expired or has already been used.";
/// What approval mode adds to a refusal: the way on without a code.
const LEAVE_IT_EMPTY: &str = "Check it, or leave this field empty and an admin will look at your sign-up.";

fn invited(email: &str, handle: &str, code: &str) -> SignupForm {
    SignupForm { invite_code: code.into(), ..form(email, handle) }
}

/// An admin and their `Actor`.
async fn boss(db: &Db) -> meetinghouse_core::Actor {
    accounts::create_admin(db, "boss@example.org", "boss", "Boss", "a long enough password").await.unwrap();
    accounts::login(db, "boss@example.org", "a long enough password").await.unwrap()
}

/// In approval mode an admin's invite code is an approval given in
/// advance: the account is active at once (no admin is asked) and the code
/// is spent, with invite-only mode's checks (once, not expired, not
/// withdrawn, any case). A code that does not work is refused in the same
/// words as there, saying it can be left out, with nothing written; no
/// code at all waits for approval as before. In open mode a code is neither
/// needed, checked nor spent.
#[tokio::test]
async fn in_approval_mode_an_invite_code_starts_the_account_at_once_and_is_spent() {
    for db in meetinghouse_testkit::databases().await {
        let mut s = Settings::load(&db).await.unwrap();
        s.registration = RegistrationMode::Approval;
        let admin = boss(&db).await;
        let code = accounts::create_invite(&db, &admin, "for Jo").await.unwrap();

        // Typed in capitals, with spaces around it.
        let done = accounts::signup(&db, &s, "http://x", &invited("jo@example.org", "jo", &format!("  {}  ", code.to_uppercase()))).await.unwrap();
        assert_eq!(done.status, "active", "{:?}", db.backend());
        let jo = accounts::login(&db, "jo@example.org", "correct horse battery").await.unwrap();
        accounts::ensure_can_post(&jo, &s).expect("an invited account takes part at once");
        assert!(profiles::profile(&db, &s, None, "jo").await.is_ok(), "and is seen by others");
        assert!(accounts::open_invites(&db, &admin).await.unwrap().is_empty(), "the code is spent");
        assert_eq!(meetinghouse_core::notifications::unread(&db, &admin).await.unwrap(), 0, "no admin is asked to approve");

        // The code works once; refused with what to do instead, nothing made.
        let people_before = people::count(&db).await.unwrap();
        let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &invited("kim@example.org", "kim", &code)).await else { panic!("spent") };
        let said = e.get("invite_code").expect("on the code's field");
        assert!(said.starts_with(NOT_OPEN) && said.ends_with(LEAVE_IT_EMPTY), "{said}");
        // So are a made-up code, a withdrawn one and an expired one.
        let withdrawn = accounts::create_invite(&db, &admin, "for Lee").await.unwrap();
        let hash = accounts::open_invites(&db, &admin).await.unwrap().remove(0).code_hash;
        assert!(accounts::withdraw_invite(&db, &admin, &hash).await.unwrap());
        let past = meetinghouse_store::now() - 60;
        meetinghouse_store::tokens::create_invite(&db, &meetinghouse_core::secrets::token_hash("expiredcode"), admin.id, "for Max", past).await.unwrap();
        for bad in ["nonsense", withdrawn.as_str(), "EXPIREDCODE"] {
            let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &invited("kim@example.org", "kim", bad)).await else { panic!("{bad}") };
            assert_eq!(e.get("invite_code"), Some(said), "{bad}");
        }
        assert_eq!(people::count(&db).await.unwrap(), people_before, "nothing was made");

        // Without a code, the account waits for an admin, who is told.
        let done = accounts::signup(&db, &s, "http://x", &invited("kim@example.org", "kim", "  ")).await.unwrap();
        assert_eq!(done.status, "pending");
        assert_eq!(meetinghouse_core::notifications::unread(&db, &admin).await.unwrap(), 1);

        // Invite-only mode refuses a spent code in the same words, without
        // the way round it (there is none).
        let invite_only = Settings { registration: RegistrationMode::Invite, ..s.clone() };
        let Err(CoreError::Invalid(e)) = accounts::signup(&db, &invite_only, "http://x", &invited("lee@example.org", "lee", &code)).await else { panic!() };
        assert_eq!(e.get("invite_code"), Some(NOT_OPEN));

        // Open mode: nobody needs a code; one typed is neither checked nor spent.
        let open = Settings { registration: RegistrationMode::Open, ..s.clone() };
        let kept = accounts::create_invite(&db, &admin, "for later").await.unwrap();
        assert_eq!(accounts::signup(&db, &open, "http://x", &invited("lee@example.org", "lee", "nonsense")).await.unwrap().status, "active");
        assert_eq!(accounts::signup(&db, &open, "http://x", &invited("max@example.org", "max", &kept)).await.unwrap().status, "active");
        assert_eq!(accounts::open_invites(&db, &admin).await.unwrap().len(), 1, "the code still works for someone who needs it");
        assert!(!accounts::invite_counts(&open, &kept) && accounts::invite_counts(&s, &kept) && !accounts::invite_counts(&s, " "));
    }
}

/// Two sign-ups with one code at the same moment, in approval and in
/// invite-only mode: one account is made and spends it, the other is
/// refused on the code's field and makes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sign_ups_with_one_code_at_once_make_one_account() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let admin = boss(&db).await;
        for (round, mode) in [RegistrationMode::Approval, RegistrationMode::Invite].into_iter().enumerate() {
            let s = Settings { registration: mode, ..s.clone() };
            let code = accounts::create_invite(&db, &admin, "shared by mistake").await.unwrap();
            let before = people::count(&db).await.unwrap();
            let [a, b] = ["a", "b"].map(|who| {
                let (db, s, f) = (db.clone(), s.clone(), invited(&format!("{who}{round}@example.org"), &format!("{who}_{round}"), &code));
                tokio::spawn(async move { accounts::signup(&db, &s, "http://x", &f).await })
            });
            let (a, b) = (a.await.unwrap(), b.await.unwrap());
            let (made, refused) = match (a, b) {
                (Ok(made), Err(refused)) | (Err(refused), Ok(made)) => (made, refused),
                other => panic!("{mode:?} on {:?}: exactly one should be made: {other:?}", db.backend()),
            };
            assert_eq!(made.status, "active");
            let CoreError::Invalid(e) = refused else { panic!("{refused:?}") };
            assert!(e.get("invite_code").is_some(), "{e}");
            assert_eq!(people::count(&db).await.unwrap(), before + 1);
            assert!(accounts::open_invites(&db, &admin).await.unwrap().is_empty());
        }
    }
}

/// On PostgreSQL, a sign-up whose code is being used by another sign-up
/// not yet committed waits for it, then finds the code spent and makes
/// nothing (the code was open when its form was checked).
#[tokio::test]
async fn on_postgresql_a_sign_up_waits_for_its_code_being_used_and_makes_nothing() {
    for db in meetinghouse_testkit::databases().await {
        if db.backend() != meetinghouse_store::Backend::Postgres {
            continue;
        }
        let s = Settings { registration: RegistrationMode::Approval, ..Settings::load(&db).await.unwrap() };
        let admin = boss(&db).await;
        let code = accounts::create_invite(&db, &admin, "for Jo").await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert!(meetinghouse_store::tokens::use_invite(&mut tx, &meetinghouse_core::secrets::token_hash(&code), admin.id).await.unwrap());
        let (d, st, f) = (db.clone(), s.clone(), invited("kim@example.org", "kim", &code));
        let acting = tokio::spawn(async move { accounts::signup(&d, &st, "http://x", &f).await });
        meetinghouse_testkit::until_waiting_for_a_lock(&db, &acting, "the sign-up").await;
        tx.commit().await.unwrap();
        let Err(CoreError::Invalid(e)) = acting.await.unwrap() else { panic!("the code was spent meanwhile") };
        assert_eq!(e.get("invite_code"), Some(format!("That invite code has just been used by someone else. {LEAVE_IT_EMPTY}").as_str()));
        assert!(people::by_email(&db, "kim@example.org").await.unwrap().is_none());
    }
}
