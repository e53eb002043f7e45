//! `cargo run -p xtask --release -- <task>`: reproducible benchmark set-up
//! and measurements that are not part of the product.
//!
//! - `seed-stories --data-dir D --count N`: N generated public stories (with
//!   their search index) by a few generated people, in batches.
//! - `search-bench --data-dir D --queries Q`: Q searches drawn from the same
//!   vocabulary; prints p50/p95/p99 latency in milliseconds.

use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use meetinghouse_store::stories::{self, StoryFields};
use meetinghouse_store::{Db, DbOptions, people};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    SeedStories {
        #[arg(long)]
        data_dir: std::path::PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        #[arg(long)]
        database_url: Option<String>,
    },
    SearchBench {
        #[arg(long)]
        data_dir: std::path::PathBuf,
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// An index in 0..n with a Zipf-like skew (common words are common).
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0) as usize % n
    }
}

/// A vocabulary of 8,000 pronounceable words.
fn vocabulary() -> Vec<String> {
    const ONSETS: &[&str] = &["b", "br", "c", "ch", "d", "f", "g", "gr", "h", "l", "m", "n", "p", "r", "s", "st", "t", "th", "w", "y"];
    const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ea", "ou", "ai"];
    const CODAS: &[&str] = &["", "n", "r", "l", "st", "ck", "m", "th", "nd", "ll"];
    let mut rng = Rng(7);
    let mut out = std::collections::BTreeSet::new();
    while out.len() < 8_000 {
        let syllables = 1 + rng.below(3);
        let mut w = String::new();
        for _ in 0..syllables {
            w += ONSETS[rng.below(ONSETS.len() as u64) as usize];
            w += VOWELS[rng.below(VOWELS.len() as u64) as usize];
            w += CODAS[rng.below(CODAS.len() as u64) as usize];
        }
        out.insert(w);
    }
    let mut v: Vec<String> = out.into_iter().collect();
    // Shuffle so the Zipf ranks are not alphabetical.
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
    v
}

async fn open(data_dir: &std::path::Path, url: Option<&str>) -> anyhow::Result<Db> {
    let opts = DbOptions { max_connections: std::env::var("XTASK_POOL").ok().and_then(|v| v.parse().ok()).unwrap_or(8) };
    let db = match url {
        Some(u) => Db::connect(u, &opts).await?,
        None => Db::open_sqlite(&data_dir.join("meetinghouse.db"), &opts).await?,
    };
    db.migrate().await?;
    Ok(db)
}

async fn seed_stories(db: &Db, count: u64) -> anyhow::Result<()> {
    let vocab = vocabulary();
    let mut rng = Rng(42);
    let hash = meetinghouse_core::secrets::hash_password("benchmark-password")?;
    let mut authors = Vec::new();
    let mut tx = db.begin().await?;
    for i in 0..50 {
        let handle = format!("bench{i}");
        let id = match people::by_handle(db, &handle).await? {
            Some(p) => p.id,
            None => {
                let email = format!("{handle}@bench.test");
                people::insert(&mut tx, &people::NewPerson { email: &email, handle: &handle, display_name: &handle, password_hash: &hash, is_admin: false, status: "active" }).await?
            }
        };
        authors.push(id);
    }
    tx.commit().await?;
    let bar = indicatif::ProgressBar::new(count);
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} stories, {per_sec}, ETA {eta}").expect("template"));
    let started = Instant::now();
    let batch = 5_000;
    let mut done = 0;
    while done < count {
        let mut tx = db.begin().await?;
        for _ in 0..batch.min(count - done) {
            let title_words = 3 + rng.below(5) as usize;
            let title: Vec<&str> = (0..title_words).map(|_| vocab[rng.zipf(vocab.len())].as_str()).collect();
            let mut title = title.join(" ");
            title[..1].make_ascii_uppercase();
            let body_words = 40 + rng.below(120) as usize;
            let body: Vec<&str> = (0..body_words).map(|_| vocab[rng.zipf(vocab.len())].as_str()).collect();
            let body = body.join(" ") + ".";
            let f = StoryFields {
                title: &title,
                body: &body,
                licence: "cc-by-4.0",
                consent_people: true,
                consent_minors: true,
                visibility: "public",
                ..Default::default()
            };
            let author = authors[rng.below(authors.len() as u64) as usize];
            let id = stories::insert(&mut tx, author, None, "person", &f).await?;
            meetinghouse_core::search::index(&mut tx, db, "story", id, &title, &body, meetinghouse_store::now()).await?;
        }
        tx.commit().await?;
        done += batch.min(count - done);
        bar.set_position(done);
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!("seeded {count} stories in {secs:.1} s ({:.0} stories/s, search index included)", count as f64 / secs);
    Ok(())
}

async fn search_bench(db: &Db, queries: usize) -> anyhow::Result<()> {
    let vocab = vocabulary();
    let mut rng = Rng(99);
    // Warm the page cache with a few queries first.
    for _ in 0..20 {
        meetinghouse_core::search::search(db, &vocab[rng.zipf(vocab.len())], "", 1).await?;
    }
    let mut times = Vec::with_capacity(queries);
    let mut hits_total = 0;
    for _ in 0..queries {
        let words = 1 + rng.below(2) as usize;
        let q: Vec<&str> = (0..words).map(|_| vocab[rng.zipf(vocab.len())].as_str()).collect();
        let q = q.join(" ");
        let t = Instant::now();
        let (hits, _) = meetinghouse_core::search::search(db, &q, "", 1).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        hits_total += hits.len();
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let (n,): (i64,) = (db_count(db).await?,);
    println!(
        "search over {n} stories, {queries} queries (1–2 words, Zipf-distributed), first page of 20 with snippets: \
         p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; mean hits on page {:.1}",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        times[times.len() - 1],
        hits_total as f64 / queries as f64
    );
    Ok(())
}

async fn db_count(db: &Db) -> anyhow::Result<i64> {
    Ok(meetinghouse_store::stories::count_public(db).await?)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("runtime")?;
    rt.block_on(async {
        match cli.task {
            Task::SeedStories { data_dir, count, database_url } => {
                let db = open(&data_dir, database_url.as_deref()).await?;
                seed_stories(&db, count).await
            }
            Task::SearchBench { data_dir, queries, database_url } => {
                let db = open(&data_dir, database_url.as_deref()).await?;
                search_bench(&db, queries).await
            }
        }
    })
}
