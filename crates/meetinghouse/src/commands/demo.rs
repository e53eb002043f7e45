//! `meetinghouse demo` — seed the demo town into the configured database,
//! and `serve --demo`'s seeding. Only into a database with no people, or one
//! that already is the demo town (a run stopped part-way is finished; a
//! complete town is left alone): the town's 44 made-up people share a
//! published password, one of them is an instance admin, and seeding
//! replaces the meeting house's name, tagline and about text.

use std::net::SocketAddr;

use anyhow::bail;
use meetinghouse_core::{CoreError, demo};
use meetinghouse_media::MediaStore;
use meetinghouse_store::{Db, StoreError, people};

use crate::commands::{Migrations, open};
use crate::config::{GlobalArgs, StoreConfig};

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let store = global.store()?;
    let opened = open(&store, Migrations::RequireCurrent, true).await?;
    let seeded = seed(&opened.db, &store, None, &opened.location, |line| eprintln!("{line}")).await;
    opened.db.close().await;
    let report = match seeded? {
        Ok(report) => report,
        Err(refusal) => bail!(refusal),
    };
    println!("{report}");
    Ok(())
}

/// `serve --demo`: seeds the town when [`seed`] may; otherwise says why not
/// and serves the database as it is.
pub async fn serve_demo(db: &Db, store: &StoreConfig, media: &MediaStore) -> anyhow::Result<()> {
    let location = crate::commands::location(store);
    match seed(db, store, Some(media), &location, |line| tracing::info!("{line}")).await? {
        Ok(report) => tracing::info!("{}", report.to_string().replace('\n', " ")),
        Err(refusal) => tracing::warn!("--demo: {refusal}"),
    }
    Ok(())
}

/// Run by every `serve`, before `--demo` seeds anything: whether the
/// database is the demo town (complete or part-way), or `--demo` is about to
/// make it one. Its 44 accounts, the instance admin @sam among them, sign in
/// with a password the README publishes, so on an address other machines
/// reach it is refused unless `demo_public` (`--demo-public`) says that is
/// what the operator wants, and then served with a loud warning; on
/// loopback it is served with a warning line.
pub async fn check_public(db: &Db, store: &StoreConfig, listen: SocketAddr, seeding: bool, demo_public: bool) -> anyhow::Result<()> {
    let now = state(db).await?;
    let town = match now {
        State::Unfinished | State::Complete => true,
        State::Empty => seeding,
        State::Other(_) => false,
    };
    if !town {
        return Ok(());
    }
    let password = demo::DEMO_PASSWORD;
    let location = crate::commands::location(store);
    if listen.ip().is_loopback() {
        tracing::warn!(
            %listen,
            "serving the demo town: every demo account, the instance admin @sam included, signs in with the published password “{password}”. \
             {listen} is reached only from this machine; do not pass it on to others (through a proxy) unless strangers signing in as an admin is what you want."
        );
    } else if demo_public {
        tracing::warn!(
            %listen,
            "THE DEMO TOWN IS REACHABLE FROM OTHER MACHINES (--demo-public): every demo account, the instance admin @sam included, \
             signs in with the password “{password}”, which is published in the README. Anyone who can reach {listen} can \
             sign in as an admin."
        );
    } else {
        let what = if matches!(now, State::Empty) { format!("--demo would seed the demo town into {location}") } else { format!("{location} holds the demo town") };
        bail!(
            "{what}, and --listen {listen} can be reached from other machines: serve did not start. Every demo account, the instance \
             admin @sam included, signs in with the password “{password}”, which is published in the README, so anyone who can reach \
             {listen} could sign in as an admin. Serve the demo on this machine only (--listen 127.0.0.1:8080), or, if strangers \
             signing in as an admin is what you want (a public demo), add --demo-public (MEETINGHOUSE_DEMO_PUBLIC=on, or demo_public = true \
             in the config file)."
        );
    }
    Ok(())
}

/// What the database holds, as far as the demo town is concerned.
enum State {
    /// No people: a new meeting house.
    Empty,
    /// The demo town, left part-way by an earlier run.
    Unfinished,
    /// The demo town, complete.
    Complete,
    /// Someone's meeting house: why the demo may not go in (plain words).
    Other(String),
}

async fn state(db: &Db) -> anyhow::Result<State> {
    if demo::is_empty(db).await? {
        return Ok(State::Empty);
    }
    if demo::unfinished(db).await? {
        return Ok(State::Unfinished);
    }
    if demo::is_demo_town(db).await? {
        return Ok(State::Complete);
    }
    let count = people::count(db).await?;
    // Name an account: one that uses the demo's admin handle, if any.
    let named = match people::by_handle(db, "sam").await? {
        Some(p) => Some(p.handle),
        None => people::list(db, 1, 0).await?.into_iter().next().map(|p| p.handle),
    };
    let who = match named {
        Some(handle) => format!("@{handle} is an account of this meeting house, which has {count} {} and is not the demo town", if count == 1 { "person" } else { "people" }),
        None => format!("this meeting house has {count} people and is not the demo town"),
    };
    Ok(State::Other(who))
}

/// Seeds the demo town into `db` when it has no people or is the demo town
/// already (`Ok(Ok(report))`), saying first that it is seeding; otherwise
/// writes nothing and returns the refusal, in plain words (`Ok(Err(why))`):
/// a meeting house of someone's own, or another run seeding it now (it
/// holds the seeding lock, `demo::seeding_lock`, until it ends, however it
/// ends). The media store is opened from `store` unless given. `say` tells
/// the person waiting (standard error for `demo`, whose report goes to
/// standard output; the log for `serve`).
async fn seed(db: &Db, store: &StoreConfig, media: Option<&MediaStore>, location: &str, say: impl Fn(&str)) -> anyhow::Result<Result<demo::DemoReport, String>> {
    match state(db).await? {
        // Left alone, with nothing to wait for.
        State::Complete => return Ok(Ok(demo::DemoReport { skipped: true, ..Default::default() })),
        other => {
            if let Some(refused) = refusal(other, location) {
                return Ok(Err(refused));
            }
        }
    }
    let Some(lock) = demo::seeding_lock(db).await? else {
        return Ok(Err(format!(
            "Another demo seeding (`meetinghouse demo` or `serve --demo`) is running on {location}, so this one stopped without writing anything. \
             Run `meetinghouse demo` again once the other has ended: it finishes the town if anything is missing, or says it is complete."
        )));
    };
    let seeded = seed_holding_lock(db, store, media, location, say).await;
    if let Err(e) = lock.release().await {
        tracing::warn!(error = %e, "could not let go of the demo seeding lock (it goes when this process ends)");
    }
    seeded
}

/// Why the demo town may not go into a database in `state`, if it may not.
fn refusal(state: State, location: &str) -> Option<String> {
    let State::Other(who) = state else { return None };
    Some(format!(
        "The demo town was not seeded: {who}. The demo adds 44 made-up people — among them an instance admin, @sam, \
         whose password is published — and replaces the meeting house's name, tagline and about text. Nothing was \
         written to {location}. Seed the demo town into a new, empty data folder instead (for example \
         `meetinghouse demo --data-dir ./demo-town`)."
    ))
}

/// [`seed`], once it holds the seeding lock: the database is looked at
/// again, as another run may have changed it before letting go.
async fn seed_holding_lock(
    db: &Db,
    store: &StoreConfig,
    media: Option<&MediaStore>,
    location: &str,
    say: impl Fn(&str),
) -> anyhow::Result<Result<demo::DemoReport, String>> {
    match state(db).await? {
        State::Other(who) => return Ok(Err(refusal(State::Other(who), location).unwrap_or_default())),
        State::Complete => {}
        State::Empty => say(&format!("Seeding the demo town into {location}… (this takes a little while)")),
        State::Unfinished => say(&format!("Finishing the demo town an earlier run left part-way in {location}…")),
    }
    let seeded = match media {
        Some(media) => demo::seed(db, media).await,
        None => demo::seed(db, &crate::commands::open_media(store).await?).await,
    };
    match seeded {
        Ok(report) => Ok(Ok(report)),
        // A row this run was about to add is there after all: a run of an
        // older version, which took no lock, added it since this one looked.
        Err(e @ CoreError::Store(StoreError::Conflict { .. })) if matches!(state(db).await, Ok(State::Unfinished | State::Complete)) => {
            Err(anyhow::Error::new(e).context(format!(
                "another demo seeding (`meetinghouse demo` or `serve --demo`) is running on {location}, or finished meanwhile, so this one \
                 stopped. Nothing is lost: once the other has ended, `meetinghouse demo` finishes the town if anything is missing, \
                 or says it is complete"
            )))
        }
        Err(e) => Err(e.into()),
    }
}
