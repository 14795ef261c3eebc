//! Measurements run from the command line, so decisions about speed rest on figures from the
//! machine Loa will run on rather than on a developer's laptop.

/// `loa bench calendar`: the month calendar with 5,000 posts, against an empty month.
pub mod calendar;
/// `loa bench clicks`: the redirect under wrk, against a minimal in-memory redirect.
pub mod clicks;
/// `loa bench media`: ingesting and cutting variants, against ImageMagick.
pub mod media;
/// `loa bench publish`: 10,000 deliveries due at once across 30 district accounts.
pub mod publish;
