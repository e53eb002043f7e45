//! `meetinghouse import objects --org SLUG [--format csv|json|jsonl] [--mapping FILE.toml] [--dry-run] [--withdraw-missing [--yes-withdraw-many]] [--json] PATH`
//! — import collection records into an organisation's collection; and
//! `meetinghouse import objects --org SLUG --put-back-withdrawn-by IMPORT_ID`
//! — put back everything one import withdrew.
//!
//! A bad record is named in the report and skipped; a file that is not CSV
//! or JSON is one clear error. Work is committed in batches, so an import
//! that is killed loses no committed batch and running it again completes
//! it (unchanged records are counted, not rewritten). `--dry-run` reads and
//! checks the whole file and says what an import would do, writing
//! nothing; `--withdraw-missing` withdraws the objects the file does not
//! have (only after a complete import with no record skipped, and, when
//! they are more than 50 and more than a fifth of the collection, only with
//! `--yes-withdraw-many`).
//!
//! Every import is recorded with the organisation's imports (as the
//! browser's are, with no sender): it has an id, printed when it withdrew
//! objects, and a status page at /orgs/SLUG/imports/ID.
//! `--put-back-withdrawn-by ID` puts back every object that import withdrew
//! and that is still withdrawn by it.
//!
//! The operator's command: it imports into any organisation, whether or
//! not an instance admin opened its collection for the browser's imports.
//!
//! Exits non-zero when the file is refused (with `--json`, an object with
//! its `"error"` on standard output), when the import stops part-way (a CSV
//! quote never closed, a write that failed: after printing what was
//! committed and skipped, in `--json` too, with an `"error"`), when the
//! file has no records, when records were read but none was imported
//! (every one skipped), and when `--withdraw-missing` withdrew nothing
//! because the import was not clean or the file lacked too many objects,
//! so a scheduled sync notices.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use meetinghouse_core::collection::{self, Failure, Format, ImportFailed, ImportOptions, ImportRun, Mapping, Progress, Unit, jobs};
use meetinghouse_core::{CoreError, orgs};

use crate::commands::{Migrations, open_db};
use crate::config::GlobalArgs;

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Collection objects from a CSV file, a JSON array, JSON Lines or a folder of JSON files
    #[command(after_help = "Every import is recorded with the organisation's imports, with an id; its page is /orgs/SLUG/imports/ID. \
                      --withdraw-missing withdraws, after a complete import with no record skipped, every object of the collection the file \
                      does not have; when they are more than 50 and more than 20% of the collection it withdraws none and says how many would go, \
                      unless --yes-withdraw-many is given. To undo it, --put-back-withdrawn-by ID puts back every object import ID withdrew \
                      (the id is printed after the withdrawal), instead of importing a file.")]
    Objects(ObjectsArgs),
}

#[derive(Debug, ClapArgs)]
struct ObjectsArgs {
    /// The organisation whose collection this is (its slug, as in /orgs/SLUG)
    #[arg(long)]
    org: String,
    /// The file's format; by default it is told from the extension or the first bytes
    #[arg(long, value_parser = ["csv", "json", "jsonl"])]
    format: Option<String>,
    /// A TOML file mapping our fields onto the file's columns or JSON pointers
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Read and check the whole file and say what an import would do, without writing anything
    #[arg(long, alias = "check")]
    dry_run: bool,
    /// After a complete import, withdraw the organisation's objects the file does not have (more than 50 that are more than 20% of the collection only with --yes-withdraw-many)
    #[arg(long)]
    withdraw_missing: bool,
    /// With --withdraw-missing: withdraw them even when they are more than 50 and more than 20% of the collection (without it such an import withdraws none and says how many would go)
    #[arg(long, requires = "withdraw_missing")]
    yes_withdraw_many: bool,
    /// Instead of importing a file, put back every object the import IMPORT_ID withdrew for not being in its file (and still withdrawn by it)
    #[arg(long, value_name = "IMPORT_ID", conflicts_with_all = ["path", "format", "mapping", "dry_run", "withdraw_missing"])]
    put_back_withdrawn_by: Option<i64>,
    /// Print the report as one JSON object instead of a summary
    #[arg(long)]
    json: bool,
    /// The file or folder to import
    #[arg(required_unless_present = "put_back_withdrawn_by")]
    path: Option<PathBuf>,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<()> {
    let What::Objects(args) = args.what;
    if let Some(import_id) = args.put_back_withdrawn_by {
        return put_back(global, &args.org, import_id, args.json).await;
    }
    let Some(path) = args.path.clone() else { anyhow::bail!("name the file or folder to import") };
    let (mapping, mapping_text) = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("could not read the mapping file {}", path.display()))?;
            (Mapping::from_toml(&text).map_err(anyhow::Error::msg)?, text)
        }
        None => (Mapping::default(), String::new()),
    };
    let format = args.format.as_deref().and_then(Format::parse);
    let db = open_db(&global.store()?, Migrations::RequireCurrent).await?;
    // The slug in any case, as in the organisation's address.
    let org = orgs::by_address(&db, &args.org)
        .await?
        .with_context(|| format!("there is no organisation with the slug “{}” (see /orgs)", args.org))?;
    // A file that is not CSV as read is told how to name its delimiter
    // here: in a mapping file given with --mapping.
    let opened = match collection::open(&path, format, &mapping) {
        Ok(o) => o,
        Err(e) => return refuse(args.json, &e.to_string().replace(collection::import::DELIMITER_ADVICE, DELIMITER_FLAG_ADVICE)),
    };

    // Recorded as the browser's imports are, so it has an id to put back
    // what it withdraws by, and its page shows how far it has got.
    let asked = jobs::Asked {
        format: args.format.clone().unwrap_or_default(),
        mapping: mapping_text,
        dry_run: args.dry_run,
        withdraw_missing: args.withdraw_missing,
        withdraw_many: args.yes_withdraw_many,
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let file_bytes = if opened.unit == Unit::Bytes { opened.total } else { 0 };
    let import_id = jobs::record_by_operator(&db, org.id, &file_name, file_bytes, &asked).await?;
    let heartbeat = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(jobs::HEARTBEAT_SECS));
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = jobs::beat(&db, import_id).await {
                    tracing::warn!(import = import_id, error = %e, "could not note that the import is still running");
                }
            }
        })
    };

    let mut bar = Bar::new(progress_bar(opened.total, opened.unit));
    let position = opened.position.clone();
    let started = Instant::now();
    let options = ImportOptions { org_id: org.id, mapping, format };
    let run = ImportRun {
        dry_run: args.dry_run,
        withdraw_missing: args.withdraw_missing,
        withdraw_many: args.yes_withdraw_many,
        import_id: Some(import_id),
        by: None,
        max_objects: None,
    };
    let noting = db.clone();
    let result = collection::import_records_run(&db, &options, &run, opened.records, &mut |progress| {
        if let Progress::Read(read) = progress {
            // Noted on its own task: a progress note never holds up the import.
            let (db, bytes) = (noting.clone(), if file_bytes > 0 { position.load(Ordering::Relaxed) } else { 0 });
            tokio::spawn(async move {
                let _ = jobs::note_progress(&db, import_id, read, bytes).await;
            });
        }
        bar.show(progress, position.load(Ordering::Relaxed));
    })
    .await;
    bar.finish();
    heartbeat.abort();
    let seconds = started.elapsed().as_secs_f64();
    let (report_now, stopped) = match &result {
        Ok(report) => (Some(report), None),
        Err(ImportFailed { reason: Failure::File(e), .. }) => (None, Some(e.to_string())),
        Err(e) => (Some(&e.report), Some(e.to_string())),
    };
    if let Err(e) = jobs::end_by_operator(&db, import_id, report_now, stopped.as_deref()).await {
        tracing::warn!(import = import_id, error = %e, "could not record how the import ended");
    }
    db.close().await;

    let (report, failure) = match result {
        Ok(report) => (report, None),
        // A file refused before anything was written: only the reason.
        Err(ImportFailed { reason: Failure::File(e), .. }) => return refuse(args.json, &e.to_string()),
        // Stopped part-way: what was committed and skipped is still reported.
        Err(e) => {
            let message = e.to_string();
            (e.report, Some(message))
        }
    };
    let records = report.read();
    // Why it exits non-zero, when it does.
    let problem = if let Some(message) = &failure {
        Some(message.clone())
    } else if records == 0 {
        Some("The file has no records (a header, and nothing under it). Nothing was imported.".to_string())
    } else if report.imported() == 0 && report.skipped > 0 {
        // A scheduled sync must notice an import that stored nothing.
        Some(format!("No record was imported: {} were skipped (see why above).", if records == 1 { "the 1 record".to_string() } else { format!("all {records} records") }))
    } else {
        report.withdraw_missing_refused.as_ref().map(|why| why.replace(collection::import::WITHDRAW_MANY_ADVICE, WITHDRAW_MANY_FLAG_ADVICE))
    };
    if args.json {
        /// The report, and why the import stopped if it did.
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            report: &'a collection::ImportReport,
            /// The import's id: what --put-back-withdrawn-by takes.
            import_id: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<&'a str>,
        }
        println!("{}", serde_json::to_string(&Out { report: &report, import_id, error: problem.as_deref() })?);
    } else {
        let counted = |n: u64| if n == 1 { "1 record".to_string() } else { format!("{n} records") };
        if report.dry_run {
            println!(
                "Checked {} for {} in {seconds:.1} s; nothing was written. Importing it would create {}, update {} and leave {} unchanged; {} would be skipped.",
                counted(records),
                org.name,
                report.created,
                report.updated,
                report.unchanged,
                report.skipped
            );
        } else {
            println!(
                "{} {} for {} in {seconds:.1} s ({:.0} records/s): {} created, {} updated, {} unchanged, {} skipped.",
                if failure.is_some() { "Stopped after reading" } else { "Read" },
                counted(records),
                org.name,
                records as f64 / seconds.max(1e-9),
                report.created,
                report.updated,
                report.unchanged,
                report.skipped
            );
        }
        for note in [report.columns_note(), report.not_in_file_note(), report.withdrawn_note(), report.withdraw_missing_note()].into_iter().flatten() {
            println!("  {}", note.replace(collection::import::WITHDRAW_MANY_ADVICE, WITHDRAW_MANY_FLAG_ADVICE));
        }
        if report.withdrawn_missing > 0 && !report.dry_run {
            println!(
                "  To put back everything this import (number {import_id}) withdrew: meetinghouse import objects --org {} --put-back-withdrawn-by {import_id}",
                org.slug
            );
        }
        let verb = if report.dry_run { "would skip" } else { "skipped" };
        for e in &report.errors {
            let field = if e.field.is_empty() { String::new() } else { format!(" ({})", e.field) };
            println!("  {verb} {}{field}: {}", e.record, e.message);
        }
        if report.skipped as usize > report.errors.len() {
            println!("  …and {} more skipped.", counted(report.skipped - report.errors.len() as u64));
        }
        let verb = if report.dry_run { "would import" } else { "imported" };
        for w in &report.warnings {
            let field = if w.field.is_empty() { String::new() } else { format!(" ({})", w.field) };
            println!("  {verb} {}{field} with a change: {}", w.record, w.message);
        }
        if report.warned as usize > report.warnings.len() {
            println!("  …and {} more imported with a change.", counted(report.warned - report.warnings.len() as u64));
        }
    }
    if let Some(message) = problem {
        anyhow::bail!("{message}");
    }
    Ok(())
}

/// A file refused before anything was written: its reason, also on standard
/// output as `{"error": …, "refused": true}` with `--json`; a non-zero exit.
fn refuse(json: bool, message: &str) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::json!({ "error": message, "refused": true }));
    }
    anyhow::bail!("{message}")
}

/// How the command line is told that so many objects should go.
const WITHDRAW_MANY_FLAG_ADVICE: &str = "If that many should go, run the import again with --yes-withdraw-many as well.";

/// `--put-back-withdrawn-by IMPORT_ID`: puts back every object import
/// `import_id` withdrew that is still withdrawn by it, with a progress bar.
async fn put_back(global: &GlobalArgs, org_slug: &str, import_id: i64, json: bool) -> anyhow::Result<()> {
    let db = open_db(&global.store()?, Migrations::RequireCurrent).await?;
    let result = put_back_on(&db, org_slug, import_id, json).await;
    db.close().await;
    result
}

async fn put_back_on(db: &meetinghouse_store::Db, org_slug: &str, import_id: i64, json: bool) -> anyhow::Result<()> {
    let org = orgs::by_address(db, org_slug).await?.with_context(|| format!("there is no organisation with the slug “{org_slug}” (see /orgs)"))?;
    let mut bar: Option<Option<indicatif::ProgressBar>> = None;
    let done = collection::withdraw::put_back_import(db, org.id, import_id, &mut |done, total| {
        let bar = bar.get_or_insert_with(|| counting_bar(total, "put back"));
        if let Some(bar) = bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    })
    .await;
    if let Some(Some(bar)) = bar {
        bar.finish_and_clear();
    }
    let done = match done {
        Ok(done) => done,
        Err(CoreError::NotFound) => anyhow::bail!("there is no import {import_id} into the collection of {} (see /orgs/{}/import)", org.name, org.slug),
        Err(e) => return Err(e.into()),
    };
    if json {
        println!("{}", serde_json::json!({ "import_id": import_id, "put_back": done.put_back, "left": done.left }));
        return Ok(());
    }
    let objects = |n: u64| if n == 1 { "1 object".to_string() } else { format!("{} objects", collection::thousands(n as i64)) };
    if done.put_back == 0 && done.left == 0 {
        println!("No object that import {import_id} withdrew for not being in its file is withdrawn now: nothing was put back in the collection of {}.", org.name);
    } else {
        println!("Put back {} that import {import_id} had withdrawn into the collection of {}, and into search.", objects(done.put_back), org.name);
    }
    if done.left > 0 {
        println!("  {} it withdrew {} left as {}: put back since, or withdrawn by the moderators.", objects(done.left), if done.left == 1 { "was" } else { "were" }, if done.left == 1 { "it was" } else { "they were" });
    }
    Ok(())
}

/// The progress bar of an import: the file's bar while it is read, then a
/// count while it looks through the collection for the objects the file
/// lacks and withdraws them (on a terminal only).
struct Bar {
    file: Option<indicatif::ProgressBar>,
    phase: Option<(&'static str, Option<indicatif::ProgressBar>)>,
}

impl Bar {
    fn new(file: Option<indicatif::ProgressBar>) -> Bar {
        Bar { file, phase: None }
    }

    fn show(&mut self, progress: Progress, position: u64) {
        let (label, done, total) = match progress {
            Progress::Read(read) => {
                if let Some(bar) = &self.file {
                    bar.set_position(position);
                    bar.set_message(format!("{read} records"));
                }
                return;
            }
            Progress::Looking { looked, total } => ("objects of the collection looked at", looked, total),
            Progress::Withdrawing { done, total } => ("withdrawn", done, total),
        };
        if let Some(bar) = self.file.take() {
            bar.finish_and_clear();
        }
        if self.phase.as_ref().is_none_or(|(l, _)| *l != label) {
            if let Some((_, Some(bar))) = self.phase.take() {
                bar.finish_and_clear();
            }
            self.phase = Some((label, counting_bar(total, label)));
        }
        if let Some((_, Some(bar))) = &self.phase {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.file.take() {
            bar.finish_and_clear();
        }
        if let Some((_, Some(bar))) = self.phase.take() {
            bar.finish_and_clear();
        }
    }
}

/// A bar counting `total` things, labelled, with rate and ETA, on a terminal only.
fn counting_bar(total: u64, label: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {label} ({{per_sec}}, {{eta}} left)");
    bar.set_style(indicatif::ProgressStyle::with_template(&template).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
    Some(bar)
}

/// How the command line names a CSV file's delimiter.
const DELIMITER_FLAG_ADVICE: &str = "If its columns are separated by another character, name it in a mapping file given with --mapping, under [options], like delimiter = \"|\".";

/// A progress bar with rate and ETA, on a terminal only.
fn progress_bar(total: u64, unit: Unit) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() || total == 0 {
        return None;
    }
    let template = match unit {
        Unit::Bytes => "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left) {msg}",
        Unit::Files => "{bar:40} {pos}/{len} files ({per_sec}, {eta} left) {msg}",
    };
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(indicatif::ProgressStyle::with_template(template).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
    Some(bar)
}
