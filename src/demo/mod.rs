//! `loa demo`: Loa with the channel simulators in the same process and a realistic, clearly
//! labelled demo workspace, so a newcomer sees the whole loop (plan, publish, engagement,
//! report) within a minute. The loader is public so tests run it on both databases.

mod history;
mod live;
mod qr;
mod run;
mod workspace;

pub use history::Written;
pub use live::{demo_campaigns, schedule as schedule_live, spawn_metric_refresh, spawn_traffic};
pub use run::{DemoArgs, run};
pub use workspace::{DEMO_PASSWORD, USERS};

use crate::sandbox::Running;
use crate::web::AppState;

/// Days of history before today (ten weeks).
pub const HISTORY_DAYS: i64 = 70;

/// Setting that marks a data folder as holding the demo workspace (and when it was loaded).
pub const MARKER: &str = "demo_workspace";

#[derive(Debug)]
pub struct Loaded {
    /// The workspace was already there and was reused as it is.
    pub reused: bool,
    pub campaigns: usize,
    pub written: Written,
    pub kit: Option<i64>,
}

/// Loads the demo workspace into the store of `state`, with channel accounts connected to
/// `sims` (from [`crate::sandbox::all::spawn_all`]). Idempotent: when the workspace is already
/// there its accounts are pointed at `sims` and nothing else changes.
pub async fn load(state: &AppState, sims: &[Running]) -> anyhow::Result<Loaded> {
    let store = &state.store;
    remember_sandbox(state, sims).await?;
    if store.setting(MARKER).await?.is_some() {
        workspace::repoint_accounts(store, state, sims).await?;
        test_accounts(state).await?;
        return Ok(Loaded {
            reused: true,
            campaigns: demo_campaigns(store).await?.len(),
            written: Written::default(),
            kit: None,
        });
    }
    if store.user_for_login(USERS[0].0).await.is_ok() {
        anyhow::bail!(
            "this database has a demo account ({}) but no complete demo workspace (an earlier load \
             was interrupted?); start with an empty data folder (--data-dir)",
            USERS[0].0
        );
    }
    let now = crate::clock::now_ms();
    let today = crate::clock::to_hanoi(now).date();
    let ws = workspace::create(state, sims, today).await?;
    let written = history::backfill(store, &ws, today, now).await?;
    let kit = qr::share_kit(store, &ws, now).await?;
    test_accounts(state).await?;
    store
        .audit(
            None,
            "demo_loaded",
            "demo",
            "loa demo: demo workspace loaded",
        )
        .await?;
    store.set_setting(MARKER, &now.to_string()).await?;
    Ok(Loaded {
        reused: false,
        campaigns: ws.campaigns.len(),
        written,
        kit,
    })
}

/// Keeps the running simulators' account values, so the "connect an account" form can offer
/// them to paste for a sandbox account (`loa demo` also prints them).
async fn remember_sandbox(state: &AppState, sims: &[Running]) -> anyhow::Result<()> {
    let mut by_kind = serde_json::Map::new();
    for r in sims {
        let mut creds = serde_json::to_value(crate::sandbox::accounts::credentials(r))?;
        if let Some(map) = creds.as_object_mut() {
            map.remove("kind");
        }
        by_kind.insert(r.kind.as_str().to_string(), creds);
    }
    let value = serde_json::Value::Object(by_kind).to_string();
    state
        .store
        .set_setting(crate::channel_accounts::SANDBOX_VALUES, &value)
        .await?;
    Ok(())
}

/// Tests the demo's sandbox accounts against the simulators, as an officer would after
/// connecting them, so their pages show the real result instead of "not tested".
async fn test_accounts(state: &AppState) -> anyhow::Result<()> {
    let http = crate::connectors::http_client(std::time::Duration::from_secs(5));
    for a in state.store.list_accounts(None).await? {
        if !a.sandbox || !a.name.starts_with("[Demo]") {
            continue;
        }
        let creds: crate::connectors::Credentials =
            serde_json::from_slice(&state.secret.open(&a.sealed_credentials)?)?;
        let error = match crate::connectors::connector(&http, &creds)
            .test_connection()
            .await
        {
            Ok(_) => String::new(),
            Err(f) => f.reason().to_string(),
        };
        state
            .store
            .record_account_check(a.account_id, &error)
            .await?;
    }
    Ok(())
}
