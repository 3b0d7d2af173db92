//! Indexed evaluation (long right-hand sides, joins) against a plain scan: the same outcomes
//! and findings, for every kind of value the index must leave to the scan.

use std::cell::Cell;

use super::tests::run_with_model;
use super::*;
use crate::template::{Unknown, UnknownHint, Value};

fn at(i: usize) -> Span {
    Span::new(i as u32, i as u32 + 1)
}

/// A model of `n` rules (`group`, `port`, `cidr` of every kind) and lists of `n` blocks: of
/// all kinds (`vpcs`), IPv6 only (`v6`), and `0.0.0.0/0` only (`zeros`).
fn model(n: usize) -> Vec<(&'static str, Node)> {
    let unknown = |hint: UnknownHint, i: usize| {
        Node::unknown(
            Unknown {
                reason: format!("value {i} is unknown").into(),
                hint,
            },
            at(i),
        )
    };
    let rules = (0..n)
        .map(|i| {
            let mut fields = vec![("port", Node::new(Value::Int(i as i64), at(i)))];
            let group = match i % 8 {
                0..=3 => Some(Node::string(format!("g{}", i % 5), at(i))),
                4 => Some(Node::new(Value::Int(7), at(i))),
                5 => None,
                6 => Some(unknown(UnknownHint::None, i)),
                _ => Some(Node::string("7", at(i))),
            };
            fields.extend(group.map(|g| ("group", g)));
            let cidr = match i % 11 {
                0 => Node::string(format!("10.0.{i}.0/24"), at(i)),
                1 => Node::string(format!("10.{i}.0.0/15"), at(i)),
                2 => Node::string(format!("2001:db8:{i:x}::/56"), at(i)),
                3 => Node::string("0.0.0.0/0", at(i)),
                4 => unknown(
                    UnknownHint::Cidr {
                        v6: i % 2 == 0,
                        prefix: 32,
                    },
                    i,
                ),
                5 => Node::string("not a block", at(i)),
                6 => Node::new(Value::Int(22), at(i)),
                // Holds the block that starts at its last address.
                7 => Node::string("192.168.9.0/24", at(i)),
                8 if i % 2 == 0 => unknown(UnknownHint::VpcCidr("Vpc".into()), i),
                8 => unknown(UnknownHint::None, i),
                // The same block as one of the list, written with host bits there.
                9 => Node::string("10.5.0.0/16", at(i)),
                // Written exactly as a VPC's block (for `==` and `IN`).
                _ if i % 2 == 0 => Node::string("172.16.9.0/24", at(i)),
                _ => Node::string(format!("10.{i}.7.0/24"), at(i)),
            };
            fields.push(("cidr", cidr));
            Node::map(fields, at(i))
        })
        .collect();
    let blocks = |f: &dyn Fn(usize) -> String| -> Node {
        let items = (0..n)
            .map(|j| Node::map([("cidr", Node::string(f(j), at(j)))], at(j)))
            .collect();
        Node::list(items, Span::default())
    };
    let vpcs = blocks(&|j| match (j, j % 5) {
        (7, _) => "::/0".to_string(),
        (_, 0) => format!("10.{j}.2.3/16"),
        (_, 1) => format!("10.0.{j}.128/25"),
        (_, 2) => format!("2001:db8:{j:x}::/48"),
        (_, 3) => "192.168.9.255/32".to_string(),
        _ => format!("172.16.{j}.0/24"),
    });
    let v6 = blocks(&|j| format!("2001:db8:{j:x}::/48"));
    let zeros = blocks(&|_| "0.0.0.0/0".to_string());
    vec![
        ("rules", Node::list(rules, Span::default())),
        ("vpcs", vpcs),
        ("v6", v6),
        ("zeros", zeros),
    ]
}

const POLICY: &str = r#"
let blocks = %vpcs.cidr
let v6_blocks = v6.cidr
let zero_blocks = zeros.cidr
let texts = %rules.cidr
let groups = %rules[ port >= 0 ]
let nothing = %rules[ port < 0 ].group
let some_owners = %groups[ port < 24; group NOT IS_UNKNOWN; group IN ["g0", "g1", "g2"] ].group
rule inside { %rules.cidr WITHIN %blocks }
rule outside { %rules.cidr NOT WITHIN %blocks }
rule meets { %rules.cidr OVERLAPS %blocks }
rule inside_v6 { %rules.cidr WITHIN %v6_blocks }
rule meets_v6 { %rules.cidr OVERLAPS %v6_blocks }
rule inside_zeros { %rules.cidr WITHIN %zero_blocks }
rule inside_local { let b = %vpcs.cidr
                    %rules.cidr WITHIN %b }
rule in_blocks { %rules.cidr IN %blocks }
rule eq_texts { %rules.cidr == %blocks }
rule ne_texts { %rules.group != %blocks }
rule eq_scan { %rules.cidr == %texts }
rule join_root {
    %groups {
        let owner = group
        %rules[ group == %owner; port > 3 ] !EMPTY
    }
}
rule join_let {
    %groups {
        let owner = group
        %groups[ group == %owner; port > 3 ] !EMPTY
    }
}
rule join_ports {
    %groups {
        let owner = group
        %groups[ group == %owner ].port < 30
    }
}
rule join_root_ports {
    %groups {
        let owner = group
        %rules[ group == %owner ].port < 30
    }
}
rule join_many { %groups[ group == %some_owners ].port < 30 }
rule join_count { count(%groups[ group == %some_owners ]) < 0 }
rule join_literal { %groups[ group == "g1" ] EMPTY }
rule join_missing { %groups[ group == %nothing ] EMPTY }
"#;

/// Runs `policy` on `model`, indexed or scanning; returns the outcomes and how many filter
/// candidates were tried.
fn run(
    policy: &str,
    model: &[(&'static str, Node)],
    scan: bool,
) -> (Vec<(String, Status, Vec<Finding>)>, usize) {
    SCAN_ONLY.with(|s| s.set(scan));
    TRIED.with(|n| n.set(0));
    INDEXED.with(|n| n.set(0));
    let outcomes = run_with_model(policy, "Resources: {}\n", model);
    SCAN_ONLY.with(|s| s.set(false));
    (outcomes, TRIED.with(Cell::get))
}

/// How many answers came from an index in the last run.
fn indexed() -> usize {
    INDEXED.with(Cell::get)
}

#[test]
fn indexed_evaluation_gives_what_a_scan_gives() {
    let model = model(48);
    let (scanned, _) = run(POLICY, &model, true);
    assert_eq!(indexed(), 0);
    // Each rule alone, so that each is seen to use an index.
    for rule in POLICY.split("\nrule ").skip(1) {
        let lets: String = POLICY
            .lines()
            .filter(|l| l.starts_with("let "))
            .map(|l| format!("{l}\n"))
            .collect();
        let policy = format!("{lets}rule {rule}");
        let (one, _) = run(&policy, &model, false);
        // `texts` holds unknown values and numbers: it is scanned.
        assert_eq!(indexed() > 0, !rule.starts_with("eq_scan"), "{policy}");
        let name = &one[0].0;
        let expected: Vec<_> = scanned
            .iter()
            .filter(|(n, _, _)| n == name)
            .cloned()
            .collect();
        assert_eq!(one, expected, "{policy}");
    }
    let (indexed, _) = run(POLICY, &model, false);
    assert_eq!(indexed, scanned);
    // Every kind of outcome is there, so the comparison covers each.
    let statuses: Vec<Status> = indexed.iter().map(|(_, s, _)| *s).collect();
    for status in [Status::Pass, Status::Fail, Status::Unknown] {
        assert!(statuses.contains(&status), "{indexed:#?}");
    }
}

#[test]
fn a_join_tries_only_the_items_with_the_value() {
    let rules = (0..64)
        .map(|i| {
            Node::map(
                [
                    ("group", Node::string(format!("g{}", i % 8), at(i))),
                    ("port", Node::new(Value::Int(i as i64), at(i))),
                ],
                at(i),
            )
        })
        .collect();
    let model = vec![("rules", Node::list(rules, Span::default()))];
    // Over a `let` of the rules (each its own item) and over the model root (one list).
    for policy in [
        "let all = %rules[ port >= 0 ]\nrule join { %all { let owner = group\n %all[ group == %owner ] !EMPTY } }",
        "let all = %rules[ port >= 0 ]\nrule join { %all { let owner = group\n %rules[ group == %owner ] !EMPTY } }",
    ] {
        let (indexed, tried_indexed) = run(policy, &model, false);
        let (scanned, tried_scanned) = run(policy, &model, true);
        assert_eq!(indexed, scanned);
        assert_eq!(indexed[0].1, Status::Pass);
        // 64 owners: each tries the 8 items of its group, not all 64 (and `all` tries 64).
        assert_eq!(tried_scanned, 64 + 64 * 64, "{policy}");
        assert_eq!(tried_indexed, 64 + 64 * 8, "{policy}");
    }
}
