//! Search over public stories, collection objects and prompts (for
//! everyone, or for a public group): folding for accent- and
//! case-insensitive matching, the query, and highlighted snippets of the
//! text as readers see it.

use meetinghouse_store::search::{self as store, Document, Hit};
use meetinghouse_store::{Db, Tx};

use crate::error::Result;

/// Results per page.
pub const PER_PAGE: i64 = 20;
/// Longest query accepted, in characters; extra words are ignored.
pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_QUERY_WORDS: usize = 8;

/// Lower-cases a character and removes its accent, one character for one
/// character, so positions in folded text match positions in the original.
/// A letter whose canonical decomposition is a base letter and combining
/// marks becomes the base letter (é, ș, ệ, ǘ); letters with a stroke, which
/// do not decompose, are listed. Hangul syllables, which decompose into
/// letters rather than marks, stay whole.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let c = c.to_lowercase().next().unwrap_or(c);
    match c {
        'ø' => 'o',
        'đ' => 'd',
        'ħ' => 'h',
        'ı' => 'i',
        'ł' | 'ŀ' => 'l',
        'ŧ' => 't',
        other => base_letter(other),
    }
}

/// The base letter of a letter with combining marks, or the letter itself.
fn base_letter(c: char) -> char {
    use unicode_normalization::char::{decompose_canonical, is_combining_mark};
    let (mut base, mut only_marks_after) = (None, true);
    decompose_canonical(c, |d| match base {
        None => base = Some(d),
        Some(_) => only_marks_after &= is_combining_mark(d),
    });
    match base {
        Some(b) if b != c && only_marks_after && b.is_alphabetic() => b,
        _ => c,
    }
}

pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// The text the index matches against: folded, with everything but letters
/// and digits turned into spaces. A query is split into words the same way
/// ([`words`]), and so both backends see the same words: PostgreSQL's parser
/// would otherwise keep `tiverton.museum`, `1987.45.2` or `a/b` as one token
/// where SQLite's splits them.
pub fn index_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            let f = fold_char(c);
            if f.is_alphanumeric() { f } else { ' ' }
        })
        .collect()
}

/// The words of a query, folded: letters and digits only.
pub fn words(query: &str) -> Vec<String> {
    let q: String = query.chars().take(MAX_QUERY_CHARS).collect();
    fold(&q)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_QUERY_WORDS)
        .map(str::to_string)
        .collect()
}

/// A piece of text to show, with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet(pub Vec<(String, bool)>);

/// Cuts a window of about `width` characters around the first match and marks
/// every whole-word match of `words` in it.
/// How far back a snippet's start may move to begin at a word.
const WORD_BACKTRACK: usize = 20;

pub fn snippet(text: &str, words: &[String], width: usize) -> Snippet {
    let chars: Vec<char> = text.chars().collect();
    let folded: Vec<char> = chars.iter().map(|c| fold_char(*c)).collect();
    let is_word = |c: char| c.is_alphanumeric();
    // Find word boundaries and which words match.
    let mut spans = Vec::new();
    let mut i = 0;
    while i < folded.len() {
        if is_word(folded[i]) {
            let start = i;
            while i < folded.len() && is_word(folded[i]) {
                i += 1;
            }
            let w: String = folded[start..i].iter().collect();
            if words.contains(&w) {
                spans.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    let first = spans.first().map(|s| s.0).unwrap_or(0);
    // Start a third of the width before the first match, moved back to the
    // start of a word when one is near; text without spaces (Japanese, a
    // long address) starts where it was cut.
    let cut = first.saturating_sub(width / 3);
    let mut from = cut;
    while from > 0 && cut - from < WORD_BACKTRACK && !chars[from - 1].is_whitespace() {
        from -= 1;
    }
    if from > 0 && !chars[from - 1].is_whitespace() {
        from = cut;
    }
    let to = (from + width).min(chars.len());
    let mut parts = Vec::new();
    if from > 0 {
        parts.push(("… ".to_string(), false));
    }
    let mut at = from;
    for (s, e) in spans.into_iter().filter(|(s, e)| *s >= from && *e <= to) {
        if s > at {
            parts.push((chars[at..s].iter().collect(), false));
        }
        parts.push((chars[s..e].iter().collect(), true));
        at = e;
    }
    if at < to {
        parts.push((chars[at..to].iter().collect(), false));
    }
    if to < chars.len() {
        parts.push((" …".to_string(), false));
    }
    Snippet(parts)
}

/// Adds or replaces a public document in the index.
pub async fn index(
    tx: &mut Tx,
    db: &Db,
    kind: &str,
    ref_id: i64,
    title: &str,
    body: &str,
    created_at: i64,
) -> Result<()> {
    let (tf, bf) = (index_text(title), index_text(body));
    let doc = Document {
        kind,
        ref_id,
        title,
        body,
        title_folded: &tf,
        body_folded: &bf,
        created_at,
    };
    store::upsert(tx, db.backend(), &doc).await?;
    Ok(())
}

/// Indexes many documents of one kind at once: (ref id, title, body, created
/// at). `fresh` says none of them is indexed yet, which skips the deletes.
pub async fn index_many(
    tx: &mut Tx,
    db: &Db,
    kind: &str,
    docs: &[(i64, &str, &str, i64)],
    fresh: bool,
) -> Result<()> {
    let folded: Vec<(String, String)> =
        docs.iter().map(|(_, t, b, _)| (index_text(t), index_text(b))).collect();
    let docs: Vec<Document<'_>> = docs
        .iter()
        .zip(&folded)
        .map(|((ref_id, title, body, created_at), (tf, bf))| Document {
            kind,
            ref_id: *ref_id,
            title,
            body,
            title_folded: tf,
            body_folded: bf,
            created_at: *created_at,
        })
        .collect();
    store::upsert_many(tx, db.backend(), kind, &docs, fresh).await?;
    Ok(())
}

/// Indexes many documents whose index text ([`index_text`]) the caller has
/// already made (the import makes it on its reader thread, beside the
/// database writes).
pub async fn index_many_folded(
    tx: &mut Tx,
    db: &Db,
    kind: &str,
    docs: &[Document<'_>],
    fresh: bool,
) -> Result<()> {
    store::upsert_many(tx, db.backend(), kind, docs, fresh).await?;
    Ok(())
}

/// What [`index_text`] makes, by version; stored in the instance settings
/// once every document's index text is of this version.
const INDEX_TEXT_VERSION: &str = "2";
const INDEX_TEXT_KEY: &str = "search_index_text";

/// Makes every document's index text again when it was made by an older
/// [`index_text`] (version 1 kept punctuation and fewer accents), in pages
/// of 500, each in its own transaction; returns how many it remade.
/// Idempotent, and safe to run on several servers at once: each writes the
/// same text. Run after migrations. First indexes the prompts of public
/// groups stored before they were indexed ([`index_group_prompts`]).
pub async fn refresh_index_text(db: &Db) -> Result<u64> {
    let added = index_group_prompts(db).await?;
    if meetinghouse_store::settings::get(db, INDEX_TEXT_KEY).await?.as_deref() == Some(INDEX_TEXT_VERSION) {
        return Ok(added);
    }
    let (mut after, mut done) = (0, 0);
    loop {
        let page = store::documents_after(db, after, 500).await?;
        let Some(&(last, _, _)) = page.last() else { break };
        let mut tx = db.begin().await?;
        for (id, title, body) in &page {
            store::set_index_text(&mut tx, db.backend(), *id, &index_text(title), &index_text(body)).await?;
        }
        tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
        done += page.len() as u64;
        after = last;
    }
    let mut tx = db.begin().await?;
    meetinghouse_store::settings::put(&mut tx, INDEX_TEXT_KEY, INDEX_TEXT_VERSION).await?;
    tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
    Ok(done)
}

const GROUP_PROMPTS_KEY: &str = "search_group_prompts";

/// Indexes, once, the prompts of public groups (whose pages are public),
/// which were left out of the index before; returns how many. Idempotent:
/// indexing one again replaces it.
async fn index_group_prompts(db: &Db) -> Result<u64> {
    if meetinghouse_store::settings::get(db, GROUP_PROMPTS_KEY).await?.is_some() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let prompts = meetinghouse_store::prompts::of_public_groups(&mut tx).await?;
    for (id, question, description, created_at) in &prompts {
        index(&mut tx, db, "prompt", *id, question, description, *created_at).await?;
    }
    meetinghouse_store::settings::put(&mut tx, GROUP_PROMPTS_KEY, "1").await?;
    tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
    Ok(prompts.len() as u64)
}

pub async fn unindex(tx: &mut Tx, db: &Db, kind: &str, ref_id: i64) -> Result<()> {
    store::remove(tx, db.backend(), kind, ref_id).await?;
    Ok(())
}

/// One search result.
#[derive(Debug, Clone)]
pub struct Result_ {
    pub kind: String,
    /// What it is, in words: "Story", "Collection object" or "Prompt".
    pub kind_label: &'static str,
    pub url: String,
    pub title: String,
    /// The title with matched words marked.
    pub title_marked: Snippet,
    /// A piece of the text, as readers see it (without Markdown's marks),
    /// with matched words marked.
    pub snippet: Snippet,
    pub created_at: i64,
}

/// A kind of document in words.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "story" => "Story",
        "prompt" => "Prompt",
        _ => "Collection object",
    }
}

/// One page of results.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub items: Vec<Result_>,
    /// Whether a later page has more.
    pub more: bool,
    /// Whether the query matched more than the newest
    /// `store::search::RANK_WINDOW` documents that a query with a common
    /// word reaches ([`capped_note`]).
    pub capped: bool,
}

/// What a search whose results were cut ([`Results::capped`]) says.
pub fn capped_note() -> String {
    format!(
        "Only the newest {} matches are shown, since a word you searched for is common. Add another word to find older ones.",
        store::RANK_WINDOW
    )
}

/// Runs a search; `kind` is `story`, `object`, `prompt` or empty for all.
/// Returns one page of results and whether a later page has more.
pub async fn search(db: &Db, query: &str, kind: &str, page: i64) -> Result<(Vec<Result_>, bool)> {
    let r = search_page(db, query, kind, page).await?;
    Ok((r.items, r.more))
}

/// [`search`], also saying whether the results were cut ([`Results::capped`]).
pub async fn search_page(db: &Db, query: &str, kind: &str, page: i64) -> Result<Results> {
    let words = words(query);
    let kind = ["story", "object", "prompt"]
        .contains(&kind)
        .then_some(kind);
    let found = store::query(db, &words, kind, PER_PAGE + 1, (page.max(1) - 1) * PER_PAGE).await?;
    let hits: Vec<Hit> = found.hits;
    let more = hits.len() as i64 > PER_PAGE;
    let mut out = Vec::new();
    // A prompt is indexed while its page is public (for everyone, or for a
    // public group: `prompts::is_public`); the store's query shows one
    // only while it is, whatever the index holds, before the page is cut,
    // so a page is full while a later one has results.
    for h in hits.into_iter().take(PER_PAGE as usize) {
        let url = match h.kind.as_str() {
            "story" => format!("/stories/{}", h.ref_id),
            "prompt" => format!("/prompts/{}", h.ref_id),
            _ => format!("/objects/{}", h.ref_id),
        };
        out.push(Result_ {
            title_marked: snippet(&h.title, &words, 1_000),
            // Stories and prompts are written in Markdown; an object's
            // text is shown as it was imported.
            snippet: match h.kind.as_str() {
                "object" => snippet(&h.body, &words, 220),
                _ => snippet(&plain_text(&h.body), &words, 220),
            },
            kind_label: kind_label(&h.kind),
            kind: h.kind,
            url,
            title: h.title,
            created_at: h.created_at,
        });
    }
    Ok(Results { items: out, more, capped: found.capped })
}

/// Markdown as the words a reader sees: the text of paragraphs, links,
/// list items and code, with no marks (`**`, `#`, `[…](…)`), blocks and
/// line breaks as single spaces. Raw HTML stays as its text, as pages show it.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, TagEnd};
    let mut out = String::with_capacity(markdown.len());
    let space = |out: &mut String| {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    };
    for event in Parser::new_ext(markdown, Options::empty()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => space(&mut out),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::BlockQuote(_) | TagEnd::CodeBlock) => space(&mut out),
            _ => {}
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_positions() {
        assert_eq!(fold("Café Crème"), "cafe creme");
        assert_eq!(fold("Brașov, Łódź, Việt Nam, Ørsted, ǘ"), "brasov, lodz, viet nam, orsted, u");
        assert_eq!(fold("한국 Καλημέρα"), "한국 καλημερα", "Hangul stays whole; Greek loses its accent");
        for s in ["Brașov", "ệ", "한국", "Ǘ"] {
            assert_eq!(fold(s).chars().count(), s.chars().count(), "{s}");
        }
        assert_eq!(fold("Zoë").chars().count(), "Zoë".chars().count());
        assert_eq!(
            words("  Café, \"crème\" OR * NEAR("),
            vec!["cafe", "creme", "or", "near"]
        );
    }

    #[test]
    fn index_text_has_the_words_a_query_has() {
        assert_eq!(index_text("Visit tiverton.museum: 1987.45.2 (l’église)"), "visit tiverton museum  1987 45 2  l eglise ");
        let text = index_text("A@B.org co-op");
        let indexed: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
        assert_eq!(indexed, words("a@b.org co-op"));
    }

    #[test]
    fn snippets_are_text_as_readers_see_it() {
        assert_eq!(
            plain_text("# A title\n\nSome **bold** and _soft_ words, a [link](https://example.org) and `code`.\n\n- one\n- two\n\n> quoted\nline"),
            "A title Some bold and soft words, a link and code. one two quoted line"
        );
        assert_eq!(plain_text("1 < 2 <b>not bold</b>"), "1 < 2 <b>not bold</b>", "raw HTML is text, as pages show it");
        assert_eq!(kind_label("object"), "Collection object");
    }

    #[test]
    fn snippets_mark_whole_words() {
        let s = snippet(
            "We went to the café by the river. Cafés are good.",
            &["cafe".into()],
            200,
        );
        let marked: Vec<_> =
            s.0.iter()
                .filter(|(_, m)| *m)
                .map(|(t, _)| t.as_str())
                .collect();
        assert_eq!(marked, vec!["café"]);
        let long = format!("{} lace {}", "word ".repeat(200), "word ".repeat(200));
        let s = snippet(&long, &["lace".into()], 100);
        assert!(
            s.0.first().unwrap().0.starts_with('…') && s.0.iter().any(|(t, m)| *m && t == "lace")
        );
        // Text without spaces before the match (Japanese, a long address)
        // still shows the match.
        for before in ["町".repeat(3000), format!("https://example.org/{}", "a".repeat(3000))] {
            let text = format!("{before} lace and more");
            let s = snippet(&text, &["lace".into()], 220);
            assert!(s.0.iter().any(|(t, m)| *m && t == "lace"), "{:?}", &s.0[..2]);
            let shown: usize = s.0.iter().map(|(t, _)| t.chars().count()).sum();
            assert!(shown <= 220 + 4, "{shown}");
        }
    }
}
