//! Test support. `databases()` gives a fresh SQLite database, plus a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set, so each test runs on
//! both backends without sharing state. `TestApp` drives the real router in
//! process with a cookie jar and reads CSRF tokens from the HTML, as a
//! browser would.

use std::collections::HashMap;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use meetinghouse_store::{Db, DbOptions, test_databases};
use tower::ServiceExt;

/// A fresh, migrated SQLite database in a temporary directory.
pub async fn sqlite() -> Db {
    let dir = test_databases::temp_dir("mh_test");
    let db = Db::open_sqlite(&dir.join("test.db"), &DbOptions { max_connections: 4 }).await.expect("open sqlite");
    db.migrate().await.expect("migrate sqlite");
    db
}

/// A fresh, migrated PostgreSQL database, if `TEST_DATABASE_URL` is set.
/// (Databases that earlier test processes left are dropped: `test_databases`.)
pub async fn postgres() -> Option<Db> {
    let url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
    let url = test_databases::create(&url, "mh_test").await.expect("create a test database at TEST_DATABASE_URL");
    let db = Db::connect(&url, &DbOptions { max_connections: 4 }).await.expect("connect to the test database");
    db.migrate().await.expect("migrate postgres");
    Some(db)
}

/// Every backend this run tests: SQLite always, PostgreSQL when configured.
pub async fn databases() -> Vec<Db> {
    let mut out = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        out.push(pg);
    }
    out
}

/// The web defaults, with uploads kept in a marked temporary directory that a
/// later test process removes (`test_databases::temp_dir`).
/// On PostgreSQL, returns once some session of the database waits for a
/// lock (or `acting` has finished without waiting): for race tests that hold
/// a row lock in one transaction, start the action in `acting`, and commit
/// only when the action is blocked behind it. Panics when the action never
/// waits, so such a test cannot pass by the action running first.
pub async fn until_waiting_for_a_lock<T>(db: &Db, acting: &tokio::task::JoinHandle<T>, what: &str) {
    let waiting = "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock') \
                   THEN RAISE EXCEPTION 'nobody is waiting yet'; END IF; END $$";
    let mut tries = 0;
    while !acting.is_finished() && db.execute_admin(waiting).await.is_err() {
        tries += 1;
        assert!(tries < 10_000, "{what} never waited for the lock");
        tokio::task::yield_now().await;
    }
}

pub fn web_config() -> meetinghouse_web::WebConfig {
    let media = meetinghouse_media::LocalStore::new(test_databases::temp_dir("mh_media"));
    meetinghouse_web::WebConfig { media: meetinghouse_media::MediaStore::Local(media), ..meetinghouse_web::WebConfig::default() }
}

/// The in-process app on every backend this run tests, one fresh database each.
pub async fn apps() -> Vec<TestApp> {
    let mut out = Vec::new();
    for db in databases().await {
        out.push(TestApp::new(db).await);
    }
    out
}

/// A response as tests need it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }
    /// The CSRF token in the first form on the page.
    pub fn csrf(&self) -> String {
        csrf_from_html(&self.body).expect("the page has a form with a CSRF token")
    }
}

/// Reads `name="csrf" value="…"` from HTML.
pub fn csrf_from_html(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf" value=""#)?;
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    Some(rest[..rest.find('"')?].to_string())
}

/// A collection record with only an accession number and a title: no
/// images (`[]`), no extra fields (`{}`), the accession number as its
/// content hash. Tests set other fields with `..object_record(…)`.
pub fn object_record(accession: &str, title: &str) -> meetinghouse_store::objects::NewObject {
    meetinghouse_store::objects::NewObject {
        accession_number: accession.into(),
        key: accession.to_lowercase(),
        title: title.into(),
        makers: String::new(),
        display_date: String::new(),
        earliest_year: None,
        latest_year: None,
        medium: String::new(),
        dimensions: String::new(),
        description: String::new(),
        credit_line: String::new(),
        rights: String::new(),
        image_urls: "[]".into(),
        source_url: String::new(),
        classification: String::new(),
        extra: "{}".into(),
        content_hash: accession.into(),
    }
}

/// Writes `record` to organisation `org`'s collection, as an import does;
/// returns its id.
pub async fn add_object(db: &Db, org: i64, record: meetinghouse_store::objects::NewObject) -> i64 {
    let key = record.key.clone();
    let mut tx = db.begin().await.unwrap();
    let id = meetinghouse_store::objects::upsert_many(&mut tx, db.backend(), org, &[record]).await.unwrap()[&key];
    tx.commit().await.unwrap();
    id
}

/// Where a moderation queue page's form for the item about `text` posts,
/// and the version of the text it showed (field `seen`).
pub fn queue_form_for(queue: &str, text: &str) -> (String, String) {
    let item = queue.split("<li id=\"item-").find(|item| item.contains(text)).unwrap_or_else(|| panic!("no item about {text}: {queue}"));
    let form = item.split("action=\"/moderation/").nth(1).unwrap();
    let act = format!("/moderation/{}", form.split('"').next().unwrap());
    let seen = form.split("name=\"seen\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    (act, seen)
}

/// Every `/media/…` address in a page, in order, without repeats.
pub fn media_srcs(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (at, _) in body.match_indices("/media/") {
        let key: String = body[at + "/media/".len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
        let src = format!("/media/{key}");
        if !out.contains(&src) {
            out.push(src);
        }
    }
    out
}

/// The real application, in process, with a cookie jar.
pub struct TestApp {
    pub db: Db,
    pub state: meetinghouse_web::AppState,
    router: axum::Router,
    cookies: HashMap<String, String>,
}

impl TestApp {
    pub async fn new(db: Db) -> TestApp {
        TestApp::with_config(db, web_config()).await
    }

    pub async fn with_config(db: Db, config: meetinghouse_web::WebConfig) -> TestApp {
        let state = meetinghouse_web::AppState::new(db.clone(), config).await.expect("app state");
        let router = meetinghouse_web::app(state.clone());
        TestApp { db, state, router, cookies: HashMap::new() }
    }

    /// A second browser on the same app and database (an empty cookie jar).
    pub fn other_browser(&self) -> TestApp {
        TestApp { db: self.db.clone(), state: self.state.clone(), router: self.router.clone(), cookies: HashMap::new() }
    }

    /// The `Cookie` header this browser sends (for requests made by hand).
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// The value of one cookie in this browser's jar.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// Puts a cookie in this browser's jar, as another site on the same
    /// domain (or the person, by hand) could.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_string(), value.to_string());
    }

    async fn send(&mut self, req: Request<Body>) -> Reply {
        let resp = self.router.clone().oneshot(req).await.expect("router never fails");
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap_or("");
            let first = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = first.split_once('=') {
                if val.is_empty() || s.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), val.to_string());
                }
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 10 * 1024 * 1024).await.expect("body");
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    /// A GET with extra request headers, as a proxy or a scraper would send.
    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::get(path).header(header::COOKIE, self.cookie_header());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Body::empty()).expect("request")).await
    }

    /// Posts a form exactly as given (the caller includes `csrf` or not).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_form(path, fields, None).await
    }

    /// Posts a form exactly as given, from the page `from`.
    pub async fn post_raw_from(&mut self, from: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_form(path, fields, Some(from)).await
    }

    /// Posts a form; `from` is the page it was on, sent as a browser sends it
    /// (`Host` and a same-origin `Referer`).
    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)], from: Option<&str>) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(page) = from {
            let host = self.state.config.base_url.split_once("://").map_or("", |(_, host)| host).to_string();
            req = req.header(header::REFERER, format!("{}{page}", self.state.config.base_url)).header(header::HOST, host);
        }
        self.send(req.body(Body::from(body)).expect("request")).await
    }

    /// Loads `form_page`, takes its CSRF token, and posts `fields` to `path`
    /// from that page.
    pub async fn submit(&mut self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
        let page = self.get(form_page).await;
        let token = page.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all, Some(form_page)).await
    }

    /// Posts `multipart/form-data` exactly as given: text fields, then files
    /// as (field, file name, content type, bytes).
    pub async fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Reply {
        let boundary = "----meetinghouse-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        for (name, filename, content_type, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// Loads `form_page`, takes its CSRF token, and uploads to `path`.
    pub async fn upload(&mut self, form_page: &str, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Reply {
        let token = self.get(form_page).await.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_multipart(path, &all, files).await
    }

    /// Signs up a person, then signs in as them and stays signed in (a
    /// sign-up itself signs nobody in: it answers "check your email" whether
    /// or not the address has an account). Returns the sign-in's answer,
    /// which sets the session cookie.
    pub async fn sign_up(&mut self, handle: &str) -> Reply {
        let email = format!("{handle}@example.org");
        let reply = self
            .submit("/signup", "/signup", &[
                ("email", email.as_str()),
                ("handle", handle),
                ("display_name", handle),
                ("password", "a long enough password"),
                ("accept_conduct", "on"),
            ])
            .await;
        assert_eq!(reply.location(), Some("/signup?sent=1"), "sign-up of {handle} failed: {}", reply.body);
        let reply = self.submit("/login", "/login", &[("email", email.as_str()), ("password", "a long enough password")]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "sign-in of {handle} after sign-up failed: {}", reply.body);
        reply
    }

    pub async fn sign_out(&mut self) {
        let r = self.submit("/me", "/logout", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }

    /// Starts a group from the form, as this browser's person.
    pub async fn start_group(&mut self, name: &str, slug: &str, visibility: &str, policy: &str) {
        let r = self.submit("/groups/new", "/groups", &[("name", name), ("slug", slug), ("visibility", visibility), ("join_policy", policy)]).await;
        assert_eq!(r.location(), Some(format!("/groups/{slug}").as_str()), "{}", r.body);
    }

    /// Follows a redirect and returns the page, with its flash message.
    pub async fn follow(&mut self, r: &Reply) -> Reply {
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        self.get(r.location().unwrap()).await
    }
}
