//! Behaviour cases for the security-group model: one test per `tests/spec/model/*.yaml` file.
//!
//! A case file has `name`, `template` (the template text, YAML or JSON), optional `parameters`
//! (a map of supplied values) and `expect`: for each model root (`security_groups`, `rules`,
//! `attachments`, `vpcs`) the list of expected entries, in order.
//!
//! Matching rule:
//! - a root's list must have exactly as many entries as the model's, unless `expect` has
//!   `partial: true`, in which case the expected entries must appear in the model's list in
//!   that order, with others allowed in between;
//! - an expected map matches when every key it names is in the actual map and matches (keys it
//!   does not name are not checked); a nested list must match in length and item by item;
//! - a port range matches `"22"` (one port), `"0-65535"` or `{from: …, to: …}`;
//! - an unknown value matches `{unknown: TEXT}` when its reason contains TEXT, and `unknown`;
//! - anything else must be equal (`1` and `1.0` are equal numbers).
//!
//! Entries are compared as the CLI prints them, so `line` and `column` can be checked too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use palisade::model::{self, Model, Parameters, Positioned, Supplied};
use palisade::source::SourceFile;
use palisade::template::{self, Value as TValue};
use serde_json::Value;

fn main() {
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec/model");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(name, move || run_case(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read case: {e}"))?;
    let case = template::parse(Arc::new(SourceFile::new(path.display().to_string(), text)))
        .map_err(|e| format!("invalid case file: {e}"))?;
    let root = serde_json::to_value(&case.root).map_err(|e| e.to_string())?;
    let body = root
        .get("template")
        .and_then(Value::as_str)
        .ok_or("the case has no `template` text")?;
    let mut params = Parameters::new();
    if let Some(map) = case.root.get("parameters").and_then(|p| p.as_map()) {
        for (k, v) in map.iter() {
            let supplied = match &v.value {
                TValue::List(items) => Supplied::List(items.iter().map(scalar).collect()),
                _ => Supplied::Text(scalar(v)),
            };
            params.set(k, supplied);
        }
    }
    let source = Arc::new(SourceFile::new("template.yaml", body.to_string()));
    let loaded = template::parse(Arc::clone(&source)).map_err(|e| format!("template: {e}"))?;
    let built = model::build(&loaded, &params);
    let expect = root.get("expect").ok_or("the case has no `expect`")?;
    let partial = expect.get("partial").and_then(Value::as_bool) == Some(true);
    let mut checked = 0;
    for name in Model::ROOTS {
        let Some(expected) = expect.get(name) else {
            continue;
        };
        checked += 1;
        let expected = expected
            .as_array()
            .ok_or(format!("`expect.{name}` must be a list"))?;
        let actual: Vec<Value> = built
            .entries(name)
            .iter()
            .map(|node| {
                serde_json::to_value(Positioned {
                    node,
                    source: &source,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        compare_root(name, expected, &actual, partial)?;
    }
    if checked == 0 {
        return Err("`expect` names no model root".into());
    }
    Ok(())
}

/// A supplied scalar as text (`8080` → `"8080"`).
fn scalar(node: &palisade::template::Node) -> String {
    match &node.value {
        TValue::String(s) => s.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn compare_root(
    name: &str,
    expected: &[Value],
    actual: &[Value],
    partial: bool,
) -> Result<(), Failed> {
    let show = || serde_json::to_string_pretty(actual).unwrap_or_default();
    if !partial {
        if expected.len() != actual.len() {
            return Err(format!(
                "`{name}`: expected {} entries, the model has {}:\n{}",
                expected.len(),
                actual.len(),
                show()
            )
            .into());
        }
        for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
            matches(e, a, &format!("{name}[{i}]"))
                .map_err(|m| format!("{m}\nmodel `{name}`:\n{}", show()))?;
        }
        return Ok(());
    }
    let mut from = 0;
    for (i, e) in expected.iter().enumerate() {
        let found = actual
            .iter()
            .enumerate()
            .skip(from)
            .find(|(j, a)| matches(e, a, &format!("{name}[{j}]")).is_ok());
        match found {
            Some((j, _)) => from = j + 1,
            None => {
                return Err(format!(
                    "`{name}`: expected entry {i} matches no entry (in order):\n{}\nmodel `{name}`:\n{}",
                    serde_json::to_string_pretty(e).unwrap_or_default(),
                    show()
                )
                .into());
            }
        }
    }
    Ok(())
}

/// Subset matching, as described at the top of this file.
fn matches(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    let fail = || {
        Err(format!(
            "at `{at}`: expected {}, found {}",
            expected, actual
        ))
    };
    if let Some(reason) = actual.get("unknown").and_then(Value::as_str) {
        if actual.as_object().is_some_and(|o| o.len() == 1) {
            return match expected {
                Value::String(s) if s == "unknown" => Ok(()),
                Value::Object(o) if o.len() == 1 => {
                    match o.get("unknown").and_then(Value::as_str) {
                        Some(text) if reason.contains(text) => Ok(()),
                        _ => fail(),
                    }
                }
                _ => fail(),
            };
        }
    }
    if let (Some(from), Some(to)) = (
        actual.get("from").and_then(Value::as_i64),
        actual.get("to").and_then(Value::as_i64),
    ) {
        if actual.as_object().is_some_and(|o| o.len() == 2) {
            let shown = if from == to {
                from.to_string()
            } else {
                format!("{from}-{to}")
            };
            return match expected {
                Value::String(s) if *s == shown => Ok(()),
                Value::Number(n) if from == to && n.as_i64() == Some(from) => Ok(()),
                Value::Object(_) if expected == actual => Ok(()),
                _ => fail(),
            };
        }
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let Some(av) = a.get(k) else {
                    return Err(format!("at `{at}`: no field `{k}` in {actual}"));
                };
                matches(ev, av, &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "at `{at}`: expected {} items, found {}: {actual}",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                matches(x, y, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => Ok(()),
        _ if expected == actual => Ok(()),
        _ => fail(),
    }
}
