//! Diagnostics as people read them: each `tests/diagnostics/*.guard` is an invalid policy, its
//! diagnostics rendered without colour and snapshotted. A file is named after the code of its
//! first diagnostic (`undefined-rule.guard` → `check::undefined-rule`, `expected-*.guard` →
//! `syntax::expected`). Lines `# override: NAME=JSON` pass `--param-override`s to the check.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use palisade::check::{self, ParamOverride};
use palisade::render::diagnostic::render;
use palisade::source::SourceFile;

/// Every code palisade can report about policy text, except the internal one (which only a
/// bug in palisade can produce).
const CODES: [&str; 19] = [
    "syntax::expected",
    "syntax::too-deep",
    "syntax::invalid-cidr",
    "syntax::invalid-regex",
    "syntax::invalid-range",
    "syntax::invalid-literal",
    "syntax::invalid-message",
    "check::undefined-rule",
    "check::undefined-variable",
    "check::undefined-function",
    "check::wrong-arity",
    "check::duplicate-rule",
    "check::duplicate-variable",
    "check::duplicate-id",
    "check::rule-cycle",
    "check::type-mismatch",
    "check::invalid-annotation",
    "check::invalid-override",
    "check::invalid-rule-use",
];

#[cfg(test)]
fn diagnose(path: &Path) -> (String, Vec<&'static str>) {
    let text = std::fs::read_to_string(path).unwrap();
    let overrides: Vec<ParamOverride> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# override: "))
        .map(|o| ParamOverride::parse(o).unwrap())
        .collect();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let file = Arc::new(SourceFile::new(name.clone(), text));
    let Err(diags) = check::check(&[file], &overrides) else {
        panic!("{name} has no error");
    };
    let rendered = diags.iter().map(|d| render(d, false)).collect();
    (rendered, diags.iter().map(|d| d.code.as_str()).collect())
}

#[test]
fn rendered_diagnostics() {
    insta::glob!("diagnostics/*.guard", |path| {
        let (rendered, codes) = diagnose(path);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let first = codes.first().unwrap();
        let short = first.split("::").nth(1).unwrap();
        assert!(
            stem.starts_with(short),
            "{stem}.guard is named after `{short}` but reports `{first}` first"
        );
        // Plain ASCII, no pest rule names, no Rust types.
        assert!(!rendered.contains('\u{1b}'), "colour codes in {stem}");
        for word in [
            "Rule::",
            "operand",
            "query_term",
            "Option<",
            "Some(",
            "None",
        ] {
            assert!(!rendered.contains(word), "{stem}: `{word}` in\n{rendered}");
        }
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn every_code_has_a_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "guard") {
            seen.extend(diagnose(&path).1);
        }
    }
    let missing: Vec<&str> = CODES.into_iter().filter(|c| !seen.contains(c)).collect();
    assert!(missing.is_empty(), "no diagnostics test for {missing:?}");
}
