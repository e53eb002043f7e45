//! Importing collection records: read, map, check, and upsert in committed
//! batches. A bad record is reported and skipped, never fatal; killing an
//! import loses no committed batch, and running it again completes it.
//!
//! What is refused before anything is written (a [`FileError`]): a file that
//! is not text (binary data, a spreadsheet workbook), text that is not UTF-8
//! in the part read first ([`SNIFF`] bytes; UTF-16 included), JSON that does
//! not parse, and a mapping naming a column the CSV header lacks or a JSON
//! field that none of the first batch's records has. Everything else is per
//! record: a record is skipped and named, or imported with a warning naming
//! what was changed (control characters removed, an over-long extra field
//! cut, a link that is not a web address left out). No record's content can
//! make a batch's write fail.
//!
//! What an import holds in memory does not grow with the file's bad records
//! or its length: a JSON array is checked whole as it streams past, then
//! read an item at a time; an item or a JSON line longer than [`RECORD_MAX`]
//! is skipped unparsed; and only the first [`ERRORS_LISTED`] errors and
//! warnings are kept (all are counted).
//!
//! A field the file says nothing about is left as it is stored: a record
//! without a column (CSV) or key (JSON) for one of our fields updates the
//! stored object without touching that field, and keeps the stored extra
//! fields it does not name; a new object gets the default (empty, or
//! "Untitled"). An empty column is the file's word, and empties the field.
//! The report names the fields the file lacked ([`ImportReport::not_in_file`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use meetinghouse_store::bulk::{BatchCounts, ObjectText, ObjectWriter};
use meetinghouse_store::objects::{self, NewObject};
use meetinghouse_store::search::Document;
use meetinghouse_store::{Backend, Db, StoreError};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::mapping::{Coverage, Format, Mapping, Source, check_columns, listed, recognised_column, resolve};
use crate::error::{CoreError, FieldErrors, Result};
use crate::types::{web_url, without_controls};

/// Records per committed batch.
pub const BATCH: usize = 20_000;
/// Longest text accepted in one field, in characters: a mapped field longer
/// than this skips its record; an extra (unmapped) text is cut to it.
pub const FIELD_MAX: usize = 20_000;
/// Longest extra (unmapped) data kept for one record, in characters of its
/// stored JSON; fields past it are left out, with a warning.
pub const EXTRA_MAX: usize = 100_000;
/// At most this many errors (and as many warnings) are listed one by one;
/// all are counted. The reader keeps no more than these while it reads, so
/// a file of bad records holds no more memory than a file of good ones.
pub const ERRORS_LISTED: usize = 1_000;
/// How much of a file is read first to tell its format and encoding, in bytes.
pub const SNIFF: usize = 256 * 1024;
/// The longest item of a JSON array, or line of JSON Lines, read as one
/// record, in bytes of JSON text: a longer one is skipped, and named, without
/// being parsed, so reading holds at most one record of this size (and the
/// values parsed from it) at a time. A record this long is far past what an
/// object stores ([`FIELD_MAX`] per field, [`EXTRA_MAX`] for the rest).
pub const RECORD_MAX: usize = 2 * 1024 * 1024;
/// How a file read as CSV whose first line has one column is told to name
/// its delimiter, in the words of the browser's Mapping box; the command line
/// says how to give a mapping file instead.
pub const DELIMITER_ADVICE: &str = "If its columns are separated by another character, name it in the mapping, under [options], like delimiter = \"|\".";

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub org_id: i64,
    pub mapping: Mapping,
    pub format: Option<Format>,
}

/// One record that was skipped, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordError {
    /// Where it is: "row 12", "line 7", "item 3" or a file name.
    pub record: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    /// The first [`ERRORS_LISTED`] skipped records, and why.
    pub errors: Vec<RecordError>,
    /// Records imported with a value changed or left out (control characters
    /// removed, an extra field cut short, a link that is not a web address);
    /// all are counted, the first [`ERRORS_LISTED`] listed.
    pub warned: u64,
    pub warnings: Vec<RecordError>,
    /// Our fields some record had no column or key for (in the order of
    /// `mapping::FIELDS`): objects already stored kept what they had there.
    pub not_in_file: Vec<String>,
}

impl ImportReport {
    /// What the report says about [`ImportReport::not_in_file`], if anything:
    /// "3 fields not in this file were left as they were: …".
    pub fn not_in_file_note(&self) -> Option<String> {
        let n = self.not_in_file.len();
        (n > 0).then(|| {
            format!(
                "{n} {} not in this file {} left as {} on objects already stored: {}.",
                if n == 1 { "field" } else { "fields" },
                if n == 1 { "was" } else { "were" },
                if n == 1 { "it was" } else { "they were" },
                self.not_in_file.iter().map(|f| field_label(f)).collect::<Vec<_>>().join(", ")
            )
        })
    }

    /// Takes a batch's counts, and its errors and warnings to list (the
    /// reader keeps no more than [`ERRORS_LISTED`] of each in all).
    fn add_listed(&mut self, batch: &mut Batch) {
        self.skipped += batch.skipped;
        self.warned += batch.warned;
        let room = ERRORS_LISTED.saturating_sub(self.errors.len());
        self.errors.extend(std::mem::take(&mut batch.errors).into_iter().take(room));
        let room = ERRORS_LISTED.saturating_sub(self.warnings.len());
        self.warnings.extend(std::mem::take(&mut batch.warnings).into_iter().take(room));
    }

    /// Records stored or already up to date.
    pub fn imported(&self) -> u64 {
        self.created + self.updated + self.unchanged
    }
}

/// One of our fields as a message names it.
fn field_label(field: &str) -> String {
    match field {
        "image_urls" => "image links".into(),
        "source_url" => "source link".into(),
        other => other.replace('_', " "),
    }
}

/// A value shown in a message, cut short.
fn shown(value: &str) -> String {
    const MAX: usize = 80;
    let mut out: String = value.chars().filter(|c| !c.is_control()).take(MAX).collect();
    if value.chars().count() > MAX {
        out.push('…');
    }
    out
}

/// A whole-file problem: the import does not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError(pub String);

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An import that stopped before the end, with what it had done by then.
#[derive(Debug)]
pub struct ImportFailed {
    /// The batches committed before it stopped and the records skipped so
    /// far (all zero when the file was refused before any write).
    pub report: ImportReport,
    pub reason: Failure,
}

#[derive(Debug)]
pub enum Failure {
    /// The file cannot be imported as it is; nothing was written.
    File(FileError),
    /// Storing the batch holding `records` ("row 20002 to row 40001")
    /// failed; the batches before it stay committed.
    Write { records: String, error: CoreError },
}

impl std::fmt::Display for ImportFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            Failure::File(e) => write!(f, "{e}"),
            Failure::Write { records, error } => write!(
                f,
                "The import stopped: the records {records} could not be stored ({error}). The {} records before them are stored; running the import again completes it.",
                self.report.imported()
            ),
        }
    }
}

impl std::error::Error for ImportFailed {}

impl From<ImportFailed> for CoreError {
    fn from(e: ImportFailed) -> CoreError {
        match e.reason {
            Failure::File(FileError(message)) => FieldErrors::one("file", message),
            Failure::Write { error, .. } => error,
        }
    }
}

type Item = std::result::Result<(String, Source), RecordError>;

/// An opened import source: its records, and how far through it the reader is
/// (bytes of a file, or files of a folder) for a progress bar.
pub struct Opened {
    pub records: Box<dyn Iterator<Item = Item> + Send>,
    /// The whole size in `unit`s.
    pub total: u64,
    /// How much has been read so far, in `unit`s.
    pub position: Arc<AtomicU64>,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Files,
}

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What to do about a file in another encoding, in plain words.
const SAVE_AS_UTF8: &str = "In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)”; in LibreOffice choose “Unicode (UTF-8)” as the character set. Then import the new file. Nothing was imported.";

/// Whether a file starts like UTF-16 text without a byte order mark: mostly
/// ASCII, so every other byte is zero.
fn utf16_without_bom(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(4096) & !1];
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return false;
    }
    let even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd = sample.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    let mostly = |n: usize| n * 10 >= pairs * 3;
    let rarely = |n: usize| n * 20 < pairs;
    (mostly(odd) && rarely(even)) || (mostly(even) && rarely(odd))
}

/// Whether a file starts like binary data: more than one byte in twenty of
/// its first 4 KB a control character that text does not hold. (A stray
/// NUL in a text file is removed from its record, with a warning.)
fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(4096)];
    let controls = sample.iter().filter(|b| **b < 0x20 && !matches!(**b, b'\t' | b'\n' | b'\r' | 0x0c)).count();
    controls * 20 > sample.len()
}

/// Tells a file that cannot be imported as it is from its first bytes (its
/// byte order mark already taken off): UTF-16, a spreadsheet workbook,
/// binary data, or text that is not UTF-8. `whole`: `head` is the whole file.
fn sniff(head: &[u8], whole: bool) -> std::result::Result<(), FileError> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") || utf16_without_bom(head) {
        return Err(FileError(format!(
            "This file is not UTF-8 text: it is UTF-16 (what Excel calls “Unicode Text”). {SAVE_AS_UTF8}"
        )));
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(FileError(format!(
            "This is not a CSV or JSON file: it looks like a spreadsheet workbook (.xlsx, .xls or .ods). {SAVE_AS_UTF8}"
        )));
    }
    if looks_binary(head) {
        return Err(FileError("This is not a CSV or JSON file (it looks like binary data).".into()));
    }
    match std::str::from_utf8(head) {
        Ok(_) => Ok(()),
        // A character cut at the end of what was read: the rest follows.
        Err(e) if e.error_len().is_none() && !whole => Ok(()),
        Err(e) => Err(not_utf8(&head[..e.valid_up_to()])),
    }
}

/// The file-level error for text that is not UTF-8; `before` is the text
/// before the first byte that is not.
fn not_utf8(before: &[u8]) -> FileError {
    not_utf8_at(before.iter().filter(|b| **b == b'\n').count() + 1)
}

/// The file-level error for text that is not UTF-8 on line `line`.
fn not_utf8_at(line: usize) -> FileError {
    FileError(format!(
        "This file is not UTF-8 text: line {line} has a character in another encoding (Excel's plain “CSV” uses Windows-1252). {SAVE_AS_UTF8}"
    ))
}

/// Opens a path as a stream of records, choosing the format from `--format`,
/// the extension, or the first bytes.
pub fn open(
    path: &Path,
    format: Option<Format>,
    mapping: &Mapping,
) -> std::result::Result<Opened, FileError> {
    let position = Arc::new(AtomicU64::new(0));
    if path.is_dir() {
        let (total, records) = json_dir(path, position.clone())?;
        return Ok(Opened {
            records: Box::new(records),
            total,
            position,
            unit: Unit::Files,
        });
    }
    let file = std::fs::File::open(path)
        .map_err(|e| FileError(format!("Could not open {}: {e}", path.display())))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(
        SNIFF,
        Counting {
            inner: file,
            read: position.clone(),
        },
    );
    let head = reader
        .fill_buf()
        .map_err(|e| FileError(format!("Could not read {}: {e}", path.display())))?
        .to_vec();
    // Whether the first read holds the whole file (a pipe's size is 0:
    // never taken as whole, so a character cut by the read is not an error).
    let whole = total != 0 && head.len() as u64 >= total;
    let bom = head.starts_with(BOM);
    let head = if bom { &head[BOM.len()..] } else { &head[..] };
    sniff(head, whole)?;
    // (The first read comes back empty only at the end of the file.)
    if head.is_empty() {
        return Err(FileError("The file is empty. Nothing was imported.".into()));
    }
    if whole && head.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError("The file holds only blank lines or spaces, so it has no records. Nothing was imported.".into()));
    }
    // The byte order mark is not part of the first record.
    if bom {
        reader.consume(BOM.len());
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let format = format
        .or_else(|| Format::parse(&ext))
        .or(match first {
            Some(b'[') => Some(Format::Json),
            Some(b'{') => Some(Format::JsonLines),
            _ => None,
        })
        .unwrap_or(Format::Csv);
    let records: Box<dyn Iterator<Item = Item> + Send> = match format {
        Format::Csv => csv_rows(reader, mapping, delimiter(mapping, head))?,
        Format::Json => {
            // A file is checked whole first (a pipe cannot be read twice):
            // JSON that does not parse is refused before anything is written.
            if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
                check_json(path)?;
            }
            if first != Some(b'[') {
                return Err(not_an_array());
            }
            Box::new(JsonArrayItems::new(reader))
        }
        Format::JsonLines => Box::new(json_lines(reader)),
    };
    Ok(Opened {
        records,
        total,
        position,
        unit: Unit::Bytes,
    })
}

/// The delimiter to read a CSV file with: the mapping's, or, when it names
/// none, a semicolon or a tab if the file's first line has one of them and
/// no comma outside quotes (Excel writes semicolons where a comma is the
/// decimal mark), otherwise a comma.
fn delimiter(mapping: &Mapping, head: &[u8]) -> u8 {
    if let Some(d) = mapping.options.delimiter.as_deref() {
        return if d == "\\t" { b'\t' } else { d.as_bytes()[0] };
    }
    let (mut quoted, mut commas, mut semicolons, mut tabs) = (false, 0, 0, 0);
    for b in head.iter().copied() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            b'\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    match (commas, semicolons, tabs) {
        (0, s, t) if s > 0 && s >= t => b';',
        (0, _, t) if t > 0 => b'\t',
        _ => b',',
    }
}

fn csv_rows(
    reader: impl BufRead + Send + 'static,
    mapping: &Mapping,
    delimiter: u8,
) -> std::result::Result<Box<dyn Iterator<Item = Item> + Send>, FileError> {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(reader);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| FileError(format!("The CSV header could not be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.len() < 2 {
        let separated = match delimiter {
            b',' => "commas, semicolons or tabs".to_string(),
            b'\t' => "tabs, as the mapping says".to_string(),
            d => format!("“{}”, as the mapping says", d as char),
        };
        return Err(FileError(format!(
            "The file does not look like CSV: its first line has only one column, “{}”, where the columns should be separated by {separated}. {DELIMITER_ADVICE} Nothing was imported.",
            shown(headers.first().map(String::as_str).unwrap_or(""))
        )));
    }
    // Every column the mapping names must be in the header, or every row
    // would be stored without it (overwriting what an earlier import stored).
    if mapping.fields.is_empty() {
        if recognised_column("accession_number", &headers).is_none() {
            return Err(FileError(format!(
                "None of this file's columns is recognised as the accession number (we look for names like “Accession Number”, “Object Number” or “Inventory Number”). The file's columns are: {}. Name the column in a mapping (accession_number = \"…\") and import again. Nothing was imported.",
                listed(headers.iter().map(String::as_str), 60)
            )));
        }
    } else {
        check_columns(mapping, &headers).map_err(FileError)?;
    }
    let width = headers.len();
    Ok(Box::new(csv.into_records().enumerate().map(
        move |(i, rec)| {
            // Row numbers count the header as row 1, as spreadsheets do.
            let label = format!("row {}", i + 2);
            match rec {
                Err(e) => {
                    let message = match e.kind() {
                        csv::ErrorKind::Utf8 { err, .. } => format!(
                            "This row is not UTF-8 text (in the column “{}”), so it was skipped. Save the file as “CSV UTF-8” and import it again.",
                            headers.get(err.field()).map(String::as_str).unwrap_or("?")
                        ),
                        _ => format!("This row could not be read as CSV: {e}"),
                    };
                    Err(RecordError {
                        record: label,
                        field: String::new(),
                        message,
                    })
                }
                Ok(r) if r.len() != width => Err(RecordError {
                    record: label,
                    field: String::new(),
                    message: format!("This row has {} fields; the header has {width}.", r.len()),
                }),
                Ok(r) => Ok((
                    label,
                    Source::Row(
                        headers
                            .iter()
                            .cloned()
                            .zip(r.iter().map(str::to_string))
                            .collect(),
                    ),
                )),
            }
        },
    )))
}

/// What a JSON file that is not an array of records is told.
fn not_an_array() -> FileError {
    FileError("The JSON file must hold an array of records ([{…}, {…}]), or use JSON Lines.".into())
}

/// Checks a JSON file whole before any record is read from it, holding no
/// more of it than a read buffer: that it is UTF-8 text and valid JSON,
/// either refused with the line it fails at.
fn check_json(path: &Path) -> std::result::Result<(), FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError(format!("Could not open {}: {e}", path.display())))?;
    let mut reader = BufReader::new(Utf8Check { inner: file, pending: Vec::new(), line: 1, bad_line: None });
    let starts_with_bom = reader.fill_buf().map(|b| b.starts_with(BOM)).unwrap_or(false);
    if starts_with_bom {
        reader.consume(BOM.len());
    }
    let mut de = serde_json::Deserializer::from_reader(&mut reader);
    let checked = <serde::de::IgnoredAny as serde::Deserialize>::deserialize(&mut de).and_then(|_| de.end());
    drop(de);
    if let Some(line) = reader.get_ref().bad_line {
        return Err(not_utf8_at(line));
    }
    checked.map_err(|e| FileError(format!("The file is not valid JSON: {e}.")))
}

/// A reader that stops at the first byte that is not UTF-8, noting its line.
struct Utf8Check<R> {
    inner: R,
    /// The start of a character cut by the last read (at most 3 bytes).
    pending: Vec<u8>,
    /// The line the next byte is on.
    line: usize,
    bad_line: Option<usize>,
}

impl<R: Read> Read for Utf8Check<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let not_utf8 = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8");
        if n == 0 {
            if !self.pending.is_empty() {
                self.bad_line = Some(self.line);
                return Err(not_utf8());
            }
            return Ok(0);
        }
        // The cut character's first bytes, then this read's.
        let mut joined = std::mem::take(&mut self.pending);
        joined.extend_from_slice(&buf[..n]);
        match std::str::from_utf8(&joined) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => self.pending = joined[e.valid_up_to()..].to_vec(),
            Err(e) => {
                self.bad_line = Some(self.line + joined[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count());
                return Err(not_utf8());
            }
        }
        self.line += buf[..n].iter().filter(|b| **b == b'\n').count();
        Ok(n)
    }
}

/// The items of a JSON array, read one at a time: each is cut out of the
/// text by its brackets and quotes (at most [`RECORD_MAX`] bytes of it are
/// kept; a longer item is read past and named) and parsed on its own, so
/// reading holds one record, never the whole array.
struct JsonArrayItems<R> {
    reader: R,
    /// Items read so far.
    count: usize,
    state: ArrayState,
    item: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    /// Before the opening bracket.
    Start,
    /// After the opening bracket: the array may be empty.
    First,
    /// After a comma: an item follows.
    Next,
    Done,
}

/// How an item's text ended.
enum ItemEnd {
    Comma,
    Bracket,
    /// The file ended inside the item.
    Eof,
}

impl<R: BufRead> JsonArrayItems<R> {
    fn new(reader: R) -> JsonArrayItems<R> {
        JsonArrayItems { reader, count: 0, state: ArrayState::Start, item: Vec::new() }
    }

    /// The next byte that is not white space, left unread; `None` at the end.
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let b = buf[i];
                    self.reader.consume(i);
                    return Ok(Some(b));
                }
                None => {
                    let n = buf.len();
                    self.reader.consume(n);
                }
            }
        }
    }

    /// Reads one item's text into `self.item` (up to [`RECORD_MAX`] bytes),
    /// and the comma or bracket after it; the item's whole length in bytes.
    fn read_item(&mut self) -> std::io::Result<(usize, ItemEnd)> {
        self.item.clear();
        let (mut depth, mut quoted, mut escaped, mut len) = (0usize, false, false, 0usize);
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok((len, ItemEnd::Eof));
            }
            let mut end = None;
            for (i, b) in buf.iter().copied().enumerate() {
                if quoted {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        quoted = false;
                    }
                    continue;
                }
                match b {
                    b'"' => quoted = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b']' => {
                        end = Some((i, ItemEnd::Bracket));
                        break;
                    }
                    b',' if depth == 0 => {
                        end = Some((i, ItemEnd::Comma));
                        break;
                    }
                    _ => {}
                }
            }
            let taken = end.as_ref().map_or(buf.len(), |(i, _)| *i);
            if len + taken <= RECORD_MAX {
                self.item.extend_from_slice(&buf[..taken]);
            } else {
                self.item = Vec::new();
            }
            len += taken;
            match end {
                Some((i, how)) => {
                    self.reader.consume(i + 1);
                    return Ok((len, how));
                }
                None => {
                    let n = buf.len();
                    self.reader.consume(n);
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonArrayItems<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let error = |record: String, message: String| Some(Err(RecordError { record, field: String::new(), message }));
        let unreadable = |e: std::io::Error| format!("The rest of the file could not be read: {e}");
        loop {
            match self.state {
                ArrayState::Done => return None,
                ArrayState::Start => match self.peek() {
                    Ok(Some(b'[')) => {
                        self.reader.consume(1);
                        self.state = ArrayState::First;
                    }
                    Ok(_) => {
                        self.state = ArrayState::Done;
                        return error("the file".into(), not_an_array().0);
                    }
                    Err(e) => {
                        self.state = ArrayState::Done;
                        return error("the file".into(), unreadable(e));
                    }
                },
                ArrayState::First | ArrayState::Next => {
                    if self.state == ArrayState::First && matches!(self.peek(), Ok(Some(b']'))) {
                        self.state = ArrayState::Done;
                        return None;
                    }
                    self.count += 1;
                    let label = format!("item {}", self.count);
                    let (len, end) = match self.read_item() {
                        Ok(read) => read,
                        Err(e) => {
                            self.state = ArrayState::Done;
                            return error(label, unreadable(e));
                        }
                    };
                    self.state = match end {
                        ItemEnd::Comma => ArrayState::Next,
                        ItemEnd::Bracket => ArrayState::Done,
                        ItemEnd::Eof => {
                            self.state = ArrayState::Done;
                            return error(label, "The file ends inside this item (the array is not closed with “]”), so it was skipped.".into());
                        }
                    };
                    if len > RECORD_MAX {
                        self.item = Vec::new();
                        return error(label, too_long("item", len));
                    }
                    return Some(match serde_json::from_slice::<Value>(&self.item) {
                        Ok(v) if v.is_object() => Ok((label, Source::Json(v))),
                        Ok(_) => Err(RecordError { record: label, field: String::new(), message: "This item is not a JSON object.".into() }),
                        Err(e) => Err(RecordError { record: label, field: String::new(), message: format!("This item is not valid JSON: {e}") }),
                    });
                }
            }
        }
    }
}

/// Says a record (an "item" or a "line") was longer than [`RECORD_MAX`].
fn too_long(what: &str, len: usize) -> String {
    format!(
        "This {what} is {} of JSON; one record may be at most {} MB, so it was skipped.",
        size_in_words(len),
        RECORD_MAX / (1024 * 1024)
    )
}

/// A size in bytes, in words: "3.2 MB".
fn size_in_words(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// The records of JSON Lines, one a line; a line longer than [`RECORD_MAX`]
/// is read past, not kept, and named.
fn json_lines(mut reader: impl BufRead + Send + 'static) -> impl Iterator<Item = Item> {
    let mut number = 0usize;
    let mut bytes = Vec::new();
    std::iter::from_fn(move || loop {
        number += 1;
        let label = format!("line {number}");
        let error = |message: String| Some(Err(RecordError { record: label.clone(), field: String::new(), message }));
        let len = match read_line_capped(&mut reader, &mut bytes, RECORD_MAX) {
            Ok(None) => return None,
            Ok(Some(len)) => len,
            Err(e) => return error(format!("This line could not be read: {e}")),
        };
        if len > RECORD_MAX {
            return error(too_long("line", len));
        }
        let Ok(line) = std::str::from_utf8(&bytes) else {
            return error("This line is not UTF-8 text, so it was skipped. Save the file as UTF-8 and import it again.".into());
        };
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        return Some(match serde_json::from_str::<Value>(line) {
            Ok(v) if v.is_object() => Ok((label, Source::Json(v))),
            Ok(_) => Err(RecordError { record: label, field: String::new(), message: "This line is not a JSON object.".into() }),
            Err(e) => Err(RecordError { record: label, field: String::new(), message: format!("This line is not valid JSON: {e}") }),
        });
    })
}

/// Reads a line into `line` without its line break, keeping at most `max`
/// bytes of it (the rest is read past); the line's whole length, or `None`
/// at the end of the input.
fn read_line_capped(reader: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> std::io::Result<Option<usize>> {
    line.clear();
    let mut len = 0usize;
    let mut any = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        any = true;
        let (taken, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        if len + taken <= max {
            line.extend_from_slice(&buf[..taken]);
        } else {
            line.clear();
        }
        len += taken;
        reader.consume(if done { taken + 1 } else { taken });
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
        len -= 1;
    }
    Ok(Some(len))
}

/// One file of a folder: a JSON object in UTF-8.
fn json_file(bytes: &[u8]) -> std::result::Result<Value, String> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err("This file is not UTF-8 text: it is UTF-16. Save it as UTF-8 and import it again.".into());
    }
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "This file is not UTF-8 text. Save it as UTF-8 and import it again.".to_string())?;
    serde_json::from_str::<Value>(text).map_err(|e| format!("This file is not valid JSON: {e}"))
}

fn json_dir(
    dir: &Path,
    done: Arc<AtomicU64>,
) -> std::result::Result<(u64, impl Iterator<Item = Item> + use<>), FileError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| FileError(format!("Could not read the folder {}: {e}", d.display())))?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                files.push(p);
            }
        }
    }
    if files.is_empty() {
        return Err(FileError(format!(
            "The folder {} has no .json files.",
            dir.display()
        )));
    }
    files.sort();
    let base = dir.to_path_buf();
    let total = files.len() as u64;
    Ok((
        total,
        files.into_iter().map(move |p: PathBuf| {
            done.fetch_add(1, Ordering::Relaxed);
            let label = p.strip_prefix(&base).unwrap_or(&p).display().to_string();
            let parsed = std::fs::read(&p)
                .map_err(|e| format!("This file could not be read: {e}"))
                .and_then(|bytes| json_file(&bytes));
            match parsed {
                Ok(v) if v.is_object() => Ok((label, Source::Json(v))),
                Ok(_) => Err(RecordError {
                    record: label,
                    field: String::new(),
                    message: "This file does not hold a JSON object.".into(),
                }),
                Err(message) => Err(RecordError {
                    record: label,
                    field: String::new(),
                    message,
                }),
            }
        }),
    ))
}

fn year(raw: Option<&String>) -> Option<i64> {
    let s = raw?.trim();
    let y = s
        .parse::<i64>()
        .ok()
        .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
        .or_else(|| crate::stories::years_in(s).map(|y| y.0))?;
    (y != 0 && (-10_000..=2_100).contains(&y)).then_some(y)
}

/// What the search index holds for one object, folded ahead of the write.
fn search_text(o: &NewObject) -> ObjectText {
    let body = [
        o.makers.as_str(),
        o.display_date.as_str(),
        o.medium.as_str(),
        o.classification.as_str(),
        o.description.as_str(),
        o.accession_number.as_str(),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(" · ");
    ObjectText {
        title_folded: crate::search::index_text(&o.title),
        body_folded: crate::search::index_text(&body),
        body,
    }
}

/// `s` cut to `max` characters, if it is longer.
fn cut(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    match s.char_indices().nth(max) {
        Some((at, _)) => {
            s.truncate(at);
            true
        }
        None => false,
    }
}

/// `s` without control characters other than tabs and line breaks
/// (`types::without_controls`), after a check over its bytes that needs no
/// decoding: most texts hold no byte below 0x20, no DEL and no 0xC2 (the
/// lead byte of U+0080–U+009F), and are returned as they are.
fn cleaned(s: &str) -> Cow<'_, str> {
    if s.bytes().fold(false, |maybe, b| maybe | (b < 0x20) | (b == 0x7f) | (b == 0xc2)) {
        without_controls(s)
    } else {
        Cow::Borrowed(s)
    }
}

/// Removes control characters (other than tabs and line breaks) from a JSON
/// value's texts and keys; whether anything changed.
fn clean_json(v: &mut Value) -> bool {
    match v {
        Value::String(s) => match cleaned(s) {
            Cow::Owned(c) => {
                *s = c;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |changed, item| clean_json(item) | changed),
        Value::Object(map) => clean_map(map),
        _ => false,
    }
}

fn clean_map(map: &mut Map<String, Value>) -> bool {
    let unclean: Vec<String> = map.keys().filter(|k| matches!(cleaned(k), Cow::Owned(_))).cloned().collect();
    for key in &unclean {
        if let Some(v) = map.remove(key) {
            map.insert(without_controls(key).into_owned(), v);
        }
    }
    map.values_mut().fold(!unclean.is_empty(), |changed, v| clean_json(v) | changed)
}

/// Cuts every text in a JSON value to [`FIELD_MAX`] characters; the longest
/// text's length before, if any was cut.
fn cut_json(v: &mut Value) -> Option<usize> {
    match v {
        Value::String(s) if s.len() > FIELD_MAX => {
            let n = s.chars().count();
            cut(s, FIELD_MAX).then_some(n)
        }
        Value::Array(items) => items.iter_mut().filter_map(cut_json).max(),
        Value::Object(map) => map.values_mut().filter_map(cut_json).max(),
        _ => None,
    }
}

/// Keeps a record's extra fields within [`EXTRA_MAX`] characters of stored
/// JSON, in their order, leaving out each field that does not fit; the
/// stored JSON and the names left out.
fn extra_json(extra: Map<String, Value>) -> (String, Vec<String>) {
    let value = Value::Object(extra);
    let whole = value.to_string();
    // Bytes are at least as many as characters: most records stop here.
    if whole.len() <= EXTRA_MAX || whole.chars().count() <= EXTRA_MAX {
        return (whole, Vec::new());
    }
    let Value::Object(extra) = value else {
        return (whole, Vec::new());
    };
    let mut kept = Map::new();
    let mut left_out = Vec::new();
    // The braces, then each field with its quotes, colon and comma.
    let mut size = 2;
    for (k, v) in extra {
        let n = Value::String(k.clone()).to_string().chars().count() + v.to_string().chars().count() + 2;
        if size + n <= EXTRA_MAX {
            size += n;
            kept.insert(k, v);
        } else {
            left_out.push(k);
        }
    }
    (Value::Object(kept).to_string(), left_out)
}

/// Checks one mapped record and turns it into a row to store, with any
/// warnings about values changed or left out of it.
///
/// Control characters other than tabs and line breaks are removed from every
/// value, mapped or extra (PostgreSQL cannot store a NUL; none can be shown),
/// so no record's content can make its batch's write fail.
fn check(
    label: &str,
    source: &Source,
    mapping: &Mapping,
) -> std::result::Result<(NewObject, Vec<RecordError>, Absent), RecordError> {
    let mut r = resolve(source, mapping);
    let absent = match absent_parts(&r) {
        0 => Absent::default(),
        parts => Absent { parts, blank_extra: std::mem::take(&mut r.blank_extra) },
    };
    let err = |field: &str, message: String| RecordError {
        record: label.to_string(),
        field: field.to_string(),
        message,
    };
    let mut warnings = Vec::new();
    let mut cleaned_fields: Vec<&str> = Vec::new();
    for (field, values) in r.values.iter_mut() {
        let mut changed = false;
        for v in values.iter_mut() {
            if let Cow::Owned(c) = cleaned(v) {
                *v = c.trim().to_string();
                changed = true;
            }
        }
        if changed {
            values.retain(|v| !v.is_empty());
            cleaned_fields.push(*field);
        }
    }
    if !cleaned_fields.is_empty() {
        r.values.retain(|_, v| !v.is_empty());
    }
    let unclean_extra: Vec<String> = r.extra.keys().filter(|k| matches!(cleaned(k), Cow::Owned(_))).cloned().collect();
    let mut cleaned_extra: Vec<String> = Vec::new();
    for (k, v) in r.extra.iter_mut() {
        if clean_json(v) {
            cleaned_extra.push(without_controls(k).into_owned());
        }
    }
    if !unclean_extra.is_empty() {
        clean_map(&mut r.extra);
        cleaned_extra.extend(unclean_extra.iter().map(|k| without_controls(k).into_owned()));
    }
    if !cleaned_fields.is_empty() || !cleaned_extra.is_empty() {
        let mut fields: Vec<String> = cleaned_fields.iter().map(|f| f.to_string()).collect();
        fields.extend(cleaned_extra);
        fields.dedup();
        warnings.push(err(
            &fields.join(", "),
            format!(
                "Control characters (such as NUL) that cannot be stored were removed from {}; the rest of the record was imported as it is.",
                listed(fields.iter().map(String::as_str), 10)
            ),
        ));
    }
    let first = |f: &str| {
        r.values
            .get(f)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    let accession = first("accession_number");
    if accession.is_empty() {
        return Err(err(
            "accession_number",
            "This record has no accession number, so it cannot be matched on a later import."
                .into(),
        ));
    }
    if accession.chars().count() > 100 {
        return Err(err(
            "accession_number",
            "The accession number is longer than 100 characters.".into(),
        ));
    }
    for (field, values) in &r.values {
        let n: usize = values.iter().map(|v| v.chars().count()).sum();
        if n > FIELD_MAX {
            return Err(err(
                field,
                format!("This field has {n} characters; the limit is {FIELD_MAX}."),
            ));
        }
    }
    // An extra field is kept for reference, not shown whole: a long text is
    // cut rather than the record skipped.
    for (k, v) in r.extra.iter_mut() {
        if let Some(n) = cut_json(v) {
            warnings.push(err(
                k,
                format!("The field “{}” has {n} characters; only the first {FIELD_MAX} were kept.", shown(k)),
            ));
        }
    }
    let title = Some(first("title"))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Untitled".into());
    let display_date = first("date");
    let mut earliest = year(r.values.get("earliest_year").and_then(|v| v.first()));
    let mut latest = year(r.values.get("latest_year").and_then(|v| v.first()));
    if earliest.is_none()
        && latest.is_none()
        && let Some((a, b)) = crate::stories::years_in(&display_date)
    {
        (earliest, latest) = (Some(a), Some(b));
    }
    if let (Some(a), Some(b)) = (earliest, latest)
        && a > b
    {
        (earliest, latest) = (Some(b), Some(a));
    }
    // A cell may hold several image links, separated by `;`, spaces or line
    // breaks; only web addresses are kept, and the report names the rest.
    let mut images: Vec<&str> = Vec::new();
    let mut not_links: Vec<&str> = Vec::new();
    for link in r
        .values
        .get("image_urls")
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(|c: char| c == ';' || c.is_whitespace()))
        .filter(|l| !l.is_empty())
    {
        match web_url(link) {
            Some(u) => images.push(u),
            None => not_links.push(link),
        }
    }
    if !not_links.is_empty() {
        let mut named: Vec<String> = not_links.iter().take(3).map(|l| format!("“{}”", shown(l))).collect();
        if not_links.len() > 3 {
            named.push(format!("and {} more", not_links.len() - 3));
        }
        let message = if not_links.len() == 1 {
            format!("The image link {} is not a web address (http:// or https://, in full), so it was left out; the rest of the record was imported.", named.join(", "))
        } else {
            format!("The image links {} are not web addresses (http:// or https://, in full), so they were left out; the rest of the record was imported.", named.join(", "))
        };
        warnings.push(err("image_urls", message));
    }
    // A source link is shown as a link: only a web address is kept; the
    // record is imported without anything else, and the report says so.
    let raw_source = first("source_url");
    let source_url = match web_url(&raw_source) {
        Some(u) => u.to_string(),
        None if raw_source.trim().is_empty() => String::new(),
        None => {
            warnings.push(err(
                "source_url",
                format!(
                    "The source link “{}” is not a web address (http:// or https://), so it was left out; the rest of the record was imported.",
                    shown(&raw_source)
                ),
            ));
            String::new()
        }
    };
    let (extra, left_out) = extra_json(std::mem::take(&mut r.extra));
    if !left_out.is_empty() {
        warnings.push(err(
            &left_out.join(", "),
            format!(
                "This record's extra fields come to more than {EXTRA_MAX} characters, so {} {} left out; the rest of the record was imported.",
                listed(left_out.iter().map(String::as_str), 10),
                if left_out.len() == 1 { "was" } else { "were" },
            ),
        ));
    }
    let mut o = NewObject {
        key: accession.to_lowercase(),
        accession_number: accession,
        title,
        makers: r
            .values
            .get("makers")
            .map(|v| v.join("; "))
            .unwrap_or_default(),
        display_date,
        earliest_year: earliest,
        latest_year: latest,
        medium: first("medium"),
        dimensions: r
            .values
            .get("dimensions")
            .map(|v| v.join("; "))
            .unwrap_or_default(),
        description: first("description"),
        credit_line: first("credit_line"),
        rights: first("rights"),
        image_urls: serde_json::to_string(&images).unwrap_or_else(|_| "[]".into()),
        source_url,
        classification: first("classification"),
        extra,
        content_hash: String::new(),
    };
    o.content_hash = content_hash(&o);
    Ok((o, warnings, absent))
}

/// The stored fields a record can leave as they are, one bit each.
mod part {
    pub const TITLE: u16 = 1;
    pub const MAKERS: u16 = 1 << 1;
    /// The date as shown.
    pub const DATE: u16 = 1 << 2;
    /// The earliest and latest years (taken from the date when the file has
    /// a date but no years).
    pub const YEARS: u16 = 1 << 3;
    pub const MEDIUM: u16 = 1 << 4;
    pub const DIMENSIONS: u16 = 1 << 5;
    pub const DESCRIPTION: u16 = 1 << 6;
    pub const CREDIT_LINE: u16 = 1 << 7;
    pub const RIGHTS: u16 = 1 << 8;
    pub const IMAGES: u16 = 1 << 9;
    pub const SOURCE: u16 = 1 << 10;
    pub const CLASSIFICATION: u16 = 1 << 11;
}

/// Each part with the field that fills it (the years go with the date in
/// the report).
const PARTS: [(u16, &str); 11] = [
    (part::TITLE, "title"),
    (part::MAKERS, "makers"),
    (part::DATE, "date"),
    (part::MEDIUM, "medium"),
    (part::DIMENSIONS, "dimensions"),
    (part::DESCRIPTION, "description"),
    (part::CREDIT_LINE, "credit_line"),
    (part::RIGHTS, "rights"),
    (part::IMAGES, "image_urls"),
    (part::SOURCE, "source_url"),
    (part::CLASSIFICATION, "classification"),
];

/// What a record leaves as it is stored: the parts it has no column for
/// ([`part`]), and its extra fields that are empty (so the stored extra
/// fields it does not name are kept, and those it names empty dropped).
#[derive(Debug, Clone, Default)]
struct Absent {
    parts: u16,
    blank_extra: Vec<String>,
}

/// The parts a resolved record has no column or key for.
fn absent_parts(r: &super::mapping::Resolved) -> u16 {
    let mut parts = PARTS.iter().filter(|(_, field)| !r.has(field)).fold(0, |bits, (bit, _)| bits | bit);
    if !r.has("date") && !r.has("earliest_year") && !r.has("latest_year") {
        parts |= part::YEARS;
    }
    parts
}

/// Fills the parts `absent` names from what is stored for the object, and
/// merges its stored extra fields under the record's; the content hash is
/// taken again.
fn fill(o: &mut NewObject, absent: &Absent, stored: &objects::StoredFields) {
    let has = |bit: u16| absent.parts & bit != 0;
    if has(part::TITLE) {
        o.title.clone_from(&stored.title);
    }
    if has(part::MAKERS) {
        o.makers.clone_from(&stored.makers);
    }
    if has(part::DATE) {
        o.display_date.clone_from(&stored.display_date);
    }
    if has(part::YEARS) {
        (o.earliest_year, o.latest_year) = (stored.earliest_year, stored.latest_year);
    }
    for (bit, ours, theirs) in [
        (part::MEDIUM, &mut o.medium, &stored.medium),
        (part::DIMENSIONS, &mut o.dimensions, &stored.dimensions),
        (part::DESCRIPTION, &mut o.description, &stored.description),
        (part::CREDIT_LINE, &mut o.credit_line, &stored.credit_line),
        (part::RIGHTS, &mut o.rights, &stored.rights),
        (part::IMAGES, &mut o.image_urls, &stored.image_urls),
        (part::SOURCE, &mut o.source_url, &stored.source_url),
        (part::CLASSIFICATION, &mut o.classification, &stored.classification),
    ] {
        if has(bit) {
            ours.clone_from(theirs);
        }
    }
    // The stored extra fields this record does not name stay; if together
    // they would pass the limit, the record's own are stored, as before.
    if let (Ok(Value::Object(mut merged)), Ok(Value::Object(own))) =
        (serde_json::from_str::<Value>(&stored.extra), serde_json::from_str::<Value>(&o.extra))
    {
        for k in &absent.blank_extra {
            merged.remove(k);
        }
        merged.extend(own);
        let (json, left_out) = extra_json(merged);
        if left_out.is_empty() {
            o.extra = json;
        }
    }
    o.content_hash = content_hash(o);
}

/// The hash an unchanged record is told by: every stored field.
fn content_hash(o: &NewObject) -> String {
    let mut h = Sha256::new();
    for part in [
        &o.accession_number,
        &o.title,
        &o.makers,
        &o.display_date,
        &o.medium,
        &o.dimensions,
        &o.description,
        &o.credit_line,
        &o.rights,
        &o.image_urls,
        &o.source_url,
        &o.classification,
        &o.extra,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.update(format!("{:?}{:?}", o.earliest_year, o.latest_year).as_bytes());
    crate::secrets::hex(&h.finalize())
}

/// Fills the records of a batch that lack some field from what is stored
/// for them (records of objects not stored yet keep the defaults). Only the
/// stored content hashes are read first: a record whose hash with the
/// defaults is the stored one (a re-run of the same file, most often) is
/// unchanged as it is, and only the others' fields are read.
async fn fill_from_stored(db: &Db, org: i64, batch: &mut Batch) -> Result<()> {
    if batch.partial.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = batch.partial.iter().map(|(i, _)| batch.objects[*i].0.key.as_str()).collect();
    let hashes = objects::stored_hashes(db, org, &keys).await?;
    drop(keys);
    let differ: Vec<&(usize, Absent)> = batch
        .partial
        .iter()
        .filter(|(i, _)| {
            let o = &batch.objects[*i].0;
            hashes.get(&o.key).is_some_and(|h| *h != o.content_hash)
        })
        .collect();
    if differ.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = differ.iter().map(|(i, _)| batch.objects[*i].0.key.as_str()).collect();
    let stored = objects::stored_fields(db, org, &keys).await?;
    drop(keys);
    for (i, absent) in differ {
        let (o, text) = &mut batch.objects[*i];
        if let Some(s) = stored.get(&o.key) {
            fill(o, absent, s);
            *text = search_text(o);
        }
    }
    Ok(())
}

/// One batch of checked records, read while the previous one is written.
struct Batch {
    objects: Vec<(NewObject, ObjectText)>,
    /// The records of `objects` (by index) that lack some field.
    partial: Vec<(usize, Absent)>,
    /// Every part some record of the batch lacked.
    absent: u16,
    /// The first and last records in it, for a message if it fails.
    first: String,
    last: String,
    /// Records skipped in it, and the errors to list: only while fewer than
    /// [`ERRORS_LISTED`] have been kept in the whole import (see [`Kept`]),
    /// so a batch of bad records holds no more than that.
    pub skipped: u64,
    errors: Vec<RecordError>,
    /// Warnings about records imported with a value changed or left out,
    /// counted, and kept to list as errors are.
    warned: u64,
    warnings: Vec<RecordError>,
    /// Records read so far, this batch included.
    read: u64,
}

/// How many errors and warnings the reader has kept to list so far, over
/// every batch of one import: past [`ERRORS_LISTED`] each is only counted.
#[derive(Default)]
struct Kept {
    errors: usize,
    warnings: usize,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            objects: Vec::with_capacity(BATCH),
            partial: Vec::new(),
            absent: 0,
            first: String::new(),
            last: String::new(),
            skipped: 0,
            errors: Vec::new(),
            warned: 0,
            warnings: Vec::new(),
            read: 0,
        }
    }

    /// Counts a skipped record, keeping its error while fewer than
    /// [`ERRORS_LISTED`] are kept.
    fn skip(&mut self, e: RecordError, kept: &mut Kept) {
        self.skipped += 1;
        if kept.errors < ERRORS_LISTED {
            kept.errors += 1;
            self.errors.push(e);
        }
    }

    /// Counts a warning, keeping it while fewer than [`ERRORS_LISTED`] are kept.
    fn warn(&mut self, w: RecordError, kept: &mut Kept) {
        self.warned += 1;
        if kept.warnings < ERRORS_LISTED {
            kept.warnings += 1;
            self.warnings.push(w);
        }
    }
}

/// What the reader thread sends the writer.
enum Message {
    Batch(Batch),
    /// The file cannot be imported as it is (found in the first batch).
    Refused(FileError),
}

/// The accession numbers seen so far in one import, as 128-bit keyed
/// fingerprints (16 bytes each, about 36 MB for a million records with the
/// table's overhead), so a later record with the same number is skipped
/// however far apart they are. Two different numbers share a fingerprint with
/// a chance of about one in 10^26 for a million records.
struct SeenKeys {
    seen: HashSet<u128, BuildHasherDefault<Fingerprint>>,
    a: RandomState,
    b: RandomState,
}

/// Hashes a fingerprint for the set by taking its low bits: it is a keyed
/// hash already, so hashing it again would only cost time.
#[derive(Default)]
struct Fingerprint(u64);

impl Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 ^= n as u64;
    }
}

impl SeenKeys {
    fn new() -> SeenKeys {
        SeenKeys { seen: HashSet::default(), a: RandomState::new(), b: RandomState::new() }
    }

    /// Whether `key` is new (and now seen).
    fn insert(&mut self, key: &str) -> bool {
        let fingerprint = (u128::from(self.a.hash_one(key)) << 64) | u128::from(self.b.hash_one(key));
        self.seen.insert(fingerprint)
    }
}

/// Imports a stream of records into an organisation's collection, calling
/// `progress` with the number of records read after each batch.
///
/// Reading and checking run on their own thread, one batch ahead of the
/// database writes, so parsing and storing overlap. The first record with an
/// accession number is imported; later ones with the same number (ignoring
/// case) are skipped and named, wherever they are in the file. With a
/// mapping, the first batch is written only if each mapped field is in at
/// least one of its records (see [`Coverage`]).
///
/// When it stops early, [`ImportFailed`] holds what was committed by then.
pub async fn import_records(
    db: &Db,
    options: &ImportOptions,
    records: impl Iterator<Item = Item> + Send + 'static,
    progress: &mut (dyn FnMut(u64) + Send),
) -> std::result::Result<ImportReport, ImportFailed> {
    let failed = |reason: Failure, report: ImportReport| ImportFailed { report, reason };
    let mut writer = match Writer::open(db) {
        Ok(w) => w,
        Err(error) => return Err(failed(Failure::Write { records: "from the start".into(), error }, ImportReport::default())),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Message>(2);
    // Written rows come back to the reader to be freed: glibc frees memory
    // from another thread's arena slowly, and on the writer's path it cost
    // about a tenth of a million-record import.
    let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Spent>();
    let mapping = options.mapping.clone();
    let reader = std::thread::spawn(move || {
        let mut batch = Batch::new();
        let mut read = 0u64;
        let mut kept = Kept::default();
        let mut seen = SeenKeys::new();
        // Checked over the first batch only; a field is normally found in
        // its first few records, after which noting costs nothing.
        let mut coverage = (!mapping.fields.is_empty()).then(|| Coverage::new(&mapping));
        let refused = |coverage: &mut Option<Coverage>| coverage.take().and_then(|c| c.error()).map(FileError);
        for item in records {
            read += 1;
            if let (Some(c), Ok((_, source))) = (&mut coverage, &item) {
                c.note(source);
            }
            match item
                .and_then(|(label, source)| check(&label, &source, &mapping).map(|o| (label, o)))
            {
                Ok((label, (o, warnings, absent))) => {
                    if !seen.insert(&o.key) {
                        let e = RecordError {
                            record: label,
                            field: "accession_number".into(),
                            message: format!(
                                "The accession number {} appears earlier in the file; the first record with it was imported and this one skipped.",
                                o.accession_number
                            ),
                        };
                        batch.skip(e, &mut kept);
                        continue;
                    }
                    for w in warnings {
                        batch.warn(w, &mut kept);
                    }
                    if absent.parts != 0 {
                        batch.absent |= absent.parts;
                        batch.partial.push((batch.objects.len(), absent));
                    }
                    let text = search_text(&o);
                    batch.objects.push((o, text));
                    if batch.first.is_empty() {
                        batch.first = label;
                    } else {
                        batch.last = label;
                    }
                }
                Err(e) => batch.skip(e, &mut kept),
            }
            if batch.objects.len() >= BATCH {
                if let Some(e) = refused(&mut coverage) {
                    let _ = tx.blocking_send(Message::Refused(e));
                    return;
                }
                let full = std::mem::replace(&mut batch, Batch::new());
                if tx.blocking_send(Message::Batch(Batch { read, ..full })).is_err() {
                    return;
                }
                while let Ok(spent) = spent_rx.try_recv() {
                    drop(spent);
                }
            }
        }
        if let Some(e) = refused(&mut coverage) {
            let _ = tx.blocking_send(Message::Refused(e));
            return;
        }
        let _ = tx.blocking_send(Message::Batch(Batch { read, ..batch }));
    });
    let mut report = ImportReport::default();
    let mut outcome = Ok(());
    let mut written = 0u64;
    // Records lacking a field are filled from what is stored only when
    // something is: a first import (keys are distinct within one) skips it.
    let had_objects = match objects::any_in_org(db, options.org_id).await {
        Ok(any) => any,
        Err(e) => return Err(failed(Failure::Write { records: "from the start".into(), error: e.into() }, report)),
    };
    let mut absent = 0u16;
    while let Some(message) = rx.recv().await {
        let mut batch = match message {
            Message::Batch(b) => b,
            Message::Refused(e) => {
                outcome = Err(Failure::File(e));
                break;
            }
        };
        report.add_listed(&mut batch);
        absent |= batch.absent;
        if !batch.objects.is_empty() {
            let records = if batch.last.is_empty() {
                batch.first.clone()
            } else {
                format!("{} to {}", batch.first, batch.last)
            };
            if had_objects && let Err(error) = fill_from_stored(db, options.org_id, &mut batch).await {
                outcome = Err(Failure::Write { records, error });
                break;
            }
            let counts = match &mut writer {
                Writer::Sqlite(w) => write_sqlite(db, w, options.org_id, batch.objects).await.map(|(counts, rows)| {
                    let _ = spent_tx.send(rows);
                    counts
                }),
                Writer::Postgres => write_postgres(db, options.org_id, batch.objects).await,
            };
            match counts {
                Ok(c) => {
                    report.created += c.created;
                    report.updated += c.updated;
                    report.unchanged += c.unchanged;
                }
                Err(error) => {
                    outcome = Err(Failure::Write { records, error });
                    break;
                }
            }
            // After the 1st, 2nd, 4th, 8th… batch: the tables have doubled.
            written += 1;
            if written.is_power_of_two()
                && let Err(e) = objects::refresh_statistics(db).await
            {
                outcome = Err(Failure::Write { records, error: e.into() });
                break;
            }
        }
        progress(batch.read);
    }
    drop(rx);
    let _ = reader.join();
    report.not_in_file = PARTS.iter().filter(|(bit, _)| absent & bit != 0).map(|(_, field)| field.to_string()).collect();
    match outcome {
        Ok(()) => Ok(report),
        Err(reason) => Err(failed(reason, report)),
    }
}

/// A written batch on its way back to the reader thread to be freed.
type Spent = Vec<(NewObject, ObjectText)>;

/// Where batches are written: SQLite through its bulk writer (moved to a
/// blocking thread for each batch and back), PostgreSQL through the pool.
enum Writer {
    Sqlite(Option<ObjectWriter>),
    Postgres,
}

impl Writer {
    fn open(db: &Db) -> Result<Writer> {
        Ok(match db.backend() {
            Backend::Postgres => Writer::Postgres,
            Backend::Sqlite => {
                let path = db.sqlite_path().ok_or_else(|| {
                    StoreError::Bulk("imports need the SQLite database in a file, not in memory".into())
                })?;
                Writer::Sqlite(Some(ObjectWriter::open(path)?))
            }
        })
    }
}

async fn write_sqlite(
    db: &Db,
    slot: &mut Option<ObjectWriter>,
    org: i64,
    rows: Vec<(NewObject, ObjectText)>,
) -> Result<(BatchCounts, Vec<(NewObject, ObjectText)>)> {
    let Some(mut writer) = slot.take() else {
        return Err(StoreError::Bulk("the import's database connection was lost after an earlier failure".into()).into());
    };
    let turn = db.write_turn().await;
    let now = meetinghouse_store::now();
    let (writer, counts, rows) = tokio::task::spawn_blocking(move || {
        let counts = writer.write(org, &rows, now);
        drop(turn);
        (writer, counts, rows)
    })
    .await
    .map_err(|e| StoreError::Bulk(format!("the import's writer stopped: {e}")))?;
    *slot = Some(writer);
    Ok((counts?, rows))
}

async fn write_postgres(db: &Db, org: i64, batch: Vec<(NewObject, ObjectText)>) -> Result<BatchCounts> {
    let mut tx = db.begin().await?;
    let keys: Vec<&str> = batch.iter().map(|(o, _)| o.key.as_str()).collect();
    let existing = objects::existing(&mut tx, db.backend(), org, &keys).await?;
    drop(keys);
    let mut counts = BatchCounts::default();
    let mut objects = Vec::with_capacity(batch.len());
    let mut texts = Vec::with_capacity(batch.len());
    for (o, text) in batch {
        match existing.get(&o.key) {
            Some((_, hash)) if *hash == o.content_hash => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
            None => counts.created += 1,
        }
        objects.push(o);
        texts.push(text);
    }
    let ids = objects::upsert_many(&mut tx, db.backend(), org, &objects).await?;
    let now = meetinghouse_store::now();
    let (mut fresh, mut replaced) = (Vec::new(), Vec::new());
    for (o, t) in objects.iter().zip(&texts) {
        let Some(&ref_id) = ids.get(&o.key) else {
            continue;
        };
        let doc = Document {
            kind: "object",
            ref_id,
            title: &o.title,
            body: &t.body,
            title_folded: &t.title_folded,
            body_folded: &t.body_folded,
            created_at: now,
        };
        if existing.contains_key(&o.key) {
            replaced.push(doc)
        } else {
            fresh.push(doc)
        }
    }
    crate::search::index_many_folded(&mut tx, db, "object", &fresh, true).await?;
    crate::search::index_many_folded(&mut tx, db, "object", &replaced, false).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::web_url;

    #[test]
    fn only_web_addresses_are_links() {
        for ok in ["https://example.org/a?b=1#c", "http://example.org", "HTTPS://Example.org:8443/x", " https://example.org/ ", "https://user@example.org/", "http://[::1]:8080/", "https://münster.example/"] {
            assert_eq!(web_url(ok), Some(ok.trim()), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "//example.org/x",
            "/objects/1",
            "example.org",
            "https:example.org",
            "https:\\\\example.org",
            "https://",
            "https:///x",
            "https://exa mple.org/",
            "https://example.org:80a/",
            "https://example.org/\nx",
            "ftp://example.org/",
            "",
        ] {
            assert_eq!(web_url(bad), None, "{bad:?}");
        }
    }
}
