//! Typed, layered configuration: command-line flag, then `MEETINGHOUSE_*`
//! environment variable, then the optional TOML file, then the default. The
//! first source that sets a value wins, on/off settings included: each is an
//! `Option<bool>` until the sources are combined, so `MEETINGHOUSE_TLS=off`
//! turns off `tls = true` in the file. A `MEETINGHOUSE_*` variable that is
//! set but empty (or only spaces) counts as not set ([`without_empty_env`]).
//! The file is read once, however many settings come from it, so a file
//! that can be read only once (a pipe, `--config /dev/stdin`) works.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::{Context, bail};
use serde::Deserialize;

/// Options every subcommand takes. `Debug` hides the secrets.
#[derive(Clone, clap::Args)]
pub struct GlobalArgs {
    /// Directory for the SQLite database and media [default: ./meetinghouse-data]
    #[arg(long, global = true, env = "MEETINGHOUSE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: postgres://user@host/db for PostgreSQL (add ?sslmode=require or verify-full for TLS), or sqlite:PATH [default: SQLite in DATA_DIR]
    #[arg(long, global = true, env = "MEETINGHOUSE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// A TOML file with any of the settings below
    #[arg(long, global = true, env = "MEETINGHOUSE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format: human or json [default: human]
    #[arg(long, global = true, env = "MEETINGHOUSE_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Directory for uploaded images when not using S3 [default: DATA_DIR/media]
    #[arg(long, global = true, env = "MEETINGHOUSE_MEDIA_DIR")]
    pub media_dir: Option<PathBuf>,
    /// S3-compatible endpoint for images (https://s3.eu-west-2.amazonaws.com, http://minio:9000…) instead of the media directory
    #[arg(long, global = true, env = "MEETINGHOUSE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 bucket for images
    #[arg(long, global = true, env = "MEETINGHOUSE_S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// S3 region [default: us-east-1]
    #[arg(long, global = true, env = "MEETINGHOUSE_S3_REGION")]
    pub s3_region: Option<String>,
    /// S3 access key id
    #[arg(long, global = true, env = "MEETINGHOUSE_S3_ACCESS_KEY", hide_env_values = true)]
    pub s3_access_key: Option<String>,
    /// S3 secret access key
    #[arg(long, global = true, env = "MEETINGHOUSE_S3_SECRET_KEY", hide_env_values = true)]
    pub s3_secret_key: Option<String>,
    /// Address the bucket as ENDPOINT/BUCKET (most self-hosted servers) rather than BUCKET.ENDPOINT; always on for an endpoint given as an IP address
    #[arg(long, global = true, env = "MEETINGHOUSE_S3_PATH_STYLE", value_name = "ON|OFF", value_parser = parse_switch, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub s3_path_style: Option<Switch>,
    /// The town's time zone, an IANA name such as Europe/London: dates on pages and prompt dates are in it [default: UTC]
    #[arg(long, global = true, env = "MEETINGHOUSE_TIME_ZONE")]
    pub time_zone: Option<String>,
    /// The config file, once read (or why it could not be): every setting
    /// is taken from this one reading.
    #[arg(skip)]
    file: OnceLock<Result<Arc<FileConfig>, String>>,
}

/// Options of `serve`. `Debug` hides the secrets.
#[derive(Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "MEETINGHOUSE_LISTEN")]
    pub listen: Option<String>,
    /// Seed the demo town if the database is empty (--demo=off turns off demo = true in the config file)
    #[arg(long, env = "MEETINGHOUSE_DEMO", value_name = "ON|OFF", value_parser = parse_switch, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub demo: Option<Switch>,
    /// Serve the demo town on an address other machines can reach, although its accounts' password (an instance admin's too) is published; without it, serve refuses
    #[arg(long, env = "MEETINGHOUSE_DEMO_PUBLIC", value_name = "ON|OFF", value_parser = parse_switch, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub demo_public: Option<Switch>,
    /// Apply pending migrations on PostgreSQL before serving
    #[arg(long, env = "MEETINGHOUSE_MIGRATE", value_name = "ON|OFF", value_parser = parse_switch, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub migrate: Option<Switch>,
    /// The address people reach the site at (https://meet.example.org): links in emails, label QR codes, the sitemap and feeds [default: http://LISTEN; required when listening on all interfaces]
    #[arg(long, env = "MEETINGHOUSE_BASE_URL")]
    pub base_url: Option<String>,
    /// Set when served over HTTPS (usually behind a proxy): Secure cookies and HSTS; always on with an https:// base URL
    #[arg(long, env = "MEETINGHOUSE_TLS", value_name = "ON|OFF", value_parser = parse_switch, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub tls: Option<Switch>,
    /// How long, in seconds, requests in flight may take to finish after SIGINT or SIGTERM; a second signal stops at once [default: 30]
    #[arg(long, env = "MEETINGHOUSE_SHUTDOWN_GRACE_SECS", value_parser = whole_number::<u64>("MEETINGHOUSE_SHUTDOWN_GRACE_SECS"))]
    pub shutdown_grace_secs: Option<u64>,
    /// SMTP server for outgoing mail: smtps://user:password@host (TLS, port 465), smtp://user:password@host:587?tls=starttls, or smtp://host for a local relay [default: none, mail is shown to admins]
    #[arg(long, env = "MEETINGHOUSE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From address of outgoing mail
    #[arg(long, env = "MEETINGHOUSE_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// How long a signed-out page view may be reused, in milliseconds, 0–60000 (0 turns the micro-cache off) [default: 2000]
    #[arg(long, env = "MEETINGHOUSE_PAGE_CACHE_MS", value_parser = whole_number::<u64>("MEETINGHOUSE_PAGE_CACHE_MS"))]
    pub page_cache_ms: Option<u64>,
    /// Largest image upload, in MB, 1–100 [default: 20]
    #[arg(long, env = "MEETINGHOUSE_MAX_UPLOAD_MB", value_parser = whole_number::<usize>("MEETINGHOUSE_MAX_UPLOAD_MB"))]
    pub max_upload_mb: Option<usize>,
    /// Largest image, in megapixels, 1–50 [default: 50]
    #[arg(long, env = "MEETINGHOUSE_MAX_IMAGE_MEGAPIXELS", value_parser = whole_number::<u64>("MEETINGHOUSE_MAX_IMAGE_MEGAPIXELS"))]
    pub max_image_megapixels: Option<u64>,
    /// A reverse proxy whose X-Forwarded-For is trusted (repeatable; MEETINGHOUSE_TRUSTED_PROXIES takes a comma-separated list)
    #[arg(long = "trusted-proxy", env = "MEETINGHOUSE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = proxy_address)]
    pub trusted_proxies: Vec<IpAddr>,
    /// A bearer token that lets a scraper on another host read /metrics [default: none, only local clients]
    #[arg(long, env = "MEETINGHOUSE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// The TOML file: every key optional. (No `Debug`: it holds secrets.)
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    log_format: Option<String>,
    listen: Option<String>,
    demo: Option<bool>,
    demo_public: Option<bool>,
    migrate: Option<bool>,
    base_url: Option<String>,
    tls: Option<bool>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    trusted_proxies: Option<Vec<IpAddr>>,
    max_connections: Option<u32>,
    page_cache_ms: Option<u64>,
    shutdown_grace_secs: Option<u64>,
    media_dir: Option<PathBuf>,
    s3_endpoint: Option<String>,
    s3_bucket: Option<String>,
    s3_region: Option<String>,
    s3_access_key: Option<String>,
    s3_secret_key: Option<String>,
    s3_path_style: Option<bool>,
    max_upload_mb: Option<usize>,
    max_image_megapixels: Option<u64>,
    metrics_token: Option<String>,
    time_zone: Option<String>,
}

/// An on/off setting as a flag or an environment variable gives it: on,
/// off, or (an empty `MEETINGHOUSE_TLS=`) not set, so the next source decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch(Option<bool>);

impl Switch {
    /// The value, if this source sets one.
    fn get(switch: Option<Switch>) -> Option<bool> {
        switch.and_then(|s| s.0)
    }
}

/// Reads an on/off value, from a flag (`--tls=off`) or an environment
/// variable (`MEETINGHOUSE_TLS=0`): true/false, yes/no, on/off or 1/0, in
/// any case; empty is "not set".
pub fn parse_switch(raw: &str) -> Result<Switch, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Ok(Switch(None)),
        "1" | "true" | "yes" | "on" => Ok(Switch(Some(true))),
        "0" | "false" | "no" | "off" => Ok(Switch(Some(false))),
        _ => Err(format!("“{raw}” is neither on nor off: write true or false, yes or no, on or off, 1 or 0")),
    }
}

/// Reads a whole number from a flag or the environment variable `var`,
/// spaces around it allowed; the refusal names the variable, as the value
/// may have come from it.
fn whole_number<T: std::str::FromStr + Clone + Send + Sync + 'static>(var: &'static str) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |raw: &str| raw.trim().parse::<T>().map_err(|_| format!("“{raw}” is not a whole number (from the flag or {var})"))
}

/// Reads one trusted proxy's IP address (an item of
/// `MEETINGHOUSE_TRUSTED_PROXIES=10.0.0.1, 10.0.0.2`), spaces around it allowed.
fn proxy_address(raw: &str) -> Result<IpAddr, String> {
    raw.trim().parse().map_err(|_| {
        format!("“{raw}” is not an IP address such as 10.0.0.2 or fd00::2 (from --trusted-proxy or MEETINGHOUSE_TRUSTED_PROXIES, a comma-separated list)")
    })
}

/// `command` (and its subcommands) with the environment variable of every
/// option that is set but empty, or only spaces, left unread: such a
/// `MEETINGHOUSE_DATA_DIR=` (an unset entry in a container's settings)
/// counts as not set, so the next source decides, as an empty
/// `MEETINGHOUSE_TLS=` always has.
pub fn without_empty_env(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| {
            let empty = arg.get_env().and_then(std::env::var_os).is_some_and(|value| value.to_string_lossy().trim().is_empty());
            if empty { arg.env(None::<&'static str>) } else { arg }
        })
        .mut_subcommands(without_empty_env)
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// The longest page micro-cache, in milliseconds: a minute.
const PAGE_CACHE_MS_MAX: u64 = 60_000;
/// Database connections in the pool, by default.
const MAX_CONNECTIONS: u32 = 16;
/// The most database connections `max_connections` may ask for.
const MAX_CONNECTIONS_MAX: u32 = 1000;
/// How long requests in flight may take to finish after a stop signal, by default.
const SHUTDOWN_GRACE_SECS: u64 = 30;
/// The longest grace period accepted: an hour.
const SHUTDOWN_GRACE_SECS_MAX: u64 = 3600;

/// How a secret setting shows in `Debug` output: whether it is set, never its value.
fn hidden(value: &Option<String>) -> &'static str {
    if value.is_some() { "Some(<hidden>)" } else { "None" }
}

impl std::fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("config", &self.config)
            .field("log_format", &self.log_format)
            .field("media_dir", &self.media_dir)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key", &hidden(&self.s3_access_key))
            .field("s3_secret_key", &hidden(&self.s3_secret_key))
            .field("s3_path_style", &self.s3_path_style)
            .field("time_zone", &self.time_zone)
            .finish()
    }
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeArgs")
            .field("listen", &self.listen)
            .field("demo", &self.demo)
            .field("demo_public", &self.demo_public)
            .field("migrate", &self.migrate)
            .field("base_url", &self.base_url)
            .field("tls", &self.tls)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("page_cache_ms", &self.page_cache_ms)
            .field("max_upload_mb", &self.max_upload_mb)
            .field("max_image_megapixels", &self.max_image_megapixels)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &hidden(&self.metrics_token))
            .finish()
    }
}

/// Where uploaded images are kept.
#[derive(Clone)]
pub enum MediaConfig {
    Local(PathBuf),
    S3(meetinghouse_media::S3Config),
}

/// Where the data lives.
#[derive(Clone)]
pub struct StoreConfig {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub max_connections: u32,
    pub media: MediaConfig,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("max_connections", &self.max_connections)
            .field("media", &match &self.media {
                MediaConfig::Local(dir) => format!("local {}", dir.display()),
                MediaConfig::S3(s3) => format!("s3 bucket {} at {}", s3.bucket, s3.endpoint),
            })
            .finish()
    }
}

/// Everything `serve` needs.
#[derive(Clone)]
pub struct ServeConfig {
    pub store: StoreConfig,
    pub listen: SocketAddr,
    pub demo: bool,
    /// The demo town may be served on an address other machines reach
    /// (`--demo-public`); without it `serve` refuses to.
    pub demo_public: bool,
    pub migrate: bool,
    pub base_url: String,
    pub tls: bool,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub trusted_proxies: Vec<IpAddr>,
    pub page_cache: std::time::Duration,
    pub media_limits: meetinghouse_media::Limits,
    pub metrics_token: Option<String>,
    /// How long requests in flight may take to finish after the first stop signal.
    pub shutdown_grace: std::time::Duration,
    /// Settings that work but are probably not what the operator wants:
    /// logged as warnings when `serve` starts.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("store", &self.store)
            .field("listen", &self.listen)
            .field("base_url", &self.base_url)
            .field("tls", &self.tls)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .finish_non_exhaustive()
    }
}

/// Settings in a database URL's query that hold no secret, shown in logs
/// as they are. Any other setting's value (`password=`, `sslpassword=`,
/// whatever a driver adds later) is shown as `[redacted]`.
const PLAIN_URL_SETTINGS: &[&str] = &[
    "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "dbname", "host", "hostaddr", "port", "user",
    "connect_timeout", "target_session_attrs", "statement-cache-capacity", "mode", "cache", "immutable", "vfs",
];

/// A URL as logs and error messages may show it: the scheme, the user name,
/// the host and port, the path (the database), and of the query only the
/// settings known to hold no secret. A password — `postgres://mh:secret@db`
/// or `postgres://mh@db/mh?password=secret` — becomes `[redacted]`, and so
/// does anything that cannot be read with certainty.
pub fn redact_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // A fragment has no meaning in a database or SMTP URL: never shown.
    let before_query = before_query.split('#').next().unwrap_or("");
    let query = query.map(|q| q.split('#').next().unwrap_or(""));
    let mut out = match before_query.split_once("://") {
        None => before_query.to_string(),
        Some((scheme, rest)) => {
            // The user part ends at the last "@" (a password may hold "/").
            let (userinfo, hostpath) = match rest.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, rest),
            };
            let (authority, path) = match hostpath.find('/') {
                Some(i) => hostpath.split_at(i),
                None => (hostpath, ""),
            };
            let user = match userinfo {
                None => String::new(),
                Some(u) => match u.split_once(':') {
                    Some((name, _password)) => format!("{name}:[redacted]@"),
                    None => format!("{u}@"),
                },
            };
            // "host:port", "[v6]:port", or "host" only: a port that is not a
            // number means the URL was mistyped, perhaps around a password.
            let port_ok = (authority.starts_with('[') && authority.ends_with(']')) || match authority.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') || host.ends_with(']') => port.bytes().all(|b| b.is_ascii_digit()),
                Some(_) => false,
                None => true,
            };
            let authority = if port_ok { authority } else { "[redacted]" };
            format!("{scheme}://{user}{authority}{path}")
        }
    };
    if let Some(query) = query {
        let settings: Vec<String> = query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|setting| match setting.split_once('=') {
                Some((key, _)) if PLAIN_URL_SETTINGS.contains(&key) => setting.to_string(),
                // The name is shown only when it is plainly a name.
                Some((key, _)) if key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') => format!("{key}=[redacted]"),
                _ => "[redacted]".to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&settings.join("&"));
    }
    out
}

/// The address to listen on, as given (`127.0.0.1:8080` when it is not).
fn listen_address(raw: Option<String>) -> anyhow::Result<SocketAddr> {
    let raw = raw.unwrap_or_else(|| "127.0.0.1:8080".into());
    raw.trim().parse().map_err(|_| {
        anyhow::anyhow!("--listen (MEETINGHOUSE_LISTEN, or listen in the config file) must be an address and port like 127.0.0.1:8080, not “{raw}”")
    })
}

/// The base URL the flag (or `MEETINGHOUSE_BASE_URL`) gives, else the
/// config file's `base_url`: trimmed, without a trailing slash; `None` when
/// neither sets one.
fn given_base_url(flag: Option<String>, file: &FileConfig) -> Option<String> {
    flag.filter(|u| !u.trim().is_empty())
        .or(file.base_url.clone())
        .filter(|u| !u.trim().is_empty())
        .map(|url| url.trim().trim_end_matches('/').to_string())
}

fn check_base_url(url: &str) -> anyhow::Result<()> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("--base-url (MEETINGHOUSE_BASE_URL, or base_url in the config file) must start with http:// or https://, not “{url}”");
    }
    Ok(())
}

fn read_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else { return Ok(FileConfig::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("could not read the config file {}", path.display()))?;
    // toml's own message quotes the line, which may hold a password: only
    // the place, the key and what is wrong are reported, never the source.
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("the config file {} is not valid: {}", path.display(), describe_toml_error(&text, &e)))
}

/// The keys the config file may have, by name: a key is named in an error
/// only when it is one of these (never text that might be a value).
const FILE_KEYS: &[&str] = &[
    "data_dir", "database_url", "log_format", "listen", "demo", "demo_public", "migrate", "base_url", "tls", "smtp_url", "mail_from",
    "trusted_proxies", "max_connections", "page_cache_ms", "shutdown_grace_secs", "media_dir", "s3_endpoint", "s3_bucket",
    "s3_region", "s3_access_key", "s3_secret_key", "s3_path_style", "max_upload_mb", "max_image_megapixels", "metrics_token",
    "time_zone",
];

/// "line 3, column 12, at the key smtp_url: <what is wrong>", without any
/// text of the file's values.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = without_values(error.message());
    let Some(start) = error.span().map(|s| s.start.min(text.len())) else { return message };
    let before = text.get(..start).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let line_text = text[line_start..].split('\n').next().unwrap_or("");
    let key = line_text.split_once('=').map(|(k, _)| k.trim().trim_matches('"')).filter(|k| FILE_KEYS.contains(k));
    match key {
        Some(key) => format!("line {line}, column {column}, at the key {key}: {message}"),
        None => format!("line {line}, column {column}: {message}"),
    }
}

/// A TOML or serde message with the values it quotes left out: "invalid
/// type: string "s3cret", expected u32" becomes "invalid type: string,
/// expected u32"; any other double-quoted text becomes "…".
fn without_values(message: &str) -> String {
    let message = message.lines().next().unwrap_or("").trim();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let kind = rest.split(['"', '`', ',']).next().unwrap_or("").trim();
            return match rest.rfind(", expected ") {
                Some(at) => format!("{prefix}{kind}{}", &rest[at..]),
                None => format!("{prefix}{kind}"),
            };
        }
    }
    // Text between two double quotes is hidden; a lone one (expected `"`) stays.
    let parts: Vec<&str> = message.split('"').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        match (i % 2, i + 1 == parts.len()) {
            (0, _) => out.push_str(part),
            (_, false) => out.push_str("\"…\""),
            (_, true) => {
                out.push('"');
                out.push_str(part);
            }
        }
    }
    out
}

/// Whether an endpoint URL's host is an IP address (`http://10.0.0.5:9000`):
/// a bucket cannot be a subdomain of one, so such an endpoint is always
/// addressed path-style.
fn host_is_ip(endpoint: &str) -> bool {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok());
    }
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h);
    host.parse::<std::net::Ipv4Addr>().is_ok()
}

impl GlobalArgs {
    /// The config file's settings (none without `--config`), read and
    /// checked on the first call; later calls use that reading.
    fn file(&self) -> anyhow::Result<Arc<FileConfig>> {
        self.file
            .get_or_init(|| read_file(self.config.as_deref()).map(Arc::new).map_err(|e| format!("{e:#}")))
            .clone()
            .map_err(anyhow::Error::msg)
    }

    pub fn store(&self) -> anyhow::Result<StoreConfig> {
        let file = self.file()?;
        let data_dir = self.data_dir.clone().or(file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("meetinghouse-data"));
        let media = match self.s3_endpoint.clone().or(file.s3_endpoint.clone()).filter(|e| !e.is_empty()) {
            Some(endpoint) => {
                let need = |v: Option<String>, what: &str| v.filter(|s| !s.is_empty()).with_context(|| format!("S3 storage needs {what} as well as the endpoint"));
                MediaConfig::S3(meetinghouse_media::S3Config {
                    bucket: need(self.s3_bucket.clone().or(file.s3_bucket.clone()), "a bucket (--s3-bucket)")?,
                    region: self.s3_region.clone().or(file.s3_region.clone()).unwrap_or_else(|| "us-east-1".into()),
                    access_key: need(self.s3_access_key.clone().or(file.s3_access_key.clone()), "an access key (--s3-access-key)")?,
                    secret_key: need(self.s3_secret_key.clone().or(file.s3_secret_key.clone()), "a secret key (--s3-secret-key)")?,
                    // A virtual-hosted bucket (BUCKET.10.0.0.5) is no address at all.
                    path_style: host_is_ip(&endpoint) || Switch::get(self.s3_path_style).or(file.s3_path_style).unwrap_or(false),
                    endpoint,
                })
            }
            None => MediaConfig::Local(self.media_dir.clone().or(file.media_dir.clone()).unwrap_or_else(|| data_dir.join("media"))),
        };
        let max_connections = file.max_connections.unwrap_or(MAX_CONNECTIONS);
        if !(1..=MAX_CONNECTIONS_MAX).contains(&max_connections) {
            bail!("max_connections in the config file must be from 1 to {MAX_CONNECTIONS_MAX} (database connections per app server), not {max_connections}");
        }
        Ok(StoreConfig {
            data_dir,
            database_url: self.database_url.clone().or(file.database_url.clone()).map(|u| u.trim().to_string()).filter(|u| !u.is_empty()),
            max_connections,
            media,
        })
    }

    /// The meeting house's time zone; an unknown name is an error that says
    /// what is accepted.
    pub fn time_zone(&self) -> anyhow::Result<meetinghouse_core::clock::Zone> {
        let file = self.file()?;
        match self.time_zone.clone().or(file.time_zone.clone()) {
            None => Ok(meetinghouse_core::clock::Zone::utc()),
            Some(name) => meetinghouse_core::clock::Zone::parse(&name)
                .map_err(|e| anyhow::anyhow!("--time-zone (MEETINGHOUSE_TIME_ZONE, or time_zone in the config file): {e}")),
        }
    }

    /// `human` or `json` (in any case); anything else is an error naming
    /// the setting, rather than human logs where JSON was asked for.
    pub fn log_format(&self) -> anyhow::Result<LogFormat> {
        let file = self.file()?;
        match self.log_format.clone().or(file.log_format.clone()) {
            None => Ok(LogFormat::Human),
            Some(f) if f.trim().eq_ignore_ascii_case("human") => Ok(LogFormat::Human),
            Some(f) if f.trim().eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
            Some(f) => bail!("--log-format (MEETINGHOUSE_LOG_FORMAT, or log_format in the config file) must be human or json, not “{f}”"),
        }
    }

    /// The address people reach the site at, for a command other than
    /// `serve` that writes links (`admin close`, `admin personal-data`),
    /// found as `serve` finds it: `flag` (the command's `--base-url`, or
    /// `MEETINGHOUSE_BASE_URL`), then `base_url` in the config file, then
    /// `http://LISTEN` from `MEETINGHOUSE_LISTEN` or `listen` in the config
    /// file (`http://localhost:PORT` for an address on every interface),
    /// then `http://127.0.0.1:8080`.
    pub fn base_url(&self, flag: Option<String>) -> anyhow::Result<String> {
        let file = self.file()?;
        let url = match given_base_url(flag, &file) {
            Some(url) => url,
            None => {
                let from_env = std::env::var("MEETINGHOUSE_LISTEN").ok().filter(|l| !l.trim().is_empty());
                let listen = listen_address(from_env.or(file.listen.clone()))?;
                if listen.ip().is_unspecified() { format!("http://localhost:{}", listen.port()) } else { format!("http://{listen}") }
            }
        };
        check_base_url(&url)?;
        Ok(url)
    }

    pub fn serve(&self, args: &ServeArgs) -> anyhow::Result<ServeConfig> {
        let file = self.file()?;
        let listen = listen_address(args.listen.clone().or(file.listen.clone()))?;
        let demo = Switch::get(args.demo).or(file.demo).unwrap_or(false);
        let demo_public = Switch::get(args.demo_public).or(file.demo_public).unwrap_or(false);
        let mut warnings = Vec::new();
        let base_url = match given_base_url(args.base_url.clone(), &file) {
            Some(url) => url,
            // 0.0.0.0 or [::] is no address to send anyone to: the links
            // in mail, on labels' QR codes, in the sitemap and in feeds
            // need the one people actually use.
            None if listen.ip().is_unspecified() && !demo && !demo_public => bail!(
                "--listen {listen} listens on every network interface, so the address people reach the site at cannot be guessed. \
                 Give it with --base-url (MEETINGHOUSE_BASE_URL, or base_url in the config file), for example --base-url https://meet.example.org: \
                 it is used for links in emails, on labels' QR codes, in the sitemap and in feeds."
            ),
            None if listen.ip().is_unspecified() => {
                let url = format!("http://localhost:{}", listen.port());
                warnings.push(format!(
                    "--listen {listen} listens on every network interface but no --base-url was given: links in emails, on labels' QR codes, \
                     in the sitemap and in feeds will point at {url}, which works only on this machine. Give --base-url with the address people use."
                ));
                url
            }
            None => format!("http://{listen}"),
        };
        check_base_url(&base_url)?;
        let page_cache_ms = args.page_cache_ms.or(file.page_cache_ms).unwrap_or(2000);
        if page_cache_ms > PAGE_CACHE_MS_MAX {
            bail!(
                "--page-cache-ms (MEETINGHOUSE_PAGE_CACHE_MS, or page_cache_ms in the config file) must be from 0 to {PAGE_CACHE_MS_MAX} (a minute), \
                 not {page_cache_ms}: other app servers and signed-out visitors would see changes that late."
            );
        }
        let grace = args.shutdown_grace_secs.or(file.shutdown_grace_secs).unwrap_or(SHUTDOWN_GRACE_SECS);
        if grace > SHUTDOWN_GRACE_SECS_MAX {
            bail!(
                "--shutdown-grace-secs (MEETINGHOUSE_SHUTDOWN_GRACE_SECS, or shutdown_grace_secs in the config file) must be from 0 to {SHUTDOWN_GRACE_SECS_MAX}, not {grace}"
            );
        }
        let smtp_url = args.smtp_url.clone().or(file.smtp_url.clone()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        // Only limits the code can honour: a larger one would be promised
        // on the form and refused all the same.
        let upload_mb = args.max_upload_mb.or(file.max_upload_mb).unwrap_or(20);
        let most_mb = meetinghouse_media::MAX_UPLOAD_MB_SETTING;
        if !(1..=most_mb).contains(&upload_mb) {
            bail!(
                "--max-upload-mb (MEETINGHOUSE_MAX_UPLOAD_MB, or max_upload_mb in the config file) must be from 1 to {most_mb} (MB per image), \
                 not {upload_mb}: a story form with its photos can be at most 120 MB in all."
            );
        }
        let megapixels = args.max_image_megapixels.or(file.max_image_megapixels).unwrap_or(50);
        let most_mp = meetinghouse_media::MAX_MEGAPIXELS_SETTING;
        if !(1..=most_mp).contains(&megapixels) {
            bail!(
                "--max-image-megapixels (MEETINGHOUSE_MAX_IMAGE_MEGAPIXELS, or max_image_megapixels in the config file) must be from 1 to {most_mp}, \
                 not {megapixels}: opening an image may take at most {} MB of memory, which is {most_mp} megapixels of an 8-bit image.",
                meetinghouse_media::MAX_DECODED_BYTES / 1_000_000
            );
        }
        Ok(ServeConfig {
            store: self.store()?,
            listen,
            demo,
            demo_public,
            migrate: Switch::get(args.migrate).or(file.migrate).unwrap_or(false),
            // A site people reach over https:// is served over TLS, whatever else is set.
            tls: base_url.starts_with("https://") || Switch::get(args.tls).or(file.tls).unwrap_or(false),
            base_url,
            smtp_url,
            mail_from: args.mail_from.clone().or(file.mail_from.clone()).unwrap_or_else(|| "Meetinghouse <noreply@localhost>".into()),
            page_cache: std::time::Duration::from_millis(page_cache_ms),
            shutdown_grace: std::time::Duration::from_secs(grace),
            warnings,
            media_limits: meetinghouse_media::Limits {
                max_bytes: upload_mb * 1024 * 1024,
                max_pixels: megapixels * 1_000_000,
            },
            metrics_token: args.metrics_token.clone().or(file.metrics_token.clone()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
            trusted_proxies: if args.trusted_proxies.is_empty() { file.trusted_proxies.clone().unwrap_or_default() } else { args.trusted_proxies.clone() },
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{GlobalArgs, LogFormat, MediaConfig, ServeArgs, Switch, parse_switch, redact_url};

    #[derive(Debug, Parser)]
    struct Both {
        #[command(flatten)]
        global: GlobalArgs,
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let args = Both::try_parse_from([
            "mh",
            "--database-url", "postgres://mh:s3cret@db/mh",
            "--s3-access-key", "s3cret-id",
            "--s3-secret-key", "s3cret-key",
            "--smtp-url", "smtp://sam:s3cret@relay:25",
            "--metrics-token", "s3cret-token",
        ])
        .unwrap();
        let shown = format!("{args:?} {args:#?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://mh:[redacted]@db/mh") && shown.contains("Some(<hidden>)"), "{shown}");
    }

    #[test]
    fn the_time_zone_comes_from_the_flag_or_the_file_and_must_be_known() {
        let parse = |args: &[&str]| Both::try_parse_from([&["mh"], args].concat()).unwrap().global;
        assert_eq!(parse(&[]).time_zone().unwrap().name(), "UTC");
        assert_eq!(parse(&["--time-zone", "Europe/London"]).time_zone().unwrap().name(), "Europe/London");
        let err = parse(&["--time-zone", "Europe/Tiverton"]).time_zone().unwrap_err().to_string();
        assert!(err.contains("--time-zone") && err.contains("Europe/Tiverton") && err.contains("IANA"), "{err}");
        let dir = std::env::temp_dir().join(format!("mh-config-tz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("meetinghouse.toml");
        std::fs::write(&file, "time_zone = \"Europe/Dublin\"\n").unwrap();
        let from_file = parse(&["--config", file.to_str().unwrap()]);
        assert_eq!(from_file.time_zone().unwrap().name(), "Europe/Dublin");
        // The flag wins over the file.
        let both = parse(&["--config", file.to_str().unwrap(), "--time-zone", "UTC"]);
        assert_eq!(both.time_zone().unwrap().name(), "UTC");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn image_limits_the_code_cannot_honour_are_refused_by_name() {
        let serve = |args: &[&str]| {
            let both = Both::try_parse_from([&["mh"], args].concat()).unwrap();
            both.global.serve(&both.serve)
        };
        let limits = serve(&[]).unwrap().media_limits;
        assert_eq!((limits.max_bytes, limits.max_pixels), (20 * 1024 * 1024, 50_000_000));
        let limits = serve(&["--max-upload-mb", "100", "--max-image-megapixels", "50"]).unwrap().media_limits;
        assert_eq!((limits.max_bytes, limits.max_pixels), (100 * 1024 * 1024, 50_000_000));
        // A story form is at most 120 MB in all: a 150 MB photo could never arrive.
        for too_much in ["0", "101", "150", "200"] {
            let err = serve(&["--max-upload-mb", too_much]).map(|_| ()).unwrap_err().to_string();
            assert!(err.contains("--max-upload-mb") && err.contains("from 1 to 100") && err.contains(too_much), "{err}");
        }
        // 200 MB of memory opens at most 50 megapixels of an 8-bit image.
        for too_much in ["0", "51", "66", "500"] {
            let err = serve(&["--max-image-megapixels", too_much]).map(|_| ()).unwrap_err().to_string();
            assert!(err.contains("--max-image-megapixels") && err.contains("from 1 to 50") && err.contains(too_much), "{err}");
        }
    }

    /// A config file in a fresh directory, named for the test.
    fn config_file(test: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mh-config-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("meetinghouse.toml");
        std::fs::write(&file, text).unwrap();
        file
    }

    fn both(args: &[&str]) -> Both {
        Both::try_parse_from([&["mh"], args].concat()).unwrap()
    }

    #[test]
    fn on_and_off_are_written_many_ways() {
        for on in ["1", "true", "TRUE", "yes", "Yes", "on", "ON", " on "] {
            assert_eq!(parse_switch(on), Ok(Switch(Some(true))), "{on}");
        }
        for off in ["0", "false", "False", "no", "NO", "off", "Off"] {
            assert_eq!(parse_switch(off), Ok(Switch(Some(false))), "{off}");
        }
        // Empty (MEETINGHOUSE_TLS= in a container's settings) is not set.
        assert_eq!(parse_switch(""), Ok(Switch(None)));
        for neither in ["2", "maybe", "enabled"] {
            let err = parse_switch(neither).unwrap_err();
            assert!(err.contains("on or off") && err.contains("1 or 0"), "{err}");
        }
        // The flags read the same words, after "=".
        let args = both(&["--demo=YES", "--tls=1", "--migrate=on", "--s3-path-style=true"]);
        let on = Some(Switch(Some(true)));
        assert_eq!((args.serve.demo, args.serve.tls, args.serve.migrate, args.global.s3_path_style), (on, on, on, on));
        let err = Both::try_parse_from(["mh", "--demo=maybe"]).unwrap_err().to_string();
        assert!(err.contains("maybe") && err.contains("on or off"), "{err}");
    }

    #[test]
    fn a_flag_turns_off_what_the_config_file_turns_on() {
        let file = config_file(
            "switches",
            "demo = true\nmigrate = true\ntls = true\ns3_path_style = true\n\
             s3_endpoint = \"https://s3.example.org\"\ns3_bucket = \"media\"\ns3_access_key = \"a\"\ns3_secret_key = \"b\"\n",
        );
        let file = file.to_str().unwrap();
        let read = |args: &[&str]| {
            let args = both(&[&["--config", file], args].concat());
            let serve = args.global.serve(&args.serve).unwrap();
            let MediaConfig::S3(s3) = serve.store.media else { panic!("S3 is configured") };
            (serve.demo, serve.migrate, serve.tls, s3.path_style)
        };
        assert_eq!(read(&[]), (true, true, true, true), "the file's values");
        assert_eq!(read(&["--demo=off", "--migrate=0", "--tls=false", "--s3-path-style=no"]), (false, false, false, false), "the flags win");
        assert_eq!(read(&["--tls=off", "--demo"]), (true, true, false, true));
        // Nothing set anywhere: off.
        let args = both(&[]);
        let serve = args.global.serve(&args.serve).unwrap();
        assert_eq!((serve.demo, serve.migrate, serve.tls), (false, false, false));
        // An https:// base URL is TLS whatever else says.
        let args = both(&["--base-url", "https://meet.example.org", "--tls=off"]);
        assert!(args.global.serve(&args.serve).unwrap().tls);
    }

    #[test]
    fn a_mistake_in_the_config_file_is_placed_without_quoting_its_values() {
        for (text, place) in [
            // Unterminated: toml's own message would print the whole line.
            ("listen = \"127.0.0.1:8080\"\nsmtp_url = \"smtp://u:hunter2@relay:25\n", "line 2, column 38, at the key smtp_url: invalid basic string, expected `\"`"),
            ("max_connections = \"hunter2\"\n", "line 1, column 19, at the key max_connections: invalid type: string, expected u32"),
            ("s3_secret_key = 20240101\n", "line 1, column 17, at the key s3_secret_key: invalid type: integer, expected a string"),
            ("tls = \"hunter2\"\n", "at the key tls: invalid type: string, expected a boolean"),
            ("smtp_url = smtp://u:hunter2@relay\n", "line 1, column 12, at the key smtp_url"),
            ("hunter2\n", "line 1"),
            ("smtp_ur = \"smtp://u:hunter2@relay\"\n", "unknown field `smtp_ur`"),
        ] {
            let file = config_file("typo", text);
            let err = both(&["--config", file.to_str().unwrap()]).global.store().unwrap_err();
            for shown in [format!("{err}"), format!("{err:#}"), format!("{err:?}")] {
                assert!(!shown.contains("hunter2") && !shown.contains("20240101"), "{text:?}: {shown}");
                assert!(shown.contains("is not valid") && shown.contains(place), "{text:?}: {shown}");
            }
        }
    }

    #[test]
    fn listening_on_every_interface_needs_the_public_address() {
        let serve = |args: &[&str]| {
            let args = both(args);
            args.global.serve(&args.serve)
        };
        for everywhere in ["0.0.0.0:8080", "[::]:8080"] {
            let err = serve(&["--listen", everywhere]).map(|_| ()).unwrap_err().to_string();
            assert!(err.contains(everywhere) && err.contains("--base-url") && err.contains("every network interface"), "{err}");
            let given = serve(&["--listen", everywhere, "--base-url", "https://meet.example.org/"]).unwrap();
            assert_eq!((given.base_url.as_str(), given.warnings.len()), ("https://meet.example.org", 0));
            // The demo town starts, loudly.
            let demo = serve(&["--listen", everywhere, "--demo"]).unwrap();
            assert_eq!(demo.base_url, "http://localhost:8080");
            assert!(demo.warnings.iter().any(|w| w.contains("--base-url") && w.contains("only on this machine")), "{:?}", demo.warnings);
        }
        let local = serve(&["--listen", "127.0.0.1:8081"]).unwrap();
        assert_eq!((local.base_url.as_str(), local.warnings.len()), ("http://127.0.0.1:8081", 0));
    }

    #[test]
    fn settings_out_of_range_are_refused_not_bent() {
        let serve = |args: &[&str]| {
            let args = both(args);
            args.global.serve(&args.serve).map(|c| (c.page_cache, c.shutdown_grace))
        };
        assert_eq!(serve(&[]).unwrap(), (std::time::Duration::from_secs(2), std::time::Duration::from_secs(30)));
        assert_eq!(serve(&["--page-cache-ms", "60000"]).unwrap().0, std::time::Duration::from_secs(60));
        let err = serve(&["--page-cache-ms", "60001"]).unwrap_err().to_string();
        assert!(err.contains("--page-cache-ms") && err.contains("from 0 to 60000") && err.contains("60001"), "{err}");
        assert_eq!(serve(&["--shutdown-grace-secs", "2"]).unwrap().1, std::time::Duration::from_secs(2));
        assert!(serve(&["--shutdown-grace-secs", "3601"]).unwrap_err().to_string().contains("--shutdown-grace-secs"));
        // The log format: human or json, in any case; nothing else.
        assert_eq!(both(&[]).global.log_format().unwrap(), LogFormat::Human);
        assert_eq!(both(&["--log-format", "JSON"]).global.log_format().unwrap(), LogFormat::Json);
        let err = both(&["--log-format", "jsno"]).global.log_format().unwrap_err().to_string();
        assert!(err.contains("--log-format") && err.contains("human or json") && err.contains("jsno"), "{err}");
        let file = config_file("logformat", "log_format = \"yaml\"\n");
        assert!(both(&["--config", file.to_str().unwrap()]).global.log_format().is_err());
    }

    #[test]
    fn max_connections_out_of_range_is_refused_not_bent() {
        let store = |text: &str| {
            let file = config_file("maxconn", text);
            both(&["--config", file.to_str().unwrap()]).global.store().map(|s| s.max_connections)
        };
        assert_eq!(store("").unwrap(), 16);
        assert_eq!(store("max_connections = 1\n").unwrap(), 1);
        assert_eq!(store("max_connections = 1000\n").unwrap(), 1000);
        for too_many in ["0", "1001", "50000"] {
            let err = store(&format!("max_connections = {too_many}\n")).unwrap_err().to_string();
            assert!(err.contains("max_connections") && err.contains("from 1 to 1000") && err.contains(too_many), "{err}");
        }
    }

    #[test]
    fn numbers_and_proxy_lists_allow_spaces_and_a_refusal_names_the_variable() {
        let args = both(&["--trusted-proxy", " 10.0.0.1", "--trusted-proxy", "fd00::2 ", "--page-cache-ms", " 500 "]);
        let serve = args.global.serve(&args.serve).unwrap();
        assert_eq!(serve.trusted_proxies, ["10.0.0.1".parse::<std::net::IpAddr>().unwrap(), "fd00::2".parse().unwrap()]);
        assert_eq!(serve.page_cache, std::time::Duration::from_millis(500));
        for (args, names) in [
            (&["--trusted-proxy", "proxy.internal"][..], "MEETINGHOUSE_TRUSTED_PROXIES"),
            (&["--page-cache-ms", "soon"], "MEETINGHOUSE_PAGE_CACHE_MS"),
            (&["--shutdown-grace-secs", "30s"], "MEETINGHOUSE_SHUTDOWN_GRACE_SECS"),
            (&["--max-upload-mb", "20MB"], "MEETINGHOUSE_MAX_UPLOAD_MB"),
            (&["--max-image-megapixels", "lots"], "MEETINGHOUSE_MAX_IMAGE_MEGAPIXELS"),
        ] {
            let err = Both::try_parse_from([&["mh"], args].concat()).unwrap_err().to_string();
            assert!(err.contains(names) && err.contains(args[1]), "{args:?}: {err}");
        }
        let args = both(&["--listen", "nowhere"]);
        let err = args.global.serve(&args.serve).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("--listen (MEETINGHOUSE_LISTEN") && err.contains("“nowhere”"), "{err}");
        let args = both(&["--listen", " 127.0.0.1:8081 "]);
        assert_eq!(args.global.serve(&args.serve).unwrap().listen.port(), 8081);
    }

    #[test]
    fn the_demo_may_be_public_only_when_asked() {
        let serve = |args: &[&str]| {
            let args = both(args);
            args.global.serve(&args.serve).unwrap().demo_public
        };
        assert!(!serve(&[]));
        assert!(serve(&["--demo-public"]));
        let file = config_file("demopublic", "demo_public = true\n");
        let file = file.to_str().unwrap();
        assert!(serve(&["--config", file]));
        assert!(!serve(&["--config", file, "--demo-public=off"]));
        // A public demo town may listen everywhere without --base-url, as --demo may.
        let args = both(&["--listen", "0.0.0.0:8080", "--demo-public"]);
        assert_eq!(args.global.serve(&args.serve).unwrap().base_url, "http://localhost:8080");
    }

    #[test]
    fn the_config_file_is_read_once() {
        let file = config_file("once", "listen = \"127.0.0.1:8082\"\ndata_dir = \"/srv/town\"\nlog_format = \"json\"\ntime_zone = \"Europe/London\"\n");
        let args = both(&["--config", file.to_str().unwrap()]);
        assert_eq!(args.global.log_format().unwrap(), LogFormat::Json);
        // Gone after the first reading: every later setting comes from that reading.
        std::fs::remove_file(&file).unwrap();
        assert_eq!(args.global.time_zone().unwrap().name(), "Europe/London");
        let serve = args.global.serve(&args.serve).unwrap();
        assert_eq!((serve.listen.port(), serve.store.data_dir), (8082, std::path::PathBuf::from("/srv/town")));
        // A file that cannot be read is refused each time it is asked for, the same way.
        let missing = both(&["--config", file.to_str().unwrap()]);
        let first = missing.global.log_format().unwrap_err().to_string();
        assert!(first.contains("could not read the config file") && first.contains("meetinghouse.toml"), "{first}");
        assert_eq!(missing.global.store().map(|_| ()).unwrap_err().to_string(), first);
    }

    #[test]
    fn an_s3_endpoint_given_as_an_ip_address_is_addressed_path_style() {
        let path_style = |endpoint: &str, extra: &[&str]| {
            let args = both(&[&["--s3-endpoint", endpoint, "--s3-bucket", "media", "--s3-access-key", "a", "--s3-secret-key", "b"], extra].concat());
            let MediaConfig::S3(s3) = args.global.store().unwrap().media else { panic!("S3 is configured") };
            s3.path_style
        };
        assert!(path_style("http://10.0.0.5:9000", &[]));
        assert!(path_style("http://[fd00::5]:9000/", &[]));
        assert!(path_style("http://127.0.0.1", &["--s3-path-style=off"]), "BUCKET.127.0.0.1 is no address");
        assert!(!path_style("https://s3.eu-west-2.amazonaws.com", &[]));
        assert!(path_style("http://minio:9000", &["--s3-path-style"]));
    }

    #[test]
    fn passwords_are_redacted() {
        for (url, shown) in [
            ("postgres://mh:s3cret@db:5432/mh", "postgres://mh:[redacted]@db:5432/mh"),
            ("postgres://mh@db/mh?password=s3cret", "postgres://mh@db/mh?password=[redacted]"),
            ("postgres://mh@db/mh?sslmode=require&password=s3cret&application_name=mh", "postgres://mh@db/mh?sslmode=require&password=[redacted]&application_name=mh"),
            ("postgresql://mh@db/mh?sslpassword=s3cret", "postgresql://mh@db/mh?sslpassword=[redacted]"),
            ("postgres://db/mh?user=mh&Password=s3cret", "postgres://db/mh?user=mh&Password=[redacted]"),
            ("postgres://mh:pa/s3cret@db/mh", "postgres://mh:[redacted]@db/mh"),
            ("postgres://mh:pa@s3cret@db/mh", "postgres://mh:[redacted]@db/mh"),
            ("postgres://mh:s3cret@[::1]:5432/mh", "postgres://mh:[redacted]@[::1]:5432/mh"),
            ("postgres://mh:s3cret@[::1]/mh", "postgres://mh:[redacted]@[::1]/mh"),
            // Mistyped: "?" or "#" unescaped in the password.
            ("postgres://mh:pa?s3cret@db/mh", "postgres://[redacted]?[redacted]"),
            ("postgres://mh:pa#s3cret@db/mh", "postgres://[redacted]"),
            ("postgres://mh@db/mh?s3cret", "postgres://mh@db/mh?[redacted]"),
            ("postgres://mh@db/mh?pass%20word=s3cret", "postgres://mh@db/mh?[redacted]"),
            ("smtp://sam:p%40ss@relay.internal:25", "smtp://sam:[redacted]@relay.internal:25"),
            ("smtp://relay.internal", "smtp://relay.internal"),
            ("sqlite:///x.db", "sqlite:///x.db"),
            ("sqlite:///tmp/x.db?mode=rwc", "sqlite:///tmp/x.db?mode=rwc"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!redact_url(url).contains("s3cret"), "{url}");
        }
    }
}
