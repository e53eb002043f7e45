//! Groups' and organisations' members through the real router, on every
//! configured backend: hosts and organisation admins manage people with
//! forms (CSRF, kept pages on refusal), nobody is left without a host or an
//! admin, hosts hear of a request once, and members-only groups' names stay
//! inside them.

use axum::http::StatusCode;
use meetinghouse_testkit::{Reply, TestApp, apps};

/// A person's id, for the hidden fields of the member forms.
async fn id_of(app: &TestApp, handle: &str) -> String {
    meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap().id.to_string()
}

/// Starts a group from the form, as `app`'s person.
async fn start_group(app: &mut TestApp, name: &str, slug: &str, visibility: &str, policy: &str) {
    let r = app.submit("/groups/new", "/groups", &[("name", name), ("slug", slug), ("visibility", visibility), ("join_policy", policy)]).await;
    assert_eq!(r.location(), Some(format!("/groups/{slug}").as_str()), "{}", r.body);
}

/// Follows a redirect and returns the page, with its flash message.
async fn follow(app: &mut TestApp, r: &Reply) -> Reply {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.get(r.location().unwrap()).await
}

#[tokio::test]
async fn hosts_manage_members_from_the_group_page_and_the_last_host_stays() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        start_group(&mut ann, "Town Choir", "choir", "public", "request").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let mut cat = ann.other_browser();
        cat.sign_up("cat").await;
        for who in [&mut bob, &mut cat] {
            let r = who.submit("/groups/choir", "/groups/choir/join", &[]).await;
            assert!(follow(who, &r).await.body.contains("Your request is sent"));
        }
        let (ann_id, bob_id, cat_id) = (id_of(&ann, "ann").await, id_of(&ann, "bob").await, id_of(&ann, "cat").await);

        // The host view: every action is a form with a CSRF token; the only
        // host is not offered "Step down" or "Remove" for herself.
        let page = ann.get("/groups/choir").await;
        for action in ["/groups/choir/approve", "/groups/choir/decline", "/groups/choir/invite"] {
            assert!(page.body.contains(&format!(r#"<form method="post" action="{action}""#)), "{action}: {}", page.body);
        }
        assert!(page.body.contains("(the only host)") && !page.body.contains("Step down"), "{}", page.body);
        assert!(page.body.contains(r#"Decline <span class="visually-hidden">cat</span>"#));

        // The last host cannot leave: the page comes back with the reason.
        let r = ann.submit("/groups/choir", "/groups/choir/leave", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("You are the last host of Town Choir: make someone else a host") && r.body.contains("<h1 id=\"group-name\">Town Choir</h1>"), "{}", r.body);

        // Decline Cat, approve Bob, make Bob a host.
        let r = ann.submit("/groups/choir", "/groups/choir/decline", &[("kind", "person"), ("member_id", &cat_id)]).await;
        assert!(follow(&mut ann, &r).await.body.contains("Request declined."));
        assert!(!cat.get("/groups/choir").await.body.contains("Your request to join is waiting"));
        let r = ann.submit("/groups/choir", "/groups/choir/approve", &[("kind", "person"), ("member_id", &bob_id)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = ann.get("/groups/choir").await;
        for action in ["/groups/choir/members/role", "/groups/choir/members/remove"] {
            assert!(page.body.contains(&format!(r#"<form method="post" action="{action}""#)), "{action}: {}", page.body);
        }
        assert!(page.body.contains(r#"Make host <span class="visually-hidden">(bob)</span>"#), "{}", page.body);
        let r = ann.submit("/groups/choir", "/groups/choir/members/role", &[("member_id", &bob_id), ("role", "host")]).await;
        let page = follow(&mut ann, &r).await;
        assert!(page.body.contains("bob is now a host.") && page.body.contains("Step down to member"), "{}", page.body);

        // Someone who is not a host may not manage members.
        let r = cat.submit("/groups/choir", "/groups/choir/members/remove", &[("kind", "person"), ("member_id", &bob_id)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Only hosts of Town Choir can remove members."), "{}", r.body);

        // Now Ann may leave a public group: back to its page, with the message.
        let r = ann.submit("/groups/choir", "/groups/choir/leave", &[]).await;
        assert_eq!(r.location(), Some("/groups/choir"));
        assert!(follow(&mut ann, &r).await.body.contains("You have left the group."));
        // Bob is the last host: stepping down is refused, and so is removing him.
        let r = bob.submit("/groups/choir", "/groups/choir/members/role", &[("member_id", &bob_id), ("role", "member")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("You are the last host of Town Choir"), "{}", r.body);
        // Ann rejoins; Bob removes her, then she is simply gone from the list.
        ann.submit("/groups/choir", "/groups/choir/join", &[]).await;
        bob.submit("/groups/choir", "/groups/choir/approve", &[("kind", "person"), ("member_id", &ann_id)]).await;
        let r = bob.submit("/groups/choir", "/groups/choir/members/remove", &[("kind", "person"), ("member_id", &ann_id)]).await;
        assert!(follow(&mut bob, &r).await.body.contains("ann is no longer in the group."));
        assert!(!bob.get("/groups/choir").await.body.contains(r#"href="/@ann""#));
    }
}

#[tokio::test]
async fn asking_to_join_twice_tells_the_hosts_once() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        start_group(&mut ann, "Quiet Room", "quiet", "public", "request").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let r = bob.submit("/groups/quiet", "/groups/quiet/join", &[]).await;
        assert!(follow(&mut bob, &r).await.body.contains("Your request is sent"));
        for _ in 0..3 {
            let r = bob.submit("/groups/quiet", "/groups/quiet/join", &[]).await;
            assert!(follow(&mut bob, &r).await.body.contains("Your request was already sent"));
        }
        let ann_id = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap().id;
        assert_eq!(meetinghouse_store::notifications::unread_count(&ann.db, ann_id, 100).await.unwrap(), 1, "on {:?}", ann.db.backend());
        // Withdrawing and asking again, over and over, tells her nothing new either.
        for _ in 0..3 {
            assert_eq!(bob.submit("/groups/quiet", "/groups/quiet/leave", &[]).await.status, StatusCode::SEE_OTHER);
            let r = bob.submit("/groups/quiet", "/groups/quiet/join", &[]).await;
            assert!(follow(&mut bob, &r).await.body.contains("Your request is sent"));
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
        start_group(&mut ann, "Lace makers", "lace", "members", "invite").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        let r = ann.submit("/groups/lace", "/groups/lace/invite", &[("handle", "bob")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = bob.submit("/me", "/groups/lace/join", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = bob.submit("/groups/lace", "/groups/lace/leave", &[]).await;
        assert_eq!(r.location(), Some("/groups"));
        let list = follow(&mut bob, &r).await;
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
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "staff")]).await;
        let r = kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        start_group(&mut sam, "Tiverton Together", "town", "public", "request").await;
        assert!(kit.get("/groups/town").await.body.contains("Bring your organisation in"));
        let r = sam.submit("/groups/town", "/groups/town/members/org", &[("org", "tiverton-museum")]).await;
        assert!(follow(&mut sam, &r).await.body.contains("The organisation is now a member of this group."));

        // Kit, staff but not a host, is not offered the form again; posting it
        // anyway (an old tab) says so and leaves the membership active.
        let page = kit.get("/groups/town").await;
        assert!(!page.body.contains("Bring your organisation in"), "{}", page.body);
        let r = kit.submit("/groups/town", "/groups/town/members/org", &[("org", "tiverton-museum")]).await;
        assert!(follow(&mut kit, &r).await.body.contains("That organisation is already a member of this group."));
        let page = sam.get("/groups/town").await;
        assert!(page.body.contains(r#"<a href="/orgs/tiverton-museum">Tiverton Museum</a></li>"#), "still active: {}", page.body);
        assert!(!page.body.contains("Waiting for approval"));
    }
}

#[tokio::test]
async fn members_only_group_names_stay_off_other_groups_pages() {
    for mut host in apps().await {
        host.sign_up("host").await;
        start_group(&mut host, "Tiverton Together", "town", "public", "open").await;
        start_group(&mut host, "Hidden Council", "hidden", "members", "request").await;
        start_group(&mut host, "Secret Circle", "circle", "members", "invite").await;
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
        start_group(&mut outsider, "My Group", "mine", "public", "open").await;
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
        assert!(follow(&mut sam, &r).await.body.contains("kit is now an admin."));
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/role", &[("person_id", &sam_id), ("role", "staff")]).await;
        assert!(follow(&mut sam, &r).await.body.contains("sam is now on the staff."));
        let r = kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/members/remove", &[("person_id", &sam_id)]).await;
        assert!(follow(&mut kit, &r).await.body.contains("sam is no longer a member of the organisation."));
        let page = sam.get("/orgs/tiverton-museum").await;
        assert!(!page.body.contains(r#"href="/@sam""#) && !page.body.contains("Leave Tiverton Museum"));
    }
}
