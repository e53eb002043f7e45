//! Machine-readable views: Atom feeds of new stories and the sitemap.
pub mod atom;
pub mod sitemap;

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
    use super::xml;

    #[test]
    fn drops_every_character_xml_forbids() {
        assert_eq!(xml("a\u{0}b\u{1}c\u{1F}d\u{FFFE}e\u{FFFF}f"), "abcdef");
        assert_eq!(xml("tab\tline\nreturn\r"), "tab\tline\nreturn\r");
        assert_eq!(xml("\u{7F}\u{85}\u{D7FF}\u{E000}\u{FFFD}\u{10000}\u{10FFFF}"), "\u{7F}\u{85}\u{D7FF}\u{E000}\u{FFFD}\u{10000}\u{10FFFF}");
        assert_eq!(xml("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
    }
}
