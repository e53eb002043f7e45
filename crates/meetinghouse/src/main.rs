//! `meetinghouse`: the one binary. It parses configuration, opens the
//! database and wires the web, worker and command-line parts together.

use anyhow::Context;
use clap::{Parser, Subcommand};

mod commands;
mod config;
mod jobs;
mod mail;

use config::{GlobalArgs, ServeArgs};

#[derive(Debug, Parser)]
#[command(name = "meetinghouse", version, about = "A digital meeting house for a town.")]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the meeting house over HTTP
    Serve(ServeArgs),
    /// Apply database migrations
    Migrate,
    /// Administer accounts
    Admin {
        #[command(subcommand)]
        command: commands::admin::AdminCommand,
    },
    /// Seed the demo town (a museum, an arts centre, a council team, a housing charity, a library…)
    Demo,
    /// Opinion mapping (Pol.is-compatible)
    #[command(name = "common-ground")]
    CommonGround(commands::common_ground::Args),
    /// Silo and bridging analytics for interaction networks
    Bridges(commands::bridges::Args),
    /// Import collection records (objects) from CSV or JSON
    Import(commands::import::Args),
    /// Export open data (the interaction record as CSV)
    Export(commands::export::Args),
    /// Write a consistent copy of the SQLite database (PostgreSQL: use pg_dump)
    Backup(commands::backup::Args),
}

fn main() -> anyhow::Result<()> {
    meetinghouse_media::install_crypto_provider();
    let cli = Cli::parse();
    init_logging(cli.global.log_format()?);
    // Set before any date is drawn: pages, mail and the analysis job use it.
    meetinghouse_core::clock::set_zone(cli.global.time_zone()?);
    match cli.command {
        // The pure engines need no runtime or database.
        Command::CommonGround(args) if !args.needs_db() => commands::common_ground::run(args),
        Command::Bridges(args) => commands::bridges::run(args),
        command => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("could not start the async runtime")?;
            runtime.block_on(async move {
                match command {
                    Command::Serve(args) => commands::serve::run(&cli.global, &args).await,
                    Command::Migrate => commands::migrate::run(&cli.global).await,
                    Command::Admin { command } => commands::admin::run(&cli.global, command).await,
                    Command::Demo => commands::demo::run(&cli.global).await,
                    Command::Export(args) => commands::export::run(&cli.global, args).await,
                    Command::Backup(args) => commands::backup::run(&cli.global, args).await,
                    Command::Import(args) => commands::import::run(&cli.global, args).await,
                    Command::CommonGround(args) => commands::common_ground::run_db(&cli.global, args).await,
                    Command::Bridges(_) => unreachable!("handled above"),
                }
            })
        }
    }
}

fn init_logging(format: config::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("MEETINGHOUSE_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if format == config::LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}
