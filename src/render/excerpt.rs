//! The source line a finding underlines, cut to a window around the value when the line is
//! long (a one-line JSON template, a long `UserData` string), so that each finding shows a few
//! hundred characters at most, whatever the length of the line.

use crate::source::{Position, SourceFile};

/// Lines longer than this many bytes are shown cut.
pub const LONG_LINE: usize = 1000;

/// Characters shown before the value on a cut line.
const BEFORE: usize = 40;

/// Characters shown from the value on, on a cut line (the underline stops there too).
const FROM: usize = 160;

/// Marks a cut at either end of a line.
pub const CUT: char = '…';

/// A line to show, with the underline's start column (0-based, in characters) and width.
#[derive(Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// The text, tabs as spaces.
    pub text: String,
    /// Characters before the underline.
    pub start: usize,
    /// Width of the underline (at least 1).
    pub marks: usize,
}

/// The excerpt of line `start.line` underlining from `start` to `end` (to the end of the line
/// when `end` is on a later line).
pub fn excerpt(source: &SourceFile, start: Position, end: Position) -> Option<Excerpt> {
    let line = source.line_text(start.line)?;
    if line.len() <= LONG_LINE {
        let text = shown_text(line);
        let first = start.column.saturating_sub(1) as usize;
        let width = text.chars().count();
        let last = if end.line == start.line {
            (end.column.saturating_sub(1) as usize).max(first + 1)
        } else {
            width
        };
        let marks = last.min(width.max(first + 1)) - first;
        return Some(Excerpt {
            text,
            start: first,
            marks: marks.max(1),
        });
    }
    let line_start = source.line_range(start.line)?.start;
    let at = (source.offset(start)? as usize).saturating_sub(line_start);
    let (from, to) = cut_around(line, at);
    let mut text = String::new();
    if from > 0 {
        text.push(CUT);
    }
    text.push_str(line.get(from..at)?);
    let first = text.chars().count();
    let shown = line.get(at..to)?;
    text.push_str(shown);
    if to < line.len() {
        text.push(CUT);
    }
    let wanted = if end.line == start.line {
        end.column.saturating_sub(start.column) as usize
    } else {
        usize::MAX
    };
    Some(Excerpt {
        text: shown_text(&text),
        start: first,
        marks: wanted.min(shown.chars().count()).max(1),
    })
}

/// A source line as shown: a tab as a space, and a character that could change how the terminal
/// shows what follows (see [`super::is_unsafe`]) as `�`, one character for one, so that the
/// underline stays under its value.
fn shown_text(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if super::is_unsafe(c) => char::REPLACEMENT_CHARACTER,
            c => c,
        })
        .collect()
}

/// The byte range of `line` to show around byte `at`: [`BEFORE`] characters before it and
/// [`FROM`] from it, within the line. Costs the size of the window, not of the line.
pub fn cut_around(line: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(line.len());
    while !line.is_char_boundary(at) {
        at -= 1;
    }
    let (head, tail) = line.split_at(at);
    let from = head
        .char_indices()
        .rev()
        .take(BEFORE)
        .last()
        .map_or(at, |(i, _)| i);
    let to = tail
        .char_indices()
        .nth(FROM)
        .map_or(line.len(), |(i, _)| at + i);
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32) -> Position {
        Position { line, column }
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let f = SourceFile::new("t", "a:\n  b:\tvalue\n");
        let e = excerpt(&f, pos(2, 6), pos(2, 11)).unwrap();
        assert_eq!(e.text, "  b: value");
        assert_eq!((e.start, e.marks), (5, 5));
        // A value that runs on to the next line is underlined to the end of this one.
        let e = excerpt(&f, pos(1, 1), pos(2, 1)).unwrap();
        assert_eq!((e.start, e.marks), (0, 2));
    }

    #[test]
    fn characters_that_would_steer_the_terminal_are_shown_one_for_one() {
        // A right-to-left override would show the line reversed; DEL and C1 controls are
        // allowed in YAML text.
        let f = SourceFile::new("t", "k: \u{202e}ab\u{7f}\u{9b}31m port: 22\n");
        let e = excerpt(&f, pos(1, 19), pos(1, 21)).unwrap();
        assert_eq!(e.text, "k: \u{fffd}ab\u{fffd}\u{fffd}31m port: 22");
        let underlined: String = e.text.chars().skip(e.start).take(e.marks).collect();
        assert_eq!(underlined, "22");
    }

    #[test]
    fn text_from_templates_is_made_printable() {
        assert_eq!(
            super::super::printable("Sg\u{1b}[31m\u{7}\tx"),
            "Sg\\u{1b}[31m\\u{7}\tx"
        );
        assert_eq!(
            super::super::printable("a\u{2066}b\nc"),
            "a\\u{2066}b\\u{a}c"
        );
        assert!(matches!(
            super::super::printable("plain é ✓"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn long_lines_are_cut_around_the_value() {
        let text = format!(
            "{{\"k\": \"{}\", \"port\": 22, \"x\": \"{}\"}}",
            "é".repeat(5000),
            "y".repeat(5000)
        );
        let f = SourceFile::new("t", text.as_str());
        let column = 5000 + 19;
        let e = excerpt(&f, pos(1, column), pos(1, column + 2)).unwrap();
        assert!(
            e.text.starts_with('…') && e.text.ends_with('…'),
            "{}",
            e.text
        );
        assert_eq!(e.text.chars().count(), 1 + BEFORE + FROM + 1);
        let underlined: String = e.text.chars().skip(e.start).take(e.marks).collect();
        assert_eq!(underlined, "22");
        // Near the start of the line nothing is cut before the value.
        let e = excerpt(&f, pos(1, 2), pos(1, 5)).unwrap();
        assert!(e.text.starts_with("{\"k\""), "{}", e.text);
        assert_eq!((e.start, e.marks), (1, 3));
        // A value running past the window is underlined to the window's end.
        let e = excerpt(&f, pos(1, 8), pos(1, 5008)).unwrap();
        assert_eq!(e.marks, FROM);
    }
}
