//! The operator's side of the binary, run as a person would: what keeps an
//! instance's data safe.
//!
//! - `demo` seeds only an empty database or the demo town, and says so.
//! - After any command and after `serve` stops, the SQLite file alone holds
//!   the data (the write-ahead log is folded in), so copying it is a backup;
//!   `backup OUT` writes a consistent copy (never over a file), PostgreSQL is
//!   pointed to pg_dump, and migrating a SQLite database copies it first.
//! - Only `serve`, `migrate` and `demo` create a database; other commands
//!   refuse a missing one, naming the absolute path they looked at.
//! - `common-ground export` and `bridges analyse --report` do not overwrite
//!   files unless told to, and never the report's own input.
//! - A data folder with a space, `?`, `%` or `#` in its name works; an
//!   unreachable PostgreSQL says "connection refused"; a `sqlite:PATH` URL
//!   is made only by `serve`, `migrate` and `demo`; a file where a folder
//!   should be is named; a driver's error is said once.
//! - The demo town is served on loopback with a warning and refused
//!   elsewhere without `--demo-public`; `serve` takes its port before it
//!   touches the database; two `demo` runs at once leave one town.
//! - What meetinghouse makes only its owner may read (folders 0700, the
//!   database and its copies 0600); a read-only data folder or database is
//!   refused at once in plain words (as root, the check runs as nobody).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use meetinghouse_store::{Db, DbOptions, people, settings};

const BIN: &str = env!("CARGO_BIN_EXE_meetinghouse");
const PASSWORD: &[u8] = b"a long enough password\n";

fn temp_dir(name: &str) -> PathBuf {
    meetinghouse_store::test_databases::temp_dir(&format!("mh_ops_{name}"))
}

/// The binary, with no configuration from this machine's environment.
fn bin() -> Command {
    let mut c = Command::new(BIN);
    for var in ["MEETINGHOUSE_DATA_DIR", "MEETINGHOUSE_DATABASE_URL", "MEETINGHOUSE_CONFIG", "MEETINGHOUSE_DEMO", "MEETINGHOUSE_MEDIA_DIR"] {
        c.env_remove(var);
    }
    c.env("MEETINGHOUSE_LOG", "warn");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin().arg("--data-dir").arg(dir).args(args).output().expect("run the binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(out: &Output) {
    assert!(out.status.success(), "stdout: {}\nstderr: {}", text(&out.stdout), text(&out.stderr));
}

/// `admin create` with the password on standard input.
fn create_admin(dir: &Path, handle: &str) -> Output {
    create_admin_logging(dir, handle, "warn")
}

fn create_admin_logging(dir: &Path, handle: &str, log_level: &str) -> Output {
    let mut child = bin()
        .env("MEETINGHOUSE_LOG", log_level)
        .arg("--data-dir")
        .arg(dir)
        .args(["admin", "create", "--email", &format!("{handle}@example.org"), "--handle", handle])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(PASSWORD).unwrap();
    child.wait_with_output().unwrap()
}

async fn open(file: &Path) -> Db {
    Db::open_sqlite(file, &DbOptions { max_connections: 2 }).await.unwrap()
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// The handles of the people in the SQLite database `file`.
fn handles(file: &Path) -> Vec<String> {
    block_on(async {
        let db = open(file).await;
        let mut all: Vec<String> = people::list(&db, 1_000, 0).await.unwrap().into_iter().map(|p| p.handle).collect();
        db.close().await;
        all.sort();
        all
    })
}

/// Copies only `meetinghouse.db` from `dir` (not its `-wal` or `-shm`) into
/// a new folder, as someone backing up the file would; returns the copy.
fn copy_database_file(dir: &Path, name: &str) -> PathBuf {
    let to = temp_dir(name);
    std::fs::copy(dir.join("meetinghouse.db"), to.join("meetinghouse.db")).unwrap();
    to.join("meetinghouse.db")
}

/// `meetinghouse serve` on port 0 (or `listen`), its log (at `log_level`)
/// going to a file read after it stops.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, listen: &str, log_level: &str, extra: &[&str]) -> Server {
        let log = dir.with_extension("serve.log");
        let mut child = bin()
            .env("MEETINGHOUSE_LOG", log_level)
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--listen", listen])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .expect("start the binary");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("meetinghouse listening on "), "unexpected first line: {line:?}; log: {}", std::fs::read_to_string(&log).unwrap_or_default());
        Server { child, log }
    }

    /// Stops it with SIGTERM, as a service manager would, and returns its log.
    fn stop(mut self) -> String {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "clean exit: {status:?}");
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- 1. the demo town -------------------------------------------------------

#[test]
fn demo_refuses_a_meeting_house_that_is_not_the_demo_town() {
    let dir = temp_dir("demo_live");
    ok(&run(&dir, &["migrate"]));
    ok(&create_admin(&dir, "alice"));
    let file = dir.join("meetinghouse.db");
    block_on(async {
        let db = open(&file).await;
        db.execute_admin("INSERT INTO instance_settings (key, value) VALUES ('name', 'Our Town')").await.unwrap();
        db.close().await;
    });

    let out = run(&dir, &["demo"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("The demo town was not seeded: @alice is an account of this meeting house, which has 1 person and is not the demo town"), "{err}");
    assert!(err.contains("@sam") && err.contains("published") && err.contains("new, empty data folder"), "{err}");
    assert!(err.contains(&file.canonicalize().unwrap().display().to_string()), "names the database: {err}");
    assert!(!err.contains("Seeding"), "{err}");
    assert_eq!(handles(&file), ["alice"], "nobody was added");

    // `serve --demo` serves the meeting house as it is, and says why.
    let server = Server::start(&dir, "127.0.0.1:0", "warn", &["--demo"]);
    let log = server.stop();
    assert!(log.contains("--demo: The demo town was not seeded: @alice"), "{log}");
    assert_eq!(handles(&file), ["alice"], "nobody was added");
    let name = block_on(async {
        let db = open(&file).await;
        let name = settings::get(&db, "name").await.unwrap();
        db.close().await;
        name
    });
    assert_eq!(name.as_deref(), Some("Our Town"), "the instance's name is untouched");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_says_it_is_seeding_and_serve_demo_on_every_address_warns() {
    let dir = temp_dir("demo_warn");
    let out = run(&dir, &["demo"]);
    ok(&out);
    let err = text(&out.stderr);
    let file = dir.join("meetinghouse.db");
    assert!(err.contains(&format!("Seeding the demo town into {}…", file.canonicalize().unwrap().display())), "{err}");
    assert!(text(&out.stdout).starts_with("Seeded the demo town"), "{}", text(&out.stdout));

    // A complete town: nothing to do, nothing seeded again.
    let again = run(&dir, &["demo"]);
    ok(&again);
    assert!(text(&again.stdout).contains("already here: nothing to do"), "{}", text(&again.stdout));
    assert!(!text(&again.stderr).contains("Seeding"), "{}", text(&again.stderr));

    // On an address other machines reach, the demo town is refused, with
    // --demo or without (README's recipe: `demo`, then `serve`)…
    for extra in [&["--demo"][..], &["--base-url", "http://town.example"]] {
        let (code, out, err) = serve_to_the_end(&dir, &[&["--listen", "0.0.0.0:0"], extra].concat());
        assert_eq!(code, Some(1), "{extra:?}: {err}");
        assert!(!out.contains("listening"), "{extra:?}: {out}");
        assert!(err.contains("holds the demo town") && err.contains("meetinghouse-demo") && err.contains("--demo-public"), "{extra:?}: {err}");
    }
    // …unless asked for, with a loud warning; on loopback, a plain one.
    let log = Server::start(&dir, "0.0.0.0:0", "warn", &["--demo", "--demo-public"]).stop();
    assert!(log.contains("THE DEMO TOWN IS REACHABLE FROM OTHER MACHINES") && log.contains("meetinghouse-demo"), "{log}");
    for extra in [&["--demo"][..], &[]] {
        let log = Server::start(&dir, "127.0.0.1:0", "warn", extra).stop();
        assert!(!log.contains("REACHABLE") && log.contains("serving the demo town") && log.contains("meetinghouse-demo"), "{extra:?}: {log}");
    }
    // A meeting house of its own is served anywhere, without a word about the demo.
    let own = temp_dir("demo_own");
    ok(&run(&own, &["migrate"]));
    let log = Server::start(&own, "0.0.0.0:0", "warn", &["--base-url", "http://town.example"]).stop();
    assert!(!log.contains("demo"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&own);
}

/// `serve` with `args` in `dir`, run until it stops by itself (a minute at
/// most): its exit code, standard output and standard error.
fn serve_to_the_end(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = bin()
        .arg("--data-dir")
        .arg(dir)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("serve {args:?} kept running: {}", text(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn serve_demo_on_a_public_address_is_refused_before_seeding() {
    let dir = temp_dir("demo_public_empty");
    let (code, _, err) = serve_to_the_end(&dir, &["--listen", "0.0.0.0:0", "--demo"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--demo would seed the demo town") && err.contains("--demo-public"), "{err}");
    assert!(!err.contains("Seeding"), "{err}");
    assert_eq!(handles(&dir.join("meetinghouse.db")), Vec::<String>::new(), "nothing was seeded");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_port_in_use_stops_serve_before_it_touches_the_database() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = temp_dir("port_taken");
    let (code, _, err) = serve_to_the_end(&dir, &["--listen", &addr, "--demo"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&format!("could not listen on {addr}")), "{err}");
    assert!(!err.contains("Seeding") && !dir.join("meetinghouse.db").exists(), "nothing was made or seeded: {err}");
    drop(taken);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_demo_runs_at_once_leave_one_town_and_say_what_happened() {
    let dir = temp_dir("demo_twice");
    let spawn = || bin().arg("--data-dir").arg(&dir).arg("demo").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (a, b) = (spawn(), spawn());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    for out in &outs {
        let err = text(&out.stderr);
        // Whichever lost the race says so, in words; never a bare database error.
        assert!(out.status.success() || err.contains("Another demo seeding (`meetinghouse demo` or `serve --demo`) is running"), "{err}");
        assert!(!err.contains("UNIQUE constraint") && !err.contains("Error: handle is already taken"), "{err}");
    }
    // One seeded the town; the other did not take it for one left part-way.
    let seeded: Vec<String> = outs.iter().filter(|o| o.status.success()).map(|o| text(&o.stdout)).collect();
    assert!(seeded.len() == 1 && seeded[0].starts_with("Seeded the demo town"), "{seeded:?}");
    let third = run(&dir, &["demo"]);
    ok(&third);
    // The one that lost waited for nothing and wrote nothing: the town is whole.
    let said = text(&third.stdout);
    assert!(said.contains("already here: nothing to do"), "{said}");
    assert_eq!(handles(&dir.join("meetinghouse.db")).len(), 44);
    let _ = std::fs::remove_dir_all(&dir);
}

// --- 2. backups -------------------------------------------------------------

#[test]
fn after_a_command_or_serve_the_database_file_alone_holds_the_data() {
    let dir = temp_dir("wal");
    ok(&run(&dir, &["migrate"]));
    ok(&create_admin(&dir, "alice"));
    let wal = dir.join("meetinghouse.db-wal");
    assert!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) == 0, "the write-ahead log is folded into the file");
    let copy = copy_database_file(&dir, "wal_copy");
    assert_eq!(handles(&copy), ["alice"], "a copy of the file alone has the admin");

    // `serve` writes the instance's secret key when it first starts; after a
    // clean stop the file has it too.
    Server::start(&dir, "127.0.0.1:0", "warn", &[]).stop();
    assert!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) == 0, "the write-ahead log is folded into the file");
    let copy = copy_database_file(&dir, "wal_copy_serve");
    let key = block_on(async {
        let db = open(&copy).await;
        let key = settings::get(&db, "secret_key").await.unwrap();
        db.close().await;
        key
    });
    assert!(key.is_some(), "serve's writes are in the file");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn backup_writes_a_copy_that_restores_and_never_overwrites() {
    let dir = temp_dir("backup");
    ok(&run(&dir, &["migrate"]));
    ok(&create_admin(&dir, "alice"));
    let out_dir = temp_dir("backup_out");
    let out = out_dir.join("town backup.db");

    // While the server runs, as an operator would.
    let server = Server::start(&dir, "127.0.0.1:0", "warn", &[]);
    let backed = run(&dir, &["backup", out.to_str().unwrap()]);
    ok(&backed);
    let said = text(&backed.stdout);
    assert!(said.contains(&format!("Backed up {}", dir.join("meetinghouse.db").canonicalize().unwrap().display())), "{said}");
    assert!(said.contains(&out.display().to_string()) && said.contains("media folder"), "{said}");
    assert_eq!(handles(&out), ["alice"]);
    assert_eq!(mode(&out), 0o600, "only its owner may read the copy");

    // A second backup to the same file is refused and leaves it alone.
    let before = std::fs::read(&out).unwrap();
    let again = run(&dir, &["backup", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already exists"), "{}", text(&again.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), before);

    // Restore: stop the server, remove -wal and -shm, copy the file in.
    ok(&create_admin(&dir, "bob"));
    assert_eq!(handles(&dir.join("meetinghouse.db")), ["alice", "bob"]);
    server.stop();
    for extra in ["meetinghouse.db-wal", "meetinghouse.db-shm"] {
        let _ = std::fs::remove_file(dir.join(extra));
    }
    std::fs::copy(&out, dir.join("meetinghouse.db")).unwrap();
    let server = Server::start(&dir, "127.0.0.1:0", "warn", &[]);
    server.stop();
    assert_eq!(handles(&dir.join("meetinghouse.db")), ["alice"], "the restored file is what serves");

    // PostgreSQL is backed up with pg_dump.
    let pg = bin().args(["--database-url", "postgres://mh@127.0.0.1:1/town", "backup"]).arg(out_dir.join("pg.db")).output().unwrap();
    assert_eq!(pg.status.code(), Some(1));
    assert!(text(&pg.stderr).contains("pg_dump"), "{}", text(&pg.stderr));
    assert!(!out_dir.join("pg.db").exists());

    // A missing database is not backed up (nor created).
    let nowhere = dir.join("nowhere");
    let missing = run(&nowhere, &["backup", out_dir.join("missing.db").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(!nowhere.exists() && !out_dir.join("missing.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn migrating_a_sqlite_database_backs_it_up_first() {
    let dir = temp_dir("migrate_backup");
    let file = dir.join("meetinghouse.db");
    // The schema an older binary left, with something in it.
    let older = block_on(async {
        let db = open(&file).await;
        // The migration before the latest (numbers may have gaps).
        let known = db.migration_status().await.unwrap().pending;
        let older = *known.iter().filter(|v| **v < db.latest_known_migration()).max().unwrap();
        db.migrate_to(older).await.unwrap();
        db.execute_admin("INSERT INTO instance_settings (key, value) VALUES ('name', 'Tiverton before')").await.unwrap();
        assert!(!db.migration_status().await.unwrap().pending.is_empty());
        db.close().await;
        older
    });

    let out = bin().env("MEETINGHOUSE_LOG", "info").arg("--data-dir").arg(&dir).arg("migrate").output().unwrap();
    ok(&out);
    let said = text(&out.stdout);
    let line = said.lines().find(|l| l.starts_with("Backed up the database before migrating it: ")).unwrap_or_else(|| panic!("{said}"));
    let backup = PathBuf::from(line.trim_start_matches("Backed up the database before migrating it: "));
    let today = block_on(async { meetinghouse_core::clock::Zone::utc().day_of(meetinghouse_store::now()).unwrap().to_string() });
    let name = backup.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("meetinghouse-backup-schema-{older}-{today}-")) && name.ends_with(".db"), "{name}");
    assert_eq!(backup.parent().unwrap(), file.canonicalize().unwrap().parent().unwrap(), "beside the database");
    assert_eq!(mode(&backup), 0o600, "only its owner may read the copy");
    assert!(text(&out.stderr).contains(&backup.display().to_string()), "the log says where: {}", text(&out.stderr));
    let known = block_on(async {
        let db = open(&backup).await;
        let n = db.migration_status().await.unwrap();
        db.close().await;
        n.applied.len() + n.pending.len()
    });
    assert!(said.contains(&format!("Applied 1 migration now; the database schema is current ({known} migrations in all): ")), "{said}");
    block_on(async {
        let db = open(&backup).await;
        let status = db.migration_status().await.unwrap();
        assert_eq!(status.applied.iter().max(), Some(&older), "the copy is from before migrating");
        assert_eq!(settings::get(&db, "name").await.unwrap().as_deref(), Some("Tiverton before"));
        db.close().await;
    });

    // A current database is not copied again; a new one has nothing to copy.
    let again = run(&dir, &["migrate"]);
    ok(&again);
    assert!(!text(&again.stdout).contains("Backed up"), "{}", text(&again.stdout));
    assert!(text(&again.stdout).starts_with(&format!("Nothing to apply: the database schema is current ({known} migrations in all): ")), "{}", text(&again.stdout));
    let fresh = temp_dir("migrate_fresh");
    let first = run(&fresh, &["migrate"]);
    ok(&first);
    assert!(!text(&first.stdout).contains("Backed up"), "{}", text(&first.stdout));
    assert!(text(&first.stdout).starts_with(&format!("Applied {known} migrations now; the database schema is current ({known} migrations in all): ")), "{}", text(&first.stdout));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&fresh);
}

// --- 3. the wrong folder ----------------------------------------------------

#[test]
fn commands_other_than_serve_migrate_and_demo_refuse_a_missing_database() {
    // Run from a folder with no meeting house, with the default data folder.
    let cwd = temp_dir("cwd");
    let expected = cwd.canonicalize().unwrap().join("meetinghouse-data").join("meetinghouse.db");
    let mut admin = bin()
        .current_dir(&cwd)
        .args(["admin", "create", "--email", "a@example.org", "--handle", "alice"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    admin.stdin.take().unwrap().write_all(PASSWORD).unwrap();
    let out = admin.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("there is no meeting-house database at {}", expected.display())), "{err}");
    assert!(!text(&out.stdout).contains("Created admin"));
    assert!(!cwd.join("meetinghouse-data").exists(), "no stray database was made");

    let nonexist = cwd.join("nonexist");
    std::fs::write(cwd.join("records.csv"), "accession number,title\n1,A jug\n").unwrap();
    for args in [
        &["export", "interactions"][..],
        &["common-ground", "export", "--conversation", "1", "--out", cwd.join("od").to_str().unwrap()],
        &["import", "objects", "--org", "museum", cwd.join("records.csv").to_str().unwrap()],
    ] {
        let out = run(&nonexist, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(&format!("there is no meeting-house database at {}", nonexist.join("meetinghouse.db").display())), "{args:?}: {}", text(&out.stderr));
        assert!(!nonexist.exists(), "{args:?} made {}", nonexist.display());
    }

    // The commands that touch a meeting house say which one.
    ok(&run(&nonexist, &["migrate"]));
    let db_file = nonexist.join("meetinghouse.db").canonicalize().unwrap();
    let out = run(&nonexist, &["export", "interactions"]);
    ok(&out);
    assert!(text(&out.stderr).contains(&format!("Exported 0 interactions from {}.", db_file.display())), "{}", text(&out.stderr));
    let out = create_admin_logging(&nonexist, "alice", "info");
    ok(&out);
    assert!(text(&out.stderr).contains(&db_file.display().to_string()), "the log names the database: {}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&cwd);
}

// --- 4. common-ground export ------------------------------------------------

#[test]
fn common_ground_export_refuses_a_folder_holding_an_export_unless_forced() {
    let dir = temp_dir("cg_force");
    ok(&run(&dir, &["migrate"]));
    block_on(async {
        let db = open(&dir.join("meetinghouse.db")).await;
        let host = meetinghouse_core::accounts::create_admin(&db, "claire@example.org", "claire", "Claire", "a long enough password").await.unwrap();
        meetinghouse_core::common_ground::seed_demo(&db, host, None, None, &[host]).await.unwrap();
        db.close().await;
    });
    // Another conversation's export: Pol.is files this export does not write.
    let od = dir.join("opendata");
    std::fs::create_dir_all(&od).unwrap();
    for f in ["participants-votes.csv", "summary.csv", "comments.csv"] {
        std::fs::write(od.join(f), "another conversation\n").unwrap();
    }
    std::fs::write(od.join("notes.txt"), "mine\n").unwrap();
    let export = |force: bool| {
        let mut args = vec!["common-ground", "export", "--conversation", "1", "--out", od.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        run(&dir, &args)
    };
    let refused = export(false);
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert!(err.contains("already holds openData files (comments.csv, participants-votes.csv, summary.csv)") && err.contains("--force"), "{err}");
    for f in ["participants-votes.csv", "summary.csv", "comments.csv"] {
        assert_eq!(std::fs::read_to_string(od.join(f)).unwrap(), "another conversation\n", "{f} untouched");
    }
    assert!(!od.join("votes.csv").exists());

    let forced = export(true);
    ok(&forced);
    let mut left: Vec<String> = std::fs::read_dir(&od).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["comments.csv", "notes.txt", "votes.csv"], "the other conversation's files are gone; other files stay");
    let ds = common_ground::io::load_opendata(&od).unwrap();
    assert_eq!(ds.statements.len(), 26);
    let _ = std::fs::remove_dir_all(&dir);
}

// --- 5. bridges --report ----------------------------------------------------

#[test]
fn bridges_report_never_overwrites_its_input_and_asks_before_replacing_a_file() {
    let dir = temp_dir("bridges_report");
    let edges = dir.join("edges.csv");
    let csv = "source,target,source_org,target_org\na,b,x,x\nb,c,x,y\nc,d,y,y\n";
    std::fs::write(&edges, csv).unwrap();
    let analyse = |report: &Path, force: bool| {
        let mut c = bin();
        c.args(["bridges", "analyse", "--group-attr", "org", "--edges"]).arg(&edges).arg("--report").arg(report);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    // The input itself, by its name or another path to it, even with --force.
    for (report, force) in [(edges.clone(), false), (edges.clone(), true), (dir.join(".").join("edges.csv"), true)] {
        let out = analyse(&report, force);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("is the input file"), "{}", text(&out.stderr));
        assert_eq!(std::fs::read_to_string(&edges).unwrap(), csv, "the input is untouched");
    }
    // An existing file: refused, then replaced with --force.
    let report = dir.join("report.html");
    std::fs::write(&report, "an earlier report").unwrap();
    let out = analyse(&report, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already exists") && text(&out.stderr).contains("--force"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "an earlier report");
    ok(&analyse(&report, true));
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
    // A new file needs no --force.
    ok(&analyse(&dir.join("new.html"), false));
    assert!(dir.join("new.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

// --- 6. where the database is -----------------------------------------------

#[test]
fn a_data_folder_with_a_space_question_mark_or_percent_works() {
    let parent = temp_dir("odd_names");
    let dir = parent.join("Town hall? 100% #1");
    ok(&run(&dir, &["migrate"]));
    assert!(dir.join("meetinghouse.db").is_file(), "the database is where it was asked to be");
    ok(&create_admin(&dir, "alice"));
    ok(&run(&dir, &["export", "interactions"]));
    assert_eq!(handles(&dir.join("meetinghouse.db")), ["alice"]);
    let mut made: Vec<String> = std::fs::read_dir(&parent).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    made.retain(|n| !n.starts_with('.'));
    assert_eq!(made, ["Town hall? 100% #1"], "nothing made elsewhere");
    let _ = std::fs::remove_dir_all(&parent);
}

/// A file's permission bits.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// --- 7. who may read and write the data -------------------------------------

#[test]
fn what_meetinghouse_makes_only_its_owner_may_read() {
    let parent = temp_dir("modes");
    let dir = parent.join("town").join("data");
    ok(&run(&dir, &["migrate"]));
    assert_eq!((mode(&parent.join("town")), mode(&dir)), (0o700, 0o700), "the folders it made");
    assert_eq!(mode(&dir.join("meetinghouse.db")), 0o600);
    // SQLite's write-ahead log and shared memory, while the server runs.
    let server = Server::start(&dir, "127.0.0.1:0", "warn", &[]);
    for extra in ["meetinghouse.db-wal", "meetinghouse.db-shm"] {
        assert_eq!(mode(&dir.join(extra)), 0o600, "{extra}");
    }
    assert_eq!(mode(&dir.join("media")), 0o700, "the media folder serve made");
    server.stop();
    let backup = parent.join("town backup.db");
    ok(&run(&dir, &["backup", backup.to_str().unwrap()]));
    assert_eq!(mode(&backup), 0o600);

    // A folder the operator made keeps its mode (the README says to set it).
    let theirs = parent.join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::set_permissions(&theirs, std::os::unix::fs::PermissionsExt::from_mode(0o750)).unwrap();
    ok(&run(&theirs, &["migrate"]));
    assert_eq!((mode(&theirs), mode(&theirs.join("meetinghouse.db"))), (0o750, 0o600));
    let _ = std::fs::remove_dir_all(&parent);
}

/// Whether the tests run as root, whom file permissions do not stop
/// (`/proc/self` belongs to the process's effective user).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// The binary with `args`, as a user whom the permissions stop: this one,
/// or, as root, `nobody` (util-linux `setpriv`). `None`, said loudly, when
/// root cannot become another user here.
fn as_a_plain_user(test: &str, args: &[&str]) -> Option<Output> {
    if !running_as_root() {
        return Some(bin().args(args).output().unwrap());
    }
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    let works = Command::new("setpriv").args(nobody).arg(BIN).arg("--version").output();
    if !works.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIPPED {test}: the tests run as root, whom file permissions do not stop, and `setpriv` cannot run the binary as nobody here \
             (util-linux missing, or the binary is not readable by others); run them as another user to check this"
        );
        return None;
    }
    let mut command = Command::new("setpriv");
    for var in ["MEETINGHOUSE_DATA_DIR", "MEETINGHOUSE_DATABASE_URL", "MEETINGHOUSE_CONFIG", "MEETINGHOUSE_DEMO", "MEETINGHOUSE_MEDIA_DIR"] {
        command.env_remove(var);
    }
    Some(command.env("MEETINGHOUSE_LOG", "warn").args(nobody).arg(BIN).args(args).output().unwrap())
}

#[test]
fn a_read_only_data_folder_is_refused_at_once_in_plain_words() {
    let parent = temp_dir("read_only");
    let dir = parent.join("data");
    ok(&run(&dir, &["migrate"]));
    use std::os::unix::fs::PermissionsExt;
    // Readable, not writable, by the user who runs the command (as root:
    // nobody, for whom the owner's write bits do not count).
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(dir.join("meetinghouse.db"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let d = dir.to_str().unwrap();
    let Some(out) = as_a_plain_user("a_read_only_data_folder_is_refused_at_once_in_plain_words", &["--data-dir", d, "admin", "list"]) else {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        return;
    };
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is read-only for this user") && err.contains("writable by the user running meetinghouse"), "{err}");
    assert!(!err.contains("pool timed out") && !err.contains("ERROR"), "one plain message, not the driver's: {err}");

    // The database file alone read-only.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = as_a_plain_user("a_read_only_data_folder_is_refused_at_once_in_plain_words", &["--data-dir", d, "admin", "list"]).unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success() && err.contains("meetinghouse.db is read-only for this user"), "{err}");

    // A folder that cannot be made says why.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let deeper = dir.join("new").join("town");
    let out = as_a_plain_user("a_read_only_data_folder_is_refused_at_once_in_plain_words", &["--data-dir", deeper.to_str().unwrap(), "migrate"]).unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success() && err.contains(&format!("could not make the folder {}", deeper.display())) && err.contains("may not make folders in"), "{err}");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::remove_dir_all(&parent);
}

#[test]
fn a_file_where_a_folder_should_be_is_named() {
    let dir = temp_dir("file_not_folder");
    let file = dir.join("notes.txt");
    std::fs::write(&file, "not a folder\n").unwrap();
    for args in [&["migrate"][..], &["export", "interactions"]] {
        let out = run(&file, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&format!("{} is a file, not a folder", file.display())) && !err.contains("os error"), "{args:?}: {err}");
    }
    let out = run(&file.join("deeper"), &["migrate"]);
    assert!(text(&out.stderr).contains(&format!("{} is a file, not a folder", file.display())), "{}", text(&out.stderr));

    ok(&run(&dir.join("data"), &["migrate"]));
    let out = run(&dir.join("data"), &["common-ground", "export", "--conversation", "1", "--out", file.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is a file, not a folder") && !err.contains("os error"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sqlite_url_is_a_file_made_only_by_serve_migrate_and_demo() {
    let dir = temp_dir("sqlite_url");
    let file = dir.join("new folder").join("town.db");
    let url = format!("sqlite:{}", file.display());
    let out = bin().args(["--database-url", &url, "migrate"]).output().unwrap();
    ok(&out);
    assert!(file.is_file(), "migrate made it: {}", text(&out.stdout));
    assert!(text(&out.stdout).contains(&file.display().to_string()), "{}", text(&out.stdout));
    assert_eq!(mode(&file), 0o600);
    let out = bin().args(["--database-url", &url, "export", "interactions"]).output().unwrap();
    ok(&out);

    // Elsewhere, any other command refuses, even asked to make it (mode=rwc).
    let stray = dir.join("stray.db");
    for url in [format!("sqlite:{}", stray.display()), format!("sqlite://{}?mode=rwc", stray.display())] {
        let out = bin().args(["--database-url", &url, "export", "interactions"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains(&format!("there is no meeting-house database at {}", stray.display())), "{}", text(&out.stderr));
        assert!(!stray.exists(), "{url} made a stray database");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_driver_error_is_said_once() {
    let out = bin().args(["--database-url", "postgres://mh@127.0.0.1:1/town?sslmode=sometimes", "export", "interactions"]).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("sometimes") && err.contains("ssl_mode"), "{err}");
    assert!(!err.contains("error with configuration: error with configuration"), "{err}");
    assert_eq!(err.matches("ssl_mode").count(), 1, "{err}");
}

#[test]
fn backup_says_when_there_are_no_images_and_quotes_the_pg_dump_command() {
    let dir = temp_dir("backup_words");
    ok(&run(&dir, &["migrate"]));
    let out_dir = temp_dir("backup_words_out");
    let out = run(&dir, &["backup", out_dir.join("town.db").to_str().unwrap()]);
    ok(&out);
    let said = text(&out.stdout);
    assert!(said.contains("there is no media folder at") && !said.contains("copy the media folder"), "{said}");

    let file = out_dir.join("town backup.dump");
    let pg = bin().args(["--database-url", "postgres://mh:s3cret@127.0.0.1:1/town?sslmode=require", "backup"]).arg(&file).output().unwrap();
    let err = text(&pg.stderr);
    assert_eq!(pg.status.code(), Some(1));
    assert!(err.contains(&format!("pg_dump --format=custom --file '{}' 'postgres://mh:[redacted]@127.0.0.1:1/town?sslmode=require'", file.display())), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn bridges_refuses_a_file_that_is_not_text() {
    let dir = temp_dir("bridges_binary");
    let file = dir.join("edges.xlsx");
    let mut bytes = b"PK\x03\x04\x14\x00\x06\x00".to_vec();
    bytes.extend((0u8..=255).cycle().take(4096));
    std::fs::write(&file, &bytes).unwrap();
    let out = bin().args(["bridges", "analyse", "--edges"]).arg(&file).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is not text") && err.contains("CSV or GML"), "{err}");
    assert!(!out.stderr.contains(&0) && !out.stderr.contains(&0x03), "no raw bytes on the terminal: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreachable_postgresql_says_connection_refused() {
    let out = bin().args(["--database-url", "postgres://mh@127.0.0.1:1/town", "export", "interactions"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr).to_lowercase();
    assert!(err.contains("connection refused"), "{err}");
    assert!(!err.contains("pool timed out"), "{err}");
}

// --- operating: an empty PostgreSQL database, a full disk -------------------

/// `serve` on a new, empty PostgreSQL database says it is empty and to run
/// `migrate` (it listed every migration's number). PostgreSQL only.
#[test]
fn serve_on_an_empty_postgresql_database_says_to_run_migrate() {
    let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_DATABASE_URL is not set: serve_on_an_empty_postgresql_database_says_to_run_migrate is skipped (CI sets it)");
        return;
    };
    let db_url = block_on(meetinghouse_store::test_databases::create(&url, "mh_ops_empty")).expect("a test database");
    let dir = temp_dir("pg_empty");
    let out = bin().args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap(), "--database-url", &db_url]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("is empty (it has no meeting-house tables yet)") && err.contains("Run `meetinghouse migrate`"), "{err}");
    assert!(!err.contains("1, 2, 3"), "no list of migration numbers: {err}");
    let migrated = bin().args(["migrate", "--database-url", &db_url]).output().unwrap();
    ok(&migrated);
    assert!(text(&migrated.stdout).starts_with("Applied "), "{}", text(&migrated.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

/// With the data folder's disk full, `/healthz` answers 503 saying so (it
/// answered "ok" while every write failed), a form that writes answers 503
/// with a plain page saying the server is out of space (not the 500 page),
/// `/metrics` counts the failed writes as `disk_full`, and once space is
/// freed all is well again. Needs a small tmpfs of its own: as root only,
/// skipped (said loudly) otherwise.
#[test]
fn a_full_disk_is_told_by_healthz_metrics_and_a_plain_503() {
    const TEST: &str = "a_full_disk_is_told_by_healthz_metrics_and_a_plain_503";
    if !running_as_root() {
        eprintln!("SKIPPED {TEST}: it mounts a 16 MB tmpfs to fill, which needs root; run the tests as root to check a full disk for real");
        return;
    }
    let dir = temp_dir("disk_full");
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"]).arg(&dir).output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED {TEST}: could not mount a tmpfs at {} ({mounted:?}); a container without CAP_SYS_ADMIN cannot", dir.display());
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(dir.clone());
    ok(&run(&dir, &["migrate"]));
    ok(&create_admin(&dir, "sam"));
    let mut child = bin()
        .arg("--data-dir")
        .arg(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().trim_start_matches("meetinghouse listening on ").to_string();
    struct Stop(Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Stop(child);
    block_on(async {
        meetinghouse_media::install_crypto_provider();
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let get = |path: &str| client.get(format!("{base}{path}")).send();
        let health = get("/healthz").await.unwrap();
        assert_eq!(health.status(), 200, "{:?}", health.text().await);
        // The sign-in form, then the disk filled to the last byte.
        let page = get("/login").await.unwrap().text().await.unwrap();
        let marker = r#"name="csrf" value=""#;
        let at = page.find(marker).expect("a CSRF token") + marker.len();
        let token = page[at..at + page[at..].find('"').unwrap()].to_string();
        let filler = dir.join("filler");
        {
            let mut f = std::fs::File::create(&filler).unwrap();
            let chunk = vec![1u8; 64 * 1024];
            while f.write_all(&chunk).is_ok() {}
            while f.write_all(&chunk[..512]).is_ok() {}
            let _ = f.sync_all();
        }
        // Reused for 5 s: wait for a fresh finding.
        tokio::time::sleep(Duration::from_millis(5_200)).await;
        let health = get("/healthz").await.unwrap();
        assert_eq!(health.status(), 503);
        let said = health.text().await.unwrap();
        assert!(said.starts_with("database out of disk space: "), "{said}");
        let r = client
            .post(format!("{base}/login"))
            .form(&[("csrf", token.as_str()), ("email", "sam@example.org"), ("password", "a long enough password")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503, "a write the full disk refused");
        let body = r.text().await.unwrap();
        assert!(body.contains("The server is out of disk space") && !body.contains("our fault"), "{body}");
        let metrics = get("/metrics").await.unwrap().text().await.unwrap();
        let full = metrics.lines().find(|l| l.starts_with(r#"meetinghouse_db_errors_total{kind="disk_full"} "#)).unwrap_or_else(|| panic!("{metrics}"));
        assert_ne!(full, r#"meetinghouse_db_errors_total{kind="disk_full"} 0"#, "{metrics}");
        assert!(metrics.contains("meetinghouse_db_writable 0\n"), "{metrics}");
        // Space freed: writes work again.
        std::fs::remove_file(&filler).unwrap();
        tokio::time::sleep(Duration::from_millis(5_200)).await;
        assert_eq!(get("/healthz").await.unwrap().status(), 200);
        let page = get("/login").await.unwrap().text().await.unwrap();
        let at = page.find(marker).unwrap() + marker.len();
        let token = page[at..at + page[at..].find('"').unwrap()].to_string();
        let r = client
            .post(format!("{base}/login"))
            .form(&[("csrf", token.as_str()), ("email", "sam@example.org"), ("password", "a long enough password")])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        assert_eq!(r.url().path(), "/me");
    });
}
