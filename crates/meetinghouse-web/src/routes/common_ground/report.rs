//! `GET /common-ground/{id}/report` — the opinion map and what it shows:
//! each group's representative statements (% agreeing inside and outside
//! the group), consensus, bridging and divisive statements, participation
//! over time; for hosts, the engine's technical notes on the last run.
//! `GET /common-ground/{id}/report.csv` — the same per statement. A group
//! of fewer than five people is named without its figures, on the page and
//! in the CSV (core withholds them: `GroupSummary::shows_figures`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use meetinghouse_core::common_ground::{self, Conversation, StatementVotes, Summary};
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

/// A statement as the report lists it.
struct Line {
    text: String,
    agree: String,
    disagree: String,
    votes: u32,
    /// Per group whose figures are shown: (label, swatch SVG, % agree of
    /// those in the group who voted).
    by_group: Vec<(String, String, String)>,
}

struct GroupView {
    label: String,
    size: usize,
    /// Fewer than five people: named, without its size or figures.
    small: bool,
    swatch: String,
    /// (statement text, "agree"/"disagree", % inside, % outside or "–")
    representative: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "common_ground/report.html")]
struct Report {
    page: Page,
    c: Conversation,
    analysed: Option<String>,
    /// People taking part, votes, people on the map, opinion groups (0 until there are two).
    figures: Option<(usize, usize, usize, usize)>,
    /// Whether the viewer's own position is on the map (and ringed).
    ringed: bool,
    /// Plain notes for everyone (few people on the map, …).
    notes: Vec<String>,
    /// The engine's diagnostics, for hosts only (empty for everyone else).
    technical: Vec<String>,
    map: String,
    timeline: String,
    groups: Vec<GroupView>,
    /// Whether some group's figures are withheld (the page says why).
    some_small: bool,
    consensus_agree: Vec<Line>,
    consensus_disagree: Vec<Line>,
    bridging: Vec<Line>,
    divisive: Vec<Line>,
}

fn line(s: &Summary, v: &StatementVotes, texts: &HashMap<i64, String>) -> Line {
    let seen = v.agree + v.disagree + v.pass;
    Line {
        text: texts.get(&v.statement).cloned().unwrap_or_default(),
        agree: share(v.agree, seen),
        disagree: share(v.disagree, seen),
        votes: seen,
        by_group: s
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.shows_figures())
            .map(|(gi, g)| {
                let t = v.by_group.get(gi).copied().flatten().unwrap_or_default();
                (g.label.clone(), draw::swatch(gi), share(t[0], t[2]))
            })
            .collect(),
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    let summary = common_ground::summary(&state.db, id).await?;
    let texts: HashMap<i64, String> = store::statements(&state.db, id).await?.into_iter().map(|s| (s.id, s.body)).collect();
    let me = common_ground::participant_id(&state.db, id, &participant(&viewer)).await?;
    let page = Page::new(&viewer, format!("Report: {}", c.row.topic));
    let mut report = Report {
        page,
        analysed: None,
        figures: None,
        ringed: false,
        notes: Vec::new(),
        technical: Vec::new(),
        map: String::new(),
        timeline: String::new(),
        groups: Vec::new(),
        some_small: false,
        consensus_agree: Vec::new(),
        consensus_disagree: Vec::new(),
        bridging: Vec::new(),
        divisive: Vec::new(),
        c,
    };
    if let Some(s) = &summary {
        report.analysed = Some(datetime(&s.computed_at));
        // One group is everyone on the map, not an opinion group: the report
        // speaks of groups from two on.
        let opinion_groups = if s.groups.len() >= 2 { s.groups.len() } else { 0 };
        report.figures = Some((s.participants, s.votes, s.in_conv, opinion_groups));
        report.ringed = s.is_on_map(me);
        report.notes = s.notes.clone();
        // Engine diagnostics mean something to whoever checks the map, and
        // only worry or confuse the people taking part.
        if report.c.viewer_hosts {
            report.technical = s.technical.clone();
        }
        report.map = draw::opinion_map(s, me);
        report.timeline = draw::timeline(s);
        report.groups = s
            .groups
            .iter()
            .enumerate()
            .map(|(gi, g)| GroupView {
                label: g.label.clone(),
                size: g.size,
                small: !g.shows_figures(),
                swatch: draw::swatch(gi),
                representative: g
                    .representative
                    .iter()
                    .take(5)
                    .map(|r| {
                        let outside = r.outside.map(pct).unwrap_or_else(|| "–".into());
                        (texts.get(&r.statement).cloned().unwrap_or_default(), r.direction.clone(), pct(r.inside), outside)
                    })
                    .collect(),
            })
            .take(opinion_groups)
            .collect();
        report.some_small = report.groups.iter().any(|g| g.small);
        let pick = |ids: &[i64]| ids.iter().filter_map(|i| s.votes_of(*i)).map(|v| line(s, v, &texts)).collect::<Vec<_>>();
        report.consensus_agree = pick(&s.consensus_agree);
        report.consensus_disagree = pick(&s.consensus_disagree);
        if s.groups.len() >= 2 {
            report.bridging = s.bridging(5).into_iter().map(|v| line(s, v, &texts)).collect();
        }
        report.divisive = s.divisive(5).into_iter().map(|v| line(s, v, &texts)).collect();
    }
    let mut resp = render(&report);
    if me.is_some() {
        // Marks this browser's own position: never share it through the page cache.
        resp.extensions_mut().insert(crate::pagecache::Personal);
    }
    Ok(resp)
}

/// The report per statement as CSV: counts, bridging and division scores,
/// and the agreement in each group of at least five people (a smaller
/// group has no columns: they would be its few people's votes, for hosts
/// too). Hosts get every statement with its status;
/// everyone else only the accepted ones, as the pages show them (a statement
/// waiting for a host, or taken out, is not published by the CSV either).
pub async fn csv(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    let summary = common_ground::summary(&state.db, id).await?;
    let mut statements = store::statements(&state.db, id).await?;
    statements.retain(|s| c.viewer_hosts || s.status == "accepted");
    // Counts come from the votes themselves, so a statement taken out of the
    // conversation still shows the votes it had; the scores from the analysis.
    let counts = common_ground::vote_counts(&state.db, id).await?;
    let groups: Vec<(usize, String)> = summary
        .as_ref()
        .map(|s| s.groups.iter().enumerate().filter(|(_, g)| g.shows_figures()).map(|(gi, g)| (gi, g.label.clone())).collect())
        .unwrap_or_default();
    let mut out = String::from("statement_id,statement,status,seed,agree,disagree,pass,bridging,division,consensus");
    for (_, g) in &groups {
        out.push_str(&format!(",{g} agree,{g} disagree,{g} voted"));
    }
    out.push('\n');
    for s in &statements {
        let v = summary.as_ref().and_then(|x| x.votes_of(s.id)).cloned().unwrap_or_default();
        let [agree, disagree, pass] = counts.get(&s.id).copied().unwrap_or_default();
        let consensus = match &summary {
            Some(x) if x.consensus_agree.contains(&s.id) => "agree",
            Some(x) if x.consensus_disagree.contains(&s.id) => "disagree",
            _ => "",
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{:.6},{:.4},{}",
            s.id,
            csv_field(&s.body),
            s.status,
            s.is_seed,
            agree,
            disagree,
            pass,
            v.bridging,
            v.division,
            consensus
        ));
        for (gi, _) in &groups {
            let t = v.by_group.get(*gi).copied().flatten().unwrap_or_default();
            out.push_str(&format!(",{},{},{}", t[0], t[1], t[2]));
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
