//! The interaction record as data: `meetinghouse export interactions` writes
//! the replies and mentions between people on public content as CSV for the
//! `bridges` analytics crate and for anyone's own silo analysis. Thanks are
//! private ("Only they will know it was you") and are never exported.

use std::collections::HashMap;

use meetinghouse_store::Db;
use meetinghouse_store::interactions as store;

use crate::error::{CoreError, Result};

/// The CSV header, in the order every row follows. `kind` is `reply` or
/// `mention`; a thanks never appears.
pub const HEADER: &str = "source,target,timestamp,kind,source_org,target_org,source_sectors,target_sectors";

/// Parses `--since` as a date (`2026-03-01`) or a date and time in RFC 3339; unix seconds.
pub fn parse_since(raw: &str) -> std::result::Result<i64, String> {
    let s = raw.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .map_err(|_| format!("“{s}” is not a date: write it as 2026-03-01 (or 2026-03-01T09:00:00Z)."))
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

/// Writes every public edge (store `interactions::public_edges`: replies and
/// mentions on what the public may see now, never thanks, never a person to
/// themselves) since `since` (unix seconds) as CSV, header
/// first, oldest first; returns how many rows were written. Handles, slugs
/// and sector keys never contain commas or quotes, so no field needs quoting.
pub async fn export_csv<W: std::io::Write>(db: &Db, since: i64, out: &mut W) -> Result<usize> {
    let io = |e: std::io::Error| CoreError::Internal(format!("could not write the export: {e}"));
    let mut sectors: HashMap<i64, Vec<String>> = HashMap::new();
    for (person, sector) in store::all_sectors(db).await? {
        sectors.entry(person).or_default().push(sector);
    }
    let joined = |p: i64| sectors.get(&p).map(|s| s.join(";")).unwrap_or_default();
    writeln!(out, "{HEADER}").map_err(io)?;
    let (mut after, mut written) = (0, 0);
    loop {
        let rows = store::public_edges(db, since, after, 5_000).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for r in &rows {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                r.source,
                r.target,
                rfc3339(r.created_at),
                r.kind,
                r.source_org.as_deref().unwrap_or(""),
                r.target_org.as_deref().unwrap_or(""),
                joined(r.source_person),
                joined(r.target_person)
            )
            .map_err(io)?;
        }
        written += rows.len();
    }
    Ok(written)
}
