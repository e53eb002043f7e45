//! `meetinghouse common-ground …`: run the opinion-mapping engine on a
//! conversation in the Pol.is openData layout.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use common_ground::io::{Dataset, VotesSource, load_opendata};
use common_ground::replay::{ReplayOptions, tick_batches};
use common_ground::{Analysis, Config, Direction};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Analyse a conversation folder (comments.csv and votes.csv and/or participants-votes.csv)
    #[command(alias = "analyze")]
    Analyse(AnalyseArgs),
    /// Write a meeting-house conversation in the openData layout (comments.csv, votes.csv)
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The conversation's number (from its web address, /common-ground/N)
    #[arg(long)]
    conversation: i64,
    /// Folder to write into (created if absent); one that already holds
    /// openData files is refused unless --force
    #[arg(long)]
    out: PathBuf,
    /// Replace the openData files already in the folder (comments.csv,
    /// votes.csv), and remove the ones this export does not write
    /// (participants-votes.csv, summary.csv, stats-history.csv), so none is
    /// left from another conversation
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct AnalyseArgs {
    /// Folder in the Pol.is openData layout
    dir: PathBuf,
    /// Replay the vote history in updates (needs timestamps in votes.csv)
    #[arg(long)]
    replay: bool,
    /// Seed of the engine's random start vectors
    #[arg(long)]
    seed: Option<u64>,
    /// Statement ids to treat as metadata ("I live in a town": a situation,
    /// not a view), comma-separated. Pol.is leaves them out of the opinion
    /// map; exports without an is-meta column have lost that flag.
    #[arg(long, value_delimiter = ',')]
    meta: Vec<String>,
    /// Print one JSON object instead of a summary
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Whether the command reads the meeting house's database.
    pub fn needs_db(&self) -> bool {
        matches!(self.command, Command::Export(_))
    }
}

/// The pure engine commands (no database, no async runtime).
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Analyse(a) => analyse(a),
        Command::Export(_) => anyhow::bail!("export reads the database: run it through `run_db`"),
    }
}

/// The commands that read the meeting house's database.
pub async fn run_db(global: &crate::config::GlobalArgs, args: Args) -> anyhow::Result<()> {
    let Command::Export(a) = args.command else { return run(args) };
    // A file where the folder (or a folder above it) should be: said before
    // anything is read, rather than as "File exists (os error 17)".
    if let Some(file) = a.out.ancestors().find(|p| !p.as_os_str().is_empty() && p.exists() && !p.is_dir()) {
        anyhow::bail!(
            "--out {}: {} is a file, not a folder. Name a folder for comments.csv and votes.csv (it is made if it is not there)",
            a.out.display(),
            file.display()
        );
    }
    let store = global.store()?;
    let db = crate::commands::open_db(&store, crate::commands::Migrations::RequireCurrent).await?;
    let result = meetinghouse_core::common_ground::export_opendata(&db, a.conversation, &a.out, a.force).await;
    db.close().await;
    let (statements, votes) = match result {
        Ok(n) => n,
        Err(meetinghouse_core::CoreError::NotFound) => {
            anyhow::bail!("there is no common-ground conversation number {} in {}", a.conversation, crate::commands::location(&store))
        }
        Err(e) => return Err(e.into()),
    };
    eprintln!(
        "Wrote {statements} statements and {votes} votes of conversation {} in {} to {} (comments.csv, votes.csv). \
         Read it back with `meetinghouse common-ground analyse {}`.",
        a.conversation,
        crate::commands::location(&store),
        a.out.display(),
        a.out.display()
    );
    Ok(())
}

fn analyse(args: AnalyseArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let mut ds = load_opendata(&args.dir).with_context(|| format!("could not load {}", args.dir.display()))?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let unknown = ds.mark_meta(&args.meta);
    if !unknown.is_empty() {
        anyhow::bail!("--meta names statements that are not in {}: {} (nothing was analysed)", args.dir.join("comments.csv").display(), unknown.join(", "));
    }
    report_load(&ds);
    let mut config = Config::default();
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    let mut engine = ds.engine(config);
    let t1 = Instant::now();
    let analysis = if args.replay {
        if let Some(why) = cannot_replay(&ds, &args.dir) {
            anyhow::bail!("--replay needs the time of every vote: {why}");
        }
        let batches = tick_batches(&ds.votes, ReplayOptions::default());
        let bar = indicatif::ProgressBar::new(batches.len() as u64);
        bar.set_style(indicatif::ProgressStyle::with_template("replaying {bar:40} {pos}/{len} updates").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
        let mut last = None;
        for batch in &batches {
            engine.add_votes(batch);
            last = Some(engine.update());
            bar.inc(1);
        }
        bar.finish_and_clear();
        last.context("no votes to replay")?
    } else {
        engine.add_votes(&ds.votes);
        engine.update()
    };
    let update_ms = t1.elapsed().as_secs_f64() * 1e3;
    let n_statements = engine.n_statements();
    super::write_stdout(|out| {
        if args.json {
            serde_json::to_writer(&mut *out, &to_json(&analysis, n_statements, load_ms, update_ms))?;
            writeln!(out)
        } else {
            print_summary(out, &analysis, n_statements, load_ms, update_ms)
        }
    })
}

/// Why the loaded votes cannot be replayed in time order, if they cannot.
fn cannot_replay(ds: &Dataset, dir: &std::path::Path) -> Option<String> {
    let votes = dir.join("votes.csv");
    if ds.source != VotesSource::VoteEvents {
        return Some(format!("{} has no votes.csv (participants-votes.csv holds only each person's last vote)", dir.display()));
    }
    if ds.votes.is_empty() {
        return Some(format!("{} has no votes", votes.display()));
    }
    let untimed = ds.votes.iter().filter(|v| v.time.is_none()).count();
    match untimed {
        0 => None,
        n if n == ds.votes.len() => Some(format!("none of the {n} votes in {} has a timestamp (is there a \"timestamp\" column?)", votes.display())),
        1 => Some(format!("1 of the {} votes in {} has no timestamp", ds.votes.len(), votes.display())),
        n => Some(format!("{n} of the {} votes in {} have no timestamp", ds.votes.len(), votes.display())),
    }
}

fn report_load(ds: &Dataset) {
    for w in &ds.report.warnings {
        eprintln!("warning: {w}");
    }
    let n = ds.report.skipped.len();
    for s in ds.report.skipped.iter().take(10) {
        eprintln!("skipped {} line {}: {}", s.file, s.line, s.reason);
    }
    if n > 10 {
        eprintln!("… and {} more skipped rows", n - 10);
    }
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Agree => "agree",
        Direction::Disagree => "disagree",
    }
}

fn to_json(a: &Analysis, n_statements: usize, load_ms: f64, update_ms: f64) -> serde_json::Value {
    let groups: Vec<serde_json::Value> = a
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            json!({
                "id": i,
                "members": g.members.iter().map(|&p| &a.participants[p]).collect::<Vec<_>>(),
                "repness": g.repness.iter().map(|r| json!({
                    "statement": r.statement,
                    "direction": direction(r.direction),
                    "repness": r.repness,
                    "z": r.repness_test,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut gac: Vec<(usize, f64)> = a.group_aware_consensus.iter().copied().enumerate().filter(|(c, _)| !a.mod_out[*c]).collect();
    gac.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    json!({
        "participants": a.participants.len(),
        "statements": n_statements,
        "votes": a.n_votes,
        "in_conv": a.in_conv.len(),
        "k": a.k,
        "groups": groups,
        "consensus": {
            "agree": a.consensus.agree.iter().map(|c| &c.statement).collect::<Vec<_>>(),
            "disagree": a.consensus.disagree.iter().map(|c| &c.statement).collect::<Vec<_>>(),
        },
        "group_aware_consensus": gac.iter().map(|(c, s)| json!({"statement": a.statements[*c], "score": s})).collect::<Vec<_>>(),
        "timings_ms": {"load": load_ms, "update": update_ms},
        "diagnostics": a.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>(),
    })
}

/// "1 vote", "2 votes": a count with its noun, singular for one.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn print_summary(out: &mut dyn Write, a: &Analysis, n_statements: usize, load_ms: f64, update_ms: f64) -> std::io::Result<()> {
    writeln!(
        out,
        "{} ({} in the conversation), {}, {}",
        count(a.participants.len(), "participant", "participants"),
        a.in_conv.len(),
        count(n_statements, "statement", "statements"),
        count(a.n_votes, "vote", "votes")
    )?;
    writeln!(out, "{}", count(a.k, "opinion group", "opinion groups"))?;
    if a.groups.iter().any(|g| !g.repness.is_empty()) {
        writeln!(
            out,
            "(a group's share voting a way is Pol.is's estimate, (votes that way + 1) / (votes + 2): it leans to 50% on few votes, so one agreeing vote reads 67%)"
        )?;
    }
    for (i, g) in a.groups.iter().enumerate() {
        writeln!(out, "\ngroup {i}: {}", count(g.members.len(), "participant", "participants"))?;
        for r in &g.repness {
            writeln!(
                out,
                "  {:<8} statement {:<6} {:>3.0}% of {} (repness {:.2}, z {:.2})",
                direction(r.direction),
                r.statement,
                r.p_success * 100.0,
                count(r.n_trials as usize, "vote", "votes"),
                r.repness,
                r.repness_test
            )?;
        }
    }
    let list = |v: &[common_ground::ConsensusItem]| v.iter().map(|c| c.statement.as_str()).collect::<Vec<_>>().join(", ");
    writeln!(out, "\nconsensus: agree [{}], disagree [{}]", list(&a.consensus.agree), list(&a.consensus.disagree))?;
    let mut gac: Vec<(usize, f64)> = a.group_aware_consensus.iter().copied().enumerate().filter(|(c, _)| !a.mod_out[*c]).collect();
    gac.sort_by(|x, y| y.1.total_cmp(&x.1));
    let top: Vec<String> = gac.iter().take(5).map(|(c, s)| format!("{} ({s:.3})", a.statements[*c])).collect();
    writeln!(out, "bridging (group-aware consensus): {}", top.join(", "))?;
    for d in &a.diagnostics {
        writeln!(out, "note: {}", d.message)?;
    }
    writeln!(out, "\nload {load_ms:.1} ms, update {update_ms:.1} ms")
}
