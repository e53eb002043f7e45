//! Notifications and the daily digest, on every configured backend: what
//! someone may no longer see leaves their list, their count and their
//! digest (a deleted story, a members-only group they left, a withdrawn
//! invitation); the digest goes once a day at 07:00 on the town's clock,
//! clock changes included, claimed once across app servers (by send time,
//! so a clock set back still sends it) and only while the person is on the
//! daily digest, one failing digest stopping no other; reading a notification takes it out
//! of the digest's set; read notifications are purged after 180 days.
//!
//! This file is its own test program, so it sets the meeting house's zone
//! (Europe/London) as `main` does at start, without touching other tests.

use meetinghouse_core::clock::{self, Zone};
use meetinghouse_core::conversations;
use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::notifications::{self, DIGEST_HOUR, Mailer, digest_time};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::subjects::Subject;
use meetinghouse_core::{Actor, Db, accounts};
use meetinghouse_store::notifications as store;

mod common;
use common::{person, reply, story, to};

const DAY: i64 = 24 * 3600;

fn london() -> &'static Zone {
    clock::set_zone(Zone::parse("Europe/London").unwrap());
    assert_eq!(clock::zone().name(), "Europe/London", "the zone is set once, first");
    clock::zone()
}

/// Unix seconds of a UTC wall-clock time.
fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap().and_utc().timestamp()
}

/// Adds a notification for `person` (stored now), as the tests of the digest do.
async fn note(db: &Db, person: i64, text: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = store::insert(&mut tx, person, "reply", text, "/").await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// The digests queued for an address, oldest first.
async fn digests_to(db: &Db, addr: &str) -> Vec<meetinghouse_store::outbox::EmailRow> {
    let mut all: Vec<_> = meetinghouse_store::outbox::recent(db, 1_000).await.unwrap().into_iter().filter(|m| m.kind == "digest" && m.to_addr == addr).collect();
    all.reverse();
    all
}

async fn texts(db: &Db, who: &Actor) -> Vec<String> {
    notifications::list(db, who, 0).await.unwrap().into_iter().map(|n| n.text).collect()
}

/// The header's count, as every signed-in request reads it.
async fn header(db: &Db, who: &Actor) -> i64 {
    let session = accounts::start_session(db, who.id).await.unwrap();
    accounts::session_actor(db, &session).await.unwrap().unwrap().1
}

#[test]
fn the_send_time_is_seven_on_the_towns_clock_through_clock_changes() {
    let london = Zone::parse("Europe/London").unwrap();
    assert_eq!(DIGEST_HOUR, 7);
    // Winter: London is on UTC. Before 07:00 it is yesterday's send time.
    assert_eq!(digest_time(&london, utc(2036, 1, 15, 7, 0)), utc(2036, 1, 15, 7, 0));
    assert_eq!(digest_time(&london, utc(2036, 1, 15, 23, 59)), utc(2036, 1, 15, 7, 0));
    assert_eq!(digest_time(&london, utc(2036, 1, 15, 7, 0) - 1), utc(2036, 1, 14, 7, 0));
    // Sunday 30 March 2036: the clocks go forward at 01:00, so 07:00 BST is 06:00 UTC.
    assert_eq!(digest_time(&london, utc(2036, 3, 30, 6, 0)), utc(2036, 3, 30, 6, 0));
    assert_eq!(digest_time(&london, utc(2036, 3, 30, 6, 0) - 1), utc(2036, 3, 29, 7, 0));
    // Sunday 26 October 2036: they go back at 02:00 BST, so 07:00 GMT is 07:00 UTC.
    assert_eq!(digest_time(&london, utc(2036, 10, 26, 6, 30)), utc(2036, 10, 25, 6, 0), "still Saturday's 07:00 BST");
    assert_eq!(digest_time(&london, utc(2036, 10, 26, 7, 0)), utc(2036, 10, 26, 7, 0));
    // Summer, on a town east of UTC: the day starts before UTC's.
    let tokyo = Zone::parse("Asia/Tokyo").unwrap();
    assert_eq!(digest_time(&tokyo, utc(2036, 7, 1, 0, 0)), utc(2036, 6, 30, 22, 0), "07:00 on 1 July in Tokyo");
    assert_eq!(digest_time(&Zone::utc(), utc(2036, 7, 1, 6, 59)), utc(2036, 6, 30, 7, 0));
}

/// A first notification after a quiet day is not emailed within the
/// minute: it waits for the next 07:00, on the town's clock (the day the
/// clocks go forward too), and a day has one digest.
#[tokio::test]
async fn the_digest_goes_once_a_day_at_seven_on_the_towns_clock() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let dan = person(&db, "dan").await;
        note(&db, dan.id, "news one.").await;
        assert_eq!(notifications::send_digests(&db, mail, meetinghouse_store::now()).await.unwrap(), 0, "it waits for the morning");
        assert!(digests_to(&db, "dan@example.org").await.is_empty());

        // Saturday 29 March 2036 at noon: that morning's digest is due.
        let saturday = utc(2036, 3, 29, 12, 0);
        assert_eq!(notifications::send_digests(&db, mail, saturday).await.unwrap(), 1);
        let sent = digests_to(&db, "dan@example.org").await;
        assert!(sent[0].subject.contains("your daily digest (1 new)") && sent[0].body.contains("- news one."), "{}", sent[0].body);
        assert!(sent[0].body.contains("You get a digest at 07:00 on days with news."), "{}", sent[0].body);
        note(&db, dan.id, "news two.").await;
        assert_eq!(notifications::send_digests(&db, mail, saturday + 60).await.unwrap(), 0, "one a day");
        assert_eq!(notifications::send_digests(&db, mail, utc(2036, 3, 29, 23, 59)).await.unwrap(), 0);

        // Sunday: the clocks went forward at 01:00; 07:00 BST is 06:00 UTC.
        assert_eq!(notifications::send_digests(&db, mail, utc(2036, 3, 30, 6, 0) - 1).await.unwrap(), 0, "06:59:59 BST");
        // Two app servers at 07:00: one of them sends it.
        let sunday = utc(2036, 3, 30, 6, 0);
        let (a, b) = tokio::join!(notifications::send_digests(&db, mail, sunday), notifications::send_digests(&db, mail, sunday + 1));
        assert_eq!(a.unwrap() + b.unwrap(), 1);
        assert_eq!(notifications::send_digests(&db, mail, sunday + 60).await.unwrap(), 0);
        let sent = digests_to(&db, "dan@example.org").await;
        assert_eq!(sent.len(), 2);
        assert!(sent[1].body.contains("- news two.") && !sent[1].body.contains("news one"), "{}", sent[1].body);

        // What comes after Sunday's digest waits for Monday's 07:00.
        note(&db, dan.id, "news three.").await;
        assert_eq!(notifications::send_digests(&db, mail, utc(2036, 3, 30, 23, 0)).await.unwrap(), 0);
        assert_eq!(notifications::send_digests(&db, mail, utc(2036, 3, 31, 6, 0)).await.unwrap(), 1, "Monday, 07:00 BST");
    }
}

/// Turning email off (or to "at once") stops a digest that was due but not
/// yet claimed: the claim itself asks for the daily digest.
#[tokio::test]
async fn a_digest_is_claimed_only_while_the_person_is_on_the_daily_digest() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let dan = person(&db, "dan").await;
        note(&db, dan.id, "news.").await;
        let at = utc(2036, 5, 5, 12, 0);
        let slot = digest_time(clock::zone(), at);
        assert_eq!(store::digest_due(&db, slot, at, 0, 200).await.unwrap(), vec![dan.id], "due");
        // Dan turns email off after the worker listed him, before it claims him.
        for mode in ["off", "immediate"] {
            notifications::set_mode(&db, &dan, mode).await.unwrap();
            let mut tx = db.begin().await.unwrap();
            assert!(!store::claim_digest(&mut tx, dan.id, slot, at).await.unwrap(), "{mode}: not claimed");
            tx.rollback().await.unwrap();
        }
        notifications::set_mode(&db, &dan, "daily").await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert!(store::claim_digest(&mut tx, dan.id, slot, at).await.unwrap(), "back on the digest");
        tx.rollback().await.unwrap();
    }
}

/// A story its author deleted, a members-only group's discussion after the
/// person left the group (still reached through a member group, it stays),
/// a withdrawn invitation: their notifications leave the list, the unread
/// count and the header's count, and the digest neither lists nor counts
/// them, marking them emailed so they never go out. What is still there
/// stays.
#[tokio::test]
async fn notifications_about_what_is_gone_leave_the_list_count_and_digest() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (ann, bea, cal, hal, eve) =
            (person(&db, "ann").await, person(&db, "bea").await, person(&db, "cal").await, person(&db, "hal").await, person(&db, "eve").await);
        // A public story Ann will delete, and one she keeps.
        let canal = story(&db, &s, &ann).await;
        let form = StoryForm { title: "The lock".into(), body: "Gates.".into(), licence: "cc0".into(), visibility: "public".into(), ..Default::default() };
        let lock = Subject::Story(stories::create(&db, &s, &ann, &form).await.unwrap());
        let on_canal = conversations::post(&db, mail, &bea, canal, &reply("My gran walked it")).await.unwrap();
        conversations::post(&db, mail, &cal, canal, &to(on_canal, "So did mine")).await.unwrap();
        let on_lock = conversations::post(&db, mail, &bea, lock, &reply("The gates creak")).await.unwrap();
        conversations::post(&db, mail, &cal, lock, &to(on_lock, "They still do")).await.unwrap();

        // A members-only group Bea belongs to directly and through another
        // group. (Both are open while they join, then choose their members:
        // a members-only group cannot be open, a group anyone may join
        // passes nobody into one that chooses, and asking would notify Bea.)
        let quiet = GroupForm { name: "Quiet room".into(), slug: "quiet-room".into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
        groups::create(&db, &s, &hal, &quiet).await.unwrap();
        let keepers = GroupForm { name: "Keepers".into(), slug: "keepers".into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
        groups::create(&db, &s, &hal, &keepers).await.unwrap();
        groups::join(&db, &s, &bea, "quiet-room").await.unwrap();
        groups::join(&db, &s, &bea, "keepers").await.unwrap();
        groups::nest(&db, mail, &hal, "quiet-room", "keepers").await.unwrap();
        db.execute_admin("UPDATE community_groups SET join_policy = 'request' WHERE slug IN ('quiet-room', 'keepers')").await.unwrap();
        db.execute_admin("UPDATE community_groups SET visibility = 'members' WHERE slug = 'quiet-room'").await.unwrap();
        let gid = meetinghouse_store::groups::by_slug(&db, "quiet-room").await.unwrap().unwrap().id;
        // Mia, an instance admin, sees every group: she is told of a mention there, and it stays.
        let mia = common::admin(&db, "mia").await;
        let in_group = conversations::post(&db, mail, &bea, Subject::Group(gid), &reply("Shall we meet, @mia?")).await.unwrap();
        conversations::post(&db, mail, &hal, Subject::Group(gid), &to(in_group, "Friday suits me")).await.unwrap();
        // Eve is invited to it.
        groups::invite(&db, mail, &hal, "quiet-room", "eve").await.unwrap();
        assert_eq!(notifications::unread(&db, &bea).await.unwrap(), 3, "{:?}", texts(&db, &bea).await);
        assert_eq!(notifications::unread(&db, &eve).await.unwrap(), 1, "{:?}", texts(&db, &eve).await);

        // Ann deletes the canal story; Bea leaves the group (she still
        // belongs through Keepers); Hal withdraws Eve's invitation.
        stories::delete(&db, mail, &ann, canal.id()).await.unwrap();
        groups::leave(&db, &bea, "quiet-room").await.unwrap();
        groups::remove(&db, &hal, "quiet-room", "person", eve.id).await.unwrap();
        let told = texts(&db, &bea).await;
        assert_eq!(told.len(), 2, "{told:?}");
        assert!(told.iter().all(|t| !t.contains("canal")), "{told:?}");
        assert!(told.iter().any(|t| t.contains("Quiet room")), "still a member through Keepers: {told:?}");
        assert!(texts(&db, &eve).await.is_empty(), "{:?}", texts(&db, &eve).await);
        assert_eq!(notifications::unread(&db, &eve).await.unwrap(), 0);
        assert_eq!(header(&db, &eve).await, 0);

        // Out of Keepers too, Bea no longer reaches the group.
        groups::leave(&db, &bea, "keepers").await.unwrap();
        assert_eq!(texts(&db, &bea).await, vec!["cal replied to you on “The lock”.".to_string()]);
        assert_eq!(notifications::unread(&db, &bea).await.unwrap(), 1);
        assert_eq!(header(&db, &bea).await, 1, "the header counts as the list does");
        assert_eq!(texts(&db, &mia).await, vec!["bea mentioned you on “Quiet room”.".to_string()]);

        // The digest lists only what is still there, and marks the rest.
        notifications::send_digests(&db, mail, utc(2036, 5, 5, 12, 0)).await.unwrap();
        let sent = digests_to(&db, "bea@example.org").await;
        assert_eq!(sent.len(), 1);
        assert!(sent[0].subject.contains("(1 new)"), "{}", sent[0].subject);
        assert!(sent[0].body.contains("“The lock”") && !sent[0].body.contains("canal") && !sent[0].body.contains("Quiet room"), "{}", sent[0].body);
        assert!(digests_to(&db, "eve@example.org").await.is_empty());
        let mut tx = db.begin().await.unwrap();
        let (left, more) = store::take_undigested(&mut tx, bea.id, 100).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(left.is_empty() && more == 0, "all of Bea's are marked emailed");

        // Ann restores her story: its notification is back on Bea's list,
        // but was marked and never goes out.
        stories::restore(&db, &ann, canal.id()).await.unwrap();
        assert!(texts(&db, &bea).await.iter().any(|t| t.contains("canal")));
        notifications::send_digests(&db, mail, utc(2036, 5, 6, 12, 0)).await.unwrap();
        assert_eq!(digests_to(&db, "bea@example.org").await.len(), 1);
    }
}

/// Reading a notification on the site takes it out of the digest's set for
/// good (`emailed`), so the digest's query never reads it again.
#[tokio::test]
async fn reading_takes_a_notification_out_of_the_digest_set() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let dan = person(&db, "dan").await;
        let one = note(&db, dan.id, "news one.").await;
        let two = note(&db, dan.id, "news two.").await;
        note(&db, dan.id, "news three.").await;
        notifications::open(&db, &dan, one).await.unwrap();
        notifications::mark_read(&db, &dan, &[two]).await.unwrap();
        // Were the reads undone behind its back, the digest would still not list them.
        db.execute_admin("UPDATE notifications SET read_at = NULL").await.unwrap();
        assert_eq!(notifications::send_digests(&db, mail, utc(2036, 5, 5, 12, 0)).await.unwrap(), 1);
        let sent = digests_to(&db, "dan@example.org").await;
        assert!(sent[0].subject.contains("(1 new)") && sent[0].body.contains("news three."), "{}", sent[0].body);
    }
}

/// The hourly purge removes notifications read more than 180 days ago;
/// unread ones stay however old.
#[tokio::test]
async fn read_notifications_are_purged_after_180_days() {
    use meetinghouse_media::{LocalStore, MediaStore};
    london();
    for db in meetinghouse_testkit::databases().await {
        let dan = person(&db, "dan").await;
        let dir = meetinghouse_store::test_databases::temp_dir("mh_purge_notifications");
        let media = MediaStore::Local(LocalStore::new(&dir));
        let read = note(&db, dan.id, "read long ago.").await;
        note(&db, dan.id, "never read.").await;
        notifications::open(&db, &dan, read).await.unwrap();
        let now = meetinghouse_store::now();
        assert_eq!(meetinghouse_core::retention::READ_NOTIFICATIONS_KEEP_SECS, 180 * DAY);
        let p = meetinghouse_core::retention::purge(&db, &media, now + 179 * DAY).await.unwrap();
        assert_eq!((p.notifications, p.failed_steps), (0, 0), "{p:?}");
        assert_eq!(texts(&db, &dan).await.len(), 2);
        let p = meetinghouse_core::retention::purge(&db, &media, now + 181 * DAY).await.unwrap();
        assert_eq!((p.notifications, p.failed_steps), (1, 0), "{p:?}");
        assert_eq!(texts(&db, &dan).await, vec!["never read.".to_string()]);
    }
}

/// Turning email down calls back the notification mail still waiting in the
/// outbox, retries included: one-at-a-time mail unless the choice is "at
/// once", the digest too when email is off. Mail a worker holds right now
/// (its claim is fresh) goes out; other people's mail is left alone.
#[tokio::test]
async fn turning_email_down_calls_back_waiting_mail() {
    use meetinghouse_store::outbox;
    for db in meetinghouse_testkit::databases().await {
        let dan = person(&db, "dan").await;
        let _eve = person(&db, "eve").await;
        let queue = |to: &'static str, kind: &'static str| {
            let db = db.clone();
            async move {
                let mut tx = db.begin().await.unwrap();
                let id = outbox::enqueue(&mut tx, to, "news", "body", kind).await.unwrap();
                tx.commit().await.unwrap();
                id
            }
        };
        let waiting = queue("dan@example.org", "notification").await;
        // One failed once and waits to be tried again.
        let retrying = queue("dan@example.org", "notification").await;
        let claim = outbox::claim(&db, retrying).await.unwrap().unwrap();
        outbox::mark_failed(&db, &claim, "connection refused", false).await.unwrap();
        // One a worker is sending now.
        let sending = queue("dan@example.org", "notification").await;
        assert!(outbox::claim(&db, sending).await.unwrap().is_some());
        let digest = queue("dan@example.org", "digest").await;
        let reset = queue("dan@example.org", "reset").await;
        let eves = queue("eve@example.org", "notification").await;
        let left = |db: Db| async move { outbox::recent(&db, 100).await.unwrap().into_iter().map(|m| m.id).collect::<Vec<_>>() };

        notifications::set_mode(&db, &dan, "immediate").await.unwrap();
        assert_eq!(left(db.clone()).await.len(), 6, "at once: nothing called back");
        notifications::set_mode(&db, &dan, "daily").await.unwrap();
        let ids = left(db.clone()).await;
        assert!(!ids.contains(&waiting) && !ids.contains(&retrying), "daily: one-at-a-time mail called back, retries too: {ids:?}");
        assert!(ids.contains(&sending) && ids.contains(&digest) && ids.contains(&reset) && ids.contains(&eves), "the rest stays: {ids:?}");
        notifications::set_mode(&db, &dan, "off").await.unwrap();
        let ids = left(db.clone()).await;
        assert!(!ids.contains(&digest), "off: the digest called back too");
        assert!(ids.contains(&sending) && ids.contains(&reset) && ids.contains(&eves), "mail being sent, a reset link and Eve's stay: {ids:?}");
    }
}

/// Switching from "email at once" to the daily digest calls back the
/// one-at-a-time mail still waiting, and the notifications it was for go
/// into the next digest instead of being lost. Not the ones whose mail went
/// (or is going out now), nor those read on the site; a switch to "off"
/// puts nothing back (no email is wanted), so a later switch to the digest
/// finds nothing of them either.
#[tokio::test]
async fn switching_to_the_digest_puts_called_back_news_in_it() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let dan = person(&db, "dan").await;
        notifications::set_mode(&db, &dan, "immediate").await.unwrap();
        let tell = |text: &'static str| {
            let db = db.clone();
            async move {
                let mut tx = db.begin().await.unwrap();
                notifications::notify(&mut tx, mail, dan.id, notifications::Kind::Reply, text, "/stories/1").await.unwrap();
                tx.commit().await.unwrap();
                let queued = meetinghouse_store::outbox::recent(&db, 100).await.unwrap();
                queued.into_iter().find(|m| m.kind == "notification" && m.body.starts_with(text)).expect("mailed at once").id
            }
        };
        tell("Ann replied: waiting.").await;
        let went = tell("Ann replied: already sent.").await;
        let claim = meetinghouse_store::outbox::claim(&db, went).await.unwrap().unwrap();
        assert!(meetinghouse_store::outbox::mark_sent(&db, claim.email.id).await.unwrap());
        let going = tell("Ann replied: being sent.").await;
        assert!(meetinghouse_store::outbox::claim(&db, going).await.unwrap().is_some());
        tell("Ann replied: read on the site.").await;
        let read = notifications::list(&db, &dan, 0).await.unwrap().into_iter().find(|n| n.text.contains("read on the site")).unwrap();
        notifications::mark_read(&db, &dan, &[read.id]).await.unwrap();
        // The same words twice in the same second: one mail went, the
        // other waits. Only the waiting one's notification goes back (each
        // mail names its notification; its words and time would match both).
        let mut tx = db.begin().await.unwrap();
        for _ in 0..2 {
            notifications::notify(&mut tx, mail, dan.id, notifications::Kind::Reply, "Ann replied: twice.", "/stories/1").await.unwrap();
        }
        tx.commit().await.unwrap();
        let twice = meetinghouse_store::outbox::recent(&db, 100).await.unwrap().into_iter().filter(|m| m.body.starts_with("Ann replied: twice.")).map(|m| m.id).min().unwrap();
        let claim = meetinghouse_store::outbox::claim(&db, twice).await.unwrap().unwrap();
        assert!(meetinghouse_store::outbox::mark_sent(&db, claim.email.id).await.unwrap());

        notifications::set_mode(&db, &dan, "daily").await.unwrap();
        assert_eq!(notifications::send_digests(&db, mail, utc(2036, 5, 5, 12, 0)).await.unwrap(), 1);
        let sent = digests_to(&db, "dan@example.org").await;
        assert_eq!(sent.len(), 1);
        assert!(sent[0].subject.contains("(2 new)") && sent[0].body.contains("Ann replied: waiting."), "{}", sent[0].body);
        assert_eq!(sent[0].body.matches("Ann replied: twice.").count(), 1, "{}", sent[0].body);
        for gone in ["already sent", "being sent", "read on the site"] {
            assert!(!sent[0].body.contains(gone), "{gone}: {}", sent[0].body);
        }

        // At once, then off: the waiting mail is called back and not put back.
        let eve = person(&db, "eve").await;
        notifications::set_mode(&db, &eve, "immediate").await.unwrap();
        let mut tx = db.begin().await.unwrap();
        notifications::notify(&mut tx, mail, eve.id, notifications::Kind::Reply, "Ann replied to Eve.", "/stories/1").await.unwrap();
        tx.commit().await.unwrap();
        notifications::set_mode(&db, &eve, "off").await.unwrap();
        notifications::set_mode(&db, &eve, "daily").await.unwrap();
        assert_eq!(notifications::send_digests(&db, mail, utc(2036, 5, 6, 12, 0)).await.unwrap(), 0, "off wanted no email");
        assert!(digests_to(&db, "eve@example.org").await.is_empty());
    }
}

/// A clock that ran a day ahead and was set back: the digest is claimed by
/// its send time, so the next 07:00 on the right date still sends it (the
/// claim once stamped with the wrong date no longer holds it up), once.
#[tokio::test]
async fn a_clock_set_back_still_sends_the_digest() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let dan = person(&db, "dan").await;
        note(&db, dan.id, "news one.").await;
        // The clock reads 26 November, a day ahead, at 07:00:30.
        let ahead = utc(2036, 11, 26, 7, 0) + 30;
        assert_eq!(notifications::send_digests(&db, mail, ahead).await.unwrap(), 1, "{:?}", db.backend());
        // It is set back to 25 November; news comes; 07:00 strikes.
        note(&db, dan.id, "news two.").await;
        let right = utc(2036, 11, 25, 7, 0);
        assert_eq!(notifications::send_digests(&db, mail, right + 30).await.unwrap(), 1, "{:?}: sent at 07:00 on the right date", db.backend());
        assert_eq!(notifications::send_digests(&db, mail, right + 90).await.unwrap(), 0, "once");
        let sent = digests_to(&db, "dan@example.org").await;
        assert!(sent.len() == 2 && sent[1].body.contains("- news two.") && !sent[1].body.contains("news one"), "{sent:?}");
    }
}

/// One person's digest that cannot be queued (here the outbox refuses it,
/// as a broken row or a full disk would) is skipped: the others still go,
/// and theirs goes on a later run once it can.
#[tokio::test]
async fn one_failing_digest_does_not_stop_the_others() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (ann, sam, priya) = (person(&db, "ann").await, person(&db, "sam").await, person(&db, "priya").await);
        for who in [&ann, &sam, &priya] {
            note(&db, who.id, "news.").await;
        }
        let postgres = db.backend() == meetinghouse_store::Backend::Postgres;
        if postgres {
            db.execute_admin(
                "CREATE FUNCTION refuse_digest() RETURNS trigger AS $$ BEGIN \
                 IF NEW.to_addr LIKE 'sam@%' AND NEW.kind = 'digest' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            )
            .await
            .unwrap();
            db.execute_admin("CREATE TRIGGER refuse BEFORE INSERT ON email_outbox FOR EACH ROW EXECUTE FUNCTION refuse_digest()").await.unwrap();
        } else {
            db.execute_admin(
                "CREATE TRIGGER refuse BEFORE INSERT ON email_outbox WHEN NEW.to_addr LIKE 'sam@%' AND NEW.kind = 'digest' \
                 BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .await
            .unwrap();
        }
        let at = utc(2036, 11, 26, 7, 0) + 30;
        assert_eq!(notifications::send_digests(&db, mail, at).await.unwrap(), 2, "{:?}: Ann's and Priya's", db.backend());
        assert_eq!(digests_to(&db, "ann@example.org").await.len(), 1);
        assert_eq!(digests_to(&db, "priya@example.org").await.len(), 1);
        assert!(digests_to(&db, "sam@example.org").await.is_empty());
        // Nothing of Sam's was marked: once the outbox takes it, it goes.
        db.execute_admin(if postgres { "DROP TRIGGER refuse ON email_outbox" } else { "DROP TRIGGER refuse" }).await.unwrap();
        assert_eq!(notifications::send_digests(&db, mail, at + 60).await.unwrap(), 1);
        assert!(digests_to(&db, "sam@example.org").await[0].body.contains("- news."));
    }
}

/// The same news many times over — one person's twenty replies to a
/// story — is one line with its count in the digest and one group in the
/// list, with every notification still counted and there to open.
#[tokio::test]
async fn repeated_news_is_one_line_with_its_count() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (ann, han, bea) = (person(&db, "ann").await, person(&db, "hannah").await, person(&db, "bea").await);
        let canal = story(&db, &s, &ann).await;
        for i in 0..20 {
            conversations::post(&db, mail, &han, canal, &reply(&format!("And another thing, {i}"))).await.unwrap();
        }
        conversations::post(&db, mail, &bea, canal, &reply("Lovely")).await.unwrap();

        let list = notifications::list(&db, &ann, 0).await.unwrap();
        assert_eq!(list.len(), 21);
        let news = notifications::group(list);
        assert_eq!(news.len(), 2, "{:?}", news.iter().map(|n| n.text().to_string()).collect::<Vec<_>>());
        assert_eq!(news[0].text(), "bea replied to “Sundays on the canal”.", "the newest first");
        assert_eq!((news[1].count(), news[1].unread()), (20, 20));
        assert_eq!(header(&db, &ann).await, 21, "every one still counted");

        assert_eq!(notifications::send_digests(&db, mail, utc(2036, 5, 5, 12, 0)).await.unwrap(), 1);
        let digest = digests_to(&db, "ann@example.org").await.pop().unwrap();
        assert!(digest.subject.ends_with("(21 new)"), "{}", digest.subject);
        assert_eq!(digest.body.matches("hannah replied to").count(), 1, "{}", digest.body);
        assert!(digest.body.contains("- hannah replied to “Sundays on the canal”. (20 times)\n  https://town.example/replies/"), "{}", digest.body);
        assert!(digest.body.contains("- bea replied to “Sundays on the canal”.\n"), "{}", digest.body);
    }
}
