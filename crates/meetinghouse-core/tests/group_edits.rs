//! Hosts edit a group and archive it; an organisation's admins edit it. On
//! every configured backend: who may, the change log, the checks creation
//! makes, the networks rule kept both ways, a members-only switch that hides
//! what the group holds, and every way into an archived group refused (one
//! assertion each) until it is opened again.

use meetinghouse_core::common_ground::{self, ConversationForm, Participant};
use meetinghouse_core::groups::{self, GroupEditForm, GroupForm};
use meetinghouse_core::notifications::Mailer;
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::prompts::{self, PromptEditForm, PromptForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::subjects::{self, Subject};
use meetinghouse_core::{Actor, CoreError, Db, conversations};
use meetinghouse_store::groups::MemberKind;

mod common;
use common::{admin, person, reply};

fn mail(s: &Settings) -> Mailer<'_> {
    Mailer { settings: s, base_url: "https://town.example" }
}

/// A group named `name` at `slug`, hosted by `host`; its id.
async fn group(db: &Db, s: &Settings, host: &Actor, name: &str, slug: &str, visibility: &str, policy: &str) -> i64 {
    let form = GroupForm { name: name.into(), slug: slug.into(), visibility: visibility.into(), join_policy: policy.into(), ..Default::default() };
    groups::create(db, s, host, &form).await.unwrap();
    row(db, slug).await.id
}

async fn row(db: &Db, slug: &str) -> groups::GroupRow {
    meetinghouse_store::groups::by_slug(db, slug).await.unwrap().unwrap()
}

fn edit_form(name: &str, visibility: &str, policy: &str) -> GroupEditForm {
    GroupEditForm { name: name.into(), visibility: visibility.into(), join_policy: policy.into(), confirm_public: false }
}

fn invalid(r: Result<impl std::fmt::Debug, CoreError>, field: &str) -> String {
    match r {
        Err(CoreError::Invalid(e)) => e.get(field).unwrap_or_else(|| panic!("no error for {field}: {e}")).to_string(),
        other => panic!("expected an error for {field}, got {other:?}"),
    }
}

fn forbidden(r: Result<impl std::fmt::Debug, CoreError>) -> String {
    match r {
        Err(CoreError::Forbidden(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn is_archived_refusal(message: &str, name: &str) -> bool {
    message.starts_with(&format!("{name} is archived (since ")) && message.contains("it takes nothing new")
}

fn story_form(title: &str, visibility: &str, prompt: &str) -> StoryForm {
    StoryForm {
        title: title.into(),
        body: "What we saw.".into(),
        licence: "cc0".into(),
        visibility: visibility.into(),
        prompt_id: prompt.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_host_edits_a_group_its_address_stays_and_the_change_is_logged() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam, eve) = (person(&db, "claire").await, person(&db, "sam").await, person(&db, "eve").await);
        let id = group(&db, &s, &claire, "Canal Friends", "canal-friends", "public", "open").await;
        groups::join(&db, &s, &sam, "canal-friends").await.unwrap();

        let changed = groups::edit(&db, &s, &claire, "canal-friends", &edit_form("Friends of the Canal", "public", "request")).await.unwrap();
        assert_eq!(changed, vec!["name", "join_policy"]);
        let g = row(&db, "canal-friends").await;
        assert_eq!((g.id, g.name.as_str(), g.join_policy.as_str(), g.visibility.as_str()), (id, "Friends of the Canal", "request", "public"));

        // The log says who changed what, newest first, to the hosts.
        let page = groups::edit_page(&db, &claire, "canal-friends").await.unwrap();
        let said: Vec<String> = page.changes.iter().map(|c| format!("{} {}", groups::change_by(c), groups::change_words(c))).collect();
        assert_eq!(
            said,
            vec![
                "claire (@claire) changed how people join from “anyone can join” to “people ask, a host approves”",
                "claire (@claire) changed the name from “Canal Friends” to “Friends of the Canal”",
            ],
            "on {:?}",
            db.backend()
        );
        // Saving it unchanged changes (and logs) nothing.
        assert!(groups::edit(&db, &s, &claire, "canal-friends", &edit_form("Friends of the Canal", "public", "request")).await.unwrap().is_empty());
        assert_eq!(groups::edit_page(&db, &claire, "canal-friends").await.unwrap().changes.len(), 2);

        // A member who does not host it is refused; so is someone outside,
        // and the change log is not theirs to read.
        let said = forbidden(groups::edit(&db, &s, &sam, "canal-friends", &edit_form("Sam's canal", "public", "open")).await);
        assert_eq!(said, "Only hosts of Friends of the Canal can change it.");
        forbidden(groups::edit_page(&db, &eve, "canal-friends").await);
        assert_eq!(row(&db, "canal-friends").await.name, "Friends of the Canal");
        // A members-only group is "not found" to those outside it.
        group(&db, &s, &claire, "Quiet Room", "quiet-room", "members", "invite").await;
        assert!(matches!(groups::edit(&db, &s, &eve, "quiet-room", &edit_form("Eve's", "public", "open")).await, Err(CoreError::NotFound)));
        assert!(matches!(groups::edit_page(&db, &eve, "quiet-room").await, Err(CoreError::NotFound)));
        // An instance admin may act as a host, as for its members.
        let ada = admin(&db, "ada").await;
        groups::edit(&db, &s, &ada, "quiet-room", &edit_form("The Quiet Room", "members", "invite")).await.unwrap();
        assert_eq!(row(&db, "quiet-room").await.name, "The Quiet Room");

        // The checks creation makes, with its words.
        let said = invalid(groups::edit(&db, &s, &claire, "canal-friends", &edit_form("  ", "public", "open")).await, "name");
        let on_create = invalid(groups::create(&db, &s, &claire, &GroupForm { name: "  ".into(), slug: "x-y".into(), visibility: "public".into(), join_policy: "open".into(), ..Default::default() }).await, "name");
        assert_eq!(said, on_create);
        invalid(groups::edit(&db, &s, &claire, "canal-friends", &edit_form("Canal", "everyone", "open")).await, "visibility");
        invalid(groups::edit(&db, &s, &claire, "canal-friends", &edit_form("Canal", "public", "anyone")).await, "join_policy");
        // Groups may share a name, as when they are created.
        groups::edit(&db, &s, &claire, "quiet-room", &edit_form("Friends of the Canal", "members", "invite")).await.unwrap();
    }
}

#[tokio::test]
async fn making_a_members_only_group_public_must_be_confirmed() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let claire = person(&db, "claire").await;
        group(&db, &s, &claire, "Quiet Room", "quiet-room", "members", "request").await;
        let said = invalid(groups::edit(&db, &s, &claire, "quiet-room", &edit_form("Quiet Room", "public", "request")).await, "confirm_public");
        assert!(said.contains("Everyone, signed in or not, will see its members, its discussion"), "{said}");
        // What its purpose's history shows becomes public too: who objected, and why.
        for shown in ["every amendment proposed to it", "every objection with the name of the person who made it and their reason", "the conversation on each amendment"] {
            assert!(said.contains(shown), "{said}");
        }
        assert_eq!(row(&db, "quiet-room").await.visibility, "members");
        let confirmed = GroupEditForm { confirm_public: true, ..edit_form("Quiet Room", "public", "request") };
        groups::edit(&db, &s, &claire, "quiet-room", &confirmed).await.unwrap();
        assert_eq!(row(&db, "quiet-room").await.visibility, "public");
        // Hiding it again needs no such step.
        groups::edit(&db, &s, &claire, "quiet-room", &edit_form("Quiet Room", "members", "request")).await.unwrap();
        assert_eq!(row(&db, "quiet-room").await.visibility, "members");
    }
}

#[tokio::test]
async fn an_edit_keeps_the_networks_rule_both_ways() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, mei) = (person(&db, "claire").await, person(&db, "mei").await);
        let together = group(&db, &s, &claire, "Tiverton Together", "tiverton-together", "public", "request").await;
        let makers = group(&db, &s, &claire, "Riverside Makers", "makers", "public", "request").await;
        groups::nest(&db, mail(&s), &claire, "tiverton-together", "makers").await.unwrap();

        // A member group of a network that chooses its members cannot become open.
        let said = invalid(groups::edit(&db, &s, &claire, "makers", &edit_form("Riverside Makers", "public", "open")).await, "join_policy");
        assert!(said.starts_with("Riverside Makers is a member of Tiverton Together, whose hosts choose their members."), "{said}");
        assert_eq!(row(&db, "makers").await.join_policy, "request");
        // Choosing its members another way is fine.
        groups::edit(&db, &s, &claire, "makers", &edit_form("Riverside Makers", "public", "invite")).await.unwrap();

        // A network with an open member group cannot stop being open.
        group(&db, &s, &mei, "Open Network", "open-network", "public", "open").await;
        group(&db, &s, &mei, "Walkers", "walkers", "public", "open").await;
        groups::nest(&db, mail(&s), &mei, "open-network", "walkers").await.unwrap();
        let said = invalid(groups::edit(&db, &s, &mei, "open-network", &edit_form("Open Network", "public", "request")).await, "join_policy");
        assert!(said.starts_with("Anyone can join Walkers, which is a member of Open Network"), "{said}");
        assert_eq!(row(&db, "open-network").await.join_policy, "open");
        // Its name may still change.
        groups::edit(&db, &s, &mei, "open-network", &edit_form("The Open Network", "public", "open")).await.unwrap();

        // Once the member group is out, the change goes through.
        groups::remove(&db, &claire, "tiverton-together", "group", makers).await.unwrap();
        groups::edit(&db, &s, &claire, "makers", &edit_form("Riverside Makers", "public", "open")).await.unwrap();
        assert_eq!(meetinghouse_store::groups::direct_membership(&db, together, MemberKind::Group, makers).await.unwrap(), None);
        // And nesting it again, open now, is refused as before.
        invalid(groups::nest(&db, mail(&s), &claire, "tiverton-together", "makers").await, "child");
    }
}

#[tokio::test]
async fn an_archived_group_takes_nothing_new_and_opens_again() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam, tara, mei, eve) =
            (person(&db, "claire").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "mei").await, person(&db, "eve").await);
        let canal = group(&db, &s, &claire, "Canal Friends", "canal", "public", "request").await;
        groups::join(&db, &s, &sam, "canal").await.unwrap();
        groups::approve(&db, mail(&s), &claire, "canal", "person", sam.id).await.unwrap();
        // Waiting before the archive: Tara's request and Mei's invitation.
        groups::join(&db, &s, &tara, "canal").await.unwrap();
        groups::invite_person(&db, &claire, "canal", "mei").await.unwrap();
        // What it holds before the archive: a story, a prompt, a conversation.
        let story = stories::create(&db, &s, &sam, &story_form("Herons at the lock", "group:canal", "")).await.unwrap();
        let prompt = prompts::create(&db, &s, &claire, &PromptForm { speak_as: "self".into(), group: "canal".into(), question: "What lives in the canal?".into(), ..Default::default() }).await.unwrap();
        let talk = ConversationForm { topic: "Dredging".into(), seeds: "Dredge it every year".into(), group: "canal".into(), ..Default::default() };
        let talk = common_ground::create(&db, &s, &claire, &talk).await.unwrap();
        let loaded_before = common_ground::load(&db, talk, Some(&sam)).await.unwrap();
        let statement = meetinghouse_store::common_ground::statements(&db, talk).await.unwrap()[0].id;
        let museum = orgs::create(&db, &s, &eve, &OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        group(&db, &s, &claire, "Lock Keepers", "lock-keepers", "public", "request").await;
        group(&db, &s, &claire, "Tiverton Together", "together", "public", "request").await;

        // Only its hosts archive it.
        forbidden(groups::archive(&db, &sam, "canal").await);
        assert!(groups::archive(&db, &claire, "canal").await.unwrap());
        assert!(!groups::archive(&db, &claire, "canal").await.unwrap(), "archiving twice changes nothing");
        let g = row(&db, "canal").await;
        assert!(g.archived_at.is_some());
        assert!(groups::page(&db, "canal", None).await.unwrap().archived_on().is_some());

        // Every way in is refused, in plain words naming the group.
        let refused = |m: String| assert!(is_archived_refusal(&m, "Canal Friends"), "{m}");
        refused(forbidden(groups::join(&db, &s, &eve, "canal").await)); // a request to join
        refused(forbidden(groups::join(&db, &s, &mei, "canal").await)); // accepting an invitation
        refused(forbidden(groups::approve(&db, mail(&s), &claire, "canal", "person", tara.id).await)); // approving a request
        refused(forbidden(groups::invite_person(&db, &claire, "canal", "eve").await)); // an invitation
        refused(forbidden(groups::add_org(&db, mail(&s), &eve, "canal", &museum).await)); // an organisation
        refused(forbidden(groups::nest(&db, mail(&s), &claire, "canal", "lock-keepers").await)); // a member group
        refused(invalid(groups::nest(&db, mail(&s), &claire, "together", "canal").await, "child")); // joining a network
        refused(invalid(stories::create(&db, &s, &sam, &story_form("More herons", "group:canal", "")).await, "visibility")); // a story shared with it
        refused(invalid(stories::create(&db, &s, &sam, &story_form("Eels", "public", &prompt.to_string())).await, "prompt_id")); // an answer to its prompt
        refused(forbidden(conversations::post(&db, mail(&s), &sam, Subject::Group(canal), &reply("Anyone there?")).await)); // its discussion
        refused(forbidden(conversations::post(&db, mail(&s), &claire, Subject::Story(story), &reply("Lovely.")).await)); // a story shared with it
        refused(forbidden(conversations::post(&db, mail(&s), &sam, Subject::Prompt(prompt), &reply("Eels!")).await)); // its prompt's conversation
        refused(invalid(prompts::create(&db, &s, &claire, &PromptForm { speak_as: "self".into(), group: "canal".into(), question: "Another?".into(), ..Default::default() }).await, "group")); // a new prompt
        refused(forbidden(prompts::edit(&db, &s, &claire, prompt, &PromptEditForm { question: "What swims in the canal?".into(), ..Default::default() }).await)); // editing its prompt
        let again = ConversationForm { topic: "Towpaths".into(), group: "canal".into(), ..Default::default() };
        refused(invalid(common_ground::create(&db, &s, &claire, &again).await, "group")); // a new conversation
        let loaded = common_ground::load(&db, talk, Some(&sam)).await.unwrap();
        refused(forbidden(common_ground::add_statement(&db, &s, &loaded, &Participant::Person(&sam), "Leave the reeds").await)); // a statement
        refused(forbidden(common_ground::vote(&db, &s, &loaded, &Participant::Person(&sam), statement, "agree").await)); // a vote
        // Also when the page was loaded before the archive: the writing transaction checks.
        refused(forbidden(common_ground::vote(&db, &s, &loaded_before, &Participant::Person(&sam), statement, "agree").await));

        // Nothing was written by any of them.
        assert_eq!(meetinghouse_store::groups::direct_membership(&db, canal, MemberKind::Person, tara.id).await.unwrap().map(|m| m.1), Some("requested".into()));
        assert_eq!(meetinghouse_store::groups::direct_membership(&db, canal, MemberKind::Person, mei.id).await.unwrap().map(|m| m.1), Some("invited".into()));
        assert_eq!(meetinghouse_store::groups::direct_membership(&db, canal, MemberKind::Person, eve.id).await.unwrap(), None);
        assert!(conversations::conversation(&db, Subject::Group(canal), Some(&sam), None).await.unwrap().replies.is_empty());

        // What it holds stays readable to those who could read it.
        let s_row = meetinghouse_store::stories::by_id(&db, story).await.unwrap().unwrap();
        assert!(stories::can_see(&db, &s_row, Some(&sam)).await.unwrap());
        assert!(!stories::can_see(&db, &s_row, Some(&eve)).await.unwrap());
        prompts::page(&db, prompt, None).await.unwrap();
        assert!(conversations::conversation(&db, Subject::Group(canal), None, None).await.unwrap().archived.is_some());
        assert!(common_ground::load(&db, talk, None).await.unwrap().group_archived.is_some());
        // Leaving, declining and withdrawing still work; so does closing its prompt.
        groups::decline(&db, mail(&s), &claire, "canal", "person", tara.id).await.unwrap();
        groups::leave(&db, &mei, "canal").await.unwrap();
        prompts::close(&db, &s, &claire, prompt).await.unwrap();
        // Its hosts may still rename it or hide it.
        groups::edit(&db, &s, &claire, "canal", &edit_form("Canal Friends (2019–2026)", "public", "request")).await.unwrap();

        // Opened again, it takes what it refused; the log keeps both.
        forbidden(groups::unarchive(&db, &sam, "canal").await);
        assert!(groups::unarchive(&db, &claire, "canal").await.unwrap());
        assert!(row(&db, "canal").await.archived_at.is_none());
        groups::join(&db, &s, &eve, "canal").await.unwrap();
        conversations::post(&db, mail(&s), &sam, Subject::Group(canal), &reply("We are back.")).await.unwrap();
        stories::create(&db, &s, &sam, &story_form("More herons", "group:canal", "")).await.unwrap();
        common_ground::vote(&db, &s, &common_ground::load(&db, talk, Some(&sam)).await.unwrap(), &Participant::Person(&sam), statement, "agree").await.unwrap();
        let words: Vec<String> = groups::edit_page(&db, &claire, "canal").await.unwrap().changes.iter().map(groups::change_words).collect();
        assert_eq!(words[0], "opened it again");
        assert_eq!(words[2], "archived it");
    }
}

/// A story answering an archived group's prompt is listed on that prompt's
/// page and moderated by the group's hosts, so it takes no new replies
/// while the group is archived, whether it is public and shared with no
/// group or shared with another, open group (`conversations::post`,
/// `holding_groups`). Its replies stay; unlinked from the prompt by its
/// author, or with the group opened again, it takes replies.
#[tokio::test]
async fn a_story_answering_an_archived_groups_prompt_takes_no_new_replies() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam, tara, eve) = (person(&db, "claire").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "eve").await);
        group(&db, &s, &claire, "Canal Friends", "canal", "public", "open").await;
        group(&db, &s, &tara, "Walkers", "walkers", "public", "open").await;
        let prompt = prompts::create(&db, &s, &claire, &PromptForm { speak_as: "self".into(), group: "canal".into(), question: "What lives in the canal?".into(), ..Default::default() }).await.unwrap();
        // Sam's answer is public and shared with no group; Tara's is shared with her own, open group.
        let public = stories::create(&db, &s, &sam, &story_form("Eels", "public", &prompt.to_string())).await.unwrap();
        let walkers = stories::create(&db, &s, &tara, &story_form("Herons", "group:walkers", &prompt.to_string())).await.unwrap();
        let kept = conversations::post(&db, mail(&s), &eve, Subject::Story(public), &reply("Eels? Really?")).await.unwrap();
        // Both are listed on the prompt's page.
        let listed: Vec<i64> = prompts::stories(&db, prompt, Some(&tara), 10, 0).await.unwrap().iter().map(|s| s.id).collect();
        assert!(listed.contains(&public) && listed.contains(&walkers), "{listed:?}");

        groups::archive(&db, &claire, "canal").await.unwrap();
        let refused = |m: String| assert!(is_archived_refusal(&m, "Canal Friends"), "{m}");
        refused(forbidden(conversations::post(&db, mail(&s), &eve, Subject::Story(public), &reply("Still there?")).await));
        refused(forbidden(conversations::post(&db, mail(&s), &sam, Subject::Story(public), &common::to(kept, "Really.")).await)); // an answer to a reply on it
        refused(forbidden(conversations::post(&db, mail(&s), &tara, Subject::Story(walkers), &reply("Grey ones.")).await));
        // The conversation says why, and keeps what was said.
        let convo = conversations::conversation(&db, Subject::Story(public), Some(&eve), None).await.unwrap();
        assert!(convo.archived.as_deref().is_some_and(|m| is_archived_refusal(m, "Canal Friends")), "{:?}", convo.archived);
        assert_eq!(convo.replies.len(), 1);
        // A story of its own, answering no prompt, is not touched.
        let own = common::story(&db, &s, &sam).await;
        conversations::post(&db, mail(&s), &eve, own, &reply("Lovely.")).await.unwrap();
        assert!(conversations::conversation(&db, own, None, None).await.unwrap().archived.is_none());

        // Tara unlinks hers from the prompt: it is hers alone again, and takes replies.
        stories::edit(&db, &s, &tara, walkers, &story_form("Herons", "group:walkers", "")).await.unwrap();
        conversations::post(&db, mail(&s), &tara, Subject::Story(walkers), &reply("Grey ones.")).await.unwrap();
        // Opened again, the group's prompt's answers take replies too.
        groups::unarchive(&db, &claire, "canal").await.unwrap();
        conversations::post(&db, mail(&s), &eve, Subject::Story(public), &reply("Still there?")).await.unwrap();
    }
}

/// The insert itself reads the prompt's group: a reply planned before the
/// archive (the subject resolved while the group was open) is not written.
#[tokio::test]
async fn the_replys_insert_reads_the_prompts_group() {
    use meetinghouse_store::conversations::{self as store_replies, NewReply};
    use meetinghouse_store::writes::Batch;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam) = (person(&db, "claire").await, person(&db, "sam").await);
        let canal = group(&db, &s, &claire, "Canal Friends", "canal", "public", "open").await;
        let walkers = group(&db, &s, &sam, "Walkers", "walkers", "public", "open").await;
        let prompt = prompts::create(&db, &s, &claire, &PromptForm { speak_as: "self".into(), group: "canal".into(), question: "What lives in the canal?".into(), ..Default::default() }).await.unwrap();
        let story = stories::create(&db, &s, &sam, &story_form("Eels", "group:walkers", &prompt.to_string())).await.unwrap();
        groups::archive(&db, &claire, "canal").await.unwrap();
        let new = NewReply { subject_kind: "story", subject_id: story, parent: None, author_person: sam.id, author_org: None, voice: "person", body: "Eels!", status: "visible", by_host: false, public: false };
        for (first, also) in [(walkers, canal), (canal, walkers)] {
            let mut b = Batch::new();
            store_replies::insert_in_open_group_into(&mut b, &new, first, also);
            assert!(matches!(db.write(b).await, Err(meetinghouse_store::StoreError::NotFound)), "on {:?}", db.backend());
        }
        assert!(conversations::conversation(&db, Subject::Story(story), Some(&sam), None).await.unwrap().replies.is_empty());
        // With the open group alone, it is written.
        let mut b = Batch::new();
        store_replies::insert_in_open_group_into(&mut b, &new, walkers, walkers);
        db.write(b).await.unwrap();
    }
}

#[tokio::test]
async fn an_archived_group_is_listed_after_the_others() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let claire = person(&db, "claire").await;
        for (name, slug) in [("Allotments", "allotments"), ("Bell Ringers", "bell-ringers"), ("Choir", "choir")] {
            group(&db, &s, &claire, name, slug, "public", "open").await;
        }
        groups::archive(&db, &claire, "allotments").await.unwrap();
        let names: Vec<String> = groups::list(&db, None, 10, 0).await.unwrap().into_iter().map(|g| g.name).collect();
        assert_eq!(names, ["Bell Ringers", "Choir", "Allotments"]);
        let names: Vec<String> = groups::list(&db, Some(&claire), 10, 0).await.unwrap().into_iter().map(|g| g.name).collect();
        assert_eq!(names, ["Bell Ringers", "Choir", "Allotments"]);
    }
}

#[tokio::test]
async fn a_group_made_members_only_hides_what_it_holds_from_the_public() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam) = (person(&db, "claire").await, person(&db, "sam").await);
        let canal = group(&db, &s, &claire, "Canal Friends", "canal", "public", "open").await;
        groups::join(&db, &s, &sam, "canal").await.unwrap();
        conversations::post(&db, mail(&s), &sam, Subject::Group(canal), &reply("Clean-up on Saturday.")).await.unwrap();
        let prompt = prompts::create(&db, &s, &claire, &PromptForm { speak_as: "self".into(), group: "canal".into(), question: "What lives in the canal?".into(), ..Default::default() }).await.unwrap();
        assert!(subjects::resolve(&db, Subject::Group(canal), None).await.unwrap().public);

        groups::edit(&db, &s, &claire, "canal", &edit_form("Canal Friends", "members", "request")).await.unwrap();
        assert!(matches!(groups::page(&db, "canal", None).await, Err(CoreError::NotFound)));
        assert!(matches!(subjects::resolve(&db, Subject::Group(canal), None).await, Err(CoreError::NotFound)));
        assert!(matches!(conversations::conversation(&db, Subject::Group(canal), None, None).await, Err(CoreError::NotFound)));
        assert!(matches!(prompts::page(&db, prompt, None).await, Err(CoreError::NotFound)));
        assert!(groups::list(&db, None, 10, 0).await.unwrap().is_empty());
        // Its members still see all of it.
        assert_eq!(conversations::conversation(&db, Subject::Group(canal), Some(&sam), None).await.unwrap().replies.len(), 1);
        prompts::page(&db, prompt, Some(&sam)).await.unwrap();
    }
}

#[tokio::test]
async fn an_organisations_admins_edit_it_and_its_name_stays_its_own() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, tara, eve) = (person(&db, "sam").await, person(&db, "tara").await, person(&db, "eve").await);
        let museum = orgs::create(&db, &s, &sam, &OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        orgs::create(&db, &s, &eve, &OrgForm { name: "Riverside Arts".into(), sector: "arts".into(), ..Default::default() }).await.unwrap();
        orgs::invite(&db, &sam, &museum, "tara", "staff").await.unwrap();
        orgs::accept(&db, &tara, &museum).await.unwrap();
        let details = |name: &str| OrgForm {
            name: name.into(),
            sector: "heritage".into(),
            description: "Local history since 1977.".into(),
            website: "https://museum.example".into(),
            town: "Tiverton".into(),
            ..Default::default()
        };

        let changed = orgs::edit(&db, &s, &sam, &museum, &details("Tiverton Museum of Mid Devon Life")).await.unwrap();
        assert_eq!(changed, vec!["name", "description", "website", "town"]);
        let o = meetinghouse_store::orgs::by_slug(&db, &museum).await.unwrap().unwrap();
        assert_eq!((o.name.as_str(), o.town.as_str(), o.website.as_str()), ("Tiverton Museum of Mid Devon Life", "Tiverton", "https://museum.example"));
        let page = orgs::edit_page(&db, &sam, &museum).await.unwrap();
        // Its details' four changes, after Tara's invitation and her
        // accepting it (changes to its members are logged too).
        assert_eq!(page.changes.len(), 6);
        assert_eq!(groups::change_words(&page.changes[3]), "changed the name from “Tiverton Museum” to “Tiverton Museum of Mid Devon Life”");
        assert_eq!(groups::change_by(&page.changes[0]), "sam (@sam)");

        // Its staff and outsiders are refused; an instance admin may.
        assert_eq!(forbidden(orgs::edit(&db, &s, &tara, &museum, &details("Tara's Museum")).await), "Only admins of Tiverton Museum of Mid Devon Life can change its details.");
        forbidden(orgs::edit_page(&db, &eve, &museum).await);
        let ada = admin(&db, "ada").await;
        orgs::edit(&db, &s, &ada, &museum, &details("Tiverton Museum")).await.unwrap();

        // Another organisation's name (folded) is refused with creation's words.
        let said = invalid(orgs::edit(&db, &s, &sam, &museum, &details("riverside  ARTS")).await, "name");
        let on_create = invalid(orgs::create(&db, &s, &tara, &OrgForm { name: "riverside  ARTS".into(), slug: "riverside-2".into(), sector: "arts".into(), ..Default::default() }).await, "name");
        assert_eq!(said, on_create);
        assert!(said.starts_with("There is already an organisation called “Riverside Arts” (at /orgs/riverside-arts)."), "{said}");
        assert_eq!(meetinghouse_store::orgs::by_slug(&db, &museum).await.unwrap().unwrap().name, "Tiverton Museum");
        // Its own name, only re-cased, is its own.
        orgs::edit(&db, &s, &sam, &museum, &details("TIVERTON museum")).await.unwrap();
        // And the name it left is free for another.
        orgs::edit(&db, &s, &eve, "riverside-arts", &OrgForm { sector: "arts".into(), ..details("Tiverton Museum of Mid Devon Life") }).await.unwrap();

        // The checks creation makes.
        invalid(orgs::edit(&db, &s, &sam, &museum, &OrgForm { sector: "".into(), ..details("Tiverton Museum") }).await, "sector");
        invalid(orgs::edit(&db, &s, &sam, &museum, &OrgForm { website: "javascript:alert(1)".into(), ..details("Tiverton Museum") }).await, "website");
        invalid(orgs::edit(&db, &s, &sam, &museum, &details("")).await, "name");
    }
}

/// Runs `act` while another transaction holds an edit of group `id`'s join
/// policy to `policy`, not yet committed, then commits the edit once `act`
/// waits for it, and returns what `act` did. PostgreSQL only: it shows that
/// a join, an organisation brought in or a nesting decides by the policy
/// read in its own transaction, after the group's row lock, and not by the
/// row it read before (which still had the old policy). The wait is seen
/// in `pg_stat_activity`, so the order is certain, not timed. (SQLite's
/// one-writer turn is an in-process lock no query can see waiting; the code
/// path under test is the same on both.)
async fn while_the_policy_changes<T: Send + 'static>(
    db: &Db,
    id: i64,
    name: &str,
    policy: &str,
    act: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let mut tx = db.begin().await.unwrap();
    meetinghouse_store::groups::lock_group(&mut tx, db.backend(), id).await.unwrap();
    let edit = meetinghouse_store::groups::GroupEdit { name, visibility: "public", join_policy: policy };
    meetinghouse_store::groups::update(&mut tx, id, &edit).await.unwrap();
    let acting = tokio::spawn(act);
    meetinghouse_testkit::until_waiting_for_a_lock(db, &acting, "the action").await;
    tx.commit().await.unwrap();
    acting.await.unwrap()
}

#[tokio::test]
async fn joining_and_nesting_go_by_the_join_policy_as_it_is_when_they_are_written() {
    for db in meetinghouse_testkit::databases().await {
        if db.backend() != meetinghouse_store::Backend::Postgres {
            continue;
        }
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam, eve, tara) = (person(&db, "claire").await, person(&db, "sam").await, person(&db, "eve").await, person(&db, "tara").await);

        // A person joins an open group as its host makes it invitation only.
        let canal = group(&db, &s, &claire, "Canal Friends", "canal", "public", "open").await;
        let (d, st, who) = (db.clone(), s.clone(), sam.clone());
        let joined = while_the_policy_changes(&db, canal, "Canal Friends", "invite", async move { groups::join(&d, &st, &who, "canal").await }).await;
        let said = forbidden(joined);
        assert!(said.contains("is invitation only"), "{said}");
        assert_eq!(meetinghouse_store::groups::direct_membership(&db, canal, MemberKind::Person, sam.id).await.unwrap(), None);

        // An organisation is brought into an open group as it becomes invitation only.
        let locks = group(&db, &s, &claire, "Lock Keepers", "locks", "public", "open").await;
        let museum = orgs::create(&db, &s, &eve, &OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let (d, st, who) = (db.clone(), s.clone(), eve.clone());
        let added = while_the_policy_changes(&db, locks, "Lock Keepers", "invite", async move {
            groups::add_org(&d, Mailer { settings: &st, base_url: "https://town.example" }, &who, "locks", &museum).await
        })
        .await;
        assert!(forbidden(added).contains("is invitation only"));

        // A group is nested into an open network as its hosts make it choose its members.
        let network = group(&db, &s, &claire, "Tiverton Together", "together", "public", "open").await;
        let makers = group(&db, &s, &tara, "Riverside Makers", "makers", "public", "request").await;
        let (d, st, who) = (db.clone(), s.clone(), tara.clone());
        let nested = while_the_policy_changes(&db, network, "Tiverton Together", "request", async move {
            groups::nest(&d, Mailer { settings: &st, base_url: "https://town.example" }, &who, "together", "makers").await
        })
        .await;
        assert_eq!(nested.unwrap(), groups::JoinOutcome::Requested, "a request for the hosts, not a member at once");
        let status = meetinghouse_store::groups::direct_membership(&db, network, MemberKind::Group, makers).await.unwrap().map(|m| m.1);
        assert_eq!(status.as_deref(), Some("requested"));
    }
}
