#![allow(dead_code)]
//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// `shared/data/networks`: from `MEETINGHOUSE_SHARED_DATA` (the `shared/data`
/// folder) or `../../../shared/data` relative to this crate. Panics loudly
/// when absent: these tests must never pass silently without their data.
pub fn networks_dir() -> PathBuf {
    let base = match std::env::var_os("MEETINGHOUSE_SHARED_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let dir = base.join("networks");
    assert!(
        dir.join("reference-metrics.json").is_file(),
        "shared test data not found at {} — set MEETINGHOUSE_SHARED_DATA to the shared/data folder",
        dir.display()
    );
    dir
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}
