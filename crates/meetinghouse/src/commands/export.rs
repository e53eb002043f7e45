//! `meetinghouse export interactions [--since DATE] > edges.csv` — the
//! interaction record on public content, as CSV on standard output:
//! `source,target,timestamp,kind,source_org,target_org,source_sectors,target_sectors`.

use std::io::Write;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use meetinghouse_core::interactions;

use crate::commands::{Migrations, open_db};
use crate::config::GlobalArgs;

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Replies, mentions and thanks between people on public content
    Interactions {
        /// Only interactions on or after this date (2026-03-01, or RFC 3339)
        #[arg(long)]
        since: Option<String>,
    },
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<()> {
    let What::Interactions { since } = args.what;
    let since = match since {
        Some(s) => interactions::parse_since(&s).map_err(anyhow::Error::msg)?,
        None => 0,
    };
    let db = open_db(&global.store()?, Migrations::RequireCurrent).await?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let n = interactions::export_csv(&db, since, &mut out).await?;
    out.flush().context("could not write to standard output")?;
    eprintln!("Exported {n} interactions.");
    db.close().await;
    Ok(())
}
