//! Policies → a checked [`Program`], or every diagnostic at once.
//!
//! Second phase of the policy pipeline (`syntax → check → eval`). Checking happens before any
//! template is read: undefined rules, variables and functions, wrong arity, duplicate names,
//! rule cycles, bad annotations and type errors that can be seen in the text are all reported
//! here, each with a position and help.

mod annotations;
mod deps;
pub mod functions;
pub mod ir;
mod lower;
mod overrides;
mod scope;

use std::collections::HashMap;
use std::sync::Arc;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};
use crate::syntax::{self, ast};
pub use ir::Program;
pub use overrides::{OverrideOrigin, ParamOverride};

/// Parses and checks policy files together (rules may refer to rules of other files).
///
/// On success returns the program and any warnings; on failure every diagnostic found.
pub fn check(
    files: &[Arc<SourceFile>],
    overrides: &[ParamOverride],
) -> Result<(Program, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut parsed = Vec::new();
    let mut syntax_failed = false;
    for file in files {
        let (tree, file_diags) = syntax::parse(file);
        diags.extend(file_diags);
        match tree {
            Some(tree) => parsed.push((Arc::clone(file), tree)),
            None => syntax_failed = true,
        }
    }
    for (file, tree) in &parsed {
        let has_rules = tree
            .items
            .iter()
            .any(|i| matches!(i, ast::Item::Rule(_) | ast::Item::Statement(_)));
        if !has_rules {
            diags.push(
                Diagnostic::error(
                    Code::NoRules,
                    file,
                    Span::new(0, 0),
                    format!("`{}` declares no rules: it checks nothing", file.name()),
                )
                .warning()
                .with_help("write a `rule` block, or clauses at the top level (they make the file's `default` rule); a file of comments, `let`s and `param`s alone is not used"),
            );
        }
    }
    let program = lower::lower_program(&parsed, overrides, &mut diags);
    if syntax_failed {
        // Rules of a file that did not parse are unknown; references to them are not news.
        diags = diags
            .into_iter()
            .filter(|d| d.code != Code::UndefinedRule)
            .fold(Diagnostics::new(), |mut acc, d| {
                acc.push(d);
                acc
            });
    }
    diags.sort();
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok((program, diags))
    }
}

/// The name of a file's implicit rule (its bare top-level statements): `default`, or
/// `<file>/default` when several files have one.
fn default_rule_names(files: &[(Arc<SourceFile>, ast::PolicyFile)]) -> HashMap<usize, String> {
    let with_default: Vec<usize> = files
        .iter()
        .enumerate()
        .filter(|(_, (_, tree))| {
            tree.items
                .iter()
                .any(|i| matches!(i, ast::Item::Statement(_)))
        })
        .map(|(i, _)| i)
        .collect();
    let single = with_default.len() == 1;
    with_default
        .into_iter()
        .map(|i| {
            let name = match (single, files.get(i)) {
                (false, Some((file, _))) => format!("{}/default", file.name()),
                _ => "default".to_string(),
            };
            (i, name)
        })
        .collect()
}

/// An error diagnostic helper for the check phase.
fn error(
    code: Code,
    file: &Arc<SourceFile>,
    span: crate::source::Span,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(code, file, span, message)
}

#[cfg(test)]
mod tests;
