//! Rate limits that hold across app servers, on every configured backend:
//! two app servers (two `RateLimits`) on one database share the budgets that
//! guard accounts, and the one on new anonymous participants.
use std::net::IpAddr;

use meetinghouse_core::attempts::{self, Budget};
use meetinghouse_web::RateLimits;

const SECRET: &str = "the instance's secret key";

#[tokio::test]
async fn two_app_servers_share_one_sign_in_budget() {
    for db in meetinghouse_testkit::databases().await {
        let (a, b) = (RateLimits::shared(db.clone(), SECRET.into()), RateLimits::shared(db.clone(), SECRET.into()));
        let guesser: IpAddr = "192.0.2.66".parse().unwrap();
        // A load balancer sends the guesses to each server in turn: ten
        // wrong passwords per account from one connection in all, not ten
        // per server — each server checks at most one more once the others
        // spent the budget (the database says so after a failure). Fourteen
        // tries: the connection's own budget, twenty, is not reached yet.
        let mut allowed = 0;
        for i in 0..14 {
            let server = if i % 2 == 0 { &a } else { &b };
            if server.login(guesser, "sam@example.org").await.is_ok() {
                allowed += 1;
                server.login_failed(guesser, "sam@example.org").await;
            }
        }
        assert_eq!(allowed, 12, "{:?}", db.backend());
        let refused = b.login(guesser, "Sam@Example.org").await.unwrap_err();
        assert!(refused.contains("Too many sign-in attempts"), "{refused}");
        // Signing in rightly counts no failure: a third server, fresh, lets
        // a hundred people sign in from one connection.
        let c = RateLimits::shared(db.clone(), SECRET.into());
        for i in 0..100 {
            assert!(c.login("198.51.100.99".parse().unwrap(), &format!("visitor{i}@example.org")).await.is_ok());
        }
        // Its owner, elsewhere, still signs in; other accounts are not refused.
        assert!(a.login("198.51.100.7".parse().unwrap(), "sam@example.org").await.is_ok());
        assert!(a.login(guesser, "bea@example.org").await.is_ok());

        // Another instance's database (another secret key) shares nothing:
        // counts are keyed by the instance's own secret.
        let other = RateLimits::shared(db.clone(), "another instance".into());
        assert!(other.login(guesser, "sam@example.org").await.is_ok());
        other.login_failed(guesser, "sam@example.org").await;
        assert!(other.login(guesser, "sam@example.org").await.is_ok());

        // Resets: three per account, across servers.
        let mut resets = 0;
        for i in 0..6 {
            let server = if i % 2 == 0 { &a } else { &b };
            resets += usize::from(server.reset(guesser, "kit@example.org").await.is_ok());
        }
        assert_eq!(resets, 3);
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
            joined += usize::from(server.cg_newcomer(7, school).await.is_ok());
        }
        assert_eq!(joined, 30, "a class of thirty joins; a script clearing cookies does not go on");
        let refused = a.cg_newcomer(7, school).await.unwrap_err();
        assert!(refused.contains("sign in to take part"), "{refused}");
        assert!(a.cg_newcomer(8, school).await.is_ok(), "another conversation has its own budget");
        assert!(b.cg_newcomer(7, "203.0.113.10".parse().unwrap()).await.is_ok(), "another connection too");
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
