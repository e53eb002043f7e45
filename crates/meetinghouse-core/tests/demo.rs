//! The demo town on every configured backend: a run stopped part-way is
//! finished by the next one, with the same town an uninterrupted run makes;
//! a finished town is left alone; an account of the meeting house's own that
//! uses a demo handle is not seeded around.

use meetinghouse_core::{Actor, CoreError, Db, accounts, demo};
use meetinghouse_media::{LocalStore, MediaStore};
use meetinghouse_store::{common_ground, conversations, groups, media, objects, orgs, people, prompts, settings, stories};

fn media_store(name: &str) -> (MediaStore, std::path::PathBuf) {
    let dir = meetinghouse_store::test_databases::temp_dir(name);
    (MediaStore::Local(LocalStore::new(dir.join("media"))), dir)
}

/// What the town holds, counted the same way on any database.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    people: i64,
    orgs: i64,
    groups: i64,
    prompts: usize,
    stories: usize,
    stories_with_photos: usize,
    uploads: usize,
    uploads_unused: usize,
    objects: i64,
    story_objects: usize,
    replies: usize,
    conversations: usize,
    statements: usize,
    votes: usize,
    analysed: bool,
    complete: bool,
}

async fn counts(db: &Db) -> Counts {
    let stories = stories::recent_public(db, None, 1_000, 0).await.unwrap();
    let (mut with_photos, mut uploads, mut story_objects, mut replies) = (0, std::collections::HashSet::new(), 0, 0);
    for s in &stories {
        let photos = media::photos_of_story(db, s.id).await.unwrap();
        with_photos += usize::from(!photos.is_empty());
        uploads.extend(photos.iter().map(|p| p.media_id));
        story_objects += objects::ids_of_story(db, s.id).await.unwrap().len();
        replies += conversations::page(db, "story", s.id, "", 0, 10_000).await.unwrap().len();
    }
    let prompts = prompts::list(db, 100, 0).await.unwrap();
    for p in &prompts {
        replies += conversations::page(db, "prompt", p.id, "", 0, 10_000).await.unwrap().len();
    }
    for g in groups::list_all(db, 100, 0).await.unwrap() {
        replies += conversations::page(db, "group", g.id, "", 0, 10_000).await.unwrap().len();
    }
    let museum = orgs::by_slug(db, "tiverton-museum").await.unwrap().map_or(0, |o| o.id);
    let conversations = common_ground::list(db, 100, 0).await.unwrap();
    let (mut statements, mut votes, mut analysed) = (0, 0, true);
    for c in &conversations {
        statements += common_ground::statements(db, c.id).await.unwrap().len();
        votes += common_ground::votes(db, c.id).await.unwrap().len();
        analysed &= common_ground::analysis(db, c.id).await.unwrap().is_some();
    }
    Counts {
        people: people::count(db).await.unwrap(),
        orgs: orgs::count(db).await.unwrap(),
        groups: groups::count(db).await.unwrap(),
        prompts: prompts.len(),
        stories: stories.len(),
        stories_with_photos: with_photos,
        uploads: uploads.len(),
        uploads_unused: media::unused_before(db, meetinghouse_store::now() + 1, 1_000).await.unwrap().len(),
        objects: objects::count(db, museum).await.unwrap(),
        story_objects,
        replies,
        conversations: conversations.len(),
        statements,
        votes,
        analysed,
        complete: settings::get(db, "demo_town").await.unwrap().is_some(),
    }
}

#[tokio::test]
async fn a_demo_stopped_part_way_is_finished_by_the_next_run() {
    // The town an uninterrupted run makes.
    let reference = meetinghouse_testkit::sqlite().await;
    let (store, dir) = media_store("mh_demo_whole");
    let report = demo::seed(&reference, &store).await.unwrap();
    assert!(!report.skipped && !report.resumed);
    let whole = counts(&reference).await;
    assert_eq!((whole.people, whole.stories, whole.stories_with_photos, whole.uploads, whole.uploads_unused), (44, 100, 100, 12, 0), "{whole:?}");
    assert!(whole.replies > 2_000 && whole.votes > 1_000 && whole.conversations == 1 && whole.analysed && whole.complete, "{whole:?}");
    // The network's purpose has one amendment open, with an objection and an answer in its conversation.
    let together = meetinghouse_store::groups::by_slug(&reference, "tiverton-together").await.unwrap().unwrap();
    let open = meetinghouse_store::purposes::open_amendments(&reference, together.id).await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(meetinghouse_store::purposes::objections(&reference, open[0].id).await.unwrap().len(), 1);
    assert_eq!(meetinghouse_store::conversations::page(&reference, "amendment", open[0].id, "", 0, 10).await.unwrap().len(), 1);
    // No members-only group lets anyone join; Tara's request to the
    // members-only Residents' Voice, whose page she may not see, is on her
    // own page to withdraw.
    for g in groups::list_all(&reference, 100, 0).await.unwrap() {
        assert!(!(g.visibility == "members" && g.join_policy == "open"), "{} is members only and open", g.slug);
    }
    let tara = Actor::from_row(&people::by_handle(&reference, "tara").await.unwrap().unwrap());
    let asked = meetinghouse_core::groups::asked(&reference, &tara, 1).await.unwrap().0;
    assert_eq!(asked.iter().map(|a| (a.group.slug.as_str(), a.visible)).collect::<Vec<_>>(), [("residents-voice", 0)]);
    let _ = std::fs::remove_dir_all(dir);

    for db in meetinghouse_testkit::databases().await {
        let (store, dir) = media_store("mh_demo_resumed");
        // Stopped after the first transaction, while the photos were being
        // uploaded (3 of the 12 stored, none given to a story yet).
        let first = demo::seed_first_steps(&db, &store, 1).await.unwrap();
        assert_eq!((first.people, first.stories), (44, 100));
        let sam = people::by_handle(&db, "sam").await.unwrap().unwrap();
        for i in 0..3 {
            let picture = meetinghouse_media::generated_picture(i + 1, 1200, 800);
            meetinghouse_core::media::upload(&db, &store, &Actor::from_row(&sam), picture, meetinghouse_media::Limits::default()).await.unwrap().unwrap();
        }
        let stopped = counts(&db).await;
        assert_eq!((stopped.people, stopped.stories, stopped.uploads_unused, stopped.replies, stopped.conversations), (44, 100, 3, 0, 0));
        assert!(!stopped.complete);

        // The next run goes on; this one stops before the common-ground conversation.
        let second = demo::seed_first_steps(&db, &store, 4).await.unwrap();
        assert!(second.resumed && !second.skipped, "{second:?}");
        assert_eq!((second.people, second.objects, second.photos, second.common_ground), (0, 200, 100, (0, 0)), "{second:?}");
        assert!(second.replies > 2_000);
        assert!(!counts(&db).await.complete);

        // And the last one finishes the town: the same as an uninterrupted run.
        let third = demo::seed(&db, &store).await.unwrap();
        assert!(third.resumed && !third.skipped, "{third:?}");
        assert_eq!((third.objects, third.photos, third.replies), (0, 0, 0), "{third:?}");
        assert_eq!(third.common_ground.0, 300);
        assert!(third.to_string().starts_with("Finished the demo town"), "{third}");
        assert_eq!(counts(&db).await, whole);

        // A finished town is left alone.
        let again = demo::seed(&db, &store).await.unwrap();
        assert!(again.skipped, "{again:?}");
        assert_eq!(again.to_string(), "The demo town is already here: nothing to do.");
        assert_eq!(counts(&db).await, whole);

        // Without the mark (a town an older version seeded, or another
        // version's mark) every step finds its rows and adds nothing.
        let mut tx = db.begin().await.unwrap();
        settings::put(&mut tx, "demo_town", "0").await.unwrap();
        tx.commit().await.unwrap();
        assert!(demo::unfinished(&db).await.unwrap());
        let unmarked = demo::seed(&db, &store).await.unwrap();
        assert!(unmarked.skipped, "{unmarked:?}");
        assert_eq!(counts(&db).await, whole);
        assert!(!demo::unfinished(&db).await.unwrap());
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn an_account_of_the_meeting_house_with_a_demo_handle_is_not_seeded_around() {
    let (store, dir) = media_store("mh_demo_taken");
    for db in meetinghouse_testkit::databases().await {
        accounts::create_admin(&db, "sam@example.org", "sam", "Sam Real", "a long enough password").await.unwrap();
        let Err(CoreError::Forbidden(message)) = demo::seed(&db, &store).await else { panic!("a real @sam must stop the demo") };
        assert!(message.contains("@sam is an account of this meeting house"), "{message}");
        assert_eq!(people::count(&db).await.unwrap(), 1, "nothing was written");
        assert!(settings::get(&db, "demo_town").await.unwrap().is_none());
        assert!(!demo::unfinished(&db).await.unwrap());
    }
    // The same for an address the demo needs, under another handle.
    let db = meetinghouse_testkit::sqlite().await;
    accounts::create_admin(&db, "priya@demo.meetinghouse.test", "someone", "", "a long enough password").await.unwrap();
    let Err(CoreError::Forbidden(message)) = demo::seed(&db, &store).await else { panic!("a taken demo address must stop the demo") };
    assert!(message.contains("priya@demo.meetinghouse.test") && message.contains("@someone"), "{message}");
    assert_eq!(people::count(&db).await.unwrap(), 1);
    let _ = std::fs::remove_dir_all(dir);
}
