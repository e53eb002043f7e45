//! Newtypes that parse user input once, at the edge: a value of one of these
//! types is valid by construction.

use crate::error::FieldErrors;

/// Length limits, in characters. Documented in the README.
pub mod limits {
    pub const HANDLE_MAX: usize = 30;
    pub const EMAIL_MAX: usize = 254;
    pub const DISPLAY_NAME_MAX: usize = 80;
    pub const PRONOUNS_MAX: usize = 40;
    pub const BIO_MAX: usize = 2_000;
    pub const PASSWORD_MIN: usize = 10;
    pub const PASSWORD_MAX: usize = 1_024;
    pub const SLUG_MAX: usize = 60;
    pub const NAME_MAX: usize = 120;
    pub const DESCRIPTION_MAX: usize = 4_000;
    pub const PURPOSE_MAX: usize = 1_000;
    pub const URL_MAX: usize = 500;
    /// Longest web address kept from an imported record, in bytes.
    pub const LINK_MAX: usize = 2048;
    pub const TOWN_MAX: usize = 80;
    pub const SETTING_TEXT_MAX: usize = 20_000;
}

/// Handles that would collide with routes or mislead people.
const RESERVED_HANDLES: &[&str] = &[
    "admin", "administrator", "root", "system", "support", "help", "about", "api", "login", "logout",
    "signup", "settings", "me", "moderator", "mod", "staff", "orgs", "groups", "people", "static",
    "healthz", "metrics", "meetinghouse", "null", "undefined", "anonymous", "everyone", "here",
    "notifications", "search", "well_known", "webfinger", "inbox", "outbox", "security", "abuse",
    "postmaster", "hostmaster", "webmaster", "noreply", "no_reply",
];

/// A person's handle: 1–30 of `a-z 0-9 _`, stored as typed, unique ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle(String);

impl Handle {
    pub fn parse(raw: &str) -> Result<Handle, String> {
        let s = raw.trim().trim_start_matches('@');
        if s.is_empty() {
            return Err("Choose a handle: letters, numbers and underscores.".into());
        }
        if s.chars().count() > limits::HANDLE_MAX {
            return Err(format!("A handle can be at most {} characters long.", limits::HANDLE_MAX));
        }
        let lower = s.to_ascii_lowercase();
        if !lower.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err("A handle can only use the letters a–z, the digits 0–9 and underscores.".into());
        }
        if RESERVED_HANDLES.contains(&lower.as_str()) {
            return Err(format!("The handle “{lower}” is reserved. Please choose another."));
        }
        Ok(Handle(lower))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address that a mail server can be given as it is: before the
/// `@`, a dot-atom of RFC 5321/5322 (letters a–z, digits and
/// ``! # $ % & ' * + - / = ? ^ _ ` { | } ~``, in parts joined by single
/// dots, at most [`EMAIL_LOCAL_MAX`] characters); after it, a domain of at
/// least two labels of letters (any script, for international domains),
/// digits and inner hyphens. Anything that would need quoting (`;`, `"`,
/// spaces, brackets) is refused, so every address taken can be mailed.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

/// The longest part before the `@` that mail servers must accept (RFC 5321).
pub const EMAIL_LOCAL_MAX: usize = 64;

/// The longest label (the part between dots) in a domain name.
const DOMAIN_LABEL_MAX: usize = 63;

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Email([redacted])")
    }
}

/// Whether `c` may stand unquoted before the `@` (RFC 5322 `atext`).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

impl Email {
    /// An address for a new account or a reset: one a mail server can be
    /// given unquoted (see [`Email`]), each problem in its own words.
    pub fn parse(raw: &str) -> Result<Email, String> {
        let email = Email::parse_loosely(raw)?;
        let (local, domain) = email.0.rsplit_once('@').expect("checked by parse_loosely");
        if let Some(c) = local.chars().find(|&c| c != '.' && !is_atext(c)) {
            let shown = if c.is_ascii_graphic() || c.is_alphanumeric() { format!("“{c}”") } else { "a character".to_string() };
            return Err(format!(
                "Email cannot be delivered to an address with {shown} before the @. Use letters, digits, dots and signs such as + - _ there, or another address."
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err("The part before the @ cannot start or end with a dot, or have two dots in a row.".into());
        }
        if local.chars().count() > EMAIL_LOCAL_MAX {
            return Err(format!("The part before the @ can be at most {EMAIL_LOCAL_MAX} characters long."));
        }
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.chars().count() <= DOMAIN_LABEL_MAX
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !labels_ok {
            return Err("After the @ there should be a domain name like example.org: letters, digits and hyphens, with dots between the parts.".into());
        }
        Ok(email)
    }

    /// An address to look an account up by (signing in): the rules accounts
    /// were made under before [`Email::parse`] refused what mail cannot
    /// carry, so an older account with such an address can still sign in.
    pub fn parse_loosely(raw: &str) -> Result<Email, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter your email address.".into());
        }
        if s.len() > limits::EMAIL_MAX {
            return Err(format!("An email address can be at most {} characters long.", limits::EMAIL_MAX));
        }
        let bad = || "Enter an email address like name@example.org.".to_string();
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
        {
            return Err(bad());
        }
        Ok(Email(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password we accept: long enough, not absurdly long. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Password {
    pub fn parse(raw: &str) -> Result<Password, String> {
        let n = raw.chars().count();
        if n < limits::PASSWORD_MIN {
            return Err(format!(
                "Use a password of at least {} characters — a few words together work well.",
                limits::PASSWORD_MIN
            ));
        }
        if n > limits::PASSWORD_MAX {
            return Err(format!("A password can be at most {} characters long.", limits::PASSWORD_MAX));
        }
        Ok(Password(raw.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// An address part for organisations and groups: 1–60 of `a-z 0-9 -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, String> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err("Choose a web address: letters, numbers and hyphens.".into());
        }
        if s.len() > limits::SLUG_MAX {
            return Err(format!("A web address can be at most {} characters long.", limits::SLUG_MAX));
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || s.starts_with('-')
            || s.ends_with('-')
        {
            return Err("A web address can only use a–z, 0–9 and hyphens, and cannot start or end with a hyphen.".into());
        }
        if ["new", "edit", "admin"].contains(&s.as_str()) {
            return Err(format!("“{s}” is reserved. Please choose another web address."));
        }
        Ok(Slug(s))
    }

    /// Suggests a slug from a name: “Tiverton Museum” → `tiverton-museum`,
    /// “Café Chorus” → `cafe-chorus` (accents folded as search folds them).
    /// Cut to the longest address allowed, never ending in a hyphen.
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.chars() {
            let c = match c {
                'ß' => 's',
                'æ' | 'Æ' => 'a',
                'œ' | 'Œ' => 'o',
                c => crate::search::fold_char(c),
            };
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let cut: String = out.chars().take(limits::SLUG_MAX).collect();
        cut.trim_end_matches('-').to_string()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The sectors people and organisations may choose.
pub const SECTORS: &[(&str, &str)] = &[
    ("arts", "Arts"),
    ("heritage", "Heritage"),
    ("libraries", "Libraries"),
    ("health", "Health"),
    ("social_care", "Social care"),
    ("housing", "Housing"),
    ("local_government", "Local government"),
    ("education", "Education"),
    ("voluntary_sector", "Voluntary sector"),
    ("business", "Business"),
    ("resident", "Resident"),
    ("other", "Other"),
];

pub fn sector_label(key: &str) -> &str {
    SECTORS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l).unwrap_or(key)
}

pub fn parse_sector(raw: &str) -> Result<String, String> {
    let key = raw.trim();
    if SECTORS.iter().any(|(k, _)| *k == key) {
        Ok(key.to_string())
    } else {
        Err(format!("“{key}” is not one of the sectors on the list."))
    }
}

/// Trims a free-text field, drops control characters (a NUL cannot be
/// stored in PostgreSQL text at all) and checks its length; empty is allowed
/// unless `required`.
pub fn text(errors: &mut FieldErrors, field: &'static str, label: &str, raw: &str, max: usize, required: bool) -> String {
    let cleaned = without_invisible(&without_controls(raw)).into_owned();
    checked(errors, field, label, cleaned.trim(), max, required)
}

/// A one-line text field (a name, a title, pronouns): as [`text`], and line
/// breaks and tabs become single spaces, so a name cannot pose as lines of
/// its own in a plain-text email.
pub fn line(errors: &mut FieldErrors, field: &'static str, label: &str, raw: &str, max: usize, required: bool) -> String {
    let cleaned = without_invisible(&without_controls(raw)).into_owned();
    let one_line = if cleaned.contains(['\n', '\r', '\t']) { cleaned.split_whitespace().collect::<Vec<_>>().join(" ") } else { cleaned };
    checked(errors, field, label, one_line.trim(), max, required)
}

fn checked(errors: &mut FieldErrors, field: &'static str, label: &str, s: &str, max: usize, required: bool) -> String {
    if required && !has_visible(s) {
        let why = if s.is_empty() { "" } else { " (what was typed shows nothing)" };
        errors.add(field, format!("{label} is needed{why}."));
    } else if s.chars().count() > max {
        errors.add(field, format!("{label} can be at most {max} characters long (it has {}).", s.chars().count()));
    }
    s.to_string()
}

/// Characters that show nothing and can hide or reorder what is shown:
/// zero-width spaces and joiners used as padding, direction marks,
/// embeddings, overrides and isolates, word joiners, invisible operators,
/// the byte-order mark and interlinear annotation marks. The zero-width
/// joiner and non-joiner are kept: emoji sequences and several scripts
/// need them.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{180E}' | '\u{200B}' | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// `raw` without [`is_invisible`] characters.
pub fn without_invisible(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains(is_invisible) { raw.chars().filter(|&c| !is_invisible(c)).collect::<String>().into() } else { raw.into() }
}

/// Characters kept in text (unlike [`is_invisible`] ones) that take no
/// room and show nothing of their own: the zero-width joiner and
/// non-joiner, the soft hyphen (seen only where a line breaks), the
/// combining grapheme joiner, variation selectors (U+FE00–FE0F, the
/// supplement U+E0100–E01EF, Mongolian U+180B–180D and U+180F), tag
/// characters (U+E0000–E007F), Khmer's inherent vowels U+17B4–17B5, the
/// deprecated format characters U+206A–206F, the shorthand format controls
/// U+1BCA0–1BCA3, musical beam and phrase controls U+1D173–1D17A, Egyptian
/// hieroglyph format controls U+13430–1343F and the Khitan filler U+16FE4.
pub fn is_zero_width(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{200C}' | '\u{200D}'
        | '\u{206A}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{13430}'..='\u{1343F}' | '\u{16FE4}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Characters that are not Unicode white space but show as an empty gap,
/// as a space does: the Braille blank U+2800 and the Hangul fillers
/// U+115F, U+1160, U+3164 and U+FFA0.
pub fn is_blank_filler(c: char) -> bool {
    matches!(c, '\u{115F}' | '\u{1160}' | '\u{2800}' | '\u{3164}' | '\u{FFA0}')
}

/// Whether a character shows as a space or as nothing at all: white space,
/// a blank filler ([`is_blank_filler`]), an invisible or zero-width
/// character ([`is_invisible`], [`is_zero_width`]) or a control character.
pub fn is_blank(c: char) -> bool {
    c.is_whitespace() || c.is_control() || is_invisible(c) || is_zero_width(c) || is_blank_filler(c)
}

/// Whether `s` has something a reader sees: not only spaces, joiners,
/// variation selectors, tag characters or blank-looking fillers
/// ([`is_blank`]).
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !is_blank(c))
}

/// `raw` without control characters other than line breaks and tabs.
pub fn without_controls(raw: &str) -> std::borrow::Cow<'_, str> {
    let unwanted = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if raw.contains(unwanted) { raw.chars().filter(|&c| !unwanted(c)).collect::<String>().into() } else { raw.into() }
}

/// An optional web address that must be http(s).
pub fn website(errors: &mut FieldErrors, field: &'static str, raw: &str) -> String {
    let s = raw.trim();
    if s.is_empty() {
        return String::new();
    }
    if s.len() > limits::URL_MAX {
        errors.add(field, format!("A web address can be at most {} characters long.", limits::URL_MAX));
    } else if web_url(s).is_none() || s.contains(char::is_whitespace) {
        errors.add(field, "Enter a full web address starting with https://");
    }
    s.to_string()
}

/// A value as a link a page may show: an absolute `http://` or `https://`
/// address with a host, read scheme first (any case), never matched on a
/// prefix. `None` for `javascript:`, `data:`, relative or malformed values,
/// and anything with control characters (browsers drop tabs and newlines
/// from a link, which could change how it reads). Surrounding spaces are
/// trimmed.
pub fn web_url(raw: &str) -> Option<&str> {
    let url = raw.trim();
    if url.is_empty() || url.len() > limits::LINK_MAX || url.chars().any(char::is_control) || url.contains('\\') {
        return None;
    }
    let (scheme, rest) = url.split_once(':')?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let rest = rest.strip_prefix("//")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host_ok, port) = match host_port.strip_prefix('[') {
        // An IPv6 literal: [::1]:8080
        Some(v6) => {
            let (addr, after) = v6.split_once(']')?;
            if !after.is_empty() && !after.starts_with(':') {
                return None;
            }
            (!addr.is_empty() && addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.'), after.strip_prefix(':'))
        }
        None => {
            let (host, port) = match host_port.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host_port, None),
            };
            (!host.is_empty() && host.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | '%')), port)
        }
    };
    let port_ok = port.is_none_or(|p| p.is_empty() || (p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()));
    (host_ok && port_ok).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_text_is_dropped_and_shows_nothing() {
        for blank in ["\u{200B}\u{200B}", "\u{2060}", " \u{FEFF} ", "\u{200D}", "\u{3164}", "\u{FE0F}"] {
            let mut e = FieldErrors::new();
            line(&mut e, "name", "A name", blank, 80, true);
            assert!(e.get("name").is_some_and(|m| m.starts_with("A name is needed")), "{blank:?}: {e:?}");
        }
        let mut e = FieldErrors::new();
        assert_eq!(line(&mut e, "name", "A name", "\u{202E}maS", 80, true), "maS");
        assert_eq!(line(&mut e, "name", "A name", "Dee\r\n\r\nYour account\tis locked", 80, true), "Dee Your account is locked");
        // Joiners inside emoji and scripts that need them stay.
        assert_eq!(line(&mut e, "name", "A name", "Jo 👩\u{200D}🎨", 80, true), "Jo 👩\u{200D}🎨");
        assert!(e.is_empty(), "{e:?}");
        // Multi-line text keeps its line breaks.
        assert_eq!(text(&mut e, "body", "The story", "One.\n\nTwo\u{200B}.", 80, true), "One.\n\nTwo.");
    }

    #[test]
    fn a_website_is_a_link_pages_may_show() {
        for ok in ["https://museum.example/about", "http://arts-centre.example:8080/", "HTTPS://Example.org"] {
            let mut e = FieldErrors::new();
            assert_eq!(website(&mut e, "w", &format!(" {ok} ")), ok);
            assert!(e.is_empty(), "{ok}");
        }
        for bad in ["https://", "https:///path", "https://exa mple.org", "https://a\\b.example", "https://x.example:99999", "ftp://x.example", "https://x.example/\u{7}"] {
            let mut e = FieldErrors::new();
            website(&mut e, "w", bad);
            assert!(e.get("w").is_some_and(|m| m.contains("full web address")), "{bad:?}");
        }
    }

    #[test]
    fn text_drops_control_characters() {
        let mut e = FieldErrors::new();
        assert_eq!(text(&mut e, "t", "T", " a\u{0}b\u{7}\u{1b}c\r\nd\te\u{7f} ", 100, true), "abc\r\nd\te");
        assert_eq!(text(&mut e, "t", "T", "\u{0}", 100, true), "");
        assert!(e.get("t").is_some_and(|m| m.contains("is needed")));
    }

    #[test]
    fn handles() {
        assert_eq!(Handle::parse("Sam_1").unwrap().as_str(), "sam_1");
        assert_eq!(Handle::parse("@sam").unwrap().as_str(), "sam");
        assert!(Handle::parse("").is_err());
        assert!(Handle::parse("a".repeat(31).as_str()).is_err());
        assert!(Handle::parse("a".repeat(30).as_str()).is_ok());
        assert!(Handle::parse("sam-b").is_err());
        assert!(Handle::parse("sàm").is_err());
        assert!(Handle::parse("Admin").is_err());
    }

    #[test]
    fn emails() {
        assert!(Email::parse("sam@example.org").is_ok());
        assert!(Email::parse("sam@example").is_err());
        assert!(Email::parse("sam example.org").is_err());
        assert!(Email::parse("@example.org").is_err());
        assert!(format!("{:?}", Email::parse("sam@example.org").unwrap()).contains("redacted"));
    }

    #[test]
    fn slugs() {
        assert_eq!(Slug::suggest("Tiverton Museum & Gardens!"), "tiverton-museum-gardens");
        assert_eq!(Slug::suggest("Café Chorus of Łódź"), "cafe-chorus-of-lodz");
        // Cut at the limit, never at a hyphen: the suggestion always parses.
        let long = "Friends of the Tiverton Canal and the Grand Western Towpath Volunteers";
        let suggested = Slug::suggest(long);
        assert!(suggested.len() <= limits::SLUG_MAX && !suggested.ends_with('-'), "{suggested}");
        assert_eq!(Slug::parse(&suggested).unwrap().as_str(), suggested);
        assert!(Slug::parse("-x").is_err());
        assert!(Slug::parse("new").is_err());
        assert_eq!(Slug::parse("Town-Net").unwrap().as_str(), "town-net");
    }

    #[test]
    fn passwords_are_redacted() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert!(Password::parse("short").is_err());
    }
}
