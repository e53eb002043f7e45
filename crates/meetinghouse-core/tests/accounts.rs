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
        accounts::approve(&db, &admin, actor.id).await.unwrap();
        let approved = profiles::profile(&db, &s, None, "pending_one").await.unwrap();
        assert!(!approved.pending);
        accounts::approve(&db, &admin, actor.id).await.expect("approving twice is no error");
        assert!(matches!(accounts::approve(&db, &admin, 999_999).await, Err(CoreError::NotFound)));
        // A stale "approve" never lifts a ban given since.
        let approval = Settings { registration: RegistrationMode::Approval, ..s.clone() };
        let banned = accounts::signup(&db, &approval, "http://x", &form("b@example.org", "banned_one")).await.unwrap().person_id;
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::moderation::suspend(&mut tx, banned, None).await.unwrap();
        tx.commit().await.unwrap();
        let r = accounts::approve(&db, &admin, banned).await;
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
