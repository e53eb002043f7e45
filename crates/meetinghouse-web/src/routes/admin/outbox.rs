//! `GET /admin/outbox` — the email outbox: what was sent, what waits, and
//! the messages themselves, with one exception: a message with a one-time
//! link (a confirmation or a password reset, store
//! `outbox::ONE_TIME_LINK_KINDS`) is shown only while it is held because no
//! SMTP server is configured (the page is then the only way to pass the link
//! on), and never when it is for an admin account (whose link would let one
//! admin take over another's account; `meetinghouse admin reset-password`
//! resets an admin's password on the server). `POST
//! /admin/outbox/{id}/send-again` — "Send again" on a message that failed
//! or was held: it is tried afresh within seconds.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_store::outbox::{self, EmailRow, State as Sending};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, datetime, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct Outbox {
    page: Page,
    emails: Vec<Listed>,
}

/// A message as the admin's table shows it.
struct Listed {
    /// The row, its body taken out: what is shown of it is `body`.
    email: EmailRow,
    /// The message's text, or why it is not shown.
    body: Body,
    written: String,
    /// Where it is, in words: "sent …", "not sent: …".
    status: String,
    /// Why the last try failed, for failed mail.
    error: Option<String>,
    /// Failed or held: the admin may send it again.
    can_send_again: bool,
}

/// A message's kind in words, for the table's "Kind" column; a kind not
/// known here is shown as stored.
pub fn kind_words(kind: &str) -> String {
    match kind {
        "verify" => "Email address confirmation",
        "reset" => "Password reset",
        "digest" => "Notification digest",
        "notification" => "Notification",
        "moderation" => "Moderation notice",
        "approved" => "Account approved",
        "declined" => "Sign-up not approved",
        "account_closed" => "Account closed",
        "signup_existing" => "Sign-up with an address already in use",
        "email_change_asked" => "Email change asked for",
        "email_changed" => "Email address changed",
        "email_change_existing" => "Email change to an address already in use",
        other => return other.to_string(),
    }
    .to_string()
}

fn tries(n: i64) -> String {
    if n == 1 { "once".to_string() } else { format!("{n} times") }
}

/// What the page shows of a message's text.
enum Body {
    Text(String),
    /// Not shown: why, in a plain sentence.
    Withheld(&'static str),
}

/// Says why a one-time link's message is not shown unless it is held.
const LINK_GOES_BY_MAIL: &str = "This message holds a one-time link (to confirm an email address or reset a password). Its text is shown here only when it is kept for you because no SMTP server is configured; this one is for sending by email, so its link goes only to the recipient’s inbox.";

/// Says why a one-time link's message for an admin account is not shown.
const LINK_FOR_AN_ADMIN: &str = "This message holds a one-time link for an admin account, so its text is not shown here, even with no SMTP server configured: the link would let whoever reads it into that account. To set a new password for an admin account, run meetinghouse admin reset-password on the server.";

/// What the page may show of a message's text: a one-time link's only while
/// the message is held for want of an SMTP server, and never an admin
/// account's (`to_admin`).
fn body_shown(email: &mut EmailRow, state: Sending, to_admin: bool) -> Body {
    let body = std::mem::take(&mut email.body);
    if !outbox::ONE_TIME_LINK_KINDS.contains(&email.kind.as_str()) {
        Body::Text(body)
    } else if to_admin {
        Body::Withheld(LINK_FOR_AN_ADMIN)
    } else if state == Sending::Held {
        Body::Text(body)
    } else if state == Sending::Sent {
        // Its text was replaced when it was sent.
        Body::Text(outbox::LINK_REMOVED.to_string())
    } else {
        Body::Withheld(LINK_GOES_BY_MAIL)
    }
}

fn listed(mut email: EmailRow, now: i64, to_admin: bool) -> Listed {
    let state = email.state(now);
    let body = body_shown(&mut email, state, to_admin);
    let status = match state {
        Sending::Sent => format!("Sent {}", email.sent_at.map(|at| datetime(&at)).unwrap_or_default()),
        Sending::Sending => "Being sent now".to_string(),
        Sending::Waiting => "Waiting to be sent".to_string(),
        Sending::Retrying(at) if at <= now => format!("Not sent yet: tried {}; trying again shortly", tries(email.attempts)),
        Sending::Retrying(at) => format!("Not sent yet: tried {}; trying again at {}", tries(email.attempts), datetime(&at)),
        Sending::GaveUp => format!("Not sent: tried {}, then stopped trying", tries(email.attempts)),
        Sending::Held => "Not sent: no SMTP server is configured, so it is kept here for you to pass on by hand".to_string(),
    };
    let failed = matches!(state, Sending::Retrying(_) | Sending::GaveUp);
    Listed {
        body,
        written: datetime(&email.created_at),
        status,
        error: if failed { email.last_error.clone() } else { None },
        can_send_again: failed || state == Sending::Held,
        email,
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let now = meetinghouse_store::now();
    // The admin accounts' addresses, for the one-time links never shown.
    let admins: std::collections::HashSet<String> =
        meetinghouse_store::people::admins(&state.db).await?.into_iter().map(|a| a.email.to_lowercase()).collect();
    let emails = outbox::recent(&state.db, 200)
        .await?
        .into_iter()
        .map(|e| {
            let to_admin = admins.contains(&e.to_addr.to_lowercase());
            listed(e, now, to_admin)
        })
        .collect();
    Ok(render(&Outbox { page: Page::new(&viewer, "Admin: Email outbox"), emails }))
}

/// "Send again": a failed or held message is due at once, its tries counted
/// afresh.
pub async fn send_again(State(state): State<AppState>, Path(id): Path<i64>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require_admin()?;
    let message = if outbox::send_again(&state.db, id).await? {
        tracing::info!(admin = actor.id, email = id, "outbox: an admin asked for a message to be sent again");
        "The message will be tried again within a few seconds."
    } else {
        "That message was not changed: it has been sent, is being sent right now, or is no longer in the outbox."
    };
    Ok(see_other_with_flash("/admin/outbox", message, state.config.tls))
}
