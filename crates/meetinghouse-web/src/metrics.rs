//! Request metrics in the Prometheus text format: counts by route and status,
//! a latency histogram per route, and database pool gauges.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

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
}

impl Metrics {
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

    /// The whole exposition, with pool figures `(open, idle)` appended.
    pub fn render(&self, pool: (u32, usize), max_pool: u32) -> String {
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
        let text = m.render((1, 1), 4);
        assert!(text.contains(r#"meetinghouse_http_requests_total{route="/",method="OTHER",status="405"} 50"#), "{text}");
        assert!(text.contains(r#"method="GET",status="200"} 1"#));
        assert!(!text.contains("BREW"));
    }
}
