//! The web layer driven in process through the real router, on every
//! configured backend: forms, CSRF, status codes, kept input, headers.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, databases};

#[tokio::test]
async fn pages_carry_security_headers_and_work_signed_out() {
    for mut app in apps().await {
        for path in ["/", "/orgs", "/groups", "/signup", "/login", "/conduct", "/about", "/reset"] {
            let r = app.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            let csp = r.headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
            assert_eq!(r.headers["x-content-type-options"], "nosniff");
            assert!(r.headers.contains_key("referrer-policy"));
            assert!(r.body.contains(r#"<html lang="en-GB">"#) && r.body.contains(r##"href="#main""##) && r.body.contains("<main"));
        }
        let r = app.get("/no/such/page").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.body.contains("Page not found"));
        assert_eq!(app.get("/@nobody").await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
        let m = app.get("/metrics").await;
        assert!(m.body.contains(r#"meetinghouse_http_requests_total{route="/healthz",method="GET",status="200"} 1"#), "{}", m.body);
        assert!(m.body.contains("meetinghouse_http_request_duration_seconds_bucket"));
        assert!(m.body.contains("meetinghouse_db_pool_connections"));
        assert_eq!(m.headers["cache-control"], "no-store");
        // The operator's figures: mail, jobs, page cache, database errors, writes.
        for series in [
            r#"meetinghouse_outbox_emails{state="waiting"} "#,
            r#"meetinghouse_outbox_emails{state="failed"} 0"#,
            r#"meetinghouse_job_last_success_timestamp_seconds{job="digests"} "#,
            r#"meetinghouse_job_last_success_timestamp_seconds{job="purge"} "#,
            r#"meetinghouse_job_last_success_timestamp_seconds{job="amendments"} "#,
            r#"meetinghouse_job_last_success_timestamp_seconds{job="common_ground"} "#,
            r#"meetinghouse_page_cache_requests_total{result="hit"} "#,
            r#"meetinghouse_db_errors_total{kind="disk_full"} "#,
            "meetinghouse_db_writable 1\n",
        ] {
            assert!(m.body.contains(series), "{series}: {}", m.body);
        }
        // Through a proxy on this machine, the figures are not public.
        let proxied = app.get_with("/metrics", &[("x-forwarded-for", "203.0.113.9")]).await;
        assert_eq!(proxied.status, StatusCode::NOT_FOUND);
        assert!(!proxied.body.contains("meetinghouse_http"));
        // Admin pages are for admins.
        assert_eq!(app.get("/admin").await.status, StatusCode::SEE_OTHER);
        app.sign_up("plain").await;
        assert_eq!(app.get("/admin").await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn sign_up_errors_keep_input_and_never_echo_the_password() {
    for mut app in apps().await {
        let r = app
            .submit("/signup", "/signup", &[
                ("email", "sam@example.org"),
                ("handle", "bad handle!"),
                ("display_name", "Sam Okafor"),
                ("password", "secret-password-123"),
                ("accept_conduct", "on"),
            ])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("There is a problem"));
        assert!(r.body.contains("letters a–z"), "handle message");
        assert!(r.body.contains(r#"value="sam@example.org""#) && r.body.contains(r#"value="Sam Okafor""#), "input kept");
        assert!(!r.body.contains("secret-password-123"), "password never echoed");
        assert!(r.body.contains(r#"aria-invalid="true""#) && r.body.contains("handle-error"));

        let long = "x".repeat(500);
        let r = app
            .submit("/signup", "/signup", &[("email", "x@example.org"), ("handle", "ok"), ("display_name", long.as_str()), ("password", "long enough pw"), ("accept_conduct", "on")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("at most 80 characters"));

        // An address that has an account is not named: the answer is a new
        // account's (tests/signup_privacy.rs), and nothing is made.
        app.sign_up("sam").await;
        app.sign_out().await;
        let r = app
            .submit("/signup", "/signup", &[("email", "SAM@example.org"), ("handle", "another"), ("display_name", "Another"), ("password", "long enough pw"), ("accept_conduct", "on")])
            .await;
        assert_eq!(r.location(), Some("/signup?sent=1"), "{}", r.body);
        assert!(meetinghouse_store::people::by_handle(&app.db, "another").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn sign_in_errors_and_rate_limit() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        app.sign_out().await;
        // Sam's own browser is one the account knows (its known-device
        // cookie): a stranger's browser meets the limits.
        let mut sams = app;
        let mut app = sams.other_browser();
        let r = app.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "wrong password")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("do not match an account") && r.body.contains(r#"value="sam@example.org""#));
        // Empty fields are named, and are no guess.
        for _ in 0..12 {
            let r = app.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "")]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.body.contains("Enter your password.") && !r.body.contains("Enter your email address."), "{}", r.body);
        }
        let r = app.submit("/login", "/login", &[("email", " "), ("password", "")]).await;
        assert!(r.body.contains("Enter your email address.") && r.body.contains("Enter your password."), "{}", r.body);
        let unknown = app.submit("/login", "/login", &[("email", "who@example.org"), ("password", "wrong password")]).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.body.contains("do not match an account"), "same message for unknown email");
        // Per account: ten attempts per quarter hour.
        let mut limited = None;
        for _ in 0..12 {
            let r = app.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "wrong again")]).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                limited = Some(r);
                break;
            }
        }
        let r = limited.expect("sign-in is rate limited per account");
        assert!(r.body.contains("Too many wrong passwords for this account from your connection"), "{}", r.body);
        // Even the right password waits now, and nothing else was written.
        let r = app.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        // Not in Sam's own browser.
        let r = sams.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

/// A page that needs signing in sends the browser to the sign-in form with
/// that page as `next`, and signing in comes back to it; a form's POST or a
/// page elsewhere is never where it comes back to.
#[tokio::test]
async fn signing_in_comes_back_to_the_page_asked_for() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        app.sign_out().await;
        let r = app.get("/me/profile?tab=links").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let login = r.location().unwrap().to_string();
        assert_eq!(login, "/login?need=1&next=%2Fme%2Fprofile%3Ftab%3Dlinks");
        let page = app.get(&login).await;
        assert!(page.body.contains(r#"name="next" value="/me/profile?tab=links""#), "{}", page.body);
        let r = app
            .submit(&login, "/login", &[("email", "sam@example.org"), ("password", "a long enough password"), ("next", "/me/profile?tab=links")])
            .await;
        assert_eq!(r.location(), Some("/me/profile?tab=links"));
        app.sign_out().await;
        // A form sent while signed out is not a page to come back to.
        let csrf = app.get("/login").await.csrf();
        let r = app.post_raw("/orgs", &[("csrf", csrf.as_str()), ("name", "X"), ("sector", "arts")]).await;
        assert_eq!(r.location(), Some("/login?need=1"));
    }
}

#[tokio::test]
async fn csrf_is_required_and_stale_tokens_are_refused() {
    for mut app in apps().await {
        // No token at all (from a browser that has our cookie).
        app.get("/").await;
        let r = app.post_raw("/signup", &[("email", "a@example.org")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Your form had expired"));
        // Sent from the reset page, which posts to its own address: the
        // refusal links back to it. (The sign-up form comes back itself,
        // with what was typed: `site_surface`.)
        let r = app.post_raw_from("/reset", "/reset", &[("email", "a@example.org")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains(r#"<a href="/reset">Go back to the page you were on</a>"#), "{}", r.body);
        // A token from before signing in is stale afterwards.
        let before = app.get("/signup").await.csrf();
        app.sign_up("sam").await;
        let r = app.post_raw("/orgs", &[("csrf", before.as_str()), ("name", "X"), ("sector", "arts")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Another browser's token does not work here.
        let mut other = app.other_browser();
        let foreign = other.get("/signup").await.csrf();
        let r = app.post_raw("/orgs", &[("csrf", foreign.as_str()), ("name", "X"), ("sector", "arts")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(meetinghouse_store::orgs::count(&app.db).await.unwrap(), 0, "nothing written");
    }
}

#[tokio::test]
async fn organisations_and_nested_groups_through_forms() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        let r = app.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage"), ("town", "Tiverton"), ("website", "not a url")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("https://") && r.body.contains(r#"value="Tiverton Museum""#));
        let r = app.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage"), ("town", "Tiverton")]).await;
        assert_eq!(r.location(), Some("/orgs/tiverton-museum"));
        let page = app.get("/orgs/tiverton-museum").await;
        assert!(page.body.contains("Your organisation is created"), "flash shown once");
        assert!(!app.get("/orgs/tiverton-museum").await.body.contains("Your organisation is created"));

        for (name, slug) in [("Tiverton Together", "town"), ("Devon Network", "devon")] {
            let r = app.submit("/groups/new", "/groups", &[("name", name), ("slug", slug), ("visibility", "public"), ("join_policy", "request")]).await;
            assert_eq!(r.location(), Some(format!("/groups/{slug}").as_str()));
        }
        let r = app.submit("/groups/devon", "/groups/devon/members/group", &[("child", "town")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let devon = app.get("/groups/devon").await;
        assert!(devon.body.contains(r#"href="/groups/town""#));
        assert!(app.get("/groups/town").await.body.contains("Part of"));
        // The loop is refused on the re-rendered page with the input kept.
        let r = app.submit("/groups/town", "/groups/town/members/group", &[("child", "devon")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("would make a loop") && r.body.contains(r#"value="devon""#), "{}", r.body);

        // Another person cannot act for the museum.
        let mut other = app.other_browser();
        other.sign_up("stranger").await;
        let r = other.submit("/groups/town", "/groups/town/members/org", &[("org", "tiverton-museum")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Only admins of Tiverton Museum can bring it into a group"), "{}", r.body);
        // …but can ask to join, and a host approves.
        let r = other.submit("/groups/town", "/groups/town/join", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(other.get("/groups/town").await.body.contains("waiting for a host"));
        let host_view = app.get("/groups/town").await;
        assert!(host_view.body.contains("Waiting for approval"));
    }
}

#[tokio::test]
async fn profiles_are_sanitised_and_members_only_groups_hidden() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        let r = app
            .submit("/me/profile", "/me/profile", &[("display_name", "Sam"), ("pronouns", "they/them"), ("bio", "Hi <script>alert(1)</script> *there*"), ("sectors", "heritage"), ("sectors", "arts")])
            .await;
        assert_eq!(r.location(), Some("/@sam"));
        let p = app.get("/@sam").await;
        assert!(p.body.contains("<em>there</em>") && !p.body.contains("<script>alert"));
        assert!(p.body.contains("Heritage") && p.body.contains("Arts") && p.body.contains("they/them"));
        let r = app.submit("/me/profile", "/me/profile", &[("display_name", "Sam"), ("sectors", "astrology")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        app.submit("/groups/new", "/groups", &[("name", "Secret"), ("visibility", "members"), ("join_policy", "invite")]).await;
        assert_eq!(app.get("/groups/secret").await.status, StatusCode::OK);
        let mut outsider = app.other_browser();
        assert_eq!(outsider.get("/groups/secret").await.status, StatusCode::NOT_FOUND);
        assert!(!outsider.get("/groups").await.body.contains("Secret"));
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    for app in apps().await {
        let mut app = app;
        let token = app.get("/signup").await.csrf();
        let req = axum::http::Request::post("/signup")
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!("csrf={token}&email=a%40b.org")))
            .unwrap();
        let r = tower::ServiceExt::oneshot(meetinghouse_web::app(app.state.clone()), req).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

/// Browsers send `Sec-Fetch-Site`: a state-changing request from another
/// site is refused, and so is one from another site on the same domain
/// (`same-site`, say `x.example.org` posting to `town.example.org`); this
/// site's own pages (`same-origin`) and typed-in requests (`none`) pass.
#[tokio::test]
async fn same_site_posts_are_refused_as_well_as_cross_site() {
    for mut app in apps().await {
        let token = app.get("/signup").await.csrf();
        let cookies = app.cookie_header();
        for (site, refused) in [("same-site", true), ("cross-site", true), ("same-origin", false), ("none", false)] {
            let req = axum::http::Request::post("/signup")
                .header("sec-fetch-site", site)
                .header("cookie", &cookies)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!("csrf={token}&email=a%40b.org")))
                .unwrap();
            let r = tower::ServiceExt::oneshot(meetinghouse_web::app(app.state.clone()), req).await.unwrap();
            let status = r.status();
            let body = String::from_utf8_lossy(&axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap()).into_owned();
            assert_eq!(status == StatusCode::FORBIDDEN, refused, "{site}: {status}");
            assert_eq!(body.contains("sent from another website"), refused, "{site}");
        }
    }
}

/// The anonymous cookie is used only if this site issued it (a random value
/// and its signature): a value planted by another site on the same domain,
/// made up, altered, or copied from the demo's browsers is replaced, so
/// whoever planted it learns neither the browser's token nor the form token
/// that goes with it, and cannot sign the browser in to their own account.
#[tokio::test]
async fn only_anonymous_cookies_the_site_issued_are_used() {
    for app in apps().await {
        let planted = "attackerchosen00001";
        // The attacker has an account, and reads the sign-in form's token
        // with the value they plant.
        let mut attacker = app.other_browser();
        attacker.sign_up("mallory").await;
        attacker.sign_out().await;
        attacker.set_cookie("mh_anon", planted);
        let their_token = attacker.get("/login").await.csrf();
        // The visitor's browser carries the planted cookie: it is replaced.
        let mut visitor = app.other_browser();
        visitor.set_cookie("mh_anon", planted);
        let page = visitor.get("/login").await;
        let issued = visitor.cookie("mh_anon").expect("an anonymous cookie").to_string();
        assert_ne!(issued, planted, "the planted value is replaced");
        assert_ne!(page.csrf(), their_token);
        let r = visitor
            .post_raw_from("/login", "/login", &[("csrf", their_token.as_str()), ("email", "mallory@example.org"), ("password", "a long enough password")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "the attacker's token does not sign the visitor in");
        assert_eq!(visitor.get("/me").await.status, StatusCode::SEE_OTHER, "still signed out");

        // What the site issued is kept, with the same form token; anything else is replaced.
        let (random, signature) = issued.split_once('.').expect("a value and its signature");
        let mut altered = random.to_string();
        let last = if altered.ends_with('0') { '1' } else { '0' };
        altered.replace_range(altered.len() - 1.., &last.to_string());
        let forged = [
            random.to_string(),
            format!("{random}."),
            format!("{altered}.{signature}"),
            format!("{random}.{}", "0".repeat(64)),
            format!("{random}.{signature}x"),
            format!("demo-browser-0001.{signature}"),
            "demo-browser-0001".to_string(),
        ];
        for value in forged {
            let mut other = app.other_browser();
            other.set_cookie("mh_anon", &value);
            other.get("/").await;
            let now = other.cookie("mh_anon").unwrap();
            assert!(now != value && now.contains('.'), "{value} was kept");
        }
        let mut same = app.other_browser();
        same.set_cookie("mh_anon", &issued);
        let r = same.get("/login").await;
        assert!(r.headers.get_all(axum::http::header::SET_COOKIE).iter().all(|c| !c.to_str().unwrap().starts_with("mh_anon=")), "an issued value is kept");
        assert_eq!(r.csrf(), page.csrf());
    }
}

/// Under TLS every cookie's name carries the `__Host-` prefix, which
/// browsers accept only from this host itself (`Secure`, `Path=/`, no
/// `Domain`): another site on the same domain cannot set them. The plain
/// names, which any such site can set, are not read at all.
#[tokio::test]
async fn under_tls_cookies_are_host_only_and_plain_names_ignored() {
    for db in databases().await {
        let config = meetinghouse_web::WebConfig { tls: true, ..meetinghouse_testkit::web_config() };
        let mut app = TestApp::with_config(db, config).await;
        let r = app.get("/").await;
        let set: Vec<&str> = r.headers.get_all(axum::http::header::SET_COOKIE).iter().map(|c| c.to_str().unwrap()).collect();
        assert!(set.iter().any(|c| c.starts_with("__Host-mh_anon=")), "{set:?}");
        assert!(set.iter().all(|c| !c.contains("Domain")), "{set:?}");
        app.sign_up("tess").await;
        let session = app.cookie("__Host-mh_session").expect("the session cookie has the prefix").to_string();
        assert_eq!(app.get("/me").await.status, StatusCode::OK);

        // A session cookie under the plain name (as a sibling site could
        // plant one) signs nobody in.
        let mut planted = app.other_browser();
        planted.set_cookie("mh_session", &session);
        assert_eq!(planted.get("/me").await.status, StatusCode::SEE_OTHER, "not signed in by a plain-named cookie");
        // Nor is a plain-named anonymous cookie used, even one this site issued.
        let anon = planted.cookie("__Host-mh_anon").unwrap().to_string();
        let mut copied = app.other_browser();
        copied.set_cookie("mh_anon", &anon);
        copied.get("/").await;
        let fresh = copied.cookie("__Host-mh_anon").expect("a cookie of its own");
        assert_ne!(fresh, anon);
        // A form sent with only an old plain-named cookie (from before the
        // site used the prefix) is "expired", not "cookies blocked".
        let mut old = app.other_browser();
        old.set_cookie("mh_anon", &anon);
        let r = old.post_raw("/signup", &[("csrf", "from-before"), ("email", "a@example.org")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Your form had expired"), "{}", r.body);
    }
}

/// A browser that keeps no cookies sends forms without any: it is told the
/// site needs cookies for forms, not to reload (which would fail again the
/// same way, for ever).
#[tokio::test]
async fn a_browser_without_cookies_is_told_forms_need_them() {
    for app in apps().await {
        let mut browser = app.other_browser();
        let token = browser.get("/signup").await.csrf();
        // The same page, in a browser that kept nothing it was sent.
        let mut no_cookies = app.other_browser();
        let r = no_cookies.post_raw_from("/signup", "/signup", &[("csrf", token.as_str()), ("email", "a@example.org")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Allow cookies for this site"), "{}", r.body);
        assert!(!r.body.contains("Your form had expired"), "{}", r.body);
        assert!(r.body.contains(r#"<a href="/signup">Go back to the page you were on</a>"#), "{}", r.body);
        // A browser with our cookie but a stale token is asked to reload.
        let r = browser.post_raw("/signup", &[("csrf", "stale"), ("email", "a@example.org")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Your form had expired") && !r.body.contains("Allow cookies"), "{}", r.body);
    }
}

/// Every cookie the site sets, across a visit, sign-up and sign-out: never
/// readable by scripts, not sent cross-site, whole site, `Secure` exactly
/// when the site is served over TLS.
#[tokio::test]
async fn every_cookie_is_http_only_same_site_and_secure_under_tls() {
    for db in databases().await {
        for tls in [false, true] {
            let config = meetinghouse_web::WebConfig { tls, ..meetinghouse_testkit::web_config() };
            let mut app = TestApp::with_config(db.clone(), config).await;
            let mut seen = Vec::new();
            let mut keep = |r: &meetinghouse_testkit::Reply| {
                for v in r.headers.get_all(axum::http::header::SET_COOKIE) {
                    seen.push(v.to_str().unwrap().to_string());
                }
            };
            keep(&app.get("/").await);
            keep(&app.sign_up(if tls { "cookies_tls" } else { "cookies_plain" }).await);
            keep(&app.get("/me").await);
            keep(&app.submit("/me", "/logout", &[]).await);
            let names: Vec<&str> = seen.iter().filter_map(|c| c.split('=').next()).collect();
            let prefix = if tls { "__Host-" } else { "" };
            for name in ["mh_anon", "mh_session", "mh_flash"] {
                let name = format!("{prefix}{name}");
                assert!(names.contains(&name.as_str()), "{name} was never set (tls {tls}): {seen:?}");
            }
            assert!(names.iter().all(|n| n.starts_with(prefix)), "every cookie has the prefix (tls {tls}): {seen:?}");
            let cleared = format!("{prefix}mh_session=;");
            assert!(seen.iter().any(|c| c.starts_with(&cleared) && c.contains("Max-Age=0")), "sign-out keeps the session: {seen:?}");
            for c in &seen {
                assert!(!c.contains("Domain="), "{c}: host-only");
                let attrs: Vec<&str> = c.split("; ").skip(1).collect();
                for a in ["Path=/", "HttpOnly", "SameSite=Lax"] {
                    assert!(attrs.contains(&a), "{c} lacks {a}");
                }
                assert!(attrs.iter().any(|a| a.starts_with("Max-Age=")), "{c} lacks Max-Age");
                assert_eq!(attrs.contains(&"Secure"), tls, "{c} (tls {tls})");
            }
        }
    }
}

/// Confirmation emails are limited per account, and a made-up anonymous
/// cookie (too long, strange characters, or well formed but not signed by
/// this site) is replaced, never used as a key.
#[tokio::test]
async fn resends_are_limited_and_odd_anonymous_cookies_replaced() {
    for mut app in apps().await {
        app.sign_up("resender").await;
        for i in 0..3 {
            assert_eq!(app.submit("/me", "/verify/resend", &[]).await.status, StatusCode::SEE_OTHER, "resend {i}");
        }
        let r = app.submit("/me", "/verify/resend", &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("several confirmation links"), "{}", r.body);

        for odd in ["x".repeat(5000), "short".to_string(), "a".repeat(20) + "%00", "0123456789abcdef0123456789abcdef".to_string()] {
            let req = axum::http::Request::get("/").header("cookie", format!("mh_anon={odd}")).body(axum::body::Body::empty()).unwrap();
            let r = tower::ServiceExt::oneshot(meetinghouse_web::app(app.state.clone()), req).await.unwrap();
            let set: Vec<&str> = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
            assert!(set.iter().any(|c| c.starts_with("mh_anon=") && c.len() < 200), "{odd:.20}: {set:?}");
        }
        let fine = app.other_browser().get("/").await.headers[axum::http::header::SET_COOKIE].to_str().unwrap().to_string();
        let fine = fine.split(';').next().unwrap().strip_prefix("mh_anon=").expect("an anonymous cookie").to_string();
        let req = axum::http::Request::get("/").header("cookie", format!("mh_anon={fine}")).body(axum::body::Body::empty()).unwrap();
        let r = tower::ServiceExt::oneshot(meetinghouse_web::app(app.state.clone()), req).await.unwrap();
        assert!(r.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("mh_anon=")), "a good token is kept");
    }
}

#[tokio::test]
async fn a_failure_shows_a_reference_and_hides_the_cause() {
    for mut app in apps().await {
        assert_eq!(app.get("/orgs").await.status, StatusCode::OK);
        app.db.close().await;
        let r = app.get("/orgs").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        let id = r.headers["x-request-id"].to_str().unwrap().to_string();
        assert!(r.body.contains(&id), "the page shows the request id");
        assert!(r.body.contains("our fault"));
        assert!(!r.body.to_lowercase().contains("pool") && !r.body.contains("sqlx"), "the cause is not shown: {}", r.body);
        assert_eq!(app.get("/healthz").await.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}

#[tokio::test]
async fn a_story_through_the_forms() {
    for mut app in apps().await {
        app.sign_up("ann").await;
        let r = app.submit("/stories/new", "/stories", &[("title", ""), ("body", "text"), ("licence", "cc0"), ("visibility", "public")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("The title is needed") && r.body.contains(">text</textarea>"), "input kept");
        let r = app
            .submit("/stories/new", "/stories", &[("title", "Lace day"), ("body", "My gran made *lace*."), ("licence", "cc0"), ("visibility", "public"), ("period_text", "summer 1985")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let path = r.location().unwrap().to_string();
        let page = app.get(&path).await;
        assert!(page.body.contains("<em>lace</em>") && page.body.contains("CC0") && page.body.contains("summer 1985"));
        assert!(app.get("/").await.body.contains("Lace day"), "home page lists recent stories");
        let mut other = app.other_browser();
        assert_eq!(other.get(&path).await.status, StatusCode::OK);
        let edit = format!("{path}/edit");
        assert_eq!(other.get(&edit).await.status, StatusCode::SEE_OTHER, "signed out: sign in first");
        let r = app.submit(&edit, &edit, &[("title", "Lace days"), ("body", "My gran made lace."), ("licence", "cc0"), ("visibility", "public")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(app.get(&format!("{path}/history")).await.body.contains("Lace day"));
        let delete = format!("{path}/delete");
        assert_eq!(app.submit(&path, &delete, &[]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
        assert!(app.get("/me").await.body.contains("Restore"));
    }
}

#[tokio::test]
async fn feeds_sitemap_metadata_labels_and_search_pages() {
    for mut app in apps().await {
        app.sign_up("ann").await;
        let r = app
            .submit("/stories/new", "/stories", &[("title", "Fish & chips <on> the quay"), ("body", "Salt, vinegar & gulls."), ("licence", "cc-by-sa-4.0"), ("visibility", "public")])
            .await;
        let path = r.location().unwrap().to_string();
        let draft = app.submit("/stories/new", "/stories", &[("title", "Private"), ("body", "x"), ("licence", "cc0"), ("visibility", "draft")]).await;
        let draft_path = draft.location().unwrap().to_string();

        let feed = app.get("/stories.atom").await;
        assert_eq!(feed.status, StatusCode::OK);
        assert!(feed.headers["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
        assert!(feed.body.contains("<title>Fish &amp; chips &lt;on&gt; the quay</title>"), "{}", feed.body);
        assert!(feed.body.contains("creativecommons.org/licenses/by-sa/4.0"));
        assert!(!feed.body.contains("Private"), "drafts never appear in feeds");

        let sitemap = app.get("/sitemap.xml").await;
        assert!(sitemap.body.contains(&format!("{path}</loc>")) && !sitemap.body.contains(&format!("{draft_path}</loc>")));

        let page = app.get(&path).await;
        assert!(page.body.contains(r#"<script type="application/ld+json">"#) && page.body.contains("\"@type\":\"CreativeWork\""));
        assert!(page.body.contains(r#"<meta property="og:title" content="Fish &#38; chips &#60;on&#62; the quay">"#), "{}", page.body);
        assert!(!page.body.contains("<on>"), "titles are escaped everywhere");

        let label = app.get(&format!("{path}/label")).await;
        assert_eq!(label.status, StatusCode::OK);
        // Named for what it is, not by the address printed just below it.
        assert!(label.body.contains(r#"<svg role="img" aria-label="QR code for the address printed below""#) && label.body.contains("<title>QR code for the address printed below</title>"));
        assert!(label.body.contains("label-a6"));
        assert!(app.get(&format!("{path}/label?size=a4")).await.body.contains("label-a4"));
        assert_eq!(app.get(&format!("{draft_path}/label")).await.status, StatusCode::FORBIDDEN);

        let found = app.get("/search?q=QUAY&type=story").await;
        assert!(found.body.contains("<mark>quay</mark>") || found.body.contains("<mark>quay"), "{}", found.body);
        let none = app.get("/search?q=private").await;
        assert!(none.body.contains("Nothing found"));
    }
}

#[tokio::test]
async fn signed_out_pages_are_micro_cached_and_cleared_by_changes() {
    for db in databases().await {
        let config = meetinghouse_web::WebConfig { page_cache_ttl: std::time::Duration::from_secs(60), ..meetinghouse_testkit::web_config() };
        let mut app = TestApp::with_config(db, config).await;
        let mut visitor = app.other_browser();
        let first = visitor.get("/orgs").await;
        assert!(!first.headers.contains_key("x-page-cache"));
        let second = visitor.get("/orgs").await;
        assert_eq!(second.headers["x-page-cache"], "hit");
        assert_eq!(first.body, second.body);
        assert!(second.headers.contains_key("content-security-policy"), "security headers on cached pages too");
        // Pages with forms are never shared.
        visitor.get("/signup").await;
        assert!(!visitor.get("/signup").await.headers.contains_key("x-page-cache"));
        // A change anywhere clears it; signed-in people never get cached pages.
        app.sign_up("ann").await;
        app.submit("/orgs/new", "/orgs", &[("name", "New Museum"), ("sector", "heritage")]).await;
        let fresh = visitor.get("/orgs").await;
        assert!(!fresh.headers.contains_key("x-page-cache") && fresh.body.contains("New Museum"));
        app.get("/orgs").await;
        assert!(!app.get("/orgs").await.headers.contains_key("x-page-cache"));
    }
}

/// Only a change clears the page cache: posts that were refused (no token,
/// a wrong one, from another site, to no such address, input the form sends
/// back, a form for signed-in people from a signed-out browser) or that
/// change no page (signing out) leave it, so a script sending rubbish
/// cannot keep the cache empty while many people are reading.
#[tokio::test]
async fn refused_posts_leave_the_page_cache_alone() {
    for db in databases().await {
        let config = meetinghouse_web::WebConfig { page_cache_ttl: std::time::Duration::from_secs(60), ..meetinghouse_testkit::web_config() };
        let mut app = TestApp::with_config(db, config).await;
        app.sign_up("ann").await;
        let mut visitor = app.other_browser();
        visitor.get("/orgs").await;
        assert_eq!(visitor.get("/orgs").await.headers["x-page-cache"], "hit");

        let mut script = app.other_browser();
        assert_eq!(script.post_raw("/orgs", &[("name", "X"), ("sector", "arts")]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(script.post_raw("/signup", &[("csrf", "rubbish"), ("email", "a@example.org")]).await.status, StatusCode::FORBIDDEN);
        assert!(script.post_raw("/no/such/form", &[("csrf", "rubbish")]).await.status.is_client_error());
        let token = script.get("/signup").await.csrf();
        let req = axum::http::Request::post("/signup")
            .header("sec-fetch-site", "cross-site")
            .header("cookie", script.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!("csrf={token}&email=a%40b.org")))
            .unwrap();
        let r = tower::ServiceExt::oneshot(meetinghouse_web::app(app.state.clone()), req).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // With a form token of its own (anyone can get one), a signed-out
        // script is sent to sign in, or signs out nobody: nothing changed.
        let r = script.post_raw("/notifications/read", &[("csrf", token.as_str())]).await;
        assert!(r.location().is_some_and(|to| to.starts_with("/login?need=1")), "{r:?}");
        assert_eq!(script.post_raw("/logout", &[("csrf", token.as_str())]).await.status, StatusCode::SEE_OTHER);
        let r = app.submit("/orgs/new", "/orgs", &[("name", ""), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(visitor.get("/orgs").await.headers.get("x-page-cache").map(|v| v.to_str().unwrap()), Some("hit"), "still cached");

        // A change that went through clears it.
        assert_eq!(app.submit("/orgs/new", "/orgs", &[("name", "New Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        let fresh = visitor.get("/orgs").await;
        assert!(!fresh.headers.contains_key("x-page-cache") && fresh.body.contains("New Museum"));
    }
}

#[tokio::test]
async fn a_scraper_elsewhere_reads_metrics_with_the_token_only() {
    let db = databases().await.remove(0);
    let config = meetinghouse_web::WebConfig {
        metrics_token: Some(meetinghouse_web::Secret("scrape-me-3f9c".into())),
        ..meetinghouse_testkit::web_config()
    };
    let mut app = TestApp::with_config(db, config).await;
    let far = ("x-forwarded-for", "198.51.100.7");
    assert_eq!(app.get_with("/metrics", &[far]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_with("/metrics", &[far, ("authorization", "Bearer wrong-token")]).await.status, StatusCode::NOT_FOUND);
    let r = app.get_with("/metrics", &[far, ("authorization", "Bearer scrape-me-3f9c")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("meetinghouse_db_pool_connections"));
    assert!(!format!("{:?}", app.state.config).contains("scrape-me"), "the token is never printed");
}

/// Opening the emailed confirmation link changes nothing (mail scanners
/// fetch links); the button on that page confirms, once.
#[tokio::test]
async fn the_confirmation_link_confirms_only_when_its_button_is_pressed() {
    for mut app in apps().await {
        app.sign_up("confirmer").await;
        let mail = meetinghouse_store::outbox::recent(&app.db, 10).await.unwrap();
        let body = &mail.iter().find(|m| m.kind == "verify").expect("a confirmation email").body;
        let at = body.find("/verify?token=").unwrap() + "/verify?token=".len();
        let token: String = body[at..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let link = format!("/verify?token={token}");
        let verified = |db: meetinghouse_store::Db| async move {
            meetinghouse_store::people::by_handle(&db, "confirmer").await.unwrap().unwrap().email_verified_at.is_some()
        };

        // A scanner (another browser, no cookies) opens the link twice.
        let mut scanner = app.other_browser();
        for _ in 0..2 {
            let r = scanner.get(&link).await;
            assert_eq!(r.status, StatusCode::OK);
            assert!(r.body.contains("Confirm my email address") && r.body.contains(&token), "{}", r.body);
        }
        assert!(!verified(app.db.clone()).await, "opening the link spent nothing");

        let r = app.submit(&link, "/verify", &[("token", &token)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), Some("/me"));
        assert!(verified(app.db.clone()).await);

        // The link works once (followed again, it says the address is
        // confirmed), and a link without a code says so.
        let r = app.submit(&link, "/verify", &[("token", &token)]).await;
        assert_eq!(r.location(), Some("/me"));
        let again = app.follow(&r).await;
        assert!(again.body.contains("already confirmed"), "{}", again.body);
        let r = app.get("/verify").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("no confirmation code") && !r.body.contains("<button type=\"submit\">Confirm"), "{}", r.body);
    }
}

/// A query longer than the search box allows is cut to its 200 characters,
/// in the title and the "nothing found" line alike.
#[tokio::test]
async fn a_very_long_search_is_cut_to_the_box() {
    for mut app in apps().await {
        let long = "lace".repeat(1250);
        let r = app.get(&format!("/search?q={long}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains(&"lace".repeat(50)) && !r.body.contains(&format!("{}l", "lace".repeat(50))), "the query is shown cut");
    }
}

/// The sitemap is kept for the five minutes its `Cache-Control` declares,
/// so asking again does not make it again; a change that goes through on
/// this app server makes it anew.
#[tokio::test]
async fn the_sitemap_is_kept_until_a_change_goes_through() {
    for mut app in apps().await {
        app.sign_up("ann").await;
        let ann = meetinghouse_store::people::by_handle(&app.db, "ann").await.unwrap().unwrap().id;
        let mut visitor = app.other_browser();
        let first = visitor.get("/sitemap.xml").await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.headers["cache-control"], "public, max-age=300");
        // A story written behind the app's back (as by another app server).
        let mut tx = app.db.begin().await.unwrap();
        let fields = meetinghouse_store::stories::StoryFields { title: "Quay", body: "x", licence: "cc0", visibility: "public", ..Default::default() };
        let id = meetinghouse_store::stories::insert(&mut tx, ann, None, "person", &fields).await.unwrap();
        tx.commit().await.unwrap();
        let again = visitor.get("/sitemap.xml").await;
        assert_eq!(again.body, first.body, "kept, not made again");
        assert!(!again.body.contains(&format!("/stories/{id}</loc>")));
        // A change through this app server: made anew.
        let r = app.submit("/stories/new", "/stories", &[("title", "The mill"), ("body", "Wheels."), ("licence", "cc0"), ("visibility", "public")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let fresh = visitor.get("/sitemap.xml").await;
        assert!(fresh.body.contains(&format!("/stories/{id}</loc>")), "{}", fresh.body);
    }
}
