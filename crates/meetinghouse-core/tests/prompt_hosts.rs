//! Who hosts a prompt, and what its hosts may do, on every configured
//! backend. The person who opened a prompt hosts it only while they still
//! hold the role that let them open it (staff or admin of its organisation,
//! host of its group); the organisation's admins and the group's hosts host
//! it too. The queue (SQL), the actions and the subject's hosts (Rust), the
//! notifications of replies and the prompt's byline all follow that one
//! rule. A draft answer is not published as an answer once the prompt has
//! closed. Hosts edit a prompt and close it early; a changed question is
//! marked once stories answer it. An instance admin's prompt in their own
//! name is hosted by them while they are one, then by the instance admins.

use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::moderation::{self, ActionForm, ReportForm};
use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::prompts::{self, PromptEditForm, PromptForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::subjects::{self, Subject};
use meetinghouse_core::{Actor, CoreError, Db, conversations};

mod common;
use common::{admin, person, reply};

/// An organisation `admin` starts, with these people in these roles; its address.
async fn org(db: &Db, s: &Settings, admin: &Actor, name: &str, people: &[(&Actor, &str)]) -> String {
    let slug = orgs::create(db, s, admin, &OrgForm { name: name.into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
    for (who, role) in people {
        orgs::invite(db, admin, &slug, &who.handle, role).await.unwrap();
        orgs::accept(db, who, &slug).await.unwrap();
    }
    slug
}

/// A public, open group `host` starts, which `members` join.
async fn group(db: &Db, s: &Settings, host: &Actor, name: &str, slug: &str, members: &[&Actor]) {
    let form = GroupForm { name: name.into(), slug: slug.into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
    groups::create(db, s, host, &form).await.unwrap();
    for who in members {
        groups::join(db, s, who, slug).await.unwrap();
    }
}

async fn open_prompt(db: &Db, s: &Settings, host: &Actor, speak_as: &str, group: &str, question: &str) -> i64 {
    let form = PromptForm { speak_as: speak_as.into(), group: group.into(), question: question.into(), ..Default::default() };
    prompts::create(db, s, host, &form).await.unwrap()
}

fn answer(pid: i64, title: &str, visibility: &str) -> StoryForm {
    StoryForm { title: title.into(), body: "The roof leaks.".into(), licence: "cc0".into(), visibility: visibility.into(), prompt_id: pid.to_string(), ..Default::default() }
}

fn report_reply(id: i64) -> ReportForm {
    ReportForm { target_kind: "reply".into(), target: id.to_string(), category: "harassment".into(), details: String::new() }
}

fn dismiss() -> ActionForm {
    ActionForm { action: "dismiss".into(), ..Default::default() }
}

/// What a person's queue is about (reply ids), oldest report first; empty
/// when they have no queue.
async fn targets(db: &Db, who: &Actor) -> Vec<i64> {
    match moderation::queue(db, who).await {
        Ok(items) => items.iter().map(|q| q.report.target_id).collect(),
        Err(CoreError::Forbidden(_)) => Vec::new(),
        Err(other) => panic!("{}: {other:?}", who.handle),
    }
}

/// The open report about a reply, from an instance moderator's queue.
async fn report_about(db: &Db, mia: &Actor, reply: i64) -> i64 {
    moderation::queue(db, mia).await.unwrap().into_iter().find(|q| q.report.target_id == reply).unwrap().report.id
}

/// How many of a person's notifications say `says`.
async fn told(db: &Db, who: &Actor, says: &str) -> usize {
    notifications::list(db, who, 0).await.unwrap().iter().filter(|n| n.text.contains(says)).count()
}

/// Whether each of `people` hosts the subjects — by the queue (SQL), by
/// `decide` (Rust) and by `subjects::is_host` — exactly as `expected` says,
/// all three agreeing.
async fn hosting_agrees(db: &Db, mia: &Actor, people: &[(&Actor, bool)], subjects_: &[(Subject, i64)]) {
    for (subject, reply) in subjects_ {
        let info = subjects::resolve(db, *subject, Some(mia)).await.unwrap();
        let report = report_about(db, mia, *reply).await;
        for (who, expected) in people {
            let in_queue = targets(db, who).await.contains(reply);
            let hosts = subjects::is_host(db, &info, who.id).await.unwrap();
            let may_decide = moderation::decide(db, who, report, &dismiss()).await.is_ok();
            assert_eq!((in_queue, hosts, may_decide), (*expected, *expected, *expected), "{} for {subject:?} (queue, host, decide)", who.handle);
        }
    }
}

#[tokio::test]
async fn staff_who_opened_a_prompt_host_it_only_while_they_are_staff() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (sam, priya, mel, zed, ann, bea) =
            (person(&db, "sam").await, person(&db, "priya").await, person(&db, "mel").await, person(&db, "zed").await, person(&db, "ann").await, person(&db, "bea").await);
        let museum = org(&db, &s, &sam, "Tiverton Museum", &[(&priya, "staff"), (&mel, "staff")]).await;
        let question = "What needs fixing in your home?";
        let pid = open_prompt(&db, &s, &priya, &format!("org:{museum}"), "", question).await;
        let story = stories::create(&db, &s, &zed, &answer(pid, "The roof", "public")).await.unwrap();
        let on_prompt = conversations::post(&db, mail, &bea, Subject::Prompt(pid), &reply("Nothing, it is perfect.")).await.unwrap();
        let on_story = conversations::post(&db, mail, &bea, Subject::Story(story), &reply("A dull story.")).await.unwrap();
        for id in [on_prompt, on_story] {
            moderation::report(&db, &ann, &report_reply(id)).await.unwrap();
        }
        let reported = [(Subject::Prompt(pid), on_prompt), (Subject::Story(story), on_story)];

        // While Priya is staff: she and the museum's admin host it; other staff do not.
        hosting_agrees(&db, &mia, &[(&priya, true), (&sam, true), (&mel, false), (&zed, false)], &reported).await;
        assert_eq!(told(&db, &priya, &format!("replied to “{question}”")).await, 1, "the opener is told of a reply");
        let page = prompts::page(&db, pid, None).await.unwrap();
        assert_eq!((page.host_label.as_str(), page.host_link.as_str(), page.host_is_person), ("priya · Tiverton Museum", "/@priya", true));

        // Priya leaves the museum's staff: she hosts nothing of it any more.
        orgs::remove_member(&db, &sam, &museum, priya.id).await.unwrap();
        hosting_agrees(&db, &mia, &[(&priya, false), (&sam, true), (&mel, false)], &reported).await;
        let r = moderation::queue(&db, &priya).await;
        assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == moderation::NO_QUEUE), "no queue, no header link: {r:?}");
        let p = meetinghouse_store::prompts::by_id(&db, pid).await.unwrap().unwrap();
        assert!(!prompts::hosted_by(&db, &p, priya.id).await.unwrap());
        assert!(matches!(prompts::close(&db, &s, &priya, pid).await, Err(CoreError::Forbidden(_))), "nor may she close it");

        // A new reply on the prompt goes to its hosts now, not to her.
        let info = subjects::resolve(&db, Subject::Prompt(pid), None).await.unwrap();
        assert_eq!(info.owner_person, None);
        conversations::post(&db, mail, &bea, Subject::Prompt(pid), &reply("The stairs creak.")).await.unwrap();
        assert_eq!(told(&db, &priya, question).await, 1, "not told again");
        assert_eq!(told(&db, &sam, &format!("replied on “{question}”")).await, 1, "the museum's admin is");
        assert_eq!(told(&db, &mel, question).await, 0);

        // The byline names the museum alone.
        let page = prompts::page(&db, pid, None).await.unwrap();
        assert_eq!((page.host_label.as_str(), page.host_link.as_str(), page.host_is_person), ("Tiverton Museum", format!("/orgs/{museum}").as_str(), false));

        // The admin still acts on both reports.
        for (_, id) in reported {
            moderation::act(&db, mail, &sam, report_about(&db, &mia, id).await, &dismiss()).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_group_host_who_opened_a_prompt_hosts_it_only_while_they_host_the_group() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (kit, gina, lu, ann, bea) = (person(&db, "kit").await, person(&db, "gina").await, person(&db, "lu").await, person(&db, "ann").await, person(&db, "bea").await);
        group(&db, &s, &kit, "Knitters", "knitters", &[&gina, &lu, &ann, &bea]).await;
        groups::set_host(&db, &kit, "knitters", gina.id, true).await.unwrap();
        let question = "What was your first knit?";
        let pid = open_prompt(&db, &s, &kit, "self", "knitters", question).await;
        let story = stories::create(&db, &s, &lu, &answer(pid, "A scarf", "group:knitters")).await.unwrap();
        let on_prompt = conversations::post(&db, mail, &bea, Subject::Prompt(pid), &reply("Knitting is dull.")).await.unwrap();
        let on_story = conversations::post(&db, mail, &lu, Subject::Story(story), &reply("Mine unravelled.")).await.unwrap();
        for id in [on_prompt, on_story] {
            moderation::report(&db, &ann, &report_reply(id)).await.unwrap();
        }
        let reported = [(Subject::Prompt(pid), on_prompt), (Subject::Story(story), on_story)];
        hosting_agrees(&db, &mia, &[(&kit, true), (&gina, true), (&lu, false)], &reported).await;
        let page = prompts::page(&db, pid, Some(&lu)).await.unwrap();
        assert_eq!((page.host_label.as_str(), page.host_link.as_str()), ("kit · Knitters", "/@kit"));
        assert_eq!(page.for_group, Some(("knitters".to_string(), "Knitters".to_string())));

        // Kit steps down as host: Gina hosts it, Kit does not.
        groups::set_host(&db, &gina, "knitters", kit.id, false).await.unwrap();
        hosting_agrees(&db, &mia, &[(&kit, false), (&gina, true), (&lu, false)], &reported).await;
        assert!(matches!(moderation::queue(&db, &kit).await, Err(CoreError::Forbidden(_))));
        let page = prompts::page(&db, pid, Some(&lu)).await.unwrap();
        assert_eq!((page.host_label.as_str(), page.host_link.as_str(), page.host_is_person), ("Knitters", "/groups/knitters", false));
        let before = told(&db, &kit, question).await;
        conversations::post(&db, mail, &bea, Subject::Prompt(pid), &reply("Socks, with holes.")).await.unwrap();
        assert_eq!(told(&db, &kit, question).await, before, "a host no longer is not told");
        assert_eq!(told(&db, &gina, &format!("replied on “{question}”")).await, 1, "the group's host is");
    }
}

#[tokio::test]
async fn a_draft_answer_is_not_published_as_an_answer_after_the_prompt_closed() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, zed) = (person(&db, "sam").await, person(&db, "zed").await);
        let museum = org(&db, &s, &sam, "Tiverton Museum", &[]).await;
        let pid = open_prompt(&db, &s, &sam, &format!("org:{museum}"), "", "What needs fixing?").await;
        let draft = stories::create(&db, &s, &zed, &answer(pid, "Draft", "draft")).await.unwrap();
        let shown = stories::create(&db, &s, &zed, &answer(pid, "Shown", "public")).await.unwrap();
        let shown_then_draft = stories::create(&db, &s, &zed, &answer(pid, "Shown, then a draft", "public")).await.unwrap();
        stories::edit(&db, &s, &zed, shown_then_draft, &answer(pid, "Shown, then a draft", "draft")).await.unwrap();
        assert!(prompts::close(&db, &s, &sam, pid).await.unwrap());

        // Publishing the draft as an answer is refused in plain words; nothing changes.
        let r = stories::edit(&db, &s, &zed, draft, &answer(pid, "Draft, published", "public")).await;
        let Err(CoreError::Invalid(e)) = r else { panic!("published after the close: {r:?}") };
        let says = e.get("prompt_id").unwrap();
        assert!(says.contains("This prompt closed on") && says.contains("cannot be published as an answer"), "{says}");
        assert_eq!(meetinghouse_store::stories::by_id(&db, draft).await.unwrap().unwrap().visibility, "draft");
        // It can still be saved as a draft answer, or published without the prompt.
        stories::edit(&db, &s, &zed, draft, &answer(pid, "Draft, still", "draft")).await.unwrap();
        assert_eq!(meetinghouse_store::stories::by_id(&db, draft).await.unwrap().unwrap().prompt_id, Some(pid));
        stories::edit(&db, &s, &zed, draft, &StoryForm { prompt_id: String::new(), ..answer(pid, "On its own", "public") }).await.unwrap();
        let row = meetinghouse_store::stories::by_id(&db, draft).await.unwrap().unwrap();
        assert_eq!((row.visibility.as_str(), row.prompt_id), ("public", None));

        // Answers shown before the close are still edited as answers, and one
        // taken back to a draft may be shown again.
        stories::edit(&db, &s, &zed, shown, &answer(pid, "Shown, corrected", "public")).await.unwrap();
        stories::edit(&db, &s, &zed, shown_then_draft, &answer(pid, "Shown again", "public")).await.unwrap();
        for id in [shown, shown_then_draft] {
            let row = meetinghouse_store::stories::by_id(&db, id).await.unwrap().unwrap();
            assert_eq!((row.visibility.as_str(), row.prompt_id), ("public", Some(pid)));
        }
        // A new story cannot answer it at all.
        assert!(matches!(stories::create(&db, &s, &zed, &answer(pid, "Late", "draft")).await, Err(CoreError::Invalid(_))));
    }
}

/// `YYYY-MM-DD` of a moment on the meeting house's clock.
fn day(ts: i64) -> String {
    meetinghouse_core::clock::zone().day_of(ts).unwrap().format("%Y-%m-%d").to_string()
}

fn edit(question: &str, closes: &str, shown: &str) -> PromptEditForm {
    PromptEditForm { question: question.into(), description: "Tell us.".into(), closes: closes.into(), closes_shown: shown.into() }
}

#[tokio::test]
async fn hosts_edit_close_and_reopen_a_prompt() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let (sam, priya, mel, zed) = (person(&db, "sam").await, person(&db, "priya").await, person(&db, "mel").await, person(&db, "zed").await);
        let museum = org(&db, &s, &sam, "Tiverton Museum", &[(&priya, "staff"), (&mel, "staff")]).await;
        let pid = open_prompt(&db, &s, &priya, &format!("org:{museum}"), "", "What needs fixing?").await;
        let row = || async { meetinghouse_store::prompts::by_id(&db, pid).await.unwrap().unwrap() };

        // Only its hosts (and instance admins) may change it.
        for who in [&mel, &zed] {
            let r = prompts::edit(&db, &s, who, pid, &edit("Hijacked?", "", "")).await;
            assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == prompts::NOT_HOST), "{}: {r:?}", who.handle);
            assert!(matches!(prompts::close(&db, &s, who, pid).await, Err(CoreError::Forbidden(_))));
        }
        assert_eq!(row().await.question, "What needs fixing?");

        // Before any answer, a new question is not marked.
        prompts::edit(&db, &s, &priya, pid, &edit("What needs fixing in your home?", "", "")).await.unwrap();
        assert_eq!((row().await.question.as_str(), row().await.question_edited_at), ("What needs fixing in your home?", None));
        stories::create(&db, &s, &zed, &answer(pid, "The roof", "public")).await.unwrap();
        // The description alone: still not marked. The question: marked "edited".
        prompts::edit(&db, &s, &sam, pid, &edit("What needs fixing in your home?", "", "")).await.unwrap();
        assert_eq!(row().await.question_edited_at, None);
        prompts::edit(&db, &s, &mia, pid, &edit("What needs mending in your home?", "", "")).await.unwrap();
        assert!(row().await.question_edited_at.is_some());
        assert!(prompts::page(&db, pid, None).await.unwrap().question_edited.is_some());

        // Dates: a day on the meeting house's clock; a past one is refused, a bad one explained.
        let now = meetinghouse_store::now();
        let yesterday = day(now - 86_400);
        let r = prompts::edit(&db, &s, &priya, pid, &edit("What needs mending in your home?", &yesterday, "")).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("closes").is_some_and(|m| m.contains("already passed"))), "{r:?}");
        let r = prompts::edit(&db, &s, &priya, pid, &edit("What needs mending in your home?", "next week", "")).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("closes") == Some("Enter a date like 2026-03-31.")), "{r:?}");
        let in_a_week = day(now + 7 * 86_400);
        prompts::edit(&db, &s, &priya, pid, &edit("What needs mending in your home?", &in_a_week, "")).await.unwrap();
        assert_eq!(prompts::closes_field(&row().await), in_a_week, "closes after the day typed");
        assert!(prompts::accepting(&row().await, now).is_ok());

        // Closing now: no new answers; closing again changes nothing.
        assert!(prompts::close(&db, &s, &priya, pid).await.unwrap());
        let closed_at = row().await.closes_at.unwrap();
        assert!(closed_at <= meetinghouse_store::now());
        assert!(prompts::accepting(&row().await, meetinghouse_store::now()).is_err());
        assert!(!prompts::close(&db, &s, &sam, pid).await.unwrap());
        assert!(matches!(stories::create(&db, &s, &zed, &answer(pid, "Late", "public")).await, Err(CoreError::Invalid(_))));
        // Closed early today, the form shows today: saving it reopens the
        // prompt until the end of today (there is no other way to choose that).
        let shown = prompts::closes_field(&row().await);
        assert_eq!(shown, day(meetinghouse_store::now()));
        let saved = prompts::edit(&db, &s, &priya, pid, &edit("What needs mending in your home?", &shown, &shown)).await.unwrap();
        assert_eq!(saved, prompts::Saved::Reopened);
        assert!(row().await.closes_at.unwrap() > meetinghouse_store::now());
        assert_eq!(prompts::closes_field(&row().await), shown, "its last day is today");
        assert!(prompts::accepting(&row().await, meetinghouse_store::now()).is_ok());
        // Closed on an earlier day, an edit that leaves the closing date as
        // the form showed it keeps the moment stored (still closed).
        let yesterday_noon = meetinghouse_store::now() - 86_400;
        assert!(meetinghouse_store::prompts::close(&db, pid, yesterday_noon).await.unwrap());
        let shown = prompts::closes_field(&row().await);
        let saved = prompts::edit(&db, &s, &priya, pid, &edit("What needs mending in your home?", &shown, &shown)).await.unwrap();
        assert_eq!((saved, row().await.closes_at), (prompts::Saved::StillClosed, Some(yesterday_noon)));
        // Reopened by a later closing date, or none.
        let saved = prompts::edit(&db, &s, &priya, pid, &edit("What needs mending in your home?", "", &shown)).await.unwrap();
        assert_eq!((saved, row().await.closes_at), (prompts::Saved::Reopened, None));
        stories::create(&db, &s, &zed, &answer(pid, "The gate", "public")).await.unwrap();
        let saved = prompts::edit(&db, &s, &priya, pid, &edit("What needs mending in your home?", "", "")).await.unwrap();
        assert_eq!(saved, prompts::Saved::AsItWas);
    }
}

/// A members-only group's prompt opened in an organisation's voice: the
/// organisation's admin who is not in the group neither hosts it nor sees
/// its reports, nor is told of its replies (the reviewer's case); the staff
/// member who opened it hosts it only while they belong to the group.
#[tokio::test]
async fn nobody_outside_a_members_only_group_hosts_its_prompt() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (hana, kwame, nadia, oliver, stan) =
            (person(&db, "hana").await, person(&db, "kwame").await, person(&db, "nadia").await, person(&db, "oliver").await, person(&db, "stan").await);
        let exe = org(&db, &s, &nadia, "Exe Valley Housing", &[(&kwame, "staff")]).await;
        let form = GroupForm { name: "Residents' Voice".into(), slug: "residents-voice".into(), purpose: String::new(), visibility: "members".into(), join_policy: "invite".into() };
        groups::create(&db, &s, &hana, &form).await.unwrap();
        for who in [&kwame, &oliver, &stan] {
            groups::invite_person(&db, &hana, "residents-voice", &who.handle).await.unwrap();
            groups::join(&db, &s, who, "residents-voice").await.unwrap();
        }
        let question = "What should the landlord fix first?";
        let pid = open_prompt(&db, &s, &kwame, &format!("org:{exe}"), "residents-voice", question).await;
        let story = stories::create(&db, &s, &oliver, &answer(pid, "The damp", "group:residents-voice")).await.unwrap();
        let on_prompt = conversations::post(&db, mail, &oliver, Subject::Prompt(pid), &reply("The damp in flat 4 makes my children ill.")).await.unwrap();
        let on_story = conversations::post(&db, mail, &stan, Subject::Story(story), &reply("Same in flat 6.")).await.unwrap();
        moderation::report(&db, &stan, &report_reply(on_prompt)).await.unwrap();
        moderation::report(&db, &oliver, &report_reply(on_story)).await.unwrap();
        let reported = [(Subject::Prompt(pid), on_prompt), (Subject::Story(story), on_story)];

        hosting_agrees(&db, &mia, &[(&kwame, true), (&hana, true), (&nadia, false), (&oliver, false)], &reported).await;
        assert_eq!(meetinghouse_store::prompts::hosts(&db, pid).await.unwrap(), vec![kwame.id]);
        assert_eq!(told(&db, &nadia, question).await, 0, "the organisation's admin outside the group is not told of replies");
        assert!(matches!(prompts::close(&db, &s, &nadia, pid).await, Err(CoreError::NotFound)), "nor may she close it");

        // Kwame leaves the group: still staff, he no longer hosts its prompt.
        groups::leave(&db, &kwame, "residents-voice").await.unwrap();
        hosting_agrees(&db, &mia, &[(&kwame, false), (&hana, true), (&nadia, false)], &reported).await;
        assert!(meetinghouse_store::prompts::hosts(&db, pid).await.unwrap().is_empty());

        // Nadia joins it: as the organisation's admin, she hosts it now.
        groups::invite_person(&db, &hana, "residents-voice", &nadia.handle).await.unwrap();
        groups::join(&db, &s, &nadia, "residents-voice").await.unwrap();
        hosting_agrees(&db, &mia, &[(&nadia, true), (&kwame, false), (&hana, true)], &reported).await;
        assert_eq!(meetinghouse_store::prompts::hosts(&db, pid).await.unwrap(), vec![nadia.id]);
    }
}

/// A prompt opened for everyone by an organisation's staff, whose opener
/// is later an admin elsewhere only: the organisation it names still hosts
/// it (its admins), and a prompt answered in a group keeps the group's hosts.
#[tokio::test]
async fn a_prompt_always_keeps_hosts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, priya, bob) = (person(&db, "sam").await, person(&db, "priya").await, person(&db, "bob").await);
        let museum = org(&db, &s, &sam, "Tiverton Museum", &[(&priya, "admin")]).await;
        org(&db, &s, &bob, "Exeter Gallery", &[(&priya, "staff")]).await;
        let pid = open_prompt(&db, &s, &priya, &format!("org:{museum}"), "", "What needs fixing?").await;
        orgs::leave(&db, &priya, &museum).await.unwrap();
        let p = meetinghouse_store::prompts::by_id(&db, pid).await.unwrap().unwrap();
        assert!(!prompts::hosted_by(&db, &p, priya.id).await.unwrap(), "staff elsewhere is not staff here");
        assert!(!prompts::hosted_by(&db, &p, bob.id).await.unwrap());
        assert!(prompts::hosted_by(&db, &p, sam.id).await.unwrap());
        assert_eq!(meetinghouse_store::prompts::hosts(&db, pid).await.unwrap(), vec![sam.id]);
    }
}

/// A prompt an instance admin opens in their own name, for everyone, is
/// hosted by them (told of replies, its queue theirs) while they are an
/// instance admin; once they are not, by the meeting house's instance
/// admins, so it keeps hosts.
#[tokio::test]
async fn an_instance_admins_own_prompt_is_hosted_by_them_then_by_the_instance_admins() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let (sam, una) = (admin(&db, "sam").await, admin(&db, "una").await);
        let (umar, ann) = (person(&db, "umar").await, person(&db, "ann").await);
        let question = "What should the town square hold?";
        let pid = open_prompt(&db, &s, &sam, "self", "", question).await;
        let p = meetinghouse_store::prompts::by_id(&db, pid).await.unwrap().unwrap();
        assert!(prompts::hosted_by(&db, &p, sam.id).await.unwrap(), "{:?}: its opener hosts it", db.backend());
        assert!(!prompts::hosted_by(&db, &p, una.id).await.unwrap(), "other admins do not, while the opener is one");
        assert!(!prompts::hosted_by(&db, &p, umar.id).await.unwrap());
        assert_eq!(meetinghouse_store::prompts::hosts(&db, pid).await.unwrap(), vec![sam.id]);
        conversations::post(&db, mail, &umar, Subject::Prompt(pid), &reply("A fountain.")).await.unwrap();
        assert_eq!(told(&db, &sam, question).await, 1, "{:?}: the opener is told of a reply", db.backend());
        assert_eq!(told(&db, &una, question).await, 0);
        let info = subjects::resolve(&db, Subject::Prompt(pid), None).await.unwrap();
        assert_eq!(info.owner_person, Some(sam.id));

        // Sam is no longer an instance admin: the instance admins host it.
        meetinghouse_core::accounts::demote(&db, "sam").await.unwrap();
        let sam = Actor { is_admin: false, ..sam };
        assert!(!prompts::hosted_by(&db, &p, sam.id).await.unwrap(), "{:?}", db.backend());
        assert!(prompts::hosted_by(&db, &p, una.id).await.unwrap(), "{:?}", db.backend());
        assert_eq!(meetinghouse_store::prompts::hosts(&db, pid).await.unwrap(), vec![una.id]);
        assert!(matches!(prompts::close(&db, &s, &sam, pid).await, Err(CoreError::Forbidden(_))));
        conversations::post(&db, mail, &ann, Subject::Prompt(pid), &reply("Benches.")).await.unwrap();
        assert_eq!(told(&db, &sam, question).await, 1, "not told again");
        assert_eq!(told(&db, &una, question).await, 1, "{:?}: an instance admin is", db.backend());
        assert!(prompts::close(&db, &s, &una, pid).await.unwrap());
    }
}
