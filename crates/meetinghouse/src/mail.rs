//! The mail worker: sends the email outbox over SMTP when a server is
//! configured; otherwise logs each message once and leaves it on the admin
//! outbox page. Sending is idempotent per message (claimed by `sent_at`).

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use meetinghouse_store::{Db, outbox};

/// How often the outbox is checked.
const POLL: Duration = Duration::from_secs(2);
/// A message that failed this often is left for an admin to look at.
pub const MAX_ATTEMPTS: i64 = 5;

pub async fn run(db: Db, smtp_url: Option<String>, from: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    let transport = match smtp_url.as_deref().map(transport) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            tracing::error!(error = %e, "the SMTP URL is not usable; mail will only be shown on the admin outbox page");
            None
        }
        None => None,
    };
    loop {
        if let Err(e) = tick(&db, transport.as_ref(), &from).await {
            tracing::warn!(error = %e, "mail worker: could not read the outbox");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Sends (or logs) every waiting message once.
pub async fn tick(db: &Db, transport: Option<&AsyncSmtpTransport<Tokio1Executor>>, from: &str) -> anyhow::Result<usize> {
    let waiting = outbox::unsent(db, MAX_ATTEMPTS, 50).await?;
    let mut done = 0;
    for email in waiting {
        match transport {
            None => {
                tracing::info!(to = %email.to_addr, subject = %email.subject, body = %email.body, "email (no SMTP configured; shown on /admin/outbox)");
                outbox::mark_held(db, email.id, "no SMTP server configured: shown on this page instead").await?;
            }
            Some(t) => match send(t, from, &email).await {
                Ok(()) => {
                    outbox::mark_sent(db, email.id).await?;
                    done += 1;
                }
                Err(e) => {
                    tracing::warn!(id = email.id, error = %e, "sending an email failed; will retry");
                    outbox::mark_failed(db, email.id, &e.to_string()).await?;
                }
            },
        }
    }
    Ok(done)
}

async fn send(t: &AsyncSmtpTransport<Tokio1Executor>, from: &str, email: &outbox::EmailRow) -> anyhow::Result<()> {
    let message = Message::builder()
        .from(from.parse::<Mailbox>()?)
        .to(email.to_addr.parse::<Mailbox>()?)
        .subject(email.subject.clone())
        .body(email.body.clone())?;
    t.send(message).await?;
    Ok(())
}

/// Builds a plain SMTP transport from `smtp://[user:password@]host[:port]`.
/// TLS is left to a local relay (see the README).
pub fn transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let rest = url.strip_prefix("smtp://").ok_or_else(|| anyhow::anyhow!("the SMTP URL must start with smtp://"))?;
    let (creds, hostport) = match rest.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, rest),
    };
    let hostport = hostport.trim_end_matches('/');
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| anyhow::anyhow!("the SMTP port is not a number"))?),
        None => (hostport, 25),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).timeout(Some(Duration::from_secs(20)));
    if let Some(c) = creds {
        let (user, pass) = c.split_once(':').unwrap_or((c, ""));
        let decode = |s: &str| percent_decode(s);
        builder = builder.credentials(Credentials::new(decode(user), decode(pass)));
    }
    Ok(builder.build())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
