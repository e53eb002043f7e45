//! Stories and prompts on every configured backend: personas, licences,
//! consent (asked again for photos added in an edit), visibility, closed
//! prompts, edit history (only what readers were shown, to those who were
//! shown it, a page at a time), voices on edit, delete and restore (hidden
//! stories not revealed, the window never moved), overlapping edits, images
//! in markdown, alt text cleaned, the hourly limits on new stories and
//! edits, what the purge keeps and empties, a reply racing its story's
//! widening, uploads the media store cannot take, and the cap on a
//! person's uploads that no story shows.

use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::prompts::{self, PromptForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::{Actor, CoreError, Db, groups};

mod common;
use common::{admin, person};

/// A group `host` hosts; `visibility` is `public` or `members` (invitation only).
async fn group(db: &Db, s: &Settings, host: &Actor, name: &str, slug: &str, visibility: &str) {
    let form = groups::GroupForm { name: name.into(), slug: slug.into(), purpose: String::new(), visibility: visibility.into(), join_policy: "invite".into() };
    groups::create(db, s, host, &form).await.unwrap();
}

/// The bodies of the earlier versions `viewer` may read, newest first (every page).
async fn versions(db: &Db, id: i64, viewer: Option<&Actor>) -> Vec<String> {
    let mut all = Vec::new();
    for page in 1.. {
        let (_, shown, more, _) = stories::history_page(db, id, viewer, page).await.unwrap();
        all.extend(shown.into_iter().map(|r| r.body));
        if !more {
            return all;
        }
    }
    unreachable!()
}

fn mail(s: &Settings) -> meetinghouse_core::notifications::Mailer<'_> {
    meetinghouse_core::notifications::Mailer { settings: s, base_url: "https://town.example" }
}

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
        // (A new prompt cannot close in the past: this one is closed by hand, 2020-01-01 to 2020-02-01.)
        let closed = prompts::create(&db, &s, &sam, &ask.clone()).await.unwrap();
        db.execute_admin(&format!("UPDATE prompts SET opens_at = 1577836800, closes_at = 1580601600 WHERE id = {closed}")).await.unwrap();
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

        // Photos need both consents before anyone else sees them (public
        // here, members-only below); a draft does not.
        let with_photos = StoryForm { photo_count: 2, ..story("Photos") };
        let Err(CoreError::Invalid(e)) = stories::create(&db, &s, &ann, &with_photos).await else { panic!() };
        assert!(e.get("consent_people").is_some());
        stories::create(&db, &s, &ann, &StoryForm { visibility: "draft".into(), ..with_photos.clone() }).await.unwrap();
        stories::create(&db, &s, &ann, &StoryForm { consent_people: true, consent_minors: true, ..with_photos }).await.unwrap();

        // Edits keep history; only the author edits.
        stories::edit(&db, &s, &ann, id, &StoryForm { prompt_id: open.to_string(), ..story("Sundays on the Grand Western") }).await.unwrap();
        assert!(matches!(stories::edit(&db, &s, &sam, id, &story("hijack")).await, Err(CoreError::Forbidden(_))));
        let (now, versions, _, _) = stories::history_page(&db, id, None, 1).await.unwrap();
        assert_eq!(now.title, "Sundays on the Grand Western");
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].title, "Sundays on the canal");

        // Delete hides it from everyone but the author, who can restore it.
        stories::delete(&db, mail(&s), &ann, id).await.unwrap();
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
        // Members are people too: photos shared with a group need consent.
        let photos = StoryForm { visibility: "group:walkers".into(), photo_count: 1, ..story("Walk photos") };
        let Err(CoreError::Invalid(e)) = stories::create(&db, &s, &ann, &photos).await else {
            panic!("a members-only story with photos needs consent too")
        };
        assert!(e.get("consent_people").is_some());
        stories::create(&db, &s, &ann, &StoryForm { consent_people: true, consent_minors: true, ..photos }).await.unwrap();
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
        stories::delete(&db, mail(&s), &ann, other).await.unwrap();
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

#[tokio::test]
async fn history_holds_only_what_readers_were_shown() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        let eve = person(&db, "eve").await;
        group(&db, &s, &ann, "The circle", "circle", "members").await;
        groups::invite_person(&db, &ann, "circle", "bob").await.unwrap();
        groups::join(&db, &s, &bob, "circle").await.unwrap();

        // A draft's text is in no history: not the public's, not its author's.
        let draft = StoryForm { visibility: "draft".into(), body: "Ring me on 07700 900123 about it.".into(), ..story("The lock") };
        let id = stories::create(&db, &s, &ann, &draft).await.unwrap();
        assert!(!stories::edit(&db, &s, &ann, id, &StoryForm { body: "Still thinking.".into(), ..draft.clone() }).await.unwrap());
        let public = StoryForm { body: "The lock keeper let us help.".into(), ..story("The lock") };
        assert!(!stories::edit(&db, &s, &ann, id, &public).await.unwrap(), "the draft's text is not kept");
        assert!(versions(&db, id, None).await.is_empty());
        assert!(versions(&db, id, Some(&ann)).await.is_empty());
        // An edit that leaves the text as it was keeps nothing either.
        assert!(!stories::edit(&db, &s, &ann, id, &StoryForm { place_name: "Tiverton".into(), ..public.clone() }).await.unwrap());
        assert!(stories::edit(&db, &s, &ann, id, &StoryForm { body: "The lock keeper let us turn the wheel.".into(), ..public }).await.unwrap());
        assert_eq!(versions(&db, id, None).await, ["The lock keeper let us help."]);

        // Text shown only to a group stays with the group once the story is public.
        let circle = StoryForm { visibility: "group:circle".into(), body: "Only for the circle.".into(), ..story("Pattern") };
        let id = stories::create(&db, &s, &ann, &circle).await.unwrap();
        stories::edit(&db, &s, &ann, id, &StoryForm { body: "Still only for the circle.".into(), ..circle.clone() }).await.unwrap();
        let open = StoryForm { body: "Now for everyone.".into(), ..story("Pattern") };
        stories::edit(&db, &s, &ann, id, &open).await.unwrap();
        stories::edit(&db, &s, &ann, id, &StoryForm { body: "For everyone, corrected.".into(), ..open }).await.unwrap();
        assert_eq!(versions(&db, id, None).await, ["Now for everyone."], "the public sees only what the public was shown");
        assert_eq!(versions(&db, id, Some(&eve)).await, ["Now for everyone."]);
        let all = ["Now for everyone.", "Still only for the circle.", "Only for the circle."];
        assert_eq!(versions(&db, id, Some(&bob)).await, all, "the circle saw every version");
        assert_eq!(versions(&db, id, Some(&ann)).await, all);
    }
}

#[tokio::test]
async fn a_members_only_group_is_not_named_to_outsiders_on_the_story_form() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let eve = person(&db, "eve").await;
        group(&db, &s, &ann, "Residents' Voice", "residents-voice", "members").await;
        group(&db, &s, &ann, "Canal walkers", "walkers", "public").await;
        let refusal = |visibility: &str| StoryForm { visibility: visibility.into(), ..story("Mine") };
        let Err(CoreError::Invalid(hidden)) = stories::create(&db, &s, &eve, &refusal("group:residents-voice")).await else { panic!() };
        let Err(CoreError::Invalid(unknown)) = stories::create(&db, &s, &eve, &refusal("group:no-such-group")).await else { panic!() };
        assert_eq!(hidden.get("visibility"), unknown.get("visibility"), "answered as for a group that does not exist");
        assert!(!hidden.to_string().contains("Residents"), "{hidden}");
        // A public group's name is no secret: the refusal says what to do.
        let Err(CoreError::Invalid(public)) = stories::create(&db, &s, &eve, &refusal("group:walkers")).await else { panic!() };
        assert!(public.get("visibility").unwrap().contains("Canal walkers"), "{public}");
    }
}

#[tokio::test]
async fn an_organisations_voice_goes_with_the_role() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        let kim = person(&db, "kim").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        orgs::invite(&db, &sam, "museum", "kim", "staff").await.unwrap();
        orgs::accept(&db, &kim, "museum").await.unwrap();
        let as_staff = StoryForm { speak_as: "org:museum".into(), ..story("From the stores") };
        let id = stories::create(&db, &s, &kim, &as_staff).await.unwrap();
        let other = stories::create(&db, &s, &kim, &StoryForm { title: "Open day".into(), ..as_staff.clone() }).await.unwrap();
        // While Kim is on the staff, her stories are hers to delete, not the admins'.
        assert!(matches!(stories::delete(&db, mail(&s), &sam, other).await, Err(CoreError::Forbidden(_))));
        stories::edit(&db, &s, &kim, id, &StoryForm { body: "Boxes and boxes.".into(), ..as_staff.clone() }).await.unwrap();

        orgs::remove_member(&db, &sam, "museum", kim.id).await.unwrap();
        // She can no longer rewrite a story in the museum's name...
        let Err(CoreError::Invalid(e)) = stories::edit(&db, &s, &kim, id, &StoryForm { body: "Rewritten.".into(), ..as_staff.clone() }).await else { panic!() };
        let message = e.get("speak_as").unwrap();
        assert!(message.contains("no longer on the staff of Museum") && message.contains("as yourself"), "{message}");
        assert_eq!(stories::page(&db, id, None).await.unwrap().author_label, "kim · Museum");
        // ...but she can keep it as her own.
        stories::edit(&db, &s, &kim, id, &StoryForm { speak_as: "self".into(), body: "Rewritten.".into(), ..as_staff.clone() }).await.unwrap();
        let page = stories::page(&db, id, None).await.unwrap();
        assert_eq!((page.author_label.as_str(), page.story.author_org, page.story.voice.as_str()), ("kim", None, "person"));

        // The museum's admins may delete (not edit) a story still in its name.
        let page = stories::page(&db, other, Some(&sam)).await.unwrap();
        assert!(page.org_may_delete && !page.own);
        assert!(matches!(stories::edit(&db, &s, &sam, other, &as_staff).await, Err(CoreError::Forbidden(_))));
        let by = stories::delete(&db, mail(&s), &sam, other).await.unwrap();
        assert_eq!(by, stories::DeletedBy::OrgAdmin { org_slug: "museum".into(), org_name: "Museum".into() });
        assert!(matches!(stories::page(&db, other, None).await, Err(CoreError::NotFound)));
        // The moderators' log keeps who did it, and the author is told.
        let log = meetinghouse_core::moderation::log(&db, Some(&admin(&db, "moira").await), 0).await.unwrap();
        let entry = &log[0];
        assert_eq!((entry.what.as_str(), entry.row.moderator_handle.as_deref()), (format!("story {other}").as_str(), Some("sam")));
        assert!(entry.row.note.contains("from the name of Museum"), "{}", entry.row.note);
        let told = meetinghouse_core::notifications::list(&db, &kim, 0).await.unwrap();
        assert!(told.iter().any(|n| n.text.contains("deleted your story") && n.text.contains("restore it under your own name")), "{told:?}");
        // Its author may restore it, in her own name only.
        assert!(stories::restore(&db, &kim, other).await.unwrap());
        assert_eq!(stories::page(&db, other, None).await.unwrap().author_label, "kim");
        // Someone who never spoke for the museum deletes nothing of it.
        let eve = person(&db, "eve").await;
        assert!(matches!(stories::delete(&db, mail(&s), &eve, id).await, Err(CoreError::Forbidden(_))));
    }
}

#[tokio::test]
async fn overlapping_edits_keep_both_versions() {
    use meetinghouse_store::stories::{self as store, Byline, StoryFields};
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let id = stories::create(&db, &s, &ann, &StoryForm { body: "As first written.".into(), ..story("The mill") }).await.unwrap();
        let fields = |body: &'static str| StoryFields { title: "The mill", body, licence: "cc0", visibility: "public", ..Default::default() };
        let by = Byline { org: None, voice: "person" };

        // A's edit is written but not committed when B's starts.
        let mut a = db.begin().await.unwrap();
        store::update(&mut a, db.backend(), id, ann.id, by, &fields("A's version.")).await.unwrap();
        let (db_b, ann_id) = (db.clone(), ann.id);
        let b = tokio::spawn(async move {
            let mut tx = db_b.begin().await.unwrap();
            store::update(&mut tx, db_b.backend(), id, ann_id, Byline { org: None, voice: "person" }, &fields("B's version.")).await.unwrap();
            tx.commit().await.unwrap();
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        a.commit().await.unwrap();
        b.await.unwrap();

        let (now, _, _, _) = stories::history_page(&db, id, None, 1).await.unwrap();
        assert_eq!(now.body, "B's version.");
        assert_eq!(versions(&db, id, None).await, ["A's version.", "As first written."], "A's text is in the history");
    }
}

#[tokio::test]
async fn images_in_a_story_become_links_with_their_alt_text() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let body = "The view: ![the lock at dusk](https://example.org/lock.jpg) and ![a trick](javascript:alert(1)).";
        let id = stories::create(&db, &s, &ann, &StoryForm { body: body.into(), ..story("Dusk") }).await.unwrap();
        let html = stories::page(&db, id, None).await.unwrap().body_html;
        assert!(html.contains(r#"href="https://example.org/lock.jpg""#) && html.contains("the lock at dusk</a>"), "{html}");
        assert!(html.contains("a trick") && !html.contains("javascript") && !html.contains("<img"), "{html}");
    }
}

#[tokio::test]
async fn a_title_place_and_period_are_one_line() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        // A title with lines of its own would pose as lines of the emails
        // and logs it is copied into.
        let form = StoryForm {
            title: "Sundays\r\nReset your password at https://evil.example\n\tNow".into(),
            place_name: "Grand\nWestern\r\nCanal".into(),
            period_text: "summer\t1985\nor so".into(),
            ..story("x")
        };
        let id = stories::create(&db, &s, &ann, &form).await.unwrap();
        let page = stories::page(&db, id, None).await.unwrap();
        assert_eq!(page.story.title, "Sundays Reset your password at https://evil.example Now");
        assert_eq!(page.story.place_name, "Grand Western Canal");
        assert_eq!(page.story.period_text, "summer 1985 or so");
        assert_eq!((page.story.year_from, page.story.year_to), (Some(1985), Some(1985)));
        // An edit too.
        stories::edit(&db, &s, &ann, id, &StoryForm { title: "Two\nlines".into(), ..form }).await.unwrap();
        assert_eq!(stories::page(&db, id, None).await.unwrap().story.title, "Two lines");
    }
}

#[tokio::test]
async fn the_migration_makes_stored_titles_one_line() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let id = stories::create(&db, &s, &ann, &story("The lock")).await.unwrap();
        stories::edit(&db, &s, &ann, id, &StoryForm { body: "Changed.".into(), ..story("The lock") }).await.unwrap();
        // Rows written before titles were one line, then the migration again.
        let (cr, lf, tab) = ("' || char(13) || '", "' || char(10) || '", "' || char(9) || '");
        let (cr, lf, tab) = if db.backend() == meetinghouse_store::Backend::Postgres {
            (cr.replace("char", "chr"), lf.replace("char", "chr"), tab.replace("char", "chr"))
        } else {
            (cr.to_string(), lf.to_string(), tab.to_string())
        };
        db.execute_admin(&format!(
            "UPDATE stories SET title = 'The{cr}{lf}lock', place_name = 'Grand{lf}Western', period_text = 'the{tab}1960s', body = 'a{lf}b' WHERE id = {id}"
        ))
        .await
        .unwrap();
        db.execute_admin(&format!("UPDATE story_revisions SET title = 'Old{lf}title' WHERE story_id = {id}")).await.unwrap();
        for table in ["story_last_shown", "media_deletions"] {
            db.execute_admin(&format!("DROP TABLE {table}")).await.unwrap();
        }
        db.execute_admin("DELETE FROM _sqlx_migrations WHERE version = 26").await.unwrap();
        db.migrate().await.unwrap();
        let now = stories::page(&db, id, Some(&ann)).await.unwrap().story;
        assert_eq!((now.title.as_str(), now.place_name.as_str(), now.period_text.as_str()), ("The lock", "Grand Western", "the 1960s"));
        assert_eq!(now.body, "a\nb", "a story's body keeps its lines");
        let (_, old, _, _) = stories::history_page(&db, id, Some(&ann), 1).await.unwrap();
        assert_eq!(old[0].title, "Old title");
    }
}

#[tokio::test]
async fn a_draft_period_does_not_hide_a_change_from_the_history() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        // Published as A, back to a draft with the same text, edited to B,
        // published again: readers were shown A, then B, so A is history.
        let a = StoryForm { body: "A: what readers saw first.".into(), ..story("The weir") };
        let id = stories::create(&db, &s, &ann, &a).await.unwrap();
        assert!(!stories::edit(&db, &s, &ann, id, &StoryForm { visibility: "draft".into(), ..a.clone() }).await.unwrap());
        let b_draft = StoryForm { body: "B: written quietly.".into(), visibility: "draft".into(), ..a.clone() };
        stories::edit(&db, &s, &ann, id, &b_draft).await.unwrap();
        stories::edit(&db, &s, &ann, id, &StoryForm { body: "B: nearly.".into(), ..b_draft.clone() }).await.unwrap();
        let b = StoryForm { body: "B: published.".into(), ..a.clone() };
        assert!(stories::edit(&db, &s, &ann, id, &b).await.unwrap(), "A goes to the history");
        assert_eq!(versions(&db, id, None).await, ["A: what readers saw first."], "the drafts' texts are in no history");
        assert_eq!(versions(&db, id, Some(&bob)).await, ["A: what readers saw first."]);
        assert_eq!(versions(&db, id, Some(&ann)).await, ["A: what readers saw first."]);

        // Published again with the text readers last saw: nothing to keep.
        stories::edit(&db, &s, &ann, id, &StoryForm { visibility: "draft".into(), body: "C: a thought.".into(), ..a.clone() }).await.unwrap();
        assert!(!stories::edit(&db, &s, &ann, id, &b).await.unwrap());
        assert_eq!(versions(&db, id, None).await, ["A: what readers saw first."]);

        // A story first published after being a draft keeps nothing of the draft.
        let d = stories::create(&db, &s, &ann, &StoryForm { visibility: "draft".into(), body: "Draft words.".into(), ..story("Later") }).await.unwrap();
        assert!(!stories::edit(&db, &s, &ann, d, &story("Later")).await.unwrap());
        assert!(versions(&db, d, Some(&ann)).await.is_empty());
    }
}

#[tokio::test]
async fn a_purged_story_takes_its_replies_notifications_and_closed_reports() {
    use meetinghouse_core::conversations::{self, ReplyForm};
    use meetinghouse_core::moderation::{self, ActionForm, ReportForm};
    use meetinghouse_core::subjects::Subject;
    use meetinghouse_store::moderation as store_moderation;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob, cal, dan) = (person(&db, "ann").await, person(&db, "bob").await, person(&db, "cal").await, person(&db, "dan").await);
        let moira = admin(&db, "moira").await;
        let gone = stories::create(&db, &s, &ann, &story("The old mill")).await.unwrap();
        let kept = stories::create(&db, &s, &ann, &story("The new mill")).await.unwrap();
        // Others' replies, an answer, a mention, thanks, reports.
        let reply = |body: &str| ReplyForm { body: body.into(), ..Default::default() };
        let r1 = conversations::post(&db, mail(&s), &bob, Subject::Story(gone), &reply("I remember it, ask @cal.")).await.unwrap();
        let r2 = conversations::post(&db, mail(&s), &ann, Subject::Story(gone), &ReplyForm { parent_id: r1.to_string(), ..reply("So do I.") }).await.unwrap();
        conversations::thank(&db, mail(&s), &cal, r1, "thanks").await.unwrap();
        let on_kept = conversations::post(&db, mail(&s), &bob, Subject::Story(kept), &reply("And this one.")).await.unwrap();
        let report = |target: i64| ReportForm { target_kind: "reply".into(), target: target.to_string(), category: "harassment".into(), details: String::new() };
        moderation::report(&db, &dan, &report(r2)).await.unwrap();
        moderation::report(&db, &dan, &report(r1)).await.unwrap();
        moderation::report(&db, &dan, &report(on_kept)).await.unwrap();
        let open = store_moderation::open_reports(&db, None, 0, 100).await.unwrap();
        let id_of = |target: i64| open.iter().find(|r| r.target_id == target).unwrap().id;
        let (closed_id, open_id, kept_report) = (id_of(r2), id_of(r1), id_of(on_kept));
        let dismiss = ActionForm { action: "dismiss".into(), note: "Fine.".into(), ..Default::default() };
        moderation::act(&db, mail(&s), &moira, closed_id, &dismiss).await.unwrap();
        moderation::act(&db, mail(&s), &moira, kept_report, &dismiss).await.unwrap();
        assert!(!meetinghouse_store::purge::rows_naming_story(&db, gone).await.unwrap().is_empty());

        // Deleted, then past the restore window: it goes, and all of that with it.
        stories::delete(&db, mail(&s), &ann, gone).await.unwrap();
        let later = meetinghouse_store::now() + stories::RESTORE_WINDOW_SECS + 60;
        assert_eq!(meetinghouse_store::stories::purge_deleted_before(&db, later).await.unwrap(), 1);
        assert_eq!(meetinghouse_store::purge::rows_naming_story(&db, gone).await.unwrap(), Vec::<(String, i64)>::new());
        for r in [r1, r2] {
            assert!(meetinghouse_store::conversations::by_id(&db, r).await.unwrap().is_none(), "reply {r} is gone");
        }
        for who in [&ann, &bob, &cal] {
            let left = meetinghouse_core::notifications::list(&db, who, 0).await.unwrap();
            assert!(left.iter().all(|n| n.url != format!("/replies/{r1}") && n.url != format!("/replies/{r2}")), "{left:?}");
        }
        assert!(store_moderation::report_by_id(&db, closed_id).await.unwrap().is_none(), "the closed report goes");
        assert!(store_moderation::report_by_id(&db, open_id).await.unwrap().is_some(), "an open report stays for a moderator to close");
        // The moderation log keeps its entry; the other story keeps everything.
        let log = moderation::log(&db, Some(&moira), 0).await.unwrap();
        assert!(log.iter().any(|e| e.row.target_id == r2 && e.row.action == "dismiss"), "{log:?}");
        assert!(meetinghouse_store::conversations::by_id(&db, on_kept).await.unwrap().is_some());
        assert!(store_moderation::report_by_id(&db, kept_report).await.unwrap().is_some());
        let ann_told = meetinghouse_core::notifications::list(&db, &ann, 0).await.unwrap();
        assert!(ann_told.iter().any(|n| n.url == format!("/replies/{on_kept}")), "{ann_told:?}");
        assert!(stories::page(&db, kept, None).await.is_ok());
    }
}

/// A content address made of one hex digit.
fn media_key(digit: char) -> String {
    format!("{}.jpg", digit.to_string().repeat(64))
}

/// Records an upload of `key` by `owner`, as core's `media::upload` does.
async fn media_row(db: &Db, owner: &Actor, key: &str) -> i64 {
    let keys = [key.to_string()];
    let m = meetinghouse_store::media::NewMedia { owner_person: owner.id, master_key: key, width: 640, height: 480, mime: "image/jpeg", variants: "[]", keys: &keys };
    meetinghouse_store::media::insert(db, &m).await.unwrap()
}

const DAY: i64 = 24 * 3600;

#[tokio::test]
async fn an_image_that_cannot_be_deleted_does_not_stop_the_purge() {
    use meetinghouse_media::{LocalStore, MediaStore};
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let dir = meetinghouse_store::test_databases::temp_dir("mh_purge_stuck");
        let media = MediaStore::Local(LocalStore::new(&dir));
        let (stuck, fine) = (media_key('a'), media_key('b'));
        // The oldest unused upload's file cannot be removed (a directory
        // stands in its place, as a file the server may not delete would).
        let stuck_path = dir.join("aa/aa").join(&stuck);
        std::fs::create_dir_all(&stuck_path).unwrap();
        media.put(&fine, b"jpeg", "image/jpeg").await.unwrap();
        media_row(&db, &ann, &stuck).await;
        media_row(&db, &ann, &fine).await;
        // A story past its restore window and mail past its 30 days.
        let old = stories::create(&db, &s, &ann, &story("Gone")).await.unwrap();
        stories::create(&db, &s, &ann, &story("Newer")).await.unwrap();
        stories::delete(&db, mail(&s), &ann, old).await.unwrap();
        db.execute_admin("INSERT INTO email_outbox (to_addr, subject, body, kind, created_at) VALUES ('a@example.org', 'Hi', 'Old.', 'notify', 1)")
            .await
            .unwrap();

        let later = meetinghouse_store::now() + 31 * DAY;
        let p = meetinghouse_core::retention::purge(&db, &media, later).await.expect("one image does not stop the purge");
        assert_eq!((p.stories, p.media.rows, p.media.blobs, p.media.failed), (1, 2, 1, 1), "{p:?}");
        assert!(p.emails >= 1, "{p:?}");
        assert_eq!(media.get(&fine).await.unwrap(), None);
        // Next time round it is tried again, and goes once it can.
        std::fs::remove_dir(&stuck_path).unwrap();
        media.put(&stuck, b"jpeg", "image/jpeg").await.unwrap();
        let p = meetinghouse_core::retention::purge(&db, &media, later).await.unwrap();
        assert_eq!((p.media.rows, p.media.blobs, p.media.failed), (0, 1, 0), "{p:?}");
        assert_eq!(media.get(&stuck).await.unwrap(), None);
        assert_eq!(meetinghouse_core::retention::purge(&db, &media, later).await.unwrap(), meetinghouse_core::retention::Purged::default());
    }
}

/// An S3 stand-in on a local port: it answers at once, except a DELETE,
/// which waits for a permit of the returned semaphore; `deleting` is
/// notified when one arrives.
async fn slow_deleting_s3() -> (meetinghouse_media::MediaStore, std::sync::Arc<tokio::sync::Semaphore>, std::sync::Arc<tokio::sync::Notify>) {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (gate, deleting) = (Arc::new(tokio::sync::Semaphore::new(0)), Arc::new(tokio::sync::Notify::new()));
    let (g, d) = (gate.clone(), deleting.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (gate, deleting) = (g.clone(), d.clone());
            tokio::spawn(async move {
                let (mut head, mut chunk) = (Vec::new(), [0u8; 4096]);
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                let answer: &[u8] = if head.starts_with(b"DELETE") {
                    deleting.notify_one();
                    gate.acquire().await.unwrap().forget();
                    b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else if head.starts_with(b"GET") {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\njpeg"
                } else {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                };
                let _ = sock.write_all(answer).await;
            });
        }
    });
    let config = meetinghouse_media::S3Config {
        endpoint: format!("http://127.0.0.1:{port}"),
        bucket: "media".into(),
        region: "us-east-1".into(),
        access_key: "key".into(),
        secret_key: "secret".into(),
        path_style: true,
    };
    (meetinghouse_media::MediaStore::S3(meetinghouse_media::S3Store::new(config).unwrap()), gate, deleting)
}

#[tokio::test]
async fn the_purge_holds_no_database_lock_while_it_deletes_images() {
    for db in meetinghouse_testkit::databases().await {
        let ann = person(&db, "ann").await;
        let (media, gate, deleting) = slow_deleting_s3().await;
        media_row(&db, &ann, &media_key('c')).await;
        let purge = tokio::spawn({
            let (db, media) = (db.clone(), media.clone());
            async move { meetinghouse_core::retention::purge(&db, &media, meetinghouse_store::now() + 2 * DAY).await }
        });
        tokio::time::timeout(std::time::Duration::from_secs(10), deleting.notified()).await.expect("the purge deletes the image");
        // While the object store takes its time, uploads (and every other
        // write) go on.
        let upload = tokio::time::timeout(std::time::Duration::from_secs(3), media_row(&db, &ann, &media_key('d'))).await;
        gate.add_permits(10);
        let p = purge.await.unwrap().unwrap();
        assert!(upload.is_ok(), "an upload waited for the purge's image deletion");
        assert_eq!((p.media.rows, p.media.blobs, p.media.failed), (1, 1, 0), "{p:?}");
    }
}

/// A draft answer to the prompt of a group that is archived since is not
/// published as an answer (an archived group takes nothing new), as a draft
/// answer to a closed prompt is not; it may still be edited as a draft, or
/// published once the group is opened again.
#[tokio::test]
async fn a_draft_answer_to_an_archived_groups_prompt_is_not_published() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam) = (person(&db, "claire").await, person(&db, "sam").await);
        let form = groups::GroupForm { name: "Canal Friends".into(), slug: "canal".into(), purpose: String::new(), visibility: "public".into(), join_policy: "open".into() };
        groups::create(&db, &s, &claire, &form).await.unwrap();
        groups::join(&db, &s, &sam, "canal").await.unwrap();
        let prompt = prompts::create(&db, &s, &claire, &PromptForm { speak_as: "self".into(), group: "canal".into(), question: "What lives in the canal?".into(), ..Default::default() }).await.unwrap();
        let draft = StoryForm { visibility: "draft".into(), prompt_id: prompt.to_string(), ..story("Herons at the lock") };
        let id = stories::create(&db, &s, &sam, &draft).await.unwrap();
        groups::archive(&db, &claire, "canal").await.unwrap();

        let public = StoryForm { visibility: "public".into(), ..draft.clone() };
        match stories::edit(&db, &s, &sam, id, &public).await {
            Err(CoreError::Invalid(e)) => {
                let said = e.get("prompt_id").unwrap_or_default();
                assert!(said.starts_with("Canal Friends is archived (since ") && said.contains("This story is a draft, so it cannot be published as an answer to its prompt."), "{said}");
            }
            other => panic!("expected the archive's refusal, got {other:?}"),
        }
        assert_eq!(meetinghouse_store::stories::by_id(&db, id).await.unwrap().unwrap().visibility, "draft");
        // Kept as a draft, it may still be edited.
        stories::edit(&db, &s, &sam, id, &StoryForm { body: "Two herons.".into(), ..draft.clone() }).await.unwrap();
        // Opened again, it is published as an answer.
        groups::unarchive(&db, &claire, "canal").await.unwrap();
        stories::edit(&db, &s, &sam, id, &public).await.unwrap();
        let stored = meetinghouse_store::stories::by_id(&db, id).await.unwrap().unwrap();
        assert_eq!((stored.visibility.as_str(), stored.prompt_id), ("public", Some(prompt)));
    }
}

/// A photo on a story form: an upload of `owner`'s with alt text and caption.
fn photo(media_id: i64, alt: &str, caption: &str) -> stories::PhotoInput {
    stories::PhotoInput { media_id, alt: alt.into(), caption: caption.into() }
}

/// Alt text and captions are cleaned as every text is: a control character
/// (a NUL, which PostgreSQL cannot store: it was a 500 there) or an
/// invisible one goes, a line break becomes a space, and alt text that
/// shows nothing is refused in plain words, never stored.
#[tokio::test]
async fn alt_text_and_captions_are_cleaned_and_alt_text_must_show_something() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let m = media_row(&db, &ann, &media_key('c')).await;
        let with = |alt: &str, caption: &str| StoryForm { photos: vec![photo(m, alt, caption)], consent_people: true, consent_minors: true, ..story("The lock") };

        let id = stories::create(&db, &s, &ann, &with("The lock\u{0} gates\u{202E}", "Summer\n1962\u{200B}")).await.unwrap();
        let shown = stories::page(&db, id, None).await.unwrap().photos;
        assert_eq!((shown[0].alt.as_str(), shown[0].caption.as_str()), ("The lock gates", "Summer 1962"));

        for (alt, why) in [
            ("\u{200B}", "Describe photo 1 for people who cannot see it"),
            ("\u{200E}\u{200F}", "Describe photo 1 for people who cannot see it"),
            (" \u{0} ", "Describe photo 1 for people who cannot see it"),
            ("\u{200D}\u{FE0F}", "The description of photo 1 shows nothing when read"),
            ("\u{2800}", "The description of photo 1 shows nothing when read"),
        ] {
            let Err(CoreError::Invalid(e)) = stories::create(&db, &s, &ann, &with(alt, "")).await else { panic!("{alt:?} is refused") };
            assert!(e.get("photo_alt_0").is_some_and(|m| m.starts_with(why)), "{alt:?}: {e:?}");
        }
        let long = "x".repeat(meetinghouse_core::media::ALT_MAX + 1);
        let Err(CoreError::Invalid(e)) = stories::create(&db, &s, &ann, &with("A lock", &long)).await else { panic!() };
        assert!(e.get("photo_caption_0").is_some_and(|m| m.contains("at most 500 characters")), "{e:?}");
        let Err(CoreError::Invalid(e)) = stories::edit(&db, &s, &ann, id, &with("\u{200B}", "")).await else { panic!("an edit is checked the same") };
        assert!(e.get("photo_alt_0").is_some(), "{e:?}");
    }
}

/// The consent given for a story's photos does not cover photos added in
/// an edit: boxes that came ticked for the photos it had are asked again.
#[tokio::test]
async fn consent_is_asked_again_for_photos_added_in_an_edit() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let (first, added) = (media_row(&db, &ann, &media_key('d')).await, media_row(&db, &ann, &media_key('e')).await);
        let form = StoryForm { photos: vec![photo(first, "A boat", "")], consent_people: true, consent_minors: true, ..story("Boats") };
        let id = stories::create(&db, &s, &ann, &form).await.unwrap();

        // The edit form's boxes come ticked for the first photo only.
        let covers = Some(vec![first]);
        let edited = StoryForm { body: "More boats.".into(), consent_covers: covers.clone(), ..form.clone() };
        stories::edit(&db, &s, &ann, id, &edited).await.expect("the same photos: the consent given stands");
        let more = StoryForm { photos: vec![photo(first, "A boat", ""), photo(added, "Children on a boat", "")], ..edited.clone() };
        let Err(CoreError::Invalid(e)) = stories::edit(&db, &s, &ann, id, &more).await else { panic!("an added photo needs consent again") };
        assert_eq!(e.get("consent_people"), Some(stories::CONSENT_AGAIN));
        assert_eq!(stories::page(&db, id, None).await.unwrap().photos.len(), 1, "nothing was written");
        // A draft needs none; ticked again on the form, it covers them all.
        stories::edit(&db, &s, &ann, id, &StoryForm { visibility: "draft".into(), ..more.clone() }).await.unwrap();
        stories::edit(&db, &s, &ann, id, &StoryForm { consent_covers: None, ..more }).await.unwrap();
        assert_eq!(stories::page(&db, id, None).await.unwrap().photos.len(), 2);
    }
}

/// Only stories written count against the hourly limit on new stories: a
/// form refused for a mistake costs nothing.
#[tokio::test]
async fn only_stories_written_count_against_the_hourly_limit() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let boss = admin(&db, "boss").await;
        let none = meetinghouse_core::FieldErrors::new();
        for _ in 0..9 {
            let r = stories::create_counted(&db, &s, &ann, &StoryForm { title: String::new(), ..story("x") }, none.clone()).await;
            assert!(matches!(r, Err(CoreError::Invalid(_))), "{r:?}");
        }
        for n in 0..stories::STORIES_PER_HOUR {
            assert!(!stories::at_story_limit(&db, &ann).await.unwrap(), "story {n}");
            stories::create_counted(&db, &s, &ann, &story("Market day"), none.clone()).await.unwrap().expect("within the limit");
        }
        assert!(stories::at_story_limit(&db, &ann).await.unwrap());
        assert_eq!(stories::create_counted(&db, &s, &ann, &story("One more"), none.clone()).await.unwrap(), None);
        let ann_id = ann.id;
        assert_eq!(meetinghouse_store::stories::by_author(&db, ann_id, 100).await.unwrap().len(), 20, "nothing more was written");
        // Problems found before are reported with the form's own.
        let found = meetinghouse_core::FieldErrors(vec![("photo_file_0", "“a.heic” was not added.".into())]);
        let Err(CoreError::Invalid(e)) = stories::create_counted(&db, &s, &boss, &StoryForm { title: String::new(), ..story("x") }, found).await else { panic!() };
        assert!(e.get("photo_file_0").is_some() && e.get("title").is_some(), "{e:?}");
        // An instance admin is not counted.
        for _ in 0..21 {
            stories::create_counted(&db, &s, &boss, &story("Notices"), none.clone()).await.unwrap().expect("admins are not counted");
        }
    }
}

/// Saved edits are limited per hour (only an edit that passed its checks
/// counts), and a history is read a page at a time, by the same rule of
/// who may read each version.
#[tokio::test]
async fn edits_are_limited_per_hour_and_history_comes_in_pages() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        group(&db, &s, &ann, "The circle", "circle", "members").await;
        let none = meetinghouse_core::FieldErrors::new();
        let id = stories::create(&db, &s, &ann, &StoryForm { visibility: "group:circle".into(), ..story("Version 0") }).await.unwrap();
        // Three versions shown only to the circle, then public ones.
        for n in 1..=3 {
            stories::edit_counted(&db, &s, &ann, id, &StoryForm { visibility: "group:circle".into(), ..story(&format!("Version {n}")) }, none.clone())
                .await
                .unwrap()
                .expect("within the budget");
        }
        let bad = StoryForm { title: String::new(), ..story("x") };
        assert!(matches!(stories::edit_counted(&db, &s, &ann, id, &bad, none.clone()).await, Err(CoreError::Invalid(_))), "refused: not counted");
        for n in 4..=30 {
            stories::edit_counted(&db, &s, &ann, id, &story(&format!("Version {n}")), none.clone()).await.unwrap().expect("within the budget");
        }
        assert_eq!(stories::edit_counted(&db, &s, &ann, id, &story("Version 31"), none.clone()).await.unwrap(), None);
        assert_eq!(stories::page(&db, id, None).await.unwrap().story.title, "Version 30", "the edit over the budget wrote nothing");

        // 30 earlier versions for Ann: 20, then 10.
        let (_, page1, more, _) = stories::history_page(&db, id, Some(&ann), 1).await.unwrap();
        assert_eq!((page1.len(), more), (20, true));
        assert_eq!(page1[0].title, "Version 29", "newest first");
        let (_, page2, more, _) = stories::history_page(&db, id, Some(&ann), 2).await.unwrap();
        assert_eq!((page2.len(), more), (10, false));
        assert_eq!(page2.last().unwrap().title, "Version 0");
        // Bob is not in the circle: the four versions shown only to it are not his to read.
        let (_, page1, _, _) = stories::history_page(&db, id, Some(&bob), 1).await.unwrap();
        let (_, page2, more, _) = stories::history_page(&db, id, Some(&bob), 2).await.unwrap();
        assert_eq!((page1.len(), page2.len(), more), (20, 6, false));
        assert!(page2.iter().all(|r| r.visibility == "public"), "{page2:?}");
        assert!(stories::history_page(&db, id, None, 3).await.unwrap().1.is_empty());
        // Past one batch of audiences (100 versions read at a time): 230
        // more versions, of which Bob may read the public ones only.
        for n in 0..230 {
            let visibility = if n % 2 == 0 { "group" } else { "public" };
            let sql = format!(
                "INSERT INTO story_revisions (story_id, title, body, edited_by, created_at, visibility, group_id) \
                 SELECT id, 'Later {n}', 'Later {n}', author_person, 0, '{visibility}', \
                 CASE WHEN '{visibility}' = 'group' THEN (SELECT MAX(group_id) FROM story_revisions WHERE story_id = {id}) END \
                 FROM stories WHERE id = {id}"
            );
            db.execute_admin(&sql).await.unwrap();
        }
        let all = versions(&db, id, Some(&ann)).await;
        assert_eq!(all.len(), 30 + 230);
        assert_eq!(all[0], "Later 229");
        let bobs = versions(&db, id, Some(&bob)).await;
        assert_eq!(bobs.len(), 26 + 115, "{bobs:?}");
        assert!(!bobs.iter().any(|b| b == "Later 228"), "a version only the circle saw");
        let (_, page7, more, _) = stories::history_page(&db, id, Some(&bob), 7).await.unwrap();
        assert_eq!((page7.len(), more), (20, true));
        assert_eq!(page7[0].body, bobs[120]);
    }
}

/// Editing or restoring a story someone may not see answers as its page
/// does (not found), so the answer does not say it exists; a story they
/// may see but did not write is refused in plain words.
#[tokio::test]
async fn edit_and_restore_do_not_reveal_hidden_stories() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let tom = person(&db, "tom").await;
        group(&db, &s, &ann, "The circle", "circle", "members").await;
        let draft = stories::create(&db, &s, &ann, &StoryForm { visibility: "draft".into(), ..story("Draft") }).await.unwrap();
        let circle = stories::create(&db, &s, &ann, &StoryForm { visibility: "group:circle".into(), ..story("Circle") }).await.unwrap();
        let deleted = stories::create(&db, &s, &ann, &story("Deleted")).await.unwrap();
        stories::delete(&db, mail(&s), &ann, deleted).await.unwrap();
        let public = stories::create(&db, &s, &ann, &story("Public")).await.unwrap();
        for id in [draft, circle, deleted, 999_999] {
            assert!(matches!(stories::edit(&db, &s, &tom, id, &story("Mine")).await, Err(CoreError::NotFound)), "edit {id}");
            assert!(matches!(stories::ensure_can_edit(&db, &s, &tom, id).await, Err(CoreError::NotFound)), "edit form {id}");
            assert!(matches!(stories::restore(&db, &tom, id).await, Err(CoreError::NotFound)), "restore {id}");
        }
        assert!(matches!(stories::edit(&db, &s, &tom, public, &story("Mine")).await, Err(CoreError::Forbidden(_))));
        assert!(matches!(stories::restore(&db, &tom, public).await, Err(CoreError::Forbidden(_))));
        // Its author is told to restore a deleted story before editing it.
        let Err(CoreError::Forbidden(why)) = stories::ensure_can_edit(&db, &s, &ann, deleted).await else { panic!() };
        assert!(why.contains("restore it first"), "{why}");
    }
}

/// Deleting a deleted story again changes nothing: its restore window (or
/// the moderators' removal) runs from when it was first deleted.
#[tokio::test]
async fn deleting_again_does_not_move_the_restore_window() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let mine = stories::create(&db, &s, &ann, &story("Mine")).await.unwrap();
        let removed = stories::create(&db, &s, &ann, &story("Removed")).await.unwrap();
        let gone = stories::create(&db, &s, &ann, &story("Long gone")).await.unwrap();
        let (earlier, removed_at) = (meetinghouse_store::now() - 2 * DAY, meetinghouse_store::now() - DAY);
        for id in [mine, gone] {
            stories::delete(&db, mail(&s), &ann, id).await.unwrap();
        }
        let mut tx = db.begin().await.unwrap();
        let removal = meetinghouse_store::moderation::StoryRemoval { story_id: removed, moderator: None, report_id: None, note: "No consent.".into(), removed_at };
        assert!(meetinghouse_store::moderation::remove_story(&mut tx, &removal, "Removed", "We walked along the canal *every* Sunday.").await.unwrap());
        tx.commit().await.unwrap();
        db.execute_admin(&format!("UPDATE stories SET deleted_at = {earlier} WHERE id = {mine}")).await.unwrap();
        db.execute_admin(&format!("UPDATE stories SET deleted_at = {} WHERE id = {gone}", earlier - 30 * DAY)).await.unwrap();
        for (id, at) in [(mine, earlier), (removed, removed_at)] {
            let r = stories::delete(&db, mail(&s), &ann, id).await;
            assert!(matches!(r, Err(CoreError::Forbidden(_))), "{r:?}");
            assert_eq!(meetinghouse_store::stories::by_id(&db, id).await.unwrap().unwrap().deleted_at, Some(at), "story {id}");
        }
        let Err(CoreError::Forbidden(why)) = stories::delete(&db, mail(&s), &ann, removed).await else { panic!() };
        assert!(why.contains("The moderators removed this story"), "{why}");
        // Her page lists the removed story as removed, the deleted one as
        // hers to restore, and not the one past its restore window.
        let listed = stories::mine(&db, &ann).await.unwrap();
        assert!(listed.iter().any(|r| r.id == removed && r.removed == 1) && listed.iter().any(|r| r.id == mine && r.removed == 0), "{listed:?}");
        assert!(!listed.iter().any(|r| r.id == gone), "{listed:?}");
    }
}

/// The newest story deleted past its restore window is emptied (its words,
/// photos and replies go) though its row waits for a newer story; a photo
/// taken off a story in an edit is kept for the restore window, not
/// removed at the next hourly purge.
#[tokio::test]
async fn the_newest_story_is_emptied_and_a_removed_photo_is_kept_for_the_window() {
    use meetinghouse_core::conversations::{self, ReplyForm};
    use meetinghouse_core::subjects::Subject;
    use meetinghouse_media::{LocalStore, MediaStore};
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        let media = MediaStore::Local(LocalStore::new(meetinghouse_store::test_databases::temp_dir("mh_purge_newest")));
        let (kept, taken_off, newest_photo) = (media_row(&db, &ann, &media_key('1')).await, media_row(&db, &ann, &media_key('2')).await, media_row(&db, &ann, &media_key('3')).await);
        let consent = |photos| StoryForm { photos, consent_people: true, consent_minors: true, ..story("The mill") };
        let edited = stories::create(&db, &s, &ann, &consent(vec![photo(kept, "A mill", ""), photo(taken_off, "A wheel", "")])).await.unwrap();
        stories::edit(&db, &s, &ann, edited, &consent(vec![photo(kept, "A mill", "")])).await.unwrap();
        let newest = stories::create(&db, &s, &ann, &consent(vec![photo(newest_photo, "A weir", "")])).await.unwrap();
        conversations::post(&db, mail(&s), &bob, Subject::Story(newest), &ReplyForm { body: "I was there.".into(), ..Default::default() }).await.unwrap();
        stories::delete(&db, mail(&s), &ann, newest).await.unwrap();
        let now = meetinghouse_store::now();

        // Two days on: the photo taken off stays (an unused upload goes after a day).
        let p = meetinghouse_core::retention::purge(&db, &media, now + 2 * DAY).await.unwrap();
        assert_eq!((p.stories, p.media.rows), (0, 0), "{p:?}");
        assert!(meetinghouse_store::media::by_id(&db, taken_off).await.unwrap().is_some());

        // 31 days on: the photo taken off goes; the newest story is emptied,
        // and its photo goes with the unused uploads of the same run.
        let p = meetinghouse_core::retention::purge(&db, &media, now + 31 * DAY).await.unwrap();
        assert_eq!((p.stories, p.media.rows), (1, 2), "{p:?}");
        assert!(meetinghouse_store::media::by_id(&db, newest_photo).await.unwrap().is_none());
        let row = meetinghouse_store::stories::by_id(&db, newest).await.unwrap().expect("its row waits");
        assert_eq!((row.title.as_str(), row.body.as_str(), row.place_name.as_str(), row.lat_milli), ("", "", "", None));
        assert!(meetinghouse_store::purge::rows_naming_story(&db, newest).await.unwrap().iter().all(|(table, _)| table == "stories"));
        assert!(meetinghouse_store::media::by_id(&db, taken_off).await.unwrap().is_none(), "taken off 31 days ago");
        assert!(meetinghouse_store::media::by_id(&db, kept).await.unwrap().is_some(), "still shown");
        // Nothing is emptied twice.
        let p = meetinghouse_core::retention::purge(&db, &media, now + 32 * DAY).await.unwrap();
        assert_eq!(p, meetinghouse_core::retention::Purged::default());
        // Once a newer story exists, its row goes too.
        stories::create(&db, &s, &bob, &story("Newer")).await.unwrap();
        let p = meetinghouse_core::retention::purge(&db, &media, now + 32 * DAY).await.unwrap();
        assert_eq!(p.stories, 1, "{p:?}");
        assert!(meetinghouse_store::stories::by_id(&db, newest).await.unwrap().is_none());
    }
}

/// Replies written while a story was shown only to a group's members were
/// written for them: the story is not shown to anyone else while they are
/// on it (not everyone, not another group, not through a draft), in words
/// that say why, and the interaction export never publishes them. A story
/// whose only group-era replies are its author's own, or retracted without
/// a note, may be widened.
#[tokio::test]
async fn replies_written_for_a_group_keep_the_story_with_that_group() {
    use meetinghouse_core::conversations;
    use meetinghouse_core::subjects::Subject;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        let eve = person(&db, "eve").await;
        group(&db, &s, &ann, "The circle", "circle", "members").await;
        group(&db, &s, &ann, "Walkers", "walkers", "members").await;
        groups::invite_person(&db, &ann, "circle", "bob").await.unwrap();
        groups::join(&db, &s, &bob, "circle").await.unwrap();

        let circle = StoryForm { visibility: "group:circle".into(), ..story("Our pattern") };
        let id = stories::create(&db, &s, &ann, &circle).await.unwrap();
        let secret = conversations::post(&db, mail(&s), &bob, Subject::Story(id), &common::reply("SECRET reply from bob @ann")).await.unwrap();
        for (to, wider) in [("public", "with everyone"), ("group:walkers", "with the members of Walkers")] {
            let Err(CoreError::Invalid(e)) = stories::edit(&db, &s, &ann, id, &StoryForm { visibility: to.into(), ..circle.clone() }).await else {
                panic!("widened to {to}")
            };
            let words = e.get("visibility").unwrap();
            assert!(words.contains("People replied to this story while only the members of The circle could see it"), "{words}");
            assert!(words.contains(&format!("cannot be shared {wider}")) && words.contains("Keep it shared with The circle"), "{words}");
        }
        assert!(matches!(conversations::visible_reply(&db, secret, None).await, Err(CoreError::NotFound)), "the reply stays with the circle");
        assert!(matches!(conversations::visible_reply(&db, secret, Some(&eve)).await, Err(CoreError::NotFound)));
        // Through a draft: the draft is fine, publishing it to everyone is not.
        stories::edit(&db, &s, &ann, id, &StoryForm { visibility: "draft".into(), ..circle.clone() }).await.unwrap();
        let Err(CoreError::Invalid(e)) = stories::edit(&db, &s, &ann, id, &StoryForm { visibility: "public".into(), ..circle.clone() }).await else {
            panic!("a draft shown to the circle before was made public")
        };
        assert!(e.get("visibility").unwrap().contains("only the members of The circle"));
        stories::edit(&db, &s, &ann, id, &circle).await.unwrap();
        let mut csv = Vec::new();
        meetinghouse_core::interactions::export_csv(&db, 0, &mut csv).await.unwrap();
        assert!(!String::from_utf8(csv).unwrap().contains("bob,ann"), "the export leaves the circle's replies out");

        // Once the reply is retracted (with no note), the story may go wider;
        // its author's own replies never hold it back.
        conversations::post(&db, mail(&s), &ann, Subject::Story(id), &common::reply("My own answer")).await.unwrap();
        conversations::retract(&db, &bob, secret, "").await.unwrap();
        stories::edit(&db, &s, &ann, id, &StoryForm { visibility: "public".into(), ..circle.clone() }).await.unwrap();
        assert_eq!(stories::page(&db, id, None).await.unwrap().story.visibility, "public");
    }
}

/// The author of a story, or an instance moderator with a note (logged, and
/// sent to the author), removes the text of an earlier version for good; the
/// history keeps its place and says who removed it. Nobody else can, and a
/// version someone may not read is "not found" to them.
#[tokio::test]
async fn the_author_or_the_moderators_remove_an_earlier_versions_text() {
    use meetinghouse_core::stories::RemovedBy;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let eve = person(&db, "eve").await;
        let mo = admin(&db, "mo").await;
        let first = StoryForm { body: "Our address is 12 Canal Row.".into(), ..story("Home") };
        let id = stories::create(&db, &s, &ann, &first).await.unwrap();
        for body in ["Second version.", "Third version.", "Fourth version."] {
            stories::edit(&db, &s, &ann, id, &StoryForm { body: body.into(), ..first.clone() }).await.unwrap();
        }
        let (_, shown, _, _) = stories::history_page(&db, id, None, 1).await.unwrap();
        let ids: Vec<i64> = shown.iter().map(|r| r.id).collect();
        assert_eq!(shown.iter().map(|r| r.body.as_str()).collect::<Vec<_>>(), ["Third version.", "Second version.", "Our address is 12 Canal Row."]);
        let oldest = ids[2];

        // Not without ticking "I understand this cannot be undone": nothing is removed.
        let Err(CoreError::Invalid(e)) = stories::remove_revision(&db, mail(&s), &ann, id, oldest, "", false).await else { panic!("removed unasked") };
        assert_eq!(e.get("understood"), Some(stories::REMOVAL_NOT_UNDERSTOOD));
        assert_eq!(stories::history_page(&db, id, None, 1).await.unwrap().1[2].body, "Our address is 12 Canal Row.");
        // Someone else is refused; the author removes it.
        let refused = stories::remove_revision(&db, mail(&s), &eve, id, oldest, "", true).await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{refused:?}");
        assert_eq!(stories::remove_revision(&db, mail(&s), &ann, id, oldest, "", true).await.unwrap(), (RemovedBy::Author, true));
        assert_eq!(stories::remove_revision(&db, mail(&s), &ann, id, oldest, "", true).await.unwrap(), (RemovedBy::Author, false), "once");
        let (_, shown, _, _) = stories::history_page(&db, id, None, 1).await.unwrap();
        assert_eq!(shown.len(), 3, "the version keeps its place");
        assert_eq!((shown[2].title.as_str(), shown[2].body.as_str(), shown[2].removed_by.as_deref()), ("", "", Some("author")));
        // A version of another story is not found through this one.
        let other = stories::create(&db, &s, &ann, &story("Other")).await.unwrap();
        assert!(matches!(stories::remove_revision(&db, mail(&s), &ann, other, ids[0], "", true).await, Err(CoreError::NotFound)));

        // A moderator says why; the log keeps it and the author is told.
        let Err(CoreError::Invalid(e)) = stories::remove_revision(&db, mail(&s), &mo, id, ids[1], "  ", true).await else { panic!("no note") };
        assert!(e.get("note").is_some());
        let (by, done) = stories::remove_revision(&db, mail(&s), &mo, id, ids[1], "It named a child.", true).await.unwrap();
        assert_eq!((by, done), (RemovedBy::Moderators, true));
        let (_, shown, _, _) = stories::history_page(&db, id, Some(&ann), 1).await.unwrap();
        assert_eq!((shown[1].body.as_str(), shown[1].removed_by.as_deref()), ("", Some("moderators")));
        assert_eq!(shown[0].body, "Third version.", "the others stay");
        let log = meetinghouse_store::moderation::actions(&db, 0, 10).await.unwrap();
        assert!(log.iter().any(|a| a.target_kind == "story" && a.target_id == id && a.note.contains("It named a child.")), "{log:?}");
        let told = meetinghouse_core::notifications::list(&db, &ann, 0).await.unwrap();
        assert!(format!("{told:?}").contains("It named a child."), "{told:?}");

        // A version shown only to a group is not found to a non-member.
        group(&db, &s, &ann, "The circle", "circle", "members").await;
        let circle = StoryForm { visibility: "group:circle".into(), body: "Circle text.".into(), ..story("Circle") };
        let gid = stories::create(&db, &s, &ann, &circle).await.unwrap();
        stories::edit(&db, &s, &ann, gid, &StoryForm { body: "Circle text, changed.".into(), ..circle }).await.unwrap();
        let (_, mine, _, _) = stories::history_page(&db, gid, Some(&ann), 1).await.unwrap();
        assert!(matches!(stories::remove_revision(&db, mail(&s), &eve, gid, mine[0].id, "", true).await, Err(CoreError::NotFound)));
    }
}

/// Editing a story shared with a group its author has left: keeping it
/// there is refused in words that say why (never "does not exist", nor
/// "choose who can see it"), and the way out works.
#[tokio::test]
async fn editing_a_story_in_a_group_its_author_left_says_why() {
    use meetinghouse_core::conversations;
    use meetinghouse_core::subjects::Subject;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        group(&db, &s, &ann, "Residents' Voice", "residents-voice", "members").await;
        groups::invite_person(&db, &ann, "residents-voice", "bob").await.unwrap();
        groups::join(&db, &s, &bob, "residents-voice").await.unwrap();
        let shared = StoryForm { visibility: "group:residents-voice".into(), ..story("Our street") };
        let quiet = stories::create(&db, &s, &bob, &shared).await.unwrap();
        let answered = stories::create(&db, &s, &bob, &StoryForm { title: "Answered".into(), ..shared.clone() }).await.unwrap();
        conversations::post(&db, mail(&s), &ann, Subject::Story(answered), &common::reply("Thank you, Bob")).await.unwrap();
        groups::leave(&db, &bob, "residents-voice").await.unwrap();

        let typo = StoryForm { body: "A typo fixed.".into(), ..shared.clone() };
        let Err(CoreError::Invalid(e)) = stories::edit(&db, &s, &bob, quiet, &typo).await else { panic!("edited from outside the group") };
        let words = e.get("visibility").unwrap();
        assert!(words.starts_with("You are no longer a member of Residents' Voice, so you can no longer change what its members see"), "{words}");
        assert!(words.contains("Choose “Everyone” or another of your groups"), "{words}");
        assert!(!words.contains("does not exist"));
        // With replies written for the group, only a draft is offered.
        let Err(CoreError::Invalid(e)) = stories::edit(&db, &s, &bob, answered, &typo).await else { panic!() };
        assert!(e.get("visibility").unwrap().contains("Choose “Only me (a draft)”"), "{e:?}");
        let Err(CoreError::Invalid(e)) = stories::edit(&db, &s, &bob, answered, &StoryForm { visibility: "public".into(), ..typo.clone() }).await else { panic!() };
        assert!(e.get("visibility").unwrap().contains("Choose “Only me (a draft)” to keep your changes to yourself"), "{e:?}");
        // The ways out.
        stories::edit(&db, &s, &bob, quiet, &StoryForm { visibility: "public".into(), ..typo.clone() }).await.unwrap();
        stories::edit(&db, &s, &bob, answered, &StoryForm { visibility: "draft".into(), ..typo }).await.unwrap();
    }
}

/// Removing a version's text takes its title out of the notifications that
/// quote it, and out of their mail not sent yet (one at a time, or in a
/// digest), in the same transaction: for that story only, never another's
/// of the same title. Its author and, while the story is public, everyone
/// read its current title instead; others "a story".
#[tokio::test]
async fn a_removed_title_leaves_notifications_and_unsent_mail() {
    use meetinghouse_core::{conversations, notifications};
    use meetinghouse_core::subjects::Subject;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        let carl = person(&db, "carl").await;
        db.execute_admin("UPDATE people SET email_verified_at = 1").await.unwrap();
        notifications::set_mode(&db, &bob, "immediate").await.unwrap();
        group(&db, &s, &ann, "The circle", "circle", "members").await;
        groups::invite_person(&db, &ann, "circle", "bob").await.unwrap();
        groups::join(&db, &s, &bob, "circle").await.unwrap();
        let secret = StoryForm { body: "Only for now.".into(), ..story("Secret flood plan v2") };
        let public = stories::create(&db, &s, &ann, &secret).await.unwrap();
        let circle = stories::create(&db, &s, &ann, &StoryForm { visibility: "group:circle".into(), ..secret.clone() }).await.unwrap();
        // Another story of the same title, by someone else.
        let same = stories::create(&db, &s, &carl, &secret).await.unwrap();
        let mut replies = Vec::new();
        for (author, id) in [(&ann, public), (&ann, circle), (&carl, same)] {
            let r = conversations::post(&db, mail(&s), &bob, Subject::Story(id), &common::reply("We should meet.")).await.unwrap();
            conversations::thank(&db, mail(&s), author, r, "thanks").await.unwrap();
            replies.push(r);
        }
        // A digest waiting to go to Bob, listing all three as a digest does.
        let mut digest = String::from("Here is what happened:\n\n");
        for n in notifications::list(&db, &bob, 0).await.unwrap() {
            digest.push_str(&format!("- {}\n  https://town.example{}\n", n.text, n.url));
        }
        db.execute_admin(&format!(
            "INSERT INTO email_outbox (to_addr, subject, body, kind, created_at) VALUES ('bob@example.org', 'Town: your daily digest', '{}', 'digest', 0)",
            digest.replace('\'', "''")
        ))
        .await
        .unwrap();
        let quoted = "“Secret flood plan v2”";
        let mail_of = async |reply: i64| -> meetinghouse_store::outbox::EmailRow {
            let all = meetinghouse_store::outbox::recent(&db, 100).await.unwrap();
            all.into_iter().find(|m| m.kind == "notification" && m.body.contains(&format!("/replies/{reply}\n"))).expect("the thanks was mailed")
        };
        assert!(mail_of(replies[0]).await.subject.contains(quoted));

        // Ann retitles both and removes the versions with the old title.
        for id in [public, circle] {
            let visibility = if id == public { "public" } else { "group:circle" };
            stories::edit(&db, &s, &ann, id, &StoryForm { visibility: visibility.into(), ..story("Flood plan") }).await.unwrap();
            let (_, versions, _, _) = stories::history_page(&db, id, Some(&ann), 1).await.unwrap();
            assert_eq!(versions[0].title, "Secret flood plan v2");
            stories::remove_revision(&db, mail(&s), &ann, id, versions[0].id, "", true).await.unwrap();
        }

        let texts = |list: Vec<meetinghouse_store::notifications::NotificationRow>| list.into_iter().map(|n| n.text).collect::<Vec<_>>();
        let bobs = texts(notifications::list(&db, &bob, 0).await.unwrap());
        assert_eq!(bobs.iter().filter(|t| t.contains(quoted)).count(), 1, "only Carl's story keeps it: {bobs:?}");
        assert!(bobs.contains(&"carl said thank you (your reply on “Secret flood plan v2”).".to_string()), "{bobs:?}");
        assert!(bobs.contains(&"ann said thank you (your reply on “Flood plan”).".to_string()), "the public story's current title: {bobs:?}");
        assert!(bobs.contains(&"ann said thank you (your reply on a story).".to_string()), "the group story's is not said: {bobs:?}");
        let anns = texts(notifications::list(&db, &ann, 0).await.unwrap());
        assert_eq!(anns.iter().filter(|t| t.as_str() == "bob replied to “Flood plan”.").count(), 2, "its author reads its title: {anns:?}");
        assert!(!anns.iter().any(|t| t.contains(quoted)), "{anns:?}");

        // The mail not sent yet reads the same; Carl's is left as it was.
        for (reply, words) in [(replies[0], "“Flood plan”"), (replies[1], "a story")] {
            let m = mail_of(reply).await;
            assert!(!m.subject.contains("Secret") && !m.body.contains("Secret"), "{m:?}");
            assert!(m.body.starts_with(&format!("ann said thank you (your reply on {words}).\n")) && m.subject.contains(words), "{m:?}");
        }
        assert!(mail_of(replies[2]).await.body.contains(quoted));
        let all = meetinghouse_store::outbox::recent(&db, 100).await.unwrap();
        let digest = all.iter().find(|m| m.kind == "digest").unwrap();
        assert_eq!(digest.body.matches("Secret flood plan v2").count(), 1, "{}", digest.body);
        assert!(digest.body.contains("- carl said thank you (your reply on “Secret flood plan v2”).\n"), "{}", digest.body);
        assert!(digest.body.contains("- ann said thank you (your reply on “Flood plan”).\n") && digest.body.contains("- ann said thank you (your reply on a story).\n"), "{}", digest.body);
    }
}

/// A photo sent twice on a story form is on the story once, and the copy
/// does not count towards the most a story can have.
#[tokio::test]
async fn a_photo_sent_twice_is_on_the_story_once() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let (m, other) = (media_row(&db, &ann, &media_key('a')).await, media_row(&db, &ann, &media_key('b')).await);
        let twice = vec![photo(m, "A lock", ""), photo(m, "A lock again", ""), photo(other, "A boat", "")];
        let form = StoryForm { photos: twice, consent_people: true, consent_minors: true, ..story("Locks") };
        let id = stories::create(&db, &s, &ann, &form).await.unwrap();
        let shown: Vec<(i64, String)> = stories::page(&db, id, None).await.unwrap().photos.into_iter().map(|p| (p.media_id, p.alt)).collect();
        assert_eq!(shown, [(m, "A lock".to_string()), (other, "A boat".to_string())]);
        // Eleven copies of one photo are one photo, not too many.
        let copies = StoryForm { photos: vec![photo(m, "A lock", ""); meetinghouse_core::media::PHOTOS_MAX + 1], ..form.clone() };
        stories::edit(&db, &s, &ann, id, &copies).await.unwrap();
        assert_eq!(meetinghouse_store::media::photos_of_story(&db, id).await.unwrap().len(), 1);
    }
}

/// A reply written at the moment the story's author widens its audience
/// (from a group's members to everyone): the two take turns on the story
/// (on PostgreSQL its row lock, on SQLite the write turn), so either the
/// reply lands first and the widening is refused, or the widening lands
/// first and the reply, checked against the audience it was written for,
/// is refused with its words kept. Never a public story with a reply
/// written for the group on it. Raced many times, at varying offsets.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reply_racing_a_widening_never_lands_under_the_wider_audience() {
    use meetinghouse_core::conversations;
    use meetinghouse_core::subjects::Subject;
    const ROUNDS: u64 = 30;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        group(&db, &s, &ann, "The circle", "circle", "members").await;
        groups::invite_person(&db, &ann, "circle", "bob").await.unwrap();
        groups::join(&db, &s, &bob, "circle").await.unwrap();
        let circle = StoryForm { visibility: "group:circle".into(), ..story("Our pattern") };
        let (mut replies_refused, mut widenings_refused) = (0, 0);
        for round in 0..ROUNDS {
            let id = stories::create(&db, &s, &ann, &circle).await.unwrap();
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
            let reply = tokio::spawn({
                let (db, s, bob, start) = (db.clone(), s.clone(), bob.clone(), start.clone());
                async move {
                    start.wait().await;
                    conversations::post(&db, mail(&s), &bob, Subject::Story(id), &common::reply("For the circle only")).await
                }
            });
            let widen = tokio::spawn({
                let (db, s, ann, start, form) = (db.clone(), s.clone(), ann.clone(), start.clone(), StoryForm { visibility: "public".into(), ..circle.clone() });
                async move {
                    start.wait().await;
                    tokio::time::sleep(std::time::Duration::from_micros(round % 10 * 300)).await;
                    stories::edit(&db, &s, &ann, id, &form).await
                }
            });
            let (replied, widened) = (reply.await.unwrap(), widen.await.unwrap());
            let now = stories::page(&db, id, Some(&ann)).await.unwrap().story;
            let narrow = meetinghouse_store::stories::narrow_replies(&db, id, 1).await.unwrap();
            assert!(!(now.visibility == "public" && narrow > 0), "{:?} round {round}: the story went public with a reply written for the circle", db.backend());
            match (replied, widened) {
                (Ok(_), Err(CoreError::Invalid(e))) => {
                    assert!(e.get("visibility").is_some(), "{e:?}");
                    assert_eq!(now.visibility, "group");
                    widenings_refused += 1;
                }
                (Err(CoreError::Invalid(e)), Ok(_)) => {
                    assert_eq!(e.get("form"), Some(conversations::AUDIENCE_CHANGED), "{e:?}");
                    assert_eq!(now.visibility, "public");
                    replies_refused += 1;
                }
                // The reply saw the widening before it was checked: written for everyone.
                (Ok(_), Ok(_)) => {}
                (r, w) => panic!("{:?} round {round}: {r:?} / {w:?}", db.backend()),
            }
        }
        eprintln!("{:?}: {widenings_refused} widenings and {replies_refused} replies refused in {ROUNDS} rounds", db.backend());
    }
}

/// An upload the media store cannot take whole leaves nothing behind: here
/// the master's folder is a file, so its write fails with the system's own
/// error (`ENOTDIR`) after the smaller sizes were stored. No row points at
/// a missing file and no stored size is left without a row; the person is
/// told to try again, and once the store can take it the same photo goes in
/// whole.
#[tokio::test]
async fn an_upload_the_media_store_cannot_take_leaves_nothing_behind() {
    use meetinghouse_core::media::{self, Refusal, UploadError};
    use meetinghouse_media::{Limits, LocalStore, MediaStore};
    for db in meetinghouse_testkit::databases().await {
        let ann = person(&db, "ann").await;
        let dir = meetinghouse_store::test_databases::temp_dir("mh_upload_fails");
        let store = MediaStore::Local(LocalStore::new(&dir));
        let bytes = meetinghouse_media::generated_picture(5, 1200, 800);
        let p = meetinghouse_media::process(&bytes, &Limits::default()).unwrap();
        assert!(!p.derivatives.is_empty());
        let master = &p.master.key;
        let blocker = dir.join(&master[0..2]).join(&master[2..4]);
        std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
        std::fs::write(&blocker, b"a file where the master's folder should be").unwrap();

        let refused = media::upload(&db, &store, &ann, bytes.clone(), Limits::default()).await.unwrap();
        assert_eq!(refused, Err(UploadError(media::STORE_FAILED.into(), Refusal::Image)), "{:?}", db.backend());
        assert_eq!(meetinghouse_store::media::waiting(&db, ann.id, 0).await.unwrap(), meetinghouse_store::media::Waiting::default(), "no row");
        for v in p.all() {
            assert!(!meetinghouse_store::media::key_in_use(&db, &v.key).await.unwrap(), "no key recorded: {}", v.key);
            assert_eq!(store.get(&v.key).await.unwrap(), None, "no file: {}", v.key);
        }
        assert!(meetinghouse_store::media::queued_deletions(&db, 10).await.unwrap().is_empty(), "nothing left for the clean-up");

        std::fs::remove_file(&blocker).unwrap();
        let id = media::upload(&db, &store, &ann, bytes, Limits::default()).await.unwrap().expect("stored whole");
        for v in p.all() {
            assert_eq!(store.get(&v.key).await.unwrap().as_deref(), Some(&v.bytes[..]), "{}", v.key);
        }
        assert_eq!(meetinghouse_store::media::waiting(&db, ann.id, 0).await.unwrap().count, 1, "upload {id}");
    }
}

/// A person's uploads that no story shows yet are held to
/// `media::WAITING_MAX_COUNT` files and `media::WAITING_MAX_BYTES` bytes:
/// past either, an upload is refused in plain words before anything of it
/// is stored. A story's photos, other people's uploads and uploads older
/// than a day (going with the next clean-up) do not count.
#[tokio::test]
async fn waiting_uploads_are_capped_per_person() {
    use meetinghouse_core::media::{self, WAITING_MAX_BYTES, WAITING_MAX_COUNT};
    use meetinghouse_media::{Limits, LocalStore, MediaStore};
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bob = person(&db, "bob").await;
        let dir = meetinghouse_store::test_databases::temp_dir("mh_upload_cap");
        let store = MediaStore::Local(LocalStore::new(&dir));
        let mut rows = Vec::new();
        for n in 0..3 {
            rows.push(media_row(&db, &ann, &format!("{n:064x}.jpg")).await);
        }
        let now = meetinghouse_store::now();
        let more: Vec<String> = (3..WAITING_MAX_COUNT).map(|n| format!("({}, '{n:064x}.jpg', 640, 480, 'image/jpeg', '[]', {now})", ann.id)).collect();
        db.execute_admin(&format!("INSERT INTO media (owner_person, master_key, width, height, mime, variants, created_at) VALUES {}", more.join(", "))).await.unwrap();
        media_row(&db, &bob, &format!("{:064x}.jpg", 999)).await;
        let bytes = meetinghouse_media::generated_picture(8, 400, 300);
        let files = || walk(&dir);
        let empty = files();
        let r = media::upload(&db, &store, &ann, bytes.clone(), Limits::default()).await.unwrap();
        let words = r.expect_err("over the count").0;
        assert!(words.contains(&format!("you have {WAITING_MAX_COUNT} photos sent in the last day that are not on a story yet")), "{words}");
        assert!(words.contains("Save your story with the photos already on it"), "{words}");
        assert_eq!(files(), empty, "nothing stored");
        // Bob's own count is his.
        media::upload(&db, &store, &bob, bytes.clone(), Limits::default()).await.unwrap().expect("bob has room");

        // One of Ann's goes on a story, and one is more than a day old: room for two.
        let id = stories::create(&db, &s, &ann, &StoryForm { visibility: "draft".into(), ..story("With a photo") }).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::media::set_story_photos(&mut tx, id, &[(rows[0], "A photo".into(), String::new())]).await.unwrap();
        tx.commit().await.unwrap();
        db.execute_admin(&format!("UPDATE media SET created_at = created_at - 2 * 86400 WHERE id = {}", rows[1])).await.unwrap();
        // The bytes cap: what is waiting takes all but a few bytes of it.
        db.execute_admin(&format!("UPDATE media SET bytes = {} WHERE id = {}", WAITING_MAX_BYTES - 10, rows[2])).await.unwrap();
        let before = files();
        let words = media::upload(&db, &store, &ann, bytes.clone(), Limits::default()).await.unwrap().expect_err("over the bytes").0;
        assert!(words.contains(&format!("would take more than {} MB with this one", WAITING_MAX_BYTES / (1024 * 1024))), "{words}");
        assert_eq!(files(), before, "nothing stored");
        db.execute_admin(&format!("UPDATE media SET bytes = 0 WHERE id = {}", rows[2])).await.unwrap();
        let held = meetinghouse_store::media::waiting(&db, ann.id, meetinghouse_store::now() - media::UNUSED_KEEP_SECS).await.unwrap();
        assert_eq!(held.count, WAITING_MAX_COUNT - 2);
        media::upload(&db, &store, &ann, bytes.clone(), Limits::default()).await.unwrap().expect("room for one");
        let held = meetinghouse_store::media::waiting(&db, ann.id, meetinghouse_store::now() - media::UNUSED_KEEP_SECS).await.unwrap();
        assert_eq!(held.count, WAITING_MAX_COUNT - 1);
        assert!(held.bytes > 0, "its size is recorded: {held:?}");
        let other = meetinghouse_media::generated_picture(9, 400, 300);
        media::upload(&db, &store, &ann, other, Limits::default()).await.unwrap().expect("and one more");
        assert!(media::upload(&db, &store, &ann, bytes, Limits::default()).await.unwrap().is_err(), "then the count is met again");
    }
}

/// How many files are under a folder, at any depth.
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum()
    })
}
