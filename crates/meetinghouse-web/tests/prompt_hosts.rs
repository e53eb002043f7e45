//! Prompts through the real router, on every configured backend: staff who
//! opened a prompt and left the organisation lose its queue, its header
//! link and its byline; a group's prompt says whom it is for, and an answer
//! to it starts shared with the group (the form says plainly what
//! "Everyone" means); its hosts edit it and close it with plain,
//! CSRF-protected forms, and reopen it by its closing date (today's too,
//! after closing it early); a draft answer is not published as an answer
//! after the close, and the form says why and how to keep it. Nobody
//! outside a members-only group moderates its prompt; an archived group's
//! prompt says it takes nothing new; opening prompts is limited per day.
//! An instance admin's own prompt tells them of replies; a prompt with no
//! stories words that by whether it takes them; the question field has the
//! server's limit.

use axum::http::StatusCode;
use meetinghouse_core::Actor;
use meetinghouse_testkit::{TestApp, apps, queue_form_for};

/// The header's link to the queue.
const QUEUE_LINK: &str = "<a href=\"/moderation\">Moderation</a>";

/// A person as core sees them.
async fn actor(app: &TestApp, handle: &str) -> Actor {
    Actor::from_row(&meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap())
}

/// Starts an organisation from the form.
async fn start_org(app: &mut TestApp, name: &str, slug: &str) {
    let r = app.submit("/orgs/new", "/orgs", &[("name", name), ("slug", slug), ("sector", "heritage")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// The organisation's admin invites `handle` to its staff, who accepts.
async fn add_staff(admin: &mut TestApp, slug: &str, who: &mut TestApp, handle: &str) {
    let r = admin.submit(&format!("/orgs/{slug}"), &format!("/orgs/{slug}/invite"), &[("handle", handle), ("role", "staff")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(who.submit(&format!("/orgs/{slug}"), &format!("/orgs/{slug}/accept"), &[]).await.status, StatusCode::SEE_OTHER);
}

/// Opens a prompt from the form; returns its page's address.
async fn open_prompt(app: &mut TestApp, fields: &[(&str, &str)]) -> String {
    let r = app.submit("/prompts/new", "/prompts", fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

fn id_of(page: &str) -> i64 {
    page.rsplit('/').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn staff_who_left_lose_the_prompts_queue_and_byline() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let mut priya = sam.other_browser();
        priya.sign_up("priya").await;
        start_org(&mut sam, "Tiverton Museum", "tiverton-museum").await;
        add_staff(&mut sam, "tiverton-museum", &mut priya, "priya").await;
        let page = open_prompt(&mut priya, &[("speak_as", "org:tiverton-museum"), ("question", "What needs fixing in your home?")]).await;
        let prompt = id_of(&page);
        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        let shown = bea.get(&page).await.body;
        assert!(shown.contains("<a href=\"/@priya\">priya · Tiverton Museum</a>"), "{shown}");

        let r = bea.submit(&page, &format!("/conversations/prompt/{prompt}/replies"), &[("body", "Nothing, it is perfect.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let reply = r.location().unwrap().rsplit('/').next().unwrap().to_string();
        let mut ann = sam.other_browser();
        ann.sign_up("ann").await;
        let fields = [("target_kind", "reply"), ("target", reply.as_str()), ("category", "harassment")];
        assert_eq!(ann.submit(&format!("/report?kind=reply&target={reply}"), "/report", &fields).await.status, StatusCode::SEE_OTHER);
        assert!(priya.get("/me").await.body.contains(QUEUE_LINK));
        let queue = priya.get("/moderation").await;
        assert!(queue.body.contains("Nothing, it is perfect."), "{}", queue.body);
        let (act, seen) = queue_form_for(&queue.body, "Nothing, it is perfect.");

        // The museum takes Priya off its staff.
        let (sam_actor, priya_id) = (actor(&sam, "sam").await, actor(&priya, "priya").await.id);
        meetinghouse_core::orgs::remove_member(&sam.db, &sam_actor, "tiverton-museum", priya_id).await.unwrap();

        // No header link, no queue, no acting on its reports.
        assert!(!priya.get("/me").await.body.contains(QUEUE_LINK));
        assert_eq!(priya.get("/moderation").await.status, StatusCode::FORBIDDEN);
        let r = priya.submit("/me", &act, &[("action", "hide"), ("note", "Not nice."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let stored = meetinghouse_store::conversations::by_id(&sam.db, reply.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(stored.status, "visible");
        // Nor editing or closing it.
        assert_eq!(priya.get(&format!("{page}/edit")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(priya.submit("/me", &format!("{page}/close"), &[]).await.status, StatusCode::FORBIDDEN);

        // The prompt page names the museum alone.
        let shown = bea.get(&page).await.body;
        assert!(shown.contains("<a href=\"/orgs/tiverton-museum\">Tiverton Museum</a>") && !shown.contains("priya · Tiverton Museum"), "{shown}");
        // Its admin still has the report, and acts on it.
        let queue = sam.get("/moderation").await;
        let (act, seen) = queue_form_for(&queue.body, "Nothing, it is perfect.");
        assert_eq!(sam.submit("/moderation", &act, &[("action", "dismiss"), ("seen", &seen)]).await.status, StatusCode::SEE_OTHER);
    }
}

/// Whether the story form has this visibility choice checked.
fn checked(form: &str, value: &str) -> bool {
    form.contains(&format!("name=\"visibility\" value=\"{value}\" checked"))
}

#[tokio::test]
async fn a_group_prompt_says_whom_it_is_for_and_answers_start_with_the_group() {
    for mut kit in apps().await {
        kit.sign_up("kit").await;
        let fields = [("name", "Knitters"), ("slug", "knitters"), ("purpose", "Wool"), ("visibility", "members"), ("join_policy", "invite")];
        assert_eq!(kit.submit("/groups/new", "/groups", &fields).await.status, StatusCode::SEE_OTHER);
        let mut lu = kit.other_browser();
        lu.sign_up("lu").await;
        assert_eq!(kit.submit("/groups/knitters", "/groups/knitters/invite", &[("handle", "lu")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(lu.submit("/me", "/groups/knitters/join", &[]).await.status, StatusCode::SEE_OTHER);
        let page = open_prompt(&mut kit, &[("speak_as", "self"), ("question", "What was your first knit?"), ("group", "knitters")]).await;
        let prompt = id_of(&page);
        // A prompt for everyone, for comparison.
        start_org(&mut kit, "Wool Shop", "wool-shop").await;
        let open = open_prompt(&mut kit, &[("speak_as", "org:wool-shop"), ("question", "Where do you buy wool?")]).await;

        let list = lu.get("/prompts").await.body;
        assert!(list.contains("What was your first knit?") && list.contains("For members of Knitters"), "{list}");
        assert_eq!(list.matches("For members of").count(), 1, "only the group's prompt: {list}");
        let shown = lu.get(&page).await.body;
        assert!(shown.contains("For members of <a href=\"/groups/knitters\">Knitters</a>"), "{shown}");
        assert!(shown.contains("<a href=\"/@kit\">kit · Knitters</a>"), "{shown}");

        // The answer starts shared with the group's members; the form says what "Everyone" means.
        let form = lu.get(&format!("/stories/new?prompt={prompt}")).await.body;
        assert!(checked(&form, "group:knitters") && !checked(&form, "public"), "{form}");
        assert!(form.contains("aria-describedby=\"visibility-hint\"") && form.contains("This prompt is for members of Knitters."), "{form}");
        assert!(form.contains("If you choose “Everyone”, your answer is public: anyone can read it, including people outside Knitters"), "{form}");
        let other = lu.get(&format!("/stories/new?prompt={}", id_of(&open))).await.body;
        assert!(checked(&other, "public") && !other.contains("visibility-hint"), "{other}");

        // Shared with the group as offered; published publicly only when chosen.
        let pid = prompt.to_string();
        for (title, visibility, stored) in [("For the group", "group:knitters", "group"), ("For everyone", "public", "public")] {
            let fields = [("title", title), ("body", "A scarf."), ("licence", "cc-by-4.0"), ("visibility", visibility), ("prompt_id", pid.as_str())];
            let r = lu.upload(&format!("/stories/new?prompt={prompt}"), "/stories", &fields, &[]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            let id: i64 = r.location().unwrap().rsplit('/').next().unwrap().parse().unwrap();
            let row = meetinghouse_store::stories::by_id(&lu.db, id).await.unwrap().unwrap();
            assert_eq!((row.visibility.as_str(), row.prompt_id), (stored, Some(prompt)));
        }

        // Someone outside a public group is told the prompt is its members', with nothing to preselect.
        let fields = [("name", "Walkers"), ("slug", "walkers"), ("purpose", "Paths"), ("visibility", "public"), ("join_policy", "open")];
        assert_eq!(kit.submit("/groups/new", "/groups", &fields).await.status, StatusCode::SEE_OTHER);
        let walkers = id_of(&open_prompt(&mut kit, &[("speak_as", "self"), ("question", "Where do you walk?"), ("group", "walkers")]).await);
        let form = lu.get(&format!("/stories/new?prompt={walkers}")).await.body;
        assert!(checked(&form, "public") && form.contains("This prompt is for members of Walkers, and you are not one of them."), "{form}");
    }
}

#[tokio::test]
async fn hosts_edit_close_and_reopen_a_prompt_with_plain_forms() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let (mut priya, mut mel) = (sam.other_browser(), sam.other_browser());
        priya.sign_up("priya").await;
        mel.sign_up("mel").await;
        start_org(&mut sam, "Tiverton Museum", "tiverton-museum").await;
        add_staff(&mut sam, "tiverton-museum", &mut priya, "priya").await;
        add_staff(&mut sam, "tiverton-museum", &mut mel, "mel").await;
        let page = open_prompt(&mut priya, &[("speak_as", "org:tiverton-museum"), ("question", "What needs fixing?")]).await;
        let prompt = id_of(&page);
        let (edit, close) = (format!("{page}/edit"), format!("{page}/close"));

        // Its opener sees the way to manage it; other staff do not, and are refused.
        let shown = priya.get(&page).await.body;
        assert!(shown.contains(&format!("href=\"{edit}\"")) && shown.contains(&format!("action=\"{close}\"")), "{shown}");
        let shown = mel.get(&page).await.body;
        assert!(!shown.contains("Manage this prompt"), "{shown}");
        assert_eq!(mel.get(&edit).await.status, StatusCode::FORBIDDEN);
        let r = mel.submit("/me", &edit, &[("question", "Hijacked?"), ("closes", ""), ("closes_shown", "")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(mel.submit("/me", &close, &[]).await.status, StatusCode::FORBIDDEN);
        // A form without its CSRF token is refused.
        let r = priya.post_raw_from(&page, &close, &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let stored = || async { meetinghouse_store::prompts::by_id(&sam.db, prompt).await.unwrap().unwrap() };
        assert_eq!((stored().await.question.as_str(), stored().await.closes_at), ("What needs fixing?", None));

        // The edit form: labelled fields, input kept on an error.
        let form = priya.get(&edit).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("<label for=\"closes\">") && form.body.contains("value=\"What needs fixing?\""), "{}", form.body);
        let r = priya.submit(&edit, &edit, &[("question", "What needs mending?"), ("closes", "soon"), ("closes_shown", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Enter a date like 2026-03-31.") && r.body.contains("value=\"What needs mending?\""), "{}", r.body);
        assert_eq!(stored().await.question, "What needs fixing?", "nothing written");

        // An answer, then a new question: the page says it was edited.
        let zed = {
            let mut zed = sam.other_browser();
            zed.sign_up("zed").await;
            actor(&zed, "zed").await
        };
        let settings = meetinghouse_core::settings::Settings::load(&sam.db).await.unwrap();
        let story = meetinghouse_core::stories::StoryForm {
            title: "The roof".into(),
            body: "It leaks.".into(),
            licence: "cc0".into(),
            visibility: "public".into(),
            prompt_id: prompt.to_string(),
            ..Default::default()
        };
        meetinghouse_core::stories::create(&sam.db, &settings, &zed, &story).await.unwrap();
        assert!(!priya.get(&page).await.body.contains("question edited on"));
        let r = priya.submit(&edit, &edit, &[("question", "What needs mending in your home?"), ("description", "Big or small."), ("closes", ""), ("closes_shown", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let shown = priya.get(&page).await.body;
        assert!(shown.contains("What needs mending in your home?") && shown.contains("question edited on") && shown.contains("Big or small."), "{shown}");
        let found = priya.get("/search?q=mending&type=prompt").await.body;
        assert!(found.contains(&format!("/prompts/{prompt}")), "the index has the new question: {found}");

        // Closed now: no new answers, and the page says so; the close button is gone.
        let r = priya.submit(&page, &close, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let shown = priya.get(&page).await.body;
        assert!(shown.contains("This prompt closed on") && !shown.contains("Share your story") && !shown.contains(&format!("action=\"{close}\"")), "{shown}");
        assert_eq!(priya.get(&format!("/stories/new?prompt={prompt}")).await.status, StatusCode::FORBIDDEN);
        assert!(priya.get("/prompts").await.body.contains("closed "));

        // Closed early today, the form says so and shows today: saving it as
        // it came reopens it until the end of today, and the page says so.
        let form = priya.get(&edit).await.body;
        assert!(form.contains("This prompt closed on") && form.contains("to open it again until the end of that day"), "{form}");
        let shown_date = closes_value(&form);
        assert!(!shown_date.is_empty());
        let r = priya.submit(&edit, &edit, &[("question", "What needs mending in your home?"), ("closes", &shown_date), ("closes_shown", &shown_date)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let shown = priya.get(&page).await.body;
        assert!(shown.contains("The prompt is saved and open again") && shown.contains("Share your story"), "{shown}");
        assert!(!priya.get(&edit).await.body.contains("This prompt closed on"), "open: nothing to say");
        // Closed again, emptying the closing date reopens it with no end.
        assert_eq!(priya.submit(&page, &close, &[]).await.status, StatusCode::SEE_OTHER);
        let shown_date = closes_value(&priya.get(&edit).await.body);
        let r = priya.submit(&edit, &edit, &[("question", "What needs mending in your home?"), ("closes", ""), ("closes_shown", &shown_date)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(priya.get(&page).await.body.contains("Share your story"));
        assert_eq!(stored().await.closes_at, None);
        // The museum's admin manages it too.
        assert_eq!(sam.submit(&page, &close, &[]).await.status, StatusCode::SEE_OTHER);
    }
}

/// The reviewer's case: a members-only group's prompt opened in an
/// organisation's voice. The organisation's admin, who is not in the group,
/// gets "not found" on its page, sees nothing of its reports in
/// `/moderation` and cannot act on them; a member's page of it offers no
/// feed or poster (both are for public prompts).
#[tokio::test]
async fn an_admin_outside_a_members_only_group_cannot_moderate_its_prompt() {
    for mut nadia in apps().await {
        nadia.sign_up("nadia").await;
        let mut kwame = nadia.other_browser();
        kwame.sign_up("kwame").await;
        start_org(&mut nadia, "Exe Valley Housing", "exe-valley-housing").await;
        add_staff(&mut nadia, "exe-valley-housing", &mut kwame, "kwame").await;
        let fields = [("name", "Residents' Voice"), ("slug", "residents-voice"), ("purpose", "Our homes"), ("visibility", "members"), ("join_policy", "invite")];
        assert_eq!(kwame.submit("/groups/new", "/groups", &fields).await.status, StatusCode::SEE_OTHER);
        let (mut oliver, mut stan) = (nadia.other_browser(), nadia.other_browser());
        for (who, handle) in [(&mut oliver, "oliver"), (&mut stan, "stan")] {
            who.sign_up(handle).await;
            let r = kwame.submit("/groups/residents-voice", "/groups/residents-voice/invite", &[("handle", handle)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            assert_eq!(who.submit("/me", "/groups/residents-voice/join", &[]).await.status, StatusCode::SEE_OTHER);
        }
        let page = open_prompt(
            &mut kwame,
            &[("speak_as", "org:exe-valley-housing"), ("group", "residents-voice"), ("question", "What should the landlord fix first?")],
        )
        .await;
        let prompt = id_of(&page);
        let private = "The damp in flat 4 makes my children ill.";
        let r = oliver.submit(&page, &format!("/conversations/prompt/{prompt}/replies"), &[("body", private)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let reply = r.location().unwrap().rsplit('/').next().unwrap().to_string();
        let fields = [("target_kind", "reply"), ("target", reply.as_str()), ("category", "harassment")];
        assert_eq!(stan.submit(&format!("/report?kind=reply&target={reply}"), "/report", &fields).await.status, StatusCode::SEE_OTHER);

        // Nadia: not found, nothing in her queue, no acting on it.
        assert_eq!(nadia.get(&page).await.status, StatusCode::NOT_FOUND);
        let queue = nadia.get("/moderation").await;
        assert!(!queue.body.contains(private) && !queue.body.contains("What should the landlord fix first?"), "{}", queue.body);
        let (act, seen) = queue_form_for(&kwame.get("/moderation").await.body, private);
        let r = nadia.submit("/moderation", &act, &[("action", "hide"), ("note", "Not nice."), ("seen", &seen)]).await;
        assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}: {}", r.status, r.body);
        let stored = meetinghouse_store::conversations::by_id(&nadia.db, reply.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(stored.status, "visible");
        // Kwame, who opened it and belongs to the group, acts on it.
        assert_eq!(kwame.submit("/moderation", &act, &[("action", "dismiss"), ("seen", &seen)]).await.status, StatusCode::SEE_OTHER);

        // Its page offers no feed or poster, which are for public prompts only.
        let shown = oliver.get(&page).await.body;
        assert!(!shown.contains(&format!("{page}/stories.atom")) && !shown.contains(&format!("{page}/label")), "{shown}");
        assert_eq!(oliver.get(&format!("{page}/stories.atom")).await.status, StatusCode::NOT_FOUND);
    }
}

/// An archived group's prompt takes nothing new and says so, with no "Share
/// your story" and no way to edit it; closing it does not suggest reopening.
/// A public prompt offers its feed and its poster.
#[tokio::test]
async fn an_archived_groups_prompt_says_it_takes_nothing_new() {
    for mut kit in apps().await {
        kit.sign_up("kit").await;
        let fields = [("name", "Walkers"), ("slug", "walkers"), ("purpose", "Paths"), ("visibility", "public"), ("join_policy", "open")];
        assert_eq!(kit.submit("/groups/new", "/groups", &fields).await.status, StatusCode::SEE_OTHER);
        let page = open_prompt(&mut kit, &[("speak_as", "self"), ("question", "Where do you walk?"), ("group", "walkers")]).await;
        let shown = kit.get(&page).await.body;
        assert!(shown.contains("Share your story") && shown.contains(&format!("href=\"{page}/label\"")) && shown.contains(&format!("href=\"{page}/stories.atom\"")), "{shown}");
        assert_eq!(kit.submit("/groups/walkers/archive", "/groups/walkers/archive", &[]).await.status, StatusCode::SEE_OTHER);

        let shown = kit.get(&page).await.body;
        assert!(shown.contains("Walkers is archived") && !shown.contains("Share your story"), "{shown}");
        assert!(!shown.contains(&format!("href=\"{page}/edit\"")) && !shown.contains("You can reopen it"), "{shown}");
        assert!(kit.get("/prompts").await.body.contains("its group is archived"));
        assert_eq!(kit.get(&format!("{page}/edit")).await.status, StatusCode::FORBIDDEN);
        let r = kit.submit(&page, &format!("{page}/close"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let shown = kit.get(&page).await.body;
        assert!(shown.contains("The prompt is closed: it takes no new stories.") && !shown.contains("To reopen it"), "{shown}");
    }
}

/// An account opens at most `PROMPTS_PER_DAY` prompts a day: past it the
/// form comes back with 429, saying so, with what was typed kept.
#[tokio::test]
async fn opening_too_many_prompts_is_refused_in_plain_words() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_org(&mut sam, "Tiverton Museum", "tiverton-museum").await;
        for n in 0..meetinghouse_core::prompts::PROMPTS_PER_DAY.limit {
            open_prompt(&mut sam, &[("speak_as", "org:tiverton-museum"), ("question", &format!("Question {n}?"))]).await;
        }
        let r = sam.submit("/prompts/new", "/prompts", &[("speak_as", "org:tiverton-museum"), ("question", "Buy cheap things?")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(r.body.contains("You have opened many prompts in the last day.") && r.body.contains("value=\"Buy cheap things?\""), "{}", r.body);
        assert!(!sam.get("/prompts").await.body.contains("Buy cheap things?"));
    }
}

/// The closing date an edit form shows.
fn closes_value(form: &str) -> String {
    let at = form.find("id=\"closes\"").expect("a closing date field");
    form[at..].split("value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string()
}

#[tokio::test]
async fn a_draft_answer_published_after_the_close_is_refused_in_plain_words() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        start_org(&mut sam, "Tiverton Museum", "tiverton-museum").await;
        let page = open_prompt(&mut sam, &[("speak_as", "org:tiverton-museum"), ("question", "What needs fixing?")]).await;
        let prompt = id_of(&page).to_string();
        let mut zed = sam.other_browser();
        zed.sign_up("zed").await;
        let draft = [("title", "The roof"), ("body", "It leaks."), ("licence", "cc0"), ("visibility", "draft"), ("prompt_id", prompt.as_str())];
        let r = zed.upload(&format!("/stories/new?prompt={prompt}"), "/stories", &draft, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = r.location().unwrap().to_string();
        let edit = format!("{story}/edit");
        assert_eq!(sam.submit(&page, &format!("{page}/close"), &[]).await.status, StatusCode::SEE_OTHER);

        // Published as an answer: refused, saying why and what can be done, with the text kept.
        let public = [("title", "The roof"), ("body", "It leaks."), ("licence", "cc0"), ("visibility", "public"), ("prompt_id", prompt.as_str())];
        let r = zed.upload(&edit, &edit, &public, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("This prompt closed on") && r.body.contains("cannot be published as an answer to it"), "{}", r.body);
        assert!(r.body.contains("Share it without linking to this prompt") && r.body.contains("It leaks."), "{}", r.body);
        let row = meetinghouse_store::stories::by_id(&zed.db, id_of(&story)).await.unwrap().unwrap();
        assert_eq!(row.visibility, "draft");
        // Without the prompt, it is published.
        let mut without = public.to_vec();
        without.push(("drop_prompt", "on"));
        let r = zed.upload(&edit, &edit, &without, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let row = meetinghouse_store::stories::by_id(&zed.db, id_of(&story)).await.unwrap().unwrap();
        assert_eq!((row.visibility.as_str(), row.prompt_id), ("public", None));
    }
}

/// An instance admin's prompt in their own name: the form's question field
/// has the server's limit as its `maxlength`; a reply on it tells the
/// admin; with no stories, its page says so in words that fit whether it
/// takes stories now, later, or no more.
#[tokio::test]
async fn an_instance_admins_own_prompt_tells_them_of_replies_and_words_its_state() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        meetinghouse_store::people::set_admin(&sam.db, actor(&sam, "sam").await.id, true).await.unwrap();
        let mut umar = sam.other_browser();
        umar.sign_up("umar").await;
        let limit = format!("maxlength=\"{}\"", meetinghouse_core::prompts::QUESTION_MAX);
        let form = sam.get("/prompts/new").await.body;
        assert!(form.contains(&limit) && form.contains("<label for=\"question\">The question</label>"), "{form}");
        let question = "What should the town square hold?";
        let page = open_prompt(&mut sam, &[("speak_as", "self"), ("question", question)]).await;
        let form = sam.get(&format!("{page}/edit")).await.body;
        assert!(form.contains(&limit) && form.contains(&format!("value=\"{question}\"")), "{form}");
        // One character too many is refused, with what was typed kept.
        let long = "a".repeat(meetinghouse_core::prompts::QUESTION_MAX + 1);
        let r = sam.submit("/prompts/new", "/prompts", &[("speak_as", "self"), ("question", &long)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("at most 300 characters") && r.body.contains(&limit) && r.body.contains("aria-invalid=\"true\""), "{}", r.body);

        let shown = umar.get(&page).await.body;
        assert!(shown.contains("No stories yet. Yours could be the first."), "{shown}");
        let r = umar.submit(&page, &format!("/conversations/prompt/{}/replies", id_of(&page)), &[("body", "A fountain.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let told = sam.get("/notifications").await.body;
        assert!(told.contains(&format!("umar replied to “{question}”")), "{told}");

        // Closed: nothing suggests a story could still be the first.
        assert_eq!(sam.submit(&page, &format!("{page}/close"), &[]).await.status, StatusCode::SEE_OTHER);
        let shown = umar.get(&page).await.body;
        assert!(shown.contains("No stories were shared.") && !shown.contains("Yours could be the first"), "{shown}");
        // Not open yet: none yet.
        let later = (chrono::Utc::now() + chrono::Days::new(3)).format("%Y-%m-%d").to_string();
        let page = open_prompt(&mut sam, &[("speak_as", "self"), ("question", "What will you plant?"), ("opens", &later)]).await;
        let shown = umar.get(&page).await.body;
        assert!(shown.contains("<p>No stories yet.</p>") && !shown.contains("Yours could be the first"), "{shown}");
    }
}
