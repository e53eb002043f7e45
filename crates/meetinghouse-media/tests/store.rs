//! Both stores through the one interface: the local filesystem, and a real
//! S3-compatible server (moto). The S3 test needs `TEST_S3_ENDPOINT`, or a
//! `moto_server` it can start (on PATH, or at `$MEETINGHOUSE_MOTO`);
//! `scripts/moto.sh` installs one. Without either it fails, loudly.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use meetinghouse_media::{LocalStore, MediaStore, S3Config, S3Store};

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg";

async fn round_trip(store: &MediaStore) {
    assert_eq!(store.get(KEY).await.unwrap(), None);
    assert!(!store.exists(KEY).await.unwrap());
    store.put(KEY, b"jpeg bytes", "image/jpeg").await.unwrap();
    store.put(KEY, b"jpeg bytes", "image/jpeg").await.unwrap();
    assert!(store.exists(KEY).await.unwrap());
    assert_eq!(store.get(KEY).await.unwrap().as_deref(), Some(b"jpeg bytes".as_slice()));
    // A real processed image, as the app will store it: every variant.
    let photo = image::RgbImage::from_fn(900, 600, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut jpeg = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    let processed = meetinghouse_media::process(jpeg.get_ref(), &meetinghouse_media::Limits::default()).unwrap();
    for v in processed.all() {
        store.put(&v.key, &v.bytes, v.mime).await.unwrap();
    }
    for v in processed.all() {
        assert_eq!(store.get(&v.key).await.unwrap().as_deref(), Some(v.bytes.as_slice()), "{}", v.key);
        store.delete(&v.key).await.unwrap();
    }
    store.delete(KEY).await.unwrap();
    store.delete(KEY).await.unwrap();
    assert!(!store.exists(KEY).await.unwrap());
    assert_eq!(store.get(KEY).await.unwrap(), None);
    // Only content addresses are keys: no paths, no traversal.
    for bad in ["../etc/passwd", "abc.jpg", &format!("{}/x.jpg", &KEY[..64])] {
        assert!(store.put(bad, b"x", "image/jpeg").await.is_err(), "{bad}");
    }
}

#[tokio::test]
async fn local_store_round_trip() {
    let dir = std::env::temp_dir().join(format!("mh-media-{}", std::process::id()));
    let store = MediaStore::Local(LocalStore::new(&dir));
    round_trip(&store).await;
    store.put(KEY, b"x", "image/jpeg").await.unwrap();
    assert!(dir.join("01/23").join(KEY).is_file(), "sharded by the hash");
    let _ = std::fs::remove_dir_all(dir);
}

struct Moto(Option<Child>);

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn s3_endpoint() -> (String, Moto) {
    if let Ok(url) = std::env::var("TEST_S3_ENDPOINT")
        && !url.is_empty()
    {
        return (url, Moto(None));
    }
    let bin = std::env::var("MEETINGHOUSE_MOTO").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "moto_server".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "The S3 test needs a real S3-compatible server and none was found ({bin}: {e}).\n\
                 Run `eval \"$(scripts/moto.sh)\"` (installs moto[server] in a virtual environment and starts it), \
                 or set TEST_S3_ENDPOINT=http://HOST:PORT, or MEETINGHOUSE_MOTO=/path/to/moto_server."
            )
        });
    let moto = Moto(Some(child));
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (format!("http://127.0.0.1:{port}"), moto);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("moto_server did not start listening on port {port} within 10 s");
}

#[tokio::test]
async fn s3_store_round_trip_against_a_real_server() {
    let (endpoint, _moto) = s3_endpoint();
    let config = S3Config {
        endpoint,
        bucket: format!("mh-test-{}", std::process::id()),
        region: "us-east-1".into(),
        access_key: "testing".into(),
        secret_key: "testing".into(),
        path_style: true,
    };
    let s3 = S3Store::new(config.clone()).unwrap();
    assert_eq!(s3.check_bucket().await.unwrap(), meetinghouse_media::BucketState::Created);
    assert_eq!(s3.check_bucket().await.unwrap(), meetinghouse_media::BucketState::Exists);
    round_trip(&MediaStore::S3(s3)).await;

    // Outside us-east-1 the bucket is created in its own region (S3 refuses
    // a creation there that does not name it), and works the same.
    let s3 = S3Store::new(S3Config { bucket: format!("mh-test-eu-{}", std::process::id()), region: "eu-west-2".into(), ..config }).unwrap();
    assert_eq!(s3.check_bucket().await.unwrap(), meetinghouse_media::BucketState::Created);
    assert_eq!(s3.check_bucket().await.unwrap(), meetinghouse_media::BucketState::Exists);
    round_trip(&MediaStore::S3(s3)).await;
}
