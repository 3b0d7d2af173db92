//! The report formats and their CLI behaviour, through the built binary: SARIF against the
//! OASIS schema and against the JSON report, JUnit through an XML parser, exit codes with
//! suppressions, colour and progress only on a terminal, `--output` for every format.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod report_support;

use std::collections::BTreeSet;
use std::path::Path;

use report_support::{
    TEMPLATES, fixtures, json_report, on_terminal, run_in, shell_quote, validate,
};
use serde_json::Value;

fn sarif(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "sarif"]);
    let run = validate(&all);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("SARIF: {e}\n{}\n{}", run.stdout, run.stderr))
}

fn schema_errors(log: &Value) -> Option<Vec<String>> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "note: the SARIF 2.1.0 schema is not at {}; schema validation skipped",
            path.display()
        );
        return None;
    };
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // The published schema's patterns for `language` properties have a stray `]`, which a
    // strict regex compiler rejects when it checks the schema itself. palisade writes no
    // `language`, so those patterns are set to the form the specification's text describes.
    let fixed = fix_language_patterns(&mut schema);
    assert!(fixed > 0, "the schema still has the `language` patterns");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    Some(
        validator
            .iter_errors(log)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect(),
    )
}

const BROKEN_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

fn fix_language_patterns(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => map
            .iter_mut()
            .map(|(key, v)| {
                if key == "pattern" && v == BROKEN_LANGUAGE_PATTERN {
                    *v = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                    1
                } else {
                    fix_language_patterns(v)
                }
            })
            .sum(),
        Value::Array(items) => items.iter_mut().map(fix_language_patterns).sum(),
        _ => 0,
    }
}

#[test]
fn sarif_is_valid_and_carries_the_json_reports_findings_at_their_regions() {
    let log = sarif(&TEMPLATES);
    if let Some(errors) = schema_errors(&log) {
        assert!(errors.is_empty(), "schema errors: {errors:#?}");
    }
    let report = json_report(&TEMPLATES);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    assert!(!findings.is_empty());
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["id"]);
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], f["id"]);
        let location = &r["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], f["file"]);
        assert_eq!(location["region"]["startLine"], f["line"]);
        assert_eq!(location["region"]["startColumn"], f["column"]);
        let unknown = f["status"] == "UNKNOWN";
        assert_eq!(r["kind"], if unknown { "review" } else { "fail" });
        if unknown {
            assert_eq!(r["level"], "none");
        }
        let suppressed = f["suppressed"].as_bool().unwrap();
        assert_eq!(r.get("suppressions").is_some(), suppressed);
        if suppressed {
            assert_eq!(r["suppressions"][0]["kind"], "inSource");
            assert_eq!(
                r["suppressions"][0]["justification"],
                f["suppression_reason"]
            );
        }
    }
    // The region covers exactly the offending value.
    let ssh = results
        .iter()
        .find(|r| r["ruleId"] == "ORG001" && r.get("suppressions").is_none())
        .unwrap();
    let location = &ssh["locations"][0]["physicalLocation"];
    let file = location["artifactLocation"]["uri"].as_str().unwrap();
    let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
    assert_eq!(region_text(&text, &location["region"]), "0.0.0.0/0");
    // Severities map to levels.
    let level = |id: &str| {
        rules.iter().find(|r| r["id"] == id).unwrap()["defaultConfiguration"]["level"].clone()
    };
    assert_eq!(level("ORG001"), "error");
    assert_eq!(level("ORG002"), "warning");
    assert_eq!(level("ORG003"), "note");
    let org001 = rules.iter().find(|r| r["id"] == "ORG001").unwrap();
    assert_eq!(org001["properties"]["security-severity"], "8.0");
    assert_eq!(
        org001["fullDescription"]["text"],
        "SSH reachable from anywhere invites brute-force attempts"
    );
    assert!(
        org001["help"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Allow port 22")
    );
    // The unreadable template is a notification at its position, and the run says so.
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    let broken = &notes[0]["locations"][0]["physicalLocation"];
    assert_eq!(broken["artifactLocation"]["uri"], "broken.yaml");
    assert_eq!(broken["region"]["startLine"], 4);
}

#[test]
fn sarif_names_only_the_file_for_findings_about_the_whole_template() {
    let args = ["open.yaml", "--rules", "whole.guard"];
    let log = sarif(&args);
    let report = json_report(&args);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    let mut whole = 0;
    for (r, f) in results.iter().zip(findings) {
        let location = &r["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "open.yaml");
        if f["id"] == "ORG050" {
            whole += 1;
            assert!(location.get("region").is_none(), "{r:#}");
        } else {
            assert!(
                location["region"]["startLine"].as_u64().unwrap() > 1,
                "{r:#}"
            );
        }
    }
    assert_eq!(whole, 1);
}

/// The text a SARIF region covers (columns in code points, end column exclusive).
fn region_text(text: &str, region: &Value) -> String {
    let line = |key: &str| region[key].as_u64().unwrap() as usize;
    assert_eq!(line("startLine"), line("endLine"), "a one-line value");
    let source_line = text.lines().nth(line("startLine") - 1).unwrap();
    source_line
        .chars()
        .skip(line("startColumn") - 1)
        .take(line("endColumn") - line("startColumn"))
        .collect()
}

#[test]
fn sarif_uris_are_relative_and_percent_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("stacks and more");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(fixtures().join("open.yaml"), sub.join("web#1.yaml")).unwrap();
    std::fs::copy(fixtures().join("policy.guard"), dir.path().join("p.guard")).unwrap();
    let run = run_in(
        dir.path(),
        &[
            "validate",
            "./stacks and more",
            "--rules",
            "p.guard",
            "--no-bundled",
            "--no-config",
            "--format",
            "sarif",
        ],
    );
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let uris: BTreeSet<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(uris, BTreeSet::from(["stacks%20and%20more/web%231.yaml"]));
    if let Some(errors) = schema_errors(&log) {
        assert!(errors.is_empty(), "schema errors: {errors:#?}");
    }
}

#[test]
fn junit_counts_agree_with_the_json_report() {
    let run = validate(&[&TEMPLATES[..], &["--format", "junit"]].concat());
    let doc = roxmltree::Document::parse(&run.stdout)
        .unwrap_or_else(|e| panic!("not well-formed: {e}\n{}", run.stdout));
    let report = json_report(&TEMPLATES);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let count = |node: roxmltree::Node<'_, '_>, attr: &str| -> usize {
        node.attribute(attr).unwrap().parse().unwrap()
    };
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let files = report["files"].as_array().unwrap();
    assert_eq!(suites.len(), files.len());
    let mut totals = [0usize; 4];
    for (suite, file) in suites.iter().zip(files) {
        let path = file["path"].as_str().unwrap();
        assert_eq!(suite.attribute("name"), Some(path));
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let with = |tag: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
                .count()
        };
        let counted = [cases.len(), with("failure"), with("error"), with("skipped")];
        let declared = ["tests", "failures", "errors", "skipped"].map(|a| count(*suite, a));
        assert_eq!(counted, declared, "{path}");
        for (t, c) in totals.iter_mut().zip(counted) {
            *t += c;
        }
        // Expected from the JSON report (with the default --fail-on low, --unknown fail).
        let failing: BTreeSet<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"] == path && f["suppressed"] == false && f["severity"] != "info")
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        let rules = file["rules"].as_object().unwrap();
        let skipped = rules.values().filter(|s| *s == "SKIP").count();
        match file["status"].as_str().unwrap() {
            "error" => assert_eq!(counted, [1, 0, 1, 0], "{path}"),
            _ => assert_eq!(counted, [rules.len(), failing.len(), 0, skipped], "{path}"),
        }
        for case in &cases {
            assert_eq!(case.attribute("classname"), Some(path));
        }
    }
    assert_eq!(
        totals,
        ["tests", "failures", "errors", "skipped"].map(|a| count(root, a))
    );
    // Each failing finding is listed as line:column in its case's failure.
    let failures: String = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        failures.contains("12:19 high: SSH is open to 0.0.0.0/0 [WebSg]"),
        "{failures}"
    );
    assert!(failures.contains("8:21 medium, unknown:"), "{failures}");
    let error = doc.descendants().find(|n| n.has_tag_name("error")).unwrap();
    assert_eq!(error.attribute("type"), Some("yaml::syntax"));
    assert!(error.text().unwrap().starts_with("broken.yaml:4:1: "));
}

#[test]
fn suppressions_with_a_reason_pass_and_without_one_fail() {
    let ok = validate(&["suppressed.yaml"]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("=== suppressed.yaml: 1 suppressed\n"),
        "{}",
        ok.stdout
    );
    assert!(
        ok.stdout
            .contains("suppressed ORG001 at 15:19 [BastionSg]: bastion host")
    );
    let bad = validate(&["no_reason.yaml"]);
    assert_eq!(bad.code, 19);
    assert!(bad.stdout.contains("PAL001"), "{}", bad.stdout);
    // The suppression is still in the machine-readable reports, marked as such.
    let report = json_report(&["suppressed.yaml"]);
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(report["findings"][0]["suppressed"], true);
}

#[test]
fn exit_codes_follow_fail_on_and_unknown() {
    assert_eq!(validate(&["open.yaml"]).code, 19);
    assert_eq!(validate(&["open.yaml", "--fail-on", "critical"]).code, 0);
    assert_eq!(validate(&["unknown_only.yaml"]).code, 19);
    assert_eq!(
        validate(&["unknown_only.yaml", "--unknown", "warn"]).code,
        0
    );
    assert_eq!(validate(&["open.yaml", "broken.yaml"]).code, 4);
}

#[test]
fn named_files_that_are_not_templates_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("settings.yaml"), "name: not a template\n").unwrap();
    let path = dir.path().join("settings.yaml");
    let path = path.to_str().unwrap();
    assert_eq!(validate(&[path]).code, 4);
    let lenient = validate(&[path, "--ignore-non-templates", "--format", "json"]);
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
    let report: Value = serde_json::from_str(&lenient.stdout).unwrap();
    assert_eq!(report["files"][0]["status"], "skipped");
}

#[test]
fn piped_output_has_no_escape_codes() {
    let run = validate(&["open.yaml", "no_reason.yaml"]);
    assert!(!run.stdout.contains('\u{1b}'));
    assert!(run.stdout.contains("^^^^^^^^^"), "the value is underlined");
    assert!(
        run.stdout
            .contains("=== open.yaml: 3 findings (1 high, 1 medium, 1 info)\n"),
        "{}",
        run.stdout
    );
    let policy = run_in(
        &fixtures(),
        &[
            "validate",
            "open.yaml",
            "--rules",
            "broken.yaml",
            "--no-bundled",
            "--no-config",
        ],
    );
    assert_eq!(policy.code, 5);
    assert!(!policy.stderr.contains('\u{1b}'), "{}", policy.stderr);
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    let exe = shell_quote(env!("CARGO_BIN_EXE_palisade"));
    let line = format!("{exe} validate open.yaml --rules policy.guard --no-bundled --no-config");
    let Some(coloured) = on_terminal(&fixtures(), &line) else {
        return;
    };
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    let plain = on_terminal(&fixtures(), &format!("NO_COLOR=1 {line}")).unwrap();
    assert!(plain.contains("ORG001"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "{plain}");
}

fn many_templates(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("stacks")).unwrap();
    for i in 0..n {
        let to = dir.path().join(format!("stacks/t{i:02}.yaml"));
        std::fs::copy(fixtures().join("suppressed.yaml"), to).unwrap();
    }
    std::fs::copy(fixtures().join("policy.guard"), dir.path().join("p.guard")).unwrap();
    dir
}

#[test]
fn a_progress_bar_only_for_many_templates_on_a_terminal() {
    let dir = many_templates(25);
    let args = [
        "validate",
        "stacks",
        "--rules",
        "p.guard",
        "--no-bundled",
        "--no-config",
    ];
    let piped = run_in(dir.path(), &args);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert_eq!(piped.stderr, "");
    let exe = shell_quote(env!("CARGO_BIN_EXE_palisade"));
    let line = format!("{exe} {} >/dev/null", args.join(" "));
    let Some(screen) = on_terminal(dir.path(), &line) else {
        return;
    };
    assert!(screen.contains("checking templates"), "{screen}");
    assert!(screen.contains("/25"), "{screen}");
    let few = many_templates(5);
    let screen = on_terminal(few.path(), &line).unwrap();
    assert!(!screen.contains("checking templates"), "{screen}");
}

#[test]
fn output_writes_every_format_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "sarif", "junit", "text"] {
        let path = dir.path().join(format!("report.{format}"));
        let path = path.to_str().unwrap();
        let to_file = validate(&["open.yaml", "--format", format, "--output", path]);
        assert_eq!(to_file.code, 19);
        assert_eq!(to_file.stdout, "", "{format}: nothing on stdout");
        let written = std::fs::read_to_string(path).unwrap();
        let printed = validate(&["open.yaml", "--format", format]).stdout;
        if format == "text" {
            // Only the time taken differs.
            let cut = |s: &str| s.rsplit_once(", in ").map(|(a, _)| a.to_string()).unwrap();
            assert_eq!(cut(&written), cut(&printed));
        } else {
            assert_eq!(written, printed, "{format}");
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn quiet_prints_only_failures_and_the_summary() {
    let run = validate(&["open.yaml", "suppressed.yaml", "--quiet"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].starts_with("open.yaml:12:19: high ORG001"));
    assert!(lines[1].starts_with("open.yaml:14:21: medium (unknown) ORG002"));
    assert!(lines[2].starts_with("failed: 2 files"));
    assert!(lines[2].contains("1 suppressed"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, flag) in [("bash", "--"), ("zsh", "--"), ("fish", "-l ")] {
        let run = run_in(&fixtures(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        let (format, config) = (format!("{flag}format"), format!("{flag}config"));
        for word in ["palisade", "validate", "sarif", &format, &config] {
            assert!(
                run.stdout.contains(word),
                "{shell} completions lack `{word}`"
            );
        }
        if shell == "bash" {
            bash_parses(&run.stdout);
        }
    }
    assert_eq!(run_in(&fixtures(), &["completions", "tcsh"]).code, 2);
}

/// `bash -n` reads the script without running it.
fn bash_parses(script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palisade.bash");
    std::fs::write(&path, script).unwrap();
    match std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!("note: bash is not installed; completion syntax not checked"),
    }
}

#[test]
fn failed_files_counts_the_files_that_fail_the_run() {
    let failed = |args: &[&str]| json_report(args)["summary"]["failed_files"].clone();
    assert_eq!(failed(&["open.yaml"]), 1);
    // Below the threshold: the run passes, and so does the file.
    assert_eq!(failed(&["open.yaml", "--fail-on", "critical"]), 0);
    // Unknowns fail the run unless they are only warned about.
    assert_eq!(failed(&["unknown_only.yaml"]), 1);
    assert_eq!(failed(&["unknown_only.yaml", "--unknown", "warn"]), 0);
}

#[test]
fn sarif_fingerprints_tell_findings_apart_and_survive_lines_moving() {
    let dir = tempfile::tempdir().unwrap();
    // One rule makes two findings at one place: DNS over UDP only, and DNS to the internet.
    let template = "Resources:\n  Dns:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: resolver clients\n      VpcId: vpc-1\n      SecurityGroupEgress:\n        - {IpProtocol: udp, FromPort: 53, ToPort: 53, CidrIp: 0.0.0.0/0, Description: dns}\n";
    let fingerprints = |text: &str| -> Vec<(String, String)> {
        std::fs::write(dir.path().join("t.yaml"), text).unwrap();
        let args = ["validate", "t.yaml", "--no-config", "--only", "SG022"];
        let run = run_in(dir.path(), &[&args[..], &["--format", "sarif"]].concat());
        let log: Value = serde_json::from_str(&run.stdout).unwrap();
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let print = &r["partialFingerprints"]["palisadeFinding/v1"];
                (r["message"]["text"].to_string(), print.to_string())
            })
            .collect()
    };
    let before = fingerprints(template);
    assert_eq!(before.len(), 2, "{before:?}");
    assert_ne!(before[0].1, before[1].1, "{before:?}");
    let after = fingerprints(&format!("# moved\n# down\n{template}"));
    assert_eq!(before, after);
}

#[test]
fn model_findings_point_at_the_value_by_line_and_by_json_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let template = "Parameters:\n  Wide: {Type: String, Default: 10.0.0.0/8}\nConditions:\n  Prod: !Equals [!Ref AWS::Region, eu-west-1]\nResources:\n  Db:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: database tier\n      VpcId: vpc-1\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 10.0.0.0/8}\n        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: !Ref Wide}\n        - !If [Prod, {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 172.16.0.0/12}, !Ref AWS::NoValue]\n";
    std::fs::write(dir.path().join("t.yaml"), template).unwrap();
    let args = [
        "validate",
        "t.yaml",
        "--no-config",
        "--only",
        "SG040",
        "--format",
        "json",
    ];
    let run = run_in(dir.path(), &args);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<(u64, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    let ingress = "/Resources/Db/Properties/SecurityGroupIngress";
    assert_eq!(
        found,
        [
            (12, &*format!("{ingress}/0/CidrIp")),
            (13, &*format!("{ingress}/1/CidrIp")),
            (14, &*format!("{ingress}/2/Fn::If/1/CidrIp")),
        ],
        "{}",
        run.stdout
    );
}
