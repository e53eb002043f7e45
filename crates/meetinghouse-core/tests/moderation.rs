//! Moderation on every configured backend: nobody decides a report about
//! themselves or their own reply, a decision made from a page that is out of
//! date changes nothing, a later suspension never undoes a ban nor shortens a
//! longer suspension, and a report can be made again once the first one is
//! closed (migration 0013, also over data stored before it). A suspension
//! or ban can be lifted early, and lifting one gives back the status the
//! account had before (migration 0015). A decision is about the text the
//! moderator saw; a waiting reply is never left waiting; a review request
//! is always answered (migration 0022); every reporter hears the outcome;
//! the public log keeps members-only notes to members. Organisation staff
//! and prompt hosts moderate what they host as group hosts do, and only
//! that: the scope recorded on a report (migration 0023, also over reports
//! stored before it) is the subject's hosts. Amendments to a group's
//! purpose and objections to them are reported by anyone who may see them
//! and decided by instance moderators only, who may hide their words but
//! never change whether an objection counts or undo an adoption (migration
//! 0037, which keeps every report and its links), and show them again when
//! their author asks for a review. "Remove everything they have posted"
//! hides a person's amendments and objections too. Groups and
//! organisations are reported and decided by instance moderators only:
//! warned about, a group archived and held so, an organisation's words
//! hidden or the organisation flagged, each undone on review (migration
//! 0043, which keeps every report and its links).

use meetinghouse_core::conversations::{self, Shown};
use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::moderation::{self, ActionForm, PolicyForm, ReportForm};
use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::accounts::{self, SignupForm};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::prompts::{self, PromptForm};
use meetinghouse_core::purposes::{self, AmendForm, ObjectionForm};
use meetinghouse_core::settings::{RegistrationMode, Settings};
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::subjects::{self, Subject};
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
    ActionForm { action: "suspend".into(), note: "Time to cool off.".into(), days: days.to_string(), ..Default::default() }
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
                    org_id      INTEGER,
                    prompt_id   INTEGER,
                    UNIQUE (reporter, target_kind, target_id)
                )",
                "CREATE INDEX reports_open ON reports(status, id)",
                // 0013 rebuilds the table without the columns 0023 adds
                // (kept above so this binary can use the table before it),
                // so 0023 runs again after it.
                "DROP INDEX prompts_host",
                "DELETE FROM _sqlx_migrations WHERE version IN (13, 23)",
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

/// A suspended account cannot report, nor one waiting for approval (so
/// accounts made in bulk cannot flood the queue): it is told how to reach
/// the admins instead.
#[tokio::test]
async fn a_suspended_or_waiting_account_cannot_report() {
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
        // An account waiting for approval cannot flood the queue: it is told how to reach the admins.
        let waiting = Actor { status: "pending".into(), ..bea.clone() };
        let r = moderation::report(&db, &waiting, &report_reply(id, "safeguarding")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::WAITING_CANNOT_REPORT && m.contains("/about")), "{r:?}");
        assert!(moderation::queue(&db, &mia).await.unwrap().is_empty());
        moderation::report(&db, &bea, &report_reply(id, "spam")).await.expect("once approved, they report");
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
        let form = GroupForm { name: "Carers".into(), slug: "carers".into(), purpose: String::new(), visibility: "members".into(), join_policy: "invite".into() };
        groups::create(&db, &s, &hal, &form).await.unwrap();
        groups::invite_person(&db, &hal, "carers", "kit").await.unwrap();
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

/// An organisation `admin` runs, with the others in these roles; returns
/// its address and id.
async fn org(db: &Db, s: &Settings, admin: &Actor, name: &str, people: &[(&Actor, &str)]) -> (String, i64) {
    let slug = orgs::create(db, s, admin, &OrgForm { name: name.into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
    for (who, role) in people {
        orgs::invite(db, admin, &slug, &who.handle, role).await.unwrap();
        orgs::accept(db, who, &slug).await.unwrap();
    }
    let id = meetinghouse_store::orgs::by_slug(db, &slug).await.unwrap().unwrap().id;
    (slug, id)
}

/// A collection object of organisation `org`; returns its id.
async fn object(db: &Db, org: i64, accession: &str, title: &str) -> i64 {
    meetinghouse_testkit::add_object(db, org, meetinghouse_testkit::object_record(accession, title)).await
}

/// A prompt `host` opens today, speaking as `speak_as` (`self`, `org:SLUG`),
/// for a group (its address) or everyone (empty).
async fn prompt(db: &Db, s: &Settings, host: &Actor, speak_as: &str, group: &str, question: &str) -> i64 {
    let form = PromptForm { speak_as: speak_as.into(), group: group.into(), question: question.into(), ..Default::default() };
    prompts::create(db, s, host, &form).await.unwrap()
}

/// A group `host` starts for their prompts (public, open), which `members` join.
async fn prompt_group(db: &Db, s: &Settings, host: &Actor, slug: &str, members: &[&Actor]) {
    group(db, s, host, slug).await;
    for who in members {
        groups::join(db, s, who, slug).await.unwrap();
    }
}

/// A story `author` shares, with these changes to a public one in their own name.
async fn shared(db: &Db, s: &Settings, author: &Actor, form: StoryForm) -> Subject {
    let visibility = if form.visibility.is_empty() { "public".to_string() } else { form.visibility.clone() };
    let form = StoryForm { title: "Lace week".into(), body: "We made lace.".into(), licence: "cc0".into(), visibility, ..form };
    Subject::Story(stories::create(db, s, author, &form).await.unwrap())
}

/// What a person's queue is about (reply ids, people's ids), oldest report
/// first; empty when they have no queue.
async fn targets(db: &Db, who: &Actor) -> Vec<i64> {
    match moderation::queue(db, who).await {
        Ok(items) => items.iter().map(|q| q.report.target_id).collect(),
        Err(CoreError::Forbidden(_)) => Vec::new(),
        Err(other) => panic!("{}: {other:?}", who.handle),
    }
}

fn refused(r: &Result<String, CoreError>) -> bool {
    matches!(r, Err(CoreError::Forbidden(_)))
}

/// Bea replies on each subject and Ann reports each reply; returns the replies' ids.
async fn reported(db: &Db, mail: Mailer<'_>, bea: &Actor, ann: &Actor, subjects: &[Subject]) -> Vec<i64> {
    let mut ids = Vec::new();
    for subject in subjects {
        let id = conversations::post(db, mail, bea, *subject, &reply("This is a joke of a place.")).await.unwrap();
        moderation::report(db, ann, &report_reply(id, "harassment")).await.unwrap();
        ids.push(id);
    }
    ids
}

/// An organisation's active staff and admins have a queue of the reports
/// about its page, its collection objects and stories in its name, and act
/// on them as a group's hosts do (logged, the author and the reporters
/// told), never on another organisation's, never suspending or banning.
/// A plain member has no queue; staff who stop being staff lose theirs.
#[tokio::test]
async fn organisation_staff_moderate_their_page_collection_and_stories() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (sam, sid, mel, bob, ann, bea) =
            (person(&db, "sam").await, person(&db, "sid").await, person(&db, "mel").await, person(&db, "bob").await, person(&db, "ann").await, person(&db, "bea").await);
        let (museum_slug, museum) = org(&db, &s, &sam, "Tiverton Museum", &[(&sid, "staff"), (&mel, "member")]).await;
        let (_, gallery) = org(&db, &s, &bob, "Exeter Gallery", &[]).await;
        let bobbin = object(&db, museum, "1985/12", "Lace bobbin").await;
        let painting = object(&db, gallery, "2001/7", "Harbour at dusk").await;
        let in_its_name = shared(&db, &s, &sam, StoryForm { speak_as: format!("org:{museum_slug}"), ..Default::default() }).await;
        let ids = reported(&db, mail, &bea, &ann, &[Subject::Org(museum), Subject::Object(bobbin), in_its_name, Subject::Object(painting)]).await;
        let (on_page, on_object, on_story, on_painting) = (ids[0], ids[1], ids[2], ids[3]);

        for host in [&sid, &sam] {
            assert_eq!(targets(&db, host).await, vec![on_page, on_object, on_story], "{}'s queue", host.handle);
        }
        assert_eq!(targets(&db, &bob).await, vec![on_painting], "the gallery's admin has the gallery's");
        let r = moderation::queue(&db, &mel).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::NO_QUEUE), "a plain member hosts nothing: {r:?}");
        assert!(moderation::queue(&db, &sid).await.unwrap().iter().all(|q| !q.full_powers));

        // Staff of one organisation cannot act on a report about another's object; nor can a member.
        let about_bobbin = item(&db, &mia, "reply", on_object, "harassment").await;
        let about_painting = item(&db, &mia, "reply", on_painting, "harassment").await;
        assert!(refused(&moderation::act(&db, mail, &bob, about_bobbin, &action("hide", "Not here.")).await));
        assert!(refused(&moderation::act(&db, mail, &sid, about_painting, &action("dismiss", "")).await));
        assert!(refused(&moderation::act(&db, mail, &mel, about_bobbin, &action("dismiss", "")).await));
        // Suspending and banning stay with the instance moderators.
        assert!(refused(&moderation::act(&db, mail, &sid, about_bobbin, &suspend(3)).await));
        assert!(refused(&moderation::act(&db, mail, &sam, about_bobbin, &action("ban", "Enough.")).await));
        assert_eq!(status(&db, &bea).await, "active");
        assert_eq!(logged(&db, &mia, "hide").await + logged(&db, &mia, "dismiss").await, 0, "nothing was done");

        // Staff hide a reply on the collection: logged with who acted, the author and the reporter told.
        moderation::act(&db, mail, &sid, about_bobbin, &action("hide", "Please keep it kind.")).await.unwrap();
        assert_eq!(reply_row(&db, on_object).await.status, "hidden");
        let log = moderation::log(&db, Some(&mia), 0).await.unwrap();
        assert_eq!((log[0].row.action.as_str(), log[0].row.moderator_handle.as_deref()), ("hide", Some("sid")));
        assert_eq!(told(&db, &bea, "A moderator hid your reply").await, 1);
        assert_eq!(told(&db, &ann, "A moderator hid the reply").await, 1);
        assert_eq!(targets(&db, &sam).await, vec![on_page, on_story]);
        assert_eq!(targets(&db, &mia).await, vec![on_page, on_story, on_painting], "instance moderators see everything");

        // Staff made a plain member lose the queue and the power to act.
        orgs::change_role(&db, &sam, &museum_slug, sid.id, "member").await.unwrap();
        assert!(matches!(moderation::queue(&db, &sid).await, Err(CoreError::Forbidden(_))));
        let about_page = item(&db, &mia, "reply", on_page, "harassment").await;
        assert!(refused(&moderation::act(&db, mail, &sid, about_page, &action("dismiss", "")).await));
    }
}

/// A prompt's host has a queue of the reports about replies on their prompt
/// and on stories answering it, with its group's hosts (a group's prompt)
/// or its organisation's admins (an organisation's prompt); staff who opened
/// a prompt lose it when they stop being staff. Nobody acts on reports
/// about another prompt's replies.
#[tokio::test]
async fn prompt_hosts_moderate_replies_on_their_prompt_and_its_stories() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (kit, pat, sam, sid, zed, ann, bea) = (
            person(&db, "kit").await,
            person(&db, "pat").await,
            person(&db, "sam").await,
            person(&db, "sid").await,
            person(&db, "zed").await,
            person(&db, "ann").await,
            person(&db, "bea").await,
        );
        prompt_group(&db, &s, &kit, "knitters", &[&zed, &bea]).await;
        prompt_group(&db, &s, &pat, "walkers", &[&bea]).await;
        let (museum_slug, museum) = org(&db, &s, &sam, "Tiverton Museum", &[(&sid, "staff")]).await;
        let kits = prompt(&db, &s, &kit, "self", "knitters", "What was your first knit?").await;
        let pats = prompt(&db, &s, &pat, "self", "walkers", "Where do you walk the dog?").await;
        let sids = prompt(&db, &s, &sid, &format!("org:{museum_slug}"), "", "What did your gran keep?").await;
        let answer = shared(&db, &s, &zed, StoryForm { prompt_id: kits.to_string(), ..Default::default() }).await;
        let subjects_ = [Subject::Prompt(kits), answer, Subject::Prompt(pats), Subject::Prompt(sids), Subject::Org(museum)];
        let ids = reported(&db, mail, &bea, &ann, &subjects_).await;
        let (on_kits, on_answer, on_pats, on_sids, on_page) = (ids[0], ids[1], ids[2], ids[3], ids[4]);

        assert_eq!(targets(&db, &kit).await, vec![on_kits, on_answer]);
        assert_eq!(targets(&db, &pat).await, vec![on_pats]);
        for host in [&sam, &sid] {
            assert_eq!(targets(&db, host).await, vec![on_sids, on_page], "{}: the museum's prompt and page", host.handle);
        }
        assert!(matches!(moderation::queue(&db, &zed).await, Err(CoreError::Forbidden(_))), "answering a prompt hosts nothing");

        // Sid stops being staff: he no longer hosts the prompt he opened
        // (the museum's admin still does); see tests/prompt_hosts.rs.
        orgs::change_role(&db, &sam, &museum_slug, sid.id, "member").await.unwrap();
        assert_eq!(targets(&db, &sid).await, Vec::<i64>::new());
        assert_eq!(targets(&db, &sam).await, vec![on_sids, on_page]);

        // Another prompt's host cannot act: not on the prompt's replies, not on its stories'.
        for (who, target) in [(&pat, on_kits), (&pat, on_answer), (&kit, on_pats), (&kit, on_sids), (&sid, on_page), (&sid, on_sids), (&sid, on_kits), (&zed, on_answer)] {
            let report = item(&db, &mia, "reply", target, "harassment").await;
            let r = moderation::act(&db, mail, who, report, &action("hide", "Off topic.")).await;
            assert!(refused(&r), "{} on reply {target}: {r:?}", who.handle);
        }
        assert_eq!(logged(&db, &mia, "hide").await, 0);

        // The hosts act: on a reply on a story answering the prompt, on one on the prompt.
        moderation::act(&db, mail, &kit, item(&db, &mia, "reply", on_answer, "harassment").await, &action("hide", "Be kind.")).await.unwrap();
        moderation::act(&db, mail, &kit, item(&db, &mia, "reply", on_kits, "harassment").await, &action("warn", "Be kind.")).await.unwrap();
        moderation::act(&db, mail, &sam, item(&db, &mia, "reply", on_sids, "harassment").await, &action("dismiss", "")).await.unwrap();
        assert_eq!(told(&db, &bea, "A moderator sent you a warning").await, 1);
        assert!(targets(&db, &kit).await.is_empty());
        assert_eq!(targets(&db, &mia).await, vec![on_pats, on_page]);
    }
}

/// Hosts never decide a report about themselves or their own reply: not
/// in their queue, refused when tried, left open for another moderator.
/// A report about a person stays with the instance moderators.
#[tokio::test]
async fn hosts_never_decide_reports_about_themselves() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (sam, sid, kit, ann, bea) = (person(&db, "sam").await, person(&db, "sid").await, person(&db, "kit").await, person(&db, "ann").await, person(&db, "bea").await);
        let (_, museum) = org(&db, &s, &sam, "Tiverton Museum", &[(&sid, "staff")]).await;
        let bobbin = object(&db, museum, "1985/12", "Lace bobbin").await;
        prompt_group(&db, &s, &kit, "knitters", &[]).await;
        let kits = prompt(&db, &s, &kit, "self", "knitters", "What was your first knit?").await;
        let sids = conversations::post(&db, mail, &sid, Subject::Object(bobbin), &reply("Touching it is forbidden, obviously.")).await.unwrap();
        let kits_own = conversations::post(&db, mail, &kit, Subject::Prompt(kits), &reply("Only serious answers, please.")).await.unwrap();
        let beas = reported(&db, mail, &bea, &ann, &[Subject::Object(bobbin)]).await[0];
        for id in [sids, kits_own] {
            moderation::report(&db, &ann, &report_reply(id, "harassment")).await.unwrap();
        }
        moderation::report(&db, &ann, &report_person("sid")).await.unwrap();

        assert_eq!(targets(&db, &sid).await, vec![beas], "not his own reply, not himself");
        assert!(targets(&db, &kit).await.is_empty(), "not her own reply");
        for (who, kind, target) in [(&sid, "reply", sids), (&kit, "reply", kits_own), (&sid, "person", sid.id)] {
            let report = item(&db, &mia, kind, target, "harassment").await;
            let r = moderation::act(&db, mail, who, report, &action("dismiss", "")).await;
            let about_you = matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::ABOUT_YOU);
            assert!(if kind == "reply" { about_you } else { refused(&r) }, "{} on {kind} {target}: {r:?}", who.handle);
            assert_eq!(item(&db, &mia, kind, target, "harassment").await, report, "still open for another moderator");
        }
        // The museum's admin may act on Sid's reply, but not on the report about Sid himself.
        assert_eq!(targets(&db, &sam).await, vec![beas, sids]);
        let about_sid = item(&db, &mia, "person", sid.id, "harassment").await;
        assert!(refused(&moderation::act(&db, mail, &sam, about_sid, &action("dismiss", "")).await));
        moderation::act(&db, mail, &sam, item(&db, &mia, "reply", sids, "harassment").await, &action("dismiss", "")).await.unwrap();
    }
}

/// A new account's first reply on something an organisation or a prompt's
/// host hosts waits for them as it waits for a group's hosts: they publish
/// it or hide it (never dismiss it), and only theirs.
#[tokio::test]
async fn hosts_review_first_contributions_on_what_they_host() {
    for db in meetinghouse_testkit::databases().await {
        let mia = admin(&db, "mia").await;
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: false, pause_words: String::new(), review_first: "1".into() }).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (sam, kit, nel, ned) = (person(&db, "sam").await, person(&db, "kit").await, person(&db, "nel").await, person(&db, "ned").await);
        let (_, museum) = org(&db, &s, &sam, "Tiverton Museum", &[]).await;
        let bobbin = object(&db, museum, "1985/12", "Lace bobbin").await;
        prompt_group(&db, &s, &kit, "knitters", &[&ned]).await;
        let kits = prompt(&db, &s, &kit, "self", "knitters", "What was your first knit?").await;
        let on_bobbin = conversations::post(&db, mail, &nel, Subject::Object(bobbin), &reply("My gran had one like it.")).await.unwrap();
        let on_prompt = conversations::post(&db, mail, &ned, Subject::Prompt(kits), &reply("The canal, every time.")).await.unwrap();
        assert_eq!((reply_row(&db, on_bobbin).await.status, reply_row(&db, on_prompt).await.status), ("pending".into(), "pending".into()));

        let review = item(&db, &sam, "reply", on_bobbin, "first-contributions").await;
        assert!(moderation::queue(&db, &sam).await.unwrap()[0].pending);
        assert!(is_invalid(&moderation::act(&db, mail, &sam, review, &action("dismiss", "")).await, "action", "waiting for review"));
        let other = item(&db, &kit, "reply", on_prompt, "first-contributions").await;
        assert!(refused(&moderation::act(&db, mail, &sam, other, &action("approve", "")).await));
        assert!(refused(&moderation::act(&db, mail, &kit, review, &action("approve", "")).await));

        moderation::act(&db, mail, &sam, review, &action("approve", "")).await.unwrap();
        moderation::act(&db, mail, &kit, other, &action("hide", "Please say a little more.")).await.unwrap();
        assert_eq!((reply_row(&db, on_bobbin).await.status, reply_row(&db, on_prompt).await.status), ("visible".into(), "hidden".into()));
        assert_eq!(told(&db, &nel, "is now published").await, 1);
        assert_eq!(told(&db, &ned, "Please say a little more.").await, 1);
        assert_eq!(logged(&db, &mia, "approve").await, 1);
    }
}

/// Whose queue a report is in is who hosts its subject, as `subjects`
/// says: for replies on an organisation's page, object and story, on
/// prompts (a person's and an organisation's), on stories answering them
/// (in a group too), on a group and on a story nobody hosts, each person
/// has the report in their queue, and may act on it, exactly when
/// `subjects::is_host` says they host the subject.
#[tokio::test]
async fn the_queue_follows_the_subjects_hosts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (sam, sid, mel, kit, gina, zed, ann, bea) = (
            person(&db, "sam").await,
            person(&db, "sid").await,
            person(&db, "mel").await,
            person(&db, "kit").await,
            person(&db, "gina").await,
            person(&db, "zed").await,
            person(&db, "ann").await,
            person(&db, "bea").await,
        );
        let (museum_slug, museum) = org(&db, &s, &sam, "Tiverton Museum", &[(&sid, "staff"), (&mel, "member")]).await;
        let bobbin = object(&db, museum, "1985/12", "Lace bobbin").await;
        let canal = group(&db, &s, &gina, "canal").await;
        for who in [&zed, &bea, &ann] {
            groups::join(&db, &s, who, "canal").await.unwrap();
        }
        prompt_group(&db, &s, &kit, "knitters", &[&zed, &bea]).await;
        let kits = prompt(&db, &s, &kit, "self", "knitters", "What was your first knit?").await;
        let museums = prompt(&db, &s, &sid, &format!("org:{museum_slug}"), "", "What did your gran keep?").await;
        let subjects_ = [
            Subject::Org(museum),
            Subject::Object(bobbin),
            shared(&db, &s, &sam, StoryForm { speak_as: format!("org:{museum_slug}"), ..Default::default() }).await,
            Subject::Prompt(kits),
            shared(&db, &s, &zed, StoryForm { prompt_id: kits.to_string(), visibility: "group:canal".into(), ..Default::default() }).await,
            Subject::Group(canal),
            Subject::Prompt(museums),
            shared(&db, &s, &zed, StoryForm { prompt_id: museums.to_string(), ..Default::default() }).await,
            shared(&db, &s, &zed, StoryForm::default()).await,
        ];
        let ids = reported(&db, mail, &bea, &ann, &subjects_).await;
        let people = [&sam, &sid, &mel, &kit, &gina, &zed, &ann];
        let mut hosted = 0;
        for (subject, id) in subjects_.iter().zip(&ids) {
            let info = subjects::resolve(&db, *subject, Some(&mia)).await.unwrap();
            let report = item(&db, &mia, "reply", *id, "harassment").await;
            for who in people {
                let hosts = subjects::is_host(&db, &info, who.id).await.unwrap();
                hosted += usize::from(hosts);
                assert_eq!(targets(&db, who).await.contains(id), hosts, "{} in the queue for {subject:?}", who.handle);
                let decided = moderation::decide(&db, who, report, &action("dismiss", "")).await;
                assert_eq!(decided.is_ok(), hosts, "{} deciding about {subject:?}", who.handle);
            }
        }
        assert_eq!(hosted, 14, "sam 5, sid 5, kit 2, gina 2");
    }
}

/// Migration 0023 records the scope of open reports stored before it (from
/// each reply's subject), so they reach their hosts' queues; a report
/// about a person stays with the instance moderators.
#[tokio::test]
async fn migration_0023_gives_open_reports_their_hosts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (sam, sid, kit, zed, ann, bea) =
            (person(&db, "sam").await, person(&db, "sid").await, person(&db, "kit").await, person(&db, "zed").await, person(&db, "ann").await, person(&db, "bea").await);
        let (_, museum) = org(&db, &s, &sam, "Tiverton Museum", &[(&sid, "staff")]).await;
        let bobbin = object(&db, museum, "1985/12", "Lace bobbin").await;
        prompt_group(&db, &s, &kit, "knitters", &[&zed, &bea]).await;
        let kits = prompt(&db, &s, &kit, "self", "knitters", "What was your first knit?").await;
        let answer = shared(&db, &s, &zed, StoryForm { prompt_id: kits.to_string(), ..Default::default() }).await;
        let ids = reported(&db, mail, &bea, &ann, &[Subject::Object(bobbin), Subject::Object(bobbin), Subject::Prompt(kits), answer]).await;
        let dismissed = item(&db, &mia, "reply", ids[0], "harassment").await;
        moderation::act(&db, mail, &mia, dismissed, &action("dismiss", "")).await.unwrap();
        moderation::report(&db, &ann, &report_person("bea")).await.unwrap();

        // Back to the schema before 0023: the reports as they were stored then.
        for sql in [
            "DROP INDEX reports_open_group",
            "DROP INDEX reports_open_org",
            "DROP INDEX reports_open_prompt",
            "DROP INDEX prompts_host",
            "ALTER TABLE reports DROP COLUMN org_id",
            "ALTER TABLE reports DROP COLUMN prompt_id",
            "DELETE FROM _sqlx_migrations WHERE version = 23",
        ] {
            db.execute_admin(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        db.migrate().await.unwrap_or_else(|e| panic!("0023 over stored reports: {e}"));

        assert_eq!(targets(&db, &sid).await, vec![ids[1]]);
        assert_eq!(targets(&db, &kit).await, vec![ids[2], ids[3]]);
        assert_eq!(targets(&db, &mia).await, vec![ids[1], ids[2], ids[3], bea.id]);
        let closed = store::report_by_id(&db, dismissed).await.unwrap().unwrap();
        assert_eq!((closed.status.as_str(), closed.org_id), ("closed", None), "closed reports keep no scope");
        moderation::act(&db, mail, &sid, item(&db, &mia, "reply", ids[1], "harassment").await, &action("hide", "Be kind.")).await.unwrap();
        assert!(refused(&moderation::act(&db, mail, &sam, item(&db, &mia, "person", bea.id, "harassment").await, &action("dismiss", "")).await));
    }
}

fn report_story(id: i64, category: &str) -> ReportForm {
    ReportForm { target_kind: "story".into(), target: id.to_string(), category: category.into(), details: String::new() }
}

fn story_id(subject: Subject) -> i64 {
    match subject {
        Subject::Story(id) => id,
        other => panic!("not a story: {other:?}"),
    }
}

/// A story is reported as a reply is: by anyone signed in who may see it,
/// never by its author, not twice. The report is in the queue of the
/// instance moderators and of the story's hosts (the staff of the
/// organisation it speaks for, the host of the prompt it answers), never in
/// its author's, even when the author is one of those hosts.
#[tokio::test]
async fn a_reported_story_reaches_the_moderators_and_its_hosts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let (sam, bea, pat, ann, cat) = (person(&db, "sam").await, person(&db, "bea").await, person(&db, "pat").await, person(&db, "ann").await, person(&db, "cat").await);
        let (museum_slug, _) = org(&db, &s, &sam, "Tiverton Museum", &[(&bea, "staff")]).await;
        prompt_group(&db, &s, &pat, "makers", &[&bea]).await;
        let lace = prompt(&db, &s, &pat, "self", "makers", "What did you make at school?").await;
        let form = StoryForm { speak_as: format!("org:{museum_slug}"), prompt_id: lace.to_string(), ..Default::default() };
        let id = story_id(shared(&db, &s, &bea, form).await);
        let draft = story_id(shared(&db, &s, &cat, StoryForm { visibility: "draft".into(), ..Default::default() }).await);

        let r = moderation::report(&db, &bea, &report_story(id, "spam")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m.contains("your own story")), "{r:?}");
        let r = moderation::report(&db, &ann, &report_story(draft, "spam")).await;
        assert!(matches!(r, Err(CoreError::NotFound)), "a story the reporter cannot see: {r:?}");
        moderation::report(&db, &ann, &report_story(id, "privacy")).await.expect("anyone who may see a story may report it");
        let r = moderation::report(&db, &ann, &report_story(id, "privacy")).await;
        assert!(matches!(r, Err(CoreError::Invalid(_))), "reported twice: {r:?}");

        for host in [&mia, &sam, &pat] {
            let queue = moderation::queue(&db, host).await.unwrap();
            assert_eq!(queue.iter().map(|q| (q.report.target_kind.as_str(), q.report.target_id)).collect::<Vec<_>>(), vec![("story", id)], "{}", host.handle);
            let keys: Vec<&str> = queue[0].choices.iter().map(|(k, _)| *k).collect();
            assert!(keys.contains(&"hide") && !keys.contains(&"approve") && !keys.contains(&"restore"), "{keys:?}");
        }
        assert!(targets(&db, &bea).await.is_empty(), "the author, staff of the museum, does not see the report about her story");
        assert!(targets(&db, &cat).await.is_empty());
        let about_bea = item(&db, &mia, "story", id, "privacy").await;
        let r = moderation::act(&db, Mailer { settings: &s, base_url: "https://town.example" }, &bea, about_bea, &action("dismiss", "")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m.contains("another moderator")), "{r:?}");
    }
}

/// A host removes a reported story: it is deleted (gone from its page and
/// the lists for everyone but its author), the removal is logged, the
/// author hears why and how to ask for a review, every reporter hears the
/// outcome, every report about it is closed. Its author cannot restore it;
/// a review request goes to the instance moderators only, and one of them
/// restores it (logged, the author told). A decision made from a page that
/// showed another text changes nothing.
#[tokio::test]
async fn a_moderator_removes_a_reported_story_and_only_moderators_restore_it() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (sam, bea, ann, cat) = (person(&db, "sam").await, person(&db, "bea").await, person(&db, "ann").await, person(&db, "cat").await);
        let (museum_slug, _) = org(&db, &s, &sam, "Tiverton Museum", &[(&bea, "staff")]).await;
        let id = story_id(shared(&db, &s, &bea, StoryForm { speak_as: format!("org:{museum_slug}"), ..Default::default() }).await);
        moderation::report(&db, &ann, &report_story(id, "privacy")).await.unwrap();
        moderation::report(&db, &cat, &report_story(id, "spam")).await.unwrap();
        let report = item(&db, &sam, "story", id, "privacy").await;
        let version = moderation::queue(&db, &sam).await.unwrap().into_iter().find(|q| q.report.id == report).unwrap().version;

        // The author edits it after the page was opened: nothing happens.
        stories::edit(&db, &s, &bea, id, &StoryForm {
            speak_as: format!("org:{museum_slug}"),
            title: "Lace week".into(),
            body: "We made lace, all of us.".into(),
            licence: "cc0".into(),
            visibility: "public".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let r = moderation::act_seen(&db, mail, &sam, report, &action("hide", "Shared without the people's consent."), &version).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("action") == Some(moderation::STORY_CHANGED)), "{r:?}");
        assert!(stories::page(&db, id, Some(&ann)).await.is_ok());

        let note = "Shared without the people's consent.";
        moderation::act(&db, mail, &sam, report, &action("hide", note)).await.expect("the organisation's staff remove a story in its name");
        assert!(matches!(stories::page(&db, id, Some(&ann)).await, Err(CoreError::NotFound)));
        assert!(matches!(stories::page(&db, id, None).await, Err(CoreError::NotFound)));
        assert!(stories::recent(&db, None, 50, 0).await.unwrap().iter().all(|st| st.id != id));
        assert!(stories::page(&db, id, Some(&bea)).await.is_ok(), "its author still sees it");
        assert!(moderation::queue(&db, &mia).await.unwrap().is_empty(), "both reports closed");
        let entry = moderation::log(&db, Some(&mia), 0).await.unwrap().into_iter().find(|e| e.row.target_kind == "story").unwrap();
        assert_eq!((entry.row.action.as_str(), entry.row.target_id, entry.row.note.as_str()), ("hide", id, note));
        assert_eq!(told(&db, &bea, "removed your story").await, 1);
        assert_eq!(told(&db, &bea, note).await, 1);
        assert_eq!(told(&db, &ann, "removed the story").await, 1);
        assert_eq!(told(&db, &cat, "removed the story").await, 1);

        let r = stories::restore(&db, &bea, id).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::STORY_REMOVED), "{r:?}");
        assert!(stories::page(&db, id, Some(&ann)).await.is_err());
        let r = moderation::report(&db, &ann, &report_story(id, "spam")).await;
        assert!(matches!(r, Err(CoreError::NotFound)), "a removed story cannot be reported: {r:?}");

        // The author asks for a review: only instance moderators decide it.
        let ask = ReportForm { details: "Everyone in the photo agreed.".into(), ..report_story(id, moderation::REVIEW_REQUEST) };
        let r = moderation::report(&db, &ann, &ask).await;
        assert!(matches!(r, Err(CoreError::Forbidden(_))), "only the author asks for a review: {r:?}");
        moderation::report(&db, &bea, &ask).await.unwrap();
        assert!(matches!(moderation::report(&db, &bea, &ask).await, Err(CoreError::Invalid(_))), "asked twice");
        assert!(targets(&db, &sam).await.is_empty(), "the organisation's staff do not see a review request");
        let review = item(&db, &mia, "story", id, moderation::REVIEW_REQUEST).await;
        assert!(refused(&moderation::act(&db, mail, &sam, review, &action("restore", "")).await));
        moderation::act(&db, mail, &mia, review, &action("restore", "The people in it agreed.")).await.unwrap();
        assert!(stories::page(&db, id, Some(&ann)).await.is_ok(), "shown again");
        assert!(stories::recent(&db, None, 50, 0).await.unwrap().iter().any(|st| st.id == id));
        assert_eq!(logged(&db, &mia, "restore").await, 1);
        assert_eq!(told(&db, &bea, "restored it").await, 1);
        assert!(store::story_removal(&db, id).await.unwrap().is_none());
        // Restored, it is its author's again: deleting and restoring it is theirs.
        stories::delete(&db, mail, &bea, id).await.unwrap();
        stories::restore(&db, &bea, id).await.expect("an author restores a story they deleted themselves");
    }
}

/// A review request kept removed is answered; after the restore window an
/// instance moderator cannot restore it either, and the purge removes the
/// story and its removal for good.
#[tokio::test]
async fn a_removed_story_goes_for_good_after_the_restore_window() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (bea, ann) = (person(&db, "bea").await, person(&db, "ann").await);
        let id = story_id(shared(&db, &s, &bea, StoryForm::default()).await);
        shared(&db, &s, &ann, StoryForm::default()).await;
        moderation::report(&db, &ann, &report_story(id, "spam")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "story", id, "spam").await, &action("hide", "Advertising.")).await.unwrap();
        moderation::report(&db, &bea, &report_story(id, moderation::REVIEW_REQUEST)).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "story", id, moderation::REVIEW_REQUEST).await, &action("dismiss", "Still advertising.")).await.unwrap();
        assert_eq!(told(&db, &bea, "it stays removed").await, 1);
        assert!(store::story_removal(&db, id).await.unwrap().is_some());

        moderation::report(&db, &bea, &report_story(id, moderation::REVIEW_REQUEST)).await.unwrap();
        let old = meetinghouse_store::now() - 31 * DAY;
        db.execute_admin(&format!("UPDATE stories SET deleted_at = {old} WHERE id = {id}")).await.unwrap();
        db.execute_admin(&format!("UPDATE story_removals SET removed_at = {old} WHERE story_id = {id}")).await.unwrap();
        let review = item(&db, &mia, "story", id, moderation::REVIEW_REQUEST).await;
        let r = moderation::act(&db, mail, &mia, review, &action("restore", "")).await;
        assert!(matches!(r, Err(CoreError::Invalid(_))), "past the window: {r:?}");
        let r = moderation::report(&db, &bea, &ReportForm { details: "Again".into(), ..report_story(id, moderation::REVIEW_REQUEST) }).await;
        assert!(matches!(r, Err(CoreError::Forbidden(_))), "no review past the window: {r:?}");

        assert_eq!(meetinghouse_store::stories::purge_deleted_before(&db, meetinghouse_store::now() - 30 * DAY).await.unwrap(), 1);
        assert!(meetinghouse_store::stories::by_id(&db, id).await.unwrap().is_none());
        assert!(store::story_removal(&db, id).await.unwrap().is_none());
    }
}

/// A suspended or banned person cannot sign in to read their notification,
/// and notification email goes only to active accounts: they are emailed
/// the moderators' message at once (whatever their email choice, with no
/// digest repeating it later), and signing in with the right password says
/// until when and why (migration 0033).
#[tokio::test]
async fn a_suspended_person_is_told_why_and_until_when() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let cal = person(&db, "cal").await;
        let dan = person(&db, "dan").await;
        let subject = story(&db, &s, &ann).await;
        let by_dan = conversations::post(&db, mail, &dan, subject, &reply("Same old faces.")).await.unwrap();
        moderation::report(&db, &cal, &report_reply(by_dan, "harassment")).await.unwrap();
        moderation::report(&db, &ann, &report_person("dan")).await.unwrap();

        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", by_dan, "harassment").await, &suspend(7)).await.unwrap();
        let sent = meetinghouse_store::outbox::recent(&db, 20).await.unwrap();
        let to_dan: Vec<_> = sent.iter().filter(|m| m.to_addr == "dan@example.org").collect();
        assert_eq!(to_dan.len(), 1, "one message to Dan, though he is on the daily digest: {sent:?}");
        assert!(to_dan[0].body.contains("suspended for 7 days") && to_dan[0].body.contains("Time to cool off."), "{}", to_dan[0].body);
        let r = accounts::login(&db, "dan@example.org", "a long enough password").await;
        let Err(CoreError::Forbidden(m)) = &r else { panic!("{r:?}") };
        assert!(m.contains("suspended until") && m.contains("Time to cool off."), "{m}");
        let wrong = accounts::login(&db, "dan@example.org", "not the password at all").await;
        assert!(matches!(&wrong, Err(CoreError::Invalid(_))), "the note only after the right password: {wrong:?}");
        // Back after the week: no digest repeats the message.
        let now = meetinghouse_store::now();
        store::lift_ended(&db, now + 8 * DAY).await.unwrap();
        notifications::send_digests(&db, mail, now + 9 * DAY).await.unwrap();
        let to_dan = meetinghouse_store::outbox::recent(&db, 20).await.unwrap().into_iter().filter(|m| m.to_addr == "dan@example.org").count();
        assert_eq!(to_dan, 1, "no digest repeats it once he is back");

        // A ban says the account is closed, with its own note.
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", dan.id, "harassment").await, &action("ban", "Repeated abuse.")).await.unwrap();
        let r = accounts::login(&db, "dan@example.org", "a long enough password").await;
        let Err(CoreError::Forbidden(m)) = &r else { panic!("{r:?}") };
        assert!(m.contains("closed by the moderators") && m.contains("Repeated abuse.") && !m.contains("until"), "{m}");
        let to_dan = meetinghouse_store::outbox::recent(&db, 20).await.unwrap().into_iter().filter(|m| m.to_addr == "dan@example.org").count();
        assert_eq!(to_dan, 2);
    }
}

// Amendments to a group's purpose and objections to them (migration 0037).

fn report_words(kind: &str, id: i64) -> ReportForm {
    ReportForm { target_kind: kind.into(), target: id.to_string(), category: "harassment".into(), details: String::new() }
}

/// A group `slug` (`visibility`; open to join when public, by invitation
/// when members only) hosted by `host`, with `members` in it; returns its id.
async fn purpose_group(db: &Db, s: &Settings, host: &Actor, slug: &str, visibility: &str, members: &[&Actor]) -> i64 {
    let policy = if visibility == "members" { "invite" } else { "open" };
    let form = GroupForm { name: format!("Group {slug}"), slug: slug.into(), purpose: "We look after the canal.".into(), visibility: visibility.into(), join_policy: policy.into() };
    groups::create(db, s, host, &form).await.unwrap();
    for who in members {
        if visibility == "members" {
            groups::invite_person(db, host, slug, &who.handle).await.unwrap();
        }
        groups::join(db, s, who, slug).await.unwrap();
    }
    meetinghouse_store::groups::by_slug(db, slug).await.unwrap().unwrap().id
}

async fn propose(db: &Db, mail: Mailer<'_>, who: &Actor, slug: &str, text: &str, why: &str) -> i64 {
    purposes::propose(db, mail, who, slug, &AmendForm { text: text.into(), why: why.into() }).await.unwrap()
}

/// Objects to amendment `id`; returns the objection's id.
async fn object_to(db: &Db, mail: Mailer<'_>, who: &Actor, slug: &str, id: i64, reason: &str) -> i64 {
    purposes::object(db, mail, who, slug, id, &ObjectionForm { reason: reason.into() }).await.unwrap();
    let all = meetinghouse_store::purposes::objections(db, id).await.unwrap();
    all.into_iter().find(|o| o.person_id == who.id).unwrap().id
}

fn forbidden_says(r: &Result<(), CoreError>, says: &str) -> bool {
    matches!(r, Err(CoreError::Forbidden(m)) if m.contains(says))
}

/// Anyone who may see an amendment may report it and each objection to it,
/// as replies are reported: not their own, not while suspended, one open
/// report each, and "not found" outside a members-only group. Only instance
/// moderators see and decide those reports: the group's hosts have a stake
/// in what becomes of its purpose. The queue shows the words and a link.
#[tokio::test]
async fn anyone_who_sees_an_amendment_may_report_it_and_only_instance_moderators_decide() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (mia, hal, sam, tara, bea) = (admin(&db, "mia").await, person(&db, "hal").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "bea").await);
        purpose_group(&db, &s, &hal, "canal-friends", "public", &[&sam, &tara]).await;
        let a = propose(&db, mail, &sam, "canal-friends", "We look after the canal and its towpath.", "The towpath is **ours** too.").await;
        let o = object_to(&db, mail, &tara, "canal-friends", a, "Sam is a <liar>.").await;

        // Bea, who is not a member, can see the public group: she may report both.
        moderation::report(&db, &bea, &report_words("amendment", a)).await.unwrap();
        moderation::report(&db, &bea, &report_words("objection", o)).await.unwrap();
        let again = moderation::report(&db, &bea, &report_words("objection", o)).await;
        assert!(matches!(&again, Err(CoreError::Invalid(e)) if e.get("category").is_some_and(|m| m.contains("already reported"))), "{again:?}");
        // The proposer may report an objection; nobody reports their own words.
        moderation::report(&db, &sam, &report_words("objection", o)).await.unwrap();
        assert!(forbidden_says(&moderation::report(&db, &sam, &report_words("amendment", a)).await, "your own amendment"));
        assert!(forbidden_says(&moderation::report(&db, &tara, &report_words("objection", o)).await, "your own objection"));
        let suspended = Actor { status: "suspended".into(), ..bea.clone() };
        assert!(forbidden_says(&moderation::report(&db, &suspended, &report_words("amendment", a)).await, "suspended"));
        assert!(matches!(moderation::report(&db, &bea, &report_words("objection", 999_999)).await, Err(CoreError::NotFound)));
        assert!(matches!(moderation::report(&db, &bea, &report_words("amendment", 999_999)).await, Err(CoreError::NotFound)));
        // A members-only group's amendments are not there for people outside it.
        purpose_group(&db, &s, &hal, "quiet-circle", "members", &[&sam, &tara]).await;
        let quiet = propose(&db, mail, &sam, "quiet-circle", "We look after the canal, quietly.", "Calm.").await;
        let quiet_o = object_to(&db, mail, &tara, "quiet-circle", quiet, "Too quiet.").await;
        assert!(matches!(moderation::report(&db, &bea, &report_words("amendment", quiet)).await, Err(CoreError::NotFound)));
        assert!(matches!(moderation::report(&db, &bea, &report_words("objection", quiet_o)).await, Err(CoreError::NotFound)));
        moderation::report(&db, &tara, &report_words("amendment", quiet)).await.expect("a member may");

        // Hal hosts the group: the reports are not in his queue, and he may not decide them.
        let his = moderation::queue(&db, &hal).await.unwrap();
        assert!(his.iter().all(|q| !matches!(q.report.target_kind.as_str(), "amendment" | "objection")), "{his:?}");
        let report_about = |kind: &'static str, id: i64| {
            let (db, mia) = (db.clone(), mia.clone());
            async move { moderation::queue(&db, &mia).await.unwrap().into_iter().find(|q| q.report.target_kind == kind && q.report.target_id == id).unwrap() }
        };
        let item = report_about("objection", o).await;
        let r = moderation::act(&db, mail, &hal, item.report.id, &action("dismiss", "")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::PURPOSE_REPORTS), "{r:?}");
        assert_eq!((item.report.group_id, item.report.org_id, item.report.prompt_id), (None, None, None), "no host's scope");

        // The instance moderators' queue shows the words, escaped, and a link.
        assert!(item.what.starts_with(&format!("An objection by tara (@tara) to amendment {a} to the purpose of Group canal-friends")), "{}", item.what);
        assert_eq!(item.excerpt_html, "<p>Sam is a &lt;liar&gt;.</p>");
        assert_eq!(item.link, format!("/groups/canal-friends/amendments/{a}"));
        let keys: Vec<&str> = item.choices.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, vec!["dismiss", "hide", "warn", "suspend", "ban"]);
        let item = report_about("amendment", a).await;
        assert!(item.excerpt_html.contains("<strong>ours</strong>") && item.excerpt_html.contains("its towpath"), "{}", item.excerpt_html);
        assert!(item.choices.iter().any(|(k, label)| *k == "hide" && label.starts_with("Hide its words and withdraw it")), "{:?}", item.choices);
        assert!(!item.choices.iter().any(|(k, _)| matches!(*k, "approve" | "restore")));
        // Nothing but hiding changes the words.
        let r = moderation::act(&db, mail, &mia, item.report.id, &action("restore", "")).await;
        assert!(is_invalid(&r, "action", "does not apply"), "{r:?}");
        // A dismissal closes every report about it; the reporter hears so.
        moderation::act(&db, mail, &mia, item.report.id, &action("dismiss", "")).await.unwrap();
        assert_eq!(told(&db, &bea, "A moderator looked at it and decided no action was needed").await, 1);
        assert_eq!(meetinghouse_store::purposes::amendment(&db, a).await.unwrap().unwrap().state, "open");
    }
}

/// Hiding an objection's reason shows "removed by the moderators" in its
/// place and never changes whether it counts: it still stands, still keeps
/// the amendment from being adopted, and a reason its author writes later
/// stays hidden. A decision about words that changed since the moderator's
/// page showed them changes nothing. The reporters and the author are told;
/// the public log names the amendment to those who may see it.
#[tokio::test]
async fn hiding_an_objections_reason_never_changes_whether_it_counts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (mia, hal, sam, tara, una, bea) =
            (admin(&db, "mia").await, person(&db, "hal").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "una").await, person(&db, "bea").await);
        purpose_group(&db, &s, &hal, "canal-friends", "public", &[&sam, &tara, &una]).await;
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: true, pause_words: String::new(), review_first: "0".into() }).await.unwrap();
        let a = propose(&db, mail, &sam, "canal-friends", "We look after the canal and its towpath.", "Towpath.").await;
        let o = object_to(&db, mail, &tara, "canal-friends", a, "Sam should move away.").await;
        let u = object_to(&db, mail, &una, "canal-friends", a, "Cyclists.").await;
        moderation::report(&db, &bea, &report_words("objection", o)).await.unwrap();
        moderation::report(&db, &sam, &report_words("objection", u)).await.unwrap();

        // Una changes her reason after the moderator's page showed it: nothing is hidden.
        let una_item = item(&db, &mia, "objection", u, "harassment").await;
        let was = seen(&db, &mia, una_item).await;
        object_to(&db, mail, &una, "canal-friends", a, "Cyclists go too fast.").await;
        let r = moderation::act_seen(&db, mail, &mia, una_item, &action("hide", "Not needed."), &was).await;
        assert!(is_invalid(&r, "action", "It changed since you opened the page"), "{r:?}");
        assert_eq!(meetinghouse_store::purposes::objection(&db, u).await.unwrap().unwrap().hidden_at, None);
        moderation::act(&db, mail, &mia, una_item, &action("dismiss", "")).await.unwrap();

        let tara_item = item(&db, &mia, "objection", o, "harassment").await;
        let now_seen = seen(&db, &mia, tara_item).await;
        let done = moderation::act_seen(&db, mail, &mia, tara_item, &action("hide", "Talk about the text, not the person."), &now_seen).await.unwrap();
        assert!(done.starts_with("Done."), "{done}");
        let page = purposes::amendment_page(&db, &s, "canal-friends", a, Some(&bea)).await.unwrap();
        let hidden = page.objections.iter().find(|x| x.id == o).unwrap();
        assert!(hidden.hidden_at.is_some());
        assert_eq!(hidden.reason, "", "the words never reach the page");
        assert!(!page.may_report_objection(hidden), "not reported again");
        assert_eq!((page.standing(), page.amendment.standing), (2, 2), "it still counts");
        assert!(matches!(&moderation::report(&db, &una, &report_words("objection", o)).await, Err(CoreError::Forbidden(m)) if m == moderation::WORDS_REMOVED));
        assert_eq!(told(&db, &tara, "A moderator removed the reason of your objection").await, 1);
        assert_eq!(told(&db, &tara, "Your objection counts as before while it stands").await, 1);
        assert_eq!(told(&db, &bea, "A moderator hid the objection's reason").await, 1);
        // Her own page keeps her words for the form; a new reason stays hidden.
        let hers = purposes::amendment_page(&db, &s, "canal-friends", a, Some(&tara)).await.unwrap();
        assert_eq!(hers.mine.as_ref().unwrap().reason, "Sam should move away.");
        object_to(&db, mail, &tara, "canal-friends", a, "The towpath is fine as it is.").await;
        let page = purposes::amendment_page(&db, &s, "canal-friends", a, Some(&bea)).await.unwrap();
        assert_eq!(page.objections.iter().find(|x| x.id == o).unwrap().reason, "");
        // Withdrawn and made again, it is still the same objection, still hidden, still counted.
        purposes::withdraw_objection(&db, &tara, "canal-friends", a).await.unwrap();
        object_to(&db, mail, &tara, "canal-friends", a, "Really fine.").await;
        assert!(meetinghouse_store::purposes::objection(&db, o).await.unwrap().unwrap().hidden_at.is_some());
        assert_eq!(purposes::settle(&db, mail, a, meetinghouse_store::now() + purposes::WINDOW_SECS + 60).await.unwrap(), Some(purposes::Outcome::NotAdopted { standing: 2 }));

        // The public log says what was done, about which amendment.
        let entries = moderation::log_page(&db, None, 0).await.unwrap().entries;
        let entry = entries.iter().find(|e| e.row.target_kind == "objection").expect("in the public log");
        assert_eq!((entry.row.action.as_str(), entry.what.clone(), entry.link.clone()), ("hide", format!("an objection to amendment {a}"), format!("/groups/canal-friends/amendments/{a}")));
        assert_eq!(entry.row.note, "Talk about the text, not the person.");
    }
}

/// Hiding an open amendment's words withdraws it (an amendment readers
/// cannot read cannot be adopted): its proposer hears why, everyone who
/// objected hears what became of it, and the reporters hear the outcome;
/// its page shows "removed by the moderators" for its reason and text. An
/// adopted amendment keeps its text (a version of the purpose): only its
/// reason is hidden, and the purpose stays as adopted. The public log keeps
/// a members-only group's entries to its members.
#[tokio::test]
async fn hiding_an_amendments_words_withdraws_it_but_never_undoes_an_adoption() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (mia, hal, sam, tara, una, bea) =
            (admin(&db, "mia").await, person(&db, "hal").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "una").await, person(&db, "bea").await);
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: true, pause_words: String::new(), review_first: "0".into() }).await.unwrap();
        purpose_group(&db, &s, &hal, "quiet-circle", "members", &[&sam, &tara, &una]).await;
        let a = propose(&db, mail, &sam, "quiet-circle", "We look after the canal, and Una is banned from it.", "Una is a menace.").await;
        object_to(&db, mail, &tara, "quiet-circle", a, "Unkind.").await;
        object_to(&db, mail, &una, "quiet-circle", a, "This is about me.").await;
        purposes::withdraw_objection(&db, &una, "quiet-circle", a).await.unwrap();
        moderation::report(&db, &una, &report_words("amendment", a)).await.unwrap();
        moderation::report(&db, &tara, &report_words("amendment", a)).await.unwrap();

        let it = item(&db, &mia, "amendment", a, "harassment").await;
        let was = seen(&db, &mia, it).await;
        moderation::act_seen(&db, mail, &mia, it, &action("hide", "No amendment about a person."), &was).await.unwrap();
        let stored = meetinghouse_store::purposes::amendment(&db, a).await.unwrap().unwrap();
        assert_eq!(stored.state, "withdrawn");
        assert!(stored.hidden_at.is_some() && stored.hidden_at == stored.settled_at);
        let page = purposes::amendment_page(&db, &s, "quiet-circle", a, Some(&tara)).await.unwrap();
        assert!(page.words_hidden() && page.text_hidden() && page.withdrawn_by_moderators());
        assert!(page.why_html.is_empty() && page.proposed_html.is_empty() && page.diff.is_empty());
        assert!(page.amendment.text.is_empty() && page.amendment.why.is_empty());
        assert!(!page.may_report());
        assert_eq!(page.objections.iter().map(|o| o.counted_at_settling.clone().unwrap_or_default()).collect::<Vec<_>>(), vec!["counted", "withdrawn"]);
        assert_eq!(told(&db, &sam, "A moderator removed the words of your amendment").await, 1);
        assert_eq!(told(&db, &sam, "so it is withdrawn. Why: No amendment about a person.").await, 1);
        for who in [&tara, &una] {
            assert_eq!(told(&db, who, "was withdrawn: the moderators removed its words").await, 1, "{}", who.handle);
            assert_eq!(told(&db, who, "A moderator hid the amendment's words and withdrew it").await, 1, "{}", who.handle);
        }
        assert_eq!(purposes::settle_due(&db, mail, meetinghouse_store::now() + purposes::WINDOW_SECS + 60).await.unwrap(), 0);
        assert_eq!(purposes::page(&db, &s, "quiet-circle", Some(&tara)).await.unwrap().current.version, 1);
        // The public log leaves it out for people outside the group; members see it.
        let kinds = |entries: Vec<moderation::LogEntry>| entries.into_iter().filter(|e| e.row.target_kind == "amendment").count();
        assert_eq!(kinds(moderation::log_page(&db, None, 0).await.unwrap().entries), 0);
        assert_eq!(kinds(moderation::log_page(&db, Some(&bea), 0).await.unwrap().entries), 0);
        assert_eq!(kinds(moderation::log_page(&db, Some(&tara), 0).await.unwrap().entries), 1);

        // Adopted, it stays adopted: only its reason is hidden.
        let b = propose(&db, mail, &sam, "quiet-circle", "We look after the canal and its herons.", "Herons, and Hal never helps.").await;
        assert_eq!(purposes::settle(&db, mail, b, meetinghouse_store::now() + purposes::WINDOW_SECS + 60).await.unwrap(), Some(purposes::Outcome::Adopted { version: 2 }));
        moderation::report(&db, &hal, &report_words("amendment", b)).await.unwrap();
        let it = item(&db, &mia, "amendment", b, "harassment").await;
        let q = moderation::queue(&db, &mia).await.unwrap().into_iter().find(|q| q.report.id == it).unwrap();
        assert!(q.choices.iter().any(|(k, label)| *k == "hide" && label.starts_with("Hide its reason")), "{:?}", q.choices);
        moderation::act_seen(&db, mail, &mia, it, &action("hide", "Be kind to Hal."), &q.version).await.unwrap();
        let page = purposes::amendment_page(&db, &s, "quiet-circle", b, Some(&tara)).await.unwrap();
        assert_eq!(page.amendment.state, "adopted");
        assert!(page.words_hidden() && !page.text_hidden() && !page.withdrawn_by_moderators());
        assert!(page.why_html.is_empty() && page.proposed_html.contains("herons"));
        let p = purposes::page(&db, &s, "quiet-circle", Some(&tara)).await.unwrap();
        assert_eq!((p.current.version, p.current.text.as_str()), (2, "We look after the canal and its herons."));
        assert_eq!(told(&db, &sam, "A moderator removed the reason you gave for your amendment").await, 1);
        assert_eq!(told(&db, &hal, "A moderator hid the amendment's reason").await, 1);
    }
}

/// The id of the open report of a category about a target, read from the
/// store (the queue reads columns of later migrations, so a test of a
/// migration finds its reports this way before migrating).
async fn open_report(db: &Db, kind: &str, target: i64, category: &str) -> i64 {
    store::open_reports_about(db, kind, target).await.unwrap().into_iter().find(|r| r.category == category).unwrap().id
}

/// What migrations after the one a test stops at add that today's code
/// writes whatever it does (a notification's mail names the notification,
/// migration 0046; hiding a reply records who hid it, 0051; a report keeps
/// what it was about as it read, and notification mail names its person,
/// 0059 and 0060): added while
/// the test stores its data through today's code, and dropped again
/// before the migrations run.
struct LaterColumns;

impl LaterColumns {
    async fn add(db: &Db) -> LaterColumns {
        for sql in [
            "ALTER TABLE email_outbox ADD COLUMN notification_id BIGINT",
            "CREATE TABLE reply_hidings (reply_id BIGINT PRIMARY KEY, moderator BIGINT, by_moderators BIGINT NOT NULL, version TEXT, hidden_at BIGINT NOT NULL)",
            "CREATE TABLE report_snapshots (id BIGINT, report_id BIGINT NOT NULL, reason TEXT NOT NULL, target_kind TEXT NOT NULL, \
             target_id BIGINT NOT NULL, title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, created_at BIGINT NOT NULL)",
            "ALTER TABLE email_outbox ADD COLUMN person_id BIGINT",
        ] {
            db.execute_admin(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        LaterColumns
    }

    async fn drop(db: &Db) {
        for sql in [
            "ALTER TABLE email_outbox DROP COLUMN notification_id",
            "DROP TABLE reply_hidings",
            "DROP TABLE report_snapshots",
            "ALTER TABLE email_outbox DROP COLUMN person_id",
        ] {
            db.execute_admin(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// Migration 0037 rebuilds the reports table on SQLite (and widens its CHECK
/// on PostgreSQL): every report stays with its id, and the moderation log
/// and a story's removal still name the report they came from.
async fn reports_through_0037(db: Db) {
    db.migrate_to(36).await.unwrap();
    let _later = LaterColumns::add(&db).await;
    let s = Settings::load(&db).await.unwrap();
    let mail = Mailer { settings: &s, base_url: "https://town.example" };
    let (mia, ann, bea) = (admin(&db, "mia").await, person(&db, "ann").await, person(&db, "bea").await);
    let subject = story(&db, &s, &ann).await;
    let story_id = story_id(subject);
    let r = conversations::post(&db, mail, &bea, subject, &reply("Nobody cares.")).await.unwrap();
    moderation::report(&db, &ann, &report_reply(r, "harassment")).await.unwrap();
    moderation::report(&db, &bea, &report_story(story_id, "spam")).await.unwrap();
    moderation::report(&db, &bea, &report_person("ann")).await.unwrap();
    let hidden = open_report(&db, "reply", r, "harassment").await;
    moderation::act(&db, mail, &mia, hidden, &action("hide", "Be kind.")).await.unwrap();
    let removed = open_report(&db, "story", story_id, "spam").await;
    moderation::act(&db, mail, &mia, removed, &action("hide", "Spam.")).await.unwrap();
    let open = open_report(&db, "person", ann.id, "harassment").await;
    let mut before = Vec::new();
    for id in 1..=open {
        before.push(format!("{:?}", store::report_by_id(&db, id).await.unwrap()));
    }
    let links: Vec<(String, Option<i64>)> = moderation::log(&db, Some(&mia), 0).await.unwrap().into_iter().map(|e| (e.row.action, e.row.report_id)).collect();
    assert_eq!(links, vec![("hide".to_string(), Some(removed)), ("hide".to_string(), Some(hidden))]);

    LaterColumns::drop(&db).await;
    db.migrate().await.unwrap_or_else(|e| panic!("0037 over stored reports: {e}"));

    let mut after = Vec::new();
    for id in 1..=open {
        after.push(format!("{:?}", store::report_by_id(&db, id).await.unwrap()));
    }
    assert_eq!(after, before, "every report kept, with its id");
    let kept: Vec<(String, Option<i64>)> = moderation::log(&db, Some(&mia), 0).await.unwrap().into_iter().map(|e| (e.row.action, e.row.report_id)).collect();
    assert_eq!(kept, links, "the log still names the reports it settled");
    assert_eq!(store::story_removal(&db, story_id).await.unwrap().unwrap().report_id, Some(removed), "the removal still names its report");
    assert!(matches!(moderation::report(&db, &bea, &report_person("ann")).await, Err(CoreError::Invalid(_))), "one open report at a time");
    // And an amendment can be reported now.
    purpose_group(&db, &s, &ann, "canal-friends", "public", &[&bea]).await;
    let a = propose(&db, mail, &bea, "canal-friends", "We look after the canal and its towpath.", "Towpath.").await;
    moderation::report(&db, &mia, &report_words("amendment", a)).await.unwrap();
    assert_eq!(moderation::queue(&db, &mia).await.unwrap().iter().filter(|q| q.report.target_kind == "amendment").count(), 1);
    db.close().await;
}

#[tokio::test]
async fn migration_0037_keeps_reports_and_their_links() {
    let dir = meetinghouse_store::test_databases::temp_dir("mh_reports_0037");
    let options = meetinghouse_store::DbOptions { max_connections: 4 };
    reports_through_0037(Db::open_sqlite(&dir.join("test.db"), &options).await.unwrap()).await;
    if let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let url = meetinghouse_store::test_databases::create(&url, "mh_reports_0037").await.unwrap();
        reports_through_0037(Db::connect(&url, &options).await.unwrap()).await;
    }
}

fn report_place(kind: &str, slug: &str, category: &str) -> ReportForm {
    ReportForm { target_kind: kind.into(), target: slug.into(), category: category.into(), details: String::new() }
}

fn review_of(kind: &str, target: &str) -> ReportForm {
    ReportForm { target_kind: kind.into(), target: target.into(), category: moderation::REVIEW_REQUEST.into(), details: "Please look again.".into() }
}

/// The open queue item about a thing, as an instance moderator sees it.
async fn queue_item(db: &Db, moderator: &Actor, kind: &str, target: i64, category: &str) -> moderation::QueueItem {
    moderation::queue(db, moderator)
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.report.target_kind == kind && q.report.target_id == target && q.report.category == category)
        .unwrap_or_else(|| panic!("no open {category} report about {kind} {target}"))
}

fn keys(item: &moderation::QueueItem) -> Vec<&'static str> {
    item.choices.iter().map(|(k, _)| *k).collect()
}

/// A group or an organisation is reported by anyone signed in who may see
/// it, never by its own hosts or admins; the report records no scope, so no
/// host's queue lists it and only instance moderators decide it, never one
/// who hosts the group or works for the organisation. The queue shows its
/// words, a link and the actions that fit it; a decision made from a page
/// that showed other words changes nothing.
#[tokio::test]
async fn groups_and_organisations_are_reported_and_decided_by_moderators_only() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (mia, max, hal, oz, bea) = (admin(&db, "mia").await, admin(&db, "max").await, person(&db, "hal").await, person(&db, "oz").await, person(&db, "bea").await);
        let gid = purpose_group(&db, &s, &hal, "expose-jo", "public", &[]).await;
        let form = OrgForm { name: "Tiverton Town Council".into(), sector: "local_government".into(), description: "The **official** council.".into(), website: "https://council.example".into(), ..Default::default() };
        let slug = orgs::create(&db, &s, &oz, &form).await.unwrap();
        let oid = meetinghouse_store::orgs::by_slug(&db, &slug).await.unwrap().unwrap().id;
        orgs::invite(&db, &oz, &slug, "max", "staff").await.unwrap();
        orgs::accept(&db, &max, &slug).await.unwrap();

        moderation::report(&db, &bea, &report_place("group", "expose-jo", "harassment")).await.unwrap();
        moderation::report(&db, &bea, &report_place("org", &slug, "impersonation")).await.unwrap();
        let again = moderation::report(&db, &bea, &report_place("org", &slug, "impersonation")).await;
        assert!(matches!(&again, Err(CoreError::Invalid(e)) if e.get("category").is_some_and(|m| m.contains("already reported"))), "{again:?}");
        assert!(forbidden_says(&moderation::report(&db, &hal, &report_place("group", "expose-jo", "spam")).await, moderation::OWN_GROUP));
        assert!(forbidden_says(&moderation::report(&db, &oz, &report_place("org", &slug, "spam")).await, moderation::OWN_ORG));
        moderation::report(&db, &max, &report_place("org", &slug, "misleading")).await.expect("staff may report their organisation");
        for missing in ["no-such-group", "Bad Slug\0"] {
            assert!(matches!(moderation::report(&db, &bea, &report_place("group", missing, "spam")).await, Err(CoreError::NotFound)), "{missing}");
            assert!(matches!(moderation::report(&db, &bea, &report_place("org", missing, "spam")).await, Err(CoreError::NotFound)), "{missing}");
        }
        purpose_group(&db, &s, &hal, "quiet-circle", "members", &[]).await;
        assert!(matches!(moderation::report(&db, &bea, &report_place("group", "quiet-circle", "spam")).await, Err(CoreError::NotFound)));

        // Hal hosts the group and Oz runs the organisation: neither sees the reports or may decide them.
        for host in [&hal, &oz] {
            let theirs = moderation::queue(&db, host).await.unwrap();
            assert!(theirs.iter().all(|q| !matches!(q.report.target_kind.as_str(), "group" | "org")), "{theirs:?}");
        }
        let g = queue_item(&db, &mia, "group", gid, "harassment").await;
        assert_eq!((g.report.group_id, g.report.org_id, g.report.prompt_id), (None, None, None), "no host's scope");
        let r = moderation::act(&db, mail, &hal, g.report.id, &action("dismiss", "")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::PLACE_REPORTS), "{r:?}");
        assert!(g.what.starts_with("The group “Group expose-jo” (public)"), "{}", g.what);
        assert_eq!(g.link, "/groups/expose-jo");
        assert!(g.excerpt_html.contains("We look after the canal."), "{}", g.excerpt_html);
        assert_eq!(keys(&g), vec!["dismiss", "warn", "archive"]);
        assert_eq!(g.posted, None);
        let o = queue_item(&db, &mia, "org", oid, "impersonation").await;
        assert_eq!(o.category_label, "It pretends to be someone else (a person, an organisation, the council)");
        assert!(o.excerpt_html.contains("<strong>official</strong>") && o.excerpt_html.contains("https://council.example"), "{}", o.excerpt_html);
        assert_eq!(keys(&o), vec!["dismiss", "hide", "warn", "flag"]);
        // Nothing else fits: suspending "the author" of a group means nothing.
        for (item, wrong) in [(&g, "suspend"), (&g, "hide"), (&g, "flag"), (&o, "archive"), (&o, "restore"), (&o, "ban")] {
            let r = moderation::act(&db, mail, &mia, item.report.id, &ActionForm { action: wrong.into(), note: "No.".into(), days: "3".into(), ..Default::default() }).await;
            assert!(is_invalid(&r, "action", "does not apply"), "{wrong}: {r:?}");
        }
        // Archiving and flagging need a note to the hosts or admins.
        assert!(is_invalid(&moderation::act(&db, mail, &mia, g.report.id, &action("archive", "")).await, "note", ""));
        // And "archive" and "flag" apply to nothing else.
        let person_report = { moderation::report(&db, &bea, &report_person("hal")).await.unwrap(); item(&db, &mia, "person", hal.id, "harassment").await };
        assert!(is_invalid(&moderation::act(&db, mail, &mia, person_report, &action("archive", "No.")).await, "action", "does not apply"));

        // Max works for the organisation: it is in his queue, marked, and he may not decide it.
        let his = queue_item(&db, &max, "org", oid, "impersonation").await;
        assert!(his.about_actor);
        let r = moderation::act(&db, mail, &max, his.report.id, &action("dismiss", "")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::YOUR_PLACE), "{r:?}");

        // Oz edits the description after Mia's page showed it: her decision changes nothing.
        let was = o.version.clone();
        let edit = OrgForm { description: "The council, really.".into(), ..form.clone() };
        orgs::edit(&db, &s, &oz, &slug, &edit).await.unwrap();
        let r = moderation::act_seen(&db, mail, &mia, o.report.id, &action("hide", "Not the council."), &was).await;
        assert!(is_invalid(&r, "action", "It changed since you opened the page"), "{r:?}");
        assert_eq!(store::org_marks(&db, oid).await.unwrap(), store::OrgMarks::default());
        // A dismissal closes every report about it and tells each reporter.
        moderation::act(&db, mail, &mia, o.report.id, &action("dismiss", "")).await.unwrap();
        assert_eq!(told(&db, &bea, "A moderator looked at it and decided no action was needed").await, 1);
        assert_eq!(told(&db, &max, "A moderator looked at it and decided no action was needed").await, 1);
        assert!(!moderation::queue(&db, &mia).await.unwrap().iter().any(|q| q.report.target_kind == "org"));
    }
}

/// Archiving a reported group archives it as its hosts would and holds it
/// so: it takes nothing new, its page says the moderators archived it, its
/// hosts are told and may ask for a review, which only instance moderators
/// answer. A review that keeps it archived is answered; "restore" opens it
/// again. The log keeps each decision; the public log shows a public
/// group's entries to everyone.
#[tokio::test]
async fn moderators_archive_a_group_and_only_they_open_it_again() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (mia, hal, ann, bea, kit) = (admin(&db, "mia").await, person(&db, "hal").await, person(&db, "ann").await, person(&db, "bea").await, person(&db, "kit").await);
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: true, pause_words: String::new(), review_first: "0".into() }).await.unwrap();
        let gid = purpose_group(&db, &s, &hal, "expose-jo", "public", &[&ann]).await;
        moderation::report(&db, &bea, &report_place("group", "expose-jo", "harassment")).await.unwrap();
        // Nothing to review yet.
        assert!(forbidden_says(&moderation::report(&db, &hal, &review_of("group", "expose-jo")).await, moderation::REVIEW_NOTHING));

        let g = queue_item(&db, &mia, "group", gid, "harassment").await;
        let done = moderation::act_seen(&db, mail, &mia, g.report.id, &action("archive", "This group targets a neighbour."), &g.version).await.unwrap();
        assert!(done.starts_with("Done."), "{done}");
        let row = meetinghouse_store::groups::by_id(&db, gid).await.unwrap().unwrap();
        assert!(row.archived_at.is_some());
        assert_eq!(store::group_held(&db, gid).await.unwrap(), row.archived_at);
        assert!(matches!(groups::join(&db, &s, &kit, "expose-jo").await, Err(CoreError::Forbidden(_))), "it takes nothing new");
        assert_eq!(told(&db, &hal, "The meeting house's moderators archived your group “Group expose-jo”").await, 1);
        assert_eq!(told(&db, &hal, "Why: This group targets a neighbour.").await, 1);
        assert_eq!(told(&db, &ann, "archived your group").await, 0, "members are not its hosts");
        assert_eq!(told(&db, &bea, "Thank you for your report. A moderator archived the group.").await, 1);
        let marks = moderation::group_page_marks(&db, &row, Some(&hal)).await.unwrap();
        assert!(marks.held && marks.may_ask_review && marks.report_link.is_none(), "{marks:?}");
        assert_eq!(marks.notices, vec!["The meeting house's moderators archived this group: only they can open it again.".to_string()]);
        let marks = moderation::group_page_marks(&db, &row, Some(&kit)).await.unwrap();
        assert!(!marks.may_ask_review && marks.report_link.as_deref() == Some("/report?kind=group&target=expose-jo"), "{marks:?}");
        assert!(moderation::group_page_marks(&db, &row, None).await.unwrap().report_link.is_none(), "signed out: no link");
        let entries = moderation::log_page(&db, None, 0).await.unwrap().entries;
        let entry = entries.iter().find(|e| e.row.target_kind == "group").expect("in the public log");
        assert_eq!((entry.row.action.as_str(), entry.what.as_str(), entry.link.as_str()), ("archive", "the group “Group expose-jo”", "/groups/expose-jo"));

        // Hal asks for a review; only a host may, once at a time.
        assert!(forbidden_says(&moderation::report(&db, &ann, &review_of("group", "expose-jo")).await, "Only the group's hosts"));
        moderation::report(&db, &hal, &review_of("group", "expose-jo")).await.unwrap();
        let twice = moderation::report(&db, &hal, &review_of("group", "expose-jo")).await;
        assert!(matches!(&twice, Err(CoreError::Invalid(e)) if e.get("details") == Some(moderation::REVIEW_WAITING)), "{twice:?}");
        let review = queue_item(&db, &mia, "group", gid, moderation::REVIEW_REQUEST).await;
        assert_eq!(review.report.details, "Please look again.");
        assert_eq!(keys(&review), vec!["dismiss", "restore", "warn"]);
        // It stays archived: Hal hears so.
        moderation::act_seen(&db, mail, &mia, review.report.id, &action("dismiss", "It still targets her."), &review.version).await.unwrap();
        assert_eq!(told(&db, &hal, "A moderator looked again at “Group expose-jo”, as you asked, and what the moderators did stays. Why: It still targets her.").await, 1);
        assert!(store::group_held(&db, gid).await.unwrap().is_some());
        // Asked again, it is opened again.
        moderation::report(&db, &hal, &review_of("group", "expose-jo")).await.unwrap();
        let review = queue_item(&db, &mia, "group", gid, moderation::REVIEW_REQUEST).await;
        moderation::act_seen(&db, mail, &mia, review.report.id, &action("restore", ""), &review.version).await.unwrap();
        let row = meetinghouse_store::groups::by_id(&db, gid).await.unwrap().unwrap();
        assert_eq!((row.archived_at, store::group_held(&db, gid).await.unwrap()), (None, None));
        assert_eq!(told(&db, &hal, "opened your group “Group expose-jo” again").await, 1);
        groups::join(&db, &s, &kit, "expose-jo").await.expect("open for new members again");
        assert_eq!((logged(&db, &mia, "archive").await, logged(&db, &mia, "restore").await, logged(&db, &mia, "dismiss").await), (1, 1, 1));
        assert!(!moderation::group_page_marks(&db, &row, Some(&hal)).await.unwrap().held);
        // A hold older than the group's latest archiving is spent: its hosts' own archiving is theirs.
        groups::archive(&db, &hal, "expose-jo").await.unwrap();
        db.execute_admin(&format!("UPDATE community_groups SET moderators_archived_at = 1 WHERE id = {gid}")).await.unwrap();
        assert_eq!(store::group_held(&db, gid).await.unwrap(), None);
        assert!(groups::unarchive(&db, &hal, "expose-jo").await.unwrap());
    }
}

/// Hiding a reported organisation's description and website takes them off
/// its page ("removed by the moderators"); flagging it says on its page that
/// the moderators could not confirm it is who its name says. Its admins are
/// told and may ask for a review; "restore" undoes both.
#[tokio::test]
async fn moderators_hide_an_organisations_words_and_flag_it() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (mia, oz, ida, bea) = (admin(&db, "mia").await, person(&db, "oz").await, person(&db, "ida").await, person(&db, "bea").await);
        let form = OrgForm { name: "Tiverton Town Council".into(), sector: "local_government".into(), description: "Pay your parking fines here.".into(), website: "https://pay-fines.example".into(), ..Default::default() };
        let slug = orgs::create(&db, &s, &oz, &form).await.unwrap();
        orgs::invite(&db, &oz, &slug, "ida", "admin").await.unwrap();
        orgs::accept(&db, &ida, &slug).await.unwrap();
        let oid = meetinghouse_store::orgs::by_slug(&db, &slug).await.unwrap().unwrap().id;
        moderation::report(&db, &bea, &report_place("org", &slug, "impersonation")).await.unwrap();

        let o = queue_item(&db, &mia, "org", oid, "impersonation").await;
        moderation::act_seen(&db, mail, &mia, o.report.id, &action("hide", "A parking scam."), &o.version).await.unwrap();
        let mut page = orgs::page(&db, &slug, Some(&bea)).await.unwrap();
        let marks = moderation::org_page_marks(&db, &mut page, Some(&bea)).await.unwrap();
        assert!(marks.words_hidden && page.description_html.is_empty() && page.org.website.is_empty() && page.org.description.is_empty());
        assert_eq!(marks.notices, vec!["The moderators removed this organisation's description and website.".to_string()]);
        assert!(!marks.may_ask_review && marks.report_link.is_some());
        for admin in [&oz, &ida] {
            assert_eq!(told(&db, admin, "hid the description and website of “Tiverton Town Council”").await, 1, "{}", admin.handle);
        }
        assert_eq!(told(&db, &bea, "A moderator hid the organisation's description and website.").await, 1);
        // What its admins write now stays hidden until the moderators look again.
        orgs::edit(&db, &s, &oz, &slug, &OrgForm { description: "Pay here instead.".into(), ..form.clone() }).await.unwrap();
        let mut page = orgs::page(&db, &slug, None).await.unwrap();
        assert!(moderation::org_page_marks(&db, &mut page, None).await.unwrap().report_link.is_none());
        assert!(page.description_html.is_empty());

        // Reported again, it is flagged too.
        moderation::report(&db, &bea, &report_place("org", &slug, "impersonation")).await.unwrap();
        let o = queue_item(&db, &mia, "org", oid, "impersonation").await;
        assert_eq!(keys(&o), vec!["dismiss", "restore", "warn", "flag"]);
        assert!(o.excerpt_html.contains("Pay here instead."), "moderators read the hidden words: {}", o.excerpt_html);
        moderation::act_seen(&db, mail, &mia, o.report.id, &action("flag", "Not the council."), &o.version).await.unwrap();
        let mut page = orgs::page(&db, &slug, Some(&ida)).await.unwrap();
        let marks = moderation::org_page_marks(&db, &mut page, Some(&ida)).await.unwrap();
        assert!(marks.notices.iter().any(|n| n.contains("could not confirm that this organisation is who its name says")), "{marks:?}");
        assert!(marks.may_ask_review && marks.report_link.is_none(), "an admin asks for a review, never reports it");
        assert_eq!(told(&db, &ida, "flagged “Tiverton Town Council”").await, 1);

        // Ida asks for a review; Mia takes both marks off.
        assert!(forbidden_says(&moderation::report(&db, &bea, &review_of("org", &slug)).await, "Only the organisation's admins"));
        moderation::report(&db, &ida, &review_of("org", &slug)).await.unwrap();
        let review = queue_item(&db, &mia, "org", oid, moderation::REVIEW_REQUEST).await;
        let restore = review.choices.iter().find(|(k, _)| *k == "restore").unwrap();
        assert_eq!(restore.1, "Restore it: show its description and website again, and take the flag off");
        moderation::act_seen(&db, mail, &mia, review.report.id, &action("restore", ""), &review.version).await.unwrap();
        assert_eq!(store::org_marks(&db, oid).await.unwrap(), store::OrgMarks::default());
        let mut page = orgs::page(&db, &slug, Some(&bea)).await.unwrap();
        let marks = moderation::org_page_marks(&db, &mut page, Some(&bea)).await.unwrap();
        assert!(marks.notices.is_empty() && page.description_html.contains("Pay here instead."));
        assert_eq!(told(&db, &oz, "took back what they had done").await, 1);
        assert_eq!((logged(&db, &mia, "hide").await, logged(&db, &mia, "flag").await, logged(&db, &mia, "restore").await), (1, 1, 1));
        assert!(matches!(&moderation::report(&db, &ida, &review_of("org", &slug)).await, Err(CoreError::Forbidden(m)) if m == moderation::REVIEW_NOTHING));
    }
}

/// "Remove everything they have posted" hides a person's amendments and
/// objections as a single decision about each does: an open amendment is
/// withdrawn (those who objected are told), an adopted one keeps its text
/// and only its reason is hidden, an objection's reason is hidden and it is
/// not withdrawn (a banned person's objection stops counting through their
/// account's status). The reports about them are closed, their reporters
/// told once; the count, the log and the author's one message name them.
#[tokio::test]
async fn removing_everything_posted_covers_amendments_and_objections() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (mia, hal, sam, tara, bea) = (admin(&db, "mia").await, person(&db, "hal").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "bea").await);
        let gid = purpose_group(&db, &s, &hal, "canal-friends", "public", &[&sam, &tara]).await;
        let adopted = propose(&db, mail, &sam, "canal-friends", "We look after the canal and its herons.", "Herons, and Hal never helps.").await;
        assert_eq!(purposes::settle(&db, mail, adopted, meetinghouse_store::now() + purposes::WINDOW_SECS + 60).await.unwrap(), Some(purposes::Outcome::Adopted { version: 2 }));
        let open = propose(&db, mail, &sam, "canal-friends", "We look after the canal, and Tara stays away.", "Tara is a menace.").await;
        object_to(&db, mail, &tara, "canal-friends", open, "This is about me.").await;
        let taras = propose(&db, mail, &tara, "canal-friends", "We look after the canal and its towpath.", "Towpath.").await;
        let objection = object_to(&db, mail, &sam, "canal-friends", taras, "Tara should move away.").await;
        let r = conversations::post(&db, mail, &sam, Subject::Group(gid), &reply("Tara, leave.")).await.unwrap();
        moderation::report(&db, &tara, &report_reply(r, "harassment")).await.unwrap();
        moderation::report(&db, &bea, &report_words("objection", objection)).await.unwrap();

        let item = queue_item(&db, &mia, "reply", r, "harassment").await;
        assert_eq!(item.posted, Some((0, 1)));
        assert_eq!(item.posted_all, Some(store::Posted { stories: 0, replies: 1, amendments: 2, objections: 1 }));
        assert_eq!(item.posted_words(), Some(("1 reply, 2 amendments and 1 objection".to_string(), true)));
        let ban = ActionForm { action: "ban".into(), note: "Targeting a member.".into(), remove_all: true, ..Default::default() };
        let done = moderation::act_seen(&db, mail, &mia, item.report.id, &ban, &item.version).await.unwrap();
        assert!(done.contains("Everything they had posted was removed too: 1 reply, 2 amendments and 1 objection."), "{done}");

        let open_row = meetinghouse_store::purposes::amendment(&db, open).await.unwrap().unwrap();
        assert_eq!(open_row.state, "withdrawn");
        assert!(open_row.hidden_at.is_some() && open_row.hidden_at == open_row.settled_at, "withdrawn by the moderators");
        let adopted_row = meetinghouse_store::purposes::amendment(&db, adopted).await.unwrap().unwrap();
        assert_eq!(adopted_row.state, "adopted");
        assert!(adopted_row.hidden_at.is_some());
        let p = purposes::page(&db, &s, "canal-friends", Some(&tara)).await.unwrap();
        assert_eq!((p.current.version, p.current.text.as_str()), (2, "We look after the canal and its herons."), "an adoption is never undone");
        let page = purposes::amendment_page(&db, &s, "canal-friends", adopted, Some(&tara)).await.unwrap();
        assert!(page.why_html.is_empty() && page.proposed_html.contains("herons"));
        let o = meetinghouse_store::purposes::objection(&db, objection).await.unwrap().unwrap();
        assert!(o.hidden_at.is_some() && o.withdrawn_at.is_none(), "hidden, not withdrawn");
        assert_eq!(meetinghouse_store::purposes::amendment(&db, taras).await.unwrap().unwrap().state, "open", "Tara's amendment stays open");
        assert_eq!(told(&db, &tara, "was withdrawn: the moderators removed its words").await, 1, "who objected hears what became of it");
        assert_eq!(told(&db, &bea, "Thank you for your report.").await, 1, "the objection's reporter is told once");
        assert_eq!(told(&db, &tara, "Thank you for your report.").await, 1);
        assert!(moderation::queue(&db, &mia).await.unwrap().is_empty(), "every report about what was removed is closed");
        let told_sam = notifications::list(&db, &sam, 0).await.unwrap();
        assert_eq!(told_sam.iter().filter(|n| n.text.contains("removed everything you had posted: 1 reply, 2 amendments and 1 objection")).count(), 1, "{told_sam:?}");
        assert_eq!(told_sam.iter().filter(|n| n.text.contains("A moderator removed the")).count(), 0, "told once, not per item");
        let entry = moderation::log(&db, Some(&mia), 0).await.unwrap().into_iter().find(|e| e.row.action == "remove-all").unwrap();
        assert_eq!(entry.row.note, "Removed everything they had posted: 1 reply, 2 amendments and 1 objection.");
        assert_eq!(store::posted_counts(&db, sam.id).await.unwrap().total(), 0);

        let lifted = moderation::lift(&db, mail, &mia, sam.id, "Apologised.").await.unwrap();
        assert!(lifted.contains("(1 reply, 2 amendments and 1 objection) stays removed"), "{lifted}");
        assert!(meetinghouse_store::purposes::objection(&db, objection).await.unwrap().unwrap().hidden_at.is_some());
    }
}

/// The author of an amendment or an objection whose words the moderators
/// hid asks them to look again, as a removed story's author does: only the
/// author, once at a time, and never for an amendment the moderators
/// withdrew (it does not open again). A review that keeps them hidden is
/// answered; "restore" shows them again and changes nothing else.
#[tokio::test]
async fn authors_ask_for_a_review_of_hidden_words() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (mia, hal, sam, tara, una, bea) =
            (admin(&db, "mia").await, person(&db, "hal").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "una").await, person(&db, "bea").await);
        purpose_group(&db, &s, &hal, "canal-friends", "public", &[&sam, &tara, &una]).await;
        let adopted = propose(&db, mail, &sam, "canal-friends", "We look after the canal and its herons.", "Herons, and Hal never helps.").await;
        purposes::settle(&db, mail, adopted, meetinghouse_store::now() + purposes::WINDOW_SECS + 60).await.unwrap();
        let open = propose(&db, mail, &sam, "canal-friends", "We look after the canal and its towpath.", "Una is a menace.").await;
        let o = object_to(&db, mail, &tara, "canal-friends", open, "Sam should move away.").await;
        object_to(&db, mail, &una, "canal-friends", open, "Cyclists.").await;
        for (kind, id) in [("amendment", adopted), ("amendment", open), ("objection", o)] {
            moderation::report(&db, &bea, &report_words(kind, id)).await.unwrap();
            let it = queue_item(&db, &mia, kind, id, "harassment").await;
            moderation::act_seen(&db, mail, &mia, it.report.id, &action("hide", "Be kind."), &it.version).await.unwrap();
        }
        let ask = |kind: &str, id: i64| review_of(kind, &id.to_string());

        // Only the author, only hidden words, never a withdrawn amendment.
        assert!(forbidden_says(&moderation::report(&db, &bea, &ask("objection", o)).await, "Only the author"));
        assert!(forbidden_says(&moderation::report(&db, &sam, &ask("amendment", open)).await, moderation::WITHDRAWN_FOR_GOOD));
        let shown = meetinghouse_store::purposes::objections(&db, open).await.unwrap().into_iter().find(|x| x.person_id == una.id).unwrap().id;
        assert!(forbidden_says(&moderation::report(&db, &una, &ask("objection", shown)).await, "Only words the moderators removed"));
        assert!(matches!(moderation::report(&db, &bea, &ask("objection", 999_999)).await, Err(CoreError::NotFound)));

        // Tara asks; Mia keeps her reason hidden; Tara hears so, and may ask again.
        moderation::report(&db, &tara, &ask("objection", o)).await.unwrap();
        let twice = moderation::report(&db, &tara, &ask("objection", o)).await;
        assert!(matches!(&twice, Err(CoreError::Invalid(e)) if e.get("details") == Some(moderation::REVIEW_WAITING)), "{twice:?}");
        let review = queue_item(&db, &mia, "objection", o, moderation::REVIEW_REQUEST).await;
        assert_eq!(review.category_label, "The author of an objection asks for a review of the reason the moderators hid");
        assert_eq!(keys(&review), vec!["dismiss", "restore", "warn", "suspend", "ban"]);
        moderation::act_seen(&db, mail, &mia, review.report.id, &action("dismiss", "It names Sam."), &review.version).await.unwrap();
        assert_eq!(told(&db, &tara, "A moderator looked again at the reason of your objection to amendment").await, 1);
        assert_eq!(told(&db, &tara, "and it stays hidden. Why: It names Sam.").await, 1);
        assert_eq!(told(&db, &tara, "Thank you for your report").await, 0, "a review request is no report of hers");
        moderation::report(&db, &tara, &ask("objection", o)).await.unwrap();
        let review = queue_item(&db, &mia, "objection", o, moderation::REVIEW_REQUEST).await;
        moderation::act_seen(&db, mail, &mia, review.report.id, &action("restore", ""), &review.version).await.unwrap();
        let page = purposes::amendment_page(&db, &s, "canal-friends", open, Some(&bea)).await.unwrap();
        assert_eq!(page.objections.iter().find(|x| x.id == o).unwrap().reason, "Sam should move away.");
        assert_eq!(page.amendment.state, "withdrawn", "nothing else changes");
        assert_eq!(told(&db, &tara, "shows it again on its page").await, 1);

        // Sam asks about his adopted amendment's reason; Mia shows it again.
        moderation::report(&db, &sam, &ask("amendment", adopted)).await.unwrap();
        let review = queue_item(&db, &mia, "amendment", adopted, moderation::REVIEW_REQUEST).await;
        assert!(review.choices.iter().any(|(k, label)| *k == "restore" && label == "Show its reason again"), "{:?}", review.choices);
        // A decision from a page that showed another state changes nothing.
        let r = moderation::act_seen(&db, mail, &mia, review.report.id, &action("restore", ""), "not what was shown").await;
        assert!(is_invalid(&r, "action", "It changed since you opened the page"), "{r:?}");
        moderation::act_seen(&db, mail, &mia, review.report.id, &action("restore", ""), &review.version).await.unwrap();
        let page = purposes::amendment_page(&db, &s, "canal-friends", adopted, Some(&bea)).await.unwrap();
        assert!(!page.words_hidden() && page.why_html.contains("Hal never helps"));
        assert_eq!(told(&db, &sam, "A moderator looked again at the words of your amendment").await, 1);
        assert_eq!(logged(&db, &mia, "restore").await, 2);
    }
}

/// Migration 0043 rebuilds the reports table and the moderation log on
/// SQLite (and widens their CHECKs on PostgreSQL): every report stays with
/// its id, and the log and a story's removal still name the report they
/// came from.
async fn reports_through_0043(db: Db) {
    db.migrate_to(42).await.unwrap();
    let _later = LaterColumns::add(&db).await;
    let s = Settings::load(&db).await.unwrap();
    let mail = Mailer { settings: &s, base_url: "https://town.example" };
    let (mia, ann, bea) = (admin(&db, "mia").await, person(&db, "ann").await, person(&db, "bea").await);
    let subject = story(&db, &s, &ann).await;
    let story_id = story_id(subject);
    let r = conversations::post(&db, mail, &bea, subject, &reply("Nobody cares.")).await.unwrap();
    moderation::report(&db, &ann, &report_reply(r, "harassment")).await.unwrap();
    moderation::report(&db, &bea, &report_story(story_id, "spam")).await.unwrap();
    moderation::report(&db, &bea, &report_person("ann")).await.unwrap();
    let hidden = open_report(&db, "reply", r, "harassment").await;
    moderation::act(&db, mail, &mia, hidden, &action("hide", "Be kind.")).await.unwrap();
    let removed = open_report(&db, "story", story_id, "spam").await;
    moderation::act(&db, mail, &mia, removed, &action("hide", "Spam.")).await.unwrap();
    let open = open_report(&db, "person", ann.id, "harassment").await;
    let mut before = Vec::new();
    for id in 1..=open {
        before.push(format!("{:?}", store::report_by_id(&db, id).await.unwrap()));
    }
    let entries = |log: Vec<moderation::LogEntry>| log.into_iter().map(|e| (e.row.id, e.row.action, e.row.report_id, e.row.note)).collect::<Vec<_>>();
    let links = entries(moderation::log(&db, Some(&mia), 0).await.unwrap());
    assert_eq!(links.iter().map(|(_, a, r, _)| (a.clone(), *r)).collect::<Vec<_>>(), vec![("hide".to_string(), Some(removed)), ("hide".to_string(), Some(hidden))]);

    LaterColumns::drop(&db).await;
    db.migrate().await.unwrap_or_else(|e| panic!("0043 over stored reports: {e}"));

    let mut after = Vec::new();
    for id in 1..=open {
        after.push(format!("{:?}", store::report_by_id(&db, id).await.unwrap()));
    }
    assert_eq!(after, before, "every report kept, with its id");
    assert_eq!(entries(moderation::log(&db, Some(&mia), 0).await.unwrap()), links, "every entry kept, with its id, report and note");
    assert_eq!(store::story_removal(&db, story_id).await.unwrap().unwrap().report_id, Some(removed), "the removal still names its report");
    assert!(matches!(moderation::report(&db, &bea, &report_person("ann")).await, Err(CoreError::Invalid(_))), "one open report at a time");
    // And a group can be reported and archived now.
    let gid = purpose_group(&db, &s, &ann, "canal-friends", "public", &[]).await;
    moderation::report(&db, &bea, &report_place("group", "canal-friends", "harassment")).await.unwrap();
    let g = item(&db, &mia, "group", gid, "harassment").await;
    moderation::act(&db, mail, &mia, g, &action("archive", "No.")).await.unwrap();
    assert_eq!(logged(&db, &mia, "archive").await, 1);
    db.close().await;
}

#[tokio::test]
async fn migration_0043_keeps_reports_and_their_links() {
    let dir = meetinghouse_store::test_databases::temp_dir("mh_reports_0043");
    let options = meetinghouse_store::DbOptions { max_connections: 4 };
    reports_through_0043(Db::open_sqlite(&dir.join("test.db"), &options).await.unwrap()).await;
    if let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let url = meetinghouse_store::test_databases::create(&url, "mh_reports_0043").await.unwrap();
        reports_through_0043(Db::connect(&url, &options).await.unwrap()).await;
    }
}

// The admin and moderation review (fixadmin).

/// A reply the meeting house's moderators hid is theirs to look at again
/// (migration 0051), as a story they removed is: its author's review
/// request is in no host's queue, a host cannot restore it, and the
/// moderators' item says who hid it and why, and that the author edited it
/// only when they did. One a host hid goes back to the hosts.
#[tokio::test]
async fn a_reply_the_moderators_hid_is_theirs_to_look_at_again() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ops = admin(&db, "ops").await;
        let sophie = person(&db, "sophie").await;
        let laura = person(&db, "laura").await;
        let kit = person(&db, "kit").await;
        let gid = group(&db, &s, &sophie, "reading-circle").await;
        let hers = conversations::post(&db, mail, &laura, Subject::Group(gid), &reply("Only fools read crime novels.")).await.unwrap();
        moderation::report(&db, &kit, &report_reply(hers, "harassment")).await.unwrap();
        assert!(moderation::queue(&db, &sophie).await.unwrap().iter().any(|q| q.report.target_id == hers), "the host sees the report");
        let note = "This breaks the code of conduct.";
        moderation::act(&db, mail, &ops, item(&db, &ops, "reply", hers, "harassment").await, &action("hide", note)).await.unwrap();

        // Laura asks for a review without editing: only the moderators see it, and only they restore.
        moderation::request_review(&db, &laura, hers).await.unwrap();
        assert!(moderation::queue(&db, &sophie).await.unwrap().iter().all(|q| q.report.target_id != hers), "not in the host's queue");
        let review = item(&db, &ops, "reply", hers, "review-request").await;
        let r = moderation::act(&db, mail, &sophie, review, &action("restore", "")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(_))), "{r:?}");
        assert_eq!(reply_row(&db, hers).await.status, "hidden");
        let shown = moderation::queue(&db, &ops).await.unwrap().into_iter().find(|q| q.report.id == review).unwrap();
        assert_eq!(shown.category_label, "The author of a hidden reply asks for a review", "she did not edit it");
        let hidden = shown.hidden.clone().unwrap();
        assert!(hidden.starts_with("Hidden by the meeting house's moderators (@ops) on ") && hidden.contains(note), "{hidden}");
        let keys: Vec<&str> = shown.choices.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["dismiss", "restore", "warn", "suspend", "ban"]);

        // Kept hidden; she edits it and asks again: "edited", and still the moderators' only.
        moderation::act(&db, mail, &ops, review, &action("dismiss", "Still unkind.")).await.unwrap();
        conversations::edit(&db, &s, &laura, hers, "I prefer other books to crime novels.").await.unwrap();
        moderation::request_review(&db, &laura, hers).await.unwrap();
        assert!(moderation::queue(&db, &sophie).await.unwrap().is_empty());
        let again = moderation::queue(&db, &ops).await.unwrap().into_iter().find(|q| q.report.target_id == hers).unwrap();
        assert_eq!(again.category_label, "The author edited a hidden reply and asks for a review");
        moderation::act(&db, mail, &ops, again.report.id, &action("restore", "")).await.unwrap();
        assert_eq!(reply_row(&db, hers).await.status, "visible");
        assert!(store::reply_hiding(&db, hers).await.unwrap().is_none(), "shown again: nobody's hiding");

        // One the host hid goes back to the host, who sees it was theirs and may restore it.
        moderation::report(&db, &kit, &report_reply(hers, "spam")).await.unwrap();
        moderation::act(&db, mail, &sophie, item(&db, &ops, "reply", hers, "spam").await, &action("hide", "Off topic.")).await.unwrap();
        moderation::request_review(&db, &laura, hers).await.unwrap();
        let hosts = moderation::queue(&db, &sophie).await.unwrap();
        let theirs = hosts.iter().find(|q| q.report.target_id == hers).expect("the host's to look at again");
        assert!(theirs.hidden.as_deref().is_some_and(|h| h.starts_with("Hidden by a host (@sophie) on ") && h.contains("Off topic.")), "{:?}", theirs.hidden);
        moderation::act(&db, mail, &sophie, theirs.report.id, &action("restore", "")).await.unwrap();
        assert_eq!(reply_row(&db, hers).await.status, "visible");

        // What "remove everything" hid is the moderators' too.
        moderation::report(&db, &kit, &report_person("laura")).await.unwrap();
        let ban = ActionForm { action: "ban".into(), note: "Repeated abuse.".into(), remove_all: true, ..Default::default() };
        moderation::act(&db, mail, &ops, item(&db, &ops, "person", laura.id, "harassment").await, &ban).await.unwrap();
        assert_eq!(store::reply_hiding(&db, hers).await.unwrap().map(|h| (h.by_moderators, h.moderator)), Some((1, Some(ops.id))));
        moderation::request_review(&db, &laura, hers).await.unwrap();
        assert!(moderation::queue(&db, &sophie).await.unwrap().is_empty(), "not the host's to restore");
    }
}

/// Migration 0051 over replies hidden before it: each is the moderators'
/// unless the latest decision that hid it was a host's (someone who is not
/// an instance admin), and review requests already waiting about the
/// moderators' leave the hosts' queues.
#[tokio::test]
async fn migration_0051_says_who_hid_each_reply() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ops = admin(&db, "ops").await;
        let sophie = person(&db, "sophie").await;
        let laura = person(&db, "laura").await;
        let kit = person(&db, "kit").await;
        let gid = group(&db, &s, &sophie, "reading-circle").await;
        let by_ops = conversations::post(&db, mail, &laura, Subject::Group(gid), &reply("Only fools read crime novels.")).await.unwrap();
        let by_host = conversations::post(&db, mail, &laura, Subject::Group(gid), &reply("Buy my books at my shop.")).await.unwrap();
        for (id, who) in [(by_ops, &ops), (by_host, &sophie)] {
            moderation::report(&db, &kit, &report_reply(id, "harassment")).await.unwrap();
            moderation::act(&db, mail, who, item(&db, &ops, "reply", id, "harassment").await, &action("hide", "No.")).await.unwrap();
            moderation::request_review(&db, &laura, id).await.unwrap();
        }

        // Back to before 0051: no record, and the review requests scoped to the group as they were filed then.
        for sql in [
            "DROP TABLE reply_hidings".to_string(),
            "DELETE FROM _sqlx_migrations WHERE version = 51".to_string(),
            format!("UPDATE reports SET group_id = {gid} WHERE category = 'review-request'"),
        ] {
            db.execute_admin(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        db.migrate().await.unwrap_or_else(|e| panic!("0051 over stored replies: {e}"));

        let ops_hiding = store::reply_hiding(&db, by_ops).await.unwrap().unwrap();
        assert_eq!((ops_hiding.by_moderators, ops_hiding.moderator, ops_hiding.version), (1, Some(ops.id), None));
        let host_hiding = store::reply_hiding(&db, by_host).await.unwrap().unwrap();
        assert_eq!((host_hiding.by_moderators, host_hiding.moderator), (0, Some(sophie.id)));
        assert_eq!(targets(&db, &sophie).await, vec![by_host], "only the host's own hiding is in her queue");
        let shown = moderation::queue(&db, &ops).await.unwrap().into_iter().find(|q| q.report.target_id == by_ops).unwrap();
        assert_eq!(shown.category_label, "The author of a hidden reply asks for a review");
    }
}

/// A first contribution that waited for review and was hidden was never
/// shown to readers (its address is "not found"): the public log leaves
/// its entry out, note and all; the moderators see it. A published reply's
/// entry stays public, with its action in words.
#[tokio::test]
async fn the_public_log_leaves_out_replies_never_published() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        let subject = story(&db, &s, &ann).await;
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: true, pause_words: String::new(), review_first: "1".into() }).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let waiting = conversations::post(&db, mail, &bob, subject, &reply("Alice at 12 Mill Lane is a thief.")).await.unwrap();
        assert_eq!(reply_row(&db, waiting).await.status, "pending");
        let note = "Names a neighbour (Alice, Mill Lane).";
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", waiting, "first-contributions").await, &action("hide", note)).await.unwrap();
        // Bob's next one waits too (none was published); approved, then reported and hidden: that one is public.
        let second = conversations::post(&db, mail, &bob, subject, &reply("Sorry, I was angry.")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", second, "first-contributions").await, &action("approve", "")).await.unwrap();
        let third = conversations::post(&db, mail, &bob, subject, &reply("You are all idiots.")).await.unwrap();
        moderation::report(&db, &ann, &report_reply(third, "harassment")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", third, "harassment").await, &action("hide", "Be kind.")).await.unwrap();

        for viewer in [None, Some(&ann), Some(&bob)] {
            let page = moderation::log_page(&db, viewer, 0).await.unwrap();
            let shown: Vec<(i64, &str, &str)> = page.entries.iter().map(|e| (e.row.target_id, e.row.note.as_str(), e.done)).collect();
            assert_eq!(shown, vec![(third, "Be kind.", "Hidden"), (second, "", "Published after review")], "{viewer:?}");
        }
        let all = moderation::log(&db, Some(&mia), 0).await.unwrap();
        assert!(all.iter().any(|e| e.row.target_id == waiting && e.row.note == note), "the moderators see it");
    }
}

/// An instance admin is never suspended or banned from the queue: two
/// admins reporting and banning each other at once would leave none. The
/// moderator is told to have the operator demote them first; a warning
/// still goes. It is checked again in the decision's transaction, with the
/// person's row held: someone made an admin after the decision was checked
/// is not banned either.
#[tokio::test]
async fn admins_are_not_suspended_or_banned_from_the_queue() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let jo = admin(&db, "jo").await;
        let sam = admin(&db, "sam").await;
        let ann = person(&db, "ann").await;
        moderation::report(&db, &jo, &report_person("sam")).await.unwrap();
        moderation::report(&db, &sam, &report_person("jo")).await.unwrap();
        let (on_sam, on_jo) = (item(&db, &jo, "person", sam.id, "harassment").await, item(&db, &sam, "person", jo.id, "harassment").await);
        let (ban, suspension) = (action("ban", "Out."), suspend(30));
        let (a, b) = tokio::join!(moderation::act(&db, mail, &jo, on_sam, &ban), moderation::act(&db, mail, &sam, on_jo, &suspension));
        for r in [&a, &b] {
            assert!(is_invalid(r, "action", "one of the meeting house's admins") && is_invalid(r, "action", "meetinghouse admin demote"), "{r:?}");
        }
        assert_eq!((status(&db, &jo).await, status(&db, &sam).await), ("active".to_string(), "active".to_string()));
        assert_eq!(logged(&db, &jo, "ban").await + logged(&db, &jo, "suspend").await, 0);
        moderation::act(&db, mail, &jo, on_sam, &action("warn", "Please stop.")).await.expect("a warning goes");

        // Made an admin between the check and the carrying out: refused in the transaction.
        moderation::report(&db, &jo, &report_person("ann")).await.unwrap();
        let decided = moderation::decide(&db, &jo, item(&db, &jo, "person", ann.id, "harassment").await, &action("ban", "Out.")).await.unwrap();
        meetinghouse_store::people::set_admin(&db, ann.id, true).await.unwrap();
        let r = decided.apply(&db, mail).await;
        assert!(is_invalid(&r, "action", "one of the meeting house's admins"), "{r:?}");
        assert_eq!(status(&db, &ann).await, "active");
    }
}

/// The queue offers only the actions that can apply to an item as it is
/// (each other one would be refused as not applying): a reply readers see
/// is not published or restored; a hidden one is not published or hidden
/// again; one waiting for review is published or hidden (a suspension or a
/// ban hides it too); a person is not published, hidden or restored.
#[tokio::test]
async fn the_queue_offers_only_what_applies() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let subject = story(&db, &s, &ann).await;
        let visible = conversations::post(&db, mail, &bea, subject, &reply("Nobody asked you")).await.unwrap();
        let hidden = conversations::post(&db, mail, &bea, subject, &reply("You again?")).await.unwrap();
        moderation::report(&db, &cal, &report_reply(visible, "harassment")).await.unwrap();
        moderation::report(&db, &cal, &report_reply(hidden, "harassment")).await.unwrap();
        moderation::report(&db, &ann, &report_person("bea")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", hidden, "harassment").await, &action("hide", "Be kind.")).await.unwrap();
        moderation::request_review(&db, &bea, hidden).await.unwrap();
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: false, pause_words: String::new(), review_first: "1".into() }).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let dan = person(&db, "dan").await;
        let waiting = conversations::post(&db, mail, &dan, subject, &reply("Hello, I am new.")).await.unwrap();

        let queue = moderation::queue(&db, &mia).await.unwrap();
        let keys = |kind: &str, target: i64| -> Vec<&'static str> {
            queue.iter().find(|q| q.report.target_kind == kind && q.report.target_id == target).unwrap().choices.iter().map(|(k, _)| *k).collect()
        };
        assert_eq!(keys("reply", visible), ["dismiss", "hide", "warn", "suspend", "ban"]);
        assert_eq!(keys("reply", hidden), ["dismiss", "restore", "warn", "suspend", "ban"]);
        assert_eq!(keys("reply", waiting), ["approve", "hide", "suspend", "ban"]);
        assert_eq!(keys("person", bea.id), ["dismiss", "warn", "suspend", "ban"]);
        let on_bea = item(&db, &mia, "person", bea.id, "harassment").await;
        for what in ["approve", "hide", "restore"] {
            let r = moderation::act(&db, mail, &mia, on_bea, &action(what, "A note.")).await;
            assert!(is_invalid(&r, "action", "does not apply"), "{what}: {r:?}");
        }
    }
}

/// The queue lists the oldest 200 items and says how many more wait.
#[tokio::test]
async fn the_queue_says_how_many_more_wait() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let subject = story(&db, &s, &ann).await;
        let mut ids = Vec::new();
        for n in 0..203 {
            let id = conversations::post(&db, mail, &bea, subject, &reply(&format!("Reply number {n}"))).await.unwrap();
            // Filed as the store files them: one account files ten an hour (`REPORTS_PER_HOUR`).
            let mut tx = db.begin().await.unwrap();
            store::insert_report(&mut tx, Some(cal.id), "reply", id, "spam", "", None).await.unwrap();
            tx.commit().await.unwrap();
            ids.push(id);
        }
        let listed = moderation::queue_list(&db, &mia).await.unwrap();
        assert_eq!((listed.items.len() as i64, listed.more), (moderation::QUEUE_MAX, 3));
        assert_eq!(listed.items.iter().map(|q| q.report.target_id).collect::<Vec<_>>(), ids[..200], "the oldest first");
        moderation::act(&db, mail, &mia, listed.items[0].report.id, &action("dismiss", "")).await.unwrap();
        assert_eq!(moderation::queue_list(&db, &mia).await.unwrap().more, 2);
    }
}

/// A suspended or banned person cannot sign in to report or ask for a
/// review, so they are told how to reach the admins: the contact the
/// admins set, or else the About page (never "reply to this email"). A ban
/// says they cannot sign in any more, and never that they can ask for a
/// review of what was removed; a suspension longer than a removed story's
/// restore window says to write to the admins for a story.
#[tokio::test]
async fn a_suspended_or_banned_person_is_told_how_to_reach_the_admins() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let dan = person(&db, "dan").await;
        let eve = person(&db, "eve").await;
        let subject = story(&db, &s, &ann).await;
        for who in [&dan, &eve] {
            story(&db, &s, who).await;
            conversations::post(&db, mail, who, subject, &reply("Same old faces.")).await.unwrap();
        }
        let email_to = |who: &'static str| {
            let db = db.clone();
            async move {
                let mails = meetinghouse_store::outbox::recent(&db, 50).await.unwrap();
                mails.into_iter().filter(|m| m.to_addr == format!("{who}@example.org") && m.kind == "moderation").map(|m| m.body).collect::<Vec<_>>().join("\n---\n")
            }
        };

        // No contact set: the About page.
        moderation::report(&db, &ann, &report_person("dan")).await.unwrap();
        let ban = ActionForm { action: "ban".into(), note: "Repeated abuse.".into(), remove_all: true, ..Default::default() };
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", dan.id, "harassment").await, &ban).await.unwrap();
        let body = email_to("dan").await;
        assert!(body.contains("Repeated abuse.") && body.contains("You cannot sign in any more."), "{body}");
        assert!(body.contains("write to the admins of Meetinghouse: the About page (https://town.example/about) says how to reach them."), "{body}");
        assert!(!body.contains("Only you can still see them") && !body.contains("look again") && !body.contains("reply to this"), "{body}");

        // With a contact: it is named. A 60-day suspension outlasts a removed story's 30 days.
        let form = meetinghouse_core::settings::SettingsForm {
            name: "Canal Town".into(),
            code_of_conduct: "Be kind.".into(),
            registration: "open".into(),
            contact: "help@canal.example".into(),
            ..Default::default()
        };
        meetinghouse_core::settings::save(&db, &mia, &form).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        moderation::report(&db, &ann, &report_person("eve")).await.unwrap();
        let long = ActionForm { remove_all: true, ..suspend(60) };
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", eve.id, "harassment").await, &long).await.unwrap();
        let body = email_to("eve").await;
        assert!(body.contains("You cannot sign in until the suspension ends. If you think this is a mistake, write to the admins of Canal Town: help@canal.example."), "{body}");
        assert!(body.contains("1 story and 1 reply") && body.contains("for a story, write to the admins instead"), "{body}");
        let too_long = meetinghouse_core::settings::SettingsForm { contact: "x".repeat(201), ..form };
        let r = meetinghouse_core::settings::save(&db, &mia, &too_long).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("contact").is_some_and(|m| m.contains("at most 200"))), "{r:?}");
    }
}

// The moderation review (modfix34).

/// What was reported, and what the moderators hid, is kept as it read
/// (migration 0059), for whoever sees the report in the queue: a reply
/// retracted before anyone decided, or edited to something harmless after
/// it was hidden, still shows the moderators the words judged. A copy that
/// reads as the thing does now is not shown twice. The copies go when the
/// thing is removed for good: with its own reports, and by the hourly
/// purge for those another report's decision took.
#[tokio::test]
async fn the_words_reported_or_hidden_are_kept_for_the_moderators() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (hal, ann, bea, cal) = (person(&db, "hal").await, person(&db, "ann").await, person(&db, "bea").await, person(&db, "cal").await);
        let gid = group(&db, &s, &hal, "canal-friends").await;

        // Reported, then retracted before anyone decided: the words are gone from the reply, not from the queue.
        let gone = conversations::post(&db, mail, &bea, Subject::Group(gid), &reply("Cal, I know where you live.")).await.unwrap();
        moderation::report(&db, &cal, &report_reply(gone, "harassment")).await.unwrap();
        conversations::retract(&db, &bea, gone, "").await.unwrap();
        assert_eq!(reply_row(&db, gone).await.body, "");
        for who in [&mia, &hal] {
            let q = queue_item(&db, who, "reply", gone, "harassment").await;
            assert!(
                q.snapshots.iter().any(|(words, html)| words.starts_with("When it was reported") && html.contains("I know where you live")),
                "{}: {:?}",
                who.handle,
                q.snapshots
            );
        }

        // Hidden with a note, then edited to something harmless: the review request shows what was hidden.
        let edited = conversations::post(&db, mail, &bea, Subject::Group(gid), &reply("Everyone in this group is worthless.")).await.unwrap();
        moderation::report(&db, &ann, &report_reply(edited, "harassment")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "reply", edited, "harassment").await, &action("hide", "Please be kind.")).await.unwrap();
        conversations::edit(&db, &s, &bea, edited, "All fine.").await.unwrap();
        moderation::request_review(&db, &bea, edited).await.unwrap();
        let q = queue_item(&db, &mia, "reply", edited, moderation::REVIEW_REQUEST).await;
        assert!(q.excerpt_html.contains("All fine.") && !q.excerpt_html.contains("worthless"), "{}", q.excerpt_html);
        assert!(q.snapshots.iter().any(|(words, html)| words.starts_with("When it was hidden") && html.contains("is worthless")), "{:?}", q.snapshots);

        // A report about words unchanged since shows no copy.
        let plain = conversations::post(&db, mail, &bea, Subject::Group(gid), &reply("Buy my boat.")).await.unwrap();
        moderation::report(&db, &ann, &report_reply(plain, "spam")).await.unwrap();
        assert!(queue_item(&db, &mia, "reply", plain, "spam").await.snapshots.is_empty());

        // Removed for good: a reply on a story, reported, and hidden again with everything its author posted.
        let subject = story(&db, &s, &ann).await;
        // (The newest story keeps its row when purged, so one comes after it.)
        story(&db, &s, &cal).await;
        let on_story = conversations::post(&db, mail, &bea, subject, &reply("Nobody reads this rubbish.")).await.unwrap();
        moderation::report(&db, &cal, &report_reply(on_story, "harassment")).await.unwrap();
        let its_report = item(&db, &mia, "reply", on_story, "harassment").await;
        assert!(store::snapshot_of_report(&db, its_report).await.unwrap().is_some());
        moderation::report(&db, &cal, &report_person("bea")).await.unwrap();
        let ban = ActionForm { action: "ban".into(), note: "Enough.".into(), remove_all: true, ..Default::default() };
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", bea.id, "harassment").await, &ban).await.unwrap();
        assert!(store::last_hidden_snapshot(&db, "reply", on_story).await.unwrap().is_some_and(|snap| snap.body.contains("rubbish")));
        let old = meetinghouse_store::now() - 31 * DAY;
        db.execute_admin(&format!("UPDATE stories SET deleted_at = {old} WHERE id = {}", story_id(subject))).await.unwrap();
        assert_eq!(meetinghouse_store::stories::purge_deleted_before(&db, meetinghouse_store::now() - 30 * DAY).await.unwrap(), 1);
        assert!(moderation::purge_snapshots(&db).await.unwrap() >= 1);
        assert!(store::last_hidden_snapshot(&db, "reply", on_story).await.unwrap().is_none(), "the copy went with the reply");
        assert!(store::snapshot_of_report(&db, its_report).await.unwrap().is_none(), "and the one its own report kept, with the report");
    }
}

/// A flood of reports never hides an urgent one: reports that someone may
/// be at risk (or that share private details) come first, the queue filters
/// by category over every open report, an account files at most ten an
/// hour, counted in the database, and a moderator dismisses a flood at once,
/// each report as if on its own (one about themselves is left for another
/// moderator). The meeting house's moderators see what else a reporter
/// sent; nobody else learns who reported.
#[tokio::test]
async fn urgent_reports_come_first_and_a_flood_is_dealt_with_at_once() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (ann, bea, kit, hal) = (person(&db, "ann").await, person(&db, "bea").await, person(&db, "kit").await, person(&db, "hal").await);
        let spammers = [person(&db, "s0").await, person(&db, "s1").await, person(&db, "s2").await];
        let subject = story(&db, &s, &ann).await;
        let mut spam = Vec::new();
        for (n, who) in spammers.iter().cycle().take(12).enumerate() {
            let id = conversations::post(&db, mail, &bea, subject, &reply(&format!("Reply number {n}"))).await.unwrap();
            moderation::report(&db, who, &report_reply(id, "spam")).await.unwrap();
            spam.push(id);
        }
        let later = conversations::post(&db, mail, &bea, subject, &reply("Meet me after school and do not tell your mum.")).await.unwrap();
        moderation::report(&db, &kit, &report_reply(later, "safeguarding")).await.unwrap();

        let page = moderation::queue_page(&db, &mia, &moderation::QueueQuery::parse("", "1")).await.unwrap();
        assert_eq!((page.items[0].report.target_id, page.items[0].urgent), (later, true), "the urgent report first, whatever its age");
        assert_eq!(page.items.iter().filter(|q| q.urgent).count(), 1);
        assert_eq!(page.categories.first().map(|(c, _, n)| (*c, *n)), Some(("safeguarding", 1)));
        assert!(page.categories.iter().any(|(c, _, n)| *c == "spam" && *n == 12), "{:?}", page.categories);
        let only = moderation::queue_page(&db, &mia, &moderation::QueueQuery::parse_with("reply", "safeguarding", "1")).await.unwrap();
        assert_eq!((only.listed, only.items[0].report.target_id), (1, later));
        assert_eq!(moderation::QueueQuery::parse_with("reply", "safeguarding", "2").query_string(), "?kind=reply&category=safeguarding&page=2");
        assert_eq!(moderation::QueueQuery::parse_with("", "made-up", "1").category, None);

        // Ten an hour, counted in the database: nothing about this process remembers it.
        for id in &spam[..10] {
            moderation::report(&db, &hal, &report_reply(*id, "misleading")).await.unwrap();
        }
        let r = moderation::report(&db, &hal, &report_reply(later, "misleading")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::TOO_MANY_REPORTS), "{r:?}");
        let r = moderation::request_review(&db, &bea, spam[0]).await;
        assert!(r.is_err(), "not hidden: no review either way");
        db.execute_admin(&format!("UPDATE reports SET created_at = created_at - 3601 WHERE reporter = {}", hal.id)).await.unwrap();
        moderation::report(&db, &hal, &report_reply(later, "misleading")).await.expect("an hour on, they may report again");

        // Who reported is for the meeting house's moderators alone.
        let first = item(&db, &mia, "reply", spam[0], "spam").await;
        let q = queue_item(&db, &mia, "reply", spam[0], "spam").await;
        assert_eq!(q.by_reporter, Some((4, 4)));
        let theirs = moderation::reports_by_reporter(&db, &mia, first).await.unwrap();
        assert_eq!((theirs.all, theirs.open, theirs.reports.len()), (4, 4, 4));
        assert!(theirs.reporter.contains("@s0"), "{}", theirs.reporter);
        assert!(matches!(moderation::reports_by_reporter(&db, &ann, first).await, Err(CoreError::NotFound)));

        // A flood dismissed at once; a report about the moderator is left for another.
        moderation::report(&db, &ann, &report_person("mia")).await.unwrap();
        let about_mia = item(&db, &mia, "person", mia.id, "harassment").await;
        let mut ids: Vec<i64> = Vec::new();
        for id in &spam {
            ids.push(item(&db, &mia, "reply", *id, "spam").await);
        }
        ids.push(about_mia);
        let too_many: Vec<i64> = (1..=moderation::BULK_MAX as i64 + 1).collect();
        assert!(matches!(moderation::dismiss_many(&db, mail, &mia, &too_many, "").await, Err(CoreError::Invalid(_))));
        let done = moderation::dismiss_many(&db, mail, &mia, &ids, "A flood of spam reports.").await.unwrap();
        assert_eq!(done.done, 12);
        assert_eq!(done.left.len(), 1);
        assert_eq!(done.left[0].0, about_mia);
        assert!(done.left[0].1.contains("another moderator"), "{:?}", done.left);
        assert_eq!(told(&db, &spammers[1], "decided no action was needed").await, 4);
        assert_eq!(logged(&db, &mia, "dismiss").await, 12);
        let waiting: Vec<String> = moderation::queue(&db, &mia).await.unwrap().iter().map(|q| q.report.category.clone()).collect();
        assert!(waiting.contains(&"safeguarding".to_string()) && !waiting.contains(&"spam".to_string()), "{waiting:?}");
        // Someone who hosts nothing dismisses nothing.
        assert!(matches!(moderation::dismiss_many(&db, mail, &ann, &[item(&db, &mia, "reply", later, "safeguarding").await], "").await, Ok(d) if d.done == 0 && d.left.len() == 1));
    }
}

/// Common-ground statements, prompts and collection objects are reported
/// like replies: each reaches its hosts and the instance moderators
/// (migration 0059). A conversation's hosts take a statement out while it
/// is open; the meeting house's moderators also once it is closed. A
/// prompt's other hosts warn the person who opened it, who never sees the
/// report; an object's organisation staff withdraw it. A statement waiting
/// for its hosts (pre-moderation) is listed in their queue, not "nothing
/// is waiting".
#[tokio::test]
async fn statements_prompts_and_objects_are_reported_to_their_hosts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (sam, sid, ann, bea) = (person(&db, "sam").await, person(&db, "sid").await, person(&db, "ann").await, person(&db, "bea").await);
        let (slug, museum) = org(&db, &s, &sam, "Tiverton Museum", &[(&sid, "staff")]).await;
        use meetinghouse_core::common_ground::{self, ConversationForm, Participant};
        let form = ConversationForm { speak_as: format!("org:{slug}"), topic: "The old library".into(), seeds: "Keep it as a library.".into(), moderation: "pre".into(), ..Default::default() };
        let cid = common_ground::create(&db, &s, &sid, &form).await.unwrap();

        // Waiting for a host: in the museum's staff's queue.
        let as_ann = common_ground::load(&db, cid, Some(&ann)).await.unwrap();
        let added = common_ground::add_statement(&db, &s, &as_ann, &Participant::Person(&ann), "The staff there are all lazy thieves.").await.unwrap();
        let common_ground::Added::Pending(statement) = added else { panic!("{added:?}") };
        let waiting = moderation::queue_page(&db, &sam, &moderation::QueueQuery::default()).await.unwrap();
        assert_eq!((waiting.statements_waiting, waiting.statements[0].id, waiting.items.len()), (1, statement, 0));
        assert!(moderation::queue_page(&db, &mia, &moderation::QueueQuery::default()).await.unwrap().statements_waiting >= 1);
        let as_sid = common_ground::load(&db, cid, Some(&sid)).await.unwrap();
        common_ground::moderate(&db, &as_sid, statement, true).await.unwrap();
        assert_eq!(moderation::queue_page(&db, &sam, &moderation::QueueQuery::default()).await.unwrap().statements_waiting, 0);

        // Reported: never by its author; in the hosts' queue and the moderators'.
        let report = |kind: &str, id: i64| ReportForm { target_kind: kind.into(), target: id.to_string(), category: "harassment".into(), details: String::new() };
        assert!(matches!(moderation::report(&db, &ann, &report("statement", statement)).await, Err(CoreError::Forbidden(_))));
        moderation::report(&db, &bea, &report("statement", statement)).await.unwrap();
        for who in [&sid, &sam, &mia] {
            assert!(targets(&db, who).await.contains(&statement), "{}", who.handle);
        }
        // Closed: its hosts no longer take it out; the moderators do.
        common_ground::close(&db, &as_sid).await.unwrap();
        let about = item(&db, &mia, "statement", statement, "harassment").await;
        let r = moderation::act(&db, mail, &sid, about, &action("hide", "Not here.")).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::STATEMENT_CLOSED), "{r:?}");
        assert!(!keys(&queue_item(&db, &sid, "statement", statement, "harassment").await).contains(&"hide"));
        assert!(keys(&queue_item(&db, &mia, "statement", statement, "harassment").await).contains(&"hide"));
        moderation::act(&db, mail, &mia, about, &action("hide", "Name-calling.")).await.unwrap();
        let stored = meetinghouse_store::common_ground::statement(&db, statement).await.unwrap().unwrap();
        assert_eq!(stored.status, "rejected");
        assert_eq!(told(&db, &ann, "took your statement").await, 1);
        assert_eq!(told(&db, &bea, "took the statement out of the conversation").await, 1);

        // A prompt: its other hosts decide; the person who opened it is told, and never sees the report.
        let question = prompt(&db, &s, &sid, &format!("org:{slug}"), "", "Which object should we show next?").await;
        assert!(matches!(moderation::report(&db, &sam, &report("prompt", question)).await, Err(CoreError::Forbidden(m)) if m == moderation::OWN_PROMPT));
        moderation::report(&db, &bea, &report("prompt", question)).await.unwrap();
        assert!(!targets(&db, &sid).await.contains(&question), "not in the queue of the person who opened it");
        let about = item(&db, &sam, "prompt", question, "harassment").await;
        assert_eq!(keys(&queue_item(&db, &sam, "prompt", question, "harassment").await), vec!["dismiss", "warn"]);
        moderation::act(&db, mail, &sam, about, &action("warn", "Please keep prompts neutral.")).await.unwrap();
        assert_eq!(told(&db, &sid, "Please keep prompts neutral.").await, 1);

        // An object: its organisation's staff withdraw it.
        let bobbin = object(&db, museum, "1985/12", "Lace bobbin").await;
        assert!(matches!(moderation::report(&db, &sid, &report("object", bobbin)).await, Err(CoreError::Forbidden(m)) if m == moderation::OWN_OBJECT));
        moderation::report(&db, &bea, &report("object", bobbin)).await.unwrap();
        let about = item(&db, &sid, "object", bobbin, "harassment").await;
        moderation::act(&db, mail, &sid, about, &action("hide", "Not ours after all.")).await.unwrap();
        let o = meetinghouse_store::objects::by_id(&db, bobbin).await.unwrap().unwrap();
        assert_eq!((o.withdrawn(), o.withdrawn_how.as_str()), (true, meetinghouse_store::objects::BY_ORG));
        assert_eq!(told(&db, &sam, "withdrew the object “Lace bobbin”").await, 1);
        assert_eq!(told(&db, &bea, "withdrew the object from the collection").await, 1);
        assert!(matches!(moderation::report(&db, &ann, &report("object", bobbin)).await, Err(CoreError::Forbidden(_))), "no longer in the collection");
    }
}

/// Lifting a ban says so (not "the suspension"); a notification's mail has
/// its subject on one line, however many lines its text has.
#[tokio::test]
async fn lifting_a_ban_says_ban_and_subjects_stay_on_one_line() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (ann, bea) = (person(&db, "ann").await, person(&db, "bea").await);
        notifications::set_mode(&db, &bea, "immediate").await.unwrap();
        moderation::report(&db, &ann, &report_person("bea")).await.unwrap();
        let warning = ActionForm { action: "warn".into(), note: "First line.\r\nSecond line.\n\nThird.".into(), ..Default::default() };
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", bea.id, "harassment").await, &warning).await.unwrap();
        let mails = meetinghouse_store::outbox::recent(&db, 20).await.unwrap();
        let m = mails.iter().find(|m| m.to_addr == "bea@example.org" && m.kind == "notification").expect("the warning's mail");
        assert!(!m.subject.contains('\n') && !m.subject.contains('\r'), "{:?}", m.subject);
        assert!(m.subject.contains("First line. Second line. Third."), "{:?}", m.subject);

        moderation::report(&db, &ann, &report_person("bea")).await.unwrap();
        moderation::act(&db, mail, &mia, item(&db, &mia, "person", bea.id, "harassment").await, &action("ban", "Repeated abuse.")).await.unwrap();
        let done = moderation::lift(&db, mail, &mia, bea.id, "On appeal.").await.unwrap();
        assert!(done.starts_with("Lifted."), "{done}");
        assert_eq!(told(&db, &bea, "A moderator lifted the ban on your account").await, 1);
        assert_eq!(told(&db, &bea, "lifted the suspension").await, 0);
    }
}
