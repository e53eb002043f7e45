//! Common-ground conversations through the real router on every configured
//! backend: opening one (who may, and bad input), voting one statement at a
//! time, adding statements under pre-moderation, taking part without an
//! account, "my votes", the debounced analysis and its report, the CSV
//! export, and closing; and the races: closing against votes in flight,
//! identical statements at once, the per-person cap under parallel requests,
//! two analyses of one conversation, and who sees the engine's diagnostics.

use axum::http::StatusCode;
use meetinghouse_core::common_ground;
use meetinghouse_testkit::{TestApp, databases};

/// The report's CSV columns before the groups' (after a byte order mark).
const CSV_HEADER: &str = "statement_number,statement,status,seed,agree,disagree,pass,counted,bridging,division,majority";

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
        // Back to the statement on "my votes", with the change said.
        assert_eq!(r.location(), Some(format!("{page}/mine#s-{first}").as_str()));
        let mine = bea.get(&format!("{page}/mine")).await.body;
        assert!(mine.contains("Your vote: <strong>Pass</strong>") && mine.contains(&format!(r#"<li id="s-{first}">"#)), "{mine}");
        let body = common_ground_statements(&db, id).await.into_iter().find(|s| s.id.to_string() == first).unwrap().body;
        assert!(mine.contains(&format!("Your vote on “{body}” is now Pass.")), "the flash: {mine}");

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
        // …and cannot come back in by being added again; the message tells
        // someone other than its author nothing of what became of it.
        let r = bea.submit(&page, &format!("{page}/statements"), &[("statement", "Turn it into homes")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("That statement cannot be added: the same words were put to this conversation before."), "{}", r.body);

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
        // Bea and the guest: Ann opened it (the seed statements are hers) but has not voted yet.
        assert!(report.body.contains("<strong>2</strong> people taking part"), "{}", report.body);
        assert!(report.body.contains("on the map so far"), "few participants: said plainly");
        // A small map places everyone who voted; each is told where they are.
        let theirs = guest.get(&format!("{page}/report")).await.body;
        assert!(theirs.contains("Your own position is ringed and labelled “You”.</strong></p>"), "{theirs}");
        assert!(report.body.contains("role=\"img\"") && report.body.contains("<title id=\"map-title\">Opinion map</title>"));
        assert!(report.body.contains("Participation over time"));
        // No two groups of five or more yet (two people): nothing is said of how groups differ.
        assert!(!report.body.contains("Where the groups differ most") && !report.body.contains("divides the groups"), "{}", report.body);
        assert_eq!(ann.submit(&page, &format!("{page}/vote"), &[("statement", &s), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(common_ground::run_due(&db).await.unwrap(), 0, "debounced");

        // CSV export of the report.
        let csv = ann.get(&format!("{page}/report.csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
        let mut lines = csv.body.lines();
        // A byte order mark first, so a spreadsheet reads the text as UTF-8.
        assert_eq!(lines.next().unwrap(), format!("\u{feff}{CSV_HEADER}"));
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
        // Finding 3: no heading calls a majority "common ground", and no
        // statement is both in what most people said and where the groups
        // differ (the demo's "A mix of flats…" was both).
        assert!(!report.body.contains("<h2>Common ground</h2>"), "{}", report.body);
        let section = |from: &str, to: &str| {
            let start = report.body.find(from).unwrap_or_else(|| panic!("{from}: {}", report.body)) + from.len();
            report.body[start..].split(to).next().unwrap().to_string()
        };
        let bridging = section("<h2>What every group agrees with</h2>", "<h2>");
        let majority = section("<h2>What most people said</h2>", "<h2>Where the groups differ most</h2>");
        let divisive = section("<h2>Where the groups differ most</h2>", "<h2>Participation over time</h2>");
        let listed = |part: &str| part.matches("<li>").count();
        assert!(listed(&bridging) > 0 && listed(&majority) > 0 && listed(&divisive) > 0, "{}", report.body);
        for s in common_ground_statements(&db, id).await {
            let text = format!("<li>{} <span", s.body);
            assert!(!(majority.contains(&text) && divisive.contains(&text)), "{} is in both: {}", s.body, report.body);
        }
        assert!(!majority.contains("A mix of flats upstairs"), "a camp's statement is no majority view: {majority}");
        // Finding 5: the viewer is told their group in words; finding 6: "You" has a halo; finding 12: the timeline as a table.
        assert!(report.body.contains("<strong>You are in Group "), "{}", report.body);
        assert!(report.body.contains(r#"paint-order="stroke">You</text>"#));
        assert!(report.body.contains("Participation over time as a table") && report.body.contains(r#"<th scope="col">Day</th>"#), "{}", report.body);
        // Someone who has voted once is not on a map of 257 yet, and is told why.
        let mut newcomer = ann.other_browser();
        let page = format!("/common-ground/{id}");
        let s = statement_on(&newcomer.get(&page).await.body).expect("a statement to vote on");
        assert_eq!(newcomer.submit(&page, &format!("{page}/vote"), &[("statement", &s), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        common_ground::recompute(&db, id).await.unwrap();
        let theirs = newcomer.get(&format!("{page}/report")).await.body;
        assert!(theirs.contains("You are not on the map yet: people appear on it once they have voted on a few statements"), "{theirs}");
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
        // The demo's browsers have made-up tokens, which no browser can
        // present: a cookie holding one is replaced, so nobody takes over
        // their votes.
        let mut stranger = ann.other_browser();
        for i in 0..8 {
            stranger.set_cookie("mh_anon", &format!("demo-browser-{i:04}"));
            let mine = stranger.get(&format!("/common-ground/{id}/mine")).await;
            assert!(mine.body.contains("You have not voted in this conversation yet."), "demo browser {i}");
        }
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

        let fields = [("speak_as", "org:tiverton-museum"), ("topic", "The harbour wall"), ("seeds", "Rebuild it in stone\nLet the sea take it"), ("allow_anonymous", "on")];
        let page = ann.submit("/common-ground/new", "/common-ground", &fields).await.location().unwrap().to_string();
        let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        assert_eq!(bea.submit(&page, &format!("{page}/statements"), &[("statement", "Ask the fishermen first")]).await.status, StatusCode::SEE_OTHER);
        let sea = common_ground_statements(&db, id).await.into_iter().find(|s| s.body == "Let the sea take it").unwrap();
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &sea.id.to_string()), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        // Four more agree, from browsers without an account: five votes, so the CSV may count them.
        for _ in 0..4 {
            let mut guest = ann.other_browser();
            assert_eq!(guest.submit(&page, &format!("{page}/vote"), &[("statement", &sea.id.to_string()), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        }

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
        assert!(csv.body.contains(&format!("{},Let the sea take it,rejected,1,5,0,0,everyone,", sea.number)), "{}", csv.body);
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

/// Votes without an account are kept under a token only this site issued.
/// A browser carrying a value another site on the same domain planted votes
/// under a fresh token, so whoever planted it cannot read or change those
/// votes.
#[tokio::test]
async fn anonymous_votes_stay_with_tokens_the_site_issued() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let mine = format!("{page}/mine");
        let planted = "attackerchosen00001";
        let mut visitor = ann.other_browser();
        visitor.set_cookie("mh_anon", planted);
        let s = statement_on(&visitor.get(&page).await.body).expect("a statement to vote on");
        let r = visitor.submit(&page, &format!("{page}/vote"), &[("statement", &s), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(visitor.get(&mine).await.body.contains("Your vote: <strong>Agree</strong>"));
        let mut attacker = ann.other_browser();
        attacker.set_cookie("mh_anon", planted);
        assert!(attacker.get(&mine).await.body.contains("You have not voted in this conversation yet."), "the planter sees nothing");
    }
}

/// Taking part renews the anonymous cookie along with the took-part one,
/// for a year from then, so it never runs out first (which would make an
/// active participant a new one: no votes of their own, the same
/// statements again, their votes counted twice). Both ways of taking part:
/// a vote and a statement.
#[tokio::test]
async fn taking_part_renews_the_anonymous_cookie() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let mut guest = ann.other_browser();
        let s = statement_on(&guest.get(&page).await.body).expect("a statement to vote on");
        let token = guest.cookie("mh_anon").expect("the guest's token").to_string();
        let vote = guest.submit(&page, &format!("{page}/vote"), &[("statement", &s), ("vote", "agree")]).await;
        assert_eq!(vote.status, StatusCode::SEE_OTHER);
        let statement = guest.submit(&page, &format!("{page}/statements"), &[("statement", "The bandstand needs a ramp for wheelchairs")]).await;
        assert_eq!(statement.status, StatusCode::SEE_OTHER, "{}", statement.body);
        let year = format!("Max-Age={}", 365 * 24 * 3600);
        for r in [&vote, &statement] {
            let set: Vec<&str> = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
            assert!(set.iter().any(|c| c.starts_with(&format!("mh_anon={token};")) && c.contains(&year)), "{set:?}");
            assert!(set.iter().any(|c| c.starts_with("mh_took_part=1;") && c.contains(&year)), "{set:?}");
            assert_eq!(set.iter().filter(|c| c.starts_with("mh_anon=")).count(), 1, "{set:?}");
        }
        assert_eq!(guest.cookie("mh_anon"), Some(token.as_str()), "the same token, renewed");
    }
}

/// Two browsers voting make groups of one or two people, whose figures
/// would be those people's own votes: the report and the CSV name such a
/// group "a group of fewer than five", without its size, its shares or what
/// sets it apart — for the hosts too — and the page says why.
#[tokio::test]
async fn groups_of_fewer_than_five_are_named_without_their_figures() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park\nPut a café in it").await;
        let page = format!("/common-ground/{id}");
        let statements = common_ground_statements(&db, id).await;
        for votes in [["agree", "agree", "disagree"], ["disagree", "disagree", "agree"]] {
            let mut guest = ann.other_browser();
            for (s, v) in statements.iter().zip(votes) {
                let r = guest.submit(&page, &format!("{page}/vote"), &[("statement", &s.id.to_string()), ("vote", v)]).await;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            }
        }
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        let summary = common_ground::summary(&db, id).await.unwrap().unwrap();
        assert!(!summary.groups.is_empty(), "{summary:?}");
        for (who, is_host) in [(&mut ann.other_browser(), false), (&mut ann, true)] {
            let report = who.get(&format!("{page}/report")).await.body;
            assert!(!report.contains(": 1 person") && !report.contains(": 2 people"), "a small group's size: {report}");
            assert!(!report.contains("<th scope=\"col\">In Group"), "a small group's shares: {report}");
            if summary.groups.len() >= 2 {
                assert!(report.contains("Group A: a group of fewer than five"), "{report}");
                assert!(report.contains("would show how each of them voted"), "the page says why: {report}");
                assert!(!report.contains("with 1 people") && !report.contains("with 1 person"), "the map's description: {report}");
            }
            let csv = who.get(&format!("{page}/report.csv")).await.body;
            let header = csv.lines().next().unwrap();
            assert_eq!(header, format!("\u{feff}{CSV_HEADER}"), "host: {is_host}");
            assert!(csv.lines().skip(1).all(|l| l.split(',').count() == 11 || l.contains('"')), "{csv}");
            // Two people voted on each statement: no counts, for hosts too.
            assert!(csv.lines().skip(1).all(|l| l.contains(",,,fewer than 5 votes,")), "{csv}");
        }
    }
}

/// A browser without an account is a new participant each time it clears
/// its cookies, so one address brings at most 30 new participants into one
/// conversation an hour: the 31st is refused on the conversation's page,
/// with the limit's message, for a vote and for a statement alike. People
/// already taking part, people with an account and other conversations are
/// not held back.
#[tokio::test]
async fn one_address_brings_a_limited_number_of_new_anonymous_participants() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let first = common_ground_statements(&db, id).await[0].id.to_string();
        let mut regular = ann.other_browser();
        for i in 0..30 {
            let mut guest = if i == 0 { regular.other_browser() } else { ann.other_browser() };
            let r = guest.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "newcomer {i}: {}", r.body);
            if i == 0 {
                regular = guest;
            }
        }
        let mut stuffer = ann.other_browser();
        let r = stuffer.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("Very many new participants are joining this conversation from your connection"), "{}", r.body);
        assert!(r.body.contains("You have voted on 0 of 2 statements"), "the conversation's own page: {}", r.body);
        let r = stuffer.submit(&page, &format!("{page}/statements"), &[("statement", "Paint it red instead")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("Very many new participants") && r.body.contains("Paint it red instead</textarea>"), "{}", r.body);
        assert_eq!(meetinghouse_store::common_ground::votes(&db, id).await.unwrap().len(), 30, "nothing more was stored");
        // Someone already taking part votes on; so do people with an account.
        let r = regular.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "disagree")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        // The budget is per conversation.
        let other = open_for_everyone(&mut ann, "The harbour wall", "Rebuild it in stone").await;
        let other_page = format!("/common-ground/{other}");
        let statement = common_ground_statements(&db, other).await[0].id.to_string();
        let r = stuffer.submit(&other_page, &format!("{other_page}/vote"), &[("statement", &statement), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

/// Once a conversation closes, its pages have no form, so they could be
/// kept in the page cache: a page showing a participant's own votes never
/// is, even for a browser that has lost its took-part cookie, so nobody
/// else is served it.
#[tokio::test]
async fn a_participants_own_pages_are_never_served_to_someone_else() {
    for db in databases().await {
        let config = meetinghouse_web::WebConfig { page_cache_ttl: std::time::Duration::from_secs(60), ..meetinghouse_testkit::web_config() };
        let mut ann = TestApp::with_config(db.clone(), config).await;
        ann.sign_up("ann").await;
        ann.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let mut voter = ann.other_browser();
        let s = statement_on(&voter.get(&page).await.body).expect("a statement to vote on");
        assert_eq!(voter.submit(&page, &format!("{page}/vote"), &[("statement", &s), ("vote", "disagree")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(ann.submit(&page, &format!("{page}/close"), &[]).await.status, StatusCode::SEE_OTHER);
        // The same browser without its took-part cookie: only its anonymous token.
        let mut same = ann.other_browser();
        same.set_cookie("mh_anon", voter.cookie("mh_anon").unwrap());
        let mine = same.get(&format!("{page}/mine")).await;
        assert!(mine.body.contains("Your vote: <strong>Disagree</strong>"), "{}", mine.body);
        assert!(same.get(&page).await.body.contains("You have voted on 1 of 2 statements"));
        let mut stranger = ann.other_browser();
        let theirs = stranger.get(&format!("{page}/mine")).await;
        assert!(!theirs.body.contains("Your vote:") && theirs.body.contains("You have not voted in this conversation yet."), "{}", theirs.body);
        assert!(stranger.get(&page).await.body.contains("You have voted on 0 of 2 statements"));
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

// ---------------------------------------------------------------------------
// Races: many requests at once, through core as the handlers call it, with
// the conversation loaded first as a request loads it.

/// Opens a conversation as Ann (post-moderation, open to browsers without
/// an account) with the given seed statements; returns its id.
async fn open_for_everyone(ann: &mut TestApp, topic: &str, seeds: &str) -> i64 {
    let fields = [("speak_as", "org:tiverton-museum"), ("topic", topic), ("seeds", seeds), ("allow_anonymous", "on")];
    let r = ann.submit("/common-ground/new", "/common-ground", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().rsplit('/').next().unwrap().parse().unwrap()
}

/// A person signed up through `app`, as core sees them.
async fn actor(app: &TestApp, handle: &str) -> meetinghouse_core::Actor {
    meetinghouse_core::accounts::login(&app.db, &format!("{handle}@example.org"), "a long enough password").await.unwrap()
}

/// Holds a conversation as a change to it does (its row on PostgreSQL, the
/// write turn on SQLite) until the returned transaction is dropped: the gap
/// between a request's checks and its write, made as long as a test needs,
/// so requests sent meanwhile all pass their checks before any of them
/// writes.
async fn hold(db: &meetinghouse_store::Db, id: i64) -> meetinghouse_store::Tx {
    let mut tx = db.begin().await.unwrap();
    assert!(meetinghouse_store::common_ground::change_open(&mut tx, id).await.unwrap());
    tx
}

/// How long the tests [`hold`]: long enough for a few dozen requests to get
/// there. Should a slow machine get fewer there in time, two are enough for
/// the race to show.
const REACH_THE_HOLD: std::time::Duration = std::time::Duration::from_millis(300);

/// Whether a result is the refusal a closed conversation gives.
fn refused_as_closed(r: &Result<(), meetinghouse_core::CoreError>) -> bool {
    matches!(r, Err(meetinghouse_core::CoreError::Forbidden(m)) if m.contains("This conversation is closed"))
}

/// A vote, a statement or a host's decision sent from a page loaded while
/// the conversation was open is refused once it has closed: the check runs
/// where the change is written, not only when the page was loaded. And with
/// votes in flight while it closes, no vote is stored after the close, none
/// that started after the close succeeds, and every refusal is the plain one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_lands_after_a_conversation_closes() {
    use common_ground::Participant;
    use std::sync::Arc;
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let host = actor(&ann, "ann").await;
        let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();

        // Deterministic: the pages were loaded (open), then it closed, then the forms arrive.
        let id = open_for_everyone(&mut ann, "The old library", "Keep the reading room\nMake it a community hub").await;
        let host_page = common_ground::load(&db, id, Some(&host)).await.unwrap();
        let guest_page = common_ground::load(&db, id, None).await.unwrap();
        let before = common_ground_statements(&db, id).await;
        common_ground::close(&db, &host_page).await.unwrap();
        let guest = Participant::Browser("a-browser-whose-page-was-open");
        let r = common_ground::vote(&db, &settings, &guest_page, &guest, before[0].id, "agree").await;
        assert!(refused_as_closed(&r), "a vote after closing: {r:?}");
        let r = common_ground::add_statement(&db, &settings, &guest_page, &guest, "Open it on Sundays").await.map(|_| ());
        assert!(refused_as_closed(&r), "a statement after closing: {r:?}");
        let r = common_ground::moderate(&db, &host_page, before[0].id, false).await;
        assert!(matches!(&r, Err(meetinghouse_core::CoreError::Forbidden(m)) if m.contains("statements stay as they were")), "{r:?}");
        assert!(meetinghouse_store::common_ground::votes(&db, id).await.unwrap().is_empty(), "no vote stored");
        let after: Vec<(i64, String)> = common_ground_statements(&db, id).await.into_iter().map(|s| (s.id, s.status)).collect();
        assert_eq!(after, before.iter().map(|s| (s.id, s.status.clone())).collect::<Vec<_>>(), "statements unchanged");

        // Racing: 32 votes in flight while the host closes, then 32 more
        // sent from the same (open) page after the close has returned.
        let id = open_for_everyone(&mut ann, "The harbour wall", "Rebuild it in stone").await;
        let page = Arc::new(common_ground::load(&db, id, None).await.unwrap());
        let host_page = common_ground::load(&db, id, Some(&host)).await.unwrap();
        let statement = common_ground_statements(&db, id).await[0].id;
        let vote = |i: usize| {
            let (db, settings, page) = (db.clone(), settings.clone(), page.clone());
            tokio::spawn(async move {
                let token = format!("racing-browser-{i:04}");
                common_ground::vote(&db, &settings, &page, &Participant::Browser(&token), statement, "agree").await
            })
        };
        let in_flight: Vec<_> = (0..32).map(vote).collect();
        common_ground::close(&db, &host_page).await.unwrap();
        let late: Vec<_> = (32..64).map(vote).collect();
        let mut accepted = 0;
        for t in in_flight {
            let r = t.await.unwrap();
            assert!(r.is_ok() || refused_as_closed(&r), "{r:?}");
            accepted += usize::from(r.is_ok());
        }
        for t in late {
            let r = t.await.unwrap();
            assert!(refused_as_closed(&r), "a vote sent after the close returned was taken: {r:?}");
        }
        let votes = meetinghouse_store::common_ground::votes(&db, id).await.unwrap();
        assert_eq!(votes.len(), accepted, "every vote said to be taken is stored, and no other");
        let closed_at = meetinghouse_store::common_ground::by_id(&db, id).await.unwrap().unwrap().closed_at.unwrap();
        assert!(votes.iter().all(|v| v.updated_at <= closed_at), "a vote is timestamped after the close at {closed_at}: {votes:?}");
    }
}

/// A host takes a statement out while votes on it are on their way: every
/// vote got past the first look at the statement (still in) before the
/// host's decision was stored, and none is stored after it. The refusal is
/// the plain one the form shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_vote_lands_on_a_statement_taken_out_while_it_was_on_its_way() {
    use common_ground::Participant;
    use std::sync::Arc;
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
        let id = open_for_everyone(&mut ann, "The old library", "Keep the reading room\nMake it a community hub").await;
        let page = Arc::new(common_ground::load(&db, id, None).await.unwrap());
        let statement = common_ground_statements(&db, id).await[0].id;
        // The host's decision, written but not yet committed.
        let mut held = hold(&db, id).await;
        meetinghouse_store::common_ground::set_statement_status(&mut held, statement, "rejected").await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (db, settings, page) = (db.clone(), settings.clone(), page.clone());
                tokio::spawn(async move {
                    let token = format!("a-browser-on-its-way-{i:04}");
                    common_ground::vote(&db, &settings, &page, &Participant::Browser(&token), statement, "agree").await
                })
            })
            .collect();
        tokio::time::sleep(REACH_THE_HOLD).await;
        held.commit().await.unwrap();
        for t in tasks {
            match t.await.unwrap() {
                Err(meetinghouse_core::CoreError::Invalid(e)) => {
                    assert!(e.get("vote").is_some_and(|m| m.contains("took that statement out")), "{e}");
                }
                other => panic!("a vote on a statement taken out: {other:?}"),
            }
        }
        let votes = meetinghouse_store::common_ground::votes(&db, id).await.unwrap();
        assert!(votes.is_empty(), "votes stored on a statement taken out: {votes:?}");
    }
}

/// The same statement sent by many people at once, every request past the
/// check for a repeat before any of them writes, is stored once; everyone
/// else gets the plain "already here" message the form shows for a repeat.
/// The unique index holds it even for a writer that skips core's check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_statements_sent_at_once_are_stored_once() {
    use common_ground::Participant;
    use std::sync::Arc;
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
        let id = open_for_everyone(&mut ann, "The old library", "Keep the reading room").await;
        let page = Arc::new(common_ground::load(&db, id, None).await.unwrap());
        let held = hold(&db, id).await;
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let (db, settings, page) = (db.clone(), settings.clone(), page.clone());
                tokio::spawn(async move {
                    let token = format!("same-words-browser-{i:04}");
                    // Spelled differently, the same once normalised.
                    let text = if i % 2 == 0 { "Open it on Sundays" } else { "  Open it on\n Sundays " };
                    common_ground::add_statement(&db, &settings, &page, &Participant::Browser(&token), text).await
                })
            })
            .collect();
        tokio::time::sleep(REACH_THE_HOLD).await;
        drop(held);
        let mut added = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => added += 1,
                Err(meetinghouse_core::CoreError::Invalid(e)) => {
                    assert_eq!(e.get("statement"), Some("That statement is already in the conversation: vote on it instead."), "{e}");
                }
                Err(other) => panic!("not the plain message: {other:?}"),
            }
        }
        assert_eq!(added, 1);
        let stored = common_ground_statements(&db, id).await;
        assert_eq!(stored.iter().filter(|s| s.body == "Open it on Sundays").count(), 1, "{stored:?}");

        // Below core: the database refuses a second copy, named so core can say why.
        let mut tx = db.begin().await.unwrap();
        let r = meetinghouse_store::common_ground::insert_statement(&mut tx, id, stored[0].author, "Open it on Sundays", "accepted", false).await;
        assert!(matches!(r, Err(meetinghouse_store::StoreError::Conflict { what: "statement" })), "{r:?}");
    }
}

/// One person sending 40 statements at once, every request in flight before
/// any of them writes, gets 30 in (the cap), and a plain message for each of
/// the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_statement_cap_holds_for_parallel_requests() {
    use common_ground::Participant;
    use std::sync::Arc;
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let bea_actor = Arc::new(actor(&bea, "bea").await);
        let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
        let id = open_for_everyone(&mut ann, "The old library", "").await;
        let page = Arc::new(common_ground::load(&db, id, Some(&bea_actor)).await.unwrap());
        let held = hold(&db, id).await;
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let (db, settings, page, bea) = (db.clone(), settings.clone(), page.clone(), bea_actor.clone());
                tokio::spawn(async move {
                    common_ground::add_statement(&db, &settings, &page, &Participant::Person(&bea), &format!("Idea number {i}")).await
                })
            })
            .collect();
        tokio::time::sleep(REACH_THE_HOLD).await;
        drop(held);
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let cap = common_ground::caps::STATEMENTS_PER_PARTICIPANT;
        let stored = common_ground_statements(&db, id).await.len();
        assert!(stored <= cap, "{stored} statements stored, over the cap of {cap}");
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), stored, "every statement said to be in is stored");
        assert_eq!(stored, cap, "no request was refused for anything but the cap");
        for r in results {
            match r {
                Ok(_) => {}
                Err(meetinghouse_core::CoreError::Invalid(e)) => {
                    assert!(e.get("statement").is_some_and(|m| m.contains("the most one person can")), "{e}");
                }
                Err(other) => panic!("not the plain message: {other:?}"),
            }
        }
    }
}

/// Two app servers can both analyse a conversation when a run outlasts the
/// claim's lease. Whichever finishes last, the result of the later claim
/// (which read more votes) stays: an older result never replaces it.
#[tokio::test]
async fn a_stale_analysis_never_replaces_a_newer_one() {
    use meetinghouse_store::common_ground as store;
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The old library", "Keep the reading room\nMake it a community hub").await;
        let page = format!("/common-ground/{id}");
        let first = common_ground_statements(&db, id).await[0].id.to_string();
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);

        // Server 1 claims the conversation and reads one vote; its run is slow.
        let older = store::claim(&db, id, meetinghouse_store::now()).await.unwrap().expect("claimed");
        let slow = common_ground::analyse(&db, id, older).await.unwrap();
        assert_eq!(slow.summary.votes, 1);
        // A second vote; once the lease is over, server 2 claims it again and finishes first.
        let mut cal = ann.other_browser();
        cal.sign_up("cal").await;
        assert_eq!(cal.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "disagree")]).await.status, StatusCode::SEE_OTHER);
        let newer = store::claim(&db, id, meetinghouse_store::now()).await.unwrap().expect("claimed again");
        assert!(newer > older);
        let fast = common_ground::analyse(&db, id, newer).await.unwrap();
        assert!(common_ground::keep(&db, &fast).await.unwrap());
        let state = store::engine_state(&db, id).await.unwrap();

        // Server 1's result arrives last, and is dropped.
        assert!(!common_ground::keep(&db, &slow).await.unwrap(), "the older result was stored over the newer one");
        assert_eq!(common_ground::summary(&db, id).await.unwrap().unwrap().votes, 2);
        assert_eq!(store::engine_state(&db, id).await.unwrap(), state, "the engine state is the newer run's too");
        // An older run that finishes before any newer one has stored is kept until then.
        let (third, fourth) = (store::claim_now(&db, id).await.unwrap().unwrap(), store::claim_now(&db, id).await.unwrap().unwrap());
        let (third, fourth) = (common_ground::analyse(&db, id, third).await.unwrap(), common_ground::analyse(&db, id, fourth).await.unwrap());
        assert!(common_ground::keep(&db, &third).await.unwrap());
        assert!(common_ground::keep(&db, &fourth).await.unwrap());
    }
}

/// The engine's diagnostics ("no votes yet", "PCA stopped after N
/// iterations …") are technical notes for the hosts; the public report shows
/// only the plain notes for people.
#[tokio::test]
async fn engine_diagnostics_are_shown_to_hosts_only() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The old library", "Keep the reading room\nMake it a community hub").await;
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        let technical = common_ground::summary(&db, id).await.unwrap().unwrap().technical;
        assert!(technical.iter().any(|t| t == "no votes yet"), "{technical:?}");
        let report = format!("/common-ground/{id}/report");
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        for (who, host) in [(&mut ann.other_browser(), false), (&mut bea, false), (&mut ann, true)] {
            let body = who.get(&report).await.body;
            assert!(body.contains("Nobody is on the map yet"), "the plain note is for everyone: {body}");
            assert_eq!(body.contains("Technical notes from the analysis"), host, "{body}");
            for t in &technical {
                assert_eq!(body.contains(t.as_str()), host, "{t}: {body}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The review of the common-ground pages (/tmp/reviews/cg.md): each finding
// as a test that failed before its fix.

/// Finding 1. Nine people agree with every statement; two disagree, but
/// one of them agrees with the first. The engine names the two "a group of
/// fewer than five", without figures, yet everyone's counts less the big
/// group's gave them away ("10 agree, 1 disagree" less "9, 0, 9": the two
/// split one and one). Now a statement's figures count only the groups
/// shown where one to four people outside them voted, on the page and in
/// the CSV, for hosts too; the number of people on the map (less the big
/// group's size, the small group's size) is not given; a statement one
/// person voted on has no figures at all.
#[tokio::test]
async fn a_small_groups_votes_cannot_be_worked_out_from_the_totals() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let seeds: Vec<String> = (1..=8).map(|i| format!("Small test statement number {i}")).collect();
        let id = open_for_everyone(&mut ann, "A small town question", &seeds.join("\n")).await;
        let page = format!("/common-ground/{id}");
        let statements = common_ground_statements(&db, id).await;
        for person in 0..11 {
            let mut guest = ann.other_browser();
            for (i, s) in statements.iter().enumerate() {
                let agree = person < 9 || (person == 9 && i == 0);
                let r = guest.submit(&page, &format!("{page}/vote"), &[("statement", &s.id.to_string()), ("vote", if agree { "agree" } else { "disagree" })]).await;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            }
        }
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        let summary = common_ground::summary(&db, id).await.unwrap().unwrap();
        let mut sizes: Vec<usize> = summary.groups.iter().map(|g| g.size).collect();
        sizes.sort();
        assert_eq!(sizes, vec![2, 9], "the review's two groups: {summary:?}");
        let first = statements[0].number;
        for (who, is_host) in [(&mut ann.other_browser(), false), (&mut ann, true)] {
            let report = who.get(&format!("{page}/report")).await.body;
            assert!(report.contains("a group of fewer than five"), "{report}");
            for leak in ["11 votes", "82%", "91%", "18%", "<strong>11</strong> on the map", "11 people are placed"] {
                assert!(!report.contains(leak), "host {is_host}: {leak:?} gives the small group away: {report}");
            }
            assert!(report.contains("<strong>9</strong> on the map in groups of five or more"), "{report}");
            assert!(report.contains("100% agree · 0% disagree · 9 votes in the groups shown; a few others are not counted"), "{report}");
            assert!(report.contains("their votes are not counted in its figures"), "the page says why: {report}");
            // "Everyone else" is the small group alone: not shown, and said in words (it read "– agree").
            assert!(report.contains("<td>too few voted to show</td>") && !report.contains("– agree"), "{report}");
            let csv = who.get(&format!("{page}/report.csv")).await.body;
            let row = csv.lines().find(|l| l.starts_with(&format!("{first},"))).unwrap();
            assert!(row.contains(",9,0,0,groups shown only,"), "host {is_host}: {row}");
            assert!(row.ends_with(",9,0,9"), "the big group's own figures: {row}");
            assert!(!csv.contains(",10,1,0,") && !csv.contains(",9,2,0,"), "everyone's counts: {csv}");
        }

        // One person voting on one statement: no figures for it anywhere.
        let solo = open_for_everyone(&mut ann, "A quiet question", "+1+2\nKeep it open").await;
        let solo_page = format!("/common-ground/{solo}");
        let solo_first = common_ground_statements(&db, solo).await[0].clone();
        let s = solo_first.id.to_string();
        let mut guest = ann.other_browser();
        assert_eq!(guest.submit(&solo_page, &format!("{solo_page}/vote"), &[("statement", &s), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        let report = ann.get(&format!("{solo_page}/report")).await.body;
        assert!(!report.contains("100% agree") && !report.contains("1 votes") && !report.contains("1 vote<"), "{report}");
        assert!(report.contains("What most people said") && report.contains("None yet."), "{report}");
        let csv = ann.get(&format!("{solo_page}/report.csv")).await.body;
        assert!(csv.contains(&format!("{},'+1+2,accepted,1,,,,fewer than 5 votes,", solo_first.number)), "{csv}");
    }
}

/// Finding 2. A browser's refused requests (a statement that is not
/// there, one too long) store nothing and leave it a newcomer; they used
/// to spend its address's budget of new participants each time, so one
/// browser locked everyone new behind its address out for an hour.
#[tokio::test]
async fn a_refused_request_costs_the_address_nothing() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let mut pest = ann.other_browser();
        for _ in 0..31 {
            let r = pest.submit(&page, &format!("{page}/vote"), &[("statement", "999999"), ("vote", "agree")]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        }
        let long = "x".repeat(300);
        for _ in 0..5 {
            let r = pest.submit(&page, &format!("{page}/statements"), &[("statement", &long)]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        }
        let first = common_ground_statements(&db, id).await[0].id.to_string();
        let mut newcomer = ann.other_browser();
        let r = newcomer.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "a new browser behind the same address: {}", r.body);
        // A browser is counted once: its later votes are not newcomers'.
        for vote in ["disagree", "pass", "agree"].iter().cycle().take(40) {
            let r = newcomer.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", vote)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let mut another = ann.other_browser();
        assert_eq!(another.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
    }
}

/// Finding 4. Closing asks first, on a page that says what closing does;
/// the hosts (only) reopen a closed conversation, which keeps everything
/// and says since when it is open again; the hosts (only) edit the topic
/// and the description while it is open, checked as when it was opened.
#[tokio::test]
async fn closing_asks_first_and_hosts_reopen_and_edit() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let first = common_ground_statements(&db, id).await[0].id.to_string();
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);

        // The host panel links to the question, not to a one-click close.
        let host_view = ann.get(&page).await.body;
        assert!(host_view.contains(&format!(r#"<a href="{page}/close">Close the conversation…</a>"#)), "{host_view}");
        assert!(!host_view.contains(&format!(r#"action="{page}/close""#)), "{host_view}");
        let confirm = ann.get(&format!("{page}/close")).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("Close the conversation “The bandstand”") && confirm.body.contains("can reopen it later"), "{}", confirm.body);
        assert!(confirm.body.contains(&format!(r#"action="{page}/close""#)), "{}", confirm.body);
        assert_eq!(bea.get(&format!("{page}/close")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(ann.submit(&format!("{page}/close"), &format!("{page}/close"), &[]).await.status, StatusCode::SEE_OTHER);
        assert!(ann.get(&format!("{page}/close")).await.body.contains("closed already"));
        assert!(ann.get("/common-ground").await.body.contains("closed "), "the list says it is closed");

        // Reopening: hosts only; everything from before stays, and it takes votes again.
        assert_eq!(bea.submit(&page, &format!("{page}/reopen"), &[]).await.status, StatusCode::FORBIDDEN);
        let r = ann.submit(&page, &format!("{page}/reopen"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let p = bea.get(&page).await.body;
        assert!(p.contains("open again since") && p.contains("You have voted on 1 of 2 statements"), "{p}");
        assert!(ann.get("/common-ground").await.body.contains("open again since"), "the list says so too");
        assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "disagree")]).await.status, StatusCode::SEE_OTHER);
        assert!(ann.get(&page).await.body.contains(&format!(r#"<a href="{page}/close">"#)), "it can be closed again");

        // Editing the topic and the description: hosts only, checked as when opening.
        assert_eq!(bea.get(&format!("{page}/edit")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(bea.submit(&page, &format!("{page}/edit"), &[("topic", "Taken over")]).await.status, StatusCode::FORBIDDEN);
        let form = ann.get(&format!("{page}/edit")).await.body;
        assert!(form.contains(r#"value="The bandstand""#), "{form}");
        let r = ann.submit(&format!("{page}/edit"), &format!("{page}/edit"), &[("topic", " "), ("description", "Kept text")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("The topic is needed") && r.body.contains("Kept text</textarea>"), "{}", r.body);
        let long = "t".repeat(201);
        let r = ann.submit(&format!("{page}/edit"), &format!("{page}/edit"), &[("topic", &long)]).await;
        assert!(r.body.contains("at most 200 characters"), "{}", r.body);
        assert!(!ann.get(&page).await.body.contains("edited"), "nothing was saved");
        let r = ann.submit(&format!("{page}/edit"), &format!("{page}/edit"), &[("topic", "The bandstand on the green"), ("description", "**Where** it goes")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let p = bea.get(&page).await.body;
        assert!(p.contains("The bandstand on the green") && p.contains("<strong>Where</strong> it goes") && p.contains(" · edited "), "{p}");
        // Closed, its words stay as they were.
        assert_eq!(ann.submit(&page, &format!("{page}/close"), &[]).await.status, StatusCode::SEE_OTHER);
        let r = ann.submit(&format!("{page}/edit"), &format!("{page}/edit"), &[("topic", "Changed after closing")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Reopen it to change them"), "{}", r.body);
        assert!(bea.get(&page).await.body.contains("The bandstand on the green"));
    }
}

/// Finding 9. "Open a conversation" is offered only to someone who may
/// open one; everyone else is told who can, and the form's page says so
/// instead of a form that would end in "forbidden".
#[tokio::test]
async fn only_people_who_may_open_a_conversation_are_offered_the_form() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let button = r#"<a class="button" href="/common-ground/new">"#;
        assert!(ann.get("/common-ground").await.body.contains(button));
        for who in [&mut bea, &mut ann.other_browser()] {
            let list = who.get("/common-ground").await.body;
            assert!(!list.contains(button) && list.contains("Conversations are opened by organisation staff"), "{list}");
        }
        let form = bea.get("/common-ground/new").await.body;
        assert!(form.contains("You cannot open one yet") && !form.contains(r#"action="/common-ground""#), "{form}");
        // A group's host may.
        let r = bea.submit("/groups/new", "/groups", &[("name", "Bandstand friends"), ("slug", "bandstand-friends"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(bea.get("/common-ground").await.body.contains(button));
        assert!(bea.get("/common-ground/new").await.body.contains(r#"action="/common-ground""#));
    }
}

/// Finding 10. The list is filtered before it is cut into pages: a page
/// of members-only conversations no longer leaves an outsider an empty
/// first page with a "next" link.
#[tokio::test]
async fn the_list_leaves_out_members_only_conversations_before_paging() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let public = open_for_everyone(&mut ann, "The bandstand", "Repaint it green").await;
        let mut cal = ann.other_browser();
        cal.sign_up("cal").await;
        let r = cal.submit("/groups/new", "/groups", &[("name", "Secret circle"), ("slug", "secret-circle"), ("visibility", "members"), ("join_policy", "invite")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let cal_actor = actor(&cal, "cal").await;
        let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
        for i in 0..51 {
            let form = common_ground::ConversationForm { topic: format!("Circle business {i}"), group: "secret-circle".into(), ..Default::default() };
            common_ground::create(&db, &settings, &cal_actor, &form).await.unwrap();
        }
        let list = ann.get("/common-ground").await.body;
        assert!(list.contains(&format!(r#"<a href="/common-ground/{public}">The bandstand</a>"#)), "{list}");
        assert!(!list.contains("Circle business") && !list.contains("Next page"), "{list}");
        let list = cal.get("/common-ground").await.body;
        assert!(list.contains("Circle business 50") && list.contains("Next page") && !list.contains("The bandstand"), "a member's first page: {list}");
        assert!(cal.get("/common-ground?page=2").await.body.contains("The bandstand"));
    }
}

/// Finding 14. The hosts' lists of statements come 25 at a time.
#[tokio::test]
async fn the_hosts_lists_of_statements_come_a_page_at_a_time() {
    use common_ground::Participant;
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let fields = [("speak_as", "org:tiverton-museum"), ("topic", "Many ideas"), ("moderation", "pre"), ("allow_anonymous", "on")];
        let page = ann.submit("/common-ground/new", "/common-ground", &fields).await.location().unwrap().to_string();
        let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
        let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
        let c = common_ground::load(&db, id, None).await.unwrap();
        for i in 0..30 {
            let token = format!("an-idea-browser-{i:04}");
            common_ground::add_statement(&db, &settings, &c, &Participant::Browser(&token), &format!("Idea number {i}")).await.unwrap();
        }
        let first = ann.get(&page).await.body;
        assert!(first.contains("Waiting for you (30)"), "{first}");
        assert_eq!(first.matches(r#"value="accept""#).count(), 25, "{first}");
        assert!(first.contains(&format!(r#"<a href="{page}?waiting=2#host" rel="next">Next page</a>"#)), "{first}");
        let second = ann.get(&format!("{page}?waiting=2")).await.body;
        assert_eq!(second.matches(r#"value="accept""#).count(), 5);
        assert!(second.contains("Idea number 29") && !second.contains("Idea number 0<"), "{second}");
        // Past the last page: the last page.
        assert_eq!(ann.get(&format!("{page}?waiting=9")).await.body.matches(r#"value="accept""#).count(), 5);
    }
}

/// A vote is confirmed in words in the vote section, above the next
/// statement (and first in the title), with a way to change it; the forms'
/// addresses carry fragments, so an answer opens at its section; a
/// statement form whose token expired comes back with its text.
#[tokio::test]
async fn a_vote_is_confirmed_above_the_next_statement() {
    for db in databases().await {
        let mut ann = TestApp::new(db.clone()).await;
        ann.sign_up("ann").await;
        assert_eq!(ann.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        let id = open_for_everyone(&mut ann, "The old library", "Keep the reading room\nMake it a hub").await;
        let page = format!("/common-ground/{id}");
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let p = bea.get(&page).await.body;
        assert!(p.contains(&format!("action=\"{page}/vote#vote\"")) && p.contains(&format!("action=\"{page}/statements#add\"")), "{p}");
        let first = statement_on(&p).unwrap();
        let r = bea.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await;
        assert_eq!(r.location(), Some(format!("{page}?voted={first}#vote").as_str()));
        let next = bea.follow(&r).await.body;
        let number = common_ground_statements(&db, id).await.into_iter().find(|s| s.id.to_string() == first).unwrap().number;
        let said = format!("Your vote on statement {number} (“");
        let vote = next.find(r#"<h2 id="vote""#).unwrap();
        let confirmed = vote + next[vote..].find(&said).expect("confirmed");
        assert!(vote < confirmed && confirmed < next.find(r#"name="statement" value=""#).unwrap(), "in the vote section, above the next statement: {next}");
        assert!(next.contains("”) is counted: agree.") && next.contains(&format!("<a href=\"{page}/mine\">Change your votes</a>")), "{next}");
        assert!(next.contains(&format!("<title>{said}")), "{next}");
        assert!(!next.contains(r#"<div class="flash""#), "said once");

        let stale = [("csrf", "stale"), ("statement", "Open it on Sundays too")];
        let r = bea.post_raw_from(&page, &format!("{page}/statements"), &stale).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("Open it on Sundays too") && r.body.contains("Your form had expired") && r.body.contains("<title>Error: "), "{}", r.body);
        assert!(!ann.get(&page).await.body.contains("Open it on Sundays too"), "nothing added");
    }
}

// ---------------------------------------------------------------------------
// The review of the common-ground pages against the running binary
// (cgfix34): each finding as a test that failed before its fix.

/// The fields of one CSV line (a quoted field may hold commas and "").
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Statement `n` of a conversation (its number there, from 1).
async fn numbered(db: &meetinghouse_store::Db, id: i64, n: i64) -> meetinghouse_store::common_ground::StatementRow {
    common_ground_statements(db, id).await.into_iter().find(|s| s.number == n).unwrap_or_else(|| panic!("no statement {n} in {id}"))
}

/// H1. A statement closing took out (its author closed their account
/// choosing "remove") is shown to hosts as such, with no button, and
/// cannot be put back: the host panel offered "Put back", and core took
/// it, so in a conversation then closed it stayed in for good.
#[tokio::test]
async fn a_statement_closing_took_out_cannot_be_put_back() {
    use meetinghouse_core::closing::{self, CloseForm};
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The old library", "Keep the reading room").await;
        let page = format!("/common-ground/{id}");
        let mut stan = ann.other_browser();
        stan.sign_up("stan").await;
        assert_eq!(stan.submit(&page, &format!("{page}/statements"), &[("statement", "Stan's own words on the library")]).await.status, StatusCode::SEE_OTHER);
        let stans = common_ground_statements(&db, id).await.into_iter().find(|s| s.body.starts_with("Stan's")).unwrap();
        let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
        let mail = meetinghouse_core::notifications::Mailer { settings: &settings, base_url: "https://town.example" };
        let form = CloseForm { password: "a long enough password".into(), posts: "remove".into() };
        closing::close(&db, mail, &actor(&stan, "stan").await, &form).await.unwrap();
        assert_eq!(numbered(&db, id, stans.number).await.status, "rejected");

        let host_view = ann.get(&page).await.body;
        assert!(host_view.contains("Stan&#39;s own words on the library <span class=\"meta\">(taken out: its author closed their account)</span>"), "{host_view}");
        assert!(!host_view.contains(&format!("statements/{}/moderate", stans.id)), "no button for it: {host_view}");
        let r = ann.submit(&page, &format!("{page}/statements/{}/moderate", stans.id), &[("decision", "accept")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("its author closed their account"), "{}", r.body);
        assert_eq!(numbered(&db, id, stans.number).await.status, "rejected", "still out");
        // Closed afterwards, it stays out: the export has no text of it either.
        assert_eq!(ann.submit(&page, &format!("{page}/close"), &[]).await.status, StatusCode::SEE_OTHER);
        let out = meetinghouse_store::test_databases::temp_dir("mh_cg_h1").join("export");
        let options = common_ground::ExportOptions { force: false, include_moderated_text: true };
        common_ground::export_opendata(&db, id, &out, options).await.unwrap();
        assert!(!std::fs::read_to_string(out.join("comments.csv")).unwrap().contains("Stan's own words"));
    }
}

/// M1. Someone who voted without an account and then signs in on the same
/// browser takes those votes (and statements) with them, counted once:
/// their account showed none of them, and after signing out the browser's
/// came back, two participants for one person.
#[tokio::test]
async fn signing_in_takes_the_browsers_votes_along() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park\nPut a café in it").await;
        let page = format!("/common-ground/{id}");
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        bea.sign_out().await;
        for n in 1..=2 {
            let s = numbered(&db, id, n).await.id.to_string();
            assert_eq!(bea.submit(&page, &format!("{page}/vote"), &[("statement", &s), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        }
        assert_eq!(bea.submit(&page, &format!("{page}/statements"), &[("statement", "A bandstand concert every June")]).await.status, StatusCode::SEE_OTHER);
        let p = bea.get(&page).await.body;
        assert!(p.contains("Your votes are remembered by this browser.") && p.contains("Not you? Start afresh"), "{p}");

        let r = bea.submit("/login", "/login", &[("email", "bea@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let p = bea.get(&page).await.body;
        assert!(p.contains("are now your account’s: they count once"), "{p}");
        assert!(p.contains("You have voted on 2 of 4 statements") && !p.contains("remembered by this browser"), "{p}");
        let mine = bea.get(&format!("{page}/mine")).await.body;
        assert_eq!(mine.matches("Your vote:").count(), 2, "{mine}");
        assert!(mine.contains("A bandstand concert every June") && !mine.contains("are now your account’s"), "said once: {mine}");
        // One participant, the account's; the browser's votes are no longer the browser's.
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        assert_eq!(common_ground::summary(&db, id).await.unwrap().unwrap().participants, 1);
        bea.sign_out().await;
        assert!(bea.get(&page).await.body.contains("You have voted on 0 of 4 statements"), "nothing left to this browser");
        let bea_id = meetinghouse_store::people::by_handle(&db, "bea").await.unwrap().unwrap().id;
        let hers = meetinghouse_store::common_ground::participant(&db, id, &meetinghouse_store::common_ground::Who::Person(bea_id)).await.unwrap().unwrap();
        assert_eq!(meetinghouse_store::common_ground::votes_of(&db, hers).await.unwrap().len(), 2);
    }
}

/// M1, the other case: the account had taken part already (from another
/// browser), so the votes this browser gave without signing in stay apart,
/// anonymous, and the page says so plainly.
#[tokio::test]
async fn votes_given_apart_stay_apart_and_the_page_says_so() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let first = numbered(&db, id, 1).await.id.to_string();
        let mut phone = ann.other_browser();
        phone.sign_up("bea").await;
        assert_eq!(phone.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        let mut library = ann.other_browser();
        assert_eq!(library.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "disagree")]).await.status, StatusCode::SEE_OTHER);
        let r = library.submit("/login", "/login", &[("email", "bea@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        for path in [page.clone(), format!("{page}/mine")] {
            let p = library.get(&path).await.body;
            assert!(p.contains("this browser also voted here (1 vote)") && p.contains("those votes stay anonymous"), "{path}: {p}");
        }
        assert!(library.get(&format!("{page}/mine")).await.body.contains("Your vote: <strong>Agree</strong>"), "the account's own vote");
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        assert_eq!(common_ground::summary(&db, id).await.unwrap().unwrap().participants, 2, "two participants, as the page says");
    }
}

/// M1: "Not you? Start afresh" gives the browser a new token, so the next
/// person at a shared computer neither sees nor changes the votes before.
#[tokio::test]
async fn a_shared_browser_starts_afresh() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let mut kiosk = ann.other_browser();
        let first = numbered(&db, id, 1).await.id.to_string();
        assert_eq!(kiosk.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        let before = kiosk.cookie("mh_anon").unwrap().to_string();
        let mine = kiosk.get(&format!("{page}/mine")).await.body;
        assert!(mine.contains(&format!(r#"action="{page}/afresh""#)) && mine.contains("Your votes are remembered by this browser."), "{mine}");
        let r = kiosk.submit(&page, &format!("{page}/afresh"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_ne!(kiosk.cookie("mh_anon"), Some(before.as_str()), "a new token");
        assert!(kiosk.cookie("mh_took_part").is_none());
        let p = kiosk.follow(&r).await.body;
        assert!(p.contains("This browser starts afresh") && p.contains("You have voted on 0 of 2 statements"), "{p}");
        assert!(!p.contains("Not you? Start afresh"), "nothing to leave yet: {p}");
        assert!(kiosk.get(&format!("{page}/mine")).await.body.contains("You have not voted in this conversation yet."));
        assert_eq!(meetinghouse_store::common_ground::votes(&db, id).await.unwrap().len(), 1, "the vote before stays");
        // Signed in, there is nothing to start afresh from.
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        assert_eq!(bea.submit(&page, &format!("{page}/afresh"), &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// M2. A vote refused for a limit comes back with the statement it was
/// for, and says it was not counted: the page showed another statement.
#[tokio::test]
async fn a_vote_refused_for_a_limit_keeps_its_statement() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let seeds: Vec<String> = (1..=8).map(|i| format!("Bandstand idea number {i}")).collect();
        let id = open_for_everyone(&mut ann, "The bandstand", &seeds.join("\n")).await;
        let page = format!("/common-ground/{id}");
        let first = numbered(&db, id, 1).await.id.to_string();
        for _ in 0..30 {
            let mut guest = ann.other_browser();
            assert_eq!(guest.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        }
        let tried = numbered(&db, id, 7).await;
        let mut late = ann.other_browser();
        let r = late.submit(&page, &format!("{page}/vote"), &[("statement", &tried.id.to_string()), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("Your vote was not counted. Very many new participants"), "{}", r.body);
        assert_eq!(statement_on(&r.body), Some(tried.id.to_string()), "the statement tried: {}", r.body);
        assert!(r.body.contains("Statement 7</p>") && r.body.contains("Bandstand idea number 7"), "{}", r.body);

        // The limit on one person's votes (120 in 10 minutes), signed in: the same.
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let token = bea.get(&page).await.csrf();
        let tried_id = tried.id.to_string();
        let mut refused = None;
        for i in 0..140 {
            let vote = if i % 2 == 0 { "agree" } else { "disagree" };
            let r = bea.post_raw_from(&page, &format!("{page}/vote"), &[("csrf", &token), ("statement", &tried_id), ("vote", vote)]).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                refused = Some(r);
                break;
            }
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{i}");
        }
        let r = refused.expect("the limit on one person's votes");
        assert!(r.body.contains("Your vote was not counted. You are voting very quickly"), "{}", r.body);
        assert_eq!(statement_on(&r.body), Some(tried.id.to_string()), "{}", r.body);
    }
}

/// M2. A host sets a conversation up for an in-person event, where a room
/// joins from one Wi-Fi: more new people from one connection (the usual 30
/// an hour stopped a real room), with the sizes offered on the edit form.
/// Needs /tmp/patches/cgfix34-1.patch (the limits in `ratelimit.rs`).
#[tokio::test]
async fn an_in_person_event_lets_a_room_join_from_one_connection() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let edit = format!("{page}/edit");
        let form = ann.get(&edit).await.body;
        assert!(form.contains("An in-person event") && form.contains(r#"name="in_person" value="" checked"#), "{form}");
        assert!(form.contains("Yes: up to 500 new people an hour from one connection"), "{form}");
        let r = ann.submit(&edit, &edit, &[("topic", "The bandstand"), ("in_person", "77")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Choose one of the sizes offered"), "{}", r.body);
        let r = ann.submit(&edit, &edit, &[("topic", "The bandstand"), ("in_person", "100")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(ann.follow(&r).await.body.contains("the limit on new people from one connection is changed"));
        assert!(!ann.get(&page).await.body.contains(" · edited "), "the words did not change");
        assert!(ann.get(&edit).await.body.contains(r#"name="in_person" value="100" checked"#));
        let first = numbered(&db, id, 1).await.id.to_string();
        for i in 0..60 {
            let mut guest = ann.other_browser();
            let r = guest.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "newcomer {i} at the event: {}", r.body);
        }
    }
}

/// L1. "People taking part" and the timeline count the same people: one
/// who only added a statement is on both (the chart said one fewer); the
/// table has the line's "people taking part so far".
#[tokio::test]
async fn the_timeline_counts_who_takes_part_as_the_report_does() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green\nMove it to the park").await;
        let page = format!("/common-ground/{id}");
        let first = numbered(&db, id, 1).await.id.to_string();
        for _ in 0..2 {
            let mut guest = ann.other_browser();
            assert_eq!(guest.submit(&page, &format!("{page}/vote"), &[("statement", &first), ("vote", "agree")]).await.status, StatusCode::SEE_OTHER);
        }
        let mut writer = ann.other_browser();
        assert_eq!(writer.submit(&page, &format!("{page}/statements"), &[("statement", "Hold a brass band night")]).await.status, StatusCode::SEE_OTHER);
        assert!(common_ground::run_due(&db).await.unwrap() >= 1);
        let report = ann.get(&format!("{page}/report")).await.body;
        assert!(report.contains("<strong>3</strong> people taking part"), "{report}");
        assert!(report.contains("people taking part so far, 3 in all"), "the chart: {report}");
        assert!(report.contains(r#"<th scope="col">People taking part so far</th>"#) && report.contains("<td>2</td><td>3</td><td>3</td></tr>"), "{report}");
    }
}

/// L2 and L9. The CSV's `majority` says "groups split" where the groups
/// differ by 30 points or more, as the report (which names no majority
/// there); a statement a host takes out leaves the report at once, not at
/// the next redraw.
#[tokio::test]
async fn the_csv_and_the_report_agree_with_what_the_page_shows() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let person = meetinghouse_store::people::by_handle(&db, "ann").await.unwrap().unwrap().id;
        common_ground::seed_demo(&db, person, None, None, &[person]).await.unwrap();
        let id = meetinghouse_store::common_ground::list(&db, 1, 0).await.unwrap()[0].id;
        let csv = ann.get(&format!("/common-ground/{id}/report.csv")).await.body;
        // (division, majority) of each row.
        let rows: Vec<(f64, String)> = csv.lines().skip(1).map(csv_fields).map(|f| (f[9].parse().unwrap(), f[10].clone())).collect();
        assert!(rows.iter().any(|(d, _)| *d >= 0.3), "{csv}");
        assert!(rows.iter().filter(|(d, _)| *d >= 0.3).all(|(_, m)| m == "groups split"), "{rows:?}");
        assert!(rows.iter().any(|(_, m)| m == "agree"), "{csv}");

        let report = format!("/common-ground/{id}/report");
        let consensus = common_ground_statements(&db, id).await.into_iter().find(|s| s.body.starts_with("The town should decide together")).unwrap();
        assert!(ann.get(&report).await.body.contains(&consensus.body));
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::common_ground::set_statement_status(&mut tx, consensus.id, "rejected").await.unwrap();
        tx.commit().await.unwrap();
        let body = ann.get(&report).await.body;
        assert!(!body.contains(&consensus.body), "taken out, before the redraw: {body}");
    }
}

/// L3, L4 and L5. Sending the words of a statement that waits for a host,
/// or was taken out, tells nobody but its author what became of it; its
/// author, and someone pressing "Add it" twice, is told "You added this
/// already"; "my votes" lists one's own statements and what became of them.
#[tokio::test]
async fn repeats_tell_only_the_author_what_became_of_a_statement() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let fields = [("speak_as", "org:tiverton-museum"), ("topic", "The bandstand"), ("seeds", "Repaint it green"), ("moderation", "pre"), ("allow_anonymous", "on")];
        let page = ann.submit("/common-ground/new", "/common-ground", &fields).await.location().unwrap().to_string();
        let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
        let statements = format!("{page}/statements");
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut cal = ann.other_browser();
        for text in ["Hold concerts in June", "The council wastes money on it"] {
            assert_eq!(bea.submit(&page, &statements, &[("statement", text)]).await.status, StatusCode::SEE_OTHER);
        }
        // "Add it" pressed twice.
        let r = bea.submit(&page, &statements, &[("statement", "Hold concerts in June")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("You added this already: it is waiting for a host to check it."), "{}", r.body);
        let r = cal.submit(&page, &statements, &[("statement", "Hold concerts in June")]).await;
        assert!(r.body.contains("That statement cannot be added: the same words were put to this conversation before.") && !r.body.contains("waiting"), "{}", r.body);
        let wastes = common_ground_statements(&db, id).await.into_iter().find(|s| s.body.starts_with("The council")).unwrap();
        assert_eq!(ann.submit(&page, &format!("{page}/statements/{}/moderate", wastes.id), &[("decision", "reject")]).await.status, StatusCode::SEE_OTHER);
        let r = cal.submit(&page, &statements, &[("statement", "The council wastes money on it")]).await;
        assert!(r.body.contains("That statement cannot be added: the same words were put") && !r.body.contains("took it out"), "{}", r.body);
        let r = bea.submit(&page, &statements, &[("statement", "The council wastes money on it")]).await;
        assert!(r.body.contains("You added this already, and the hosts took it out of the conversation"), "{}", r.body);
        // In the conversation: said to everyone (they can see it).
        let r = cal.submit(&page, &statements, &[("statement", "Repaint it green")]).await;
        assert!(r.body.contains("That statement is already in the conversation: vote on it instead."), "{}", r.body);

        let mine = bea.get(&format!("{page}/mine")).await.body;
        let theirs = mine.split("<h2>Your statements</h2>").nth(1).unwrap_or_else(|| panic!("{mine}"));
        assert!(theirs.contains("Hold concerts in June</p><p class=\"meta\">waiting for a host to check it</p>"), "{theirs}");
        assert!(theirs.contains("The council wastes money on it</p><p class=\"meta\">taken out by the hosts"), "{theirs}");
    }
}

/// L6. Statements are numbered within their conversation: the first of
/// the second conversation is "Statement 1" on its card, in the vote's
/// message, on "my votes", in the hosts' lists and in the CSV (it was
/// "Statement 3", the row id); addresses and forms keep working.
#[tokio::test]
async fn statements_are_numbered_within_their_conversation() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        open_for_everyone(&mut ann, "The old library", "Keep the reading room\nMake it a hub").await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green").await;
        let page = format!("/common-ground/{id}");
        let first = numbered(&db, id, 1).await;
        assert_ne!(first.id, 1, "the row id is not the number");
        let mut guest = ann.other_browser();
        let p = guest.get(&page).await.body;
        assert!(p.contains(r#"<p class="meta" id="statement-label">Statement 1</p>"#), "{p}");
        assert_eq!(statement_on(&p), Some(first.id.to_string()), "the form carries the row id");
        let r = guest.submit(&page, &format!("{page}/vote"), &[("statement", &first.id.to_string()), ("vote", "agree")]).await;
        assert!(guest.follow(&r).await.body.contains("Your vote on statement 1 (“Repaint it green”) is counted"));
        let mine = guest.get(&format!("{page}/mine")).await.body;
        assert!(mine.contains("Statement 1</p>") && mine.contains(r#"<span class="visually-hidden">on statement 1</span>"#), "{mine}");
        let host = ann.get(&page).await.body;
        assert!(host.contains(r#"Take out <span class="visually-hidden">statement 1</span>"#), "{host}");
        let csv = ann.get(&format!("{page}/report.csv")).await.body;
        assert!(csv.lines().nth(1).unwrap().starts_with("1,Repaint it green,accepted,1,"), "{csv}");
        // A new one takes the next number.
        assert_eq!(guest.submit(&page, &format!("{page}/statements"), &[("statement", "Paint it red")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(numbered(&db, id, 2).await.body, "Paint it red");
    }
}

/// L7. The group field asks for the group's web address and takes it (it
/// refused a URL): one on this meeting house, or its path; one elsewhere
/// is refused in words.
#[tokio::test]
async fn a_groups_web_address_names_the_group() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        ann.start_group("Bandstand friends", "bandstand-friends", "public", "open").await;
        let base = ann.state.config.base_url.clone();
        for address in [format!("{base}/groups/bandstand-friends"), "/groups/bandstand-friends/purpose?x=1".into(), "bandstand-friends".into()] {
            let fields = [("speak_as", "self"), ("topic", "Concerts"), ("group", address.as_str())];
            let r = ann.submit("/common-ground/new", "/common-ground", &fields).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{address}: {}", r.body);
        }
        let r = ann.submit("/common-ground/new", "/common-ground", &[("speak_as", "self"), ("topic", "Concerts"), ("group", "https://elsewhere.example/groups/bandstand-friends")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("That web address is not on this meeting house"), "{}", r.body);
    }
}

/// The accessibility review: the close page's title has one question mark
/// (a topic is often a question); the edit page names the conversation.
#[tokio::test]
async fn the_close_and_edit_pages_name_the_conversation() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "What should the bandstand become?", "Repaint it green").await;
        let close = ann.get(&format!("/common-ground/{id}/close")).await.body;
        assert!(close.contains("Close the conversation: What should the bandstand become? · ") && !close.contains("?”?"), "{close}");
        let edit = ann.get(&format!("/common-ground/{id}/edit")).await.body;
        assert!(edit.contains("<title>Edit the conversation: What should the bandstand become? · "), "{edit}");
        assert!(edit.contains("<h1>Edit the conversation “What should the bandstand become?”</h1>"), "{edit}");
    }
}

/// L8. The message to a browser that sent a form without cookies names the
/// anonymous cookie that ties its votes to it for a year.
/// Needs /tmp/patches/cgfix34-2.patch (`forms.rs`).
#[tokio::test]
async fn the_cookie_message_names_the_votes_cookie() {
    for db in databases().await {
        let mut ann = museum_host(db.clone()).await;
        let id = open_for_everyone(&mut ann, "The bandstand", "Repaint it green").await;
        let mut cookieless = ann.other_browser();
        let r = cookieless.post_raw(&format!("/common-ground/{id}/vote"), &[("statement", "1"), ("vote", "agree")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("to remember for a year the votes this browser gives without an account"), "{}", r.body);
    }
}
