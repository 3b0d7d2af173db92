//! The model over every template of the shared corpus (`../shared/corpus/MANIFEST.tsv`): no
//! panic, and the security-group resources the model sees match the manifest's counts.
//!
//! What is compared, and why it is an honest equality:
//! - `sg_resources` counts `AWS::EC2::SecurityGroup` resources; the model has exactly one
//!   non-default `security_groups` entry per such resource, whatever its properties.
//! - `sg_ingress_resources` / `sg_egress_resources` count standalone rule resources. The model
//!   gives every standalone rule resource at least one `rules` entry (`origin: standalone`,
//!   `resource` = its logical id) unless its `Condition` can never be true. So the distinct
//!   declaring resources of standalone rules, plus the rule resources that produced no entry,
//!   must equal the manifest count; and the second set must be empty unless such a condition
//!   explains it (none in this corpus: the test lists any it finds).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use palisade::model::{self, Parameters};
use palisade::template::{self, Node};
use rayon::prelude::*;

mod corpus_support;
use corpus_support::EXPECTED_FAILURES as EXPECTED_LOAD_FAILURES;

struct Row {
    path: String,
    groups: usize,
    ingress: usize,
    egress: usize,
}

enum Outcome {
    LoadError(String),
    Checked(Vec<String>),
}

fn check(root: &Path, row: &Row) -> Outcome {
    let file = root.join(&row.path);
    let loaded = template::read_file(&file, row.path.clone()).and_then(template::parse);
    let t = match loaded {
        Ok(t) => t,
        Err(e) => return Outcome::LoadError(e.code.to_string()),
    };
    let m = model::build(&t, &Parameters::new());
    let mut problems = Vec::new();
    let groups = m
        .entries("security_groups")
        .iter()
        .filter(|g| {
            g.get("is_default").map(|d| &d.value) != Some(&palisade::template::Value::Bool(true))
        })
        .count();
    if groups != row.groups {
        problems.push(format!("{} groups, manifest says {}", groups, row.groups));
    }
    let resources = t.resources();
    for (ty, direction, want) in [
        ("AWS::EC2::SecurityGroupIngress", "ingress", row.ingress),
        ("AWS::EC2::SecurityGroupEgress", "egress", row.egress),
    ] {
        let declared: BTreeSet<&str> = resources
            .map(|r| {
                r.iter()
                    .filter(|(_, v)| v.get("Type").and_then(Node::as_str) == Some(ty))
                    .map(|(k, _)| k)
                    .collect()
            })
            .unwrap_or_default();
        let seen: BTreeSet<&str> = m
            .entries("rules")
            .iter()
            .filter(|r| {
                r.get("origin").and_then(Node::as_str) == Some("standalone")
                    && r.get("direction").and_then(Node::as_str) == Some(direction)
            })
            .filter_map(|r| r.get("resource").and_then(Node::as_str))
            .collect();
        let without_rule: Vec<&&str> = declared.difference(&seen).collect();
        if seen.len() + without_rule.len() != want || !without_rule.is_empty() {
            problems.push(format!(
                "{direction}: {} resources with standalone rules, {:?} without any; manifest says {want}",
                seen.len(),
                without_rule
            ));
        }
    }
    Outcome::Checked(problems)
}

#[test]
fn corpus_models_match_the_manifest() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(root.join("MANIFEST.tsv")) else {
        eprintln!("skipping: no corpus manifest at {}", root.display());
        return;
    };
    let rows: Vec<Row> = manifest
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Some(Row {
                path: cols.first()?.to_string(),
                groups: cols.get(8)?.parse().ok()?,
                ingress: cols.get(9)?.parse().ok()?,
                egress: cols.get(10)?.parse().ok()?,
            })
        })
        .collect();
    assert!(
        rows.len() > 800,
        "the manifest lists {} templates",
        rows.len()
    );
    let start = std::time::Instant::now();
    let outcomes: Vec<(&Row, Outcome)> = rows
        .par_iter()
        .map(|row| {
            let outcome = std::panic::catch_unwind(|| check(&root, row))
                .unwrap_or_else(|_| Outcome::Checked(vec!["the model panicked".to_string()]));
            (row, outcome)
        })
        .collect();
    let elapsed = start.elapsed();
    let mut failures = Vec::new();
    let mut load_failures = Vec::new();
    for (row, outcome) in &outcomes {
        match outcome {
            Outcome::LoadError(code) => load_failures.push((row.path.as_str(), code.as_str())),
            Outcome::Checked(problems) => {
                for p in problems {
                    failures.push(format!("{}: {p}", row.path));
                }
            }
        }
    }
    load_failures.sort_unstable();
    let mut expected = EXPECTED_LOAD_FAILURES.to_vec();
    expected.sort_unstable();
    assert_eq!(load_failures, expected, "templates that fail to load");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{} templates modelled in {elapsed:?}", outcomes.len());
}

#[test]
fn corpus_files_are_read_through_the_public_api() {
    // A tiny self-check of the helper types so the test above fails loudly on a bad manifest.
    let t = template::parse(Arc::new(palisade::source::SourceFile::new(
        "t.yaml",
        "Resources: {Sg: {Type: AWS::EC2::SecurityGroup}}",
    )))
    .expect("parses");
    assert_eq!(
        model::build(&t, &Parameters::new())
            .entries("security_groups")
            .len(),
        1
    );
}
