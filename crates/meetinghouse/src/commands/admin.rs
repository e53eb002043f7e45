//! `meetinghouse admin …` — the operator's tools for instance admins, which
//! work when nobody can sign in: create one, list them, promote or demote an
//! account, set a new password, lift a suspension or a ban, write an
//! account's personal data for a subject access request or close it for an
//! erasure request. A password is
//! read from standard input (one line); at a terminal it is asked for and
//! not shown as it is typed.

use std::io::{BufRead, IsTerminal};

use anyhow::bail;
use meetinghouse_core::{CoreError, accounts};
use meetinghouse_store::Db;

use crate::commands::{Migrations, open_db};
use crate::config::GlobalArgs;

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create an instance admin. The password is read from standard input
    /// (one line: `meetinghouse admin create … < password-file`); at a
    /// terminal it is asked for and not shown
    #[command(after_help = "The password is read from standard input, one line; at a terminal it is asked for and not shown as you type.")]
    Create {
        /// The new admin's email address (counts as confirmed)
        #[arg(long)]
        email: String,
        /// The new admin's handle: 1–30 of a–z, 0–9 and _
        #[arg(long)]
        handle: String,
        /// Display name [default: the handle]
        #[arg(long)]
        name: Option<String>,
    },
    /// List the instance admins and the state of their accounts
    List,
    /// Make an existing account an instance admin
    Promote {
        /// The account's handle (with or without @)
        handle: String,
    },
    /// Take the instance admin role away from an account (refused for the last active admin)
    Demote {
        /// The account's handle (with or without @)
        handle: String,
    },
    /// Set a new password for an account and sign it out everywhere. The
    /// password is read from standard input (one line); at a terminal it is
    /// asked for and not shown
    #[command(
        name = "reset-password",
        after_help = "The new password is read from standard input, one line; at a terminal it is asked for and not shown as you type. \
                      Every session of the account ends, and reset links already sent stop working."
    )]
    ResetPassword {
        /// The account's handle (with or without @)
        handle: String,
    },
    /// End an account's suspension or ban now, as a moderator's "lift" on
    /// /admin/people does: the way back when no admin can sign in. It is
    /// kept in the moderation log, and the person is told
    Lift {
        /// The account's handle (with or without @)
        handle: String,
        /// Why, for the person and the moderation log [default: "Lifted by the meeting house's operator."]
        #[arg(long)]
        note: Option<String>,
    },
    /// Close an account for an erasure request from someone who cannot sign
    /// in to close it themselves (suspended, banned, waiting for approval),
    /// as "Close your account" on /me/close does: refused, with what to do
    /// first, for the last host of a group or admin of an organisation with
    /// other members, and for the last instance admin
    #[command(after_help = "Nobody can sign in to a closed account again; its address is free for a new account. \
                      --posts remove deletes its stories (erased for good within 30 days), retracts its replies and takes out its open statements; \
                      --posts keep leaves them, shown as by \"a former member\". The person is emailed at a confirmed address.")]
    Close {
        /// The account's handle (with or without @)
        handle: String,
        /// What happens to its stories and replies: remove or keep
        #[arg(long, value_parser = ["remove", "keep"])]
        posts: String,
        /// The address people reach the site at, for the link in the last email [default: base_url in the --config file, else http://LISTEN as serve finds it]
        #[arg(long, env = "MEETINGHOUSE_BASE_URL")]
        base_url: Option<String>,
    },
    /// Write an account's personal data (the file "Download your data" on
    /// /me/data gives) for a subject access request, also for an account
    /// that is suspended, banned or waiting for approval and so cannot sign
    /// in to download it
    #[command(
        name = "personal-data",
        after_help = "The file is written only if it does not exist yet, readable by its owner alone; hand it to the person in a safe way. \
                      Its addresses start with --base-url. The file is whole however long (/me/data cuts its file at 32 MB); \
                      not counted against the person's five downloads an hour."
    )]
    PersonalData {
        /// The account's handle (with or without @)
        handle: String,
        /// The file to write (refused if it exists)
        #[arg(long)]
        out: std::path::PathBuf,
        /// The address people reach the site at, for the links in the file [default: base_url in the --config file, else http://LISTEN as serve finds it]
        #[arg(long, env = "MEETINGHOUSE_BASE_URL")]
        base_url: Option<String>,
    },
}

pub async fn run(global: &GlobalArgs, command: AdminCommand) -> anyhow::Result<()> {
    // The password first: nothing is opened for a command that cannot go on.
    let password = match &command {
        AdminCommand::Create { .. } => Some(read_password("Password for the new admin: ")?),
        AdminCommand::ResetPassword { handle } => Some(read_password(&format!("New password for @{}: ", handle.trim_start_matches('@')))?),
        _ => None,
    };
    let password = password.unwrap_or_default();
    // The address for links, found as `serve` finds it (the flag, the
    // environment, the config file, then the listening address).
    let base_url = match &command {
        AdminCommand::Close { base_url, .. } | AdminCommand::PersonalData { base_url, .. } => global.base_url(base_url.clone())?,
        _ => String::new(),
    };
    let db = open_db(&global.store()?, Migrations::RequireCurrent).await?;
    let result = run_on(&db, command, &password, &base_url).await;
    db.close().await;
    result
}

async fn run_on(db: &Db, command: AdminCommand, password: &str, base_url: &str) -> anyhow::Result<()> {
    match command {
        AdminCommand::Create { email, handle, name } => {
            let id = match accounts::create_admin(db, &email, &handle, name.as_deref().unwrap_or(""), password).await {
                Ok(id) => id,
                Err(CoreError::Invalid(errors)) if errors.get("email").is_some() => {
                    // An address with an account already: that account is made an admin instead.
                    let existing = meetinghouse_store::people::by_email(db, email.trim()).await?.filter(|p| !p.handle.is_empty());
                    if let Some(p) = existing {
                        bail!(
                            "@{handle} already has this email address: to make that account an instance admin, run `meetinghouse admin promote {handle}`",
                            handle = p.handle
                        );
                    }
                    return Err(refused(CoreError::Invalid(errors)));
                }
                Err(other) => return Err(refused(other)),
            };
            println!("Created admin @{} (id {id}). They can sign in now.", handle.trim().trim_start_matches('@').to_lowercase());
        }
        AdminCommand::List => {
            let admins = accounts::admins(db).await?;
            if admins.is_empty() {
                println!("There are no instance admins. Make one with `meetinghouse admin create` or `meetinghouse admin promote HANDLE`.");
            }
            let none_active = !admins.is_empty() && admins.iter().all(|a| a.status != "active");
            let suspended: Vec<String> = admins.iter().filter(|a| a.status == "suspended").map(|a| a.handle.clone()).collect();
            for admin in admins {
                let state = match (admin.status.as_str(), admin.suspended_until) {
                    ("suspended", Some(meetinghouse_store::moderation::BANNED)) => "banned".to_string(),
                    ("suspended", Some(until)) => format!("suspended until {}", meetinghouse_core::clock::zone().datetime(until)),
                    ("pending", _) => "waiting for approval".to_string(),
                    (status, _) => status.to_string(),
                };
                let email = if admin.email_verified_at.is_some() { admin.email } else { format!("{} (not confirmed)", admin.email) };
                println!("@{}\t{}\t{}\t{}", admin.handle, admin.display_name, email, state);
            }
            if none_active {
                // Said on standard error: the list itself stays one line an admin.
                let lift = match suspended.first() {
                    Some(handle) => format!("lift a suspension or a ban with `meetinghouse admin lift {handle}`, or "),
                    None => String::new(),
                };
                eprintln!("No instance admin is active, so nobody can sign in to moderate: {lift}make an active account an admin with `meetinghouse admin promote HANDLE`.");
            }
        }
        AdminCommand::Promote { handle } => {
            let done = accounts::promote(db, &handle).await.map_err(|e| not_found(e, &handle))?;
            if !done.changed {
                println!("@{} is an instance admin already; nothing changed.", done.handle);
            } else if done.status == "active" {
                println!("@{} is now an instance admin.", done.handle);
            } else {
                println!("@{} is now an instance admin, but the account is {}: they cannot act as one until it is active.", done.handle, done.status);
            }
        }
        AdminCommand::Demote { handle } => {
            let done = accounts::demote(db, &handle).await.map_err(|e| not_found(e, &handle))?;
            if done.changed {
                println!("@{} is no longer an instance admin.", done.handle);
            } else {
                println!("@{} was not an instance admin; nothing changed.", done.handle);
            }
        }
        AdminCommand::Lift { handle, note } => {
            let settings = meetinghouse_core::settings::Settings::load(db).await?;
            let done = meetinghouse_core::moderation::lift_by_operator(db, &settings, &handle, note.as_deref().unwrap_or(""))
                .await
                .map_err(|e| not_found(e, &handle))?;
            let what = if done.was_ban { "ban" } else { "suspension" };
            if done.status == "pending" {
                println!("Lifted the {what} on @{}: the account waits for an admin's approval again, as before. They are told.", done.handle);
            } else {
                println!("Lifted the {what} on @{}: they can sign in again, and are told.", done.handle);
            }
            if done.is_admin && done.status == "active" {
                println!("@{} is an instance admin, and active again.", done.handle);
            }
        }
        AdminCommand::Close { handle, posts, .. } => {
            let settings = meetinghouse_core::settings::Settings::load(db).await?;
            let mail = meetinghouse_core::notifications::Mailer { settings: &settings, base_url };
            let posts = meetinghouse_core::closing::Posts::parse(&posts).expect("clap allows only remove and keep");
            let (handle, closed) = meetinghouse_core::closing::close_by_operator(db, mail, &handle, posts).await.map_err(|e| not_found(e, &handle))?;
            let what = match closed.posts {
                meetinghouse_core::closing::Posts::Remove => format!(
                    "{} deleted, {} retracted, {} taken out",
                    counted(closed.stories_deleted, "story", "stories"),
                    counted(closed.replies_retracted, "reply", "replies"),
                    counted(closed.statements_taken_out, "statement", "statements")
                ),
                meetinghouse_core::closing::Posts::Keep => "its stories and replies kept, shown as by a former member".to_string(),
            };
            let told = if closed.emailed { "They are emailed." } else { "Their address was not confirmed, so no email was sent." };
            println!("Closed the account @{handle}: {what}; {} archived. {told}", counted(closed.groups_archived, "group", "groups"));
        }
        AdminCommand::PersonalData { handle, out, .. } => {
            let person = meetinghouse_store::people::by_handle(db, handle.trim().trim_start_matches('@').to_lowercase().as_str())
                .await?
                .ok_or_else(|| not_found(CoreError::NotFound, &handle))?;
            let settings = meetinghouse_core::settings::Settings::load(db).await?;
            let now = meetinghouse_store::now();
            let file = meetinghouse_core::personal_data::build(
                db,
                &settings,
                base_url,
                person.id,
                now,
                // Whole, however long: /me/data cuts its file at 32 MB and
                // sends the person to the admins for the rest.
                usize::MAX,
                meetinghouse_core::personal_data::PAGE,
            )
            .await
            .map_err(|e| not_found(e, &handle))?;
            write_new_private_file(&out, &file.json)?;
            tracing::info!(person_id = person.id, bytes = file.json.len(), "personal data written by the operator");
            println!("Wrote the personal data of @{} to {} ({} bytes).", person.handle, out.display(), file.json.len());
        }
        AdminCommand::ResetPassword { handle } => {
            let done = accounts::set_password_by_operator(db, &handle, password).await.map_err(|e| not_found(e, &handle))?;
            println!("New password set for @{}; {} session(s) ended, so they sign in again with it.", done.handle, done.sessions_ended);
        }
    }
    Ok(())
}

/// "1 story", "2 stories".
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Writes `bytes` to a new file at `path`, readable by its owner alone;
/// refuses a path that exists (never overwrites) and removes a file it
/// could not finish.
fn write_new_private_file(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => anyhow::anyhow!("{} exists already; nothing was written (choose a new file name)", path.display()),
        _ => anyhow::anyhow!("could not create {}: {e}", path.display()),
    })?;
    if let Err(e) = f.write_all(bytes).and_then(|()| f.sync_all()) {
        drop(f);
        let _ = std::fs::remove_file(path);
        anyhow::bail!("could not write {}: {e}; the unfinished file was removed", path.display());
    }
    Ok(())
}

/// A refusal in plain words: each field's message on its own line.
fn refused(e: CoreError) -> anyhow::Error {
    match e {
        CoreError::Invalid(errors) => {
            for (field, message) in &errors.0 {
                eprintln!("{field}: {message}");
            }
            anyhow::anyhow!("nothing was changed")
        }
        other => other.into(),
    }
}

fn not_found(e: CoreError, handle: &str) -> anyhow::Error {
    match e {
        CoreError::NotFound => anyhow::anyhow!("there is no account with the handle @{}", handle.trim().trim_start_matches('@')),
        other => refused(other),
    }
}

/// A new password: one line from standard input. At a terminal the prompt
/// goes to the terminal, what is typed is not shown (`rpassword` turns the
/// terminal's echo off, and back on, also after Ctrl-C), and it is asked for
/// twice, as a slip of the finger nobody saw would otherwise be the
/// password; two that differ are refused.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let at_terminal = stdin.is_terminal();
    let ask = |prompt: &str| rpassword::prompt_password(prompt).map_err(|e| anyhow::anyhow!("could not read the password from the terminal: {e}"));
    let password = if at_terminal {
        ask(prompt)?
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|e| anyhow::anyhow!("could not read the password from standard input: {e}"))?;
        line
    };
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        bail!("no password given: type it when asked, or give it on standard input, e.g. `meetinghouse admin … < password-file`");
    }
    if at_terminal {
        let again = ask("The same password again: ")?;
        if again.trim_end_matches(['\n', '\r']) != password {
            bail!("the two passwords typed differ: nothing was changed. Run the command again and type the same password twice");
        }
    }
    Ok(password)
}
