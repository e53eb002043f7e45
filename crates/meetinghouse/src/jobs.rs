//! Periodic jobs beside the mail worker: daily notification digests (at
//! 07:00 on the meeting house's clock, core's `notifications::DIGEST_HOUR`),
//! lifting suspensions whose time is over, settling amendments to groups'
//! purposes whose consent window has closed, declining collection imports
//! that waited 30 days for an admin, marking failed the collection imports
//! whose server went away while they ran (their senders are told), and the hourly purge of deleted
//! stories, unused uploads and old read notifications, and of the moderators' copies of what was
//! reported or hidden once the thing itself is gone (core `moderation::purge_snapshots`). Each run is idempotent (a digest is claimed
//! and its notifications marked in one transaction; a purge removes each
//! upload in a transaction of its own), so several app servers may run them
//! at once. Each job runs and fails on its own: one that fails is logged
//! and tried again on the next tick, and the others still run.

use std::time::Duration;

use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::moderation;
use meetinghouse_core::retention::{self, Purged};
use meetinghouse_media::MediaStore;
use meetinghouse_store::Db;
use meetinghouse_web::{Job, job_succeeded};

/// How often the jobs run.
const EVERY: Duration = Duration::from_secs(60);

pub async fn run(db: Db, base_url: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let done = tick(&db, &base_url, meetinghouse_store::now()).await;
        if done.settled.is_some_and(|n| n > 0) {
            tracing::info!(settled = done.settled, "jobs worker: amendments to purposes settled");
        }
        if done.expired.is_some_and(|n| n > 0) {
            tracing::info!(declined = done.expired, "jobs worker: imports nobody answered in 30 days declined");
        }
        if done.stale.is_some_and(|n| n > 0) {
            tracing::warn!(failed = done.stale, "jobs worker: collection imports that stopped without finishing marked failed");
        }
        if done.digests.unwrap_or(0) + done.lifted.unwrap_or(0) > 0 {
            tracing::info!(digests = done.digests, lifted = done.lifted, "jobs worker: done");
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
        let purged = retention::purge(&db, &media, meetinghouse_store::now()).await;
        if purged.is_ok() {
            job_succeeded(Job::Purge);
        }
        // What the moderators kept of things since removed for good (a story
        // purged above, and the replies with it): its own reports took
        // theirs with them; these are the ones another report's decision took.
        match moderation::purge_snapshots(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(snapshots = n, "purge: moderators' copies of things removed for good"),
            Err(e) => tracing::warn!(error = %e, "purge: removing the moderators' copies of things removed for good failed; will try again"),
        }
        match purged {
            Ok(p) if p == Purged::default() => {}
            Ok(p) => tracing::info!(stories = p.stories, uploads = p.media.rows, images = p.media.blobs, emails = p.emails, attempts = p.attempts, notifications = p.notifications, closed_accounts = p.closed_leftovers, email_changes = p.email_changes, checked_import_files = p.checked_files, sessions = p.sessions, email_links = p.email_links, invites = p.invites, waiting_accounts = p.waiting_accounts, "purge: removed for good"),
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

/// The longest the common-ground worker waits while the database cannot
/// say which conversations are due.
const ANALYSIS_POLL_MAX: Duration = Duration::from_secs(60);

/// How long the common-ground worker waits after `failures` polls in a row
/// that failed: a second, doubling to [`ANALYSIS_POLL_MAX`].
fn analysis_poll_after(failures: u32) -> Duration {
    ANALYSIS_POLL.saturating_mul(1 << failures.min(16)).min(ANALYSIS_POLL_MAX)
}

/// Re-analyses common-ground conversations after votes, at most once per
/// conversation every `common_ground::caps::DEBOUNCE_SECS` (the claim in the
/// database makes that hold across app servers too). A conversation whose
/// analysis fails waits longer before each try (core `run_due`, one warning
/// a try); when the database itself cannot be asked, the worker waits
/// longer after each failure in a row (to a minute), one warning each.
pub async fn run_common_ground(db: Db, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut failures = 0u32;
    loop {
        let analysed = meetinghouse_core::common_ground::run_due(&db).await;
        if analysed.is_ok() {
            job_succeeded(Job::CommonGround);
        }
        let wait = match analysed {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(conversations = n, "common ground: analysed");
                }
                failures = 0;
                ANALYSIS_POLL
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = analysis_poll_after(failures);
                tracing::warn!(error = %e, failures, retry_in_secs = wait.as_secs(), "common ground: could not look for conversations to analyse; will try again");
                wait
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {},
            _ = stop.changed() => return,
        }
    }
}

/// What one tick did: how many digests went out, suspensions were lifted,
/// amendments settled and waiting imports declined, each `None` when that job failed (it was logged
/// and is tried again on the next tick).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticked {
    pub digests: Option<usize>,
    pub lifted: Option<usize>,
    pub settled: Option<usize>,
    /// Collection imports declined after waiting 30 days for an admin.
    pub expired: Option<usize>,
    /// Running collection imports that noted nothing for
    /// `collection::jobs::STALE_SECS` (their server went away), marked failed.
    pub stale: Option<usize>,
}

/// Runs every job once, each on its own: one that fails (the settings
/// included, which the digests and the amendments' mail need) is logged and
/// leaves the others to run. `now` is the time the digests and the
/// amendments are due by (suspensions end by the store's clock).
pub async fn tick(db: &Db, base_url: &str, now: i64) -> Ticked {
    let settings = match Settings::load(db).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "jobs worker: could not read the settings; digests and amendments wait for the next tick");
            None
        }
    };
    // Due once a day, at `notifications::DIGEST_HOUR` on the town's clock.
    let digests = match &settings {
        Some(settings) => logged("digests", notifications::send_digests(db, Mailer { settings, base_url }, now).await),
        None => None,
    };
    let lifted = logged("suspensions ending", moderation::lift_ended(db).await);
    // Amendments to a group's purpose whose seven-day consent window has closed.
    let settled = match &settings {
        Some(settings) => logged("amendments settling", meetinghouse_core::purposes::settle_due(db, Mailer { settings, base_url }, now).await),
        None => None,
    };
    // Collection imports nobody answered in 30 days (their files go).
    let expired = match &settings {
        Some(settings) => logged(
            "waiting imports",
            meetinghouse_core::collection::jobs::expire_waiting(db, Mailer { settings, base_url }, now).await,
        ),
        None => None,
    };
    // Collection imports whose server went away while they ran.
    let stale = match &settings {
        Some(settings) => logged(
            "stopped imports",
            meetinghouse_core::collection::jobs::fail_stale(db, Mailer { settings, base_url }, meetinghouse_store::now()).await,
        ),
        None => None,
    };
    // What ran through is noted for `/metrics`.
    let ran = [
        (Job::Digests, digests.is_some()),
        (Job::SuspensionsEnding, lifted.is_some()),
        (Job::Amendments, settled.is_some()),
        (Job::ImportsWaiting, expired.is_some()),
        (Job::ImportsStopped, stale.is_some()),
    ];
    for (job, _) in ran.iter().filter(|(_, ok)| *ok) {
        job_succeeded(*job);
    }
    Ticked { digests, lifted, settled, expired, stale }
}

/// A job's result, its failure logged under its name.
fn logged<T, E: std::fmt::Display>(job: &'static str, result: Result<T, E>) -> Option<T> {
    result.map_err(|e| tracing::warn!(job, error = %e, "jobs worker: a periodic job failed; the others ran, and it is tried again on the next tick")).ok()
}

#[cfg(test)]
mod tests {
    use meetinghouse_core::accounts;
    use meetinghouse_core::common_ground::{self, ConversationForm};
    use meetinghouse_store::{Backend, DbOptions, test_databases};

    use super::*;

    const TOWN: &str = "https://town.example";

    /// A fresh SQLite database, and a PostgreSQL one when
    /// `TEST_DATABASE_URL` is set.
    async fn databases() -> Vec<Db> {
        let dir = test_databases::temp_dir("mh_jobs");
        let options = DbOptions { max_connections: 4 };
        let mut out = vec![Db::open_sqlite(&dir.join("test.db"), &options).await.unwrap()];
        if let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let url = test_databases::create(&url, "mh_jobs").await.unwrap();
            out.push(Db::connect(&url, &options).await.unwrap());
        }
        for db in &out {
            db.migrate().await.unwrap();
        }
        out
    }

    /// An account with a confirmed address, `{handle}@example.org`; its id.
    async fn person(db: &Db, handle: &str) -> i64 {
        let id = accounts::create_admin(db, &format!("{handle}@example.org"), handle, handle, "a long enough password").await.unwrap();
        meetinghouse_store::people::set_admin(db, id, false).await.unwrap();
        id
    }

    async fn note(db: &Db, person: i64) {
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::notifications::insert(&mut tx, person, "reply", "Ann replied.", "/").await.unwrap();
        tx.commit().await.unwrap();
    }

    /// How many digests went to an address.
    async fn digests_to(db: &Db, addr: &str) -> usize {
        meetinghouse_store::outbox::recent(db, 1_000).await.unwrap().iter().filter(|m| m.kind == "digest" && m.to_addr == addr).count()
    }

    /// Makes statements of `table` fail: inserting a digest for Sam into
    /// the outbox, or (`suspensions`) deleting a suspension.
    async fn refuse(db: &Db, table: &str, when: &str) {
        if db.backend() == Backend::Postgres {
            db.execute_admin(&format!(
                "CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$ BEGIN IF {} THEN RAISE EXCEPTION 'refused'; END IF; \
                 RETURN {}; END $$ LANGUAGE plpgsql",
                when.replace("ROW.", if table == "suspensions" { "OLD." } else { "NEW." }),
                if table == "suspensions" { "OLD" } else { "NEW" }
            ))
            .await
            .unwrap();
            let on = if table == "suspensions" { "DELETE" } else { "INSERT" };
            db.execute_admin(&format!("CREATE TRIGGER refuse_{table} BEFORE {on} ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_{table}()")).await.unwrap();
        } else {
            let (on, row) = if table == "suspensions" { ("DELETE", "OLD.") } else { ("INSERT", "NEW.") };
            db.execute_admin(&format!(
                "CREATE TRIGGER refuse_{table} BEFORE {on} ON {table} WHEN {} BEGIN SELECT RAISE(ABORT, 'refused'); END",
                when.replace("ROW.", row)
            ))
            .await
            .unwrap();
        }
    }

    /// The reviewer's case: Sam's digest cannot be queued, and Tom's
    /// suspension has ended. Priya still gets her digest and Tom his
    /// account back; and a job that fails as a whole (ending suspensions,
    /// here) leaves the others to run.
    #[tokio::test]
    async fn each_job_runs_whatever_another_does() {
        for db in databases().await {
            let (sam, priya, tom) = (person(&db, "sam").await, person(&db, "priya").await, person(&db, "tom").await);
            note(&db, sam).await;
            note(&db, priya).await;
            let mut tx = db.begin().await.unwrap();
            meetinghouse_store::moderation::suspend(&mut tx, tom, Some(meetinghouse_store::now() - 60)).await.unwrap();
            tx.commit().await.unwrap();
            refuse(&db, "email_outbox", "ROW.to_addr LIKE 'sam@%' AND ROW.kind = 'digest'").await;

            // Two days on, after 07:00: the digests are due.
            let tomorrow = meetinghouse_store::now() + 2 * 86_400;
            let done = tick(&db, TOWN, tomorrow).await;
            assert_eq!(done, Ticked { digests: Some(1), lifted: Some(1), settled: Some(0), expired: Some(0), stale: Some(0) }, "{:?}", db.backend());
            assert_eq!((digests_to(&db, "priya@example.org").await, digests_to(&db, "sam@example.org").await), (1, 0));
            let tom_now = meetinghouse_store::people::by_id(&db, tom).await.unwrap().unwrap();
            assert_eq!(tom_now.status, "active", "the suspension ended");

            // Ending suspensions fails as a whole: the digests still go.
            let pat = person(&db, "pat").await;
            note(&db, pat).await;
            let mut tx = db.begin().await.unwrap();
            meetinghouse_store::moderation::suspend(&mut tx, tom, Some(meetinghouse_store::now() - 60)).await.unwrap();
            tx.commit().await.unwrap();
            refuse(&db, "suspensions", "1 = 1").await;
            let done = tick(&db, TOWN, tomorrow + 60).await;
            assert_eq!(done, Ticked { digests: Some(1), lifted: None, settled: Some(0), expired: Some(0), stale: Some(0) }, "{:?}", db.backend());
            assert_eq!(digests_to(&db, "pat@example.org").await, 1);
        }
    }

    /// The digest lists what arrived before its 07:00 send time; news that
    /// came later waits for the next morning's (it used to go in the same
    /// digest, and then never again).
    #[tokio::test]
    async fn news_after_the_send_time_waits_for_the_next_morning() {
        for db in databases().await {
            let ann = person(&db, "ann").await;
            let mut tx = db.begin().await.unwrap();
            meetinghouse_store::notifications::insert(&mut tx, ann, "reply", "Before seven.", "/").await.unwrap();
            let later = meetinghouse_store::notifications::insert(&mut tx, ann, "reply", "After seven.", "/").await.unwrap();
            tx.commit().await.unwrap();
            // Two days on: the send time is that morning's, and the later news came after it.
            let at = meetinghouse_store::now() + 2 * 86_400;
            let slot = notifications::digest_time(meetinghouse_core::clock::zone(), at);
            db.execute_admin(&format!("UPDATE notifications SET created_at = {} WHERE id = {later}", slot + 60)).await.unwrap();
            tick(&db, TOWN, slot + 120).await;
            let sent: Vec<String> = meetinghouse_store::outbox::recent(&db, 10).await.unwrap().into_iter().filter(|m| m.kind == "digest").map(|m| m.body).collect();
            assert_eq!(sent.len(), 1, "{:?}", db.backend());
            assert!(sent[0].contains("Before seven.") && !sent[0].contains("After seven."), "{}", sent[0]);
            // The next morning it goes.
            tick(&db, TOWN, slot + 86_400 + 120).await;
            let sent: Vec<String> = meetinghouse_store::outbox::recent(&db, 10).await.unwrap().into_iter().filter(|m| m.kind == "digest").map(|m| m.body).collect();
            assert_eq!(sent.len(), 2, "{:?}", db.backend());
            assert!(sent[0].contains("After seven.") && !sent[0].contains("Before seven."), "{}", sent[0]);
        }
    }

    /// A conversation whose analysis fails is tried again after a wait that
    /// doubles with each failure, and the worker goes on with the others
    /// due (it used to stop at the failure and try it again, with a warning,
    /// every 3 s). A run that stores clears the count.
    #[tokio::test]
    async fn a_failing_analysis_backs_off() {
        use meetinghouse_store::common_ground as cg;
        for db in databases().await {
            let settings = Settings::load(&db).await.unwrap();
            accounts::create_admin(&db, "mia@example.org", "mia", "Mia", "a long enough password").await.unwrap();
            let mia = accounts::login(&db, "mia@example.org", "a long enough password").await.unwrap();
            let form = ConversationForm { topic: "The bus station".into(), seeds: "Move it.\nKeep it.".into(), ..Default::default() };
            let (a, b) = (common_ground::create(&db, &settings, &mia, &form).await.unwrap(), common_ground::create(&db, &settings, &mia, &ConversationForm { topic: "The market".into(), ..form.clone() }).await.unwrap());
            // Nothing the analysis of `a` stores can be stored; `b` is analysed.
            let (pg, id) = (db.backend() == Backend::Postgres, a);
            if pg {
                db.execute_admin(&format!("CREATE FUNCTION refuse_a() RETURNS trigger AS $$ BEGIN IF NEW.conversation_id = {id} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")).await.unwrap();
                db.execute_admin("CREATE TRIGGER refuse_a BEFORE INSERT ON cg_routing FOR EACH ROW EXECUTE FUNCTION refuse_a()").await.unwrap();
            } else {
                db.execute_admin(&format!("CREATE TRIGGER refuse_a BEFORE INSERT ON cg_routing WHEN NEW.conversation_id = {id} BEGIN SELECT RAISE(ABORT, 'refused'); END")).await.unwrap();
            }
            let changed = |ids: &[i64]| {
                let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                format!("UPDATE cg_conversations SET dirty_since = 1, analysed_at = NULL, claimed_at = NULL WHERE id IN ({list})")
            };
            db.execute_admin(&changed(&[a, b])).await.unwrap();
            // `a` comes first (the same change time, the lower id) and fails; `b` is analysed all the same.
            assert_eq!(common_ground::run_due(&db).await.unwrap(), 1, "{:?}", db.backend());
            assert!(common_ground::summary(&db, b).await.unwrap().is_some());
            let now = meetinghouse_store::now();
            let (failures, retry) = cg::analysis_failures(&db, a).await.unwrap().expect("the failure is noted");
            assert_eq!(failures, 1);
            assert!((now + 3..=now + 5).contains(&retry), "the first wait is 4 s: {retry} at {now}");
            // Past the debounce but within its wait, it is not tried.
            db.execute_admin("UPDATE cg_conversations SET analysed_at = NULL, claimed_at = NULL").await.unwrap();
            assert!(cg::due(&db, now, 20).await.unwrap().is_empty());
            assert_eq!(common_ground::run_due(&db).await.unwrap(), 0);
            assert_eq!(cg::analysis_failures(&db, a).await.unwrap().map(|f| f.0), Some(1), "not tried again yet");
            // Its wait over, it is tried, fails again, and waits twice as long.
            db.execute_admin(&format!("UPDATE cg_analysis_failures SET retry_after = {} WHERE conversation_id = {a}", now - 1)).await.unwrap();
            assert_eq!(common_ground::run_due(&db).await.unwrap(), 0);
            let (failures, retry) = cg::analysis_failures(&db, a).await.unwrap().unwrap();
            assert_eq!(failures, 2);
            assert!((now + 7..=now + 9).contains(&retry), "the second wait is 8 s: {retry} at {now}");
            assert_eq!((cg::backoff_secs(3), cg::backoff_secs(8), cg::backoff_secs(100)), (16, 512, 600));
            // Once it can store again, it is analysed and the count goes.
            db.execute_admin(if pg { "DROP TRIGGER refuse_a ON cg_routing" } else { "DROP TRIGGER refuse_a" }).await.unwrap();
            db.execute_admin(&format!("UPDATE cg_analysis_failures SET retry_after = {} WHERE conversation_id = {a}", now - 1)).await.unwrap();
            db.execute_admin("UPDATE cg_conversations SET analysed_at = NULL").await.unwrap();
            assert_eq!(common_ground::run_due(&db).await.unwrap(), 1);
            assert_eq!(cg::analysis_failures(&db, a).await.unwrap(), None);
        }
    }

    #[test]
    fn the_worker_waits_longer_while_the_database_cannot_be_asked() {
        let waits: Vec<u64> = [1, 2, 3, 6, 7, 40].iter().map(|&n| analysis_poll_after(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 60, 60, 60]);
    }

    /// A conversation last analysed by a clock that ran a day ahead and was
    /// set back is analysed again after new votes, not a day later.
    #[tokio::test]
    async fn a_clock_set_back_does_not_hold_up_the_analysis() {
        for db in databases().await {
            let settings = Settings::load(&db).await.unwrap();
            accounts::create_admin(&db, "mia@example.org", "mia", "Mia", "a long enough password").await.unwrap();
            let mia = accounts::login(&db, "mia@example.org", "a long enough password").await.unwrap();
            let form = ConversationForm { topic: "The bus station".into(), seeds: "Move it.\nKeep it.".into(), ..Default::default() };
            let id = common_ground::create(&db, &settings, &mia, &form).await.unwrap();
            let (now, ahead) = (meetinghouse_store::now(), meetinghouse_store::now() + 86_400);
            db.execute_admin(&format!("UPDATE cg_conversations SET dirty_since = {now}, analysed_at = {ahead}, claimed_at = NULL WHERE id = {id}")).await.unwrap();
            assert_eq!(common_ground::run_due(&db).await.unwrap(), 1, "{:?}", db.backend());
        }
    }
}
