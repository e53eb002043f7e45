//! The email outbox keeps one-time links only until they are sent, and no
//! mail for longer than the retention period.

mod common;

use meetinghouse_store::outbox;

#[tokio::test]
async fn one_time_links_leave_the_outbox_once_sent_and_old_mail_goes() {
    for (backend, db) in common::migrated("mh_outbox").await {
        let mut tx = db.begin().await.unwrap();
        let verify = outbox::enqueue(&mut tx, "a@example.org", "Confirm", "Open https://x/verify?token=abc", "verify").await.unwrap();
        let reset = outbox::enqueue(&mut tx, "a@example.org", "Reset", "Open https://x/reset/confirm?token=def", "reset").await.unwrap();
        let digest = outbox::enqueue(&mut tx, "a@example.org", "Digest", "Ann replied to you", "digest").await.unwrap();
        let held = outbox::enqueue(&mut tx, "b@example.org", "Reset", "Open https://x/reset/confirm?token=ghi", "reset").await.unwrap();
        tx.commit().await.unwrap();
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
