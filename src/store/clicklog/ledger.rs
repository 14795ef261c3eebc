//! PostgreSQL: the clicks this instance's writers committed and no fold has taken yet, kept in
//! memory, so that folding an instance's own clicks does not read them back from the click log.
//! Reading them back (the run's readers, then its counts per link and day) was about half of a
//! fold's work, and a fold runs alongside the click path on the same database.
//!
//! A writer appends each group once its insert has returned, so its ledger holds a gapless run
//! of its numbers in commit order. A fold uses the ledger only when it starts exactly at the
//! writer's folded mark; otherwise (another instance folded part of it, the ledger was
//! trimmed, a fold that took from it rolled back) the fold reads the database as it does for
//! any other writer, and the ledger is of use again once the mark reaches it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::engagement::clicks::NewClick;

/// Clicks kept per writer at most; past that the oldest are dropped (folds then read them from
/// the database). About 60 bytes each.
const KEPT_MAX: usize = 500_000;

/// What a fold needs of one click.
pub(super) struct Kept {
    pub link_id: i64,
    pub day: String,
    /// The reader's key (see `clicks::visitor`).
    pub key: u64,
    pub bot: bool,
}

impl From<NewClick> for Kept {
    fn from(c: NewClick) -> Kept {
        Kept {
            key: c.visitor,
            link_id: c.link_id,
            day: c.day,
            bot: c.bot,
        }
    }
}

#[derive(Default)]
struct Ledger {
    /// Number of the first click in `clicks`; the others follow without gaps.
    first: i64,
    clicks: VecDeque<Kept>,
}

/// Every writer's ledger in this instance.
#[derive(Default)]
pub struct Ledgers(Mutex<HashMap<i64, Ledger>>);

impl Ledgers {
    /// Adds a committed group numbered from `first` on.
    pub(super) fn append(&self, writer: i64, first: i64, clicks: Vec<NewClick>) {
        let mut all = self.0.lock().expect("click ledgers");
        let ledger = all.entry(writer).or_default();
        if ledger.first + ledger.clicks.len() as i64 != first {
            ledger.clicks.clear();
        }
        if ledger.clicks.is_empty() {
            ledger.first = first;
        }
        ledger.clicks.extend(clicks.into_iter().map(Kept::from));
        let over = ledger.clicks.len().saturating_sub(KEPT_MAX);
        ledger.clicks.drain(..over);
        ledger.first += over as i64;
    }

    /// A writer that stopped (its insert failed): a fold reads its clicks from the database.
    pub(super) fn forget(&self, writer: i64) {
        self.0.lock().expect("click ledgers").remove(&writer);
    }

    /// Takes the run after a writer's mark `folded`, at most `limit` clicks, when the ledger
    /// holds it from its first click on; None when the fold must read the database.
    pub(super) fn take(&self, writer: i64, folded: i64, limit: usize) -> Option<Vec<Kept>> {
        let mut all = self.0.lock().expect("click ledgers");
        let ledger = all.get_mut(&writer)?;
        // Folded already, by this instance or another.
        let stale = (folded + 1 - ledger.first).clamp(0, ledger.clicks.len() as i64);
        ledger.clicks.drain(..stale as usize);
        ledger.first += stale;
        if ledger.first != folded + 1 || ledger.clicks.is_empty() {
            return None;
        }
        let n = limit.min(ledger.clicks.len());
        ledger.first += n as i64;
        Some(ledger.clicks.drain(..n).collect())
    }
}

/// A run's clicks by people and by robots per (link, day).
pub(super) fn tally(run: &[Kept]) -> HashMap<(i64, &str), (i64, i64)> {
    let mut counts: HashMap<(i64, &str), (i64, i64)> = HashMap::new();
    for k in run {
        let c = counts.entry((k.link_id, k.day.as_str())).or_default();
        if k.bot {
            c.1 += 1;
        } else {
            c.0 += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clicks(n: usize, bot: bool) -> Vec<NewClick> {
        (0..n)
            .map(|i| NewClick {
                link_id: 1 + (i % 2) as i64,
                at: 0,
                day: "2026-11-26".into(),
                referrer_host: String::new(),
                device: "mobile",
                bot,
                visitor: i as u64,
            })
            .collect()
    }

    #[test]
    fn a_run_is_taken_only_from_the_mark() {
        let l = Ledgers::default();
        l.append(7, 1, clicks(3, false));
        l.append(7, 4, clicks(2, true));
        assert!(l.take(8, 0, 10).is_none(), "another writer");
        let run = l.take(7, 0, 4).expect("from the mark");
        assert_eq!(run.len(), 4);
        // Links 1, 2, 1 by people, then link 1 by a robot.
        assert_eq!(tally(&run)[&(1, "2026-11-26")], (2, 1));
        assert_eq!(tally(&run)[&(2, "2026-11-26")], (1, 0));
        // That fold rolled back: the mark is still 0, the ledger is ahead of it.
        assert!(l.take(7, 0, 10).is_none());
        // Once the database fold moved the mark past what was taken, the rest is of use again.
        assert_eq!(l.take(7, 4, 10).map(|r| r.len()), Some(1));
        assert!(l.take(7, 5, 10).is_none(), "nothing left");
    }

    #[test]
    fn clicks_folded_elsewhere_are_dropped_and_gaps_reset() {
        let l = Ledgers::default();
        l.append(7, 1, clicks(5, false));
        // Another instance folded up to 3.
        assert_eq!(l.take(7, 3, 10).map(|r| r.len()), Some(2));
        // A gap (a group this ledger never saw): only what follows it is kept.
        l.append(7, 9, clicks(2, false));
        assert!(
            l.take(7, 5, 10).is_none(),
            "clicks 6 to 8 are only in the database"
        );
        assert_eq!(l.take(7, 8, 10).map(|r| r.len()), Some(2));
        l.append(7, 11, clicks(1, false));
        l.forget(7);
        assert!(l.take(7, 10, 10).is_none());
    }
}
