//! `meetinghouse migrate` — apply every pending migration (creating the
//! SQLite database when it is not there). On SQLite, a database with a
//! schema is copied beside itself first (see `open`).

use crate::commands::{Migrations, open};
use crate::config::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let opened = open(&global.store()?, Migrations::Apply, true).await?;
    let status = opened.db.migration_status().await;
    opened.db.close().await;
    let status = status?;
    if let Some(backup) = &opened.backup {
        println!("Backed up the database before migrating it: {}", backup.display());
    }
    println!("The database schema is current ({} migrations applied): {}", status.applied.len(), opened.location);
    Ok(())
}
