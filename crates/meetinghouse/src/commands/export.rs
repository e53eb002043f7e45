//! `meetinghouse export interactions [--since DATE] > edges.csv` — the
//! interaction record on public content, as CSV on standard output:
//! `source,target,timestamp,kind,source_org,target_org,source_sectors,target_sectors`,
//! `kind` being `reply` or `mention`. Thanks are private and never exported.

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
    /// Replies and mentions between people on public content (thanks are private and never exported)
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
    let store = global.store()?;
    let db = open_db(&store, Migrations::RequireCurrent).await?;
    let stdout = std::io::stdout();
    let mut out = Output { inner: std::io::BufWriter::new(stdout.lock()), closed: false };
    let written = interactions::export_csv(&db, since, &mut out).await;
    db.close().await;
    let written = written.map_err(anyhow::Error::from).and_then(|n| out.flush().map(|()| n).context("could not write to standard output"));
    match written {
        Ok(n) => eprintln!("Exported {n} interactions from {}.", crate::commands::location(&store)),
        // The reader went away (`| head`): it asked for no more.
        Err(_) if out.closed => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Standard output that remembers whether its reader went away.
struct Output<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> Output<W> {
    fn noting<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if r.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
            self.closed = true;
        }
        r
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.noting(r)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.noting(r)
    }
}
