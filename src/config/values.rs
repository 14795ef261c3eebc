//! Small value types of the configuration, kept apart so the modules that act on them (the
//! store, telemetry) import them from here and the configuration imports none of those.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// When a redirect may answer: its click committed (`Process`), or also flushed (`Disk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClickDurability {
    #[default]
    Process,
    Disk,
}

/// Which library the SQLite click writer talks to the database through. `Rusqlite` serves;
/// `Sqlx` exists so `loa bench clicks --sqlite-writer sqlx` can measure the alternative (see
/// the note beside `rusqlite` in Cargo.toml). Not a `loa.toml` key: only the bench sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SqliteClickDriver {
    #[default]
    Rusqlite,
    Sqlx,
}
