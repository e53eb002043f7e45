//! Common-ground conversations through the real router on every configured
//! backend: opening one (who may, and bad input), voting one statement at a
//! time, adding statements under pre-moderation, taking part without an
//! account, "my votes", the debounced analysis and its report, the CSV
//! export, and closing.

use axum::http::StatusCode;
use meetinghouse_core::common_ground;
use meetinghouse_testkit::{TestApp, databases};

fn statement_on(body: &str) -> Option<String> {
    let at = body.find(r#"name="statement" value=""#)?;
    let rest = &body[at + r#"name="statement" value=""#.len()..];
    Some(rest[..rest.find('"')?].to_string())
}

fn voted(body: &str) -> String {
    let at = body.find("You have voted on ").expect("the count is shown");
    body[at..].split('.').next().unwrap().to_string()
}

#[tokio::test]
async fn open_vote_moderate_map_export_and_close() {
    for db in databases().await {
        let mut ann = TestApp::new(db.clone()).await;
        ann.sign_up("ann").await;
        assert_eq!(ann.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;

        // Only hosts open conversations: Bea, speaking as herself, may not.
        let fields = [("speak_as", "self"), ("topic", "The old library"), ("seeds", "Keep it open")];
        let r = bea.submit("/common-ground/new", "/common-ground", &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("opened by organisation staff"), "{}", r.body);

        // Bad input: no topic, a seed over the limit, a limit out of range — all said, input kept.
        let long = "x".repeat(101);
        let seeds = format!("Keep the reading room\n{long}");
        let bad = [("speak_as", "org:tiverton-museum"), ("topic", " "), ("seeds", &seeds), ("statement_max", "100"), ("moderation", "pre")];
        let r = ann.submit("/common-ground/new", "/common-ground", &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("The topic is needed") && r.body.contains("Seed statement 2 is 101 characters long"), "{}", r.body);
        assert!(r.body.contains("Keep the reading room"), "input kept");
        let r = ann.submit("/common-ground/new", "/common-ground", &[("speak_as", "org:tiverton-museum"), ("topic", "t"), ("statement_max", "5")]).await;
        assert!(r.body.contains("from 40 to 1000"));
        assert!(!ann.get("/common-ground").await.body.contains("/common-ground/1\""), "nothing was opened");

        let good = [
            ("speak_as", "org:tiverton-museum"),
            ("topic", "What should become of the old library?"),
            ("seeds", "Keep the reading room\nMake it a community hub\nTurn it into homes"),
            ("statement_max", "100"),
            ("moderation", "pre"),
            ("allow_anonymous", "on"),
        ];
        let r = ann.submit("/common-ground/new", "/common-ground", &good).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = r.location().unwrap().to_string();
        let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
        assert!(ann.get("/common-ground").await.body.contains("What should become of the old library?"));

        // Voting: one statement at a time, plain forms, a running count.
        let p = bea.get(&page).await;
        assert_eq!(voted(&p.body), "You have voted on 0 of 3 statements");
        let first = statement_on(&p.body).expect("a statement to vote on");
        let r = bea.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let p = bea.get(&page).await;
        assert_eq!(voted(&p.body), "You have voted on 1 of 3 statements");
        assert_ne!(statement_on(&p.body).unwrap(), first, "the next statement is one not yet voted on");
        // Bad votes: an unknown statement, a made-up choice, a statement of another conversation.
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", "999999"), ("vote", "agree")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "love")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", "x"), ("vote", "agree")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Voting again on the same statement replaces the vote (latest wins).
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "disagree")]).await.status, StatusCode::SEE_OTHER);
        let mine = bea.get(&format!("{page}/mine")).await;
        assert!(mine.body.contains("Your vote: <strong>Disagree</strong>"), "{}", mine.body);
        assert_eq!(mine.body.matches("Your vote:").count(), 1, "one vote per statement");
        // …and can be changed from "my votes".
        let r = bea.submit(&format!("{page}/mine"), &format!("{page}/vote"), &[("statement", &first), ("vote", "pass"), ("back", "mine")]).await;
        assert_eq!(r.location(), Some(format!("{page}/mine").as_str()));
        assert!(bea.get(&format!("{page}/mine")).await.body.contains("Your vote: <strong>Pass</strong>"));

        // Statements: over the limit and duplicates refused with the text kept; under pre-moderation a new one waits.
        let r = bea.submit(&page, &format!("{page}/statements"), &[("statement", &long)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("at most 100 characters long (yours has 101)") && r.body.contains(&format!("{long}</textarea>")));
        let r = bea.submit(&page, &format!("{page}/statements"), &[("statement", "Turn it into   homes")]).await;
        assert!(r.body.contains("already in the conversation"));
        let r = bea.submit(&page, &format!("{page}/statements"), &[("statement", "A repair café once a month")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(bea.get(&page).await.body.contains("1 of your statements is waiting for a host"));
        let host_view = ann.get(&page).await;
        assert!(host_view.body.contains("Waiting for you (1)") && host_view.body.contains("A repair café once a month"));
        let pending = common_ground_statements(&db, id).await.into_iter().find(|s| s.status == "pending").unwrap();
        // Waiting for a host, it is in nobody's CSV but the hosts'.
        for (who, shown) in [(&mut ann.other_browser(), false), (&mut bea, false), (&mut ann, true)] {
            assert_eq!(who.get(&format!("{page}/report.csv")).await.body.contains("A repair café once a month"), shown);
        }
        let moderate = format!("{page}/statements/{}/moderate", pending.id);
        assert_eq!(bea.submit(&page, &moderate, &[("decision", "accept")]).await.status, StatusCode::FORBIDDEN, "only hosts moderate");
        assert_eq!(ann.submit(&page, &moderate, &[("decision", "accept")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(voted(&bea.get(&page).await.body), "You have voted on 1 of 4 statements");
        // A rejected statement takes no more votes.
        let homes = common_ground_statements(&db, id).await.into_iter().find(|s| s.body == "Turn it into homes").unwrap();
        ann.submit(&page, &format!("{page}/statements/{}/moderate", homes.id), &[("decision", "reject")]).await;
        let r = bea.submit(&page, &format!("{page}/vote"), &[("statement", &homes.id.to_string()), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("took that statement out"));
        // …and cannot come back in by being added again; the message says why.
        let r = bea.submit(&page, &format!("{page}/statements"), &[("statement", "Turn it into homes")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("took that statement out of this conversation, so it cannot be added again"), "{}", r.body);

        // Without an account: this browser votes under its own token.
        let mut guest = ann.other_browser();
        let p = guest.get(&page).await;
        let s = statement_on(&p.body).expect("guests may vote here");
        let r = guest.submit(&page, &format!("{page}/vote"), &[("statement", &s), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // From now on this browser's pages show its own votes: the page cache never answers it.
        assert!(r.headers.get_all("set-cookie").iter().any(|v| v.to_str().unwrap().starts_with("mh_took_part=1")));
        assert_eq!(voted(&guest.get(&page).await.body), "You have voted on 1 of 3 statements");
        assert!(guest.get(&format!("{page}/mine")).await.body.contains("Your vote: <strong>Agree</strong>"));
        // A conversation for account holders refuses guests with a plain message.
        let r = ann.submit("/common-ground/new", "/common-ground", &[("speak_as", "org:tiverton-museum"), ("topic", "Members only"), ("seeds", "One")]).await;
        let closed_to_guests = r.location().unwrap().to_string();
        let mut other_guest = ann.other_browser();
        let p = other_guest.get(&closed_to_guests).await;
        assert!(p.body.contains("Sign in to take part"));
        let r = other_guest.submit("/login", &format!("{closed_to_guests}/vote"), &[("statement", "1"), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The analysis runs as a debounced job: once now, then not again within 2 s.
        assert!(ann.get(&format!("{page}/report")).await.body.contains("has not been drawn yet"));
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        let report = ann.get(&format!("{page}/report")).await;
        assert!(report.body.contains("<strong>3</strong> people taking part"), "{}", report.body);
        assert!(report.body.contains("on the map so far"), "few participants: said plainly");
        assert!(report.body.contains("role=\"img\"") && report.body.contains("<title id=\"map-title\">Opinion map</title>"));
        assert!(report.body.contains("Participation over time"));
        assert_eq!(ann.submit(&page, &format!("{page}/vote"), &[("statement", &s), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(common_ground::run_due(&db).await.unwrap(), 0, "debounced");

        // CSV export of the report.
        let csv = ann.get(&format!("{page}/report.csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
        let mut lines = csv.body.lines();
        assert!(lines.next().unwrap().starts_with("statement_id,statement,status,seed,agree,disagree,pass,bridging,division,consensus"));
        assert_eq!(lines.count(), 4, "every statement, accepted or not");
        assert!(csv.body.contains("A repair café once a month,accepted,0"));

        // Closing: hosts only; afterwards read-only, the report stays.
        assert_eq!(bea.submit(&page, &format!("{page}/close"), &[]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(ann.submit(&page, &format!("{page}/close"), &[]).await.status, StatusCode::SEE_OTHER);
        let p = bea.get(&page).await;
        assert!(p.body.contains("This conversation is closed") && statement_on(&p.body).is_none());
        let r = bea.submit(&format!("{page}/mine"), &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // The refusal links back to the page the form was on.
        assert!(r.body.contains(&format!(r#"<a href="{page}/mine">Go back to the page you were on</a>"#)), "{}", r.body);
        assert!(bea.get(&format!("{page}/mine")).await.body.contains("Your vote: <strong>Pass</strong>"), "nothing changed");
        assert_eq!(bea.get(&format!("{page}/report")).await.status, StatusCode::OK);
        // Closed means read-only for the hosts too: no statement is let in or taken out.
        let host_view = ann.get(&page).await;
        assert!(host_view.body.contains("statements stay as they were") && !host_view.body.contains("/moderate"), "{}", host_view.body);
        let kept = common_ground_statements(&db, id).await;
        let r = ann.submit(&page, &format!("{page}/statements/{}/moderate", kept[0].id), &[("decision", "reject")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("closed"), "{}", r.body);
        let after: Vec<String> = common_ground_statements(&db, id).await.into_iter().map(|s| s.status).collect();
        assert_eq!(after, kept.into_iter().map(|s| s.status).collect::<Vec<_>>(), "nothing changed");
        assert_eq!(bea.get("/common-ground/424242").await.status, StatusCode::NOT_FOUND);
        // An address with a word where the number belongs gets a page, not a line of framework text.
        let r = bea.get("/common-ground/abc").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("We could not read that address") && r.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
    }
}

/// A planted conversation (three camps of 40) is mapped into three groups,
/// with each camp's statements as its representative ones and a bridging
/// statement everyone agrees on.
#[tokio::test]
async fn planted_opinion_groups_are_found_and_reported() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let person = meetinghouse_store::people::by_handle(&db, "ann").await.unwrap().unwrap().id;
        let (participants, votes) = common_ground::seed_demo(&db, person, None, None, &[person]).await.unwrap();
        assert_eq!(participants, 257);
        assert!(votes > 3_000);
        let id = meetinghouse_store::common_ground::list(&db, 1, 0).await.unwrap()[0].id;
        assert!(ann.get("/common-ground").await.body.contains("What should become of the old library building?"));
        let report = ann.get(&format!("/common-ground/{id}/report")).await;
        assert!(report.body.contains("<strong>3</strong> groups of opinion"), "{}", report.body);
        for text in ["What sets Group A apart", "What sets Group C apart", "Bridging statements", "Where the groups differ most"] {
            assert!(report.body.contains(text), "{text}");
        }
        assert!(report.body.contains("The town should decide together"), "a consensus statement");
        // The engine's state is kept with the conversation for the next warm start.
        let state = meetinghouse_store::common_ground::engine_state(&db, id).await.unwrap().expect("state stored");
        let state: serde_json::Value = serde_json::from_str(&state).unwrap();
        assert_eq!(state["in_conv"].as_array().unwrap().len(), 257);
        assert!(state["smoother"]["smoothed_k"].as_u64().is_some(), "{}", state["smoother"]);
        // The next analysis continues from it.
        assert!(!state["pca_block"].as_array().unwrap().is_empty(), "{}", state["pca_block"]);
        common_ground::recompute(&db, id).await.unwrap();
        let again = meetinghouse_store::common_ground::engine_state(&db, id).await.unwrap().expect("state stored");
        let again: serde_json::Value = serde_json::from_str(&again).unwrap();
        assert_eq!(again["tick"].as_u64(), state["tick"].as_u64().map(|t| t + 1), "warm-started from the stored state");
        // Ann voted (as a planted participant), so her own position is marked.
        assert!(report.body.contains(">You</text>"));
    }
}

/// Under post-moderation statements appear at once, so hosts take them out
/// afterwards (and can put them back); the CSV keeps a taken-out statement's
/// votes; a conversation nobody has voted in reports nobody taking part.
#[tokio::test]
async fn post_moderation_hosts_take_statements_out_and_put_them_back() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let r = ann.submit("/common-ground/new", "/common-ground", &[("speak_as", "org:tiverton-museum"), ("topic", "Quiet topic")]).await;
        let quiet = r.location().unwrap().to_string();
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        let report = ann.get(&format!("{quiet}/report")).await;
        assert!(report.body.contains("<strong>0</strong> people taking part"), "opening is not taking part: {}", report.body);
        assert!(report.body.contains("<strong>0</strong> votes") && report.body.contains("No groups of opinion yet"));

        let fields = [("speak_as", "org:tiverton-museum"), ("topic", "The harbour wall"), ("seeds", "Rebuild it in stone\nLet the sea take it")];
        let page = ann.submit("/common-ground/new", "/common-ground", &fields).await.location().unwrap().to_string();
        let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        assert_eq!(bea.submit(&page, &format!("{page}/statements"), &[("statement", "Ask the fishermen first")]).await.status, StatusCode::SEE_OTHER);
        let sea = common_ground_statements(&db, id).await.into_iter().find(|s| s.body == "Let the sea take it").unwrap();
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &sea.id.to_string()), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);

        // Nothing waits for the host, but every statement in the conversation can be taken out.
        let host_view = ann.get(&page).await;
        assert!(host_view.body.contains("No statements are waiting for you"));
        assert!(host_view.body.contains("Take a statement out, or put one back (3 statements)"), "{}", host_view.body);
        assert_eq!(host_view.body.matches("value=\"reject\"").count(), 3);
        assert!(!bea.get(&page).await.body.contains("Take a statement out"), "only hosts see it");
        let moderate = format!("{page}/statements/{}/moderate", sea.id);
        assert_eq!(ann.submit(&page, &moderate, &[("decision", "reject")]).await.status, StatusCode::SEE_OTHER);
        let host_view = ann.get(&page).await;
        assert!(host_view.body.contains("Let the sea take it <span class=\"meta\">(taken out)</span>"), "{}", host_view.body);
        assert_eq!(host_view.body.matches("value=\"accept\"").count(), 1, "one to put back");
        assert_eq!(voted(&bea.get(&page).await.body), "You have voted on 0 of 2 statements");
        // The CSV still shows the votes the taken-out statement had.
        let csv = ann.get(&format!("{page}/report.csv")).await;
        assert!(csv.body.contains(&format!("{},Let the sea take it,rejected,1,1,0,0,", sea.id)), "{}", csv.body);
        // Everyone else gets the accepted statements only.
        let public = bea.get(&format!("{page}/report.csv")).await;
        assert!(!public.body.contains("Let the sea take it") && !public.body.contains("rejected"), "{}", public.body);
        assert!(public.body.contains("Ask the fishermen first,accepted"), "{}", public.body);
        // Put back, its vote counts again.
        assert_eq!(ann.submit(&page, &moderate, &[("decision", "accept")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(voted(&bea.get(&page).await.body), "You have voted on 1 of 3 statements");
        // A NUL (which PostgreSQL text cannot hold) is dropped, on both backends.
        assert_eq!(bea.submit(&page, &format!("{page}/statements"), &[("statement", "Mend the\u{0} nets\u{7}")]).await.status, StatusCode::SEE_OTHER);
        assert!(common_ground_statements(&db, id).await.iter().any(|s| s.body == "Mend the nets"));
    }
}

/// Ann, signed up, on the staff of Tiverton Museum (so she may open conversations).
async fn museum_host(db: meetinghouse_store::Db) -> TestApp {
    let mut ann = TestApp::new(db).await;
    ann.sign_up("ann").await;
    ann.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
    ann
}

async fn common_ground_statements(db: &meetinghouse_store::Db, id: i64) -> Vec<meetinghouse_store::common_ground::StatementRow> {
    meetinghouse_store::common_ground::statements(db, id).await.unwrap()
}

/// Adding statements is rate-limited per participant, with the text kept.
#[tokio::test]
async fn statements_are_rate_limited() {
    let db = meetinghouse_testkit::sqlite().await;
    let mut ann = museum_host(db).await;
    let r = ann.submit("/common-ground/new", "/common-ground", &[("speak_as", "org:tiverton-museum"), ("topic", "Parks")]).await;
    let page = r.location().unwrap().to_string();
    let mut bea = ann.other_browser();
    bea.sign_up("bea").await;
    for i in 0..10 {
        let r = bea.submit(&page, &format!("{page}/statements"), &[("statement", &format!("Idea number {i}"))]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{i}");
    }
    let r = bea.submit(&page, &format!("{page}/statements"), &[("statement", "One more idea")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("adding statements very quickly") && r.body.contains("One more idea</textarea>"));
}

/// A conversation (or a prompt) goes into a group only from someone in it,
/// and a conversation answers a prompt only from that prompt's host; a
/// members-only group stays unnamed to outsiders.
#[tokio::test]
async fn conversations_go_only_into_groups_and_prompts_of_their_opener() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let mut cal = ann.other_browser();
        cal.sign_up("cal").await;
        for (name, slug, visibility) in [("Secret circle", "secret-circle", "members"), ("Open circle", "open-circle", "public")] {
            let r = cal.submit("/groups/new", "/groups", &[("name", name), ("slug", slug), ("visibility", visibility), ("join_policy", "invite")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let r = cal.submit("/prompts/new", "/prompts", &[("speak_as", "self"), ("question", "What does the circle need?"), ("group", "open-circle")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let prompt = r.location().unwrap().rsplit('/').next().unwrap().to_string();

        let open = |speak_as: &str, group: &str, prompt: &str| {
            [("speak_as", speak_as.to_string()), ("topic", "Our circle".into()), ("group", group.into()), ("prompt", prompt.into())]
        };
        // Ann, museum staff, is in neither group and hosts no prompt.
        let staff = "org:tiverton-museum";
        for (fields, says) in [
            (open(staff, "secret-circle", ""), "There is no group at “secret-circle”"),
            (open(staff, "no-such-group", ""), "There is no group at “no-such-group”"),
            (open(staff, "open-circle", ""), "Only members of Open circle"),
            (open(staff, "", &prompt), "You host no prompt number"),
        ] {
            let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = ann.submit("/common-ground/new", "/common-ground", &form).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{says}: {}", r.body);
            assert!(r.body.contains(says), "{says}: {}", r.body);
        }
        assert!(meetinghouse_store::common_ground::list(&db, 10, 0).await.unwrap().is_empty(), "nothing was opened");
        // Prompts follow the same rule.
        for (group, says) in [("secret-circle", "There is no group at “secret-circle”"), ("open-circle", "Only members of Open circle")] {
            let fields = [("speak_as", staff), ("question", "What should the museum show next?"), ("group", group)];
            let r = ann.submit("/prompts/new", "/prompts", &fields).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert!(r.body.contains(says), "{says}: {}", r.body);
        }
        // Cal hosts both groups and the prompt.
        for fields in [open("self", "secret-circle", ""), open("self", "open-circle", &prompt)] {
            let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = cal.submit("/common-ground/new", "/common-ground", &form).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
    }
}
