//! `loa sandbox`: every simulator on fixed loopback ports, so accounts saved against them keep
//! working across restarts, with the values to paste into Loa's "connect an account" form.

use std::net::{Ipv4Addr, SocketAddr};

use super::Running;
use crate::connectors::Kind;

/// Starts all six simulators on `first_port`, `first_port + 1`, … in `Kind::ALL` order.
pub async fn spawn_all(first_port: u16) -> anyhow::Result<Vec<Running>> {
    let mut running = Vec::new();
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        // Port 0: every simulator on a free port of its own (tests, `loa demo --sandbox-port 0`).
        let port = match first_port {
            0 => 0,
            p => p.saturating_add(i as u16),
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let r = match kind {
            Kind::Wordpress => super::wordpress::spawn(addr).await,
            Kind::Facebook => {
                let seeded = super::facebook::Options {
                    audience_seed: Some(2026),
                    ..Default::default()
                };
                super::facebook::spawn_with(addr, seeded).await
            }
            Kind::Zalo => super::zalo::spawn(addr).await,
            Kind::Telegram => super::telegram::spawn(addr).await,
            Kind::Mastodon => super::mastodon::spawn(addr).await,
            Kind::Webhook => super::webhook::spawn(addr).await,
        }
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot start the {} simulator on {addr}: {e}",
                kind.as_str()
            )
        })?;
        running.push(r);
    }
    Ok(running)
}

/// What to type into the account form for each simulator (secrets included: they are fake).
pub fn describe(running: &[Running]) -> String {
    let mut out = String::from(
        "Loa sandbox: channel simulators on this machine (fake accounts, nothing leaves it).\n\
         Connect them in Loa under Channel accounts → Connect an account, ticking \"Sandbox\".\n\
         Fault injection: POST <base>/_sim/faults {\"rate\":0.2}; statistics: GET <base>/_sim/stats\n\n",
    );
    for r in running {
        out.push_str(&format!("{} — {}\n", r.kind.as_str(), r.base_url()));
        let creds = serde_json::to_value(super::accounts::credentials(r)).unwrap_or_default();
        if let Some(map) = creds.as_object() {
            for (k, v) in map {
                if k != "kind" {
                    out.push_str(&format!(
                        "    {k:<14} {}\n",
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    ));
                }
            }
        }
    }
    out
}
