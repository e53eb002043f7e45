//! `meetinghouse backup OUT` — a consistent copy of the SQLite database,
//! taken while the server may be running (`VACUUM INTO`). PostgreSQL is
//! backed up with its own tool, `pg_dump`.

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::commands::{Migrations, open};
use crate::config::GlobalArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to write (it must not exist yet)
    out: PathBuf,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<()> {
    let store = global.store()?;
    if let Some(url) = &store.database_url
        && !url.starts_with("sqlite:")
    {
        bail!(
            "`meetinghouse backup` copies a SQLite database; this meeting house is on PostgreSQL ({}). \
             Back it up with PostgreSQL's own tool: pg_dump --format=custom --file {} '{}'",
            crate::config::redact_url(url),
            args.out.display(),
            crate::config::redact_url(url)
        );
    }
    let out = std::path::absolute(&args.out).unwrap_or(args.out.clone());
    if out.symlink_metadata().is_ok() {
        bail!("{} already exists: nothing was written. Name a new file.", out.display());
    }
    if let Some(folder) = out.parent()
        && !folder.is_dir()
    {
        bail!("the folder {} does not exist: nothing was written", folder.display());
    }
    // Backs up the database as it is: no migration (that is what a backup
    // is taken before), and a missing one is refused.
    let opened = open(&store, Migrations::Leave, false).await?;
    let copied = opened.db.backup_sqlite(&out).await;
    opened.db.close().await;
    copied.with_context(|| format!("could not back up {} to {}", opened.location, out.display()))?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!("Backed up {} to {} ({}).", opened.location, out.display(), megabytes(size));
    if let crate::config::MediaConfig::Local(media) = &store.media {
        let media = std::path::absolute(media).unwrap_or(media.clone());
        println!("Images are not in it: copy the media folder, {}, with it.", media.display());
    }
    Ok(())
}

fn megabytes(bytes: u64) -> String {
    if bytes < 1024 * 1024 { format!("{} KB", bytes.div_ceil(1024)) } else { format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)) }
}
