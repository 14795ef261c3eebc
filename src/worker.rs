//! The background worker. `Worker::run_once` is one step: it does whatever is due and returns
//! what it did, so tests drive it directly and the server runs it in a loop. Later capabilities
//! (publishing, metrics polling) add their steps here.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;
use crate::store::Store;

/// Housekeeping (expired sessions, old login failures) runs at most this often.
const HOUSEKEEPING_EVERY_MS: i64 = 60_000;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct StepOutcome {
    pub sessions_purged: u64,
    pub login_failures_purged: u64,
    /// Visitor keys and salts of days before yesterday (they only de-duplicate within a day).
    pub click_keys_purged: u64,
    /// Late units of share kits reminded (each kit and unit once, whatever the instances).
    pub kit_reminders: u64,
}

#[derive(Default)]
pub struct Worker {
    last_housekeeping: Option<i64>,
    /// Reminder e-mails go out through this relay when configured.
    pub mailer: Option<crate::mail::Mailer>,
    /// Catalog for reminder texts; loaded on first use when not given.
    pub i18n: Option<std::sync::Arc<crate::i18n::I18n>>,
}

impl Worker {
    pub fn new(
        mailer: Option<crate::mail::Mailer>,
        i18n: Option<std::sync::Arc<crate::i18n::I18n>>,
    ) -> Worker {
        Worker {
            last_housekeeping: None,
            mailer,
            i18n,
        }
    }

    pub async fn run_once(
        &mut self,
        store: &Store,
        lockout_minutes: u32,
        now: i64,
    ) -> anyhow::Result<StepOutcome> {
        let mut outcome = StepOutcome::default();
        if self
            .last_housekeeping
            .is_none_or(|t| now - t >= HOUSEKEEPING_EVERY_MS)
        {
            outcome.sessions_purged = store.purge_expired_sessions(now).await?;
            // Failures older than the lockout window no longer count for anything.
            outcome.login_failures_purged = store
                .purge_login_failures(now - i64::from(lockout_minutes) * 60_000)
                .await?;
            let yesterday = crate::clock::to_hanoi(now - 86_400_000).date().to_string();
            outcome.click_keys_purged = store.purge_click_keys(&yesterday).await?;
            store
                .purge_once_keys(now - crate::store::ONCE_KEEP_MS)
                .await?;
            self.last_housekeeping = Some(now);
        }
        if self.i18n.is_none() {
            self.i18n = Some(std::sync::Arc::new(crate::i18n::I18n::load()?));
        }
        let i18n = self.i18n.as_deref().expect("loaded above");
        outcome.kit_reminders =
            crate::kits::send_due_reminders(store, self.mailer.as_ref(), i18n, now).await?;
        Ok(outcome)
    }
}

pub async fn run_until_stopped(
    state: App,
    i18n: std::sync::Arc<crate::i18n::I18n>,
    mut stop: watch::Receiver<bool>,
) {
    let mut worker = Worker::new(crate::mail::Mailer::from_config(&state.config), Some(i18n));
    let interval = Duration::from_millis(state.config.worker_interval_ms);
    // Publishing runs in its own lanes so a long batch never delays housekeeping, and the
    // other way round.
    let publishing = tokio::spawn({
        let publisher = crate::publisher::Publisher::for_state(&state);
        let (stop, metrics) = (stop.clone(), state.metrics.clone());
        let lanes = crate::publisher::lanes_for(&state.store);
        async move { publisher.run(lanes, interval, stop, Some(metrics)).await }
    });
    let polling = tokio::spawn({
        let poller = crate::engagement::poller::Poller::new(
            state.store.clone(),
            state.secret.clone(),
            Duration::from_secs(state.config.connector_timeout_seconds),
        );
        let mut stop = stop.clone();
        async move {
            while !*stop.borrow() {
                let busy = match poller.step(crate::clock::now_ms()).await {
                    Ok(r) => r.polled + r.failed > 0,
                    Err(e) => {
                        tracing::error!(error.cause_chain = ?e, "metrics polling step failed");
                        false
                    }
                };
                if !busy {
                    tokio::select! {
                        _ = tokio::time::sleep(interval) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    });
    loop {
        let now = crate::clock::now_ms();
        match worker
            .run_once(&state.store, state.config.login_lockout_minutes, now)
            .await
        {
            Ok(outcome) if outcome != StepOutcome::default() => {
                tracing::debug!(?outcome, "worker step")
            }
            Ok(_) => {}
            Err(e) => {
                state.metrics.worker_errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error.cause_chain = ?e, error.message = %e, "worker step failed");
            }
        }
        state.metrics.worker_runs.fetch_add(1, Ordering::Relaxed);
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => break,
        }
    }
    // Lanes finish the calls they are in; leases cover anything a hard stop cuts short.
    let _ = publishing.await;
    let _ = polling.await;
}
