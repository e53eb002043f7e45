//! `serve` checks its mail settings before it starts: an SMTP URL or From
//! address it could not use stops it with a message naming the setting
//! (never echoing a password), rather than starting and keeping mail back.
//! And the database password stays out of what `serve` prints, whether it is
//! in the URL's user part or a `password=` setting.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meetinghouse");

/// Runs `meetinghouse serve` with `args` and expects it to stop by itself
/// with an error; returns what it wrote to stderr.
fn refused(name: &str, args: &[&str]) -> String {
    let dir = meetinghouse_store::test_databases::temp_dir(&format!("mh_mail_{name}"));
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()])
        .args(args)
        .env("MEETINGHOUSE_LOG", "info")
        .env_remove("MEETINGHOUSE_SMTP_URL")
        .env_remove("MEETINGHOUSE_MAIL_FROM")
        .env_remove("MEETINGHOUSE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let Output { stdout, stderr, .. } = child.wait_with_output().unwrap();
            panic!(
                "serve {args:?} kept running\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "serve {args:?} should fail");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"), "serve {args:?} should not listen");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn serve_refuses_an_smtp_url_it_cannot_use_and_names_it() {
    // A multi-byte character after "%" once panicked the mail task, silently.
    let err = refused("percent", &["--smtp-url", "smtp://sam:p%aé@relay.internal"]);
    assert!(err.contains("--smtp-url") && err.contains("%25"), "{err}");
    assert!(!err.contains("p%a"), "the password is not repeated: {err}");
    for (name, url, says) in [
        ("scheme", "submission://relay.internal", "smtps:// (TLS) or smtp://"),
        ("port", "smtp://relay.internal:25x", "port"),
        ("nohost", "smtp://sam:secret@", "server name"),
        ("escape", "smtp://sam:100%@relay.internal", "%25"),
    ] {
        let err = refused(name, &["--smtp-url", url]);
        assert!(err.contains("--smtp-url") && err.contains(says), "{url}: {err}");
        assert!(!err.contains("secret") && !err.contains("100%@"), "{url}: the password is not repeated: {err}");
    }
}

#[test]
fn serve_refuses_a_from_address_it_cannot_use_and_names_it() {
    let err = refused("from", &["--mail-from", "Tiverton Meeting House hello at example.org"]);
    assert!(err.contains("--mail-from") && err.contains("Tiverton Meeting House hello at example.org"), "{err}");
}

#[test]
fn the_database_password_is_never_printed() {
    // Nothing listens on port 1, so connecting fails after the start-up line
    // that shows the configuration.
    for url in ["postgres://mh@127.0.0.1:1/mh?sslmode=disable&password=s3cret", "postgres://mh:s3cret@127.0.0.1:1/mh"] {
        let err = refused("dbpass", &["--database-url", url]);
        assert!(err.contains("could not connect to postgres://mh") && err.contains("127.0.0.1:1/mh"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}
