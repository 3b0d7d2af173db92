//! `docs/cli.md` cannot drift from the binary: every subcommand, every flag and every possible
//! value that `--help` shows, and every exit code, must be documented in its section.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .arg("--help")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

fn doc() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md"))
        .expect("docs/cli.md exists")
}

/// The names listed under `Commands:` in the top-level help (without `help`).
fn subcommands(top: &str) -> Vec<String> {
    top.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The flags (`-q`, `--quiet`, …) on the option lines of a help text.
fn flags(help: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in help.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        for token in line.split([' ', ',']) {
            if token.is_empty() {
                continue;
            }
            let name = token.trim_start_matches('-');
            if name.len() == token.len() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                break;
            }
            out.insert(token.to_string());
        }
    }
    out
}

/// The values listed as `- value:` under `Possible values:` or in `[possible values: …]`.
fn possible_values(help: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut listing = false;
    for line in help.lines() {
        let t = line.trim();
        if t == "Possible values:" {
            listing = true;
            continue;
        }
        if listing {
            match t.strip_prefix("- ").and_then(|v| v.split_once(':')) {
                Some((value, _)) => {
                    out.insert(value.to_string());
                    continue;
                }
                None => listing = false,
            }
        }
        if let Some((_, rest)) = t.split_once("[possible values: ") {
            let list = rest.split(']').next().unwrap_or("");
            out.extend(list.split(", ").map(str::to_string));
        }
    }
    out
}

/// The text under a `## ` heading, up to the next one.
fn section(doc: &str, heading: &str) -> String {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("docs/cli.md has no `{heading}` section"));
    let rest = &doc[start + heading.len()..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
}

#[test]
fn every_subcommand_flag_and_value_is_documented() {
    let doc = doc();
    let top = help(&[]);
    let names = subcommands(&top);
    assert!(names.len() >= 6, "commands found: {names:?}");
    for flag in flags(&top) {
        assert!(
            doc.contains(&format!("`{flag}`")),
            "top-level `{flag}` undocumented"
        );
    }
    let mut missing = Vec::new();
    for name in &names {
        let text = help(&[name]);
        let section = section(&doc, &format!("## `palisade {name}`"));
        for flag in flags(&text) {
            let documented = if flag == "-h" || flag == "--help" {
                doc.contains(&format!("`{flag}`"))
            } else {
                section.contains(&format!("`{flag}"))
            };
            if !documented {
                missing.push(format!("palisade {name} {flag}"));
            }
        }
        for value in possible_values(&text) {
            if !section.contains(&format!("`{value}`")) {
                missing.push(format!("palisade {name}: value `{value}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented in docs/cli.md: {missing:#?}"
    );
}

#[test]
fn every_exit_code_is_documented() {
    let top = help(&[]);
    let codes: Vec<&str> = top
        .lines()
        .skip_while(|l| !l.starts_with("Exit codes:"))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(codes.len(), 7, "{top}");
    let doc = doc();
    let table = section(&doc, "## Exit codes");
    for code in codes {
        assert!(table.contains(&format!("| `{code}` |")), "exit code {code}");
    }
}

#[test]
fn the_extractors_read_clap_help() {
    let text = "Options:\n  -q, --quiet   Quiet\n      --format <FORMAT>\n          Possible values:\n          - text:  For people\n          - json:  Data\n\n  <SHELL>  The shell [possible values: bash, fish]\n";
    assert_eq!(
        flags(text),
        BTreeSet::from(["-q".into(), "--quiet".into(), "--format".into()])
    );
    assert_eq!(
        possible_values(text),
        BTreeSet::from(["text".into(), "json".into(), "bash".into(), "fish".into()])
    );
}

/// A key's value in `.pre-commit-hooks.yaml` (a flat file this repository controls).
fn hook_value(hooks: &str, key: &str) -> String {
    hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("the hook has no `{key}`"))
        .to_string()
}

#[test]
fn the_pre_commit_hook_runs_on_templates_and_skips_other_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hooks = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap();
    let files = regex::Regex::new(&hook_value(&hooks, "files")).unwrap();
    for (name, matched) in [
        ("stacks/web.yaml", true),
        ("a.yml", true),
        ("b.json", true),
        ("c.template", true),
        ("README.md", false),
        ("main.rs", false),
    ] {
        assert_eq!(files.is_match(name), matched, "{name}");
    }
    // The entry, given what pre-commit passes: a template and a YAML file that is not one.
    let entry = hook_value(&hooks, "entry");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("palisade"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".pre-commit-config.yaml"), "repos: []\n").unwrap();
    std::fs::copy(
        root.join("tests/fixtures/reports/suppressed.yaml"),
        dir.path().join("stack.yaml"),
    )
    .unwrap();
    std::fs::copy(
        root.join("tests/fixtures/reports/policy.guard"),
        dir.path().join("org.guard"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("palisade.toml"),
        "rules = [\"org.guard\"]\nno_bundled = true\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(words)
        .args([".pre-commit-config.yaml", "stack.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("2 files"), "{stdout}");
    assert!(stdout.contains("1 suppressed"), "{stdout}");
}
