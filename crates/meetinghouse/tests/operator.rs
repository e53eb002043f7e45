//! The operator's side of the real binary, run as a person would: stopping
//! the server (a half-sent request, a second Ctrl-C), settings that are
//! refused or warned about at start-up, on/off settings from the
//! environment (an empty variable is not set), a config file on a pipe, the
//! `admin` commands (a new password asked for twice at a terminal; lifting
//! a ban when no admin is active), and TLS to PostgreSQL.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meetinghouse");

/// The binary, with none of this machine's `MEETINGHOUSE_*` settings.
fn bin() -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("MEETINGHOUSE_") {
            command.env_remove(name);
        }
    }
    command.env("MEETINGHOUSE_LOG", "warn");
    command
}

/// A fresh data directory, removed by a later test process once this one
/// has exited (`test_databases::temp_dir`).
fn temp_dir(name: &str) -> PathBuf {
    meetinghouse_store::test_databases::temp_dir(&format!("mh_op_{name}"))
}

/// A fresh PostgreSQL database when `TEST_DATABASE_URL` is set.
fn postgres(test: &str) -> Option<String> {
    let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_DATABASE_URL is not set: the PostgreSQL part of {test} is skipped (CI sets it)");
        return None;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    Some(runtime.block_on(meetinghouse_store::test_databases::create(&url, "mh_op")).expect("create a test database at TEST_DATABASE_URL"))
}

/// `url` with one more query setting.
fn with_setting(url: &str, setting: &str) -> String {
    format!("{url}{}{setting}", if url.contains('?') { '&' } else { '?' })
}

struct Server {
    child: Child,
    addr: String,
    stderr: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Everything the server wrote to standard error so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// A connection that has sent half a request head, and waits.
    fn half_sent_request(&self) -> TcpStream {
        let mut socket = TcpStream::connect(&self.addr).unwrap();
        socket.write_all(b"GET /orgs HTTP/1.1\r\nHost: meet.example.org\r\nUser-Agent: slow").unwrap();
        socket
    }
}

/// Starts `meetinghouse serve` with `args` and `env` on a port of its own
/// and waits for the line with its address; standard error (at `warn`) goes
/// to a file for [`Server::log`].
fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    let stderr = dir.with_extension("stderr.log");
    let mut child = bin()
        .arg("serve")
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("start the binary");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("read the listening line");
    let Some(addr) = line.trim().strip_prefix("meetinghouse listening on http://") else {
        let _ = child.kill();
        panic!("unexpected first line {line:?}; standard error: {}", std::fs::read_to_string(&stderr).unwrap_or_default());
    };
    // A server on every interface is reached on this machine's loopback.
    let addr = addr.replace("0.0.0.0:", "127.0.0.1:").replace("[::]:", "127.0.0.1:");
    Server { child, addr, stderr }
}

/// Runs the binary to the end, with `stdin` on its standard input.
fn run(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = bin()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// A plain HTTP/1.1 GET: the status line and the headers, lower-cased names.
fn get_head(addr: &str, path: &str) -> String {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(socket, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer);
    answer.split("\r\n\r\n").next().unwrap_or("").to_string()
}

// --- Stopping -----------------------------------------------------------------

#[test]
fn a_half_sent_request_holds_the_stop_only_until_the_deadline() {
    let dir = temp_dir("halfsent");
    let mut server = start(&dir, &["--listen", "127.0.0.1:0"], &[("MEETINGHOUSE_SHUTDOWN_GRACE_SECS", "2")]);
    assert!(get_head(&server.addr, "/healthz").starts_with("HTTP/1.1 200"));
    let _slow = server.half_sent_request();
    std::thread::sleep(Duration::from_millis(200));
    let stopped_at = Instant::now();
    server.signal("INT");
    let status = server.wait_for_exit(Duration::from_secs(15)).expect("the server stops after the grace period");
    let took = stopped_at.elapsed();
    assert!(status.success(), "{status:?}: {}", server.log());
    assert!(took >= Duration::from_millis(1500) && took < Duration::from_secs(10), "stopped after {took:?}");
    let log = server.log();
    assert!(log.contains("connection(s) still open after 2 s were closed"), "{log}");
}

#[test]
fn a_second_signal_stops_at_once() {
    let dir = temp_dir("twice");
    let mut server = start(&dir, &["--listen", "127.0.0.1:0", "--shutdown-grace-secs", "300"], &[]);
    let _slow = server.half_sent_request();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("INT");
    // The first signal waits for the request in flight.
    assert_eq!(server.wait_for_exit(Duration::from_millis(700)), None, "still finishing the request in flight");
    let again = Instant::now();
    server.signal("INT");
    let status = server.wait_for_exit(Duration::from_secs(5)).expect("the second Ctrl-C stops the server");
    assert!(again.elapsed() < Duration::from_secs(3), "{:?}", again.elapsed());
    assert_eq!(status.code(), Some(130), "{}", server.log());
    assert!(server.log().contains("stopping now"), "{}", server.log());

    // SIGTERM twice (a service manager that gives up waiting): 128 + 15.
    let dir = temp_dir("twice_term");
    let mut server = start(&dir, &["--listen", "127.0.0.1:0", "--shutdown-grace-secs", "300"], &[]);
    let _slow = server.half_sent_request();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("TERM");
    assert_eq!(server.wait_for_exit(Duration::from_millis(700)), None, "still finishing the request in flight");
    server.signal("TERM");
    let status = server.wait_for_exit(Duration::from_secs(5)).expect("the second SIGTERM stops the server");
    assert_eq!(status.code(), Some(143), "{}", server.log());
}

// --- Start-up settings ----------------------------------------------------------

#[test]
fn listening_everywhere_needs_the_public_address_except_for_the_demo() {
    let dir = temp_dir("everywhere");
    let out = run(&["serve", "--listen", "0.0.0.0:0", "--data-dir", dir.to_str().unwrap()], "", &[]);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("--base-url") && err.contains("every network interface") && err.contains("QR codes"), "{err}");
    assert!(!dir.join("meetinghouse.db").exists(), "refused before anything was created");
    // demo = true in the file, turned off by the environment: refused too.
    let config = dir.with_extension("toml");
    std::fs::write(&config, "demo = true\n").unwrap();
    let out = run(
        &["serve", "--listen", "0.0.0.0:0", "--data-dir", dir.to_str().unwrap(), "--config", config.to_str().unwrap()],
        "",
        &[("MEETINGHOUSE_DEMO", "off")],
    );
    assert!(!out.status.success() && text(&out).1.contains("--base-url"), "{}", text(&out).1);

    // The demo town starts, asked to be public, with a loud warning;
    // MEETINGHOUSE_DEMO=1 is on.
    let server = start(&dir, &["--listen", "0.0.0.0:0"], &[("MEETINGHOUSE_DEMO", "1"), ("MEETINGHOUSE_DEMO_PUBLIC", "1")]);
    let page = get_head(&server.addr, "/@sam");
    assert!(page.starts_with("HTTP/1.1 200"), "the demo town was seeded: {page}");
    let log = server.log();
    assert!(log.contains("WARN") && log.contains("no --base-url was given") && log.contains("only on this machine"), "{log}");
}

#[test]
fn an_environment_variable_turns_off_what_the_file_turns_on() {
    let dir = temp_dir("tlsoff");
    let config = dir.with_extension("toml");
    std::fs::write(&config, "tls = true\n").unwrap();
    let cookies = |env: &[(&str, &str)]| {
        let server = start(&dir, &["--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()], env);
        let head = get_head(&server.addr, "/login");
        head.lines().filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).map(str::to_string).collect::<Vec<_>>().join("\n")
    };
    for unset in [&[][..], &[("MEETINGHOUSE_TLS", "")][..]] {
        let on = cookies(unset);
        assert!(on.contains("__Host-") && on.contains("Secure"), "the file's tls = true ({unset:?}): {on}");
    }
    for off in ["false", "0", "no", "OFF"] {
        let off_cookies = cookies(&[("MEETINGHOUSE_TLS", off)]);
        assert!(!off_cookies.is_empty() && !off_cookies.contains("__Host-") && !off_cookies.contains("Secure"), "MEETINGHOUSE_TLS={off}: {off_cookies}");
    }
    let out = run(&["serve", "--data-dir", dir.to_str().unwrap()], "", &[("MEETINGHOUSE_TLS", "perhaps")]);
    let (_, err) = text(&out);
    assert!(!out.status.success() && err.contains("perhaps") && err.contains("on or off"), "{err}");
}

#[test]
fn empty_environment_variables_count_as_not_set_and_a_bad_one_is_named() {
    // MEETINGHOUSE_DATA_DIR= and MEETINGHOUSE_CONFIG=: the default data folder.
    let cwd = temp_dir("emptyenv");
    let mut migrate = bin();
    migrate.current_dir(&cwd).arg("migrate").envs([("MEETINGHOUSE_DATA_DIR", ""), ("MEETINGHOUSE_CONFIG", " "), ("MEETINGHOUSE_LOG", "")]);
    let out = migrate.output().unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(cwd.join("meetinghouse-data").join("meetinghouse.db").is_file());

    // An empty MEETINGHOUSE_LISTEN leaves the choice to the file; empty
    // numbers and proxies are not set; a proxy list may have spaces.
    let dir = temp_dir("emptyenv_serve");
    let config = dir.with_extension("toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\n").unwrap();
    let server = start(
        &dir,
        &["--config", config.to_str().unwrap()],
        &[
            ("MEETINGHOUSE_LISTEN", ""),
            ("MEETINGHOUSE_PAGE_CACHE_MS", ""),
            ("MEETINGHOUSE_MAX_UPLOAD_MB", " "),
            ("MEETINGHOUSE_BASE_URL", ""),
            ("MEETINGHOUSE_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2"),
        ],
    );
    assert!(get_head(&server.addr, "/healthz").starts_with("HTTP/1.1 200"));
    drop(server);

    for (var, value) in [
        ("MEETINGHOUSE_LISTEN", "nowhere"),
        ("MEETINGHOUSE_PAGE_CACHE_MS", "soon"),
        ("MEETINGHOUSE_TRUSTED_PROXIES", "10.0.0.1, proxy.internal"),
    ] {
        let out = run(&["serve", "--data-dir", dir.to_str().unwrap()], "", &[(var, value)]);
        let (_, err) = text(&out);
        assert!(!out.status.success() && err.contains(var), "{var}={value}: {err}");
    }
}

/// `--config` names a file that can be read only once (a pipe, here
/// standard input): every setting in it is used, not the defaults.
#[test]
fn a_config_file_on_a_pipe_is_read_once() {
    let cwd = temp_dir("configpipe");
    let data = cwd.join("town");
    let mut child = bin()
        .current_dir(&cwd)
        .env("MEETINGHOUSE_LOG", "info")
        .args(["serve", "--config", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let settings = format!("listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nlog_format = \"json\"\n", data.display());
    child.stdin.take().unwrap().write_all(settings.as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(line.starts_with("meetinghouse listening on http://127.0.0.1:") && !line.contains(":8080"), "{line:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(data.join("meetinghouse.db").is_file(), "the file's data folder");
    assert!(!cwd.join("meetinghouse-data").exists(), "not the default one");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("opened the database") && log.lines().all(|l| l.starts_with('{')), "the file's log format: {log}");
}

#[test]
fn a_mistyped_config_file_does_not_print_its_secrets() {
    let dir = temp_dir("typo");
    let config = dir.with_extension("toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nsmtp_url = \"smtp://u:hunter2@relay:25\nmail_from = \"a@b.org\"\n").unwrap();
    let out = run(&["migrate", "--data-dir", dir.to_str().unwrap(), "--config", config.to_str().unwrap()], "", &[]);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("is not valid") && err.contains("line 2") && err.contains("smtp_url"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn unknown_or_out_of_range_values_are_refused() {
    let dir = temp_dir("refused");
    let d = dir.to_str().unwrap();
    let out = run(&["migrate", "--data-dir", d, "--log-format", "yaml"], "", &[]);
    let (_, err) = text(&out);
    assert!(!out.status.success() && err.contains("--log-format") && err.contains("human or json"), "{err}");
    let out = run(&["migrate", "--data-dir", d, "--log-format", "JSON"], "", &[("MEETINGHOUSE_LOG", "info")]);
    let (_, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.lines().all(|l| l.starts_with('{')), "JSON logs: {err}");
    let out = run(&["serve", "--data-dir", d, "--page-cache-ms", "90000"], "", &[]);
    let (_, err) = text(&out);
    assert!(!out.status.success() && err.contains("--page-cache-ms") && err.contains("from 0 to 60000"), "{err}");
}

#[test]
fn a_password_sent_unencrypted_to_another_machine_is_warned_about() {
    let dir = temp_dir("smtpwarn");
    let server = start(&dir, &["--listen", "127.0.0.1:0", "--smtp-url", "smtp://sam:hunter2@mail.example.org:25"], &[]);
    let log = server.log();
    assert!(log.contains("WARN") && log.contains("unencrypted to mail.example.org") && log.contains("smtps://"), "{log}");
    assert!(!log.contains("hunter2"), "{log}");
    drop(server);
    let quiet = start(&dir, &["--listen", "127.0.0.1:0", "--smtp-url", "smtps://sam:hunter2@mail.example.org"], &[]);
    assert!(!quiet.log().contains("unencrypted"), "{}", quiet.log());
}

// --- PostgreSQL -----------------------------------------------------------------

#[test]
fn postgres_speaks_tls_when_asked() {
    let Some(url) = postgres("postgres_speaks_tls_when_asked") else { return };
    let dir = temp_dir("pgtls");
    // The local test server has no TLS: it refuses, and the binary says so
    // (before, it could not even ask: "SQLx was built without TLS support").
    let out = run(&["migrate", "--data-dir", dir.to_str().unwrap(), "--database-url", &with_setting(&url, "sslmode=require")], "", &[]);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("server does not support TLS") && !err.contains("built without TLS"), "{err}");
    // sslmode=prefer (the default) falls back to plain text when the server has no TLS.
    let out = run(&["migrate", "--data-dir", dir.to_str().unwrap(), "--database-url", &with_setting(&url, "sslmode=prefer")], "", &[]);
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn postgres_with_a_local_media_folder_is_warned_about() {
    let Some(url) = postgres("postgres_with_a_local_media_folder_is_warned_about") else { return };
    let dir = temp_dir("pgmedia");
    let server = start(&dir, &["--listen", "127.0.0.1:0", "--migrate", "--database-url", &url], &[]);
    let log = server.log();
    assert!(log.contains("images are kept in a local folder") && log.contains("S3"), "{log}");
    drop(server);
    let sqlite = start(&dir, &["--listen", "127.0.0.1:0"], &[]);
    assert!(!sqlite.log().contains("local folder"), "{}", sqlite.log());
}

// --- admin ----------------------------------------------------------------------

/// The database settings for `run`: SQLite in `dir`, or PostgreSQL.
fn admin(dir: &Path, db: Option<&str>, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut all = vec!["admin"];
    all.extend_from_slice(args);
    all.extend(["--data-dir", dir.to_str().unwrap()]);
    if let Some(url) = db {
        all.extend(["--database-url", url]);
    }
    let out = run(&all, stdin, &[]);
    let (stdout, stderr) = text(&out);
    (out.status.success(), stdout, stderr)
}

/// A new, empty meeting house: `meetinghouse migrate`.
fn migrate(dir: &Path, db: Option<&str>) {
    let mut cmd = bin();
    cmd.args(["migrate", "--data-dir", dir.to_str().unwrap()]);
    if let Some(url) = db {
        cmd.args(["--database-url", url]);
    }
    let migrated = cmd.output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
}

/// A migrated SQLite database, and a PostgreSQL one when `TEST_DATABASE_URL` is set.
fn backends(test: &str) -> Vec<(PathBuf, Option<String>)> {
    let mut out = vec![(temp_dir(&format!("{test}_sqlite")), None)];
    if let Some(url) = postgres(test) {
        out.push((temp_dir(&format!("{test}_pg")), Some(url)));
    }
    for (dir, db) in &out {
        migrate(dir, db.as_deref());
    }
    out
}

#[test]
fn admins_are_listed_promoted_and_demoted_but_one_always_stays() {
    let help = run(&["admin", "create", "--help"], "", &[]);
    let (help, _) = text(&help);
    assert!(help.contains("standard input") && help.contains("The new admin's email address"), "{help}");
    assert!(!help.contains("[default: ]"), "one default for --name: {help}");
    for (dir, db) in backends("admins") {
        let db = db.as_deref();
        let (ok, out, err) = admin(&dir, db, &["create", "--email", "boss@example.org", "--handle", "boss"], "a long enough password\n");
        assert!(ok && out.contains("Created admin @boss"), "{out}{err}");
        let (ok, out, err) = admin(&dir, db, &["create", "--email", "ann@example.org", "--handle", "ann", "--name", "Ann Admin"], "another long password\n");
        assert!(ok, "{out}{err}");
        let (ok, list, _) = admin(&dir, db, &["list"], "");
        assert!(ok && list.contains("@ann\tAnn Admin\tann@example.org\tactive") && list.contains("@boss\tboss"), "{list}");

        let (ok, out, _) = admin(&dir, db, &["demote", "@Ann"], "");
        assert!(ok && out.contains("@ann is no longer an instance admin"), "{out}");
        let (_, list, _) = admin(&dir, db, &["list"], "");
        assert!(!list.contains("@ann") && list.contains("@boss"), "{list}");
        // The last active admin stays one.
        let (ok, out, err) = admin(&dir, db, &["demote", "boss"], "");
        assert!(!ok && err.contains("@boss is the only active instance admin") && err.contains("admin promote"), "{out}{err}");
        let (ok, out, _) = admin(&dir, db, &["promote", "ann"], "");
        assert!(ok && out.contains("@ann is now an instance admin"), "{out}");
        let (ok, out, _) = admin(&dir, db, &["promote", "ann"], "");
        assert!(ok && out.contains("already"), "{out}");
        let (ok, _, err) = admin(&dir, db, &["promote", "nobody"], "");
        assert!(!ok && err.contains("no account with the handle @nobody"), "{err}");

        // Two demotions at once: the count is taken in each one's
        // transaction, so exactly one goes through and an admin is left.
        let spawn = |handle: &str| {
            let mut cmd = bin();
            cmd.args(["admin", "demote", handle, "--data-dir", dir.to_str().unwrap()]);
            if let Some(url) = db {
                cmd.args(["--database-url", url]);
            }
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        };
        let (a, b) = (spawn("ann"), spawn("boss"));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert_eq!(
            [a.status.success(), b.status.success()].iter().filter(|ok| **ok).count(),
            1,
            "{} {}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        let (_, list, _) = admin(&dir, db, &["list"], "");
        assert_eq!(list.lines().count(), 1, "{list}");
    }
}

/// Two admins banned each other (as the queue let them before it refused
/// banning an admin): `admin list` says no admin is active and names the
/// way back, `admin lift` ends a ban from the command line (kept in the
/// moderation log, the person told), and an account not suspended, or no
/// account, is refused. `admin create` with an address that already has an
/// account names the account to promote instead.
#[test]
fn the_operator_lifts_a_ban_when_no_admin_is_active() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for (dir, db) in backends("lift") {
        let db = db.as_deref();
        for (email, handle) in [("jo@example.org", "jo"), ("sam@example.org", "sam")] {
            let (ok, out, err) = admin(&dir, db, &["create", "--email", email, "--handle", handle], "a long enough password\n");
            assert!(ok, "{out}{err}");
        }
        runtime.block_on(async {
            let options = meetinghouse_store::DbOptions { max_connections: 2 };
            let store = match db {
                Some(url) => meetinghouse_store::Db::connect(url, &options).await.unwrap(),
                None => meetinghouse_store::Db::open_sqlite(&dir.join("meetinghouse.db"), &options).await.unwrap(),
            };
            for handle in ["jo", "sam"] {
                let p = meetinghouse_store::people::by_handle(&store, handle).await.unwrap().unwrap();
                let mut tx = store.begin().await.unwrap();
                meetinghouse_store::moderation::suspend(&mut tx, p.id, None).await.unwrap();
                tx.commit().await.unwrap();
            }
            store.close().await;
        });
        let (ok, list, err) = admin(&dir, db, &["list"], "");
        assert!(ok && list.contains("@jo\tjo\tjo@example.org\tbanned") && list.lines().count() == 2, "{list}");
        assert!(err.contains("No instance admin is active") && err.contains("meetinghouse admin lift jo"), "{err}");

        // A banned person cannot sign in to download their data: the operator
        // writes it for them (a subject access request), to a new private file.
        let file = dir.join("jo-data.json");
        let (ok, out, err) = admin(&dir, db, &["personal-data", "@Jo", "--out", file.to_str().unwrap(), "--base-url", "https://meet.example.org"], "");
        assert!(ok && out.contains("Wrote the personal data of @jo to"), "{out}{err}");
        let data: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(data["format"], "meetinghouse-personal-data/1", "{data}");
        assert_eq!(data["account"]["handle"], "jo", "{data}");
        assert_eq!(data["account"]["email"], "jo@example.org", "{data}");
        assert_eq!(data["account"]["profile"], "https://meet.example.org/@jo", "{data}");
        assert_eq!(data["account"]["status"], "suspended", "{data}");
        #[cfg(unix)]
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions()) & 0o777, 0o600);
        let (ok, _, err) = admin(&dir, db, &["personal-data", "jo", "--out", file.to_str().unwrap()], "");
        assert!(!ok && err.contains("exists already; nothing was written"), "{err}");
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&std::fs::read(&file).unwrap()).unwrap(), data, "never overwritten");
        let (ok, _, err) = admin(&dir, db, &["personal-data", "nobody", "--out", dir.join("n.json").to_str().unwrap()], "");
        assert!(!ok && err.contains("no account with the handle @nobody") && !dir.join("n.json").exists(), "{err}");
        // …and closes it for an erasure request (the last active instance
        // admin is refused first, as on /me/close).
        let (ok, out, err) = admin(&dir, db, &["create", "--email", "max@example.org", "--handle", "max"], "a long enough password\n");
        assert!(ok, "{out}{err}");
        let (ok, out, err) = admin(&dir, db, &["close", "max", "--posts", "keep"], "");
        assert!(!ok && err.contains("@max is the meeting house’s only active instance admin"), "{out}{err}");
        let (ok, out, err) = admin(&dir, db, &["create", "--email", "kit@example.org", "--handle", "kit"], "a long enough password\n");
        assert!(ok, "{out}{err}");
        let (ok, out, err) = admin(&dir, db, &["close", "@Kit", "--posts", "remove"], "");
        assert!(ok && out.contains("Closed the account @kit: 0 stories deleted, 0 replies retracted, 0 statements taken out; 0 groups archived.") && out.contains("They are emailed."), "{out}{err}");
        let (ok, _, err) = admin(&dir, db, &["personal-data", "kit", "--out", dir.join("k.json").to_str().unwrap()], "");
        assert!(!ok && err.contains("no account with the handle @kit"), "closed: {err}");
        let (ok, _, err) = admin(&dir, db, &["close", "kit", "--posts", "remove"], "");
        assert!(!ok && err.contains("no account with the handle @kit"), "{err}");
        let (ok, _, err) = admin(&dir, db, &["close", "jo", "--posts", "everything"], "");
        assert!(!ok && err.contains("possible values: remove, keep"), "{err}");

        let (ok, out, err) = admin(&dir, db, &["lift", "@Jo", "--note", "Banned by mistake."], "");
        assert!(ok && out.contains("Lifted the ban on @jo: they can sign in again") && out.contains("@jo is an instance admin, and active again."), "{out}{err}");
        let (_, list, err) = admin(&dir, db, &["list"], "");
        assert!(list.contains("@jo\tjo\tjo@example.org\tactive") && !err.contains("No instance admin is active"), "{list}{err}");
        let (ok, _, err) = admin(&dir, db, &["lift", "jo"], "");
        assert!(!ok && err.contains("@jo is not suspended or banned, so nothing was changed"), "{err}");
        let (ok, _, err) = admin(&dir, db, &["lift", "nobody"], "");
        assert!(!ok && err.contains("no account with the handle @nobody"), "{err}");
        runtime.block_on(async {
            let options = meetinghouse_store::DbOptions { max_connections: 2 };
            let store = match db {
                Some(url) => meetinghouse_store::Db::connect(url, &options).await.unwrap(),
                None => meetinghouse_store::Db::open_sqlite(&dir.join("meetinghouse.db"), &options).await.unwrap(),
            };
            let log = meetinghouse_store::moderation::actions(&store, 0, 10).await.unwrap();
            assert_eq!(log.iter().map(|a| (a.action.as_str(), a.note.as_str(), a.moderator_handle.is_none())).collect::<Vec<_>>(), [("lift", "Banned by mistake.", true)]);
            let jo = meetinghouse_store::people::by_handle(&store, "jo").await.unwrap().unwrap();
            let told = meetinghouse_store::notifications::list(&store, jo.id, 0, 10).await.unwrap();
            assert!(told.iter().any(|n| n.text.contains("The ban on your account was lifted: you can sign in again. Why: Banned by mistake.")), "{told:?}");
            let mails = meetinghouse_store::outbox::recent(&store, 10).await.unwrap();
            assert!(mails.iter().any(|m| m.to_addr == "jo@example.org" && m.body.contains("Banned by mistake.")), "{mails:?}");
            store.close().await;
        });

        // An address with an account already: the account to promote is named.
        let (ok, out, err) = admin(&dir, db, &["create", "--email", "SAM@example.org", "--handle", "samuel"], "a long enough password\n");
        assert!(!ok && err.contains("@sam already has this email address") && err.contains("meetinghouse admin promote sam"), "{out}{err}");
    }
}

/// `admin personal-data` and `admin close` write links with the address
/// people reach the site at, found as `serve` finds it: `--base-url`, then
/// `MEETINGHOUSE_BASE_URL`, then `base_url` in the `--config` file, then
/// `http://LISTEN` (`listen` in the file); one that is not a web address is
/// refused before anything is written.
#[test]
fn admin_links_use_the_base_url_of_the_config_file_as_serve_does() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for (dir, db) in backends("base_url") {
        let db = db.as_deref();
        let admin_with = |args: &[&str], env: &[(&str, &str)]| {
            let mut all = vec!["admin"];
            all.extend_from_slice(args);
            all.extend(["--data-dir", dir.to_str().unwrap()]);
            if let Some(url) = db {
                all.extend(["--database-url", url]);
            }
            let out = run(&all, "", env);
            let (stdout, stderr) = text(&out);
            assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        };
        for (email, handle) in [("jo@example.org", "jo"), ("kit@example.org", "kit")] {
            let (ok, out, err) = admin(&dir, db, &["create", "--email", email, "--handle", handle], "a long enough password\n");
            assert!(ok, "{out}{err}");
        }
        let config = dir.join("base-url.toml");
        std::fs::write(&config, "base_url = \"https://town.example.org/\"\n").unwrap();
        let config = config.to_str().unwrap();
        let listening = dir.join("listen.toml");
        std::fs::write(&listening, "listen = \"127.0.0.1:9123\"\n").unwrap();
        let listening = listening.to_str().unwrap();
        let profile = |name: &str, args: &[&str], env: &[(&str, &str)]| {
            let out = dir.join(name);
            admin_with(&[&["personal-data", "jo", "--out", out.to_str().unwrap()], args].concat(), env);
            let data: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
            data["account"]["profile"].as_str().unwrap().to_string()
        };
        assert_eq!(profile("file.json", &["--config", config], &[]), "https://town.example.org/@jo");
        let env = [("MEETINGHOUSE_BASE_URL", "https://env.example.org")];
        assert_eq!(profile("env.json", &["--config", config], &env), "https://env.example.org/@jo");
        assert_eq!(profile("flag.json", &["--config", config, "--base-url", "https://flag.example.org"], &env), "https://flag.example.org/@jo");
        assert_eq!(profile("listen.json", &["--config", listening], &[]), "http://127.0.0.1:9123/@jo");
        assert_eq!(profile("default.json", &[], &[]), "http://127.0.0.1:8080/@jo");
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "base_url = \"town.example.org\"\n").unwrap();
        let (ok, _, err) = admin(&dir, db, &["personal-data", "jo", "--out", dir.join("bad.json").to_str().unwrap(), "--config", bad.to_str().unwrap()], "");
        assert!(!ok && err.contains("must start with http:// or https://") && err.contains("base_url in the config file"), "{err}");
        assert!(!dir.join("bad.json").exists());

        admin_with(&["close", "kit", "--posts", "keep", "--config", config], &[]);
        runtime.block_on(async {
            let options = meetinghouse_store::DbOptions { max_connections: 2 };
            let store = match db {
                Some(url) => meetinghouse_store::Db::connect(url, &options).await.unwrap(),
                None => meetinghouse_store::Db::open_sqlite(&dir.join("meetinghouse.db"), &options).await.unwrap(),
            };
            let mails = meetinghouse_store::outbox::recent(&store, 10).await.unwrap();
            let last = mails.iter().find(|m| m.to_addr == "kit@example.org").expect("the last email");
            assert!(last.body.contains("https://town.example.org") && !last.body.contains("localhost"), "{}", last.body);
            store.close().await;
        });
    }
}

/// Runs `meetinghouse ARGS` at a terminal (util-linux `script` gives it one),
/// typing `typed`; returns its exit code and what the terminal showed.
fn at_a_terminal(args: &str, typed: &str) -> (Option<i32>, String) {
    let mut script = Command::new("script");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("MEETINGHOUSE_") {
            script.env_remove(name);
        }
    }
    let mut child = script
        .env("MEETINGHOUSE_LOG", "warn")
        .args(["-qec", &format!("{BIN} {args}"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start script");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(typed.as_bytes()).unwrap();
    // Kept open until the command ends: an end of input would reach it as one.
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args} did not finish at the terminal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// At a terminal, where what is typed is not shown, a new password is asked
/// for twice and two that differ are refused with nothing changed.
#[test]
fn at_a_terminal_a_new_password_is_asked_for_twice() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED at_a_terminal_a_new_password_is_asked_for_twice: util-linux `script`, which gives the binary a terminal, is not installed"
        );
        return;
    }
    let dir = temp_dir("tty");
    migrate(&dir, None);
    let d = dir.to_str().unwrap();
    let create = format!("--data-dir {d} admin create --email boss@example.org --handle boss");
    let (code, shown) = at_a_terminal(&create, "a long enough password\na long enough passwerd\n");
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("The same password again") && shown.contains("the two passwords typed differ"), "{shown}");
    let (_, list, _) = admin(&dir, None, &["list"], "");
    assert!(!list.contains("@boss"), "nobody was made: {list}");

    let (code, shown) = at_a_terminal(&create, "a long enough password\na long enough password\n");
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("Created admin @boss"), "{shown}");

    let reset = format!("--data-dir {d} admin reset-password boss");
    let (code, shown) = at_a_terminal(&reset, "a brand new password\nA brand new password\n");
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("the two passwords typed differ") && !shown.contains("New password set"), "{shown}");
    let (code, shown) = at_a_terminal(&reset, "a brand new password\na brand new password\n");
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("New password set for @boss"), "{shown}");
}

#[test]
fn reset_password_sets_a_new_one_and_signs_the_account_out() {
    let dir = temp_dir("reset");
    migrate(&dir, None);
    let (ok, out, err) = admin(&dir, None, &["create", "--email", "boss@example.org", "--handle", "boss"], "the old long password\n");
    assert!(ok, "{out}{err}");
    let server = start(&dir, &["--listen", "127.0.0.1:0"], &[]);
    let base = format!("http://{}", server.addr);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        meetinghouse_media::install_crypto_provider();
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let sign_in = |password: &'static str| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
                let marker = r#"name="csrf" value=""#;
                let at = page.find(marker).expect("a CSRF token") + marker.len();
                let token = page[at..at + page[at..].find('"').unwrap()].to_string();
                let r = client.post(format!("{base}/login")).form(&[("csrf", token.as_str()), ("email", "boss@example.org"), ("password", password)]).send().await.unwrap();
                r.url().path().to_string()
            }
        };
        assert_eq!(sign_in("the old long password").await, "/me");
        assert_eq!(client.get(format!("{base}/me")).send().await.unwrap().url().path(), "/me", "signed in");

        // Too short: refused with the sign-up rule, nothing changed.
        let (ok, _, err) = admin(&dir, None, &["reset-password", "boss"], "short\n");
        assert!(!ok && err.contains("password:") && err.contains("at least 10"), "{err}");
        assert_eq!(client.get(format!("{base}/me")).send().await.unwrap().url().path(), "/me", "still signed in");
        let (ok, _, err) = admin(&dir, None, &["reset-password", "boss"], "");
        assert!(!ok && err.contains("no password given"), "{err}");

        let (ok, out, err) = admin(&dir, None, &["reset-password", "@boss"], "a brand new password\n");
        assert!(ok && out.contains("New password set for @boss; 1 session(s) ended"), "{out}{err}");
        assert!(!out.contains("brand new"), "{out}");
        assert!(client.get(format!("{base}/me")).send().await.unwrap().url().path().starts_with("/login"), "signed out");
        assert!(sign_in("the old long password").await.starts_with("/login"), "the old password no longer works");
        assert_eq!(sign_in("a brand new password").await, "/me");
    });
    let (ok, _, err) = admin(&dir, None, &["reset-password", "nobody"], "a brand new password\n");
    assert!(!ok && err.contains("no account with the handle @nobody"), "{err}");
}
