//! Every configuration key with its default and meaning: `loa config` prints this table and
//! the README's configuration section follows it.

/// Every key, its environment variable, its default and what it means. The README's
/// configuration table is this list; `loa config` prints it.
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "bind",
        "127.0.0.1:8080",
        "Address and port the web server listens on.",
    ),
    (
        "data_dir",
        "./data",
        "Folder for the SQLite database, the secret key and media.",
    ),
    (
        "database_url",
        "sqlite://<data_dir>/loa.db",
        "sqlite://FILE or postgres://USER@HOST/DB. PostgreSQL lets several instances share one database.",
    ),
    (
        "public_url",
        "http://<bind>",
        "The address citizens and staff reach Loa at. With https, cookies are marked Secure.",
    ),
    (
        "secret_key",
        "generated into <data_dir>/secret.key",
        "64 hex characters. Encrypts channel credentials at rest and signs tokens. Keep it safe: without it stored credentials cannot be read.",
    ),
    (
        "admin_password",
        "generated and printed once",
        "Password of the first admin account, used only when no admin exists yet.",
    ),
    (
        "log",
        "info",
        "Log filter, e.g. `info` or `loa=debug,sqlx=warn`.",
    ),
    (
        "log_format",
        "text",
        "`text` for people, `json` for log collectors.",
    ),
    (
        "session_hours",
        "12",
        "A session ends after this many hours without activity (1–720).",
    ),
    (
        "login_max_failures",
        "5",
        "Failed logins for one username before it is locked for a while (1–100).",
    ),
    (
        "login_lockout_minutes",
        "15",
        "How long that lock lasts, in minutes (1–1440).",
    ),
    (
        "trust_proxy",
        "false",
        "Take the client address from X-Forwarded-For (only behind your own proxy).",
    ),
    (
        "metrics_token",
        "(none: /metrics is open)",
        "When set, /metrics requires `Authorization: Bearer <token>`.",
    ),
    (
        "db_max_connections",
        "8",
        "Database connection pool size (1–200).",
    ),
    (
        "worker_interval_ms",
        "1000",
        "How often the background worker looks for due work (50–60000).",
    ),
    (
        "connector_timeout_seconds",
        "20",
        "Longest wait for a channel's answer (1–300). Past it the outcome is unconfirmed and is checked on the channel before any retry.",
    ),
    (
        "publish_lease_seconds",
        "120",
        "How long a worker owns a delivery it is sending (5–3600); after a crash another worker takes it over once this passes. Must exceed the connector timeout.",
    ),
    (
        "publish_settle_seconds",
        "600",
        "After a channel's answer was lost, how long the request may still land (10–86400): the post is looked up on the channel meanwhile and never sent again before the connector timeout plus this has passed.",
    ),
    (
        "link_base_url",
        "<public_url>",
        "Where tracked short links point (`<link_base_url>/<slug>`), e.g. a short public domain in front of Loa.",
    ),
    (
        "click_flag_per_minute",
        "30",
        "Clicks a minute from one source after which its clicks count as a robot's (0: never).",
    ),
    (
        "click_limit_per_minute",
        "600",
        "Clicks a minute from one source after which redirects answer 429 and nothing is recorded (0: never).",
    ),
    (
        "click_durability",
        "process",
        "When a redirect answers: `process` once its click is committed so that no crash of Loa loses it (a power cut on the database host may lose the last moments), `disk` once the commit is flushed to disk.",
    ),
    (
        "smtp_host",
        "(none: e-mail off)",
        "SMTP relay for reminders to units. Without it reminders are in-app only.",
    ),
    (
        "smtp_port",
        "25 (465 with smtp_tls = tls)",
        "Port of the SMTP relay (1–65535).",
    ),
    (
        "smtp_tls",
        "opportunistic",
        "`none` (plain SMTP), `opportunistic` (STARTTLS when the relay offers it), `starttls` (STARTTLS or no mail) or `tls` (TLS from the start, SMTPS).",
    ),
    (
        "smtp_username",
        "(none: no login)",
        "Login at the relay (AUTH PLAIN or LOGIN); needs smtp_password and smtp_tls = starttls or tls.",
    ),
    (
        "smtp_password",
        "(none)",
        "Password of that login. Never logged or shown.",
    ),
    (
        "smtp_ca_file",
        "(none: public authorities)",
        "PEM file of the certificate authority that signed the relay's certificate, for an agency's own authority.",
    ),
    (
        "smtp_from",
        "loa@localhost.localdomain",
        "Sender address of reminder e-mails.",
    ),
];
