//! An organisation name written with look-alike letters (a Cyrillic “М”, a
//! Greek “Ο”) is refused on the new-organisation form and on the edit form,
//! through the real router on every configured backend: the page says the
//! name looks the same as the other organisation's, names it, and keeps
//! what was typed; an honest Cyrillic name is taken.

use axum::http::StatusCode;
use meetinghouse_testkit::apps;

#[tokio::test]
async fn a_look_alike_name_is_refused_on_both_forms_and_what_was_typed_is_kept() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.location(), Some("/orgs/tiverton-museum"));
        let mut eve = sam.other_browser();
        eve.sign_up("eve").await;

        let fields = [("name", "Tiverton Мuseum"), ("slug", "tiverton-museum-real"), ("sector", "heritage"), ("town", "Tiverton")];
        let r = eve.submit("/orgs/new", "/orgs", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("There is already an organisation called “Tiverton Museum” (at /orgs/tiverton-museum). “Tiverton Мuseum” looks the same as its name."),
            "{}",
            r.body
        );
        assert!(r.body.contains(r##"href="#name""##), "the error summary links to the field: {}", r.body);
        assert!(r.body.contains(r#"value="Tiverton Мuseum""#) && r.body.contains(r#"value="tiverton-museum-real""#) && r.body.contains(r#"value="Tiverton""#), "{}", r.body);
        assert_eq!(eve.get("/orgs/tiverton-museum-real").await.status, StatusCode::NOT_FOUND);

        // An honest Cyrillic name is an organisation of its own.
        let r = eve.submit("/orgs/new", "/orgs", &[("name", "Музей"), ("slug", "muzei"), ("sector", "heritage")]).await;
        assert_eq!(r.location(), Some("/orgs/muzei"), "{}", r.body);

        // Renaming it to the look-alike, with a Greek Ο this time, is refused the same way.
        let r = eve.submit("/orgs/muzei/edit", "/orgs/muzei/edit", &[("name", "TIVERTΟN MUSEUM"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("“TIVERTΟN MUSEUM” looks the same as its name.") && r.body.contains(r#"value="TIVERTΟN MUSEUM""#), "{}", r.body);
        assert!(eve.get("/orgs/muzei").await.body.contains("Музей"));
    }
}
