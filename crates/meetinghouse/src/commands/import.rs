//! `meetinghouse import objects --org SLUG [--format csv|json|jsonl] [--mapping FILE.toml] [--json] PATH`
//! — import collection records into an organisation's collection.
//!
//! A bad record is named in the report and skipped; a file that is not CSV
//! or JSON is one clear error. Work is committed in batches, so an import
//! that is killed loses no committed batch and running it again completes
//! it (unchanged records are counted, not rewritten).
//!
//! Exits non-zero when the file is refused, when the import stops part-way
//! (after printing what was committed and skipped, in `--json` too, with an
//! `"error"`), and when records were read but none was imported (every one
//! skipped), so a scheduled sync notices.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use meetinghouse_core::collection::{self, Failure, Format, ImportFailed, ImportOptions, Mapping, Unit};
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
    let opened = collection::open(&args.path, format, &mapping)
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().replace(collection::import::DELIMITER_ADVICE, DELIMITER_FLAG_ADVICE)))?;

    let bar = progress_bar(opened.total, opened.unit);
    let position = opened.position.clone();
    let started = Instant::now();
    let mut records = 0u64;
    let options = ImportOptions { org_id: org.id, mapping, format };
    let result = collection::import_records(&db, &options, opened.records, &mut |read| {
        records = read;
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
        Err(e @ ImportFailed { reason: Failure::File(_), .. }) => anyhow::bail!("{e}"),
        // Stopped part-way: what was committed and skipped is still reported.
        Err(e) => {
            let message = e.to_string();
            (e.report, Some(message))
        }
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
        println!("{}", serde_json::to_string(&Out { report: &report, error: failure.as_deref() })?);
    } else {
        let done = if failure.is_some() { "Stopped after" } else { "Imported" };
        println!(
            "{done} {records} records into {} in {seconds:.1} s ({:.0} records/s): {} created, {} updated, {} unchanged, {} skipped.",
            org.name,
            records as f64 / seconds.max(1e-9),
            report.created,
            report.updated,
            report.unchanged,
            report.skipped
        );
        if let Some(note) = report.not_in_file_note() {
            println!("  {note}");
        }
        for e in &report.errors {
            let field = if e.field.is_empty() { String::new() } else { format!(" ({})", e.field) };
            println!("  skipped {}{field}: {}", e.record, e.message);
        }
        if report.skipped as usize > report.errors.len() {
            println!("  …and {} more skipped records.", report.skipped as usize - report.errors.len());
        }
        for w in &report.warnings {
            let field = if w.field.is_empty() { String::new() } else { format!(" ({})", w.field) };
            println!("  imported {}{field} with a change: {}", w.record, w.message);
        }
        if report.warned as usize > report.warnings.len() {
            println!("  …and {} more records imported with a change.", report.warned as usize - report.warnings.len());
        }
    }
    if let Some(message) = failure {
        anyhow::bail!("{message}");
    }
    // A scheduled sync must notice an import that stored nothing.
    if records > 0 && report.imported() == 0 {
        anyhow::bail!("No record was imported: all {records} records were skipped (see why above).");
    }
    Ok(())
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
