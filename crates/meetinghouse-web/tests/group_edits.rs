//! Hosts edit and archive a group, and admins edit an organisation, through
//! the real router on every configured backend: the links on their pages,
//! who may, forms that keep what was typed, the networks rule refused both
//! ways, every way into an archived group refused over HTTP, and a group
//! made members-only hidden from a signed-out visitor, its feed and the
//! sitemap.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps};

async fn group_id(app: &TestApp, slug: &str) -> i64 {
    meetinghouse_store::groups::by_slug(&app.db, slug).await.unwrap().unwrap().id
}

/// The page's text with the escapes askama writes for quotes and ampersands
/// turned back, so messages can be looked for as written.
fn text(body: &str) -> String {
    body.replace("&#39;", "'").replace("&#x27;", "'").replace("&#34;", "\"").replace("&quot;", "\"").replace("&amp;", "&")
}

fn archived(body: &str, name: &str) -> bool {
    let t = text(body);
    t.contains(&format!("{name} is archived (since ")) && t.contains("it takes nothing new")
}

#[tokio::test]
async fn a_host_edits_a_group_from_its_page_and_nobody_else_can() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Canal Friends", "canal", "public", "open").await;
        let page = claire.get("/groups/canal").await;
        assert!(page.body.contains(r#"<a href="/groups/canal/edit">Edit group</a>"#) && page.body.contains(r#"<a href="/groups/canal/archive">Archive</a>"#), "{}", page.body);

        // The form: the purpose shown, not edited, with the way to amend it.
        let form = claire.get("/groups/canal/edit").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains(r#"<a href="/groups/canal/purpose/amend">Propose a change to the purpose</a>"#), "{}", form.body);
        assert!(!form.body.contains(r#"name="purpose""#) && !form.body.contains(r#"name="slug""#));
        assert!(form.body.contains(r#"value="Canal Friends""#) && form.body.contains(r#"id="jp-open" name="join_policy" value="open" checked"#));

        // Saved: the address stays, the page says so, the log shows it.
        let r = claire.submit("/groups/canal/edit", "/groups/canal/edit", &[("name", "Friends of the Canal"), ("visibility", "public"), ("join_policy", "request")]).await;
        assert_eq!(r.location(), Some("/groups/canal"));
        let page = claire.follow(&r).await;
        assert!(page.body.contains("The group is saved.") && page.body.contains("<h1 id=\"group-name\">Friends of the Canal</h1>"), "{}", page.body);
        let form = claire.get("/groups/canal/edit").await;
        assert!(text(&form.body).contains("claire (@claire) changed the name from “Canal Friends” to “Friends of the Canal”."), "{}", form.body);
        assert!(text(&form.body).contains("claire (@claire) changed how people join from “anyone can join” to “people ask, a host approves”."));

        // A bad name is refused, keeping what was typed.
        let r = claire.submit("/groups/canal/edit", "/groups/canal/edit", &[("name", " "), ("visibility", "members"), ("join_policy", "invite")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("There is a problem") && r.body.contains(r##"<a href="#name">"##), "{}", r.body);
        assert!(r.body.contains(r#"id="vis-members" name="visibility" value="members" checked"#) && r.body.contains(r#"id="jp-invite" name="join_policy" value="invite" checked"#));
        assert_eq!(meetinghouse_store::groups::by_slug(&claire.db, "canal").await.unwrap().unwrap().name, "Friends of the Canal");

        // A member who does not host it: no link, and refused.
        let mut sam = claire.other_browser();
        sam.sign_up("sam").await;
        sam.submit("/groups/canal", "/groups/canal/join", &[]).await;
        assert!(!sam.get("/groups/canal").await.body.contains("/groups/canal/edit"));
        assert_eq!(sam.get("/groups/canal/edit").await.status, StatusCode::FORBIDDEN);
        let r = sam.submit("/groups/canal", "/groups/canal/edit", &[("name", "Sam's canal"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(sam.get("/groups/canal/archive").await.status, StatusCode::FORBIDDEN);
        assert_eq!(sam.submit("/groups/canal", "/groups/canal/archive", &[]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(meetinghouse_store::groups::by_slug(&claire.db, "canal").await.unwrap().unwrap().name, "Friends of the Canal");
        // A members-only group is not there for them; signed out, sign in first.
        claire.start_group("Quiet Room", "quiet-room", "members", "invite").await;
        assert_eq!(sam.get("/groups/quiet-room/edit").await.status, StatusCode::NOT_FOUND);
        let mut visitor = claire.other_browser();
        let r = visitor.get("/groups/canal/edit").await;
        assert!(r.location().is_some_and(|l| l.starts_with("/login")), "{:?}", r.location());
    }
}

#[tokio::test]
async fn the_edit_page_refuses_to_break_the_networks_rule_either_way() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Tiverton Together", "together", "public", "request").await;
        claire.start_group("Riverside Makers", "makers", "public", "request").await;
        let r = claire.submit("/groups/together", "/groups/together/members/group", &[("child", "makers")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let r = claire.submit("/groups/makers/edit", "/groups/makers/edit", &[("name", "Riverside Makers"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(&r.body).contains("Riverside Makers is a member of Tiverton Together, whose hosts choose their members."), "{}", r.body);
        assert!(r.body.contains(r#"id="jp-open" name="join_policy" value="open" checked"#), "what was chosen is kept");

        claire.start_group("Open Network", "open-network", "public", "open").await;
        claire.start_group("Walkers", "walkers", "public", "open").await;
        claire.submit("/groups/open-network", "/groups/open-network/members/group", &[("child", "walkers")]).await;
        let r = claire.submit("/groups/open-network/edit", "/groups/open-network/edit", &[("name", "Open Network"), ("visibility", "public"), ("join_policy", "invite")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(&r.body).contains("Anyone can join Walkers, which is a member of Open Network"), "{}", r.body);
        assert_eq!(meetinghouse_store::groups::by_slug(&claire.db, "open-network").await.unwrap().unwrap().join_policy, "open");
    }
}

#[tokio::test]
async fn making_a_members_only_group_public_asks_for_confirmation() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Quiet Room", "quiet-room", "members", "request").await;
        let fields = [("name", "Quiet Room"), ("visibility", "public"), ("join_policy", "request")];
        let r = claire.submit("/groups/quiet-room/edit", "/groups/quiet-room/edit", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(r##"<a href="#confirm_public">Confirm that you want to make Quiet Room public"##), "{}", r.body);
        // The warning names what its purpose's history shows: who objected, and why.
        let said = text(&r.body);
        assert!(said.contains("every amendment proposed to it, every objection with the name of the person who made it and their reason, and the conversation on each amendment"), "{said}");
        let mut confirmed = fields.to_vec();
        confirmed.push(("confirm_public", "on"));
        let r = claire.submit("/groups/quiet-room/edit", "/groups/quiet-room/edit", &confirmed).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let visitor = &mut claire.other_browser();
        assert_eq!(visitor.get("/groups/quiet-room").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_group_made_members_only_is_gone_for_a_signed_out_visitor_its_feed_and_the_sitemap() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Canal Friends", "canal", "public", "open").await;
        let id = group_id(&claire, "canal").await;
        let discussion = format!("/conversations/group/{id}");
        let r = claire.submit("/groups/canal", &format!("{discussion}/replies"), &[("body", "Clean-up on Saturday.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = claire.submit("/prompts/new", "/prompts", &[("speak_as", "self"), ("question", "What lives in the canal?"), ("group", "canal")]).await;
        let prompt = r.location().unwrap().to_string();

        let mut visitor = claire.other_browser();
        assert!(visitor.get("/groups/canal").await.body.contains("Clean-up on Saturday."));
        assert_eq!(visitor.get(&prompt).await.status, StatusCode::OK);
        assert_eq!(visitor.get("/groups/canal/stories.atom").await.status, StatusCode::OK);
        assert!(visitor.get("/sitemap.xml").await.body.contains("/groups/canal</loc>"));
        assert!(visitor.get("/groups").await.body.contains("/groups/canal\""));

        let r = claire.submit("/groups/canal/edit", "/groups/canal/edit", &[("name", "Canal Friends"), ("visibility", "members"), ("join_policy", "request")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Nothing members-only leaks, and nothing becomes an error page.
        assert_eq!(visitor.get("/groups/canal").await.status, StatusCode::NOT_FOUND);
        assert_eq!(visitor.get(&discussion).await.status, StatusCode::NOT_FOUND);
        assert_eq!(visitor.get(&prompt).await.status, StatusCode::NOT_FOUND);
        assert_eq!(visitor.get("/groups/canal/stories.atom").await.status, StatusCode::NOT_FOUND);
        let sitemap = visitor.get("/sitemap.xml").await;
        assert_eq!(sitemap.status, StatusCode::OK);
        assert!(!sitemap.body.contains("/groups/canal</loc>"), "{}", sitemap.body);
        assert!(!visitor.get("/groups").await.body.contains("Canal Friends"));
        assert!(!visitor.get("/").await.body.contains("Canal Friends"));
        // Its host still sees all of it.
        assert!(claire.get("/groups/canal").await.body.contains("Clean-up on Saturday."));
        assert_eq!(claire.get(&prompt).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn an_archived_group_refuses_every_way_in_and_opens_again() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Canal Friends", "canal", "public", "request").await;
        claire.start_group("Lock Keepers", "lock-keepers", "public", "request").await;
        let id = group_id(&claire, "canal").await;
        let mut sam = claire.other_browser();
        sam.sign_up("sam").await;
        let mut tara = claire.other_browser();
        tara.sign_up("tara").await;
        let mut eve = claire.other_browser();
        eve.sign_up("eve").await;
        eve.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        // Before: Sam a member, Tara waiting, Eve invited, a conversation open.
        sam.submit("/groups/canal", "/groups/canal/join", &[]).await;
        let sam_id = meetinghouse_store::people::by_handle(&claire.db, "sam").await.unwrap().unwrap().id;
        claire.submit("/groups/canal", "/groups/canal/approve", &[("kind", "person"), ("member_id", &sam_id.to_string())]).await;
        tara.submit("/groups/canal", "/groups/canal/join", &[]).await;
        claire.submit("/groups/canal", "/groups/canal/invite", &[("handle", "eve")]).await;
        let r = claire.submit("/common-ground/new", "/common-ground", &[("speak_as", "self"), ("topic", "Dredging"), ("seeds", "Dredge it every year"), ("group", "canal")]).await;
        let talk = r.location().unwrap().to_string();
        let statement = meetinghouse_store::common_ground::statements(&claire.db, talk.rsplit('/').next().unwrap().parse().unwrap()).await.unwrap()[0].id;

        // The confirmation step, then the archive.
        let confirm = claire.get("/groups/canal/archive").await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("<h1>Archive Canal Friends?</h1>") && confirm.body.contains(r#"<form method="post" action="/groups/canal/archive">"#), "{}", confirm.body);
        let r = claire.submit("/groups/canal/archive", "/groups/canal/archive", &[]).await;
        let page = claire.follow(&r).await;
        assert!(page.body.contains("The group is archived") && page.body.contains("This group is archived (since "), "{}", page.body);
        assert!(!page.body.contains(r#"action="/groups/canal/approve"#) && !page.body.contains(r#"action="/groups/canal/invite"#));
        assert!(page.body.contains(r#"action="/groups/canal/unarchive#problem""#));
        let listed = claire.get("/groups").await.body;
        let (heading, entry) = (listed.find("Archived groups").unwrap(), listed.find("/groups/canal\"").unwrap());
        assert!(heading < entry && listed.find("/groups/lock-keepers\"").unwrap() < heading, "{listed}");

        // Each way in, refused with the reason.
        let r = sam.submit("/groups/canal", &format!("/conversations/group/{id}/replies"), &[("body", "Anyone there?")]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "reply: {} {}", r.status, r.body);
        let mut mei = claire.other_browser();
        mei.sign_up("mei").await;
        let r = mei.submit("/groups/canal", "/groups/canal/join", &[]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "join: {}", r.body);
        let page = eve.get("/groups/canal").await;
        assert!(!page.body.contains("Accept the invitation") && page.body.contains("the invitation cannot be accepted"), "{}", page.body);
        let r = eve.submit("/groups/canal", "/groups/canal/join", &[]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "invitation: {}", r.body);
        let tara_id = meetinghouse_store::people::by_handle(&claire.db, "tara").await.unwrap().unwrap().id;
        let r = claire.submit("/groups/canal", "/groups/canal/approve", &[("kind", "person"), ("member_id", &tara_id.to_string())]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "approve: {}", r.body);
        let r = claire.submit("/groups/canal", "/groups/canal/invite", &[("handle", "mei")]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "invite: {}", r.body);
        let r = eve.submit("/groups/canal", "/groups/canal/members/org", &[("org", "tiverton-museum")]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "organisation: {}", r.body);
        let r = claire.submit("/groups/canal", "/groups/canal/members/group", &[("child", "lock-keepers")]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "member group: {}", r.body);
        let r = sam.submit("/stories/new", "/stories", &[("title", "Herons"), ("body", "At the lock."), ("licence", "cc0"), ("visibility", "group:canal")]).await;
        assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && archived(&r.body, "Canal Friends"), "story: {}", r.body);
        let r = claire.submit("/prompts/new", "/prompts", &[("speak_as", "self"), ("question", "What lives here?"), ("group", "canal")]).await;
        assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && archived(&r.body, "Canal Friends"), "prompt: {}", r.body);
        let r = claire.submit("/common-ground/new", "/common-ground", &[("speak_as", "self"), ("topic", "Towpaths"), ("group", "canal")]).await;
        assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && archived(&r.body, "Canal Friends"), "conversation: {}", r.body);
        let r = sam.submit("/groups/canal", &format!("{talk}/vote"), &[("statement", &statement.to_string()), ("vote", "agree")]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "vote: {}", r.body);
        // What it holds stays to read; Tara may still withdraw her request.
        assert_eq!(sam.get(&talk).await.status, StatusCode::OK);
        assert_eq!(tara.submit("/groups/canal", "/groups/canal/leave", &[]).await.status, StatusCode::SEE_OTHER);

        // Opened again, it takes them.
        let r = claire.submit("/groups/canal", "/groups/canal/unarchive", &[]).await;
        assert!(claire.follow(&r).await.body.contains("The group is open again."));
        assert_eq!(mei.submit("/groups/canal", "/groups/canal/join", &[]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(sam.submit("/groups/canal", &format!("/conversations/group/{id}/replies"), &[("body", "We are back.")]).await.status, StatusCode::SEE_OTHER);
        let log = text(&claire.get("/groups/canal/edit").await.body);
        assert!(log.contains("claire (@claire) opened it again.") && log.contains("claire (@claire) archived it."), "{log}");
    }
}

/// A public story answering an archived group's prompt is listed on the
/// prompt's page, so its conversation is closed with the group: the story's
/// page says why instead of showing the reply form, and a reply sent anyway
/// is refused with the same words.
#[tokio::test]
async fn a_public_story_answering_an_archived_groups_prompt_takes_no_replies() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Canal Friends", "canal", "public", "open").await;
        let r = claire.submit("/prompts/new", "/prompts", &[("speak_as", "self"), ("question", "What lives in the canal?"), ("group", "canal")]).await;
        let prompt = r.location().unwrap().to_string();
        let prompt_id = prompt.rsplit('/').next().unwrap().to_string();
        let mut sam = claire.other_browser();
        sam.sign_up("sam").await;
        let r = sam.submit("/stories/new", "/stories", &[("title", "Eels"), ("body", "Under the bridge."), ("licence", "cc0"), ("visibility", "public"), ("prompt_id", &prompt_id)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = r.location().unwrap().to_string();
        let story_id = story.rsplit('/').next().unwrap().to_string();
        assert!(claire.get(&prompt).await.body.contains(&format!("href=\"{story}\"")), "listed on the prompt's page");
        let mut eve = claire.other_browser();
        eve.sign_up("eve").await;
        let reply = format!("/conversations/story/{story_id}/replies");
        assert_eq!(eve.submit(&story, &reply, &[("body", "Eels? Really?")]).await.status, StatusCode::SEE_OTHER);

        claire.submit("/groups/canal", "/groups/canal/archive", &[]).await;
        let page = eve.get(&story).await;
        assert!(archived(&page.body, "Canal Friends") && !page.body.contains(&format!(r#"action="{reply}""#)), "{}", page.body);
        assert!(page.body.contains("Eels? Really?"), "its replies stay to read");
        let r = eve.submit(&story, &reply, &[("body", "Still there?")]).await;
        assert!(r.status == StatusCode::FORBIDDEN && archived(&r.body, "Canal Friends"), "reply: {} {}", r.status, r.body);

        claire.submit("/groups/canal", "/groups/canal/unarchive", &[]).await;
        assert_eq!(eve.submit(&story, &reply, &[("body", "Still there?")]).await.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn an_organisations_admins_edit_it_and_keep_its_name_its_own() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let mut eve = sam.other_browser();
        eve.sign_up("eve").await;
        eve.submit("/orgs/new", "/orgs", &[("name", "Riverside Arts"), ("sector", "arts")]).await;
        assert!(sam.get("/orgs/tiverton-museum").await.body.contains(r#"<a href="/orgs/tiverton-museum/edit">Edit organisation</a>"#));
        assert!(!eve.get("/orgs/tiverton-museum").await.body.contains("/orgs/tiverton-museum/edit"));
        assert_eq!(eve.get("/orgs/tiverton-museum/edit").await.status, StatusCode::FORBIDDEN);
        let r = eve.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/edit", &[("name", "Eve's Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Another organisation's name is refused, with creation's words, and what was typed is kept.
        let fields = [("name", "riverside  ARTS"), ("sector", "heritage"), ("town", "Tiverton"), ("website", "https://museum.example")];
        let r = sam.submit("/orgs/tiverton-museum/edit", "/orgs/tiverton-museum/edit", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("There is already an organisation called “Riverside Arts” (at /orgs/riverside-arts)."), "{}", r.body);
        assert!(r.body.contains(r#"value="riverside  ARTS""#) && r.body.contains(r#"value="https://museum.example""#) && r.body.contains(r#"value="Tiverton""#));

        let r = sam.submit("/orgs/tiverton-museum/edit", "/orgs/tiverton-museum/edit", &[("name", "Tiverton Museum of Mid Devon Life"), ("sector", "heritage"), ("town", "Tiverton")]).await;
        assert_eq!(r.location(), Some("/orgs/tiverton-museum"));
        let page = sam.follow(&r).await;
        assert!(page.body.contains("The organisation is saved.") && page.body.contains("Tiverton Museum of Mid Devon Life") && page.body.contains("· Tiverton"), "{}", page.body);
        let form = text(&sam.get("/orgs/tiverton-museum/edit").await.body);
        assert!(form.contains("sam (@sam) changed the name from “Tiverton Museum” to “Tiverton Museum of Mid Devon Life”.") && form.contains("sam (@sam) set the town to “Tiverton”."), "{form}");
    }
}
