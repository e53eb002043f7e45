//! Fixes from a review of accounts, on every configured backend: a reset
//! link is checked read-only before anything is hashed, a confirmed address
//! gets no more confirmation links, sign-up refuses addresses no mail can
//! reach, invite codes expire, can be withdrawn and ignore case, and
//! approval tells the admins and the person. A confirmation link followed
//! again says the address is confirmed; a person sees their sessions (the
//! browser, when last used) and signs out everywhere else, and sees the
//! people they blocked or muted.

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

// Changing the email address while signed in.

const PASSWORD: &str = "correct horse battery";

/// Sam, signed up and confirmed, signed in; the outbox emptied.
async fn sam(db: &Db, s: &Settings) -> meetinghouse_core::Actor {
    accounts::signup(db, s, "http://mh.test", &form("sam@example.org", "sam")).await.unwrap();
    let token = token_in_last(db, "/verify?token=").await;
    accounts::verify_email(db, &token).await.unwrap();
    db.execute_admin("DELETE FROM email_outbox").await.unwrap();
    accounts::login(db, "sam@example.org", PASSWORD).await.unwrap()
}

/// Every mail in the outbox, oldest first.
async fn mails(db: &Db) -> Vec<outbox::EmailRow> {
    let mut all = outbox::recent(db, 100).await.unwrap();
    all.reverse();
    all
}

/// The token after `marker` in `body`.
fn token_after(body: &str, marker: &str) -> String {
    let at = body.find(marker).expect("link in email") + marker.len();
    body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect()
}

const CONFIRM: &str = "/me/email/confirm?token=";

#[tokio::test]
async fn an_email_change_waits_for_the_link_to_the_new_address_then_ends_other_sessions_and_old_links() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let actor = sam(&db, &s).await;
        let here = accounts::start_session(&db, actor.id).await.unwrap();
        let elsewhere = accounts::start_session(&db, actor.id).await.unwrap();
        // A reset link asked for earlier, sent to the old address.
        accounts::request_reset(&db, &s, "http://mh.test", "sam@example.org").await.unwrap();
        let reset = token_in_last(&db, "/reset/confirm?token=").await;
        db.execute_admin("DELETE FROM email_outbox").await.unwrap();

        let asked = accounts::request_email_change(&db, &s, "http://mh.test", &actor, " Sam.New@Example.net ", PASSWORD).await.unwrap();
        assert_eq!(asked, accounts::EmailChangeAsked::Sent);
        let sent = mails(&db).await;
        assert_eq!(sent.len(), 2, "{sent:?}");
        let (link, notice) = (&sent[0], &sent[1]);
        assert_eq!(link.to_addr, "Sam.New@Example.net");
        assert_eq!(link.kind, accounts::EMAIL_CHANGE_LINK_KIND, "a one-time link: dropped from the outbox once sent");
        assert!(link.body.contains("http://mh.test/me/email/confirm?token=") && link.body.contains("24 hours"), "{}", link.body);
        assert_eq!(notice.to_addr, "sam@example.org");
        assert_eq!(notice.kind, accounts::EMAIL_CHANGE_NOTICE_KIND);
        assert!(notice.body.contains("S•••@Example.net") && !notice.body.contains("Sam.New"), "masked: {}", notice.body);
        assert!(notice.body.contains("http://mh.test/reset") && !notice.body.contains(CONFIRM), "{}", notice.body);

        // Nothing changed yet; the page shows the change waiting, masked.
        let status = accounts::email_status(&db, &actor).await.unwrap();
        assert_eq!(status.address, "sam@example.org");
        let pending = status.pending.expect("waiting");
        assert_eq!(pending.masked, "S•••@Example.net");
        assert_eq!(pending.expires_at - pending.asked_at, accounts::EMAIL_CHANGE_TTL_SECS);
        accounts::login(&db, "sam@example.org", PASSWORD).await.unwrap();

        let token = token_after(&link.body, CONFIRM);
        assert!(accounts::email_change_link_is_live(&db, &token).await.unwrap());
        assert!(accounts::email_change_link_is_live(&db, &token).await.unwrap(), "looking does not use it");
        assert_eq!(accounts::confirm_email_change(&db, &s, "http://mh.test", &format!(" {token} "), &here).await.unwrap(), actor.id);

        // Moved, confirmed, signed in here only, the old links dead.
        let status = accounts::email_status(&db, &actor).await.unwrap();
        assert_eq!((status.address.as_str(), status.confirmed, status.pending), ("Sam.New@Example.net", true, None));
        accounts::login(&db, "sam.new@example.net", PASSWORD).await.unwrap();
        assert!(accounts::login(&db, "sam@example.org", PASSWORD).await.is_err());
        assert!(accounts::session_actor(&db, &here).await.unwrap().is_some(), "the session that confirmed stays");
        assert!(accounts::session_actor(&db, &elsewhere).await.unwrap().is_none(), "other sessions end");
        assert!(!accounts::reset_link_is_live(&db, &reset).await.unwrap(), "reset links sent to the old address die");
        let told = mails(&db).await.into_iter().find(|m| m.kind == accounts::EMAIL_CHANGED_KIND).expect("the old address is told");
        assert_eq!(told.to_addr, "sam@example.org");
        assert!(told.body.contains("S•••@Example.net"), "{}", told.body);

        // The link works once.
        assert!(!accounts::email_change_link_is_live(&db, &token).await.unwrap());
        let Err(CoreError::Invalid(e)) = accounts::confirm_email_change(&db, &s, "http://mh.test", &token, &here).await else { panic!("used") };
        assert_eq!(e.get("token"), Some(accounts::EMAIL_CHANGE_LINK_DEAD));
    }
}

#[tokio::test]
async fn an_email_change_needs_the_password_and_an_address_mail_can_reach() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let actor = sam(&db, &s).await;
        let refused = [
            ("new@example.org", "a wrong password", "email_password", "not your current password"),
            ("new@example.org", "", "email_password", "Enter your current password"),
            ("bob;x@example.org", PASSWORD, "new_email", "“;”"),
            ("not an address", PASSWORD, "new_email", "like name@example.org"),
            ("", PASSWORD, "new_email", "Enter your email address"),
            ("SAM@example.org", PASSWORD, "new_email", "already your email address"),
        ];
        for (address, password, field, says) in refused {
            let Err(CoreError::Invalid(e)) = accounts::request_email_change(&db, &s, "http://x", &actor, address, password).await else {
                panic!("{address} / {password} refused")
            };
            assert!(e.get(field).is_some_and(|m| m.contains(says)), "{address} / {password}: {e}");
        }
        assert!(mails(&db).await.is_empty(), "nothing sent");
        assert_eq!(accounts::email_status(&db, &actor).await.unwrap().pending, None, "nothing waits");
    }
}

#[tokio::test]
async fn an_address_with_an_account_gets_the_same_answer_its_owner_is_told_and_no_link_is_made() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://mh.test", &form("bea@example.org", "bea")).await.unwrap();
        let actor = sam(&db, &s).await;

        let asked = accounts::request_email_change(&db, &s, "http://mh.test", &actor, "Bea@example.org", PASSWORD).await.unwrap();
        assert_eq!(asked, accounts::EmailChangeAsked::Sent, "the same answer");
        let pending = accounts::email_status(&db, &actor).await.unwrap().pending.expect("shown as waiting, the same");
        assert_eq!(pending.masked, "B•••@example.org");
        let sent = mails(&db).await;
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert_eq!((sent[0].to_addr.as_str(), sent[0].kind.as_str()), ("bea@example.org", accounts::EMAIL_CHANGE_TAKEN_KIND));
        assert!(sent[0].body.contains("@bea") && !sent[0].body.contains("@sam") && !sent[0].body.contains(CONFIRM), "{}", sent[0].body);
        assert_eq!(sent[1].kind, accounts::EMAIL_CHANGE_NOTICE_KIND, "the old address hears as always");
        // No link exists: nothing to confirm.
        let links = mails(&db).await.into_iter().filter(|m| m.body.contains(CONFIRM)).count();
        assert_eq!(links, 0);
        assert!(!meetinghouse_store::email_changes::has_link(&db, actor.id).await.unwrap(), "no token is written");

        // Again within the hour (sending again too): the owner is not told again.
        accounts::request_email_change(&db, &s, "http://mh.test", &actor, "bea@example.org", PASSWORD).await.unwrap();
        assert_eq!(accounts::resend_email_change(&db, &s, "http://mh.test", &actor).await.unwrap(), accounts::EmailChangeAsked::Sent);
        let to_bea = mails(&db).await.into_iter().filter(|m| m.to_addr == "bea@example.org").count();
        assert_eq!(to_bea, 1, "once an hour, the budget sign-up uses");
        // ...which sign-up shares.
        accounts::register(&db, &s, "http://mh.test", &form("bea@example.org", "bea2")).await.unwrap();
        let to_bea = mails(&db).await.into_iter().filter(|m| m.to_addr == "bea@example.org").count();
        assert_eq!(to_bea, 1);
        assert_eq!(accounts::email_status(&db, &actor).await.unwrap().address, "sam@example.org");
    }
}

#[tokio::test]
async fn a_newer_link_replaces_the_older_one_and_an_expired_or_cancelled_one_is_dead() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let actor = sam(&db, &s).await;
        let link = |db: Db| async move {
            let mail = mails(&db).await.into_iter().rev().find(|m| m.body.contains(CONFIRM)).expect("a link");
            token_after(&mail.body, CONFIRM)
        };
        accounts::request_email_change(&db, &s, "http://x", &actor, "one@example.org", PASSWORD).await.unwrap();
        let first = link(db.clone()).await;
        accounts::request_email_change(&db, &s, "http://x", &actor, "two@example.org", PASSWORD).await.unwrap();
        let second = link(db.clone()).await;
        assert!(!accounts::email_change_link_is_live(&db, &first).await.unwrap(), "replaced by the newer change");
        assert!(accounts::confirm_email_change(&db, &s, "http://x", &first, "").await.is_err());
        // Sending again: a new link, the one before it dead; the old address is not told twice.
        let notices = mails(&db).await.into_iter().filter(|m| m.kind == accounts::EMAIL_CHANGE_NOTICE_KIND).count();
        assert_eq!(accounts::resend_email_change(&db, &s, "http://x", &actor).await.unwrap(), accounts::EmailChangeAsked::Sent);
        let third = link(db.clone()).await;
        assert_ne!(second, third);
        assert!(!accounts::email_change_link_is_live(&db, &second).await.unwrap());
        assert_eq!(mails(&db).await.into_iter().filter(|m| m.kind == accounts::EMAIL_CHANGE_NOTICE_KIND).count(), notices);
        assert_eq!(mails(&db).await.into_iter().filter(|m| m.to_addr == "two@example.org").count(), 2, "the new link goes to the waiting address");

        // Expired: dead, shown as waiting no more, and purged.
        db.execute_admin("UPDATE email_changes SET expires_at = 1000").await.unwrap();
        assert!(!accounts::email_change_link_is_live(&db, &third).await.unwrap());
        let Err(CoreError::Invalid(e)) = accounts::confirm_email_change(&db, &s, "http://x", &third, "").await else { panic!("expired") };
        assert_eq!(e.get("token"), Some(accounts::EMAIL_CHANGE_LINK_DEAD));
        assert_eq!(accounts::email_status(&db, &actor).await.unwrap().pending, None);
        assert_eq!(accounts::resend_email_change(&db, &s, "http://x", &actor).await.unwrap(), accounts::EmailChangeAsked::NothingWaiting);
        assert_eq!(accounts::purge_expired_email_changes(&db, meetinghouse_store::now()).await.unwrap(), 1);

        // Cancelled: dead.
        accounts::request_email_change(&db, &s, "http://x", &actor, "three@example.org", PASSWORD).await.unwrap();
        let fourth = link(db.clone()).await;
        assert!(accounts::cancel_email_change(&db, &actor).await.unwrap());
        assert!(!accounts::cancel_email_change(&db, &actor).await.unwrap(), "nothing left to cancel");
        assert!(!accounts::email_change_link_is_live(&db, &fourth).await.unwrap());
        assert_eq!(accounts::email_status(&db, &actor).await.unwrap().address, "sam@example.org");
    }
}

#[tokio::test]
async fn a_password_reset_or_change_cancels_a_waiting_email_change() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let actor = sam(&db, &s).await;
        // Someone who knew the password asks to move the account...
        accounts::request_email_change(&db, &s, "http://x", &actor, "thief@example.net", PASSWORD).await.unwrap();
        let token = token_after(&mails(&db).await[0].body, CONFIRM);
        // ...and the owner, told, resets the password.
        accounts::request_reset(&db, &s, "http://x", "sam@example.org").await.unwrap();
        let reset = token_in_last(&db, "/reset/confirm?token=").await;
        accounts::reset_password(&db, &reset, "a brand new password").await.unwrap();
        assert!(!accounts::email_change_link_is_live(&db, &token).await.unwrap(), "the change dies with the old password");
        assert!(accounts::confirm_email_change(&db, &s, "http://x", &token, "").await.is_err());

        // A password change while signed in does the same.
        accounts::request_email_change(&db, &s, "http://x", &actor, "thief@example.net", "a brand new password").await.unwrap();
        let token = token_after(&mails(&db).await.into_iter().rev().find(|m| m.body.contains(CONFIRM)).unwrap().body, CONFIRM);
        accounts::change_password(&db, &actor, "a brand new password", "another new password", "").await.unwrap();
        assert!(!accounts::email_change_link_is_live(&db, &token).await.unwrap());
        assert_eq!(accounts::email_status(&db, &actor).await.unwrap().address, "sam@example.org");
    }
}

#[tokio::test]
async fn a_change_confirmed_after_the_address_got_an_account_is_refused_in_plain_words() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let actor = sam(&db, &s).await;
        accounts::request_email_change(&db, &s, "http://x", &actor, "kit@example.org", PASSWORD).await.unwrap();
        let token = token_after(&mails(&db).await[0].body, CONFIRM);
        // Meanwhile someone joins with that address.
        accounts::signup(&db, &s, "http://x", &form("KIT@example.org", "kit")).await.unwrap();
        let Err(CoreError::Invalid(e)) = accounts::confirm_email_change(&db, &s, "http://x", &token, "").await else { panic!("refused") };
        assert_eq!(e.get("token"), Some(accounts::EMAIL_CHANGE_ADDRESS_TAKEN));
        assert_eq!(accounts::email_status(&db, &actor).await.unwrap().address, "sam@example.org", "nothing changed");
        accounts::login(&db, "sam@example.org", PASSWORD).await.unwrap();
        assert!(!accounts::email_change_link_is_live(&db, &token).await.unwrap(), "the link is spent");
        assert_eq!(accounts::email_status(&db, &actor).await.unwrap().pending, None);
    }
}

#[tokio::test]
async fn email_changes_send_at_most_five_mails_an_hour() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let actor = sam(&db, &s).await;
        for i in 0..5 {
            let asked = accounts::request_email_change(&db, &s, "http://x", &actor, &format!("n{i}@example.org"), PASSWORD).await.unwrap();
            assert_eq!(asked, accounts::EmailChangeAsked::Sent);
        }
        let before = mails(&db).await.len();
        assert_eq!(accounts::request_email_change(&db, &s, "http://x", &actor, "n9@example.org", PASSWORD).await.unwrap(), accounts::EmailChangeAsked::TooMany);
        assert_eq!(accounts::resend_email_change(&db, &s, "http://x", &actor).await.unwrap(), accounts::EmailChangeAsked::TooMany);
        assert_eq!(mails(&db).await.len(), before, "nothing more sent");
        assert_eq!(accounts::email_status(&db, &actor).await.unwrap().pending.unwrap().masked, "n•••@example.org");
    }
}

// Downloading your data.

#[tokio::test]
async fn the_data_download_holds_what_the_person_made_and_nothing_private_of_others() {
    use meetinghouse_core::common_ground::{self, ConversationForm, Participant};
    use meetinghouse_core::conversations::{self, ReplyForm};
    use meetinghouse_core::groups::{self, GroupForm};
    use meetinghouse_core::moderation::{self, ReportForm};
    use meetinghouse_core::notifications::Mailer;
    use meetinghouse_core::personal_data;
    use meetinghouse_core::stories::{self, StoryForm};
    use meetinghouse_core::subjects::Subject;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "http://mh.test" };
        let sam = sam(&db, &s).await;
        let bea = common_person(&db).await; // @pat
        accounts::create_admin(&db, "kit@example.org", "kit", "Kit", "a long enough password").await.unwrap();
        meetinghouse_core::people::update_profile(&db, &sam, &meetinghouse_core::people::ProfileForm {
            display_name: "Sam O".into(),
            pronouns: "he/him".into(),
            bio: "I walk by the *canal*.".into(),
            sectors: vec!["heritage".into(), "resident".into()],
        })
        .await
        .unwrap();

        // Someone else's members-only group and its story.
        let group = |name: &str, slug: &str, visibility: &str, policy: &str| GroupForm {
            name: name.into(),
            slug: slug.into(),
            purpose: String::new(),
            visibility: visibility.into(),
            join_policy: policy.into(),
        };
        groups::create(&db, &s, &bea, &group("Quiet circle", "quiet", "members", "request")).await.unwrap();
        let secret = StoryForm { title: "Pat's secret".into(), body: "Only the circle reads this.".into(), licence: "cc0".into(), visibility: "group:quiet".into(), ..Default::default() };
        let secret = stories::create(&db, &s, &bea, &secret).await.unwrap();
        let pats = StoryForm { title: "Pat's walk".into(), body: "Public.".into(), licence: "cc0".into(), visibility: "public".into(), ..Default::default() };
        let pats = stories::create(&db, &s, &bea, &pats).await.unwrap();

        // Sam's own group, stories (one edited), replies, thanks, blocks, reports, votes.
        groups::create(&db, &s, &sam, &group("Canal walkers", "walkers", "public", "open")).await.unwrap();
        let first = StoryForm {
            title: "Sundays on the canal".into(),
            body: "We walked to the lock.".into(),
            licence: "cc-by-4.0".into(),
            consent_people: true,
            visibility: "group:walkers".into(),
            place_name: "Grand Western Canal".into(),
            ..Default::default()
        };
        let mine = stories::create(&db, &s, &sam, &first).await.unwrap();
        let edited = StoryForm { body: "We walked all the way to the lock.".into(), ..first.clone() };
        stories::edit(&db, &s, &sam, mine, &edited).await.unwrap();
        let draft = StoryForm { title: "Not ready yet".into(), body: "A draft.".into(), licence: "cc0".into(), visibility: "draft".into(), ..Default::default() };
        stories::create(&db, &s, &sam, &draft).await.unwrap();

        groups::join(&db, &s, &bea, "walkers").await.unwrap();
        let pats_reply = conversations::post(&db, mail, &bea, Subject::Story(mine), &ReplyForm { body: "Pat answers Sam here.".into(), ..Default::default() }).await.unwrap();
        conversations::post(&db, mail, &sam, Subject::Story(pats), &ReplyForm { body: "Sam writes on Pat's walk.".into(), ..Default::default() }).await.unwrap();
        conversations::thank(&db, mail, &sam, pats_reply, "resonated").await.unwrap();
        moderation::relate(&db, &sam, "kit", "block").await.unwrap();
        moderation::relate(&db, &sam, "pat", "mute").await.unwrap();
        let report = |kind: &str, target: &str, details: &str| ReportForm { target_kind: kind.into(), target: target.into(), category: "spam".into(), details: details.into() };
        moderation::report(&db, &sam, &report("story", &pats.to_string(), "Sam thinks this is an advert.")).await.unwrap();
        moderation::report(&db, &bea, &report("person", "sam", "Pat reports Sam.")).await.unwrap();

        let cg = ConversationForm { topic: "The old library".into(), seeds: "Keep it open".into(), moderation: "post".into(), group: "walkers".into(), ..Default::default() };
        let cg = common_ground::create(&db, &s, &sam, &cg).await.unwrap();
        let c = common_ground::load(&db, cg, Some(&sam)).await.unwrap();
        common_ground::add_statement(&db, &s, &c, &Participant::Person(&sam), "Make it a cafe").await.unwrap();
        let seed = meetinghouse_store::common_ground::statements(&db, cg).await.unwrap().into_iter().find(|st| st.body == "Keep it open").unwrap().id;
        common_ground::vote(&db, &s, &c, &Participant::Person(&sam), seed, "agree").await.unwrap();
        // A statement of Pat's that Sam was shown and voted on: its text is in Sam's file.
        let as_pat = common_ground::load(&db, cg, Some(&bea)).await.unwrap();
        common_ground::add_statement(&db, &s, &as_pat, &Participant::Person(&bea), "A reading room upstairs").await.unwrap();
        let pats_statement = meetinghouse_store::common_ground::statements(&db, cg).await.unwrap().into_iter().find(|st| st.body == "A reading room upstairs").unwrap().id;
        common_ground::vote(&db, &s, &c, &Participant::Person(&sam), pats_statement, "disagree").await.unwrap();

        accounts::start_session_from(&db, sam.id, "Firefox on Linux").await.unwrap();
        accounts::start_session_from(&db, bea.id, "Safari on an iPhone").await.unwrap();

        let now = meetinghouse_store::now();
        let file = personal_data::build(&db, &s, "http://mh.test/", sam.id, now, personal_data::FILE_MAX_BYTES, personal_data::PAGE).await.unwrap();
        // Read a row at a time, every list crosses pages: the file is the same.
        let by_rows = personal_data::build(&db, &s, "http://mh.test/", sam.id, now, personal_data::FILE_MAX_BYTES, 1).await.unwrap();
        assert_eq!(String::from_utf8(by_rows.json).unwrap(), String::from_utf8(file.json.clone()).unwrap());
        assert!(file.complete);
        assert!(file.filename.starts_with("meetinghouse-sam-") && file.filename.ends_with(".json"), "{}", file.filename);
        let text = String::from_utf8(file.json.clone()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&file.json).expect("valid JSON");
        assert_eq!(v["format"], personal_data::FORMAT);
        assert_eq!(v["complete"], true);
        assert_eq!(v["account"]["email"], "sam@example.org");
        assert_eq!(v["account"]["pronouns"], "he/him");
        assert_eq!(v["account"]["sectors"], serde_json::json!(["heritage", "resident"]));
        assert_eq!(v["notification_settings"]["email"], "daily");
        let browsers: Vec<&str> = v["signed_in_sessions"].as_array().unwrap().iter().map(|x| x["browser"].as_str().unwrap()).collect();
        assert_eq!(browsers, ["Firefox on Linux"], "Sam's own session, not Pat's");
        assert!(v["signed_in_sessions"][0]["last_used_at"].as_str().is_some_and(|t| t.ends_with('Z')));
        let groups = v["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "only Sam's own memberships: {groups:?}");
        assert_eq!((groups[0]["name"].as_str(), groups[0]["role"].as_str()), (Some("Canal walkers"), Some("host")));

        let stories = v["stories"].as_array().unwrap();
        assert_eq!(stories.len(), 2, "both of Sam's, the draft too");
        let canal = &stories[0];
        assert_eq!(canal["text"], "We walked all the way to the lock.");
        assert_eq!(canal["shown_to"], "group");
        assert_eq!(canal["group"], "walkers");
        assert_eq!(canal["licence"], "cc-by-4.0");
        assert_eq!(canal["consent"]["everyone_identifiable_agreed"], true);
        assert_eq!(canal["consent"]["no_under_18s_identifiable_or_guardian_agreed"], false);
        assert_eq!(canal["address"], format!("http://mh.test/stories/{mine}"));
        assert_eq!(canal["earlier_versions"][0]["text"], "We walked to the lock.", "{canal}");
        assert_eq!(stories[1]["shown_to"], "draft");

        let replies = v["replies"].as_array().unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0]["text"], "Sam writes on Pat's walk.");
        assert_eq!(replies[0]["on"], serde_json::json!({ "kind": "story", "id": pats }));
        assert_eq!(v["thanks_given"][0]["to"], "pat");
        assert_eq!(v["thanks_given"][0]["kind"], "resonated");
        let relations: Vec<(String, String)> = v["blocks_and_mutes"].as_array().unwrap().iter().map(|r| (r["kind"].as_str().unwrap().into(), r["handle"].as_str().unwrap().into())).collect();
        assert_eq!(relations, [("block".to_string(), "kit".to_string()), ("mute".into(), "pat".into())]);
        let reports = v["reports_made"].as_array().unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0]["details"], "Sam thinks this is an advert.");
        let statements: Vec<&str> = v["common_ground_statements"].as_array().unwrap().iter().map(|x| x["text"].as_str().unwrap()).collect();
        assert_eq!(statements, ["Keep it open", "Make it a cafe"], "the host's seed is theirs too");
        assert_eq!(v["common_ground_votes"][0]["statement"], "Keep it open");
        assert_eq!(v["common_ground_votes"][0]["vote"], "agree");
        assert_eq!(v["common_ground_votes"][1]["statement"], "A reading room upstairs");
        assert_eq!(v["common_ground_votes"][1]["vote"], "disagree");
        assert_eq!(v["common_ground_conversations_opened"][0]["topic"], "The old library");
        assert_eq!(v["common_ground_conversations_opened"][0]["group"], "walkers");

        // Others' words and anything private of theirs stay out.
        for absent in ["Pat's secret", "Only the circle", "Pat answers Sam", "Pat reports Sam", "Quiet circle", "quiet", "pat@example.org", "password"] {
            assert!(!text.contains(absent), "{absent} must not be in the file: {text}");
        }
        assert!(!text.contains(&format!("/stories/{secret}\"")));
        assert_eq!(canal["earlier_versions"][0]["removed_by"], serde_json::Value::Null, "the text is as it was replaced");

        // Sam takes the earlier version's text out of the history: the file
        // says so, by whom and when, rather than showing an empty version.
        let (_, versions, _, _) = stories::history_page(&db, mine, Some(&sam), 1).await.unwrap();
        stories::remove_revision(&db, mail, &sam, mine, versions[0].id, "", true).await.unwrap();
        let after = personal_data::build(&db, &s, "http://mh.test/", sam.id, now, personal_data::FILE_MAX_BYTES, personal_data::PAGE).await.unwrap();
        let after: serde_json::Value = serde_json::from_slice(&after.json).unwrap();
        let removed = &after["stories"][0]["earlier_versions"][0];
        assert_eq!((removed["title"].as_str(), removed["text"].as_str()), (Some(""), Some("")), "{removed}");
        assert_eq!(removed["removed_by"], "author", "{removed}");
        assert!(removed["removed_at"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() == 20), "{removed}");

        // A file past its limit is cut at a list, says so, and is still JSON.
        let small = personal_data::build(&db, &s, "http://mh.test", sam.id, now, 2_500, personal_data::PAGE).await.unwrap();
        assert!(!small.complete);
        let v: serde_json::Value = serde_json::from_slice(&small.json).expect("still valid JSON");
        assert_eq!(v["complete"], false);
        let left_out: Vec<&str> = v["left_out"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        assert!(left_out.contains(&"stories"), "{left_out:?}");
        assert!(small.json.len() <= 2_500 + 200, "{}", small.json.len());
        assert_eq!(v["account"]["handle"], "sam", "the account always comes first");
    }
}

/// What the meeting house keeps about a person is in their file too:
/// notifications (a moderation notice among them), thanks they got and from
/// whom, collection imports they sent, invite codes they made, an upload no
/// story of theirs shows, the moderators' decisions about them with the
/// notes (never who reported them or who moderated, and not a dismissed
/// report), a suspension in force, the changes they made to groups and
/// organisations and those about their membership (not who made them), and
/// their interaction edges (not one from a reply they were not shown).
#[tokio::test]
async fn the_data_download_has_what_the_meeting_house_keeps_about_the_person() {
    use meetinghouse_core::conversations::{self, ReplyForm};
    use meetinghouse_core::groups::{self, GroupEditForm, GroupForm};
    use meetinghouse_core::moderation::{self, ActionForm, ReportForm};
    use meetinghouse_core::notifications::Mailer;
    use meetinghouse_core::orgs::{self, OrgForm};
    use meetinghouse_core::personal_data;
    use meetinghouse_core::stories::{self, StoryForm};
    use meetinghouse_core::subjects::Subject;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "http://mh.test" };
        let sam = sam(&db, &s).await;
        let pat = common_person(&db).await;
        let kit_id = accounts::create_admin(&db, "kit@example.org", "kit", "Kit", "a long enough password").await.unwrap();
        let kit = accounts::login(&db, "kit@example.org", "a long enough password").await.unwrap();
        let lee_id = accounts::create_admin(&db, "lee@example.org", "lee", "Lee", "a long enough password").await.unwrap();
        meetinghouse_store::people::set_admin(&db, lee_id, false).await.unwrap();
        let lee = accounts::login(&db, "lee@example.org", "a long enough password").await.unwrap();
        let public = |title: &str| StoryForm { title: title.into(), body: "Words.".into(), licence: "cc0".into(), visibility: "public".into(), ..Default::default() };

        // Replies both ways, a thanks to Sam, and a reply to Sam the moderators hid.
        let sams_story = stories::create(&db, &s, &sam, &public("Sam's lock")).await.unwrap();
        let pats_story = stories::create(&db, &s, &pat, &public("Pat's weir")).await.unwrap();
        conversations::post(&db, mail, &pat, Subject::Story(sams_story), &ReplyForm { body: "Pat was there too.".into(), ..Default::default() }).await.unwrap();
        let sams_reply = conversations::post(&db, mail, &sam, Subject::Story(pats_story), &ReplyForm { body: "Sam on the weir.".into(), ..Default::default() }).await.unwrap();
        conversations::thank(&db, mail, &pat, sams_reply, "learnt").await.unwrap();
        let lees = conversations::post(&db, mail, &lee, Subject::Story(sams_story), &ReplyForm { body: "Lee shouts at Sam.".into(), ..Default::default() }).await.unwrap();
        let report = |kind: &str, target: &str, details: &str| ReportForm { target_kind: kind.into(), target: target.into(), category: "spam".into(), details: details.into() };
        moderation::report(&db, &pat, &report("reply", &lees.to_string(), "Pat reports Lee.")).await.unwrap();
        let about_lee = meetinghouse_store::moderation::open_reports_about(&db, "reply", lees).await.unwrap()[0].id;
        moderation::act(&db, mail, &kit, about_lee, &ActionForm { action: "hide".into(), note: "Hidden for shouting.".into(), ..Default::default() }).await.unwrap();

        // Reports about Sam: one dismissed, one warned, then a suspension.
        moderation::report(&db, &lee, &report("reply", &sams_reply.to_string(), "Lee reports Sam's reply.")).await.unwrap();
        let r = meetinghouse_store::moderation::open_reports_about(&db, "reply", sams_reply).await.unwrap()[0].id;
        moderation::act(&db, mail, &kit, r, &ActionForm { action: "dismiss".into(), note: "Nothing wrong with it, Kit thinks.".into(), ..Default::default() }).await.unwrap();
        moderation::report(&db, &pat, &report("person", "sam", "Pat reports Sam by name.")).await.unwrap();
        let r = meetinghouse_store::moderation::open_reports_about(&db, "person", sam.id).await.unwrap()[0].id;
        moderation::act(&db, mail, &kit, r, &ActionForm { action: "warn".into(), note: "Please keep to the canal.".into(), ..Default::default() }).await.unwrap();

        // An organisation: Kit invites Sam and makes Sam an admin; Sam invites Pat.
        let org = OrgForm { name: "Canal Trust".into(), slug: "canal-trust".into(), sector: "heritage".into(), ..Default::default() };
        orgs::create(&db, &s, &kit, &org).await.unwrap();
        orgs::invite(&db, &kit, "canal-trust", "sam", "member").await.unwrap();
        orgs::accept(&db, &sam, "canal-trust").await.unwrap();
        orgs::change_role(&db, &kit, "canal-trust", sam.id, "admin").await.unwrap();
        orgs::invite(&db, &sam, "canal-trust", "pat", "member").await.unwrap();
        // A group Sam renames.
        let g = GroupForm { name: "Walkers".into(), slug: "walkers".into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
        groups::create(&db, &s, &sam, &g).await.unwrap();
        let edit = GroupEditForm { name: "Canal walkers".into(), visibility: "public".into(), join_policy: "open".into(), confirm_public: false };
        groups::edit(&db, &s, &sam, "walkers", &edit).await.unwrap();

        // An import Sam sent, declined; an invite code Sam made as an admin; an upload on no story.
        let org_id = meetinghouse_store::orgs::by_slug(&db, "canal-trust").await.unwrap().unwrap().id;
        let mut tx = db.begin().await.unwrap();
        let import = meetinghouse_store::collection_imports::insert(&mut tx, org_id, sam.id, "boats.csv", 1234, r#"{"format":"csv","dry_run":false}"#, "waiting").await.unwrap();
        meetinghouse_store::collection_imports::decline(&mut tx, import, "An admin declined it.").await.unwrap();
        tx.commit().await.unwrap();
        let as_admin = meetinghouse_core::Actor { is_admin: true, ..sam.clone() };
        accounts::create_invite(&db, &as_admin, "for Jo from the boat club").await.unwrap();
        let key = "ab".repeat(32);
        meetinghouse_store::media::insert(&db, &meetinghouse_store::media::NewMedia {
            owner_person: sam.id,
            master_key: &key,
            width: 640,
            height: 480,
            mime: "image/jpeg",
            variants: "[]",
            keys: std::slice::from_ref(&key),
        })
        .await
        .unwrap();

        // Last, a suspension, with its note.
        moderation::report(&db, &lee, &report("person", "sam", "Lee reports Sam by name.")).await.unwrap();
        let r = meetinghouse_store::moderation::open_reports_about(&db, "person", sam.id).await.unwrap()[0].id;
        moderation::act(&db, mail, &kit, r, &ActionForm { action: "suspend".into(), note: "A week away from the towpath.".into(), days: "7".into(), ..Default::default() }).await.unwrap();

        let now = meetinghouse_store::now();
        let file = personal_data::build(&db, &s, "http://mh.test/", sam.id, now, personal_data::FILE_MAX_BYTES, personal_data::PAGE).await.unwrap();
        let by_rows = personal_data::build(&db, &s, "http://mh.test/", sam.id, now, personal_data::FILE_MAX_BYTES, 1).await.unwrap();
        assert_eq!(String::from_utf8(by_rows.json).unwrap(), String::from_utf8(file.json.clone()).unwrap(), "the same a row at a time");
        assert!(file.complete);
        let text = String::from_utf8(file.json.clone()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&file.json).unwrap();

        assert_eq!(v["suspension"]["note"], "A week away from the towpath.", "{text}");
        assert_eq!(v["suspension"]["banned"], false);
        assert!(v["suspension"]["until"].as_str().is_some_and(|t| t.ends_with('Z')));
        let decisions: Vec<(&str, &str)> =
            v["moderation_decisions_about_you"].as_array().unwrap().iter().map(|d| (d["decision"].as_str().unwrap(), d["note"].as_str().unwrap())).collect();
        assert_eq!(decisions, [("warn", "Please keep to the canal."), ("suspend", "A week away from the towpath.")], "{text}");
        assert_eq!(v["moderation_decisions_about_you"][0]["about"], "you");

        let kinds: Vec<&str> = v["notifications"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"reply") && kinds.contains(&"thanks") && kinds.contains(&"moderation"), "{kinds:?}");
        let warned = v["notifications"].as_array().unwrap().iter().find(|n| n["text"].as_str().unwrap().contains("Please keep to the canal."));
        assert!(warned.is_some_and(|n| n["address"].as_str().unwrap().starts_with("http://mh.test/")), "{text}");

        assert_eq!(v["thanks_received"].as_array().unwrap().len(), 1);
        assert_eq!((v["thanks_received"][0]["from"].as_str(), v["thanks_received"][0]["kind"].as_str()), (Some("pat"), Some("learnt")));
        assert_eq!(v["thanks_received"][0]["on"], serde_json::json!({ "kind": "reply", "id": sams_reply }));

        let imports = v["collection_imports"].as_array().unwrap();
        assert_eq!(imports.len(), 1);
        assert_eq!((imports[0]["file_name"].as_str(), imports[0]["state"].as_str()), (Some("boats.csv"), Some("declined")));
        assert_eq!(imports[0]["options"]["format"], "csv", "the options as JSON");
        assert_eq!(imports[0]["organisation"], "canal-trust");
        assert_eq!(v["invite_codes_made"][0]["note"], "for Jo from the boat club");
        assert_eq!(v["uploads_on_none_of_your_stories"][0]["address"], format!("http://mh.test/media/{key}"), "{text}");

        let groups_changed: Vec<(&str, &str, &str)> =
            v["group_changes"].as_array().unwrap().iter().map(|c| (c["what"].as_str().unwrap(), c["from"].as_str().unwrap(), c["to"].as_str().unwrap())).collect();
        assert_eq!(groups_changed, [("name", "Walkers", "Canal walkers")]);
        let org_changes = v["organisation_changes"].as_array().unwrap();
        let seen: Vec<(&str, bool, Option<&str>)> =
            org_changes.iter().map(|c| (c["what"].as_str().unwrap(), c["by_you"].as_bool().unwrap(), c["about"].as_str())).collect();
        assert_eq!(
            seen,
            [("member_invited", false, None), ("member_joined", true, None), ("member_role", false, None), ("member_invited", true, Some("pat"))],
            "{org_changes:?}"
        );

        let edges: Vec<(&str, bool, &str)> = v["interactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["kind"].as_str().unwrap(), e["by_you"].as_bool().unwrap(), e["with"].as_str().unwrap()))
            .collect();
        assert_eq!(edges, [("reply", false, "pat"), ("reply", true, "pat"), ("thanks", false, "pat")], "not Lee's hidden reply: {text}");

        // Never who reported or moderated, nor a dismissed report, nor Lee's hidden words.
        for absent in ["Pat reports", "Lee reports", "Nothing wrong with it", "kit", "Kit", "lee", "Lee shouts", "Hidden for shouting"] {
            assert!(!text.contains(absent), "{absent} must not be in the file: {text}");
        }
        let _ = (kit_id, pat);
    }
}

#[tokio::test]
async fn the_data_download_is_limited_to_five_an_hour() {
    use meetinghouse_core::personal_data::{self, Prepared};
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = sam(&db, &s).await;
        for _ in 0..personal_data::DOWNLOADS.limit {
            assert!(matches!(personal_data::download(&db, &s, "http://x", &sam).await.unwrap(), Prepared::Ready(_)));
        }
        assert!(matches!(personal_data::download(&db, &s, "http://x", &sam).await.unwrap(), Prepared::TooMany));
        let pat = common_person(&db).await;
        assert!(matches!(personal_data::download(&db, &s, "http://x", &pat).await.unwrap(), Prepared::Ready(_)), "per person");
    }
}

#[tokio::test]
async fn a_confirmation_link_followed_again_says_the_address_is_confirmed() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        accounts::signup(&db, &s, "http://mh.test", &form("sam@example.org", "sam")).await.unwrap();
        let token = token_in_last(&db, "/verify?token=").await;
        accounts::verify_email(&db, &token).await.unwrap();
        let Err(CoreError::Invalid(e)) = accounts::verify_email(&db, &token).await else { panic!("used once") };
        assert_eq!(e.get("token"), Some(accounts::ALREADY_CONFIRMED));
        // A link nobody sent is still dead.
        let Err(CoreError::Invalid(e)) = accounts::verify_email(&db, "0123abcd").await else { panic!() };
        assert!(e.get("token").unwrap().contains("not valid"), "{e}");
    }
}

#[tokio::test]
async fn a_person_sees_where_they_are_signed_in_and_signs_out_everywhere_else() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = self::sam(&db, &s).await;
        let here = accounts::start_session_from(&db, sam.id, "Firefox on Windows").await.unwrap();
        let phone = accounts::start_session_from(&db, sam.id, "Safari on an iPhone\u{7}").await.unwrap();
        let old = accounts::start_session(&db, sam.id).await.unwrap();
        let bea = accounts::signup(&db, &s, "http://mh.test", &form("bea@example.org", "bea")).await.unwrap();
        let beas = accounts::start_session(&db, bea.person_id).await.unwrap();

        let listed = accounts::sessions(&db, &sam, &here).await.unwrap();
        assert_eq!(listed.len(), 3, "only Sam's");
        assert_eq!((listed[0].current, listed[0].device.as_str()), (1, "Firefox on Windows"), "the one asking first");
        let devices: Vec<&str> = listed.iter().map(|r| r.device.as_str()).collect();
        assert!(devices.contains(&"Safari on an iPhone") && devices.contains(&""), "control characters dropped: {devices:?}");

        // Using a session stamps it, at most every few minutes.
        let long_ago = meetinghouse_store::now() - 3 * 3600;
        let hash = meetinghouse_core::secrets::token_hash(&phone);
        db.execute_admin(&format!("UPDATE sessions SET last_seen_at = {long_ago} WHERE token_hash = '{hash}'")).await.unwrap();
        let when = |rows: Vec<accounts::SessionRow>| rows.into_iter().find(|r| r.device == "Safari on an iPhone").unwrap().last_seen_at;
        assert_eq!(when(accounts::sessions(&db, &sam, &here).await.unwrap()), long_ago);
        accounts::session_actor(&db, &phone).await.unwrap().unwrap();
        assert!(when(accounts::sessions(&db, &sam, &here).await.unwrap()) > long_ago, "used now");
        assert!(!meetinghouse_store::sessions::touch(&db, &hash, meetinghouse_store::now(), accounts::SESSION_SEEN_EVERY_SECS).await.unwrap(), "not again so soon");

        assert_eq!(accounts::end_other_sessions(&db, &sam, &here).await.unwrap(), 2);
        assert!(accounts::session_actor(&db, &here).await.unwrap().is_some(), "this one stays");
        for gone in [&phone, &old] {
            assert!(accounts::session_actor(&db, gone).await.unwrap().is_none());
        }
        assert!(accounts::session_actor(&db, &beas).await.unwrap().is_some(), "nobody else's");
        accounts::login(&db, "sam@example.org", PASSWORD).await.unwrap();
        assert_eq!(accounts::end_other_sessions(&db, &sam, &here).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_person_sees_whom_they_blocked_or_muted() {
    use meetinghouse_core::{moderation, people};
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = self::sam(&db, &s).await;
        for h in ["zed", "amy", "kit", "gone"] {
            accounts::signup(&db, &s, "http://mh.test", &form(&format!("{h}@example.org"), h)).await.unwrap();
        }
        moderation::relate(&db, &sam, "zed", "block").await.unwrap();
        moderation::relate(&db, &sam, "amy", "mute").await.unwrap();
        moderation::relate(&db, &sam, "amy", "block").await.unwrap();
        moderation::relate(&db, &sam, "kit", "mute").await.unwrap();
        moderation::relate(&db, &sam, "gone", "block").await.unwrap();
        // Gone's account is suspended: there is no profile to undo it from.
        let gone = meetinghouse_store::people::by_handle(&db, "gone").await.unwrap().unwrap();
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::moderation::suspend(&mut tx, gone.id, None).await.unwrap();
        tx.commit().await.unwrap();

        let (list, more) = people::blocked_and_muted(&db, &sam, "").await.unwrap();
        assert!(!more);
        let seen: Vec<(&str, i64, i64)> = list.iter().map(|r| (r.handle.as_str(), r.blocked, r.muted)).collect();
        assert_eq!(seen, vec![("amy", 1, 1), ("kit", 0, 1), ("zed", 1, 0)]);
        let (after, _) = people::blocked_and_muted(&db, &sam, "kit").await.unwrap();
        assert_eq!(after.iter().map(|r| r.handle.as_str()).collect::<Vec<_>>(), vec!["zed"]);
        moderation::relate(&db, &sam, "zed", "unblock").await.unwrap();
        let (list, _) = people::blocked_and_muted(&db, &sam, "").await.unwrap();
        assert_eq!(list.len(), 2);
        // Nobody else's list shows them.
        let zed = accounts::login(&db, "zed@example.org", "correct horse battery").await.unwrap();
        assert!(people::blocked_and_muted(&db, &zed, "").await.unwrap().0.is_empty());
    }
}
