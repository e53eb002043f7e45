//! `meetinghouse serve` — open the database, start the mail worker and serve
//! HTTP until SIGINT or SIGTERM, finishing in-flight requests first.

use std::net::SocketAddr;

use anyhow::Context;
use meetinghouse_core::demo;
use meetinghouse_web::{AppState, WebConfig};

use crate::commands::{Migrations, open_db};
use crate::config::{GlobalArgs, ServeArgs};
use crate::mail;

pub async fn run(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<()> {
    let config = global.serve(args)?;
    tracing::info!(config = ?config, "starting");
    // Checked before anything else starts: a mail setting the worker could
    // not use stops the server here, with the setting named.
    let outgoing = mail::Outgoing::from_settings(config.smtp_url.as_deref(), &config.mail_from)?;
    tracing::info!("mail: {}", outgoing.describe());
    let migrations = if config.migrate { Migrations::Apply } else { Migrations::RequireCurrent };
    let db = open_db(&config.store, migrations).await?;
    let media = crate::commands::open_media(&config.store).await?;
    if config.demo {
        // An empty database, or a town an earlier start left part-way.
        if demo::is_empty(&db).await? || demo::unfinished(&db).await? {
            let report = demo::seed(&db, &media).await?;
            tracing::info!("{}", report.to_string().replace('\n', " "));
        } else {
            tracing::info!("--demo: the database already has people, so nothing was seeded");
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("could not listen on {}", config.listen))?;
    let local = listener.local_addr()?;
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
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mailer = tokio::spawn(mail::run(db.clone(), outgoing, stop_rx.clone()));
    let jobs = tokio::spawn(crate::jobs::run(db.clone(), config.base_url.clone(), stop_rx.clone()));
    let purge = tokio::spawn(crate::jobs::run_purge(db.clone(), media.clone(), stop_rx.clone()));
    let analyses = tokio::spawn(crate::jobs::run_common_ground(db.clone(), stop_rx));
    // The line tests and scripts wait for: the real port, after binding.
    println!("meetinghouse listening on http://{local}");
    tracing::info!(%local, "listening");
    axum::serve(listener, meetinghouse_web::app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("stopping: in-flight requests finished");
    let _ = stop_tx.send(true);
    let _ = mailer.await;
    let _ = jobs.await;
    let _ = purge.await;
    let _ = analyses.await;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("signal received: finishing in-flight requests");
}
