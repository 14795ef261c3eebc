//! The `loa demo` command: simulators, SMTP sink, server, demo workspace, live posts and
//! clicks, then a summary of where to look and how to log in.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::config::Config;
use crate::startup::Application;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Port for Loa (default: the port of LOA_BIND, 8080 unless configured).
    #[arg(long)]
    pub port: Option<u16>,
    /// Data folder of the demo; your real ./data is never touched unless you name it here.
    #[arg(long, default_value = "data-demo")]
    pub data_dir: PathBuf,
    /// First of seven loopback ports for the six channel simulators and the SMTP sink;
    /// 0 picks free ports.
    #[arg(long, default_value_t = 7701)]
    pub sandbox_port: u16,
    /// Do not send simulated clicks through the short links.
    #[arg(long)]
    pub no_traffic: bool,
    /// Load the workspace, print the summary and exit instead of serving (scripts, checks).
    #[arg(long)]
    pub exit_after_load: bool,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let sims = crate::sandbox::all::spawn_all(args.sandbox_port).await?;
    let smtp_port = match args.sandbox_port {
        0 => 0,
        p => p.saturating_add(6),
    };
    let sink = crate::sandbox::smtp::SmtpSink::spawn(([127, 0, 0, 1], smtp_port).into())
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the SMTP sink on port {smtp_port}: {e}"))?;
    let mut overrides = BTreeMap::new();
    overrides.insert(
        "LOA_DATA_DIR".to_string(),
        args.data_dir.display().to_string(),
    );
    // A database named in loa.toml is the real one: the demo uses its own folder's SQLite file
    // unless LOA_DATABASE_URL asks for another database (PostgreSQL) explicitly.
    if std::env::var("LOA_DATABASE_URL").is_err() {
        overrides.insert(
            "LOA_DATABASE_URL".to_string(),
            format!("sqlite://{}", args.data_dir.join("loa.db").display()),
        );
    }
    overrides.insert("LOA_SMTP_HOST".to_string(), "127.0.0.1".to_string());
    overrides.insert("LOA_SMTP_PORT".to_string(), sink.addr.port().to_string());
    let admin_password = std::env::var("LOA_ADMIN_PASSWORD").ok();
    if admin_password.is_none() {
        overrides.insert(
            "LOA_ADMIN_PASSWORD".to_string(),
            super::DEMO_PASSWORD.to_string(),
        );
    }
    if let Some(port) = args.port {
        let bind = Config::load_with(&overrides)?.bind;
        overrides.insert("LOA_BIND".to_string(), format!("{}:{port}", bind.ip()));
    }
    let config = Config::load_with(&overrides)?;
    crate::telemetry::init(&config);
    let app = Application::build(config).await?;
    let state = app.state().clone();
    let loaded = super::load(&state, &sims).await?;
    let now = crate::clock::now_ms();
    // Without a server nothing would publish them now: they would go out late, at the next start.
    let live = if args.exit_after_load {
        Vec::new()
    } else {
        super::schedule_live(&state.store, now).await?
    };
    let elapsed = started.elapsed();

    let url = state.config.public_url.clone();
    println!("\n=== Loa demo — DỮ LIỆU MINH HỌA / DEMO DATA (fake, stays on this machine) ===");
    println!(
        "data folder: {} ({})",
        args.data_dir.display(),
        state.store.backend_name()
    );
    if loaded.reused {
        println!(
            "the demo workspace was already in this data folder: reused as it is ({} campaigns)",
            loaded.campaigns
        );
    } else {
        let w = &loaded.written;
        println!(
            "demo workspace loaded: {} campaigns, {} past posts, {} deliveries, {} metric snapshots, \
             {} daily click rows (10 weeks of history), share kit: {}",
            loaded.campaigns,
            w.posts,
            w.deliveries,
            w.snapshots,
            w.click_days,
            if loaded.kit.is_some() { "yes" } else { "no" }
        );
    }
    if !live.is_empty() {
        println!(
            "{} posts scheduled within the next 70 s: watch them publish to the simulators on /publishing",
            live.len()
        );
    }
    println!("\nAccounts (password for all: {}):", super::DEMO_PASSWORD);
    for (user, role, unit, _) in super::USERS {
        println!("  {user:<15} {role:<9} {unit}");
    }
    match admin_password {
        None => println!("  {:<15} admin", "admin"),
        Some(_) => println!("  {:<15} admin     (password: LOA_ADMIN_PASSWORD)", "admin"),
    }
    let first = super::demo_campaigns(&state.store).await?;
    let campaign_page = format!("/campaigns/{}", first.first().copied().unwrap_or(1));
    println!("\nWhat to try:");
    for (path, what) in [
        (
            "/campaigns",
            "plan: four [Demo] campaigns, one per PAPI dimension, with district targets and KPIs",
        ),
        (
            "/calendar",
            "the posts of the last ten weeks and the ones due now",
        ),
        (
            "/publishing",
            "publish: live posts going out to the simulators, retries, dead letters",
        ),
        (
            campaign_page.as_str(),
            "engagement: reach, reactions, clicks and QR scans by district and ward",
        ),
        (
            "/kits",
            "the share kit cascade: Ba Đình published, Hoàn Kiếm declined, others pending",
        ),
        (
            "/reports",
            "report: districts, KPI attainment, trends (log in as demo-manager)",
        ),
    ] {
        println!("  {:<40} {what}", format!("{url}{path}"));
    }
    // The values to paste into "connect an account" (fake: the simulators accept nothing
    // else); the form also offers them when "Sandbox" accounts are connected on this Loa.
    println!();
    print!("{}", crate::sandbox::all::describe(&sims));
    println!(
        "  smtp      127.0.0.1:{} (reminder e-mails are printed here)",
        sink.addr.port()
    );
    println!(
        "\nloaded in {:.1} s (simulators, database, demo workspace)",
        elapsed.as_secs_f64()
    );
    println!("Loa demo is ready at {url}");
    if args.exit_after_load {
        state.store.close().await;
        return Ok(());
    }
    if !args.no_traffic {
        super::spawn_traffic(state.store.clone(), url.clone());
        println!(
            "simulated clicks: one every 2–4 s through the short links (--no-traffic to stop)"
        );
    }
    super::spawn_metric_refresh(state.store.clone(), live);
    tokio::spawn(async move {
        let mut shown = 0;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let all = sink.messages();
            for m in &all[shown..] {
                println!("smtp: to {} — {}", m.to.join(", "), m.subject);
            }
            shown = all.len();
        }
    });
    let result = app
        .run_until_stopped(crate::startup::shutdown_signal())
        .await;
    drop(sims);
    result
}
