//! What one import may hold in memory, on every configured backend: a file
//! of bad records keeps only the first `ERRORS_LISTED` errors (all are
//! counted, and named in the report), a JSON array is read an item at a
//! time rather than parsed whole, and a record longer than `RECORD_MAX`
//! (an array's item, or a line of JSON Lines) is skipped and named without
//! being parsed.
//!
//! The memory checks read the process's peak resident size (Linux's
//! `VmHWM`, reset through `/proc/self/clear_refs`), so the tests of this file
//! take turns; elsewhere only the counts are checked. The margins are wide:
//! before these limits the same imports grew by 150 MB and more.

use std::io::Write;
use std::path::{Path, PathBuf};

use meetinghouse_core::collection::import::{ERRORS_LISTED, RECORD_MAX};
use meetinghouse_core::collection::{self, ImportOptions, ImportReport, Mapping};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Db, accounts};
use meetinghouse_store::objects;

/// One test of this file at a time: the memory figures are the process's.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Records in the big files: before the limits, their errors alone came to
/// well over 100 MB.
const MANY: usize = 1_000_000;

/// The most an import of [`MANY`] bad records may add to the process's peak
/// resident size, in kB.
const GROWTH_ALLOWED_KB: u64 = 64 * 1024;

async fn museum(db: &Db) -> i64 {
    accounts::create_admin(db, "sam@example.org", "sam", "Sam", "a long enough password").await.unwrap();
    let sam = accounts::login(db, "sam@example.org", "a long enough password").await.unwrap();
    let s = Settings::load(db).await.unwrap();
    orgs::create(db, &s, &sam, &OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
    collection::ensure_can_import(db, &sam, "tiverton-museum").await.unwrap()
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = meetinghouse_store::test_databases::temp_dir("mh_import_limits");
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().write_all(bytes).unwrap();
    path
}

/// The process's peak resident size in kB, from Linux's `/proc/self/status`.
fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Imports a file, returning the report and how much the import added to
/// the process's peak resident size in kB (`None` where that cannot be read).
async fn measured_import(db: &Db, org: i64, path: &Path) -> (ImportReport, Option<u64>) {
    // Resetting the peak makes it the resident size now.
    let before = std::fs::write("/proc/self/clear_refs", "5").ok().and_then(|_| peak_kb());
    let opened = collection::open(path, None, &Mapping::default()).expect("the file opens");
    let options = ImportOptions { org_id: org, mapping: Mapping::default(), format: None };
    let report = collection::import_records(db, &options, opened.records, &mut |_| {}).await.expect("the import runs");
    let grew = before.zip(peak_kb()).map(|(before, after)| after.saturating_sub(before));
    (report, grew)
}

fn assert_bounded(what: &str, grew: Option<u64>) {
    match grew {
        Some(kb) => {
            eprintln!("{what}: the import added {} MB to the peak memory", kb / 1024);
            assert!(kb < GROWTH_ALLOWED_KB, "{what}: the import added {} MB to the peak memory", kb / 1024);
        }
        None => eprintln!("{what}: the peak memory cannot be read here; only the counts were checked"),
    }
}

#[tokio::test]
async fn a_csv_file_of_bad_rows_is_counted_whole_and_listed_in_part() {
    let _turn = TURN.lock().await;
    for db in meetinghouse_testkit::databases().await {
        let org = museum(&db).await;
        let mut csv = String::from("Accession Number,Title\n");
        csv.push_str(&"a\n".repeat(MANY));
        csv.push_str("TIV.1,Good in the end\n");
        let path = temp_file("bad.csv", csv.as_bytes());
        drop(csv);
        let (report, grew) = measured_import(&db, org, &path).await;
        assert_eq!((report.created, report.skipped), (1, MANY as u64), "{:?}", &report.errors[..3]);
        assert_eq!(report.errors.len(), ERRORS_LISTED, "the first ones are listed, the rest counted");
        assert_eq!(report.errors[0].record, "row 2");
        assert_eq!(report.errors[0].message, "This row has 1 fields; the header has 2.");
        assert_eq!(report.errors[ERRORS_LISTED - 1].record, format!("row {}", ERRORS_LISTED + 1), "in the file's order");
        assert_bounded(&format!("{:?}, {MANY} bad CSV rows", db.backend()), grew);
        assert_eq!(objects::by_accession(&db, org, "TIV.1").await.unwrap().unwrap().title, "Good in the end");
    }
}

#[tokio::test]
async fn a_big_json_array_is_read_an_item_at_a_time() {
    let _turn = TURN.lock().await;
    for db in meetinghouse_testkit::databases().await {
        let org = museum(&db).await;
        // A million numbers: before, the array was parsed whole (32 bytes a
        // number) and each item's error kept.
        let mut json = String::from("[{\"Object Number\": \"J.1\", \"Title\": \"First\"},\n");
        json.push_str(&"0,".repeat(MANY));
        json.push_str("{\"Object Number\": \"J.2\", \"Title\": \"Last\"}]\n");
        let path = temp_file("zeros.json", json.as_bytes());
        drop(json);
        let (report, grew) = measured_import(&db, org, &path).await;
        assert_eq!((report.created, report.skipped), (2, MANY as u64), "{:?}", &report.errors[..3]);
        assert_eq!(report.errors.len(), ERRORS_LISTED);
        assert_eq!((report.errors[0].record.as_str(), report.errors[0].message.as_str()), ("item 2", "This item is not a JSON object."));
        assert_bounded(&format!("{:?}, a JSON array of {MANY} numbers", db.backend()), grew);
        let last = objects::by_accession(&db, org, "J.2").await.unwrap().unwrap();
        assert_eq!(last.title, "Last", "the item after them all is read");
    }
}

/// An item longer than `RECORD_MAX` is read past, unparsed, and named; the
/// items around it are imported, brackets and commas inside strings
/// included.
#[tokio::test]
async fn a_record_longer_than_the_limit_is_skipped_and_named() {
    let _turn = TURN.lock().await;
    for db in meetinghouse_testkit::databases().await {
        let org = museum(&db).await;
        let long = "x".repeat(RECORD_MAX + 10);
        let array = format!(
            "\u{feff}[ {{\"Object Number\": \"L.1\", \"Title\": \"Tricky ], {{ \\\" [ title\", \"Parts\": [1, [2, {{\"a\": \"]\"}}]]}} ,\n\
             {{\"Object Number\": \"L.2\", \"Title\": \"{long}\"}},\n\
             {{\"Object Number\": \"L.3\", \"Title\": \"After\"}}\n]"
        );
        let (r, _) = measured_import(&db, org, &temp_file("long.json", array.as_bytes())).await;
        assert_eq!((r.created, r.skipped), (2, 1), "{:?}", r.errors);
        assert_eq!(r.errors[0].record, "item 2");
        assert!(r.errors[0].message.contains("one record may be at most 2 MB, so it was skipped"), "{:?}", r.errors);
        let tricky = objects::by_accession(&db, org, "L.1").await.unwrap().unwrap();
        assert_eq!(tricky.title, "Tricky ], { \" [ title");
        assert!(tricky.extra_private.contains("[1,[2,{\"a\":\"]\"}]]"), "{}", tricky.extra_private);
        assert_eq!(objects::by_accession(&db, org, "L.3").await.unwrap().unwrap().title, "After");

        // The same for a line of JSON Lines.
        let lines = format!(
            "{{\"Object Number\": \"M.1\", \"Title\": \"Before\"}}\r\n{{\"Object Number\": \"M.2\", \"Title\": \"{long}\"}}\n{{\"Object Number\": \"M.3\", \"Title\": \"After\"}}"
        );
        let (r, _) = measured_import(&db, org, &temp_file("long.jsonl", lines.as_bytes())).await;
        assert_eq!((r.created, r.skipped), (2, 1), "{:?}", r.errors);
        assert_eq!(r.errors[0].record, "line 2");
        assert!(r.errors[0].message.starts_with("This line is 2.0 MB of JSON"), "{:?}", r.errors);
        assert_eq!(objects::by_accession(&db, org, "M.3").await.unwrap().unwrap().title, "After", "a last line without a line break");
    }
}

/// JSON that does not parse is still refused before anything is written,
/// wherever it breaks, without the file being held whole: with the line.
#[tokio::test]
async fn a_json_array_broken_near_its_end_is_refused_before_any_write() {
    let _turn = TURN.lock().await;
    for db in meetinghouse_testkit::databases().await {
        let org = museum(&db).await;
        let mut json = String::from("[\n");
        for i in 0..30_000 {
            json.push_str(&format!("{{\"Object Number\": \"B.{i}\", \"Title\": \"Fine\"}},\n"));
        }
        json.push_str("{\"Object Number\": \"B.last\", \"Title\": \"Broken\"\n]\n");
        let refused = collection::open(&temp_file("broken.json", json.as_bytes()), None, &Mapping::default()).err().expect("refused");
        assert!(refused.to_string().starts_with("The file is not valid JSON") && refused.to_string().contains("line 30003"), "{refused}");
        // Not an array; empty.
        let refused = collection::open(&temp_file("one.json", b"  {\"Object Number\": \"X\"}"), None, &Mapping::default()).err().expect("refused");
        assert!(refused.to_string().contains("not a list of records ([{…}, {…}])"), "{refused}");
        assert_eq!(objects::count(&db, org).await.unwrap(), 0);
        // An empty array is an import of nothing.
        let (r, _) = measured_import(&db, org, &temp_file("empty.json", b"[ ]")).await;
        assert_eq!((r.imported(), r.skipped), (0, 0));
    }
}
