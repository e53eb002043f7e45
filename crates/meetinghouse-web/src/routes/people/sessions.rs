//! `GET /me/sessions` — where you are signed in: each live session with
//! the browser and system it was started from, as its User-Agent said it,
//! roughly ([`device`]: "Firefox on Windows"; the header itself is never
//! stored), when it began and when it was last used (core
//! `accounts::SESSION_SEEN_EVERY_SECS`); `POST /me/sessions/end-others`,
//! "Sign out everywhere else", which ends every session but this one and
//! makes every known-device cookie issued before worthless (this browser
//! is given a new one), and changes nothing else (the password stays); and `POST /me/sessions/end`,
//! which ends one other session (`session`: the key the page shows).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use meetinghouse_core::accounts::{self, SessionRow};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, datetime, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/sessions.html")]
struct SessionsPage {
    page: Page,
    sessions: Vec<Shown>,
    /// How many other sessions there are.
    others: usize,
}

/// A session as the page shows it.
struct Shown {
    current: bool,
    /// What names it in the form that ends it (not its token).
    key: String,
    device: String,
    began: String,
    last_used: String,
}

impl Shown {
    fn of(s: &SessionRow) -> Shown {
        let device = if s.device.is_empty() { "A browser".to_string() } else { s.device.clone() };
        Shown { current: s.current == 1, key: s.key.clone(), device, began: datetime(&s.created_at), last_used: datetime(&s.last_seen_at) }
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let current = viewer.session_token.as_deref().unwrap_or_default();
    let rows = accounts::sessions(&state.db, actor, current).await?;
    let others = rows.iter().filter(|s| s.current != 1).count();
    let sessions = rows.iter().map(Shown::of).collect();
    Ok(render(&SessionsPage { page: Page::new(&viewer, "Where you are signed in"), sessions, others }))
}

/// "Sign out everywhere else".
pub async fn end_others(State(state): State<AppState>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let keep = viewer.session_token.as_deref().unwrap_or_default();
    let said = match accounts::end_other_sessions(&state.db, actor, keep).await? {
        0 => "You were not signed in anywhere else.".to_string(),
        1 => "You are signed out of the one other place you were signed in. You are still signed in here.".to_string(),
        n => format!("You are signed out of the {n} other places you were signed in. You are still signed in here."),
    };
    let mut resp = see_other_with_flash("/me/sessions", &said, state.config.tls);
    // Every browser the account knew is forgotten; this one is known again.
    crate::routes::account::known_device::remember(&state.db, resp.headers_mut(), &viewer.settings.secret_key, actor.id, state.config.tls).await?;
    Ok(resp)
}

/// Ends one other session. One already ended (in another tab, or by
/// "Sign out everywhere else") is said so; the one asking cannot be ended
/// here (signing out does that), and is said to be this browser.
pub async fn end_one(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let keep = viewer.session_token.as_deref().unwrap_or_default();
    let key = data.get("session");
    let said = if meetinghouse_core::people::end_session(&state.db, actor, keep, key).await? {
        "That browser is signed out. You are still signed in here."
    } else if !keep.is_empty() && meetinghouse_core::secrets::token_hash(keep).starts_with(key) {
        // (`end_session` refused any key that is not a whole one.)
        "That is this browser, so it stays signed in. To sign out here, use “Sign out”."
    } else {
        "That browser was already signed out."
    };
    Ok(see_other_with_flash("/me/sessions", said, state.config.tls))
}

/// The browser and system a request's User-Agent names, roughly and in
/// plain words ("Firefox on Windows", "Safari on an iPhone"); "" when it
/// names neither. Only this is stored with a session, never the header.
pub fn device(headers: &HeaderMap) -> String {
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    describe(ua)
}

/// [`device`] for a User-Agent string. The order matters: browsers built
/// on others name those too (Edge and Opera say "Chrome", Chrome says
/// "Safari"), and so do systems (Android says "Linux", an iPhone "Mac OS X").
fn describe(ua: &str) -> String {
    const BROWSERS: &[(&str, &str)] = &[
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("Opera", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Vivaldi/", "Vivaldi"),
        ("YaBrowser/", "Yandex Browser"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("Wget/", "Wget"),
    ];
    const SYSTEMS: &[(&str, &str)] = &[
        ("iPhone", "an iPhone"),
        ("iPad", "an iPad"),
        ("iPod", "an iPod"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Macintosh", "a Mac"),
        ("Mac OS X", "a Mac"),
        ("Linux", "Linux"),
        ("FreeBSD", "FreeBSD"),
        ("OpenBSD", "OpenBSD"),
    ];
    let browser = BROWSERS.iter().find(|(mark, _)| ua.contains(mark)).map(|(_, name)| *name);
    let system = SYSTEMS.iter().find(|(mark, _)| ua.contains(mark)).map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn browsers_and_systems_are_named_roughly() {
        for (ua, named) in [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Windows"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge on Windows"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on a Mac"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on an iPhone"),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0", "Opera on Linux"),
            ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on ChromeOS"),
            ("curl/8.5.0", "curl"),
            ("", ""),
            ("something else entirely", ""),
        ] {
            assert_eq!(describe(ua), named, "{ua}");
        }
    }
}
