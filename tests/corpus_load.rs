//! Loads every template of the shared corpus (`../shared/corpus`, listed in its `MANIFEST.tsv`):
//! no panic, no failure but the expected ones, and the security-group resource counts the
//! manifest records. The corpus sits next to the repository in the project's workspace only;
//! elsewhere the tests say so and pass.

// Test code throughout, helpers included (the lints allow `unwrap` in tests).
#![cfg(test)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade::source::SourceFile;
use palisade::template::{self, Template};

mod corpus_support;
use corpus_support::EXPECTED_FAILURES;

/// Sample pairs of `aws-cloudformation__aws-cloudformation-templates` (`X.yaml` and `X.json`)
/// that do not load to the same tree because the two files say different things. Every other
/// pair must load to the same tree, key order aside.
const DIFFERENT_TWINS: [(&str, &str); 14] = [
    (
        "AWSSupplyChain__SapPrivateLink__SapPrivateLink",
        "the JSON file lost the YAML's `!ValueOf` tag (a converter that drops tags, as Guard does)",
    ),
    (
        "AWSSupplyChain__SapPrivateLink__SapPrivateLinkNoHostedZone",
        "the JSON file lost the YAML's `!ValueOf` tag",
    ),
    (
        "AutoScaling__AutoScalingRollingUpdates",
        "the YAML uses a launch template, the JSON a launch configuration",
    ),
    (
        "AutoScaling__AutoScalingScheduledAction",
        "the YAML uses a launch template, the JSON a launch configuration",
    ),
    (
        "EC2__EC2_Instance_With_Ephemeral_Drives",
        "the YAML sets `SecurityGroupIds`, the JSON `SecurityGroups`",
    ),
    (
        "EC2__EIP_With_Association",
        "the YAML sets `SecurityGroupIds`, the JSON `SecurityGroups`",
    ),
    (
        "ECS__EC2LaunchType__clusters__private-vpc",
        "the YAML uses a launch template, the JSON a launch configuration",
    ),
    (
        "ECS__EC2LaunchType__clusters__public-vpc",
        "the YAML uses a launch template, the JSON a launch configuration",
    ),
    (
        "Solutions__AmazonCloudWatchAgent__inline__centos",
        "the `Mappings` list different images",
    ),
    (
        "Solutions__AmazonCloudWatchAgent__inline__redhat",
        "the `Mappings` list different images",
    ),
    (
        "Solutions__AmazonCloudWatchAgent__inline__suse",
        "the `Mappings` list different images",
    ),
    (
        "Solutions__AmazonCloudWatchAgent__ssm__centos",
        "the `Mappings` list different images",
    ),
    (
        "Solutions__AmazonCloudWatchAgent__ssm__redhat",
        "the `Mappings` list different images",
    ),
    (
        "Solutions__AmazonCloudWatchAgent__ssm__suse",
        "the `Mappings` list different images",
    ),
];

/// Twins that use rain's pre-processor tags: the YAML's `!Rain::Embed x` loads as
/// `{Fn::Rain::Embed: x}` (every unknown tag becomes `Fn::<Tag>`) where the JSON file writes
/// `{"Rain::Embed": "x"}`. With that one spelling aligned they load to the same tree.
const RAIN_TWINS: [&str; 6] = [
    "ElastiCache__Elasticache-snapshot",
    "IoT__amzn2-greengrass-cfn",
    "Solutions__GitLabAndVSCode__GitLabAndVSCode",
    "Solutions__GitLab__GitLabServer",
    "Solutions__Gitea__Gitea",
    "Solutions__VSCode__VSCodeServer",
];

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join("MANIFEST.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("skipping: ../shared/corpus not found");
        None
    }
}

/// One manifest row.
struct Row {
    path: String,
    counts: [usize; 3],
}

fn manifest(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let path = column("corpus_path");
    let counts = [
        column("sg_resources"),
        column("sg_ingress_resources"),
        column("sg_egress_resources"),
    ];
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Row {
                path: fields[path].to_string(),
                counts: counts.map(|c| fields[c].parse().unwrap()),
            }
        })
        .collect()
}

fn load(dir: &Path, path: &str) -> Result<Template, template::LoadError> {
    let source = template::read_file(&dir.join(path), path)?;
    template::parse(source)
}

/// Resources whose `Type` is a security group, a standalone ingress and a standalone egress.
fn security_group_counts(t: &Template) -> [usize; 3] {
    let mut counts = [0; 3];
    for (_, resource) in t.resources().into_iter().flat_map(|r| r.iter()) {
        // A rain module's `Type` is a tagged value or a map: simply not one of these strings.
        let slot = match resource.get("Type").and_then(|t| t.as_str()) {
            Some("AWS::EC2::SecurityGroup") => 0,
            Some("AWS::EC2::SecurityGroupIngress") => 1,
            Some("AWS::EC2::SecurityGroupEgress") => 2,
            _ => continue,
        };
        counts[slot] += 1;
    }
    counts
}

#[test]
fn every_corpus_template_loads_with_the_manifest_counts() {
    let Some(dir) = corpus() else { return };
    let rows = manifest(&dir);
    assert!(rows.len() >= 804, "manifest lists {} files", rows.len());
    let mut failures = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut totals = [0usize; 3];
    for row in &rows {
        match load(&dir, &row.path) {
            Ok(t) => {
                let counts = security_group_counts(&t);
                if counts != row.counts {
                    mismatches.push(format!("{}: {counts:?} != {:?}", row.path, row.counts));
                }
                for (total, n) in totals.iter_mut().zip(counts) {
                    *total += n;
                }
            }
            Err(e) => {
                failures.insert(row.path.clone(), e);
            }
        }
    }
    let unexpected: Vec<String> = failures
        .iter()
        .filter(|(path, e)| !EXPECTED_FAILURES.contains(&(path.as_str(), e.code)))
        .map(|(path, e)| format!("{path}: [{}] {}", e.code, e.message))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected failures:\n{}",
        unexpected.join("\n")
    );
    for (path, code) in EXPECTED_FAILURES {
        let e = failures
            .get(path)
            .unwrap_or_else(|| panic!("{path} loaded"));
        assert_eq!(e.code, code, "{path}");
        assert!(
            e.related.is_some(),
            "{path}: the first key's position is named"
        );
    }
    assert!(
        mismatches.is_empty(),
        "counts differ:\n{}",
        mismatches.join("\n")
    );
    // Per-file counts carry the corpus totals (STATS.md counts 1201/557/66 outside `large/`).
    assert!(
        totals[0] >= 1201 && totals[1] >= 557 && totals[2] >= 66,
        "{totals:?}"
    );
}

/// The sample twins' trees as JSON with sorted keys: `(name, yaml, json)`.
fn twins(dir: &Path, rows: &[Row]) -> Vec<(String, String, String)> {
    let prefix = "aws-cloudformation__aws-cloudformation-templates/";
    let tree = |path: &str| {
        let root = load(dir, path).unwrap().root;
        // Through `serde_json::Value`, whose maps sort their keys.
        serde_json::to_value(&root).unwrap().to_string()
    };
    let mut out = Vec::new();
    for row in rows {
        let Some(stem) = row
            .path
            .strip_prefix(prefix)
            .and_then(|p| p.strip_suffix(".yaml"))
        else {
            continue;
        };
        let json = format!("{prefix}{stem}.json");
        if rows.iter().any(|r| r.path == json) {
            out.push((stem.to_string(), tree(&row.path), tree(&json)));
        }
    }
    out
}

#[test]
fn corpus_yaml_and_json_twins_load_to_the_same_tree() {
    let Some(dir) = corpus() else { return };
    let rows = manifest(&dir);
    let pairs = twins(&dir, &rows);
    assert!(pairs.len() >= 60, "only {} twin pairs", pairs.len());
    let mut differing = Vec::new();
    for (stem, yaml, json) in &pairs {
        if let Some((_, why)) = DIFFERENT_TWINS.iter().find(|(s, _)| s == stem) {
            assert_ne!(
                yaml, json,
                "{stem} is listed as different ({why}) but is not"
            );
        } else if RAIN_TWINS.contains(&stem.as_str()) {
            assert_ne!(yaml, json, "{stem}");
            assert_eq!(&yaml.replace("\"Fn::Rain::", "\"Rain::"), json, "{stem}");
        } else if yaml != json {
            differing.push(stem.clone());
        }
    }
    assert!(
        differing.is_empty(),
        "twins differ:\n{}",
        differing.join("\n")
    );
    let listed = DIFFERENT_TWINS.iter().map(|(s, _)| *s).chain(RAIN_TWINS);
    for stem in listed {
        assert!(
            pairs.iter().any(|(s, ..)| s == stem),
            "{stem} is no twin pair"
        );
    }
}
#[test]
fn the_bom_file_loads_with_positions_after_the_mark() {
    let Some(dir) = corpus() else { return };
    let path = "fortinetsolutions__AWS-CloudFormationTemplates/Templates__GuardDuty__5.6__aws-gd-processor_localVpcSettings.sam.template.yaml";
    let t = load(&dir, path).unwrap();
    assert!(t.source.text().starts_with('\u{feff}'));
    let (key, _) = t.root.as_map().unwrap().iter().next().unwrap();
    let entry = t.root.as_map().unwrap().entry(key).unwrap();
    let pos = t.source.position(entry.key_span.start);
    assert_eq!((pos.line, pos.column), (1, 1), "first key `{key}`");
    assert_eq!(t.source.slice(entry.key_span), key);
}

#[test]
fn the_typo_tag_reads_as_a_ref() {
    let Some(dir) = corpus() else { return };
    let path = "aws__copilot-cli/internal__pkg__deploy__cloudformation__stack__testdata__workloads__svc-nlb-prod.stack.yml";
    let t = load(&dir, path).unwrap();
    let json = serde_json::to_string(&t.root).unwrap();
    assert!(json.contains(r#"{"Ref":"AWS::NoValue"}"#));
    assert!(!json.contains("Fn::Ref:"));
    let _: Arc<SourceFile> = t.source;
}
