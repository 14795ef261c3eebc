//! One transaction for one step. A use case (`crate::app`) opens a `Tx`, makes every write of
//! its step through it — the state change, the deliveries it creates or cancels, the audit
//! line, the notices, the one-time form key — and commits once; a fault anywhere before the
//! commit leaves nothing behind. Reads the step decides on are made inside the same
//! transaction where they guard a write, so what was checked is what is written.
//!
//! On SQLite the transaction starts `IMMEDIATE`: it takes the write lock at once, because a
//! read-then-write transaction cannot upgrade its lock once another writer has committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{Db, Store, StoreError, StoreResult};

pub(crate) enum TxConn {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// An open transaction of one step, with the instant the step happens at.
pub struct Tx {
    pub(crate) conn: TxConn,
    /// The step's instant (UTC ms): every row the step writes carries the same time.
    pub now: i64,
    faults: Arc<Faults>,
}

/// Runs the same body against whichever transaction `$tx` holds, with `$c` the connection.
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut $tx.conn {
            crate::store::tx::TxConn::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut *t;
                $body
            }
            crate::store::tx::TxConn::Postgres(t) => {
                let $c: &mut sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// Fault injection for the crash tests: the n-th write point from now fails as if the
/// database had gone away, so a test can stop a step between any two of its writes.
#[derive(Debug, Default)]
pub struct Faults {
    countdown: AtomicU32,
}

impl Faults {
    /// The `n`-th write point reached from now fails (1: the first); 0 turns injection off.
    pub fn fail_at_write(&self, n: u32) {
        self.countdown.store(n, Ordering::SeqCst);
    }

    /// Write points still to pass before the armed fault (0: none armed or already fired).
    pub fn remaining(&self) -> u32 {
        self.countdown.load(Ordering::SeqCst)
    }

    fn hit(&self, label: &str) -> StoreResult<()> {
        let fired = self
            .countdown
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok_and(|before| before == 1);
        if fired {
            return Err(StoreError::Other(anyhow::anyhow!(
                "injected fault before the write '{label}'"
            )));
        }
        Ok(())
    }
}

impl Store {
    /// Opens the transaction of one step.
    pub async fn begin(&self) -> StoreResult<Tx> {
        let conn = match &self.db {
            Db::Sqlite(pool) => TxConn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => TxConn::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            conn,
            now: crate::clock::now_ms(),
            faults: self.faults.clone(),
        })
    }

    /// The fault injector shared by every transaction of this store (tests only arm it).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
}

impl Tx {
    /// A point between writes where an injected fault may strike.
    pub(crate) fn point(&self, label: &str) -> StoreResult<()> {
        self.faults.hit(label)
    }

    /// Makes every write of the step durable at once.
    pub async fn commit(self) -> StoreResult<()> {
        self.point("commit")?;
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Abandons the step: nothing it wrote remains (dropping a `Tx` does the same).
    pub async fn rollback(self) -> StoreResult<()> {
        match self.conn {
            TxConn::Sqlite(t) => t.rollback().await?,
            TxConn::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}
