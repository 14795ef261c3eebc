//! Structured logs. Every request runs in a span carrying its request id (also returned to the
//! client as `x-request-id`), so one line in a bug report finds the whole story in the logs.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{Config, LogFormat};

/// Installs the global subscriber once; later calls (several apps in one test process) are no-ops.
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match config.log_format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Text => {
            let ansi = std::io::stderr().is_terminal();
            registry
                .with(
                    fmt::layer()
                        .with_target(false)
                        .with_ansi(ansi)
                        .with_writer(std::io::stderr),
                )
                .try_init()
        }
    };
    // Already installed: keep the first one.
    let _ = result;
}

/// Logs for a test run, off unless asked for: `TEST_LOG=1` shows `info` and above, and
/// `TEST_LOG=loa=debug,tower_http=info` any filter. Lines go to the test's captured output, so
/// `cargo test` shows them beside the failure they explain (all of them with `--nocapture`).
/// Every test may call it; the first call in a test binary installs the subscriber.
pub fn init_for_tests() {
    let filter = match std::env::var("TEST_LOG") {
        Ok(v) if v == "1" => "info".to_string(),
        Ok(v) if !v.is_empty() && v != "0" => v,
        _ => return,
    };
    let filter = EnvFilter::try_new(&filter)
        .unwrap_or_else(|e| panic!("TEST_LOG={filter} is no filter: {e}"));
    let layer = fmt::layer().with_ansi(false).with_test_writer();
    // Already installed by an earlier test of this binary: keep it.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init();
}
