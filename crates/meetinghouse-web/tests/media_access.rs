//! Who may fetch a stored photo (`/media/{key}`), on every configured
//! backend: only someone who may see a live story showing it, or who
//! uploaded it; everyone else is told it is not found. Public caching only
//! while a public story shows it. And the purge: stories past their restore
//! window go, with the uploads no story shows and their bytes, but never
//! bytes that another story still shows.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, media_srcs};

const DAY: i64 = 24 * 3600;
const PUBLIC_CACHE: &str = "public, max-age=3600";
const PRIVATE_CACHE: &str = "private, no-store";

/// The fields of a story form with one photo (its alt text given).
fn story_fields<'a>(title: &'a str, visibility: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("body", "Written for the test."),
        ("licence", "cc0"),
        ("visibility", visibility),
        ("consent_people", "on"),
        ("consent_minors", "on"),
        ("photo_alt_0", "A picture made for the test"),
    ]
}

/// Posts a story with one photo; returns its path and its photo's addresses
/// (every size).
async fn story_with_photo(app: &mut TestApp, title: &str, visibility: &str, photo: &[u8]) -> (String, Vec<String>) {
    let r = app.upload("/stories/new", "/stories", &story_fields(title, visibility), &[("photo_file_0", "photo.jpg", "image/jpeg", photo)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location().unwrap().to_string();
    let srcs = media_srcs(&app.get(&path).await.body);
    assert!(srcs.len() >= 2, "the story shows its photo in more than one size: {srcs:?}");
    (path, srcs)
}

/// Asserts what a browser gets for each address: the status, and for a 200
/// the cache header and an image.
async fn assert_fetch(who: &mut TestApp, srcs: &[String], status: StatusCode, cache: Option<&str>, why: &str) {
    for src in srcs {
        let r = who.get(src).await;
        assert_eq!(r.status, status, "{why}: {src}");
        if let Some(cache) = cache {
            assert_eq!(r.headers["cache-control"], cache, "{why}: {src}");
            assert_eq!(r.headers["content-type"], "image/jpeg", "{why}: {src}");
        }
    }
}

/// The id of the story at `/stories/{id}`.
fn story_id(path: &str) -> i64 {
    path.trim_start_matches("/stories/").parse().unwrap()
}

#[tokio::test]
async fn a_members_only_storys_photos_are_not_found_outside_the_group() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let r = ann.submit("/groups/new", "/groups", &[("name", "Lace makers"), ("slug", "lace"), ("visibility", "members"), ("join_policy", "invite")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let r = ann.submit("/groups/lace", "/groups/lace/invite", &[("handle", "bob")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // (The group page is hidden from him until he joins: the form token comes from another page.)
        let r = bob.submit("/me", "/groups/lace/join", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut eve = ann.other_browser();
        eve.sign_up("eve").await;
        let mut visitor = ann.other_browser();

        let photo = meetinghouse_media::generated_picture(21, 640, 480);
        let (path, srcs) = story_with_photo(&mut ann, "Our secret pattern", "group:lace", &photo).await;
        assert_eq!(visitor.get(&path).await.status, StatusCode::NOT_FOUND, "the story is members-only");

        assert_fetch(&mut visitor, &srcs, StatusCode::NOT_FOUND, None, "a signed-out visitor").await;
        assert_fetch(&mut eve, &srcs, StatusCode::NOT_FOUND, None, "someone outside the group").await;
        assert_fetch(&mut bob, &srcs, StatusCode::OK, Some(PRIVATE_CACHE), "a member").await;
        assert_fetch(&mut ann, &srcs, StatusCode::OK, Some(PRIVATE_CACHE), "the author").await;

        // Bob leaves the group: the link he kept stops working for him.
        let r = bob.submit("/groups/lace", "/groups/lace/leave", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_fetch(&mut bob, &srcs, StatusCode::NOT_FOUND, None, "a former member").await;
    }
}

#[tokio::test]
async fn a_public_storys_photos_are_cached_publicly_until_it_is_made_private_or_deleted() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let mut visitor = ann.other_browser();
        let photo = meetinghouse_media::generated_picture(22, 640, 480);
        let (path, srcs) = story_with_photo(&mut ann, "The lock at dusk", "public", &photo).await;
        assert_fetch(&mut visitor, &srcs, StatusCode::OK, Some(PUBLIC_CACHE), "a public story's photo").await;
        // A first visit straight to the image sets no cookie, so a shared cache may keep it.
        let first = ann.other_browser().get(&srcs[0]).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.headers.get("set-cookie").is_none(), "{:?}", first.headers);
        // Its content address is its ETag: asking again with it costs no bytes.
        let etag = first.headers["etag"].to_str().unwrap().to_string();
        assert!(srcs[0].contains(etag.trim_matches('"')), "{etag} names {}", srcs[0]);
        let again = visitor.get_with(&srcs[0], &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.body.is_empty());
        let other = visitor.get_with(&srcs[0], &[("if-none-match", "\"something else\"")]).await;
        assert_eq!(other.status, StatusCode::OK);

        // Made a draft: only the author (who uploaded it) still gets it, uncached.
        let edit = format!("{path}/edit");
        let media_id = meetinghouse_store::media::photos_of_story(&ann.db, story_id(&path)).await.unwrap()[0].media_id.to_string();
        let mut fields = story_fields("The lock at dusk", "draft");
        fields.push(("photo_id_0", &media_id));
        let r = ann.upload(&edit, &edit, &fields, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_fetch(&mut visitor, &srcs, StatusCode::NOT_FOUND, None, "a draft's photo, signed out").await;
        assert_fetch(&mut bob, &srcs, StatusCode::NOT_FOUND, None, "a draft's photo, someone else").await;
        assert_fetch(&mut ann, &srcs, StatusCode::OK, Some(PRIVATE_CACHE), "a draft's photo, its author").await;

        // Public again, then deleted.
        let mut fields = story_fields("The lock at dusk", "public");
        fields.push(("photo_id_0", &media_id));
        let r = ann.upload(&edit, &edit, &fields, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_fetch(&mut visitor, &srcs, StatusCode::OK, Some(PUBLIC_CACHE), "public again").await;
        let r = ann.submit(&path, &format!("{path}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_fetch(&mut visitor, &srcs, StatusCode::NOT_FOUND, None, "a deleted story's photo, signed out").await;
        assert_fetch(&mut bob, &srcs, StatusCode::NOT_FOUND, None, "a deleted story's photo, someone else").await;
        assert_fetch(&mut ann, &srcs, StatusCode::OK, Some(PRIVATE_CACHE), "a deleted story's photo, its uploader").await;

        // Restored, it is public again.
        let r = ann.submit("/me", &format!("{path}/restore"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_fetch(&mut visitor, &srcs, StatusCode::OK, Some(PUBLIC_CACHE), "restored").await;
    }
}

#[tokio::test]
async fn an_upload_not_yet_on_a_story_is_shown_to_its_uploader_only() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let mut visitor = ann.other_browser();
        // No alt text: the form comes back with the upload's thumbnail.
        let photo = meetinghouse_media::generated_picture(23, 640, 480);
        let r = ann
            .upload("/stories/new", "/stories", &[("title", "Half done"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")], &[(
                "photo_file_0",
                "photo.jpg",
                "image/jpeg",
                &photo,
            )])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let srcs = media_srcs(&r.body);
        assert_eq!(srcs.len(), 1, "the thumbnail: {}", r.body);
        assert_fetch(&mut ann, &srcs, StatusCode::OK, Some(PRIVATE_CACHE), "the uploader").await;
        assert_fetch(&mut bob, &srcs, StatusCode::NOT_FOUND, None, "someone else").await;
        assert_fetch(&mut visitor, &srcs, StatusCode::NOT_FOUND, None, "a signed-out visitor").await;
        // A stored key that no upload has is not found either.
        assert_eq!(ann.get(&format!("/media/{}.jpg", "0".repeat(64))).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_purge_removes_old_deleted_stories_and_unused_uploads_but_not_bytes_still_shown() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let mut visitor = ann.other_browser();
        let media = ann.state.config.media.clone();
        let shared = meetinghouse_media::generated_picture(31, 640, 480);
        let own = meetinghouse_media::generated_picture(32, 640, 480);

        // Ann and Bob post the same picture (one set of stored bytes, two
        // uploads); Ann also posts a picture of her own. She deletes both
        // stories. (Bob's is the newest: the newest story is never purged.)
        let (ann_shared, shared_srcs) = story_with_photo(&mut ann, "The bridge", "public", &shared).await;
        let (ann_own, own_srcs) = story_with_photo(&mut ann, "The mill", "public", &own).await;
        let (bob_shared, bob_srcs) = story_with_photo(&mut bob, "The same bridge", "public", &shared).await;
        assert_eq!(shared_srcs, bob_srcs, "the same bytes are stored once, under the same keys");
        let ann_shared_media = meetinghouse_store::media::photos_of_story(&ann.db, story_id(&ann_shared)).await.unwrap()[0].media_id;
        let ann_own_media = meetinghouse_store::media::photos_of_story(&ann.db, story_id(&ann_own)).await.unwrap()[0].media_id;
        for path in [&ann_shared, &ann_own] {
            let r = ann.submit(path, &format!("{path}/delete"), &[]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        // An upload left on a form that was never sent.
        let pending = meetinghouse_media::generated_picture(33, 640, 480);
        let r = ann.upload("/stories/new", "/stories", &[("title", "Later"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")], &[("photo_file_0", "p.jpg", "image/jpeg", &pending)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let pending_srcs = media_srcs(&r.body);
        let key = |src: &String| src.trim_start_matches("/media/").to_string();

        // Within the restore window and the day an upload waits: nothing goes.
        let now = meetinghouse_store::now();
        let purged = meetinghouse_core::retention::purge(&ann.db, &media, now + 3600).await.unwrap();
        assert_eq!(purged, meetinghouse_core::retention::Purged::default());
        assert_fetch(&mut ann, &pending_srcs, StatusCode::OK, Some(PRIVATE_CACHE), "a pending upload after an hour").await;
        let r = ann.submit("/me", &format!("{ann_own}/restore"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "still restorable: {}", r.body);
        let r = ann.submit(&ann_own, &format!("{ann_own}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // 31 days on: both deleted stories, their uploads and the pending one go.
        let purged = meetinghouse_core::retention::purge(&ann.db, &media, now + 31 * DAY).await.unwrap();
        assert_eq!((purged.stories, purged.media.rows), (2, 3), "{purged:?}");
        // (The pending picture has as many sizes as Ann's own; the form showed one.)
        assert_eq!(purged.media.blobs, 2 * own_srcs.len(), "the shared picture's bytes stay: {purged:?}");
        for path in [&ann_shared, &ann_own] {
            assert!(meetinghouse_store::stories::by_id(&ann.db, story_id(path)).await.unwrap().is_none(), "{path} is gone");
        }
        for id in [ann_shared_media, ann_own_media] {
            assert!(meetinghouse_store::media::by_id(&ann.db, id).await.unwrap().is_none(), "media row {id} is gone");
        }
        for src in own_srcs.iter().chain(&pending_srcs) {
            assert_eq!(media.get(&key(src)).await.unwrap(), None, "{src} left the media store");
        }
        assert_fetch(&mut ann, &own_srcs, StatusCode::NOT_FOUND, None, "a purged story's photo").await;
        assert_fetch(&mut ann, &pending_srcs, StatusCode::NOT_FOUND, None, "an abandoned upload").await;

        // Bob's story still shows the shared picture, to everyone.
        for src in &shared_srcs {
            assert!(media.get(&key(src)).await.unwrap().is_some(), "{src} is still stored");
        }
        assert_eq!(bob.get(&bob_shared).await.status, StatusCode::OK);
        assert_fetch(&mut visitor, &shared_srcs, StatusCode::OK, Some(PUBLIC_CACHE), "the picture Bob's story still shows").await;

        // A second run finds nothing more.
        let purged = meetinghouse_core::retention::purge(&ann.db, &media, now + 31 * DAY).await.unwrap();
        assert_eq!(purged, meetinghouse_core::retention::Purged::default());
    }
}

#[tokio::test]
async fn a_photo_that_cannot_be_stored_leaves_the_form_as_it_was() {
    for db in meetinghouse_testkit::databases().await {
        // A media "directory" that is a file: every write to it fails, as a
        // full disk or an object store that does not answer would.
        let dir = meetinghouse_store::test_databases::temp_dir("mh_media_broken");
        let not_a_dir = dir.join("media");
        std::fs::write(&not_a_dir, b"not a directory").unwrap();
        let config = meetinghouse_web::WebConfig {
            media: meetinghouse_media::MediaStore::Local(meetinghouse_media::LocalStore::new(not_a_dir)),
            ..meetinghouse_testkit::web_config()
        };
        let mut ann = TestApp::with_config(db, config).await;
        ann.sign_up("ann").await;
        let photo = meetinghouse_media::generated_picture(41, 320, 240);
        let fields = story_fields("The flood of 1960", "public");
        let r = ann.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "flood.jpg", "image/jpeg", &photo)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("“flood.jpg” was not added: It could not be saved just now because of a problem on our side."), "{}", r.body);
        assert!(r.body.contains(r#"id="photo_file_0-error""#), "on the photo's slot: {}", r.body);
        assert!(r.body.contains("The flood of 1960") && r.body.contains("Written for the test."), "what was written is kept: {}", r.body);
        assert!(r.body.contains(r#"value="A picture made for the test""#), "the alt text too: {}", r.body);
        assert!(meetinghouse_store::stories::recent_public(&ann.db, None, 10, 0).await.unwrap().is_empty(), "no story without its photo");
    }
}

/// A photo over the per-file limit is read past, not refused with an error
/// page: the form comes back with what was written, the alt text, the other
/// photos, and the too-large one named on its slot.
#[tokio::test]
async fn a_photo_over_the_limit_leaves_the_form_as_it_was() {
    for db in meetinghouse_testkit::databases().await {
        let config = meetinghouse_web::WebConfig {
            media_limits: meetinghouse_media::Limits { max_bytes: 200 * 1024, ..meetinghouse_media::Limits::default() },
            ..meetinghouse_testkit::web_config()
        };
        let mut ann = TestApp::with_config(db, config).await;
        ann.sign_up("ann").await;
        let small = meetinghouse_media::generated_picture(7, 320, 240);
        let big = vec![0xA5u8; 300 * 1024];
        let mut fields = story_fields("The flood of 1960", "public");
        fields.push(("photo_alt_1", "The mill race in spate"));
        let files: &[(&str, &str, &str, &[u8])] = &[("photo_file_0", "street.jpg", "image/jpeg", &small), ("photo_file_1", "camera-original.jpg", "image/jpeg", &big)];
        let r = ann.upload("/stories/new", "/stories", &fields, files).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("“camera-original.jpg” was not added: it is larger than 200 KB, the limit for one photo."), "{}", r.body);
        assert!(r.body.contains("The flood of 1960") && r.body.contains("Written for the test."), "what was written is kept: {}", r.body);
        assert!(r.body.contains(r#"value="The mill race in spate""#), "the too-large photo's alt text is kept: {}", r.body);
        assert_eq!(media_srcs(&r.body).len(), 1, "the photo that fitted is kept on the form: {}", r.body);
        assert!(meetinghouse_store::stories::recent_public(&ann.db, None, 10, 0).await.unwrap().is_empty());
    }
}
