//! The `loa` binary: parse the command line and hand over to `loa::cli`.
use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = loa::cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot start the async runtime");
    match runtime.block_on(loa::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loa: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
