//! What the SQLite click writer thread needs of a connection, whichever library provides it
//! (`sqlite_rusqlite.rs` serves; `sqlite_sqlx.rs` is measured against it by the bench).

use super::ClickDurability;
use super::visitors::Visitors;
use crate::engagement::clicks::NewClick;

/// Clicks folded per transaction: small enough that a group queued behind a fold waits a
/// millisecond or two, large enough that each rollup row is updated once per many clicks.
pub(super) const CHUNK: i64 = 1_000;

/// What the writer thread needs of a connection. Errors are answered to every click of the
/// group, so they travel as text.
pub(super) trait Driver: Sized + Send + 'static {
    /// A connection with the pool's settings (WAL, a busy wait, foreign keys), `synchronous`
    /// per the durability, and automatic checkpoints off (see `start_with`). Called on the
    /// writer thread, which is not one of the runtime's: a driver may `block_on` there.
    fn open(
        path: &str,
        durability: ClickDurability,
        runtime: &tokio::runtime::Handle,
    ) -> anyhow::Result<Self>;
    /// Appends a group of clicks in one transaction.
    fn write(&mut self, clicks: &[NewClick]) -> anyhow::Result<()>;
    /// Folds the next run of at most `CHUNK` clicks (writer 0: SQLite has one writer); `None`
    /// when there was nothing to fold, else the clicks folded.
    fn fold_chunk(&mut self, visitors: &mut Visitors) -> anyhow::Result<Option<i64>>;
    /// Every reader `click_visitor` holds.
    fn visitors(&mut self) -> anyhow::Result<Visitors>;
    /// A passive WAL checkpoint.
    fn checkpoint(&mut self);
}
