//! Moderation on every configured backend: nobody decides a report about
//! themselves or their own reply, a decision made from a page that is out of
//! date changes nothing, a later suspension never undoes a ban nor shortens a
//! longer suspension, and a report can be made again once the first one is
//! closed (migration 0013, also over data stored before it). A suspension
//! or ban can be lifted early, and lifting one gives back the status the
//! account had before (migration 0015). A decision is about the text the
//! moderator saw; a waiting reply is never left waiting; a review request
//! is always answered (migration 0022); every reporter hears the outcome;
//! the public log keeps members-only notes to members.

use meetinghouse_core::conversations::{self, Shown};
use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::moderation::{self, ActionForm, PolicyForm, ReportForm};
use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::accounts::{self, SignupForm};
use meetinghouse_core::settings::{RegistrationMode, Settings};
use meetinghouse_core::subjects::Subject;
use meetinghouse_core::{Actor, CoreError, Db, interactions};
use meetinghouse_store::Backend;
use meetinghouse_store::moderation::{self as store, Suspension};

mod common;
use common::{person, admin, reply, story};

/// A public, open group hosted by `host`; returns its id.
async fn group(db: &Db, s: &Settings, host: &Actor, slug: &str) -> i64 {
    let form = GroupForm { name: "Canal friends".into(), slug: slug.into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
    groups::create(db, s, host, &form).await.unwrap();
    meetinghouse_store::groups::by_slug(db, slug).await.unwrap().unwrap().id
}

fn report_reply(id: i64, category: &str) -> ReportForm {
    ReportForm { target_kind: "reply".into(), target: id.to_string(), category: category.into(), details: String::new() }
}

fn report_person(handle: &str) -> ReportForm {
    ReportForm { target_kind: "person".into(), target: handle.into(), category: "harassment".into(), details: String::new() }
}

fn action(what: &str, note: &str) -> ActionForm {
    ActionForm { action: what.into(), note: note.into(), ..Default::default() }
}

fn suspend(days: i64) -> ActionForm {
    ActionForm { action: "suspend".into(), note: "Time to cool off.".into(), days: days.to_string() }
}

/// The id of the open report of a category about a target, from the moderator's queue.
async fn item(db: &Db, moderator: &Actor, kind: &str, target: i64, category: &str) -> i64 {
    moderation::queue(db, moderator)
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.report.target_kind == kind && q.report.target_id == target && q.report.category == category)
        .unwrap_or_else(|| panic!("no open {category} report about {kind} {target}"))
        .report
        .id
}

async fn status(db: &Db, person: &Actor) -> String {
    meetinghouse_store::people::by_id(db, person.id).await.unwrap().unwrap().status
}

async fn edges(db: &Db) -> usize {
    let mut out = Vec::new();
    interactions::export_csv(db, 0, &mut out).await.unwrap()
}

async fn logged(db: &Db, moderator: &Actor, what: &str) -> usize {
    moderation::log(db, Some(moderator), 0).await.unwrap().iter().filter(|e| e.row.action == what).count()
}

fn is_invalid(r: &Result<String, CoreError>, field: &str, says: &str) -> bool {
    matches!(r, Err(CoreError::Invalid(e)) if e.get(field).is_some_and(|m| m.contains(says)))
}

const DAY: i64 = 86_400;

/// A host cannot dismiss reports about their own reply, nor restore it after
/// an admin hid it (through the review they asked for); such items are not
/// in the host's queue. Admins do not decide their own case either: the item
/// is in their queue, marked, without the power to act on it.
#[tokio::test]
async fn nobody_decides_a_report_about_themselves() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let hal = person(&db, "hal").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let gid = group(&db, &s, &hal, "canal-friends").await;
        let own = conversations::post(&db, mail, &hal, Subject::Group(gid), &reply("Only members may post here, obviously.")).await.unwrap();
        let other = conversations::post(&db, mail, &bea, Subject::Group(gid), &reply("Who asked you?")).await.unwrap();
        moderation::report(&db, &ann, &report_reply(own, "harassment")).await.unwrap();
        moderation::report(&db, &ann, &report_reply(other, "harassment")).await.unwrap();

        // Hal's queue has Bea's reply, not his own; acting on his own is refused and leaves it open.
        let hosts: Vec<i64> = moderation::queue(&db, &hal).await.unwrap().iter().map(|q| q.report.target_id).collect();
        assert_eq!(hosts, vec![other], "a host's queue leaves out reports about their own replies");
        let about_hal = item(&db, &mia, "reply", own, "harassment").await;
        let r = moderation::act(&db, mail, &hal, about_hal, &action("dismiss", "")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m.contains("another moderator")), "{r:?}");
        assert_eq!(item(&db, &mia, "reply", own, "harassment").await, about_hal, "still open for another moderator");
        let about_bea = item(&db, &mia, "reply", other, "harassment").await;
        moderation::act(&db, mail, &hal, about_bea, &action("hide", "Please be kind.")).await.expect("a host moderates others' replies");

        // An admin hides Hal's reply; Hal edits it and asks for a review, which only another moderator decides.
        moderation::act(&db, mail, &mia, about_hal, &action("hide", "Please welcome newcomers.")).await.unwrap();
        conversations::edit(&db, &s, &hal, own, "Everyone is welcome to post here.").await.unwrap();
        moderation::request_review(&db, &hal, own).await.unwrap();
        assert!(moderation::queue(&db, &hal).await.unwrap().is_empty(), "his own review request is not in his queue");
        let review = item(&db, &mia, "reply", own, "review-request").await;
        let r = moderation::act(&db, mail, &hal, review, &action("restore", "")).await;
        assert!(matches!(r, Err(CoreError::Forbidden(_))), "{r:?}");
        assert_eq!(conversations::thread(&db, own, Some(&hal)).await.unwrap().reply.shown, Shown::Hidden);
        assert_eq!(logged(&db, &mia, "restore").await, 0);
        moderation::act(&db, mail, &mia, review, &action("restore", "")).await.unwrap();
        assert_eq!(conversations::thread(&db, own, Some(&ann)).await.unwrap().reply.shown, Shown::Text);

        // A report about the admin: in their queue, marked; acting on it is refused.
        moderation::report(&db, &ann, &report_person("mia")).await.unwrap();
        let queue = moderation::queue(&db, &mia).await.unwrap();
        let mine = queue.iter().find(|q| q.report.target_kind == "person" && q.report.target_id == mia.id).unwrap();
        assert!(mine.about_actor);
        assert!(queue.iter().filter(|q| q.report.id != mine.report.id).all(|q| !q.about_actor));
        let r = moderation::act(&db, mail, &mia, mine.report.id, &action("dismiss", "")).await;
        assert!(matches!(r, Err(CoreError::Forbidden(_))), "{r:?}");
        assert_eq!(logged(&db, &mia, "dismiss").await, 0);
    }
}

/// Two moderators approve the same waiting reply from the same page: the
/// reply is published once (one notification each, one interaction edge,
/// one log entry); the second is told it was dealt with. A hide and an
/// approve from the same page: the first stands. An author retracting while
/// a moderator decides: the decision changes nothing and the report stays.
#[tokio::test]
async fn a_decision_from_a_stale_page_changes_nothing() {
    for db in meetinghouse_testkit::databases().await {
        let mia = admin(&db, "mia").await;
        let max = admin(&db, "max").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: false, pause_words: String::new(), review_first: "1".into() }).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let subject = story(&db, &s, &ann).await;

        // Bea's first reply waits; both moderators load it and approve it.
        let waiting = conversations::post(&db, mail, &bea, subject, &reply("My gran worked the locks.")).await.unwrap();
        let review = item(&db, &mia, "reply", waiting, "first-contributions").await;
        let by_mia = moderation::decide(&db, &mia, review, &action("approve", "")).await.unwrap();
        let by_max = moderation::decide(&db, &max, review, &action("approve", "")).await.unwrap();
        let (edges_before, ann_before) = (edges(&db).await, notifications::unread(&db, &ann).await.unwrap());
        by_mia.apply(&db, mail).await.unwrap();
        let r = by_max.apply(&db, mail).await;
        assert!(is_invalid(&r, "action", "already dealt with"), "{r:?}");
        assert_eq!(edges(&db).await, edges_before + 1, "one reply edge");
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), ann_before + 1, "Ann hears of the reply once");
        assert_eq!(notifications::unread(&db, &bea).await.unwrap(), 1, "Bea hears it was published once");
        assert_eq!(logged(&db, &mia, "approve").await, 1);

        // Cal's first reply: one moderator hides it, the other approves it, both from the same page.
        let second = conversations::post(&db, mail, &cal, subject, &reply("Locks are boring, idiots.")).await.unwrap();
        let review = item(&db, &mia, "reply", second, "first-contributions").await;
        let hide = moderation::decide(&db, &mia, review, &action("hide", "Please say it without the insult.")).await.unwrap();
        let approve = moderation::decide(&db, &max, review, &action("approve", "")).await.unwrap();
        let edges_before = edges(&db).await;
        hide.apply(&db, mail).await.unwrap();
        let r = approve.apply(&db, mail).await;
        assert!(is_invalid(&r, "action", "already dealt with"), "{r:?}");
        assert_eq!(conversations::thread(&db, second, Some(&cal)).await.unwrap().reply.shown, Shown::Hidden, "the hide stands");
        assert_eq!(edges(&db).await, edges_before, "nothing of publishing happened");
        assert_eq!(logged(&db, &mia, "approve").await, 1);

        // Bea retracts her (now published) reply while a moderator decides to hide it.
        moderation::report(&db, &cal, &report_reply(waiting, "misleading")).await.unwrap();
        let report = item(&db, &mia, "reply", waiting, "misleading").await;
        let hide = moderation::decide(&db, &mia, report, &action("hide", "Please check your facts.")).await.unwrap();
        conversations::retract(&db, &bea, waiting, "").await.unwrap();
        let r = hide.apply(&db, mail).await;
        assert!(is_invalid(&r, "action", "changed since you opened the page"), "{r:?}");
        assert_eq!(conversations::thread(&db, waiting, Some(&bea)).await.unwrap().reply.shown, Shown::Retracted);
        assert_eq!(item(&db, &mia, "reply", waiting, "misleading").await, report, "the report is still open");
        assert_eq!(logged(&db, &mia, "hide").await, 1, "only Cal's reply was hidden");
    }
}

/// The queue page shows the message of an action refused because someone
/// else dealt with the item meanwhile, even though the item is gone.
#[tokio::test]
async fn the_queue_page_says_when_an_item_was_dealt_with_meanwhile() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let max = admin(&db, "max").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &bea, subject, &reply("Nobody cares")).await.unwrap();
        moderation::report(&db, &ann, &report_reply(id, "harassment")).await.unwrap();

        let mut mia = meetinghouse_testkit::TestApp::new(db.clone()).await;
        mia.sign_up("mia").await;
        let me = meetinghouse_store::people::by_handle(&db, "mia").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&db, me.id, true).await.unwrap();
        let page = mia.get("/moderation").await;
        assert!(page.body.contains("Nobody cares"));
        let token = page.csrf();
        let report = item(&db, &max, "reply", id, "harassment").await;
        moderation::act(&db, mail, &max, report, &action("hide", "Please be kind.")).await.unwrap();

        let stale = mia.post_raw_from("/moderation", &format!("/moderation/{report}"), &[("csrf", &token), ("action", "dismiss")]).await;
        assert_eq!(stale.status.as_u16(), 422);
        assert!(!stale.body.contains("Nobody cares"), "the item is no longer listed");
        assert!(stale.body.contains("This report was already dealt with"), "{}", stale.body);
        assert_eq!(logged(&db, &max, "dismiss").await, 0);

        // A report about Mia is on her page, with the reason she cannot act on it instead of the form.
        moderation::report(&db, &ann, &report_person("mia")).await.unwrap();
        let page = mia.get("/moderation").await;
        assert!(page.body.contains(moderation::ABOUT_YOU) && !page.body.contains("action=\"/moderation/"), "{}", page.body);
    }
}

/// A ban stays a ban whatever suspension comes after it, and a shorter
/// suspension never cuts a longer one short; the jobs worker lifts only
/// what has ended.
#[tokio::test]
async fn a_later_suspension_never_undoes_a_ban_or_shortens_a_suspension() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let cal = person(&db, "cal").await;
        let bea = person(&db, "bea").await;
        let dan = person(&db, "dan").await;
        let subject = story(&db, &s, &ann).await;
        let by_bea = conversations::post(&db, mail, &bea, subject, &reply("You lot again.")).await.unwrap();
        let by_dan = conversations::post(&db, mail, &dan, subject, &reply("Same old faces.")).await.unwrap();
        for (target, handle) in [(by_bea, "bea"), (by_dan, "dan")] {
            moderation::report(&db, &cal, &report_reply(target, "harassment")).await.unwrap();
            moderation::report(&db, &ann, &report_person(handle)).await.unwrap();
        }
        let now = meetinghouse_store::now();

        // Ban Bea, then try to suspend her for a week through the other report: refused plainly, nothing logged.
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", bea.id, "harassment").await, &action("ban", "Repeated abuse.")).await.unwrap();
        let about_reply = item(&db, &mia, "reply", by_bea, "harassment").await;
        let r = moderation::act(&db, mail, &mia, about_reply, &suspend(7)).await;
        assert!(is_invalid(&r, "action", "already closed by a ban"), "{r:?}");
        assert_eq!(item(&db, &mia, "reply", by_bea, "harassment").await, about_reply, "the report is still open");
        assert_eq!(logged(&db, &mia, "suspend").await, 0);
        // In the store too: a timed suspension of a banned person keeps the ban.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(store::suspend(&mut tx, bea.id, Some(now + DAY)).await.unwrap(), Suspension::Banned);
        tx.commit().await.unwrap();
        store::lift_ended(&db, now + 400 * DAY).await.unwrap();
        assert_eq!(status(&db, &bea).await, "suspended", "a ban never ends");

        // Suspend Dan for a year, then for a day: the year stays, and the moderator is told.
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", by_dan, "harassment").await, &suspend(365)).await.unwrap();
        let done = moderation::act(&db, mail, &mia, item(&db, &mia, "person", dan.id, "harassment").await, &suspend(1)).await.unwrap();
        assert!(done.contains("ends later, so it stays"), "{done}");
        let ends: Vec<i64> = moderation::log(&db, Some(&mia), 0).await.unwrap().iter().filter(|e| e.row.action == "suspend").filter_map(|e| e.row.until_at).collect();
        assert_eq!(ends.len(), 2);
        assert!(ends.iter().all(|t| *t >= now + 365 * DAY), "the log records the end in force: {ends:?}");
        assert_eq!(store::lift_ended(&db, now + 2 * DAY).await.unwrap(), Vec::<i64>::new());
        assert_eq!(status(&db, &dan).await, "suspended");
        assert_eq!(store::lift_ended(&db, now + 366 * DAY).await.unwrap(), vec![dan.id]);
        assert_eq!(status(&db, &dan).await, "active");
        assert_eq!(status(&db, &bea).await, "suspended");

        // A ban over a suspension replaces it, and is not lifted when the suspension would have ended.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(store::suspend(&mut tx, dan.id, Some(now + DAY)).await.unwrap(), Suspension::Until(now + DAY));
        assert_eq!(store::suspend(&mut tx, dan.id, None).await.unwrap(), Suspension::Banned);
        tx.commit().await.unwrap();
        store::lift_ended(&db, now + 2 * DAY).await.unwrap();
        assert_eq!(status(&db, &dan).await, "suspended");
    }
}

/// Lifting a suspension, when it ends or early by a moderator, gives back
/// the status the account had: one still waiting for approval waits again
/// (before, it became active unapproved). A moderator's lift needs a note,
/// is logged, tells the person, and a second lift changes nothing.
#[tokio::test]
async fn a_lifted_suspension_gives_back_the_status_before_it() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let approval = Settings { registration: RegistrationMode::Approval, ..s.clone() };
        let form = SignupForm {
            email: "pat@example.org".into(),
            handle: "pat".into(),
            display_name: "Pat".into(),
            password: "a long enough password".into(),
            accept_conduct: true,
            invite_code: String::new(),
        };
        let pat = accounts::signup(&db, &approval, "https://town.example", &form).await.unwrap().person_id;
        let pat = meetinghouse_store::people::by_id(&db, pat).await.unwrap().unwrap();
        assert_eq!(pat.status, "pending");
        let now = meetinghouse_store::now();

        // A pending account suspended for a day waits for approval again when the day is over.
        moderation::report(&db, &ann, &report_person("pat")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", pat.id, "harassment").await, &suspend(1)).await.unwrap();
        assert_eq!(store::lift_ended(&db, now + 2 * DAY).await.unwrap(), vec![pat.id]);
        let after = meetinghouse_store::people::by_id(&db, pat.id).await.unwrap().unwrap();
        assert_eq!(after.status, "pending", "still waiting for approval, not active");

        // Early, by a moderator: a ban on a pending account lifts back to pending too.
        moderation::report(&db, &ann, &report_person("pat")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", pat.id, "harassment").await, &action("ban", "Spam.")).await.unwrap();
        let done = moderation::lift(&db, mail, &mia, pat.id, "It was a mistake: wrong account.").await.unwrap();
        assert!(done.contains("waiting for approval again"), "{done}");
        assert_eq!(meetinghouse_store::people::by_id(&db, pat.id).await.unwrap().unwrap().status, "pending");

        // An active account: only instance moderators lift, with a note, never about themselves.
        moderation::report(&db, &ann, &report_person("bea")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", bea.id, "harassment").await, &action("ban", "Abuse.")).await.unwrap();
        let r = moderation::lift(&db, mail, &ann, bea.id, "She apologised.").await;
        assert!(matches!(r, Err(CoreError::Forbidden(_))), "{r:?}");
        let r = moderation::lift(&db, mail, &mia, bea.id, "  ").await;
        assert!(is_invalid(&r, "note", ""), "a note is needed: {r:?}");
        let r = moderation::lift(&db, mail, &mia, mia.id, "Me.").await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m.contains("another moderator")), "{r:?}");
        assert_eq!(status(&db, &bea).await, "suspended", "nothing changed by the refusals");
        let done = moderation::lift(&db, mail, &mia, bea.id, "She apologised to Ann.").await.unwrap();
        assert!(done.contains("can sign in again"), "{done}");
        assert_eq!(status(&db, &bea).await, "active");
        assert_eq!(logged(&db, &mia, "lift").await, 2);
        let told = notifications::list(&db, &bea, 0).await.unwrap();
        assert!(told.iter().any(|n| n.text.contains("lifted") && n.text.contains("She apologised to Ann.")), "{told:?}");
        accounts::login(&db, "bea@example.org", "a long enough password").await.expect("she can sign in again");
        // A second lift (another moderator's page was out of date) changes nothing and says so.
        let r = moderation::lift(&db, mail, &mia, bea.id, "Again.").await;
        assert!(is_invalid(&r, "note", "not suspended any more"), "{r:?}");
        assert_eq!(logged(&db, &mia, "lift").await, 2);
        // A suspension after the lift ends as usual.
        moderation::report(&db, &ann, &report_person("bea")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", bea.id, "harassment").await, &suspend(3)).await.unwrap();
        assert_eq!(store::lift_ended(&db, now + 4 * DAY).await.unwrap(), vec![bea.id]);
        assert_eq!(status(&db, &bea).await, "active");
    }
}

/// A person may report the same reply or person again once their first
/// report is closed; while it is open, a second one is refused as before.
#[tokio::test]
async fn a_closed_report_can_be_made_again() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &bea, subject, &reply("You are all wrong")).await.unwrap();
        for (form, kind, target) in [(report_reply(id, "harassment"), "reply", id), (report_person("bea"), "person", bea.id)] {
            moderation::report(&db, &ann, &form).await.unwrap();
            let Err(CoreError::Invalid(e)) = moderation::report(&db, &ann, &form).await else { panic!("a second open report") };
            assert_eq!(e.get("category"), Some("You have already reported this. The moderators will look at it — thank you."));
            let first = item(&db, &mia, kind, target, "harassment").await;
            moderation::act(&db, mail, &mia, first, &action("dismiss", "")).await.unwrap();
            moderation::report(&db, &ann, &form).await.expect("reported again after the first was closed");
            let again = item(&db, &mia, kind, target, "harassment").await;
            assert_ne!(again, first);
            assert!(matches!(moderation::report(&db, &ann, &form).await, Err(CoreError::Invalid(_))), "one open report at a time");
        }
    }
}

/// Migration 0013 over reports and bans stored before it: every report keeps
/// its id and fields, the log keeps its links to them, open reports stay
/// open, and a ban given before it is not turned into a timed suspension.
#[tokio::test]
async fn migration_0013_keeps_reports_their_log_links_and_bans() {
    for db in meetinghouse_testkit::databases().await {
        // Back to the schema before 0013 (the tables are still empty).
        let back: &[&str] = match db.backend() {
            Backend::Sqlite => &[
                "DROP TABLE reports",
                "CREATE TABLE reports (
                    id          INTEGER PRIMARY KEY,
                    reporter    INTEGER REFERENCES people(id) ON DELETE SET NULL,
                    target_kind TEXT NOT NULL CHECK (target_kind IN ('reply', 'person', 'story')),
                    target_id   INTEGER NOT NULL,
                    category    TEXT NOT NULL,
                    details     TEXT NOT NULL DEFAULT '',
                    group_id    INTEGER REFERENCES community_groups(id) ON DELETE SET NULL,
                    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                    created_at  INTEGER NOT NULL,
                    closed_at   INTEGER,
                    UNIQUE (reporter, target_kind, target_id)
                )",
                "CREATE INDEX reports_open ON reports(status, id)",
                "DELETE FROM _sqlx_migrations WHERE version = 13",
            ],
            Backend::Postgres => &[
                "DROP INDEX reports_reporter_open",
                "ALTER TABLE reports ADD CONSTRAINT reports_reporter_target_kind_target_id_key UNIQUE (reporter, target_kind, target_id)",
                "DELETE FROM _sqlx_migrations WHERE version = 13",
            ],
        };
        for sql in back {
            db.execute_admin(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &bea, subject, &reply("You are all wrong")).await.unwrap();
        let form = ReportForm { details: "Rude to everyone".into(), ..report_reply(id, "harassment") };
        moderation::report(&db, &ann, &form).await.unwrap();
        moderation::report(&db, &cal, &report_reply(id, "spam")).await.unwrap();
        moderation::report(&db, &ann, &report_person("bea")).await.unwrap();
        let dismissed = item(&db, &mia, "reply", id, "harassment").await;
        moderation::act(&db, mail, &mia, dismissed, &action("dismiss", "")).await.unwrap();
        // (The dismissal closed Cal's report too: a new one stays open.)
        moderation::report(&db, &mia, &report_reply(id, "misleading")).await.unwrap();
        let banned = item(&db, &mia, "person", bea.id, "harassment").await;
        moderation::act(&db, mail, &mia, banned, &action("ban", "Repeated abuse.")).await.unwrap();
        // A ban as it was stored before 0013: suspended, with no suspension row.
        db.execute_admin("DELETE FROM suspensions").await.unwrap();
        let open = item(&db, &mia, "reply", id, "misleading").await;
        let mut before = Vec::new();
        for r in 1..=open {
            before.push(format!("{:?}", store::report_by_id(&db, r).await.unwrap()));
        }
        let links: Vec<(String, Option<i64>)> = moderation::log(&db, Some(&mia), 0).await.unwrap().into_iter().map(|e| (e.row.action, e.row.report_id)).collect();
        assert_eq!(links, vec![("ban".to_string(), Some(banned)), ("dismiss".to_string(), Some(dismissed))]);

        db.migrate().await.unwrap_or_else(|e| panic!("0013 over stored reports: {e}"));

        let mut after = Vec::new();
        for r in 1..=open {
            after.push(format!("{:?}", store::report_by_id(&db, r).await.unwrap()));
        }
        assert_eq!(after, before, "every report kept, with its id");
        let kept: Vec<(String, Option<i64>)> = moderation::log(&db, Some(&mia), 0).await.unwrap().into_iter().map(|e| (e.row.action, e.row.report_id)).collect();
        assert_eq!(kept, links, "the log still names the reports it settled");
        assert_eq!(item(&db, &mia, "reply", id, "misleading").await, open);
        assert!(matches!(moderation::report(&db, &mia, &report_reply(id, "misleading")).await, Err(CoreError::Invalid(_))), "one open report at a time");
        moderation::report(&db, &ann, &form).await.expect("reported again after the first was closed");

        // The ban from before 0013 is a ban: a suspension does not turn it into one that ends.
        moderation::report(&db, &cal, &report_person("bea")).await.unwrap();
        let r = moderation::act(&db, mail, &mia, item(&db, &mia, "person", bea.id, "harassment").await, &suspend(1)).await;
        assert!(is_invalid(&r, "action", "already closed by a ban"), "{r:?}");
        store::lift_ended(&db, meetinghouse_store::now() + 400 * DAY).await.unwrap();
        assert_eq!(status(&db, &bea).await, "suspended");
    }
}

/// The queue item's version of a reply's text, as the queue page shows it.
async fn seen(db: &Db, moderator: &Actor, report: i64) -> String {
    moderation::queue(db, moderator).await.unwrap().into_iter().find(|q| q.report.id == report).unwrap().version
}

async fn reply_row(db: &Db, id: i64) -> meetinghouse_store::conversations::ReplyRow {
    meetinghouse_store::conversations::by_id(db, id).await.unwrap().unwrap()
}

async fn told(db: &Db, person: &Actor, says: &str) -> usize {
    notifications::list(db, person, 0).await.unwrap().iter().filter(|n| n.text.contains(says)).count()
}

/// A moderator's decision is about the text their page showed: a reply its
/// author edited after the page was opened (or between deciding and
/// carrying it out) is not published, nor is anything else done; the
/// moderator is told to look again. An edit never writes into a retracted
/// reply.
#[tokio::test]
async fn a_decision_is_about_the_text_the_moderator_saw() {
    for db in meetinghouse_testkit::databases().await {
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: false, pause_words: String::new(), review_first: "1".into() }).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let subject = story(&db, &s, &ann).await;

        // Bea's first reply waits; Mia opens the queue; Bea edits; Mia approves from her page.
        let id = conversations::post(&db, mail, &bea, subject, &reply("What a lovely story")).await.unwrap();
        let review = item(&db, &mia, "reply", id, "first-contributions").await;
        let page = seen(&db, &mia, review).await;
        conversations::edit(&db, &s, &bea, id, "BUY CHEAP PILLS at spam.example").await.unwrap();
        let edges_before = edges(&db).await;
        let r = moderation::act_seen(&db, mail, &mia, review, &action("approve", ""), &page).await;
        assert!(is_invalid(&r, "action", "changed since you opened the page"), "{r:?}");
        assert_eq!(reply_row(&db, id).await.status, "pending", "not published");
        assert_eq!(item(&db, &mia, "reply", id, "first-contributions").await, review, "still open");
        assert_eq!((edges(&db).await, logged(&db, &mia, "approve").await), (edges_before, 0));
        // A page without the version (an old form) is not taken as seeing the text either.
        let r = moderation::act_seen(&db, mail, &mia, review, &action("approve", ""), "").await;
        assert!(is_invalid(&r, "action", "changed since you opened the page"), "{r:?}");

        // Decided from the page as it is now, then Bea edits before it is carried out.
        let page = seen(&db, &mia, review).await;
        let decision = moderation::decide_seen(&db, &mia, review, &action("approve", ""), Some(&page)).await.unwrap();
        conversations::edit(&db, &s, &bea, id, "BUY CHEAP PILLS now").await.unwrap();
        let r = decision.apply(&db, mail).await;
        assert!(is_invalid(&r, "action", "changed since you opened the page"), "{r:?}");
        assert_eq!(reply_row(&db, id).await.status, "pending");
        // The same for a decision that leaves the reply as it is (a hide judged on other text is refused too).
        let page = seen(&db, &mia, review).await;
        let hide = moderation::decide_seen(&db, &mia, review, &action("hide", "Please no adverts."), Some(&page)).await.unwrap();
        conversations::edit(&db, &s, &bea, id, "Sorry, what a lovely story").await.unwrap();
        assert!(is_invalid(&hide.apply(&db, mail).await, "action", "changed since you opened the page"));

        // From a page that shows the text as it is: published, with that text.
        let page = seen(&db, &mia, review).await;
        moderation::act_seen(&db, mail, &mia, review, &action("approve", ""), &page).await.unwrap();
        let shown = conversations::thread(&db, id, None).await.unwrap().reply;
        assert!(shown.html.contains("Sorry, what a lovely story"), "{}", shown.html);

        // An edit that comes after a retraction writes nothing, and says so.
        conversations::retract(&db, &bea, id, "").await.unwrap();
        let mut tx = db.begin().await.unwrap();
        let done = meetinghouse_store::conversations::write_body(&mut tx, id, "Back from the dead").await.unwrap();
        assert_eq!(done, meetinghouse_store::conversations::BodyUpdate::Retracted);
        assert!(meetinghouse_store::conversations::update_body(&mut tx, id, "Back from the dead").await.is_err());
        drop(tx);
        let row = reply_row(&db, id).await;
        assert_eq!((row.status.as_str(), row.body.as_str()), ("retracted", ""));
        assert!(meetinghouse_store::conversations::revisions(&db, id).await.unwrap().is_empty());
    }
}

/// A first contribution waiting for review needs a decision: dismissing it
/// or only warning its author is refused plainly (it would wait for good),
/// and suspending its author hides it.
#[tokio::test]
async fn a_waiting_reply_is_published_or_hidden_never_left_waiting() {
    for db in meetinghouse_testkit::databases().await {
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let cat = person(&db, "cat").await;
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: false, pause_words: String::new(), review_first: "1".into() }).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &cat, subject, &reply("I worked there in 1970")).await.unwrap();
        let review = item(&db, &mia, "reply", id, "first-contributions").await;
        let queued = moderation::queue(&db, &mia).await.unwrap().into_iter().find(|q| q.report.id == review).unwrap();
        assert!(queued.pending);

        for what in ["dismiss", "warn"] {
            let r = moderation::act(&db, mail, &mia, review, &action(what, "Please take care.")).await;
            assert!(is_invalid(&r, "action", "Publish it, or hide it"), "{what}: {r:?}");
        }
        assert_eq!(reply_row(&db, id).await.status, "pending");
        assert_eq!(item(&db, &mia, "reply", id, "first-contributions").await, review, "still waiting in the queue");
        assert_eq!((logged(&db, &mia, "dismiss").await, logged(&db, &mia, "warn").await), (0, 0));
        assert!(notifications::list(&db, &cat, 0).await.unwrap().is_empty());

        // Suspending the author of a waiting reply hides it: never published, never left waiting.
        moderation::act(&db, mail, &mia, review, &suspend(3)).await.unwrap();
        assert_eq!(reply_row(&db, id).await.status, "hidden");
        assert!(matches!(conversations::thread(&db, id, Some(&ann)).await, Err(CoreError::NotFound)), "readers never saw it");
    }
}

/// A review request is never swallowed: when another report about the
/// hidden reply is dismissed (closing the request with it), the request is
/// answered, its author told, and they may ask again once they have edited it.
#[tokio::test]
async fn a_review_request_closed_by_another_decision_is_answered() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let dan = person(&db, "dan").await;
        let eve = person(&db, "eve").await;
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &dan, subject, &reply("Fairs are rubbish")).await.unwrap();
        moderation::report(&db, &ann, &report_reply(id, "harassment")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", id, "harassment").await, &action("hide", "Be kind.")).await.unwrap();
        conversations::edit(&db, &s, &dan, id, "Fairs are not my thing").await.unwrap();
        moderation::request_review(&db, &dan, id).await.unwrap();
        moderation::report(&db, &eve, &report_reply(id, "spam")).await.unwrap();

        // Mia dismisses Eve's report: the review request closes with it, and is answered.
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", id, "spam").await, &action("dismiss", "")).await.unwrap();
        assert!(moderation::queue(&db, &mia).await.unwrap().is_empty(), "the request was closed with the report");
        let row = reply_row(&db, id).await;
        assert_eq!((row.status.as_str(), row.review_requested, row.review_declined), ("hidden", 0, 1));
        assert_eq!(told(&db, &dan, "looked at your reply on “Sundays on the canal” again, and it stays hidden").await, 1);

        // Asking again needs an edit first; after one, the request reaches the queue.
        let r = moderation::request_review(&db, &dan, id).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("review").is_some_and(|m| m.contains("Edit it first"))), "{r:?}");
        assert!(moderation::queue(&db, &mia).await.unwrap().is_empty());
        conversations::edit(&db, &s, &dan, id, "I prefer the quiet, myself").await.unwrap();
        moderation::request_review(&db, &dan, id).await.unwrap();
        let again = item(&db, &mia, "reply", id, "review-request").await;

        // Dismissing the request itself keeps it hidden and says so, with the note.
        moderation::act(&db, mail, &mia, again, &action("dismiss", "Still unkind to the organisers.")).await.unwrap();
        assert_eq!(told(&db, &dan, "Why: Still unkind to the organisers.").await, 1);
        assert!(matches!(moderation::request_review(&db, &dan, id).await, Err(CoreError::Invalid(_))));
        // Restoring after a later request answers it by showing the reply.
        conversations::edit(&db, &s, &dan, id, "Fairs are fine; I just like the quiet.").await.unwrap();
        moderation::request_review(&db, &dan, id).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", id, "review-request").await, &action("restore", "")).await.unwrap();
        let row = reply_row(&db, id).await;
        assert_eq!((row.status.as_str(), row.review_requested, row.review_declined), ("visible", 0, 0));
    }
}

/// Everyone whose report an action closed hears the outcome, once each;
/// the moderator is not told of their own decision.
#[tokio::test]
async fn every_reporter_hears_the_outcome() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let dan = person(&db, "dan").await;
        let eve = person(&db, "eve").await;
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &dan, subject, &reply("Quays are for losers")).await.unwrap();
        for who in [&ann, &eve, &mia] {
            moderation::report(&db, who, &report_reply(id, "harassment")).await.unwrap();
        }
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", id, "harassment").await, &action("hide", "Be kind.")).await.unwrap();
        for who in [&ann, &eve] {
            assert_eq!(told(&db, who, "A moderator hid the reply").await, 1, "{}", who.handle);
        }
        assert_eq!(told(&db, &mia, "Thank you for your report").await, 0);
    }
}

/// A suspended account cannot report (an account waiting for approval can:
/// reporting harm stays open to anyone signed in).
#[tokio::test]
async fn a_suspended_account_cannot_report() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &ann, subject, &reply("Welcome all")).await.unwrap();
        let suspended = Actor { status: "suspended".into(), ..bea.clone() };
        let r = moderation::report(&db, &suspended, &report_reply(id, "spam")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m.contains("suspended")), "{r:?}");
        let waiting = Actor { status: "pending".into(), ..bea.clone() };
        moderation::report(&db, &waiting, &report_reply(id, "spam")).await.expect("reporting harm is open to accounts waiting for approval");
        assert_eq!(moderation::queue(&db, &mia).await.unwrap().len(), 1);
    }
}

/// Signed out (or outside the group), the public log leaves out what was
/// done about a reply in a members-only group, note and all; members and
/// moderators see it. Entries about public content stay public.
#[tokio::test]
async fn the_public_log_keeps_members_only_notes_to_members() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let hal = person(&db, "hal").await;
        let kit = person(&db, "kit").await;
        let ann = person(&db, "ann").await;
        let form = GroupForm { name: "Carers".into(), slug: "carers".into(), purpose: String::new(), visibility: "members".into(), join_policy: "open".into() };
        groups::create(&db, &s, &hal, &form).await.unwrap();
        groups::join(&db, &s, &kit, "carers").await.unwrap();
        let gid = meetinghouse_store::groups::by_slug(&db, "carers").await.unwrap().unwrap().id;
        let private = conversations::post(&db, mail, &kit, Subject::Group(gid), &reply("My neighbour Jane at 4 Mill Lane has dementia")).await.unwrap();
        let subject = story(&db, &s, &ann).await;
        let public = conversations::post(&db, mail, &kit, subject, &reply("Nobody asked you")).await.unwrap();
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: true, pause_words: String::new(), review_first: "0".into() }).await.unwrap();
        moderation::report(&db, &mia, &report_reply(private, "privacy")).await.unwrap();
        let note = "Please don't post Jane's address (4 Mill Lane)";
        moderation::act(&db, mail, &hal, item(&db, &mia, "reply", private, "privacy").await, &action("hide", note)).await.unwrap();
        moderation::report(&db, &ann, &report_reply(public, "harassment")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", public, "harassment").await, &action("hide", "Be kind.")).await.unwrap();

        let notes = |entries: Vec<moderation::LogEntry>| entries.into_iter().map(|e| e.row.note).collect::<Vec<_>>();
        for viewer in [None, Some(&ann)] {
            let page = moderation::log_page(&db, viewer, 0).await.unwrap();
            assert_eq!(notes(page.entries), vec!["Be kind.".to_string()], "{viewer:?}");
            assert_eq!(page.older, None);
        }
        assert_eq!(notes(moderation::log(&db, Some(&kit), 0).await.unwrap()), vec!["Be kind.".to_string(), note.to_string()], "a member");
        assert_eq!(moderation::log(&db, Some(&mia), 0).await.unwrap().len(), 2);
    }
}
