//! Review fixes on people, on every configured backend: display names
//! cannot pose as an organisation's label through blank fillers, invisible
//! characters, dots that look like the middle dot or look-alike letters in
//! "(announcement)", while honest names still pass; blocking and muting
//! answer "not found" exactly when the person's profile does, save nothing
//! then, and name the person by their handle as stored.

use meetinghouse_core::people::{self as profiles, ProfileForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{CoreError, accounts, moderation};
use meetinghouse_store::{Db, people};

mod common;
use common::{admin, person};

/// Names the review got past the old check, and more of the same kinds.
const POSING: &[&str] = &[
    "Sam Okafor\u{2800}·\u{2800}Tiverton Museum", // Braille blank
    "Sam \u{3164}·\u{3164}Tiverton Museum",       // Hangul filler
    "Sam\u{FFA0}·Tiverton Museum",                // halfwidth Hangul filler
    "Sam\u{115F}·\u{1160}Tiverton Museum",        // Hangul choseong and jungseong fillers
    "Sam ꞏ Tiverton Museum",                      // U+A78F Latin letter sinological dot
    "Sam ᐧ Tiverton Museum",                      // U+1427 Canadian syllabics final middle dot
    "Sam ⸱ Tiverton Museum",                      // U+2E31 word separator middle dot
    "Sam ⦁ Tiverton Museum",                      // U+2981 Z notation spot
    "Sam ● Tiverton Museum",                      // U+25CF black circle
    "Sam ᛫ Tiverton Museum",                      // U+16EB runic single punctuation
    "Sam ⸳ Tiverton Museum",                      // U+2E33 raised dot
    "Sam ㆍ Tiverton Museum",                     // U+318D Hangul letter araea
    "Sam 𐄁 Tiverton Museum",                      // U+10101 Aegean word separator dot
    "Sam\u{200D} \u{FE0F}·\u{E0020}Tiverton",      // zero-width characters looked through
    "Tiverton Museum (announcement\u{2800})",
    "Tiverton Museum (annoսncement)",         // Armenian ս
    "Tiverton Museum (аnnоunсеmеnt)",         // Cyrillic а, о, с, е
    "Tiverton Museum (ΑΝΝΟUΝCΕΜΕΝΤ)",         // Greek capitals
    "Tiverton Museum (annoυncement)",         // Greek υ
    "Tiverton Museum (ann0uncement)",         // a zero
    "Tiverton Museum (announcernent)",        // "rn" for "m"
    "Tiverton Museum (ａｎｎｏｕｎｃｅｍｅｎｔ)", // fullwidth
    "Tiverton Museum (annóuncement)",         // an accent
    "Tiverton Museum ❨announcement❩",         // ornamental brackets
    "Tiverton Museum (announ\u{00AD}cement)", // a soft hyphen
    "Tiverton Museum (announcement)\u{FE0F}", // a variation selector
];

/// Names that passed before and still pass: accents, other scripts, a dot
/// between letters, brackets and the word "announcement" used otherwise.
const HONEST: &[&str] = &[
    "Gal·la Puig",
    "Jean·Luc Picard",
    "ジョン・スミス",
    "José Ñúñez-Ortiz",
    "Αλέξανδρος Παπαδόπουλος",
    "Анна Иванова",
    "Արամ Խաչատրյան",
    "김민지",
    "大塚 あゆみ",
    "👩\u{200D}🔬 Dee",
    "Sam (announcements)",
    "Announcement Fan",
    "Sam (Tiverton Museum)",
    "Bjørn (Barnet)",
    "Agent 007",
];

async fn status(db: &Db, handle: &str, status: &str) {
    db.execute_admin(&format!("UPDATE people SET status = '{status}' WHERE handle = '{handle}'")).await.unwrap();
}

/// A display name that reads like an organisation's label is refused on
/// the profile and by `admin create`, in plain words, with nothing written.
#[tokio::test]
async fn names_that_look_like_an_organisations_label_are_refused() {
    for db in meetinghouse_testkit::databases().await {
        let cal = person(&db, "cal").await;
        for name in POSING {
            let edit = ProfileForm { display_name: name.to_string(), pronouns: "he/him".into(), ..Default::default() };
            let Err(CoreError::Invalid(e)) = profiles::update_profile(&db, &cal, &edit).await else { panic!("{name:?} must be refused on the profile") };
            let m = e.get("display_name").unwrap_or_else(|| panic!("{name:?}: {e}"));
            assert!(m.starts_with("Your name cannot"), "{name:?}: {m}");
            let Err(CoreError::Invalid(e)) = accounts::create_admin(&db, "dee@example.org", "dee", name, "a long enough password").await else {
                panic!("{name:?} must be refused by admin create")
            };
            assert!(e.get("name").is_some_and(|m| m.starts_with("The name cannot")), "{name:?}: {e}");
        }
        let row = people::by_id(&db, cal.id).await.unwrap().unwrap();
        assert_eq!((row.display_name.as_str(), row.pronouns.as_str()), ("cal", ""), "nothing written");
        assert!(people::by_handle(&db, "dee").await.unwrap().is_none());
    }
}

/// Honest names still pass, kept as typed.
#[tokio::test]
async fn honest_names_still_pass() {
    for db in meetinghouse_testkit::databases().await {
        let cal = person(&db, "cal").await;
        for name in HONEST {
            let edit = ProfileForm { display_name: name.to_string(), ..Default::default() };
            profiles::update_profile(&db, &cal, &edit).await.unwrap_or_else(|e| panic!("{name:?}: {e:?}"));
            assert_eq!(people::by_id(&db, cal.id).await.unwrap().unwrap().display_name, *name);
        }
    }
}

/// Blocking or muting someone whose profile the actor may not see (a
/// suspended account, one waiting for approval) is "not found", as the
/// profile is, and saves nothing; an admin, who sees a waiting account's
/// profile, may. An address that names nobody (a line break, a tab, a
/// no-break space before the handle) is "not found" with nothing saved,
/// and what was done names the person by their handle as stored.
#[tokio::test]
async fn blocking_answers_not_found_exactly_when_the_profile_does() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, mia) = (person(&db, "ann").await, admin(&db, "mia").await);
        let (penny, sid, tom) = (person(&db, "penny").await, person(&db, "sid").await, person(&db, "tom").await);
        status(&db, "penny", "pending").await;
        status(&db, "sid", "suspended").await;
        for (who, id) in [("penny", penny.id), ("sid", sid.id)] {
            assert!(matches!(profiles::profile(&db, &s, Some(&ann), who).await, Err(CoreError::NotFound)));
            for action in ["block", "mute", "unblock", "unmute"] {
                let r = moderation::relate(&db, &ann, who, action).await;
                assert!(matches!(r, Err(CoreError::NotFound)), "{who} {action}: {r:?}");
            }
            assert_eq!(moderation::relation(&db, &ann, id).await.unwrap(), (false, false), "{who}: nothing saved");
        }
        // An admin sees a waiting account's profile, so may block it; a suspended one has none.
        assert!(profiles::profile(&db, &s, Some(&mia), "penny").await.is_ok());
        let done = moderation::relate(&db, &mia, "penny", "block").await.unwrap();
        assert_eq!(done.handle, "penny");
        assert!(matches!(moderation::relate(&db, &mia, "sid", "block").await, Err(CoreError::NotFound)));

        for odd in ["\ntom", "\ttom", "\u{a0}tom", "tom\n", "@tom", "to m", ""] {
            assert!(matches!(profiles::profile(&db, &s, Some(&ann), odd).await, Err(CoreError::NotFound)), "{odd:?}");
            let r = moderation::relate(&db, &ann, odd, "mute").await;
            assert!(matches!(r, Err(CoreError::NotFound)), "{odd:?}: {r:?}");
        }
        assert_eq!(moderation::relation(&db, &ann, tom.id).await.unwrap(), (false, false), "nothing saved");
        // The address as typed may differ in case; the answer names the stored handle.
        let done = moderation::relate(&db, &ann, "TOM", "mute").await.unwrap();
        assert_eq!(done.handle, "tom");
        assert!(done.message.starts_with("You muted @tom"), "{}", done.message);
        assert_eq!(moderation::relation(&db, &ann, tom.id).await.unwrap(), (false, true));
        // An unknown action saves nothing and says what to choose.
        let Err(CoreError::Invalid(e)) = moderation::relate(&db, &ann, "tom", "zzz").await else { panic!() };
        assert_eq!(e.get("action"), Some("Choose block, unblock, mute or unmute."));
        assert_eq!(moderation::relation(&db, &ann, tom.id).await.unwrap(), (false, true));
    }
}
