//! The click log: storing answered clicks, and folding them into the daily rollups. Storing is
//! the redirect's only database work, so each backend gets its cheapest way to append a group
//! atomically:
//!
//! - SQLite: one thread with its own connection and prepared statements, which also forms the
//!   groups: it takes every click waiting since its last commit and writes them in one
//!   transaction. Going through the async pool cost a thread hand-off per statement (begin,
//!   three statements, commit), measured as most of a group's time; even one sqlx statement
//!   per group (`sqlite_sqlx`, kept for `loa bench clicks --sqlite-writer sqlx`) measured far
//!   slower (figures beside `rusqlite` in Cargo.toml). The same thread folds between groups.
//! - PostgreSQL: one insert over arrays per group, in autocommit, so one round trip; several
//!   writers may commit groups at once and PostgreSQL flushes their WAL together. Folds run on
//!   the main pool, one at a time.
//!
//! Rollups are not written with the clicks: see `fold` for how and why they follow them.
//!
//! Durability is a setting (`click_durability`). By default (`Process`) a click is answered
//! once committed, which no crash of Loa can undo: SQLite's `synchronous=NORMAL` and, on
//! PostgreSQL, `synchronous_commit=off` on the click connections only (PostgreSQL writes the
//! log out within a fraction of a second; a power cut on the database host may lose that
//! fraction). `Disk` waits for the flush to disk as well, at the cost of one disk flush per
//! group (measured by `loa bench clicks`). Publishing never uses the relaxed setting.

mod driver;
mod fold;
mod ledger;
mod pg_writer;
mod postgres;
mod sqlite;
mod sqlite_rusqlite;
mod sqlite_sqlx;
mod visitors;

pub(super) use fold::report_unit;
pub use ledger::Ledgers;
pub use pg_writer::PgClickWriter;
pub(super) use pg_writer::pg_click_options;
pub use postgres::PgVisitors;
pub(super) use postgres::fold_pg;
pub use sqlite::SqliteClickDriver;
pub(super) use sqlite::SqliteClickWriter;

use std::sync::atomic::{AtomicU64, Ordering};

/// Largest group per transaction; more waiting clicks go in the next one.
pub const MAX_GROUP: usize = 2_000;

// A configuration value; named here too, where the writers that honour it live.
pub use crate::config::ClickDurability;

/// Groups written, clicks in them, and time spent writing (for `/metrics` and benchmarks).
#[derive(Default)]
pub struct GroupStats {
    pub groups: AtomicU64,
    pub clicks: AtomicU64,
    pub write_micros: AtomicU64,
    /// Folds that found clicks to fold, and their time (on SQLite the writer thread's: it
    /// writes no group meanwhile).
    pub folds: AtomicU64,
    pub fold_micros: AtomicU64,
}

impl GroupStats {
    pub(super) fn add(&self, clicks: usize, started: std::time::Instant) {
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.clicks.fetch_add(clicks as u64, Ordering::Relaxed);
        self.write_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_fold(&self, started: std::time::Instant) {
        self.folds.fetch_add(1, Ordering::Relaxed);
        self.fold_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }
}
