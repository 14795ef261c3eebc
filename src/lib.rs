//! Loa — a self-hosted communications campaign manager for Hanoi's PAPI awareness work.
//!
//! The module list is the architecture, read top to bottom from the edge inwards (see
//! ARCHITECTURE.md): a module is listed above the modules it uses (the one exception: the
//! store reads the click types of `engagement` and the periods of `reports`), and
//! `tests/it/module_cycles.rs` keeps the imports between files free of circles.

// The edge: processes and protocols.
/// `loa bench media | publish | clicks | report | calendar`: measured performance.
pub mod bench;
/// `loa serve | migrate | user add | areas … | sandbox | demo | bench …`: the command line.
pub mod cli;
/// `loa demo`: the server with simulators and a labelled demo workspace with ten weeks of history.
pub mod demo;
/// The dispatcher: claims due deliveries and publishes each exactly once.
pub mod publisher;
/// `Application::build`: store, templates, router and worker wired together on a bound port.
pub mod startup;
/// HTTP: one router per resource, access rules beside each route; handlers parse, call, render.
pub mod web;
/// Background jobs; `worker::run_once` is the step tests drive.
pub mod worker;

// The application layer: the room of every step.
/// One function and one transaction per step a person or the worker takes; typed outcomes.
pub mod app;

// Domain rules: what is valid and what a step may do.
/// Creating and changing user accounts: rules shared by the admin pages and the CLI.
pub mod accounts;
/// Passwords (argon2id), server-side sessions, CSRF tokens and login throttling.
pub mod auth;
/// Campaign rules: what a valid campaign is, its days as instants.
pub mod campaigns;
/// Engagement by district: tracked links, QR posters, the durable click path, metrics polling.
pub mod engagement;
/// One error type for every handler; it renders as a page in the reader's language.
pub mod error;
/// District share kits: template filling, edit limits, unit states, reminders.
pub mod kits;
/// Post rules: building variants, schedule checks, readiness, CSV import.
pub mod posts;
/// Reference data shipped in the repository: Hanoi's units and PAPI.
pub mod refdata;
/// Manager reports: periods, the emulation score, SVG pictures, CSV and XLSX exports.
pub mod reports;

// Parts behind interfaces.
/// Channel account input: the fields each kind needs, validated into credentials.
pub mod channel_accounts;
/// Typed configuration: defaults, then `loa.toml`, then `LOA_*` environment variables.
pub mod config;
/// Channel connectors on the channels' real HTTP APIs, behind one interface.
pub mod connectors;
/// Vietnamese and English message catalogs; every UI string comes from here.
pub mod i18n;
/// E-mail over plain SMTP (reminders to units).
pub mod mail;
/// Simulators of the channels' APIs with fault injection (tests and `loa sandbox`).
pub mod sandbox;
/// Persistence behind one interface, on embedded SQLite or on PostgreSQL; `Tx` is one step.
pub mod store;
/// Structured logs (text or JSON) with a request id on every line.
pub mod telemetry;

// Foundations.
/// Clock helpers: UTC storage, Asia/Ho_Chi_Minh display.
pub mod clock;
/// Posts and their per-channel variants: channel limits, derivation, previews, the workflow table.
pub mod content;
/// Validated domain values: roles, usernames, unit codes, snapshots.
pub mod domain;
/// Numbers and dates the way readers expect them: 684.997, 52,4 %, 24/09/2026.
pub mod format;
/// Uploaded images: sniffing, limits, metadata stripping, channel variants, blob storage.
pub mod media;
/// Prometheus counters exposed on `/metrics`.
pub mod metrics;
/// `LOA_SECRET_KEY`: sealing secrets at rest and signing tokens.
pub mod secrets;
/// The states deliveries, accounts and kits pass through, as types stored by name.
pub mod states;
