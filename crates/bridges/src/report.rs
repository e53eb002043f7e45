//! A self-contained, accessible HTML report: plain-language findings first,
//! then SVG charts (each with a title, a description and a data table as its
//! text alternative). No scripts, fonts or images are loaded from anywhere.

use crate::analysis::Analysis;
use crate::graph::Csr;
use crate::layout::force_layout;
use std::fmt::Write;

/// Largest network drawn node by node; larger ones are drawn as a map of groups.
pub const MAX_DRAWN_NODES: usize = 5000;
const MAX_DRAWN_EDGES: usize = 20_000;
/// Groups drawn in the mixing-matrix heat map and listed in its table (the largest first).
pub const MAX_MATRIX_GROUPS: usize = 24;
/// Groups drawn in the E-I bar chart (the largest first); its table lists every group.
const MAX_BAR_GROUPS: usize = 60;

/// Colours with at least 3:1 contrast against white (WCAG non-text contrast),
/// distinguishable with the common colour-vision deficiencies.
const PALETTE: [&str; 8] = [
    "#0072B2", "#C0392B", "#007A5E", "#8E44AD", "#8A6100", "#1F5F8B", "#B8336A", "#4D5D00",
];
const OTHER: &str = "#6B6B6B";

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Two decimals, or "n/a" for a value that is undefined or not finite.
fn f2(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.2}"),
        _ => "n/a".to_owned(),
    }
}

/// Join names as "a, b and c".
fn and_list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        _ => format!(
            "{} and {}",
            items[..items.len() - 1].join(", "),
            items[items.len() - 1]
        ),
    }
}

/// "1 group", "3 groups".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn number_word(n: usize) -> String {
    const W: [&str; 11] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    W.get(n).map_or(n.to_string(), |w| (*w).to_owned())
}

/// Groups by size, largest first.
fn groups_by_size(a: &Analysis) -> Vec<usize> {
    let mut g: Vec<usize> = (0..a.group_names.len()).collect();
    g.sort_by(|&x, &y| {
        a.group_sizes[y]
            .cmp(&a.group_sizes[x])
            .then(a.group_names[x].cmp(&a.group_names[y]))
    });
    g
}

fn colour_of(rank_of_group: &[usize], g: Option<u32>) -> &'static str {
    match g {
        Some(g) => {
            let r = rank_of_group[g as usize];
            if r < PALETTE.len() { PALETTE[r] } else { OTHER }
        }
        None => OTHER,
    }
}

/// Plain-language findings, most important first.
pub fn findings(a: &Analysis) -> Vec<String> {
    let mut out = Vec::new();
    let name = |g: usize| a.group_names[g].clone();
    if a.graph.n == 0 {
        out.push("The input has no people and no ties, so there is nothing to measure.".to_owned());
        return out;
    }
    if let (Some(mix), Some(ei)) = (&a.mixing, a.ei_index) {
        let (i, e) = (mix.internal(), mix.external());
        let cross = e / (i + e);
        // what is said agrees with the two decimals shown: -0.004 is "0.00", about as many
        let ei = if ei.abs() < 0.005 { 0.0 } else { ei };
        let verdict = if ei < -0.5 {
            "groups mostly talk among themselves"
        } else if ei < 0.0 {
            "more ties stay inside groups than cross them"
        } else if ei == 0.0 {
            "about as many ties cross group lines as stay inside"
        } else {
            "ties cross group lines more often than they stay inside"
        };
        out.push(format!("{} of ties between people with a known group cross group lines (E-I index {ei:.2}): {verdict}.", pct(cross)));
        let mut order: Vec<usize> = (0..mix.k)
            .filter(|&g| a.external_share[g].is_some())
            .collect();
        order.sort_by(|&x, &y| {
            a.external_share[x]
                .unwrap_or(0.0)
                .total_cmp(&a.external_share[y].unwrap_or(0.0))
                .then(a.group_names[x].cmp(&a.group_names[y]))
        });
        for &g in order.iter().take(12) {
            let inside = 1.0 - a.external_share[g].unwrap_or(0.0);
            out.push(format!(
                "{}: {} of its ties stay inside {}.",
                name(g),
                pct(inside),
                name(g)
            ));
        }
    } else if a.group_names.is_empty() {
        out.push("No groups were given, so group measures (E-I index, mixing) are not available; the communities found in the network are shown instead.".to_owned());
    }
    if !a.isolated_groups.is_empty() {
        let names: Vec<String> = a.isolated_groups.iter().map(|&g| name(g)).collect();
        let verb = if names.len() == 1 {
            "is a silo"
        } else {
            "are silos"
        };
        out.push(format!(
            "{} {verb}: fewer than {} of {} ties leave the group.",
            and_list(&names),
            pct(a.isolation_threshold),
            if names.len() == 1 { "its" } else { "their" }
        ));
    }
    for p in a.pair_brokers.iter().take(5) {
        let people: Vec<String> = p.nodes.iter().map(|&(v, _)| a.names[v].clone()).collect();
        if people.is_empty() {
            continue;
        }
        let subject = if people.len() == 1 {
            "This person connects".to_owned()
        } else {
            format!("These {} people connect", number_word(people.len()))
        };
        out.push(format!(
            "{subject} {} and {}: {}.",
            name(p.a),
            name(p.b),
            and_list(&people)
        ));
    }
    if let Some(b) = a.brokers.first()
        && b.betweenness > 0.0
    {
        let share = if b.betweenness >= 0.01 {
            pct(b.betweenness)
        } else {
            format!("{:.2}%", b.betweenness * 100.0)
        };
        match &a.betweenness {
            Some(est) if !est.exact => out.push(format!(
                "{} is the strongest bridge overall: on an estimated {share} of the shortest paths between other people \
                 (estimated from {} sampled people: with probability {:.0}% within ±{} percentage points).",
                a.names[b.node],
                est.sources,
                (1.0 - est.delta) * 100.0,
                points(est.epsilon)
            )),
            _ => out.push(format!(
                "{} is the strongest bridge overall: on {share} of the shortest paths between other people.",
                a.names[b.node]
            )),
        }
    }
    if a.graph.m > 0 {
        let measured = format!("modularity {}{}", f2(a.communities.modularity), quality_note(a));
        let found = if a.communities.count == 1 {
            format!("The network is one community: it does not split further ({measured}).")
        } else {
            format!(
                "The network splits most naturally into {} communities ({measured}).",
                a.communities.count
            )
        };
        let compare = match (a.nmi_groups_vs_communities, a.modularity_of_groups) {
            (Some(nmi), _) if nmi >= 0.8 => {
                " They follow the groups closely: the groups really are separate clusters."
            }
            (Some(nmi), _) if nmi >= 0.4 => {
                " They only partly follow the groups: some groups mix, or split further."
            }
            (Some(_), _) => {
                " They cut across the groups: group lines are not where the network divides."
            }
            _ => "",
        };
        out.push(format!("{found}{compare}"));
    }
    if a.windows.len() >= 2 {
        let with: Vec<&crate::analysis::WindowStats> =
            a.windows.iter().filter(|w| w.ei_index.is_some()).collect();
        if let (Some(f), Some(l)) = (with.first(), with.last())
            && with.len() >= 2
        {
            let (x, y) = (f.ei_index.unwrap_or(0.0), l.ei_index.unwrap_or(0.0));
            let trend = if y - x > 0.05 {
                "silos are opening"
            } else if x - y > 0.05 {
                "groups are closing in on themselves"
            } else {
                "little change"
            };
            out.push(format!(
                "From {} to {} the E-I index went from {x:.2} to {y:.2}: {trend}.",
                f.label, l.label
            ));
        }
    }
    if a.components > 1 {
        out.push(format!(
            "The network falls into {} separate parts; the largest holds {} of {} people{}.",
            a.components,
            a.largest_component,
            a.graph.n,
            if a.isolates > 0 {
                format!(", and {} no ties at all", count(a.isolates, "person has", "people have"))
            } else {
                String::new()
            }
        ));
    }
    out
}

/// Percentage points of a share, with as many decimals as it needs (±0.05 → "5", ±0.0012 → "0.12").
fn points(share: f64) -> String {
    let p = share * 100.0;
    if p >= 10.0 {
        format!("{p:.0}")
    } else if p >= 1.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.2}")
    }
}

/// After "modularity 0.42": the optimised objective's own value when it is
/// not standard modularity (another resolution, or CPM), named as such.
fn quality_note(a: &Analysis) -> String {
    let q = a.quality().filter(|q| q.is_finite());
    match (a.objective, q) {
        (crate::community::Objective::Modularity { resolution }, Some(q)) if resolution != 1.0 => {
            format!("; the quality optimised, modularity at resolution {resolution}, is {q:.2}")
        }
        (crate::community::Objective::Cpm { resolution }, Some(q)) => {
            format!("; the quality optimised, CPM at resolution {resolution}, is {}", fmt_quality(q))
        }
        _ => String::new(),
    }
}

/// A CPM quality (in tie units, as large as the ties): two decimals up to a million, then in powers of ten.
fn fmt_quality(q: f64) -> String {
    if q.abs() < 1e6 { format!("{q:.2}") } else { format!("{q:.3e}") }
}

/// Render the whole report.
pub fn render(a: &Analysis, title: &str, seed: u64) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let order = groups_by_size(a);
    let mut rank = vec![0usize; a.group_names.len()];
    for (r, &g) in order.iter().enumerate() {
        rank[g] = r;
    }
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; background: #ffffff; line-height: 1.5; max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }}
h1, h2 {{ line-height: 1.2; }}
h2 {{ margin-top: 2.5rem; border-top: 1px solid #c8c8c8; padding-top: 1rem; }}
figure {{ margin: 1rem 0; }}
figcaption {{ color: #333333; font-size: 0.95rem; }}
svg {{ max-width: 100%; height: auto; }}
svg text {{ font-family: system-ui, sans-serif; fill: #1a1a1a; }}
table {{ border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }}
th, td {{ border: 1px solid #b0b0b0; padding: 0.2rem 0.5rem; text-align: right; }}
th[scope="row"], thead th:first-child {{ text-align: left; }}
details {{ margin: 0.5rem 0 1rem; }}
summary {{ cursor: pointer; color: #0b4f8a; }}
.findings li {{ margin: 0.3rem 0; }}
.legend {{ display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; padding: 0; list-style: none; }}
.swatch {{ display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 50%; vertical-align: middle; margin-right: 0.3rem; }}
.muted {{ color: #4a4a4a; }}
a {{ color: #0b4f8a; }}
</style>
</head>
<body>
<main>
<h1>{t}</h1>
<p>{n}, {m}{dir}, {k}. Read the findings first; each chart below has its numbers in a table.</p>
"#,
        t = esc(title),
        n = count(a.graph.n, "person", "people"),
        m = count(a.graph.m, "tie", "ties"),
        dir = if a.graph.directed { " (directed)" } else { "" },
        k = count(a.group_names.len(), "group", "groups"),
    );

    h.push_str("<section aria-labelledby=\"findings\">\n<h2 id=\"findings\">What the network shows</h2>\n<ul class=\"findings\">\n");
    for f in findings(a) {
        let _ = writeln!(h, "<li>{}</li>", esc(&f));
    }
    h.push_str("</ul>\n</section>\n");

    if let Some(mix) = &a.mixing {
        heatmap(&mut h, a, mix, &order);
        ei_bars(&mut h, a, &order);
    }
    network(&mut h, a, &rank, &order, seed);
    if !a.windows.is_empty() {
        over_time(&mut h, a, &order);
    }
    brokers(&mut h, a);
    method(&mut h, a);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn heatmap(h: &mut String, a: &Analysis, mix: &crate::measures::Mixing, order: &[usize]) {
    let shown: Vec<usize> = order.iter().copied().take(MAX_MATRIX_GROUPS).collect();
    let k = shown.len();
    let cell = 44.0;
    let left = 150.0;
    let top = 130.0;
    let (w, ht) = (left + cell * k as f64 + 20.0, top + cell * k as f64 + 20.0);
    h.push_str("<section aria-labelledby=\"mixing\">\n<h2 id=\"mixing\">Who is tied to whom: the mixing matrix</h2>\n");
    h.push_str("<p>Each row is a group; each cell is the number of ties from that group to the group in the column. Darker cells hold a larger share of the row's ties. A dark diagonal means groups keep to themselves.</p>\n");
    let _ = writeln!(
        h,
        "<figure><svg viewBox=\"0 0 {w:.0} {ht:.0}\" width=\"{w:.0}\" role=\"img\" aria-labelledby=\"mx-t mx-d\"><title id=\"mx-t\">Mixing matrix heat map</title><desc id=\"mx-d\">Ties between {k} groups; the same numbers are in the table below.</desc>"
    );
    for (j, &g) in shown.iter().enumerate() {
        let x = left + cell * j as f64 + cell / 2.0;
        let _ = writeln!(
            h,
            "<text transform=\"translate({x:.1},{:.1}) rotate(-45)\" font-size=\"12\">{}</text>",
            top - 8.0,
            esc(&truncate(&a.group_names[g], 18))
        );
    }
    for (i, &r) in shown.iter().enumerate() {
        let y = top + cell * i as f64;
        let _ = writeln!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            y + cell / 2.0 + 4.0,
            esc(&truncate(&a.group_names[r], 20))
        );
        let row_total = mix.row_total(r);
        for (j, &c) in shown.iter().enumerate() {
            let v = mix.get(r, c);
            let share = if row_total > 0.0 { v / row_total } else { 0.0 };
            let (fill, text) = blue_scale(share);
            let x = left + cell * j as f64;
            let _ = writeln!(
                h,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#ffffff\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" style=\"fill:{text}\">{}</text>",
                x + cell / 2.0,
                y + cell / 2.0 + 4.0,
                fmt_w(v)
            );
        }
    }
    h.push_str("</svg>\n");
    if shown.len() < mix.k {
        let _ = writeln!(
            h,
            "<figcaption>The {} largest of {} groups are drawn.</figcaption>",
            shown.len(),
            mix.k
        );
    } else {
        h.push_str(
            "<figcaption>Counts of ties between groups (rows: from; columns: to).</figcaption>\n",
        );
    }
    // the table has the same groups as the heat map: k × k cells for thousands of groups would be
    // millions of cells (the JSON output has every non-zero cell)
    h.push_str("</figure>\n<details><summary>Mixing matrix as a table</summary>");
    if shown.len() < mix.k {
        let _ = writeln!(
            h,
            "<p>The {} largest of {} groups; the ties of every group to all others are in the table of E-I indices, and every non-zero cell is in the JSON output.</p>",
            shown.len(),
            mix.k
        );
    }
    h.push_str("<table><thead><tr><th scope=\"col\">group</th>");
    for &g in &shown {
        let _ = write!(h, "<th scope=\"col\">{}</th>", esc(&a.group_names[g]));
    }
    h.push_str("</tr></thead><tbody>\n");
    for &r in &shown {
        let _ = write!(h, "<tr><th scope=\"row\">{}</th>", esc(&a.group_names[r]));
        for &c in &shown {
            let _ = write!(h, "<td>{}</td>", fmt_w(mix.get(r, c)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></details>\n</section>\n");
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn fmt_w(x: f64) -> String {
    if !x.is_finite() {
        "n/a".to_owned()
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Light-to-dark blue for a share in [0, 1], with a text colour that keeps 4.5:1 contrast.
fn blue_scale(share: f64) -> (String, &'static str) {
    let s = share.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * s).round() as u8;
    let (r, g, b) = (lerp(240.0, 8.0), lerp(246.0, 48.0), lerp(252.0, 107.0));
    let text = if s > 0.45 { "#ffffff" } else { "#1a1a1a" };
    (format!("#{r:02x}{g:02x}{b:02x}"), text)
}

fn ei_bars(h: &mut String, a: &Analysis, order: &[usize]) {
    let drawn = &order[..order.len().min(MAX_BAR_GROUPS)];
    let k = drawn.len();
    let row = 26.0;
    let left = 170.0;
    let width = 400.0;
    let top = 30.0;
    let ht = top + row * k as f64 + 30.0;
    let x0 = left + width / 2.0;
    h.push_str("<section aria-labelledby=\"ei\">\n<h2 id=\"ei\">Inward or outward: the E-I index of each group</h2>\n");
    h.push_str("<p>The E-I index runs from −1 (every tie stays inside the group) to +1 (every tie goes to another group). Bars to the left of the middle line mean a group talks more to itself than to others.</p>\n");
    let _ = writeln!(
        h,
        "<figure><svg viewBox=\"0 0 {:.0} {ht:.0}\" width=\"{:.0}\" role=\"img\" aria-labelledby=\"ei-t ei-d\"><title id=\"ei-t\">E-I index by group</title><desc id=\"ei-d\">One horizontal bar per group from −1 to +1; the values are in the table below.</desc>",
        left + width + 80.0,
        left + width + 80.0
    );
    let _ = writeln!(
        h,
        "<text x=\"{left}\" y=\"18\" font-size=\"12\">−1 inward</text><text x=\"{:.0}\" y=\"18\" font-size=\"12\" text-anchor=\"end\">outward +1</text>",
        left + width
    );
    for (i, &g) in drawn.iter().enumerate() {
        let y = top + row * i as f64;
        let _ = writeln!(
            h,
            "<text x=\"{:.0}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            y + row / 2.0 + 4.0,
            esc(&truncate(&a.group_names[g], 22))
        );
        if let Some(v) = a.ei_by_group.get(g).copied().flatten() {
            let x1 = x0 + v * width / 2.0;
            let (x, w) = if v < 0.0 {
                (x1, x0 - x1)
            } else {
                (x0, x1 - x0)
            };
            let fill = if v < 0.0 { "#B8336A" } else { "#0072B2" };
            let _ = writeln!(
                h,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/>",
                y + 4.0,
                w.max(1.0),
                row - 8.0
            );
            let _ = writeln!(
                h,
                "<text x=\"{:.0}\" y=\"{:.1}\" font-size=\"12\">{v:.2}</text>",
                left + width + 8.0,
                y + row / 2.0 + 4.0
            );
        } else {
            let _ = writeln!(
                h,
                "<text x=\"{:.0}\" y=\"{:.1}\" font-size=\"12\">no ties</text>",
                left + width + 8.0,
                y + row / 2.0 + 4.0
            );
        }
    }
    let _ = writeln!(
        h,
        "<line x1=\"{x0}\" y1=\"{:.0}\" x2=\"{x0}\" y2=\"{:.0}\" stroke=\"#1a1a1a\"/>",
        top - 4.0,
        top + row * k as f64
    );
    h.push_str("</svg><figcaption>Overall E-I index: ");
    h.push_str(&esc(&f2(a.ei_index)));
    if k < order.len() {
        let _ = write!(
            h,
            ". The {k} largest of {} groups are drawn; the table has them all",
            order.len()
        );
    }
    h.push_str(".</figcaption></figure>\n<details><summary>E-I index by group as a table</summary><table><thead><tr><th scope=\"col\">group</th><th scope=\"col\">people</th><th scope=\"col\">ties inside</th><th scope=\"col\">ties to other groups</th><th scope=\"col\">share inside</th><th scope=\"col\">E-I index</th></tr></thead><tbody>\n");
    if let Some(mix) = &a.mixing {
        for &g in order {
            let (i, e) = mix.group_ties(g);
            let share = if i + e > 0.0 {
                pct(i / (i + e))
            } else {
                "n/a".into()
            };
            let _ = writeln!(
                h,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{share}</td><td>{}</td></tr>",
                esc(&a.group_names[g]),
                a.group_sizes[g],
                fmt_w(i),
                fmt_w(e),
                f2(a.ei_by_group[g])
            );
        }
    }
    h.push_str("</tbody></table></details>\n</section>\n");
}

fn legend(h: &mut String, a: &Analysis, order: &[usize]) {
    h.push_str("<ul class=\"legend\" aria-label=\"Colour key\">");
    for (r, &g) in order.iter().enumerate().take(PALETTE.len()) {
        let _ = write!(
            h,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{}</li>",
            PALETTE[r],
            esc(&a.group_names[g])
        );
    }
    if order.len() > PALETTE.len() || a.group_of.iter().any(Option::is_none) {
        let _ = write!(
            h,
            "<li><span class=\"swatch\" style=\"background:{OTHER}\"></span>other or no group</li>"
        );
    }
    h.push_str("</ul>\n");
}

fn network(h: &mut String, a: &Analysis, rank: &[usize], order: &[usize], seed: u64) {
    let g = &a.graph;
    let size = 640.0;
    let pad = 16.0;
    h.push_str("<section aria-labelledby=\"net\">\n<h2 id=\"net\">The network</h2>\n");
    if g.n == 0 {
        h.push_str("<p>There is nothing to draw.</p></section>\n");
        return;
    }
    // colour by group; without groups, by community
    let by_group = !a.group_names.is_empty();
    let comm_groups: Vec<Option<u32>>;
    let (colour_groups, colour_rank): (&[Option<u32>], Vec<usize>) = if by_group {
        (&a.group_of, rank.to_vec())
    } else {
        comm_groups = a.communities.membership.iter().map(|&c| Some(c)).collect();
        (&comm_groups, (0..a.communities.count).collect())
    };
    if g.n <= MAX_DRAWN_NODES {
        let pos = force_layout(g.und(), 250, seed);
        let p = |v: usize| {
            (
                pad + pos[v].0 * (size - 2.0 * pad),
                pad + pos[v].1 * (size - 2.0 * pad),
            )
        };
        let _ = writeln!(
            h,
            "<p>Each dot is a person, placed so that people with ties are drawn together (a force-directed layout, seed {seed}). Colour shows the {}. Clusters of one colour are silos; dots between clusters are bridges.</p>",
            if by_group {
                "group"
            } else {
                "community found in the network (no groups were given)"
            }
        );
        let _ = writeln!(
            h,
            "<figure><svg viewBox=\"0 0 {size} {size}\" width=\"{size}\" role=\"img\" aria-labelledby=\"nw-t nw-d\"><title id=\"nw-t\">Network drawing coloured by {}</title><desc id=\"nw-d\">{} people and {} ties. The strongest bridges are listed in the table of brokers.</desc>",
            if by_group { "group" } else { "community" },
            g.n,
            g.m
        );
        h.push_str("<g stroke=\"#9a9a9a\" stroke-opacity=\"0.45\" stroke-width=\"0.6\">");
        let step = (g.m / MAX_DRAWN_EDGES).max(1);
        let mut i = 0usize;
        g.for_each_edge(|u, v, _| {
            if i.is_multiple_of(step) {
                let (a1, b1) = p(u);
                let (a2, b2) = p(v);
                let _ = write!(
                    h,
                    "<line x1=\"{a1:.1}\" y1=\"{b1:.1}\" x2=\"{a2:.1}\" y2=\"{b2:.1}\"/>"
                );
            }
            i += 1;
        });
        h.push_str("</g>\n<g stroke=\"#ffffff\" stroke-width=\"0.5\">");
        let r = if g.n > 1000 {
            2.0
        } else if g.n > 200 {
            3.5
        } else {
            6.0
        };
        for (v, &colour_group) in colour_groups[..g.n].iter().enumerate() {
            let (x, y) = p(v);
            let c = colour_of(&colour_rank, colour_group);
            let label = match a.group_of[v] {
                Some(gr) => format!("{} ({})", a.names[v], a.group_names[gr as usize]),
                None => a.names[v].clone(),
            };
            let _ = write!(
                h,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\" fill=\"{c}\"><title>{}</title></circle>",
                esc(&label)
            );
        }
        h.push_str("</g></svg>\n");
        if step > 1 {
            let _ = writeln!(
                h,
                "<figcaption>One tie in {step} is drawn to keep the file small.</figcaption>"
            );
        }
        h.push_str("</figure>\n");
        if by_group {
            legend(h, a, order);
        }
    } else if let Some(mix) = &a.mixing {
        // a map of groups: circles sized by people, lines by ties
        let shown: Vec<usize> = order.iter().copied().take(MAX_MATRIX_GROUPS).collect();
        let k = shown.len();
        let _ = writeln!(
            h,
            "<p>With {} people the network is too large to draw person by person, so this map shows the groups: circle size is the number of people, line width the number of ties between groups.</p>",
            g.n
        );
        let _ = writeln!(
            h,
            "<figure><svg viewBox=\"0 0 {size} {size}\" width=\"{size}\" role=\"img\" aria-labelledby=\"nw-t nw-d\"><title id=\"nw-t\">Map of groups</title><desc id=\"nw-d\">{k} groups on a circle, joined by lines as thick as their ties.</desc>"
        );
        let c = size / 2.0;
        let rad = size / 2.0 - 90.0;
        let at = |i: usize| {
            let t = i as f64 / k.max(1) as f64 * std::f64::consts::TAU;
            (c + rad * t.cos(), c + rad * t.sin())
        };
        let maxw = (0..k)
            .flat_map(|i| (0..k).map(move |j| (i, j)))
            .filter(|(i, j)| i < j)
            .map(|(i, j)| mix.get(shown[i], shown[j]))
            .fold(0.0, f64::max);
        for i in 0..k {
            for j in (i + 1)..k {
                let w = mix.get(shown[i], shown[j]);
                if w > 0.0 && maxw > 0.0 {
                    let (x1, y1) = at(i);
                    let (x2, y2) = at(j);
                    let _ = writeln!(
                        h,
                        "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#7a7a7a\" stroke-opacity=\"0.6\" stroke-width=\"{:.1}\"/>",
                        1.0 + 11.0 * w / maxw
                    );
                }
            }
        }
        let maxs = shown
            .iter()
            .map(|&s| a.group_sizes[s])
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        for (i, &s) in shown.iter().enumerate() {
            let (x, y) = at(i);
            let r = 6.0 + 30.0 * (a.group_sizes[s] as f64 / maxs).sqrt();
            let _ = writeln!(
                h,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{}\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{}</text>",
                colour_of(rank, Some(s as u32)),
                y + r + 14.0,
                esc(&truncate(&a.group_names[s], 18))
            );
        }
        h.push_str("</svg></figure>\n");
    } else {
        let _ = writeln!(
            h,
            "<p>With {} people and no groups, the network is too large to draw; see the communities and brokers below.</p>",
            g.n
        );
    }
    h.push_str("</section>\n");
}

fn over_time(h: &mut String, a: &Analysis, order: &[usize]) {
    let w = &a.windows;
    let (width, height, left, top, bottom) = (640.0, 300.0, 50.0, 20.0, 50.0);
    let plot_w = width - left - 20.0;
    let plot_h = height - top - bottom;
    let n = w.len();
    let x = |i: usize| {
        left + if n > 1 {
            plot_w * i as f64 / (n - 1) as f64
        } else {
            plot_w / 2.0
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - (v + 1.0) / 2.0);
    h.push_str("<section aria-labelledby=\"time\">\n<h2 id=\"time\">Change over time</h2>\n<p>The E-I index month by month: a line rising towards +1 means ties are crossing group lines more often — silos opening.</p>\n");
    let _ = writeln!(
        h,
        "<figure><svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" role=\"img\" aria-labelledby=\"tm-t tm-d\"><title id=\"tm-t\">E-I index per month</title><desc id=\"tm-d\">{n} months from {} to {}; the values are in the table below.</desc>",
        esc(&w[0].label),
        esc(&w[n - 1].label)
    );
    for v in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let _ = writeln!(
            h,
            "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{}\"/><text x=\"{:.0}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{v:+.1}</text>",
            y(v),
            left + plot_w,
            y(v),
            if v == 0.0 { "#1a1a1a" } else { "#d0d0d0" },
            left - 6.0,
            y(v) + 4.0
        );
    }
    let label_every = (n / 8).max(1);
    for (i, win) in w.iter().enumerate() {
        if i % label_every == 0 || i == n - 1 {
            let _ = writeln!(
                h,
                "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
                x(i),
                height - bottom + 18.0,
                esc(&win.label)
            );
        }
    }
    let mut line = |vals: Vec<Option<f64>>, colour: &str, wdt: f64, dash: &str| {
        let mut d = String::new();
        let mut pen = false;
        for (i, v) in vals.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if pen { "L" } else { "M" },
                        x(i),
                        y(*v)
                    );
                    pen = true;
                }
                None => pen = false,
            }
        }
        let _ = writeln!(
            h,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{wdt}\" stroke-dasharray=\"{dash}\"/>"
        );
        for (i, v) in vals.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    h,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\" fill=\"{colour}\"/>",
                    x(i),
                    y(*v),
                    wdt + 1.0
                );
            }
        }
    };
    let groups_drawn: Vec<usize> = order.iter().copied().take(5).collect();
    for (r, &g) in groups_drawn.iter().enumerate() {
        line(
            w.iter()
                .map(|x| x.ei_by_group.get(g).copied().flatten())
                .collect(),
            PALETTE[r],
            1.5,
            "4 3",
        );
    }
    line(
        w.iter().map(|x| x.ei_index).collect(),
        "#1a1a1a",
        3.0,
        "none",
    );
    h.push_str("</svg><figcaption>Thick black line: all groups together. Dashed lines: the largest groups, coloured as in the network drawing.</figcaption></figure>\n");
    h.push_str("<details><summary>Change over time as a table</summary><table><thead><tr><th scope=\"col\">month</th><th scope=\"col\">ties</th><th scope=\"col\">active people</th><th scope=\"col\">E-I index</th><th scope=\"col\">assortativity</th>");
    for &g in &groups_drawn {
        let _ = write!(h, "<th scope=\"col\">E-I {}</th>", esc(&a.group_names[g]));
    }
    h.push_str("</tr></thead><tbody>\n");
    for win in w {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&win.label),
            win.edges,
            win.active_nodes,
            f2(win.ei_index),
            f2(win.assortativity)
        );
        for &g in &groups_drawn {
            let _ = write!(
                h,
                "<td>{}</td>",
                f2(win.ei_by_group.get(g).copied().flatten())
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></details>\n</section>\n");
}

fn brokers(h: &mut String, a: &Analysis) {
    h.push_str("<section aria-labelledby=\"brokers\">\n<h2 id=\"brokers\">Bridges: who connects the groups</h2>\n");
    let _ = writeln!(
        h,
        "<p><strong>Betweenness</strong> is the share of shortest paths between other people that pass through someone. <strong>Participation</strong> runs from 0 (all of a person's ties are in one {basis}) to near 1 (ties spread evenly over many {basis}s).</p>",
        basis = if a.participation_basis == "groups" {
            "group"
        } else {
            "community"
        }
    );
    if let Some(b) = &a.betweenness
        && !b.exact
    {
        let _ = writeln!(
            h,
            "<p class=\"muted\">Betweenness was estimated from {} sampled people; with probability {:.0}% every value is within ±{:.3} of the exact one.</p>",
            b.sources,
            (1.0 - b.delta) * 100.0,
            b.epsilon
        );
    }
    h.push_str("<table><thead><tr><th scope=\"col\">person</th><th scope=\"col\">group</th><th scope=\"col\">betweenness</th><th scope=\"col\">participation</th><th scope=\"col\">ties</th></tr></thead><tbody>\n");
    for b in &a.brokers {
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{:.3}</td><td>{:.2}</td><td>{}</td></tr>",
            esc(&a.names[b.node]),
            a.group_of[b.node].map_or("—".to_owned(), |g| esc(&a.group_names[g as usize])),
            b.betweenness,
            b.participation,
            a.graph.degree(b.node)
        );
    }
    h.push_str("</tbody></table>\n");
    if !a.pair_brokers.is_empty() {
        h.push_str("<h3>Pairs of groups and the people between them</h3>\n<table><thead><tr><th scope=\"col\">groups</th><th scope=\"col\">ties between them</th><th scope=\"col\">people carrying most of those ties</th></tr></thead><tbody>\n");
        for p in &a.pair_brokers {
            let people: Vec<String> = p
                .nodes
                .iter()
                .map(|&(v, w)| format!("{} ({})", esc(&a.names[v]), fmt_w(w)))
                .collect();
            let _ = writeln!(
                h,
                "<tr><th scope=\"row\">{} – {}</th><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
                esc(&a.group_names[p.a]),
                esc(&a.group_names[p.b]),
                fmt_w(p.ties),
                people.join(", ")
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

fn method(h: &mut String, a: &Analysis) {
    h.push_str("<section aria-labelledby=\"method\">\n<h2 id=\"method\">How this was measured</h2>\n<ul>\n");
    let _ = writeln!(
        h,
        "<li>The ties were read as {} and {}; self-ties were dropped and repeated ties {}.</li>",
        if a.graph.directed {
            "directed"
        } else {
            "undirected"
        },
        if a.graph.weighted {
            "weighted"
        } else {
            "unweighted"
        },
        if a.graph.weighted {
            "added up"
        } else {
            "counted once"
        }
    );
    let _ = writeln!(
        h,
        "<li>E-I index (Krackhardt &amp; Stern): ties to other groups minus ties inside, divided by all ties. Assortativity (Newman): {}; modularity of the groups: {}.</li>",
        f2(a.assortativity),
        f2(a.modularity_of_groups)
    );
    let _ = writeln!(
        h,
        "<li>Communities: {} optimising {} (resolution {}), {}, modularity {}{}; agreement with the groups (normalised mutual information) {}.</li>",
        if a.algorithm == crate::community::Algorithm::Leiden {
            "Leiden algorithm"
        } else {
            "Louvain algorithm"
        },
        match a.objective {
            crate::community::Objective::Modularity { .. } => "modularity",
            crate::community::Objective::Cpm { .. } => "the constant Potts model (CPM)",
        },
        if a.resolution.is_finite() {
            a.resolution.to_string()
        } else {
            "n/a".to_owned()
        },
        count(a.communities.count, "community", "communities"),
        f2(a.communities.modularity),
        esc(&quality_note(a)),
        f2(a.nmi_groups_vs_communities)
    );
    let _ = writeln!(
        h,
        "<li>Structure: {} connected part(s), the largest with {}; {} without ties; reciprocity {}.</li>",
        a.components,
        count(a.largest_component, "person", "people"),
        count(a.isolates, "person", "people"),
        f2(a.reciprocity)
    );
    h.push_str("</ul>\n");
    if !a.diagnostics.is_empty() {
        h.push_str("<h3>Notes on the input</h3>\n<ul>\n");
        for d in &a.diagnostics {
            let _ = writeln!(h, "<li>{}</li>", esc(&d.message));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

/// Used by tests: the CSR drawn (undirected view).
pub fn drawn_graph(a: &Analysis) -> &Csr {
    a.graph.und()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_are_not_finite_print_as_not_available() {
        assert_eq!(f2(Some(0.4198)), "0.42");
        assert_eq!(f2(None), "n/a");
        assert_eq!(f2(Some(f64::NAN)), "n/a");
        assert_eq!(f2(Some(f64::INFINITY)), "n/a");
        assert_eq!(f2(Some(f64::NEG_INFINITY)), "n/a");
        assert_eq!(fmt_w(f64::INFINITY), "n/a");
        assert_eq!(fmt_w(3.0), "3");
    }
}
