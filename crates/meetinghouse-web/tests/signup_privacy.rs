//! Sign-up never tells whether an address has an account, over a real
//! socket on every configured backend: a sign-up with an address that has
//! one gets the same status, redirect, cookies and page as one that makes
//! an account; the owner is emailed instead (once an hour at most); the
//! form's other checks still answer in their own words.

use std::net::SocketAddr;

use axum::http::StatusCode;
use meetinghouse_store::{outbox, people};
use meetinghouse_testkit::{TestApp, apps, csrf_from_html};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Starts the app on a real port.
async fn serve(app: &TestApp) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = meetinghouse_web::app(app.state.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    (addr, server)
}

/// An answer as it came over the wire: status, headers (lower-case names,
/// in order) and body.
#[derive(Debug)]
struct Wire {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Wire {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// What a browser is told to keep: each `Set-Cookie` with its value
    /// left out (a cookie's value is random), its name and attributes kept.
    fn cookies_set(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| {
                let (first, attrs) = v.split_once(';').unwrap_or((v, ""));
                format!("{}=…;{attrs}", first.split('=').next().unwrap())
            })
            .collect()
    }

    /// The headers that carry meaning, without those that differ on every
    /// answer (the date, the request's id).
    fn meaningful_headers(&self) -> Vec<(String, String)> {
        self.headers.iter().filter(|(n, _)| !matches!(n.as_str(), "date" | "x-request-id" | "set-cookie")).cloned().collect()
    }
}

/// One browser talking to the server over its own connections: a cookie jar.
struct Browser {
    addr: SocketAddr,
    cookies: Vec<(String, String)>,
}

impl Browser {
    async fn send(&mut self, method: &str, path: &str, form: Option<&str>) -> Wire {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        if !cookie.is_empty() {
            head.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        if let Some(body) = form {
            head.push_str(&format!(
                "Referer: http://{}/signup\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                self.addr,
                body.len()
            ));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        if let Some(body) = form {
            stream.write_all(body.as_bytes()).await.unwrap();
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> =
            lines.map(|l| l.split_once(':').unwrap()).map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
        let wire = Wire { status, headers, body: body.to_string() };
        for (_, v) in wire.headers.iter().filter(|(n, _)| n == "set-cookie") {
            let (name, value) = v.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        wire
    }

    /// Loads the sign-up form and sends it with `fields`.
    async fn sign_up(&mut self, fields: &[(&str, &str)]) -> Wire {
        let form = self.send("GET", "/signup", None).await;
        let token = csrf_from_html(&form.body).expect("the form has a token");
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        let body: String = all.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&");
        self.send("POST", "/signup", Some(&body)).await
    }
}

/// Form encoding for the few characters these tests send.
fn encode(v: &str) -> String {
    v.replace('%', "%25").replace('@', "%40").replace(' ', "+").replace('&', "%26")
}

fn fields<'a>(email: &'a str, handle: &'a str) -> [(&'a str, &'a str); 5] {
    [("email", email), ("handle", handle), ("display_name", "Sam"), ("password", "a long enough password"), ("accept_conduct", "on")]
}

/// The messages sent to `to` of `kind`.
async fn mail_to(app: &TestApp, to: &str, kind: &str) -> Vec<outbox::EmailRow> {
    outbox::recent(&app.db, 100).await.unwrap().into_iter().filter(|m| m.to_addr == to && m.kind == kind).collect()
}

#[tokio::test]
async fn a_taken_address_gets_the_same_answer_and_its_owner_the_mail() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let (addr, server) = serve(&sam).await;

        // A new address, and Sam's (in other letters' case), each from a browser of its own.
        let mut fresh = Browser { addr, cookies: Vec::new() };
        let mut prying = Browser { addr, cookies: Vec::new() };
        let made = fresh.sign_up(&fields("new@example.org", "newcomer")).await;
        let taken = prying.sign_up(&fields("SAM@example.org", "sam_again")).await;

        assert_eq!(made.status, 303, "{made:?}");
        assert_eq!(made.header("location"), Some("/signup?sent=1"));
        assert_eq!((made.status, made.meaningful_headers(), made.body.as_str()), (taken.status, taken.meaningful_headers(), taken.body.as_str()));
        assert_eq!(made.cookies_set(), taken.cookies_set(), "the same cookies, none of them a session");
        assert!(made.cookies_set().iter().all(|c| !c.contains("session")), "{:?}", made.cookies_set());

        // The page after it is the same too, and says to check the email.
        let made_page = fresh.send("GET", "/signup?sent=1", None).await;
        let taken_page = prying.send("GET", "/signup?sent=1", None).await;
        assert_eq!(made_page.status, 200);
        assert_eq!(made_page.body, taken_page.body);
        assert_eq!(made_page.cookies_set(), taken_page.cookies_set());
        assert!(made_page.body.contains("<h1>Check your email</h1>") && made_page.body.contains("Open the link in it to confirm your email address"), "{}", made_page.body);
        // Neither browser is signed in.
        for b in [&mut fresh, &mut prying] {
            let me = b.send("GET", "/me", None).await;
            assert_eq!((me.status, me.header("location").map(|l| l.starts_with("/login"))), (303, Some(true)), "{me:?}");
        }
        server.abort();

        // The new address has an account and its confirmation link; Sam's
        // address has one account still, and Sam is told, with the way in.
        assert!(people::by_email(&sam.db, "new@example.org").await.unwrap().is_some());
        assert_eq!(mail_to(&sam, "new@example.org", "verify").await.len(), 1);
        assert!(people::by_handle(&sam.db, "sam_again").await.unwrap().is_none(), "nothing was made");
        let told = mail_to(&sam, "sam@example.org", "signup_existing").await;
        assert_eq!(told.len(), 1);
        assert!(told[0].subject.starts_with("Someone tried to join"), "{}", told[0].subject);
        assert!(told[0].body.contains("(@sam)") && told[0].body.contains("/login") && told[0].body.contains("/reset"), "{}", told[0].body);
        assert_eq!(mail_to(&sam, "sam@example.org", "verify").await.len(), 1, "only the one from Sam's own sign-up");
    }
}

#[tokio::test]
async fn the_owner_is_told_once_an_hour_and_other_checks_still_answer() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.sign_out().await;
        // A second try within the hour, from anyone, sends nothing more.
        // (Five sign-ups an hour are let through per email address.)
        let r = sam.submit("/signup", "/signup", &fields("sam@example.org", "sam_two")).await;
        assert_eq!(r.location(), Some("/signup?sent=1"), "{}", r.body);
        let mut other = sam.other_browser();
        let r = other.submit("/signup", "/signup", &fields("Sam@Example.org", "sam_four")).await;
        assert_eq!(r.location(), Some("/signup?sent=1"));
        assert_eq!(mail_to(&sam, "sam@example.org", "signup_existing").await.len(), 1);

        // A taken handle is said whether or not the address has an account
        // (handles are public), in the same words; what was typed is kept.
        let said = |r: &meetinghouse_testkit::Reply| {
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert!(r.body.contains("That handle is taken. Please choose another.") && r.body.contains(r#"value="sam""#), "{}", r.body);
            assert!(!r.body.contains("already an account"), "{}", r.body);
        };
        said(&other.submit("/signup", "/signup", &fields("sam@example.org", "sam")).await);
        said(&other.submit("/signup", "/signup", &fields("someone@example.org", "sam")).await);
        // So are the other fields' errors, with nothing about the address.
        let r = other.submit("/signup", "/signup", &[("email", "sam@example.org"), ("handle", "ok_handle"), ("display_name", "Sam"), ("password", "short")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("accept the code of conduct") && r.body.contains(r#"value="sam@example.org""#) && !r.body.contains("already an account"), "{}", r.body);
        assert!(people::by_email(&sam.db, "someone@example.org").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_new_account_confirms_its_address_then_signs_in() {
    for mut app in apps().await {
        let r = app.submit("/signup", "/signup", &fields("new@example.org", "newcomer")).await;
        assert_eq!(r.location(), Some("/signup?sent=1"));
        let mail = mail_to(&app, "new@example.org", "verify").await.remove(0);
        let at = mail.body.find("/verify?token=").unwrap() + "/verify?token=".len();
        let token: String = mail.body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let link = format!("/verify?token={token}");
        let r = app.submit(&link, "/verify", &[("token", &token)]).await;
        assert_eq!(r.location(), Some("/login"));
        let r = app.submit("/login", "/login", &[("email", "new@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.location(), Some("/me"));
        assert!(app.get("/me").await.body.contains("newcomer"));
    }
}

/// Makes `app`'s person an instance admin and sets who can create an
/// account (`open`, `approval`, `invite`) from the settings form.
async fn admin_with_registration(app: &mut TestApp, handle: &str, mode: &str) {
    let me = people::by_handle(&app.db, handle).await.unwrap().unwrap();
    people::set_admin(&app.db, me.id, true).await.unwrap();
    let fields = [("name", "Canal Town"), ("code_of_conduct", "Be kind."), ("registration", mode), ("post_before_verify", "on")];
    assert_eq!(app.submit("/admin/settings", "/admin/settings", &fields).await.status, StatusCode::SEE_OTHER);
}

/// An admin makes an invite code on `/admin/people`; the code, read from
/// the sign-up link the page shows.
async fn new_code(admin: &mut TestApp, note: &str) -> String {
    let r = admin.submit("/admin/people", "/admin/invites", &[("note", note)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let at = r.body.find("/signup?invite=").expect("the link is shown") + "/signup?invite=".len();
    r.body[at..].split('<').next().unwrap().to_string()
}

/// The input named `name` on a page, from `<input` to its end.
fn input<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let at = body.find(&format!("name=\"{name}\""))?;
    let start = body[..at].rfind("<input")?;
    Some(&body[start..start + body[start..].find('>')? + 1])
}

/// In approval mode the sign-up form offers an optional invite code. With
/// one that works the account is active at once and the code spent; the
/// page after it does not say it waits. One that does not work is refused
/// in plain words, keeping what was typed (never the password); without
/// one, the account waits as before. A code never tells whether the
/// address has an account, and is spent only by an account it makes.
#[tokio::test]
async fn in_approval_mode_a_code_on_the_sign_up_form_starts_the_account_at_once() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        admin_with_registration(&mut ann, "ann", "approval").await;
        let admin_page = ann.get("/admin/people").await.body;
        assert!(admin_page.contains("Registration is by approval") && admin_page.contains("Someone who signs up with a code starts at once"), "{admin_page}");
        let code = new_code(&mut ann, "for Jo").await;

        // The form asks for the code, optionally, and says what it does;
        // the link an admin shares fills it in.
        let mut jo = ann.other_browser();
        let form = jo.get(&format!("/signup?invite={code}")).await.body;
        let field = input(&form, "invite_code").expect("the form asks for a code");
        assert!(!field.contains("required") && field.contains(&format!("value=\"{code}\"")), "{field}");
        assert!(form.contains("Invite code <span class=\"optional\">(optional)</span>"), "{form}");
        assert!(form.contains("If you were given an invite code, enter it and you can start at once; otherwise an admin will look at your sign-up."), "{form}");

        let mut with_code = fields("jo@example.org", "jo").to_vec();
        with_code.push(("invite_code", code.as_str()));
        let r = jo.submit("/signup", "/signup", &with_code).await;
        assert_eq!(r.location(), Some("/signup?sent=1&invited=1"), "{}", r.body);
        let sent = jo.get("/signup?sent=1&invited=1").await.body;
        assert!(sent.contains("<h1>Check your email</h1>") && !sent.contains("approved by an admin"), "{sent}");
        assert_eq!(people::by_handle(&ann.db, "jo").await.unwrap().unwrap().status, "active");
        assert!(ann.get("/admin/people").await.body.contains("No invite codes are open."), "the code is spent");

        // The code again: refused, what was typed kept but the password.
        let mut kim = ann.other_browser();
        let mut again = fields("kim@example.org", "kim").to_vec();
        again.push(("invite_code", code.as_str()));
        let r = kim.submit("/signup", "/signup", &again).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("That invite code is not valid, has expired or has already been used. Check it, or leave this field empty and an admin will look at your sign-up."),
            "{}",
            r.body
        );
        let field = input(&r.body, "invite_code").unwrap();
        assert!(field.contains(&format!("value=\"{code}\"")) && field.contains("aria-invalid=\"true\""), "{field}");
        assert!(r.body.contains(r#"value="kim@example.org""#) && r.body.contains(r#"value="kim""#), "{}", r.body);
        assert!(!r.body.contains("a long enough password"));
        assert!(people::by_handle(&ann.db, "kim").await.unwrap().is_none());

        // Without a code, the account waits, and the page after it says so.
        let r = kim.submit("/signup", "/signup", &fields("kim@example.org", "kim")).await;
        assert_eq!(r.location(), Some("/signup?sent=1"), "{}", r.body);
        assert!(kim.get("/signup?sent=1").await.body.contains("New accounts are approved by an admin."));
        assert_eq!(people::by_handle(&ann.db, "kim").await.unwrap().unwrap().status, "pending");

        // Over the wire, a code with a new address and one with Ann's get
        // the same answer; Ann's code is not spent (nothing was made).
        let (a, b) = (new_code(&mut ann, "for Lee").await, new_code(&mut ann, "for a stranger").await);
        let (addr, server) = serve(&ann).await;
        let mut fresh = Browser { addr, cookies: Vec::new() };
        let mut prying = Browser { addr, cookies: Vec::new() };
        let mut new_one = fields("lee@example.org", "lee").to_vec();
        new_one.push(("invite_code", a.as_str()));
        let mut taken = fields("ANN@example.org", "ann_again").to_vec();
        taken.push(("invite_code", b.as_str()));
        let (made, taken) = (fresh.sign_up(&new_one).await, prying.sign_up(&taken).await);
        server.abort();
        assert_eq!(made.header("location"), Some("/signup?sent=1&invited=1"), "{made:?}");
        assert_eq!((made.status, made.meaningful_headers(), made.body.as_str()), (taken.status, taken.meaningful_headers(), taken.body.as_str()));
        assert_eq!(people::by_handle(&ann.db, "lee").await.unwrap().unwrap().status, "active");
        let open = ann.get("/admin/people").await.body;
        assert!(open.contains("for a stranger") && !open.contains("for Lee"), "only the code that made an account is spent: {open}");
    }
}

/// The sign-up form asks for a code only where one does something, and the
/// admins' page says in plain words what a code does in the current mode.
#[tokio::test]
async fn the_form_and_the_admin_page_say_what_a_code_does_in_each_mode() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        for (mode, said, asks) in [
            ("open", "Codes are only needed while registration is by invitation or approval", None),
            ("invite", "Registration is by invitation: only someone with a code can make an account.", Some(true)),
            ("approval", "Registration is by approval", Some(false)),
        ] {
            admin_with_registration(&mut ann, "ann", mode).await;
            let page = ann.get("/admin/people").await.body;
            assert!(page.contains(said), "{mode}: {page}");
            let form = ann.other_browser().get("/signup").await.body;
            let field = input(&form, "invite_code");
            assert_eq!(field.map(|f| f.contains("required")), asks, "{mode}: {form}");
        }
    }
}
