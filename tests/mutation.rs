//! Deterministic mutation testing: corpus templates, the test fixtures and the policies with
//! bytes cut off, deleted and duplicated, through the whole pipeline (load, model, evaluate,
//! report, render; or check and render the diagnostics). Nothing may panic, and a template that
//! does not load is always a report error. Bounded: a fixed seed and a fixed number of cases.

// Test code throughout, helpers included (the lints allow `unwrap` in tests).
#![cfg(test)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade::check::{self, Program};
use palisade::model::Parameters;
use palisade::render::{self, Style};
use palisade::report::{self, Options, Report};
use palisade::source::SourceFile;
use palisade::{engine, template};

/// xorshift64*: the same cases on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One mutation: the bytes cut at a point, a run of them deleted, or a run duplicated.
fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let len = bytes.len().max(1);
    let at = rng.below(len).min(bytes.len());
    let run = (1 + rng.below(64)).min(bytes.len() - at);
    let (head, tail) = bytes.split_at(at);
    match rng.below(3) {
        0 => head.to_vec(),
        1 => [head, tail.get(run..).unwrap_or_default()].concat(),
        _ => [head, tail.get(..run).unwrap_or_default(), tail].concat(),
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn policy_sources() -> Vec<Arc<SourceFile>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "guard"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| template::read_file(p, p.display().to_string()).unwrap())
        .collect()
}

fn program() -> Program {
    check::check(&policy_sources(), &[]).unwrap().0
}

/// Loads, models, evaluates, reports and renders one template; a template that does not load
/// must make the report an error.
fn check_template(program: &Program, name: &str, bytes: Vec<u8>) {
    let options = Options::default();
    let part = match template::decode(name, bytes) {
        Err(e) => report::failed(name, &e, None),
        Ok(source) => match template::parse(Arc::clone(&source)) {
            Err(e) => report::failed(name, &e, Some(&source)),
            Ok(t) if !t.is_cloudformation() => report::skipped(name),
            Ok(t) => {
                let outcomes = engine::evaluate_template(program, &t, &Parameters::default());
                report::checked(program, &options, name, t, outcomes)
            }
        },
    };
    let loaded = part.entry.error.is_none();
    let report = Report::new(vec![part], &Default::default());
    assert_eq!(report.has_errors(), !loaded, "{name}");
    let text = render::text::TextOptions {
        style: Style { color: false },
        quiet: false,
        elapsed: None,
    };
    assert!(!render::text::render(&report, &options, &text).is_empty());
    assert!(!render::json::render(&report).is_empty());
}

/// Every `stride`-th template of the corpus, in path order.
fn corpus_sample(stride: usize) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![root().join("../shared/corpus")];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| {
                ["yaml", "yml", "json", "template"].contains(&e.to_str().unwrap_or(""))
            }) {
                found.push(path);
            }
        }
    }
    found.sort();
    found.into_iter().step_by(stride).collect()
}

#[test]
fn mutated_templates_never_panic_and_never_pass_unread() {
    let program = program();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let fixtures = ["twin.yaml", "twin.json"].map(|n| root().join("tests/fixtures/load").join(n));
    for path in &fixtures {
        let bytes = std::fs::read(path).unwrap();
        for i in 0..150 {
            check_template(
                &program,
                &format!("{}#{i}", path.display()),
                mutate(&bytes, &mut rng),
            );
        }
    }
    if !root().join("../shared/corpus").is_dir() {
        eprintln!("skipping the corpus: ../shared/corpus not found");
        return;
    }
    for path in corpus_sample(8) {
        let bytes = std::fs::read(&path).unwrap();
        for i in 0..4 {
            check_template(
                &program,
                &format!("{}#{i}", path.display()),
                mutate(&bytes, &mut rng),
            );
        }
    }
}

#[test]
fn mutated_policies_never_panic() {
    let sources = policy_sources();
    let template = template::parse(
        template::read_file(&root().join("tests/fixtures/load/twin.yaml"), "twin.yaml").unwrap(),
    )
    .unwrap();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for source in &sources {
        for i in 0..80 {
            let bytes = mutate(source.text().as_bytes(), &mut rng);
            let Ok(mutated) = template::decode(format!("{}#{i}", source.name()), bytes) else {
                continue;
            };
            match check::check(&[mutated], &[]) {
                Ok((program, warnings)) => {
                    for w in warnings.iter() {
                        assert!(!render::diagnostic::render(w, false).is_empty());
                    }
                    engine::evaluate_template(&program, &template, &Parameters::default());
                }
                Err(diags) => {
                    assert!(diags.has_errors());
                    for d in diags.iter() {
                        assert!(!render::diagnostic::render(d, false).is_empty());
                    }
                }
            }
        }
    }
}
