//! `meetinghouse migrate` — apply every pending migration.

use crate::commands::{Migrations, open_db};
use crate::config::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let db = open_db(&global.store()?, Migrations::Apply).await?;
    let status = db.migration_status().await?;
    println!("The database schema is current ({} migrations applied).", status.applied.len());
    db.close().await;
    Ok(())
}
