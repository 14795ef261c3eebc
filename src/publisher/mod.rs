//! The dispatcher: one `step` claims due deliveries, sends each through its account's connector
//! and records what happened. It is public so tests (and a crash test) drive it directly; the
//! background worker calls it in a loop, and several Loa instances may run it on one database.
//!
//! Exactly once rests on three rules: a delivery is marked `sending` (with its stable nonce)
//! before the call; the remote id is stored in the same transaction as success; and anything
//! that may have reached the channel (a timeout, a reset, a crash mid-call) is looked up on the
//! channel before it is ever sent again. Automatic retries happen only when the channel says
//! the request did not take effect.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use crate::connectors::{self, Credentials, Failure};
use crate::media::BlobStore;
use crate::secrets::SecretKey;
use crate::states::DeliveryState;
use crate::store::{Delivery, DeliveryResult, Finished, Store};

mod batch;
mod links;
mod reconcile;

/// After this many attempts a delivery is dead-lettered with its last reason.
pub const MAX_ATTEMPTS: i64 = 8;

#[derive(Clone)]
pub struct Publisher {
    pub store: Store,
    pub secret: Arc<SecretKey>,
    pub blobs: Arc<dyn BlobStore>,
    pub http: reqwest::Client,
    /// The name written into leases; unique per process.
    pub owner: String,
    /// Public address of this Loa, for image URLs channels fetch themselves (Zalo covers).
    pub public_url: String,
    /// Base of tracked short links (`link_base_url`), without a trailing slash.
    pub link_base: String,
    /// Longer than any connector call can take (client timeout plus Zalo's verify polling).
    pub lease: Duration,
    /// After a lost answer, how long the request may still land on the channel: the client
    /// timeout plus `publish_settle_seconds`. Nothing is sent again before it has passed.
    pub settle: Duration,
    pub batch: i64,
    /// Where channel call times go (`/metrics`); none in tests that build a bare publisher.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
    /// When this publisher last looked for scheduled posts missing their deliveries.
    pub last_repair: Arc<std::sync::atomic::AtomicI64>,
}

/// Dispatch lanes for this database. SQLite has one writer: parallel lanes only queue behind
/// its lock (and its busy handler sleeps), so one lane is fastest; PostgreSQL takes four.
pub fn lanes_for(store: &Store) -> usize {
    if store.backend_name() == "sqlite" {
        1
    } else {
        4
    }
}

/// How often a publisher looks for scheduled posts a crash left without deliveries.
const REPAIR_EVERY_MS: i64 = 30_000;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StepReport {
    pub claimed: usize,
    pub published: usize,
    pub retried: usize,
    pub unconfirmed: usize,
    pub paused: usize,
    pub failed: usize,
}

/// Exponential backoff with full jitter: 2 s, 4 s, 8 s … capped at 10 min.
pub fn backoff(attempts: i64) -> Duration {
    let base = 2_000u64.saturating_mul(1 << attempts.clamp(0, 9));
    let capped = base.min(600_000);
    Duration::from_millis(rand::thread_rng().gen_range(capped / 2..=capped))
}

impl Publisher {
    /// A publisher for the running application, with a lease owner unique to this process.
    pub fn for_state(state: &crate::app::App) -> Publisher {
        Publisher {
            store: state.store.clone(),
            secret: state.secret.clone(),
            blobs: state.blobs.clone(),
            http: connectors::http_client(Duration::from_secs(
                state.config.connector_timeout_seconds,
            )),
            owner: format!(
                "{}-{}",
                std::process::id(),
                &crate::secrets::random_token()[..8]
            ),
            public_url: state.config.public_url.clone(),
            link_base: state.config.link_base_url.clone(),
            // Must cover the client timeout plus Zalo's verify polling (the default 120 s does).
            lease: Duration::from_secs(
                state
                    .config
                    .publish_lease_seconds
                    .max(state.config.connector_timeout_seconds + 5),
            ),
            settle: Duration::from_secs(
                state.config.connector_timeout_seconds + state.config.publish_settle_seconds,
            ),
            // PostgreSQL's lanes each take a quarter of a full round, so a lane whose calls
            // are done claims again while the others' are still in flight.
            batch: if lanes_for(&state.store) > 1 { 64 } else { 256 },
            metrics: Some(state.metrics.clone()),
            last_repair: Arc::default(),
        }
    }

    /// Runs `lanes` dispatch loops until `stop` turns true. A lane that found work claims again
    /// at once; an idle one waits `idle`. Lanes overlap, so one slow call never holds up a
    /// whole batch; each has its own lease owner.
    pub async fn run(
        &self,
        lanes: usize,
        idle: Duration,
        stop: tokio::sync::watch::Receiver<bool>,
        metrics: Option<Arc<crate::metrics::Metrics>>,
    ) {
        let mut tasks = tokio::task::JoinSet::new();
        for lane in 0..lanes.max(1) {
            let mut me = self.clone();
            me.owner = format!("{}-{lane}", self.owner);
            let mut stop = stop.clone();
            let metrics = metrics.clone();
            tasks.spawn(async move {
                // While a backlog drains under a rate limit, budget frees a few deliveries at
                // a time: look again soon after the last work instead of a whole idle period.
                let mut last_work = std::time::Instant::now() - Duration::from_secs(60);
                while !*stop.borrow() {
                    let worked = match me.step(crate::clock::now_ms()).await {
                        Ok(report) => report.claimed > 0,
                        Err(e) => {
                            if let Some(m) = &metrics {
                                m.worker_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            tracing::error!(error.cause_chain = ?e, error.message = %e, "publishing step failed");
                            false
                        }
                    };
                    if worked {
                        last_work = std::time::Instant::now();
                    } else {
                        let wait = if last_work.elapsed() < Duration::from_secs(5) {
                            idle.min(Duration::from_millis(20))
                        } else {
                            idle
                        };
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = stop.changed() => {}
                        }
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// One round: claim, send concurrently, record. Returns what happened.
    pub async fn step(&self, now: i64) -> anyhow::Result<StepReport> {
        let last = self.last_repair.load(std::sync::atomic::Ordering::Relaxed);
        if now - last >= REPAIR_EVERY_MS || now < last {
            self.last_repair
                .store(now, std::sync::atomic::Ordering::Relaxed);
            crate::app::posts::repair_deliveries(&self.store, now + 3_600_000).await?;
        }
        let lease_until = now + self.lease.as_millis() as i64;
        let claimed = self
            .store
            .claim_deliveries(&self.owner, lease_until, now, self.batch)
            .await?;
        let mut report = StepReport {
            claimed: claimed.len(),
            ..StepReport::default()
        };
        if claimed.is_empty() {
            return Ok(report);
        }
        let batch = Arc::new(batch::Batch::load(self, &claimed).await?);
        let mut tasks = tokio::task::JoinSet::new();
        for d in claimed {
            let me = self.clone();
            let batch = batch.clone();
            tasks.spawn(async move { me.deliver(d, &batch).await });
        }
        // Group commit: whatever has finished by the time the last write returned goes into
        // the next transaction together.
        let mut ready = Vec::new();
        while let Some(first) = tasks.join_next().await {
            let mut push =
                |done: Result<anyhow::Result<Finished>, tokio::task::JoinError>| match done {
                    Ok(Ok(f)) => ready.push(f),
                    Ok(Err(e)) => tracing::error!(error.cause_chain = ?e, "delivery failed"),
                    Err(e) => tracing::error!(error = %e, "delivery task panicked"),
                };
            push(first);
            while let Some(more) = tasks.try_join_next() {
                push(more);
            }
            let recorded = self.store.finish_deliveries(&self.owner, &ready).await?;
            for (f, ok) in ready.drain(..).zip(recorded) {
                if !ok {
                    continue;
                }
                match f.result {
                    DeliveryResult::Published { .. } => report.published += 1,
                    DeliveryResult::Again {
                        state: DeliveryState::Unconfirmed,
                        ..
                    } => report.unconfirmed += 1,
                    DeliveryResult::Again { .. } => report.retried += 1,
                    DeliveryResult::Paused { .. } => report.paused += 1,
                    DeliveryResult::Failed { .. } => report.failed += 1,
                }
            }
        }
        Ok(report)
    }

    /// Sends one delivery (or looks it up first) and judges the answer; the outcome is
    /// written by `step` with others of its batch.
    async fn deliver(&self, d: Delivery, batch: &batch::Batch) -> anyhow::Result<Finished> {
        let started = crate::clock::now_ms();
        let finished = |operation, result| Finished {
            delivery_id: d.delivery_id,
            account_id: d.account_id,
            started_at: started,
            finished_at: crate::clock::now_ms(),
            operation,
            result,
            uploaded: None,
        };
        let Some((account, creds)) = batch.account(d.account_id) else {
            anyhow::bail!(
                "account {} of delivery {} is gone",
                d.account_id,
                d.delivery_id
            );
        };
        let creds = match creds {
            Ok(c) => c,
            Err(reason) => {
                self.store
                    .set_account_status(
                        account.account_id,
                        crate::states::AccountStatus::NeedsReauth,
                        reason,
                    )
                    .await?;
                let error = reason.clone();
                return Ok(finished("publish", DeliveryResult::Paused { error }));
            }
        };
        let Some(out) = batch.outgoing(&d, creds) else {
            let error = "the post no longer exists".to_string();
            let class = "permanent";
            return Ok(finished("publish", DeliveryResult::Failed { class, error }));
        };
        let connector = connectors::connector(&self.http, creds);
        let mut operation = "publish";
        let outcome = if d.reconcile {
            operation = "reconcile";
            match self
                .reconcile(&d, &out, connector.as_ref(), creds.kind(), started)
                .await?
            {
                reconcile::Next::Found(p) => Ok(p),
                reconcile::Next::Wait { due_at, reason } => {
                    let result = DeliveryResult::Again {
                        state: DeliveryState::Unconfirmed,
                        due_at,
                        class: "ambiguous",
                        error: reason,
                    };
                    return Ok(finished(operation, result));
                }
                reconcile::Next::LeaseLost => {
                    anyhow::bail!(
                        "delivery {} was taken over by another worker",
                        d.delivery_id
                    )
                }
                reconcile::Next::Failed(f) => Err(f),
                reconcile::Next::Send => {
                    operation = "reconcile+publish";
                    connector.publish(&out).await
                }
            }
        } else {
            connector.publish(&out).await
        };
        let now = crate::clock::now_ms();
        if let Some(m) = &self.metrics {
            m.observe_connector(creds.kind().as_str(), (now - started) as f64 / 1000.0);
        }
        let mut uploaded = None;
        let result = match outcome {
            Ok(p) => {
                if let (Some(media), Some(image)) = (p.media, out.image.as_ref())
                    && image.remote_id.as_deref() != Some(media.as_str())
                {
                    uploaded = Some((image.key.clone(), media));
                }
                DeliveryResult::Published {
                    remote_id: p.remote_id,
                    url: p.url,
                }
            }
            Err(f) => self.judge(&d, account, creds, f, now).await?,
        };
        Ok(Finished {
            uploaded,
            ..finished(operation, result)
        })
    }

    /// What to do after a failure, by its class.
    async fn judge(
        &self,
        d: &Delivery,
        account: &crate::store::ChannelAccount,
        creds: &Credentials,
        f: Failure,
        now: i64,
    ) -> anyhow::Result<DeliveryResult> {
        let dead = d.attempts >= MAX_ATTEMPTS;
        // A rate limit with the channel's own "come back at" is not the delivery failing: it
        // gets far more patience than errors do.
        let throttled_out = d.attempts >= MAX_ATTEMPTS * 5;
        Ok(match f {
            Failure::Retryable {
                reason,
                after: Some(_),
            } if throttled_out => DeliveryResult::Failed {
                class: "exhausted",
                error: reason,
            },
            Failure::Retryable {
                reason,
                after: None,
            } if dead => DeliveryResult::Failed {
                class: "exhausted",
                error: reason,
            },
            Failure::Retryable { reason, after } => DeliveryResult::Again {
                state: DeliveryState::Retry,
                due_at: now + after.unwrap_or_else(|| backoff(d.attempts)).as_millis() as i64,
                class: "retryable",
                error: reason,
            },
            // Lookups while waiting for a lost answer to settle are not sends: only sends
            // count towards giving up.
            Failure::Ambiguous { reason } if d.sends >= MAX_ATTEMPTS => DeliveryResult::Failed {
                class: "unconfirmed",
                error: reason,
            },
            Failure::Ambiguous { reason } => DeliveryResult::Again {
                state: DeliveryState::Unconfirmed,
                due_at: now + backoff(0).as_millis() as i64,
                class: "ambiguous",
                error: reason,
            },
            Failure::TokenExpired { reason } if matches!(creds, Credentials::Zalo { .. }) => {
                self.refresh(account, creds, now).await?;
                DeliveryResult::Again {
                    state: DeliveryState::Retry,
                    due_at: now,
                    class: "token_expired",
                    error: reason,
                }
            }
            Failure::TokenExpired { reason } | Failure::NeedsReauth { reason } => {
                self.store
                    .set_account_status(
                        account.account_id,
                        crate::states::AccountStatus::NeedsReauth,
                        &reason,
                    )
                    .await?;
                DeliveryResult::Paused { error: reason }
            }
            Failure::Permanent { reason } => DeliveryResult::Failed {
                class: "permanent",
                error: reason,
            },
        })
    }

    /// Zalo: exactly one worker refreshes; the new single-use refresh token is stored by
    /// compare-and-swap before anyone uses it. A refused refresh flags the account.
    async fn refresh(
        &self,
        account: &crate::store::ChannelAccount,
        creds: &Credentials,
        now: i64,
    ) -> anyhow::Result<()> {
        if !self
            .store
            .take_refresh_lease(account.account_id, now, now + 60_000)
            .await?
        {
            return Ok(());
        }
        match connectors::connector(&self.http, creds).refresh().await {
            Ok(r) => {
                let mut next = creds.clone();
                if let Credentials::Zalo {
                    access_token,
                    refresh_token,
                    expires_at,
                    ..
                } = &mut next
                {
                    *access_token = r.access_token;
                    *refresh_token = r.refresh_token;
                    *expires_at = r.expires_at;
                }
                let sealed = self.secret.seal(&serde_json::to_vec(&next)?);
                self.store
                    .swap_credentials(account.account_id, &account.sealed_credentials, &sealed)
                    .await?;
            }
            Err(f) => {
                self.store
                    .set_account_status(
                        account.account_id,
                        crate::states::AccountStatus::NeedsReauth,
                        f.reason(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
