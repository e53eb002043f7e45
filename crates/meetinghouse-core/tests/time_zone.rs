//! The meeting house's time zone, on every configured backend. This file is
//! its own test program, so it sets the zone once (as `main` does at start)
//! without touching the other tests, which run on UTC.
use meetinghouse_core::clock::{self, Zone};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::prompts::{self, PromptForm};
use meetinghouse_core::settings::Settings;

mod common;
use common::person;

/// 2026-06-21T00:00:00Z.
const MIDSUMMER_UTC: i64 = 1_782_000_000;
const HOUR: i64 = 3_600;

fn london() {
    clock::set_zone(Zone::parse("Europe/London").unwrap());
    assert_eq!(clock::zone().name(), "Europe/London", "the zone is set once, first");
}

#[tokio::test]
async fn a_prompt_opens_and_closes_on_the_towns_midnights() {
    london();
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        // Summer (BST, UTC+1) to the day the clocks go back (25 hours long).
        let ask = PromptForm {
            speak_as: "org:museum".into(),
            question: "What did you do in the summer?".into(),
            opens: "2026-06-21".into(),
            closes: "2036-10-26".into(),
            ..Default::default()
        };
        let id = prompts::create(&db, &s, &sam, &ask).await.unwrap();
        let p = meetinghouse_store::prompts::by_id(&db, id).await.unwrap().unwrap();
        // Midnight in London on 21 June is 23:00 UTC on the 20th.
        assert_eq!(p.opens_at, MIDSUMMER_UTC - HOUR);
        // The last day is Sunday 26 October 2036 (GMT after 01:00): it takes
        // stories until midnight GMT that night.
        let last_day = clock::zone().start_of(chrono::NaiveDate::from_ymd_opt(2036, 10, 26).unwrap()).unwrap();
        assert_eq!(p.closes_at, Some(last_day + 25 * HOUR), "the day the clocks go back is 25 hours long");
        assert_eq!(clock::zone().day_of(p.closes_at.unwrap() - 1).unwrap().to_string(), "2036-10-26");
        // People read the dates on the town's clock.
        assert_eq!(meetinghouse_core::format_date(p.opens_at), "21 June 2026");
        assert_eq!(meetinghouse_core::format_date(p.closes_at.unwrap() - 1), "26 October 2036");
        // Stories are refused a second before it opens, in its own words.
        let early = prompts::accepting(&p, p.opens_at - 1).unwrap_err();
        assert!(early.contains("opens on 21 June 2026"), "{early}");
    }
}
