//! The storage half of `/healthz`: whether the data folder (SQLite database, media, secret
//! key) still takes a write, and how much room is left. A full disk otherwise shows only as
//! failed uploads and logins while the health check says "ok".

use std::path::{Path, PathBuf};

use serde::Serialize;

/// Below this much free space the answer says `low` (still 200): one upload with its channel
/// variants needs up to ~60 MB.
pub const LOW_BYTES: u64 = 256 * 1024 * 1024;

/// The probe file, written and removed on every health check.
pub const PROBE_FILE: &str = ".loa-health-probe";

#[derive(Debug, Serialize)]
pub struct Storage {
    /// `ok`, `low`, `full` (no space: ENOSPC) or `unwritable` (any other write failure).
    pub state: &'static str,
    /// Free bytes for Loa's user in the data folder, when the system tells.
    pub free_bytes: Option<u64>,
    #[serde(skip)]
    pub error: Option<String>,
}

impl Storage {
    /// Whether Loa can keep working (a low disk still works).
    pub fn ok(&self) -> bool {
        matches!(self.state, "ok" | "low")
    }
}

pub async fn storage(data_dir: &Path) -> Storage {
    let dir: PathBuf = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || check(&dir))
        .await
        .unwrap_or_else(|e| Storage {
            state: "unwritable",
            free_bytes: None,
            error: Some(e.to_string()),
        })
}

fn check(dir: &Path) -> Storage {
    let free_bytes = free_bytes(dir);
    match probe(dir) {
        Ok(()) => Storage {
            state: if free_bytes.is_some_and(|f| f < LOW_BYTES) {
                "low"
            } else {
                "ok"
            },
            free_bytes,
            error: None,
        },
        Err(e) => {
            let full = e.kind() == std::io::ErrorKind::StorageFull
                || matches!(e.raw_os_error(), Some(28 | 122));
            Storage {
                state: if full { "full" } else { "unwritable" },
                free_bytes,
                error: Some(e.to_string()),
            }
        }
    }
}

/// A small write that reaches the disk, then removed: it fails when the disk is full or the
/// folder was remounted read-only.
fn probe(dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let path = dir.join(PROBE_FILE);
    let written = (|| {
        let mut f = std::fs::File::create(&path)?;
        f.write_all(b"loa health probe")?;
        f.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    written
}

#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn free_bytes(_: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_folder_is_ok_and_reports_its_free_space() {
        let dir = tempfile::tempdir().unwrap();
        let s = check(dir.path());
        assert!(s.ok(), "{s:?}");
        assert!(s.free_bytes.is_some_and(|f| f > 0), "{s:?}");
        assert!(
            !dir.path().join(PROBE_FILE).exists(),
            "the probe is removed"
        );
    }

    #[test]
    fn a_folder_that_refuses_the_write_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the probe file goes: the write fails even for root.
        std::fs::create_dir(dir.path().join(PROBE_FILE)).unwrap();
        let s = check(dir.path());
        assert_eq!(s.state, "unwritable", "{s:?}");
        assert!(!s.ok());
    }
}
