//! `palisade test`: runs policy unit tests and reports each case.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Exit, TestArgs, inputs, output, policies};
use crate::bundled;
use crate::check::Program;
use crate::render::printable;
use crate::source::SourceFile;
use crate::template;
use crate::testing::{self, TestFile, TestFileError};

/// A test file's text and, when it is on disk, its path.
type TestSource = (Arc<SourceFile>, Option<PathBuf>);

/// Runs `palisade test`.
pub fn run(args: &TestArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let overrides = match policies::parse_overrides(&args.param_overrides, err) {
        Ok(o) => o,
        Err(exit) => return exit,
    };
    let (program, tests) = if args.rules.is_empty() {
        let sources = bundled::policy_files();
        let program = match policies::check_sources(&sources, &overrides, err) {
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
        let program = match policies::load_with(&args.rules, false, &overrides, err) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
        let paths = if args.tests.is_empty() {
            match policies::policy_paths(&args.rules) {
                Ok(rules) => rules.iter().flat_map(|r| tests_next_to(r)).collect(),
                Err(m) => {
                    let _ = writeln!(err, "error: {}", printable(&m));
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
    let _ = writeln!(
        err,
        "{}: error[test::invalid]: {}",
        printable(&at),
        printable(&e.message)
    );
    if let Some(help) = &e.help {
        let _ = writeln!(err, "  = help: {}", printable(help));
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
    // Cases that still fail once `--update` has rewritten their findings.
    let mut still_failing = 0usize;
    for (source, path) in tests {
        // `--update` writes the findings of cases that expect nothing yet.
        let file = match testing::parse(source, path.clone())
            .and_then(|f| testing::check_rule_names(&f, program).map(|()| f))
            .and_then(|f| {
                if args.update {
                    Ok(f)
                } else {
                    testing::check_cases_expect_something(&f).map(|()| f)
                }
            }) {
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
        // Quiet, a file is named only when one of its cases fails.
        if !args.quiet || results.iter().any(|r| !r.passed()) {
            let _ = writeln!(out, "{}", style.bold(&printable(file.source.name())));
        }
        for (r, case) in results.iter().zip(&file.cases) {
            if r.passed() {
                passed += 1;
                if !args.quiet {
                    let _ = writeln!(out, "  {} {}", style.green("PASS"), printable(&r.name));
                }
            } else {
                failed += 1;
                // Where the case is, so that an editor can jump to it.
                let at = file.source.position(case.span.start);
                let _ = writeln!(
                    out,
                    "  {} {} ({}:{})",
                    style.bold_red("FAIL"),
                    printable(&r.name),
                    printable(file.source.name()),
                    at.line
                );
                for m in &r.mismatches {
                    let _ = writeln!(out, "       {}", printable(&m.to_string()));
                }
            }
        }
        if args.update {
            let (e, failing) = update(&file, &path, &results, program, out, err);
            exit = exit.combine(e);
            still_failing += failing;
        } else {
            still_failing += results.iter().filter(|r| !r.passed()).count();
        }
    }
    let verdict = if exit == Exit::TestFileError {
        style.bold_red("error")
    } else if still_failing > 0 {
        style.bold_red("failed")
    } else if failed > 0 {
        style.green("updated")
    } else {
        style.green("ok")
    };
    let cases = passed + failed;
    let _ = writeln!(
        out,
        "{verdict}: {cases} case{}, {passed} passed, {failed} failed",
        if cases == 1 { "" } else { "s" }
    );
    if still_failing > 0 {
        exit = exit.combine(Exit::TestFailed);
    }
    exit
}

/// Rewrites the findings of a test file and returns the exit and how many cases still fail
/// (their expected statuses, which `--update` leaves alone, do not hold).
///
/// Rewriting can add lines before a case's inline template and so move its findings; the file
/// is therefore run and rewritten until it no longer changes (the second round only corrects
/// line numbers, so it settles at once).
fn update(
    file: &TestFile,
    path: &Option<PathBuf>,
    results: &[testing::CaseResult],
    program: &Program,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> (Exit, usize) {
    let failing = results.iter().filter(|r| !r.passed()).count();
    let Some(path) = path else {
        let _ = writeln!(
            err,
            "error: `--update` rewrites test files on disk; the bundled tests are part of the binary"
        );
        return (Exit::Usage, failing);
    };
    let mut text = match testing::updated_text(file, results) {
        Ok(text) => text,
        Err(e) => {
            print_error(err, &e);
            return (Exit::TestFileError, failing);
        }
    };
    let mut failing = failing;
    for _ in 0..4 {
        let source = Arc::new(SourceFile::new(file.source.name(), text.as_str()));
        let round = testing::parse(source, Some(path.clone())).and_then(|updated| {
            let results = updated
                .cases
                .iter()
                .map(|case| testing::run_case(&updated, case, program))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((testing::updated_text(&updated, &results)?, results))
        });
        let (next, results) = match round {
            Ok(round) => round,
            Err(e) => {
                print_error(err, &e);
                return (Exit::TestFileError, failing);
            }
        };
        failing = results.iter().filter(|r| !r.passed()).count();
        if next == text {
            break;
        }
        text = next;
    }
    if text != file.source.text() {
        if let Err(e) = output::write_report(path, |w| w.write_all(text.as_bytes())) {
            let _ = writeln!(err, "error: cannot write `{}`: {e}", output::shown(path));
            let _ = writeln!(
                err,
                "  = help: `--update` rewrites the test file in place: check that you can write to it and to its folder"
            );
            return (Exit::Usage, failing);
        }
        let _ = writeln!(out, "  updated {}", output::shown(path));
    }
    if failing > 0 {
        let _ = writeln!(
            out,
            "  {failing} case{} still failing: `--update` rewrites findings, not expected statuses",
            if failing == 1 { " is" } else { "s are" }
        );
    }
    (Exit::Ok, failing)
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
            let (found, _) = inputs::files_under(path, &|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                !inputs::is_hidden(p)
                    && p.extension()
                        .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                    && (name.contains(".tests.") || name.contains("_tests."))
            });
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
