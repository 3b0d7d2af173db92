//! `palisade model` as a user runs it: the built binary, real files, exit codes and output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const TEMPLATE: &str = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      VpcId: vpc-1\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}\nParameters:\n  Cidr: {Type: String, Default: 10.0.0.0/8}\n";

#[expect(
    clippy::expect_used,
    reason = "test helper: failing to run the binary fails the test"
)]
fn palisade(args: &[&str], cwd: &Path, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("stdin written");
    drop(input);
    child.wait_with_output().expect("the binary ends")
}

#[expect(
    clippy::panic,
    reason = "test helper: output that is not JSON fails the test"
)]
fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs a command that must succeed and returns its JSON output.
fn model_ok(args: &[&str], cwd: &Path, stdin: Option<&str>) -> Value {
    let out = palisade(args, cwd, stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

#[expect(
    clippy::expect_used,
    reason = "test helper: a file that cannot be written fails the test"
)]
fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    std::fs::write(path, text).expect("file written");
}

#[test]
fn prints_the_model_with_one_based_positions() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "t.yaml", TEMPLATE);
    let doc = model_ok(&["model", "t.yaml"], dir.path(), None);
    let sg = &doc["security_groups"][0];
    assert_eq!(sg["file"], "t.yaml");
    assert_eq!(
        (sg["line"].as_u64(), sg["column"].as_u64()),
        (Some(2), Some(3))
    );
    let rule = &doc["rules"][0];
    assert_eq!(
        (rule["line"].as_u64(), rule["column"].as_u64()),
        (Some(8), Some(11))
    );
    assert_eq!(rule["peer"]["cidr"], "10.0.0.0/8");
    assert_eq!(rule["parameters"]["Cidr"], "10.0.0.0/8");
    assert_eq!(doc["rules"][1]["origin"], "implicit");
    assert_eq!(doc["errors"], Value::Array(vec![]));
    assert_eq!(doc["skipped"], Value::Array(vec![]));
    assert_eq!(doc["vpcs"], Value::Array(vec![]));
    assert_eq!(doc["attachments"], Value::Array(vec![]));
}

#[test]
fn supplied_parameters_win_over_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "t.yaml", TEMPLATE);
    write(
        dir.path(),
        "params.json",
        r#"[{"ParameterKey": "Cidr", "ParameterValue": "192.168.0.0/16"}]"#,
    );
    let from_file = model_ok(
        &["model", "t.yaml", "--parameters", "params.json"],
        dir.path(),
        None,
    );
    assert_eq!(from_file["rules"][0]["peer"]["cidr"], "192.168.0.0/16");
    assert_eq!(from_file["rules"][0]["parameters"], Value::Null);
    let both = model_ok(
        &[
            "model",
            "t.yaml",
            "--parameters",
            "params.json",
            "--param",
            "Cidr=0.0.0.0/0",
        ],
        dir.path(),
        None,
    );
    assert_eq!(both["rules"][0]["peer"]["cidr"], "0.0.0.0/0");
}

#[test]
fn bad_parameters_are_usage_errors_with_positions() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "t.yaml", TEMPLATE);
    write(dir.path(), "params.json", "[\n  {\"Key\": \"Cidr\"}\n]");
    let out = palisade(
        &["model", "t.yaml", "--parameters", "params.json"],
        dir.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("params.json:2:3: error[params::bad-entry]: "),
        "{stderr}"
    );
    assert!(stderr.contains("help: "), "{stderr}");
    let out = palisade(&["model", "t.yaml", "--param", "Cidr"], dir.path(), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[params::bad-assignment]"));
}

#[test]
fn a_broken_template_is_exit_4_with_its_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "good.yaml", TEMPLATE);
    write(dir.path(), "bad.yaml", "Resources:\n  A: 1\n  A: 2\n");
    let out = palisade(&["model", "good.yaml", "bad.yaml"], dir.path(), None);
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("bad.yaml:3:3: error[yaml::duplicate-key]: duplicate key `A`"),
        "{stderr}"
    );
    assert!(stderr.contains("  help: "), "{stderr}");
    let doc = json(&out);
    assert_eq!(doc["security_groups"].as_array().map(Vec::len), Some(1));
    let error = &doc["errors"][0];
    assert_eq!(error["file"], "bad.yaml");
    assert_eq!(error["code"], "yaml::duplicate-key");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(3), Some(3))
    );
}

#[test]
fn non_templates_found_in_folders_are_skipped_but_named_ones_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "repo/stack.yaml", TEMPLATE);
    write(dir.path(), "repo/ci/workflow.yml", "on: push\njobs: {}\n");
    let doc = model_ok(&["model", "repo"], dir.path(), None);
    let skipped = &doc["skipped"][0];
    assert!(
        skipped["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("workflow.yml"))
    );
    assert!(
        skipped["reason"]
            .as_str()
            .is_some_and(|r| r.contains("`Resources`"))
    );
    assert_eq!(doc["security_groups"].as_array().map(Vec::len), Some(1));

    let out = palisade(&["model", "repo/ci/workflow.yml"], dir.path(), None);
    assert_eq!(out.status.code(), Some(4));
    let doc = json(&out);
    assert_eq!(doc["errors"][0]["code"], "template::not-cloudformation");
    assert_eq!(doc["skipped"], Value::Array(vec![]));
}

#[test]
fn reads_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = model_ok(&["model", "-"], dir.path(), Some(TEMPLATE));
    assert_eq!(doc["security_groups"][0]["file"], "<stdin>");
    assert_eq!(doc["security_groups"][0]["logical_id"], "Sg");
}

#[test]
fn a_missing_file_is_exit_4() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = palisade(&["model", "nowhere.yaml"], dir.path(), None);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("nowhere.yaml: error[input::unreadable]")
    );
}

#[test]
fn help_explains_the_options() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = palisade(&["model", "--help"], dir.path(), None);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for words in [
        "--parameters <FILE>",
        "--param <KEY=VALUE>",
        "standard input",
        "ParameterKey",
    ] {
        assert!(help.contains(words), "`{words}` missing from:\n{help}");
    }
}
