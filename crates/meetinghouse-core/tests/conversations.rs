//! Conversations on every configured backend: threads and paging, personas
//! and host replies, mentions, edits and retraction, private thanks,
//! notifications and email (only to people who may see the subject), reports
//! and the moderation queue, blocks and mutes (thanks and approval too), the
//! pause prompt, first-contribution review (published replies only, and its
//! migration), what history and retraction notes keep, and the export;
//! nesting bounds, edits that wait for review again, the hourly budgets of
//! edits and thanks, the paged history, and archived groups' replies.

use meetinghouse_core::conversations::{self, ReplyForm, Shown};
use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::moderation::{self, ActionForm, PolicyForm, ReportForm};
use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::subjects::Subject;
use meetinghouse_core::{Actor, CoreError, Db, interactions};

mod common;
use common::{person, admin, reply, to, story};

/// Rows in a table, read through the public listing functions.
/// Makes `who` an active member of the members-only group `slug` as its
/// hosts would have let them in, telling nobody (a members-only group
/// chooses its members; these tests are about what members are told of
/// replies, not of joining).
async fn member(db: &Db, slug: &str, who: &Actor) {
    let g = meetinghouse_store::groups::by_slug(db, slug).await.unwrap().unwrap();
    let mut tx = db.begin().await.unwrap();
    meetinghouse_store::groups::upsert_member(&mut tx, g.id, meetinghouse_store::groups::MemberKind::Person, who.id, "member", "active", who.id).await.unwrap();
    tx.commit().await.unwrap();
}

async fn table_count(db: &Db, table: &str) -> i64 {
    match table {
        "email_outbox" => meetinghouse_store::outbox::recent(db, 100_000).await.unwrap().len() as i64,
        "interactions" => {
            let mut out = Vec::new();
            interactions::export_csv(db, 0, &mut out).await.unwrap() as i64
        }
        _ => unreachable!("no listing for {table}"),
    }
}

async fn replies_on(db: &Db, subject: Subject, viewer: &Actor) -> i64 {
    let (mut n, mut after) = (0, None);
    loop {
        let p = conversations::conversation(db, subject, Some(viewer), after).await.unwrap();
        n += p.replies.len() as i64;
        match p.next_after {
            Some(a) => after = Some(a),
            None => return n,
        }
    }
}

#[tokio::test]
async fn threads_personas_hosts_and_paging() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let sam = person(&db, "sam").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let subject = story(&db, &s, &ann).await;

        // A community member replies; a museum staff member answers as themselves · the museum.
        let first = conversations::post(&db, mail, &bea, subject, &reply("Lovely memory.")).await.unwrap();
        let staff = ReplyForm { speak_as: "org:museum".into(), ..to(first, "Thank you — we have a photo of that lock.") };
        let answer = conversations::post(&db, mail, &sam, subject, &staff).await.unwrap();
        let Err(CoreError::Forbidden(_)) = conversations::post(&db, mail, &bea, subject, &ReplyForm { speak_as: "org:museum".into(), ..reply("x") }).await else {
            panic!("only staff speak for the museum")
        };
        let page = conversations::conversation(&db, subject, None, None).await.unwrap();
        assert_eq!(page.replies.len(), 2);
        assert_eq!(page.replies[1].author_label, "sam · Museum");
        assert_eq!(page.replies[1].level, 1);
        assert_eq!(page.replies[1].row.by_host, 1, "staff replies are marked");

        // Reciprocity: the host's answer to Bea's reply is recorded with its time.
        let (by, _) = conversations::host_reply(&db, "reply", first).await.unwrap().expect("a host replied");
        assert_eq!(by, answer);
        assert!(conversations::host_reply(&db, "story", subject.id()).await.unwrap().is_none());
        conversations::post(&db, mail, &sam, subject, &ReplyForm { speak_as: "org:museum".into(), ..reply("Welcome!") }).await.unwrap();
        assert!(conversations::host_reply(&db, "story", subject.id()).await.unwrap().is_some(), "story by a community member answered");

        // Deep threads: nested to depth 4, then flat with "in reply to".
        let mut parent = answer;
        for i in 0..5 {
            parent = conversations::post(&db, mail, if i % 2 == 0 { &bea } else { &sam }, subject, &to(parent, &format!("deeper {i}"))).await.unwrap();
        }
        let page = conversations::conversation(&db, subject, Some(&ann), None).await.unwrap();
        let deepest = page.replies.iter().find(|r| r.row.id == parent).unwrap();
        assert_eq!(deepest.row.depth, 6);
        assert_eq!(deepest.level, 4);
        assert!(deepest.in_reply_to.is_some() && deepest.in_reply_to_shown);
        // Every answer says what it answers to screen readers; shown where indentation tells it, it is not.
        let shallow = page.replies.iter().find(|r| r.row.depth == 1).unwrap();
        assert!(shallow.in_reply_to.is_some() && !shallow.in_reply_to_shown);
        assert!(page.replies.iter().filter(|r| r.row.parent_id.is_none()).all(|r| r.in_reply_to.is_none()));

        // Paging: 120 more replies, 50 a page, in threaded order, no reply twice.
        for i in 0..120 {
            conversations::post(&db, mail, &bea, subject, &reply(&format!("reply {i}"))).await.unwrap();
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let p = conversations::conversation(&db, subject, None, after).await.unwrap();
            seen.extend(p.replies.iter().map(|r| r.row.path.clone()));
            match p.next_after {
                Some(a) => after = Some(a),
                None => break,
            }
        }
        assert_eq!(seen.len(), 128);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen);

        // Bad input: empty, over-long, unknown parent, a parent on another subject.
        let Err(CoreError::Invalid(e)) = conversations::post(&db, mail, &bea, subject, &reply("  ")).await else { panic!() };
        assert!(e.get("body").unwrap().contains("needed"));
        let long = "a".repeat(conversations::BODY_MAX + 1);
        let Err(CoreError::Invalid(e)) = conversations::post(&db, mail, &bea, subject, &reply(&long)).await else { panic!() };
        assert!(e.get("body").unwrap().contains("at most"));
        assert!(matches!(conversations::post(&db, mail, &bea, subject, &to(999_999, "x")).await, Err(CoreError::NotFound)));
        let other = story(&db, &s, &bea).await;
        assert!(matches!(conversations::post(&db, mail, &bea, other, &to(first, "x")).await, Err(CoreError::NotFound)));
        assert!(matches!(conversations::post(&db, mail, &bea, Subject::Story(424_242), &reply("x")).await, Err(CoreError::NotFound)));
        stories::delete(&db, mail, &bea, other.id()).await.unwrap();
        assert!(matches!(conversations::post(&db, mail, &ann, other, &reply("x")).await, Err(CoreError::NotFound)), "a deleted story takes no replies");
        assert_eq!(replies_on(&db, subject, &ann).await, 128, "nothing partial written");
    }
}

#[tokio::test]
async fn mentions_edits_retraction_and_thanks() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let subject = story(&db, &s, &ann).await;

        assert_eq!(conversations::mentions("hi @Cal and @bea, mail me at x@y.org @cal"), vec!["cal", "bea"]);
        // Web addresses and handles on other servers mention nobody here.
        let text = "see https://mastodon.social/@potteryhistory/1 and https://town.example/@cal, or @sam@mastodon.social; (@bea)";
        assert_eq!(conversations::mentions(text), vec!["bea"]);
        let Err(CoreError::Invalid(e)) = conversations::post(&db, mail, &bea, subject, &reply("Ask @nobody_here")).await else { panic!() };
        assert!(e.get("body").unwrap().contains("@nobody_here"));
        assert_eq!(replies_on(&db, subject, &ann).await, 0, "nothing partial written");
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 0);

        let id = conversations::post(&db, mail, &bea, subject, &reply("Ask @cal about *locks*")).await.unwrap();
        let cal_unread = notifications::unread(&db, &cal).await.unwrap();
        assert_eq!(cal_unread, 1, "a mention notifies");
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 1, "the story's author hears of the reply");

        // Edits keep history; only the author edits.
        assert!(matches!(conversations::edit(&db, &s, &cal, id, "mine now").await, Err(CoreError::Forbidden(_))));
        conversations::edit(&db, &s, &bea, id, "Ask @cal about the locks").await.unwrap();
        let (_, _, history) = conversations::history(&db, id, None).await.unwrap();
        assert_eq!(history.len(), 1);
        assert!(history[0].0.contains("<em>locks</em>"));

        // Thanks: private, once per kind, never to yourself, the author sees who.
        conversations::thank(&db, mail, &cal, id, "resonated").await.unwrap();
        conversations::thank(&db, mail, &cal, id, "resonated").await.unwrap();
        conversations::thank(&db, mail, &ann, id, "learnt").await.unwrap();
        assert!(matches!(conversations::thank(&db, mail, &bea, id, "thanks").await, Err(CoreError::Forbidden(_))));
        assert!(matches!(conversations::thank(&db, mail, &cal, id, "likes").await, Err(CoreError::Invalid(_))));
        let thread = conversations::thread(&db, id, Some(&bea)).await.unwrap();
        assert_eq!(thread.thanks.len(), 2);
        assert!(thread.thanks.iter().any(|(h, _, said, _)| h == "cal" && said.contains("resonated")));
        assert!(conversations::thread(&db, id, Some(&cal)).await.unwrap().thanks.is_empty(), "only the author sees thanks");

        // Retraction: the text goes, the note and the thread's shape stay.
        let child = conversations::post(&db, mail, &cal, subject, &to(id, "Happy to help")).await.unwrap();
        assert!(matches!(conversations::retract(&db, &cal, id, "").await, Err(CoreError::Forbidden(_))));
        conversations::retract(&db, &bea, id, "I got the date wrong").await.unwrap();
        let page = conversations::conversation(&db, subject, None, None).await.unwrap();
        let r = page.replies.iter().find(|r| r.row.id == id).unwrap();
        assert_eq!(r.shown, Shown::Retracted);
        assert!(r.html.is_empty() && r.row.body.is_empty());
        assert_eq!(r.row.note, "I got the date wrong");
        assert!(page.replies.iter().any(|r| r.row.id == child), "answers stay");
        assert!(conversations::history(&db, id, None).await.unwrap().2.is_empty(), "retraction takes the history too");
        let Err(CoreError::Forbidden(m)) = conversations::post(&db, mail, &ann, subject, &to(id, "x")).await else { panic!() };
        assert!(m.contains("retracted"));
        assert!(matches!(conversations::edit(&db, &s, &bea, id, "again").await, Err(CoreError::Forbidden(_))));

        // The interaction record: reply, mention and thanks edges, public only.
        let mut out = Vec::new();
        let n = interactions::export_csv(&db, 0, &mut out).await.unwrap();
        let csv = String::from_utf8(out).unwrap();
        assert!(csv.starts_with(interactions::HEADER));
        // Bea's reply was retracted, so its reply, mention and thanks edges leave the export.
        assert!(!csv.contains("bea,ann"), "{csv}");
        assert!(csv.contains("cal,bea,") && csv.contains(",reply,"), "{csv}");
        assert_eq!(n, csv.lines().count() - 1);
    }
}

/// Two people answering each other hundreds of times: every answer is
/// stored (PostgreSQL would refuse the index entry of an unbounded path at
/// about 200 levels), nesting stops at the deepest level, and the chain
/// still reads in the order it was written, each naming what it answers.
#[tokio::test]
async fn a_long_chain_of_answers_is_kept_in_order() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ann = person(&db, "ann").await;
        let subject = story(&db, &s, &ann).await;
        let mut ids = vec![conversations::post(&db, mail, &ann, subject, &reply("Answer 0")).await.unwrap()];
        for i in 1..220 {
            let parent = *ids.last().unwrap();
            ids.push(conversations::post(&db, mail, &ann, subject, &to(parent, &format!("Answer {i}"))).await.unwrap());
        }
        let last = meetinghouse_store::conversations::by_id(&db, *ids.last().unwrap()).await.unwrap().unwrap();
        assert_eq!(last.depth, meetinghouse_store::conversations::MAX_DEPTH);
        assert_eq!(last.parent_id, Some(ids[ids.len() - 2]), "it still names what it answers");
        assert!(last.path.len() <= 13 * (meetinghouse_store::conversations::MAX_DEPTH as usize + 1), "{}", last.path.len());
        let (mut seen, mut after) = (Vec::new(), None);
        loop {
            let page = conversations::conversation(&db, subject, Some(&ann), after).await.unwrap();
            seen.extend(page.replies.iter().map(|r| r.row.id));
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ids, "threaded order is the order written");
    }
}

/// A digest lists the oldest notifications up to its limit and counts the
/// rest, with a link to all of them; every one is marked emailed, none lost.
#[tokio::test]
async fn a_long_digest_counts_what_it_does_not_list() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let dan = person(&db, "dan").await;
        let listed = notifications::DIGEST_LISTS as usize;
        let mut tx = db.begin().await.unwrap();
        for i in 0..listed + 5 {
            meetinghouse_store::notifications::insert(&mut tx, dan.id, "reply", &format!("news number {i}."), "/").await.unwrap();
        }
        tx.commit().await.unwrap();
        assert_eq!(notifications::send_digests(&db, mail, meetinghouse_store::now() + 86_400).await.unwrap(), 1);
        let digest = meetinghouse_store::outbox::recent(&db, 1).await.unwrap().remove(0);
        assert_eq!(digest.to_addr, "dan@example.org");
        assert!(digest.subject.contains(&format!("({} new)", listed + 5)), "{}", digest.subject);
        assert!(digest.body.contains("- news number 0.\n"), "oldest first: {}", digest.body);
        assert!(digest.body.contains(&format!("- news number {}.\n", listed - 1)), "{}", digest.body);
        assert!(!digest.body.contains(&format!("- news number {}.\n", listed)), "{}", digest.body);
        assert!(digest.body.contains("…and 5 more: https://town.example/notifications"), "{}", digest.body);
        let mut tx = db.begin().await.unwrap();
        let (left, more) = meetinghouse_store::notifications::take_undigested(&mut tx, dan.id, 1_000).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(left.is_empty() && more == 0, "every notification is marked emailed: {} left", left.len() as u64 + more);
    }
}

#[tokio::test]
async fn notifications_email_and_unsubscribe() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let subject = story(&db, &s, &ann).await;
        let outbox_before = table_count(&db, "email_outbox").await;

        // Ann wants each email at once; Bea has the default daily digest; Cal none.
        notifications::set_mode(&db, &ann, "immediate").await.unwrap();
        notifications::set_mode(&db, &cal, "off").await.unwrap();
        assert!(matches!(notifications::set_mode(&db, &cal, "hourly").await, Err(CoreError::Invalid(_))));
        let r = conversations::post(&db, mail, &bea, subject, &reply("Hello @cal")).await.unwrap();
        conversations::post(&db, mail, &cal, subject, &to(r, "Hello yourself")).await.unwrap();
        conversations::post(&db, mail, &cal, subject, &to(r, "And again")).await.unwrap();
        let emails = meetinghouse_store::outbox::recent(&db, 50).await.unwrap();
        assert_eq!(table_count(&db, "email_outbox").await - outbox_before, 1, "only Ann's immediate email so far");
        let to_ann = emails.iter().find(|e| e.to_addr == "ann@example.org").unwrap();
        assert!(to_ann.body.contains("https://town.example/replies/") && to_ann.body.contains("/unsubscribe?t="));
        // The mail worker finds the link for the List-Unsubscribe header (RFC 8058).
        let link = notifications::unsubscribe_link(&to_ann.body).expect("the footer's link");
        assert!(link.starts_with("https://town.example/unsubscribe?t=") && to_ann.body.ends_with(link), "{link}");

        // Bea's digest: sent once, then not again the same day.
        assert_eq!(notifications::send_digests(&db, mail, meetinghouse_store::now() + 86_400).await.unwrap(), 1);
        assert_eq!(notifications::send_digests(&db, mail, meetinghouse_store::now() + 86_400).await.unwrap(), 0);
        let digest = meetinghouse_store::outbox::recent(&db, 1).await.unwrap().remove(0);
        assert_eq!(digest.to_addr, "bea@example.org");
        assert!(digest.body.contains("cal replied to you"), "{}", digest.body);

        // Notifications list, unread count, mark read.
        assert_eq!(notifications::unread(&db, &bea).await.unwrap(), 2);
        assert_eq!(notifications::list(&db, &bea, 0).await.unwrap().len(), 2);
        notifications::mark_all_read(&db, &bea).await.unwrap();
        assert_eq!(notifications::unread(&db, &bea).await.unwrap(), 0);

        // Unsubscribe: the signed token works without signing in; forged and expired ones do not.
        let line = to_ann.body.lines().find(|l| l.contains("/unsubscribe?t=")).unwrap();
        let token = line.split("t=").nth(1).unwrap().trim();
        assert!(matches!(notifications::unsubscribe(&db, &s, &format!("{token}0")).await, Err(CoreError::Forbidden(_))));
        assert!(matches!(notifications::unsubscribe(&db, &s, "garbage").await, Err(CoreError::Forbidden(_))));
        let old = notifications::unsubscribe_token(&s, ann.id, meetinghouse_store::now() - notifications::UNSUBSCRIBE_TTL_SECS - 10);
        let Err(CoreError::Forbidden(m)) = notifications::unsubscribe(&db, &s, &old).await else { panic!() };
        assert!(m.contains("expired"));
        assert_eq!(notifications::mode(&db, &ann).await.unwrap(), "immediate", "nothing changed");
        notifications::unsubscribe(&db, &s, token).await.unwrap();
        assert_eq!(notifications::mode(&db, &ann).await.unwrap(), "off");
    }
}

#[tokio::test]
async fn reports_queue_actions_and_safety() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mod_ = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &bea, subject, &reply("You are all wrong")).await.unwrap();

        // Report once; a second time is refused kindly; a report needs a category.
        let form = ReportForm { target_kind: "reply".into(), target: id.to_string(), category: "harassment".into(), details: "Rude".into() };
        moderation::report(&db, &ann, &form).await.unwrap();
        let Err(CoreError::Invalid(e)) = moderation::report(&db, &ann, &form).await else { panic!() };
        assert!(e.get("category").unwrap().contains("already reported"));
        let Err(CoreError::Invalid(_)) = moderation::report(&db, &cal, &ReportForm { category: "".into(), ..form.clone() }).await else { panic!() };
        assert!(matches!(moderation::report(&db, &cal, &ReportForm { target: "99999".into(), ..form.clone() }).await, Err(CoreError::NotFound)));
        moderation::report(&db, &cal, &ReportForm { target_kind: "person".into(), target: "bea".into(), ..form.clone() }).await.unwrap();

        // The queue: moderators only (no group here); acting needs the role too.
        assert!(matches!(moderation::queue(&db, &cal).await, Err(CoreError::Forbidden(_))));
        let queue = moderation::queue(&db, &mod_).await.unwrap();
        assert_eq!(queue.len(), 2);
        let item = queue.iter().find(|q| q.report.target_kind == "reply").unwrap().report.id;
        let hide = ActionForm { action: "hide".into(), note: "Please disagree without putting people down.".into(), ..Default::default() };
        assert!(matches!(moderation::act(&db, mail, &cal, item, &hide).await, Err(CoreError::Forbidden(_))));
        let Err(CoreError::Invalid(e)) = moderation::act(&db, mail, &mod_, item, &ActionForm { action: "hide".into(), ..Default::default() }).await else { panic!() };
        assert!(e.get("note").is_some(), "hiding needs a note to the author");
        moderation::act(&db, mail, &mod_, item, &hide).await.unwrap();
        assert!(matches!(moderation::act(&db, mail, &mod_, item, &hide).await, Err(CoreError::Invalid(_))), "already dealt with");

        // Hidden: others see a placeholder, the author sees why, edits and asks for review.
        let page = conversations::conversation(&db, subject, Some(&ann), None).await.unwrap();
        assert_eq!(page.replies[0].shown, Shown::Hidden);
        assert!(page.replies[0].html.is_empty());
        let mine = conversations::conversation(&db, subject, Some(&bea), None).await.unwrap();
        assert!(mine.replies[0].html.contains("wrong") && mine.replies[0].row.note.contains("putting people down"));
        let Err(CoreError::Forbidden(_)) = conversations::post(&db, mail, &ann, subject, &to(id, "x")).await else { panic!() };
        conversations::edit(&db, &s, &bea, id, "I see it differently").await.unwrap();
        moderation::request_review(&db, &bea, id).await.unwrap();
        let review = moderation::queue(&db, &mod_).await.unwrap().into_iter().find(|q| q.report.category == "review-request").unwrap();
        moderation::act(&db, mail, &mod_, review.report.id, &ActionForm { action: "restore".into(), ..Default::default() }).await.unwrap();
        assert_eq!(conversations::conversation(&db, subject, Some(&ann), None).await.unwrap().replies[0].shown, Shown::Text);

        // Warn and suspend the person; the audit log has every action; the public log is off by default.
        let person_item = moderation::queue(&db, &mod_).await.unwrap().remove(0).report.id;
        let suspend = ActionForm { action: "suspend".into(), note: "A week to cool off.".into(), days: "7".into(), ..Default::default() };
        moderation::act(&db, mail, &mod_, person_item, &suspend).await.unwrap();
        let bea_now = meetinghouse_store::people::by_id(&db, bea.id).await.unwrap().unwrap();
        assert_eq!(bea_now.status, "suspended");
        assert_eq!(moderation::log(&db, Some(&mod_), 0).await.unwrap().len(), 3);
        assert!(matches!(moderation::log(&db, None, 0).await, Err(CoreError::NotFound)));
        moderation::save_policy(&db, &mod_, &PolicyForm { public_log: true, pause_words: "idiot".into(), review_first: "2".into() }).await.unwrap();
        // Posting follows the settings the caller loaded: load them again.
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let public = moderation::log(&db, None, 0).await.unwrap();
        assert!(public.iter().all(|e| e.row.moderator_handle.is_none()));
        assert!(notifications::unread(&db, &ann).await.unwrap() >= 1, "the reporter hears the outcome");

        // Blocks: Cal blocks Ann; Ann can neither reply to nor mention Cal. Mutes hide.
        let cal_reply = conversations::post(&db, mail, &cal, subject, &reply("A new friend here")).await;
        // Review of first contributions is now on (2): Cal's first replies wait.
        let cal_reply = cal_reply.unwrap();
        let page = conversations::conversation(&db, subject, Some(&ann), None).await.unwrap();
        assert!(page.replies.iter().all(|r| r.row.id != cal_reply), "waiting for review: only its author sees it");
        let pending = moderation::queue(&db, &mod_).await.unwrap().into_iter().find(|q| q.report.category == "first-contributions").unwrap();
        moderation::act(&db, mail, &mod_, pending.report.id, &ActionForm { action: "approve".into(), ..Default::default() }).await.unwrap();
        assert!(conversations::conversation(&db, subject, Some(&ann), None).await.unwrap().replies.iter().any(|r| r.row.id == cal_reply));

        moderation::relate(&db, &cal, "ann", "block").await.unwrap();
        let Err(CoreError::Forbidden(_)) = conversations::post(&db, mail, &ann, subject, &to(cal_reply, "Hi")).await else { panic!() };
        let Err(CoreError::Invalid(e)) = conversations::post(&db, mail, &ann, subject, &reply("Hey @cal")).await else { panic!() };
        assert!(e.get("body").unwrap().contains("cannot mention"));
        moderation::relate(&db, &ann, "cal", "mute").await.unwrap();
        assert!(conversations::conversation(&db, subject, Some(&ann), None).await.unwrap().replies.iter().all(|r| r.row.author_person != cal.id));

        // Pause before posting: the prompt, then posting anyway.
        let Err(CoreError::Invalid(e)) = conversations::post(&db, mail, &ann, subject, &reply("What an IDIOT idea")).await else { panic!() };
        assert!(e.get("pause_confirmed").is_some());
        conversations::post(&db, mail, &ann, subject, &ReplyForm { pause_confirmed: true, ..reply("What an IDIOT idea") }).await.unwrap();
        assert!(moderation::Policy::load(&db).await.unwrap().pause_hits("idiotic").is_empty(), "whole words only");
    }
}

/// The moderator of these tests sets how many replies a new account's first
/// contributions wait for review; returns the settings to post with.
async fn review_first(db: &Db, moderator: &Actor, n: i64) -> Settings {
    moderation::save_policy(db, moderator, &PolicyForm { public_log: false, pause_words: String::new(), review_first: n.to_string() }).await.unwrap();
    Settings::load(db).await.unwrap()
}

/// Reports a reply and has the moderator act on it.
async fn moderate(db: &Db, mail: Mailer<'_>, moderator: &Actor, reporter: &Actor, id: i64, action: &str) {
    let form = ReportForm { target_kind: "reply".into(), target: id.to_string(), category: "harassment".into(), details: String::new() };
    // A reply waiting for review is already in the queue.
    let _ = moderation::report(db, reporter, &form).await;
    let item = moderation::queue(db, moderator).await.unwrap().into_iter().find(|q| q.report.target_kind == "reply" && q.report.target_id == id).unwrap();
    let note = if action == "hide" { "Please say it without the insult." } else { "" };
    moderation::act(db, mail, moderator, item.report.id, &ActionForm { action: action.into(), note: note.into(), ..Default::default() }).await.unwrap();
}

/// What a reply shows its author.
async fn shown(db: &Db, id: i64, author: &Actor) -> Shown {
    conversations::thread(db, id, Some(author)).await.unwrap().reply.shown
}

/// Every edge in the interaction record, as exported. Edges on content the
/// public cannot see now are never exported, so this makes every story and
/// group public first: call it last.
async fn every_edge(db: &Db) -> String {
    db.execute_admin("UPDATE stories SET visibility = 'public', deleted_at = NULL").await.unwrap();
    db.execute_admin("UPDATE community_groups SET visibility = 'public'").await.unwrap();
    let mut out = Vec::new();
    interactions::export_csv(db, 0, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

fn has_edge(csv: &str, from: &str, to: &str, kind: &str) -> bool {
    csv.lines().any(|l| l.starts_with(&format!("{from},{to},")) && l.contains(&format!(",{kind},")))
}

/// A mention or an answer tells its subject's title only to people who may
/// see the subject; the reply is still posted and the @name stays as text.
#[tokio::test]
async fn mentions_and_answers_reach_only_people_who_may_see_the_subject() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let dan = person(&db, "dan").await;
        let group = GroupForm { name: "Tenants".into(), slug: "tenants".into(), purpose: String::new(), visibility: "members".into(), join_policy: "invite".into() };
        groups::create(&db, &s, &ann, &group).await.unwrap();
        member(&db, "tenants", &bea).await;
        member(&db, "tenants", &dan).await;
        let form = StoryForm { title: "Rent strike plans".into(), body: "Meet on Friday.".into(), licence: "cc0".into(), visibility: "group:tenants".into(), ..Default::default() };
        let subject = Subject::Story(stories::create(&db, &s, &ann, &form).await.unwrap());
        notifications::set_mode(&db, &cal, "immediate").await.unwrap();
        let outbox = table_count(&db, "email_outbox").await;

        // Bea, a member, mentions Cal, who is not one.
        let id = conversations::post(&db, mail, &bea, subject, &reply("Ask @cal, he knows the landlord")).await.unwrap();
        assert!(conversations::thread(&db, id, Some(&bea)).await.unwrap().reply.html.contains("@cal"), "the reply is posted, the @name kept");
        assert!(notifications::list(&db, &cal, 0).await.unwrap().is_empty(), "nothing reaches Cal");
        assert_eq!(table_count(&db, "email_outbox").await, outbox, "no email to Cal either");
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 1, "the story's author may see it and hears of the reply");

        // The same through review: Dan's first reply waits, then is approved.
        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let waiting = conversations::post(&db, mail, &dan, subject, &to(id, "Yes, @cal should come")).await.unwrap();
        assert_eq!(shown(&db, waiting, &dan).await, Shown::Pending);
        moderate(&db, mail, &mia, &ann, waiting, "approve").await;
        assert_eq!(shown(&db, waiting, &dan).await, Shown::Text);
        assert!(notifications::list(&db, &cal, 0).await.unwrap().is_empty(), "approval tells Cal nothing either");
        assert!(notifications::list(&db, &bea, 0).await.unwrap().iter().any(|n| n.text.contains("dan replied to you")), "Bea, a member, hears of the answer");

        // Bea leaves the group: an answer to her reply no longer tells her the title.
        groups::leave(&db, &bea, "tenants").await.unwrap();
        let before = notifications::list(&db, &bea, 0).await.unwrap().len();
        conversations::post(&db, mail, &ann, subject, &to(id, "Thank you, Bea")).await.unwrap();
        let heard = notifications::list(&db, &bea, 0).await.unwrap();
        assert_eq!(heard.len(), before, "{:?}", heard.iter().map(|n| &n.text).collect::<Vec<_>>());

        // Once Cal joins, a mention reaches him.
        member(&db, "tenants", &cal).await;
        conversations::post(&db, mail, &ann, subject, &reply("Welcome, @cal")).await.unwrap();
        let told = notifications::list(&db, &cal, 0).await.unwrap();
        assert_eq!(told.len(), 1);
        assert!(told[0].text.contains("mentioned you on “Rent strike plans”"), "{}", told[0].text);

        // No mention edge to Cal from before he could see it.
        let edges = every_edge(&db).await;
        assert!(!has_edge(&edges, "bea", "cal", "mention") && !has_edge(&edges, "dan", "cal", "mention"), "{edges}");
        assert!(has_edge(&edges, "ann", "cal", "mention") && has_edge(&edges, "dan", "bea", "reply"), "{edges}");
    }
}

/// A reply that waits for review or was hidden never showed its words to
/// readers, so its retraction carries no note for them either.
#[tokio::test]
async fn retracting_an_unpublished_reply_leaves_no_public_note() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let dan = person(&db, "dan").await;
        let subject = story(&db, &s, &ann).await;

        // Hidden by the moderators, then retracted with a note that repeats it.
        let hidden = conversations::post(&db, mail, &bea, subject, &reply("You are all fools")).await.unwrap();
        moderate(&db, mail, &mia, &ann, hidden, "hide").await;
        conversations::retract(&db, &bea, hidden, "I still say you are all fools").await.unwrap();

        // A published reply keeps its note.
        let visible = conversations::post(&db, mail, &ann, subject, &reply("Open on Sundays")).await.unwrap();
        conversations::retract(&db, &ann, visible, "Wrong day, sorry").await.unwrap();

        // Waiting for review, retracted with a note.
        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let pending = conversations::post(&db, mail, &dan, subject, &reply("Buy cheap watches")).await.unwrap();
        assert_eq!(shown(&db, pending, &dan).await, Shown::Pending);
        conversations::retract(&db, &dan, pending, "Visit cheap-watches.example").await.unwrap();

        let page = conversations::conversation(&db, subject, None, None).await.unwrap();
        let note = |id: i64| page.replies.iter().find(|r| r.row.id == id).map(|r| (r.shown, r.row.note.clone()));
        assert_eq!(note(hidden), Some((Shown::Retracted, String::new())));
        assert_eq!(note(pending), None, "readers never saw it, so no placeholder names Dan either");
        assert_eq!(note(visible), Some((Shown::Retracted, "Wrong day, sorry".to_string())));
        assert_eq!(shown(&db, pending, &dan).await, Shown::Retracted, "its author still sees what became of it");
        assert!(matches!(conversations::thread(&db, pending, Some(&bea)).await, Err(CoreError::NotFound)));
    }
}

/// A reply readers were never shown leaves no trace for them: hidden while
/// it waited for review, it is neither in the thread nor at its address.
/// Restored after its author asks for a review, it is published as an
/// approval would: the subject's author hears of it and it counts towards
/// its author's first contributions.
#[tokio::test]
async fn a_reply_hidden_before_publishing_leaves_no_trace_until_restored() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let dan = person(&db, "dan").await;
        let subject = story(&db, &s, &ann).await;
        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };

        let id = conversations::post(&db, mail, &dan, subject, &reply("Idiots, the lot of you")).await.unwrap();
        moderate(&db, mail, &mia, &bea, id, "hide").await;
        assert_eq!(shown(&db, id, &dan).await, Shown::Hidden, "Dan sees it and why");
        for reader in [None, Some(&bea)] {
            let page = conversations::conversation(&db, subject, reader, None).await.unwrap();
            assert!(page.replies.iter().all(|r| r.row.id != id), "no \"hidden by the moderators\" naming Dan");
            assert!(matches!(conversations::thread(&db, id, reader).await, Err(CoreError::NotFound)));
        }
        assert!(notifications::list(&db, &ann, 0).await.unwrap().is_empty());

        conversations::edit(&db, &s, &dan, id, "I disagree with the plan, strongly").await.unwrap();
        moderation::request_review(&db, &dan, id).await.unwrap();
        let review = moderation::queue(&db, &mia).await.unwrap().into_iter().find(|q| q.report.category == "review-request").unwrap();
        moderation::act(&db, mail, &mia, review.report.id, &ActionForm { action: "restore".into(), ..Default::default() }).await.unwrap();
        let page = conversations::conversation(&db, subject, None, None).await.unwrap();
        assert!(page.replies.iter().any(|r| r.row.id == id && r.shown == Shown::Text));
        assert!(notifications::list(&db, &ann, 0).await.unwrap().iter().any(|n| n.text.contains("dan replied")), "Ann hears of it once published");
        assert!(notifications::list(&db, &dan, 0).await.unwrap().iter().any(|n| n.text.contains("is now published")));
        // Published: Dan's next reply no longer waits.
        let next = conversations::post(&db, mail, &dan, subject, &reply("And here is why")).await.unwrap();
        assert_eq!(shown(&db, next, &dan).await, Shown::Text);
    }
}

/// A reply's history is a record of what was public: text written while a
/// reply was hidden or waiting for review never enters it.
#[tokio::test]
async fn history_keeps_only_what_was_public() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let dan = person(&db, "dan").await;
        let subject = story(&db, &s, &ann).await;

        // Published, edited (the first words were public), hidden, edited again, restored.
        let id = conversations::post(&db, mail, &bea, subject, &reply("The canal was lovely")).await.unwrap();
        conversations::edit(&db, &s, &bea, id, "The canal was lovely, unlike the idiots on it").await.unwrap();
        moderate(&db, mail, &mia, &ann, id, "hide").await;
        conversations::edit(&db, &s, &bea, id, "The canal was lovely, and busy").await.unwrap();
        moderation::request_review(&db, &bea, id).await.unwrap();
        let review = moderation::queue(&db, &mia).await.unwrap().into_iter().find(|q| q.report.category == "review-request").unwrap();
        moderation::act(&db, mail, &mia, review.report.id, &ActionForm { action: "restore".into(), ..Default::default() }).await.unwrap();
        let (row, _, history) = conversations::history(&db, id, None).await.unwrap();
        assert_eq!(row.body, "The canal was lovely, and busy");
        let texts: Vec<&str> = history.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(texts[0].contains("The canal was lovely") && !texts.iter().any(|t| t.contains("idiots")), "{texts:?}");

        // Waiting for review, edited, approved: nothing before the approved text was public.
        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let waiting = conversations::post(&db, mail, &dan, subject, &reply("First draft with my phone number 0123")).await.unwrap();
        conversations::edit(&db, &s, &dan, waiting, "Second draft").await.unwrap();
        moderate(&db, mail, &mia, &ann, waiting, "approve").await;
        assert!(conversations::history(&db, waiting, None).await.unwrap().2.is_empty());
        // Edits after publishing keep the published text, as before.
        conversations::edit(&db, &s, &dan, waiting, "Third draft").await.unwrap();
        let history = conversations::history(&db, waiting, None).await.unwrap().2;
        assert_eq!(history.len(), 1);
        assert!(history[0].0.contains("Second draft"));
    }
}

/// First-contribution review ends only after replies that were published:
/// posted visible, or approved by a moderator.
#[tokio::test]
async fn first_contribution_review_counts_only_published_replies() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let subject = story(&db, &s, &ann).await;
        let s = review_first(&db, &mia, 2).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };

        // Dan's two replies wait; he retracts them; his next one still waits.
        let dan = person(&db, "dan").await;
        for text in ["One", "Two"] {
            let id = conversations::post(&db, mail, &dan, subject, &reply(text)).await.unwrap();
            assert_eq!(shown(&db, id, &dan).await, Shown::Pending);
            conversations::retract(&db, &dan, id, "").await.unwrap();
        }
        let third = conversations::post(&db, mail, &dan, subject, &reply("Three")).await.unwrap();
        assert_eq!(shown(&db, third, &dan).await, Shown::Pending, "retracting unpublished replies does not end review");

        // Eve's two replies are hidden while they wait; her next one still waits.
        let eve = person(&db, "eve").await;
        for text in ["Spam one", "Spam two"] {
            let id = conversations::post(&db, mail, &eve, subject, &reply(text)).await.unwrap();
            moderate(&db, mail, &mia, &ann, id, "hide").await;
        }
        let next = conversations::post(&db, mail, &eve, subject, &reply("Spam three")).await.unwrap();
        assert_eq!(shown(&db, next, &eve).await, Shown::Pending, "replies hidden before publishing do not count");

        // Fay makes an organisation and speaks for it on a resident's story nobody hosts: still reviewed.
        let fay = person(&db, "fay").await;
        orgs::create(&db, &s, &fay, &OrgForm { name: "Fay Fixers".into(), sector: "housing".into(), ..Default::default() }).await.unwrap();
        let as_org = ReplyForm { speak_as: "org:fay-fixers".into(), ..reply("We fix locks, call us") };
        let id = conversations::post(&db, mail, &fay, subject, &as_org).await.unwrap();
        assert_eq!(shown(&db, id, &fay).await, Shown::Pending, "only the subject's real hosts skip review");

        // Gus's two replies are approved; his third is published at once.
        let gus = person(&db, "gus").await;
        for text in ["Hello", "Hello again"] {
            let id = conversations::post(&db, mail, &gus, subject, &reply(text)).await.unwrap();
            moderate(&db, mail, &mia, &ann, id, "approve").await;
            assert_eq!(shown(&db, id, &gus).await, Shown::Text, "{text}");
        }
        let id = conversations::post(&db, mail, &gus, subject, &reply("Established now")).await.unwrap();
        assert_eq!(shown(&db, id, &gus).await, Shown::Text);

        // A group's host answers on the group's story without waiting.
        let hal = person(&db, "hal").await;
        let group = GroupForm { name: "Boaters".into(), slug: "boaters".into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
        groups::create(&db, &s, &hal, &group).await.unwrap();
        groups::join(&db, &s, &ann, "boaters").await.unwrap();
        let boat = StoryForm { title: "Boats".into(), body: "Many.".into(), licence: "cc0".into(), visibility: "group:boaters".into(), ..Default::default() };
        let boats = Subject::Story(stories::create(&db, &s, &ann, &boat).await.unwrap());
        let id = conversations::post(&db, mail, &hal, boats, &reply("Thank you for sharing")).await.unwrap();
        assert_eq!(shown(&db, id, &hal).await, Shown::Text);
    }
}

/// Someone blocked cannot reach the person who blocked them: not with
/// thanks, and not through a reply approved after the block.
#[tokio::test]
async fn blocks_stop_thanks_and_approved_replies() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let dan = person(&db, "dan").await;
        let subject = story(&db, &s, &ann).await;
        let cals = conversations::post(&db, mail, &cal, subject, &reply("The lock keeper's cottage")).await.unwrap();
        notifications::mark_all_read(&db, &cal).await.unwrap();
        notifications::mark_all_read(&db, &ann).await.unwrap();

        // Cal blocks Bea: her thanks are refused, kindly, and Cal hears nothing.
        moderation::relate(&db, &cal, "bea", "block").await.unwrap();
        for kind in ["thanks", "resonated", "learnt"] {
            let Err(CoreError::Forbidden(m)) = conversations::thank(&db, mail, &bea, cals, kind).await else { panic!("{kind}: a blocked person cannot thank") };
            assert_eq!(m, conversations::THANKS_BLOCKED, "the same words whoever blocked them");
        }
        assert_eq!(notifications::unread(&db, &cal).await.unwrap(), 0);
        assert!(conversations::thread(&db, cals, Some(&cal)).await.unwrap().thanks.is_empty());
        conversations::thank(&db, mail, &dan, cals, "thanks").await.unwrap();
        assert_eq!(notifications::unread(&db, &cal).await.unwrap(), 1, "others still can");
        notifications::mark_all_read(&db, &cal).await.unwrap();

        // Eve's first reply waits for review; meanwhile Cal and Ann block her; approval tells neither.
        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let eve = person(&db, "eve").await;
        let waiting = conversations::post(&db, mail, &eve, subject, &to(cals, "Ask @ann about the cottage")).await.unwrap();
        moderation::relate(&db, &cal, "eve", "block").await.unwrap();
        moderation::relate(&db, &ann, "eve", "block").await.unwrap();
        moderate(&db, mail, &mia, &dan, waiting, "approve").await;
        assert_eq!(shown(&db, waiting, &eve).await, Shown::Text, "the reply is published");
        assert_eq!(notifications::unread(&db, &cal).await.unwrap(), 0, "{:?}", notifications::list(&db, &cal, 0).await.unwrap());
        let ann_heard = notifications::list(&db, &ann, 0).await.unwrap();
        assert!(ann_heard.iter().all(|n| !n.text.contains("eve")), "{:?}", ann_heard.iter().map(|n| &n.text).collect::<Vec<_>>());
        let edges = every_edge(&db).await;
        assert!(!has_edge(&edges, "eve", "cal", "reply") && !has_edge(&edges, "eve", "ann", "mention"), "{edges}");
        assert!(!has_edge(&edges, "dan", "cal", "thanks"), "a thanks is private: never in the export: {edges}");
    }
}

/// Migration 0012 counts only replies visible at the time as published:
/// nothing that is waiting, hidden or retracted ends anyone's review. Then
/// 0016 counts a hidden or retracted reply readers had answered, thanked,
/// reported or seen restored: readers were shown it, so they keep its
/// placeholder.
#[tokio::test]
async fn the_migration_counts_only_visible_replies_as_published() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let (bea, cal, dan, eve) = (person(&db, "bea").await, person(&db, "cal").await, person(&db, "dan").await, person(&db, "eve").await);
        let subject = story(&db, &s, &ann).await;
        // Bea: published. Cal: published, then hidden. Dan: waited, then retracted. Eve: waited, then hidden.
        conversations::post(&db, mail, &bea, subject, &reply("Published")).await.unwrap();
        let hidden = conversations::post(&db, mail, &cal, subject, &reply("Published, then hidden")).await.unwrap();
        moderate(&db, mail, &mia, &ann, hidden, "hide").await;
        // Fay: published and answered, then hidden.
        let fay = person(&db, "fay").await;
        let answered = conversations::post(&db, mail, &fay, subject, &reply("Published, answered, then hidden")).await.unwrap();
        conversations::post(&db, mail, &bea, subject, &to(answered, "I saw it")).await.unwrap();
        moderate(&db, mail, &mia, &ann, answered, "hide").await;
        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let waited = conversations::post(&db, mail, &dan, subject, &reply("Waited")).await.unwrap();
        conversations::retract(&db, &dan, waited, "").await.unwrap();
        let spam = conversations::post(&db, mail, &eve, subject, &reply("Waited, then hidden")).await.unwrap();
        moderate(&db, mail, &mia, &ann, spam, "hide").await;

        // Back to the schema before 0012, then migrate again.
        db.execute_admin("ALTER TABLE replies DROP COLUMN published").await.unwrap();
        db.execute_admin("DELETE FROM _sqlx_migrations WHERE version IN (12, 16)").await.unwrap();
        db.migrate().await.expect("0012 and 0016 run over the old rows");
        let page = conversations::conversation(&db, subject, None, None).await.unwrap();
        let seen: Vec<(i64, Shown)> = page.replies.iter().map(|r| (r.row.id, r.shown)).collect();
        assert!(seen.contains(&(answered, Shown::Hidden)), "readers answered Fay's, so its placeholder stays: {seen:?}");
        assert!(!seen.iter().any(|(id, _)| *id == waited || *id == spam), "{seen:?}");
        let fay_next = conversations::post(&db, mail, &fay, subject, &reply("Again")).await.unwrap();
        assert_eq!(shown(&db, fay_next, &fay).await, Shown::Text, "an answered reply counts");

        let bea_next = conversations::post(&db, mail, &bea, subject, &reply("Again")).await.unwrap();
        assert_eq!(shown(&db, bea_next, &bea).await, Shown::Text, "a visible reply counts");
        let cal_next = conversations::post(&db, mail, &cal, subject, &reply("Again")).await.unwrap();
        assert_eq!(shown(&db, cal_next, &cal).await, Shown::Text, "Ann reported Cal's reply, so she was shown it");
        for who in [&dan, &eve] {
            let id = conversations::post(&db, mail, who, subject, &reply("Again")).await.unwrap();
            assert_eq!(shown(&db, id, who).await, Shown::Pending, "{}: readers never saw theirs", who.handle);
        }
    }
}

/// The texts of a person's notifications, newest first.
async fn told(db: &Db, who: &Actor) -> Vec<String> {
    notifications::list(db, who, 0).await.unwrap().into_iter().map(|n| n.text).collect()
}

/// A notification follows its sender's standing and its reply's: a block or
/// mute set later, a retraction or a hiding takes it out of the list, the
/// unread count (the header's too) and the digest; undoing it brings it
/// back. Rows stored without a sender (older ones) show as before.
#[tokio::test]
async fn notifications_follow_later_blocks_mutes_and_retractions() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let subject = story(&db, &s, &ann).await;
        let session = meetinghouse_core::accounts::start_session(&db, ann.id).await.unwrap();
        let header = |db: Db, session: String| async move { meetinghouse_core::accounts::session_actor(&db, &session).await.unwrap().unwrap().1 };

        let bs = conversations::post(&db, mail, &bea, subject, &reply("My gran worked the lock")).await.unwrap();
        let cs = conversations::post(&db, mail, &cal, subject, &reply("Ask @ann about the cottage")).await.unwrap();
        conversations::thank(&db, mail, &bea, cs, "thanks").await.unwrap();
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 2);
        assert_eq!(notifications::unread(&db, &cal).await.unwrap(), 1, "Bea's thanks");

        // Ann mutes Bea: Bea's reply leaves Ann's list and count; Cal blocks Bea: her thanks go.
        moderation::relate(&db, &ann, "bea", "mute").await.unwrap();
        moderation::relate(&db, &cal, "bea", "block").await.unwrap();
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 1);
        assert_eq!(header(db.clone(), session.clone()).await, 1, "the header counts as the list does");
        assert!(told(&db, &ann).await.iter().all(|t| !t.contains("bea")), "{:?}", told(&db, &ann).await);
        assert!(told(&db, &cal).await.is_empty());
        moderation::relate(&db, &ann, "bea", "unmute").await.unwrap();
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 2, "unmuting brings it back");

        // Cal retracts: the reply's notification goes; Bea's is hidden by a moderator, then restored.
        conversations::retract(&db, &cal, cs, "").await.unwrap();
        assert_eq!(told(&db, &ann).await, vec!["bea replied to “Sundays on the canal”.".to_string()]);
        moderate(&db, mail, &mia, &cal, bs, "hide").await;
        assert!(told(&db, &ann).await.is_empty());
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 0);
        assert_eq!(header(db.clone(), session.clone()).await, 0);
        // Nothing is due for a digest either: a hidden reply is not news.
        notifications::send_digests(&db, mail, meetinghouse_store::now() + 86_400).await.unwrap();
        let mails = meetinghouse_store::outbox::recent(&db, 100).await.unwrap();
        assert!(mails.iter().all(|m| m.to_addr != "ann@example.org"), "no digest for Ann");
        moderation::request_review(&db, &bea, bs).await.unwrap();
        let review = moderation::queue(&db, &mia).await.unwrap().into_iter().find(|q| q.report.category == "review-request").unwrap();
        moderation::act(&db, mail, &mia, review.report.id, &ActionForm { action: "restore".into(), ..Default::default() }).await.unwrap();
        assert!(told(&db, &ann).await.iter().any(|t| t.contains("bea replied")), "a restored reply's notification is back");

        // A row without a sender or reply (stored before they were recorded) shows as before.
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::notifications::insert(&mut tx, ann.id, "reply", "bea replied long ago.", "/").await.unwrap();
        tx.commit().await.unwrap();
        moderation::relate(&db, &ann, "bea", "block").await.unwrap();
        assert_eq!(told(&db, &ann).await, vec!["bea replied long ago.".to_string()]);
    }
}

/// The daily digest leaves out what the person read on the site (and
/// still marks it emailed), and what no longer shows.
#[tokio::test]
async fn the_digest_skips_notifications_read_on_the_site() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let dan = person(&db, "dan").await;
        let mut tx = db.begin().await.unwrap();
        for i in 0..3 {
            meetinghouse_store::notifications::insert(&mut tx, dan.id, "reply", &format!("news number {i}."), "/").await.unwrap();
        }
        tx.commit().await.unwrap();
        let shown = notifications::list(&db, &dan, 0).await.unwrap();
        // Dan reads the two older ones on the site.
        notifications::open(&db, &dan, shown[1].id).await.unwrap();
        notifications::open(&db, &dan, shown[2].id).await.unwrap();
        assert_eq!(notifications::send_digests(&db, mail, meetinghouse_store::now() + 86_400).await.unwrap(), 1);
        let digest = meetinghouse_store::outbox::recent(&db, 1).await.unwrap().remove(0);
        assert!(digest.subject.contains("(1 new)"), "{}", digest.subject);
        assert!(digest.body.contains("- news number 2.") && !digest.body.contains("news number 0") && !digest.body.contains("news number 1"), "{}", digest.body);
        let mut tx = db.begin().await.unwrap();
        let (left, more) = meetinghouse_store::notifications::take_undigested(&mut tx, dan.id, 100).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(left.is_empty() && more == 0, "the read ones are marked emailed too");

        // Someone with only read notifications gets no digest at all.
        let eve = person(&db, "eve").await;
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::notifications::insert(&mut tx, eve.id, "reply", "seen already.", "/").await.unwrap();
        tx.commit().await.unwrap();
        notifications::mark_all_read(&db, &eve).await.unwrap();
        assert_eq!(notifications::send_digests(&db, mail, meetinghouse_store::now() + 86_400).await.unwrap(), 0);
    }
}

/// Notification email goes only to an active account with a confirmed
/// address; the notifications stay on the site.
#[tokio::test]
async fn notification_email_goes_only_to_active_confirmed_accounts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ann = person(&db, "ann").await;
        let subject = story(&db, &s, &ann).await;
        // Una never confirmed her address; Sue is suspended; both want email at once, Dee a digest.
        let signup = |h: &str| meetinghouse_core::accounts::SignupForm {
            email: format!("{h}@example.org"),
            handle: h.into(),
            display_name: h.into(),
            password: "a long enough password".into(),
            accept_conduct: true,
            invite_code: String::new(),
        };
        meetinghouse_core::accounts::signup(&db, &s, "http://x", &signup("una")).await.unwrap();
        meetinghouse_core::accounts::signup(&db, &s, "http://x", &signup("dee")).await.unwrap();
        let una = meetinghouse_core::accounts::login(&db, "una@example.org", "a long enough password").await.unwrap();
        let dee = meetinghouse_core::accounts::login(&db, "dee@example.org", "a long enough password").await.unwrap();
        let sue = person(&db, "sue").await;
        notifications::set_mode(&db, &una, "immediate").await.unwrap();
        notifications::set_mode(&db, &sue, "immediate").await.unwrap();
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::moderation::suspend(&mut tx, sue.id, None).await.unwrap();
        tx.commit().await.unwrap();
        let outbox_before = table_count(&db, "email_outbox").await;

        conversations::post(&db, mail, &ann, subject, &reply("Welcome @una, @sue and @dee")).await.unwrap();
        assert_eq!(table_count(&db, "email_outbox").await, outbox_before, "no immediate email to an unconfirmed or suspended account");
        assert_eq!(notifications::send_digests(&db, mail, meetinghouse_store::now() + 86_400).await.unwrap(), 0, "no digest to an unconfirmed address");
        assert_eq!(table_count(&db, "email_outbox").await, outbox_before);
        for who in [&una, &sue, &dee] {
            assert_eq!(notifications::unread(&db, who).await.unwrap(), 1, "{}: still told on the site", who.handle);
        }
    }
}

/// "Mark all as read" marks the notifications the page showed;
/// following one marks it read and gives its link, only to its owner.
#[tokio::test]
async fn marking_read_stops_at_what_the_page_showed() {
    for db in meetinghouse_testkit::databases().await {
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let add = |text: &'static str| {
            let db = db.clone();
            async move {
                let mut tx = db.begin().await.unwrap();
                let id = meetinghouse_store::notifications::insert(&mut tx, ann.id, "reply", text, "/replies/7").await.unwrap();
                tx.commit().await.unwrap();
                id
            }
        };
        let first = add("one.").await;
        let second = add("two.").await;
        let page_newest = notifications::list(&db, &ann, 0).await.unwrap()[0].id;
        assert_eq!(page_newest, second);
        let third = add("three, after the page was shown.").await;
        notifications::mark_read(&db, &ann, &[first, page_newest]).await.unwrap();
        let unread: Vec<i64> = notifications::list(&db, &ann, 0).await.unwrap().iter().filter(|n| n.read_at.is_none()).map(|n| n.id).collect();
        assert_eq!(unread, vec![third]);
        assert!(matches!(notifications::open(&db, &bea, third).await, Err(CoreError::NotFound)), "only the owner's");
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 1);
        assert_eq!(notifications::open(&db, &ann, third).await.unwrap(), "/replies/7");
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 0);
        assert!(notifications::open(&db, &ann, first).await.is_ok(), "opening a read one again is fine");
    }
}

/// A group's hosts hear of a person's request once, whatever name they ask
/// under, and a host who blocked or muted them hears nothing.
#[tokio::test]
async fn join_requests_reach_hosts_once_and_never_past_a_block() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let form = GroupForm { name: "Lock keepers".into(), slug: "lock-keepers".into(), purpose: String::new(), visibility: "public".into(), join_policy: "request".into() };
        groups::create(&db, &s, &ann, &form).await.unwrap();

        notifications::join_requested(&db, mail, "lock-keepers", &bea).await.unwrap();
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 1);
        // Bea changes her name and asks again: nothing new for Ann.
        for name in ["Bea Again", "Bea Once More"] {
            let renamed = Actor { display_name: name.into(), ..bea.clone() };
            notifications::join_requested(&db, mail, "lock-keepers", &renamed).await.unwrap();
        }
        assert_eq!(told(&db, &ann).await, vec!["bea (@bea) asked to join Lock keepers.".to_string()]);

        // Ann muted Cal, then blocked him: his requests never reach her.
        moderation::relate(&db, &ann, "cal", "mute").await.unwrap();
        notifications::join_requested(&db, mail, "lock-keepers", &cal).await.unwrap();
        moderation::relate(&db, &ann, "cal", "unmute").await.unwrap();
        moderation::relate(&db, &ann, "cal", "block").await.unwrap();
        notifications::join_requested(&db, mail, "lock-keepers", &cal).await.unwrap();
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 1, "{:?}", told(&db, &ann).await);
        moderation::relate(&db, &ann, "cal", "unblock").await.unwrap();
        notifications::join_requested(&db, mail, "lock-keepers", &cal).await.unwrap();
        assert_eq!(notifications::unread(&db, &ann).await.unwrap(), 2, "once unblocked, Cal's request is news");
    }
}

/// A moderator opening a reply that waits for review (the queue links it)
/// sees it and what it answers; other readers still get "not found". A
/// reply's own page lists its answers a page at a time.
#[tokio::test]
async fn moderators_see_a_waiting_reply_and_long_threads_say_there_is_more() {
    for db in meetinghouse_testkit::databases().await {
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let dan = person(&db, "dan").await;
        let s0 = Settings::load(&db).await.unwrap();
        let subject = story(&db, &s0, &ann).await;
        let mail = Mailer { settings: &s0, base_url: "https://town.example" };
        let first = conversations::post(&db, mail, &ann, subject, &reply("Open on Sundays?")).await.unwrap();
        let asked = conversations::post(&db, mail, &ann, subject, &reply("And on bank holidays?")).await.unwrap();

        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let pending = conversations::post(&db, mail, &dan, subject, &to(asked, "Yes, from ten")).await.unwrap();
        let t = conversations::thread(&db, pending, Some(&mia)).await.unwrap();
        assert_eq!(t.reply.shown, Shown::Pending);
        assert!(t.reply.html.contains("Yes, from ten") && t.reply.for_moderator && !t.reply.own);
        assert_eq!(t.parent.map(|p| p.row.id), Some(asked));
        assert!(matches!(conversations::thread(&db, pending, Some(&ann)).await, Err(CoreError::NotFound)));
        assert!(matches!(conversations::thread(&db, pending, None).await, Err(CoreError::NotFound)));
        // In the subject's conversation the moderator sees what readers see.
        let page = conversations::conversation(&db, subject, Some(&mia), None).await.unwrap();
        assert!(page.replies.iter().all(|r| r.row.id != pending));

        let shown = conversations::ANSWERS_SHOWN as usize;
        for i in 0..shown {
            conversations::post(&db, mail, &ann, subject, &to(first, &format!("Answer {i}"))).await.unwrap();
        }
        let t = conversations::thread(&db, first, None).await.unwrap();
        assert_eq!((t.answers.len(), t.more_answers), (shown, false), "exactly the limit: nothing more to say");
        conversations::post(&db, mail, &ann, subject, &to(first, "One more")).await.unwrap();
        let t = conversations::thread(&db, first, None).await.unwrap();
        assert_eq!((t.answers.len(), t.more_answers), (shown, true));
        assert_eq!(t.next_after, t.answers.last().map(|a| a.row.id));
        assert!(!t.later_page);

        // The next page goes on after the last answer listed; its first
        // answer says what it answers when that is on an earlier page.
        let last = t.answers.last().unwrap().row.id;
        let nested = conversations::post(&db, mail, &ann, subject, &to(last, "Nested")).await.unwrap();
        let next = conversations::thread_page(&db, first, None, t.next_after).await.unwrap();
        let bodies: Vec<&str> = next.answers.iter().map(|a| a.row.body.as_str()).collect();
        assert_eq!(bodies, vec!["Nested", "One more"]);
        assert!(next.later_page && next.next_after.is_none() && !next.more_answers);
        assert_eq!(next.answers[0].row.id, nested);
        assert_eq!(next.answers[0].in_reply_to.as_ref().map(|(p, _)| *p), Some(last));
        assert!(next.answers[0].in_reply_to_shown, "shown to everyone: what it answers is on an earlier page");
        assert_eq!(next.answers[1].in_reply_to.as_ref().map(|(p, _)| *p), Some(first), "said to screen readers");
        assert!(!next.answers[1].in_reply_to_shown, "an answer to the reply itself needs no visible pointer");
        // A place to go on from that is not an answer to this reply is not a page of it.
        for wrong in [asked, first, pending, 987_654] {
            assert!(matches!(conversations::thread_page(&db, first, None, Some(wrong)).await, Err(CoreError::NotFound)), "{wrong}");
        }
    }
}

/// A collection object of the organisation `org`, as an import writes it.
async fn object(db: &Db, org: i64, accession: &str, title: &str) -> i64 {
    meetinghouse_testkit::add_object(db, org, meetinghouse_testkit::object_record(accession, title)).await
}

/// A top-level reply on something no person owns (an organisation's page, a
/// collection object, a group's discussion) reaches its hosts: the
/// organisation's active staff and admins, the group's active hosts. Never
/// its author, a plain member, someone only invited, or a host who blocked
/// or muted the author (nothing is written for them, so lifting the block
/// or mute later shows nothing); each person once; a reply that waits for
/// review only once it is published. Telling hosts adds no interaction edge.
#[tokio::test]
async fn top_level_replies_on_unowned_subjects_reach_their_hosts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let mia = admin(&db, "mia").await;
        let (sam, tom, una, vic, wes, ivy) =
            (person(&db, "sam").await, person(&db, "tom").await, person(&db, "una").await, person(&db, "vic").await, person(&db, "wes").await, person(&db, "ivy").await);
        let bea = person(&db, "bea").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let org = meetinghouse_store::orgs::by_slug(&db, "museum").await.unwrap().unwrap().id;
        let mut tx = db.begin().await.unwrap();
        for (p, role) in [(&tom, "staff"), (&una, "member"), (&vic, "staff"), (&wes, "admin")] {
            meetinghouse_store::orgs::add_active(&mut tx, org, p.id, role).await.unwrap();
        }
        tx.commit().await.unwrap();
        meetinghouse_store::orgs::invite(&db, org, ivy.id, "staff", sam.id).await.unwrap();
        moderation::relate(&db, &vic, "bea", "block").await.unwrap();
        moderation::relate(&db, &wes, "bea", "mute").await.unwrap();

        // The organisation's page: its admins and staff hear of it.
        let first = conversations::post(&db, mail, &bea, Subject::Org(org), &reply("When are you open?")).await.unwrap();
        let on_page = "bea replied on “Museum”’s page.".to_string();
        assert_eq!(told(&db, &sam).await, vec![on_page.clone()]);
        assert_eq!(told(&db, &tom).await, vec![on_page.clone()]);
        moderation::relate(&db, &vic, "bea", "unblock").await.unwrap();
        moderation::relate(&db, &wes, "bea", "unmute").await.unwrap();
        for nobody in [&una, &vic, &wes, &ivy, &bea] {
            assert!(told(&db, nobody).await.is_empty(), "{}: {:?}", nobody.handle, told(&db, nobody).await);
        }
        let url = &notifications::list(&db, &sam, 0).await.unwrap()[0].url;
        assert_eq!(url, &format!("/replies/{first}"));

        // A host who is mentioned hears once; an answer tells the person answered, not the hosts.
        conversations::post(&db, mail, &bea, Subject::Org(org), &reply("Thank you @tom and @una")).await.unwrap();
        assert_eq!(told(&db, &tom).await, vec!["bea mentioned you on “Museum”.".to_string(), on_page.clone()]);
        assert_eq!(told(&db, &una).await, vec!["bea mentioned you on “Museum”.".to_string()]);
        assert_eq!(told(&db, &sam).await.len(), 2);
        conversations::post(&db, mail, &sam, Subject::Org(org), &to(first, "From ten, every day")).await.unwrap();
        assert_eq!(told(&db, &bea).await, vec!["sam replied to you on “Museum”.".to_string()]);
        assert_eq!(told(&db, &tom).await.len(), 2, "an answer is not news for the hosts");
        // A host's own reply tells the other hosts, not themself.
        conversations::post(&db, mail, &sam, Subject::Org(org), &reply("Welcome, everyone")).await.unwrap();
        assert_eq!(told(&db, &sam).await.len(), 2);
        assert_eq!(told(&db, &tom).await[0], "sam replied on “Museum”’s page.");

        // A collection object.
        let bobbin = object(&db, org, "1985/12", "Lace bobbin").await;
        conversations::post(&db, mail, &bea, Subject::Object(bobbin), &reply("My gran had one")).await.unwrap();
        let on_object = "bea replied to “Lace bobbin” in your organisation’s collection.";
        assert_eq!(told(&db, &sam).await[0], on_object);
        let wes_heard = vec![on_object.to_string(), "sam replied on “Museum”’s page.".to_string(), on_page.clone()];
        assert_eq!(told(&db, &wes).await, wes_heard, "once unmuted, Wes hears of new replies");

        // A members-only group's discussion: its hosts, not its members.
        let hal = person(&db, "hal").await;
        let joe = person(&db, "joe").await;
        let group = GroupForm { name: "Tenants".into(), slug: "tenants".into(), purpose: String::new(), visibility: "members".into(), join_policy: "invite".into() };
        groups::create(&db, &s, &hal, &group).await.unwrap();
        for p in [&joe, &bea, &una] {
            member(&db, "tenants", p).await;
        }
        groups::set_host(&db, &hal, "tenants", joe.id, true).await.unwrap();
        let gid = meetinghouse_store::groups::by_slug(&db, "tenants").await.unwrap().unwrap().id;
        conversations::post(&db, mail, &bea, Subject::Group(gid), &reply("Shall we meet on Friday?")).await.unwrap();
        for host in [&hal, &joe] {
            assert_eq!(told(&db, host).await, vec!["bea started a conversation in “Tenants”.".to_string()], "{}", host.handle);
        }
        assert_eq!(told(&db, &una).await.len(), 1, "members are not told");

        // Waiting for review: the hosts hear of it when it is published.
        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let dan = person(&db, "dan").await;
        let waiting = conversations::post(&db, mail, &dan, Subject::Org(org), &reply("Do you take donations?")).await.unwrap();
        assert_eq!(told(&db, &tom).await.len(), 4, "{:?}", told(&db, &tom).await);
        moderate(&db, mail, &mia, &una, waiting, "approve").await;
        assert_eq!(told(&db, &tom).await[0], "dan replied on “Museum”’s page.");
        assert_eq!(told(&db, &sam).await[0], "dan replied on “Museum”’s page.");

        // The interaction record keeps its meaning: answers and mentions, no edge to a host told.
        let edges = every_edge(&db).await;
        for host in ["sam", "tom", "wes", "hal", "joe"] {
            assert!(!has_edge(&edges, "bea", host, "reply") && !has_edge(&edges, "dan", host, "reply"), "{host}: {edges}");
        }
        assert!(has_edge(&edges, "bea", "tom", "mention") && has_edge(&edges, "sam", "bea", "reply"), "{edges}");
    }
}

/// An organisation with more staff than [`conversations::HOSTS_TOLD_MAX`]:
/// that many are told, its admins first.
#[tokio::test]
async fn the_hosts_told_of_a_reply_are_capped_admins_first() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let sam = person(&db, "sam").await;
        let bea = person(&db, "bea").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Big Council".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let org = meetinghouse_store::orgs::by_slug(&db, "big-council").await.unwrap().unwrap().id;
        let max = conversations::HOSTS_TOLD_MAX;
        let mut staff = Vec::new();
        let mut tx = db.begin().await.unwrap();
        for i in 0..max + 5 {
            let handle = format!("staff{i}");
            let email = format!("{handle}@example.org");
            let new = meetinghouse_store::people::NewPerson { email: &email, handle: &handle, display_name: &handle, password_hash: "-", is_admin: false, status: "active" };
            let id = meetinghouse_store::people::insert(&mut tx, &new).await.unwrap();
            meetinghouse_store::orgs::add_active(&mut tx, org, id, "staff").await.unwrap();
            staff.push(id);
        }
        // The last to join is an admin.
        let new = meetinghouse_store::people::NewPerson { email: "zed@example.org", handle: "zed", display_name: "zed", password_hash: "-", is_admin: false, status: "active" };
        let zed = meetinghouse_store::people::insert(&mut tx, &new).await.unwrap();
        meetinghouse_store::orgs::add_active(&mut tx, org, zed, "admin").await.unwrap();
        tx.commit().await.unwrap();

        conversations::post(&db, mail, &bea, Subject::Org(org), &reply("Who do I ask about bins?")).await.unwrap();
        let heard = |id: i64| {
            let db = db.clone();
            async move { meetinghouse_store::notifications::unread_count(&db, id, 10).await.unwrap() }
        };
        assert_eq!((heard(sam.id).await, heard(zed).await), (1, 1), "both admins");
        let mut told_staff = 0;
        for id in &staff {
            told_staff += heard(*id).await;
        }
        assert_eq!(told_staff, max - 2, "{max} in all");
        assert_eq!(heard(*staff.last().unwrap()).await, 0);
    }
}

/// An author reaches their own replies when the subject is gone from their
/// view (they left a members-only group, the story became a draft): their
/// list says what became of each, and names the subject only while they may
/// see it; the reply's page shows them the reply, nothing of the subject or
/// its answers, and lets them retract it, not edit or answer it. Nobody
/// else gains anything.
#[tokio::test]
async fn authors_keep_their_replies_when_the_subject_is_gone() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let (hal, ann, cal, dan) = (person(&db, "hal").await, person(&db, "ann").await, person(&db, "cal").await, person(&db, "dan").await);
        let group = GroupForm { name: "Tenants".into(), slug: "tenants".into(), purpose: String::new(), visibility: "members".into(), join_policy: "invite".into() };
        groups::create(&db, &s, &hal, &group).await.unwrap();
        member(&db, "tenants", &dan).await;
        let gid = meetinghouse_store::groups::by_slug(&db, "tenants").await.unwrap().unwrap().id;
        let canal = story(&db, &s, &ann).await;
        let draft = story(&db, &s, &ann).await;

        // Dan's first reply waits for review; then review is off again.
        let s1 = review_first(&db, &mia, 1).await;
        let pending = conversations::post(&db, Mailer { settings: &s1, base_url: "https://town.example" }, &dan, canal, &reply("Waiting *here*")).await.unwrap();
        let s = review_first(&db, &mia, 0).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let in_group = conversations::post(&db, mail, &dan, Subject::Group(gid), &reply("Rent goes up in May")).await.unwrap();
        conversations::post(&db, mail, &hal, Subject::Group(gid), &to(in_group, "Thanks for the warning, Dan")).await.unwrap();
        let visible = conversations::post(&db, mail, &dan, canal, &reply("Lovely  canal\nwalks")).await.unwrap();
        let on_draft = conversations::post(&db, mail, &dan, draft, &reply("A draft soon")).await.unwrap();
        let retracted = conversations::post(&db, mail, &dan, canal, &reply("Oops")).await.unwrap();
        conversations::retract(&db, &dan, retracted, "Wrong story").await.unwrap();
        let hidden = conversations::post(&db, mail, &dan, canal, &reply("You fools")).await.unwrap();
        moderate(&db, mail, &mia, &ann, hidden, "hide").await;
        groups::leave(&db, &dan, "tenants").await.unwrap();
        db.execute_admin(&format!("UPDATE stories SET visibility = 'draft' WHERE id = {}", draft.id())).await.unwrap();

        let mine = conversations::mine(&db, &dan, None).await.unwrap();
        let ids: Vec<i64> = mine.replies.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![hidden, retracted, on_draft, visible, in_group, pending], "newest first");
        assert_eq!(mine.next_before, None);
        let of = |id: i64| mine.replies.iter().find(|r| r.id == id).unwrap();
        assert_eq!((of(visible).shown, of(visible).excerpt.as_str()), (Shown::Text, "Lovely canal walks"));
        assert_eq!(of(visible).subject, Some(("Sundays on the canal".to_string(), format!("/stories/{}", canal.id()))));
        assert_eq!((of(pending).shown, of(pending).excerpt.as_str()), (Shown::Pending, "Waiting *here*"));
        assert_eq!((of(hidden).shown, of(hidden).excerpt.as_str()), (Shown::Hidden, "You fools"));
        assert_eq!((of(retracted).shown, of(retracted).excerpt.as_str(), of(retracted).note.as_str()), (Shown::Retracted, "", "Wrong story"));
        for gone in [in_group, on_draft] {
            assert_eq!(of(gone).subject, None, "no title of what Dan may no longer see");
            assert_eq!(of(gone).shown, Shown::Text);
        }

        // The reply's own page: the reply, nothing of the subject or its answers.
        let t = conversations::thread(&db, in_group, Some(&dan)).await.unwrap();
        assert!(t.info.is_none() && t.parent.is_none() && t.answers.is_empty() && t.personas.is_empty(), "{:?}", t.answers);
        assert!(t.reply.own && t.reply.html.contains("Rent goes up in May"));
        for other in [Some(&cal), Some(&ann), None] {
            assert!(matches!(conversations::thread(&db, in_group, other).await, Err(CoreError::NotFound)));
        }
        assert!(matches!(conversations::edit(&db, &s, &dan, in_group, "Rent goes up in June").await, Err(CoreError::NotFound)));
        assert!(matches!(conversations::history(&db, in_group, Some(&dan)).await, Err(CoreError::NotFound)));
        assert!(matches!(conversations::post(&db, mail, &dan, Subject::Group(gid), &to(in_group, "Again")).await, Err(CoreError::NotFound)));
        assert!(matches!(conversations::retract(&db, &cal, in_group, "").await, Err(CoreError::NotFound)), "only its author");
        conversations::retract(&db, &dan, in_group, "Out of date").await.unwrap();
        assert_eq!(conversations::thread(&db, in_group, Some(&dan)).await.unwrap().reply.shown, Shown::Retracted);
        let page = conversations::conversation(&db, Subject::Group(gid), Some(&hal), None).await.unwrap();
        assert_eq!(page.replies[0].shown, Shown::Retracted, "the members see it retracted");
        // A hidden reply on a visible subject is still the author's and the moderators' only.
        assert!(conversations::thread(&db, hidden, Some(&dan)).await.unwrap().info.is_some());
        assert!(matches!(conversations::thread(&db, pending, Some(&cal)).await, Err(CoreError::NotFound)));

        // Pages of 50, newest first, none twice.
        for i in 0..conversations::MINE_PAGE_SIZE {
            conversations::post(&db, mail, &dan, canal, &reply(&format!("Reply {i}"))).await.unwrap();
        }
        let first = conversations::mine(&db, &dan, None).await.unwrap();
        assert_eq!(first.replies.len() as i64, conversations::MINE_PAGE_SIZE);
        assert_eq!(first.replies[0].excerpt, format!("Reply {}", conversations::MINE_PAGE_SIZE - 1));
        let next = conversations::mine(&db, &dan, first.next_before).await.unwrap();
        let ids: Vec<i64> = next.replies.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![hidden, retracted, on_draft, visible, in_group, pending]);
        assert!(next.later_page && next.next_before.is_none());
        assert!(conversations::mine(&db, &cal, None).await.unwrap().replies.is_empty(), "only one's own");
    }
}

/// A reply on something that belongs to a group is written by an insert
/// that itself reads whether the group is archived, in the reply's one
/// batch: nothing of the batch is stored once it is, by either way a batch
/// runs (SQLite's writer thread, a sqlx transaction); and posting says why
/// in the archive's words.
#[tokio::test]
async fn a_reply_in_an_archived_group_is_refused_by_the_insert_that_would_write_it() {
    use meetinghouse_store::conversations::{NewReply, insert_in_open_group_into};
    use meetinghouse_store::writes::Batch;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let claire = person(&db, "claire").await;
        let form = GroupForm { name: "Canal Friends".into(), slug: "canal".into(), visibility: "public".into(), join_policy: "open".into(), ..Default::default() };
        groups::create(&db, &s, &claire, &form).await.unwrap();
        let canal = meetinghouse_store::groups::by_slug(&db, "canal").await.unwrap().unwrap().id;
        let new = NewReply {
            subject_kind: "group",
            subject_id: canal,
            parent: None,
            author_person: claire.id,
            author_org: None,
            voice: "person",
            body: "Clean-up on Saturday.",
            status: "visible",
            by_host: true,
            public: true,
        };
        let batch = || {
            let mut b = Batch::new();
            let step = insert_in_open_group_into(&mut b, &new, canal, canal);
            // A later statement of the batch, as a notification would be.
            b.execute("UPDATE replies SET body = body WHERE id = $1", vec![step.into()]);
            (b, step)
        };
        let replies = |db: Db| async move { conversations::conversation(&db, Subject::Group(canal), None, None).await.unwrap().replies.len() };

        let (b, step) = batch();
        assert!(db.write(b).await.unwrap().id(step) > 0, "written while the group is open");
        assert_eq!(replies(db.clone()).await, 1);

        groups::archive(&db, &claire, "canal").await.unwrap();
        let (b, _) = batch();
        assert!(matches!(db.write(b).await, Err(meetinghouse_store::StoreError::NotFound)));
        let (b, _) = batch();
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(b.run_in(&mut tx).await, Err(meetinghouse_store::StoreError::NotFound)));
        tx.rollback().await.unwrap();
        assert_eq!(replies(db.clone()).await, 1, "nothing of either batch was stored");
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        match conversations::post(&db, mail, &claire, Subject::Group(canal), &reply("Anyone there?")).await {
            Err(CoreError::Forbidden(m)) => assert!(m.starts_with("Canal Friends is archived (since "), "{m}"),
            other => panic!("expected the archive's refusal, got {other:?}"),
        }
    }
}

/// Quotes nested past what can be shown are refused in plain words on
/// posting and on editing; text stored before that (written straight to
/// the store here) renders with its deeper levels flattened, to bounded
/// HTML, on the conversation and in the history.
#[tokio::test]
async fn deeply_nested_replies_are_refused_and_old_ones_render_bounded() {
    use meetinghouse_core::markdown::NESTING_MAX;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let subject = story(&db, &s, &ann).await;
        let deep = ">".repeat(9_990);
        match conversations::post(&db, mail, &bea, subject, &reply(&deep)).await {
            Err(CoreError::Invalid(e)) => {
                let m = e.get("body").unwrap();
                assert!(m.contains("9990 levels deep") && m.contains(&format!("at most {NESTING_MAX}")), "{m}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let ok = format!("{} as she said", "> ".repeat(NESTING_MAX));
        let id = conversations::post(&db, mail, &bea, subject, &reply(&ok)).await.unwrap();
        assert!(matches!(conversations::edit(&db, &s, &bea, id, &deep).await, Err(CoreError::Invalid(_))), "an edit is refused too");

        // Stored before the refusal: 9,990 levels, and an edit that kept it in the history.
        let new = meetinghouse_store::conversations::NewReply {
            subject_kind: "story",
            subject_id: subject.id(),
            parent: None,
            author_person: bea.id,
            author_org: None,
            voice: "person",
            body: &deep,
            status: "visible",
            by_host: false,
            public: true,
        };
        let mut tx = db.begin().await.unwrap();
        let (old, _) = meetinghouse_store::conversations::insert(&mut tx, &new).await.unwrap();
        meetinghouse_store::conversations::update_body(&mut tx, old, "Sorry, my cat sat on the keyboard.").await.unwrap();
        tx.commit().await.unwrap();
        // Put the deep text back as the current one, as it was stored.
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::conversations::update_body(&mut tx, old, &deep).await.unwrap();
        tx.commit().await.unwrap();

        let page = conversations::conversation(&db, subject, None, None).await.unwrap();
        let shown = page.replies.iter().find(|r| r.row.id == old).unwrap();
        assert_eq!(shown.html.matches("<blockquote>").count(), NESTING_MAX, "levels past the bound are flattened");
        assert!(shown.html.len() < 2_000, "bounded HTML: {} bytes", shown.html.len());
        let (_, _, versions) = conversations::history(&db, old, None).await.unwrap();
        assert!(versions.iter().all(|(html, _)| html.matches("<blockquote>").count() <= NESTING_MAX && html.len() < 2_000));
        assert!(versions.iter().any(|(html, _)| html.matches("<blockquote>").count() == NESTING_MAX), "the deep version is in the history, flattened");
    }
}

/// An edit of a published reply by an author whose replies still wait for
/// review goes back to waiting: readers see that it waits (not its new
/// text, on the conversation or at its address), the queue has it, and
/// approving it publishes the new text without telling anyone again.
/// Once the author is past review, or review is off, an edit shows at once.
#[tokio::test]
async fn an_edit_during_first_contribution_review_waits_for_review_again() {
    for db in meetinghouse_testkit::databases().await {
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let dav = person(&db, "dav").await;
        let s = review_first(&db, &mia, 2).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let subject = story(&db, &s, &ann).await;

        let first = conversations::post_reply(&db, mail, &dav, subject, &reply("A polite first reply")).await.unwrap();
        assert!(first.waiting);
        moderate(&db, mail, &mia, &ann, first.id, "approve").await;
        assert_eq!(shown(&db, first.id, &dav).await, Shown::Text);
        let told = notifications::list(&db, &ann, 0).await.unwrap().len();
        let edges = every_edge_count(&db).await;

        let spam = conversations::EditForm { body: "BUY CHEAP PILLS http://spam.example".into(), pause_confirmed: false };
        assert_eq!(conversations::edit_reply(&db, &s, &dav, first.id, &spam).await.unwrap(), conversations::Edited::Waiting);
        // Readers: a placeholder keeps its place, with no text; its page says the same.
        let page = conversations::conversation(&db, subject, None, None).await.unwrap();
        let r = page.replies.iter().find(|r| r.row.id == first.id).expect("it keeps its place in the thread");
        assert_eq!(r.shown, Shown::Pending);
        assert!(r.html.is_empty());
        let t = conversations::thread(&db, first.id, None).await.unwrap();
        assert!(t.reply.html.is_empty() && t.reply.shown == Shown::Pending);
        assert!(!format!("{:?}", t.reply.html).contains("PILLS"));
        // Its author sees the new text; the earlier one is in the history.
        assert!(conversations::thread(&db, first.id, Some(&dav)).await.unwrap().reply.html.contains("PILLS"));
        let (_, _, versions) = conversations::history(&db, first.id, None).await.unwrap();
        assert!(versions.iter().any(|(h, _)| h.contains("A polite first reply")));
        // The queue has it, and its approval shows the new text and tells nobody again.
        let item = moderation::queue(&db, &mia).await.unwrap().into_iter().find(|q| q.report.target_kind == "reply" && q.report.target_id == first.id).expect("in the queue");
        assert_eq!(item.report.category, "first-contributions");
        assert!(item.excerpt_html.contains("PILLS"), "the moderator judges the new text");
        moderation::act(&db, mail, &mia, item.report.id, &ActionForm { action: "approve".into(), ..Default::default() }).await.unwrap();
        assert!(conversations::thread(&db, first.id, None).await.unwrap().reply.html.contains("PILLS"));
        assert_eq!(notifications::list(&db, &ann, 0).await.unwrap().len(), told, "no second notification");
        assert_eq!(every_edge_count(&db).await, edges, "no second edge");

        // Edited again: it waits again.
        let edit = |body: &str| conversations::EditForm { body: body.into(), pause_confirmed: false };
        assert_eq!(conversations::edit_reply(&db, &s, &dav, first.id, &edit("Worse words")).await.unwrap(), conversations::Edited::Waiting);
        // An edit while it waits replaces the waiting text and keeps no version.
        assert_eq!(conversations::edit_reply(&db, &s, &dav, first.id, &edit("Even worse")).await.unwrap(), conversations::Edited::Replaced);
        let item = moderation::queue(&db, &mia).await.unwrap().into_iter().filter(|q| q.report.target_kind == "reply" && q.report.target_id == first.id).count();
        assert_eq!(item, 1, "one report while it waits");

        // Past review (two published replies), an edit shows at once.
        let second = conversations::post_reply(&db, mail, &dav, subject, &reply("Another one")).await.unwrap();
        moderate(&db, mail, &mia, &ann, second.id, "approve").await;
        assert_eq!(conversations::edit_reply(&db, &s, &dav, second.id, &edit("Another one, corrected")).await.unwrap(), conversations::Edited::Kept);
        // With review off, nobody waits.
        let bea = person(&db, "bea").await;
        let s = review_first(&db, &mia, 0).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let hers = conversations::post(&db, mail, &bea, subject, &reply("Hello")).await.unwrap();
        assert_eq!(conversations::edit_reply(&db, &s, &bea, hers, &edit("Hello there")).await.unwrap(), conversations::Edited::Kept);
    }
}

async fn every_edge_count(db: &Db) -> i64 {
    table_count(db, "interactions").await
}

/// Edits go through the reply form's pause prompt, an account saves at
/// most `EDITS_PER_HOUR` of them an hour, and the history is read a page
/// of `HISTORY_PAGE_SIZE` at a time.
#[tokio::test]
async fn edits_pause_are_limited_and_their_history_is_paged() {
    use conversations::{EDITS_PER_HOUR, EditForm, Edited, HISTORY_PAGE_SIZE};
    for db in meetinghouse_testkit::databases().await {
        let mia = admin(&db, "mia").await;
        moderation::save_policy(&db, &mia, &PolicyForm { public_log: false, pause_words: "idiot".into(), review_first: "0".into() }).await.unwrap();
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let subject = story(&db, &s, &ann).await;
        let id = conversations::post(&db, mail, &bea, subject, &reply("nice")).await.unwrap();

        let unconfirmed = EditForm { body: "you idiot".into(), pause_confirmed: false };
        match conversations::edit_reply(&db, &s, &bea, id, &unconfirmed).await {
            Err(CoreError::Invalid(e)) => assert!(e.get("pause_confirmed").unwrap().contains("“idiot”"), "{e}"),
            other => panic!("expected the pause prompt, got {other:?}"),
        }
        assert!(conversations::thread(&db, id, None).await.unwrap().reply.html.contains("nice"), "nothing saved");
        let confirmed = EditForm { pause_confirmed: true, ..unconfirmed };
        assert_eq!(conversations::edit_reply(&db, &s, &bea, id, &confirmed).await.unwrap(), Edited::Kept);

        // The first edit above counted; the budget runs out at the limit.
        for i in 1..EDITS_PER_HOUR.limit {
            let form = EditForm { body: format!("version {i}"), pause_confirmed: false };
            assert_eq!(conversations::edit_reply(&db, &s, &bea, id, &form).await.unwrap(), Edited::Kept, "edit {i}");
        }
        let over = EditForm { body: "one too many".into(), pause_confirmed: false };
        assert_eq!(conversations::edit_reply(&db, &s, &bea, id, &over).await.unwrap(), Edited::OverBudget);
        assert!(!conversations::thread(&db, id, None).await.unwrap().reply.html.contains("one too many"), "nothing saved");
        // An instance admin is not counted.
        let hers = conversations::post(&db, mail, &mia, subject, &reply("From the admin")).await.unwrap();
        for i in 0..=EDITS_PER_HOUR.limit {
            let form = EditForm { body: format!("admin version {i}"), pause_confirmed: false };
            assert_eq!(conversations::edit_reply(&db, &s, &mia, hers, &form).await.unwrap(), Edited::Kept);
        }

        // 30 versions kept: a page of 20, then 10.
        let first = conversations::history_page(&db, id, None, 1).await.unwrap();
        assert_eq!(first.versions.len() as i64, HISTORY_PAGE_SIZE);
        assert!(first.more);
        assert!(first.versions[0].0.contains("version 28"), "newest first: {}", first.versions[0].0);
        let second = conversations::history_page(&db, id, None, 2).await.unwrap();
        assert_eq!(second.versions.len() as i64, i64::from(EDITS_PER_HOUR.limit) - HISTORY_PAGE_SIZE);
        assert!(!second.more);
        assert!(second.versions.last().unwrap().0.contains("nice"), "the first text is last");
        assert!(conversations::history_page(&db, id, None, 3).await.unwrap().versions.is_empty());
    }
}

/// A reply in an archived group is not edited or thanked (its author can
/// still retract it), and the pages say it takes nothing new.
#[tokio::test]
async fn replies_in_an_archived_group_are_not_edited_or_thanked() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let kwa = person(&db, "kwa").await;
        let stan = person(&db, "stan").await;
        let form = GroupForm { name: "Residents".into(), slug: "residents".into(), visibility: "public".into(), join_policy: "open".into(), ..Default::default() };
        groups::create(&db, &s, &kwa, &form).await.unwrap();
        groups::join(&db, &s, &stan, "residents").await.unwrap();
        let gid = meetinghouse_store::groups::by_slug(&db, "residents").await.unwrap().unwrap().id;
        let subject = Subject::Group(gid);
        let id = conversations::post(&db, mail, &stan, subject, &reply("Before the archive")).await.unwrap();
        let other = conversations::post(&db, mail, &stan, subject, &reply("Another")).await.unwrap();
        assert!(conversations::thread(&db, id, Some(&kwa)).await.unwrap().archived.is_none());
        groups::archive(&db, &kwa, "residents").await.unwrap();

        let refused = |r: Result<(), CoreError>| match r {
            Err(CoreError::Forbidden(m)) => assert!(m.starts_with("Residents is archived"), "{m}"),
            other => panic!("expected the archive's refusal, got {other:?}"),
        };
        refused(conversations::edit(&db, &s, &stan, id, "Edited after the archive").await.map(|_| ()));
        refused(conversations::thank(&db, mail, &kwa, id, "thanks").await);
        assert!(conversations::for_editing(&db, &s, &stan, id).await.is_err(), "no edit form either");
        let (_, _, versions) = conversations::history(&db, id, None).await.unwrap();
        assert!(versions.is_empty(), "no revision kept");
        assert!(notifications::list(&db, &stan, 0).await.unwrap().iter().all(|n| n.kind != "thanks"));
        let t = conversations::thread(&db, id, Some(&kwa)).await.unwrap();
        assert!(t.archived.as_deref().is_some_and(|w| w.starts_with("Residents is archived")));
        assert!(t.reply.archived);
        let page = conversations::conversation(&db, subject, Some(&kwa), None).await.unwrap();
        assert!(page.replies.iter().all(|r| r.archived));
        // Retracting stays open to its author.
        conversations::retract(&db, &stan, other, "").await.unwrap();
        assert_eq!(shown(&db, other, &stan).await, Shown::Retracted);
    }
}

/// Thanks: each new one counts against `THANKS_PER_HOUR`; sending one
/// again changes nothing and is not counted.
#[tokio::test]
async fn thanks_are_limited_per_hour() {
    use conversations::{THANKS, THANKS_PER_HOUR, Thanked};
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let subject = story(&db, &s, &ann).await;
        let limit = THANKS_PER_HOUR.limit as usize;
        let mut ids = Vec::new();
        for i in 0..limit / THANKS.len() + 1 {
            ids.push(conversations::post(&db, mail, &bea, subject, &reply(&format!("Reply {i}"))).await.unwrap());
        }
        let mut sent = 0;
        'all: for id in &ids {
            for (kind, _, _) in THANKS {
                if sent == limit {
                    break 'all;
                }
                assert_eq!(conversations::thank_counted(&db, mail, &ann, *id, kind).await.unwrap(), Thanked::Sent);
                sent += 1;
            }
        }
        // Again: nothing new, not counted.
        assert_eq!(conversations::thank_counted(&db, mail, &ann, ids[0], "thanks").await.unwrap(), Thanked::Sent);
        let last = *ids.last().unwrap();
        assert_eq!(conversations::thank_counted(&db, mail, &ann, last, "learnt").await.unwrap(), Thanked::OverBudget);
        assert!(!conversations::thread(&db, last, Some(&ann)).await.unwrap().sent.contains(&"learnt".to_string()), "not stored");
        assert_eq!(notifications::list(&db, &bea, 0).await.unwrap().iter().filter(|n| n.kind == "thanks").count(), limit);
    }
}

/// Retracting a reply that waits for review closes its review: the queue
/// no longer lists it, and nobody has to dismiss it.
#[tokio::test]
async fn retracting_a_waiting_reply_closes_its_review() {
    for db in meetinghouse_testkit::databases().await {
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let dav = person(&db, "dav").await;
        let s = review_first(&db, &mia, 1).await;
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let subject = story(&db, &s, &ann).await;
        let waiting = conversations::post(&db, mail, &dav, subject, &reply("Hello all")).await.unwrap();
        assert!(moderation::queue(&db, &mia).await.unwrap().iter().any(|q| q.report.target_kind == "reply" && q.report.target_id == waiting));
        conversations::retract(&db, &dav, waiting, "").await.unwrap();
        assert!(!moderation::queue(&db, &mia).await.unwrap().iter().any(|q| q.report.target_kind == "reply" && q.report.target_id == waiting));
    }
}
