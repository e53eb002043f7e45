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
/// colour and shape, the viewer's own position ringed and labelled "You"
/// (with a white halo, so the label reads over the marks below it). Empty
/// when nobody is on the map: the page says so instead of an empty box.
///
/// The description names each group, with its size when its figures are
/// shown ("a group of fewer than five" otherwise), and the viewer's own
/// group. With a group named without its size it gives no count of the
/// people placed, since that count less the other groups' sizes would be
/// the small group's size.
pub fn opinion_map(s: &Summary, me: Option<i64>) -> String {
    let (w, h, pad) = (480.0, 360.0, 24.0);
    let pts = &s.points;
    if pts.is_empty() {
        return String::new();
    }
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
    let sizes: Vec<String> = (0..s.groups.len()).map(|g| group_words(s, g)).collect();
    let mut desc = if s.withholds_a_group() {
        String::from("Each mark is a person, placed by how they voted; people who voted alike are close together. ")
    } else {
        format!(
            "{} {} placed by how they voted; people who voted alike are close together. ",
            pts.len(),
            if pts.len() == 1 { "person is" } else { "people are" }
        )
    };
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
        if let Some(g) = s.group_of(me) {
            let _ = write!(desc, " You are in {}.", s.groups[g].label);
        }
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
        // The label is drawn with a white outline under its letters
        // (`paint-order`), so it reads over other people's marks.
        let _ = write!(
            out,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="10" fill="none" stroke="#1d1d1f" stroke-width="2.5"/><text x="{:.1}" y="{:.1}" font-size="14" font-weight="700" fill="#1d1d1f" stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke">You</text>"##,
            (x + 13.0).min(w - 32.0),
            (y + 5.0).max(14.0)
        );
    }
    out.push_str("</svg>");
    out
}

/// A group as the map's description and the page name it: "Group A with
/// 12 people", or "Group B, a group of fewer than five" when its figures
/// (its size among them) are not shown.
pub fn group_words(s: &Summary, g: usize) -> String {
    let group = &s.groups[g];
    if s.shows_group(g) {
        format!("{} with {} {}", group.label, group.size, if group.size == 1 { "person" } else { "people" })
    } else {
        format!("{}, a group of fewer than five", group.label)
    }
}

/// Most bars the timeline draws: a longer conversation is drawn with
/// several days to a bar.
const MAX_BARS: i64 = 120;

/// Participation over time, a bar at a time: each bar's first and last
/// day (unix seconds at noon of the day, in the meeting house's time
/// zone), its votes, and the people who took part for the first time in
/// it (a first vote, or a first statement of their own: the people the
/// report counts as taking part).
pub struct Bars {
    /// Days to a bar: 1, or more for a conversation longer than [`MAX_BARS`] days.
    pub days: i64,
    pub bars: Vec<Bar>,
}

pub struct Bar {
    pub first: i64,
    pub last: i64,
    pub votes: u32,
    pub new_people: u32,
}

/// The timeline's bars: one a day, empty days included so the time axis is
/// to scale, or several days to a bar past [`MAX_BARS`] days. `None` before
/// any vote.
pub fn bars(s: &Summary) -> Option<Bars> {
    let (first_day, last_day) = (s.timeline.first()?, s.timeline.last()?);
    // Days start at local midnights, so a day when the clocks change is 23
    // or 25 hours long: count whole days to the nearest.
    let days_after_first = |day: i64| ((day - first_day.day).max(0) + 43_200) / 86_400;
    let span_days = days_after_first(last_day.day) + 1;
    let bar_days = (span_days + MAX_BARS - 1) / MAX_BARS;
    let n = ((span_days + bar_days - 1) / bar_days) as usize;
    // Noon of a day a whole number of days on: the same date whatever the
    // clocks did in between.
    let noon = |after: i64| first_day.day + after * 86_400 + 43_200;
    let mut bars: Vec<Bar> = (0..n as i64)
        .map(|i| Bar { first: noon(i * bar_days), last: noon(((i + 1) * bar_days - 1).min(span_days - 1)), votes: 0, new_people: 0 })
        .collect();
    for d in &s.timeline {
        let i = ((days_after_first(d.day) / bar_days) as usize).min(n - 1);
        bars[i].votes += d.votes;
        bars[i].new_people += d.new_participants;
    }
    Some(Bars { days: bar_days, bars })
}

/// Participation over time: votes per day (or per few days) as bars, and
/// everyone taking part so far as a line (each on its own scale, both
/// stated), ending at the report's "people taking part". Days without
/// votes get an empty bar, so the time axis is to scale. The page gives
/// the same figures as a table too.
pub fn timeline(s: &Summary) -> String {
    let (w, h, left, bottom, top) = (480.0, 200.0, 8.0, 28.0, 12.0);
    let (Some(first_day), Some(last_day), Some(Bars { days: bar_days, bars: days })) = (s.timeline.first(), s.timeline.last(), bars(s)) else {
        return String::new();
    };
    let max_votes = days.iter().map(|d| d.votes).max().unwrap_or(1).max(1) as f64;
    let total_people: u32 = days.iter().map(|d| d.new_people).sum();
    let n = days.len() as f64;
    let slot = (w - 2.0 * left) / n;
    let plot_h = h - bottom - top;
    let first = meetinghouse_core::format_date(first_day.day);
    let last = meetinghouse_core::format_date(last_day.day);
    let each = if bar_days == 1 { "day".to_string() } else { format!("{bar_days} days") };
    let desc = format!(
        "From {first} to {last}, one bar for each {each}: votes, at most {} {} in a bar. The line: people taking part so far, {} in all. The table below gives each bar's figures.",
        max_votes as u32,
        if max_votes as u32 == 1 { "vote" } else { "votes" },
        total_people,
    );
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="time-title time-desc"><title id="time-title">Participation over time</title><desc id="time-desc">{}</desc>"#,
        esc(&desc)
    );
    for (i, d) in days.iter().enumerate() {
        let bh = f64::from(d.votes) / max_votes * plot_h;
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
        cum += d.new_people;
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

    /// The "You" label has a white halo, so it reads over the marks under
    /// it; the description says which group the viewer is in.
    #[test]
    fn the_viewers_label_has_a_halo_and_their_group_is_named() {
        let map = super::opinion_map(&summary(2), Some(3));
        assert!(map.contains(r##"stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke">You</text>"##), "{map}");
        assert!(map.contains("You are in Group B."), "{map}");
    }

    /// With a group named without its size, the description gives no count
    /// of the people placed (less the other sizes, it was the small
    /// group's); nobody on the map draws no empty box.
    #[test]
    fn the_map_never_gives_a_small_groups_size_away() {
        let mut s = summary(2);
        s.groups[1].size = 2;
        let map = super::opinion_map(&s, None);
        assert!(!map.contains("12 people") && map.contains("Group A with 6 people; Group B, a group of fewer than five."), "{map}");
        s.points.clear();
        assert_eq!(super::opinion_map(&s, None), "");
    }

    /// The timeline's bars, for the chart and its table: one a day, empty
    /// days included; each bar's day is the right date whatever the clocks
    /// did.
    #[test]
    fn the_timeline_bars_cover_every_day() {
        use meetinghouse_core::common_ground::Day;
        let mut s = summary(1);
        let day = 1_700_000_000 - 1_700_000_000 % 86_400;
        s.timeline = vec![Day { day, votes: 3, new_participants: 2 }, Day { day: day + 3 * 86_400, votes: 1, new_participants: 1 }];
        let bars = super::bars(&s).unwrap();
        assert_eq!(bars.days, 1);
        assert_eq!(bars.bars.iter().map(|b| (b.votes, b.new_people)).collect::<Vec<_>>(), vec![(3, 2), (0, 0), (0, 0), (1, 1)]);
        assert_eq!(meetinghouse_core::format_date(bars.bars[3].first), meetinghouse_core::format_date(day + 3 * 86_400));
        assert!(super::timeline(&s).contains("The table below gives each bar"));
    }
}
