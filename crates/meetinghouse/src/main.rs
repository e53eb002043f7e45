//! `meetinghouse`: the one binary. It parses configuration, opens the
//! database and wires the web, worker and command-line parts together.

use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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
    /// Export the interaction record as CSV (pseudonymous unless --identified)
    Export(commands::export::Args),
    /// Write a consistent copy of the SQLite database (PostgreSQL: use pg_dump)
    Backup(commands::backup::Args),
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {}", report(&e));
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    meetinghouse_media::install_crypto_provider();
    // An empty MEETINGHOUSE_* variable counts as not set.
    let matches = config::without_empty_env(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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

/// An error and its causes, as the operator reads them: the message, then
/// "Caused by:" and each cause that says something the message before it
/// did not (a driver's error often repeats the one it wraps: "error with
/// configuration: error with configuration: …"), with a run of the same
/// words collapsed to one.
fn report(error: &anyhow::Error) -> String {
    let mut shown: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = without_repeats(&cause.to_string());
        if shown.last().is_some_and(|previous| previous.contains(&text)) {
            continue;
        }
        shown.push(text);
    }
    let mut out = shown.first().cloned().unwrap_or_default();
    if shown.len() > 1 {
        out.push_str("\n\nCaused by:");
        for (i, cause) in shown[1..].iter().enumerate() {
            out.push_str(&format!("\n    {i}: {cause}"));
        }
    }
    out
}

/// "a: a: b" as "a: b": a message part repeated straight after itself, once.
fn without_repeats(message: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in message.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

fn init_logging(format: config::LogFormat) {
    use tracing_subscriber::EnvFilter;
    // Unset, empty or not a filter: the default.
    let filter = std::env::var("MEETINGHOUSE_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v.trim()).ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn"));
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
