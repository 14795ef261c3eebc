//! Readers already seen, per day and link, in memory. The set is the whole truth once it has
//! read everything in `click_visitor`, which is only appended to:
//!
//! - SQLite serves one Loa process: its writer thread loads the table at start.
//! - On PostgreSQL folds take turns across instances, and each fold first reads the batches other
//!   instances' folds appended to `click_reader_batch` since its instance last looked (batches
//!   are numbered in the order folds commit, and hold the pairs packed, see `pack`).

use std::collections::{HashMap, HashSet};

/// (link, visitor) pairs seen per Hanoi day; only the two newest days are kept (visitor keys
/// change with the daily salt, and the worker purges older rows).
#[derive(Default)]
pub(super) struct Visitors(HashMap<String, HashSet<(i64, u64)>>);

/// The first 64 bits of a visitor hash: a collision between two readers of one link on one
/// day has odds of about n²/2⁶⁵, nil at any real n.
pub(super) fn short(visitor: &str) -> u64 {
    u64::from_str_radix(visitor.get(..16).unwrap_or(visitor), 16).unwrap_or_else(|_| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        visitor.hash(&mut h);
        h.finish()
    })
}

impl Visitors {
    /// True when this reader is new to the link that day (and is now known).
    pub(super) fn insert(&mut self, link: i64, day: &str, visitor: &str) -> bool {
        self.insert_key(link, day, short(visitor))
    }

    /// `insert` with the reader's key (`short`) already taken.
    pub(super) fn insert_key(&mut self, link: i64, day: &str, key: u64) -> bool {
        if !self.0.contains_key(day) {
            self.0.insert(day.to_string(), HashSet::new());
            if self.0.len() > 2 {
                let mut days: Vec<String> = self.0.keys().cloned().collect();
                days.sort();
                for old in &days[..days.len() - 2] {
                    self.0.remove(old);
                }
            }
        }
        match self.0.get_mut(day) {
            Some(seen) => seen.insert((link, key)),
            // A click from a day older than the two kept: count it as new, as the database
            // no longer holds that day's readers either.
            None => true,
        }
    }
}

/// (link, reader key) pairs as `click_reader_batch.readers` holds them: 16 bytes each,
/// big-endian (the migration packs the older rows with PostgreSQL's own functions).
pub(super) fn pack(pairs: &[(i64, u64)]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(pairs.len() * 16);
    for (link, key) in pairs {
        bytes.extend_from_slice(&link.to_be_bytes());
        bytes.extend_from_slice(&key.to_be_bytes());
    }
    bytes
}

/// The pairs `pack` packed; a trailing partial pair (never written) is ignored.
pub(super) fn unpack(bytes: &[u8]) -> impl Iterator<Item = (i64, u64)> + '_ {
    bytes.chunks_exact(16).map(|c| {
        let (link, key) = c.split_at(8);
        (
            i64::from_be_bytes(link.try_into().expect("8 bytes")),
            u64::from_be_bytes(key.try_into().expect("8 bytes")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_pack_and_unpack() {
        let pairs = [(1, u64::MAX), (-7, 0), (i64::MAX, 0x0123_4567_89ab_cdef)];
        let bytes = pack(&pairs);
        assert_eq!(bytes.len(), 48);
        assert_eq!(
            &bytes[..8],
            &[0, 0, 0, 0, 0, 0, 0, 1],
            "big-endian, as int8send writes"
        );
        assert_eq!(unpack(&bytes).collect::<Vec<_>>(), pairs);
        assert_eq!(
            short("0123456789abcdef0123456789abcdef"),
            0x0123_4567_89ab_cdef,
            "the key is the hash's first 16 hex digits, as the migration decodes them"
        );
    }

    #[test]
    fn readers_are_new_once_per_link_and_day() {
        let mut v = Visitors::default();
        let a = "0123456789abcdef0123456789abcdef";
        assert!(v.insert(1, "2026-11-26", a));
        assert!(!v.insert(1, "2026-11-26", a));
        assert!(v.insert(2, "2026-11-26", a), "another link");
        assert!(v.insert(1, "2026-11-27", a), "another day");
        assert!(v.insert(1, "2026-11-28", a));
        assert_eq!(v.0.len(), 2, "only the two newest days are kept");
        assert!(v.0.contains_key("2026-11-27") && v.0.contains_key("2026-11-28"));
        assert!(v.insert(3, "2026-11-28", "not hex"));
        assert!(!v.insert(3, "2026-11-28", "not hex"));
    }
}
