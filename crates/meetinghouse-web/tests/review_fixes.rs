//! Fixes from a review, over HTTP on every configured backend: one-time
//! links on the admin outbox page, imports' own upload turns and a bounded
//! wait for a turn, collection addresses in any case, an unknown
//! organisation in the import's address, the import form's errors at their
//! fields, and CSV files separated by semicolons or holding nothing.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use meetinghouse_store::outbox;
use meetinghouse_testkit::{TestApp, apps};
use tokio::io::AsyncWriteExt;

/// Signs up `handle` and has them start an organisation.
async fn org_admin(app: &mut TestApp, handle: &str, org: &str) {
    app.sign_up(handle).await;
    let r = app.submit("/orgs/new", "/orgs", &[("name", org), ("sector", "heritage")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // An instance admin opened its collection: a first import waits for one otherwise (core `collection::jobs`).
    app.db.execute_admin("UPDATE organisations SET collection_opened_at = 1").await.unwrap();
}

/// The one-time link's token in a message's text.
fn token_in(body: &str) -> String {
    let at = body.find("token=").expect("the message has a link with a token") + "token=".len();
    body[at..].split(|c: char| c.is_whitespace() || c == '&').next().unwrap().to_string()
}

/// The stored message of `kind` to `to`.
async fn message(app: &TestApp, to: &str, kind: &str) -> outbox::EmailRow {
    outbox::recent(&app.db, 50).await.unwrap().into_iter().find(|e| e.to_addr == to && e.kind == kind).unwrap()
}

/// A reset or confirmation link is on the outbox page only while its message
/// is held for want of an SMTP server (the page is then the only way to pass
/// it on), and never for an admin account: an admin could otherwise take
/// over any account with a link meant for its owner's inbox.
#[tokio::test]
async fn one_time_links_are_shown_only_when_held_and_never_for_an_admin() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let people = |h: &'static str| {
            let db = ann.db.clone();
            async move { meetinghouse_store::people::by_handle(&db, h).await.unwrap().unwrap() }
        };
        meetinghouse_store::people::set_admin(&ann.db, people("ann").await.id, true).await.unwrap();
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut dee = ann.other_browser();
        dee.sign_up("dee").await;
        meetinghouse_store::people::set_admin(&ann.db, people("dee").await.id, true).await.unwrap();
        let mut anon = ann.other_browser();
        for email in ["bea@example.org", "dee@example.org"] {
            let r = anon.submit("/reset", "/reset", &[("email", email)]).await;
            assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
        }

        // Waiting to be sent (a worker with an SMTP server has not taken it
        // yet): no link, and a sentence saying why.
        let bea_verify = message(&ann, "bea@example.org", "verify").await;
        let bea_reset = message(&ann, "bea@example.org", "reset").await;
        let page = ann.get("/admin/outbox").await;
        assert_eq!(page.status, StatusCode::OK);
        for e in [&bea_verify, &bea_reset] {
            assert!(!page.body.contains(&token_in(&e.body)), "{} link shown while it is to be mailed: {}", e.kind, page.body);
        }
        assert!(page.body.contains("this one is for sending by email, so its link goes only to the recipient’s inbox"), "{}", page.body);

        // Held because no SMTP server is configured: shown, to be passed on.
        for e in [&bea_verify, &bea_reset] {
            outbox::mark_held(&ann.db, e.id, "no SMTP server configured").await.unwrap();
        }
        let page = ann.get("/admin/outbox").await;
        for e in [&bea_verify, &bea_reset] {
            assert!(page.body.contains(&token_in(&e.body)), "a held {} link is shown: {}", e.kind, page.body);
        }

        // Sent again, and failing on a configured server: hidden again.
        assert!(outbox::send_again(&ann.db, bea_reset.id).await.unwrap());
        let claim = outbox::claim(&ann.db, bea_reset.id).await.unwrap().unwrap();
        outbox::mark_failed(&ann.db, &claim, "connection refused", false).await.unwrap();
        let page = ann.get("/admin/outbox").await;
        assert!(page.body.contains("Not sent yet: tried once"), "{}", page.body);
        assert!(!page.body.contains(&token_in(&bea_reset.body)), "{}", page.body);

        // An admin account's links are never shown, held or not; the page
        // says how to reset an admin's password instead.
        let dee_verify = message(&ann, "dee@example.org", "verify").await;
        let dee_reset = message(&ann, "dee@example.org", "reset").await;
        for e in [&dee_verify, &dee_reset] {
            outbox::mark_held(&ann.db, e.id, "no SMTP server configured").await.unwrap();
        }
        let page = ann.get("/admin/outbox").await;
        for e in [&dee_verify, &dee_reset] {
            assert!(!page.body.contains(&token_in(&e.body)), "an admin's {} link is shown: {}", e.kind, page.body);
        }
        assert!(page.body.contains("one-time link for an admin account") && page.body.contains("meetinghouse admin reset-password"), "{}", page.body);
        assert!(page.body.contains(&dee_reset.subject), "the message is still listed");
    }
}

/// Starts the app on a real port (for requests sent by hand, slowly).
async fn serve(app: &TestApp) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = meetinghouse_web::app(app.state.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    (addr, server)
}

/// Starts an upload by hand as `app`'s person: the form's token, then a
/// file (in `field`) of which only the first kilobyte is sent; the
/// connection stays open, sending nothing more.
async fn stalled_upload(addr: SocketAddr, app: &mut TestApp, form: &str, action: &str, field: &str) -> tokio::net::TcpStream {
    let token = app.get(form).await.csrf();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {action} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 5000000\r\nCookie: {}\r\n\r\n",
        app.cookie_header()
    );
    let body = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"slow.dat\"\r\nContent-Type: application/octet-stream\r\n\r\n{}",
        "j".repeat(1024)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    stream
}

/// Waits (at most ten seconds) until the server's free (upload, import)
/// turns are as `want` says.
async fn turns_taken(app: &TestApp, want: impl Fn((usize, usize)) -> bool) {
    for _ in 0..200 {
        if want(app.state.uploads.free()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the turns were not taken: {:?} free", app.state.uploads.free());
}

/// Imports run on turns of their own: two long imports (from two
/// organisations) never hold up a story's photo. A server whose turns stay
/// taken answers a waiting upload, or import, after a bounded wait, in
/// plain words (429), rather than keeping it waiting without end.
#[tokio::test]
async fn imports_do_not_hold_up_photo_uploads_and_a_busy_server_says_so() {
    for mut sam in apps().await {
        org_admin(&mut sam, "sam", "Tiverton Museum").await;
        let mut cat = sam.other_browser();
        org_admin(&mut cat, "cat", "Crediton Archive").await;
        let [mut bob, mut dee, mut eve] = [sam.other_browser(), sam.other_browser(), sam.other_browser()];
        for (app, handle) in [(&mut bob, "bob"), (&mut dee, "dee"), (&mut eve, "eve")] {
            app.sign_up(handle).await;
        }
        let (addr, server) = serve(&sam).await;

        // Two imports whose files arrive very slowly hold both import turns.
        let _sams = stalled_upload(addr, &mut sam, "/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", "file").await;
        let _cats = stalled_upload(addr, &mut cat, "/orgs/crediton-archive/import", "/orgs/crediton-archive/import", "file").await;
        turns_taken(&sam, |(_, imports)| imports == 0).await;

        let photo = meetinghouse_media::generated_picture(3, 320, 240);
        let story = [("photo_alt_0", "A bridge"), ("title", "Bridge"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")];
        let r = tokio::time::timeout(Duration::from_secs(5), bob.upload("/stories/new", "/stories", &story, &[("photo_file_0", "b.jpg", "image/jpeg", &photo)]))
            .await
            .expect("a story's photo waits for no import");
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Two slow photo uploads (from two accounts) hold both upload turns:
        // a third upload waits a while, then is told to try again; so is a
        // third import while the two above hold the import turns.
        let _dees = stalled_upload(addr, &mut dee, "/stories/new", "/stories", "photo_file_0").await;
        let _eves = stalled_upload(addr, &mut eve, "/stories/new", "/stories", "photo_file_0").await;
        turns_taken(&sam, |(uploads, _)| uploads == 0).await;
        let csv: &[u8] = b"Object Number,Title\nW.1,Waiting\n";
        let (photo_file, csv_file) = ([("photo_file_0", "b.jpg", "image/jpeg", photo.as_slice())], [("file", "w.csv", "text/csv", csv)]);
        let (photo_reply, import_reply) = tokio::join!(
            bob.upload("/stories/new", "/stories", &story, &photo_file),
            sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &csv_file),
        );
        assert_eq!(photo_reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", photo_reply.body);
        assert!(photo_reply.body.contains("Many uploads are under way on the server right now") && photo_reply.body.contains("Try again in a minute"), "{}", photo_reply.body);
        assert_eq!(import_reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", import_reply.body);
        assert!(import_reply.body.contains("Other collection imports are under way") && import_reply.body.contains("nothing was imported"), "{}", import_reply.body);
        let org = meetinghouse_store::orgs::by_slug(&sam.db, "tiverton-museum").await.unwrap().unwrap();
        assert_eq!(meetinghouse_store::objects::count(&sam.db, org.id).await.unwrap(), 0);
        server.abort();
    }
}

/// The collection's pages at an address typed in another case go to the
/// organisation's own address (as its page does), so their links work; the
/// import form's address too, and a form posted to such an address imports.
#[tokio::test]
async fn collection_addresses_in_another_case_lead_to_the_organisations_own() {
    for mut sam in apps().await {
        org_admin(&mut sam, "sam", "Tiverton Museum").await;
        let csv: &[u8] = b"Object Number,Title\nTIV/1,Lace collar\n";
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/TIVERTON-MUSEUM/import", &[], &[("file", "c.csv", "text/csv", csv)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("1 created") && r.body.contains("action=\"/orgs/tiverton-museum/import\""), "{}", r.body);
        for (typed, own) in [
            ("/orgs/TIVERTON-MUSEUM/objects", "/orgs/tiverton-museum/objects"),
            ("/orgs/Tiverton-Museum/objects?page=1", "/orgs/tiverton-museum/objects?page=1"),
            ("/orgs/TIVERTON-MUSEUM/import", "/orgs/tiverton-museum/import"),
            ("/orgs/TIVERTON-MUSEUM/objects/TIV%2F1", "/orgs/tiverton-museum/objects/TIV%2F1"),
            ("/orgs/TIVERTON-MUSEUM/objects/TIV%2F1/label?size=a4", "/orgs/tiverton-museum/objects/TIV%2F1/label?size=a4"),
        ] {
            let r = sam.get(typed).await;
            assert_eq!((r.status, r.location()), (StatusCode::PERMANENT_REDIRECT, Some(own)), "{typed}: {}", r.body);
            assert_eq!(sam.get(own).await.status, StatusCode::OK, "{own}");
        }
        let list = sam.get("/orgs/tiverton-museum/objects").await;
        assert!(list.body.contains("href=\"/orgs/tiverton-museum/import\""), "{}", list.body);
        // An address that names no organisation is not one, in any case.
        assert_eq!(sam.get("/orgs/NO-SUCH-MUSEUM/objects").await.status, StatusCode::NOT_FOUND);
    }
}

/// Whatever the import's address holds is not repeated back: an
/// organisation that is not there is simply not found.
#[tokio::test]
async fn an_unknown_organisation_in_the_import_address_is_not_found_and_not_echoed() {
    for mut sam in apps().await {
        org_admin(&mut sam, "sam", "Tiverton Museum").await;
        let token = sam.get("/orgs/tiverton-museum/import").await.csrf();
        for path in ["/orgs/Your%20session%20expired%3A%20sign%20in%20at%20evil.example/import", "/orgs/no-such-museum/import"] {
            let r = sam.get(path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
            assert!(!r.body.contains("evil.example") && !r.body.contains("no-such-museum"), "{}", r.body);
            let r = sam.post_multipart(path, &[("csrf", token.as_str())], &[("file", "c.csv", "text/csv", b"Object Number,Title\nX,Y\n")]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
            assert!(!r.body.contains("evil.example"), "{}", r.body);
        }
    }
}

/// The import form's errors are tied to their fields, as on every other
/// form: a summary linking to the field, the message at the field, and the
/// field marked invalid; what was typed in the mapping is kept. Messages
/// speak of the page's own Mapping box, never a command-line flag; a file
/// separated by semicolons is read as such, and an empty one is named.
#[tokio::test]
async fn import_errors_are_at_their_fields_in_the_pages_own_words() {
    for mut sam in apps().await {
        org_admin(&mut sam, "sam", "Tiverton Museum").await;
        // No file chosen.
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[("mapping", "[fields]\naccession_number = \"No.\"")], &[("file", "", "application/octet-stream", b"")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("<a href=\"#file\">Choose a CSV or JSON file to import.</a>"), "{}", r.body);
        assert!(r.body.contains("<p class=\"error\" id=\"file-error\">"), "{}", r.body);
        assert!(r.body.contains("aria-invalid=\"true\" aria-describedby=\"file-error\""), "{}", r.body);
        assert!(r.body.contains("accession_number = &quot;No.&quot;") || r.body.contains("accession_number = &#34;No.&#34;"), "the mapping is kept: {}", r.body);

        // A mapping that is not valid: at the mapping.
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[("mapping", "[fields\nbroken")], &[("file", "c.csv", "text/csv", b"Object Number,Title\nA,B\n")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("<a href=\"#mapping\">The mapping is not valid at line 1, column"), "{}", r.body);
        assert!(r.body.contains("id=\"mapping-error\"") && r.body.contains("aria-describedby=\"mapping-hint mapping-error\" aria-invalid=\"true\""), "{}", r.body);
        assert!(!r.body.contains("id=\"file-error\""), "the file is not blamed");

        // An empty file, and one whose columns are not separated by commas,
        // semicolons or tabs: in the page's words.
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "empty.csv", "text/csv", b"")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("<a href=\"#file\">The file is empty. Nothing was imported.</a>"), "{}", r.body);
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "p.csv", "text/csv", b"Object Number|Title\nP.1|Plate\n")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("only one column") && r.body.contains("name it in the mapping, under [options]"), "{}", r.body);
        assert!(!r.body.contains("--mapping") && !r.body.contains("column(s)"), "{}", r.body);

        // Excel's CSV where a comma is the decimal mark: semicolons.
        let semi: &[u8] = "\u{feff}\"Object Number\";\"Title\"\n\"A1\";\"Jug, blue\"\n".as_bytes();
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "semi.csv", "text/csv", semi)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("1 created, 0 updated, 0 unchanged, 0 skipped"), "{}", r.body);
        assert!(sam.get("/orgs/tiverton-museum/objects/A1").await.body.contains("Jug, blue"));
    }
}
