//! `/admin/outbox` on every configured backend: each message says where it
//! is, and failed or held mail has a "Send again" button (a POST with the
//! CSRF token, for admins only) that has it tried afresh.

use axum::http::StatusCode;
use meetinghouse_store::outbox::{self, State};
use meetinghouse_testkit::apps;

#[tokio::test]
async fn admins_send_failed_and_held_mail_again() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let me = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&ann.db, me.id, true).await.unwrap();
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut carl = ann.other_browser();
        carl.sign_up("carl").await;
        // The three confirmation emails: one sent, one failed for good, one held.
        let mail = outbox::recent(&ann.db, 10).await.unwrap();
        let id_for = |to: &str| mail.iter().find(|e| e.to_addr == to).unwrap().id;
        let (sent, failed, held) = (id_for("ann@example.org"), id_for("bea@example.org"), id_for("carl@example.org"));
        assert!(outbox::mark_sent(&ann.db, sent).await.unwrap());
        let claim = outbox::claim(&ann.db, failed).await.unwrap().unwrap();
        outbox::mark_failed(&ann.db, &claim, "the SMTP server at relay:25 did not take it: connection refused", true).await.unwrap();
        outbox::mark_held(&ann.db, held, "no SMTP server configured: shown on this page instead").await.unwrap();

        let page = ann.get("/admin/outbox").await;
        assert_eq!(page.status, StatusCode::OK);
        let action = |id: i64| format!("action=\"/admin/outbox/{id}/send-again\"");
        assert!(page.body.contains(&action(failed)) && page.body.contains(&action(held)), "{}", page.body);
        assert!(!page.body.contains(&action(sent)), "sent mail has no button");
        assert!(page.body.contains("Not sent: tried once, then stopped trying") && page.body.contains("Last error: the SMTP server at relay:25"), "{}", page.body);
        assert!(page.body.contains("Not sent: no SMTP server is configured"), "{}", page.body);
        // Each button says, to a screen reader, which message it is for.
        for e in mail.iter().filter(|e| e.id != sent) {
            let button = format!("Send again <span class=\"visually-hidden\">the email “{}” to {}</span></button>", e.subject, e.to_addr);
            assert!(page.body.contains(&button), "{button}: {}", page.body);
        }
        // Held mail keeps its link for the admin to pass on.
        assert!(page.body.contains("token="), "{}", page.body);

        // Admins only, and only with the form's token.
        let path = format!("/admin/outbox/{held}/send-again");
        assert_eq!(bea.submit("/me", &path, &[]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(ann.post_raw_from("/admin/outbox", &path, &[]).await.status, StatusCode::FORBIDDEN, "no CSRF token");
        assert_eq!(ann.other_browser().post_raw(&path, &[]).await.status, StatusCode::FORBIDDEN, "signed out");
        let db = ann.db.clone();
        let row = |id: i64| {
            let db = db.clone();
            async move { outbox::recent(&db, 10).await.unwrap().into_iter().find(|e| e.id == id).unwrap() }
        };
        assert_eq!(row(held).await.state(meetinghouse_store::now()), State::Held);

        for id in [held, failed] {
            let r = ann.submit("/admin/outbox", &format!("/admin/outbox/{id}/send-again"), &[]).await;
            assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/admin/outbox")));
            let email = row(id).await;
            assert_eq!((email.state(meetinghouse_store::now()), email.attempts, email.held), (State::Waiting, 0, 0));
            assert!(outbox::due(&ann.db, 10).await.unwrap().contains(&id));
        }
        let page = ann.get("/admin/outbox").await;
        assert!(page.body.contains("The message will be tried again within a few seconds."), "{}", page.body);
        assert!(!page.body.contains(&action(failed)) && !page.body.contains(&action(held)) && page.body.contains("Waiting to be sent"));
        // Sent mail is left as it is.
        let r = ann.submit("/admin/outbox", &format!("/admin/outbox/{sent}/send-again"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(ann.get("/admin/outbox").await.body.contains("That message was not changed"));
        assert_eq!(row(sent).await.state(meetinghouse_store::now()), State::Sent);
    }
}
