//! What every handler can reach: the database, configuration, the cached
//! instance settings, rate limiters and metrics. Built once in the binary.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use meetinghouse_core::Db;
use meetinghouse_core::settings::Settings;

use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;

/// Web-facing configuration, from the binary's layered config.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public base URL, used in emailed links (no trailing slash).
    pub base_url: String,
    /// Whether the site is served over TLS: cookies get `Secure` and HSTS is sent.
    pub tls: bool,
    /// Proxies whose `X-Forwarded-For` is trusted for the client address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long a signed-out visitor's page view may be reused (0 turns the micro-cache off).
    pub page_cache_ttl: Duration,
    /// Where uploaded images are kept.
    pub media: meetinghouse_media::MediaStore,
    /// Byte and pixel limits for image uploads.
    pub media_limits: meetinghouse_media::Limits,
    /// A bearer token that opens `/metrics` to a scraper on another host;
    /// without it only a direct loopback client gets the figures.
    pub metrics_token: Option<Secret>,
}

/// A configured secret: compared in constant time, never printed.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            base_url: "http://127.0.0.1:8080".into(),
            tls: false,
            trusted_proxies: Vec::new(),
            page_cache_ttl: Duration::ZERO,
            // Tests and embedders get a private directory; `serve` always sets one.
            media: meetinghouse_media::MediaStore::Local(meetinghouse_media::LocalStore::new(
                std::env::temp_dir().join(format!("meetinghouse-media-{}", std::process::id())),
            )),
            media_limits: meetinghouse_media::Limits::default(),
            metrics_token: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<WebConfig>,
    pub limits: Arc<RateLimits>,
    pub metrics: Arc<Metrics>,
    pub page_cache: Arc<crate::pagecache::PageCache>,
    /// Whose uploads are being read now (`forms::UploadTurns`).
    pub uploads: Arc<crate::forms::UploadTurns>,
    settings: Arc<RwLock<(Instant, Arc<Settings>)>>,
}

/// How long settings are cached before re-reading: other app servers'
/// changes show up within this time.
const SETTINGS_TTL: Duration = Duration::from_secs(5);

impl AppState {
    pub async fn new(db: Db, config: WebConfig) -> anyhow::Result<AppState> {
        let settings = Settings::load(&db).await?;
        Ok(AppState {
            limits: Arc::new(RateLimits::shared(db.clone(), settings.secret_key.clone())),
            db,
            page_cache: Arc::new(crate::pagecache::PageCache::new(config.page_cache_ttl)),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            uploads: Arc::default(),
            settings: Arc::new(RwLock::new((Instant::now(), Arc::new(settings)))),
        })
    }

    /// The instance settings, re-read from the database at most every few seconds.
    pub async fn settings(&self) -> Arc<Settings> {
        {
            let guard = self.settings.read().expect("settings lock poisoned");
            if guard.0.elapsed() < SETTINGS_TTL {
                return guard.1.clone();
            }
        }
        match Settings::load(&self.db).await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                *self.settings.write().expect("settings lock poisoned") = (Instant::now(), fresh.clone());
                fresh
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not reload settings; using the cached copy");
                self.settings.read().expect("settings lock poisoned").1.clone()
            }
        }
    }

    /// Drops the cached settings so the next request sees a change at once.
    pub fn invalidate_settings(&self) {
        let mut guard = self.settings.write().expect("settings lock poisoned");
        guard.0 = Instant::now() - SETTINGS_TTL * 2;
    }
}
