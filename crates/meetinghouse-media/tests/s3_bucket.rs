//! Checking the S3 bucket at start-up, against a stand-in server that
//! answers as S3 does for keys with different permissions: the bucket is
//! looked at (HEAD) and created only when it is missing; a key that may not
//! look at it gets a message about permissions, unless it can still store
//! and delete objects, which is all the app does.

use std::sync::{Arc, Mutex};

use meetinghouse_media::{BucketState, S3Config, S3Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A stand-in S3 server: each request's method and path is recorded, and
/// answered with the status `answer` gives (and an S3 error body).
async fn fake_s3(answer: fn(&str, &str) -> u16) -> (S3Store, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let (mut got, mut chunk) = (Vec::new(), [0u8; 4096]);
                let end = loop {
                    if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                        break at + 4;
                    }
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&got[..end]).to_string();
                // Read the body too (a PUT's), so the client sees a clean answer.
                let length = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                    .unwrap_or(0);
                while got.len() < end + length {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&chunk[..n]),
                    }
                }
                let mut words = head.split(' ');
                let (method, path) = (words.next().unwrap_or("").to_string(), words.next().unwrap_or("").to_string());
                let status = answer(&method, &path);
                log.lock().unwrap().push(format!("{method} {path}"));
                let body = match status {
                    403 => "<Error><Code>AccessDenied</Code></Error>",
                    404 => "<Error><Code>NoSuchBucket</Code></Error>",
                    _ => "",
                };
                let body = if method == "HEAD" { "" } else { body };
                let reply = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    let config = S3Config {
        endpoint: format!("http://127.0.0.1:{port}"),
        bucket: "media".into(),
        region: "us-east-1".into(),
        access_key: "key".into(),
        secret_key: "secret".into(),
        path_style: true,
    };
    (S3Store::new(config).unwrap(), seen)
}

fn requests(seen: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    seen.lock().unwrap().clone()
}

#[tokio::test]
async fn a_bucket_that_is_there_is_only_looked_at() {
    let (s3, seen) = fake_s3(|method, _| if method == "HEAD" { 200 } else { 403 }).await;
    assert_eq!(s3.check_bucket().await.unwrap(), BucketState::Exists);
    assert_eq!(requests(&seen), ["HEAD /media"], "no request to create it");
}

#[tokio::test]
async fn a_missing_bucket_is_created() {
    let (s3, seen) = fake_s3(|method, path| match (method, path) {
        ("HEAD", "/media") => 404,
        ("PUT", "/media") => 200,
        _ => 500,
    })
    .await;
    assert_eq!(s3.check_bucket().await.unwrap(), BucketState::Created);
    assert_eq!(requests(&seen), ["HEAD /media", "PUT /media"]);
}

#[tokio::test]
async fn a_missing_bucket_this_key_may_not_create_is_named() {
    let (s3, _) = fake_s3(|method, _| if method == "HEAD" { 404 } else { 403 }).await;
    let err = s3.check_bucket().await.unwrap_err().to_string();
    assert!(err.contains("does not exist") && err.contains("media") && err.contains("create"), "{err}");
}

#[tokio::test]
async fn a_key_that_may_not_use_the_bucket_gets_a_message_about_permissions() {
    let (s3, _) = fake_s3(|_, _| 403).await;
    let err = s3.check_bucket().await.unwrap_err().to_string();
    assert!(err.contains("403") && err.contains("permission") && err.contains("s3:PutObject"), "{err}");
}

#[tokio::test]
async fn a_key_limited_to_objects_can_be_used() {
    // HEAD on the bucket needs s3:ListBucket; storing and deleting images
    // needs only object permissions.
    let (s3, seen) = fake_s3(|method, path| match (method, path) {
        ("HEAD", "/media") | ("PUT", "/media") => 403,
        ("PUT", _) => 200,
        ("DELETE", _) => 204,
        _ => 500,
    })
    .await;
    assert_eq!(s3.check_bucket().await.unwrap(), BucketState::ObjectsOnly);
    let seen = requests(&seen);
    assert!(!seen.contains(&"PUT /media".to_string()), "never asked to create it: {seen:?}");
    let probe = seen.iter().find(|r| r.starts_with("PUT /media/")).expect("a test object is stored");
    assert!(seen.contains(&probe.replace("PUT", "DELETE")), "and deleted: {seen:?}");
}
