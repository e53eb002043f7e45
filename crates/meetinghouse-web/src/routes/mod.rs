//! The route table: every URL the meeting house answers, in one place.

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::state::AppState;
use crate::{forms, middleware};

mod account;
mod admin;
mod common_ground;
mod conversations;
mod feeds;
mod groups;
mod labels;
mod moderation;
mod notifications;
mod objects;
mod orgs;
mod people;
mod prompts;
mod purposes;
mod replies;
mod search;
mod site;
mod stories;

/// How long a request may take, from its first byte to the answer.
pub const REQUEST_TIMEOUT_SECS: u64 = 30;
/// The same for the routes that take files (a story's photos, a collection
/// import): 120 MB in ten minutes is about 1.6 Mbit/s.
pub const UPLOAD_TIMEOUT_SECS: u64 = 600;

/// The routes that take files (multipart forms).
const UPLOAD_ROUTES: [&str; 3] = ["/orgs/{slug}/import", "/stories", "/stories/{id}/edit"];

/// The largest request body a route takes, in bytes: a form's limit
/// (`forms::MAX_FORM_BYTES`), or the upload limit for the routes that take
/// files. A larger body is refused before it is read when its length is
/// given, otherwise as it is read, with the same limit in the message.
pub fn body_limit(route: &str) -> usize {
    if UPLOAD_ROUTES.contains(&route) {
        forms::MAX_UPLOAD_REQUEST_BYTES
    } else if route == SETTINGS_ROUTE {
        forms::MAX_SETTINGS_FORM_BYTES
    } else {
        forms::MAX_FORM_BYTES
    }
}

/// The admins' settings form: two long texts, so a larger limit of its own
/// (`forms::MAX_SETTINGS_FORM_BYTES`).
const SETTINGS_ROUTE: &str = "/admin/settings";

pub fn router(state: AppState) -> Router {
    // The sitemap's files, kept for as long as they say (`feeds::sitemap::Cache`).
    let sitemap = feeds::sitemap::Cache::shared();
    // Routes that take files: a larger body limit of their own; every file
    // is also capped as it streams in (see `forms::Upload`).
    let [import, new_story, edit_story] = UPLOAD_ROUTES;
    let uploads = Router::new()
        .route(import, get(objects::import::form).post(objects::import::submit))
        .route(new_story, post(stories::new::submit))
        .route(edit_story, get(stories::edit::form).post(stories::edit::submit))
        .layer(axum::extract::DefaultBodyLimit::max(forms::MAX_UPLOAD_REQUEST_BYTES))
        .layer(RequestBodyLimitLayer::new(forms::MAX_UPLOAD_REQUEST_BYTES))
        // Sending photos from a phone on a slow connection, and an import's
        // work after its file arrives, take longer than a page.
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(UPLOAD_TIMEOUT_SECS)));
    let settings = Router::new()
        .route(SETTINGS_ROUTE, get(admin::settings::form).post(admin::settings::submit))
        .layer(RequestBodyLimitLayer::new(forms::MAX_SETTINGS_FORM_BYTES))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(REQUEST_TIMEOUT_SECS)));
    Router::new()
        .route("/", get(site::home::show))
        .route("/about", get(site::about::show))
        .route("/conduct", get(site::conduct::show))
        .route("/healthz", get(site::health::healthz))
        .route("/metrics", get(site::health::metrics))
        .route("/static/site.css", get(site::assets::css))
        .route("/media/{key}", get(site::media::show))
        .route("/signup", get(account::signup::form).post(account::signup::submit))
        .route("/login", get(account::login::form).post(account::login::submit))
        .route("/logout", post(account::logout::submit))
        .route("/verify", get(account::verify::confirm_form).post(account::verify::confirm))
        .route("/verify/resend", post(account::verify::resend))
        .route("/reset", get(account::reset::request_form).post(account::reset::request_submit))
        .route("/reset/confirm", get(account::reset::confirm_form).post(account::reset::confirm_submit))
        .route("/me", get(people::me::show))
        .route("/me/profile", get(people::edit::form).post(people::edit::submit))
        .route("/me/email", post(people::email::submit))
        .route("/me/email/send-again", post(people::email::send_again))
        .route("/me/email/cancel", post(people::email::cancel))
        .route("/me/email/confirm", get(people::email::confirm_form).post(people::email::confirm))
        .route("/me/data", get(people::data::show).post(people::data::download))
        .route("/me/replies", get(replies::mine::show))
        .route("/me/close", get(people::close::form).post(people::close::submit))
        .route("/closed", get(people::close::closed))
        .route("/me/sessions", get(people::sessions::show))
        .route("/me/sessions/end-others", post(people::sessions::end_others))
        .route("/me/sessions/end", post(people::sessions::end_one))
        .route("/me/blocked", get(people::relations::show))
        .route("/{at_handle}", get(people::profile::show))
        .route("/orgs", get(orgs::list::show).post(orgs::create::submit))
        .route("/orgs/new", get(orgs::create::form))
        .route("/orgs/{slug}", get(orgs::show::show))
        .route("/orgs/{slug}/invite", post(orgs::membership::invite))
        .route("/orgs/{slug}/accept", post(orgs::membership::accept))
        .route("/orgs/{slug}/leave", post(orgs::membership::leave))
        .route("/orgs/{slug}/members/role", post(orgs::membership::role))
        .route("/orgs/{slug}/members/remove", post(orgs::membership::remove))
        .route("/orgs/{slug}/objects", get(objects::list::show))
        .route("/orgs/{slug}/objects/{accession}", get(objects::show::show))
        .route("/orgs/{slug}/objects/{accession}/label", get(objects::show::label))
        .route("/objects/{id}", get(objects::show::by_id))
        .route("/objects/{id}/withdraw", post(objects::withdraw::object))
        .route("/objects/{id}/restore", post(objects::withdraw::restore))
        .route("/orgs/{slug}/collection/withdraw", post(objects::withdraw::collection))
        .route("/orgs/{slug}/collection/restore", post(objects::withdraw::restore_collection))
        .route("/orgs/{slug}/imports/{id}", get(objects::status::show))
        .route("/orgs/{slug}/imports/{id}/approve", post(objects::status::approve))
        .route("/orgs/{slug}/imports/{id}/decline", post(objects::status::decline))
        .route("/orgs/{slug}/imports/{id}/import", post(objects::import::import_checked))
        .route("/imports/waiting", get(objects::status::waiting))
        .route("/groups", get(groups::list::show).post(groups::create::submit))
        .route("/groups/new", get(groups::create::form))
        .route("/groups/{slug}", get(groups::show::show))
        .route("/groups/{slug}/join", post(groups::membership::join))
        .route("/groups/{slug}/leave", post(groups::membership::leave))
        .route("/groups/{slug}/invite", post(groups::membership::invite))
        .route("/groups/{slug}/approve", post(groups::membership::approve))
        .route("/groups/{slug}/decline", post(groups::membership::decline))
        .route("/groups/{slug}/members/role", post(groups::membership::role))
        .route("/groups/{slug}/members/remove", post(groups::membership::remove))
        .route("/groups/{slug}/members/org", post(groups::membership::add_org))
        .route("/groups/{slug}/members/group", post(groups::membership::nest))
        // Hosts edit and archive a group; admins edit an organisation.
        .route("/groups/{slug}/edit", get(groups::edit::form).post(groups::edit::submit))
        .route("/groups/{slug}/archive", get(groups::archive::confirm).post(groups::archive::archive))
        .route("/groups/{slug}/unarchive", post(groups::archive::unarchive))
        .route("/orgs/{slug}/edit", get(orgs::edit::form).post(orgs::edit::submit))
        // A group's purpose: its versions, amendments and objections.
        .route("/groups/{slug}/purpose", get(purposes::show::show))
        .route("/groups/{slug}/purpose/versions/{n}", get(purposes::version::show))
        .route("/groups/{slug}/purpose/amend", get(purposes::amend::form).post(purposes::amend::submit))
        .route("/groups/{slug}/amendments/{id}", get(purposes::amendment::show))
        .route("/groups/{slug}/amendments/{id}/object", post(purposes::object::submit))
        .route("/groups/{slug}/amendments/{id}/objection/withdraw", post(purposes::withdraw_objection::submit))
        .route("/groups/{slug}/amendments/{id}/withdraw", post(purposes::withdraw::submit))
        .route("/stories/new", get(stories::new::form))
        .route("/stories/{id}", get(stories::show::show))
        .route("/stories/{id}/history", get(stories::history::show))
        .route("/stories/{id}/history/{revision}/remove", post(stories::remove_version::remove))
        .route("/stories/{id}/delete", post(stories::delete::delete))
        .route("/stories/{id}/restore", post(stories::delete::restore))
        .route("/prompts", get(prompts::list::show).post(prompts::new::submit))
        .route("/prompts/new", get(prompts::new::form))
        .route("/prompts/{id}", get(prompts::show::show))
        .route("/prompts/{id}/edit", get(prompts::edit::form).post(prompts::edit::submit))
        .route("/prompts/{id}/close", post(prompts::close::submit))
        .route("/search", get(search::show::show))
        .route("/common-ground", get(common_ground::list::show).post(common_ground::new::submit))
        .route("/common-ground/new", get(common_ground::new::form))
        .route("/common-ground/{id}", get(common_ground::show::show))
        .route("/common-ground/{id}/mine", get(common_ground::show::mine))
        .route("/common-ground/{id}/report", get(common_ground::report::show))
        .route("/common-ground/{id}/report.csv", get(common_ground::report::csv))
        .route("/common-ground/{id}/vote", post(common_ground::act::vote))
        .route("/common-ground/{id}/statements", post(common_ground::act::add_statement))
        .route("/common-ground/{id}/statements/{statement}/moderate", post(common_ground::act::moderate))
        .route("/common-ground/{id}/close", get(common_ground::close::confirm).post(common_ground::close::close))
        .route("/common-ground/{id}/reopen", post(common_ground::close::reopen))
        .route("/common-ground/{id}/afresh", post(common_ground::afresh::afresh))
        .route("/common-ground/{id}/edit", get(common_ground::edit::form).post(common_ground::edit::submit))
        .route("/stories.atom", get(feeds::atom::instance))
        .route("/orgs/{slug}/stories.atom", get(feeds::atom::org))
        .route("/groups/{slug}/stories.atom", get(feeds::atom::group))
        .route("/prompts/{id}/stories.atom", get(feeds::atom::prompt))
        .route("/sitemap.xml", get(feeds::sitemap::show).layer(axum::Extension(sitemap.clone())))
        .route("/sitemap-{file}", get(feeds::sitemap::part).layer(axum::Extension(sitemap)))
        .route("/robots.txt", get(feeds::robots::show))
        .route("/stories/{id}/label", get(labels::show::story))
        .route("/prompts/{id}/label", get(labels::show::prompt))
        .route("/admin", get(admin::index::show))
        .route("/admin/people", get(admin::lists::people))
        .route("/admin/people/{id}/approve", post(admin::lists::approve))
        .route("/admin/people/{id}/decline", post(admin::lists::decline))
        .route("/admin/people/{id}/lift", post(admin::lists::lift))
        .route("/admin/invites", post(admin::lists::invite))
        .route("/admin/orgs", get(admin::lists::orgs))
        .route("/admin/groups", get(admin::lists::groups))
        .route("/admin/outbox", get(admin::outbox::show))
        .route("/admin/outbox/{id}/send-again", post(admin::outbox::send_again))
        .route("/conversations/{kind}/{id}", get(conversations::show::show))
        .route("/conversations/{kind}/{id}/reply", get(conversations::reply::form))
        .route("/conversations/{kind}/{id}/replies", post(conversations::reply::submit))
        .route("/replies/{id}", get(replies::show::show))
        .route("/replies/{id}/edit", get(replies::edit::form).post(replies::edit::submit))
        .route("/replies/{id}/history", get(replies::edit::history))
        .route("/replies/{id}/retract", post(replies::act::retract))
        .route("/replies/{id}/thanks", post(replies::act::thanks))
        .route("/replies/{id}/review", post(replies::act::review))
        .route("/notifications", get(notifications::list::show))
        .route("/notifications/read", post(notifications::list::read))
        .route("/notifications/settings", get(notifications::settings::form).post(notifications::settings::submit))
        .route("/unsubscribe", get(notifications::unsubscribe::form).post(notifications::unsubscribe::submit))
        .route("/report", get(moderation::report::form).post(moderation::report::submit))
        .route("/moderation", get(moderation::queue::show))
        .route("/moderation/{report}", post(moderation::queue::act))
        .route("/moderation/log", get(moderation::log::show))
        .route("/moderation/dismiss", post(moderation::dismiss::submit))
        .route("/moderation/reporters/{report}", get(moderation::reporter::show))
        .route("/admin/conversations", get(moderation::settings::form).post(moderation::settings::submit))
        .route("/people/{handle}/relation", post(moderation::relate::submit))
        // The same limit as a form's, so a body over it gets one answer
        // (see `body_limit`).
        .layer(RequestBodyLimitLayer::new(forms::MAX_FORM_BYTES))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(REQUEST_TIMEOUT_SECS)))
        .merge(uploads)
        .merge(settings)
        .fallback(site::not_found::show)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        .with_state(state)
}
