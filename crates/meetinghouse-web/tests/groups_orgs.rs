//! Groups' and organisations' members through the real router, on every
//! configured backend: hosts and organisation admins manage people with
//! forms (CSRF, kept pages on refusal), nobody is left without a host or an
//! admin, hosts hear of a request once, and members-only groups' names stay
//! inside them.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps};

/// A person's id, for the hidden fields of the member forms.
async fn id_of(app: &TestApp, handle: &str) -> String {
    meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap().id.to_string()
}

#[tokio::test]
async fn hosts_manage_members_from_the_group_page_and_the_last_host_stays() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Town Choir", "choir", "public", "request").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let mut cat = ann.other_browser();
        cat.sign_up("cat").await;
        for who in [&mut bob, &mut cat] {
            let r = who.submit("/groups/choir", "/groups/choir/join", &[]).await;
            assert!(who.follow(&r).await.body.contains("Your request is sent"));
        }
        let (ann_id, bob_id, cat_id) = (id_of(&ann, "ann").await, id_of(&ann, "bob").await, id_of(&ann, "cat").await);

        // The host view: every action is a form with a CSRF token; the only
        // host is not offered "Step down" or "Remove" for herself.
        let page = ann.get("/groups/choir").await;
        for action in ["/groups/choir/approve", "/groups/choir/decline", "/groups/choir/invite"] {
            assert!(page.body.contains(&format!(r#"<form method="post" action="{action}#problem""#)), "{action}: {}", page.body);
        }
        assert!(page.body.contains("(the only host)") && !page.body.contains("Step down"), "{}", page.body);
        assert!(page.body.contains(r#"Decline <span class="visually-hidden">cat</span>"#));

        // The last host cannot leave: the page comes back with the reason.
        let r = ann.submit("/groups/choir", "/groups/choir/leave", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("You are the last host of Town Choir: make someone else a host") && r.body.contains("<h1 id=\"group-name\">Town Choir</h1>"), "{}", r.body);

        // Decline Cat, approve Bob, make Bob a host.
        let r = ann.submit("/groups/choir", "/groups/choir/decline", &[("kind", "person"), ("member_id", &cat_id)]).await;
        assert!(ann.follow(&r).await.body.contains("Request declined."));
        assert!(!cat.get("/groups/choir").await.body.contains("Your request to join is waiting"));
        let r = ann.submit("/groups/choir", "/groups/choir/approve", &[("kind", "person"), ("member_id", &bob_id)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = ann.get("/groups/choir").await;
        for action in ["/groups/choir/members/role", "/groups/choir/members/remove"] {
            assert!(page.body.contains(&format!(r#"<form method="post" action="{action}#problem""#)), "{action}: {}", page.body);
        }
        assert!(page.body.contains(r#"Make host <span class="visually-hidden">(bob)</span>"#), "{}", page.body);
        let r = ann.submit("/groups/choir", "/groups/choir/members/role", &[("member_id", &bob_id), ("role", "host")]).await;
        let page = ann.follow(&r).await;
        assert!(page.body.contains("bob is now a host.") && page.body.contains("Step down to member"), "{}", page.body);

        // Someone who is not a host may not manage members.
        let r = cat.submit("/groups/choir", "/groups/choir/members/remove", &[("kind", "person"), ("member_id", &bob_id)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Only hosts of Town Choir can remove members."), "{}", r.body);

        // Now Ann may leave a public group: back to its page, with the message.
        let r = ann.submit("/groups/choir", "/groups/choir/leave", &[]).await;
        assert_eq!(r.location(), Some("/groups/choir"));
        assert!(ann.follow(&r).await.body.contains("You have left the group."));
        // Bob is the last host: stepping down is refused, and so is removing him.
        let r = bob.submit("/groups/choir", "/groups/choir/members/role", &[("member_id", &bob_id), ("role", "member")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("You are the last host of Town Choir"), "{}", r.body);
        // Ann rejoins; Bob removes her, then she is simply gone from the list.
        ann.submit("/groups/choir", "/groups/choir/join", &[]).await;
        bob.submit("/groups/choir", "/groups/choir/approve", &[("kind", "person"), ("member_id", &ann_id)]).await;
        let r = bob.submit("/groups/choir", "/groups/choir/members/remove", &[("kind", "person"), ("member_id", &ann_id)]).await;
        assert!(bob.follow(&r).await.body.contains("ann is no longer in the group."));
        assert!(!bob.get("/groups/choir").await.body.contains(r#"href="/@ann""#));
    }
}

#[tokio::test]
async fn asking_to_join_twice_tells_the_hosts_once() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Quiet Room", "quiet", "public", "request").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let r = bob.submit("/groups/quiet", "/groups/quiet/join", &[]).await;
        assert!(bob.follow(&r).await.body.contains("Your request is sent"));
        for _ in 0..3 {
            let r = bob.submit("/groups/quiet", "/groups/quiet/join", &[]).await;
            assert!(bob.follow(&r).await.body.contains("Your request was already sent"));
        }
        let ann_id = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap().id;
        assert_eq!(meetinghouse_store::notifications::unread_count(&ann.db, ann_id, 100).await.unwrap(), 1, "on {:?}", ann.db.backend());
        // Withdrawing and asking again, over and over, tells her nothing new either.
        for _ in 0..3 {
            assert_eq!(bob.submit("/groups/quiet", "/groups/quiet/leave", &[]).await.status, StatusCode::SEE_OTHER);
            let r = bob.submit("/groups/quiet", "/groups/quiet/join", &[]).await;
            assert!(bob.follow(&r).await.body.contains("Your request is sent"));
        }
        assert_eq!(meetinghouse_store::notifications::unread_count(&ann.db, ann_id, 100).await.unwrap(), 1, "withdrawn and asked again");
        // Once she has read it, a request a day later tells her again.
        assert!(ann.get("/notifications").await.body.contains("asked to join Quiet Room"));
        ann.db.execute_admin("UPDATE notifications SET read_at = created_at, created_at = created_at - 90000").await.unwrap();
        assert_eq!(bob.submit("/groups/quiet", "/groups/quiet/leave", &[]).await.status, StatusCode::SEE_OTHER);
        bob.submit("/groups/quiet", "/groups/quiet/join", &[]).await;
        assert_eq!(meetinghouse_store::notifications::unread_count(&ann.db, ann_id, 100).await.unwrap(), 1, "a day later it is news again");
    }
}

#[tokio::test]
async fn leaving_a_members_only_group_goes_to_the_list_of_groups() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Lace makers", "lace", "members", "invite").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let r = ann.submit("/groups/lace", "/groups/lace/invite", &[("handle", "bob")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = bob.submit("/me", "/groups/lace/join", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = bob.submit("/groups/lace", "/groups/lace/leave", &[]).await;
        assert_eq!(r.location(), Some("/groups"));
        let list = bob.follow(&r).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("You have left the group."), "{}", list.body);
        assert_eq!(bob.get("/groups/lace").await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn an_organisation_already_in_is_not_offered_again_and_stays_active() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "admin")]).await;
        let r = kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        sam.start_group("Tiverton Together", "town", "public", "request").await;
        assert!(kit.get("/groups/town").await.body.contains("Bring your organisation in"));
        let r = sam.submit("/groups/town", "/groups/town/members/org", &[("org", "tiverton-museum")]).await;
        assert!(sam.follow(&r).await.body.contains("The organisation is now a member of this group."));

        // Kit, an admin of it but not a host, is not offered the form again; posting it
        // anyway (an old tab) says so and leaves the membership active.
        let page = kit.get("/groups/town").await;
        assert!(!page.body.contains("Bring your organisation in"), "{}", page.body);
        let r = kit.submit("/groups/town", "/groups/town/members/org", &[("org", "tiverton-museum")]).await;
        assert!(kit.follow(&r).await.body.contains("That organisation is already a member of this group."));
        let page = sam.get("/groups/town").await;
        assert!(page.body.contains(r#"<a href="/orgs/tiverton-museum">Tiverton Museum</a></li>"#), "still active: {}", page.body);
        assert!(!page.body.contains("Waiting for approval"));
    }
}

#[tokio::test]
async fn members_only_group_names_stay_off_other_groups_pages() {
    for mut host in apps().await {
        host.sign_up("host").await;
        host.start_group("Tiverton Together", "town", "public", "request").await;
        host.start_group("Hidden Council", "hidden", "members", "request").await;
        host.start_group("Secret Circle", "circle", "members", "invite").await;
        let r = host.submit("/groups/hidden", "/groups/hidden/members/group", &[("child", "town")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = host.submit("/groups/town", "/groups/town/members/group", &[("child", "circle")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let mut visitor = host.other_browser();
        let mut outsider = host.other_browser();
        outsider.sign_up("outsider").await;
        for who in [&mut visitor, &mut outsider] {
            let page = who.get("/groups/town").await;
            assert_eq!(page.status, StatusCode::OK);
            for secret in ["Hidden Council", "Part of", "Secret Circle", "/groups/circle", "/groups/hidden"] {
                assert!(!page.body.contains(secret), "{secret}: {}", page.body);
            }
        }
        // The host, who belongs to both, sees both.
        let page = host.get("/groups/town").await;
        assert!(page.body.contains(r#"<a href="/groups/hidden">Hidden Council</a>"#) && page.body.contains(r#"<a href="/groups/circle">Secret Circle</a>"#));

        // Naming the members-only group as a child is answered as a made-up address.
        outsider.start_group("My Group", "mine", "public", "open").await;
        for slug in ["circle", "no-such-group"] {
            let r = outsider.submit("/groups/mine", "/groups/mine/members/group", &[("child", slug)]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{slug}");
            assert!(r.body.contains(&format!("There is no group at “{slug}”.")) && r.body.contains(&format!(r#"value="{slug}""#)), "{}", r.body);
            assert!(!r.body.contains("Secret Circle"));
        }
    }
}

#[tokio::test]
async fn organisation_admins_change_roles_and_remove_staff_but_keep_an_admin() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "staff")]).await;
        kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        let (sam_id, kit_id) = (id_of(&sam, "sam").await, id_of(&sam, "kit").await);

        // The admin's view: a labelled role select and a remove button per
        // person; the only admin's own row offers neither.
        let page = sam.get("/orgs/tiverton-museum").await;
        assert!(page.body.contains(&format!(r#"<label for="role-{kit_id}" class="visually-hidden">Role of kit</label>"#)), "{}", page.body);
        assert!(page.body.contains(r#"action="/orgs/tiverton-museum/members/remove""#) && page.body.contains("(the only admin)"));
        assert!(!page.body.contains(&format!(r#"id="role-{sam_id}""#)));
        // Staff see neither.
        let page = kit.get("/orgs/tiverton-museum").await;
        assert!(!page.body.contains("/members/role") && !page.body.contains("/members/remove"));
        let r = kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/remove", &[("person_id", &sam_id)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Only admins of Tiverton Museum can do that."));

        // The last admin cannot step down (a crafted or stale form is refused with the reason).
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/role", &[("person_id", &sam_id), ("role", "staff")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("You are the last admin of Tiverton Museum: make someone else an admin first."), "{}", r.body);
        // A role that does not exist is refused too.
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/role", &[("person_id", &kit_id), ("role", "owner")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Choose admin, staff or member."));

        // Kit becomes an admin; then Sam may step down, and Kit removes Sam.
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/role", &[("person_id", &kit_id), ("role", "admin")]).await;
        assert!(sam.follow(&r).await.body.contains("kit is now an admin."));
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/role", &[("person_id", &sam_id), ("role", "staff")]).await;
        assert!(sam.follow(&r).await.body.contains("sam is now on the staff."));
        let r = kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/remove", &[("person_id", &sam_id)]).await;
        assert!(kit.follow(&r).await.body.contains("sam is no longer a member of the organisation."));
        let page = sam.get("/orgs/tiverton-museum").await;
        assert!(!page.body.contains(r#"href="/@sam""#) && !page.body.contains("Leave Tiverton Museum"));
    }
}

/// A person as core sees them, for setting things up without forms.
async fn actor(app: &TestApp, handle: &str) -> meetinghouse_core::Actor {
    meetinghouse_core::accounts::login(&app.db, &format!("{handle}@example.org"), "a long enough password").await.unwrap()
}

/// How many unread notifications a person has.
async fn unread(app: &TestApp, handle: &str) -> i64 {
    let id = meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap().id;
    meetinghouse_store::notifications::unread_count(&app.db, id, 100).await.unwrap()
}

#[tokio::test]
async fn a_group_invitation_is_told_listed_on_me_and_answered_there() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Lace makers", "lace", "members", "invite").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let r = ann.submit("/groups/lace", "/groups/lace/invite", &[("handle", "bob")]).await;
        assert!(ann.follow(&r).await.body.contains("Invitation sent to @bob."));
        assert_eq!(unread(&ann, "bob").await, 1, "on {:?}", ann.db.backend());
        assert!(bob.get("/notifications").await.body.contains("ann (@ann) invited you to join Lace makers."));

        // His own page lists it with both answers.
        let me = bob.get("/me").await;
        assert!(me.body.contains("Group invitations") && me.body.contains(r#"<a href="/groups/lace">Lace makers</a> invites you to join."#), "{}", me.body);
        for action in ["/groups/lace/join", "/groups/lace/leave"] {
            assert!(me.body.contains(&format!(r#"<form method="post" action="{action}""#)), "{action}: {}", me.body);
        }
        // The members-only group's page shows him the invitation, and nothing else of it.
        let page = bob.get("/groups/lace").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("You are invited to join Lace makers.") && page.body.contains("Accept the invitation") && page.body.contains(">Decline</button>"));
        for private in ["<h2>People</h2>", r#"href="/@ann""#, "/conversations/group/"] {
            assert!(!page.body.contains(private), "{private}: {}", page.body);
        }
        let mut eve = ann.other_browser();
        eve.sign_up("eve").await;
        assert_eq!(eve.get("/groups/lace").await.status, StatusCode::NOT_FOUND);

        // Declining from /me goes back there; the group is gone for him.
        let r = bob.submit("/me", "/groups/lace/leave", &[]).await;
        assert_eq!(r.location(), Some("/me"));
        let me = bob.follow(&r).await;
        assert!(me.body.contains("You have declined the invitation.") && !me.body.contains("Group invitations"), "{}", me.body);
        assert_eq!(bob.get("/groups/lace").await.status, StatusCode::NOT_FOUND);
        // Invited again, he accepts from /me.
        ann.submit("/groups/lace", "/groups/lace/invite", &[("handle", "bob")]).await;
        let r = bob.submit("/me", "/groups/lace/join", &[]).await;
        let page = bob.follow(&r).await;
        assert!(page.body.contains("Welcome: you have joined the group.") && page.body.contains(r#"href="/@ann""#), "{}", page.body);
    }
}

#[tokio::test]
async fn organisation_requests_tell_the_hosts_and_their_admins_can_withdraw_them() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "admin")]).await;
        kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        let mut ann = sam.other_browser();
        ann.sign_up("ann").await;
        ann.start_group("Tiverton Together", "town", "public", "request").await;
        kit.start_group("Museum Stores", "stores", "public", "request").await;

        let r = kit.submit("/groups/town", "/groups/town/members/org", &[("org", "tiverton-museum")]).await;
        assert!(kit.follow(&r).await.body.contains("Your request is sent"));
        let r = kit.submit("/groups/town", "/groups/town/members/group", &[("child", "stores")]).await;
        assert!(kit.follow(&r).await.body.contains("Your request is sent"));
        assert_eq!(unread(&ann, "ann").await, 2, "on {:?}", ann.db.backend());
        let told = ann.get("/notifications").await.body;
        assert!(told.contains("kit (@kit) asked for Tiverton Museum to join Tiverton Together.") && told.contains("asked for the group Museum Stores to join"), "{told}");

        // Kit sees what he asked for, and withdraws it.
        let page = kit.get("/groups/town").await;
        assert!(page.body.contains("Yours in this group") && page.body.contains("Withdraw the request"), "{}", page.body);
        let museum_id = meetinghouse_store::orgs::by_slug(&kit.db, "tiverton-museum").await.unwrap().unwrap().id.to_string();
        let r = kit.submit("/groups/town", "/groups/town/members/remove", &[("kind", "org"), ("member_id", &museum_id)]).await;
        assert_eq!(r.location(), Some("/groups/town"));
        assert!(kit.follow(&r).await.body.contains("The request for Tiverton Museum to join is withdrawn."));
        assert!(!ann.get("/groups/town").await.body.contains("Tiverton Museum"), "no longer waiting");
        // Asking again is no news to Ann.
        kit.submit("/groups/town", "/groups/town/members/org", &[("org", "tiverton-museum")]).await;
        assert_eq!(unread(&ann, "ann").await, 2);
    }
}

#[tokio::test]
async fn invitation_only_groups_offer_bringing_things_in_to_their_hosts_only() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        sam.start_group("Sam's Stores", "stores", "public", "open").await;
        let mut ann = sam.other_browser();
        ann.sign_up("ann").await;
        ann.start_group("Town Council", "council", "public", "invite").await;
        ann.start_group("Ann's Hall", "hall", "public", "open").await;
        let page = sam.get("/groups/council").await;
        for offer in ["Bring your organisation in", "Add a group you host"] {
            assert!(!page.body.contains(offer), "{offer}: {}", page.body);
        }
        // Its host is offered the groups she hosts.
        assert!(ann.get("/groups/council").await.body.contains("Add a group you host"));
    }
}

#[tokio::test]
async fn suspended_people_leave_the_public_member_lists() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Town Choir", "choir", "public", "open").await;
        ann.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        bob.submit("/groups/choir", "/groups/choir/join", &[]).await;
        ann.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "bob"), ("role", "staff")]).await;
        bob.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        ann.db.execute_admin("UPDATE people SET status = 'suspended' WHERE handle = 'bob'").await.unwrap();

        let mut visitor = ann.other_browser();
        for path in ["/groups/choir", "/orgs/tiverton-museum"] {
            let page = visitor.get(path).await;
            assert!(!page.body.contains(r#"href="/@bob""#) && !page.body.contains(">bob<"), "{path}: {}", page.body);
            // Those who manage see him, marked, with no link to a profile that is not shown.
            let page = ann.get(path).await;
            assert!(page.body.contains("bob") && page.body.contains("account suspended") && !page.body.contains(r#"href="/@bob""#), "{path}: {}", page.body);
        }
    }
}

#[tokio::test]
async fn long_member_lists_have_more_pages() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Crowd", "crowd", "public", "open").await;
        let crowd = meetinghouse_store::groups::by_slug(&ann.db, "crowd").await.unwrap().unwrap().id;
        let people: Vec<String> = (0..120)
            .map(|i| format!("('p{i}@example.org', 'p{i}@example.org', 'p{i}', 'p{i}', 'Person {i:03}', 'x', 1)"))
            .collect();
        ann.db.execute_admin(&format!(
            "INSERT INTO people (email, email_lower, handle, handle_lower, display_name, password_hash, created_at) VALUES {}",
            people.join(", ")
        ))
        .await
        .unwrap();
        ann.db.execute_admin(&format!(
            "INSERT INTO group_members (group_id, member_kind, member_id, role, status, created_at) \
             SELECT {crowd}, 'person', id, 'member', 'active', 1 FROM people WHERE handle LIKE 'p%'"
        ))
        .await
        .unwrap();
        let mut visitor = ann.other_browser();
        let first = visitor.get("/groups/crowd").await;
        assert!(first.body.contains(r#"<a href="/groups/crowd?page=2" rel="next">More members</a>"#), "{}", first.body);
        assert_eq!(first.body.matches(r#"<a href="/@p"#).count(), 99, "ann first, then 99 of them");
        let second = visitor.get("/groups/crowd?page=2").await;
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(second.body.matches(r#"<a href="/@p"#).count(), 21, "{}", second.body);
        assert!(second.body.contains("Person 119") && !second.body.contains("More members"));
    }
}

#[tokio::test]
async fn labels_are_only_for_what_everyone_may_see() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Back Room", "back-room", "members", "invite").await;
        ann.start_group("Town Hall", "town", "public", "open").await;
        let a = actor(&ann, "ann").await;
        let s = meetinghouse_core::settings::Settings::load(&ann.db).await.unwrap();
        let ask = |group: &str| meetinghouse_core::prompts::PromptForm { question: "What did you keep?".into(), group: group.into(), ..Default::default() };
        let private = meetinghouse_core::prompts::create(&ann.db, &s, &a, &ask("back-room")).await.unwrap();
        let public = meetinghouse_core::prompts::create(&ann.db, &s, &a, &ask("town")).await.unwrap();
        let r = ann.get(&format!("/prompts/{private}/label")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("Only questions everyone can see have labels") && !r.body.contains("<svg"), "{}", r.body);
        assert_eq!(ann.get(&format!("/prompts/{public}/label")).await.status, StatusCode::OK);

        // A deleted story has no label, not even for its author.
        let form = meetinghouse_core::stories::StoryForm {
            title: "Sundays on the canal".into(),
            body: "We walked.".into(),
            licence: "cc0".into(),
            visibility: "public".into(),
            ..Default::default()
        };
        let story = meetinghouse_core::stories::create(&ann.db, &s, &a, &form).await.unwrap();
        assert_eq!(ann.get(&format!("/stories/{story}/label")).await.status, StatusCode::OK);
        let r = ann.submit(&format!("/stories/{story}"), &format!("/stories/{story}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = ann.get(&format!("/stories/{story}/label")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("This story is deleted, so it has no label.") && !r.body.contains("<svg"), "{}", r.body);
    }
}

#[tokio::test]
async fn every_error_is_shown_at_its_control() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        // The sector's select, and the group's radio buttons, name their errors.
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Museum"), ("sector", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(r#"<select id="sector" name="sector" aria-invalid="true" aria-describedby="sector-error">"#), "{}", r.body);
        let r = sam.submit("/groups/new", "/groups", &[("name", "Choir"), ("visibility", "secret"), ("join_policy", "maybe")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["visibility", "join_policy"] {
            assert!(r.body.contains(&format!(r#"<p class="error" id="{field}-error">"#)) && r.body.contains(&format!(r#"<fieldset id="{field}" class="field has-error" aria-describedby="{field}-error">"#)), "{field}: {}", r.body);
            assert!(r.body.contains(&format!(r##"<a href="#{field}">"##)));
        }
        assert!(r.body.contains(r#"value="Choir""#), "what was typed is kept");

        // A role change refused in a member's row is the whole form's error, not the invitation's "Role".
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let sam_id = id_of(&sam, "sam").await;
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/role", &[("person_id", &sam_id), ("role", "owner")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(r#"<p id="form">Choose admin, staff or member.</p>"#) && !r.body.contains(r##"href="#role""##), "{}", r.body);
        assert_eq!(r.body.matches("Choose admin, staff or member.").count(), 1, "said once: {}", r.body);
        // The invitation's role, when it is the one refused, is marked at its select.
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "nobody"), ("role", "owner")]).await;
        assert!(r.body.contains(r#"<select id="role" name="role" aria-invalid="true" aria-describedby="role-error">"#), "{}", r.body);

        // An organisation that is not there is reported at the group page's select.
        sam.start_group("Town", "town", "public", "open").await;
        let r = sam.submit("/groups/town", "/groups/town/members/org", &[("org", "no-such-org")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(r#"<p class="error" id="org-error">"#) && r.body.contains(r#"aria-describedby="org-error""#), "{}", r.body);
        assert!(r.body.contains(r#"<option value="no-such-org" selected>"#), "kept: {}", r.body);

        // A loop found on approving a request is the form's error, not "Add a group"'s.
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        sam.start_group("Outer", "outer", "public", "request").await;
        kit.start_group("Inner", "inner", "public", "request").await;
        kit.submit("/groups/inner", "/groups/outer/members/group", &[("child", "inner")]).await;
        let r = sam.submit("/groups/inner", "/groups/inner/members/group", &[("child", "outer")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let outer = meetinghouse_store::groups::by_slug(&sam.db, "outer").await.unwrap().unwrap().id.to_string();
        kit.submit("/groups/inner", "/groups/inner/approve", &[("kind", "group"), ("member_id", &outer)]).await;
        let inner = meetinghouse_store::groups::by_slug(&sam.db, "inner").await.unwrap().unwrap().id.to_string();
        let r = sam.submit("/groups/outer", "/groups/outer/approve", &[("kind", "group"), ("member_id", &inner)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("would make a loop") && r.body.contains(r#"<p id="form">"#), "{}", r.body);
        assert!(!r.body.contains(r#"id="child-error""#) && !r.body.contains(r#"aria-invalid="true""#), "{}", r.body);
    }
}

#[tokio::test]
async fn addresses_with_capitals_lead_to_the_page() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.start_group("G One", "g1", "public", "open").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let r = sam.get("/groups/G1").await;
        assert_eq!((r.status, r.location()), (StatusCode::PERMANENT_REDIRECT, Some("/groups/g1")));
        let r = sam.get("/groups/G1?page=2").await;
        assert_eq!(r.location(), Some("/groups/g1?page=2"));
        let r = sam.get("/orgs/Tiverton-Museum").await;
        assert_eq!((r.status, r.location()), (StatusCode::PERMANENT_REDIRECT, Some("/orgs/tiverton-museum")));
        assert_eq!(sam.get("/groups/g1").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_host_removing_themselves_from_a_members_only_group_lands_on_a_page_that_exists() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Back Room", "back-room", "members", "invite").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        ann.submit("/groups/back-room", "/groups/back-room/invite", &[("handle", "bob")]).await;
        bob.submit("/me", "/groups/back-room/join", &[]).await;
        let bob_id = id_of(&ann, "bob").await;
        ann.submit("/groups/back-room", "/groups/back-room/members/role", &[("member_id", &bob_id), ("role", "host")]).await;
        let ann_id = id_of(&ann, "ann").await;
        let r = ann.submit("/groups/back-room", "/groups/back-room/members/remove", &[("kind", "person"), ("member_id", &ann_id)]).await;
        assert_eq!(r.location(), Some("/groups"));
        let page = ann.follow(&r).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("ann is no longer in the group."), "{}", page.body);
    }
}

#[tokio::test]
async fn instance_admins_see_an_organisations_invitations_they_can_withdraw() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let mut eve = sam.other_browser();
        eve.sign_up("eve").await;
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "eve"), ("role", "member")]).await;
        let mut keeper = sam.other_browser();
        keeper.sign_up("keeper").await;
        keeper.db.execute_admin("UPDATE people SET is_admin = 1 WHERE handle = 'keeper'").await.unwrap();
        let page = keeper.get("/orgs/tiverton-museum").await;
        assert!(page.body.contains(r#"<a href="/@eve">eve</a>"#) && page.body.contains("Withdraw the invitation"), "{}", page.body);
    }
}

#[tokio::test]
async fn a_saved_request_is_never_answered_with_an_error_when_the_hosts_cannot_be_told() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Quiet Room", "quiet", "public", "request").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        // Every new notification now fails to be written.
        if ann.db.backend() == meetinghouse_store::Backend::Postgres {
            ann.db.execute_admin("CREATE FUNCTION refuse_notification() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'broken'; END $$ LANGUAGE plpgsql")
                .await
                .unwrap();
            ann.db.execute_admin("CREATE TRIGGER refuse BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION refuse_notification()").await.unwrap();
        } else {
            ann.db.execute_admin("CREATE TRIGGER refuse BEFORE INSERT ON notifications BEGIN SELECT RAISE(ABORT, 'broken'); END").await.unwrap();
        }
        let r = bob.submit("/groups/quiet", "/groups/quiet/join", &[]).await;
        assert!(bob.follow(&r).await.body.contains("Your request is sent"), "on {:?}", ann.db.backend());
        assert!(ann.get("/groups/quiet").await.body.contains("Waiting for approval"));
    }
}

/// Declining an invitation to an organisation says so (not "you have
/// left"); a person who blocked its admin is not invited, and the admin is
/// answered as for an invitation sent; adding organisations meets an hourly
/// limit, the form kept.
#[tokio::test]
async fn organisation_invitations_respect_blocks_and_declining_is_said_plainly() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Harbour Trust"), ("slug", "harbour"), ("sector", "heritage")]).await;
        assert_eq!(r.location(), Some("/orgs/harbour"), "{}", r.body);
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        let mut eve = sam.other_browser();
        eve.sign_up("eve").await;
        let r = eve.submit("/@sam", "/people/sam/relation", &[("action", "block")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let said = |b: &str| b.split("class=\"flash").nth(1).map(|s| s.split("</").next().unwrap_or("").replace("@kit", "@eve"));
        let sent = sam.submit("/orgs/harbour", "/orgs/harbour/invite", &[("handle", "kit"), ("role", "member")]).await;
        let sent_words = said(&sam.follow(&sent).await.body);
        let refused = sam.submit("/orgs/harbour", "/orgs/harbour/invite", &[("handle", "eve"), ("role", "member")]).await;
        assert_eq!((sent.status, sent.location()), (refused.status, refused.location()), "the same answer");
        assert_eq!(sent_words, said(&sam.follow(&refused).await.body), "the same words");
        assert!(sent_words.is_some_and(|w| w.contains("Invitation sent")));
        assert!(!eve.get("/me").await.body.contains("Harbour Trust"), "nothing for eve");

        let me = kit.get("/me").await;
        assert!(me.body.contains("Harbour Trust"), "{}", me.body);
        let r = kit.submit("/me", "/orgs/harbour/leave", &[]).await;
        let page = kit.follow(&r).await;
        assert!(page.body.contains("You have declined the invitation.") && !page.body.contains("You have left"), "{}", page.body);

        // The hourly limit on adding organisations (the first counted too).
        let mut refused = None;
        for i in 0..10 {
            let name = format!("Club Number {i}");
            let r = sam.submit("/orgs/new", "/orgs", &[("name", name.as_str()), ("sector", "heritage"), ("description", "Kept text")]).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                refused = Some((i, r.body));
                break;
            }
        }
        let (i, body) = refused.expect("refused within ten");
        assert_eq!(i, 4, "five an hour, the first one included");
        assert!(body.contains("added many organisations") && body.contains("Kept text"), "{body}");
    }
}

/// Changes to an organisation's members are logged on its edit page and
/// told to the person they are about (the review's repro: george, just
/// invited as an admin, demoted amara, who heard nothing and found no
/// trace); an invitation says the role it offers.
#[tokio::test]
async fn member_changes_are_logged_and_told_and_invitations_say_the_role() {
    for mut amara in apps().await {
        amara.sign_up("amara").await;
        amara.submit("/orgs/new", "/orgs", &[("name", "Riverside Arts"), ("sector", "arts")]).await;
        let mut george = amara.other_browser();
        george.sign_up("george").await;
        amara.submit("/orgs/riverside-arts", "/orgs/riverside-arts/invite", &[("handle", "george"), ("role", "admin")]).await;
        let invited = george.get("/orgs/riverside-arts").await;
        assert!(invited.body.contains("You are invited to join Riverside Arts as an admin."), "{}", invited.body);
        george.submit("/orgs/riverside-arts", "/orgs/riverside-arts/accept", &[]).await;
        let before = unread(&amara, "amara").await;
        let amara_id = id_of(&amara, "amara").await;
        let r = george.submit("/orgs/riverside-arts", "/orgs/riverside-arts/members/role", &[("person_id", &amara_id), ("role", "member")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(unread(&amara, "amara").await, before + 1, "amara is told");
        assert!(amara.get("/notifications").await.body.contains("george (@george) changed your role at Riverside Arts from an admin to a member."));
        let edit = george.get("/orgs/riverside-arts/edit").await.body;
        for line in [
            "amara (@amara) invited george (@george) to join as an admin.",
            "george (@george) accepted the invitation to join as an admin.",
            "george (@george) changed the role of amara (@amara) from an admin to a member.",
        ] {
            assert!(edit.contains(line), "{line}: {edit}");
        }
        let r = george.submit("/orgs/riverside-arts", "/orgs/riverside-arts/members/remove", &[("person_id", &amara_id)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(amara.get("/notifications").await.body.contains("george (@george) removed you from Riverside Arts, where you were a member."));
        assert!(george.get("/orgs/riverside-arts/edit").await.body.contains("george (@george) removed amara (@amara) (was a member)."));
    }
}

/// A page past the end of a list, answered "no such page" (404) with a link
/// to the list's first page.
fn no_such_page(r: &meetinghouse_testkit::Reply, first: &str) {
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(r.body.contains("There is no such page") && r.body.contains(&format!("href=\"{first}\"")), "{first}: {}", r.body);
}

/// The review groupsfix34's L2: every list of a group's page, an
/// organisation's page and `/me` answers a page past its end "no such
/// page", as the paging rule says, instead of an empty page.
#[tokio::test]
async fn a_page_past_the_end_of_a_list_is_no_such_page() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Town Choir", "choir", "public", "request").await;
        ann.submit("/orgs/new", "/orgs", &[("name", "Riverside Arts"), ("sector", "arts")]).await;
        let mut visitor = ann.other_browser();
        // The first pages are there.
        for at in ["/groups/choir", "/orgs/riverside-arts", "/me"] {
            assert_eq!(ann.get(at).await.status, StatusCode::OK, "{at}");
        }
        for at in [
            "/groups/choir?page=2",
            "/groups/choir?part_of=5",
            "/groups/choir?requests=9",
            "/groups/choir?manage=9",
            "/orgs/riverside-arts?page=9",
            "/orgs/riverside-arts?groups=9",
            "/me?groups=9",
            "/me?asked=9",
            "/me?invitations=9",
        ] {
            let r = ann.get(at).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{at} on {:?}: {}", ann.db.backend(), r.body);
            assert!(r.body.contains("There is no such page"), "{at}: {}", r.body);
        }
        no_such_page(&visitor.get("/groups/choir?page=2").await, "/groups/choir");
        no_such_page(&visitor.get("/orgs/riverside-arts?page=9").await, "/orgs/riverside-arts");
        // The hosts' lists are theirs: to others, those keys page nothing.
        assert_eq!(visitor.get("/groups/choir?requests=9").await.status, StatusCode::OK);
    }
}

/// The review groupsfix34's M2, on the pages: a member whose account is
/// suspended is not offered "Make host", and the last host whose account
/// is active is offered no way out, saying why; the same for an
/// organisation's admins; and promoting a suspended member anyway is
/// refused in plain words.
#[tokio::test]
async fn a_suspended_member_is_not_offered_the_hosts_or_admins_role() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Town Choir", "choir", "public", "open").await;
        ann.submit("/orgs/new", "/orgs", &[("name", "Riverside Arts"), ("sector", "arts")]).await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        bob.submit("/groups/choir", "/groups/choir/join", &[]).await;
        ann.submit("/orgs/riverside-arts", "/orgs/riverside-arts/invite", &[("handle", "bob"), ("role", "member")]).await;
        bob.submit("/orgs/riverside-arts", "/orgs/riverside-arts/accept", &[]).await;
        let bob_id = id_of(&ann, "bob").await;
        assert!(ann.get("/groups/choir").await.body.contains("Make host <span class=\"visually-hidden\">(bob)</span>"));
        ann.db.execute_admin(&format!("UPDATE people SET status = 'suspended' WHERE id = {bob_id}")).await.unwrap();
        let page = ann.get("/groups/choir").await.body;
        assert!(!page.contains("Make host <span class=\"visually-hidden\">(bob)</span>"), "{page}");
        let r = ann.submit("/groups/choir", "/groups/choir/members/role", &[("member_id", &bob_id), ("role", "host")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("account is not active, so they cannot be made a host of Town Choir"), "{}", r.body);
        let r = ann.submit("/orgs/riverside-arts", "/orgs/riverside-arts/members/role", &[("person_id", &bob_id), ("role", "admin")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("account is not active, so they cannot be made an admin of Riverside Arts"), "{}", r.body);

        // Made host and admin while active, then suspended: Ann is the last who can act.
        ann.db.execute_admin(&format!("UPDATE people SET status = 'active' WHERE id = {bob_id}")).await.unwrap();
        ann.submit("/groups/choir", "/groups/choir/members/role", &[("member_id", &bob_id), ("role", "host")]).await;
        ann.submit("/orgs/riverside-arts", "/orgs/riverside-arts/members/role", &[("person_id", &bob_id), ("role", "admin")]).await;
        ann.db.execute_admin(&format!("UPDATE people SET status = 'suspended' WHERE id = {bob_id}")).await.unwrap();
        let page = ann.get("/groups/choir").await.body;
        assert!(page.contains("(the only host whose account is active)") && !page.contains("Step down to member <span class=\"visually-hidden\">(ann)"), "{page}");
        let r = ann.submit("/groups/choir", "/groups/choir/leave", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("You are the last host of Town Choir whose account is active"), "{}", r.body);
        let page = ann.get("/orgs/riverside-arts").await.body;
        assert!(page.contains("(the only admin whose account is active)"), "{page}");
        let r = ann.submit("/orgs/riverside-arts", "/orgs/riverside-arts/leave", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("You are the last admin of Riverside Arts whose account is active"), "{}", r.body);
    }
}

/// The review groupsfix34's L5: a group that takes members by invitation
/// tells a visitor, signed in or not, that it does and whom to ask (it
/// said "Sign in to join." or nothing); `/admin/groups` says who can see
/// each group, how people join and whether it is archived, in words.
#[tokio::test]
async fn an_invitation_only_group_says_whom_to_ask_and_the_admins_list_is_in_words() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Youth Panel", "youth", "public", "invite").await;
        ann.start_group("Old Choir", "old-choir", "members", "request").await;
        ann.submit("/groups/old-choir/archive", "/groups/old-choir/archive", &[]).await;
        let said = "Youth Panel takes members by invitation: ask one of its hosts (marked “host” among its people) to invite you.";
        let mut visitor = ann.other_browser();
        let page = visitor.get("/groups/youth").await.body;
        assert!(page.contains(said) && !page.contains("to join.</p>"), "{page}");
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let page = bob.get("/groups/youth").await.body;
        assert!(page.contains(said), "{page}");

        let me = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&ann.db, me.id, true).await.unwrap();
        let list = ann.get("/admin/groups").await.body;
        assert!(list.contains("<td>everyone</td><td>by invitation only</td><td>open</td>"), "{list}");
        assert!(list.contains("<td>members only</td><td>people ask, a host approves</td><td>archived on "), "{list}");
        assert!(!list.contains("<td>invite</td>") && !list.contains("<td>members</td>"), "{list}");
    }
}
