//! The email outbox keeps one-time links only until they are sent, and no
//! mail for longer than the retention period. A message is claimed by one
//! worker before it is sent, a failed one waits longer before each try and
//! is given up after about a day, and an admin can send it again.

mod common;

use meetinghouse_store::outbox::{self, AfterFailure, State};
use meetinghouse_store::{Db, now};

async fn enqueue(db: &Db, to: &str, body: &str, kind: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = outbox::enqueue(&mut tx, to, "Hello", body, kind).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn row(db: &Db, id: i64) -> outbox::EmailRow {
    outbox::recent(db, 1000).await.unwrap().into_iter().find(|e| e.id == id).unwrap()
}

/// Moves a message's times back, as if `secs` had passed.
async fn age(db: &Db, id: i64, secs: i64) {
    db.execute_admin(&format!(
        "UPDATE email_outbox SET claimed_at = claimed_at - {secs}, next_attempt_at = next_attempt_at - {secs} WHERE id = {id}"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn one_time_links_leave_the_outbox_once_sent_and_old_mail_goes() {
    for (backend, db) in common::migrated("mh_outbox").await {
        let verify = enqueue(&db, "a@example.org", "Open https://x/verify?token=abc", "verify").await;
        let reset = enqueue(&db, "a@example.org", "Open https://x/reset/confirm?token=def", "reset").await;
        let digest = enqueue(&db, "a@example.org", "Ann replied to you", "digest").await;
        let held = enqueue(&db, "b@example.org", "Open https://x/reset/confirm?token=ghi", "reset").await;
        for id in [verify, reset, digest] {
            assert!(outbox::mark_sent(&db, id).await.unwrap(), "{backend}");
        }
        assert!(!outbox::mark_sent(&db, verify).await.unwrap(), "{backend}: sent once");
        outbox::mark_held(&db, held, "no SMTP server configured").await.unwrap();
        let body = |id: i64, rows: &[outbox::EmailRow]| rows.iter().find(|e| e.id == id).unwrap().body.clone();
        let rows = outbox::recent(&db, 10).await.unwrap();
        assert_eq!(body(verify, &rows), outbox::LINK_REMOVED, "{backend}");
        assert_eq!(body(reset, &rows), outbox::LINK_REMOVED, "{backend}");
        assert_eq!(body(digest, &rows), "Ann replied to you", "{backend}: mail without a one-time link keeps its text");
        assert!(body(held, &rows).contains("token=ghi"), "{backend}: held mail keeps its link for the admin to pass on");

        let now = meetinghouse_store::now();
        assert_eq!(outbox::purge_before(&db, now - 60).await.unwrap(), 0, "{backend}: nothing is old yet");
        assert_eq!(outbox::purge_before(&db, now + 60).await.unwrap(), 4, "{backend}");
        assert!(outbox::recent(&db, 10).await.unwrap().is_empty(), "{backend}");
    }
}

/// Two app servers claiming the same message at the same moment: exactly
/// one may send it. A claim whose worker stopped lapses after the lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_is_claimed_by_one_worker_at_a_time() {
    for (backend, db) in common::migrated("mh_outbox_claims").await {
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(enqueue(&db, &format!("p{i}@example.org"), "Hello", "digest").await);
        }
        assert_eq!(outbox::due(&db, 100).await.unwrap(), ids, "{backend}: new mail is due at once, oldest first");
        for &id in &ids {
            let (a, b) = tokio::join!(outbox::claim(&db, id), outbox::claim(&db, id));
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!(a.is_some() != b.is_some(), "{backend}: message {id}: exactly one claim wins ({a:?}, {b:?})");
            let won = a.or(b).unwrap();
            assert_eq!((won.email.id, won.email.to_addr.contains("@example.org")), (id, true), "{backend}");
        }
        assert!(outbox::due(&db, 100).await.unwrap().is_empty(), "{backend}: claimed mail is not offered again");
        let first = ids[0];
        assert_eq!(row(&db, first).await.state(now()), State::Sending, "{backend}");
        assert!(outbox::claim(&db, first).await.unwrap().is_none(), "{backend}: still claimed");

        // The worker holding the first stops mid-send; after the lease another takes it.
        age(&db, first, outbox::CLAIM_LEASE_SECS - 5).await;
        assert!(outbox::claim(&db, first).await.unwrap().is_none(), "{backend}: not before the lease is over");
        age(&db, first, 10).await;
        let lapsed = outbox::Claim { email: row(&db, first).await };
        assert_eq!(outbox::due(&db, 1).await.unwrap(), vec![first], "{backend}");
        let again = outbox::claim(&db, first).await.unwrap().expect("a lapsed claim can be taken");
        // The first worker's late report changes nothing: the message is the other's.
        assert_eq!(outbox::mark_failed(&db, &lapsed, "timed out", false).await.unwrap(), AfterFailure::ClaimLost, "{backend}");
        assert_eq!(row(&db, first).await.state(now()), State::Sending, "{backend}");
        assert!(outbox::mark_sent(&db, again.email.id).await.unwrap(), "{backend}");
        let sent = row(&db, first).await;
        assert_eq!((sent.state(now()), sent.claimed_at, sent.attempts), (State::Sent, None, 1), "{backend}");
        assert!(outbox::claim(&db, first).await.unwrap().is_none(), "{backend}: sent mail is never claimed");
    }
}

/// A failed message waits 30 s, then twice as long after each failure up to
/// an hour, and is given up after about a day of tries; polls in between do
/// not spend its tries. An admin's "Send again" starts it afresh.
#[tokio::test]
async fn failed_mail_waits_longer_each_time_and_is_given_up_after_a_day() {
    assert_eq!(
        (1..=9).map(outbox::retry_delay).collect::<Vec<_>>(),
        [30, 60, 120, 240, 480, 960, 1920, 3600, 3600],
    );
    assert_eq!(outbox::retry_delay(1000), 3600);
    // The last try comes about a day after the first.
    let span: i64 = (1..outbox::GIVE_UP_AFTER).map(outbox::retry_delay).sum();
    assert!((23 * 3600..=25 * 3600).contains(&span), "{span}");

    for (backend, db) in common::migrated("mh_outbox_retry").await {
        let id = enqueue(&db, "a@example.org", "Open https://x/verify?token=abc", "verify").await;
        let mut failures = 0;
        let last = loop {
            let claim = outbox::claim(&db, id).await.unwrap().expect("due");
            assert_eq!(claim.email.attempts, failures, "{backend}");
            let after = outbox::mark_failed(&db, &claim, "Connection refused", false).await.unwrap();
            failures += 1;
            let AfterFailure::RetryAt(at) = after else { break after };
            let wait = outbox::retry_delay(failures);
            assert!((now() + wait - 5..=now() + wait).contains(&at), "{backend}: try {failures}: waits {wait} s");
            let email = row(&db, id).await;
            assert_eq!((email.state(now()), email.attempts, email.last_error.as_deref()), (State::Retrying(at), failures, Some("Connection refused")), "{backend}");
            assert!(outbox::due(&db, 10).await.unwrap().is_empty(), "{backend}: not due while it waits");
            assert!(outbox::claim(&db, id).await.unwrap().is_none(), "{backend}: nor claimable");
            age(&db, id, wait).await;
        };
        assert_eq!((last, failures), (AfterFailure::GaveUp, outbox::GIVE_UP_AFTER), "{backend}");
        let email = row(&db, id).await;
        assert_eq!((email.state(now()), email.next_attempt_at), (State::GaveUp, None), "{backend}");
        assert!(email.body.contains("token=abc"), "{backend}: unsent mail keeps its text");
        assert!(outbox::due(&db, 10).await.unwrap().is_empty(), "{backend}: given up");

        assert!(outbox::send_again(&db, id).await.unwrap(), "{backend}");
        let email = row(&db, id).await;
        assert_eq!((email.state(now()), email.attempts, email.last_error), (State::Waiting, 0, None), "{backend}");
        assert_eq!(outbox::due(&db, 10).await.unwrap(), vec![id], "{backend}: due at once");

        // A message that can never be sent is given up at its first failure.
        let claim = outbox::claim(&db, id).await.unwrap().unwrap();
        assert_eq!(outbox::mark_failed(&db, &claim, "not an address", true).await.unwrap(), AfterFailure::GaveUp, "{backend}");
        assert_eq!(row(&db, id).await.state(now()), State::GaveUp, "{backend}");
    }
}

/// Held mail (no SMTP server) is not tried again by itself and keeps its
/// text; "Send again" works on held and failed mail, not on mail that was
/// sent or that a worker is sending.
#[tokio::test]
async fn held_mail_stays_until_an_admin_sends_it_again() {
    for (backend, db) in common::migrated("mh_outbox_held").await {
        let held = enqueue(&db, "a@example.org", "Open https://x/reset/confirm?token=ghi", "reset").await;
        let claim = outbox::claim(&db, held).await.unwrap().unwrap();
        outbox::mark_held(&db, claim.email.id, "no SMTP server configured").await.unwrap();
        let email = row(&db, held).await;
        assert_eq!((email.state(now()), email.attempts, email.claimed_at), (State::Held, 0, None), "{backend}");
        assert!(email.body.contains("token=ghi"), "{backend}");
        age(&db, held, 365 * 86400).await;
        assert!(outbox::due(&db, 10).await.unwrap().is_empty(), "{backend}: held mail is never due by itself");

        assert!(outbox::send_again(&db, held).await.unwrap(), "{backend}");
        let email = row(&db, held).await;
        assert_eq!((email.state(now()), email.held), (State::Waiting, 0), "{backend}");
        // Being sent right now: not reset under the worker.
        let claim = outbox::claim(&db, held).await.unwrap().unwrap();
        assert!(!outbox::send_again(&db, held).await.unwrap(), "{backend}: being sent");
        assert!(outbox::mark_sent(&db, claim.email.id).await.unwrap(), "{backend}");
        assert!(!outbox::send_again(&db, held).await.unwrap(), "{backend}: already sent");
        assert!(!outbox::send_again(&db, held + 1000).await.unwrap(), "{backend}: no such message");
        assert_eq!(row(&db, held).await.body, outbox::LINK_REMOVED, "{backend}");
    }
}
