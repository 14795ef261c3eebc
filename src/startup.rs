//! Builds a running Loa from a configuration: opens and migrates the database, loads the
//! shipped reference data, makes sure an admin exists, binds the listener. Tests build it on
//! port 0 with a fresh database and read the bound port.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::i18n::I18n;
use crate::metrics::Metrics;
use crate::secrets::SecretKey;
use crate::store::Store;
use crate::web::{AppState, Templates};

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(config.bind).await.with_context(|| {
            format!(
                "cannot listen on {} (is another Loa running? set LOA_BIND)",
                config.bind
            )
        })?;
        // On port 0 (tests) the default public address names the port actually bound, so
        // links that leave Loa and come back (OAuth redirects) reach it.
        if config.bind.port() == 0 && config.public_url == format!("http://{}", config.bind) {
            config.public_url = format!("http://{}", listener.local_addr()?);
        }
        let state = prepare(config).await?;
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish and stops the
    /// worker between two steps, so no step is cut in half.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = self.state.config.run_worker.then(|| {
            tokio::spawn(crate::worker::run_until_stopped(
                self.state.app.clone(),
                self.state.i18n.clone(),
                stop_rx,
            ))
        });
        let app = crate::web::router(self.state.clone());
        let result = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
        })
        .await;
        let _ = stop_tx.send(true);
        if let Some(w) = worker {
            let _ = w.await;
        }
        self.state.store.close().await;
        result.context("the web server failed")
    }
}

/// Ctrl-C or SIGTERM (what a service manager or container runtime sends): the shutdown of
/// `loa serve` and `loa demo`.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Everything but the listener: used by the server and by CLI commands that need the store.
pub async fn prepare(config: Config) -> anyhow::Result<AppState> {
    // Templates and catalogs first: a broken one stops the start before the database changes.
    let templates = Templates::load()?;
    let i18n = I18n::load()?;
    let store = open_store(&config).await?;
    let secret = SecretKey::load_or_create(config.secret_key.as_deref(), &config.data_dir)?;
    ensure_admin(&store, &config).await?;
    // Local disk by default; instances sharing media need an object store implementing BlobStore.
    let blobs = crate::media::LocalDisk::new(config.data_dir.join("media"));
    let clicks = crate::engagement::ClickPath::start(
        store.clone(),
        config.click_flag_per_minute,
        config.click_limit_per_minute,
    );
    Ok(AppState {
        app: crate::app::App {
            clicks: Arc::new(clicks),
            store,
            blobs: Arc::new(blobs),
            config: Arc::new(config),
            secret: Arc::new(secret),
            metrics: Arc::new(Metrics::default()),
        },
        i18n: Arc::new(i18n),
        templates: Arc::new(templates),
    })
}

/// Connects, migrates and loads reference data: a database ready to use.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    private_files(config)?;
    let store = Store::connect(&config.database_url, config.db_max_connections)
        .await?
        .with_click_durability(config.click_durability)
        .with_sqlite_click_driver(config.sqlite_click_driver);
    store.migrate().await?;
    crate::refdata::load_shipped(&store).await?;
    Ok(store)
}

/// The data folder is private (0700) and an SQLite database file is created 0600 before SQLite
/// opens it, since SQLite gives its `-wal` and `-shm` files the database file's mode; existing
/// files from before are narrowed the same way.
fn private_files(config: &Config) -> anyhow::Result<()> {
    crate::secrets::private_dir(&config.data_dir)?;
    crate::secrets::private_dir(&config.data_dir.join("media"))?;
    let Some(db) = config
        .database_url
        .strip_prefix("sqlite://")
        .or_else(|| config.database_url.strip_prefix("sqlite:"))
    else {
        return Ok(());
    };
    let db = std::path::Path::new(db.split('?').next().unwrap_or(db));
    if db.as_os_str().is_empty() || db.as_os_str() == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && !p.exists())
    {
        crate::secrets::private_dir(parent)?;
    }
    #[cfg(unix)]
    if !db.exists() {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(db)
            .with_context(|| format!("cannot create {}", db.display()))?;
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        crate::secrets::narrow(std::path::Path::new(&name), 0o600)?;
    }
    Ok(())
}

/// On first run there is no admin: create `admin` with `LOA_ADMIN_PASSWORD`, or with a
/// one-time password printed here once (and never logged or stored in clear).
async fn ensure_admin(store: &Store, config: &Config) -> anyhow::Result<()> {
    if store.count_active_admins().await? > 0 {
        return Ok(());
    }
    let input = crate::accounts::AccountInput {
        username: "admin".into(),
        display_name: "Quản trị viên".into(),
        role: "admin".into(),
        unit_code: String::new(),
        password: config.admin_password.clone().unwrap_or_default(),
    };
    match crate::accounts::create(store, None, &input).await {
        Ok(created) => {
            match created.one_time_password {
                Some(p) => println!(
                    "\n  Loa: first admin account created\n    username: admin\n    password: {p}\n  (one-time password: you will choose your own at first login; it is not shown again)\n"
                ),
                None => println!(
                    "\n  Loa: first admin account created: username admin, password from LOA_ADMIN_PASSWORD\n"
                ),
            }
            Ok(())
        }
        Err(crate::accounts::AccountError::Invalid(errs))
            if errs.iter().any(|e| e.key == "err_username_taken") =>
        {
            tracing::warn!("no active admin account; create one with `loa user add --role admin`");
            Ok(())
        }
        Err(crate::accounts::AccountError::Invalid(errs)) => {
            let i18n = I18n::load()?;
            let msgs: Vec<String> = errs
                .iter()
                .map(|e| i18n.field_error(crate::i18n::Lang::En, e))
                .collect();
            anyhow::bail!("LOA_ADMIN_PASSWORD cannot be used: {}", msgs.join("; "))
        }
        Err(crate::accounts::AccountError::NotFound) => {
            anyhow::bail!("creating the first admin failed")
        }
        Err(crate::accounts::AccountError::Other(e)) => Err(e),
    }
}
