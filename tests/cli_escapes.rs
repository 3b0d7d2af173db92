//! Text that palisade echoes from its inputs (paths, ids, command-line values, policy text)
//! never reaches the terminal with its control characters: an escape sequence in a folder name
//! or an `--only` id is shown as `\u{1b}`, as the reports show values from templates.

// Test code throughout, helpers included (the lints allow `unwrap` in tests).
#![cfg(test)]

use std::path::Path;
use std::process::Command;

/// An escape sequence that turns the terminal's text red.
const RED: &str = "\u{1b}[31m";

/// [`RED`] as palisade shows it.
const RED_SHOWN: &str = "\\u{1b}[31m";

const POLICY: &str = "@id(\"T001\")\nrule named { Resources.*.Type EXISTS }\n";

const TEMPLATE: &str = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Neither stream holds an escape character, and `stream` shows `shown`.
    fn assert_escaped(&self, shown: &str) {
        let all = format!("{}{}", self.stdout, self.stderr);
        assert!(!all.contains('\u{1b}'), "raw escape in {all:?}");
        assert!(all.contains(shown), "`{shown}` not in:\n{all}");
    }
}

fn palisade(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// A folder with `policy.guard` and `t.yaml`.
fn dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.guard"), POLICY).unwrap();
    std::fs::write(dir.path().join("t.yaml"), TEMPLATE).unwrap();
    dir
}

fn validate(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["validate", "--no-bundled", "--rules", "policy.guard"];
    all.extend_from_slice(args);
    palisade(dir, &all)
}

#[test]
fn a_folder_without_templates_is_named_escaped() {
    let dir = dir();
    let empty = format!("dir{RED}");
    std::fs::create_dir(dir.path().join(&empty)).unwrap();
    std::fs::write(dir.path().join(&empty).join("notes.txt"), "x").unwrap();
    let run = validate(dir.path(), &["t.yaml", &empty]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_escaped(&format!(
        "warning: folder `dir{RED_SHOWN}` holds no template files"
    ));
    // `model` walks folders the same way.
    let run = palisade(dir.path(), &["model", "t.yaml", &empty]);
    run.assert_escaped(&format!("folder `dir{RED_SHOWN}`"));
}

#[test]
fn unknown_ids_of_only_and_skip_are_quoted_escaped() {
    let dir = dir();
    for flag in ["--only", "--skip"] {
        let run = validate(dir.path(), &["t.yaml", flag, &format!("X{RED}")]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        run.assert_escaped(&format!(
            "no loaded rule has the id `X{RED_SHOWN}`; ids: PAL001, PAL002, T001"
        ));
    }
    let run = palisade(dir.path(), &["explain", &format!("X{RED}")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_escaped(&format!("no rule has the id `X{RED_SHOWN}`"));
}

#[test]
fn usage_errors_quote_arguments_escaped() {
    let dir = dir();
    let run = validate(dir.path(), &["t.yaml", "--format", &format!("{RED}x")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_escaped(&format!(
        "invalid value '{RED_SHOWN}x' for '--format <FORMAT>'"
    ));
    // The rest of clap's message is still there.
    assert!(
        run.stderr
            .contains("[possible values: text, json, sarif, junit]")
    );
    let run = palisade(dir.path(), &[&format!("check{RED}")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_escaped(&format!("unrecognized subcommand 'check{RED_SHOWN}'"));
}

#[test]
fn paths_in_errors_are_escaped() {
    let dir = dir();
    let missing = format!("missing{RED}.guard");
    let run = palisade(
        dir.path(),
        &["validate", "t.yaml", "--no-bundled", "--rules", &missing],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_escaped(&format!(
        "policy file `missing{RED_SHOWN}.guard` does not exist"
    ));

    let run = palisade(
        dir.path(),
        &["validate", "t.yaml", "--config", &format!("none{RED}.toml")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_escaped(&format!("none{RED_SHOWN}.toml"));

    let run = validate(dir.path(), &["t.yaml", "--param", &format!("Key{RED}")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_escaped(&format!(
        "`--param Key{RED_SHOWN}` is not of the form `Key=Value`"
    ));

    let run = palisade(dir.path(), &["model", &format!("none{RED}.yaml")]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    run.assert_escaped(&format!("none{RED_SHOWN}.yaml: error[input::unreadable]"));

    // A report that would overwrite a template names both.
    let template = format!("t{RED}.yaml");
    std::fs::write(dir.path().join(&template), TEMPLATE).unwrap();
    let run = validate(dir.path(), &[&template, "--output", &template]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_escaped(&format!(
        "--output `t{RED_SHOWN}.yaml` is the template `t{RED_SHOWN}.yaml` being checked"
    ));
}

#[test]
fn policy_diagnostics_show_control_characters_escaped() {
    let dir = dir();
    // In the file name, in the message quoting the regex, and in the quoted line, where each
    // control character is one `�` so that the underline and the column stay right.
    let name = format!("bad{RED}.guard");
    std::fs::write(
        dir.path().join(&name),
        format!("rule a {{ Type == /é{RED}(/ }}\n"),
    )
    .unwrap();
    let run = palisade(
        dir.path(),
        &["validate", "t.yaml", "--no-bundled", "--rules", &name],
    );
    assert_eq!(run.code, 5, "{}", run.stderr);
    run.assert_escaped(&format!("invalid regex `/é{RED_SHOWN}(/`"));
    assert!(
        run.stderr.contains(&format!("[bad{RED_SHOWN}.guard:1:18]")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rule a { Type == /é�[31m(/ }"),
        "{}",
        run.stderr
    );
    let quoted = run.stderr.lines().find(|l| l.contains("rule a {")).unwrap();
    let underline = run.stderr.lines().find(|l| l.contains('^')).unwrap();
    let at = |line: &str, c: char| line.chars().position(|x| x == c);
    assert_eq!(at(underline, '^'), at(quoted, '/'), "{}", run.stderr);

    // An override naming no param, from the command line.
    let run = validate(
        dir.path(),
        &["t.yaml", "--param-override", &format!("x{RED}=1")],
    );
    assert_eq!(run.code, 5, "{}", run.stderr);
    run.assert_escaped(&format!("no loaded policy declares a param `x{RED_SHOWN}`"));
}

#[test]
fn annotations_are_shown_escaped() {
    let dir = dir();
    std::fs::write(
        dir.path().join("policy.guard"),
        format!(
            "@id(\"T{RED}1\")\n@title(\"red{RED}\")\n@remediation(\"fix{RED}\")\n@rationale(\"why{RED}\")\nrule named {{ Resources.*.Type == \"x\" }}\n"
        ),
    )
    .unwrap();
    let run = palisade(dir.path(), &["rules", "--rules", "policy.guard"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_escaped(&format!("T{RED_SHOWN}1  medium    red{RED_SHOWN}"));
    let run = palisade(
        dir.path(),
        &["explain", &format!("T{RED}1"), "--rules", "policy.guard"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_escaped(&format!("fix{RED_SHOWN}"));
    assert!(run.stdout.contains(&format!("why{RED_SHOWN}")));
    let run = validate(dir.path(), &["t.yaml"]);
    assert_eq!(run.code, 19, "{}", run.stderr);
    run.assert_escaped(&format!("medium T{RED_SHOWN}1 "));
    assert!(run.stdout.contains(&format!("= rule: red{RED_SHOWN}")));
    assert!(run.stdout.contains(&format!("= help: fix{RED_SHOWN}")));
}
