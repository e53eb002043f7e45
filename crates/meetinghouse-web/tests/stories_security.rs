//! Security fixes around stories, uploads, prompts and collection links, on
//! every configured backend: another person's private photos never come back
//! through a form; nothing is stored for an account that may not post; an
//! upload is refused before its body is read when nobody is signed in or the
//! CSRF token is wrong; slow senders cannot hold the upload turns, and a
//! busy server gives the form back; hidden prompts and stories stay hidden;
//! a story form's problems are all reported at their fields; consent is
//! asked again for photos added in an edit; edits and new stories have
//! hourly limits; only web addresses become links on object pages; and a
//! photo the media store cannot take leaves nothing stored.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, databases};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The first `/media/…` address in a page, if any.
fn first_media_src(body: &str) -> Option<String> {
    let at = body.find("/media/")?;
    let rest = &body[at..];
    Some(rest[..rest.find('"')?].to_string())
}

/// Ann's members-only story with one photo: (story path, the photo's address).
async fn private_story_with_photo(ann: &mut TestApp) -> (String, String) {
    let r = ann.submit("/groups/new", "/groups", &[("name", "Lace makers"), ("slug", "lace"), ("visibility", "members"), ("join_policy", "invite")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let photo = meetinghouse_media::generated_picture(11, 320, 240);
    let r = ann
        .upload(
            "/stories/new",
            "/stories",
            &[("title", "Our secret pattern"), ("body", "Only for the circle."), ("licence", "cc0"), ("visibility", "group:lace"), ("photo_alt_0", "A lace pattern"), ("consent_people", "on"), ("consent_minors", "on")],
            &[("photo_file_0", "pattern.jpg", "image/jpeg", &photo)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location().unwrap().to_string();
    let page = ann.get(&path).await;
    let src = first_media_src(&page.body).expect("the story shows its photo");
    (path, src)
}

#[tokio::test]
async fn the_edit_form_never_shows_someone_elses_private_photos() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let (path, src) = private_story_with_photo(&mut ann).await;
        let mut eve = ann.other_browser();
        eve.sign_up("eve").await;
        assert_eq!(eve.get(&path).await.status, StatusCode::NOT_FOUND, "the story is members-only");

        // Eve guesses photo ids on Ann's edit form, with a file that is not an
        // image so that the form would be shown again.
        let ids: Vec<(String, String)> = (1..10).map(|i| (format!("photo_id_{i}"), i.to_string())).collect();
        let mut fields: Vec<(&str, &str)> = vec![("title", "Mine now"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")];
        fields.extend(ids.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let not_an_image: &[u8] = b"not an image at all";
        let edit = format!("{path}/edit");
        // The story is hidden from her: not found, as its page answers.
        let r = eve.upload("/stories/new", &edit, &fields, &[("photo_file_0", "notes.txt", "text/plain", not_an_image)]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert!(!r.body.contains("/media/"), "no photo address is shown: {}", r.body);
        assert!(!r.body.contains("Our secret pattern"));
        assert_eq!(eve.get(&edit).await.status, StatusCode::NOT_FOUND, "nor is the form");
        // A story that does not exist is simply not found.
        let r = eve.upload("/stories/new", "/stories/999999/edit", &fields, &[("photo_file_0", "notes.txt", "text/plain", not_an_image)]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

        // The new-story form shows back only photos Eve uploaded herself.
        let r = eve.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "notes.txt", "text/plain", not_an_image)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(!r.body.contains("/media/") && !r.body.contains(&src), "{}", r.body);

        // Ann's own edit form still works, with her photo, named by its description.
        let r = ann.get(&edit).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains(&src), "{}", r.body);
        assert!(r.body.contains(r#"alt="A lace pattern" class="thumb""#) && !r.body.contains("as uploaded"), "{}", r.body);
        let at = r.body.find("name=\"photo_id_0\" value=\"").expect("her photo is on the form");
        let rest = &r.body[at + "name=\"photo_id_0\" value=\"".len()..];
        let media_id = rest[..rest.find('"').unwrap()].to_string();
        let r = ann
            .upload(
                &edit,
                &edit,
                &[("title", "Our pattern"), ("body", "Still ours."), ("licence", "cc0"), ("visibility", "group:lace"), ("photo_id_0", &media_id), ("photo_alt_0", "A lace pattern"), ("consent_people", "on"), ("consent_minors", "on")],
                &[("photo_file_1", "notes.txt", "text/plain", not_an_image)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(&src), "the author sees her photo kept: {}", r.body);
    }
}

#[tokio::test]
async fn nothing_is_stored_for_an_account_that_may_not_post() {
    for db in databases().await {
        // Email addresses must be confirmed before posting.
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::settings::put(&mut tx, "post_before_verify", "false").await.unwrap();
        tx.commit().await.unwrap();
        let mut pat = TestApp::new(db).await;
        pat.sign_up("pat").await;
        let photo = meetinghouse_media::generated_picture(3, 320, 240);
        let r = pat
            .upload("/stories/new", "/stories", &[("title", "Free hosting"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft"), ("photo_alt_0", "x")], &[(
                "photo_file_0",
                "p.jpg",
                "image/jpeg",
                &photo,
            )])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("Please confirm your email address first"), "{}", r.body);
        assert!(!r.body.contains("/media/"), "{}", r.body);
        assert!(meetinghouse_store::media::by_id(&pat.db, 1).await.unwrap().is_none(), "the upload was not stored");
    }
}

/// Sends the start of an upload over a real connection, leaving the rest of
/// the declared body unsent, and returns the response's status if one comes
/// before the body would be complete (`None` when the server waits for it).
async fn partial_upload(addr: SocketAddr, path: &str, cookie: &str, body_start: &str) -> Option<u16> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 50000000\r\nCookie: {cookie}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // (The server may answer and close without reading what it refuses.)
    let _ = stream.write_all(body_start.as_bytes()).await;
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read).await.ok()?;
    let line = String::from_utf8_lossy(&got).lines().next().unwrap_or("").to_string();
    line.split(' ').nth(1).and_then(|s| s.parse().ok())
}

#[tokio::test]
async fn uploads_are_refused_before_the_body_is_read() {
    for mut ann in apps().await {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = meetinghouse_web::app(ann.state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        let file_part = "--XyZ\r\nContent-Disposition: form-data; name=\"photo_file_0\"; filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
        let csrf_part = |token: &str| format!("--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n");

        // Nobody signed in, or a session that is not valid: sign in first.
        for cookie in ["", &format!("mh_session={}", "a".repeat(64))] {
            for path in ["/stories", "/stories/1/edit", "/orgs/any/import"] {
                let status = partial_upload(addr, path, cookie, &format!("{}{file_part}", csrf_part("x"))).await;
                assert_eq!(status, Some(303), "{path} with {cookie:?}: answered before the body is read");
            }
        }

        ann.sign_up("ann").await;
        let cookie = ann.cookie_header();
        // A wrong token: the form comes back at the first file, which is not read.
        let status = partial_upload(addr, "/stories", &cookie, &format!("{}{file_part}", csrf_part("not-the-token"))).await;
        assert_eq!(status, Some(403));
        // A file before the token is not read at all.
        let status = partial_upload(addr, "/stories", &cookie, file_part).await;
        assert_eq!(status, Some(400));
        // Someone else's story: refused before the body, with the right token.
        let r = ann.submit("/stories/new", "/stories", &[("title", "Mine"), ("body", "x"), ("licence", "cc0"), ("visibility", "public")]).await;
        let edit = format!("{}/edit", r.location().unwrap());
        let mut eve = ann.other_browser();
        eve.sign_up("eve").await;
        let eve_cookie = eve.cookie_header();
        let eve_token = eve.get("/stories/new").await.csrf();
        let status = partial_upload(addr, &edit, &eve_cookie, &format!("{}{file_part}", csrf_part(&eve_token))).await;
        assert_eq!(status, Some(403));

        // The right token first, and the rest of a real form: accepted.
        let r = ann
            .upload("/stories/new", "/stories", &[("title", "Lace"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")], &[("photo_file_0", "", "application/octet-stream", b"")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        server.abort();
    }
}

#[tokio::test]
async fn hidden_group_prompts_cannot_be_answered_or_read_by_outsiders() {
    for mut host in apps().await {
        host.sign_up("hana").await;
        let r = host.submit("/groups/new", "/groups", &[("name", "Bell ringers"), ("slug", "bells"), ("visibility", "members"), ("join_policy", "invite")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let question = "Which peal did the tower ring in secret";
        let r = host.submit("/prompts/new", "/prompts", &[("question", question), ("group", "bells")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let prompt = r.location().unwrap().to_string();
        let pid = prompt.trim_start_matches("/prompts/").to_string();

        // A member answers it in a public story.
        let r = host
            .submit(&format!("/stories/new?prompt={pid}"), "/stories", &[("title", "Grandsire"), ("body", "We rang it."), ("licence", "cc0"), ("visibility", "public"), ("prompt_id", &pid)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = r.location().unwrap().to_string();
        assert!(host.get(&story).await.body.contains(question), "members see which prompt it answers");

        // An outsider cannot see the prompt, nor answer it.
        let mut out = host.other_browser();
        out.sign_up("olly").await;
        assert_eq!(out.get(&prompt).await.status, StatusCode::NOT_FOUND);
        let r = out.submit("/stories/new", "/stories", &[("title", "Me too"), ("body", "x"), ("licence", "cc0"), ("visibility", "public"), ("prompt_id", &pid)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("That prompt does not exist, or it is only for the members of a group you are not in."), "{}", r.body);
        assert!(!r.body.contains(question), "{}", r.body);

        // The public story does not name the hidden prompt to outsiders.
        let page = out.get(&story).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains(question) && !page.body.contains(&prompt), "{}", page.body);
        let page = host.other_browser().get(&story).await;
        assert!(!page.body.contains(question), "{}", page.body);

        // The author can still edit a story that answers it.
        let edit = format!("{story}/edit");
        let r = host.submit(&edit, &edit, &[("title", "Grandsire Doubles"), ("body", "We rang it."), ("licence", "cc0"), ("visibility", "public"), ("prompt_id", &pid)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

#[tokio::test]
async fn only_web_addresses_become_source_links() {
    const CSV: &str = "Object Number,Title,Source URL\n\
TIV.1,Lace collar,javascript:alert(1)\n\
TIV.2,Market bell,https://collections.example/objects/2\n\
TIV.3,Bobbin, JavaScript:alert(2)\n\
TIV.4,Pillow,\"data:text/html;base64,PHNjcmlwdD4=\"\n\
TIV.5,Loom,HTTPS://collections.example/objects/5\n";
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // An instance admin opened its collection: a first import waits for one otherwise (core `collection::jobs`).
        sam.db.execute_admin("UPDATE organisations SET collection_opened_at = 1").await.unwrap();
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "c.csv", "text/csv", CSV.as_bytes())]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("5 created, 0 updated, 0 unchanged, 0 skipped"), "every row is kept: {}", r.body);
        assert!(r.body.contains("Records imported with a value changed or left out"), "{}", r.body);
        for row in ["row 2", "row 4", "row 5"] {
            assert!(r.body.contains(&format!("<td>{row}</td><td>source_url</td>")), "{row} is reported: {}", r.body);
        }
        assert!(!r.body.contains("<td>row 3</td>") && !r.body.contains("<td>row 6</td>"));
        assert!(r.body.contains("is not a web address (http:// or https://), so it was left out"), "{}", r.body);

        let mut visitor = sam.other_browser();
        for accession in ["TIV.1", "TIV.3", "TIV.4"] {
            let page = visitor.get(&format!("/orgs/tiverton-museum/objects/{accession}")).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(!page.body.contains("The record at its source") && !page.body.to_lowercase().contains("href=\"javascript"), "{}", page.body);
        }
        let page = visitor.get("/orgs/tiverton-museum/objects/TIV.2").await;
        assert!(page.body.contains("href=\"https://collections.example/objects/2\""), "{}", page.body);
        let page = visitor.get("/orgs/tiverton-museum/objects/TIV.5").await;
        assert!(page.body.contains("The record at its source"), "{}", page.body);

        // A row stored before this check is not shown as a link either.
        let org = meetinghouse_store::orgs::by_slug(&sam.db, "tiverton-museum").await.unwrap().unwrap();
        let old = meetinghouse_store::objects::NewObject {
            image_urls: r#"["javascript:alert(4)","https://images.example/old.jpg"]"#.into(),
            source_url: "javascript:alert(3)".into(),
            ..meetinghouse_testkit::object_record("OLD.1", "Old record")
        };
        meetinghouse_testkit::add_object(&sam.db, org.id, old).await;
        let page = visitor.get("/orgs/tiverton-museum/objects/OLD.1").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(!page.body.contains("href=\"javascript:") && !page.body.contains("The record at its source"), "{}", page.body);
        assert!(page.body.contains("href=\"https://images.example/old.jpg\""), "{}", page.body);
    }
}

/// New stories and photos have per-account budgets (README, "Rate limits"):
/// over them the form comes back with what was written and says why.
#[tokio::test]
async fn stories_and_photos_have_hourly_budgets() {
    let mut ann = TestApp::new(databases().await.remove(0)).await;
    ann.sign_up("ann").await;
    let fields = [("title", "Market day"), ("body", "Stalls all down Fore Street."), ("licence", "cc0"), ("visibility", "draft")];

    // Photos: 60 an hour. Each of these forms lacks alt text, so no story is
    // made, but every photo in it is processed and counts.
    let pictures: Vec<Vec<u8>> = (0..10).map(|i| meetinghouse_media::generated_picture(i, 64, 48)).collect();
    let names: Vec<(String, String)> = (0..10).map(|i| (format!("photo_file_{i}"), format!("p{i}.png"))).collect();
    let files: Vec<(&str, &str, &str, &[u8])> =
        names.iter().zip(&pictures).map(|((field, name), bytes)| (field.as_str(), name.as_str(), "image/jpeg", bytes.as_slice())).collect();
    for round in 0..6 {
        let r = ann.upload("/stories/new", "/stories", &fields, &files).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "round {round}");
        assert!(!r.body.contains("many photos"), "round {round}: {}", r.body);
    }
    let r = ann.upload("/stories/new", "/stories", &fields, &files).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("“p0.png” was not added: you have added many photos in the last hour"), "{}", r.body);
    assert!(r.body.contains("Market day") && r.body.contains("Fore Street"), "the text is kept");

    // Stories: 20 new ones an hour. The 7 forms above wrote none, so they
    // do not count, nor does one sent back for a mistake.
    let r = ann.submit("/stories/new", "/stories", &[("title", ""), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for n in 0..20 {
        let r = ann.submit("/stories/new", "/stories", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "story {n}: {}", r.body);
    }
    // At the limit, the form comes back with what was written, and its
    // photo is not taken (nor processed).
    let r = ann.upload("/stories/new", "/stories", &fields, &files[..1]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("You have shared 20 stories in the last hour: thank you!"), "{}", r.body);
    assert!(r.body.contains("“p0.png” was not added: choose it again when you send the form."), "{}", r.body);
    assert!(r.body.contains("Market day") && r.body.contains("Fore Street"), "the text is kept");
    // Another person is not held back by Ann's budget.
    let mut bo = ann.other_browser();
    bo.sign_up("bo").await;
    assert_eq!(bo.submit("/stories/new", "/stories", &fields).await.status, StatusCode::SEE_OTHER);
}

/// The part of a page from `from` on (to check where a message is shown).
fn after<'a>(body: &'a str, from: &str) -> &'a str {
    &body[body.find(from).unwrap_or_else(|| panic!("{from} is on the page: {body}"))..]
}

#[tokio::test]
async fn a_story_whose_prompt_closed_or_object_is_gone_can_still_be_shared() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let ask = [("speak_as", "org:tiverton-museum"), ("question", "What did the floods take")];
        let r = sam.submit("/prompts/new", "/prompts", &ask).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let pid = r.location().unwrap().trim_start_matches("/prompts/").to_string();
        // (A new prompt cannot close in the past: this one is closed by hand, 2020-01-01 to 2020-02-01.)
        sam.db.execute_admin(&format!("UPDATE prompts SET opens_at = 1577836800, closes_at = 1580601600 WHERE id = {pid}")).await.unwrap();
        let story = [("title", "The bridge"), ("body", "It went in 1960."), ("licence", "cc0"), ("visibility", "public")];

        // The prompt closed while the story was written: the problem is shown
        // where the prompt is, with a way to share it without the link.
        let mut fields = story.to_vec();
        fields.push(("prompt_id", &pid));
        let r = sam.submit("/stories/new", "/stories", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r##"<a href="#prompt_id">This prompt closed on"##), "{}", r.body);
        let at = after(&r.body, r#"id="prompt_id""#);
        assert!(at.starts_with(r#"id="prompt_id" name="drop_prompt""#), "the summary's link leads to the choice: {at}");
        assert!(r.body.contains("What did the floods take") && r.body.contains("It went in 1960."), "{}", r.body);
        fields.push(("drop_prompt", "on"));
        let r = sam.submit("/stories/new", "/stories", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = sam.get(r.location().unwrap()).await;
        assert!(!page.body.contains("What did the floods take"), "shared without the prompt");

        // The same for a collection object that is no longer there.
        let mut fields = story.to_vec();
        fields.push(("object_ids", "999999"));
        let r = sam.submit("/stories/new?object=999999", "/stories", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r##"<a href="#object_ids">"##), "{}", r.body);
        assert!(after(&r.body, r#"id="object_ids""#).starts_with(r#"id="object_ids" name="drop_missing_objects""#), "{}", r.body);
        fields.push(("drop_missing_objects", "on"));
        let r = sam.submit("/stories/new", "/stories", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

#[tokio::test]
async fn one_odd_title_does_not_break_the_feeds() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let title = "Lost\u{FFFE} and \u{FFFF}found";
        let r = ann.submit("/stories/new", "/stories", &[("title", title), ("body", "Odd \u{FFFF} text."), ("licence", "cc0"), ("visibility", "public")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let feed = ann.other_browser().get("/stories.atom").await;
        assert_eq!(feed.status, StatusCode::OK);
        assert!(feed.body.contains("<title>Lost and found</title>"), "{}", feed.body);
        assert!(!feed.body.contains(['\u{FFFE}', '\u{FFFF}']), "{}", feed.body);
    }
}

#[tokio::test]
async fn prompts_say_when_they_open_and_public_groups_prompts_have_feeds() {
    for mut hana in apps().await {
        hana.sign_up("hana").await;
        let r = hana.submit("/groups/new", "/groups", &[("name", "Canal walkers"), ("slug", "walkers"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = hana.submit("/groups/new", "/groups", &[("name", "Bell ringers"), ("slug", "bells"), ("visibility", "members"), ("join_policy", "invite")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let ask = [("question", "Where will we walk next spring"), ("group", "walkers")];
        let r = hana.submit("/prompts/new", "/prompts", &ask).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let public = r.location().unwrap().to_string();
        let r = hana.submit("/prompts/new", "/prompts", &[("question", "Which peal next"), ("group", "bells")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let hidden = r.location().unwrap().to_string();
        // (A prompt's dates are at most ten years ahead: these open on 2999-03-01, the first until 2999-03-31, by hand.)
        for (p, closes) in [(&public, "32479920000"), (&hidden, "NULL")] {
            let id = p.trim_start_matches("/prompts/");
            hana.db.execute_admin(&format!("UPDATE prompts SET opens_at = 32477241600, closes_at = {closes} WHERE id = {id}")).await.unwrap();
        }

        // A prompt that has not opened yet says when it opens.
        let list = hana.get("/prompts").await;
        assert!(list.body.contains("opens on 1 March 2999, open until 31 March 2999"), "{}", list.body);
        assert!(list.body.contains("opens on 1 March 2999<"), "{}", list.body);
        assert!(!list.body.contains("closed") && !list.body.contains("open since"), "{}", list.body);

        // The feed of a public group's prompt is public, as its page is.
        let mut visitor = hana.other_browser();
        assert_eq!(visitor.get(&public).await.status, StatusCode::OK);
        let feed = visitor.get(&format!("{public}/stories.atom")).await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
        assert!(feed.body.contains("Answers to “Where will we walk next spring”"), "{}", feed.body);
        assert!(visitor.get("/sitemap.xml").await.body.contains(&format!("{public}<")));
        // A members-only group's prompt stays hidden.
        assert_eq!(visitor.get(&format!("{hidden}/stories.atom")).await.status, StatusCode::NOT_FOUND);
        assert!(!visitor.get("/sitemap.xml").await.body.contains(&format!("{hidden}<")));
    }
}

#[tokio::test]
async fn photo_slots_are_labelled_wired_and_keep_what_was_typed() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let form = ann.get("/stories/new").await;
        for n in 1..=3 {
            assert!(form.body.contains(&format!("<legend>Photo {n}</legend>")), "each slot is a group named by its number: {}", form.body);
        }
        let text = [("title", "Market day"), ("body", "Stalls all down Fore Street."), ("licence", "cc0"), ("visibility", "draft")];

        // A refused upload keeps the alt text typed for it; its error is tied to the input.
        let mut fields = text.to_vec();
        fields.push(("photo_alt_0", "Grandad at the lock gates"));
        let r = ann.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "notes.txt", "text/plain", b"not an image")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r#"value="Grandad at the lock gates""#), "{}", r.body);
        assert!(r.body.contains(r#"name="photo_file_0" accept="image/jpeg,image/png,image/webp,image/gif" aria-invalid="true" aria-describedby="photo_file_0-error""#), "{}", r.body);

        // A photo without alt text: the error is tied to its alt input.
        let photo = meetinghouse_media::generated_picture(5, 320, 240);
        let r = ann.upload("/stories/new", "/stories", &text, &[("photo_file_0", "stall.jpg", "image/jpeg", &photo)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r#"aria-invalid="true" aria-describedby="photo_alt_0-error""#), "{}", r.body);
        let at = r.body.find("name=\"photo_id_0\" value=\"").expect("the photo is kept on the form");
        let rest = &r.body[at + "name=\"photo_id_0\" value=\"".len()..];
        let media_id = rest[..rest.find('"').unwrap()].to_string();

        // A photo that has gone (or was never hers) is reported with the
        // photos, not on the photo that is shown in its place.
        let mut fields = text.to_vec();
        fields.extend([("photo_id_0", "999999"), ("photo_id_1", media_id.as_str()), ("photo_alt_1", "A fruit stall")]);
        let r = ann.upload("/stories/new", "/stories", &fields, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let photos = after(&r.body, r#"<fieldset id="photos""#);
        let slots = photos.find(r#"id="photo_0""#).expect("a first slot");
        assert!(photos[..slots].contains("A photo you added before could not be found"), "reported above the slots: {photos}");
        let slot = after(photos, r#"name="photo_id_0""#);
        let slot = &slot[..slot.find(r#"name="photo_alt_0""#).unwrap()];
        assert!(slot.starts_with(&format!(r#"name="photo_id_0" value="{media_id}""#)) && !slot.contains("could not be found"), "{slot}");
        assert!(after(photos, r#"name="photo_alt_0""#).starts_with(r#"name="photo_alt_0" value="A fruit stall""#), "{photos}");
    }
}

#[tokio::test]
async fn the_edit_form_offers_only_voices_the_author_still_holds() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "staff")]).await;
        kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        let fields = [("speak_as", "org:tiverton-museum"), ("title", "From the stores"), ("body", "Boxes."), ("licence", "cc0"), ("visibility", "public")];
        let r = kit.submit("/stories/new", "/stories", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = r.location().unwrap().to_string();
        let edit = format!("{story}/edit");
        let kit_id = meetinghouse_store::people::by_handle(&sam.db, "kit").await.unwrap().unwrap().id.to_string();
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/remove", &[("person_id", &kit_id)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The form says what saving will do, and a stale choice is refused next to "Share as".
        let form = kit.get(&edit).await;
        assert!(form.body.contains("but you no longer speak for Tiverton Museum here"), "{}", form.body);
        let r = kit.submit(&edit, &edit, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r#"id="speak_as-error""#) && r.body.contains("You are no longer on the staff of Tiverton Museum"), "{}", r.body);
        assert!(r.body.contains(r#"<select id="speak_as" name="speak_as" aria-invalid="true""#), "{}", r.body);
        let mine: Vec<(&str, &str)> = fields.iter().map(|&(k, v)| if k == "speak_as" { (k, "self") } else { (k, v) }).collect();
        let r = kit.submit(&edit, &edit, &mine).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = kit.get(&story).await;
        assert!(page.body.contains(">kit</a>") && !page.body.contains("kit · Tiverton Museum"), "{}", page.body);
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

/// Starts an upload by hand: the token, then a photo of which only the
/// first kilobyte is sent; the connection stays open, sending nothing more.
async fn stalled_upload(addr: SocketAddr, cookie: &str, token: &str) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /stories HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 5000000\r\nCookie: {cookie}\r\n\r\n"
    );
    let body = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"photo_file_0\"; filename=\"slow.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n{}",
        "j".repeat(1024)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    stream
}

/// The status and body of the answer on a connection, if one comes within `wait`.
async fn answer(stream: &mut tokio::net::TcpStream, wait: Duration) -> Option<(u16, String)> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(wait, read).await;
    let text = String::from_utf8_lossy(&got).to_string();
    let status = text.lines().next()?.split(' ').nth(1)?.parse().ok()?;
    Some((status, text))
}

#[tokio::test]
async fn slow_uploads_from_one_account_do_not_hold_up_anyone_else() {
    // Each backend's run waits on the clock: they run side by side.
    let runs: Vec<_> = apps().await.into_iter().map(|ann| tokio::spawn(one_account_slow(ann))).collect();
    for run in runs {
        run.await.unwrap();
    }
}

async fn one_account_slow(mut ann: TestApp) {
    ann.sign_up("ann").await;
    let mut bob = ann.other_browser();
    bob.sign_up("bob").await;
    let (addr, server) = serve(&ann).await;
    let (cookie, token) = (ann.cookie_header(), ann.get("/stories/new").await.csrf());
    // Ann sends a photo very slowly (it stalls after a kilobyte).
    let mut stalled = stalled_upload(addr, &cookie, &token).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Bob's story without a photo, and then one with a photo, go through at once.
    let quick = Duration::from_secs(5);
    let fields = [("title", "Quick"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")];
    let r = tokio::time::timeout(quick, bob.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "", "application/octet-stream", b"")]))
        .await
        .expect("a story without a photo waits for no one's upload");
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let photo = meetinghouse_media::generated_picture(5, 320, 240);
    let with_photo = [("photo_alt_0", "A bridge"), ("title", "Bridge"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")];
    let r = tokio::time::timeout(quick, bob.upload("/stories/new", "/stories", &with_photo, &[("photo_file_0", "b.jpg", "image/jpeg", &photo)]))
        .await
        .expect("one account holds one upload turn, not all of them");
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Ann's second upload, from another tab, waits for her turn a while,
    // then her form comes back with what she wrote and says why.
    let r = ann.upload("/stories/new", "/stories", &[("title", "Second tab"), ("body", "Written twice."), ("licence", "cc0"), ("visibility", "draft")], &[("photo_file_0", "b.jpg", "image/jpeg", &photo)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("“b.jpg” was not added: you are already sending photos from another window or tab."), "{}", r.body);
    assert!(r.body.contains(r#"value="Second tab""#) && r.body.contains("Written twice."), "{}", r.body);
    // The stalled one loses its turn and, as nothing more of it arrives, is stopped.
    let (status, text) = answer(&mut stalled, Duration::from_secs(45)).await.expect("the stalled upload is answered");
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Nothing more of the form arrived"), "{text}");
    server.abort();
}

/// Keeps an upload alive the way a slow-loris sender does: the token, a
/// photo's first bytes, then a byte every two seconds (so it is never
/// quiet long enough to be stopped), until the returned task is aborted.
async fn trickled_upload(addr: SocketAddr, app: &mut TestApp) -> tokio::task::JoinHandle<()> {
    let token = app.get("/stories/new").await.csrf();
    let mut stream = stalled_upload(addr, &app.cookie_header(), &token).await;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if stream.write_all(b"j").await.is_err() {
                return;
            }
        }
    })
}

/// Two accounts trickling photos in cannot hold the server's upload turns:
/// while they hold them, someone else's form comes back (429) with what
/// they wrote, and once the trickles fall below the minimum rate they lose
/// the turns, though bytes still arrive, and photos go through again.
#[tokio::test]
async fn trickling_uploads_lose_their_turns_and_a_busy_server_keeps_the_form() {
    // Each backend's run waits on the clock: they run side by side.
    let runs: Vec<_> = apps().await.into_iter().map(|ann| tokio::spawn(two_accounts_trickle(ann))).collect();
    for run in runs {
        run.await.unwrap();
    }
}

async fn two_accounts_trickle(mut ann: TestApp) {
    let [mut bob, mut cat, mut dee] = [ann.other_browser(), ann.other_browser(), ann.other_browser()];
    for (app, handle) in [(&mut ann, "ann"), (&mut bob, "bob"), (&mut cat, "cat"), (&mut dee, "dee")] {
        app.sign_up(handle).await;
    }
    let (addr, server) = serve(&ann).await;
    let trickles = [trickled_upload(addr, &mut ann).await, trickled_upload(addr, &mut bob).await];
    let started = std::time::Instant::now();
    while ann.state.uploads.free().0 > 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the trickles took the turns");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Cat waits a while for a turn, then gets her form back.
    let photo = meetinghouse_media::generated_picture(8, 320, 240);
    let fields = [("title", "The weir"), ("body", "Salmon jumping in October."), ("licence", "cc0"), ("visibility", "draft"), ("photo_alt_0", "A weir")];
    let r = cat.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "weir.jpg", "image/jpeg", &photo)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("Many uploads are under way on the server right now") && r.body.contains("Try again in a minute"), "{}", r.body);
    assert!(r.body.contains("“weir.jpg” was not added: the server was busy with other uploads."), "{}", r.body);
    assert!(r.body.contains(r#"value="The weir""#) && r.body.contains("Salmon jumping in October.") && r.body.contains(r#"value="A weir""#), "{}", r.body);

    // The trickles fall below the minimum rate and lose their turns.
    while ann.state.uploads.free().0 < 2 {
        assert!(started.elapsed() < Duration::from_secs(45), "the trickles lost their turns");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(trickles.iter().all(|t| !t.is_finished()), "bytes were still arriving");
    let r = dee.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "weir.jpg", "image/jpeg", &photo)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for t in trickles {
        t.abort();
    }
    server.abort();
}

/// One account takes at most 20 upload turns an hour (counted before the
/// turn is waited for); past them its forms come back with what was written.
#[tokio::test]
async fn an_account_takes_a_limited_number_of_upload_turns_an_hour() {
    let mut ann = TestApp::new(databases().await.remove(0)).await;
    ann.sign_up("ann").await;
    let photo = meetinghouse_media::generated_picture(9, 64, 48);
    // (No alt text: nothing is written, so the story limit is never reached.)
    let fields = [("title", "Boats"), ("body", "Moored at the basin."), ("licence", "cc0"), ("visibility", "draft")];
    for n in 0..20 {
        let r = ann.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "boat.jpg", "image/jpeg", &photo)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "turn {n}: {}", r.body);
    }
    let r = ann.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "boat.jpg", "image/jpeg", &photo)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("“boat.jpg” was not added: you have sent photos 20 times in the last hour"), "{}", r.body);
    assert!(r.body.contains("Moored at the basin."), "{}", r.body);
    // A form without a photo takes no turn.
    let r = ann.submit("/stories/new", "/stories", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn multipart_field_names_are_counted_capped_and_known() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let story = [("title", "Names"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")];
        let no_file: [(&str, &str, &str, &[u8]); 1] = [("photo_file_0", "", "application/octet-stream", b"")];
        let with = |extra: &[(&'static str, &'static str)]| story.iter().chain(extra).copied().collect::<Vec<_>>();

        // A field name longer than the form's whole text budget.
        let long_name: &'static str = "n".repeat(100 * 1024).leak();
        let r = ann.upload("/stories/new", "/stories", &with(&[(long_name, "x")]), &no_file).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        // A file's name counts too.
        let long_file: &'static str = "f".repeat(100 * 1024).leak();
        let r = ann.upload("/stories/new", "/stories", &story, &[("photo_file_0", long_file, "image/jpeg", b"x")]).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        // Thousands of small fields.
        let many: Vec<(&str, &str)> = std::iter::repeat_n(("title", "t"), 1_000).collect();
        let r = ann.upload("/stories/new", "/stories", &with(&many), &no_file).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        assert!(r.body.contains("more fields than it can have"), "{}", r.body);
        // A field the form does not have, in a multipart form or a plain one.
        let r = ann.upload("/stories/new", "/stories", &with(&[("is_admin", "1")]), &no_file).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains("a field it does not have"), "{}", r.body);
        let r = ann.submit("/stories/new", "/stories", &with(&[("photo_alt_99", "x")])).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        // Nothing was stored; the form as the page sends it still works.
        let ann_id = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap().id;
        assert!(meetinghouse_store::stories::by_author(&ann.db, ann_id, 10).await.unwrap().is_empty());
        let r = ann.upload("/stories/new", "/stories", &with(&[("photo_alt_0", ""), ("photo_caption_0", ""), ("speak_as", "self")]), &no_file).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

/// A refused photo is reported with the form's other problems, each at its
/// field: the error's id, the group's `aria-describedby`, an "Error:"
/// prefix and the has-error mark, for the radio and checkbox groups too. A
/// HEIC photo is named, with what to do; alt text with a NUL in it (a 500
/// on PostgreSQL once) is cleaned, not refused.
#[tokio::test]
async fn every_problem_of_a_story_form_is_reported_at_its_field() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        // The start of a HEIC file, as an iPhone saves one.
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        heic.extend_from_slice(&[0; 64]);
        let fields = [("title", ""), ("body", "x"), ("licence", "none of them"), ("visibility", "nobody"), ("photo_alt_0", "A gate")];
        let r = ann.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "IMG_0001.HEIC", "image/heic", &heic)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("“IMG_0001.HEIC” was not added: That photo is a HEIC file"), "the photo's problem: {}", r.body);
        assert!(r.body.contains("Save it as a JPEG"), "{}", r.body);
        assert!(r.body.contains(r##"<a href="#title">"##), "and the form's own, at once: {}", r.body);
        for (field, message) in [("licence", "Choose a licence for your story."), ("visibility", "Choose who can see your story.")] {
            let group = after(&r.body, &format!(r#"<fieldset id="{field}""#));
            let group = &group[..group.find("</fieldset>").unwrap()];
            assert!(group.contains("has-error") && group.contains(&format!("{field}-error\"")), "{group}");
            assert!(group.contains(&format!(r#"<p class="error" id="{field}-error"><span class="visually-hidden">Error:</span> {message}</p>"#)), "{group}");
            assert!(group.contains(r#"aria-invalid="true""#), "{group}");
        }
        // Consent, on a story with a photo shared with everyone.
        let photo = meetinghouse_media::generated_picture(12, 320, 240);
        let fields = [("title", "The gate"), ("body", "x"), ("licence", "cc0"), ("visibility", "public"), ("photo_alt_0", "A gate\u{0} in\nthe wall")];
        let r = ann.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "gate.jpg", "image/jpeg", &photo)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let group = after(&r.body, r#"<fieldset id="consent_people""#);
        let group = &group[..group.find("</fieldset>").unwrap()];
        assert!(group.contains("has-error") && group.contains(r#"aria-describedby="consent_people-hint consent_people-error""#), "{group}");
        assert!(group.contains(r#"id="consent_people-error"><span class="visually-hidden">Error:</span> Before others can see"#), "{group}");
        // Ticked, it is shared; the alt text is one clean line.
        let at = r.body.find("name=\"photo_id_0\" value=\"").expect("the photo is kept on the form");
        let rest = &r.body[at + "name=\"photo_id_0\" value=\"".len()..];
        let media_id = rest[..rest.find('"').unwrap()].to_string();
        let mut fields = fields.to_vec();
        fields.extend([("photo_id_0", media_id.as_str()), ("consent_people", "on"), ("consent_minors", "on")]);
        let r = ann.upload("/stories/new", "/stories", &fields, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = ann.get(r.location().unwrap()).await;
        assert!(page.body.contains(r#"alt="A gate in the wall""#), "{}", page.body);
    }
}

/// The edit form of a story: shown only as saving would be allowed (not
/// found to whoever may not see it; a deleted story restored first);
/// consent asked again when a photo is added; edits limited per hour with
/// the text kept; the history a page at a time; and on the author's page a
/// story the moderators removed is marked as theirs to review, not restore.
#[tokio::test]
async fn editing_a_story_asks_consent_again_for_new_photos_and_is_limited() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let photo = meetinghouse_media::generated_picture(13, 320, 240);
        let story = [("title", "The mill"), ("body", "Version 0"), ("licence", "cc0"), ("visibility", "public"), ("photo_alt_0", "A mill"), ("consent_people", "on"), ("consent_minors", "on")];
        let r = ann.upload("/stories/new", "/stories", &story, &[("photo_file_0", "mill.jpg", "image/jpeg", &photo)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let path = r.location().unwrap().to_string();
        let edit = format!("{path}/edit");

        // The form comes with the consent given before, for the photo it has.
        let form = ann.get(&edit).await;
        let media_id = meetinghouse_store::media::photos_of_story(&ann.db, story_id(&path)).await.unwrap()[0].media_id.to_string();
        assert!(form.body.contains(&format!(r#"name="consented_photos" value="{media_id}""#)), "{}", form.body);
        // A photo added with the boxes as they came: asked again, unticked.
        let mut fields = story.to_vec();
        fields.extend([("photo_id_0", media_id.as_str()), ("photo_alt_1", "The wheel"), ("consented_photos", media_id.as_str())]);
        let wheel = meetinghouse_media::generated_picture(14, 320, 240);
        let r = ann.upload(&edit, &edit, &fields, &[("photo_file_1", "wheel.jpg", "image/jpeg", &wheel)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("You added photos: tick both boxes again"), "{}", r.body);
        assert!(!r.body.contains(r#"name="consent_people" value="on" checked"#) && !r.body.contains(r#"name="consented_photos""#), "{}", r.body);
        let at = r.body.find("name=\"photo_id_1\" value=\"").expect("the new photo is kept on the form");
        let rest = &r.body[at + "name=\"photo_id_1\" value=\"".len()..];
        let wheel_id = rest[..rest.find('"').unwrap()].to_string();
        // Ticked again, it is saved.
        let mut fields = story.to_vec();
        fields.extend([("photo_id_0", media_id.as_str()), ("photo_id_1", wheel_id.as_str()), ("photo_alt_1", "The wheel")]);
        let r = ann.upload(&edit, &edit, &fields, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Thirty saved edits an hour (one was saved above).
        for n in 1..30 {
            let body = format!("Version {n}");
            let r = ann.submit(&edit, &edit, &[("title", "The mill"), ("body", &body), ("licence", "cc0"), ("visibility", "draft")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "edit {n}: {}", r.body);
        }
        let r = ann.submit(&edit, &edit, &[("title", "The mill"), ("body", "One too many"), ("licence", "cc0"), ("visibility", "draft")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(r.body.contains("You have saved changes to stories 30 times in the last hour") && r.body.contains("One too many"), "{}", r.body);

        // Her history, a page at a time (the public versions before it became a draft).
        db_edits(&ann, story_id(&path), 25).await;
        let history = ann.get(&format!("{path}/history")).await;
        assert_eq!(history.body.matches("<section class=\"panel\"").count(), 20, "{}", history.body);
        assert!(history.body.contains(&format!(r#"href="{path}/history?page=2" rel="next""#)), "{}", history.body);
        let second = ann.get(&format!("{path}/history?page=2")).await;
        assert_eq!(second.body.matches("<section class=\"panel\"").count(), 5, "{}", second.body);
        assert!(second.body.contains(&format!(r#"href="{path}/history?page=1" rel="prev""#)), "{}", second.body);

        // Deleted: the edit form says to restore it first.
        let r = ann.submit(&path, &format!("{path}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = ann.get(&edit).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("restore it first"), "{}", r.body);
        // Deleting it again is refused, and its restore window stays.
        let at = meetinghouse_store::stories::by_id(&ann.db, story_id(&path)).await.unwrap().unwrap().deleted_at;
        let r = ann.submit("/me", &format!("{path}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(meetinghouse_store::stories::by_id(&ann.db, story_id(&path)).await.unwrap().unwrap().deleted_at, at);
        let me = ann.get("/me").await;
        assert!(me.body.contains(&format!(r#"action="{path}/restore""#)), "{}", me.body);

        // Removed by the moderators: no restore button, the way to their review.
        let removed = ann.submit("/stories/new", "/stories", &[("title", "Removed"), ("body", "x"), ("licence", "cc0"), ("visibility", "public")]).await;
        let removed = removed.location().unwrap().to_string();
        let mut tx = ann.db.begin().await.unwrap();
        let removal = meetinghouse_store::moderation::StoryRemoval {
            story_id: story_id(&removed),
            moderator: None,
            report_id: None,
            note: "Shared without consent.".into(),
            removed_at: meetinghouse_store::now(),
        };
        assert!(meetinghouse_store::moderation::remove_story(&mut tx, &removal, "Removed", "x").await.unwrap());
        tx.commit().await.unwrap();
        let me = ann.get("/me").await;
        assert!(!me.body.contains(&format!(r#"action="{removed}/restore""#)), "{}", me.body);
        assert!(me.body.contains(&format!(r#"<a href="{removed}">Removed</a>"#)) && me.body.contains("removed by the moderators"), "{}", me.body);
    }
}

/// The id in a story's path.
fn story_id(path: &str) -> i64 {
    path.trim_start_matches("/stories/").parse().unwrap()
}

/// Adds `n` earlier public versions to a story's history, as edits would.
async fn db_edits(app: &TestApp, id: i64, n: usize) {
    for i in 0..n {
        app.db
            .execute_admin(&format!(
                "INSERT INTO story_revisions (story_id, title, body, edited_by, created_at, visibility, group_id) \
                 SELECT {id}, 'The mill', 'Old version {i}', author_person, 1000, 'public', NULL FROM stories WHERE id = {id}"
            ))
            .await
            .unwrap();
    }
}

/// A story form whose token expired (sent with or without photos, as a new
/// story or an edit) comes back with what was typed, a fresh token and the
/// photos named to choose again; nothing is stored. The story box is marked
/// required, and each licence's "(what this means)" link names its licence.
#[tokio::test]
async fn an_expired_story_form_comes_back_with_what_was_typed() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let form = ann.get("/stories/new").await.body;
        assert!(form.contains(r#"<textarea id="body" name="body" rows="12" required"#), "{form}");
        assert!(form.contains(r#"(what this means<span class="visually-hidden">: "#), "{form}");
        let long = "We walked the towpath every Sunday. ".repeat(40);
        let text = [("csrf", "stale"), ("title", "Towpath Sundays"), ("body", long.as_str()), ("licence", "cc0"), ("visibility", "public")];
        let photo = meetinghouse_media::generated_picture(5, 320, 240);
        for files in [vec![], vec![("photo_file_0", "lock.jpg", "image/jpeg", photo.as_slice())]] {
            let r = ann.post_multipart("/stories", &text, &files).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
            assert!(r.body.contains("<title>Error: Share a story ·"), "{}", r.body);
            assert!(r.body.contains("Your form had expired, so nothing was sent"), "{}", r.body);
            assert!(r.body.contains(r#"value="Towpath Sundays""#) && r.body.contains(long.trim_end()), "what was typed is kept");
            if !files.is_empty() {
                assert!(r.body.contains("lock.jpg"), "the photo is named to choose again: {}", r.body);
            }
            assert_ne!(r.csrf(), "stale");
        }
        let r = ann.post_raw_from("/stories/new", "/stories", &text).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains(r#"value="Towpath Sundays""#), "{}", r.body);
        assert!(!ann.get("/stories.atom").await.body.contains("Towpath Sundays"), "nothing stored");
        // The fresh token works.
        let token = r.csrf();
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(&text[1..]);
        let r = ann.post_raw_from("/stories/new", "/stories", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = r.location().unwrap().to_string();

        // An edit: the same, and the story is unchanged.
        let edit = [("csrf", "stale"), ("title", "Towpath Sundays, changed"), ("body", "Shorter now."), ("licence", "cc0"), ("visibility", "public")];
        let r = ann.post_multipart(&format!("{story}/edit"), &edit, &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains(r#"value="Towpath Sundays, changed""#) && r.body.contains("Your form had expired"), "{}", r.body);
        assert!(!ann.get(&story).await.body.contains("Towpath Sundays, changed"), "unchanged");
    }
}

/// How many uploads no story shows yet.
async fn unused_uploads(app: &TestApp) -> usize {
    meetinghouse_store::media::unused_before(&app.db, meetinghouse_store::now() + 3600, 100).await.unwrap().len()
}

/// A story takes at most ten photos: a file past the tenth is refused on
/// its slot before it is decoded or stored. Over the hourly budget of
/// edits, an edit's photos are not read at all.
#[tokio::test]
async fn no_photo_is_stored_past_the_tenth_or_over_the_edit_budget() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let pictures: Vec<Vec<u8>> = (0..13).map(|i| meetinghouse_media::generated_picture(40 + i, 64, 48)).collect();
        let names: Vec<(String, String, String)> = (0..13).map(|i| (format!("photo_file_{i}"), format!("p{i}.png"), format!("photo_alt_{i}"))).collect();
        let files: Vec<(&str, &str, &str, &[u8])> =
            names.iter().zip(&pictures).map(|((field, name, _), bytes)| (field.as_str(), name.as_str(), "image/jpeg", bytes.as_slice())).collect();
        let mut fields = vec![("title", "Market day"), ("body", "Stalls."), ("licence", "cc0"), ("visibility", "draft")];
        fields.extend(names.iter().map(|(_, _, alt)| (alt.as_str(), "A stall")));
        let r = ann.upload("/stories/new", "/stories", &fields, &files).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(unused_uploads(&ann).await, 10, "only ten photos were processed and stored");
        let slot = after(&r.body, r#"id="photo_file_9""#);
        assert!(slot.contains("“p10.png” was not added: a story can have at most 10 photos.") && slot.contains("“p12.png” was not added"), "{}", r.body);

        // Over the budget of edits: the text comes back, no photo is stored.
        let r = ann.submit("/stories/new", "/stories", &[("title", "Mill"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")]).await;
        let edit = format!("{}/edit", r.location().unwrap());
        let s = meetinghouse_core::settings::Settings::load(&ann.db).await.unwrap();
        let ann_id = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap().id.to_string();
        for _ in 0..30 {
            meetinghouse_core::attempts::attempt(&ann.db, &s.secret_key, &meetinghouse_core::stories::EDITS_PER_HOUR, &ann_id, meetinghouse_store::now()).await.unwrap();
        }
        let before = unused_uploads(&ann).await;
        let fields = [("title", "Mill"), ("body", "Over the budget"), ("licence", "cc0"), ("visibility", "draft"), ("photo_alt_0", "A wheel")];
        let r = ann.upload(&edit, &edit, &fields, &files[..1]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(r.body.contains("You have saved changes to stories 30 times") && r.body.contains("Over the budget"), "{}", r.body);
        assert!(r.body.contains("“p0.png” was not added: choose it again when you send the form."), "{}", r.body);
        assert_eq!(unused_uploads(&ann).await, before, "the photo was not stored");
    }
}

/// An announcement's by-line links to its organisation, and feeds and
/// structured data name the organisation; a suspended author's name stands
/// alone (their profile is "not found"), there and in the feed.
#[tokio::test]
async fn bylines_link_only_to_pages_that_exist_for_what_they_name() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("slug", "tiverton-museum"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = [("speak_as", "announce:tiverton-museum"), ("title", "Open late"), ("body", "Thursdays."), ("licence", "cc0"), ("visibility", "public")];
        let r = sam.submit("/stories/new", "/stories", &story).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let path = r.location().unwrap().to_string();
        let mut visitor = sam.other_browser();
        let page = visitor.get(&path).await.body;
        assert!(page.contains(r#"By <a href="/orgs/tiverton-museum">Tiverton Museum (announcement)</a>"#), "{page}");
        assert!(page.contains(r#""@type":"Organization""#) && !page.contains("/@sam"), "{page}");
        let feed = visitor.get("/stories.atom").await.body;
        assert!(feed.contains("<author><name>Tiverton Museum</name><uri>") && feed.contains("/orgs/tiverton-museum</uri></author>"), "{feed}");
        assert!(!feed.contains("/@sam"), "{feed}");

        let mut rowan = sam.other_browser();
        rowan.sign_up("rowan").await;
        let r = rowan.submit("/stories/new", "/stories", &[("title", "Bridge"), ("body", "Old."), ("licence", "cc0"), ("visibility", "public")]).await;
        let path = r.location().unwrap().to_string();
        assert!(visitor.get(&path).await.body.contains(r#"By <a href="/@rowan">rowan</a>"#));
        let rowan_id = meetinghouse_store::people::by_handle(&sam.db, "rowan").await.unwrap().unwrap().id;
        let mut tx = sam.db.begin().await.unwrap();
        meetinghouse_store::moderation::suspend(&mut tx, rowan_id, Some(meetinghouse_store::now() + 86_400)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(visitor.get("/@rowan").await.status, StatusCode::NOT_FOUND);
        let page = visitor.get(&path).await.body;
        assert!(page.contains("By rowan ·") && !page.contains("/@rowan"), "{page}");
        let feed = visitor.get("/stories.atom").await.body;
        assert!(feed.contains("<author><name>rowan</name></author>") && !feed.contains("/@rowan"), "{feed}");
    }
}

/// The history shows each version's Markdown as the story shows it
/// (sanitised); its author removes a version's text with a button, and an
/// instance moderator with a note (asked for again, at its field, when
/// missing). Signed out, the removed text is gone; the version says who
/// removed it.
#[tokio::test]
async fn a_versions_text_can_be_removed_and_the_history_renders_markdown() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let r = ann.submit("/stories/new", "/stories", &[("title", "Home"), ("body", "We live at *12 Canal Row*.<script>x()</script>"), ("licence", "cc0"), ("visibility", "public")]).await;
        let path = r.location().unwrap().to_string();
        let edit = format!("{path}/edit");
        for body in ["We live by the canal.", "We live in town."] {
            let r = ann.submit(&edit, &edit, &[("title", "Home"), ("body", body), ("licence", "cc0"), ("visibility", "public")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let history = format!("{path}/history");
        let mut visitor = ann.other_browser();
        let page = visitor.get(&history).await.body;
        assert!(page.contains("<em>12 Canal Row</em>") && !page.contains("<pre>") && !page.contains("<script>x()"), "{page}");
        assert!(!page.contains("/remove\""), "a visitor has no button: {page}");
        let mine = ann.get(&history).await.body;
        let revisions: Vec<i64> = mine.split("/history/").skip(1).filter_map(|s| s.split('/').next()?.parse().ok()).collect();
        assert_eq!(revisions.len(), 2, "{mine}");
        // Versions saved in the same minute are told apart by number: each
        // section is named by its own heading, and the removal form's
        // hidden text says which version it removes.
        assert!(!mine.contains("Before the edit of") && !mine.contains("aria-label=\"Version replaced"), "{mine}");
        for (rid, n) in [(revisions[0], 2), (revisions[1], 1)] {
            assert!(mine.contains(&format!(r#"<section class="panel" aria-labelledby="version-{rid}">"#)), "{mine}");
            assert!(mine.contains(&format!(r#"<h2 id="version-{rid}">Version {n} of 3, in use until "#)), "{mine}");
            let form = after(&mine, &format!(r#"action="{history}/{rid}/remove""#));
            let form = &form[..form.find("</form>").unwrap()];
            assert!(form.contains(&format!(r#"aria-describedby="remove-{rid}-hint">Remove the text of this version<span class="visually-hidden"> (Version {n} of 3)</span></button>"#)), "{form}");
            assert!(form.contains(&format!(r#"gone for good<span class="visually-hidden"> (Version {n} of 3)</span></label>"#)), "{form}");
        }
        // Not without ticking "I understand this cannot be undone": asked at
        // that box, and nothing is removed.
        assert!(mine.contains(&format!(r#"<input type="checkbox" id="understood-{}" name="understood" value="on" required>"#, revisions[1])), "{mine}");
        let r = ann.submit(&history, &format!("{history}/{}/remove", revisions[1]), &[("page", "1")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r##"<a href="#understood">"##) && r.body.contains(r#"id="understood" name="understood" value="on" required aria-invalid="true" aria-describedby="understood-error""#), "{}", r.body);
        assert!(visitor.get(&history).await.body.contains("12 Canal Row"), "nothing was removed");
        let r = ann.submit(&history, &format!("{history}/{}/remove", revisions[1]), &[("page", "1"), ("understood", "on")]).await;
        let shown = ann.follow(&r).await.body;
        assert!(shown.contains("The text of version 1 of 3 is removed from the history"), "{shown}");
        let page = visitor.get(&history).await.body;
        assert!(!page.contains("12 Canal Row") && page.contains("The text of this version was removed by its author."), "{page}");
        assert!(page.contains("We live by the canal."), "{page}");

        // A moderator: the note is asked for, then kept.
        let mut mo = ann.other_browser();
        mo.sign_up("mo").await;
        let mo_id = meetinghouse_store::people::by_handle(&ann.db, "mo").await.unwrap().unwrap().id;
        meetinghouse_store::people::set_admin(&ann.db, mo_id, true).await.unwrap();
        let target = format!("{history}/{}/remove", revisions[0]);
        let form = mo.get(&history).await.body;
        let form = after(&form, &format!(r#"action="{target}""#));
        let form = &form[..form.find("</form>").unwrap()];
        assert!(form.contains(r#"Say why you are removing it <span class="optional">(required)</span><span class="visually-hidden"> (Version 2 of 3)</span></label>"#), "{form}");
        assert!(form.contains("it cannot be undone, not even by the moderators") && form.contains(r#"aria-describedby="remove-"#), "moderators are told too: {form}");
        let r = mo.submit(&history, &target, &[("page", "1"), ("note", " "), ("understood", "on")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r##"<a href="#note">Say why you are removing this version’s text.</a>"##) && r.body.contains(r#"<textarea id="note" name="note""#), "{}", r.body);
        let r = mo.submit(&history, &target, &[("page", "1"), ("note", "It named a street."), ("understood", "on")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let shown = mo.follow(&r).await.body;
        assert!(shown.contains("The text of version 2 of 3 is removed from the history; the moderation log keeps your note"), "{shown}");
        let page = visitor.get(&history).await.body;
        assert!(page.contains("The text of this version was removed by the moderators.") && !page.contains("We live by the canal."), "{page}");
        // Someone else cannot.
        let r = visitor.post_raw_from(&history, &target, &[]).await;
        assert_ne!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

/// Replies written for a group keep its story with the group (the edit
/// form offers only that group and a draft, and says why at "Who can see
/// it"); a story in a group its author left does not offer that group (nor,
/// with such replies, "Everyone"), starts from "Only me (a draft)" and says
/// why, and saving it there anyway says why not.
#[tokio::test]
async fn a_group_story_stays_with_its_replies_and_a_left_group_is_named() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Residents' Voice", "residents-voice", "members", "invite").await;
        let mut beth = ann.other_browser();
        beth.sign_up("beth").await;
        let beth_id = meetinghouse_store::people::by_handle(&ann.db, "beth").await.unwrap().unwrap().id;
        let group_id = meetinghouse_store::groups::by_slug(&ann.db, "residents-voice").await.unwrap().unwrap().id;
        ann.db.execute_admin(&format!("INSERT INTO group_members (group_id, member_kind, member_id, role, status, added_by, created_at) VALUES ({group_id}, 'person', {beth_id}, 'member', 'active', {beth_id}, 0)")).await.unwrap();
        let story = [("title", "Our street"), ("body", "Parking."), ("licence", "cc0"), ("visibility", "group:residents-voice")];
        let r = ann.submit("/stories/new", "/stories", &story).await;
        let path = r.location().unwrap().to_string();
        let r = beth.submit(&path, &format!("/conversations/story/{}/replies", story_id(&path)), &[("body", "SECRET reply from beth")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let edit = format!("{path}/edit");
        let r = ann.submit(&edit, &edit, &[("title", "Our street"), ("body", "Parking."), ("licence", "cc0"), ("visibility", "public")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let group = after(&r.body, r#"<fieldset id="visibility""#);
        assert!(group.contains(r#"id="visibility-error"><span class="visually-hidden">Error:</span> People replied to this story while only the members of Residents&#39; Voice could see it"#), "{group}");
        // The form offers what saving takes: the group, or a draft.
        assert!(!group.contains(r#"value="public""#) && group.contains(r#"value="group:residents-voice" checked"#), "what was sent is not offered: {group}");
        let form = ann.get(&edit).await.body;
        let group = after(&form, r#"<fieldset id="visibility""#);
        assert!(group.contains(r#"value="group:residents-voice" checked"#) && group.contains(r#"value="draft""#) && !group.contains(r#"value="public""#), "{group}");
        assert!(group.contains(r#"<p class="hint" id="visibility-note">People replied to this story while only the members of Residents&#39; Voice could see it"#), "{group}");
        let mut visitor = ann.other_browser();
        assert_eq!(visitor.get(&path).await.status, StatusCode::NOT_FOUND);

        // Beth's own stories in the group, after she left it: one with a
        // reply written for the group, one without.
        let r = beth.submit("/stories/new", "/stories", &[("title", "Bins"), ("body", "Tuesday."), ("licence", "cc0"), ("visibility", "group:residents-voice")]).await;
        let bins = format!("{}/edit", r.location().unwrap());
        let r = beth.submit("/stories/new", "/stories", &[("title", "Bikes"), ("body", "Racks."), ("licence", "cc0"), ("visibility", "group:residents-voice")]).await;
        let bikes = r.location().unwrap().to_string();
        let r = ann.submit(&bikes, &format!("/conversations/story/{}/replies", story_id(&bikes)), &[("body", "Yes please")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = beth.submit("/groups/residents-voice", "/groups/residents-voice/leave", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let form = beth.get(&bins).await.body;
        let group = after(&form, r#"<fieldset id="visibility""#);
        assert!(!group.contains("group:residents-voice") && group.contains(r#"value="public""#) && group.contains(r#"value="draft" checked"#), "{group}");
        assert!(group.contains("This story is shared with the members of Residents&#39; Voice, but you are no longer a member"), "{group}");
        assert!(form.contains("<button type=\"submit\">Save changes</button>"), "{form}");
        let form = beth.get(&format!("{bikes}/edit")).await.body;
        let group = after(&form, r#"<fieldset id="visibility""#);
        assert!(!group.contains("group:residents-voice") && !group.contains(r#"value="public""#) && group.contains(r#"value="draft" checked"#), "only a draft: {group}");
        // Only a draft is offered: said at the top of the form, and on its button.
        let top = &form[..form.find("enctype=\"multipart/form-data\"").unwrap()];
        assert!(top.contains(r#"<p class="notice" id="visibility-note">"#) && top.contains("so it cannot be shared more widely; and you are no longer a member of Residents&#39; Voice"), "{top}");
        assert!(group.contains(r#"aria-describedby="visibility-note""#) && group.contains("<button type=\"submit\">Save as a draft (only you will see it)</button>"), "{group}");
        let bikes_edit = format!("{bikes}/edit");
        let r = beth.submit(&bikes_edit, &bikes_edit, &[("title", "Bikes"), ("body", "More racks."), ("licence", "cc0"), ("visibility", "draft")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let shown = beth.follow(&r).await.body;
        assert!(shown.contains("Your changes are saved, and it is now a draft: only you can see it."), "{shown}");
        // Sent anyway, keeping it there is refused in words that say why.
        let r = beth.submit(&bins, &bins, &[("title", "Bins"), ("body", "Tuesdays."), ("licence", "cc0"), ("visibility", "group:residents-voice")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("You are no longer a member of Residents&#39; Voice") && !r.body.contains("does not exist"), "{}", r.body);
        assert!(!r.body.contains("Choose who can see your story."), "{}", r.body);
        let r = beth.submit(&bins, &bins, &[("title", "Bins"), ("body", "Tuesdays."), ("licence", "cc0"), ("visibility", "draft")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "the choice offered works: {}", r.body);
    }
}

/// A photo sent twice on the edit form (`photo_id_0=4&photo_id_1=4`) is on
/// the story once.
#[tokio::test]
async fn a_photo_sent_twice_is_attached_once() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let (path, _) = private_story_with_photo(&mut ann).await;
        let id = story_id(&path);
        let photos = meetinghouse_store::media::photos_of_story(&ann.db, id).await.unwrap();
        let m = photos[0].media_id.to_string();
        let edit = format!("{path}/edit");
        let fields = [
            ("title", "Our secret pattern"), ("body", "Only for the circle."), ("licence", "cc0"), ("visibility", "group:lace"),
            ("consent_people", "on"), ("consent_minors", "on"),
            ("photo_id_0", m.as_str()), ("photo_alt_0", "A lace pattern"), ("photo_id_1", m.as_str()), ("photo_alt_1", "The same again"),
        ];
        let r = ann.submit(&edit, &edit, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let photos = meetinghouse_store::media::photos_of_story(&ann.db, id).await.unwrap();
        assert_eq!(photos.iter().map(|p| p.media_id).collect::<Vec<_>>(), [photos[0].media_id], "once");
    }
}

/// A photo the media store cannot take (its folder is a file, so the write
/// fails with the system's own error) brings the form back with what was
/// typed and the photo's problem at its slot, and nothing of the photo is
/// left: no upload row, no file. (A store out of room, `ENOSPC` or
/// `EDQUOT`, answers with the "out of disk space" page instead: the media
/// crate's tests meet a real one on `/dev/full`.)
#[tokio::test]
async fn a_photo_the_media_store_cannot_take_leaves_nothing_and_keeps_the_form() {
    for db in databases().await {
        let dir = meetinghouse_store::test_databases::temp_dir("mh_media_blocked");
        let root = dir.join("media");
        std::fs::write(&root, b"a file where the media folder should be").unwrap();
        let config = meetinghouse_web::WebConfig {
            media: meetinghouse_media::MediaStore::Local(meetinghouse_media::LocalStore::new(&root)),
            ..meetinghouse_testkit::web_config()
        };
        let there = std::fs::read_dir(&dir).unwrap().count();
        let mut ann = TestApp::with_config(db, config).await;
        ann.sign_up("ann").await;
        let photo = meetinghouse_media::generated_picture(3, 320, 240);
        let fields = [("title", "The mill race"), ("body", "Where we paddled."), ("licence", "cc0"), ("visibility", "draft"), ("photo_alt_0", "The mill race in summer")];
        let r = ann.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "race.jpg", "image/jpeg", &photo)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("“race.jpg” was not added: It could not be saved just now because of a problem on our side."), "{}", r.body);
        assert!(r.body.contains("The mill race") && r.body.contains("Where we paddled.") && r.body.contains("The mill race in summer"), "what was typed is kept");
        let ann_id = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap().id;
        assert_eq!(meetinghouse_store::media::waiting(&ann.db, ann_id, 0).await.unwrap(), meetinghouse_store::media::Waiting::default(), "no upload row");
        assert!(meetinghouse_store::media::queued_deletions(&ann.db, 10).await.unwrap().is_empty());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), there, "nothing written beside the file in the store's way");
        assert_eq!(std::fs::read(&root).unwrap(), b"a file where the media folder should be");
    }
}

/// An account waiting for an admin's approval is told it can share once
/// approved, in place of the story and reply forms; a story or reply sent
/// anyway comes back in its form, with what was written and why.
#[tokio::test]
async fn an_account_waiting_for_approval_is_told_why_it_cannot_share_yet() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let r = ann.submit("/stories/new", "/stories", &[("title", "Market day"), ("body", "Stalls."), ("licence", "cc0"), ("visibility", "public")]).await;
        let story = r.location().unwrap().to_string();
        let r = ann.submit(&story, &format!("/conversations/story/{}/replies", story_id(&story)), &[("body", "First!")]).await;
        let reply = r.location().unwrap().to_string();
        let me = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&ann.db, me.id, true).await.unwrap();
        let fields = [("name", "Canal Town"), ("code_of_conduct", "Be kind."), ("registration", "approval")];
        assert_eq!(ann.submit("/admin/settings", "/admin/settings", &fields).await.status, StatusCode::SEE_OTHER);
        let mut pia = ann.other_browser();
        pia.sign_up("pia").await;

        let form = pia.get("/stories/new").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("You can share once an admin approves your account") && !form.body.contains(r#"action="/stories""#), "{}", form.body);
        let r = pia.submit(&story, "/stories", &[("title", "My first"), ("body", "A long text I wrote."), ("licence", "cc0"), ("visibility", "public")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains(r#"<div class="error-summary""#) && r.body.contains("Your story is not shared: you can share once an admin approves your account."), "{}", r.body);
        assert!(r.body.contains(r#"action="/stories""#) && r.body.contains(r#"value="My first""#) && r.body.contains(">A long text I wrote.</textarea>"), "the text is kept: {}", r.body);
        assert!(!r.body.contains("You can&#39;t do that here"), "{}", r.body);

        // No reply form, nor "Reply" or "Thank" links, on the story or the reply.
        for page in [&story, &reply] {
            let body = pia.get(page).await.body;
            assert!(body.contains("You can share once an admin approves your account") && !body.contains("/replies\" class=\"reply-form\""), "{body}");
            assert!(!body.contains("/reply?to=") && !body.contains("#thank\""), "{body}");
        }
        // Sent anyway, the reply comes back with its text and why.
        let r = pia.submit(&story, &format!("/conversations/story/{}/replies", story_id(&story)), &[("body", "My kept words")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains(r#"<div class="error-summary""#) && r.body.contains("waiting for an admin") && r.body.contains("My kept words"), "{}", r.body);
        assert!(meetinghouse_store::stories::by_id(&ann.db, story_id(&story) + 1).await.unwrap().is_none(), "nothing was stored");
    }
}

/// Someone blocked by a story's author who sends a reply anyway gets their
/// words back to copy, and is told what they can still do.
#[tokio::test]
async fn a_blocked_reply_is_shown_back_with_what_can_still_be_done() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let r = ann.submit("/stories/new", "/stories", &[("title", "Market day"), ("body", "Stalls."), ("licence", "cc0"), ("visibility", "public")]).await;
        let story = r.location().unwrap().to_string();
        let mut carl = ann.other_browser();
        carl.sign_up("carl").await;
        let form = carl.get(&story).await.body;
        assert_eq!(ann.submit(&story, "/people/carl/relation", &[("action", "block")]).await.status, StatusCode::SEE_OTHER);
        let id = story_id(&story);
        let r = carl.post_raw(&format!("/conversations/story/{id}/replies"), &[("csrf", &meetinghouse_testkit::csrf_from_html(&form).unwrap()), ("body", "Words worth keeping")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("You cannot reply on this story."), "{}", r.body);
        assert!(r.body.contains(r#"readonly aria-describedby="body-hint">Words worth keeping</textarea>"#), "the words are shown back: {}", r.body);
        assert!(!r.body.contains(r#"name="body""#), "not as a field that would send it: {}", r.body);
        assert!(r.body.contains("You can still read") && r.body.contains(&format!(r#"<a href="/report?kind=story&amp;target={id}">report this story</a>"#)), "{}", r.body);
    }
}
