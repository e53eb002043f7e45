//! `meetinghouse demo` on the real binary, on SQLite and (with
//! `TEST_DATABASE_URL`) PostgreSQL: killed part-way, the next run finishes
//! the town rather than reporting it there; a second run while one seeds
//! stops, saying so; a finished town is left alone;
//! an account of the meeting house's own named `sam` stops it with a plain
//! message. And every command that opens the database refuses one a newer
//! binary migrated, saying so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meetinghouse_store::{Db, DbOptions, common_ground, conversations, groups, media, people, settings, stories};

const BIN: &str = env!("CARGO_BIN_EXE_meetinghouse");

/// The command with this test's data directory and, on PostgreSQL, its database.
fn command(dir: &Path, url: Option<&str>, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(dir);
    if let Some(url) = url {
        c.arg("--database-url").arg(url);
    }
    c.args(args).env("MEETINGHOUSE_LOG", "warn");
    c
}

fn run(dir: &Path, url: Option<&str>, args: &[&str]) -> std::process::Output {
    command(dir, url, args).output().expect("run the binary")
}

/// Every backend this run tests: (data directory, database URL or SQLite).
fn backends(runtime: &tokio::runtime::Runtime, name: &str) -> Vec<(PathBuf, Option<String>)> {
    let mut out = vec![(meetinghouse_store::test_databases::temp_dir(&format!("mh_demo_cli_{name}")), None)];
    if let Some(admin) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let url = runtime.block_on(meetinghouse_store::test_databases::create(&admin, "mh_demo_cli")).expect("create a test database");
        let dir = meetinghouse_store::test_databases::temp_dir(&format!("mh_demo_cli_{name}_pg"));
        let migrated = run(&dir, Some(&url), &["migrate"]);
        assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        out.push((dir, Some(url)));
    }
    out
}

async fn open(dir: &Path, url: Option<&str>) -> Db {
    let options = DbOptions { max_connections: 2 };
    match url {
        Some(url) => Db::connect(url, &options).await.unwrap(),
        None => Db::open_sqlite(&dir.join("meetinghouse.db"), &options).await.unwrap(),
    }
}

/// Files under `dir`, at any depth.
fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()
}

/// (people, public stories, uploads the stories show, uploads no story
/// shows, replies in the town network's thread, conversations, complete).
async fn town(db: &Db) -> (i64, usize, usize, usize, usize, usize, bool) {
    let stories = stories::recent_public(db, None, 1_000, 0).await.unwrap();
    let mut shown = std::collections::HashSet::new();
    for s in &stories {
        shown.extend(media::photos_of_story(db, s.id).await.unwrap().into_iter().map(|p| p.media_id));
    }
    let thread = match groups::by_slug(db, "tiverton-together").await.unwrap() {
        Some(g) => conversations::page(db, "group", g.id, "", 0, 100).await.unwrap().len(),
        None => 0,
    };
    (
        people::count(db).await.unwrap(),
        stories.len(),
        shown.len(),
        media::unused_before(db, meetinghouse_store::now() + 1, 1_000).await.unwrap().len(),
        thread,
        common_ground::list(db, 10, 0).await.unwrap().len(),
        settings::get(db, "demo_town").await.unwrap().is_some(),
    )
}

#[test]
fn a_killed_demo_is_finished_by_the_next_run() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for (dir, url) in backends(&runtime, "killed") {
        let url = url.as_deref();
        // Killed while the photos are being stored: the people, stories and
        // collection are committed; photos, replies and the conversation are not.
        let mut child = command(&dir, url, &["demo"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let started = Instant::now();
        while files_under(&dir.join("media")) == 0 {
            assert!(child.try_wait().unwrap().is_none(), "the demo finished before it could be stopped");
            assert!(started.elapsed() < Duration::from_secs(120), "no photo was stored in two minutes");
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let db = runtime.block_on(open(&dir, url));
        let (people, stories, _, _, thread, conversations, complete) = runtime.block_on(town(&db));
        assert_eq!((people, stories, thread, conversations, complete), (44, 100, 0, 0, false), "killed part-way");

        let second = run(&dir, url, &["demo"]);
        assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
        let said = String::from_utf8_lossy(&second.stdout);
        assert!(said.starts_with("Finished the demo town an earlier run had left part-way: added"), "{said}");
        assert!(said.contains("replies") && said.contains("common-ground conversation"), "{said}");
        let finished = runtime.block_on(town(&db));
        assert_eq!(finished, (44, 100, 12, 0, 7, 1, true), "the whole town, the pictures the killed run stored used again");

        let third = run(&dir, url, &["demo"]);
        assert!(third.status.success(), "{}", String::from_utf8_lossy(&third.stderr));
        assert!(String::from_utf8_lossy(&third.stdout).contains("already here: nothing to do"));
        assert_eq!(runtime.block_on(town(&db)), finished);
        runtime.block_on(db.close());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The review's repro: a second `demo` started while the first was still
/// seeding took the half-made town for one an earlier run had left, said
/// "Finished the demo town an earlier run had left part-way: added photos
/// on 100 stories", exited 0 and left image records no story uses. Now the
/// seeding run holds a lock (an advisory lock on PostgreSQL, a lock file
/// on SQLite) until it ends, and the second stops, saying so, having
/// written nothing; the first finishes the town alone.
#[test]
fn a_second_demo_while_one_is_seeding_stops_saying_so() {
    use std::io::BufRead;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for (dir, url) in backends(&runtime, "twice") {
        let url = url.as_deref();
        let migrated = run(&dir, url, &["migrate"]);
        assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        let mut first = command(&dir, url, &["demo"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // It says so once it holds the lock, before its first write.
        let mut said = std::io::BufReader::new(first.stderr.take().unwrap());
        let mut line = String::new();
        while !line.contains("Seeding the demo town") {
            line.clear();
            assert!(said.read_line(&mut line).unwrap() > 0, "the first run ended without seeding");
        }
        let rest = std::thread::spawn(move || std::io::copy(&mut said, &mut std::io::sink()));

        let second = run(&dir, url, &["demo"]);
        assert!(first.try_wait().unwrap().is_none(), "the first run ended before the second did: seeding is too quick for this test");
        let err = String::from_utf8_lossy(&second.stderr);
        assert_eq!(second.status.code(), Some(1), "{err}");
        assert!(err.contains("Another demo seeding (`meetinghouse demo` or `serve --demo`) is running on") && err.contains("stopped without writing anything"), "{err}");
        assert!(!String::from_utf8_lossy(&second.stdout).contains("Finished the demo town"), "{}", String::from_utf8_lossy(&second.stdout));

        let first = first.wait_with_output().unwrap();
        rest.join().unwrap().unwrap();
        assert!(first.status.success());
        assert!(String::from_utf8_lossy(&first.stdout).starts_with("Seeded the demo town: 44 people"), "{}", String::from_utf8_lossy(&first.stdout));
        let db = runtime.block_on(open(&dir, url));
        assert_eq!(runtime.block_on(town(&db)), (44, 100, 12, 0, 7, 1, true), "one town, and no image that no story shows");
        let third = run(&dir, url, &["demo"]);
        assert!(third.status.success() && String::from_utf8_lossy(&third.stdout).contains("already here: nothing to do"), "{}", String::from_utf8_lossy(&third.stderr));
        runtime.block_on(db.close());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_real_sam_stops_the_demo_with_a_plain_message() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for (dir, url) in backends(&runtime, "sam") {
        let url = url.as_deref();
        // `admin create` needs a meeting house: `migrate` makes the SQLite one.
        let migrated = run(&dir, url, &["migrate"]);
        assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        let mut admin = command(&dir, url, &["admin", "create", "--email", "sam@example.org", "--handle", "sam"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        admin.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
        let created = admin.wait_with_output().unwrap();
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));

        let out = run(&dir, url, &["demo"]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("The demo town was not seeded: @sam is an account of this meeting house"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        let db = runtime.block_on(open(&dir, url));
        assert_eq!(runtime.block_on(people::count(&db)).unwrap(), 1);
        runtime.block_on(db.close());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn every_command_refuses_a_database_a_newer_binary_migrated() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for (dir, url) in backends(&runtime, "newer") {
        let url = url.as_deref();
        let migrated = run(&dir, url, &["migrate"]);
        assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        let db = runtime.block_on(open(&dir, url));
        let checksum = if url.is_some() { "decode('00', 'hex')" } else { "X'00'" };
        runtime
            .block_on(db.execute_admin(&format!(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'newer', TRUE, {checksum}, 0)"
            )))
            .unwrap();
        let known = db.latest_known_migration();
        runtime.block_on(db.close());
        let expected = format!(
            "This database was last migrated by a newer version of meetinghouse (migration 9999); this binary knows migrations up to {known}. Upgrade the binary."
        );
        for args in [&["migrate"][..], &["serve", "--listen", "127.0.0.1:0"], &["serve", "--listen", "127.0.0.1:0", "--migrate"], &["demo"], &["export", "interactions"]] {
            // `serve` on a database it accepts would run until stopped.
            let mut child = command(&dir, url, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            let started = Instant::now();
            while child.try_wait().unwrap().is_none() {
                if started.elapsed() > Duration::from_secs(60) {
                    child.kill().unwrap();
                    panic!("{args:?} is still running on a database a newer binary migrated");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains(&expected), "{args:?}: {err}");
            assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"), "{args:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
