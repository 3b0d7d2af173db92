//! Policies that are cut short or built to hurt: checking them must end with a tree or with
//! diagnostics, never with a panic or a stack overflow, and big inputs must stay cheap.
//! (No timing is asserted; a run that takes minutes shows up as a slow test.)

use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade::check;
use palisade::diag::Code;
use palisade::engine;
use palisade::eval::Status;
use palisade::source::SourceFile;
use palisade::template;

#[cfg(test)]
fn guard_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            guard_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "guard") {
            out.push(path);
        }
    }
}

#[cfg(test)]
fn check_text(text: &str) -> Result<check::Program, Vec<Code>> {
    let file = Arc::new(SourceFile::new("p.guard", text));
    check::check(&[file], &[])
        .map(|(program, _)| program)
        .map_err(|d| d.iter().map(|d| d.code).collect())
}

/// Evaluates a checked program on a small template and returns the statuses.
#[cfg(test)]
fn statuses(program: &check::Program) -> Vec<Status> {
    let source = Arc::new(SourceFile::new(
        "t.yaml",
        "Resources:\n  A:\n    Type: X\n    Properties: { Name: a, List: [1, 2] }\n",
    ));
    let t = template::parse(source).unwrap();
    engine::evaluate_template(program, &t, &palisade::model::Parameters::new())
        .iter()
        .map(|o| o.status)
        .collect()
}

#[test]
fn every_prefix_of_every_policy_in_the_tests() {
    let mut files = Vec::new();
    guard_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
        &mut files,
    );
    files.sort();
    assert!(files.len() > 20, "{files:?}");
    let texts: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    // Quadratic work in all: shared out between threads, one prefix length at a time.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let checked: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                let texts = &texts;
                scope.spawn(move || {
                    let mut checked = 0usize;
                    for text in texts {
                        let ends = text.char_indices().map(|(i, _)| i).chain([text.len()]);
                        for end in ends.skip(worker).step_by(threads) {
                            // Whatever the outcome, it must be an outcome.
                            let _ = check_text(&text[..end]);
                            checked += 1;
                        }
                    }
                    checked
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    let expected: usize = texts.iter().map(|t| t.chars().count() + 1).sum();
    assert_eq!(checked, expected);
}

#[test]
fn ten_thousand_rules() {
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!(
            "@id(\"R{i}\")\nrule r{i} {{ Resources.*.Properties.Name == \"a\" }}\n"
        ));
    }
    let program = check_text(&text).unwrap();
    let s = statuses(&program);
    assert_eq!(s.len(), 10_000);
    assert!(s.iter().all(|s| *s == Status::Pass));
}

#[test]
fn a_long_chain_of_rule_references() {
    // r0 when r1, r1 when r2, …: each rule waits for the next one.
    let n = 5_000;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "rule r{i} when r{} {{ Resources.A EXISTS }}\n",
            i + 1
        ));
    }
    text.push_str(&format!("rule r{n} {{ Resources.A.Type == \"Y\" }}\n"));
    let program = check_text(&text).unwrap();
    let s = statuses(&program);
    assert_eq!(s.len(), n + 1);
    // The last rule fails, so every rule before it is skipped.
    assert_eq!(s.last(), Some(&Status::Fail));
    assert!(s[..n].iter().all(|s| *s == Status::Skip));
    // A chain of references in bodies, closed into a cycle, is one error.
    let mut cycle = String::new();
    for i in 0..n {
        cycle.push_str(&format!("rule r{i} {{ r{} }}\n", (i + 1) % n));
    }
    assert_eq!(check_text(&cycle).unwrap_err(), [Code::RuleCycle]);
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 100_000;
    for text in [
        format!(
            "rule r {{ {} x EXISTS {} }}",
            "(".repeat(depth),
            ")".repeat(depth)
        ),
        format!(
            "rule r {{ x{} EXISTS }}",
            "[ y".repeat(depth) + &" EXISTS ]".repeat(depth)
        ),
        format!("let l = {}{}", "[".repeat(depth), "]".repeat(depth)),
        format!("rule r {{ {} }}", "when x EXISTS { ".repeat(depth)),
        format!(
            "rule r {{ x EXISTS << {{{{ a{} }}}} >> }}",
            "[ b".repeat(depth) + &" EXISTS ]".repeat(depth)
        ),
    ] {
        assert_eq!(check_text(&text).unwrap_err(), [Code::TooDeep]);
    }
    // Just within the limit: parsed, checked and evaluated.
    let mut clause = "Name EXISTS".to_string();
    for _ in 0..30 {
        clause = format!("this[ {clause} ] EXISTS");
    }
    let program = check_text(&format!(
        "rule r {{ Resources.A.Properties {{ {clause} }} }}"
    ))
    .unwrap();
    assert_eq!(statuses(&program), [Status::Pass]);
}

#[test]
fn a_one_megabyte_string() {
    let big = "x".repeat(1 << 20);
    let program = check_text(&format!(
        "rule r {{ Resources.A.Properties.Name != \"{big}\" << {big} >> }}\nlet s = \"{big}\""
    ))
    .unwrap();
    assert_eq!(statuses(&program), [Status::Pass]);
    // Unclosed, it is one syntax error.
    assert_eq!(
        check_text(&format!("rule r {{ x == \"{big} }}")).unwrap_err(),
        [Code::Syntax]
    );
}

#[test]
fn long_lines_of_or_and_many_statements() {
    let ors: Vec<String> = (0..5_000)
        .map(|i| format!("Resources.A.Properties.Name == \"v{i}\""))
        .collect();
    let program = check_text(&format!("rule r {{ {} }}", ors.join(" or "))).unwrap();
    assert_eq!(statuses(&program), [Status::Fail]);
    let ands = "Resources.A.Properties.List[*] > 0\n".repeat(5_000);
    let program = check_text(&format!("rule r {{ {ands} }}")).unwrap();
    assert_eq!(statuses(&program), [Status::Pass]);
}
