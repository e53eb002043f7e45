//! Stories and prompts on every configured backend: personas, licences,
//! consent, visibility, closed prompts, edit history, delete and restore.

use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::prompts::{self, PromptForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::{CoreError, groups};

mod common;
use common::{person};

fn story(title: &str) -> StoryForm {
    StoryForm {
        title: title.into(),
        body: "We walked along the canal *every* Sunday.".into(),
        licence: "cc-by-4.0".into(),
        visibility: "public".into(),
        period_text: "the 1960s".into(),
        latitude: "50.90234".into(),
        longitude: "-3.49187".into(),
        place_name: "Grand Western Canal".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn prompts_stories_history_and_restore() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        let ann = person(&db, "ann").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();

        // Only staff (speaking at their organisation) or group hosts open prompts.
        let ask = PromptForm { speak_as: "self".into(), question: "What makes a great day out?".into(), ..Default::default() };
        assert!(matches!(prompts::create(&db, &s, &ann, &ask).await, Err(CoreError::Forbidden(_))));
        let ask = PromptForm { speak_as: "org:museum".into(), ..ask };
        let open = prompts::create(&db, &s, &sam, &ask).await.unwrap();
        let closed = prompts::create(&db, &s, &sam, &PromptForm { opens: "2020-01-01".into(), closes: "2020-02-01".into(), ..ask.clone() }).await.unwrap();
        let bad = PromptForm { opens: "2026-05-01".into(), closes: "2026-04-01".into(), ..ask.clone() };
        let Err(CoreError::Invalid(e)) = prompts::create(&db, &s, &sam, &bad).await else { panic!() };
        assert!(e.get("closes").is_some());

        // A story answers the open prompt; the closed one refuses it, input untouched.
        let id = stories::create(&db, &s, &ann, &StoryForm { prompt_id: open.to_string(), ..story("Sundays on the canal") }).await.unwrap();
        let Err(CoreError::Invalid(e)) = stories::create(&db, &s, &ann, &StoryForm { prompt_id: closed.to_string(), ..story("Too late") }).await else { panic!() };
        assert!(e.get("prompt_id").unwrap().contains("no longer takes new stories"));
        let page = stories::page(&db, id, None).await.unwrap();
        assert_eq!(page.story.lat_milli, Some(50902), "rounded to about 100 m");
        assert_eq!((page.story.year_from, page.story.year_to), (Some(1960), Some(1969)));
        assert!(page.body_html.contains("<em>every</em>"));
        assert_eq!(page.licence_url, "https://creativecommons.org/licenses/by/4.0/");
        assert_eq!(stories::recent(&db, Some(open), 10, 0).await.unwrap().len(), 1);

        // Speaking for an organisation you are not staff of is refused.
        assert!(matches!(stories::create(&db, &s, &ann, &StoryForm { speak_as: "org:museum".into(), ..story("x") }).await, Err(CoreError::Forbidden(_))));
        let staff_story = stories::create(&db, &s, &sam, &StoryForm { speak_as: "org:museum".into(), ..story("From the stores") }).await.unwrap();
        assert_eq!(stories::page(&db, staff_story, None).await.unwrap().author_label, "sam · Museum");

        // Public photos need both consents; a draft does not.
        let with_photos = StoryForm { photo_count: 2, ..story("Photos") };
        let Err(CoreError::Invalid(e)) = stories::create(&db, &s, &ann, &with_photos).await else { panic!() };
        assert!(e.get("consent_people").is_some());
        stories::create(&db, &s, &ann, &StoryForm { visibility: "draft".into(), ..with_photos.clone() }).await.unwrap();
        stories::create(&db, &s, &ann, &StoryForm { consent_people: true, consent_minors: true, ..with_photos }).await.unwrap();

        // Edits keep history; only the author edits.
        stories::edit(&db, &s, &ann, id, &StoryForm { prompt_id: open.to_string(), ..story("Sundays on the Grand Western") }).await.unwrap();
        assert!(matches!(stories::edit(&db, &s, &sam, id, &story("hijack")).await, Err(CoreError::Forbidden(_))));
        let (now, versions) = stories::history(&db, id, None).await.unwrap();
        assert_eq!(now.title, "Sundays on the Grand Western");
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].title, "Sundays on the canal");

        // Delete hides it from everyone but the author, who can restore it.
        stories::delete(&db, &ann, id).await.unwrap();
        assert!(matches!(stories::page(&db, id, None).await, Err(CoreError::NotFound)));
        assert!(stories::page(&db, id, Some(&ann)).await.is_ok());
        stories::restore(&db, &ann, id).await.unwrap();
        assert!(stories::page(&db, id, None).await.is_ok());
    }
}

#[tokio::test]
async fn drafts_and_group_stories_are_private() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        let form = groups::GroupForm { name: "Walkers".into(), slug: "walkers".into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
        groups::create(&db, &s, &ann, &form).await.unwrap();
        let draft = stories::create(&db, &s, &ann, &StoryForm { visibility: "draft".into(), ..story("Draft") }).await.unwrap();
        let members = stories::create(&db, &s, &ann, &StoryForm { visibility: "group:walkers".into(), ..story("For walkers") }).await.unwrap();
        assert!(matches!(stories::page(&db, draft, Some(&bob)).await, Err(CoreError::NotFound)));
        assert!(matches!(stories::page(&db, members, Some(&bob)).await, Err(CoreError::NotFound)));
        assert!(matches!(stories::page(&db, members, None).await, Err(CoreError::NotFound)));
        // Bob cannot share with a group he is not in.
        let Err(CoreError::Invalid(e)) = stories::create(&db, &s, &bob, &StoryForm { visibility: "group:walkers".into(), ..story("x") }).await else { panic!() };
        assert!(e.get("visibility").is_some());
        groups::join(&db, &s, &bob, "walkers").await.unwrap();
        assert!(stories::page(&db, members, Some(&bob)).await.is_ok());
        assert!(stories::recent(&db, None, 10, 0).await.unwrap().is_empty(), "neither is public");
    }
}

#[tokio::test]
async fn search_is_accent_insensitive_ranked_and_respects_visibility() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let sam = person(&db, "sam").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let cafe = stories::create(&db, &s, &ann, &StoryForm { title: "The Café by the lock".into(), body: "Tea and cake at the crème café.".into(), ..story("x") }).await.unwrap();
        let other = stories::create(&db, &s, &ann, &StoryForm { title: "Lace".into(), body: "We went to a cafe once, then made lace.".into(), ..story("x") }).await.unwrap();
        stories::create(&db, &s, &ann, &StoryForm { title: "Secret cafe".into(), visibility: "draft".into(), ..story("x") }).await.unwrap();
        prompts::create(&db, &s, &sam, &PromptForm { speak_as: "org:museum".into(), question: "Which café do you miss?".into(), ..Default::default() }).await.unwrap();

        let (hits, more) = meetinghouse_core::search::search(&db, "CAFE", "", 1).await.unwrap();
        assert!(!more);
        let titles: Vec<_> = hits.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(hits.len(), 3, "two public stories and the prompt, never the draft: {titles:?}");
        assert_eq!(hits[2].url, format!("/stories/{other}"), "title matches rank above a body-only match: {titles:?}");
        let cafe_hit = hits.iter().find(|h| h.url == format!("/stories/{cafe}")).unwrap();
        assert!(cafe_hit.snippet.0.iter().any(|(t, m)| *m && t == "café"), "{:?}", cafe_hit.snippet);
        let (stories_only, _) = meetinghouse_core::search::search(&db, "café", "story", 1).await.unwrap();
        assert_eq!(stories_only.len(), 2);
        let (both_words, _) = meetinghouse_core::search::search(&db, "cafe lace", "", 1).await.unwrap();
        assert_eq!(both_words.len(), 1, "every word must match");
        // Hostile syntax is inert.
        assert!(meetinghouse_core::search::search(&db, "\"unbalanced NEAR( * OR", "", 1).await.is_ok());

        // Deleting removes from the index; restoring puts it back; a draft edit removes it.
        stories::delete(&db, &ann, other).await.unwrap();
        assert_eq!(meetinghouse_core::search::search(&db, "lace", "", 1).await.unwrap().0.len(), 0);
        stories::restore(&db, &ann, other).await.unwrap();
        assert_eq!(meetinghouse_core::search::search(&db, "lace", "", 1).await.unwrap().0.len(), 1);
        stories::edit(&db, &s, &ann, other, &StoryForm { title: "Lace".into(), body: "lace".into(), visibility: "draft".into(), ..story("x") }).await.unwrap();
        assert_eq!(meetinghouse_core::search::search(&db, "lace", "", 1).await.unwrap().0.len(), 0);

        // Pagination.
        for i in 0..25 {
            stories::create(&db, &s, &ann, &StoryForm { title: format!("Mill {i}"), body: "the mill wheel".into(), ..story("x") }).await.unwrap();
        }
        let (page1, more) = meetinghouse_core::search::search(&db, "mill", "", 1).await.unwrap();
        assert_eq!((page1.len(), more), (20, true));
        let (page2, more) = meetinghouse_core::search::search(&db, "mill", "", 2).await.unwrap();
        assert_eq!((page2.len(), more), (5, false));
    }
}
