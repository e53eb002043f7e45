//! The mail worker: sends the email outbox over SMTP when a server is
//! configured; otherwise logs each message once (its id, recipient and kind,
//! never its text) and keeps it on the admin outbox page. Several app servers may share one outbox: each message is
//! claimed before it is sent (store `outbox::claim`, a five-minute lease),
//! so only one of them sends it. A failed send is tried again after a wait
//! that doubles each time (30 s up to an hour) and given up after about a
//! day; an admin can send it again from `/admin/outbox`. Notification mail
//! and digests are checked again once claimed (store `outbox::recheck`): one
//! queued before the person moved to another address, was suspended,
//! banned or closed their account, or changed their email choice is not
//! sent, and the admin page says why.
//!
//! The settings are checked once, at start-up ([`Outgoing::from_settings`]):
//! `serve` refuses an SMTP URL or From address it could not use, rather than
//! starting and keeping mail back.
//!
//! Each message is one `text/plain; charset=utf-8` MIME part
//! (`MIME-Version: 1.0`) with a `Message-ID` at the site's host name
//! ([`compose`]). A message the server refuses for good (a 5xx reply, such
//! as "550 no such mailbox") is not tried again ([`refused_for_good`]).
//!
//! Mail goes out over implicit TLS (`smtps://`, port 465), STARTTLS
//! (`smtp://…?tls=starttls`, port 587, refused by the server's lack of it
//! before any password or message is sent) or plain SMTP (`smtp://`, port
//! 25, for a relay nearby): rustls with ring and the system's trust store.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use meetinghouse_store::outbox::{self, AfterFailure};
use meetinghouse_store::{Db, now};
use tokio::sync::watch;

/// How often the outbox is checked.
const POLL: Duration = Duration::from_secs(2);
/// At most this many messages are looked at per check.
const BATCH: i64 = 50;
/// How long one SMTP conversation may take; well inside the claim's lease.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// What held mail says on the admin page.
const HELD_NOTE: &str = "no SMTP server configured: shown on this page instead";

/// Where mail goes, from the checked settings.
pub struct Outgoing {
    smtp: Option<Smtp>,
    from: Mailbox,
    /// Said at start-up: a password going over plain SMTP to another machine.
    warning: Option<String>,
    /// The right-hand side of each `Message-ID`: the site's host name.
    message_id_host: String,
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `host:port`, for logs and the admin page (never the password).
    server: String,
    security: Security,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// `smtp://`: none (a relay on this machine or the local network).
    Plain,
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Tls,
    /// `smtp://…?tls=starttls`: plain, then STARTTLS, which the server must
    /// offer (port 587 by default).
    StartTls,
}

/// An SMTP URL taken apart: `smtp[s]://[user[:password]@]host[:port][?tls=starttls]`.
#[derive(Debug, PartialEq, Eq)]
struct SmtpUrl {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
    security: Security,
}

impl Outgoing {
    /// Checks `--smtp-url` (none: mail is kept for the admin page) and
    /// `--mail-from`. An error names the setting and says what is wrong in
    /// plain words; it never repeats a password. `base_url` is the address
    /// people reach the site at: its host names the messages (`Message-ID`).
    pub fn from_settings(smtp_url: Option<&str>, mail_from: &str, base_url: &str) -> anyhow::Result<Outgoing> {
        let message_id_host = message_id_host(base_url);
        let from = mail_from.trim().parse::<Mailbox>().map_err(|_| {
            anyhow::anyhow!(
                "--mail-from (MEETINGHOUSE_MAIL_FROM, or mail_from in the config file) is not an email address: “{mail_from}”. \
                 Write an address, with a name before it if you like: Tiverton Meeting House <hello@meet.example.org>"
            )
        })?;
        let smtp = match smtp_url {
            None => None,
            Some(url) => {
                let setting = "--smtp-url (MEETINGHOUSE_SMTP_URL, or smtp_url in the config file)";
                let parsed = parse_smtp_url(url).map_err(|reason| {
                    anyhow::anyhow!(
                        "{setting} cannot be used: {reason}. It should look like smtps://user:password@host (TLS, port 465), \
                         smtp://user:password@host:587?tls=starttls, or smtp://host for a relay that needs no password"
                    )
                })?;
                let warning = plain_password_warning(&parsed);
                let smtp = smtp(parsed).map_err(|e| anyhow::anyhow!("{setting} cannot be used: TLS could not be set up ({e})"))?;
                return Ok(Outgoing { smtp: Some(smtp), from, warning, message_id_host });
            }
        };
        Ok(Outgoing { smtp, from, warning: None, message_id_host })
    }

    /// One line for the start-up log.
    pub fn describe(&self) -> String {
        match &self.smtp {
            Some(s) => {
                let how = match s.security {
                    Security::Plain => "plain SMTP, unencrypted",
                    Security::Tls => "TLS",
                    Security::StartTls => "STARTTLS",
                };
                format!("sending mail through the SMTP server at {} ({how}) as {}", s.server, self.from)
            }
            None => "no SMTP server configured: mail is logged and kept on /admin/outbox".to_string(),
        }
    }

    /// A warning for the start-up log, when the settings work but expose
    /// something: a password sent without encryption to another machine.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }
}

/// The host of the site's address (`meet.example.org` of
/// `https://meet.example.org:8443/`; `[::1]` of `http://[::1]:8080`), for
/// the right-hand side of a `Message-ID`; `localhost` when it is no plain
/// ASCII host name.
fn message_id_host(base_url: &str) -> String {
    let rest = base_url.trim().split_once("://").map_or(base_url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map(|(addr, _)| format!("[{addr}]")).unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or("").to_ascii_lowercase(),
    };
    let plain = |h: &str| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let literal = |h: &str| h.strip_prefix('[').and_then(|h| h.strip_suffix(']')).is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok());
    if plain(&host) || literal(&host) { host } else { "localhost".to_string() }
}

/// The warning for a user name and password sent over plain SMTP to a
/// server that is not on this machine, where anyone on the way can read
/// them (and every message).
fn plain_password_warning(url: &SmtpUrl) -> Option<String> {
    let loopback = url.host.eq_ignore_ascii_case("localhost") || url.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    (url.security == Security::Plain && url.credentials.is_some() && !loopback).then(|| {
        format!(
            "--smtp-url sends the SMTP user name and password, and every message, unencrypted to {}: use smtps://…@{} (TLS, port 465) \
             or smtp://…@{}:587?tls=starttls if the server offers it, or a relay on this machine",
            url.host, url.host, url.host
        )
    })
}

fn smtp(url: SmtpUrl) -> Result<Smtp, lettre::transport::smtp::Error> {
    let server = if url.host.contains(':') { format!("[{}]:{}", url.host, url.port) } else { format!("{}:{}", url.host, url.port) };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone()).port(url.port).timeout(Some(SMTP_TIMEOUT));
    builder = match url.security {
        Security::Plain => builder,
        // The certificate must name the host given in the URL.
        Security::Tls => builder.tls(Tls::Wrapper(TlsParameters::new(url.host.clone())?)),
        Security::StartTls => builder.tls(Tls::Required(TlsParameters::new(url.host.clone())?)),
    };
    if let Some((user, password)) = url.credentials {
        builder = builder.credentials(Credentials::new(user, password));
    }
    Ok(Smtp { transport: builder.build(), server, security: url.security })
}

/// Takes `smtp[s]://[user[:password]@]host[:port][?tls=starttls]` apart.
/// The user name and password may hold %-escapes (`%40` for "@", `%25` for
/// "%"). The reason given for a refusal never quotes the URL, which may hold
/// a password.
fn parse_smtp_url(url: &str) -> Result<SmtpUrl, String> {
    let url = url.trim();
    let (mut security, rest) = match (url.strip_prefix("smtps://"), url.strip_prefix("smtp://")) {
        (Some(rest), _) => (Security::Tls, rest),
        (None, Some(rest)) => (Security::Plain, rest),
        (None, None) => return Err("it must start with smtps:// (TLS) or smtp://".to_string()),
    };
    let (userinfo, after) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (hostport, query) = match after.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (after, None),
    };
    let hostport = hostport.strip_suffix('/').unwrap_or(hostport);
    if hostport.contains(['/', '#']) {
        return Err("there is something after the server name and port; only ?tls=starttls may follow them".into());
    }
    if let Some(query) = query {
        match (security, query.trim_end_matches('/')) {
            (Security::Plain, "tls=starttls" | "tls=required") => security = Security::StartTls,
            (Security::Plain, "tls=opportunistic") => {
                return Err("tls=opportunistic is not offered: a server that does not offer STARTTLS (or someone in between who removes it) \
                            would get the password and the mail unencrypted; write tls=starttls"
                    .into());
            }
            (Security::Tls, _) => return Err("smtps:// is TLS already: nothing may follow the server name and port".into()),
            _ => return Err("the only setting after “?” is tls=starttls".into()),
        }
    }
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        // An IPv6 address: [2001:db8::25]:25
        let (addr, after) = bracketed.split_once(']').ok_or("the server’s IPv6 address has no closing “]”")?;
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("the server’s address in [ ] is not an IPv6 address".into());
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("only a port (:25) may follow the server’s address")?),
        };
        (addr, port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("it has no server name after smtp://".into());
    }
    if !hostport.starts_with('[') && !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_') {
        return Err("the server name may hold only letters a–z, digits, “-” and “.”".into());
    }
    let port = match port {
        None => match security {
            Security::Plain => 25,
            Security::Tls => 465,
            Security::StartTls => 587,
        },
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err("the port after the server name is not a number from 1 to 65535".into()),
        },
    };
    let credentials = match userinfo {
        None => None,
        Some(info) => {
            let (user, password) = info.split_once(':').unwrap_or((info, ""));
            let user = percent_decode(user).map_err(|e| format!("the user name {e}"))?;
            let password = percent_decode(password).map_err(|e| format!("the password {e}"))?;
            if user.is_empty() {
                return Err("it has a password but no user name before it".into());
            }
            Some((user, password))
        }
    };
    Ok(SmtpUrl { host: host.to_string(), port, credentials, security })
}

/// Decodes %-escapes, byte by byte. Refuses a "%" not followed by two
/// hexadecimal digits, and bytes that are not UTF-8 once decoded.
fn percent_decode(s: &str) -> Result<String, &'static str> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
            match (hex(i + 1), hex(i + 2)) {
                (Some(high), Some(low)) => out.push((high * 16 + low) as u8),
                _ => return Err("has a “%” that is not followed by two hexadecimal digits (write a “%” itself as %25)"),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "is not valid text (UTF-8) once its %-escapes are decoded")
}

pub async fn run(db: Db, outgoing: Outgoing, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = tick(&db, &outgoing, &stop).await {
            tracing::warn!(error = %e, "mail worker: could not read or update the outbox");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Sends (or, without SMTP, logs and holds) the messages due now that this
/// worker manages to claim; stops early when `stop` says so. Returns how
/// many were sent.
pub async fn tick(db: &Db, outgoing: &Outgoing, stop: &watch::Receiver<bool>) -> anyhow::Result<usize> {
    let mut sent = 0;
    for id in outbox::due(db, BATCH).await? {
        if *stop.borrow() {
            break;
        }
        // Another app server may have claimed it since: then it is theirs.
        let Some(claim) = outbox::claim(db, id).await? else { continue };
        let email = &claim.email;
        // Notification mail goes only as things are now: to the person's
        // address now, while their account is active and their email
        // choice wants it (store `outbox::recheck`); otherwise it is given
        // up, saying why on the admin page. "Send again" comes through here too.
        if let Some(why) = outbox::recheck(db, &claim).await? {
            if outbox::drop_claimed(db, &claim, why).await? {
                tracing::info!(id, kind = %email.kind, "notification email not sent: the person's address, account or email choice changed after it was queued");
            }
            continue;
        }
        // Never the address in full, nor the text: an address is personal
        // data, the text may hold a reset link or an unsubscribe token, and
        // logs are read by more people (and kept longer) than the admin
        // page, which shows both. The outbox id finds the message there.
        let to = meetinghouse_core::accounts::mask_email(&email.to_addr);
        let private = |message: &str| if email.to_addr.is_empty() { message.to_string() } else { message.replace(&email.to_addr, &to) };
        let Some(smtp) = &outgoing.smtp else {
            tracing::info!(id, to = %to, kind = %email.kind, "email held (no SMTP configured; its text is on /admin/outbox)");
            outbox::mark_held(db, id, HELD_NOTE).await?;
            continue;
        };
        match send(smtp, &outgoing.from, &outgoing.message_id_host, email).await {
            Ok(()) => {
                outbox::mark_sent(db, id).await?;
                sent += 1;
            }
            Err(failure) => match outbox::mark_failed(db, &claim, &failure.message, failure.permanent).await? {
                // The admin page shows the server's words as they are; the
                // log, without the address (a server often repeats it).
                AfterFailure::RetryAt(at) => {
                    tracing::warn!(id, error = %private(&failure.message), retry_in_seconds = at - now(), "sending an email failed; it will be tried again");
                }
                AfterFailure::GaveUp => {
                    tracing::warn!(id, error = %private(&failure.message), "sending an email failed; it will not be tried again unless an admin sends it again from /admin/outbox");
                }
                AfterFailure::ClaimLost => {
                    tracing::warn!(id, error = %private(&failure.message), "sending an email failed, and meanwhile it was taken over (the claim had lapsed) or reset by an admin");
                }
            },
        }
    }
    Ok(sent)
}

/// Why a message was not sent, in words an admin reads on the outbox page.
struct Failure {
    message: String,
    /// It can never be sent as it is (a malformed address, one the server
    /// refuses for good): no retries.
    permanent: bool,
}

async fn send(smtp: &Smtp, from: &Mailbox, message_id_host: &str, email: &outbox::EmailRow) -> Result<(), Failure> {
    let message = compose(from, message_id_host, email)?;
    smtp.transport.send(message).await.map_err(|e| Failure {
        message: format!("the SMTP server at {} did not take it: {e}", smtp.server),
        permanent: refused_for_good(&e),
    })?;
    Ok(())
}

/// The message as it is sent: From, To, Subject, Date, a `Message-ID` and
/// the unsubscribe headers ([`with_list_unsubscribe`]), and the text as one
/// `text/plain; charset=utf-8` part (`MIME-Version: 1.0`), so every mail
/// program shows its letters as written.
///
/// The `Message-ID` is `<32 hex digits@host>`, the digits a hash of the
/// outbox row (id, when it was queued, recipient, subject): unique to the
/// message and the same each time it is sent, so a copy sent twice (a claim
/// that lapsed, "Send again") is shown once by mail programs that go by it.
fn compose(from: &Mailbox, message_id_host: &str, email: &outbox::EmailRow) -> Result<Message, Failure> {
    let permanent = |message: String| Failure { message, permanent: true };
    let to = email.to_addr.parse::<Mailbox>().map_err(|_| permanent(format!("“{}” is not an address mail can be sent to", email.to_addr)))?;
    let hash = meetinghouse_core::secrets::token_hash(&format!("{}\n{}\n{}\n{}", email.id, email.created_at, email.to_addr, email.subject));
    let message_id = format!("<{}@{message_id_host}>", &hash[..32]);
    let builder = Message::builder().message_id(Some(message_id)).from(from.clone()).to(to).subject(email.subject.clone());
    with_list_unsubscribe(builder, email)
        .singlepart(SinglePart::plain(email.body.clone()))
        .map_err(|e| permanent(format!("the message could not be written: {e}")))
}

/// SMTP replies that refuse the server's own setup rather than the message:
/// authentication required (530), too weak (534) or failed (535),
/// encryption required (538). They are 5xx too, but once the operator fixes
/// `--smtp-url` the same message goes, so it is tried again.
const SETUP_REFUSALS: &[&str] = &["530", "534", "535", "538"];

/// Whether the SMTP server refused the message for good — a 5xx reply such
/// as "550 no such mailbox" or "553 address not allowed" — so sending it
/// again would get the same answer; a 4xx reply, a connection or TLS
/// failure, or one of [`SETUP_REFUSALS`] is worth another try.
fn refused_for_good(e: &lettre::transport::smtp::Error) -> bool {
    e.is_permanent() && !e.status().is_some_and(|code| SETUP_REFUSALS.contains(&code.to_string().as_str()))
}

/// Notification emails and digests name their signed one-click unsubscribe
/// link in `List-Unsubscribe`, with `List-Unsubscribe-Post` (RFC 8058), so a
/// mail program can offer "Unsubscribe" and post to it without a page.
fn with_list_unsubscribe(builder: MessageBuilder, email: &outbox::EmailRow) -> MessageBuilder {
    let link = match email.kind.as_str() {
        "notification" | "digest" => meetinghouse_core::notifications::unsubscribe_link(&email.body),
        _ => None,
    };
    match link {
        Some(link) => builder
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{link}>")))
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click".into())),
        None => builder,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use meetinghouse_store::outbox::State;
    use meetinghouse_store::{DbOptions, test_databases};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use super::*;

    /// The site's address in these tests.
    const TOWN: &str = "https://town.example";

    /// A fresh SQLite database, and a PostgreSQL one when
    /// `TEST_DATABASE_URL` is set, each with its backend's name.
    async fn databases() -> Vec<(&'static str, Db)> {
        let dir = test_databases::temp_dir("mh_mail");
        let options = DbOptions { max_connections: 4 };
        let mut out = vec![("SQLite", Db::open_sqlite(&dir.join("test.db"), &options).await.unwrap())];
        if let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let url = test_databases::create(&url, "mh_mail").await.unwrap();
            out.push(("PostgreSQL", Db::connect(&url, &options).await.unwrap()));
        }
        for (_, db) in &out {
            db.migrate().await.unwrap();
        }
        out
    }

    async fn enqueue(db: &Db, to: &str, kind: &str) -> i64 {
        let mut tx = db.begin().await.unwrap();
        let id = outbox::enqueue(&mut tx, to, "Hello", "Open https://x/verify?token=abc", kind).await.unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn row(db: &Db, id: i64) -> outbox::EmailRow {
        outbox::recent(db, 100).await.unwrap().into_iter().find(|e| e.id == id).unwrap()
    }

    /// A mail server that accepts everything, slowly, and counts messages.
    async fn fake_smtp() -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 test\r\n").await.unwrap();
                    let mut in_data = false;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let reply: &[u8] = if in_data {
                            if line != "." {
                                continue;
                            }
                            // Slow enough that a second worker would have read the outbox meanwhile.
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            counter.fetch_add(1, Ordering::SeqCst);
                            in_data = false;
                            b"250 queued\r\n"
                        } else if line.to_ascii_uppercase().starts_with("DATA") {
                            in_data = true;
                            b"354 go on\r\n"
                        } else if line.to_ascii_uppercase().starts_with("QUIT") {
                            b"221 bye\r\n"
                        } else {
                            b"250 ok\r\n"
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        (port, count)
    }

    fn through(port: u16) -> Outgoing {
        Outgoing::from_settings(Some(&format!("smtp://127.0.0.1:{port}")), "Meeting House <mh@example.org>", TOWN).unwrap()
    }

    fn not_stopping() -> watch::Receiver<bool> {
        watch::channel(false).1
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_workers_on_one_outbox_send_a_message_once() {
        for (backend, db) in databases().await {
            let (port, count) = fake_smtp().await;
            let id = enqueue(&db, "ann@example.org", "digest").await;
            let (a, b) = (through(port), through(port));
            let stop = not_stopping();
            let (sent_a, sent_b) = tokio::join!(tick(&db, &a, &stop), tick(&db, &b, &stop));
            assert_eq!(sent_a.unwrap() + sent_b.unwrap(), 1, "{backend}");
            assert_eq!(count.load(Ordering::SeqCst), 1, "{backend}: the server got it once");
            assert_eq!(row(&db, id).await.state(now()), State::Sent, "{backend}");
        }
    }

    #[tokio::test]
    async fn a_short_outage_waits_and_then_sends() {
        for (backend, db) in databases().await {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let id = enqueue(&db, "ann@example.org", "verify").await;
            let down = through(closed);
            let stop = not_stopping();
            // Polls every 2 s no longer spend the message's tries.
            for _ in 0..5 {
                assert_eq!(tick(&db, &down, &stop).await.unwrap(), 0, "{backend}");
            }
            let email = row(&db, id).await;
            assert_eq!(email.attempts, 1, "{backend}: tried once, then waits");
            assert!(email.last_error.as_deref().unwrap().contains(&format!("127.0.0.1:{closed}")), "{backend}: {:?}", email.last_error);
            let next = email.next_attempt_at.unwrap();
            assert!((now() + 25..=now() + 30).contains(&next), "{backend}: tried again in 30 s, not {}", next - now());
            assert_eq!(email.state(now()), State::Retrying(next), "{backend}");
            // The server comes back; once the wait is over the message goes.
            let (port, count) = fake_smtp().await;
            let up = through(port);
            assert_eq!(tick(&db, &up, &stop).await.unwrap(), 0, "{backend}: not before its time");
            db.execute_admin(&format!("UPDATE email_outbox SET next_attempt_at = {} WHERE id = {id}", now())).await.unwrap();
            assert_eq!(tick(&db, &up, &stop).await.unwrap(), 1, "{backend}");
            assert_eq!(count.load(Ordering::SeqCst), 1, "{backend}");
            let email = row(&db, id).await;
            assert_eq!((email.attempts, email.body.as_str()), (2, outbox::LINK_REMOVED), "{backend}");
        }
    }

    #[tokio::test]
    async fn an_address_mail_cannot_go_to_is_given_up_at_once() {
        for (backend, db) in databases().await {
            let (port, count) = fake_smtp().await;
            let id = enqueue(&db, "not an address", "digest").await;
            tick(&db, &through(port), &not_stopping()).await.unwrap();
            let email = row(&db, id).await;
            assert_eq!((email.state(now()), email.attempts), (State::GaveUp, 1), "{backend}");
            assert!(email.last_error.unwrap().contains("not an address mail can be sent to"), "{backend}");
            assert_eq!(count.load(Ordering::SeqCst), 0, "{backend}");
        }
    }

    #[tokio::test]
    async fn without_smtp_mail_is_held_with_its_text_until_sent_again() {
        for (backend, db) in databases().await {
            let id = enqueue(&db, "ann@example.org", "reset").await;
            let none = Outgoing::from_settings(None, "Meeting House <mh@example.org>", TOWN).unwrap();
            let stop = not_stopping();
            tick(&db, &none, &stop).await.unwrap();
            tick(&db, &none, &stop).await.unwrap();
            let email = row(&db, id).await;
            assert_eq!((email.state(now()), email.attempts), (State::Held, 0), "{backend}");
            assert!(email.body.contains("token=abc"), "{backend}: the admin passes the link on by hand");
            // With SMTP configured later, an admin sends it again.
            assert!(outbox::send_again(&db, id).await.unwrap(), "{backend}");
            let (port, count) = fake_smtp().await;
            assert_eq!(tick(&db, &through(port), &stop).await.unwrap(), 1, "{backend}");
            assert_eq!(count.load(Ordering::SeqCst), 1, "{backend}");
            assert_eq!(row(&db, id).await.body, outbox::LINK_REMOVED, "{backend}");
        }
    }

    /// Everything logged at info and above while it lives, on this thread.
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn held_mail_is_logged_without_its_text() {
        let logged = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = logged.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || Captured(sink.clone()))
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        for (backend, db) in databases().await {
            let id = enqueue(&db, "ann@example.org", "reset").await;
            let none = Outgoing::from_settings(None, "Meeting House <mh@example.org>", TOWN).unwrap();
            tick(&db, &none, &not_stopping()).await.unwrap();
            let log = String::from_utf8(logged.lock().unwrap().clone()).unwrap();
            let line = log.lines().find(|l| l.contains(&format!("id={id}")) && l.contains("no SMTP")).unwrap_or_else(|| panic!("{backend}: {log}"));
            assert!(line.contains("to=a•••@example.org") && line.contains("reset"), "{backend}: {line}");
            // Nor the address in full: the outbox id finds it on /admin/outbox.
            assert!(!log.contains("ann@example.org"), "{backend}: {log}");
            // A reset link or an unsubscribe token in the logs would let
            // whoever reads them act as the person: the text stays on /admin/outbox.
            assert!(!log.contains("token=abc") && !log.contains("Hello"), "{backend}: {log}");
            assert!(row(&db, id).await.body.contains("token=abc"), "{backend}");
        }
    }

    #[test]
    fn smtp_urls_are_read_or_refused_in_plain_words() {
        let read = |url: &str| parse_smtp_url(url);
        assert_eq!(read("smtp://relay.internal"), Ok(SmtpUrl { host: "relay.internal".into(), port: 25, credentials: None, security: Security::Plain }));
        assert_eq!(
            read("smtp://sam%40museum:p%C3%A9%25x:y@relay.internal:587/"),
            Ok(SmtpUrl {
                host: "relay.internal".into(),
                port: 587,
                credentials: Some(("sam@museum".into(), "pé%x:y".into())),
                security: Security::Plain
            })
        );
        // TLS from the first byte, on port 465 unless another is given.
        assert_eq!(
            read("smtps://sam:pw@mail.example.org"),
            Ok(SmtpUrl { host: "mail.example.org".into(), port: 465, credentials: Some(("sam".into(), "pw".into())), security: Security::Tls })
        );
        assert_eq!(read("smtps://mail.example.org:2465").map(|u| (u.port, u.security)), Ok((2465, Security::Tls)));
        // STARTTLS (lettre's own word, "required", too), on port 587 unless another is given.
        for url in ["smtp://sam:p%3Fw@mail.example.org?tls=starttls", "smtp://sam:p%3Fw@mail.example.org/?tls=required"] {
            assert_eq!(
                read(url),
                Ok(SmtpUrl { host: "mail.example.org".into(), port: 587, credentials: Some(("sam".into(), "p?w".into())), security: Security::StartTls }),
                "{url}"
            );
        }
        assert_eq!(read("smtp://mail.example.org:25?tls=starttls").map(|u| (u.port, u.security)), Ok((25, Security::StartTls)));
        assert_eq!(read("smtp://[::1]:2525").map(|u| (u.host, u.port)), Ok(("::1".into(), 2525)));
        // A multi-byte character after "%" once panicked the mail task.
        for bad in ["smtp://u:p%aé@relay", "smtp://u:p%é@relay", "smtp://u:100%@relay", "smtp://u:%zz@relay", "smtp://u:%FF@relay"] {
            let err = read(bad).unwrap_err();
            assert!(err.starts_with("the password "), "{bad}: {err}");
        }
        for (bad, says) in [
            ("relay.internal", "smtps:// (TLS) or smtp://"),
            ("imap://u:secret@relay", "smtps:// (TLS) or smtp://"),
            ("smtp://u:secret@relay?tls=opportunistic", "tls=starttls"),
            ("smtp://u:secret@relay?tls=yes", "the only setting"),
            ("smtps://u:secret@relay?tls=starttls", "TLS already"),
            ("smtp://", "no server name"),
            ("smtp://u:secret@", "no server name"),
            ("smtp://relay:25x", "port"),
            ("smtp://relay:0", "port"),
            ("smtp://relay:+25", "port"),
            ("smtp://u:secret", "port"),
            ("smtp://relay/mail", "after the server name"),
            ("smtp://re lay", "server name may hold"),
            ("smtp://[::1", "closing"),
            ("smtp://:pw@relay", "no user name"),
        ] {
            let err = read(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
            assert!(!err.contains("secret"), "{bad}: {err}");
        }
    }

    /// Notification email and digests carry the one-click unsubscribe
    /// headers (RFC 8058) with the footer's signed link; other mail none.
    #[tokio::test]
    async fn notification_email_names_its_one_click_unsubscribe_link() {
        let link = "https://town.example/unsubscribe?t=7.1700000000.0a1b2c";
        let body = format!("Sam replied.\n\n—\nChange this at https://town.example/notifications/settings\nStop all notification email with one click: {link}");
        for (_, db) in databases().await {
            for (kind, named) in [("notification", true), ("digest", true), ("verify", false)] {
                let mut tx = db.begin().await.unwrap();
                let id = outbox::enqueue(&mut tx, "ann@example.org", "News", &body, kind).await.unwrap();
                tx.commit().await.unwrap();
                let email = row(&db, id).await;
                let from: Mailbox = "Meeting House <mh@example.org>".parse().unwrap();
                let Ok(message) = compose(&from, "town.example", &email) else { panic!("{kind}: the message is written") };
                let text = String::from_utf8(message.formatted()).unwrap();
                assert_eq!(text.contains(&format!("List-Unsubscribe: <{link}>\r\n")), named, "{kind}: {text}");
                assert_eq!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), named, "{kind}: {text}");
            }
        }
    }

    /// Notification mail goes only as things are when it is sent: queued
    /// mail is not sent to an address its person has since left (with its
    /// working unsubscribe link), nor to an account suspended or banned
    /// since, nor once their email choice no longer wants it — not even on
    /// "Send again". The admin page says why. Other mail goes as queued.
    #[tokio::test]
    async fn queued_notification_mail_follows_the_persons_address_account_and_choice() {
        use meetinghouse_core::notifications::{self, Kind, Mailer};
        for (backend, db) in databases().await {
            let settings = meetinghouse_core::settings::Settings::load(&db).await.unwrap();
            let mail = Mailer { settings: &settings, base_url: TOWN };
            let mut people = Vec::new();
            for handle in ["ann", "bea", "cal", "dan"] {
                let id = meetinghouse_core::accounts::create_admin(&db, &format!("{handle}@example.org"), handle, handle, "a long enough password").await.unwrap();
                meetinghouse_store::people::set_admin(&db, id, false).await.unwrap();
                meetinghouse_store::notifications::set_mode(&db, id, "immediate").await.unwrap();
                people.push(id);
            }
            let (ann, bea, cal, dan) = (people[0], people[1], people[2], people[3]);
            let mut tx = db.begin().await.unwrap();
            for who in [ann, bea, cal, dan] {
                notifications::notify(&mut tx, mail, who, Kind::Moderation, "News for you.", "/notifications").await.unwrap();
            }
            let digest = outbox::enqueue_for(&mut tx, bea, "bea@example.org", "Your digest", "Here is what happened.", "digest").await.unwrap();
            tx.commit().await.unwrap();
            let queued = outbox::recent(&db, 20).await.unwrap();
            let mail_to = |addr: &str| queued.iter().find(|m| m.to_addr == addr && m.kind == "notification").unwrap().id;
            let (to_ann, to_bea, to_cal, to_dan) = (mail_to("ann@example.org"), mail_to("bea@example.org"), mail_to("cal@example.org"), mail_to("dan@example.org"));
            // Ann moves to a new address; Bea is banned; Cal turns notification email off
            // behind the outbox's back (as a change made while the mail was being sent leaves it).
            db.execute_admin(&format!("UPDATE people SET email = 'ann@new.example', email_lower = 'ann@new.example' WHERE id = {ann}")).await.unwrap();
            let mut tx = db.begin().await.unwrap();
            meetinghouse_store::moderation::suspend(&mut tx, bea, None).await.unwrap();
            tx.commit().await.unwrap();
            db.execute_admin(&format!("UPDATE notification_prefs SET email_mode = 'off' WHERE person_id = {cal}")).await.unwrap();

            let (port, count) = fake_smtp().await;
            let stop = not_stopping();
            assert_eq!(tick(&db, &through(port), &stop).await.unwrap(), 1, "{backend}: only Dan's");
            assert_eq!(count.load(Ordering::SeqCst), 1, "{backend}");
            assert_eq!(row(&db, to_dan).await.state(now()), State::Sent, "{backend}");
            for (id, why) in [(to_ann, outbox::NOT_SENT_MOVED), (to_bea, outbox::NOT_SENT_INACTIVE), (digest, outbox::NOT_SENT_INACTIVE), (to_cal, outbox::NOT_SENT_CHOICE)] {
                let email = row(&db, id).await;
                assert_eq!((email.state(now()), email.last_error.as_deref()), (State::GaveUp, Some(why)), "{backend}: {}", email.to_addr);
            }
            // "Send again" goes through the same check.
            assert!(outbox::send_again(&db, to_cal).await.unwrap(), "{backend}");
            assert_eq!(tick(&db, &through(port), &stop).await.unwrap(), 0, "{backend}");
            assert_eq!(row(&db, to_cal).await.last_error.as_deref(), Some(outbox::NOT_SENT_CHOICE), "{backend}");
            // Back on, it goes.
            db.execute_admin(&format!("UPDATE notification_prefs SET email_mode = 'immediate' WHERE person_id = {cal}")).await.unwrap();
            assert!(outbox::send_again(&db, to_cal).await.unwrap(), "{backend}");
            assert_eq!(tick(&db, &through(port), &stop).await.unwrap(), 1, "{backend}");
            assert_eq!(count.load(Ordering::SeqCst), 2, "{backend}");
        }
    }

    #[test]
    fn settings_are_checked_at_start_up_and_named() {
        let err = Outgoing::from_settings(Some("smtp://u:p%aé@relay"), "mh@example.org", TOWN).err().unwrap().to_string();
        assert!(err.starts_with("--smtp-url") && err.contains("%25") && !err.contains("p%a"), "{err}");
        let err = Outgoing::from_settings(None, "Meeting House", TOWN).err().unwrap().to_string();
        assert!(err.starts_with("--mail-from") && err.contains("“Meeting House”"), "{err}");
        let ok = Outgoing::from_settings(Some("smtp://u:pw@relay:2525"), "Meeting House <mh@example.org>", TOWN).unwrap();
        assert_eq!(ok.describe(), "sending mail through the SMTP server at relay:2525 (plain SMTP, unencrypted) as Meeting House <mh@example.org>");
        let ok = Outgoing::from_settings(Some("smtps://u:pw@mail.example.org"), "mh@example.org", TOWN).unwrap();
        assert_eq!(ok.describe(), "sending mail through the SMTP server at mail.example.org:465 (TLS) as mh@example.org");
        let ok = Outgoing::from_settings(Some("smtp://u:pw@mail.example.org?tls=starttls"), "mh@example.org", TOWN).unwrap();
        assert_eq!(ok.describe(), "sending mail through the SMTP server at mail.example.org:587 (STARTTLS) as mh@example.org");
    }

    #[test]
    fn a_password_over_plain_smtp_to_another_machine_is_warned_about() {
        let warning = |url: &str| Outgoing::from_settings(Some(url), "mh@example.org", TOWN).unwrap().warning().map(str::to_string);
        let said = warning("smtp://sam:s3cret@relay.example.org:25").expect("a warning");
        assert!(said.contains("unencrypted to relay.example.org") && said.contains("smtps://") && said.contains("tls=starttls"), "{said}");
        assert!(!said.contains("s3cret") && !said.contains("sam"), "{said}");
        // A relay on this machine, one that needs no password, or an encrypted connection: nothing to say.
        for fine in [
            "smtp://sam:s3cret@localhost:25",
            "smtp://sam:s3cret@127.0.0.1",
            "smtp://sam:s3cret@[::1]:2525",
            "smtp://relay.example.org",
            "smtps://sam:s3cret@relay.example.org",
            "smtp://sam:s3cret@relay.example.org:587?tls=starttls",
        ] {
            assert_eq!(warning(fine), None, "{fine}");
        }
    }

    /// A mail server that answers MAIL FROM with `mail_reply` and RCPT TO
    /// with `rcpt_reply` (both "250 ok" when all is well), and keeps the
    /// text of every message it takes (what came between DATA and ".").
    async fn answering_smtp(mail_reply: &'static str, rcpt_reply: &'static str) -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 test\r\n").await;
                    let mut data: Option<Vec<String>> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(text) = data.as_mut() {
                            if line != "." {
                                text.push(line);
                                continue;
                            }
                            kept.lock().unwrap().push(text.join("\n"));
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                            continue;
                        }
                        let command = line.to_ascii_uppercase();
                        let reply = if command.starts_with("MAIL FROM") {
                            mail_reply.to_string()
                        } else if command.starts_with("RCPT TO") {
                            rcpt_reply.to_string()
                        } else if command.starts_with("DATA") {
                            data = Some(Vec::new());
                            "354 go on".to_string()
                        } else if command.starts_with("QUIT") {
                            "221 bye".to_string()
                        } else {
                            "250 ok".to_string()
                        };
                        if write.write_all(format!("{reply}\r\n").as_bytes()).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (port, messages)
    }

    /// What is sent is a MIME message a mail program shows as written: one
    /// UTF-8 text part, named by a Message-ID at the site's host.
    #[tokio::test]
    async fn mail_is_sent_as_utf8_text_with_a_message_id() {
        for (backend, db) in databases().await {
            let (port, messages) = answering_smtp("250 ok", "250 ok").await;
            let mut tx = db.begin().await.unwrap();
            let id = outbox::enqueue(&mut tx, "ann@example.org", "Café news", "Zoë replied: “see you at the café”.", "notification").await.unwrap();
            tx.commit().await.unwrap();
            let outgoing = Outgoing::from_settings(Some(&format!("smtp://127.0.0.1:{port}")), "Meeting House <mh@example.org>", "https://Meet.Example.org:8443/town").unwrap();
            assert_eq!(tick(&db, &outgoing, &not_stopping()).await.unwrap(), 1, "{backend}");
            let sent = messages.lock().unwrap().clone();
            assert_eq!(sent.len(), 1, "{backend}");
            let headers: Vec<&str> = sent[0].split("\n\n").next().unwrap().lines().collect();
            assert!(headers.contains(&"MIME-Version: 1.0"), "{backend}: {headers:?}");
            assert!(headers.contains(&"Content-Type: text/plain; charset=utf-8"), "{backend}: {headers:?}");
            let message_id = headers.iter().find_map(|h| h.strip_prefix("Message-ID: ")).unwrap_or_else(|| panic!("{backend}: no Message-ID in {headers:?}"));
            let (digits, host) = message_id.strip_prefix('<').and_then(|m| m.strip_suffix('>')).and_then(|m| m.split_once('@')).unwrap();
            assert_eq!(host, "meet.example.org", "{backend}");
            assert!(digits.len() == 32 && digits.bytes().all(|b| b.is_ascii_hexdigit()), "{backend}: {message_id}");
            // The same message has the same id each time it is written; another has another.
            let email = row(&db, id).await;
            let from: Mailbox = "mh@example.org".parse().unwrap();
            let id_of = |email: &outbox::EmailRow| {
                let Ok(message) = compose(&from, "meet.example.org", email) else { panic!("written") };
                let text = String::from_utf8(message.formatted()).unwrap();
                text.lines().find_map(|h| h.strip_prefix("Message-ID: ")).unwrap().to_string()
            };
            assert_eq!(id_of(&email), message_id, "{backend}");
            let other = outbox::EmailRow { id: email.id + 1, ..email.clone() };
            assert_ne!(id_of(&other), message_id, "{backend}");
        }
    }

    /// A server that refuses the recipient for good (5xx) is believed at
    /// once; a refusal for now (4xx) or of the server's own setup (530
    /// authentication required) is tried again later.
    #[tokio::test]
    async fn a_permanent_refusal_is_given_up_at_once_and_a_passing_one_retried() {
        for (backend, db) in databases().await {
            for (mail_reply, rcpt_reply, gives_up) in [
                ("250 ok", "550 5.1.1 no such mailbox here", true),
                ("250 ok", "553 5.1.3 address not allowed", true),
                ("250 ok", "450 4.2.1 mailbox busy, try later", false),
                ("530 5.7.0 authentication required", "250 ok", false),
            ] {
                let (port, messages) = answering_smtp(mail_reply, rcpt_reply).await;
                let id = enqueue(&db, "gone@example.org", "digest").await;
                tick(&db, &through(port), &not_stopping()).await.unwrap();
                let email = row(&db, id).await;
                let code = if gives_up { &rcpt_reply[..3] } else if mail_reply.starts_with('5') { &mail_reply[..3] } else { &rcpt_reply[..3] };
                assert!(email.last_error.as_deref().unwrap_or("").contains(code), "{backend} {code}: {:?}", email.last_error);
                assert_eq!(email.attempts, 1, "{backend} {code}");
                if gives_up {
                    assert_eq!(email.state(now()), State::GaveUp, "{backend} {code}");
                } else {
                    assert!(matches!(email.state(now()), State::Retrying(_)), "{backend} {code}: {:?}", email.state(now()));
                }
                assert!(messages.lock().unwrap().is_empty(), "{backend} {code}: nothing was taken");
                // Out of the way of the next case.
                db.execute_admin(&format!("DELETE FROM email_outbox WHERE id = {id}")).await.unwrap();
            }
        }
    }

    /// A plain-text server that records every line it is sent, greets and
    /// answers EHLO without offering STARTTLS, and says "250 ok" to the rest.
    async fn recording_smtp() -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = lines.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut read = BufReader::new(read);
                    let _ = write.write_all(b"220 plain text only\r\n").await;
                    let mut line = Vec::new();
                    while let Ok(n) = read.read_until(b'\n', &mut line).await {
                        if n == 0 {
                            break;
                        }
                        let text = String::from_utf8_lossy(&line).trim_end().to_string();
                        seen.lock().unwrap().push(text.clone());
                        line.clear();
                        let reply: &[u8] = if text.to_ascii_uppercase().starts_with("EHLO") { b"250 plain\r\n" } else { b"250 ok\r\n" };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (port, lines)
    }

    /// TLS is really spoken: against a server that only speaks plain text,
    /// `smtps://` fails in the TLS handshake and `?tls=starttls` stops when
    /// STARTTLS is not offered, both before the password is sent.
    #[tokio::test]
    async fn tls_is_required_not_hoped_for() {
        let (port, lines) = recording_smtp().await;
        let plain = Outgoing::from_settings(Some(&format!("smtp://127.0.0.1:{port}")), "mh@example.org", TOWN).unwrap();
        assert!(plain.smtp.as_ref().unwrap().transport.test_connection().await.unwrap(), "the server works in plain text");
        for (url, says) in [
            // The server's plain "220" is no TLS record.
            (format!("smtps://sam:s3cret@127.0.0.1:{port}"), "received corrupt message"),
            (format!("smtp://sam:s3cret@127.0.0.1:{port}?tls=starttls"), "starttls is not supported"),
        ] {
            lines.lock().unwrap().clear();
            let outgoing = Outgoing::from_settings(Some(&url), "mh@example.org", TOWN).unwrap();
            let err = outgoing.smtp.as_ref().unwrap().transport.test_connection().await.expect_err(&url);
            let said = err.to_string().to_lowercase();
            assert!(said.contains(says), "{url}: {said}");
            let seen = lines.lock().unwrap().join("\n");
            assert!(!seen.to_uppercase().contains("AUTH") && !seen.contains("s3cret") && !seen.to_uppercase().contains("MAIL FROM"), "{url}: {seen}");
        }
    }
}
