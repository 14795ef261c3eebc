//! Group commit for clicks. One writer task owns the database side of the click path: every
//! redirect hands it a click and waits; the writer takes everything queued since its last
//! commit, writes it in one transaction, then releases all those requests at once. A redirect
//! is answered only after its click is committed, so a crash loses no answered click, and
//! under load one fsync serves hundreds of clicks instead of one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::clicks::NewClick;
use crate::store::Store;

/// Largest group per transaction; more waiting clicks go in the next one.
const MAX_GROUP: usize = 2_000;

struct Pending {
    click: NewClick,
    done: oneshot::Sender<bool>,
}

/// Groups written, clicks in them, and time spent writing (for `/metrics` and benchmarks).
#[derive(Default)]
pub struct GroupStats {
    pub groups: AtomicU64,
    pub clicks: AtomicU64,
    pub write_micros: AtomicU64,
}

#[derive(Clone)]
pub struct Recorder {
    pub stats: Arc<GroupStats>,
    queue: mpsc::Sender<Pending>,
    salts: Arc<Mutex<HashMap<String, String>>>,
    store: Store,
}

impl Recorder {
    /// Starts the writer task on `store`.
    pub fn start(store: Store) -> Recorder {
        let (queue, rx) = mpsc::channel(MAX_GROUP * 4);
        let stats = Arc::new(GroupStats::default());
        // SQLite has one writer at a time anyway; PostgreSQL commits several groups at once
        // and flushes their log together, so a group forms while others commit.
        let writers = if store.backend_name() == "sqlite" {
            1
        } else {
            2
        };
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..writers {
            tokio::spawn(write_groups(store.clone(), rx.clone(), stats.clone()));
        }
        Recorder {
            stats,
            queue,
            salts: Arc::default(),
            store,
        }
    }

    /// Records a click; returns once it is committed. False when it could not be stored (the
    /// redirect then still answers, as losing a count is better than stranding a citizen).
    pub async fn record(&self, click: NewClick) -> bool {
        let (done, wait) = oneshot::channel();
        if self.queue.send(Pending { click, done }).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }

    /// The visitor salt of a Hanoi day, read from the database once per day per instance.
    pub async fn salt(&self, day: &str) -> anyhow::Result<String> {
        if let Some(s) = self.salts.lock().expect("salt cache").get(day) {
            return Ok(s.clone());
        }
        let salt = self.store.daily_salt(day).await?;
        let mut cache = self.salts.lock().expect("salt cache");
        // Only today and yesterday are ever asked for.
        if cache.len() > 4 {
            cache.clear();
        }
        cache.insert(day.to_string(), salt.clone());
        Ok(salt)
    }
}

async fn write_groups(
    store: Store,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
    stats: Arc<GroupStats>,
) {
    let mut group: Vec<Pending> = Vec::with_capacity(MAX_GROUP);
    loop {
        {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { break };
            group.push(first);
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(p) => group.push(p),
                    Err(_) => break,
                }
            }
        }
        let clicks: Vec<NewClick> = group.iter().map(|p| p.click.clone()).collect();
        let started = std::time::Instant::now();
        let written = store.record_clicks(&clicks).await;
        stats.groups.fetch_add(1, Ordering::Relaxed);
        stats
            .clicks
            .fetch_add(clicks.len() as u64, Ordering::Relaxed);
        stats
            .write_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        let ok = match written {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error.cause_chain = ?e, clicks = clicks.len(), "clicks not recorded");
                false
            }
        };
        for p in group.drain(..) {
            let _ = p.done.send(ok);
        }
    }
}
