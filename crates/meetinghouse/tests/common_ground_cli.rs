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

