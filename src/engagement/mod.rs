//! Engagement by district: tracked links and QR posters attributed to a unit, the click path
//! that records every answered redirect durably, and metrics polled back from the channels.

pub mod clicks;
pub mod links;
pub mod poller;
pub mod qr;
pub mod recorder;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::store::{Store, TrackedLink};

/// The public hot path's shared parts: the writer, a slug cache, and the flood limiter.
pub struct ClickPath {
    pub recorder: recorder::Recorder,
    pub limiter: clicks::FloodLimiter,
    /// Redirects answered (302) and refused (429) by this instance.
    pub answered: std::sync::atomic::AtomicU64,
    pub refused: std::sync::atomic::AtomicU64,
    /// Links never change once created, so a slug found once is served from memory.
    cache: RwLock<HashMap<String, Arc<TrackedLink>>>,
    store: Store,
}

/// Slugs kept in memory before the cache starts over.
const CACHE_LIMIT: usize = 200_000;

impl ClickPath {
    pub fn start(store: Store, flag_after: u32, refuse_after: u32) -> ClickPath {
        ClickPath {
            recorder: recorder::Recorder::start(store.clone()),
            limiter: clicks::FloodLimiter::new(flag_after, refuse_after),
            answered: Default::default(),
            refused: Default::default(),
            cache: RwLock::default(),
            store,
        }
    }

    /// Prometheus lines for the click path.
    pub fn render_metrics(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        let g = self.store.click_stats();
        format!(
            "# HELP loa_clicks_answered_total Redirects answered with 302 (click stored first).\n\
             # TYPE loa_clicks_answered_total counter\nloa_clicks_answered_total {}\n\
             # HELP loa_clicks_refused_total Redirects refused with 429 (flood from one source).\n\
             # TYPE loa_clicks_refused_total counter\nloa_clicks_refused_total {}\n\
             # HELP loa_click_groups_total Group-commit transactions of clicks.\n\
             # TYPE loa_click_groups_total counter\nloa_click_groups_total {}\n\
             # HELP loa_click_group_seconds_total Time spent writing click groups.\n\
             # TYPE loa_click_group_seconds_total counter\nloa_click_group_seconds_total {:.6}\n\
             # HELP loa_click_folds_total Folds of stored clicks into the rollups that found some.\n\
             # TYPE loa_click_folds_total counter\nloa_click_folds_total {}\n\
             # HELP loa_click_fold_seconds_total Time spent folding clicks into the rollups.\n\
             # TYPE loa_click_fold_seconds_total counter\nloa_click_fold_seconds_total {:.6}\n",
            self.answered.load(Relaxed),
            self.refused.load(Relaxed),
            g.groups.load(Relaxed),
            g.write_micros.load(Relaxed) as f64 / 1e6,
            g.folds.load(Relaxed),
            g.fold_micros.load(Relaxed) as f64 / 1e6
        )
    }

    /// The link of a slug, or None for an unknown one.
    pub async fn resolve(&self, slug: &str) -> anyhow::Result<Option<Arc<TrackedLink>>> {
        if let Some(link) = self.cache.read().expect("slug cache").get(slug) {
            return Ok(Some(link.clone()));
        }
        let Some(link) = self.store.link_by_slug(slug).await? else {
            return Ok(None);
        };
        let link = Arc::new(link);
        let mut cache = self.cache.write().expect("slug cache");
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(slug.to_string(), link.clone());
        Ok(Some(link))
    }
}
