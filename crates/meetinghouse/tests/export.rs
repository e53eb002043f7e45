//! `meetinghouse export interactions` on the real binary: the demo town's
//! interaction record comes out as CSV with the documented header,
//! pseudonymous unless `--identified` (each day's rows in an order of its
//! own, and sectors and organisations coarsened so that what it shows of
//! anyone is shared by five people), `--since` filters by date, and a bad
//! date is refused with a plain message; the demo's common-ground
//! conversation exports in the Pol.is openData layout.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_meetinghouse");

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("--data-dir").arg(dir).args(args).env("MEETINGHOUSE_LOG", "warn").output().expect("run the binary")
}

/// A data folder for the binary, on SQLite and (with `TEST_DATABASE_URL`)
/// on a fresh PostgreSQL database too, each migrated.
struct Backend {
    dir: std::path::PathBuf,
    url: Option<String>,
}

impl Backend {
    fn all(runtime: &tokio::runtime::Runtime, name: &str) -> Vec<Backend> {
        let mut backends = vec![Backend { dir: meetinghouse_store::test_databases::temp_dir(name), url: None }];
        if let Some(admin) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let url = runtime.block_on(meetinghouse_store::test_databases::create(&admin, name)).unwrap();
            backends.push(Backend { dir: meetinghouse_store::test_databases::temp_dir(&format!("{name}_pg")), url: Some(url) });
        }
        for b in &backends {
            let migrated = b.run(&["migrate"]);
            assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        }
        backends
    }

    /// Runs the binary on this backend.
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut all: Vec<&str> = Vec::new();
        if let Some(url) = &self.url {
            all.extend(["--database-url", url.as_str()]);
        }
        all.extend(args);
        run(&self.dir, &all)
    }

    async fn db(&self) -> meetinghouse_store::Db {
        let options = meetinghouse_store::DbOptions { max_connections: 2 };
        match &self.url {
            Some(url) => meetinghouse_store::Db::connect(url, &options).await.unwrap(),
            None => meetinghouse_store::Db::open_sqlite(&self.dir.join("meetinghouse.db"), &options).await.unwrap(),
        }
    }
}

#[test]
fn the_demo_towns_interactions_export_as_csv() {
    let dir = meetinghouse_store::test_databases::temp_dir("mh_export");
    let seeded = run(&dir, &["demo"]);
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    assert!(String::from_utf8_lossy(&seeded.stdout).contains("replies"));

    let out = run(&dir, &["export", "interactions"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("People are pseudonymous, not anonymous"), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("source,target,timestamp,kind,source_org,target_org,source_sectors,target_sectors"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 2_000, "the long thread and the story replies: {}", rows.len());
    assert!(rows.iter().all(|r| r.len() == 8));
    // The demo town's people thank each other, privately: no thanks leaves the meeting house.
    assert!(rows.iter().all(|r| ["reply", "mention"].contains(&r[3])), "no thanks: {:?}", rows.iter().find(|r| r[3] == "thanks"));
    assert!(rows.iter().all(|r| r[0] != r[1]), "no one's interaction with themselves");
    // By default nobody is named: each person is a keyed hash, and times are to the day.
    let pseudonym = |name: &str| name.len() == 18 && name.starts_with("p-") && name[2..].bytes().all(|b| b.is_ascii_hexdigit());
    assert!(rows.iter().all(|r| pseudonym(r[0]) && pseudonym(r[1])), "{:?}", rows.iter().find(|r| !pseudonym(r[0]) || !pseudonym(r[1])));
    assert!(rows.iter().all(|r| r[2].ends_with("T00:00:00Z") && r[2].len() == 20), "{:?}", rows[0]);

    // Days come oldest first.
    assert!(rows.windows(2).all(|w| w[0][2] <= w[1][2]), "by day");

    // By handle for the operator: the same edges, oldest first, named, to the second, everything shown.
    let identified = run(&dir, &["export", "interactions", "--identified"]);
    assert!(identified.status.success(), "{}", String::from_utf8_lossy(&identified.stderr));
    assert!(String::from_utf8_lossy(&identified.stderr).contains("personal data"), "{}", String::from_utf8_lossy(&identified.stderr));
    let named = String::from_utf8(identified.stdout).unwrap();
    let named: Vec<Vec<&str>> = named.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(named.len(), rows.len());
    assert!(named.iter().all(|r| r[0].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')), "handles");
    assert!(named.iter().all(|r| r[2].ends_with('Z') && r[2].len() == 20));
    assert!(named.iter().any(|r| !r[2].ends_with("T00:00:00Z")), "to the second");
    assert!(named.windows(2).all(|w| w[0][2] <= w[1][2]), "oldest first");
    assert!(named.iter().any(|r| !r[4].is_empty()), "staff speak as themselves · their organisation");
    assert!(named.iter().any(|r| r[6].contains(';')), "several sectors are ;-separated");
    // The same edges, and one name per person: as many pseudonyms as handles.
    let day_kind = |rows: &[Vec<&str>]| {
        let mut v: Vec<String> = rows.iter().map(|r| format!("{} {}", &r[2][..10], r[3])).collect();
        v.sort();
        v
    };
    assert_eq!(day_kind(&rows), day_kind(&named), "the same edges");
    let names = |rows: &[Vec<&str>]| rows.iter().flat_map(|r| [r[0].to_string(), r[1].to_string()]).collect::<std::collections::HashSet<String>>();
    assert_eq!(names(&rows).len(), names(&named).len(), "one person, one name");

    // Another export, another key: no name is shared with the first, so files cannot be joined by name.
    let again = run(&dir, &["export", "interactions"]);
    let again = String::from_utf8(again.stdout).unwrap();
    let again: Vec<Vec<&str>> = again.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let first = names(&rows);
    assert!(again.iter().all(|r| !first.contains(r[0]) && !first.contains(r[1])), "names change with every export");
    // Nor by position: each day's rows come in another order in each export,
    // so pairing two files row by row does not map one person to one person.
    let consistent = |a: &[Vec<&str>], b: &[Vec<&str>]| {
        let (mut there, mut back) = (std::collections::HashMap::new(), std::collections::HashMap::new());
        a.iter().zip(b).all(|(x, y)| {
            [(x[0], y[0]), (x[1], y[1])].into_iter().all(|(p, q)| *there.entry(p).or_insert(q) == q && *back.entry(q).or_insert(p) == p)
        })
    };
    assert!(!consistent(&rows, &again), "two pseudonymous exports pair up row by row");
    assert!(!consistent(&rows, &named), "a pseudonymous export pairs up with the identified one row by row");
    // And what it shows of a person (their sectors, the organisations they
    // speak for: both public) is shared by at least five people in the
    // file, while the identified file shows the demo town's rare mixes.
    let signatures = |rows: &[Vec<&str>]| {
        let mut of: std::collections::HashMap<&str, (String, std::collections::BTreeSet<String>)> = std::collections::HashMap::new();
        for r in rows {
            for (person, org, sectors) in [(r[0], r[4], r[6]), (r[1], r[5], r[7])] {
                let s = of.entry(person).or_insert_with(|| (sectors.to_string(), Default::default()));
                assert_eq!(s.0, sectors, "{person} shows one set of sectors");
                if !org.is_empty() {
                    s.1.insert(org.to_string());
                }
            }
        }
        let mut shared: std::collections::HashMap<(String, std::collections::BTreeSet<String>), usize> = std::collections::HashMap::new();
        for s in of.values() {
            *shared.entry(s.clone()).or_default() += 1;
        }
        shared
    };
    let shared = signatures(&rows);
    assert!(shared.values().all(|&n| n >= 5), "{shared:?}");
    assert!(shared.keys().filter(|(sectors, _)| !sectors.is_empty()).count() >= 3, "sectors held by five or more are kept: {shared:?}");
    assert!(signatures(&named).values().filter(|&&n| n == 1).count() > 10, "the demo town's people are mostly one of a kind");
    assert!(signatures(&again).values().all(|&n| n >= 5));

    // The export feeds the bridges analysis as it is: groups from its sector
    // columns, and from a standard-input pipe with a separate group file.
    let edges = dir.join("interactions.csv");
    std::fs::write(&edges, &csv).unwrap();
    let analysed = run(&dir, &["bridges", "analyse", "--edges", edges.to_str().unwrap(), "--group-attr", "sectors", "--window", "month", "--json"]);
    assert!(analysed.status.success(), "{}", String::from_utf8_lossy(&analysed.stderr));
    let v: serde_json::Value = serde_json::from_slice(&analysed.stdout).unwrap();
    assert!(v["nodes"].as_u64().unwrap() > 20, "{v}");
    assert!(v["edges"].as_u64().unwrap() > 20, "{v}");
    let groups = v["groups"].as_object().unwrap();
    assert!(groups.len() >= 3, "the demo town's sectors: {groups:?}");
    let ei = v["ei_index"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&ei), "{ei}");
    assert!(!v["windows"].as_array().unwrap().is_empty(), "timestamps were read");
    let by_org = run(&dir, &["bridges", "analyse", "--edges", edges.to_str().unwrap(), "--group-attr", "org", "--json"]);
    assert!(by_org.status.success(), "{}", String::from_utf8_lossy(&by_org.stderr));
    let missing = run(&dir, &["bridges", "analyse", "--edges", edges.to_str().unwrap(), "--group-attr", "club"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("source_club"));

    // Standard output that cannot be written: a message and exit 1 for a
    // full disk; quietly done for a reader that stopped reading (`| head`).
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full (Linux)");
    let out = Command::new(BIN).arg("--data-dir").arg(&dir).args(["export", "interactions"]).stdout(full).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("No space left on device") && !err.contains("panicked"), "{err}");
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&dir)
        .args(["export", "interactions"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("Error") && !err.contains("Exported"), "{err}");

    let later = run(&dir, &["export", "interactions", "--since", "2999-01-01"]);
    assert!(later.status.success());
    assert_eq!(String::from_utf8(later.stdout).unwrap().lines().count(), 1, "only the header");
    let bad = run(&dir, &["export", "interactions", "--since", "last tuesday"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a date"));

    // The demo's common-ground conversation round-trips through the Pol.is
    // openData layout: exported, read back by the engine's loader and by
    // `common-ground analyse`, it has the same participants, statements and
    // votes, and the three planted opinion groups.
    let od = dir.join("opendata");
    let out = run(&dir, &["common-ground", "export", "--conversation", "1", "--out", od.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Wrote 26 statements"), "{}", String::from_utf8_lossy(&out.stderr));
    let ds = common_ground::io::load_opendata(&od).expect("our export loads as openData");
    assert!(ds.report.skipped.is_empty(), "{:?}", ds.report.skipped);
    assert_eq!(ds.statements.len(), 26, "accepted, rejected (moderated -1) and pending (0)");
    assert!(ds.statements.iter().any(|(_, m)| m.moderation == common_ground::Moderation::Rejected));
    assert_eq!(ds.n_participants(), 300);
    assert!(ds.has_times());
    let analysed = run(&dir, &["common-ground", "analyse", od.to_str().unwrap(), "--json"]);
    assert!(analysed.status.success(), "{}", String::from_utf8_lossy(&analysed.stderr));
    let v: serde_json::Value = serde_json::from_slice(&analysed.stdout).unwrap();
    assert_eq!(v["participants"], 300);
    assert_eq!(v["votes"].as_u64().unwrap() as usize, ds.votes.len());
    assert_eq!(v["k"], 3, "{v}");
    let missing = run(&dir, &["common-ground", "export", "--conversation", "77", "--out", od.to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no common-ground conversation number 77"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `common-ground export --force` on SQLite and (with `TEST_DATABASE_URL`)
/// PostgreSQL writes both files or replaces neither: when `votes.csv` cannot
/// be written, the `comments.csv` already there is kept, nothing half-written
/// is left, and the error names the file.
#[test]
fn a_failed_common_ground_export_leaves_the_folder_as_it_was() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for backend in Backend::all(&runtime, "mh_export_cg") {
        let dir = &backend.dir;
        runtime.block_on(async {
            let db = backend.db().await;
            let host = meetinghouse_core::accounts::create_admin(&db, "claire@example.org", "claire", "Claire", "a long enough password").await.unwrap();
            meetinghouse_core::common_ground::seed_demo(&db, host, None, None, &[host]).await.unwrap();
            db.close().await;
        });

        let out_dir = dir.join("opendata");
        std::fs::create_dir_all(out_dir.join("votes.csv")).unwrap();
        std::fs::write(out_dir.join("comments.csv"), "an earlier export\n").unwrap();
        let out = backend.run(&["common-ground", "export", "--conversation", "1", "--out", out_dir.to_str().unwrap(), "--force"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(&format!("could not write the export: {}", out_dir.join("votes.csv").display())), "{err}");
        assert_eq!(std::fs::read_to_string(out_dir.join("comments.csv")).unwrap(), "an earlier export\n", "comments.csv was replaced without votes.csv");
        let mut left: Vec<String> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["comments.csv", "votes.csv"], "nothing half-written is left");

        // Where it can, it replaces both.
        std::fs::remove_dir(out_dir.join("votes.csv")).unwrap();
        std::fs::write(out_dir.join("votes.csv"), "an earlier export\n").unwrap();
        let out = backend.run(&["common-ground", "export", "--conversation", "1", "--out", out_dir.to_str().unwrap(), "--force"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let ds = common_ground::io::load_opendata(&out_dir).unwrap();
        assert_eq!((ds.statements.len(), ds.n_participants()), (26, 257));
        assert!(ds.has_times());
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// `export interactions` on SQLite and (with `TEST_DATABASE_URL`)
/// PostgreSQL keeps only edges on content the public may see now: a story
/// made members-only or a draft, or deleted, after people replied takes
/// its edges out of the export (they were public when written); the edges
/// on a story still public stay. A thanks is private and never exported,
/// nor a reply to one's own story. A suspended person's edges leave it
/// (and come back when the suspension is lifted); a closed account's stay,
/// named `former-member-` and a hash that is not its id and changes with
/// every export.
#[test]
fn the_interactions_export_follows_what_is_public_now() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for backend in Backend::all(&runtime, "mh_export_now") {
        let dir = &backend.dir;
        let (bea_id, cal_id) = runtime.block_on(async {
            use meetinghouse_core::conversations::{self, ReplyForm};
            use meetinghouse_core::groups::{self, GroupForm};
            use meetinghouse_core::stories::{self, StoryForm};
            let db = backend.db().await;
            let mut people = Vec::new();
            for handle in ["ann", "bea", "cal", "dan"] {
                let id = meetinghouse_core::accounts::create_admin(&db, &format!("{handle}@example.org"), handle, handle, "a long enough password").await.unwrap();
                meetinghouse_store::people::set_admin(&db, id, false).await.unwrap();
                people.push(meetinghouse_core::accounts::login(&db, &format!("{handle}@example.org"), "a long enough password").await.unwrap());
            }
            let [ann, bea, cal, dan] = &people[..] else { unreachable!() };
            let s = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
            let mail = meetinghouse_core::notifications::Mailer { settings: &s, base_url: "https://town.example" };
            let form = GroupForm { name: "Tenants".into(), slug: "tenants".into(), purpose: String::new(), visibility: "members".into(), join_policy: "invite".into() };
            groups::create(&db, &s, ann, &form).await.unwrap();
            let story = |title: &str| StoryForm { title: title.into(), body: "We met.".into(), licence: "cc0".into(), visibility: "public".into(), ..Default::default() };
            let (mut ids, mut replies) = (Vec::new(), Vec::new());
            for (title, who) in [("Still public", bea), ("Made members-only", cal), ("Made a draft", dan), ("Deleted", bea)] {
                let id = stories::create(&db, &s, ann, &story(title)).await.unwrap();
                let subject = meetinghouse_core::subjects::Subject::Story(id);
                let reply = conversations::post(&db, mail, who, subject, &ReplyForm { body: format!("Lovely, from {}", who.handle), ..Default::default() }).await.unwrap();
                ids.push(id);
                replies.push(reply);
            }
            // On the public story: Ann thanks Bea (private) and answers on her own story (no edge to herself); Cal answers Bea.
            let still = meetinghouse_core::subjects::Subject::Story(ids[0]);
            conversations::thank(&db, mail, ann, replies[0], "thanks").await.unwrap();
            conversations::post(&db, mail, ann, still, &ReplyForm { body: "Thank you all for coming.".into(), ..Default::default() }).await.unwrap();
            let answer = ReplyForm { body: "Lovely indeed.".into(), parent_id: replies[0].to_string(), ..Default::default() };
            conversations::post(&db, mail, cal, still, &answer).await.unwrap();
            stories::edit(&db, &s, ann, ids[1], &StoryForm { visibility: "group:tenants".into(), ..story("Made members-only") }).await.unwrap();
            stories::edit(&db, &s, ann, ids[2], &StoryForm { visibility: "draft".into(), ..story("Made a draft") }).await.unwrap();
            stories::delete(&db, mail, ann, ids[3]).await.unwrap();
            let ids = (bea.id, cal.id);
            db.close().await;
            ids
        });
        let edges = |args: &[&str]| -> Vec<(String, String, String)> {
            let out = backend.run(args);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let csv = String::from_utf8(out.stdout).unwrap();
            csv.lines().skip(1).map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].to_string(), f[1].to_string(), f[3].to_string())
            }).collect()
        };
        let e = |a: &str, b: &str| (a.to_string(), b.to_string(), "reply".to_string());
        let by_handle = ["export", "interactions", "--identified"];
        assert_eq!(edges(&by_handle), [e("bea", "ann"), e("cal", "bea")]);
        let pseudonymous = edges(&["export", "interactions"]);
        assert_eq!(pseudonymous.len(), 2);
        let (a, b) = (&pseudonymous[0], &pseudonymous[1]);
        assert!(a.0 == b.1 || a.1 == b.0, "Bea is one name in one export: {pseudonymous:?}");

        // Cal is suspended (their profile is hidden): their edges leave the export, both ways; lifted, they come back.
        let suspend = |on: bool| {
            runtime.block_on(async {
                let db = backend.db().await;
                let mut tx = db.begin().await.unwrap();
                if on {
                    meetinghouse_store::moderation::suspend(&mut tx, cal_id, Some(meetinghouse_store::now() + 86_400)).await.unwrap();
                } else {
                    meetinghouse_store::moderation::lift(&mut tx, cal_id).await.unwrap();
                }
                tx.commit().await.unwrap();
                db.close().await;
            })
        };
        suspend(true);
        assert_eq!(edges(&by_handle), [e("bea", "ann")]);
        assert_eq!(edges(&["export", "interactions"]).len(), 1);
        suspend(false);
        assert_eq!(edges(&by_handle).len(), 2);

        // Bea closes her account, keeping her replies: her edges stay, and no export gives her id.
        runtime.block_on(async {
            let db = backend.db().await;
            let bea = meetinghouse_core::accounts::login(&db, "bea@example.org", "a long enough password").await.unwrap();
            let s = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
            let mail = meetinghouse_core::notifications::Mailer { settings: &s, base_url: "https://town.example" };
            let form = meetinghouse_core::closing::CloseForm { password: "a long enough password".into(), posts: "keep".into() };
            meetinghouse_core::closing::close(&db, mail, &bea, &form).await.unwrap();
            db.close().await;
        });
        let (first, second) = (edges(&by_handle), edges(&by_handle));
        let former = &first[0].0;
        assert!(former.starts_with("former-member-") && former.len() == "former-member-".len() + 16, "{first:?}");
        assert_ne!(former, &format!("former-member-{bea_id}"));
        assert_eq!(first, [e(former, "ann"), e("cal", former)], "one name within an export");
        assert_ne!(&second[0].0, former, "and another in the next, so no two exports link the account");
        let _ = std::fs::remove_dir_all(dir);
    }
}
