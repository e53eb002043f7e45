//! Prompts and collection objects on every configured backend: a prompt's
//! dates are sane years, it opens within a year and a new prompt does not
//! close in the past; an account opens a limited number a day; the prompt
//! list shows open prompts first and is filtered before it is cut into
//! pages; the open prompts for everyone are not crowded out by group prompts; a prompt's and an object's
//! stories are the ones the viewer may see (their groups' too), an object's
//! a page at a time.

use meetinghouse_core::collection;
use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::prompts::{self, PromptForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::{Actor, CoreError, Db};
use meetinghouse_store::objects::NewObject;

mod common;
use common::{admin, person};

/// The museum's question, with these dates.
fn ask(question: &str, opens: &str, closes: &str) -> PromptForm {
    PromptForm { speak_as: "org:museum".into(), question: question.into(), opens: opens.into(), closes: closes.into(), ..Default::default() }
}

fn story(title: &str, visibility: &str) -> StoryForm {
    StoryForm { title: title.into(), body: "We walked.".into(), licence: "cc0".into(), visibility: visibility.into(), ..Default::default() }
}

/// A members-only group `host` hosts, which `members` join.
async fn members_group(db: &Db, s: &Settings, host: &Actor, slug: &str, members: &[&Actor]) {
    let form = GroupForm { name: format!("Group {slug}"), slug: slug.into(), purpose: String::new(), visibility: "members".into(), join_policy: "invite".into() };
    groups::create(db, s, host, &form).await.unwrap();
    for m in members {
        groups::invite_person(db, host, slug, &m.handle).await.unwrap();
        groups::join(db, s, m, slug).await.unwrap();
    }
}

fn year_now() -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(meetinghouse_store::now(), 0).unwrap().year()
}

#[tokio::test]
async fn prompt_dates_are_sane_years_and_a_new_prompt_does_not_close_in_the_past() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let last = year_now() + prompts::YEARS_AHEAD;
        for (opens, closes, field) in [
            ("+200000-01-01", "", "opens"),
            ("0000-01-01", "", "opens"),
            ("-0044-03-15", "", "opens"),
            ("1999-12-31", "", "opens"),
            ("", "9999-12-31", "closes"),
            ("", &format!("{}-01-01", last + 1), "closes"),
        ] {
            let Err(CoreError::Invalid(e)) = prompts::create(&db, &s, &sam, &ask("When?", opens, closes)).await else { panic!("{opens} {closes}") };
            assert_eq!(e.get(field), Some(format!("Enter a date in the years 2000 to {last}, like 2026-03-31.").as_str()), "{opens} {closes}");
        }
        // A closing date already past is refused at creation, however the opening date is set.
        for (opens, closes) in [("2020-01-01", "2020-02-01"), ("", "2001-06-30")] {
            let Err(CoreError::Invalid(e)) = prompts::create(&db, &s, &sam, &ask("Too late?", opens, closes)).await else { panic!("{closes}") };
            assert!(e.get("closes").is_some_and(|m| m.contains("already passed")), "{e:?}");
        }
        assert!(prompts::list(&db, None, 10, 0).await.unwrap().is_empty(), "nothing written");

        // In range: an opening date in the past (opened earlier), a closing date today or later.
        let today = chrono::DateTime::from_timestamp(meetinghouse_store::now(), 0).unwrap().format("%Y-%m-%d").to_string();
        prompts::create(&db, &s, &sam, &ask("Still open?", "2000-01-01", &today)).await.unwrap();
        // It opens within a year; it may close up to ten years ahead.
        let last_opening = prompts::last_opening_day().unwrap();
        let day_after = last_opening.succ_opt().unwrap().format("%Y-%m-%d").to_string();
        let Err(CoreError::Invalid(e)) = prompts::create(&db, &s, &sam, &ask("Years ahead?", &day_after, "")).await else { panic!("{day_after}") };
        let says = format!("A prompt opens within a year: choose a day up to {}.", last_opening.format("%Y-%m-%d"));
        assert_eq!(e.get("opens"), Some(says.as_str()));
        prompts::create(&db, &s, &sam, &ask("Far ahead?", &last_opening.format("%Y-%m-%d").to_string(), &format!("{last}-12-31"))).await.unwrap();
    }
}

/// An account opens at most `PROMPTS_PER_DAY` prompts a day from the site
/// (instance admins are not counted).
#[tokio::test]
async fn opening_prompts_is_limited() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, mia) = (person(&db, "sam").await, admin(&db, "mia").await);
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let limit = prompts::PROMPTS_PER_DAY.limit as usize;
        for n in 0..limit {
            assert!(prompts::create_counted(&db, &s, &sam, &ask(&format!("Question {n}?"), "", "")).await.unwrap().is_some(), "{n}");
        }
        // A form with a mistake is answered as such, and counts for nothing.
        assert!(matches!(prompts::create_counted(&db, &s, &sam, &ask("", "", "")).await, Err(CoreError::Invalid(_))));
        assert_eq!(prompts::create_counted(&db, &s, &sam, &ask("One too many?", "", "")).await.unwrap(), None, "{:?}", db.backend());
        assert_eq!(prompts::list(&db, None, 100, 0).await.unwrap().len(), limit, "nothing written past the limit");
        let museum_admin = ask("An admin's?", "", "");
        for _ in 0..=limit {
            assert!(prompts::create_counted(&db, &s, &mia, &PromptForm { speak_as: "self".into(), ..museum_admin.clone() }).await.unwrap().is_some());
        }
    }
}

/// The list shows the prompts open now first (the latest opened first),
/// then those to come (the soonest first), then the closed ones: one
/// opening far ahead never heads it.
#[tokio::test]
async fn the_list_shows_open_prompts_first() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let day = |days: i64| chrono::DateTime::from_timestamp(meetinghouse_store::now() + days * 86_400, 0).unwrap().format("%Y-%m-%d").to_string();
        let long_open = prompts::create(&db, &s, &sam, &ask("Open since 2020?", "2020-01-01", "")).await.unwrap();
        let later = prompts::create(&db, &s, &sam, &ask("Opens in half a year?", &day(180), "")).await.unwrap();
        let soon = prompts::create(&db, &s, &sam, &ask("Opens next week?", &day(7), "")).await.unwrap();
        let closed = prompts::create(&db, &s, &sam, &ask("Closed now?", "2021-01-01", "")).await.unwrap();
        assert!(prompts::close(&db, &s, &sam, closed).await.unwrap());
        let new_open = prompts::create(&db, &s, &sam, &ask("Open since 2024?", "2024-01-01", "")).await.unwrap();
        let listed: Vec<i64> = prompts::list(&db, None, 10, 0).await.unwrap().iter().map(|p| p.id).collect();
        assert_eq!(listed, vec![new_open, long_open, soon, later, closed], "{:?}", db.backend());
        let paged: Vec<i64> = prompts::list(&db, None, 2, 2).await.unwrap().iter().map(|p| p.id).collect();
        assert_eq!(paged, vec![soon, later], "pages keep the order");
    }
}

#[tokio::test]
async fn prompt_lists_are_filtered_before_they_are_cut_into_pages() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        let kit = person(&db, "kit").await;
        let out = person(&db, "out").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let public = prompts::create(&db, &s, &sam, &ask("What makes a great day out?", "2020-01-01", "")).await.unwrap();
        members_group(&db, &s, &kit, "knitters", &[]).await;
        let mut hidden = Vec::new();
        for n in 0..13 {
            let form = PromptForm { speak_as: "self".into(), question: format!("Knit {n}?"), group: "knitters".into(), ..Default::default() };
            hidden.push(prompts::create(&db, &s, &kit, &form).await.unwrap());
        }

        // Outside the group: the first page has the one prompt they may see, and no next page.
        let first: Vec<i64> = prompts::list(&db, Some(&out), 3, 0).await.unwrap().iter().map(|p| p.id).collect();
        assert_eq!(first, vec![public]);
        assert_eq!(prompts::list(&db, None, 3, 0).await.unwrap().len(), 1);
        // A member sees theirs first (newest), the public one last.
        let all: Vec<i64> = prompts::list(&db, Some(&kit), 20, 0).await.unwrap().iter().map(|p| p.id).collect();
        assert_eq!(all.len(), 14);
        assert_eq!(all.last(), Some(&public));

        // The home page's open prompts: only those for everyone, however many group prompts are newer.
        let open: Vec<i64> = prompts::open_now(&db, 12).await.unwrap().iter().map(|p| p.id).collect();
        assert_eq!(open, vec![public]);
    }
}

#[tokio::test]
async fn a_prompts_stories_are_those_the_viewer_may_see() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let kit = person(&db, "kit").await;
        let lu = person(&db, "lu").await;
        let out = person(&db, "out").await;
        members_group(&db, &s, &kit, "knitters", &[&lu]).await;
        let form = PromptForm { speak_as: "self".into(), question: "Your first knit?".into(), group: "knitters".into(), ..Default::default() };
        let pid = prompts::create(&db, &s, &kit, &form).await.unwrap();
        let answer = |title: &str, visibility: &str| StoryForm { prompt_id: pid.to_string(), ..story(title, visibility) };
        stories::create(&db, &s, &kit, &answer("My scarf", "group:knitters")).await.unwrap();
        stories::create(&db, &s, &lu, &answer("A tea cosy", "public")).await.unwrap();
        stories::create(&db, &s, &lu, &answer("Half a sock", "draft")).await.unwrap();
        let gone = stories::create(&db, &s, &lu, &answer("A lost mitten", "public")).await.unwrap();
        stories::delete(&db, meetinghouse_core::notifications::Mailer { settings: &s, base_url: "https://town.example" }, &lu, gone).await.unwrap();

        let titles = |rows: Vec<meetinghouse_store::stories::StoryRow>| rows.into_iter().map(|r| r.title).collect::<Vec<_>>();
        for viewer in [&kit, &lu, &mia] {
            assert_eq!(titles(prompts::stories(&db, pid, Some(viewer), 20, 0).await.unwrap()), ["A tea cosy", "My scarf"], "{}", viewer.handle);
        }
        assert_eq!(titles(prompts::stories(&db, pid, Some(&out), 20, 0).await.unwrap()), ["A tea cosy"]);
        assert_eq!(titles(prompts::stories(&db, pid, None, 20, 0).await.unwrap()), ["A tea cosy"]);
        assert_eq!(titles(prompts::stories(&db, pid, Some(&kit), 1, 1).await.unwrap()), ["My scarf"], "paged after filtering");
    }
}

#[tokio::test]
async fn an_objects_stories_are_those_the_viewer_may_see_a_page_at_a_time() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        let kit = person(&db, "kit").await;
        let out = person(&db, "out").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let org = meetinghouse_store::orgs::by_slug(&db, "museum").await.unwrap().unwrap().id;
        let record = NewObject {
            image_urls: r#"["https://images.example/1.jpg", "javascript:alert(1)", "https://images.example/2.jpg"]"#.into(),
            ..meetinghouse_testkit::object_record("1985/12 a", "Lace bobbin")
        };
        let oid = meetinghouse_testkit::add_object(&db, org, record).await;
        members_group(&db, &s, &kit, "lacemakers", &[]).await;
        let about = |title: String, visibility: &str| StoryForm { object_ids: oid.to_string(), ..story(&title, visibility) };
        stories::create(&db, &s, &kit, &about("Our lace circle".into(), "group:lacemakers")).await.unwrap();
        for n in 1..=collection::STORIES_PER_PAGE + 4 {
            stories::create(&db, &s, &sam, &about(format!("Bobbin memory {n}"), "public")).await.unwrap();
        }
        stories::create(&db, &s, &sam, &about("Not yet".into(), "draft")).await.unwrap();

        let page = collection::page(&db, "museum", "1985/12 A", None, 1).await.unwrap();
        assert_eq!(page.image_urls, ["https://images.example/1.jpg", "https://images.example/2.jpg"], "only web addresses");
        assert_eq!((page.stories.len() as i64, page.more_stories), (collection::STORIES_PER_PAGE, true));
        assert_eq!(page.stories[0].1, format!("Bobbin memory {}", collection::STORIES_PER_PAGE + 4), "newest first");
        let second = collection::page(&db, "museum", "1985/12 a", None, 2).await.unwrap();
        assert_eq!((second.stories.len(), second.more_stories, second.stories_page), (4, false, 2));
        assert!(second.stories.iter().all(|(_, t)| t.starts_with("Bobbin memory")));
        let past = collection::page(&db, "museum", "1985/12 a", None, 100_000).await.unwrap();
        assert!(past.stories.is_empty() && !past.more_stories);

        // The group's story is on its members' pages, not on others'.
        let titles = |p: collection::ObjectPage| p.stories.into_iter().map(|(_, t)| t).collect::<Vec<_>>();
        assert!(titles(collection::page(&db, "museum", "1985/12 a", Some(&kit), 2).await.unwrap()).contains(&"Our lace circle".to_string()));
        let outside = titles(collection::page(&db, "museum", "1985/12 a", Some(&out), 2).await.unwrap());
        assert!(!outside.contains(&"Our lace circle".to_string()) && !outside.contains(&"Not yet".to_string()), "{outside:?}");
    }
}

/// The questions search finds by a word.
async fn found(db: &Db, word: &str) -> Vec<String> {
    meetinghouse_core::search::search(db, word, "prompt", 1).await.unwrap().0.into_iter().map(|r| r.title).collect()
}

/// A prompt whose page is public (for everyone, or for a public group) is
/// found by search; a members-only group's is not, nor a public group's
/// once the group is members-only. Its page has a feed and a poster only
/// while it is public.
#[tokio::test]
async fn a_prompt_is_found_by_search_while_its_page_is_public() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let kit = person(&db, "kit").await;
        let form = GroupForm { name: "Knitters".into(), slug: "knitters".into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
        groups::create(&db, &s, &kit, &form).await.unwrap();
        members_group(&db, &s, &kit, "quiet-room", &[]).await;
        let open = |question: &str, group: &str| PromptForm { speak_as: "self".into(), question: question.into(), group: group.into(), ..Default::default() };
        let public = prompts::create(&db, &s, &kit, &open("Which wool is softest?", "knitters")).await.unwrap();
        let private = prompts::create(&db, &s, &kit, &open("Which wool is cheapest?", "quiet-room")).await.unwrap();
        assert_eq!(found(&db, "wool").await, vec!["Which wool is softest?"], "{:?}", db.backend());
        assert!(prompts::page(&db, public, None).await.unwrap().public);
        assert!(!prompts::page(&db, private, Some(&kit)).await.unwrap().public);
        // An edit keeps it found by its new words.
        let edit = prompts::PromptEditForm { question: "Which yarn is softest?".into(), ..Default::default() };
        prompts::edit(&db, &s, &kit, public, &edit).await.unwrap();
        assert_eq!(found(&db, "yarn").await, vec!["Which yarn is softest?"]);
        assert!(found(&db, "cheapest").await.is_empty());

        // The group becomes members-only: its prompt is no longer found.
        let members_only = groups::GroupEditForm { name: "Knitters".into(), visibility: "members".into(), join_policy: "request".into(), confirm_public: false };
        groups::edit(&db, &s, &kit, "knitters", &members_only).await.unwrap();
        assert!(found(&db, "yarn").await.is_empty(), "{:?}", db.backend());
        assert!(!prompts::page(&db, public, Some(&kit)).await.unwrap().public);
    }
}

/// A prompt of an archived group says it takes nothing new (and why) on its
/// page and in the list, whatever its dates; its hosts may not edit it.
#[tokio::test]
async fn an_archived_groups_prompt_does_not_look_open() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let kit = person(&db, "kit").await;
        let form = GroupForm { name: "Knitters".into(), slug: "knitters".into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
        groups::create(&db, &s, &kit, &form).await.unwrap();
        let pid = prompts::create(&db, &s, &kit, &PromptForm { speak_as: "self".into(), question: "Which wool?".into(), group: "knitters".into(), ..Default::default() }).await.unwrap();
        assert!(prompts::page(&db, pid, None).await.unwrap().open.is_ok());
        groups::archive(&db, &kit, "knitters").await.unwrap();
        let page = prompts::page(&db, pid, None).await.unwrap();
        let Err(says) = &page.open else { panic!("{:?}: still open", db.backend()) };
        assert!(says.starts_with("Knitters is archived") && says.contains("takes nothing new"), "{says}");
        assert!(page.archived);
        assert!(prompts::accepting(&page.prompt, meetinghouse_store::now()).is_ok(), "its dates alone would take stories");
        let listed = &prompts::list(&db, None, 10, 0).await.unwrap()[0];
        assert!(prompts::taking_stories(listed, meetinghouse_store::now()).is_err());
        let edit = prompts::PromptEditForm { question: "Which yarn?".into(), ..Default::default() };
        assert!(matches!(prompts::edit(&db, &s, &kit, pid, &edit).await, Err(CoreError::Forbidden(_))));
        // Its hosts may still close it.
        assert!(prompts::close(&db, &s, &kit, pid).await.unwrap());
    }
}
