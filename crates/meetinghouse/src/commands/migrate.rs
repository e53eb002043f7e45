//! `meetinghouse migrate` — apply every pending migration (creating the
//! SQLite database when it is not there), and say how many it applied now
//! and how many the schema has in all. On SQLite, a database with a
//! schema is copied beside itself first (see `open`).

use crate::commands::{Migrations, open};
use crate::config::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let store = global.store()?;
    // What was applied before, read without changing anything.
    let before = open(&store, Migrations::Leave, true).await?;
    let had = before.db.migration_status().await;
    before.db.close().await;
    let had = had?.applied;
    let opened = open(&store, Migrations::Apply, true).await?;
    let status = opened.db.migration_status().await;
    opened.db.close().await;
    let status = status?;
    if let Some(backup) = &opened.backup {
        println!("Backed up the database before migrating it: {}", backup.display());
    }
    println!("{}: {}", summary(&had, &status.applied), opened.location);
    Ok(())
}

/// What migrating did, in words: how many migrations it applied now and
/// how many the schema has in all.
fn summary(before: &[i64], after: &[i64]) -> String {
    let now = after.iter().filter(|v| !before.contains(v)).count();
    let all = after.len();
    let in_all = if all == 1 { "1 migration in all".to_string() } else { format!("{all} migrations in all") };
    match now {
        0 => format!("Nothing to apply: the database schema is current ({in_all})"),
        1 => format!("Applied 1 migration now; the database schema is current ({in_all})"),
        n => format!("Applied {n} migrations now; the database schema is current ({in_all})"),
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn says_what_it_applied_now_and_in_all() {
        assert_eq!(summary(&[], &[1, 2, 3]), "Applied 3 migrations now; the database schema is current (3 migrations in all)");
        assert_eq!(summary(&[1, 2], &[1, 2, 3]), "Applied 1 migration now; the database schema is current (3 migrations in all)");
        assert_eq!(summary(&[1, 2, 3], &[1, 2, 3]), "Nothing to apply: the database schema is current (3 migrations in all)");
    }
}
