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
//!   be joined to another by name; times are cut to the day (midnight UTC),
//!   and each day's rows come in the order of a keyed hash of the edge, so
//!   two files cannot be joined by row either. The organisation and sector
//!   columns are coarsened (`coarsen`) so that what the file shows of
//!   anyone is shared by at least [`K`] people in it. Pseudonymous is not
//!   anonymous: the replies are public, and who answered whom, how often
//!   and on which day can still point at one person.
//! - [`Naming::Identified`] (`--identified`): handles, times to the second,
//!   oldest first, every organisation and sector. That is personal data,
//!   for the operator's own analysis only.
//!   A closed account has no handle: it is `former-member-` and the same
//!   kind of keyed hash, never its database id, so no later file links it
//!   back to the handle an earlier one showed.
//!
//! Either way, people whose account is not active — suspended, banned, or
//! waiting for approval, whose profiles are hidden — are left out with
//! every edge they are on.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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

    /// Where an edge goes within its day in a pseudonymous file: a keyed
    /// hash of the edge, so each export orders a day's rows anew.
    fn edge(&self, edge: i64) -> u64 {
        let h = crate::secrets::sign(self.key.as_bytes(), &format!("edge:{edge}"));
        u64::from_str_radix(&h[..16], 16).expect("an HMAC is hex")
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

/// The fewest people in a pseudonymous file who share what it shows of a
/// person: their sectors, and the organisations they speak for (see
/// `coarsen`).
pub const K: usize = 5;

/// How many edges the store is asked for at a time.
const PAGE: i64 = 5_000;

/// Writes every public edge (store `interactions::public_edges`: replies and
/// mentions on what the public may see now, never thanks, never a person to
/// themselves, never anyone whose account is not active) since `since` (unix
/// seconds) as CSV, header first, naming people as `naming` says; returns
/// how many rows were written. Handles, pseudonyms, slugs and sector keys
/// never contain commas or quotes, so no field needs quoting.
///
/// [`Naming::Identified`] writes everything, oldest first (by time, then
/// id). [`Naming::Pseudonymous`] writes the days oldest first, but the rows
/// of each day in the order of a keyed hash of the edge under the export's
/// key, so two exports of the same period cannot be paired row by row; and
/// it coarsens the organisation and sector columns (`coarsen`) so that
/// what it shows of anyone is shared by at least [`K`] people in the file.
pub async fn export<W: std::io::Write>(db: &Db, since: i64, naming: Naming, out: &mut W) -> Result<usize> {
    let io = |e: std::io::Error| CoreError::Internal(format!("could not write the export: {e}"));
    let names = Names::new(naming);
    let mut sectors: HashMap<i64, Vec<String>> = HashMap::new();
    for (person, sector) in store::all_sectors(db).await? {
        sectors.entry(person).or_default().push(sector);
    }
    writeln!(out, "{HEADER}").map_err(io)?;
    if naming == Naming::Pseudonymous {
        return pseudonymous(db, since, &names, &sectors, out).await;
    }
    let joined = |p: i64| sectors.get(&p).map(|s| s.join(";")).unwrap_or_default();
    let (mut after, mut written) = ((0, 0), 0);
    loop {
        let rows = store::public_edges(db, since, after, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = (last.created_at, last.id);
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

/// One edge of a pseudonymous export, held until the whole file is known
/// (organisations as indexes into a list, so a large record stays small).
struct Edge {
    id: i64,
    day: i64,
    source: i64,
    target: i64,
    mention: bool,
    source_org: Option<u32>,
    target_org: Option<u32>,
}

/// [`export`] under [`Naming::Pseudonymous`]: reads every edge, works out
/// what the file may show ([`coarsen`]), and writes the days in order with
/// each day's rows in keyed-hash order.
async fn pseudonymous<W: std::io::Write>(db: &Db, since: i64, names: &Names, sectors: &HashMap<i64, Vec<String>>, out: &mut W) -> Result<usize> {
    let io = |e: std::io::Error| CoreError::Internal(format!("could not write the export: {e}"));
    let (mut orgs, mut org_index): (Vec<String>, HashMap<String, u32>) = (Vec::new(), HashMap::new());
    let mut intern = |slug: Option<String>| {
        slug.map(|slug| {
            *org_index.entry(slug.clone()).or_insert_with(|| {
                orgs.push(slug);
                (orgs.len() - 1) as u32
            })
        })
    };
    let mut edges = Vec::new();
    let mut after = (0, 0);
    loop {
        let rows = store::public_edges(db, since, after, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = (last.created_at, last.id);
        for r in rows {
            edges.push(Edge {
                id: r.id,
                day: r.created_at.div_euclid(DAY),
                source: r.source_person,
                target: r.target_person,
                mention: r.kind == "mention",
                source_org: intern(r.source_org),
                target_org: intern(r.target_org),
            });
        }
    }
    // Who is in the file, with their sectors and the organisations they appear for.
    let mut people: BTreeMap<i64, Person> = BTreeMap::new();
    for e in &edges {
        for (person, org) in [(e.source, e.source_org), (e.target, e.target_org)] {
            let p = people.entry(person).or_insert_with(|| Person { sectors: sectors.get(&person).cloned().unwrap_or_default(), orgs: BTreeSet::new() });
            if let Some(org) = org {
                p.orgs.insert(orgs[org as usize].clone());
            }
        }
    }
    let shown = coarsen(&people, K);
    let order: Vec<(i64, u64, usize)> = {
        let mut order: Vec<(i64, u64, usize)> = edges.iter().enumerate().map(|(i, e)| (e.day, names.edge(e.id), i)).collect();
        order.sort_unstable();
        order
    };
    let org = |person: i64, org: Option<u32>| match org {
        Some(o) if shown.org_kept(person) => orgs[o as usize].as_str(),
        _ => "",
    };
    for (_, _, i) in &order {
        let e = &edges[*i];
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            names.name(e.source, ""),
            names.name(e.target, ""),
            names.time(e.day * DAY),
            if e.mention { "mention" } else { "reply" },
            org(e.source, e.source_org),
            org(e.target, e.target_org),
            shown.sectors(e.source),
            shown.sectors(e.target)
        )
        .map_err(io)?;
    }
    Ok(edges.len())
}

/// A person as a pseudonymous file would show them in full.
#[derive(Debug, Clone, Default)]
struct Person {
    /// Their sectors, sorted (from their profile, which is public).
    sectors: Vec<String>,
    /// The organisations they appear for on some edge of the file.
    orgs: BTreeSet<String>,
}

/// What a pseudonymous file shows of each person in it ([`coarsen`]).
#[derive(Debug, Default)]
struct Shown {
    /// The sectors shown, `;`-joined; a person not here shows none.
    sectors: HashMap<i64, String>,
    /// The people whose organisations are shown; every other person's
    /// organisation columns are empty.
    orgs: BTreeSet<i64>,
}

impl Shown {
    fn sectors(&self, person: i64) -> &str {
        self.sectors.get(&person).map_or("", String::as_str)
    }

    fn org_kept(&self, person: i64) -> bool {
        self.orgs.contains(&person)
    }
}

/// Coarsens what a file shows of its `people` so that no person's
/// signature — the sectors shown and the set of organisations shown — is
/// shared by fewer than `k` people in the file (sectors are on public
/// profiles, and staff are named on their organisation's page, so a rare
/// signature names someone):
///
/// 1. Sectors: a person's full set is kept when at least `k` people in the
///    file have the same set. Otherwise it becomes the one sector of theirs
///    that most people in the file hold (ties by name), if at least `k`
///    people then show that one sector; otherwise none. If fewer than `k`
///    (but some) people then show none, the smallest groups join them,
///    until at least `k` do.
/// 2. Organisations: a person's organisations are kept when at least `k`
///    people show the same sectors and the same set of organisations;
///    otherwise that person's organisation columns are empty. If fewer than
///    `k` (but some) people with some sectors then show no organisation,
///    the smallest groups with those sectors lose theirs too, until at least
///    `k` do.
///
/// Only a file of fewer than `k` people cannot be coarsened so: it shows no
/// sectors and no organisations at all. (The structure of the network, who
/// answers whom and how often, is not coarsened: see the command's help.)
fn coarsen(people: &BTreeMap<i64, Person>, k: usize) -> Shown {
    // 1. Sectors.
    let mut full: HashMap<&[String], usize> = HashMap::new();
    let mut holders: HashMap<&str, usize> = HashMap::new();
    for p in people.values() {
        *full.entry(&p.sectors).or_default() += 1;
        for s in &p.sectors {
            *holders.entry(s).or_default() += 1;
        }
    }
    let mut value: BTreeMap<i64, String> = people
        .iter()
        .map(|(&id, p)| {
            let v = if p.sectors.is_empty() || full[p.sectors.as_slice()] >= k {
                p.sectors.join(";")
            } else {
                // The sector most people hold; among equals, the first by name.
                let best = p.sectors.iter().max_by(|a, b| holders[a.as_str()].cmp(&holders[b.as_str()]).then_with(|| b.cmp(a)));
                best.cloned().unwrap_or_default()
            };
            (id, v)
        })
        .collect();
    let groups = |value: &BTreeMap<i64, String>| {
        let mut g: BTreeMap<String, usize> = BTreeMap::new();
        for v in value.values() {
            *g.entry(v.clone()).or_default() += 1;
        }
        g
    };
    let sizes = groups(&value);
    for v in value.values_mut() {
        if sizes[v.as_str()] < k {
            v.clear();
        }
    }
    let mut sizes = groups(&value);
    let mut none = sizes.remove("").unwrap_or(0);
    if none > 0 && none < k {
        let mut smallest: Vec<(usize, String)> = sizes.into_iter().map(|(v, n)| (n, v)).collect();
        smallest.sort();
        let mut joining = BTreeSet::new();
        for (n, v) in smallest {
            if none >= k {
                break;
            }
            none += n;
            joining.insert(v);
        }
        for v in value.values_mut() {
            if joining.contains(v.as_str()) {
                v.clear();
            }
        }
    }

    // 2. Organisations, by signature (sectors shown, organisations).
    let signature = |id: i64, keep: bool| (value[&id].clone(), if keep { people[&id].orgs.clone() } else { BTreeSet::new() });
    let mut kept: BTreeSet<i64> = people.iter().filter(|(_, p)| !p.orgs.is_empty()).map(|(&id, _)| id).collect();
    let mut count: HashMap<(String, BTreeSet<String>), usize> = HashMap::new();
    for &id in people.keys() {
        *count.entry(signature(id, kept.contains(&id))).or_default() += 1;
    }
    kept.retain(|&id| count[&signature(id, true)] >= k);
    // Per sectors shown: how many show no organisation, and the groups that do.
    let mut bare: BTreeMap<&str, usize> = BTreeMap::new();
    let mut with: BTreeMap<&str, BTreeMap<BTreeSet<String>, Vec<i64>>> = BTreeMap::new();
    for (&id, v) in &value {
        if kept.contains(&id) {
            with.entry(v.as_str()).or_default().entry(people[&id].orgs.clone()).or_default().push(id);
        } else {
            *bare.entry(v.as_str()).or_default() += 1;
        }
    }
    for (v, mut n) in bare {
        if n >= k {
            continue;
        }
        let mut groups: Vec<Vec<i64>> = with.remove(v).unwrap_or_default().into_values().collect();
        groups.sort_by_key(Vec::len);
        for g in groups {
            if n >= k {
                break;
            }
            n += g.len();
            for id in g {
                kept.remove(&id);
            }
        }
    }
    // A file of fewer than k people: nothing is shown.
    if people.len() < k {
        value.clear();
        kept.clear();
    }
    value.retain(|_, v| !v.is_empty());
    Shown { sectors: value.into_iter().collect(), orgs: kept }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(sectors: &[&str], orgs: &[&str]) -> Person {
        Person { sectors: sectors.iter().map(|s| s.to_string()).collect(), orgs: orgs.iter().map(|s| s.to_string()).collect() }
    }

    /// Every person's signature as shown, and how many people share it.
    fn signatures(people: &BTreeMap<i64, Person>, shown: &Shown) -> HashMap<i64, ((String, BTreeSet<String>), usize)> {
        let sig = |id: i64| (shown.sectors(id).to_string(), if shown.org_kept(id) { people[&id].orgs.clone() } else { BTreeSet::new() });
        let mut count: HashMap<(String, BTreeSet<String>), usize> = HashMap::new();
        for &id in people.keys() {
            *count.entry(sig(id)).or_default() += 1;
        }
        people.keys().map(|&id| (id, (sig(id), count[&sig(id)]))).collect()
    }

    #[test]
    fn what_a_pseudonymous_file_shows_of_anyone_is_shared_by_k_people() {
        // Like the demo town: mostly rare mixes of sectors, small organisations.
        let mixes: [&[&str]; 12] = [
            &["resident"],
            &["arts", "resident"],
            &["heritage", "resident"],
            &["education", "heritage"],
            &["arts"],
            &["housing", "resident"],
            &["health", "voluntary_sector"],
            &["education", "local_government"],
            &[],
            &["business"],
            &["libraries", "resident"],
            &["social_care"],
        ];
        let orgs = ["", "library", "arts-centre", "museum", "", "", "council", ""];
        for n in [5, 7, 12, 30, 44, 101] {
            let people: BTreeMap<i64, Person> = (0..n)
                .map(|i| {
                    let org = orgs[(i as usize * 7) % orgs.len()];
                    let org: &[&str] = if org.is_empty() { &[] } else { &[org] };
                    (i, person(mixes[(i as usize * 5 + i as usize / 3) % mixes.len()], org))
                })
                .collect();
            let shown = coarsen(&people, K);
            for (id, (sig, shared)) in signatures(&people, &shown) {
                assert!(shared >= K, "{n} people: person {id} shows {sig:?}, shared by {shared}");
            }
            // Nothing is invented: what is shown is the person's own.
            for (id, p) in &people {
                assert!(shown.sectors(*id).split(';').filter(|s| !s.is_empty()).all(|s| p.sectors.contains(&s.to_string())));
            }
            if n >= 30 {
                assert!(people.keys().filter(|id| !shown.sectors(**id).is_empty()).count() > n as usize / 2, "most keep a sector: {shown:?}");
            }
        }
    }

    #[test]
    fn common_sets_stay_and_rare_ones_fall_back_to_a_common_sector() {
        let mut people = BTreeMap::new();
        for i in 0..5 {
            people.insert(i, person(&["arts", "resident"], &["arts-centre"]));
        }
        for i in 5..9 {
            people.insert(i, person(&["health", "resident"], &[]));
        }
        people.insert(9, person(&["health", "housing"], &["council"]));
        people.insert(10, person(&["resident"], &[]));
        people.insert(11, person(&["business"], &[]));
        for i in 12..15 {
            people.insert(i, person(&[], &[]));
        }
        let shown = coarsen(&people, K);
        assert_eq!(shown.sectors(0), "arts;resident", "five people share it");
        assert!(shown.org_kept(0), "and the five speak for the same organisation");
        // Resident is held by ten people: the rare sets fall back to it.
        assert_eq!(shown.sectors(5), "resident");
        assert_eq!(shown.sectors(10), "resident");
        // Health is held by five, more than housing, but the other four show
        // "resident": one person alone cannot show "health". They show no
        // sector, as five people do (three have none on their profile).
        assert_eq!(shown.sectors(9), "", "no sector of theirs is shown by five in the file");
        assert_eq!(shown.sectors(11), "");
        assert!(!shown.org_kept(9), "one person for the council");
        for (id, (sig, shared)) in signatures(&people, &shown) {
            assert!(shared >= K, "person {id} shows {sig:?}, shared by {shared}");
        }

        // Without the three, only two would show no sector: the smallest
        // group joins them, and its organisation goes with it.
        for i in 12..15 {
            people.remove(&i);
        }
        let shown = coarsen(&people, K);
        assert_eq!((shown.sectors(0), shown.org_kept(0)), ("", false));
        assert_eq!(shown.sectors(5), "resident");
        for (id, (sig, shared)) in signatures(&people, &shown) {
            assert!(shared >= K, "person {id} shows {sig:?}, shared by {shared}");
        }

        // Fewer than k people in the file: nothing is shown.
        let few: BTreeMap<i64, Person> = (0..4).map(|i| (i, person(&["arts"], &["arts-centre"]))).collect();
        let shown = coarsen(&few, K);
        assert!((0..4).all(|i| shown.sectors(i).is_empty() && !shown.org_kept(i)), "{shown:?}");
    }

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
