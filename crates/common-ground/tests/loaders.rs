//! The openData and Pol.is API loaders on values they must not guess at:
//! every row they do not take is skipped with a reason, and the result does
//! not depend on hash order.

mod common;

use common_ground::io::{LoadError, id_order, load_compact, load_opendata, load_polis_api};
use common::{TempDir, tmpdir};
use common_ground::{Moderation, Vote};

/// A line of `/proc/self/status` in kB (`VmRSS`, `VmHWM`: the peak).
#[cfg(target_os = "linux")]
fn status_kb(key: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn api_dir(name: &str, votes: &str) -> TempDir {
    let d = tmpdir(name);
    std::fs::write(d.join("comments.json"), r#"[{"tid": 0, "mod": 1, "agree_count": 1}, {"tid": 1, "mod": 0, "agree_count": 0}]"#).unwrap();
    std::fs::write(d.join("votes.json"), votes).unwrap();
    d
}

/// A fractional vote is not rounded (0.5 used to load as a pass, 1.7 as an
/// agree); a whole float (1.0) is a vote.
#[test]
fn api_votes_that_are_not_whole_numbers_are_skipped() {
    let d = api_dir("frac", r#"[
        {"pid": 1, "tid": 0, "vote": 1.0, "modified": 10},
        {"pid": 2, "tid": 0, "vote": 0.5, "modified": 11},
        {"pid": 3, "tid": 1, "vote": 1.7, "modified": 12},
        {"pid": 4, "tid": 1, "vote": "-1", "modified": 13},
        {"pid": 5, "tid": 1, "vote": 2, "modified": 14},
        {"pid": 6, "tid": 1, "modified": 15}
    ]"#);
    let ds = load_polis_api(&d).unwrap();
    let got: Vec<(&str, Vote)> = ds.votes.iter().map(|v| (v.participant.as_str(), v.vote)).collect();
    assert_eq!(got, vec![("1", Vote::Agree), ("4", Vote::Disagree)]);
    let reasons: Vec<&str> = ds.report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].contains("vote 0.5 is not -1, 0 or 1"), "{reasons:?}");
    assert!(reasons[1].contains("vote 1.7"), "{reasons:?}");
    assert!(reasons[3].contains("vote missing"), "{reasons:?}");
}

/// A Pol.is API dump's `votes.json` is streamed into the compact table, a
/// vote at a time: the loader held the whole file as JSON values, then as
/// events (about 0.9 KB a vote: 2 million votes took 1.9 GB), and now holds
/// about 16 bytes a vote. The votes, statements, skipped rows and sign
/// warning are those the list loader gives. The memory is measured in a
/// process of its own (this test binary run again for
/// `compact_api_load_alone`), since tests share theirs.
#[test]
fn a_polis_api_dump_is_streamed_into_the_compact_table() {
    let n = 200_000;
    let mut votes = String::from("[");
    for i in 0..n {
        // The database sign (agree = -1), as a raw dump has it; one row in
        // 50,000 is not a vote.
        let vote = if i % 50_000 == 7 { "0.5" } else { ["-1", "1", "-1", "0"][i % 4] };
        let comma = if i == 0 { "" } else { ",\n" };
        votes.push_str(&format!(r#"{comma}{{"pid": {}, "tid": {}, "vote": {vote}, "modified": {}}}"#, i / 20, i % 20, 1_700_000_000_000u64 + i as u64));
    }
    votes.push(']');
    let d = tmpdir("api-stream");
    std::fs::write(d.join("votes.json"), &votes).unwrap();
    drop(votes);
    let agree_counts: Vec<String> = (0..20).map(|s| format!(r#"{{"tid": {s}, "mod": 1, "agree_count": {}}}"#, if s % 2 == 0 { n / 20 } else { 0 })).collect();
    std::fs::write(d.join("comments.json"), format!("[{}]", agree_counts.join(","))).unwrap();

    #[cfg(target_os = "linux")]
    {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["compact_api_load_alone", "--exact", "--include-ignored", "--nocapture", "--test-threads=1"])
            .env("CG_API_DIR", &*d)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
        let kb: usize = said.lines().find_map(|l| l.split("peak kB: ").nth(1)).expect(&said).trim().parse().unwrap();
        assert!(kb * 1024 / n < 100, "loading {n} votes took {kb} kB at its peak ({} bytes a vote)", kb * 1024 / n);
    }

    let compact = load_compact(&d).unwrap();
    let list = load_polis_api(&d).unwrap();
    assert_eq!(compact.statements, list.statements);
    assert_eq!(compact.report, list.report);
    assert_eq!(list.report.skipped.len(), 4, "{:?}", list.report.skipped);
    assert!(list.report.warnings.iter().any(|w| w.contains("database sign")), "{:?}", list.report.warnings);
    let back: Vec<common_ground::VoteEvent> =
        compact.votes.iter().map(|(p, s, vote, time)| common_ground::VoteEvent { participant: p.into(), statement: s.into(), vote, time }).collect();
    assert_eq!(back, list.votes);
    assert_eq!(list.votes.len(), n - 4);
    // -1 is agree here: the first vote (pid 0, tid 0) is an agree.
    assert_eq!((list.votes[0].vote, list.votes[1].vote, list.votes[3].vote), (Vote::Agree, Vote::Disagree, Vote::Pass));
}

/// Run alone by `a_polis_api_dump_is_streamed_into_the_compact_table`:
/// loads `$CG_API_DIR` and prints how much more memory the process held at
/// its peak than before.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "run by a_polis_api_dump_is_streamed_into_the_compact_table, in a process of its own"]
fn compact_api_load_alone() {
    let Some(dir) = std::env::var_os("CG_API_DIR") else { return };
    let before = status_kb("VmRSS:");
    let ds = load_compact(std::path::Path::new(&dir)).unwrap();
    let peak = status_kb("VmHWM:");
    assert!(!ds.votes.is_empty());
    println!("peak kB: {}", peak.saturating_sub(before));
}

/// The streamed votes.json is still read whole: text after the array, or
/// an array cut short, is an error naming the file, not a shorter list.
#[test]
fn a_votes_json_cut_short_or_with_more_after_it_is_refused() {
    for (name, votes) in [("trailing", r#"[{"pid": 1, "tid": 0, "vote": 1}] [1]"#), ("cut", r#"[{"pid": 1, "tid": 0, "vote": 1}, {"pid": 2"#)] {
        let d = api_dir(name, votes);
        match load_compact(&d) {
            Err(LoadError::Json { path, .. }) => assert!(path.ends_with("votes.json"), "{name}"),
            other => panic!("{name}: expected a JSON error, got {other:?}"),
        }
    }
    for (found, votes) in [("null", "null"), ("a number", " 12 "), ("a string", r#""votes""#), ("a boolean", "true")] {
        let d = api_dir("scalar", votes);
        let e = load_compact(&d).unwrap_err().to_string();
        assert!(e.ends_with(&format!("votes.json: expected an array at the top level, found {found}")), "{e}");
    }
}

/// A dump that is not an array (`{"votes": [...]}`) is an error naming the
/// file, not an empty conversation.
#[test]
fn api_dumps_that_are_not_arrays_are_refused() {
    let d = api_dir("object", r#"{"votes": [{"pid": 1, "tid": 0, "vote": 1}]}"#);
    match load_polis_api(&d) {
        Err(e @ LoadError::Json { .. }) => {
            let m = e.to_string();
            assert!(m.contains("votes.json") && m.contains("expected an array") && m.contains("an object"), "{m}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
    let d = api_dir("comments-object", "[]");
    std::fs::write(d.join("comments.json"), r#"{"comments": []}"#).unwrap();
    assert!(matches!(load_polis_api(&d), Err(LoadError::Json { path, .. }) if path.ends_with("comments.json")));
}

/// Ids of equal numeric value order as plain strings, so statements whose
/// ids come only from the votes (no comments.csv) load in the same order
/// every run.
#[test]
fn statement_order_does_not_depend_on_hash_order() {
    assert_eq!(id_order("1", "01"), std::cmp::Ordering::Greater);
    assert_eq!(id_order("+1", "1"), std::cmp::Ordering::Less);
    assert_eq!(id_order("2", "10"), std::cmp::Ordering::Less);
    let d = tmpdir("order");
    let ids = ["1", "01", "+1", "001", "b", "a", "10", "2"];
    let rows: String = ids.iter().enumerate().map(|(i, s)| format!("{i},x,{s},p,1\n")).collect();
    std::fs::write(d.join("votes.csv"), format!("timestamp,datetime,comment-id,voter-id,vote\n{rows}")).unwrap();
    let want = vec!["+1", "001", "01", "1", "2", "10", "a", "b"];
    for _ in 0..20 {
        let ds = load_opendata(&d).unwrap();
        assert_eq!(ds.statements.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), want);
    }
}

/// A participant's second row in participants-votes.csv is skipped with a
/// reason (its votes used to be merged into the first, and the participant
/// listed twice among Pol.is's groups).
#[test]
fn repeated_participant_rows_are_skipped() {
    let d = tmpdir("pv-dup");
    std::fs::write(d.join("comments.csv"), "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1,x,0,a,0,0,1,s0\n1,x,1,a,0,0,1,s1\n").unwrap();
    std::fs::write(
        d.join("participants-votes.csv"),
        "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1\n7,0,0,1,1,0,1,\n8,1,0,1,0,1,-1,\n7,1,0,1,0,1,,-1\n",
    )
    .unwrap();
    let ds = load_opendata(&d).unwrap();
    assert_eq!(ds.polis_groups, vec![("7".to_owned(), Some("0".to_owned())), ("8".to_owned(), Some("1".to_owned()))]);
    let sevens: Vec<(&str, Vote)> = ds.votes.iter().filter(|v| v.participant == "7").map(|v| (v.statement.as_str(), v.vote)).collect();
    assert_eq!(sevens, vec![("0", Vote::Agree)]);
    assert_eq!(ds.report.skipped.len(), 1);
    assert_eq!(ds.report.skipped[0].line, 4);
    assert!(ds.report.skipped[0].reason.contains("participant 7 appears twice"), "{:?}", ds.report.skipped);
}

/// `moderated` must be -1, 0 or 1 (2 used to load as accepted, -7 as
/// rejected); an empty cell is 0 with a warning (it used to drop the
/// statement and then all its votes). A timestamp beyond i64 is refused (it
/// used to become i64::MAX).
#[test]
fn moderation_values_and_overflowing_timestamps() {
    let d = tmpdir("mod");
    std::fs::write(
        d.join("comments.csv"),
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n\
         1,x,0,a,0,0,1,ok\n1,x,1,a,0,0,-1,rejected\n1,x,2,a,0,0,0,unmoderated\n1,x,3,a,0,0,,empty\n\
         1,x,4,a,0,0,2,two\n1,x,5,a,0,0,-7,minus seven\n1,x,6,a,0,0,1.0,whole float\n1,x,7,a,0,0,0.5,half\n",
    )
    .unwrap();
    std::fs::write(
        d.join("votes.csv"),
        "timestamp,datetime,comment-id,voter-id,vote\n10,x,3,p,1\n99999999999999999999,x,0,p,1\n9223372036854775807,x,1,p,1\n1e30,x,2,p,1\n",
    )
    .unwrap();
    let ds = load_opendata(&d).unwrap();
    let st: Vec<(&str, Moderation)> = ds.statements.iter().map(|(id, m)| (id.as_str(), m.moderation)).collect();
    assert_eq!(
        st,
        vec![("0", Moderation::Accepted), ("1", Moderation::Rejected), ("2", Moderation::Unmoderated), ("3", Moderation::Unmoderated), ("6", Moderation::Accepted)]
    );
    assert!(ds.report.warnings.iter().any(|w| w.contains("1 statements have an empty \"moderated\" cell") && w.contains("comment 3")), "{:?}", ds.report.warnings);
    let skipped: Vec<(&str, u64, &str)> = ds.report.skipped.iter().map(|s| (s.file.as_str(), s.line, s.reason.as_str())).collect();
    let comments: Vec<u64> = skipped.iter().filter(|s| s.0 == "comments.csv").map(|s| s.1).collect();
    assert_eq!(comments, vec![6, 7, 9], "{skipped:?}");
    assert!(skipped.iter().any(|s| s.2.contains("comment 4: \"moderated\" is \"2\"")), "{skipped:?}");
    // The vote on the statement with the empty cell is kept; the overflowing
    // timestamps are refused, i64::MAX itself is a time.
    let times: Vec<(&str, Option<i64>)> = ds.votes.iter().map(|v| (v.statement.as_str(), v.time)).collect();
    assert_eq!(times, vec![("3", Some(10)), ("1", Some(i64::MAX))]);
    let votes: Vec<u64> = skipped.iter().filter(|s| s.0 == "votes.csv").map(|s| s.1).collect();
    assert_eq!(votes, vec![3, 5], "{skipped:?}");
    assert!(skipped.iter().any(|s| s.2.contains("timestamp \"99999999999999999999\"")), "{skipped:?}");
}

/// A quote left open in comments.csv makes the rows after it one
/// statement's text, with nothing for the reader to refuse: it is said
/// (the reader warned of nothing, and only "2 statements have votes but no
/// row in comments.csv" hinted at it). What is read is read as before.
#[test]
fn a_quote_left_open_is_warned_about() {
    let header = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n";
    let votes = "timestamp,datetime,comment-id,voter-id,vote\n1,x,3,1,1\n2,x,4,1,1\n3,x,4,2,-1\n";
    let open = |name: &str, comments: &str| {
        let d = tmpdir(name);
        std::fs::write(d.join("comments.csv"), format!("{header}{comments}")).unwrap();
        std::fs::write(d.join("votes.csv"), votes).unwrap();
        load_opendata(&d).unwrap()
    };
    // Open to the end of the file: the review's folder.
    let ds = open("quote-eof", "1,x,1,1,0,0,1,hi\n2,x,2,1,0,0,1,\"unterminated\n3,x,3,1,0,0,1,third\n4,x,4,1,0,0,1,fourth\n");
    assert_eq!(ds.statements.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), vec!["1", "2"], "read as before");
    assert!(
        ds.report.warnings.iter().any(|w| w.starts_with("comments.csv line 3: the file ends inside a quoted field that starts there")),
        "{:?}",
        ds.report.warnings
    );
    // Closed again further on: the rows between are one field.
    let ds = open("quote-mid", "1,x,1,1,0,0,1,\"unterminated\n2,x,2,1,0,0,1,second\n3,x,3,1,0,0,1,third \"\n4,x,4,1,0,0,1,fourth\n");
    assert!(
        ds.report.warnings.iter().any(|w| w.starts_with("comments.csv line 2: a quoted field runs over 3 lines, 2 of which look like rows of their own")),
        "{:?}",
        ds.report.warnings
    );
    // A statement written over two lines, quoted as it should be, is no warning.
    let ds = open("quote-fine", "1,x,1,1,0,0,1,\"Two lines,\nof one statement\"\n3,x,3,1,0,0,1,third\n4,x,4,1,0,0,1,fourth\n");
    assert!(ds.report.warnings.is_empty(), "{:?}", ds.report.warnings);
}

/// A comments.csv saved as Windows-1252 (what Excel on Windows writes):
/// the statements' text is never read, so every statement and every vote
/// loads (half the rows, and all their votes, used to be skipped as
/// "invalid utf-8", with the analysis going on and exiting 0).
#[test]
fn a_comments_file_not_in_utf8_loads_whole() {
    let d = tmpdir("latin1");
    let mut comments = b"timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n".to_vec();
    for i in 0..4 {
        comments.extend_from_slice(format!("1,x,{i},a,0,0,1,").as_bytes());
        // "café" and "naïve" in Windows-1252: 0xE9 and 0xEF are not UTF-8.
        comments.extend_from_slice(if i % 2 == 0 { b"Un caf\xe9 na\xefve\n" } else { b"Plain words\n" });
    }
    std::fs::write(d.join("comments.csv"), comments).unwrap();
    let votes: String = (0..4).flat_map(|s| (0..3).map(move |p| format!("{},x,{s},{p},1\n", s * 3 + p))).collect();
    std::fs::write(d.join("votes.csv"), format!("timestamp,datetime,comment-id,voter-id,vote\n{votes}")).unwrap();
    let ds = load_opendata(&d).unwrap();
    assert_eq!(ds.statements.len(), 4);
    assert_eq!(ds.votes.len(), 12);
    assert!(ds.report.skipped.is_empty() && ds.report.warnings.is_empty(), "{:?}", ds.report);
}

/// Text the loader must read that is not UTF-8 (an id, a vote) stops the
/// load with one message naming the file, the line and the column, and
/// saying what to do; a UTF-16 file is named as such (it was "invalid
/// UTF-8 in field 0").
#[test]
fn text_that_must_be_read_and_is_not_utf8_is_one_clear_error() {
    let encoding = |d: &std::path::Path| match load_opendata(d) {
        Err(e @ LoadError::Encoding { .. }) => e.to_string(),
        other => panic!("expected an encoding error, got {other:?}"),
    };
    let d = tmpdir("voter-latin1");
    std::fs::write(d.join("votes.csv"), b"timestamp,datetime,comment-id,voter-id,vote\n1,x,0,p1,1\n2,x,0,Ren\xe9e,1\n".as_slice()).unwrap();
    let m = encoding(&d);
    assert!(m.contains("votes.csv: line 3: the \"voter-id\" column is not UTF-8") && m.contains("Windows-1252") && m.contains("save it as UTF-8"), "{m}");

    let d = tmpdir("utf16");
    let text = "timestamp,datetime,comment-id,voter-id,vote\n1,x,0,p1,1\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(d.join("votes.csv"), &bytes).unwrap();
    let m = encoding(&d);
    assert!(m.contains("votes.csv") && m.contains("UTF-16 (little-endian") && m.contains("save it as UTF-8"), "{m}");
    // Without its byte order mark.
    std::fs::write(d.join("votes.csv"), &bytes[2..]).unwrap();
    assert!(encoding(&d).contains("UTF-16 without a byte order mark"));

    let d = tmpdir("header-latin1");
    std::fs::write(d.join("votes.csv"), b"timestamp,datetime,comment-id,voter-id\xe9,vote\n1,x,0,p1,1\n".as_slice()).unwrap();
    let m = encoding(&d);
    assert!(m.contains("the header is not UTF-8 text, and no column of it is \"voter-id\""), "{m}");

    // A moderation cell of comments.csv is read: not UTF-8 there is the same error.
    let d = tmpdir("moderated-latin1");
    std::fs::write(d.join("votes.csv"), "timestamp,datetime,comment-id,voter-id,vote\n1,x,0,p1,1\n").unwrap();
    std::fs::write(d.join("comments.csv"), b"comment-id,moderated,comment-body\n0,\xe91,text\n".as_slice()).unwrap();
    assert!(encoding(&d).contains("comments.csv: line 2: the \"moderated\" column"));
}

/// The compact loader holds the same votes, and an engine fed from it
/// (at once, or replayed in updates) gives the same analysis as one fed
/// the events, on every openData conversation.
#[test]
fn the_compact_loader_gives_the_same_analysis() {
    use common_ground::io::load_opendata_compact;
    use common_ground::replay::{ReplayOptions, tick_batches};
    use common_ground::Config;
    let root = common::shared_data().join("polis-opendata");
    for name in ["scoop-hivemind.ubi", "15-per-hour-seattle", "brexit-consensus"] {
        let ds = load_opendata(&root.join(name)).unwrap();
        let mut compact = load_opendata_compact(&root.join(name)).unwrap();
        assert_eq!(compact.statements, ds.statements, "{name}");
        assert_eq!(compact.report, ds.report, "{name}");
        assert_eq!(compact.polis_groups, ds.polis_groups, "{name}");
        let back: Vec<common_ground::VoteEvent> =
            compact.votes.iter().map(|(p, s, vote, time)| common_ground::VoteEvent { participant: p.into(), statement: s.into(), vote, time }).collect();
        assert_eq!(back, ds.votes, "{name}: the votes in the order read");
        let config = Config { seed: 3, ..Config::default() };

        let (mut a, mut b) = (ds.engine(config.clone()), compact.engine(config.clone()));
        a.add_votes(&ds.votes);
        compact.votes.clone().add_to(&mut b);
        assert_eq!(format!("{:?}", a.update()), format!("{:?}", b.update()), "{name}");

        let (mut a, mut b) = (ds.engine(config.clone()), compact.engine(config));
        let batches = tick_batches(&ds.votes, ReplayOptions::default());
        let ranges = compact.votes.tick_ranges(ReplayOptions::default());
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), ranges.iter().map(|r| r.len()).collect::<Vec<_>>(), "{name}");
        for (batch, range) in batches.iter().zip(ranges) {
            a.add_votes(batch);
            compact.votes.apply(&mut b, range);
            assert_eq!(format!("{:?}", a.update()), format!("{:?}", b.update()), "{name}: replayed");
        }
    }
}
