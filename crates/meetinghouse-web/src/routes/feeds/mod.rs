//! Machine-readable views: Atom feeds of new stories, robots.txt and the
//! sitemap. None of them sets a cookie (see `middleware::observe`), so
//! shared caches may keep them; feeds say when they last changed.
pub mod atom;
pub mod robots;
pub mod sitemap;

use axum::http::{HeaderMap, HeaderValue, header};

/// How long anyone (a browser, a proxy, a feed reader's server) may keep a
/// feed, the sitemap or robots.txt: five minutes.
pub const CACHE_CONTROL: &str = "public, max-age=300";

/// Unix seconds as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), as
/// `Last-Modified` wants.
pub fn http_date(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).unwrap_or_default()
}

/// Whether the reader has the version last changed at `ts` already: its
/// `If-Modified-Since` is that time or later. (HTTP dates count whole
/// seconds, as stored times do.)
pub fn not_modified_since(headers: &HeaderMap, ts: i64) -> bool {
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v.trim()).ok())
        .is_some_and(|since| since.timestamp() >= ts)
}

/// The headers that let a feed be kept: `Cache-Control` and, when something
/// in it has a time, `Last-Modified`.
pub fn cache_headers(headers: &mut HeaderMap, last_modified: Option<i64>) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if let Some(ts) = last_modified
        && let Ok(v) = HeaderValue::from_str(&http_date(ts))
    {
        headers.insert(header::LAST_MODIFIED, v);
    }
}

/// Escapes text for XML content and attributes.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if xml_char(c) => out.push(c),
            // Characters XML 1.0 forbids are dropped: one would make the
            // whole feed unreadable.
            _ => {}
        }
    }
    out
}

/// Whether XML 1.0 allows a character (its `Char` production: tab, line
/// feed, carriage return, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 and above;
/// surrogates cannot occur in a Rust string).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Unix seconds as RFC 3339, as Atom and sitemaps want.
pub fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{http_date, not_modified_since, xml};
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn http_dates_both_ways() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        let mut h = HeaderMap::new();
        assert!(!not_modified_since(&h, 784_111_777), "no date: send it");
        h.insert(header::IF_MODIFIED_SINCE, HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert!(not_modified_since(&h, 784_111_777));
        assert!(not_modified_since(&h, 784_111_776));
        assert!(!not_modified_since(&h, 784_111_778), "changed since");
        h.insert(header::IF_MODIFIED_SINCE, HeaderValue::from_static("yesterday"));
        assert!(!not_modified_since(&h, 0), "a date that cannot be read: send it");
    }

    #[test]
    fn drops_every_character_xml_forbids() {
        assert_eq!(xml("a\u{0}b\u{1}c\u{1F}d\u{FFFE}e\u{FFFF}f"), "abcdef");
        assert_eq!(xml("tab\tline\nreturn\r"), "tab\tline\nreturn\r");
        assert_eq!(xml("\u{7F}\u{85}\u{D7FF}\u{E000}\u{FFFD}\u{10000}\u{10FFFF}"), "\u{7F}\u{85}\u{D7FF}\u{E000}\u{FFFD}\u{10000}\u{10FFFF}");
        assert_eq!(xml("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
    }
}
