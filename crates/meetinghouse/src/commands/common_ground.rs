//! `meetinghouse common-ground …`: run the opinion-mapping engine on a
//! conversation in the Pol.is openData layout.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use common_ground::io::{Dataset, VoteTable, VotesSource, load_compact};
use common_ground::replay::ReplayOptions;
use common_ground::{Analysis, Config, Direction};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Analyse a conversation folder: the Pol.is openData layout (comments.csv
    /// and votes.csv and/or participants-votes.csv) or a Pol.is API dump
    /// (votes.json and comments.json)
    #[command(alias = "analyze")]
    Analyse(AnalyseArgs),
    /// Write a meeting-house conversation in the openData layout (comments.csv,
    /// votes.csv), files 0600. Every statement has a row (waiting, accepted
    /// and taken out, as "moderated" 0, 1 and -1), its comment-id its
    /// number in the conversation as the pages show it, but only accepted
    /// ones have their text (never one whose author closed their account
    /// choosing "remove"); seed statements have no author-id
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The conversation's number (from its web address, /common-ground/N)
    #[arg(long)]
    conversation: i64,
    /// Folder to write into (created if absent, 0700); one that already
    /// holds openData files is refused unless --force. A folder someone else
    /// could change files in is refused: another user's, or one its group
    /// or everyone may write in without the sticky bit (chmod go-w, or make
    /// a folder of your own inside it)
    #[arg(long)]
    out: PathBuf,
    /// Replace the openData files already in the folder (comments.csv,
    /// votes.csv), and remove the ones this export does not write
    /// (participants-votes.csv, summary.csv, stats-history.csv), so none is
    /// left from another conversation
    #[arg(long)]
    force: bool,
    /// Also write the text of statements waiting for a host or taken out,
    /// for the host's own archive, not for publishing (never the text of
    /// statements taken out because their author closed their account)
    #[arg(long)]
    include_moderated_text: bool,
}

#[derive(Debug, clap::Args)]
struct AnalyseArgs {
    /// Folder in the Pol.is openData layout (comments.csv, votes.csv and/or
    /// participants-votes.csv) or holding a Pol.is API dump (votes.json and
    /// comments.json, read when there is neither votes.csv nor
    /// participants-votes.csv). CSV files must be UTF-8 (a statement's text
    /// aside, which is not read)
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
    /// Print one JSON object instead of a summary: the shape, plus
    /// "diagnostics", the engine's notes on its input and result (a list of
    /// sentences, empty when it has none)
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
    let options = meetinghouse_core::common_ground::ExportOptions { force: a.force, include_moderated_text: a.include_moderated_text };
    let result = meetinghouse_core::common_ground::export_opendata(&db, a.conversation, &a.out, options).await;
    db.close().await;
    let exported = match result {
        Ok(n) => n,
        Err(meetinghouse_core::CoreError::NotFound) => {
            anyhow::bail!("there is no common-ground conversation number {} in {}", a.conversation, crate::commands::location(&store))
        }
        Err(e) => return Err(e.into()),
    };
    eprintln!(
        "Wrote {} statements and {} votes of conversation {} in {} to {} (comments.csv, votes.csv). \
         Read it back with `meetinghouse common-ground analyse {}`.",
        exported.statements,
        exported.votes,
        a.conversation,
        crate::commands::location(&store),
        a.out.display(),
        a.out.display()
    );
    match exported.without_text {
        0 => {}
        1 if a.include_moderated_text => {
            eprintln!("1 statement was written without its text: its author closed their account and asked for what they wrote to be removed.")
        }
        n if a.include_moderated_text => eprintln!(
            "{n} statements were written without their text: their authors closed their accounts and asked for what they wrote to be removed."
        ),
        1 => eprintln!(
            "1 statement is waiting for a host or taken out: it is written without its text (--include-moderated-text writes it, for the host's own archive, \
             unless its author closed their account and asked for what they wrote to be removed)."
        ),
        n => eprintln!(
            "{n} statements are waiting for a host or taken out: they are written without their text (--include-moderated-text writes it, for the host's own archive, \
             except where the author closed their account and asked for what they wrote to be removed)."
        ),
    }
    Ok(())
}

fn analyse(args: AnalyseArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    // The votes are held compactly (16 bytes a vote, each distinct id in a
    // table; a Pol.is API dump streamed in, a vote at a time), and given to
    // the engine, which keeps its own 4 bytes a vote, before they go.
    let mut ds = load_compact(&args.dir).with_context(|| format!("could not load {}", args.dir.display()))?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let unknown = ds.mark_meta(&args.meta);
    if !unknown.is_empty() {
        let file = if ds.source == VotesSource::ApiJson { "comments.json" } else { "comments.csv" };
        anyhow::bail!("--meta names statements that are not in {}: {} (nothing was analysed)", args.dir.join(file).display(), unknown.join(", "));
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
        let ticks = ds.votes.tick_ranges(ReplayOptions::default());
        let bar = indicatif::ProgressBar::new(ticks.len() as u64);
        bar.set_style(indicatif::ProgressStyle::with_template("replaying {bar:40} {pos}/{len} updates").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
        let mut last = None;
        for tick in ticks {
            ds.votes.apply(&mut engine, tick);
            last = Some(engine.update());
            bar.inc(1);
        }
        bar.finish_and_clear();
        last.context("no votes to replay")?
    } else {
        let mut votes = std::mem::take(&mut ds.votes);
        votes.add_to(&mut engine);
        drop(votes);
        engine.update()
    };
    drop(ds);
    let update_ms = t1.elapsed().as_secs_f64() * 1e3;
    let n_statements = engine.n_statements();
    drop(engine);
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
fn cannot_replay(ds: &Dataset<VoteTable>, dir: &std::path::Path) -> Option<String> {
    let votes = dir.join("votes.csv");
    match ds.source {
        VotesSource::VoteEvents => {}
        VotesSource::FinalMatrix => {
            return Some(format!("{} has no votes.csv (participants-votes.csv holds only each person's last vote)", dir.display()));
        }
        VotesSource::ApiJson => {
            return Some(format!("{} is a Pol.is API dump: votes.json holds only each person's last vote, not the history", dir.display()));
        }
    }
    let (n, untimed) = (ds.votes.len(), ds.votes.untimed());
    if n == 0 {
        return Some(format!("{} has no votes", votes.display()));
    }
    match untimed {
        0 => None,
        u if u == n => Some(format!("none of the {n} votes in {} has a timestamp (is there a \"timestamp\" column?)", votes.display())),
        1 => Some(format!("1 of the {n} votes in {} has no timestamp", votes.display())),
        u => Some(format!("{u} of the {n} votes in {} have no timestamp", votes.display())),
    }
}

fn report_load(ds: &Dataset<VoteTable>) {
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
