//! Configuration in three layers: built-in defaults, then an optional `loa.toml`, then `LOA_*`
//! environment variables. Every value is validated here, once, and a bad one is reported with the
//! name of the key and the source it came from, so a typo never starts a half-configured server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

mod keys;
mod mail;
mod values;
pub use keys::KEYS;
pub use mail::{SmtpTls, read_ca_file};
pub use values::{ClickDurability, LogFormat, SqliteClickDriver};

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub public_url: String,
    pub secret_key: Option<String>,
    pub admin_password: Option<String>,
    pub log: String,
    pub log_format: LogFormat,
    pub session_hours: u32,
    pub login_max_failures: u32,
    pub login_lockout_minutes: u32,
    pub trust_proxy: bool,
    pub metrics_token: Option<String>,
    pub db_max_connections: u32,
    pub worker_interval_ms: u64,
    pub connector_timeout_seconds: u64,
    pub publish_lease_seconds: u64,
    pub publish_settle_seconds: u64,
    pub link_base_url: String,
    pub click_flag_per_minute: u32,
    pub click_limit_per_minute: u32,
    pub click_durability: ClickDurability,
    /// SMTP relay for reminders; `None`: e-mail is off, reminders are in-app only.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_from: String,
    pub smtp_tls: SmtpTls,
    /// SMTP login; set together with `smtp_password`, and only with an encrypted connection.
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    /// PEM trust anchors for a relay whose certificate comes from the agency's own authority.
    pub smtp_ca_file: Option<PathBuf>,
    /// Start the background worker with the server. Tests turn it off and drive `worker::run_once`.
    pub run_worker: bool,
    /// The library SQLite's click writer uses: not a setting, `loa bench clicks` compares them.
    pub sqlite_click_driver: SqliteClickDriver,
}

// Secrets never reach a log line, even at debug level.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<set>"))
            .field("smtp_host", &self.smtp_host)
            .field("smtp_tls", &self.smtp_tls)
            .field("smtp_username", &self.smtp_username)
            .field(
                "smtp_password",
                &self.smtp_password.as_ref().map(|_| "<set>"),
            )
            .field("log_format", &self.log_format)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Defaults < `loa.toml` (or the file named by `LOA_CONFIG`) < environment.
    pub fn load() -> anyhow::Result<Config> {
        Config::load_with(&BTreeMap::new())
    }

    /// As [`Config::load`], with some `LOA_*` variables set over the environment's (`loa demo`
    /// puts its own data folder and port there).
    pub fn load_with(overrides: &BTreeMap<String, String>) -> anyhow::Result<Config> {
        let mut env: BTreeMap<String, String> = std::env::vars().collect();
        env.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        let explicit = env.get("LOA_CONFIG").map(PathBuf::from);
        let path = explicit
            .clone()
            .unwrap_or_else(|| PathBuf::from("loa.toml"));
        let file = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read config file {}", path.display()))?;
            parse_file(&text).with_context(|| format!("in config file {}", path.display()))?
        } else if explicit.is_some() {
            bail!("LOA_CONFIG names {}, which does not exist", path.display());
        } else {
            BTreeMap::new()
        };
        Config::from_layers(&file, &env)
    }

    /// Builds a configuration from a parsed file and an environment map, so tests can check
    /// the layering without touching the process environment.
    pub fn from_layers(
        file: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> anyhow::Result<Config> {
        let get = |key: &str| -> Option<(String, String)> {
            let var = format!("LOA_{}", key.to_ascii_uppercase());
            if let Some(v) = env.get(&var) {
                return Some((v.clone(), var));
            }
            file.get(key)
                .map(|v| (v.clone(), format!("{key} in loa.toml")))
        };
        let bind: SocketAddr = parse_or(
            get("bind"),
            "127.0.0.1:8080",
            "an address such as 127.0.0.1:8080",
        )?;
        let data_dir = PathBuf::from(
            get("data_dir")
                .map(|(v, _)| v)
                .unwrap_or_else(|| "./data".into()),
        );
        let database_url = match get("database_url") {
            Some((v, source)) => {
                check_database_url(&v).with_context(|| source.clone())?;
                v
            }
            None => format!("sqlite://{}", data_dir.join("loa.db").display()),
        };
        let public_url = match get("public_url") {
            Some((v, source)) => {
                let v = v.trim_end_matches('/').to_string();
                if !(v.starts_with("http://") || v.starts_with("https://")) {
                    bail!("{source}: '{v}' must start with http:// or https://");
                }
                v
            }
            None => format!("http://{bind}"),
        };
        let link_base_url = match get("link_base_url") {
            Some((v, source)) => {
                let v = v.trim_end_matches('/').to_string();
                if !(v.starts_with("http://") || v.starts_with("https://")) {
                    bail!("{source}: '{v}' must start with http:// or https://");
                }
                v
            }
            None => public_url.clone(),
        };
        let click_durability = match get("click_durability") {
            None => ClickDurability::Process,
            Some((v, source)) => match v.as_str() {
                "process" => ClickDurability::Process,
                "disk" => ClickDurability::Disk,
                _ => bail!("{source}: '{v}' must be `process` or `disk`"),
            },
        };
        let secret_key = get("secret_key").map(|(v, _)| v);
        let mail = mail::settings(&get, env)?;
        let log_format = match get("log_format") {
            None => LogFormat::Text,
            Some((v, source)) => match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => bail!("{source}: '{v}' must be `text` or `json`"),
            },
        };
        Ok(Config {
            bind,
            data_dir,
            database_url,
            public_url,
            secret_key,
            admin_password: get("admin_password").map(|(v, _)| v),
            log: get("log").map(|(v, _)| v).unwrap_or_else(|| "info".into()),
            log_format,
            session_hours: ranged(get("session_hours"), 12, 1, 720)?,
            login_max_failures: ranged(get("login_max_failures"), 5, 1, 100)?,
            login_lockout_minutes: ranged(get("login_lockout_minutes"), 15, 1, 1440)?,
            trust_proxy: parse_or(get("trust_proxy"), "false", "`true` or `false`")?,
            metrics_token: get("metrics_token")
                .map(|(v, _)| v)
                .filter(|v| !v.is_empty()),
            db_max_connections: ranged(get("db_max_connections"), 8, 1, 200)?,
            worker_interval_ms: ranged(get("worker_interval_ms"), 1000, 50, 60_000)?,
            connector_timeout_seconds: ranged(get("connector_timeout_seconds"), 20, 1, 300)?,
            publish_lease_seconds: ranged(get("publish_lease_seconds"), 120, 5, 3600)?,
            publish_settle_seconds: ranged(get("publish_settle_seconds"), 600, 10, 86_400)?,
            link_base_url,
            click_flag_per_minute: ranged(get("click_flag_per_minute"), 30, 0, 1_000_000)?,
            click_limit_per_minute: ranged(get("click_limit_per_minute"), 600, 0, 1_000_000)?,
            click_durability,
            smtp_host: get("smtp_host")
                .map(|(v, _)| v.trim().to_string())
                .filter(|v| !v.is_empty()),
            smtp_port: ranged(get("smtp_port"), mail.default_port, 1, 65_535)?,
            smtp_from: match get("smtp_from") {
                Some((v, source)) => {
                    if !crate::domain::valid_address(v.trim()) {
                        bail!("{source}: '{v}' is not an e-mail address");
                    }
                    v.trim().to_string()
                }
                None => "loa@localhost.localdomain".into(),
            },
            smtp_tls: mail.tls,
            smtp_username: mail.username,
            smtp_password: mail.password,
            smtp_ca_file: mail.ca_file,
            run_worker: true,
            sqlite_click_driver: Default::default(),
        })
    }

    /// A configuration for a test or a tool: a data folder and a database, all else default.
    pub fn for_data_dir(data_dir: &Path, database_url: Option<String>) -> Config {
        let mut env = BTreeMap::new();
        env.insert("LOA_DATA_DIR".to_string(), data_dir.display().to_string());
        env.insert("LOA_BIND".to_string(), "127.0.0.1:0".to_string());
        if let Some(url) = database_url {
            env.insert("LOA_DATABASE_URL".to_string(), url);
        }
        Config::from_layers(&BTreeMap::new(), &env).expect("built-in test configuration is valid")
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://")
    }

    /// Cookies carry `Secure` when people reach Loa over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// A `loa.toml` is a flat table of the keys above; an unknown key is an error, not a silent no-op.
fn parse_file(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let table: toml::Table = text.parse().context("not valid TOML")?;
    let mut out = BTreeMap::new();
    for (key, value) in table {
        if !KEYS.iter().any(|(k, _, _)| *k == key) {
            let known: Vec<&str> = KEYS.iter().map(|(k, _, _)| *k).collect();
            bail!("unknown key `{key}` (known keys: {})", known.join(", "));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => bail!(
                "`{key}` must be a string, a number or true/false, not {}",
                other.type_str()
            ),
        };
        out.insert(key, text);
    }
    Ok(out)
}

fn parse_or<T: std::str::FromStr>(
    value: Option<(String, String)>,
    default: &str,
    expected: &str,
) -> anyhow::Result<T> {
    match value {
        None => default
            .parse()
            .map_err(|_| anyhow::anyhow!("bad built-in default {default}")),
        Some((v, source)) => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{source}: '{v}' is not {expected}")),
    }
}

fn ranged<T>(value: Option<(String, String)>, default: T, min: T, max: T) -> anyhow::Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match value {
        None => Ok(default),
        Some((v, source)) => match v.trim().parse::<T>() {
            Ok(n) if n >= min && n <= max => Ok(n),
            _ => bail!("{source}: '{v}' must be a whole number from {min} to {max}"),
        },
    }
}

fn check_database_url(url: &str) -> anyhow::Result<()> {
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(())
    } else {
        bail!(
            "'{}' must start with sqlite:// or postgres://",
            redact_url(url)
        )
    }
}

/// `postgres://user:pw@host/db` → `postgres://user:***@host/db` for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_start_on_sqlite_under_data() {
        let c = Config::from_layers(&BTreeMap::new(), &BTreeMap::new()).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./data/loa.db");
        assert!(!c.is_postgres());
        assert!(!c.secure_cookies());
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = parse_file("session_hours = 4\nbind = \"0.0.0.0:9000\"").unwrap();
        let c = Config::from_layers(&file, &env(&[("LOA_SESSION_HOURS", "6")])).unwrap();
        assert_eq!(c.session_hours, 6);
        assert_eq!(c.bind.port(), 9000);
    }

    #[test]
    fn bad_values_name_the_key_and_the_source() {
        let err =
            Config::from_layers(&BTreeMap::new(), &env(&[("LOA_SESSION_HOURS", "0")])).unwrap_err();
        assert!(err.to_string().contains("LOA_SESSION_HOURS"), "{err}");
        let file = parse_file("bind = \"nowhere\"").unwrap();
        let err = Config::from_layers(&file, &BTreeMap::new()).unwrap_err();
        assert!(err.to_string().contains("bind in loa.toml"), "{err}");
        let err = parse_file("sesion_hours = 3").unwrap_err();
        assert!(
            err.to_string().contains("unknown key `sesion_hours`"),
            "{err}"
        );
        let err = Config::from_layers(&BTreeMap::new(), &env(&[("LOA_DATABASE_URL", "mysql://x")]))
            .unwrap_err();
        assert!(format!("{err:#}").contains("must start with sqlite:// or postgres://"));
        let err = Config::from_layers(&BTreeMap::new(), &env(&[("LOA_CLICK_DURABILITY", "fsync")]))
            .unwrap_err();
        assert!(err.to_string().contains("LOA_CLICK_DURABILITY"), "{err}");
        assert!(err.to_string().contains("`process` or `disk`"), "{err}");
        let c = Config::from_layers(&BTreeMap::new(), &env(&[("LOA_CLICK_DURABILITY", "disk")]))
            .unwrap();
        assert_eq!(c.click_durability, ClickDurability::Disk);
    }

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://loa:hunter2@db/loa"),
            "postgres://loa:***@db/loa"
        );
        assert_eq!(redact_url("sqlite://data/loa.db"), "sqlite://data/loa.db");
    }
}
