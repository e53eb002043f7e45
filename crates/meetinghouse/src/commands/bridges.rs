//! `meetinghouse bridges …`: silo and bridging analytics for interaction
//! networks (the `bridges` engine), as JSON, a summary, or an HTML report.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use bridges::analysis::{AnalysisOptions, BetweennessMode, Window, analyse};
use bridges::community::{Algorithm, CommunityOptions, MAX_RESOLUTION, Objective};
use bridges::graph::GraphOptions;
use bridges::load::{check_unlabelled, read_edges_csv_grouped, read_gml, read_groups_csv_column};
use bridges::{Network, report};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Measure silos and bridges in an interaction network
    #[command(alias = "analyze")]
    Analyse(AnalyseArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WindowArg {
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AlgorithmArg {
    Leiden,
    Louvain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ObjectiveArg {
    Modularity,
    Cpm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BetweennessArg {
    /// Exact on small graphs, sampled (with a stated error bound) on large ones
    Auto,
    Exact,
    Sampled,
    Off,
}

#[derive(Debug, clap::Args)]
struct AnalyseArgs {
    /// Edges: CSV with a header naming `source`, `target` and optionally `weight`, `timestamp`
    /// (other columns are ignored), or GML; `-` reads standard input
    #[arg(long)]
    edges: PathBuf,
    /// Groups: CSV with a node column (`node`, `id` or `name`) and a group column
    /// (`group`, `sector`, `org`, `club`, … or the one `--group-attr` names); `-` reads standard input
    #[arg(long)]
    groups: Option<PathBuf>,
    /// Where the groups are: with `--groups`, the group file's column of that name
    /// (e.g. `political_ideology`); otherwise a GML node attribute (e.g. `value`), or on
    /// a CSV edge list the columns `source_NAME`/`target_NAME` (e.g. `org`, `sectors`)
    #[arg(long)]
    group_attr: Option<String>,
    /// Treat ties as directed (default: undirected)
    #[arg(long)]
    directed: bool,
    /// Use the weight column (default: every tie counts 1; duplicates collapse)
    #[arg(long)]
    weighted: bool,
    /// Also measure each time window (needs a timestamp column)
    #[arg(long, value_enum)]
    window: Option<WindowArg>,
    /// Seed for community detection, sampling and the layout
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Community detection algorithm
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Leiden)]
    algorithm: AlgorithmArg,
    /// Quality optimised by community detection
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Modularity)]
    objective: ObjectiveArg,
    /// Resolution γ of modularity / CPM, from 0 to 1000: for modularity 1 is standard and larger
    /// values give smaller communities; for CPM it is the density of ties a community must have.
    /// The figure reported as modularity is always standard modularity (γ = 1); the objective's own
    /// value at γ is reported apart, as its quality
    #[arg(long, default_value_t = 1.0, value_parser = resolution, allow_negative_numbers = true)]
    resolution: f64,
    /// Community detection iterations (negative: until stable)
    #[arg(long, default_value_t = -1, allow_hyphen_values = true)]
    iterations: i32,
    /// How to compute betweenness
    #[arg(long, value_enum, default_value_t = BetweennessArg::Auto)]
    betweenness: BetweennessArg,
    /// Sources sampled for `--betweenness sampled` (at least 1)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    samples: u64,
    /// A group is a silo when the share of its ties that leave it is below this (0 to 1)
    #[arg(long, default_value_t = 0.1, value_parser = share, allow_negative_numbers = true)]
    isolation_threshold: f64,
    /// Number of brokers listed
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Print one JSON object instead of a summary
    #[arg(long)]
    json: bool,
    /// Write a self-contained HTML report here: a new file, readable by you alone (mode 0600), as it
    /// names people. Its folder must exist and be writable (checked before the analysis)
    #[arg(long)]
    report: Option<PathBuf>,
    /// Replace the --report file if it exists: never an input file, and only a regular file (not a
    /// link, folder or device); the new report replaces it whole, with mode 0600
    #[arg(long)]
    force: bool,
    /// Title of the HTML report
    #[arg(long, default_value = "Silos and bridges")]
    title: String,
}

/// A finite number ≥ 0 (`--resolution`); NaN, infinities and negative numbers are refused here,
/// so no measure is computed with them.
fn non_negative(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !x.is_finite() {
        return Err(format!("must be a finite number ≥ 0, not `{s}`"));
    }
    if x < 0.0 {
        return Err(format!("must be 0 or more, not {s}"));
    }
    Ok(x)
}

/// A resolution γ from 0 to [`MAX_RESOLUTION`] (`--resolution`).
fn resolution(s: &str) -> Result<f64, String> {
    let x = non_negative(s)?;
    if x > MAX_RESOLUTION {
        return Err(format!(
            "must be from 0 to {MAX_RESOLUTION} (1 is standard modularity), not {s}"
        ));
    }
    Ok(x)
}

/// A share from 0 to 1 (`--isolation-threshold`).
fn share(s: &str) -> Result<f64, String> {
    let x = non_negative(s)?;
    if x > 1.0 {
        return Err(format!("is a share of ties, from 0 to 1 (0.1 = 10%), not {s}"));
    }
    Ok(x)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Analyse(a) => analyse_cmd(a),
    }
}

fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Files larger than this get a progress bar (on a terminal).
const PROGRESS_BYTES: u64 = 16 * 1024 * 1024;

/// Opens an input file (`-`: standard input) and refuses one that is not
/// text (see [`refuse_binary`]).
fn open(
    path: &Path,
    what: &str,
    show_progress: bool,
) -> anyhow::Result<(Box<dyn BufRead>, Option<ProgressBar>)> {
    let (mut reader, pb) = open_file(path, what, show_progress)?;
    refuse_binary(&mut *reader, path, what)?;
    Ok((reader, pb))
}

/// Refuses an input whose first block (what the reader holds, up to 1 MB;
/// nothing is consumed) has a NUL byte, which no CSV or GML text has but
/// spreadsheets, archives, programs and UTF-16 text do: the reader's error
/// would otherwise quote its bytes to the terminal.
fn refuse_binary(reader: &mut dyn BufRead, path: &Path, what: &str) -> anyhow::Result<()> {
    let head = reader
        .fill_buf()
        .with_context(|| format!("could not read the {what} file {}", path.display()))?;
    if head.contains(&0) {
        let name = if is_stdin(path) { "standard input".to_string() } else { path.display().to_string() };
        anyhow::bail!(
            "the {what} file {name} is not text: it holds NUL bytes, as a spreadsheet (.xlsx, .ods), an archive, a program \
             or UTF-16 text does. Give a CSV or GML file saved as text (UTF-8)"
        );
    }
    Ok(())
}

fn open_file(
    path: &Path,
    what: &str,
    show_progress: bool,
) -> anyhow::Result<(Box<dyn BufRead>, Option<ProgressBar>)> {
    if is_stdin(path) {
        return Ok((Box::new(BufReader::new(std::io::stdin())), None));
    }
    let f = File::open(path)
        .with_context(|| format!("could not open the {what} file {}", path.display()))?;
    let meta = f
        .metadata()
        .with_context(|| format!("could not read the {what} file {}", path.display()))?;
    if meta.is_dir() {
        anyhow::bail!(
            "could not read the {what} file {}: it is a directory, not a CSV or GML file",
            path.display()
        );
    }
    let len = meta.len();
    if show_progress && len >= PROGRESS_BYTES {
        let pb = ProgressBar::new(len);
        pb.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(format!("reading {what}"));
        let r: Box<dyn Read> = Box::new(pb.wrap_read(f));
        return Ok((Box::new(BufReader::with_capacity(1 << 20, r)), Some(pb)));
    }
    Ok((Box::new(BufReader::with_capacity(1 << 20, f)), None))
}

/// Refuses, before any work, a `--report` path whose folder does not exist
/// or cannot be written to, one that is one of the input files (whatever
/// `--force` says; for `-`, the file or pipe behind standard input, so
/// `--report /dev/stdin` too), one that is not a regular file (a link, a
/// folder, a device) and, without `force`, any that exists.
fn check_report_path(out: &Path, inputs: &[Option<&PathBuf>], force: bool) -> anyhow::Result<()> {
    for input in inputs.iter().flatten() {
        if is_stdin(input) && is_standard_input(out) {
            anyhow::bail!(
                "--report {} is what standard input reads (the `-` input): writing the report there would destroy it. Name another file for the report.",
                out.display()
            );
        }
        if !is_stdin(input) && same_file(out, input) {
            anyhow::bail!(
                "--report {} is the input file {}: writing the report there would destroy it. Name another file for the report.",
                out.display(),
                input.display()
            );
        }
    }
    let folder = report_folder(out);
    match std::fs::metadata(&folder) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => anyhow::bail!(
            "the report file {} cannot be written: {} is not a folder. Nothing was analysed.",
            out.display(),
            folder.display()
        ),
        Err(_) => anyhow::bail!(
            "the folder {} for the report file {} does not exist: nothing was analysed. Create it, or name a file in another folder.",
            folder.display(),
            out.display()
        ),
    }
    if let Ok(m) = out.symlink_metadata() {
        if !force {
            anyhow::bail!(
                "the report file {} already exists: nothing was analysed. Name a new file, or give --force to replace it.",
                out.display()
            );
        }
        if !m.file_type().is_file() {
            anyhow::bail!(
                "the report file {} is not a regular file (it is a link, a folder or a device), so --force does not replace it: nothing was analysed. Name a file.",
                out.display()
            );
        }
    }
    // a file made there and removed again: the folder takes new files
    let probe = sibling(out, "probe");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&probe) {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => anyhow::bail!(
            "the report file {} cannot be written in the folder {}: {e}. Nothing was analysed.",
            out.display(),
            folder.display()
        ),
    }
    Ok(())
}

/// The folder a report goes into (`.` for a bare file name).
fn report_folder(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A hidden file beside `out` for this process: `.NAME.PID.what`.
fn sibling(out: &Path, what: &str) -> PathBuf {
    let name = out.file_name().map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    report_folder(out).join(format!(".{name}.{}.{what}", std::process::id()))
}

/// Whether `path` is the file, pipe or terminal behind standard input (the
/// same device and inode as descriptor 0): a path to the input file itself,
/// `/dev/stdin`, `/dev/fd/0`, `/proc/self/fd/0`.
fn is_standard_input(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
            return false;
        };
        if let (Ok(input), Ok(out)) = (File::from(fd).metadata(), std::fs::metadata(path)) {
            return input.dev() == out.dev() && input.ino() == out.ino();
        }
        false
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Whether two paths name the same file (through links too).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}

/// Writes the report readable by its owner alone (mode 0600: it names
/// people): into a new file (one that appeared meanwhile is not replaced,
/// and a link there is not followed) or, with `force`, into a new file
/// beside it that is then renamed over it (the old file is replaced whole;
/// a link put there meanwhile is replaced, not followed). A file it could
/// not finish is removed.
fn write_report(out: &Path, html: &[u8], force: bool) -> anyhow::Result<()> {
    let target = if force { sibling(out, "tmp") } else { out.to_path_buf() };
    write_new_private_file(&target, html).with_context(|| format!("could not write the report {}", out.display()))?;
    if force && let Err(e) = std::fs::rename(&target, out) {
        let _ = std::fs::remove_file(&target);
        return Err(e).with_context(|| format!("could not write the report {}", out.display()));
    }
    Ok(())
}

/// Writes `bytes` into a new file at `path` (never an existing one, never
/// through a link) with mode 0600; removes it if it could not be finished.
fn write_new_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    if let Err(e) = f.write_all(bytes).and_then(|()| f.sync_all()) {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

/// GML when the name ends in `.gml` or the text starts with a GML key.
fn looks_like_gml(path: &Path, reader: &mut dyn BufRead) -> std::io::Result<bool> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gml"))
    {
        return Ok(true);
    }
    let head = reader.fill_buf()?;
    let text = String::from_utf8_lossy(&head[..head.len().min(512)]).to_string();
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    Ok(first == "graph" || first == "creator" || first.starts_with("graph["))
}

fn analyse_cmd(args: AnalyseArgs) -> anyhow::Result<()> {
    if is_stdin(&args.edges) && args.groups.as_deref().is_some_and(is_stdin) {
        anyhow::bail!("only one of --edges and --groups can read standard input");
    }
    if let Some(out) = &args.report {
        check_report_path(out, &[Some(&args.edges), args.groups.as_ref()], args.force)?;
    }
    let show_progress = std::io::stderr().is_terminal();
    let t0 = Instant::now();
    let mut net = Network::new();
    // With --groups, --group-attr names the group file's column; without, it
    // names a GML node attribute, or on a CSV edge list the source_NAME and
    // target_NAME columns (as `meetinghouse export interactions` writes them).
    let (edge_group_attr, file_group_col) = match &args.groups {
        Some(_) => (None, args.group_attr.as_deref()),
        None => (args.group_attr.as_deref(), None),
    };
    let (mut reader, pb) = open(&args.edges, "edges", show_progress)?;
    let gml = looks_like_gml(&args.edges, &mut reader)
        .with_context(|| format!("could not read the edges file {}", args.edges.display()))?;
    if gml {
        read_gml(reader, edge_group_attr, &mut net)
            .with_context(|| format!("could not read {}", args.edges.display()))?;
    } else {
        read_edges_csv_grouped(reader, &mut net, edge_group_attr)
            .with_context(|| format!("could not read {}", args.edges.display()))?;
    }
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    if let Some(groups) = &args.groups {
        let (reader, pb) = open(groups, "groups", show_progress)?;
        read_groups_csv_column(reader, &mut net, file_group_col)
            .with_context(|| format!("could not read {}", groups.display()))?;
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
    }
    check_unlabelled(&mut net);
    if net.declared_directed == Some(true) && !args.directed {
        eprintln!(
            "note: the file declares a directed graph; it is analysed as undirected unless --directed is given"
        );
    }
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;

    let objective = match args.objective {
        ObjectiveArg::Modularity => Objective::Modularity {
            resolution: args.resolution,
        },
        ObjectiveArg::Cpm => Objective::Cpm {
            resolution: args.resolution,
        },
    };
    let opts = AnalysisOptions {
        graph: GraphOptions {
            directed: args.directed,
            weighted: args.weighted,
        },
        community: CommunityOptions {
            algorithm: match args.algorithm {
                AlgorithmArg::Leiden => Algorithm::Leiden,
                AlgorithmArg::Louvain => Algorithm::Louvain,
            },
            objective,
            seed: args.seed,
            iterations: args.iterations,
            ..Default::default()
        },
        isolation_threshold: args.isolation_threshold,
        top_brokers: args.top,
        betweenness: match args.betweenness {
            BetweennessArg::Auto => BetweennessMode::default(),
            BetweennessArg::Exact => BetweennessMode::Exact,
            BetweennessArg::Sampled => BetweennessMode::Sampled {
                sources: usize::try_from(args.samples).unwrap_or(usize::MAX),
                delta: 0.1,
            },
            BetweennessArg::Off => BetweennessMode::Off,
        },
        window: args.window.map(|_| Window::Month),
        ..Default::default()
    };

    // a spinner naming each step, on a terminal, for large inputs
    let spinner = (show_progress && net.raw_edge_count() >= 200_000).then(|| {
        let s = ProgressBar::new_spinner();
        s.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        s.enable_steady_tick(Duration::from_millis(120));
        s
    });
    let t1 = Instant::now();
    let analysis = analyse(&net, &opts, &mut |step| {
        if let Some(s) = &spinner {
            s.set_message(step.to_owned());
        }
    });
    let analyse_ms = t1.elapsed().as_secs_f64() * 1e3;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }

    if let Some(out) = &args.report {
        let html = report::render(&analysis, &args.title, args.seed);
        write_report(out, html.as_bytes(), args.force)?;
    }

    super::write_stdout(|out| {
        if args.json {
            let v = analysis.to_json(load_ms, analyse_ms);
            serde_json::to_writer(&mut *out, &v)?;
            return writeln!(out);
        }
        writeln!(
            out,
            "{}, {}{}, {}",
            report::count(analysis.graph.n, "node", "nodes"),
            report::count(analysis.graph.m, "edge", "edges"),
            if analysis.graph.directed { " (directed)" } else { "" },
            report::count(analysis.group_names.len(), "group", "groups"),
        )?;
        for f in report::findings(&analysis) {
            writeln!(out, "- {f}")?;
        }
        for d in &analysis.diagnostics {
            writeln!(out, "note: {}", d.message)?;
        }
        writeln!(out, "(load {load_ms:.1} ms, analysis {analyse_ms:.1} ms)")?;
        if let Some(r) = &args.report {
            writeln!(out, "report written to {}", r.display())?;
        }
        Ok(())
    })
}

