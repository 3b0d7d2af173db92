//! The command line as users meet it: the built binary run on the fixtures of
//! `tests/fixtures/cli`, with its exit code, standard output and standard error snapshotted
//! together. Timings and temporary paths are filtered out.

use std::path::{Path, PathBuf};
use std::process::Command;

#[cfg(test)]
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli")
}

/// Runs palisade in `dir` and returns what it said.
#[cfg(test)]
fn run_in(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap()
    )
}

#[cfg(test)]
fn run(args: &[&str]) -> String {
    run_in(&fixtures(), args)
}

/// Snapshots a transcript with timings and the temporary folder `tmp` (if any) filtered out.
#[cfg(test)]
fn snapshot(name: &str, transcript: &str, tmp: Option<&Path>) {
    let mut filters = vec![(r"in \d+\.\d+s".to_string(), "in [TIME]".to_string())];
    if let Some(tmp) = tmp {
        filters.push((regex_escape(&tmp.to_string_lossy()), "[TMP]".to_string()));
    }
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(name, transcript);
    });
}

#[cfg(test)]
fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// Asserts that a transcript ends with `code`.
#[cfg(test)]
fn assert_exit(code: i32, transcript: &str) {
    assert!(
        transcript.starts_with(&format!("exit: {code}\n")),
        "{transcript}"
    );
}

/// A temporary folder holding `files` (name, text).
#[cfg(test)]
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// Runs `validate t.yaml ARGS…` on a template of text `text`, in a folder of its own.
#[cfg(test)]
fn validate_text(text: &str, args: &[&str]) -> String {
    let dir = dir_with(&[("t.yaml", text)]);
    let mut all = vec!["validate", "t.yaml"];
    all.extend(args);
    run_in(dir.path(), &all)
}

/// True when a line of `out` starting with `at` (`file:line:col: `) is an UNKNOWN finding of
/// rule `id`.
#[cfg(test)]
fn unknown_at(out: &str, at: &str, id: &str) -> bool {
    let marker = format!("(unknown) {id}");
    out.lines()
        .any(|l| l.starts_with(at) && l.contains(&marker))
}

/// Asserts a transcript's exit code and snapshots it.
#[cfg(test)]
fn expect(code: i32, name: &str, transcript: String) -> String {
    assert_exit(code, &transcript);
    snapshot(name, &transcript, None);
    transcript
}

const RULES: [&str; 3] = ["--rules", "policy.guard", "--no-bundled"];

#[cfg(test)]
fn validate(extra: &[&str]) -> String {
    let mut args = vec!["validate"];
    args.extend(extra);
    args.extend(RULES);
    run(&args)
}

#[test]
fn validate_passes() {
    expect(0, "validate_passes", validate(&["good.yaml"]));
}

#[test]
fn validate_fails_with_19() {
    expect(19, "validate_fails", validate(&["bad.yaml"]));
}

#[test]
fn validate_as_json() {
    expect(
        19,
        "validate_json",
        validate(&["good.yaml", "bad.yaml", "--format", "json"]),
    );
}

#[test]
fn validate_unreadable_template_exits_4() {
    expect(
        4,
        "validate_broken_template",
        validate(&["good.yaml", "broken.yaml", "missing.yaml"]),
    );
}

#[test]
fn validate_invalid_policy_exits_5() {
    expect(
        5,
        "validate_invalid_policy",
        run(&[
            "validate",
            "good.yaml",
            "--rules",
            "invalid.guard",
            "--no-bundled",
        ]),
    );
}

#[test]
fn validate_usage_errors_exit_2() {
    expect(
        2,
        "validate_bad_flag",
        validate(&["good.yaml", "--format", "yaml"]),
    );
    expect(
        2,
        "validate_unknown_id",
        validate(&["good.yaml", "--only", "NOPE"]),
    );
    expect(
        2,
        "validate_malformed_override",
        validate(&["good.yaml", "--param-override", "no-equals-sign"]),
    );
}

#[test]
fn validate_only_and_skip() {
    expect(
        19,
        "validate_only",
        validate(&["bad.yaml", "--only", "CLI002"]),
    );
    // Left: CLI003, whose severity is info.
    expect(
        0,
        "validate_skip",
        validate(&["bad.yaml", "--skip", "CLI001,CLI002", "--quiet"]),
    );
}

#[test]
fn validate_fail_on() {
    // info.yaml only breaks the info rule: it fails the run at --fail-on info only.
    let t = validate(&["info.yaml", "--quiet"]);
    assert_exit(0, &t);
    expect(
        19,
        "validate_fail_on_info",
        validate(&["info.yaml", "--fail-on", "info", "--quiet"]),
    );
    expect(
        0,
        "validate_fail_on_critical",
        validate(&["bad.yaml", "--fail-on", "critical", "--quiet"]),
    );
}

#[test]
fn validate_unknown_fail_and_warn() {
    expect(19, "validate_unknown_fails", validate(&["unknown.yaml"]));
    expect(
        0,
        "validate_unknown_warns",
        validate(&["unknown.yaml", "--unknown", "warn"]),
    );
}

#[test]
fn validate_param_override() {
    // With only RDP blocked, SSH from the internet passes CLI001.
    let t = validate(&[
        "bad.yaml",
        "--only",
        "CLI001",
        "--param-override",
        "blocked_ports=[3389]",
    ]);
    assert_exit(0, &t);
    let t = validate(&["bad.yaml", "--only", "CLI001"]);
    assert_exit(19, &t);
    expect(
        5,
        "validate_invalid_overrides",
        validate(&[
            "bad.yaml",
            "--param-override",
            "blocked_ports=\"ssh\"",
            "--param-override",
            "blocked=[22]",
        ]),
    );
    // The param is a list of ports: each override must be a port, 0 to 65535.
    for ports in ["[22, 70000]", "[-1]", "[\"70000\"]", "[\"8080-80\"]"] {
        let t = validate(&[
            "bad.yaml",
            "--param-override",
            &format!("blocked_ports={ports}"),
        ]);
        assert_exit(5, &t);
        assert!(t.contains("is not a port"), "{t}");
    }
    let t = validate(&[
        "bad.yaml",
        "--only",
        "CLI001",
        "--param-override",
        "blocked_ports=[0, \"20-23\", 65535]",
    ]);
    assert_exit(19, &t);
}

#[test]
fn validate_writes_the_report_to_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let report_arg = report.to_string_lossy().into_owned();
    let t = validate(&["bad.yaml", "--format", "json", "--output", &report_arg]);
    assert!(t.starts_with("exit: 19\n--- stdout\n--- stderr\n"), "{t}");
    let written = std::fs::read_to_string(&report).unwrap();
    let json: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(json["schema"], "palisade/report/v1");
    assert_eq!(json["summary"]["findings"], 3);
    // Nothing else is left in the folder (the report is written through a renamed file).
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    // A folder, or a file in a folder that does not exist: usage error, saying what to do.
    let missing = tmp.path().join("no/such/folder/report.json");
    let folder = tmp.path().to_string_lossy().into_owned();
    for target in [folder, missing.to_string_lossy().into_owned()] {
        let t = validate(&["bad.yaml", "--output", &target]);
        assert!(t.starts_with("exit: 2\n"), "{t}");
        assert!(
            t.contains(&format!("error: cannot write `{target}`")),
            "{t}"
        );
        assert!(
            t.contains("= help: give `--output` the path of a file"),
            "{t}"
        );
    }
    // A link is written through and stays a link; so does a named pipe, for its reader.
    let target = tmp.path().join("kept.json");
    let link = tmp.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let t = validate(&[
        "bad.yaml",
        "--format",
        "json",
        "--output",
        &link.to_string_lossy(),
    ]);
    assert!(t.starts_with("exit: 19\n"), "{t}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("palisade/report/v1")
    );
    let pipe = tmp.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if made.is_ok_and(|s| s.success()) {
        let reader = {
            let pipe = pipe.clone();
            std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
        };
        let t = validate(&[
            "bad.yaml",
            "--format",
            "json",
            "--output",
            &pipe.to_string_lossy(),
        ]);
        assert!(t.starts_with("exit: 19\n"), "{t}");
        assert!(reader.join().unwrap().contains("palisade/report/v1"));
        assert!(
            !std::fs::symlink_metadata(&pipe)
                .unwrap()
                .file_type()
                .is_file()
        );
    }
    // Known before anything is read: the usage error wins over a broken policy (exit 5).
    let t = run(&[
        "validate",
        "good.yaml",
        "--no-bundled",
        "--rules",
        "invalid.guard",
        "--output",
        &missing.to_string_lossy(),
    ]);
    assert!(t.starts_with("exit: 2\n"), "{t}");
    assert!(!t.contains("invalid.guard"), "{t}");
}

#[test]
fn validate_refuses_to_write_the_report_over_a_template() {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("bad.yaml");
    std::fs::copy(fixtures().join("bad.yaml"), &template).unwrap();
    let before = std::fs::read(&template).unwrap();
    let folder = tmp.path().to_string_lossy().into_owned();
    // Named directly (by another spelling of the same path), or found in a folder.
    let spelled = format!("{folder}/./bad.yaml");
    for inputs in [[folder.as_str()], [spelled.as_str()]] {
        let mut args = vec!["validate"];
        args.extend(inputs);
        args.extend(["--output", &spelled]);
        args.extend(RULES);
        let t = run(&args);
        assert!(t.starts_with("exit: 2\n"), "{t}");
        assert!(
            t.contains("writing the report there would replace it"),
            "{t}"
        );
        assert_eq!(std::fs::read(&template).unwrap(), before);
    }
}

#[test]
fn a_folder_without_templates_is_named_in_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("infra");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("README.md"), "not a template").unwrap();
    let empty = empty.to_string_lossy().into_owned();
    let warning = format!("warning: folder `{empty}` holds no template files");
    for command in ["validate", "model"] {
        let mut args = vec![command, empty.as_str()];
        if command == "validate" {
            args.extend(RULES);
        }
        let t = run(&args);
        assert!(t.starts_with("exit: 0\n"), "{t}");
        let stderr = t.split("--- stderr\n").nth(1).unwrap();
        assert!(stderr.contains(&warning), "{t}");
    }
    // A folder with a template in it, or a template named directly, gets no warning.
    let t = run(&[
        "validate",
        ".",
        "--only",
        "CLI002",
        "--rules",
        "policy.guard",
    ]);
    assert!(!t.contains("warning: folder"), "{t}");
}

#[test]
fn only_and_skip_take_spaced_lists() {
    let spaced = validate(&["bad.yaml", "--only", " CLI002 , ", "--format", "json"]);
    let plain = validate(&["bad.yaml", "--only", "CLI002", "--format", "json"]);
    assert!(spaced.starts_with("exit: 19\n"), "{spaced}");
    let findings = |t: &str| {
        let json = t
            .split("--- stdout\n")
            .nth(1)
            .unwrap()
            .split("--- stderr")
            .next()
            .unwrap();
        let report: serde_json::Value = serde_json::from_str(json).unwrap();
        report["findings"].clone()
    };
    assert_eq!(findings(&spaced), findings(&plain));
}

#[test]
fn test_passes() {
    let t = expect(
        0,
        "test_passes",
        run(&[
            "test",
            "--rules",
            "policy.guard",
            "--tests",
            "policy.tests.yaml",
        ]),
    );
    // Without --tests, the tests next to the policy are found.
    assert_eq!(run(&["test", "--rules", "policy.guard"]), t);
    // Quiet, a file whose cases all pass is not named.
    let quiet = run(&["test", "--rules", "policy.guard", "--quiet"]);
    assert!(quiet.starts_with("exit: 0\n--- stdout\nok: "), "{quiet}");
    let failing = run(&[
        "test",
        "--rules",
        "policy.guard",
        "--tests",
        "failing.tests.yaml",
        "-q",
    ]);
    assert!(failing.contains("failing.tests.yaml\n  FAIL "), "{failing}");
}

#[test]
fn test_fails_with_7() {
    expect(
        7,
        "test_fails",
        run(&[
            "test",
            "--rules",
            "policy.guard",
            "--tests",
            "failing.tests.yaml",
        ]),
    );
}

#[test]
fn invalid_test_files_exit_1() {
    for (name, file) in [
        ("test_invalid_file", "invalid.tests.yaml"),
        ("test_unknown_rule", "unknown-rule.tests.yaml"),
        // Files that would test nothing: no case, a case without rule statuses.
        ("test_no_cases", "no-cases.tests.yaml"),
        ("test_expects_no_rule", "expects-no-rule.tests.yaml"),
        // An input that is not a template passes any expected SKIP for the wrong reason.
        (
            "test_input_not_a_template",
            "input-not-a-template.tests.yaml",
        ),
        // So does one that `validate` refuses.
        ("test_input_refused", "input-refused.tests.yaml"),
        ("test_unknown_key", "unknown-key.tests.yaml"),
        ("test_bad_finding_field", "bad-finding-field.tests.yaml"),
    ] {
        let t = run(&["test", "--rules", "policy.guard", "--tests", file]);
        assert_exit(1, &t);
        snapshot(name, &t, None);
    }
}

/// A temporary folder holding the policy and a copy of one test file.
#[cfg(test)]
fn copy_for_update(tests_file: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["policy.guard", "bad.yaml", tests_file] {
        std::fs::copy(fixtures().join(name), tmp.path().join(name)).unwrap();
    }
    tmp
}

#[test]
fn test_update_rewrites_findings() {
    let tmp = copy_for_update("update.tests.yaml");
    let args = [
        "test",
        "--rules",
        "policy.guard",
        "--tests",
        "update.tests.yaml",
    ];
    let before = run_in(tmp.path(), &args);
    assert!(before.starts_with("exit: 7\n"), "{before}");
    let mut update_args = args.to_vec();
    update_args.push("--update");
    let t = run_in(tmp.path(), &update_args);
    assert_exit(0, &t);
    let updated = std::fs::read_to_string(tmp.path().join("update.tests.yaml")).unwrap();
    snapshot(
        "test_update",
        &format!("{t}--- update.tests.yaml\n{updated}"),
        Some(tmp.path()),
    );
    // The rewritten file passes, line numbers included, and a second update changes nothing.
    let after = run_in(tmp.path(), &args);
    assert!(after.starts_with("exit: 0\n"), "{after}");
    run_in(tmp.path(), &update_args);
    let again = std::fs::read_to_string(tmp.path().join("update.tests.yaml")).unwrap();
    assert_eq!(again, updated);
}

/// Cases with neither expectations nor findings test nothing: an error of the test file,
/// until `--update` writes the findings they lack.
#[test]
fn cases_that_expect_nothing_are_errors_until_updated() {
    let tmp = copy_for_update("expects-nothing.tests.yaml");
    std::fs::copy(fixtures().join("good.yaml"), tmp.path().join("good.yaml")).unwrap();
    let args = [
        "test",
        "--rules",
        "policy.guard",
        "--tests",
        "expects-nothing.tests.yaml",
    ];
    let before = run_in(tmp.path(), &args);
    assert_exit(1, &before);
    snapshot("test_expects_nothing", &before, Some(tmp.path()));
    let mut update_args = args.to_vec();
    update_args.push("--update");
    assert_exit(0, &run_in(tmp.path(), &update_args));
    let updated = std::fs::read_to_string(tmp.path().join("expects-nothing.tests.yaml")).unwrap();
    assert!(
        updated.contains("bad.yaml\n  findings:\n    - { id: CLI002, resource: WebSg, line: 5 }"),
        "{updated}"
    );
    assert!(
        updated.contains("input_file: good.yaml\n  findings: []"),
        "{updated}"
    );
    assert_exit(0, &run_in(tmp.path(), &args));
}

#[test]
fn test_update_still_fails_on_wrong_statuses() {
    let tmp = copy_for_update("failing.tests.yaml");
    let t = run_in(
        tmp.path(),
        &[
            "test",
            "--rules",
            "policy.guard",
            "--tests",
            "failing.tests.yaml",
            "--update",
        ],
    );
    assert_exit(7, &t);
    snapshot("test_update_wrong_status", &t, Some(tmp.path()));
}

#[test]
fn rules_lists_ids_severities_and_titles() {
    expect(0, "rules_text", run(&["rules", "--rules", "policy.guard"]));
    expect(
        0,
        "rules_json",
        run(&["rules", "--rules", "policy.guard", "--format", "json"]),
    );
}

#[test]
fn explain_a_rule() {
    expect(
        0,
        "explain",
        run(&["explain", "CLI001", "--rules", "policy.guard"]),
    );
    expect(
        2,
        "explain_unknown_id",
        run(&["explain", "CLI999", "--rules", "policy.guard"]),
    );
}

#[test]
fn completions_and_help() {
    let t = run(&["completions", "bash"]);
    assert_exit(0, &t);
    assert!(t.contains("_palisade()"), "{t}");
    snapshot("completions_bash", &t, None);
    expect(0, "help", run(&["--help"]));
}

/// Old Mac files end their lines with a lone `\r`: a finding is on the same line and column
/// as in the same file with `\n` or `\r\n` endings, and its excerpt is that one line.
#[test]
fn findings_point_at_the_same_line_whatever_the_line_endings() {
    let text = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: 0.0.0.0/0\n";
    let dir = tempfile::tempdir().unwrap();
    for (name, ending) in [("lf.yaml", "\n"), ("crlf.yaml", "\r\n"), ("cr.yaml", "\r")] {
        std::fs::write(dir.path().join(name), text.replace('\n', ending)).unwrap();
        let out = run_in(dir.path(), &["validate", name, "--only", "SG011"]);
        assert_exit(19, &out);
        assert!(out.contains(&format!("{name}:8:21: high SG011")), "{out}");
        assert!(out.contains("8 |           FromPort: 22\n"), "{out}");
    }
}

/// A policy file that declares no rule is a warning; policies that declare none at all check
/// nothing, and a run with only them is refused rather than passed.
#[test]
fn policies_without_rules_are_refused_rather_than_passed() {
    let dir = dir_with(&[
        ("notes.guard", "# to do\nlet ports = [22]\n"),
        ("t.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"),
    ]);
    let alone = run_in(
        dir.path(),
        &[
            "validate",
            "t.yaml",
            "--rules",
            "notes.guard",
            "--no-bundled",
        ],
    );
    assert_exit(2, &alone);
    assert!(alone.contains("check::no-rules"), "{alone}");
    assert!(
        alone.contains("`notes.guard` declares no rules: it checks nothing"),
        "{alone}"
    );
    assert!(
        alone.contains("error: the policy files declare no rules"),
        "{alone}"
    );
    let with_bundled = run_in(
        dir.path(),
        &["validate", "t.yaml", "--rules", "notes.guard"],
    );
    assert_exit(0, &with_bundled);
    assert!(
        with_bundled.contains("`notes.guard` declares no rules"),
        "{with_bundled}"
    );
}

/// `--output -` is standard output, as in most tools: no file named `-` appears.
#[test]
fn output_dash_is_standard_output() {
    let dir = dir_with(&[("t.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")]);
    let out = run_in(
        dir.path(),
        &["validate", "t.yaml", "--format", "json", "--output", "-"],
    );
    assert_exit(0, &out);
    assert!(out.contains("\"schema\": \"palisade/report/v1\""), "{out}");
    assert!(!dir.path().join("-").exists());
}

/// YAML merge keys (`<<: *name`), which `aws cloudformation package` and SAM apply before a
/// template is deployed, are applied: rules merged into a group are checked, not passed over.
#[test]
fn rules_brought_in_by_a_merge_key_are_checked() {
    let text = "Metadata:\n  Open: &open\n    SecurityGroupIngress:\n      - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      <<: *open\n      GroupDescription: bastion\n";
    let out = validate_text(text, &["--only", "SG011"]);
    assert_exit(19, &out);
    // The finding points at the anchored rule, where the port is written.
    assert!(out.contains("t.yaml:4:37: high SG011 tcp 22"), "{out}");
}

/// Groups made by an `Fn::ForEach` loop are checked, one per item, at the loop's text; with a
/// collection that is not known, the loop's body is checked once rather than left out.
#[test]
fn groups_made_by_a_loop_are_checked() {
    let body = "    - ${Tier}Sg:\n        Type: AWS::EC2::SecurityGroup\n        Properties:\n          GroupDescription: !Sub '${Tier} tier'\n          VpcId: vpc-1\n          SecurityGroupIngress:\n            - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\n";
    let known = format!(
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Tiers:\n    - Tier\n    - [Web, Db]\n{body}"
    );
    let unknown = format!(
        "Transform: AWS::LanguageExtensions\nParameters:\n  Tiers: {{Type: CommaDelimitedList}}\nResources:\n  Fn::ForEach::Tiers:\n    - Tier\n    - !Ref Tiers\n{body}"
    );
    let dir = dir_with(&[("known.yaml", &known), ("unknown.yaml", &unknown)]);
    let out = run_in(
        dir.path(),
        &["validate", "known.yaml", "--only", "SG011", "-q"],
    );
    assert_exit(19, &out);
    assert!(out.contains("known.yaml:12:43: high SG011 tcp 22 is reachable from the internet (0.0.0.0/0) and covers a high-risk port [WebSg]"), "{out}");
    assert!(out.contains("[DbSg]"), "{out}");
    let out = run_in(
        dir.path(),
        &["validate", "unknown.yaml", "--only", "SG011", "-q"],
    );
    assert_exit(19, &out);
    assert!(
        out.contains("unknown.yaml:14:43: high SG011") && out.contains("[${Tier}Sg]"),
        "{out}"
    );
}

/// Rules that cannot be read (an `AWS::Include` in place of the list) have an unknown peer as
/// well as an unknown protocol: the ingress checks report them as unknown, never pass them.
#[test]
fn an_included_rule_list_is_unknown_not_passed() {
    let text = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      VpcId: vpc-1\n      SecurityGroupIngress:\n        Fn::Transform:\n          Name: AWS::Include\n          Parameters: {Location: s3://bucket/rules.yaml}\n";
    let out = validate_text(text, &["--only", "SG010,SG011", "-q"]);
    assert_exit(19, &out);
    for id in ["SG010", "SG011"] {
        assert!(unknown_at(&out, "t.yaml:8:9: ", id), "{out}");
    }
    assert!(out.contains("is only known at deploy time"), "{out}");
}

/// Properties brought in by an `AWS::Include` may hold a group's rules or a rule resource's
/// fields: they are unknown, and so is whether the group keeps its implicit allow-all egress.
#[test]
fn included_properties_make_the_rules_unknown() {
    let text = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      VpcId: vpc-1\n      Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/p.yaml}}\n  Ing:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: !Ref Sg\n      Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/r.yaml}}\n";
    let out = validate_text(text, &["--only", "SG011,SG020", "-q"]);
    assert_exit(19, &out);
    assert!(unknown_at(&out, "t.yaml:7:7: ", "SG011"), "{out}");
    assert!(unknown_at(&out, "t.yaml:7:7: ", "SG020"), "{out}");
    assert!(unknown_at(&out, "t.yaml:8:3: ", "SG011"), "{out}");
    assert!(
        out.contains("`SecurityGroupIngress` may come from the `Fn::Transform` in the properties"),
        "{out}"
    );
    // No definite failure: the implicit egress may be replaced by what the transform brings.
    assert!(
        !out.lines()
            .any(|l| l.contains(" SG020 ") && !l.contains("(unknown)")),
        "{out}"
    );
}

/// Properties written as one `Fn::If` are read branch by branch: a rule that only one branch
/// declares is checked under that branch's condition.
#[test]
fn properties_under_one_condition_are_checked() {
    let text = "Parameters:\n  Env: {Type: String, AllowedValues: [dev, prod], Default: prod}\nConditions:\n  Dev: !Equals [!Ref Env, dev]\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties: !If\n      - Dev\n      - GroupDescription: dev\n        VpcId: vpc-1\n        SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]\n      - {GroupDescription: prod, VpcId: vpc-1}\n";
    let out = validate_text(text, &["--only", "SG011", "-q"]);
    assert_exit(19, &out);
    assert!(
        out.contains("t.yaml:12:60: high SG011 tcp 22 is reachable from the internet (0.0.0.0/0) and covers a high-risk port (when Dev is true, Env = dev) [Sg]"),
        "{out}"
    );
}

/// A launch template whose groups are set in one branch only (`LaunchTemplateData: !If`, or a
/// list that is `AWS::NoValue` in some deployments) uses the default group in the others.
#[test]
fn a_launch_template_without_groups_in_one_branch_uses_the_default_group_there() {
    let head = "Conditions:\n  Dev: !Equals [!Ref 'AWS::Region', us-east-1]\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: web tier, VpcId: vpc-1}\n  Lt:\n    Type: AWS::EC2::LaunchTemplate\n    Properties:\n";
    for data in [
        "      LaunchTemplateData: !If [Dev, {ImageId: ami-1, SecurityGroupIds: [!Ref Sg]}, {ImageId: ami-1}]\n",
        "      LaunchTemplateData:\n        SecurityGroupIds: !If [Dev, [!Ref Sg], !Ref AWS::NoValue]\n",
    ] {
        let out = validate_text(&format!("{head}{data}"), &["--only", "SG003", "-q"]);
        assert_exit(19, &out);
        assert!(
            out.contains("medium SG003 `Lt` (AWS::EC2::LaunchTemplate) names no security group, so it gets its VPC's default group (when Dev is false) [Lt]"),
            "{out}"
        );
        assert_eq!(out.matches(" SG003 ").count(), 1, "{out}");
    }
}

/// SAM `Globals.Function` reaches every function, as the SAM transform makes it: a `VpcConfig`
/// given there puts the functions in the VPC (here without a group), and groups given there are
/// attached to them.
#[test]
fn sam_globals_reach_the_functions() {
    let head = "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    VpcConfig:\n      SubnetIds: [subnet-1]\n";
    let rest = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: web tier, VpcId: vpc-1}\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12, Handler: a.b, CodeUri: .}\n";
    let out = validate_text(&format!("{head}{rest}"), &["--only", "SG003,SG032", "-q"]);
    assert_exit(19, &out);
    assert!(
        out.contains(
            "t.yaml:5:7: medium SG003 `Fn` (AWS::Serverless::Function) names no security group"
        ),
        "{out}"
    );
    let attached = format!("{head}      SecurityGroupIds: [!Ref Sg]\n{rest}");
    let out = validate_text(&attached, &["--only", "SG003,SG032", "-q"]);
    assert_exit(0, &out);
}

/// A resource CloudFormation would refuse, or whose contents cannot be known (a Rain module),
/// makes its template an error, with its position, even in a folder walk; the other templates
/// of the run are still checked.
#[test]
fn a_resource_without_a_type_name_is_an_error_not_a_pass() {
    let open = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      VpcId: vpc-1\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0, Description: ssh}\n";
    let dir = dir_with(&[
        ("a.yaml", open),
        (
            "b.yaml",
            "Resources:\n  Network:\n    Type: !Rain::Module ./vpc.yml\n",
        ),
        (
            "c.json",
            "{\"Resources\": {\"Sg\": {\"Properties\": {\"GroupDescription\": \"x\"}}}}",
        ),
        ("d.yaml", "Resources:\n  Sg: AWS::EC2::SecurityGroup\n"),
    ]);
    let out = run_in(dir.path(), &["validate", "."]);
    assert_exit(4, &out);
    assert!(out.contains("./a.yaml:8:39: high SG011"), "{out}");
    for line in [
        "b.yaml:3:11: error[template::invalid-resource] resource `Network` is a Rain module",
        "c.json:1:16: error[template::invalid-resource] resource `Sg` has no `Type`",
        "d.yaml:2:7: error[template::invalid-resource] resource `Sg` is a string, not a map",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    assert!(out.contains("3 errors"), "{out}");
}

/// A standalone rule whose `GroupId` is one group or another by a condition gives findings for
/// each group; a suppression on one of them does not hide what the rule opens on the other.
#[test]
fn a_rule_of_two_groups_is_reported_for_each() {
    let text = "Parameters:\n  E: {Type: String}\nConditions:\n  C: !Equals [!Ref E, x]\nResources:\n  A:\n    Type: AWS::EC2::SecurityGroup\n    Metadata:\n      palisade:\n        suppress: [{id: SG011, reason: bastion host}]\n    Properties: {GroupDescription: bastion, VpcId: vpc-1}\n  B:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: app, VpcId: vpc-1}\n  In:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties: {GroupId: !If [C, !Ref A, !Ref B], IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0, Description: ssh}\n";
    let out = validate_text(text, &["--only", "SG011", "--format", "json"]);
    assert_exit(19, &out);
    let json = out
        .split("--- stdout\n")
        .nth(1)
        .and_then(|s| s.split("--- stderr\n").next())
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(json).unwrap();
    let found: Vec<(String, bool)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["security_group"].as_str().unwrap().to_string(),
                f["suppressed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("A".to_string(), true), ("B".to_string(), false)],
        "{json}"
    );
}

/// Rule ids are matched whatever their case, in `--only`, `--skip` and suppressions, and
/// palisade's own findings (`PAL002`) can be selected and skipped like any rule's.
#[test]
fn ids_match_in_any_case_and_pal_ids_can_be_selected() {
    let text = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Metadata:\n      palisade:\n        suppress:\n          - {id: sg050, reason: documented elsewhere}\n          - {id: SG999, reason: typo}\n    Properties:\n      GroupDescription: web\n      VpcId: vpc-1\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.1.0.0/24}\n";
    let out = validate_text(text, &["--only", "sg050,pal002", "-q"]);
    assert_exit(19, &out);
    assert!(out.contains("t.yaml:8:18: medium PAL002"), "{out}");
    assert!(out.contains("1 suppressed"), "{out}");
    let out = validate_text(text, &["--only", "SG050", "-q"]);
    assert_exit(0, &out);
    let out = validate_text(text, &["--only", "sg050", "--skip", "Pal002", "-q"]);
    assert_exit(0, &out);
}

/// A supplied parameter value decides raw-template queries too: `InstanceType: !Ref T` is
/// `t3.micro` with `--param T=t3.micro`, and unknown without it.
#[test]
fn supplied_parameters_decide_raw_template_queries() {
    let dir = dir_with(&[
        (
            "t.yaml",
            "Parameters:\n  T: {Type: String}\n  Subnets: {Type: CommaDelimitedList}\nResources:\n  Box:\n    Type: AWS::EC2::Instance\n    Properties:\n      InstanceType: !Ref T\n      SubnetIds: !Ref Subnets\n",
        ),
        (
            "p.guard",
            "@id(\"ORG1\")\nrule approved { Resources.Box.Properties.InstanceType IN [\"t3.micro\"] }\n@id(\"ORG2\")\nrule two_subnets { count(Resources.Box.Properties.SubnetIds[*]) == 2 }\n",
        ),
    ]);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "validate",
            "t.yaml",
            "--no-bundled",
            "--rules",
            "p.guard",
            "-q",
        ];
        args.extend(extra);
        run_in(dir.path(), &args)
    };
    let out = run(&[
        "--param",
        "T=t3.micro",
        "--param",
        "Subnets=subnet-1, subnet-2",
    ]);
    assert_exit(0, &out);
    let out = run(&["--param", "T=x1e.32xlarge", "--param", "Subnets=subnet-1"]);
    assert_exit(19, &out);
    assert!(out.contains("t.yaml:8:21: medium ORG1"), "{out}");
    assert!(out.contains("medium ORG2"), "{out}");
    let out = run(&[]);
    assert_exit(19, &out);
    assert!(out.contains("t.yaml:8:21: medium (unknown) ORG1"), "{out}");
}

/// `test --param-override` runs the cases with the values a gate uses.
#[test]
fn tests_run_with_overridden_params() {
    let dir = dir_with(&[
        (
            "org.guard",
            "param approved = [\"t3.micro\"]\n@id(\"ORG1\")\nrule approved_type { Resources.*[ Type == \"AWS::EC2::Instance\" ].Properties.InstanceType IN %approved }\n",
        ),
        (
            "org.tests.yaml",
            "- name: a larger type the gate allows\n  input:\n    Resources:\n      Box: {Type: AWS::EC2::Instance, Properties: {InstanceType: m5.large}}\n  expectations:\n    rules:\n      approved_type: PASS\n",
        ),
    ]);
    let out = run_in(dir.path(), &["test", "--rules", "org.guard", "-q"]);
    assert_exit(7, &out);
    let out = run_in(
        dir.path(),
        &[
            "test",
            "--rules",
            "org.guard",
            "--param-override",
            "approved=[\"t3.micro\", \"m5.large\"]",
        ],
    );
    assert_exit(0, &out);
    let out = run_in(
        dir.path(),
        &[
            "test",
            "--rules",
            "org.guard",
            "--param-override",
            "approved=3",
        ],
    );
    assert_exit(5, &out);
}
