//! After an answer was lost: look on the channel before anything is sent again.
//!
//! A request that timed out may still land: real servers (PHP, Rails) go on working after the
//! client has hung up, sometimes for tens of seconds. So a lookup that finds nothing proves
//! nothing until the last request can no longer land. Until then (the send time plus the
//! connector timeout plus `publish_settle_seconds`) the delivery stays *unconfirmed* and is
//! looked up again on a growing schedule; only a lookup after that deadline that still finds
//! nothing lets it be sent again. A lookup adopts only what this delivery can have created:
//! posted after its first send (less clock skew) and owned by no other delivery.

use std::time::Duration;

use crate::connectors::{Connector, Failure, Kind, Lookup, Outgoing, Published};
use crate::store::Delivery;

use super::Publisher;

/// What a reconciling claim does next.
pub(super) enum Next {
    /// Found on the channel: this is the delivery's post.
    Found(Published),
    /// Not found yet, and the last request may still land: look again at `due_at`.
    Wait { due_at: i64, reason: String },
    /// Nothing landed and nothing can land any more: send again (already recorded).
    Send,
    /// The lookup failed or cannot be done; judged like any failure.
    Failed(Failure),
    /// Another worker took the delivery over meanwhile: do nothing.
    LeaseLost,
}

/// Longest wait between two lookups of one delivery.
const LOOKUP_EVERY_MAX: Duration = Duration::from_secs(120);

impl Publisher {
    /// The deadline after which the delivery's last request can no longer land.
    pub(super) fn settled_at(&self, d: &Delivery, now: i64) -> i64 {
        d.sent_at.unwrap_or(now) + self.settle.as_millis() as i64
    }

    pub(super) async fn reconcile(
        &self,
        d: &Delivery,
        out: &Outgoing,
        connector: &dyn Connector,
        kind: Kind,
        now: i64,
    ) -> anyhow::Result<Next> {
        match kind.lookup() {
            Lookup::Nothing => {
                return Ok(Next::Failed(Failure::Permanent {
                    reason: "the channel may have received this message and cannot be asked; \
                             check the channel, then mark it published or retry"
                        .into(),
                }));
            }
            // The receiver drops a repeat of this delivery id: nothing to wait for.
            Lookup::ReceiverDedupes => return self.resend(d, now).await,
            Lookup::Listing => {}
        }
        // Only what this delivery's own attempts can have created.
        let since = d.first_sent_at.unwrap_or(now - 86_400_000);
        let candidates = match connector.find(out, since).await {
            Ok(found) => found,
            Err(f) => return Ok(Next::Failed(f)),
        };
        let ids: Vec<String> = candidates.iter().map(|p| p.remote_id.clone()).collect();
        let taken = self
            .store
            .remote_ids_taken(d.account_id, d.delivery_id, &ids)
            .await?;
        let mut mine = candidates
            .into_iter()
            .filter(|p| !taken.contains(&p.remote_id));
        if let Some(first) = mine.next() {
            let copies: Vec<Published> = mine.collect();
            self.remove_copies(d, kind, connector, &copies).await;
            return Ok(Next::Found(first));
        }
        let settled = self.settled_at(d, now);
        if now < settled {
            let wait = super::backoff(d.attempts).min(LOOKUP_EVERY_MAX);
            let due_at = (now + wait.as_millis() as i64).min(settled);
            let reason = format!(
                "not found on the channel yet; the last request may still land until {}, \
                 so nothing is sent again before then",
                crate::clock::format_hanoi(settled)
            );
            return Ok(Next::Wait { due_at, reason });
        }
        self.resend(d, now).await
    }

    /// Records the resend before it leaves (see `Store::note_resend`).
    async fn resend(&self, d: &Delivery, now: i64) -> anyhow::Result<Next> {
        if self
            .store
            .note_resend(d.delivery_id, &self.owner, now)
            .await?
        {
            Ok(Next::Send)
        } else {
            Ok(Next::LeaseLost)
        }
    }

    /// Copies a slow channel saved of one delivery (every request landed in the end). Only a
    /// channel where a copy carries the delivery's own nonce (WordPress: its slug) can tell
    /// them from a look-alike; elsewhere they are left for a person and logged.
    async fn remove_copies(
        &self,
        d: &Delivery,
        kind: Kind,
        connector: &dyn Connector,
        copies: &[Published],
    ) {
        for copy in copies {
            if kind == Kind::Wordpress {
                match connector.delete(&copy.remote_id).await {
                    Ok(()) => tracing::warn!(
                        delivery = d.delivery_id,
                        copy = %copy.remote_id,
                        "removed a copy a slow channel saved of this delivery"
                    ),
                    Err(f) => tracing::warn!(
                        delivery = d.delivery_id,
                        copy = %copy.remote_id,
                        reason = f.reason(),
                        "could not remove a copy of this delivery"
                    ),
                }
            } else {
                tracing::warn!(
                    delivery = d.delivery_id,
                    copy = %copy.remote_id,
                    channel = kind.as_str(),
                    "the channel shows more than one post matching this delivery"
                );
            }
        }
    }
}
