//! The interaction record as data: `meetinghouse export interactions` writes
//! the replies and mentions between people on public content as CSV for the
//! `bridges` analytics crate and for a town's own silo analysis. Thanks are
//! private ("Only they will know it was you") and are never exported.
//!
//! Two ways to name people ([`Naming`]):
//! - [`Naming::Pseudonymous`] (the command's default): each person is
//!   `p-` and 16 hex digits, an HMAC-SHA256 of their id under a random key
//!   made for this one export and never kept, so a person has the same name
//!   throughout one file and an unrelated one in the next, and no file can
//!   be joined to another by name; times are cut to the day (midnight UTC).
//!   Pseudonymous is not anonymous: the replies are public, and in a small
//!   town sectors, organisations and days can still point at one person.
//! - [`Naming::Identified`] (`--identified`): handles, and times to the
//!   second. That is personal data, for the operator's own analysis only.
//!   A closed account has no handle: it is `former-member-` and the same
//!   kind of keyed hash, never its database id, so no later file links it
//!   back to the handle an earlier one showed.
//!
//! Either way, people whose account is not active — suspended, banned, or
//! waiting for approval, whose profiles are hidden — are left out with
//! every edge they are on.

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

/// How the export names people and how exactly it gives times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Keyed-hash names under a key made for one export; times to the day.
    Pseudonymous,
    /// Handles (`former-member-…` for a closed account); times to the second.
    Identified,
}

/// A day in seconds: pseudonymous times are cut to the day.
const DAY: i64 = 86_400;

/// The names of one export: a random key made for it alone.
struct Names {
    naming: Naming,
    key: String,
}

impl Names {
    fn new(naming: Naming) -> Names {
        Names { naming, key: crate::secrets::random_token() }
    }

    /// The keyed hash of a person: 16 hex digits, the same for the same
    /// person all through one export.
    fn hash(&self, person: i64) -> String {
        let mut h = crate::secrets::sign(self.key.as_bytes(), &format!("person:{person}"));
        h.truncate(16);
        h
    }

    /// How a person appears: `handle` is empty for a closed account.
    fn name(&self, person: i64, handle: &str) -> String {
        match self.naming {
            Naming::Pseudonymous => format!("p-{}", self.hash(person)),
            Naming::Identified if handle.is_empty() => format!("former-member-{}", self.hash(person)),
            Naming::Identified => handle.to_string(),
        }
    }

    fn time(&self, ts: i64) -> String {
        match self.naming {
            Naming::Pseudonymous => rfc3339(ts.div_euclid(DAY) * DAY),
            Naming::Identified => rfc3339(ts),
        }
    }
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

/// [`export`] by handle ([`Naming::Identified`]): the operator's own copy.
pub async fn export_csv<W: std::io::Write>(db: &Db, since: i64, out: &mut W) -> Result<usize> {
    export(db, since, Naming::Identified, out).await
}

/// Writes every public edge (store `interactions::public_edges`: replies and
/// mentions on what the public may see now, never thanks, never a person to
/// themselves, never anyone whose account is not active) since `since` (unix
/// seconds) as CSV, header first, oldest first, naming people as `naming`
/// says; returns how many rows were written. Handles, pseudonyms, slugs and
/// sector keys never contain commas or quotes, so no field needs quoting.
pub async fn export<W: std::io::Write>(db: &Db, since: i64, naming: Naming, out: &mut W) -> Result<usize> {
    let io = |e: std::io::Error| CoreError::Internal(format!("could not write the export: {e}"));
    let names = Names::new(naming);
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
                names.name(r.source_person, &r.source),
                names.name(r.target_person, &r.target),
                names.time(r.created_at),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_keyed_per_export_and_never_the_id() {
        let (a, b) = (Names::new(Naming::Pseudonymous), Names::new(Naming::Pseudonymous));
        assert_eq!(a.name(7, "ann"), a.name(7, "ann"), "the same within one export");
        assert_ne!(a.name(7, "ann"), a.name(8, "bea"));
        assert_ne!(a.name(7, "ann"), b.name(7, "ann"), "another export, another name");
        let p = a.name(7, "ann");
        assert!(p.starts_with("p-") && p.len() == 18 && !p.contains("ann"), "{p}");
        let id = Names::new(Naming::Identified);
        assert_eq!(id.name(7, "ann"), "ann");
        let gone = id.name(7, "");
        assert!(gone.starts_with("former-member-") && gone != "former-member-7" && gone.len() == "former-member-".len() + 16, "{gone}");
        assert_eq!(a.time(1_772_530_245), "2026-03-03T00:00:00Z", "to the day");
        assert_eq!(id.time(1_772_530_245), "2026-03-03T09:30:45Z");
    }
}
