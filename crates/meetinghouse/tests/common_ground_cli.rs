//! Runs the real binary: `meetinghouse common-ground analyse DIR --json`.

use std::path::PathBuf;
use std::process::Command;

fn shared_data() -> PathBuf {
    let p = match std::env::var_os("MEETINGHOUSE_SHARED_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    assert!(
        p.join("polis-opendata").is_dir(),
        "shared test data not found at {} (expected polis-opendata/); set MEETINGHOUSE_SHARED_DATA",
        p.display()
    );
    p
}

#[test]
fn analyse_json_on_opendata() {
    let dir = shared_data().join("polis-opendata/scoop-hivemind.ubi");
    let out = Command::new(env!("CARGO_BIN_EXE_meetinghouse"))
        .args(["common-ground", "analyse"])
        .arg(&dir)
        .args(["--json", "--seed", "7"])
        .output()
        .expect("runs the binary");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(v["participants"], 234);
    assert_eq!(v["statements"], 71);
    assert_eq!(v["votes"], 7153);
    let k = v["k"].as_u64().unwrap();
    assert!((2..=5).contains(&k));
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len() as u64, k);
    let members: usize = groups.iter().map(|g| g["members"].as_array().unwrap().len()).sum();
    assert_eq!(members as u64, v["in_conv"].as_u64().unwrap());
    for g in groups {
        for r in g["repness"].as_array().unwrap() {
            assert!(r["statement"].is_string());
            assert!(["agree", "disagree"].contains(&r["direction"].as_str().unwrap()));
            assert!(r["repness"].is_f64() && r["z"].is_f64());
        }
    }
    assert!(v["consensus"]["agree"].is_array() && v["consensus"]["disagree"].is_array());
    assert!(v["group_aware_consensus"][0]["score"].is_f64());
    assert!(v["timings_ms"]["load"].is_f64() && v["timings_ms"]["update"].is_f64());

    // Replay works on the same folder; a missing folder fails with a message.
    let out = Command::new(env!("CARGO_BIN_EXE_meetinghouse")).args(["common-ground", "analyse"]).arg(&dir).args(["--replay", "--json"]).output().unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_meetinghouse")).args(["common-ground", "analyse", "/nonexistent-folder"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not load"));
}

#[test]
fn analyse_with_metadata_statements() {
    let dir = shared_data().join("polis-opendata/london.youth.policing");
    let run = |extra: &[&str]| Command::new(env!("CARGO_BIN_EXE_meetinghouse")).args(["common-ground", "analyse"]).arg(&dir).arg("--json").args(extra).output().unwrap();
    let plain = run(&[]);
    assert!(plain.status.success(), "stderr: {}", String::from_utf8_lossy(&plain.stderr));
    // The fifteen demographic statements flagged as metadata leave the map.
    let meta = run(&["--meta", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14"]);
    assert!(meta.status.success(), "stderr: {}", String::from_utf8_lossy(&meta.stderr));
    let groups = |out: &std::process::Output| -> Vec<Vec<String>> {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut gs: Vec<Vec<String>> = v["groups"].as_array().unwrap().iter().map(|g| {
            let mut m: Vec<String> = g["members"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect();
            m.sort();
            m
        }).collect();
        gs.sort();
        gs
    };
    assert_ne!(groups(&plain), groups(&meta), "flagging metadata statements must change the opinion groups");
    // An id that is not a statement is refused, naming it.
    let bad = run(&["--meta", "3,999"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("999") && !err.contains("3,"), "{err}");
}


fn analyse_cmd(dir: &std::path::Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_meetinghouse"));
    c.args(["common-ground", "analyse"]).arg(dir).args(extra);
    c
}

/// Output that cannot be written is an error with a message (exit 1), not
/// a panic; a reader that stops reading (`| head`) ends the command quietly.
#[test]
fn analyse_output_that_cannot_be_written() {
    let dir = shared_data().join("polis-opendata/scoop-hivemind.ubi");
    for extra in [&["--json"][..], &[]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full (Linux)");
        let out = analyse_cmd(&dir, extra).stdout(full).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(err.contains("could not write to standard output") && err.contains("No space left on device"), "{err}");
        assert!(!err.contains("panicked"), "{err}");

        // The reading end is closed before the analysis is written.
        let mut child = analyse_cmd(&dir, extra).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("Error"), "{err}");
    }
}

fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = meetinghouse_store::test_databases::temp_dir(&format!("mh_cg_{name}"));
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

const COMMENTS: &str = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1,x,0,a,0,0,1,Parks\n1,x,1,a,0,0,1,Buses\n";

/// `--replay` says what is missing: some votes' times, or any votes.
#[test]
fn replay_says_which_votes_have_no_time() {
    let votes = "timestamp,datetime,comment-id,voter-id,vote\n10,x,0,a,1\n,x,1,a,-1\n12,x,0,b,1\n,x,1,b,1\n14,x,0,c,-1\n";
    let dir = folder("untimed", &[("comments.csv", COMMENTS), ("votes.csv", votes)]);
    let out = analyse_cmd(&dir, &["--replay"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("2 of the 5 votes in {} have no timestamp", dir.join("votes.csv").display())), "{err}");
    assert!(!err.contains("has no votes.csv"), "{err}");

    let dir = folder("novotes", &[("comments.csv", COMMENTS), ("votes.csv", "timestamp,datetime,comment-id,voter-id,vote\n")]);
    let out = analyse_cmd(&dir, &["--replay"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{} has no votes", dir.join("votes.csv").display())), "{err}");

    let dir = folder("notime", &[("comments.csv", COMMENTS), ("votes.csv", "comment-id,voter-id,vote\n0,a,1\n1,a,1\n")]);
    let err = String::from_utf8_lossy(&analyse_cmd(&dir, &["--replay"]).output().unwrap().stderr).into_owned();
    assert!(err.contains("none of the 2 votes") && err.contains("\"timestamp\" column"), "{err}");

    let pv = "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1\na,0,0,2,1,1,1,-1\n";
    let dir = folder("matrix", &[("comments.csv", COMMENTS), ("participants-votes.csv", pv)]);
    let err = String::from_utf8_lossy(&analyse_cmd(&dir, &["--replay"]).output().unwrap().stderr).into_owned();
    assert!(err.contains("has no votes.csv (participants-votes.csv holds only each person's last vote)"), "{err}");
}

/// A `participants-votes.csv` that cannot be read is only a warning when
/// `votes.csv` has the votes: only Pol.is's groups came from it.
#[test]
fn a_broken_participants_votes_file_beside_votes_csv_is_a_warning() {
    let votes = "timestamp,datetime,comment-id,voter-id,vote\n10,x,0,a,1\n11,x,1,a,-1\n12,x,0,b,1\n13,x,1,b,1\n";
    let dir = folder("badpv", &[("comments.csv", COMMENTS), ("votes.csv", votes), ("participants-votes.csv", "who,0,1\na,1,-1\n")]);
    let out = analyse_cmd(&dir, &["--json"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("warning:") && err.contains("participants-votes.csv has no column \"participant\"") && err.contains("groups are left out"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["votes"], 4);
    // Without votes.csv it is the only source of votes, so it stays an error.
    std::fs::remove_file(dir.join("votes.csv")).unwrap();
    let out = analyse_cmd(&dir, &["--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column \"participant\""));
}

/// One participant, one vote each way: counts read as words do ("1
/// participant", "1 opinion group", "67% of 1 vote") and the smoothed
/// share is explained, since one agreeing vote reads 67%.
#[test]
fn the_summary_counts_in_words_and_explains_its_shares() {
    let votes = "timestamp,datetime,comment-id,voter-id,vote\n1,x,0,a,1\n2,x,1,a,-1\n";
    let dir = folder("one", &[("comments.csv", COMMENTS), ("votes.csv", votes)]);
    let out = analyse_cmd(&dir, &[]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("1 participant (1 in the conversation), 2 statements, 2 votes\n1 opinion group\n"), "{text}");
    assert!(text.contains("group 0: 1 participant\n") && text.contains("67% of 1 vote "), "{text}");
    assert!(text.contains("(votes that way + 1) / (votes + 2)") && text.contains("one agreeing vote reads 67%"), "{text}");
    // (The engine's own notes, "note: …", are its crate's to word.)
    let ours = text.split("\nnote: ").next().unwrap();
    assert!(!ours.contains("1 participants") && !ours.contains("1 opinion groups") && !ours.contains("of 1 (repness"), "{text}");
}

/// A quote left open in comments.csv is warned about on the command line
/// (it read the rows after it as one statement, and said nothing).
#[test]
fn a_quote_left_open_in_comments_csv_is_warned_about() {
    let comments = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1,x,0,a,0,0,1,\"Parks\n1,x,1,a,0,0,1,Buses\n";
    let votes = "timestamp,datetime,comment-id,voter-id,vote\n10,x,0,a,1\n11,x,1,a,-1\n";
    let dir = folder("openquote", &[("comments.csv", comments), ("votes.csv", votes)]);
    let out = analyse_cmd(&dir, &[]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: comments.csv line 2: the file ends inside a quoted field that starts there"), "{err}");
}

/// The Pol.is API layout (`votes.json`, `comments.json`, as in
/// polis-math-fixtures) is read when there is no openData votes file (it
/// was refused, "has neither votes.csv nor participants-votes.csv"); it has
/// no history to replay, and a folder with neither layout names both.
#[test]
fn analyse_reads_a_polis_api_dump() {
    let dir = shared_data().join("polis-math-fixtures/below-100-ptpts");
    let out = analyse_cmd(&dir, &["--json", "--seed", "1"]).output().unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["participants"].as_u64().unwrap() > 0 && v["votes"].as_u64().unwrap() > 0, "{v}");
    // The one key beyond the shape: the engine's notes (design 0002).
    assert!(v["diagnostics"].is_array(), "{v}");
    let out = analyse_cmd(&dir, &["--replay"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("votes.json holds only each person's last vote"));
    let empty = folder("neither", &[("comments.csv", COMMENTS)]);
    let out = analyse_cmd(&empty, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nor votes.json and comments.json (a Pol.is API dump)"));
}

/// A votes.csv saved as UTF-16 (as some spreadsheets save "Unicode text")
/// stops the analysis with one message saying what to do, and exit 1.
#[test]
fn a_file_that_is_not_utf8_is_one_clear_error() {
    let dir = folder("utf16", &[("comments.csv", COMMENTS)]);
    let text = "timestamp,datetime,comment-id,voter-id,vote\n10,x,0,a,1\n";
    let bytes: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    std::fs::write(dir.join("votes.csv"), bytes).unwrap();
    let out = analyse_cmd(&dir, &[]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("votes.csv: the file is UTF-16") && err.contains("save it as UTF-8"), "{err}");
}

/// `common-ground export` writes a statement waiting for a host without its
/// text, and says so; `--include-moderated-text` writes it (the export's
/// rules themselves are tested in core's `tests/common_ground.rs`).
#[test]
fn export_leaves_out_the_text_of_a_waiting_statement_unless_asked() {
    use meetinghouse_core::common_ground::{self as cg, ConversationForm, Participant};
    let dir = meetinghouse_store::test_databases::temp_dir("mh_cg_export_cli");
    let migrated = Command::new(env!("CARGO_BIN_EXE_meetinghouse")).arg("--data-dir").arg(&dir).arg("migrate").output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let db = meetinghouse_store::Db::open_sqlite(&dir.join("meetinghouse.db"), &meetinghouse_store::DbOptions { max_connections: 2 }).await.unwrap();
        let s = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
        meetinghouse_core::accounts::create_admin(&db, "mia@example.org", "mia", "Mia", "a long enough password").await.unwrap();
        let mia = meetinghouse_core::accounts::login(&db, "mia@example.org", "a long enough password").await.unwrap();
        let form = ConversationForm { topic: "The old library".into(), seeds: "Keep it open".into(), moderation: "pre".into(), allow_anonymous: true, ..Default::default() };
        let id = cg::create(&db, &s, &mia, &form).await.unwrap();
        let c = cg::load(&db, id, None).await.unwrap();
        cg::add_statement(&db, &s, &c, &Participant::Browser("a-browser-token-0001"), "A repair café on Saturdays").await.unwrap();
        // A second conversation, whose statements are 3 and 4 of the instance.
        let form = ConversationForm { topic: "The market".into(), seeds: "Keep it on Fridays\nMove it to the square".into(), allow_anonymous: true, ..Default::default() };
        let market = cg::create(&db, &s, &mia, &form).await.unwrap();
        let c = cg::load(&db, market, None).await.unwrap();
        for (i, st) in meetinghouse_store::common_ground::statements(&db, market).await.unwrap().iter().enumerate() {
            cg::vote(&db, &s, &c, &Participant::Browser(&format!("a-market-browser-{i:04}")), st.id, "agree").await.unwrap();
        }
        db.close().await;
    });
    let export = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_meetinghouse"))
            .arg("--data-dir")
            .arg(&dir)
            .args(["common-ground", "export", "--conversation", "1", "--out"])
            .arg(dir.join("od"))
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stderr).into_owned(), std::fs::read_to_string(dir.join("od/comments.csv")).unwrap())
    };
    let (said, comments) = export(&[]);
    assert!(said.contains("1 statement is waiting for a host or taken out: it is written without its text (--include-moderated-text"), "{said}");
    assert!(!comments.contains("repair café") && comments.contains("Keep it open"), "{comments}");
    let (said, comments) = export(&["--force", "--include-moderated-text"]);
    assert!(!said.contains("without its text"), "{said}");
    assert!(comments.contains("A repair café on Saturdays"), "{comments}");

    // Review cgfix34 L6: a statement's comment-id is its number in its
    // conversation (Pol.is's are per conversation), in both files, and the
    // folder reads back.
    let od2 = dir.join("od2");
    let out = Command::new(env!("CARGO_BIN_EXE_meetinghouse"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["common-ground", "export", "--conversation", "2", "--out"])
        .arg(&od2)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let column = |file: &str| -> Vec<String> {
        std::fs::read_to_string(od2.join(file)).unwrap().lines().skip(1).map(|l| l.split(',').nth(2).unwrap().to_string()).collect()
    };
    for file in ["comments.csv", "votes.csv"] {
        let mut ids = column(file);
        ids.sort();
        assert_eq!(ids, ["1", "2"], "{file}");
    }
    let analysed = analyse_cmd(&od2, &["--json"]).output().unwrap();
    assert!(analysed.status.success(), "{}", String::from_utf8_lossy(&analysed.stderr));
    let v: serde_json::Value = serde_json::from_slice(&analysed.stdout).unwrap();
    assert_eq!((v["statements"].as_u64(), v["votes"].as_u64(), v["participants"].as_u64()), (Some(2), Some(2), Some(2)), "{v}");

    // Review fixB33 M1: in a shared folder (mode 1777), a symbolic link
    // another user planted at the old temporary name is not followed: the
    // file it points to was overwritten with comments.csv and made 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let export_to = |out: &std::path::Path| {
            Command::new(env!("CARGO_BIN_EXE_meetinghouse"))
                .arg("--data-dir")
                .arg(&dir)
                .args(["common-ground", "export", "--conversation", "1", "--out"])
                .arg(out)
                .output()
                .unwrap()
        };
        let shared = dir.join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        symlink(&victim, shared.join(".comments.csv.partial")).unwrap();
        let out = export_to(&shared);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777, 0o644);
        assert!(std::fs::symlink_metadata(shared.join("comments.csv")).unwrap().file_type().is_file());
        // A folder everyone may write in without the sticky bit: refused, in words.
        let open = dir.join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let out = export_to(&open);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("everyone may write in the folder (mode 0777, without the sticky bit)") && err.contains("chmod go-w"), "{err}");
        assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0, "nothing written");
    }
}
