//! Reading records from CSV, a JSON array, JSON Lines or a folder of JSON
//! files, and mapping their fields onto ours — by a mapping file or by
//! recognising common column names.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// Our fields, in the order people expect them.
pub const FIELDS: &[&str] = &[
    "accession_number", "title", "makers", "date", "earliest_year", "latest_year", "medium", "dimensions",
    "description", "credit_line", "rights", "image_urls", "source_url", "classification",
];

/// Names collection systems commonly use for our fields (compared after
/// lower-casing and removing everything but letters and digits).
const SYNONYMS: &[(&str, &[&str])] = &[
    ("accession_number", &["accessionnumber", "accessionno", "accno", "acno", "objectnumber", "objectno", "inventorynumber", "registrationnumber", "accession"]),
    ("title", &["title", "objecttitle", "name", "objectname"]),
    ("makers", &["makers", "maker", "artist", "artists", "allartists", "creator", "creators", "artistname", "author"]),
    ("date", &["date", "datetext", "displaydate", "dated", "objectdate", "period"]),
    ("earliest_year", &["earliestyear", "yearfrom", "startyear", "datebegin", "begindate", "datestart"]),
    ("latest_year", &["latestyear", "yearto", "endyear", "dateend", "enddate"]),
    ("medium", &["medium", "materials", "material", "mediumdescription"]),
    ("dimensions", &["dimensions", "measurements", "size"]),
    ("description", &["description", "label", "labeltext", "summary"]),
    ("credit_line", &["creditline", "credit", "acquisitioncredit"]),
    ("rights", &["rights", "copyright", "licence", "license", "rightsstatement"]),
    ("image_urls", &["imageurls", "imageurl", "image", "images", "thumbnailurl", "primaryimage"]),
    ("source_url", &["sourceurl", "url", "link", "objecturl", "permalink"]),
    ("classification", &["classification", "objecttype", "type", "category", "department"]),
];

fn normalise(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    JsonLines,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// A mapping file: `[fields]` our field = column name (CSV) or JSON pointer,
/// where `*` maps over an array; `[options]`: `delimiter`; `publish`, the
/// other columns (or top-level JSON keys) to show on the public object page
/// (`["*"]` for all of them; every other column is kept private, shown only
/// to the organisation's staff and admins); `records`, a JSON pointer to
/// the array of records in a JSON file that wraps it (`"/objects"` for
/// `{"objects": [...]}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub options: MappingOptions,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingOptions {
    pub delimiter: Option<String>,
    #[serde(default)]
    pub publish: Vec<String>,
    pub records: Option<String>,
}

/// What `publish` holds to publish every column no field of ours takes.
pub const PUBLISH_ALL: &str = "*";

impl Mapping {
    /// Whether the column (or top-level JSON key) `name`, which no field of
    /// ours takes, is shown to everyone.
    pub fn publishes(&self, name: &str) -> bool {
        self.options.publish.iter().any(|p| p == PUBLISH_ALL || p == name)
    }

    /// The columns `publish` names (not `*`).
    pub fn published_names(&self) -> impl Iterator<Item = &str> {
        self.options.publish.iter().map(String::as_str).filter(|p| *p != PUBLISH_ALL)
    }

    /// Parses and checks a mapping file. A mistake in its TOML is told by
    /// line and column, in one sentence.
    pub fn from_toml(text: &str) -> Result<Mapping, String> {
        let m: Mapping = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        for key in m.fields.keys() {
            if !FIELDS.contains(&key.as_str()) {
                return Err(format!("The mapping names “{key}”, which is not one of our fields ({}).", FIELDS.join(", ")));
            }
        }
        if !m.fields.contains_key("accession_number") && !m.fields.is_empty() {
            return Err("The mapping must say where the accession number is (accession_number = …).".into());
        }
        if let Some(d) = &m.options.delimiter
            && d.len() != 1 && d != "\\t"
        {
            return Err("The delimiter must be a single character, like \",\" or \";\" or \"\\t\".".into());
        }
        if let Some(p) = &m.options.records
            && !p.starts_with('/')
        {
            return Err(format!("records must be a JSON pointer to the array of records, starting with “/”, like records = \"/objects\" (not “{p}”)."));
        }
        if let Some(p) = m.options.publish.iter().find(|p| p.trim().is_empty()) {
            return Err(format!("publish lists an empty column name (“{p}”): name the columns to show to everyone, like publish = [\"Colour\", \"Gallery\"]."));
        }
        if let Some((field, col)) = m.fields.iter().find(|(_, col)| m.options.publish.contains(col)) {
            return Err(format!("publish names “{col}”, which the mapping already takes for {field}: our fields are always shown, so leave it out of publish."));
        }
        Ok(m)
    }
}

/// A TOML parse error in one sentence: where (line and column) and what,
/// without the parser's diagram of the line.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let what = e.message().trim().trim_end_matches('.');
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("The mapping is not valid at line {line}, column {column}: {what}. Each line is like title = \"Object Title\", under a [fields] or [options] heading.")
        }
        None => format!("The mapping is not valid: {what}. Each line is like title = \"Object Title\", under a [fields] or [options] heading."),
    }
}

/// One source record: its fields as text, keyed by source name, plus the
/// original JSON for pointers.
#[derive(Debug, Clone)]
pub enum Source {
    Row(Vec<(String, String)>),
    Json(Value),
}

/// Values resolved for our fields (lists for makers and image URLs), plus
/// everything else for the extra JSON.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub values: BTreeMap<&'static str, Vec<String>>,
    pub extra: serde_json::Map<String, Value>,
    /// Which of our fields the record has a column or key for, empty or
    /// not (bit `i` for `FIELDS[i]`): a field it lacks is one the file says
    /// nothing about, so an import leaves what is stored for it.
    pub present: u16,
    /// The record's other columns or keys that are empty (or `null`), so
    /// not in `extra`: the file says they are empty now.
    pub blank_extra: Vec<String>,
}

impl Resolved {
    /// Whether the record has a column or key for our field `field`.
    pub fn has(&self, field: &str) -> bool {
        FIELDS.iter().position(|f| *f == field).is_some_and(|i| self.present & (1 << i) != 0)
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// Resolves a JSON pointer where `*` maps over an array; collects leaves as text.
pub fn pointer_all(v: &Value, pointer: &str) -> Vec<String> {
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').filter(|p| !p.is_empty()).collect();
    let mut out = Vec::new();
    walk(v, &parts, &mut out);
    out
}

fn walk(v: &Value, parts: &[&str], out: &mut Vec<String>) {
    let Some((head, rest)) = parts.split_first() else {
        match v {
            Value::Array(items) => items.iter().filter_map(text_of).for_each(|t| out.push(t)),
            other => {
                if let Some(t) = text_of(other) {
                    out.push(t);
                }
            }
        }
        return;
    };
    let head = head.replace("~1", "/").replace("~0", "~");
    match (v, head.as_str()) {
        (Value::Array(items), "*") => items.iter().for_each(|item| walk(item, rest, out)),
        (Value::Array(items), idx) => {
            if let Some(item) = idx.parse::<usize>().ok().and_then(|i| items.get(i)) {
                walk(item, rest, out)
            }
        }
        (Value::Object(map), key) => {
            if let Some(child) = map.get(key) {
                walk(child, rest, out)
            }
        }
        _ => {}
    }
}

/// Whether a JSON pointer (where `*` maps over an array) reaches anything in
/// a record, a `null` included: a pointer that reaches nothing in any record
/// names a field the file does not have.
pub fn pointer_found(v: &Value, pointer: &str) -> bool {
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').filter(|p| !p.is_empty()).collect();
    found(v, &parts)
}

fn found(v: &Value, parts: &[&str]) -> bool {
    let Some((head, rest)) = parts.split_first() else {
        return true;
    };
    let head = head.replace("~1", "/").replace("~0", "~");
    match (v, head.as_str()) {
        (Value::Array(items), "*") => items.iter().any(|item| found(item, rest)),
        (Value::Array(items), idx) => idx.parse::<usize>().ok().and_then(|i| items.get(i)).is_some_and(|item| found(item, rest)),
        (Value::Object(map), key) => map.get(key).is_some_and(|child| found(child, rest)),
        _ => false,
    }
}

/// The index of the column that common names recognise as one of our fields.
pub fn recognised_column(field: &str, names: &[String]) -> Option<usize> {
    let synonyms = SYNONYMS.iter().find(|(f, _)| *f == field).map(|(_, n)| *n).unwrap_or(&[]);
    let normalised: Vec<String> = names.iter().map(|n| normalise(n)).collect();
    synonyms.iter().find_map(|s| normalised.iter().position(|n| n == s))
}

/// Names listed in a message: quoted, comma-separated, at most `max` of them.
pub fn listed<'a>(names: impl IntoIterator<Item = &'a str>, max: usize) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut out: Vec<String> = names.iter().take(max).map(|n| format!("“{n}”")).collect();
    if names.len() > max {
        out.push(format!("and {} more", names.len() - max));
    }
    out.join(", ")
}

/// The columns a mapping names that a CSV header lacks: `Err` with a message
/// listing them and the columns the file has, so a misspelt column is caught
/// before anything is written. A column must match the header exactly.
pub fn check_columns(mapping: &Mapping, headers: &[String]) -> Result<(), String> {
    const PUBLISH: &str = "publish";
    let published = mapping.published_names().map(|p| (PUBLISH, p));
    let missing: Vec<(&str, &str)> = mapping
        .fields
        .iter()
        .map(|(f, c)| (f.as_str(), c.as_str()))
        .chain(published)
        .filter(|(_, col)| !headers.iter().any(|h| h == col))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = missing
        .iter()
        .map(|(field, col)| {
            let near = headers.iter().find(|h| h.trim().eq_ignore_ascii_case(col.trim()));
            let field = if *field == PUBLISH { "publish".to_string() } else { field.to_string() };
            match near {
                Some(h) => format!("“{col}” (for {field}; the file has “{h}”)"),
                None => format!("“{col}” (for {field})"),
            }
        })
        .collect();
    Err(format!(
        "The mapping names {} that this file does not have: {}. The file's columns are: {}. Correct the mapping (a column name must match the file's header exactly) and import again. Nothing was imported.",
        if missing.len() == 1 { "a column" } else { "columns" },
        named.join(", "),
        listed(headers.iter().map(String::as_str), 60),
    ))
}

/// Which mapped fields the records read so far have (a CSV column, or a
/// pointer that reaches something in at least one record). A field absent
/// from some records is normal; one that no record has is a mistake in the
/// mapping, and importing would overwrite what is stored with nothing.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// (our field, the column or pointer) not found yet.
    missing: Vec<(String, String)>,
    /// The records' own field names, for the message.
    seen: std::collections::BTreeSet<String>,
    records: u64,
}

impl Coverage {
    pub fn new(mapping: &Mapping) -> Coverage {
        let published = mapping.published_names().map(|p| ("publish".to_string(), format!("/{}", p.replace('~', "~0").replace('/', "~1"))));
        Coverage { missing: mapping.fields.iter().map(|(f, c)| (f.clone(), c.clone())).chain(published).collect(), ..Coverage::default() }
    }

    /// Whether there is anything to check (a mapping with fields or columns to publish).
    pub fn needed(mapping: &Mapping) -> bool {
        !mapping.fields.is_empty() || mapping.published_names().next().is_some()
    }

    /// Whether every mapped field has been found.
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// Notes one record's fields.
    pub fn note(&mut self, source: &Source) {
        if self.missing.is_empty() {
            return;
        }
        self.records += 1;
        match source {
            Source::Row(cols) => {
                self.missing.retain(|(_, col)| !cols.iter().any(|(k, _)| k == col || format!("/{k}") == *col));
                if self.seen.len() < 200 {
                    self.seen.extend(cols.iter().map(|(k, _)| k.clone()));
                }
            }
            Source::Json(v) => {
                self.missing.retain(|(_, ptr)| !pointer_found(v, ptr));
                if let Value::Object(map) = v
                    && self.seen.len() < 200
                {
                    self.seen.extend(map.keys().cloned());
                }
            }
        }
    }

    /// The message when some mapped field was in none of the records noted.
    pub fn error(&self) -> Option<String> {
        if self.missing.is_empty() || self.records == 0 {
            return None;
        }
        let named: Vec<String> = self.missing.iter().map(|(f, c)| format!("“{c}” (for {f})")).collect();
        Some(format!(
            "The mapping names {} that none of the first {} records has: {}. The records' fields are: {}. Correct the mapping and import again; if these records really have no such field, remove its line from the mapping. Nothing was imported.",
            if self.missing.len() == 1 { "a field" } else { "fields" },
            self.records,
            named.join(", "),
            listed(self.seen.iter().map(String::as_str), 60),
        ))
    }
}

/// Maps one record onto our fields.
pub fn resolve(source: &Source, mapping: &Mapping) -> Resolved {
    let mut r = Resolved::default();
    let mut used: Vec<String> = Vec::new();
    let explicit = !mapping.fields.is_empty();
    // Column or key names normalised once per record, not once per synonym.
    let normalised: Vec<String> = match (source, explicit) {
        (Source::Row(cols), false) => cols.iter().map(|(k, _)| normalise(k)).collect(),
        (Source::Json(Value::Object(map)), false) => map.keys().map(|k| normalise(k)).collect(),
        _ => Vec::new(),
    };
    for (i, field) in FIELDS.iter().enumerate() {
        let field: &'static str = field;
        let (present, found): (bool, Vec<String>) = match (source, explicit) {
            (Source::Row(cols), true) => match mapping.fields.get(field) {
                Some(col) => {
                    used.push(col.clone());
                    let found: Vec<String> = cols.iter().filter(|(k, _)| k == col).map(|(_, v)| v.clone()).collect();
                    (!found.is_empty(), found)
                }
                None => (false, Vec::new()),
            },
            (Source::Json(v), true) => match mapping.fields.get(field) {
                Some(ptr) => {
                    used.push(ptr.trim_start_matches('/').split('/').next().unwrap_or("").to_string());
                    let found = pointer_all(v, ptr);
                    (!found.is_empty() || pointer_found(v, ptr), found)
                }
                None => (false, Vec::new()),
            },
            (Source::Row(cols), false) => {
                let names = SYNONYMS.iter().find(|(f, _)| *f == field).map(|(_, n)| *n).unwrap_or(&[]);
                match names.iter().find_map(|n| normalised.iter().position(|k| k == n).map(|i| &cols[i])) {
                    Some((k, v)) => {
                        used.push(k.clone());
                        (true, vec![v.clone()])
                    }
                    None => (false, Vec::new()),
                }
            }
            (Source::Json(v), false) => {
                let names = SYNONYMS.iter().find(|(f, _)| *f == field).map(|(_, n)| *n).unwrap_or(&[]);
                match (v, names.iter().find_map(|n| v.as_object()?.iter().zip(&normalised).find(|(_, k)| *k == n).map(|(kv, _)| kv))) {
                    (_, Some((k, val))) => {
                        used.push(k.clone());
                        let mut out = Vec::new();
                        walk(val, &[], &mut out);
                        (true, out)
                    }
                    _ => (false, Vec::new()),
                }
            }
        };
        if present {
            r.present |= 1 << i;
        }
        let found: Vec<String> = found.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if !found.is_empty() {
            r.values.insert(field, found);
        }
    }
    match source {
        Source::Row(cols) => {
            for (k, v) in cols {
                if used.contains(k) {
                    continue;
                }
                if v.trim().is_empty() {
                    r.blank_extra.push(k.clone());
                } else {
                    r.extra.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
        Source::Json(Value::Object(map)) => {
            for (k, v) in map {
                if used.contains(k) {
                    continue;
                }
                if v.is_null() {
                    r.blank_extra.push(k.clone());
                } else {
                    r.extra.insert(k.clone(), v.clone());
                }
            }
        }
        Source::Json(_) => {}
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_map_over_arrays() {
        let v: Value = serde_json::json!({"contributors": [{"fc": "A"}, {"fc": "B"}], "acno": "T1", "n": 3});
        assert_eq!(pointer_all(&v, "/contributors/*/fc"), vec!["A", "B"]);
        assert_eq!(pointer_all(&v, "/acno"), vec!["T1"]);
        assert_eq!(pointer_all(&v, "/n"), vec!["3"]);
        assert!(pointer_all(&v, "/missing/*").is_empty());
    }

    #[test]
    fn common_names_are_recognised() {
        let row = Source::Row(vec![
            ("Object Number".into(), "1990.1".into()),
            ("TITLE".into(), "Lace bobbin".into()),
            ("Artist".into(), "Unknown".into()),
            ("Colour".into(), "red".into()),
        ]);
        let r = resolve(&row, &Mapping::default());
        assert_eq!(r.values["accession_number"], vec!["1990.1"]);
        assert_eq!(r.values["title"], vec!["Lace bobbin"]);
        assert_eq!(r.values["makers"], vec!["Unknown"]);
        assert_eq!(r.extra["Colour"], "red");
        assert!(r.has("accession_number") && r.has("title") && r.has("makers") && !r.has("date") && !r.has("description"));
    }

    /// A field is in a record when it has a column or key for it, even an
    /// empty one; with a mapping, when the column is there or the pointer
    /// reaches something (`null` included).
    #[test]
    fn fields_a_record_has_are_told_from_ones_it_lacks() {
        let row = Source::Row(vec![("Object Number".into(), "1990.1".into()), ("Title".into(), "".into()), ("Condition".into(), " ".into())]);
        let r = resolve(&row, &Mapping::default());
        assert!(r.has("title") && !r.values.contains_key("title"), "an empty title is the file's");
        assert!(!r.has("makers") && !r.has("description"));
        assert_eq!(r.blank_extra, vec!["Condition".to_string()]);
        let m = Mapping::from_toml("[fields]\naccession_number = \"/id\"\ndescription = \"/text\"\nmakers = \"/who/*/name\"").unwrap();
        let r = resolve(&Source::Json(serde_json::json!({"id": "1", "text": null})), &m);
        assert!(r.has("accession_number") && r.has("description") && !r.has("makers") && !r.has("title"));
    }

    #[test]
    fn a_pointer_is_found_when_it_reaches_anything() {
        let v: Value = serde_json::json!({"people": [{"name": "A"}, {"role": "x"}], "empty": [], "date": null, "n": {"a~b": 1}});
        for found in ["/people/*/name", "/people/1/role", "/date", "/empty", "/n/a~0b"] {
            assert!(pointer_found(&v, found), "{found}");
        }
        for missing in ["/people/*/nmae", "/empty/*/name", "/titel", "/date/year", "/people/5", "/n/a~1b"] {
            assert!(!pointer_found(&v, missing), "{missing}");
        }
    }

    #[test]
    fn mapped_columns_must_be_in_the_header() {
        let headers: Vec<String> = ["Accession Number", "Title"].map(String::from).to_vec();
        let m = Mapping::from_toml("[fields]\naccession_number = \"Accession Number\"\ntitle = \"title\"\nmakers = \"Artist\"").unwrap();
        let e = check_columns(&m, &headers).unwrap_err();
        assert!(e.contains("columns that this file does not have"), "{e}");
        assert!(e.contains("“title” (for title; the file has “Title”)") && e.contains("“Artist” (for makers)"), "{e}");
        assert!(e.contains("The file's columns are: “Accession Number”, “Title”."), "{e}");
        assert!(check_columns(&Mapping::from_toml("[fields]\naccession_number = \"Accession Number\"").unwrap(), &headers).is_ok());

        let mut c = Coverage::new(&Mapping::from_toml("[fields]\naccession_number = \"/id\"\nmakers = \"/who/*/name\"").unwrap());
        c.note(&Source::Json(serde_json::json!({"id": "1", "who": []})));
        assert!(!c.complete() && c.error().unwrap().contains("“/who/*/name” (for makers)"));
        c.note(&Source::Json(serde_json::json!({"id": "2", "who": [{"name": "B"}]})));
        assert!(c.complete() && c.error().is_none(), "a field absent from some records is normal");
    }

    #[test]
    fn mapping_files_are_checked() {
        assert!(Mapping::from_toml("[fields]\naccession_number = \"A\"\ntitle = \"T\"").is_ok());
        assert!(Mapping::from_toml("[fields]\ncolour = \"C\"").unwrap_err().contains("not one of our fields"));
        assert!(Mapping::from_toml("[fields]\ntitle = \"T\"").unwrap_err().contains("accession"));
        assert!(Mapping::from_toml("not toml [").is_err());
    }
}
