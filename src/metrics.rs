//! Prometheus metrics in the text exposition format, kept in memory per instance (Prometheus
//! scrapes each instance). Hand-rolled: a few counters and one histogram do not need a crate.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    started: Instant,
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    durations: Mutex<BTreeMap<String, Histogram>>,
    connector: Mutex<BTreeMap<String, Histogram>>,
    pub worker_runs: AtomicU64,
    pub worker_errors: AtomicU64,
    /// Redirects answered although their click could not be stored.
    pub clicks_unrecorded: AtomicU64,
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            requests: Mutex::default(),
            durations: Mutex::default(),
            connector: Mutex::default(),
            worker_runs: AtomicU64::new(0),
            worker_errors: AtomicU64::new(0),
            clicks_unrecorded: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// One channel call's duration, by account kind.
    pub fn observe_connector(&self, kind: &str, seconds: f64) {
        let mut all = self.connector.lock().expect("metrics lock");
        all.entry(kind.to_string()).or_default().observe(seconds);
    }

    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        let mut durations = self.durations.lock().expect("metrics lock");
        durations
            .entry(route.to_string())
            .or_default()
            .observe(seconds);
    }

    /// Deliveries by state (read from the database at scrape time, so every instance agrees)
    /// and channel call durations by kind.
    pub fn render_publishing(&self, deliveries: &[(String, i64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP loa_deliveries Deliveries by state, all instances."
        );
        let _ = writeln!(out, "# TYPE loa_deliveries gauge");
        for (state, n) in deliveries {
            let _ = writeln!(out, "loa_deliveries{{state=\"{state}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP loa_connector_call_seconds Channel API call time, by kind."
        );
        let _ = writeln!(out, "# TYPE loa_connector_call_seconds histogram");
        for (kind, h) in self.connector.lock().expect("metrics lock").iter() {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "loa_connector_call_seconds_bucket{{kind=\"{kind}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "loa_connector_call_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "loa_connector_call_seconds_sum{{kind=\"{kind}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "loa_connector_call_seconds_count{{kind=\"{kind}\"}} {}",
                h.count
            );
        }
        out
    }

    /// The exposition text; `db_up` comes from a fresh database ping.
    pub fn render(&self, db_up: bool, backend: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP loa_build_info Version and database backend of this instance."
        );
        let _ = writeln!(out, "# TYPE loa_build_info gauge");
        let _ = writeln!(
            out,
            "loa_build_info{{version=\"{}\",backend=\"{backend}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP loa_uptime_seconds Seconds since this instance started."
        );
        let _ = writeln!(out, "# TYPE loa_uptime_seconds gauge");
        let _ = writeln!(
            out,
            "loa_uptime_seconds {:.0}",
            self.started.elapsed().as_secs_f64()
        );
        let _ = writeln!(
            out,
            "# HELP loa_database_up Whether the database answered the last scrape."
        );
        let _ = writeln!(out, "# TYPE loa_database_up gauge");
        let _ = writeln!(out, "loa_database_up {}", u8::from(db_up));
        let _ = writeln!(
            out,
            "# HELP loa_worker_runs_total Background worker steps run."
        );
        let _ = writeln!(out, "# TYPE loa_worker_runs_total counter");
        let _ = writeln!(
            out,
            "loa_worker_runs_total {}",
            self.worker_runs.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP loa_worker_errors_total Background worker steps that failed."
        );
        let _ = writeln!(out, "# TYPE loa_worker_errors_total counter");
        let _ = writeln!(
            out,
            "loa_worker_errors_total {}",
            self.worker_errors.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP loa_clicks_unrecorded_total Redirects answered whose click could not be stored."
        );
        let _ = writeln!(out, "# TYPE loa_clicks_unrecorded_total counter");
        let _ = writeln!(
            out,
            "loa_clicks_unrecorded_total {}",
            self.clicks_unrecorded.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP loa_http_requests_total HTTP requests by route, method and status."
        );
        let _ = writeln!(out, "# TYPE loa_http_requests_total counter");
        for ((route, method, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "loa_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP loa_http_request_duration_seconds Time to answer, by route."
        );
        let _ = writeln!(out, "# TYPE loa_http_request_duration_seconds histogram");
        for (route, h) in self.durations.lock().expect("metrics lock").iter() {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "loa_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "loa_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "loa_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "loa_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe_request("/x", "GET", 200, 0.02);
        m.observe_request("/x", "GET", 200, 3.0);
        let text = m.render(true, "sqlite");
        assert!(
            text.contains("loa_http_requests_total{route=\"/x\",method=\"GET\",status=\"200\"} 2")
        );
        assert!(text.contains("le=\"0.025\"} 1"));
        assert!(text.contains("le=\"5\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
    }
}
