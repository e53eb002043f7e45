//! `meetinghouse export interactions` on the real binary: the demo town's
//! interaction record comes out as CSV with the documented header, `--since`
//! filters by date, and a bad date is refused with a plain message; the
//! demo's common-ground conversation exports in the Pol.is openData layout.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_meetinghouse");

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("--data-dir").arg(dir).args(args).env("MEETINGHOUSE_LOG", "warn").output().expect("run the binary")
}

#[test]
fn the_demo_towns_interactions_export_as_csv() {
    let dir = meetinghouse_store::test_databases::temp_dir("mh_export");
    let seeded = run(&dir, &["demo"]);
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    assert!(String::from_utf8_lossy(&seeded.stdout).contains("replies"));

    let out = run(&dir, &["export", "interactions"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("source,target,timestamp,kind,source_org,target_org,source_sectors,target_sectors"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 2_000, "the long thread and the story replies: {}", rows.len());
    assert!(rows.iter().all(|r| r.len() == 8));
    assert!(rows.iter().any(|r| r[3] == "thanks") && rows.iter().all(|r| ["reply", "mention", "thanks"].contains(&r[3])));
    assert!(rows.iter().any(|r| !r[4].is_empty()), "staff speak as themselves · their organisation");
    assert!(rows.iter().any(|r| r[6].contains(';')), "several sectors are ;-separated");
    assert!(rows.iter().all(|r| r[2].ends_with('Z') && r[2].len() == 20));

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
