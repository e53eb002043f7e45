//! `meetinghouse import objects` on the real binary, on SQLite and (when
//! `TEST_DATABASE_URL` is set) PostgreSQL: an import in which every record
//! was skipped exits non-zero, so a scheduled sync notices, with the report
//! printed (and in `--json`); a refused file exits non-zero with one plain
//! message; a good import exits 0.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_meetinghouse");

fn run(target: &[&str], args: &[&str]) -> Output {
    Command::new(BIN).args(target).args(args).env("MEETINGHOUSE_LOG", "warn").output().expect("run the binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn exercise(target: &[&str], dir: &Path) {
    let seeded = run(target, &["demo"]);
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        path.to_str().unwrap().to_string()
    };
    let import = |args: &[&str]| {
        let mut all = vec!["import", "objects", "--org", "tiverton-museum"];
        all.extend_from_slice(args);
        run(target, &all)
    };

    // Every record skipped: the report, then a non-zero exit.
    let empty = write("no-numbers.csv", "Accession Number,Title\n,Jug\n,Bowl\n");
    let out = import(&[&empty]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("0 created, 0 updated, 0 unchanged, 2 skipped"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("skipped row 2 (accession_number)"), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("No record was imported: all 2 records were skipped"), "{}", text(&out.stderr));
    let out = import(&["--json", &empty]);
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the report, as JSON");
    assert_eq!((report["created"].as_u64(), report["skipped"].as_u64()), (Some(0), Some(2)), "{report}");

    // A mapping naming a column the file lacks: refused, nothing written.
    let mapping = write("typo.toml", "[fields]\naccession_number = \"Accession Number\"\ntitle = \"Titel\"\n");
    let good = write("good.csv", "Accession Number,Title\nCLI.1,Jug\nCLI.2,Bowl\n,No number\n");
    let out = import(&["--mapping", &mapping, &good]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("“Titel” (for title)"), "{}", text(&out.stderr));

    // Some imported, some skipped: success.
    let out = import(&["--json", &good]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["created"].as_u64(), report["skipped"].as_u64(), report["warned"].as_u64()), (Some(2), Some(1), Some(0)), "{report}");
    assert!(report.get("error").is_none(), "{report}");
    // Unchanged counts as imported: a re-run of the same file succeeds.
    assert!(import(&[&good]).status.success());
}

#[test]
fn an_import_that_stores_nothing_exits_non_zero_on_sqlite() {
    let dir = meetinghouse_store::test_databases::temp_dir("mh_import_cli");
    let data = dir.join("data");
    exercise(&["--data-dir", data.to_str().unwrap()], &dir);
}

#[test]
fn an_import_that_stores_nothing_exits_non_zero_on_postgres() {
    let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_DATABASE_URL is not set: the PostgreSQL leg of this test is skipped (CI sets it)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db_url = runtime.block_on(meetinghouse_store::test_databases::create(&url, "mh_import_cli")).expect("create a test database");
    let migrated = run(&["--database-url", &db_url], &["migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    let dir = meetinghouse_store::test_databases::temp_dir("mh_import_cli");
    exercise(&["--database-url", &db_url], &dir);
}
