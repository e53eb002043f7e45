//! Readers: CSV edge lists (columns found by header name), CSV group files
//! and GML (Newman's network-data format).
//!
//! Readers are lenient: a bad row is skipped and counted in a diagnostic,
//! never a panic. An unreadable file, a CSV without `source` and `target`
//! columns, a group file whose columns cannot be told apart, a CSV quote
//! that swallows the rest of the file or rows after it (see
//! `csv_input`), and a GML file that is not well formed (an unclosed `[`,
//! lists nested too deep, not UTF-8) or lacks the `--group-attr` attribute
//! on every node are errors. CSV columns are separated by commas, or by
//! semicolons or tabs when the first line has those and no comma.

use crate::csv_input::{CsvInput, Next};
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
/// Not `label`: in a Gephi node table (`Id,Label,…`) that is the node's
/// display name, and reading it as the group gives one group per node.
const GROUP: &[&str] = &[
    "group",
    "sector",
    "org",
    "organisation",
    "organization",
    "club",
];

/// A header cell as written (trimmed, without a UTF-8 byte-order mark).
fn header_name(h: &[u8]) -> String {
    String::from_utf8_lossy(h)
        .trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_owned()
}

/// The first column whose header is one of `names` (in the order of `names`), skipping `except`.
fn find_except(headers: &csv::ByteRecord, names: &[&str], except: Option<usize>) -> Option<usize> {
    for name in names {
        for (i, h) in headers.iter().enumerate() {
            if Some(i) != except && header_name(h).eq_ignore_ascii_case(name) {
                return Some(i);
            }
        }
    }
    None
}

fn find(headers: &csv::ByteRecord, names: &[&str]) -> Option<usize> {
    find_except(headers, names, None)
}

/// The headers for a message: "`Source ID`, `Target ID`" (or "no header").
fn header_list(headers: &csv::ByteRecord) -> String {
    if headers.iter().all(|h| header_name(h).is_empty()) {
        return "no header".to_owned();
    }
    headers
        .iter()
        .map(|h| format!("`{}`", header_name(h)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One cell of a row.
enum Cell<'a> {
    /// The row has no such column, or the cell is empty.
    Missing,
    /// The cell's bytes are not UTF-8 text.
    NotUtf8,
    Text(&'a str),
}

fn cell(rec: &csv::ByteRecord, i: usize) -> Cell<'_> {
    match rec.get(i) {
        None => Cell::Missing,
        Some(b) => match std::str::from_utf8(b) {
            Err(_) => Cell::NotUtf8,
            Ok(s) if s.trim().is_empty() => Cell::Missing,
            Ok(s) => Cell::Text(s.trim()),
        },
    }
}

fn field(rec: &csv::ByteRecord, i: usize) -> Option<&str> {
    match cell(rec, i) {
        Cell::Text(s) => Some(s),
        _ => None,
    }
}

/// The note for rows the CSV parser could not split (apart from rows
/// without a source or target: a parse failure is not a missing column).
fn unreadable_diagnostic(rows: u64, first_line: u64, what: &str) -> Diagnostic {
    Diagnostic::new(
        "unreadable_rows",
        rows,
        format!("{rows} row(s) of the {what} could not be read as CSV and were skipped (the first on line {first_line})."),
    )
}

/// The message for a header without the columns a reader needs: the
/// headers found, and why there may be only one.
fn found_headers(headers: &csv::ByteRecord, delimiter: u8) -> String {
    let found = header_list(headers);
    if headers.len() == 1 && found != "no header" {
        format!(
            "{found}: the first line is a single column, read with {} between columns; separate the columns with commas, semicolons or tabs",
            crate::csv_input::separator_name(delimiter)
        )
    } else {
        found
    }
}

fn not_utf8_diagnostic(rows: u64, what: &str) -> Diagnostic {
    Diagnostic::new(
        "not_utf8",
        rows,
        format!("{rows} row(s) of the {what} were skipped because a name in them is not UTF-8 text; save the file as UTF-8."),
    )
}

/// Read a CSV edge list into `net`. Header `source,target[,weight][,timestamp]`
/// (aliases accepted; other columns ignored). Timestamps may be RFC 3339,
/// a date `YYYY-MM-DD`, or unix seconds (see [`parse_time`] for milliseconds).
pub fn read_edges_csv<R: Read>(reader: R, net: &mut Network) -> Result<(), LoadError> {
    read_edges_csv_grouped(reader, net, None)
}

/// As [`read_edges_csv`], and with `group_attr = Some(NAME)` the groups come
/// from the edge file itself: columns `source_NAME` and `target_NAME` label
/// each row's two ends (the layout of `meetinghouse export interactions`,
/// e.g. `org` or `sectors`). Where a cell lists several values separated by
/// `;`, the first one is the node's group; a node's last non-empty label wins.
pub fn read_edges_csv_grouped<R: Read>(reader: R, net: &mut Network, group_attr: Option<&str>) -> Result<(), LoadError> {
    let mut input = CsvInput::open(reader, "edge file")?;
    let headers = input.headers()?;
    let (Some(si), Some(ti)) = (find(&headers, SOURCE), find(&headers, TARGET)) else {
        return Err(LoadError::Format(format!(
            "the edge file needs a header with `source` and `target` columns (found: {})",
            found_headers(&headers, input.delimiter)
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
                        header_list(&headers)
                    )));
                }
            }
        }
    };
    let used: Vec<usize> = [Some(si), Some(ti), wi, tsi, label_cols.map(|c| c.0), label_cols.map(|c| c.1)]
        .into_iter()
        .flatten()
        .collect();
    // with semicolons between columns a comma is the decimal mark (`1,5`)
    let decimal_comma = input.delimiter == b';';
    let mut rec = csv::ByteRecord::new();
    let (mut bad_rows, mut not_utf8, mut bad_weight, mut millis) = (0u64, 0u64, 0u64, 0u64);
    let (mut unreadable, mut first_unreadable) = (0u64, 0u64);
    let mut first_bad_row = 0u64;
    let mut bad_time = 0u64;
    let mut first_bad_time: Option<(u64, String)> = None;
    loop {
        let line = match input.next(&mut rec, &used)? {
            Next::End => break,
            Next::Record(line) => line,
            Next::Unreadable(line) => {
                unreadable += 1;
                if first_unreadable == 0 {
                    first_unreadable = line;
                }
                continue;
            }
        };
        let (s, t) = match (cell(&rec, si), cell(&rec, ti)) {
            (Cell::Text(s), Cell::Text(t)) => (s, t),
            (Cell::NotUtf8, _) | (_, Cell::NotUtf8) => {
                not_utf8 += 1;
                continue;
            }
            _ => {
                bad_rows += 1;
                if first_bad_row == 0 {
                    first_bad_row = line;
                }
                continue;
            }
        };
        let weight = match wi.map(|i| cell(&rec, i)) {
            None => None,
            Some(Cell::Missing) => Some(1.0),
            Some(Cell::NotUtf8) => {
                bad_weight += 1;
                Some(1.0)
            }
            Some(Cell::Text(x)) => match parse_weight(x, decimal_comma) {
                Some(w) => Some(w),
                None => {
                    bad_weight += 1;
                    Some(1.0)
                }
            },
        };
        let time = match tsi.map(|i| cell(&rec, i)) {
            None | Some(Cell::Missing) => None,
            Some(Cell::NotUtf8) => {
                bad_time += 1;
                first_bad_time.get_or_insert((line, String::new()));
                None
            }
            Some(Cell::Text(x)) => match read_time(x) {
                Some((t, unit)) => {
                    if unit == TimeUnit::Milliseconds {
                        millis += 1;
                    }
                    Some(t)
                }
                None => {
                    bad_time += 1;
                    first_bad_time.get_or_insert_with(|| (line, x.chars().take(40).collect()));
                    None
                }
            },
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
            format!("{bad_rows} row(s) without a source or target were skipped (the first on line {first_bad_row})."),
        ));
    }
    if unreadable > 0 {
        net.diagnostics.push(unreadable_diagnostic(unreadable, first_unreadable, "edge file"));
    }
    if not_utf8 > 0 {
        net.diagnostics.push(not_utf8_diagnostic(not_utf8, "edge file"));
    }
    if bad_weight > 0 {
        net.diagnostics.push(Diagnostic::new(
            "bad_weight_cells",
            bad_weight,
            format!("{bad_weight} weight(s) were not numbers and count as 1."),
        ));
    }
    if millis > 0 {
        net.diagnostics.push(Diagnostic::new(
            "millisecond_timestamps",
            millis,
            format!("{millis} timestamp(s) were too large for unix seconds (after the year 3000) and were read as milliseconds."),
        ));
    }
    if let Some((line, value)) = first_bad_time {
        let first = if value.is_empty() {
            format!("the first on line {line}, not UTF-8 text")
        } else {
            format!("the first on line {line}: `{value}`")
        };
        net.diagnostics.push(Diagnostic::new(
            "bad_timestamps",
            bad_time,
            format!(
                "{bad_time} timestamp(s) could not be read ({first}; a timestamp is a date that exists, as 2024-03-05 or 2024-03-05T10:00:00Z, or unix seconds) and are left out of the time windows."
            ),
        ));
    }
    Ok(())
}

/// A weight: a number, and with `decimal_comma` a comma as its decimal mark (`1,5`).
fn parse_weight(x: &str, decimal_comma: bool) -> Option<f64> {
    match x.parse::<f64>() {
        Ok(w) => Some(w),
        Err(_) if decimal_comma && x.matches(',').count() == 1 && !x.contains('.') => x.replace(',', ".").parse().ok(),
        Err(_) => None,
    }
}

/// Read a CSV group file `node,group`; see [`read_groups_csv_column`].
pub fn read_groups_csv<R: Read>(reader: R, net: &mut Network) -> Result<(), LoadError> {
    read_groups_csv_column(reader, net, None)
}

/// Which columns of a group file hold the node and its group, and a note
/// when one of them was not named but taken as the only one left.
fn group_file_columns(
    headers: &csv::ByteRecord,
    group_col: Option<&str>,
    delimiter: u8,
) -> Result<(usize, usize, Option<String>), LoadError> {
    let found = found_headers(headers, delimiter);
    let names: Vec<String> = headers.iter().map(header_name).collect();
    if headers.len() < 2 {
        return Err(LoadError::Format(format!(
            "the group file needs two columns, a node and its group, e.g. `node,group` (found: {found})"
        )));
    }
    let node_named = find(headers, NODE);
    let gi = match group_col {
        Some(col) => {
            let Some(gi) = find(headers, &[col]) else {
                return Err(LoadError::Format(format!(
                    "--group-attr {col}: the group file has no column `{col}` (found: {found})"
                )));
            };
            gi
        }
        None => match find(headers, GROUP) {
            Some(gi) => gi,
            None if headers.len() == 2 => {
                // two columns: the group is the one that is not the node
                let ni = node_named.unwrap_or(0);
                let gi = 1 - ni;
                let note = format!(
                    "The group file has no column named {}; `{}` was read as the group and `{}` as the node (found: {found}). Name the group column with --group-attr.",
                    GROUP.join(", "),
                    names[gi],
                    names[ni]
                );
                return Ok((ni, gi, Some(note)));
            }
            None => {
                let suggestion = (0..names.len())
                    .rev()
                    .find(|&i| Some(i) != node_named)
                    .map(|i| format!(", e.g. --group-attr {}", quote_arg(&names[i])))
                    .unwrap_or_default();
                return Err(LoadError::Format(format!(
                    "the group file has no group column: none is named {} (found: {found}); name the column that holds the groups with --group-attr{suggestion}",
                    GROUP.join(", ")
                )));
            }
        },
    };
    if let Some(ni) = find_except(headers, NODE, Some(gi)) {
        return Ok((ni, gi, None));
    }
    if node_named == Some(gi) {
        return Err(LoadError::Format(format!(
            "the column `{}` of the group file is its node column and cannot also be the group (found: {found}); name another column with --group-attr",
            names[gi]
        )));
    }
    // no node column by name: the first other column
    let ni = (0..names.len()).find(|&i| i != gi).unwrap_or(0);
    let note = (headers.len() > 2).then(|| {
        format!(
            "The group file has no column named {}; `{}` was read as the node (found: {found}).",
            NODE.join(", "),
            names[ni]
        )
    });
    Ok((ni, gi, note))
}

/// A column name as it would be typed on a command line.
fn quote_arg(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.') {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Read a CSV group file: a node column (`node`, `id` or `name`) and a group
/// column, `group_col` when given, otherwise one named `group`, `sector`,
/// `org`, `organisation`, `organization` or `club`. Other columns are
/// ignored. A two-column file without those names is read as node, group
/// (with a diagnostic saying so); with more columns and no group column
/// named, or when the node and the group would be the same column, the file
/// is refused with a message listing its headers. Nodes not yet known are
/// added without ties.
pub fn read_groups_csv_column<R: Read>(
    reader: R,
    net: &mut Network,
    group_col: Option<&str>,
) -> Result<(), LoadError> {
    let mut input = CsvInput::open(reader, "group file")?;
    let headers = input.headers()?;
    let (ni, gi, note) = group_file_columns(&headers, group_col, input.delimiter)?;
    if let Some(note) = note {
        net.diagnostics.push(Diagnostic::new("group_columns_guessed", 0, note));
    }
    let known_before = net.node_count();
    let mut rec = csv::ByteRecord::new();
    let (mut bad, mut not_utf8, mut conflicting) = (0u64, 0u64, 0u64);
    let (mut first_bad, mut unreadable, mut first_unreadable) = (0u64, 0u64, 0u64);
    let mut seen = vec![false; known_before];
    loop {
        let line = match input.next(&mut rec, &[ni, gi])? {
            Next::End => break,
            Next::Record(line) => line,
            Next::Unreadable(line) => {
                unreadable += 1;
                if first_unreadable == 0 {
                    first_unreadable = line;
                }
                continue;
            }
        };
        let (node, group) = match (cell(&rec, ni), cell(&rec, gi)) {
            (Cell::Text(n), Cell::Text(g)) => (n, g),
            (Cell::NotUtf8, _) | (_, Cell::NotUtf8) => {
                not_utf8 += 1;
                continue;
            }
            _ => {
                bad += 1;
                if first_bad == 0 {
                    first_bad = line;
                }
                continue;
            }
        };
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
            format!("{bad} row(s) of the group file were incomplete and skipped (the first on line {first_bad})."),
        ));
    }
    if unreadable > 0 {
        net.diagnostics.push(unreadable_diagnostic(unreadable, first_unreadable, "group file"));
    }
    if not_utf8 > 0 {
        net.diagnostics.push(not_utf8_diagnostic(not_utf8, "group file"));
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

/// GML lists nest at most this deep (`graph [ node [ graphics [ … ] ] ]` is
/// three); deeper input is refused rather than followed down the stack.
pub const MAX_GML_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Key(String),
    Str(String),
    Num(String),
    Open,
    Close,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Key(k) => format!("`{k}`"),
            Tok::Str(s) => format!("the string \"{s}\""),
            Tok::Num(n) => format!("the number {n}"),
            Tok::Open => "`[`".to_owned(),
            Tok::Close => "`]`".to_owned(),
        }
    }
}

/// Tokens with the line (from 1) each starts on.
fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, LoadError> {
    let mut toks = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'[' {
            toks.push((Tok::Open, line));
            i += 1;
        } else if c == b']' {
            toks.push((Tok::Close, line));
            i += 1;
        } else if c == b'"' {
            let (start, start_line) = (i + 1, line);
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            if i >= b.len() {
                return Err(LoadError::Format(format!(
                    "GML: the quoted string starting on line {start_line} is not closed"
                )));
            }
            toks.push((Tok::Str(decode_entities(&text[start..i])), start_line));
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
                toks.push((Tok::Num(word.to_owned()), line));
            } else {
                toks.push((Tok::Key(word.to_owned()), line));
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

/// The items of a list, from `*pos` to its `]`. `open` is the key and line of
/// the `[` this list started with (`None` for the whole file), `depth` how
/// many lists enclose it. Recursion is bounded by [`MAX_GML_DEPTH`].
fn parse_list(
    toks: &[(Tok, usize)],
    pos: &mut usize,
    open: Option<(&str, usize)>,
    depth: usize,
) -> Result<Vec<(String, Val)>, LoadError> {
    let mut out = Vec::new();
    while let Some((tok, line)) = toks.get(*pos) {
        match tok {
            Tok::Close => {
                if open.is_none() {
                    return Err(LoadError::Format(format!(
                        "GML: line {line}: `]` without a `[` to close"
                    )));
                }
                *pos += 1;
                return Ok(out);
            }
            Tok::Key(k) => {
                *pos += 1;
                let no_value = || LoadError::Format(format!("GML: line {line}: key `{k}` has no value"));
                let val = match toks.get(*pos) {
                    Some((Tok::Open, open_line)) => {
                        if depth >= MAX_GML_DEPTH {
                            return Err(LoadError::Format(format!(
                                "GML: line {open_line}: lists are nested more than {MAX_GML_DEPTH} deep"
                            )));
                        }
                        *pos += 1;
                        Val::List(parse_list(toks, pos, Some((k, *open_line)), depth + 1)?)
                    }
                    Some((Tok::Str(s) | Tok::Num(s), _)) => {
                        *pos += 1;
                        Val::Scalar(s.clone())
                    }
                    _ => return Err(no_value()),
                };
                out.push((k.clone(), val));
            }
            other => {
                return Err(LoadError::Format(format!(
                    "GML: line {line}: expected a key, found {}",
                    other.describe()
                )));
            }
        }
    }
    match open {
        Some((key, line)) => Err(LoadError::Format(format!(
            "GML: the list `{key} [` opened on line {line} is not closed: the file ends first (is it cut short?)"
        ))),
        None => Ok(out),
    }
}

fn scalar<'a>(items: &'a [(String, Val)], key: &str) -> Option<&'a str> {
    items.iter().find_map(|(k, v)| match v {
        Val::Scalar(s) if k == key => Some(s.as_str()),
        _ => None,
    })
}

/// Read a GML graph. Node names are their `label` when labels are present and
/// unique, otherwise their `id`. With `group_attr`, the node attribute of
/// that name becomes the node's group; when no node has it (a misspelt
/// name), the file is refused with the attributes its nodes have. Edge `weight` (or `value`) is read.
/// A node whose id was used by an earlier node is skipped (diagnostic
/// `gml_duplicate_node_ids`).
pub fn read_gml<R: Read>(
    mut reader: R,
    group_attr: Option<&str>,
    net: &mut Network,
) -> Result<(), LoadError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            return Err(LoadError::Format(format!(
                "GML: line {line} is not UTF-8 text (the file was saved in another encoding, such as Latin-1 or Windows-1252); \
                 open it in a text editor and save it as UTF-8"
            )));
        }
    };
    let toks = tokenize(&text)?;
    let mut pos = 0;
    let top = parse_list(&toks, &mut pos, None, 0)?;
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
    if let Some(attr) = group_attr
        && !nodes.is_empty()
        && nodes.iter().all(|n| scalar(n, attr).is_none())
    {
        let mut keys: Vec<&str> = nodes
            .iter()
            .flat_map(|n| n.iter().filter(|(_, v)| matches!(v, Val::Scalar(_))).map(|(k, _)| k.as_str()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let listed = if keys.is_empty() {
            "none".to_owned()
        } else {
            keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        };
        return Err(LoadError::Format(format!(
            "GML: --group-attr {attr}: no node has an attribute `{attr}` (the nodes' attributes: {listed}); name one of those"
        )));
    }
    let mut by_id = std::collections::HashMap::new();
    let mut missing_attr = 0u64;
    let mut bad_nodes = 0u64;
    let mut duplicate_ids = 0u64;
    for (i, node) in nodes.iter().enumerate() {
        let Some(id) = scalar(node, "id") else {
            bad_nodes += 1;
            continue;
        };
        if by_id.contains_key(id) {
            duplicate_ids += 1;
            continue;
        }
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
    if duplicate_ids > 0 {
        net.diagnostics.push(Diagnostic::new(
            "gml_duplicate_node_ids",
            duplicate_ids,
            format!("{duplicate_ids} GML node(s) repeat the id of an earlier node and were skipped; edges naming that id go to the first node with it."),
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

/// Days in a month of the proleptic Gregorian calendar (February 29 in leap years).
pub fn days_in_month(y: i64, m: u32) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// 3000-01-01T00:00:00Z in unix seconds: a plain number above this is not
/// a date in seconds that interaction data can hold, but it is one in
/// milliseconds (1700000000000 is 2023-11-14 in milliseconds, and the year
/// 55840 in seconds).
pub const YEAR_3000: i64 = 32_503_680_000;

/// The unit a plain-number timestamp was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Unix seconds, or a written date.
    Seconds,
    /// A number above [`YEAR_3000`], read as unix milliseconds.
    Milliseconds,
}

/// Parse a timestamp: unix seconds (integer or decimal), RFC 3339
/// (`2024-03-05T10:00:00Z`, `…+01:00`, fractional seconds, space instead of `T`)
/// or a date `YYYY-MM-DD`. Returns unix seconds. A number too large for a
/// date before the year 3000 in seconds is read as milliseconds; one that is
/// too large for that too (microseconds, nanoseconds) or before the year 1
/// is not read, and neither is a date that does not exist (`2026-02-30`).
pub fn parse_time(s: &str) -> Option<i64> {
    read_time(s).map(|(t, _)| t)
}

/// As [`parse_time`], saying whether a number was read as milliseconds.
pub fn read_time(s: &str) -> Option<(i64, TimeUnit)> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
        && !s[1..].contains('-')
    {
        /// 0001-01-01T00:00:00Z in unix seconds.
        const YEAR_1: f64 = -62_135_596_800.0;
        let x = s.parse::<f64>().ok().filter(|x| x.is_finite())?;
        if x < YEAR_1 {
            return None;
        }
        if x < YEAR_3000 as f64 {
            return Some((x.floor() as i64, TimeUnit::Seconds));
        }
        let secs = (x / 1000.0).floor();
        return (secs < YEAR_3000 as f64).then_some((secs as i64, TimeUnit::Milliseconds));
    }
    parse_written_time(s).map(|t| (t, TimeUnit::Seconds))
}

/// RFC 3339 or `YYYY-MM-DD`, trimmed and not empty.
fn parse_written_time(s: &str) -> Option<i64> {
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
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo as u32) {
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
