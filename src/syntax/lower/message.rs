//! Custom messages, `<< text {{query}} >>`: the text cut into plain parts and `{{ … }}`
//! placeholders, each placeholder's query parsed on its own. `{{` and `}}` are reserved in the
//! text: one left open, one that closes nothing and an empty `{{}}` are errors, so that a typo
//! never reaches a finding as literal braces.

use std::sync::Arc;

use pest::Parser as _;
use pest::iterators::Pair;

use super::{Lower, Result};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{Message, MessagePart, Query};
use crate::syntax::{PolicyParser, Rule};

/// How to show braces as text, for the help of brace errors.
const BRACES_AS_TEXT: &str = "to show braces as text, put a space between them (`{ {`, `} }`)";

impl Lower<'_> {
    pub(super) fn message(&mut self, pair: Pair<'_, Rule>) -> Result<Message> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        let text_pair = c.expect(self, Rule::message_text)?;
        let base = self.span(&text_pair).start;
        let text = text_pair.as_str();
        let mut parts = Vec::new();
        // Offset in `text` of what is left to read.
        let mut at = 0usize;
        loop {
            let rest = text.get(at..).unwrap_or("");
            let open = rest.find("{{");
            let plain = rest.get(..open.unwrap_or(rest.len())).unwrap_or("");
            if let Some(close) = plain.find("}}") {
                let d = self.stray_close(base + (at + close) as u32);
                self.report(d);
            }
            if !plain.is_empty() {
                parts.push(MessagePart::Text(plain.to_string()));
            }
            let Some(open) = open else { break };
            let inside = rest.get(open + 2..).unwrap_or("");
            let open_at = base + (at + open) as u32;
            // The placeholder ends at the first `}}`, unless another `{{` comes first.
            match (inside.find("}}"), inside.find("{{")) {
                (Some(close), next) if next.is_none_or(|n| close < n) => {
                    let inner = inside.get(..close).unwrap_or("");
                    let inner_at = open_at + 2;
                    if inner.trim().is_empty() {
                        let d =
                            self.empty_placeholder(Span::new(open_at, inner_at + close as u32 + 2));
                        self.report(d);
                    } else {
                        match lower_interpolation(self.file, inner, inner_at) {
                            Ok(q) => parts.push(MessagePart::Query(q)),
                            Err(d) => self.report(d),
                        }
                    }
                    at += open + 2 + close + 2;
                }
                (_, next) => {
                    let d = self.unclosed_open(open_at, next.is_some());
                    self.report(d);
                    match next {
                        Some(n) => at += open + 2 + n,
                        None => break,
                    }
                }
            }
        }
        Ok(Message { parts, span })
    }

    /// A `{{` at `at` with no `}}` before the end of the message (or before the next `{{`).
    fn unclosed_open(&self, at: u32, before_next: bool) -> Diagnostic {
        let label = if before_next {
            "not closed before the next `{{`"
        } else {
            "not closed before the end of the message"
        };
        self.diag(
            Code::InvalidMessage,
            Span::new(at, at + 2),
            "`{{` opens a placeholder that is never closed".to_string(),
        )
        .with_label(label)
        .with_help(format!(
            "close the placeholder with `}}}}` after its query, e.g. `{{{{Properties.GroupName}}}}`; {BRACES_AS_TEXT}"
        ))
    }

    /// A `}}` at `at` outside any placeholder.
    fn stray_close(&self, at: u32) -> Diagnostic {
        self.diag(
            Code::InvalidMessage,
            Span::new(at, at + 2),
            "`}}` closes no placeholder".to_string(),
        )
        .with_label("no `{{` opens a placeholder before it")
        .with_help(format!(
            "open the placeholder with `{{{{`, e.g. `{{{{Properties.GroupName}}}}`; {BRACES_AS_TEXT}"
        ))
    }

    /// `{{}}` (or `{{ }}`) at `span`.
    fn empty_placeholder(&self, span: Span) -> Diagnostic {
        self.diag(
            Code::InvalidMessage,
            span,
            "the placeholder is empty".to_string(),
        )
        .with_label("no query between the braces")
        .with_help(format!(
            "write a query between the braces, e.g. `{{{{Properties.GroupName}}}}`, or remove them; {BRACES_AS_TEXT}"
        ))
    }
}

/// Parses and lowers the query of a `{{ … }}` interpolation.
pub(super) fn lower_interpolation(
    file: &Arc<SourceFile>,
    text: &str,
    offset: u32,
) -> Result<Query> {
    let mut diags = Diagnostics::new();
    let mut cx = Lower {
        file,
        diags: &mut diags,
        offset,
    };
    let bad = |cx: &Lower<'_>| {
        Diagnostic::error(
            Code::InvalidMessage,
            cx.file,
            Span::new(offset, offset + text.len() as u32),
            format!("`{{{{{}}}}}` is not a query", text.trim()),
        )
        .with_label("expected a query such as `peer.cidr` or `%var`")
        .with_help("write `{{` and `}}` around a query, e.g. `{{Properties.GroupName}}`")
    };
    // Messages are skipped by the nesting check of the whole file; their queries get their own.
    if let Some(at) = crate::syntax::too_deep(text) {
        return Err(crate::syntax::too_deep_error(file, offset + at));
    }
    let mut pairs = PolicyParser::parse(Rule::interpolation, text).map_err(|_| bad(&cx))?;
    let interpolation = pairs.next().ok_or_else(|| bad(&cx))?;
    let mut children = cx.children(interpolation);
    let query = children.expect(&cx, Rule::query)?;
    let query = cx.query(query)?;
    match diags.into_vec().into_iter().next() {
        Some(d) => Err(d),
        None => Ok(query),
    }
}
