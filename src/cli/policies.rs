//! Loading policies for a command: the bundled library and `--rules` files or folders,
//! checked together; diagnostics printed as labelled snippets.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use super::Exit;
use super::{inputs, output};
use crate::bundled;
use crate::check::{self, ParamOverride, Program};
use crate::hash::HashMap;
use crate::render::{self, printable};
use crate::source::SourceFile;
use crate::template;

/// Policy files found under the given paths (folders are walked for `*.guard`, sorted).
pub fn policy_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let (found, unreadable) = inputs::files_under(path, &|p| {
                !inputs::is_hidden(p) && p.extension().is_some_and(|e| e == "guard")
            });
            if let Some((dir, e)) = unreadable.into_iter().next() {
                return Err(format!("cannot read folder `{}`: {e}", dir.display()));
            }
            if found.is_empty() {
                return Err(format!(
                    "folder `{}` holds no `.guard` files",
                    path.display()
                ));
            }
            out.extend(found);
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(format!("policy file `{}` does not exist", path.display()));
        }
    }
    Ok(out)
}

/// Reads policy files into sources.
pub fn read_sources(paths: &[PathBuf]) -> Result<Vec<Arc<SourceFile>>, String> {
    paths
        .iter()
        .map(|p| {
            template::read_file(p, p.to_string_lossy().into_owned())
                .map_err(|e| format!("{}: {}", p.display(), e.message))
        })
        .collect()
}

/// Loads and checks the policies; on failure prints every diagnostic and returns the exit.
pub fn load(
    rules: &[PathBuf],
    with_bundled: bool,
    overrides: &[String],
    err: &mut dyn Write,
) -> Result<Program, Exit> {
    let parsed = parse_overrides(overrides, err)?;
    load_with(rules, with_bundled, &parsed, err)
}

/// Parses `--param-override NAME=JSON` values.
pub fn parse_overrides(
    overrides: &[String],
    err: &mut dyn Write,
) -> Result<Vec<ParamOverride>, Exit> {
    overrides
        .iter()
        .map(|o| ParamOverride::parse(o).map_err(|m| usage(err, format!("--param-override {m}"))))
        .collect()
}

/// Prints `message`, which may quote paths and command-line text, with its control
/// characters escaped.
/// The ids of the loaded rules by their lower-case form, each to its own spelling: rule ids
/// are matched whatever their case (`--only`, `--skip`, `palisade.toml`).
pub fn rule_ids(program: &Program) -> HashMap<String, &str> {
    program
        .reported_rules()
        .map(|r| (r.meta.id.to_ascii_lowercase(), r.meta.id.as_str()))
        .collect()
}

fn usage(err: &mut dyn Write, message: String) -> Exit {
    let _ = writeln!(err, "error: {}", printable(&message));
    Exit::Usage
}

/// [`load`] with overrides already parsed (from the command line and the configuration file).
pub fn load_with(
    rules: &[PathBuf],
    with_bundled: bool,
    overrides: &[ParamOverride],
    err: &mut dyn Write,
) -> Result<Program, Exit> {
    let paths = policy_paths(rules).map_err(|m| usage(err, m))?;
    let mut sources = if with_bundled {
        bundled::policy_files()
    } else {
        Vec::new()
    };
    match read_sources(&paths) {
        Ok(s) => sources.extend(s),
        Err(m) => {
            let _ = writeln!(err, "error: {}", printable(&m));
            return Err(Exit::PolicyError);
        }
    }
    if sources.is_empty() {
        return Err(usage(
            err,
            "no policies to run: give --rules, or drop --no-bundled".to_string(),
        ));
    }
    let program = check_sources(&sources, overrides, err)?;
    if program.reported_rules().next().is_none() {
        return Err(usage(
            err,
            "the policy files declare no rules, so nothing would be checked: give --rules files with `rule` blocks, or drop --no-bundled".to_string(),
        ));
    }
    Ok(program)
}

/// Checks sources; prints diagnostics (warnings too) to `err`.
pub fn check_sources(
    sources: &[Arc<SourceFile>],
    overrides: &[ParamOverride],
    err: &mut dyn Write,
) -> Result<Program, Exit> {
    let style = output::stderr_style();
    match check::check(sources, overrides) {
        Ok((program, warnings)) => {
            for w in warnings.iter() {
                let _ = write!(err, "{}", render::diagnostic::render(w, style.color));
            }
            Ok(program)
        }
        Err(diags) => {
            for d in diags.iter() {
                let _ = write!(err, "{}", render::diagnostic::render(d, style.color));
            }
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let _ = writeln!(
                err,
                "error: {errors} problem{} in policy files; nothing was checked",
                if errors == 1 { "" } else { "s" }
            );
            Err(Exit::PolicyError)
        }
    }
}
