//! The input model: named nodes, optional group labels, and a raw edge list
//! (before cleaning), plus the diagnostics collected while reading it.

use serde::Serialize;
use std::collections::HashMap;

/// Something worth telling the person about the input: never fatal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Short machine-readable code, e.g. `self_loops`.
    pub code: &'static str,
    /// How many items it concerns.
    pub count: u64,
    /// Plain-language explanation.
    pub message: String,
}

impl Diagnostic {
    pub fn new(code: &'static str, count: u64, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            count,
            message: message.into(),
        }
    }
}

/// Sentinel for "no timestamp" in [`Network::time`].
pub const NO_TIME: i64 = i64::MIN;

/// Nodes, group labels and raw edges, as read. Edges are kept in
/// struct-of-arrays form so ten million of them stay compact.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// Node names, indexed by node id.
    pub names: Vec<String>,
    index: HashMap<String, u32>,
    /// Group id of each node (`None` = no label).
    pub group_of: Vec<Option<u32>>,
    /// Group names, indexed by group id.
    pub group_names: Vec<String>,
    group_index: HashMap<String, u32>,
    /// Edge sources.
    pub src: Vec<u32>,
    /// Edge targets.
    pub dst: Vec<u32>,
    /// Edge weights, when the input had a weight column.
    pub weight: Option<Vec<f64>>,
    /// Edge timestamps (unix seconds, [`NO_TIME`] if missing), when the input had a timestamp column.
    pub time: Option<Vec<i64>>,
    /// Whether the file itself declared the graph directed (GML `directed 1`).
    pub declared_directed: Option<bool>,
    /// Problems met while reading.
    pub diagnostics: Vec<Diagnostic>,
}

impl Network {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.names.len()
    }

    /// Number of raw edges (before cleaning).
    pub fn raw_edge_count(&self) -> usize {
        self.src.len()
    }

    /// Id of the node called `name`, creating it if needed.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), id);
        self.group_of.push(None);
        id
    }

    /// Id of an existing node.
    pub fn node_id(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// Id of the group called `name`, creating it if needed.
    pub fn intern_group(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.group_index.get(name) {
            return id;
        }
        let id = self.group_names.len() as u32;
        self.group_names.push(name.to_owned());
        self.group_index.insert(name.to_owned(), id);
        id
    }

    /// Label a node (creating it if it has no ties yet).
    pub fn set_group(&mut self, node: &str, group: &str) {
        let n = self.intern(node);
        let g = self.intern_group(group);
        self.group_of[n as usize] = Some(g);
    }

    /// Add an edge by node names.
    pub fn add_edge(&mut self, source: &str, target: &str, weight: Option<f64>, time: Option<i64>) {
        let s = self.intern(source);
        let t = self.intern(target);
        self.add_edge_ids(s, t, weight, time);
    }

    /// Add an edge by node ids (ids must exist).
    pub fn add_edge_ids(&mut self, s: u32, t: u32, weight: Option<f64>, time: Option<i64>) {
        let i = self.src.len();
        self.src.push(s);
        self.dst.push(t);
        if let Some(w) = weight {
            let ws = self.weight.get_or_insert_with(|| vec![1.0; i]);
            ws.push(w);
        } else if let Some(ws) = self.weight.as_mut() {
            ws.push(1.0);
        }
        if let Some(ts) = time {
            let tv = self.time.get_or_insert_with(|| vec![NO_TIME; i]);
            tv.push(ts);
        } else if let Some(tv) = self.time.as_mut() {
            tv.push(NO_TIME);
        }
    }

    /// Build a network of `n` anonymous nodes named `0..n` (for generators and benchmarks).
    pub fn with_numbered_nodes(n: usize) -> Self {
        let mut net = Network::new();
        net.names = (0..n).map(|i| i.to_string()).collect();
        net.index = net
            .names
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        net.group_of = vec![None; n];
        net
    }

    /// Number of labelled nodes.
    pub fn labelled_count(&self) -> usize {
        self.group_of.iter().filter(|g| g.is_some()).count()
    }

    /// Group ids with unlabelled nodes mapped to `None`, as a dense vector.
    pub fn groups(&self) -> &[Option<u32>] {
        &self.group_of
    }

    /// A copy keeping all nodes and groups but only the edges at `indices`.
    pub fn edge_subset_indices(&self, indices: &[usize]) -> Network {
        Network {
            names: vec![String::new(); self.names.len()],
            index: HashMap::new(),
            group_of: self.group_of.clone(),
            group_names: self.group_names.clone(),
            group_index: HashMap::new(),
            src: indices.iter().map(|&i| self.src[i]).collect(),
            dst: indices.iter().map(|&i| self.dst[i]).collect(),
            weight: self
                .weight
                .as_ref()
                .map(|w| indices.iter().map(|&i| w[i]).collect()),
            time: None,
            declared_directed: self.declared_directed,
            diagnostics: Vec::new(),
        }
    }
}
