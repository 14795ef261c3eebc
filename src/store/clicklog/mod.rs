//! Writing a group of clicks, per backend. This is the click path's only database work, so
//! each backend gets its cheapest way to do it atomically:
//!
//! - SQLite: one thread with its own connection and prepared statements, which also forms the
//!   groups: it takes every click waiting since its last commit and writes them in one
//!   transaction. Going through the async pool cost a thread hand-off per statement (begin,
//!   three statements, commit), measured as most of a group's time.
//! - PostgreSQL: one statement (data-modifying CTEs over arrays) in autocommit, so one round
//!   trip; several writers may commit groups at once and PostgreSQL flushes their WAL together.
//!
//! Both skip the visitor insert for (link, day, visitor) keys they know are stored already.
//!
//! Durability is a setting (`click_durability`). By default (`Process`) a click is answered
//! once committed, which no crash of Loa can undo: SQLite's `synchronous=NORMAL` and, on
//! PostgreSQL, `synchronous_commit=off` on the click connections only (PostgreSQL writes the
//! log out within a fraction of a second; a power cut on the database host may lose that
//! fraction). `Disk` waits for the flush to disk as well, at the cost of one disk flush per
//! group (measured by `loa bench clicks`). Publishing never uses the relaxed setting.

mod postgres;
mod sqlite;

pub(super) use postgres::{pg_click_pool, write_pg};
pub(super) use sqlite::SqliteClickWriter;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::engagement::clicks::NewClick;

/// Largest group per transaction; more waiting clicks go in the next one.
pub const MAX_GROUP: usize = 2_000;

/// When a redirect may answer: its click committed (`Process`), or also flushed (`Disk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClickDurability {
    #[default]
    Process,
    Disk,
}

/// Groups written, clicks in them, and time spent writing (for `/metrics` and benchmarks).
#[derive(Default)]
pub struct GroupStats {
    pub groups: AtomicU64,
    pub clicks: AtomicU64,
    pub write_micros: AtomicU64,
}

impl GroupStats {
    pub(super) fn add(&self, clicks: usize, started: std::time::Instant) {
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.clicks.fetch_add(clicks as u64, Ordering::Relaxed);
        self.write_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }
}

/// (link, day, visitor) keys known to be stored, so a repeat visit skips the visitor insert
/// (it would be ignored anyway). Bounded; a miss only costs the insert.
#[derive(Default)]
pub(in crate::store) struct Seen(std::collections::HashSet<(i64, String, String)>);

impl Seen {
    fn insert(&mut self, c: &NewClick) -> bool {
        if self.0.len() > 500_000 {
            self.0.clear();
        }
        self.0.insert((c.link_id, c.day.clone(), c.visitor.clone()))
    }

    fn knows(&self, c: &NewClick) -> bool {
        self.0
            .contains(&(c.link_id, c.day.clone(), c.visitor.clone()))
    }
}

/// (people, robots) per (link, day), in key order: two writers adding to the same rollup
/// rows take their locks in the same order and cannot deadlock.
pub(super) fn by_link_day(clicks: &[NewClick]) -> BTreeMap<(i64, &str), (i64, i64)> {
    let mut daily: BTreeMap<(i64, &str), (i64, i64)> = BTreeMap::new();
    for c in clicks {
        let e = daily.entry((c.link_id, c.day.as_str())).or_default();
        if c.bot { e.1 += 1 } else { e.0 += 1 }
    }
    daily
}
