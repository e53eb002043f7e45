//! A group's purpose through the real router, on every configured backend:
//! a member proposes an amendment (a refused one comes back with what was
//! typed and uses none of the hourly budget; past it, 429), members object, change and
//! withdraw their objections, the proposer withdraws; people outside a
//! members-only group get "not found" on every purpose page and action; a
//! form without its token changes nothing; once settled, the purpose page
//! shows version 2 and the version page what changed, word by word, and the
//! amendment's page how each objection counted then (migration 0036).

use axum::http::StatusCode;
use meetinghouse_core::notifications::Mailer;
use meetinghouse_core::purposes;
use meetinghouse_core::settings::Settings;
use meetinghouse_testkit::{TestApp, apps};

const PURPOSE: &str = "We look after the canal.";
const NEW_PURPOSE: &str = "We look after the canal and its towpath.";

/// Starts a group with a purpose, from the form.
async fn start_group(app: &mut TestApp, slug: &str, visibility: &str, policy: &str) {
    let name = format!("Group {slug}");
    let fields = [("name", name.as_str()), ("slug", slug), ("purpose", PURPOSE), ("visibility", visibility), ("join_policy", policy)];
    let r = app.submit("/groups/new", "/groups", &fields).await;
    assert_eq!(r.location(), Some(format!("/groups/{slug}").as_str()), "{}", r.body);
}

/// Proposes `text` from the form; returns the amendment's address.
async fn propose(app: &mut TestApp, slug: &str, text: &str, why: &str) -> String {
    let form = format!("/groups/{slug}/purpose/amend");
    let r = app.submit(&form, &form, &[("text", text), ("why", why)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().unwrap().to_string();
    assert!(to.starts_with(&format!("/groups/{slug}/amendments/")), "{to}");
    to
}

/// Runs the settling job as it would run after every open window closed.
async fn settle(app: &TestApp) -> usize {
    let s = Settings::load(&app.db).await.unwrap();
    let mail = Mailer { settings: &s, base_url: "https://town.example" };
    purposes::settle_due(&app.db, mail, meetinghouse_store::now() + purposes::WINDOW_SECS + 60).await.unwrap()
}

#[tokio::test]
async fn a_member_proposes_and_a_refused_proposal_keeps_what_was_typed() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let mut claire = sam.other_browser();
        claire.sign_up("claire").await;
        assert_eq!(claire.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await.status, StatusCode::SEE_OTHER);

        let page = claire.get("/groups/canal-friends/purpose").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Version 1"), "{}", page.body);
        assert!(page.body.contains(PURPOSE));
        assert!(page.body.contains("href=\"/groups/canal-friends/purpose/amend\">Propose an amendment</a>"), "{}", page.body);
        // The form starts with the purpose as it stands.
        let form = claire.get("/groups/canal-friends/purpose/amend").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains(&format!(">{PURPOSE}</textarea>")), "{}", form.body);

        // A reason is needed: the form comes back with the text typed.
        let r = claire.submit("/groups/canal-friends/purpose/amend", "/groups/canal-friends/purpose/amend", &[("text", NEW_PURPOSE), ("why", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("<a href=\"#why\">The reason for your amendment is needed.</a>"), "{}", r.body);
        assert!(r.body.contains(&format!(">{NEW_PURPOSE}</textarea>")), "{}", r.body);
        // The same words as now are refused in plain words.
        let r = claire.submit("/groups/canal-friends/purpose/amend", "/groups/canal-friends/purpose/amend", &[("text", PURPOSE), ("why", "Tidier.")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("This is the purpose as it stands (version 1)."), "{}", r.body);
        assert!(r.body.contains("Tidier.</textarea>"));

        let at = propose(&mut claire, "canal-friends", NEW_PURPOSE, "The towpath needs care too.").await;
        let shown = claire.get(&at).await;
        assert!(shown.body.contains("Your amendment is proposed. Members have 7 days to object"), "{}", shown.body);
        assert!(shown.body.contains("The towpath needs care too."));
        assert!(shown.body.contains("<del><span class=\"diff-mark\" aria-hidden=\"true\">−</span><span class=\"visually-hidden\">[removed: </span>canal.<span class=\"visually-hidden\">]</span></del>"), "{}", shown.body);
        assert!(shown.body.contains("<span class=\"visually-hidden\">[added: </span>canal and its towpath.<span class=\"visually-hidden\">]</span></ins>"));
        assert!(shown.body.contains("struck-through words</del> were removed"), "the legend says it in words");
        // The window's end, on the meeting house's clock, as other pages write it.
        let a = meetinghouse_store::purposes::amendment(&sam.db, at.rsplit('/').next().unwrap().parse().unwrap()).await.unwrap().unwrap();
        assert!(shown.body.contains(&format!("Members may object until {}", meetinghouse_core::clock::zone().datetime(a.closes_at))));
        // The proposer may withdraw it, not object to it.
        assert!(shown.body.contains("Withdraw this amendment"));
        assert!(!shown.body.contains("Your reason for objecting"));

        // The host is told; the purpose page lists it as open.
        let told = sam.get("/notifications").await.body;
        assert!(told.contains("claire (@claire) proposed an amendment to the purpose of Group canal-friends."), "{told}");
        let page = sam.get("/groups/canal-friends/purpose").await.body;
        assert!(page.contains(&format!("href=\"{at}\">Amendment")), "{page}");
        assert!(page.contains("open for objections until"));

        // Someone who is not a member is told who may, and cannot propose.
        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        let page = bea.get("/groups/canal-friends/purpose").await.body;
        assert!(!page.contains("/purpose/amend\""), "{page}");
        assert!(page.contains("Only members of Group canal-friends can propose amendments to its purpose and object to them"), "{page}");
        assert_eq!(bea.get("/groups/canal-friends/purpose/amend").await.status, StatusCode::FORBIDDEN);
        let r = bea.submit(&at, &format!("{at}/object"), &[("reason", "I walk there.")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("I walk there.</textarea>") || r.body.contains("Only members of"), "{}", r.body);
        // Signed out, the page says so too.
        let out = sam.other_browser().get("/groups/canal-friends/purpose").await.body;
        assert!(out.contains("Sign in if you are one."), "{out}");
    }
}

#[tokio::test]
async fn members_object_change_and_withdraw_and_the_proposer_withdraws() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let mut claire = sam.other_browser();
        claire.sign_up("claire").await;
        claire.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await;
        let at = propose(&mut claire, "canal-friends", NEW_PURPOSE, "Towpath.").await;

        // An empty reason comes back with an error, linked from the summary.
        let r = sam.submit(&at, &format!("{at}/object"), &[("reason", "  ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("<a href=\"#reason\">Your reason is needed.</a>"), "{}", r.body);

        let r = sam.submit(&at, &format!("{at}/object"), &[("reason", "Cyclists go too fast.")]).await;
        assert_eq!(r.location(), Some(format!("{at}#objections").as_str()));
        let page = sam.follow(&r).await.body;
        assert!(page.contains("Your objection is recorded, and the proposer is told."), "{page}");
        assert!(page.contains("Cyclists go too fast.</p>"), "{page}");
        assert!(page.contains("<strong>stands</strong>"));
        assert!(page.contains(">Change my objection</button>"));
        // The form starts with the reason, to change it.
        assert!(page.contains("Cyclists go too fast.</textarea>"));
        assert!(claire.get("/notifications").await.body.contains("sam (@sam) objected to your amendment to the purpose of Group canal-friends."));

        let r = sam.submit(&at, &format!("{at}/object"), &[("reason", "Cyclists go far too fast.")]).await;
        assert!(sam.follow(&r).await.body.contains("Your objection is changed."));
        let r = sam.submit(&at, &format!("{at}/objection/withdraw"), &[]).await;
        let page = sam.follow(&r).await.body;
        assert!(page.contains("Your objection is withdrawn. It stays on the page, marked withdrawn."), "{page}");
        assert!(page.contains("Cyclists go far too fast.</p>"), "a withdrawn objection is still shown");
        assert!(page.contains("<strong>withdrawn</strong>"));
        assert!(page.contains(">Object again</button>"));
        // Withdrawing twice is refused in plain words, on the page.
        let r = sam.submit(&at, &format!("{at}/objection/withdraw"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("You have no objection standing to this amendment"), "{}", r.body);

        // Only the proposer withdraws it.
        let r = sam.submit(&at, &format!("{at}/withdraw"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = claire.submit(&at, &format!("{at}/withdraw"), &[]).await;
        let page = claire.follow(&r).await.body;
        assert!(page.contains("Your amendment is withdrawn."), "{page}");
        assert!(page.contains("<strong>Withdrawn.</strong>"), "{page}");
        assert!(!page.contains("Withdraw this amendment</button>"));
        assert!(claire.get("/groups/canal-friends/purpose").await.body.contains("withdrawn on"));
    }
}

#[tokio::test]
async fn people_outside_a_members_only_group_get_not_found_everywhere() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "quiet-circle", "members", "invite").await;
        let at = propose(&mut sam, "quiet-circle", "We meet quietly, monthly.", "Rhythm.").await;
        let id = at.rsplit('/').next().unwrap().to_string();
        let r = sam.submit(&at, &format!("/conversations/amendment/{id}/replies"), &[("body", "Monthly suits me.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(sam.get(&at).await.body.contains("Monthly suits me."), "the conversation is on the amendment's page");

        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        let mut anon = sam.other_browser();
        for (who, signed_in) in [(&mut bea, true), (&mut anon, false)] {
            for page in [
                "/groups/quiet-circle/purpose".to_string(),
                "/groups/quiet-circle/purpose/versions/1".to_string(),
                "/groups/quiet-circle/purpose/amend".to_string(),
                at.clone(),
                format!("/conversations/amendment/{id}"),
            ] {
                let r = who.get(&page).await;
                // The form asks someone signed out to sign in first, whatever the group.
                let expected = if page.ends_with("/amend") && !signed_in { StatusCode::SEE_OTHER } else { StatusCode::NOT_FOUND };
                assert_eq!(r.status, expected, "{page}");
                assert!(!r.body.contains("Monthly"), "{page}");
            }
        }
        // Bea's forms, with a good token from a page she may see, find nothing.
        for action in ["object", "objection/withdraw", "withdraw"] {
            let r = bea.submit("/me", &format!("{at}/{action}"), &[("reason", "Let me in.")]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}");
        }
        let r = bea.submit("/me", "/groups/quiet-circle/purpose/amend", &[("text", "Mine."), ("why", "Mine.")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = bea.submit("/me", &format!("/conversations/amendment/{id}/replies"), &[("body", "Let me in.")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(meetinghouse_store::purposes::objections(&sam.db, id.parse().unwrap()).await.unwrap().len(), 0);
    }
}

#[tokio::test]
async fn a_form_without_its_token_changes_nothing() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let mut claire = sam.other_browser();
        claire.sign_up("claire").await;
        claire.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await;
        let at = propose(&mut claire, "canal-friends", NEW_PURPOSE, "Towpath.").await;
        let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();

        let r = sam.post_raw_from(&at, &format!("{at}/object"), &[("reason", "No token.")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = sam.post_raw_from(&at, &format!("{at}/object"), &[("csrf", "not-the-token"), ("reason", "Wrong token.")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Your form had expired"), "{}", r.body);
        assert!(meetinghouse_store::purposes::objections(&sam.db, id).await.unwrap().is_empty());
        let r = claire.post_raw_from(&at, &format!("{at}/withdraw"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = claire.post_raw_from("/groups/canal-friends/purpose/amend", "/groups/canal-friends/purpose/amend", &[("text", "Sneaky."), ("why", "No token.")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let page = purposes::page(&sam.db, &Settings::load(&sam.db).await.unwrap(), "canal-friends", None).await.unwrap();
        assert_eq!(page.open.iter().map(|a| (a.id, a.state.as_str())).collect::<Vec<_>>(), vec![(id, "open")]);
    }
}

#[tokio::test]
async fn proposing_past_the_hourly_budget_is_refused_with_the_text_kept() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let form = "/groups/canal-friends/purpose/amend";
        // Forms sent back with a mistake use up none of the budget.
        for _ in 0..purposes::PROPOSALS.limit {
            let r = sam.submit(form, form, &[("text", "Draft."), ("why", "")]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        // Proposals that are taken do: withdrawn each time, so no other limit is reached first.
        for n in 0..purposes::PROPOSALS.limit {
            let text = format!("We look after the canal, draft {n}.");
            let at = propose(&mut sam, "canal-friends", &text, "Trying.").await;
            let r = sam.submit(&at, &format!("{at}/withdraw"), &[]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let r = sam.submit(form, form, &[("text", NEW_PURPOSE), ("why", "At last.")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("You have proposed many amendments in the last hour."), "{}", r.body);
        assert!(r.body.contains(&format!(">{NEW_PURPOSE}</textarea>")) && r.body.contains("At last.</textarea>"));
    }
}

#[tokio::test]
async fn once_settled_the_purpose_is_version_two_and_its_page_shows_what_changed() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let mut claire = sam.other_browser();
        claire.sign_up("claire").await;
        claire.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await;
        let at = propose(&mut claire, "canal-friends", NEW_PURPOSE, "Towpath.").await;
        assert_eq!(settle(&sam).await, 1);
        assert_eq!(settle(&sam).await, 0, "settling again does nothing");

        let page = claire.get("/groups/canal-friends/purpose").await.body;
        assert!(page.contains("Version 2 ·"), "{page}");
        assert!(page.contains(NEW_PURPOSE));
        assert!(page.contains("href=\"/groups/canal-friends/purpose/versions/1\">Version 1</a>"));
        assert!(page.contains("href=\"/groups/canal-friends/purpose/versions/2\">Version 2</a> <span class=\"meta\">(current)</span>"), "{page}");
        assert!(page.contains("Shaped by <a href=\"/@sam\">sam</a> and <a href=\"/@claire\">claire</a>."), "{page}");
        let v2 = claire.get("/groups/canal-friends/purpose/versions/2").await;
        assert_eq!(v2.status, StatusCode::OK);
        assert!(v2.body.contains("From <a href=\"/groups/canal-friends/purpose/versions/1\">version 1</a> to version 2, word by word"), "{}", v2.body);
        assert!(v2.body.contains("[removed: </span>canal.<"), "{}", v2.body);
        assert!(v2.body.contains("[added: </span>canal and its towpath.<"));
        assert!(v2.body.contains("1 word removed, 4 words added."));
        assert!(v2.body.contains(&format!("href=\"{at}\">amendment")));
        let v1 = claire.get("/groups/canal-friends/purpose/versions/1").await.body;
        assert!(v1.contains("This is the first version"), "{v1}");
        assert!(v1.contains(PURPOSE));
        assert_eq!(claire.get("/groups/canal-friends/purpose/versions/3").await.status, StatusCode::NOT_FOUND);
        assert_eq!(claire.get("/groups/canal-friends/purpose/versions/two").await.status, StatusCode::NOT_FOUND);
        let a = claire.get(&at).await.body;
        assert!(a.contains("<strong>Adopted.</strong>"), "{a}");
        assert!(a.contains("version 2</a> of the purpose"));
        assert!(!a.contains("Withdraw this amendment</button>"));
        // The proposer hears of it.
        assert!(claire.get("/notifications").await.body.contains("was adopted: no objection stood when its window closed, so the purpose is now version 2."));
    }
}

#[tokio::test]
async fn an_objection_from_someone_who_left_is_shown_no_longer_counted_and_an_archive_supersedes() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let mut claire = sam.other_browser();
        claire.sign_up("claire").await;
        claire.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await;
        let at = propose(&mut sam, "canal-friends", NEW_PURPOSE, "Towpath.").await;
        claire.submit(&at, &format!("{at}/object"), &[("reason", "Cyclists go too fast.")]).await;
        assert!(sam.get(&at).await.body.contains("<strong>stands</strong>"));

        // Claire leaves: her objection is kept, and no longer counts.
        let r = claire.submit("/groups/canal-friends", "/groups/canal-friends/leave", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = sam.get(&at).await.body;
        assert!(page.contains("Cyclists go too fast.</p>"), "{page}");
        assert!(page.contains("<strong>no longer counted: claire is no longer a member</strong>"), "{page}");
        assert!(!page.contains("<strong>stands</strong>"), "{page}");
        assert!(!sam.get("/groups/canal-friends/purpose").await.body.contains("1 objection stands"));
        assert_eq!(settle(&sam).await, 1);
        let page = sam.get(&at).await.body;
        assert!(page.contains("<strong>Adopted.</strong>"), "{page}");
        // Settled, it says how things stood then (migration 0036).
        assert!(page.contains("<strong>not counted: claire was no longer a member when it was settled</strong>"), "{page}");

        // Archiving supersedes an open amendment at once (nobody may object
        // while it is archived), and its objector is told.
        let at = propose(&mut sam, "canal-friends", "We look after the canal, its towpath and its herons.", "Herons.").await;
        claire.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await;
        let r = claire.submit(&at, &format!("{at}/object"), &[("reason", "Herons eat the fish.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = sam.submit("/groups/canal-friends/archive", "/groups/canal-friends/archive", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = sam.get(&at).await.body;
        assert!(page.contains("<strong>Superseded.</strong>"), "{page}");
        assert!(page.contains("Group canal-friends was archived ("), "{page}");
        assert!(claire.get("/notifications").await.body.contains("was superseded: Group canal-friends was archived"));
        // Opened again, nothing runs on: there is nothing left to settle.
        let r = sam.submit("/groups/canal-friends", "/groups/canal-friends/unarchive", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(settle(&sam).await, 0);
        assert!(sam.get("/groups/canal-friends/purpose").await.body.contains(NEW_PURPOSE), "the purpose stayed version 2");
    }
}

/// A settled amendment's page says how each objection counted when it was
/// settled (migration 0036), not how things stand later: an objector who
/// left is marked as no longer a member then, and stays so marked after
/// coming back.
#[tokio::test]
async fn a_settled_amendment_keeps_saying_how_each_objection_counted() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let (mut claire, mut tara) = (sam.other_browser(), sam.other_browser());
        for (app, handle) in [(&mut claire, "claire"), (&mut tara, "tara")] {
            app.sign_up(handle).await;
            assert_eq!(app.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await.status, StatusCode::SEE_OTHER);
        }
        let at = propose(&mut claire, "canal-friends", NEW_PURPOSE, "Towpath.").await;
        assert_eq!(tara.submit(&at, &format!("{at}/object"), &[("reason", "Cyclists.")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(tara.submit("/groups/canal-friends", "/groups/canal-friends/leave", &[]).await.status, StatusCode::SEE_OTHER);
        assert!(sam.get(&at).await.body.contains("no longer counted: tara is no longer a member"));
        assert_eq!(settle(&sam).await, 1);
        let said = "<strong>not counted: tara was no longer a member when it was settled</strong>";
        assert!(sam.get(&at).await.body.contains(said), "{}", sam.get(&at).await.body);
        // She comes back: the settled page still says how it stood then.
        assert_eq!(tara.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await.status, StatusCode::SEE_OTHER);
        let page = sam.get(&at).await.body;
        assert!(page.contains(said) && !page.contains("<strong>stands</strong>"), "{page}");
    }
}

/// The group's page says an amendment is open and until when (members
/// learn of it there as well as in a notification); a host cannot remove
/// an objector, and is told why at the error, which every form's address
/// scrolls to (`#problem`); the host tools list 25 members at a time, with
/// a way back; the join-policy radios are described by their hint.
#[tokio::test]
async fn the_group_page_shows_open_amendments_and_a_host_cannot_remove_an_objector() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let mut claire = sam.other_browser();
        claire.sign_up("claire").await;
        claire.submit("/groups/canal-friends", "/groups/canal-friends/join", &[]).await;
        let page = claire.get("/groups/canal-friends").await.body;
        assert!(!page.contains("amendment to its purpose is open"), "{page}");
        let at = propose(&mut sam, "canal-friends", NEW_PURPOSE, "Towpath.").await;
        let a = meetinghouse_store::purposes::amendment(&sam.db, at.rsplit('/').next().unwrap().parse().unwrap()).await.unwrap().unwrap();
        let until = meetinghouse_core::clock::zone().datetime(a.closes_at);
        let page = claire.get("/groups/canal-friends").await.body;
        assert!(page.contains(&format!("1 amendment to its purpose is open until {until}.")), "{page}");
        // Claire, a member, was told it opened, and until when.
        let told = claire.get("/notifications").await.body;
        assert!(told.contains("sam (@sam) proposed an amendment to the purpose of Group canal-friends. It is adopted unless a member objects before"), "{told}");

        // Every form on the page scrolls to where its error is shown.
        assert!(page.contains("action=\"/groups/canal-friends/leave#problem\""), "{page}");
        let objection = claire.get(&at).await.body;
        assert!(objection.contains(&format!("action=\"{at}/object#problem\"")), "{objection}");
        let r = claire.submit(&at, &format!("{at}/object"), &[("reason", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let problem = r.body.split("<div id=\"problem\">").nth(1).expect("the error is where the form's address points");
        assert!(problem.trim_start().starts_with("<div class=\"error-summary\""), "{}", r.body);
        claire.submit(&at, &format!("{at}/object"), &[("reason", "Cyclists go too fast.")]).await;

        // Sam, host and proposer, cannot take Claire out while her objection stands.
        let claire_id = meetinghouse_store::people::by_handle(&sam.db, "claire").await.unwrap().unwrap().id.to_string();
        let r = sam.submit("/groups/canal-friends", "/groups/canal-friends/members/remove", &[("kind", "person"), ("member_id", &claire_id)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let said = r.body.replace("&#39;", "'").replace("&#x27;", "'");
        assert!(said.contains("claire objects to amendment"), "{said}");
        // The review groupsfix34's L5: with the amendment's address, as an organisation's refusal has it.
        assert!(said.contains(&format!("to the purpose of Group canal-friends (http://127.0.0.1:8080{at}), and their objection stands")), "{said}");
        assert!(said.contains("<div id=\"problem\">"), "{said}");
        assert!(claire.get("/groups/canal-friends").await.body.contains("Leave the group"), "she is still a member");
        assert_eq!(settle(&sam).await, 1);
        assert!(sam.get(&at).await.body.contains("<strong>Not adopted.</strong>"));

        // The host tools: 25 members at a time, with the way on and back.
        let t = meetinghouse_store::now();
        let gid = meetinghouse_store::groups::by_slug(&sam.db, "canal-friends").await.unwrap().unwrap().id;
        let people: Vec<String> =
            (0..130).map(|i| format!("('w{i:03}@example.org', 'w{i:03}@example.org', 'walker{i:03}', 'walker{i:03}', 'Walker {i:03}', '!', 'active', {t})")).collect();
        sam.db
            .execute_admin(&format!(
                "INSERT INTO people (email, email_lower, handle, handle_lower, display_name, password_hash, status, created_at) VALUES {}",
                people.join(", ")
            ))
            .await
            .unwrap();
        sam.db
            .execute_admin(&format!(
                "INSERT INTO group_members (group_id, member_kind, member_id, role, status, created_at) \
                 SELECT {gid}, 'person', id, 'member', 'active', {t} FROM people WHERE handle LIKE 'walker%'"
            ))
            .await
            .unwrap();
        let page = sam.get("/groups/canal-friends").await.body;
        let tools = page.split("id=\"manage-members\"").nth(1).unwrap();
        assert_eq!(tools.split("</ul>").next().unwrap().matches("<li>").count(), 25, "{tools}");
        assert!(tools.contains("<a href=\"/groups/canal-friends?manage=2#manage-members\" rel=\"next\">More members to manage</a>"), "{tools}");
        let second = sam.get("/groups/canal-friends?manage=2").await.body;
        let tools = second.split("id=\"manage-members\"").nth(1).unwrap();
        assert!(tools.contains("<a href=\"/groups/canal-friends#manage-members\" rel=\"prev\">Previous members to manage</a>"), "{tools}");
        // 132 members: the sixth page has the last 7, and steps back to the fifth.
        let last = sam.get("/groups/canal-friends?manage=6").await.body;
        let tools = last.split("id=\"manage-members\"").nth(1).unwrap();
        assert_eq!(tools.split("</ul>").next().unwrap().matches("<li>").count(), 7, "{tools}");
        assert!(tools.contains("<a href=\"/groups/canal-friends?manage=5#manage-members\" rel=\"prev\">"), "{tools}");
        assert!(!tools.contains("rel=\"next\""), "{tools}");
        // The member list, 100 a page, steps back as well as on (review L4).
        assert!(page.contains("<a href=\"/groups/canal-friends?page=2\" rel=\"next\">More members</a>"), "{page}");
        let members = claire.get("/groups/canal-friends?page=2").await.body;
        assert!(members.contains("<a href=\"/groups/canal-friends\" rel=\"prev\">Previous members</a>"), "{members}");
        assert!(page.len() < 60_000, "a host's page is {} bytes", page.len());

        // The radios of the group form are described by their hint.
        let form = sam.get("/groups/new").await.body;
        assert!(form.contains("id=\"jp-open\" name=\"join_policy\" value=\"open\" aria-describedby=\"join_policy-hint\""), "{form}");
    }
}

/// The review groupsfix34's L3: the purpose page listed only the latest
/// 50 settled amendments, and the older ones could not be reached from
/// it. They come 50 a page, newest first, with links on and back; a page
/// past the end is "no such page".
#[tokio::test]
async fn every_settled_amendment_can_be_reached_from_the_purpose_page() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_group(&mut sam, "canal-friends", "public", "open").await;
        let s = Settings::load(&sam.db).await.unwrap();
        let mail = Mailer { settings: &s, base_url: "https://town.example" };
        let actor = meetinghouse_core::accounts::login(&sam.db, "sam@example.org", "a long enough password").await.unwrap();
        let mut ids = Vec::new();
        for n in 0..(purposes::SETTLED_LISTED + 1) {
            let form = purposes::AmendForm { text: format!("We look after the canal, take {n}."), why: "Trying.".into() };
            let id = purposes::propose(&sam.db, mail, &actor, "canal-friends", &form).await.unwrap();
            purposes::withdraw(&sam.db, mail, &actor, "canal-friends", id).await.unwrap();
            ids.push(id);
        }
        let link = |id: i64| format!("href=\"/groups/canal-friends/amendments/{id}\">Amendment {id}</a>");
        let first = sam.get("/groups/canal-friends/purpose").await.body;
        assert!(first.contains(&link(ids[50])) && first.contains(&link(ids[1])) && !first.contains(&link(ids[0])), "{first}");
        assert!(first.contains("<a href=\"/groups/canal-friends/purpose?page=2#settled-title\" rel=\"next\">Older settled amendments</a>"), "{first}");
        let second = sam.get("/groups/canal-friends/purpose?page=2").await;
        assert_eq!(second.status, StatusCode::OK, "on {:?}", sam.db.backend());
        assert!(second.body.contains(&link(ids[0])) && !second.body.contains(&link(ids[1])), "{}", second.body);
        assert!(second.body.contains("<a href=\"/groups/canal-friends/purpose#settled-title\" rel=\"prev\">Newer settled amendments</a>"), "{}", second.body);
        assert!(!second.body.contains("rel=\"next\""), "{}", second.body);
        let past = sam.get("/groups/canal-friends/purpose?page=3").await;
        assert_eq!(past.status, StatusCode::NOT_FOUND);
        assert!(past.body.contains("There is no such page") && past.body.contains("href=\"/groups/canal-friends/purpose\""), "{}", past.body);
    }
}
