//! Periodic jobs beside the mail worker: daily notification digests and
//! lifting suspensions whose time is over. Each run is idempotent (a digest
//! is claimed and its notifications marked in one transaction), so several
//! app servers may run it at once.

use std::time::Duration;

use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::moderation;
use meetinghouse_store::Db;

/// How often the jobs run.
const EVERY: Duration = Duration::from_secs(60);

pub async fn run(db: Db, base_url: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = tick(&db, &base_url).await {
            tracing::warn!(error = %e, "jobs worker: a periodic job failed; will try again");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Runs every job once; returns (digests sent, suspensions lifted).
pub async fn tick(db: &Db, base_url: &str) -> anyhow::Result<(usize, usize)> {
    let settings = Settings::load(db).await?;
    let digests = notifications::send_digests(db, Mailer { settings: &settings, base_url }).await?;
    let lifted = moderation::lift_ended(db).await?;
    if digests + lifted > 0 {
        tracing::info!(digests, lifted, "jobs worker: done");
    }
    Ok((digests, lifted))
}
