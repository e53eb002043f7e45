//! Readers: which columns of a group file are read, what a malformed file
//! says, and how odd cells (not UTF-8, millisecond timestamps) are counted.

use bridges::load::{
    LoadError, month_label, parse_time, read_edges_csv, read_gml, read_groups_csv, read_groups_csv_column,
};
use bridges::Network;

fn group_of(net: &Network, node: &str) -> Option<String> {
    let id = net.node_id(node)? as usize;
    net.group_of[id].map(|g| net.group_names[g as usize].clone())
}

fn codes(net: &Network) -> Vec<&'static str> {
    net.diagnostics.iter().map(|d| d.code).collect()
}

fn err_text(r: Result<(), LoadError>) -> String {
    r.expect_err("should be refused").to_string()
}

const GEPHI_NODES: &str = "Id,Label,political_ideology\n0,1000 Years for Revenge,neutral\n1,Bush vs. the Beltway,conservative\n2,Charlie Wilson's War,conservative\n";

#[test]
fn a_gephi_node_table_is_not_grouped_by_its_label() {
    // `Label` is the book's title: reading it as the group gave one group per book
    let mut net = Network::new();
    let msg = err_text(read_groups_csv(GEPHI_NODES.as_bytes(), &mut net));
    assert!(msg.contains("`Id`, `Label`, `political_ideology`"), "{msg}");
    assert!(msg.contains("--group-attr political_ideology"), "{msg}");
    assert!(net.group_names.is_empty());
}

#[test]
fn the_group_column_can_be_named() {
    let mut net = Network::new();
    read_groups_csv_column(GEPHI_NODES.as_bytes(), &mut net, Some("political_ideology")).unwrap();
    assert_eq!(group_of(&net, "0").as_deref(), Some("neutral"));
    assert_eq!(group_of(&net, "2").as_deref(), Some("conservative"));
    assert_eq!(net.group_names.len(), 2);
    assert!(net.diagnostics.is_empty(), "{:?}", net.diagnostics);

    // case does not matter; a column that is not there is named with the ones that are
    let mut net = Network::new();
    read_groups_csv_column(GEPHI_NODES.as_bytes(), &mut net, Some("Political_Ideology")).unwrap();
    assert_eq!(net.group_names.len(), 2);
    let msg = err_text(read_groups_csv_column(GEPHI_NODES.as_bytes(), &mut Network::new(), Some("party")));
    assert!(msg.contains("no column `party`") && msg.contains("`Id`, `Label`, `political_ideology`"), "{msg}");
}

#[test]
fn node_and_group_are_never_the_same_column() {
    // `sector,person`: the node column used to fall back to column 0, which was also the group
    let mut net = Network::new();
    read_groups_csv("sector,person\narts,ann\nhealth,bob\n".as_bytes(), &mut net).unwrap();
    assert_eq!(group_of(&net, "ann").as_deref(), Some("arts"));
    assert_eq!(group_of(&net, "bob").as_deref(), Some("health"));
    assert!(net.node_id("arts").is_none());

    // naming the node column as the group is refused, naming the columns found
    let msg = err_text(read_groups_csv_column("id,club\na,x\n".as_bytes(), &mut Network::new(), Some("id")));
    assert!(msg.contains("`id`, `club`") && msg.contains("node column"), "{msg}");

    // with another column to take the node from, the named group column is used
    let mut net = Network::new();
    read_groups_csv_column("sector,person,notes\narts,ann,x\n".as_bytes(), &mut net, Some("notes")).unwrap();
    assert_eq!(group_of(&net, "arts").as_deref(), Some("x"));
    assert!(codes(&net).contains(&"group_columns_guessed"));
}

#[test]
fn unnamed_columns_are_guessed_only_when_there_are_two() {
    let mut net = Network::new();
    read_groups_csv("who,what\nann,arts\n".as_bytes(), &mut net).unwrap();
    assert_eq!(group_of(&net, "ann").as_deref(), Some("arts"));
    let d = net.diagnostics.iter().find(|d| d.code == "group_columns_guessed").expect("a note");
    assert!(d.message.contains("`what` was read as the group") && d.message.contains("`who`, `what`"), "{}", d.message);

    let msg = err_text(read_groups_csv("person,email,notes\nann,a@x,hi\n".as_bytes(), &mut Network::new()));
    assert!(msg.contains("no group column") && msg.contains("`person`, `email`, `notes`"), "{msg}");

    let msg = err_text(read_groups_csv("node\nann\n".as_bytes(), &mut Network::new()));
    assert!(msg.contains("two columns") && msg.contains("`node`"), "{msg}");
}

#[test]
fn missing_edge_columns_are_listed_apart() {
    let msg = err_text(read_edges_csv("Source ID,Target ID\n1,2\n".as_bytes(), &mut Network::new()));
    assert!(msg.contains("(found: `Source ID`, `Target ID`)"), "{msg}");
}

#[test]
fn cells_that_are_not_utf8_are_counted_as_such() {
    let mut data = b"source,target\nann,bob\n".to_vec();
    data.extend_from_slice(b"caf\xe9,bob\n");
    let mut net = Network::new();
    read_edges_csv(&data[..], &mut net).unwrap();
    assert_eq!(net.raw_edge_count(), 1);
    let d = net.diagnostics.iter().find(|d| d.code == "not_utf8").expect("a not-UTF-8 note");
    assert_eq!(d.count, 1);
    assert!(d.message.contains("not UTF-8"), "{}", d.message);
    assert!(!codes(&net).contains(&"bad_rows"), "{:?}", net.diagnostics);

    let mut groups = b"node,group\nann,arts\n".to_vec();
    groups.extend_from_slice(b"bob,sant\xe9\n");
    read_groups_csv(&groups[..], &mut net).unwrap();
    assert!(codes(&net).contains(&"not_utf8"));
    assert!(!codes(&net).contains(&"bad_group_rows"), "{:?}", net.diagnostics);
}

#[test]
fn millisecond_timestamps_are_read_as_milliseconds() {
    assert_eq!(parse_time("1700000000000"), Some(1_700_000_000));
    assert_eq!(parse_time("1700000000"), Some(1_700_000_000));
    assert_eq!(parse_time("32503679999"), Some(32_503_679_999), "still seconds before the year 3000");
    assert_eq!(parse_time("1700000000000000"), None, "microseconds are not guessed");
    assert_eq!(parse_time("-99999999999999999999"), None);
    let mut net = Network::new();
    read_edges_csv(
        "source,target,timestamp\na,b,1700000000000\nb,c,1700000000\n".as_bytes(),
        &mut net,
    )
    .unwrap();
    assert_eq!(net.time.as_deref(), Some(&[1_700_000_000, 1_700_000_000][..]));
    assert_eq!(month_label(net.time.as_ref().unwrap()[0]), "2023-11", "not the year 55840");
    let d = net.diagnostics.iter().find(|d| d.code == "millisecond_timestamps").expect("a note");
    assert_eq!(d.count, 1);
}

#[test]
fn an_unreadable_file_ends_the_read() {
    // an I/O error used to be counted as a bad row and the read retried, for ever
    struct Failing {
        sent: bool,
        errors: u32,
    }
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if !self.sent {
                self.sent = true;
                let data = b"source,target\na,b\n";
                buf[..data.len()].copy_from_slice(data);
                return Ok(data.len());
            }
            self.errors += 1;
            assert!(self.errors < 100, "the reader was asked again and again after an error");
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let msg = err_text(read_edges_csv(Failing { sent: false, errors: 0 }, &mut Network::new()));
    assert!(msg.contains("disk on fire"), "{msg}");
}

#[test]
fn a_cut_short_gml_file_is_an_error_naming_the_line() {
    let text = "graph [\n  node [ id 0 ]\n  node [ id 1 ]\n  edge [ source 0 target 1 ]\n  edge [\n    source 1\n";
    let msg = err_text(read_gml(text.as_bytes(), None, &mut Network::new()));
    assert!(msg.contains("not closed") && msg.contains("line 5"), "{msg}");
    // the whole graph block unclosed
    let msg = err_text(read_gml("graph [\n node [ id 0 ]\n".as_bytes(), None, &mut Network::new()));
    assert!(msg.contains("`graph [` opened on line 1"), "{msg}");
    // a `]` too many
    let msg = err_text(read_gml("graph [ node [ id 0 ] ]\n]\n".as_bytes(), None, &mut Network::new()));
    assert!(msg.contains("line 2") && msg.contains("`]`"), "{msg}");
}

#[test]
fn deep_gml_nesting_is_refused_not_a_stack_overflow() {
    let depth = 200_000;
    let mut text = String::from("graph [ ");
    for _ in 0..depth {
        text.push_str("a [ ");
    }
    for _ in 0..=depth {
        text.push_str("] ");
    }
    let msg = err_text(read_gml(text.as_bytes(), None, &mut Network::new()));
    assert!(msg.contains("nested more than 64 deep"), "{msg}");
    // 64 deep is fine
    let mut ok = String::from("graph [ node [ id 0 ] ");
    for _ in 0..62 {
        ok.push_str("a [ ");
    }
    for _ in 0..63 {
        ok.push_str("] ");
    }
    let mut net = Network::new();
    read_gml(ok.as_bytes(), None, &mut net).unwrap();
    assert_eq!(net.node_count(), 1);
}

#[test]
fn repeated_gml_node_ids_are_reported() {
    let text = "graph [ node [ id 0 label \"A\" ] node [ id 1 label \"B\" ] node [ id 0 label \"C\" ] edge [ source 0 target 1 ] ]";
    let mut net = Network::new();
    read_gml(text.as_bytes(), None, &mut net).unwrap();
    let d = net.diagnostics.iter().find(|d| d.code == "gml_duplicate_node_ids").expect("a note");
    assert_eq!(d.count, 1);
    assert_eq!(net.names, vec!["A", "B"], "the first node with an id counts");
    assert_eq!((net.src[0], net.dst[0]), (0, 1));
}

/// `a,b`, then `bad` on line 3, then 1000 rows `n{i},n{i+1}`.
fn with_rows_after(bad: &str) -> String {
    let mut text = format!("source,target\na,b\n{bad}\n");
    for i in 0..1000 {
        text.push_str(&format!("n{i},n{}\n", i + 1));
    }
    text
}

#[test]
fn an_unclosed_quote_is_refused_naming_the_line_it_opened_on() {
    // the quote in the source column used to swallow the file ("2 nodes, 1 edge",
    // a note about one row without a target, exit 0); in the target column, one
    // node named with the 9,784 characters after it and no note at all
    for bad in ["\"c,d", "c,\"d"] {
        let mut net = Network::new();
        let msg = err_text(read_edges_csv(with_rows_after(bad).as_bytes(), &mut net));
        assert!(msg.contains("quote opened on line 3") && msg.contains("never closed"), "{bad}: {msg}");
        assert!(msg.contains("1001 lines"), "{bad}: {msg}");
    }
    // the header too
    let msg = err_text(read_edges_csv("source,\"target\na,b\n".as_bytes(), &mut Network::new()));
    assert!(msg.contains("line 1") && msg.contains("never closed"), "{msg}");
    // the group file too
    let mut net = Network::new();
    let msg = err_text(read_groups_csv("node,group\nann,arts\n\"bob,health\ncat,arts\n".as_bytes(), &mut net));
    assert!(msg.contains("quote opened on line 3 of the group file"), "{msg}");
    // a blank line before it does not shift the line named
    let msg = err_text(read_edges_csv("source,target\n\na,b\n\nc,\"d\ne,f\n".as_bytes(), &mut Network::new()));
    assert!(msg.contains("line 5"), "{msg}");
}

#[test]
fn a_quote_closed_rows_later_is_refused_but_text_over_lines_is_read() {
    // closed ten rows on: the rows in between would be one node's name
    let mut text = String::from("source,target\na,b\nc,\"d\n");
    for i in 0..10 {
        text.push_str(&format!("n{i},n{}\n", i + 1));
    }
    text.push_str("x,y\"\np,q\n");
    let msg = err_text(read_edges_csv(text.as_bytes(), &mut Network::new()));
    assert!(msg.contains("opened on line 3") && msg.contains("further rows"), "{msg}");
    // the import's rule: a value over several lines in a row of the wrong width
    let msg = err_text(read_edges_csv("source,target,note\na,b,\"x\ny\",extra\nb,c,z\n".as_bytes(), &mut Network::new()));
    assert!(msg.contains("row on line 2") && msg.contains("4 fields where the header has 3") && msg.contains("opened on line 2"), "{msg}");
    // a message's text over several lines, commas and all, in a column not read: fine
    let mut net = Network::new();
    read_edges_csv("source,target,msg\na,b,\"hello,\nsee you, then\"\nb,c,x\n".as_bytes(), &mut net).unwrap();
    assert_eq!(net.raw_edge_count(), 2);
    assert!(net.diagnostics.is_empty(), "{:?}", net.diagnostics);
    // a name over two lines without anything like a row in it is a name
    let mut net = Network::new();
    read_edges_csv("source,target\n\"Ann\nSmith\",b\n".as_bytes(), &mut net).unwrap();
    assert_eq!(net.names[0], "Ann\nSmith");
}

#[test]
fn semicolons_and_tabs_separate_columns_as_in_the_import() {
    // used to be refused: "needs source and target (found: `source;target`)"
    let mut net = Network::new();
    read_edges_csv("source;target;weight\nann;bob;1,5\nbob;cat;2\n".as_bytes(), &mut net).unwrap();
    assert_eq!(net.raw_edge_count(), 2);
    assert_eq!(net.weight.as_deref(), Some(&[1.5, 2.0][..]), "a decimal comma in a semicolon file");
    let mut net = Network::new();
    read_edges_csv("source\ttarget\nann\tbob\n".as_bytes(), &mut net).unwrap();
    assert_eq!(net.names, vec!["ann", "bob"]);
    read_groups_csv("node;group\nann;arts\n".as_bytes(), &mut net).unwrap();
    assert_eq!(group_of(&net, "ann").as_deref(), Some("arts"));
    // another separator: the cause is said
    let msg = err_text(read_edges_csv("source|target\na|b\n".as_bytes(), &mut Network::new()));
    assert!(msg.contains("`source|target`") && msg.contains("single column") && msg.contains("semicolons or tabs"), "{msg}");
}

#[test]
fn dates_that_do_not_exist_are_noted_with_their_line() {
    assert_eq!(parse_time("2026-02-30"), None, "used to be read as 2026-03-02");
    assert_eq!(parse_time("2026-04-31T10:00:00Z"), None);
    assert_eq!(parse_time("2023-02-29"), None);
    assert_eq!(parse_time("2024-02-29"), Some(1_709_164_800));
    assert_eq!(parse_time("2000-02-29"), Some(951_782_400));
    let mut net = Network::new();
    read_edges_csv("source,target,timestamp\na,b,2026-02-01\nb,c,2026-02-30\n".as_bytes(), &mut net).unwrap();
    let d = net.diagnostics.iter().find(|d| d.code == "bad_timestamps").expect("a note");
    assert_eq!(d.count, 1);
    assert!(d.message.contains("line 3") && d.message.contains("`2026-02-30`"), "{}", d.message);
    assert_eq!(month_label(net.time.as_ref().unwrap()[0]), "2026-02");
}

#[test]
fn a_gml_group_attribute_no_node_has_is_an_error() {
    let text = "graph [ node [ id 0 label \"A\" value \"x\" ] node [ id 1 label \"B\" value \"y\" ] edge [ source 0 target 1 ] ]";
    let msg = err_text(read_gml(text.as_bytes(), Some("vaule"), &mut Network::new()));
    assert!(msg.contains("`vaule`") && msg.contains("`id`, `label`, `value`"), "{msg}");
    // some nodes without it: a note, as before
    let text = "graph [ node [ id 0 value \"x\" ] node [ id 1 ] edge [ source 0 target 1 ] ]";
    let mut net = Network::new();
    read_gml(text.as_bytes(), Some("value"), &mut net).unwrap();
    assert!(codes(&net).contains(&"missing_group_attribute"));
}

#[test]
fn gml_that_is_not_utf8_names_the_line() {
    let mut text = b"graph [\n  node [ id 0 label \"A\" ]\n  node [ id 1 label \"Caf".to_vec();
    text.extend_from_slice(b"\xe9\" ]\n]\n");
    let msg = err_text(read_gml(&text[..], None, &mut Network::new()));
    assert!(msg.contains("line 3") && msg.contains("UTF-8"), "{msg}");
}
