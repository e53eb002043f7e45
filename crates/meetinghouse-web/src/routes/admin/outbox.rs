//! `GET /admin/outbox` — the email outbox: what was sent, what waits, and
//! (when no SMTP server is configured) the messages themselves, so an admin
//! can pass on a verification or reset link by hand. `POST
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
    email: EmailRow,
    written: String,
    /// Where it is, in words: "sent …", "not sent: …".
    status: String,
    /// Why the last try failed, for failed mail.
    error: Option<String>,
    /// Failed or held: the admin may send it again.
    can_send_again: bool,
}

fn tries(n: i64) -> String {
    if n == 1 { "once".to_string() } else { format!("{n} times") }
}

fn listed(email: EmailRow, now: i64) -> Listed {
    let state = email.state(now);
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
    let emails = outbox::recent(&state.db, 200).await?.into_iter().map(|e| listed(e, now)).collect();
    Ok(render(&Outbox { page: Page::new(&viewer, "Email outbox"), emails }))
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
