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

/// A feed's version: a hash of the bytes it would send, quoted as an ETag.
/// It moves with anything a reader would see change — an entry added,
/// edited or gone, an author's new name — where a date of the newest entry
/// would not move when an older one is deleted.
pub fn etag(body: &str) -> String {
    format!("\"{}\"", &meetinghouse_core::secrets::token_hash(body)[..32])
}

/// The headers that let a feed be kept: `Cache-Control`, its `ETag` and,
/// when something in it has a time, `Last-Modified` (for information: a
/// reader's `If-Modified-Since` is not answered with 304, since a deleted
/// entry does not move that date; its `If-None-Match` is).
pub fn cache_headers(headers: &mut HeaderMap, etag: &str, last_modified: Option<i64>) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
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
    use super::{etag, http_date, xml};
    use crate::page::etag_matches;
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn http_dates() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn a_feed_is_not_modified_only_for_its_own_version() {
        let (tag, other) = (etag("<feed>a</feed>"), etag("<feed>b</feed>"));
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34, "{tag}");
        assert_ne!(tag, other, "any change to the bytes changes the tag");
        let mut h = HeaderMap::new();
        assert!(!etag_matches(&h, &tag), "nothing asked: send it");
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&format!("{other}, W/{tag}")).unwrap());
        assert!(etag_matches(&h, &tag), "a list, and a weak tag, are read");
        assert!(!etag_matches(&h, &etag("<feed>c</feed>")));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(etag_matches(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("garbage"));
        assert!(!etag_matches(&h, &tag), "a tag that cannot be ours: send it");
    }

    #[test]
    fn drops_every_character_xml_forbids() {
        assert_eq!(xml("a\u{0}b\u{1}c\u{1F}d\u{FFFE}e\u{FFFF}f"), "abcdef");
        assert_eq!(xml("tab\tline\nreturn\r"), "tab\tline\nreturn\r");
        assert_eq!(xml("\u{7F}\u{85}\u{D7FF}\u{E000}\u{FFFD}\u{10000}\u{10FFFF}"), "\u{7F}\u{85}\u{D7FF}\u{E000}\u{FFFD}\u{10000}\u{10FFFF}");
        assert_eq!(xml("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
    }
}
