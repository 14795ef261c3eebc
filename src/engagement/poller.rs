//! Metrics polling: each published delivery is read back on a decaying schedule (+1 h, +6 h,
//! +1 day, +3 days, +7 days, +30 days after publishing, then never again), within the
//! account's rate budget. `Poller::step` is one round; the worker runs it in a loop and tests
//! drive it directly.

use std::sync::Arc;
use std::time::Duration;

use crate::connectors::{self, Credentials, Failure, Metrics};
use crate::secrets::SecretKey;
use crate::store::{DuePoll, Snapshot, Store};

const HOUR: i64 = 3_600_000;
/// When to poll, counted from publishing.
pub const SCHEDULE: [i64; 6] = [HOUR, 6 * HOUR, 24 * HOUR, 72 * HOUR, 168 * HOUR, 720 * HOUR];

/// The first scheduled poll still ahead of `now`: its round and due time, or None when the
/// schedule is over. A manual refresh therefore never skips or repeats a scheduled poll.
pub fn next_poll(published_at: i64, now: i64) -> (i64, Option<i64>) {
    match SCHEDULE
        .iter()
        .position(|offset| published_at + offset > now)
    {
        Some(i) => (i as i64, Some(published_at + SCHEDULE[i])),
        None => (SCHEDULE.len() as i64, None),
    }
}

#[derive(Clone)]
pub struct Poller {
    pub store: Store,
    pub secret: Arc<SecretKey>,
    pub http: reqwest::Client,
    pub batch: i64,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PollReport {
    pub polled: usize,
    pub failed: usize,
}

fn snapshot(m: Metrics, delivery_id: i64, at: i64) -> Snapshot {
    Snapshot {
        delivery_id,
        at,
        views: m.views,
        reach: m.reach,
        reactions: m.reactions,
        reactions_by_type: m
            .reactions_by_type
            .iter()
            .map(|(kind, n)| format!("{kind}:{n}"))
            .collect::<Vec<_>>()
            .join(" "),
        comments: m.comments,
        shares: m.shares,
        clicks: m.clicks,
        ..Snapshot::default()
    }
}

impl Poller {
    /// A poller on `store`, opening credentials with `secret`, each call bounded by `timeout`.
    pub fn new(
        store: crate::store::Store,
        secret: std::sync::Arc<crate::secrets::SecretKey>,
        timeout: Duration,
    ) -> Poller {
        Poller {
            store,
            secret,
            http: connectors::http_client(timeout),
            batch: 50,
        }
    }

    pub async fn step(&self, now: i64) -> anyhow::Result<PollReport> {
        let lease = now + 120_000;
        let due = self
            .store
            .claim_metric_polls(now, lease, self.batch)
            .await?;
        let mut report = PollReport::default();
        let mut tasks = tokio::task::JoinSet::new();
        for poll in due {
            let me = self.clone();
            tasks.spawn(async move { me.poll(poll, now).await });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(true)) => report.polled += 1,
                Ok(Ok(false)) => report.failed += 1,
                Ok(Err(e)) => {
                    report.failed += 1;
                    tracing::warn!(error.cause_chain = ?e, "metrics poll not recorded")
                }
                Err(e) => tracing::error!(error = %e, "metrics poll panicked"),
            }
        }
        Ok(report)
    }

    /// Polls one delivery; true when the channel answered with numbers. `now` is the step's
    /// clock, which places the next poll on the schedule.
    async fn poll(&self, poll: DuePoll, now: i64) -> anyhow::Result<bool> {
        let started = crate::clock::now_ms();
        let account = self.store.account(poll.account_id).await?;
        let creds: Credentials =
            serde_json::from_slice(&self.secret.open(&account.sealed_credentials)?)?;
        let answer = connectors::connector(&self.http, &creds)
            .metrics(&poll.remote_id)
            .await;
        let (round, due) = next_poll(poll.published_at, now);
        let (snap, outcome, next_due, ok) = match answer {
            Ok(m) => (
                Some(snapshot(m, poll.delivery_id, now)),
                "polled",
                due,
                true,
            ),
            // Not done: try again after the channel's hint or a quarter of an hour.
            Err(Failure::Retryable { after, .. }) => {
                let wait = after.map(|d| d.as_millis() as i64).unwrap_or(15 * 60_000);
                (None, "retry", Some(now + wait), false)
            }
            Err(Failure::Ambiguous { .. }) => (None, "retry", Some(now + 15 * 60_000), false),
            // Tokens: publishing flags the account; polls wait an hour rather than fail it twice.
            Err(Failure::TokenExpired { .. } | Failure::NeedsReauth { .. }) => {
                (None, "needs_reauth", Some(now + HOUR), false)
            }
            // The post is gone or the channel reports nothing: keep the reason, go on schedule.
            Err(Failure::Permanent { reason }) => {
                let note = Snapshot {
                    delivery_id: poll.delivery_id,
                    at: now,
                    note: reason,
                    ..Snapshot::default()
                };
                (Some(note), "refused", due, false)
            }
        };
        self.store
            .finish_metric_poll(
                &poll,
                snap.as_ref(),
                started,
                outcome,
                (round, next_due),
                now,
            )
            .await?;
        Ok(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_decays_and_ends() {
        let p = 1_000_000;
        assert_eq!(next_poll(p, p), (0, Some(p + HOUR)));
        assert_eq!(next_poll(p, p + HOUR), (1, Some(p + 6 * HOUR)));
        assert_eq!(
            next_poll(p, p + 2 * HOUR),
            (1, Some(p + 6 * HOUR)),
            "a refresh keeps the plan"
        );
        assert_eq!(next_poll(p, p + 800 * HOUR), (6, None));
    }
}
