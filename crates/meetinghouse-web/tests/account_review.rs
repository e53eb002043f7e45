//! Fixes from a review of accounts, through the real router on every
//! configured backend: reset links checked before their form is shown and
//! before a password is hashed, the reset limits on `/reset/confirm`,
//! confirmation links not re-sent to a confirmed address, invite codes an
//! admin can see and withdraw, and approval that tells the people concerned.

use axum::http::StatusCode;
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
async fn email_change_guesses_meet_the_sign_in_limits() {
    for mut app in apps().await {
        confirmed(&mut app, "sam").await;
        let mut statuses = Vec::new();
        for _ in 0..11 {
            let r = app.submit("/me/profile", "/me/email", &[("new_email", "sam@example.net"), ("email_password", "a guess at it")]).await;
            statuses.push(r.status);
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                assert!(r.body.contains("Too many sign-in attempts"), "{}", r.body);
            }
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count(), 10, "{statuses:?}");
        assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
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
        assert!(r.body.contains("You have downloaded your data several times in the last hour"), "{}", r.body);
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
