//! `meetinghouse import objects --org SLUG [--format csv|json|jsonl] [--mapping FILE.toml] [--dry-run] [--withdraw-missing] [--json] PATH`
//! — import collection records into an organisation's collection.
//!
//! A bad record is named in the report and skipped; a file that is not CSV
//! or JSON is one clear error. Work is committed in batches, so an import
//! that is killed loses no committed batch and running it again completes
//! it (unchanged records are counted, not rewritten). `--dry-run` reads and
//! checks the whole file and says what an import would do, writing
//! nothing; `--withdraw-missing` withdraws the objects the file does not
//! have (only after a complete import with no record skipped).
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
//! because the import was not clean, so a scheduled sync notices.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use meetinghouse_core::collection::{self, Failure, Format, ImportFailed, ImportOptions, ImportRun, Mapping, Unit};
use meetinghouse_core::orgs;

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
    /// After a complete import, withdraw the organisation's objects the file does not have
    #[arg(long)]
    withdraw_missing: bool,
    /// Print the report as one JSON object instead of a summary
    #[arg(long)]
    json: bool,
    /// The file or folder to import
    path: PathBuf,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<()> {
    let What::Objects(args) = args.what;
    let mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("could not read the mapping file {}", path.display()))?;
            Mapping::from_toml(&text).map_err(anyhow::Error::msg)?
        }
        None => Mapping::default(),
    };
    let format = args.format.as_deref().and_then(Format::parse);
    let db = open_db(&global.store()?, Migrations::RequireCurrent).await?;
    // The slug in any case, as in the organisation's address.
    let org = orgs::by_address(&db, &args.org)
        .await?
        .with_context(|| format!("there is no organisation with the slug “{}” (see /orgs)", args.org))?;
    // A file that is not CSV as read is told how to name its delimiter
    // here: in a mapping file given with --mapping.
    let opened = match collection::open(&args.path, format, &mapping) {
        Ok(o) => o,
        Err(e) => return refuse(args.json, &e.to_string().replace(collection::import::DELIMITER_ADVICE, DELIMITER_FLAG_ADVICE)),
    };

    let bar = progress_bar(opened.total, opened.unit);
    let position = opened.position.clone();
    let started = Instant::now();
    let options = ImportOptions { org_id: org.id, mapping, format };
    let run = ImportRun { dry_run: args.dry_run, withdraw_missing: args.withdraw_missing, by: None, max_objects: None };
    let result = collection::import_records_run(&db, &options, &run, opened.records, &mut |read| {
        if let Some(bar) = &bar {
            bar.set_position(position.load(Ordering::Relaxed));
            bar.set_message(format!("{read} records"));
        }
    })
    .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
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
        report.withdraw_missing_refused.clone()
    };
    if args.json {
        /// The report, and why the import stopped if it did.
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            report: &'a collection::ImportReport,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<&'a str>,
        }
        println!("{}", serde_json::to_string(&Out { report: &report, error: problem.as_deref() })?);
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
            println!("  {note}");
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
