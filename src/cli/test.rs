//! `palisade test`: runs policy unit tests and reports each case.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Exit, TestArgs, output, policies};
use crate::bundled;
use crate::check::Program;
use crate::source::SourceFile;
use crate::template;
use crate::testing::{self, TestFile, TestFileError};

/// A test file's text and, when it is on disk, its path.
type TestSource = (Arc<SourceFile>, Option<PathBuf>);

/// Runs `palisade test`.
pub fn run(args: &TestArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let (program, tests) = if args.rules.is_empty() {
        let sources = bundled::policy_files();
        let program = match policies::check_sources(&sources, &[], err) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
        let tests: Vec<TestSource> = if args.tests.is_empty() {
            bundled::BUNDLED
                .iter()
                .map(|b| (b.tests_file(), None))
                .collect()
        } else {
            match read_tests(&args.tests) {
                Ok(t) => t,
                Err(exit) => return report_error(err, exit),
            }
        };
        (program, tests)
    } else {
        let program = match policies::load(&args.rules, false, &[], err) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
        let paths = if args.tests.is_empty() {
            match policies::policy_paths(&args.rules) {
                Ok(rules) => rules.iter().flat_map(|r| tests_next_to(r)).collect(),
                Err(m) => {
                    let _ = writeln!(err, "error: {m}");
                    return Exit::Usage;
                }
            }
        } else {
            args.tests.clone()
        };
        match read_tests(&paths) {
            Ok(t) => (program, t),
            Err(exit) => return report_error(err, exit),
        }
    };
    if tests.is_empty() {
        let _ = writeln!(
            err,
            "error: no test files found\n  = help: name a test file with --tests, or put `NAME.tests.yaml` next to `NAME.guard`"
        );
        return Exit::TestFileError;
    }
    run_files(&program, tests, args, out, err)
}

fn report_error(err: &mut dyn Write, e: TestFileError) -> Exit {
    print_error(err, &e);
    Exit::TestFileError
}

fn print_error(err: &mut dyn Write, e: &TestFileError) {
    let at = match e.position {
        Some((l, c)) => format!("{}:{l}:{c}", e.file),
        None => e.file.clone(),
    };
    let _ = writeln!(err, "{at}: error[test::invalid]: {}", e.message);
    if let Some(help) = &e.help {
        let _ = writeln!(err, "  = help: {help}");
    }
}

fn run_files(
    program: &Program,
    tests: Vec<(Arc<SourceFile>, Option<PathBuf>)>,
    args: &TestArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let style = output::stdout_style();
    let mut exit = Exit::Ok;
    let (mut passed, mut failed) = (0usize, 0usize);
    for (source, path) in tests {
        let file = match testing::parse(source, path.clone())
            .and_then(|f| testing::check_rule_names(&f, program).map(|()| f))
        {
            Ok(f) => f,
            Err(e) => {
                print_error(err, &e);
                exit = exit.combine(Exit::TestFileError);
                continue;
            }
        };
        let mut results = Vec::new();
        for case in &file.cases {
            match testing::run_case(&file, case, program) {
                Ok(r) => results.push(r),
                Err(e) => {
                    print_error(err, &e);
                    exit = exit.combine(Exit::TestFileError);
                }
            }
        }
        if results.len() != file.cases.len() {
            continue;
        }
        let _ = writeln!(out, "{}", style.bold(file.source.name()));
        for r in &results {
            let passed_now = if args.update {
                r.status_mismatches.is_empty()
            } else {
                r.passed()
            };
            if passed_now {
                passed += 1;
                if !args.quiet {
                    let _ = writeln!(out, "  {} {}", style.green("PASS"), r.name);
                }
            } else {
                failed += 1;
                let _ = writeln!(out, "  {} {}", style.bold_red("FAIL"), r.name);
                let shown: Vec<&String> = if args.update {
                    r.status_mismatches.iter().collect()
                } else {
                    r.mismatches().collect()
                };
                for m in shown {
                    let _ = writeln!(out, "       {m}");
                }
            }
        }
        if args.update {
            exit = exit.combine(update(&file, &path, &results, out, err));
        }
    }
    let verdict = if failed == 0 {
        style.green("ok")
    } else {
        style.bold_red("failed")
    };
    let _ = writeln!(
        out,
        "{verdict}: {} cases, {passed} passed, {failed} failed",
        passed + failed
    );
    if failed > 0 {
        exit = exit.combine(Exit::TestFailed);
    }
    exit
}

fn update(
    file: &TestFile,
    path: &Option<PathBuf>,
    results: &[testing::CaseResult],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    let Some(path) = path else {
        let _ = writeln!(
            err,
            "error: `--update` rewrites test files on disk; the bundled tests are part of the binary"
        );
        return Exit::Usage;
    };
    match testing::updated_text(file, results) {
        Ok(text) if text != file.source.text() => match output::write_atomically(path, &text) {
            Ok(()) => {
                let _ = writeln!(out, "  updated {}", path.display());
                Exit::Ok
            }
            Err(e) => {
                let _ = writeln!(err, "error: cannot write `{}`: {e}", path.display());
                Exit::Usage
            }
        },
        Ok(_) => Exit::Ok,
        Err(e) => {
            print_error(err, &e);
            Exit::TestFileError
        }
    }
}

/// Test files of a policy file: `NAME.tests.yaml` (or `.yml`, `.json`) next to it, and files
/// starting with NAME in a `tests/` folder next to it (Guard's registry layout).
fn tests_next_to(policy: &Path) -> Vec<PathBuf> {
    let Some(stem) = policy.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let dir = policy.parent().unwrap_or(Path::new(""));
    let mut out: Vec<PathBuf> = ["tests.yaml", "tests.yml", "tests.json"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .filter(|p| p.is_file())
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir.join("tests")) {
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&stem))
                    && p.extension()
                        .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            })
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

fn read_tests(paths: &[PathBuf]) -> Result<Vec<TestSource>, TestFileError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            for ext in ["yaml", "yml", "json"] {
                let _ = policies::walk(path, ext, &mut found);
            }
            found.retain(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                name.contains(".tests.") || name.contains("_tests.")
            });
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|p| {
            template::read_file(&p, p.to_string_lossy().into_owned())
                .map(|s| (s, Some(p.clone())))
                .map_err(|e| TestFileError {
                    file: p.to_string_lossy().into_owned(),
                    position: None,
                    message: e.message,
                    help: e.help,
                })
        })
        .collect()
}
