//! `meetinghouse export interactions [--since DATE] [--identified] > edges.csv`
//! — the interaction record on public content, as CSV on standard output:
//! `source,target,timestamp,kind,source_org,target_org,source_sectors,target_sectors`,
//! `kind` being `reply` or `mention`. Thanks are private and never exported.
//! People are pseudonymous by default (a keyed hash under a key made for
//! each export, times to the day, each day's rows in a keyed order, and the
//! organisation and sector columns coarsened so that what the file shows of
//! anyone is shared by at least five people in it); `--identified` names
//! them by handle and keeps everything, which is personal data for the
//! operator's own use (core `interactions`).

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
    /// Replies and mentions between people on public content, as CSV: pseudonymous by default (no handles;
    /// names that change with every export; dates to the day; rare sectors and organisations left out), which
    /// is not anonymous. Thanks are private and never exported; people whose account is suspended, banned or
    /// waiting for approval are left out
    #[command(
        long_about = "Replies and mentions between people on public content, as CSV on standard output.\n\n\
By default people are pseudonymous: each is p- and 16 hex digits, a keyed hash under a random key made for this \
export alone, so a person has one name throughout the file and another in the next export. Times are cut to the day, \
and the rows of each day come in an order set by that key, so two exports of the same period cannot be paired row \
by row. Sectors (public on profiles) and organisations are coarsened so that what the file shows of anyone is shared \
by at least 5 people in it: a person's mix of sectors is kept when 5 or more people in the file have the same mix, \
otherwise it becomes their one sector that most people hold, or is left empty; the organisations a person speaks \
for are left empty unless 5 or more people in the file show the same sectors and organisations. A file of fewer than \
5 people shows no sectors or organisations.\n\n\
Pseudonymous is not anonymous: the replies are public, and the file still shows who answered whom, how often and on \
which day, so someone who knows the town, or holds a copy of a public page, can recognise a person by their pattern \
of replies. Look at the file before you publish it, and publish as little as the purpose needs.\n\n\
With --identified people are named by their handle (a closed account as former-member- and a hash, never its number), \
times are to the second, rows are oldest first and every organisation and sector is kept: that file is personal \
data, for the meeting house's own analysis only; do not publish or share it.\n\n\
Thanks are private and never exported, nor an edge from a person to themselves; people whose account is suspended, \
banned or waiting for approval are left out with all their edges."
    )]
    Interactions {
        /// Only interactions on or after this date (2026-03-01, or RFC 3339)
        #[arg(long)]
        since: Option<String>,
        /// Name people by handle, give times to the second and keep every sector and organisation: personal data,
        /// for the operator's own use only
        #[arg(long)]
        identified: bool,
    },
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<()> {
    let What::Interactions { since, identified } = args.what;
    let naming = if identified { interactions::Naming::Identified } else { interactions::Naming::Pseudonymous };
    let since = match since {
        Some(s) => interactions::parse_since(&s).map_err(anyhow::Error::msg)?,
        None => 0,
    };
    let store = global.store()?;
    let db = open_db(&store, Migrations::RequireCurrent).await?;
    let stdout = std::io::stdout();
    let mut out = Output { inner: std::io::BufWriter::new(stdout.lock()), closed: false };
    let written = interactions::export(&db, since, naming, &mut out).await;
    db.close().await;
    let written = written.map_err(anyhow::Error::from).and_then(|n| out.flush().map(|()| n).context("could not write to standard output"));
    match written {
        Ok(n) if identified => eprintln!(
            "Exported {n} interactions from {}. People are named by handle: this is personal data, for your own use only.",
            crate::commands::location(&store)
        ),
        Ok(n) => eprintln!(
            "Exported {n} interactions from {}. People are pseudonymous, not anonymous; sectors and organisations are coarsened so that what the file shows of anyone is shared by at least {} people in it.",
            crate::commands::location(&store),
            interactions::K
        ),
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
