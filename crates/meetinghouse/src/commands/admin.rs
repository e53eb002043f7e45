//! `meetinghouse admin create --email E --handle H` — make an instance admin.
//! The password is read from standard input (one line) or asked for.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use meetinghouse_core::{CoreError, accounts};

use crate::commands::{Migrations, open_db};
use crate::config::GlobalArgs;

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create an instance admin
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        handle: String,
        /// Display name [default: the handle]
        #[arg(long, default_value = "")]
        name: String,
    },
}

pub async fn run(global: &GlobalArgs, command: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::Create { email, handle, name } = command;
    let password = read_password()?;
    let db = open_db(&global.store()?, Migrations::RequireCurrent).await?;
    match accounts::create_admin(&db, &email, &handle, &name, &password).await {
        Ok(id) => println!("Created admin @{} (id {id}). They can sign in now.", handle.trim_start_matches('@').to_lowercase()),
        Err(CoreError::Invalid(errors)) => {
            for (field, message) in &errors.0 {
                eprintln!("{field}: {message}");
            }
            bail!("the admin was not created");
        }
        Err(e) => return Err(e.into()),
    }
    db.close().await;
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        // Echo cannot be turned off without a terminal crate, so say so.
        eprint!("Password for the new admin (it will be visible as you type): ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("could not read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        bail!("no password given: pipe it on standard input, e.g. `echo 'a long password' | meetinghouse admin create …`");
    }
    Ok(password)
}
