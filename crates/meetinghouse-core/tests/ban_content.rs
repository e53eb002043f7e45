//! "Remove everything they have posted" with a suspension, on every
//! configured backend: it goes only with a suspension or a ban; it removes
//! the person's stories (not a draft) and hides their replies, those
//! waiting for review too (whose review is then closed, never left
//! waiting), each as a single decision does it; the author hears once; the
//! log has the suspension and one `remove-all` entry, and no entry per
//! item; lifting the suspension says what stays removed and restores
//! nothing. Migration 0029, which allows that entry, keeps the log's
//! entries and their links to reports.

use meetinghouse_core::conversations;
use meetinghouse_core::moderation::{self, ActionForm, PolicyForm, ReportForm};
use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::{Actor, CoreError, Db};
use meetinghouse_store::Backend;

mod common;
use common::{admin, person, reply, story};

async fn logged(db: &Db, moderator: &Actor, what: &str) -> usize {
    moderation::log(db, Some(moderator), 0).await.unwrap().iter().filter(|e| e.row.action == what).count()
}

async fn reply_status(db: &Db, id: i64) -> String {
    meetinghouse_store::conversations::by_id(db, id).await.unwrap().unwrap().status
}

fn review_first(n: &str) -> PolicyForm {
    PolicyForm { public_log: false, pause_words: String::new(), review_first: n.into() }
}

#[tokio::test]
async fn a_suspension_removes_everything_posted_with_waiting_replies_hidden_and_one_message() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let on = story(&db, &s, &ann).await;

        // Bea's first reply waits and is published; her second is shown at once; then
        // the admins ask for more review, and her third waits.
        moderation::save_policy(&db, &mia, &review_first("1")).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let first = conversations::post(&db, mail, &bea, on, &reply("I walked there too.")).await.unwrap();
        let queue = moderation::queue(&db, &mia).await.unwrap();
        let waiting = queue.iter().find(|q| q.report.target_id == first).unwrap().report.id;
        moderation::act(&db, mail, &mia, waiting, &ActionForm { action: "approve".into(), ..Default::default() }).await.unwrap();
        let second = conversations::post(&db, mail, &bea, on, &reply("The lock keeper was rude to me.")).await.unwrap();
        moderation::save_policy(&db, &mia, &review_first("5")).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let third = conversations::post(&db, mail, &bea, on, &reply("And the ducks.")).await.unwrap();
        assert_eq!(
            (reply_status(&db, first).await, reply_status(&db, second).await, reply_status(&db, third).await),
            ("visible".into(), "visible".into(), "pending".into())
        );
        let form = StoryForm { title: "Ducks".into(), body: "Many ducks.".into(), licence: "cc0".into(), visibility: "public".into(), ..Default::default() };
        let shown = stories::create(&db, &s, &bea, &form).await.unwrap();
        let draft = StoryForm { visibility: "draft".into(), title: "Not yet".into(), ..form };
        let draft = stories::create(&db, &s, &bea, &draft).await.unwrap();
        let fields = ReportForm { target_kind: "reply".into(), target: second.to_string(), category: "harassment".into(), details: String::new() };
        moderation::report(&db, &ann, &fields).await.unwrap();
        let reported = moderation::queue(&db, &mia).await.unwrap();
        let item = reported.iter().find(|q| q.report.target_id == second).unwrap();
        assert_eq!(item.posted, Some((1, 3)), "the draft was never posted");
        let item = item.report.id;

        // Only with a suspension or a ban: with a hide it is refused, and nothing changes.
        let hide = ActionForm { action: "hide".into(), note: "Unkind.".into(), remove_all: true, ..Default::default() };
        let r = moderation::act(&db, mail, &mia, item, &hide).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("remove_all").is_some()), "{r:?}");
        assert_eq!(reply_status(&db, second).await, "visible");

        let suspend = ActionForm { action: "suspend".into(), note: "Unkind to staff.".into(), days: "7".into(), remove_all: true };
        let done = moderation::act(&db, mail, &mia, item, &suspend).await.unwrap();
        assert!(done.contains("Everything they had posted was removed too: 1 story and 3 replies."), "{done}");
        for id in [first, second, third] {
            let r = meetinghouse_store::conversations::by_id(&db, id).await.unwrap().unwrap();
            assert_eq!((r.status.as_str(), r.note.as_str()), ("hidden", "Unkind to staff."), "reply {id}");
        }
        let gone = meetinghouse_store::stories::by_id(&db, shown).await.unwrap().unwrap();
        assert!(gone.deleted_at.is_some());
        let removal = meetinghouse_store::moderation::story_removal(&db, shown).await.unwrap().expect("a moderators' removal");
        assert_eq!((removal.moderator, removal.report_id), (Some(mia.id), Some(item)));
        assert!(meetinghouse_store::stories::by_id(&db, draft).await.unwrap().unwrap().deleted_at.is_none());
        assert!(moderation::queue(&db, &mia).await.unwrap().is_empty(), "the waiting reply's review is closed, not left waiting");
        assert_eq!((logged(&db, &mia, "suspend").await, logged(&db, &mia, "remove-all").await, logged(&db, &mia, "hide").await), (1, 1, 0));
        let entry = moderation::log(&db, Some(&mia), 0).await.unwrap().into_iter().find(|e| e.row.action == "remove-all").unwrap();
        assert_eq!((entry.row.target_kind.as_str(), entry.row.target_id), ("person", bea.id));
        assert_eq!(entry.row.note, "Removed everything they had posted: 1 story and 3 replies.");
        let told = notifications::list(&db, &bea, 0).await.unwrap();
        let about = told.iter().filter(|n| n.text.contains("suspended") || n.text.contains("removed") || n.text.contains("hid")).count();
        assert_eq!(about, 1, "told once: {told:?}");

        // Lifting says what stays removed, and restores none of it.
        let lifted = moderation::lift(&db, mail, &mia, bea.id, "Apologised.").await.unwrap();
        assert!(lifted.contains("(1 story and 3 replies) stays removed"), "{lifted}");
        assert_eq!(reply_status(&db, second).await, "hidden");
        assert!(meetinghouse_store::stories::by_id(&db, shown).await.unwrap().unwrap().deleted_at.is_some());
    }
}

/// The log as it was before 0029, written to, then migrated: every entry
/// kept with its id and report, and `remove-all` entries allowed after.
#[tokio::test]
async fn migration_0029_keeps_the_log_and_allows_remove_all() {
    for db in meetinghouse_testkit::databases().await {
        // Back to the log's table before 0029 (still empty).
        let back: &[&str] = match db.backend() {
            Backend::Sqlite => &[
                "DROP TABLE moderation_actions",
                "CREATE TABLE moderation_actions (
                    id          INTEGER PRIMARY KEY,
                    moderator   INTEGER REFERENCES people(id) ON DELETE SET NULL,
                    report_id   INTEGER REFERENCES reports(id) ON DELETE SET NULL,
                    target_kind TEXT NOT NULL,
                    target_id   INTEGER NOT NULL,
                    action      TEXT NOT NULL CHECK (action IN ('dismiss', 'approve', 'hide', 'restore', 'warn', 'suspend', 'ban', 'lift')),
                    note        TEXT NOT NULL DEFAULT '',
                    until_at    INTEGER,
                    created_at  INTEGER NOT NULL
                )",
                "CREATE INDEX moderation_actions_time ON moderation_actions(id)",
                "DELETE FROM _sqlx_migrations WHERE version = 29",
            ],
            Backend::Postgres => &[
                "ALTER TABLE moderation_actions DROP CONSTRAINT moderation_actions_action_check",
                "ALTER TABLE moderation_actions ADD CONSTRAINT moderation_actions_action_check \
                 CHECK (action IN ('dismiss', 'approve', 'hide', 'restore', 'warn', 'suspend', 'ban', 'lift'))",
                "DELETE FROM _sqlx_migrations WHERE version = 29",
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
        let on = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &bea, on, &reply("Nobody asked you.")).await.unwrap();
        let fields = ReportForm { target_kind: "reply".into(), target: id.to_string(), category: "harassment".into(), details: String::new() };
        moderation::report(&db, &ann, &fields).await.unwrap();
        let item = moderation::queue(&db, &mia).await.unwrap()[0].report.id;
        moderation::act(&db, mail, &mia, item, &ActionForm { action: "warn".into(), note: "Be kind.".into(), ..Default::default() }).await.unwrap();
        assert!(db.execute_admin("INSERT INTO moderation_actions (target_kind, target_id, action, created_at) VALUES ('person', 1, 'remove-all', 1)").await.is_err());
        let entries = |log: Vec<moderation::LogEntry>| log.into_iter().map(|e| (e.row.id, e.row.action, e.row.report_id, e.row.note)).collect::<Vec<_>>();
        let before = entries(moderation::log(&db, Some(&mia), 0).await.unwrap());
        assert_eq!(before.len(), 1);

        db.migrate().await.unwrap_or_else(|e| panic!("0029 over a stored log: {e}"));

        assert_eq!(entries(moderation::log(&db, Some(&mia), 0).await.unwrap()), before, "every entry kept, with its id and report");
        moderation::report(&db, &ann, &fields).await.unwrap();
        let item = moderation::queue(&db, &mia).await.unwrap()[0].report.id;
        let ban = ActionForm { action: "ban".into(), note: "Again.".into(), remove_all: true, ..Default::default() };
        moderation::act(&db, mail, &mia, item, &ban).await.unwrap();
        assert_eq!(logged(&db, &mia, "remove-all").await, 1);
    }
}
