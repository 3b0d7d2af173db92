//! Behaviour tests of the policy language.
//!
//! Every `tests/spec/**/<topic>.guard` is run against the cases of `<topic>.tests.yaml` next to
//! it, through `palisade::testing` (the code behind `palisade test`); each case is one test
//! named `<folder>/<topic>::<case name>`, so `cargo test --test spec lang/filters` runs one
//! topic and every failing case is listed.
//!
//! The examples of `docs/language.md` are tests too (`docs/language.md::line N`): a ```` ```guard ````
//! block, optionally followed by a ```` ```yaml ```` template, then an ```` ```outcome ```` block
//! with what palisade says about them:
//!
//! ```text
//! rule_name: FAIL                        each rule's status, in any order
//!   3:11 `CidrIp` is `0.0.0.0/0`, …      the rule's findings: line:column (of the template
//!                                        snippet) and message, in report order
//! error[check::undefined-rule] 2:9       or: checking the policy fails with this code there
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use palisade::check::{self, Program};
use palisade::report::{self, Options};
use palisade::source::SourceFile;
use palisade::{engine, render, template, testing};

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut trials = spec_trials(&root.join("tests/spec"));
    trials.extend(doc_trials(&root.join("docs/language.md")));
    libtest_mimic::run(&args, trials).exit();
}

/// A trial that fails with `message` (for problems found while collecting the tests).
fn broken(name: String, message: String) -> Trial {
    Trial::test(name, move || Err(Failed::from(message)))
}

fn guard_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            guard_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "guard") {
            out.push(path);
        }
    }
}

fn rendered(diags: &palisade::diag::Diagnostics) -> String {
    diags
        .iter()
        .map(|d| render::diagnostic::render(d, false))
        .collect()
}

fn spec_trials(dir: &Path) -> Vec<Trial> {
    let mut policies = Vec::new();
    guard_files(dir, &mut policies);
    policies.sort();
    let mut trials = Vec::new();
    for policy in policies {
        let topic = policy
            .strip_prefix(dir)
            .unwrap_or(&policy)
            .with_extension("")
            .to_string_lossy()
            .replace('\\', "/");
        trials.extend(topic_trials(&topic, &policy));
    }
    if trials.is_empty() {
        trials.push(broken(
            "spec".into(),
            format!("no spec files under {}", dir.display()),
        ));
    }
    trials
}

/// The trials of one policy file and its test file.
fn topic_trials(topic: &str, policy: &Path) -> Vec<Trial> {
    let tests_path = policy.with_extension("tests.yaml");
    let name = format!("{topic}.guard");
    let text = std::fs::read_to_string(policy).unwrap_or_default();
    let program = match check::check(&[Arc::new(SourceFile::new(name, text))], &[]) {
        Ok((program, _)) => Arc::new(program),
        Err(diags) => return vec![broken(format!("{topic}::<policy>"), rendered(&diags))],
    };
    let source = match template::read_file(&tests_path, format!("{topic}.tests.yaml")) {
        Ok(source) => source,
        Err(e) => return vec![broken(format!("{topic}::<tests>"), e.message)],
    };
    let file = match testing::parse(source, Some(tests_path))
        .and_then(|f| testing::check_rule_names(&f, &program).map(|()| f))
        .and_then(|f| testing::check_cases_expect_something(&f).map(|()| f))
    {
        Ok(file) => Arc::new(file),
        Err(e) => return vec![broken(format!("{topic}::<tests>"), format!("{e:?}"))],
    };
    let mut trials = vec![coverage_trial(topic, &file, &program)];
    for index in 0..file.cases.len() {
        let (file, program) = (Arc::clone(&file), Arc::clone(&program));
        let case_name = file
            .cases
            .get(index)
            .map_or(String::new(), |c| c.name.clone());
        trials.push(Trial::test(format!("{topic}::{case_name}"), move || {
            let case = file.cases.get(index).ok_or("no such case")?;
            let result = testing::run_case(&file, case, &program).map_err(|e| format!("{e:?}"))?;
            if result.passed() {
                Ok(())
            } else {
                Err(result.mismatches.join("\n").into())
            }
        }));
    }
    trials
}

/// Every rule of the policy is expected by some case, and case names are unique: a spec file
/// that tests nothing about a rule, or hides a case behind another's name, is a broken spec.
fn coverage_trial(topic: &str, file: &Arc<testing::TestFile>, program: &Arc<Program>) -> Trial {
    let (file, program) = (Arc::clone(file), Arc::clone(program));
    Trial::test(format!("{topic}::<every rule is tested>"), move || {
        let mut problems = Vec::new();
        for rule in program.reported_rules() {
            if !file.cases.iter().any(|c| c.expects(&rule.name).is_some()) {
                problems.push(format!("no case expects a status of rule `{}`", rule.name));
            }
        }
        let mut names: Vec<&str> = file.cases.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        for pair in names.windows(2) {
            if let (Some(a), Some(b)) = (pair.first(), pair.get(1)) {
                if a == b {
                    problems.push(format!("two cases are named `{a}`"));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n").into())
        }
    })
}

/// One example of the language reference.
struct Example {
    line: usize,
    policy: String,
    template: Option<String>,
    outcome: String,
}

/// The examples of a markdown file: each ```` ```outcome ```` block with the ```` ```guard ````
/// (and ```` ```yaml ````) blocks before it.
fn examples(text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let (mut policy, mut template): (Option<String>, Option<String>) = (None, None);
    let mut lines = text.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let info = info.trim().to_string();
        let mut body = String::new();
        for (_, inner) in lines.by_ref() {
            if inner.trim_start().starts_with("```") {
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        match info.as_str() {
            "guard" => {
                policy = Some(body);
                template = None;
            }
            "yaml" => template = Some(body),
            "outcome" => {
                if let Some(policy) = policy.take() {
                    out.push(Example {
                        line: number + 1,
                        policy,
                        template: template.take(),
                        outcome: body,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

fn doc_trials(path: &Path) -> Vec<Trial> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let found = examples(&text);
    if found.is_empty() {
        return vec![broken(
            "docs/language.md".into(),
            "the language reference has no examples".into(),
        )];
    }
    found
        .into_iter()
        .map(|e| {
            Trial::test(format!("docs/language.md::line {}", e.line), move || {
                let observed = run_example(&e);
                if observed.trim_end() == e.outcome.trim_end() {
                    Ok(())
                } else {
                    Err(format!(
                        "the example says:\n{}\npalisade says:\n{}",
                        e.outcome, observed
                    )
                    .into())
                }
            })
        })
        .collect()
}

/// What palisade says about an example, in the form of an outcome block.
fn run_example(example: &Example) -> String {
    let policy = Arc::new(SourceFile::new("example.guard", example.policy.as_str()));
    let program = match check::check(&[policy], &[]) {
        Ok((program, _)) => program,
        Err(diags) => {
            return diags
                .iter()
                .map(|d| format!("error[{}] {}\n", d.code, d.position()))
                .collect();
        }
    };
    let Some(text) = &example.template else {
        return "(no template)\n".to_string();
    };
    let source = Arc::new(SourceFile::new("example.yaml", text.as_str()));
    // A template `validate` would refuse gives its error, as the command line does.
    let template = match template::parse(source).and_then(|t| t.check_resources().map(|()| t)) {
        Ok(t) => t,
        Err(e) => return format!("template error: {}\n", e.message),
    };
    let outcomes =
        engine::evaluate_template(&program, &template, &palisade::model::Parameters::new());
    let part = report::checked(
        &program,
        &Options::default(),
        "example.yaml",
        template,
        outcomes,
    );
    let mut out = String::new();
    // The policy's own rules; palisade's checks of suppressions are shown by their findings.
    let own = part
        .entry
        .rules
        .iter()
        .filter(|(rule, _)| program.rules.iter().any(|r| r.name == *rule));
    for (rule, status) in own {
        out.push_str(&format!("{rule}: {}\n", status.as_str()));
        for f in part.findings.iter().filter(|f| *f.rule == **rule) {
            out.push_str(&format!("  {}:{} {}", f.line, f.column, f.message));
            if let Some(reason) = &f.suppression_reason {
                out.push_str(&format!(" [suppressed: {reason}]"));
            }
            out.push('\n');
        }
    }
    for f in part.findings.iter().filter(|f| f.id.starts_with("PAL")) {
        out.push_str(&format!("{} {}:{} {}\n", f.id, f.line, f.column, f.message));
    }
    out
}
