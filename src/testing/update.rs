//! `palisade test --update`: a test file's text with each case's `findings:` rewritten to
//! the findings observed now, everything else (comments, order, spacing) kept.

use super::{CaseResult, TestFile, TestFileError, error_at};
use crate::source::Span;

/// The test file's text with each case's `findings:` replaced by the observed findings.
/// Works on block-style files (the usual way to write them); returns an error for others.
pub fn updated_text(file: &TestFile, results: &[CaseResult]) -> Result<String, TestFileError> {
    let text = file.source.text();
    let Some(cases) = file.root.as_list() else {
        return Ok(text.to_string());
    };
    // (start, end, replacement), applied from the end so offsets stay valid.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (case, result) in cases.iter().zip(results) {
        let Some(map) = case.as_map() else { continue };
        let indent = map
            .entries()
            .next()
            .map(|e| {
                file.source
                    .position(e.key_span.start)
                    .column
                    .saturating_sub(1) as usize
            })
            .unwrap_or(2);
        if text
            .get(case.span.range())
            .is_some_and(|t| t.trim_start().starts_with('{'))
        {
            return Err(error_at(
                &file.source,
                case.span,
                "`--update` needs test cases written in block style",
                Some("write each case as `- name: …` with one key per line"),
            ));
        }
        let block = findings_block(&result.observed, indent);
        match map.entry("findings") {
            Some(entry) => {
                let start = line_start(text, entry.key_span.start as usize);
                let end = line_end_after(text, content_end(text, entry.value.span));
                edits.push((start, end, block));
            }
            None => {
                let end = line_end_after(text, content_end(text, case.span));
                edits.push((end, end, block));
            }
        }
    }
    let mut out = text.to_string();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (start, end, replacement) in edits {
        if start <= end
            && end <= out.len()
            && out.is_char_boundary(start)
            && out.is_char_boundary(end)
        {
            out.replace_range(start..end, &replacement);
        }
    }
    Ok(out)
}

fn findings_block(observed: &[serde_json::Value], indent: usize) -> String {
    let pad = " ".repeat(indent);
    if observed.is_empty() {
        return format!("{pad}findings: []\n");
    }
    let mut out = format!("{pad}findings:\n");
    for f in observed {
        let mut parts = vec![
            format!("id: {}", f["id"].as_str().unwrap_or("")),
            format!("resource: {}", f["resource"].as_str().unwrap_or("null")),
            format!("line: {}", f["line"]),
        ];
        if let Some(status) = f.get("status").and_then(|s| s.as_str()) {
            parts.push(format!("status: {status}"));
        }
        out.push_str(&format!("{pad}  - {{ {} }}\n", parts.join(", ")));
    }
    out
}

/// The end of a node's last text: a block node's span may run on over the blank lines after
/// it, which an edit must keep.
fn content_end(text: &str, span: Span) -> usize {
    let node = text.get(span.range()).unwrap_or("");
    span.start as usize + node.trim_end().len()
}

fn line_start(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// The offset just after the line holding `offset - 1` (the end of a value's last line).
fn line_end_after(text: &str, offset: usize) -> usize {
    let from = offset.saturating_sub(1).min(text.len());
    // A value's span may end at the start of the next line; stay on its last line.
    let from = if text.as_bytes().get(from) == Some(&b'\n') && from + 1 == offset {
        return offset;
    } else {
        from
    };
    text.get(from..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| from + i + 1)
}
