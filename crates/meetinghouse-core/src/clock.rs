//! The meeting house's time zone: the one the town lives in. Dates people
//! read ("3 March 2026", "14:05 BST") and dates people type (a prompt opens on
//! 2026-03-31) are in it; timestamps are stored as unix seconds and machine
//! formats (exports, feeds) stay in UTC.
//!
//! The zone is set once when the program starts (`--time-zone`), before any
//! page is drawn, and is the same for every reader: pages are shared and
//! cached, and a town shares a clock. The zone database is compiled in, so a
//! machine without `/usr/share/zoneinfo` knows every IANA name.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use jiff::tz::TimeZone;

/// A named IANA time zone ("Europe/London", "UTC").
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

static ZONE: OnceLock<Zone> = OnceLock::new();

impl Zone {
    /// The zone with this IANA name; an error in plain words otherwise.
    pub fn parse(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("The time zone is empty: give an IANA name such as Europe/London or UTC.".into());
        }
        match TimeZone::get(name) {
            Ok(tz) => Ok(Zone { name: name.to_string(), tz }),
            Err(_) => Err(format!("“{name}” is not a time zone this program knows: give an IANA name such as Europe/London, Europe/Dublin or UTC.")),
        }
    }

    pub fn utc() -> Zone {
        Zone { name: "UTC".into(), tz: TimeZone::UTC }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn civil(&self, ts: i64) -> Option<jiff::Zoned> {
        jiff::Timestamp::from_second(ts).ok().map(|t| t.to_zoned(self.tz.clone()))
    }

    /// The calendar day a moment falls on, here.
    pub fn day_of(&self, ts: i64) -> Option<NaiveDate> {
        let z = self.civil(ts)?;
        NaiveDate::from_ymd_opt(z.year().into(), z.month() as u32, z.day() as u32)
    }

    /// The first moment of a calendar day, here. A day whose midnight is
    /// skipped by a clock change starts when the clocks go forward.
    pub fn start_of(&self, day: NaiveDate) -> Option<i64> {
        let year = i16::try_from(day.year()).ok()?;
        let date = jiff::civil::Date::new(year, day.month() as i8, day.day() as i8).ok()?;
        date.to_zoned(self.tz.clone()).ok().map(|z| z.timestamp().as_second())
    }

    /// The first moment of the day a moment falls on, here.
    pub fn start_of_day(&self, ts: i64) -> Option<i64> {
        self.start_of(self.day_of(ts)?)
    }

    /// "3 March 2026".
    pub fn date(&self, ts: i64) -> String {
        self.civil(ts).map(|z| z.strftime("%-d %B %Y").to_string()).unwrap_or_default()
    }

    /// "3 Mar 2026 14:05 GMT": the zone's abbreviation says which clock.
    pub fn datetime(&self, ts: i64) -> String {
        self.civil(ts).map(|z| z.strftime("%-d %b %Y %H:%M %Z").to_string()).unwrap_or_default()
    }
}

/// Sets the meeting house's zone. Only the first call counts (the program
/// sets it once at start); later calls return false.
pub fn set_zone(zone: Zone) -> bool {
    ZONE.set(zone).is_ok()
}

/// The meeting house's zone: UTC until one is set.
pub fn zone() -> &'static Zone {
    ZONE.get_or_init(Zone::utc)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::Zone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn london_days_follow_its_clock_changes() {
        let london = Zone::parse("Europe/London").unwrap();
        // Winter: London is on UTC.
        assert_eq!(london.start_of(day(2026, 1, 15)), Some(1_768_435_200));
        // Summer: midnight in London is 23:00 UTC the day before.
        let midsummer = london.start_of(day(2026, 6, 21)).unwrap();
        // (2026-06-21T00:00Z is 1,782,000,000.)
        assert_eq!(midsummer, 1_782_000_000 - 3_600);
        assert_eq!(london.day_of(midsummer), Some(day(2026, 6, 21)));
        assert_eq!(london.day_of(midsummer - 1), Some(day(2026, 6, 20)));
        // The day the clocks go forward is 23 hours long, the day they go back 25.
        let spring = london.start_of(day(2026, 3, 29)).unwrap();
        assert_eq!(london.start_of(day(2026, 3, 30)).unwrap() - spring, 23 * 3_600);
        let autumn = london.start_of(day(2026, 10, 25)).unwrap();
        assert_eq!(london.start_of(day(2026, 10, 26)).unwrap() - autumn, 25 * 3_600);
        assert_eq!(london.datetime(midsummer + 14 * 3_600 + 300), "21 Jun 2026 14:05 BST");
        assert_eq!(london.datetime(1_768_435_200 + 14 * 3_600 + 300), "15 Jan 2026 14:05 GMT");
        assert_eq!(london.date(midsummer), "21 June 2026");
        assert_eq!(Zone::utc().date(midsummer), "20 June 2026");
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_when_the_clocks_go_forward() {
        // Santiago moved its clocks from 00:00 to 01:00 on 7 September 2025.
        let santiago = Zone::parse("America/Santiago").unwrap();
        let start = santiago.start_of(day(2025, 9, 7)).unwrap();
        assert_eq!(santiago.day_of(start), Some(day(2025, 9, 7)));
        assert_eq!(santiago.day_of(start - 1), Some(day(2025, 9, 6)));
        assert!(santiago.datetime(start).contains("01:00"), "{}", santiago.datetime(start));
    }

    #[test]
    fn unknown_names_are_refused_in_plain_words() {
        for bad in ["", "  ", "Europe/Tiverton", "GMT+25", "../../etc/passwd"] {
            let err = Zone::parse(bad).unwrap_err();
            assert!(err.contains("IANA name"), "{bad}: {err}");
        }
        assert_eq!(Zone::parse(" Europe/London ").unwrap().name(), "Europe/London");
        assert_eq!(Zone::parse("UTC").unwrap().date(0), "1 January 1970");
    }

    #[test]
    fn out_of_range_moments_give_nothing_rather_than_panic() {
        let london = Zone::parse("Europe/London").unwrap();
        assert_eq!(london.date(i64::MAX), "");
        assert_eq!(london.datetime(i64::MIN), "");
        assert_eq!(london.day_of(i64::MAX), None);
        assert_eq!(london.start_of(NaiveDate::MAX), None);
    }
}
