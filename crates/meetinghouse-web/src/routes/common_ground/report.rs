//! `GET /common-ground/{id}/report` — the opinion map and what it shows:
//! each group's representative statements (% agreeing inside and outside
//! the group), what every group agrees with (bridging), what most people
//! said overall, where the groups differ, participation over time (a
//! chart and the same as a table); for hosts, the engine's technical notes
//! on the last run. `GET /common-ground/{id}/report.csv` — the same per
//! statement.
//!
//! No figure, on the page or in the CSV, for hosts too, is about fewer
//! than five people or gives away how fewer than five voted (core
//! withholds them: `Summary::withhold_small_groups`, `Overall`): a group
//! of fewer than five is named without its size or figures; a group's
//! share of a statement fewer than five in it voted on is not shown; a
//! statement fewer than five voted on has no figures; and where one to
//! four people outside the groups shown voted on a statement, its figures
//! count the people in the groups shown only, and say so (everyone's
//! counts less the groups' would be those few people's votes).
//!
//! The report lists only statements that are in the conversation now: one
//! a host took out since the last redraw leaves it at once, as it leaves
//! the CSV, not a few seconds later. Statements are named by their number
//! in the conversation.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use meetinghouse_core::common_ground::{self, Conversation, DIVIDED, Overall, StatementVotes, Summary, majority_of, overall};
use meetinghouse_store::common_ground as store;

use crate::error::WebError;
use crate::page::{Page, datetime, render};
use crate::routes::common_ground::{draw, load, participant};
use crate::state::AppState;
use crate::viewer::Viewer;

fn pct(x: f64) -> String {
    format!("{:.0}%", (x * 100.0).clamp(0.0, 100.0))
}

fn share(n: u32, of: u32) -> String {
    if of == 0 { "–".into() } else { pct(f64::from(n) / f64::from(of)) }
}

fn votes_word(n: u32) -> &'static str {
    if n == 1 { "vote" } else { "votes" }
}

/// A statement's figures as a whole, in words: "82% agree · 18% disagree ·
/// 11 votes", with what they leave out said.
fn overall_words(o: &Overall) -> String {
    match o {
        Overall::TooFew => "fewer than five votes so far, so no figures yet".into(),
        Overall::Everyone([a, d, p]) => {
            let n = a + d + p;
            format!("{} agree · {} disagree · {n} {}", share(*a, n), share(*d, n), votes_word(n))
        }
        Overall::GroupsShown([a, d, p]) => {
            let n = a + d + p;
            format!("{} agree · {} disagree · {n} {} in the groups shown; a few others are not counted", share(*a, n), share(*d, n), votes_word(n))
        }
    }
}

/// A statement as the report lists it.
struct Line {
    text: String,
    /// Its figures as a whole ([`overall_words`]).
    figures: String,
    /// Per group whose figures are shown: (label, swatch SVG, "80% agree",
    /// or words saying too few in it voted).
    by_group: Vec<(String, String, String)>,
}

struct GroupView {
    label: String,
    /// "12 people", or "a group of fewer than five".
    size: String,
    /// Fewer than five people: named, without its size or figures.
    small: bool,
    swatch: String,
    /// (statement text, "agree"/"disagree", "92% agree", "15% agree" or
    /// words saying why it is not shown)
    representative: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "common_ground/report.html")]
struct Report {
    page: Page,
    c: Conversation,
    analysed: Option<String>,
    /// People taking part, votes, people on the map (with the words after
    /// the number), opinion groups (0 until there are two).
    figures: Option<(usize, usize, (usize, &'static str), usize)>,
    /// Where the viewer is on the map, or why they are not on it yet.
    you: Option<String>,
    /// Plain notes for everyone (few people on the map, …).
    notes: Vec<String>,
    /// The engine's diagnostics, for hosts only (empty for everyone else).
    technical: Vec<String>,
    map: String,
    timeline: String,
    /// The timeline as a table: (period, votes, people taking part for the
    /// first time, people taking part so far — the chart's line).
    timeline_rows: Vec<(String, u32, u32, u32)>,
    /// "Day", or "Days" when a bar is several days.
    period: &'static str,
    groups: Vec<GroupView>,
    /// Whether some group's figures are withheld (the page says why).
    some_small: bool,
    /// Whether some statement listed counts only the groups shown (the page says why).
    some_left_out: bool,
    bridging: Vec<Line>,
    majority_agree: Vec<Line>,
    majority_disagree: Vec<Line>,
    divisive: Vec<Line>,
    /// Whether two groups or more are shown with their figures: only then
    /// does the page say where groups differ.
    differ: bool,
}

fn line(s: &Summary, v: &StatementVotes, texts: &HashMap<i64, String>) -> Line {
    Line {
        text: texts.get(&v.statement).cloned().unwrap_or_default(),
        figures: overall_words(&v.overall()),
        by_group: (0..s.groups.len())
            .filter(|g| s.shows_group(*g))
            .map(|g| {
                let words = match v.by_group.get(g).copied().flatten() {
                    Some([agree, _, seen]) => format!("{} agree", share(agree, seen)),
                    None => "too few voted to show".into(),
                };
                (s.groups[g].label.clone(), draw::swatch(g), words)
            })
            .collect(),
    }
}

/// Where the viewer is on the map, in words, once they have taken part.
fn you(s: &Summary, me: Option<i64>) -> Option<String> {
    me?;
    Some(match (s.is_on_map(me), s.group_of(me)) {
        (true, Some(g)) if s.shows_group(g) => {
            let group = &s.groups[g];
            format!("You are in {} ({} {}). Your own position is ringed and labelled “You”.", group.label, group.size, if group.size == 1 { "person" } else { "people" })
        }
        (true, Some(g)) => format!("You are in {}, a group of fewer than five people. Your own position is ringed and labelled “You”.", s.groups[g].label),
        (true, None) => "Your own position is ringed and labelled “You”.".into(),
        (false, _) => "You are not on the map yet: people appear on it once they have voted on a few statements. It is redrawn a few seconds after people vote.".into(),
    })
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    let statements = store::statements(&state.db, id).await?;
    // Only what is in the conversation now: the last redraw may be a few
    // seconds (or, after failures, minutes) older than a host's decision.
    let accepted: HashSet<i64> = statements.iter().filter(|s| s.status == "accepted").map(|s| s.id).collect();
    let summary = common_ground::summary(&state.db, id).await?.map(|mut s| {
        s.statements.retain(|v| accepted.contains(&v.statement));
        for g in &mut s.groups {
            g.representative.retain(|r| accepted.contains(&r.statement));
        }
        s
    });
    let texts: HashMap<i64, String> = statements.into_iter().map(|s| (s.id, s.body)).collect();
    let me = common_ground::participant_id(&state.db, id, &participant(&viewer)).await?;
    let page = Page::new(&viewer, format!("Report: {}", c.row.topic));
    let mut report = Report {
        page,
        analysed: None,
        figures: None,
        you: None,
        notes: Vec::new(),
        technical: Vec::new(),
        map: String::new(),
        timeline: String::new(),
        timeline_rows: Vec::new(),
        period: "Day",
        groups: Vec::new(),
        some_small: false,
        some_left_out: false,
        bridging: Vec::new(),
        majority_agree: Vec::new(),
        majority_disagree: Vec::new(),
        divisive: Vec::new(),
        differ: false,
        c,
    };
    if let Some(s) = &summary {
        report.analysed = Some(datetime(&s.computed_at));
        // One group is everyone on the map, not an opinion group: the report
        // speaks of groups from two on.
        let opinion_groups = if s.groups.len() >= 2 { s.groups.len() } else { 0 };
        // With a group named without its size, the people on the map are
        // counted in the groups shown only: all of them, less the other
        // groups' sizes, would be its size.
        let placed = if s.withholds_a_group() { (s.in_groups_shown(), "on the map in groups of five or more") } else { (s.in_conv, "on the map") };
        report.figures = Some((s.participants, s.votes, placed, opinion_groups));
        report.you = you(s, me);
        report.notes = s.notes.clone();
        // Engine diagnostics mean something to whoever checks the map, and
        // only worry or confuse the people taking part.
        if report.c.viewer_hosts {
            report.technical = s.technical.clone();
        }
        report.map = draw::opinion_map(s, me);
        report.timeline = draw::timeline(s);
        if let Some(bars) = draw::bars(s) {
            report.period = if bars.days == 1 { "Day" } else { "Days" };
            let mut so_far = 0;
            report.timeline_rows = bars
                .bars
                .iter()
                .filter_map(|b| {
                    so_far += b.new_people;
                    let (first, last) = (meetinghouse_core::format_date(b.first), meetinghouse_core::format_date(b.last));
                    let when = if first == last { first } else { format!("{first} to {last}") };
                    (b.votes > 0 || b.new_people > 0).then_some((when, b.votes, b.new_people, so_far))
                })
                .collect();
        }
        report.groups = (0..opinion_groups)
            .map(|g| {
                let group = &s.groups[g];
                let small = !s.shows_group(g);
                GroupView {
                    label: group.label.clone(),
                    size: if small { "a group of fewer than five".into() } else { format!("{} {}", group.size, if group.size == 1 { "person" } else { "people" }) },
                    small,
                    swatch: draw::swatch(g),
                    representative: group
                        .representative
                        .iter()
                        .take(5)
                        .map(|r| {
                            let outside = r.outside.map(|x| format!("{} {}", pct(x), r.direction)).unwrap_or_else(|| "too few voted to show".into());
                            (texts.get(&r.statement).cloned().unwrap_or_default(), r.direction.clone(), format!("{} {}", pct(r.inside), r.direction), outside)
                        })
                        .collect(),
                }
            })
            .collect();
        report.some_small = report.groups.iter().any(|g| g.small);
        report.differ = report.groups.iter().filter(|g| !g.small).count() >= 2;
        let lines = |v: Vec<&StatementVotes>| v.into_iter().map(|v| line(s, v, &texts)).collect::<Vec<_>>();
        report.bridging = lines(s.bridging(5));
        let (agree, disagree) = s.majority(5);
        report.some_left_out = agree.iter().chain(&disagree).any(|v| matches!(v.overall(), Overall::GroupsShown(_)));
        report.majority_agree = lines(agree);
        report.majority_disagree = lines(disagree);
        report.divisive = lines(s.divisive(5));
    }
    let mut resp = render(&report);
    if me.is_some() {
        // Marks this browser's own position: never share it through the page cache.
        resp.extensions_mut().insert(crate::pagecache::Personal);
    }
    Ok(resp)
}

/// The CSV's columns before the groups'.
pub const CSV_HEADER: &str = "statement_number,statement,status,seed,agree,disagree,pass,counted,bridging,division,majority";

/// What the `majority` column says of a statement the groups split on
/// ([`DIVIDED`]): the report lists it where the groups differ, not under
/// what most people said, since a large group can outvote a small one.
pub const GROUPS_SPLIT: &str = "groups split";

/// The report per statement as CSV, for a spreadsheet (UTF-8 with a byte
/// order mark, so Excel reads ’ and ＝ as they are): the statement's number
/// in the conversation, counts, what they
/// count ("everyone", "groups shown only" when one to four people outside
/// the groups shown voted on it and their votes are left out, or "fewer
/// than 5 votes", with no counts), bridging and division scores, which
/// way a clear majority of those counted voted ("groups split" where the
/// groups differ by 30 points or more: the report then names no
/// majority either), and the agreement in each
/// group of at least five people (a smaller group has no columns, and a
/// group's cells are empty for a statement fewer than five in it voted
/// on: they would be its few people's votes, for hosts too). Hosts get
/// every statement with its status; everyone else only the accepted ones,
/// as the pages show them (a statement waiting for a host, or taken out,
/// is not published by the CSV either).
pub async fn csv(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    let summary = common_ground::summary(&state.db, id).await?;
    let mut statements = store::statements(&state.db, id).await?;
    statements.retain(|s| c.viewer_hosts || s.status == "accepted");
    // A statement the last analysis had counts as it did, its groups' figures
    // beside it; one it did not (taken out, waiting, or added since) counts
    // from the votes themselves, so a statement taken out still shows the
    // votes it had.
    let counts = common_ground::vote_counts(&state.db, id).await?;
    let groups: Vec<(usize, String)> = summary
        .as_ref()
        .map(|s| (0..s.groups.len()).filter(|g| s.shows_group(*g)).map(|g| (g, s.groups[g].label.clone())).collect())
        .unwrap_or_default();
    let mut out = String::from("\u{feff}");
    out.push_str(CSV_HEADER);
    for (_, g) in &groups {
        out.push_str(&format!(",{g} agree,{g} disagree,{g} voted"));
    }
    out.push('\n');
    for s in &statements {
        let analysed = summary.as_ref().and_then(|x| x.votes_of(s.id)).filter(|_| s.status == "accepted");
        let figures = match analysed {
            Some(v) => v.overall(),
            None => overall(counts.get(&s.id).copied().unwrap_or_default(), &[]),
        };
        let (numbers, counted) = match figures {
            Overall::TooFew => (",,".to_string(), "fewer than 5 votes"),
            Overall::Everyone([a, d, p]) => (format!("{a},{d},{p}"), "everyone"),
            Overall::GroupsShown([a, d, p]) => (format!("{a},{d},{p}"), "groups shown only"),
        };
        let (bridging, division) = analysed.map(|v| (v.bridging, v.division)).unwrap_or_default();
        let majority = if division >= DIVIDED { GROUPS_SPLIT } else { majority_of(&figures).map_or("", |(way, _)| way) };
        out.push_str(&format!(
            "{},{},{},{},{numbers},{counted},{bridging:.6},{division:.4},{majority}",
            s.number,
            csv_field(&s.body),
            s.status,
            s.is_seed,
        ));
        for (g, _) in &groups {
            match analysed.and_then(|v| v.by_group.get(*g).copied().flatten()) {
                Some([agree, disagree, seen]) => out.push_str(&format!(",{agree},{disagree},{seen}")),
                None => out.push_str(",,,"),
            }
        }
        out.push('\n');
    }
    let filename = format!("common-ground-{}.csv", c.row.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        out,
    )
        .into_response())
}

/// Quotes a CSV field when needed; a leading formula character is defused
/// so a spreadsheet shows the text instead of running it.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}
