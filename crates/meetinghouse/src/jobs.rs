//! Periodic jobs beside the mail worker: daily notification digests (at
//! 07:00 on the meeting house's clock, core's `notifications::DIGEST_HOUR`),
//! lifting suspensions whose time is over, settling amendments to groups'
//! purposes whose consent window has closed, and the hourly purge of deleted
//! stories, unused uploads and old read notifications. Each run is idempotent (a digest is claimed
//! and its notifications marked in one transaction; a purge removes each
//! upload in a transaction of its own), so several app servers may run them
//! at once.

use std::time::Duration;

use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::moderation;
use meetinghouse_core::retention::{self, Purged};
use meetinghouse_media::MediaStore;
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

/// How often stories past their restore window and unused uploads are
/// removed: nothing waits on it, so once an hour is plenty.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Removes, about hourly, stories deleted longer ago than they can be
/// restored, the uploads no story shows any more, with their bytes in
/// the media store, and old outbox mail (core's `retention::purge`). Runs beside `run` so a slow
/// media store never holds up digests.
pub async fn run_purge(db: Db, media: MediaStore, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match retention::purge(&db, &media, meetinghouse_store::now()).await {
            Ok(p) if p == Purged::default() => {}
            Ok(p) => tracing::info!(stories = p.stories, uploads = p.media.rows, images = p.media.blobs, emails = p.emails, attempts = p.attempts, notifications = p.notifications, "purge: removed for good"),
            Err(e) => tracing::warn!(error = %e, "purge: removing deleted stories or unused uploads failed; will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {},
            _ = stop.changed() => return,
        }
    }
}

/// How often the common-ground worker looks for conversations with new votes.
const ANALYSIS_POLL: Duration = Duration::from_secs(1);

/// Re-analyses common-ground conversations after votes, at most once per
/// conversation every `common_ground::caps::DEBOUNCE_SECS` (the claim in the
/// database makes that hold across app servers too).
pub async fn run_common_ground(db: Db, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match meetinghouse_core::common_ground::run_due(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(conversations = n, "common ground: analysed"),
            Err(e) => tracing::warn!(error = %e, "common ground: an analysis failed; will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(ANALYSIS_POLL) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Runs every job once; returns (digests sent, suspensions lifted).
pub async fn tick(db: &Db, base_url: &str) -> anyhow::Result<(usize, usize)> {
    let settings = Settings::load(db).await?;
    // Due once a day, at `notifications::DIGEST_HOUR` on the town's clock.
    let digests = notifications::send_digests(db, Mailer { settings: &settings, base_url }, meetinghouse_store::now()).await?;
    let lifted = moderation::lift_ended(db).await?;
    // Amendments to a group's purpose whose seven-day consent window has closed.
    let settled = meetinghouse_core::purposes::settle_due(db, Mailer { settings: &settings, base_url }, meetinghouse_store::now()).await?;
    if settled > 0 {
        tracing::info!(settled, "jobs worker: amendments to purposes settled");
    }
    if digests + lifted > 0 {
        tracing::info!(digests, lifted, "jobs worker: done");
    }
    Ok((digests, lifted))
}
