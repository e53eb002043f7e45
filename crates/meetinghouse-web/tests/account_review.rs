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
