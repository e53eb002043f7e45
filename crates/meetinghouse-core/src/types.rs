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

/// An email address: one `@`, something either side, a dot in the domain.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Email([redacted])")
    }
}

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
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

    /// Suggests a slug from a name: “Tiverton Museum” → `tiverton-museum`.
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.trim_end_matches('-').chars().take(limits::SLUG_MAX).collect()
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
    let cleaned = without_controls(raw);
    let s = cleaned.trim();
    if required && s.is_empty() {
        errors.add(field, format!("{label} is needed."));
    } else if s.chars().count() > max {
        errors.add(field, format!("{label} can be at most {max} characters long (it has {}).", s.chars().count()));
    }
    s.to_string()
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
