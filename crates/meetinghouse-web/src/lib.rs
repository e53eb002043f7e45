//! Meetinghouse over HTTP: the router, the extractors that turn requests into
//! core calls, one file per route, and the server-rendered HTML. Only this
//! crate knows HTTP and HTML; every state change is a call into core.

mod error;
mod forms;
mod metrics;
mod middleware;
mod page;
mod pagecache;
mod paging;
mod ratelimit;
mod routes;
mod state;
mod viewer;

pub use metrics::Metrics;
pub use metrics::{Job, job_succeeded};
pub use ratelimit::RateLimits;
pub use ratelimit::Browser;
pub use ratelimit::{SEARCHES_PER_ADDRESS, SEARCH_PERIOD};
pub use state::{AppState, Secret, WebConfig};

/// Builds the whole application: routes plus the middleware every response passes through.
pub fn app(state: AppState) -> axum::Router {
    routes::router(state)
}
