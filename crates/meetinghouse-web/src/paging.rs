//! Page-number pagination for the lists (`?page=N`, from 1).
//!
//! A page number that is not a number, or is below 1, means the first page
//! (a forgiving reading of a hand-typed address). A page past the end of a
//! list is not its first page: it answers 404 "There is no such page", with
//! a link to the list's first page ([`WebError::NoSuchPage`]) — lists get
//! shorter as things are taken away, and an old link must not show page 1
//! as if it were the page asked for.

use std::collections::HashMap;

use crate::error::WebError;

/// The highest page number read; anything above is read as 1.
const PAGE_MAX: i64 = 100_000;

/// The page number in the query's `page` (1 when absent or not a page).
pub fn page_number(q: &HashMap<String, String>) -> i64 {
    numbered(q, "page")
}

/// The page number in the query's `name` (1 when absent or not a page). A
/// number of [`PAGE_MAX`] or more, however many digits, is read as
/// [`PAGE_MAX`]: far past the end of any list, so "no such page", never
/// the first page shown as if it were the one asked for.
pub fn numbered(q: &HashMap<String, String>, name: &str) -> i64 {
    let Some(raw) = q.get(name).map(|p| p.trim()) else { return 1 };
    match raw.parse::<i64>() {
        Ok(n) if (1..PAGE_MAX).contains(&n) => n,
        Ok(n) if n >= PAGE_MAX => PAGE_MAX,
        Err(_) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => PAGE_MAX,
        _ => 1,
    }
}

/// "no page 9", or "no such page" for a number read as [`PAGE_MAX`] (it
/// may stand for one with many more digits).
pub fn no_page(number: i64) -> String {
    if number < PAGE_MAX { format!("no page {number}") } else { "no such page".to_string() }
}

/// Refuses a page past the end of its list: page `number` came back with
/// nothing on it although it is not the first.
pub fn within(number: i64, empty: bool) -> Result<(), WebError> {
    if number > 1 && empty { Err(WebError::NoSuchPage(number)) } else { Ok(()) }
}

/// A page of rows with the previous and next page numbers.
pub type Cut<T> = (Vec<T>, Option<i64>, Option<i64>);

/// Page-number pagination: ask the database for one row more than a page to
/// learn whether there is a next page.
#[derive(Debug, Clone, Copy)]
pub struct Pager {
    pub number: i64,
    pub size: i64,
}

impl Pager {
    pub fn new(q: &HashMap<String, String>, size: i64) -> Pager {
        Pager { number: page_number(q), size }
    }
    /// The LIMIT to ask for: a page and one more row.
    pub fn limit(&self) -> i64 {
        self.size + 1
    }
    pub fn offset(&self) -> i64 {
        (self.number - 1) * self.size
    }
    /// Cuts the rows to a page; returns them with the previous and next
    /// page numbers. A page past the end (nothing on it, not the first) is
    /// refused with [`WebError::NoSuchPage`].
    pub fn cut<T>(&self, mut rows: Vec<T>) -> Result<Cut<T>, WebError> {
        within(self.number, rows.is_empty())?;
        let more = rows.len() as i64 > self.size;
        rows.truncate(self.size as usize);
        Ok((rows, (self.number > 1).then_some(self.number - 1), more.then_some(self.number + 1)))
    }
}

/// The address of a list's first page: `path_and_query` without its `page`
/// pair (other pairs, such as a search, kept in order).
pub fn first_page(path_and_query: &str) -> String {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    // The key as the server reads it (`pag%65` is `page`).
    let is_page = |pair: &str| form_urlencoded::parse(pair.as_bytes()).next().is_some_and(|(k, _)| k == "page");
    let kept: Vec<&str> = query.split('&').filter(|pair| !pair.is_empty() && !is_page(pair)).collect();
    if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) }
}

/// The lists cut into pages, by the path of their first page: the words
/// that name each on its pages past the end, as a title ("Organisations:
/// there is no page 9") and after "Go to the first page of". A `*` stands
/// for one part of the path (a number, a slug). A list not named here is
/// "the list" (the collection's pages name themselves: `objects::list`).
const LISTS: &[(&str, &str, &str)] = &[
    ("/groups", "Groups and networks", "groups and networks"),
    ("/orgs", "Organisations", "organisations"),
    ("/prompts", "Prompts", "prompts"),
    ("/prompts/*", "Stories answering this prompt", "the stories answering this prompt"),
    ("/common-ground", "Common ground", "common-ground conversations"),
    ("/stories/*/history", "This story’s history", "this story’s history"),
    ("/admin/people", "Admin list of people", "people"),
    ("/admin/orgs", "Admin list of organisations", "organisations"),
    ("/admin/groups", "Admin list of groups", "groups"),
];

/// The list whose first page is at `first_page` (a path, with or without
/// its query): (its title, the words after "the first page of").
pub fn list_named(first_page: &str) -> Option<(&'static str, &'static str)> {
    let path = first_page.split(['?', '#']).next().unwrap_or("");
    let parts: Vec<&str> = path.split('/').collect();
    LISTS.iter().find_map(|(pattern, title, words)| {
        let want: Vec<&str> = pattern.split('/').collect();
        let fits = want.len() == parts.len() && want.iter().zip(&parts).all(|(w, p)| if *w == "*" { !p.is_empty() } else { w == p });
        fits.then_some((*title, *words))
    })
}

/// The error page for page `number` past the end of the list at
/// `path_and_query`: a link to the list's first page, and for a list
/// [`list_named`] names, a title and heading that name it ("Organisations:
/// there is no page 9").
pub fn past_the_end(mut page: crate::page::ErrorPage, path_and_query: &str, number: i64) -> crate::page::ErrorPage {
    let first = first_page(path_and_query);
    if let Some((title, _)) = list_named(&first) {
        page.page.title = format!("{title}: there is {}", no_page(number));
    }
    page.first_page = Some(first);
    page
}

impl crate::page::ErrorPage {
    /// The words of the link to a list's first page, naming the list.
    pub fn first_page_words(&self) -> String {
        match self.first_page.as_deref().and_then(list_named) {
            Some((_, words)) => format!("Go to the first page of {words}"),
            None => "Go to the list’s first page".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn page_numbers_are_forgiving_but_a_page_past_the_end_is_not_page_one() {
        assert_eq!(page_number(&q(&[])), 1);
        assert_eq!(page_number(&q(&[("page", "abc")])), 1);
        assert_eq!(page_number(&q(&[("page", "0")])), 1);
        assert_eq!(page_number(&q(&[("page", " 3 ")])), 3);
        assert_eq!(page_number(&q(&[("page", "100000")])), PAGE_MAX, "past any list's end, not page 1");
        assert_eq!(page_number(&q(&[("page", "99999999999999999999999")])), PAGE_MAX);
        assert_eq!(page_number(&q(&[("page", "-1")])), 1);
        assert_eq!(page_number(&q(&[("page", "1e9")])), 1);
        let pager = Pager { number: 3, size: 2 };
        assert!(matches!(pager.cut(Vec::<u8>::new()), Err(WebError::NoSuchPage(3))));
        assert!(Pager { number: 1, size: 2 }.cut(Vec::<u8>::new()).unwrap().0.is_empty(), "an empty first page is an empty list");
        let (rows, prev, next) = pager.cut(vec![1, 2, 3]).unwrap();
        assert_eq!((rows, prev, next), (vec![1, 2], Some(2), Some(4)));
    }

    #[test]
    fn the_first_page_keeps_the_rest_of_the_address() {
        assert_eq!(first_page("/groups?page=9"), "/groups");
        assert_eq!(first_page("/orgs/x?requests=2&page=5&q=a%26b"), "/orgs/x?requests=2&q=a%26b");
        assert_eq!(first_page("/groups"), "/groups");
        assert_eq!(first_page("/groups?pages=2"), "/groups?pages=2");
        assert_eq!(first_page("/groups?pag%65=5&q=x"), "/groups?q=x", "an encoded key is the same key");
    }

    #[test]
    fn lists_are_named_by_their_first_page() {
        assert_eq!(list_named("/groups"), Some(("Groups and networks", "groups and networks")));
        assert_eq!(list_named("/orgs?x=1"), Some(("Organisations", "organisations")));
        assert_eq!(list_named("/stories/12/history").map(|n| n.0), Some("This story’s history"));
        assert_eq!(list_named("/prompts/7").map(|n| n.1), Some("the stories answering this prompt"));
        assert_eq!(list_named("/admin/people").map(|n| n.1), Some("people"));
        assert_eq!((no_page(9).as_str(), no_page(PAGE_MAX).as_str()), ("no page 9", "no such page"));
        for unnamed in ["/", "/groupsx", "/stories//history", "/stories/1/history/2", "/orgs/museum/objects"] {
            assert_eq!(list_named(unnamed), None, "{unnamed}");
        }
    }
}
