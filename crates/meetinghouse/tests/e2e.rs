//! The real binary on a real socket: start on port 0, walk sign-up →
//! sign-in → create an organisation → create two groups → nest one in the
//! other → sign out with a cookie jar, reading the CSRF token from each form.
//! Also: the demo seeds a town that a later `serve` sees, SIGTERM stops the
//! server cleanly, and PostgreSQL refuses an outdated schema without --migrate.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_meetinghouse");

/// A fresh data directory, removed by a later test process once this one
/// has exited (`test_databases::temp_dir`).
fn temp_dir(name: &str) -> PathBuf {
    meetinghouse_store::test_databases::temp_dir(&format!("mh_e2e_{name}"))
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `meetinghouse serve` on port 0 and waits for the line with its address.
fn start(args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("MEETINGHOUSE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the binary");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the listening line");
    let base = line.trim().strip_prefix("meetinghouse listening on ").unwrap_or_else(|| panic!("unexpected first line: {line:?}")).to_string();
    Server { child, base }
}

fn csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let at = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

async fn form_then_post(client: &reqwest::Client, base: &str, form_path: &str, post_path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = client.get(format!("{base}{form_path}")).send().await.unwrap().text().await.unwrap();
    let token = csrf(&page);
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    client.post(format!("{base}{post_path}")).form(&all).send().await.unwrap()
}

#[tokio::test]
async fn a_person_walks_through_the_meeting_house() {
    let dir = temp_dir("walk");
    let server = start(&["--data-dir", dir.to_str().unwrap()]);
    let base = server.base.clone();
    let client = { meetinghouse_media::install_crypto_provider(); reqwest::Client::builder().cookie_store(true).build().unwrap() };

    let r = form_then_post(&client, &base, "/signup", "/signup", &[
        ("email", "sam@example.org"),
        ("handle", "sam"),
        ("display_name", "Sam Okafor"),
        ("password", "a long enough password"),
        ("accept_conduct", "on"),
    ])
    .await;
    assert!(r.status().is_success(), "sign-up: {}", r.status());
    assert_eq!(r.url().path(), "/signup", "a sign-up signs nobody in: it says to check the email");
    assert!(r.text().await.unwrap().contains("Check your email"));
    let page = client.get(format!("{base}/me")).send().await.unwrap();
    assert!(page.url().path().starts_with("/login"), "not signed in yet: /me sends to sign-in");

    let r = form_then_post(&client, &base, "/login", "/login", &[("email", "sam@example.org"), ("password", "a long enough password")]).await;
    assert_eq!(r.url().path(), "/me");
    assert!(r.text().await.unwrap().contains("Hello, Sam Okafor"));

    let r = form_then_post(&client, &base, "/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage"), ("town", "Tiverton")]).await;
    assert_eq!(r.url().path(), "/orgs/tiverton-museum");
    assert!(r.text().await.unwrap().contains("Tiverton Museum"));

    for (name, slug) in [("Tiverton Together", "tiverton-together"), ("Devon Network", "devon-network")] {
        let r = form_then_post(&client, &base, "/groups/new", "/groups", &[("name", name), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.url().path(), format!("/groups/{slug}"));
    }
    let r = form_then_post(&client, &base, "/groups/devon-network", "/groups/devon-network/members/group", &[("child", "tiverton-together")]).await;
    assert_eq!(r.url().path(), "/groups/devon-network");
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"href="/groups/tiverton-together""#), "the nested group is listed");
    let town = client.get(format!("{base}/groups/tiverton-together")).send().await.unwrap().text().await.unwrap();
    assert!(town.contains("Part of") && town.contains("Devon Network"));

    let r = form_then_post(&client, &base, "/me", "/logout", &[]).await;
    assert_eq!(r.url().path(), "/");
    let home = r.text().await.unwrap();
    assert!(home.contains("Sign in") && !home.contains("Your page"));

    // Stop with SIGTERM: the server finishes and exits cleanly.
    let mut server = server;
    #[cfg(unix)]
    {
        let pid = server.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = wait_with_timeout(&mut server.child, Duration::from_secs(10)).expect("the server exits after SIGTERM");
        assert!(status.success(), "clean exit: {status:?}");
    }
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn run(args: &[&str], data_dir: &Path) -> std::process::Output {
    Command::new(BIN).args(args).args(["--data-dir", data_dir.to_str().unwrap()]).env("MEETINGHOUSE_LOG", "warn").output().unwrap()
}

#[tokio::test]
async fn demo_then_serve_see_the_same_town() {
    let dir = temp_dir("demo");
    let out = run(&["demo"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("44 people"));
    let again = run(&["demo"], &dir);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already here"));

    let server = start(&["--data-dir", dir.to_str().unwrap(), "--time-zone", "Europe/London"]);
    meetinghouse_media::install_crypto_provider();
    let client = reqwest::Client::new();
    // Times are on the town's clock, named (GMT in winter, BST in summer), not UTC.
    let replies = client.get(format!("{}/conversations/prompt/1", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(replies.contains(" GMT<") || replies.contains(" BST<"), "London times on the page");
    assert!(!replies.contains(" UTC<"));
    let sam = client.get(format!("{}/@sam", server.base)).send().await.unwrap();
    assert_eq!(sam.status(), 200);
    let groups = client.get(format!("{}/groups/tiverton-together", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(groups.contains("Devon Culture") && groups.contains("Museum Volunteers"), "three levels of nesting");
    let orgs = client.get(format!("{}/orgs", server.base)).send().await.unwrap().text().await.unwrap();
    for name in ["Tiverton Museum", "Riverside Arts Centre", "Tiverton Council Engagement Team", "Exe Valley Housing Trust", "Tiverton Library"] {
        assert!(orgs.contains(name), "{name}");
    }
}

#[test]
fn an_unknown_time_zone_stops_the_program_with_a_message() {
    let dir = temp_dir("tz");
    let out = run(&["migrate", "--time-zone", "Mars/Olympus"], &dir);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("“Mars/Olympus” is not a time zone") && err.contains("Europe/London"), "{err}");
    assert!(!dir.join("meetinghouse.db").exists(), "nothing was created");
}

#[test]
fn admin_create_reads_the_password_from_stdin() {
    let dir = temp_dir("admin");
    // `admin create` needs a meeting house: `migrate` makes one.
    assert!(run(&["migrate"], &dir).status.success());
    let mut child = Command::new(BIN)
        .args(["admin", "create", "--email", "boss@example.org", "--handle", "boss", "--data-dir", dir.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created admin @boss"));

    let mut child = Command::new(BIN)
        .args(["admin", "create", "--email", "bad", "--handle", "no way", "--data-dir", dir.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("email:") && err.contains("handle:") && err.contains("password:"), "{err}");
}

#[test]
fn postgres_refuses_an_outdated_schema_unless_migrate() {
    let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_DATABASE_URL is not set: the PostgreSQL leg of this test is skipped (CI sets it)");
        return;
    };
    // An empty database, marked as this process's so a later test process
    // drops it (meetinghouse_store::test_databases).
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db_url = runtime.block_on(meetinghouse_store::test_databases::create(&url, "mh_e2e")).expect("create a test database at TEST_DATABASE_URL");
    let dir = temp_dir("pg");
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()])
        .env("MEETINGHOUSE_DATABASE_URL", &db_url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("out of date") && err.contains("--migrate"), "{err}");
    let migrated = Command::new(BIN).args(["migrate", "--database-url", &db_url]).output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let server = {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &db_url, "--demo"])
            .env("MEETINGHOUSE_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        Server { child, base: line.trim().trim_start_matches("meetinghouse listening on ").to_string() }
    };
    let body = reqwest::blocking_get(&format!("{}/orgs", server.base));
    assert!(body.contains("Exe Valley Housing Trust"), "the demo town on PostgreSQL");
}

mod reqwest {
    pub use ::reqwest::*;
    /// A tiny blocking GET for the synchronous tests, on a private runtime.
    pub fn blocking_get(url: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        meetinghouse_media::install_crypto_provider();
        rt.block_on(async { ::reqwest::get(url).await.unwrap().text().await.unwrap() })
    }
}

/// A minimal SMTP server on a real socket that records each message's data.
fn smtp_sink() -> (u16, std::sync::mpsc::Receiver<String>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let _ = stream.write_all(b"220 sink ESMTP\r\n");
                let mut data = String::new();
                let mut in_data = false;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            let _ = tx.send(std::mem::take(&mut data));
                            let _ = stream.write_all(b"250 queued\r\n");
                        } else {
                            data.push_str(&line);
                        }
                        continue;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = stream.write_all(b"221 bye\r\n");
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = stream.write_all(reply);
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn verification_mail_goes_out_over_smtp() {
    let (port, inbox) = smtp_sink();
    let dir = temp_dir("smtp");
    let smtp = format!("smtp://127.0.0.1:{port}");
    let server = start(&["--data-dir", dir.to_str().unwrap(), "--smtp-url", &smtp, "--mail-from", "Meeting House <hello@mh.test>"]);
    let client = { meetinghouse_media::install_crypto_provider(); reqwest::Client::builder().cookie_store(true).build().unwrap() };
    let r = form_then_post(&client, &server.base, "/signup", "/signup", &[
        ("email", "new@example.org"),
        ("handle", "newcomer"),
        ("display_name", "New Comer"),
        ("password", "a long enough password"),
        ("accept_conduct", "on"),
    ])
    .await;
    assert!(r.status().is_success());
    let message = tokio::task::spawn_blocking(move || inbox.recv_timeout(Duration::from_secs(20))).await.unwrap().expect("an email arrives");
    assert!(message.contains("To: new@example.org"), "{message}");
    assert!(message.contains("/verify?token="), "{message}");
    // The link in the email confirms the address.
    // The body may be quoted-printable: undo soft line breaks and the escaped "=".
    let flat = message.replace("=\r\n", "").replace("=3D", "=");
    let at = flat.find("/verify?token=").unwrap() + "/verify?token=".len();
    let token: String = flat[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    // Opening the link only shows a button: a mail scanner fetching it spends nothing.
    let link = format!("/verify?token={token}");
    let page = client.get(format!("{}{link}", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Confirm my email address"), "{page}");
    let r = form_then_post(&client, &server.base, &link, "/verify", &[("token", &token)]).await;
    assert_eq!(r.url().path(), "/login", "confirmed, and asked to sign in (a sign-up signs nobody in)");
    assert!(r.text().await.unwrap().contains("your email address is confirmed"));
}

#[test]
fn import_objects_from_the_command_line() {
    let dir = temp_dir("import");
    assert!(run(&["demo"], &dir).status.success());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tate = root.join("crates/meetinghouse-core/tests/fixtures/tate/artworks");
    let mapping = root.join("examples/tate-mapping.toml");
    let args = ["import", "objects", "--org", "tiverton-museum", "--mapping", mapping.to_str().unwrap(), "--json", tate.to_str().unwrap()];
    let out = run(&args, &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["created"], 40);
    assert_eq!(report["skipped"], 0);
    assert!(report["errors"].as_array().unwrap().is_empty());
    // Running it again is an idempotent upsert; the summary says so in words.
    let out = run(&args.iter().copied().filter(|a| *a != "--json").collect::<Vec<_>>(), &dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 created, 0 updated, 40 unchanged, 0 skipped"), "{text}");

    // A file that is not CSV or JSON: one clear error and a failing exit status.
    let png = dir.join("photo.csv");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let out = run(&["import", "objects", "--org", "tiverton-museum", png.to_str().unwrap()], &dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a CSV or JSON file"), "{}", String::from_utf8_lossy(&out.stderr));
    // An organisation that does not exist.
    let out = run(&["import", "objects", "--org", "nowhere", tate.to_str().unwrap()], &dir);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no organisation with the slug"));
}
