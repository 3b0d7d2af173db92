//! The part of a policy file a diagnostic shows: the lines of its labels with the lines around
//! them, copied out of the file with long lines cut around the labels. Rendering a diagnostic
//! then costs the size of what it shows, not of the file, and a label on a line of megabytes
//! shows a window of that line (the snippet renderer cannot show columns past 65,535 anyway).

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::excerpt::{CUT, LONG_LINE, cut_around};
use crate::source::{SourceFile, Span};

/// Lines copied before the first label and after the last one: more than the snippet shows,
/// so that it reads the same lines as from the whole file.
const CONTEXT: u32 = 2;

/// The copied lines, and the labels' spans moved into them. A character that could take over
/// the terminal (see [`super::is_unsafe`]) is copied as `�`, one for one, as in the reports.
#[derive(Debug)]
pub struct Window {
    name: String,
    text: String,
    /// 0-based number of the first copied line.
    first_line: usize,
    /// For each cut line (0-based number), the characters its columns lost: those cut off
    /// before the window, less the mark of the cut.
    shifts: Vec<(usize, usize)>,
    /// The given spans, as offsets into `text`.
    pub spans: Vec<Span>,
}

impl Window {
    /// The window of `file` that shows `spans`.
    pub fn new(file: &SourceFile, spans: &[Span]) -> Window {
        let line_of = |offset: u32| file.position(offset).line;
        let first = spans.iter().map(|s| line_of(s.start)).min().unwrap_or(1);
        let last = spans.iter().map(|s| line_of(s.end)).max().unwrap_or(1);
        let first = first.saturating_sub(CONTEXT).max(1);
        let last = last.saturating_add(CONTEXT).min(file.line_count() as u32);
        let mut text = String::new();
        let mut moved: Vec<Span> = spans.to_vec();
        let mut shifts = Vec::new();
        for line in first..=last {
            let Some(range) = file.line_range(line) else {
                continue;
            };
            let whole = file.slice(Span::new(range.start as u32, range.end as u32));
            let (kept, cut_head, cut_tail) = if whole.len() > LONG_LINE {
                let on_line = spans
                    .iter()
                    .flat_map(|s| [s.start, s.end])
                    .map(|o| o as usize)
                    .find(|o| range.contains(o))
                    .unwrap_or(range.start);
                let (from, to) = cut_around(whole, on_line - range.start);
                (
                    range.start + from..range.start + to,
                    from > 0,
                    to < whole.len(),
                )
            } else {
                (range.clone(), false, false)
            };
            if cut_head {
                text.push(CUT);
                let lost = whole
                    .get(..kept.start - range.start)
                    .map_or(0, |head| head.chars().count());
                shifts.push((line as usize - 1, lost.saturating_sub(1)));
            }
            let base = text.len();
            let kept_text = file.slice(Span::new(kept.start as u32, kept.end as u32));
            push_shown(&mut text, kept_text);
            let kept_end = text.len();
            if cut_tail {
                text.push(CUT);
                text.push('\n');
            }
            // Offsets on this line land in the kept part, clamped to it.
            let place = |offset: u32| {
                let o = (offset as usize).clamp(kept.start, kept.end);
                (base + shown_len(kept_text, o - kept.start)).min(kept_end) as u32
            };
            for (span, to) in spans.iter().zip(moved.iter_mut()) {
                if range.contains(&(span.start as usize)) {
                    to.start = place(span.start);
                }
                if range.contains(&(span.end as usize)) || span.end as usize == range.end {
                    to.end = place(span.end).max(to.start);
                }
            }
        }
        Window {
            name: super::printable(file.name()).into_owned(),
            text,
            first_line: first as usize - 1,
            shifts,
            spans: moved,
        }
    }
}

/// True for a character copied as `�`: line breaks stay, they end the copied lines.
fn is_replaced(c: char) -> bool {
    super::is_unsafe(c) && c != '\n' && c != '\r'
}

/// Appends `from` to `text` with [`is_replaced`] characters as `�`, and a lone `\r` (the line
/// break of old Mac files, which the snippet renderer would show as a character) as `\n`.
fn push_shown(text: &mut String, from: &str) {
    let mut chars = from.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            text.push('\n');
        } else if is_replaced(c) {
            text.push(char::REPLACEMENT_CHARACTER);
        } else {
            text.push(c);
        }
    }
}

/// The length, once shown, of the characters of `text` that start in its first `len` bytes.
fn shown_len(text: &str, len: usize) -> usize {
    text.char_indices()
        .take_while(|(i, _)| *i < len)
        .map(|(_, c)| {
            if is_replaced(c) {
                char::REPLACEMENT_CHARACTER.len_utf8()
            } else {
                c.len_utf8()
            }
        })
        .sum()
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        let line = inner.line() + self.first_line;
        // Without lines before it the contents start at the span, whose column is shown.
        let shift = match self.shifts.iter().find(|(l, _)| *l == line) {
            Some((_, shift)) if before == 0 => *shift,
            _ => 0,
        };
        // The column counts characters, as every position palisade shows does (the snippet
        // renderer counts bytes); each `�` stands for one character.
        let column = if before == 0 {
            let line_start = span.offset().saturating_sub(inner.column());
            self.text
                .get(line_start..span.offset())
                .map_or(inner.column(), |head| head.chars().count())
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column + shift,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diag::{Code, Diagnostic};
    use crate::render::diagnostic::render;

    fn at(text: &str, needle: &str) -> Span {
        let start = text.find(needle).unwrap() as u32;
        Span::new(start, start + needle.len() as u32)
    }

    #[test]
    fn short_lines_are_copied_as_they_are() {
        let text = "a\nb\nc\nd\ne\nf\ng\n";
        let file = SourceFile::new("p.guard", text);
        let w = Window::new(&file, &[at(text, "e")]);
        // Two lines either side, and the span moved with them.
        assert_eq!(w.text, "c\nd\ne\nf\ng\n");
        assert_eq!(w.first_line, 2);
        assert_eq!(w.text.get(w.spans[0].range()), Some("e"));
    }

    #[test]
    fn control_characters_are_shown_one_for_one_and_columns_count_characters() {
        let text = "rule a {\n  x == \"é\u{1b}[2J\u{202e}\" and\n}\n";
        let file = Arc::new(SourceFile::new("p\u{7}.guard", text));
        let and = at(text, "and");
        let w = Window::new(&file, &[and]);
        assert_eq!(w.text.get(w.spans[0].range()), Some("and"));
        let d = Diagnostic::error(Code::UndefinedRule, &file, and, "bad \u{1b}[2J");
        let out = render(&d, false);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{out:?}"
        );
        assert!(out.contains("bad \\u{1b}[2J"), "{out}");
        // The column of `and` counts `é` and each control character as one.
        let column = file.position(and.start).column;
        assert_eq!(column, 17);
        assert!(out.contains("[p\\u{7}.guard:2:17]"), "{out}");
        assert!(out.contains("x == \"é�[2J�\" and"), "{out}");
    }

    #[test]
    fn old_mac_line_breaks_are_shown_as_line_breaks() {
        let text = "rule a {\r  x == 1\r  y ==\r}\r";
        let file = Arc::new(SourceFile::new("p.guard", text));
        let brace = Span::new(text.len() as u32 - 2, text.len() as u32 - 1);
        let out = render(&Diagnostic::error(Code::Syntax, &file, brace, "bad"), false);
        assert!(!out.contains('\r'), "{out:?}");
        assert!(
            out.contains("[p.guard:4:1]") && out.contains(" 3 |   y ==\n"),
            "{out}"
        );
    }

    #[test]
    fn a_label_on_a_long_line_shows_a_window_and_its_real_column() {
        let line: String = (0..50_000).map(|i| format!("x{i} ")).collect();
        let text = format!("rule r {{\n{line}oops\n}}\nrule s {{\n{line}\n}}\n");
        let file = Arc::new(SourceFile::new("p.guard", text.as_str()));
        let oops = at(&text, "oops");
        let first = at(&text, "rule r");
        let d = Diagnostic::error(Code::Syntax, &file, oops, "bad").with_related(first, "here");
        let w = Window::new(&file, &[oops, first]);
        assert_eq!(w.text.get(w.spans[0].range()), Some("oops"));
        assert_eq!(w.text.get(w.spans[1].range()), Some("rule r"));
        assert!(w.text.len() < 1_000, "{}", w.text.len());
        let out = render(&d, false);
        let column = file.position(oops.start).column;
        assert!(out.contains(&format!("[p.guard:2:{column}]")), "{out}");
        assert!(out.len() < 2_000, "{out}");
    }
}
