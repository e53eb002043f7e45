//! Importing collection records: read, map, check, and upsert in committed
//! batches. A bad record is reported and skipped, never fatal; killing an
//! import loses no committed batch, and running it again completes it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use meetinghouse_store::bulk::{BatchCounts, ObjectText, ObjectWriter};
use meetinghouse_store::objects::{self, NewObject};
use meetinghouse_store::search::Document;
use meetinghouse_store::{Backend, Db, StoreError};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::mapping::{Format, Mapping, Source, resolve};
use crate::error::Result;

/// Records per committed batch.
pub const BATCH: usize = 20_000;
/// Longest text accepted in one field, in characters.
pub const FIELD_MAX: usize = 20_000;
/// At most this many errors are listed one by one; all are counted.
pub const ERRORS_LISTED: usize = 1_000;

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
    pub errors: Vec<RecordError>,
    /// Records imported with a value left out (a source link that is not a
    /// web address), and why; at most [`ERRORS_LISTED`] are listed.
    pub warnings: Vec<RecordError>,
}

impl ImportReport {
    fn skip(&mut self, e: RecordError) {
        self.skipped += 1;
        if self.errors.len() < ERRORS_LISTED {
            self.errors.push(e);
        }
    }

    fn warn(&mut self, w: RecordError) {
        if self.warnings.len() < ERRORS_LISTED {
            self.warnings.push(w);
        }
    }
}

use crate::types::web_url;

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
        256 * 1024,
        Counting {
            inner: file,
            read: position.clone(),
        },
    );
    let head = reader
        .fill_buf()
        .map_err(|e| FileError(format!("Could not read {}: {e}", path.display())))?
        .to_vec();
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if head.contains(&0)
        || std::str::from_utf8(&head[..head.len().min(4096)]).is_err() && head.len() < 4096
    {
        return Err(FileError(format!(
            "{} is not a CSV or JSON file (it looks like binary data).",
            path.display()
        )));
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
    let records = match format {
        Format::Csv => csv_rows(reader, mapping)?,
        Format::Json => json_array(reader)?,
        Format::JsonLines => Box::new(json_lines(reader)),
    };
    Ok(Opened {
        records,
        total,
        position,
        unit: Unit::Bytes,
    })
}

fn csv_rows(
    mut reader: impl BufRead + Send + 'static,
    mapping: &Mapping,
) -> std::result::Result<Box<dyn Iterator<Item = Item> + Send>, FileError> {
    // Skip a UTF-8 byte order mark.
    if reader
        .fill_buf()
        .map(|b| b.starts_with(b"\xEF\xBB\xBF"))
        .unwrap_or(false)
    {
        reader.consume(3);
    }
    let delimiter = mapping
        .options
        .delimiter
        .as_deref()
        .map(|d| if d == "\\t" { b'\t' } else { d.as_bytes()[0] })
        .unwrap_or(b',');
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
        return Err(FileError(format!(
            "The file does not look like CSV: its header has {} column(s). Check the delimiter (--mapping [options] delimiter).",
            headers.len()
        )));
    }
    let width = headers.len();
    Ok(Box::new(csv.into_records().enumerate().map(
        move |(i, rec)| {
            // Row numbers count the header as row 1, as spreadsheets do.
            let label = format!("row {}", i + 2);
            match rec {
                Err(e) => Err(RecordError {
                    record: label,
                    field: String::new(),
                    message: format!("This row could not be read as CSV: {e}"),
                }),
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

fn json_array(
    reader: impl Read + Send,
) -> std::result::Result<Box<dyn Iterator<Item = Item> + Send>, FileError> {
    let value: Value = serde_json::from_reader(reader)
        .map_err(|e| FileError(format!("The file is not valid JSON: {e}.")))?;
    let Value::Array(items) = value else {
        return Err(FileError(
            "The JSON file must hold an array of records ([{…}, {…}]), or use JSON Lines.".into(),
        ));
    };
    Ok(Box::new(items.into_iter().enumerate().map(|(i, v)| {
        let label = format!("item {}", i + 1);
        if v.is_object() {
            Ok((label, Source::Json(v)))
        } else {
            Err(RecordError {
                record: label,
                field: String::new(),
                message: "This item is not a JSON object.".into(),
            })
        }
    })))
}

fn json_lines(reader: impl BufRead + Send + 'static) -> impl Iterator<Item = Item> {
    reader.lines().enumerate().filter_map(|(i, line)| {
        let label = format!("line {}", i + 1);
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                return Some(Err(RecordError {
                    record: label,
                    field: String::new(),
                    message: format!("This line could not be read: {e}"),
                }));
            }
        };
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            return None;
        }
        Some(match serde_json::from_str::<Value>(line) {
            Ok(v) if v.is_object() => Ok((label, Source::Json(v))),
            Ok(_) => Err(RecordError {
                record: label,
                field: String::new(),
                message: "This line is not a JSON object.".into(),
            }),
            Err(e) => Err(RecordError {
                record: label,
                field: String::new(),
                message: format!("This line is not valid JSON: {e}"),
            }),
        })
    })
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
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    serde_json::from_slice::<Value>(
                        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes),
                    )
                    .map_err(|e| e.to_string())
                });
            match parsed {
                Ok(v) if v.is_object() => Ok((label, Source::Json(v))),
                Ok(_) => Err(RecordError {
                    record: label,
                    field: String::new(),
                    message: "This file does not hold a JSON object.".into(),
                }),
                Err(e) => Err(RecordError {
                    record: label,
                    field: String::new(),
                    message: format!("This file is not valid JSON: {e}"),
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

/// Checks one mapped record and turns it into a row to store, with any
/// warnings about values left out of it.
fn check(
    label: &str,
    source: &Source,
    mapping: &Mapping,
) -> std::result::Result<(NewObject, Vec<RecordError>), RecordError> {
    let r = resolve(source, mapping);
    let err = |field: &str, message: String| RecordError {
        record: label.to_string(),
        field: field.to_string(),
        message,
    };
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
    let title = Some(first("title"))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Untitled".into());
    let display_date = first("date");
    let mut earliest = year(r.values.get("earliest_year").and_then(|v| v.first()));
    let mut latest = year(r.values.get("latest_year").and_then(|v| v.first()));
    if earliest.is_none() && latest.is_none()
        && let Some((a, b)) = crate::stories::years_in(&display_date)
    {
        (earliest, latest) = (Some(a), Some(b));
    }
    if let (Some(a), Some(b)) = (earliest, latest)
        && a > b
    {
        (earliest, latest) = (Some(b), Some(a));
    }
    let images: Vec<&str> = r
        .values
        .get("image_urls")
        .map(|v| v.iter().filter_map(|u| web_url(u)).collect())
        .unwrap_or_default();
    // A source link is shown as a link: only a web address is kept; the
    // record is imported without anything else, and the report says so.
    let mut warnings = Vec::new();
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
        extra: Value::Object(r.extra).to_string(),
        content_hash: String::new(),
    };
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
    o.content_hash = crate::secrets::hex(&h.finalize());
    Ok((o, warnings))
}

/// One batch of checked records, read while the previous one is written.
struct Batch {
    objects: Vec<(NewObject, ObjectText)>,
    labels: Vec<String>,
    skipped: Vec<RecordError>,
    /// Records imported with a value left out.
    warnings: Vec<RecordError>,
    /// Records read so far, this batch included.
    read: u64,
}

/// Imports a stream of records into an organisation's collection, calling
/// `progress` with the number of records read after each batch.
///
/// Reading and checking run on their own thread, one batch ahead of the
/// database writes, so parsing and storing overlap.
pub async fn import_records(
    db: &Db,
    options: &ImportOptions,
    records: impl Iterator<Item = Item> + Send + 'static,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ImportReport> {
    let mut writer = Writer::open(db)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(2);
    // Written rows come back to the reader to be freed: glibc frees memory
    // from another thread's arena slowly, and on the writer's path it cost
    // about a tenth of a million-record import.
    let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Spent>();
    let mapping = options.mapping.clone();
    let reader = std::thread::spawn(move || {
        let mut batch = Batch {
            objects: Vec::with_capacity(BATCH),
            labels: Vec::with_capacity(BATCH),
            skipped: Vec::new(),
            warnings: Vec::new(),
            read: 0,
        };
        let mut read = 0u64;
        for item in records {
            read += 1;
            match item
                .and_then(|(label, source)| check(&label, &source, &mapping).map(|o| (label, o)))
            {
                Ok((label, (o, warnings))) => {
                    batch.warnings.extend(warnings);
                    let text = search_text(&o);
                    batch.objects.push((o, text));
                    batch.labels.push(label);
                }
                Err(e) => batch.skipped.push(e),
            }
            if batch.objects.len() >= BATCH {
                let full = std::mem::replace(
                    &mut batch,
                    Batch {
                        objects: Vec::with_capacity(BATCH),
                        labels: Vec::with_capacity(BATCH),
                        skipped: Vec::new(),
                        warnings: Vec::new(),
                        read: 0,
                    },
                );
                if tx.blocking_send(Batch { read, ..full }).is_err() {
                    return;
                }
                while let Ok(spent) = spent_rx.try_recv() {
                    drop(spent);
                }
            }
        }
        let _ = tx.blocking_send(Batch { read, ..batch });
    });
    let mut report = ImportReport::default();
    let mut outcome = Ok(());
    let mut written = 0u64;
    while let Some(batch) = rx.recv().await {
        for e in batch.skipped {
            report.skip(e);
        }
        for w in batch.warnings {
            report.warn(w);
        }
        if !batch.objects.is_empty() {
            let winners = distinct_keys(batch.objects, &batch.labels, &mut report);
            let counts = match &mut writer {
                Writer::Sqlite(w) => write_sqlite(db, w, options.org_id, winners).await.map(|(counts, rows)| {
                    let _ = spent_tx.send((rows, batch.labels));
                    counts
                }),
                Writer::Postgres => write_postgres(db, options.org_id, winners).await,
            };
            match counts {
                Ok(c) => {
                    report.created += c.created;
                    report.updated += c.updated;
                    report.unchanged += c.unchanged;
                }
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
            // After the 1st, 2nd, 4th, 8th… batch: the tables have doubled.
            written += 1;
            if written.is_power_of_two()
                && let Err(e) = objects::refresh_statistics(db).await
            {
                outcome = Err(e.into());
                break;
            }
        }
        progress(batch.read);
    }
    drop(rx);
    let _ = reader.join();
    outcome.map(|()| report)
}

/// A written batch on its way back to the reader thread to be freed.
type Spent = (Vec<(NewObject, ObjectText)>, Vec<String>);

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

/// Keeps the last record for each accession number in a batch, reporting the
/// earlier ones as skipped.
fn distinct_keys(
    batch: Vec<(NewObject, ObjectText)>,
    labels: &[String],
    report: &mut ImportReport,
) -> Vec<(NewObject, ObjectText)> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    for (i, (o, _)) in batch.iter().enumerate() {
        if let Some(prev) = last.insert(o.key.as_str(), i) {
            report.skip(RecordError {
                record: labels[prev].clone(),
                field: "accession_number".into(),
                message: format!("The accession number {} appears again later in the file; the later record was used.", batch[prev].0.accession_number),
            });
        }
    }
    if last.len() == batch.len() {
        return batch;
    }
    let mut winner = vec![false; batch.len()];
    for i in last.into_values() {
        winner[i] = true;
    }
    batch
        .into_iter()
        .zip(winner)
        .filter_map(|(row, w)| w.then_some(row))
        .collect()
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
