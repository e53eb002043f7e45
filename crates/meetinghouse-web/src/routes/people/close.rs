//! `GET/POST /me/close` — close your own account: what closing does, what
//! must be done first (the last host of a group or admin of an organisation
//! with other members, the last instance admin), a link to download your
//! data first, and the form: your password and what happens to your
//! stories and replies. Limited as a password change is, by the person's
//! wrong passwords, one held before the password is checked: a browser
//! left signed in must not become a way to guess the password. Closed, the browser is signed out and sent (303) to
//! `GET /closed` ([`closed`]), which the message of what happened goes with,
//! so reloading it sends nothing again; the profile of a closed account
//! (`/@{handle}`) is [`profile`].

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meetinghouse_core::closing::{self, CloseForm, Plan, Posts};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render, render_status};
use crate::routes::conversations::mailer;
use crate::state::AppState;
use crate::viewer::{SESSION_COOKIE, Viewer, set_cookie};

#[derive(Template)]
#[template(path = "people/close.html")]
struct ClosePage {
    page: Page,
    plan: Plan,
    form: FormData,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "people/closed.html")]
struct ClosedPage {
    page: Page,
}

#[derive(Template)]
#[template(path = "people/closed_profile.html")]
struct ClosedProfile {
    page: Page,
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.require()?;
    let form = FormData::default().with("posts", "remove");
    page(&state, &viewer, StatusCode::OK, form, FieldErrors::new()).await
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = CloseForm { password: data.get("password").into(), posts: data.get("posts").into() };
    // The page again never holds the password.
    let data = data.without_secrets();
    // One wrong password is held before it is checked, so closing forms
    // sent at once get no more checks than the budget.
    let held = match super::edit::hold_password(&state, actor.id, &form.password).await {
        Ok(held) => held,
        Err(message) => return page(&state, &viewer, StatusCode::TOO_MANY_REQUESTS, data, FieldErrors(vec![("form", message.to_string())])).await,
    };
    let closed = closing::close(&state.db, mailer(&state, &viewer), actor, &form).await;
    super::edit::settle_password(held, &closed, "password").await;
    match closed {
        Ok(done) => {
            let mut said = String::from("Your account is closed, and you are signed out. ");
            said += match done.posts {
                Posts::Remove => "Your stories and replies are removed: nobody sees them any more.",
                Posts::Keep => "Your stories and replies stay, shown as by “a former member”.",
            };
            if done.emailed {
                said += " We have sent a last email to your address to say so.";
            }
            let mut resp = see_other_with_flash("/closed", &said, state.config.tls);
            set_cookie(resp.headers_mut(), SESSION_COOKIE, "", 0, state.config.tls);
            Ok(resp)
        }
        Err(CoreError::Invalid(errors)) => page(&state, &viewer, StatusCode::UNPROCESSABLE_ENTITY, data, errors).await,
        // What stands in the way, which the page lists again as it is now.
        Err(CoreError::Forbidden(message)) => page(&state, &viewer, StatusCode::FORBIDDEN, data, FieldErrors(vec![("form", message)])).await,
        Err(other) => Err(other.into()),
    }
}

async fn page(state: &AppState, viewer: &Viewer, status: StatusCode, form: FormData, errors: FieldErrors) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let plan = closing::plan(&state.db, actor).await?;
    Ok(render_status(status, &ClosePage { page: Page::new(viewer, "Close your account"), plan, form, errors }))
}

/// `GET /closed`: where closing sends the browser, signed out, with what
/// happened as the page's message. Without it (reloaded, or opened by
/// anyone else) the page says only what closing an account means; a
/// signed-in browser, which has nothing closed, goes to its own page.
pub async fn closed(viewer: Viewer) -> Response {
    if viewer.actor.is_some() {
        return axum::response::Redirect::to("/me").into_response();
    }
    let title = if viewer.flash.is_some() { "Your account is closed" } else { "Account closed" };
    render(&ClosedPage { page: Page::new(&viewer, title) })
}

/// The profile page of a closed account, if `handle` names one: it says the
/// account was closed, and nothing else of it.
pub async fn profile(state: &AppState, viewer: &Viewer, handle: &str) -> Result<Option<Response>, WebError> {
    if !closing::handle_closed(&state.db, handle).await? {
        return Ok(None);
    }
    Ok(Some(render(&ClosedProfile { page: Page::new(viewer, closing::FORMER_MEMBER) })))
}
