//! The site's surface through the real router on every configured backend:
//! pages too large for the page cache, what clears the cache, error pages
//! (as the viewer, for every kind of refusal), addresses that cannot name
//! anything, the feeds and their headers, robots.txt and the sitemap (its
//! parts only when it is split), search past the last page, results in
//! words, the instance settings and admin invite codes.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use meetinghouse_testkit::{TestApp, apps, databases};

/// An app whose page cache keeps pages for a minute.
async fn cached_app(db: meetinghouse_store::Db) -> TestApp {
    let config = meetinghouse_web::WebConfig { page_cache_ttl: std::time::Duration::from_secs(60), ..meetinghouse_testkit::web_config() };
    TestApp::with_config(db, config).await
}

/// Shares a public story; returns its path.
async fn public_story(app: &mut TestApp, title: &str, body: &str) -> String {
    let r = app.submit("/stories/new", "/stories", &[("title", title), ("body", body), ("licence", "cc0"), ("visibility", "public")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

fn id_of(path: &str) -> i64 {
    path.rsplit('/').next().unwrap().parse().unwrap()
}

/// Makes `handle` (signed up through `app`) an instance admin.
async fn make_admin(app: &TestApp, handle: &str) {
    let me = meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap();
    meetinghouse_store::people::set_admin(&app.db, me.id, true).await.unwrap();
}

/// Whether the cache answered a signed-out visitor.
fn from_cache(r: &meetinghouse_testkit::Reply) -> bool {
    r.headers.get("x-page-cache").is_some_and(|v| v == "hit")
}

/// Sends a request by hand through the app (headers a browser sends that
/// `TestApp` leaves out, such as `Content-Length`).
async fn send(app: &TestApp, req: Request<Body>) -> meetinghouse_testkit::Reply {
    let resp = tower::ServiceExt::oneshot(meetinghouse_web::app(app.state.clone()), req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), 10 * 1024 * 1024).await.unwrap();
    meetinghouse_testkit::Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// A page over the cache's largest page (many long replies full of `&`,
/// each written five times as long) is served to signed-out visitors, not
/// turned into a blank 500, and is simply not kept.
#[tokio::test]
async fn pages_too_large_to_cache_are_served_uncached() {
    for db in databases().await {
        let mut ann = cached_app(db).await;
        ann.sign_up("ann").await;
        let path = public_story(&mut ann, "Fish & chips", "Salt & vinegar.").await;
        let id = id_of(&path);
        let conversation = format!("/conversations/story/{id}");
        // (Rendering such a reply takes a while in a debug build: the token
        // is read once, and the pages are loaded as few times as will do.)
        let token = ann.get(&path).await.csrf();
        let body = "&".repeat(9_800);
        for _ in 0..12 {
            let fields = [("csrf", token.as_str()), ("body", body.as_str()), ("pause_confirmed", "on")];
            let r = ann.post_raw_from(&path, &format!("{conversation}/replies"), &fields).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let mut visitor = ann.other_browser();
        for (page, times) in [(path.as_str(), 1), (conversation.as_str(), 2)] {
            for _ in 0..times {
                let r = visitor.get(page).await;
                assert_eq!(r.status, StatusCode::OK, "{page}");
                assert!(r.body.len() > 512 * 1024, "{page}: {} bytes", r.body.len());
                assert!(r.body.trim_end().ends_with("</html>"), "{page}: the whole page");
                assert!(!from_cache(&r), "{page}: too large to keep");
            }
        }
    }
}

/// Changes that only touch the person's own pages (marking notifications
/// read, their email settings, a block or a mute, a vote in a common-ground
/// conversation, whose report is redrawn by a background job) leave the
/// cache of signed-out pages alone; a change others can see still clears it.
#[tokio::test]
async fn changes_to_ones_own_pages_leave_the_page_cache() {
    for db in databases().await {
        let mut ann = cached_app(db).await;
        ann.sign_up("ann").await;
        assert_eq!(ann.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        let fields = [("speak_as", "org:tiverton-museum"), ("topic", "The bandstand"), ("seeds", "Repaint it green\nMove it"), ("allow_anonymous", "on")];
        let r = ann.submit("/common-ground/new", "/common-ground", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let cg = r.location().unwrap().to_string();
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;

        let mut visitor = ann.other_browser();
        visitor.get("/orgs").await;
        assert!(from_cache(&visitor.get("/orgs").await));

        assert_eq!(ann.submit("/notifications", "/notifications/read", &[]).await.status, StatusCode::SEE_OTHER);
        let r = ann.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "off")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(ann.submit("/@bob", "/people/bob/relation", &[("action", "mute")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(ann.submit("/@bob", "/people/bob/relation", &[("action", "block")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(ann.submit("/me/sessions", "/me/sessions/end-others", &[]).await.status, StatusCode::SEE_OTHER);
        let mut guest = ann.other_browser();
        let page = guest.get(&cg).await.body;
        let at = page.find(r#"name="statement" value=""#).expect("a statement to vote on") + r#"name="statement" value=""#.len();
        let statement = page[at..].split('"').next().unwrap().to_string();
        let r = guest.submit(&cg, &format!("{cg}/vote"), &[("statement", statement.as_str()), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(from_cache(&visitor.get("/orgs").await), "none of these changed a page the cache holds");

        // A change others can see clears it.
        assert_eq!(bob.submit("/orgs/new", "/orgs", &[("name", "Bakery Bob"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        let fresh = visitor.get("/orgs").await;
        assert!(!from_cache(&fresh) && fresh.body.contains("Bakery Bob"), "{}", fresh.body);
    }
}

/// An address that cannot be an organisation's or a group's (a NUL, which
/// PostgreSQL cannot hold in text) is "not found", never a query.
#[tokio::test]
async fn addresses_that_cannot_be_slugs_are_not_found() {
    for mut app in apps().await {
        app.sign_up("ann").await;
        for path in [
            "/orgs/a%00b/stories.atom",
            "/groups/a%00b/stories.atom",
            "/orgs/a%00b",
            "/groups/a%00b",
            "/orgs/a%00b/objects",
            "/orgs/a%00b/objects/x",
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
            assert!(r.body.contains("Page not found"), "{path}");
        }
        let r = app.submit("/", "/groups/a%00b/join", &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
}

/// A page past the end of a list is "no such page" (404) with a link to the
/// list's first page, never the first page shown as if it were the one
/// asked for; a page number that is not a number still means the first page.
#[tokio::test]
async fn pages_past_the_end_of_a_list_are_not_found() {
    for mut app in apps().await {
        app.sign_up("ann").await;
        let story = public_story(&mut app, "Lace", "Bobbins").await;
        // The title, the heading and the link name the list.
        make_admin(&app, "ann").await;
        for (path, first, title, list) in [
            ("/groups?page=40", "/groups", "Groups and networks: there is no page 40", "groups and networks"),
            ("/groups?page=99999999999999999999", "/groups", "Groups and networks: there is no such page", "groups and networks"),
            ("/orgs?pag%65=3&x=1", "/orgs?x=1", "Organisations: there is no page 3", "organisations"),
            ("/orgs?page=2", "/orgs", "Organisations: there is no page 2", "organisations"),
            ("/prompts?page=7", "/prompts", "Prompts: there is no page 7", "prompts"),
            ("/common-ground?page=3", "/common-ground", "Common ground: there is no page 3", "common-ground conversations"),
            (&*format!("{story}/history?page=5"), &*format!("{story}/history"), "This story’s history: there is no page 5", "this story’s history"),
            ("/admin/people?page=9", "/admin/people", "Admin list of people: there is no page 9", "people"),
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
            assert!(r.body.contains(&format!("<title>{title} ·")) && r.body.contains(&format!("<h1>{title}</h1>")), "{path}: {}", r.body);
            assert!(r.body.contains(&format!("<a href=\"{first}\">Go to the first page of {list}</a>")), "{path} links to {first}: {}", r.body);
        }
        for path in ["/groups?page=abc", "/groups?page=0", "/groups", "/orgs?page=1", &*format!("{story}/history")] {
            let r = app.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        }
    }
}

/// A group's feed, like its page, leaves out people whose accounts are not
/// active (suspended, banned, waiting for approval).
#[tokio::test]
async fn group_feeds_leave_out_members_who_are_not_active() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let r = ann.submit("/groups/new", "/groups", &[("name", "Town Choir"), ("slug", "choir"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        public_story(&mut ann, "Ann sings", "Tenor.").await;
        // (A ban is a suspension that never ends: the same status.)
        for (who, status) in [("bob", "suspended"), ("dan", "pending")] {
            let mut member = ann.other_browser();
            member.sign_up(who).await;
            assert_eq!(member.submit("/groups/choir", "/groups/choir/join", &[]).await.status, StatusCode::SEE_OTHER);
            public_story(&mut member, &format!("Story by {who}"), "Bass.").await;
            ann.db.execute_admin(&format!("UPDATE people SET status = '{status}' WHERE handle = '{who}'")).await.unwrap();
        }
        let feed = ann.other_browser().get("/groups/choir/stories.atom").await;
        assert_eq!(feed.status, StatusCode::OK);
        assert!(feed.body.contains("Ann sings"), "{}", feed.body);
        assert!(!feed.body.contains("Story by"), "{}", feed.body);
    }
}

/// Error pages show the person as signed in, with the meeting house's name.
#[tokio::test]
async fn error_pages_know_who_is_asking() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        make_admin(&ann, "ann").await;
        let settings = meetinghouse_core::settings::Settings::load(&ann.db).await.unwrap();
        let r = ann
            .submit("/admin/settings", "/admin/settings", &[
                ("name", "Tiverton Meeting House"),
                ("tagline", settings.tagline.as_str()),
                ("about", settings.about.as_str()),
                ("code_of_conduct", settings.code_of_conduct.as_str()),
                ("registration", "open"),
            ])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        for path in ["/does/not/exist", "/stories/987654", "/stories/abc", "/orgs/nobody-here"] {
            let r = ann.get(path).await;
            assert!(r.status.is_client_error(), "{path}");
            assert!(r.body.contains("Sign out") && !r.body.contains(">Sign in<") && !r.body.contains(">Join<"), "{path}: {}", r.body);
            assert!(r.body.contains("Tiverton Meeting House") && !r.body.contains("· Meetinghouse</title>"), "{path}: {}", r.body);
            assert!(r.body.contains(r#"href="/admin""#), "{path}: the admin's header");
        }
        let signed_out = ann.other_browser().get("/does/not/exist").await;
        assert!(signed_out.body.contains(">Sign in<") && signed_out.body.contains("Tiverton Meeting House"), "{}", signed_out.body);
        assert!(signed_out.headers.get(header::SET_COOKIE).is_some(), "a signed-out browser still gets its cookie");
    }
}

/// The framework's own refusals (a method an address does not take, a body
/// over the limit, an address it cannot read) are the site's pages in plain
/// words, not an empty body or a line of text.
#[tokio::test]
async fn every_refusal_is_a_page_in_plain_words() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = public_story(&mut ann, "Lace day", "Bobbins.").await;
        for get in ["/logout", &format!("{path}/delete"), "/notifications/read"] {
            let r = ann.get(get).await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{get}");
            assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{get}");
            assert!(r.body.contains("button") && r.body.contains("Sign out"), "{get}: {}", r.body);
            assert!(r.headers.contains_key(header::ALLOW), "{get}: says what it takes");
        }
        // A form over the limit, told before it is read (by its length) or as it is read.
        let token = ann.get("/orgs/new").await.csrf();
        let big = format!("csrf={token}&name={}", "x".repeat(200 * 1024));
        for with_length in [true, false] {
            let mut req = Request::post("/orgs")
                .header(header::COOKIE, ann.cookie_header())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if with_length {
                req = req.header(header::CONTENT_LENGTH, big.len());
            }
            let r = send(&ann, req.body(Body::from(big.clone())).unwrap()).await;
            assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
            assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{}", r.body);
            assert!(r.body.contains("64 KB") && !r.body.contains("length limit exceeded"), "{}", r.body);
        }
        // Between the old limits (64 KB for the form, 128 KB for the body).
        let middling = format!("csrf={token}&name={}", "x".repeat(100 * 1024));
        let req = Request::post("/orgs")
            .header(header::COOKIE, ann.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, middling.len())
            .body(Body::from(middling))
            .unwrap();
        let r = send(&ann, req).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(r.body.contains("64 KB"), "{}", r.body);

        let r = ann.submit(&path, "/stories/abc/delete", &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(!r.body.contains("Cannot parse") && r.body.contains("Sign out"), "{}", r.body);
    }
}

/// The meeting house's name and tagline are one line each.
#[tokio::test]
async fn the_name_and_tagline_are_one_line() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        make_admin(&ann, "ann").await;
        let settings = meetinghouse_core::settings::Settings::load(&ann.db).await.unwrap();
        let r = ann
            .submit("/admin/settings", "/admin/settings", &[
                ("name", "Tiverton\r\nMeeting House"),
                ("tagline", "Stories\nand\tconversations"),
                ("about", settings.about.as_str()),
                ("code_of_conduct", settings.code_of_conduct.as_str()),
                ("registration", "open"),
            ])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let saved = meetinghouse_core::settings::Settings::load(&ann.db).await.unwrap();
        assert_eq!(saved.name, "Tiverton Meeting House");
        assert_eq!(saved.tagline, "Stories and conversations");
    }
}

/// A new invite code is shown on the page that answers the form, never put
/// in an address; an `invite=` in the address shows nothing.
#[tokio::test]
async fn invite_codes_stay_out_of_addresses() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        make_admin(&ann, "ann").await;
        let r = ann.submit("/admin/people", "/admin/invites", &[("note", "for Bea")]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.location().is_none());
        let at = r.body.find("New invite code: <code>").expect("the code is shown") + "New invite code: <code>".len();
        let code = r.body[at..].split('<').next().unwrap().to_string();
        assert!(code.len() >= 16, "{code}");
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
        // The code works for signing up.
        let mut bea = ann.other_browser();
        assert_eq!(bea.get(&format!("/signup?invite={code}")).await.status, StatusCode::OK);

        let r = ann.get("/admin/people?invite=ANYTHING-AT-ALL").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains("ANYTHING-AT-ALL") && !r.body.contains("New invite code"), "{}", r.body);
    }
}

/// `/robots.txt` lets crawlers in, keeps them out of forms and private
/// pages, and names the sitemap; the sitemap lists collection objects.
#[tokio::test]
async fn robots_txt_and_collection_objects_in_the_sitemap() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        assert_eq!(sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        // An instance admin opened its collection: a first import waits for one otherwise (core `collection::jobs`).
        sam.db.execute_admin("UPDATE organisations SET collection_opened_at = 1").await.unwrap();
        let csv = "Object Number,Title\nTIV/1990 a,Lace collar\nTIV.3,Market bell\n";
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "c.csv", "text/csv", csv.as_bytes())]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let story = public_story(&mut sam, "Lace day", "Bobbins.").await;

        let mut crawler = sam.other_browser();
        let robots = crawler.get("/robots.txt").await;
        assert_eq!(robots.status, StatusCode::OK);
        assert!(robots.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
        let base = &sam.state.config.base_url;
        assert!(robots.body.contains("User-agent: *\n"), "{}", robots.body);
        assert!(robots.body.contains(&format!("Sitemap: {base}/sitemap.xml\n")), "{}", robots.body);
        for private in ["/admin", "/me$", "/me/", "/notifications", "/login", "/signup", "/report", "/moderation", "/stories/new"] {
            assert!(robots.body.contains(&format!("Disallow: {private}\n")), "{private}: {}", robots.body);
        }
        assert!(!robots.headers.contains_key(header::SET_COOKIE));
        assert!(!robots.body.contains("Disallow: /me\n") && !robots.body.contains("Disallow: /media"), "images stay crawlable");

        let sitemap = crawler.get("/sitemap.xml").await;
        assert_eq!(sitemap.status, StatusCode::OK);
        assert!(sitemap.body.contains("<urlset"), "small enough for one file: {}", sitemap.body);
        assert!(sitemap.body.contains(&format!("<loc>{base}/orgs/tiverton-museum/objects/TIV%2F1990%20a</loc>")), "{}", sitemap.body);
        assert!(sitemap.body.contains(&format!("<loc>{base}/orgs/tiverton-museum/objects/TIV.3</loc>")), "{}", sitemap.body);
        assert!(sitemap.body.contains(&format!("<loc>{base}{story}</loc>")));
        assert!(!sitemap.headers.contains_key(header::SET_COOKIE));
        // Past the last page of the sitemap: not found; and while it is one
        // file, it has no parts at all.
        for part in ["/sitemap-9.xml", "/sitemap-1.xml", "/sitemap-2.xml"] {
            assert_eq!(crawler.get(part).await.status, StatusCode::NOT_FOUND, "{part}");
        }
    }
}

/// Past 50,000 addresses the sitemap is an index of files of at most
/// 50,000 addresses each.
#[tokio::test]
async fn a_large_sitemap_is_an_index_of_pages() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        assert_eq!(sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        // An instance admin opened its collection: a first import waits for one otherwise (core `collection::jobs`).
        sam.db.execute_admin("UPDATE organisations SET collection_opened_at = 1").await.unwrap();
        let mut csv = String::from("Object Number,Title\n");
        for i in 0..50_001 {
            csv.push_str(&format!("T.{i},Object {i}\n"));
        }
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "c.csv", "text/csv", csv.as_bytes())]).await;
        // An import that takes more than a few seconds goes on in the
        // background, and its page says when it is done.
        if r.status == StatusCode::SEE_OTHER {
            let status = r.location().unwrap().to_string();
            tokio::time::timeout(std::time::Duration::from_secs(120), async {
                while !sam.get(&status).await.body.contains("Import finished") {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            })
            .await
            .expect("the import finishes");
        } else {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        public_story(&mut sam, "Lace day", "Bobbins.").await;

        let base = sam.state.config.base_url.clone();
        let mut crawler = sam.other_browser();
        let index = crawler.get("/sitemap.xml").await;
        assert_eq!(index.status, StatusCode::OK);
        assert!(index.body.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"), "{}", index.body);
        let children: Vec<String> = index.body.split("<loc>").skip(1).map(|s| s.split('<').next().unwrap().to_string()).collect();
        assert_eq!(children.len(), 4, "site pages, stories and two of objects: {}", index.body);
        let mut objects = 0;
        let mut seen = std::collections::HashSet::new();
        for (n, child) in children.iter().enumerate() {
            assert_eq!(child, &format!("{base}/sitemap-{}.xml", n + 1));
            let page = crawler.get(child.strip_prefix(base.as_str()).unwrap()).await;
            assert_eq!(page.status, StatusCode::OK, "{child}");
            assert!(page.body.contains("<urlset"), "{child}");
            let urls: Vec<&str> = page.body.split("<loc>").skip(1).map(|s| s.split('<').next().unwrap()).collect();
            assert!(urls.len() <= 50_000, "{child}: {}", urls.len());
            objects += urls.iter().filter(|u| u.contains("/objects/")).count();
            for u in urls {
                assert!(seen.insert(u.to_string()), "{u} listed twice");
            }
        }
        assert_eq!(objects, 50_001);
        assert!(seen.contains(&format!("{base}/orgs/tiverton-museum")) && seen.contains(&format!("{base}/stories/1")), "{seen:?}");
    }
}

/// Feeds, the sitemap and robots.txt set no cookie; feeds may be kept for
/// five minutes by anyone and answer "not modified" to a reader that has
/// the latest version, and only to them: deleting an older entry makes a
/// new version although the newest entry's date stays.
#[tokio::test]
async fn feeds_set_no_cookie_and_can_be_cached() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let r = ann.submit("/groups/new", "/groups", &[("name", "Town Choir"), ("slug", "choir"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(ann.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        let lace = public_story(&mut ann, "Lace day", "Bobbins.").await;
        let fields = [("speak_as", "org:tiverton-museum"), ("title", "From the stores"), ("body", "Boxes."), ("licence", "cc0"), ("visibility", "public")];
        assert_eq!(ann.submit("/stories/new", "/stories", &fields).await.status, StatusCode::SEE_OTHER);
        let mut reader = ann.other_browser();
        for feed in ["/stories.atom", "/groups/choir/stories.atom", "/orgs/tiverton-museum/stories.atom"] {
            let r = reader.get(feed).await;
            assert_eq!(r.status, StatusCode::OK, "{feed}");
            assert!(!r.headers.contains_key(header::SET_COOKIE), "{feed}: {:?}", r.headers);
            assert_eq!(r.headers[header::CACHE_CONTROL], "public, max-age=300", "{feed}");
            let modified = r.headers[header::LAST_MODIFIED].to_str().unwrap().to_string();
            assert!(modified.ends_with(" GMT"), "{modified}");
            let tag = r.headers[header::ETAG].to_str().unwrap().to_string();
            let again = reader.get_with(feed, &[("if-none-match", tag.as_str())]).await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{feed}");
            assert_eq!(again.headers[header::ETAG], tag.as_str(), "{feed}");
            assert!(again.body.is_empty() && !again.headers.contains_key(header::SET_COOKIE));
            let older = reader.get_with(feed, &[("if-none-match", "\"an-older-version\"")]).await;
            assert_eq!(older.status, StatusCode::OK, "{feed}");
            assert!(older.body.contains("<feed"), "{feed}");
        }
        // Deleting the older story leaves the newest entry's date where it
        // was; the reader that had the feed with it still gets the new one.
        let before = reader.get("/stories.atom").await;
        assert!(before.body.contains("Lace day"));
        let tag = before.headers[header::ETAG].to_str().unwrap().to_string();
        let modified = before.headers[header::LAST_MODIFIED].to_str().unwrap().to_string();
        assert_eq!(ann.submit(&lace, &format!("{lace}/delete"), &[]).await.status, StatusCode::SEE_OTHER);
        let after = reader.get_with("/stories.atom", &[("if-none-match", tag.as_str()), ("if-modified-since", modified.as_str())]).await;
        assert_eq!(after.status, StatusCode::OK, "a deletion is a new version");
        assert!(!after.body.contains("Lace day") && after.body.contains("From the stores"), "{}", after.body);
        assert_eq!(after.headers[header::LAST_MODIFIED], modified.as_str(), "the newest entry did not change");
        assert!(reader.cookie("mh_anon").is_none(), "no cookie from feeds");
        // Even a browser holding a flash message keeps it for the page that shows it.
        reader.set_cookie("mh_flash", "Saved");
        for path in ["/stories.atom", "/sitemap.xml", "/robots.txt"] {
            let r = reader.get(path).await;
            assert!(!r.headers.contains_key(header::SET_COOKIE), "{path}: {:?}", r.headers);
        }
    }
}

/// A page of results past the last says so and leads back to the first.
#[tokio::test]
async fn search_past_the_last_page_leads_back_to_the_first() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        public_story(&mut ann, "The museum reopens", "At last.").await;
        let first = ann.get("/search?q=museum").await;
        assert!(first.body.contains("The <mark>museum</mark> reopens") || first.body.contains("<mark>museum</mark>"), "{}", first.body);
        let past = ann.get("/search?q=museum&page=4").await;
        assert_eq!(past.status, StatusCode::OK);
        assert!(!past.body.contains("Nothing found"), "{}", past.body);
        assert!(past.body.contains("There are no more results for “museum” on this page."), "{}", past.body);
        assert!(past.body.contains(r#"href="/search?q=museum&#38;page=1""#), "{}", past.body);
        assert!(!past.body.contains("Previous page"), "{}", past.body);
        let none = ann.get("/search?q=zeppelin").await;
        assert!(none.body.contains("Nothing found for “zeppelin”"), "{}", none.body);
    }
}

/// Results say what they are in words and show text as readers see it,
/// not Markdown's marks; a search with a common word says where it stops.
#[tokio::test]
async fn search_results_read_as_words_and_say_when_they_stop_short() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        public_story(&mut ann, "Sundays", "We went to **the mill** by the [river](https://example.org).").await;
        let found = ann.get("/search?q=mill").await.body;
        assert!(found.contains("<span class=\"meta\">Story · "), "{found}");
        assert!(found.contains("We went to the <mark>mill</mark> by the river.") && !found.contains("**"), "{found}");
        assert!(!found.contains("newest 200 matches"), "{found}");

        let mut tx = ann.db.begin().await.unwrap();
        let titles: Vec<(i64, String)> = (1..=meetinghouse_store::search::COMMON_WORD + 1).map(|i| (i, format!("Harbour photograph {i}"))).collect();
        let docs: Vec<(i64, &str, &str, i64)> = titles.iter().map(|(i, t)| (*i, t.as_str(), "A view of the harbour.", 1_700_000_000 + i)).collect();
        meetinghouse_core::search::index_many(&mut tx, &ann.db, "object", &docs, true).await.unwrap();
        tx.commit().await.unwrap();
        let note = "Only the newest 200 matches are shown, since a word you searched for is common. Add another word to find older ones.";
        let first = ann.get("/search?q=harbour").await.body;
        assert!(first.contains("Collection object · ") && !first.contains(note), "{first}");
        let last = ann.get("/search?q=harbour&page=10").await.body;
        assert!(last.contains(note) && !last.contains("rel=\"next\""), "{last}");
    }
}

/// The `<updated>` of a feed (Atom requires one).
fn feed_updated(body: &str) -> &str {
    body.split("<updated>").nth(1).and_then(|rest| rest.split("</updated>").next()).unwrap_or_else(|| panic!("no updated: {body}"))
}

/// A feed with no entries says when what it belongs to was made (an
/// organisation, a group), not 1 January 1970; with entries, the newest
/// entry's time when that is later. The whole town's feed with no story
/// yet says the time of the request.
#[tokio::test]
async fn an_empty_feed_is_updated_when_what_it_belongs_to_was_made() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let r = ann.submit("/groups/new", "/groups", &[("name", "Town Choir"), ("slug", "choir"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(ann.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        // Made on 14 November 2023, so the time is not the test's own.
        ann.db.execute_admin("UPDATE organisations SET created_at = 1700000000 WHERE slug = 'tiverton-museum'").await.unwrap();
        ann.db.execute_admin("UPDATE community_groups SET created_at = 1700000060 WHERE slug = 'choir'").await.unwrap();
        let mut reader = ann.other_browser();
        let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let town = reader.get("/stories.atom").await;
        let after = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert!(!town.body.contains("<entry>"));
        let at = feed_updated(&town.body);
        assert!(before.as_str() <= at && at <= after.as_str(), "the time of the request: {at} ({before}–{after})");
        let org = reader.get("/orgs/tiverton-museum/stories.atom").await;
        assert_eq!(org.status, StatusCode::OK);
        assert_eq!(feed_updated(&org.body), "2023-11-14T22:13:20Z", "{}", org.body);
        let group = reader.get("/groups/choir/stories.atom").await;
        assert_eq!(feed_updated(&group.body), "2023-11-14T22:14:20Z", "{}", group.body);
        for body in [&town.body, &org.body, &group.body] {
            assert!(!body.contains("1970-01-01"), "{body}");
        }
        // With an entry, the entry's time (later than the organisation's).
        let fields = [("speak_as", "org:tiverton-museum"), ("title", "From the stores"), ("body", "Boxes."), ("licence", "cc0"), ("visibility", "public")];
        assert_eq!(ann.submit("/stories/new", "/stories", &fields).await.status, StatusCode::SEE_OTHER);
        let org = reader.get("/orgs/tiverton-museum/stories.atom").await;
        assert!(org.body.contains("<entry>") && feed_updated(&org.body) >= before.as_str(), "{}", org.body);
    }
}

/// Behind a proxy on this machine that adds no `X-Forwarded-For` (nginx's
/// `proxy_pass` on its own), every visitor arrives from the proxy's
/// address: with that address given as a trusted proxy, nothing from it
/// counts as the operator on this machine, so the figures need the token.
#[tokio::test]
async fn metrics_behind_a_trusted_proxy_need_the_token() {
    let db = databases().await.remove(0);
    let config = meetinghouse_web::WebConfig {
        // (The test router's requests come from 127.0.0.1.)
        trusted_proxies: vec![std::net::IpAddr::from([127, 0, 0, 1])],
        metrics_token: Some(meetinghouse_web::Secret("scrape-me-7d21".into())),
        ..meetinghouse_testkit::web_config()
    };
    let mut app = TestApp::with_config(db.clone(), config).await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no forwarded-for header, from the proxy: {}", r.body);
    assert!(!r.body.contains("meetinghouse_http"));
    assert_eq!(app.get_with("/metrics", &[("x-forwarded-for", "127.0.0.1")]).await.status, StatusCode::NOT_FOUND);
    let r = app.get_with("/metrics", &[("authorization", "Bearer scrape-me-7d21")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("meetinghouse_db_pool_connections"));
    // With no proxy configured, a client on this machine reads them directly.
    assert_eq!(TestApp::new(db).await.get("/metrics").await.status, StatusCode::OK);
}

/// The moderation log's table scrolls inside its own labelled, focusable
/// region, so the page reflows at 320 px (WCAG 1.4.10).
#[tokio::test]
async fn the_moderation_log_table_scrolls_in_its_own_region() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        make_admin(&ann, "ann").await;
        // (An empty log has no table: one entry first.)
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let story = public_story(&mut bea, "The old mill", "It ground corn.").await;
        let mut tx = ann.db.begin().await.unwrap();
        meetinghouse_store::moderation::insert_report(&mut tx, None, "story", id_of(&story), "spam", "", None).await.unwrap();
        tx.commit().await.unwrap();
        let (act, seen) = meetinghouse_testkit::queue_form_for(&ann.get("/moderation").await.body, "The old mill");
        let r = ann.submit("/moderation", &act, &[("action", "warn"), ("note", "Please credit the photographer."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = ann.get("/moderation/log").await;
        assert_eq!(r.status, StatusCode::OK);
        let region = r#"<div class="table-scroll" role="region" aria-labelledby="log-caption" tabindex="0">"#;
        let (start, table) = (r.body.find(region).expect("a scrolling region"), r.body.find("<table").unwrap());
        assert!(start < table && r.body[table..].contains(r#"<caption id="log-caption""#), "{}", r.body);
        let end = table + r.body[table..].find("</table>").unwrap() + "</table>".len();
        assert!(r.body[end..].trim_start().starts_with("</div>"), "the region holds the table: {}", r.body);
    }
}

/// The report form shows what is reported and links to it; its radios are
/// tied to their error; a refused form is titled "Error: …"; a sent report
/// returns to the reply, its thanks in the title; a form whose token
/// expired comes back with what was typed and a fresh token that works.
#[tokio::test]
async fn a_report_shows_what_it_is_about_and_returns_to_it() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let story = public_story(&mut ann, "The old mill", "It ground corn until 1950.").await;
        let r = ann.submit(&story, &format!("/conversations/story/{}/replies", id_of(&story)), &[("body", "Mills are dull, frankly.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let reply = r.location().unwrap().to_string();
        let id = reply.rsplit('/').next().unwrap().to_string();
        let form = format!("/report?kind=reply&target={id}");
        let mut cal = ann.other_browser();
        cal.sign_up("cal").await;
        let page = cal.get(&form).await.body;
        assert!(page.contains("<title>Report a reply ·"), "{page}");
        assert!(page.contains(&format!("<a href=\"/replies/{id}\">A reply by ann</a>")) && page.contains("Mills are dull, frankly."), "{page}");

        let fields = [("target_kind", "reply"), ("target", id.as_str()), ("details", "Rude to everyone.")];
        let r = cal.submit(&form, "/report", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("<title>Error: Report a reply ·"), "{}", r.body);
        assert!(r.body.contains(r#"value="harassment" aria-invalid="true" aria-describedby="category-error">"#), "{}", r.body);
        assert!(r.body.contains("Rude to everyone."), "kept");

        // Expired: shown again, nothing filed; its new token works.
        let stale = [("csrf", "stale-token"), ("target_kind", "reply"), ("target", id.as_str()), ("category", "harassment"), ("details", "Rude to everyone, again.")];
        let r = cal.post_raw_from(&form, "/report", &stale).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("Your form had expired, so nothing was sent") && r.body.contains("Rude to everyone, again."), "{}", r.body);
        assert!(r.body.contains(r#"value="harassment" checked"#), "the choice kept: {}", r.body);
        assert!(meetinghouse_store::moderation::open_reports(&cal.db, None, 0, 10).await.unwrap().is_empty(), "nothing filed");
        let token = r.csrf();
        let mut again = vec![("csrf", token.as_str())];
        again.extend_from_slice(&stale[1..]);
        let r = cal.post_raw_from(&form, "/report", &again).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), Some(reply.as_str()), "back to the reply");
        let back = cal.follow(&r).await.body;
        assert!(back.contains("<title>Thank you for your report."), "{back}");
    }
}

/// Every page answering a form with errors says "Error:" first in its
/// title (rendered in one place); fields without a hint or an error carry
/// no empty `aria-describedby`; a search's title names what was searched.
#[tokio::test]
async fn error_pages_say_so_in_the_title_and_fields_carry_no_empty_descriptions() {
    for mut ann in apps().await {
        let login = ann.get("/login").await.body;
        assert!(!login.contains(r#"aria-describedby="""#), "{login}");
        assert!(login.contains("<title>Sign in ·"), "{login}");
        let r = ann.submit("/login", "/login", &[("email", "nobody@example.org"), ("password", "wrong wrong wrong")]).await;
        assert!(r.status.is_client_error(), "{}", r.status);
        assert!(r.body.contains("<title>Error: Sign in ·"), "{}", r.body);
        let r = ann.submit("/signup", "/signup", &[("email", "x"), ("handle", ""), ("password", "short")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("<title>Error: "), "{}", r.body);
        assert!(!r.body.contains(r#"aria-describedby="""#) && !r.body.contains(r#"-hint ""#), "{}", r.body);
        let found = ann.get("/search?q=canal").await.body;
        assert!(found.contains("<title>Search results for “canal” ·"), "{found}");
        assert!(!found.contains("<title>Error"), "{found}");
    }
}

/// A label's page says what "Back" goes back to; a story its author
/// deleted has no label until restored, and one the moderators removed
/// says so, without telling the author to restore it.
#[tokio::test]
async fn label_pages_say_where_back_goes_and_why_a_removed_story_has_none() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        make_admin(&ann, "ann").await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let story = public_story(&mut bea, "The old mill", "It ground corn.").await;
        let label = bea.get(&format!("{story}/label")).await.body;
        assert!(label.contains(&format!("<a href=\"{story}\">Back to “The old mill”</a>")), "{label}");

        let id = id_of(&story);
        let mut tx = ann.db.begin().await.unwrap();
        meetinghouse_store::moderation::insert_report(&mut tx, None, "story", id, "spam", "", None).await.unwrap();
        tx.commit().await.unwrap();
        let queue = ann.get("/moderation").await.body;
        let (act, seen) = meetinghouse_testkit::queue_form_for(&queue, "The old mill");
        let r = ann.submit("/moderation", &act, &[("action", "hide"), ("note", "Not yours to share."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = bea.get(&format!("{story}/label")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("The moderators removed this story, so it has no label.") && !r.body.contains("Restore it first"), "{}", r.body);
    }
}

/// The `<input …>` tag whose id is `id` (as the `input` macro writes it).
fn input_tag<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body.find(&format!("<input id=\"{id}\"")).unwrap_or_else(|| panic!("no input {id}: {body}"));
    &body[at..at + body[at..].find('>').unwrap() + 1]
}

/// What password managers read: the account is the email address, the
/// same field on signing up and signing in (the handle is a nickname);
/// a new password is "new-password", the current one "current-password";
/// the password-change form names the account in a hidden, read-only field.
#[tokio::test]
async fn password_managers_pair_passwords_with_the_email_address() {
    for mut ann in apps().await {
        let signup = ann.get("/signup").await.body;
        assert!(input_tag(&signup, "email").contains(r#"autocomplete="username""#), "{signup}");
        assert!(input_tag(&signup, "handle").contains(r#"autocomplete="nickname""#), "{signup}");
        assert!(input_tag(&signup, "password").contains(r#"autocomplete="new-password""#), "{signup}");
        let login = ann.get("/login").await.body;
        assert!(input_tag(&login, "email").contains(r#"autocomplete="username""#), "{login}");
        assert!(input_tag(&login, "password").contains(r#"autocomplete="current-password""#), "{login}");

        ann.sign_up("ann").await;
        let profile = ann.get("/me/profile").await.body;
        assert!(input_tag(&profile, "current_password").contains(r#"autocomplete="current-password""#), "{profile}");
        assert!(input_tag(&profile, "new_password").contains(r#"autocomplete="new-password""#), "{profile}");
        let form = &profile[profile.find(r#"name="form" value="password""#).unwrap()..];
        let form = &form[..form.find("</form>").unwrap()];
        assert!(form.contains(r#"<input type="email" value="ann@example.org" autocomplete="username" readonly hidden>"#), "{form}");
        assert_eq!(profile.matches(r#"autocomplete="username""#).count(), 1, "only in the password form: {profile}");

        // A reset link's form names the account too, and again when it is refused.
        ann.sign_out().await;
        assert_eq!(ann.submit("/reset", "/reset", &[("email", "ann@example.org")]).await.location(), Some("/reset?sent=1"));
        let mail = meetinghouse_store::outbox::recent(&ann.db, 50).await.unwrap().into_iter().find(|m| m.kind == "reset").expect("the reset email");
        let marker = "/reset/confirm?token=";
        let at = mail.body.find(marker).unwrap() + marker.len();
        let token: String = mail.body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let confirm = format!("{marker}{token}");
        let hidden = r#"<input type="email" value="ann@example.org" autocomplete="username" readonly hidden>"#;
        let page = ann.get(&confirm).await.body;
        assert!(page.contains(hidden) && input_tag(&page, "password").contains(r#"autocomplete="new-password""#), "{page}");
        let r = ann.submit(&confirm, "/reset/confirm", &[("token", &token), ("password", "short")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(hidden), "{}", r.body);
        let dead = ann.get("/reset/confirm?token=0123456789abcdef").await.body;
        assert!(!dead.contains("autocomplete=\"username\""), "{dead}");
    }
}

/// The code of conduct's link stands before the checkbox, not inside the
/// checkbox's label.
#[tokio::test]
async fn the_conduct_link_is_not_inside_the_checkbox_label() {
    for mut app in apps().await {
        let page = app.get("/signup").await.body;
        let label = r#"<label for="accept_conduct" class="inline-label">I have read and accept the code of conduct</label>"#;
        let (link, checkbox) = (page.find(r#"<a href="/conduct">code of conduct</a>"#), page.find(r#"<input type="checkbox" id="accept_conduct""#));
        assert!(page.contains(label) && link.is_some() && link < checkbox, "{page}");
    }
}

/// A sign-in or sign-up form whose token expired comes back with what was
/// typed (never the password), says so, does nothing, and its new token
/// works.
#[tokio::test]
async fn expired_sign_in_and_sign_up_forms_keep_what_was_typed() {
    for mut app in apps().await {
        app.get("/signup").await;
        let typed = [
            ("csrf", "stale-token"),
            ("email", "bea@example.org"),
            ("handle", "bea_b"),
            ("display_name", "Bea Baker"),
            ("password", "a secret pass phrase"),
            ("accept_conduct", "on"),
        ];
        let r = app.post_raw_from("/signup", "/signup", &typed).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("Your form had expired, so nothing was sent"), "{}", r.body);
        for kept in [r#"value="bea@example.org""#, r#"value="bea_b""#, r#"value="Bea Baker""#, r#"value="on" checked"#] {
            assert!(r.body.contains(kept), "{kept}: {}", r.body);
        }
        assert!(!r.body.contains("a secret pass phrase"), "never the password");
        assert!(meetinghouse_store::people::by_handle(&app.db, "bea_b").await.unwrap().is_none(), "no account made");
        let mut again = vec![("csrf", r.csrf())];
        again.extend(typed[1..].iter().map(|(k, v)| (*k, v.to_string())));
        let fields: Vec<(&str, &str)> = again.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(app.post_raw_from("/signup", "/signup", &fields).await.location(), Some("/signup?sent=1"));

        let stale = [("csrf", "stale-token"), ("email", "bea@example.org"), ("password", "a secret pass phrase"), ("next", "/me/data")];
        let r = app.post_raw_from("/login", "/login", &stale).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("Your form had expired, so nothing was sent") && r.body.contains("<title>Error: Sign in ·"), "{}", r.body);
        // The only problem is the whole form's: said once, in the summary,
        // not as a link to the same sentence below it.
        assert_eq!(r.body.matches("Your form had expired").count(), 1, "{}", r.body);
        let summary = &r.body[r.body.find(r#"<div class="error-summary" role="alert""#).expect("the summary")..];
        assert!(summary[..summary.find("</div>").unwrap()].contains(r#"<p id="form">Your form had expired"#), "{}", r.body);
        assert!(!r.body.contains(r##"href="#form""##), "{}", r.body);
        assert!(r.body.contains(r#"value="bea@example.org""#) && r.body.contains(r#"value="/me/data""#), "{}", r.body);
        assert!(!r.body.contains("a secret pass phrase"), "never the password");
        assert!(app.cookie("mh_session").is_none() && app.cookie("__Host-mh_session").is_none(), "not signed in");
        let token = r.csrf();
        let fresh = [("csrf", token.as_str()), ("email", "bea@example.org"), ("password", "a secret pass phrase"), ("next", "/me/data")];
        assert_eq!(app.post_raw_from("/login", "/login", &fresh).await.location(), Some("/me/data"));
    }
}

/// `/me/data`: when the downloads an hour are spent, the problem is said
/// at the top of the page (under the heading), in numbers.
#[tokio::test]
async fn too_many_downloads_are_said_at_the_top() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let limit = meetinghouse_core::personal_data::DOWNLOADS.limit;
        for _ in 0..limit {
            assert_eq!(ann.submit("/me/data", "/me/data", &[]).await.status, StatusCode::OK);
        }
        let r = ann.submit("/me/data", "/me/data", &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        let (h1, summary, contents) = (r.body.find("<h1>").unwrap(), r.body.find(r#"class="error-summary""#), r.body.find("<h2>What is in it"));
        assert!(summary.is_some_and(|at| h1 < at) && summary < contents, "{}", r.body);
        assert!(r.body.contains("<title>Error: Download your data ·"), "{}", r.body);
        assert!(r.body.contains(&format!("You have downloaded your data {limit} times in the last hour")), "{}", r.body);
    }
}

/// `/me/sessions`' table scrolls in its own region, so its buttons stay
/// on the screen at 320 px (WCAG 1.4.10).
#[tokio::test]
async fn the_sessions_table_scrolls_in_its_own_region() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let body = ann.get("/me/sessions").await.body;
        let region = r#"<div class="table-scroll" role="region" aria-labelledby="sessions-caption" tabindex="0">"#;
        let (start, table) = (body.find(region).expect("a scrolling region"), body.find("<table").unwrap());
        assert!(start < table && body[table..].contains(r#"<caption id="sessions-caption""#), "{body}");
        let end = table + body[table..].find("</table>").unwrap() + "</table>".len();
        assert!(body[end..].trim_start().starts_with("</div>"), "{body}");
    }
}

/// A reply's "Thank privately" and "edited" links begin with the words
/// they show (WCAG 2.5.3), then say whose reply in hidden text.
#[tokio::test]
async fn reply_links_start_with_their_visible_words() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let story = public_story(&mut ann, "The old mill", "It ground corn.").await;
        let r = ann.submit(&story, &format!("/conversations/story/{}/replies", id_of(&story)), &[("body", "My gran worked there.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let reply = r.location().unwrap().to_string();
        let id = id_of(&reply);
        // (Written a minute ago, so the edit is later by the clock's seconds.)
        ann.db.execute_admin(&format!("UPDATE replies SET created_at = created_at - 60 WHERE id = {id}")).await.unwrap();
        let edit = format!("{reply}/edit");
        assert_eq!(ann.submit(&edit, &edit, &[("body", "My gran worked there, in 1950.")]).await.status, StatusCode::SEE_OTHER);
        let own = ann.get(&story).await.body;
        assert!(own.contains(&format!(r#"<a href="/replies/{id}/history">edited<span class="visually-hidden"> – earlier versions of your reply</span></a>"#)), "{own}");
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let page = bob.get(&story).await.body;
        assert!(page.contains(&format!(r#"<a href="/replies/{id}/history">edited<span class="visually-hidden"> – earlier versions of the reply by ann</span></a>"#)), "{page}");
        assert!(page.contains(&format!(r#"<a href="/replies/{id}#thank">Thank privately<span class="visually-hidden">: ann</span></a>"#)), "{page}");
    }
}

/// A search refused for the rate limit is the search page again, titled
/// so, with the form and the words searched for, and when to try again.
#[tokio::test]
async fn a_search_refused_for_the_rate_limit_keeps_the_form() {
    for mut app in apps().await {
        let mut refused = None;
        for _ in 0..2 * meetinghouse_web::SEARCHES_PER_ADDRESS {
            let r = app.get("/search?q=lace+bobbins&type=story").await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                refused = Some(r);
                break;
            }
            assert_eq!(r.status, StatusCode::OK);
        }
        let r = refused.expect("refused in the end");
        assert_eq!(r.headers[header::RETRY_AFTER], "60");
        assert!(r.body.contains("<title>Search: please slow down ·"), "{}", r.body);
        assert!(r.body.contains(r#"role="alert""#) && r.body.contains("Please wait a minute"), "{}", r.body);
        assert!(r.body.contains(r#"<input id="q" name="q" type="search" value="lace bobbins""#), "{}", r.body);
        assert!(r.body.contains(r#"value="story" checked"#), "{}", r.body);
        assert!(!r.body.contains("Nothing found"), "{}", r.body);
    }
}

/// The moderation pages in plain words: the queue's button says what it
/// does, the report form that nobody is told who reported, and an empty
/// log is one sentence, not an empty table.
#[tokio::test]
async fn moderation_pages_in_plain_words() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        make_admin(&ann, "ann").await;
        let log = ann.get("/moderation/log").await.body;
        assert!(log.contains("<p>Nothing yet.</p>") && !log.contains("<table"), "{log}");
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let story = public_story(&mut bea, "The old mill", "It ground corn.").await;
        let report = ann.get(&format!("/report?kind=story&target={}", id_of(&story))).await.body;
        assert!(report.contains("Nobody is told who reported.") && !report.contains("public list of who reported"), "{report}");
        let mut tx = ann.db.begin().await.unwrap();
        meetinghouse_store::moderation::insert_report(&mut tx, None, "story", id_of(&story), "spam", "", None).await.unwrap();
        tx.commit().await.unwrap();
        let queue = ann.get("/moderation").await.body;
        assert!(queue.contains(r#"<button type="submit">Apply this decision <span class="visually-hidden">to report "#) && !queue.contains("Do it"), "{queue}");
    }
}

/// `/admin` says how many sign-ups wait for approval and links to them;
/// `/admin/people` lists them first, oldest first, "waiting for approval".
#[tokio::test]
async fn sign_ups_waiting_for_approval_are_counted_and_listed_first() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        make_admin(&ann, "ann").await;
        assert!(!ann.get("/admin").await.body.contains("waiting for approval"), "none wait");
        for who in ["bea", "cal", "dan"] {
            ann.other_browser().sign_up(who).await;
        }
        for (who, n) in [("bea", "1 sign-up"), ("cal", "2 sign-ups")] {
            ann.db.execute_admin(&format!("UPDATE people SET status = 'pending' WHERE handle = '{who}'")).await.unwrap();
            let admin = ann.get("/admin").await.body;
            assert!(admin.contains(&format!(r#"<a href="/admin/people#everyone"><strong>{n} waiting for approval</strong></a>"#)), "{admin}");
        }
        let list = ann.get("/admin/people").await.body;
        let at = |handle: &str| list.find(&format!(r#"<a href="/@{handle}">"#)).unwrap_or_else(|| panic!("{handle}: {list}"));
        assert!(at("bea") < at("cal") && at("cal") < at("dan") && at("dan") < at("ann"), "waiting first, oldest first; then newest first: {list}");
        assert!(list.contains("<td>waiting for approval</td>") && !list.contains("<td>pending</td>"), "{list}");
        assert!(list.contains(r#"<h2 id="everyone">"#), "{list}");
    }
}
