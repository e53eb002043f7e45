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
use meetinghouse_core::stories::{self, StoryForm};
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
        // number, and the later "tiv.1" (keys ignore case; the first record
        // with an accession number is imported, wherever the later one is).
        assert_eq!(report.skipped, 3, "{report:?}");
        let records: Vec<&str> = report.errors.iter().map(|e| e.record.as_str()).collect();
        assert!(records.contains(&"row 4"), "the broken row is named: {records:?}");
        assert!(records.contains(&"row 5"), "the row without accession is named: {records:?}");
        assert!(records.contains(&"row 7"), "the later duplicate is named: {records:?}");
        assert!(report.errors.iter().any(|e| e.message.contains("fields; the header has 8")));
        assert!(report.errors.iter().any(|e| e.field == "accession_number" && e.message.contains("no accession number")));
        assert!(report.errors.iter().any(|e| e.record == "row 7" && e.message.contains("appears earlier in the file")));

        let collar = objects::by_accession(&db, org, "TIV.1").await.unwrap().expect("stored");
        assert_eq!(collar.title, "Lace collar, Heathcoat's");
        assert_eq!(collar.makers, "Siân Evans");
        assert_eq!((collar.earliest_year, collar.latest_year), (Some(1890), Some(1890)));
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
        assert!(jug.extra_private.contains("Gallery 2") && jug.extra == "{}", "unmapped fields are kept, private: {}", jug.extra_private);

        // (A mapping names only fields the file has: makers and years are in
        // none of these records, and would be refused.)
        let lines = "{\"id\": \"J.2\", \"name\": \"Bowl\"}\n\n{broken json\n{\"id\": \"J.3\", \"name\": \"Cup\"}\n";
        let mapping = Mapping::from_toml("[fields]\naccession_number = \"/id\"\ntitle = \"/name\"\n").unwrap();
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

/// Bad input loses nothing: a file without a column for some of our fields
/// (here only the accession number and a condition) updates what it has and
/// leaves the rest of each stored object as it was — title, makers, date
/// and years, description, images, and the extra fields it does not name —
/// and the report says which fields it lacked. A new object gets the
/// defaults. An empty column is the file's word: it empties the field. The
/// same holds per record in JSON, and the search entry keeps the stored words.
#[tokio::test]
async fn a_file_without_some_columns_leaves_those_fields_as_they_were() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let full = "Object Number,Title,Artist,Date,Description,Image URL,Condition,Room\n\
                    TIV.1,Lace collar,Siân Evans,c. 1890,Made in Tiverton.,https://img.example/1.jpg,Good,Gallery 2\n\
                    TIV.2,Market bell,,1850,,,Fair,\n";
        let r = import(&db, org, &temp_file("full.csv", full.as_bytes()), Mapping::default(), None).await;
        assert_eq!((r.created, r.updated), (2, 0), "{r:?}");
        let before = objects::by_accession(&db, org, "TIV.1").await.unwrap().unwrap();

        let partial = "Object Number,Condition\nTIV.1,Worn\ntiv.2,Good\nTIV.3,New\n";
        let path = temp_file("condition.csv", partial.as_bytes());
        let r = import(&db, org, &path, Mapping::default(), None).await;
        assert_eq!((r.created, r.updated, r.unchanged, r.skipped), (1, 2, 0, 0), "{r:?}");
        let collar = objects::by_accession(&db, org, "TIV.1").await.unwrap().unwrap();
        assert_eq!(collar.title, "Lace collar");
        assert_eq!(collar.makers, "Siân Evans");
        assert_eq!((collar.display_date.as_str(), collar.earliest_year, collar.latest_year), ("c. 1890", Some(1890), Some(1890)));
        assert_eq!(collar.description, "Made in Tiverton.");
        assert_eq!(collar.image_urls, before.image_urls);
        assert!(collar.image_urls.contains("https://img.example/1.jpg"));
        let extra: serde_json::Value = serde_json::from_str(&collar.extra_private).unwrap();
        assert_eq!(extra, serde_json::json!({"Condition": "Worn", "Room": "Gallery 2"}), "the file's extra field updated, the other kept");
        let bell = objects::by_accession(&db, org, "TIV.2").await.unwrap().unwrap();
        assert_eq!((bell.title.as_str(), bell.earliest_year), ("Market bell", Some(1850)));
        let new = objects::by_accession(&db, org, "TIV.3").await.unwrap().unwrap();
        assert_eq!((new.title.as_str(), new.makers.as_str()), ("Untitled", ""), "a new object gets the defaults");
        let lacking = ["title", "makers", "date", "medium", "dimensions", "description", "credit_line", "rights", "image_urls", "source_url", "classification"];
        assert_eq!(r.not_in_file, lacking, "{r:?}");
        let note = r.not_in_file_note().unwrap();
        assert!(note.starts_with("11 fields not in this file were left as they were on objects already stored: title, makers, date"), "{note}");
        // Still found by the words stored before.
        let (hits, _) = search::search(&db, "sian lace", "object", 1).await.unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        // Running it again changes nothing.
        let again = import(&db, org, &path, Mapping::default(), None).await;
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3), "{again:?}");

        // An empty column empties its field; the rest stays.
        let emptied = "Object Number,Description,Room\nTIV.1,,\n";
        let r = import(&db, org, &temp_file("emptied.csv", emptied.as_bytes()), Mapping::default(), None).await;
        assert_eq!(r.updated, 1, "{r:?}");
        let collar = objects::by_accession(&db, org, "TIV.1").await.unwrap().unwrap();
        assert_eq!((collar.title.as_str(), collar.description.as_str()), ("Lace collar", ""));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&collar.extra_private).unwrap(), serde_json::json!({"Condition": "Worn"}));
        assert_eq!(r.not_in_file_note().unwrap().split(':').next().unwrap(), "10 fields not in this file were left as they were on objects already stored");

        // JSON, record by record: a key the record lacks is left as it was.
        let lines = "{\"Object Number\": \"TIV.2\", \"Title\": \"Bronze market bell\"}\n{\"Object Number\": \"TIV.1\", \"Artist\": null}\n";
        let r = import(&db, org, &temp_file("some.jsonl", lines.as_bytes()), Mapping::default(), None).await;
        assert_eq!(r.updated, 2, "{r:?}");
        let bell = objects::by_accession(&db, org, "TIV.2").await.unwrap().unwrap();
        assert_eq!((bell.title.as_str(), bell.earliest_year), ("Bronze market bell", Some(1850)));
        let collar = objects::by_accession(&db, org, "TIV.1").await.unwrap().unwrap();
        assert_eq!((collar.title.as_str(), collar.makers.as_str()), ("Lace collar", ""), "a null empties");
        // With a mapping, what it does not name is not in the file either.
        let mapping = Mapping::from_toml("[fields]\naccession_number = \"Object Number\"\nmedium = \"Material\"\n").unwrap();
        let r = import(&db, org, &temp_file("medium.csv", b"Object Number,Material\nTIV.2,Bronze\n"), mapping, None).await;
        assert_eq!(r.updated, 1, "{r:?}");
        let bell = objects::by_accession(&db, org, "TIV.2").await.unwrap().unwrap();
        assert_eq!((bell.title.as_str(), bell.medium.as_str()), ("Bronze market bell", "Bronze"));
    }
}

/// Two imports of the same file at once (two people, or the browser and a
/// scheduled command) both finish: the second writes over the first's
/// records and search entries instead of failing on them, and each object
/// is stored and indexed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_imports_of_the_same_records_at_once_both_finish() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let mut csv = String::from("Object Number,Title,Artist,Date\n");
        for i in 0..3000 {
            csv.push_str(&format!("RACE.{i},Printing block number {i},Anon,1900\n"));
        }
        let path = temp_file("race.csv", csv.as_bytes());
        let run = |db: Db, path: PathBuf| {
            tokio::spawn(async move {
                let opened = collection::open(&path, None, &Mapping::default()).expect("the file opens");
                let options = ImportOptions { org_id: org, mapping: Mapping::default(), format: None };
                collection::import_records(&db, &options, opened.records, &mut |_| {}).await
            })
        };
        let (a, b) = (run(db.clone(), path.clone()), run(db.clone(), path.clone()));
        for r in [a.await.unwrap(), b.await.unwrap()] {
            let r = r.unwrap_or_else(|e| panic!("{:?}: an import failed: {e}", db.backend()));
            assert_eq!(r.imported(), 3000, "{r:?}");
        }
        assert_eq!(objects::count(&db, org).await.unwrap(), 3000);
        let (hits, _) = search::search(&db, "printing block number 1234", "object", 1).await.unwrap();
        assert_eq!(hits.iter().filter(|h| h.title == "Printing block number 1234").count(), 1, "{hits:?}");
        // The entry's insert is an upsert on both backends: indexing an
        // object as new again replaces its entry and its index text.
        let id = objects::by_accession(&db, org, "RACE.7").await.unwrap().unwrap().id;
        let mut tx = db.begin().await.unwrap();
        search::index_many(&mut tx, &db, "object", &[(id, "Printing block renamed", "a woodcut", 0)], true).await.unwrap();
        tx.commit().await.unwrap();
        let (hits, _) = search::search(&db, "woodcut", "object", 1).await.unwrap();
        assert_eq!(hits.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(), ["Printing block renamed"], "{hits:?}");
        let (hits, _) = search::search(&db, "printing block number 7", "object", 1).await.unwrap();
        assert!(hits.iter().all(|h| h.title != "Printing block number 7"), "the old text is out of the index: {hits:?}");
    }
}

/// An organisation's objects are listed by accession number (ignoring
/// case) compared byte by byte but for runs of digits, compared as numbers
/// (A.2 before A.10), and a story's objects by title, in one order on both
/// databases: a PostgreSQL database with a language's collation would
/// otherwise put "a_b" before "a-b" and ignore the punctuation.
#[tokio::test]
async fn objects_come_in_byte_order_on_both_databases() {
    for db in meetinghouse_testkit::databases().await {
        let (sam, org) = museum(&db).await;
        let csv = "Object Number,Title\na_b,a_b\nA.2,a.2\nb,B\na-b,a-b\nab,ab\nA.10,a.10\na b,a b\n";
        import(&db, org, &temp_file("order.csv", csv.as_bytes()), Mapping::default(), None).await;
        let listed: Vec<String> = objects::list(&db, org, 50, 0).await.unwrap().into_iter().map(|o| o.accession_number).collect();
        assert_eq!(listed, ["a b", "a-b", "A.2", "A.10", "a_b", "ab", "b"], "{:?}", db.backend());
        let s = Settings::load(&db).await.unwrap();
        let mut ids = Vec::new();
        for a in ["a_b", "ab", "a-b", "a b"] {
            ids.push(objects::by_accession(&db, org, a).await.unwrap().unwrap().id.to_string());
        }
        let form = StoryForm {
            title: "Four things".into(),
            body: "In one case.".into(),
            licence: "cc0".into(),
            visibility: "public".into(),
            object_ids: ids.join(","),
            ..Default::default()
        };
        let story = stories::create(&db, &s, &sam, &form).await.unwrap();
        let titles: Vec<String> = objects::of_story(&db, story).await.unwrap().into_iter().map(|o| o.2).collect();
        assert_eq!(titles, ["a b", "a-b", "a_b", "ab"], "{:?}", db.backend());
    }
}

/// The home page's "objects with new stories": each object where its newest
/// live public story puts it, newest first, drafts left out; the walk over
/// the newest stories stops once it has enough objects, and goes on past a
/// page of stories that name only a few.
#[tokio::test]
async fn objects_with_new_stories_come_by_their_newest_public_story() {
    for db in meetinghouse_testkit::databases().await {
        let (sam, org) = museum(&db).await;
        let s = Settings::load(&db).await.unwrap();
        let mut csv = String::from("Object Number,Title\n");
        for i in 1..=20 {
            csv.push_str(&format!("TIV.{i},Thing {i}\n"));
        }
        import(&db, org, &temp_file("things.csv", csv.as_bytes()), Mapping::default(), None).await;
        let mut id = std::collections::HashMap::new();
        for i in 1..=20 {
            id.insert(i, objects::by_accession(&db, org, &format!("TIV.{i}")).await.unwrap().unwrap().id);
        }
        let tell = |about: &[i32], visibility: &str| {
            let object_ids = about.iter().map(|i| id[i].to_string()).collect::<Vec<_>>().join(",");
            StoryForm { title: "A memory".into(), body: "Of it.".into(), licence: "cc0".into(), visibility: visibility.into(), object_ids, ..Default::default() }
        };
        let second = std::time::Duration::from_millis(1100);
        stories::create(&db, &s, &sam, &tell(&[6], "public")).await.unwrap();
        tokio::time::sleep(second).await;
        // Seventy links to ten objects: more than a page, few objects.
        let ten: Vec<i32> = (11..=20).collect();
        for _ in 0..7 {
            stories::create(&db, &s, &sam, &tell(&ten, "public")).await.unwrap();
        }
        stories::create(&db, &s, &sam, &tell(&[1], "draft")).await.unwrap();
        tokio::time::sleep(second).await;
        stories::create(&db, &s, &sam, &tell(&[3, 4], "public")).await.unwrap();
        tokio::time::sleep(second).await;
        stories::create(&db, &s, &sam, &tell(&[5], "public")).await.unwrap();
        tokio::time::sleep(second).await;
        stories::create(&db, &s, &sam, &tell(&[3], "public")).await.unwrap();

        let thing = |title: &str| title.trim_start_matches("Thing ").parse::<i32>().unwrap();
        let recent = |n: i64| {
            let db = db.clone();
            async move { objects::with_recent_stories(&db, n).await.unwrap().into_iter().map(|(_, _, title)| thing(&title)).collect::<Vec<i32>>() }
        };
        let all = recent(20).await;
        assert_eq!(all.len(), 14, "{all:?}");
        assert_eq!(all[..3], [3, 5, 4], "{all:?}");
        let mut middle = all[3..13].to_vec();
        middle.sort();
        assert_eq!(middle, ten, "{all:?}");
        assert_eq!(all[13], 6, "{all:?}");
        assert_eq!(recent(2).await, [3, 5]);
        let eight = recent(8).await;
        assert_eq!(eight.len(), 8);
        assert_eq!(eight[..3], [3, 5, 4]);
        assert!(eight[3..].iter().all(|i| ten.contains(i)), "{eight:?}");
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
        // Other fields are kept: public if the committed mapping publishes them, private otherwise.
        let kept = |o: &objects::ObjectRow| if tate_mapping().publishes("acquisitionYear") { o.extra.clone() } else { o.extra_private.clone() };
        assert!(all.iter().all(|o| kept(o).contains("acquisitionYear")), "other fields are kept");
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

/// Opens and imports, returning the import's own outcome (a refused file or a
/// stopped import) instead of panicking on it.
async fn try_import(db: &Db, org: i64, path: &Path, mapping: Mapping) -> Result<ImportReport, collection::ImportFailed> {
    let opened = collection::open(path, None, &mapping).expect("the file opens");
    let options = ImportOptions { org_id: org, mapping, format: None };
    collection::import_records(db, &options, opened.records, &mut |_| {}).await
}

fn open_error(path: &Path, mapping: &Mapping) -> String {
    match collection::open(path, None, mapping) {
        Ok(_) => panic!("{} should be refused", path.display()),
        Err(e) => e.to_string(),
    }
}

/// A NUL (PostgreSQL cannot store one) or another control character in a
/// record is removed, with a warning naming the record: the good records
/// around it are stored, and both backends store the same.
#[tokio::test]
async fn a_nul_in_a_record_is_removed_with_a_warning_and_nothing_else_is_lost() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let backend = db.backend();

        // JSON Lines: an escaped NUL in a mapped field, an extra field and a
        // key; a raw NUL byte makes a line that is not JSON (skipped, named).
        let lines = "{\"id\": \"N.1\", \"name\": \"Good jug\"}\n\
                     {\"id\": \"N.2\", \"name\": \"Bad\\u0000 bowl\\u0007\", \"notes\": \"kept\\u0000 here\", \"odd\\u0001key\": [\"a\\u0000b\"]}\n\
                     {\"id\": \"N.3\", \"name\": \"Raw \0 byte\"}\n\
                     {\"id\": \"N.4\", \"name\": \"Good cup\"}\n";
        let mapping = Mapping::from_toml("[fields]\naccession_number = \"/id\"\ntitle = \"/name\"\n").unwrap();
        let r = import(&db, org, &temp_file("nul.jsonl", lines.as_bytes()), mapping, None).await;
        assert_eq!((r.created, r.skipped, r.warned), (3, 1, 1), "{backend:?}: {r:?}");
        assert_eq!(r.errors[0].record, "line 3", "{r:?}");
        assert_eq!(r.warnings[0].record, "line 2", "{r:?}");
        assert!(r.warnings[0].message.contains("Control characters"), "{r:?}");
        assert!(r.warnings[0].field.contains("title") && r.warnings[0].field.contains("notes"), "{r:?}");
        let bowl = objects::by_accession(&db, org, "N.2").await.unwrap().expect("stored, cleaned");
        assert_eq!(bowl.title, "Bad bowl");
        assert!(bowl.extra_private.contains("kept here") && bowl.extra_private.contains("oddkey") && bowl.extra_private.contains("\"ab\""), "{}", bowl.extra_private);
        assert!(!bowl.extra_private.contains("\\u0000") && !bowl.extra_private.contains("\\u0001"), "{}", bowl.extra_private);

        // CSV: a NUL in the first part read (not taken for binary data) and
        // one past the first 256 KB, in a mapped field and an extra one.
        let mut csv = String::from("Accession Number,Title,Notes\n");
        csv.push_str("C.1,First\0 row,note\0 one\n");
        let mut i = 2;
        while csv.len() < 300 * 1024 {
            csv.push_str(&format!("C.{i},Object {i},{}\n", "x".repeat(90)));
            i += 1;
        }
        csv.push_str(&format!("C.{i},Late\0 row,late\0 note\n"));
        csv.push_str(&format!("C.{},After it,fine\n", i + 1));
        let rows = i + 1;
        let r = import(&db, org, &temp_file("nul.csv", csv.as_bytes()), Mapping::default(), None).await;
        assert_eq!((r.created, r.skipped, r.warned), (rows as u64, 0, 2), "{backend:?}: {:?}", r.warnings);
        let named: Vec<&str> = r.warnings.iter().map(|w| w.record.as_str()).collect();
        assert_eq!(named, vec!["row 2".to_string(), format!("row {}", i + 1)], "{backend:?}");
        assert_eq!(objects::by_accession(&db, org, "C.1").await.unwrap().unwrap().title, "First row");
        let late = objects::by_accession(&db, org, &format!("C.{i}")).await.unwrap().unwrap();
        assert_eq!(late.title, "Late row");
        assert!(late.extra_private.contains("late note"), "{}", late.extra_private);
        assert_eq!(objects::count(&db, org).await.unwrap(), 3 + rows);
        // Found by search like any other record.
        let (hits, _) = search::search(&db, "late row", "object", 1).await.unwrap();
        assert_eq!(hits.len(), 1, "{backend:?}: {hits:?}");
    }
}

/// A mapping naming a column the file does not have is refused before
/// anything is written, listing what the file has: re-importing with a typo
/// would otherwise make every title "Untitled".
#[tokio::test]
async fn a_mapping_naming_a_column_the_file_lacks_is_refused_before_any_write() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let csv = "Accession Number,Title,Maker\nM.1,Tea caddy,Anon\nM.2,Spoon,\n";
        let path = temp_file("mapped.csv", csv.as_bytes());
        let good = Mapping::from_toml("[fields]\naccession_number = \"Accession Number\"\ntitle = \"Title\"\n").unwrap();
        assert_eq!(import(&db, org, &path, good, None).await.created, 2);

        let typo = Mapping::from_toml("[fields]\naccession_number = \"Accession Number\"\ntitle = \"Titel\"\n").unwrap();
        let e = open_error(&path, &typo);
        assert!(e.contains("“Titel” (for title)") && e.contains("“Title”") && e.contains("“Maker”"), "{e}");
        let e = open_error(&path, &Mapping::from_toml("[fields]\naccession_number = \"accession number\"\n").unwrap());
        assert!(e.contains("“accession number” (for accession_number; the file has “Accession Number”)"), "{e}");
        // Without a mapping, a file with no column recognised as the
        // accession number is refused too, instead of every row skipped.
        let e = open_error(&temp_file("noacc.csv", b"Ref,Title\nA,B\n"), &Mapping::default());
        assert!(e.contains("accession number") && e.contains("“Ref”, “Title”"), "{e}");
        assert_eq!(objects::by_accession(&db, org, "M.1").await.unwrap().unwrap().title, "Tea caddy");

        // JSON: a pointer that reaches nothing in any record of the first
        // batch is refused before the batch is written; one absent from some
        // records is normal.
        let lines = "{\"id\": \"M.1\", \"name\": \"Tea caddy, silver\", \"when\": {\"from\": 1790}}\n{\"id\": \"M.3\", \"name\": \"Fork\"}\n";
        let path = temp_file("mapped.jsonl", lines.as_bytes());
        let typo = Mapping::from_toml("[fields]\naccession_number = \"/id\"\ntitle = \"/titel\"\n").unwrap();
        let failed = try_import(&db, org, &path, typo).await.expect_err("refused");
        assert!(matches!(failed.reason, collection::Failure::File(_)), "{failed:?}");
        let e = failed.to_string();
        assert!(e.contains("“/titel” (for title)") && e.contains("none of the first 2 records") && e.contains("“name”"), "{e}");
        assert_eq!(failed.report.imported(), 0);
        let deep = Mapping::from_toml("[fields]\naccession_number = \"/id\"\nearliest_year = \"/when/form\"\n").unwrap();
        assert!(try_import(&db, org, &path, deep).await.unwrap_err().to_string().contains("/when/form"));
        assert_eq!(objects::count(&db, org).await.unwrap(), 2, "nothing written");
        assert_eq!(objects::by_accession(&db, org, "M.1").await.unwrap().unwrap().title, "Tea caddy");
        let right = Mapping::from_toml("[fields]\naccession_number = \"/id\"\ntitle = \"/name\"\nearliest_year = \"/when/from\"\n").unwrap();
        let r = try_import(&db, org, &path, right).await.unwrap();
        assert_eq!((r.created, r.updated), (1, 1), "{r:?}");
    }
}

/// JSON with a byte order mark, and files that are not UTF-8: one plain
/// file-level error before anything is written (Windows-1252 small or past
/// the first 4 KB, UTF-16 with or without a BOM); a character cut by the
/// first read's edge is fine; a row past the first 256 KB that is not UTF-8 is
/// skipped and named.
#[tokio::test]
async fn byte_order_marks_and_files_that_are_not_utf8() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let backend = db.backend();
        let array = "\u{feff}[{\"Object Number\": \"B.1\", \"Title\": \"Café sign\"}]";
        let r = import(&db, org, &temp_file("bom.json", array.as_bytes()), Mapping::default(), None).await;
        assert_eq!(r.created, 1, "{backend:?}: {r:?}");
        assert_eq!(objects::by_accession(&db, org, "B.1").await.unwrap().unwrap().title, "Café sign");

        // Windows-1252: "é" is the single byte 0xE9.
        let cp1252 = |rows: usize| {
            let mut b = b"Accession Number,Title\n".to_vec();
            for i in 0..rows {
                b.extend_from_slice(format!("W.{i},Plain title {i}\n").as_bytes());
            }
            b.extend_from_slice(b"W.x,Caf\xE9 sign\n");
            b
        };
        for (name, bytes) in [("small.csv", cp1252(3)), ("padded.csv", cp1252(400))] {
            assert!(name == "small.csv" || bytes.len() > 4096);
            let e = open_error(&temp_file(name, &bytes), &Mapping::default());
            assert!(e.contains("not UTF-8 text") && e.contains("CSV UTF-8") && e.contains("Nothing was imported"), "{name}: {e}");
            assert!(e.contains(&format!("line {}", bytes.split(|b| *b == b'\n').count() - 1)), "{name}: {e}");
        }
        // UTF-16 (Excel's "Unicode Text"), with and without its BOM.
        let utf16: Vec<u8> = "Accession Number\tTitle\nU.1\tCafé\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        for bytes in [[b"\xFF\xFE".as_slice(), &utf16].concat(), utf16.clone()] {
            let e = open_error(&temp_file("unicode.txt", &bytes), &Mapping::default());
            assert!(e.contains("not UTF-8 text") && e.contains("UTF-16"), "{e}");
        }
        // A spreadsheet workbook is named as one.
        let e = open_error(&temp_file("book.csv", b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0"), &Mapping::default());
        assert!(e.contains("spreadsheet workbook"), "{e}");
        assert_eq!(objects::count(&db, org).await.unwrap(), 1);

        // Past the first 256 KB: a two-byte character cut by the first read
        // is read whole; a row that is not UTF-8 is skipped and named.
        let mut big = b"Accession Number,Title\n".to_vec();
        let mut i = 0;
        while big.len() < 256 * 1024 - 40 {
            big.extend_from_slice(format!("L.{i},Object {i}\n").as_bytes());
            i += 1;
        }
        let pad = 256 * 1024 - big.len() - "L.edge,".len() - 1;
        big.extend_from_slice(format!("L.edge,{}é\n", "a".repeat(pad)).as_bytes());
        assert_eq!(&big[256 * 1024 - 1..256 * 1024 + 1], "é".as_bytes(), "the é straddles the edge");
        big.extend_from_slice(b"L.bad,Caf\xE9\n");
        big.extend_from_slice(b"L.after,Fine\n");
        let r = import(&db, org, &temp_file("big.csv", &big), Mapping::default(), None).await;
        assert_eq!((r.created, r.skipped), (i as u64 + 2, 1), "{backend:?}: {:?}", r.errors);
        assert_eq!(r.errors[0].record, format!("row {}", i + 3));
        assert!(r.errors[0].message.contains("not UTF-8 text") && r.errors[0].message.contains("“Title”"), "{:?}", r.errors);
        assert!(objects::by_accession(&db, org, "L.edge").await.unwrap().unwrap().title.ends_with("aé"));
        // The same in JSON Lines.
        let mut lines = Vec::new();
        while lines.len() < 300 * 1024 {
            lines.extend_from_slice(format!("{{\"Object Number\": \"J.{}\", \"Title\": \"Jar\"}}\n", lines.len()).as_bytes());
        }
        lines.extend_from_slice(b"{\"Object Number\": \"J.bad\", \"Title\": \"Caf\xE9\"}\n");
        let r = import(&db, org, &temp_file("big.jsonl", &lines), Mapping::default(), None).await;
        assert_eq!(r.skipped, 1, "{backend:?}: {:?}", r.errors);
        assert!(r.errors[0].message.contains("not UTF-8 text"), "{:?}", r.errors);
        // A JSON array is read whole first: anywhere in it is a file error.
        let mut array = b"[".to_vec();
        while array.len() < 300 * 1024 {
            array.extend_from_slice(b"{\"Object Number\": \"A.1\", \"Title\": \"Jar\"},\n");
        }
        array.extend_from_slice(b"{\"Object Number\": \"A.2\", \"Title\": \"Caf\xE9\"}]");
        let failed = collection::open(&temp_file("big.json", &array), None, &Mapping::default()).err().expect("refused");
        assert!(failed.to_string().contains("not UTF-8 text"), "{failed}");
    }
}

/// Unmapped ("extra") fields keep the 20,000-character limit per text (cut,
/// with a warning) and 100,000 characters in all per record.
#[tokio::test]
async fn long_extra_fields_are_cut_and_their_total_is_capped() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let mut csv = String::from("Accession Number,Title,Notes,A,B,C,D,E,F\n");
        csv.push_str(&format!("X.1,Long notes,{},,,,,,\n", "n".repeat(200_000)));
        let part = "p".repeat(19_000);
        csv.push_str(&format!("X.2,Many fields,{part},{part},{part},{part},{part},{part},{part}\n"));
        csv.push_str("X.3,Short,fine,,,,,,\n");
        let r = import(&db, org, &temp_file("long.csv", csv.as_bytes()), Mapping::default(), None).await;
        assert_eq!((r.created, r.skipped, r.warned), (3, 0, 2), "{:?}", r.warnings);
        assert_eq!((r.warnings[0].record.as_str(), r.warnings[0].field.as_str()), ("row 2", "Notes"));
        assert!(r.warnings[0].message.contains("200000 characters; only the first 20000"), "{:?}", r.warnings);
        assert_eq!(r.warnings[1].record, "row 3");
        assert!(r.warnings[1].message.contains("more than 100000 characters") && r.warnings[1].message.contains("“F”"), "{:?}", r.warnings);
        let x1 = objects::by_accession(&db, org, "X.1").await.unwrap().unwrap();
        let notes: serde_json::Value = serde_json::from_str(&x1.extra_private).unwrap();
        assert_eq!(notes["Notes"].as_str().unwrap().chars().count(), 20_000);
        let x2 = objects::by_accession(&db, org, "X.2").await.unwrap().unwrap();
        assert!(x2.extra_private.chars().count() <= 100_000, "{}", x2.extra_private.len());
        let kept: serde_json::Value = serde_json::from_str(&x2.extra_private).unwrap();
        assert_eq!(kept.as_object().unwrap().len(), 5, "five of the seven fit");
    }
}

/// A record whose accession number appeared in an earlier batch is skipped
/// and named like one in the same batch, never written over the first: a
/// re-run is all unchanged.
#[tokio::test]
async fn a_duplicate_more_than_a_batch_later_is_skipped_not_written_twice() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let mut csv = String::from("Accession Number,Title\n");
        let n = collection::import::BATCH + 5;
        for i in 0..n {
            csv.push_str(&format!("D.{i},Object {i}\n"));
        }
        csv.push_str("d.1,Object 1 (again)\n");
        let path = temp_file("dups.csv", csv.as_bytes());
        for run in ["first", "again"] {
            let r = import(&db, org, &path, Mapping::default(), None).await;
            let expected = if run == "first" { (n as u64, 0, 0, 1) } else { (0, 0, n as u64, 1) };
            assert_eq!((r.created, r.updated, r.unchanged, r.skipped), expected, "{:?} {run}: {:?}", db.backend(), r.errors);
            assert_eq!(r.errors[0].record, format!("row {}", n + 2));
            assert!(r.errors[0].message.contains("D.1") || r.errors[0].message.contains("d.1"), "{:?}", r.errors);
            assert!(r.errors[0].message.contains("appears earlier"), "{:?}", r.errors);
        }
        assert_eq!(objects::by_accession(&db, org, "D.1").await.unwrap().unwrap().title, "Object 1");
    }
}

/// Image cells: several links split on `;` and white space; ones that are not
/// web addresses are left out and named.
#[tokio::test]
async fn image_links_are_split_and_the_ones_left_out_are_named() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let csv = "Accession Number,Title,Image URL\n\
                   I.1,Two links,\"https://img.example/a.jpg; https://img.example/b.jpg\nhttps://img.example/c.jpg\"\n\
                   I.2,Relative,images/x.jpg;//cdn.example/y.jpg;https://img.example/z.jpg\n\
                   I.3,None,\n";
        let r = import(&db, org, &temp_file("images.csv", csv.as_bytes()), Mapping::default(), None).await;
        assert_eq!((r.created, r.warned), (3, 1), "{r:?}");
        assert_eq!((r.warnings[0].record.as_str(), r.warnings[0].field.as_str()), ("row 3", "image_urls"));
        assert!(r.warnings[0].message.contains("“images/x.jpg”, “//cdn.example/y.jpg”"), "{:?}", r.warnings);
        let one = objects::by_accession(&db, org, "I.1").await.unwrap().unwrap();
        assert_eq!(one.image_urls, r#"["https://img.example/a.jpg","https://img.example/b.jpg","https://img.example/c.jpg"]"#);
        let two = objects::by_accession(&db, org, "I.2").await.unwrap().unwrap();
        assert_eq!(two.image_urls, r#"["https://img.example/z.jpg"]"#);
    }
}

/// An import that stops part-way (here the table is renamed away after the
/// first batch) reports what was committed and skipped by then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_import_keeps_its_partial_report() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use meetinghouse_core::collection::mapping::Source;
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let batch = collection::import::BATCH;
        let total = batch + 1_030;
        let written = Arc::new(AtomicBool::new(false));
        let (handle, db2, seen) = (tokio::runtime::Handle::current(), db.clone(), written.clone());
        let mut good = 0;
        let records = (0..total).map(move |i| {
            if good == batch {
                // The first batch is full and on its way: once it is
                // committed (progress is called), make the next write fail.
                while !seen.load(Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                handle.block_on(db2.execute_admin("ALTER TABLE collection_objects RENAME TO collection_objects_away")).unwrap();
                good += 1;
            }
            let label = format!("r {}", i + 1);
            if i % 1_000 == 7 {
                return Err(collection::RecordError::new(label, "", "broken"));
            }
            good += 1;
            Ok((label, Source::Row(vec![("Accession Number".into(), format!("S.{i}")), ("Title".into(), "Thing".into())])))
        });
        let options = ImportOptions { org_id: org, mapping: Mapping::default(), format: None };
        let failed = collection::import_records(&db, &options, records, &mut |_| written.store(true, Ordering::SeqCst))
            .await
            .expect_err("the second batch cannot be written");
        let broken = (0..total).filter(|i| i % 1_000 == 7).count() as u64;
        assert_eq!(failed.report.created, batch as u64, "{:?}", db.backend());
        assert_eq!(failed.report.skipped, broken, "the skipped records of both batches are kept");
        let collection::Failure::Write { records, .. } = &failed.reason else { panic!("{failed:?}") };
        assert!(records.starts_with("r 20") && records.ends_with(&format!(" to r {total}")), "{records}");
        let message = failed.to_string();
        assert!(message.contains(&format!("The {batch} records before them are stored")), "{message}");
        db.execute_admin("ALTER TABLE collection_objects_away RENAME TO collection_objects").await.unwrap();
        assert_eq!(objects::count(&db, org).await.unwrap(), batch as i64);
    }
}

/// A CSV file whose columns are separated by semicolons (Excel's where a
/// comma is the decimal mark) or tabs is read as such without a mapping; a
/// mapping's delimiter still wins. An empty file, and one whose first line
/// is one column, are refused in plain words that point to the mapping, not
/// to a command-line flag; the organisation's address is not echoed back.
#[tokio::test]
async fn semicolons_and_tabs_are_told_apart_and_empty_files_are_named() {
    for db in meetinghouse_testkit::databases().await {
        let (sam, org) = museum(&db).await;
        let semi = "\u{feff}\"Object Number\";\"Title\";\"Medium\"\n\"S.1\";\"Lace, Honiton\";\"Cotton\"\nS.2;Bell;\"Bronze; cast\"\n";
        let r = import(&db, org, &temp_file("semi.csv", semi.as_bytes()), Mapping::default(), None).await;
        assert_eq!((r.created, r.skipped), (2, 0), "{:?}", r.errors);
        let lace = objects::by_accession(&db, org, "S.1").await.unwrap().unwrap();
        assert_eq!((lace.title.as_str(), lace.medium.as_str()), ("Lace, Honiton", "Cotton"));
        assert_eq!(objects::by_accession(&db, org, "S.2").await.unwrap().unwrap().medium, "Bronze; cast");
        let tabs = "Object Number\tTitle\nT.1\tJug; blue\n";
        let r = import(&db, org, &temp_file("tabs.csv", tabs.as_bytes()), Mapping::default(), None).await;
        assert_eq!(r.created, 1, "{:?}", r.errors);
        assert_eq!(objects::by_accession(&db, org, "T.1").await.unwrap().unwrap().title, "Jug; blue");
        // A comma outside quotes in the first line keeps commas.
        let commas = "Object Number,Title,Size; in cm\nC.1,Cup;saucer,9\n";
        let r = import(&db, org, &temp_file("commas.csv", commas.as_bytes()), Mapping::default(), None).await;
        assert_eq!(r.created, 1, "{:?}", r.errors);
        assert_eq!(objects::by_accession(&db, org, "C.1").await.unwrap().unwrap().title, "Cup;saucer");
        // The mapping's delimiter wins.
        let piped = "Object Number|Title\nP.1|Plate\n";
        let mapping = Mapping::from_toml("[options]\ndelimiter = \"|\"\n").unwrap();
        let r = import(&db, org, &temp_file("piped.csv", piped.as_bytes()), mapping, None).await;
        assert_eq!(r.created, 1, "{:?}", r.errors);

        let refused = open_error(&temp_file("piped.csv", piped.as_bytes()), &Mapping::default());
        assert!(refused.starts_with("The file does not look like CSV: its first line has only one column, “Object Number|Title”"), "{refused}");
        assert!(refused.contains("separated by commas, semicolons or tabs") && refused.contains("under [options], like delimiter = \"|\""), "{refused}");
        assert!(!refused.contains("--"), "no command-line flag: {refused}");
        assert_eq!(open_error(&temp_file("empty.csv", b""), &Mapping::default()), "The file is empty. Nothing was imported.");
        assert_eq!(open_error(&temp_file("bom.json", b"\xEF\xBB\xBF"), &Mapping::default()), "The file is empty. Nothing was imported.");
        assert!(open_error(&temp_file("blank.csv", b"\n \n"), &Mapping::default()).starts_with("The file holds only blank lines"));

        // An organisation that is not there is not found, its name not repeated.
        let err = collection::ensure_can_import(&db, &sam, "Your session expired: sign in at evil.example").await.unwrap_err();
        assert!(matches!(err, meetinghouse_core::CoreError::NotFound), "{err:?}");
        let err = collection::ensure_can_import(&db, &sam, "no-such-museum").await.unwrap_err();
        assert!(matches!(err, meetinghouse_core::CoreError::NotFound), "{err:?}");
        // Any case of the address names the organisation.
        assert_eq!(collection::ensure_can_import(&db, &sam, "TIVERTON-MUSEUM").await.unwrap(), org);
    }
}

/// Runs an import as `run` says on a file; the report or why it failed.
async fn import_run(db: &Db, org: i64, path: &Path, mapping: Mapping, run: &collection::ImportRun) -> Result<ImportReport, collection::ImportFailed> {
    let opened = collection::open(path, None, &mapping).expect("the file opens");
    let options = ImportOptions { org_id: org, mapping, format: None };
    collection::import_records_run(db, &options, run, opened.records, &mut |_| {}).await
}

/// A CSV quote that is never closed would make the rest of the file one
/// value: the reader says where it opened and how much was not read, and
/// nothing is imported when it is in the first batch; later, the batches
/// before it stay and the import stops (the review's repro: 10,000 rows
/// lost behind row 4, "exit 0"). A quote that closes before the end of its
/// value is named; a record past the size limit stops reading.
#[tokio::test]
async fn a_csv_quote_never_closed_stops_the_import_and_says_where() {
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (_, org) = museum(&db).await;
        let mut csv = String::from("Object Number,Title,Maker,Date\nU/1,ok,m,1900\nU/2,\"12\" ruler,m,1900\nU/3,\"Smith, 5 tall,m,1900\n");
        for i in 0..10_000 {
            csv.push_str(&format!("G/{i},Good,m,1900\n"));
        }
        let path = temp_file("unclosed.csv", csv.as_bytes());
        let failed = import_run(&db, org, &path, Mapping::default(), &Default::default()).await.expect_err("refused");
        let message = failed.to_string();
        assert!(matches!(failed.reason, collection::Failure::File(_)), "{backend:?}: {message}");
        assert!(
            message.starts_with("The quote opened on line 4 (in row 4) is never closed, so the rest of the file (10001 lines) would be read as one value, and was not read.")
                && message.ends_with("Nothing was imported."),
            "{message}"
        );
        assert_eq!(objects::count(&db, org).await.unwrap(), 0, "{backend:?}");

        // Past the first batch: what came before is stored, and the import stops.
        let mut csv = String::from("Object Number,Title\n");
        for i in 0..25_000 {
            csv.push_str(&format!("E/{i},Early\n"));
        }
        csv.push_str("E/late,\"never closed\nE/after,Lost\n");
        let failed = import_run(&db, org, &temp_file("late.csv", csv.as_bytes()), Mapping::default(), &Default::default()).await.expect_err("stopped");
        let message = failed.to_string();
        assert!(matches!(failed.reason, collection::Failure::Stopped(_)), "{message}");
        assert!(message.contains("The quote opened on line 25002 (in row 25002) is never closed, so the rest of the file (2 lines)"), "{message}");
        assert_eq!(failed.report.created, 25_000, "{backend:?}: the records before it are stored");
        assert!(objects::by_accession(&db, org, "E/after").await.unwrap().is_none());

        // A quote closed before the end of its value: imported, and named.
        let r = import(&db, org, &temp_file("ruler.csv", b"Object Number,Title\nR/1,\"12\" ruler\nR/2,\"Fine, quoted\"\n"), Mapping::default(), None).await;
        assert_eq!((r.created, r.warned), (2, 1), "{r:?}");
        assert_eq!((r.warnings[0].record.as_str(), r.warnings[0].field.as_str()), ("row 2", "Title"), "{r:?}");
        assert!(r.warnings[0].message.contains("a quote closed before the end of the value, so it was read as “12 ruler”"), "{r:?}");

        // A record over the size limit (here a quote closed 3 MB later).
        let mut csv = String::from("Object Number,Title\nL/1,\"long\n");
        csv.push_str(&"x\n".repeat(1_600_000));
        csv.push_str("\"\nL/2,After\n");
        let failed = import_run(&db, org, &temp_file("long.csv", csv.as_bytes()), Mapping::default(), &Default::default()).await.expect_err("refused");
        assert!(failed.to_string().starts_with("Row 2 (from line 2) is longer than 2 MB, so the file was not read past it"), "{failed}");
        assert!(objects::by_accession(&db, org, "L/2").await.unwrap().is_none());
    }
}

/// JSON files are read as they are laid out, whatever their name says: JSON
/// Lines named .json, an array named .jsonl, and records in a list inside
/// an object, named by the mapping's `records` (an object without it is
/// told which lists it has).
#[tokio::test]
async fn json_is_read_as_it_is_laid_out() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let lines = "{\"Object Number\": \"J/1\", \"Title\": \"Jug\"}\n{\"Object Number\": \"J/2\", \"Title\": \"Bowl\"}\n";
        let r = import(&db, org, &temp_file("lines.json", lines.as_bytes()), Mapping::default(), None).await;
        assert_eq!((r.created, r.skipped), (2, 0), "JSON Lines named .json: {r:?}");
        let array = "[{\"Object Number\": \"J/3\", \"Title\": \"Cup\"},\n {\"Object Number\": \"J/4\", \"Title\": \"Plate\"}]";
        let r = import(&db, org, &temp_file("array.jsonl", array.as_bytes()), Mapping::default(), None).await;
        assert_eq!((r.created, r.skipped), (2, 0), "an array named .jsonl: {r:?}");

        let wrapped = "{\"meta\": {\"count\": 2, \"note\": \"a [tricky] \\\"value\\\"\"}, \"objects\": [{\"Object Number\": \"J/5\", \"Title\": \"Spoon\"}, {\"Object Number\": \"J/6\", \"Title\": \"Fork\"}], \"after\": 1}";
        let path = temp_file("wrapped.json", wrapped.as_bytes());
        let refused = collection::open(&path, None, &Mapping::default()).err().expect("refused");
        assert_eq!(refused.field, "mapping");
        assert!(refused.message.contains("records = \"/objects\"") && refused.message.contains("The lists in it are at “/objects”"), "{refused}");
        let mapping = Mapping::from_toml("[options]\nrecords = \"/objects\"\n").unwrap();
        let r = import(&db, org, &path, mapping, None).await;
        assert_eq!((r.created, r.skipped), (2, 0), "{r:?}");
        assert_eq!(objects::by_accession(&db, org, "J/6").await.unwrap().unwrap().title, "Fork");
        let nested = "{\"data\": {\"items\": [{\"Object Number\": \"J/7\", \"Title\": \"Knife\"}]}}";
        let r = import(&db, org, &temp_file("nested.json", nested.as_bytes()), Mapping::from_toml("[options]\nrecords = \"/data/items\"").unwrap(), None).await;
        assert_eq!(r.created, 1, "{r:?}");
        let wrong = collection::open(&path, None, &Mapping::from_toml("[options]\nrecords = \"/items\"").unwrap()).err().expect("refused");
        assert!(wrong.field == "mapping" && wrong.message.contains("names /items, which this file does not have"), "{wrong}");
        assert!(Mapping::from_toml("[options]\nrecords = \"objects\"").unwrap_err().contains("starting with “/”"));
    }
}

/// A mistake in the mapping is told as one: a column it names that the
/// file lacks is the mapping's to correct (not the file's), and a TOML
/// mistake is one sentence with its line and column, not the parser's
/// diagram.
#[tokio::test]
async fn mapping_mistakes_are_the_mappings() {
    let headers = temp_file("h.csv", b"Object Number,Title\nM/1,Jug\n");
    let missing = collection::open(&headers, None, &Mapping::from_toml("[fields]\naccession_number = \"Object Number\"\ntitle = \"Titel\"").unwrap()).err().unwrap();
    assert_eq!(missing.field, "mapping", "{missing}");
    let none = collection::open(&temp_file("n.csv", b"Thing,Title\nM/1,Jug\n"), None, &Mapping::default()).err().unwrap();
    assert_eq!(none.field, "mapping", "{none}");
    let published = collection::open(&headers, None, &Mapping::from_toml("[options]\npublish = [\"Colour\"]").unwrap()).err().unwrap();
    assert!(published.field == "mapping" && published.message.contains("“Colour” (for publish)"), "{published}");
    let e = Mapping::from_toml("[fields]\naccession_number = \"A\"\ntitle = Title\n").unwrap_err();
    assert!(e.starts_with("The mapping is not valid at line 3, column 9:") && !e.contains('\n') && !e.contains('^'), "{e}");
    let e = Mapping::from_toml("[fields\nbroken").unwrap_err();
    assert!(e.starts_with("The mapping is not valid at line 1") && !e.contains('\n'), "{e}");
}

/// Invisible characters (zero-width spaces, bidirectional controls) are
/// taken out of accession numbers, with a warning, so two records cannot
/// look alike and be two objects, nor one read back to front.
#[tokio::test]
async fn invisible_characters_leave_accession_numbers() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let csv = "Object Number,Title\nZ/1,First\nZ/\u{200B}1,Looks the same\n\u{202E}Z/2,Reversed\n";
        let r = import(&db, org, &temp_file("invisible.csv", csv.as_bytes()), Mapping::default(), None).await;
        assert_eq!((r.created, r.skipped, r.warned), (2, 1, 1), "{r:?}");
        assert!(r.errors[0].message.contains("Z/1 appears earlier"), "the look-alike is the same number: {r:?}");
        assert!(r.warnings[0].message.contains("U+202E") && r.warnings[0].message.contains("so it is Z/2"), "{r:?}");
        assert_eq!(objects::by_accession(&db, org, "Z/2").await.unwrap().unwrap().title, "Reversed");
        assert_eq!(objects::count(&db, org).await.unwrap(), 2);
    }
}

/// Columns no field of ours takes are kept private unless the mapping
/// publishes them (the review's repro: a valuation, a store location and a
/// donor's address shown to everyone); the report names both; a partial
/// re-import keeps each as it was; `*` publishes every one. A dry run
/// reads and counts and writes nothing.
#[tokio::test]
async fn unmapped_columns_are_private_unless_published() {
    for db in meetinghouse_testkit::databases().await {
        let (_, org) = museum(&db).await;
        let csv = "Object Number,Title,Insurance Value,Current Location,Donor Name and Address,Gallery\n\
                   PRIV/1,Silver chalice,£45000,Store B - Shelf 3 - Box 12,Mrs J Smith 12 Lowman Green EX16 4AA,Gallery 2\n";
        let path = temp_file("private.csv", csv.as_bytes());
        let dry = import_run(&db, org, &path, Mapping::default(), &collection::ImportRun { dry_run: true, ..Default::default() }).await.unwrap();
        assert!(dry.dry_run && dry.created == 1, "{dry:?}");
        assert_eq!(objects::count(&db, org).await.unwrap(), 0, "a dry run writes nothing");
        assert!(search::search(&db, "chalice", "object", 1).await.unwrap().0.is_empty());
        let r = import(&db, org, &path, Mapping::default(), None).await;
        assert!(r.public_columns.is_empty(), "{r:?}");
        assert_eq!(r.private_columns, ["Current Location", "Donor Name and Address", "Gallery", "Insurance Value"]);
        assert!(r.columns_note().unwrap().starts_with("Kept private"), "{r:?}");
        let chalice = objects::by_accession(&db, org, "PRIV/1").await.unwrap().unwrap();
        assert_eq!(chalice.extra, "{}");
        assert!(chalice.extra_private.contains("£45000") && chalice.extra_private.contains("EX16 4AA"), "{}", chalice.extra_private);
        // Its page: the private fields for the museum's staff, nobody else.
        let (sam, _) = (accounts::login(&db, "sam@example.org", "a long enough password").await.unwrap(), ());
        let page = collection::page(&db, "tiverton-museum", "PRIV/1", None, 1).await.unwrap();
        assert!(page.extra.is_empty() && page.private.is_empty() && !page.manages);
        let page = collection::page(&db, "tiverton-museum", "PRIV/1", Some(&sam), 1).await.unwrap();
        assert!(page.manages && page.private.iter().any(|(k, v)| k == "Insurance Value" && v == "£45000"), "{:?}", page.private);

        // Published by the mapping: shown to everyone; the rest stay private.
        let publish = Mapping::from_toml("[options]\npublish = [\"Gallery\"]").unwrap();
        let dry = import_run(&db, org, &path, publish.clone(), &collection::ImportRun { dry_run: true, ..Default::default() }).await.unwrap();
        assert_eq!((dry.updated, dry.unchanged), (1, 0), "{dry:?}");
        let r = import(&db, org, &path, publish, None).await;
        assert_eq!((r.updated, r.public_columns.clone()), (1, vec!["Gallery".to_string()]), "{r:?}");
        let page = collection::page(&db, "tiverton-museum", "PRIV/1", None, 1).await.unwrap();
        assert_eq!(page.extra, [("Gallery".to_string(), "Gallery 2".to_string())]);
        // A file of one column leaves each kept field as it was, public or private.
        let r = import(&db, org, &temp_file("title.csv", b"Object Number,Title\nPRIV/1,Silver chalice (gilt)\n"), Mapping::default(), None).await;
        assert_eq!(r.updated, 1);
        let chalice = objects::by_accession(&db, org, "PRIV/1").await.unwrap().unwrap();
        assert_eq!(chalice.extra, "{\"Gallery\":\"Gallery 2\"}");
        assert!(chalice.extra_private.contains("£45000") && !chalice.extra_private.contains("Gallery 2"), "{}", chalice.extra_private);
        let all = Mapping::from_toml("[options]\npublish = [\"*\"]").unwrap();
        let r = import(&db, org, &path, all, None).await;
        assert_eq!(r.public_columns.len(), 4, "{r:?}");
    }
}

/// Withdrawn objects leave the list, search and the sitemap, and no import
/// writes them; the organisation's staff put theirs back, only moderators
/// theirs (logged); a moderator withdraws a whole collection and holds it;
/// a story about a withdrawn object says so. An import can withdraw the
/// objects its file lacks, unless a record was skipped; a dry run counts
/// them. A collection has a cap.
#[tokio::test]
async fn withdrawn_objects_leave_the_collection_and_come_back() {
    use meetinghouse_core::collection::withdraw::{self, As};
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        let csv = "Object Number,Title\nW/1,Wrong museum's jug\nW/2,Bowl\nW/3,Cup\n";
        let path = temp_file("w.csv", csv.as_bytes());
        import(&db, org, &path, Mapping::default(), None).await;
        let jug = objects::by_accession(&db, org, "W/1").await.unwrap().unwrap();
        let s = Settings::load(&db).await.unwrap();
        let story = StoryForm { title: "Gran's jug".into(), body: "It held milk.".into(), licence: "cc0".into(), visibility: "public".into(), object_ids: jug.id.to_string(), ..Default::default() };
        let story = stories::create(&db, &s, &sam, &story).await.unwrap();

        withdraw::withdraw(&db, &sam, jug.id, As::Org, "Imported into the wrong museum.").await.unwrap();
        let listed: Vec<String> = objects::list(&db, org, 50, 0).await.unwrap().into_iter().map(|o| o.accession_number).collect();
        assert_eq!(listed, ["W/2", "W/3"], "{backend:?}");
        assert!(search::search(&db, "jug", "object", 1).await.unwrap().0.is_empty(), "{backend:?}: out of search");
        assert_eq!(meetinghouse_store::sitemap::count_objects(&db).await.unwrap(), 2);
        assert_eq!(collection::story_objects(&db, story).await.unwrap()[0].1, "Wrong museum's jug (no longer in the collection)");
        let page = collection::page(&db, "tiverton-museum", "W/1", None, 1).await.unwrap();
        assert!(page.object.withdrawn() && page.stories.len() == 1, "the story stays");
        // The story keeps it through an edit; a new story cannot link it.
        let kept = StoryForm { title: "Gran's jug, again".into(), body: "It held milk.".into(), licence: "cc0".into(), visibility: "public".into(), object_ids: jug.id.to_string(), ..Default::default() };
        assert!(stories::edit(&db, &s, &sam, story, &kept).await.unwrap(), "{backend:?}");
        match stories::create(&db, &s, &sam, &kept).await {
            Err(meetinghouse_core::CoreError::Invalid(e)) => assert!(e.get("object_ids").is_some_and(|m| m.contains("withdrawn")), "{e:?}"),
            other => panic!("{backend:?}: a new story linked a withdrawn object: {other:?}"),
        }
        // An import leaves it as it is, and says so.
        let r = import(&db, org, &temp_file("again.csv", b"Object Number,Title\nW/1,Renamed\nW/2,Bowl\n"), Mapping::default(), None).await;
        assert_eq!((r.withdrawn, r.withdrawn_listed.clone(), r.unchanged), (1, vec!["W/1".to_string()], 1), "{r:?}");
        assert!(r.withdrawn_note().unwrap().contains("W/1"), "{r:?}");
        assert_eq!(objects::by_id(&db, jug.id).await.unwrap().unwrap().title, "Wrong museum's jug");
        withdraw::restore(&db, &sam, jug.id).await.unwrap();
        assert_eq!(search::search(&db, "jug", "object", 1).await.unwrap().0.len(), 1, "{backend:?}: back in search");

        // A moderator's withdrawal is theirs to undo, and logged.
        let mod_id = accounts::create_admin(&db, "mo@example.org", "mo", "Mo", "a long enough password").await.unwrap();
        let mo = accounts::login(&db, "mo@example.org", "a long enough password").await.unwrap();
        withdraw::withdraw(&db, &mo, jug.id, As::Moderator, "Spam.").await.unwrap();
        assert!(matches!(withdraw::restore(&db, &sam, jug.id).await, Err(meetinghouse_core::CoreError::Forbidden(_))));
        let log = meetinghouse_store::moderation::actions(&db, 0, 10).await.unwrap();
        assert_eq!((log[0].target_kind.as_str(), log[0].action.as_str(), log[0].target_id, log[0].note.as_str()), ("object", "hide", jug.id, "Spam."));
        let (what, link) = collection::log_entry_words(&db, "object", jug.id).await.unwrap().unwrap();
        assert!(what.contains("Wrong museum's jug") && link.ends_with("/objects/W%2F1"), "{what} {link}");
        withdraw::restore(&db, &mo, jug.id).await.unwrap();

        // The whole collection: withdrawn, held, and put back.
        let n = withdraw::withdraw_collection(&db, &mo, "tiverton-museum", "A spam museum.").await.unwrap();
        assert_eq!(n, 3);
        assert!(objects::list(&db, org, 50, 0).await.unwrap().is_empty() && search::search(&db, "bowl", "object", 1).await.unwrap().0.is_empty());
        assert_eq!(collection::jobs::gate(&db, &sam, org).await.unwrap(), collection::jobs::Gate::Held);
        assert_eq!(meetinghouse_store::moderation::actions(&db, 0, 1).await.unwrap()[0].target_kind, "collection");
        assert_eq!(withdraw::restore_collection(&db, &mo, "tiverton-museum").await.unwrap(), 3);
        assert_eq!(search::search(&db, "bowl", "object", 1).await.unwrap().0.len(), 1);
        assert!(matches!(withdraw::withdraw_collection(&db, &sam, "tiverton-museum", "").await, Err(meetinghouse_core::CoreError::Forbidden(_))));
        let _ = mod_id;

        // Withdrawing what the file lacks: counted by a dry run, done by an
        // import, refused when a record was skipped.
        let lacking = temp_file("lacking.csv", b"Object Number,Title\nW/2,Bowl\nW/3,Cup\n");
        let run = collection::ImportRun { withdraw_missing: true, dry_run: true, ..Default::default() };
        let r = import_run(&db, org, &lacking, Mapping::default(), &run).await.unwrap();
        assert_eq!(r.withdrawn_missing, 1, "{r:?}");
        assert!(!objects::by_id(&db, jug.id).await.unwrap().unwrap().withdrawn());
        let broken = temp_file("broken.csv", b"Object Number,Title\nW/2,Bowl\nW/3,Cup,extra\n");
        let run = collection::ImportRun { withdraw_missing: true, ..Default::default() };
        let r = import_run(&db, org, &broken, Mapping::default(), &run).await.unwrap();
        assert!(r.withdrawn_missing == 0 && r.withdraw_missing_refused.as_deref().unwrap_or("").contains("1 record was skipped"), "{r:?}");
        let r = import_run(&db, org, &lacking, Mapping::default(), &run).await.unwrap();
        assert_eq!(r.withdrawn_missing, 1, "{r:?}");
        assert!(objects::by_id(&db, jug.id).await.unwrap().unwrap().withdrawn());

        // The cap (lowered here): an import that would pass it stops first.
        let more = temp_file("more.csv", b"Object Number,Title\nW/4,Spoon\nW/5,Fork\n");
        let run = collection::ImportRun { max_objects: Some(4), ..Default::default() };
        let failed = import_run(&db, org, &more, Mapping::default(), &run).await.expect_err("over the cap");
        assert!(failed.to_string().contains("holds at most 4 objects, and this one has 3"), "{failed}");
        assert_eq!(objects::count(&db, org).await.unwrap(), 3);
    }
}

/// The review's repro, smaller: a 10-row file set to withdraw what it
/// lacks, against a collection of 5,050 objects, withdrew all the rest
/// without a word, and re-importing the whole file left them withdrawn.
/// Now more than 50 objects that are more than 20% of the collection are
/// withdrawn only when the run says so many should go (`withdraw_many`);
/// otherwise none is, and the report says how many would have gone. Looking
/// through the collection and withdrawing report their progress. The
/// import's id is kept on what it withdrew, and `put_back_import` puts all
/// of it back, with its search entries, leaving alone an object put back
/// since and one the moderators took over.
#[tokio::test]
async fn withdrawing_most_of_a_collection_needs_saying_so_and_can_be_put_back_at_once() {
    use collection::Progress;
    use meetinghouse_core::collection::withdraw::{self, As};
    assert!(!collection::import::withdraws_many(50, 100) && collection::import::withdraws_many(51, 100));
    assert!(!collection::import::withdraws_many(60, 300) && collection::import::withdraws_many(61, 300));
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        // Numbers whose sort keys tie ("M/01" and "M/1") and whose digits differ in length.
        let mut csv = String::from("Object Number,Title\nM/01,Zero-one jug\n");
        for i in 1..5_050 {
            csv.push_str(&format!("M/{i},Object {i}\n"));
        }
        let whole = temp_file("whole.csv", csv.as_bytes());
        assert_eq!(import(&db, org, &whole, Mapping::default(), None).await.created, 5_050);
        let ten = temp_file("ten.csv", b"Object Number,Title\nM/1,Object 1\nM/2,Object 2\nM/3,Object 3\nM/4,Object 4\nM/5,Object 5\nM/6,Object 6\nM/7,Object 7\nM/8,Object 8\nM/9,Object 9\nM/10,Object 10\n");
        let run_with = |dry_run: bool, withdraw_many: bool, import_id: Option<i64>| collection::ImportRun {
            dry_run,
            withdraw_missing: true,
            withdraw_many,
            import_id,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let opened = collection::open(&ten, None, &Mapping::default()).unwrap();
        let options = ImportOptions { org_id: org, mapping: Mapping::default(), format: None };
        let r = collection::import_records_run(&db, &options, &run_with(false, false, None), opened.records, &mut |p| seen.push(p)).await.unwrap();
        assert_eq!((r.withdrawn_missing, r.withdraw_many_refused), (0, 5_040), "{backend:?}: {r:?}");
        let why = r.withdraw_missing_refused.clone().unwrap_or_default();
        assert!(why.contains("No object was withdrawn") && why.contains("it lacks 5,040 of the collection's 5,050 objects, more than 20%"), "{why}");
        assert_eq!(r.withdraw_missing_note().as_deref(), Some(why.as_str()));
        assert_eq!(objects::count_live(&db, org).await.unwrap(), 5_050, "{backend:?}: nothing withdrawn");
        assert_eq!(seen.first(), Some(&Progress::Read(10)), "{seen:?}");
        assert_eq!(seen.last(), Some(&Progress::Looking { looked: 5_050, total: 5_050 }), "{seen:?}");
        assert!(seen.iter().filter(|p| matches!(p, Progress::Looking { .. })).count() >= 3, "page by page: {seen:?}");
        // A dry run says the same, and with withdraw_many counts them.
        let r = import_run(&db, org, &ten, Mapping::default(), &run_with(true, false, None)).await.unwrap();
        assert!(r.withdraw_missing_refused.unwrap_or_default().contains("No object would be withdrawn"), "{backend:?}");
        let r = import_run(&db, org, &ten, Mapping::default(), &run_with(true, true, None)).await.unwrap();
        assert_eq!((r.withdrawn_missing, r.withdraw_many_refused, r.withdraw_missing_refused), (5_040, 0, None), "{backend:?}");

        // Told that so many should go: withdrawn a thousand at a time, and noted.
        let asked = collection::jobs::Asked { withdraw_missing: true, ..Default::default() };
        let import_id = collection::jobs::record_by_operator(&db, org, "ten.csv", 200, &asked).await.unwrap();
        let mut seen = Vec::new();
        let opened = collection::open(&ten, None, &Mapping::default()).unwrap();
        let r = collection::import_records_run(&db, &options, &run_with(false, true, Some(import_id)), opened.records, &mut |p| seen.push(p)).await.unwrap();
        assert_eq!(r.withdrawn_missing, 5_040, "{backend:?}: {r:?}");
        assert!(r.withdraw_missing_note().unwrap().contains("put back everything this import withdrew at once"), "{r:?}");
        let withdrawing: Vec<&Progress> = seen.iter().filter(|p| matches!(p, Progress::Withdrawing { .. })).collect();
        assert_eq!(withdrawing.len(), 7, "from 0, then each thousand: {seen:?}");
        assert_eq!(withdrawing.last(), Some(&&Progress::Withdrawing { done: 5_040, total: 5_040 }));
        collection::jobs::end_by_operator(&db, import_id, Some(&r), None).await.unwrap();
        assert_eq!(objects::count_live(&db, org).await.unwrap(), 10);
        assert_eq!(objects::count_withdrawn_by_import(&db, org, import_id).await.unwrap(), 5_040);
        assert!(search::search(&db, "zero-one", "object", 1).await.unwrap().0.is_empty(), "{backend:?}: out of search");
        // The whole file again leaves them withdrawn, as before.
        let r = import(&db, org, &whole, Mapping::default(), None).await;
        assert_eq!((r.withdrawn, r.unchanged), (5_040, 10), "{backend:?}");

        // Another organisation's import, or none: not found. A held collection: refused.
        assert!(matches!(withdraw::put_back_import(&db, org, import_id + 1, &mut |_, _| {}).await, Err(meetinghouse_core::CoreError::NotFound)));
        accounts::create_admin(&db, "mo@example.org", "mo", "Mo", "a long enough password").await.unwrap();
        let mo = accounts::login(&db, "mo@example.org", "a long enough password").await.unwrap();
        withdraw::withdraw_collection(&db, &mo, "tiverton-museum", "Looking into it.").await.unwrap();
        assert!(matches!(withdraw::put_back_import(&db, org, import_id, &mut |_, _| {}).await, Err(meetinghouse_core::CoreError::Forbidden(_))));
        withdraw::restore_collection(&db, &mo, "tiverton-museum").await.unwrap();
        assert_eq!(objects::count_withdrawn_by_import(&db, org, import_id).await.unwrap(), 5_040, "the hold took none of them over");

        // One put back from its page since, one taken over by the moderators.
        let put_back_since = objects::by_accession(&db, org, "M/11").await.unwrap().unwrap();
        withdraw::restore(&db, &sam, put_back_since.id).await.unwrap();
        let taken_over = objects::by_accession(&db, org, "M/12").await.unwrap().unwrap();
        withdraw::withdraw(&db, &mo, taken_over.id, As::Moderator, "Not theirs.").await.unwrap();
        assert_eq!(objects::count_withdrawn_by_import(&db, org, import_id).await.unwrap(), 5_038);

        let mut steps = Vec::new();
        let done = withdraw::put_back_import(&db, org, import_id, &mut |done, total| steps.push((done, total))).await.unwrap();
        assert_eq!((done.put_back, done.left), (5_038, 0), "{backend:?}");
        assert_eq!((steps.first(), steps.last(), steps.len()), (Some(&(0, 5_038)), Some(&(5_038, 5_038)), 7), "{steps:?}");
        assert_eq!(objects::count_live(&db, org).await.unwrap(), 5_049, "{backend:?}: all but the moderators' one");
        assert!(objects::by_id(&db, taken_over.id).await.unwrap().unwrap().withdrawn(), "the moderators' to put back");
        assert_eq!(search::search(&db, "zero-one", "object", 1).await.unwrap().0.len(), 1, "{backend:?}: back in search");
        assert_eq!(objects::list(&db, org, 3, 0).await.unwrap().into_iter().map(|o| o.accession_number).collect::<Vec<_>>(), ["M/01", "M/1", "M/2"]);
        // Nothing is left to put back; the import's record says what it did.
        let again = withdraw::put_back_import(&db, org, import_id, &mut |_, _| {}).await.unwrap();
        assert_eq!((again.put_back, again.left), (0, 0));
        let row = meetinghouse_store::collection_imports::by_id(&db, import_id).await.unwrap().unwrap();
        assert_eq!((row.state.as_str(), row.person_id, row.file_name.as_str()), ("done", None, "ten.csv"));
        assert!(row.report.contains("\"withdrawn_missing\":5040"), "{}", row.report);
    }
}

/// Stops after `at` records until told to go on (`go`), saying so first
/// (`reached`): lets a test act between an import's batches.
struct PauseAt<I> {
    inner: I,
    read: usize,
    at: usize,
    reached: Option<tokio::sync::oneshot::Sender<()>>,
    go: std::sync::mpsc::Receiver<()>,
}

impl<I: Iterator> Iterator for PauseAt<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        if self.read == self.at
            && let Some(reached) = self.reached.take()
        {
            let _ = reached.send(());
            let _ = self.go.recv();
        }
        self.read += 1;
        self.inner.next()
    }
}

/// The review's H1: moderators withdrew (and held) a collection while an
/// import ran, and it went on adding public objects. Now the next batch
/// finds the hold in its own write transaction, writes nothing and stops
/// the import, saying why; what it wrote before is withdrawn with the
/// collection, so nothing of the file is public.
#[tokio::test]
async fn an_import_stops_when_the_moderators_withdraw_its_collection() {
    use meetinghouse_core::collection::import::{BATCH, Failure};
    use meetinghouse_core::collection::withdraw;
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (_, org) = museum(&db).await;
        accounts::create_admin(&db, "mo@example.org", "mo", "Mo", "a long enough password").await.unwrap();
        let mo = accounts::login(&db, "mo@example.org", "a long enough password").await.unwrap();
        let total = BATCH + 500;
        let mut csv = String::from("Object Number,Title\n");
        for i in 0..total {
            csv.push_str(&format!("BIG{i},Big object {i}\n"));
        }
        let path = temp_file("big.csv", csv.as_bytes());
        let opened = collection::open(&path, None, &Mapping::default()).unwrap();
        let (reached_tx, reached) = tokio::sync::oneshot::channel();
        let (go, go_rx) = std::sync::mpsc::channel();
        let records = PauseAt { inner: opened.records, read: 0, at: BATCH + 1, reached: Some(reached_tx), go: go_rx };
        let importer = {
            let db = db.clone();
            tokio::spawn(async move {
                let options = ImportOptions { org_id: org, mapping: Mapping::default(), format: None };
                collection::import_records_run(&db, &options, &collection::ImportRun::default(), records, &mut |_| {}).await
            })
        };
        reached.await.unwrap();
        // The first batch is written; the reader waits before the rest.
        tokio::time::timeout(std::time::Duration::from_secs(120), async {
            while objects::count(&db, org).await.unwrap() < BATCH as i64 {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the first batch is written");
        let n = withdraw::withdraw_collection(&db, &mo, "tiverton-museum", "Spam museum.").await.unwrap();
        assert_eq!(n, BATCH as u64, "{backend:?}");
        go.send(()).unwrap();
        let failed = importer.await.unwrap().expect_err("the import stops");
        match &failed.reason {
            Failure::Stopped(m) => assert!(
                m.contains("moderators withdrew this collection while it was importing") && m.contains("The 20,000 records written before then are withdrawn with it"),
                "{backend:?}: {m}"
            ),
            other => panic!("{backend:?}: {other:?}"),
        }
        assert_eq!(failed.report.created, BATCH as u64, "{backend:?}");
        assert_eq!(objects::count(&db, org).await.unwrap(), BATCH as i64, "{backend:?}: the last batch wrote nothing");
        assert!(objects::list(&db, org, 10, 0).await.unwrap().is_empty(), "{backend:?}: nothing public");
        assert!(objects::by_accession(&db, org, &format!("BIG{}", total - 1)).await.unwrap().is_none(), "{backend:?}");
        assert!(search::search(&db, "big object", "object", 1).await.unwrap().0.is_empty(), "{backend:?}: nothing in search");
        assert_eq!(meetinghouse_store::sitemap::count_objects(&db).await.unwrap(), 0, "{backend:?}");
    }
}

/// The review's H2 and M5: the organisation withdrew an object ahead of
/// the moderators; a moderator's withdrawal of it used to do nothing (and
/// say it was logged), and its staff could put it back inside a collection
/// the moderators hold. Now the moderators take the withdrawal over
/// (logged), and nothing in a held collection is put back by anyone until
/// the moderators put the collection back.
#[tokio::test]
async fn the_moderators_hold_keeps_everything_withdrawn() {
    use meetinghouse_core::CoreError;
    use meetinghouse_core::collection::withdraw::{self, As};
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        import(&db, org, &temp_file("s.csv", b"Object Number,Title\nS1,Spam one\nS2,Spam two\nS3,Spam three\n"), Mapping::default(), None).await;
        accounts::create_admin(&db, "mo@example.org", "mo", "Mo", "a long enough password").await.unwrap();
        let mo = accounts::login(&db, "mo@example.org", "a long enough password").await.unwrap();
        let (s1, s2) = (objects::by_accession(&db, org, "S1").await.unwrap().unwrap(), objects::by_accession(&db, org, "S2").await.unwrap().unwrap());

        // M5: the moderators take over the organisation's withdrawal.
        withdraw::withdraw(&db, &sam, s2.id, As::Org, "deaccessioned 2026").await.unwrap();
        withdraw::withdraw(&db, &mo, s2.id, As::Moderator, "offensive").await.unwrap();
        let now = objects::by_id(&db, s2.id).await.unwrap().unwrap();
        assert_eq!((now.withdrawn_how.as_str(), now.withdrawn_note.as_str()), ("moderation", "offensive"), "{backend:?}");
        let log = meetinghouse_store::moderation::actions(&db, 0, 10).await.unwrap();
        assert_eq!((log[0].target_kind.as_str(), log[0].action.as_str(), log[0].target_id), ("object", "hide", s2.id), "{backend:?}: logged");
        assert!(matches!(withdraw::restore(&db, &sam, s2.id).await, Err(CoreError::Forbidden(_))), "{backend:?}");

        // H2: withdrawn by the organisation first, then the whole collection.
        withdraw::withdraw(&db, &sam, s1.id, As::Org, "").await.unwrap();
        withdraw::withdraw_collection(&db, &mo, "tiverton-museum", "Spam museum.").await.unwrap();
        match withdraw::restore(&db, &sam, s1.id).await {
            Err(CoreError::Forbidden(m)) => assert!(m.contains("until they put the collection back"), "{m}"),
            other => panic!("{backend:?}: staff put an object back into a held collection: {other:?}"),
        }
        assert!(matches!(withdraw::restore(&db, &mo, s2.id).await, Err(CoreError::Forbidden(_))), "{backend:?}: the collection first");
        assert!(objects::by_id(&db, s1.id).await.unwrap().unwrap().withdrawn(), "{backend:?}");
        assert!(objects::list(&db, org, 10, 0).await.unwrap().is_empty(), "{backend:?}");

        // Put back: the organisation's own withdrawal is theirs again.
        withdraw::restore_collection(&db, &mo, "tiverton-museum").await.unwrap();
        withdraw::restore(&db, &sam, s1.id).await.unwrap();
        assert!(!objects::by_id(&db, s1.id).await.unwrap().unwrap().withdrawn(), "{backend:?}");
    }
}

/// The review's M1, M2 and L1: approving a waiting import through another
/// organisation's address took its file and left it "running" for ever;
/// approving one into a held collection ran it; a closed account's waiting
/// import could still be approved. Now each is refused and the import left
/// as it was, or declined when its sender closes their account.
#[tokio::test]
async fn approving_a_waiting_import_checks_its_organisation_and_the_hold() {
    use meetinghouse_core::CoreError;
    use meetinghouse_core::collection::jobs::{self, Asked};
    use meetinghouse_core::collection::withdraw;
    use meetinghouse_store::collection_imports as store;
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        accounts::create_admin(&db, "mo@example.org", "mo", "Mo", "a long enough password").await.unwrap();
        let mo = accounts::login(&db, "mo@example.org", "a long enough password").await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        orgs::create(&db, &s, &mo, &OrgForm { name: "Other Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let other = meetinghouse_store::orgs::by_slug(&db, "other-museum").await.unwrap().unwrap();
        let mail = meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://mh.test" };
        let row = meetinghouse_store::orgs::by_id(&db, org).await.unwrap().unwrap();
        let asked = Asked::default();
        let id = jobs::wait_for_admin(&db, mail, &sam, &row, "s.csv", b"Object Number,Title\nS1,One\n", &asked).await.unwrap();

        // M2: at another organisation's address, nothing changes.
        assert!(matches!(jobs::approve(&db, mail, &mo, other.id, id).await, Err(CoreError::NotFound)), "{backend:?}");
        assert_eq!(store::by_id(&db, id).await.unwrap().unwrap().state, "waiting", "{backend:?}");
        assert!(meetinghouse_store::orgs::collection_gate(&db, org).await.unwrap().collection_opened_at.is_none(), "{backend:?}: not opened");

        // M1: not into a held collection.
        withdraw::withdraw_collection(&db, &mo, "tiverton-museum", "").await.unwrap();
        match jobs::approve(&db, mail, &mo, org, id).await {
            Err(CoreError::Forbidden(m)) => assert!(m.contains("put the collection back from its page first"), "{m}"),
            other => panic!("{backend:?}: approved into a held collection: {other:?}"),
        }
        assert_eq!(store::by_id(&db, id).await.unwrap().unwrap().state, "waiting", "{backend:?}");
        withdraw::restore_collection(&db, &mo, "tiverton-museum").await.unwrap();
        let (taken, _, file) = jobs::approve(&db, mail, &mo, org, id).await.unwrap().expect("it was waiting");
        assert_eq!((taken.id, file.as_slice()), (id, b"Object Number,Title\nS1,One\n".as_slice()), "{backend:?}");
        assert_eq!(store::by_id(&db, id).await.unwrap().unwrap().state, "running");
        // The import could not start: it fails, rather than seem under way.
        jobs::start_failed(&db, id).await.unwrap();
        let failed = store::by_id(&db, id).await.unwrap().unwrap();
        assert!(failed.state == "failed" && failed.outcome.contains("could not be started"), "{backend:?}: {failed:?}");

        // L1: a closed account's waiting imports are declined, their files gone.
        let hid = accounts::create_admin(&db, "hannah@example.org", "hannah", "Hannah", "a long enough password").await.unwrap();
        meetinghouse_store::people::set_admin(&db, hid, false).await.unwrap();
        let mut hannah = accounts::login(&db, "hannah@example.org", "a long enough password").await.unwrap();
        hannah.is_admin = false;
        orgs::create(&db, &s, &hannah, &OrgForm { name: "Hannah Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let hers = meetinghouse_store::orgs::by_slug(&db, "hannah-museum").await.unwrap().unwrap();
        let waiting = jobs::wait_for_admin(&db, mail, &hannah, &hers, "h.csv", b"Object Number,Title\nH1,One\n", &asked).await.unwrap();
        let form = meetinghouse_core::closing::CloseForm { password: "a long enough password".into(), posts: "keep".into() };
        meetinghouse_core::closing::close(&db, mail, &hannah, &form).await.unwrap();
        let row = store::by_id(&db, waiting).await.unwrap().unwrap();
        assert_eq!((row.state.as_str(), row.outcome.as_str()), ("declined", jobs::SENDER_CLOSED), "{backend:?}");
        assert!(jobs::waiting(&db, &mo).await.unwrap().is_empty(), "{backend:?}");
        assert!(jobs::approve(&db, mail, &mo, hers.id, waiting).await.unwrap().is_none(), "{backend:?}");
    }
}

/// The review's M3: after a restart an import stayed "running" for ever.
/// One that noted nothing for `STALE_SECS` is marked failed by the
/// periodic job, once, and its sender told; one still going is left.
#[tokio::test]
async fn an_import_whose_server_went_away_is_marked_failed() {
    use meetinghouse_core::collection::jobs::{self, Asked, STALE_OUTCOME, STALE_SECS};
    use meetinghouse_store::collection_imports as store;
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        let s = Settings::load(&db).await.unwrap();
        let mail = meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://mh.test" };
        let row = meetinghouse_store::orgs::by_id(&db, org).await.unwrap().unwrap();
        let gone = jobs::record(&db, &sam, &row, "big.csv", 1000, &Asked::default()).await.unwrap();
        let going = jobs::record(&db, &sam, &row, "small.csv", 10, &Asked::default()).await.unwrap();
        store::progress(&db, gone, 80_000, 600).await.unwrap();
        let long_ago = meetinghouse_store::now() - STALE_SECS - 30;
        db.execute_admin(&format!("UPDATE collection_imports SET updated_at = {long_ago} WHERE id = {gone}")).await.unwrap();
        assert!(jobs::status(&db, &sam, "tiverton-museum", gone).await.unwrap().stale, "{backend:?}");

        let now = meetinghouse_store::now();
        assert_eq!(jobs::fail_stale(&db, mail, now).await.unwrap(), 1, "{backend:?}");
        assert_eq!(jobs::fail_stale(&db, mail, now).await.unwrap(), 0, "{backend:?}: once");
        let failed = store::by_id(&db, gone).await.unwrap().unwrap();
        assert_eq!((failed.state.as_str(), failed.outcome.as_str(), failed.records_read), ("failed", STALE_OUTCOME, 80_000), "{backend:?}");
        assert!(failed.finished_at.is_some());
        assert_eq!(store::by_id(&db, going).await.unwrap().unwrap().state, "running", "{backend:?}: still going");
        let told = meetinghouse_store::notifications::list(&db, sam.id, i64::MAX, 10).await.unwrap();
        assert!(told.iter().any(|n| n.text.contains("Your import of big.csv into the collection of Tiverton Museum stopped without finishing")), "{backend:?}: {told:?}");
        // A heartbeat keeps a running import from being taken for stopped.
        store::heartbeat(&db, going).await.unwrap();
        assert_eq!(jobs::fail_stale(&db, mail, meetinghouse_store::now() + 60).await.unwrap(), 0, "{backend:?}");
        assert!(jobs::HEARTBEAT_SECS as i64 * 4 <= STALE_SECS, "several heartbeats fit in the stale time");
    }
}

/// The review prompts33's M1: staleness is measured on the database's
/// clock, never on the checking server's. A checker whose clock is three
/// minutes ahead of the heartbeat's leaves a live import alone; one whose
/// clock is far behind still marks a silent one. A live import marked all
/// the same takes its row back at its next heartbeat (`jobs::beat`), and
/// its true end is recorded over the mark (`jobs::run`).
#[tokio::test]
async fn clocks_apart_never_fail_a_live_import_nor_lose_its_end() {
    use meetinghouse_core::collection::jobs::{self, Asked, Outcome, STALE_OUTCOME, STALE_SECS};
    use meetinghouse_store::collection_imports as store;
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        let s = Settings::load(&db).await.unwrap();
        let mail = meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://mh.test" };
        let row = meetinghouse_store::orgs::by_id(&db, org).await.unwrap().unwrap();
        let live = jobs::record(&db, &sam, &row, "live.csv", 1000, &Asked::default()).await.unwrap();
        jobs::beat(&db, live).await.unwrap();
        let db_now = store::db_now(&db).await.unwrap();
        assert!((db_now - meetinghouse_store::now()).abs() <= 5, "{backend:?}: the database's clock, read");

        // The checking server's clock is three minutes ahead of the one that
        // noted the heartbeat: nothing is marked.
        let ahead = meetinghouse_store::now() + 180;
        assert_eq!(jobs::fail_stale(&db, mail, ahead).await.unwrap(), 0, "{backend:?}");
        assert_eq!(store::by_id(&db, live).await.unwrap().unwrap().state, "running", "{backend:?}");
        assert!(!jobs::status(&db, &sam, "tiverton-museum", live).await.unwrap().stale, "{backend:?}");

        // One silent for over two minutes on the database's clock is marked,
        // by a checker whose clock is ten minutes behind.
        let silent = db_now - STALE_SECS - 30;
        db.execute_admin(&format!("UPDATE collection_imports SET updated_at = {silent} WHERE id = {live}")).await.unwrap();
        assert!(jobs::status(&db, &sam, "tiverton-museum", live).await.unwrap().stale, "{backend:?}");
        assert_eq!(jobs::fail_stale(&db, mail, meetinghouse_store::now() - 600).await.unwrap(), 1, "{backend:?}");
        assert_eq!(store::by_id(&db, live).await.unwrap().unwrap().outcome, STALE_OUTCOME, "{backend:?}");
        // It was still going after all: its next heartbeat takes it back.
        jobs::beat(&db, live).await.unwrap();
        let back = store::by_id(&db, live).await.unwrap().unwrap();
        assert_eq!((back.state.as_str(), back.outcome.as_str(), back.finished_at), ("running", "", None), "{backend:?}");

        // Marked while its last batch ran: its end is recorded over the mark.
        let path = temp_file(&format!("late-{backend:?}.csv"), b"Object Number,Title\nLATE1,Late jug\nLATE2,Late bowl\n");
        db.execute_admin(&format!("UPDATE collection_imports SET updated_at = {silent} WHERE id = {live}")).await.unwrap();
        assert_eq!(jobs::fail_stale(&db, mail, meetinghouse_store::now()).await.unwrap(), 1, "{backend:?}");
        let outcome = jobs::run_telling(&db, mail, live, org, sam.id, &path, &Asked::default()).await;
        assert!(matches!(&outcome, Outcome::Done(r) if r.created == 2), "{backend:?}: {outcome:?}");
        // The review fixC33's L6: Sam, told it stopped, is told it finished after all.
        let sam_id = sam.id;
        let late = |db: Db| async move {
            meetinghouse_store::notifications::list(&db, sam_id, i64::MAX, 50).await.unwrap().into_iter().filter(|n| n.text.contains("was still running when we told you")).collect::<Vec<_>>()
        };
        let told = late(db.clone()).await;
        assert_eq!(told.len(), 1, "{backend:?}: {told:?}");
        assert!(told[0].text.starts_with("Your import of live.csv into the collection of Tiverton Museum was still running when we told you it had stopped without finishing: it finished after all: 2 created, 0 updated."), "{backend:?}: {}", told[0].text);
        // One never taken for stopped tells nothing more.
        let quiet = jobs::record(&db, &sam, &row, "quiet.csv", 10, &Asked::default()).await.unwrap();
        jobs::run_telling(&db, mail, quiet, org, sam.id, &path, &Asked::default()).await;
        assert_eq!(late(db.clone()).await.len(), 1, "{backend:?}");
        let ended = store::by_id(&db, live).await.unwrap().unwrap();
        assert_eq!((ended.state.as_str(), ended.outcome.as_str(), ended.records_read), ("done", "", 2), "{backend:?}");
        assert!(ended.report.contains("\"created\":2"), "{backend:?}: {}", ended.report);
        // A real failure is never taken back, nor written over by a late end.
        let other = jobs::record(&db, &sam, &row, "other.csv", 10, &Asked::default()).await.unwrap();
        store::finish(&db, other, "failed", 0, "", "A real failure.", STALE_OUTCOME).await.unwrap();
        jobs::beat(&db, other).await.unwrap();
        assert!(!store::finish(&db, other, "done", 5, "{}", "", STALE_OUTCOME).await.unwrap());
        assert_eq!(store::by_id(&db, other).await.unwrap().unwrap().outcome, "A real failure.", "{backend:?}");
    }
}

/// The review regress33's M3: importing a checked file takes the file only
/// in the transaction that records the import made of it, so a busy server
/// or a failure before then leaves it kept; a second import of it finds it
/// gone and records nothing.
#[tokio::test]
async fn a_checked_file_is_kept_until_an_import_is_recorded_with_it() {
    use meetinghouse_core::collection::jobs::{self, Asked, Checked, Gate};
    use meetinghouse_store::collection_imports as store;
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        let s = Settings::load(&db).await.unwrap();
        let mail = meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://mh.test" };
        let row = meetinghouse_store::orgs::by_id(&db, org).await.unwrap().unwrap();
        let file = b"Object Number,Title\nK1,One\n";
        let checked = async || {
            let checking = Asked { dry_run: true, ..Asked::default() };
            let check = jobs::record(&db, &sam, &row, "c.csv", 20, &checking).await.unwrap();
            store::finish(&db, check, "done", 1, "{}", "", jobs::STALE_OUTCOME).await.unwrap();
            jobs::keep_checked(&db, check, file).await.unwrap();
            check
        };

        // The collection's first import waits for an instance admin: the
        // file goes to the waiting import in the transaction that records it.
        let check = checked().await;
        let Checked::Ready { file_name, asked, gate } = jobs::look_checked(&db, &sam, &row, check).await.unwrap() else {
            panic!("{backend:?}: the file is kept");
        };
        assert_eq!(gate, Gate::Waits, "{backend:?}");
        let waiting = jobs::wait_for_admin_checked(&db, mail, &sam, &row, check, &file_name, &asked).await.unwrap().expect("recorded");
        assert!(store::has_file(&db, waiting).await.unwrap() && !store::has_file(&db, check).await.unwrap(), "{backend:?}");
        assert_eq!(jobs::wait_for_admin_checked(&db, mail, &sam, &row, check, &file_name, &asked).await.unwrap(), None, "{backend:?}");
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::orgs::open_collection(&mut tx, org, 1).await.unwrap();
        tx.commit().await.unwrap();
        let check = checked().await;

        // Looking, and reading the file, leave it kept (the server's imports
        // may be busy next, or the import may fail to start).
        let Checked::Ready { file_name, asked, gate } = jobs::look_checked(&db, &sam, &row, check).await.unwrap() else {
            panic!("{backend:?}: the file is kept");
        };
        assert_eq!((file_name.as_str(), asked.dry_run, gate), ("c.csv", false, Gate::Open));
        assert_eq!(jobs::checked_file(&db, check).await.unwrap().as_deref(), Some(&file[..]), "{backend:?}");
        assert!(store::has_file(&db, check).await.unwrap(), "{backend:?}: still kept");
        assert!(matches!(jobs::look_checked(&db, &sam, &row, check).await.unwrap(), Checked::Ready { .. }), "{backend:?}");

        // Recorded: taken with it, once.
        let imports = store::of_org(&db, org, 10).await.unwrap().len();
        let id = jobs::record_checked(&db, &sam, &row, check, &file_name, file.len(), &asked).await.unwrap().expect("recorded");
        assert!(!store::has_file(&db, check).await.unwrap(), "{backend:?}");
        assert_eq!(store::by_id(&db, id).await.unwrap().unwrap().state, "running");
        assert_eq!(jobs::record_checked(&db, &sam, &row, check, &file_name, file.len(), &asked).await.unwrap(), None, "{backend:?}");
        assert_eq!(store::of_org(&db, org, 10).await.unwrap().len(), imports + 1, "{backend:?}: the second recorded nothing");
        assert!(matches!(jobs::look_checked(&db, &sam, &row, check).await.unwrap(), Checked::Gone), "{backend:?}");
    }
}

/// The review's M4: a withdrawn object's conversation took new replies, and
/// one the moderators withdrew still showed its title and record to
/// everyone. Its conversation is closed now (`SubjectInfo::closed`), and
/// it is named and shown only as withdrawn to those who do not manage the
/// collection.
#[tokio::test]
async fn withdrawn_objects_are_closed_and_the_moderators_ones_sealed() {
    use meetinghouse_core::collection::withdraw::{self, As};
    use meetinghouse_core::subjects::{self, Subject};
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        import(&db, org, &temp_file("m.csv", b"Object Number,Title,Description\nB5,Big object 5,Rude words\nB6,Jug,Milk\n"), Mapping::default(), None).await;
        accounts::create_admin(&db, "mo@example.org", "mo", "Mo", "a long enough password").await.unwrap();
        let mo = accounts::login(&db, "mo@example.org", "a long enough password").await.unwrap();
        let (b5, b6) = (objects::by_accession(&db, org, "B5").await.unwrap().unwrap(), objects::by_accession(&db, org, "B6").await.unwrap().unwrap());
        assert!(subjects::resolve(&db, Subject::Object(b6.id), None).await.unwrap().closed.is_none(), "{backend:?}: open while in the collection");

        withdraw::withdraw(&db, &sam, b6.id, As::Org, "").await.unwrap();
        let info = subjects::resolve(&db, Subject::Object(b6.id), None).await.unwrap();
        assert!(info.closed.as_deref().is_some_and(|w| w.contains("no longer in the collection")) && info.title == "Jug", "{backend:?}: {info:?}");

        withdraw::withdraw(&db, &mo, b5.id, As::Moderator, "Rude.").await.unwrap();
        let info = subjects::resolve(&db, Subject::Object(b5.id), None).await.unwrap();
        assert!(info.closed.is_some() && info.title == collection::WITHDRAWN_TITLE, "{backend:?}: {info:?}");
        assert_eq!(subjects::resolve(&db, Subject::Object(b5.id), Some(&sam)).await.unwrap().title, "Big object 5", "{backend:?}: its staff");
        let page = collection::page(&db, "tiverton-museum", "B5", None, 1).await.unwrap();
        assert!(page.sealed && page.object.title == collection::WITHDRAWN_TITLE && page.object.description.is_empty() && page.description_html.is_empty(), "{backend:?}");
        let page = collection::page(&db, "tiverton-museum", "B5", Some(&mo), 1).await.unwrap();
        assert!(!page.sealed && page.object.title == "Big object 5", "{backend:?}: the moderators see it");
        assert!(!collection::page(&db, "tiverton-museum", "B6", None, 1).await.unwrap().sealed, "{backend:?}: only the moderators' withdrawals");
    }
}

/// The review's L3: "Kept private (only are shown to …)".
#[test]
fn the_report_says_who_sees_private_columns_in_plain_words() {
    let mut r = ImportReport { private_columns: vec!["Value".into()], ..ImportReport::default() };
    assert!(r.columns_note().unwrap().starts_with("Kept private (shown only to the organisation's staff and admins, marked private)"), "{:?}", r.columns_note());
    r.dry_run = true;
    assert!(r.columns_note().unwrap().starts_with("Kept private (would be shown only to"), "{:?}", r.columns_note());
    r.public_columns = vec!["Gallery".into()];
    assert!(r.columns_note().unwrap().contains("Kept private (would be shown only to the organisation's staff and admins): “Value”"), "{:?}", r.columns_note());
}

/// The review's M4: a withdrawn object's page (410) took new replies, to
/// it and to its replies. Its conversation is closed now: a reply is
/// refused, saying why, and its replies stay to read.
#[tokio::test]
async fn a_withdrawn_objects_conversation_takes_no_new_replies() {
    use meetinghouse_core::CoreError;
    use meetinghouse_core::collection::withdraw::{self, As};
    use meetinghouse_core::conversations::{self, ReplyForm};
    use meetinghouse_core::subjects::Subject;
    for db in meetinghouse_testkit::databases().await {
        let backend = db.backend();
        let (sam, org) = museum(&db).await;
        import(&db, org, &temp_file("r.csv", b"Object Number,Title\nR1,Jug\n"), Mapping::default(), None).await;
        let jug = objects::by_accession(&db, org, "R1").await.unwrap().unwrap();
        let id = accounts::create_admin(&db, "george@example.org", "george", "George", "a long enough password").await.unwrap();
        meetinghouse_store::people::set_admin(&db, id, false).await.unwrap();
        let mut george = accounts::login(&db, "george@example.org", "a long enough password").await.unwrap();
        george.is_admin = false;
        let s = Settings::load(&db).await.unwrap();
        let mail = meetinghouse_core::notifications::Mailer { settings: &s, base_url: "http://mh.test" };
        let first = conversations::post(&db, mail, &george, Subject::Object(jug.id), &ReplyForm { body: "My gran had one.".into(), ..Default::default() }).await.unwrap();
        withdraw::withdraw(&db, &sam, jug.id, As::Org, "").await.unwrap();
        for parent in [String::new(), first.to_string()] {
            let form = ReplyForm { body: "Still here?".into(), parent_id: parent, ..Default::default() };
            match conversations::post(&db, mail, &george, Subject::Object(jug.id), &form).await {
                Err(CoreError::Forbidden(m)) => assert!(m.contains("so its conversation is closed"), "{m}"),
                other => panic!("{backend:?}: a reply on a withdrawn object: {other:?}"),
            }
        }
        let convo = conversations::conversation(&db, Subject::Object(jug.id), Some(&george), None).await.unwrap();
        assert!(convo.archived.is_some() && convo.replies.len() == 1, "{backend:?}: its replies stay to read, closed");
    }
}
