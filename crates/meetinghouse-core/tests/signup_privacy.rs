//! Sign-up never tells whether an address has an account (core
//! `accounts::register`), on every configured backend: an address with one
//! makes nothing and emails its owner instead, at most once an hour per
//! address (counted in the database); every other check answers as it does
//! for a new address; an invite code is used only by an account it makes.

use meetinghouse_core::accounts::{self, ADDRESS_TAKEN_KIND, ADDRESS_TAKEN_MAIL, Registered, SignupForm};
use meetinghouse_core::attempts;
use meetinghouse_core::settings::{RegistrationMode, Settings};
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

async fn mail_to(db: &Db, to: &str, kind: &str) -> Vec<outbox::EmailRow> {
    outbox::recent(db, 100).await.unwrap().into_iter().filter(|m| m.to_addr == to && m.kind == kind).collect()
}

fn errors(r: Result<Registered, CoreError>) -> meetinghouse_core::FieldErrors {
    match r {
        Err(CoreError::Invalid(e)) => e,
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn an_address_with_an_account_makes_nothing_and_its_owner_is_told_once_an_hour() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let Registered::Created(sam) = accounts::register(&db, &s, "https://town.example", &form("Sam@Example.org", "sam")).await.unwrap() else {
            panic!("a new address makes an account")
        };
        assert_eq!(mail_to(&db, "Sam@Example.org", "verify").await.len(), 1);

        // The same address in other letters' case, with another handle.
        let again = accounts::register(&db, &s, "https://town.example", &form("sam@example.ORG", "sam_two")).await.unwrap();
        assert!(matches!(again, Registered::AddressHasAccount), "{again:?}");
        assert_eq!(people::count(&db).await.unwrap(), 1, "nothing was made");
        assert!(people::by_handle(&db, "sam_two").await.unwrap().is_none());
        let told = mail_to(&db, "Sam@Example.org", ADDRESS_TAKEN_KIND).await;
        assert_eq!(told.len(), 1, "the owner is told, at the address the account has");
        assert_eq!(told[0].subject, format!("Someone tried to join {} with your email address", s.name));
        for said in ["Someone tried to make a new account", "(@sam)", "https://town.example/login", "https://town.example/reset", "If it was not you, you can ignore this email"] {
            assert!(told[0].body.contains(said), "{said}: {}", told[0].body);
        }
        assert_eq!(mail_to(&db, "Sam@Example.org", "verify").await.len(), 1, "no confirmation link for a try");
        // Sam's password is Sam's: the one typed in the try does not sign in.
        let other_password = SignupForm { password: "a different password".into(), ..form("sam@example.org", "sam_three") };
        accounts::register(&db, &s, "https://town.example", &other_password).await.unwrap();
        assert!(accounts::login(&db, "sam@example.org", "a different password").await.is_err());
        assert_eq!(accounts::login(&db, "sam@example.org", "correct horse battery").await.unwrap().id, sam.person_id);

        // Within the hour, more tries send nothing more.
        for handle in ["sam_four", "sam_five"] {
            assert!(matches!(accounts::register(&db, &s, "https://town.example", &form("sam@example.org", handle)).await.unwrap(), Registered::AddressHasAccount));
        }
        assert_eq!(mail_to(&db, "Sam@Example.org", ADDRESS_TAKEN_KIND).await.len(), 1);
        // The count is kept in the database, under the address: another
        // address's owner is told, once.
        accounts::register(&db, &s, "https://town.example", &form("ann@example.org", "ann")).await.unwrap();
        accounts::register(&db, &s, "https://town.example", &form("ann@example.org", "ann_two")).await.unwrap();
        assert_eq!(mail_to(&db, "ann@example.org", ADDRESS_TAKEN_KIND).await.len(), 1);
        // The budget: once an hour, and again when an hour and more has gone by with no try.
        assert_eq!((ADDRESS_TAKEN_MAIL.limit, ADDRESS_TAKEN_MAIL.period_secs), (1, 3600));
        let (key, t) = ("someone@example.org", 1_000_000 * 3600);
        assert!(attempts::attempt(&db, &s.secret_key, &ADDRESS_TAKEN_MAIL, key, t).await.unwrap());
        assert!(!attempts::attempt(&db, &s.secret_key, &ADDRESS_TAKEN_MAIL, key, t + 3599).await.unwrap());
        assert!(attempts::attempt(&db, &s.secret_key, &ADDRESS_TAKEN_MAIL, key, t + 3 * 3600).await.unwrap());
    }
}

#[tokio::test]
async fn every_other_check_answers_the_same_whether_or_not_the_address_has_an_account() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::register(&db, &s, "http://x", &form("sam@example.org", "sam")).await.unwrap();
        // Sam's address, which has an account, and one that has none.
        for email in ["sam@example.org", "new@example.org"] {
            // A taken handle (handles are public), in the same words.
            let e = errors(accounts::register(&db, &s, "http://x", &form(email, "SAM")).await);
            assert_eq!(e.0, vec![("handle", "That handle is taken. Please choose another.".to_string())], "{email}");
            // Each field's own error, and nothing about the address.
            let bad = SignupForm { password: "short".into(), accept_conduct: false, ..form(email, "fresh_one") };
            let e = errors(accounts::register(&db, &s, "http://x", &bad).await);
            assert!(e.get("password").is_some() && e.get("accept_conduct").is_some() && e.get("email").is_none(), "{email}: {e}");
        }
        assert_eq!(people::count(&db).await.unwrap(), 1);
        assert!(mail_to(&db, "sam@example.org", ADDRESS_TAKEN_KIND).await.is_empty(), "a refused form tells nobody");
        // `signup`, for callers that know the person, still names the taken address.
        let Err(CoreError::Invalid(e)) = accounts::signup(&db, &s, "http://x", &form("sam@example.org", "other")).await else { panic!() };
        assert!(e.get("email").unwrap().contains("already an account"));
    }
}

#[tokio::test]
async fn an_invite_code_is_used_only_by_an_account_it_makes() {
    for db in meetinghouse_testkit::databases().await {
        let mut s = Settings::load(&db).await.unwrap();
        let admin_id = accounts::create_admin(&db, "admin@example.org", "boss", "Boss", "a long enough password").await.unwrap();
        let admin = accounts::login(&db, "admin@example.org", "a long enough password").await.unwrap();
        assert_eq!(admin.id, admin_id);
        s.registration = RegistrationMode::Invite;
        let code = accounts::create_invite(&db, &admin, "for Jo").await.unwrap();
        // Without a code, or with a wrong one, the address is not looked at.
        for (email, invite_code) in [("admin@example.org", ""), ("admin@example.org", "wrong"), ("jo@example.org", "wrong")] {
            let e = errors(accounts::register(&db, &s, "http://x", &SignupForm { invite_code: invite_code.into(), ..form(email, "jo") }).await);
            assert!(e.get("invite_code").is_some(), "{email}: {e}");
        }
        // The admin's address with the code: nothing made, the code still open.
        let with_code = |email: &str, handle: &str| SignupForm { invite_code: code.clone(), ..form(email, handle) };
        assert!(matches!(accounts::register(&db, &s, "http://x", &with_code("admin@example.org", "jo")).await.unwrap(), Registered::AddressHasAccount));
        assert!(matches!(accounts::register(&db, &s, "http://x", &with_code("jo@example.org", "jo")).await.unwrap(), Registered::Created(_)));
        let e = errors(accounts::register(&db, &s, "http://x", &with_code("kim@example.org", "kim")).await);
        assert!(e.get("invite_code").is_some(), "an invite works once: {e}");
    }
}
