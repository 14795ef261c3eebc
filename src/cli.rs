//! The command line. `loa` alone starts the server; the other commands work on the same
//! database and configuration and exit. Messages follow `LOA_LANG` (`vi` by default, or `en`).

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::accounts::{AccountError, AccountInput};
use crate::config::Config;
use crate::i18n::{I18n, Lang};
use crate::refdata::ImportError;

#[derive(Parser, Debug)]
#[command(
    name = "loa",
    version,
    about = "Loa: PAPI awareness campaigns for Hanoi"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the web server and background worker (the default).
    Serve,
    /// Apply database migrations and load reference data, then exit.
    Migrate,
    /// Print every configuration key with its default.
    Config,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Administrative units.
    Areas {
        #[command(subcommand)]
        command: AreasCommand,
    },
    /// Run the channel simulators on loopback ports (7701…) to try Loa without real accounts.
    Sandbox {
        /// First port; the six simulators take this one and the next five.
        #[arg(long, default_value_t = 7701)]
        port: u16,
    },
    /// Try Loa: the server with channel simulators and a demo workspace (its own data folder).
    Demo(crate::demo::DemoArgs),
    /// Measure performance on this machine.
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account. Without --password-stdin a one-time password is printed.
    Add {
        /// Login name: 3–32 of a–z, 0–9, '.', '_', '-'.
        username: String,
        /// admin, officer, district or manager.
        #[arg(long)]
        role: String,
        /// Official code of the unit, for district staff (e.g. 001 for Quận Ba Đình).
        #[arg(long, default_value = "")]
        unit: String,
        /// Name shown in the interface (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AreasCommand {
    /// Import units from a CSV (code,name,type,parent_code,parent_name,level); all or nothing.
    Import {
        file: PathBuf,
        /// Snapshot to import into (default: the active one).
        #[arg(long)]
        snapshot: Option<String>,
    },
    /// List snapshots with their number of districts and communes.
    Snapshots,
    /// Make a snapshot the active one (the map reports and unit bindings use).
    Activate { snapshot: String },
}

fn cli_lang() -> Lang {
    std::env::var("LOA_LANG")
        .ok()
        .and_then(|l| Lang::parse(&l))
        .unwrap_or_default()
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // A benchmark needs neither configuration nor a database, and should not log over its table.
    match cli.command {
        Some(Command::Bench { command }) => return crate::bench::run(command).await,
        // The demo loads its own configuration, over its own data folder.
        Some(Command::Demo(args)) => return crate::demo::run(args).await,
        Some(Command::Sandbox { port }) => {
            let running = crate::sandbox::all::spawn_all(port).await?;
            print!("{}", crate::sandbox::all::describe(&running));
            // The SMTP sink after the six simulators: reminders arrive here and are printed.
            let smtp_port = port.saturating_add(6);
            let sink = crate::sandbox::smtp::SmtpSink::spawn(([127, 0, 0, 1], smtp_port).into())
                .await
                .map_err(|e| anyhow::anyhow!("cannot start the SMTP sink on {smtp_port}: {e}"))?;
            println!(
                "smtp — 127.0.0.1:{smtp_port} (set LOA_SMTP_HOST=127.0.0.1 LOA_SMTP_PORT={smtp_port}; messages are printed here)"
            );
            tokio::spawn(async move {
                let mut shown = 0;
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    let all = sink.messages();
                    for m in &all[shown..] {
                        println!("smtp: to {} — {}\n{}", m.to.join(", "), m.subject, m.body);
                    }
                    shown = all.len();
                }
            });
            tokio::signal::ctrl_c().await?;
            return Ok(());
        }
        _ => {}
    }
    let config = Config::load()?;
    crate::telemetry::init(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            crate::startup::open_store(&config).await?;
            println!("database ready: migrations applied, reference data loaded");
            Ok(())
        }
        Command::Config => {
            for (key, default, help) in crate::config::KEYS {
                println!(
                    "LOA_{:<22} {key:<22} default: {default}\n    {help}",
                    key.to_ascii_uppercase()
                );
            }
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    unit,
                    name,
                    password_stdin,
                },
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                String::new()
            };
            let store = crate::startup::open_store(&config).await?;
            let input = AccountInput {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role,
                unit_code: unit,
                password,
            };
            match crate::accounts::create(&store, None, &input).await {
                Ok(created) => {
                    println!(
                        "created user {} (id {})",
                        input.username.trim().to_lowercase(),
                        created.user_id
                    );
                    if let Some(p) = created.one_time_password {
                        println!("one-time password: {p}  (to be changed at first login)");
                    }
                    Ok(())
                }
                Err(AccountError::Invalid(errs)) => {
                    let i18n = I18n::load()?;
                    let lines: Vec<String> = errs
                        .iter()
                        .map(|e| format!("  --{}: {}", e.field, i18n.field_error(cli_lang(), e)))
                        .collect();
                    anyhow::bail!("the account was not created:\n{}", lines.join("\n"))
                }
                Err(AccountError::NotFound) => anyhow::bail!("the account was not created"),
                Err(AccountError::Other(e)) => Err(e),
            }
        }
        Command::Areas { command } => areas(config, command).await,
        Command::Bench { .. } | Command::Sandbox { .. } | Command::Demo(_) => {
            unreachable!("handled before configuration is loaded")
        }
    }
}

async fn areas(config: Config, command: AreasCommand) -> anyhow::Result<()> {
    let store = crate::startup::open_store(&config).await?;
    match command {
        AreasCommand::Import { file, snapshot } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let snapshot = match snapshot {
                Some(s) => crate::domain::parse_snapshot("--snapshot", &s).map_err(|e| {
                    anyhow::anyhow!(
                        "--snapshot: {}",
                        I18n::load()
                            .map(|i| i.field_error(cli_lang(), &e))
                            .unwrap_or_default()
                    )
                })?,
                None => store.active_snapshot().await?,
            };
            match crate::refdata::import_units(&store, &snapshot, &bytes).await {
                Ok(n) => {
                    println!("imported {n} units into snapshot {snapshot}");
                    Ok(())
                }
                Err(ImportError::Invalid(errors)) => {
                    let i18n = I18n::load()?;
                    let lang = cli_lang();
                    let row_word = if lang == Lang::En { "row" } else { "dòng" };
                    let lines: Vec<String> = errors
                        .iter()
                        .map(|e| {
                            format!(
                                "  {}:{} {row_word} {}, {}: {}",
                                file.display(),
                                e.row,
                                e.row,
                                e.error.field,
                                i18n.field_error(lang, &e.error)
                            )
                        })
                        .collect();
                    anyhow::bail!(
                        "nothing was imported; {} problem(s):\n{}",
                        errors.len(),
                        lines.join("\n")
                    )
                }
                Err(ImportError::Store(e)) => Err(e.context("nothing was imported")),
            }
        }
        AreasCommand::Snapshots => {
            let active = store.active_snapshot().await?;
            for (s, districts, communes) in store.snapshots().await? {
                let mark = if s == active { " (active)" } else { "" };
                println!("{s:<10} {districts:>4} districts {communes:>5} communes{mark}");
            }
            Ok(())
        }
        AreasCommand::Activate { snapshot } => {
            if !store
                .snapshots()
                .await?
                .iter()
                .any(|(s, _, _)| *s == snapshot)
            {
                anyhow::bail!("unknown snapshot {snapshot}; see `loa areas snapshots`");
            }
            store
                .set_setting(crate::store::ACTIVE_SNAPSHOT, &snapshot)
                .await?;
            store
                .audit(
                    None,
                    "setting_changed",
                    "active_snapshot",
                    &format!("→ {snapshot} (cli)"),
                )
                .await?;
            println!("active snapshot: {snapshot}");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    tracing::info!(?config, "starting Loa");
    let app = crate::startup::Application::build(config).await?;
    let url = app.state().config.public_url.clone();
    tracing::info!(
        port = app.port(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "Loa is ready at {url}"
    );
    println!("Loa is ready at {url}");
    app.run_until_stopped(crate::startup::shutdown_signal())
        .await
}
