//! Loading conversations (Pol.is openData CSV layout, Pol.is API JSON dumps)
//! and writing the openData layout.
//!
//! Broken rows are skipped and reported in [`LoadReport`]; a missing file or
//! column that the format cannot do without is an error, and so is text
//! that is not UTF-8 in a column that is read (a file saved as UTF-16 or
//! Windows-1252): the other columns (a statement's text, say) are never
//! decoded, so they may hold anything.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::table::{VoteSink, VoteTable};
use crate::{Config, Engine, Moderation, StatementMeta, Vote, VoteEvent};

#[derive(Debug)]
pub enum LoadError {
    Io { path: PathBuf, source: std::io::Error },
    NoVotes { dir: PathBuf },
    MissingColumn { path: PathBuf, column: &'static str, found: Vec<String> },
    Csv { path: PathBuf, message: String },
    Json { path: PathBuf, message: String },
    /// Text the loader must read is not UTF-8 (the message says what to do).
    Encoding { path: PathBuf, message: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            LoadError::NoVotes { dir } => write!(
                f,
                "{} has neither votes.csv nor participants-votes.csv (the Pol.is openData layout), nor votes.json and comments.json (a Pol.is API dump)",
                dir.display()
            ),
            LoadError::MissingColumn { path, column, found } => {
                write!(f, "{} has no column \"{column}\" (columns: {})", path.display(), found.join(", "))
            }
            LoadError::Csv { path, message } => write!(f, "{}: {message}", path.display()),
            LoadError::Json { path, message } => write!(f, "{}: {message}", path.display()),
            LoadError::Encoding { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {}

/// A row that was skipped, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedRow {
    pub file: String,
    /// 1-based line of the record in the file (header = 1), when known.
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    pub skipped: Vec<SkippedRow>,
    pub warnings: Vec<String>,
}

impl LoadReport {
    fn skip(&mut self, file: &str, line: u64, reason: impl Into<String>) {
        self.skipped.push(SkippedRow { file: file.to_owned(), line, reason: reason.into() });
    }
}

/// Where the votes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VotesSource {
    /// `votes.csv`: vote events with timestamps (history can be replayed).
    VoteEvents,
    /// `participants-votes.csv`: the final matrix only.
    FinalMatrix,
    /// Pol.is API `votes.json`.
    ApiJson,
}

/// A loaded conversation. Its votes are a list of [`VoteEvent`]s, or, from
/// [`load_compact`], a [`VoteTable`] (16 bytes a vote, each distinct id held
/// in the table rather than once per vote: for large conversations).
#[derive(Debug, Clone)]
pub struct Dataset<V = Vec<VoteEvent>> {
    /// Statements in id order (numeric ids numerically).
    pub statements: Vec<(String, StatementMeta)>,
    pub votes: V,
    pub source: VotesSource,
    /// Pol.is's own group per participant from `participants-votes.csv`
    /// (None = not in a group).
    pub polis_groups: Vec<(String, Option<String>)>,
    pub report: LoadReport,
}

impl<V> Dataset<V> {
    /// A fresh engine holding the statements (but no votes).
    pub fn engine(&self, config: Config) -> Engine {
        let mut e = Engine::new(config);
        for (id, meta) in &self.statements {
            e.upsert_statement(id, *meta);
        }
        e
    }

    /// Flags statements as Pol.is metadata statements ("I live in a town",
    /// "I am 55 or older": a participant's situation, not a view). Pol.is
    /// zeroes them in the PCA like rejected statements. openData exports made
    /// before the `is-meta` column existed lose this flag; this restores it.
    /// Returns the ids that name no statement (nothing is changed for those).
    pub fn mark_meta<S: AsRef<str>>(&mut self, ids: &[S]) -> Vec<String> {
        let mut unknown = Vec::new();
        for id in ids {
            let id = id.as_ref().trim();
            if id.is_empty() {
                continue;
            }
            match self.statements.iter_mut().find(|(s, _)| s == id) {
                Some((_, meta)) => meta.is_meta = true,
                None => unknown.push(id.to_owned()),
            }
        }
        unknown
    }
}

impl Dataset {
    /// True when every vote has a timestamp.
    pub fn has_times(&self) -> bool {
        !self.votes.is_empty() && self.votes.iter().all(|v| v.time.is_some())
    }

    /// Distinct participants in the votes.
    pub fn n_participants(&self) -> usize {
        self.votes.iter().map(|v| v.participant.as_str()).collect::<HashSet<_>>().len()
    }
}

impl Dataset<VoteTable> {
    /// True when every vote has a timestamp.
    pub fn has_times(&self) -> bool {
        !self.votes.is_empty() && self.votes.untimed() == 0
    }
}

/// Reads a metadata-statement annotation: a CSV with the columns
/// `conversation` (folder name), `meta-statements` (statement ids separated by
/// spaces) and `why`. Returns the ids per conversation (rows naming the same
/// conversation add up).
pub fn read_meta_annotations(path: &Path) -> Result<BTreeMap<String, Vec<String>>, LoadError> {
    let (mut rdr, headers) = open_csv(path)?;
    let (c_conv, c_ids) = (column(path, &headers, "conversation")?, column(path, &headers, "meta-statements")?);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rec = csv::ByteRecord::new();
    let mut n = 0;
    while next_record(&mut rdr, &mut rec).map_err(|e| LoadError::Csv { path: path.to_owned(), message: e.to_string() })? {
        n += 1;
        let line = rec.position().map_or(n + 1, csv::Position::line);
        let conv = text(path, line, &rec, c_conv, "conversation")?.unwrap_or_default().trim().to_owned();
        let ids = text(path, line, &rec, c_ids, "meta-statements")?.unwrap_or_default();
        out.entry(conv).or_default().extend(ids.split_whitespace().map(str::to_owned));
    }
    Ok(out)
}

/// Numeric-aware id order: numbers by value first, then other strings. Ids
/// of equal value ("1", "01", "+1") are ordered as plain strings, so the
/// order is total and never depends on the order they came in.
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// What to do about a file that is not UTF-8, said once per file.
const SAVE_AS_UTF8: &str = "save it as UTF-8 (in Excel: \"CSV UTF-8 (Comma delimited)\"; in LibreOffice: character set \"Unicode (UTF-8)\") and run this again";

/// Opens a CSV file and reads its header. A file that starts with a UTF-16
/// (or UTF-32) byte order mark, or whose first line holds NUL bytes, is
/// refused with what to do about it: read as UTF-8 it is one column of
/// noise. Records are read as bytes ([`next_record`]); only the columns
/// used are decoded ([`text`]).
fn open_csv(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>), LoadError> {
    use std::io::Read;
    let io = |e| LoadError::Io { path: path.to_owned(), source: e };
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path).map_err(io)?.take(512).read_to_end(&mut head).map_err(io)?;
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let utf16 = if head.starts_with(&[0xFF, 0xFE]) {
        Some("UTF-16 (little-endian: it starts with the byte order mark FF FE)")
    } else if head.starts_with(&[0xFE, 0xFF]) || head.starts_with(&[0, 0, 0xFE, 0xFF]) {
        Some("UTF-16 (big-endian: it starts with the byte order mark FE FF)")
    } else if first_line.contains(&0) {
        Some("UTF-16 without a byte order mark, or not text at all (its first line holds NUL bytes)")
    } else {
        None
    };
    if let Some(what) = utf16 {
        return Err(LoadError::Encoding { path: path.to_owned(), message: format!("the file is {what}, not UTF-8: {SAVE_AS_UTF8}") });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let headers = r.byte_headers().map_err(|e| LoadError::Csv { path: path.to_owned(), message: e.to_string() })?;
    // A header that is not UTF-8 is no column the loader looks for; it is
    // shown (when a column is missing) with U+FFFD for what it cannot read.
    let headers = headers.iter().map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_owned()).collect();
    Ok((r, headers))
}

/// Reads the next record into `rec`; false at the end of the file.
fn next_record(r: &mut csv::Reader<std::fs::File>, rec: &mut csv::ByteRecord) -> csv::Result<bool> {
    r.read_byte_record(rec)
}

/// Field `col` of a record as text (None when the record is shorter). A
/// field that is not UTF-8 is an error for the whole file: it says which
/// line and column, and what to do.
fn text<'r>(path: &Path, line: u64, rec: &'r csv::ByteRecord, col: usize, column: &str) -> Result<Option<&'r str>, LoadError> {
    let Some(bytes) = rec.get(col) else { return Ok(None) };
    std::str::from_utf8(bytes).map(Some).map_err(|_| LoadError::Encoding {
        path: path.to_owned(),
        message: format!(
            "line {line}: the \"{column}\" column is not UTF-8 text (the file may be saved as Windows-1252 or Latin-1, as Excel on Windows saves CSV): {SAVE_AS_UTF8}"
        ),
    })
}

/// The index of a column the loader needs. When it is missing and the
/// header is not UTF-8, that is what is said.
fn column(path: &Path, headers: &[String], name: &'static str) -> Result<usize, LoadError> {
    headers.iter().position(|h| h == name).ok_or_else(|| {
        if headers.iter().any(|h| h.contains('\u{FFFD}')) {
            LoadError::Encoding {
                path: path.to_owned(),
                message: format!("line 1: the header is not UTF-8 text, and no column of it is \"{name}\": {SAVE_AS_UTF8}"),
            }
        } else {
            LoadError::MissingColumn { path: path.to_owned(), column: name, found: headers.to_vec() }
        }
    })
}

/// A whole number: an integer, or a float with no fractional part ("1.0"),
/// within i64 (a value outside is refused, not saturated).
fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    s.parse::<i64>().ok().or_else(|| s.parse::<f64>().ok().and_then(whole))
}

/// `f` as an i64 when it is a whole number within i64's range.
fn whole(f: f64) -> Option<i64> {
    // 2^63 is exact in f64; i64::MIN = −2^63 is in range, 2^63 is not.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" => Some(true),
        "false" | "f" | "0" | "no" | "" => Some(false),
        _ => None,
    }
}

/// Watches a CSV file's records for a quote (`"`) left open: the rows after
/// it become one field, up to the next quote or the end of the file, and
/// the reader has nothing to refuse. Warns (in [`LoadReport::warnings`])
/// about a field that runs over several lines holding what look like rows
/// of the file (as many commas as the header has, less one), and about a
/// file that ends inside a quoted field. Only warnings: what is read is
/// read as before.
struct QuoteWatch {
    file: &'static str,
    columns: usize,
    /// The line of the last record read, when its last field ran over
    /// several lines (it may have run to the end of the file), and the
    /// warning it would get otherwise.
    last: Option<(u64, Option<String>)>,
}

impl QuoteWatch {
    fn new(file: &'static str, columns: usize) -> QuoteWatch {
        QuoteWatch { file, columns, last: None }
    }

    fn record(&mut self, line: u64, rec: &csv::ByteRecord, report: &mut LoadReport) {
        if let Some((_, Some(w))) = self.last.take() {
            report.warnings.push(w);
        }
        let mut warning = None;
        // Only the lines and commas are counted, so a field that is not
        // UTF-8 is read as far as it can be.
        for field in rec.iter().filter(|f| f.contains(&b'\n')) {
            let field = String::from_utf8_lossy(field);
            let lines = field.lines().count();
            let rows = field.lines().skip(1).filter(|l| self.columns >= 2 && l.matches(',').count() + 1 >= self.columns).count();
            if rows > 0 {
                warning = Some(format!(
                    "{} line {line}: a quoted field runs over {lines} lines, {rows} of which look like rows of their own: is a quote (\") left open there? \
                     Those rows were read as part of that field, not as rows",
                    self.file
                ));
                break;
            }
        }
        if rec.iter().next_back().is_some_and(|f| f.contains(&b'\n')) {
            self.last = Some((line, warning));
        } else if let Some(w) = warning {
            report.warnings.push(w);
        }
    }

    /// After the last record: `path` is the file read.
    fn finish(&mut self, path: &Path, report: &mut LoadReport) {
        let Some((line, warning)) = self.last.take() else { return };
        if ends_inside_quote(path) {
            report.warnings.push(format!(
                "{} line {line}: the file ends inside a quoted field that starts there: a quote (\") is left open, \
                 and every line after it was read as that one field",
                self.file
            ));
        } else if let Some(w) = warning {
            report.warnings.push(w);
        }
    }
}

/// Whether a file's last character (blank space aside) is not a closing
/// quote; read from its last few bytes. False when it cannot be read.
fn ends_inside_quote(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    let Ok(len) = f.seek(SeekFrom::End(0)) else { return false };
    let mut tail = Vec::new();
    if f.seek(SeekFrom::Start(len.saturating_sub(64))).is_err() || f.read_to_end(&mut tail).is_err() {
        return false;
    }
    tail.iter().rev().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'"')
}

/// Reads records one by one into a reused buffer, with the record's line
/// (the header is line 1), skipping (and reporting) unreadable ones and
/// telling the [`QuoteWatch`] about the others.
struct Rows<'a> {
    reader: csv::Reader<std::fs::File>,
    rec: csv::ByteRecord,
    n: u64,
    file: &'static str,
    quotes: Option<QuoteWatch>,
    report: &'a mut LoadReport,
}

impl<'a> Rows<'a> {
    fn new(reader: csv::Reader<std::fs::File>, file: &'static str, quotes: Option<QuoteWatch>, report: &'a mut LoadReport) -> Rows<'a> {
        Rows { reader, rec: csv::ByteRecord::new(), n: 0, file, quotes, report }
    }

    /// The next readable record's line, or None at the end of the file.
    fn next(&mut self) -> Option<u64> {
        loop {
            self.n += 1;
            let line = self.n + 1;
            match next_record(&mut self.reader, &mut self.rec) {
                Ok(false) => return None,
                Ok(true) => {
                    let line = self.rec.position().map_or(line, csv::Position::line);
                    if let Some(q) = &mut self.quotes {
                        q.record(line, &self.rec, self.report);
                    }
                    return Some(line);
                }
                Err(e) => {
                    // A read error that is not about one record (the disk)
                    // would repeat for ever: the file ends there.
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        self.report.skip(self.file, line, format!("the rest of the file could not be read: {e}"));
                        return None;
                    }
                    let line = e.position().map_or(line, csv::Position::line);
                    self.report.skip(self.file, line, format!("unreadable row: {e}"));
                }
            }
        }
    }

    fn finish(mut self, path: &Path) {
        if let Some(q) = &mut self.quotes {
            q.finish(path, self.report);
        }
    }
}

/// Reads `comments.csv`. Only `comment-id`, `moderated` and `is-meta` are
/// read: the statement's text may be in any encoding.
pub fn read_comments_csv(path: &Path, report: &mut LoadReport) -> Result<Vec<(String, StatementMeta)>, LoadError> {
    let (r, headers) = open_csv(path)?;
    let file = "comments.csv";
    let c_id = column(path, &headers, "comment-id")?;
    let c_mod = headers.iter().position(|h| h == "moderated");
    let c_meta = headers.iter().position(|h| h == "is-meta");
    if c_mod.is_none() {
        report.warnings.push(format!("{file} has no \"moderated\" column: every statement counts as unmoderated"));
    }
    let mut out: Vec<(String, StatementMeta)> = Vec::new();
    let mut seen = HashSet::new();
    let mut empty_moderated: Vec<String> = Vec::new();
    let mut rows = Rows::new(r, file, Some(QuoteWatch::new(file, headers.len())), report);
    while let Some(line) = rows.next() {
        let rec = &rows.rec;
        let Some(id) = text(path, line, rec, c_id, "comment-id")?.map(str::trim).filter(|s| !s.is_empty()) else {
            rows.report.skip(file, line, "no comment-id");
            continue;
        };
        let moderation = match c_mod {
            None => Moderation::Unmoderated,
            Some(c) => match text(path, line, rec, c, "moderated")?.map(str::trim) {
                None | Some("") => {
                    // Counted as not moderated (0); said once for all below.
                    empty_moderated.push(id.to_owned());
                    Moderation::Unmoderated
                }
                Some(v) => match parse_int(v) {
                    Some(v @ -1..=1) => Moderation::from_polis(v),
                    _ => {
                        rows.report.skip(file, line, format!("comment {id}: \"moderated\" is \"{v}\", not -1, 0 or 1"));
                        continue;
                    }
                },
            },
        };
        let is_meta = match c_meta {
            None => false,
            Some(c) => match text(path, line, rec, c, "is-meta")?.map(parse_bool) {
                Some(Some(b)) => b,
                _ => {
                    rows.report.skip(file, line, format!("comment {id}: \"is-meta\" is not true/false"));
                    continue;
                }
            },
        };
        if !seen.insert(id.to_owned()) {
            rows.report.skip(file, line, format!("comment {id} appears twice; the first row is kept"));
            continue;
        }
        out.push((id.to_owned(), StatementMeta { moderation, is_meta }));
    }
    rows.finish(path);
    if !empty_moderated.is_empty() {
        let n = empty_moderated.len();
        empty_moderated.truncate(5);
        report.warnings.push(format!("{file}: {n} statements have an empty \"moderated\" cell and count as unmoderated (0), e.g. comment {}", empty_moderated.join(", ")));
    }
    out.sort_by(|a, b| id_order(&a.0, &b.0));
    Ok(out)
}

/// Reads `votes.csv` (one row per vote event, +1 agree / −1 disagree / 0 pass).
pub fn read_votes_csv(path: &Path, report: &mut LoadReport) -> Result<Vec<VoteEvent>, LoadError> {
    let mut votes = Vec::new();
    read_votes_into(path, report, &mut votes)?;
    Ok(votes)
}

/// Reads `votes.csv` into `out`: only `comment-id`, `voter-id`, `vote` and
/// `timestamp` are read.
pub fn read_votes_into<V: VoteSink>(path: &Path, report: &mut LoadReport, out: &mut V) -> Result<(), LoadError> {
    let (r, headers) = open_csv(path)?;
    let file = "votes.csv";
    let c_stmt = column(path, &headers, "comment-id")?;
    let c_voter = column(path, &headers, "voter-id")?;
    let c_vote = column(path, &headers, "vote")?;
    let c_time = headers.iter().position(|h| h == "timestamp");
    let mut rows = Rows::new(r, file, Some(QuoteWatch::new(file, headers.len())), report);
    while let Some(line) = rows.next() {
        let rec = &rows.rec;
        let (s, p, v) = (text(path, line, rec, c_stmt, "comment-id")?, text(path, line, rec, c_voter, "voter-id")?, text(path, line, rec, c_vote, "vote")?);
        let (Some(s), Some(p), Some(v)) = (s, p, v) else {
            rows.report.skip(file, line, "too few fields");
            continue;
        };
        let (s, p) = (s.trim(), p.trim());
        if s.is_empty() || p.is_empty() {
            rows.report.skip(file, line, "empty comment-id or voter-id");
            continue;
        }
        let Some(vote) = parse_int(v).and_then(Vote::from_export_sign) else {
            rows.report.skip(file, line, format!("vote \"{}\" is not 1, -1 or 0", v.trim()));
            continue;
        };
        let time = match c_time {
            None => None,
            Some(c) => match text(path, line, rec, c, "timestamp")?.map(str::trim) {
                None | Some("") => None,
                Some(t) => match parse_int(t) {
                    Some(t) => Some(t),
                    None => {
                        rows.report.skip(file, line, format!("timestamp \"{t}\" is not a whole number within range"));
                        continue;
                    }
                },
            },
        };
        if !out.push_vote(p, s, vote, time) {
            rows.report.skip(file, line, "more distinct participants or statements than can be held");
        }
    }
    rows.finish(path);
    Ok(())
}

const PV_FIXED: [&str; 7] = ["participant", "xid", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"];

/// Reads `participants-votes.csv`: (votes, Pol.is group per participant).
#[allow(clippy::type_complexity)]
pub fn read_participants_votes_csv(path: &Path, report: &mut LoadReport) -> Result<(Vec<VoteEvent>, Vec<(String, Option<String>)>), LoadError> {
    let mut votes = Vec::new();
    let groups = read_participants_votes_into(path, report, Some(&mut votes))?;
    Ok((votes, groups))
}

/// Reads `participants-votes.csv`: the Pol.is group per participant, and
/// the votes into `votes` when given (a row with a vote that cannot be read
/// is skipped either way). Only `participant`, `group-id` and the
/// statements' columns are read.
#[allow(clippy::type_complexity)]
pub fn read_participants_votes_into<V: VoteSink>(path: &Path, report: &mut LoadReport, mut votes: Option<&mut V>) -> Result<Vec<(String, Option<String>)>, LoadError> {
    let (r, headers) = open_csv(path)?;
    let file = "participants-votes.csv";
    let c_p = column(path, &headers, "participant")?;
    let c_g = headers.iter().position(|h| h == "group-id");
    let stmt_cols: Vec<(usize, String)> = headers.iter().enumerate().filter(|(_, h)| !PV_FIXED.contains(&h.as_str()) && !h.is_empty()).map(|(i, h)| (i, h.clone())).collect();
    let mut groups = Vec::new();
    let mut seen = HashSet::new();
    let mut row_votes: Vec<(usize, Vote)> = Vec::new();
    let mut rows = Rows::new(r, file, None, report);
    while let Some(line) = rows.next() {
        let rec = &rows.rec;
        if rec.len() != headers.len() {
            rows.report.skip(file, line, format!("{} fields, the header has {}", rec.len(), headers.len()));
            continue;
        }
        let Some(p) = text(path, line, rec, c_p, "participant")?.map(str::trim).filter(|s| !s.is_empty()) else {
            rows.report.skip(file, line, "empty participant");
            continue;
        };
        let mut bad = None;
        row_votes.clear();
        for (i, (c, sid)) in stmt_cols.iter().enumerate() {
            let cell = text(path, line, rec, *c, sid)?.unwrap_or("").trim();
            if cell.is_empty() {
                continue;
            }
            match parse_int(cell).and_then(Vote::from_export_sign) {
                Some(vote) => row_votes.push((i, vote)),
                None => {
                    bad = Some(format!("participant {p}, comment {sid}: vote \"{cell}\" is not 1, -1 or 0"));
                    break;
                }
            }
        }
        if let Some(reason) = bad {
            rows.report.skip(file, line, reason);
            continue;
        }
        if !seen.insert(p.to_owned()) {
            rows.report.skip(file, line, format!("participant {p} appears twice; the first row is kept"));
            continue;
        }
        if let Some(out) = votes.as_deref_mut() {
            for &(i, vote) in &row_votes {
                out.push_vote(p, &stmt_cols[i].1, vote, None);
            }
        }
        let g = match c_g {
            Some(c) => text(path, line, rec, c, "group-id")?.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            None => None,
        };
        groups.push((p.to_owned(), g));
    }
    rows.finish(path);
    Ok(groups)
}

/// Loads a directory in the Pol.is openData layout: `comments.csv` plus
/// `votes.csv` and/or `participants-votes.csv`. When both vote files exist,
/// the events of `votes.csv` are used (they carry times) and
/// `participants-votes.csv` supplies Pol.is's groups; if it cannot be read
/// (a missing `participant` column, say) that is a warning, not an error.
pub fn load_opendata(dir: &Path) -> Result<Dataset, LoadError> {
    load_opendata_into(dir)
}

/// [`load_opendata`], the votes held as a [`VoteTable`] (16 bytes a vote,
/// each distinct id held in the table rather than once per vote) for large
/// conversations.
pub fn load_opendata_compact(dir: &Path) -> Result<Dataset<VoteTable>, LoadError> {
    load_opendata_into(dir)
}

/// Loads a conversation folder in either layout it may come in, the votes
/// as a [`VoteTable`]: the Pol.is openData layout ([`load_opendata`]) or,
/// when the folder has neither `votes.csv` nor `participants-votes.csv`
/// but has `votes.json` and `comments.json`, a Pol.is API dump
/// ([`load_polis_api`]).
pub fn load_compact(dir: &Path) -> Result<Dataset<VoteTable>, LoadError> {
    let csv = ["votes.csv", "participants-votes.csv"].iter().any(|f| dir.join(f).exists());
    let api = ["votes.json", "comments.json"].iter().all(|f| dir.join(f).exists());
    if csv || !api {
        return load_opendata_compact(dir);
    }
    load_polis_api_into(dir)
}

fn load_opendata_into<V: VoteSink>(dir: &Path) -> Result<Dataset<V>, LoadError> {
    let mut report = LoadReport::default();
    let votes_p = dir.join("votes.csv");
    let pv_p = dir.join("participants-votes.csv");
    let comments_p = dir.join("comments.csv");
    if !dir.is_dir() {
        return Err(LoadError::Io { path: dir.to_owned(), source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory") });
    }
    let mut votes = V::default();
    let source = if votes_p.exists() {
        read_votes_into(&votes_p, &mut report, &mut votes)?;
        VotesSource::VoteEvents
    } else if pv_p.exists() {
        VotesSource::FinalMatrix
    } else {
        return Err(LoadError::NoVotes { dir: dir.to_owned() });
    };
    let polis_groups = if !pv_p.exists() {
        Vec::new()
    } else if source == VotesSource::FinalMatrix {
        read_participants_votes_into(&pv_p, &mut report, Some(&mut votes))?
    } else {
        // Only Pol.is's groups come from it: one that cannot be read costs
        // the comparison with them, not the analysis.
        match read_participants_votes_into::<V>(&pv_p, &mut report, None) {
            Ok(groups) => groups,
            Err(e) => {
                report.warnings.push(format!("{e}; the votes come from votes.csv, and Pol.is's own groups are left out"));
                Vec::new()
            }
        }
    };
    let statements = if comments_p.exists() {
        read_comments_csv(&comments_p, &mut report)?
    } else {
        report.warnings.push("no comments.csv: statements are taken from the votes and count as unmoderated".into());
        Vec::new()
    };
    let mut statements = statements;
    let known: HashSet<&str> = statements.iter().map(|s| s.0.as_str()).collect();
    let mut extra: Vec<String> =
        votes.voted_statements().into_iter().filter(|s| !known.contains(s)).collect::<BTreeSet<_>>().into_iter().map(str::to_owned).collect();
    if !extra.is_empty() && comments_p.exists() {
        report.warnings.push(format!("{} statements have votes but no row in comments.csv; their votes are ignored", extra.len()));
        extra.clear();
    }
    statements.extend(extra.into_iter().map(|id| (id, StatementMeta::default())));
    statements.sort_by(|a, b| id_order(&a.0, &b.0));
    Ok(Dataset { statements, votes, source, polis_groups, report })
}

fn json_file(path: &Path) -> Result<serde_json::Value, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io { path: path.to_owned(), source: e })?;
    serde_json::from_str(&text).map_err(|e| LoadError::Json { path: path.to_owned(), message: e.to_string() })
}

fn json_id(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => Some(n.as_i64().map_or_else(|| n.to_string(), |i| i.to_string())),
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A whole number (1, 1.0, "1"); a fractional one (0.5) is not one.
fn json_int(v: Option<&serde_json::Value>) -> Option<i64> {
    match v? {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(whole)),
        serde_json::Value::String(s) => parse_int(s),
        _ => None,
    }
}

/// A time in milliseconds: a fraction of a millisecond is dropped (it only
/// orders votes).
fn json_time(v: Option<&serde_json::Value>) -> Option<i64> {
    let floor = |f: f64| whole(f.floor());
    match v? {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(floor)),
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok().or_else(|| s.trim().parse::<f64>().ok().and_then(floor)),
        _ => None,
    }
}

/// The top-level array of a Pol.is API dump.
fn json_array<'a>(path: &Path, v: &'a serde_json::Value) -> Result<&'a [serde_json::Value], LoadError> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| {
        let found = match v {
            serde_json::Value::Object(_) => "an object",
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "an array",
        };
        LoadError::Json { path: path.to_owned(), message: format!("expected an array at the top level, found {found}") }
    })
}

/// Loads Pol.is API dumps: `votes.json` and `comments.json` (as in the
/// red-dwarf fixtures: keys `pid`/`tid`/`mod` or
/// `participant_id`/`statement_id`/`moderated`). The vote sign is detected
/// against the comments' `agree_count` (raw API dumps use the database sign,
/// agree = −1) and reported as a warning.
pub fn load_polis_api(dir: &Path) -> Result<Dataset, LoadError> {
    load_polis_api_into(dir)
}

/// [`load_polis_api`] into any [`VoteSink`]. `votes.json` is streamed: one
/// vote object at a time is parsed and put in the sink, so a
/// [`VoteTable`] holds a dump of millions of votes in about 16 bytes a vote
/// (the whole file parsed at once took about 0.9 KB a vote). The sign is
/// detected from counts kept per statement while reading, and the sink's
/// agrees and disagrees swapped afterwards when it is the database sign.
fn load_polis_api_into<V: VoteSink>(dir: &Path) -> Result<Dataset<V>, LoadError> {
    let vp = dir.join("votes.json");
    let cp = dir.join("comments.json");
    // The votes' skipped rows are reported after the comments', as they
    // were when both files were parsed before either was read.
    let mut vote_report = LoadReport::default();
    let mut votes = V::default();
    // Per statement: votes +1 and votes −1, as read.
    let mut signs: HashMap<String, (i64, i64)> = HashMap::new();
    stream_json_array(&vp, |i, v| {
        let p = v.get("pid").or_else(|| v.get("participant_id")).and_then(json_id);
        let s = v.get("tid").or_else(|| v.get("statement_id")).and_then(json_id);
        let time = json_time(v.get("modified"));
        let (Some(p), Some(s)) = (p, s) else {
            vote_report.skip("votes.json", i as u64, "missing pid or tid");
            return;
        };
        // Exactly -1, 0 or 1: a fraction (0.5) is not rounded to a vote.
        let read = json_int(v.get("vote")).and_then(|val| Some((val, Vote::from_export_sign(val)?)));
        let Some((val, vote)) = read else {
            let shown = v.get("vote").map_or_else(|| "missing".to_owned(), serde_json::Value::to_string);
            vote_report.skip("votes.json", i as u64, format!("participant {p}, comment {s}: vote {shown} is not -1, 0 or 1"));
            return;
        };
        if val != 0 {
            let count = match signs.get_mut(s.as_str()) {
                Some(c) => c,
                None => signs.entry(s.clone()).or_default(),
            };
            if val == 1 { count.0 += 1 } else { count.1 += 1 }
        }
        if !votes.push_vote(&p, &s, vote, time) {
            vote_report.skip("votes.json", i as u64, "more distinct participants or statements than can be held");
        }
    })?;
    let comments_v = json_file(&cp)?;
    let mut report = LoadReport::default();
    let mut statements = Vec::new();
    let mut agree_counts: HashMap<String, i64> = HashMap::new();
    for (i, c) in json_array(&cp, &comments_v)?.iter().enumerate() {
        let Some(id) = c.get("tid").or_else(|| c.get("statement_id")).and_then(json_id) else {
            report.skip("comments.json", i as u64, "no tid");
            continue;
        };
        let m = match c.get("mod").or_else(|| c.get("moderated")) {
            None | Some(serde_json::Value::Null) => 0,
            Some(v) => match json_int(Some(v)) {
                Some(m @ -1..=1) => m,
                _ => {
                    report.skip("comments.json", i as u64, format!("comment {id}: mod {v} is not -1, 0 or 1"));
                    continue;
                }
            },
        };
        let is_meta = c.get("is_meta").and_then(serde_json::Value::as_bool).unwrap_or(false);
        if let Some(a) = json_int(c.get("agree_count")) {
            agree_counts.insert(id.clone(), a);
        }
        statements.push((id, StatementMeta { moderation: Moderation::from_polis(m), is_meta }));
    }
    drop(comments_v);
    statements.sort_by(|a, b| id_order(&a.0, &b.0));
    report.skipped.append(&mut vote_report.skipped);
    // Sign detection: which sign makes "+1 = agree" match agree_count?
    let err = |agree: fn(&(i64, i64)) -> i64| {
        agree_counts.iter().map(|(s, a)| (signs.get(s.as_str()).map_or(0, agree) - a).abs()).sum::<i64>()
    };
    let db_sign = err(|c| c.1) < err(|c| c.0);
    if db_sign {
        report.warnings.push("votes.json uses the Pol.is database sign (agree = -1); flipped".into());
        votes.flip_agree_disagree();
    }
    Ok(Dataset { statements, votes, source: VotesSource::ApiJson, polis_groups: Vec::new(), report })
}

/// Reads a JSON file whose top level is an array one element at a time,
/// calling `each` with each element's index and value: the file is never
/// held whole. Anything but an array at the top level is refused as
/// [`json_array`] refuses it.
fn stream_json_array(path: &Path, each: impl FnMut(usize, serde_json::Value)) -> Result<(), LoadError> {
    use serde::Deserializer as _;
    let file = std::fs::File::open(path).map_err(|e| LoadError::Io { path: path.to_owned(), source: e })?;
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let found = std::cell::Cell::new(None);
    let read = de.deserialize_any(ArrayVisitor { each, found: &found }).and_then(|()| de.end());
    read.map_err(|e| match found.get() {
        Some(found) => LoadError::Json { path: path.to_owned(), message: format!("expected an array at the top level, found {found}") },
        None if e.is_io() => LoadError::Io { path: path.to_owned(), source: e.into() },
        None => LoadError::Json { path: path.to_owned(), message: e.to_string() },
    })
}

/// The visitor of [`stream_json_array`]: what the top level is, when it is
/// not an array, goes in `found`.
struct ArrayVisitor<'a, F> {
    each: F,
    found: &'a std::cell::Cell<Option<&'static str>>,
}

impl<F> ArrayVisitor<'_, F> {
    fn not_an_array<E: serde::de::Error>(self, found: &'static str) -> Result<(), E> {
        self.found.set(Some(found));
        Err(E::custom(format!("expected an array at the top level, found {found}")))
    }
}

impl<'de, F: FnMut(usize, serde_json::Value)> serde::de::Visitor<'de> for ArrayVisitor<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            (self.each)(i, v);
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        self.not_an_array("an object")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.not_an_array("null")
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.not_an_array("a boolean")
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.not_an_array("a number")
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.not_an_array("a number")
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.not_an_array("a number")
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.not_an_array("a string")
    }
}

/// A statement for export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportStatement {
    pub id: String,
    pub author: String,
    pub text: String,
    /// Unix milliseconds.
    pub created_ms: i64,
    pub meta: StatementMeta,
}

/// "2024-05-03T01:02:03Z" from unix milliseconds (proleptic Gregorian, UTC).
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Writes `comments.csv` and `votes.csv` in the openData layout (export sign,
/// +1 = agree), so a conversation made here can be read by Pol.is tooling and
/// by [`load_opendata`]. `agrees`/`disagrees` count every vote row, as Pol.is's
/// exporter does.
///
/// Each file is written under a new temporary name in `dir` and renamed into
/// place only once both are written, so a failure (a full disk) leaves the
/// files that were there before, not a new `comments.csv` beside an old or
/// missing `votes.csv`. An error names the file.
///
/// `dir` may be a folder others can reach (a shared folder), so nothing
/// another user planted there is followed or changed:
/// - the temporary files have names no one can guess, and are made new
///   (`create_new`: an existing file, or a symbolic link planted under that
///   name, dangling or not, is never opened; another name is tried);
/// - a `comments.csv` or `votes.csv` that is a symbolic link is refused
///   (nothing is replaced), rather than replaced by the file it points to
///   going on as a link;
/// - on Unix, a folder that another user (root aside) owns, or that others
///   may write in without the sticky bit (mode `o+w` or `g+w` without `+t`),
///   is refused with nothing left in it: someone else could swap the files
///   once written, or before they are renamed into place.
///
/// On Unix the files are `0600` and the folders this makes (`dir` and any
/// missing above it) `0700`: only their owner reads them. A folder that is
/// already there keeps its mode.
pub fn write_opendata(dir: &Path, statements: &[ExportStatement], votes: &[VoteEvent]) -> std::io::Result<()> {
    let mut folders = std::fs::DirBuilder::new();
    folders.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folders, 0o700);
    folders.create(dir).map_err(|e| named(dir, e))?;
    let comments_p = dir.join("comments.csv");
    let votes_p = dir.join("votes.csv");
    // Made first: the new file's owner is who this runs as, to compare with
    // the folder's (removed again, when the folder is refused, on drop).
    let mut comments_tmp = Partial::create(dir, "comments.csv")?;
    #[cfg(unix)]
    check_folder(dir, &comments_tmp)?;
    let mut agrees: HashMap<&str, u64> = HashMap::new();
    let mut disagrees: HashMap<&str, u64> = HashMap::new();
    for v in votes {
        match v.vote {
            Vote::Agree => *agrees.entry(&v.statement).or_default() += 1,
            Vote::Disagree => *disagrees.entry(&v.statement).or_default() += 1,
            Vote::Pass => {}
        }
    }
    let mut sts: Vec<&ExportStatement> = statements.iter().collect();
    sts.sort_by(|a, b| id_order(&b.id, &a.id)); // Pol.is exports newest first
    let comments = sts.into_iter().map(|s| {
        [
            s.created_ms.to_string(),
            iso_utc(s.created_ms),
            s.id.clone(),
            s.author.clone(),
            agrees.get(s.id.as_str()).copied().unwrap_or(0).to_string(),
            disagrees.get(s.id.as_str()).copied().unwrap_or(0).to_string(),
            s.meta.moderation.polis_value().to_string(),
            s.meta.is_meta.to_string(),
            s.text.clone(),
        ]
    });
    let mut order: Vec<&VoteEvent> = votes.iter().collect();
    order.sort_by_key(|v| v.time.unwrap_or(i64::MAX));
    let vote_rows = order.into_iter().map(|v| {
        let t = v.time.map(|t| t.to_string()).unwrap_or_default();
        let dt = v.time.map(iso_utc).unwrap_or_default();
        [t, dt, v.statement.clone(), v.participant.clone(), v.vote.export_sign().to_string()]
    });
    let header = ["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated", "is-meta", "comment-body"];
    write_csv(comments_tmp.take_file(), &comments_p, &header, comments)?;
    let mut votes_tmp = Partial::create(dir, "votes.csv")?;
    write_csv(votes_tmp.take_file(), &votes_p, &["timestamp", "datetime", "comment-id", "voter-id", "vote"], vote_rows)?;
    // Both names are checked before either file takes its place.
    for path in [&comments_p, &votes_p] {
        if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(named(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "it is a symbolic link, perhaps planted by someone else: nothing was replaced. Remove the link, or write to a folder only you can write to",
                ),
            ));
        }
    }
    // votes.csv first: if it cannot take its place, comments.csv is not
    // replaced either. (A link planted since the check above is replaced
    // itself: a rename never follows a link at its target.)
    votes_tmp.rename_to(&votes_p)?;
    comments_tmp.rename_to(&comments_p)
}

/// A temporary file made new by [`Partial::create`], removed when dropped
/// unless renamed into place.
struct Partial {
    path: PathBuf,
    file: Option<std::fs::File>,
    placed: bool,
}

impl Partial {
    /// A new, empty file `.{name}.{random}.partial` in `dir` (`0600` on
    /// Unix). It is made with `create_new`, so no file or symbolic link that
    /// was there is opened; a name that is taken is tried again with
    /// another random part.
    fn create(dir: &Path, name: &str) -> std::io::Result<Partial> {
        let mut last = None;
        for _ in 0..16 {
            let path = dir.join(format!(".{name}.{:016x}.partial", random_u64()));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => return Ok(Partial { path, file: Some(file), placed: false }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(named(&dir.join(name), e)),
            }
        }
        let e = last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::AlreadyExists));
        Err(named(&dir.join(name), std::io::Error::new(e.kind(), format!("no new temporary file could be made in the folder after 16 tries ({e})"))))
    }

    /// The open file, to write (once).
    fn take_file(&mut self) -> std::fs::File {
        self.file.take().expect("the temporary file is written once")
    }

    /// Renames the file to `path`; an error names `path`.
    fn rename_to(&mut self, path: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, path).map_err(|e| named(path, e))?;
        self.placed = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// 64 bits no other process can guess: std's hasher keys are seeded from
/// the operating system's random source once a process, and differ for
/// each `RandomState`; the count, the process id and the time make each
/// call's input new as well.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}

/// Refuses a folder someone else could change files in: owned by another
/// user (root aside), or writable by its group or by everyone without the
/// sticky bit (which keeps others from renaming or removing files they do
/// not own). `made` is a file this process just made in it: its owner is
/// the user this runs as.
#[cfg(unix)]
fn check_folder(dir: &Path, made: &Partial) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let me = made.file.as_ref().map_or_else(|| std::fs::symlink_metadata(&made.path), std::fs::File::metadata).map_err(|e| named(dir, e))?.uid();
    let folder = std::fs::metadata(dir).map_err(|e| named(dir, e))?;
    let refuse = |why: String| Err(named(dir, std::io::Error::new(std::io::ErrorKind::PermissionDenied, why)));
    if folder.uid() != me && folder.uid() != 0 {
        return refuse(format!(
            "the folder belongs to another user (uid {}), who could replace or redirect the files written there: nothing was written. \
             Choose a folder of your own",
            folder.uid()
        ));
    }
    let mode = folder.mode();
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        let who = if mode & 0o002 != 0 { "everyone" } else { "its group" };
        return refuse(format!(
            "{who} may write in the folder (mode {:04o}, without the sticky bit), and could replace or redirect the files written there: \
             nothing was written. Choose a folder only you can write to, or make it so (chmod go-w)",
            mode & 0o7777
        ));
    }
    Ok(())
}

/// An I/O error that names its file.
fn named(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Writes a CSV file (header, then rows) to `file` and flushes it to disk;
/// an error names `shown`, the file it is written for.
fn write_csv<const N: usize>(file: std::fs::File, shown: &Path, header: &[&str; N], rows: impl Iterator<Item = [String; N]>) -> std::io::Result<()> {
    let to_io = |e: csv::Error| {
        let message = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(e) => named(shown, e),
            _ => named(shown, std::io::Error::other(message)),
        }
    };
    let mut w = csv::Writer::from_writer(file);
    w.write_record(header).map_err(to_io)?;
    for row in rows {
        w.write_record(&row).map_err(to_io)?;
    }
    let file = w.into_inner().map_err(|e| named(shown, e.into_error()))?;
    file.sync_all().map_err(|e| named(shown, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn iso() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_714_782_753_431), "2024-05-04T00:32:33Z");
    }
}
