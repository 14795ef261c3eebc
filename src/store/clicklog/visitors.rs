//! Readers already seen, per day and link, in memory. The set is the whole truth once it has
//! read everything in `click_visitor`, which is only appended to:
//!
//! - SQLite serves one Loa process: its writer thread loads the table at start.
//! - On PostgreSQL folds take turns across instances, and each fold first reads the rows other
//!   instances' folds appended since its instance last looked (rows are numbered in the order
//!   folds commit).

use std::collections::{HashMap, HashSet};

/// (link, visitor) pairs seen per Hanoi day; only the two newest days are kept (visitor keys
/// change with the daily salt, and the worker purges older rows).
#[derive(Default)]
pub(super) struct Visitors(HashMap<String, HashSet<(i64, u64)>>);

/// The first 64 bits of a visitor hash: a collision between two readers of one link on one
/// day has odds of about n²/2⁶⁵, nil at any real n.
fn short(visitor: &str) -> u64 {
    u64::from_str_radix(visitor.get(..16).unwrap_or(visitor), 16).unwrap_or_else(|_| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        visitor.hash(&mut h);
        h.finish()
    })
}

impl Visitors {
    pub(super) fn load(conn: &rusqlite::Connection) -> rusqlite::Result<Visitors> {
        let mut v = Visitors::default();
        let mut st = conn.prepare("select link_id, day, visitor from click_visitor")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (link, day, visitor) = row?;
            v.insert(link, &day, &visitor);
        }
        Ok(v)
    }

    /// True when this reader is new to the link that day (and is now known).
    pub(super) fn insert(&mut self, link: i64, day: &str, visitor: &str) -> bool {
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
            Some(seen) => seen.insert((link, short(visitor))),
            // A click from a day older than the two kept: count it as new, as the database
            // no longer holds that day's readers either.
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
