//! `GET/POST /me/profile` — edit your own profile, and change your password
//! (the same page; that form sends `form=password`). The page's "Your
//! account" part also holds the email address form (posted to `/me/email`,
//! `email.rs`), the way to download your data (`/me/data`, `data.rs`), and
//! links to your sessions (`sessions.rs`) and the people you blocked or
//! muted (`relations.rs`). Whichever form is refused, its errors are summed
//! up under the page's heading and its title starts "Error:".

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::accounts::EmailStatus;
use meetinghouse_core::people::{self, ProfileForm};
use meetinghouse_core::types::SECTORS;
use meetinghouse_core::{CoreError, FieldErrors, accounts};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, datetime, render, render_status};
use crate::ratelimit::PasswordCheck;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/edit.html")]
struct EditProfile {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    sectors: &'static [(&'static str, &'static str)],
    /// The password form's errors (it is never filled in again).
    password_errors: FieldErrors,
    /// The email address form's errors (its new address is kept in `form`).
    email_errors: FieldErrors,
    email: EmailStatus,
    /// Until when a waiting change's link works, as people read it.
    pending_until: String,
    /// The refused form's errors, summed up under the page's heading (each
    /// linked to its field), whichever of the page's forms it was.
    summary: FieldErrors,
}

const TITLE: &str = "Edit your profile";

/// Which of the page's forms was refused, with its errors.
pub(super) enum Refused {
    None,
    Password(FieldErrors),
    /// The email form's errors and the new address as it was typed.
    Email(FieldErrors, String),
}

/// The profile form as stored.
async fn stored(state: &AppState, viewer: &Viewer) -> Result<FormData, WebError> {
    let actor = viewer.require()?;
    let p = people::profile(&state.db, &viewer.settings, Some(actor), &actor.handle).await?;
    let mut form = FormData::default()
        .with("display_name", &p.display_name)
        .with("pronouns", &p.pronouns)
        .with("bio", &p.bio_source);
    for s in &p.sectors {
        form = form.with("sectors", s);
    }
    Ok(form)
}

/// The page with the profile form as `form` holds it and the errors of the
/// form that was refused.
async fn page(state: &AppState, viewer: &Viewer, form: FormData, errors: FieldErrors, refused: Refused) -> Result<EditProfile, WebError> {
    let actor = viewer.require()?;
    let email = accounts::email_status(&state.db, actor).await?;
    let pending_until = email.pending.as_ref().map(|p| datetime(&p.expires_at)).unwrap_or_default();
    let (password_errors, email_errors, form) = match refused {
        Refused::None => (FieldErrors::new(), FieldErrors::new(), form),
        Refused::Password(e) => (e, FieldErrors::new(), form),
        Refused::Email(e, typed) => (FieldErrors::new(), e, form.with("new_email", &typed)),
    };
    let summary = [&errors, &password_errors, &email_errors].into_iter().find(|e| !e.is_empty()).cloned().unwrap_or_default();
    // A refused form says so in the page's title too, which a screen reader reads first.
    let title = if summary.is_empty() { TITLE.to_string() } else { format!("Error: {TITLE}") };
    Ok(EditProfile { page: Page::new(viewer, title), form, errors, sectors: SECTORS, password_errors, email_errors, email, pending_until, summary })
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.require()?;
    let form = stored(&state, &viewer).await?;
    Ok(render(&page(&state, &viewer, form, FieldErrors::new(), Refused::None).await?))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    if data.get("form") == "password" {
        return change_password(state, viewer, data).await;
    }
    let form = ProfileForm {
        display_name: data.get("display_name").into(),
        pronouns: data.get("pronouns").into(),
        bio: data.get("bio").into(),
        sectors: data.all("sectors"),
    };
    match people::update_profile(&state.db, actor, &form).await {
        Ok(()) => Ok(see_other_with_flash(&format!("/@{}", actor.handle), "Your profile is saved.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&state, &viewer, data, errors, Refused::None).await?)),
        Err(other) => Err(other.into()),
    }
}

/// A new password, with the current one: limited by the person's wrong
/// passwords (a browser left signed in must not become a way to guess the
/// password; `ratelimit::RateLimits::password`), apart from signing in.
async fn change_password(state: AppState, viewer: Viewer, data: FormData) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let current = data.get("current_password");
    let held = match hold_password(&state, actor.id, current).await {
        Ok(held) => held,
        Err(message) => return again(&state, &viewer, StatusCode::TOO_MANY_REQUESTS, Refused::Password(FieldErrors(vec![("form", message.to_string())]))).await,
    };
    let keep = viewer.session_token.as_deref().unwrap_or_default();
    let changed = accounts::change_password(&state.db, actor, current, data.get("new_password"), keep).await;
    settle_password(held, &changed, "current_password").await;
    match changed {
        Ok(()) => {
            let mut resp =
                see_other_with_flash("/me/profile", "Your password is changed. Anywhere else you were signed in, you are now signed out.", state.config.tls);
            // Every browser the account knew is forgotten with the old
            // password; this one, which chose the new one, is known again.
            crate::routes::account::known_device::remember(&state.db, resp.headers_mut(), &viewer.settings.secret_key, actor.id, state.config.tls).await?;
            Ok(resp)
        }
        Err(CoreError::Invalid(errors)) => again(&state, &viewer, StatusCode::UNPROCESSABLE_ENTITY, Refused::Password(errors)).await,
        Err(other) => Err(other.into()),
    }
}

/// Before a form checks the signed-in person's own password, `typed` in
/// it: one wrong password held in that person's budget
/// (`RateLimits::password`, as signing in holds one), so requests sent at
/// once get no more checks than the budget; or why not. Nothing is held
/// when nothing was typed: no password is checked then.
pub(super) async fn hold_password<'a>(state: &'a AppState, person: i64, typed: &str) -> Result<Option<PasswordCheck<'a>>, &'static str> {
    if typed.is_empty() {
        return Ok(None);
    }
    state.limits.password(person).await.map(Some)
}

/// After the check: what [`hold_password`] held stays counted when `field`
/// was refused (something was typed, so the password was wrong), and is
/// given back otherwise (it was right, or the request failed before an
/// answer).
pub(super) async fn settle_password<T>(held: Option<PasswordCheck<'_>>, result: &Result<T, CoreError>, field: &str) {
    let Some(held) = held else { return };
    match result {
        Err(CoreError::Invalid(errors)) if errors.get(field).is_some() => held.keep(),
        _ => held.give_back().await,
    }
}

/// The page again after the password or email form was refused: the
/// profile as stored, the password fields empty.
pub(super) async fn again(state: &AppState, viewer: &Viewer, status: StatusCode, refused: Refused) -> Result<Response, WebError> {
    let form = stored(state, viewer).await?;
    Ok(render_status(status, &page(state, viewer, form, FieldErrors::new(), refused).await?))
}
