//! Fixes from a review of accounts, on every configured backend: a reset
//! link is checked read-only before anything is hashed, a confirmed address
//! gets no more confirmation links, sign-up refuses addresses no mail can
//! reach, invite codes expire, can be withdrawn and ignore case, and
//! approval tells the admins and the person.

use meetinghouse_core::accounts::{self, SignupForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{CoreError, Db};
use meetinghouse_store::outbox;

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

async fn token_in_last(db: &Db, marker: &str) -> String {
    let body = outbox::recent(db, 1).await.unwrap().remove(0).body;
    let at = body.find(marker).expect("link in email") + marker.len();
    body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect()
}

#[tokio::test]
async fn a_reset_link_is_checked_without_being_used() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://mh.test", &form("sam@example.org", "sam")).await.unwrap();
        accounts::request_reset(&db, &s, "http://mh.test", "sam@example.org").await.unwrap();
        let token = token_in_last(&db, "/reset/confirm?token=").await;
        assert!(accounts::reset_link_is_live(&db, &token).await.unwrap());
        assert!(accounts::reset_link_is_live(&db, &format!(" {token} ")).await.unwrap(), "as pasted, with spaces");
        assert!(accounts::reset_link_is_live(&db, &token).await.unwrap(), "asking does not use it");
        assert!(!accounts::reset_link_is_live(&db, "").await.unwrap());
        assert!(!accounts::reset_link_is_live(&db, "not a token").await.unwrap());
        // A made-up token with a good password is refused in the link's words.
        let Err(CoreError::Invalid(e)) = accounts::reset_password(&db, "0123abcd", "a brand new password").await else { panic!() };
        assert_eq!(e.get("token"), Some(accounts::RESET_LINK_DEAD));
        accounts::reset_password(&db, &token, "a brand new password").await.unwrap();
        assert!(!accounts::reset_link_is_live(&db, &token).await.unwrap(), "used");
        accounts::login(&db, "sam@example.org", "a brand new password").await.unwrap();
    }
}

#[tokio::test]
async fn a_confirmed_address_gets_no_more_confirmation_links() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://mh.test", &form("sam@example.org", "sam")).await.unwrap();
        let actor = accounts::login(&db, "sam@example.org", "correct horse battery").await.unwrap();
        assert_eq!(accounts::resend_verification(&db, &s, "http://mh.test", &actor).await.unwrap(), accounts::Resent::Sent);
        assert_eq!(outbox::recent(&db, 10).await.unwrap().len(), 2);
        let token = token_in_last(&db, "/verify?token=").await;
        accounts::verify_email(&db, &token).await.unwrap();
        assert_eq!(accounts::resend_verification(&db, &s, "http://mh.test", &actor).await.unwrap(), accounts::Resent::AlreadyConfirmed);
        assert_eq!(outbox::recent(&db, 10).await.unwrap().len(), 2, "nothing more was sent");
    }
}

#[test]
fn an_address_is_one_mail_can_carry() {
    use meetinghouse_core::types::Email;
    for good in ["sam@example.org", "sam.okafor+club@mail.example.org", "o'brien@example.co.uk", "a_b-c~d@x-y.example", "SAM@Example.ORG", "sam@exämple.org", " sam@example.org "] {
        assert!(Email::parse(good).is_ok(), "{good}");
    }
    for (bad, says) in [
        ("bob;x@example.org", "“;”"),
        ("\"bob\"@example.org", "“\"”"),
        ("bob(x)@example.org", "“(”"),
        ("bob[x]@example.org", "“[”"),
        ("bob:x@example.org", "“:”"),
        ("bob\\x@example.org", "“\\”"),
        ("sé@example.org", "“é”"),
        ("a@b@example.org", "“@”"),
        (".sam@example.org", "dot"),
        ("sam.@example.org", "dot"),
        ("sam..okafor@example.org", "two dots"),
        ("sam@-example.org", "domain"),
        ("sam@example-.org", "domain"),
        ("sam@exa_mple.org", "domain"),
        ("sam@[192.0.2.1]", "domain"),
        ("sam@example..org", "domain"),
        ("sam@example.org", ""),
    ] {
        if says.is_empty() {
            continue;
        }
        let err = Email::parse(bad).expect_err(bad);
        assert!(err.contains(says), "{bad}: {err}");
    }
    let long = format!("{}@example.org", "a".repeat(65));
    assert!(Email::parse(&long).unwrap_err().contains("64"));
    assert!(Email::parse(&format!("{}@example.org", "a".repeat(64))).is_ok());
    // The looser rules still find an account made under them.
    assert!(Email::parse_loosely("bob;x@example.org").is_ok());
}

#[tokio::test]
async fn sign_up_refuses_an_address_mail_cannot_reach_but_an_older_one_still_signs_in() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let Err(CoreError::Invalid(e)) = accounts::register(&db, &s, "http://x", &form("bob;x@example.org", "bob")).await else { panic!("refused") };
        assert!(e.get("email").unwrap().contains("“;”"), "{e}");
        assert!(outbox::recent(&db, 10).await.unwrap().is_empty(), "nothing queued");
        // An account made before the rule (by hand here) still signs in.
        let hash = meetinghouse_core::secrets::hash_password("correct horse battery").unwrap();
        let mut tx = db.begin().await.unwrap();
        let new = meetinghouse_store::people::NewPerson { email: "old;x@example.org", handle: "old", display_name: "Old", password_hash: &hash, is_admin: false, status: "active" };
        meetinghouse_store::people::insert(&mut tx, &new).await.unwrap();
        tx.commit().await.unwrap();
        accounts::login(&db, "old;x@example.org", "correct horse battery").await.unwrap();
    }
}

#[tokio::test]
async fn invite_codes_ignore_case_expire_and_can_be_withdrawn() {
    use meetinghouse_core::settings::RegistrationMode;
    for db in meetinghouse_testkit::databases().await {
        let mut s = Settings::load(&db).await.unwrap();
        s.registration = RegistrationMode::Invite;
        accounts::create_admin(&db, "boss@example.org", "boss", "Boss", "a long enough password").await.unwrap();
        let admin = accounts::login(&db, "boss@example.org", "a long enough password").await.unwrap();
        let someone = common_person(&db).await;
        let code = accounts::create_invite(&db, &admin, "for Jo at the museum").await.unwrap();
        assert_eq!(code, code.to_lowercase());
        assert!(matches!(accounts::open_invites(&db, &someone).await, Err(CoreError::Forbidden(_))));
        let open = accounts::open_invites(&db, &admin).await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].note, "for Jo at the museum");
        assert_eq!(open[0].made_by, "boss");
        let days = (open[0].expires_at - open[0].created_at) / 86_400;
        assert_eq!(days, 30, "a code works for 30 days");

        // Typed in capitals, it works (once).
        let jo = SignupForm { invite_code: format!(" {} ", code.to_uppercase()), ..form("jo@example.org", "jo") };
        accounts::register(&db, &s, "http://x", &jo).await.unwrap();
        assert!(accounts::open_invites(&db, &admin).await.unwrap().is_empty(), "used codes leave the list");

        // Withdrawn: gone from the list, and it no longer works.
        let code = accounts::create_invite(&db, &admin, "").await.unwrap();
        let hash = accounts::open_invites(&db, &admin).await.unwrap().remove(0).code_hash;
        assert!(matches!(accounts::withdraw_invite(&db, &someone, &hash).await, Err(CoreError::Forbidden(_))));
        assert!(accounts::withdraw_invite(&db, &admin, &hash).await.unwrap());
        assert!(!accounts::withdraw_invite(&db, &admin, &hash).await.unwrap(), "already withdrawn");
        let kit = SignupForm { invite_code: code, ..form("kit@example.org", "kit") };
        let Err(CoreError::Invalid(e)) = accounts::register(&db, &s, "http://x", &kit).await else { panic!("withdrawn") };
        assert!(e.get("invite_code").is_some(), "{e}");

        // Expired: not listed, and refused.
        let past = meetinghouse_store::now() - 1;
        meetinghouse_store::tokens::create_invite(&db, &meetinghouse_core::secrets::token_hash("0ld0c0de"), admin.id, "old", past).await.unwrap();
        assert!(accounts::open_invites(&db, &admin).await.unwrap().is_empty());
        let old = SignupForm { invite_code: "0LD0C0DE".into(), ..form("ola@example.org", "ola") };
        let Err(CoreError::Invalid(e)) = accounts::register(&db, &s, "http://x", &old).await else { panic!("expired") };
        assert!(e.get("invite_code").unwrap().contains("expired"), "{e}");
    }
}

/// Someone who is not an admin, signed in.
async fn common_person(db: &Db) -> meetinghouse_core::Actor {
    let id = accounts::create_admin(db, "pat@example.org", "pat", "Pat", "a long enough password").await.unwrap();
    meetinghouse_store::people::set_admin(db, id, false).await.unwrap();
    accounts::login(db, "pat@example.org", "a long enough password").await.unwrap()
}

#[tokio::test]
async fn approval_tells_the_admins_and_then_the_person() {
    use meetinghouse_core::notifications::{self, Mailer};
    use meetinghouse_core::settings::RegistrationMode;
    for db in meetinghouse_testkit::databases().await {
        let mut s = Settings::load(&db).await.unwrap();
        accounts::create_admin(&db, "boss@example.org", "boss", "Boss", "a long enough password").await.unwrap();
        let admin = accounts::login(&db, "boss@example.org", "a long enough password").await.unwrap();
        let other = accounts::create_admin(&db, "deputy@example.org", "deputy", "Deputy", "a long enough password").await.unwrap();
        let someone = common_person(&db).await;
        // Open sign-up tells nobody.
        accounts::register(&db, &s, "http://mh.test", &form("ada@example.org", "ada")).await.unwrap();
        assert!(notifications::list(&db, &admin, i64::MAX).await.unwrap().is_empty());

        s.registration = RegistrationMode::Approval;
        let accounts::Registered::Created(done) = accounts::register(&db, &s, "http://mh.test", &form("sam@example.org", "sam")).await.unwrap() else { panic!() };
        assert_eq!(done.status, "pending");
        for admin_id in [admin.id, other] {
            let mut as_admin = admin.clone();
            as_admin.id = admin_id;
            let told = notifications::list(&db, &as_admin, i64::MAX).await.unwrap();
            assert_eq!(told.len(), 1, "each admin is told once");
            assert_eq!(told[0].kind, "join_request");
            assert!(told[0].text.contains("@sam") && told[0].text.contains("approval"), "{}", told[0].text);
            assert_eq!(told[0].url, "/admin/people");
        }
        assert!(notifications::list(&db, &someone, i64::MAX).await.unwrap().is_empty(), "only admins");
        // An address that has an account makes nothing, so tells no admin.
        accounts::register(&db, &s, "http://mh.test", &form("sam@example.org", "sam_again")).await.unwrap();
        assert_eq!(notifications::list(&db, &admin, i64::MAX).await.unwrap().len(), 1);

        let mail = Mailer { settings: &s, base_url: "http://mh.test" };
        accounts::approve(&db, mail, &admin, done.person_id).await.unwrap();
        let approved: Vec<_> = outbox::recent(&db, 50).await.unwrap().into_iter().filter(|m| m.kind == accounts::APPROVED_KIND).collect();
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0].to_addr, "sam@example.org");
        assert!(approved[0].body.contains("approved") && approved[0].body.contains("http://mh.test/login"), "{}", approved[0].body);
        accounts::approve(&db, mail, &admin, done.person_id).await.unwrap();
        let again = outbox::recent(&db, 50).await.unwrap().into_iter().filter(|m| m.kind == accounts::APPROVED_KIND).count();
        assert_eq!(again, 1, "approving twice emails once");
    }
}
