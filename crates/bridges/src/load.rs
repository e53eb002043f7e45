//! Readers: CSV edge lists (columns found by header name), CSV group files
//! and GML (Newman's network-data format).
//!
//! Readers are lenient: a bad row is skipped and counted in a diagnostic,
//! never a panic. Only an unreadable file or a CSV without `source` and
//! `target` columns is an error.

use crate::network::{Diagnostic, Network};
use std::fmt;
use std::io::Read;

/// Why a file could not be read at all.
#[derive(Debug)]
pub enum LoadError {
    Io(std::io::Error),
    Csv(String),
    Format(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "could not read the file: {e}"),
            LoadError::Csv(e) => write!(f, "could not read the CSV: {e}"),
            LoadError::Format(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<std::io::Error> for LoadError {
    fn from(e: std::io::Error) -> Self {
        LoadError::Io(e)
    }
}

/// Column names accepted for each role (compared case-insensitively, trimmed).
const SOURCE: &[&str] = &["source", "from", "src"];
const TARGET: &[&str] = &["target", "to", "dst"];
const WEIGHT: &[&str] = &["weight", "value"];
const TIME: &[&str] = &["timestamp", "time", "created_at", "date"];
const NODE: &[&str] = &["node", "id", "name"];
const GROUP: &[&str] = &[
    "group",
    "sector",
    "org",
    "organisation",
    "organization",
    "club",
    "label",
];

fn find(headers: &csv::ByteRecord, names: &[&str]) -> Option<usize> {
    for name in names {
        for (i, h) in headers.iter().enumerate() {
            let h = String::from_utf8_lossy(h);
            if h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
            {
                return Some(i);
            }
        }
    }
    None
}

fn field(rec: &csv::ByteRecord, i: usize) -> Option<&str> {
    rec.get(i)
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(str::trim)
}

/// Read a CSV edge list into `net`. Header `source,target[,weight][,timestamp]`
/// (aliases accepted; other columns ignored). Timestamps may be RFC 3339,
/// a date `YYYY-MM-DD`, or unix seconds.
pub fn read_edges_csv<R: Read>(reader: R, net: &mut Network) -> Result<(), LoadError> {
    read_edges_csv_grouped(reader, net, None)
}

/// As [`read_edges_csv`], and with `group_attr = Some(NAME)` the groups come
/// from the edge file itself: columns `source_NAME` and `target_NAME` label
/// each row's two ends (the layout of `meetinghouse export interactions`,
/// e.g. `org` or `sectors`). Where a cell lists several values separated by
/// `;`, the first one is the node's group; a node's last non-empty label wins.
pub fn read_edges_csv_grouped<R: Read>(reader: R, net: &mut Network, group_attr: Option<&str>) -> Result<(), LoadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = rdr
        .byte_headers()
        .map_err(|e| LoadError::Csv(e.to_string()))?
        .clone();
    let (Some(si), Some(ti)) = (find(&headers, SOURCE), find(&headers, TARGET)) else {
        return Err(LoadError::Format(format!(
            "the edge file needs a header with `source` and `target` columns (found: {})",
            String::from_utf8_lossy(headers.as_slice())
        )));
    };
    let wi = find(&headers, WEIGHT);
    let tsi = find(&headers, TIME);
    let label_cols = match group_attr {
        None => None,
        Some(attr) => {
            let (sa, ta) = (format!("source_{attr}"), format!("target_{attr}"));
            match (find(&headers, &[sa.as_str()]), find(&headers, &[ta.as_str()])) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => {
                    return Err(LoadError::Format(format!(
                        "--group-attr {attr} needs the columns `{sa}` and `{ta}` in the edge file (found: {})",
                        String::from_utf8_lossy(headers.as_slice())
                    )));
                }
            }
        }
    };
    let mut rec = csv::ByteRecord::new();
    let (mut bad_rows, mut bad_weight, mut bad_time) = (0u64, 0u64, 0u64);
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) => {
                bad_rows += 1;
                continue;
            }
        }
        let (Some(s), Some(t)) = (field(&rec, si), field(&rec, ti)) else {
            bad_rows += 1;
            continue;
        };
        if s.is_empty() || t.is_empty() {
            bad_rows += 1;
            continue;
        }
        let weight = match wi.and_then(|i| field(&rec, i)) {
            None | Some("") => wi.map(|_| 1.0),
            Some(x) => match x.parse::<f64>() {
                Ok(w) => Some(w),
                Err(_) => {
                    bad_weight += 1;
                    Some(1.0)
                }
            },
        };
        let time = match tsi.and_then(|i| field(&rec, i)) {
            None | Some("") => None,
            Some(x) => {
                let t = parse_time(x);
                if t.is_none() {
                    bad_time += 1;
                }
                t
            }
        };
        net.add_edge(s, t, weight, time);
        if let Some((sa, ta)) = label_cols {
            for (node, col) in [(s, sa), (t, ta)] {
                let label = field(&rec, col).and_then(|v| v.split(';').map(str::trim).find(|x| !x.is_empty()));
                if let Some(label) = label {
                    net.set_group(node, label);
                }
            }
        }
    }
    if tsi.is_some() && net.time.is_none() && net.raw_edge_count() > 0 {
        net.time = Some(vec![crate::network::NO_TIME; net.raw_edge_count()]);
    }
    if bad_rows > 0 {
        net.diagnostics.push(Diagnostic::new(
            "bad_rows",
            bad_rows,
            format!("{bad_rows} row(s) without a source or target were skipped."),
        ));
    }
    if bad_weight > 0 {
        net.diagnostics.push(Diagnostic::new(
            "bad_weight_cells",
            bad_weight,
            format!("{bad_weight} weight(s) were not numbers and count as 1."),
        ));
    }
    if bad_time > 0 {
        net.diagnostics.push(Diagnostic::new(
            "bad_timestamps",
            bad_time,
            format!(
                "{bad_time} timestamp(s) could not be read and are left out of the time windows."
            ),
        ));
    }
    Ok(())
}

/// Read a CSV group file `node,group` (aliases: `id`, `name`; `sector`, `club`, …;
/// otherwise the first two columns). Nodes not yet known are added without ties.
pub fn read_groups_csv<R: Read>(reader: R, net: &mut Network) -> Result<(), LoadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = rdr
        .byte_headers()
        .map_err(|e| LoadError::Csv(e.to_string()))?
        .clone();
    let ni = find(&headers, NODE).unwrap_or(0);
    let gi = find(&headers, GROUP).unwrap_or(if ni == 0 { 1 } else { 0 });
    if headers.len() < 2 {
        return Err(LoadError::Format(
            "the group file needs two columns, `node,group`".into(),
        ));
    }
    let known_before = net.node_count();
    let mut rec = csv::ByteRecord::new();
    let (mut bad, mut conflicting) = (0u64, 0u64);
    let mut seen = vec![false; known_before];
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) => {
                bad += 1;
                continue;
            }
        }
        let (Some(node), Some(group)) = (field(&rec, ni), field(&rec, gi)) else {
            bad += 1;
            continue;
        };
        if node.is_empty() || group.is_empty() {
            bad += 1;
            continue;
        }
        if let Some(id) = net.node_id(node) {
            let id = id as usize;
            if id < seen.len() {
                if seen[id] {
                    conflicting += 1;
                }
                seen[id] = true;
            }
        }
        net.set_group(node, group);
    }
    let added = net.node_count() - known_before;
    if bad > 0 {
        net.diagnostics.push(Diagnostic::new(
            "bad_group_rows",
            bad,
            format!("{bad} row(s) of the group file were incomplete and skipped."),
        ));
    }
    if conflicting > 0 {
        net.diagnostics.push(Diagnostic::new("repeated_group_rows", conflicting, format!("{conflicting} node(s) appear more than once in the group file; the last group given counts.")));
    }
    if known_before > 0 && added > 0 {
        net.diagnostics.push(Diagnostic::new(
            "group_only_nodes",
            added as u64,
            format!(
                "{added} node(s) in the group file have no ties; they are counted as isolates."
            ),
        ));
    }
    Ok(())
}

/// Add a diagnostic for nodes that have no group label (when some do).
pub fn check_unlabelled(net: &mut Network) {
    let labelled = net.labelled_count();
    let n = net.node_count();
    if labelled > 0 && labelled < n {
        let missing = (n - labelled) as u64;
        net.diagnostics.push(Diagnostic::new(
            "unlabelled_nodes",
            missing,
            format!("{missing} node(s) have no group; their ties are left out of the group measures (E-I, mixing, assortativity)."),
        ));
    }
}

// ---------------------------------------------------------------- GML

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Key(String),
    Str(String),
    Num(String),
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, LoadError> {
    let mut toks = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'[' {
            toks.push(Tok::Open);
            i += 1;
        } else if c == b']' {
            toks.push(Tok::Close);
            i += 1;
        } else if c == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            if i >= b.len() {
                return Err(LoadError::Format(
                    "GML: a quoted string is not closed".into(),
                ));
            }
            toks.push(Tok::Str(decode_entities(&text[start..i])));
            i += 1;
        } else {
            let start = i;
            while i < b.len()
                && !b[i].is_ascii_whitespace()
                && b[i] != b'['
                && b[i] != b']'
                && b[i] != b'"'
            {
                i += 1;
            }
            let word = &text[start..i];
            if word
                .starts_with(|ch: char| ch.is_ascii_digit() || ch == '-' || ch == '+' || ch == '.')
            {
                toks.push(Tok::Num(word.to_owned()));
            } else {
                toks.push(Tok::Key(word.to_owned()));
            }
        }
    }
    Ok(toks)
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "apos" => Some('\''),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if name.starts_with('#') => {
                    name[1..].parse::<u32>().ok().and_then(char::from_u32)
                }
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A parsed GML value.
#[derive(Debug, Clone)]
enum Val {
    Scalar(String),
    List(Vec<(String, Val)>),
}

fn parse_list(toks: &[Tok], pos: &mut usize) -> Result<Vec<(String, Val)>, LoadError> {
    let mut out = Vec::new();
    while *pos < toks.len() {
        match &toks[*pos] {
            Tok::Close => {
                *pos += 1;
                return Ok(out);
            }
            Tok::Key(k) => {
                let key = k.clone();
                *pos += 1;
                let Some(next) = toks.get(*pos) else {
                    return Err(LoadError::Format(format!("GML: key `{key}` has no value")));
                };
                let val = match next {
                    Tok::Open => {
                        *pos += 1;
                        Val::List(parse_list(toks, pos)?)
                    }
                    Tok::Str(s) | Tok::Num(s) => {
                        *pos += 1;
                        Val::Scalar(s.clone())
                    }
                    _ => return Err(LoadError::Format(format!("GML: key `{key}` has no value"))),
                };
                out.push((key, val));
            }
            other => return Err(LoadError::Format(format!("GML: unexpected {other:?}"))),
        }
    }
    Ok(out)
}

fn scalar<'a>(items: &'a [(String, Val)], key: &str) -> Option<&'a str> {
    items.iter().find_map(|(k, v)| match v {
        Val::Scalar(s) if k == key => Some(s.as_str()),
        _ => None,
    })
}

/// Read a GML graph. Node names are their `label` when labels are present and
/// unique, otherwise their `id`. With `group_attr`, the node attribute of
/// that name becomes the node's group. Edge `weight` (or `value`) is read.
pub fn read_gml<R: Read>(
    mut reader: R,
    group_attr: Option<&str>,
    net: &mut Network,
) -> Result<(), LoadError> {
    let mut text = String::new();
    reader.read_to_string(&mut text)?;
    let toks = tokenize(&text)?;
    let mut pos = 0;
    let top = parse_list(&toks, &mut pos)?;
    let Some(graph) = top.iter().find_map(|(k, v)| match v {
        Val::List(items) if k == "graph" => Some(items),
        _ => None,
    }) else {
        return Err(LoadError::Format("GML: no `graph [ … ]` block".into()));
    };
    if let Some(d) = scalar(graph, "directed") {
        net.declared_directed = Some(d.trim() == "1");
    }
    let nodes: Vec<&Vec<(String, Val)>> = graph
        .iter()
        .filter_map(|(k, v)| match v {
            Val::List(items) if k == "node" => Some(items),
            _ => None,
        })
        .collect();
    let labels: Vec<Option<&str>> = nodes.iter().map(|n| scalar(n, "label")).collect();
    let unique_labels = labels.iter().all(Option::is_some) && {
        let mut set = std::collections::HashSet::new();
        labels.iter().all(|l| set.insert(l.unwrap_or_default()))
    };
    let mut by_id = std::collections::HashMap::new();
    let mut missing_attr = 0u64;
    let mut bad_nodes = 0u64;
    for (i, node) in nodes.iter().enumerate() {
        let Some(id) = scalar(node, "id") else {
            bad_nodes += 1;
            continue;
        };
        let name = if unique_labels {
            labels[i].unwrap_or(id)
        } else {
            id
        };
        let nid = net.intern(name);
        by_id.insert(id.to_owned(), nid);
        if let Some(attr) = group_attr {
            match scalar(node, attr) {
                Some(g) => {
                    let gid = net.intern_group(g);
                    net.group_of[nid as usize] = Some(gid);
                }
                None => missing_attr += 1,
            }
        }
    }
    let mut bad_edges = 0u64;
    for (k, v) in graph {
        let Val::List(items) = v else { continue };
        if k != "edge" {
            continue;
        }
        let (Some(s), Some(t)) = (scalar(items, "source"), scalar(items, "target")) else {
            bad_edges += 1;
            continue;
        };
        let (Some(&s), Some(&t)) = (by_id.get(s), by_id.get(t)) else {
            bad_edges += 1;
            continue;
        };
        let w = scalar(items, "weight")
            .or_else(|| scalar(items, "value"))
            .and_then(|x| x.parse::<f64>().ok());
        net.add_edge_ids(s, t, w, None);
    }
    if bad_nodes > 0 {
        net.diagnostics.push(Diagnostic::new(
            "gml_nodes_without_id",
            bad_nodes,
            format!("{bad_nodes} GML node(s) without an id were skipped."),
        ));
    }
    if bad_edges > 0 {
        net.diagnostics.push(Diagnostic::new(
            "gml_bad_edges",
            bad_edges,
            format!("{bad_edges} GML edge(s) naming unknown nodes were skipped."),
        ));
    }
    if let Some(attr) = group_attr
        && missing_attr > 0
    {
        net.diagnostics.push(Diagnostic::new(
            "missing_group_attribute",
            missing_attr,
            format!("{missing_attr} node(s) have no `{attr}` attribute."),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- time

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parse a timestamp: unix seconds (integer or decimal), RFC 3339
/// (`2024-03-05T10:00:00Z`, `…+01:00`, fractional seconds, space instead of `T`)
/// or a date `YYYY-MM-DD`. Returns unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
        && !s[1..].contains('-')
    {
        return s
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(|x| x.floor() as i64);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) && !t.is_empty() {
            t.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    if b.len() == 10 {
        return Some(days * 86_400);
    }
    if !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
        || b.len() < 19
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    let offset = if i >= b.len() {
        0
    } else if b[i] == b'Z' || b[i] == b'z' {
        if i + 1 != b.len() {
            return None;
        }
        0
    } else if (b[i] == b'+' || b[i] == b'-') && b.len() == i + 6 && b[i + 3] == b':' {
        let oh = num(i + 1..i + 3)?;
        let om = num(i + 4..i + 6)?;
        let sign = if b[i] == b'+' { 1 } else { -1 };
        sign * (oh * 3600 + om * 60)
    } else {
        return None;
    };
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// `YYYY-MM` of a unix time.
pub fn month_label(t: i64) -> String {
    let (y, m, _) = civil_from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}")
}

/// Month index (months since 1970-01) of a unix time.
pub fn month_index(t: i64) -> i64 {
    let (y, m, _) = civil_from_days(t.div_euclid(86_400));
    (y - 1970) * 12 + (m as i64 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("0"), Some(0));
        assert_eq!(parse_time("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_time("1970-01-02"), Some(86_400));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(
            parse_time("2023-11-14T23:13:20.5+01:00"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_time("2023-11-14 22:13:20"), Some(1_700_000_000));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(month_label(1_700_000_000), "2023-11");
        for d in [-1000, 0, 19000, 20000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn groups_from_the_edge_file() {
        let data = "source,target,timestamp,kind,source_org,target_org,source_sectors,target_sectors\n\
                    ann,bob,2024-01-05T10:00:00Z,reply,,,arts;health,arts\n\
                    bob,cat,2024-01-06T10:00:00Z,reply,,,arts,\n";
        let mut net = Network::new();
        read_edges_csv_grouped(data.as_bytes(), &mut net, Some("sectors")).unwrap();
        let label = |n: &str| net.group_of[net.node_id(n).unwrap() as usize].map(|g| net.group_names[g as usize].clone());
        assert_eq!(label("ann").as_deref(), Some("arts"), "the first of several sectors");
        assert_eq!(label("bob").as_deref(), Some("arts"));
        assert_eq!(label("cat"), None, "an empty cell leaves the node unlabelled");
        let mut other = Network::new();
        let err = read_edges_csv_grouped(data.as_bytes(), &mut other, Some("club")).unwrap_err();
        assert!(err.to_string().contains("source_club"), "{err}");
    }

    #[test]
    fn csv_by_header() {
        let data = "kind,target,source,timestamp,source_org\nreply,b,a,2024-01-05T10:00:00Z,x\nreply,c,a,1706745600,y\n";
        let mut net = Network::new();
        read_edges_csv(data.as_bytes(), &mut net).unwrap();
        assert_eq!(net.raw_edge_count(), 2);
        assert_eq!(net.names, vec!["a", "b", "c"]);
        assert!(net.weight.is_none());
        assert_eq!(net.time.as_ref().unwrap()[1], 1_706_745_600);
    }

    #[test]
    fn gml() {
        let data = "graph [ directed 0 node [ id 0 label \"A\" value \"x\" ] node [ id 1 label \"B\" value \"y\" ] edge [ source 0 target 1 ] ]";
        let mut net = Network::new();
        read_gml(data.as_bytes(), Some("value"), &mut net).unwrap();
        assert_eq!(net.names, vec!["A", "B"]);
        assert_eq!(net.group_names, vec!["x", "y"]);
        assert_eq!(net.raw_edge_count(), 1);
        assert_eq!(
            decode_entities("Bush &#38; Co &amp; &#x41; &bogus; &"),
            "Bush & Co & A &bogus; &"
        );
    }
}
