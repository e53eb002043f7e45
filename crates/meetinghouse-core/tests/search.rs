//! Search finds the same words on SQLite and PostgreSQL, filters by kind
//! before it narrows a broad query (and says when it stops short), cuts
//! pages from what it shows, shows
//! results in words without Markdown's marks, and remakes text indexed by
//! an older version.

use meetinghouse_core::search;
use meetinghouse_store::search::{self as store, Document};

async fn titles(db: &meetinghouse_core::Db, query: &str, kind: &str) -> Vec<String> {
    search::search(db, query, kind, 1).await.unwrap().0.into_iter().map(|r| r.title).collect()
}

#[tokio::test]
async fn both_backends_find_the_words_people_type() {
    for db in meetinghouse_testkit::databases().await {
        let mut tx = db.begin().await.unwrap();
        for (id, title, body) in [
            (1, "Stoneware jug", "Accession number 1987.45.2, given by the Fore Street pottery."),
            (2, "Our new website", "Visit tiverton.museum or write to hello@tiverton.museum."),
            (3, "Postcard from Brașov", "Sent to Łódź in 1931."),
        ] {
            search::index(&mut tx, &db, "object", id, title, body, 1_700_000_000 + id).await.unwrap();
        }
        tx.commit().await.unwrap();
        for (query, found) in [
            ("1987.45.2", "Stoneware jug"),
            ("45", "Stoneware jug"),
            ("museum", "Our new website"),
            ("hello", "Our new website"),
            ("brasov", "Postcard from Brașov"),
            ("BRAȘOV", "Postcard from Brașov"),
            ("lodz", "Postcard from Brașov"),
        ] {
            assert_eq!(titles(&db, query, "").await, vec![found.to_string()], "{:?}: {query:?}", db.backend());
        }
    }
}

/// A word common enough to be ranked among its newest matches only still
/// finds older documents of the kind asked for.
#[tokio::test]
async fn a_kind_is_chosen_before_a_broad_query_is_narrowed() {
    for db in meetinghouse_testkit::databases().await {
        let mut tx = db.begin().await.unwrap();
        for id in 1..=3 {
            search::index(&mut tx, &db, "story", id, &format!("Harbour memory {id}"), "The harbour wall in winter.", 1_600_000_000 + id).await.unwrap();
        }
        let objects: Vec<(i64, String)> = (1..=store::COMMON_WORD + 20).map(|i| (i, format!("Harbour photograph {i}"))).collect();
        let docs: Vec<(i64, &str, &str, i64)> = objects.iter().map(|(i, t)| (*i, t.as_str(), "A view of the harbour.", 1_700_000_000 + i)).collect();
        search::index_many(&mut tx, &db, "object", &docs, true).await.unwrap();
        tx.commit().await.unwrap();
        let mut found = titles(&db, "harbour", "story").await;
        found.sort();
        assert_eq!(found, vec!["Harbour memory 1", "Harbour memory 2", "Harbour memory 3"], "{:?}", db.backend());
        assert_eq!(titles(&db, "harbour", "object").await.len(), search::PER_PAGE as usize, "{:?}", db.backend());
    }
}

/// Text indexed the old way (punctuation kept) is remade once, after which
/// the index finds its words; a second run has nothing to do.
#[tokio::test]
async fn text_indexed_by_an_older_version_is_remade_once() {
    for db in meetinghouse_testkit::databases().await {
        let mut tx = db.begin().await.unwrap();
        let (title, body) = ("Our new website", "Visit tiverton.museum, or the Pannier Market.");
        let old = Document { kind: "story", ref_id: 7, title, body, title_folded: "our new website", body_folded: "visit tiverton.museum, or the pannier market.", created_at: 1 };
        store::upsert(&mut tx, db.backend(), &old).await.unwrap();
        tx.commit().await.unwrap();
        assert!(search::refresh_index_text(&db).await.unwrap() >= 1, "{:?}", db.backend());
        assert_eq!(titles(&db, "museum", "").await, vec![title.to_string()], "{:?}", db.backend());
        assert_eq!(titles(&db, "pannier", "").await, vec![title.to_string()], "{:?}", db.backend());
        assert_eq!(search::refresh_index_text(&db).await.unwrap(), 0, "{:?}: once is enough", db.backend());
    }
}

/// A word matching fewer documents than a common word does (250 here) is
/// not narrowed to its newest matches on either backend: paging reaches
/// every one of them, the oldest included.
#[tokio::test]
async fn every_match_of_a_specific_word_is_reached_by_paging() {
    for db in meetinghouse_testkit::databases().await {
        let mut tx = db.begin().await.unwrap();
        let objects: Vec<(i64, String)> = (1..=250).map(|i| (i, format!("Lantern slide {i}"))).collect();
        let docs: Vec<(i64, &str, &str, i64)> = objects.iter().map(|(i, t)| (*i, t.as_str(), "A glass lantern slide.", 1_700_000_000 + i)).collect();
        search::index_many(&mut tx, &db, "object", &docs, true).await.unwrap();
        tx.commit().await.unwrap();
        const { assert!(250 < store::COMMON_WORD && 250 > store::RANK_WINDOW) };
        let mut seen = std::collections::BTreeSet::new();
        let mut page = 1;
        loop {
            let (hits, more) = search::search(&db, "lantern", "object", page).await.unwrap();
            seen.extend(hits.into_iter().map(|h| h.title));
            if !more {
                break;
            }
            page += 1;
        }
        assert_eq!(seen.len(), 250, "{:?}: reached {} of 250", db.backend(), seen.len());
        assert!(seen.contains("Lantern slide 1"), "{:?}: the oldest is reached", db.backend());
        assert_eq!(page, 13, "{:?}", db.backend());
    }
}

/// A search cut to its newest matches says so (`capped`), on its last page
/// too; one that reaches every match does not.
#[tokio::test]
async fn a_search_cut_to_its_newest_matches_says_so() {
    for db in meetinghouse_testkit::databases().await {
        let mut tx = db.begin().await.unwrap();
        let objects: Vec<(i64, String)> = (1..=store::COMMON_WORD + 20).map(|i| (i, format!("Harbour photograph {i}"))).collect();
        let docs: Vec<(i64, &str, &str, i64)> = objects.iter().map(|(i, t)| (*i, t.as_str(), "A view of the harbour.", 1_700_000_000 + i)).collect();
        search::index_many(&mut tx, &db, "object", &docs, true).await.unwrap();
        search::index(&mut tx, &db, "story", 1, "Harbour memory", "The harbour wall in winter.", 1_600_000_000).await.unwrap();
        tx.commit().await.unwrap();
        let first = search::search_page(&db, "harbour", "", 1).await.unwrap();
        assert!(first.capped && first.more, "{:?}", db.backend());
        let last_page = store::RANK_WINDOW / search::PER_PAGE;
        let last = search::search_page(&db, "harbour", "", last_page).await.unwrap();
        assert!(last.capped && !last.more && last.items.len() == search::PER_PAGE as usize, "{:?}", db.backend());
        assert!(search::search_page(&db, "harbour", "", last_page + 1).await.unwrap().capped);
        // A common word with a narrow one, a kind with few matches: every match is reached.
        for (query, kind) in [("harbour 7", ""), ("harbour", "story"), ("photograph 301", "object")] {
            let r = search::search_page(&db, query, kind, 1).await.unwrap();
            assert!(!r.capped && !r.items.is_empty(), "{:?}: {query} {kind}", db.backend());
        }
    }
}

/// Every result shown on a page, by paging from the first page.
async fn every_page(db: &meetinghouse_core::Db, query: &str) -> Vec<search::Results> {
    let mut pages = Vec::new();
    for n in 1.. {
        let r = search::search_page(db, query, "", n).await.unwrap();
        let more = r.more;
        pages.push(r);
        if !more {
            break;
        }
    }
    pages
}

/// Results that are not shown (here prompts the index still holds though
/// they are gone) are left out before a page is cut: every page but the
/// last is full, none is empty, and paging reaches every shown match once,
/// whether a query ranks all its matches or only its newest.
#[tokio::test]
async fn pages_are_cut_from_what_is_shown() {
    for db in meetinghouse_testkit::databases().await {
        let stories = search::PER_PAGE + 5;
        let mut tx = db.begin().await.unwrap();
        for id in 1..=stories {
            search::index(&mut tx, &db, "story", id, &format!("Lantern memory {id}"), "A glass lantern.", 1_600_000_000 + id).await.unwrap();
        }
        // Indexed last, with the shortest text: they rank first.
        for id in 1..=3 {
            search::index(&mut tx, &db, "prompt", 9_000 + id, "Lantern", "A glass lantern.", 1_700_000_000 + id).await.unwrap();
        }
        tx.commit().await.unwrap();
        let pages = every_page(&db, "lantern").await;
        let sizes: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
        assert_eq!(sizes, vec![search::PER_PAGE as usize, 5], "{:?}", db.backend());
        let mut seen: Vec<String> = pages.iter().flat_map(|p| p.items.iter().map(|r| r.url.clone())).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len() as i64, stories, "{:?}", db.backend());

        // A common word: the window holds the newest matches shown.
        let objects: Vec<(i64, String)> = (1..=store::COMMON_WORD).map(|i| (i, format!("Lantern slide {i}"))).collect();
        let docs: Vec<(i64, &str, &str, i64)> = objects.iter().map(|(i, t)| (*i, t.as_str(), "A glass lantern slide.", 1_500_000_000 + i)).collect();
        let mut tx = db.begin().await.unwrap();
        search::index_many(&mut tx, &db, "object", &docs, true).await.unwrap();
        tx.commit().await.unwrap();
        let pages = every_page(&db, "lantern").await;
        assert!(pages.iter().all(|p| p.items.len() == search::PER_PAGE as usize && p.capped), "{:?}", db.backend());
        let shown: usize = pages.iter().map(|p| p.items.len()).sum();
        assert_eq!(shown as i64, store::RANK_WINDOW, "{:?}", db.backend());
    }
}

/// A result says what it is in words, and its snippet is the text as
/// readers see it, without Markdown's marks.
#[tokio::test]
async fn results_say_what_they_are_and_show_text_without_markdown() {
    for db in meetinghouse_testkit::databases().await {
        let mut tx = db.begin().await.unwrap();
        let body = "## The mill\n\nWe went to **the mill** by the [river](https://example.org) and _swam_.";
        search::index(&mut tx, &db, "story", 1, "Sundays", body, 1_600_000_000).await.unwrap();
        search::index(&mut tx, &db, "object", 2, "Mill wheel", "A **wooden** mill wheel.", 1_600_000_001).await.unwrap();
        tx.commit().await.unwrap();
        let found = search::search_page(&db, "mill", "", 1).await.unwrap().items;
        let story = found.iter().find(|r| r.kind == "story").unwrap();
        let shown: String = story.snippet.0.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(shown, "The mill We went to the mill by the river and swam.", "{:?}", db.backend());
        assert_eq!(story.kind_label, "Story");
        let object = found.iter().find(|r| r.kind == "object").unwrap();
        assert_eq!(object.kind_label, "Collection object");
        let shown: String = object.snippet.0.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(shown, "A **wooden** mill wheel.", "an object's text is shown as it was imported");
    }
}
