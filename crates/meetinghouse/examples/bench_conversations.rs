//! The conversation benchmarks (issue 4), driven by `scripts/bench-conversations.sh`.
//!
//! `bench_conversations seed DATA_DIR` seeds a SQLite data directory: a story
//! with 10,000 replies (threaded, up to six deep), a reader with 10,000
//! notifications, and 3 × 64 writer accounts, and writes their session tokens to
//! `DATA_DIR/bench-sessions.txt` (first line the reader).
//!
//! `bench_conversations load BASE_URL DATA_DIR` measures over real HTTP on
//! 127.0.0.1 and prints p50/p95/p99/max per scenario:
//! - the story page with the first page of its 10,000-reply conversation
//!   (signed in, so the signed-out micro-cache never answers);
//! - posting a reply with 64 concurrent writers (each loads the form's CSRF
//!   token once, then posts 15 replies; 303 expected), two ways: flat out,
//!   each writer posting again the moment its last reply returns (the
//!   server's saturation: latency is then mostly the queue of 64), in three
//!   rounds of 64 different people (the per-account limit is 20 replies in
//!   10 minutes) whose samples are pooled; and paced,
//!   each writer posting once a second from a random start (64 people
//!   writing at once, 64 replies/s offered: the latency one person sees);
//! - the notifications page of the reader with 10,000 notifications.

use std::time::{Duration, Instant};

use meetinghouse_store::conversations::{self as replies, NewReply};
use meetinghouse_store::{Db, DbOptions, notifications, people, stories};

const REPLIES: usize = 10_000;
const NOTIFICATIONS: usize = 10_000;
const WRITERS: usize = 64;
const POSTS_PER_WRITER: usize = 15;
/// Rounds of the flat-out scenario, each with its own 64 writers.
const ROUNDS: usize = 3;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("seed") => seed(std::path::Path::new(&args[2])).await,
        Some("load") => load(&args[2], std::path::Path::new(&args[3])).await,
        _ => anyhow::bail!("usage: bench_conversations seed DATA_DIR | load BASE_URL DATA_DIR"),
    }
}

async fn seed(dir: &std::path::Path) -> anyhow::Result<()> {
    let db = Db::open_sqlite(&dir.join("meetinghouse.db"), &DbOptions { max_connections: 4 }).await?;
    db.migrate().await?;
    let hash = meetinghouse_core::secrets::hash_password("bench password long enough")?;
    let mut tx = db.begin().await?;
    let mut ids = Vec::new();
    for i in 0..=WRITERS * ROUNDS {
        let handle = if i == 0 { "reader".to_string() } else { format!("writer{i}") };
        let email = format!("{handle}@bench.test");
        let id = people::insert(&mut tx, &people::NewPerson { email: &email, handle: &handle, display_name: &handle, password_hash: &hash, is_admin: false, status: "active" }).await?;
        people::mark_verified(&mut tx, id).await?;
        ids.push(id);
    }
    let fields = stories::StoryFields {
        title: "A conversation of ten thousand replies",
        body: "The benchmark's story.",
        licence: "cc0",
        visibility: "public",
        ..Default::default()
    };
    let story = stories::insert(&mut tx, ids[0], None, "person", &fields).await?;
    let mut recent: Vec<(i64, i64, String)> = Vec::new();
    let mut x: u64 = 42;
    for n in 0..REPLIES {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let r = (x >> 33) as usize;
        let parent = if recent.is_empty() || r.is_multiple_of(3) { None } else { recent.get(recent.len() - 1 - r % recent.len().min(5)).cloned() };
        let parent = parent.filter(|(_, d, _)| *d < 6);
        let body = format!("Reply number {n}: the *canal* in summer, the lace factory bell, and chips on Fore Street afterwards.");
        let new = NewReply {
            subject_kind: "story",
            subject_id: story,
            parent: parent.as_ref().map(|(id, d, p)| (*id, *d, p.as_str())),
            author_person: ids[1 + r % WRITERS],
            author_org: None,
            voice: "person",
            body: &body,
            status: "visible",
            by_host: false,
            public: true,
        };
        let (id, path) = replies::insert(&mut tx, &new).await?;
        recent.push((id, parent.map(|(_, d, _)| d + 1).unwrap_or(0), path));
        if recent.len() > 50 {
            recent.remove(0);
        }
    }
    for n in 0..NOTIFICATIONS {
        notifications::insert(&mut tx, ids[0], "reply", &format!("writer{} replied to “A conversation of ten thousand replies” ({n}).", 1 + n % WRITERS), "/replies/1").await?;
    }
    tx.commit().await?;
    let mut lines = vec![format!("story {story}")];
    for id in &ids {
        lines.push(meetinghouse_core::accounts::start_session(&db, *id).await?);
    }
    std::fs::write(dir.join("bench-sessions.txt"), lines.join("\n"))?;
    println!("seeded: story {story} with {REPLIES} replies, a reader with {NOTIFICATIONS} notifications, {} writers", WRITERS * ROUNDS);
    db.close().await;
    Ok(())
}

fn csrf(html: &str) -> anyhow::Result<String> {
    let marker = r#"name="csrf" value=""#;
    let at = html.find(marker).ok_or_else(|| anyhow::anyhow!("no form on the page"))? + marker.len();
    Ok(html[at..at + html[at..].find('"').unwrap_or(0)].to_string())
}

fn client(session: &str) -> anyhow::Result<reqwest::Client> {
    meetinghouse_media::install_crypto_provider();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, format!("mh_session={session}").parse()?);
    Ok(reqwest::Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build()?)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let q = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1000.0;
    println!(
        "{name:<58} n={:<5} p50={:>7.2} ms  p95={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        q(0.50),
        q(0.95),
        q(0.99),
        samples.last().unwrap().as_secs_f64() * 1000.0
    );
}

/// `total` GETs of `path` from `concurrency` clients; every answer must be 200.
async fn gets(base: &str, session: &str, path: &str, total: usize, concurrency: usize) -> anyhow::Result<Vec<Duration>> {
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (c, url) = (client(session)?, format!("{base}{path}"));
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..total / concurrency {
                let t = Instant::now();
                let r = c.get(&url).send().await?;
                let status = r.status();
                r.bytes().await?;
                out.push(t.elapsed());
                anyhow::ensure!(status == 200, "GET {url}: {status}");
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

async fn load(base: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(dir.join("bench-sessions.txt"))?;
    let mut lines = text.lines();
    let story: i64 = lines.next().and_then(|l| l.strip_prefix("story ")).ok_or_else(|| anyhow::anyhow!("seed first"))?.parse()?;
    let sessions: Vec<String> = lines.map(str::to_string).collect();
    let (reader, writers) = (sessions[0].clone(), sessions[1..].to_vec());
    let page = format!("/stories/{story}");

    // Warm up the connections and the page cache of the database file.
    gets(base, &reader, &page, 50, 2).await?;
    gets(base, &reader, "/notifications", 50, 2).await?;

    // BENCH_ONLY=post runs the posting scenarios alone (for profiling them).
    let only_post = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "post");
    if !only_post {
        report("story page + first page of 10,000 replies (4 clients)", gets(base, &reader, &page, 1_000, 4).await?);
        report("conversation page /conversations/story/ID (4 clients)", gets(base, &reader, &format!("/conversations/story/{story}"), 1_000, 4).await?);
        report("notifications page, 10,000 notifications (4 clients)", gets(base, &reader, "/notifications", 1_000, 4).await?);
    }

    let post = format!("{base}/conversations/story/{story}/replies");
    let mut flat = Vec::new();
    let mut flat_secs = 0.0;
    for round in 0..ROUNDS {
        let (samples, secs) = post_replies(base, &page, &post, &writers[round * WRITERS..(round + 1) * WRITERS], None).await?;
        flat.extend(samples);
        flat_secs += secs;
    }
    let n = flat.len();
    report(&format!("posting a reply, 64 writers flat out, {ROUNDS} rounds (SQLite)"), flat);
    println!("  ({n} replies in {flat_secs:.1} s: {:.0} replies/s)", n as f64 / flat_secs);
    if only_post {
        return Ok(());
    }
    let (paced, secs) = post_replies(base, &page, &post, &writers[..WRITERS], Some(Duration::from_secs(1))).await?;
    let n = paced.len();
    report("posting a reply, 64 writers each posting once a second", paced);
    println!("  ({n} replies in {secs:.1} s: {:.0} replies/s)", n as f64 / secs);
    Ok(())
}

/// Each writer posts replies, flat out or once per `pace`; returns the
/// latencies and the wall time.
async fn post_replies(base: &str, page: &str, post: &str, writers: &[String], pace: Option<Duration>) -> anyhow::Result<(Vec<Duration>, f64)> {
    let mut tasks = Vec::new();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(writers.len()));
    for (i, session) in writers.iter().enumerate() {
        let (c, form_url, post, start) = (client(session)?, format!("{base}{page}"), post.to_string(), start.clone());
        tasks.push(tokio::spawn(async move {
            let token = csrf(&c.get(&form_url).send().await?.text().await?)?;
            start.wait().await;
            if let Some(p) = pace {
                // Spread the writers' first posts over one period.
                tokio::time::sleep(p.mul_f64(i as f64 / WRITERS as f64)).await;
            }
            let mut ticks = pace.map(tokio::time::interval);
            let mut out = Vec::new();
            // The paced run posts 5 each: 15 + 5 stays within the limit of
            // 20 replies per 10 minutes per account.
            let posts = if pace.is_some() { 5 } else { POSTS_PER_WRITER };
            for n in 0..posts {
                if let Some(t) = ticks.as_mut() {
                    t.tick().await;
                }
                let body = format!("Benchmark reply {n} from writer {i}: thank you for this, @reader.");
                let t = Instant::now();
                let r = c.post(&post).form(&[("csrf", token.as_str()), ("body", body.as_str())]).send().await?;
                let status = r.status();
                r.bytes().await?;
                out.push(t.elapsed());
                anyhow::ensure!(status == 303, "POST: {status}");
            }
            anyhow::Ok(out)
        }));
    }
    let wall = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all, wall.elapsed().as_secs_f64()))
}
