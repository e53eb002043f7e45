//! The collection through the browser, on every configured backend: an
//! organisation admin imports a file (with a broken row) and sees the report;
//! object pages with URL-safe accession numbers, JSON-LD, labels and the
//! stories about them; "Share your story about this object".

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, databases};

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

        // Someone who is not an admin of the museum may not import.
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
        let note = "7 fields not in this file were left as they were on objects already stored: dimensions, description, credit line, rights, image links, source link, classification.";
        assert!(r.body.contains(note), "{}", r.body);
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

/// The upload's private copy is readable only by the server's user while
/// the import runs, and removed when the request is dropped part-way (a
/// timeout, a closed connection), not only when it finishes.
#[cfg(unix)]
#[tokio::test]
async fn an_abandoned_import_leaves_no_copy_of_the_upload_behind() {
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;
    use meetinghouse_store::objects::{self, NewObject};
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
    for db in databases().await {
        let backend = db.backend();
        let mut sam = TestApp::new(db.clone()).await;
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let org = meetinghouse_store::orgs::by_slug(&db, "tiverton-museum").await.unwrap().unwrap().id;
        let form = sam.get("/orgs/tiverton-museum/import").await.csrf();

        // Another writer holds TIV.3 in an open transaction: the import
        // waits for it (SQLite: the write turn; PostgreSQL: the row).
        let mut tx = db.begin().await.unwrap();
        let held = NewObject { content_hash: "held".into(), ..meetinghouse_testkit::object_record("TIV.3", "Held") };
        objects::upsert_many(&mut tx, backend, org, &[held]).await.unwrap();

        let fields = [("csrf", form.as_str())];
        let files: [(&str, &str, &str, &[u8]); 1] = [("file", "held.droptest", "text/csv", CSV.as_bytes())];
        let mut upload = Box::pin(sam.post_multipart("/orgs/tiverton-museum/import", &fields, &files));
        let copy = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                tokio::select! {
                    r = &mut upload => panic!("{backend:?}: the import should wait for the open transaction: {} {}", r.status, r.body),
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
                if let Some(copy) = copies().into_iter().next() {
                    return copy;
                }
            }
        })
        .await
        .expect("the upload is copied to a temporary file");
        // The import itself is waiting, not just slow to start.
        assert!(tokio::time::timeout(Duration::from_millis(500), &mut upload).await.is_err(), "{backend:?}");
        assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600, "{backend:?}: private to the server's user");
        drop(upload);
        assert!(!copy.exists(), "{backend:?}: the copy is removed with the abandoned request");
        tx.rollback().await.unwrap();
        assert!(copies().is_empty());
    }
}
