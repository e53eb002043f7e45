//! Shared helpers for the data-driven tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `/work/shared/data` (or `$MEETINGHOUSE_SHARED_DATA`). Panics loudly when
/// absent: these tests must never pass silently without their data.
pub fn shared_data() -> PathBuf {
    let p = match std::env::var_os("MEETINGHOUSE_SHARED_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if !p.join("polis-math-fixtures").is_dir() || !p.join("polis-opendata").is_dir() {
        panic!(
            "shared test data not found at {} (expected polis-math-fixtures/ and polis-opendata/). \
             Set MEETINGHOUSE_SHARED_DATA to the folder holding them.",
            p.display()
        );
    }
    p
}

pub const FIXTURES: [&str; 5] = [
    "below-100-ptpts",
    "25ptpt-3gp-no-strict-with-meta",
    "50ptpt-3gp-strict-no-meta",
    "150ptpt-3gp-no-strict-no-meta",
    "above-100-ptpts",
];

pub const OPENDATA: [&str; 10] = [
    "15-per-hour-seattle",
    "american-assembly.bowling-green",
    "austria-climate.5twd2jsnkf.2022-08-08",
    "bg2050-volunteers",
    "brexit-consensus",
    "london.youth.policing",
    "scoop-hivemind.freshwater",
    "scoop-hivemind.taxes",
    "scoop-hivemind.ubi",
    "vtaiwan.uberx",
];

/// A fresh directory, removed when the test ends (kept, and named on
/// stderr, when it fails).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for a look: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A fresh, empty directory named after the test (`name`) and this process.
pub fn tmpdir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("cg-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}
