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
//!
//! A column no field of ours takes is kept, private (shown only to the
//! organisation's staff and admins), unless the mapping publishes it
//! (`[options] publish`); the report names the columns that are public and
//! those kept private. A record of an object withdrawn from the collection
//! is not written (the report names it). A run can be a dry run ("check the
//! file": everything is read and checked, what would change is counted,
//! nothing is written), and can withdraw the objects the file does not have
//! ([`ImportRun`]). An organisation's collection holds at most
//! [`MAX_OBJECTS_PER_ORG`] objects.
//!
//! In CSV a quote that is never closed would make the rest of the file one
//! value: the reader follows the quotes itself, stops there and says where
//! the quote opened and how much of the file was not read; a record longer
//! than [`RECORD_MAX`] stops it too, so reading holds no more than that.

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use meetinghouse_store::objects::{self, BatchCounts, ImportRow, NewObject, ObjectText, ObjectWriter};
use meetinghouse_store::search::Document;
use meetinghouse_store::{Backend, Db, StoreError};
use serde::{Deserialize, Serialize};
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
/// The most objects one organisation's collection holds (withdrawn ones
/// included): an import that would pass it stops before the batch that
/// would, with the batches before it stored.
pub const MAX_OBJECTS_PER_ORG: i64 = 500_000;
/// How many column names the report lists as public, and as private.
pub const COLUMNS_LISTED: usize = 200;
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

/// An import set to withdraw the objects its file lacks withdraws more
/// than this many only when told that so many should go
/// ([`ImportRun::withdraw_many`]), if they are also more than
/// [`WITHDRAW_MANY_PERCENT`] of the collection: a file of part of the
/// collection (ten rows, say) must not empty it by mistake.
pub const WITHDRAW_MANY_OBJECTS: u64 = 50;
/// The share of the collection, in per cent, past which (with more than
/// [`WITHDRAW_MANY_OBJECTS`]) withdrawing the objects a file lacks needs
/// [`ImportRun::withdraw_many`]: a fifth.
pub const WITHDRAW_MANY_PERCENT: u64 = 20;
/// What a refusal to withdraw so many says to do, in the browser's words;
/// the command line says how it is done there.
pub const WITHDRAW_MANY_ADVICE: &str = "If that many should go, import the file again with “Withdraw them even if that is most of the collection” ticked as well.";

/// Whether withdrawing `n` of a collection of `live` objects is more than
/// an import does without being told so many should go.
pub fn withdraws_many(n: u64, live: u64) -> bool {
    n > WITHDRAW_MANY_OBJECTS && n * 100 > live * WITHDRAW_MANY_PERCENT
}

/// How far an import has got, for a progress bar or its status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Records read from the file so far (after each batch).
    Read(u64),
    /// Looking through the collection for the objects the file does not
    /// have ([`ImportRun::withdraw_missing`], a dry run too): `looked` of
    /// the `total` objects in it.
    Looking { looked: u64, total: u64 },
    /// Withdrawing them: `done` of `total`.
    Withdrawing { done: u64, total: u64 },
}

/// How an import runs, besides what it reads ([`import_records_run`]).
#[derive(Debug, Clone, Default)]
pub struct ImportRun {
    /// Read and check everything and count what would change; write nothing.
    pub dry_run: bool,
    /// After a complete import, withdraw the organisation's objects the file
    /// does not have (not when any record was skipped but for repeating an
    /// accession number, nor when none was imported, nor when they are more
    /// than [`withdraws_many`] allows without [`ImportRun::withdraw_many`]).
    pub withdraw_missing: bool,
    /// With `withdraw_missing`: withdraw them however many they are.
    pub withdraw_many: bool,
    /// The import's id (store `collection_imports`), recorded on the objects
    /// it withdraws so they can all be put back at once
    /// (`withdraw::put_back_import`).
    pub import_id: Option<i64>,
    /// Who runs it (recorded on the objects it withdraws).
    pub by: Option<i64>,
    /// A cap on the collection's size lower than [`MAX_OBJECTS_PER_ORG`]
    /// (`None`: that one), for tests.
    pub max_objects: Option<i64>,
}

/// One record that was skipped, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordError {
    /// Where it is: "row 12", "line 7", "item 3" or a file name.
    pub record: String,
    pub field: String,
    pub message: String,
    /// Reading cannot go on past it (a CSV quote never closed, a record too
    /// long): the import stops there.
    #[serde(skip)]
    pub stops: bool,
}

impl RecordError {
    pub fn new(record: impl Into<String>, field: impl Into<String>, message: impl Into<String>) -> RecordError {
        RecordError { record: record.into(), field: field.into(), message: message.into(), stops: false }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
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
    /// Whether the collection had objects when the import began (what the
    /// note about fields not in the file is about).
    pub stored_before: bool,
    /// The columns (or top-level JSON keys) no field of ours took, shown to
    /// everyone because the mapping publishes them, and the ones kept
    /// private; at most [`COLUMNS_LISTED`] each, in order of name.
    pub public_columns: Vec<String>,
    pub private_columns: Vec<String>,
    /// Records of objects withdrawn from the collection, left as they are,
    /// and the first accession numbers among them.
    pub withdrawn: u64,
    pub withdrawn_listed: Vec<String>,
    /// A dry run: the counts say what an import would do; nothing was written.
    pub dry_run: bool,
    /// Objects the file did not have that were withdrawn (or would be, in a
    /// dry run), when the import was asked to.
    pub withdrawn_missing: u64,
    /// Why the objects the file did not have were not withdrawn, when the
    /// import was asked to and did not.
    pub withdraw_missing_refused: Option<String>,
    /// Objects the file did not have that were left in the collection (or
    /// would be, in a dry run) because they were too many to withdraw
    /// without [`ImportRun::withdraw_many`] ([`withdraws_many`]); 0 otherwise.
    pub withdraw_many_refused: u64,
}

impl ImportReport {
    /// What the report says about [`ImportReport::not_in_file`], if
    /// anything: "3 fields not in this file were left as they were: …";
    /// nothing when the collection had no objects before (nothing was left).
    pub fn not_in_file_note(&self) -> Option<String> {
        let n = self.not_in_file.len();
        (n > 0 && self.stored_before).then(|| {
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

    /// Records read from the file (imported, skipped or of withdrawn objects).
    pub fn read(&self) -> u64 {
        self.imported() + self.skipped + self.withdrawn
    }

    /// What it says about the columns no field of ours took: which are
    /// shown to everyone and which are kept private; `None` when there were none.
    pub fn columns_note(&self) -> Option<String> {
        let verb = if self.dry_run { "would be shown" } else { "shown" };
        match (self.public_columns.is_empty(), self.private_columns.is_empty()) {
            (true, true) => None,
            (false, true) => Some(format!("Shown to everyone on the object pages: {}.", listed(self.public_columns.iter().map(String::as_str), COLUMNS_LISTED))),
            (true, false) => Some(format!(
                "Kept private ({verb} only to the organisation's staff and admins, marked private): {}. To show a column to everyone, name it in the mapping under [options], like publish = [\"{}\"].",
                listed(self.private_columns.iter().map(String::as_str), COLUMNS_LISTED),
                self.private_columns[0].replace('"', "\\\"")
            )),
            (false, false) => Some(format!(
                "Shown to everyone on the object pages: {}. Kept private ({verb} only to the organisation's staff and admins): {}.",
                listed(self.public_columns.iter().map(String::as_str), COLUMNS_LISTED),
                listed(self.private_columns.iter().map(String::as_str), COLUMNS_LISTED)
            )),
        }
    }

    /// What it says about records of withdrawn objects, if any.
    pub fn withdrawn_note(&self) -> Option<String> {
        (self.withdrawn > 0).then(|| {
            let more = self.withdrawn.saturating_sub(self.withdrawn_listed.len() as u64);
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            format!(
                "{} {} of objects withdrawn from the collection, so {} left as {} (put an object back from its page to import it again): {}{more}.",
                self.withdrawn,
                if self.withdrawn == 1 { "record is" } else { "records are" },
                if self.withdrawn == 1 { "it was" } else { "they were" },
                if self.withdrawn == 1 { "it is" } else { "they are" },
                self.withdrawn_listed.join(", ")
            )
        })
    }

    /// What it says about withdrawing the objects the file does not have.
    pub fn withdraw_missing_note(&self) -> Option<String> {
        if let Some(why) = &self.withdraw_missing_refused {
            return Some(why.clone());
        }
        let n = self.withdrawn_missing;
        (n > 0).then(|| {
            let objects = if n == 1 { "object" } else { "objects" };
            if self.dry_run {
                format!("{n} {objects} of the collection that this file does not have would be withdrawn.")
            } else {
                format!(
                    "{n} {objects} of the collection that this file does not have {} withdrawn (each can be put back from its page, and the meeting house's operator can put back everything this import withdrew at once).",
                    if n == 1 { "was" } else { "were" }
                )
            }
        })
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

/// A whole-file problem: the import does not start. `field` says what is
/// to be corrected: `file` (the file itself) or `mapping` (a column or key
/// the mapping names that the file does not have).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub message: String,
    pub field: &'static str,
}

impl FileError {
    pub fn file(message: impl Into<String>) -> FileError {
        FileError { message: message.into(), field: "file" }
    }

    pub fn mapping(message: impl Into<String>) -> FileError {
        FileError { message: message.into(), field: "mapping" }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
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
    /// Reading stopped at a problem in the file (a CSV quote never closed,
    /// a record too long) or at the cap on a collection's size, after some
    /// batches were stored: they stay, and the message says what was not read.
    Stopped(String),
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
            Failure::Stopped(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ImportFailed {}

impl From<ImportFailed> for CoreError {
    fn from(e: ImportFailed) -> CoreError {
        match e.reason {
            Failure::File(FileError { message, field }) => FieldErrors::one(field, message),
            Failure::Write { error, .. } => error,
            Failure::Stopped(message) => FieldErrors::one("file", message),
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
        return Err(FileError::file(format!(
            "This file is not UTF-8 text: it is UTF-16 (what Excel calls “Unicode Text”). {SAVE_AS_UTF8}"
        )));
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(FileError::file(format!(
            "This is not a CSV or JSON file: it looks like a spreadsheet workbook (.xlsx, .xls or .ods). {SAVE_AS_UTF8}"
        )));
    }
    if looks_binary(head) {
        return Err(FileError::file("This is not a CSV or JSON file (it looks like binary data)."));
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
    FileError::file(format!(
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
        .map_err(|e| FileError::file(format!("Could not open {}: {e}", path.display())))?;
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
        .map_err(|e| FileError::file(format!("Could not read {}: {e}", path.display())))?
        .to_vec();
    // Whether the first read holds the whole file (a pipe's size is 0:
    // never taken as whole, so a character cut by the read is not an error).
    let whole = total != 0 && head.len() as u64 >= total;
    let bom = head.starts_with(BOM);
    let head = if bom { &head[BOM.len()..] } else { &head[..] };
    sniff(head, whole)?;
    // (The first read comes back empty only at the end of the file.)
    if head.is_empty() {
        return Err(FileError::file("The file is empty. Nothing was imported."));
    }
    if whole && head.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::file("The file holds only blank lines or spaces, so it has no records. Nothing was imported."));
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
    let chosen = format.or_else(|| Format::parse(&ext));
    let format = chosen
        .or(match first {
            Some(b'[') => Some(Format::Json),
            Some(b'{') => Some(Format::JsonLines),
            _ => None,
        })
        .unwrap_or(Format::Csv);
    let is_file = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let records: Box<dyn Iterator<Item = Item> + Send> = match (format, first, mapping.options.records.as_deref()) {
        (Format::Csv, _, _) => csv_rows(reader, mapping, delimiter(mapping, head))?,
        // JSON, however it was named: the first character says how it is
        // laid out (a list, a list inside an object, or one object a line).
        (_, Some(b'['), Some(pointer)) => {
            return Err(FileError::mapping(format!(
                "The mapping says the records are in the list at {pointer} (records = …), but this file is itself a list of records. Remove the records line from the mapping. Nothing was imported."
            )));
        }
        (_, Some(b'['), None) => {
            // A file is checked whole first (a pipe cannot be read twice):
            // JSON that does not parse is refused before anything is written.
            if is_file {
                check_json(path)?;
            }
            Box::new(JsonArrayItems::new(reader))
        }
        (_, Some(b'{'), Some(pointer)) => {
            if is_file {
                check_json(path)?;
            }
            let mut reader = reader;
            descend(&mut reader, pointer)?;
            Box::new(JsonArrayItems::new(reader))
        }
        (Format::Json, Some(b'{'), None) if is_file => match check_json(path) {
            // One object: its records are in a list inside it.
            Ok(()) => return Err(wrapped_json(reader)),
            // Several objects, one after another: JSON Lines named .json.
            Err(e) if e.message.contains("trailing characters") => Box::new(json_lines(reader)),
            Err(e) => return Err(e),
        },
        (Format::Json, _, _) if first != Some(b'{') => return Err(not_an_array()),
        (_, _, _) => Box::new(json_lines(reader)),
    };
    Ok(Opened {
        records,
        total,
        position,
        unit: Unit::Bytes,
    })
}

/// The next byte of `reader` that is not white space, left unread; `None`
/// at the end.
fn peek_byte(reader: &mut impl BufRead) -> std::io::Result<Option<u8>> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                reader.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// Reads a JSON string (its opening quote next) and returns it decoded;
/// `None` at the end of the file, or for a string longer than [`RECORD_MAX`].
fn read_json_string(reader: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut raw = Vec::new();
    let mut escaped = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() || raw.len() > RECORD_MAX {
            return Ok(None);
        }
        let mut end = None;
        for (i, b) in buf.iter().copied().enumerate() {
            raw.push(b);
            if raw.len() == 1 {
                continue;
            }
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                end = Some(i + 1);
                break;
            }
        }
        let n = end.unwrap_or(buf.len());
        reader.consume(n);
        if end.is_some() {
            return Ok(serde_json::from_slice::<String>(&raw).ok());
        }
    }
}

/// Where a byte of JSON text stands to its strings, for the scans below that
/// step over what a string holds (brackets and commas in it included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InString {
    /// Not in a string: the byte is JSON's own.
    Outside,
    /// In a string, its opening quote included.
    Inside,
    /// The quote that closes a string.
    Closed,
}

/// The state of a byte-at-a-time scan of JSON text: inside a string, and
/// just after a backslash in it.
#[derive(Debug, Default)]
struct Strings {
    quoted: bool,
    escaped: bool,
}

impl Strings {
    fn take(&mut self, b: u8) -> InString {
        if !self.quoted {
            self.quoted = b == b'"';
            return if self.quoted { InString::Inside } else { InString::Outside };
        }
        if self.escaped {
            self.escaped = false;
        } else if b == b'\\' {
            self.escaped = true;
        } else if b == b'"' {
            self.quoted = false;
            return InString::Closed;
        }
        InString::Inside
    }
}

/// Reads past one JSON value (a string, an object or a list, or a number,
/// `true`, `false` or `null`), leaving the comma or bracket after it.
fn skip_json_value(reader: &mut impl BufRead) -> std::io::Result<()> {
    let (mut depth, mut strings, mut started) = (0usize, Strings::default(), false);
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        let mut taken = buf.len();
        let mut done = false;
        for (i, b) in buf.iter().copied().enumerate() {
            match strings.take(b) {
                InString::Inside => continue,
                InString::Closed if depth == 0 => {
                    taken = i + 1;
                    done = true;
                    break;
                }
                InString::Closed => continue,
                InString::Outside => {}
            }
            match b {
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        taken = i + 1;
                        done = true;
                        break;
                    }
                }
                b',' | b'}' | b']' if depth == 0 && started => {
                    taken = i;
                    done = true;
                    break;
                }
                _ => {}
            }
            started = true;
        }
        reader.consume(taken);
        if done {
            return Ok(());
        }
    }
}

/// The keys of the JSON object `reader` is at (its `{` next), each with
/// whether its value is a list: at most 20, for a message.
fn object_keys(reader: &mut impl BufRead) -> std::io::Result<Vec<(String, bool)>> {
    let mut keys = Vec::new();
    if peek_byte(reader)? != Some(b'{') {
        return Ok(keys);
    }
    reader.consume(1);
    while keys.len() < 20 {
        if peek_byte(reader)? != Some(b'"') {
            break;
        }
        let Some(key) = read_json_string(reader)? else { break };
        if peek_byte(reader)? != Some(b':') {
            break;
        }
        reader.consume(1);
        let list = peek_byte(reader)? == Some(b'[');
        keys.push((key, list));
        skip_json_value(reader)?;
        if peek_byte(reader)? != Some(b',') {
            break;
        }
        reader.consume(1);
    }
    Ok(keys)
}

/// What a JSON file holding one object (not a list of records) is told:
/// to name the list of records inside it, with the lists it has.
fn wrapped_json(mut reader: impl BufRead) -> FileError {
    let keys = object_keys(&mut reader).unwrap_or_default();
    let lists: Vec<String> = keys.iter().filter(|(_, list)| *list).map(|(k, _)| format!("/{}", k.replace('~', "~0").replace('/', "~1"))).collect();
    let example = lists.first().cloned().unwrap_or_else(|| "/objects".into());
    let has = if lists.is_empty() {
        format!("Its keys are {}; none of them holds a list.", listed(keys.iter().map(|(k, _)| k.as_str()), 20))
    } else {
        format!("The lists in it are at {}.", listed(lists.iter().map(String::as_str), 20))
    };
    FileError::mapping(format!(
        "This JSON file holds one object, not a list of records ([{{…}}, {{…}}]). If its records are in a list inside it, name that list in the mapping under [options], like records = \"{example}\". {has} Nothing was imported."
    ))
}

/// Moves `reader` to the list a JSON pointer names in the object it is at
/// (its `{` next), each step a key (`/objects`, `/data/items`): the list's
/// `[` is next after it. A pointer that names nothing, or names something
/// that is not a list, is a mistake in the mapping.
fn descend(reader: &mut impl BufRead, pointer: &str) -> std::result::Result<(), FileError> {
    let io = |e: std::io::Error| FileError::file(format!("The file could not be read: {e}"));
    let steps: Vec<String> = pointer.trim_start_matches('/').split('/').map(|p| p.replace("~1", "/").replace("~0", "~")).collect();
    let mut at = String::new();
    for step in &steps {
        if peek_byte(reader).map_err(io)? != Some(b'{') {
            return Err(FileError::mapping(format!("The mapping's records = \"{pointer}\" goes into {}, which is not an object. Nothing was imported.", if at.is_empty() { "the file".to_string() } else { at.clone() })));
        }
        reader.consume(1);
        let mut found = false;
        loop {
            if peek_byte(reader).map_err(io)? != Some(b'"') {
                break;
            }
            let Some(key) = read_json_string(reader).map_err(io)? else { break };
            if peek_byte(reader).map_err(io)? != Some(b':') {
                break;
            }
            reader.consume(1);
            if key == *step {
                found = true;
                break;
            }
            skip_json_value(reader).map_err(io)?;
            if peek_byte(reader).map_err(io)? != Some(b',') {
                break;
            }
            reader.consume(1);
        }
        at.push('/');
        at.push_str(step);
        if !found {
            return Err(FileError::mapping(format!(
                "The mapping's records = \"{pointer}\" names {at}, which this file does not have. Nothing was imported."
            )));
        }
    }
    if peek_byte(reader).map_err(io)? != Some(b'[') {
        return Err(FileError::mapping(format!("The mapping's records = \"{pointer}\" names something that is not a list of records. Nothing was imported.")));
    }
    Ok(())
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
    let watch = Arc::new(std::sync::Mutex::new(QuoteWatch::new(delimiter)));
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(Watched { inner: reader, watch: watch.clone() });
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| FileError::file(format!("The CSV header could not be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let header_line = csv.headers().ok().and_then(|h| h.position()).map_or(1, |p| p.line());
    if let Some(stop) = watched(&watch).stop.as_ref().filter(|s| s.record_line <= header_line) {
        return Err(FileError::file(format!("{} Nothing was imported.", stop.message("the header"))));
    }
    if headers.len() < 2 {
        let separated = match delimiter {
            b',' => "commas, semicolons or tabs".to_string(),
            b'\t' => "tabs, as the mapping says".to_string(),
            d => format!("“{}”, as the mapping says", d as char),
        };
        return Err(FileError::file(format!(
            "The file does not look like CSV: its first line has only one column, “{}”, where the columns should be separated by {separated}. {DELIMITER_ADVICE} Nothing was imported.",
            shown(headers.first().map(String::as_str).unwrap_or(""))
        )));
    }
    // Every column the mapping names must be in the header, or every row
    // would be stored without it (overwriting what an earlier import stored).
    if mapping.fields.is_empty() && recognised_column("accession_number", &headers).is_none() {
        return Err(FileError::mapping(format!(
            "None of this file's columns is recognised as the accession number (we look for names like “Accession Number”, “Object Number” or “Inventory Number”). The file's columns are: {}. Name the column in a mapping (accession_number = \"…\") and import again. Nothing was imported.",
            listed(headers.iter().map(String::as_str), 60)
        )));
    }
    check_columns(mapping, &headers).map_err(FileError::mapping)?;
    let width = headers.len();
    let mut row = 1usize;
    let mut record = csv::StringRecord::new();
    let mut done = false;
    Ok(Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        // Row numbers count the header as row 1, as spreadsheets do.
        row += 1;
        let label = format!("row {row}");
        let read = csv.read_record(&mut record);
        let line = record.position().map_or(0, |p| p.line());
        let (stop, after_quote) = {
            let mut w = watched(&watch);
            let stop = w.stop.clone().filter(|s| s.record_line == line);
            (stop, w.after_quote(line))
        };
        if let Some(stop) = stop {
            done = true;
            let mut e = RecordError::new(label.clone(), "", stop.message(&label));
            e.stops = true;
            return Some(Err(e));
        }
        Some(match read {
            Ok(false) => {
                done = true;
                return None;
            }
            Err(e) => {
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => format!(
                        "This row is not UTF-8 text (in the column “{}”), so it was skipped. Save the file as “CSV UTF-8” and import it again.",
                        headers.get(err.field()).map(String::as_str).unwrap_or("?")
                    ),
                    _ => format!("This row could not be read as CSV: {e}"),
                };
                Err(RecordError::new(label, "", message))
            }
            Ok(true) if record.len() != width => {
                let lines = if record.iter().any(|v| v.contains('\n')) {
                    " Its values run over several lines: a quote in it, or in a row just before it, may not be closed where it should be (a quote inside a value is written twice, \"\")."
                } else {
                    ""
                };
                Err(RecordError::new(label, "", format!("This row has {} fields; the header has {width}.{lines}", record.len())))
            }
            Ok(true) => {
                let quoted: Vec<&str> = after_quote.iter().filter_map(|f| headers.get(*f).map(String::as_str)).collect();
                let source = Source::Row(headers.iter().cloned().zip(record.iter().map(str::to_string)).collect());
                let label = if quoted.is_empty() { label } else { format!("{label}{AFTER_QUOTE_MARK}{}", quoted.join("\u{1f}")) };
                Ok((label, source))
            }
        })
    })))
}

/// Marks a CSV row's label with the columns whose value had text after its
/// closing quote (names separated by U+001F), for [`check`] to warn about.
const AFTER_QUOTE_MARK: &str = "\u{1e}";

/// Splits a row's label from the columns [`AFTER_QUOTE_MARK`] names.
fn label_and_quoted(label: &str) -> (&str, Vec<&str>) {
    match label.split_once(AFTER_QUOTE_MARK) {
        Some((label, cols)) => (label, cols.split('\u{1f}').collect()),
        None => (label, Vec::new()),
    }
}

/// The reader's watch over a CSV file's quotes, kept beside the `csv`
/// crate's parser (whose rules it follows: a quote opens a quoted value only
/// at its start, `""` inside one is a quote, text after the closing quote
/// is kept as plain text), which says nothing of a quote never closed (the
/// rest of the file becomes one value) or of a record's length.
#[derive(Debug)]
struct QuoteWatch {
    delimiter: u8,
    state: QuoteState,
    /// The line the next byte is on (from 1, as the `csv` crate counts).
    line: u64,
    /// The line the current record began on, and its length so far.
    record_line: u64,
    record_bytes: usize,
    /// The line the open quote was opened on, and its column (from 0).
    quote_line: u64,
    field: usize,
    /// (record's line, column) of values with text after their closing
    /// quote, read ahead of the parser.
    after_quote: std::collections::VecDeque<(u64, usize)>,
    stop: Option<CsvStop>,
    /// Whether the last byte read was a line break.
    at_line_start: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted value: the end of it, or the first of `""`.
    QuoteInQuoted,
}

/// Where reading a CSV file stopped, and why.
#[derive(Debug, Clone)]
struct CsvStop {
    /// The line the record it stopped in began on.
    record_line: u64,
    kind: StopKind,
}

#[derive(Debug, Clone)]
enum StopKind {
    /// The quote opened on `line` was never closed; the file has `lines` lines from there.
    Unclosed { line: u64, lines: u64 },
    /// The record is longer than [`RECORD_MAX`].
    TooLong,
}

impl CsvStop {
    fn message(&self, row: &str) -> String {
        match self.kind {
            StopKind::Unclosed { line, lines } => format!(
                "The quote opened on line {line} (in {row}) is never closed, so the rest of the file ({lines} {}) would be read as one value, and was not read. \
                 Close the quote, or write a quote inside a value twice (\"\"), and import again.",
                if lines == 1 { "line" } else { "lines" }
            ),
            StopKind::TooLong => format!(
                "{} (from line {}) is longer than {} MB, so the file was not read past it: most likely a quote in it is never closed. \
                 Close the quote, or write a quote inside a value twice (\"\"), and import again.",
                capitalised(row),
                self.record_line,
                RECORD_MAX / (1024 * 1024)
            ),
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn watched(watch: &std::sync::Mutex<QuoteWatch>) -> std::sync::MutexGuard<'_, QuoteWatch> {
    watch.lock().unwrap_or_else(|e| e.into_inner())
}

impl QuoteWatch {
    fn new(delimiter: u8) -> QuoteWatch {
        QuoteWatch {
            delimiter,
            state: QuoteState::RecordStart,
            line: 1,
            record_line: 1,
            record_bytes: 0,
            quote_line: 0,
            field: 0,
            after_quote: std::collections::VecDeque::new(),
            stop: None,
            at_line_start: true,
        }
    }

    /// Follows `bytes`; how many of them the parser may have: all, unless
    /// a record grows past [`RECORD_MAX`] (then reading stops there).
    fn follow(&mut self, bytes: &[u8]) -> usize {
        use QuoteState::*;
        for (i, &b) in bytes.iter().enumerate() {
            let newline = b == b'\n' || b == b'\r';
            if self.state == RecordStart && !newline {
                self.state = FieldStart;
                self.record_line = self.line;
                self.record_bytes = 0;
                self.field = 0;
            }
            if self.state != RecordStart {
                self.record_bytes += 1;
                if self.record_bytes > RECORD_MAX {
                    self.stop = Some(CsvStop { record_line: self.record_line, kind: StopKind::TooLong });
                    return i;
                }
            }
            self.state = match (self.state, b) {
                (RecordStart, _) => RecordStart,
                (FieldStart, b'"') => {
                    self.quote_line = self.line;
                    Quoted
                }
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) => Quoted,
                (QuoteInQuoted, b'"') => Quoted,
                (FieldStart | Unquoted | QuoteInQuoted, d) if d == self.delimiter => {
                    self.field += 1;
                    FieldStart
                }
                (FieldStart | Unquoted | QuoteInQuoted, _) if newline => RecordStart,
                (QuoteInQuoted, _) => {
                    if self.after_quote.len() < ERRORS_LISTED {
                        self.after_quote.push_back((self.record_line, self.field));
                    }
                    Unquoted
                }
                (FieldStart | Unquoted, _) => Unquoted,
            };
            if b == b'\n' {
                self.line += 1;
            }
            self.at_line_start = b == b'\n';
        }
        bytes.len()
    }

    /// The end of the file: a quote still open was never closed.
    fn end(&mut self) {
        if self.state == QuoteState::Quoted && self.stop.is_none() {
            // The last line is the one before the line break that ends the file.
            let last = if self.at_line_start { self.line - 1 } else { self.line };
            let lines = last.saturating_sub(self.quote_line) + 1;
            self.stop = Some(CsvStop { record_line: self.record_line, kind: StopKind::Unclosed { line: self.quote_line, lines } });
        }
    }

    /// The columns of the record on `line` whose value had text after its
    /// closing quote (those of earlier records are dropped).
    fn after_quote(&mut self, line: u64) -> Vec<usize> {
        let mut fields = Vec::new();
        while let Some(&(l, f)) = self.after_quote.front() {
            if l > line {
                break;
            }
            if l == line {
                fields.push(f);
            }
            self.after_quote.pop_front();
        }
        fields
    }
}

/// A reader that shows what it reads to a [`QuoteWatch`], and ends where it
/// says reading stops.
struct Watched<R> {
    inner: R,
    watch: Arc<std::sync::Mutex<QuoteWatch>>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if watched(&self.watch).stop.is_some() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        let mut watch = watched(&self.watch);
        if n == 0 {
            watch.end();
            return Ok(0);
        }
        Ok(watch.follow(&buf[..n]))
    }
}

/// What a JSON file that is not an array of records is told.
fn not_an_array() -> FileError {
    FileError::file("The JSON file must hold an array of records ([{…}, {…}]), or use JSON Lines.")
}

/// Checks a JSON file whole before any record is read from it, holding no
/// more of it than a read buffer: that it is UTF-8 text and valid JSON,
/// either refused with the line it fails at.
fn check_json(path: &Path) -> std::result::Result<(), FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError::file(format!("Could not open {}: {e}", path.display())))?;
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
    checked.map_err(|e| FileError::file(format!("The file is not valid JSON: {e}.")))
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
        let (mut depth, mut strings, mut len) = (0usize, Strings::default(), 0usize);
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok((len, ItemEnd::Eof));
            }
            let mut end = None;
            for (i, b) in buf.iter().copied().enumerate() {
                if strings.take(b) != InString::Outside {
                    continue;
                }
                match b {
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
        let error = |record: String, message: String| Some(Err(RecordError::new(record, "", message)));
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
                        return error("the file".into(), not_an_array().message);
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
                        Ok(_) => Err(RecordError::new(label, String::new(), "This item is not a JSON object.")),
                        Err(e) => Err(RecordError::new(label, String::new(), format!("This item is not valid JSON: {e}"))),
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
        let error = |message: String| Some(Err(RecordError::new(label.clone(), String::new(), message)));
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
            Ok(_) => Err(RecordError::new(label, String::new(), "This line is not a JSON object.")),
            Err(e) => Err(RecordError::new(label, String::new(), format!("This line is not valid JSON: {e}"))),
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
            .map_err(|e| FileError::file(format!("Could not read the folder {}: {e}", d.display())))?;
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
        return Err(FileError::file(format!(
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
                Ok(_) => Err(RecordError::new(label, String::new(), "This file does not hold a JSON object.")),
                Err(message) => Err(RecordError::new(label, String::new(), message)),
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
    text_of_fields(&o.title, [&o.makers, &o.display_date, &o.medium, &o.classification, &o.description, &o.accession_number])
}

/// What the search index holds for a stored object (one put back in its
/// collection is indexed again).
pub(crate) fn row_text(o: &objects::ObjectRow) -> ObjectText {
    text_of_fields(&o.title, [&o.makers, &o.display_date, &o.medium, &o.classification, &o.description, &o.accession_number])
}

/// The title, and the other fields joined by " · ", folded for the index.
fn text_of_fields(title: &str, fields: [&String; 6]) -> ObjectText {
    let body = fields.iter().map(|s| s.as_str()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ");
    ObjectText {
        title_folded: crate::search::index_text(title),
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

/// Keeps a record's extra fields within `max` characters of stored JSON
/// (of [`EXTRA_MAX`] for its public and private ones together), in their
/// order, leaving out each field that does not fit; the stored JSON and the
/// names left out.
fn extra_json(extra: Map<String, Value>, max: usize) -> (String, Vec<String>) {
    let value = Value::Object(extra);
    let whole = value.to_string();
    // Bytes are at least as many as characters: most records stop here.
    if whole.len() <= max || whole.chars().count() <= max {
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
        if size + n <= max {
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
    quoted: &[&str],
    columns: &mut ColumnsSeen,
) -> std::result::Result<Checked, RecordError> {
    let mut r = resolve(source, mapping);
    let absent = match absent_parts(&r) {
        0 => Absent::default(),
        parts => Absent { parts, blank_extra: std::mem::take(&mut r.blank_extra) },
    };
    let err = |field: &str, message: String| RecordError::new(label.to_string(), field.to_string(), message);
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
    let mut accession = first("accession_number");
    if accession.chars().any(invisible) {
        let found: Vec<String> = accession.chars().filter(|c| invisible(*c)).map(|c| format!("U+{:04X}", c as u32)).collect();
        accession = accession.chars().filter(|c| !invisible(*c)).collect::<String>().trim().to_string();
        warnings.push(err(
            "accession_number",
            format!(
                "The accession number had invisible characters ({}), which would make it look like another or show it back to front; they were removed, so it is {}.",
                found.join(", "),
                shown(&accession)
            ),
        ));
    }
    for column in quoted {
        let value = match source {
            Source::Row(cols) => cols.iter().find(|(k, _)| k == column).map(|(_, v)| v.as_str()).unwrap_or(""),
            Source::Json(_) => "",
        };
        warnings.push(err(
            column,
            format!(
                "In the column “{}” a quote closed before the end of the value, so it was read as “{}”, without that quote. In CSV a value that holds quotes is written in quotes with each quote inside it doubled, like \"\"\"12\"\" ruler\".",
                shown(column),
                shown(value)
            ),
        ));
    }
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
    // Columns no field of ours took are private unless the mapping publishes them.
    let (mut public, mut private) = (Map::new(), Map::new());
    for (k, v) in std::mem::take(&mut r.extra) {
        let shown_to_all = mapping.publishes(&k);
        columns.note(&k, shown_to_all);
        if shown_to_all { public.insert(k, v) } else { private.insert(k, v) };
    }
    let (extra, mut left_out) = extra_json(public, EXTRA_MAX);
    let room = EXTRA_MAX.saturating_sub(extra.chars().count());
    let (private, more_left_out) = extra_json(private, room);
    left_out.extend(more_left_out);
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
    o.content_hash = content_hash(&o, &private);
    Ok(Checked { object: o, private, warnings, absent })
}

/// A record checked: the row to store, its private extra fields (JSON),
/// warnings about values changed or left out, and what it leaves as stored.
struct Checked {
    object: NewObject,
    private: String,
    warnings: Vec<RecordError>,
    absent: Absent,
}

/// The names of the columns no field of ours took, seen so far, shown to
/// everyone or kept private (at most [`COLUMNS_LISTED`] of each).
#[derive(Debug, Default)]
struct ColumnsSeen {
    public: std::collections::BTreeSet<String>,
    private: std::collections::BTreeSet<String>,
}

impl ColumnsSeen {
    fn note(&mut self, name: &str, public: bool) {
        let set = if public { &mut self.public } else { &mut self.private };
        if set.len() < COLUMNS_LISTED && !set.contains(name) {
            set.insert(name.to_string());
        }
    }
}

/// Characters that show nothing, or turn the text around them (format
/// characters: zero-width spaces and joiners, bidirectional controls, the
/// byte order mark, the soft hyphen): an accession number with one looks
/// like another, or reads back to front.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}')
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
/// merges its stored extra fields (public and private, each staying as it
/// was stored) under the record's; the content hash is taken again.
fn fill(o: &mut NewObject, private: &mut String, absent: &Absent, stored: &objects::StoredFields) {
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
    // The stored extra fields this record does not name stay, as they were
    // (public or private); if together they would pass the limit, the
    // record's own are stored, as before.
    let parse = |json: &str| match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    if let (Some(mut public), Some(mut kept_private), Some(own_public), Some(own_private)) =
        (parse(&stored.extra), parse(&stored.extra_private), parse(&o.extra), parse(private))
    {
        for k in absent.blank_extra.iter().chain(own_public.keys()).chain(own_private.keys()) {
            public.remove(k);
            kept_private.remove(k);
        }
        public.extend(own_public);
        kept_private.extend(own_private);
        let (json, left_out) = extra_json(public, EXTRA_MAX);
        let room = EXTRA_MAX.saturating_sub(json.chars().count());
        let (private_json, more_left_out) = extra_json(kept_private, room);
        if left_out.is_empty() && more_left_out.is_empty() {
            o.extra = json;
            *private = private_json;
        }
    }
    o.content_hash = content_hash(o, private);
}

/// The hash an unchanged record is told by: every stored field, the
/// private extra fields included.
fn content_hash(o: &NewObject, private: &str) -> String {
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
    // Only when there are private fields, so a record without any hashes
    // as it did before they were kept apart.
    if private != "{}" {
        h.update(private.as_bytes());
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
    let keys: Vec<&str> = batch.partial.iter().map(|(i, _)| batch.objects[*i].object.key.as_str()).collect();
    let hashes = objects::stored_hashes(db, org, &keys).await?;
    drop(keys);
    let differ: Vec<&(usize, Absent)> = batch
        .partial
        .iter()
        .filter(|(i, _)| {
            let o = &batch.objects[*i].object;
            hashes.get(&o.key).is_some_and(|h| *h != o.content_hash)
        })
        .collect();
    if differ.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = differ.iter().map(|(i, _)| batch.objects[*i].object.key.as_str()).collect();
    let stored = objects::stored_fields(db, org, &keys).await?;
    drop(keys);
    for (i, absent) in differ {
        let row = &mut batch.objects[*i];
        if let Some(s) = stored.get(&row.object.key) {
            fill(&mut row.object, &mut row.private, absent, s);
            row.text = search_text(&row.object);
        }
    }
    Ok(())
}

/// One batch of checked records, read while the previous one is written.
struct Batch {
    objects: Vec<ImportRow>,
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

    /// "row 2 to row 20001": the records in it, for a message.
    fn records(&self) -> String {
        if self.last.is_empty() { self.first.clone() } else { format!("{} to {}", self.first, self.last) }
    }
}

/// What the reader thread sends the writer.
enum Message {
    Batch(Batch),
    /// The file cannot be imported as it is (found before any batch was sent).
    Refused(FileError),
    /// Reading stopped at a problem in the file after some batch was sent:
    /// the last batch came before this.
    Stopped(String),
}

/// What the reader thread hands back when it is done: the accession numbers
/// it saw, the columns, and how many records were skipped for another
/// reason than repeating an accession number.
struct ReadEnd {
    seen: SeenKeys,
    columns: ColumnsSeen,
    bad_records: u64,
}

/// The accession numbers seen so far in one import, as 128-bit keyed
/// fingerprints (16 bytes each, about 36 MB for a million records with the
/// table's overhead), so a later record with the same number is skipped
/// however far apart they are, and the objects a file does not have are
/// told apart. Two different numbers share a fingerprint with a chance of
/// about one in 10^26 for a million records.
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

    fn fingerprint(&self, key: &str) -> u128 {
        (u128::from(self.a.hash_one(key)) << 64) | u128::from(self.b.hash_one(key))
    }

    /// Whether `key` is new (and now seen).
    fn insert(&mut self, key: &str) -> bool {
        let fingerprint = self.fingerprint(key);
        self.seen.insert(fingerprint)
    }

    /// Whether `key` was seen.
    fn contains(&self, key: &str) -> bool {
        self.seen.contains(&self.fingerprint(key))
    }
}

/// Imports a stream of records into an organisation's collection, calling
/// `progress` as it goes ([`Progress`]): an import that writes ([`ImportRun::default`]). See [`import_records_run`].
pub async fn import_records(
    db: &Db,
    options: &ImportOptions,
    records: impl Iterator<Item = Item> + Send + 'static,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> std::result::Result<ImportReport, ImportFailed> {
    import_records_run(db, options, &ImportRun::default(), records, progress).await
}

/// Imports a stream of records into an organisation's collection as `run`
/// says, calling `progress` with the number of records read after each
/// batch, then with how far looking for (and withdrawing) the objects the
/// file lacks has got ([`Progress`]).
///
/// Reading and checking run on their own thread, one batch ahead of the
/// database writes, so parsing and storing overlap. The first record with an
/// accession number is imported; later ones with the same number (ignoring
/// case) are skipped and named, wherever they are in the file. With a
/// mapping, the first batch is written only if each mapped field (and each
/// column it publishes) is in at least one of its records (see
/// [`Coverage`]). A record of a withdrawn object is not written. Each batch
/// reads, in its own write transaction, whether the moderators hold the
/// collection (`collection::withdraw_collection`): if they do, it writes
/// nothing and the import stops ([`held_message`]). A batch that
/// would take the collection past [`MAX_OBJECTS_PER_ORG`] stops the import.
/// A dry run reads, checks and counts as an import would, and writes nothing.
///
/// When it stops early, [`ImportFailed`] holds what was committed by then.
pub async fn import_records_run(
    db: &Db,
    options: &ImportOptions,
    run: &ImportRun,
    records: impl Iterator<Item = Item> + Send + 'static,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> std::result::Result<ImportReport, ImportFailed> {
    let failed = |reason: Failure, report: ImportReport| ImportFailed { report, reason };
    let start = |error: CoreError| Failure::Write { records: "from the start".into(), error };
    let mut report = ImportReport { dry_run: run.dry_run, ..ImportReport::default() };
    if let Err(e) = super::fill_sort_keys(db).await {
        return Err(failed(start(e), report));
    }
    let mut writer = if run.dry_run {
        Writer::DryRun
    } else {
        match Writer::open(db) {
            Ok(w) => w,
            Err(error) => return Err(failed(start(error), report)),
        }
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
        let mut columns = ColumnsSeen::default();
        let mut bad_records = 0u64;
        let mut sent = false;
        // Checked over the first batch only; a field is normally found in
        // its first few records, after which noting costs nothing.
        let mut coverage = Coverage::needed(&mapping).then(|| Coverage::new(&mapping));
        let refused = |coverage: &mut Option<Coverage>| coverage.take().and_then(|c| c.error()).map(FileError::mapping);
        let mut stop = None;
        for item in records {
            if let Err(e) = &item
                && e.stops
            {
                stop = Some(e.message.clone());
                break;
            }
            read += 1;
            if let (Some(c), Ok((_, source))) = (&mut coverage, &item) {
                c.note(source);
            }
            match item.and_then(|(label, source)| {
                let (label, quoted) = label_and_quoted(&label);
                let checked = check(label, &source, &mapping, &quoted, &mut columns)?;
                Ok((label.to_string(), checked))
            }) {
                Ok((label, Checked { object, private, warnings, absent })) => {
                    if !seen.insert(&object.key) {
                        let e = RecordError::new(label, "accession_number", format!(
                            "The accession number {} appears earlier in the file; the first record with it was imported and this one skipped.",
                            object.accession_number
                        ));
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
                    let text = search_text(&object);
                    batch.objects.push(ImportRow { object, private, text });
                    if batch.first.is_empty() {
                        batch.first = label;
                    } else {
                        batch.last = label;
                    }
                }
                Err(e) => {
                    bad_records += 1;
                    batch.skip(e, &mut kept)
                }
            }
            if batch.objects.len() >= BATCH {
                if let Some(e) = refused(&mut coverage) {
                    let _ = tx.blocking_send(Message::Refused(e));
                    return None;
                }
                let full = std::mem::replace(&mut batch, Batch::new());
                if tx.blocking_send(Message::Batch(Batch { read, ..full })).is_err() {
                    return None;
                }
                sent = true;
                while let Ok(spent) = spent_rx.try_recv() {
                    drop(spent);
                }
            }
        }
        if let Some(e) = refused(&mut coverage) {
            let _ = tx.blocking_send(Message::Refused(e));
            return None;
        }
        match stop {
            // Nothing written yet: the file is refused whole.
            Some(message) if !sent => {
                let _ = tx.blocking_send(Message::Refused(FileError::file(format!("{message} Nothing was imported."))));
                return None;
            }
            Some(message) => {
                let _ = tx.blocking_send(Message::Batch(Batch { read, ..batch }));
                let _ = tx.blocking_send(Message::Stopped(message));
            }
            None => {
                let _ = tx.blocking_send(Message::Batch(Batch { read, ..batch }));
            }
        }
        Some(ReadEnd { seen, columns, bad_records })
    });
    let mut outcome = Ok(());
    let mut written = 0u64;
    // Records lacking a field are filled from what is stored only when
    // something is: a first import (keys are distinct within one) skips it.
    let mut stored = match objects::count(db, options.org_id).await {
        Ok(n) => n,
        Err(e) => return Err(failed(start(e.into()), report)),
    };
    report.stored_before = stored > 0;
    let mut absent = 0u16;
    while let Some(message) = rx.recv().await {
        let mut batch = match message {
            Message::Batch(b) => b,
            Message::Refused(e) => {
                outcome = Err(Failure::File(e));
                break;
            }
            Message::Stopped(message) => {
                outcome = Err(Failure::Stopped(format!(
                    "{message} The records before it were {}.",
                    if run.dry_run { "checked" } else { "imported (import the file again once it is corrected, to complete it)" }
                )));
                break;
            }
        };
        report.add_listed(&mut batch);
        absent |= batch.absent;
        if !batch.objects.is_empty() {
            let records = batch.records();
            if report.stored_before && let Err(error) = fill_from_stored(db, options.org_id, &mut batch).await {
                outcome = Err(Failure::Write { records, error });
                break;
            }
            // The cap: counted exactly only when this batch might pass it.
            let cap = run.max_objects.unwrap_or(MAX_OBJECTS_PER_ORG).min(MAX_OBJECTS_PER_ORG);
            if stored + batch.objects.len() as i64 > cap {
                let keys: Vec<&str> = batch.objects.iter().map(|r| r.object.key.as_str()).collect();
                let new = match objects::count_existing(db, options.org_id, &keys).await {
                    Ok(n) => keys.len() as i64 - n,
                    Err(e) => {
                        outcome = Err(Failure::Write { records, error: e.into() });
                        break;
                    }
                };
                if stored + new > cap {
                    let message = format!(
                        "An organisation's collection holds at most {} objects, and this one has {}: the records {records} would pass that, so the import stopped there, before them.{} Ask the meeting house's admins if your collection needs more.",
                        thousands(cap),
                        thousands(stored),
                        if written > 0 { " The records before them were imported." } else { " Nothing was imported." }
                    );
                    outcome = if written == 0 { Err(Failure::File(FileError::file(message))) } else { Err(Failure::Stopped(message)) };
                    break;
                }
            }
            let counts = match &mut writer {
                Writer::Sqlite(w) => write_sqlite(db, w, options.org_id, batch.objects).await.map(|(counts, rows)| {
                    let _ = spent_tx.send(rows);
                    counts
                }),
                Writer::Postgres => write_postgres(db, options.org_id, batch.objects).await,
                Writer::DryRun => count_dry(db, options.org_id, &batch.objects).await,
            };
            match counts {
                Ok(c) if c.held => {
                    outcome = Err(Failure::Stopped(held_message(report.created + report.updated)));
                    break;
                }
                Ok(c) => {
                    report.created += c.created;
                    report.updated += c.updated;
                    report.unchanged += c.unchanged;
                    report.withdrawn += c.withdrawn;
                    let room = objects::WITHDRAWN_LISTED.saturating_sub(report.withdrawn_listed.len());
                    report.withdrawn_listed.extend(c.withdrawn_listed.into_iter().take(room));
                    stored += c.created as i64;
                }
                Err(error) => {
                    outcome = Err(Failure::Write { records, error });
                    break;
                }
            }
            // After the 1st, 2nd, 4th, 8th… batch: the tables have doubled.
            written += 1;
            if !run.dry_run
                && written.is_power_of_two()
                && let Err(e) = objects::refresh_statistics(db).await
            {
                outcome = Err(Failure::Write { records, error: e.into() });
                break;
            }
        }
        progress(Progress::Read(batch.read));
    }
    drop(rx);
    let end = reader.join().ok().flatten();
    report.not_in_file = PARTS.iter().filter(|(bit, _)| absent & bit != 0).map(|(_, field)| field.to_string()).collect();
    if let Some(end) = &end {
        report.public_columns = end.columns.public.iter().cloned().collect();
        report.private_columns = end.columns.private.iter().cloned().collect();
    }
    if let (Ok(()), true, Some(end)) = (&outcome, run.withdraw_missing, &end) {
        if end.bad_records > 0 {
            report.withdraw_missing_refused = Some(format!(
                "No object was withdrawn for not being in this file: {} {} skipped (see why below), and {} objects would have been withdrawn with {}. Correct the file and import it again.",
                end.bad_records,
                if end.bad_records == 1 { "record was" } else { "records were" },
                if end.bad_records == 1 { "its" } else { "their" },
                if end.bad_records == 1 { "it" } else { "them" },
            ));
        } else if report.imported() == 0 {
            report.withdraw_missing_refused =
                Some("No object was withdrawn for not being in this file: no record of it was imported, so it cannot be the whole collection.".into());
        } else if let Err(error) = withdraw_missing(db, options.org_id, run, &end.seen, &mut report, progress).await {
            outcome = Err(Failure::Write { records: "withdrawing the objects not in the file".into(), error });
        }
    }
    match outcome {
        Ok(()) => Ok(report),
        Err(reason) => Err(failed(reason, report)),
    }
}

/// What an import says when the moderators withdrew (and hold) the
/// collection while it ran: the batch that found the hold wrote nothing,
/// and the `written` records before it were withdrawn with the collection.
pub fn held_message(written: u64) -> String {
    let before = match written {
        0 => "Nothing of this file was written.".to_string(),
        1 => "The 1 record written before then is withdrawn with it.".to_string(),
        n => format!("The {} records written before then are withdrawn with it.", thousands(n as i64)),
    };
    format!(
        "The meeting house's moderators withdrew this collection while it was importing, so the import stopped. {before} Nothing more can be imported until they put the collection back."
    )
}

/// A number with thousands separated by commas: "500,000".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Withdraws the organisation's objects still in its collection whose
/// accession numbers the file did not have (`seen`), saying how far it has
/// got through `progress`. First it looks through the collection, a page
/// at a time in the list's order, noting the ids to withdraw (8 bytes an
/// object); then, unless they are more than [`withdraws_many`] allows and
/// the run was not told so many should go (it withdraws none and says how
/// many), it withdraws them a thousand at a time, each thousand in one
/// transaction with their search entries, noting the import on each
/// ([`ImportRun::import_id`]). A dry run only looks and counts.
async fn withdraw_missing(
    db: &Db,
    org: i64,
    run: &ImportRun,
    seen: &SeenKeys,
    report: &mut ImportReport,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<()> {
    const PAGE: i64 = 5_000;
    const CHUNK: usize = 1_000;
    let total = objects::count_live(db, org).await?.max(0) as u64;
    let mut missing: Vec<i64> = Vec::new();
    let mut looked = 0u64;
    let mut after: Option<objects::LiveKey> = None;
    progress(Progress::Looking { looked, total });
    loop {
        let page = objects::live_keys_page(db, org, after.as_ref(), PAGE).await?;
        looked += page.len() as u64;
        missing.extend(page.iter().filter(|o| !seen.contains(&o.accession_key)).map(|o| o.id));
        progress(Progress::Looking { looked, total: total.max(looked) });
        if (page.len() as i64) < PAGE {
            break;
        }
        after = page.into_iter().last();
    }
    let n = missing.len() as u64;
    let live = total.max(looked);
    if !run.withdraw_many && withdraws_many(n, live) {
        report.withdraw_many_refused = n;
        report.withdraw_missing_refused = Some(format!(
            "No object {} withdrawn for not being in this file: it lacks {} of the collection's {} objects, more than {WITHDRAW_MANY_PERCENT}% of it. Is it a file of only part of the collection? {WITHDRAW_MANY_ADVICE}",
            if run.dry_run { "would be" } else { "was" },
            thousands(n as i64),
            thousands(live as i64),
        ));
        return Ok(());
    }
    if run.dry_run {
        report.withdrawn_missing = n;
        return Ok(());
    }
    let note = "Not in the file of a later import, which was set to withdraw the objects it did not have.";
    let mut done = 0u64;
    progress(Progress::Withdrawing { done, total: n });
    for chunk in missing.chunks(CHUNK) {
        let mut tx = db.begin().await?;
        let at = meetinghouse_store::now();
        report.withdrawn_missing += objects::withdraw_by_import(&mut tx, db.backend(), org, chunk, run.by, note, at, run.import_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        done += chunk.len() as u64;
        progress(Progress::Withdrawing { done, total: n });
    }
    if n > WITHDRAW_MANY_OBJECTS {
        // So PostgreSQL plans what comes next (a put-back, the next import)
        // from the collection as it now is.
        objects::refresh_statistics(db).await?;
    }
    Ok(())
}

/// A written batch on its way back to the reader thread to be freed.
type Spent = Vec<ImportRow>;

/// Where batches are written: SQLite through its bulk writer (moved to a
/// blocking thread for each batch and back), PostgreSQL through the pool;
/// or nowhere, in a dry run.
enum Writer {
    Sqlite(Option<ObjectWriter>),
    Postgres,
    DryRun,
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

async fn write_sqlite(db: &Db, slot: &mut Option<ObjectWriter>, org: i64, rows: Vec<ImportRow>) -> Result<(BatchCounts, Vec<ImportRow>)> {
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

async fn write_postgres(db: &Db, org: i64, batch: Vec<ImportRow>) -> Result<BatchCounts> {
    let mut tx = db.begin().await?;
    // Under a lock that takes turns with a withdrawal of the whole
    // collection: a hold that came first stops the batch, writing nothing.
    if meetinghouse_store::orgs::collection_held_in(&mut tx, db.backend(), org).await? {
        return Ok(BatchCounts { held: true, ..BatchCounts::default() });
    }
    let keys: Vec<&str> = batch.iter().map(|r| r.object.key.as_str()).collect();
    let existing = objects::existing(&mut tx, db.backend(), org, &keys).await?;
    drop(keys);
    let mut counts = BatchCounts::default();
    let mut rows = Vec::with_capacity(batch.len());
    for r in &batch {
        match existing.get(&r.object.key) {
            Some(e) if e.withdrawn => {
                counts.withdrawn += 1;
                if counts.withdrawn_listed.len() < objects::WITHDRAWN_LISTED {
                    counts.withdrawn_listed.push(r.object.accession_number.clone());
                }
                continue;
            }
            Some(e) if e.content_hash == r.object.content_hash => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
            None => counts.created += 1,
        }
        rows.push(r);
    }
    let ids = objects::upsert_rows(&mut tx, db.backend(), org, &rows).await?;
    let now = meetinghouse_store::now();
    let (mut fresh, mut replaced) = (Vec::new(), Vec::new());
    for r in &rows {
        let Some(&ref_id) = ids.get(&r.object.key) else {
            continue;
        };
        let doc = Document {
            kind: "object",
            ref_id,
            title: &r.object.title,
            body: &r.text.body,
            title_folded: &r.text.title_folded,
            body_folded: &r.text.body_folded,
            created_at: now,
        };
        if existing.contains_key(&r.object.key) {
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

/// What writing a batch would do, from what is stored: a dry run's counts.
async fn count_dry(db: &Db, org: i64, batch: &[ImportRow]) -> Result<BatchCounts> {
    let keys: Vec<&str> = batch.iter().map(|r| r.object.key.as_str()).collect();
    let stored = objects::stored_states(db, org, &keys).await?;
    let mut counts = BatchCounts::default();
    for r in batch {
        match stored.get(&r.object.key) {
            Some((_, true)) => {
                counts.withdrawn += 1;
                if counts.withdrawn_listed.len() < objects::WITHDRAWN_LISTED {
                    counts.withdrawn_listed.push(r.object.accession_number.clone());
                }
            }
            Some((hash, false)) if *hash == r.object.content_hash => counts.unchanged += 1,
            Some(_) => counts.updated += 1,
            None => counts.created += 1,
        }
    }
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
