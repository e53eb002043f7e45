//! The safe markdown subset: paragraphs, emphasis, links, lists, quotes and
//! code. Raw HTML in the source is escaped, and the output always passes
//! through ammonia with an allow-list, so nothing else survives.

use std::collections::HashSet;

use pulldown_cmark::{Event, Options, Parser, html};

/// Renders markdown to sanitised HTML. Links get `rel="nofollow ugc noopener"`.
pub fn render(source: &str) -> String {
    let parser = Parser::new_ext(source, Options::empty()).map(|event| match event {
        // Raw HTML is shown as text, never interpreted.
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        // Images become links: pictures come through the media pipeline only.
        other => other,
    });
    let mut raw = String::new();
    html::push_html(&mut raw, parser);
    let tags: HashSet<&str> = [
        "p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("nofollow ugc noopener"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
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
}
