//! A CSV file as the readers see it: its separator found from its first line
//! (a comma, or a semicolon or a tab when the first line has one of those and
//! no comma), and a watch over its quotes beside the `csv` crate's parser.
//!
//! The parser says nothing of a quote never closed: the rest of the file
//! becomes one value, and a file with a stray `"` on line 3 used to read as
//! "2 nodes, 1 edge" with exit 0. [`QuoteWatch`] follows the bytes with the
//! parser's rules (a quote opens a quoted value only at its start, `""`
//! inside one is a quote, text after the closing quote is plain text, a UTF-8
//! byte-order mark at the start is skipped) and the readers refuse:
//!
//! - a quote still open at the end of the file, naming the line it opened on;
//! - a quoted value in a column that is read (a node, group, weight or time)
//!   holding a line break followed by a line with the separator: text that
//!   looks like further rows, swallowed by a quote closed too late;
//! - a row whose field count differs from the header's while one of its
//!   values runs over several lines (the collection import's rule).
//!
//! A quoted value over several lines in another column (a message's text)
//! is read as it is.

use crate::load::LoadError;
use std::collections::VecDeque;
use std::io::{Chain, Cursor, Read};

/// Bytes read to find the first line (and with it the separator).
const HEAD_MAX: usize = 64 * 1024;

/// A CSV reader with its separator and its quote watch.
pub(crate) struct CsvInput<R: Read> {
    rdr: csv::Reader<Watched<Chain<Cursor<Vec<u8>>, R>>>,
    pub delimiter: u8,
    /// What the file is, for messages ("edge file", "group file").
    what: &'static str,
    /// Records handed out so far (the header is record 0).
    records: u64,
    width: usize,
}

/// What [`CsvInput::next`] read.
pub(crate) enum Next {
    /// A record, which began on this line.
    Record(u64),
    End,
    /// The parser could not read a row (it began on this line).
    Unreadable(u64),
}

impl<R: Read> CsvInput<R> {
    /// Opens `reader`: reads its first line to choose the separator.
    pub fn open(mut reader: R, what: &'static str) -> Result<CsvInput<R>, LoadError> {
        let mut head = Vec::new();
        let mut buf = [0u8; 8192];
        while head.len() < HEAD_MAX && !first_line_complete(&head) {
            let n = match reader.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LoadError::Csv(e.to_string())),
            };
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        // the parser strips a byte-order mark at the start too; the watch must not see it
        if head.starts_with(b"\xef\xbb\xbf") {
            head.drain(..3);
        }
        let delimiter = sniff_delimiter(&head);
        let watched = Watched {
            inner: Cursor::new(head).chain(reader),
            watch: QuoteWatch::new(delimiter),
        };
        let rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(watched);
        Ok(CsvInput { rdr, delimiter, what, records: 0, width: 0 })
    }

    /// The header, checked for a quote that swallows the file.
    pub fn headers(&mut self) -> Result<csv::ByteRecord, LoadError> {
        let headers = self
            .rdr
            .byte_headers()
            .map_err(|e| LoadError::Csv(e.to_string()))?
            .clone();
        self.width = headers.len();
        self.check(0, headers.len(), &[])?;
        Ok(headers)
    }

    /// Reads the next record into `rec`. `used` are the columns the reader
    /// takes values from: a value in one of them that looks like several
    /// rows is refused. A failure to read the file itself is an error.
    pub fn next(&mut self, rec: &mut csv::ByteRecord, used: &[usize]) -> Result<Next, LoadError> {
        match self.rdr.read_byte_record(rec) {
            Ok(true) => {
                self.records += 1;
                let line = self.check(self.records, rec.len(), used)?;
                Ok(Next::Record(line))
            }
            Ok(false) => {
                // the record holding an unclosed quote was handed out and refused before this
                if let Some(u) = self.rdr.get_ref().watch.unclosed {
                    return Err(self.unclosed(u));
                }
                Ok(Next::End)
            }
            Err(e) if e.is_io_error() => Err(LoadError::Csv(e.to_string())),
            Err(e) => {
                self.records += 1;
                let line = e.position().map_or(0, csv::Position::line);
                Ok(Next::Unreadable(line))
            }
        }
    }

    /// Checks record `k` (with `len` fields) against what the watch saw;
    /// the line it began on.
    fn check(&mut self, k: u64, len: usize, used: &[usize]) -> Result<u64, LoadError> {
        let (what, delimiter, width) = (self.what, self.delimiter, self.width);
        let watch = &mut self.rdr.get_mut().watch;
        while watch.starts.front().is_some_and(|&(r, _)| r < k) {
            watch.starts.pop_front();
        }
        let line = watch.starts.front().filter(|&&(r, _)| r == k).map_or(0, |&(_, l)| l);
        if let Some(u) = watch.unclosed.filter(|u| u.record == k) {
            return Err(self.unclosed(u));
        }
        let mut spans = Vec::new();
        while let Some(&s) = watch.spans.front() {
            if s.record > k {
                break;
            }
            watch.spans.pop_front();
            if s.record == k {
                spans.push(s);
            }
        }
        let sep = separator_name(delimiter);
        if let Some(s) = spans.iter().find(|s| s.rows_like && used.contains(&s.field)) {
            return Err(LoadError::Format(format!(
                "the quoted value opened on line {} of the {what} runs over {} lines and holds what look like further rows \
                 (a line break, then {sep}): a quote is most likely not closed where it should be, and the rows after it would be \
                 read as one value. Close the quote, or write a quote inside a value twice (\"\"). Nothing was analysed.",
                s.quote_line, s.lines
            )));
        }
        if k > 0 && len != width && let Some(s) = spans.first() {
            return Err(LoadError::Format(format!(
                "the row on line {line} of the {what} has {len} fields where the header has {width}, and its quoted value opened \
                 on line {} runs over {} lines: a quote in it, or in a row just before it, is most likely not closed where it \
                 should be. Close the quote, or write a quote inside a value twice (\"\"). Nothing was analysed.",
                s.quote_line, s.lines
            )));
        }
        Ok(line)
    }

    fn unclosed(&self, u: Unclosed) -> LoadError {
        LoadError::Format(format!(
            "the quote opened on line {} of the {} is never closed, so the rest of the file ({} {}) would be read as one value. \
             Close the quote, or write a quote inside a value twice (\"\"). Nothing was analysed.",
            u.quote_line,
            self.what,
            u.lines,
            if u.lines == 1 { "line" } else { "lines" }
        ))
    }
}

/// "a comma", "a semicolon", "a tab".
pub(crate) fn separator_name(d: u8) -> String {
    match d {
        b',' => "a comma".to_owned(),
        b';' => "a semicolon".to_owned(),
        b'\t' => "a tab".to_owned(),
        d => format!("`{}`", d as char),
    }
}

/// Whether `head` holds a line break outside quotes.
fn first_line_complete(head: &[u8]) -> bool {
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => return true,
            _ => {}
        }
    }
    false
}

/// The separator, as the collection import chooses it: a semicolon or a tab
/// if the first line has one of them and no comma outside quotes (Excel
/// writes semicolons where a comma is the decimal mark), otherwise a comma.
pub(crate) fn sniff_delimiter(head: &[u8]) -> u8 {
    let (mut quoted, mut commas, mut semicolons, mut tabs) = (false, 0, 0, 0);
    for &b in head {
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

/// A quote still open at the end of the file.
#[derive(Debug, Clone, Copy)]
struct Unclosed {
    record: u64,
    quote_line: u64,
    lines: u64,
}

/// A quoted value that held a line break.
#[derive(Debug, Clone, Copy)]
struct Span {
    record: u64,
    field: usize,
    quote_line: u64,
    lines: u64,
    /// A line after a line break in it has the separator.
    rows_like: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted value: its end, or the first of `""`.
    QuoteInQuoted,
}

/// Follows the bytes the parser reads (ahead of it by its buffer).
#[derive(Debug)]
struct QuoteWatch {
    delimiter: u8,
    state: State,
    /// The line the next byte is on (from 1).
    line: u64,
    /// The record being read (the header is 0) and its field.
    record: u64,
    field: usize,
    /// The open quote's line, whether its value broke a line, and whether a separator followed.
    quote_line: u64,
    broke: bool,
    rows_like: bool,
    /// Whether the last byte was `\n`.
    at_line_start: bool,
    started: bool,
    /// (record, line it began on), for records the parser has not handed out yet.
    starts: VecDeque<(u64, u64)>,
    spans: VecDeque<Span>,
    unclosed: Option<Unclosed>,
}

impl QuoteWatch {
    fn new(delimiter: u8) -> QuoteWatch {
        QuoteWatch {
            delimiter,
            state: State::RecordStart,
            line: 1,
            record: 0,
            field: 0,
            quote_line: 0,
            broke: false,
            rows_like: false,
            at_line_start: true,
            started: false,
            starts: VecDeque::new(),
            spans: VecDeque::new(),
            unclosed: None,
        }
    }

    fn end_quoted(&mut self) {
        if self.broke {
            self.spans.push_back(Span {
                record: self.record,
                field: self.field,
                quote_line: self.quote_line,
                lines: self.line - self.quote_line + 1,
                rows_like: self.rows_like,
            });
        }
    }

    /// Follows `bytes`, the next the parser will read.
    fn follow(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            // runs of plain bytes inside a value are skipped in one scan
            let d = self.delimiter;
            let skip = match self.state {
                State::Unquoted => bytes[i..].iter().position(|&c| c == d || c == b'\n' || c == b'\r'),
                State::Quoted => {
                    let watch_delimiter = self.broke && !self.rows_like;
                    bytes[i..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\n' || c == b'\r' || (watch_delimiter && c == d))
                }
                _ => Some(0),
            };
            match skip {
                Some(0) => {}
                Some(n) => {
                    i += n;
                    self.at_line_start = false;
                }
                None => {
                    self.at_line_start = false;
                    return;
                }
            }
            self.step(bytes[i]);
            i += 1;
        }
    }

    /// Follows one byte.
    fn step(&mut self, b: u8) {
        use State::*;
        let newline = b == b'\n' || b == b'\r';
        if self.state == RecordStart && !newline {
            if self.started {
                self.record += 1;
            }
            self.started = true;
            self.starts.push_back((self.record, self.line));
            self.state = FieldStart;
            self.field = 0;
        }
        self.state = match (self.state, b) {
            (RecordStart, _) => RecordStart,
            (FieldStart, b'"') => {
                self.quote_line = self.line;
                self.broke = false;
                self.rows_like = false;
                Quoted
            }
            (Quoted, b'"') => QuoteInQuoted,
            (Quoted, _) => {
                if newline {
                    self.broke = true;
                } else if b == self.delimiter && self.broke {
                    self.rows_like = true;
                }
                Quoted
            }
            (QuoteInQuoted, b'"') => Quoted,
            (QuoteInQuoted, _) => {
                self.end_quoted();
                match b {
                    d if d == self.delimiter => {
                        self.field += 1;
                        FieldStart
                    }
                    _ if newline => RecordStart,
                    _ => Unquoted,
                }
            }
            (FieldStart | Unquoted, d) if d == self.delimiter => {
                self.field += 1;
                FieldStart
            }
            (FieldStart | Unquoted, _) if newline => RecordStart,
            (FieldStart | Unquoted, _) => Unquoted,
        };
        if b == b'\n' {
            self.line += 1;
        }
        self.at_line_start = b == b'\n';
    }

    fn end(&mut self) {
        match self.state {
            State::Quoted if self.unclosed.is_none() => {
                // the last line is the one before the line break that ends the file
                let last = if self.at_line_start { self.line - 1 } else { self.line };
                self.unclosed = Some(Unclosed {
                    record: self.record,
                    quote_line: self.quote_line,
                    lines: last.saturating_sub(self.quote_line) + 1,
                });
            }
            State::QuoteInQuoted => {
                self.end_quoted();
                self.state = State::RecordStart;
            }
            _ => {}
        }
    }
}

/// A reader that shows what it reads to a [`QuoteWatch`].
struct Watched<R> {
    inner: R,
    watch: QuoteWatch,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.watch.end();
        } else {
            self.watch.follow(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_found_as_the_import_finds_it() {
        assert_eq!(sniff_delimiter(b"source,target\n"), b',');
        assert_eq!(sniff_delimiter(b"source;target\na;b\n"), b';');
        assert_eq!(sniff_delimiter(b"source\ttarget\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a,b\";c\n"), b';', "a comma inside quotes does not count");
        assert_eq!(sniff_delimiter(b"source;target,weight\n"), b',');
        assert!(!first_line_complete(b"\"a\nb"));
        assert!(first_line_complete(b"\"a\nb\"\n"));
    }
}
