//! The whole analysis behind `meetinghouse bridges analyse`: every measure
//! computed once, kept for the JSON output and the HTML report.

use crate::centrality::{self, Betweenness};
use crate::community::{self, Algorithm, Communities, CommunityOptions, Objective};
use crate::graph::{Graph, GraphOptions};
use crate::load::month_index;
use crate::measures::{self, Mixing};
use crate::network::{Diagnostic, NO_TIME, Network};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Instant;

/// How to compute betweenness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BetweennessMode {
    /// Exact when the work (n · (n + 2m) steps) is under `exact_budget`,
    /// otherwise sampled with error ε at failure probability δ, with the number
    /// of sources capped so the work stays under `sample_budget`.
    Auto {
        exact_budget: f64,
        sample_budget: f64,
        epsilon: f64,
        delta: f64,
    },
    Exact,
    /// A fixed number of sampled sources.
    Sampled {
        sources: usize,
        delta: f64,
    },
    Off,
}

impl Default for BetweennessMode {
    fn default() -> Self {
        BetweennessMode::Auto {
            exact_budget: 2e9,
            sample_budget: 4e9,
            epsilon: 0.05,
            delta: 0.1,
        }
    }
}

/// Time windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Month,
}

/// Options for [`analyse`].
#[derive(Debug, Clone, Copy)]
pub struct AnalysisOptions {
    pub graph: GraphOptions,
    pub community: CommunityOptions,
    /// A group is "isolated" when the share of its ties that leave it is below this.
    pub isolation_threshold: f64,
    pub top_brokers: usize,
    /// How many pairs of groups get their own list of connectors, and how many people per pair.
    pub broker_pairs: usize,
    pub brokers_per_pair: usize,
    pub betweenness: BetweennessMode,
    pub window: Option<Window>,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            graph: GraphOptions::default(),
            community: CommunityOptions::default(),
            isolation_threshold: 0.1,
            top_brokers: 10,
            broker_pairs: 10,
            brokers_per_pair: 5,
            betweenness: BetweennessMode::default(),
            window: None,
        }
    }
}

/// A person (node) who bridges.
#[derive(Debug, Clone, PartialEq)]
pub struct Broker {
    pub node: usize,
    pub betweenness: f64,
    pub participation: f64,
}

/// The people who connect two groups.
#[derive(Debug, Clone, PartialEq)]
pub struct PairBrokers {
    pub a: usize,
    pub b: usize,
    /// Ties between the two groups.
    pub ties: f64,
    /// `(node, ties across the pair)`, strongest first.
    pub nodes: Vec<(usize, f64)>,
}

/// Measures for one time window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowStats {
    pub label: String,
    pub edges: usize,
    pub active_nodes: usize,
    pub ei_index: Option<f64>,
    pub ei_by_group: Vec<Option<f64>>,
    pub assortativity: Option<f64>,
    pub modularity_of_groups: Option<f64>,
}

/// Everything computed.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub graph: Graph,
    pub names: Vec<String>,
    pub group_names: Vec<String>,
    pub group_of: Vec<Option<u32>>,
    pub group_sizes: Vec<usize>,
    pub mixing: Option<Mixing>,
    pub ei_index: Option<f64>,
    pub ei_by_group: Vec<Option<f64>>,
    pub external_share: Vec<Option<f64>>,
    pub assortativity: Option<f64>,
    pub modularity_of_groups: Option<f64>,
    pub isolated_groups: Vec<usize>,
    pub isolation_threshold: f64,
    pub algorithm: Algorithm,
    /// What community detection optimised, with its resolution γ.
    pub objective: Objective,
    pub resolution: f64,
    pub communities: Communities,
    pub nmi_groups_vs_communities: Option<f64>,
    pub ari_groups_vs_communities: Option<f64>,
    pub betweenness: Option<Betweenness>,
    pub participation: Vec<f64>,
    /// `"groups"` or `"communities"`: what the participation coefficient is measured against.
    pub participation_basis: &'static str,
    pub brokers: Vec<Broker>,
    pub pair_brokers: Vec<PairBrokers>,
    pub components: usize,
    pub largest_component: usize,
    pub isolates: usize,
    pub reciprocity: Option<f64>,
    pub mean_degree: f64,
    pub max_degree: usize,
    pub density: Option<f64>,
    pub windows: Vec<WindowStats>,
    pub diagnostics: Vec<Diagnostic>,
    /// Milliseconds per step.
    pub timings: Vec<(&'static str, f64)>,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Group measures of a graph under a labelling with `k` groups.
fn group_measures(
    g: &Graph,
    groups: &[Option<u32>],
    k: usize,
) -> (Mixing, Option<f64>, Option<f64>) {
    let mix = Mixing::compute(g, groups, k);
    let r = mix.assortativity();
    let q = measures::modularity(g.und(), &measures::labels_to_membership(groups, k), 1.0);
    (mix, r, q)
}

/// Run every measure on `net`. `progress` is told the name of each step as it starts.
pub fn analyse(net: &Network, opts: &AnalysisOptions, progress: &mut dyn FnMut(&str)) -> Analysis {
    let mut timings = Vec::new();
    let mut diagnostics = net.diagnostics.clone();
    progress("building the graph");
    let t = Instant::now();
    let (graph, d) = Graph::build(net, opts.graph);
    diagnostics.extend(d);
    timings.push(("build", ms(t)));
    let n = graph.n;
    if n == 0 {
        diagnostics.push(Diagnostic::new(
            "empty_graph",
            0,
            "The input has no nodes; every measure is empty.",
        ));
    } else if graph.m == 0 {
        diagnostics.push(Diagnostic::new("no_edges", 0, "The input has no ties between different nodes; tie-based measures are undefined (null)."));
    }
    let k = net.group_names.len();
    let groups = &net.group_of;
    let mut group_sizes = vec![0usize; k];
    for g in groups.iter().flatten() {
        group_sizes[*g as usize] += 1;
    }
    if let Some(d) = group_count_diagnostic(&group_sizes) {
        diagnostics.push(d);
    }

    progress("group mixing");
    let t = Instant::now();
    let (
        mixing,
        ei_index,
        ei_by_group,
        external_share,
        assortativity,
        modularity_of_groups,
        isolated_groups,
    ) = if k > 0 {
        let (mix, r, q) = group_measures(&graph, groups, k);
        let ei = mix.ei_index();
        let eib = mix.ei_by_group();
        let share = mix.external_share();
        let iso = mix.isolated_groups(opts.isolation_threshold);
        if mix.unlabelled > 0.0 {
            diagnostics.push(Diagnostic::new(
                "unlabelled_ties",
                mix.unlabelled.round() as u64,
                format!("{} tie(s) touch a node without a group and are left out of E-I, mixing and assortativity.", mix.unlabelled),
            ));
        }
        (Some(mix), ei, eib, share, r, q, iso)
    } else {
        (None, None, Vec::new(), Vec::new(), None, None, Vec::new())
    };
    timings.push(("groups", ms(t)));

    progress("finding communities");
    let t = Instant::now();
    let communities = community::detect_with_progress(graph.und(), &opts.community, &mut |round| {
        progress(&format!("finding communities: round {round}"));
    });
    timings.push(("communities", ms(t)));
    let resolution = match opts.community.objective {
        Objective::Modularity { resolution } | Objective::Cpm { resolution } => resolution,
    };
    let (nmi, ari) = if k > 0 {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (&g, &c) in groups[..n].iter().zip(&communities.membership[..n]) {
            if let Some(g) = g {
                a.push(g);
                b.push(c);
            }
        }
        (measures::nmi(&a, &b), measures::ari(&a, &b))
    } else {
        (None, None)
    };

    progress("structure");
    let t = Instant::now();
    let (_, sizes) = measures::components(graph.und());
    let isolates = measures::isolates(&graph).len();
    let reciprocity = measures::reciprocity(&graph);
    let degrees: Vec<usize> = (0..n).map(|v| graph.degree(v)).collect();
    let mean_degree = if n > 0 {
        degrees.iter().sum::<usize>() as f64 / n as f64
    } else {
        0.0
    };
    let max_degree = degrees.iter().copied().max().unwrap_or(0);
    let pairs = n as f64 * (n as f64 - 1.0) / if graph.directed { 1.0 } else { 2.0 };
    let density = measures::ratio(graph.m as f64, pairs);
    if isolates > 0 {
        diagnostics.push(Diagnostic::new(
            "isolates",
            isolates as u64,
            format!("{isolates} node(s) have no ties."),
        ));
    }
    timings.push(("structure", ms(t)));

    progress("betweenness");
    let t = Instant::now();
    let work = n as f64 * (n as f64 + graph.out.nbrs.len() as f64);
    let betweenness = match opts.betweenness {
        BetweennessMode::Off => None,
        BetweennessMode::Exact => Some(centrality::exact(&graph.out, graph.directed)),
        BetweennessMode::Sampled { sources, delta } => Some(centrality::sampled(
            &graph.out,
            graph.directed,
            sources,
            delta,
            opts.community.seed,
        )),
        BetweennessMode::Auto {
            exact_budget,
            sample_budget,
            epsilon,
            delta,
        } => {
            if work <= exact_budget {
                Some(centrality::exact(&graph.out, graph.directed))
            } else {
                let per_source = (n + graph.out.nbrs.len()).max(1) as f64;
                let cap = (sample_budget / per_source).max(16.0) as usize;
                let k = centrality::samples_for(n, epsilon, delta).min(cap);
                Some(centrality::sampled(
                    &graph.out,
                    graph.directed,
                    k,
                    delta,
                    opts.community.seed,
                ))
            }
        }
    };
    timings.push(("betweenness", ms(t)));

    progress("brokers");
    let t = Instant::now();
    let (participation, participation_basis) = if k > 0 {
        (measures::participation(graph.und(), groups, k), "groups")
    } else {
        let comm: Vec<Option<u32>> = communities.membership.iter().map(|&c| Some(c)).collect();
        (
            measures::participation(graph.und(), &comm, communities.count),
            "communities",
        )
    };
    let bc = betweenness
        .as_ref()
        .map(|b| b.values.clone())
        .unwrap_or_else(|| vec![0.0; n]);
    let mut order: Vec<usize> = (0..n).filter(|&v| degrees[v] > 0).collect();
    order.sort_by(|&a, &b| {
        bc[b]
            .total_cmp(&bc[a])
            .then(participation[b].total_cmp(&participation[a]))
            .then(net.names[a].cmp(&net.names[b]))
    });
    let brokers = order
        .iter()
        .take(opts.top_brokers)
        .map(|&v| Broker {
            node: v,
            betweenness: bc[v],
            participation: participation[v],
        })
        .collect();
    let pair_brokers = match &mixing {
        Some(mix) => pair_brokers(&graph, groups, mix, &bc, &net.names, opts),
        None => Vec::new(),
    };
    timings.push(("brokers", ms(t)));

    progress("time windows");
    let t = Instant::now();
    let windows = match (opts.window, &net.time) {
        (Some(Window::Month), Some(times)) => windows_by_month(net, times, opts.graph, k),
        (Some(_), None) => {
            diagnostics.push(Diagnostic::new(
                "no_timestamps",
                0,
                "Time windows were asked for but the edges have no timestamp column.",
            ));
            Vec::new()
        }
        _ => Vec::new(),
    };
    timings.push(("windows", ms(t)));

    Analysis {
        names: net.names.clone(),
        group_names: net.group_names.clone(),
        group_of: net.group_of.clone(),
        group_sizes,
        mixing,
        ei_index,
        ei_by_group,
        external_share,
        assortativity,
        modularity_of_groups,
        isolated_groups,
        isolation_threshold: opts.isolation_threshold,
        algorithm: opts.community.algorithm,
        objective: opts.community.objective,
        resolution,
        communities,
        nmi_groups_vs_communities: nmi,
        ari_groups_vs_communities: ari,
        betweenness,
        participation,
        participation_basis,
        brokers,
        pair_brokers,
        components: sizes.len(),
        largest_component: sizes.first().copied().unwrap_or(0),
        isolates,
        reciprocity,
        mean_degree,
        max_degree,
        density,
        windows,
        diagnostics,
        timings,
        graph,
    }
}

/// More groups than this is unusual for sectors, organisations or clubs:
/// the group measures still run (the mixing matrix is sparse), but the
/// person is asked whether the right column was read.
pub const MANY_GROUPS: usize = 300;

/// Up to this many groups the JSON mixing matrix lists every cell, zeros
/// included (the shape the issue documents); above, only non-zero cells.
pub const JSON_DENSE_MATRIX_GROUPS: usize = 100;

/// A warning when the groups look like the wrong column: every group a
/// single person (a column of names or titles), or a very large number of groups.
fn group_count_diagnostic(sizes: &[usize]) -> Option<Diagnostic> {
    let k = sizes.len();
    if k >= 10 && sizes.iter().all(|&s| s <= 1) {
        return Some(Diagnostic::new(
            "singleton_groups",
            k as u64,
            format!("Each of the {k} groups has a single person: is the group column the right one? A column of names or titles gives every person a group of their own."),
        ));
    }
    if k > MANY_GROUPS {
        let singles = sizes.iter().filter(|&&s| s <= 1).count();
        return Some(Diagnostic::new(
            "many_groups",
            k as u64,
            format!("There are {k} groups ({singles} of them with a single person): is the group column the right one? The report shows the {} largest in its mixing matrix, and the JSON mixing matrix lists only the cells that are not zero.", crate::report::MAX_MATRIX_GROUPS),
        ));
    }
    None
}

/// For the pairs of groups with the most ties between them, the people who carry those ties:
/// a member of one group scores its ties to the other; an outsider scores the smaller of its ties to each.
fn pair_brokers(
    g: &Graph,
    groups: &[Option<u32>],
    mix: &Mixing,
    bc: &[f64],
    names: &[String],
    opts: &AnalysisOptions,
) -> Vec<PairBrokers> {
    // ties between each pair of groups a < b, from the non-zero cells (directed: both directions)
    let mut between: std::collections::BTreeMap<(usize, usize), f64> = std::collections::BTreeMap::new();
    for &(a, b, x) in mix.cells() {
        let (a, b) = (a as usize, b as usize);
        if a < b || (mix.directed && a > b) {
            *between.entry((a.min(b), a.max(b))).or_insert(0.0) += x;
        }
    }
    let mut pairs: Vec<(usize, usize, f64)> = between
        .into_iter()
        .filter(|&(_, t)| t > 0.0)
        .map(|((a, b), t)| (a, b, t))
        .collect();
    pairs.sort_by(|x, y| y.2.total_cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
    pairs.truncate(opts.broker_pairs);
    let index: HashMap<(usize, usize), usize> = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.0, p.1), i))
        .collect();
    let mut cands: Vec<Vec<(usize, f64)>> = vec![Vec::new(); pairs.len()];
    let und = g.und();
    for v in 0..g.n {
        let ties = measures::ties_to_groups(und, groups, v);
        match groups[v] {
            Some(own) => {
                let own = own as usize;
                for &(h, w) in &ties {
                    let h = h as usize;
                    if h != own
                        && let Some(&i) = index.get(&(own.min(h), own.max(h)))
                    {
                        cands[i].push((v, w));
                    }
                }
            }
            None => {
                for (x, &(a, wa)) in ties.iter().enumerate() {
                    for &(b, wb) in &ties[x + 1..] {
                        let (a, b) = (a as usize, b as usize);
                        if let Some(&i) = index.get(&(a.min(b), a.max(b))) {
                            cands[i].push((v, wa.min(wb)));
                        }
                    }
                }
            }
        }
    }
    pairs
        .iter()
        .zip(cands)
        .map(|(&(a, b, ties), mut c)| {
            c.sort_by(|x, y| {
                y.1.total_cmp(&x.1)
                    .then(bc[y.0].total_cmp(&bc[x.0]))
                    .then(names[x.0].cmp(&names[y.0]))
            });
            c.truncate(opts.brokers_per_pair);
            PairBrokers {
                a,
                b,
                ties,
                nodes: c,
            }
        })
        .collect()
}

fn windows_by_month(
    net: &Network,
    times: &[i64],
    gopts: GraphOptions,
    k: usize,
) -> Vec<WindowStats> {
    // bucket edge indices by month once (edges without a usable time are left out)
    let mut by_month: std::collections::BTreeMap<i64, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, &t) in times.iter().enumerate() {
        if t != NO_TIME {
            by_month.entry(month_index(t)).or_default().push(i);
        }
    }
    by_month
        .iter()
        .map(|(&m, idx)| {
            let sub = net.edge_subset_indices(idx);
            let (g, _) = Graph::build(&sub, gopts);
            let active = (0..g.n).filter(|&v| g.degree(v) > 0).count();
            let (ei, eib, r, q) = if k > 0 {
                let (mix, r, q) = group_measures(&g, &net.group_of, k);
                (mix.ei_index(), mix.ei_by_group(), r, q)
            } else {
                (None, Vec::new(), None, None)
            };
            let label = format!("{:04}-{:02}", 1970 + m.div_euclid(12), m.rem_euclid(12) + 1);
            WindowStats {
                label,
                edges: g.m,
                active_nodes: active,
                ei_index: ei,
                ei_by_group: eib,
                assortativity: r,
                modularity_of_groups: q,
            }
        })
        .collect()
}

/// A finite number, or null.
fn num(x: Option<f64>) -> Value {
    match x {
        Some(v) if v.is_finite() => json!(v),
        _ => Value::Null,
    }
}

/// A weight: an integer when it is one (unweighted counts), else a float.
fn weight_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        json!(x as i64)
    } else {
        num(Some(x))
    }
}

/// Round for output (keeps JSON readable; 6 decimals).
fn r6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl Analysis {
    /// The value of the objective community detection optimised (see
    /// [`Communities::quality`]); `None` without ties, as modularity.
    pub fn quality(&self) -> Option<f64> {
        (self.graph.m > 0).then_some(self.communities.quality)
    }

    /// The JSON object printed by `--json` (see the issue for its shape; extra keys:
    /// `ari_groups_vs_communities`, `structure`, `betweenness`, `pair_brokers`, `windows`, `diagnostics`,
    /// `mixing_matrix_sparse`). Up to [`JSON_DENSE_MATRIX_GROUPS`] groups `mixing_matrix` has every
    /// cell; above, only the non-zero ones (`mixing_matrix_sparse: true`), so thousands of groups
    /// do not print millions of zeros.
    pub fn to_json(&self, load_ms: f64, analyse_ms: f64) -> Value {
        let gname = |g: usize| self.group_names[g].clone();
        let mut groups = Map::new();
        for (g, &s) in self.group_sizes.iter().enumerate() {
            groups.insert(gname(g), json!(s));
        }
        let mut ei_by_group = Map::new();
        for (g, x) in self.ei_by_group.iter().enumerate() {
            ei_by_group.insert(gname(g), num(*x));
        }
        let mut mixing = Map::new();
        let sparse = self.mixing.as_ref().is_some_and(|m| m.k > JSON_DENSE_MATRIX_GROUPS);
        if let Some(mix) = &self.mixing {
            if sparse {
                // only the non-zero cells; a group without ties has no row
                for a in 0..mix.k {
                    let cells = mix.row(a);
                    if cells.is_empty() {
                        continue;
                    }
                    let mut row = Map::new();
                    for &(_, b, x) in cells {
                        row.insert(gname(b as usize), weight_value(x));
                    }
                    mixing.insert(gname(a), Value::Object(row));
                }
            } else {
                for a in 0..mix.k {
                    let mut row = Map::new();
                    for b in 0..mix.k {
                        row.insert(gname(b), weight_value(mix.get(a, b)));
                    }
                    mixing.insert(gname(a), Value::Object(row));
                }
            }
        }
        let mut membership = Map::new();
        for (v, &c) in self.communities.membership.iter().enumerate() {
            membership.insert(self.names[v].clone(), json!(c));
        }
        let brokers: Vec<Value> = self
            .brokers
            .iter()
            .map(|b| {
                json!({
                    "node": self.names[b.node],
                    "group": self.group_of[b.node].map(|g| gname(g as usize)),
                    "betweenness": r6(b.betweenness),
                    "participation": r6(b.participation),
                })
            })
            .collect();
        let pair_brokers: Vec<Value> = self
            .pair_brokers
            .iter()
            .map(|p| {
                json!({
                    "groups": [gname(p.a), gname(p.b)],
                    "ties": weight_value(p.ties),
                    "nodes": p.nodes.iter().map(|&(v, w)| json!({"node": self.names[v], "ties": weight_value(w)})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let windows: Vec<Value> = self
            .windows
            .iter()
            .map(|w| {
                let mut eib = Map::new();
                for (g, x) in w.ei_by_group.iter().enumerate() {
                    eib.insert(gname(g), num(*x));
                }
                json!({
                    "window": w.label, "edges": w.edges, "active_nodes": w.active_nodes,
                    "ei_index": num(w.ei_index), "ei_by_group": eib,
                    "assortativity": num(w.assortativity), "modularity_of_groups": num(w.modularity_of_groups),
                })
            })
            .collect();
        let mut timings = Map::new();
        timings.insert("load".into(), json!(r6(load_ms)));
        timings.insert("analyse".into(), json!(r6(analyse_ms)));
        for (k, v) in &self.timings {
            timings.insert(format!("analyse.{k}"), json!(r6(*v)));
        }
        json!({
            "nodes": self.graph.n,
            "edges": self.graph.m,
            "directed": self.graph.directed,
            "weighted": self.graph.weighted,
            "groups": groups,
            "ei_index": num(self.ei_index),
            "ei_by_group": ei_by_group,
            "assortativity": num(self.assortativity),
            "modularity_of_groups": num(self.modularity_of_groups),
            "communities": {
                "algorithm": self.algorithm.name(),
                "objective": self.objective.name(),
                "resolution": self.resolution,
                "count": self.communities.count,
                "modularity": num(self.communities.modularity),
                "quality": num(self.quality()),
                "iterations": self.communities.iterations,
                "membership": membership,
            },
            "nmi_groups_vs_communities": num(self.nmi_groups_vs_communities),
            "ari_groups_vs_communities": num(self.ari_groups_vs_communities),
            "brokers": brokers,
            "participation_basis": self.participation_basis,
            "pair_brokers": pair_brokers,
            "isolated_groups": self.isolated_groups.iter().map(|&g| gname(g)).collect::<Vec<_>>(),
            "isolation_threshold": self.isolation_threshold,
            "mixing_matrix": mixing,
            "mixing_matrix_sparse": sparse,
            "betweenness": self.betweenness.as_ref().map(|b| json!({
                "exact": b.exact, "sources": b.sources, "epsilon": r6(b.epsilon), "delta": b.delta,
                "normalised": true, "paths": "hop count",
            })),
            "structure": {
                "components": self.components,
                "largest_component": self.largest_component,
                "isolates": self.isolates,
                "reciprocity": num(self.reciprocity),
                "mean_degree": r6(self.mean_degree),
                "max_degree": self.max_degree,
                "density": num(self.density),
            },
            "windows": windows,
            "diagnostics": self.diagnostics,
            "timings_ms": timings,
        })
    }
}
