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
             Back it up with PostgreSQL's own tool: pg_dump --format=custom --file {} {}",
            crate::config::redact_url(url),
            shell_quoted(&args.out.to_string_lossy()),
            shell_quoted(&crate::config::redact_url(url))
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
        if media.is_dir() {
            println!("Images are not in it: copy the media folder, {}, with it.", media.display());
        } else {
            println!("Images are not in it, and there are none to copy yet: there is no media folder at {}.", media.display());
        }
    }
    Ok(())
}

/// `text` as one word for a POSIX shell: as it is when it holds nothing the
/// shell reads specially, otherwise in single quotes (a `'` in it written `'\''`).
fn shell_quoted(text: &str) -> String {
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.,:@%+=".contains(&b));
    if plain { text.to_string() } else { format!("'{}'", text.replace('\'', r"'\''")) }
}

fn megabytes(bytes: u64) -> String {
    if bytes < 1024 * 1024 { format!("{} KB", bytes.div_ceil(1024)) } else { format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)) }
}

#[cfg(test)]
mod tests {
    use super::shell_quoted;

    #[test]
    fn a_path_or_url_is_one_shell_word() {
        assert_eq!(shell_quoted("/backups/town.dump"), "/backups/town.dump");
        assert_eq!(shell_quoted("/backups/town hall.dump"), "'/backups/town hall.dump'");
        assert_eq!(shell_quoted("Sam's town.dump"), r"'Sam'\''s town.dump'");
        assert_eq!(shell_quoted("postgres://mh@db/town?sslmode=require&x=1"), "'postgres://mh@db/town?sslmode=require&x=1'");
        assert_eq!(shell_quoted("$HOME/x"), "'$HOME/x'");
        assert_eq!(shell_quoted(""), "''");
    }
}
