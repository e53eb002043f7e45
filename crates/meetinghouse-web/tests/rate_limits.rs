//! Rate limits that hold across app servers, on every configured backend:
//! two app servers (two `RateLimits`) on one database share the budgets that
//! guard accounts, and the one on new anonymous participants. Searches are
//! limited per address on each app server.
use std::net::IpAddr;

use meetinghouse_core::attempts::{self, Budget};
use meetinghouse_web::{Browser, RateLimits};
use meetinghouse_testkit::{TestApp, apps};
use axum::http::StatusCode;

const SECRET: &str = "the instance's secret key";

#[tokio::test]
async fn two_app_servers_share_one_sign_in_budget() {
    for db in meetinghouse_testkit::databases().await {
        let (a, b) = (RateLimits::shared(db.clone(), SECRET.into()), RateLimits::shared(db.clone(), SECRET.into()));
        let guesser: IpAddr = "192.0.2.66".parse().unwrap();
        // A load balancer sends the guesses to each server in turn: ten
        // wrong passwords per account from one connection in all, not ten
        // per server — each is held in the database before its check, so
        // no server lets one past the budget the others spent. Fourteen
        // tries: the connection's own cap, over all accounts, is far off.
        let mut allowed = 0;
        for i in 0..14 {
            let server = if i % 2 == 0 { &a } else { &b };
            if let Ok(held) = server.login(guesser, "sam@example.org", Browser::Unknown).await {
                allowed += 1;
                held.keep();
            }
        }
        assert_eq!(allowed, 10, "{:?}", db.backend());
        let refused = b.login(guesser, "Sam@Example.org", Browser::Unknown).await.unwrap_err();
        assert!(refused.contains("Too many wrong passwords for this account from your connection"), "{refused}");
        // Signing in rightly counts no failure: a third server, fresh, lets
        // a hundred people sign in from one connection.
        let c = RateLimits::shared(db.clone(), SECRET.into());
        for i in 0..100 {
            c.login("198.51.100.99".parse().unwrap(), &format!("visitor{i}@example.org"), Browser::Unknown).await.unwrap().give_back().await;
        }
        // Its owner, elsewhere, still signs in; other accounts are not refused.
        a.login("198.51.100.7".parse().unwrap(), "sam@example.org", Browser::Unknown).await.unwrap().give_back().await;
        a.login(guesser, "bea@example.org", Browser::Unknown).await.unwrap().give_back().await;

        // Another instance's database (another secret key) shares nothing:
        // counts are keyed by the instance's own secret.
        let other = RateLimits::shared(db.clone(), "another instance".into());
        other.login(guesser, "sam@example.org", Browser::Unknown).await.unwrap().keep();
        other.login(guesser, "sam@example.org", Browser::Unknown).await.unwrap().give_back().await;

        // Resets: three per account, across servers.
        let mut resets = 0;
        for i in 0..6 {
            let server = if i % 2 == 0 { &a } else { &b };
            resets += usize::from(server.reset(guesser, "kit@example.org").await.is_ok());
        }
        assert_eq!(resets, 3);
    }
}

/// A wrong password for `email` from `ip`, as the sign-in form counts it:
/// held before the check and kept after it (nothing, when refused).
async fn wrong(limits: &RateLimits, ip: IpAddr, email: &str) {
    if let Ok(held) = limits.login(ip, email, Browser::Unknown).await {
        held.keep();
    }
}

/// Wrong passwords for `email` from twenty connections, five each, as
/// the sign-in form counts them: the account's budget from anywhere is spent.
async fn guessed_from_many_connections(limits: &RateLimits, email: &str, per_connection: u8) {
    for i in 0..20u8 {
        for _ in 0..per_connection {
            wrong(limits, IpAddr::from([203, 0, 113, i]), email).await;
        }
    }
}

#[tokio::test]
async fn a_reset_on_one_app_server_lifts_the_lock_on_every_one() {
    for db in meetinghouse_testkit::databases().await {
        let (a, b) = (RateLimits::shared(db.clone(), SECRET.into()), RateLimits::shared(db.clone(), SECRET.into()));
        // Guessers spread over both servers, past the account's budget
        // (each server hears from the database that it is spent).
        for i in 0..20u8 {
            for j in 0..6 {
                let server = if j % 2 == 0 { &a } else { &b };
                wrong(server, IpAddr::from([203, 0, 113, i]), "sam@example.org").await;
            }
        }
        let owner: IpAddr = "198.51.100.7".parse().unwrap();
        for server in [&a, &b] {
            let refused = server.login(owner, "sam@example.org", Browser::Unknown).await.unwrap_err();
            assert!(refused.contains("a reset lifts the lock at once"), "{refused}");
            server.login(owner, "sam@example.org", Browser::Known("sam's laptop")).await.unwrap().give_back().await;
        }
        // The reset is done on one; the other reads the lift in the database.
        a.lift_account("sam@example.org", owner).await;
        a.login(owner, "sam@example.org", Browser::Unknown).await.expect("lifted").give_back().await;
        b.login(owner, "sam@example.org", Browser::Unknown).await.expect("lifted on the other too").give_back().await;
        // A fresh server too.
        let c = RateLimits::shared(db.clone(), SECRET.into());
        wrong(&c, owner, "sam@example.org").await;
        c.login(owner, "sam@example.org", Browser::Unknown).await.expect("lifted for a fresh one").give_back().await;
    }
}

/// Whether `budget` holds anything under `key` in the database now (a
/// budget of one, named as the sign-in's, is spent by one attempt there).
async fn counted(db: &meetinghouse_store::Db, name: &'static str, period_secs: i64, key: &str) -> bool {
    attempts::spent(db, SECRET, &Budget { name, limit: 1, period_secs }, key, meetinghouse_store::now()).await.unwrap()
}

/// A sign-in whose password was right gives back what it held in the
/// database even when the request is cancelled while it does (the browser
/// went away): the give-back runs in a task of its own.
#[tokio::test]
async fn a_give_back_cancelled_midway_still_gives_back_everything() {
    for db in meetinghouse_testkit::databases().await {
        let a = RateLimits::shared(db.clone(), SECRET.into());
        let ip: IpAddr = "192.0.2.66".parse().unwrap();
        let held = a.login(ip, "sam@example.org", Browser::Unknown).await.unwrap();
        let budgets = [
            ("login_account_address_failed", 15 * 60, "sam@example.org from 192.0.2.66"),
            ("login_account_failed", 3600, "sam@example.org"),
            ("login_ip_failed", 5 * 60, "192.0.2.66"),
        ];
        for (name, period, key) in budgets {
            assert!(counted(&db, name, period, key).await, "{name} held: {:?}", db.backend());
        }
        // Polled once, then dropped: the request was cancelled.
        let mut giving_back = Box::pin(held.give_back());
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(giving_back.as_mut().poll(cx))).await;
        assert!(first.is_pending(), "still under way when cancelled: {:?}", db.backend());
        drop(giving_back);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        for (name, period, key) in budgets {
            while counted(&db, name, period, key).await {
                assert!(std::time::Instant::now() < deadline, "{name} still counted: {:?}", db.backend());
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

/// A sign-in under way while a reset lifts the account's lock, whose
/// password then turns out right, gives back nothing counted since: a
/// newer wrong password stays counted.
#[tokio::test]
async fn a_give_back_from_before_a_reset_forgives_no_newer_wrong_password() {
    for db in meetinghouse_testkit::databases().await {
        let (a, b) = (RateLimits::shared(db.clone(), SECRET.into()), RateLimits::shared(db.clone(), SECRET.into()));
        let ip: IpAddr = "192.0.2.66".parse().unwrap();
        let under_way = a.login(ip, "sam@example.org", Browser::Unknown).await.unwrap();
        a.lift_account("sam@example.org", ip).await;
        // Ten wrong passwords on the other server after the reset: the
        // budget per account from this connection is spent.
        for _ in 0..10 {
            b.login(ip, "sam@example.org", Browser::Unknown).await.expect("within the budget").keep();
        }
        under_way.give_back().await;
        // A third server, with nothing in memory, asks the database.
        let c = RateLimits::shared(db.clone(), SECRET.into());
        let refused = c.login(ip, "sam@example.org", Browser::Unknown).await.expect_err("ten wrong passwords since the reset, all still counted");
        assert!(refused.contains("Too many wrong passwords for this account from your connection"), "{refused}: {:?}", db.backend());
    }
}

/// Signs in from the form; the reply.
async fn sign_in(browser: &mut TestApp, email: &str, password: &str) -> meetinghouse_testkit::Reply {
    browser.submit("/login", "/login", &[("email", email), ("password", password)]).await
}

#[tokio::test]
async fn guessing_from_many_connections_keeps_no_owner_out_and_a_reset_lifts_the_lock() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let device = sam.cookie("mh_device").expect("a sign-in leaves a known-device cookie").to_string();
        sam.sign_out().await;
        assert_eq!(sam.cookie("mh_device"), Some(device.as_str()), "kept after signing out");
        guessed_from_many_connections(&sam.state.limits, "sam@example.org", 5).await;

        // A browser that never signed in to the account is refused, and
        // told plainly what works.
        let mut elsewhere = sam.other_browser();
        let r = sign_in(&mut elsewhere, "sam@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(r.body.contains("the browser you usually sign in from") && r.body.contains("a reset lifts the lock at once"), "{}", r.body);
        // Sam's usual browser is not; a mistake there counts against its own budget.
        let r = sign_in(&mut sam, "sam@example.org", "not my password").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = sign_in(&mut sam, "sam@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_ne!(sam.cookie("mh_device"), Some(device.as_str()), "a new cookie at each sign-in");
        // Another person's cookie is not this account's.
        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        bea.sign_out().await;
        let r = sign_in(&mut bea, "sam@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);

        // A reset, done from the browser that was refused, lifts the lock.
        let r = elsewhere.submit("/reset", "/reset", &[("email", "sam@example.org")]).await;
        assert_eq!(r.location(), Some("/reset?sent=1"), "{}", r.body);
        let mail = meetinghouse_store::outbox::recent(&sam.db, 50).await.unwrap().into_iter().find(|m| m.kind == "reset").expect("the reset email");
        let at = mail.body.find("token=").unwrap() + "token=".len();
        let token: String = mail.body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let page = format!("/reset/confirm?token={token}");
        let r = elsewhere.submit(&page, "/reset/confirm", &[("token", &token), ("password", "a brand new password")]).await;
        assert_eq!(r.location(), Some("/login"), "{}", r.body);
        assert!(elsewhere.cookie("mh_device").is_some(), "the browser that chose the password is known now");
        let mut third = sam.other_browser();
        let r = sign_in(&mut third, "sam@example.org", "a brand new password").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "a browser the account never saw signs in too: {}", r.body);
    }
}

/// Sends `guesses` sign-ins with a wrong password for `email` at once, each
/// from its own browser (a copy of `from`'s jar when `cookie` is given:
/// its known-device cookie, as a thief would hold it), all from one
/// connection; how many were checked (422) and how many refused (429).
async fn burst(from: &TestApp, email: &str, guesses: usize, cookie: Option<&str>) -> (usize, usize) {
    let mut at_once = tokio::task::JoinSet::new();
    for i in 0..guesses {
        let mut browser = from.other_browser();
        if let Some(value) = cookie {
            browser.set_cookie("mh_device", value);
        }
        let (email, password) = (email.to_string(), format!("wrong guess {i}"));
        at_once.spawn(async move { sign_in(&mut browser, &email, &password).await.status });
    }
    let (mut checked, mut refused) = (0, 0);
    while let Some(status) = at_once.join_next().await {
        match status.expect("a sign-in") {
            StatusCode::UNPROCESSABLE_ENTITY => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("a wrong password answered {other}"),
        }
    }
    (checked, refused)
}

#[tokio::test]
async fn wrong_passwords_sent_at_once_are_held_to_the_budgets() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.sign_out().await;
        // Forty guesses at once from one connection: ten are checked, as
        // when they come one after another.
        let (checked, refused) = burst(&sam, "sam@example.org", 40, None).await;
        assert_eq!((checked, refused), (10, 30), "ten wrong passwords per account from one connection");
        // The owner's usual browser is not held back by them.
        let r = sign_in(&mut sam, "sam@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // A stolen known-device cookie, forty guesses at once: its own
        // budget of ten, and past it (or past its bound on sign-ins) it
        // meets the connection's budget for the account like any browser.
        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        let stolen = bea.cookie("mh_device").expect("a known-device cookie").to_string();
        let (checked, refused) = burst(&sam, "bea@example.org", 40, Some(&stolen)).await;
        assert_eq!((checked, refused), (20, 20), "ten as the known browser, ten as any browser from the connection");

        // Right passwords at once give back what they held: ten browsers
        // sign in at once, and the budget of wrong ones is whole after.
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        let mut at_once = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let mut browser = sam.other_browser();
            at_once.spawn(async move { sign_in(&mut browser, "kit@example.org", "a long enough password").await.status });
        }
        while let Some(status) = at_once.join_next().await {
            assert_eq!(status.unwrap(), StatusCode::SEE_OTHER);
        }
        let (checked, _) = burst(&sam, "kit@example.org", 12, None).await;
        assert_eq!(checked, 10, "the right ones counted nothing");
    }
}

/// A wrong password from a browser holding `cookie` (as a thief would),
/// while the account is locked for browsers it does not know: 422 when the
/// cookie still makes the browser known, 429 when it does not.
async fn probe(from: &TestApp, email: &str, cookie: &str) -> StatusCode {
    let mut thief = from.other_browser();
    thief.set_cookie("mh_device", cookie);
    sign_in(&mut thief, email, "a wrong guess").await.status
}

#[tokio::test]
async fn a_new_password_or_signing_out_everywhere_else_forgets_every_known_browser() {
    for mut sam in apps().await {
        // A password change.
        sam.sign_up("sam").await;
        let stolen = sam.cookie("mh_device").unwrap().to_string();
        guessed_from_many_connections(&sam.state.limits, "sam@example.org", 5).await;
        assert_eq!(probe(&sam, "sam@example.org", &stolen).await, StatusCode::UNPROCESSABLE_ENTITY, "known before");
        let r = sam
            .submit("/me/profile", "/me/profile", &[("form", "password"), ("current_password", "a long enough password"), ("new_password", "a brand new password")])
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        assert_eq!(probe(&sam, "sam@example.org", &stolen).await, StatusCode::TOO_MANY_REQUESTS, "not known after a password change");

        // "Sign out everywhere else".
        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        let stolen = bea.cookie("mh_device").unwrap().to_string();
        guessed_from_many_connections(&bea.state.limits, "bea@example.org", 5).await;
        assert_eq!(probe(&bea, "bea@example.org", &stolen).await, StatusCode::UNPROCESSABLE_ENTITY, "known before");
        let r = bea.submit("/me/sessions", "/me/sessions/end-others", &[]).await;
        assert!(r.status.is_redirection(), "{}", r.body);
        assert_eq!(probe(&bea, "bea@example.org", &stolen).await, StatusCode::TOO_MANY_REQUESTS, "not known after signing out everywhere else");

        // A password reset, from another browser: that one is known now,
        // the cookies from before are not.
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        let stolen = kit.cookie("mh_device").unwrap().to_string();
        let mut elsewhere = sam.other_browser();
        let r = elsewhere.submit("/reset", "/reset", &[("email", "kit@example.org")]).await;
        assert_eq!(r.location(), Some("/reset?sent=1"), "{}", r.body);
        let mail = meetinghouse_store::outbox::recent(&sam.db, 50).await.unwrap().into_iter().find(|m| m.kind == "reset" && m.to_addr == "kit@example.org").expect("the reset email");
        let at = mail.body.find("token=").unwrap() + "token=".len();
        let token: String = mail.body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let r = elsewhere.submit(&format!("/reset/confirm?token={token}"), "/reset/confirm", &[("token", &token), ("password", "a brand new password")]).await;
        assert_eq!(r.location(), Some("/login"), "{}", r.body);
        let fresh = elsewhere.cookie("mh_device").expect("the browser that chose the password is known").to_string();
        // The reset lifted the lock: guessers lock the account again.
        guessed_from_many_connections(&kit.state.limits, "kit@example.org", 5).await;
        assert_eq!(probe(&kit, "kit@example.org", &stolen).await, StatusCode::TOO_MANY_REQUESTS, "not known after a reset");
        assert_eq!(probe(&kit, "kit@example.org", &fresh).await, StatusCode::UNPROCESSABLE_ENTITY, "the resetting browser is known");
    }
}

#[tokio::test]
async fn a_confirmed_change_of_address_lifts_the_lock() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let r = sam.submit("/me/profile", "/me/email", &[("new_email", "sam.new@example.org"), ("email_password", "a long enough password")]).await;
        assert!(r.status.is_redirection(), "{}", r.body);
        // Guessers lock the new address's account before the link is opened.
        guessed_from_many_connections(&sam.state.limits, "sam.new@example.org", 5).await;
        let mut elsewhere = sam.other_browser();
        let r = sign_in(&mut elsewhere, "sam.new@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "locked before the change: {}", r.body);
        let mail = meetinghouse_store::outbox::recent(&sam.db, 50).await.unwrap().into_iter().find(|m| m.to_addr == "sam.new@example.org").expect("the link");
        let at = mail.body.find("token=").unwrap() + "token=".len();
        let token: String = mail.body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let r = sam.submit(&format!("/me/email/confirm?token={token}"), "/me/email/confirm", &[("token", &token)]).await;
        assert!(r.status.is_redirection(), "{}", r.body);
        let r = sign_in(&mut elsewhere, "sam.new@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

#[tokio::test]
async fn a_visitor_mistyping_on_a_shared_connection_keeps_nobody_else_out() {
    // Every test browser comes from one address, as a museum's visitors do.
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        let mut visitor = sam.other_browser();
        let mut answers = Vec::new();
        for _ in 0..13 {
            answers.push(sign_in(&mut visitor, "bea@example.org", "not bea's password").await.status);
        }
        for i in 0..15 {
            answers.push(sign_in(&mut visitor, &format!("guess{i}@example.org"), "not a password").await.status);
        }
        let refused = answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!(refused, 3, "ten wrong passwords per account from one connection, and only for that account: {answers:?}");
        // Twenty-five wrong passwords from the connection: Sam, on a new
        // browser there, signs in.
        let mut fresh = sam.other_browser();
        let r = sign_in(&mut fresh, "sam@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Bea's account is held back there for browsers it does not know,
        // not for hers.
        let r = sign_in(&mut fresh, "bea@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        bea.sign_out().await;
        let r = sign_in(&mut bea, "bea@example.org", "a long enough password").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

#[tokio::test]
async fn new_anonymous_participants_per_connection_are_counted_across_servers() {
    for db in meetinghouse_testkit::databases().await {
        let (a, b) = (RateLimits::shared(db.clone(), SECRET.into()), RateLimits::shared(db.clone(), SECRET.into()));
        let school: IpAddr = "203.0.113.9".parse().unwrap();
        let mut joined = 0;
        for i in 0..50 {
            let server = if i % 2 == 0 { &a } else { &b };
            joined += usize::from(server.cg_newcomer(7, school, None).await.is_ok());
        }
        assert_eq!(joined, 30, "a class of thirty joins; a script clearing cookies does not go on");
        let refused = a.cg_newcomer(7, school, None).await.unwrap_err();
        assert!(refused.contains("sign in to take part"), "{refused}");
        assert!(a.cg_newcomer(8, school, None).await.is_ok(), "another conversation has its own budget");
        assert!(b.cg_newcomer(7, "203.0.113.10".parse().unwrap(), None).await.is_ok(), "another connection too");
    }
}

#[tokio::test]
async fn the_window_slides_and_old_counts_are_purged() {
    for db in meetinghouse_testkit::databases().await {
        let budget = Budget { name: "test", limit: 4, period_secs: 100 };
        let at = |now: i64| {
            let db = db.clone();
            async move { attempts::attempt(&db, SECRET, &budget, "k", now).await.unwrap() }
        };
        // Four in the window starting at 1,000 (the fifth is refused).
        for now in [1_090, 1_091, 1_092, 1_093] {
            assert!(at(now).await, "{now}");
        }
        assert!(!at(1_094).await);
        // Just after the window turns, the last period still holds them all.
        assert!(!at(1_105).await);
        // Most of a period later, the old window weighs little: room again.
        assert!(at(1_190).await);
        // A day and more later, the purge removes those windows.
        let gone = attempts::purge(&db, 1_000 + 2 * attempts::LONGEST_PERIOD_SECS + 101).await.unwrap();
        assert_eq!(gone, 2, "the windows at 1,000 and 1,100");
        assert!(at(1_200).await, "counting starts afresh");
    }
}

/// Searches are limited per address: `SEARCHES_PER_ADDRESS` pass, the
/// next is refused with 429 in plain words, other addresses still search,
/// and the empty search page is never refused.
#[tokio::test]
async fn searches_are_limited_per_address() {
    let limits = RateLimits::default();
    let library: IpAddr = "192.0.2.80".parse().unwrap();
    for _ in 0..meetinghouse_web::SEARCHES_PER_ADDRESS {
        limits.search(library).unwrap();
    }
    assert!(limits.search(library).unwrap_err().contains("Very many searches"));
    assert!(limits.search("192.0.2.81".parse().unwrap()).is_ok(), "another connection has its own budget");

    for mut app in apps().await {
        for n in 0..meetinghouse_web::SEARCHES_PER_ADDRESS {
            let r = app.get(&format!("/search?q=harbour+{n}")).await;
            assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.body);
        }
        let r = app.get("/search?q=harbour").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers[axum::http::header::RETRY_AFTER], "60", "the review fixC33's L4: when to try again");
        assert!(r.body.contains("Very many searches are coming from your connection"), "{}", r.body);
        assert_eq!(app.get("/search").await.status, StatusCode::OK, "the search page itself");
    }
}
