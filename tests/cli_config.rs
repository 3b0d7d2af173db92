//! The configuration file, `palisade.toml`, through the built binary: found by walking up,
//! named with `--config`, ignored with `--no-config`; every key; errors at their line and
//! column; command-line flags winning over the file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod report_support;

use std::path::Path;

use report_support::{Run, fixtures, run_in};
use serde_json::Value;

const PARAM_POLICY: &str = r#"
param blocked_port = 22

@id("ORG010")
@severity("medium")
@title("Ingress to the blocked port")
rule blocked_port_ingress {
    Resources.*[ Type == "AWS::EC2::SecurityGroup" ].Properties.SecurityGroupIngress[*] {
        FromPort != %blocked_port
    }
}
"#;

/// A repository: `palisade.toml` at the top, policies in `policies/`, templates in `stacks/`.
fn repository(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["policies", "stacks"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    std::fs::copy(
        fixtures().join("policy.guard"),
        root.join("policies/org.guard"),
    )
    .unwrap();
    std::fs::write(root.join("policies/ports.guard"), PARAM_POLICY).unwrap();
    std::fs::copy(fixtures().join("open.yaml"), root.join("stacks/open.yaml")).unwrap();
    std::fs::write(root.join("palisade.toml"), config).unwrap();
    dir
}

fn validate_in(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["validate", "open.yaml"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

fn findings(run: &Run) -> Vec<(String, String)> {
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn ids(run: &Run) -> Vec<String> {
    findings(run).into_iter().map(|(id, _)| id).collect()
}

const BASE: &str = "rules = [\"policies\"]\nno_bundled = true\n";

#[test]
fn the_file_above_the_working_directory_applies_and_flags_win() {
    let repo = repository(&format!("{BASE}fail_on = \"critical\"\n"));
    let stacks = repo.path().join("stacks");
    let json = ["--format", "json"];
    let run = validate_in(&stacks, &json);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        ids(&run).contains(&"ORG001".to_string()),
        "rules come from the file"
    );
    assert_eq!(validate_in(&stacks, &["--fail-on", "high"]).code, 19);
    // Without the file there are no policies at all (nor bundled ones to fall back on here).
    let bare = validate_in(&stacks, &["--no-config", "--no-bundled"]);
    assert_eq!(bare.code, 2, "{}", bare.stderr);
    // `--rules` replaces the file's list.
    let replaced = validate_in(
        &stacks,
        &["--rules", "../policies/ports.guard", "--format", "json"],
    );
    assert_eq!(ids(&replaced), ["ORG010"]);
}

#[test]
fn severity_disable_and_unknown_keys_shape_the_report() {
    let repo = repository(&format!(
        "{BASE}disable = [\"ORG002\"]\nunknown = \"warn\"\n\n[severity]\nORG003 = \"high\"\n"
    ));
    let stacks = repo.path().join("stacks");
    let run = validate_in(&stacks, &["--format", "json"]);
    let found = findings(&run);
    assert!(
        found.contains(&("ORG003".to_string(), "high".to_string())),
        "{found:?}"
    );
    assert!(!found.iter().any(|(id, _)| id == "ORG002"), "{found:?}");
    assert_eq!(run.code, 19, "ORG003 is now high");
    // `--only` takes an id back from `disable`; `unknown = "warn"` keeps it from failing.
    let only = validate_in(&stacks, &["--only", "ORG002", "--format", "json"]);
    assert_eq!(ids(&only), ["ORG002"]);
    assert_eq!(only.code, 0);
    assert_eq!(
        validate_in(&stacks, &["--only", "ORG002", "--unknown", "fail"]).code,
        19
    );
    // Ids in the file match whatever their case, as on the command line.
    let repo = repository(&format!(
        "{BASE}disable = [\"org002\"]\n\n[severity]\nOrg003 = \"high\"\n"
    ));
    let run = validate_in(&repo.path().join("stacks"), &["--format", "json"]);
    let found = findings(&run);
    assert!(
        found.contains(&("ORG003".to_string(), "high".to_string())),
        "{found:?}"
    );
    assert!(!found.iter().any(|(id, _)| id == "ORG002"), "{found:?}");
}

#[test]
fn params_from_the_file_are_overridden_by_the_command_line() {
    let repo = repository(&format!("{BASE}[params]\nblocked_port = 8080\n"));
    let stacks = repo.path().join("stacks");
    let only = ["--only", "ORG010", "--format", "json"];
    let from_file = validate_in(&stacks, &only);
    let report: Value = serde_json::from_str(&from_file.stdout).unwrap();
    assert_eq!(report["findings"][0]["line"], 14, "the 8080 rule fails");
    let flag = validate_in(
        &stacks,
        &[&only[..], &["--param-override", "blocked_port=22"]].concat(),
    );
    let report: Value = serde_json::from_str(&flag.stdout).unwrap();
    assert_eq!(report["findings"][0]["line"], 10, "the port-22 rule fails");
}

#[test]
fn an_explicit_config_file_resolves_rules_from_its_own_folder() {
    let repo = repository(&format!("{BASE}fail_on = \"critical\"\n"));
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("open.yaml"),
        elsewhere.path().join("open.yaml"),
    )
    .unwrap();
    let config = repo.path().join("palisade.toml");
    let run = validate_in(
        elsewhere.path(),
        &["--config", config.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(ids(&run).contains(&"ORG001".to_string()));
    let missing = validate_in(elsewhere.path(), &["--config", "nope.toml"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read configuration file `nope.toml`: no such file"),
        "{}",
        missing.stderr
    );
    // A configuration file that is not UTF-8 is named, with the byte's position.
    std::fs::write(
        elsewhere.path().join("latin1.toml"),
        b"fail_on = \"h\xe9\"\n",
    )
    .unwrap();
    let latin1 = validate_in(elsewhere.path(), &["--config", "latin1.toml"]);
    assert_eq!(latin1.code, 2);
    assert!(
        latin1
            .stderr
            .contains("configuration file `latin1.toml`: the file is not valid UTF-8: byte 0xE9 at line 1, column 13"),
        "{}",
        latin1.stderr
    );
}

/// Runs with a broken file and returns its stderr, asserting the exit code.
fn broken(config: &str, code: i32) -> String {
    let repo = repository(config);
    let run = validate_in(&repo.path().join("stacks"), &[]);
    assert_eq!(run.code, code, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "", "nothing is checked");
    run.stderr
}

#[test]
fn mistakes_in_the_file_are_reported_at_their_position() {
    let e = broken(&format!("{BASE}colour = true\n"), 2);
    assert!(e.contains("palisade.toml:3:1"), "{e}");
    assert!(e.contains("unknown field `colour`"), "{e}");
    assert!(e.contains("config::invalid"), "{e}");
    let e = broken(&format!("{BASE}fail_on = 3\n"), 2);
    assert!(e.contains("palisade.toml:3:11"), "{e}");
    let e = broken(&format!("{BASE}fail_on = \"severe\"\n"), 2);
    assert!(e.contains("`severe` is not a severity"), "{e}");
    let e = broken(&format!("{BASE}disable = [\"ORG001\", \"ORG999\"]\n"), 2);
    assert!(e.contains("palisade.toml:3:22"), "{e}");
    assert!(e.contains("no loaded rule has the id `ORG999`"), "{e}");
    // A param no policy declares is a policy-loading error, pointing into the file.
    let e = broken(&format!("{BASE}[params]\nblocked_prot = 1\n"), 5);
    assert!(e.contains("palisade.toml:4:1"), "{e}");
    assert!(
        e.contains("no loaded policy declares a param `blocked_prot`"),
        "{e}"
    );
    // So is a value of the wrong type, also pointed at in the file, with the declaration named.
    let e = broken(&format!("{BASE}[params]\nblocked_port = \"ssh\"\n"), 5);
    assert!(e.contains("palisade.toml:4:1"), "{e}");
    assert!(
        e.contains("declared in ../policies/ports.guard:2:7 as an int"),
        "{e}"
    );
    assert!(e.contains("e.g. `blocked_port = 16`"), "{e}");
    // A policy path that names nothing is shown as written, at its place in the file.
    let e = broken("rules = [\"policies/org.guard\", \"policies/rog\"]\n", 2);
    assert!(e.contains("palisade.toml:1:32"), "{e}");
    assert!(
        e.contains("policy path `policies/rog` does not exist"),
        "{e}"
    );
    assert!(
        e.contains("relative to the folder of palisade.toml (`..`)"),
        "{e}"
    );
}

#[test]
fn listing_commands_read_the_files_rules() {
    let repo = repository(BASE);
    let run = run_in(&repo.path().join("stacks"), &["rules", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rules: Value = serde_json::from_str(&run.stdout).unwrap();
    let listed: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"ORG010"), "{listed:?}");
    let explain = run_in(&repo.path().join("stacks"), &["explain", "ORG001"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(explain.stdout.contains("SSH open to the internet"));
}

/// A repository's file tunes bundled rules for the full run; with the bundled library left out
/// (`no_bundled`, or `--no-bundled`), those entries have nothing to act on and are no error. An
/// id that no rule has anywhere still is.
#[test]
fn entries_about_bundled_rules_stand_when_the_library_is_left_out() {
    let repo = repository(&format!(
        "{BASE}disable = [\"SG060\"]\n\n[severity]\nSG020 = \"info\"\nORG003 = \"high\"\n\n[params]\nhigh_risk_ports = [22, 3389]\nname_pattern = \"^app-\"\n"
    ));
    let stacks = repo.path().join("stacks");
    let run = validate_in(&stacks, &["--format", "json"]);
    assert_eq!(run.code, 19, "{}{}", run.stdout, run.stderr);
    assert!(
        findings(&run).contains(&("ORG003".to_string(), "high".to_string())),
        "{}",
        run.stdout
    );
    let e = broken(&format!("{BASE}disable = [\"SG999\"]\n"), 2);
    assert!(e.contains("no loaded rule has the id `SG999`"), "{e}");
    // A param that no policy, bundled or not, declares is still an error.
    let e = broken(&format!("{BASE}[params]\nhigh_risk_prots = [22]\n"), 5);
    assert!(
        e.contains("no loaded policy declares a param `high_risk_prots`"),
        "{e}"
    );
}
