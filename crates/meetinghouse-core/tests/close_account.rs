//! Closing one's own account (core `closing`), on every configured backend:
//! the password and the choice are checked first; the last host of a group
//! with other members, the last admin of an organisation with other members
//! and the last instance admin are refused, saying what to do first; an
//! empty group they host alone is archived and an empty organisation is
//! left without an admin; "remove" deletes their stories, retracts their
//! replies and takes out their statements in open conversations, "keep"
//! leaves them, shown as by a former member, and drafts go either way;
//! the address is free for a new sign-up while the handle stays reserved;
//! signing in and asking for a reset answer as for an unknown address; and
//! nothing of theirs is left (sessions, links, notifications, settings,
//! blocks, memberships, invite codes, mail), while the notifications others
//! got about them name "A former member" and the export by handle names them
//! `former-member-` and a keyed hash, never their id; a mention of the handle is refused as one nobody
//! has, and what reaches the account afterwards goes with the hourly purge.
//! Every write of content takes turns with closing (core
//! `accounts::ensure_still_open`): one from a request that began before the
//! close is refused once it is closed, on PostgreSQL after waiting for the
//! close's lock, and one that got there first is removed with the rest; the
//! hourly purge removes anything of a "remove" choice still found. Nobody
//! can take the name "Former member"; the admins' notice that a closed
//! account waited for approval goes; the page counts only replies others
//! can see; the last email points to `/about`.

use meetinghouse_core::closing::{self, CloseForm};
use meetinghouse_core::common_ground::{self, ConversationForm, Participant};
use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::subjects::Subject;
use meetinghouse_core::purposes::{self, AmendForm, ObjectionForm};
use meetinghouse_core::prompts::{self, PromptForm};
use meetinghouse_core::{Actor, CoreError, Db, accounts, conversations, moderation, people, search};
use meetinghouse_store::closing::left_of;

mod common;
use common::{admin, person, reply};

const PASSWORD: &str = "a long enough password";

fn remove() -> CloseForm {
    CloseForm { password: PASSWORD.into(), posts: "remove".into() }
}

fn keep() -> CloseForm {
    CloseForm { password: PASSWORD.into(), posts: "keep".into() }
}

fn mail(s: &Settings) -> Mailer<'_> {
    Mailer { settings: s, base_url: "https://town.example" }
}

fn refused(r: &Result<closing::Closed, CoreError>, words: &str) -> bool {
    matches!(r, Err(CoreError::Forbidden(m)) if m.contains(words))
}

async fn public_story(db: &Db, s: &Settings, author: &Actor, title: &str, visibility: &str) -> i64 {
    let form = StoryForm { title: title.into(), body: format!("{title}, told."), licence: "cc0".into(), visibility: visibility.into(), ..Default::default() };
    stories::create(db, s, author, &form).await.unwrap()
}

async fn group(db: &Db, s: &Settings, host: &Actor, name: &str, slug: &str) -> String {
    let form = GroupForm { name: name.into(), slug: slug.into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
    groups::create(db, s, host, &form).await.unwrap()
}

async fn org(db: &Db, s: &Settings, admin: &Actor, name: &str) -> String {
    orgs::create(db, s, admin, &OrgForm { name: name.into(), sector: "heritage".into(), ..Default::default() }).await.unwrap()
}

#[tokio::test]
async fn a_wrong_password_or_no_choice_closes_nothing() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let wrong = CloseForm { password: "not my password at all".into(), posts: "remove".into() };
        let r = closing::close(&db, mail(&s), &ann, &wrong).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("password") == Some("That is not your password. Check it and try again; if you forgot it, sign out and choose a new one first.")), "{r:?}");
        let r = closing::close(&db, mail(&s), &ann, &CloseForm { password: String::new(), posts: "remove".into() }).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("password").is_some()), "{r:?}");
        let r = closing::close(&db, mail(&s), &ann, &CloseForm { password: PASSWORD.into(), posts: "everything".into() }).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("posts") == Some("Choose what happens to your stories and replies.")), "{r:?}");
        // Still open, as it was.
        let again = accounts::login(&db, "ann@example.org", PASSWORD).await.unwrap();
        assert_eq!((again.handle.as_str(), again.display_name.as_str()), ("ann", "ann"));
    }
}

#[tokio::test]
async fn the_last_host_or_admin_of_others_and_the_last_instance_admin_are_refused_until_someone_else_is() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;

        // The only instance admin.
        let plan = closing::plan(&db, &mia).await.unwrap();
        assert_eq!(plan.refusals, vec![closing::LAST_INSTANCE_ADMIN.to_string()]);
        assert!(refused(&closing::close(&db, mail(&s), &mia, &remove()).await, "only instance admin"));

        // Ann hosts a group Bea joined, and runs an organisation Bea is staff of.
        let walkers = group(&db, &s, &ann, "Canal Walkers", "walkers").await;
        groups::join(&db, &s, &bea, &walkers).await.unwrap();
        let museum = org(&db, &s, &ann, "Lock Museum").await;
        orgs::invite(&db, &ann, &museum, "bea", "staff").await.unwrap();
        orgs::accept(&db, &bea, &museum).await.unwrap();
        let plan = closing::plan(&db, &ann).await.unwrap();
        assert_eq!(plan.refusals.len(), 2, "{:?}", plan.refusals);
        let r = closing::close(&db, mail(&s), &ann, &remove()).await;
        assert!(refused(&r, "only host of the group “Canal Walkers”") && refused(&r, "only admin of the organisation “Lock Museum”"), "{r:?}");
        // Nothing was written: she still signs in, and still hosts.
        accounts::login(&db, "ann@example.org", PASSWORD).await.unwrap();
        assert!(groups::is_host(&db, &ann, groups::by_address(&db, &walkers).await.unwrap().unwrap().id).await.unwrap());

        // Bea hosts and administers too: now Ann may go, and they stay with Bea.
        groups::set_host(&db, &ann, &walkers, bea.id, true).await.unwrap();
        orgs::change_role(&db, &ann, &museum, bea.id, "admin").await.unwrap();
        assert!(closing::plan(&db, &ann).await.unwrap().refusals.is_empty());
        closing::close(&db, mail(&s), &ann, &remove()).await.unwrap();
        let g = groups::by_address(&db, &walkers).await.unwrap().unwrap();
        assert!(g.archived_at.is_none());
        assert!(groups::is_host(&db, &bea, g.id).await.unwrap());
        assert!(!groups::is_member(&db, ann.id, g.id).await.unwrap());

        // A second admin lets Mia go too.
        meetinghouse_store::people::set_admin(&db, bea.id, true).await.unwrap();
        assert!(closing::plan(&db, &mia).await.unwrap().refusals.is_empty());
        closing::close(&db, mail(&s), &mia, &keep()).await.unwrap();
        let admins = accounts::admins(&db).await.unwrap();
        assert_eq!(admins.iter().map(|a| a.handle.as_str()).collect::<Vec<_>>(), vec!["bea"]);
    }
}

/// The review groupsfix34's M2, for closing: a co-host or co-admin whose
/// account is suspended cannot look after the group or the organisation,
/// so the last host or admin whose account is active is refused as the
/// last one is; once the suspension is lifted they may go.
#[tokio::test]
async fn a_suspended_co_host_or_co_admin_does_not_let_the_last_active_one_close() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bea) = (person(&db, "ann").await, person(&db, "bea").await);
        let walkers = group(&db, &s, &ann, "Canal Walkers", "walkers").await;
        groups::join(&db, &s, &bea, &walkers).await.unwrap();
        groups::set_host(&db, &ann, &walkers, bea.id, true).await.unwrap();
        let museum = org(&db, &s, &ann, "Lock Museum").await;
        orgs::invite(&db, &ann, &museum, "bea", "admin").await.unwrap();
        orgs::accept(&db, &bea, &museum).await.unwrap();
        db.execute_admin(&format!("UPDATE people SET status = 'suspended' WHERE id = {}", bea.id)).await.unwrap();
        let r = closing::close(&db, mail(&s), &ann, &remove()).await;
        assert!(refused(&r, "only host of the group “Canal Walkers”") && refused(&r, "only admin of the organisation “Lock Museum”"), "{r:?}");
        db.execute_admin(&format!("UPDATE people SET status = 'active' WHERE id = {}", bea.id)).await.unwrap();
        closing::close(&db, mail(&s), &ann, &remove()).await.unwrap();
    }
}

#[tokio::test]
async fn a_group_with_nobody_else_is_archived_and_an_organisation_with_nobody_else_keeps_no_admin() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let corner = group(&db, &s, &ann, "Quiet Corner", "corner").await;
        let studio = org(&db, &s, &ann, "Ann's Studio").await;
        let plan = closing::plan(&db, &ann).await.unwrap();
        assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
        assert_eq!(plan.archives, vec![("corner".to_string(), "Quiet Corner".to_string())]);
        assert_eq!(plan.leaves_without_admin, vec![(studio.clone(), "Ann's Studio".to_string())]);

        let done = closing::close(&db, mail(&s), &ann, &remove()).await.unwrap();
        assert_eq!(done.groups_archived, 1);
        let g = groups::by_address(&db, &corner).await.unwrap().unwrap();
        assert!(g.archived_at.is_some(), "archived");
        let o = orgs::by_address(&db, &studio).await.unwrap().expect("the organisation stays");
        assert_eq!(meetinghouse_store::orgs::members(&db, o.id, true, true, 10, 0).await.unwrap().len(), 0);
    }
}

#[tokio::test]
async fn remove_deletes_stories_retracts_replies_and_takes_out_open_statements() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let shown = public_story(&db, &s, &ann, "Heron at the weir", "public").await;
        let draft = public_story(&db, &s, &ann, "Half a thought", "draft").await;
        let beas = public_story(&db, &s, &bea, "Sundays on the canal", "public").await;
        let answer = conversations::post(&db, mail(&s), &ann, Subject::Story(beas), &reply("I walked there too.")).await.unwrap();
        let on_hers = conversations::post(&db, mail(&s), &bea, Subject::Story(shown), &reply("Lovely heron.")).await.unwrap();
        let form = ConversationForm { topic: "The old library".into(), seeds: "Keep it open".into(), moderation: "post".into(), ..Default::default() };
        let cg = common_ground::create(&db, &s, &mia, &form).await.unwrap();
        let c = common_ground::load(&db, cg, Some(&ann)).await.unwrap();
        common_ground::add_statement(&db, &s, &c, &Participant::Person(&ann), "Open it on Sundays").await.unwrap();
        assert_eq!(search::search(&db, "heron", "", 1).await.unwrap().0.len(), 1);

        let done = closing::close(&db, mail(&s), &ann, &remove()).await.unwrap();
        assert_eq!((done.stories_deleted, done.replies_retracted, done.statements_taken_out), (2, 1, 1));
        for id in [shown, draft] {
            assert!(meetinghouse_store::stories::by_id(&db, id).await.unwrap().unwrap().deleted_at.is_some(), "story {id} deleted");
        }
        assert!(matches!(stories::page(&db, shown, Some(&bea)).await, Err(CoreError::NotFound)));
        assert!(search::search(&db, "heron", "", 1).await.unwrap().0.is_empty(), "no longer found");
        let r = meetinghouse_store::conversations::by_id(&db, answer).await.unwrap().unwrap();
        assert_eq!((r.status.as_str(), r.body.as_str()), ("retracted", ""));
        // Others' words stay: Bea's reply on the deleted story is hers.
        assert_eq!(meetinghouse_store::conversations::by_id(&db, on_hers).await.unwrap().unwrap().status, "visible");
        let statements = meetinghouse_store::common_ground::statements(&db, cg).await.unwrap();
        let theirs = statements.iter().find(|st| st.body == "Open it on Sundays").unwrap();
        assert_eq!(theirs.status, "rejected");
        assert_eq!(statements.iter().find(|st| st.body == "Keep it open").unwrap().status, "accepted");
        // Bea's own story is untouched.
        assert!(stories::page(&db, beas, None).await.is_ok());
    }
}

#[tokio::test]
async fn keep_leaves_stories_and_replies_as_by_a_former_member_and_deletes_drafts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let shown = public_story(&db, &s, &ann, "Heron at the weir", "public").await;
        let draft = public_story(&db, &s, &ann, "Half a thought", "draft").await;
        let beas = public_story(&db, &s, &bea, "Sundays on the canal", "public").await;
        let answer = conversations::post(&db, mail(&s), &ann, Subject::Story(beas), &reply("I walked there too.")).await.unwrap();

        let done = closing::close(&db, mail(&s), &ann, &keep()).await.unwrap();
        assert_eq!((done.stories_deleted, done.replies_retracted), (1, 0), "only the draft");
        assert!(meetinghouse_store::stories::by_id(&db, draft).await.unwrap().unwrap().deleted_at.is_some());
        let page = stories::page(&db, shown, None).await.unwrap();
        assert_eq!((page.author_label.as_str(), page.story.author_handle.as_str()), ("Former member", ""));
        assert_eq!(search::search(&db, "heron", "", 1).await.unwrap().0.len(), 1, "a kept story is still found by its words");
        let r = meetinghouse_store::conversations::by_id(&db, answer).await.unwrap().unwrap();
        assert_eq!((r.status.as_str(), r.body.as_str(), r.author_name.as_str(), r.author_handle.as_str()), ("visible", "I walked there too.", "Former member", ""));
        // Bea was told of the reply by name: it names a former member now.
        let told: Vec<String> = notifications::list(&db, &bea, 0).await.unwrap().into_iter().map(|n| n.text).collect();
        assert_eq!(told, vec!["A former member replied to “Sundays on the canal”.".to_string()]);
        // The open data keeps the edge and never names the account.
        let mut csv = Vec::new();
        meetinghouse_core::interactions::export_csv(&db, 0, &mut csv).await.unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let former = csv.lines().find(|l| l.contains(",bea,")).and_then(|l| l.split(',').next()).unwrap_or_default();
        assert!(former.starts_with("former-member-") && former != format!("former-member-{}", ann.id), "a keyed hash, never the id: {csv}");
        assert!(!csv.contains("\nann,"), "{csv}");

        // The handle is nobody's to mention, as one nobody ever had; an
        // answer to the kept story still writes a notification for its
        // author, which the hourly purge takes away.
        let r = conversations::post(&db, mail(&s), &bea, Subject::Story(shown), &reply("Ask @ann about the heron.")).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("body") == Some("Nobody here has the handle @ann. Check the spelling, or leave out the @.")), "{r:?}");
        conversations::post(&db, mail(&s), &bea, Subject::Story(shown), &reply("What a heron.")).await.unwrap();
        assert_eq!(left_of(&db, ann.id).await.unwrap(), vec![("notifications", 1)]);
        assert_eq!(closing::purge_leftovers(&db).await.unwrap(), 1);
        assert_eq!(left_of(&db, ann.id).await.unwrap(), vec![]);
    }
}

#[tokio::test]
async fn the_address_is_free_the_handle_reserved_and_signing_in_or_resetting_says_nothing() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        closing::close(&db, mail(&s), &ann, &remove()).await.unwrap();

        // Signing in answers as for an address nobody has.
        let unknown = accounts::login(&db, "nobody@example.org", PASSWORD).await.unwrap_err().to_string();
        assert_eq!(accounts::login(&db, "ann@example.org", PASSWORD).await.unwrap_err().to_string(), unknown);
        assert_eq!(accounts::login(&db, &format!("closed-account-{}", ann.id), PASSWORD).await.unwrap_err().to_string(), unknown);
        // A reset link is asked for as for an address nobody has: nothing is sent.
        let before = meetinghouse_store::outbox::recent(&db, 50).await.unwrap().len();
        accounts::request_reset(&db, &s, "https://town.example", "ann@example.org").await.unwrap();
        assert_eq!(meetinghouse_store::outbox::recent(&db, 50).await.unwrap().len(), before);

        // The row stays, emptied.
        let row = meetinghouse_store::people::by_id(&db, ann.id).await.unwrap().unwrap();
        assert_eq!((row.handle.as_str(), row.display_name.as_str(), row.email.as_str()), ("", "Former member", format!("closed-account-{}", ann.id).as_str()));
        assert!(row.email_verified_at.is_none() && row.pronouns.is_empty() && row.bio.is_empty());
        assert!(!meetinghouse_core::secrets::verify_password(PASSWORD, &row.password_hash));
        // Their handle is nobody's now, and nobody can take it.
        assert!(matches!(people::profile(&db, &s, None, "ann").await, Err(CoreError::NotFound)));
        assert!(closing::handle_closed(&db, "Ann").await.unwrap());
        let taken = accounts::SignupForm {
            email: "someone@example.org".into(),
            handle: "ann".into(),
            display_name: "Another Ann".into(),
            password: PASSWORD.into(),
            accept_conduct: true,
            invite_code: String::new(),
        };
        let r = accounts::signup(&db, &s, "https://town.example", &taken).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("handle") == Some("That handle is taken. Please choose another.")), "{r:?}");

        // The address makes a new account, which signs in.
        let again = accounts::SignupForm { email: "ann@example.org".into(), handle: "ann_again".into(), ..taken };
        let made = accounts::signup(&db, &s, "https://town.example", &again).await.unwrap();
        assert_ne!(made.person_id, ann.id);
        let new = accounts::login(&db, "ann@example.org", PASSWORD).await.unwrap();
        assert_eq!((new.id, new.handle.as_str()), (made.person_id, "ann_again"));
        // Closing it again (from a stale session) is refused: no password matches it.
        let r = closing::close(&db, mail(&s), &ann, &remove()).await;
        assert!(matches!(&r, Err(CoreError::Invalid(e)) if e.get("password").is_some()), "{r:?}");
    }
}

#[tokio::test]
async fn nothing_of_theirs_is_left_but_a_last_email_and_others_hear_of_a_former_member() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let ann = admin(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let token = accounts::start_session(&db, ann.id).await.unwrap();
        notifications::set_mode(&db, &ann, "immediate").await.unwrap();
        people::update_profile(&db, &ann, &people::ProfileForm {
            display_name: "Ann Lock".into(),
            pronouns: "she/her".into(),
            bio: "Canal boats.".into(),
            sectors: vec!["heritage".into()],
        })
        .await
        .unwrap();
        let ann = accounts::login(&db, "ann@example.org", PASSWORD).await.unwrap();
        moderation::relate(&db, &ann, "bea", "mute").await.unwrap();
        accounts::create_invite(&db, &ann, "for the choir").await.unwrap();
        accounts::request_reset(&db, &s, "https://town.example", "ann@example.org").await.unwrap();
        // Mia's group invites Ann; Ann asks to join Bea's; Ann's reply and Bea's answer tell each other.
        let choir = group(&db, &s, &mia, "Choir", "choir").await;
        groups::invite_person(&db, &mia, &choir, "ann").await.unwrap();
        let walkers = GroupForm { name: "Walkers".into(), slug: "walkers".into(), purpose: String::new(), visibility: "public".into(), join_policy: "request".into() };
        let walkers = groups::create(&db, &s, &bea, &walkers).await.unwrap();
        groups::join(&db, &s, &ann, &walkers).await.unwrap();
        notifications::join_requested(&db, mail(&s), &walkers, &ann).await.unwrap();
        let beas = public_story(&db, &s, &bea, "Sundays on the canal", "public").await;
        let answer = conversations::post(&db, mail(&s), &ann, Subject::Story(beas), &reply("I walked there too.")).await.unwrap();
        conversations::post(&db, mail(&s), &bea, Subject::Story(beas), &common::to(answer, "Come again!")).await.unwrap();
        assert!(!left_of(&db, ann.id).await.unwrap().is_empty());

        let done = closing::close(&db, mail(&s), &ann, &keep()).await.unwrap();
        assert!(done.emailed);
        assert_eq!(left_of(&db, ann.id).await.unwrap(), vec![]);
        assert!(accounts::session_actor(&db, &token).await.unwrap().is_none());
        assert!(accounts::open_invites(&db, &mia).await.unwrap().is_empty());
        // Of all mail to the address, only the last is left.
        let to_ann: Vec<String> =
            meetinghouse_store::outbox::recent(&db, 100).await.unwrap().into_iter().filter(|m| m.to_addr == "ann@example.org").map(|m| m.kind).collect();
        assert_eq!(to_ann, vec![closing::CLOSED_KIND.to_string()]);
        // What Bea was told names a former member, without the old name or handle.
        let told: Vec<String> = notifications::list(&db, &bea, 0).await.unwrap().into_iter().map(|n| n.text).collect();
        assert!(!told.is_empty());
        for text in &told {
            assert!(text.starts_with("A former member "), "{text}");
            assert!(!text.contains("Ann Lock") && !text.contains("@ann"), "{text}");
        }
    }
}

fn refused_as_closed<T: std::fmt::Debug>(what: &str, r: Result<T, CoreError>) {
    assert!(matches!(&r, Err(CoreError::Forbidden(m)) if m == accounts::ACCOUNT_CLOSED), "{what}: {r:?}");
}

#[tokio::test]
async fn every_write_of_content_from_a_session_begun_before_the_close_is_refused_after_it() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        // An instance admin, so that only the closed account stands in the
        // way of opening a prompt or a conversation.
        let ann = admin(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let canal = group(&db, &s, &mia, "Canal Friends", "canal").await;
        groups::join(&db, &s, &bea, &canal).await.unwrap();
        groups::join(&db, &s, &ann, &canal).await.unwrap();
        let amendment = purposes::propose(&db, mail(&s), &bea, &canal, &AmendForm { text: "We look after the canal.".into(), why: "Say what we do.".into() }).await.unwrap();
        let shown = public_story(&db, &s, &ann, "Heron at the weir", "public").await;
        let deleted = public_story(&db, &s, &ann, "Half a thought", "public").await;
        stories::delete(&db, mail(&s), &ann, deleted).await.unwrap();
        let beas = public_story(&db, &s, &bea, "Sundays on the canal", "public").await;
        let mine = conversations::post(&db, mail(&s), &ann, Subject::Story(beas), &reply("I walked there too.")).await.unwrap();
        let hers = conversations::post(&db, mail(&s), &bea, Subject::Story(shown), &reply("Lovely heron.")).await.unwrap();
        let form = ConversationForm { topic: "The old library".into(), seeds: "Keep it open".into(), moderation: "post".into(), ..Default::default() };
        let cg = common_ground::create(&db, &s, &mia, &form).await.unwrap();
        let c = common_ground::load(&db, cg, Some(&ann)).await.unwrap();

        // Ann closes her account, keeping what she wrote; `ann` is the
        // session a request already past its check still holds.
        closing::close(&db, mail(&s), &ann, &keep()).await.unwrap();
        let story = StoryForm { title: "One more".into(), body: "Written late.".into(), licence: "cc0".into(), visibility: "public".into(), ..Default::default() };
        refused_as_closed("a new story", stories::create(&db, &s, &ann, &story).await);
        refused_as_closed("an edit", stories::edit(&db, &s, &ann, shown, &story).await);
        refused_as_closed("a restore", stories::restore(&db, &ann, deleted).await);
        refused_as_closed("a reply", conversations::post(&db, mail(&s), &ann, Subject::Story(beas), &reply("And again.")).await);
        refused_as_closed("a reply's edit", conversations::edit(&db, &s, &ann, mine, "Changed late.").await);
        refused_as_closed("thanks", conversations::thank(&db, mail(&s), &ann, hers, "thanks").await);
        let prompt = PromptForm { speak_as: "self".into(), question: "What lives in the canal?".into(), ..Default::default() };
        refused_as_closed("a prompt", prompts::create(&db, &s, &ann, &prompt).await);
        let conversation = ConversationForm { topic: "The towpath".into(), seeds: "Mend it".into(), moderation: "post".into(), ..Default::default() };
        refused_as_closed("a conversation", common_ground::create(&db, &s, &ann, &conversation).await);
        refused_as_closed("a statement", common_ground::add_statement(&db, &s, &c, &Participant::Person(&ann), "Open it on Sundays").await);
        refused_as_closed("an amendment", purposes::propose(&db, mail(&s), &ann, &canal, &AmendForm { text: "Ours.".into(), why: "Late.".into() }).await);
        refused_as_closed("an objection", purposes::object(&db, mail(&s), &ann, &canal, amendment, &ObjectionForm { reason: "Late.".into() }).await);
        // Nothing of it was written.
        let kept = stories::page(&db, shown, None).await.unwrap();
        assert_eq!(kept.story.title, "Heron at the weir");
        assert_eq!(meetinghouse_store::conversations::by_id(&db, mine).await.unwrap().unwrap().body, "I walked there too.");
        assert!(meetinghouse_store::stories::by_id(&db, deleted).await.unwrap().unwrap().deleted_at.is_some());
        assert_eq!(meetinghouse_store::common_ground::statements(&db, cg).await.unwrap().len(), 1);
        assert!(stories::mine(&db, &ann).await.unwrap().iter().all(|st| st.title != "One more"));
    }
}

/// A public story titled `title`, as a request that began before the close sends it.
fn late_story(title: &str) -> StoryForm {
    StoryForm { title: title.into(), body: "Written as the account closed.".into(), licence: "cc0".into(), visibility: "public".into(), ..Default::default() }
}

#[tokio::test]
async fn on_postgresql_a_write_waits_for_the_close_and_is_refused_or_goes_first_and_is_removed() {
    for db in meetinghouse_testkit::databases().await {
        if db.backend() != meetinghouse_store::Backend::Postgres {
            continue;
        }
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let beas = public_story(&db, &s, &bea, "Sundays on the canal", "public").await;

        // The close has written the tombstone and not committed: a story
        // (Ann's) and a reply (Cal's) from another browser wait for it,
        // then are refused.
        let cal = person(&db, "cal").await;
        for (write, who) in [("story", ann.clone()), ("reply", cal.clone())] {
            let mut tx = db.begin().await.unwrap();
            let placeholder = format!("closed-account-{}", who.id);
            let t = meetinghouse_store::closing::Tombstone { placeholder: &placeholder, unusable_hash: "!closed", display_name: "Former member", posts: "remove" };
            assert!(meetinghouse_store::closing::tombstone(&mut tx, who.id, &t).await.unwrap());
            let (d, st) = (db.clone(), s.clone());
            let acting = tokio::spawn(async move {
                match write {
                    "story" => stories::create(&d, &st, &who, &late_story("Heron at dusk")).await.map(|_| ()),
                    _ => conversations::post(&d, Mailer { settings: &st, base_url: "https://town.example" }, &who, Subject::Story(beas), &reply("Me too!")).await.map(|_| ()),
                }
            });
            meetinghouse_testkit::until_waiting_for_a_lock(&db, &acting, &format!("the {write}")).await;
            tx.commit().await.unwrap();
            refused_as_closed(write, acting.await.unwrap());
        }
        assert!(stories::mine(&db, &ann).await.unwrap().is_empty(), "no story of Ann's");
        assert!(meetinghouse_store::conversations::by_author(&db, cal.id, i64::MAX, 10).await.unwrap().is_empty(), "no reply of Cal's");

        // Bea's reply is being written (its guard taken, the reply in, not
        // committed) when she closes with "remove": the close waits, then
        // finds the reply and retracts it with the rest.
        let mut tx = db.begin().await.unwrap();
        accounts::ensure_still_open(&mut tx, bea.id).await.unwrap();
        let late = meetinghouse_store::conversations::NewReply {
            subject_kind: "story",
            subject_id: beas,
            parent: None,
            author_person: bea.id,
            author_org: None,
            voice: "person",
            body: "Written as the account closed.",
            status: "visible",
            by_host: false,
            public: true,
        };
        let (late, _) = meetinghouse_store::conversations::insert(&mut tx, &late).await.unwrap();
        let (d, st, who) = (db.clone(), s.clone(), bea.clone());
        let acting = tokio::spawn(async move { closing::close(&d, Mailer { settings: &st, base_url: "https://town.example" }, &who, &remove()).await });
        meetinghouse_testkit::until_waiting_for_a_lock(&db, &acting, "the close").await;
        tx.commit().await.unwrap();
        let done = acting.await.unwrap().unwrap();
        assert_eq!((done.stories_deleted, done.replies_retracted), (1, 1));
        assert_eq!(meetinghouse_store::conversations::by_id(&db, late).await.unwrap().unwrap().status, "retracted");
    }
}

#[tokio::test]
async fn the_hourly_purge_removes_what_a_remove_choice_left_and_what_reached_the_account() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let cal = person(&db, "cal").await;
        let shown = public_story(&db, &s, &ann, "Heron at the weir", "public").await;
        let beas = public_story(&db, &s, &bea, "Sundays on the canal", "public").await;
        let answer = conversations::post(&db, mail(&s), &ann, Subject::Story(beas), &reply("I walked there too.")).await.unwrap();
        let form = ConversationForm { topic: "The old library".into(), seeds: "Keep it open".into(), moderation: "post".into(), ..Default::default() };
        let cg = common_ground::create(&db, &s, &mia, &form).await.unwrap();
        let c = common_ground::load(&db, cg, Some(&ann)).await.unwrap();
        common_ground::add_statement(&db, &s, &c, &Participant::Person(&ann), "Open it on Sundays").await.unwrap();
        let cals = public_story(&db, &s, &cal, "Kingfisher by the lock", "public").await;
        let cals_draft = public_story(&db, &s, &cal, "Half a thought", "draft").await;
        closing::close(&db, mail(&s), &ann, &remove()).await.unwrap();
        closing::close(&db, mail(&s), &cal, &keep()).await.unwrap();

        // What a write that slipped past closing would have left: Ann's
        // story, reply and statement back, Cal's draft back, and a block
        // Ann's stale session made.
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::stories::set_deleted(&mut tx, shown, None).await.unwrap();
        meetinghouse_store::stories::set_deleted(&mut tx, cals_draft, None).await.unwrap();
        assert!(meetinghouse_store::conversations::set_status(&mut tx, answer, "retracted", "", "visible", "").await.unwrap());
        let statement = meetinghouse_store::common_ground::statements(&db, cg).await.unwrap().into_iter().find(|st| st.body == "Open it on Sundays").unwrap();
        meetinghouse_store::common_ground::set_statement_status(&mut tx, statement.id, "accepted").await.unwrap();
        tx.commit().await.unwrap();
        moderation::relate(&db, &ann, "bea", "block").await.unwrap();
        assert_eq!(left_of(&db, ann.id).await.unwrap(), vec![("blocks and mutes", 1)]);

        let removed = closing::purge_leftovers(&db).await.unwrap();
        assert_eq!(removed, 5, "a block, two stories, a reply and a statement");
        assert_eq!(left_of(&db, ann.id).await.unwrap(), vec![]);
        for id in [shown, cals_draft] {
            assert!(meetinghouse_store::stories::by_id(&db, id).await.unwrap().unwrap().deleted_at.is_some(), "story {id}");
        }
        assert_eq!(meetinghouse_store::conversations::by_id(&db, answer).await.unwrap().unwrap().status, "retracted");
        let statements = meetinghouse_store::common_ground::statements(&db, cg).await.unwrap();
        assert_eq!(statements.iter().find(|st| st.id == statement.id).unwrap().status, "rejected");
        // What Cal chose to keep stays; others' words are theirs.
        assert!(stories::page(&db, cals, None).await.is_ok());
        assert!(stories::page(&db, beas, None).await.is_ok());
        assert_eq!(closing::purge_leftovers(&db).await.unwrap(), 0, "nothing more");
    }
}

#[tokio::test]
async fn nobody_can_take_the_name_closed_accounts_go_by() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        for name in ["Former member", "A former member", "FORMER MEMBER", "former-member.", "Fоrmer member", "A  Former\u{200b} Member", "Ｆormer member"] {
            let r = people::update_profile(&db, &ann, &people::ProfileForm { display_name: name.into(), ..Default::default() }).await;
            assert!(
                matches!(&r, Err(CoreError::Invalid(e)) if e.get("display_name").is_some_and(|m| m.contains("someone whose account was closed"))),
                "{name:?}: {r:?}"
            );
            let form = accounts::SignupForm {
                email: "new@example.org".into(),
                handle: "newcomer".into(),
                display_name: name.into(),
                password: PASSWORD.into(),
                accept_conduct: true,
                invite_code: String::new(),
            };
            assert!(matches!(accounts::signup(&db, &s, "https://town.example", &form).await, Err(CoreError::Invalid(e)) if e.get("display_name").is_some()), "{name:?}");
        }
        for name in ["Former member of the choir", "Formerly a member", "Member", "Anne Former"] {
            people::update_profile(&db, &ann, &people::ProfileForm { display_name: name.into(), ..Default::default() }).await.unwrap();
        }
    }
}

#[tokio::test]
async fn the_admins_notice_that_a_closed_account_waited_for_approval_goes_with_it() {
    use meetinghouse_core::settings::RegistrationMode;
    for db in meetinghouse_testkit::databases().await {
        let mut s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        s.registration = RegistrationMode::Approval;
        let form = accounts::SignupForm {
            email: "sam@example.org".into(),
            handle: "sam".into(),
            display_name: "Sam Weir".into(),
            password: PASSWORD.into(),
            accept_conduct: true,
            invite_code: String::new(),
        };
        accounts::signup(&db, &s, "https://town.example", &form).await.unwrap();
        let told = notifications::list(&db, &mia, 0).await.unwrap();
        assert_eq!(told.len(), 1);
        assert!(told[0].text.starts_with("@sam (Sam Weir) made an account"), "{}", told[0].text);
        let sam = accounts::login(&db, "sam@example.org", PASSWORD).await.unwrap();
        assert_eq!(sam.status, "pending");
        closing::close(&db, mail(&s), &sam, &remove()).await.unwrap();
        assert!(notifications::list(&db, &mia, 0).await.unwrap().is_empty(), "nothing waits any more");
    }
}

#[tokio::test]
async fn the_page_counts_only_replies_others_can_see_and_the_last_email_points_to_the_about_page() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let beas = public_story(&db, &s, &bea, "Sundays on the canal", "public").await;
        conversations::post(&db, mail(&s), &ann, Subject::Story(beas), &reply("I walked there too.")).await.unwrap();
        let hidden = conversations::post(&db, mail(&s), &ann, Subject::Story(beas), &reply("And a rude word.")).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert!(meetinghouse_store::conversations::set_status(&mut tx, hidden, "visible", "And a rude word.", "hidden", "Rude.").await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(closing::plan(&db, &ann).await.unwrap().posted.replies, 1, "the hidden one is not counted");

        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::people::mark_verified(&mut tx, ann.id).await.unwrap();
        tx.commit().await.unwrap();
        let done = closing::close(&db, mail(&s), &ann, &remove()).await.unwrap();
        assert_eq!(done.replies_retracted, 2, "both go");
        let last = meetinghouse_store::outbox::recent(&db, 50).await.unwrap().into_iter().find(|m| m.kind == closing::CLOSED_KIND).unwrap();
        assert!(last.body.contains("https://town.example/about says how to reach them"), "{}", last.body);
    }
}

/// Closing withdraws the person's open amendments in the closing
/// transaction, and those whose objections stand are told (groups review
/// M1): nobody could withdraw them any more.
#[tokio::test]
async fn closing_withdraws_ones_open_amendments_and_tells_the_objectors() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (david, tom, bea) = (person(&db, "david").await, person(&db, "tom").await, person(&db, "bea").await);
        let slug = group(&db, &s, &david, "Tiny Club", "tiny-club").await;
        for who in [&tom, &bea] {
            groups::join(&db, &s, who, &slug).await.unwrap();
        }
        let a = purposes::propose(&db, mail(&s), &tom, &slug, &AmendForm { text: "We meet monthly.".into(), why: "Monthly.".into() }).await.unwrap();
        purposes::object(&db, mail(&s), &bea, &slug, a, &ObjectionForm { reason: "Too rare.".into() }).await.unwrap();
        closing::close(&db, mail(&s), &tom, &keep()).await.unwrap();
        let page = purposes::amendment_page(&db, &s, &slug, a, None).await.unwrap();
        assert_eq!(page.amendment.state, "withdrawn");
        let told: Vec<String> = meetinghouse_store::notifications::list(&db, bea.id, 0, 50).await.unwrap().into_iter().map(|n| n.text).collect();
        assert!(told.iter().any(|t| t.ends_with("was withdrawn: the person who proposed it closed their account.")), "{told:?}");
        assert_eq!(purposes::settle_due(&db, mail(&s), meetinghouse_store::now() + purposes::WINDOW_SECS + 60).await.unwrap(), 0);
    }
}
