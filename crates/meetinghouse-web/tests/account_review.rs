//! Fixes from a review of accounts, through the real router on every
//! configured backend: reset links checked before their form is shown and
//! before a password is hashed, the reset limits on `/reset/confirm`,
//! confirmation links not re-sent to a confirmed address (and one followed
//! again says so), invite codes an admin can see and withdraw, approval
//! that tells the people concerned; signing in limited by wrong passwords,
//! not by sign-ins, and the forms that take a signed-in person's password
//! limited per person, sent one after another or at once from one session;
//! a refused account form summed up under the page's heading; the list of
//! your sessions with "sign out everywhere else" and ending one alone, and
//! of the people you blocked or muted; declining a sign-up waiting for
//! approval; and what the hourly purge removes of sessions, email links,
//! invite codes and sign-ups nobody approved.

use axum::http::StatusCode;
use meetinghouse_core::attempts::{self, Budget};
use meetinghouse_store::outbox;
use meetinghouse_testkit::{TestApp, apps};

/// The token after `marker` in the newest email of `kind`.
async fn token_in_mail(app: &TestApp, kind: &str, marker: &str) -> String {
    let mail = outbox::recent(&app.db, 50).await.unwrap().into_iter().find(|m| m.kind == kind).expect("an email of that kind");
    let at = mail.body.find(marker).expect("the link in the email") + marker.len();
    mail.body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect()
}

#[tokio::test]
async fn a_reset_link_is_checked_before_its_form_is_shown() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        app.sign_out().await;
        let r = app.submit("/reset", "/reset", &[("email", "sam@example.org")]).await;
        assert_eq!(r.location(), Some("/reset?sent=1"), "{}", r.body);
        let token = token_in_mail(&app, "reset", "/reset/confirm?token=").await;

        // A made-up link: no form, the reason and the way to a new one.
        let dead = app.get("/reset/confirm?token=0123456789abcdef").await;
        assert_eq!(dead.status, StatusCode::NOT_FOUND);
        assert!(dead.body.contains("This link is not valid, has expired or was already used"), "{}", dead.body);
        assert!(dead.body.contains(r#"href="/reset""#) && !dead.body.contains(r#"name="password""#), "{}", dead.body);
        assert_eq!(app.get("/reset/confirm").await.status, StatusCode::NOT_FOUND, "no token at all");

        // A live link shows the form, and looking at it does not use it.
        for _ in 0..2 {
            let live = app.get(&format!("/reset/confirm?token={token}")).await;
            assert_eq!(live.status, StatusCode::OK);
            assert!(live.body.contains(r#"name="password""#) && live.body.contains(&token), "{}", live.body);
        }
        let r = app.submit(&format!("/reset/confirm?token={token}"), "/reset/confirm", &[("token", &token), ("password", "a brand new password")]).await;
        assert_eq!(r.location(), Some("/login"), "{}", r.body);

        // Used: its page says so.
        let used = app.get(&format!("/reset/confirm?token={token}")).await;
        assert_eq!(used.status, StatusCode::NOT_FOUND);
        assert!(used.body.contains("already used") && !used.body.contains(r#"name="password""#));
        // Sent again anyway (a second tab): the same words, no form.
        let again = app.submit("/reset", "/reset/confirm", &[("token", &token), ("password", "yet another password")]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("already used") && !again.body.contains(r#"name="password""#), "{}", again.body);
        let r = app.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "a brand new password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "the first new password holds");
    }
}

#[tokio::test]
async fn made_up_reset_links_meet_the_reset_limits() {
    for mut app in apps().await {
        let mut refused = 0;
        for i in 0..15 {
            let token = format!("{i:064x}");
            let r = app.submit("/reset", "/reset/confirm", &[("token", &token), ("password", "a long enough password")]).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                assert!(r.body.contains("Too many reset requests"), "{}", r.body);
                refused += 1;
            } else {
                assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
                assert!(r.body.contains("not valid"));
            }
        }
        assert_eq!(refused, 5, "ten sends an hour from one connection, as for reset requests");
        // A password too short to be hashed is answered without counting.
        let r = app.submit("/reset", "/reset/confirm", &[("token", "abc"), ("password", "short")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
}

#[tokio::test]
async fn a_confirmed_address_is_told_so_instead_of_sent_a_link() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        let before = outbox::recent(&app.db, 50).await.unwrap().len();
        let r = app.submit("/me", "/verify/resend", &[]).await;
        assert!(app.follow(&r).await.body.contains("We sent you a new confirmation link."));
        assert_eq!(outbox::recent(&app.db, 50).await.unwrap().len(), before + 1);
        let token = token_in_mail(&app, "verify", "/verify?token=").await;
        let r = app.submit(&format!("/verify?token={token}"), "/verify", &[("token", &token)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        for _ in 0..5 {
            let r = app.submit("/me", "/verify/resend", &[]).await;
            let page = app.follow(&r).await;
            assert!(page.body.contains("Your address is already confirmed."), "{}", page.body);
        }
        assert_eq!(outbox::recent(&app.db, 50).await.unwrap().len(), before + 1, "nothing more was sent");
    }
}

#[tokio::test]
async fn admins_see_open_invite_codes_with_a_full_link_and_can_withdraw_them() {
    for mut app in apps().await {
        let id = meetinghouse_core::accounts::create_admin(&app.db, "boss@example.org", "boss", "Boss", "a long enough password").await.unwrap();
        assert!(id > 0);
        let r = app.submit("/login", "/login", &[("email", "boss@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let made = app.submit("/admin/people", "/admin/invites", &[("note", "For Jo <at the museum>")]).await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        let base = app.state.config.base_url.trim_end_matches('/').to_string();
        let at = made.body.find("New invite code: <code>").unwrap() + "New invite code: <code>".len();
        let code: String = made.body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        assert!(made.body.contains(&format!("<code>{base}/signup?invite={code}</code>")), "the link in full: {}", made.body);

        let page = app.get("/admin/people").await;
        assert!(page.body.contains("For Jo &#60;at the museum&#62;") && page.body.contains("Works until"), "{}", page.body);
        assert!(!page.body.contains(&code), "the code itself is shown only once");
        let at = page.body.find(r#"name="withdraw" value=""#).unwrap() + r#"name="withdraw" value=""#.len();
        let hash: String = page.body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let r = app.submit("/admin/people", "/admin/invites", &[("withdraw", &hash)]).await;
        let page = app.follow(&r).await;
        assert!(page.body.contains("Invite code withdrawn") && page.body.contains("No invite codes are open."), "{}", page.body);
        // Without the page's CSRF token nothing happens.
        let r = app.post_raw("/admin/invites", &[("withdraw", &hash)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

// Changing the email address, and downloading your data.

const PASSWORD: &str = "a long enough password";
const CONFIRM: &str = "/me/email/confirm?token=";

/// Signs `handle` up, confirms the address, and empties the outbox.
async fn confirmed(app: &mut TestApp, handle: &str) {
    app.sign_up(handle).await;
    let token = token_in_mail(app, "verify", "/verify?token=").await;
    let r = app.submit(&format!("/verify?token={token}"), "/verify", &[("token", &token)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.db.execute_admin("DELETE FROM email_outbox").await.unwrap();
}

/// The mail sent to `to`, oldest first.
async fn mail_to(app: &TestApp, to: &str) -> Vec<outbox::EmailRow> {
    let mut all: Vec<_> = outbox::recent(&app.db, 100).await.unwrap().into_iter().filter(|m| m.to_addr == to).collect();
    all.reverse();
    all
}

fn token_after(body: &str, marker: &str) -> String {
    let at = body.find(marker).expect("the link") + marker.len();
    body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect()
}

#[tokio::test]
async fn changing_the_email_address_goes_through_a_link_to_the_new_inbox() {
    for mut app in apps().await {
        confirmed(&mut app, "sam").await;
        let mut phone = app.other_browser();
        let r = phone.submit("/login", "/login", &[("email", "sam@example.org"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);

        let page = app.get("/me/profile").await;
        assert!(page.body.contains("Your address is <strong>sam@example.org</strong> (confirmed)"), "{}", page.body);
        assert!(page.body.contains(r#"<label for="new_email">A new email address"#) && page.body.contains(r#"<label for="email_password">Your current password"#));
        assert!(page.body.contains(r#"href="/me/data""#), "the account part links the download");

        let r = app.submit("/me/profile", "/me/email", &[("new_email", "sam@example.net"), ("email_password", PASSWORD)]).await;
        assert_eq!(r.location(), Some("/me/profile"), "{}", r.body);
        let page = app.follow(&r).await;
        assert!(page.body.contains("Check your new inbox: we sent a link to s•••@example.net."), "{}", page.body);
        assert!(page.body.contains("Waiting for you to confirm <strong>s•••@example.net</strong>"), "{}", page.body);
        assert!(page.body.contains(r#"action="/me/email/send-again""#) && page.body.contains(r#"action="/me/email/cancel""#));
        assert!(page.body.contains("Your address is <strong>sam@example.org</strong>"), "unchanged until the link is opened");
        let notice = mail_to(&app, "sam@example.org").await;
        assert_eq!(notice.len(), 1);
        assert!(notice[0].body.contains("s•••@example.net"));
        let link = mail_to(&app, "sam@example.net").await.pop().expect("the link to the new address");
        let token = token_after(&link.body, CONFIRM);

        // Opening the link (a mail scanner, say) changes nothing.
        for _ in 0..2 {
            let page = app.get(&format!("{CONFIRM}{token}")).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains(r#"action="/me/email/confirm""#) && page.body.contains(&token), "{}", page.body);
        }
        assert!(app.get("/me/profile").await.body.contains("<strong>sam@example.org</strong>"));

        let r = app.submit(&format!("{CONFIRM}{token}"), "/me/email/confirm", &[("token", &token)]).await;
        assert_eq!(r.location(), Some("/me/profile"), "{}", r.body);
        let page = app.follow(&r).await;
        assert!(page.body.contains("Your email address is changed and confirmed."), "{}", page.body);
        assert!(page.body.contains("Your address is <strong>sam@example.net</strong> (confirmed)"), "{}", page.body);
        assert!(!page.body.contains("Waiting for you to confirm"));
        // Signed out elsewhere; the new address signs in, the old one no longer.
        let r = phone.get("/me").await;
        assert!(r.location().is_some_and(|l| l.starts_with("/login")), "the other session ended: {:?}", r.status);
        let r = phone.submit("/login", "/login", &[("email", "sam@example.org"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = phone.submit("/login", "/login", &[("email", "sam@example.net"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(mail_to(&app, "sam@example.org").await.iter().any(|m| m.kind == "email_changed"), "the old address is told");

        // The link works once.
        let page = app.get(&format!("{CONFIRM}{token}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("This link is not valid") && !page.body.contains(r#"action="/me/email/confirm""#), "{}", page.body);
        let r = app.submit("/me/profile", "/me/email/confirm", &[("token", &token)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("This link is not valid"), "{}", r.body);
    }
}

#[tokio::test]
async fn a_wrong_password_or_bad_address_is_refused_and_a_taken_one_answered_as_any_other() {
    for mut app in apps().await {
        let mut bea = app.other_browser();
        confirmed(&mut bea, "bea").await;
        confirmed(&mut app, "sam").await;

        let r = app.submit("/me/profile", "/me/email", &[("new_email", "sam@example.net"), ("email_password", "not my password")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("That is not your current password"), "{}", r.body);
        assert!(r.body.contains(r#"value="sam@example.net""#) && !r.body.contains("not my password"), "the address is kept, never the password");
        let r = app.submit("/me/profile", "/me/email", &[("new_email", "sam;x@example.net"), ("email_password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Email cannot be delivered to an address with “;”"), "{}", r.body);
        assert!(outbox::recent(&app.db, 10).await.unwrap().is_empty(), "nothing sent");

        // An address with an account, then a fresh one: the same answer and page.
        let taken = app.submit("/me/profile", "/me/email", &[("new_email", "bea@example.org"), ("email_password", PASSWORD)]).await;
        assert_eq!(taken.location(), Some("/me/profile"));
        let taken = app.follow(&taken).await;
        assert!(taken.body.contains("Waiting for you to confirm <strong>b•••@example.org</strong>"), "{}", taken.body);
        // Bea, the owner, is told; no link goes anywhere for her address.
        let to_bea = mail_to(&app, "bea@example.org").await;
        assert_eq!(to_bea.len(), 1);
        assert_eq!(to_bea[0].kind, "email_change_existing");
        assert!(!to_bea[0].body.contains(CONFIRM));
        // Sending the link again keeps to the owner's hourly budget.
        let r = app.submit("/me/profile", "/me/email/send-again", &[]).await;
        assert_eq!(r.location(), Some("/me/profile"));
        assert_eq!(mail_to(&app, "bea@example.org").await.len(), 1);
        let r = app.submit("/me/profile", "/me/email/cancel", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let fresh = app.submit("/me/profile", "/me/email", &[("new_email", "zed@example.org"), ("email_password", PASSWORD)]).await;
        assert_eq!(fresh.location(), Some("/me/profile"));
        let fresh = app.follow(&fresh).await;
        assert!(fresh.body.contains("Waiting for you to confirm <strong>z•••@example.org</strong>"), "{}", fresh.body);
        // The same page but for the masked address (and the link's end time, to the minute).
        let same = |page: &str| {
            let page = page.replace("z•••", "b•••");
            let from = page.find("open the link we sent there before").unwrap();
            let to = page[from..].find(". Until then").unwrap() + from;
            format!("{}{}", &page[..from], &page[to..])
        };
        assert_eq!(fresh.status, taken.status);
        assert_eq!(same(&fresh.body), same(&taken.body), "the same page");
        // Cancelling: nothing waits.
        let r = app.submit("/me/profile", "/me/email/cancel", &[]).await;
        let page = app.follow(&r).await;
        assert!(page.body.contains("The change of address is cancelled") && !page.body.contains("Waiting for you to confirm"), "{}", page.body);
    }
}

#[tokio::test]
async fn a_link_followed_after_someone_took_the_address_is_refused_plainly() {
    for mut app in apps().await {
        confirmed(&mut app, "sam").await;
        let r = app.submit("/me/profile", "/me/email", &[("new_email", "kit@example.org"), ("email_password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let token = token_after(&mail_to(&app, "kit@example.org").await[0].body, CONFIRM);
        let mut kit = app.other_browser();
        kit.sign_up("kit").await;
        let r = app.submit(&format!("{CONFIRM}{token}"), "/me/email/confirm", &[("token", &token)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Someone made an account with that address after you asked"), "{}", r.body);
        assert!(app.get("/me/profile").await.body.contains("<strong>sam@example.org</strong>"));
    }
}

#[tokio::test]
async fn email_change_guesses_meet_the_persons_own_password_limit() {
    for mut app in apps().await {
        confirmed(&mut app, "sam").await;
        let mut statuses = Vec::new();
        for _ in 0..11 {
            let r = app.submit("/me/profile", "/me/email", &[("new_email", "sam@example.net"), ("email_password", "a guess at it")]).await;
            statuses.push(r.status);
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                assert!(r.body.contains("Your password was entered wrongly several times"), "{}", r.body);
            }
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count(), 10, "{statuses:?}");
        assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
        // The same budget holds for a new password and for closing.
        let r = app.submit("/me/profile", "/me/profile", &[("form", "password"), ("current_password", "correct at last?"), ("new_password", "a brand new password")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        let r = app.submit("/me/close", "/me/close", &[("password", "a long enough password"), ("posts", "keep")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        // Signing in is a budget of its own: it is not spent.
        let mut other = app.other_browser();
        let r = other.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

/// The wrong password the bursts below type.
const WRONG: &str = "a guess at it";

/// Another browser holding `app`'s cookies: the same signed-in session.
fn same_session(app: &TestApp) -> TestApp {
    let mut copy = app.other_browser();
    for (name, value) in app.cookie_header().split("; ").filter_map(|c| c.split_once('=')) {
        copy.set_cookie(name, value);
    }
    copy
}

/// Posts `fields` to `path` `n` times at once from one signed-in session
/// (copies of `app`'s cookie jar, with the CSRF token of `page` read once),
/// as a script holding a browser left signed in would; how many had their
/// password checked (422) and how many were refused (429, in the plain
/// words the person's budget gives).
async fn burst_from_one_session(app: &mut TestApp, page: &str, path: &str, fields: &[(&str, &str)], n: usize) -> (usize, usize) {
    let token = app.get(page).await.csrf();
    let mut fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    fields.insert(0, ("csrf".into(), token));
    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..n {
        let mut same_session = same_session(app);
        let (page, path, fields) = (page.to_string(), path.to_string(), fields.clone());
        at_once.spawn(async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            same_session.post_raw_from(&page, &path, &fields).await
        });
    }
    let (mut checked, mut refused) = (0, 0);
    while let Some(r) = at_once.join_next().await {
        let r = r.expect("a request");
        match r.status {
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert!(r.body.contains("not your") && r.body.contains("password"), "{}", r.body);
                checked += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(r.body.contains("Your password was entered wrongly several times"), "{}", r.body);
                refused += 1;
            }
            other => panic!("a wrong password on {path} answered {other}: {}", r.body),
        }
    }
    (checked, refused)
}

/// The wrong passwords stored against `handle`'s own budget (the one the
/// forms that take a signed-in person's password share), as the database
/// counts them.
async fn stored_wrong_passwords(app: &TestApp, handle: &str) -> u32 {
    let person = meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().expect("the person");
    let secret = app.state.settings().await.secret_key.clone();
    let now = meetinghouse_store::now();
    let mut counted = 0;
    // A budget of `limit` is spent once that many are stored.
    while counted < 100 {
        let budget = Budget { name: "password_person_failed", limit: counted + 1, period_secs: 3600 };
        if !attempts::spent(&app.db, &secret, &budget, &person.id.to_string(), now).await.unwrap() {
            break;
        }
        counted += 1;
    }
    counted
}

/// A form to post: the page it is on, where it posts, and its fields.
type FormPost<'a> = (&'static str, &'static str, Vec<(&'static str, &'a str)>);

/// The three forms that take a signed-in person's password, with
/// `password` typed in the password field.
fn password_forms<'a>(password: &'a str, new_email: &'a str) -> [FormPost<'a>; 3] {
    [
        ("/me/profile", "/me/profile", vec![("form", "password"), ("current_password", password), ("new_password", "a brand new password")]),
        ("/me/profile", "/me/email", vec![("new_email", new_email), ("email_password", password)]),
        ("/me/close", "/me/close", vec![("password", password), ("posts", "keep")]),
    ]
}

/// Wrong current passwords sent at once from one session, on each form
/// that asks for it: each is held in the person's budget before it is
/// checked, so exactly the budget's ten are checked and the rest refused,
/// not as many as were sent before any was counted.
#[tokio::test]
async fn password_forms_sent_at_once_from_one_session_are_held_to_the_persons_budget() {
    for app in apps().await {
        for (i, (page, path, fields)) in password_forms(WRONG, "new@example.net").into_iter().enumerate() {
            let handle = format!("person{i}");
            let mut person = app.other_browser();
            confirmed(&mut person, &handle).await;
            let (checked, refused) = burst_from_one_session(&mut person, page, path, &fields, 30).await;
            assert_eq!((checked, refused), (10, 20), "{path}: {:?}", app.db.backend());
            assert_eq!(stored_wrong_passwords(&app, &handle).await, 10, "{path}: {:?}", app.db.backend());
            // The right password now meets the spent budget: nothing changes.
            let right = password_forms(PASSWORD, "new@example.net")[i].2.clone();
            let r = person.submit(page, path, &right).await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{path}: {}", r.body);
            assert!(r.body.contains("Your password was entered wrongly several times"), "{}", r.body);
            // Signing in is a budget of its own, and the password is the old one.
            let mut elsewhere = app.other_browser();
            let email = format!("{handle}@example.org");
            let r = elsewhere.submit("/login", "/login", &[("email", email.as_str()), ("password", PASSWORD)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
        }
    }
}

/// A right password on those forms, after wrong ones and within the
/// budget, is let through and gives back what it held: the wrong ones
/// alone stay counted, and the three forms share one budget, at once too.
#[tokio::test]
async fn a_right_password_on_those_forms_gives_back_what_it_held() {
    for mut app in apps().await {
        confirmed(&mut app, "sam").await;
        for _ in 0..3 {
            let r = app.submit("/me/profile", "/me/email", &[("new_email", "sam@example.net"), ("email_password", WRONG)]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        }
        assert_eq!(stored_wrong_passwords(&app, "sam").await, 3, "{:?}", app.db.backend());
        // Right ones, several at once: each asks for the change (five
        // emails an hour), and none stays counted.
        let right = [("new_email", "sam@example.net"), ("email_password", PASSWORD)];
        let token = app.get("/me/profile").await.csrf();
        let mut at_once = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let mut same_session = same_session(&app);
            let token = token.clone();
            at_once.spawn(async move { same_session.post_raw_from("/me/profile", "/me/email", &[("csrf", token.as_str()), right[0], right[1]]).await });
        }
        while let Some(r) = at_once.join_next().await {
            let r = r.unwrap();
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        assert_eq!(stored_wrong_passwords(&app, "sam").await, 3, "given back: {:?}", app.db.backend());
        // A new password with the right current one: changed, given back.
        let r = app.submit("/me/profile", "/me/profile", &password_forms(PASSWORD, "")[0].2).await;
        assert_eq!(r.location(), Some("/me/profile"), "{}", r.body);
        assert_eq!(stored_wrong_passwords(&app, "sam").await, 3, "given back: {:?}", app.db.backend());
        // Thirty wrong ones at once, ten on each form: the seven left of
        // the person's budget are checked, whichever form they came by.
        let mut at_once = tokio::task::JoinSet::new();
        for (page, path, fields) in password_forms(WRONG, "sam@example.net") {
            let fields: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let token = app.get(page).await.csrf();
            for _ in 0..10 {
                let mut same_session = same_session(&app);
                let (token, fields) = (token.clone(), fields.clone());
                at_once.spawn(async move {
                    let mut all = vec![("csrf", token.as_str())];
                    all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    same_session.post_raw_from(page, path, &all).await.status
                });
            }
        }
        let mut statuses = Vec::new();
        while let Some(status) = at_once.join_next().await {
            statuses.push(status.unwrap());
        }
        let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
        assert_eq!((count(StatusCode::UNPROCESSABLE_ENTITY), count(StatusCode::TOO_MANY_REQUESTS)), (7, 23), "{statuses:?}: {:?}", app.db.backend());
        assert_eq!(stored_wrong_passwords(&app, "sam").await, 10, "{:?}", app.db.backend());
    }
}

#[tokio::test]
async fn many_people_sign_in_from_one_connection_and_only_wrong_passwords_count() {
    for mut app in apps().await {
        // A library's visitors, all from one address: 25 sign in rightly.
        for i in 0..25 {
            let handle = format!("visitor{i}");
            let id = meetinghouse_core::accounts::create_admin(&app.db, &format!("{handle}@example.org"), &handle, &handle, "a long enough password").await.unwrap();
            meetinghouse_store::people::set_admin(&app.db, id, false).await.unwrap();
            let mut browser = app.other_browser();
            let r = browser.submit("/login", "/login", &[("email", &format!("{handle}@example.org")), ("password", "a long enough password")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "visitor {i}: {}", r.body);
            if i == 24 {
                // The last one changes their password from there.
                let r = browser
                    .submit("/me/profile", "/me/profile", &[("form", "password"), ("current_password", "a long enough password"), ("new_password", "a brand new password")])
                    .await;
                assert_eq!(r.location(), Some("/me/profile"), "{}", r.body);
            }
        }
        // Wrong passwords for many accounts from that address hold back no
        // other account: each has a budget of ten there, and only a far
        // higher cap (against trying many accounts) counts them all.
        for i in 0..25 {
            let r = app.submit("/login", "/login", &[("email", &format!("visitor{i}@example.org")), ("password", "a wrong password")]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "visitor {i}");
        }
        let mut refused = None;
        for n in 1..=15 {
            let r = app.submit("/login", "/login", &[("email", "visitor0@example.org"), ("password", "a wrong password")]).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                refused = Some((n, r.body));
                break;
            }
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let (at, body) = refused.expect("wrong passwords are limited per account from an address");
        assert_eq!(at, 10, "one wrong before, nine more");
        assert!(body.contains("Too many wrong passwords for this account from your connection"), "{body}");
        let mut fresh = app.other_browser();
        let r = fresh.submit("/login", "/login", &[("email", "visitor1@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "another visitor still signs in: {}", r.body);
    }
}

#[tokio::test]
async fn a_refused_email_or_password_form_is_summed_up_under_the_heading() {
    for mut app in apps().await {
        confirmed(&mut app, "sam").await;
        let fine = app.get("/me/profile").await;
        // (The one-shot message after confirming comes first in the title.)
        assert!(fine.body.contains(" Edit your profile ·") && !fine.body.contains("<title>Error"), "{}", fine.body);
        assert!(!fine.body.contains("error-summary"));
        for (path, fields, field) in [
            ("/me/email", vec![("new_email", "sam@example.net"), ("email_password", "")], "email_password"),
            ("/me/profile", vec![("form", "password"), ("current_password", ""), ("new_password", "a brand new password")], "current_password"),
        ] {
            let r = app.submit("/me/profile", path, &fields).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
            assert!(r.body.contains("<title>Error: Edit your profile ·"), "{}", r.body);
            let heading = r.body.find("<h1>Edit your profile</h1>").unwrap();
            let summary = r.body.find(r#"<div class="error-summary""#).expect("a summary");
            assert!(summary > heading && summary < r.body.find(r#"<form method="post" action="/me/profile""#).unwrap(), "right under the heading");
            assert!(r.body.contains(&format!(r##"<a href="#{field}">"##)), "linked to the field: {}", r.body);
            assert_eq!(r.body.matches(r#"id="error-summary-title""#).count(), 1, "one summary");
        }
    }
}

#[tokio::test]
async fn a_confirmation_link_followed_again_says_the_address_is_confirmed() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        let token = token_in_mail(&app, "verify", "/verify?token=").await;
        let page = format!("/verify?token={token}");
        let r = app.submit(&page, "/verify", &[("token", &token)]).await;
        assert_eq!(r.location(), Some("/me"));
        app.follow(&r).await;
        let r = app.submit(&page, "/verify", &[("token", &token)]).await;
        assert_eq!(r.location(), Some("/me"), "{}", r.body);
        let me = app.follow(&r).await;
        assert!(me.body.contains("Your email address is already confirmed"), "{}", me.body);
        // Signed out, the same, on the way to signing in.
        app.sign_out().await;
        let r = app.submit(&page, "/verify", &[("token", &token)]).await;
        assert_eq!(r.location(), Some("/login"), "{}", r.body);
    }
}

#[tokio::test]
async fn your_sessions_name_their_browsers_and_you_can_sign_out_everywhere_else() {
    use axum::body::Body;
    use axum::http::{Request, header};
    for mut app in apps().await {
        app.sign_up("sam").await;
        let sam = meetinghouse_core::accounts::login(&app.db, "sam@example.org", "a long enough password").await.unwrap();
        // Signing in from a phone names it, roughly.
        let mut phone = app.other_browser();
        let token = phone.get("/login").await.csrf();
        let body = format!("csrf={token}&email=sam%40example.org&password=a+long+enough+password");
        let req = Request::post("/login")
            .header(header::COOKIE, phone.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::USER_AGENT, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
            .body(Body::from(body))
            .unwrap();
        let r = tower::ServiceExt::oneshot(meetinghouse_web::app(app.state.clone()), req).await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        let page = app.get("/me/sessions").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("A browser <strong>(this one)</strong>"), "{}", page.body);
        assert!(page.body.contains("Safari on an iPhone"), "{}", page.body);
        assert!(!page.body.contains("Mozilla"), "never the header itself");
        assert!(app.get("/me/profile").await.body.contains(r#"href="/me/sessions""#), "the account part links to it");

        let r = app.submit("/me/sessions", "/me/sessions/end-others", &[]).await;
        assert_eq!(r.location(), Some("/me/sessions"));
        let page = app.follow(&r).await;
        assert!(page.body.contains("You are signed out of the one other place you were signed in."), "{}", page.body);
        assert!(!page.body.contains("Safari on an iPhone") && page.body.contains("You are not signed in anywhere else."), "{}", page.body);
        assert_eq!(meetinghouse_core::accounts::sessions(&app.db, &sam, "").await.unwrap().len(), 1);
        // Still signed in here; the form needs its token and a session.
        assert_eq!(app.get("/me").await.status, StatusCode::OK);
        assert_eq!(app.post_raw("/me/sessions/end-others", &[]).await.status, StatusCode::FORBIDDEN);
        let mut stranger = app.other_browser();
        assert_eq!(stranger.get("/me/sessions").await.location(), Some("/login?need=1&next=%2Fme%2Fsessions"));
    }
}

#[tokio::test]
async fn the_people_you_blocked_or_muted_are_listed_with_buttons_that_undo_it() {
    for mut app in apps().await {
        for h in ["zed", "amy"] {
            app.other_browser().sign_up(h).await;
        }
        app.sign_up("sam").await;
        let empty = app.get("/me/blocked").await;
        assert!(empty.body.contains("You have not blocked or muted anyone."), "{}", empty.body);
        for (who, action) in [("zed", "block"), ("amy", "mute")] {
            let r = app.submit(&format!("/@{who}"), &format!("/people/{who}/relation"), &[("action", action)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let page = app.get("/me/blocked").await;
        assert!(page.body.contains("(@amy) —\n    muted since") || page.body.contains("(@amy)"), "{}", page.body);
        assert!(page.body.contains(r#"aria-label="Unblock @zed""#) && page.body.contains(r#"aria-label="Unmute @amy""#), "{}", page.body);
        assert!(!page.body.contains(r#"aria-label="Unmute @zed""#));
        let r = app.submit("/me/blocked", "/people/zed/relation", &[("action", "unblock"), ("back", "/me/blocked")]).await;
        assert_eq!(r.location(), Some("/me/blocked"));
        let page = app.follow(&r).await;
        assert!(page.body.contains("You unblocked @zed."), "{}", page.body);
        assert!(!page.body.contains("@zed)") && page.body.contains("(@amy)"), "{}", page.body);
    }
}

#[tokio::test]
async fn downloading_your_data_gives_your_own_things_as_a_json_file() {
    for mut app in apps().await {
        // Ann's members-only story, with a photo.
        let mut ann = app.other_browser();
        ann.sign_up("ann").await;
        let r = ann.submit("/groups/new", "/groups", &[("name", "Lace makers"), ("slug", "lace"), ("visibility", "members"), ("join_policy", "invite")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = ann
            .submit("/stories/new", "/stories", &[("title", "Ann's secret pattern"), ("body", "Only for the circle."), ("licence", "cc0"), ("visibility", "group:lace")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        confirmed(&mut app, "sam").await;
        let photo = meetinghouse_media::generated_picture(7, 320, 240);
        let r = app
            .upload(
                "/stories/new",
                "/stories",
                &[("title", "At the lock"), ("body", "Grandad's gates."), ("licence", "cc-by-4.0"), ("visibility", "public"), ("photo_alt_0", "Grandad at the lock gates"), ("consent_people", "on"), ("consent_minors", "on")],
                &[("photo_file_0", "lock.jpg", "image/jpeg", &photo)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = r.location().unwrap().to_string();
        let shown = meetinghouse_testkit::media_srcs(&app.get(&story).await.body);
        assert!(!shown.is_empty());

        let page = app.get("/me/data").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("What is in it") && page.body.contains("5 times an hour") && page.body.contains("32 MB"), "{}", page.body);
        let r = app.submit("/me/data", "/me/data", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.headers["content-type"], "application/json; charset=utf-8");
        let disposition = r.headers["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment; filename=\"meetinghouse-sam-20") && disposition.ends_with(".json\""), "{disposition}");
        assert_eq!(r.headers["cache-control"], "no-store");
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON file");
        assert_eq!(v["account"]["email"], "sam@example.org");
        let stories = v["stories"].as_array().unwrap();
        assert_eq!(stories.len(), 1, "only Sam's: {stories:?}");
        let photo = &stories[0]["photos"][0];
        assert_eq!(photo["alt_text"], "Grandad at the lock gates");
        let address = photo["address"].as_str().unwrap();
        let base = app.state.config.base_url.trim_end_matches('/').to_string();
        assert!(address.starts_with(&format!("{base}/media/")), "{address}");
        assert_eq!(app.get(&address[base.len()..]).await.status, StatusCode::OK, "the address works for its owner");
        assert_eq!(stories[0]["consent"]["everyone_identifiable_agreed"], true);
        assert_eq!(stories[0]["consent"]["no_under_18s_identifiable_or_guardian_agreed"], true);
        assert!(!r.body.contains("Ann's secret pattern") && !r.body.contains("Lace makers") && !r.body.contains("ann@example.org"), "{}", r.body);

        // Five an hour.
        for _ in 0..4 {
            assert_eq!(app.submit("/me/data", "/me/data", &[]).await.status, StatusCode::OK);
        }
        let r = app.submit("/me/data", "/me/data", &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("You have downloaded your data 5 times in the last hour"), "{}", r.body);
    }
}

#[tokio::test]
async fn the_account_forms_need_a_session_and_the_page_s_token() {
    for mut app in apps().await {
        // Signed out: the pages send you to sign in, the forms do nothing.
        for page in ["/me/data", "/me/profile"] {
            let r = app.get(page).await;
            assert!(r.location().is_some_and(|l| l.starts_with("/login")), "{page}: {:?}", r.status);
        }
        for path in ["/me/data", "/me/email", "/me/email/send-again", "/me/email/cancel"] {
            let r = app.submit("/login", path, &[("new_email", "x@example.org"), ("email_password", PASSWORD)]).await;
            assert!(r.location().is_some_and(|l| l.starts_with("/login")), "{path}: {:?} {}", r.status, r.body);
        }
        // Signed in, without the page's token: refused, nothing sent or changed.
        confirmed(&mut app, "sam").await;
        let r = app.post_raw("/me/email", &[("new_email", "sam@example.net"), ("email_password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app.post_raw("/me/data", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(!r.body.contains("\"format\""));
        assert!(outbox::recent(&app.db, 10).await.unwrap().is_empty());
        // A link's button needs the token too.
        let r = app.post_raw("/me/email/confirm", &[("token", "0123abcd")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

/// The `session` keys of the "Sign out" forms on a sessions page.
fn session_keys(body: &str) -> Vec<String> {
    body.split("name=\"session\" value=\"").skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect()
}

#[tokio::test]
async fn one_other_session_can_be_ended_alone() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        let mut phone = app.other_browser();
        let mut laptop = app.other_browser();
        for b in [&mut phone, &mut laptop] {
            let r = b.submit("/login", "/login", &[("email", "sam@example.org"), ("password", PASSWORD)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let mut bea = app.other_browser();
        bea.sign_up("bea").await;
        let beas = session_keys(&bea.get("/me/sessions").await.body);
        assert!(beas.is_empty(), "no form for the session asking");

        // Laptop's page names the two others with a form each, never its own.
        let page = laptop.get("/me/sessions").await.body;
        let keys = session_keys(&page);
        assert_eq!(keys.len(), 2, "{page}");
        assert!(page.contains("Sign out <span class=\"visually-hidden\">"), "{page}");
        // Which of them is the phone: end each in turn, checking the others.
        let r = laptop.submit("/me/sessions", "/me/sessions/end", &[("session", &keys[0])]).await;
        assert_eq!(r.location(), Some("/me/sessions"), "{}", r.body);
        assert!(laptop.follow(&r).await.body.contains("That browser is signed out. You are still signed in here."));
        let signed_in = |status: StatusCode| status == StatusCode::OK;
        let (app_in, phone_in) = (signed_in(app.get("/me").await.status), signed_in(phone.get("/me").await.status));
        assert!(app_in != phone_in, "exactly one of the other two ended: {app_in} {phone_in}");
        assert_eq!(laptop.get("/me").await.status, StatusCode::OK, "still signed in here");
        assert_eq!(session_keys(&laptop.get("/me/sessions").await.body), keys[1..].to_vec());

        // The same key again, a key of nobody's, and someone else's session: nothing more ends.
        let r = laptop.submit("/me/sessions", "/me/sessions/end", &[("session", &keys[0])]).await;
        assert!(laptop.follow(&r).await.body.contains("That browser was already signed out."));
        let bea_meta = meetinghouse_store::people::by_handle(&app.db, "bea").await.unwrap().unwrap();
        let bea_actor = meetinghouse_core::Actor::from_row(&bea_meta);
        let beas_own = meetinghouse_core::accounts::sessions(&app.db, &bea_actor, "").await.unwrap();
        assert_eq!(beas_own.len(), 1);
        let r = laptop.submit("/me/sessions", "/me/sessions/end", &[("session", &beas_own[0].key)]).await;
        assert!(laptop.follow(&r).await.body.contains("That browser was already signed out."));
        assert_eq!(bea.get("/me").await.status, StatusCode::OK, "Bea's session is not Sam's to end");
        // The laptop's own key (the page offers no form for it): said to be this browser, which stays signed in.
        let sam_meta = meetinghouse_store::people::by_handle(&app.db, "sam").await.unwrap().unwrap();
        let laptops_token = laptop.cookie("mh_session").expect("a session cookie").to_string();
        let own = meetinghouse_core::accounts::sessions(&app.db, &meetinghouse_core::Actor::from_row(&sam_meta), &laptops_token).await.unwrap();
        let own = own.iter().find(|s| s.current == 1).expect("the laptop's session").key.clone();
        let r = laptop.submit("/me/sessions", "/me/sessions/end", &[("session", &own)]).await;
        let said = laptop.follow(&r).await.body;
        assert!(said.contains("That is this browser, so it stays signed in.") && !said.contains("already signed out"), "{said}");
        assert_eq!(laptop.get("/me").await.status, StatusCode::OK);
        for bad in ["", "zz", "0123456789ABCDEF", "%", "0123456789abcdef0"] {
            let r = laptop.submit("/me/sessions", "/me/sessions/end", &[("session", bad)]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad:?}: {}", r.body);
        }
        assert_eq!(session_keys(&laptop.get("/me/sessions").await.body).len(), 1);
        assert_eq!(laptop.post_raw("/me/sessions/end", &[("session", &keys[1])]).await.status, StatusCode::FORBIDDEN, "the token is needed");
    }
}

/// An admin declines a sign-up waiting for approval: the account is erased
/// with the notice that told the admins, and the person is emailed when
/// their address was confirmed. A second click, an account approved
/// meanwhile and someone who is not an admin change nothing.
#[tokio::test]
async fn a_sign_up_waiting_for_approval_can_be_declined() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let me = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&ann.db, me.id, true).await.unwrap();
        let fields = [("name", "Canal Town"), ("code_of_conduct", "Be kind."), ("registration", "approval")];
        assert_eq!(ann.submit("/admin/settings", "/admin/settings", &fields).await.status, StatusCode::SEE_OTHER);
        for who in ["penny", "paul", "pia"] {
            ann.other_browser().sign_up(who).await;
        }
        // Penny confirmed her address; Paul did not.
        ann.db.execute_admin("UPDATE people SET email_verified_at = 1 WHERE handle IN ('penny', 'pia')").await.unwrap();
        ann.db.execute_admin("DELETE FROM email_outbox").await.unwrap();
        let db = ann.db.clone();
        let id = |h: &'static str| {
            let db = db.clone();
            async move { meetinghouse_store::people::by_handle(&db, h).await.unwrap().map(|p| p.id) }
        };
        let (penny, paul, pia) = (id("penny").await.unwrap(), id("paul").await.unwrap(), id("pia").await.unwrap());
        let page = ann.get("/admin/people").await.body;
        assert!(page.contains(&format!("action=\"/admin/people/{penny}/decline\"")) && page.contains("erased after 90 days"), "{page}");
        assert!(ann.get("/notifications").await.body.contains("@penny (penny) made an account"));

        // Someone who is not an admin cannot.
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        ann.submit("/admin/people", &format!("/admin/people/{}/approve", id("bea").await.unwrap()), &[]).await;
        assert_eq!(bea.submit("/", &format!("/admin/people/{penny}/decline"), &[]).await.status, StatusCode::FORBIDDEN);
        assert!(id("penny").await.is_some());

        let r = ann.submit("/admin/people", &format!("/admin/people/{penny}/decline"), &[]).await;
        assert_eq!(r.location(), Some("/admin/people"), "{}", r.body);
        assert!(ann.follow(&r).await.body.contains("The sign-up @penny was declined and the account erased."));
        assert!(id("penny").await.is_none(), "erased");
        let sent = mail_to(&ann, "penny@example.org").await;
        assert_eq!(sent.len(), 1, "emailed once");
        assert_eq!(sent[0].kind, "declined");
        assert!(sent[0].body.contains("was not approved") && sent[0].body.contains("@penny"), "{}", sent[0].body);
        assert!(!ann.get("/notifications").await.body.contains("@penny (penny)"), "the notice went with it");
        assert_eq!(ann.get("/@penny").await.status, StatusCode::NOT_FOUND);

        // Again: said so, nothing sent.
        let r = ann.submit("/admin/people", &format!("/admin/people/{penny}/decline"), &[]).await;
        assert!(ann.follow(&r).await.body.contains("That sign-up is no longer there"));
        assert_eq!(mail_to(&ann, "penny@example.org").await.len(), 1);

        // Paul's address was never confirmed: erased, nobody emailed.
        let r = ann.submit("/admin/people", &format!("/admin/people/{paul}/decline"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(id("paul").await.is_none() && mail_to(&ann, "paul@example.org").await.is_empty());

        // Pia approved meanwhile: refused in plain words, back on the
        // people page, and she stays.
        ann.submit("/admin/people", &format!("/admin/people/{pia}/approve"), &[]).await;
        let r = ann.submit("/admin/people", &format!("/admin/people/{pia}/decline"), &[]).await;
        assert_eq!(r.location(), Some("/admin/people"), "{}", r.body);
        let page = ann.follow(&r).await.body;
        assert!(page.contains("@pia is not waiting for approval any more") && page.contains("Admin: People ·"), "{page}");
        assert!(id("pia").await.is_some());
        // Approving Paul, whom another admin declined meanwhile: said so there too.
        let r = ann.submit("/admin/people", &format!("/admin/people/{paul}/approve"), &[]).await;
        assert_eq!(r.location(), Some("/admin/people"), "{}", r.body);
        assert!(ann.follow(&r).await.body.contains("That sign-up is no longer there"));
    }
}

/// The hourly purge removes sessions and email links a week after they
/// ended, invite codes 30 days after they expired, and accounts that waited
/// for approval for 90 days; what is newer stays.
#[tokio::test]
async fn the_purge_removes_old_sessions_links_invites_and_long_waiting_sign_ups() {
    use meetinghouse_store::{sessions, tokens};
    const DAY: i64 = 24 * 3600;
    for mut app in apps().await {
        app.sign_up("sam").await;
        let sam = meetinghouse_store::people::by_handle(&app.db, "sam").await.unwrap().unwrap().id;
        for who in ["old_wait", "new_wait"] {
            app.other_browser().sign_up(who).await;
        }
        let now = meetinghouse_store::now();
        app.db.execute_admin("DELETE FROM sessions WHERE person_id <> (SELECT id FROM people WHERE handle = 'sam')").await.unwrap();
        app.db.execute_admin(&format!("UPDATE people SET status = 'pending', created_at = {} WHERE handle = 'old_wait'", now - 91 * DAY)).await.unwrap();
        app.db.execute_admin(&format!("UPDATE people SET status = 'pending', created_at = {} WHERE handle = 'new_wait'", now - 89 * DAY)).await.unwrap();
        // A session that ended 370 days ago, and one that ended 6 days ago.
        sessions::create_from(&app.db, "old-session", sam, -370 * DAY, "Firefox on Windows").await.unwrap();
        sessions::create_from(&app.db, "recent-session", sam, -6 * DAY, "Firefox on Windows").await.unwrap();
        // Email links: expired 400 days ago, used 8 days ago, expired 6 days ago.
        let mut tx = app.db.begin().await.unwrap();
        tokens::create(&mut tx, "old-reset", sam, "reset", -400 * DAY).await.unwrap();
        tokens::create(&mut tx, "used-verify", sam, "verify", DAY).await.unwrap();
        tokens::create(&mut tx, "recent-reset", sam, "reset", -6 * DAY).await.unwrap();
        tx.commit().await.unwrap();
        app.db.execute_admin(&format!("UPDATE email_tokens SET used_at = {} WHERE token_hash = 'used-verify'", now - 8 * DAY)).await.unwrap();
        // Invite codes: expired 31 days ago (one used), and 29 days ago.
        tokens::create_invite(&app.db, "old-invite", sam, "for Jane Smith, jane@example.org", now - 31 * DAY).await.unwrap();
        tokens::create_invite(&app.db, "old-used-invite", sam, "for Joe", now - 40 * DAY).await.unwrap();
        app.db.execute_admin("UPDATE invites SET used_by = (SELECT id FROM people WHERE handle = 'sam'), used_at = 1 WHERE code_hash = 'old-used-invite'").await.unwrap();
        tokens::create_invite(&app.db, "recent-invite", sam, "for Kim", now - 29 * DAY).await.unwrap();

        let media = app.state.config.media.clone();
        let p = meetinghouse_core::retention::purge(&app.db, &media, now).await.unwrap();
        assert_eq!((p.sessions, p.email_links, p.invites, p.waiting_accounts, p.failed_steps), (1, 2, 2, 1, 0), "{p:?}");
        // Sam keeps this browser's session and the recent one, the link sent
        // when he signed up and the recent one, and the recent invite code.
        let left = meetinghouse_store::closing::left_of(&app.db, sam).await.unwrap();
        let of = |what: &str| left.iter().find(|(w, _)| *w == what).map(|(_, n)| *n).unwrap_or(0);
        assert_eq!((of("sessions"), of("email links"), of("open invite codes")), (2, 2, 1), "{left:?}");
        let db = app.db.clone();
        let people = |h: &'static str| {
            let db = db.clone();
            async move { meetinghouse_store::people::by_handle(&db, h).await.unwrap().is_some() }
        };
        assert!(!people("old_wait").await && people("new_wait").await);
        assert_eq!(app.get("/me").await.status, StatusCode::OK, "a live session stays");
        // A second run finds nothing more.
        let p = meetinghouse_core::retention::purge(&app.db, &media, now).await.unwrap();
        assert_eq!((p.sessions, p.email_links, p.invites, p.waiting_accounts), (0, 0, 0, 0), "{p:?}");
    }
}
