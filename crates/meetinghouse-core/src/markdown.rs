//! The safe markdown subset: paragraphs, emphasis, links, lists, quotes and
//! code. Raw HTML in the source is escaped, and the output always passes
//! through ammonia with an allow-list, so nothing else survives. Images
//! become links that show their alt text: pictures come through the media
//! pipeline only. A link whose address would not survive the allow-list
//! (`javascript:`, `data:`, …) is its text alone.
//!
//! Nesting is bounded for everything rendered, stored text from before the
//! bound included: quotes, lists and emphasis deeper than [`NESTING_MAX`]
//! levels are flattened to their text (the sanitiser's HTML parser takes
//! time that grows with the square of the depth: 9,990 `>` took seconds).
//! Forms that take markdown may refuse such text first ([`nesting`]);
//! replies do.

use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// How many levels quotes, lists and emphasis may nest (a quote in a quote
/// is two; a list in a list item two; a list's items are its own level).
/// Deeper levels are shown as plain text, on lines of their own.
pub const NESTING_MAX: usize = 16;

/// Renders markdown to sanitised HTML. Links get `rel="nofollow ugc noopener"`.
pub fn render(source: &str) -> String {
    let mut raw = String::new();
    html::push_html(&mut raw, events(source).into_iter());
    let tags: HashSet<&str> = [
        "p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    ]
    .into_iter()
    .collect();
    // Only these schemes (or a relative address) keep their `href`; a link
    // with any other is already its text alone (`events`).
    ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("nofollow ugc noopener"))
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .clean(&raw)
        .to_string()
}

/// How deeply a text's quotes, lists and emphasis nest, in the levels of
/// [`NESTING_MAX`]: a form refuses text deeper than that in plain words
/// rather than have its deeper levels flattened. Reads the text once.
pub fn nesting(source: &str) -> usize {
    let (mut open, mut deepest) = (0usize, 0usize);
    for event in Parser::new_ext(source, Options::empty()) {
        match event {
            Event::Start(tag) if nests(&tag) => {
                open += 1;
                deepest = deepest.max(open);
            }
            Event::End(end) if nests_end(end) => open = open.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The schemes a link may have (besides a relative address).
const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Whether the sanitiser keeps `href` as a link's address: by its rule, a
/// relative address or an absolute one with an allowed scheme. A link
/// without one is shown as its text alone, not as an `<a>` that goes
/// nowhere.
fn kept_address(href: &str) -> bool {
    match ammonia::Url::parse(href) {
        Ok(url) => URL_SCHEMES.contains(&url.scheme()),
        Err(ammonia::url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
}

/// The tags that count as a level of [`NESTING_MAX`]: those that can hold
/// themselves.
fn nests(tag: &Tag<'_>) -> bool {
    matches!(tag, Tag::BlockQuote(_) | Tag::List(_) | Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. })
}

fn nests_end(end: TagEnd) -> bool {
    matches!(end, TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image)
}

/// Whether a tag is a block: flattened, its end becomes a line break, so
/// the words of two paragraphs or items do not run together.
fn is_block(end: TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::BlockQuote(_) | TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::List(_) | TagEnd::Item
    )
}

/// What a start tag became, so its end tag matches.
enum Opened {
    /// Written as it came.
    Kept,
    /// Nested deeper than [`NESTING_MAX`], or inside such a tag: left out,
    /// its text kept.
    Flattened,
    Link,
    /// A link whose address the sanitiser would drop: its text alone.
    Unlinked,
    /// An image turned into a link: where its start went, and its address
    /// (the link's text when it has no alt text).
    ImageLink(usize, CowStr<'static>),
    /// An image whose address the sanitiser would drop: its alt text alone
    /// (where it starts, and the address, shown as text when it has none).
    ImageUnlinked(usize, CowStr<'static>),
    /// An image inside a link: only its alt text is kept (a link cannot
    /// hold another).
    ImageText,
}

/// The source's events, with raw HTML as text, images as links, links
/// whose address would be dropped as their text, and levels past
/// [`NESTING_MAX`] flattened.
fn events(source: &str) -> Vec<Event<'_>> {
    let mut out: Vec<Event<'_>> = Vec::new();
    let mut open: Vec<Opened> = Vec::new();
    // Levels open as written, and tags open inside a flattened one.
    let (mut levels, mut flat) = (0usize, 0usize);
    for event in Parser::new_ext(source, Options::empty()) {
        match event {
            // Raw HTML is shown as text, never interpreted.
            Event::Html(h) | Event::InlineHtml(h) => out.push(Event::Text(h)),
            Event::Start(tag) if flat > 0 || (nests(&tag) && levels >= NESTING_MAX) => {
                open.push(Opened::Flattened);
                flat += 1;
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                if kept_address(&dest_url) {
                    open.push(Opened::Link);
                    levels += 1;
                    out.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
                } else {
                    open.push(Opened::Unlinked);
                }
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                if open.iter().any(|o| matches!(o, Opened::Link | Opened::ImageLink(..))) {
                    open.push(Opened::ImageText);
                } else if kept_address(&dest_url) {
                    open.push(Opened::ImageLink(out.len(), CowStr::from(dest_url.to_string())));
                    levels += 1;
                    out.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
                } else {
                    open.push(Opened::ImageUnlinked(out.len(), CowStr::from(dest_url.to_string())));
                }
            }
            Event::Start(tag) => {
                if nests(&tag) {
                    levels += 1;
                }
                open.push(Opened::Kept);
                out.push(Event::Start(tag));
            }
            Event::End(end) => match open.pop() {
                Some(Opened::Flattened) => {
                    flat -= 1;
                    // One line break where a block ended, after some text.
                    if is_block(end) && !matches!(out.last(), None | Some(Event::HardBreak | Event::Start(_))) {
                        out.push(Event::HardBreak);
                    }
                }
                Some(Opened::Kept) => {
                    if nests_end(end) {
                        levels -= 1;
                    }
                    out.push(Event::End(end));
                }
                Some(Opened::Link) => {
                    levels -= 1;
                    out.push(Event::End(TagEnd::Link));
                }
                Some(Opened::ImageLink(start, dest)) => {
                    levels -= 1;
                    if start + 1 == out.len() {
                        out.push(Event::Text(dest));
                    }
                    out.push(Event::End(TagEnd::Link));
                }
                Some(Opened::ImageUnlinked(start, dest)) => {
                    if start == out.len() {
                        out.push(Event::Text(dest));
                    }
                }
                Some(Opened::Unlinked | Opened::ImageText) | None => {}
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{NESTING_MAX, nesting, render};

    /// How deeply the elements of some HTML nest (void ones aside).
    fn depth(html: &str) -> usize {
        let (mut open, mut deepest) = (0usize, 0usize);
        for tag in html.split('<').skip(1) {
            let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '/').collect();
            match name.as_str() {
                "br" | "hr" | "" => {}
                n if n.starts_with('/') => open = open.saturating_sub(1),
                _ => {
                    open += 1;
                    deepest = deepest.max(open);
                }
            }
        }
        deepest
    }

    /// Text nested far past the bound (each within a reply's 10,000
    /// characters) renders to HTML whose depth and size are bounded: the
    /// levels past [`NESTING_MAX`] are flattened, their words kept. (9,990
    /// `>` took seconds to sanitise and made 270 KB of HTML before.)
    #[test]
    fn deep_nesting_is_flattened_to_a_bounded_depth() {
        let quotes = ">".repeat(9_990);
        let out = render(&quotes);
        assert_eq!(out.matches("<blockquote>").count(), NESTING_MAX, "{}", &out[..out.len().min(400)]);
        assert!(depth(&out) <= NESTING_MAX + 2, "depth {}", depth(&out));
        assert!(out.len() < 1_000, "{} bytes", out.len());
        let cases = [
            format!("{} the deepest words", ">".repeat(9_960)),
            "- ".repeat(4_995) + "item",
            "1. ".repeat(3_300) + "item",
            "> - ".repeat(2_490) + "item",
            format!("{}a{}", "*".repeat(4_990), "*".repeat(4_990)),
            "[*".repeat(3_000),
            "> ".repeat(30) + "a\n\n" + &"> ".repeat(30) + "b",
        ];
        for source in &cases {
            assert!(source.len() <= 10_000);
            let out = render(source);
            // A level is at most a quote, or a list and its item, plus a
            // paragraph and an emphasis around the text.
            assert!(depth(&out) <= 2 * NESTING_MAX + 4, "depth {} for {}…", depth(&out), &source[..20]);
            assert!(out.len() < 4 * source.len() + 1_000, "{} bytes for {}…", out.len(), &source[..20]);
        }
        assert!(render(&cases[0]).contains("the deepest words"), "flattened words are kept");
        let two = render(&cases[6]);
        assert!(two.contains('a') && two.contains('b') && two.contains("<br"), "flattened paragraphs keep a line break between them: {two}");
        // Up to the bound nothing changes.
        let fine = format!("{} quoted", "> ".repeat(NESTING_MAX));
        assert_eq!(render(&fine).matches("<blockquote>").count(), NESTING_MAX);
    }

    #[test]
    fn nesting_counts_levels() {
        assert_eq!(nesting("plain words"), 0);
        assert_eq!(nesting("> a quote"), 1);
        assert_eq!(nesting("> > - *a quoted item*"), 4);
        assert_eq!(nesting(&">".repeat(9_990)), 9_990);
        assert_eq!(nesting(&format!("{}a", "> ".repeat(NESTING_MAX))), NESTING_MAX);
    }

    /// A link the sanitiser would strip the address from is its text alone,
    /// never an `<a>` that goes nowhere.
    #[test]
    fn unsafe_links_are_plain_text() {
        for source in [
            "[click](javascript:alert(1))",
            "[c2](JaVaScRiPt:alert(1))",
            "[d](data:text/html;base64,PHNjcmlwdD4=)",
            "[v](vbscript:msgbox)",
            "<javascript:alert(1)>",
            "[x][1]\n\n[1]: javascript:alert(1)",
        ] {
            let out = render(source);
            assert!(!out.contains("<a"), "{source} → {out}");
            assert!(!out.contains("href"), "{source} → {out}");
        }
        assert!(render("[click](javascript:alert(1))").contains("click"));
        // Safe ones stay links.
        for source in ["[a](https://example.org)", "[b](/stories/1)", "[m](mailto:a@example.org)", "<http://example.org>"] {
            assert!(render(source).contains("href="), "{source}");
        }
    }

    #[test]
    fn keeps_the_subset() {
        let out = render("Hello *there* [site](https://example.org)\n\n- a\n- b\n\n> quote");
        assert!(out.contains("<em>there</em>"));
        assert!(out.contains(r#"href="https://example.org""#));
        assert!(out.contains("nofollow ugc"));
        assert!(out.contains("<li>a</li>"));
        assert!(out.contains("<blockquote>"));
    }

    #[test]
    fn removes_scripts_and_handlers() {
        let out = render("<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))");
        assert!(!out.contains("<script"));
        assert!(!out.contains("<img"));
        assert!(!out.contains("href=\"javascript"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "raw HTML is shown as text: {out}");
    }

    #[test]
    fn images_become_links_showing_their_alt_text() {
        let out = render("See ![the lock at dusk](https://example.org/lock.jpg) here.");
        assert!(out.contains(r#"href="https://example.org/lock.jpg""#), "{out}");
        assert!(out.contains(">the lock at dusk</a>"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        // No alt text: the address is the link's text, never an empty link.
        let out = render("![](https://example.org/a.jpg)");
        assert!(out.contains(">https://example.org/a.jpg</a>"), "{out}");
        // Unsafe schemes lose the address and keep the text.
        let out = render("![a kitten](javascript:alert(1))");
        assert!(out.contains("a kitten") && !out.contains("javascript"), "{out}");
        // An image inside a link is its alt text, inside the one link.
        let out = render("[![Build status](https://ci.example/badge.svg)](https://ci.example/)");
        assert_eq!(out.matches("<a ").count(), 1, "{out}");
        assert!(out.contains(r#"href="https://ci.example/""#) && out.contains("Build status</a>"), "{out}");
    }
}
