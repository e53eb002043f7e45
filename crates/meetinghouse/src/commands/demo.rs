//! `meetinghouse demo` — seed the demo town into the configured database.

use meetinghouse_core::demo;

use crate::commands::{Migrations, open_db};
use crate::config::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let db = open_db(&global.store()?, Migrations::RequireCurrent).await?;
    let media = crate::commands::open_media(&global.store()?).await?;
    let report = demo::seed(&db, &media).await?;
    println!("{report}");
    db.close().await;
    Ok(())
}
