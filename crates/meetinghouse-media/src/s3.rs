//! S3-compatible object storage (AWS S3, MinIO, Garage, Ceph, moto…) over
//! plain HTTP(S) requests signed with AWS Signature Version 4.
//!
//! Only what media needs: put, get, exists (HEAD) and delete of whole
//! objects, plus checking the bucket at start-up and creating it when it is
//! missing (for tests and first runs; see [`S3Store::check_bucket`]).
//!
//! Why not the `object_store` crate: its `aws` feature brings its own
//! request stack (reqwest plus quick-xml, serde, url, futures, rand,
//! snafu, humantime, itertools, parking_lot…) and a general streaming,
//! listing, multipart API we do not need for objects of a few hundred KB.
//! Signing four verbs is ~150 lines over reqwest (already in the tree for
//! the end-to-end tests) and the workspace's `hmac`/`sha2`; the only new
//! weight is rustls with the ring provider for HTTPS endpoints.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::store::StoreError;

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `https://s3.eu-west-2.amazonaws.com`, `http://127.0.0.1:9000`…
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// `endpoint/bucket/key` (most self-hosted servers) instead of `bucket.endpoint/key`.
    pub path_style: bool,
}

/// What [`S3Store::check_bucket`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketState {
    /// The bucket is there.
    Exists,
    /// It was missing and has been created.
    Created,
    /// The key may not look at the bucket itself (HEAD answers 403: no
    /// `s3:ListBucket`), but it stored and deleted a test object, which is
    /// all the app does with it.
    ObjectsOnly,
}

/// The object stored and deleted to check a key that may not look at the
/// bucket: not a content address, so never an image's key.
const PROBE_KEY: &str = "meetinghouse-start-up-check";

/// The permissions the app needs, for messages.
const PERMISSIONS: &str = "s3:GetObject, s3:PutObject and s3:DeleteObject on its objects (and s3:ListBucket on the bucket, so it can be checked at start-up)";

#[derive(Clone)]
pub struct S3Store {
    config: S3Config,
    client: reqwest::Client,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// Percent-encodes one path segment as SigV4 wants (unreserved characters kept).
fn encode_segment(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

impl S3Store {
    pub fn new(config: S3Config) -> Result<S3Store, StoreError> {
        // One TLS provider for the process (ring, as elsewhere in the tree).
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| StoreError::S3(format!("could not build the HTTP client: {}", with_causes(&e))))?;
        let config = S3Config { endpoint: config.endpoint.trim_end_matches('/').to_string(), ..config };
        if !(config.endpoint.starts_with("http://") || config.endpoint.starts_with("https://")) {
            return Err(StoreError::S3(format!("the endpoint {:?} must start with http:// or https://", config.endpoint)));
        }
        Ok(S3Store { config, client })
    }

    pub fn describe(&self) -> String {
        format!("s3 bucket {} at {}", self.config.bucket, self.config.endpoint)
    }

    /// (URL, host header value, canonical URI) for a key, or the bucket itself when `key` is empty.
    fn locate(&self, key: &str) -> (String, String, String) {
        let (scheme, rest) = self.config.endpoint.split_once("://").expect("checked in new");
        let (host, base_path) = match rest.split_once('/') {
            Some((h, p)) => (h.to_string(), format!("/{p}")),
            None => (rest.to_string(), String::new()),
        };
        let key_path = if key.is_empty() { String::new() } else { format!("/{}", encode_segment(key)) };
        if self.config.path_style {
            let uri = format!("{base_path}/{}{key_path}", encode_segment(&self.config.bucket));
            (format!("{scheme}://{host}{uri}"), host, uri)
        } else {
            let host = format!("{}.{host}", self.config.bucket);
            let uri = if key_path.is_empty() { format!("{base_path}/") } else { format!("{base_path}{key_path}") };
            (format!("{scheme}://{host}{uri}"), host, uri)
        }
    }

    fn sign(&self, method: &str, host: &str, uri: &str, payload_hash: &str, now: chrono::DateTime<chrono::Utc>) -> (String, String) {
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let canonical = format!(
            "{method}\n{uri}\n\nhost:{host}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload_hash}"
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.config.region);
        let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
        let mut key = hmac(format!("AWS4{}", self.config.secret_key).as_bytes(), date.as_bytes());
        for part in [self.config.region.as_bytes(), b"s3", b"aws4_request"] {
            key = hmac(&key, part);
        }
        let signature = hex(&hmac(&key, to_sign.as_bytes()));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
            self.config.access_key
        );
        (auth, amz_date)
    }

    async fn send(&self, method: reqwest::Method, key: &str, body: Vec<u8>, mime: Option<&str>) -> Result<reqwest::Response, StoreError> {
        let (url, host, uri) = self.locate(key);
        let payload_hash = hex(&Sha256::digest(&body));
        let (auth, amz_date) = self.sign(method.as_str(), &host, &uri, &payload_hash, chrono::Utc::now());
        let mut req = self
            .client
            .request(method, &url)
            .header("authorization", auth)
            .header("x-amz-date", amz_date)
            .header("x-amz-content-sha256", payload_hash);
        if let Some(m) = mime {
            req = req.header("content-type", m);
        }
        req.body(body).send().await.map_err(|e| StoreError::S3(format!("request to {} failed: {}", self.config.endpoint, with_causes(&e))))
    }

    /// An HTTP error and every cause under it, "error sending request: …:
    /// connection refused": reqwest's own text alone ("builder error",
    /// "error sending request") does not say what went wrong.
    async fn fail(what: &str, resp: reqwest::Response) -> StoreError {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let code = text.split("<Code>").nth(1).and_then(|r| r.split("</Code>").next()).unwrap_or("");
        StoreError::S3(format!("{what}: HTTP {status} {code}"))
    }

    /// Checks the bucket at start-up: it is looked at (HEAD) and created
    /// only when it is missing (404), so a key without permission to create
    /// buckets can be used. A key that may not look at it (403, as for a
    /// key limited to objects) is tried on a test object, stored and deleted
    /// again: if that works the app can run ([`BucketState::ObjectsOnly`]);
    /// otherwise the error names the permissions needed.
    pub async fn check_bucket(&self) -> Result<BucketState, StoreError> {
        let bucket = &self.config.bucket;
        let resp = self.send(reqwest::Method::HEAD, "", Vec::new(), None).await?;
        match resp.status().as_u16() {
            200..=299 => Ok(BucketState::Exists),
            404 => {
                let resp = self.send(reqwest::Method::PUT, "", self.create_bucket_body(), None).await?;
                let status = resp.status();
                if status.is_success() || status.as_u16() == 409 {
                    Ok(BucketState::Created)
                } else if status.as_u16() == 403 {
                    Err(StoreError::S3(format!(
                        "the bucket “{bucket}” does not exist, and this key may not create it (HTTP 403): create the bucket, \
                         or give the key permission to (s3:CreateBucket)"
                    )))
                } else {
                    Err(Self::fail(&format!("the bucket “{bucket}” does not exist, and creating it failed"), resp).await)
                }
            }
            403 => match self.try_objects().await {
                Ok(()) => Ok(BucketState::ObjectsOnly),
                Err(e) => Err(StoreError::S3(format!(
                    "this key does not have permission to use the bucket “{bucket}”: looking at it gave HTTP 403, \
                     and storing a test object failed too ({e}). Give the key {PERMISSIONS}"
                ))),
            },
            _ => Err(Self::fail(&format!("checking the bucket “{bucket}”"), resp).await),
        }
    }

    /// The body of the request that creates the bucket: AWS creates a
    /// bucket in another region than us-east-1 only when the request names
    /// it (`CreateBucketConfiguration`, `LocationConstraint`), and refuses
    /// us-east-1 named there; other servers take either.
    fn create_bucket_body(&self) -> Vec<u8> {
        let region = self.config.region.trim();
        if region.is_empty() || region == "us-east-1" {
            return Vec::new();
        }
        let region: String = region.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        format!(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"
        )
        .into_bytes()
    }

    /// Stores and deletes a small test object.
    async fn try_objects(&self) -> Result<(), StoreError> {
        self.put(PROBE_KEY, b"meetinghouse", "text/plain").await?;
        self.delete(PROBE_KEY).await
    }

    pub(crate) async fn put(&self, key: &str, bytes: &[u8], mime: &str) -> Result<(), StoreError> {
        let resp = self.send(reqwest::Method::PUT, key, bytes.to_vec(), Some(mime)).await?;
        if resp.status().is_success() { Ok(()) } else { Err(Self::fail("storing an image", resp).await) }
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let resp = self.send(reqwest::Method::GET, key, Vec::new(), None).await?;
        match resp.status().as_u16() {
            200 => Ok(Some(resp.bytes().await.map_err(|e| StoreError::S3(format!("reading an image failed: {}", with_causes(&e))))?.to_vec())),
            404 => Ok(None),
            _ => Err(Self::fail("reading an image", resp).await),
        }
    }

    pub(crate) async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let resp = self.send(reqwest::Method::HEAD, key, Vec::new(), None).await?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(Self::fail("checking for an image", resp).await),
        }
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let resp = self.send(reqwest::Method::DELETE, key, Vec::new(), None).await?;
        if resp.status().is_success() || resp.status().as_u16() == 404 { Ok(()) } else { Err(Self::fail("deleting an image", resp).await) }
    }
}

/// An error's text followed by its causes, each after ": " (a cause whose
/// text its parent already ends with is not repeated).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let more = e.to_string();
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example from AWS's SigV4 documentation for S3 ("GET
    /// Object" with a Range header differs; this checks our key derivation
    /// against the documented signing key for 20130524/us-east-1/s3).
    #[test]
    fn signing_key_matches_the_documented_derivation() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let mut key = hmac(format!("AWS4{secret}").as_bytes(), b"20130524");
        for part in [b"us-east-1".as_slice(), b"s3", b"aws4_request"] {
            key = hmac(&key, part);
        }
        assert_eq!(hex(&key), "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378");
    }

    /// A bucket outside us-east-1 is created in its region; in us-east-1
    /// the request has no body (AWS refuses that region named).
    #[test]
    fn bucket_creation_names_the_region_outside_us_east_1() {
        let config = |region: &str| S3Config {
            endpoint: "https://s3.example.org".into(),
            bucket: "media".into(),
            region: region.into(),
            access_key: "a".into(),
            secret_key: "b".into(),
            path_style: true,
        };
        let body = S3Store::new(config("eu-west-2")).unwrap().create_bucket_body();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-2</LocationConstraint></CreateBucketConfiguration>"
        );
        assert!(S3Store::new(config("us-east-1")).unwrap().create_bucket_body().is_empty());
    }

    #[test]
    fn path_and_virtual_host_styles() {
        let mut c = S3Config {
            endpoint: "http://127.0.0.1:9000/".into(),
            bucket: "media".into(),
            region: "us-east-1".into(),
            access_key: "a".into(),
            secret_key: "b".into(),
            path_style: true,
        };
        let s = S3Store::new(c.clone()).unwrap();
        assert_eq!(s.locate("ab.jpg"), ("http://127.0.0.1:9000/media/ab.jpg".into(), "127.0.0.1:9000".into(), "/media/ab.jpg".into()));
        c.path_style = false;
        c.endpoint = "https://s3.example.org".into();
        let s = S3Store::new(c).unwrap();
        assert_eq!(s.locate("ab.jpg").0, "https://media.s3.example.org/ab.jpg");
    }

    /// A request that cannot be made says why, not only "builder error" or
    /// "error sending request".
    #[tokio::test]
    async fn errors_carry_their_causes() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = S3Config {
            endpoint: format!("http://127.0.0.1:{closed}"),
            bucket: "media".into(),
            region: "us-east-1".into(),
            access_key: "a".into(),
            secret_key: "b".into(),
            path_style: true,
        };
        let err = S3Store::new(config.clone()).unwrap().exists("ab.jpg").await.unwrap_err().to_string();
        assert!(err.to_lowercase().contains("refused"), "{err}");
        // BUCKET.127.0.0.1 is no host name.
        let virtual_host = S3Store::new(S3Config { path_style: false, ..config }).unwrap();
        let err = virtual_host.exists("ab.jpg").await.unwrap_err().to_string();
        assert!(err.contains("builder error: "), "{err}");
    }
}
