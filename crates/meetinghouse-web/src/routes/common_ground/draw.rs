//! SVG drawings for the report: the opinion map and participation over time.
//! Drawn on the server as inline SVG with presentation attributes (no inline
//! styles, so the strict CSP holds), each with a title and description for
//! screen readers. Groups differ by shape as well as colour.

use std::fmt::Write;

use meetinghouse_core::common_ground::Summary;

/// Group colours (Okabe–Ito based, each at least 3:1 against the page).
pub const PALETTE: [&str; 5] = ["#0072B2", "#C2410C", "#007A5E", "#A3367A", "#5B4FA8"];
/// Group shapes, in the same order, so colour is never the only cue.
pub const SHAPES: [&str; 5] = ["circle", "square", "triangle", "diamond", "cross"];

/// Most points drawn; a larger conversation is thinned evenly (and says so).
const MAX_POINTS: usize = 5000;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One marker of `shape` centred at (x, y) with radius r.
pub fn marker(out: &mut String, shape: &str, x: f64, y: f64, r: f64, fill: &str) {
    let _ = match shape {
        "square" => write!(out, r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"/>"#, x - r, y - r, 2.0 * r, 2.0 * r),
        "triangle" => write!(
            out,
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{fill}"/>"#,
            x,
            y - r * 1.2,
            x - r * 1.1,
            y + r * 0.8,
            x + r * 1.1,
            y + r * 0.8
        ),
        "diamond" => write!(
            out,
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{fill}"/>"#,
            x,
            y - r * 1.3,
            x + r * 1.3,
            y,
            x,
            y + r * 1.3,
            x - r * 1.3,
            y
        ),
        "cross" => write!(
            out,
            r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="{fill}" stroke-width="2.2"/>"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
        _ => write!(out, r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{fill}"/>"#),
    };
}

/// A small legend swatch for a group.
pub fn swatch(group: usize) -> String {
    let mut s = String::from(r#"<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">"#);
    marker(&mut s, SHAPES[group % SHAPES.len()], 8.0, 8.0, 5.0, PALETTE[group % PALETTE.len()]);
    s.push_str("</svg>");
    s
}

/// The opinion map: every placed participant as a dot in their group's
/// colour and shape, the viewer's own position ringed and labelled "You".
pub fn opinion_map(s: &Summary, me: Option<i64>) -> String {
    let (w, h, pad) = (480.0, 360.0, 24.0);
    let pts = &s.points;
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in pts {
        x0 = x0.min(p.x);
        x1 = x1.max(p.x);
        y0 = y0.min(p.y);
        y1 = y1.max(p.y);
    }
    let span = |a: f64, b: f64| if b - a > 1e-9 { b - a } else { 1.0 };
    let (sx, sy) = (span(x0, x1), span(y0, y1));
    let px = |x: f64| if pts.len() < 2 || x1 - x0 <= 1e-9 { w / 2.0 } else { pad + (x - x0) / sx * (w - 2.0 * pad) };
    let py = |y: f64| if pts.len() < 2 || y1 - y0 <= 1e-9 { h / 2.0 } else { pad + (y - y0) / sy * (h - 2.0 * pad) };
    // A group of fewer than five is named without its size, as on the page.
    let sizes: Vec<String> = s
        .groups
        .iter()
        .map(|g| if g.shows_figures() { format!("{} with {} people", g.label, g.size) } else { format!("{}, a group of fewer than five", g.label) })
        .collect();
    let mut desc = format!(
        "{} {} placed by how they voted; people who voted alike are close together. ",
        s.points.len(),
        if s.points.len() == 1 { "person is" } else { "people are" }
    );
    // One group is no grouping: the page says "no groups of opinion yet" then.
    if sizes.len() < 2 {
        desc.push_str("No groups yet.");
    } else {
        let _ = write!(desc, "{} groups: {}.", s.groups.len(), sizes.join("; "));
    }
    let stride = pts.len().div_ceil(MAX_POINTS).max(1);
    if stride > 1 {
        let _ = write!(desc, " One in every {stride} people is drawn.");
    }
    if s.is_on_map(me) {
        desc.push_str(" Your own position is ringed and labelled “You”.");
    }
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="map-title map-desc"><title id="map-title">Opinion map</title><desc id="map-desc">{}</desc>"#,
        esc(&desc)
    );
    let _ = write!(out, r##"<rect x="0.5" y="0.5" width="{}" height="{}" fill="#ffffff" stroke="#c9c5ba"/>"##, w - 1.0, h - 1.0);
    let mut mine = None;
    for (i, p) in pts.iter().enumerate() {
        if Some(p.participant) == me {
            mine = Some((px(p.x), py(p.y)));
        }
        if i % stride != 0 {
            continue;
        }
        let (colour, shape) = match p.group {
            Some(g) => (PALETTE[g % PALETTE.len()], SHAPES[g % SHAPES.len()]),
            None => ("#77736a", "circle"),
        };
        marker(&mut out, shape, px(p.x), py(p.y), 3.5, colour);
    }
    if let Some((x, y)) = mine {
        let _ = write!(
            out,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="10" fill="none" stroke="#1d1d1f" stroke-width="2.5"/><text x="{:.1}" y="{:.1}" font-size="14" font-weight="700" fill="#1d1d1f">You</text>"##,
            (x + 13.0).min(w - 32.0),
            (y + 5.0).max(14.0)
        );
    }
    out.push_str("</svg>");
    out
}

/// Most bars the timeline draws: a longer conversation is drawn with
/// several days to a bar.
const MAX_BARS: i64 = 120;

/// Participation over time: votes per day (or per few days) as bars, and
/// everyone taking part so far as a line (each on its own scale, both
/// stated). Days without votes get an empty bar, so the time axis is to scale.
pub fn timeline(s: &Summary) -> String {
    let (w, h, left, bottom, top) = (480.0, 200.0, 8.0, 28.0, 12.0);
    let (Some(first_day), Some(last_day)) = (s.timeline.first(), s.timeline.last()) else {
        return String::new();
    };
    // Days start at local midnights, so a day when the clocks change is 23
    // or 25 hours long: count whole days to the nearest.
    let days_after_first = |day: i64| ((day - first_day.day).max(0) + 43_200) / 86_400;
    let span_days = days_after_first(last_day.day) + 1;
    let bar_days = (span_days + MAX_BARS - 1) / MAX_BARS;
    let bars = ((span_days + bar_days - 1) / bar_days) as usize;
    // (votes, people whose first vote it was) per bar
    let mut days = vec![(0u32, 0u32); bars];
    for d in &s.timeline {
        let i = ((days_after_first(d.day) / bar_days) as usize).min(bars - 1);
        days[i].0 += d.votes;
        days[i].1 += d.new_participants;
    }
    let max_votes = days.iter().map(|d| d.0).max().unwrap_or(1).max(1) as f64;
    let total_people: u32 = days.iter().map(|d| d.1).sum();
    let n = days.len() as f64;
    let slot = (w - 2.0 * left) / n;
    let plot_h = h - bottom - top;
    let first = meetinghouse_core::format_date(first_day.day);
    let last = meetinghouse_core::format_date(last_day.day);
    let each = if bar_days == 1 { "day".to_string() } else { format!("{bar_days} days") };
    let desc = format!(
        "From {first} to {last}, one bar for each {each}: at most {} {} in a bar; {} {} part in all.",
        max_votes as u32,
        if max_votes as u32 == 1 { "vote" } else { "votes" },
        total_people,
        if total_people == 1 { "person took" } else { "people took" }
    );
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="time-title time-desc"><title id="time-title">Participation over time</title><desc id="time-desc">{}</desc>"#,
        esc(&desc)
    );
    for (i, d) in days.iter().enumerate() {
        let bh = f64::from(d.0) / max_votes * plot_h;
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#0072B2"/>"##,
            left + i as f64 * slot + slot * 0.1,
            top + plot_h - bh,
            (slot * 0.8).max(0.5),
            bh
        );
    }
    let mut cum = 0u32;
    let mut line = String::new();
    let mut end = (0.0, 0.0);
    for (i, d) in days.iter().enumerate() {
        cum += d.1;
        let y = top + plot_h - f64::from(cum) / f64::from(total_people.max(1)) * plot_h;
        end = (left + (i as f64 + 0.5) * slot, y);
        let _ = write!(line, "{:.1},{:.1} ", end.0, end.1);
    }
    let _ = write!(out, r##"<polyline points="{}" fill="none" stroke="#C2410C" stroke-width="2.5"/>"##, line.trim_end());
    // A line of one point draws nothing: mark where it ends.
    let _ = write!(out, r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#C2410C"/>"##, end.0, end.1);
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#4a4a52"/><text x="{left}" y="{:.1}" font-size="12" fill="#4a4a52">{}</text><text x="{:.1}" y="{:.1}" font-size="12" fill="#4a4a52" text-anchor="end">{}</text>"##,
        top + plot_h,
        w - left,
        top + plot_h,
        h - 8.0,
        esc(&first),
        w - left,
        h - 8.0,
        esc(&last)
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use meetinghouse_core::common_ground::{GroupSummary, Point, Summary};

    fn summary(groups: usize) -> Summary {
        let points = (0..12).map(|i| Point { participant: i, x: i as f64, y: (i % 3) as f64, group: Some(i as usize % groups) }).collect();
        let groups = (0..groups)
            .map(|g| GroupSummary { label: format!("Group {}", (b'A' + g as u8) as char), size: 12 / groups, representative: Vec::new() })
            .collect();
        Summary {
            computed_at: 0,
            participants: 12,
            votes: 60,
            in_conv: 12,
            k: 1,
            points,
            groups,
            consensus_agree: Vec::new(),
            consensus_disagree: Vec::new(),
            statements: Vec::new(),
            priorities: Vec::new(),
            timeline: Vec::new(),
            notes: Vec::new(),
            technical: Vec::new(),
        }
    }

    /// The map's text alternative says what the page says: one group is no
    /// grouping yet ("No groups of opinion yet"), two or more are named.
    #[test]
    fn the_map_description_agrees_with_the_page_about_groups() {
        let one = super::opinion_map(&summary(1), None);
        assert!(one.contains("No groups yet.") && !one.contains("1 groups"), "{one}");
        let two = super::opinion_map(&summary(2), Some(3));
        assert!(two.contains("2 groups: Group A with 6 people; Group B with 6 people.") && two.contains("ringed"), "{two}");
    }
}
