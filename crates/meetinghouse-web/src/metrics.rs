//! Metrics in the Prometheus text format: request counts by route and
//! status, a latency histogram per route, database pool gauges, the page
//! cache's hits and misses, database errors by kind, whether the database
//! takes writes, mail waiting or given up in the outbox, and when each
//! periodic job last ran without failing. Every label takes a fixed, short
//! list of values (routes are the route table's templates), so the series
//! stay bounded.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use meetinghouse_store::health::Unwritable;

/// The periodic jobs whose last success `/metrics` shows, by label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Digests,
    SuspensionsEnding,
    Amendments,
    ImportsWaiting,
    ImportsStopped,
    Purge,
    CommonGround,
}

impl Job {
    const ALL: [Job; 7] =
        [Job::Digests, Job::SuspensionsEnding, Job::Amendments, Job::ImportsWaiting, Job::ImportsStopped, Job::Purge, Job::CommonGround];

    /// Its `job` label.
    pub fn label(self) -> &'static str {
        match self {
            Job::Digests => "digests",
            Job::SuspensionsEnding => "suspensions_ending",
            Job::Amendments => "amendments",
            Job::ImportsWaiting => "imports_waiting",
            Job::ImportsStopped => "imports_stopped",
            Job::Purge => "purge",
            Job::CommonGround => "common_ground",
        }
    }
}

/// When each job last ran through without failing (unix seconds, 0 for
/// not yet). Process-wide, as the jobs run beside the web app and not in
/// it: the figure is this process's, which is the app server `/metrics`
/// is asked of.
static JOB_SUCCESS: [AtomicI64; Job::ALL.len()] = [const { AtomicI64::new(0) }; Job::ALL.len()];

/// Notes that a job ran through without failing, now.
pub fn job_succeeded(job: Job) {
    let i = Job::ALL.iter().position(|j| *j == job).expect("every job is listed");
    JOB_SUCCESS[i].store(meetinghouse_store::now(), Ordering::Relaxed);
}

/// How long a health check's finding is reused: the check writes, so a
/// client asking many times a second does not write many times a second.
pub const HEALTH_REUSE: Duration = Duration::from_secs(5);

/// What `/metrics` reads from the database at each scrape.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// Unsent mail: (waiting to be tried, given up, held without a mail
    /// server); None when the database could not be read.
    pub outbox: Option<(i64, i64, i64)>,
    /// Whether the database takes writes (the health check's finding).
    pub writable: Option<bool>,
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct RouteLatency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    latency: Mutex<BTreeMap<String, RouteLatency>>,
    page_cache_hits: AtomicU64,
    page_cache_misses: AtomicU64,
    /// The last health check: when, and what it found (`routes::site::health`).
    pub(crate) health: tokio::sync::Mutex<Option<(Instant, Result<(), Unwritable>)>>,
}

impl Metrics {
    /// Counts a look in the page cache for a request it could answer.
    pub fn page_cache(&self, hit: bool) {
        let counter = if hit { &self.page_cache_hits } else { &self.page_cache_misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record(&self, method: &str, route: &str, status: u16, took: Duration) {
        let method = method_label(method);
        *self.requests.lock().expect("metrics lock").entry((route.to_string(), method, status)).or_default() += 1;
        let secs = took.as_secs_f64();
        let mut lat = self.latency.lock().expect("metrics lock");
        let entry = lat.entry(route.to_string()).or_default();
        entry.count += 1;
        entry.sum += secs;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                entry.buckets[i] += 1;
            }
        }
    }

    /// The whole exposition, with pool figures `(open, idle)` and what was
    /// read from the database appended.
    pub fn render(&self, pool: (u32, usize), max_pool: u32, read: &Read) -> String {
        let mut out = String::new();
        out.push_str("# HELP meetinghouse_http_requests_total HTTP requests by route, method and status.\n");
        out.push_str("# TYPE meetinghouse_http_requests_total counter\n");
        for ((route, method, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "meetinghouse_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}",
                escape(route),
                method,
                status,
                n
            );
        }
        out.push_str("# HELP meetinghouse_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE meetinghouse_http_request_duration_seconds histogram\n");
        for (route, l) in self.latency.lock().expect("metrics lock").iter() {
            let r = escape(route);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "meetinghouse_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{bound}\"}} {}", l.buckets[i]);
            }
            let _ = writeln!(out, "meetinghouse_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}", l.count);
            let _ = writeln!(out, "meetinghouse_http_request_duration_seconds_sum{{route=\"{r}\"}} {}", l.sum);
            let _ = writeln!(out, "meetinghouse_http_request_duration_seconds_count{{route=\"{r}\"}} {}", l.count);
        }
        out.push_str("# HELP meetinghouse_db_pool_connections Database connections open, idle and allowed.\n");
        out.push_str("# TYPE meetinghouse_db_pool_connections gauge\n");
        let _ = writeln!(out, "meetinghouse_db_pool_connections{{state=\"open\"}} {}", pool.0);
        let _ = writeln!(out, "meetinghouse_db_pool_connections{{state=\"idle\"}} {}", pool.1);
        let _ = writeln!(out, "meetinghouse_db_pool_connections{{state=\"max\"}} {max_pool}");
        out.push_str("# HELP meetinghouse_page_cache_requests_total Signed-out page views the page cache could answer, by whether it had the page.\n");
        out.push_str("# TYPE meetinghouse_page_cache_requests_total counter\n");
        let _ = writeln!(out, "meetinghouse_page_cache_requests_total{{result=\"hit\"}} {}", self.page_cache_hits.load(Ordering::Relaxed));
        let _ = writeln!(out, "meetinghouse_page_cache_requests_total{{result=\"miss\"}} {}", self.page_cache_misses.load(Ordering::Relaxed));
        out.push_str("# HELP meetinghouse_db_errors_total Database errors by kind since this process started (disk_full: nothing can be written).\n");
        out.push_str("# TYPE meetinghouse_db_errors_total counter\n");
        for (kind, n) in meetinghouse_store::health::error_counts() {
            let _ = writeln!(out, "meetinghouse_db_errors_total{{kind=\"{kind}\"}} {n}");
        }
        if let Some(writable) = read.writable {
            out.push_str("# HELP meetinghouse_db_writable 1 when the database takes writes (the health check's finding), else 0.\n");
            out.push_str("# TYPE meetinghouse_db_writable gauge\n");
            let _ = writeln!(out, "meetinghouse_db_writable {}", u8::from(writable));
        }
        if let Some((waiting, failed, held)) = read.outbox {
            out.push_str("# HELP meetinghouse_outbox_emails Unsent mail: waiting to be tried, given up after every try, held (no mail server configured).\n");
            out.push_str("# TYPE meetinghouse_outbox_emails gauge\n");
            let _ = writeln!(out, "meetinghouse_outbox_emails{{state=\"waiting\"}} {waiting}");
            let _ = writeln!(out, "meetinghouse_outbox_emails{{state=\"failed\"}} {failed}");
            let _ = writeln!(out, "meetinghouse_outbox_emails{{state=\"held\"}} {held}");
        }
        out.push_str("# HELP meetinghouse_job_last_success_timestamp_seconds When each periodic job last ran without failing in this process (0: not yet).\n");
        out.push_str("# TYPE meetinghouse_job_last_success_timestamp_seconds gauge\n");
        for (i, job) in Job::ALL.iter().enumerate() {
            let _ = writeln!(out, "meetinghouse_job_last_success_timestamp_seconds{{job=\"{}\"}} {}", job.label(), JOB_SUCCESS[i].load(Ordering::Relaxed));
        }
        out
    }
}

/// The method as a label: the standard methods by name, anything else as
/// `OTHER`, so a client sending made-up methods cannot grow the series
/// without bound (routes are already bounded: unmatched paths share one).
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("OTHER")
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_series() {
        let m = Metrics::default();
        for i in 0..50 {
            m.record(&format!("BREW{i}"), "/", 405, Duration::from_millis(1));
        }
        m.record("GET", "/", 200, Duration::from_millis(1));
        let text = m.render((1, 1), 4, &Read::default());
        assert!(text.contains(r#"meetinghouse_http_requests_total{route="/",method="OTHER",status="405"} 50"#), "{text}");
        assert!(text.contains(r#"method="GET",status="200"} 1"#));
        assert!(!text.contains("BREW"));
    }

    #[test]
    fn operator_figures_have_bounded_labels() {
        let m = Metrics::default();
        m.page_cache(true);
        m.page_cache(false);
        m.page_cache(false);
        job_succeeded(Job::Purge);
        let text = m.render((1, 1), 4, &Read { outbox: Some((3, 2, 1)), writable: Some(false) });
        assert!(text.contains("meetinghouse_page_cache_requests_total{result=\"hit\"} 1\n"), "{text}");
        assert!(text.contains("meetinghouse_page_cache_requests_total{result=\"miss\"} 2\n"), "{text}");
        assert!(text.contains("meetinghouse_outbox_emails{state=\"waiting\"} 3\n"), "{text}");
        assert!(text.contains("meetinghouse_outbox_emails{state=\"failed\"} 2\n"), "{text}");
        assert!(text.contains("meetinghouse_db_writable 0\n"), "{text}");
        assert!(text.contains("meetinghouse_db_errors_total{kind=\"disk_full\"} "), "{text}");
        assert!(!text.contains("meetinghouse_job_last_success_timestamp_seconds{job=\"purge\"} 0\n"), "{text}");
        assert_eq!(text.matches("meetinghouse_job_last_success_timestamp_seconds{").count(), 7);
    }
}
