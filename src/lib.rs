//! Loa — a self-hosted communications campaign manager for Hanoi's PAPI awareness work.
//!
//! The module list is the architecture, read top to bottom from the edge inwards:

/// Creating and changing accounts: rules shared by the admin pages and the CLI.
pub mod accounts;
/// The application layer: one function and one transaction per step a person or the worker takes.
pub mod app;
/// Passwords (argon2id), server-side sessions, CSRF tokens and login throttling.
pub mod auth;
/// `loa bench media | calendar`: measured performance against named baselines.
pub mod bench;
/// Campaign rules: what a valid campaign is, its days as instants.
pub mod campaigns;
/// Channel account input: the fields each kind needs, validated into credentials.
pub mod channel_accounts;
/// `loa serve | migrate | user add | areas import`: the command line.
pub mod cli;
/// Clock helpers: UTC storage, Asia/Ho_Chi_Minh display.
pub mod clock;
/// Typed configuration: defaults, then `loa.toml`, then `LOA_*` environment variables.
pub mod config;
/// Channel connectors on the channels' real HTTP APIs, behind one interface.
pub mod connectors;
/// Posts and their per-channel variants: channel limits, derivation, previews, workflow.
pub mod content;
/// `loa demo`: the server with simulators and a labelled demo workspace with ten weeks of history.
pub mod demo;
/// Validated domain values: roles, usernames, unit codes, snapshots.
pub mod domain;
/// Engagement by district: tracked links, QR posters, the durable click path, metrics polling.
pub mod engagement;
/// One error type for every handler; it renders as a page in the reader's language.
pub mod error;
/// Numbers and dates the way readers expect them: 684.997, 52,4 %, 24/09/2026.
pub mod format;
/// Vietnamese and English message catalogs; every UI string comes from here.
pub mod i18n;
/// District share kits: template filling, edit limits, unit states, reminders.
pub mod kits;
/// E-mail over plain SMTP (reminders to units).
pub mod mail;
/// Uploaded images: sniffing, limits, metadata stripping, channel variants, blob storage.
pub mod media;
/// Prometheus counters exposed on `/metrics`.
pub mod metrics;
/// Post rules: building variants, schedule checks, readiness, CSV import.
pub mod posts;
/// The dispatcher: claims due deliveries and publishes each exactly once.
pub mod publisher;
/// Reference data shipped in the repository: Hanoi's units and PAPI.
pub mod refdata;
/// Manager reports: periods, the emulation score, SVG pictures, CSV and XLSX exports.
pub mod reports;
/// Simulators of the channels' APIs with fault injection (tests and `loa sandbox`).
pub mod sandbox;
/// `LOA_SECRET_KEY`: sealing secrets at rest and signing tokens.
pub mod secrets;
/// `Application::build`: store, templates, router and worker wired together on a bound port.
pub mod startup;
/// The states posts, deliveries, accounts and kits pass through, as types stored by name.
pub mod states;
/// Persistence behind one interface, on embedded SQLite or on PostgreSQL.
pub mod store;
/// Structured logs (text or JSON) with a request id on every line.
pub mod telemetry;
/// HTTP: one router per resource, access rules declared beside each route, templates, assets.
pub mod web;
/// Background jobs; `worker::run_once` is the step tests drive.
pub mod worker;
