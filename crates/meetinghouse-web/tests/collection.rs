//! The collection through the browser, on every configured backend: an
//! organisation admin imports a file (with a broken row) and sees the report;
//! object pages with URL-safe accession numbers, JSON-LD, labels and the
//! stories about them; "Share your story about this object".

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, databases};

/// An instance admin opened an organisation's collection: its first import
/// from the browser waits for one otherwise (`a_first_import_waits_for_an_instance_admin`).
async fn opened(app: &TestApp, slug: &str) {
    let org = meetinghouse_store::orgs::by_slug(&app.db, slug).await.unwrap().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    meetinghouse_store::orgs::open_collection(&mut tx, org.id, 1).await.unwrap();
    tx.commit().await.unwrap();
}

/// Signs up an instance admin (the meeting house's moderators).
async fn instance_admin(app: &mut TestApp, handle: &str) {
    app.sign_up(handle).await;
    let me = meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap();
    meetinghouse_store::people::set_admin(&app.db, me.id, true).await.unwrap();
}

const CSV: &str = "\u{feff}Object Number,Title,Maker,Date,Medium\n\
TIV/1990 a,\"Lace collar, Heathcoat's\",Siân Evans,c. 1890,Cotton lace\n\
TIV.2,Broken,row\n\
TIV.3,Market bell,,1870s,Bronze\n";

/// Where a browser goes for a link: dot segments ("." and "..", written
/// with dots or `%2E`s, as the URL standard has it) resolved away.
fn as_a_browser_resolves(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment.to_ascii_lowercase().as_str() {
            "." | "%2e" => {}
            ".." | ".%2e" | "%2e." | "%2e%2e" => {
                out.pop();
            }
            _ => out.push(segment),
        }
    }
    format!("/{}", out.join("/"))
}

/// Accession numbers of dots alone are reachable from their links, as a
/// browser follows them (it would resolve `/objects/..` to the
/// organisation's page), and so is one that is "%2E" itself.
#[tokio::test]
async fn objects_numbered_with_dots_alone_are_reachable_from_their_links() {
    for db in databases().await {
        let mut sam = TestApp::new(db).await;
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        opened(&sam, "tiverton-museum").await;
        let csv = "Object Number,Title\n.,One dot\n..,Two dots\n%2E,Percent two E\n...,Three dots\n";
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "dots.csv", "text/csv", csv.as_bytes())]).await;
        assert!(r.body.contains("4 created"), "{}", r.body);
        let list = sam.get("/orgs/tiverton-museum/objects").await.body;
        let mut visitor = sam.other_browser();
        for title in ["One dot", "Two dots", "Percent two E", "Three dots"] {
            let at = list.find(&format!(">{title}<")).unwrap_or_else(|| panic!("{title}: {list}"));
            let start = list[..at].rfind("href=\"").unwrap() + 6;
            let href = &list[start..start + list[start..].find('"').unwrap()];
            let page = visitor.get(&as_a_browser_resolves(href)).await;
            assert_eq!(page.status, StatusCode::OK, "{title} at {href}");
            assert!(page.body.contains(&format!("<h1>{title}</h1>")) || page.body.contains(title), "{title} at {href}: {}", page.body);
            assert!(page.body.contains("Share your story about this object"), "{title} at {href}: the object's page");
            let label = visitor.get(&as_a_browser_resolves(&format!("{href}/label"))).await;
            assert!(label.body.contains(title), "{title}'s label");
        }
    }
}

#[tokio::test]
async fn import_in_the_browser_then_object_pages_and_stories_about_them() {
    for db in databases().await {
        let mut sam = TestApp::new(db).await;
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        opened(&sam, "tiverton-museum").await;

        // Someone who is not on the museum's staff may not import.
        let mut bob = sam.other_browser();
        bob.sign_up("bob").await;
        assert_eq!(bob.get("/orgs/tiverton-museum/import").await.status, StatusCode::FORBIDDEN);

        // A picture is not a collection file: one clear error.
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "photo.png", "image/png", png)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("not a CSV or JSON file"), "{}", r.body);
        // A mapping that names a field we do not have is explained, and kept for correction.
        let r = sam
            .upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[("mapping", "[fields]\ncolour = \"Colour\"")], &[(
                "file",
                "c.csv",
                "text/csv",
                CSV.as_bytes(),
            )])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("colour") && r.body.contains("not one of our fields"), "{}", r.body);

        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "collection.csv", "text/csv", CSV.as_bytes())]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("2 created, 0 updated, 0 unchanged, 1 skipped"), "{}", r.body);
        assert!(r.body.contains("row 3") && r.body.contains("the header has 5"), "the broken row is named");
        // The first import into a collection leaves nothing "as it was".
        assert!(!r.body.contains("fields not in this file were left as they were"), "{}", r.body);
        // A file with fewer columns updates only what it has.
        let r = sam
            .upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "medium.csv", "text/csv", b"Object Number,Medium\nTIV.3,Cast bronze\n")])
            .await;
        assert!(r.body.contains("0 created, 1 updated, 0 unchanged, 0 skipped") && r.body.contains("10 fields not in this file"), "{}", r.body);
        let bell = sam.get("/orgs/tiverton-museum/objects/TIV.3").await.body;
        assert!(bell.contains("Market bell") && bell.contains("Cast bronze") && bell.contains("1870s"), "{bell}");

        // The list, and the object page at a URL-safe address.
        let list = sam.get("/orgs/tiverton-museum/objects").await;
        assert!(list.body.contains("2 objects") && list.body.contains("/orgs/tiverton-museum/objects/TIV%2F1990%20a"), "{}", list.body);
        let mut visitor = sam.other_browser();
        let page = visitor.get("/orgs/tiverton-museum/objects/TIV%2F1990%20a").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Lace collar, Heathcoat&#x27;s") || page.body.contains("Lace collar, Heathcoat&#39;s"), "{}", page.body);
        assert!(page.body.contains("\"@type\":\"VisualArtwork\"") && page.body.contains("og:title"));
        assert!(page.body.contains("Share your story about this object"));
        assert!(visitor.get("/orgs/tiverton-museum/objects/TIV%2F1990%20a/label").await.body.contains("<svg"));
        assert_eq!(visitor.get("/orgs/tiverton-museum/objects/NOPE").await.status, StatusCode::NOT_FOUND);

        // Search results link by id; that redirects to the page.
        let results = visitor.get("/search?q=sian+collar&type=object").await;
        let at = results.body.find("href=\"/objects/").expect("an object result");
        let rest = &results.body[at + 6..];
        let href = &rest[..rest.find('"').unwrap()];
        let r = visitor.get(href).await;
        assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(r.location(), Some("/orgs/tiverton-museum/objects/TIV%2F1990%20a"));
        let id = href.trim_start_matches("/objects/");

        // Share a story about it.
        let form_page = format!("/stories/new?object={id}");
        let form = bob.get(&form_page).await;
        assert!(form.body.contains(&format!("name=\"object_ids\" value=\"{id}\"")) && form.body.contains("About"), "{}", form.body);
        let r = bob
            .submit(&form_page, "/stories", &[
                ("title", "My gran's collar"),
                ("body", "She wore one just like it to chapel."),
                ("licence", "cc-by-4.0"),
                ("visibility", "public"),
                ("object_ids", id),
            ])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = bob.get(r.location().unwrap()).await;
        assert!(story.body.contains("/orgs/tiverton-museum/objects/TIV%2F1990%20a"), "the story links to the object");
        let page = visitor.get("/orgs/tiverton-museum/objects/TIV%2F1990%20a").await;
        assert!(page.body.contains("My gran&#x27;s collar") || page.body.contains("My gran&#39;s collar"), "{}", page.body);
        assert!(visitor.get("/").await.body.contains("Objects with new stories"));
        // A story cannot be linked to an object that does not exist.
        let r = bob
            .submit("/stories/new", "/stories", &[("title", "x"), ("body", "y"), ("licence", "cc0"), ("visibility", "public"), ("object_ids", "999999")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("no longer exists"), "{}", r.body);
        // Too many objects is refused as such, however many ids are sent;
        // the same object twice counts once.
        let many = (1..=5000).map(|n| n.to_string()).collect::<Vec<_>>().join(",");
        let r = bob
            .submit("/stories/new", "/stories", &[("title", "x"), ("body", "y"), ("licence", "cc0"), ("visibility", "public"), ("object_ids", many.as_str())])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("at most 10 collection objects"), "{}", r.body);
        let twice = format!("{id},{id} {id}");
        let r = bob
            .submit("/stories/new", "/stories", &[("title", "Twice"), ("body", "y"), ("licence", "cc0"), ("visibility", "public"), ("object_ids", twice.as_str())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

#[tokio::test]
async fn stories_with_photos_need_alt_text_and_consent_and_lose_their_metadata() {
    for db in databases().await {
        let mut ann = TestApp::new(db).await;
        ann.sign_up("ann").await;
        let photo = meetinghouse_media::generated_picture(7, 1200, 900);
        let fields = [("title", "The lock at dusk"), ("body", "We fished here."), ("licence", "cc0"), ("visibility", "public")];

        // No alt text and no consent: refused, with the uploaded photo kept for the next try.
        let r = ann.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "lock.jpg", "image/jpeg", &photo)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("Describe photo 1"), "{}", r.body);
        assert!(r.body.contains("everyone identifiable agreed"), "consent is needed for a public story with photos");
        let at = r.body.find("name=\"photo_id_0\" value=\"").expect("the uploaded photo is kept");
        let rest = &r.body[at + "name=\"photo_id_0\" value=\"".len()..];
        let media_id = rest[..rest.find('"').unwrap()].to_string();
        assert!(r.body.contains("The lock at dusk"), "the rest of the input is kept");

        // Not an image, next to the kept photo: explained, nothing else lost.
        let mut with_alt = fields.to_vec();
        with_alt.extend([("photo_id_0", media_id.as_str()), ("photo_alt_0", "A canal lock gate at sunset."), ("consent_people", "on"), ("consent_minors", "on")]);
        let r = ann.upload("/stories/new", "/stories", &with_alt, &[("photo_file_1", "notes.pdf", "application/pdf", b"%PDF-1.7")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("“notes.pdf” was not added: That file is not a JPEG, PNG, WebP or GIF image."), "{}", r.body);

        let r = ann.upload("/stories/new", "/stories", &with_alt, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = ann.get(r.location().unwrap()).await;
        assert!(story.body.contains("alt=\"A canal lock gate at sunset.\"") && story.body.contains("srcset=\"/media/"), "{}", story.body);
        assert!(story.body.contains(" 320w") && story.body.contains(" 800w") && story.body.contains(" 1200w"));
        let at = story.body.find("src=\"/media/").unwrap();
        let rest = &story.body[at + 5..];
        let src = &rest[..rest.find('"').unwrap()];
        let img = ann.other_browser().get(src).await;
        assert_eq!(img.status, StatusCode::OK);
        assert_eq!(img.headers["content-type"], "image/jpeg");
        assert_eq!(img.headers["cache-control"], "public, max-age=3600");
        assert_eq!(ann.get("/media/../../etc/passwd").await.status, StatusCode::NOT_FOUND);
        assert_eq!(ann.get(&format!("/media/{}.jpg", "0".repeat(64))).await.status, StatusCode::NOT_FOUND);

        // Someone else cannot attach Ann's upload to their story.
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let mut stolen = fields.to_vec();
        stolen.extend([("photo_id_0", media_id.as_str()), ("photo_alt_0", "x"), ("visibility", "draft")]);
        let r = bob.upload("/stories/new", "/stories", &stolen, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!r.body.contains(&format!("value=\"{media_id}\"")), "another person's upload is not shown back");
    }
}

/// The browser import's report says when it lists only the first 1,000
/// skipped records and counts the records imported with a change; a NUL in
/// a record (which PostgreSQL cannot store) is removed, not a 500.
#[tokio::test]
async fn the_import_report_counts_what_it_does_not_list() {
    for db in databases().await {
        let backend = db.backend();
        let mut sam = TestApp::new(db).await;
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        opened(&sam, "tiverton-museum").await;
        let mut csv = String::from("Object Number,Title,Image\n");
        for i in 0..1_005 {
            csv.push_str(&format!("BROKEN.{i},short row\n"));
        }
        csv.push_str("G.1,Null\0 in the title,https://img.example/1.jpg\n");
        csv.push_str("G.2,Relative image,images/2.jpg\n");
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "many.csv", "text/csv", csv.as_bytes())]).await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.body);
        assert!(r.body.contains("2 created, 0 updated, 0 unchanged, 1005 skipped. 2 imported with a value changed or left out."), "{}", r.body);
        assert!(r.body.contains("(the first 1000 of 1005 listed)"), "{}", r.body);
        assert!(r.body.contains("Control characters") && r.body.contains("“images/2.jpg”"), "{}", r.body);
        let page = sam.get("/orgs/tiverton-museum/objects/G.1").await;
        assert!(page.body.contains("Null in the title"), "{}", page.body);
    }
}

/// The browser import runs on its own (M3): a request dropped while the
/// import waits (here for a transaction holding one of its rows) does not
/// stop it; it finishes once it can, records its report for its status page
/// and removes the upload's private copy (readable only by the server's
/// user meanwhile).
#[cfg(unix)]
#[tokio::test]
async fn an_import_goes_on_after_its_request_is_dropped_and_reports_on_its_page() {
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;
    use meetinghouse_store::objects;
    // This test's uploads end in .droptest, so other tests' files are not counted.
    let copies = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with("meetinghouse-import-") && name.ends_with(".droptest")
            })
            .collect()
    };
    // Copies a run of this test left behind (a process killed mid-import) are not this run's.
    let before = copies();
    let copies = || -> Vec<std::path::PathBuf> { copies().into_iter().filter(|c| !before.contains(c)).collect() };
    for db in databases().await {
        let backend = db.backend();
        let mut sam = TestApp::new(db.clone()).await;
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        opened(&sam, "tiverton-museum").await;
        let org = meetinghouse_store::orgs::by_slug(&db, "tiverton-museum").await.unwrap().unwrap().id;
        let form = sam.get("/orgs/tiverton-museum/import").await.csrf();
        // Three batches: the request is dropped while the first is written.
        let mut csv = String::from("Object Number,Title\n");
        for i in 0..60_000 {
            csv.push_str(&format!("BIG.{i},Object {i}\n"));
        }
        csv.push_str("BIG.1,Again\n");
        let fields = [("csrf", form.as_str())];
        let files: [(&str, &str, &str, &[u8]); 1] = [("file", "big.droptest", "text/csv", csv.as_bytes())];
        let mut upload = Box::pin(sam.post_multipart("/orgs/tiverton-museum/import", &fields, &files));
        let id = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                tokio::select! {
                    r = &mut upload => panic!("{backend:?}: the request should still wait for the import: {} {}", r.status, r.body),
                    _ = tokio::time::sleep(Duration::from_millis(10)) => {}
                }
                if let Some(row) = meetinghouse_store::collection_imports::of_org(&db, org, 1).await.unwrap().first() {
                    return row.id;
                }
            }
        })
        .await
        .expect("the import is recorded");
        let copy = copies().into_iter().next().expect("the upload is copied to a temporary file");
        assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600, "{backend:?}: private to the server's user");
        // The person gives up (a closed tab, a timeout): the import goes on.
        drop(upload);
        let row = meetinghouse_store::collection_imports::by_id(&db, id).await.unwrap().unwrap();
        assert_eq!(row.state, "running", "{backend:?}: still under way when the request went");
        let done = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let row = meetinghouse_store::collection_imports::by_id(&db, id).await.unwrap().unwrap();
                if row.state != "running" {
                    return row;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("the import finishes by itself");
        assert_eq!(done.state, "done", "{backend:?}: {}", done.outcome);
        assert_eq!(objects::count(&db, org).await.unwrap(), 60_000, "{backend:?}");
        let page = sam.get(&format!("/orgs/tiverton-museum/imports/{id}")).await;
        assert!(page.body.contains("Import finished") && page.body.contains("60000 created, 0 updated, 0 unchanged, 1 skipped"), "{backend:?}: {}", page.body);
        assert!(!page.body.contains("http-equiv=\"refresh\""), "a finished import's page stays still");
        assert!(!copy.exists(), "{backend:?}: the copy is removed when the import ends");
        assert!(copies().is_empty());
        // Its page is for the museum's staff and admins.
        let mut visitor = sam.other_browser();
        visitor.sign_up("vic").await;
        assert_eq!(visitor.get(&format!("/orgs/tiverton-museum/imports/{id}")).await.status, StatusCode::NOT_FOUND);

        // An import under way: how far it has got, and a page that refreshes
        // itself only when asked, the way to stop it first (WCAG 2.2.1).
        let person = meetinghouse_store::people::by_handle(&db, "sam").await.unwrap().unwrap().id;
        let mut tx = db.begin().await.unwrap();
        let running = meetinghouse_store::collection_imports::insert(&mut tx, org, person, "big.csv", 1000, "{}", "running").await.unwrap();
        tx.commit().await.unwrap();
        meetinghouse_store::collection_imports::progress(&db, running, 20_000, 250).await.unwrap();
        let page = sam.get(&format!("/orgs/tiverton-museum/imports/{running}")).await;
        assert!(page.body.contains("Under way") && page.body.contains("20000 records read so far, about 25% of the file"), "{}", page.body);
        assert!(!page.body.contains("http-equiv=\"refresh\"") && page.body.contains(">Refresh</a>"), "{}", page.body);
        assert!(page.body.contains("?refresh=on\">Refresh every 30 seconds</a>"), "{}", page.body);
        let asked = sam.get(&format!("/orgs/tiverton-museum/imports/{running}?refresh=on")).await;
        assert!(asked.body.contains("<meta http-equiv=\"refresh\" content=\"30\">"), "{}", asked.body);
        let stop = asked.body.find(">Stop refreshing</a>").expect("a way to stop");
        assert!(stop < asked.body.find("records read so far").unwrap(), "the way to stop comes first");
        // One whose server went away says so, rather than "under way" for ever.
        db.execute_admin(&format!("UPDATE collection_imports SET updated_at = 1 WHERE id = {running}")).await.unwrap();
        let page = sam.get(&format!("/orgs/tiverton-museum/imports/{running}")).await;
        assert!(page.body.contains("This import stopped without finishing") && !page.body.contains("http-equiv=\"refresh\""), "{}", page.body);
    }
}

/// Uploads a file to the import form with the form's fields.
/// An import's page once it says the import finished (within 30 s).
async fn finished(app: &mut TestApp, status: &str) -> meetinghouse_testkit::Reply {
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let page = app.get(status).await;
            if page.body.contains("Import finished") {
                return page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the import finishes")
}

async fn send(app: &mut TestApp, fields: &[(&str, &str)], name: &str, body: &str) -> meetinghouse_testkit::Reply {
    app.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", fields, &[("file", name, "text/csv", body.as_bytes())]).await
}

/// A new organisation's first import waits for an instance admin (the
/// review's spam repro: any account made an organisation and filled search
/// with thousands of pages): the file is kept, the admins told; declined,
/// nothing is stored; approved, it runs, and the museum's staff import at
/// once from then on. Checking a file never waits. Staff may import;
/// only admins may withdraw what a file lacks.
#[tokio::test]
async fn a_first_import_waits_for_an_instance_admin() {
    for db in databases().await {
        let backend = db.backend();
        let mut sam = TestApp::new(db.clone()).await;
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let mut ada = sam.other_browser();
        instance_admin(&mut ada, "ada").await;
        let spam = "Object Number,Title,Description\nSPAM/1,Cheap pills 1,Buy now\nSPAM/2,Cheap pills 2,Buy now\n";
        let page = sam.get("/orgs/tiverton-museum/import").await;
        assert!(page.body.contains("first import waits for an admin of the meeting house"), "{}", page.body);

        // A check runs at once, and writes nothing.
        let r = send(&mut sam, &[("action", "check")], "spam.csv", spam).await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.body);
        assert!(r.body.contains("Check finished: nothing was imported") && r.body.contains("Importing this file would create 2"), "{}", r.body);

        let r = send(&mut sam, &[("action", "import")], "spam.csv", spam).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend:?}: {}", r.body);
        let status = r.location().unwrap().to_string();
        assert!(sam.get(&status).await.body.contains("waits for an admin of the meeting house to open the collection"));
        let mut visitor = sam.other_browser();
        assert!(!visitor.get("/search?q=cheap+pills").await.body.contains("<mark>Cheap</mark>"), "{backend:?}: nothing public");
        assert!(ada.get("/notifications").await.body.contains("asks to import spam.csv into the collection of Tiverton Museum"));
        assert!(ada.get("/imports/waiting").await.body.contains(&format!("href=\"{status}\"")));
        assert_eq!(sam.get("/imports/waiting").await.status, StatusCode::NOT_FOUND);
        // Sam cannot open it himself.
        let r = sam.submit(&status, &format!("{status}/approve"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = ada.submit(&status, &format!("{status}/decline"), &[("reason", "This is not a museum.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(sam.get(&status).await.body.contains("declined this import: This is not a museum."));
        assert!(sam.get("/notifications").await.body.contains("was declined"));

        // Sent again and never answered: after 30 days it is declined by
        // itself, its file goes, and Sam is told.
        let r = send(&mut sam, &[("action", "import")], "museum.csv", CSV).await;
        let unanswered = r.location().unwrap().to_string();
        let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
        let mail = meetinghouse_core::notifications::Mailer { settings: &settings, base_url: "http://mh.test" };
        let now = meetinghouse_store::now();
        use meetinghouse_core::collection::jobs::{WAIT_SECS, expire_waiting};
        assert_eq!(expire_waiting(&db, mail, now + WAIT_SECS - 3600).await.unwrap(), 0, "{backend:?}: not yet");
        assert_eq!(expire_waiting(&db, mail, now + WAIT_SECS + 3600).await.unwrap(), 1, "{backend:?}");
        assert_eq!(expire_waiting(&db, mail, now + WAIT_SECS + 3600).await.unwrap(), 0, "{backend:?}: once");
        assert!(sam.get(&unanswered).await.body.contains("No admin of the meeting house answered within 30 days"));
        assert!(sam.get("/notifications").await.body.contains("Your import of museum.csv into the collection of Tiverton Museum was declined"));

        // Sent again and approved: it runs, and later imports do not wait.
        let r = send(&mut sam, &[("action", "import")], "museum.csv", CSV).await;
        let status = r.location().unwrap().to_string();
        let r = ada.submit(&status, &format!("{status}/approve"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let done = finished(&mut sam, &status).await;
        assert!(done.body.contains("2 created, 0 updated, 0 unchanged, 1 skipped"), "{}", done.body);
        // Staff import too, at once; only admins may withdraw what a file lacks.
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "staff")]).await;
        kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        let r = send(&mut kit, &[("action", "import")], "kit.csv", "Object Number,Title\nKIT.1,Kit's jug\n").await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.body);
        assert!(r.body.contains("1 created"), "{}", r.body);
        let r = send(&mut kit, &[("action", "import"), ("withdraw_missing", "on")], "kit.csv", "Object Number,Title\nKIT.1,Kit's jug\n").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Only the admins of Tiverton Museum can have an import withdraw"), "{}", r.body);
    }
}

/// The review's repro: a valuation, a store location and a donor's address
/// in columns the import does not map were shown to everyone. Now they are
/// private: on the object page only for the museum's staff (marked), and
/// the report says which columns are public and which private.
#[tokio::test]
async fn columns_an_import_does_not_map_are_private_on_the_object_page() {
    for db in databases().await {
        let mut amara = TestApp::new(db).await;
        amara.sign_up("amara").await;
        amara.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        opened(&amara, "tiverton-museum").await;
        let csv = "Object Number,Title,Insurance Value,Current Location,Donor Name and Address,Gallery\n\
                   PRIV/1,Silver chalice,£45000,Store B - Shelf 3 - Box 12,Mrs J Smith 12 Lowman Green EX16 4AA,Gallery 2\n";
        let r = send(&mut amara, &[("action", "import"), ("mapping", "[options]\npublish = [\"Gallery\"]")], "p.csv", csv).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Shown to everyone on the object pages: “Gallery”. Kept private (shown only to the organisation&#x27;s staff and admins): “Current Location”, “Donor Name and Address”, “Insurance Value”.")
            || r.body.contains("Shown to everyone on the object pages: “Gallery”. Kept private (shown only to the organisation&#39;s staff and admins): “Current Location”, “Donor Name and Address”, “Insurance Value”."), "{}", r.body);
        let mut visitor = amara.other_browser();
        let page = visitor.get("/orgs/tiverton-museum/objects/PRIV%2F1").await.body;
        assert!(page.contains("Gallery 2"), "{page}");
        for secret in ["45000", "Shelf 3", "Lowman Green", "Private fields"] {
            assert!(!page.contains(secret), "{secret} is shown to everyone: {page}");
        }
        let page = amara.get("/orgs/tiverton-museum/objects/PRIV%2F1").await.body;
        assert!(page.contains("Private fields") && page.contains("Insurance Value <span class=\"meta\">(private)</span></dt><dd>£45000</dd>"), "{page}");
    }
}

/// A withdrawn object's page says it is no longer in the collection (410),
/// and it leaves the list, search and the sitemap; the staff put it back
/// from its page. A moderator withdraws an object (logged; only moderators
/// put it back) or a whole collection, which no import then fills.
#[tokio::test]
async fn withdrawn_objects_leave_the_list_search_and_sitemap() {
    for db in databases().await {
        let backend = db.backend();
        let mut sam = TestApp::new(db.clone()).await;
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        opened(&sam, "tiverton-museum").await;
        send(&mut sam, &[("action", "import")], "c.csv", CSV).await;
        let bell = meetinghouse_store::objects::by_accession(&db, meetinghouse_store::orgs::by_slug(&db, "tiverton-museum").await.unwrap().unwrap().id, "TIV.3").await.unwrap().unwrap();
        let page = sam.get("/orgs/tiverton-museum/objects/TIV.3").await;
        let r = sam.submit("/orgs/tiverton-museum/objects/TIV.3", &format!("/objects/{}/withdraw", bell.id), &[("note", "Deaccessioned in 2024.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", page.body);
        let mut visitor = sam.other_browser();
        let gone = visitor.get("/orgs/tiverton-museum/objects/TIV.3").await;
        assert_eq!(gone.status, StatusCode::GONE, "{backend:?}");
        assert!(gone.body.contains("This object is no longer in the collection of Tiverton Museum.") && !gone.body.contains("Deaccessioned"), "{}", gone.body);
        assert!(!gone.body.contains("Bronze") && gone.body.contains("noindex"), "its record is not shown to the public");
        assert!(!visitor.get("/orgs/tiverton-museum/objects").await.body.contains("Market bell"));
        let found = visitor.get("/search?q=market+bell&type=object").await.body;
        assert!(!found.contains(&format!("href=\"/objects/{}\"", bell.id)), "{backend:?}: out of search: {found}");
        assert!(!visitor.get("/sitemap.xml").await.body.contains("TIV.3"));
        assert_eq!(visitor.get("/orgs/tiverton-museum/objects/TIV.3/label").await.status, StatusCode::FORBIDDEN);
        let list = sam.get("/orgs/tiverton-museum/objects?withdrawn=1").await.body;
        assert!(list.contains("Market bell") && sam.get("/orgs/tiverton-museum/objects").await.body.contains("Withdrawn objects (1)"), "{list}");
        let page = sam.get("/orgs/tiverton-museum/objects/TIV.3").await.body;
        assert!(page.contains("Deaccessioned in 2024.") && page.contains("Put it back in the collection"), "{page}");
        let r = sam.submit("/orgs/tiverton-museum/objects/TIV.3", &format!("/objects/{}/restore", bell.id), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let found = visitor.get("/search?q=market+bell&type=object").await.body;
        assert!(found.contains(&format!("href=\"/objects/{}\"", bell.id)), "{backend:?}: back in search: {found}");

        // A moderator's withdrawal, and a whole collection's.
        let mut ada = sam.other_browser();
        instance_admin(&mut ada, "ada").await;
        let r = ada.submit("/orgs/tiverton-museum/objects/TIV.3", &format!("/objects/{}/withdraw", bell.id), &[("as", "moderator"), ("note", "Spam link.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let removed = visitor.get("/orgs/tiverton-museum/objects/TIV.3").await.body;
        assert!(removed.contains("removed from the collection of Tiverton Museum by the meeting house"), "{removed}");
        let r = sam.submit("/orgs/tiverton-museum/objects/TIV.3", &format!("/objects/{}/restore", bell.id), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "only the moderators put it back");
        let r = ada.submit("/orgs/tiverton-museum/objects", "/orgs/tiverton-museum/collection/withdraw", &[("note", "Spam museum.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(visitor.get("/orgs/tiverton-museum/objects").await.body.contains("0 objects"));
        let r = send(&mut sam, &[("action", "import")], "c.csv", CSV).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("moderators withdrew this organisation"), "{}", r.body);
        let r = ada.submit("/orgs/tiverton-museum/objects", "/orgs/tiverton-museum/collection/restore", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(visitor.get("/orgs/tiverton-museum/objects").await.body.contains("2 objects"), "{backend:?}");
    }
}

/// The list: accession numbers with their numbers in order, found by words
/// within this collection, "page X of Y", a count with thousands separated;
/// a label prints the accession number and its QR code is not read out as
/// the address printed under it.
#[tokio::test]
async fn the_collection_list_orders_numbers_finds_words_and_counts_pages() {
    for db in databases().await {
        let mut sam = TestApp::new(db).await;
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        opened(&sam, "tiverton-museum").await;
        let mut csv = String::from("Object Number,Title\nB/100049,Later bowl\nB/10005,Earlier bowl\n");
        for i in 0..1_100 {
            csv.push_str(&format!("C/{i},Cup {i}\n"));
        }
        send(&mut sam, &[("action", "import")], "many.csv", &csv).await;
        let list = sam.get("/orgs/tiverton-museum/objects").await.body;
        assert!(list.contains("1,102 objects · page 1 of 23."), "{list}");
        assert!(list.find("Earlier bowl").unwrap() < list.find("Later bowl").unwrap(), "B/10005 comes before B/100049");
        let found = sam.get("/orgs/tiverton-museum/objects?q=bowl").await.body;
        assert!(found.contains("2 objects match “bowl”") && found.contains("Later bowl") && !found.contains("Cup 1"), "{found}");
        let page2 = sam.get("/orgs/tiverton-museum/objects?q=cup&page=2").await;
        assert_eq!(page2.status, StatusCode::OK);
        assert!(page2.body.contains("page 2 of 22") && page2.body.contains("href=\"/orgs/tiverton-museum/objects?q=cup&#38;page=1\""), "{}", page2.body);
        // An object can be reported: to the moderators, as its collection.
        let mut rea = sam.other_browser();
        rea.sign_up("rea").await;
        let page = rea.get("/orgs/tiverton-museum/objects/B%2F10005").await.body;
        assert!(page.contains("href=\"/report?kind=org&amp;target=tiverton-museum\">Report this collection to the moderators</a>"), "{page}");
        assert_eq!(rea.get("/report?kind=org&target=tiverton-museum").await.status, StatusCode::OK);
        let label = sam.get("/orgs/tiverton-museum/objects/B%2F10005/label").await.body;
        assert!(label.contains("<p class=\"label-number\">B/10005</p>"), "{label}");
        assert!(label.contains("aria-label=\"QR code for the address printed below\"") && !label.contains("aria-label=\"QR code linking to"), "{label}");
    }
}

/// The review's M4, M2, M3 and L2 through the browser. A withdrawn object's
/// page (410) has no reply form, and one the moderators withdrew shows
/// others only that, not its title or record. Approving a waiting import
/// at another organisation's address is "not found" and leaves it waiting.
/// An import whose server went away (no note for over two minutes) is not
/// "under way" and its page does not refresh. The import form lists the
/// organisation's recent imports, to come back to.
#[tokio::test]
async fn withdrawn_pages_waiting_imports_and_the_way_back_to_an_import() {
    for db in databases().await {
        let backend = db.backend();
        let mut sam = TestApp::new(db.clone()).await;
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        opened(&sam, "tiverton-museum").await;
        let r = send(&mut sam, &[("action", "import")], "c.csv", "Object Number,Title,Description\nBIG5,Big object 5,Rude words\nTIV.2,Jug,Milk\n").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let org = meetinghouse_store::orgs::by_slug(&db, "tiverton-museum").await.unwrap().unwrap();
        let big = meetinghouse_store::objects::by_accession(&db, org.id, "BIG5").await.unwrap().unwrap();
        let jug = meetinghouse_store::objects::by_accession(&db, org.id, "TIV.2").await.unwrap().unwrap();
        let mut ada = sam.other_browser();
        instance_admin(&mut ada, "ada").await;
        let mut george = sam.other_browser();
        george.sign_up("george").await;
        assert!(george.get("/orgs/tiverton-museum/objects/TIV.2").await.body.contains("action=\"/conversations/object/"), "{backend:?}: open before");

        // M4: closed conversations, and a sealed page.
        sam.submit("/orgs/tiverton-museum/objects/TIV.2", &format!("/objects/{}/withdraw", jug.id), &[("note", "deaccessioned 2026")]).await;
        let page = george.get("/orgs/tiverton-museum/objects/TIV.2").await;
        assert_eq!(page.status, StatusCode::GONE);
        assert!(!page.body.contains("action=\"/conversations/object/") && page.body.contains("so its conversation is closed"), "{backend:?}: {}", page.body);
        ada.submit("/orgs/tiverton-museum/objects/BIG5", &format!("/objects/{}/withdraw", big.id), &[("as", "moderator"), ("note", "Offensive.")]).await;
        let mut visitor = sam.other_browser();
        let page = visitor.get("/orgs/tiverton-museum/objects/BIG5").await;
        assert_eq!(page.status, StatusCode::GONE, "{backend:?}");
        assert!(page.body.contains("by the meeting house&#x27;s moderators") || page.body.contains("by the meeting house&#39;s moderators") || page.body.contains("by the meeting house's moderators"), "{}", page.body);
        assert!(!page.body.contains("Big object 5") && !page.body.contains("Rude words") && page.body.contains("A withdrawn object"), "{backend:?}: {}", page.body);
        assert!(!george.get("/orgs/tiverton-museum/objects/BIG5").await.body.contains("Big object 5"), "{backend:?}");
        assert!(sam.get("/orgs/tiverton-museum/objects/BIG5").await.body.contains("Big object 5"), "{backend:?}: its staff still see it");

        // M2: a waiting import, approved at another organisation's address.
        let mut kim = sam.other_browser();
        kim.sign_up("kim").await;
        kim.submit("/orgs/new", "/orgs", &[("name", "Kim Gallery"), ("sector", "heritage")]).await;
        let r = kim.upload("/orgs/kim-gallery/import", "/orgs/kim-gallery/import", &[("action", "import")], &[("file", "k.csv", "text/csv", b"Object Number,Title\nK1,One\n")]).await;
        let status = r.location().expect("it waits").to_string();
        let id = status.rsplit('/').next().unwrap().to_string();
        let r = ada.submit(&status, &format!("/orgs/tiverton-museum/imports/{id}/approve"), &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend:?}");
        let row = meetinghouse_store::collection_imports::by_id(&db, id.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(row.state, "waiting", "{backend:?}: left as it was");
        assert!(ada.get("/imports/waiting").await.body.contains(&format!("href=\"{status}\"")), "{backend:?}");

        // L2: the way back, on the import form (for those who manage it).
        let form = kim.get("/orgs/kim-gallery/import").await.body;
        assert!(form.contains("Recent imports") && form.contains(&format!("<a href=\"{status}\">k.csv</a>: Waiting for an admin")), "{backend:?}: {form}");

        // M3: an import that noted nothing for over two minutes has stopped.
        let recorded = meetinghouse_store::collection_imports::by_id(&db, row.id).await.unwrap().unwrap();
        let long_ago = meetinghouse_store::now() - 150;
        db.execute_admin(&format!("UPDATE collection_imports SET state = 'running', updated_at = {long_ago} WHERE id = {}", recorded.id)).await.unwrap();
        let page = kim.get(&status).await.body;
        assert!(page.contains("This import stopped without finishing") && !page.contains("Under way") && !page.contains("http-equiv=\"refresh\""), "{backend:?}: {page}");
        assert!(kim.get("/orgs/kim-gallery/import").await.body.contains("k.csv</a>: Stopped without finishing"), "{backend:?}");
    }
}

/// A file that was checked is imported as checked without choosing it
/// again (WCAG 3.3.7), by the person who checked it, once; a day later it
/// is no longer kept.
#[tokio::test]
async fn a_checked_file_is_imported_without_choosing_it_again() {
    for db in databases().await {
        let backend = db.backend();
        let mut sam = TestApp::new(db.clone()).await;
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        opened(&sam, "tiverton-museum").await;
        let mapping = "[fields]\naccession_number = \"Object Number\"\ntitle = \"Title\"\n";
        let r = send(&mut sam, &[("action", "check"), ("mapping", mapping)], "museum.csv", CSV).await;
        assert!(r.body.contains("Check finished: nothing was imported"), "{backend:?}: {}", r.body);
        let at = r.body.find("/import\">").expect("an import-as-checked form");
        let action = r.body[..at].rsplit("action=\"").next().unwrap().to_string() + "/import";
        assert!(action.starts_with("/orgs/tiverton-museum/imports/"), "{action}");
        let check = action.trim_end_matches("/import").to_string();
        assert!(sam.get(&check).await.body.contains("Import this file as checked"), "the check's page offers it too");

        // Someone else on the staff cannot import Sam's check.
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "staff")]).await;
        kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        assert!(!kit.get(&check).await.body.contains("Import this file as checked"));
        assert_eq!(kit.submit(&check, &action, &[]).await.status, StatusCode::NOT_FOUND, "{backend:?}");

        let r = sam.submit(&check, &action, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend:?}: {}", r.body);
        let status = r.location().unwrap().to_string();
        assert_ne!(status, check);
        let done = finished(&mut sam, &status).await;
        assert!(done.body.contains("2 created, 0 updated, 0 unchanged, 1 skipped"), "{}", done.body);
        assert!(sam.get("/orgs/tiverton-museum/objects").await.body.contains("Market bell"));
        // Once: the file went with it. A second press (the review
        // fixC33's M2) is sent to the import that took it, not told to
        // choose the file again.
        let r = sam.submit(&check, &action, &[]).await;
        assert_eq!(r.location(), Some(status.as_str()), "{backend:?}");
        let page = sam.get(&status).await.body;
        assert!(page.contains("This file is already being imported") && !page.contains("no longer kept"), "{backend:?}: {page}");
        assert_eq!(meetinghouse_store::objects::count(&db, meetinghouse_store::orgs::by_slug(&db, "tiverton-museum").await.unwrap().unwrap().id).await.unwrap(), 2, "{backend:?}: imported once");

        // A check's file is kept a day.
        let r = send(&mut sam, &[("action", "check")], "museum.csv", CSV).await;
        let at = r.body.find("/import\">").expect("an import-as-checked form");
        let action = r.body[..at].rsplit("action=\"").next().unwrap().to_string() + "/import";
        let media = sam.state.config.media.clone();
        let now = meetinghouse_store::now();
        let p = meetinghouse_core::retention::purge(&db, &media, now + 3600).await.unwrap();
        assert_eq!(p.checked_files, 0, "{backend:?}: not yet");
        let p = meetinghouse_core::retention::purge(&db, &media, now + meetinghouse_core::collection::jobs::CHECKED_KEEP_SECS + 60).await.unwrap();
        assert_eq!(p.checked_files, 1, "{backend:?}");
        let check = action.trim_end_matches("/import").to_string();
        assert!(!sam.get(&check).await.body.contains("Import this file as checked"));
        // A forgotten file: choose it again.
        let r = sam.submit(&check, &action, &[]).await;
        assert_eq!(r.location(), Some("/orgs/tiverton-museum/import"), "{backend:?}");
        assert!(sam.get("/orgs/tiverton-museum/import").await.body.contains("no longer kept"));
    }
}

/// Starts an import upload by hand on `addr`: the token, then a file of
/// which only the first bytes come, then a byte every two seconds (never
/// quiet long enough to be stopped), holding one of the server's import
/// turns until the returned task is aborted (the connection then closes).
async fn trickled_import(addr: std::net::SocketAddr, app: &mut TestApp) -> tokio::task::JoinHandle<()> {
    use tokio::io::AsyncWriteExt;
    let token = app.get("/orgs/tiverton-museum/import").await.csrf();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /orgs/tiverton-museum/import HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 5000000\r\nCookie: {}\r\n\r\n",
        app.cookie_header()
    );
    let body = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\nContent-Type: text/csv\r\n\r\nObject Number,Title\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            if stream.write_all(b"x").await.is_err() {
                return;
            }
        }
    })
}

/// The review regress33's M3 (and its 5th minor point): "Import this file
/// as checked" while the server's import turns are all taken waits for one,
/// then goes back to the check's page saying the file is still kept, and it
/// is; once a turn is free, the same button imports it.
#[tokio::test]
async fn importing_a_checked_file_while_imports_are_busy_keeps_the_file() {
    // Each backend's run waits on the clock (a turn is waited for): side by side.
    let runs: Vec<_> = databases().await.into_iter().map(|db| tokio::spawn(busy_import_as_checked(db))).collect();
    for run in runs {
        run.await.unwrap();
    }
}

async fn busy_import_as_checked(db: meetinghouse_core::Db) {
    let backend = db.backend();
    let mut sam = TestApp::new(db.clone()).await;
    sam.sign_up("sam").await;
    sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
    opened(&sam, "tiverton-museum").await;
    let r = send(&mut sam, &[("action", "check")], "museum.csv", CSV).await;
    let at = r.body.find("/import\">").expect("an import-as-checked form");
    let action = r.body[..at].rsplit("action=\"").next().unwrap().to_string() + "/import";
    let check = action.trim_end_matches("/import").to_string();
    let check_id: i64 = check.rsplit('/').next().unwrap().parse().unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = meetinghouse_web::app(sam.state.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await;
    });
    let mut other = sam.other_browser();
    other.sign_up("kit").await;
    sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "staff")]).await;
    other.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
    let trickles = [trickled_import(addr, &mut sam).await, trickled_import(addr, &mut other).await];
    let started = std::time::Instant::now();
    while sam.state.uploads.free().1 > 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{backend:?}: the trickles took the import turns");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let r = sam.submit(&check, &action, &[]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some(check.as_str())), "{backend:?}: {}", r.body);
    let page = sam.get(&check).await.body;
    assert!(page.contains("Your checked file is still kept") && page.contains("Import this file as checked"), "{backend:?}: {page}");
    assert!(meetinghouse_store::collection_imports::has_file(&db, check_id).await.unwrap(), "{backend:?}");

    for t in trickles {
        t.abort();
    }
    while sam.state.uploads.free().1 < 2 {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{backend:?}: the turns came back");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = sam.submit(&check, &action, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend:?}: {}", r.body);
    let status = r.location().unwrap().to_string();
    assert_ne!(status, check);
    let done = finished(&mut sam, &status).await;
    assert!(done.body.contains("2 created, 0 updated, 0 unchanged, 1 skipped"), "{backend:?}: {}", done.body);
    assert!(!meetinghouse_store::collection_imports::has_file(&db, check_id).await.unwrap(), "{backend:?}: taken with the import");
    server.abort();
}
