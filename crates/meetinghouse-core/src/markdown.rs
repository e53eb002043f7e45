//! The safe markdown subset: paragraphs, emphasis, links, lists, quotes and
//! code. Raw HTML in the source is escaped, and the output always passes
//! through ammonia with an allow-list, so nothing else survives. Images
//! become links that show their alt text: pictures come through the media
//! pipeline only.

use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

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
    // with any other keeps its text and loses the address.
    ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("nofollow ugc noopener"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
}

/// What a start tag became, so its end tag matches.
enum Opened {
    Link,
    /// An image turned into a link: where its start went, and its address
    /// (the link's text when it has no alt text).
    ImageLink(usize, CowStr<'static>),
    /// An image inside a link: only its alt text is kept (a link cannot
    /// hold another).
    ImageText,
}

/// The source's events, with raw HTML as text and images as links.
fn events(source: &str) -> Vec<Event<'_>> {
    let mut out: Vec<Event<'_>> = Vec::new();
    let mut open: Vec<Opened> = Vec::new();
    for event in Parser::new_ext(source, Options::empty()) {
        match event {
            // Raw HTML is shown as text, never interpreted.
            Event::Html(h) | Event::InlineHtml(h) => out.push(Event::Text(h)),
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                open.push(Opened::Link);
                out.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
            }
            Event::End(TagEnd::Link) => {
                open.pop();
                out.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                if open.iter().any(|o| !matches!(o, Opened::ImageText)) {
                    open.push(Opened::ImageText);
                } else {
                    open.push(Opened::ImageLink(out.len(), CowStr::from(dest_url.to_string())));
                    out.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
                }
            }
            Event::End(TagEnd::Image) => {
                if let Some(Opened::ImageLink(start, dest)) = open.pop() {
                    if start + 1 == out.len() {
                        out.push(Event::Text(dest));
                    }
                    out.push(Event::End(TagEnd::Link));
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

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
