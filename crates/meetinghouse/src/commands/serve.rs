//! `meetinghouse serve` — open the database, start the mail worker and serve
//! HTTP until SIGINT or SIGTERM. After the first signal no new connection is
//! taken and requests in flight get `--shutdown-grace-secs` (30 s) to finish;
//! connections still open then are cut. A second signal exits at once.
//!
//! The HTTP/1.1 connections are served here, on hyper directly, rather than
//! through `axum::serve`, which offers no header-read timeout: a client that
//! sent half a request head could hold its connection, and the shutdown
//! waiting for it, for ever.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use meetinghouse_store::Backend;
use meetinghouse_web::{AppState, WebConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::commands::{Migrations, open_or_create_db};
use crate::config::{GlobalArgs, MediaConfig, ServeArgs};
use crate::mail;

/// How long a client may take to send a request's head (the request line
/// and headers) before its connection is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<()> {
    let config = global.serve(args)?;
    tracing::info!(config = ?config, "starting");
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    // Checked before anything else starts: a mail setting the worker could
    // not use stops the server here, with the setting named.
    let outgoing = mail::Outgoing::from_settings(config.smtp_url.as_deref(), &config.mail_from, &config.base_url)?;
    tracing::info!("mail: {}", outgoing.describe());
    if let Some(warning) = outgoing.warning() {
        tracing::warn!("{warning}");
    }
    // The port first: one that is taken stops `serve` before it opens,
    // migrates or seeds anything.
    let listener = TcpListener::bind(config.listen).await.with_context(|| format!("could not listen on {}", config.listen))?;
    let local = listener.local_addr()?;
    let migrations = if config.migrate { Migrations::Apply } else { Migrations::RequireCurrent };
    let db = match open_or_create_db(&config.store, migrations).await {
        Ok(db) => db,
        Err(e) => return Err(unmigrated(&config.store, e).await),
    };
    // The demo town's password is published: refused on an address other
    // machines reach unless asked for (before seeding, so nothing is seeded
    // for a server that will not start).
    if let Err(refusal) = crate::commands::demo::check_public(&db, &config.store, config.listen, config.demo, config.demo_public).await {
        db.close().await;
        return Err(refusal);
    }
    if let (Backend::Postgres, MediaConfig::Local(dir)) = (db.backend(), &config.store.media) {
        // PostgreSQL is how a meeting house grows to several app servers;
        // each would then see only the images uploaded to it.
        tracing::warn!(
            media_dir = %dir.display(),
            "images are kept in a local folder while the database is PostgreSQL: with more than one app server, each sees only the images \
             uploaded to it. Use S3 (--s3-endpoint) or a folder every app server shares (--media-dir on a network file system)."
        );
    }
    let media = crate::commands::open_media(&config.store).await?;
    if config.demo {
        // Only into an empty database or the demo town.
        crate::commands::demo::serve_demo(&db, &config.store, &media).await?;
    }
    let web = WebConfig {
        base_url: config.base_url.clone(),
        tls: config.tls,
        trusted_proxies: config.trusted_proxies.clone(),
        page_cache_ttl: config.page_cache,
        metrics_token: config.metrics_token.clone().map(meetinghouse_web::Secret),
        media: media.clone(),
        media_limits: config.media_limits,
    };
    let state = AppState::new(db.clone(), web).await?;
    // From here on SIGINT and SIGTERM are ours: the first stops gently, a
    // second at once (before, the default action ends the process).
    let mut signals = Signals::new()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mailer = tokio::spawn(mail::run(db.clone(), outgoing, stop_rx.clone()));
    let jobs = tokio::spawn(crate::jobs::run(db.clone(), config.base_url.clone(), stop_rx.clone()));
    let purge = tokio::spawn(crate::jobs::run_purge(db.clone(), media.clone(), stop_rx.clone()));
    let analyses = tokio::spawn(crate::jobs::run_common_ground(db.clone(), stop_rx));
    let (drain_tx, drain_rx) = oneshot::channel();
    let server = tokio::spawn(serve_http(listener, meetinghouse_web::app(state), HEADER_READ_TIMEOUT, drain_rx));
    // The line tests and scripts wait for: the real port, after binding.
    println!("meetinghouse listening on http://{local}");
    tracing::info!(%local, "listening");

    let signal = signals.next().await;
    let grace = config.shutdown_grace;
    tracing::info!(
        "{signal} received: finishing requests in flight (at most {} s; another SIGINT or SIGTERM stops at once)",
        grace.as_secs_f64()
    );
    let deadline = Instant::now() + grace;
    let _ = drain_tx.send(deadline);
    let _ = stop_tx.send(true);
    let stopping = async {
        match server.await {
            Ok(0) => tracing::info!("stopping: in-flight requests finished"),
            Ok(cut) => tracing::warn!(connections = cut, "stopping: {cut} connection(s) still open after {} s were closed", grace.as_secs_f64()),
            Err(e) => tracing::warn!(error = %e, "the HTTP server task failed"),
        }
        // The workers stop between two pieces of work; one that is still
        // busy at the deadline is left.
        for (name, task) in [("mail", mailer), ("jobs", jobs), ("purge", purge), ("common-ground analysis", analyses)] {
            let abort = task.abort_handle();
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                tracing::warn!("stopping: the {name} worker was still busy at the deadline");
                abort.abort();
            }
        }
        db.close().await;
    };
    tokio::select! {
        () = stopping => Ok(()),
        signal = signals.next() => {
            tracing::warn!("{signal} received again: stopping now, without waiting for requests in flight");
            std::process::exit(exit_code(signal));
        }
    }
}

/// A refusal to serve an out-of-date schema, said plainly when the
/// database has no meeting-house schema at all (a new, empty PostgreSQL
/// database): run `migrate` first. Any other error is returned as it is.
async fn unmigrated(store: &crate::config::StoreConfig, e: anyhow::Error) -> anyhow::Error {
    if !matches!(e.downcast_ref::<meetinghouse_store::StoreError>(), Some(meetinghouse_store::StoreError::Outdated(_))) {
        return e;
    }
    let Ok(opened) = crate::commands::open(store, Migrations::Leave, false).await else { return e };
    let status = opened.db.migration_status().await;
    opened.db.close().await;
    match status {
        Ok(status) if status.applied.is_empty() => anyhow::anyhow!(
            "the database at {} is empty (it has no meeting-house tables yet), so its schema is out of date and nothing was served. Run \
             `meetinghouse migrate` with the same database settings to make them, or start once with `serve --migrate`",
            opened.location
        ),
        _ => e,
    }
}

/// Serves HTTP/1.1 on `listener` until `drain` gives a deadline (or is
/// dropped: now). Then no new connection is taken, each open one finishes
/// the request it is on and closes, and at the deadline the ones still open
/// are cut. Returns how many were cut.
///
/// A request's head must arrive within `header_read_timeout`.
pub async fn serve_http(listener: TcpListener, app: axum::Router, header_read_timeout: Duration, drain: oneshot::Receiver<Instant>) -> usize {
    let mut connections = tokio::task::JoinSet::new();
    let (closing_tx, closing_rx) = watch::channel(false);
    tokio::pin!(drain);
    let deadline = loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, remote)) => {
                    connections.spawn(connection(socket, remote, app.clone(), header_read_timeout, closing_rx.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment
                    // rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            deadline = &mut drain => break deadline.unwrap_or_else(|_| Instant::now()),
        }
    };
    drop(listener);
    let _ = closing_tx.send(true);
    let _ = tokio::time::timeout_at(deadline, async { while connections.join_next().await.is_some() {} }).await;
    let cut = connections.len();
    connections.shutdown().await;
    cut
}

/// One client connection: its requests, each marked with the client's
/// address (what `ConnectInfo<SocketAddr>` reads), until it closes or the
/// server is closing and the request in hand is answered.
async fn connection(socket: TcpStream, remote: SocketAddr, app: axum::Router, header_read_timeout: Duration, mut closing: watch::Receiver<bool>) {
    use tower::ServiceExt;
    let service = app.map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(axum::extract::ConnectInfo(remote));
        request
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_read_timeout);
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(socket), hyper_util::service::TowerToHyperService::new(service));
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
            return;
        }
        _ = closing.wait_for(|closing| *closing) => conn.as_mut().graceful_shutdown(),
    }
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, %remote, "connection ended with an error while closing");
    }
}

/// The exit code of a process stopped at once by `signal`, as the shell
/// gives one a signal ended: 128 and the signal's number (SIGINT 2, SIGTERM 15).
fn exit_code(signal: &str) -> i32 {
    match signal {
        "SIGTERM" => 128 + 15,
        _ => 128 + 2,
    }
}

/// SIGINT and SIGTERM, listened for from its creation on.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt()).context("could not listen for SIGINT")?,
                terminate: signal(SignalKind::terminate()).context("could not listen for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next signal's name.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn server(header_read_timeout: Duration) -> (SocketAddr, oneshot::Sender<Instant>, tokio::task::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(|axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>| async move { format!("hello {}", peer.ip()) }),
        );
        let (tx, rx) = oneshot::channel();
        (addr, tx, tokio::spawn(serve_http(listener, app, header_read_timeout, rx)))
    }

    /// Reads until the server closes the connection; how long that took.
    async fn until_closed(socket: &mut TcpStream, limit: Duration) -> (String, Duration) {
        let started = Instant::now();
        let mut got = Vec::new();
        tokio::time::timeout(limit, async {
            let mut buf = [0u8; 1024];
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await
        .expect("the server closed the connection in time");
        (String::from_utf8_lossy(&got).into_owned(), started.elapsed())
    }

    #[tokio::test]
    async fn a_request_is_answered_with_the_client_address() {
        let (addr, _stop, _server) = server(Duration::from_secs(5)).await;
        let mut socket = TcpStream::connect(addr).await.unwrap();
        socket.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let (answer, _) = until_closed(&mut socket, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello 127.0.0.1"), "{answer}");
    }

    #[tokio::test]
    async fn a_half_sent_request_head_is_dropped_after_the_header_timeout() {
        let (addr, _stop, _server) = server(Duration::from_millis(300)).await;
        let mut socket = TcpStream::connect(addr).await.unwrap();
        socket.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let (_, took) = until_closed(&mut socket, Duration::from_secs(5)).await;
        assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    }

    #[tokio::test]
    async fn closing_waits_for_a_request_in_flight_only_until_the_deadline() {
        let (addr, stop, server) = server(Duration::from_secs(60)).await;
        let mut idle = TcpStream::connect(addr).await.unwrap();
        let mut half = TcpStream::connect(addr).await.unwrap();
        half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        stop.send(Instant::now() + Duration::from_millis(500)).unwrap();
        // An idle connection closes at once; the half-sent request is cut at the deadline.
        let (_, idle_took) = until_closed(&mut idle, Duration::from_secs(5)).await;
        assert!(idle_took < Duration::from_millis(400), "{idle_took:?}");
        assert_eq!(tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap(), 1);
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(450) && took < Duration::from_secs(3), "{took:?}");
        until_closed(&mut half, Duration::from_secs(2)).await;
        assert!(TcpStream::connect(addr).await.is_err(), "no new connection is taken");
    }
}
