//! Degraded input gives diagnostics and finite (or null) numbers, never a panic or NaN.

mod common;

use bridges::analysis::{AnalysisOptions, BetweennessMode, Window, analyse};
use bridges::load::{read_edges_csv, read_groups_csv};
use bridges::{Algorithm, CommunityOptions, GraphOptions, Network};

fn run(net: &Network, opts: &AnalysisOptions) -> serde_json::Value {
    let a = analyse(net, opts, &mut |_| {});
    let v = a.to_json(0.0, 0.0);
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    v
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn empty_graph() {
    let net = Network::new();
    for directed in [false, true] {
        let opts = AnalysisOptions {
            graph: GraphOptions {
                directed,
                weighted: true,
            },
            window: Some(Window::Month),
            ..Default::default()
        };
        let v = run(&net, &opts);
        assert_eq!(v["nodes"], 0);
        assert_eq!(v["edges"], 0);
        assert!(v["ei_index"].is_null());
        assert!(codes(&v).contains(&"empty_graph".to_owned()));
    }
}

#[test]
fn header_only_csv() {
    let mut net = Network::new();
    read_edges_csv("source,target\n".as_bytes(), &mut net).unwrap();
    let v = run(&net, &AnalysisOptions::default());
    assert_eq!(v["nodes"], 0);
}

#[test]
fn missing_columns_is_an_error_not_a_panic() {
    let mut net = Network::new();
    assert!(read_edges_csv("a,b\n1,2\n".as_bytes(), &mut net).is_err());
    assert!(read_edges_csv("".as_bytes(), &mut net).is_err());
}

#[test]
fn self_loops_duplicates_and_missing_groups() {
    let mut net = Network::new();
    let edges = "source,target,weight\na,a,1\na,b,2\nb,a,3\na,b,x\nb,c,1\nc,d,1\n,d,1\nd,e,-1\n";
    read_edges_csv(edges.as_bytes(), &mut net).unwrap();
    read_groups_csv(
        "node,group\na,arts\nb,arts\nc,health\nz,health\n".as_bytes(),
        &mut net,
    )
    .unwrap();
    bridges::load::check_unlabelled(&mut net);
    let v = run(&net, &AnalysisOptions::default());
    let c = codes(&v);
    for code in [
        "self_loops",
        "duplicate_edges",
        "bad_rows",
        "bad_weight_cells",
        "unlabelled_nodes",
        "group_only_nodes",
        "unlabelled_ties",
        "isolates",
    ] {
        assert!(c.contains(&code.to_owned()), "missing {code} in {c:?}");
    }
    // a-b, b-c, c-d, d-e (unweighted: weight -1 still a tie)
    assert_eq!(v["edges"], 4);
    assert_eq!(v["nodes"], 6);
    assert_eq!(v["mixing_matrix"]["arts"]["arts"], 1);
    assert_eq!(v["mixing_matrix"]["arts"]["health"], 1);
    let w = run(
        &net,
        &AnalysisOptions {
            graph: GraphOptions {
                directed: false,
                weighted: true,
            },
            ..Default::default()
        },
    );
    assert!(codes(&w).contains(&"bad_weights".to_owned()));
    assert_eq!(w["mixing_matrix"]["arts"]["arts"], 6); // 2 + 3 + 1 (unreadable weight counts 1)
}

#[test]
fn single_group_assortativity_is_null() {
    let mut net = Network::new();
    read_edges_csv("source,target\na,b\nb,c\n".as_bytes(), &mut net).unwrap();
    read_groups_csv("node,group\na,x\nb,x\nc,x\n".as_bytes(), &mut net).unwrap();
    let v = run(&net, &AnalysisOptions::default());
    assert!(v["assortativity"].is_null());
    assert_eq!(v["ei_index"], -1.0);
    assert_eq!(v["isolated_groups"], serde_json::json!(["x"]));
}

#[test]
fn no_edges_only_nodes() {
    let mut net = Network::new();
    read_groups_csv("node,group\na,x\nb,y\n".as_bytes(), &mut net).unwrap();
    for algorithm in [Algorithm::Leiden, Algorithm::Louvain] {
        let opts = AnalysisOptions {
            community: CommunityOptions {
                algorithm,
                ..Default::default()
            },
            ..Default::default()
        };
        let v = run(&net, &opts);
        assert_eq!(v["nodes"], 2);
        assert!(v["modularity_of_groups"].is_null());
        assert_eq!(v["communities"]["count"], 2);
        assert_eq!(v["structure"]["isolates"], 2);
    }
}

#[test]
fn months_and_directed() {
    let mut net = Network::new();
    let edges = "source,target,timestamp,kind\na,b,2024-01-03T10:00:00Z,reply\nb,a,2024-01-04T10:00:00+02:00,reply\nb,c,1709251200,reply\nc,a,not-a-time,x\n";
    read_edges_csv(edges.as_bytes(), &mut net).unwrap();
    read_groups_csv("node,group\na,x\nb,x\nc,y\n".as_bytes(), &mut net).unwrap();
    let opts = AnalysisOptions {
        graph: GraphOptions {
            directed: true,
            weighted: false,
        },
        window: Some(Window::Month),
        ..Default::default()
    };
    let v = run(&net, &opts);
    assert_eq!(v["edges"], 4);
    assert_eq!(v["structure"]["reciprocity"], 0.5);
    let w = v["windows"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0]["window"], "2024-01");
    assert_eq!(w[0]["ei_index"], -1.0);
    assert_eq!(w[1]["window"], "2024-03");
    assert_eq!(w[1]["ei_index"], 1.0);
    assert!(codes(&v).contains(&"bad_timestamps".to_owned()));
}

#[test]
fn deterministic_for_a_seed() {
    let mut net = Network::new();
    read_edges_csv(
        std::fs::File::open(common::fixtures().join("karate-edges.csv")).unwrap(),
        &mut net,
    )
    .unwrap();
    read_groups_csv(
        std::fs::File::open(common::fixtures().join("karate-nodes.csv")).unwrap(),
        &mut net,
    )
    .unwrap();
    let a = run(&net, &AnalysisOptions::default());
    let b = run(&net, &AnalysisOptions::default());
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("timings_ms");
        v
    };
    assert_eq!(strip(a.clone()), strip(b));
    assert_eq!(a["brokers"][0]["node"], "0");
    assert_eq!(a["groups"]["Mr. Hi"], 17);
}

/// A ring of `n` people, each in a group of their own (a column of names read as groups).
fn singleton_ring(n: usize) -> Network {
    let mut net = Network::new();
    for i in 0..n {
        net.add_edge(&format!("p{i}"), &format!("p{}", (i + 1) % n), None, None);
        net.set_group(&format!("p{i}"), &format!("g{i}"));
    }
    net
}

#[test]
fn thousands_of_groups_give_a_sparse_matrix_and_a_warning() {
    let net = singleton_ring(2000);
    let opts = AnalysisOptions {
        betweenness: BetweennessMode::Off,
        ..Default::default()
    };
    let a = analyse(&net, &opts, &mut |_| {});
    let v = a.to_json(0.0, 0.0);
    let text = serde_json::to_string(&v).unwrap();
    // a dense 2000 × 2000 matrix printed 4 million cells
    assert!(text.len() < 1_000_000, "JSON is {} bytes", text.len());
    assert_eq!(v["mixing_matrix_sparse"], true);
    let m = v["mixing_matrix"].as_object().unwrap();
    assert_eq!(m.len(), 2000);
    assert_eq!(m["g0"], serde_json::json!({"g1": 1, "g1999": 1}), "only the non-zero cells");
    assert_eq!(v["ei_index"], 1.0);
    assert!(codes(&v).contains(&"singleton_groups".to_owned()), "{:?}", codes(&v));

    // the report's mixing table is capped like its heat map
    let html = bridges::report::render(&a, "t", 1);
    let start = html.find("<summary>Mixing matrix as a table</summary>").unwrap();
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let rows = table.matches("<tr>").count();
    assert_eq!(rows, bridges::report::MAX_MATRIX_GROUPS + 1, "a header and the largest groups");
    assert!(table.contains("largest of 2000 groups"));
}

#[test]
fn many_groups_of_several_people_are_questioned_too() {
    let mut net = Network::new();
    for i in 0..1200 {
        net.add_edge(&format!("p{i}"), &format!("p{}", (i + 1) % 1200), None, None);
        net.set_group(&format!("p{i}"), &format!("g{}", i / 3));
    }
    let v = run(&net, &AnalysisOptions::default());
    assert!(codes(&v).contains(&"many_groups".to_owned()), "{:?}", codes(&v));
    assert_eq!(v["groups"].as_object().unwrap().len(), 400);
    // g0 = p0, p1, p2: two ties inside, one to g1 and one to g399
    assert_eq!(v["mixing_matrix"]["g0"], serde_json::json!({"g0": 2, "g1": 1, "g399": 1}));
}

#[test]
fn a_few_groups_keep_the_full_matrix() {
    let mut net = Network::new();
    read_edges_csv("source,target\na,b\nb,c\n".as_bytes(), &mut net).unwrap();
    read_groups_csv("node,group\na,x\nb,x\nc,y\nd,z\n".as_bytes(), &mut net).unwrap();
    let v = run(&net, &AnalysisOptions::default());
    assert_eq!(v["mixing_matrix_sparse"], false);
    assert_eq!(v["mixing_matrix"]["x"], serde_json::json!({"x": 1, "y": 1, "z": 0}));
    assert_eq!(v["mixing_matrix"]["z"], serde_json::json!({"x": 0, "y": 0, "z": 0}));
}

#[test]
fn huge_weights_stay_finite() {
    // two duplicate ties of weight 1e308 used to add up to infinity: NaN modularity, "inf" ties
    let mut net = Network::new();
    read_edges_csv(
        "source,target,weight\na,b,1e308\nb,a,1e308\nb,c,1e308\nc,d,1\nd,a,2\n".as_bytes(),
        &mut net,
    )
    .unwrap();
    read_groups_csv("node,group\na,x\nb,x\nc,y\nd,y\n".as_bytes(), &mut net).unwrap();
    for directed in [false, true] {
        let opts = AnalysisOptions {
            graph: GraphOptions {
                directed,
                weighted: true,
            },
            ..Default::default()
        };
        let v = run(&net, &opts);
        assert!(codes(&v).contains(&"weights_rescaled".to_owned()), "{:?}", codes(&v));
        for key in ["ei_index", "assortativity", "modularity_of_groups"] {
            assert!(v[key].as_f64().is_some_and(f64::is_finite), "{key}: {}", v[key]);
        }
        assert!(v["communities"]["modularity"].as_f64().is_some_and(f64::is_finite));
        let a = analyse(&net, &opts, &mut |_| {});
        let html = bridges::report::render(&a, "t", 1);
        let findings = bridges::report::findings(&a).join(" ");
        for text in [&html, &findings] {
            let words: Vec<&str> = text.split(|c: char| !c.is_ascii_alphanumeric()).collect();
            assert!(!words.contains(&"NaN") && !words.contains(&"inf"), "{text}");
        }
    }
}

#[test]
fn tiny_weights_keep_their_ratios() {
    // weights of 1e-305 made the E-I index undefined (an absolute 1e-300 test on its denominator)
    let mut net = Network::new();
    read_edges_csv("source,target,weight\na,b,1e-305\nb,c,1e-305\nc,d,1e-305\n".as_bytes(), &mut net).unwrap();
    read_groups_csv("node,group\na,x\nb,x\nc,y\nd,y\n".as_bytes(), &mut net).unwrap();
    let weighted = AnalysisOptions {
        graph: GraphOptions { directed: false, weighted: true },
        ..Default::default()
    };
    let v = run(&net, &weighted);
    let plain = run(&net, &AnalysisOptions::default());
    assert!(codes(&v).contains(&"weights_rescaled".to_owned()), "{:?}", codes(&v));
    for key in ["ei_index", "assortativity", "modularity_of_groups"] {
        assert!(v[key].as_f64().is_some(), "{key} is {}", v[key]);
        assert!((v[key].as_f64().unwrap() - plain[key].as_f64().unwrap()).abs() < 1e-12, "{key}");
    }
    assert_eq!(v["communities"]["count"], plain["communities"]["count"]);
    assert_eq!(bridges::measures::ratio(1e-310, 2e-310), Some(0.5));
    assert_eq!(bridges::measures::ratio(1.0, 0.0), None);
}

fn karate() -> Network {
    let mut net = Network::new();
    read_edges_csv(std::fs::File::open(common::fixtures().join("karate-edges.csv")).unwrap(), &mut net).unwrap();
    net
}

#[test]
fn modularity_is_standard_whatever_the_resolution() {
    // "modularity" was Q at γ for the modularity objective (γ = 0: "1.00", its true value 0)
    let net = karate();
    for (objective, resolution) in [("modularity", 0.0), ("modularity", 2.0), ("cpm", 0.05)] {
        let objective_value = match objective {
            "modularity" => bridges::Objective::Modularity { resolution },
            _ => bridges::Objective::Cpm { resolution },
        };
        let opts = AnalysisOptions {
            community: CommunityOptions { objective: objective_value, ..Default::default() },
            ..Default::default()
        };
        let a = analyse(&net, &opts, &mut |_| {});
        let standard = bridges::measures::modularity(a.graph.und(), &a.communities.membership, 1.0).unwrap();
        assert_eq!(a.communities.modularity, Some(standard), "{objective} {resolution}");
        let v = a.to_json(0.0, 0.0);
        assert_eq!(v["communities"]["modularity"], standard);
        assert_eq!(v["communities"]["objective"], objective);
        assert_eq!(v["communities"]["resolution"], resolution);
        let quality = v["communities"]["quality"].as_f64().unwrap();
        let found = bridges::report::findings(&a).join(" ");
        assert!(found.contains(&format!("modularity {standard:.2}; the quality optimised")), "{found}");
        assert!(found.contains(&format!("at resolution {resolution}, is {quality:.2}")), "{found}");
        if objective == "modularity" {
            let at_gamma = bridges::measures::modularity(a.graph.und(), &a.communities.membership, resolution).unwrap();
            assert_eq!(quality, at_gamma);
        }
    }
    // γ = 0: one community, standard modularity 0 (not the 1.00 printed before)
    let opts = AnalysisOptions {
        community: CommunityOptions { objective: bridges::Objective::Modularity { resolution: 0.0 }, ..Default::default() },
        ..Default::default()
    };
    let a = analyse(&net, &opts, &mut |_| {});
    assert_eq!(a.communities.count, 1);
    assert!(a.communities.modularity.unwrap().abs() < 1e-12);
    // at the standard resolution nothing more is said
    let a = analyse(&net, &AnalysisOptions::default(), &mut |_| {});
    assert!(!bridges::report::findings(&a).join(" ").contains("quality"));
}

#[test]
fn community_rounds_are_shown_as_they_run() {
    let net = karate();
    let mut steps = Vec::new();
    let a = analyse(&net, &AnalysisOptions::default(), &mut |s| steps.push(s.to_owned()));
    let rounds: Vec<&String> = steps.iter().filter(|s| s.starts_with("finding communities: round ")).collect();
    assert_eq!(rounds.len(), a.communities.iterations, "{steps:?}");
    assert_eq!(rounds[0], "finding communities: round 1");
}

#[test]
fn findings_say_what_the_numbers_say() {
    // E-I exactly 0 was "ties cross group lines more often than they stay inside"
    let mut net = Network::new();
    read_edges_csv("source,target\na,b\nb,c\nc,d\nd,e\n".as_bytes(), &mut net).unwrap();
    read_groups_csv("node,group\na,x\nb,x\nc,y\nd,y\ne,z\nf,z\n".as_bytes(), &mut net).unwrap();
    let a = analyse(&net, &AnalysisOptions::default(), &mut |_| {});
    assert_eq!(a.ei_index, Some(0.0));
    let found = bridges::report::findings(&a).join("\n");
    assert!(found.contains("(E-I index 0.00): about as many ties cross group lines as stay inside."), "{found}");
    // one person without ties: "1 person has", not "1 people have"
    assert!(found.contains("and 1 person has no ties at all"), "{found}");
    let html = bridges::report::render(&a, "t", 1);
    assert!(html.contains("1 person without ties"), "method section");

    // sampled betweenness is an estimate, with its error bound, as in the report's table
    let net = karate();
    let opts = AnalysisOptions {
        betweenness: BetweennessMode::Sampled { sources: 10, delta: 0.1 },
        ..Default::default()
    };
    let a = analyse(&net, &opts, &mut |_| {});
    let b = a.betweenness.as_ref().unwrap();
    assert!(!b.exact);
    let found = bridges::report::findings(&a).join("\n");
    assert!(
        found.contains("is the strongest bridge overall: on an estimated")
            && found.contains("estimated from 10 sampled people: with probability 90% within ±"),
        "{found}"
    );
    let exact = analyse(&net, &AnalysisOptions::default(), &mut |_| {});
    assert!(!bridges::report::findings(&exact).join(" ").contains("estimated"));
}
