//! Bad and tiny input: never a panic, never a NaN, always a diagnostic.

mod common;

use common_ground::io::{ExportStatement, LoadError, load_opendata, write_opendata};
use common::tmpdir;
use common_ground::{Analysis, Config, DiagnosticCode, Engine, Moderation, StatementMeta, Vote, VoteEvent};

fn all_finite(a: &Analysis) {
    let json = serde_json::to_string(a).expect("serialises");
    assert!(!json.contains("NaN") && !json.contains("null,null"), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    fn walk(v: &serde_json::Value) {
        match v {
            serde_json::Value::Number(n) => assert!(n.as_f64().is_some_and(f64::is_finite)),
            serde_json::Value::Array(a) => a.iter().for_each(walk),
            serde_json::Value::Object(o) => o.values().for_each(walk),
            _ => {}
        }
    }
    walk(&v);
}

fn has(a: &Analysis, code: DiagnosticCode) -> bool {
    a.diagnostics.iter().any(|d| d.code == code)
}

fn engine(n_statements: usize) -> Engine {
    let mut e = Engine::new(Config::default());
    for s in 0..n_statements {
        e.upsert_statement(&s.to_string(), StatementMeta::accepted());
    }
    e
}

#[test]
fn zero_participants() {
    let mut e = engine(3);
    let a = e.update();
    all_finite(&a);
    assert!(has(&a, DiagnosticCode::NoVotes));
    assert_eq!(a.k, 0);
    assert!(a.groups.is_empty() && a.in_conv.is_empty());
    let mut e = Engine::new(Config::default());
    all_finite(&e.update());
}

#[test]
fn one_participant() {
    let mut e = engine(3);
    e.vote("p", "0", Vote::Agree);
    e.vote("p", "1", Vote::Disagree);
    let a = e.update();
    all_finite(&a);
    assert_eq!(a.in_conv, vec![0]);
    assert!(has(&a, DiagnosticCode::TooFewParticipants));
    assert!(a.groups.len() <= 1);
}

#[test]
fn two_participants() {
    let mut e = engine(3);
    for s in ["0", "1", "2"] {
        e.vote("a", s, Vote::Agree);
        e.vote("b", s, Vote::Disagree);
    }
    let a = e.update();
    all_finite(&a);
    assert_eq!(a.in_conv.len(), 2);
    assert_eq!(a.groups.len(), 2, "two opposite voters make two groups: {:?}", a.diagnostics);
}

#[test]
fn identical_votes_have_no_variation() {
    let mut e = engine(4);
    for p in 0..10 {
        for s in 0..4 {
            e.vote(&p.to_string(), &s.to_string(), Vote::Agree);
        }
    }
    let a = e.update();
    all_finite(&a);
    assert!(has(&a, DiagnosticCode::TooFewParticipants) || has(&a, DiagnosticCode::PcaRankDeficient));
    assert!(a.projections.iter().all(|p| p == &[0.0, 0.0]));
}

#[test]
fn unknown_and_rejected_statements() {
    let mut e = engine(2);
    e.upsert_statement("r", StatementMeta { moderation: Moderation::Rejected, is_meta: false });
    assert!(!e.vote("p", "nope", Vote::Agree));
    assert!(e.vote("p", "r", Vote::Agree));
    e.vote("p", "0", Vote::Agree);
    e.vote("q", "0", Vote::Disagree);
    let a = e.update();
    all_finite(&a);
    assert!(has(&a, DiagnosticCode::UnknownStatement));
    assert!(has(&a, DiagnosticCode::VotesOnModeratedOut));
    let r = a.statements.iter().position(|s| s == "r").unwrap();
    assert!(a.mod_out[r]);
    assert_eq!(a.pca.comps[0][r], 0.0);
    assert!(!a.statements.contains(&"nope".to_string()));
}

#[test]
fn duplicate_votes_latest_wins() {
    let mut e = engine(2);
    let ev = |p: &str, s: &str, v, t| VoteEvent { participant: p.into(), statement: s.into(), vote: v, time: Some(t) };
    // Out of order in the batch: the later timestamp wins.
    e.add_votes(&[ev("a", "0", Vote::Disagree, 20), ev("a", "0", Vote::Agree, 10), ev("b", "0", Vote::Pass, 5)]);
    let a = e.update();
    assert_eq!(a.n_votes, 2);
    assert_eq!(a.pca.center[0], -0.5); // a: disagree (−1), b: pass (0)
    // A later batch overrides.
    e.add_votes(&[ev("a", "0", Vote::Agree, 1)]);
    let a = e.update();
    assert_eq!(a.n_votes, 2);
    assert_eq!(a.pca.center[0], 0.5);
}

fn planted(e: &mut Engine, n: usize, m: usize) {
    for p in 0..n {
        for s in 0..m {
            if (p * 7 + s * 3) % 5 == 0 {
                continue;
            }
            let v = if (p % 3 == 0) ^ (s % 2 == 0) { Vote::Agree } else if p % 3 == 1 { Vote::Disagree } else { Vote::Pass };
            e.vote(&format!("p{p}"), &s.to_string(), v);
        }
    }
}

#[test]
fn deterministic_and_state_round_trip() {
    let mut a1 = engine(12);
    let mut a2 = engine(12);
    planted(&mut a1, 60, 12);
    planted(&mut a2, 60, 12);
    let r1 = a1.update();
    let r2 = a2.update();
    assert_eq!(r1, r2);
    all_finite(&r1);
    // Persist, restore into a fresh engine with the same votes, continue.
    let saved = serde_json::to_string(&a1.state()).unwrap();
    let mut b = engine(12);
    planted(&mut b, 60, 12);
    let diags = b.restore_state(&serde_json::from_str(&saved).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    a1.vote("p1", "3", Vote::Agree);
    b.vote("p1", "3", Vote::Agree);
    let c1 = a1.update();
    let c2 = b.update();
    assert_eq!(c1.groups.iter().map(|g| (g.id, g.members.clone())).collect::<Vec<_>>(), c2.groups.iter().map(|g| (g.id, g.members.clone())).collect::<Vec<_>>());
    assert_eq!(c1.k, c2.k);
    for (x, y) in c1.projections.iter().zip(&c2.projections) {
        assert!((x[0] - y[0]).abs() < 1e-6 && (x[1] - y[1]).abs() < 1e-6);
    }
}

#[test]
fn loader_reports_broken_rows_and_missing_columns() {
    let d = tmpdir("broken");
    std::fs::write(d.join("comments.csv"), "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1,x,0,1,0,0,1,\"hello, world\"\n2,x,1,1,0,0,banana,bad\n").unwrap();
    std::fs::write(d.join("votes.csv"), "timestamp,datetime,comment-id,voter-id,vote\n10,x,0,a,1\n11,x,0,b,7\n12,x,0\nxx,x,0,c,1\n13,x,0,c,-1\n").unwrap();
    let ds = load_opendata(&d).unwrap();
    assert_eq!(ds.statements.len(), 1);
    assert_eq!(ds.votes.len(), 2);
    let lines: Vec<(String, u64)> = ds.report.skipped.iter().map(|s| (s.file.clone(), s.line)).collect();
    assert_eq!(lines, vec![("votes.csv".into(), 3), ("votes.csv".into(), 4), ("votes.csv".into(), 5), ("comments.csv".into(), 3)], "{:?}", ds.report.skipped);

    let d = tmpdir("missing");
    std::fs::write(d.join("votes.csv"), "timestamp,comment-id,vote\n1,0,1\n").unwrap();
    match load_opendata(&d) {
        Err(LoadError::MissingColumn { column, .. }) => assert_eq!(column, "voter-id"),
        other => panic!("expected a missing-column error, got {other:?}"),
    }
    let d = tmpdir("empty");
    assert!(matches!(load_opendata(&d), Err(LoadError::NoVotes { .. })));
}

#[test]
fn export_round_trips() {
    let d = tmpdir("export");
    let statements: Vec<ExportStatement> = (0..3)
        .map(|i| ExportStatement { id: i.to_string(), author: "a".into(), text: format!("statement, \"{i}\"\nline two"), created_ms: 1_700_000_000_000 + i, meta: StatementMeta::accepted() })
        .collect();
    let votes = vec![
        VoteEvent { participant: "a".into(), statement: "0".into(), vote: Vote::Agree, time: Some(1_700_000_001_000) },
        VoteEvent { participant: "b".into(), statement: "2".into(), vote: Vote::Disagree, time: Some(1_700_000_002_000) },
        VoteEvent { participant: "b".into(), statement: "1".into(), vote: Vote::Pass, time: Some(1_700_000_003_000) },
    ];
    write_opendata(&d, &statements, &votes).unwrap();
    let ds = load_opendata(&d).unwrap();
    assert!(ds.report.skipped.is_empty() && ds.report.warnings.is_empty(), "{:?}", ds.report);
    assert_eq!(ds.statements.iter().map(|s| s.0.clone()).collect::<Vec<_>>(), vec!["0", "1", "2"]);
    assert_eq!(ds.votes, votes);
}

/// Review fixB33 M1. The export's temporary files used fixed names
/// (`.comments.csv.partial`) opened with create-and-truncate, so in a
/// shared folder another user's symbolic link under that name had the
/// export written into (and chmodded) any file the operator can write. Now
/// the temporary names are new and random, made with `create_new`: a link
/// planted under the old names is never followed, and one under a final
/// name is refused, nothing replaced.
#[cfg(unix)]
#[test]
fn export_follows_no_link_planted_in_a_shared_folder() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let root = tmpdir("export-links");
    let shared = root.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = root.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let untouched = |why: &str| {
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "{why}");
        assert_eq!(std::fs::metadata(&victim).unwrap().permissions().mode() & 0o7777, 0o644, "{why}");
    };
    for name in [".comments.csv.partial", ".votes.csv.partial"] {
        symlink(&victim, shared.join(name)).unwrap();
    }
    let statements = vec![ExportStatement { id: "0".into(), author: "a".into(), text: "keep it".into(), created_ms: 1, meta: StatementMeta::accepted() }];
    let votes = vec![VoteEvent { participant: "a".into(), statement: "0".into(), vote: Vote::Agree, time: Some(2) }];
    write_opendata(&shared, &statements, &votes).unwrap();
    untouched("links at the old temporary names");
    for name in ["comments.csv", "votes.csv"] {
        let m = std::fs::symlink_metadata(shared.join(name)).unwrap();
        assert!(m.file_type().is_file() && m.permissions().mode() & 0o777 == 0o600, "{name}: {m:?}");
    }
    let names = |dir: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&shared), vec![".comments.csv.partial", ".votes.csv.partial", "comments.csv", "votes.csv"], "no temporary file left");

    // A link under a final name: refused, nothing replaced, nothing left.
    std::fs::remove_file(shared.join("votes.csv")).unwrap();
    symlink(&victim, shared.join("votes.csv")).unwrap();
    let before = std::fs::read_to_string(shared.join("comments.csv")).unwrap();
    let e = write_opendata(&shared, &[], &[]).unwrap_err().to_string();
    assert!(e.contains("votes.csv") && e.contains("symbolic link") && e.contains("nothing was replaced"), "{e}");
    untouched("a link at votes.csv");
    assert_eq!(std::fs::read_to_string(shared.join("comments.csv")).unwrap(), before, "comments.csv is not replaced either");
    assert!(std::fs::symlink_metadata(shared.join("votes.csv")).unwrap().file_type().is_symlink());
    assert_eq!(names(&shared).len(), 4, "no temporary file left: {:?}", names(&shared));
}

/// Review fixB33 M1: a folder someone else could change files in is
/// refused, with nothing left in it: one everyone or its group may write in
/// without the sticky bit, or (when this runs as root, who can give a
/// folder away) one owned by another user. The sticky bit makes a shared
/// folder fine.
#[cfg(unix)]
#[test]
fn export_refuses_a_folder_others_can_change_files_in() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let root = tmpdir("export-folder");
    let dir = root.join("out");
    std::fs::create_dir(&dir).unwrap();
    let statements = vec![ExportStatement { id: "0".into(), author: "a".into(), text: "keep it".into(), created_ms: 1, meta: StatementMeta::accepted() }];
    for (mode, said) in [(0o777, "everyone may write in the folder (mode 0777"), (0o770, "its group may write in the folder (mode 0770")] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        let e = write_opendata(&dir, &statements, &[]).unwrap_err().to_string();
        assert!(e.contains(said) && e.contains("nothing was written"), "{mode:o}: {e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "{mode:o}: nothing left");
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    write_opendata(&dir, &statements, &[]).unwrap();
    std::fs::remove_file(dir.join("comments.csv")).unwrap();
    std::fs::remove_file(dir.join("votes.csv")).unwrap();
    if std::fs::metadata(&*root).unwrap().uid() == 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&dir, Some(65_534), None).unwrap();
        let e = write_opendata(&dir, &statements, &[]).unwrap_err().to_string();
        assert!(e.contains("belongs to another user (uid 65534)"), "{e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing left");
    }
}
