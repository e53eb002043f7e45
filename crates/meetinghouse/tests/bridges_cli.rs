//! Runs the real `meetinghouse bridges analyse` on Zachary's karate club
//! (fixture copied in crates/bridges/tests/fixtures) and checks the JSON
//! shape, the reference figures and the HTML report.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bridges/tests/fixtures")
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_meetinghouse"))
}

#[test]
fn karate_json_and_report() {
    let dir = std::env::temp_dir().join(format!("bridges-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("karate.html");
    let out = bin()
        .args(["bridges", "analyse", "--edges"])
        .arg(fixtures().join("karate-edges.csv"))
        .arg("--groups")
        .arg(fixtures().join("karate-nodes.csv"))
        .args(["--seed", "42", "--json", "--report"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("NaN"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in [
        "nodes",
        "edges",
        "groups",
        "ei_index",
        "ei_by_group",
        "assortativity",
        "modularity_of_groups",
        "communities",
        "nmi_groups_vs_communities",
        "brokers",
        "isolated_groups",
        "mixing_matrix",
        "timings_ms",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["nodes"], 34);
    assert_eq!(v["edges"], 78);
    assert_eq!(v["groups"]["Mr. Hi"], 17);
    assert_eq!(v["groups"]["Officer"], 17);
    let r4 = |x: &serde_json::Value| (x.as_f64().unwrap() * 1e4).round() / 1e4;
    assert_eq!(r4(&v["ei_index"]), -0.7179);
    assert_eq!(r4(&v["assortativity"]), 0.7175);
    assert_eq!(r4(&v["modularity_of_groups"]), 0.3582);
    assert_eq!(v["communities"]["algorithm"], "leiden");
    assert_eq!(v["communities"]["count"], 4);
    assert_eq!(r4(&v["communities"]["modularity"]), 0.4198);
    assert_eq!(
        v["communities"]["membership"].as_object().unwrap().len(),
        34
    );
    assert_eq!(v["mixing_matrix"]["Mr. Hi"]["Officer"], 11);
    assert_eq!(v["brokers"][0]["node"], "0");
    for b in v["brokers"].as_array().unwrap() {
        assert!(
            b["node"].is_string() && b["betweenness"].is_number() && b["participation"].is_number()
        );
    }
    assert!(v["isolated_groups"].is_array());
    assert!(v["timings_ms"]["load"].is_number() && v["timings_ms"]["analyse"].is_number());

    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"en\">"));
    assert_eq!(
        html.matches("<svg").count(),
        3,
        "heat map, E-I bars, network"
    );
    assert!(html.contains("role=\"img\"") && html.contains("<title id="));
    assert!(html.contains("Mr. Hi: 76% of its ties stay inside Mr. Hi."));
    assert!(html.contains("connect Mr. Hi and Officer"));
    // self-contained: nothing fetched from elsewhere
    for bad in ["<script", "src=\"http", "href=\"http", "url(", "@import"] {
        assert!(!html.contains(bad), "report contains {bad}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn stdin_and_time_windows() {
    let csv = "source,target,timestamp,kind,source_org,target_org,source_sectors,target_sectors\n\
               ann,bob,2024-01-03T10:00:00Z,reply,a,b,arts,arts\n\
               bob,cat,2024-02-03T10:00:00Z,reply,b,c,arts,health\n\
               cat,dan,1709251200,reply,c,d,health,health\n";
    let dir = std::env::temp_dir().join(format!("bridges-cli-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let groups = dir.join("groups.csv");
    std::fs::write(
        &groups,
        "node,group\nann,arts\nbob,arts\ncat,health\ndan,health\n",
    )
    .unwrap();
    let report = dir.join("r.html");
    let mut child = bin()
        .args([
            "bridges", "analyse", "--edges", "-", "--window", "month", "--json", "--groups",
        ])
        .arg(&groups)
        .arg("--report")
        .arg(&report)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["edges"], 3);
    let w = v["windows"].as_array().unwrap();
    assert_eq!(w.len(), 3);
    assert_eq!(w[1]["window"], "2024-02");
    assert_eq!(w[1]["ei_index"], 1.0);
    let html = std::fs::read_to_string(&report).unwrap();
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "with the change-over-time chart"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_is_a_clear_error() {
    let out = bin()
        .args(["bridges", "analyse", "--edges", "/nonexistent/edges.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not open the edges file"));
}

/// `shared/data/networks` (as the engine's reference tests find it): `MEETINGHOUSE_SHARED_DATA`
/// or `../shared/data` beside the repository.
fn networks() -> PathBuf {
    let base = match std::env::var_os("MEETINGHOUSE_SHARED_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let dir = base.join("networks");
    assert!(
        dir.join("polbooks").is_dir(),
        "shared test data not found at {} — set MEETINGHOUSE_SHARED_DATA to the shared/data folder",
        dir.display()
    );
    dir
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bridges-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_gephi_node_table_takes_its_group_column_from_group_attr() {
    let dir = networks().join("polbooks");
    let run = |extra: &[&str]| {
        bin()
            .args(["bridges", "analyse", "--json", "--edges"])
            .arg(dir.join("walsh-political-books-edges.csv"))
            .arg("--groups")
            .arg(dir.join("walsh-political-books-nodes.csv"))
            .args(extra)
            .output()
            .unwrap()
    };
    // `Label` (each book's title) used to be read as the group: 105 groups of one, E-I 1.0
    let out = run(&[]);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`Id`, `Label`, `political_ideology`")
            && err.contains("--group-attr political_ideology"),
        "{err}"
    );
    let out = run(&["--group-attr", "political_ideology"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["groups"].as_object().unwrap().len(), 3);
    assert_eq!(v["groups"]["liberal"], 43);
    let r4 = |x: &serde_json::Value| (x.as_f64().unwrap() * 1e4).round() / 1e4;
    // shared/data/networks/reference-metrics.json, polbooks
    assert_eq!(r4(&v["ei_index"]), -0.6825);
    assert_eq!(r4(&v["assortativity"]), 0.7233);
    assert_eq!(r4(&v["modularity_of_groups"]), 0.4149);
    assert_eq!(v["mixing_matrix_sparse"], false);
}

#[test]
fn flags_out_of_range_are_refused_clearly() {
    let edges = fixtures().join("karate-edges.csv");
    for (flag, value, says) in [
        ("--resolution", "nan", "finite number"),
        ("--resolution", "inf", "finite number"),
        ("--resolution", "-1", "0 or more"),
        ("--resolution", "abc", "not a number"),
        ("--resolution", "1e308", "from 0 to 1000"),
        ("--resolution", "1000.5", "from 0 to 1000"),
        ("--isolation-threshold", "NaN", "finite number"),
        ("--isolation-threshold", "1.5", "from 0 to 1"),
        ("--samples", "0", "--samples"),
    ] {
        let out = bin()
            .args(["bridges", "analyse", "--edges"])
            .arg(&edges)
            .args([flag, value])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flag} {value} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.contains(flag), "{flag} {value}: {err}");
        assert!(!err.contains("unexpected argument"), "{flag} {value}: {err}");
    }
    // a resolution of 0.5 is fine, and nothing prints NaN
    let out = bin()
        .args(["bridges", "analyse", "--edges"])
        .arg(&edges)
        .args(["--resolution", "0.5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("NaN"));
    // modularity is standard modularity (γ = 1) at any resolution; the objective's value is its quality
    // (γ = 0 printed "modularity 1.00", its true value 0)
    let out = bin()
        .args(["bridges", "analyse", "--json", "--edges"])
        .arg(&edges)
        .args(["--resolution", "0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v["communities"];
    assert_eq!((c["count"].as_u64(), c["objective"].as_str(), c["resolution"].as_f64()), (Some(1), Some("modularity"), Some(0.0)));
    assert!(c["modularity"].as_f64().unwrap().abs() < 1e-9, "{c}");
    assert!((c["quality"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{c}");
    let out = bin()
        .args(["bridges", "analyse", "--edges"])
        .arg(&edges)
        .args(["--resolution", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(modularity 0.00; the quality optimised, modularity at resolution 0, is 1.00)"), "{text}");
}

/// `bridges analyse` with its standard input read from `file`.
fn with_stdin(args: &[&str], file: &std::path::Path) -> std::process::Output {
    bin()
        .args(["bridges", "analyse"])
        .args(args)
        .stdin(std::fs::File::open(file).unwrap())
        .output()
        .unwrap()
}

#[test]
fn the_report_never_replaces_what_standard_input_reads() {
    let dir = temp_dir("stdin-report");
    let edges = dir.join("e3.csv");
    let groups = dir.join("g.csv");
    std::fs::copy(fixtures().join("karate-edges.csv"), &edges).unwrap();
    std::fs::copy(fixtures().join("karate-nodes.csv"), &groups).unwrap();
    let before = std::fs::read(&edges).unwrap();
    let e = edges.to_str().unwrap();
    let g = groups.to_str().unwrap();
    for (args, input) in [
        // `--edges - --report e3.csv --force < e3.csv` replaced e3.csv with the report
        (vec!["--edges", "-", "--report", e, "--force"], &edges),
        (vec!["--edges", "-", "--report", "/dev/stdin", "--force"], &edges),
        (vec!["--edges", "-", "--report", "/dev/stdin"], &edges),
        (vec!["--edges", e, "--groups", "-", "--report", g, "--force"], &groups),
    ] {
        let out = with_stdin(&args, input);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains("would destroy it") || err.contains("already exists") || err.contains("not a regular file"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(&edges).unwrap(), before, "the input is untouched");
    assert!(std::fs::read_to_string(&groups).unwrap().starts_with("id,club"), "the group file is untouched");
    // a report elsewhere is fine with standard input
    let report = dir.join("r.html");
    let out = with_stdin(&["--edges", "-", "--report", report.to_str().unwrap()], &edges);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_report_folder_is_checked_first_and_the_report_is_private() {
    let dir = temp_dir("report-path");
    let edges = fixtures().join("karate-edges.csv");
    let run = |report: &std::path::Path, force: bool| {
        let mut cmd = bin();
        cmd.args(["bridges", "analyse", "--edges"]).arg(&edges).arg("--report").arg(report);
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };
    // a folder that does not exist is said before any analysis (it used to be after)
    let out = run(&dir.join("missing/r.html"), false);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist") && err.contains("missing"), "{err}");
    assert!(out.stdout.is_empty(), "nothing was analysed: {}", String::from_utf8_lossy(&out.stdout));
    // the report names people: readable by its owner alone, new or replaced
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let report = dir.join("r.html");
        let out = run(&report, false);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(std::fs::metadata(&report).unwrap().permissions().mode() & 0o777, 0o600);
        let old = dir.join("old.html");
        std::fs::write(&old, "old").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = run(&old, true);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(std::fs::metadata(&old).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(std::fs::read_to_string(&old).unwrap().starts_with("<!DOCTYPE html>"));
        // --force does not write through a link
        let target = dir.join("target.txt");
        std::fs::write(&target, "keep me").unwrap();
        let link = dir.join("link.html");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = run(&link, true);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        // no temporary files left beside the reports
        let names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unclosed_quote_is_refused_not_read_as_the_rest_of_the_file() {
    // used to print "2 nodes, 1 edge" and a note about one row without a target, exit 0
    let dir = temp_dir("quote");
    let edges = dir.join("e.csv");
    let mut text = String::from("source,target\na,b\n\"c,d\n");
    for i in 0..1000 {
        text.push_str(&format!("n{i},n{}\n", i + 1));
    }
    std::fs::write(&edges, text).unwrap();
    let out = bin().args(["bridges", "analyse", "--edges"]).arg(&edges).output().unwrap();
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("quote opened on line 3") && err.contains("never closed"), "{err}");
    // semicolons between columns are read, as the collection import reads them
    std::fs::write(&edges, "source;target\na;b\nb;c\n").unwrap();
    let out = bin().args(["bridges", "analyse", "--edges"]).arg(&edges).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("3 nodes, 2 edges"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn huge_weights_are_rescaled_not_printed_as_infinity() {
    let dir = temp_dir("weights");
    let edges = dir.join("e.csv");
    std::fs::write(&edges, "source,target,weight\na,b,1e308\nb,a,1e308\nb,c,1\nc,d,1\n").unwrap();
    let report = dir.join("r.html");
    let out = bin()
        .args(["bridges", "analyse", "--weighted", "--edges"])
        .arg(&edges)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let html = std::fs::read_to_string(&report).unwrap();
    for t in [&*text, &*html] {
        let words: Vec<&str> = t.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        assert!(!words.contains(&"NaN") && !words.contains(&"inf"), "{t}");
    }
    assert!(text.contains("divided by 2^"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unreadable_inputs_name_the_file() {
    let dir = temp_dir("unreadable");
    // a directory
    let out = bin()
        .args(["bridges", "analyse", "--edges"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&*dir.display().to_string()) && err.contains("directory"), "{err}");
    // a GML file cut short: an error with its line, not a partial analysis
    let gml = dir.join("cut.gml");
    std::fs::write(&gml, "graph [\n  node [ id 0 ]\n  node [ id 1 ]\n  edge [ source 0\n").unwrap();
    let out = bin()
        .args(["bridges", "analyse", "--edges"])
        .arg(&gml)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 4") && err.contains("not closed"), "{err}");
    // edge columns that are not found are listed one by one
    let csv = dir.join("e.csv");
    std::fs::write(&csv, "Source ID,Target ID\n1,2\n").unwrap();
    let out = bin()
        .args(["bridges", "analyse", "--edges"])
        .arg(&csv)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`Source ID`, `Target ID`"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn millisecond_timestamps_fall_in_their_month() {
    let dir = temp_dir("millis");
    let edges = dir.join("e.csv");
    std::fs::write(
        &edges,
        "source,target,timestamp\nann,bob,1700000000000\nbob,cat,1702592000000\n",
    )
    .unwrap();
    let out = bin()
        .args(["bridges", "analyse", "--window", "month", "--json", "--edges"])
        .arg(&edges)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w: Vec<&str> = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["window"].as_str().unwrap())
        .collect();
    assert_eq!(w, ["2023-11", "2023-12"]);
    let notes = v["diagnostics"].to_string();
    assert!(notes.contains("millisecond_timestamps"), "{notes}");
    std::fs::remove_dir_all(&dir).ok();
}

/// One community and one group read as such, and a reader that stops
/// reading (`| head`) ends the command quietly instead of "Broken pipe".
#[test]
fn singular_counts_and_a_closed_pipe() {
    let dir = temp_dir("singular");
    let edges = dir.join("e.csv");
    std::fs::write(&edges, "source,target\na,b\nb,c\nc,a\n").unwrap();
    let out = bin().args(["bridges", "analyse", "--edges"]).arg(&edges).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("3 nodes, 3 edges, 0 groups"), "{text}");
    assert!(text.contains("The network is one community") && !text.contains("1 communities"), "{text}");

    for extra in [&["--json"][..], &[]] {
        let mut child = bin()
            .args(["bridges", "analyse", "--edges"])
            .arg(fixtures().join("karate-edges.csv"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {err}");
        assert!(!err.contains("Broken pipe") && !err.contains("panicked"), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
