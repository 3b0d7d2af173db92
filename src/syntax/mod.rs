//! Policy text → [`ast::PolicyFile`], or diagnostics.
//!
//! First phase of the policy pipeline (`syntax → check → eval`). pest stops at the first
//! syntax error; lowering then reports every bad literal (CIDR, regex, range, escape) it
//! finds, so one run shows all of them.

pub mod ast;
mod errors;
mod lower;

use std::sync::Arc;

use pest::Parser as _;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};

/// The pest parser generated from `grammar/policy.pest`.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
pub(crate) struct PolicyParser;

/// Deepest nesting of brackets a policy may use. Real policies stay below ten; the bound keeps
/// the recursive-descent parser and everything after it far from the stack's limit.
pub const MAX_NESTING: usize = 32;

/// Parses a policy file. Returns the tree when there is no error, and every diagnostic found
/// (warnings may come with a tree).
pub fn parse(file: &Arc<SourceFile>) -> (Option<ast::PolicyFile>, Diagnostics) {
    if let Some(at) = too_deep(file.text()) {
        return (None, too_deep_error(file, at).into());
    }
    let pairs = match PolicyParser::parse(Rule::policy_file, file.text()) {
        Ok(pairs) => pairs,
        Err(e) => return (None, errors::syntax_error(file, e).into()),
    };
    let mut diags = Diagnostics::new();
    let tree = lower::lower_policy_file(file, pairs, &mut diags);
    if diags.has_errors() {
        (None, diags)
    } else {
        (tree, diags)
    }
}

/// The diagnostic for a bracket at `at` that opens deeper than [`MAX_NESTING`].
fn too_deep_error(file: &Arc<SourceFile>, at: u32) -> Diagnostic {
    Diagnostic::error(
        Code::TooDeep,
        file,
        Span::new(at, at + 1),
        format!("brackets are nested more than {MAX_NESTING} levels deep"),
    )
    .with_label("too deep here")
    .with_help("split the expression into named rules or `let` variables")
}

/// The offset of the first bracket that opens deeper than [`MAX_NESTING`], ignoring brackets
/// in comments, strings and messages.
fn too_deep(text: &str) -> Option<u32> {
    let mut depth = 0usize;
    let mut found = None;
    scan_brackets(text, |at, b| {
        if matches!(b, b'(' | b'[' | b'{') {
            depth += 1;
            if depth > MAX_NESTING {
                found = Some(at as u32);
                return false;
            }
        } else {
            depth = depth.saturating_sub(1);
        }
        true
    });
    found
}

/// The innermost bracket left open at the end of the text (offset and character), ignoring
/// brackets in comments, strings and messages.
pub(crate) fn unclosed_bracket(text: &str) -> Option<(u32, char)> {
    let mut open: Vec<(u32, char)> = Vec::new();
    scan_brackets(text, |at, b| {
        if matches!(b, b'(' | b'[' | b'{') {
            open.push((at as u32, char::from(b)));
        } else {
            open.pop();
        }
        true
    });
    open.pop()
}

/// Calls `visit` with the offset of each bracket outside comments, strings and messages, until
/// it returns false.
fn scan_brackets(text: &str, mut visit: impl FnMut(usize, u8) -> bool) {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b || c == b'\n' {
                        break;
                    }
                    i += 1;
                }
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                i += 2;
                while i + 1 < bytes.len()
                    && !(bytes.get(i) == Some(&b'>') && bytes.get(i + 1) == Some(&b'>'))
                {
                    i += 1;
                }
                i += 1;
            }
            b'(' | b'[' | b'{' | b')' | b']' | b'}' if !visit(i, b) => return,
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests;
