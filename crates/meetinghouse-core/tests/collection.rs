//! Collection import on every configured backend: CSV quirks (BOM, quoted
//! newlines, non-ASCII, 0 and empty years, header case), broken rows named in
//! the report, JSON arrays, JSON Lines, a folder of real Tate records with the
//! committed mapping, idempotent re-runs, completing an interrupted import,
//! and search over what was imported.

use std::io::Write;
use std::path::{Path, PathBuf};

use meetinghouse_core::collection::{self, Format, ImportOptions, ImportReport, Mapping};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Actor, Db, accounts, search};
use meetinghouse_store::objects;

async fn museum(db: &Db) -> (Actor, i64) {
    let id = accounts::create_admin(db, "sam@example.org", "sam", "Sam", "a long enough password").await.unwrap();
    meetinghouse_store::people::set_admin(db, id, false).await.unwrap();
    let mut sam = accounts::login(db, "sam@example.org", "a long enough password").await.unwrap();
    sam.is_admin = false;
    let s = Settings::load(db).await.unwrap();
    orgs::create(db, &s, &sam, &OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
    let org = collection::ensure_can_import(db, &sam, "tiverton-museum").await.unwrap();
    (sam, org)
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = meetinghouse_store::test_databases::temp_dir("mh_collection");
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().write_all(bytes).unwrap();
    path
}

async fn import(db: &Db, org: i64, path: &Path, mapping: Mapping, format: Option<Format>) -> ImportReport {
    let opened = collection::open(path, format, &mapping).expect("the file opens");
    let options = ImportOptions { org_id: org, mapping, format };
    collection::import_records(db, &options, opened.records, &mut |_| {}).await.unwrap()
}

const CSV: &str = "\u{feff}OBJECT NUMBER,Title,artist,Date,Medium,Dimensions,Credit Line,Department\n\
TIV.1,\"Lace collar, Heathcoat's\",Siân Evans,c. 1890,Cotton lace,20 x 300 mm,\"Given by Mrs Ó Briain, 1972\",Textiles\n\
TIV.2,\"Railway poster\nTiverton Junction\",José Álvarez,0,Lithograph,,,\n\
TIV.3,Broken row,only three\n\
,No accession number,Someone,1900,,,,\n\
TIV.4,Market bell,,,Bronze,,,Social history\n\
tiv.1,Lace collar (recatalogued),Siân Evans,1890-1895,Cotton lace,20 x 300 mm,,Textiles\n";

#[tokio::test]
async fn csv_quirks_broken_rows_and_idempotent_reruns() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let path = temp_file("collection.csv", CSV.as_bytes());
        let report = import(&db, org, &path, Mapping::default(), None).await;
        assert_eq!((report.created, report.updated, report.unchanged), (3, 0, 0), "{report:?}");
        // Skipped and named: the short row, the row without an accession
        // number, and the first TIV.1 (the later "tiv.1" replaces it: keys ignore case).
        assert_eq!(report.skipped, 3, "{report:?}");
        let records: Vec<&str> = report.errors.iter().map(|e| e.record.as_str()).collect();
        assert!(records.contains(&"row 4"), "the broken row is named: {records:?}");
        assert!(records.contains(&"row 5"), "the row without accession is named: {records:?}");
        assert!(report.errors.iter().any(|e| e.message.contains("fields; the header has 8")));
        assert!(report.errors.iter().any(|e| e.field == "accession_number" && e.message.contains("no accession number")));

        let collar = objects::by_accession(&db, org, "TIV.1").await.unwrap().expect("stored");
        assert_eq!(collar.title, "Lace collar (recatalogued)");
        assert_eq!(collar.makers, "Siân Evans");
        assert_eq!((collar.earliest_year, collar.latest_year), (Some(1890), Some(1895)));
        let poster = objects::by_accession(&db, org, "tiv.2").await.unwrap().expect("found ignoring case");
        assert_eq!(poster.title, "Railway poster\nTiverton Junction", "quoted newline kept");
        assert_eq!((poster.earliest_year, poster.latest_year), (None, None), "a 0 year means unknown");
        let bell = objects::by_accession(&db, org, "TIV.4").await.unwrap().unwrap();
        assert_eq!(bell.classification, "Social history", "Department is recognised as the classification");
        assert!(bell.extra.contains("\"Dimensions\"") || bell.dimensions.is_empty());

        // Running it again changes nothing.
        let again = import(&db, org, &path, Mapping::default(), None).await;
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3), "{again:?}");

        // A changed record is updated, the rest unchanged.
        let changed = CSV.replace("Market bell", "\"Market bell, Fore Street\"");
        let path2 = temp_file("collection.csv", changed.as_bytes());
        let third = import(&db, org, &path2, Mapping::default(), None).await;
        assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 2), "{third:?}");
        assert_eq!(objects::count(&db, org).await.unwrap(), 3);

        // What was imported is found by search, accents folded.
        let (hits, _) = search::search(&db, "sian lace", "object", 1).await.unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].url, format!("/objects/{}", collar.id));
        // The updated record is found by its new words, and indexed once.
        let (hits, _) = search::search(&db, "fore street", "object", 1).await.unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].url, format!("/objects/{}", bell.id));
        let (hits, _) = search::search(&db, "market bell", "object", 1).await.unwrap();
        assert_eq!(hits.len(), 1, "one entry per object after an update: {hits:?}");
    }
}

#[tokio::test]
async fn an_import_waits_for_the_write_turn_of_a_transaction_in_progress() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let path = temp_file("collection.csv", CSV.as_bytes());
        // Another writer in this process holds its transaction open. (This
        // shows the import waits and then completes; it cannot tell the write
        // turn from SQLite's own lock, which would also make it wait.)
        let tx = db.begin().await.unwrap();
        let importer = {
            let db = db.clone();
            tokio::spawn(async move { import(&db, org, &path, Mapping::default(), None).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if db.backend() == meetinghouse_store::Backend::Sqlite {
            assert!(!importer.is_finished(), "the import waits while another transaction writes");
        }
        tx.commit().await.unwrap();
        let report = importer.await.unwrap();
        assert_eq!((report.created, report.updated, report.unchanged), (3, 0, 0), "{report:?}");
        assert_eq!(objects::count(&db, org).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn an_interrupted_import_is_completed_by_running_it_again() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let mut csv = String::from("Accession Number,Title\n");
        for i in 0..5_000 {
            csv.push_str(&format!("A.{i},Object {i}\n"));
        }
        // The first 3,100 rows stand for an import killed part-way: the
        // committed batches hold what was read so far.
        let cut: String = csv.lines().take(3_101).map(|l| format!("{l}\n")).collect();
        let first = import(&db, org, &temp_file("part.csv", cut.as_bytes()), Mapping::default(), None).await;
        assert_eq!(first.created, 3_100);
        let full = import(&db, org, &temp_file("all.csv", csv.as_bytes()), Mapping::default(), None).await;
        assert_eq!((full.created, full.unchanged, full.skipped), (1_900, 3_100, 0), "{full:?}");
        assert_eq!(objects::count(&db, org).await.unwrap(), 5_000);
    }
}

#[tokio::test]
async fn json_arrays_json_lines_mappings_and_files_that_are_not_data() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let mapping = Mapping::from_toml(
            "[fields]\naccession_number = \"/id\"\ntitle = \"/name\"\nmakers = \"/people/*/name\"\nearliest_year = \"/years/from\"\n",
        )
        .unwrap();
        let array = r#"[{"id": "J.1", "name": "Jug", "people": [{"name": "Ann"}, {"name": "Bob"}], "years": {"from": 1850}, "room": "Gallery 2"},
                        "not an object",
                        {"name": "No id"}]"#;
        let r = import(&db, org, &temp_file("objects.json", array.as_bytes()), mapping.clone(), None).await;
        assert_eq!((r.created, r.skipped), (1, 2), "{r:?}");
        assert_eq!(r.errors[0].record, "item 2");
        let jug = objects::by_accession(&db, org, "J.1").await.unwrap().unwrap();
        assert_eq!(jug.makers, "Ann; Bob", "`*` maps over the array");
        assert_eq!(jug.earliest_year, Some(1850));
        assert!(jug.extra.contains("Gallery 2"), "unmapped fields go to the extra JSON: {}", jug.extra);

        let lines = "{\"id\": \"J.2\", \"name\": \"Bowl\"}\n\n{broken json\n{\"id\": \"J.3\", \"name\": \"Cup\"}\n";
        let r = import(&db, org, &temp_file("objects.jsonl", lines.as_bytes()), mapping.clone(), None).await;
        assert_eq!((r.created, r.skipped), (2, 1), "{r:?}");
        assert_eq!(r.errors[0].record, "line 3");

        // A picture is not a collection file: one clear error, nothing stored.
        let png = temp_file("photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01");
        let err = collection::open(&png, None, &Mapping::default()).err().expect("refused");
        assert!(err.to_string().contains("not a CSV or JSON file"), "{err}");
        // JSON that is not an array of records.
        let obj = temp_file("one.json", b"42");
        let err = collection::open(&obj, Some(Format::Json), &Mapping::default()).err().expect("refused");
        assert!(err.to_string().contains("array of records"), "{err}");
        // A mapping naming a field we do not have is refused before anything is read.
        let bad = Mapping::from_toml("[fields]\naccession_number = \"A\"\ncolour = \"B\"\n").unwrap_err();
        assert!(bad.contains("colour"), "{bad}");
        assert_eq!(objects::count(&db, org).await.unwrap(), 3);
    }
}

fn tate_mapping() -> Mapping {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tate-mapping.toml");
    Mapping::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn real_tate_records_import_with_the_committed_mapping() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tate/artworks");
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let r = import(&db, org, &fixture, tate_mapping(), None).await;
        assert_eq!((r.created, r.skipped), (40, 0), "{r:?}");
        let all = objects::list(&db, org, 100, 0).await.unwrap();
        assert!(all.iter().all(|o| !o.title.is_empty() && o.accession_number.len() >= 5));
        assert!(all.iter().filter(|o| !o.makers.is_empty()).count() >= 35, "makers come from /contributors/*/fc");
        assert!(all.iter().any(|o| o.earliest_year.is_some()), "years come from /dateRange");
        assert!(all.iter().all(|o| o.image_urls.starts_with('[')));
        assert!(all.iter().all(|o| o.extra.contains("acquisitionYear")), "other fields are kept");
        let again = import(&db, org, &fixture, tate_mapping(), None).await;
        assert_eq!(again.unchanged, 40);
    }
}

/// The whole shared Tate sample (2,769 records), where the workplace's data is.
#[tokio::test]
async fn the_shared_tate_sample_imports_without_a_skipped_record() {
    let dir = std::env::var("MEETINGHOUSE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join("museum-tate/artworks");
    assert!(
        dir.is_dir(),
        "the shared data set {} is missing: set MEETINGHOUSE_SHARED_DATA to the folder holding museum-tate/",
        dir.display()
    );
    let db = meetinghouse_testkit::sqlite().await;
    let (_, org) = museum(&db).await;
    let r = import(&db, org, &dir, tate_mapping(), None).await;
    assert_eq!((r.created, r.skipped), (2_769, 0), "{:?}", &r.errors[..r.errors.len().min(5)]);
}
