//! One integration-test binary (one link step) with a module per area. Every test spawns the
//! real application on port 0 with a fresh database; `both!` runs a test on SQLite and, when
//! `LOA_TEST_POSTGRES_URL` is set, on PostgreSQL too.

mod helpers;

mod a11y_axe;
mod a11y_forms;
mod a11y_pages;
mod admin_users;
mod areas_and_snapshots;
mod auth;
mod authz_matrix;
mod authz_objects;
mod browser;
mod browser_campaign;
mod browser_kits;
mod browser_reports;
mod browser_security;
mod browser_ux2;
mod calendar;
mod campaigns;
mod cli;
mod click_fold;
mod demo;
mod engagement;
mod engagement_crash;
mod engagement_qr;
mod home_tasks;
mod import;
mod kits;
mod kits_pages;
mod kits_proposals;
mod kits_reminders;
mod kits_ux;
mod mail;
mod media;
mod ops;
mod posts;
mod publishing;
mod publishing_crash;
mod publishing_pages;
mod publishing_queue;
mod publishing_slow;
mod publishing_zalo_connect;
mod qr_posters;
mod reports;
mod reports_export;
mod reports_format;
mod schema_drift;
mod security_audit;
mod security_edge;
mod security_storage;
mod store_contract;
mod webdriver;
mod wordpress_real;
