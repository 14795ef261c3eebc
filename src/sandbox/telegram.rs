//! Telegram simulator (placeholder until implemented; see channel-apis.md).

use std::net::SocketAddr;

use super::{Running, Sim};
use crate::connectors::Kind;

/// Starts the Telegram simulator on `addr` (port 0: any free port).
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    let sim = Sim::default();
    let router = sim.control_routes();
    super::serve(Kind::Telegram, addr, router, sim, serde_json::json!({})).await
}
